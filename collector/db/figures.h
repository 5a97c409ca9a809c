/*  figures.h — collector/db/, the statements of the roll-up
    (collector/figures/rollup.c): the units valid on a day, the metric
    catalogue as the temp table the folding joins
    (temp.cchc_rollup_metric), the folded rows of counters and gauges from
    observation_month or the daily rows, the summary's pending agents, the
    journal's arrival times and the rows behind a figure (explain), behind
    functions named for what they mean.  The tables: schema.h.

    Every function works on a raw connection and returns 0 (1 / 0 for
    found / not found where said) or -1, with the error on the connection
    (sqlite3_errmsg (db)).  Nothing here knows the roll-up's types: metrics
    travel as their catalogue index and whether they are gauges.
*/
#ifndef CCHC_DB_FIGURES_H
#define CCHC_DB_FIGURES_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------ units */

/*  One row of unit (valid on the day asked for). */
typedef struct {
    const char *code, *name, *level; /* never NULL */
    const char *parent;              /* NULL for none */
} cchc_db_unit_row_t;

/*  Called per row (valid until it returns); non-zero stops (then -1, with
    nothing on the connection). */
typedef int (cchc_db_unit_row_fn) (const cchc_db_unit_row_t *row, void *arg);

/*  The units of level so, huyen and xa valid on `day` (yyyymmdd), by code,
    a code's latest valid_from first (overlapping validity).  0 or -1. */
int cchc_db_units_at (sqlite3 *db, int32_t day, cchc_db_unit_row_fn *fn, void *arg);

/* ------------------------------------------------------------ the roll-up */

/*  One metric of the catalogue, in catalogue order (its index). */
typedef struct {
    const char *code;
    bool gauge; /* else a counter */
} cchc_db_rollup_metric_t;

/*  (Re)fill temp.cchc_rollup_metric with the catalogue: what the readers
    below join.  0 or -1. */
int cchc_db_rollup_metrics_set (sqlite3 *db, const cchc_db_rollup_metric_t *metrics,
                                size_t count);

/*  Once per read snapshot, after cchc_db_month_settle (db.h): the agents
    of the summary's pending months that are enrolled, ascending, as a
    malloc'ed array (NULL when none).  0 or -1 (out of memory: SQLITE_NOMEM
    on nothing; *agents NULL, *count 0). */
int cchc_db_rollup_pending (sqlite3 *db, int64_t **agents, size_t *count);

/*  One row of the roll-up's readers: one agent, metric and unit. */
typedef struct {
    int64_t agent;
    int64_t metric;              /* catalogue index (temp.cchc_rollup_metric) */
    const char *unit;            /* may be NULL (a broken row) */
    double value;                /* counter: the rows' total; gauge: the latest value */
    int64_t rows;                /* counter: rows folded; gauge: 1 */
    int32_t day_first, day_last; /* counter: first and last day; gauge: its day */
    int64_t journal;             /* newest journal id among them */
} cchc_db_rollup_row_t;

/*  What a cursor reads.  From observation_month (`monthly`), first and last
    are reporting months (yyyymm), and a counter row is one month of the
    agent's (fold them); from the daily rows (no observation_month: slower,
    same result) they are days and a counter row is already folded. */
typedef struct {
    bool gauges;            /* else counters */
    bool monthly;           /* observation_month, else observation */
    int32_t first, last;    /* counters: the window; gauges: last only */
    const int64_t *pending; /* monthly: cchc_db_rollup_pending's agents, */
    size_t pending_count;   /* read through temp.cchc_month_now */
} cchc_db_rollup_query_t;

/*  A cursor over the rows of `q`: an agent's rows come one after another
    (counters in no order within the agent), the pending agents last, one
    at a time.  NULL on failure. */
typedef struct cchc_db_rollup_rows_t cchc_db_rollup_rows_t;
cchc_db_rollup_rows_t *cchc_db_rollup_rows_new (sqlite3 *db, const cchc_db_rollup_query_t *q);
/*  1 and *row (valid until the next call), 0 at the end, -1 on error. */
int cchc_db_rollup_rows_next (cchc_db_rollup_rows_t *self, const cchc_db_rollup_row_t **row);
void cchc_db_rollup_rows_destroy (cchc_db_rollup_rows_t **self_p);

/*  received_at of journal entries ids [0 .. count) into times (INT64_MAX
    for an id without its entry).  0 or -1. */
int cchc_db_journal_received (sqlite3 *db, const int64_t *ids, size_t count, int64_t *times);

/* ---------------------------------------------------------------- explain */

/*  The rows behind a figure of (unit, metric): ?month_last is the window's
    last reporting month (the agents looked at are those of
    observation_month up to it, with every agent of the messages past the
    summary's position; all agents without observation_month). */

/*  The unit's latest day <= day_last with a row of metric.  1 (*day), 0
    none, -1 error. */
int cchc_db_explain_last_day (sqlite3 *db, const char *unit, const char *metric,
                              int32_t month_last, int32_t day_last, int32_t *day);

/*  One observation row. */
typedef struct {
    int64_t agent;
    const char *agent_name; /* NULL when the agent is gone */
    int32_t day;            /* yyyymmdd */
    double value;
    bool is_integer; /* stored as an integer: then ivalue is exact */
    int64_t ivalue;
    int64_t seq, journal, received_at;
} cchc_db_source_row_t;

/*  Called per row; non-zero stops (then -1, with nothing on the
    connection). */
typedef int (cchc_db_source_row_fn) (const cchc_db_source_row_t *row, void *arg);

/*  The unit's rows of metric dated from .. to, by day, then agent.  0 or
    -1. */
int cchc_db_explain_rows (sqlite3 *db, const char *unit, const char *metric,
                          int32_t month_last, int32_t from, int32_t to,
                          cchc_db_source_row_fn *fn, void *arg);

#endif
