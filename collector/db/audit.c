/*  audit.c — the reads of cchcctl (audit.h): the audit's walks of the
    journal, the observation rows against the journal's values, the
    agents' counters and the monthly summary against the observation
    rows, and the listing of units.  The statements that name the
    observation table are the four S_OBSERVATION_* below.
*/
#include "collector/db/audit.h"
#include "collector/db/db_impl.h"
#include "collector/db/periods.h"
#include "collector/db/schema.h"

#include <assert.h>
#include <stdlib.h>

struct cchc_db_audit_t {
    cchc_db_t *store;
    sqlite3 *db;
    sqlite3_stmt *put; /* into temp.audit_expected */
};

/* ------------------------------------------------- the observation table */

/*  Every observation row, with the journal's value of its key. */
#define S_OBSERVATION_STORED_SQL                                  \
    "SELECT o.agent, o.metric, o.day, o.value, o.seq, o.journal," \
    "       e.agent IS NOT NULL, e.value, e.seq, e.journal"       \
    "  FROM observation o LEFT JOIN temp.audit_expected e"        \
    "    ON e.agent = o.agent AND e.metric = o.metric AND e.day = o.day"

/*  The journal's values with no observation row. */
#define S_OBSERVATION_MISSING_SQL                                                \
    "SELECT e.agent, e.metric, e.day, e.value, e.seq, e.journal"                 \
    "  FROM temp.audit_expected e WHERE NOT EXISTS (SELECT 1 FROM observation o" \
    "   WHERE o.agent = e.agent AND o.metric = e.metric AND o.day = e.day)"

/*  temp.audit_month: the summary computed from the observation rows.
    total(), not sum(): it cannot fail with "integer overflow" on hostile
    values (schema.h, CCHC_DB_MONTH_BACKFILL_SQL, says why it is exact
    enough). */
#define S_OBSERVATION_MONTHS_SQL                                                 \
    "DROP TABLE IF EXISTS temp.audit_month;"                                     \
    "CREATE TEMP TABLE audit_month AS"                                           \
    " SELECT agent, " CCHC_DB_MONTH (                                            \
        "day") " AS month, metric, unit, total(value) AS total,"                 \
               " count(*) AS rows, min(day) AS day_first, max(day) AS day_last," \
               " max(journal) AS journal_top FROM observation GROUP BY 1, 2, 3, 4;"

/*  Both sides of every summary row: the computed ones with the summary's
    row (if any) and the value and journal of their last day's observation,
    then the summary's rows that none was computed for. */
#define S_OBSERVATION_LAST_SQL                                                          \
    "SELECT e.agent, e.month, e.metric, e.unit, m.agent IS NOT NULL,"                   \
    "       m.total, m.rows, m.day_first, m.day_last, m.last_value, m.last_journal,"    \
    "       m.journal_max, 1, e.total, e.rows, e.day_first, e.day_last, o.value,"       \
    "       o.journal, e.journal_top"                                                   \
    "  FROM temp.audit_month e"                                                         \
    "       LEFT JOIN temp.cchc_month_now m ON m.agent = e.agent AND m.month = e.month" \
    "            AND m.metric = e.metric AND m.unit = e.unit"                           \
    "       LEFT JOIN observation o ON o.agent = e.agent AND o.day = e.day_last"        \
    "            AND o.metric = e.metric"                                               \
    " UNION ALL "                                                                       \
    "SELECT m.agent, m.month, m.metric, m.unit, 1, m.total, m.rows, m.day_first,"       \
    "       m.day_last, m.last_value, m.last_journal, m.journal_max,"                   \
    "       0, NULL, 0, 0, 0, NULL, 0, 0"                                               \
    "  FROM temp.cchc_month_now m WHERE NOT EXISTS (SELECT 1 FROM temp.audit_month e"   \
    "   WHERE e.agent = m.agent AND e.month = m.month AND e.metric = m.metric"          \
    "     AND e.unit = m.unit)"

/* --------------------------------------------------------------- helpers */

/*  `sql` prepared on the store's connection; NULL with the store's error. */
static sqlite3_stmt *
s_prepare (cchc_db_t *store, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (cchc_db_handle (store), sql, -1, &st, NULL) != SQLITE_OK) {
        cchc_db_take_error (store);
        sqlite3_finalize (st);
        return NULL;
    }
    return st;
}

/*  The end of a walk: `rc` the last step's, `stopped` fn's.  0 or -1. */
static int
s_walk_end (cchc_db_t *store, sqlite3_stmt *st, int rc, int stopped)
{
    int status = stopped ? -1 : rc == SQLITE_DONE ? 0 : -1;
    if (!stopped && rc != SQLITE_DONE)
        cchc_db_take_error (store);
    sqlite3_finalize (st);
    return status;
}

static int
s_exec (cchc_db_t *store, const char *sql)
{
    if (sqlite3_exec (cchc_db_handle (store), sql, NULL, NULL, NULL) == SQLITE_OK)
        return 0;
    cchc_db_take_error (store);
    return -1;
}

static cchc_db_audit_value_t
s_value (sqlite3_stmt *st, int col)
{
    cchc_db_audit_value_t value = { CCHC_DB_AUDIT_NULL, 0, 0, NULL };
    switch (sqlite3_column_type (st, col)) {
        case SQLITE_INTEGER:
            value.type = CCHC_DB_AUDIT_INTEGER;
            value.ival = sqlite3_column_int64 (st, col);
            break;
        case SQLITE_FLOAT:
            value.type = CCHC_DB_AUDIT_REAL;
            value.fval = sqlite3_column_double (st, col);
            break;
        case SQLITE_NULL: break;
        default:
            value.type = CCHC_DB_AUDIT_TEXT;
            value.text = (const char *) sqlite3_column_text (st, col);
            break;
    }
    return value;
}

/* ------------------------------------------------------------- the audit */

cchc_db_audit_t *
cchc_db_audit_new (cchc_db_t *store)
{
    assert (store);
    cchc_db_audit_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->store = store;
    self->db = cchc_db_handle (store);
    if (s_exec (store,
                "DROP TABLE IF EXISTS temp.audit_expected;"
                "CREATE TEMP TABLE audit_expected (agent INTEGER, metric TEXT, day INTEGER,"
                " value, seq INTEGER, journal INTEGER, PRIMARY KEY (agent, metric, day))"
                " WITHOUT ROWID;"
                "BEGIN;")
            != 0
        || !(self->put = s_prepare (
                 store,
                 "INSERT INTO temp.audit_expected VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                 " ON CONFLICT (agent, metric, day) DO UPDATE SET value = excluded.value,"
                 " seq = excluded.seq, journal = excluded.journal WHERE excluded.seq > seq")))
        cchc_db_audit_destroy (&self);
    return self;
}

void
cchc_db_audit_destroy (cchc_db_audit_t **self_p)
{
    assert (self_p);
    cchc_db_audit_t *self = *self_p;
    if (!self)
        return;
    sqlite3_finalize (self->put);
    sqlite3_exec (self->db, "COMMIT;", NULL, NULL, NULL);
    sqlite3_exec (self->db, "DROP TABLE IF EXISTS temp.audit_expected;", NULL, NULL, NULL);
    free (self);
    *self_p = NULL;
}

int
cchc_db_audit_journal_each (cchc_db_audit_t *self, cchc_db_audit_journal_fn *fn, void *arg)
{
    assert (self && fn);
    sqlite3_stmt *st =
        s_prepare (self->store, "SELECT j.id, j.agent, j.seq, j.body, j.sig, j.refused,"
                                " a.pubkey FROM journal j LEFT JOIN agent a ON a.id = j.agent"
                                " ORDER BY j.agent, j.seq");
    if (!st)
        return -1;
    int rc = SQLITE_DONE, stopped = 0;
    while (!stopped && (rc = sqlite3_step (st)) == SQLITE_ROW) {
        cchc_db_audit_journal_t row = {
            .id = sqlite3_column_int64 (st, 0),
            .agent = sqlite3_column_int64 (st, 1),
            .seq = sqlite3_column_int64 (st, 2),
            .body = sqlite3_column_blob (st, 3),
            .len = (size_t) sqlite3_column_bytes (st, 3),
            .sig = sqlite3_column_blob (st, 4),
            .siglen = (size_t) sqlite3_column_bytes (st, 4),
            .refused = (const char *) sqlite3_column_text (st, 5),
            .pubkey = sqlite3_column_blob (st, 6),
            .pklen = (size_t) sqlite3_column_bytes (st, 6),
        };
        stopped = fn (&row, arg);
    }
    return s_walk_end (self->store, st, rc, stopped);
}

int
cchc_db_audit_expect (cchc_db_audit_t *self, int64_t agent, const cchc_obs_t *obs, int64_t seq,
                      int64_t journal)
{
    assert (self && obs);
    sqlite3_stmt *put = self->put;
    sqlite3_bind_int64 (put, 1, agent);
    sqlite3_bind_text (put, 2, obs->metric, -1, SQLITE_STATIC);
    sqlite3_bind_int (put, 3, cchc_db_day_ymd (obs->date));
    if (obs->is_float)
        sqlite3_bind_double (put, 4, obs->fval);
    else
        sqlite3_bind_int64 (put, 4, obs->ival);
    sqlite3_bind_int64 (put, 5, seq);
    sqlite3_bind_int64 (put, 6, journal);
    int rc = sqlite3_step (put) == SQLITE_DONE ? 0 : -1;
    if (rc)
        cchc_db_take_error (self->store);
    sqlite3_reset (put);
    return rc;
}

/*  The walks of S_OBSERVATION_STORED_SQL (stored) and
    S_OBSERVATION_MISSING_SQL. */
static int
s_observations_each (cchc_db_audit_t *self, bool stored, cchc_db_audit_observation_fn *fn,
                     void *arg)
{
    assert (self && fn);
    sqlite3_stmt *st =
        s_prepare (self->store, stored ? S_OBSERVATION_STORED_SQL : S_OBSERVATION_MISSING_SQL);
    if (!st)
        return -1;
    int want = stored ? 7 : 3; /* the column of the journal's value */
    int rc = SQLITE_DONE, stopped = 0;
    while (!stopped && (rc = sqlite3_step (st)) == SQLITE_ROW) {
        cchc_db_audit_observation_t row = {
            .agent = sqlite3_column_int64 (st, 0),
            .metric = s_text (st, 1),
            .day = sqlite3_column_int (st, 2),
            .stored = stored,
            .expected = stored ? sqlite3_column_int (st, 6) != 0 : true,
            .want = s_value (st, want),
            .want_seq = sqlite3_column_int64 (st, want + 1),
            .want_journal = sqlite3_column_int64 (st, want + 2),
        };
        if (stored) {
            row.value = s_value (st, 3);
            row.seq = sqlite3_column_int64 (st, 4);
            row.journal = sqlite3_column_int64 (st, 5);
        }
        stopped = fn (&row, arg);
    }
    return s_walk_end (self->store, st, rc, stopped);
}

int
cchc_db_audit_observations_each (cchc_db_audit_t *self, cchc_db_audit_observation_fn *fn,
                                 void *arg)
{
    return s_observations_each (self, true, fn, arg);
}

int
cchc_db_audit_missing_each (cchc_db_audit_t *self, cchc_db_audit_observation_fn *fn, void *arg)
{
    return s_observations_each (self, false, fn, arg);
}

int
cchc_db_audit_agents_each (cchc_db_audit_t *self, cchc_db_audit_agent_fn *fn, void *arg)
{
    assert (self && fn);
    sqlite3_stmt *st = s_prepare (
        self->store,
        "SELECT a.id, a.accepted, a.last_seq, count(j.id), coalesce(max(j.seq), 0)"
        " FROM agent a LEFT JOIN journal j ON j.agent = a.id GROUP BY a.id ORDER BY a.id");
    if (!st)
        return -1;
    int rc = SQLITE_DONE, stopped = 0;
    while (!stopped && (rc = sqlite3_step (st)) == SQLITE_ROW) {
        cchc_db_audit_agent_t row = { .agent = sqlite3_column_int64 (st, 0),
                                      .accepted = sqlite3_column_int64 (st, 1),
                                      .last_seq = sqlite3_column_int64 (st, 2),
                                      .messages = sqlite3_column_int64 (st, 3),
                                      .seq_max = sqlite3_column_int64 (st, 4) };
        stopped = fn (&row, arg);
    }
    return s_walk_end (self->store, st, rc, stopped);
}

/* ------------------------------------------------------------ the summary */

/*  The sums in columns col .. col + 6 of S_OBSERVATION_LAST_SQL. */
static cchc_db_audit_sums_t
s_sums (sqlite3_stmt *st, int col)
{
    return (cchc_db_audit_sums_t){ .total = s_value (st, col),
                                   .rows = sqlite3_column_int64 (st, col + 1),
                                   .day_first = sqlite3_column_int (st, col + 2),
                                   .day_last = sqlite3_column_int (st, col + 3),
                                   .last = s_value (st, col + 4),
                                   .last_journal = sqlite3_column_int64 (st, col + 5),
                                   .journal_max = sqlite3_column_int64 (st, col + 6) };
}

/*  The walk of S_OBSERVATION_LAST_SQL over temp.audit_month. */
static int
s_months_walk (cchc_db_audit_t *self, cchc_db_audit_month_fn *fn, void *arg)
{
    sqlite3_stmt *st = s_prepare (self->store, S_OBSERVATION_LAST_SQL);
    if (!st)
        return -1;
    int rc = SQLITE_DONE, stopped = 0;
    while (!stopped && (rc = sqlite3_step (st)) == SQLITE_ROW) {
        cchc_db_audit_month_t row = { .agent = sqlite3_column_int64 (st, 0),
                                      .month = sqlite3_column_int (st, 1),
                                      .metric = s_text (st, 2),
                                      .unit = s_text (st, 3),
                                      .summarised = sqlite3_column_int (st, 4) != 0,
                                      .summary = s_sums (st, 5),
                                      .observed = sqlite3_column_int (st, 12) != 0,
                                      .rows = s_sums (st, 13) };
        stopped = fn (&row, arg);
    }
    return s_walk_end (self->store, st, rc, stopped);
}

int
cchc_db_audit_months_each (cchc_db_audit_t *self, cchc_db_audit_month_fn *fn, void *arg)
{
    assert (self && fn);
    int kept = cchc_db_month_kept (self->db);
    if (kept <= 0) {
        if (kept < 0)
            cchc_db_take_error (self->store);
        return kept;
    }
    /*  The summary as of this snapshot: the months the follower has not
        reached yet computed from the rows; the settled rest as it is. */
    int64_t pending = 0;
    if (cchc_db_month_settle (self->db, &pending) != 0) {
        cchc_db_take_error (self->store);
        return -1;
    }
    if (s_exec (self->store, S_OBSERVATION_MONTHS_SQL) != 0)
        return -1;
    int rc = s_months_walk (self, fn, arg);
    sqlite3_exec (self->db, "DROP TABLE IF EXISTS temp.audit_month;", NULL, NULL, NULL);
    return rc;
}

/* ----------------------------------------------------------------- units */

int
cchc_db_unit_rows_each (cchc_db_t *store, bool all, int32_t on, cchc_db_unit_row_fn *fn,
                        void *arg)
{
    assert (store && fn);
    sqlite3_stmt *st = s_prepare (
        store, "SELECT code, level, coalesce(parent, ''), valid_from, valid_to, kind, name"
               " FROM unit WHERE ?1 OR (valid_from <= ?2 AND valid_to >= ?2)"
               " ORDER BY CASE level WHEN 'tinh' THEN 0 WHEN 'so' THEN 1"
               " WHEN 'huyen' THEN 2 ELSE 3 END, code, valid_from");
    if (!st)
        return -1;
    sqlite3_bind_int (st, 1, all);
    sqlite3_bind_int (st, 2, on);
    int rc = SQLITE_DONE, stopped = 0;
    while (!stopped && (rc = sqlite3_step (st)) == SQLITE_ROW) {
        cchc_db_unit_row_t row = { .code = s_text (st, 0),
                                   .level = s_text (st, 1),
                                   .parent = s_text (st, 2),
                                   .valid_from = sqlite3_column_int (st, 3),
                                   .valid_to = sqlite3_column_int (st, 4),
                                   .kind = s_text (st, 5),
                                   .name = s_text (st, 6) };
        stopped = fn (&row, arg);
    }
    return s_walk_end (store, st, rc, stopped);
}
