/*  audit.c — cchcctl audit: re-verify the whole journal against the enrolled
    keys and check that the observation table is exactly what the journal
    implies (highest seq wins per (agent, metric, day), refused observations
    left out), and that the roll-up's observation_month holds the sums of
    the observation rows.  The expected tables are built in TEMP tables and
    compared in both directions with SQL.
*/
#include "collector/ctl/admin.h"

#include "common/text.h"
#include "proto/proto.h"

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define AUDIT_PRINT_MAX 200

typedef struct {
    FILE *out;
    cchc_audit_result_t *result;
} s_audit_t;

static void
s_mismatch (s_audit_t *self, const char *fmt, ...)
{
    self->result->mismatches++;
    if (self->result->mismatches > AUDIT_PRINT_MAX)
        return;
    va_list args;
    va_start (args, fmt);
    fprintf (self->out, "mismatch: ");
    vfprintf (self->out, fmt, args);
    fputc ('\n', self->out);
    va_end (args);
}

/*  Refused indexes from "i:r,i:r": is `index` among them? */
static bool
s_refused (const char *refused, uint32_t index)
{
    if (!refused)
        return false;
    const char *p = refused;
    while (*p) {
        char *end;
        unsigned long value = strtoul (p, &end, 10);
        if (end == p)
            return false;
        if (value == index)
            return true;
        p = strchr (end, ',');
        if (!p)
            return false;
        p++;
    }
    return false;
}

static void
s_value_text (sqlite3_stmt *stmt, int col, char *buf, size_t size)
{
    if (sqlite3_column_type (stmt, col) == SQLITE_INTEGER)
        snprintf (buf, size, "%lld", (long long) sqlite3_column_int64 (stmt, col));
    else if (sqlite3_column_type (stmt, col) == SQLITE_FLOAT)
        snprintf (buf, size, "%.17g", sqlite3_column_double (stmt, col));
    else if (sqlite3_column_type (stmt, col) == SQLITE_NULL)
        snprintf (buf, size, "(none)");
    else
        snprintf (buf, size, "'%s'", (const char *) sqlite3_column_text (stmt, col));
}

/*  A check's handler of one row of its query. */
typedef void (s_audit_row_fn) (s_audit_t *self, sqlite3_stmt *row);

/*  Runs a check's query and hands each row to `fn`.  0, or -1 on a database
    error. */
static int
s_audit_query (s_audit_t *self, sqlite3 *db, const char *sql, s_audit_row_fn *fn)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    int rc;
    while ((rc = sqlite3_step (st)) == SQLITE_ROW)
        fn (self, st);
    sqlite3_finalize (st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/*  Reporting month (yyyymm) of column `day`: the days 15/(M-1)..14/M
    (collector/figures/rollup.h, cchc_rollup_month_of). */
#define S_MONTH_OF_DAY                         \
    "(CASE WHEN day % 100 < 15 THEN day / 100" \
    " WHEN day / 100 % 100 = 12 THEN (day / 10000 + 1) * 100 + 1 ELSE day / 100 + 1 END)"

/*  The summary rows that differ from the observations, or lack them
    (column 4: 1 missing summary, 2 summary of no observation). */
#define S_AUDIT_MONTHS_SQL                                                              \
    "SELECT e.agent, e.month, e.metric, e.unit, m.agent IS NULL,"                       \
    "       m.total, m.rows, m.day_first, m.day_last, m.last_value, m.last_journal,"    \
    "       m.journal_max, e.total, e.rows, e.day_first, e.day_last, o.value,"          \
    "       o.journal, e.journal_top"                                                   \
    "  FROM temp.audit_month e"                                                         \
    "       LEFT JOIN temp.cchc_month_now m ON m.agent = e.agent AND m.month = e.month" \
    "            AND m.metric = e.metric AND m.unit = e.unit"                           \
    "       LEFT JOIN observation o ON o.agent = e.agent AND o.day = e.day_last"        \
    "            AND o.metric = e.metric"                                               \
    " WHERE m.agent IS NULL OR m.rows != e.rows OR m.day_first != e.day_first"          \
    "    OR m.day_last != e.day_last OR m.last_value != o.value"                        \
    "    OR typeof (m.last_value) != typeof (o.value)"                                  \
    "    OR m.last_journal != o.journal OR m.journal_max < e.journal_top"               \
    "    OR abs (m.total - e.total) > 1e-9 * max (1.0, abs (e.total))"                  \
    " UNION ALL "                                                                       \
    "SELECT m.agent, m.month, m.metric, m.unit, 2, m.total, m.rows, m.day_first,"       \
    "       m.day_last, m.last_value, m.last_journal, m.journal_max,"                   \
    "       0, 0, 0, 0, 0, 0, 0"                                                        \
    "  FROM temp.cchc_month_now m WHERE NOT EXISTS (SELECT 1 FROM temp.audit_month e"   \
    "   WHERE e.agent = m.agent AND e.month = m.month AND e.metric = m.metric"          \
    "     AND e.unit = m.unit)"

/*  Step 5, one differing observation_month row. */
static void
s_audit_month_row (s_audit_t *self, sqlite3_stmt *st)
{
    int64_t agent = sqlite3_column_int64 (st, 0);
    int month = sqlite3_column_int (st, 1);
    const char *metric = (const char *) sqlite3_column_text (st, 2);
    const char *unit = (const char *) sqlite3_column_text (st, 3);
    int absent = sqlite3_column_int (st, 4);
    char total [64], last [64], want_total [64], want_last [64];
    s_value_text (st, 5, total, sizeof total);
    s_value_text (st, 9, last, sizeof last);
    s_value_text (st, 12, want_total, sizeof want_total);
    s_value_text (st, 16, want_last, sizeof want_last);
    if (absent == 1)
        s_mismatch (self,
                    "observation_month agent %" PRId64 " %d %s %s is missing: "
                    "the observations sum to %s over %lld rows",
                    agent, month, metric, unit, want_total,
                    (long long) sqlite3_column_int64 (st, 13));
    else if (absent == 2)
        s_mismatch (self,
                    "observation_month agent %" PRId64 " %d %s %s = %s over "
                    "%lld rows: no observation row is behind it",
                    agent, month, metric, unit, total,
                    (long long) sqlite3_column_int64 (st, 6));
    else
        s_mismatch (
            self,
            "observation_month agent %" PRId64 " %d %s %s: total %s, "
            "%lld rows, days %d..%d, last %s (journal %lld), journal max "
            "%lld; the observations say total %s, %lld rows, days %d..%d, "
            "last %s (journal %lld), newest journal %lld",
            agent, month, metric, unit, total, (long long) sqlite3_column_int64 (st, 6),
            sqlite3_column_int (st, 7), sqlite3_column_int (st, 8), last,
            (long long) sqlite3_column_int64 (st, 10),
            (long long) sqlite3_column_int64 (st, 11), want_total,
            (long long) sqlite3_column_int64 (st, 13), sqlite3_column_int (st, 14),
            sqlite3_column_int (st, 15), want_last, (long long) sqlite3_column_int64 (st, 17),
            (long long) sqlite3_column_int64 (st, 18));
}

/*  observation_month (when the roll-up made it) must hold, per (agent, month,
    metric, unit), the sums of the observation rows: count, total, first and
    last day, the last day's value and journal row, and a journal_max at least
    the newest of them (a row that left keeps its journal id there).  0, or
    -1 on a database error. */
static int
s_audit_months (s_audit_t *self, sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (db,
                            "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                            " AND name = 'observation_month'",
                            -1, &st, NULL)
        != SQLITE_OK)
        return -1;
    bool has = sqlite3_step (st) == SQLITE_ROW && sqlite3_column_int (st, 0) > 0;
    sqlite3_finalize (st);
    if (!has)
        return 0;
    /*  The summary as of this snapshot: months the follower has not reached
        yet are computed from the rows (db.h, cchc_db_month_settle); the
        settled rest is what is checked. */
    int64_t pending = 0;
    if (cchc_db_month_settle (db, &pending) != 0)
        return -1;
    /*  total(), not sum(): it cannot fail with "integer overflow" on hostile
        values (collector/db/schema.h, CCHC_DB_MONTH_BACKFILL_SQL, says why
        it is exact enough); the comparison below allows for rounding. */
    if (sqlite3_exec (db,
                      "DROP TABLE IF EXISTS temp.audit_month;"
                      "CREATE TEMP TABLE audit_month AS"
                      " SELECT agent, " S_MONTH_OF_DAY
                      " AS month, metric, unit, total(value) AS total,"
                      " count(*) AS rows, min(day) AS day_first, max(day) AS day_last,"
                      " max(journal) AS journal_top FROM observation GROUP BY 1, 2, 3, 4;",
                      NULL, NULL, NULL)
        != SQLITE_OK)
        return -1;
    int rc = s_audit_query (self, db, S_AUDIT_MONTHS_SQL, s_audit_month_row);
    sqlite3_exec (db, "DROP TABLE IF EXISTS temp.audit_month;", NULL, NULL, NULL);
    return rc;
}

/*  Step 1, one journal row: signature, decoding, seq; its values put into
    temp.audit_expected (`put`).  0, or -1 on a database error. */
static int
s_audit_row (s_audit_t *self, sqlite3_stmt *journal, sqlite3_stmt *put)
{
    int64_t id = sqlite3_column_int64 (journal, 0);
    int64_t agent = sqlite3_column_int64 (journal, 1);
    int64_t seq = sqlite3_column_int64 (journal, 2);
    const uint8_t *body = sqlite3_column_blob (journal, 3);
    size_t len = (size_t) sqlite3_column_bytes (journal, 3);
    const uint8_t *sig = sqlite3_column_blob (journal, 4);
    int siglen = sqlite3_column_bytes (journal, 4);
    const char *refused = (const char *) sqlite3_column_text (journal, 5);
    const uint8_t *pk = sqlite3_column_blob (journal, 6);
    int pklen = sqlite3_column_bytes (journal, 6);
    if (!pk || pklen != 32) {
        s_mismatch (self, "journal %" PRId64 ": agent %" PRId64 " is not enrolled", id, agent);
        return 0;
    }
    if (!body || !sig || siglen != 64) {
        s_mismatch (self, "journal %" PRId64 ": body or signature missing", id);
        return 0;
    }
    cchc_report_t report;
    int reason = cchc_report_open (pk, body, len, sig, &report);
    if (reason) {
        s_mismatch (self,
                    "journal %" PRId64 " (agent %" PRId64 ", seq %" PRId64 "): "
                    "%s with the enrolled key",
                    id, agent, seq,
                    reason == CCHC_REASON_BAD_SIGNATURE ? "signature does not verify"
                                                        : cchc_reason_name (reason));
        return 0;
    }
    if (report.seq != (uint64_t) seq)
        s_mismatch (self,
                    "journal %" PRId64 ": row says seq %" PRId64
                    ", the signed message says %" PRIu64,
                    id, seq, report.seq);
    else
        for (uint32_t i = 0; i < report.nobs; i++) {
            if (s_refused (refused, i))
                continue;
            const cchc_obs_t *obs = &report.obs [i];
            sqlite3_bind_int64 (put, 1, agent);
            sqlite3_bind_text (put, 2, obs->metric, -1, SQLITE_STATIC);
            sqlite3_bind_int (put, 3, cchc_db_day_ymd (obs->date));
            if (obs->is_float)
                sqlite3_bind_double (put, 4, obs->fval);
            else
                sqlite3_bind_int64 (put, 4, obs->ival);
            sqlite3_bind_int64 (put, 5, seq);
            sqlite3_bind_int64 (put, 6, id);
            int step = sqlite3_step (put);
            sqlite3_reset (put);
            if (step != SQLITE_DONE) {
                cchc_report_clear (&report);
                return -1;
            }
        }
    cchc_report_clear (&report);
    return 0;
}

/*  Step 2, one stored observation row against the journal's value. */
static void
s_audit_stored_row (s_audit_t *self, sqlite3_stmt *row)
{
    self->result->observations++;
    int64_t agent = sqlite3_column_int64 (row, 0);
    const char *metric = (const char *) sqlite3_column_text (row, 1);
    int day = sqlite3_column_int (row, 2);
    char stored [64], expected [64];
    s_value_text (row, 3, stored, sizeof stored);
    s_value_text (row, 6, expected, sizeof expected);
    if (sqlite3_column_int (row, 9)) {
        s_mismatch (self,
                    "observation agent %" PRId64 " %s %d = %s: no journal "
                    "row holds it",
                    agent, metric, day, stored);
        return;
    }
    bool same_type = sqlite3_column_type (row, 3) == sqlite3_column_type (row, 6);
    bool same_value =
        same_type
        && (sqlite3_column_type (row, 3) == SQLITE_INTEGER
                ? sqlite3_column_int64 (row, 3) == sqlite3_column_int64 (row, 6)
                : sqlite3_column_type (row, 3) == SQLITE_FLOAT
                      && memcmp (&(double){ sqlite3_column_double (row, 3) },
                                 &(double){ sqlite3_column_double (row, 6) }, sizeof (double))
                             == 0);
    if (!same_value || sqlite3_column_int64 (row, 4) != sqlite3_column_int64 (row, 7)
        || sqlite3_column_int64 (row, 5) != sqlite3_column_int64 (row, 8))
        s_mismatch (self,
                    "observation agent %" PRId64 " %s %d = %s (seq %lld, "
                    "journal %lld), but the journal says %s (seq %lld, journal %lld)",
                    agent, metric, day, stored, (long long) sqlite3_column_int64 (row, 4),
                    (long long) sqlite3_column_int64 (row, 5), expected,
                    (long long) sqlite3_column_int64 (row, 7),
                    (long long) sqlite3_column_int64 (row, 8));
}

/*  Step 2: stored rows that differ from, or are absent in, the journal.
    0, or -1 on a database error. */
static int
s_audit_stored (s_audit_t *self, sqlite3 *db)
{
    return s_audit_query (self, db,
                          "SELECT o.agent, o.metric, o.day, o.value, o.seq, o.journal,"
                          "       e.value, e.seq, e.journal, e.agent IS NULL"
                          " FROM observation o LEFT JOIN temp.audit_expected e"
                          "   ON e.agent = o.agent AND e.metric = o.metric AND e.day = o.day",
                          s_audit_stored_row);
}

/*  Step 3, one journal value with no observation row. */
static void
s_audit_missing_row (s_audit_t *self, sqlite3_stmt *row)
{
    char expected [64];
    s_value_text (row, 3, expected, sizeof expected);
    s_mismatch (self,
                "observation agent %lld %s %d is missing: the journal "
                "says %s (seq %lld)",
                (long long) sqlite3_column_int64 (row, 0),
                (const char *) sqlite3_column_text (row, 1), sqlite3_column_int (row, 2),
                expected, (long long) sqlite3_column_int64 (row, 4));
}

/*  Step 3: journal values with no observation row.  0, or -1. */
static int
s_audit_missing (s_audit_t *self, sqlite3 *db)
{
    return s_audit_query (
        self, db,
        "SELECT e.agent, e.metric, e.day, e.value, e.seq FROM temp.audit_expected e"
        " WHERE NOT EXISTS (SELECT 1 FROM observation o WHERE o.agent = e.agent"
        "   AND o.metric = e.metric AND o.day = e.day)",
        s_audit_missing_row);
}

/*  Step 4, one agent whose counters disagree with the journal. */
static void
s_audit_agent_row (s_audit_t *self, sqlite3_stmt *row)
{
    s_mismatch (
        self,
        "agent %lld: accepted %lld, last seq %lld, but the journal "
        "holds %lld messages up to seq %lld",
        (long long) sqlite3_column_int64 (row, 0), (long long) sqlite3_column_int64 (row, 1),
        (long long) sqlite3_column_int64 (row, 2), (long long) sqlite3_column_int64 (row, 3),
        (long long) sqlite3_column_int64 (row, 4));
}

/*  Step 4: agent counters against the journal.  0, or -1. */
static int
s_audit_agents (s_audit_t *self, sqlite3 *db)
{
    return s_audit_query (
        self, db,
        "SELECT a.id, a.accepted, a.last_seq, count(j.id), coalesce(max(j.seq), 0)"
        " FROM agent a LEFT JOIN journal j ON j.agent = a.id GROUP BY a.id"
        " HAVING a.accepted != count(j.id) OR a.last_seq != coalesce(max(j.seq), 0)",
        s_audit_agent_row);
}

int
cchc_audit_run (cchc_db_t *store, FILE *out, cchc_audit_result_t *result, char *err,
                size_t errlen)
{
    assert (store && out && result);
    memset (result, 0, sizeof *result);
    s_audit_t self = { out, result };
    sqlite3 *db = cchc_db_handle (store);
    sqlite3_stmt *journal = NULL, *put = NULL;
    int status = -1;

    if (sqlite3_exec (
            db,
            "DROP TABLE IF EXISTS temp.audit_expected;"
            "CREATE TEMP TABLE audit_expected (agent INTEGER, metric TEXT, day INTEGER,"
            " value, seq INTEGER, journal INTEGER, PRIMARY KEY (agent, metric, day))"
            " WITHOUT ROWID;"
            "BEGIN;",
            NULL, NULL, NULL)
        != SQLITE_OK)
        goto dberror;
    if (sqlite3_prepare_v2 (db,
                            "SELECT j.id, j.agent, j.seq, j.body, j.sig, j.refused, a.pubkey"
                            " FROM journal j LEFT JOIN agent a ON a.id = j.agent"
                            " ORDER BY j.agent, j.seq",
                            -1, &journal, NULL)
            != SQLITE_OK
        || sqlite3_prepare_v2 (
               db,
               "INSERT INTO temp.audit_expected VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
               " ON CONFLICT (agent, metric, day) DO UPDATE SET value = excluded.value,"
               " seq = excluded.seq, journal = excluded.journal WHERE excluded.seq > seq",
               -1, &put, NULL)
               != SQLITE_OK)
        goto dberror;

    /*  1. Every journal row: signature, decoding, seq; expected values. */
    int rc;
    while ((rc = sqlite3_step (journal)) == SQLITE_ROW) {
        result->journal_rows++;
        if (s_audit_row (&self, journal, put) != 0)
            goto dberror;
    }
    if (rc != SQLITE_DONE)
        goto dberror;
    /*  2-4. Stored rows, missing rows, agent counters; 5. the roll-up's
        monthly summary against the observation rows. */
    if (s_audit_stored (&self, db) != 0 || s_audit_missing (&self, db) != 0
        || s_audit_agents (&self, db) != 0 || s_audit_months (&self, db) != 0)
        goto dberror;
    status = 0;
    goto done;

dberror:
    snprintf (err, errlen, "database: %s", sqlite3_errmsg (db));
done:
    sqlite3_finalize (journal);
    sqlite3_finalize (put);
    sqlite3_exec (db, "COMMIT;", NULL, NULL, NULL);
    sqlite3_exec (db, "DROP TABLE IF EXISTS temp.audit_expected;", NULL, NULL, NULL);
    if (result->mismatches > AUDIT_PRINT_MAX)
        fprintf (out, "... %zu mismatches in all\n", result->mismatches);
    return status;
}
