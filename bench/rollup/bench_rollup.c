/*  bench_rollup.c — benchmark (not a test): a quarter's roll-up over 5,000
    units × 40 metrics × 92 days of observations (18.4 million rows).

    1. Generates a collector database straight from CCHC_DB_SCHEMA_SQL (one
       transaction, prepared statements, rows in key order (agent, day,
       metric), the day index built after the load):
       the default catalogue plus 8 extra counters (40 metrics), one agent per
       unit, one journal entry per unit and day, every metric every day.
    2. Times one roll-up of 2021-Q2 (15/03–14/06, 92 days) from the daily
       rows: the loader's fallback when observation_month does not exist.
    3. Applies the roll-up schema: observation_month is filled by its
       backfill (the rows its triggers would have built while ingesting).
    4. Times cchc_rollup_load() for 2021-Q2 three times, wall clock and the
       process's CPU (the goal: <= 0.4 s, judged on CPU, which a busy machine
       does not inflate the way it does wall time), the third with the
       previous quarter (change and previous rank).
    5. Times what keeping observation_month costs the observation writes
       (200,000 rows, batches of 1,000): without it, by the triggers, by the
       collector writer's delta (collector/figures/rollup.h).

    Usage: bench_rollup [--units N] [--db PATH] [--keep] [--no-daily]
      --db PATH   where the database goes (default /tmp/cchc-bench-rollup.db);
                  an existing file made with the same --units is reused
      --keep      leave the database behind for the next run
      --no-daily  skip step 2 (minutes at full size)
*/
#include "collector/db/db.h"
#include "collector/db/delta.h"
#include "collector/figures/rollup.h"
#include "collector/db/schema.h"
#include "common/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define S_EXTRA_METRICS 8
#define S_DAYS 92

static double
s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

//  CPU seconds of this process (all threads).
static double
s_cpu (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static int
s_exec (sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec (db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf (stderr, "sql: %s\n", msg ? msg : sqlite3_errmsg (db));
        sqlite3_free (msg);
        return -1;
    }
    return 0;
}

/*  default.ini plus S_EXTRA_METRICS counters → a temp catalogue. */
static int
s_catalogue (const char *path)
{
    FILE *in = fopen (CCHC_SOURCE_DIR "/data/criteria/default.ini", "r");
    FILE *out = fopen (path, "w");
    if (!in || !out) {
        if (in)
            fclose (in);
        if (out)
            fclose (out);
        return -1;
    }
    char buf [4096];
    size_t n;
    while ((n = fread (buf, 1, sizeof buf, in)) > 0)
        fwrite (buf, 1, n, out);
    for (int i = 0; i < S_EXTRA_METRICS; i++)
        fprintf (out, "\n[metric.extra_%d]\nname = Chỉ tiêu bổ sung %d\nkind = counter\n", i,
                 i);
    fclose (in);
    return fclose (out);
}

static uint64_t s_rng = 0x9E3779B97F4A7C15ULL;

static uint32_t
s_rand (void)
{
    s_rng ^= s_rng << 13;
    s_rng ^= s_rng >> 7;
    s_rng ^= s_rng << 17;
    return (uint32_t) (s_rng >> 11);
}

/*  qsort has no context argument (one thread only). */
static const cchc_criteria_t *s_sort_cat;

static int
s_metric_cmp (const void *a, const void *b)
{
    return strcmp (cchc_criteria_metric (s_sort_cat, *(const size_t *) a)->code,
                   cchc_criteria_metric (s_sort_cat, *(const size_t *) b)->code);
}

static int
s_generate (const char *path, const cchc_criteria_t *cat, int units,
            const cchc_rollup_window_t *w)
{
    sqlite3 *db = NULL;
    if (sqlite3_open (path, &db) != SQLITE_OK)
        return -1;
    int rc = -1;
    sqlite3_stmt *unit = NULL, *agent = NULL, *journal = NULL, *obs = NULL;
    size_t *order = NULL;
    if (s_exec (db, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"
                    "PRAGMA cache_size = -1000000;")
            != 0
        || s_exec (db, CCHC_DB_SCHEMA_SQL) != 0 || s_exec (db, "BEGIN") != 0)
        goto done;
    if (sqlite3_prepare_v2 (db,
                            "INSERT INTO unit (code, name, kind, level, parent)"
                            " VALUES (?1, ?2, 'Xã', ?3, '08')",
                            -1, &unit, NULL)
        || sqlite3_prepare_v2 (db,
                               "INSERT INTO agent (id, pubkey, unit, name,"
                               " enrolled_at) VALUES (?1, randomblob(32), ?2, ?2, 0)",
                               -1, &agent, NULL)
        || sqlite3_prepare_v2 (db,
                               "INSERT INTO journal (id, agent, seq, received_at,"
                               " body, sig) VALUES (?1, ?2, ?3, ?4, x'80',"
                               " zeroblob(64))",
                               -1, &journal, NULL)
        || sqlite3_prepare_v2 (db,
                               "INSERT INTO observation (agent, unit, metric, day,"
                               " value, seq, journal) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                               -1, &obs, NULL)) {
        fprintf (stderr, "prepare: %s\n", sqlite3_errmsg (db));
        goto done;
    }
    size_t nm = cchc_criteria_metric_count (cat);
    /* metric indexes in code order (the key's order) */
    order = malloc (nm * sizeof *order);
    if (!order)
        goto done;
    for (size_t m = 0; m < nm; m++)
        order [m] = m;
    s_sort_cat = cat;
    qsort (order, nm, sizeof *order, s_metric_cmp);
    int64_t jid = 0;
    for (int u = 0; u < units; u++) {
        char code [16], name [48];
        snprintf (code, sizeof code, "U%05d", u);
        snprintf (name, sizeof name, "Đơn vị thử %d", u);
        const char *level = u < 50 ? "so" : u < 200 ? "huyen" : "xa";
        sqlite3_bind_text (unit, 1, code, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text (unit, 2, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text (unit, 3, level, -1, SQLITE_STATIC);
        sqlite3_bind_int64 (agent, 1, u + 1);
        sqlite3_bind_text (agent, 2, code, -1, SQLITE_TRANSIENT);
        if (sqlite3_step (unit) != SQLITE_DONE || sqlite3_step (agent) != SQLITE_DONE)
            goto step_fail;
        sqlite3_reset (unit);
        sqlite3_reset (agent);
        /* one message per day: journal ids in day order for the unit */
        int64_t first_jid = jid + 1;
        for (int d = 0; d < S_DAYS; d++) {
            jid++;
            sqlite3_bind_int64 (journal, 1, jid);
            sqlite3_bind_int64 (journal, 2, u + 1);
            sqlite3_bind_int64 (journal, 3, d + 1);
            sqlite3_bind_int64 (journal, 4,
                                cchc_date_start_utc_ms (w->first + d + 1) + 3600000);
            if (sqlite3_step (journal) != SQLITE_DONE)
                goto step_fail;
            sqlite3_reset (journal);
        }
        /* observations agent by agent (the key is (day, agent, metric)) */
        for (int d = 0; d < S_DAYS; d++) {
            for (size_t k = 0; k < nm; k++) {
                const cchc_metric_t *metric = cchc_criteria_metric (cat, order [k]);
                bool gauge = metric->kind == CCHC_METRIC_GAUGE;
                sqlite3_bind_int64 (obs, 1, u + 1);
                sqlite3_bind_text (obs, 2, code, -1, SQLITE_STATIC);
                sqlite3_bind_text (obs, 3, metric->code, -1, SQLITE_STATIC);
                sqlite3_bind_int (obs, 4, cchc_date_to_yyyymmdd (w->first + d));
                sqlite3_bind_int64 (obs, 5, gauge ? 100 + s_rand () % 50 : s_rand () % 40);
                sqlite3_bind_int64 (obs, 6, d + 1);
                sqlite3_bind_int64 (obs, 7, first_jid + d);
                if (sqlite3_step (obs) != SQLITE_DONE)
                    goto step_fail;
                sqlite3_reset (obs);
            }
        }
        if ((u + 1) % 500 == 0) {
            fprintf (stderr, "\r  generated %d / %d units", u + 1, units);
            fflush (stderr);
        }
    }
    fprintf (stderr, "\n  building the day index...\n");
    if (s_exec (db, "COMMIT") != 0 || s_exec (db, CCHC_DB_SCHEMA_SQL) != 0)
        goto done;
    rc = 0;
    goto done;
step_fail:
    fprintf (stderr, "insert: %s\n", sqlite3_errmsg (db));
done:
    free (order);
    sqlite3_finalize (unit);
    sqlite3_finalize (agent);
    sqlite3_finalize (journal);
    sqlite3_finalize (obs);
    sqlite3_close (db);
    return rc;
}

/*  Units in an existing database, or -1. */
static int
s_units_in (const char *path)
{
    sqlite3 *db = NULL;
    int n = -1;
    sqlite3_stmt *st = NULL;
    /* (a database of an older schema, key (agent, metric, day), is made again) */
    if (access (path, R_OK) == 0
        && sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK
        && sqlite3_prepare_v2 (db,
                               "SELECT count(*) FROM unit WHERE (SELECT pk FROM"
                               " pragma_table_info ('observation') WHERE name = 'day') = 2",
                               -1, &st, NULL)
               == SQLITE_OK
        && sqlite3_step (st) == SQLITE_ROW)
        n = sqlite3_column_int (st, 0);
    sqlite3_finalize (st);
    sqlite3_close (db);
    return n;
}

static double
s_time_rollup (sqlite3 *db, const cchc_criteria_t *cat, const cchc_period_t *p,
               bool with_previous, cchc_rollup_t **out, double *cpu)
{
    char err [256];
    double t0 = s_now (), c0 = s_cpu ();
    cchc_rollup_t *r =
        cchc_rollup_load (db, cat, p, cchc_clock_now_ms (), with_previous, err, sizeof err);
    double t = s_now () - t0;
    if (cpu)
        *cpu = s_cpu () - c0;
    if (!r) {
        fprintf (stderr, "rollup: %s\n", err);
        return -1;
    }
    *out = r;
    return t;
}

static bool
s_has_month_table (sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    bool has = sqlite3_prepare_v2 (db,
                                   "SELECT 1 FROM sqlite_master"
                                   " WHERE name = 'observation_month'",
                                   -1, &st, NULL)
                   == SQLITE_OK
               && sqlite3_step (st) == SQLITE_ROW;
    sqlite3_finalize (st);
    return has;
}

/*  What keeping observation_month costs the collector's observation writes:
    200,000 rows (40 metrics a day, one agent) in batches of 1,000, into a
    fresh database (0) without the roll-up's table, (1) with it kept by the
    triggers (any other writer's way), (2) with it kept by the writer's way
    (triggers off in the connection, insert or read-and-replace, changes
    summed in a cchc_db_delta_t and applied per batch). */
static int
s_trigger_cost (void)
{
    static const char *what [] = { "no summary", "triggers", "writer's delta" };
    double rate [3] = { 0, 0, 0 };
    for (int mode = 0; mode < 3; mode++) {
        char path [64], err [256];
        snprintf (path, sizeof path, "/tmp/cchc-bench-trig-%d.db", (int) getpid ());
        remove (path);
        sqlite3 *db = NULL;
        sqlite3_stmt *put = NULL, *get = NULL, *set = NULL;
        cchc_db_delta_t *delta = mode == 2 ? cchc_db_delta_new () : NULL;
        int off = 1;
        if (sqlite3_open (path, &db) != SQLITE_OK
            || s_exec (db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL")
            || s_exec (db, CCHC_DB_SCHEMA_SQL)
            || (mode > 0 && cchc_db_month_apply (db, err, sizeof err) != 0)
            || (mode == 2
                && (!delta
                    || sqlite3_db_config (db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, &off)
                           != SQLITE_OK))
            || s_exec (db, "INSERT INTO agent (id, pubkey, unit, name, enrolled_at)"
                           " VALUES (1, randomblob(32), 'U', 'u', 0);"
                           "INSERT INTO journal (id, agent, seq, received_at, body, sig)"
                           " VALUES (1, 1, 1, 0, x'80', zeroblob(64))")
            || sqlite3_prepare_v2 (
                   db,
                   mode == 2
                       ? "INSERT INTO observation (agent, unit, metric, day, value, seq, "
                         "journal)"
                         " VALUES (1, 'U', ?1, ?2, ?3, ?4, 1) ON CONFLICT DO NOTHING"
                       : "INSERT INTO observation (agent, unit, metric, day, value, seq, "
                         "journal)"
                         " VALUES (1, 'U', ?1, ?2, ?3, ?4, 1) ON CONFLICT DO UPDATE SET"
                         " unit = excluded.unit, value = excluded.value, seq = excluded.seq,"
                         " journal = excluded.journal WHERE excluded.seq > observation.seq",
                   -1, &put, NULL)
                   != SQLITE_OK
            || sqlite3_prepare_v2 (db,
                                   "SELECT seq, value FROM observation WHERE agent = 1"
                                   " AND day = ?2 AND metric = ?1",
                                   -1, &get, NULL)
            || sqlite3_prepare_v2 (db,
                                   "UPDATE observation SET value = ?3, seq = ?4"
                                   " WHERE agent = 1 AND day = ?2 AND metric = ?1",
                                   -1, &set, NULL)) {
            fprintf (stderr, "trigger cost: %s\n", db ? sqlite3_errmsg (db) : "open");
            sqlite3_finalize (put);
            sqlite3_finalize (get);
            sqlite3_finalize (set);
            sqlite3_close (db);
            cchc_db_delta_destroy (&delta);
            remove (path);
            return 1;
        }
        const int n = 200000, batch = 1000;
        double t0 = s_now ();
        for (int i = 0; i < n; i++) {
            char metric [16];
            if (i % batch == 0)
                s_exec (db, "BEGIN");
            snprintf (metric, sizeof metric, "m%02d", i % 40);
            int32_t day =
                cchc_date_to_yyyymmdd (cchc_date_from_ymd (2021, 1, 1) + (i / 40) % 365);
            sqlite3_bind_text (put, 1, metric, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int (put, 2, day);
            sqlite3_bind_int64 (put, 3, i % 97);
            sqlite3_bind_int64 (put, 4, i + 1);
            if (sqlite3_step (put) != SQLITE_DONE)
                fprintf (stderr, "trigger cost: %s\n", sqlite3_errmsg (db));
            sqlite3_reset (put);
            if (mode == 2) {
                cchc_db_delta_row_t row = { .agent = 1,
                                            .metric = metric,
                                            .unit = "U",
                                            .day = day,
                                            .ival = i % 97,
                                            .journal = 1 };
                cchc_db_delta_row_t old = row;
                bool added = sqlite3_changes (db) == 1;
                if (!added) { /* (a second year: each row replaced) */
                    sqlite3_bind_text (get, 1, metric, -1, SQLITE_TRANSIENT);
                    sqlite3_bind_int (get, 2, day);
                    if (sqlite3_step (get) == SQLITE_ROW)
                        old.ival = sqlite3_column_int64 (get, 1);
                    sqlite3_reset (get);
                    sqlite3_bind_text (set, 1, metric, -1, SQLITE_TRANSIENT);
                    sqlite3_bind_int (set, 2, day);
                    sqlite3_bind_int64 (set, 3, i % 97);
                    sqlite3_bind_int64 (set, 4, i + 1);
                    sqlite3_step (set);
                    sqlite3_reset (set);
                }
                cchc_db_delta_note (delta, added ? NULL : &old, &row);
            }
            if (i % batch == batch - 1) {
                if (delta && cchc_db_delta_apply (delta, db, err, sizeof err) != 0)
                    fprintf (stderr, "trigger cost: %s\n", err);
                s_exec (db, "COMMIT");
            }
        }
        rate [mode] = n / (s_now () - t0);
        sqlite3_finalize (put);
        sqlite3_finalize (get);
        sqlite3_finalize (set);
        sqlite3_close (db);
        cchc_db_delta_destroy (&delta);
        remove (path);
        char wal [80];
        snprintf (wal, sizeof wal, "%s-wal", path);
        remove (wal);
        snprintf (wal, sizeof wal, "%s-shm", path);
        remove (wal);
    }
    printf ("observation upserts (WAL, batches of 1,000):");
    for (int mode = 0; mode < 3; mode++)
        printf ("%s %.0f rows/s %s (%.0f%%)", mode ? "," : "", rate [mode], what [mode],
                100.0 * rate [mode] / rate [0]);
    printf ("\n");
    return 0;
}

int
main (int argc, char **argv)
{
    int units = 5000;
    const char *path = "/tmp/cchc-bench-rollup.db";
    bool keep = false, daily = true;
    for (int i = 1; i < argc; i++) {
        if (strcmp (argv [i], "--units") == 0 && i + 1 < argc)
            units = atoi (argv [++i]);
        else if (strcmp (argv [i], "--db") == 0 && i + 1 < argc)
            path = argv [++i];
        else if (strcmp (argv [i], "--keep") == 0)
            keep = true;
        else if (strcmp (argv [i], "--no-daily") == 0)
            daily = false;
        else {
            fprintf (stderr, "usage: %s [--units N] [--db PATH] [--keep] [--no-daily]\n",
                     argv [0]);
            return 2;
        }
    }
    if (units < 1 || units > 99999) {
        fprintf (stderr, "--units: 1..99999\n");
        return 2;
    }
    char cat_path [64];
    snprintf (cat_path, sizeof cat_path, "/tmp/cchc-bench-criteria-%d.ini", (int) getpid ());
    char err [512];
    cchc_criteria_t *cat = NULL;
    if (s_catalogue (cat_path) != 0
        || !(cat = cchc_criteria_load (cat_path, err, sizeof err))) {
        fprintf (stderr, "catalogue: %s\n", cat ? "" : err);
        return 1;
    }
    remove (cat_path);
    size_t nm = cchc_criteria_metric_count (cat);
    cchc_period_t period;
    cchc_period_parse ("2021-Q2", &period);
    cchc_rollup_window_t w;
    cchc_rollup_window (cat, &period, 0, &w);
    long long rows = (long long) units * (long long) nm * S_DAYS;
    printf ("roll-up benchmark: %d units × %zu metrics × %d days = %lld observation"
            " rows, period %s (%d..%d)\n",
            units, nm, S_DAYS, rows, w.id, (int) w.first_day, (int) w.last_day);

    if (s_units_in (path) != units) {
        remove (path);
        double t0 = s_now ();
        if (s_generate (path, cat, units, &w) != 0) {
            cchc_criteria_destroy (&cat);
            return 1;
        }
        double t = s_now () - t0;
        printf ("generated in %.1f s (%.0f rows/s)\n", t, (double) rows / t);
    }
    else
        printf ("reusing %s\n", path);

    sqlite3 *db = NULL;
    if (sqlite3_open (path, &db) != SQLITE_OK) {
        fprintf (stderr, "%s: cannot open\n", path);
        return 1;
    }
    cchc_rollup_t *r = NULL;
    int status = 0;
    if (!s_has_month_table (db)) {
        if (daily) {
            double t = s_time_rollup (db, cat, &period, false, &r, NULL);
            if (t < 0)
                return 1;
            printf ("%-46s %.3f s  %.2f M rows/s\n", "daily rows (no observation_month)", t,
                    (double) rows / t / 1e6);
            cchc_rollup_destroy (&r);
        }
        double t0 = s_now ();
        if (cchc_db_month_apply (db, err, sizeof err) != 0) {
            fprintf (stderr, "%s\n", err);
            return 1;
        }
        printf ("%-46s %.1f s\n", "observation_month backfilled in", s_now () - t0);
    }
    const char *label [] = { "first run (page cache as generation left it)", "second run",
                             "with the previous quarter" };
    for (int run = 0; run < 3; run++) {
        double cpu = 0;
        double t = s_time_rollup (db, cat, &period, run == 2, &r, &cpu);
        if (t < 0) {
            status = 1;
            break;
        }
        printf ("%-46s %.3f s  CPU %.3f s  %.2f M rows/s  (%zu units, %zu ranked, journal ≤ "
                "%lld)\n",
                label [run], t, cpu, (double) rows / t / 1e6, r->unit_count,
                r->dist [CCHC_LEVEL_COUNT].ranked, (long long) r->journal_max);
        if (run == 1)
            printf ("goal ≤ 0.4 s (CPU): %s\n", cpu <= 0.4 ? "met" : "NOT met");
        cchc_rollup_destroy (&r);
    }
    sqlite3_close (db);
    if (!keep)
        remove (path);
    if (status == 0)
        status = s_trigger_cost ();
    cchc_criteria_destroy (&cat);
    return status;
}
