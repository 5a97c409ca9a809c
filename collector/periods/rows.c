/*  rows.c — period states and the stored rows of the period tables
    (periods.h): state codes and names, the period_result and period_event
    rows (read through collector/db/periods.h) as the keeper's types, the
    state of a period at an instant.
*/
#include "collector/periods/periods.h"
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
#include "collector/periods/periods_impl.h"

/* ------------------------------------------------------------------------ */
/*  States and rows */

const char *
cchc_pstate_code (cchc_pstate_t state)
{
    switch (state) {
        case CCHC_PSTATE_FUTURE: return "future";
        case CCHC_PSTATE_PROVISIONAL: return "provisional";
        case CCHC_PSTATE_CLOSED: return "closed";
        case CCHC_PSTATE_LOCKED: return "locked";
        default: return "none";
    }
}

const char *
cchc_pstate_name (cchc_pstate_t state)
{
    switch (state) {
        case CCHC_PSTATE_FUTURE: return "Chưa bắt đầu";
        case CCHC_PSTATE_PROVISIONAL: return "Tạm tính — kỳ đang diễn ra";
        case CCHC_PSTATE_CLOSED: return "Tạm tính — đã hết kỳ, chờ khóa số liệu";
        case CCHC_PSTATE_LOCKED: return "Đã khóa số liệu";
        default: return "Chưa có số liệu";
    }
}

static cchc_pstate_t
s_pstate_parse (const char *text)
{
    if (!text)
        return CCHC_PSTATE_NONE;
    if (strcmp (text, "provisional") == 0)
        return CCHC_PSTATE_PROVISIONAL;
    if (strcmp (text, "closed") == 0)
        return CCHC_PSTATE_CLOSED;
    if (strcmp (text, "locked") == 0)
        return CCHC_PSTATE_LOCKED;
    return CCHC_PSTATE_NONE;
}

static void
s_row_from (const cchc_db_period_result_t *db_row, cchc_period_row_t *row)
{
    memset (row, 0, sizeof *row);
    cchc_strlcpy (row->period, db_row->period, sizeof row->period);
    row->state = s_pstate_parse (db_row->state);
    row->computed_at = db_row->computed_at;
    row->journal_pos = db_row->journal_pos;
    row->journal_max = db_row->journal_max;
    row->data_version = db_row->data_version;
    row->units = db_row->units;
    cchc_strlcpy (row->locked_by, db_row->locked_by, sizeof row->locked_by);
    row->locked_at = db_row->locked_at;
    row->reopened_at = db_row->reopened_at;
    row->revision = db_row->revision;
    row->has_snapshot = db_row->has_snapshot;
    row->manual = db_row->manual;
}

/*  1 when the database keeps periods, 0 when it does not (no period
    tables), -1 with err. */
static int
s_managed (sqlite3 *db, char *err, size_t errlen)
{
    int managed = cchc_periods_managed (db);
    if (managed < 0)
        cchc_errf (err, errlen, "%s", sqlite3_errmsg (db));
    return managed;
}

int
cchc_periods_row (sqlite3 *db, const char *period, cchc_period_row_t *row, char *err,
                  size_t errlen)
{
    assert (db && period && row);
    memset (row, 0, sizeof *row);
    int managed = s_managed (db, err, errlen);
    if (managed <= 0)
        return managed;
    cchc_db_period_result_t db_row;
    int rc = cchc_db_period_result_get (db, period, &db_row);
    if (rc == 1)
        s_row_from (&db_row, row);
    else if (rc < 0)
        cchc_errf (err, errlen, "period_result: %s", sqlite3_errmsg (db));
    return rc;
}

/*  By kind (months first), then by window. */
static int
s_row_cmp (const void *a, const void *b)
{
    const cchc_period_row_t *x = a, *y = b;
    cchc_period_t p, q;
    if (cchc_period_parse (x->period, &p) != 0 || cchc_period_parse (y->period, &q) != 0)
        return strcmp (x->period, y->period);
    if (p.kind != q.kind)
        return (int) p.kind - (int) q.kind;
    return cchc_period_cmp (&p, &q);
}

typedef struct {
    cchc_period_row_t *rows;
    size_t count, alloc;
} s_rows_t;

static int
s_rows_add (const cchc_db_period_result_t *db_row, void *arg)
{
    s_rows_t *r = arg;
    if (cchc_grow (&r->rows, &r->alloc, r->count, sizeof *r->rows, 32))
        return -1; /* out of memory */
    s_row_from (db_row, &r->rows [r->count++]);
    return 0;
}

int
cchc_periods_rows (sqlite3 *db, cchc_period_row_t **rows, size_t *count, char *err,
                   size_t errlen)
{
    assert (db && rows && count);
    *rows = NULL;
    *count = 0;
    int managed = s_managed (db, err, errlen);
    if (managed <= 0)
        return managed;
    s_rows_t r = { 0 };
    int rc = cchc_db_period_result_each (db, s_rows_add, &r);
    if (rc != 0) {
        cchc_errf (err, errlen, "period_result: %s",
                   rc > 0 ? "out of memory" : sqlite3_errmsg (db));
        free (r.rows);
        return -1;
    }
    *rows = r.rows;
    *count = r.count;
    if (*count > 1)
        qsort (*rows, *count, sizeof **rows, s_row_cmp);
    /* locked rows: the units whose data in the window changed after the lock
       (from the summary, one row per agent, metric and month) */
    for (size_t i = 0; i < *count; i++) {
        cchc_period_row_t *row = &(*rows) [i];
        cchc_period_t period;
        cchc_date_t first, last;
        if (row->state != CCHC_PSTATE_LOCKED || cchc_period_parse (row->period, &period))
            continue;
        cchc_period_window (&period, &first, &last);
        if (cchc_db_month_units_after (db,
                                       cchc_period_month_of (cchc_date_to_yyyymmdd (first)),
                                       cchc_period_month_of (cchc_date_to_yyyymmdd (last)),
                                       row->journal_pos, &row->after_lock_units)
            != 0)
            row->after_lock_units = 0; /* an older database: not known */
    }
    return 0;
}

int
cchc_periods_events (sqlite3 *db, const char *period, cchc_period_event_fn *fn, void *arg,
                     char *err, size_t errlen)
{
    assert (db && fn);
    int managed = s_managed (db, err, errlen);
    if (managed <= 0)
        return managed;
    int rc = cchc_db_period_event_each (db, period, fn, arg);
    if (rc == 1)
        cchc_errf (err, errlen, "stopped");
    else if (rc < 0)
        cchc_errf (err, errlen, "period_event: %s", sqlite3_errmsg (db));
    return rc == 0 ? 0 : -1;
}

cchc_pstate_t
cchc_periods_state (const cchc_rollup_window_t *w, const cchc_period_row_t *row, bool managed,
                    int64_t now)
{
    assert (w);
    if (row && row->state == CCHC_PSTATE_LOCKED)
        return CCHC_PSTATE_LOCKED;
    if (now < cchc_date_start_utc_ms (w->first))
        return CCHC_PSTATE_FUTURE;
    if (now < cchc_periods_close_ms (w))
        return CCHC_PSTATE_PROVISIONAL;
    if (!managed && now >= w->lock_ms)
        return CCHC_PSTATE_LOCKED;
    return CCHC_PSTATE_CLOSED;
}
