/*  db.c — the collector database: open with the schema (migrate.c) and
    pragmas, and every write (see db.h).  Statements used on the ingest path are
    prepared once per connection and reset after each use.  The plain reads
    of a connection (first and last day, data version, ...) are in reads.c.
*/
#include "collector/db/db.h"
#include "collector/db/periods.h"
#include "collector/db/db_err.h"

#include "common/clock.h"
#include "common/text.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    S_JOURNAL_ADD,
    S_JOURNAL_GET,
    S_OBS_PUT,
    S_OBS_DAY,
    S_OBS_SET,
    S_AGENT_NOTE,
    S_AGENT_HIGH,
    S_STATS_PUT,
    S_COUNT
};

static const char *s_sql [S_COUNT] = {
    [S_JOURNAL_ADD] =
        "INSERT INTO journal (agent, seq, received_at, body, sig, refused, day_first,"
        " day_last) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
        " ON CONFLICT (agent, seq) DO NOTHING",
    [S_JOURNAL_GET] = "SELECT body FROM journal WHERE agent = ?1 AND seq = ?2",
    [S_OBS_PUT] = "INSERT INTO observation (agent, unit, metric, day, value, seq, journal)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
                  " ON CONFLICT (agent, metric, day) DO UPDATE SET unit = excluded.unit,"
                  " value = excluded.value, seq = excluded.seq, journal = excluded.journal"
                  " WHERE excluded.seq > observation.seq",
    [S_OBS_DAY] = "SELECT metric, seq, unit, value, journal FROM observation"
                  " WHERE day = ?1 AND agent = ?2",
    [S_OBS_SET] = "UPDATE observation SET unit = ?2, value = ?5, seq = ?6, journal = ?7"
                  " WHERE day = ?4 AND agent = ?1 AND metric = ?3 AND seq < ?6",
    [S_AGENT_NOTE] =
        "UPDATE agent SET last_seen = max(coalesce(last_seen, 0), ?2),"
        " accepted = accepted + ?3, duplicates = duplicates + ?4,"
        " rejected = rejected + ?5, last_seq = max(last_seq, ?6),"
        " clock_skew = coalesce(?7, clock_skew),"
        " clock_ahead = max(clock_ahead, coalesce(?8, 0)),"
        " clock_at = CASE WHEN ?7 IS NULL THEN clock_at ELSE ?2 END WHERE id = ?1",
    [S_AGENT_HIGH] = "SELECT last_seq FROM agent WHERE id = ?1",
    [S_STATS_PUT] = "INSERT INTO stats (name, value, updated_at) VALUES (?1, ?2, ?3)"
                    " ON CONFLICT (name) DO UPDATE SET value = excluded.value,"
                    " updated_at = excluded.updated_at",
};

struct cchc_db_t {
    sqlite3 *db;
    sqlite3_stmt *stmt [S_COUNT];
    /*  [n]: INSERT of n observation rows (1..CCHC_DB_ROWS_PER_INSERT). */
    sqlite3_stmt *obs_insert [CCHC_DB_ROWS_PER_INSERT + 1];
    /*  The last observation rows written met stored ones: read first. */
    bool obs_replacing;
    cchc_db_wal_t *wal; /* ingest mode: shared with the checkpointer */
    int errcode;
    char errmsg [256];
};

static void
s_fail (cchc_db_t *self, int rc)
{
    self->errcode = rc;
    snprintf (self->errmsg, sizeof self->errmsg, "%s",
              self->db ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc));
}

static sqlite3_stmt *
s_stmt (cchc_db_t *self, int which)
{
    if (!self->stmt [which]) {
        int rc = sqlite3_prepare_v3 (self->db, s_sql [which], -1, SQLITE_PREPARE_PERSISTENT,
                                     &self->stmt [which], NULL);
        if (rc != SQLITE_OK) {
            s_fail (self, rc);
            return NULL;
        }
    }
    return self->stmt [which];
}

/*  Step a write statement to completion and reset it. */
static int
s_done (cchc_db_t *self, sqlite3_stmt *stmt)
{
    int rc = sqlite3_step (stmt);
    if (rc != SQLITE_DONE) {
        s_fail (self, rc);
        sqlite3_reset (stmt);
        return -1;
    }
    sqlite3_reset (stmt);
    return 0;
}

static int
s_exec (cchc_db_t *self, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec (self->db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        self->errcode = rc;
        snprintf (self->errmsg, sizeof self->errmsg, "%s", msg ? msg : sqlite3_errstr (rc));
        sqlite3_free (msg);
        return -1;
    }
    return 0;
}

cchc_db_t *
cchc_db_open (const char *path, bool create, char *err, size_t errlen)
{
    assert (path);
    cchc_db_t *self = calloc (1, sizeof *self);
    if (!self) {
        s_seterr (err, errlen, "out of memory");
        return NULL;
    }
    int flags =
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
    int rc = sqlite3_open_v2 (path, &self->db, flags, NULL);
    if (rc != SQLITE_OK) {
        s_seterr (err, errlen, "%s: %s%s", path,
                  self->db ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc),
                  create ? "" : " (no database there yet?)");
        cchc_db_destroy (&self);
        return NULL;
    }
    sqlite3_extended_result_codes (self->db, 1);
    sqlite3_busy_timeout (self->db, 5000);

    /*  The version is read inside the write transaction, so two programs
        opening an old database at once migrate it once (migrate.c). */
    char why [256];
    if (s_exec (self, "PRAGMA journal_mode = WAL;")
        || s_exec (self, "PRAGMA foreign_keys = ON;")
        || s_exec (self, "PRAGMA synchronous = FULL;") || s_exec (self, "BEGIN IMMEDIATE;")) {
        s_seterr (err, errlen, "%s: %s", path, self->errmsg);
        cchc_db_destroy (&self);
        return NULL;
    }
    if (cchc_db_schema_apply (self->db, why, sizeof why)) {
        s_seterr (err, errlen, "%s: %s", path, why);
        cchc_db_destroy (&self);
        return NULL;
    }
    if (s_exec (self, "COMMIT;")) {
        s_seterr (err, errlen, "%s: %s", path, self->errmsg);
        cchc_db_destroy (&self);
        return NULL;
    }
    return self;
}

void
cchc_db_destroy (cchc_db_t **self_p)
{
    assert (self_p);
    cchc_db_t *self = *self_p;
    if (!self)
        return;
    for (int i = 0; i < S_COUNT; i++)
        sqlite3_finalize (self->stmt [i]);
    for (int i = 0; i <= CCHC_DB_ROWS_PER_INSERT; i++)
        sqlite3_finalize (self->obs_insert [i]);
    if (self->db) {
        if (!sqlite3_get_autocommit (self->db))
            sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
        sqlite3_close_v2 (self->db);
    }
    free (self);
    *self_p = NULL;
}

sqlite3 *
cchc_db_handle (cchc_db_t *self)
{
    assert (self);
    return self->db;
}

int
cchc_db_errcode (const cchc_db_t *self)
{
    assert (self);
    return self->errcode;
}

const char *
cchc_db_errmsg (const cchc_db_t *self)
{
    assert (self);
    return self->errmsg;
}

void
cchc_db_take_error (cchc_db_t *self)
{
    assert (self);
    int rc = sqlite3_extended_errcode (self->db);
    s_fail (self, rc == SQLITE_OK ? SQLITE_ERROR : rc);
}

bool
cchc_db_transient (int code)
{
    switch (code & 0xff) {
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
        case SQLITE_FULL:
        case SQLITE_IOERR:
        case SQLITE_NOMEM:
        case SQLITE_CANTOPEN:
        case SQLITE_PROTOCOL:
        case SQLITE_READONLY: return true;
        default: return false;
    }
}

int
cchc_db_tune (cchc_db_t *self, bool sync_full, int64_t busy_timeout_ms, int64_t max_pages)
{
    assert (self);
    sqlite3_busy_timeout (self->db, (int) busy_timeout_ms);
    if (s_exec (self,
                sync_full ? "PRAGMA synchronous = FULL;" : "PRAGMA synchronous = NORMAL;"))
        return -1;
    if (s_exec (self, "PRAGMA cache_size = -65536;")) /* 64 MiB */
        return -1;
    if (max_pages > 0) {
        char sql [64];
        snprintf (sql, sizeof sql, "PRAGMA max_page_count = %lld;", (long long) max_pages);
        if (s_exec (self, sql))
            return -1;
    }
    return 0;
}

static int
s_wal_hook (void *arg, sqlite3 *db, const char *name, int pages)
{
    (void) db;
    (void) name;
    atomic_store_explicit (&((cchc_db_wal_t *) arg)->pages, pages, memory_order_relaxed);
    return SQLITE_OK;
}

int
cchc_db_ingest_mode (cchc_db_t *self, cchc_db_wal_t *wal)
{
    assert (self);
    if (s_exec (self, "PRAGMA foreign_keys = OFF;")
        || s_exec (self, "PRAGMA ignore_check_constraints = ON;")
        || s_exec (self, "PRAGMA temp_store = MEMORY;"))
        return -1;
    self->wal = wal;
    if (wal)
        sqlite3_wal_hook (self->db, s_wal_hook, (void *) wal);
    else
        sqlite3_wal_autocheckpoint (self->db, 0);
    return 0;
}

int
cchc_db_checkpoint (cchc_db_t *self, cchc_db_wal_t *wal)
{
    assert (self);
    int rc = sqlite3_wal_checkpoint_v2 (self->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
        s_fail (self, rc);
        return -1;
    }
    if (wal && rc == SQLITE_OK)
        atomic_store_explicit (&wal->behind, true, memory_order_relaxed);
    return 0;
}

void
cchc_db_wal_catch_up (cchc_db_t *self)
{
    assert (self);
    if (self->wal
        && atomic_exchange_explicit (&self->wal->behind, false, memory_order_relaxed))
        sqlite3_wal_checkpoint_v2 (self->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
}

int
cchc_db_begin (cchc_db_t *self)
{
    return s_exec (self, "BEGIN IMMEDIATE;");
}

int
cchc_db_commit (cchc_db_t *self)
{
    return s_exec (self, "COMMIT;");
}

void
cchc_db_rollback (cchc_db_t *self)
{
    assert (self);
    if (!sqlite3_get_autocommit (self->db))
        sqlite3_exec (self->db, "ROLLBACK;", NULL, NULL, NULL);
}

/* ---------------------------------------------------------------- ingest */

int
cchc_db_journal_add (cchc_db_t *self, int64_t agent, uint64_t seq, int64_t received_ms,
                     const uint8_t *body, size_t len, const uint8_t sig [64],
                     const char *refused, int32_t day_first, int32_t day_last,
                     int64_t *journal_id)
{
    assert (self && body && sig && journal_id);
    sqlite3_stmt *stmt = s_stmt (self, S_JOURNAL_ADD);
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, agent);
    sqlite3_bind_int64 (stmt, 2, (sqlite3_int64) seq);
    sqlite3_bind_int64 (stmt, 3, received_ms);
    sqlite3_bind_blob (stmt, 4, body, (int) len, SQLITE_STATIC);
    sqlite3_bind_blob (stmt, 5, sig, 64, SQLITE_STATIC);
    if (refused)
        sqlite3_bind_text (stmt, 6, refused, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null (stmt, 6);
    if (day_first > 0 && day_last >= day_first) {
        sqlite3_bind_int (stmt, 7, day_first);
        sqlite3_bind_int (stmt, 8, day_last);
    }
    else {
        sqlite3_bind_null (stmt, 7);
        sqlite3_bind_null (stmt, 8);
    }
    int rc = s_done (self, stmt);
    sqlite3_clear_bindings (stmt);
    if (rc)
        return -1;
    if (sqlite3_changes (self->db) == 0)
        return 0;
    *journal_id = sqlite3_last_insert_rowid (self->db);
    return 1;
}

int
cchc_db_journal_same (cchc_db_t *self, int64_t agent, uint64_t seq, const uint8_t *body,
                      size_t len)
{
    assert (self && body);
    sqlite3_stmt *stmt = s_stmt (self, S_JOURNAL_GET);
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, agent);
    sqlite3_bind_int64 (stmt, 2, (sqlite3_int64) seq);
    int rc = sqlite3_step (stmt);
    int same = 0;
    if (rc == SQLITE_ROW) {
        const void *stored = sqlite3_column_blob (stmt, 0);
        size_t stored_len = (size_t) sqlite3_column_bytes (stmt, 0);
        same = stored_len == len && stored && memcmp (stored, body, len) == 0;
    }
    else if (rc != SQLITE_DONE) {
        s_fail (self, rc);
        same = -1;
    }
    sqlite3_reset (stmt);
    return same;
}

int
cchc_db_observation_put (cchc_db_t *self, int64_t agent, const char *unit,
                         const cchc_obs_t *obs, uint64_t seq, int64_t journal_id)
{
    assert (self && unit && obs);
    sqlite3_stmt *stmt = s_stmt (self, S_OBS_PUT);
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, agent);
    sqlite3_bind_text (stmt, 2, unit, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, obs->metric, -1, SQLITE_STATIC);
    sqlite3_bind_int (stmt, 4, cchc_db_day_ymd (obs->date));
    if (obs->is_float)
        sqlite3_bind_double (stmt, 5, obs->fval);
    else
        sqlite3_bind_int64 (stmt, 5, obs->ival);
    sqlite3_bind_int64 (stmt, 6, (sqlite3_int64) seq);
    sqlite3_bind_int64 (stmt, 7, journal_id);
    return s_done (self, stmt);
}

static void
s_bind_value (sqlite3_stmt *stmt, int index, const cchc_obs_t *obs)
{
    if (obs->is_float)
        sqlite3_bind_double (stmt, index, obs->fval);
    else
        sqlite3_bind_int64 (stmt, index, obs->ival);
}

/*  The INSERT OR IGNORE of n rows, prepared on first use. */
static sqlite3_stmt *
s_obs_insert (cchc_db_t *self, size_t n)
{
    assert (n >= 1 && n <= CCHC_DB_ROWS_PER_INSERT);
    if (self->obs_insert [n])
        return self->obs_insert [n];
    char sql [128 + CCHC_DB_ROWS_PER_INSERT * 48];
    size_t used = (size_t) snprintf (sql, sizeof sql,
                                     "INSERT OR IGNORE INTO observation"
                                     " (agent, unit, metric, day, value, seq, journal)"
                                     " VALUES ");
    for (size_t i = 0; i < n; i++) {
        int p = (int) i * 7;
        used += (size_t) snprintf (sql + used, sizeof sql - used,
                                   "%s(?%d,?%d,?%d,?%d,?%d,?%d,?%d)", i ? "," : "", p + 1,
                                   p + 2, p + 3, p + 4, p + 5, p + 6, p + 7);
    }
    int rc = sqlite3_prepare_v3 (self->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
                                 &self->obs_insert [n], NULL);
    if (rc != SQLITE_OK) {
        s_fail (self, rc);
        return NULL;
    }
    return self->obs_insert [n];
}

static int32_t
s_row_day (const cchc_db_row_t *row)
{
    return row->day ? row->day : cchc_db_day_ymd (row->obs->date);
}

/*  Bind row's 7 values from parameter p + 1 on, in the INSERT's order. */
static void
s_obs_bind (sqlite3_stmt *stmt, int p, const cchc_db_row_t *row)
{
    sqlite3_bind_int64 (stmt, p + 1, row->agent);
    sqlite3_bind_text (stmt, p + 2, row->unit, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, p + 3, row->obs->metric, -1, SQLITE_STATIC);
    sqlite3_bind_int (stmt, p + 4, s_row_day (row));
    s_bind_value (stmt, p + 5, row->obs);
    sqlite3_bind_int64 (stmt, p + 6, (sqlite3_int64) row->seq);
    sqlite3_bind_int64 (stmt, p + 7, row->journal);
}

static int
s_obs_internal (cchc_db_t *self, const char *what)
{
    s_fail (self, SQLITE_INTERNAL);
    snprintf (self->errmsg, sizeof self->errmsg, "observation write: %s", what);
    return -1;
}

/*  What the stored rows of rows[0..n) say, each (day, agent) read once
    along the key (a report's rows are one or two such runs) instead of a
    seek per row: result[i] -1 none stored, 1 stored by this row (its
    INSERT), 0 a row of this seq or a higher one is stored (left alone), 2
    an older one is (old[i] describes it: to replace).  0 or -1. */
static int
s_obs_read (cchc_db_t *self, const cchc_db_row_t *rows, size_t n, int *result,
            cchc_db_old_t *old)
{
    sqlite3_stmt *st = s_stmt (self, S_OBS_DAY);
    if (!st)
        return -1;
    for (size_t i = 0; i < n; i++)
        result [i] = -1;
    for (size_t g = 0; g < n;) {
        int32_t day = s_row_day (&rows [g]);
        size_t end = g + 1;
        while (end < n && rows [end].agent == rows [g].agent && s_row_day (&rows [end]) == day)
            end++;
        sqlite3_bind_int (st, 1, day);
        sqlite3_bind_int64 (st, 2, rows [g].agent);
        int rc;
        while ((rc = sqlite3_step (st)) == SQLITE_ROW) {
            const char *metric = (const char *) sqlite3_column_text (st, 0);
            size_t i = g;
            while (i < end
                   && (result [i] != -1 || !metric || strcmp (rows [i].obs->metric, metric)))
                i++;
            if (i == end)
                continue; /* a metric these rows do not carry */
            int64_t seq = sqlite3_column_int64 (st, 1);
            if (seq == (int64_t) rows [i].seq
                && sqlite3_column_int64 (st, 4) == rows [i].journal) {
                result [i] = 1;
                continue;
            }
            const char *unit = (const char *) sqlite3_column_text (st, 2);
            cchc_strlcpy (old [i].unit, unit ? unit : "", sizeof old [i].unit);
            old [i].is_float = sqlite3_column_type (st, 3) == SQLITE_FLOAT;
            old [i].ival = old [i].is_float ? 0 : sqlite3_column_int64 (st, 3);
            old [i].fval = old [i].is_float ? sqlite3_column_double (st, 3) : 0;
            result [i] = seq >= (int64_t) rows [i].seq ? 0 : 2;
        }
        sqlite3_reset (st);
        if (rc != SQLITE_DONE) {
            s_fail (self, rc);
            return -1;
        }
        g = end;
    }
    return 0;
}

/*  INSERT OR IGNORE of the rows whose `pick` is set (all of them when pick
    is NULL), n at most CCHC_DB_ROWS_PER_INSERT; *added: rows inserted.  0
    or -1. */
static int
s_obs_add (cchc_db_t *self, const cchc_db_row_t *rows, size_t n, const int *pick,
           size_t *added)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += !pick || pick [i] == -1;
    *added = 0;
    if (k == 0)
        return 0;
    sqlite3_stmt *stmt = s_obs_insert (self, k);
    if (!stmt)
        return -1;
    k = 0;
    for (size_t i = 0; i < n; i++)
        if (!pick || pick [i] == -1)
            s_obs_bind (stmt, (int) k++ * 7, &rows [i]);
    if (s_done (self, stmt))
        return -1;
    *added = (size_t) sqlite3_changes (self->db);
    return 0;
}

/*  The rows of result 2 written over the older stored ones (one UPDATE
    each: as cheap as a multi-row upsert, measured, and simpler).  0 or -1. */
static int
s_obs_replace (cchc_db_t *self, const cchc_db_row_t *rows, size_t n, const int *result)
{
    for (size_t i = 0; i < n; i++) {
        if (result [i] != 2)
            continue;
        sqlite3_stmt *stmt = s_stmt (self, S_OBS_SET);
        if (!stmt)
            return -1;
        s_obs_bind (stmt, 0, &rows [i]);
        if (s_done (self, stmt))
            return -1;
        if (sqlite3_changes (self->db) != 1)
            return s_obs_internal (self, "a row to replace not found");
    }
    return 0;
}

/*  One statement's worth of rows (see db.h).  New rows (a backlog, a new
    day) are inserted first and read back only if the INSERT met stored
    rows; once rows met stored ones (a running agent re-sending today's
    figures: most reports), the next are read first, so that the INSERT
    does not try every row in vain. */
static int
s_obs_write (cchc_db_t *self, const cchc_db_row_t *rows, size_t n, int *result,
             cchc_db_old_t *old)
{
    size_t added = 0, absent = 0;
    if (!self->obs_replacing) {
        if (s_obs_add (self, rows, n, NULL, &added))
            return -1;
        if (added == n) {
            for (size_t i = 0; i < n; i++)
                result [i] = 1;
            return 0;
        }
        if (s_obs_read (self, rows, n, result, old))
            return -1;
    }
    else {
        if (s_obs_read (self, rows, n, result, old))
            return -1;
        for (size_t i = 0; i < n; i++)
            absent += result [i] == -1;
        if (s_obs_add (self, rows, n, result, &added))
            return -1;
        if (added != absent)
            return s_obs_internal (self, "a row read as absent not inserted");
        for (size_t i = 0; i < n; i++)
            if (result [i] == -1)
                result [i] = 1;
    }
    size_t stored = 0;
    for (size_t i = 0; i < n; i++) {
        if (result [i] == -1)
            return s_obs_internal (self, "a row neither inserted nor stored before");
        stored += result [i] != 1;
    }
    self->obs_replacing = stored > 0;
    return s_obs_replace (self, rows, n, result);
}

int
cchc_db_observations_write (cchc_db_t *self, const cchc_db_row_t *rows, size_t count,
                            int *result, cchc_db_old_t *old)
{
    assert (self && (rows || !count) && result && old);
    for (size_t done = 0; done < count;) {
        size_t n = count - done;
        if (n > CCHC_DB_ROWS_PER_INSERT)
            n = CCHC_DB_ROWS_PER_INSERT;
        if (s_obs_write (self, &rows [done], n, &result [done], &old [done]))
            return -1;
        done += n;
    }
    return 0;
}

int
cchc_db_triggers (cchc_db_t *self, bool on)
{
    assert (self);
    int now = -1;
    int rc = sqlite3_db_config (self->db, SQLITE_DBCONFIG_ENABLE_TRIGGER, on ? 1 : 0, &now);
    if (rc != SQLITE_OK || now != (on ? 1 : 0)) {
        s_fail (self, rc != SQLITE_OK ? rc : SQLITE_ERROR);
        return -1;
    }
    return 0;
}

int
cchc_db_agent_note (cchc_db_t *self, int64_t agent, int64_t seen_ms, int accepted,
                    int duplicates, int rejected, uint64_t accepted_seq, bool has_skew,
                    int64_t skew_ms, int64_t ahead_ms)
{
    assert (self);
    sqlite3_stmt *stmt = s_stmt (self, S_AGENT_NOTE);
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, agent);
    sqlite3_bind_int64 (stmt, 2, seen_ms);
    sqlite3_bind_int (stmt, 3, accepted);
    sqlite3_bind_int (stmt, 4, duplicates);
    sqlite3_bind_int (stmt, 5, rejected);
    sqlite3_bind_int64 (stmt, 6, (sqlite3_int64) accepted_seq);
    if (has_skew) {
        sqlite3_bind_int64 (stmt, 7, skew_ms);
        sqlite3_bind_int64 (stmt, 8, ahead_ms);
    }
    else {
        sqlite3_bind_null (stmt, 7);
        sqlite3_bind_null (stmt, 8);
    }
    return s_done (self, stmt);
}

int
cchc_db_agent_high (cchc_db_t *self, int64_t agent, uint64_t *high)
{
    assert (self && high);
    *high = 0;
    sqlite3_stmt *stmt = s_stmt (self, S_AGENT_HIGH);
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, agent);
    int rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW) {
        sqlite3_int64 v = sqlite3_column_int64 (stmt, 0);
        *high = v > 0 ? (uint64_t) v : 0;
        rc = SQLITE_DONE;
    }
    sqlite3_reset (stmt);
    if (rc != SQLITE_DONE) {
        s_fail (self, rc);
        return -1;
    }
    return 0;
}

int
cchc_db_stats_put (cchc_db_t *self, const char *name, int64_t value, int64_t now_ms)
{
    assert (self && name);
    sqlite3_stmt *stmt = s_stmt (self, S_STATS_PUT);
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64 (stmt, 2, value);
    sqlite3_bind_int64 (stmt, 3, now_ms);
    return s_done (self, stmt);
}

int
cchc_db_stats_put_real (cchc_db_t *self, const char *name, double value, int64_t now_ms)
{
    assert (self && name);
    sqlite3_stmt *stmt = s_stmt (self, S_STATS_PUT);
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double (stmt, 2, value);
    sqlite3_bind_int64 (stmt, 3, now_ms);
    return s_done (self, stmt);
}

int
cchc_db_stats_clear (cchc_db_t *self)
{
    assert (self);
    return s_exec (self, "DELETE FROM stats;");
}

/* ------------------------------------------------------------- enrolment */

int
cchc_db_enrolment_version (cchc_db_t *self, int64_t *version)
{
    assert (self && version);
    sqlite3_stmt *stmt;
    int rc = sqlite3_prepare_v2 (self->db, "SELECT version FROM enrolment WHERE id = 1", -1,
                                 &stmt, NULL);
    if (rc != SQLITE_OK) {
        s_fail (self, rc);
        return -1;
    }
    rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW)
        *version = sqlite3_column_int64 (stmt, 0);
    else if (rc == SQLITE_DONE)
        *version = 0;
    else {
        s_fail (self, rc);
        sqlite3_finalize (stmt);
        return -1;
    }
    sqlite3_finalize (stmt);
    return 0;
}

int
cchc_db_agents_each (cchc_db_t *self, int (*fn) (const cchc_db_agent_t *agent, void *arg),
                     void *arg)
{
    assert (self && fn);
    sqlite3_stmt *stmt;
    int rc = sqlite3_prepare_v2 (
        self->db, "SELECT id, pubkey, unit, revoked_at IS NOT NULL FROM agent ORDER BY id", -1,
        &stmt, NULL);
    if (rc != SQLITE_OK) {
        s_fail (self, rc);
        return -1;
    }
    int result = 0;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        cchc_db_agent_t agent;
        memset (&agent, 0, sizeof agent);
        agent.id = sqlite3_column_int64 (stmt, 0);
        const void *pk = sqlite3_column_blob (stmt, 1);
        if (!pk || sqlite3_column_bytes (stmt, 1) != 32)
            continue;
        memcpy (agent.pubkey, pk, 32);
        const char *unit = (const char *) sqlite3_column_text (stmt, 2);
        cchc_strlcpy (agent.unit, unit ? unit : "", sizeof agent.unit);
        agent.revoked = sqlite3_column_int (stmt, 3) != 0;
        if (fn (&agent, arg)) {
            result = -1;
            break;
        }
    }
    if (result == 0 && rc != SQLITE_DONE) {
        s_fail (self, rc);
        result = -1;
    }
    sqlite3_finalize (stmt);
    return result;
}

static int32_t
s_today_ymd (void)
{
    return cchc_db_day_ymd (cchc_date_from_utc_ms (cchc_clock_now_ms ()));
}

int64_t
cchc_db_agent_enroll (cchc_db_t *self, const uint8_t pubkey [32], const char *unit,
                      const char *name, int64_t now_ms, char *err, size_t errlen)
{
    return cchc_db_agent_enroll_on (self, pubkey, unit, name, 0, now_ms, err, errlen);
}

int64_t
cchc_db_agent_enroll_on (cchc_db_t *self, const uint8_t pubkey [32], const char *unit,
                         const char *name, int32_t on_ymd, int64_t now_ms, char *err,
                         size_t errlen)
{
    assert (self && pubkey && unit && name);
    if (!*name || !cchc_utf8_valid (name, strlen (name)) || strlen (name) > 200) {
        s_seterr (err, errlen, "the name must be 1..200 bytes of UTF-8");
        return -1;
    }
    if (cchc_db_begin (self)) {
        s_seterr (err, errlen, "%s", self->errmsg);
        return -1;
    }
    int64_t id = -1;
    sqlite3_stmt *stmt = NULL;
    int32_t today = on_ymd > 0 ? on_ymd : s_today_ymd ();
    int rc = sqlite3_prepare_v2 (
        self->db, "SELECT 1 FROM unit WHERE code = ?1 AND valid_from <= ?2 AND valid_to >= ?2",
        -1, &stmt, NULL);
    if (rc != SQLITE_OK)
        goto dberror;
    sqlite3_bind_text (stmt, 1, unit, -1, SQLITE_STATIC);
    sqlite3_bind_int (stmt, 2, today);
    rc = sqlite3_step (stmt);
    sqlite3_finalize (stmt);
    stmt = NULL;
    if (rc == SQLITE_DONE) {
        if (on_ymd > 0)
            s_seterr (err, errlen, "no unit '%s' valid on %04d-%02d-%02d", unit,
                      (int) (on_ymd / 10000), (int) (on_ymd / 100 % 100),
                      (int) (on_ymd % 100));
        else
            s_seterr (err, errlen,
                      "no unit '%s' valid today (import units first: "
                      "cchcctl units import FILE.csv; a unit closed by a "
                      "reorganisation: --on DATE)",
                      unit);
        goto failed;
    }
    if (rc != SQLITE_ROW)
        goto dberror;

    rc = sqlite3_prepare_v2 (self->db,
                             "SELECT id, revoked_at IS NOT NULL FROM agent WHERE pubkey = ?1",
                             -1, &stmt, NULL);
    if (rc != SQLITE_OK)
        goto dberror;
    sqlite3_bind_blob (stmt, 1, pubkey, 32, SQLITE_STATIC);
    rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW) {
        s_seterr (err, errlen, "this key is already enrolled as agent %lld%s",
                  (long long) sqlite3_column_int64 (stmt, 0),
                  sqlite3_column_int (stmt, 1) ? " (revoked: a revoked key is "
                                                 "never enrolled again, make a new one)"
                                               : "");
        sqlite3_finalize (stmt);
        goto failed;
    }
    sqlite3_finalize (stmt);
    stmt = NULL;
    if (rc != SQLITE_DONE)
        goto dberror;

    rc = sqlite3_prepare_v2 (
        self->db,
        "INSERT INTO agent (pubkey, unit, name, enrolled_at) VALUES (?1, ?2, ?3, ?4)", -1,
        &stmt, NULL);
    if (rc != SQLITE_OK)
        goto dberror;
    sqlite3_bind_blob (stmt, 1, pubkey, 32, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, unit, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 4, now_ms);
    rc = sqlite3_step (stmt);
    sqlite3_finalize (stmt);
    stmt = NULL;
    if (rc != SQLITE_DONE)
        goto dberror;
    id = sqlite3_last_insert_rowid (self->db);
    if (cchc_db_commit (self)) {
        s_seterr (err, errlen, "%s", self->errmsg);
        cchc_db_rollback (self);
        return -1;
    }
    return id;

dberror:
    s_seterr (err, errlen, "database: %s", sqlite3_errmsg (self->db));
failed:
    cchc_db_rollback (self);
    return -1;
}

int64_t
cchc_db_agent_revoke (cchc_db_t *self, const uint8_t *pubkey, int64_t id, int64_t now_ms,
                      char *err, size_t errlen)
{
    assert (self);
    sqlite3_stmt *stmt;
    int rc = sqlite3_prepare_v2 (self->db,
                                 pubkey ? "SELECT id, revoked_at FROM agent WHERE pubkey = ?1"
                                        : "SELECT id, revoked_at FROM agent WHERE id = ?1",
                                 -1, &stmt, NULL);
    if (rc != SQLITE_OK) {
        s_seterr (err, errlen, "database: %s", sqlite3_errmsg (self->db));
        return -1;
    }
    if (pubkey)
        sqlite3_bind_blob (stmt, 1, pubkey, 32, SQLITE_STATIC);
    else
        sqlite3_bind_int64 (stmt, 1, id);
    rc = sqlite3_step (stmt);
    if (rc != SQLITE_ROW) {
        if (rc == SQLITE_DONE)
            s_seterr (err, errlen, "no such agent");
        else
            s_seterr (err, errlen, "database: %s", sqlite3_errmsg (self->db));
        sqlite3_finalize (stmt);
        return -1;
    }
    id = sqlite3_column_int64 (stmt, 0);
    bool already = sqlite3_column_type (stmt, 1) != SQLITE_NULL;
    sqlite3_finalize (stmt);
    if (already)
        return id; /* revoking twice is harmless */

    rc = sqlite3_prepare_v2 (
        self->db, "UPDATE agent SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL", -1,
        &stmt, NULL);
    if (rc != SQLITE_OK) {
        s_seterr (err, errlen, "database: %s", sqlite3_errmsg (self->db));
        return -1;
    }
    sqlite3_bind_int64 (stmt, 1, id);
    sqlite3_bind_int64 (stmt, 2, now_ms);
    rc = sqlite3_step (stmt);
    sqlite3_finalize (stmt);
    if (rc != SQLITE_DONE) {
        s_seterr (err, errlen, "database: %s", sqlite3_errmsg (self->db));
        return -1;
    }
    return id;
}
