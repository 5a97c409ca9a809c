/*  test_store.c — unit tests of the collector's database layer (collector/db/),
    key table (keytab.c) and settings (conf.c), without any process or
    socket: exactly-once journal, last-writer-wins observations, counters,
    enrolment version, unit validity, key lookups by signing and transport
    key, command-line settings.
*/
#include "tests/test.h"

#include "collector/ingest/conf.h"
#include "collector/ingest/keytab.h"
#include "collector/db/schema.h"
#include "collector/db/db.h"
#include "common/key.h"
#include "common/period.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

static char s_dir [64];
static int s_n = 0;

/*  A fresh database with the province and one department. */
static cchc_db_t *
s_fresh (void)
{
    char path [128], err [512];
    snprintf (path, sizeof path, "%s/db%d", s_dir, ++s_n);
    cchc_db_t *store = cchc_db_open (path, true, err, sizeof err);
    if (!store)
        return NULL;
    cchc_db_unit_t rows [2];
    memset (rows, 0, sizeof rows);
    strcpy (rows [0].code, "08");
    strcpy (rows [0].name, "Tỉnh");
    strcpy (rows [0].kind, "Tỉnh");
    strcpy (rows [0].level, "tinh");
    strcpy (rows [0].where, "t:1");
    strcpy (rows [1].code, "SNV");
    strcpy (rows [1].name, "Sở Nội vụ");
    strcpy (rows [1].kind, "Sở");
    strcpy (rows [1].level, "so");
    strcpy (rows [1].parent, "08");
    strcpy (rows [1].where, "t:2");
    cchc_db_import_t result;
    if (cchc_db_units_import (store, rows, 2, 0, 0, false, &result, err, sizeof err)) {
        fprintf (stderr, "%s\n", err);
        cchc_db_destroy (&store);
    }
    return store;
}

static int64_t
s_int (cchc_db_t *store, const char *sql)
{
    sqlite3_stmt *stmt;
    int64_t value = -999;
    if (sqlite3_prepare_v2 (cchc_db_handle (store), sql, -1, &stmt, NULL) == SQLITE_OK
        && sqlite3_step (stmt) == SQLITE_ROW)
        value = sqlite3_column_int64 (stmt, 0);
    sqlite3_finalize (stmt);
    return value;
}

static cchc_obs_t
s_obs (const char *metric, int y, int m, int d, int64_t value)
{
    cchc_obs_t obs;
    memset (&obs, 0, sizeof obs);
    strcpy (obs.metric, metric);
    obs.date = cchc_date_from_ymd (y, m, d);
    obs.ival = value;
    return obs;
}

static void
test_journal_exactly_once (void)
{
    cchc_db_t *store = s_fresh ();
    CHECK (store);
    uint8_t pk [32] = { 1 }, sig [64] = { 2 }, body [4] = { 0x80, 1, 2, 3 };
    char err [256];
    int64_t agent = cchc_db_agent_enroll (store, pk, "SNV", "a", 1, err, sizeof err);
    CHECK (agent > 0);
    int64_t jid = 0, jid2 = 0;
    CHECK (cchc_db_begin (store) == 0);
    CHECK_EQ_INT (cchc_db_journal_add (store, agent, 7, 100, body, 4, sig, NULL, 0, 0, &jid),
                  1);
    CHECK (jid > 0);
    CHECK_EQ_INT (
        cchc_db_journal_add (store, agent, 7, 200, body, 3, sig, "0:37", 0, 0, &jid2), 0);
    CHECK_EQ_INT (jid2, 0);
    CHECK (cchc_db_commit (store) == 0);
    CHECK_EQ_INT (cchc_db_journal_same (store, agent, 7, body, 4), 1);
    CHECK_EQ_INT (cchc_db_journal_same (store, agent, 7, body, 3), 0);
    CHECK_EQ_INT (cchc_db_journal_same (store, agent, 8, body, 4), 0);
    CHECK_EQ_INT (s_int (store, "SELECT count(*) FROM journal"), 1);
    CHECK_EQ_INT (s_int (store, "SELECT received_at FROM journal"), 100);
    /*  Rolled back: nothing stays. */
    CHECK (cchc_db_begin (store) == 0);
    CHECK_EQ_INT (cchc_db_journal_add (store, agent, 8, 1, body, 4, sig, NULL, 0, 0, &jid), 1);
    cchc_db_rollback (store);
    CHECK_EQ_INT (s_int (store, "SELECT count(*) FROM journal"), 1);
    cchc_db_destroy (&store);
    CHECK (store == NULL);
    cchc_db_destroy (&store); /* NULL is fine */
}

static void
test_observation_last_writer_wins (void)
{
    cchc_db_t *store = s_fresh ();
    CHECK (store);
    uint8_t pk [32] = { 3 }, sig [64] = { 0 }, body [1] = { 0x80 };
    char err [256];
    int64_t agent = cchc_db_agent_enroll (store, pk, "SNV", "a", 1, err, sizeof err);
    CHECK (agent > 0);
    int64_t j5, j9, j7;
    cchc_obs_t obs = s_obs ("tthc_received", 2021, 3, 1, 50);
    CHECK (cchc_db_begin (store) == 0);
    CHECK (cchc_db_journal_add (store, agent, 5, 1, body, 1, sig, NULL, 0, 0, &j5) == 1);
    CHECK (cchc_db_observation_put (store, agent, "SNV", &obs, 5, j5) == 0);
    obs.ival = 90;
    CHECK (cchc_db_journal_add (store, agent, 9, 1, body, 1, sig, NULL, 0, 0, &j9) == 1);
    CHECK (cchc_db_observation_put (store, agent, "SNV", &obs, 9, j9) == 0);
    obs.ival = 70; /* older seq, arriving late */
    CHECK (cchc_db_journal_add (store, agent, 7, 1, body, 1, sig, NULL, 0, 0, &j7) == 1);
    CHECK (cchc_db_observation_put (store, agent, "SNV", &obs, 7, j7) == 0);
    obs.is_float = true; /* floats keep their type */
    obs.fval = 2.5;
    obs.date = cchc_date_from_ymd (2021, 3, 2);
    CHECK (cchc_db_observation_put (store, agent, "SNV", &obs, 7, j7) == 0);
    CHECK (cchc_db_commit (store) == 0);
    CHECK_EQ_INT (s_int (store, "SELECT value FROM observation WHERE day = 20210301"), 90);
    CHECK_EQ_INT (s_int (store, "SELECT seq FROM observation WHERE day = 20210301"), 9);
    CHECK_EQ_INT (s_int (store, "SELECT journal FROM observation WHERE day = 20210301"), j9);
    CHECK_EQ_INT (s_int (store,
                         "SELECT typeof(value) = 'real' AND value = 2.5 FROM observation"
                         " WHERE day = 20210302"),
                  1);
    cchc_db_destroy (&store);
}

/*  The writer's batch upsert: multi-row INSERTs, and row by row only where
    a row existed; says what it did. */
static void
test_observations_write (void)
{
    cchc_db_t *store = s_fresh ();
    CHECK (store);
    uint8_t pk [32] = { 4 }, sig [64] = { 0 }, body [1] = { 0x80 };
    char err [256];
    int64_t agent = cchc_db_agent_enroll (store, pk, "SNV", "a", 1, err, sizeof err);
    CHECK (agent > 0);
    /*  70 rows (three statements: 32, 32, 6), seq 5. */
    enum { N = 70 };
    cchc_obs_t obs [N];
    cchc_db_row_t rows [N];
    int result [N];
    cchc_db_old_t old [N];
    int64_t j5, j9, j3;
    CHECK (cchc_db_begin (store) == 0);
    CHECK (cchc_db_journal_add (store, agent, 5, 1, body, 1, sig, NULL, 0, 0, &j5) == 1);
    for (int i = 0; i < N; i++) {
        char metric [16];
        snprintf (metric, sizeof metric, "m%02d", i % 10);
        obs [i] = s_obs (metric, 2021, 3, 1 + i / 10, i);
        rows [i] = (cchc_db_row_t){ agent, "SNV", &obs [i], 5, j5, NULL, 0, 0 };
    }
    CHECK (cchc_db_observations_write (store, rows, N, result, old) == 0);
    for (int i = 0; i < N; i++)
        CHECK_EQ_INT (result [i], 1);
    CHECK_EQ_INT (s_int (store, "SELECT count(*) FROM observation WHERE seq = 5"), N);
    /*  seq 9 for rows 30..39 (one of them now a float, another for another
        unit), seq 3 (older) for rows 40..44, new rows 70..74 in between. */
    CHECK (cchc_db_journal_add (store, agent, 9, 1, body, 1, sig, NULL, 0, 0, &j9) == 1);
    CHECK (cchc_db_journal_add (store, agent, 3, 1, body, 1, sig, NULL, 0, 0, &j3) == 1);
    cchc_obs_t more [20];
    cchc_db_row_t batch [20];
    for (int k = 0; k < 20; k++) {
        int i = 30 + k;
        char metric [16];
        snprintf (metric, sizeof metric, "m%02d", i % 10);
        more [k] = s_obs (metric, 2021, 3, 1 + i / 10, 1000 + k);
        if (k == 2) {
            more [k].is_float = true;
            more [k].fval = 0.25;
        }
        bool older = k >= 10 && k < 15;
        batch [k] = (cchc_db_row_t){
            agent, k == 3 ? "STP" : "SNV", &more [k], older ? 3 : 9, older ? j3 : j9, NULL, 0,
            0
        };
        if (k >= 15) /* days not stored yet */
            more [k].date = cchc_date_from_ymd (2021, 4, k);
    }
    CHECK (cchc_db_observations_write (store, batch, 20, result, old) == 0);
    for (int k = 0; k < 20; k++) {
        int want = k < 10 ? 2 : k < 15 ? 0 : 1;
        CHECK_EQ_INT (result [k], want);
        if (want == 2) {
            CHECK_EQ_STR (old [k].unit, "SNV");
            CHECK (!old [k].is_float);
            CHECK_EQ_INT (old [k].ival, 30 + k);
        }
    }
    CHECK (cchc_db_commit (store) == 0);
    CHECK_EQ_INT (s_int (store, "SELECT count(*) FROM observation"), N + 5);
    CHECK_EQ_INT (s_int (store, "SELECT count(*) FROM observation WHERE seq = 9"), 15);
    CHECK_EQ_INT (s_int (store, "SELECT count(*) FROM observation WHERE seq = 3"), 0);
    CHECK_EQ_INT (s_int (store, "SELECT sum(value) FROM observation WHERE seq = 5"),
                  (N - 1) * N / 2 - (30 + 39) * 10 / 2);
    CHECK_EQ_INT (s_int (store, "SELECT typeof(value) = 'real' AND value = 0.25"
                                " FROM observation WHERE day = 20210304 AND metric = 'm02'"),
                  1);
    CHECK_EQ_INT (s_int (store, "SELECT count(*) FROM observation WHERE unit = 'STP'"
                                " AND journal = (SELECT id FROM journal WHERE seq = 9)"),
                  1);
    cchc_db_destroy (&store);
}

/*  Store one message of observations as the writer does (triggers off):
    its journal row with the days it carries, the rows.  Its journal id. */
static int64_t
s_store (cchc_db_t *store, int64_t agent, uint64_t seq, const char *unit, cchc_obs_t *obs,
         int n)
{
    uint8_t sig [64] = { 0 }, body [2] = { 0x80, (uint8_t) seq };
    cchc_db_row_t rows [16];
    int result [16];
    cchc_db_old_t old [16];
    int32_t first = 0, last = 0;
    for (int i = 0; i < n; i++) {
        int32_t day = cchc_db_day_ymd (obs [i].date);
        first = first && first < day ? first : day;
        last = last > day ? last : day;
    }
    int64_t journal = 0;
    if (cchc_db_begin (store)
        || cchc_db_journal_add (store, agent, seq, 1, body, 2, sig, NULL, first, last,
                                &journal)
               != 1)
        return -1;
    for (int i = 0; i < n; i++)
        rows [i] = (cchc_db_row_t){ agent, unit, &obs [i], seq, journal, NULL, 0, 0 };
    if (cchc_db_observations_write (store, rows, (size_t) n, result, old)
        || cchc_db_commit (store))
        return -1;
    return journal;
}

/*  Rows of summary `table` that differ from the observation rows (missing,
    extra, or any column other than journal_max wrong). */
static int64_t
s_month_wrong (cchc_db_t *store, const char *table)
{
    char sql [2048];
    snprintf (
        sql, sizeof sql,
        "%s"
        " SELECT (SELECT count (*) FROM e LEFT JOIN %s AS m USING (agent, month, metric, unit)"
        "  LEFT JOIN observation AS o ON o.agent = e.agent AND o.day = e.l"
        "   AND o.metric = e.metric"
        "  WHERE m.agent IS NULL OR m.total != e.total OR m.rows != e.n"
        "   OR m.day_first != e.f OR m.day_last != e.l OR m.last_value != o.value"
        "   OR m.last_journal != o.journal OR m.journal_max < o.journal)"
        " + abs ((SELECT count (*) FROM %s) - (SELECT count (*) FROM e))",
        "WITH e AS (SELECT agent, " CCHC_DB_MONTH (
            "day") " AS month, metric, unit,"
                   "  sum (value) AS total, count (*) AS n, min (day) AS f, max (day) AS l"
                   "  FROM observation GROUP BY 1, 2, 3, 4)",
        table, table);
    return s_int (store, sql);
}

/*  How many (agent, month)s are pending in a snapshot, and whether the
    readers' view of the summary is then exact: pending * 1000 + wrong. */
static int64_t
s_settle (cchc_db_t *store)
{
    sqlite3 *db = cchc_db_handle (store);
    int64_t pending = -1;
    if (sqlite3_exec (db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK
        || cchc_db_month_settle (db, &pending) != 0)
        return -1;
    int64_t wrong = s_month_wrong (store, "temp.cchc_month_now");
    sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);
    return pending * 1000 + wrong;
}

/*  observation_month settled outside the writes (db.h, "the summary"): the
    readers' view is exact whatever the follower's lag; the follower's
    rebuild, in steps or all at once, again and again, ends with the
    summary equal to the rows (nothing counted twice), its position at the
    newest journal row. */
static void
test_month_follower (void)
{
    cchc_db_t *store = s_fresh ();
    CHECK (store);
    uint8_t pk [32] = { 7 };
    char err [256];
    int64_t agent = cchc_db_agent_enroll (store, pk, "SNV", "a", 1, err, sizeof err);
    CHECK (agent > 0);
    CHECK (cchc_db_triggers (store, false) == 0);
    /*  seq 1: three metrics on 1-3 March (month 202103) and 20 March
        (202104) */
    cchc_obs_t obs [12];
    for (int i = 0; i < 12; i++)
        obs [i] = s_obs (i % 3 == 0   ? "a"
                         : i % 3 == 1 ? "b"
                                      : "c",
                         2021, 3, i / 3 < 3 ? 1 + i / 3 : 20, 10 + i);
    int64_t j1 = s_store (store, agent, 1, "SNV", obs, 12);
    CHECK (j1 > 0);
    CHECK_EQ_INT (s_int (store, "SELECT count(*) FROM observation_month"), 0);
    CHECK_EQ_INT (s_settle (store), 2 * 1000); /* 2 months pending, exact */
    bool left = true;
    CHECK (cchc_db_month_follow (store, -1, &left) == 0);
    CHECK (!left);
    CHECK_EQ_INT (s_int (store, "SELECT journal FROM month_position"), j1);
    CHECK_EQ_INT (s_month_wrong (store, "observation_month"), 0);
    CHECK_EQ_INT (s_settle (store), 0);
    /*  seq 3 replaces two values (one moved to another unit, one a real)
        and adds a day; seq 2 comes later, older: changes nothing. */
    cchc_obs_t three [3] = { s_obs ("a", 2021, 3, 1, 100), s_obs ("b", 2021, 3, 20, 0),
                             s_obs ("c", 2021, 4, 2, 7) };
    three [1].is_float = true;
    three [1].fval = 2.5;
    int64_t j3 = s_store (store, agent, 3, "SNV", three, 1);
    CHECK (j3 > 0 && s_store (store, agent, 4, "STP", three + 1, 2) > 0);
    cchc_obs_t two [1] = { s_obs ("a", 2021, 3, 1, -5) };
    CHECK (s_store (store, agent, 2, "SNV", two, 1) > 0);
    CHECK (s_month_wrong (store, "observation_month") > 0); /* stale */
    CHECK_EQ_INT (s_settle (store), 2 * 1000);              /* 202103 and 202104, exact */
    /*  one message per step: the view stays exact between the steps */
    CHECK (cchc_db_month_follow (store, 1, &left) == 0);
    CHECK (left);
    CHECK_EQ_INT (s_int (store, "SELECT journal FROM month_position"), j3);
    CHECK_EQ_INT (s_settle (store) % 1000, 0);
    CHECK (cchc_db_month_follow (store, 1, &left) == 0);
    CHECK (cchc_db_month_follow (store, 1, &left) == 0);
    CHECK (!left);
    CHECK_EQ_INT (s_month_wrong (store, "observation_month"), 0);
    CHECK_EQ_INT (s_int (store, "SELECT count(*) FROM observation_month WHERE unit = 'STP'"),
                  2);
    /*  again (a restart after a crash that lost nothing): the same */
    CHECK_EQ_INT (s_int (store, "UPDATE month_position SET journal = 0 RETURNING 1"), 1);
    CHECK (cchc_db_month_follow (store, -1, &left) == 0);
    CHECK_EQ_INT (s_month_wrong (store, "observation_month"), 0);
    CHECK_EQ_INT (s_int (store, "SELECT sum (rows) FROM observation_month"),
                  s_int (store, "SELECT count(*) FROM observation"));
    /*  the writer's own path: the summary brought up to date by other means
        (triggers here), then the position moved to the newest row */
    CHECK (cchc_db_triggers (store, true) == 0);
    cchc_obs_t five [1] = { s_obs ("d", 2021, 5, 1, 1) };
    int64_t j5 = s_store (store, agent, 5, "SNV", five, 1);
    CHECK (j5 > 0);
    CHECK (cchc_db_begin (store) == 0 && cchc_db_month_settled (store, j5) == 0
           && cchc_db_commit (store) == 0);
    CHECK_EQ_INT (s_int (store, "SELECT journal FROM month_position"), j5);
    CHECK_EQ_INT (s_month_wrong (store, "observation_month"), 0);
    CHECK_EQ_INT (s_settle (store), 0);
    /*  an empty summary filled again from the rows (cchc_db_month_apply's
        backfill): it holds every row, so the position is the newest one */
    CHECK_EQ_INT (s_int (store, "DELETE FROM observation_month RETURNING 1"), 1);
    CHECK_EQ_INT (s_int (store, "UPDATE month_position SET journal = 0 RETURNING 1"), 1);
    CHECK (cchc_db_month_apply (cchc_db_handle (store), err, sizeof err) == 0);
    CHECK_EQ_INT (s_int (store, "SELECT journal FROM month_position"), j5);
    CHECK_EQ_INT (s_month_wrong (store, "observation_month"), 0);
    cchc_db_destroy (&store);
}

/*  One agent's month is read by a seek per day (CCHC_DB_DAYS, observation
    keyed by day first): the readers' view and the follower's rebuild hold
    every day of reporting months that cross a month's 31st, a year's end
    and a leap day, and none of the neighbouring months'. */
static void
test_month_days (void)
{
    cchc_db_t *store = s_fresh ();
    CHECK (store);
    uint8_t pk [32] = { 9 };
    char err [256];
    int64_t agent = cchc_db_agent_enroll (store, pk, "SNV", "a", 1, err, sizeof err);
    CHECK (agent > 0 && cchc_db_triggers (store, false) == 0);
    static const int days [][3] = { { 2021, 12, 14 }, { 2021, 12, 15 }, { 2021, 12, 31 },
                                    { 2022, 1, 1 },   { 2022, 1, 14 },  { 2022, 1, 15 },
                                    { 2021, 3, 31 },  { 2021, 4, 14 },  { 2020, 2, 29 },
                                    { 2020, 3, 14 } };
    cchc_obs_t obs [10];
    for (int i = 0; i < 10; i++)
        obs [i] = s_obs ("a", days [i][0], days [i][1], days [i][2], 1 + i);
    CHECK (s_store (store, agent, 1, "SNV", obs, 10) > 0);
    /*  pending: every month of the journal row's days, 202003..202202 */
    CHECK_EQ_INT (s_settle (store), 24 * 1000);
    bool left = true;
    CHECK (cchc_db_month_follow (store, -1, &left) == 0 && !left);
    CHECK_EQ_INT (s_month_wrong (store, "observation_month"), 0);
    CHECK_EQ_INT (s_int (store, "SELECT rows * 100 + total FROM observation_month"
                                " WHERE month = 202201"),
                  4 * 100 + 2 + 3 + 4 + 5);
    CHECK_EQ_INT (s_int (store, "SELECT rows FROM observation_month WHERE month = 202104"), 2);
    CHECK_EQ_INT (s_int (store, "SELECT rows FROM observation_month WHERE month = 202003"), 2);
    /*  the year's last day moved to another unit: rebuilt from the rows */
    cchc_obs_t moved [1] = { s_obs ("a", 2021, 12, 31, 30) };
    CHECK (s_store (store, agent, 2, "STP", moved, 1) > 0);
    CHECK_EQ_INT (s_settle (store), 1000);
    CHECK (cchc_db_month_follow (store, -1, &left) == 0 && !left);
    CHECK_EQ_INT (s_month_wrong (store, "observation_month"), 0);
    CHECK_EQ_INT (s_int (store, "SELECT rows * 100 + total FROM observation_month"
                                " WHERE month = 202201 AND unit = 'STP'"),
                  100 + 30);
    cchc_db_destroy (&store);
}

/*  What a schema has: every table, index and trigger by name, and the
    columns of the tables the collector's figures come from. */
static char *
s_schema (cchc_db_t *store)
{
    sqlite3_stmt *stmt;
    char *text = NULL;
    if (sqlite3_prepare_v2 (
            cchc_db_handle (store),
            "SELECT group_concat (line, char(10)) FROM (SELECT type || ' ' || name"
            " || CASE WHEN name IN ('observation', 'observation_month') THEN ': ' ||"
            " (SELECT group_concat (c.name || ' ' || c.type || ' ' || c.\"notnull\""
            " || ' ' || c.pk, ', ') FROM pragma_table_info (m.name) AS c)"
            " WHEN type IN ('index', 'trigger') THEN ': ' || sql ELSE '' END AS line"
            " FROM sqlite_master AS m WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name)",
            -1, &stmt, NULL)
            == SQLITE_OK
        && sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_text (stmt, 0))
        text = strdup ((const char *) sqlite3_column_text (stmt, 0));
    sqlite3_finalize (stmt);
    return text;
}

/*  A version 1 database (key (agent, metric, day)) walks the migration
    chain on open: rebuilt with the key (day, agent, metric), its rows
    unchanged, the roll-up's summary made from them, and the schema that of
    a new database. */
static void
test_migration_1_2 (void)
{
    char path [128], err [512];
    snprintf (path, sizeof path, "%s/v1.db", s_dir);
    sqlite3 *db = NULL;
    CHECK (sqlite3_open (path, &db) == SQLITE_OK);
    CHECK (
        sqlite3_exec (
            db,
            "PRAGMA journal_mode = WAL;"
            "CREATE TABLE unit (code TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL,"
            " level TEXT NOT NULL, parent TEXT, valid_from INTEGER NOT NULL DEFAULT 10101,"
            " valid_to INTEGER NOT NULL DEFAULT 99991231, PRIMARY KEY (code, valid_from));"
            "CREATE TABLE agent (id INTEGER PRIMARY KEY, pubkey BLOB NOT NULL UNIQUE,"
            " unit TEXT NOT NULL, name TEXT NOT NULL, enrolled_at INTEGER NOT NULL,"
            " revoked_at INTEGER, last_seen INTEGER, last_seq INTEGER NOT NULL DEFAULT 0,"
            " accepted INTEGER NOT NULL DEFAULT 0, duplicates INTEGER NOT NULL DEFAULT 0,"
            " rejected INTEGER NOT NULL DEFAULT 0);"
            "CREATE TABLE journal (id INTEGER PRIMARY KEY, agent INTEGER NOT NULL"
            " REFERENCES agent(id), seq INTEGER NOT NULL, received_at INTEGER NOT NULL,"
            " body BLOB NOT NULL, sig BLOB NOT NULL, refused TEXT, UNIQUE (agent, seq));"
            "CREATE TABLE observation (agent INTEGER NOT NULL REFERENCES agent(id),"
            " unit TEXT NOT NULL, metric TEXT NOT NULL, day INTEGER NOT NULL,"
            " value NOT NULL, seq INTEGER NOT NULL,"
            " journal INTEGER NOT NULL REFERENCES journal(id),"
            " PRIMARY KEY (agent, metric, day)) WITHOUT ROWID;"
            "CREATE INDEX observation_by_day ON observation (day, metric, unit);"
            "CREATE TRIGGER observation_old AFTER INSERT ON observation BEGIN SELECT 1; END;"
            "INSERT INTO agent (id, pubkey, unit, name, enrolled_at) VALUES (1, x'"
            "0101010101010101010101010101010101010101010101010101010101010101', 'SNV', 'a', "
            "0);"
            "INSERT INTO journal VALUES (1, 1, 1, 0, x'80', zeroblob(64), NULL);"
            "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 99)"
            " INSERT INTO observation SELECT 1, 'SNV', 'm' || (i % 7), 20210101 + i / 7,"
            " CASE WHEN i % 3 = 0 THEN i / 4.0 ELSE i END, 1, 1 FROM n;"
            "PRAGMA user_version = 1;",
            NULL, NULL, NULL)
        == SQLITE_OK);
    sqlite3_close (db);
    cchc_db_t *store = cchc_db_open (path, false, err, sizeof err);
    CHECK (store);
    if (!store)
        return;
    CHECK_EQ_INT (s_int (store, "PRAGMA user_version"), CCHC_DB_VERSION);
    CHECK_EQ_INT (s_int (store, "SELECT count(*) FROM observation"), 100);
    /*  Σ i (i not a multiple of 3) + Σ i / 4 (multiples of 3), i = 0..99 */
    CHECK_EQ_INT (s_int (store, "SELECT sum(value) * 4 FROM observation"),
                  (4950 - 1683) * 4 + 1683);
    CHECK_EQ_INT (s_int (store, "SELECT count(*) FROM observation WHERE agent = 1"
                                " AND metric = 'm3' AND day = 20210101 + 52 / 7"
                                " AND value = 52 AND seq = 1 AND journal = 1"),
                  1);
    CHECK_EQ_INT (
        s_int (store, "SELECT count(*) FROM observation WHERE typeof(value) = 'real'"), 34);
    /*  the new key order, no day index, the old trigger gone */
    CHECK_EQ_INT (s_int (store, "SELECT pk FROM pragma_table_info ('observation')"
                                " WHERE name = 'day'"),
                  1);
    CHECK_EQ_INT (s_int (store, "SELECT pk FROM pragma_table_info ('observation')"
                                " WHERE name = 'agent'"),
                  2);
    CHECK_EQ_INT (s_int (store, "SELECT pk FROM pragma_table_info ('observation')"
                                " WHERE name = 'metric'"),
                  3);
    CHECK_EQ_INT (
        s_int (store, "SELECT count(*) FROM sqlite_master WHERE name = 'observation_by_day'"),
        0);
    CHECK_EQ_INT (
        s_int (store, "SELECT count(*) FROM sqlite_master WHERE name = 'observation_old'"), 0);
    CHECK_EQ_INT (s_int (store, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
    /*  the summary was kept with every write until schema 5: settled */
    CHECK_EQ_INT (s_int (store, "SELECT journal FROM month_position"), 1);
    CHECK_EQ_INT (s_int (store, "SELECT count(*) FROM journal WHERE day_first IS NULL"), 1);
    /*  the chain ends where a new database starts: the same tables, indexes
        and triggers, the same observation and summary definitions */
    cchc_db_t *fresh = s_fresh ();
    CHECK (fresh);
    char *walked = s_schema (store), *made = fresh ? s_schema (fresh) : NULL;
    bool same = walked && made && strcmp (walked, made) == 0;
    if (!same)
        fprintf (stderr, "migrated:\n%s\nnew:\n%s\n", walked ? walked : "?",
                 made ? made : "?");
    free (walked);
    free (made);
    cchc_db_destroy (&fresh);
    CHECK (same);
    /*  the summary was filled from the rows */
    CHECK_EQ_INT (s_int (store, "SELECT sum(rows) FROM observation_month"), 100);
    cchc_db_destroy (&store);
    /*  opened again: nothing more to do */
    store = cchc_db_open (path, false, err, sizeof err);
    CHECK (store);
    CHECK_EQ_INT (s_int (store, "SELECT count(*) FROM observation"), 100);
    cchc_db_destroy (&store);
}

/*  Schema 4 to 5: the national tables join the chain.  A province's
    version 4 database (no national tables) gains them, empty; a national
    collector's (tables made by that release at its first start, with
    figures in them) keeps its rows; both end with a new database's schema. */
static void
test_migration_4_5 (void)
{
    char err [512], path [128];
    cchc_db_t *fresh = s_fresh ();
    CHECK (fresh);
    char *made = fresh ? s_schema (fresh) : NULL;
    cchc_db_destroy (&fresh);
    for (int national = 0; national < 2; national++) {
        cchc_db_t *store = s_fresh ();
        CHECK (store);
        snprintf (path, sizeof path, "%s/db%d", s_dir, s_n);
        cchc_db_destroy (&store);
        sqlite3 *db = NULL;
        CHECK (sqlite3_open (path, &db) == SQLITE_OK);
        /*  back to version 4: without schema 6's summary position */
        CHECK (sqlite3_exec (db,
                             "DROP TABLE month_position;"
                             " ALTER TABLE journal DROP COLUMN day_first;"
                             " ALTER TABLE journal DROP COLUMN day_last;",
                             NULL, NULL, NULL)
               == SQLITE_OK);
        CHECK (sqlite3_exec (db,
                             national
                                 ? "INSERT INTO national_version VALUES ('08', '2021-Q1', 1, "
                                   "1, 1, 10, 11, 9, 245,"
                                   " zeroblob(32), 2021, zeroblob(32), 165, '[\"I1\"]');"
                                   "PRAGMA user_version = 4;"
                                 : "DROP TABLE national_message; DROP TABLE national_version;"
                                   " DROP TABLE national_unit; DROP TABLE national_figure;"
                                   "PRAGMA user_version = 4;",
                             NULL, NULL, NULL)
               == SQLITE_OK);
        sqlite3_close (db);
        store = cchc_db_open (path, false, err, sizeof err);
        CHECK (store);
        if (!store)
            continue;
        CHECK_EQ_INT (s_int (store, "PRAGMA user_version"), CCHC_DB_VERSION);
        CHECK_EQ_INT (s_int (store, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                                    " AND name LIKE 'national_%'"),
                      4);
        CHECK_EQ_INT (s_int (store, "SELECT count(*) FROM national_version"), national);
        if (national)
            CHECK_EQ_INT (s_int (store, "SELECT journal FROM national_version"
                                        " WHERE province = '08' AND period = '2021-Q1'"),
                          245);
        char *walked = s_schema (store);
        CHECK (walked && made && strcmp (walked, made) == 0);
        free (walked);
        cchc_db_destroy (&store);
    }
    free (made);
}

static void
test_agent_counters_and_enrolment (void)
{
    cchc_db_t *store = s_fresh ();
    CHECK (store);
    uint8_t pk [32] = { 4 };
    char err [256];
    int64_t version = -1;
    CHECK (cchc_db_enrolment_version (store, &version) == 0);
    CHECK_EQ_INT (version, 0);
    CHECK (cchc_db_agent_enroll (store, pk, "NOPE", "a", 1, err, sizeof err) < 0);
    CHECK (strstr (err, "no unit 'NOPE'"));
    CHECK (cchc_db_agent_enroll (store, pk, "SNV", "", 1, err, sizeof err) < 0);
    int64_t agent = cchc_db_agent_enroll (store, pk, "SNV", "a", 1, err, sizeof err);
    CHECK (agent > 0);
    CHECK (cchc_db_agent_enroll (store, pk, "SNV", "b", 1, err, sizeof err) < 0);
    CHECK (strstr (err, "already enrolled"));
    CHECK (cchc_db_enrolment_version (store, &version) == 0);
    CHECK_EQ_INT (version, 1);
    CHECK (cchc_db_agent_note (store, agent, 500, 1, 0, 0, 12, true, 180000, 180000) == 0);
    CHECK (cchc_db_agent_note (store, agent, 400, 0, 1, 0, 0, false, 0, 0) == 0);
    CHECK (cchc_db_agent_note (store, agent, 600, 1, 0, 2, 3, true, -2000, -2000) == 0);
    CHECK_EQ_INT (s_int (store, "SELECT last_seen FROM agent"), 600);
    /*  the clock: the newest skew, the most ahead, when (schema version 6) */
    CHECK_EQ_INT (s_int (store, "SELECT clock_skew FROM agent"), -2000);
    CHECK_EQ_INT (s_int (store, "SELECT clock_ahead FROM agent"), 180000);
    CHECK_EQ_INT (s_int (store, "SELECT clock_at FROM agent"), 600);
    CHECK_EQ_INT (s_int (store, "SELECT last_seq FROM agent"), 12);
    CHECK_EQ_INT (
        s_int (store, "SELECT accepted * 100 + duplicates * 10 + rejected FROM agent"), 212);
    /*  Counters do not touch the enrolment version; revocation does. */
    CHECK (cchc_db_enrolment_version (store, &version) == 0);
    CHECK_EQ_INT (version, 1);
    CHECK_EQ_INT (cchc_db_agent_revoke (store, pk, 0, 700, err, sizeof err), agent);
    CHECK_EQ_INT (cchc_db_agent_revoke (store, NULL, agent, 800, err, sizeof err), agent);
    CHECK_EQ_INT (s_int (store, "SELECT revoked_at FROM agent"), 700);
    CHECK (cchc_db_agent_revoke (store, NULL, 99, 800, err, sizeof err) < 0);
    CHECK (cchc_db_enrolment_version (store, &version) == 0);
    CHECK_EQ_INT (version, 2);
    cchc_db_destroy (&store);
}

static void
test_units_validity (void)
{
    cchc_db_t *store = s_fresh ();
    CHECK (store);
    char err [2048] = "";
    cchc_db_import_t result;
    cchc_db_unit_t row;
    memset (&row, 0, sizeof row);
    strcpy (row.code, "SNV");
    strcpy (row.name, "Sở Nội vụ mới");
    strcpy (row.kind, "Sở");
    strcpy (row.level, "so");
    strcpy (row.parent, "08");
    strcpy (row.where, "f:2");
    /*  A change without a start day is refused, with one. */
    CHECK (cchc_db_units_import (store, &row, 1, 0, 0, false, &result, err, sizeof err) < 0);
    CHECK (strstr (err, "f:2: unit 'SNV' differs"));
    CHECK (cchc_db_units_import (store, &row, 1, 20250701, 0, false, &result, err, sizeof err)
           == 0);
    CHECK_EQ_INT (result.changed, 1);
    CHECK_EQ_INT (
        s_int (store, "SELECT valid_to FROM unit WHERE code = 'SNV' AND valid_from = 10101"),
        20250630);
    CHECK_EQ_INT (s_int (store, "SELECT count(*) FROM unit WHERE code = 'SNV'"), 2);
    /*  Before the last start: would rewrite the past. */
    strcpy (row.name, "Khác");
    CHECK (cchc_db_units_import (store, &row, 1, 20250101, 0, false, &result, err, sizeof err)
           < 0);
    CHECK (strstr (err, "would rewrite"));
    /*  Row checks without the database. */
    cchc_db_unit_t bad [2];
    memset (bad, 0, sizeof bad);
    strcpy (bad [0].code, "X");
    strcpy (bad [0].name, "x");
    strcpy (bad [0].kind, "x");
    strcpy (bad [0].level, "xa");
    strcpy (bad [0].where, "g:2");
    bad [1] = bad [0];
    strcpy (bad [1].where, "g:3");
    err [0] = 0;
    CHECK (cchc_db_units_check (bad, 2, err, sizeof err) < 0);
    CHECK (strstr (err, "g:2: level xa needs a parent unit"));
    CHECK (strstr (err, "g:3: code 'X' appears twice (first at g:2)"));
    CHECK_EQ_INT (cchc_db_day_ymd (cchc_date_from_ymd (2021, 3, 14)), 20210314);
    CHECK_EQ_INT (cchc_db_ymd_day (20210314), cchc_date_from_ymd (2021, 3, 14));
    cchc_db_destroy (&store);
}

static void
test_keytab (void)
{
    cchc_db_t *store = s_fresh ();
    CHECK (store);
    cchc_key_t *keys [3];
    char err [256];
    for (int i = 0; i < 3; i++) {
        keys [i] = cchc_key_new ();
        CHECK (keys [i]);
        CHECK (cchc_db_agent_enroll (store, cchc_key_public (keys [i]), "SNV", "a", 1, err,
                                     sizeof err)
               > 0);
    }
    CHECK (cchc_db_agent_revoke (store, cchc_key_public (keys [2]), 0, 5, err, sizeof err)
           > 0);
    cchc_keytab_t *keytab = cchc_keytab_new ();
    CHECK (keytab);
    cchc_keytab_entry_t entry;
    CHECK (!cchc_keytab_lookup (keytab, cchc_key_public (keys [0]), &entry));
    CHECK (cchc_keytab_load (keytab, store) == 0);
    CHECK_EQ_INT (cchc_keytab_size (keytab), 3);
    for (int i = 0; i < 3; i++) {
        CHECK (cchc_keytab_lookup (keytab, cchc_key_public (keys [i]), &entry));
        CHECK_EQ_STR (entry.unit, "SNV");
        CHECK_EQ_INT (entry.revoked, i == 2);
        /*  The transport key is the X25519 form of the signing key. */
        uint8_t curve [32];
        CHECK (crypto_sign_ed25519_pk_to_curve25519 (curve, cchc_key_public (keys [i])) == 0);
        cchc_keytab_entry_t by_curve;
        CHECK (cchc_keytab_lookup_curve (keytab, curve, &by_curve));
        CHECK_EQ_INT (by_curve.id, entry.id);
        CHECK (!cchc_keytab_lookup_curve (keytab, cchc_key_public (keys [i]), &by_curve));
    }
    uint8_t other [32] = { 9 };
    CHECK (!cchc_keytab_lookup (keytab, other, &entry));
    for (int i = 0; i < 3; i++)
        cchc_key_destroy (&keys [i]);
    cchc_keytab_destroy (&keytab);
    CHECK (keytab == NULL);
    cchc_db_destroy (&store);
}

static void
test_conf_args (void)
{
    cchc_collector_conf_t conf;
    char err [512];
    char *argv [] = {
        "prog",           "--state",      "/x/st", "--set", "collector.verifiers=3",
        "--print-config", "--db=/y/c.db", "extra", NULL
    };
    int argc = 8;
    CHECK (cchc_collector_conf_from_args (&conf, &argc, argv, err, sizeof err) == 0);
    CHECK_EQ_INT (argc, 3);
    CHECK_EQ_STR (argv [1], "--print-config");
    CHECK_EQ_STR (argv [2], "extra");
    CHECK_EQ_STR (conf.state_dir, "/x/st");
    CHECK_EQ_INT (conf.verifiers, 3);
    CHECK_EQ_INT (conf.batch_max, 256);
    CHECK_EQ_INT (conf.batch_wait_ms, 5);
    char path [600];
    CHECK (cchc_collector_conf_db_path (&conf, path, sizeof path) == 0);
    CHECK_EQ_STR (path, "/y/c.db");
    CHECK (cchc_collector_conf_key_path (&conf, path, sizeof path) == 0);
    CHECK_EQ_STR (path, "/x/st/collector.key");

    char *bad [] = { "prog", "--set", "collector.verifiers=0", NULL };
    argc = 3;
    CHECK (cchc_collector_conf_from_args (&conf, &argc, bad, err, sizeof err) < 0);
    char *bad2 [] = { "prog", "--set", "collector.synchronous=sometimes", NULL };
    argc = 3;
    CHECK (cchc_collector_conf_from_args (&conf, &argc, bad2, err, sizeof err) < 0);
    CHECK (strstr (err, "collector.synchronous"));
    char *bad3 [] = { "prog", "--state", NULL };
    argc = 2;
    CHECK (cchc_collector_conf_from_args (&conf, &argc, bad3, err, sizeof err) < 0);
}

int
main (void)
{
    if (sodium_init () < 0)
        return 1;
    snprintf (s_dir, sizeof s_dir, "/tmp/cchc-test-store.XXXXXX");
    if (!mkdtemp (s_dir))
        return 1;
    CCHC_TEST_RUN (test_journal_exactly_once);
    CCHC_TEST_RUN (test_observation_last_writer_wins);
    CCHC_TEST_RUN (test_observations_write);
    CCHC_TEST_RUN (test_month_follower);
    CCHC_TEST_RUN (test_month_days);
    CCHC_TEST_RUN (test_migration_1_2);
    CCHC_TEST_RUN (test_migration_4_5);
    CCHC_TEST_RUN (test_agent_counters_and_enrolment);
    CCHC_TEST_RUN (test_units_validity);
    CCHC_TEST_RUN (test_keytab);
    CCHC_TEST_RUN (test_conf_args);
    char cmd [128];
    snprintf (cmd, sizeof cmd, "rm -rf '%s'", s_dir);
    if (system (cmd) != 0)
        fprintf (stderr, "could not remove %s\n", s_dir);
    return CCHC_TEST_DONE ();
}
