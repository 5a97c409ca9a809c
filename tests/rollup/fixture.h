/*  fixture.h — the hand-computed test province of tests/rollup: 3 sở,
    2 huyện, 4 xã (plus the province itself and a unit no longer valid),
    their agents and observations for 2021-Q1 and around it, as in-memory rows
    for the core and as a SQLite database built straight from
    CCHC_DB_SCHEMA_SQL.  fixture.c lists every row and the expected results.
*/
#ifndef CCHC_TEST_ROLLUP_FIXTURE_H
#define CCHC_TEST_ROLLUP_FIXTURE_H

#include "collector/figures/rollup.h"

#include <sqlite3.h>

/*  UTC ms of local (UTC+7) time yyyymmdd hh:mm. */
int64_t fx_local_ms (int32_t yyyymmdd, int hour, int minute);

/*  The small test catalogue (tests/rollup/small.ini); NULL on error (printed). */
cchc_criteria_t *fx_criteria (void);

/*  The 9 scored units (S1 S2 S3 H1 H2 X1 X2 X3 X4) for the core. */
const cchc_rollup_unit_t *fx_units (size_t *count);

/*  Observation rows of the scored units, metrics of `cat`, for the core.
    malloc'ed; NULL on out of memory. */
cchc_rollup_row_t *fx_rows (const cchc_criteria_t *cat, size_t *count);

/*  How the fixture database gets observation_month. */
typedef enum {
    FX_DAILY = 0,    /* not at all: the loader reads the daily rows */
    FX_TRIGGERS = 1, /* roll-up schema applied first, kept by triggers */
    FX_BACKFILL = 2  /* roll-up schema applied after the rows: backfilled */
} fx_mode_t;

/*  Create a database at `path` (schema + every unit, agent, journal entry and
    observation, including the unscored ones).  0 or -1 (printed). */
int fx_db_create (const char *path, fx_mode_t mode);

/*  Execute SQL on a database; 0 or -1 (printed). */
int fx_exec (sqlite3 *db, const char *sql);

#endif
