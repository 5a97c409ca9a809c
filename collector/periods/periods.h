/*  periods.h — a period's figures as the province keeps them: computed on a
    schedule while data arrives, stored with when they were computed and the
    journal position they cover, and locked at the report deadline so that
    they never change again — except by an explicit, logged reopen.

    Life of a period (ids and windows: common/period.h; lock day: the
    catalogue's lock_day, default the 22nd of the window's last month):

      state        when                            figures
      -----------  ------------------------------  ---------------------------
      provisional  the window is running           recomputed as data arrives
      closed       the window is over, not locked  recomputed as late data
                   (before the lock instant, or    arrives
                   reopened)
      locked       the lock instant passed (the    final: the stored result,
                   schedule locked it) or an       restored exactly, whatever
                   operator ran `period lock`      arrives later

    The lock instant is the start (00:00 local, UTC+7) of the lock day.  The
    schedule (cchc_periods_start: a thread of the collector) locks a period
    at its first pass after that instant, computing the final figures first;
    the collector wakes for it, so they cover what arrived up to within a few
    milliseconds of the instant.  `cchcctl period lock` locks a closed period
    by hand (e.g. early, once every agency has reported): its window's lock
    day and instant then become the moment it was locked.

    `cchcctl period reopen --reason TEXT` puts a locked period back to closed
    (logged with who, when, why and the figures it supersedes) and recomputes
    it.  A reopened period is kept current by the schedule but is NOT locked
    again by it: it stays closed until an operator runs `period lock`.

    The same holds for a period whose data all arrived after its lock
    instant (a history sent late, agents installed mid-year backfilling past
    quarters): locking it at the first message would freeze a half-sent
    backfill, so the schedule keeps it closed, current, and marked "lock by
    hand".  A period that had data before its lock instant is locked by the
    schedule even if the collector was stopped at that instant (at the next
    start, before any message is read).

    Scope of the schedule: each pass looks at the periods (every kind) whose
    window has started and ended no more than `scope_days` (default 400, about
    13 months — so the previous year's periods too) before today.  Older
    periods are left alone: a history imported long after the fact is shown
    as computed live (state closed) until someone locks it by hand.  A pass
    recomputes a period when its data version changed (below), when a window
    boundary (end, due day) passed since it was computed, or when it has no
    stored result yet.  A period with no observation dated in its window is
    neither stored nor locked by the schedule (a fresh database does not
    lock a year of empty periods; history imported later still counts).

    Data version of a period: the newest journal id among the observation
    rows of its reporting months and every month before (gauges carry values
    forward, and `change` compares with the previous period), read from the
    roll-up's observation_month summary (rollup.h; max(journal.id) when that
    table is missing), combined with the enrolment version and a checksum of
    the unit table.

    Tables: period_result and period_event (collector/db/schema.h,
    CCHC_DB_PERIODS_SQL), created when a keeper first opens the database.
*/
#ifndef CCHC_PERIODS_H
#define CCHC_PERIODS_H

#include "collector/db/periods.h"
#include "collector/figures/criteria.h"
#include "collector/figures/rollup.h"
#include "common/period.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*  Default scope of the schedule (days after a window's end). */
#define CCHC_PERIODS_SCOPE_DAYS 400

/*  1 when the database has the tables (a collector with this module ran on
    it), 0 when not, -1 on error. */
int cchc_periods_managed (sqlite3 *db);

/* ------------------------------------------------------------------------ */
/*  States and stored rows */

typedef enum {
    CCHC_PSTATE_NONE = 0,   /* no stored row */
    CCHC_PSTATE_FUTURE = 1, /* the window has not started */
    CCHC_PSTATE_PROVISIONAL = 2,
    CCHC_PSTATE_CLOSED = 3,
    CCHC_PSTATE_LOCKED = 4
} cchc_pstate_t;

/*  "none", "future", "provisional", "closed", "locked", and Vietnamese labels. */
const char *cchc_pstate_code (cchc_pstate_t state);
const char *cchc_pstate_name (cchc_pstate_t state);

typedef struct {
    char period [CCHC_PERIOD_ID_MAX];
    cchc_pstate_t state; /* provisional, closed or locked */
    int64_t computed_at; /* UTC ms */
    int64_t journal_pos;
    int64_t journal_max;
    int64_t data_version;
    int64_t units;
    int64_t locked_at; /* 0 when not locked */
    char locked_by [64];
    int64_t reopened_at; /* 0 unless reopened (and not locked since) */
    bool manual;         /* locked only by hand (see the table) */
    int64_t revision;
    bool has_snapshot;
    int64_t after_lock_units; /* locked, read by cchc_periods_rows: units
                                       whose data in the window changed after
                                       the lock (kept in the journal, not in
                                       the figures until a reopen) */
} cchc_period_row_t;

/*  The stored row of `period` (an id).  1 found, 0 none (or no tables), -1
    error with err. */
int cchc_periods_row (sqlite3 *db, const char *period, cchc_period_row_t *row, char *err,
                      size_t errlen);

/*  Every stored row, oldest window first (then by kind).  *rows is
    malloc'ed (free it; NULL when none).  0 or -1. */
int cchc_periods_rows (sqlite3 *db, cchc_period_row_t **rows, size_t *count, char *err,
                       size_t errlen);

/*  One event (collector/db/periods.h: id, period, event "locked" |
    "reopened", at (UTC ms), who, reason (may be NULL), journal_pos,
    computed_at). */
typedef cchc_db_period_event_t cchc_period_event_t;

typedef int (cchc_period_event_fn) (const cchc_period_event_t *event, void *arg);

/*  Call fn for every event (of `period`, or all when NULL), oldest first.
    0, or -1 (error, or fn returned -1). */
int cchc_periods_events (sqlite3 *db, const char *period, cchc_period_event_fn *fn, void *arg,
                         char *err, size_t errlen);

/*  The state of a period at `now`: locked when its stored row is; future /
    provisional by the window; after the window, closed — or, on a database
    without the tables (no schedule ever ran: a copy, a test fixture),
    locked once the lock instant has passed, as the calendar says. */
cchc_pstate_t cchc_periods_state (const cchc_rollup_window_t *w, const cchc_period_row_t *row,
                                  bool managed, int64_t now);

/* ------------------------------------------------------------------------ */
/*  The figures of a period as people see them (cchcctl rollup / report,
    the dashboard): the stored final result when the period is locked,
    otherwise computed now with `cat` — with `change` against the previous
    period's stored final result when that one is locked. */

typedef struct {
    cchc_rollup_t *rollup;     /* owned */
    cchc_criteria_t *criteria; /* owned when restored: the catalogue the
                                       locked figures were computed with;
                                       NULL when the caller's `cat` is used */
    cchc_pstate_t state;       /* cchc_periods_state */
    bool stored;               /* restored from the stored snapshot */
    bool managed;              /* the database has the tables */
    bool has_row;
    cchc_period_row_t row; /* the stored row, when has_row */
    int64_t journal_pos;   /* journal position the figures cover */
} cchc_figures_t;

#define CCHC_FIGURES_LIVE 1 /* flag: compute now even when locked */

/*  Load the figures (one read transaction, nested as a savepoint in the
    caller's).  Computed figures of a period that is not locked get a window
    whose lock instant lies in the future (INT64_MAX): reports and exports
    then call them provisional.  NULL with err. */
cchc_figures_t *cchc_figures_load (sqlite3 *db, const cchc_criteria_t *cat,
                                   const cchc_period_t *period, int64_t now, int flags,
                                   char *err, size_t errlen);
void cchc_figures_destroy (cchc_figures_t **self_p);

/* ------------------------------------------------------------------------ */
/*  Snapshots: the exact, restorable form of a locked result */

/*  Serialise `r` (computed with the catalogue whose source is
    criteria_name / criteria_text) as a snapshot (malloc'ed JSON text), or
    NULL (out of memory). */
char *cchc_periods_snapshot (const cchc_rollup_t *r, const char *criteria_name,
                             const char *criteria_text);

/*  Restore a snapshot: the catalogue it carries (*cat, owned by the
    caller, destroy it after the roll-up) and the roll-up, equal field for
    field to the one serialised.  NULL with err. */
cchc_rollup_t *cchc_periods_restore (const char *snapshot, cchc_criteria_t **cat, char *err,
                                     size_t errlen);

/*  True when a and b hold the same figures (every field of every unit,
    cell, score, figure and distribution).  Used to check a snapshot before
    a lock is committed. */
bool cchc_rollup_equal (const cchc_rollup_t *a, const cchc_rollup_t *b);

/* ------------------------------------------------------------------------ */
/*  The keeper: a read-write connection, the catalogue (with its text, for
    snapshots) and optionally the schedule thread.  Used by the collector
    (schedule) and by cchcctl (lock, reopen). */

typedef struct cchc_periods_t cchc_periods_t;

/*  Told after every lock committed (the schedule's, `period lock`'s), on
    the thread that locked, with the keeper's connection free to read. */
typedef void (cchc_periods_locked_fn) (cchc_periods_t *keeper, const cchc_period_t *period,
                                       int64_t now, void *arg);

typedef struct {
    const char *db_path;
    const cchc_criteria_t *criteria;   /* the process's catalogue, borrowed: it
                                       outlives the keeper (its text goes into
                                       locked snapshots) */
    cchc_periods_locked_fn *on_locked; /* may be NULL */
    void *on_locked_arg;
    int64_t interval_ms;     /* schedule pass interval (default 10 s) */
    int64_t busy_timeout_ms; /* wait for the writer's lock; 0: 5000 */
    int scope_days;          /* 0: CCHC_PERIODS_SCOPE_DAYS */
} cchc_periods_config_t;

/*  Open the database (read-write; must be a collector database), apply the
    tables.  NULL with err. */
cchc_periods_t *cchc_periods_new (const cchc_periods_config_t *conf, char *err, size_t errlen);

/*  Stop the schedule thread if running, close, free.  Accepts NULL. */
void cchc_periods_destroy (cchc_periods_t **self_p);

sqlite3 *cchc_periods_handle (cchc_periods_t *self);
const cchc_criteria_t *cchc_periods_criteria (cchc_periods_t *self);

typedef struct {
    size_t considered; /* periods in scope */
    size_t computed;   /* figures stored (provisional / closed) */
    size_t locked;     /* periods locked */
    size_t failed;     /* computations or writes that failed */
    size_t deferred;   /* given up because the row changed meanwhile */
    size_t held;       /* due, not locked: the clock jumped forward */
    int64_t duration_ms;
} cchc_periods_pass_t;

/*  The schedule's clock-jump guard (schedule.c): true when `wall` is more
    than CCHC_PERIODS_JUMP_MS ahead of base_wall + (mono - base_mono) *
    speed; the first call sets the base, a wall clock set back re-bases.
    While it is true the schedule locks nothing and says so loudly. */
#define CCHC_PERIODS_JUMP_MS (10 * 60 * 1000)
bool cchc_periods_clock_jumped (int64_t *base_wall, int64_t *base_mono, int64_t wall,
                                int64_t mono, int64_t speed);

/*  One pass of the schedule at `now` (UTC ms): lock what is due, then
    recompute what changed.  With `locks_only`, only the locking part (the
    collector runs that once before it reads any message).  0, or -1 when
    the pass could not start (err); failures of single periods are counted
    in `pass` and logged. */
int cchc_periods_pass (cchc_periods_t *self, int64_t now, bool locks_only,
                       cchc_periods_pass_t *pass, char *err, size_t errlen);

/*  Start the schedule thread: a pass every interval_ms (longer when a pass
    takes long: never more than about a third of a core), and at each lock
    instant.  Runs at a lower CPU priority than the ingest threads.  0 or -1. */
int cchc_periods_start (cchc_periods_t *self, char *err, size_t errlen);

/*  Compute and store `period` now (provisional or closed).  Refused for a
    locked period.  0 or -1 with err. */
int cchc_periods_refresh (cchc_periods_t *self, const cchc_period_t *period, int64_t now,
                          char *err, size_t errlen);

/*  Lock `period` now: compute the final figures, check that their snapshot
    restores exactly, store them (state locked) and log the event with `who`
    and `reason` (may be NULL).  Refused when the window has not ended or the
    period is already locked.  0 or -1 with err. */
int cchc_periods_lock (cchc_periods_t *self, const cchc_period_t *period, int64_t now,
                       const char *who, const char *reason, char *err, size_t errlen);

/*  Lock every period that is due and waiting for a hand (`cchcctl period
    lock --due`): each stored row not locked, not reopened, whose lock
    instant has passed — history that arrived after its lock instant, which
    the schedule keeps closed (see above).  A reopened period is left for
    an explicit `period lock ID`.  *locked counts the periods locked (each
    told to on_locked).  0, or -1 with err (the first failure; those before
    it stay locked). */
int cchc_periods_lock_due (cchc_periods_t *self, int64_t now, const char *who, size_t *locked,
                           char *err, size_t errlen);

/*  Reopen a locked period: log who, when, why (required) and the figures
    it supersedes; recompute it now (state closed).  It stays closed until
    cchc_periods_lock.  0 or -1 with err. */
int cchc_periods_reopen (cchc_periods_t *self, const cchc_period_t *period, int64_t now,
                         const char *who, const char *reason, char *err, size_t errlen);

#endif
