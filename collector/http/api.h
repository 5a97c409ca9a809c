/*  api.h — the dashboard's JSON API and exports, without HTTP: a request is a
    path and a parameter lookup, a reply is a status, a content type and a
    body.  http.c puts it on the network; tests and the benchmark can call it
    directly.  The endpoints and their fields are documented in docs/api.md.

    Figures come from cchc_rollup_load() (rollup.h) and are never computed
    per request: the roll-up of each period that someone asked for is kept in
    memory together with its serialised JSON, and a worker thread recomputes
    it when the database moves on.  The worker checks a cheap version every
    poll_ms:

      data version      max(journal.id), enrolment.version and a checksum of
                        the unit table: any change recomputes the cached
                        periods (each at most once per refresh_ms)
      agents version    count, Σ rejected/accepted/duplicates and max
                        last_seen of the agent table: reloads the agents
                        snapshot and the reporting-status replies
      time              a period is also recomputed when its window end, due
                        day or lock day passes (states and "pending" change)

    Periods unused for idle_ms are dropped; at most max_periods are kept.  The
    first request for a period waits for its computation (up to wait_ms, then
    503); later requests are served from memory while a newer roll-up is
    computed.

    All database access is read-only (SQLITE_OPEN_READONLY): one connection
    for the worker, a small pool for requests (agents, health, explain).
    Thread-safe: cchc_api_handle may be called from any number of threads.
*/
#ifndef CCHC_API_H
#define CCHC_API_H

#include "collector/figures/criteria.h"

#include <stddef.h>
#include <stdint.h>

typedef struct cchc_api_t cchc_api_t;

typedef struct {
    const char *db_path;             /* the collector database (read-only use) */
    const cchc_criteria_t *criteria; /* the process's catalogue, borrowed
                                       (outlives the API) */
    int poll_ms;                     /* version check interval; 0: 1000 */
    int refresh_ms;                  /* min interval between recomputations of
                                       one period; 0: 3000 */
    int idle_ms;                     /* drop periods unused that long; 0: 600000 */
    int wait_ms;                     /* a request waits that long for a first
                                       computation; 0: 60000 */
    int max_periods;                 /* periods kept in memory; 0: 24 */
    int connections;                 /* read-only connections for requests; 0: 4 */
    int silent_days;                 /* a unit is silent when no agent of it sent
                                       anything for that many days nor since
                                       the last round its level had to report
                                       (common/period.h); 0: 7 */
    const char *tmpdir;              /* for XLSX files being built; NULL: $TMPDIR
                                       or /tmp */
} cchc_api_config_t;

/*  Open the database read-only, load the catalogue, start the worker.
    NULL with the reason in err. */
cchc_api_t *cchc_api_new (const cchc_api_config_t *conf, char *err, size_t errlen);

/*  Stop the worker, free everything.  Replies still held stay valid until
    released (they keep their data alive).  Accepts NULL; sets *self_p = NULL. */
void cchc_api_destroy (cchc_api_t **self_p);

/*  A reply.  The body belongs to the reply until cchc_api_reply_release(). */
typedef struct {
    int status;               /* HTTP status: 200, 304, 400, 404, ... */
    const char *content_type; /* static string */
    const char *body;         /* may be NULL when size is 0 */
    size_t size;
    char etag [64];              /* quoted ETag, "" when none */
    char disposition [160];      /* Content-Disposition, "" when none */
    char cache_control [48];     /* "" when none */
    void (*release) (void *arg); /* frees body; NULL when nothing to free */
    void *release_arg;
} cchc_api_reply_t;

/*  Query parameter lookup (NULL when absent). */
typedef const char *(cchc_api_param_fn) (void *arg, const char *name);

/*  Answer a GET of `path` (without the query string) under /api/v1/ or
    /export/.  `if_none_match` (may be NULL) is the request's If-None-Match:
    when it equals the reply's ETag the reply is 304 with no body.
    Always fills `reply` (errors are JSON {"error": "...", "status": N}). */
void cchc_api_handle (cchc_api_t *self, const char *path, cchc_api_param_fn *param,
                      void *param_arg, const char *if_none_match, cchc_api_reply_t *reply);

/*  Free the reply's body (it may be shared and reference-counted).
    Idempotent. */
void cchc_api_reply_release (cchc_api_reply_t *reply);

/*  Fill `reply` with a JSON error {"error": message, "status": status}. */
void cchc_api_reply_error (cchc_api_reply_t *reply, int status, const char *message);

/*  Count a request answered with `status` by the HTTP layer (shown by
    /api/v1/health).  Thread-safe. */
void cchc_api_count (cchc_api_t *self, int status);

/*  Ask the worker to compute `period` now (e.g. at start-up), without
    waiting.  0, or -1 if the id is not a period. */
int cchc_api_prefetch (cchc_api_t *self, const char *period);

/*  Counters for tests and the benchmark. */
typedef struct {
    uint64_t computations; /* roll-ups computed */
    uint64_t compute_failures;
    int64_t last_compute_ms; /* duration of the last one */
    uint64_t agents_loads;   /* agents snapshots loaded */
    size_t periods;          /* periods in memory */
} cchc_api_stats_t;

void cchc_api_stats (cchc_api_t *self, cchc_api_stats_t *stats);

#endif
