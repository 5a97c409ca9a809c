/*  periods_impl.h — what periods.c shares with the files split from it
    (rows.c, snapshot.c, schedule.c); private to its folder. */
#ifndef CCHC_PERIODS_IMPL_H
#define CCHC_PERIODS_IMPL_H

#include "collector/periods/periods.h"
#include "collector/figures/rollup.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

/*  The keeper (periods.h), its schedule thread (schedule.c) included. */
typedef struct {
    int32_t month; /* yyyymm */
    int64_t max;   /* newest journal id of this month and before */
} cchc_periods_month_t;

struct cchc_periods_t {
    cchc_periods_config_t conf;
    char *db_path;
    const cchc_criteria_t *criteria; /* conf.criteria, borrowed */
    sqlite3 *db;

    /* data versions (pass) */
    bool have_months; /* month map read at journal position seen */
    int64_t seen_journal;
    cchc_periods_month_t *months;
    size_t month_count, month_alloc;
    int64_t next_lock_ms; /* next lock instant in scope, 0: none */

    /* the schedule thread */
    pthread_mutex_t mutex;
    pthread_cond_t wake;
    pthread_t thread;
    bool started, running;
    /*  Clock-jump guard of the schedule thread (schedule.c). */
    int64_t base_wall, base_mono; /* at the first pass; 0: not yet */
    bool hold_locks;              /* the wall clock ran ahead: lock nothing */
};

/*  Compute and store one period (provisional or closed; `version` its data
    version, 0 none; `manual` -1 keep, 0 clear, 1 set).  0, 1 deferred or
    already locked, -1 error. */
int cchc_periods_refresh_version (cchc_periods_t *self, const cchc_period_t *period,
                                  int64_t now, int64_t version, int manual, char *err,
                                  size_t errlen);

/*  Lock one period (cchc_periods_lock with the data version to store).
    0, 1 deferred, -1 error. */
int cchc_periods_lock_version (cchc_periods_t *self, const cchc_period_t *period, int64_t now,
                               int64_t version, const char *who, const char *reason, char *err,
                               size_t errlen);

/*  Reload the month map (newest journal id per reporting month, as a prefix
    maximum) into self->months.  0 or -1. */
int cchc_periods_load_months (cchc_periods_t *self);

/*  UTC ms at which the window's last local day ends. */
int64_t cchc_periods_close_ms (const cchc_rollup_window_t *w);

#endif
