/*  assets.h — the dashboard's files (web/ *.html, *.css, *.js, *.svg), embedded
    into the binary at build time by web/embed.cmake, so the collector serves
    the whole dashboard with no file on disk and no network access (government
    networks are often offline: no CDN, no external fonts).

    The table is generated into the build folder (cchc_web_assets.c); this
    header is its contract.
*/
#ifndef CCHC_WEB_ASSETS_H
#define CCHC_WEB_ASSETS_H

#include <stddef.h>

typedef struct {
    const char *path;         /* URL path, "/index.html", "/app.js" */
    const char *content_type; /* "text/html; charset=utf-8", ... */
    const unsigned char *data;
    size_t size;      /* bytes in data */
    const char *etag; /* quoted strong ETag: first 16 hex digits
                                       of the file's SHA-256 */
} cchc_web_asset_t;

extern const cchc_web_asset_t cchc_web_assets [];
extern const size_t cchc_web_asset_count;

/*  The asset served at `path` ("/" is "/index.html"), or NULL. */
const cchc_web_asset_t *cchc_web_asset_find (const char *path);

#endif
