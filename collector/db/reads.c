/*  reads.c — the plain reads of one connection that db.h declares: the
    observation table's first and last day and "any data in this window",
    one integer of a query, the journal's extent and position, the data
    version and the agents' change key.  Each takes the sqlite3 handle (a
    reader's snapshot or the writer's connection) and keeps no state.
*/
#include "collector/db/db.h"
#include "collector/db/periods.h"

#include <assert.h>
#include <string.h>

/* ------------------------------------------------------------ observation reads */

int
cchc_db_observation_days (sqlite3 *db, int32_t *first, int32_t *last)
{
    assert (db && first && last);
    *first = *last = 0;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2 (db,
                                 "SELECT ifnull ((SELECT min (day) FROM observation), 0),"
                                 "       ifnull ((SELECT max (day) FROM observation), 0)",
                                 -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step (st)) == SQLITE_ROW) {
        *first = sqlite3_column_int (st, 0);
        *last = sqlite3_column_int (st, 1);
        rc = SQLITE_OK;
    }
    sqlite3_finalize (st);
    return rc == SQLITE_OK ? 0 : -1;
}

int
cchc_db_observation_any (sqlite3 *db, int32_t first, int32_t last, int64_t before_ms)
{
    assert (db);
    sqlite3_stmt *st = NULL;
    int has = -1;
    const char *sql =
        before_ms > 0
            ? "SELECT EXISTS (SELECT 1 FROM agent AS a, observation AS o"
              " JOIN journal AS j ON j.id = o.journal"
              " WHERE o.agent = a.id AND o.day BETWEEN ?1 AND ?2 AND j.received_at < ?3)"
            : "SELECT EXISTS (SELECT 1 FROM agent AS a, observation AS o"
              " WHERE o.agent = a.id AND o.day BETWEEN ?1 AND ?2)";
    if (sqlite3_prepare_v2 (db, sql, -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int (st, 1, first);
        sqlite3_bind_int (st, 2, last);
        if (before_ms > 0)
            sqlite3_bind_int64 (st, 3, before_ms);
        if (sqlite3_step (st) == SQLITE_ROW)
            has = sqlite3_column_int (st, 0);
    }
    sqlite3_finalize (st);
    return has;
}

/* ------------------------------------------------------------ one integer */

int
cchc_db_int64 (sqlite3 *db, const char *sql, int64_t *out)
{
    assert (db && sql && out);
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2 (db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step (st)) == SQLITE_ROW) {
        *out = sqlite3_column_int64 (st, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize (st);
    return rc == SQLITE_OK ? 0 : -1;
}

int
cchc_db_journal_extent (sqlite3 *db, int64_t *rows, int64_t *max_id)
{
    assert (rows && max_id);
    return cchc_db_int64 (db, "SELECT count(*) FROM journal", rows) == 0
                   && cchc_db_journal_position (db, max_id) == 0
               ? 0
               : -1;
}

/* ------------------------------------------------------------ data version */

int
cchc_db_data_version (sqlite3 *db, cchc_db_data_version_t *v)
{
    assert (db && v);
    memset (v, 0, sizeof *v);
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2 (
        db,
        "SELECT (SELECT ifnull(max(id), 0) FROM journal),"
        "       (SELECT ifnull(max(version), 0) FROM enrolment),"
        "       (SELECT ifnull(sum(length(code) * 7 + length(name) * 131 + valid_from"
        "                          + valid_to * 3 + length(ifnull(parent, ''))), 0)"
        "               + count(*) * 1000003 FROM unit),"
        "       (SELECT count(DISTINCT code) FROM unit)",
        -1, &st, NULL);
    if (rc != SQLITE_OK || sqlite3_step (st) != SQLITE_ROW) {
        sqlite3_finalize (st);
        return -1;
    }
    v->journal = sqlite3_column_int64 (st, 0);
    v->enrolment = sqlite3_column_int64 (st, 1);
    v->units_sum = sqlite3_column_int64 (st, 2);
    v->units = sqlite3_column_int64 (st, 3);
    sqlite3_finalize (st);
    int managed = cchc_db_periods_kept (db);
    if (managed < 0)
        return -1;
    v->periods = -1;
    if (managed) {
        if (sqlite3_prepare_v2 (db, "SELECT ifnull(max(id), 0) FROM period_event", -1, &st,
                                NULL)
                != SQLITE_OK
            || sqlite3_step (st) != SQLITE_ROW) {
            sqlite3_finalize (st);
            return -1;
        }
        v->periods = sqlite3_column_int64 (st, 0);
        sqlite3_finalize (st);
    }
    return 0;
}

int
cchc_db_journal_position (sqlite3 *db, int64_t *position)
{
    assert (db && position);
    return cchc_db_int64 (db, "SELECT ifnull(max(id), 0) FROM journal", position);
}

int
cchc_db_agents_key (sqlite3 *db, uint64_t key [5])
{
    assert (db && key);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (
            db,
            "SELECT count(*), ifnull(max(last_seen), 0), ifnull(sum(rejected), 0),"
            "       ifnull(sum(accepted), 0) + ifnull(sum(duplicates), 0) * 7,"
            "       ifnull(sum(ifnull(revoked_at, 0) % 1000003), 0) FROM agent",
            -1, &st, NULL)
            != SQLITE_OK
        || sqlite3_step (st) != SQLITE_ROW) {
        sqlite3_finalize (st);
        return -1;
    }
    for (int i = 0; i < 5; i++)
        key [i] = (uint64_t) sqlite3_column_int64 (st, i);
    sqlite3_finalize (st);
    return 0;
}
