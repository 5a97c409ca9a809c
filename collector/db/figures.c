/*  figures.c — the statements of the roll-up (figures.h): the units of a
    day, the metric temp table, the folding readers over observation_month
    (two statements that walk it by seeks, one agent at a time, so a
    quarter costs the quarter's months whatever the size of the history)
    and over the daily rows, the summary's pending agents, arrival times
    and the explanations' rows.

      counters  the window's months of each agent (primary key (agent,
                month, ...)), one row per (agent, month, metric, unit);
      gauges    per (agent, metric), the latest month <= the window's end
                (a MAX(month) sub-query answered by one backward seek in
                the (agent, metric, month) index) and its last day's value.

    The summary's pending agents (db.h, "the summary") are read one agent
    at a time through the view temp.cchc_month_now (settled months and
    fresh ones), every other agent by the two statements above; with
    nothing pending they are exactly the plain ones.
*/
#include "collector/db/figures.h"
#include "collector/db/periods.h"
#include "collector/db/schema.h"
#include "common/mem.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ units */

int
cchc_db_units_at (sqlite3 *db, int32_t day, cchc_db_unit_row_fn *fn, void *arg)
{
    assert (db && fn);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (db,
                            "SELECT code, name, level, parent FROM unit"
                            " WHERE valid_from <= ?1 AND valid_to >= ?1"
                            " AND level IN ('so','huyen','xa') ORDER BY code, valid_from DESC",
                            -1, &st, NULL)
        != SQLITE_OK)
        return -1;
    sqlite3_bind_int (st, 1, day);
    int rc;
    while ((rc = sqlite3_step (st)) == SQLITE_ROW) {
        cchc_db_unit_row_t row = {
            .code = (const char *) sqlite3_column_text (st, 0),
            .name = (const char *) sqlite3_column_text (st, 1),
            .level = (const char *) sqlite3_column_text (st, 2),
            .parent = (const char *) sqlite3_column_text (st, 3),
        };
        if (!row.code || !row.name || !row.level)
            continue;
        if (fn (&row, arg) != 0)
            break;
    }
    sqlite3_finalize (st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* ------------------------------------------------------------ the roll-up */

int
cchc_db_rollup_metrics_set (sqlite3 *db, const cchc_db_rollup_metric_t *metrics, size_t count)
{
    assert (db && (metrics || count == 0));
    if (sqlite3_exec (db,
                      "CREATE TEMP TABLE IF NOT EXISTS cchc_rollup_metric ("
                      " code TEXT PRIMARY KEY, kind INTEGER NOT NULL,"
                      " idx INTEGER NOT NULL) WITHOUT ROWID;"
                      "DELETE FROM temp.cchc_rollup_metric;",
                      NULL, NULL, NULL)
        != SQLITE_OK)
        return -1;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (db, "INSERT INTO temp.cchc_rollup_metric VALUES (?1, ?2, ?3)", -1,
                            &st, NULL)
        != SQLITE_OK)
        return -1;
    for (size_t m = 0; m < count; m++) {
        sqlite3_bind_text (st, 1, metrics [m].code, -1, SQLITE_STATIC);
        sqlite3_bind_int (st, 2, metrics [m].gauge ? 2 : 1);
        sqlite3_bind_int64 (st, 3, (sqlite3_int64) m);
        if (sqlite3_step (st) != SQLITE_DONE) {
            sqlite3_finalize (st);
            return -1;
        }
        sqlite3_reset (st);
    }
    sqlite3_finalize (st);
    return 0;
}

int
cchc_db_rollup_pending (sqlite3 *db, int64_t **agents, size_t *count)
{
    assert (db && agents && count);
    *agents = NULL;
    *count = 0;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (db,
                            "SELECT DISTINCT p.agent FROM temp.cchc_month_pending"
                            " AS p JOIN agent AS a ON a.id = p.agent ORDER BY p.agent",
                            -1, &st, NULL)
        != SQLITE_OK)
        return -1;
    size_t alloc = 0;
    int rc;
    while ((rc = sqlite3_step (st)) == SQLITE_ROW) {
        if (cchc_grow (agents, &alloc, *count, sizeof **agents, 64) != 0) {
            rc = SQLITE_NOMEM;
            break;
        }
        (*agents) [(*count)++] = sqlite3_column_int64 (st, 0);
    }
    sqlite3_finalize (st);
    if (rc == SQLITE_DONE)
        return 0;
    free (*agents);
    *agents = NULL;
    *count = 0;
    return -1;
}

/*  Every reader's columns: agent, idx, unit, value, rows, day_first,
    day_last, journal (cchc_db_rollup_row_t). */

/*  Counters from the monthly sums: the window's months of each agent, by
    primary-key seeks, in (month, metric, unit) order. */
#define S_SQL_MONTH_COUNTERS                                                   \
    "SELECT o.agent, m.idx, o.unit, o.total, o.rows, o.day_first, o.day_last," \
    "       o.journal_max"                                                     \
    "  FROM agent AS a CROSS JOIN observation_month AS o"                      \
    "       CROSS JOIN temp.cchc_rollup_metric AS m"                           \
    " WHERE o.agent = a.id AND o.month BETWEEN ?1 AND ?2"                      \
    "   AND m.code = o.metric AND m.kind = 1"
/*  Without the pending agents; and for one pending agent ?3. */
#define S_SQL_SETTLED "   AND a.id NOT IN (SELECT agent FROM temp.cchc_month_pending)"
static const char *s_sql_pending_counters =
    "SELECT o.agent, m.idx, o.unit, o.total, o.rows, o.day_first, o.day_last,"
    "       o.journal_max"
    "  FROM temp.cchc_month_now AS o CROSS JOIN temp.cchc_rollup_metric AS m"
    " WHERE o.agent = ?3 AND o.month BETWEEN ?1 AND ?2"
    "   AND m.code = o.metric AND m.kind = 1";

/*  Gauges from the monthly sums: per (agent, metric) the latest month <= the
    window's last (index (agent, metric, month)) and its latest day — one row
    per unit the agent reported for in that month.  (An agent moved to
    another unit in an earlier month leaves its old unit no carried gauge;
    the daily fallback and the core keep one per unit.  Agents are rarely
    moved.) */
#define S_SQL_MONTH_GAUGES                                                    \
    "SELECT o.agent, m.idx, o.unit, o.last_value, 1, o.day_last, o.day_last," \
    "       o.last_journal"                                                   \
    "  FROM agent AS a CROSS JOIN temp.cchc_rollup_metric AS m"               \
    "       CROSS JOIN observation_month AS o"                                \
    " WHERE m.kind = 2 AND o.agent = a.id"                                    \
    "   AND o.month = (SELECT max (x.month) FROM observation_month AS x"      \
    "                   WHERE x.agent = a.id AND x.metric = m.code"           \
    "                     AND x.month <= ?2)"                                 \
    "   AND o.metric = m.code"
/*  (the agent's latest month per metric read once: a MAX() sub-query per
    row would read the view's months again for each) */
static const char *s_sql_pending_gauges =
    "SELECT o.agent, m.idx, o.unit, o.last_value, 1, o.day_last, o.day_last,"
    "       o.last_journal"
    "  FROM (SELECT x.metric AS metric, max (x.month) AS month"
    "          FROM temp.cchc_month_now AS x WHERE x.agent = ?3 AND x.month <= ?2"
    "         GROUP BY x.metric) AS t"
    "       JOIN temp.cchc_rollup_metric AS m ON m.code = t.metric AND m.kind = 2"
    "       JOIN temp.cchc_month_now AS o ON o.agent = ?3 AND o.month = t.month"
    "        AND o.metric = t.metric";

/*  The same from the daily rows, folded here. */
static const char *s_sql_day_counters =
    "SELECT o.agent, m.idx, o.unit, total (o.value), count (*), min (o.day),"
    "       max (o.day), max (o.journal)"
    "  FROM observation AS o JOIN temp.cchc_rollup_metric AS m ON m.code = o.metric"
    " WHERE m.kind = 1 AND o.day BETWEEN ?1 AND ?2"
    " GROUP BY o.agent, m.idx, o.unit";

/*  (a single max() makes the other columns come from its row) */
static const char *s_sql_day_gauges =
    "SELECT o.agent, m.idx, o.unit, o.value, 1, max (o.day), o.day, o.journal"
    "  FROM observation AS o JOIN temp.cchc_rollup_metric AS m ON m.code = o.metric"
    " WHERE m.kind = 2 AND o.day <= ?2"
    " GROUP BY o.agent, m.idx, o.unit";

struct cchc_db_rollup_rows_t {
    sqlite3_stmt *st;       /* the statement of every agent (but pending ones) */
    sqlite3_stmt *one;      /* the statement of one pending agent, or NULL */
    sqlite3_stmt *walking;  /* st or one */
    const int64_t *pending; /* borrowed from the query */
    size_t pending_count, pending_next;
    int32_t first, last;
    bool done;
    cchc_db_rollup_row_t row;
};

cchc_db_rollup_rows_t *
cchc_db_rollup_rows_new (sqlite3 *db, const cchc_db_rollup_query_t *q)
{
    assert (db && q);
    bool split = q->monthly && q->pending_count > 0;
    const char *sql;
    if (!q->monthly)
        sql = q->gauges ? s_sql_day_gauges : s_sql_day_counters;
    else if (q->gauges)
        sql = split ? S_SQL_MONTH_GAUGES S_SQL_SETTLED : S_SQL_MONTH_GAUGES;
    else
        sql = split ? S_SQL_MONTH_COUNTERS S_SQL_SETTLED : S_SQL_MONTH_COUNTERS;
    cchc_db_rollup_rows_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    if (sqlite3_prepare_v2 (db, sql, -1, &self->st, NULL) != SQLITE_OK
        || (split
            && sqlite3_prepare_v2 (db,
                                   q->gauges ? s_sql_pending_gauges : s_sql_pending_counters,
                                   -1, &self->one, NULL)
                   != SQLITE_OK)) {
        cchc_db_rollup_rows_destroy (&self);
        return NULL;
    }
    self->pending = q->pending;
    self->pending_count = split ? q->pending_count : 0;
    self->first = q->first;
    self->last = q->last;
    sqlite3_bind_int (self->st, 1, q->first);
    sqlite3_bind_int (self->st, 2, q->last);
    self->walking = self->st;
    return self;
}

int
cchc_db_rollup_rows_next (cchc_db_rollup_rows_t *self, const cchc_db_rollup_row_t **row)
{
    assert (self && row);
    while (!self->done) {
        sqlite3_stmt *st = self->walking;
        int rc = sqlite3_step (st);
        if (rc == SQLITE_ROW) {
            cchc_db_rollup_row_t *r = &self->row;
            r->agent = sqlite3_column_int64 (st, 0);
            r->metric = sqlite3_column_int64 (st, 1);
            r->unit = (const char *) sqlite3_column_text (st, 2);
            r->value = sqlite3_column_double (st, 3);
            r->rows = sqlite3_column_int64 (st, 4);
            r->day_first = sqlite3_column_int (st, 5);
            r->day_last = sqlite3_column_int (st, 6);
            r->journal = sqlite3_column_int64 (st, 7);
            *row = r;
            return 1;
        }
        if (rc != SQLITE_DONE) {
            self->done = true;
            return -1;
        }
        if (self->pending_next == self->pending_count) {
            self->done = true;
            break;
        }
        sqlite3_reset (self->one);
        sqlite3_bind_int (self->one, 1, self->first);
        sqlite3_bind_int (self->one, 2, self->last);
        sqlite3_bind_int64 (self->one, 3, self->pending [self->pending_next++]);
        self->walking = self->one;
    }
    return 0;
}

void
cchc_db_rollup_rows_destroy (cchc_db_rollup_rows_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        sqlite3_finalize ((*self_p)->st);
        sqlite3_finalize ((*self_p)->one);
        free (*self_p);
        *self_p = NULL;
    }
}

int
cchc_db_journal_received (sqlite3 *db, const int64_t *ids, size_t count, int64_t *times)
{
    assert (db && (count == 0 || (ids && times)));
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (db, "SELECT received_at FROM journal WHERE id = ?1", -1, &st, NULL)
        != SQLITE_OK)
        return -1;
    for (size_t i = 0; i < count; i++) {
        sqlite3_bind_int64 (st, 1, ids [i]);
        int rc = sqlite3_step (st);
        /* a row without its journal entry (should not happen): arriving
           never, i.e. late */
        times [i] = rc == SQLITE_ROW ? sqlite3_column_int64 (st, 0) : INT64_MAX;
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
            sqlite3_finalize (st);
            return -1;
        }
        sqlite3_reset (st);
    }
    sqlite3_finalize (st);
    return 0;
}

/* ---------------------------------------------------------------- explain */

/*  The agents that may have rows of (metric ?1, unit ?2) up to month ?3:
    from observation_month when it exists (with the agents of every
    message past the summary's position: their months may not be in it
    yet), else every agent. */
#define S_EXPLAIN_AGENTS_MONTH                         \
    "SELECT DISTINCT agent FROM observation_month"     \
    " WHERE metric = ?1 AND unit = ?2 AND month <= ?3" \
    " UNION SELECT agent FROM journal"                 \
    " WHERE id > coalesce ((SELECT journal FROM month_position), 0)"
#define S_EXPLAIN_AGENTS_ALL                    \
    "SELECT id FROM agent WHERE ?1 IS NOT NULL" \
    " AND ?2 IS NOT NULL AND ?3 IS NOT NULL"

/*  `with` (a WITH clause, as it is) then `format` (one %s: the agents'
    sub-query; SQL with a % of its own goes in `with`) bound: ?1 the
    metric, ?2 the unit, ?3 the window's last month, ?4 from and ?5 to
    (days; a statement without ?5 ignores it).  NULL on an SQL failure. */
static sqlite3_stmt *
s_explain_prepare (sqlite3 *db, const char *with, const char *format, const char *unit,
                   const char *metric, int32_t month_last, int32_t from, int32_t to)
{
    int monthly = cchc_db_month_kept (db);
    if (monthly < 0)
        return NULL;
    char sql [2048];
    size_t used = strlen (with);
    if (used >= sizeof sql)
        return NULL;
    memcpy (sql, with, used);
    int len = snprintf (sql + used, sizeof sql - used, format,
                        monthly ? S_EXPLAIN_AGENTS_MONTH : S_EXPLAIN_AGENTS_ALL);
    if (len < 0 || (size_t) len >= sizeof sql - used)
        return NULL;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (db, sql, -1, &st, NULL) != SQLITE_OK)
        return NULL;
    sqlite3_bind_text (st, 1, metric, -1, SQLITE_STATIC);
    sqlite3_bind_text (st, 2, unit, -1, SQLITE_STATIC);
    sqlite3_bind_int (st, 3, month_last);
    sqlite3_bind_int (st, 4, from);
    sqlite3_bind_int (st, 5, to);
    return st;
}

int
cchc_db_explain_last_day (sqlite3 *db, const char *unit, const char *metric,
                          int32_t month_last, int32_t day_last, int32_t *day)
{
    assert (db && unit && metric && day);
    sqlite3_stmt *st =
        s_explain_prepare (db,
                           CCHC_DB_DAYS_BACK ("(SELECT ifnull (min (day), ?4)"
                                              " FROM observation)",
                                              "?4"),
                           "SELECT back.day FROM back WHERE EXISTS (SELECT 1"
                           " FROM observation AS o WHERE o.day = back.day AND o.agent IN (%s)"
                           " AND o.metric = ?1 AND o.unit = ?2) LIMIT 1",
                           unit, metric, month_last, day_last, day_last);
    if (!st)
        return -1;
    int rc = sqlite3_step (st);
    int found = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1; /* no row: no value */
    if (found == 1)
        *day = sqlite3_column_int (st, 0);
    sqlite3_finalize (st);
    return found;
}

int
cchc_db_explain_rows (sqlite3 *db, const char *unit, const char *metric, int32_t month_last,
                      int32_t from, int32_t to, cchc_db_source_row_fn *fn, void *arg)
{
    assert (db && unit && metric && fn);
    sqlite3_stmt *st =
        s_explain_prepare (db, CCHC_DB_DAYS ("?4", "?5"),
                           "SELECT o.agent, a.name, o.day, o.value, o.seq, o.journal,"
                           "       j.received_at"
                           "  FROM days CROSS JOIN observation AS o"
                           "       LEFT JOIN agent AS a ON a.id = o.agent"
                           "       LEFT JOIN journal AS j ON j.id = o.journal"
                           " WHERE o.day = days.day AND o.day <= ?5"
                           "   AND o.agent IN (%s) AND o.metric = ?1 AND o.unit = ?2"
                           " ORDER BY o.day, o.agent",
                           unit, metric, month_last, from, to);
    if (!st)
        return -1;
    int rc;
    while ((rc = sqlite3_step (st)) == SQLITE_ROW) {
        cchc_db_source_row_t row = {
            .agent = sqlite3_column_int64 (st, 0),
            .agent_name = (const char *) sqlite3_column_text (st, 1),
            .day = sqlite3_column_int (st, 2),
            .value = sqlite3_column_double (st, 3),
            .is_integer = sqlite3_column_type (st, 3) == SQLITE_INTEGER,
            .ivalue = sqlite3_column_int64 (st, 3),
            .seq = sqlite3_column_int64 (st, 4),
            .journal = sqlite3_column_int64 (st, 5),
            .received_at = sqlite3_column_int64 (st, 6),
        };
        if (fn (&row, arg) != 0)
            break;
    }
    sqlite3_finalize (st);
    return rc == SQLITE_DONE ? 0 : -1;
}
