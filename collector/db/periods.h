/*  periods.h — collector/db/, the statements of the period keeper
    (collector/periods/: the rows of period_result and period_event) and of
    the readers above it (collector/http/: the API's checks, agents, stats
    and province; collector/present/reports.c), behind functions named for
    what they mean.  The tables: schema.h (CCHC_DB_SCHEMA_SQL,
    CCHC_DB_PERIODS_SQL).

    Every function works on a raw connection (the keeper's, the API's pool)
    and returns 0 (1 / 0 for found / not found where said) or -1, with the
    error on the connection (sqlite3_errmsg (db)).  Nothing here knows the
    period keeper's types: states and events travel as their table codes
    ("provisional", "closed", "locked"; "locked", "reopened").
*/
#ifndef CCHC_DB_PERIODS_H
#define CCHC_DB_PERIODS_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/period.h"

/* ---------------------------------------------------------- transactions */

/*  A read transaction, nested as a savepoint in the caller's (or the
    connection's first read transaction): everything read until
    cchc_db_read_end sees one snapshot.  0 or -1. */
int cchc_db_read_begin (sqlite3 *db);
void cchc_db_read_end (sqlite3 *db);

/*  BEGIN IMMEDIATE / COMMIT / ROLLBACK on a raw connection.  A begin that
    waited for another writer for the whole busy timeout fails with
    sqlite3_errcode (db) SQLITE_BUSY.  rollback can't fail visibly. */
int cchc_db_write_begin (sqlite3 *db);
int cchc_db_write_commit (sqlite3 *db);
void cchc_db_write_rollback (sqlite3 *db);

/* ------------------------------------------------------------ the schema */

/*  1 when the database has the collector's tables (unit, agent, journal,
    observation, enrolment, stats: CCHC_DB_SCHEMA_SQL), 0 when not (not a
    collector database), -1 on error. */
int cchc_db_collector_tables (sqlite3 *db);

/*  1 when the database has the period keeper's tables (a keeper ran on
    it), 0 when not, -1 on error. */
int cchc_db_periods_kept (sqlite3 *db);

/*  1 when the database has the roll-up's summary observation_month, 0
    when not (an older database), -1 on error. */
int cchc_db_month_kept (sqlite3 *db);

/* --------------------------------------------------------- period_result */

/*  One stored row of period_result (its columns: schema.h). */
typedef struct {
    char period [CCHC_PERIOD_ID_MAX];
    char state [16];                               /* "provisional", "closed" or "locked" */
    int64_t computed_at, journal_pos, journal_max; /* UTC ms; journal ids */
    int64_t data_version, units;
    int64_t locked_at, reopened_at; /* UTC ms; 0 when NULL */
    char locked_by [64];            /* "" when NULL */
    int64_t revision;
    bool has_snapshot, manual;
} cchc_db_period_result_t;

/*  The row of `period` (an id).  1 found, 0 none, -1 error. */
int cchc_db_period_result_get (sqlite3 *db, const char *period, cchc_db_period_result_t *row);

/*  Call fn for every row (in no particular order).  0 when done, 1 when fn
    returned non-zero (it stops the walk), -1 on error. */
typedef int (cchc_db_period_result_fn) (const cchc_db_period_result_t *row, void *arg);
int cchc_db_period_result_each (sqlite3 *db, cchc_db_period_result_fn *fn, void *arg);

/*  The snapshot of a locked period (malloc'ed text), or NULL: not locked,
    no snapshot, out of memory or an error (sqlite3_errcode (db) then says
    which). */
char *cchc_db_period_result_snapshot (sqlite3 *db, const char *period);

/*  What a writer checks before it replaces the row (in its write
    transaction): *revision (0 when there is no row), *journal_pos and
    *computed_at of the row; with `result` not NULL, *result the stored
    figures (malloc'ed, NULL when no row).  0 or -1. */
int cchc_db_period_result_revision (sqlite3 *db, const char *period, int64_t *revision,
                                    int64_t *journal_pos, int64_t *computed_at, char **result);

/*  A row to write (cchc_db_period_result_put). */
typedef struct {
    const char *period;
    const char *state; /* "provisional", "closed" or "locked" */
    int64_t computed_at;
    int64_t journal_pos;
    int64_t journal_max;
    int64_t data_version;
    int64_t units;
    const char *result;
    bool locked;           /* with the three below; else they are cleared */
    const char *snapshot;  /* locked only */
    int64_t locked_at;     /* locked only */
    const char *locked_by; /* locked only (NULL: none) */
    bool event;            /* a lock or a reopen: reopened_at is set to
                              reopened_at (0: cleared); else kept */
    int64_t reopened_at;   /* a reopen's instant, 0 otherwise */
    int manual;            /* -1 keep (0 for a new row), 0 clear, 1 set */
} cchc_db_period_result_put_t;

/*  Insert or replace the row of put->period (its revision + 1); the
    table's triggers refuse to change a locked row but by a reopen.  0 or
    -1. */
int cchc_db_period_result_put (sqlite3 *db, const cchc_db_period_result_put_t *put);

/* ---------------------------------------------------------- period_event */

/*  One row of period_event (strings valid during the callback). */
typedef struct {
    int64_t id;
    const char *period;
    const char *event; /* "locked" | "reopened" */
    int64_t at;        /* UTC ms */
    const char *who;
    const char *reason; /* may be NULL */
    int64_t journal_pos;
    int64_t computed_at;
} cchc_db_period_event_t;

/*  Append an event (its id is the table's); `result` (may be NULL): a
    reopen's superseded figures.  0 or -1. */
int cchc_db_period_event_add (sqlite3 *db, const cchc_db_period_event_t *event,
                              const char *result);

/*  Call fn for every event of `period` (every period when NULL), oldest
    first.  0 when done, 1 when fn returned non-zero (it stops the walk),
    -1 on error. */
typedef int (cchc_db_period_event_fn) (const cchc_db_period_event_t *event, void *arg);
int cchc_db_period_event_each (sqlite3 *db, const char *period, cchc_db_period_event_fn *fn,
                               void *arg);

/*  How many events `event` ("locked", "reopened") `period` has.  0 or -1. */
int cchc_db_period_event_count (sqlite3 *db, const char *period, const char *event,
                                int64_t *count);

/* ------------------------------------------------------- the API's reads */

/*  The province (the unit of level tinh) valid on `day` (yyyymmdd), or
    with day 0 the newest one: its code and name copied into the buffers
    (either may be NULL).  1 found, 0 none, -1 error. */
int cchc_db_province_find (sqlite3 *db, int32_t day, char *code, size_t code_size, char *name,
                           size_t name_size);

/*  One agent as the API lists it (strings valid during the callback). */
typedef struct {
    int64_t id;
    const char *unit;      /* never NULL */
    const char *name;      /* never NULL */
    const char *unit_name; /* the unit's newest name; NULL when unknown */
    const uint8_t *pubkey; /* 32 bytes, or NULL when not 32 bytes long */
    int64_t enrolled_at, revoked_at, last_seen, last_seq;
    int64_t accepted, duplicates, rejected;
    bool has_clock; /* the agent's clock is known: */
    int64_t clock_skew, clock_ahead, clock_at;
} cchc_db_agent_status_t;

/*  Call fn for every agent (revoked ones too), by unit then id.  0 when
    done, 1 when fn returned non-zero (it stops the walk), -1 on error. */
typedef int (cchc_db_agent_status_fn) (const cchc_db_agent_status_t *agent, void *arg);
int cchc_db_agent_status_each (sqlite3 *db, cchc_db_agent_status_fn *fn, void *arg);

/*  One row of the stats table (name valid during the callback). */
typedef struct {
    const char *name;
    bool is_integer; /* ival holds it; else real */
    int64_t ival;
    double real;
    int64_t updated_at; /* UTC ms */
} cchc_db_stat_t;

/*  Call fn for every stats row, by name.  0 when done, 1 when fn returned
    non-zero (it stops the walk), -1 on error. */
typedef int (cchc_db_stat_fn) (const cchc_db_stat_t *stat, void *arg);
int cchc_db_stats_each (sqlite3 *db, cchc_db_stat_fn *fn, void *arg);

#endif
