/*  db.h — collector/db/, the owner of the collector database: every table
    (schema.h), the one migration chain (migrate.c) and every SQL statement
    of the collector, behind functions named for what they mean.  Opening it
    with the right pragmas; every write made to it, by the collector's
    writer thread (journal, observations, agent counters, stats) and by
    cchcctl (units, enrolment).

    Errors: functions return 0 (or a count) on success and -1 on failure; the
    SQLite code of the last failure is cchc_db_errcode(), its text
    cchc_db_errmsg().  cchc_db_transient() says whether a code means
    "try again later" (busy, locked, disk full, I/O) rather than a bug.

    One cchc_db_t is one SQLite connection: use it from one thread at a
    time.

    Adding a migration step (a schema change):
      1. schema.h: bump CCHC_DB_VERSION to N, change the current schema
         (CCHC_DB_SCHEMA_SQL or its neighbours) to what a new database must
         have, write the step's SQL (CCHC_DB_MIGRATE_<N-1>_<N>) that brings
         a version N-1 database there, and add a line to the history.
      2. migrate.c: append { N, "what it does", CCHC_DB_MIGRATE_..., fn }
         to s_steps (fn: a C function for what SQL alone cannot decide;
         NULL otherwise).  Steps run in order inside the opening write
         transaction; they must leave every figure unchanged.
      3. Put the statements that use the new tables here (db.h), not in
         the callers.  test_store.c checks that a database walked up the
         chain ends with the same schema as a new one; add rows for the new
         tables to tests/collector/migrate.sh if they hold figures.
*/
#ifndef CCHC_DB_H
#define CCHC_DB_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdatomic.h>

#include <sqlite3.h>

#include "common/period.h"
#include "proto/proto.h"

typedef struct cchc_db_t cchc_db_t;

/*  Open (and with `create`, create) the database at `path`, bring its
    schema to CCHC_DB_VERSION (cchc_db_schema_apply), WAL mode, foreign
    keys, a busy timeout of 5 s.  Refuses a database whose user_version is
    newer than CCHC_DB_VERSION.  NULL with err set. */
cchc_db_t *cchc_db_open (const char *path, bool create, char *err, size_t errlen);
void cchc_db_destroy (cchc_db_t **self_p);

sqlite3 *cchc_db_handle (cchc_db_t *self);
int cchc_db_errcode (const cchc_db_t *self);
const char *cchc_db_errmsg (const cchc_db_t *self);
bool cchc_db_transient (int sqlite_code);

/*  Take the connection's last error (after a direct use of the handle) as
    this store's errcode / errmsg. */
void cchc_db_take_error (cchc_db_t *self);

/*  Durability and limits: synchronous FULL (fsync at every commit) or NORMAL,
    how long to wait for another writer's lock, and an optional cap on the
    database size in pages (0: none; a full database answers SQLITE_FULL). */
int cchc_db_tune (cchc_db_t *self, bool sync_full, int64_t busy_timeout_ms, int64_t max_pages);

/*  The WAL as the ingest writer and its checkpointer share it.  A PASSIVE
    checkpoint never blocks the writer, but while the writer keeps
    committing it never copies the frames added during its own pass, so the
    WAL never starts over: it grew to ~210 MB in a 20,000-report benchmark
    (of a 64.7 MB database), every commit writing into new file pages.  So
    the checkpointer says after every pass that it may have left frames
    (it cannot see a write transaction still open when it ends), and the
    writer, between its transactions (no frame can be added meanwhile),
    copies the few that are left (cchc_db_wal_catch_up); the next write
    transaction then starts the WAL over from its beginning. */
typedef struct {
    atomic_int pages;   /* the WAL's size in pages after the writer's last commit */
    atomic_bool behind; /* a checkpointer's pass ended since the last catch-up */
} cchc_db_wal_t;

/*  Make this connection the ingest writer's: temporary storage in memory,
    foreign keys and CHECK constraints are not re-checked (what they say
    holds by construction: agent ids come from the enrolment table, journal
    ids from the row it just inserted, a value is bound as an integer or a
    real, a signature is 64 bytes; cchcctl audit checks them all, and every
    other connection checks them as it writes; PRAGMA
    ignore_check_constraints: 26.2-26.7 -> 22.6-25.4 us per report of the
    writer's SQL in bench/storage), and WAL checkpoints are left to another connection
    (cchc_db_checkpoint): `wal`, if not NULL, is kept up
    to date after every commit and read by cchc_db_wal_catch_up (NULL: this
    connection checkpoints by itself as SQLite does by default).  0 or -1. */
int cchc_db_ingest_mode (cchc_db_t *self, cchc_db_wal_t *wal);

/*  PRAGMA wal_checkpoint(PASSIVE): copy what it can of the WAL into the
    database without blocking the writer; with `wal` (the writer's), note
    that a pass ended (wal->behind).  0 or -1. */
int cchc_db_checkpoint (cchc_db_t *self, cchc_db_wal_t *wal);

/*  On the writer's connection, outside a transaction: if a checkpointer's
    pass ended since the last call, copy what it left (a PASSIVE checkpoint
    of what the writer added during that pass), so the WAL can start over.  A
    failure is left for the checkpointer's next pass.  Does nothing on a
    connection not in ingest mode. */
void cchc_db_wal_catch_up (cchc_db_t *self);

/*  BEGIN IMMEDIATE / COMMIT / ROLLBACK.  rollback can't fail visibly. */
int cchc_db_begin (cchc_db_t *self);
int cchc_db_commit (cchc_db_t *self);
void cchc_db_rollback (cchc_db_t *self);

/*  On a raw connection, inside a write transaction the caller opened:
    create the current schema in a new database, or walk an older one up the
    migration chain to CCHC_DB_VERSION.  0, or -1 with the reason in err
    (the caller rolls back). */
int cchc_db_schema_apply (sqlite3 *db, char *err, size_t errlen);

/*  observation_month as in the schema (created if missing, rebuilt if keyed
    the old way, filled from the observation rows if empty, triggers
    re-created): for databases built row by row (tests, benchmarks).
    0 or -1 with err. */
int cchc_db_month_apply (sqlite3 *db, char *err, size_t errlen);

/*  The period keeper's tables (schema.h, CCHC_DB_PERIODS_SQL), if missing.
    0 or -1 with err. */
int cchc_db_periods_apply (sqlite3 *db, char *err, size_t errlen);

/* ---------------------------------------------------------------- ingest */

/*  Append a message to the journal.  day_first .. day_last (yyyymmdd): the
    days of the observations it is about to write with the summary's
    triggers off, so the follower rebuilds their months (0, 0: none).
    Returns 1 and *journal_id when it was added, 0 when (agent, seq) is
    already there (nothing written), -1 on error. */
int cchc_db_journal_add (cchc_db_t *self, int64_t agent, uint64_t seq, int64_t received_ms,
                         const uint8_t *body, size_t len, const uint8_t sig [64],
                         const char *refused, int32_t day_first, int32_t day_last,
                         int64_t *journal_id);

/*  1 if the journal row (agent, seq) holds exactly `body`, 0 if it differs
    or is absent, -1 on error. */
int cchc_db_journal_same (cchc_db_t *self, int64_t agent, uint64_t seq, const uint8_t *body,
                          size_t len);

/*  Upsert one observation: written unless the row holds a higher seq. */
int cchc_db_observation_put (cchc_db_t *self, int64_t agent, const char *unit,
                             const cchc_obs_t *obs, uint64_t seq, int64_t journal_id);

/*  The row an observation write replaced. */
typedef struct {
    char unit [CCHC_UNIT_MAX + 1];
    bool is_float;
    int64_t ival;
    double fval;
} cchc_db_old_t;

/*  One observation row for cchc_db_observations_write. */
typedef struct {
    int64_t agent;
    const char *unit; /* the agent's unit */
    const cchc_obs_t *obs;
    uint64_t seq;
    int64_t journal; /* the message's journal row */
    void *owner;     /* the caller's (the writer's job); unused here */
    int32_t day;     /* cchc_db_day_ymd (obs->date) if the caller has it, or
                        0: computed here */
    uint32_t order;  /* the caller's (the writer's metric number); unused here */
} cchc_db_row_t;

/*  Up to this many rows go into one INSERT statement. */
#define CCHC_DB_ROWS_PER_INSERT 32

/*  cchc_db_observation_write for many rows with distinct (agent, day,
    metric) (best in key order): multi-row INSERT OR IGNOREs of the new
    rows; only where a statement met stored rows are its (day, agent)s read
    back along the key, once each (a row holding this row's journal id was
    just inserted by it), and the older ones replaced by one multi-row
    upsert.  OR IGNORE (not ON CONFLICT ... ABORT) so the statement needs no
    statement journal: the values are built to satisfy the table's NOT NULL
    / CHECK constraints, and a row skipped anyway would be found missing by
    that read, which fails the write (SQLITE_INTERNAL).  Sets result[i] (1
    added, 2 replaced with old[i] described, 0 left alone).  0 or -1. */
int cchc_db_observations_write (cchc_db_t *self, const cchc_db_row_t *rows, size_t count,
                                int *result, cchc_db_old_t *old);

/*  Observation reads that need no index but the key (day, agent, metric):
    along the key from the first day asked. */

/*  The first and last day of any observation (0 and 0 when none). */
int cchc_db_observation_days (sqlite3 *db, int32_t *first, int32_t *last);

/*  1 when some observation is dated in [first, last] (yyyymmdd) — with
    before_ms > 0, one whose message arrived before before_ms (UTC ms) —,
    0 when none, -1 on error. */
int cchc_db_observation_any (sqlite3 *db, int32_t first, int32_t last, int64_t before_ms);

/* ---------------------------------------------------- the summary (month) */

/*  observation_month is settled by a follower outside the ingest
    transactions (schema.h, CCHC_DB_MONTH_POSITION_SQL; collector/db/month.c).
    A reader never sees it lag: it reads the summary through
    cchc_db_month_settle, which computes, in the reader's own snapshot, the
    rows of the months the follower has not reached yet. */

/*  One step of the follower, in a transaction of its own (the caller holds
    none): every (agent, month) whose days the journal rows after the
    position carry — at most `max_messages` rows, oldest first (< 0: all) —
    rebuilt from the observation rows, and the position moved past them.
    *left: journal rows remain after this step.  On a database without the
    follower's position it does nothing.  0, or -1 (rolled back; errcode
    and errmsg say why). */
int cchc_db_month_follow (cchc_db_t *self, int64_t max_messages, bool *left);

/*  Inside the caller's write transaction, after it brought observation_month
    up to date with every journal row up to id `journal` itself (the
    writer's summed changes): the position moves there (never back).
    0 or -1. */
int cchc_db_month_settled (cchc_db_t *self, int64_t journal);

/*  For a reader, inside its read transaction (a SAVEPOINT or BEGIN the
    caller holds until it has read the summary): temp.cchc_month_pending
    (agent, month) gets the months not settled for this snapshot,
    temp.cchc_month_fresh (observation_month's columns and key) their rows
    as the follower will write them, and the view temp.cchc_month_now is
    observation_month as of the snapshot (settled rows, then the fresh
    ones).  *pending: how many (agent, month)s are pending; with 0,
    observation_month itself is exact.  A database without the summary's
    position has none pending.  0 or -1 (sqlite3_errmsg (db)). */
int cchc_db_month_settle (sqlite3 *db, int64_t *pending);

/*  Per reporting month (ascending), the newest journal id of its
    observation rows as of this snapshot (the summary's journal_max, with
    the pending months').  fn returns non-zero to stop (then -1).  0 or -1. */
typedef int cchc_db_month_journal_fn (int32_t month, int64_t journal_max, void *arg);
int cchc_db_month_journal_each (sqlite3 *db, cchc_db_month_journal_fn *fn, void *arg);

/*  How many units have summary rows in months month_first .. month_last
    changed by a message after journal id `journal` (a locked period's
    corrections after its lock), as of this snapshot.  0 or -1. */
int cchc_db_month_units_after (sqlite3 *db, int32_t month_first, int32_t month_last,
                               int64_t journal, int64_t *units);

/* ---------------------------------------------------------- data version */

/*  What computed figures depend on, read in the caller's read transaction:
    when any field differs from an earlier reading, figures computed then
    may be stale (the API's cache, the period keeper's schedule). */
typedef struct {
    int64_t journal;   /* max(journal.id), 0 when empty: every message
                               up to it is in the snapshot */
    int64_t enrolment; /* enrolment.version (agents enrolled, moved,
                               revoked) */
    int64_t units_sum; /* a checksum of the unit table (codes, names,
                               validity, parents, row count) */
    int64_t units;     /* distinct unit codes */
    int64_t periods;   /* max(period_event.id) (locks and reopens), -1
                               when the period tables do not exist */
} cchc_db_data_version_t;

/*  0, or -1 (sqlite3_errmsg (db) says why). */
int cchc_db_data_version (sqlite3 *db, cchc_db_data_version_t *version);

/*  One integer from a query without parameters (its first column of its first
    row) on any connection; 0, or -1 with the error on the connection. */
int cchc_db_int64 (sqlite3 *db, const char *sql, int64_t *out);

/*  The journal's extent on any connection: its row count and newest id (0
    when empty).  0, or -1 with the error on the connection. */
int cchc_db_journal_extent (sqlite3 *db, int64_t *rows, int64_t *max_id);

/*  SQLite's integrity_check of the database on `db`: 1 when it answers
    "ok", 0 when it finds problems (the first in `problem`), -1 on error
    (the connection's).  Can take long on a large database. */
int cchc_db_integrity (sqlite3 *db, char *problem, size_t len);

/*  Leave WAL mode (journal_mode DELETE): the file stands alone, no -wal
    beside it (a backup copy).  0 or -1 (the connection's error). */
int cchc_db_leave_wal (sqlite3 *db);

/*  max(journal.id), 0 when empty.  0 or -1. */
int cchc_db_journal_position (sqlite3 *db, int64_t *position);

/*  A key of the agents' counters (count, newest last_seen, rejected,
    accepted and duplicates, revocations): changes whenever a listing of
    agents would.  0 or -1. */
int cchc_db_agents_key (sqlite3 *db, uint64_t key [5]);

/*  Fire triggers (the default) or not, in this connection.  The collector's
    writer turns them off and keeps the roll-up's observation_month current
    itself (collector/db/delta.h, cchc_db_delta_t); its writes never
    touch what the other triggers watch (agent's pubkey, unit, name,
    revoked_at).  0 or -1. */
int cchc_db_triggers (cchc_db_t *self, bool on);

/*  Add to an agent's counters: last_seen = max(last_seen, seen_ms), last_seq =
    max(last_seq, accepted_seq) (0 leaves it); with has_skew, its clock
    (schema.h: clock_skew = skew_ms of the newest report, clock_ahead =
    max(clock_ahead, ahead_ms), clock_at = seen_ms). */
int cchc_db_agent_note (cchc_db_t *self, int64_t agent, int64_t seen_ms, int accepted,
                        int duplicates, int rejected, uint64_t accepted_seq, bool has_skew,
                        int64_t skew_ms, int64_t ahead_ms);

/*  The highest seq accepted from an agent (its last_seq; 0 if none or no
    such agent): the "high" of a revision-1.2 ack (PROTOCOL.md §6).  0 or
    -1. */
int cchc_db_agent_high (cchc_db_t *self, int64_t agent, uint64_t *high);

/*  Set one stats row (inside or outside a transaction). */
int cchc_db_stats_put (cchc_db_t *self, const char *name, int64_t value, int64_t now_ms);
int cchc_db_stats_put_real (cchc_db_t *self, const char *name, double value, int64_t now_ms);

/*  Empty the stats table (a collector starting afresh). */
int cchc_db_stats_clear (cchc_db_t *self);

/* ------------------------------------------------------------- enrolment */

typedef struct {
    int64_t id;
    uint8_t pubkey [32];
    char unit [CCHC_UNIT_MAX + 1];
    bool revoked;
} cchc_db_agent_t;

/*  The enrolment change counter (schema.h: enrolment.version). */
int cchc_db_enrolment_version (cchc_db_t *self, int64_t *version);

/*  Call fn for every agent row (revoked ones too).  fn returns 0 to go on.
    Returns 0, or -1 on a database error or when fn returned non-zero. */
int cchc_db_agents_each (cchc_db_t *self, int (*fn) (const cchc_db_agent_t *agent, void *arg),
                         void *arg);

/*  Enrol a key for a unit (which must exist and be valid today).  Returns the
    new agent id, or -1 with err ("key already enrolled as agent 3", ...). */
int64_t cchc_db_agent_enroll (cchc_db_t *self, const uint8_t pubkey [32], const char *unit,
                              const char *name, int64_t now_ms, char *err, size_t errlen);

/*  The same for a unit valid on the local day on_ymd (yyyymmdd; 0: today):
    a unit a reorganisation closed (a province before 2025-07-01) reporting
    the periods it existed in. */
int64_t cchc_db_agent_enroll_on (cchc_db_t *self, const uint8_t pubkey [32], const char *unit,
                                 const char *name, int32_t on_ymd, int64_t now_ms, char *err,
                                 size_t errlen);

/*  Revoke by key (pubkey not NULL) or id.  Returns the id, or -1 with err. */
int64_t cchc_db_agent_revoke (cchc_db_t *self, const uint8_t *pubkey, int64_t id,
                              int64_t now_ms, char *err, size_t errlen);

/* ----------------------------------------------------------------- units */

/*  yyyymmdd bounds of "always" (schema defaults). */
#define CCHC_DB_DAY_MIN 10101
#define CCHC_DB_DAY_MAX 99991231

typedef struct {
    char code [CCHC_UNIT_MAX + 1];
    char name [256];
    char kind [64];
    char level [8];                  /* tinh, so, huyen, xa */
    char parent [CCHC_UNIT_MAX + 1]; /* "" for none */
    char where [300];                /* "file:line" for messages */
} cchc_db_unit_t;

typedef struct {
    size_t added;     /* codes seen for the first time */
    size_t changed;   /* codes whose open row was closed and replaced */
    size_t unchanged; /* identical to the open row */
    size_t closed;    /* open rows closed by `replace` */
} cchc_db_import_t;

/*  Check rows by themselves (codes, names, levels, parent present or not,
    duplicate codes), without the database.  0, or -1 with "file:line:
    reason" lines appended to err (which must hold a string). */
int cchc_db_units_check (const cchc_db_unit_t *rows, size_t count, char *err, size_t errlen);

/*  Import a structure in one transaction, all or nothing.

    valid_from (yyyymmdd, 0 = not given): a code never seen is valid from
    valid_from (or from always when 0); a code whose open row differs gets
    its open row closed the day before valid_from and a new row from
    valid_from (valid_from is then required); an identical code is left
    alone.  valid_to (0 = always) ends the new rows.  With `replace`
    (valid_from required), every unit valid on valid_from that is not in
    `rows` is closed the day before.  Past rows are never rewritten.
    Every row is checked (level, parent exists and is above, no duplicate
    codes); errors are "file:line: reason" lines in err.  Returns 0 or -1. */
int cchc_db_units_import (cchc_db_t *self, const cchc_db_unit_t *rows, size_t count,
                          int32_t valid_from, int32_t valid_to, bool replace,
                          cchc_db_import_t *result, char *err, size_t errlen);

/*  yyyymmdd of a local day number, and back: the names callers in the
    collector still use for common/period.h's cchc_date_to_yyyymmdd and
    cchc_date_from_yyyymmdd (one implementation, there). */
static inline int32_t
cchc_db_day_ymd (cchc_date_t date)
{
    return cchc_date_to_yyyymmdd (date);
}

static inline cchc_date_t
cchc_db_ymd_day (int32_t ymd)
{
    return cchc_date_from_yyyymmdd (ymd);
}

#endif
