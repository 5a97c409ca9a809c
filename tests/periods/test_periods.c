/*  test_periods.c — unit tests of collector/periods/periods.c on a small database
    built row by row (schema.h, the roll-up's summary table, the period
    tables), with times given explicitly: a correction after the window
    closed changes the figures until the lock and not after it; the schedule
    locks at the lock instant; a reopen is logged and not relocked by the
    schedule; snapshots restore exactly; late-only history waits for a hand
    lock; `change` compares with the previous period's locked figures.

    The province (tests/periods/small.ini, units.csv): S1, S2 (sở), H1
    (huyện), X1 (xã).  2021-Q1 = 15/12/2020 .. 14/03/2021, due 18/03, lock
    22/03/2021 00:00 local.  Hand-computed figures:

      unit  on_time / received  services  report_on_time   index
      S1    90 / 100 = 0.9: 6   12/20: 2  on time: 2       100
      S2    60 / 80 = 0.75: 5   4/10: 0   on time: 2       70
      H1    45 / 50 = 0.9: 6    missing   incomplete: 0    60
      X1    20 / 40 = 0.5: 3.33 n/a       on time: 2       5.333/8 = 66.667

    S2's correction on 20/03 (after the due day): on_time 30 -> 48 on
    10/02, 78/80: 6 points, but late: report_on_time 0 -> index 60.  After
    the lock, a second correction back to 30 (live 60/80: 5 -> 50) must not
    change the locked 60.
*/
#include "collector/db/db.h"
#include "collector/periods/periods.h"
#include "collector/present/report.h"
#include "collector/figures/rollup.h"
#include "collector/db/schema.h"
#include "common/period.h"

#include "tests/test.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef CCHC_SOURCE_DIR
#define CCHC_SOURCE_DIR "."
#endif
#define S_CRITERIA CCHC_SOURCE_DIR "/tests/periods/small.ini"

static char s_dir [512];
static int s_db_serial = 0;
static cchc_criteria_t *s_cat; /* S_CRITERIA, loaded once as a process does */

/*  UTC ms of local (UTC+7) time yyyy-mm-dd hh:mm. */
static int64_t
s_local (int y, int m, int d, int hour, int minute)
{
    return cchc_date_start_utc_ms (cchc_date_from_ymd (y, m, d))
           + ((int64_t) hour * 60 + minute) * 60000;
}

static int
s_sql (sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec (db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf (stderr, "SQL: %s\n  in %s\n", msg ? msg : "?", sql);
        sqlite3_free (msg);
        return -1;
    }
    return 0;
}

/*  One observation as the collector's writer stores it: a journal row
    (received at `at`) and the upserted observation. */
static int
s_obs (sqlite3 *db, int agent, const char *unit, const char *metric, int32_t day, double value,
       int64_t at)
{
    static int64_t seq = 0;
    seq++;
    char sql [1024];
    snprintf (sql, sizeof sql,
              "INSERT INTO journal (agent, seq, received_at, body, sig)"
              " VALUES (%d, %lld, %lld, x'00', zeroblob(64));"
              "INSERT INTO observation (agent, unit, metric, day, value, seq, journal)"
              " VALUES (%d, '%s', '%s', %d, %.17g, %lld, last_insert_rowid())"
              " ON CONFLICT (agent, metric, day) DO UPDATE SET value = excluded.value,"
              " seq = excluded.seq, journal = excluded.journal;",
              agent, (long long) seq, (long long) at, agent, unit, metric, (int) day, value,
              (long long) seq);
    return s_sql (db, sql);
}

/*  A fresh database with the units, agents and S1..X1's Q1 data received on
    16/03/2021 10:00 local; path into `path`.  NULL on failure. */
static sqlite3 *
s_db_new (char *path, size_t size)
{
    snprintf (path, size, "%s/test-%d.db", s_dir, ++s_db_serial);
    unlink (path);
    sqlite3 *db = NULL;
    char err [256];
    if (sqlite3_open (path, &db) != SQLITE_OK || s_sql (db, "PRAGMA journal_mode = WAL")
        || s_sql (db, CCHC_DB_SCHEMA_SQL) || cchc_db_month_apply (db, err, sizeof err)) {
        fprintf (stderr, "cannot create %s: %s\n", path, db ? sqlite3_errmsg (db) : "?");
        sqlite3_close (db);
        return NULL;
    }
    sqlite3_busy_timeout (db, 5000);
    if (s_sql (db,
               "INSERT INTO unit (code, name, kind, level, parent) VALUES"
               " ('T', 'Tỉnh Thử Nghiệm', 'Tỉnh', 'tinh', NULL),"
               " ('S1', 'Sở Một', 'Sở', 'so', 'T'), ('S2', 'Sở Hai', 'Sở', 'so', 'T'),"
               " ('H1', 'Huyện Một', 'Huyện', 'huyen', 'T'),"
               " ('X1', 'Xã Một', 'Xã', 'xa', 'H1');"
               "INSERT INTO agent (id, pubkey, unit, name, enrolled_at) VALUES"
               " (1, randomblob(32), 'S1', 'a1', 0), (2, randomblob(32), 'S2', 'a2', 0),"
               " (3, randomblob(32), 'H1', 'a3', 0), (4, randomblob(32), 'X1', 'a4', 0);")) {
        sqlite3_close (db);
        return NULL;
    }
    int64_t at = s_local (2021, 3, 16, 10, 0);
    int rc = s_obs (db, 1, "S1", "received", 20210110, 60, at)
             || s_obs (db, 1, "S1", "received", 20210210, 40, at)
             || s_obs (db, 1, "S1", "on_time", 20210110, 50, at)
             || s_obs (db, 1, "S1", "on_time", 20210210, 40, at)
             || s_obs (db, 1, "S1", "procs", 20210301, 20, at)
             || s_obs (db, 1, "S1", "procs_online", 20210301, 12, at)
             || s_obs (db, 2, "S2", "received", 20210110, 50, at)
             || s_obs (db, 2, "S2", "received", 20210210, 30, at)
             || s_obs (db, 2, "S2", "on_time", 20210110, 30, at)
             || s_obs (db, 2, "S2", "on_time", 20210210, 30, at)
             || s_obs (db, 2, "S2", "procs", 20210301, 10, at)
             || s_obs (db, 2, "S2", "procs_online", 20210301, 4, at)
             || s_obs (db, 3, "H1", "received", 20210201, 50, at)
             || s_obs (db, 3, "H1", "on_time", 20210201, 45, at)
             || s_obs (db, 4, "X1", "received", 20210201, 40, at)
             || s_obs (db, 4, "X1", "on_time", 20210201, 20, at);
    if (rc) {
        sqlite3_close (db);
        return NULL;
    }
    return db;
}

static cchc_periods_t *
s_keeper (const char *path)
{
    char err [512];
    cchc_periods_config_t conf = { .db_path = path, .criteria = s_cat };
    cchc_periods_t *k = cchc_periods_new (&conf, err, sizeof err);
    if (!k)
        fprintf (stderr, "cchc_periods_new: %s\n", err);
    return k;
}

static int64_t
s_int (sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int64_t v = -1;
    if (sqlite3_prepare_v2 (db, sql, -1, &st, NULL) == SQLITE_OK
        && sqlite3_step (st) == SQLITE_ROW)
        v = sqlite3_column_int64 (st, 0);
    else
        fprintf (stderr, "SQL: %s: %s\n", sql, sqlite3_errmsg (db));
    sqlite3_finalize (st);
    return v;
}

/*  Index of unit `code` in the stored result JSON of `period`; NAN if none. */
static double
s_stored_index (sqlite3 *db, const char *period, const char *code)
{
    char sql [160];
    snprintf (sql, sizeof sql, "SELECT result FROM period_result WHERE period = '%s'", period);
    sqlite3_stmt *st = NULL;
    double index = NAN;
    if (sqlite3_prepare_v2 (db, sql, -1, &st, NULL) == SQLITE_OK
        && sqlite3_step (st) == SQLITE_ROW) {
        json_t *root = json_loads ((const char *) sqlite3_column_text (st, 0), 0, NULL);
        json_t *units = json_object_get (root, "units");
        for (size_t i = 0; i < json_array_size (units); i++) {
            json_t *u = json_array_get (units, i);
            if (strcmp (json_string_value (json_object_get (u, "code")), code) == 0)
                index = json_number_value (json_object_get (u, "index"));
        }
        json_decref (root);
    }
    sqlite3_finalize (st);
    return index;
}

/*  Index of unit `code` in the figures people see (stored or computed). */
static double
s_seen_index (sqlite3 *db, const cchc_criteria_t *cat, const char *period, int64_t now,
              int flags, bool *stored)
{
    cchc_period_t p;
    cchc_period_parse (period, &p);
    char err [512];
    cchc_figures_t *f = cchc_figures_load (db, cat, &p, now, flags, err, sizeof err);
    if (!f) {
        fprintf (stderr, "figures: %s\n", err);
        return NAN;
    }
    int u = cchc_rollup_unit_find (f->rollup, "S2");
    double index = u >= 0 ? f->rollup->units [u].index : NAN;
    if (stored)
        *stored = f->stored;
    cchc_figures_destroy (&f);
    return index;
}

/* ------------------------------------------------------------------------ */

/*  The schedule over a quarter: provisional figures before the window ends,
    closed after, a correction before the lock changes them, the lock at its
    instant, a correction after it changes nothing stored. */
static void
test_schedule_quarter (void)
{
    char path [600], err [512];
    sqlite3 *db = s_db_new (path, sizeof path);
    CHECK (db);
    cchc_periods_t *k = s_keeper (path);
    CHECK (k);
    const cchc_criteria_t *cat = cchc_periods_criteria (k);
    cchc_periods_pass_t pass;

    /* 10/03 (window running): provisional, figures as computed by hand */
    CHECK_EQ_INT (
        cchc_periods_pass (k, s_local (2021, 3, 10, 12, 0), false, &pass, err, sizeof err), 0);
    CHECK (pass.computed >= 5); /* 2021-03, Q1, H1, 9M, 2021 at least */
    CHECK_EQ_INT (pass.locked, 0);
    CHECK_EQ_INT (pass.failed, 0);
    cchc_period_row_t row;
    CHECK_EQ_INT (cchc_periods_row (db, "2021-Q1", &row, err, sizeof err), 1);
    CHECK_EQ_INT (row.state, CCHC_PSTATE_PROVISIONAL);
    CHECK_EQ_INT (row.journal_pos, 16); /* every message so far */
    CHECK_EQ_INT (row.journal_max, 16);
    CHECK_EQ_INT (row.units, 4);
    CHECK_EQ_INT (row.computed_at, s_local (2021, 3, 10, 12, 0));
    CHECK_NEAR (s_stored_index (db, "2021-Q1", "S1"), 100, 1e-9);
    CHECK_NEAR (s_stored_index (db, "2021-Q1", "S2"), 70, 1e-9);
    CHECK_NEAR (s_stored_index (db, "2021-Q1", "H1"), 60, 1e-9);
    CHECK_NEAR (s_stored_index (db, "2021-Q1", "X1"), 100.0 * (20.0 / 40 / 0.9 * 6 + 2) / 8,
                1e-9);

    /* nothing changed: nothing recomputed */
    CHECK_EQ_INT (
        cchc_periods_pass (k, s_local (2021, 3, 10, 12, 5), false, &pass, err, sizeof err), 0);
    CHECK_EQ_INT (pass.computed, 0);

    /* 16/03: the window is over: closed */
    CHECK_EQ_INT (
        cchc_periods_pass (k, s_local (2021, 3, 16, 12, 0), false, &pass, err, sizeof err), 0);
    CHECK_EQ_INT (cchc_periods_row (db, "2021-Q1", &row, err, sizeof err), 1);
    CHECK_EQ_INT (row.state, CCHC_PSTATE_CLOSED);

    /* 20/03: S2 corrects February (after the due day: late); the closed
       period's figures follow */
    CHECK_EQ_INT (s_obs (db, 2, "S2", "on_time", 20210210, 48, s_local (2021, 3, 20, 10, 0)),
                  0);
    CHECK_EQ_INT (
        cchc_periods_pass (k, s_local (2021, 3, 20, 10, 1), false, &pass, err, sizeof err), 0);
    CHECK (pass.computed >= 1);
    CHECK_EQ_INT (cchc_periods_row (db, "2021-Q1", &row, err, sizeof err), 1);
    CHECK_EQ_INT (row.state, CCHC_PSTATE_CLOSED);
    CHECK_EQ_INT (row.journal_pos, 17);
    CHECK_NEAR (s_stored_index (db, "2021-Q1", "S2"), 60, 1e-9);

    /* a millisecond before the lock instant: not locked */
    int64_t lock = s_local (2021, 3, 22, 0, 0);
    CHECK_EQ_INT (cchc_periods_pass (k, lock - 1, false, &pass, err, sizeof err), 0);
    CHECK_EQ_INT (cchc_periods_row (db, "2021-Q1", &row, err, sizeof err), 1);
    CHECK_EQ_INT (row.state, CCHC_PSTATE_CLOSED);

    /* the lock instant: locked by the schedule, final figures, an event */
    CHECK_EQ_INT (cchc_periods_pass (k, lock, false, &pass, err, sizeof err), 0);
    CHECK (pass.locked >= 2); /* 2021-Q1 and 2021-03 */
    CHECK_EQ_INT (cchc_periods_row (db, "2021-Q1", &row, err, sizeof err), 1);
    CHECK_EQ_INT (row.state, CCHC_PSTATE_LOCKED);
    CHECK (row.has_snapshot);
    CHECK_EQ_INT (row.locked_at, lock);
    CHECK_EQ_STR (row.locked_by, "schedule");
    CHECK_EQ_INT (row.journal_pos, 17);
    CHECK_NEAR (s_stored_index (db, "2021-Q1", "S2"), 60, 1e-9);
    CHECK_EQ_INT (s_int (db,
                         "SELECT count(*) FROM period_event WHERE period = '2021-Q1'"
                         " AND event = 'locked' AND who = 'schedule' AND journal_pos = 17"),
                  1);
    int64_t revision = row.revision;

    /* 23/03: S2 changes its figure back: accepted, but the period is final */
    CHECK_EQ_INT (s_obs (db, 2, "S2", "on_time", 20210210, 30, s_local (2021, 3, 23, 9, 0)),
                  0);
    CHECK_EQ_INT (
        cchc_periods_pass (k, s_local (2021, 3, 23, 9, 1), false, &pass, err, sizeof err), 0);
    CHECK_EQ_INT (cchc_periods_row (db, "2021-Q1", &row, err, sizeof err), 1);
    CHECK_EQ_INT (row.state, CCHC_PSTATE_LOCKED);
    CHECK_EQ_INT (row.revision, revision);
    CHECK_EQ_INT (row.journal_pos, 17);
    CHECK_NEAR (s_stored_index (db, "2021-Q1", "S2"), 60, 1e-9);
    bool stored = false;
    CHECK_NEAR (s_seen_index (db, cat, "2021-Q1", s_local (2021, 3, 23, 9, 2), 0, &stored), 60,
                1e-9);
    CHECK (stored);
    /* computed now (cchcctl rollup --live) they would be 50 */
    CHECK_NEAR (s_seen_index (db, cat, "2021-Q1", s_local (2021, 3, 23, 9, 2),
                              CCHC_FIGURES_LIVE, &stored),
                50, 1e-9);
    CHECK (!stored);
    /* a later period (H1, still open) does follow the correction */
    CHECK_EQ_INT (cchc_periods_row (db, "2021-H1", &row, err, sizeof err), 1);
    CHECK_EQ_INT (row.state, CCHC_PSTATE_PROVISIONAL);
    CHECK_EQ_INT (row.journal_pos, 18);

    cchc_periods_destroy (&k);
    sqlite3_close (db);
}

/*  The stored result restores field for field, and its JSON is the result
    column's. */
static void
test_snapshot_exact (void)
{
    char path [600], err [512];
    sqlite3 *db = s_db_new (path, sizeof path);
    CHECK (db);
    cchc_periods_t *k = s_keeper (path);
    CHECK (k);
    cchc_period_t q1;
    cchc_period_parse ("2021-Q1", &q1);
    CHECK_EQ_INT (cchc_periods_lock (k, &q1, s_local (2021, 3, 19, 8, 30), "tester", "all in",
                                     err, sizeof err),
                  0);
    cchc_period_row_t row;
    CHECK_EQ_INT (cchc_periods_row (db, "2021-Q1", &row, err, sizeof err), 1);
    CHECK_EQ_INT (row.state, CCHC_PSTATE_LOCKED);
    CHECK_EQ_STR (row.locked_by, "tester");

    cchc_figures_t *f = cchc_figures_load (db, cchc_periods_criteria (k), &q1,
                                           s_local (2021, 4, 1, 0, 0), 0, err, sizeof err);
    CHECK (f);
    CHECK (f->stored);
    CHECK (f->criteria); /* the catalogue stored with it */
    CHECK_EQ_INT (f->state, CCHC_PSTATE_LOCKED);
    CHECK_EQ_INT (f->journal_pos, 16);
    /* an early lock: the window's lock instant is the moment it was locked */
    CHECK_EQ_INT (f->rollup->window.lock_ms, s_local (2021, 3, 19, 8, 30));
    CHECK_EQ_INT (f->rollup->window.lock_day, 20210319);
    CHECK_EQ_INT (f->rollup->window.as_of_ms, s_local (2021, 3, 19, 8, 30));
    json_t *j = cchc_rollup_json (f->rollup, NULL);
    char *text = json_dumps (j, JSON_COMPACT | JSON_REAL_PRECISION (17));
    json_decref (j);
    sqlite3_stmt *st = NULL;
    CHECK (sqlite3_prepare_v2 (db,
                               "SELECT result, snapshot FROM period_result"
                               " WHERE period = '2021-Q1'",
                               -1, &st, NULL)
           == SQLITE_OK);
    CHECK (sqlite3_step (st) == SQLITE_ROW);
    CHECK_EQ_STR (text, (const char *) sqlite3_column_text (st, 0));
    free (text);

    /* restore twice: equal; a damaged snapshot is refused */
    const char *snap = (const char *) sqlite3_column_text (st, 1);
    cchc_criteria_t *cat2 = NULL;
    cchc_rollup_t *r2 = cchc_periods_restore (snap, &cat2, err, sizeof err);
    CHECK (r2);
    CHECK (cchc_rollup_equal (f->rollup, r2));
    CHECK_NEAR (r2->units [cchc_rollup_unit_find (r2, "S2")].index, 70, 1e-9);
    /* one cell changed: no longer equal */
    r2->units [0].cells [0].rows++;
    CHECK (!cchc_rollup_equal (f->rollup, r2));
    cchc_rollup_destroy (&r2);
    cchc_criteria_destroy (&cat2);
    size_t len = strlen (snap);
    char *cut = strndup (snap, len / 2);
    CHECK (!cchc_periods_restore (cut, &cat2, err, sizeof err));
    CHECK (cat2 == NULL);
    free (cut);
    CHECK (!cchc_periods_restore ("{\"format\": \"other\"}", &cat2, err, sizeof err));
    CHECK (!cchc_periods_restore ("[]", &cat2, err, sizeof err));
    char *bad = strdup (snap);
    char *m = strstr (bad, "\"procs_online\"");
    CHECK (m);
    memcpy (m + 1, "zzzzz", 5); /* a metric the catalogue lacks */
    CHECK (!cchc_periods_restore (bad, &cat2, err, sizeof err));
    CHECK (strstr (err, "cell"));
    free (bad);
    sqlite3_finalize (st);
    cchc_figures_destroy (&f);
    cchc_periods_destroy (&k);
    sqlite3_close (db);
}

/*  Reopen: logged with who, why and the superseded figures; recomputed; not
    locked again by the schedule; locked again by hand. */
static void
test_reopen (void)
{
    char path [600], err [512];
    sqlite3 *db = s_db_new (path, sizeof path);
    CHECK (db);
    cchc_periods_t *k = s_keeper (path);
    CHECK (k);
    cchc_period_t q1;
    cchc_period_parse ("2021-Q1", &q1);
    cchc_periods_pass_t pass;
    int64_t lock = s_local (2021, 3, 22, 0, 0);
    CHECK_EQ_INT (cchc_periods_pass (k, lock + 1000, false, &pass, err, sizeof err), 0);
    cchc_period_row_t row;
    CHECK_EQ_INT (cchc_periods_row (db, "2021-Q1", &row, err, sizeof err), 1);
    CHECK_EQ_INT (row.state, CCHC_PSTATE_LOCKED);
    CHECK_NEAR (s_stored_index (db, "2021-Q1", "S2"), 70, 1e-9);

    /* misuse: no reason, not locked, lock twice, lock an open window */
    CHECK_EQ_INT (cchc_periods_reopen (k, &q1, lock + 2000, "op", "", err, sizeof err), -1);
    CHECK (strstr (err, "reason"));
    CHECK_EQ_INT (cchc_periods_lock (k, &q1, lock + 2000, "op", NULL, err, sizeof err), -1);
    CHECK (strstr (err, "already locked"));
    cchc_period_t q2;
    cchc_period_parse ("2021-Q2", &q2);
    CHECK_EQ_INT (cchc_periods_lock (k, &q2, lock + 2000, "op", NULL, err, sizeof err), -1);
    CHECK (strstr (err, "window runs until 2021-06-14"));
    /* the stored final figures cannot be changed or removed behind its back */
    CHECK (sqlite3_exec (db, "UPDATE period_result SET result = '{}' WHERE period = '2021-Q1'",
                         NULL, NULL, NULL)
           != SQLITE_OK);
    CHECK (sqlite3_exec (db, "DELETE FROM period_result WHERE period = '2021-Q1'", NULL, NULL,
                         NULL)
           != SQLITE_OK);
    CHECK (sqlite3_exec (db, "DELETE FROM period_event", NULL, NULL, NULL) != SQLITE_OK);
    CHECK (sqlite3_exec (db, "UPDATE period_event SET who = 'x'", NULL, NULL, NULL)
           != SQLITE_OK);

    /* a correction after the lock, then the reopen that takes it in */
    CHECK_EQ_INT (s_obs (db, 2, "S2", "on_time", 20210210, 48, s_local (2021, 3, 25, 9, 0)),
                  0);
    int64_t when = s_local (2021, 3, 25, 10, 0);
    CHECK_EQ_INT (cchc_periods_reopen (k, &q1, when, "alice (as cchc)",
                                       "Sở Hai sửa số liệu tháng 2", err, sizeof err),
                  0);
    CHECK_EQ_INT (cchc_periods_row (db, "2021-Q1", &row, err, sizeof err), 1);
    CHECK_EQ_INT (row.state, CCHC_PSTATE_CLOSED);
    CHECK (row.manual);
    CHECK (!row.has_snapshot);
    CHECK_EQ_INT (row.reopened_at, when);
    CHECK_EQ_INT (row.journal_pos, 17);
    CHECK_NEAR (s_stored_index (db, "2021-Q1", "S2"), 60, 1e-9); /* late: 6 + 0 + 0 */
    CHECK_EQ_INT (s_int (db, "SELECT count(*) FROM period_event WHERE period = '2021-Q1'"
                             " AND event = 'reopened' AND who = 'alice (as cchc)'"
                             " AND reason = 'Sở Hai sửa số liệu tháng 2' AND journal_pos = 16"
                             " AND result LIKE '%\"index\":70%'"),
                  1);

    /* the schedule keeps it current but does not lock it again */
    CHECK_EQ_INT (s_obs (db, 2, "S2", "on_time", 20210210, 30, s_local (2021, 3, 26, 9, 0)),
                  0);
    CHECK_EQ_INT (
        cchc_periods_pass (k, s_local (2021, 3, 26, 9, 1), false, &pass, err, sizeof err), 0);
    CHECK_EQ_INT (cchc_periods_row (db, "2021-Q1", &row, err, sizeof err), 1);
    CHECK_EQ_INT (row.state, CCHC_PSTATE_CLOSED);
    CHECK_EQ_INT (row.journal_pos, 18);
    CHECK_NEAR (s_stored_index (db, "2021-Q1", "S2"), 50, 1e-9);
    CHECK_EQ_INT (
        cchc_periods_pass (k, s_local (2021, 4, 30, 0, 0), false, &pass, err, sizeof err), 0);
    CHECK_EQ_INT (cchc_periods_row (db, "2021-Q1", &row, err, sizeof err), 1);
    CHECK_EQ_INT (row.state, CCHC_PSTATE_CLOSED);

    /* until an operator locks it */
    CHECK_EQ_INT (
        cchc_periods_lock (k, &q1, s_local (2021, 4, 30, 1, 0), "bob", "ok", err, sizeof err),
        0);
    CHECK_EQ_INT (cchc_periods_row (db, "2021-Q1", &row, err, sizeof err), 1);
    CHECK_EQ_INT (row.state, CCHC_PSTATE_LOCKED);
    CHECK (!row.manual);
    CHECK_EQ_INT (row.reopened_at, 0);
    CHECK_NEAR (s_stored_index (db, "2021-Q1", "S2"), 50, 1e-9);
    CHECK_EQ_INT (s_int (db, "SELECT group_concat(event || ':' || who, ',') = "
                             "'locked:schedule,reopened:alice (as cchc),locked:bob'"
                             " FROM (SELECT * FROM period_event WHERE period = '2021-Q1'"
                             " ORDER BY id)"),
                  1);
    cchc_periods_destroy (&k);
    sqlite3_close (db);
}

/*  `change` of a later period compares with the locked figures, not with
    the previous period recomputed from today's data. */
static void
test_change_against_locked (void)
{
    char path [600], err [512];
    sqlite3 *db = s_db_new (path, sizeof path);
    CHECK (db);
    cchc_periods_t *k = s_keeper (path);
    CHECK (k);
    cchc_periods_pass_t pass;
    CHECK_EQ_INT (
        cchc_periods_pass (k, s_local (2021, 3, 22, 0, 0), false, &pass, err, sizeof err), 0);
    /* Q2 data for S2: 40/40 on time (6), procs 10/10 (2), on time (2): 100 */
    int64_t at = s_local (2021, 5, 2, 8, 0);
    CHECK_EQ_INT (s_obs (db, 2, "S2", "received", 20210501, 40, at), 0);
    CHECK_EQ_INT (s_obs (db, 2, "S2", "on_time", 20210501, 40, at), 0);
    CHECK_EQ_INT (s_obs (db, 2, "S2", "procs", 20210501, 10, at), 0);
    CHECK_EQ_INT (s_obs (db, 2, "S2", "procs_online", 20210501, 10, at), 0);
    /* and a post-lock correction of Q1 that would make it 50 live */
    CHECK_EQ_INT (s_obs (db, 2, "S2", "on_time", 20210210, 20, at), 0);
    cchc_period_t q2;
    cchc_period_parse ("2021-Q2", &q2);
    cchc_figures_t *f = cchc_figures_load (db, cchc_periods_criteria (k), &q2,
                                           s_local (2021, 5, 3, 0, 0), 0, err, sizeof err);
    CHECK (f);
    CHECK (!f->stored);
    CHECK_EQ_INT (f->state, CCHC_PSTATE_PROVISIONAL);
    CHECK (f->rollup->has_previous);
    int u = cchc_rollup_unit_find (f->rollup, "S2");
    CHECK (u >= 0);
    const cchc_rollup_unit_result_t *s2 = &f->rollup->units [u];
    CHECK_NEAR (s2->index, 100, 1e-9);
    CHECK (s2->has_change);
    CHECK_NEAR (s2->change, 30, 1e-9); /* 100 - 70 (locked), not 100 - 45 */
    CHECK_EQ_INT (s2->prev_rank, 2);
    /* not locked: its window's lock instant is not reached (reports say
       provisional) */
    CHECK (f->rollup->window.lock_ms == INT64_MAX);
    cchc_figures_destroy (&f);
    cchc_periods_destroy (&k);
    sqlite3_close (db);
}

/*  History that arrived after its lock instant waits for a hand lock; a
    period with data before its lock instant is locked even when the
    schedule did not run at that instant (collector stopped); empty
    periods and periods out of scope are left alone. */
static void
test_late_history_and_restart (void)
{
    char path [600], err [512];
    sqlite3 *db = s_db_new (path, sizeof path);
    CHECK (db);
    /* 2020-Q4 (15/09 .. 14/12/2020, lock 22/12/2020) sent in March 2021 */
    CHECK_EQ_INT (s_obs (db, 1, "S1", "received", 20201101, 10, s_local (2021, 3, 16, 10, 0)),
                  0);
    /* 2019-Q4 data: far out of scope */
    CHECK_EQ_INT (s_obs (db, 1, "S1", "received", 20191101, 10, s_local (2021, 3, 16, 10, 0)),
                  0);
    cchc_periods_t *k = s_keeper (path);
    CHECK (k);
    cchc_periods_pass_t pass;
    /* start of a collector on 23/03, after Q1's lock instant: locks only */
    CHECK_EQ_INT (
        cchc_periods_pass (k, s_local (2021, 3, 23, 8, 0), true, &pass, err, sizeof err), 0);
    CHECK_EQ_INT (pass.computed, 0);
    cchc_period_row_t row;
    CHECK_EQ_INT (cchc_periods_row (db, "2021-Q1", &row, err, sizeof err), 1);
    CHECK_EQ_INT (row.state, CCHC_PSTATE_LOCKED);
    CHECK_EQ_INT (cchc_periods_row (db, "2020-Q4", &row, err, sizeof err), 0);
    /* the first full pass: the late history is stored, closed, by hand */
    CHECK_EQ_INT (
        cchc_periods_pass (k, s_local (2021, 3, 23, 8, 1), false, &pass, err, sizeof err), 0);
    CHECK_EQ_INT (cchc_periods_row (db, "2020-Q4", &row, err, sizeof err), 1);
    CHECK_EQ_INT (row.state, CCHC_PSTATE_CLOSED);
    CHECK (row.manual);
    CHECK_EQ_INT (cchc_periods_row (db, "2020", &row, err, sizeof err), 1);
    CHECK (row.manual);
    CHECK_EQ_INT (cchc_periods_row (db, "2019-Q4", &row, err, sizeof err), 0);
    CHECK_EQ_INT (cchc_periods_row (db, "2020-Q3", &row, err, sizeof err), 0); /* empty */
    CHECK_EQ_INT (
        cchc_periods_pass (k, s_local (2021, 4, 1, 0, 0), false, &pass, err, sizeof err), 0);
    CHECK_EQ_INT (cchc_periods_row (db, "2020-Q4", &row, err, sizeof err), 1);
    CHECK_EQ_INT (row.state, CCHC_PSTATE_CLOSED);
    /* `period lock --due`: every period waiting for a hand, past its lock
       instant (2020-11, 2020-Q4, 2020-H2, the year 2020, and the months
       2021-01 and 2021-02 whose data all came after their lock), nothing else */
    size_t locked = 0;
    CHECK_EQ_INT (
        cchc_periods_lock_due (k, s_local (2021, 4, 1, 0, 1), "op", &locked, err, sizeof err),
        0);
    CHECK_EQ_INT (locked, 6);
    const char *due [] = { "2020-11", "2020-H2", "2021-01", "2021-02" };
    for (size_t i = 0; i < 4; i++) {
        CHECK_EQ_INT (cchc_periods_row (db, due [i], &row, err, sizeof err), 1);
        CHECK_EQ_INT (row.state, CCHC_PSTATE_LOCKED);
    }
    CHECK_EQ_INT (cchc_periods_row (db, "2020-Q4", &row, err, sizeof err), 1);
    CHECK_EQ_INT (row.state, CCHC_PSTATE_LOCKED);
    CHECK_EQ_INT (cchc_periods_row (db, "2020", &row, err, sizeof err), 1);
    CHECK_EQ_INT (row.state, CCHC_PSTATE_LOCKED);
    CHECK_EQ_INT (cchc_periods_row (db, "2021-Q2", &row, err, sizeof err), 0);
    CHECK_EQ_INT (
        cchc_periods_lock_due (k, s_local (2021, 4, 1, 0, 2), "op", &locked, err, sizeof err),
        0);
    CHECK_EQ_INT (locked, 0); /* nothing left */
    /* a database without the tables: the calendar decides (time-based) */
    cchc_rollup_window_t w;
    cchc_period_t q1;
    cchc_period_parse ("2021-Q1", &q1);
    cchc_rollup_window (cchc_periods_criteria (k), &q1, 0, &w);
    CHECK_EQ_INT (cchc_periods_state (&w, NULL, false, s_local (2021, 3, 21, 23, 59)),
                  CCHC_PSTATE_CLOSED);
    CHECK_EQ_INT (cchc_periods_state (&w, NULL, false, s_local (2021, 3, 22, 0, 0)),
                  CCHC_PSTATE_LOCKED);
    CHECK_EQ_INT (cchc_periods_state (&w, NULL, true, s_local (2021, 3, 22, 0, 0)),
                  CCHC_PSTATE_CLOSED);
    CHECK_EQ_INT (cchc_periods_state (&w, NULL, true, s_local (2021, 3, 14, 23, 59)),
                  CCHC_PSTATE_PROVISIONAL);
    CHECK_EQ_INT (cchc_periods_state (&w, NULL, true, s_local (2020, 12, 14, 23, 59)),
                  CCHC_PSTATE_FUTURE);
    cchc_periods_destroy (&k);
    sqlite3_close (db);
}

/*  A writer that computed from an older row gives up (cchcctl and the
    schedule at once). */
static void
test_row_changed_meanwhile (void)
{
    char path [600], err [512];
    sqlite3 *db = s_db_new (path, sizeof path);
    CHECK (db);
    cchc_periods_t *a = s_keeper (path), *b = s_keeper (path);
    CHECK (a && b);
    cchc_period_t q1;
    cchc_period_parse ("2021-Q1", &q1);
    CHECK_EQ_INT (cchc_periods_refresh (a, &q1, s_local (2021, 3, 16, 0, 0), err, sizeof err),
                  0);
    /* b locks; a's refresh of a locked period is refused, not stored */
    CHECK_EQ_INT (
        cchc_periods_lock (b, &q1, s_local (2021, 3, 17, 0, 0), "b", NULL, err, sizeof err),
        0);
    CHECK_EQ_INT (cchc_periods_refresh (a, &q1, s_local (2021, 3, 17, 0, 1), err, sizeof err),
                  -1);
    CHECK (strstr (err, "locked"));
    cchc_period_row_t row;
    CHECK_EQ_INT (cchc_periods_row (db, "2021-Q1", &row, err, sizeof err), 1);
    CHECK_EQ_INT (row.state, CCHC_PSTATE_LOCKED);
    CHECK_EQ_STR (row.locked_by, "b");
    cchc_periods_destroy (&a);
    cchc_periods_destroy (&b);
    sqlite3_close (db);
}

/*  Not a collector database, or no catalogue: a clear error. */
static void
test_bad_inputs (void)
{
    char path [600], err [512] = "";
    snprintf (path, sizeof path, "%s/empty.db", s_dir);
    unlink (path);
    sqlite3 *db = NULL;
    CHECK (sqlite3_open (path, &db) == SQLITE_OK);
    sqlite3_close (db);
    cchc_periods_config_t conf = { .db_path = path, .criteria = s_cat };
    CHECK (!cchc_periods_new (&conf, err, sizeof err));
    CHECK (strstr (err, "not a collector database"));
    char good [600];
    db = s_db_new (good, sizeof good);
    CHECK (db);
    CHECK (
        !cchc_criteria_load (CCHC_SOURCE_DIR "/tests/periods/no-such.ini", err, sizeof err));
    CHECK (strstr (err, "no-such.ini"));
    /* rows and events on a database without the tables: none */
    cchc_period_row_t row;
    CHECK_EQ_INT (cchc_periods_managed (db), 0);
    CHECK_EQ_INT (cchc_periods_row (db, "2021-Q1", &row, err, sizeof err), 0);
    sqlite3_close (db);
}

/*  Issue 13.3: the schedule's guard against a wall clock that jumps
    forward (test clock: wall and monotonic times given by hand). */
static void
test_clock_jump_holds_locks (void)
{
    int64_t bw = 0, bm = 0;
    int64_t wall = 1615723140000, mono = 5000;
    CHECK (!cchc_periods_clock_jumped (&bw, &bm, wall, mono, 1)); /* base */
    /*  an hour passes on both clocks: fine */
    CHECK (!cchc_periods_clock_jumped (&bw, &bm, wall + 3600000, mono + 3600000, 1));
    /*  the wall clock leaps a month ahead in a minute: locks held */
    CHECK (cchc_periods_clock_jumped (&bw, &bm, wall + 3660000 + 31LL * 86400000,
                                      mono + 3660000, 1));
    /*  and stay held while it stays ahead */
    CHECK (cchc_periods_clock_jumped (&bw, &bm, wall + 3720000 + 31LL * 86400000,
                                      mono + 3720000, 1));
    /*  set back: locks resume */
    CHECK (!cchc_periods_clock_jumped (&bw, &bm, wall + 3780000, mono + 3780000, 1));
    /*  a demonstration clock at 86400x is not a jump */
    int64_t dw = 0, dm = 0;
    CHECK (!cchc_periods_clock_jumped (&dw, &dm, wall, mono, 86400));
    CHECK (!cchc_periods_clock_jumped (&dw, &dm, wall + 86400000, mono + 1000, 86400));
    /*  a wall clock set back a day re-bases, then a normal hour is fine */
    CHECK (!cchc_periods_clock_jumped (&bw, &bm, wall - 86400000, mono + 3840000, 1));
    CHECK (!cchc_periods_clock_jumped (&bw, &bm, wall - 86400000 + 3600000,
                                       mono + 3840000 + 3600000, 1));
}

int
main (int argc, char **argv)
{
    snprintf (s_dir, sizeof s_dir, "%s", argc > 1 ? argv [1] : "/tmp/cchc-test-periods");
    char cmd [600];
    snprintf (cmd, sizeof cmd, "mkdir -p '%s'", s_dir);
    if (system (cmd) != 0)
        return 1;
    char err [512];
    s_cat = cchc_criteria_load (S_CRITERIA, err, sizeof err);
    if (!s_cat) {
        fprintf (stderr, "%s\n", err);
        return 1;
    }
    CCHC_TEST_RUN (test_schedule_quarter);
    CCHC_TEST_RUN (test_snapshot_exact);
    CCHC_TEST_RUN (test_reopen);
    CCHC_TEST_RUN (test_change_against_locked);
    CCHC_TEST_RUN (test_late_history_and_restart);
    CCHC_TEST_RUN (test_row_changed_meanwhile);
    CCHC_TEST_RUN (test_bad_inputs);
    CCHC_TEST_RUN (test_clock_jump_holds_locks);
    cchc_criteria_destroy (&s_cat);
    return CCHC_TEST_DONE ();
}
