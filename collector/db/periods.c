/*  periods.c — the statements of the period keeper and of the readers
    above it (periods.h): raw-connection transactions, the schema probes,
    period_result and period_event rows, and the API's reads of agents,
    stats and the province.
*/
#include "collector/db/periods.h"
#include "collector/db/db.h"
#include "collector/db/db_impl.h"

#include "common/text.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

static int
s_exec (sqlite3 *db, const char *sql)
{
    return sqlite3_exec (db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

/* ---------------------------------------------------------- transactions */

int
cchc_db_read_begin (sqlite3 *db)
{
    assert (db);
    return s_exec (db, "SAVEPOINT cchc_db_read");
}

void
cchc_db_read_end (sqlite3 *db)
{
    assert (db);
    s_exec (db, "RELEASE cchc_db_read");
}

int
cchc_db_write_begin (sqlite3 *db)
{
    assert (db);
    return s_exec (db, "BEGIN IMMEDIATE");
}

int
cchc_db_write_commit (sqlite3 *db)
{
    assert (db);
    return s_exec (db, "COMMIT");
}

void
cchc_db_write_rollback (sqlite3 *db)
{
    assert (db);
    s_exec (db, "ROLLBACK");
}

/* ------------------------------------------------------------ the schema */

/*  1 when the count of `sql` is `want`, 0 when not, -1 on error. */
static int
s_tables (sqlite3 *db, const char *sql, int64_t want)
{
    int64_t n = 0;
    if (cchc_db_int64 (db, sql, &n) != 0)
        return -1;
    return n == want ? 1 : 0;
}

int
cchc_db_collector_tables (sqlite3 *db)
{
    return s_tables (db,
                     "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                     " AND name IN ('unit', 'agent', 'journal', 'observation',"
                     " 'enrolment', 'stats')",
                     6);
}

int
cchc_db_periods_kept (sqlite3 *db)
{
    return s_tables (db,
                     "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                     " AND name IN ('period_result', 'period_event')",
                     2);
}

int
cchc_db_month_kept (sqlite3 *db)
{
    return s_tables (db,
                     "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                     " AND name = 'observation_month'",
                     1);
}

/* --------------------------------------------------------- period_result */

#define S_RESULT_COLUMNS                                                 \
    "period, state, computed_at, journal_pos, journal_max,"              \
    " data_version, units, ifnull(locked_at, 0), ifnull(locked_by, '')," \
    " ifnull(reopened_at, 0), revision, snapshot IS NOT NULL, manual"

static void
s_result_read (sqlite3_stmt *st, cchc_db_period_result_t *row)
{
    memset (row, 0, sizeof *row);
    cchc_strlcpy (row->period, s_text (st, 0), sizeof row->period);
    cchc_strlcpy (row->state, s_text (st, 1), sizeof row->state);
    row->computed_at = sqlite3_column_int64 (st, 2);
    row->journal_pos = sqlite3_column_int64 (st, 3);
    row->journal_max = sqlite3_column_int64 (st, 4);
    row->data_version = sqlite3_column_int64 (st, 5);
    row->units = sqlite3_column_int64 (st, 6);
    row->locked_at = sqlite3_column_int64 (st, 7);
    cchc_strlcpy (row->locked_by, s_text (st, 8), sizeof row->locked_by);
    row->reopened_at = sqlite3_column_int64 (st, 9);
    row->revision = sqlite3_column_int64 (st, 10);
    row->has_snapshot = sqlite3_column_int (st, 11) != 0;
    row->manual = sqlite3_column_int (st, 12) != 0;
}

int
cchc_db_period_result_get (sqlite3 *db, const char *period, cchc_db_period_result_t *row)
{
    assert (db && period && row);
    memset (row, 0, sizeof *row);
    sqlite3_stmt *st = s_prepare_text (
        db, "SELECT " S_RESULT_COLUMNS " FROM period_result WHERE period = ?1", period);
    if (!st)
        return -1;
    int rc = sqlite3_step (st);
    if (rc == SQLITE_ROW)
        s_result_read (st, row);
    return s_found (st, rc);
}

int
cchc_db_period_result_each (sqlite3 *db, cchc_db_period_result_fn *fn, void *arg)
{
    assert (db && fn);
    sqlite3_stmt *st =
        s_prepare_text (db, "SELECT " S_RESULT_COLUMNS " FROM period_result", NULL);
    if (!st)
        return -1;
    int rc;
    while ((rc = sqlite3_step (st)) == SQLITE_ROW) {
        cchc_db_period_result_t row;
        s_result_read (st, &row);
        if (fn (&row, arg) != 0)
            break;
    }
    return s_walked (st, rc);
}

char *
cchc_db_period_result_snapshot (sqlite3 *db, const char *period)
{
    assert (db && period);
    sqlite3_stmt *st = s_prepare_text (db,
                                       "SELECT snapshot FROM period_result WHERE period = ?1"
                                       " AND state = 'locked'",
                                       period);
    char *text = NULL;
    if (st && sqlite3_step (st) == SQLITE_ROW && sqlite3_column_text (st, 0))
        text = strdup ((const char *) sqlite3_column_text (st, 0));
    sqlite3_finalize (st);
    return text;
}

int
cchc_db_period_result_revision (sqlite3 *db, const char *period, int64_t *revision,
                                int64_t *journal_pos, int64_t *computed_at, char **result)
{
    assert (db && period && revision && journal_pos && computed_at);
    *revision = *journal_pos = *computed_at = 0;
    if (result)
        *result = NULL;
    sqlite3_stmt *st = s_prepare_text (db,
                                       "SELECT revision, journal_pos, computed_at, result"
                                       " FROM period_result WHERE period = ?1",
                                       period);
    if (!st)
        return -1;
    int rc = sqlite3_step (st);
    if (rc == SQLITE_ROW) {
        *revision = sqlite3_column_int64 (st, 0);
        *journal_pos = sqlite3_column_int64 (st, 1);
        *computed_at = sqlite3_column_int64 (st, 2);
        if (result && sqlite3_column_text (st, 3))
            *result = strdup ((const char *) sqlite3_column_text (st, 3));
    }
    sqlite3_finalize (st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int
cchc_db_period_result_put (sqlite3 *db, const cchc_db_period_result_put_t *put)
{
    assert (db && put && put->period && put->state && put->result);
    sqlite3_stmt *st = s_prepare_text (
        db,
        "INSERT INTO period_result (period, state, computed_at, journal_pos,"
        " journal_max, data_version, units, result, snapshot, locked_at, locked_by,"
        " reopened_at, manual)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, max (?14, 0))"
        " ON CONFLICT (period) DO UPDATE SET state = excluded.state,"
        " computed_at = excluded.computed_at, journal_pos = excluded.journal_pos,"
        " journal_max = excluded.journal_max, data_version = excluded.data_version,"
        " units = excluded.units, result = excluded.result,"
        " snapshot = excluded.snapshot, locked_at = excluded.locked_at,"
        " locked_by = excluded.locked_by,"
        " reopened_at = CASE WHEN ?13 THEN excluded.reopened_at ELSE reopened_at END,"
        " manual = CASE WHEN ?14 >= 0 THEN ?14 ELSE manual END,"
        " revision = revision + 1",
        put->period);
    if (!st)
        return -1;
    sqlite3_bind_text (st, 2, put->state, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (st, 3, put->computed_at);
    sqlite3_bind_int64 (st, 4, put->journal_pos);
    sqlite3_bind_int64 (st, 5, put->journal_max);
    sqlite3_bind_int64 (st, 6, put->data_version);
    sqlite3_bind_int64 (st, 7, put->units);
    sqlite3_bind_text (st, 8, put->result, -1, SQLITE_STATIC);
    if (put->locked) {
        sqlite3_bind_text (st, 9, put->snapshot, -1, SQLITE_STATIC);
        sqlite3_bind_int64 (st, 10, put->locked_at);
        sqlite3_bind_text (st, 11, put->locked_by, -1, SQLITE_STATIC);
    }
    if (put->reopened_at)
        sqlite3_bind_int64 (st, 12, put->reopened_at);
    sqlite3_bind_int (st, 13, put->event);
    sqlite3_bind_int (st, 14, put->manual);
    return s_run (st);
}

/* ---------------------------------------------------------- period_event */

int
cchc_db_period_event_add (sqlite3 *db, const cchc_db_period_event_t *e, const char *result)
{
    assert (db && e && e->period && e->event && e->who);
    sqlite3_stmt *st = s_prepare_text (db,
                                       "INSERT INTO period_event (period, event, at, who,"
                                       " reason, journal_pos, computed_at, result)"
                                       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                                       e->period);
    if (!st)
        return -1;
    sqlite3_bind_text (st, 2, e->event, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (st, 3, e->at);
    sqlite3_bind_text (st, 4, e->who, -1, SQLITE_STATIC);
    if (e->reason)
        sqlite3_bind_text (st, 5, e->reason, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (st, 6, e->journal_pos);
    sqlite3_bind_int64 (st, 7, e->computed_at);
    if (result)
        sqlite3_bind_text (st, 8, result, -1, SQLITE_STATIC);
    return s_run (st);
}

int
cchc_db_period_event_each (sqlite3 *db, const char *period, cchc_db_period_event_fn *fn,
                           void *arg)
{
    assert (db && fn);
    sqlite3_stmt *st =
        s_prepare_text (db,
                        "SELECT id, period, event, at, who, reason, journal_pos,"
                        " computed_at FROM period_event"
                        " WHERE ?1 IS NULL OR period = ?1 ORDER BY id",
                        period);
    if (!st)
        return -1;
    int rc;
    while ((rc = sqlite3_step (st)) == SQLITE_ROW) {
        cchc_db_period_event_t e = { .id = sqlite3_column_int64 (st, 0),
                                     .period = (const char *) sqlite3_column_text (st, 1),
                                     .event = (const char *) sqlite3_column_text (st, 2),
                                     .at = sqlite3_column_int64 (st, 3),
                                     .who = (const char *) sqlite3_column_text (st, 4),
                                     .reason = (const char *) sqlite3_column_text (st, 5),
                                     .journal_pos = sqlite3_column_int64 (st, 6),
                                     .computed_at = sqlite3_column_int64 (st, 7) };
        if (fn (&e, arg) != 0)
            break;
    }
    return s_walked (st, rc);
}

int
cchc_db_period_event_count (sqlite3 *db, const char *period, const char *event, int64_t *count)
{
    assert (db && period && event && count);
    *count = 0;
    sqlite3_stmt *st = s_prepare_text (db,
                                       "SELECT count(*) FROM period_event WHERE period = ?1"
                                       " AND event = ?2",
                                       period);
    if (!st)
        return -1;
    sqlite3_bind_text (st, 2, event, -1, SQLITE_STATIC);
    int rc = sqlite3_step (st);
    if (rc == SQLITE_ROW)
        *count = sqlite3_column_int64 (st, 0);
    sqlite3_finalize (st);
    return rc == SQLITE_ROW ? 0 : -1;
}

/* ------------------------------------------------------- the API's reads */

int
cchc_db_province_find (sqlite3 *db, int32_t day, char *code, size_t code_size, char *name,
                       size_t name_size)
{
    assert (db);
    if (code && code_size)
        *code = 0;
    if (name && name_size)
        *name = 0;
    sqlite3_stmt *st =
        s_prepare_text (db,
                        day ? "SELECT code, name FROM unit WHERE level = 'tinh'"
                              " AND valid_from <= ?1 AND (valid_to IS NULL OR valid_to >= ?1)"
                              " ORDER BY valid_from DESC LIMIT 1"
                            : "SELECT code, name FROM unit WHERE level = 'tinh'"
                              " ORDER BY valid_to DESC, valid_from DESC LIMIT 1",
                        NULL);
    if (!st)
        return -1;
    if (day)
        sqlite3_bind_int (st, 1, day);
    int rc = sqlite3_step (st);
    if (rc == SQLITE_ROW) {
        if (code && code_size)
            cchc_strlcpy (code, s_text (st, 0), code_size);
        if (name && name_size)
            cchc_strlcpy (name, s_text (st, 1), name_size);
    }
    return s_found (st, rc);
}

int
cchc_db_agent_status_each (sqlite3 *db, cchc_db_agent_status_fn *fn, void *arg)
{
    assert (db && fn);
    sqlite3_stmt *st =
        s_prepare_text (db,
                        "SELECT a.id, a.unit, a.name, a.pubkey, a.enrolled_at, a.revoked_at,"
                        "       a.last_seen, a.last_seq, a.accepted, a.duplicates, a.rejected,"
                        "       (SELECT u.name FROM unit AS u WHERE u.code = a.unit"
                        "         ORDER BY u.valid_from DESC LIMIT 1),"
                        "       a.clock_skew, a.clock_ahead, a.clock_at"
                        "  FROM agent AS a ORDER BY a.unit, a.id",
                        NULL);
    if (!st)
        return -1;
    int rc;
    while ((rc = sqlite3_step (st)) == SQLITE_ROW) {
        cchc_db_agent_status_t a = { .id = sqlite3_column_int64 (st, 0),
                                     .unit = s_text (st, 1),
                                     .name = s_text (st, 2),
                                     .unit_name = (const char *) sqlite3_column_text (st, 11),
                                     .pubkey = sqlite3_column_bytes (st, 3) == 32
                                                   ? sqlite3_column_blob (st, 3)
                                                   : NULL,
                                     .enrolled_at = sqlite3_column_int64 (st, 4),
                                     .revoked_at = sqlite3_column_int64 (st, 5),
                                     .last_seen = sqlite3_column_int64 (st, 6),
                                     .last_seq = sqlite3_column_int64 (st, 7),
                                     .accepted = sqlite3_column_int64 (st, 8),
                                     .duplicates = sqlite3_column_int64 (st, 9),
                                     .rejected = sqlite3_column_int64 (st, 10),
                                     .has_clock = sqlite3_column_type (st, 12) != SQLITE_NULL,
                                     .clock_skew = sqlite3_column_int64 (st, 12),
                                     .clock_ahead = sqlite3_column_int64 (st, 13),
                                     .clock_at = sqlite3_column_int64 (st, 14) };
        if (fn (&a, arg) != 0)
            break;
    }
    return s_walked (st, rc);
}

int
cchc_db_stats_each (sqlite3 *db, cchc_db_stat_fn *fn, void *arg)
{
    assert (db && fn);
    sqlite3_stmt *st =
        s_prepare_text (db, "SELECT name, value, updated_at FROM stats ORDER BY name", NULL);
    if (!st)
        return -1;
    int rc;
    while ((rc = sqlite3_step (st)) == SQLITE_ROW) {
        const char *name = (const char *) sqlite3_column_text (st, 0);
        if (!name)
            continue;
        cchc_db_stat_t s = { .name = name,
                             .is_integer = sqlite3_column_type (st, 1) == SQLITE_INTEGER,
                             .ival = sqlite3_column_int64 (st, 1),
                             .real = sqlite3_column_double (st, 1),
                             .updated_at = sqlite3_column_int64 (st, 2) };
        if (fn (&s, arg) != 0)
            break;
    }
    return s_walked (st, rc);
}
