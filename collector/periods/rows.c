/*  rows.c — period states and the stored rows of the period tables
    (periods.h): state codes and names, reading period_result and
    period_event rows, the state of a period at an instant.
*/
#include "collector/periods/periods.h"
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

#define S_ROW_COLUMNS                                                    \
    "period, state, computed_at, journal_pos, journal_max,"              \
    " data_version, units, ifnull(locked_at, 0), ifnull(locked_by, '')," \
    " ifnull(reopened_at, 0), revision, snapshot IS NOT NULL, manual"

static void
s_row_read (sqlite3_stmt *st, cchc_period_row_t *row)
{
    memset (row, 0, sizeof *row);
    const char *id = (const char *) sqlite3_column_text (st, 0);
    cchc_strlcpy (row->period, id ? id : "", sizeof row->period);
    row->state = s_pstate_parse ((const char *) sqlite3_column_text (st, 1));
    row->computed_at = sqlite3_column_int64 (st, 2);
    row->journal_pos = sqlite3_column_int64 (st, 3);
    row->journal_max = sqlite3_column_int64 (st, 4);
    row->data_version = sqlite3_column_int64 (st, 5);
    row->units = sqlite3_column_int64 (st, 6);
    row->locked_at = sqlite3_column_int64 (st, 7);
    const char *by = (const char *) sqlite3_column_text (st, 8);
    cchc_strlcpy (row->locked_by, by ? by : "", sizeof row->locked_by);
    row->reopened_at = sqlite3_column_int64 (st, 9);
    row->revision = sqlite3_column_int64 (st, 10);
    row->has_snapshot = sqlite3_column_int (st, 11) != 0;
    row->manual = sqlite3_column_int (st, 12) != 0;
}

/*  The statement `sql` on table `what` when the database keeps periods:
    1 with *st, 0 when it does not (no period tables), -1 with err. */
static int
s_prepare (sqlite3 *db, const char *sql, const char *what, sqlite3_stmt **st, char *err,
           size_t errlen)
{
    *st = NULL;
    int managed = cchc_periods_managed (db);
    if (managed <= 0) {
        if (managed < 0)
            cchc_errf (err, errlen, "%s", sqlite3_errmsg (db));
        return managed;
    }
    if (sqlite3_prepare_v2 (db, sql, -1, st, NULL) != SQLITE_OK) {
        cchc_errf (err, errlen, "%s: %s", what, sqlite3_errmsg (db));
        return -1;
    }
    return 1;
}

int
cchc_periods_row (sqlite3 *db, const char *period, cchc_period_row_t *row, char *err,
                  size_t errlen)
{
    assert (db && period && row);
    memset (row, 0, sizeof *row);
    sqlite3_stmt *st;
    int ready = s_prepare (db, "SELECT " S_ROW_COLUMNS " FROM period_result WHERE period = ?1",
                           "period_result", &st, err, errlen);
    if (ready <= 0)
        return ready;
    sqlite3_bind_text (st, 1, period, -1, SQLITE_STATIC);
    int rc = sqlite3_step (st);
    if (rc == SQLITE_ROW)
        s_row_read (st, row);
    else if (rc != SQLITE_DONE)
        cchc_errf (err, errlen, "period_result: %s", sqlite3_errmsg (db));
    sqlite3_finalize (st);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
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

int
cchc_periods_rows (sqlite3 *db, cchc_period_row_t **rows, size_t *count, char *err,
                   size_t errlen)
{
    assert (db && rows && count);
    *rows = NULL;
    *count = 0;
    sqlite3_stmt *st;
    int ready = s_prepare (db, "SELECT " S_ROW_COLUMNS " FROM period_result", "period_result",
                           &st, err, errlen);
    if (ready <= 0)
        return ready;
    size_t alloc = 0;
    int rc;
    while ((rc = sqlite3_step (st)) == SQLITE_ROW) {
        if (*count == alloc) {
            size_t want = alloc ? alloc * 2 : 32;
            cchc_period_row_t *p = realloc (*rows, want * sizeof *p);
            if (!p) {
                rc = SQLITE_NOMEM;
                break;
            }
            *rows = p;
            alloc = want;
        }
        s_row_read (st, &(*rows) [(*count)++]);
    }
    sqlite3_finalize (st);
    if (rc != SQLITE_DONE) {
        cchc_errf (err, errlen, "period_result: %s",
                   rc == SQLITE_NOMEM ? "out of memory" : sqlite3_errmsg (db));
        free (*rows);
        *rows = NULL;
        *count = 0;
        return -1;
    }
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
                                       cchc_rollup_month_of (cchc_date_to_yyyymmdd (first)),
                                       cchc_rollup_month_of (cchc_date_to_yyyymmdd (last)),
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
    sqlite3_stmt *st;
    int ready = s_prepare (db,
                           "SELECT id, period, event, at, who, reason, journal_pos,"
                           " computed_at FROM period_event"
                           " WHERE ?1 IS NULL OR period = ?1 ORDER BY id",
                           "period_event", &st, err, errlen);
    if (ready <= 0)
        return ready;
    if (period)
        sqlite3_bind_text (st, 1, period, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step (st)) == SQLITE_ROW) {
        cchc_period_event_t e = { .id = sqlite3_column_int64 (st, 0),
                                  .period = (const char *) sqlite3_column_text (st, 1),
                                  .event = (const char *) sqlite3_column_text (st, 2),
                                  .at = sqlite3_column_int64 (st, 3),
                                  .who = (const char *) sqlite3_column_text (st, 4),
                                  .reason = (const char *) sqlite3_column_text (st, 5),
                                  .journal_pos = sqlite3_column_int64 (st, 6),
                                  .computed_at = sqlite3_column_int64 (st, 7) };
        if (fn (&e, arg) != 0) {
            sqlite3_finalize (st);
            cchc_errf (err, errlen, "stopped");
            return -1;
        }
    }
    if (rc != SQLITE_DONE)
        cchc_errf (err, errlen, "period_event: %s", sqlite3_errmsg (db));
    sqlite3_finalize (st);
    return rc == SQLITE_DONE ? 0 : -1;
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
