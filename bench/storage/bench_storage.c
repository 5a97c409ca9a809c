/*  bench_storage.c — the ingest writer's storage alone, layout beside
    layout: replays what the writer does per report (one journal row with a
    ~1.1 KB body, then 30 observation values of one day) for 100 agents in
    transactions of 256 reports, on a scratch WAL database per layout
    (synchronous = FULL as the collector runs, checkpoints left out: the
    collector makes them on another thread), and prints the CPU µs per
    report of each layout and its ratio to the first, measured in the same
    run.  No collector, no network, no cryptography: what the table's key
    and shape cost, nothing else.

    Layouts: the observation table keyed (agent, day, metric) (schema 7),
    keyed (day, agent, metric) (schema 8), the same without re-checking
    CHECK constraints (the writer's connection since schema 8), and one row
    per (day, agent) holding the day's values as a JSON object (the layout
    not taken: SQLite 3.40's JSON writes a real with 15 digits, so a value
    written through SQL would not come back as it was sent).

    Usage: bench_storage [--reports N] [--dir PATH]
*/
#include <sqlite3.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define S_AGENTS 100
#define S_METRICS 30
#define S_BATCH 256

typedef struct {
    const char *name;
    const char *table; /* the observation table's CREATE */
    bool json;         /* one row per (day, agent) */
    bool no_check;     /* PRAGMA ignore_check_constraints */
} s_layout_t;

#define S_ROW_COLUMNS                                                                    \
    "(agent INTEGER NOT NULL, unit TEXT NOT NULL, metric TEXT NOT NULL,"                 \
    " day INTEGER NOT NULL, value NOT NULL CHECK (typeof(value) IN ('integer','real'))," \
    " seq INTEGER NOT NULL, journal INTEGER NOT NULL, PRIMARY KEY "

static const s_layout_t s_layouts [] = {
    { "rows keyed (agent, day, metric), schema 7",
      "CREATE TABLE observation " S_ROW_COLUMNS "(agent, day, metric)) WITHOUT ROWID", false,
      false },
    { "rows keyed (day, agent, metric), schema 8",
      "CREATE TABLE observation " S_ROW_COLUMNS "(day, agent, metric)) WITHOUT ROWID", false,
      false },
    { "schema 8, CHECK not re-checked (the writer)",
      "CREATE TABLE observation " S_ROW_COLUMNS "(day, agent, metric)) WITHOUT ROWID", false,
      true },
    { "one JSON row per (day, agent), not taken",
      "CREATE TABLE observation_day (key INTEGER PRIMARY KEY, agent INTEGER NOT NULL,"
      " day INTEGER NOT NULL, unit TEXT NOT NULL, metrics TEXT NOT NULL)",
      true, false },
};
#define S_LAYOUTS (sizeof s_layouts / sizeof s_layouts [0])

static double
s_cpu (void)
{
    struct timespec t;
    clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double) t.tv_sec + (double) t.tv_nsec / 1e9;
}

static void
s_die (sqlite3 *db, const char *what)
{
    fprintf (stderr, "bench_storage: %s: %s\n", what, db ? sqlite3_errmsg (db) : "failed");
    exit (1);
}

static void
s_exec (sqlite3 *db, const char *sql)
{
    if (sqlite3_exec (db, sql, NULL, NULL, NULL) != SQLITE_OK)
        s_die (db, sql);
}

static sqlite3_stmt *
s_prepare (sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (db, sql, -1, &st, NULL) != SQLITE_OK)
        s_die (db, sql);
    return st;
}

static void
s_step (sqlite3 *db, sqlite3_stmt *st)
{
    if (sqlite3_step (st) != SQLITE_DONE)
        s_die (db, "step");
    sqlite3_reset (st);
}

/*  The writer's multi-row INSERT of S_METRICS rows. */
static sqlite3_stmt *
s_rows_insert (sqlite3 *db)
{
    char sql [4096];
    size_t used = (size_t) snprintf (sql, sizeof sql,
                                     "INSERT OR IGNORE INTO observation (agent, unit, metric,"
                                     " day, value, seq, journal) VALUES ");
    for (int i = 0; i < S_METRICS; i++) {
        int p = i * 7;
        used += (size_t) snprintf (sql + used, sizeof sql - used,
                                   "%s(?%d,?%d,?%d,?%d,?%d,?%d,?%d)", i ? "," : "", p + 1,
                                   p + 2, p + 3, p + 4, p + 5, p + 6, p + 7);
    }
    return s_prepare (db, sql);
}

static void
s_rows_write (sqlite3 *db, sqlite3_stmt *st, int agent, int day, int64_t seq, int64_t journal)
{
    static char metric [S_METRICS][24];
    for (int k = 0; k < S_METRICS; k++) {
        int p = k * 7;
        snprintf (metric [k], sizeof metric [k], "metric_code_%02d", k);
        sqlite3_bind_int (st, p + 1, agent);
        sqlite3_bind_text (st, p + 2, "B001", -1, SQLITE_STATIC);
        sqlite3_bind_text (st, p + 3, metric [k], -1, SQLITE_STATIC);
        sqlite3_bind_int (st, p + 4, day);
        sqlite3_bind_int64 (st, p + 5, (seq * 31 + k) % 100000);
        sqlite3_bind_int64 (st, p + 6, seq);
        sqlite3_bind_int64 (st, p + 7, journal);
    }
    s_step (db, st);
}

static void
s_json_write (sqlite3 *db, sqlite3_stmt *st, int agent, int day, int64_t seq, int64_t journal)
{
    char json [4096];
    size_t n = 0;
    json [n++] = '{';
    for (int k = 0; k < S_METRICS; k++)
        n += (size_t) snprintf (
            json + n, sizeof json - n, "%s\"metric_code_%02d\":[%lld,%lld,%lld]", k ? "," : "",
            k, (long long) ((seq * 31 + k) % 100000), (long long) seq, (long long) journal);
    json [n++] = '}';
    sqlite3_bind_int64 (st, 1, (int64_t) day * 4294967296LL + agent);
    sqlite3_bind_int (st, 2, agent);
    sqlite3_bind_int (st, 3, day);
    sqlite3_bind_text (st, 4, "B001", -1, SQLITE_STATIC);
    sqlite3_bind_text (st, 5, json, (int) n, SQLITE_TRANSIENT);
    s_step (db, st);
}

static sqlite3 *
s_open (const char *dir, size_t which)
{
    char path [512];
    snprintf (path, sizeof path, "%s/layout%zu.db", dir, which);
    unlink (path);
    sqlite3 *db = NULL;
    if (sqlite3_open (path, &db) != SQLITE_OK)
        s_die (db, path);
    s_exec (db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                " PRAGMA wal_autocheckpoint = 0; PRAGMA cache_size = -65536;"
                " PRAGMA temp_store = MEMORY;");
    if (s_layouts [which].no_check)
        s_exec (db, "PRAGMA ignore_check_constraints = ON;");
    s_exec (db, "CREATE TABLE journal (id INTEGER PRIMARY KEY, agent INTEGER NOT NULL,"
                " seq INTEGER NOT NULL, body BLOB NOT NULL, UNIQUE (agent, seq))");
    s_exec (db, s_layouts [which].table);
    return db;
}

/*  CPU µs per report of one layout. */
static double
s_run (const char *dir, size_t which, int reports)
{
    sqlite3 *db = s_open (dir, which);
    const s_layout_t *layout = &s_layouts [which];
    sqlite3_stmt *journal = s_prepare (db, "INSERT INTO journal (agent, seq, body)"
                                           " VALUES (?1, ?2, ?3)");
    sqlite3_stmt *write = layout->json ? s_prepare (db, "INSERT OR IGNORE INTO observation_day"
                                                        " VALUES (?1, ?2, ?3, ?4, ?5)")
                                       : s_rows_insert (db);
    static unsigned char body [1100];
    memset (body, 0x5a, sizeof body);
    double start = s_cpu ();
    for (int r = 0; r < reports; r++) {
        if (r % S_BATCH == 0)
            s_exec (db, "BEGIN");
        int agent = r % S_AGENTS + 1;
        int64_t seq = r / S_AGENTS + 1;
        /*  day 4 * seq of a 28-day-month calendar, as yyyymmdd */
        int d = (int) seq * 4,
            day = (2010 + d / 336) * 10000 + (1 + d % 336 / 28) * 100 + 1 + d % 28;
        sqlite3_bind_int (journal, 1, agent);
        sqlite3_bind_int64 (journal, 2, seq);
        sqlite3_bind_blob (journal, 3, body, sizeof body, SQLITE_STATIC);
        s_step (db, journal);
        int64_t id = sqlite3_last_insert_rowid (db);
        (layout->json ? s_json_write : s_rows_write) (db, write, agent, day, seq, id);
        if (r % S_BATCH == S_BATCH - 1 || r == reports - 1)
            s_exec (db, "COMMIT");
    }
    double us = (s_cpu () - start) / reports * 1e6;
    sqlite3_finalize (journal);
    sqlite3_finalize (write);
    sqlite3_close (db);
    return us;
}

int
main (int argc, char **argv)
{
    int reports = 20000;
    const char *dir = "/tmp";
    for (int i = 1; i < argc; i++) {
        if (strcmp (argv [i], "--reports") == 0 && i + 1 < argc)
            reports = atoi (argv [++i]);
        else if (strcmp (argv [i], "--dir") == 0 && i + 1 < argc)
            dir = argv [++i];
        else {
            fprintf (stderr, "usage: bench_storage [--reports N] [--dir PATH]\n");
            return 2;
        }
    }
    if (reports < 1 || reports > 10000000) {
        fprintf (stderr, "bench_storage: --reports must be 1..10000000\n");
        return 2;
    }
    printf ("bench_storage: %d reports x %d observations, %d agents, transactions of %d,"
            " SQLite %s\n",
            reports, S_METRICS, S_AGENTS, S_BATCH, sqlite3_libversion ());
    double base = 0;
    for (size_t i = 0; i < S_LAYOUTS; i++) {
        double us = s_run (dir, i, reports);
        if (i == 0)
            base = us;
        printf ("  %-46s %6.1f us CPU per report  (%.2f x the first)\n", s_layouts [i].name,
                us, us / base);
    }
    for (size_t i = 0; i < S_LAYOUTS; i++) {
        char path [512];
        snprintf (path, sizeof path, "%s/layout%zu.db", dir, i);
        unlink (path);
        snprintf (path, sizeof path, "%s/layout%zu.db-wal", dir, i);
        unlink (path);
        snprintf (path, sizeof path, "%s/layout%zu.db-shm", dir, i);
        unlink (path);
    }
    return 0;
}
