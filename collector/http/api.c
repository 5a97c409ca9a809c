/*  api.c — the dashboard's JSON API and exports (api.h, docs/api.md): a
    cache of computed roll-ups per period, refreshed by one worker thread
    when the database moves on, and the endpoint handlers that serve it.

    Objects:
      s_entry_t   one computed period: the cchc_rollup_t, an index of its
                  units by code, and its replies serialised once (blobs).
                  Immutable once published; reference-counted, so a request
                  keeps using the roll-up it took while a newer one replaces it.
      s_slot_t    a cached period: its current entry (or none yet), whether a
                  request waits for it, when it was last used.
      s_agents_t  a snapshot of the agent table (reference-counted, replaced
                  when the agents version changes).
      s_blob_t    a serialised reply (JSON), reference-counted so the HTTP
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
#include "collector/http/api.h"
#include "collector/db/db.h"
#include "collector/present/export.h"
#include "collector/present/labels.h"
#include "collector/periods/periods.h"
#include "collector/present/report.h"
#include "collector/figures/rollup.h"
#include "collector/national/national.h"
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

#define S_JSON_TYPE "application/json; charset=utf-8"
#define S_CSV_TYPE "text/csv; charset=utf-8"
#define S_XLSX_TYPE "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#define S_TREND_MAX 36
#define S_EXPLAIN_MAX 5000
#define S_STATUS_MAX_AGE_MS 60000   /* status/agents replies show "days silent" */

/* ------------------------------------------------------------------------ */
/*  Small helpers */

static json_t *
s_jstr_or_null (const char *s)
{
    return s ? json_string (s) : json_null ();
}


static const char *
s_rule_code (cchc_rule_t rule)
{
    switch (rule) {
        case CCHC_RULE_PROPORTIONAL: return "proportional";
        case CCHC_RULE_THRESHOLD: return "threshold";
        case CCHC_RULE_BANDS: return "bands";
        case CCHC_RULE_ON_TIME: return "on_time";
        default: return "";
    }
}

/* ------------------------------------------------------------------------ */
/*  Blobs: serialised replies, reference-counted */

typedef struct {
    atomic_int refs;
    char *data;
    size_t size;
    char etag[64];
    uint64_t agents_gen;        /* agents snapshot it was built from (status) */
    int64_t built_mono;
} s_blob_t;

static s_blob_t *
s_blob_new (char *data, size_t size, const char *etag)
{
    s_blob_t *b = calloc (1, sizeof *b);
    if (!b) {
        free (data);
        return NULL;
    }
    atomic_init (&b->refs, 1);
    b->data = data;
    b->size = size;
    cchc_strlcpy (b->etag, etag, sizeof b->etag);
    b->built_mono = cchc_clock_mono_ms ();
    return b;
}

static void
s_blob_unref (s_blob_t **b_p)
{
    s_blob_t *b = *b_p;
    *b_p = NULL;
    if (b && atomic_fetch_sub (&b->refs, 1) == 1) {
        free (b->data);
        free (b);
    }
}

static s_blob_t *
s_blob_ref (s_blob_t *b)
{
    if (b)
        atomic_fetch_add (&b->refs, 1);
    return b;
}

static void
s_blob_release_cb (void *arg)
{
    s_blob_t *b = arg;
    s_blob_unref (&b);
}

/*  json → compact text; steals `root`. */
static char *
s_dump (json_t *root, size_t *size)
{
    if (!root)
        return NULL;
    char *text = json_dumps (root, JSON_COMPACT);
    json_decref (root);
    if (text && size)
        *size = strlen (text);
    return text;
}

/* ------------------------------------------------------------------------ */
/*  Agents snapshot */

typedef struct {
    int64_t id;
    char *unit, *unit_name, *name;
    char key[65];               /* hex public key */
    int64_t enrolled_at, revoked_at, last_seen, last_seq;
    int64_t accepted, duplicates, rejected;
} s_agent_t;

typedef struct {
    atomic_int refs;
    uint64_t generation;
    s_agent_t *agents;          /* sorted by unit, then id */
    size_t count;
} s_agents_t;

static void
s_agents_unref (s_agents_t **a_p)
{
    s_agents_t *a = *a_p;
    *a_p = NULL;
    if (a && atomic_fetch_sub (&a->refs, 1) == 1) {
        for (size_t i = 0; i < a->count; i++) {
            free (a->agents[i].unit);
            free (a->agents[i].unit_name);
            free (a->agents[i].name);
        }
        free (a->agents);
        free (a);
    }
}

/*  First agent of `unit` in the snapshot, or the count. */
static size_t
s_agents_first (const s_agents_t *a, const char *unit)
{
    size_t lo = 0, hi = a->count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strcmp (a->agents[mid].unit, unit) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* ------------------------------------------------------------------------ */
/*  Entries (computed periods) and slots (cached periods) */

enum {
    S_BLOB_SUMMARY = 0,
    S_BLOB_RANK_SO = 1,         /* + level */
    S_BLOB_RANK_ALL = 4,
    S_BLOB_UNITS = 5,
    S_BLOB_STATUS = 6,
    S_BLOB_COUNT = 7
};

typedef struct {
    int64_t journal_max;
    int64_t enrolment;
    int64_t units_sum;          /* checksum of the unit table */
    int64_t periods;            /* newest period_event id (lock / reopen), -1
                                   without the period tables */
    int64_t units;              /* distinct unit codes (not part of the version) */
} s_version_t;

typedef struct {
    atomic_int refs;
    cchc_period_t period;
    char id[CCHC_PERIOD_ID_MAX];
    cchc_figures_t *fig;        /* owns the roll-up (and a stored catalogue) */
    const cchc_rollup_t *rollup;    /* fig->rollup */
    size_t *by_code;            /* unit indices sorted by code */
    s_version_t version;        /* data version it was computed from */
    int64_t computed_ms;        /* wall clock (as of) */
    int64_t computed_mono;
    int64_t compute_ms;         /* how long it took */
    uint64_t generation;        /* unique per entry, for ETags */
    pthread_mutex_t blob_mutex;
    s_blob_t *blobs[S_BLOB_COUNT];
} s_entry_t;

static void
s_entry_unref (s_entry_t **e_p)
{
    s_entry_t *e = *e_p;
    *e_p = NULL;
    if (e && atomic_fetch_sub (&e->refs, 1) == 1) {
        for (int i = 0; i < S_BLOB_COUNT; i++)
            s_blob_unref (&e->blobs[i]);
        pthread_mutex_destroy (&e->blob_mutex);
        cchc_figures_destroy (&e->fig);
        free (e->by_code);
        free (e);
    }
}

static s_entry_t *
s_entry_ref (s_entry_t *e)
{
    if (e)
        atomic_fetch_add (&e->refs, 1);
    return e;
}

/*  Index of the unit `code` in the entry's roll-up, or -1. */
static int
s_entry_unit (const s_entry_t *e, const char *code)
{
    const cchc_rollup_t *r = e->rollup;
    size_t lo = 0, hi = r->unit_count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp (r->units[e->by_code[mid]].code, code);
        if (c == 0)
            return (int) e->by_code[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static const char *
s_entry_unit_name (const s_entry_t *e, const char *code)
{
    if (!code)
        return NULL;
    int u = s_entry_unit (e, code);
    return u < 0 ? NULL : e->rollup->units[u].name;
}

typedef struct {
    bool used;
    cchc_period_t period;
    char id[CCHC_PERIOD_ID_MAX];
    s_entry_t *entry;           /* current; NULL until first computed */
    bool wanted;                /* computation requested (first or refresh) */
    bool computing;
    int waiters;
    bool failed;
    char error[256];
    int64_t failed_mono;
    uint64_t attempts;          /* computations finished (ok or failed) */
    int64_t used_mono;
} s_slot_t;

/* ------------------------------------------------------------------------ */
/*  The API object */

struct cchc_api_t {
    cchc_api_config_t conf;
    char *db_path, *tmpdir;
    const cchc_criteria_t *criteria;    /* conf.criteria, borrowed */
    char instance[24];          /* ETag prefix, differs per process */

    pthread_mutex_t mutex;
    pthread_cond_t wake;        /* to the worker */
    pthread_cond_t done;        /* from the worker */
    pthread_t worker;
    bool running;

    s_slot_t *slots;
    size_t slot_count;          /* allocated: max_periods */
    uint64_t generation;

    s_version_t version;        /* latest data version seen */
    uint64_t agents_key[5];     /* latest agents version seen */
    s_agents_t *agents;         /* latest snapshot */
    uint64_t agents_gen;
    int32_t data_first, data_last;  /* yyyymmdd range of observations, 0: none */
    bool managed;               /* the database has the period tables */
    cchc_period_row_t *prows;   /* their stored rows (period_result), per poll */
    size_t prow_count;
    char province_code[CCHC_UNIT_MAX + 1];
    char *province_name;
    int64_t started_ms;

    sqlite3 *wdb;               /* the worker's connection */
    pthread_mutex_t pool_mutex;
    pthread_cond_t pool_cond;
    sqlite3 **pool;
    bool *pool_busy;
    int pool_size;

    s_blob_t *catalogue;        /* built once */
    pthread_mutex_t agents_blob_mutex;
    s_blob_t *agents_blob;

    atomic_uint_fast64_t computations, compute_failures, agents_loads;
    atomic_int_fast64_t last_compute_ms;
    atomic_uint_fast64_t http_requests, http_2xx, http_3xx, http_4xx, http_5xx;
};

static int
s_open (const char *path, sqlite3 **db, char *err, size_t errlen)
{
    *db = NULL;
    int rc = sqlite3_open_v2 (path, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                              NULL);
    if (rc != SQLITE_OK) {
        cchc_errf (err, errlen, "%s: %s", path, *db ? sqlite3_errmsg (*db)
                                                : sqlite3_errstr (rc));
        sqlite3_close (*db);
        *db = NULL;
        return -1;
    }
    sqlite3_busy_timeout (*db, 5000);
    sqlite3_extended_result_codes (*db, 1);
    /* the schema must be there: the collector (collector/db/) creates it */
    sqlite3_stmt *st = NULL;
    int tables = 0;
    if (sqlite3_prepare_v2 (*db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                            " AND name IN ('unit','agent','journal','observation',"
                            "'enrolment','stats')", -1, &st, NULL) == SQLITE_OK
        && sqlite3_step (st) == SQLITE_ROW)
        tables = sqlite3_column_int (st, 0);
    else {
        cchc_errf (err, errlen, "%s: %s", path, sqlite3_errmsg (*db));
        sqlite3_finalize (st);
        sqlite3_close (*db);
        *db = NULL;
        return -1;
    }
    sqlite3_finalize (st);
    if (tables != 6) {
        cchc_errf (err, errlen, "%s: not a collector database (collector/db/schema.h tables missing)",
               path);
        sqlite3_close (*db);
        *db = NULL;
        return -1;
    }
    return 0;
}

static sqlite3 *
s_pool_get (cchc_api_t *self, char *err, size_t errlen)
{
    pthread_mutex_lock (&self->pool_mutex);
    for (;;) {
        for (int i = 0; i < self->pool_size; i++)
            if (!self->pool_busy[i]) {
                self->pool_busy[i] = true;
                sqlite3 *db = self->pool[i];
                pthread_mutex_unlock (&self->pool_mutex);
                if (!db) {
                    if (s_open (self->db_path, &db, err, errlen) != 0) {
                        pthread_mutex_lock (&self->pool_mutex);
                        self->pool_busy[i] = false;
                        pthread_cond_signal (&self->pool_cond);
                        pthread_mutex_unlock (&self->pool_mutex);
                        return NULL;
                    }
                    pthread_mutex_lock (&self->pool_mutex);
                    self->pool[i] = db;
                    pthread_mutex_unlock (&self->pool_mutex);
                }
                return db;
            }
        pthread_cond_wait (&self->pool_cond, &self->pool_mutex);
    }
}

static void
s_pool_put (cchc_api_t *self, sqlite3 *db)
{
    pthread_mutex_lock (&self->pool_mutex);
    for (int i = 0; i < self->pool_size; i++)
        if (self->pool[i] == db) {
            self->pool_busy[i] = false;
            break;
        }
    pthread_cond_signal (&self->pool_cond);
    pthread_mutex_unlock (&self->pool_mutex);
}

/* ------------------------------------------------------------------------ */
/*  Periods and their state */

/*  True when the window of `w` has not started at `now`. */
static bool
s_future (const cchc_rollup_window_t *w, int64_t now)
{
    return now < cchc_date_start_utc_ms (w->first);
}

/*  The stored row of period `id` from the last poll (*row zeroed when none)
    and whether the database keeps periods at all.  Takes self->mutex. */
static bool
s_stored_row (cchc_api_t *self, const char *id, cchc_period_row_t *row, bool *managed)
{
    bool found = false;
    memset (row, 0, sizeof *row);
    pthread_mutex_lock (&self->mutex);
    *managed = self->managed;
    for (size_t i = 0; i < self->prow_count && !found; i++)
        if (strcmp (self->prows[i].period, id) == 0) {
            *row = self->prows[i];
            found = true;
        }
    pthread_mutex_unlock (&self->mutex);
    return found;
}

/*  "future", "provisional" (window running), "closed" (window over, not
    locked: figures still follow late data), "locked" (the collector locked
    it: final).  Without the period tables (a database no collector with the
    schedule ran on), "locked" once the lock day has passed.  `e` (may be
    NULL): the entry whose figures are shown, which says "locked" when they
    are the stored final ones.  Takes self->mutex. */
static json_t *
s_period_json (cchc_api_t *self, const cchc_period_t *p, int64_t now, const s_entry_t *e)
{
    cchc_rollup_window_t w;
    cchc_rollup_window (self->criteria, p, now, &w);
    char name[64];
    cchc_label_period (p, CCHC_LABEL_SENTENCE, name, sizeof name);
    cchc_period_row_t row;
    bool managed;
    bool has_row = s_stored_row (self, w.id, &row, &managed);
    cchc_pstate_t ps = cchc_periods_state (&w, has_row ? &row : NULL, managed, now);
    if (e && e->fig->stored)
        ps = CCHC_PSTATE_LOCKED;
    else if (e && ps == CCHC_PSTATE_LOCKED && managed)
        ps = CCHC_PSTATE_CLOSED;    /* locked meanwhile: the next entry shows it */
    const char *state = cchc_pstate_code (ps);
    json_t *o = json_object ();
    json_object_set_new (o, "id", json_string (w.id));
    json_object_set_new (o, "kind", json_string (cchc_rollup_json_kind (p->kind)));
    json_object_set_new (o, "name", json_string (name));
    json_object_set_new (o, "first_day", cchc_rollup_json_day (w.first_day));
    json_object_set_new (o, "last_day", cchc_rollup_json_day (w.last_day));
    json_object_set_new (o, "due_day", cchc_rollup_json_day (w.due_day));
    json_t *dues = json_object ();
    for (int l = 0; l < CCHC_LEVEL_COUNT; l++)
        json_object_set_new (dues, cchc_level_code ((cchc_level_t) l),
                             cchc_rollup_json_day (w.level_due_day[l]));
    json_object_set_new (o, "due_days", dues);
    json_object_set_new (o, "lock_day", cchc_rollup_json_day (w.lock_day));
    json_object_set_new (o, "state", json_string (state));
    json_object_set_new (o, "state_name", json_string (cchc_pstate_name (ps)));
    json_object_set_new (o, "final", json_boolean (ps == CCHC_PSTATE_LOCKED));
    /* the figures: those of the reply (e), else those the collector stored */
    bool locked_row = has_row && row.state == CCHC_PSTATE_LOCKED;
    if (e) {
        json_object_set_new (o, "computed_at", cchc_rollup_json_time (e->rollup->window.as_of_ms));
        json_object_set_new (o, "journal_position", json_integer (e->fig->journal_pos));
        json_object_set_new (o, "stored", json_boolean (e->fig->stored));
    }
    else {
        json_object_set_new (o, "computed_at", has_row ? cchc_rollup_json_time (row.computed_at)
                                                       : json_null ());
        json_object_set_new (o, "journal_position", has_row
                             ? json_integer (row.journal_pos) : json_null ());
        json_object_set_new (o, "stored", json_boolean (locked_row));
    }
    json_object_set_new (o, "locked_at", locked_row ? cchc_rollup_json_time (row.locked_at)
                                                    : json_null ());
    json_object_set_new (o, "locked_by", locked_row && *row.locked_by
                         ? json_string (row.locked_by) : json_null ());
    json_object_set_new (o, "reopened_at", has_row && row.reopened_at
                         ? cchc_rollup_json_time (row.reopened_at) : json_null ());
    json_object_set_new (o, "lock_by_hand", json_boolean (has_row && !locked_row
                                                          && row.manual));
    /* locked: units whose data changed after the lock, waiting for a reopen */
    json_object_set_new (o, "after_lock_units",
                         json_integer (locked_row ? row.after_lock_units : 0));
    return o;
}

/*  The period the dashboard opens on: the quarter of the newest data day
    (not after today), else of today. */
static void
s_default_period (cchc_api_t *self, int64_t now, cchc_period_t *p)
{
    cchc_date_t today = cchc_date_from_utc_ms (now);
    pthread_mutex_lock (&self->mutex);
    int32_t last = self->data_last;
    pthread_mutex_unlock (&self->mutex);
    cchc_date_t day = today;
    if (last > 0) {
        cchc_date_t d = cchc_rollup_date_of (last);
        if (d >= 0 && d < today)
            day = d;
    }
    cchc_period_of (CCHC_PERIOD_QUARTER, day, p);
}

/* ------------------------------------------------------------------------ */
/*  Worker side: versions, agents, computing */

static int
s_read_version (sqlite3 *db, s_version_t *v, uint64_t agents_key[5],
                int32_t *data_first, int32_t *data_last)
{
    cchc_db_data_version_t version;
    if (cchc_db_data_version (db, &version) != 0)
        return -1;
    v->journal_max = version.journal;
    v->enrolment = version.enrolment;
    v->units_sum = version.units_sum;
    v->units = version.units;
    v->periods = version.periods;
    if (cchc_db_observation_days (db, data_first, data_last) != 0
        || cchc_db_agents_key (db, agents_key) != 0)
        return -1;
    return 0;
}

static s_agents_t *
s_load_agents (sqlite3 *db, char *err, size_t errlen)
{
    s_agents_t *a = calloc (1, sizeof *a);
    if (!a)
        return NULL;
    atomic_init (&a->refs, 1);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (db,
            "SELECT a.id, a.unit, a.name, a.pubkey, a.enrolled_at, a.revoked_at,"
            "       a.last_seen, a.last_seq, a.accepted, a.duplicates, a.rejected,"
            "       (SELECT u.name FROM unit AS u WHERE u.code = a.unit"
            "         ORDER BY u.valid_from DESC LIMIT 1)"
            "  FROM agent AS a ORDER BY a.unit, a.id", -1, &st, NULL) != SQLITE_OK) {
        cchc_errf (err, errlen, "agents: %s", sqlite3_errmsg (db));
        free (a);
        return NULL;
    }
    size_t alloc = 0;
    int rc;
    while ((rc = sqlite3_step (st)) == SQLITE_ROW) {
        if (a->count == alloc) {
            size_t want = alloc ? alloc * 2 : 256;
            s_agent_t *p = realloc (a->agents, want * sizeof *p);
            if (!p)
                break;
            a->agents = p;
            alloc = want;
        }
        s_agent_t *g = &a->agents[a->count];
        memset (g, 0, sizeof *g);
        g->id = sqlite3_column_int64 (st, 0);
        const char *unit = (const char *) sqlite3_column_text (st, 1);
        const char *name = (const char *) sqlite3_column_text (st, 2);
        const char *uname = (const char *) sqlite3_column_text (st, 11);
        g->unit = strdup (unit ? unit : "");
        g->name = strdup (name ? name : "");
        g->unit_name = uname ? strdup (uname) : NULL;
        a->count++;
        if (!g->unit || !g->name || (uname && !g->unit_name)) {
            rc = SQLITE_NOMEM;
            break;
        }
        if (sqlite3_column_bytes (st, 3) == 32)
            cchc_hex_encode (g->key, sqlite3_column_blob (st, 3), 32);
        g->enrolled_at = sqlite3_column_int64 (st, 4);
        g->revoked_at = sqlite3_column_int64 (st, 5);
        g->last_seen = sqlite3_column_int64 (st, 6);
        g->last_seq = sqlite3_column_int64 (st, 7);
        g->accepted = sqlite3_column_int64 (st, 8);
        g->duplicates = sqlite3_column_int64 (st, 9);
        g->rejected = sqlite3_column_int64 (st, 10);
    }
    sqlite3_finalize (st);
    if (rc != SQLITE_DONE) {
        cchc_errf (err, errlen, "agents: %s", rc == SQLITE_NOMEM || rc == SQLITE_ROW
               ? "out of memory" : sqlite3_errmsg (db));
        s_agents_unref (&a);
        return NULL;
    }
    return a;
}

static s_blob_t *s_agents_blob (cchc_api_t *self, s_agents_t *a);

static const cchc_rollup_t *s_sort_rollup;      /* qsort context (worker only) */

static int
s_code_cmp (const void *a, const void *b)
{
    const cchc_rollup_t *r = s_sort_rollup;
    return strcmp (r->units[*(const size_t *) a].code, r->units[*(const size_t *) b].code);
}

static pthread_mutex_t s_sort_mutex = PTHREAD_MUTEX_INITIALIZER;

static s_entry_t *
s_compute (cchc_api_t *self, const cchc_period_t *period, const s_version_t *version,
           char *err, size_t errlen)
{
    int64_t t0 = cchc_clock_mono_ms ();
    int64_t now = cchc_clock_now_ms ();
    /* a locked period: its stored final figures; otherwise computed now */
    cchc_figures_t *fig = cchc_figures_load (self->wdb, self->criteria, period, now, 0,
                                             err, errlen);
    if (!fig)
        return NULL;
    const cchc_rollup_t *r = fig->rollup;
    s_entry_t *e = calloc (1, sizeof *e);
    size_t *by_code = malloc ((r->unit_count ? r->unit_count : 1) * sizeof *by_code);
    if (!e || !by_code) {
        free (e);
        free (by_code);
        cchc_figures_destroy (&fig);
        cchc_errf (err, errlen, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < r->unit_count; i++)
        by_code[i] = i;
    pthread_mutex_lock (&s_sort_mutex);
    s_sort_rollup = r;
    qsort (by_code, r->unit_count, sizeof *by_code, s_code_cmp);
    s_sort_rollup = NULL;
    pthread_mutex_unlock (&s_sort_mutex);
    atomic_init (&e->refs, 1);
    e->period = *period;
    cchc_period_format (period, e->id, sizeof e->id);
    e->fig = fig;
    e->rollup = r;
    e->by_code = by_code;
    e->version = *version;
    e->computed_ms = now;
    e->computed_mono = cchc_clock_mono_ms ();
    e->compute_ms = e->computed_mono - t0;
    pthread_mutex_init (&e->blob_mutex, NULL);
    pthread_mutex_lock (&self->mutex);
    e->generation = ++self->generation;
    pthread_mutex_unlock (&self->mutex);
    return e;
}

static s_blob_t *s_entry_blob (cchc_api_t *self, s_entry_t *e, int key);

/*  Serialise the replies most asked for before the entry is published. */
static void
s_prebuild (cchc_api_t *self, s_entry_t *e)
{
    static const int keys[] = { S_BLOB_SUMMARY, S_BLOB_RANK_SO, S_BLOB_RANK_SO + 1,
                                S_BLOB_RANK_SO + 2, S_BLOB_STATUS };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        s_blob_t *b = s_entry_blob (self, e, keys[i]);
        s_blob_unref (&b);
    }
}

static bool
s_version_eq (const s_version_t *a, const s_version_t *b)
{
    return a->journal_max == b->journal_max && a->enrolment == b->enrolment
           && a->units_sum == b->units_sum && a->periods == b->periods;
}

/*  True when a window boundary (start, end, due, lock) passed since the
    entry was computed. */
static bool
s_boundary_passed (const s_entry_t *e, int64_t now)
{
    const cchc_rollup_window_t *w = &e->rollup->window;
    int64_t b[3 + CCHC_LEVEL_COUNT] = { cchc_date_start_utc_ms (w->first),
                                        cchc_date_start_utc_ms (w->last + 1), w->lock_ms };
    for (int l = 0; l < CCHC_LEVEL_COUNT; l++)
        b[3 + l] = w->level_due_ms[l];
    for (int i = 0; i < 3 + CCHC_LEVEL_COUNT; i++)
        if (e->computed_ms < b[i] && b[i] <= now)
            return true;
    return false;
}

/*  True when the entry no longer shows what it should: stored final figures
    change only with the period's events (reopen), live ones with the data,
    the units, the enrolments, the events (a lock) and the calendar. */
static bool
s_entry_stale (const s_entry_t *e, const s_version_t *v, int64_t now)
{
    if (e->fig->stored)
        return e->version.periods != v->periods;
    return !s_version_eq (&e->version, v) || s_boundary_passed (e, now);
}

/*  Poll the versions; reload the agents snapshot if it changed.  Worker
    thread, self->mutex not held. */
static void
s_poll (cchc_api_t *self)
{
    s_version_t v;
    uint64_t key[5];
    int32_t first, last;
    if (s_read_version (self->wdb, &v, key, &first, &last) != 0) {
        static cchc_ratelimit_t rl = CCHC_RATELIMIT_INIT (60000, 1);
        cchc_log_limited (&rl, CCHC_LOG_WARN, "http: version check failed: %s",
                          sqlite3_errmsg (self->wdb));
        return;
    }
    /* the periods the collector stores (states, positions) */
    cchc_period_row_t *prows = NULL;
    size_t prow_count = 0;
    char perr[256];
    if (v.periods >= 0 && cchc_periods_rows (self->wdb, &prows, &prow_count, perr,
                                             sizeof perr) != 0) {
        static cchc_ratelimit_t rl = CCHC_RATELIMIT_INIT (60000, 1);
        cchc_log_limited (&rl, CCHC_LOG_WARN, "http: %s", perr);
    }
    pthread_mutex_lock (&self->mutex);
    free (self->prows);
    self->prows = prows;
    self->prow_count = prow_count;
    self->managed = v.periods >= 0;
    bool agents_changed = memcmp (key, self->agents_key, sizeof key) != 0
                          || !self->agents;
    self->version = v;
    self->data_first = first;
    self->data_last = last;
    pthread_mutex_unlock (&self->mutex);

    /* the province (level tinh) for the dashboard's title */
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (self->wdb, "SELECT code, name FROM unit WHERE level = 'tinh'"
                            " ORDER BY valid_to DESC, valid_from DESC LIMIT 1", -1, &st,
                            NULL) == SQLITE_OK
        && sqlite3_step (st) == SQLITE_ROW) {
        const char *code = (const char *) sqlite3_column_text (st, 0);
        const char *name = (const char *) sqlite3_column_text (st, 1);
        char *dup = name ? strdup (name) : NULL;
        pthread_mutex_lock (&self->mutex);
        cchc_strlcpy (self->province_code, code ? code : "", sizeof self->province_code);
        if (dup) {
            free (self->province_name);
            self->province_name = dup;
        }
        pthread_mutex_unlock (&self->mutex);
    }
    sqlite3_finalize (st);

    if (!agents_changed)
        return;
    char err[256] = "";
    s_agents_t *a = s_load_agents (self->wdb, err, sizeof err);
    if (!a) {
        cchc_warn ("http: %s", err);
        return;
    }
    atomic_fetch_add (&self->agents_loads, 1);
    pthread_mutex_lock (&self->mutex);
    a->generation = ++self->agents_gen;
    s_agents_t *old = self->agents;
    self->agents = a;
    memcpy (self->agents_key, key, sizeof key);
    pthread_mutex_unlock (&self->mutex);
    s_agents_unref (&old);
    /* serialise /api/v1/agents now rather than in the next request */
    s_blob_t *b = s_agents_blob (self, a);
    s_blob_unref (&b);
}

/*  Compute `slot`'s period and publish the result.  Called and returns with
    self->mutex held; releases it while computing. */
static void
s_run_slot (cchc_api_t *self, s_slot_t *slot)
{
    cchc_period_t period = slot->period;
    s_version_t version = self->version;
    slot->computing = true;
    slot->wanted = false;
    pthread_mutex_unlock (&self->mutex);

    char err[256] = "";
    s_entry_t *e = s_compute (self, &period, &version, err, sizeof err);
    if (e)
        s_prebuild (self, e);
    atomic_fetch_add (&self->computations, 1);
    if (e)
        atomic_store (&self->last_compute_ms, e->compute_ms);
    else {
        atomic_fetch_add (&self->compute_failures, 1);
        cchc_warn ("http: roll-up of %s failed: %s", slot->id, err);
    }

    pthread_mutex_lock (&self->mutex);
    slot->computing = false;
    slot->attempts++;
    if (e) {
        s_entry_t *old = slot->entry;
        slot->entry = e;
        slot->failed = false;
        pthread_mutex_unlock (&self->mutex);
        s_entry_unref (&old);
        pthread_mutex_lock (&self->mutex);
    }
    else {
        slot->failed = true;
        slot->failed_mono = cchc_clock_mono_ms ();
        cchc_strlcpy (slot->error, err, sizeof slot->error);
    }
    pthread_cond_broadcast (&self->done);
}

/*  Refresh the status blobs of the entries in use after the agents changed.
    self->mutex held on entry and return. */
static void
s_refresh_status (cchc_api_t *self, int64_t mono)
{
    for (size_t i = 0; i < self->slot_count; i++) {
        s_slot_t *s = &self->slots[i];
        if (!s->used || !s->entry || mono - s->used_mono > self->conf.idle_ms)
            continue;
        s_entry_t *e = s_entry_ref (s->entry);
        pthread_mutex_unlock (&self->mutex);
        s_blob_t *b = s_entry_blob (self, e, S_BLOB_STATUS);
        s_blob_unref (&b);
        s_entry_unref (&e);
        pthread_mutex_lock (&self->mutex);
    }
}

static void *
s_worker (void *arg)
{
    cchc_api_t *self = arg;
    int64_t next_poll = 0;
    uint64_t status_gen = 0;
    pthread_mutex_lock (&self->mutex);
    while (self->running) {
        int64_t mono = cchc_clock_mono_ms ();
        /* 1. first computations somebody waits for */
        s_slot_t *todo = NULL;
        for (size_t i = 0; i < self->slot_count && !todo; i++)
            if (self->slots[i].used && self->slots[i].wanted && !self->slots[i].entry)
                todo = &self->slots[i];
        if (todo) {
            s_run_slot (self, todo);
            continue;
        }
        /* 2. poll the versions */
        if (mono >= next_poll) {
            pthread_mutex_unlock (&self->mutex);
            s_poll (self);
            pthread_mutex_lock (&self->mutex);
            next_poll = mono + self->conf.poll_ms;
            if (self->agents && self->agents->generation != status_gen) {
                status_gen = self->agents->generation;
                s_refresh_status (self, mono);
            }
            /* drop idle periods */
            for (size_t i = 0; i < self->slot_count; i++) {
                s_slot_t *s = &self->slots[i];
                if (s->used && !s->computing && s->waiters == 0
                    && mono - s->used_mono > self->conf.idle_ms) {
                    s_entry_t *e = s->entry;
                    memset (s, 0, sizeof *s);
                    pthread_mutex_unlock (&self->mutex);
                    s_entry_unref (&e);
                    pthread_mutex_lock (&self->mutex);
                }
            }
            /* mark stale periods */
            int64_t now = cchc_clock_now_ms ();
            for (size_t i = 0; i < self->slot_count; i++) {
                s_slot_t *s = &self->slots[i];
                if (s->used && s->entry && !s->computing
                    && s_entry_stale (s->entry, &self->version, now))
                    s->wanted = true;
            }
            continue;
        }
        /* 3. refreshes, each period at most once per refresh_ms */
        s_slot_t *stale = NULL;
        int64_t wait_until = next_poll;
        for (size_t i = 0; i < self->slot_count; i++) {
            s_slot_t *s = &self->slots[i];
            if (!s->used || !s->wanted || !s->entry || s->computing)
                continue;
            int64_t due = s->entry->computed_mono + self->conf.refresh_ms;
            if (due <= mono) {
                if (!stale || s->used_mono > stale->used_mono)
                    stale = s;
            }
            else if (due < wait_until)
                wait_until = due;
        }
        if (stale) {
            s_run_slot (self, stale);
            continue;
        }
        /* 4. sleep until the next poll, a refresh, or a request */
        struct timespec ts;
        clock_gettime (CLOCK_MONOTONIC, &ts);
        int64_t wait = wait_until - mono;
        if (wait < 1)
            wait = 1;
        ts.tv_sec += (time_t) (wait / 1000);
        ts.tv_nsec += (long) (wait % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait (&self->wake, &self->mutex, &ts);
    }
    pthread_mutex_unlock (&self->mutex);
    return NULL;
}

/* ------------------------------------------------------------------------ */
/*  Request side: slots */

/*  Find or make the slot of `period`.  self->mutex held.  NULL when every
    slot is busy. */
static s_slot_t *
s_slot_get (cchc_api_t *self, const cchc_period_t *period)
{
    char id[CCHC_PERIOD_ID_MAX];
    cchc_period_format (period, id, sizeof id);
    s_slot_t *free_slot = NULL, *lru = NULL;
    for (size_t i = 0; i < self->slot_count; i++) {
        s_slot_t *s = &self->slots[i];
        if (!s->used) {
            if (!free_slot)
                free_slot = s;
            continue;
        }
        if (strcmp (s->id, id) == 0)
            return s;
        if (!s->computing && s->waiters == 0 && (!lru || s->used_mono < lru->used_mono))
            lru = s;
    }
    s_slot_t *s = free_slot;
    if (!s && lru) {
        /* evict the least recently used period; its entry lives on while
           requests hold it */
        s_entry_t *e = lru->entry;
        memset (lru, 0, sizeof *lru);
        s_entry_unref (&e);     /* refs > 1 if in use: no free under the lock */
        s = lru;
    }
    if (!s)
        return NULL;
    memset (s, 0, sizeof *s);
    s->used = true;
    s->period = *period;
    cchc_strlcpy (s->id, id, sizeof s->id);
    s->used_mono = cchc_clock_mono_ms ();
    return s;
}

/*  The computed entry of `period`, waiting for its first computation if
    needed.  NULL with an HTTP status and message on failure. */
static s_entry_t *
s_acquire (cchc_api_t *self, const cchc_period_t *period, int *status,
           char *err, size_t errlen)
{
    pthread_mutex_lock (&self->mutex);
    s_slot_t *s = s_slot_get (self, period);
    if (!s) {
        pthread_mutex_unlock (&self->mutex);
        *status = 503;
        cchc_errf (err, errlen, "too many periods being computed; try again shortly");
        return NULL;
    }
    int64_t mono = cchc_clock_mono_ms ();
    s->used_mono = mono;
    if (s->entry) {
        s_entry_t *e = s_entry_ref (s->entry);
        pthread_mutex_unlock (&self->mutex);
        return e;
    }
    if (s->failed && mono - s->failed_mono < self->conf.refresh_ms) {
        *status = 500;
        cchc_errf (err, errlen, "roll-up of %s failed: %s", s->id, s->error);
        pthread_mutex_unlock (&self->mutex);
        return NULL;
    }
    uint64_t attempts = s->attempts;
    s->wanted = true;
    s->waiters++;
    pthread_cond_signal (&self->wake);
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    ts.tv_sec += self->conf.wait_ms / 1000;
    ts.tv_nsec += (long) (self->conf.wait_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    int rc = 0;
    while (!s->entry && s->attempts == attempts && self->running && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait (&self->done, &self->mutex, &ts);
    s->waiters--;
    s_entry_t *e = s_entry_ref (s->entry);
    if (!e) {
        if (s->attempts != attempts) {
            *status = 500;
            cchc_errf (err, errlen, "roll-up of %s failed: %s", s->id, s->error);
        }
        else {
            *status = 503;
            cchc_errf (err, errlen, "the figures of %s are still being computed; "
                   "try again shortly", s->id);
        }
    }
    pthread_mutex_unlock (&self->mutex);
    return e;
}

static s_agents_t *
s_agents_get (cchc_api_t *self)
{
    pthread_mutex_lock (&self->mutex);
    s_agents_t *a = self->agents;
    if (a)
        atomic_fetch_add (&a->refs, 1);
    pthread_mutex_unlock (&self->mutex);
    return a;
}

/* ------------------------------------------------------------------------ */
/*  Replies */

void
cchc_api_reply_release (cchc_api_reply_t *reply)
{
    if (reply && reply->release) {
        reply->release (reply->release_arg);
        reply->release = NULL;
        reply->release_arg = NULL;
    }
    if (reply) {
        reply->body = NULL;
        reply->size = 0;
    }
}

static void
s_reply_init (cchc_api_reply_t *reply)
{
    memset (reply, 0, sizeof *reply);
    reply->status = 500;
    reply->content_type = S_JSON_TYPE;
}

void
cchc_api_reply_error (cchc_api_reply_t *reply, int status, const char *message)
{
    cchc_api_reply_release (reply);
    s_reply_init (reply);
    reply->status = status;
    json_t *o = json_object ();
    json_object_set_new (o, "error", json_string (message && cchc_utf8_valid (
                             message, strlen (message)) ? message : "error"));
    json_object_set_new (o, "status", json_integer (status));
    size_t size = 0;
    char *text = s_dump (o, &size);
    reply->body = text;
    reply->size = text ? size : 0;
    reply->release = free;
    reply->release_arg = text;
    cchc_strlcpy (reply->cache_control, "no-store", sizeof reply->cache_control);
}

static void
s_reply_errorf (cchc_api_reply_t *reply, int status, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static void
s_reply_errorf (cchc_api_reply_t *reply, int status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (msg, sizeof msg, fmt, ap);
    va_end (ap);
    cchc_api_reply_error (reply, status, msg);
}

/*  A JSON reply from a fresh object (steals root). */
static void
s_reply_json (cchc_api_reply_t *reply, json_t *root)
{
    size_t size = 0;
    char *text = s_dump (root, &size);
    if (!text) {
        cchc_api_reply_error (reply, 500, "out of memory");
        return;
    }
    reply->status = 200;
    reply->content_type = S_JSON_TYPE;
    reply->body = text;
    reply->size = size;
    reply->release = free;
    reply->release_arg = text;
    cchc_strlcpy (reply->cache_control, "no-cache", sizeof reply->cache_control);
}

/*  A reply from a blob (takes the reference); 304 on a matching ETag. */
static void
s_reply_blob (cchc_api_reply_t *reply, s_blob_t *b, const char *if_none_match)
{
    reply->content_type = S_JSON_TYPE;
    cchc_strlcpy (reply->etag, b->etag, sizeof reply->etag);
    cchc_strlcpy (reply->cache_control, "no-cache", sizeof reply->cache_control);
    if (if_none_match && b->etag[0] && strstr (if_none_match, b->etag)) {
        reply->status = 304;
        s_blob_unref (&b);
        return;
    }
    reply->status = 200;
    reply->body = b->data;
    reply->size = b->size;
    reply->release = s_blob_release_cb;
    reply->release_arg = b;
}

/* ------------------------------------------------------------------------ */
/*  Serialisers of an entry */

static void
s_common_head (cchc_api_t *self, json_t *root, const s_entry_t *e, int64_t now)
{
    const cchc_rollup_t *r = e->rollup;
    json_object_set_new (root, "period", s_period_json (self, &e->period, now, e));
    json_object_set_new (root, "as_of", cchc_rollup_json_time (r->window.as_of_ms));
    json_object_set_new (root, "journal_max", json_integer (r->journal_max));
    json_object_set_new (root, "journal_position", json_integer (e->fig->journal_pos));
    json_object_set_new (root, "source", json_string (e->fig->stored ? "stored" : "live"));
    if (r->has_previous) {
        char prev[CCHC_PERIOD_ID_MAX];
        cchc_period_format (&r->previous, prev, sizeof prev);
        json_object_set_new (root, "previous", json_string (prev));
    }
    else
        json_object_set_new (root, "previous", json_null ());
}

static json_t *
s_figure_json (const cchc_rollup_figure_t *f)
{
    json_t *o = json_object ();
    json_object_set_new (o, "level", f->level < 0 ? json_string ("all")
                         : json_string (cchc_level_code ((cchc_level_t) f->level)));
    json_object_set_new (o, "level_name", f->level < 0 ? json_string (CCHC_LABEL_PROVINCE)
                         : json_string (cchc_label_level ((cchc_level_t) f->level)));
    json_object_set_new (o, "numerator", cchc_rollup_json_real (f->numerator));
    json_object_set_new (o, "denominator", cchc_rollup_json_real (f->denominator));
    json_object_set_new (o, "value", f->has_value ? cchc_rollup_json_real (f->value) : json_null ());
    json_object_set_new (o, "target", cchc_rollup_json_real (f->target));
    json_object_set_new (o, "met", json_boolean (f->met));
    json_object_set_new (o, "units", json_integer ((json_int_t) f->units));
    json_object_set_new (o, "units_missing", json_integer ((json_int_t) f->units_missing));
    return o;
}

/*  True when some observation behind the unit is dated in the window (gauges
    carried from before the window do not count). */
static bool
s_window_data (const cchc_rollup_t *r, const cchc_rollup_unit_result_t *u)
{
    size_t nm = cchc_criteria_metric_count (r->criteria);
    for (size_t m = 0; m < nm; m++)
        if (u->cells[m].present && u->cells[m].day_last >= r->window.first_day)
            return true;
    return false;
}

static json_t *
s_counts_json (const cchc_rollup_t *r, int level)
{
    size_t units = 0, complete = 0, on_time = 0, late = 0, pending = 0, no_data = 0,
           ranked = 0;
    for (size_t i = 0; i < r->unit_count; i++) {
        const cchc_rollup_unit_result_t *u = &r->units[i];
        if (level >= 0 && (int) u->level != level)
            continue;
        units++;
        complete += u->complete;
        on_time += u->on_time;
        pending += !u->on_time && u->pending;
        late += !u->on_time && !u->pending;
        no_data += !s_window_data (r, u);
        ranked += u->has_index;
    }
    json_t *o = json_object ();
    json_object_set_new (o, "level", level < 0 ? json_string ("all")
                         : json_string (cchc_level_code ((cchc_level_t) level)));
    json_object_set_new (o, "level_name", level < 0 ? json_string (CCHC_LABEL_PROVINCE)
                         : json_string (cchc_label_level ((cchc_level_t) level)));
    json_object_set_new (o, "units", json_integer ((json_int_t) units));
    json_object_set_new (o, "complete", json_integer ((json_int_t) complete));
    json_object_set_new (o, "on_time", json_integer ((json_int_t) on_time));
    json_object_set_new (o, "late", json_integer ((json_int_t) late));
    json_object_set_new (o, "pending", json_integer ((json_int_t) pending));
    json_object_set_new (o, "no_data", json_integer ((json_int_t) no_data));
    json_object_set_new (o, "ranked", json_integer ((json_int_t) ranked));
    json_object_set_new (o, "completeness", units ? json_real ((double) complete / (double) units)
                                                  : json_null ());
    json_object_set_new (o, "timeliness", units ? json_real ((double) on_time / (double) units)
                                                : json_null ());
    return o;
}

static json_t *
s_dist_json (const cchc_rollup_t *r, int level)
{
    const cchc_rollup_dist_t *d = &r->dist[level < 0 ? CCHC_LEVEL_COUNT : level];
    json_t *o = json_object ();
    json_object_set_new (o, "level", level < 0 ? json_string ("all")
                         : json_string (cchc_level_code ((cchc_level_t) level)));
    json_object_set_new (o, "units", json_integer ((json_int_t) d->units));
    json_object_set_new (o, "ranked", json_integer ((json_int_t) d->ranked));
    json_object_set_new (o, "min", cchc_rollup_json_real (d->min));
    json_object_set_new (o, "median", cchc_rollup_json_real (d->median));
    json_object_set_new (o, "max", cchc_rollup_json_real (d->max));
    json_object_set_new (o, "mean", cchc_rollup_json_real (d->mean));
    json_object_set_new (o, "incomplete", json_integer ((json_int_t) d->incomplete));
    json_object_set_new (o, "late", json_integer ((json_int_t) d->late));
    json_object_set_new (o, "ungraded", json_integer ((json_int_t) d->ungraded));
    json_t *grades = json_array ();
    for (size_t g = 0; g < cchc_criteria_grade_count (r->criteria); g++) {
        const cchc_grade_t *grade = cchc_criteria_grade (r->criteria, g);
        json_t *jg = json_object ();
        json_object_set_new (jg, "grade", json_string (grade->name));
        json_object_set_new (jg, "from", json_real (grade->at));
        json_object_set_new (jg, "units", json_integer ((json_int_t) d->grade_counts[g]));
        json_array_append_new (grades, jg);
    }
    json_object_set_new (o, "grades", grades);
    return o;
}

static json_t *
s_summary_json (cchc_api_t *self, const s_entry_t *e, int64_t now)
{
    const cchc_rollup_t *r = e->rollup;
    const cchc_criteria_t *cat = r->criteria;
    json_t *root = json_object ();
    s_common_head (self, root, e, now);
    json_t *targets = json_array (), *others = json_array ();
    size_t ni = cchc_criteria_indicator_count (cat);
    for (size_t i = 0; i < ni; i++) {
        const cchc_indicator_t *ind = cchc_criteria_indicator (cat, i);
        const cchc_rollup_figure_t *all = cchc_rollup_figure (r, i, -1);
        if (!all)
            continue;           /* on_time indicators have no province figure */
        json_t *o = json_object ();
        json_object_set_new (o, "indicator", json_string (ind->code));
        json_object_set_new (o, "name", json_string (ind->name));
        json_object_set_new (o, "area", json_string (cchc_criteria_area (cat, ind->area)->code));
        json_object_set_new (o, "area_name", json_string (cchc_criteria_area (cat, ind->area)->name));
        json_object_set_new (o, "plan", json_boolean (ind->plan));
        json_object_set_new (o, "better", json_string (ind->higher ? "higher" : "lower"));
        json_object_set_new (o, "rate", json_boolean (ind->denominator >= 0));
        json_t *fo = s_figure_json (all);
        json_object_update (o, fo);
        json_decref (fo);
        json_object_del (o, "level");
        json_object_del (o, "level_name");
        json_t *levels = json_array ();
        for (int l = 0; l < CCHC_LEVEL_COUNT; l++) {
            const cchc_rollup_figure_t *f = cchc_rollup_figure (r, i, l);
            if (f)
                json_array_append_new (levels, s_figure_json (f));
        }
        json_object_set_new (o, "levels", levels);
        json_array_append_new (ind->plan ? targets : others, o);
    }
    json_object_set_new (root, "targets", targets);
    json_object_set_new (root, "indicators", others);
    json_t *comp = json_object ();
    json_object_set_new (comp, "all", s_counts_json (r, -1));
    json_t *levels = json_array ();
    for (int l = 0; l < CCHC_LEVEL_COUNT; l++)
        json_array_append_new (levels, s_counts_json (r, l));
    json_object_set_new (comp, "levels", levels);
    json_object_set_new (root, "reporting", comp);
    json_t *dist = json_object ();
    json_object_set_new (dist, "all", s_dist_json (r, -1));
    levels = json_array ();
    for (int l = 0; l < CCHC_LEVEL_COUNT; l++)
        json_array_append_new (levels, s_dist_json (r, l));
    json_object_set_new (dist, "levels", levels);
    json_object_set_new (root, "distribution", dist);
    return root;
}

static json_t *
s_areas_json (const cchc_criteria_t *cat)
{
    json_t *areas = json_array ();
    for (size_t a = 0; a < cchc_criteria_area_count (cat); a++) {
        const cchc_area_t *area = cchc_criteria_area (cat, a);
        json_t *ja = json_object ();
        json_object_set_new (ja, "code", json_string (area->code));
        json_object_set_new (ja, "name", json_string (area->name));
        json_object_set_new (ja, "points", json_real (area->points));
        json_array_append_new (areas, ja);
    }
    return areas;
}

static json_t *
s_rank_unit_json (const s_entry_t *e, const cchc_rollup_unit_result_t *u)
{
    const cchc_criteria_t *cat = e->rollup->criteria;
    json_t *o = json_object ();
    json_object_set_new (o, "code", json_string (u->code));
    json_object_set_new (o, "name", json_string (u->name));
    json_object_set_new (o, "level", json_string (cchc_level_code (u->level)));
    json_object_set_new (o, "parent", s_jstr_or_null (u->parent));
    json_object_set_new (o, "parent_name", s_jstr_or_null (s_entry_unit_name (e, u->parent)));
    json_object_set_new (o, "index", u->has_index ? cchc_rollup_json_real (u->index) : json_null ());
    json_object_set_new (o, "rank", u->rank ? json_integer (u->rank) : json_null ());
    json_object_set_new (o, "grade", s_jstr_or_null (u->grade));
    json_object_set_new (o, "change", u->has_change ? cchc_rollup_json_real (u->change) : json_null ());
    json_object_set_new (o, "previous_rank", u->prev_rank ? json_integer (u->prev_rank)
                                                          : json_null ());
    json_object_set_new (o, "earned", json_real (u->earned));
    json_object_set_new (o, "applicable", json_real (u->applicable));
    json_object_set_new (o, "complete", json_boolean (u->complete));
    json_object_set_new (o, "on_time", json_boolean (u->on_time));
    json_object_set_new (o, "pending", json_boolean (u->pending));
    json_object_set_new (o, "metrics_expected", json_integer ((json_int_t) u->metrics_expected));
    json_object_set_new (o, "metrics_reported", json_integer ((json_int_t) u->metrics_reported));
    json_object_set_new (o, "indicators_missing", json_integer ((json_int_t) u->indicators_missing));
    json_t *areas = json_array ();
    for (size_t a = 0; a < cchc_criteria_area_count (cat); a++) {
        json_t *ja = json_object ();
        json_object_set_new (ja, "code", json_string (cchc_criteria_area (cat, a)->code));
        json_object_set_new (ja, "earned", json_real (u->area_earned[a]));
        json_object_set_new (ja, "applicable", json_real (u->area_applicable[a]));
        json_array_append_new (areas, ja);
    }
    json_object_set_new (o, "areas", areas);
    return o;
}

static json_t *
s_ranking_json (cchc_api_t *self, const s_entry_t *e, int level, int64_t now)
{
    const cchc_rollup_t *r = e->rollup;
    json_t *root = json_object ();
    s_common_head (self, root, e, now);
    json_object_set_new (root, "level", level < 0 ? json_string ("all")
                         : json_string (cchc_level_code ((cchc_level_t) level)));
    json_object_set_new (root, "level_name", level < 0 ? json_string (CCHC_LABEL_ALL_LEVELS)
                         : json_string (cchc_label_level ((cchc_level_t) level)));
    json_object_set_new (root, "areas", s_areas_json (r->criteria));
    size_t n = 0;
    size_t *idx = cchc_rollup_ranking (r, level, &n);
    json_t *units = json_array ();
    for (size_t i = 0; idx && i < n; i++)
        json_array_append_new (units, s_rank_unit_json (e, &r->units[idx[i]]));
    free (idx);
    json_object_set_new (root, "units", units);
    return root;
}

static json_t *
s_units_json (cchc_api_t *self, const s_entry_t *e, int64_t now)
{
    const cchc_rollup_t *r = e->rollup;
    json_t *root = json_object ();
    s_common_head (self, root, e, now);
    json_t *units = json_array ();
    for (size_t k = 0; k < r->unit_count; k++) {
        const cchc_rollup_unit_result_t *u = &r->units[e->by_code[k]];
        json_t *o = json_object ();
        json_object_set_new (o, "code", json_string (u->code));
        json_object_set_new (o, "name", json_string (u->name));
        json_object_set_new (o, "level", json_string (cchc_level_code (u->level)));
        json_object_set_new (o, "parent", s_jstr_or_null (u->parent));
        json_object_set_new (o, "index", u->has_index ? cchc_rollup_json_real (u->index) : json_null ());
        json_object_set_new (o, "rank", u->rank ? json_integer (u->rank) : json_null ());
        json_array_append_new (units, o);
    }
    json_object_set_new (root, "units", units);
    return root;
}

/*  Reporting status rows of an entry, in level then code order.  The rows
    point into `e` and `a`: keep both while using them. */
static cchc_status_row_t *
s_status_rows (cchc_api_t *self, const s_entry_t *e, const s_agents_t *a, int64_t now,
               size_t *count)
{
    const cchc_rollup_t *r = e->rollup;
    cchc_status_row_t *rows = calloc (r->unit_count ? r->unit_count : 1, sizeof *rows);
    if (!rows)
        return NULL;
    size_t n = 0;
    for (int l = 0; l < CCHC_LEVEL_COUNT; l++)
        for (size_t k = 0; k < r->unit_count; k++) {
            const cchc_rollup_unit_result_t *u = &r->units[e->by_code[k]];
            if ((int) u->level != l)
                continue;
            cchc_status_row_t *row = &rows[n++];
            row->code = u->code;
            row->name = u->name;
            row->level = u->level;
            row->parent_name = s_entry_unit_name (e, u->parent);
            row->last_received_ms = u->last_received_ms;
            row->metrics_expected = u->metrics_expected;
            row->metrics_reported = u->metrics_reported;
            row->complete = u->complete;
            row->on_time = u->on_time;
            row->pending = !u->on_time && u->pending;
            row->late = !u->on_time && !u->pending;
            row->no_data = !s_window_data (r, u);
            for (size_t i = a ? s_agents_first (a, u->code) : 0;
                 a && i < a->count && strcmp (a->agents[i].unit, u->code) == 0; i++) {
                const s_agent_t *g = &a->agents[i];
                row->rejected += g->rejected;
                row->accepted += g->accepted;
                if (g->revoked_at)
                    continue;
                row->agents++;
                if (g->last_seen > row->last_seen_ms)
                    row->last_seen_ms = g->last_seen;
            }
            row->days_silent = row->last_seen_ms > 0
                ? (int) ((now - row->last_seen_ms) / CCHC_DAY_MS) : -1;
            row->silent = row->agents == 0 || row->last_seen_ms == 0
                          || now - row->last_seen_ms
                             >= (int64_t) self->conf.silent_days * CCHC_DAY_MS;
        }
    *count = n;
    return rows;
}

static json_t *
s_status_json (cchc_api_t *self, const s_entry_t *e, const s_agents_t *a, int64_t now)
{
    json_t *root = json_object ();
    s_common_head (self, root, e, now);
    json_object_set_new (root, "now", cchc_rollup_json_time (now));
    json_object_set_new (root, "silent_days", json_integer (self->conf.silent_days));
    size_t n = 0;
    cchc_status_row_t *rows = s_status_rows (self, e, a, now, &n);
    size_t counts[CCHC_LEVEL_COUNT + 1][8];
    memset (counts, 0, sizeof counts);
    json_t *units = json_array ();
    for (size_t i = 0; rows && i < n; i++) {
        const cchc_status_row_t *row = &rows[i];
        size_t *c[2] = { counts[row->level], counts[CCHC_LEVEL_COUNT] };
        for (int k = 0; k < 2; k++) {
            c[k][0]++;
            c[k][1] += row->complete;
            c[k][2] += row->on_time;
            c[k][3] += row->late;
            c[k][4] += row->pending;
            c[k][5] += row->no_data;
            c[k][6] += row->silent;
            c[k][7] += row->rejected > 0;
        }
        json_t *o = json_object ();
        json_object_set_new (o, "code", json_string (row->code));
        json_object_set_new (o, "name", json_string (row->name));
        json_object_set_new (o, "level", json_string (cchc_level_code (row->level)));
        json_object_set_new (o, "parent_name", s_jstr_or_null (row->parent_name));
        json_object_set_new (o, "agents", json_integer (row->agents));
        json_object_set_new (o, "last_seen", cchc_rollup_json_time (row->last_seen_ms));
        json_object_set_new (o, "days_silent", row->days_silent >= 0
                             ? json_integer (row->days_silent) : json_null ());
        json_object_set_new (o, "last_received", cchc_rollup_json_time (row->last_received_ms));
        json_object_set_new (o, "metrics_expected", json_integer ((json_int_t) row->metrics_expected));
        json_object_set_new (o, "metrics_reported", json_integer ((json_int_t) row->metrics_reported));
        json_object_set_new (o, "complete", json_boolean (row->complete));
        json_object_set_new (o, "on_time", json_boolean (row->on_time));
        json_object_set_new (o, "pending", json_boolean (row->pending));
        json_object_set_new (o, "late", json_boolean (row->late));
        json_object_set_new (o, "no_data", json_boolean (row->no_data));
        json_object_set_new (o, "silent", json_boolean (row->silent));
        json_object_set_new (o, "accepted", json_integer (row->accepted));
        json_object_set_new (o, "rejected", json_integer (row->rejected));
        json_array_append_new (units, o);
    }
    free (rows);
    static const char *names[8] = { "units", "complete", "on_time", "late", "pending",
                                    "no_data", "silent", "with_rejected" };
    json_t *levels = json_array ();
    for (int l = 0; l <= CCHC_LEVEL_COUNT; l++) {
        json_t *o = json_object ();
        json_object_set_new (o, "level", l == CCHC_LEVEL_COUNT ? json_string ("all")
                             : json_string (cchc_level_code ((cchc_level_t) l)));
        json_object_set_new (o, "level_name", l == CCHC_LEVEL_COUNT ? json_string (CCHC_LABEL_PROVINCE)
                             : json_string (cchc_label_level ((cchc_level_t) l)));
        for (int k = 0; k < 8; k++)
            json_object_set_new (o, names[k], json_integer ((json_int_t) counts[l][k]));
        if (l == CCHC_LEVEL_COUNT)
            json_object_set_new (root, "all", o);
        else
            json_array_append_new (levels, o);
    }
    json_object_set_new (root, "levels", levels);
    json_object_set_new (root, "units", units);
    return root;
}

/*  The entry's blob `key`, built if missing or (status) outdated.  New
    reference, or NULL on out of memory. */
static s_blob_t *
s_entry_blob (cchc_api_t *self, s_entry_t *e, int key)
{
    assert (key >= 0 && key < S_BLOB_COUNT);
    s_agents_t *a = key == S_BLOB_STATUS ? s_agents_get (self) : NULL;
    uint64_t agents_gen = a ? a->generation : 0;
    int64_t mono = cchc_clock_mono_ms ();
    pthread_mutex_lock (&e->blob_mutex);
    s_blob_t *b = e->blobs[key];
    if (b && (key != S_BLOB_STATUS
              || (b->agents_gen == agents_gen
                  && mono - b->built_mono < S_STATUS_MAX_AGE_MS))) {
        s_blob_ref (b);
        pthread_mutex_unlock (&e->blob_mutex);
        s_agents_unref (&a);
        return b;
    }
    int64_t now = cchc_clock_now_ms ();
    json_t *root = NULL;
    if (key == S_BLOB_SUMMARY)
        root = s_summary_json (self, e, now);
    else if (key >= S_BLOB_RANK_SO && key < S_BLOB_RANK_SO + CCHC_LEVEL_COUNT)
        root = s_ranking_json (self, e, key - S_BLOB_RANK_SO, now);
    else if (key == S_BLOB_RANK_ALL)
        root = s_ranking_json (self, e, -1, now);
    else if (key == S_BLOB_UNITS)
        root = s_units_json (self, e, now);
    else
        root = s_status_json (self, e, a, now);
    size_t size = 0;
    char *text = s_dump (root, &size);
    char etag[64];
    snprintf (etag, sizeof etag, "\"%s-%llu-%d-%llu\"", self->instance,
              (unsigned long long) e->generation, key,
              (unsigned long long) (key == S_BLOB_STATUS ? agents_gen * 100000
                                    + (uint64_t) (mono / S_STATUS_MAX_AGE_MS % 100000) : 0));
    s_blob_t *nb = text ? s_blob_new (text, size, etag) : NULL;
    if (nb) {
        nb->agents_gen = agents_gen;
        s_blob_unref (&e->blobs[key]);
        e->blobs[key] = s_blob_ref (nb);
    }
    pthread_mutex_unlock (&e->blob_mutex);
    s_agents_unref (&a);
    return nb;
}

/* ------------------------------------------------------------------------ */
/*  Catalogue */

static json_t *
s_levels_mask_json (unsigned mask)
{
    json_t *a = json_array ();
    for (int l = 0; l < CCHC_LEVEL_COUNT; l++)
        if (mask & CCHC_LEVEL_BIT (l))
            json_array_append_new (a, json_string (cchc_level_code ((cchc_level_t) l)));
    return a;
}

static json_t *
s_catalogue_json (const cchc_criteria_t *cat)
{
    json_t *root = json_object ();
    json_object_set_new (root, "name", json_string (cchc_criteria_name (cat)));
    json_object_set_new (root, "year", json_integer (cchc_criteria_year (cat)));
    json_object_set_new (root, "total", json_real (cchc_criteria_total (cat)));
    json_object_set_new (root, "due_day", json_integer (cchc_criteria_due_day (cat)));
    json_t *dues = json_object ();
    for (int l = 0; l < CCHC_LEVEL_COUNT; l++)
        json_object_set_new (dues, cchc_level_code ((cchc_level_t) l),
                             json_integer (cchc_criteria_level_due_day (cat, (cchc_level_t) l)));
    json_object_set_new (root, "due_days", dues);
    json_object_set_new (root, "lock_day", json_integer (cchc_criteria_lock_day (cat)));
    json_t *levels = json_array ();
    for (int l = 0; l < CCHC_LEVEL_COUNT; l++) {
        json_t *o = json_object ();
        json_object_set_new (o, "code", json_string (cchc_level_code ((cchc_level_t) l)));
        json_object_set_new (o, "name", json_string (cchc_label_level ((cchc_level_t) l)));
        json_array_append_new (levels, o);
    }
    json_object_set_new (root, "levels", levels);
    json_t *grades = json_array ();
    for (size_t g = 0; g < cchc_criteria_grade_count (cat); g++) {
        json_t *o = json_object ();
        json_object_set_new (o, "name", json_string (cchc_criteria_grade (cat, g)->name));
        json_object_set_new (o, "from", json_real (cchc_criteria_grade (cat, g)->at));
        json_array_append_new (grades, o);
    }
    json_object_set_new (root, "grades", grades);
    json_object_set_new (root, "areas", s_areas_json (cat));
    json_t *metrics = json_array ();
    for (size_t m = 0; m < cchc_criteria_metric_count (cat); m++) {
        const cchc_metric_t *metric = cchc_criteria_metric (cat, m);
        json_t *o = json_object ();
        json_object_set_new (o, "code", json_string (metric->code));
        json_object_set_new (o, "name", json_string (metric->name));
        json_object_set_new (o, "kind", json_string (metric->kind == CCHC_METRIC_GAUGE
                                                     ? "gauge" : "counter"));
        json_object_set_new (o, "levels", s_levels_mask_json (metric->levels));
        json_array_append_new (metrics, o);
    }
    json_object_set_new (root, "metrics", metrics);
    json_t *inds = json_array ();
    for (size_t i = 0; i < cchc_criteria_indicator_count (cat); i++) {
        const cchc_indicator_t *ind = cchc_criteria_indicator (cat, i);
        json_t *o = json_object ();
        json_object_set_new (o, "code", json_string (ind->code));
        json_object_set_new (o, "name", json_string (ind->name));
        json_object_set_new (o, "area", json_string (cchc_criteria_area (cat, ind->area)->code));
        json_object_set_new (o, "rule", json_string (s_rule_code (ind->rule)));
        json_object_set_new (o, "numerator", ind->numerator >= 0 ? json_string (
            cchc_criteria_metric (cat, (size_t) ind->numerator)->code) : json_null ());
        json_object_set_new (o, "denominator", ind->denominator >= 0 ? json_string (
            cchc_criteria_metric (cat, (size_t) ind->denominator)->code) : json_null ());
        json_object_set_new (o, "better", json_string (ind->higher ? "higher" : "lower"));
        json_object_set_new (o, "points", json_real (ind->points));
        json_object_set_new (o, "plan", json_boolean (ind->plan));
        json_object_set_new (o, "rate", json_boolean (ind->denominator >= 0
                                                      || ind->rule == CCHC_RULE_ON_TIME));
        json_object_set_new (o, "levels", s_levels_mask_json (ind->levels));
        json_t *targets = json_object ();
        for (int l = 0; l < CCHC_LEVEL_COUNT; l++)
            json_object_set_new (targets, cchc_level_code ((cchc_level_t) l),
                                 cchc_rollup_json_real (ind->target[l]));
        json_object_set_new (o, "targets", targets);
        json_array_append_new (inds, o);
    }
    json_object_set_new (root, "indicators", inds);
    return root;
}

/* ------------------------------------------------------------------------ */
/*  Parameters */

/*  The `period` parameter, or the default period.  0, or -1 with a reply. */
static int
s_param_period (cchc_api_t *self, cchc_api_param_fn *param, void *arg,
                cchc_period_t *p, cchc_api_reply_t *reply)
{
    const char *text = param (arg, "period");
    int64_t now = cchc_clock_now_ms ();
    if (!text || !*text) {
        s_default_period (self, now, p);
        return 0;
    }
    if (strlen (text) >= CCHC_PERIOD_ID_MAX || cchc_period_parse (text, p) != 0) {
        s_reply_errorf (reply, 404, "unknown period '%.16s': expected an id like "
                        "2021-Q1, 2021-H1, 2021-9M, 2021 or 2021-03", text);
        return -1;
    }
    cchc_rollup_window_t w;
    cchc_rollup_window (self->criteria, p, now, &w);
    if (s_future (&w, now)) {
        s_reply_errorf (reply, 404, "unknown period '%s': it has not started yet", w.id);
        return -1;
    }
    return 0;
}

/*  The `level` parameter: 0..2, -1 for "all" or absent when allowed. */
static int
s_param_level (cchc_api_param_fn *param, void *arg, bool allow_all, int *level,
               cchc_api_reply_t *reply)
{
    const char *text = param (arg, "level");
    cchc_level_t l;
    if ((!text || !*text || strcmp (text, "all") == 0) && allow_all) {
        *level = -1;
        return 0;
    }
    if (!text || cchc_level_parse (text, &l) != 0) {
        s_reply_errorf (reply, 400, "bad level '%.16s': expected so, huyen or xa%s",
                        text ? text : "", allow_all ? " (or all)" : "");
        return -1;
    }
    *level = (int) l;
    return 0;
}

/* ------------------------------------------------------------------------ */
/*  Handlers */

static void
s_get_catalogue (cchc_api_t *self, const char *inm, cchc_api_reply_t *reply)
{
    s_reply_blob (reply, s_blob_ref (self->catalogue), inm);
}

static void
s_get_periods (cchc_api_t *self, cchc_api_reply_t *reply)
{
    int64_t now = cchc_clock_now_ms ();
    cchc_date_t today = cchc_date_from_utc_ms (now);
    pthread_mutex_lock (&self->mutex);
    int32_t first = self->data_first, last = self->data_last;
    char province_code[CCHC_UNIT_MAX + 1];
    cchc_strlcpy (province_code, self->province_code, sizeof province_code);
    char *province_name = self->province_name ? strdup (self->province_name) : NULL;
    pthread_mutex_unlock (&self->mutex);

    cchc_date_t from = today;
    if (first > 0) {
        cchc_date_t d = cchc_rollup_date_of (first);
        if (d >= 0 && d < today)
            from = d;
    }
    json_t *root = json_object ();
    json_object_set_new (root, "now", cchc_rollup_json_time (now));
    json_object_set_new (root, "today", cchc_rollup_json_day (cchc_rollup_yyyymmdd (today)));
    /* the demonstration clock (common/clock.h), when the collector runs on one */
    json_t *clock = json_object ();
    json_object_set_new (clock, "demo", json_boolean (cchc_clock_is_demo ()));
    json_object_set_new (clock, "speed", json_integer (cchc_clock_speed ()));
    json_object_set_new (root, "clock", clock);
    json_object_set_new (root, "data_first_day", first > 0 ? cchc_rollup_json_day (first) : json_null ());
    json_object_set_new (root, "data_last_day", last > 0 ? cchc_rollup_json_day (last) : json_null ());
    json_t *prov = json_object ();
    json_object_set_new (prov, "code", json_string (province_code));
    json_object_set_new (prov, "name", s_jstr_or_null (province_name));
    json_object_set_new (root, "province", prov);
    free (province_name);
    cchc_period_t def;
    s_default_period (self, now, &def);
    char id[CCHC_PERIOD_ID_MAX];
    cchc_period_format (&def, id, sizeof id);
    json_object_set_new (root, "default", json_string (id));

    json_t *periods = json_array ();
    static const cchc_period_kind_t kinds[] = { CCHC_PERIOD_YEAR, CCHC_PERIOD_NINE_MONTHS,
        CCHC_PERIOD_HALF, CCHC_PERIOD_QUARTER, CCHC_PERIOD_MONTH };
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        cchc_period_t p;
        if (cchc_period_of (kinds[k], from, &p) != 0) {
            /* 9 months: from lies between 15/09 and 14/12, take next year's */
            cchc_period_t y;
            cchc_period_of (CCHC_PERIOD_YEAR, from, &y);
            p = (cchc_period_t) { CCHC_PERIOD_NINE_MONTHS, y.year + 1, 1 };
        }
        json_t *list = json_array ();
        for (int guard = 0; guard < 1200; guard++) {
            cchc_date_t a, b;
            cchc_period_window (&p, &a, &b);
            if (a > today)
                break;
            json_array_insert_new (list, 0, s_period_json (self, &p, now, NULL));
            cchc_period_t next;
            cchc_period_next (&p, &next);
            p = next;
        }
        json_array_extend (periods, list);
        json_decref (list);
    }
    json_object_set_new (root, "periods", periods);
    s_reply_json (reply, root);
}

static void
s_get_entry_blob (cchc_api_t *self, int key, const cchc_period_t *p, const char *inm,
                  cchc_api_reply_t *reply)
{
    int status = 500;
    char err[320];
    s_entry_t *e = s_acquire (self, p, &status, err, sizeof err);
    if (!e) {
        cchc_api_reply_error (reply, status, err);
        return;
    }
    s_blob_t *b = s_entry_blob (self, e, key);
    s_entry_unref (&e);
    if (!b) {
        cchc_api_reply_error (reply, 500, "out of memory");
        return;
    }
    s_reply_blob (reply, b, inm);
}

static json_t *
s_agent_json (const s_agent_t *g, int64_t now, int silent_days, bool with_unit)
{
    json_t *o = json_object ();
    json_object_set_new (o, "id", json_integer (g->id));
    json_object_set_new (o, "name", json_string (g->name));
    if (with_unit) {
        json_object_set_new (o, "unit", json_string (g->unit));
        json_object_set_new (o, "unit_name", s_jstr_or_null (g->unit_name));
    }
    json_object_set_new (o, "key", json_string (g->key));
    json_object_set_new (o, "enrolled_at", cchc_rollup_json_time (g->enrolled_at));
    json_object_set_new (o, "revoked_at", cchc_rollup_json_time (g->revoked_at));
    json_object_set_new (o, "active", json_boolean (g->revoked_at == 0));
    json_object_set_new (o, "last_seen", cchc_rollup_json_time (g->last_seen));
    json_object_set_new (o, "days_silent", g->last_seen > 0
                         ? json_integer ((now - g->last_seen) / CCHC_DAY_MS) : json_null ());
    json_object_set_new (o, "silent", json_boolean (
        g->revoked_at == 0 && (g->last_seen <= 0
                               || now - g->last_seen >= (int64_t) silent_days * CCHC_DAY_MS)));
    json_object_set_new (o, "last_seq", json_integer (g->last_seq));
    json_object_set_new (o, "accepted", json_integer (g->accepted));
    json_object_set_new (o, "duplicates", json_integer (g->duplicates));
    json_object_set_new (o, "rejected", json_integer (g->rejected));
    return o;
}

static void
s_get_unit (cchc_api_t *self, const char *code, const cchc_period_t *p,
            cchc_api_reply_t *reply)
{
    if (!cchc_unit_code_valid (code, strlen (code))) {
        s_reply_errorf (reply, 404, "unknown unit '%.32s'", code);
        return;
    }
    int status = 500;
    char err[320];
    s_entry_t *e = s_acquire (self, p, &status, err, sizeof err);
    if (!e) {
        cchc_api_reply_error (reply, status, err);
        return;
    }
    int ui = s_entry_unit (e, code);
    if (ui < 0) {
        s_reply_errorf (reply, 404, "unknown unit '%s' (not a scored unit in %s)", code,
                        e->id);
        s_entry_unref (&e);
        return;
    }
    const cchc_rollup_t *r = e->rollup;
    const cchc_criteria_t *cat = r->criteria;
    const cchc_rollup_unit_result_t *u = &r->units[ui];
    int64_t now = cchc_clock_now_ms ();
    json_t *full = cchc_rollup_json (r, code);
    json_t *ju = full ? json_array_get (json_object_get (full, "units"), 0) : NULL;
    if (!ju) {
        json_decref (full);
        s_entry_unref (&e);
        cchc_api_reply_error (reply, 500, "out of memory");
        return;
    }
    json_incref (ju);
    json_decref (full);
    /* names beside the codes */
    json_object_set_new (ju, "level_name", json_string (cchc_label_level (u->level)));
    json_object_set_new (ju, "parent_name", s_jstr_or_null (s_entry_unit_name (e, u->parent)));
    json_object_set_new (ju, "has_index", json_boolean (u->has_index));
    size_t level_units = 0;
    for (size_t i = 0; i < r->unit_count; i++)
        level_units += r->units[i].level == u->level && r->units[i].has_index;
    json_object_set_new (ju, "ranked_in_level", json_integer ((json_int_t) level_units));
    json_t *areas = json_object_get (ju, "areas");
    for (size_t a = 0; a < json_array_size (areas); a++) {
        json_t *ja = json_array_get (areas, a);
        const cchc_area_t *area = cchc_criteria_area (cat, a);
        json_object_set_new (ja, "name", json_string (area->name));
        json_object_set_new (ja, "points", json_real (area->points));
    }
    json_t *inds = json_object_get (ju, "indicators");
    for (size_t i = 0; i < json_array_size (inds); i++) {
        json_t *ji = json_array_get (inds, i);
        const cchc_indicator_t *ind = cchc_criteria_indicator (cat, i);
        json_object_set_new (ji, "name", json_string (ind->name));
        json_object_set_new (ji, "area_name", json_string (cchc_criteria_area (cat, ind->area)->name));
        json_object_set_new (ji, "state_name", json_string (
            cchc_score_state_name (u->scores[i].state)));
        json_object_set_new (ji, "rule", json_string (s_rule_code (ind->rule)));
        json_object_set_new (ji, "better", json_string (ind->higher ? "higher" : "lower"));
        json_object_set_new (ji, "rate", json_boolean (ind->denominator >= 0
                                                       || ind->rule == CCHC_RULE_ON_TIME));
        json_object_set_new (ji, "numerator_metric", ind->numerator >= 0 ? json_string (
            cchc_criteria_metric (cat, (size_t) ind->numerator)->code) : json_null ());
        json_object_set_new (ji, "denominator_metric", ind->denominator >= 0 ? json_string (
            cchc_criteria_metric (cat, (size_t) ind->denominator)->code) : json_null ());
    }
    json_t *metrics = json_object_get (ju, "metrics");
    for (size_t m = 0; m < json_array_size (metrics); m++)
        json_object_set_new (json_array_get (metrics, m), "name",
                             json_string (cchc_criteria_metric (cat, m)->name));

    json_t *root = json_object ();
    s_common_head (self, root, e, now);
    json_object_set_new (root, "unit", ju);
    json_t *agents = json_array ();
    s_agents_t *a = s_agents_get (self);
    for (size_t i = a ? s_agents_first (a, code) : 0;
         a && i < a->count && strcmp (a->agents[i].unit, code) == 0; i++)
        json_array_append_new (agents, s_agent_json (&a->agents[i], now,
                                                     self->conf.silent_days, false));
    s_agents_unref (&a);
    json_object_set_new (root, "agents", agents);
    s_entry_unref (&e);
    s_reply_json (reply, root);
}

/*  The /api/v1/agents reply of snapshot `a`, built if missing or older than
    a minute ("days silent" moves with time).  New reference or NULL. */
static s_blob_t *
s_agents_blob (cchc_api_t *self, s_agents_t *a)
{
    int64_t mono = cchc_clock_mono_ms ();
    pthread_mutex_lock (&self->agents_blob_mutex);
    s_blob_t *b = self->agents_blob;
    if (!b || b->agents_gen != a->generation || mono - b->built_mono >= S_STATUS_MAX_AGE_MS) {
        int64_t now = cchc_clock_now_ms ();
        json_t *root = json_object ();
        json_object_set_new (root, "now", cchc_rollup_json_time (now));
        json_object_set_new (root, "silent_days", json_integer (self->conf.silent_days));
        json_t *list = json_array ();
        size_t active = 0, silent = 0;
        for (size_t i = 0; i < a->count; i++) {
            json_t *o = s_agent_json (&a->agents[i], now, self->conf.silent_days, true);
            active += a->agents[i].revoked_at == 0;
            silent += json_is_true (json_object_get (o, "silent"));
            json_array_append_new (list, o);
        }
        json_object_set_new (root, "total", json_integer ((json_int_t) a->count));
        json_object_set_new (root, "active", json_integer ((json_int_t) active));
        json_object_set_new (root, "silent", json_integer ((json_int_t) silent));
        json_object_set_new (root, "agents", list);
        size_t size = 0;
        char *text = s_dump (root, &size);
        char etag[64];
        snprintf (etag, sizeof etag, "\"%s-a%llu-%lld\"", self->instance,
                  (unsigned long long) a->generation, (long long) (mono / 1000));
        s_blob_t *nb = text ? s_blob_new (text, size, etag) : NULL;
        if (nb) {
            nb->agents_gen = a->generation;
            s_blob_unref (&self->agents_blob);
            self->agents_blob = nb;
        }
        b = nb;
    }
    s_blob_ref (b);
    pthread_mutex_unlock (&self->agents_blob_mutex);
    return b;
}

static void
s_get_agents (cchc_api_t *self, const char *inm, cchc_api_reply_t *reply)
{
    s_agents_t *a = s_agents_get (self);
    if (!a) {
        cchc_api_reply_error (reply, 503, "the agent table is not loaded yet");
        return;
    }
    s_blob_t *b = s_agents_blob (self, a);
    s_agents_unref (&a);
    if (!b) {
        cchc_api_reply_error (reply, 500, "out of memory");
        return;
    }
    s_reply_blob (reply, b, inm);
}

static void
s_get_health (cchc_api_t *self, cchc_api_reply_t *reply)
{
    char err[256] = "";
    sqlite3 *db = s_pool_get (self, err, sizeof err);
    if (!db) {
        cchc_api_reply_error (reply, 500, err);
        return;
    }
    int64_t now = cchc_clock_now_ms ();
    json_t *root = json_object ();
    json_object_set_new (root, "status", json_string ("ok"));
    json_object_set_new (root, "version", json_string (CCHC_VERSION));
    json_object_set_new (root, "now", cchc_rollup_json_time (now));
    json_object_set_new (root, "started_at", cchc_rollup_json_time (self->started_ms));
    json_object_set_new (root, "uptime_s", json_integer ((now - self->started_ms) / 1000));

    json_t *stats = json_object ();
    int64_t stats_updated = 0;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (db, "SELECT name, value, updated_at FROM stats ORDER BY name",
                            -1, &st, NULL) == SQLITE_OK) {
        while (sqlite3_step (st) == SQLITE_ROW) {
            const char *name = (const char *) sqlite3_column_text (st, 0);
            if (!name)
                continue;
            json_object_set_new (stats, name, sqlite3_column_type (st, 1) == SQLITE_INTEGER
                                 ? json_integer (sqlite3_column_int64 (st, 1))
                                 : cchc_rollup_json_real (sqlite3_column_double (st, 1)));
            int64_t at = sqlite3_column_int64 (st, 2);
            if (at > stats_updated)
                stats_updated = at;
        }
    }
    sqlite3_finalize (st);
    s_pool_put (self, db);
    /* the rest from the worker's latest poll and agents snapshot: no scan */
    json_t *db_o = json_object ();
    s_agents_t *a = s_agents_get (self);
    int64_t agents = 0, active = 0, rejected = 0, accepted = 0, duplicates = 0;
    for (size_t i = 0; a && i < a->count; i++) {
        agents++;
        active += a->agents[i].revoked_at == 0;
        rejected += a->agents[i].rejected;
        accepted += a->agents[i].accepted;
        duplicates += a->agents[i].duplicates;
    }
    s_agents_unref (&a);
    pthread_mutex_lock (&self->mutex);
    s_version_t v = self->version;
    pthread_mutex_unlock (&self->mutex);
    json_object_set_new (db_o, "journal_max", json_integer (v.journal_max));
    json_object_set_new (db_o, "units", json_integer (v.units));
    json_object_set_new (db_o, "agents", json_integer (agents));
    json_object_set_new (db_o, "agents_active", json_integer (active));
    json_object_set_new (db_o, "accepted", json_integer (accepted));
    json_object_set_new (db_o, "duplicates", json_integer (duplicates));
    json_object_set_new (db_o, "rejected", json_integer (rejected));

    json_t *collector = json_object ();
    json_object_set_new (collector, "running", json_boolean (
        stats_updated > 0 && now - stats_updated < 15000));
    json_object_set_new (collector, "stats_updated_at", cchc_rollup_json_time (stats_updated));
    json_object_set_new (collector, "stats", stats);
    json_object_set_new (root, "collector", collector);
    json_object_set_new (root, "database", db_o);

    json_t *cache = json_object ();
    pthread_mutex_lock (&self->mutex);
    json_t *cached = json_array ();
    for (size_t i = 0; i < self->slot_count; i++) {
        const s_slot_t *s = &self->slots[i];
        if (!s->used)
            continue;
        json_t *o = json_object ();
        json_object_set_new (o, "period", json_string (s->id));
        json_object_set_new (o, "computed_at", s->entry ? cchc_rollup_json_time (s->entry->computed_ms)
                                                        : json_null ());
        json_object_set_new (o, "compute_ms", s->entry ? json_integer (s->entry->compute_ms)
                                                       : json_null ());
        json_object_set_new (o, "journal_max", s->entry
                             ? json_integer (s->entry->version.journal_max) : json_null ());
        json_object_set_new (o, "computing", json_boolean (s->computing));
        json_object_set_new (o, "stale", json_boolean (s->wanted));
        json_object_set_new (o, "error", s->failed ? json_string (s->error) : json_null ());
        json_array_append_new (cached, o);
    }
    json_object_set_new (cache, "journal_max", json_integer (self->version.journal_max));
    pthread_mutex_unlock (&self->mutex);
    json_object_set_new (cache, "periods", cached);
    json_object_set_new (cache, "computations", json_integer (
        (json_int_t) atomic_load (&self->computations)));
    json_object_set_new (cache, "failures", json_integer (
        (json_int_t) atomic_load (&self->compute_failures)));
    json_object_set_new (cache, "last_compute_ms", json_integer (
        (json_int_t) atomic_load (&self->last_compute_ms)));
    json_object_set_new (root, "cache", cache);

    json_t *http = json_object ();
    json_object_set_new (http, "requests", json_integer ((json_int_t) atomic_load (&self->http_requests)));
    json_object_set_new (http, "status_2xx", json_integer ((json_int_t) atomic_load (&self->http_2xx)));
    json_object_set_new (http, "status_3xx", json_integer ((json_int_t) atomic_load (&self->http_3xx)));
    json_object_set_new (http, "status_4xx", json_integer ((json_int_t) atomic_load (&self->http_4xx)));
    json_object_set_new (http, "status_5xx", json_integer ((json_int_t) atomic_load (&self->http_5xx)));
    json_object_set_new (root, "http", http);
    s_reply_json (reply, root);
}

static void
s_get_trend (cchc_api_t *self, cchc_api_param_fn *param, void *arg,
             cchc_api_reply_t *reply)
{
    const cchc_criteria_t *cat = self->criteria;
    const char *code = param (arg, "code");
    if (!code || !*code)
        code = "index";
    int ind = -1;
    if (strcmp (code, "index") != 0) {
        ind = cchc_criteria_indicator_find (cat, code);
        if (ind < 0) {
            s_reply_errorf (reply, 404, "unknown indicator '%.48s' (use an indicator "
                            "code of the catalogue, or index)", code);
            return;
        }
    }
    const char *unit = param (arg, "unit");
    if (unit && !*unit)
        unit = NULL;
    int level = -1;
    if (!unit && s_param_level (param, arg, true, &level, reply) != 0)
        return;
    if (unit && !cchc_unit_code_valid (unit, strlen (unit))) {
        s_reply_errorf (reply, 404, "unknown unit '%.32s'", unit);
        return;
    }
    int64_t count = 8;
    const char *count_text = param (arg, "count");
    if (count_text && cchc_parse_int64 (count_text, 1, S_TREND_MAX, &count) != 0) {
        s_reply_errorf (reply, 400, "bad count '%.16s': 1 to %d", count_text, S_TREND_MAX);
        return;
    }
    cchc_period_t to;
    if (param (arg, "to")) {
        /* reuse the period checks with the "to" parameter */
        const char *t = param (arg, "to");
        int64_t now = cchc_clock_now_ms ();
        cchc_rollup_window_t w;
        if (strlen (t) >= CCHC_PERIOD_ID_MAX || cchc_period_parse (t, &to) != 0) {
            s_reply_errorf (reply, 404, "unknown period '%.16s'", t);
            return;
        }
        cchc_rollup_window (cat, &to, now, &w);
        if (s_future (&w, now)) {
            s_reply_errorf (reply, 404, "unknown period '%s': it has not started yet", w.id);
            return;
        }
    }
    else if (s_param_period (self, param, arg, &to, reply) != 0)
        return;
    const char *kind = param (arg, "kind");
    if (kind && !param (arg, "to") && !param (arg, "period")) {
        /* the latest period of that kind */
        cchc_period_kind_t k = 0;
        for (int i = 1; i <= 5; i++)
            if (strcmp (kind, cchc_rollup_json_kind (i)) == 0)
                k = (cchc_period_kind_t) i;
        if (!k) {
            s_reply_errorf (reply, 400, "bad kind '%.16s': month, quarter, half, "
                            "nine_months or year", kind);
            return;
        }
        cchc_date_t first, last;
        cchc_period_window (&to, &first, &last);
        if (cchc_period_of (k, last, &to) != 0) {
            cchc_period_t y;
            cchc_period_of (CCHC_PERIOD_YEAR, last, &y);
            to = (cchc_period_t) { CCHC_PERIOD_NINE_MONTHS, y.year, 1 };
        }
    }
    cchc_period_t periods[S_TREND_MAX];
    periods[count - 1] = to;
    for (int64_t i = count - 1; i > 0; i--)
        cchc_period_prev (&periods[i], &periods[i - 1]);

    int64_t now = cchc_clock_now_ms ();
    json_t *root = json_object ();
    json_object_set_new (root, "code", json_string (code));
    json_object_set_new (root, "name", json_string (
        ind < 0 ? "Chỉ số CCHC" : cchc_criteria_indicator (cat, (size_t) ind)->name));
    json_object_set_new (root, "kind", json_string (cchc_rollup_json_kind (to.kind)));
    json_object_set_new (root, "level", unit ? json_null () : level < 0 ? json_string ("all")
                         : json_string (cchc_level_code ((cchc_level_t) level)));
    json_object_set_new (root, "unit", json_null ());
    json_t *points = json_array ();
    for (int64_t i = 0; i < count; i++) {
        int status = 500;
        char err[320];
        s_entry_t *e = s_acquire (self, &periods[i], &status, err, sizeof err);
        if (!e) {
            json_decref (points);
            json_decref (root);
            cchc_api_reply_error (reply, status, err);
            return;
        }
        const cchc_rollup_t *r = e->rollup;
        json_t *pt = json_object ();
        char name[64];
        cchc_label_period (&periods[i], CCHC_LABEL_SENTENCE, name, sizeof name);
        json_object_set_new (pt, "period", json_string (e->id));
        json_object_set_new (pt, "name", json_string (name));
        json_t *jp = s_period_json (self, &periods[i], now, e);
        json_object_set_new (pt, "state", json_incref (json_object_get (jp, "state")));
        json_decref (jp);
        /* a locked period's figures carry the catalogue of their day */
        int ind_e = ind < 0 ? -1 : cchc_criteria_indicator_find (r->criteria, code);
        if (unit) {
            int ui = s_entry_unit (e, unit);
            if (ui < 0 && i == count - 1) {
                s_reply_errorf (reply, 404, "unknown unit '%s' (not a scored unit in %s)",
                                unit, e->id);
                json_decref (pt);
                json_decref (points);
                json_decref (root);
                s_entry_unref (&e);
                return;
            }
            const cchc_rollup_unit_result_t *u = ui >= 0 ? &r->units[ui] : NULL;
            if (u && json_is_null (json_object_get (root, "unit"))) {
                json_t *ju = json_object ();
                json_object_set_new (ju, "code", json_string (u->code));
                json_object_set_new (ju, "name", json_string (u->name));
                json_object_set_new (ju, "level", json_string (cchc_level_code (u->level)));
                json_object_set_new (root, "unit", ju);
            }
            if (ind < 0) {
                json_object_set_new (pt, "value", u && u->has_index ? cchc_rollup_json_real (u->index)
                                                                    : json_null ());
                json_object_set_new (pt, "rank", u && u->rank ? json_integer (u->rank)
                                                              : json_null ());
                json_object_set_new (pt, "grade", s_jstr_or_null (u ? u->grade : NULL));
            }
            else {
                const cchc_rollup_score_t *s = u && ind_e >= 0 ? &u->scores[ind_e] : NULL;
                json_object_set_new (pt, "value", s ? cchc_rollup_json_real (s->value) : json_null ());
                json_object_set_new (pt, "numerator", s ? cchc_rollup_json_real (s->numerator) : json_null ());
                json_object_set_new (pt, "denominator", s ? cchc_rollup_json_real (s->denominator)
                                                          : json_null ());
                json_object_set_new (pt, "target", s ? cchc_rollup_json_real (s->target) : json_null ());
                json_object_set_new (pt, "points", s ? json_real (s->points) : json_null ());
                json_object_set_new (pt, "points_max", s ? json_real (s->points_max)
                                                         : json_null ());
                json_object_set_new (pt, "score_state", s ? json_string (
                    cchc_score_state_code (s->state)) : json_null ());
            }
        }
        else if (ind < 0) {
            const cchc_rollup_dist_t *d = &r->dist[level < 0 ? CCHC_LEVEL_COUNT : level];
            json_object_set_new (pt, "value", cchc_rollup_json_real (d->mean));
            json_object_set_new (pt, "median", cchc_rollup_json_real (d->median));
            json_object_set_new (pt, "min", cchc_rollup_json_real (d->min));
            json_object_set_new (pt, "max", cchc_rollup_json_real (d->max));
            json_object_set_new (pt, "ranked", json_integer ((json_int_t) d->ranked));
        }
        else {
            const cchc_rollup_figure_t *f = ind_e >= 0
                ? cchc_rollup_figure (r, (size_t) ind_e, level) : NULL;
            json_object_set_new (pt, "value", f && f->has_value ? cchc_rollup_json_real (f->value)
                                                                : json_null ());
            json_object_set_new (pt, "numerator", f ? cchc_rollup_json_real (f->numerator) : json_null ());
            json_object_set_new (pt, "denominator", f ? cchc_rollup_json_real (f->denominator) : json_null ());
            json_object_set_new (pt, "target", f ? cchc_rollup_json_real (f->target) : json_null ());
            json_object_set_new (pt, "met", f ? json_boolean (f->met) : json_null ());
            json_object_set_new (pt, "units", f ? json_integer ((json_int_t) f->units)
                                                : json_null ());
        }
        json_array_append_new (points, pt);
        s_entry_unref (&e);
    }
    json_object_set_new (root, "points", points);
    s_reply_json (reply, root);
}

typedef struct {
    json_t *rows;
    size_t count;
    bool truncated;
} s_explain_t;

static int
s_explain_row (const cchc_rollup_source_t *row, void *arg)
{
    s_explain_t *x = arg;
    if (x->count >= S_EXPLAIN_MAX) {
        x->truncated = true;
        return -1;
    }
    json_t *o = json_object ();
    json_object_set_new (o, "metric", json_string (row->metric));
    json_object_set_new (o, "agent", json_integer (row->agent));
    json_object_set_new (o, "agent_name", s_jstr_or_null (row->agent_name));
    json_object_set_new (o, "day", cchc_rollup_json_day (row->day));
    /*  the protocol keeps the kind: an integer is one (47, not 47.0) */
    json_object_set_new (o, "value", row->is_integer ? json_integer (row->ivalue)
                                                     : cchc_rollup_json_real (row->value));
    json_object_set_new (o, "seq", json_integer (row->seq));
    json_object_set_new (o, "journal", json_integer (row->journal));
    json_object_set_new (o, "received_at", cchc_rollup_json_time (row->received_at));
    json_array_append_new (x->rows, o);
    x->count++;
    return 0;
}

static void
s_get_explain (cchc_api_t *self, cchc_api_param_fn *param, void *arg,
               cchc_api_reply_t *reply)
{
    cchc_period_t p;
    if (s_param_period (self, param, arg, &p, reply) != 0)
        return;
    const char *unit = param (arg, "unit");
    const char *code = param (arg, "code");
    if (!unit || !code) {
        cchc_api_reply_error (reply, 400, "explain needs unit= and code= (a metric or "
                              "indicator code)");
        return;
    }
    if (!cchc_unit_code_valid (unit, strlen (unit))) {
        s_reply_errorf (reply, 404, "unknown unit '%.32s'", unit);
        return;
    }
    int status = 500;
    char err[320];
    s_entry_t *e = s_acquire (self, &p, &status, err, sizeof err);
    if (!e) {
        cchc_api_reply_error (reply, status, err);
        return;
    }
    if (s_entry_unit (e, unit) < 0) {
        s_reply_errorf (reply, 404, "unknown unit '%s' (not a scored unit in %s)", unit,
                        e->id);
        s_entry_unref (&e);
        return;
    }
    if (cchc_criteria_metric_find (self->criteria, code) < 0
        && cchc_criteria_indicator_find (self->criteria, code) < 0) {
        s_reply_errorf (reply, 404, "unknown code '%.48s': neither a metric nor an "
                        "indicator of the catalogue", code);
        s_entry_unref (&e);
        return;
    }
    sqlite3 *db = s_pool_get (self, err, sizeof err);
    if (!db) {
        s_entry_unref (&e);
        cchc_api_reply_error (reply, 500, err);
        return;
    }
    s_explain_t x = { .rows = json_array () };
    int rc = cchc_rollup_explain (db, self->criteria, &e->rollup->window, unit, code,
                                  s_explain_row, &x, err, sizeof err);
    s_pool_put (self, db);
    if (rc != 0 && !x.truncated) {
        json_decref (x.rows);
        s_entry_unref (&e);
        cchc_api_reply_error (reply, 400, err);
        return;
    }
    json_t *root = json_object ();
    s_common_head (self, root, e, cchc_clock_now_ms ());
    json_object_set_new (root, "unit", json_string (unit));
    json_object_set_new (root, "code", json_string (code));
    json_object_set_new (root, "truncated", json_boolean (x.truncated));
    json_object_set_new (root, "rows", x.rows);
    s_entry_unref (&e);
    s_reply_json (reply, root);
}

static void
s_get_export (cchc_api_t *self, const char *what, cchc_api_param_fn *param, void *arg,
              cchc_api_reply_t *reply)
{
    const char *dot = strrchr (what, '.');
    cchc_export_format_t format;
    if (dot && strcmp (dot, ".csv") == 0)
        format = CCHC_EXPORT_CSV;
    else if (dot && strcmp (dot, ".xlsx") == 0)
        format = CCHC_EXPORT_XLSX;
    else {
        s_reply_errorf (reply, 404, "unknown export '%.40s' (ranking, summary or status, "
                        ".csv or .xlsx)", what);
        return;
    }
    size_t base = (size_t) (dot - what);
    int table = base == 7 && strncmp (what, "ranking", 7) == 0 ? 1
              : base == 7 && strncmp (what, "summary", 7) == 0 ? 2
              : base == 6 && strncmp (what, "status", 6) == 0 ? 3 : 0;
    if (!table) {
        s_reply_errorf (reply, 404, "unknown export '%.40s' (ranking, summary or status, "
                        ".csv or .xlsx)", what);
        return;
    }
    cchc_period_t p;
    int level = -1;
    if (s_param_period (self, param, arg, &p, reply) != 0
        || (table == 1 && s_param_level (param, arg, true, &level, reply) != 0))
        return;
    int status = 500;
    char err[320];
    s_entry_t *e = s_acquire (self, &p, &status, err, sizeof err);
    if (!e) {
        cchc_api_reply_error (reply, status, err);
        return;
    }
    char *out = NULL;
    size_t size = 0;
    int rc;
    if (table == 1)
        rc = cchc_export_ranking (e->rollup, level, format, self->tmpdir, &out, &size,
                                  err, sizeof err);
    else if (table == 2)
        rc = cchc_export_summary (e->rollup, format, self->tmpdir, &out, &size, err,
                                  sizeof err);
    else {
        s_agents_t *a = s_agents_get (self);
        size_t n = 0;
        cchc_status_row_t *rows = s_status_rows (self, e, a, cchc_clock_now_ms (), &n);
        rc = rows ? cchc_export_status (e->rollup, rows, n, self->conf.silent_days, format,
                                        self->tmpdir, &out, &size, err, sizeof err) : -1;
        if (!rows)
            cchc_errf (err, sizeof err, "out of memory");
        free (rows);
        s_agents_unref (&a);
    }
    if (rc != 0) {
        s_entry_unref (&e);
        cchc_api_reply_error (reply, 500, err);
        return;
    }
    reply->status = 200;
    reply->content_type = format == CCHC_EXPORT_CSV ? S_CSV_TYPE : S_XLSX_TYPE;
    reply->body = out;
    reply->size = size;
    reply->release = free;
    reply->release_arg = out;
    cchc_strlcpy (reply->cache_control, "no-store", sizeof reply->cache_control);
    static const char *names[] = { "", "xep-hang", "tong-hop", "tinh-hinh-bao-cao" };
    snprintf (reply->disposition, sizeof reply->disposition,
              "attachment; filename=\"cchc-%s-%s%s%s%s\"", names[table], e->id,
              level >= 0 ? "-" : "", level >= 0 ? cchc_level_code ((cchc_level_t) level) : "",
              format == CCHC_EXPORT_CSV ? ".csv" : ".xlsx");
    s_entry_unref (&e);
}

/* ------------------------------------------------------------------------ */
/*  National role (collector/national/national.h): the provinces ranked and a
    province's units as received.  GET /api/v1/national/ranking?period=P
    [&deadline_day=N], /api/v1/national/province?province=CODE&period=P
    [&version=N]. */

static void
s_get_national (cchc_api_t *self, const char *what, cchc_api_param_fn *param,
                void *param_arg, cchc_api_reply_t *reply)
{
    char err[512];
    const char *period = param (param_arg, "period");
    cchc_period_t p;
    if (!period || strlen (period) >= CCHC_PERIOD_ID_MAX || cchc_period_parse (period, &p) != 0) {
        cchc_api_reply_error (reply, 400, "period=P is required (2021-Q1, 2021-03, ...)");
        return;
    }
    char id[CCHC_PERIOD_ID_MAX];
    cchc_period_format (&p, id, sizeof id);
    int64_t number = 0;
    const char *text = param (param_arg, strcmp (what, "ranking") == 0 ? "deadline_day"
                                                                         : "version");
    if (text && cchc_parse_int64 (text, 1, UINT32_MAX, &number) != 0) {
        cchc_api_reply_error (reply, 400, "deadline_day / version must be a positive number");
        return;
    }
    const char *province = param (param_arg, "province");
    if (strcmp (what, "province") == 0
        && (!province || !cchc_unit_code_valid (province, strlen (province)))) {
        cchc_api_reply_error (reply, 400, "province=CODE is required");
        return;
    }
    if (strcmp (what, "ranking") != 0 && strcmp (what, "province") != 0) {
        s_reply_errorf (reply, 404, "no such endpoint '/api/v1/national/%.40s'", what);
        return;
    }
    sqlite3 *db = s_pool_get (self, err, sizeof err);
    if (!db) {
        cchc_api_reply_error (reply, 500, err);
        return;
    }
    json_t *root = NULL;
    int rc = strcmp (what, "ranking") == 0
        ? cchc_national_rank (db, &p, number > 0 && number <= 31 ? (int) number : 28, &root,
                              err, sizeof err)
        : cchc_national_province (db, province, id, number, &root, err, sizeof err);
    s_pool_put (self, db);
    if (rc != 0) {
        cchc_api_reply_error (reply, strcmp (what, "province") == 0 ? 404 : 500, err);
        return;
    }
    s_reply_json (reply, root);
}

/* ------------------------------------------------------------------------ */
/*  Dispatch */

void
cchc_api_handle (cchc_api_t *self, const char *path, cchc_api_param_fn *param,
                 void *param_arg, const char *if_none_match, cchc_api_reply_t *reply)
{
    assert (self && path && param && reply);
    s_reply_init (reply);
    cchc_period_t p;
    int level;
    if (strncmp (path, "/export/", 8) == 0) {
        s_get_export (self, path + 8, param, param_arg, reply);
        return;
    }
    if (strncmp (path, "/api/v1/", 8) != 0) {
        cchc_api_reply_error (reply, 404, "no such endpoint (the API is under /api/v1/)");
        return;
    }
    const char *ep = path + 8;
    if (strcmp (ep, "catalogue") == 0)
        s_get_catalogue (self, if_none_match, reply);
    else if (strcmp (ep, "periods") == 0)
        s_get_periods (self, reply);
    else if (strcmp (ep, "summary") == 0) {
        if (s_param_period (self, param, param_arg, &p, reply) == 0)
            s_get_entry_blob (self, S_BLOB_SUMMARY, &p, if_none_match, reply);
    }
    else if (strcmp (ep, "ranking") == 0) {
        if (s_param_period (self, param, param_arg, &p, reply) == 0
            && s_param_level (param, param_arg, true, &level, reply) == 0)
            s_get_entry_blob (self, level < 0 ? S_BLOB_RANK_ALL : S_BLOB_RANK_SO + level,
                              &p, if_none_match, reply);
    }
    else if (strcmp (ep, "units") == 0) {
        if (s_param_period (self, param, param_arg, &p, reply) == 0)
            s_get_entry_blob (self, S_BLOB_UNITS, &p, if_none_match, reply);
    }
    else if (strncmp (ep, "units/", 6) == 0 && ep[6]) {
        if (s_param_period (self, param, param_arg, &p, reply) == 0)
            s_get_unit (self, ep + 6, &p, reply);
    }
    else if (strcmp (ep, "status") == 0) {
        if (s_param_period (self, param, param_arg, &p, reply) == 0)
            s_get_entry_blob (self, S_BLOB_STATUS, &p, if_none_match, reply);
    }
    else if (strcmp (ep, "trend") == 0)
        s_get_trend (self, param, param_arg, reply);
    else if (strcmp (ep, "agents") == 0)
        s_get_agents (self, if_none_match, reply);
    else if (strcmp (ep, "health") == 0)
        s_get_health (self, reply);
    else if (strcmp (ep, "explain") == 0)
        s_get_explain (self, param, param_arg, reply);
    else if (strncmp (ep, "national/", 9) == 0)
        s_get_national (self, ep + 9, param, param_arg, reply);
    else
        s_reply_errorf (reply, 404, "no such endpoint '/api/v1/%.40s'", ep);
}

void
cchc_api_count (cchc_api_t *self, int status)
{
    assert (self);
    atomic_fetch_add (&self->http_requests, 1);
    if (status < 300)
        atomic_fetch_add (&self->http_2xx, 1);
    else if (status < 400)
        atomic_fetch_add (&self->http_3xx, 1);
    else if (status < 500)
        atomic_fetch_add (&self->http_4xx, 1);
    else
        atomic_fetch_add (&self->http_5xx, 1);
}

int
cchc_api_prefetch (cchc_api_t *self, const char *period)
{
    assert (self);
    cchc_period_t p;
    if (!period || strlen (period) >= CCHC_PERIOD_ID_MAX || cchc_period_parse (period, &p) != 0)
        return -1;
    pthread_mutex_lock (&self->mutex);
    s_slot_t *s = s_slot_get (self, &p);
    if (s && !s->entry) {
        s->wanted = true;
        pthread_cond_signal (&self->wake);
    }
    pthread_mutex_unlock (&self->mutex);
    return s ? 0 : -1;
}

void
cchc_api_stats (cchc_api_t *self, cchc_api_stats_t *stats)
{
    assert (self && stats);
    memset (stats, 0, sizeof *stats);
    stats->computations = atomic_load (&self->computations);
    stats->compute_failures = atomic_load (&self->compute_failures);
    stats->last_compute_ms = atomic_load (&self->last_compute_ms);
    stats->agents_loads = atomic_load (&self->agents_loads);
    pthread_mutex_lock (&self->mutex);
    for (size_t i = 0; i < self->slot_count; i++)
        stats->periods += self->slots[i].used && self->slots[i].entry;
    pthread_mutex_unlock (&self->mutex);
}

/* ------------------------------------------------------------------------ */
/*  Life cycle */

cchc_api_t *
cchc_api_new (const cchc_api_config_t *conf, char *err, size_t errlen)
{
    assert (conf);
    if (!conf->db_path || !conf->criteria) {
        cchc_errf (err, errlen, "the database and the criteria catalogue are required");
        return NULL;
    }
    cchc_api_t *self = calloc (1, sizeof *self);
    if (!self) {
        cchc_errf (err, errlen, "out of memory");
        return NULL;
    }
    self->conf = *conf;
    if (self->conf.poll_ms <= 0)
        self->conf.poll_ms = 1000;
    if (self->conf.refresh_ms <= 0)
        self->conf.refresh_ms = 3000;
    if (self->conf.idle_ms <= 0)
        self->conf.idle_ms = 600000;
    if (self->conf.wait_ms <= 0)
        self->conf.wait_ms = 60000;
    if (self->conf.max_periods <= 0)
        self->conf.max_periods = 24;
    if (self->conf.connections <= 0)
        self->conf.connections = 4;
    if (self->conf.silent_days <= 0)
        self->conf.silent_days = 7;
    const char *tmp = conf->tmpdir ? conf->tmpdir : getenv ("TMPDIR");
    self->db_path = strdup (conf->db_path);
    self->criteria = conf->criteria;
    self->tmpdir = strdup (tmp && *tmp ? tmp : "/tmp");
    self->conf.db_path = self->db_path;
    self->conf.tmpdir = self->tmpdir;
    self->started_ms = cchc_clock_now_ms ();
    snprintf (self->instance, sizeof self->instance, "%llx",
              (unsigned long long) (cchc_clock_mono_ms () ^ (self->started_ms << 8)));
    pthread_mutex_init (&self->mutex, NULL);
    pthread_mutex_init (&self->pool_mutex, NULL);
    pthread_mutex_init (&self->agents_blob_mutex, NULL);
    pthread_cond_init (&self->pool_cond, NULL);
    pthread_cond_init (&self->done, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init (&ca);
    pthread_condattr_setclock (&ca, CLOCK_MONOTONIC);
    pthread_cond_init (&self->wake, &ca);
    pthread_condattr_destroy (&ca);
    self->slot_count = (size_t) self->conf.max_periods;
    self->slots = calloc (self->slot_count, sizeof *self->slots);
    self->pool_size = self->conf.connections;
    self->pool = calloc ((size_t) self->pool_size, sizeof *self->pool);
    self->pool_busy = calloc ((size_t) self->pool_size, sizeof *self->pool_busy);
    if (!self->db_path || !self->tmpdir || !self->slots
        || !self->pool || !self->pool_busy) {
        cchc_errf (err, errlen, "out of memory");
        goto fail;
    }
    if (s_open (self->db_path, &self->wdb, err, errlen) != 0)
        goto fail;
    s_poll (self);
    if (!self->agents) {
        cchc_errf (err, errlen, "%s: cannot read the agent table: %s", self->db_path,
               sqlite3_errmsg (self->wdb));
        goto fail;
    }
    json_t *cat = s_catalogue_json (self->criteria);
    size_t size = 0;
    char *text = s_dump (cat, &size);
    char etag[64];
    snprintf (etag, sizeof etag, "\"%s-catalogue\"", self->instance);
    if (!text || !(self->catalogue = s_blob_new (text, size, etag))) {
        cchc_errf (err, errlen, "out of memory");
        goto fail;
    }
    self->running = true;
    if (pthread_create (&self->worker, NULL, s_worker, self) != 0) {
        self->running = false;
        cchc_errf (err, errlen, "cannot start the worker thread");
        goto fail;
    }
    return self;
fail:
    cchc_api_destroy (&self);
    return NULL;
}

void
cchc_api_destroy (cchc_api_t **self_p)
{
    assert (self_p);
    cchc_api_t *self = *self_p;
    if (!self)
        return;
    *self_p = NULL;
    pthread_mutex_lock (&self->mutex);
    bool was_running = self->running;
    self->running = false;
    pthread_cond_broadcast (&self->wake);
    pthread_cond_broadcast (&self->done);
    pthread_mutex_unlock (&self->mutex);
    if (was_running)
        pthread_join (self->worker, NULL);
    for (size_t i = 0; self->slots && i < self->slot_count; i++)
        s_entry_unref (&self->slots[i].entry);
    free (self->slots);
    s_agents_unref (&self->agents);
    s_blob_unref (&self->catalogue);
    s_blob_unref (&self->agents_blob);
    for (int i = 0; self->pool && i < self->pool_size; i++)
        sqlite3_close (self->pool[i]);
    free (self->pool);
    free (self->pool_busy);
    sqlite3_close (self->wdb);
    pthread_mutex_destroy (&self->mutex);
    pthread_mutex_destroy (&self->pool_mutex);
    pthread_mutex_destroy (&self->agents_blob_mutex);
    pthread_cond_destroy (&self->pool_cond);
    pthread_cond_destroy (&self->done);
    pthread_cond_destroy (&self->wake);
    free (self->province_name);
    free (self->prows);
    free (self->db_path);
    free (self->tmpdir);
    free (self);
}
