/*  schedule.c — the period keeper's schedule (periods.h): which periods are
    in scope, one pass (lock what is due, then recompute what changed, by a
    data version per period), the clock-jump guard and the schedule thread.
    Storing and locking themselves are in periods.c. */
#include "collector/periods/periods.h"
#include "collector/periods/periods_impl.h"
#include "collector/db/db.h"

#include "common/clock.h"
#include "common/log.h"
#include "common/text.h"

#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define S_SCOPE_MAX 64

static uint64_t
s_mix (uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    h ^= h >> 31;
    h *= 0xbf58476d1ce4e5b9ULL;
    return h ^ (h >> 29);
}

/*  Newest journal id of the months up to `month` (yyyymm). */
static int64_t
s_month_max (const cchc_periods_t *self, int32_t month)
{
    int64_t max = 0;
    for (size_t i = 0; i < self->month_count && self->months [i].month <= month; i++)
        max = self->months [i].max;
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
            p = (cchc_period_t){ CCHC_PERIOD_NINE_MONTHS, y.year, 1 };
        }
        for (int guard = 0; guard < 64 && n < max; guard++) {
            cchc_date_t first, last;
            cchc_period_window (&p, &first, &last);
            if (last < today - scope_days)
                break;
            if (first <= today)
                out [n++] = p;
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
        if (strcmp (rows [i].period, id) == 0)
            return &rows [i];
    return NULL;
}

/*  What one pass reads in its first, read transaction. */
typedef struct {
    int64_t journal, enrolment, units_sum; /* data versions */
    cchc_period_row_t *rows;               /* what is stored */
    size_t row_count;
    cchc_period_t scope [S_SCOPE_MAX]; /* periods in scope */
    size_t n;
    bool late_only [S_SCOPE_MAX]; /* data only after the lock instant */
} s_pass_t;

/*  1. what is stored, and the data versions, in one read transaction.
    0 or -1 with err. */
static int
s_pass_read (cchc_periods_t *self, s_pass_t *ps, char *err, size_t errlen)
{
    sqlite3 *db = self->db;
    if (cchc_db_read_begin (db)) {
        cchc_errf (err, errlen, "%s", sqlite3_errmsg (db));
        return -1;
    }
    cchc_db_data_version_t seen;
    int rc = cchc_db_data_version (db, &seen);
    ps->journal = seen.journal;
    ps->enrolment = seen.enrolment;
    ps->units_sum = seen.units_sum;
    if (rc == 0 && (!self->have_months || ps->journal != self->seen_journal)) {
        rc = cchc_periods_load_months (self);
        self->have_months = rc == 0;
        self->seen_journal = ps->journal;
    }
    if (rc != 0)
        cchc_errf (err, errlen, "%s", sqlite3_errmsg (db));
    if (rc == 0)
        rc = cchc_periods_rows (db, &ps->rows, &ps->row_count, err, errlen);
    cchc_db_read_end (db);
    return rc != 0 ? -1 : 0;
}

/*  2. locks, oldest lock instant first; sets self->next_lock_ms and
    ps->late_only. */
static void
s_pass_locks (cchc_periods_t *self, s_pass_t *ps, int64_t now, cchc_periods_pass_t *pass)
{
    sqlite3 *db = self->db;
    int64_t next_lock = 0;
    for (size_t k = ps->n; k-- > 0;) {
        /* scope lists newest first per kind: walking it backwards is close
           enough to oldest first, and every due lock is taken this pass */
        cchc_rollup_window_t w;
        cchc_rollup_window (self->criteria, &ps->scope [k], now, &w);
        const cchc_period_row_t *row = s_find_row (ps->rows, ps->row_count, w.id);
        if (row && (row->state == CCHC_PSTATE_LOCKED || row->manual))
            continue;
        if (!row && s_has_data (db, &w) != 1)
            continue; /* nothing to lock (yet): no data in the window */
        if (now < w.lock_ms) {
            if (!next_lock || w.lock_ms < next_lock)
                next_lock = w.lock_ms;
            continue;
        }
        if (!row && s_has_data_before (db, &w, w.lock_ms) != 1) {
            ps->late_only [k] = true; /* stored below, to be locked by hand */
            continue;
        }
        if (self->hold_locks) {
            pass->held++; /* the clock jumped: see cchc_periods_clock_jumped */
            continue;
        }
        char e2 [512] = "";
        int lrc = cchc_periods_lock_version (self, &ps->scope [k], now, 0, "schedule", NULL,
                                             e2, sizeof e2);
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
}

/*  The data version of a period's figures: the newest journal id of its
    months (of all, without the month map), the enrolment version and the
    units' checksum, mixed. */
static int64_t
s_data_version (const cchc_periods_t *self, const s_pass_t *ps, const cchc_rollup_window_t *w)
{
    int64_t data = self->month_count ? s_month_max (self, cchc_period_month_of (w->last_day))
                                     : ps->journal;
    return (int64_t) (s_mix (s_mix (s_mix (0, (uint64_t) data), (uint64_t) ps->enrolment),
                             (uint64_t) ps->units_sum)
                      >> 1);
}

/*  3. recompute what changed, newest first. */
static void
s_pass_compute (cchc_periods_t *self, s_pass_t *ps, int64_t now, cchc_periods_pass_t *pass)
{
    for (size_t k = 0; k < ps->n; k++) {
        cchc_rollup_window_t w;
        cchc_rollup_window (self->criteria, &ps->scope [k], now, &w);
        const cchc_period_row_t *row = s_find_row (ps->rows, ps->row_count, w.id);
        if (row && row->state == CCHC_PSTATE_LOCKED)
            continue;
        if (now >= w.lock_ms && !(row && row->manual) && !ps->late_only [k])
            continue; /* locked above (or the lock failed: retried) */
        if (!row && s_has_data (self->db, &w) != 1)
            continue; /* no data in the window yet: nothing stored */
        int64_t version = s_data_version (self, ps, &w);
        int64_t close = cchc_periods_close_ms (&w);
        bool due =
            !row || row->data_version != version || (row->computed_at < close && close <= now);
        for (int l = 0; l < CCHC_LEVEL_COUNT && !due; l++)
            due = row->computed_at < w.level_due_ms [l] && w.level_due_ms [l] <= now;
        if (!due)
            continue;
        char e2 [512] = "";
        int frc = cchc_periods_refresh_version (self, &ps->scope [k], now, version,
                                                ps->late_only [k] ? 1 : -1, e2, sizeof e2);
        if (frc == 0)
            pass->computed++;
        else if (frc == 1)
            pass->deferred++;
        else {
            pass->failed++;
            static cchc_ratelimit_t rl = CCHC_RATELIMIT_INIT (60000, 5);
            cchc_log_limited (&rl, CCHC_LOG_WARN, "periods: cannot compute %s: %s", w.id, e2);
        }
    }
}

int
cchc_periods_pass (cchc_periods_t *self, int64_t now, bool locks_only,
                   cchc_periods_pass_t *pass, char *err, size_t errlen)
{
    assert (self && pass);
    memset (pass, 0, sizeof *pass);
    int64_t t0 = cchc_clock_mono_ms ();
    s_pass_t ps = { .rows = NULL };
    if (s_pass_read (self, &ps, err, errlen) != 0)
        return -1;
    ps.n = s_scope (now, self->conf.scope_days, ps.scope, S_SCOPE_MAX);
    pass->considered = ps.n;
    s_pass_locks (self, &ps, now, pass);
    if (!locks_only)
        s_pass_compute (self, &ps, now, pass);
    free (ps.rows);
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
cchc_periods_clock_jumped (int64_t *base_wall, int64_t *base_mono, int64_t wall, int64_t mono,
                           int64_t speed)
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

/*  The clock-jump guard at each pass of the schedule thread: sets
    self->hold_locks, says so loudly when it starts, is still on (rate
    limited) and when it ends. */
static void
s_clock_guard (cchc_periods_t *self, int64_t now)
{
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
                                            * cchc_clock_speed ())
                                     / 1000));
        else if (held)
            cchc_log_limited (&rl_jump, CCHC_LOG_ERROR,
                              "clock jumped forward: period "
                              "locks still held (set the clock back, or restart)");
        else
            cchc_notice ("the wall clock agrees with the elapsed time again: "
                         "period locks resume");
    }
    self->hold_locks = held;
}

/*  When the schedule thread wakes next (CLOCK_MONOTONIC, into `ts`). */
static void
s_next_pass (const cchc_periods_t *self, const cchc_periods_pass_t *pass, struct timespec *ts)
{
    /* next pass: after the interval, never busier than ~1/3 of a core,
       but right at the next lock instant */
    int64_t wait = self->conf.interval_ms;
    if (pass->duration_ms * 2 > wait)
        wait = pass->duration_ms * 2;
    if (pass->deferred && wait > 1000)
        wait = 1000;
    int64_t now = cchc_clock_now_ms ();
    /* (a demonstration clock may run faster than real time) */
    int64_t to_lock = cchc_clock_real_wait_ms (self->next_lock_ms - now + 1);
    if (self->next_lock_ms > 0 && to_lock < wait)
        wait = to_lock;
    if (wait < 1)
        wait = 1;
    clock_gettime (CLOCK_MONOTONIC, ts);
    ts->tv_sec += (time_t) (wait / 1000);
    ts->tv_nsec += (long) (wait % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
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
        s_clock_guard (self, now);
        cchc_periods_pass_t pass;
        char err [512] = "";
        if (cchc_periods_pass (self, now, false, &pass, err, sizeof err) != 0) {
            static cchc_ratelimit_t rl = CCHC_RATELIMIT_INIT (60000, 2);
            cchc_log_limited (&rl, CCHC_LOG_WARN, "periods: pass failed: %s", err);
            pass.duration_ms = 0;
        }
        else if (pass.computed || pass.locked || pass.failed)
            cchc_debug ("periods: %zu in scope, %zu computed, %zu locked, %zu failed,"
                        " %zu deferred in %lld ms",
                        pass.considered, pass.computed, pass.locked, pass.failed,
                        pass.deferred, (long long) pass.duration_ms);
        struct timespec ts;
        s_next_pass (self, &pass, &ts);
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
