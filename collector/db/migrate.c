/*  migrate.c — the collector database's one migration chain (db.h): a new
    database gets the current schema in one piece, an older one walks the
    steps from its user_version up, all inside the caller's write
    transaction, so a failed step leaves the database as it was and two
    programs opening an old database at once migrate it once.
*/
#include "collector/db/db.h"
#include "collector/db/schema.h"

#include "common/log.h"
#include "common/text.h"

#include <assert.h>
#include <stdbool.h>
#include <stdio.h>

static int
s_exec (sqlite3 *db, const char *sql, char *err, size_t errlen)
{
    char *msg = NULL;
    int rc = sqlite3_exec (db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        cchc_errf (err, errlen, "%s", msg ? msg : sqlite3_errmsg (db));
        sqlite3_free (msg);
        return -1;
    }
    return 0;
}

/*  One integer from a query (0 when it returns no row).  0 or -1. */
static int
s_int (sqlite3 *db, const char *sql, int64_t *value, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2 (db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step (st);
        *value = rc == SQLITE_ROW ? sqlite3_column_int64 (st, 0) : 0;
        rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    if (rc != SQLITE_OK)
        cchc_errf (err, errlen, "%s", sqlite3_errmsg (db));
    sqlite3_finalize (st);
    return rc == SQLITE_OK ? 0 : -1;
}

/*  Step 3: observation_month, whatever state an older release left it in:
    absent (a database no collector opened), keyed by an older release's
    key (rebuilt), current.  Also what cchc_db_month_apply runs. */
static int
s_month (sqlite3 *db, char *err, size_t errlen)
{
    int64_t pk = 0, exists = 0;
    if (s_int (db,
               "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
               " AND name = 'observation_month'",
               &exists, err, errlen))
        return -1;
    if (exists) {
        if (s_int (db,
                   "SELECT pk FROM pragma_table_info ('observation_month')"
                   " WHERE name = 'month'",
                   &pk, err, errlen))
            return -1;
        if (pk != 2 && s_exec (db, "DROP TABLE observation_month", err, errlen))
            return -1;
    }
    if (s_exec (db, CCHC_DB_MONTH_SQL, err, errlen)
        || s_exec (db, CCHC_DB_MONTH_POSITION_SQL, err, errlen)
        || s_exec (db, CCHC_DB_MONTH_TRIGGERS_SQL, err, errlen))
        return -1;
    int64_t backfill = 0;
    if (s_int (db,
               "SELECT NOT EXISTS (SELECT 1 FROM observation_month)"
               " AND EXISTS (SELECT 1 FROM observation)",
               &backfill, err, errlen))
        return -1;
    if (!backfill)
        return 0;
    /*  The backfill holds every row there is: the follower (month.c) has
        nothing to re-read, so its position is the newest journal row. */
    static const char settled [] = "UPDATE month_position SET journal ="
                                   " (SELECT coalesce (max (id), 0) FROM journal)";
    if (s_exec (db, CCHC_DB_MONTH_BACKFILL_SQL, err, errlen))
        return -1;
    return s_exec (db, settled, err, errlen);
}

/*  Step 6: the agent's clock columns, added unless there (a database
    made by a newer schema and labelled older, as the tests make them). */
static int
s_agent_clock (sqlite3 *db, char *err, size_t errlen)
{
    int64_t has = 0;
    if (s_int (db,
               "SELECT count(*) FROM pragma_table_info ('agent')"
               " WHERE name = 'clock_skew'",
               &has, err, errlen))
        return -1;
    return has ? 0 : s_exec (db, CCHC_DB_MIGRATE_5_6, err, errlen);
}

/*  The chain: step i brings a database from version i - 1 to version i.
    Version 1 databases had CCHC_DB_SCHEMA_1's tables; steps after it
    change what exists (see schema.h's history). */
typedef struct {
    int version;                                       /* user_version once the step is done */
    const char *what;                                  /* for messages */
    const char *sql;                                   /* run first, or NULL */
    int (*fn) (sqlite3 *db, char *err, size_t errlen); /* then, or NULL */
} s_step_t;

static const s_step_t s_steps [] = {
    { 2, "observation keyed (agent, day, metric)", CCHC_DB_MIGRATE_1_2, NULL },
    /*  Releases up to version 2 applied their CREATE ... IF NOT EXISTS at
        every open; the last such pass completes anything missing. */
    { 3, "observation_month in the schema", CCHC_DB_SCHEMA_SQL, s_month },
    { 4, "no observation_by_day index", CCHC_DB_MIGRATE_3_4, NULL },
    { 5, "national tables in the schema", CCHC_DB_NATIONAL_SQL, NULL },
    { 6, "agent clock columns", NULL, s_agent_clock },
    { 7, "observation_month kept by a follower", CCHC_DB_MIGRATE_6_7, NULL },
    { 8, "observation keyed (day, agent, metric); minutes for tens of millions of rows",
      CCHC_DB_MIGRATE_7_8, NULL },
};
#define STEPS (sizeof s_steps / sizeof s_steps [0])

/*  The current schema in one piece (a new database). */
static int
s_create (sqlite3 *db, char *err, size_t errlen)
{
    if (s_exec (db, CCHC_DB_SCHEMA_SQL, err, errlen)
        || s_exec (db, CCHC_DB_MONTH_SQL, err, errlen)
        || s_exec (db, CCHC_DB_MONTH_POSITION_SQL, err, errlen)
        || s_exec (db, CCHC_DB_MONTH_TRIGGERS_SQL, err, errlen)
        || s_exec (db, CCHC_DB_NATIONAL_SQL, err, errlen))
        return -1;
    return 0;
}

int
cchc_db_schema_apply (sqlite3 *db, char *err, size_t errlen)
{
    assert (db);
    assert (s_steps [STEPS - 1].version == CCHC_DB_VERSION);
    int64_t version = 0, tables = 0;
    if (s_int (db, "PRAGMA user_version", &version, err, errlen)
        || s_int (db,
                  "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                  " AND name = 'journal'",
                  &tables, err, errlen))
        return -1;
    if (version > CCHC_DB_VERSION) {
        cchc_errf (err, errlen, "schema version %lld is newer than this program's (%d)",
                   (long long) version, CCHC_DB_VERSION);
        return -1;
    }
    if (version == CCHC_DB_VERSION)
        return 0;
    if (version == 0 && !tables) {
        if (s_create (db, err, errlen))
            return -1;
    }
    else {
        /*  Version 0 with tables: the first release, before it set a
            version; its tables were version 1's. */
        if (version == 0)
            version = 1;
        for (size_t i = 0; i < STEPS; i++) {
            const s_step_t *step = &s_steps [i];
            if (step->version <= version)
                continue;
            char why [256] = "";
            cchc_log (CCHC_LOG_NOTICE, "database: migrating to schema %d (%s)", step->version,
                      step->what);
            if ((step->sql && s_exec (db, step->sql, why, sizeof why))
                || (step->fn && step->fn (db, why, sizeof why))) {
                cchc_errf (err, errlen, "migration to schema %d (%s): %s", step->version,
                           step->what, why);
                return -1;
            }
        }
    }
    char sql [64];
    snprintf (sql, sizeof sql, "PRAGMA user_version = %d", CCHC_DB_VERSION);
    return s_exec (db, sql, err, errlen);
}

int
cchc_db_month_apply (sqlite3 *db, char *err, size_t errlen)
{
    assert (db);
    if (s_exec (db, "SAVEPOINT cchc_db_month", err, errlen))
        return -1;
    if (s_month (db, err, errlen)) {
        sqlite3_exec (db, "ROLLBACK TO cchc_db_month; RELEASE cchc_db_month", NULL, NULL,
                      NULL);
        return -1;
    }
    return s_exec (db, "RELEASE cchc_db_month", err, errlen);
}

int
cchc_db_periods_apply (sqlite3 *db, char *err, size_t errlen)
{
    assert (db);
    if (s_exec (db, "SAVEPOINT cchc_db_periods", err, errlen))
        return -1;
    if (s_exec (db, CCHC_DB_PERIODS_SQL, err, errlen)) {
        sqlite3_exec (db, "ROLLBACK TO cchc_db_periods; RELEASE cchc_db_periods", NULL, NULL,
                      NULL);
        return -1;
    }
    return s_exec (db, "RELEASE cchc_db_periods", err, errlen);
}
