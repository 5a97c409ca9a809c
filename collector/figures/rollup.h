/*  rollup.h — turns agencies' observations into a period's scored, ranked
    figures: per unit and indicator, per unit, per level, for the province.

    Two layers:
      - a pure core, cchc_rollup_compute(): catalogue + window + units + "parts"
        (per agent and metric, already folded over the window) in memory →
        a cchc_rollup_t result.  No database; tests drive it directly, and
        cchc_rollup_fold() folds raw observation rows into parts.
      - a loader, cchc_rollup_load(), that reads the tables through
        collector/db/figures.h (which owns the statements), folds the rows
        and calls the core, and cchc_rollup_explain(), which lists the
        observation rows (with journal ids, i.e. the signed messages) behind
        a unit's metric or indicator.

    Definitions (DOMAIN.md, "How indices are scored"):

      unit's value for (metric, day)   sum over the unit's agents' rows
      counter, window value            sum of the unit's values on the window's days
      gauge, window value              the unit's value on the latest day <= the
                                       window's last day that has any row (it may
                                       be before the window's first day)
      indicator value                  numerator / denominator, or the numerator's
                                       value when the indicator has no denominator
      state not_applicable             the indicator is not for the unit's level,
                                       or its denominator is 0 in the window
      state missing                    it applies but a metric it needs has no data:
                                       earns 0, shown as missing, never as a 0 rate
      unit complete                    every metric its level reports has data
      unit on time                     complete, and every row behind its window
                                       values arrived (journal.received_at) before
                                       the end (local) of the due day
      report_on_time (rule on_time)    full points when on time, else 0; "missing"
                                       while the due day has not passed and the
                                       data is not yet complete
      unit index                       100 × earned / applicable points, where
                                       applicable = points of ok + missing indicators
      rank                             within the level, by index (rounded to 1e-6),
                                       ties share a rank (1, 1, 3)
      ranking order                    cchc_rollup_ranking(): level (so, huyen, xa),
                                       then rank, units without an index last, and
                                       units of the same rank by unit code (byte
                                       order) — the one order of every output
      change                           index − the index of the previous period of
                                       the same kind (when both exist and the unit
                                       had some data then, at the same level)
      province figure                  Σ numerators / Σ denominators over the units
                                       with data, per level and all levels together

    "Arrived" uses the highest journal id among a value's rows: journal ids are
    assigned in arrival order, so that row arrived last.

    Units scored are those of levels so, huyen, xa valid (unit table) on the
    window's last day.
*/
#ifndef CCHC_ROLLUP_H
#define CCHC_ROLLUP_H

#include "collector/figures/criteria.h"
#include "common/period.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------------ */
/*  Window: the period's days and deadlines. */

typedef struct {
    cchc_period_t period;
    char id [CCHC_PERIOD_ID_MAX];             /* "2021-Q1" */
    cchc_date_t first, last;                  /* local days, inclusive */
    int32_t first_day, last_day;              /* the same as yyyymmdd (observation.day) */
    int32_t due_day, lock_day;                /* yyyymmdd of the due and lock days
                                       (due: the latest level's) */
    int64_t due_ms;                           /* UTC ms of the start of the day after
                                       the latest level's due day */
    int32_t level_due_day [CCHC_LEVEL_COUNT]; /* yyyymmdd, per level */
    int64_t level_due_ms [CCHC_LEVEL_COUNT];  /* a unit of the level is on
                                       time iff received_at < this (the start
                                       of the day after its due day) */
    int64_t lock_ms;                          /* UTC ms of the start of the lock day */
    int64_t as_of_ms;                         /* when the figures are computed (UTC ms) */
} cchc_rollup_window_t;

/*  Fill `w` for `period` with the catalogue's due and lock days.  Can't fail. */
void cchc_rollup_window (const cchc_criteria_t *cat, const cchc_period_t *period,
                         int64_t as_of_ms, cchc_rollup_window_t *w);

/*  (yyyymmdd of a day, and back: cchc_date_to_yyyymmdd, common/period.h) */

/* ------------------------------------------------------------------------ */
/*  Core input */

typedef struct {
    const char *code;   /* unit code */
    const char *name;   /* Vietnamese name */
    const char *parent; /* parent code, may be NULL */
    cchc_level_t level;
} cchc_rollup_unit_t;

/*  One agent's contribution to one unit's metric over the window. */
typedef struct {
    size_t unit;          /* index into the units array */
    size_t metric;        /* metric index in the catalogue */
    int64_t agent;        /* agent id */
    double value;         /* counter: sum of the agent's rows in the window;
                                   gauge: the agent's latest value dated <= last */
    int32_t day_first;    /* counter: first day with a row; gauge: its day */
    int32_t day_last;     /* counter: last day with a row; gauge: its day */
    int64_t rows;         /* observation rows folded in */
    int64_t journal_max;  /* highest journal id among them */
    int64_t received_max; /* received_at (UTC ms) of that journal entry */
} cchc_rollup_part_t;

/*  One observation row, for cchc_rollup_fold(). */
typedef struct {
    size_t unit;
    size_t metric;
    int64_t agent;
    int32_t day; /* yyyymmdd */
    double value;
    int64_t journal;
    int64_t received_at; /* UTC ms */
} cchc_rollup_row_t;

/*  Fold raw rows into parts for the window: counters keep rows dated in the
    window, gauges each agent's latest row dated <= the window's last day.
    *parts is malloc'ed (free it); 0 or -1 (out of memory). */
int cchc_rollup_fold (const cchc_criteria_t *cat, const cchc_rollup_window_t *w,
                      const cchc_rollup_row_t *rows, size_t row_count,
                      cchc_rollup_part_t **parts, size_t *part_count);

/* ------------------------------------------------------------------------ */
/*  Results (read-only; owned by the cchc_rollup_t) */

typedef enum {
    CCHC_SCORE_OK = 0,
    CCHC_SCORE_NOT_APPLICABLE = 1,
    CCHC_SCORE_MISSING = 2
} cchc_score_state_t;

/*  "ok", "not_applicable", "missing" and Vietnamese labels. */
const char *cchc_score_state_code (cchc_score_state_t state);
const char *cchc_score_state_name (cchc_score_state_t state);

/*  One metric of one unit over the window. */
typedef struct {
    bool expected;               /* the unit's level reports this metric */
    bool present;                /* some row feeds it */
    double value;                /* window value (0 when absent) */
    int32_t day_first, day_last; /* yyyymmdd range of its rows (gauge: the day) */
    int64_t rows;                /* observation rows behind it */
    int agents;                  /* agents that contributed */
    int64_t journal_max;         /* newest journal entry behind it */
    int64_t received_max;        /* and when it arrived (UTC ms) */
} cchc_rollup_cell_t;

/*  One indicator of one unit. */
typedef struct {
    cchc_score_state_t state;
    bool for_level;     /* the indicator is for the unit's level */
    double numerator;   /* window value of the numerator metric (on_time:
                                   1 on time, 0 not); NAN when missing */
    double denominator; /* NAN when none or missing */
    double value;       /* NAN unless ok */
    double target;      /* NAN when not for the level */
    double points_max;  /* the indicator's points when ok or missing, else 0 */
    double points;      /* earned */
} cchc_rollup_score_t;

typedef struct {
    char *code, *name, *parent; /* parent may be NULL */
    cchc_level_t level;
    cchc_rollup_score_t *scores; /* [indicator_count] */
    cchc_rollup_cell_t *cells;   /* [metric_count] */
    double *area_earned;         /* [area_count] */
    double *area_applicable;     /* [area_count] */
    double earned, applicable;
    bool has_index;    /* applicable > 0 */
    double index;      /* 0..100 */
    int rank;          /* 1.. within the level; 0 without index */
    const char *grade; /* catalogue grade, or NULL */
    bool has_change;
    double change; /* index − previous period's index */
    int prev_rank; /* previous period's rank, 0 if none */
    size_t metrics_expected, metrics_reported;
    size_t indicators_missing; /* indicators in state missing */
    bool complete;             /* metrics_reported == metrics_expected */
    bool on_time;              /* complete and arrived before due_ms */
    bool pending;              /* not on time, but the due day has not passed */
    int64_t last_received_ms;  /* newest arrival behind its values, 0 if none */
} cchc_rollup_unit_result_t;

/*  A province figure: one indicator over all units with data, for one level
    or (level = -1) all its levels together. */
typedef struct {
    size_t indicator;
    int level;          /* cchc_level_t, or -1 for all levels */
    double numerator;   /* sums over the units with data */
    double denominator; /* NAN when the indicator has none */
    double value;       /* NAN when no data or Σ denominator = 0 */
    double target;      /* NAN for level -1 when the levels' targets differ */
    bool has_value;
    bool met;             /* has_value and the target is met */
    size_t units;         /* units whose data is in the sums */
    size_t units_missing; /* units it applies to without data */
} cchc_rollup_figure_t;

/*  Distribution of unit indices in one level (or all levels). */
typedef struct {
    size_t units;                  /* scored units */
    size_t ranked;                 /* of them, with an index */
    double min, median, max, mean; /* NAN when ranked = 0 */
    size_t *grade_counts;          /* [grade_count] units per catalogue grade */
    size_t ungraded;               /* ranked units below every grade */
    size_t incomplete;             /* units whose data is not complete */
    size_t late;                   /* complete, but arrived after the due day */
} cchc_rollup_dist_t;

typedef struct {
    const cchc_criteria_t *criteria; /* borrowed: must outlive the result */
    cchc_rollup_window_t window;
    cchc_rollup_unit_result_t *units; /* in the input order */
    size_t unit_count;
    cchc_rollup_figure_t *figures; /* every indicator but on_time ones:
                                           level -1, then each of its levels */
    size_t figure_count;
    cchc_rollup_dist_t dist [CCHC_LEVEL_COUNT + 1]; /* [CCHC_LEVEL_COUNT] = all */
    bool has_previous;
    cchc_period_t previous; /* the period `change` compares with */
    size_t parts_ignored;   /* input parts for units not scored */
    int64_t journal_max;    /* newest journal entry behind any figure */
} cchc_rollup_t;

/*  The core.  `previous` (may be NULL) is the previous period's result, for
    change and previous rank, matched by unit code.  Parts whose unit index is
    out of range are refused (-1); parts of a metric the unit's level does not
    report are kept (they count in sums but not for completeness).
    NULL on failure with the reason in err. */
cchc_rollup_t *cchc_rollup_compute (const cchc_criteria_t *cat, const cchc_rollup_window_t *w,
                                    const cchc_rollup_unit_t *units, size_t unit_count,
                                    const cchc_rollup_part_t *parts, size_t part_count,
                                    const cchc_rollup_t *previous, char *err, size_t errlen);
void cchc_rollup_destroy (cchc_rollup_t **self_p);

/*  Index of the unit with `code`, or -1. */
int cchc_rollup_unit_find (const cchc_rollup_t *self, const char *code);

/*  The units of `level` (-1: every level) in ranking order, the one order of
    the API, the dashboard, the CSV and XLSX exports, the report and cchcctl:
      1. level: so, huyen, xa (only matters for level -1)
      2. rank ascending; units without an index (rank 0) after the ranked
      3. the tie rule: units of the same rank (equal indices rounded to 1e-6)
         by unit code, byte order (codes are unique and never renamed; names
         are neither, and byte order of UTF-8 names is not Vietnamese order).
    A malloc'ed array of unit indices (*count of them), NULL when out of memory.
    Thread-safe (no shared state). */
size_t *cchc_rollup_ranking (const cchc_rollup_t *self, int level, size_t *count);

/*  `change` and previous rank of every unit of r against `prev`, the
    previous period of the same kind: a unit is compared when it had data in
    prev at the same level (cchc_rollup_compute does this when given a
    previous roll-up; a restored locked period does it again).  Clears what
    was there first.  0, or -1 when out of memory. */
int cchc_rollup_compare (cchc_rollup_t *r, const cchc_rollup_t *prev);

/*  The unit indices sorted by unit code (byte order), for lookups by code.
    malloc'ed (unit_count of them), NULL when out of memory. */
size_t *cchc_rollup_by_code (const cchc_rollup_t *self);

/*  The province figure of indicator `indicator` at `level` (-1: all), or NULL. */
const cchc_rollup_figure_t *cchc_rollup_figure (const cchc_rollup_t *self, size_t indicator,
                                                int level);

/* ------------------------------------------------------------------------ */
/*  The reporting month of a day is common/period.h's cchc_period_month_of;
    observation_month, the summary the loader reads, is collector/db/'s
    (collector/db/delta.h says what it holds and how it is kept). */

/* ------------------------------------------------------------------------ */
/*  SQLite loader (tables of collector/db/schema.h; read-only use of `db`) */

/*  Roll up `period` as of `as_of_ms` (UTC ms; normally cchc_clock_now_ms()).
    With `with_previous`, also rolls up the previous period of the same kind
    and fills change/prev_rank.  NULL with the reason in err. */
cchc_rollup_t *cchc_rollup_load (sqlite3 *db, const cchc_criteria_t *cat,
                                 const cchc_period_t *period, int64_t as_of_ms,
                                 bool with_previous, char *err, size_t errlen);

/*  One observation row behind a figure. */
typedef struct {
    const char *unit;
    const char *metric;
    int64_t agent;
    const char *agent_name;
    int32_t day; /* yyyymmdd */
    double value;
    bool is_integer; /* stored as an integer (the protocol keeps the
                                   kind): then ivalue is the exact value */
    int64_t ivalue;
    int64_t seq;         /* the message's seq */
    int64_t journal;     /* the signed message (journal.id) */
    int64_t received_at; /* UTC ms */
} cchc_rollup_source_t;

/*  Called per row; return 0 to go on, -1 to stop (explain then returns -1). */
typedef int (cchc_rollup_source_fn) (const cchc_rollup_source_t *row, void *arg);

/*  List the rows behind unit `unit`'s window value of `code` (a metric code,
    or an indicator code: its numerator's then its denominator's rows), in
    metric, day, agent order: counters all rows dated in the window, gauges the
    rows of the unit's latest day <= the window's last day.
    0 or -1 with the reason in err (unknown code, SQL error). */
int cchc_rollup_explain (sqlite3 *db, const cchc_criteria_t *cat,
                         const cchc_rollup_window_t *w, const char *unit, const char *code,
                         cchc_rollup_source_fn *fn, void *arg, char *err, size_t errlen);

#endif
