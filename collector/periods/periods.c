/*  periods.c — stored, scheduled and locked period figures (periods.h).

    The keeper: period states and stored rows are read in rows.c, snapshots
    of locked figures written and restored in snapshot.c (its head has the
    format); here the figures people see, storing, locking, reopening and
    the schedule.

    Concurrency: the schedule (a collector thread) and cchcctl write the same
    rows.  Figures are computed in a read transaction that also reads the
    row's revision; the write transaction (BEGIN IMMEDIATE, short) stores them
    only if the revision is unchanged, else gives up until the next pass.
*/
#include "collector/periods/periods.h"
#include "collector/periods/periods_impl.h"
#include "collector/db/db.h"
#include "collector/figures/rollup_json.h"

#include "common/clock.h"
#include "common/log.h"
#include "common/text.h"

#include <assert.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define S_SCOPE_MAX 64
static int
s_exec (sqlite3 *db, const char *sql, char *err, size_t errlen)
{
    char *msg = NULL;
    if (sqlite3_exec (db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        cchc_errf (err, errlen, "%s", msg ? msg : sqlite3_errmsg (db));
        sqlite3_free (msg);
        return -1;
    }
    return 0;
}

/*  One integer from a query without parameters; -1 on error. */
static int
s_int64 (sqlite3 *db, const char *sql, int64_t *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2 (db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step (st)) == SQLITE_ROW) {
        *out = sqlite3_column_int64 (st, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize (st);
    return rc == SQLITE_OK ? 0 : -1;
}

/*  UTC ms at which the window's last local day ends. */
int64_t
cchc_periods_close_ms (const cchc_rollup_window_t *w)
{
    return cchc_date_start_utc_ms (w->last + 1);
}

/* ------------------------------------------------------------------------ */
/*  Schema */

int
cchc_periods_managed (sqlite3 *db)
{
    int64_t n = 0;
    if (s_int64 (db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                 " AND name IN ('period_result', 'period_event')", &n) != 0)
        return -1;
    return n == 2 ? 1 : 0;
}

/* ------------------------------------------------------------------------ */
/*  Figures as people see them */

/*  The snapshot text of a locked period (malloc'ed), or NULL (none / error). */
static char *
s_snapshot_text (sqlite3 *db, const char *id)
{
    sqlite3_stmt *st = NULL;
    char *text = NULL;
    if (sqlite3_prepare_v2 (db, "SELECT snapshot FROM period_result WHERE period = ?1"
                            " AND state = 'locked'", -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text (st, 1, id, -1, SQLITE_STATIC);
        if (sqlite3_step (st) == SQLITE_ROW && sqlite3_column_text (st, 0))
            text = strdup ((const char *) sqlite3_column_text (st, 0));
    }
    sqlite3_finalize (st);
    return text;
}

void
cchc_figures_destroy (cchc_figures_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cchc_figures_t *self = *self_p;
    cchc_rollup_destroy (&self->rollup);       /* before the catalogue it borrows */
    cchc_criteria_destroy (&self->criteria);
    free (self);
    *self_p = NULL;
}

cchc_figures_t *
cchc_figures_load (sqlite3 *db, const cchc_criteria_t *cat, const cchc_period_t *period,
                   int64_t now, int flags, char *err, size_t errlen)
{
    assert (db && cat && period);
    cchc_figures_t *f = calloc (1, sizeof *f);
    if (!f) {
        cchc_errf (err, errlen, "out of memory");
        return NULL;
    }
    char id[CCHC_PERIOD_ID_MAX];
    cchc_period_format (period, id, sizeof id);
    if (s_exec (db, "SAVEPOINT cchc_figures", err, errlen) != 0) {
        free (f);
        return NULL;
    }
    bool ok = false;
    int managed = cchc_periods_managed (db);
    if (managed < 0) {
        cchc_errf (err, errlen, "%s", sqlite3_errmsg (db));
        goto done;
    }
    f->managed = managed == 1;
    if (f->managed) {
        int found = cchc_periods_row (db, id, &f->row, err, errlen);
        if (found < 0)
            goto done;
        f->has_row = found == 1;
    }
    if (cchc_db_journal_position (db, &f->journal_pos) != 0) {
        cchc_errf (err, errlen, "journal: %s", sqlite3_errmsg (db));
        goto done;
    }
    cchc_rollup_window_t w;
    cchc_rollup_window (cat, period, now, &w);
    bool locked = f->has_row && f->row.state == CCHC_PSTATE_LOCKED;
    if (locked && f->row.has_snapshot && !(flags & CCHC_FIGURES_LIVE)) {
        char *text = s_snapshot_text (db, id);
        if (!text) {
            cchc_errf (err, errlen, "%s: the locked result cannot be read: %s", id,
                   sqlite3_errmsg (db));
            goto done;
        }
        f->rollup = cchc_periods_restore (text, &f->criteria, err, errlen);
        free (text);
        if (!f->rollup)
            goto done;
        f->stored = true;
        f->journal_pos = f->row.journal_pos;
    }
    else {
        /* change against the previous period's final figures when locked */
        cchc_period_t p0;
        cchc_period_prev (period, &p0);
        char id0[CCHC_PERIOD_ID_MAX];
        cchc_period_format (&p0, id0, sizeof id0);
        char *text0 = f->managed ? s_snapshot_text (db, id0) : NULL;
        if (text0) {
            cchc_criteria_t *cat0 = NULL;
            cchc_rollup_t *r0 = cchc_periods_restore (text0, &cat0, err, errlen);
            free (text0);
            if (!r0)
                goto done;
            f->rollup = cchc_rollup_load (db, cat, period, now, false, err, errlen);
            int rc = f->rollup ? cchc_rollup_compare (f->rollup, r0) : -1;
            cchc_rollup_destroy (&r0);
            cchc_criteria_destroy (&cat0);
            if (rc != 0) {
                if (f->rollup)
                    cchc_errf (err, errlen, "out of memory");
                goto done;
            }
        }
        else if (!(f->rollup = cchc_rollup_load (db, cat, period, now, true, err, errlen)))
            goto done;
        if (f->managed)
            f->rollup->window.lock_ms = INT64_MAX;      /* not locked (yet) */
    }
    f->state = cchc_periods_state (&w, f->has_row ? &f->row : NULL, f->managed, now);
    if (!f->stored && f->state == CCHC_PSTATE_LOCKED && f->managed)
        f->state = CCHC_PSTATE_CLOSED;      /* live figures of a locked period */
    ok = true;
done:
    sqlite3_exec (db, "RELEASE cchc_figures", NULL, NULL, NULL);
    if (!ok)
        cchc_figures_destroy (&f);
    return f;
}

/* ------------------------------------------------------------------------ */
/*  The keeper */

typedef struct {
    int32_t month;              /* yyyymm */
    int64_t max;                /* newest journal id of this month and before */
} s_month_t;

struct cchc_periods_t {
    cchc_periods_config_t conf;
    char *db_path;
    const cchc_criteria_t *criteria;    /* conf.criteria, borrowed */
    sqlite3 *db;

    /* data versions (pass) */
    bool have_months;           /* month map read at journal position seen */
    int64_t seen_journal;
    s_month_t *months;
    size_t month_count, month_alloc;
    int64_t next_lock_ms;       /* next lock instant in scope, 0: none */

    /* the schedule thread */
    pthread_mutex_t mutex;
    pthread_cond_t wake;
    pthread_t thread;
    bool started, running;
    /*  Clock-jump guard of the schedule thread (s_clock_jumped). */
    int64_t base_wall, base_mono;   /* at the first pass; 0: not yet */
    bool hold_locks;                /* the wall clock ran ahead: lock nothing */
};

cchc_periods_t *
cchc_periods_new (const cchc_periods_config_t *conf, char *err, size_t errlen)
{
    assert (conf && conf->db_path && conf->criteria);
    if (err && errlen)
        *err = 0;
    cchc_periods_t *self = calloc (1, sizeof *self);
    if (!self) {
        cchc_errf (err, errlen, "out of memory");
        return NULL;
    }
    self->conf = *conf;
    if (self->conf.interval_ms <= 0)
        self->conf.interval_ms = 10000;
    if (self->conf.busy_timeout_ms <= 0)
        self->conf.busy_timeout_ms = 5000;
    if (self->conf.scope_days <= 0)
        self->conf.scope_days = CCHC_PERIODS_SCOPE_DAYS;
    pthread_mutex_init (&self->mutex, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init (&ca);
    pthread_condattr_setclock (&ca, CLOCK_MONOTONIC);
    pthread_cond_init (&self->wake, &ca);
    pthread_condattr_destroy (&ca);
    self->db_path = strdup (conf->db_path);
    self->criteria = conf->criteria;
    if (!self->db_path) {
        cchc_errf (err, errlen, "out of memory");
        goto fail;
    }
    self->conf.db_path = self->db_path;
    int rc = sqlite3_open_v2 (self->db_path, &self->db, SQLITE_OPEN_READWRITE
                              | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        cchc_errf (err, errlen, "%s: %s", self->db_path,
               self->db ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc));
        goto fail;
    }
    sqlite3_busy_timeout (self->db, (int) self->conf.busy_timeout_ms);
    sqlite3_extended_result_codes (self->db, 1);
    int64_t tables = 0;
    if (s_int64 (self->db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                 " AND name IN ('unit', 'agent', 'journal', 'observation')", &tables)) {
        cchc_errf (err, errlen, "%s: %s", self->db_path, sqlite3_errmsg (self->db));
        goto fail;
    }
    if (tables != 4) {
        cchc_errf (err, errlen, "%s: not a collector database (collector/db/schema.h tables missing)",
               self->db_path);
        goto fail;
    }
    char e2[256];
    if (cchc_db_periods_apply (self->db, e2, sizeof e2) != 0) {
        cchc_errf (err, errlen, "%s: period tables: %s", self->db_path, e2);
        goto fail;
    }
    return self;
fail:
    cchc_periods_destroy (&self);
    return NULL;
}

void
cchc_periods_destroy (cchc_periods_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cchc_periods_t *self = *self_p;
    *self_p = NULL;
    if (self->started) {
        pthread_mutex_lock (&self->mutex);
        self->running = false;
        pthread_cond_broadcast (&self->wake);
        pthread_mutex_unlock (&self->mutex);
        pthread_join (self->thread, NULL);
    }
    sqlite3_close (self->db);
    free (self->db_path);
    free (self->months);
    pthread_mutex_destroy (&self->mutex);
    pthread_cond_destroy (&self->wake);
    free (self);
}

sqlite3 *
cchc_periods_handle (cchc_periods_t *self)
{
    assert (self);
    return self->db;
}

const cchc_criteria_t *
cchc_periods_criteria (cchc_periods_t *self)
{
    assert (self);
    return self->criteria;
}

/* ------------------------------------------------------------------------ */
/*  Computing and storing */

typedef enum { S_EVENT_NONE = 0, S_EVENT_LOCKED, S_EVENT_REOPENED } s_event_t;

typedef struct {
    const char *id;
    const cchc_figures_t *fig;
    cchc_pstate_t state;
    int64_t version;
    const char *snapshot;       /* locked only */
    s_event_t event;
    int64_t at;
    const char *who, *reason;
    int manual;                 /* -1 keep, 0 clear, 1 set (the table's manual) */
} s_write_t;

/*  Store in one short write transaction.  0 stored, 1 deferred (the row
    changed since the figures were computed, or the database stayed locked
    by the writer for the busy timeout), -1 error. */
static int
s_store (cchc_periods_t *self, const s_write_t *wr, char *err, size_t errlen)
{
    const cchc_rollup_t *r = wr->fig->rollup;
    json_t *jr = cchc_rollup_json (r, NULL);
    if (jr && wr->state != CCHC_PSTATE_LOCKED) {
        /* figures that will change again: the units' totals only (index,
           rank, points, completeness), not every indicator — a fifth of the
           size, written at every pass that sees new data */
        json_t *units = json_object_get (jr, "units");
        for (size_t i = 0; i < json_array_size (units); i++) {
            json_t *u = json_array_get (units, i);
            json_object_del (u, "indicators");
            json_object_del (u, "areas");
        }
    }
    char *result = jr ? json_dumps (jr, JSON_COMPACT | JSON_REAL_PRECISION (17)) : NULL;
    json_decref (jr);
    if (!result) {
        cchc_errf (err, errlen, "out of memory");
        return -1;
    }
    sqlite3 *db = self->db;
    int status = -1;
    sqlite3_stmt *st = NULL;
    if (s_exec (db, "BEGIN IMMEDIATE", err, errlen) != 0) {
        /* the collector's writer kept its lock for the whole busy timeout
           (a heavy backfill): try again at the next pass */
        int code = sqlite3_errcode (db) & 0xff;
        free (result);
        return code == SQLITE_BUSY || code == SQLITE_LOCKED ? 1 : -1;
    }
    /* 1. the row must be the one the figures were computed against */
    int64_t revision = 0, old_pos = 0, old_at = 0;
    char *old_result = NULL;
    if (sqlite3_prepare_v2 (db, "SELECT revision, journal_pos, computed_at, result"
                            " FROM period_result WHERE period = ?1", -1, &st, NULL)
        != SQLITE_OK)
        goto sql_error;
    sqlite3_bind_text (st, 1, wr->id, -1, SQLITE_STATIC);
    int rc = sqlite3_step (st);
    if (rc == SQLITE_ROW) {
        revision = sqlite3_column_int64 (st, 0);
        old_pos = sqlite3_column_int64 (st, 1);
        old_at = sqlite3_column_int64 (st, 2);
        if (wr->event == S_EVENT_REOPENED && sqlite3_column_text (st, 3))
            old_result = strdup ((const char *) sqlite3_column_text (st, 3));
    }
    else if (rc != SQLITE_DONE)
        goto sql_error;
    sqlite3_finalize (st);
    st = NULL;
    if (revision != (wr->fig->has_row ? wr->fig->row.revision : 0)) {
        status = 1;
        goto rollback;
    }
    /* 2. the row */
    bool locking = wr->state == CCHC_PSTATE_LOCKED;
    if (sqlite3_prepare_v2 (db,
            "INSERT INTO period_result (period, state, computed_at, journal_pos,"
            " journal_max, data_version, units, result, snapshot, locked_at, locked_by,"
            " reopened_at, manual)"
            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, max (?14, 0))"
            " ON CONFLICT (period) DO UPDATE SET state = excluded.state,"
            " computed_at = excluded.computed_at, journal_pos = excluded.journal_pos,"
            " journal_max = excluded.journal_max, data_version = excluded.data_version,"
            " units = excluded.units, result = excluded.result,"
            " snapshot = excluded.snapshot, locked_at = excluded.locked_at,"
            " locked_by = excluded.locked_by,"
            " reopened_at = CASE WHEN ?13 THEN excluded.reopened_at ELSE reopened_at END,"
            " manual = CASE WHEN ?14 >= 0 THEN ?14 ELSE manual END,"
            " revision = revision + 1", -1, &st, NULL) != SQLITE_OK)
        goto sql_error;
    sqlite3_bind_text (st, 1, wr->id, -1, SQLITE_STATIC);
    sqlite3_bind_text (st, 2, cchc_pstate_code (wr->state), -1, SQLITE_STATIC);
    sqlite3_bind_int64 (st, 3, r->window.as_of_ms);
    sqlite3_bind_int64 (st, 4, wr->fig->journal_pos);
    sqlite3_bind_int64 (st, 5, r->journal_max);
    sqlite3_bind_int64 (st, 6, wr->version);
    sqlite3_bind_int64 (st, 7, (sqlite3_int64) r->unit_count);
    sqlite3_bind_text (st, 8, result, -1, SQLITE_STATIC);
    if (locking) {
        sqlite3_bind_text (st, 9, wr->snapshot, -1, SQLITE_STATIC);
        sqlite3_bind_int64 (st, 10, wr->at);
        sqlite3_bind_text (st, 11, wr->who, -1, SQLITE_STATIC);
    }
    if (wr->event == S_EVENT_REOPENED)
        sqlite3_bind_int64 (st, 12, wr->at);
    /* a lock clears reopened_at, a reopen sets it, a refresh keeps it */
    sqlite3_bind_int (st, 13, wr->event != S_EVENT_NONE);
    sqlite3_bind_int (st, 14, wr->manual);
    if (sqlite3_step (st) != SQLITE_DONE)
        goto sql_error;
    sqlite3_finalize (st);
    st = NULL;
    /* 3. the event */
    if (wr->event != S_EVENT_NONE) {
        if (sqlite3_prepare_v2 (db, "INSERT INTO period_event (period, event, at, who,"
                                " reason, journal_pos, computed_at, result)"
                                " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", -1, &st, NULL)
            != SQLITE_OK)
            goto sql_error;
        bool reopen = wr->event == S_EVENT_REOPENED;
        sqlite3_bind_text (st, 1, wr->id, -1, SQLITE_STATIC);
        sqlite3_bind_text (st, 2, reopen ? "reopened" : "locked", -1, SQLITE_STATIC);
        sqlite3_bind_int64 (st, 3, wr->at);
        sqlite3_bind_text (st, 4, wr->who ? wr->who : "?", -1, SQLITE_STATIC);
        if (wr->reason && *wr->reason)
            sqlite3_bind_text (st, 5, wr->reason, -1, SQLITE_STATIC);
        sqlite3_bind_int64 (st, 6, reopen ? old_pos : wr->fig->journal_pos);
        sqlite3_bind_int64 (st, 7, reopen ? old_at : r->window.as_of_ms);
        if (reopen && old_result)
            sqlite3_bind_text (st, 8, old_result, -1, SQLITE_STATIC);
        if (sqlite3_step (st) != SQLITE_DONE)
            goto sql_error;
        sqlite3_finalize (st);
        st = NULL;
    }
    if (s_exec (db, "COMMIT", err, errlen) != 0)
        goto rollback;
    free (result);
    free (old_result);
    return 0;

sql_error:
    cchc_errf (err, errlen, "%s: %s", wr->id, sqlite3_errmsg (db));
rollback:
    sqlite3_finalize (st);
    sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
    free (result);
    free (old_result);
    return status;
}

/*  Refresh: compute and store (provisional or closed).  0, 1 deferred or
    already locked, -1 error. */
static int
s_refresh (cchc_periods_t *self, const cchc_period_t *period, int64_t now,
           int64_t version, int manual, char *err, size_t errlen)
{
    cchc_figures_t *fig = cchc_figures_load (self->db, self->criteria, period, now,
                                             CCHC_FIGURES_LIVE, err, errlen);
    if (!fig)
        return -1;
    int rc = 1;
    if (!(fig->has_row && fig->row.state == CCHC_PSTATE_LOCKED)) {
        const cchc_rollup_window_t *w = &fig->rollup->window;
        s_write_t wr = {
            .id = w->id, .fig = fig, .version = version, .at = now, .manual = manual,
            .state = now < cchc_periods_close_ms (w) ? CCHC_PSTATE_PROVISIONAL : CCHC_PSTATE_CLOSED
        };
        rc = s_store (self, &wr, err, errlen);
    }
    cchc_figures_destroy (&fig);
    return rc;
}

int
cchc_periods_refresh (cchc_periods_t *self, const cchc_period_t *period, int64_t now,
                      char *err, size_t errlen)
{
    assert (self && period);
    int rc = s_refresh (self, period, now, 0, -1, err, errlen);
    if (rc == 1) {
        char id[CCHC_PERIOD_ID_MAX];
        cchc_period_format (period, id, sizeof id);
        cchc_period_row_t row;
        if (cchc_periods_row (self->db, id, &row, NULL, 0) == 1
            && row.state == CCHC_PSTATE_LOCKED)
            cchc_errf (err, errlen, "%s is locked: its figures are final (reopen it first)", id);
        else
            cchc_errf (err, errlen, "%s changed meanwhile, or the database stayed busy; try again", id);
        return -1;
    }
    return rc;
}

static int
s_lock (cchc_periods_t *self, const cchc_period_t *period, int64_t now, int64_t version,
        const char *who, const char *reason, char *err, size_t errlen)
{
    char id[CCHC_PERIOD_ID_MAX];
    cchc_period_format (period, id, sizeof id);
    cchc_rollup_window_t w;
    cchc_rollup_window (self->criteria, period, now, &w);
    if (now < cchc_periods_close_ms (&w)) {
        char last[16];
        cchc_date_format (w.last, last, sizeof last);
        cchc_errf (err, errlen, "%s cannot be locked: its window runs until %s", id, last);
        return -1;
    }
    cchc_figures_t *fig = cchc_figures_load (self->db, self->criteria, period, now,
                                             CCHC_FIGURES_LIVE, err, errlen);
    if (!fig)
        return -1;
    int rc = -1;
    char *snapshot = NULL;
    cchc_criteria_t *cat2 = NULL;
    cchc_rollup_t *back = NULL;
    if (fig->has_row && fig->row.state == CCHC_PSTATE_LOCKED) {
        cchc_errf (err, errlen, "%s is already locked", id);
        goto done;
    }
    /* the final window: the catalogue's lock instant, or now when earlier */
    cchc_rollup_window_t *fw = &fig->rollup->window;
    fw->lock_ms = w.lock_ms;
    fw->lock_day = w.lock_day;
    if (fw->as_of_ms < w.lock_ms) {
        fw->lock_ms = fw->as_of_ms;
        fw->lock_day = cchc_rollup_yyyymmdd (cchc_date_from_utc_ms (fw->as_of_ms));
    }
    snapshot = cchc_periods_snapshot (fig->rollup, cchc_criteria_source (self->criteria),
                                      cchc_criteria_text (self->criteria));
    if (!snapshot) {
        cchc_errf (err, errlen, "%s: cannot serialise the figures (a value is not finite,"
               " or out of memory)", id);
        goto done;
    }
    char e2[256] = "";
    back = cchc_periods_restore (snapshot, &cat2, e2, sizeof e2);
    if (!back || !cchc_rollup_equal (fig->rollup, back)) {
        cchc_errf (err, errlen, "%s: the stored figures would not restore exactly (%s);"
               " not locked", id, back ? "they differ" : e2);
        goto done;
    }
    s_write_t wr = {
        .id = id, .fig = fig, .state = CCHC_PSTATE_LOCKED, .version = version,
        .snapshot = snapshot, .event = S_EVENT_LOCKED, .at = now, .who = who,
        .reason = reason, .manual = 0
    };
    rc = s_store (self, &wr, err, errlen);
    if (rc == 1)
        cchc_errf (err, errlen, "%s changed meanwhile, or the database stayed busy; try again", id);
    if (rc == 0)
        cchc_notice ("period %s locked by %s: final figures of %zu units, journal"
                     " position %lld", id, who ? who : "?", fig->rollup->unit_count,
                     (long long) fig->journal_pos);
done:
    cchc_rollup_destroy (&back);
    cchc_criteria_destroy (&cat2);
    free (snapshot);
    cchc_figures_destroy (&fig);
    if (rc == 0 && self->conf.on_locked)
        self->conf.on_locked (self, period, now, self->conf.on_locked_arg);
    return rc;
}

int
cchc_periods_lock (cchc_periods_t *self, const cchc_period_t *period, int64_t now,
                   const char *who, const char *reason, char *err, size_t errlen)
{
    assert (self && period);
    return s_lock (self, period, now, 0, who, reason, err, errlen) == 0 ? 0 : -1;
}

int
cchc_periods_lock_due (cchc_periods_t *self, int64_t now, const char *who, size_t *locked,
                       char *err, size_t errlen)
{
    assert (self && locked);
    *locked = 0;
    cchc_period_row_t *rows = NULL;
    size_t n = 0;
    if (cchc_periods_rows (self->db, &rows, &n, err, errlen) != 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        cchc_period_t period;
        if (rows[i].state == CCHC_PSTATE_LOCKED || rows[i].reopened_at
            || cchc_period_parse (rows[i].period, &period) != 0)
            continue;
        cchc_rollup_window_t w;
        cchc_rollup_window (self->criteria, &period, now, &w);
        if (now < w.lock_ms)
            continue;
        if (s_lock (self, &period, now, 0, who, "lock --due", err, errlen) != 0)
            rc = -1;
        else
            (*locked)++;
    }
    free (rows);
    return rc;
}

int
cchc_periods_reopen (cchc_periods_t *self, const cchc_period_t *period, int64_t now,
                     const char *who, const char *reason, char *err, size_t errlen)
{
    assert (self && period);
    char id[CCHC_PERIOD_ID_MAX];
    cchc_period_format (period, id, sizeof id);
    if (!reason || !*reason) {
        cchc_errf (err, errlen, "reopening %s needs a reason", id);
        return -1;
    }
    cchc_figures_t *fig = cchc_figures_load (self->db, self->criteria, period, now,
                                             CCHC_FIGURES_LIVE, err, errlen);
    if (!fig)
        return -1;
    int rc = -1;
    if (!fig->has_row || fig->row.state != CCHC_PSTATE_LOCKED)
        cchc_errf (err, errlen, "%s is not locked", id);
    else {
        s_write_t wr = {
            .id = id, .fig = fig, .state = CCHC_PSTATE_CLOSED, .version = 0,
            .event = S_EVENT_REOPENED, .at = now, .who = who, .reason = reason,
            .manual = 1
        };
        rc = s_store (self, &wr, err, errlen);
        if (rc == 1) {
            cchc_errf (err, errlen, "%s changed meanwhile, or the database stayed busy; try again", id);
            rc = -1;
        }
        if (rc == 0)
            cchc_notice ("period %s reopened by %s: %s", id, who ? who : "?", reason);
    }
    cchc_figures_destroy (&fig);
    return rc;
}

/* ------------------------------------------------------------------------ */
/*  The schedule */

static uint64_t
s_mix (uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    h ^= h >> 31;
    h *= 0xbf58476d1ce4e5b9ULL;
    return h ^ (h >> 29);
}

/*  One month of the map, as a prefix maximum. */
static int
s_month_add (int32_t month, int64_t max, void *arg)
{
    cchc_periods_t *self = arg;
    if (self->month_count == self->month_alloc) {
        size_t want = self->month_alloc ? self->month_alloc * 2 : 64;
        s_month_t *p = realloc (self->months, want * sizeof *p);
        if (!p)
            return -1;
        self->months = p;
        self->month_alloc = want;
    }
    int64_t running = self->month_count ? self->months[self->month_count - 1].max : 0;
    self->months[self->month_count].month = month;
    self->months[self->month_count].max = max > running ? max : running;
    self->month_count++;
    return 0;
}

/*  Reload the month map (newest journal id per reporting month, as a prefix
    maximum).  0 or -1. */
static int
s_load_months (cchc_periods_t *self)
{
    int64_t has = 0;
    if (s_int64 (self->db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                 " AND name = 'observation_month'", &has) != 0)
        return -1;
    self->month_count = 0;
    if (!has)
        return 0;               /* versions fall back to max(journal.id) */
    return cchc_db_month_journal_each (self->db, s_month_add, self);
}

/*  Newest journal id of the months up to `month` (yyyymm). */
static int64_t
s_month_max (const cchc_periods_t *self, int32_t month)
{
    int64_t max = 0;
    for (size_t i = 0; i < self->month_count && self->months[i].month <= month; i++)
        max = self->months[i].max;
    return max;
}

/*  The periods in scope at `now`, newest first within each kind. */
static size_t
s_scope (int64_t now, int scope_days, cchc_period_t *out, size_t max)
{
    cchc_date_t today = cchc_date_from_utc_ms (now);
    size_t n = 0;
    for (int kind = CCHC_PERIOD_MONTH; kind <= CCHC_PERIOD_YEAR; kind++) {
        cchc_period_t p;
        if (cchc_period_of ((cchc_period_kind_t) kind, today, &p) != 0) {
            /* 9 months, from 15/09 to 14/12: this reporting year's has ended */
            cchc_period_t y;
            cchc_period_of (CCHC_PERIOD_YEAR, today, &y);
            p = (cchc_period_t) { CCHC_PERIOD_NINE_MONTHS, y.year, 1 };
        }
        for (int guard = 0; guard < 64 && n < max; guard++) {
            cchc_date_t first, last;
            cchc_period_window (&p, &first, &last);
            if (last < today - scope_days)
                break;
            if (first <= today)
                out[n++] = p;
            cchc_period_t prev;
            cchc_period_prev (&p, &prev);
            p = prev;
        }
    }
    return n;
}

/*  1 when some observation is dated in the window, 0 when none, -1. */
static int
s_has_data (sqlite3 *db, const cchc_rollup_window_t *w)
{
    return cchc_db_observation_any (db, w->first_day, w->last_day, 0);
}

/*  1 when some observation dated in the window arrived before `before`
    (UTC ms), 0 when none, -1.  Stops at the first such row; scans the
    window's rows only when they all came late (once per period: a row is
    stored after). */
static int
s_has_data_before (sqlite3 *db, const cchc_rollup_window_t *w, int64_t before)
{
    return cchc_db_observation_any (db, w->first_day, w->last_day, before);
}

static const cchc_period_row_t *
s_find_row (const cchc_period_row_t *rows, size_t count, const char *id)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp (rows[i].period, id) == 0)
            return &rows[i];
    return NULL;
}

int
cchc_periods_pass (cchc_periods_t *self, int64_t now, bool locks_only,
                   cchc_periods_pass_t *pass, char *err, size_t errlen)
{
    assert (self && pass);
    memset (pass, 0, sizeof *pass);
    int64_t t0 = cchc_clock_mono_ms ();
    sqlite3 *db = self->db;

    /* 1. what is stored, and the data versions, in one read transaction */
    int64_t journal = 0, enrolment = 0, units_sum = 0;
    cchc_period_row_t *rows = NULL;
    size_t row_count = 0;
    if (s_exec (db, "BEGIN", err, errlen) != 0)
        return -1;
    cchc_db_data_version_t seen;
    int rc = cchc_db_data_version (db, &seen);
    journal = seen.journal;
    enrolment = seen.enrolment;
    units_sum = seen.units_sum;
    if (rc == 0 && (!self->have_months || journal != self->seen_journal)) {
        rc = s_load_months (self);
        self->have_months = rc == 0;
        self->seen_journal = journal;
    }
    if (rc != 0)
        cchc_errf (err, errlen, "%s", sqlite3_errmsg (db));
    if (rc == 0)
        rc = cchc_periods_rows (db, &rows, &row_count, err, errlen);
    sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);
    if (rc != 0)
        return -1;

    cchc_period_t scope[S_SCOPE_MAX];
    size_t n = s_scope (now, self->conf.scope_days, scope, S_SCOPE_MAX);
    pass->considered = n;
    int64_t next_lock = 0;

    /* 2. locks, oldest lock instant first */
    bool late_only[S_SCOPE_MAX] = { false };
    for (size_t k = n; k-- > 0;) {
        /* scope lists newest first per kind: walking it backwards is close
           enough to oldest first, and every due lock is taken this pass */
        cchc_rollup_window_t w;
        cchc_rollup_window (self->criteria, &scope[k], now, &w);
        const cchc_period_row_t *row = s_find_row (rows, row_count, w.id);
        if (row && (row->state == CCHC_PSTATE_LOCKED || row->manual))
            continue;
        if (!row && s_has_data (db, &w) != 1)
            continue;           /* nothing to lock (yet): no data in the window */
        if (now < w.lock_ms) {
            if (!next_lock || w.lock_ms < next_lock)
                next_lock = w.lock_ms;
            continue;
        }
        if (!row && s_has_data_before (db, &w, w.lock_ms) != 1) {
            late_only[k] = true;    /* stored below, to be locked by hand */
            continue;
        }
        if (self->hold_locks) {
            pass->held++;           /* the clock jumped: see s_clock_jumped */
            continue;
        }
        char e2[512] = "";
        int lrc = s_lock (self, &scope[k], now, 0, "schedule", NULL, e2, sizeof e2);
        if (lrc == 0)
            pass->locked++;
        else if (lrc == 1)
            pass->deferred++;
        else {
            pass->failed++;
            static cchc_ratelimit_t rl = CCHC_RATELIMIT_INIT (60000, 5);
            cchc_log_limited (&rl, CCHC_LOG_WARN, "periods: cannot lock %s: %s", w.id, e2);
        }
    }
    self->next_lock_ms = next_lock;

    /* 3. recompute what changed, newest first */
    for (size_t k = 0; k < n && !locks_only; k++) {
        cchc_rollup_window_t w;
        cchc_rollup_window (self->criteria, &scope[k], now, &w);
        const cchc_period_row_t *row = s_find_row (rows, row_count, w.id);
        if (row && row->state == CCHC_PSTATE_LOCKED)
            continue;
        if (now >= w.lock_ms && !(row && row->manual) && !late_only[k])
            continue;           /* locked above (or the lock failed: retried) */
        if (!row && s_has_data (db, &w) != 1)
            continue;           /* no data in the window yet: nothing stored */
        int64_t data = self->month_count
                       ? s_month_max (self, cchc_rollup_month_of (w.last_day)) : journal;
        int64_t version = (int64_t) (s_mix (s_mix (s_mix (0, (uint64_t) data),
                                                   (uint64_t) enrolment),
                                            (uint64_t) units_sum) >> 1);
        int64_t close = cchc_periods_close_ms (&w);
        bool due = !row || row->data_version != version
                   || (row->computed_at < close && close <= now);
        for (int l = 0; l < CCHC_LEVEL_COUNT && !due; l++)
            due = row->computed_at < w.level_due_ms[l] && w.level_due_ms[l] <= now;
        if (!due)
            continue;
        char e2[512] = "";
        int frc = s_refresh (self, &scope[k], now, version, late_only[k] ? 1 : -1,
                             e2, sizeof e2);
        if (frc == 0)
            pass->computed++;
        else if (frc == 1)
            pass->deferred++;
        else {
            pass->failed++;
            static cchc_ratelimit_t rl = CCHC_RATELIMIT_INIT (60000, 5);
            cchc_log_limited (&rl, CCHC_LOG_WARN, "periods: cannot compute %s: %s",
                              w.id, e2);
        }
    }
    free (rows);
    pass->duration_ms = cchc_clock_mono_ms () - t0;
    return 0;
}

/*  A forward jump of the wall clock (a wrong NTP step, a hand-set date)
    must not lock periods early: a lock is undone only by `period reopen`.
    The schedule compares the wall clock with the monotonic clock (which
    never jumps) since its first pass: wall time further ahead than the
    elapsed monotonic time (times the demonstration clock's speed) by more
    than CCHC_PERIODS_JUMP_MS holds every lock, loudly, until the clocks
    agree again (the wall clock set back) or the collector is restarted
    (the new time is right: the guard starts afresh).  Returns true while
    locks are held. */
bool
cchc_periods_clock_jumped (int64_t *base_wall, int64_t *base_mono, int64_t wall,
                           int64_t mono, int64_t speed)
{
    if (*base_mono == 0 && *base_wall == 0) {
        *base_wall = wall;
        *base_mono = mono;
        return false;
    }
    int64_t expected = *base_wall + (mono - *base_mono) * (speed > 0 ? speed : 1);
    if (wall < expected - CCHC_PERIODS_JUMP_MS) {
        /*  set back: follow it (an early lock cannot come from that) */
        *base_wall = wall;
        *base_mono = mono;
    }
    return wall > expected + CCHC_PERIODS_JUMP_MS;
}

static void *
s_run (void *arg)
{
    cchc_periods_t *self = arg;
#ifdef SYS_gettid
    /* below the ingest threads: a pass may take seconds of CPU */
    setpriority (PRIO_PROCESS, (id_t) syscall (SYS_gettid), 10);
#endif
    pthread_mutex_lock (&self->mutex);
    while (self->running) {
        pthread_mutex_unlock (&self->mutex);
        int64_t now = cchc_clock_now_ms ();
        bool held = cchc_periods_clock_jumped (&self->base_wall, &self->base_mono, now,
                                               cchc_clock_mono_ms (), cchc_clock_speed ());
        if (held != self->hold_locks || held) {
            static cchc_ratelimit_t rl_jump = CCHC_RATELIMIT_INIT (600000, 1);
            if (held && !self->hold_locks)
                cchc_error ("CLOCK JUMPED FORWARD: the wall clock is %lld s ahead of the time "
                            "elapsed since the schedule started; NO PERIOD WILL BE LOCKED "
                            "until the clock is set back or the collector is restarted "
                            "(restart it if the new time is right)",
                            (long long) ((now - self->base_wall
                                          - (cchc_clock_mono_ms () - self->base_mono)
                                            * cchc_clock_speed ()) / 1000));
            else if (held)
                cchc_log_limited (&rl_jump, CCHC_LOG_ERROR, "clock jumped forward: period "
                                  "locks still held (set the clock back, or restart)");
            else
                cchc_notice ("the wall clock agrees with the elapsed time again: "
                             "period locks resume");
        }
        self->hold_locks = held;
        cchc_periods_pass_t pass;
        char err[512] = "";
        if (cchc_periods_pass (self, now, false, &pass, err, sizeof err) != 0) {
            static cchc_ratelimit_t rl = CCHC_RATELIMIT_INIT (60000, 2);
            cchc_log_limited (&rl, CCHC_LOG_WARN, "periods: pass failed: %s", err);
            pass.duration_ms = 0;
        }
        else if (pass.computed || pass.locked || pass.failed)
            cchc_debug ("periods: %zu in scope, %zu computed, %zu locked, %zu failed,"
                        " %zu deferred in %lld ms", pass.considered, pass.computed,
                        pass.locked, pass.failed, pass.deferred,
                        (long long) pass.duration_ms);
        /* next pass: after the interval, never busier than ~1/3 of a core,
           but right at the next lock instant */
        int64_t wait = self->conf.interval_ms;
        if (pass.duration_ms * 2 > wait)
            wait = pass.duration_ms * 2;
        if (pass.deferred && wait > 1000)
            wait = 1000;
        now = cchc_clock_now_ms ();
        /* (a demonstration clock may run faster than real time) */
        int64_t to_lock = cchc_clock_real_wait_ms (self->next_lock_ms - now + 1);
        if (self->next_lock_ms > 0 && to_lock < wait)
            wait = to_lock;
        if (wait < 1)
            wait = 1;
        struct timespec ts;
        clock_gettime (CLOCK_MONOTONIC, &ts);
        ts.tv_sec += (time_t) (wait / 1000);
        ts.tv_nsec += (long) (wait % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock (&self->mutex);
        if (self->running)
            pthread_cond_timedwait (&self->wake, &self->mutex, &ts);
    }
    pthread_mutex_unlock (&self->mutex);
    return NULL;
}

int
cchc_periods_start (cchc_periods_t *self, char *err, size_t errlen)
{
    assert (self && !self->started);
    self->running = true;
    if (pthread_create (&self->thread, NULL, s_run, self) != 0) {
        self->running = false;
        cchc_errf (err, errlen, "cannot start the period schedule thread");
        return -1;
    }
    self->started = true;
    return 0;
}
