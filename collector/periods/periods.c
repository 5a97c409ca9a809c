/*  periods.c — stored, scheduled and locked period figures (periods.h).

    The keeper: period states and stored rows are read in rows.c, snapshots
    of locked figures written and restored in snapshot.c (its head has the
    format), the schedule in schedule.c; here the figures people see,
    storing, locking and reopening.  Every statement on the period tables
    is collector/db/periods.h's: this file says what to store, db/ how.

    Concurrency: the schedule (a collector thread) and cchcctl write the same
    rows.  Figures are computed in a read transaction that also reads the
    row's revision; the write transaction (BEGIN IMMEDIATE, short) stores them
    only if the revision is unchanged, else gives up until the next pass.
*/
#include "collector/periods/periods.h"
#include "collector/periods/periods_impl.h"
#include "collector/db/db.h"
#include "collector/db/periods.h"
#include "collector/figures/rollup_json.h"

#include "common/clock.h"
#include "common/log.h"
#include "common/mem.h"
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
    return cchc_db_periods_kept (db);
}

/* ------------------------------------------------------------------------ */
/*  Figures as people see them */

void
cchc_figures_destroy (cchc_figures_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cchc_figures_t *self = *self_p;
    cchc_rollup_destroy (&self->rollup); /* before the catalogue it borrows */
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
    char id [CCHC_PERIOD_ID_MAX];
    cchc_period_format (period, id, sizeof id);
    if (cchc_db_read_begin (db) != 0) {
        cchc_errf (err, errlen, "%s", sqlite3_errmsg (db));
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
        char *text = cchc_db_period_result_snapshot (db, id);
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
        char id0 [CCHC_PERIOD_ID_MAX];
        cchc_period_format (&p0, id0, sizeof id0);
        char *text0 = f->managed ? cchc_db_period_result_snapshot (db, id0) : NULL;
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
            f->rollup->window.lock_ms = INT64_MAX; /* not locked (yet) */
    }
    f->state = cchc_periods_state (&w, f->has_row ? &f->row : NULL, f->managed, now);
    if (!f->stored && f->state == CCHC_PSTATE_LOCKED && f->managed)
        f->state = CCHC_PSTATE_CLOSED; /* live figures of a locked period */
    ok = true;
done:
    cchc_db_read_end (db);
    if (!ok)
        cchc_figures_destroy (&f);
    return f;
}

/* ------------------------------------------------------------------------ */
/*  The keeper */

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
    int rc = sqlite3_open_v2 (self->db_path, &self->db,
                              SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        cchc_errf (err, errlen, "%s: %s", self->db_path,
                   self->db ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc));
        goto fail;
    }
    sqlite3_busy_timeout (self->db, (int) self->conf.busy_timeout_ms);
    sqlite3_extended_result_codes (self->db, 1);
    int tables = cchc_db_collector_tables (self->db);
    if (tables < 0) {
        cchc_errf (err, errlen, "%s: %s", self->db_path, sqlite3_errmsg (self->db));
        goto fail;
    }
    if (tables == 0) {
        cchc_errf (err, errlen,
                   "%s: not a collector database (collector/db/schema.h tables missing)",
                   self->db_path);
        goto fail;
    }
    char e2 [256];
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
    const char *snapshot; /* locked only */
    s_event_t event;
    int64_t at;
    const char *who, *reason;
    int manual; /* -1 keep, 0 clear, 1 set (the table's manual) */
} s_write_t;

/*  The stored result of the figures (malloc'ed JSON text), NULL when out
    of memory. */
static char *
s_result_text (const cchc_rollup_t *r, cchc_pstate_t state)
{
    json_t *jr = cchc_rollup_json (r, NULL);
    if (jr && state != CCHC_PSTATE_LOCKED) {
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
    return result;
}

/*  Step 2 of s_store: the row.  0, or -1 (sqlite3_errmsg). */
static int
s_store_row (sqlite3 *db, const s_write_t *wr, const char *result)
{
    const cchc_rollup_t *r = wr->fig->rollup;
    bool locking = wr->state == CCHC_PSTATE_LOCKED;
    /* a lock clears reopened_at, a reopen sets it, a refresh keeps it */
    cchc_db_period_result_put_t put = { .period = wr->id,
                                        .state = cchc_pstate_code (wr->state),
                                        .computed_at = r->window.as_of_ms,
                                        .journal_pos = wr->fig->journal_pos,
                                        .journal_max = r->journal_max,
                                        .data_version = wr->version,
                                        .units = (int64_t) r->unit_count,
                                        .result = result,
                                        .locked = locking,
                                        .snapshot = locking ? wr->snapshot : NULL,
                                        .locked_at = locking ? wr->at : 0,
                                        .locked_by = locking ? wr->who : NULL,
                                        .event = wr->event != S_EVENT_NONE,
                                        .reopened_at =
                                            wr->event == S_EVENT_REOPENED ? wr->at : 0,
                                        .manual = wr->manual };
    return cchc_db_period_result_put (db, &put);
}

/*  Step 3 of s_store: the event of a lock or a reopen (old_pos, old_at,
    old_result: the row before a reopen).  0, or -1 (sqlite3_errmsg). */
static int
s_store_event (sqlite3 *db, const s_write_t *wr, int64_t old_pos, int64_t old_at,
               const char *old_result)
{
    bool reopen = wr->event == S_EVENT_REOPENED;
    cchc_db_period_event_t e = { .period = wr->id,
                                 .event = reopen ? "reopened" : "locked",
                                 .at = wr->at,
                                 .who = wr->who ? wr->who : "?",
                                 .reason = wr->reason && *wr->reason ? wr->reason : NULL,
                                 .journal_pos = reopen ? old_pos : wr->fig->journal_pos,
                                 .computed_at =
                                     reopen ? old_at : wr->fig->rollup->window.as_of_ms };
    return cchc_db_period_event_add (db, &e, reopen ? old_result : NULL);
}

/*  Store in one short write transaction.  0 stored, 1 deferred (the row
    changed since the figures were computed, or the database stayed locked
    by the writer for the busy timeout), -1 error. */
static int
s_store (cchc_periods_t *self, const s_write_t *wr, char *err, size_t errlen)
{
    char *result = s_result_text (wr->fig->rollup, wr->state);
    if (!result) {
        cchc_errf (err, errlen, "out of memory");
        return -1;
    }
    sqlite3 *db = self->db;
    int status = -1;
    if (cchc_db_write_begin (db) != 0) {
        /* the collector's writer kept its lock for the whole busy timeout
           (a heavy backfill): try again at the next pass */
        cchc_errf (err, errlen, "%s", sqlite3_errmsg (db));
        int code = sqlite3_errcode (db) & 0xff;
        free (result);
        return code == SQLITE_BUSY || code == SQLITE_LOCKED ? 1 : -1;
    }
    /* 1. the row must be the one the figures were computed against */
    int64_t revision = 0, old_pos = 0, old_at = 0;
    char *old_result = NULL;
    if (cchc_db_period_result_revision (db, wr->id, &revision, &old_pos, &old_at,
                                        wr->event == S_EVENT_REOPENED ? &old_result : NULL)
        != 0)
        goto sql_error;
    if (revision != (wr->fig->has_row ? wr->fig->row.revision : 0)) {
        status = 1;
        goto rollback;
    }
    /* 2. the row, 3. the event */
    if (s_store_row (db, wr, result) != 0
        || (wr->event != S_EVENT_NONE
            && s_store_event (db, wr, old_pos, old_at, old_result) != 0))
        goto sql_error;
    if (cchc_db_write_commit (db) != 0) {
        cchc_errf (err, errlen, "%s", sqlite3_errmsg (db));
        goto rollback;
    }
    free (result);
    free (old_result);
    return 0;

sql_error:
    cchc_errf (err, errlen, "%s: %s", wr->id, sqlite3_errmsg (db));
rollback:
    cchc_db_write_rollback (db);
    free (result);
    free (old_result);
    return status;
}

/*  The live figures of a period the keeper is to store, lock or reopen. */
static cchc_figures_t *
s_live (cchc_periods_t *self, const cchc_period_t *period, int64_t now, char *err,
        size_t errlen)
{
    return cchc_figures_load (self->db, self->criteria, period, now, CCHC_FIGURES_LIVE, err,
                              errlen);
}

int
cchc_periods_refresh_version (cchc_periods_t *self, const cchc_period_t *period, int64_t now,
                              int64_t version, int manual, char *err, size_t errlen)
{
    cchc_figures_t *fig = s_live (self, period, now, err, errlen);
    if (!fig)
        return -1;
    int rc = 1;
    if (!(fig->has_row && fig->row.state == CCHC_PSTATE_LOCKED)) {
        const cchc_rollup_window_t *w = &fig->rollup->window;
        s_write_t wr = { .id = w->id,
                         .fig = fig,
                         .version = version,
                         .at = now,
                         .manual = manual,
                         .state = now < cchc_periods_close_ms (w) ? CCHC_PSTATE_PROVISIONAL
                                                                  : CCHC_PSTATE_CLOSED };
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
    int rc = cchc_periods_refresh_version (self, period, now, 0, -1, err, errlen);
    if (rc == 1) {
        char id [CCHC_PERIOD_ID_MAX];
        cchc_period_format (period, id, sizeof id);
        cchc_period_row_t row;
        if (cchc_periods_row (self->db, id, &row, NULL, 0) == 1
            && row.state == CCHC_PSTATE_LOCKED)
            cchc_errf (err, errlen, "%s is locked: its figures are final (reopen it first)",
                       id);
        else
            cchc_errf (err, errlen,
                       "%s changed meanwhile, or the database stayed busy; try again", id);
        return -1;
    }
    return rc;
}

int
cchc_periods_lock_version (cchc_periods_t *self, const cchc_period_t *period, int64_t now,
                           int64_t version, const char *who, const char *reason, char *err,
                           size_t errlen)
{
    char id [CCHC_PERIOD_ID_MAX];
    cchc_period_format (period, id, sizeof id);
    cchc_rollup_window_t w;
    cchc_rollup_window (self->criteria, period, now, &w);
    if (now < cchc_periods_close_ms (&w)) {
        char last [16];
        cchc_date_format (w.last, last, sizeof last);
        cchc_errf (err, errlen, "%s cannot be locked: its window runs until %s", id, last);
        return -1;
    }
    cchc_figures_t *fig = s_live (self, period, now, err, errlen);
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
        fw->lock_day = cchc_date_to_yyyymmdd (cchc_date_from_utc_ms (fw->as_of_ms));
    }
    snapshot = cchc_periods_snapshot (fig->rollup, cchc_criteria_source (self->criteria),
                                      cchc_criteria_text (self->criteria));
    if (!snapshot) {
        cchc_errf (err, errlen,
                   "%s: cannot serialise the figures (a value is not finite,"
                   " or out of memory)",
                   id);
        goto done;
    }
    char e2 [256] = "";
    back = cchc_periods_restore (snapshot, &cat2, e2, sizeof e2);
    if (!back || !cchc_rollup_equal (fig->rollup, back)) {
        cchc_errf (err, errlen,
                   "%s: the stored figures would not restore exactly (%s);"
                   " not locked",
                   id, back ? "they differ" : e2);
        goto done;
    }
    s_write_t wr = { .id = id,
                     .fig = fig,
                     .state = CCHC_PSTATE_LOCKED,
                     .version = version,
                     .snapshot = snapshot,
                     .event = S_EVENT_LOCKED,
                     .at = now,
                     .who = who,
                     .reason = reason,
                     .manual = 0 };
    rc = s_store (self, &wr, err, errlen);
    if (rc == 1)
        cchc_errf (err, errlen, "%s changed meanwhile, or the database stayed busy; try again",
                   id);
    if (rc == 0)
        cchc_notice ("period %s locked by %s: final figures of %zu units, journal"
                     " position %lld",
                     id, who ? who : "?", fig->rollup->unit_count,
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
    int rc = cchc_periods_lock_version (self, period, now, 0, who, reason, err, errlen);
    return rc == 0 ? 0 : -1;
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
        if (rows [i].state == CCHC_PSTATE_LOCKED || rows [i].reopened_at
            || cchc_period_parse (rows [i].period, &period) != 0)
            continue;
        cchc_rollup_window_t w;
        cchc_rollup_window (self->criteria, &period, now, &w);
        if (now < w.lock_ms)
            continue;
        if (cchc_periods_lock_version (self, &period, now, 0, who, "lock --due", err, errlen)
            != 0)
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
    char id [CCHC_PERIOD_ID_MAX];
    cchc_period_format (period, id, sizeof id);
    if (!reason || !*reason) {
        cchc_errf (err, errlen, "reopening %s needs a reason", id);
        return -1;
    }
    cchc_figures_t *fig = s_live (self, period, now, err, errlen);
    if (!fig)
        return -1;
    int rc = -1;
    if (!fig->has_row || fig->row.state != CCHC_PSTATE_LOCKED)
        cchc_errf (err, errlen, "%s is not locked", id);
    else {
        s_write_t wr = { .id = id,
                         .fig = fig,
                         .state = CCHC_PSTATE_CLOSED,
                         .version = 0,
                         .event = S_EVENT_REOPENED,
                         .at = now,
                         .who = who,
                         .reason = reason,
                         .manual = 1 };
        rc = s_store (self, &wr, err, errlen);
        if (rc == 1) {
            cchc_errf (err, errlen,
                       "%s changed meanwhile, or the database stayed busy; try again", id);
            rc = -1;
        }
        if (rc == 0)
            cchc_notice ("period %s reopened by %s: %s", id, who ? who : "?", reason);
    }
    cchc_figures_destroy (&fig);
    return rc;
}

/* ------------------------------------------------------------------------ */
/*  The schedule's data versions (schedule.c) */

/*  One month of the map, as a prefix maximum. */
static int
s_month_add (int32_t month, int64_t max, void *arg)
{
    cchc_periods_t *self = arg;
    if (cchc_grow (&self->months, &self->month_alloc, self->month_count, sizeof *self->months,
                   64))
        return -1;
    int64_t running = self->month_count ? self->months [self->month_count - 1].max : 0;
    self->months [self->month_count].month = month;
    self->months [self->month_count].max = max > running ? max : running;
    self->month_count++;
    return 0;
}

/*  Reload the month map (newest journal id per reporting month, as a prefix
    maximum).  0 or -1. */
int
cchc_periods_load_months (cchc_periods_t *self)
{
    int has = cchc_db_month_kept (self->db);
    if (has < 0)
        return -1;
    self->month_count = 0;
    if (!has)
        return 0; /* versions fall back to max(journal.id) */
    return cchc_db_month_journal_each (self->db, s_month_add, self);
}
