/*  cache.c — the API's cache (api_impl.h): blobs, the agents snapshot, computed
    entries and cached slots, the read-only connection pool, period states,
    the worker thread that polls the database and recomputes, and the
    request side that waits for a period's first computation.  It reads
    the database through collector/db/ (db.h, periods.h): no SQL here.
*/
#include "collector/http/api_impl.h"
#include "collector/db/periods.h"
#include "common/mem.h"

/* ------------------------------------------------------------------------ */
/*  Small helpers */

json_t *
cchc_api_jstr_or_null (const char *s)
{
    return s ? json_string (s) : json_null ();
}

const char *
cchc_api_rule_code (cchc_rule_t rule)
{
    switch (rule) {
        case CCHC_RULE_PROPORTIONAL: return "proportional";
        case CCHC_RULE_THRESHOLD: return "threshold";
        case CCHC_RULE_BANDS: return "bands";
        case CCHC_RULE_ON_TIME: return "on_time";
        default: return "";
    }
}

int64_t
cchc_api_status_max_age (void)
{
    int64_t age = CCHC_API_STATUS_MAX_AGE_MS / cchc_clock_speed ();
    return age < 1000 ? 1000 : age;
}

cchc_api_blob_t *
cchc_api_blob_new (char *data, size_t size, const char *etag)
{
    cchc_api_blob_t *b = calloc (1, sizeof *b);
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

void
cchc_api_blob_unref (cchc_api_blob_t **b_p)
{
    cchc_api_blob_t *b = *b_p;
    *b_p = NULL;
    if (b && atomic_fetch_sub (&b->refs, 1) == 1) {
        free (b->data);
        free (b);
    }
}

cchc_api_blob_t *
cchc_api_blob_ref (cchc_api_blob_t *b)
{
    if (b)
        atomic_fetch_add (&b->refs, 1);
    return b;
}

void
cchc_api_blob_release_cb (void *arg)
{
    cchc_api_blob_t *b = arg;
    cchc_api_blob_unref (&b);
}

/*  json → compact text; steals `root`. */
char *
cchc_api_dump (json_t *root, size_t *size)
{
    if (!root)
        return NULL;
    char *text = json_dumps (root, JSON_COMPACT);
    json_decref (root);
    if (text && size)
        *size = strlen (text);
    return text;
}

void
cchc_api_agents_unref (cchc_api_agents_t **a_p)
{
    cchc_api_agents_t *a = *a_p;
    *a_p = NULL;
    if (a && atomic_fetch_sub (&a->refs, 1) == 1) {
        for (size_t i = 0; i < a->count; i++) {
            free (a->agents [i].unit);
            free (a->agents [i].unit_name);
            free (a->agents [i].name);
        }
        free (a->agents);
        free (a);
    }
}

/*  First agent of `unit` in the snapshot, or the count. */
size_t
cchc_api_agents_first (const cchc_api_agents_t *a, const char *unit)
{
    size_t lo = 0, hi = a->count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strcmp (a->agents [mid].unit, unit) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void
cchc_api_entry_unref (cchc_api_entry_t **e_p)
{
    cchc_api_entry_t *e = *e_p;
    *e_p = NULL;
    if (e && atomic_fetch_sub (&e->refs, 1) == 1) {
        for (int i = 0; i < CCHC_API_BLOB_COUNT; i++)
            cchc_api_blob_unref (&e->blobs [i]);
        pthread_mutex_destroy (&e->blob_mutex);
        cchc_figures_destroy (&e->fig);
        free (e->by_code);
        free (e);
    }
}

static cchc_api_entry_t *
s_entry_ref (cchc_api_entry_t *e)
{
    if (e)
        atomic_fetch_add (&e->refs, 1);
    return e;
}

/*  Index of the unit `code` in the entry's roll-up, or -1. */
int
cchc_api_entry_unit (const cchc_api_entry_t *e, const char *code)
{
    const cchc_rollup_t *r = e->rollup;
    size_t lo = 0, hi = r->unit_count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp (r->units [e->by_code [mid]].code, code);
        if (c == 0)
            return (int) e->by_code [mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

const char *
cchc_api_entry_unit_name (const cchc_api_entry_t *e, const char *code)
{
    if (!code)
        return NULL;
    int u = cchc_api_entry_unit (e, code);
    return u < 0 ? NULL : e->rollup->units [u].name;
}

int
cchc_api_open (const char *path, sqlite3 **db, char *err, size_t errlen)
{
    *db = NULL;
    int rc = sqlite3_open_v2 (path, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        cchc_errf (err, errlen, "%s: %s", path,
                   *db ? sqlite3_errmsg (*db) : sqlite3_errstr (rc));
        sqlite3_close (*db);
        *db = NULL;
        return -1;
    }
    sqlite3_busy_timeout (*db, 5000);
    sqlite3_extended_result_codes (*db, 1);
    /* the schema must be there: the collector (collector/db/) creates it */
    int tables = cchc_db_collector_tables (*db);
    if (tables < 0) {
        cchc_errf (err, errlen, "%s: %s", path, sqlite3_errmsg (*db));
        sqlite3_close (*db);
        *db = NULL;
        return -1;
    }
    if (tables == 0) {
        cchc_errf (err, errlen,
                   "%s: not a collector database (collector/db/schema.h tables missing)",
                   path);
        sqlite3_close (*db);
        *db = NULL;
        return -1;
    }
    return 0;
}

sqlite3 *
cchc_api_pool_get (cchc_api_t *self, char *err, size_t errlen)
{
    pthread_mutex_lock (&self->pool_mutex);
    for (;;) {
        for (int i = 0; i < self->pool_size; i++)
            if (!self->pool_busy [i]) {
                self->pool_busy [i] = true;
                sqlite3 *db = self->pool [i];
                pthread_mutex_unlock (&self->pool_mutex);
                if (!db) {
                    if (cchc_api_open (self->db_path, &db, err, errlen) != 0) {
                        pthread_mutex_lock (&self->pool_mutex);
                        self->pool_busy [i] = false;
                        pthread_cond_signal (&self->pool_cond);
                        pthread_mutex_unlock (&self->pool_mutex);
                        return NULL;
                    }
                    pthread_mutex_lock (&self->pool_mutex);
                    self->pool [i] = db;
                    pthread_mutex_unlock (&self->pool_mutex);
                }
                return db;
            }
        pthread_cond_wait (&self->pool_cond, &self->pool_mutex);
    }
}

void
cchc_api_pool_put (cchc_api_t *self, sqlite3 *db)
{
    pthread_mutex_lock (&self->pool_mutex);
    for (int i = 0; i < self->pool_size; i++)
        if (self->pool [i] == db) {
            self->pool_busy [i] = false;
            break;
        }
    pthread_cond_signal (&self->pool_cond);
    pthread_mutex_unlock (&self->pool_mutex);
}

/* ------------------------------------------------------------------------ */
/*  Periods and their state */

/*  True when the window of `w` has not started at `now`. */
bool
cchc_api_future (const cchc_rollup_window_t *w, int64_t now)
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
        if (strcmp (self->prows [i].period, id) == 0) {
            *row = self->prows [i];
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
json_t *
cchc_api_period_json (cchc_api_t *self, const cchc_period_t *p, int64_t now,
                      const cchc_api_entry_t *e)
{
    cchc_rollup_window_t w;
    cchc_rollup_window (self->criteria, p, now, &w);
    char name [64];
    cchc_label_period (p, CCHC_LABEL_SENTENCE, name, sizeof name);
    cchc_period_row_t row;
    bool managed;
    bool has_row = s_stored_row (self, w.id, &row, &managed);
    cchc_pstate_t ps = cchc_periods_state (&w, has_row ? &row : NULL, managed, now);
    if (e && e->fig->stored)
        ps = CCHC_PSTATE_LOCKED;
    else if (e && ps == CCHC_PSTATE_LOCKED && managed)
        ps = CCHC_PSTATE_CLOSED; /* locked meanwhile: the next entry shows it */
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
                             cchc_rollup_json_day (w.level_due_day [l]));
    json_object_set_new (o, "due_days", dues);
    json_object_set_new (o, "lock_day", cchc_rollup_json_day (w.lock_day));
    json_object_set_new (o, "state", json_string (state));
    json_object_set_new (o, "state_name", json_string (cchc_pstate_name (ps)));
    json_object_set_new (o, "final", json_boolean (ps == CCHC_PSTATE_LOCKED));
    /* the figures: those of the reply (e), else those the collector stored */
    bool locked_row = has_row && row.state == CCHC_PSTATE_LOCKED;
    if (e) {
        json_object_set_new (o, "computed_at",
                             cchc_rollup_json_time (e->rollup->window.as_of_ms));
        json_object_set_new (o, "journal_position", json_integer (e->fig->journal_pos));
        json_object_set_new (o, "stored", json_boolean (e->fig->stored));
    }
    else {
        json_object_set_new (o, "computed_at",
                             has_row ? cchc_rollup_json_time (row.computed_at) : json_null ());
        json_object_set_new (o, "journal_position",
                             has_row ? json_integer (row.journal_pos) : json_null ());
        json_object_set_new (o, "stored", json_boolean (locked_row));
    }
    json_object_set_new (o, "locked_at",
                         locked_row ? cchc_rollup_json_time (row.locked_at) : json_null ());
    json_object_set_new (o, "locked_by",
                         locked_row && *row.locked_by ? json_string (row.locked_by)
                                                      : json_null ());
    json_object_set_new (o, "reopened_at",
                         has_row && row.reopened_at ? cchc_rollup_json_time (row.reopened_at)
                                                    : json_null ());
    json_object_set_new (o, "lock_by_hand",
                         json_boolean (has_row && !locked_row && row.manual));
    /* locked: units whose data changed after the lock, waiting for a reopen */
    json_object_set_new (o, "after_lock_units",
                         json_integer (locked_row ? row.after_lock_units : 0));
    return o;
}

/*  The period the dashboard opens on: the quarter of the newest data day
    (not after today), else of today. */
void
cchc_api_default_period (cchc_api_t *self, int64_t now, cchc_period_t *p)
{
    cchc_date_t today = cchc_date_from_utc_ms (now);
    pthread_mutex_lock (&self->mutex);
    int32_t last = self->data_last;
    pthread_mutex_unlock (&self->mutex);
    cchc_date_t day = today;
    if (last > 0) {
        cchc_date_t d = cchc_date_from_yyyymmdd (last);
        if (d >= 0 && d < today)
            day = d;
    }
    cchc_period_of (CCHC_PERIOD_QUARTER, day, p);
}

/* ------------------------------------------------------------------------ */
/*  Worker side: versions, agents, computing */

static int
s_read_version (sqlite3 *db, cchc_api_version_t *v, uint64_t agents_key [5],
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

/*  One agent into the snapshot `arg`: 0, or -1 when out of memory. */
static int
s_agent_add (const cchc_db_agent_status_t *row, void *arg)
{
    cchc_api_agents_t *a = arg;
    if (cchc_grow (&a->agents, &a->alloc, a->count, sizeof *a->agents, 256))
        return -1;
    cchc_api_agent_t *g = &a->agents [a->count++];
    *g = (cchc_api_agent_t){ .id = row->id,
                             .unit = strdup (row->unit),
                             .name = strdup (row->name),
                             .unit_name = row->unit_name ? strdup (row->unit_name) : NULL,
                             .enrolled_at = row->enrolled_at,
                             .revoked_at = row->revoked_at,
                             .last_seen = row->last_seen,
                             .last_seq = row->last_seq,
                             .accepted = row->accepted,
                             .duplicates = row->duplicates,
                             .rejected = row->rejected,
                             .has_clock = row->has_clock,
                             .clock_skew = row->clock_skew,
                             .clock_ahead = row->clock_ahead,
                             .clock_at = row->clock_at };
    if (row->pubkey)
        cchc_hex_encode (g->key, row->pubkey, 32);
    return !g->unit || !g->name || (row->unit_name && !g->unit_name) ? -1 : 0;
}

static cchc_api_agents_t *
s_load_agents (sqlite3 *db, char *err, size_t errlen)
{
    cchc_api_agents_t *a = calloc (1, sizeof *a);
    if (!a)
        return NULL;
    atomic_init (&a->refs, 1);
    int rc = cchc_db_agent_status_each (db, s_agent_add, a);
    if (rc != 0) {
        cchc_errf (err, errlen, "agents: %s", rc > 0 ? "out of memory" : sqlite3_errmsg (db));
        cchc_api_agents_unref (&a);
        return NULL;
    }
    return a;
}

static cchc_api_entry_t *
s_compute (cchc_api_t *self, const cchc_period_t *period, const cchc_api_version_t *version,
           char *err, size_t errlen)
{
    int64_t t0 = cchc_clock_mono_ms ();
    int64_t now = cchc_clock_now_ms ();
    /* a locked period: its stored final figures; otherwise computed now */
    cchc_figures_t *fig =
        cchc_figures_load (self->wdb, self->criteria, period, now, 0, err, errlen);
    if (!fig)
        return NULL;
    const cchc_rollup_t *r = fig->rollup;
    cchc_api_entry_t *e = calloc (1, sizeof *e);
    size_t *by_code = cchc_rollup_by_code (r);
    if (!e || !by_code) {
        free (e);
        free (by_code);
        cchc_figures_destroy (&fig);
        cchc_errf (err, errlen, "out of memory");
        return NULL;
    }
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

/*  Serialise the replies most asked for before the entry is published. */
static void
s_prebuild (cchc_api_t *self, cchc_api_entry_t *e)
{
    static const int keys [] = { CCHC_API_BLOB_SUMMARY, CCHC_API_BLOB_RANK_SO,
                                 CCHC_API_BLOB_RANK_SO + 1, CCHC_API_BLOB_RANK_SO + 2,
                                 CCHC_API_BLOB_STATUS };
    for (size_t i = 0; i < sizeof keys / sizeof keys [0]; i++) {
        cchc_api_blob_t *b = cchc_api_entry_blob (self, e, keys [i]);
        cchc_api_blob_unref (&b);
    }
}

static bool
s_version_eq (const cchc_api_version_t *a, const cchc_api_version_t *b)
{
    return a->journal_max == b->journal_max && a->enrolment == b->enrolment
           && a->units_sum == b->units_sum && a->periods == b->periods;
}

/*  True when a window boundary (start, end, due, lock) passed since the
    entry was computed. */
static bool
s_boundary_passed (const cchc_api_entry_t *e, int64_t now)
{
    const cchc_rollup_window_t *w = &e->rollup->window;
    int64_t b [3 + CCHC_LEVEL_COUNT] = { cchc_date_start_utc_ms (w->first),
                                         cchc_date_start_utc_ms (w->last + 1), w->lock_ms };
    for (int l = 0; l < CCHC_LEVEL_COUNT; l++)
        b [3 + l] = w->level_due_ms [l];
    for (int i = 0; i < 3 + CCHC_LEVEL_COUNT; i++)
        if (e->computed_ms < b [i] && b [i] <= now)
            return true;
    return false;
}

/*  True when the entry no longer shows what it should: stored final figures
    change only with the period's events (reopen), live ones with the data,
    the units, the enrolments, the events (a lock) and the calendar. */
static bool
s_entry_stale (const cchc_api_entry_t *e, const cchc_api_version_t *v, int64_t now)
{
    if (e->fig->stored)
        return e->version.periods != v->periods;
    return !s_version_eq (&e->version, v) || s_boundary_passed (e, now);
}

/*  Poll the versions; reload the agents snapshot if it changed.  Worker
    thread, self->mutex not held. */
void
cchc_api_poll (cchc_api_t *self)
{
    cchc_api_version_t v;
    uint64_t key [5];
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
    char perr [256];
    if (v.periods >= 0
        && cchc_periods_rows (self->wdb, &prows, &prow_count, perr, sizeof perr) != 0) {
        static cchc_ratelimit_t rl = CCHC_RATELIMIT_INIT (60000, 1);
        cchc_log_limited (&rl, CCHC_LOG_WARN, "http: %s", perr);
    }
    pthread_mutex_lock (&self->mutex);
    free (self->prows);
    self->prows = prows;
    self->prow_count = prow_count;
    self->managed = v.periods >= 0;
    bool agents_changed = memcmp (key, self->agents_key, sizeof key) != 0 || !self->agents;
    self->version = v;
    self->data_first = first;
    self->data_last = last;
    pthread_mutex_unlock (&self->mutex);

    /* the province (level tinh) for the dashboard's title */
    char code [sizeof self->province_code], name [256];
    if (cchc_db_province_find (self->wdb, 0, code, sizeof code, name, sizeof name) == 1) {
        char *dup = strdup (name);
        pthread_mutex_lock (&self->mutex);
        cchc_strlcpy (self->province_code, code, sizeof self->province_code);
        if (dup) {
            free (self->province_name);
            self->province_name = dup;
        }
        pthread_mutex_unlock (&self->mutex);
    }

    if (!agents_changed)
        return;
    char err [256] = "";
    cchc_api_agents_t *a = s_load_agents (self->wdb, err, sizeof err);
    if (!a) {
        cchc_warn ("http: %s", err);
        return;
    }
    atomic_fetch_add (&self->agents_loads, 1);
    pthread_mutex_lock (&self->mutex);
    a->generation = ++self->agents_gen;
    cchc_api_agents_t *old = self->agents;
    self->agents = a;
    memcpy (self->agents_key, key, sizeof key);
    pthread_mutex_unlock (&self->mutex);
    cchc_api_agents_unref (&old);
    /* serialise /api/v1/agents now rather than in the next request */
    cchc_api_blob_t *b = cchc_api_agents_blob (self, a);
    cchc_api_blob_unref (&b);
}

/*  Compute `slot`'s period and publish the result.  Called and returns with
    self->mutex held; releases it while computing. */
static void
s_run_slot (cchc_api_t *self, cchc_api_slot_t *slot)
{
    cchc_period_t period = slot->period;
    cchc_api_version_t version = self->version;
    slot->computing = true;
    slot->wanted = false;
    pthread_mutex_unlock (&self->mutex);

    char err [256] = "";
    cchc_api_entry_t *e = s_compute (self, &period, &version, err, sizeof err);
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
        cchc_api_entry_t *old = slot->entry;
        slot->entry = e;
        slot->failed = false;
        pthread_mutex_unlock (&self->mutex);
        cchc_api_entry_unref (&old);
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
        cchc_api_slot_t *s = &self->slots [i];
        if (!s->used || !s->entry || mono - s->used_mono > self->conf.idle_ms)
            continue;
        cchc_api_entry_t *e = s_entry_ref (s->entry);
        pthread_mutex_unlock (&self->mutex);
        cchc_api_blob_t *b = cchc_api_entry_blob (self, e, CCHC_API_BLOB_STATUS);
        cchc_api_blob_unref (&b);
        cchc_api_entry_unref (&e);
        pthread_mutex_lock (&self->mutex);
    }
}

void *
cchc_api_worker (void *arg)
{
    cchc_api_t *self = arg;
    int64_t next_poll = 0;
    uint64_t status_gen = 0;
    pthread_mutex_lock (&self->mutex);
    while (self->running) {
        int64_t mono = cchc_clock_mono_ms ();
        /* 1. first computations somebody waits for */
        cchc_api_slot_t *todo = NULL;
        for (size_t i = 0; i < self->slot_count && !todo; i++)
            if (self->slots [i].used && self->slots [i].wanted && !self->slots [i].entry)
                todo = &self->slots [i];
        if (todo) {
            s_run_slot (self, todo);
            continue;
        }
        /* 2. poll the versions */
        if (mono >= next_poll) {
            pthread_mutex_unlock (&self->mutex);
            cchc_api_poll (self);
            pthread_mutex_lock (&self->mutex);
            next_poll = mono + self->conf.poll_ms;
            if (self->agents && self->agents->generation != status_gen) {
                status_gen = self->agents->generation;
                s_refresh_status (self, mono);
            }
            /* drop idle periods */
            for (size_t i = 0; i < self->slot_count; i++) {
                cchc_api_slot_t *s = &self->slots [i];
                if (s->used && !s->computing && s->waiters == 0
                    && mono - s->used_mono > self->conf.idle_ms) {
                    cchc_api_entry_t *e = s->entry;
                    memset (s, 0, sizeof *s);
                    pthread_mutex_unlock (&self->mutex);
                    cchc_api_entry_unref (&e);
                    pthread_mutex_lock (&self->mutex);
                }
            }
            /* mark stale periods */
            int64_t now = cchc_clock_now_ms ();
            for (size_t i = 0; i < self->slot_count; i++) {
                cchc_api_slot_t *s = &self->slots [i];
                if (s->used && s->entry && !s->computing
                    && s_entry_stale (s->entry, &self->version, now))
                    s->wanted = true;
            }
            continue;
        }
        /* 3. refreshes, each period at most once per refresh_ms */
        cchc_api_slot_t *stale = NULL;
        int64_t wait_until = next_poll;
        for (size_t i = 0; i < self->slot_count; i++) {
            cchc_api_slot_t *s = &self->slots [i];
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
cchc_api_slot_t *
cchc_api_slot_get (cchc_api_t *self, const cchc_period_t *period)
{
    char id [CCHC_PERIOD_ID_MAX];
    cchc_period_format (period, id, sizeof id);
    cchc_api_slot_t *free_slot = NULL, *lru = NULL;
    for (size_t i = 0; i < self->slot_count; i++) {
        cchc_api_slot_t *s = &self->slots [i];
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
    cchc_api_slot_t *s = free_slot;
    if (!s && lru) {
        /* evict the least recently used period; its entry lives on while
           requests hold it */
        cchc_api_entry_t *e = lru->entry;
        memset (lru, 0, sizeof *lru);
        cchc_api_entry_unref (&e); /* refs > 1 if in use: no free under the lock */
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
cchc_api_entry_t *
cchc_api_acquire (cchc_api_t *self, const cchc_period_t *period, int *status, char *err,
                  size_t errlen)
{
    pthread_mutex_lock (&self->mutex);
    cchc_api_slot_t *s = cchc_api_slot_get (self, period);
    if (!s) {
        pthread_mutex_unlock (&self->mutex);
        *status = 503;
        cchc_errf (err, errlen, "too many periods being computed; try again shortly");
        return NULL;
    }
    int64_t mono = cchc_clock_mono_ms ();
    s->used_mono = mono;
    if (s->entry) {
        cchc_api_entry_t *e = s_entry_ref (s->entry);
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
    cchc_api_entry_t *e = s_entry_ref (s->entry);
    if (!e) {
        if (s->attempts != attempts) {
            *status = 500;
            cchc_errf (err, errlen, "roll-up of %s failed: %s", s->id, s->error);
        }
        else {
            *status = 503;
            cchc_errf (err, errlen,
                       "the figures of %s are still being computed; "
                       "try again shortly",
                       s->id);
        }
    }
    pthread_mutex_unlock (&self->mutex);
    return e;
}

/*  cchc_api_acquire for a handler: NULL when it failed, the error then
    replied. */
cchc_api_entry_t *
cchc_api_acquire_reply (cchc_api_t *self, const cchc_period_t *period, cchc_api_reply_t *reply)
{
    int status = 500;
    char err [320];
    cchc_api_entry_t *e = cchc_api_acquire (self, period, &status, err, sizeof err);
    if (!e)
        cchc_api_reply_error (reply, status, err);
    return e;
}

cchc_api_agents_t *
cchc_api_agents_get (cchc_api_t *self)
{
    pthread_mutex_lock (&self->mutex);
    cchc_api_agents_t *a = self->agents;
    if (a)
        atomic_fetch_add (&a->refs, 1);
    pthread_mutex_unlock (&self->mutex);
    return a;
}
