/*  assets.c — lookup in the embedded dashboard files (assets.h). */
#include "web/assets.h"

#include <string.h>

const cchc_web_asset_t *
cchc_web_asset_find (const char *path)
{
    if (!path)
        return NULL;
    if (strcmp (path, "/") == 0)
        path = "/index.html";
    for (size_t i = 0; i < cchc_web_asset_count; i++)
        if (strcmp (cchc_web_assets [i].path, path) == 0)
            return &cchc_web_assets [i];
    return NULL;
}
