/*  http.h — the collector's read-only web server: the dashboard (embedded
    web/ assets) and the JSON API (api.h) over libmicrohttpd.

    Start and stop it from the collector's main in two lines:

        cchc_http_t *http = cchc_http_new (&http_conf, err, sizeof err);
        ...
        cchc_http_destroy (&http);

    Rules:
      - bound to 127.0.0.1 by default; any other address (0.0.0.0, a LAN
        address, ::) requires an access token, or cchc_http_new refuses to
        start.  When a token is set, /api/ and /export/ need it, as
        "Authorization: Bearer TOKEN" or "?token=TOKEN" (the dashboard's
        static files, which hold no data, do not);
      - read-only: GET and HEAD only, anything else is 405 with "Allow";
        there is no administrative action over HTTP;
      - its own read-only SQLite connections: WAL readers never block the
        collector's writer;
      - MHD's internal thread pool (`threads` threads); every reply carries
        nosniff, no-referrer and a same-origin Content-Security-Policy;
      - slow and greedy clients are bounded (slowloris): at most
        `max_connections` connections in all and `max_per_peer` from one
        address (refusals logged with the address, rate-limited); a
        request's headers must be complete within `request_timeout_ms` of
        the connection opening or the previous answer's end, idle
        connections close after the same time, and an answer must be
        delivered within S_ANSWER_MAX_MS (60 s) — a watchdog thread shuts
        down the sockets of connections past their deadline and logs them.
*/
#ifndef CCHC_HTTP_H
#define CCHC_HTTP_H

#include "collector/figures/criteria.h"

#include <stddef.h>
#include <stdint.h>

typedef struct cchc_http_t cchc_http_t;

typedef struct {
    const char *address;             /* IPv4 or IPv6 literal; NULL: "127.0.0.1" */
    int port;                        /* 0: any free port (see cchc_http_port) */
    const char *token;               /* access token, NULL or "" for none; at least
                                   16 characters when set */
    const char *db_path;             /* collector database */
    const cchc_criteria_t *criteria; /* the process's catalogue, borrowed
                                       (outlives the server) */
    int threads;                     /* MHD thread pool size; 0: 4 */
    int silent_days;                 /* api.h; 0: 7 */
    int refresh_ms;                  /* api.h; 0: 3000 */
    int poll_ms;                     /* api.h; 0: 1000 */
    int max_connections;             /* open connections in all; 0: 256 */
    int max_per_peer;                /* open connections from one address; 0: 16 */
    int request_timeout_ms;          /* headers complete within this; 0: 10000 */
} cchc_http_config_t;

/*  Open the database, bind and start serving.
    NULL with the reason in err (bad address, non-loopback without a token,
    port in use, database unreadable, no catalogue). */
cchc_http_t *cchc_http_new (const cchc_http_config_t *conf, char *err, size_t errlen);

/*  Stop serving (waits for requests in progress) and free everything.
    Accepts NULL; sets *self_p = NULL. */
void cchc_http_destroy (cchc_http_t **self_p);

/*  The port actually bound (useful with port 0). */
int cchc_http_port (const cchc_http_t *self);

/*  True when `address` is a loopback literal (127.0.0.0/8, ::1). */
int cchc_http_address_is_loopback (const char *address);

#endif
