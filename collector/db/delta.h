/*  delta.h — observation_month, the roll-up's summary of the daily rows
    (collector/db/schema.h creates it), and the changes to it that the
    collector's writer sums over its batches (cchc_db_delta_t, delta.c).

    observation_month — per (agent, metric, reporting month, unit) the sums of
    the observation rows, kept equal to them (see below).  The
    reporting month M = yyyymm holds the local days 15/(M-1) .. 14/M (a day
    from the 15th on belongs to the next month: 15/12/2020 is in 202101), so
    every period's window (period.h) is a run of whole reporting months and a
    roll-up reads at most one summary row per month instead of a row per day.

      column        meaning
      -----------   ---------------------------------------------------------
      agent         observation.agent
      metric        observation.metric
      month         reporting month yyyymm (202103 = 15/02/2021 .. 14/03/2021)
      unit          observation.unit (an agent moved to another unit mid-month
                    has a row per unit)
      total         Σ value of the rows (integer while every value added
                    to it was; its type may differ between the two ways of
                    keeping it, its value not)
      rows          number of rows
      day_first     first and last day (yyyymmdd) with a row
      day_last
      last_value    value on day_last (what a gauge reads)
      last_journal  journal id of the day_last row
      journal_max   newest journal id that changed the month's rows

    Key (agent, month, metric, unit): one agent's month of every metric is
    contiguous (what one report changes and what a roll-up reads); an index
    on (agent, metric, month) finds a gauge's latest month.

    Two ways keep it equal to the observation rows, with the same result:
      - triggers on observation, for any connection that writes it: a new
        observation is added to its month; a changed value on the same
        (agent, metric, day, unit) is replaced in place; any other change or
        a delete takes the old row out (recomputing the first/last day from
        the observation rows when it was at an edge) and adds the new one;
      - the collector's writer, whose connection runs without triggers
        (cchc_db_triggers): it notes every row it adds or replaces in a
        cchc_db_delta_t and applies the summed changes of its
        batches every 200 ms (writer.c), one upsert per (agent, month, metric, unit), in a
        transaction of its own between the ingest transactions, with the
        summary's position (collector/db/db.h, "the summary": readers
        compute the months past it from the rows, and after a crash the
        follower rebuilds them; real totals may differ from the triggers'
        in the last bits of rounding, as the backfill's do).
    collector/db/ creates all this (schema.h; the migration chain, or
    cchc_db_month_apply for a database built row by row: idempotent, a table
    with an older key is rebuilt, the triggers are re-created, a new table is
    filled from the observation rows).  The loader uses the table when it
    exists and falls back to the daily rows otherwise. */
#ifndef CCHC_DB_DELTA_H
#define CCHC_DB_DELTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

/*  Changes to observation_month summed in memory (see above).  Not
    thread-safe: one per writer. */
typedef struct cchc_db_delta_t cchc_db_delta_t;

/*  One observation row as the delta sees it (strings are copied). */
typedef struct {
    int64_t agent;
    const char *metric;
    const char *unit;
    int32_t day; /* yyyymmdd */
    bool is_float;
    int64_t ival; /* when !is_float */
    double fval;  /* when is_float */
    int64_t journal;
} cchc_db_delta_row_t;

/*  NULL on out of memory.  It keeps prepared statements on the connection
    last given to cchc_db_delta_apply: destroy it before closing that
    connection (or close with sqlite3_close_v2). */
cchc_db_delta_t *cchc_db_delta_new (void);
void cchc_db_delta_destroy (cchc_db_delta_t **self_p);

/*  Note that `row` was written to observation: added (old NULL) or
    replacing `old` (same agent, metric and day).  0 or -1 (out of memory,
    or a metric / unit too long for the table's codes). */
int cchc_db_delta_note (cchc_db_delta_t *self, const cchc_db_delta_row_t *old,
                        const cchc_db_delta_row_t *row);

/*  Rows noted since the last apply or clear. */
size_t cchc_db_delta_size (const cchc_db_delta_t *self);

/*  Apply the noted changes to observation_month in `db` (inside the
    caller's transaction, after the observation rows were written) and
    forget them.  0, or -1 with the reason in err (the delta is then
    cleared too: roll the transaction back). */
int cchc_db_delta_apply (cchc_db_delta_t *self, sqlite3 *db, char *err, size_t errlen);

/*  The same in slices of at most `max` summary rows, so that one apply of
    many changes does not hold the database for long (each slice in a
    transaction of the caller's; a reader does not see a partly applied
    summary: the months past the summary's position are computed from the
    rows, db.h "the summary").  The first call freezes what was noted: no
    note may be added until the last slice.  1: slices remain, 0: all
    applied (the delta is empty), -1 with err (the delta is cleared: roll
    back and rebuild from the rows). */
int cchc_db_delta_apply_some (cchc_db_delta_t *self, sqlite3 *db, size_t max, char *err,
                              size_t errlen);

/*  Forget the noted changes (the transaction was rolled back). */
void cchc_db_delta_clear (cchc_db_delta_t *self);

#endif
