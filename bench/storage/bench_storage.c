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
    per (day, agent) holding the day's values as a JSON object
    {metric: [value, seq, journal, unit], ...} (a candidate, not taken yet),
    written the way a writer would have to: the row read first, merged in C
    by seq (last writer wins per metric), numbers printed by the C library
    (%.17g for a real: exact; SQLite 3.40's own printf('%!.17g') is not
    for about 1 value in 400) and read back by SQLite's JSON parser; its
    key is day << 32 | agent in a rowid table (keyed (day, agent) WITHOUT
    ROWID, the ~1.3 KB rows spilled to overflow pages: 32.8 us a report
    instead of 14.2).  Last, the journal row alone: the floor under every
    layout.  After
    the writes, each layout reads one agent's 30 days back (what the
    summary's follower does per (agent, month)) and prints the CPU µs per
    value read, and checks that every value read is the one written last.

    --days N: each agent's reports go round N days (from the (N+1)th on,
    each replaces what an older one stored: a running agent re-sending
    today's figures); by default every report is a new day (a backlog).

    Usage: bench_storage [--reports N] [--days N] [--dir PATH]
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
    bool journal_only; /* no observation at all: the floor */
} s_layout_t;

#define S_ROW_COLUMNS                                                                    \
    "(agent INTEGER NOT NULL, unit TEXT NOT NULL, metric TEXT NOT NULL,"                 \
    " day INTEGER NOT NULL, value NOT NULL CHECK (typeof(value) IN ('integer','real'))," \
    " seq INTEGER NOT NULL, journal INTEGER NOT NULL, PRIMARY KEY "

static const s_layout_t s_layouts [] = {
    { "rows keyed (agent, day, metric), schema 7",
      "CREATE TABLE observation " S_ROW_COLUMNS "(agent, day, metric)) WITHOUT ROWID", false,
      false, false },
    { "rows keyed (day, agent, metric), schema 8",
      "CREATE TABLE observation " S_ROW_COLUMNS "(day, agent, metric)) WITHOUT ROWID", false,
      false, false },
    { "schema 8, CHECK not re-checked (the writer)",
      "CREATE TABLE observation " S_ROW_COLUMNS "(day, agent, metric)) WITHOUT ROWID", false,
      true, false },
    { "one JSON row per (day, agent), merged in C",
      "CREATE TABLE observation_day (key INTEGER PRIMARY KEY, cells TEXT NOT NULL)", true,
      false, false },
    { "the journal row alone (the floor)",
      "CREATE TABLE observation_day (key INTEGER PRIMARY KEY)", false, false, true },
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

/*  The value of metric k in report seq: an integer count, but metric 29
    a real with all 17 digits in use. */
static bool
s_value (int64_t seq, int k, int64_t *ival, double *fval)
{
    *ival = (seq * 31 + k) % 100000;
    *fval = (double) *ival / 7.0;
    return k == S_METRICS - 1;
}

static const char *
s_metric (int k)
{
    static char metric [S_METRICS][24];
    if (!metric [k][0])
        snprintf (metric [k], sizeof metric [k], "metric_code_%02d", k);
    return metric [k];
}

typedef struct {
    sqlite3 *db;
    sqlite3_stmt *insert; /* rows: the multi-row INSERT; JSON: the day row's */
    sqlite3_stmt *get;    /* rows: one row's seq; JSON: the day row */
    sqlite3_stmt *set;    /* rows: one row's UPDATE; JSON: the day row's */
    sqlite3_stmt *cells;  /* JSON: a day row's cells, parsed */
    sqlite3_stmt *read;   /* one (day, agent)'s values */
    bool replacing;       /* rows: the last report met stored rows */
} s_ctx_t;

static void
s_bind_value (sqlite3_stmt *st, int i, int64_t seq, int k)
{
    int64_t iv;
    double fv;
    if (s_value (seq, k, &iv, &fv))
        sqlite3_bind_double (st, i, fv);
    else
        sqlite3_bind_int64 (st, i, iv);
}

/*  The multi-row INSERT OR IGNORE of the report's S_METRICS rows. */
static void
s_rows_insert_all (s_ctx_t *c, int agent, int day, int64_t seq, int64_t journal)
{
    sqlite3_stmt *st = c->insert;
    for (int k = 0; k < S_METRICS; k++) {
        int p = k * 7;
        sqlite3_bind_int (st, p + 1, agent);
        sqlite3_bind_text (st, p + 2, "B001", -1, SQLITE_STATIC);
        sqlite3_bind_text (st, p + 3, s_metric (k), -1, SQLITE_STATIC);
        sqlite3_bind_int (st, p + 4, day);
        s_bind_value (st, p + 5, seq, k);
        sqlite3_bind_int64 (st, p + 6, seq);
        sqlite3_bind_int64 (st, p + 7, journal);
    }
    s_step (c->db, st);
}

/*  The writer's way (collector/db/db.c, s_obs_write): new rows inserted
    first and read back only if the INSERT met stored rows; once rows met
    stored ones, the next report's are read first (one read of the
    (day, agent) along the key); every stored row of a lower seq updated. */
static void
s_rows_write (s_ctx_t *c, int agent, int day, int64_t seq, int64_t journal)
{
    if (!c->replacing) {
        s_rows_insert_all (c, agent, day, seq, journal);
        if (sqlite3_changes (c->db) == S_METRICS)
            return;
    }
    int64_t stored [S_METRICS];
    int found = 0;
    sqlite3_bind_int (c->get, 1, day);
    sqlite3_bind_int (c->get, 2, agent);
    while (sqlite3_step (c->get) == SQLITE_ROW) {
        int k =
            atoi ((const char *) sqlite3_column_text (c->get, 0) + strlen ("metric_code_"));
        if (k >= 0 && k < S_METRICS) {
            stored [k] = sqlite3_column_int64 (c->get, 1);
            found++;
        }
    }
    sqlite3_reset (c->get);
    c->replacing = found > 0;
    if (found < S_METRICS) {
        if (found)
            s_die (NULL, "a report's rows partly stored");
        s_rows_insert_all (c, agent, day, seq, journal);
        return;
    }
    for (int k = 0; k < S_METRICS; k++) {
        if (stored [k] >= seq)
            continue;
        sqlite3_bind_int (c->set, 1, day);
        sqlite3_bind_int (c->set, 2, agent);
        sqlite3_bind_text (c->set, 3, s_metric (k), -1, SQLITE_STATIC);
        s_bind_value (c->set, 4, seq, k);
        sqlite3_bind_int64 (c->set, 5, seq);
        sqlite3_bind_int64 (c->set, 6, journal);
        s_step (c->db, c->set);
    }
}

/*  One cell's JSON text, its number printed by the C library: %.17g is
    exact for a double, with ".0" added when it would read as an integer. */
static size_t
s_cell (char *out, size_t size, int k, int64_t seq, int64_t journal)
{
    int64_t iv;
    double fv;
    char num [40];
    if (s_value (seq, k, &iv, &fv)) {
        snprintf (num, sizeof num, "%.17g", fv);
        if (!strpbrk (num, ".eE"))
            strcat (num, ".0");
    }
    else
        snprintf (num, sizeof num, "%lld", (long long) iv);
    return (size_t) snprintf (out, size, "\"%s\":[%s,%lld,%lld,\"B001\"]", s_metric (k), num,
                              (long long) seq, (long long) journal);
}

/*  The day row read; its cells parsed by SQLite (json_each); merged per
    metric by seq in C (the older cells' text copied as it is); written. */
static void
s_json_write (s_ctx_t *c, int agent, int day, int64_t seq, int64_t journal)
{
    static char json [16384];
    size_t n = 0;
    bool mine [S_METRICS] = { false };
    json [n++] = '{';
    sqlite3_bind_int (c->get, 1, day);
    sqlite3_bind_int (c->get, 2, agent);
    bool found = sqlite3_step (c->get) == SQLITE_ROW;
    if (found) {
        sqlite3_bind_text (c->cells, 1, (const char *) sqlite3_column_text (c->get, 0),
                           sqlite3_column_bytes (c->get, 0), SQLITE_STATIC);
        while (sqlite3_step (c->cells) == SQLITE_ROW) {
            const char *metric = (const char *) sqlite3_column_text (c->cells, 0);
            int k = atoi (metric + strlen ("metric_code_"));
            if (k >= 0 && k < S_METRICS && sqlite3_column_int64 (c->cells, 1) < seq)
                continue; /* replaced below */
            if (k >= 0 && k < S_METRICS)
                mine [k] = true; /* newer than this report: kept */
            n += (size_t) snprintf (json + n, sizeof json - n, "%s\"%s\":%s", n > 1 ? "," : "",
                                    metric, (const char *) sqlite3_column_text (c->cells, 2));
        }
        sqlite3_reset (c->cells);
    }
    sqlite3_reset (c->get);
    for (int k = 0; k < S_METRICS; k++)
        if (!mine [k]) {
            if (n > 1)
                json [n++] = ',';
            n += s_cell (json + n, sizeof json - n, k, seq, journal);
        }
    json [n++] = '}';
    sqlite3_stmt *st = found ? c->set : c->insert;
    sqlite3_bind_int (st, 1, day);
    sqlite3_bind_int (st, 2, agent);
    sqlite3_bind_text (st, 3, json, (int) n, SQLITE_STATIC);
    s_step (c->db, st);
}

static sqlite3 *
s_open (const char *dir, size_t which)
{
    char path [512];
    /*  (a -wal file left by a run that stopped would be read as this
        database's) */
    for (size_t i = 0; i < 3; i++) {
        snprintf (path, sizeof path, "%s/layout%zu.db%s", dir, which,
                  i == 0   ? ""
                  : i == 1 ? "-wal"
                           : "-shm");
        unlink (path);
    }
    snprintf (path, sizeof path, "%s/layout%zu.db", dir, which);
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

/*  Report r's agent, seq and day (yyyymmdd: day 4 * slot of a 28-day-month
    calendar, slot going round `days` when not 0). */
static void
s_report (int r, int days, int *agent, int64_t *seq, int *day)
{
    *agent = r % S_AGENTS + 1;
    *seq = r / S_AGENTS + 1;
    int slot = days ? (int) ((*seq - 1) % days) : (int) (*seq - 1);
    int d = (slot + 1) * 4;
    *day = (2010 + d / 336) * 10000 + (1 + d % 336 / 28) * 100 + 1 + d % 28;
}

/*  CPU µs per report of one layout's writes, and per value of reading
    agent 1's days back (every value checked). */
static double
s_run (const char *dir, size_t which, int reports, int days, double *read_us)
{
    s_ctx_t c = { .db = s_open (dir, which) };
    const s_layout_t *layout = &s_layouts [which];
    sqlite3_stmt *journal = s_prepare (c.db, "INSERT INTO journal (agent, seq, body)"
                                             " VALUES (?1, ?2, ?3)");
    if (layout->journal_only)
        ;
    else if (layout->json) {
        c.insert = s_prepare (c.db, "INSERT INTO observation_day VALUES (?1 << 32 | ?2, ?3)");
        c.get =
            s_prepare (c.db, "SELECT cells FROM observation_day WHERE key = ?1 << 32 | ?2");
        c.set = s_prepare (c.db,
                           "UPDATE observation_day SET cells = ?3 WHERE key = ?1 << 32 | ?2");
        c.cells = s_prepare (c.db, "SELECT key, value ->> 1, value FROM json_each (?1)");
        c.read = s_prepare (c.db, "SELECT c.key, c.value ->> 0, c.value ->> 1"
                                  " FROM observation_day AS d, json_each (d.cells) AS c"
                                  " WHERE d.key = ?1 << 32 | ?2");
    }
    else {
        c.insert = s_rows_insert (c.db);
        c.get = s_prepare (c.db, "SELECT metric, seq FROM observation WHERE day = ?1"
                                 " AND agent = ?2");
        c.set = s_prepare (c.db, "UPDATE observation SET value = ?4, seq = ?5, journal = ?6"
                                 " WHERE day = ?1 AND agent = ?2 AND metric = ?3");
        c.read = s_prepare (c.db, "SELECT metric, value, seq FROM observation"
                                  " WHERE day = ?1 AND agent = ?2");
    }
    static unsigned char body [1100];
    memset (body, 0x5a, sizeof body);
    double start = s_cpu ();
    for (int r = 0; r < reports; r++) {
        if (r % S_BATCH == 0)
            s_exec (c.db, "BEGIN");
        int agent, day;
        int64_t seq;
        s_report (r, days, &agent, &seq, &day);
        sqlite3_bind_int (journal, 1, agent);
        sqlite3_bind_int64 (journal, 2, seq);
        sqlite3_bind_blob (journal, 3, body, sizeof body, SQLITE_STATIC);
        s_step (c.db, journal);
        int64_t id = sqlite3_last_insert_rowid (c.db);
        if (!layout->journal_only)
            (layout->json ? s_json_write : s_rows_write) (&c, agent, day, seq, id);
        if (r % S_BATCH == S_BATCH - 1 || r == reports - 1)
            s_exec (c.db, "COMMIT");
    }
    double us = (s_cpu () - start) / reports * 1e6;
    /*  Agent 1's days, each read once, latest report first (the first
        seen is the day's last writer). */
    long values = 0;
    start = s_cpu ();
    int last = reports - 1 - (reports - 1) % S_AGENTS;
    int slots = days ? days : reports;
    for (int r = last; r >= 0 && slots > 0 && c.read; r -= S_AGENTS, slots--) {
        int agent, day;
        int64_t seq;
        s_report (r, days, &agent, &seq, &day);
        sqlite3_bind_int (c.read, 1, day);
        sqlite3_bind_int (c.read, 2, agent);
        int got = 0;
        while (sqlite3_step (c.read) == SQLITE_ROW) {
            int k = atoi ((const char *) sqlite3_column_text (c.read, 0)
                          + strlen ("metric_code_"));
            int64_t iv;
            double fv;
            bool real = s_value (seq, k, &iv, &fv);
            if (sqlite3_column_int64 (c.read, 2) != seq
                || (real ? sqlite3_column_type (c.read, 1) != SQLITE_FLOAT
                               || sqlite3_column_double (c.read, 1) != fv
                         : sqlite3_column_type (c.read, 1) != SQLITE_INTEGER
                               || sqlite3_column_int64 (c.read, 1) != iv))
                s_die (NULL, "a value read back is not the one written last");
            got++;
        }
        sqlite3_reset (c.read);
        if (got != S_METRICS)
            s_die (NULL, "a day read back has not every metric");
        values += got;
    }
    *read_us = values ? (s_cpu () - start) / (double) values * 1e6 : 0;
    sqlite3_finalize (journal);
    sqlite3_finalize (c.insert);
    sqlite3_finalize (c.get);
    sqlite3_finalize (c.set);
    sqlite3_finalize (c.cells);
    sqlite3_finalize (c.read);
    sqlite3_close (c.db);
    return us;
}

int
main (int argc, char **argv)
{
    int reports = 20000, days = 0;
    const char *dir = "/tmp";
    for (int i = 1; i < argc; i++) {
        if (strcmp (argv [i], "--reports") == 0 && i + 1 < argc)
            reports = atoi (argv [++i]);
        else if (strcmp (argv [i], "--days") == 0 && i + 1 < argc)
            days = atoi (argv [++i]);
        else if (strcmp (argv [i], "--dir") == 0 && i + 1 < argc)
            dir = argv [++i];
        else {
            fprintf (stderr, "usage: bench_storage [--reports N] [--days N] [--dir PATH]\n");
            return 2;
        }
    }
    if (reports < S_AGENTS || reports > 10000000 || days < 0 || days > 100000) {
        fprintf (stderr, "bench_storage: --reports must be %d..10000000, --days 0..100000\n",
                 S_AGENTS);
        return 2;
    }
    printf ("bench_storage: %d reports x %d observations, %d agents, transactions of %d,"
            " %s, SQLite %s\n",
            reports, S_METRICS, S_AGENTS, S_BATCH,
            days ? "reports going round the days (--days)" : "a new day every report",
            sqlite3_libversion ());
    double base = 0;
    for (size_t i = 0; i < S_LAYOUTS; i++) {
        double read_us = 0, us = s_run (dir, i, reports, days, &read_us);
        if (i == 0)
            base = us;
        printf ("  %-46s %6.1f us CPU per report (%.2f x the first), read %.2f us per value\n",
                s_layouts [i].name, us, us / base, read_us);
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
