/*  api_impl.h — what the files of the API share (api.c, cache.c, views.c,
    handlers.c); private to collector/http/.  The API is a cache of computed
    roll-ups per period, refreshed by one worker thread
    when the database moves on, and the endpoint handlers that serve it.

    Objects:
      cchc_api_entry_t   one computed period: the cchc_rollup_t, an index of
                  its units by code, and its replies serialised once (blobs).
                  Immutable once published; reference-counted, so a request
                  keeps using the roll-up it took while a newer one replaces it.
      cchc_api_slot_t    a cached period: its current entry (or none yet), whether a
                  request waits for it, when it was last used.
      cchc_api_agents_t  a snapshot of the agent table (reference-counted, replaced
                  when the agents version changes).
      cchc_api_blob_t    a serialised reply (JSON), reference-counted so the HTTP
                  layer can send it without a copy.

    Locked periods (collector/periods/periods.h): an entry's figures come from
    cchc_figures_load(), which restores a locked period's stored final
    result (with the catalogue it was computed with) instead of computing
    it; such an entry is only replaced when the period's lock or reopen
    events change, never because data arrived.  The states shown come from
    the period_result table (re-read at every poll), so a period is
    "locked" exactly when the collector has locked it.

    Locks: self->mutex guards the slots, the snapshots' pointers and the
    versions; each entry's blob_mutex guards its lazily built blobs.  Nothing
    slow (SQL, roll-ups, serialising) runs under self->mutex.
*/
#ifndef CCHC_API_IMPL_H
#define CCHC_API_IMPL_H

#include "collector/http/api.h"
#include "collector/db/db.h"
#include "collector/present/export.h"
#include "collector/present/labels.h"
#include "collector/periods/periods.h"
#include "collector/present/report.h"
#include "collector/figures/rollup.h"
#include "collector/national/national.h"
#include "collector/present/national.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/period.h"
#include "common/text.h"

#include <assert.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CCHC_API_JSON_TYPE "application/json; charset=utf-8"
#define CCHC_API_CSV_TYPE "text/csv; charset=utf-8"
#define CCHC_API_XLSX_TYPE "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#define CCHC_API_TREND_MAX 36
#define CCHC_API_EXPLAIN_MAX 5000
#define CCHC_API_STATUS_MAX_AGE_MS 60000 /* status/agents replies show "days silent" */

/*  How long (real ms) a status/agents reply may be reused: a minute of the
    clock's time, at least a real second (on a demonstration clock a minute
    passes faster; the days silent follow it). */
int64_t cchc_api_status_max_age (void);
/* ------------------------------------------------------------------------ */
/*  Blobs: serialised replies, reference-counted */

typedef struct {
    atomic_int refs;
    char *data;
    size_t size;
    char etag [64];
    uint64_t agents_gen; /* agents snapshot it was built from (status) */
    int64_t built_mono;
} cchc_api_blob_t;
/* ------------------------------------------------------------------------ */
/*  Agents snapshot */

typedef struct {
    int64_t id;
    char *unit, *unit_name, *name;
    char key [65]; /* hex public key */
    int64_t enrolled_at, revoked_at, last_seen, last_seq;
    int64_t accepted, duplicates, rejected;
    bool has_clock;                            /* its reports gave its clock (schema.h): */
    int64_t clock_skew, clock_ahead, clock_at; /* ms: newest, most ahead; when */
} cchc_api_agent_t;

typedef struct {
    atomic_int refs;
    uint64_t generation;
    cchc_api_agent_t *agents; /* sorted by unit, then id */
    size_t count;
    size_t alloc; /* room in agents, while it loads */
} cchc_api_agents_t;
/* ------------------------------------------------------------------------ */
/*  Entries (computed periods) and slots (cached periods) */

enum {
    CCHC_API_BLOB_SUMMARY = 0,
    CCHC_API_BLOB_RANK_SO = 1, /* + level */
    CCHC_API_BLOB_RANK_ALL = 4,
    CCHC_API_BLOB_UNITS = 5,
    CCHC_API_BLOB_STATUS = 6,
    CCHC_API_BLOB_COUNT = 7
};

typedef struct {
    int64_t journal_max;
    int64_t enrolment;
    int64_t units_sum; /* checksum of the unit table */
    int64_t periods;   /* newest period_event id (lock / reopen), -1
                                   without the period tables */
    int64_t units;     /* distinct unit codes (not part of the version) */
} cchc_api_version_t;

typedef struct {
    atomic_int refs;
    cchc_period_t period;
    char id [CCHC_PERIOD_ID_MAX];
    cchc_figures_t *fig;         /* owns the roll-up (and a stored catalogue) */
    const cchc_rollup_t *rollup; /* fig->rollup */
    size_t *by_code;             /* unit indices sorted by code */
    cchc_api_version_t version;  /* data version it was computed from */
    int64_t computed_ms;         /* wall clock (as of) */
    int64_t computed_mono;
    int64_t compute_ms;  /* how long it took */
    uint64_t generation; /* unique per entry, for ETags */
    pthread_mutex_t blob_mutex;
    cchc_api_blob_t *blobs [CCHC_API_BLOB_COUNT];
} cchc_api_entry_t;
typedef struct {
    bool used;
    cchc_period_t period;
    char id [CCHC_PERIOD_ID_MAX];
    cchc_api_entry_t *entry; /* current; NULL until first computed */
    bool wanted;             /* computation requested (first or refresh) */
    bool computing;
    int waiters;
    bool failed;
    char error [256];
    int64_t failed_mono;
    uint64_t attempts; /* computations finished (ok or failed) */
    int64_t used_mono;
} cchc_api_slot_t;
/* ------------------------------------------------------------------------ */
/*  The API object */

struct cchc_api_t {
    cchc_api_config_t conf;
    char *db_path, *tmpdir;
    const cchc_criteria_t *criteria; /* conf.criteria, borrowed */
    char instance [24];              /* ETag prefix, differs per process */

    pthread_mutex_t mutex;
    pthread_cond_t wake; /* to the worker */
    pthread_cond_t done; /* from the worker */
    pthread_t worker;
    bool running;

    cchc_api_slot_t *slots;
    size_t slot_count; /* allocated: max_periods */
    uint64_t generation;

    cchc_api_version_t version; /* latest data version seen */
    uint64_t agents_key [5];    /* latest agents version seen */
    cchc_api_agents_t *agents;  /* latest snapshot */
    uint64_t agents_gen;
    int32_t data_first, data_last; /* yyyymmdd range of observations, 0: none */
    bool managed;                  /* the database has the period tables */
    cchc_period_row_t *prows;      /* their stored rows (period_result), per poll */
    size_t prow_count;
    char province_code [CCHC_UNIT_MAX + 1];
    char *province_name;
    int64_t started_ms;

    sqlite3 *wdb; /* the worker's connection */
    pthread_mutex_t pool_mutex;
    pthread_cond_t pool_cond;
    sqlite3 **pool;
    bool *pool_busy;
    int pool_size;

    cchc_api_blob_t *catalogue; /* built once */
    pthread_mutex_t agents_blob_mutex;
    cchc_api_blob_t *agents_blob;

    atomic_uint_fast64_t computations, compute_failures, agents_loads;
    atomic_int_fast64_t last_compute_ms;
    atomic_uint_fast64_t http_requests, http_2xx, http_3xx, http_4xx, http_5xx;
};

/* ------------------------------------------------------------------------ */
/*  Shared between the files (s_ names of one file stay static there) */

/*  The computed entry of `period`, waiting for its first computation if
    needed.  NULL with an HTTP status and message on failure. */
cchc_api_entry_t *cchc_api_acquire (cchc_api_t *self, const cchc_period_t *period, int *status,
                                    char *err, size_t errlen);

/*  The same for a handler: NULL when it failed, the error then replied. */
cchc_api_entry_t *cchc_api_acquire_reply (cchc_api_t *self, const cchc_period_t *period,
                                          cchc_api_reply_t *reply);

/*  The /api/v1/agents reply of snapshot `a`, built if missing or older than
    a minute ("days silent" moves with time).  New reference or NULL. */
cchc_api_blob_t *cchc_api_agents_blob (cchc_api_t *self, cchc_api_agents_t *a);

/*  First agent of `unit` in the snapshot, or the count. */
size_t cchc_api_agents_first (const cchc_api_agents_t *a, const char *unit);

cchc_api_agents_t *cchc_api_agents_get (cchc_api_t *self);

void cchc_api_agents_unref (cchc_api_agents_t **a_p);

cchc_api_blob_t *cchc_api_blob_new (char *data, size_t size, const char *etag);

cchc_api_blob_t *cchc_api_blob_ref (cchc_api_blob_t *b);

void cchc_api_blob_release_cb (void *arg);

void cchc_api_blob_unref (cchc_api_blob_t **b_p);

json_t *cchc_api_catalogue_json (const cchc_criteria_t *cat);

void cchc_api_common_head (cchc_api_t *self, json_t *root, const cchc_api_entry_t *e,
                           int64_t now);

/*  The period the dashboard opens on: the quarter of the newest data day
    (not after today), else of today. */
void cchc_api_default_period (cchc_api_t *self, int64_t now, cchc_period_t *p);

/*  json → compact text; steals `root`. */
char *cchc_api_dump (json_t *root, size_t *size);

/*  The entry's blob `key`, built if missing or (status) outdated.  New
    reference, or NULL on out of memory. */
cchc_api_blob_t *cchc_api_entry_blob (cchc_api_t *self, cchc_api_entry_t *e, int key);

/*  Index of the unit `code` in the entry's roll-up, or -1. */
int cchc_api_entry_unit (const cchc_api_entry_t *e, const char *code);

const char *cchc_api_entry_unit_name (const cchc_api_entry_t *e, const char *code);

void cchc_api_entry_unref (cchc_api_entry_t **e_p);

/*  True when the window of `w` has not started at `now`. */
bool cchc_api_future (const cchc_rollup_window_t *w, int64_t now);

void cchc_api_get_agents (cchc_api_t *self, const char *inm, cchc_api_reply_t *reply);

void cchc_api_get_catalogue (cchc_api_t *self, const char *inm, cchc_api_reply_t *reply);

void cchc_api_get_entry_blob (cchc_api_t *self, int key, const cchc_period_t *p,
                              const char *inm, cchc_api_reply_t *reply);

void cchc_api_get_explain (cchc_api_t *self, cchc_api_param_fn *param, void *arg,
                           cchc_api_reply_t *reply);

void cchc_api_get_export (cchc_api_t *self, const char *what, cchc_api_param_fn *param,
                          void *arg, cchc_api_reply_t *reply);

void cchc_api_get_health (cchc_api_t *self, cchc_api_reply_t *reply);

void cchc_api_get_periods (cchc_api_t *self, cchc_api_reply_t *reply);

void cchc_api_get_trend (cchc_api_t *self, cchc_api_param_fn *param, void *arg,
                         cchc_api_reply_t *reply);

void cchc_api_get_unit (cchc_api_t *self, const char *code, const cchc_period_t *p,
                        cchc_api_reply_t *reply);

json_t *cchc_api_jstr_or_null (const char *s);

int cchc_api_open (const char *path, sqlite3 **db, char *err, size_t errlen);

/*  The `level` parameter: 0..2, -1 for "all" or absent when allowed. */
int cchc_api_param_level (cchc_api_param_fn *param, void *arg, bool allow_all, int *level,
                          cchc_api_reply_t *reply);

/*  The `period` parameter, or the default period.  0, or -1 with a reply. */
int cchc_api_param_period (cchc_api_t *self, cchc_api_param_fn *param, void *arg,
                           cchc_period_t *p, cchc_api_reply_t *reply);

/*  "future", "provisional" (window running), "closed" (window over, not
    locked: figures still follow late data), "locked" (the collector locked
    it: final).  Without the period tables (a database no collector with the
    schedule ran on), "locked" once the lock day has passed.  `e` (may be
    NULL): the entry whose figures are shown, which says "locked" when they
    are the stored final ones.  Takes self->mutex. */
json_t *cchc_api_period_json (cchc_api_t *self, const cchc_period_t *p, int64_t now,
                              const cchc_api_entry_t *e);

/*  Poll the versions; reload the agents snapshot if it changed.  Worker
    thread, self->mutex not held. */
void cchc_api_poll (cchc_api_t *self);

sqlite3 *cchc_api_pool_get (cchc_api_t *self, char *err, size_t errlen);

void cchc_api_pool_put (cchc_api_t *self, sqlite3 *db);

/*  A reply from a blob (takes the reference); 304 on a matching ETag; 500
    "out of memory" when b is NULL (a blob that could not be built). */
void cchc_api_reply_blob (cchc_api_reply_t *reply, cchc_api_blob_t *b,
                          const char *if_none_match);

/*  A 200 reply of a malloc'ed body (takes it: freed after sending). */
void cchc_api_reply_body (cchc_api_reply_t *reply, const char *type, char *body, size_t size,
                          const char *cache_control);

void cchc_api_reply_errorf (cchc_api_reply_t *reply, int status, const char *fmt, ...);

void cchc_api_reply_init (cchc_api_reply_t *reply);

/*  A JSON reply from a fresh object (steals root). */
void cchc_api_reply_json (cchc_api_reply_t *reply, json_t *root);

const char *cchc_api_rule_code (cchc_rule_t rule);

/*  Find or make the slot of `period`.  self->mutex held.  NULL when every
    slot is busy. */
cchc_api_slot_t *cchc_api_slot_get (cchc_api_t *self, const cchc_period_t *period);

/*  Reporting status rows of an entry, in level then code order.  The rows
    point into `e` and `a`: keep both while using them. */
cchc_status_row_t *cchc_api_status_rows (cchc_api_t *self, const cchc_api_entry_t *e,
                                         const cchc_api_agents_t *a, int64_t now,
                                         size_t *count);

void *cchc_api_worker (void *arg);

/*  GET /api/v1/national/ranking | province (collector/national/national.h). */
void cchc_api_get_national (cchc_api_t *self, const char *what, cchc_api_param_fn *param,
                            void *param_arg, cchc_api_reply_t *reply);

#endif
