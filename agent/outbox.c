/*  outbox.c — the durable outbox (see outbox.h for the tables and the life
    of an observation).  Every write is one IMMEDIATE transaction; the file is
    in WAL mode with synchronous=FULL so a commit survives power loss. */
#include "agent/outbox.h"
#include "proto/figures.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sqlite3.h>

#include "common/clock.h"
#include "common/text.h"
#include "proto/proto.h"

#define S_SCHEMA_VERSION 2
#define S_BUSY_TIMEOUT_MS 10000

/*  Version 2 added `aside` (damaged messages set aside). */
#define S_SCHEMA_ASIDE                                                        \
    "CREATE TABLE IF NOT EXISTS aside (\n"                                    \
    "  seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, reason TEXT NOT NULL,\n" \
    "  created_at, nobs, body, sig);\n"

static const char *s_schema =
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);\n"
    "CREATE TABLE IF NOT EXISTS latest (\n"
    "  metric TEXT NOT NULL, day INTEGER NOT NULL, value NOT NULL,\n"
    "  PRIMARY KEY (metric, day)) WITHOUT ROWID;\n"
    "CREATE TABLE IF NOT EXISTS pending (\n"
    "  id INTEGER PRIMARY KEY, metric TEXT NOT NULL, day INTEGER NOT NULL,\n"
    "  value NOT NULL, queued_at INTEGER NOT NULL, UNIQUE (metric, day));\n"
    "CREATE TABLE IF NOT EXISTS message (\n"
    "  seq INTEGER PRIMARY KEY, created_at INTEGER NOT NULL, body BLOB NOT NULL,\n"
    "  sig BLOB NOT NULL CHECK (length(sig) = 64), nobs INTEGER NOT NULL,\n"
    "  oldest_at INTEGER NOT NULL);\n"
    "CREATE TABLE IF NOT EXISTS dead (\n"
    "  id INTEGER PRIMARY KEY, at INTEGER NOT NULL, seq INTEGER NOT NULL,\n"
    "  metric TEXT NOT NULL, day INTEGER NOT NULL, value NOT NULL,\n"
    "  status INTEGER NOT NULL, reason INTEGER NOT NULL, detail TEXT NOT NULL);\n"
    "CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT "
    "NULL);\n" S_SCHEMA_ASIDE "CREATE TABLE IF NOT EXISTS source_state (\n"
    "  name TEXT PRIMARY KEY, last_run INTEGER NOT NULL DEFAULT 0,\n"
    "  last_ok INTEGER NOT NULL DEFAULT 0, last_error TEXT NOT NULL DEFAULT '',\n"
    "  last_error_at INTEGER NOT NULL DEFAULT 0, runs INTEGER NOT NULL DEFAULT 0,\n"
    "  obs_total INTEGER NOT NULL DEFAULT 0);\n";

struct cchc_outbox_t {
    sqlite3 *db;
    char path [512];
};

/*  Formats "context: sqlite message" into err. */
static void
s_err (cchc_outbox_t *self, char *err, size_t errlen, const char *what)
{
    if (err && errlen)
        snprintf (err, errlen, "outbox %s: %s: %s", self->path, what,
                  sqlite3_errmsg (self->db));
}

static int
s_exec (cchc_outbox_t *self, const char *sql, char *err, size_t errlen)
{
    char *msg = NULL;
    if (sqlite3_exec (self->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        if (err && errlen)
            snprintf (err, errlen, "outbox %s: %s", self->path,
                      msg ? msg : sqlite3_errmsg (self->db));
        sqlite3_free (msg);
        return -1;
    }
    return 0;
}

static int
s_begin (cchc_outbox_t *self, char *err, size_t errlen)
{
    return s_exec (self, "BEGIN IMMEDIATE", err, errlen);
}

static int
s_commit (cchc_outbox_t *self, char *err, size_t errlen)
{
    if (s_exec (self, "COMMIT", err, errlen) != 0) {
        sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    return 0;
}

static void
s_rollback (cchc_outbox_t *self)
{
    if (!sqlite3_get_autocommit (self->db))
        sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
}

/*  Ends the caller's transaction by its outcome rc: commits when rc is 0,
    else rolls back.  Returns 0, or -1 (rc failed, or the commit did). */
static int
s_end (cchc_outbox_t *self, int rc, char *err, size_t errlen)
{
    if (rc != 0) {
        s_rollback (self);
        return -1;
    }
    return s_commit (self, err, errlen);
}

static sqlite3_stmt *
s_prepare (cchc_outbox_t *self, const char *sql, char *err, size_t errlen)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        s_err (self, err, errlen, "prepare");
        return NULL;
    }
    return stmt;
}

/*  Copies text column i of stmt into buf (truncated to size; "" for NULL). */
static void
s_column_copy (sqlite3_stmt *stmt, int i, char *buf, size_t size)
{
    const char *text = (const char *) sqlite3_column_text (stmt, i);
    cchc_strlcpy (buf, text ? text : "", size);
}

/*  The caller's callback of a cchc_outbox_*_each walk, for its row
    function (s_dead_row, s_aside_row, s_source_row). */
typedef struct {
    union {
        cchc_outbox_dead_fn dead;
        cchc_outbox_aside_fn aside;
        cchc_outbox_source_fn source;
    } fn;
    void *arg;
} s_each_t;

/*  Each row of `sql` (no parameters) to `row` until it returns non-zero (a
    stop, not an error); `what` names the rows in an error.  0 or -1. */
typedef int (s_row_fn) (sqlite3_stmt *stmt, void *ctx);

static int
s_rows_each (cchc_outbox_t *self, const char *sql, const char *what, s_row_fn *row, void *ctx,
             char *err, size_t errlen)
{
    sqlite3_stmt *stmt = s_prepare (self, sql, err, errlen);
    if (!stmt)
        return -1;
    int step;
    while ((step = sqlite3_step (stmt)) == SQLITE_ROW)
        if (row (stmt, ctx) != 0) {
            step = SQLITE_DONE;
            break;
        }
    sqlite3_finalize (stmt);
    if (step != SQLITE_DONE) {
        s_err (self, err, errlen, what);
        return -1;
    }
    return 0;
}

static int64_t
s_meta_get (cchc_outbox_t *self, const char *key, int64_t dflt)
{
    sqlite3_stmt *stmt = s_prepare (self, "SELECT value FROM meta WHERE key = ?", NULL, 0);
    if (!stmt)
        return dflt;
    sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
    int64_t v = dflt;
    if (sqlite3_step (stmt) == SQLITE_ROW)
        v = sqlite3_column_int64 (stmt, 0);
    sqlite3_finalize (stmt);
    return v;
}

static int
s_meta_set (cchc_outbox_t *self, const char *key, int64_t value, char *err, size_t errlen)
{
    sqlite3_stmt *stmt = s_prepare (self,
                                    "INSERT INTO meta (key, value) VALUES (?, ?) "
                                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                                    err, errlen);
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 2, value);
    int rc = sqlite3_step (stmt) == SQLITE_DONE ? 0 : -1;
    if (rc)
        s_err (self, err, errlen, "meta");
    sqlite3_finalize (stmt);
    return rc;
}

/*  What our reports announce (PROTOCOL.md §13, revisions 1.2 and 1.3):
    "caps" with CCHC_CAP_HIGH and CCHC_CAP_BATCH, unless a collector older than 1.2 refused the key
    (cchc_outbox_caps_refused) less than S_CAPS_PROBE_MS ago: then none,
    and the announcement is tried again after that. */
#define S_CAPS_PROBE_MS (24 * 3600 * 1000LL)
static uint32_t
s_caps (cchc_outbox_t *self, int64_t now_ms)
{
    int64_t caps = s_meta_get (self, "caps", CCHC_CAP_HIGH);
    int64_t at = s_meta_get (self, "caps_refused_at", 0);
    if (caps == 0 && now_ms - at >= S_CAPS_PROBE_MS)
        caps = CCHC_CAP_HIGH;
    return caps != 0 ? CCHC_CAP_HIGH | CCHC_CAP_BATCH : 0;
}

/*  PRAGMA quick_check: the b-trees and pages are sound (a few ms for an
    outbox of normal size).  0, or -1 with what is wrong and what to do. */
static int
s_integrity (cchc_outbox_t *self, char *err, size_t errlen)
{
    sqlite3_stmt *stmt = s_prepare (self, "PRAGMA quick_check(4)", err, errlen);
    if (!stmt)
        return -1;
    char problems [300] = "";
    int step;
    while ((step = sqlite3_step (stmt)) == SQLITE_ROW) {
        const char *r = (const char *) sqlite3_column_text (stmt, 0);
        if (r && strcmp (r, "ok") != 0) {
            size_t used = strlen (problems);
            snprintf (problems + used, sizeof problems - used, "%s%s", used ? "; " : "", r);
        }
    }
    if (step != SQLITE_DONE && !problems [0])
        snprintf (problems, sizeof problems, "%s", sqlite3_errmsg (self->db));
    sqlite3_finalize (stmt);
    if (problems [0]) {
        snprintf (err, errlen,
                  "outbox %s is DAMAGED (integrity check: %s). Stop the agent, "
                  "keep a copy of the file for inspection, try `sqlite3 %s .recover` into a "
                  "new file, or remove it and start again (a new outbox is created; values "
                  "not yet delivered must be collected again)",
                  self->path, problems, self->path);
        return -1;
    }
    return 0;
}

/*  Creates the schema and the initial seq of a new outbox, or brings an
    older schema up to date, in one transaction. Returns 0, or -1 with err
    set (rolled back) if the database fails or its schema is newer than
    this agent. */
static int
s_schema_ensure (cchc_outbox_t *self, char *err, size_t errlen)
{
    if (s_begin (self, err, errlen) != 0) {
        return -1;
    }
    sqlite3_stmt *stmt = s_prepare (self, "PRAGMA user_version", err, errlen);
    int version = -1;
    if (stmt && sqlite3_step (stmt) == SQLITE_ROW)
        version = sqlite3_column_int (stmt, 0);
    sqlite3_finalize (stmt);
    if (version < 0) {
        s_rollback (self);
        return -1;
    }
    if (version > S_SCHEMA_VERSION) {
        snprintf (err, errlen, "outbox %s: schema version %d is newer than this agent (%d)",
                  self->path, version, S_SCHEMA_VERSION);
        s_rollback (self);
        return -1;
    }
    if (version == 0) {
        char pragma [64];
        snprintf (pragma, sizeof pragma, "PRAGMA user_version=%d", S_SCHEMA_VERSION);
        /*  A fresh outbox starts its seqs at the current time in µs (see
            outbox.h), clamped to at least 1. */
        int64_t first = cchc_clock_now_ms () * 1000;
        if (first < 1)
            first = 1;
        if (s_exec (self, s_schema, err, errlen) != 0
            || s_exec (self, pragma, err, errlen) != 0
            || s_meta_set (self, "next_seq", first, err, errlen) != 0
            || s_meta_set (self, "first_seq", first, err, errlen) != 0) {
            s_rollback (self);
            return -1;
        }
    }
    else if (version < S_SCHEMA_VERSION) {
        char pragma [64];
        snprintf (pragma, sizeof pragma, "PRAGMA user_version=%d", S_SCHEMA_VERSION);
        if (s_exec (self, S_SCHEMA_ASIDE, err, errlen) != 0
            || s_exec (self, pragma, err, errlen) != 0) {
            s_rollback (self);
            return -1;
        }
    }
    if (s_commit (self, err, errlen) != 0) {
        return -1;
    }
    return 0;
}

cchc_outbox_t *
cchc_outbox_open (const char *path, bool create, char *err, size_t errlen)
{
    assert (path);
    cchc_outbox_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, errlen, "out of memory");
        return NULL;
    }
    cchc_strlcpy (self->path, path, sizeof self->path);
    /*  An outbox that exists but holds 0 bytes (truncated by a disk or
        file-system accident, or by hand) would be taken by SQLite for a new
        empty database: its undelivered values would vanish without a word.
        Refuse it and say what to do (unless a WAL file holds its pages). */
    struct stat st, wal;
    char walpath [600];
    snprintf (walpath, sizeof walpath, "%s-wal", path);
    if (stat (path, &st) == 0 && S_ISREG (st.st_mode) && st.st_size == 0
        && !(stat (walpath, &wal) == 0 && wal.st_size > 0)) {
        snprintf (err, errlen,
                  "outbox %s is empty (0 bytes): the file was truncated "
                  "or damaged and the values it held are gone; it is not re-created "
                  "on its own. Keep a copy of it for inspection, remove it (and any "
                  "%s-wal / -shm), then start the agent again: a new outbox is created "
                  "and the figures are collected again from the sources",
                  path, path);
        cchc_outbox_destroy (&self);
        return NULL;
    }
    int flags =
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
    if (sqlite3_open_v2 (path, &self->db, flags, NULL) != SQLITE_OK) {
        snprintf (err, errlen, "outbox %s: cannot open: %s", path,
                  self->db ? sqlite3_errmsg (self->db) : "out of memory");
        cchc_outbox_destroy (&self);
        return NULL;
    }
    sqlite3_busy_timeout (self->db, S_BUSY_TIMEOUT_MS);
    sqlite3_extended_result_codes (self->db, 1);
    if (s_exec (self, "PRAGMA journal_mode=WAL", err, errlen) != 0
        || s_exec (self, "PRAGMA synchronous=FULL", err, errlen) != 0
        || s_exec (self, "PRAGMA cache_size=-256", err, errlen) != 0
        || s_exec (self, "PRAGMA foreign_keys=ON", err, errlen) != 0
        || s_integrity (self, err, errlen) != 0) {
        cchc_outbox_destroy (&self);
        return NULL;
    }
    if (s_schema_ensure (self, err, errlen) != 0) {
        cchc_outbox_destroy (&self);
        return NULL;
    }
    return self;
}

void
cchc_outbox_destroy (cchc_outbox_t **self_p)
{
    assert (self_p);
    cchc_outbox_t *self = *self_p;
    if (!self)
        return;
    if (self->db)
        sqlite3_close_v2 (self->db);
    free (self);
    *self_p = NULL;
}

/*  Value binding and comparison. */
static void
s_bind_value (sqlite3_stmt *stmt, int col, const cchc_obs_t *o)
{
    if (o->is_float)
        sqlite3_bind_double (stmt, col, o->fval);
    else
        sqlite3_bind_int64 (stmt, col, o->ival);
}

static void
s_column_value (sqlite3_stmt *stmt, int col, bool *is_float, int64_t *ival, double *fval)
{
    if (sqlite3_column_type (stmt, col) == SQLITE_FLOAT) {
        *is_float = true;
        *fval = sqlite3_column_double (stmt, col);
        *ival = 0;
    }
    else {
        *is_float = false;
        *ival = sqlite3_column_int64 (stmt, col);
        *fval = 0;
    }
}

static bool
s_value_same (sqlite3_stmt *stmt, int col, const cchc_obs_t *o)
{
    bool is_float;
    int64_t ival;
    double fval;
    s_column_value (stmt, col, &is_float, &ival, &fval);
    if (is_float != o->is_float)
        return false;
    if (is_float)
        return memcmp (&fval, &o->fval, sizeof fval) == 0;
    return ival == o->ival;
}

int
cchc_outbox_observe (cchc_outbox_t *self, const cchc_obs_t *obs, size_t n, int64_t now_ms,
                     size_t *queued, char *err, size_t errlen)
{
    assert (self);
    assert (obs || n == 0);
    if (queued)
        *queued = 0;
    for (size_t i = 0; i < n; i++) {
        const cchc_obs_t *o = &obs [i];
        if (!cchc_metric_code_valid (o->metric, strnlen (o->metric, sizeof o->metric))) {
            snprintf (err, errlen, "invalid metric code '%.48s'", o->metric);
            return -1;
        }
        if (o->is_float && !isfinite (o->fval)) {
            snprintf (err, errlen, "%s: value is not a finite number", o->metric);
            return -1;
        }
    }
    if (n == 0)
        return 0;
    if (s_begin (self, err, errlen) != 0)
        return -1;
    sqlite3_stmt *get =
        s_prepare (self, "SELECT value FROM latest WHERE metric = ? AND day = ?", err, errlen);
    sqlite3_stmt *put =
        s_prepare (self,
                   "INSERT INTO latest (metric, day, value) VALUES (?, ?, ?) "
                   "ON CONFLICT (metric, day) DO UPDATE SET value = excluded.value",
                   err, errlen);
    sqlite3_stmt *pend =
        s_prepare (self,
                   "INSERT INTO pending (metric, day, value, queued_at) VALUES (?, ?, ?, ?) "
                   "ON CONFLICT (metric, day) DO UPDATE SET value = excluded.value",
                   err, errlen);
    size_t count = 0;
    int rc = (get && put && pend) ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const cchc_obs_t *o = &obs [i];
        int day = cchc_date_to_yyyymmdd (o->date);
        sqlite3_reset (get);
        sqlite3_bind_text (get, 1, o->metric, -1, SQLITE_STATIC);
        sqlite3_bind_int (get, 2, day);
        int step = sqlite3_step (get);
        if (step == SQLITE_ROW && s_value_same (get, 0, o))
            continue;
        if (step != SQLITE_ROW && step != SQLITE_DONE) {
            s_err (self, err, errlen, "read latest");
            rc = -1;
            break;
        }
        sqlite3_reset (put);
        sqlite3_bind_text (put, 1, o->metric, -1, SQLITE_STATIC);
        sqlite3_bind_int (put, 2, day);
        s_bind_value (put, 3, o);
        sqlite3_reset (pend);
        sqlite3_bind_text (pend, 1, o->metric, -1, SQLITE_STATIC);
        sqlite3_bind_int (pend, 2, day);
        s_bind_value (pend, 3, o);
        sqlite3_bind_int64 (pend, 4, now_ms);
        if (sqlite3_step (put) != SQLITE_DONE || sqlite3_step (pend) != SQLITE_DONE) {
            s_err (self, err, errlen, "queue");
            rc = -1;
            break;
        }
        count++;
    }
    sqlite3_finalize (get);
    sqlite3_finalize (put);
    sqlite3_finalize (pend);
    if (rc != 0) {
        s_rollback (self);
        return -1;
    }
    if (s_commit (self, err, errlen) != 0)
        return -1;
    if (queued)
        *queued = count;
    return 0;
}

/*  Read up to max pending rows (oldest first) into obs[] and ids[]. */
static int
s_pending_read (cchc_outbox_t *self, size_t max, cchc_obs_t *obs, int64_t *ids,
                int64_t *queued, size_t *n, char *err, size_t errlen)
{
    sqlite3_stmt *stmt = s_prepare (
        self, "SELECT id, metric, day, value, queued_at FROM pending ORDER BY id LIMIT ?", err,
        errlen);
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, (int64_t) max);
    *n = 0;
    int step;
    while ((step = sqlite3_step (stmt)) == SQLITE_ROW) {
        cchc_obs_t *o = &obs [*n];
        memset (o, 0, sizeof *o);
        ids [*n] = sqlite3_column_int64 (stmt, 0);
        s_column_copy (stmt, 1, o->metric, sizeof o->metric);
        o->date = cchc_date_from_yyyymmdd (sqlite3_column_int (stmt, 2));
        s_column_value (stmt, 3, &o->is_float, &o->ival, &o->fval);
        queued [*n] = sqlite3_column_int64 (stmt, 4);
        (*n)++;
    }
    sqlite3_finalize (stmt);
    if (step != SQLITE_DONE) {
        s_err (self, err, errlen, "read pending");
        return -1;
    }
    return 0;
}

static int
s_dead_insert (cchc_outbox_t *self, int64_t now_ms, uint64_t seq, const cchc_obs_t *o,
               int status, int reason, const char *detail, char *err, size_t errlen)
{
    sqlite3_stmt *stmt =
        s_prepare (self,
                   "INSERT INTO dead (at, seq, metric, day, value, status, reason, detail) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   err, errlen);
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, now_ms);
    sqlite3_bind_int64 (stmt, 2, (int64_t) seq);
    sqlite3_bind_text (stmt, 3, o->metric, -1, SQLITE_STATIC);
    sqlite3_bind_int (stmt, 4, cchc_date_to_yyyymmdd (o->date));
    s_bind_value (stmt, 5, o);
    sqlite3_bind_int (stmt, 6, status);
    sqlite3_bind_int (stmt, 7, reason);
    sqlite3_bind_text (stmt, 8, detail, -1, SQLITE_STATIC);
    int rc = sqlite3_step (stmt) == SQLITE_DONE ? 0 : -1;
    if (rc)
        s_err (self, err, errlen, "dead letter");
    sqlite3_finalize (stmt);
    return rc;
}

static int
s_pending_delete (cchc_outbox_t *self, const int64_t *ids, size_t n, char *err, size_t errlen)
{
    sqlite3_stmt *stmt = s_prepare (self, "DELETE FROM pending WHERE id = ?", err, errlen);
    if (!stmt)
        return -1;
    for (size_t i = 0; i < n; i++) {
        sqlite3_reset (stmt);
        sqlite3_bind_int64 (stmt, 1, ids [i]);
        if (sqlite3_step (stmt) != SQLITE_DONE) {
            s_err (self, err, errlen, "delete pending");
            sqlite3_finalize (stmt);
            return -1;
        }
    }
    sqlite3_finalize (stmt);
    return 0;
}

/*  Signs body (a report of nobs observations, the oldest queued at oldest)
    and stores it as message seq, inside the caller's transaction. Returns
    0, or -1 with err set. */
static int
s_message_store (cchc_outbox_t *self, const cchc_key_t *key, int64_t seq, int64_t now_ms,
                 const uint8_t *body, size_t len, size_t nobs, int64_t oldest, char *err,
                 size_t errlen)
{
    uint8_t sig [CCHC_KEY_SIGNATURE_BYTES];
    cchc_proto_sign (CCHC_KIND_REPORT, key, body, len, sig);
    sqlite3_stmt *ins =
        s_prepare (self,
                   "INSERT INTO message (seq, created_at, body, sig, nobs, oldest_at) "
                   "VALUES (?, ?, ?, ?, ?, ?)",
                   err, errlen);
    if (!ins)
        return -1;
    sqlite3_bind_int64 (ins, 1, seq);
    sqlite3_bind_int64 (ins, 2, now_ms);
    sqlite3_bind_blob (ins, 3, body, (int) len, SQLITE_STATIC);
    sqlite3_bind_blob (ins, 4, sig, (int) sizeof sig, SQLITE_STATIC);
    sqlite3_bind_int64 (ins, 5, (int64_t) nobs);
    sqlite3_bind_int64 (ins, 6, oldest);
    int step = sqlite3_step (ins);
    sqlite3_finalize (ins);
    if (step != SQLITE_DONE) {
        s_err (self, err, errlen, "store message");
        return -1;
    }
    return 0;
}

int
cchc_outbox_freeze (cchc_outbox_t *self, const cchc_key_t *key, const char *unit,
                    size_t max_obs, int64_t now_ms, uint64_t *seq, char *err, size_t errlen)
{
    assert (self && key && unit && seq);
    assert (max_obs >= 1 && max_obs <= CCHC_PROTO_OBS_MAX);
    cchc_obs_t *obs = calloc (max_obs, sizeof *obs);
    int64_t *ids = calloc (max_obs, sizeof *ids);
    int64_t *queued = calloc (max_obs, sizeof *queued);
    if (!obs || !ids || !queued) {
        free (obs);
        free (ids);
        free (queued);
        snprintf (err, errlen, "out of memory");
        return -1;
    }
    int result = -1;
    uint8_t *body = NULL;
    size_t len = 0;
    if (s_begin (self, err, errlen) != 0)
        goto done;
    size_t n = 0;
    if (s_pending_read (self, max_obs, obs, ids, queued, &n, err, errlen) != 0)
        goto done;
    if (n == 0) {
        result = 0;
        goto done;
    }
    int64_t next = s_meta_get (self, "next_seq", 0);
    if (next < 1 || (uint64_t) next >= (uint64_t) CCHC_PROTO_SEQ_MAX) {
        snprintf (err, errlen, "outbox %s: seq counter is missing or exhausted", self->path);
        goto done;
    }
    cchc_report_t report = { .seq = (uint64_t) next,
                             .created_ms = (uint64_t) now_ms,
                             .caps = s_caps (self, now_ms) };
    memcpy (report.agent, cchc_key_public (key), CCHC_KEY_PUBLIC_BYTES);
    cchc_strlcpy (report.unit, unit, sizeof report.unit);
    /*  Encode; a body over the size limit is retried with fewer
        observations (the rest stay pending for the next message).  An
        observation the encoder refuses on its own is a dead letter, so one
        bad row can never wedge the outbox. */
    for (;;) {
        report.nobs = (uint32_t) n;
        report.obs = obs;
        int reason = cchc_report_encode (&report, &body, &len);
        if (reason == CCHC_REASON_NONE)
            break;
        body = NULL;
        if (n > 1) {
            n /= 2;
            continue;
        }
        if (s_dead_insert (self, now_ms, 0, &obs [0], -1, reason, "refused by the encoder",
                           err, errlen)
                != 0
            || s_pending_delete (self, ids, 1, err, errlen) != 0)
            goto done;
        if (s_commit (self, err, errlen) != 0)
            goto done;
        snprintf (err, errlen, "observation %s refused by the encoder: %s", obs [0].metric,
                  cchc_reason_name (reason));
        result = -1;
        goto done_committed;
    }
    int64_t oldest = queued [0];
    for (size_t i = 1; i < n; i++)
        if (queued [i] < oldest)
            oldest = queued [i];

    if (s_message_store (self, key, next, now_ms, body, len, n, oldest, err, errlen) != 0)
        goto done;
    if (s_pending_delete (self, ids, n, err, errlen) != 0
        || s_meta_set (self, "next_seq", next + 1, err, errlen) != 0)
        goto done;
    if (s_commit (self, err, errlen) != 0)
        goto done_committed;
    *seq = (uint64_t) next;
    result = 1;
done:
    s_rollback (self);
done_committed:
    free (body);
    free (obs);
    free (ids);
    free (queued);
    return result;
}

static int s_message_delete (cchc_outbox_t *self, uint64_t seq, char *err, size_t errlen);

/*  Move message seq to `aside` with why (inside the caller's transaction). */
static int
s_set_aside (cchc_outbox_t *self, uint64_t seq, int64_t now_ms, const char *why, char *err,
             size_t errlen)
{
    sqlite3_stmt *ins = s_prepare (
        self,
        "INSERT OR REPLACE INTO aside (seq, at, reason, created_at, nobs, body, sig) "
        "  SELECT seq, ?2, ?3, created_at, nobs, body, sig FROM message WHERE seq = ?1",
        err, errlen);
    if (!ins)
        return -1;
    sqlite3_bind_int64 (ins, 1, (int64_t) seq);
    sqlite3_bind_int64 (ins, 2, now_ms);
    sqlite3_bind_text (ins, 3, why, -1, SQLITE_STATIC);
    int step = sqlite3_step (ins);
    sqlite3_finalize (ins);
    if (step != SQLITE_DONE) {
        s_err (self, err, errlen, "set aside");
        return -1;
    }
    return s_message_delete (self, seq, err, errlen);
}

/*  A message of another kind (cchc_outbox_put, nobs 0): today the only one
    is a province's figures (proto/figures.h) — "" when it is one with this
    seq, signed by its province key. */
static void
s_row_check_other (uint64_t seq, const void *b, int blen, const void *sg, char *why,
                   size_t size)
{
    cchc_provfig_t f;
    int reason = cchc_provfig_decode (b, (size_t) blen, &f);
    if (reason == CCHC_REASON_BUSY)
        return;
    if (reason != CCHC_REASON_NONE) {
        snprintf (why, size, "body does not decode (%s)", cchc_reason_name (reason));
        return;
    }
    if (f.seq != seq)
        snprintf (why, size, "body holds seq %llu", (unsigned long long) f.seq);
    else if (cchc_provfig_verify (f.province, b, (size_t) blen, sg) != 0)
        snprintf (why, size, "signature does not verify");
    cchc_provfig_clear (&f);
}

/*  Is a stored row a message that can be sent?  "" if so, else why not:
    a body that is not a report with this seq, signed by its agent key (or,
    with nobs 0, a message of another kind: s_row_check_other). */
static void
s_row_check (uint64_t seq, int64_t nobs, const void *b, int blen, const void *sg, int slen,
             char *why, size_t size)
{
    why [0] = 0;
    if (!b || blen <= 0) {
        snprintf (why, size, "empty body");
        return;
    }
    if (!sg || slen != CCHC_KEY_SIGNATURE_BYTES) {
        snprintf (why, size, "signature of %d bytes, not %d", sg ? slen : 0,
                  CCHC_KEY_SIGNATURE_BYTES);
        return;
    }
    if (nobs == 0) {
        s_row_check_other (seq, b, blen, sg, why, size);
        return;
    }
    cchc_report_t r;
    int reason = cchc_report_decode (b, (size_t) blen, &r);
    if (reason == CCHC_REASON_BUSY)
        return; /* out of memory: not the row's fault */
    if (reason != CCHC_REASON_NONE) {
        snprintf (why, size, "body does not decode (%s)", cchc_reason_name (reason));
        return;
    }
    if (r.seq != seq)
        snprintf (why, size, "body holds seq %llu", (unsigned long long) r.seq);
    else if (cchc_proto_verify (CCHC_KIND_REPORT, r.agent, b, (size_t) blen, sg) != 0)
        snprintf (why, size, "signature does not verify");
    cchc_report_clear (&r);
}

int
cchc_outbox_put (cchc_outbox_t *self, size_t count, cchc_outbox_build_fn build, void *arg,
                 const char *state_key, const char *state_value, int64_t now_ms,
                 uint64_t *first_seq, char *err, size_t errlen)
{
    assert (self && build && count >= 1);
    if (s_begin (self, err, errlen) != 0)
        return -1;
    int64_t next = s_meta_get (self, "next_seq", 0);
    if (next < 1 || (uint64_t) next + count >= (uint64_t) CCHC_PROTO_SEQ_MAX) {
        snprintf (err, errlen, "outbox %s: seq counter is missing or exhausted", self->path);
        s_rollback (self);
        return -1;
    }
    sqlite3_stmt *ins =
        s_prepare (self,
                   "INSERT INTO message (seq, created_at, body, sig, nobs, oldest_at) "
                   "VALUES (?, ?, ?, ?, 0, ?)",
                   err, errlen);
    if (!ins) {
        s_rollback (self);
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < count && rc == 0; i++) {
        uint8_t *body = NULL;
        size_t len = 0;
        uint8_t sig [CCHC_KEY_SIGNATURE_BYTES];
        if (build (arg, i, (uint64_t) next + i, &body, &len, sig, err, errlen) != 0 || !body
            || len == 0 || len > CCHC_PROTO_BODY_MAX) {
            if (body && (len == 0 || len > CCHC_PROTO_BODY_MAX))
                snprintf (err, errlen, "message %zu: body of %zu bytes", i, len);
            free (body);
            rc = -1;
            break;
        }
        sqlite3_reset (ins);
        sqlite3_bind_int64 (ins, 1, next + (int64_t) i);
        sqlite3_bind_int64 (ins, 2, now_ms);
        sqlite3_bind_blob (ins, 3, body, (int) len, SQLITE_STATIC);
        sqlite3_bind_blob (ins, 4, sig, (int) sizeof sig, SQLITE_STATIC);
        sqlite3_bind_int64 (ins, 5, now_ms);
        if (sqlite3_step (ins) != SQLITE_DONE) {
            s_err (self, err, errlen, "store message");
            rc = -1;
        }
        free (body);
    }
    sqlite3_finalize (ins);
    if (rc == 0 && s_meta_set (self, "next_seq", next + (int64_t) count, err, errlen) != 0)
        rc = -1;
    if (rc == 0 && state_key && state_value
        && cchc_outbox_state_set (self, state_key, state_value) != 0) {
        s_err (self, err, errlen, "state");
        rc = -1;
    }
    if (rc != 0) {
        s_rollback (self);
        return -1;
    }
    if (s_commit (self, err, errlen) != 0) {
        s_rollback (self);
        return -1;
    }
    if (first_seq)
        *first_seq = (uint64_t) next;
    return 0;
}

int
cchc_outbox_next (cchc_outbox_t *self, uint64_t after, cchc_outbox_msg_t *msg, char *err,
                  size_t errlen)
{
    assert (self && msg);
    memset (msg, 0, sizeof *msg);
    for (;;) {
        sqlite3_stmt *stmt =
            s_prepare (self,
                       "SELECT seq, body, sig, nobs, created_at, oldest_at FROM message "
                       "WHERE seq > ? ORDER BY seq LIMIT 1",
                       err, errlen);
        if (!stmt)
            return -1;
        sqlite3_bind_int64 (stmt, 1, (int64_t) after);
        int step = sqlite3_step (stmt);
        int rc = 0;
        char why [128] = "";
        uint64_t seq = 0;
        if (step == SQLITE_ROW) {
            seq = (uint64_t) sqlite3_column_int64 (stmt, 0);
            int blen = sqlite3_column_bytes (stmt, 1);
            const void *b = sqlite3_column_blob (stmt, 1);
            int slen = sqlite3_column_bytes (stmt, 2);
            const void *sg = sqlite3_column_blob (stmt, 2);
            s_row_check (seq, sqlite3_column_int64 (stmt, 3), b, blen, sg, slen, why,
                         sizeof why);
            if (why [0])
                ; /* set aside below, outside this statement */
            else if (!(msg->body = malloc ((size_t) blen))) {
                snprintf (err, errlen, "out of memory");
                rc = -1;
            }
            else {
                msg->seq = seq;
                memcpy (msg->body, b, (size_t) blen);
                msg->len = (size_t) blen;
                memcpy (msg->sig, sg, CCHC_KEY_SIGNATURE_BYTES);
                msg->nobs = (uint32_t) sqlite3_column_int64 (stmt, 3);
                msg->created_ms = sqlite3_column_int64 (stmt, 4);
                msg->oldest_ms = sqlite3_column_int64 (stmt, 5);
                rc = 1;
            }
        }
        else if (step != SQLITE_DONE) {
            s_err (self, err, errlen, "read message");
            rc = -1;
        }
        sqlite3_finalize (stmt);
        if (!why [0])
            return rc;
        /*  A damaged row is kept, with its reason, in `aside` and the rest
            is sent: one bad row must never stop delivery. */
        char e2 [256];
        if (s_begin (self, e2, sizeof e2) != 0
            || s_set_aside (self, seq, cchc_clock_now_ms (), why, e2, sizeof e2) != 0
            || s_commit (self, e2, sizeof e2) != 0) {
            s_rollback (self);
            snprintf (err, errlen,
                      "outbox %s: message %llu is damaged (%s) and cannot be "
                      "set aside: %s",
                      self->path, (unsigned long long) seq, why, e2);
            return -1;
        }
        if (msg->set_aside++ == 0) {
            msg->aside_seq = seq;
            cchc_strlcpy (msg->aside_reason, why, sizeof msg->aside_reason);
        }
    }
}

void
cchc_outbox_msg_clear (cchc_outbox_msg_t *msg)
{
    if (msg) {
        free (msg->body);
        memset (msg, 0, sizeof *msg);
    }
}

/*  Load a stored message's body and decode it (for dead-lettering). */
static int
s_message_load (cchc_outbox_t *self, uint64_t seq, cchc_report_t *report, bool *found,
                char *err, size_t errlen)
{
    *found = false;
    memset (report, 0, sizeof *report);
    sqlite3_stmt *stmt =
        s_prepare (self, "SELECT body FROM message WHERE seq = ?", err, errlen);
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, (int64_t) seq);
    int step = sqlite3_step (stmt);
    int rc = 0;
    if (step == SQLITE_ROW) {
        *found = true;
        const uint8_t *b = sqlite3_column_blob (stmt, 0);
        int blen = sqlite3_column_bytes (stmt, 0);
        int reason = b && blen > 0 ? cchc_report_decode (b, (size_t) blen, report)
                                   : CCHC_REASON_MALFORMED;
        if (reason != CCHC_REASON_NONE) {
            snprintf (err, errlen, "outbox %s: stored message %llu does not decode: %s",
                      self->path, (unsigned long long) seq, cchc_reason_name (reason));
            rc = -1;
        }
    }
    else if (step != SQLITE_DONE) {
        s_err (self, err, errlen, "read message");
        rc = -1;
    }
    sqlite3_finalize (stmt);
    return rc;
}

/*  0: no message with that seq; 1: a message without observations
    (cchc_outbox_put); 2: a report; -1: error. */
static int
s_message_nobs (cchc_outbox_t *self, uint64_t seq, char *err, size_t errlen)
{
    sqlite3_stmt *stmt =
        s_prepare (self, "SELECT nobs FROM message WHERE seq = ?", err, errlen);
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, (int64_t) seq);
    int step = sqlite3_step (stmt);
    int rc = step == SQLITE_ROW    ? (sqlite3_column_int64 (stmt, 0) == 0 ? 1 : 2)
             : step == SQLITE_DONE ? 0
                                   : -1;
    if (rc == -1)
        s_err (self, err, errlen, "read message");
    sqlite3_finalize (stmt);
    return rc;
}

static int
s_message_delete (cchc_outbox_t *self, uint64_t seq, char *err, size_t errlen)
{
    sqlite3_stmt *stmt = s_prepare (self, "DELETE FROM message WHERE seq = ?", err, errlen);
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, (int64_t) seq);
    int rc = sqlite3_step (stmt) == SQLITE_DONE ? 0 : -1;
    if (rc)
        s_err (self, err, errlen, "delete message");
    sqlite3_finalize (stmt);
    return rc;
}

/*  Put observations back to pending, queued at `at`, unless a newer value
    for the same (metric, date) is pending already: they leave again in a
    new message under a new seq.  0 or -1. */
static int
s_requeue (cchc_outbox_t *self, const cchc_obs_t *obs, uint32_t n, int64_t at, char *err,
           size_t errlen)
{
    sqlite3_stmt *pend =
        s_prepare (self,
                   "INSERT INTO pending (metric, day, value, queued_at) VALUES (?, ?, ?, ?) "
                   "ON CONFLICT (metric, day) DO NOTHING",
                   err, errlen);
    int rc = pend ? 0 : -1;
    for (uint32_t i = 0; rc == 0 && i < n; i++) {
        sqlite3_reset (pend);
        sqlite3_bind_text (pend, 1, obs [i].metric, -1, SQLITE_STATIC);
        sqlite3_bind_int (pend, 2, cchc_date_to_yyyymmdd (obs [i].date));
        s_bind_value (pend, 3, &obs [i]);
        sqlite3_bind_int64 (pend, 4, at);
        if (sqlite3_step (pend) != SQLITE_DONE) {
            s_err (self, err, errlen, "requeue");
            rc = -1;
        }
    }
    sqlite3_finalize (pend);
    return rc;
}

/*  future_timestamp (retry_later): the message was frozen while our clock
    was ahead.  Once our clock agrees with the collector's again (now within
    S_CLOCK_AGREE_MS of the ack's time), a message created more than that
    ahead of the collector would wait that long: its observations go back
    to pending (unless a newer value is already pending) and the message is
    dropped, so they leave in a new message, new seq, right `created`.  Safe:
    retry_later means nothing was stored under that seq.  0 or -1. */
#define S_CLOCK_AGREE_MS 60000
static int
s_refreeze (cchc_outbox_t *self, const cchc_ack_t *ack, int64_t now_ms,
            cchc_outbox_ack_outcome_t *outcome, char *err, size_t errlen)
{
    int64_t coll = (int64_t) ack->time_ms;
    if (now_ms - coll > S_CLOCK_AGREE_MS || coll - now_ms > S_CLOCK_AGREE_MS)
        return 0; /* clocks still apart: keep waiting */
    sqlite3_stmt *stmt = s_prepare (
        self, "SELECT created_at, oldest_at FROM message WHERE seq = ?", err, errlen);
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, (int64_t) ack->seq);
    int step = sqlite3_step (stmt);
    int64_t created = step == SQLITE_ROW ? sqlite3_column_int64 (stmt, 0) : 0;
    int64_t oldest = step == SQLITE_ROW ? sqlite3_column_int64 (stmt, 1) : 0;
    sqlite3_finalize (stmt);
    if (step != SQLITE_ROW || created - coll <= S_CLOCK_AGREE_MS)
        return 0;
    cchc_report_t report;
    bool found;
    if (s_message_load (self, ack->seq, &report, &found, err, errlen) != 0 || !found)
        return found ? -1 : 0;
    int rc = s_requeue (self, report.obs, report.nobs, oldest < now_ms ? oldest : now_ms, err,
                        errlen);
    cchc_report_clear (&report);
    if (rc == 0)
        rc = s_message_delete (self, ack->seq, err, errlen);
    if (rc == 0)
        *outcome = CCHC_OUTBOX_ACK_REQUEUED;
    return rc;
}

/*  1 if o's value is the one remembered in `latest` for its (metric,
    date), 0 if not, -1 on error. */
static int
s_latest_is (cchc_outbox_t *self, const cchc_obs_t *o)
{
    sqlite3_stmt *get =
        s_prepare (self, "SELECT value FROM latest WHERE metric = ? AND day = ?", NULL, 0);
    if (!get)
        return -1;
    sqlite3_bind_text (get, 1, o->metric, -1, SQLITE_STATIC);
    sqlite3_bind_int (get, 2, cchc_date_to_yyyymmdd (o->date));
    int step = sqlite3_step (get);
    int rc = step == SQLITE_ROW    ? (s_value_same (get, 0, o) ? 1 : 0)
             : step == SQLITE_DONE ? 0
                                   : -1;
    sqlite3_finalize (get);
    return rc;
}

/*  Revision 1.2: the ack says the highest seq the collector holds from
    our key.  If that is not below our counter, an earlier outbox (lost, or
    made while the clock was ahead) went further than this one: continue
    above it, so that every later value wins over what it stored
    (PROTOCOL.md §11.1).  0 or -1. */
static int
s_high (cchc_outbox_t *self, const cchc_ack_t *ack, char *err, size_t errlen)
{
    if (!ack->has_high || ack->high >= (uint64_t) CCHC_PROTO_SEQ_MAX - 1)
        return 0;
    int64_t next = s_meta_get (self, "next_seq", 0);
    if (next < 1 || (uint64_t) next > ack->high)
        return 0;
    return s_meta_set (self, "next_seq", (int64_t) ack->high + 1, err, errlen);
}

/*  The per-observation refusals of an accepted ack, inside the caller's
    transaction: dead letters (*ndead counts them), except a superseded
    value we have moved on from, or one sent again above the collector's
    `high` (revision 1.2).  0 or -1. */
static int
s_refusals (cchc_outbox_t *self, const cchc_ack_t *ack, const cchc_report_t *report,
            int64_t now_ms, uint32_t *ndead, char *err, size_t errlen)
{
    int rc = 0;
    for (uint32_t i = 0; rc == 0 && i < ack->nrejected; i++) {
        uint32_t idx = ack->rejected [i].index;
        if (idx >= report->nobs)
            continue; /* a collector bug; nothing to point at */
        char detail [128];
        snprintf (detail, sizeof detail, "observation rejected: %s",
                  cchc_reason_name ((int) ack->rejected [i].reason));
        if (ack->rejected [i].reason == CCHC_REASON_SUPERSEDED) {
            /*  The collector holds this (metric, date) from a higher seq.
                If we have moved on to another value since, that is our
                own newer report arriving first: nothing is wrong.  If
                this is still our value, the higher seq is not ours — an
                earlier outbox (lost, or made with the clock ahead):
                our figure does not count, so it is a dead letter. */
            int same = s_latest_is (self, &report->obs [idx]);
            if (same < 0) {
                rc = -1;
                break;
            }
            if (!same)
                continue;
            if (ack->has_high && ack->high > ack->seq) {
                /*  Revision 1.2: s_high has moved our counter above
                    the collector's, so the value sent again under a
                    new seq counts. */
                rc = s_requeue (self, &report->obs [idx], 1, now_ms, err, errlen);
                continue;
            }
            snprintf (detail, sizeof detail,
                      "superseded: the collector holds a value "
                      "from a higher seq (an earlier outbox?)");
        }
        rc = s_dead_insert (self, now_ms, ack->seq, &report->obs [idx], (int) ack->status,
                            (int) ack->rejected [i].reason, detail, err, errlen);
        (*ndead)++;
    }
    return rc;
}

/*  Apply one ack inside the caller's transaction.  0 or -1. */
static int
s_ack_apply (cchc_outbox_t *self, const cchc_ack_t *ack, int64_t now_ms,
             cchc_outbox_ack_outcome_t *outcome, uint32_t *dead, char *err, size_t errlen)
{
    *outcome = CCHC_OUTBOX_ACK_IGNORED;
    *dead = 0;
    if (ack->seq == 0)
        return 0; /* not authenticated / not decoded: never deletes */
    if (ack->status == CCHC_STATUS_RETRY_LATER) {
        *outcome = CCHC_OUTBOX_ACK_RETRY;
        if (ack->reason == CCHC_REASON_FUTURE_TIMESTAMP)
            return s_refreeze (self, ack, now_ms, outcome, err, errlen);
        return 0;
    }
    if (ack->status != CCHC_STATUS_ACCEPTED && ack->status != CCHC_STATUS_DUPLICATE
        && ack->status != CCHC_STATUS_REJECTED)
        return 0;
    if (s_high (self, ack, err, errlen) != 0)
        return -1;
    bool simple = ack->status == CCHC_STATUS_DUPLICATE
                  || (ack->status == CCHC_STATUS_ACCEPTED && ack->nrejected == 0);
    if (simple) {
        /*  The common case: delete, no need to look inside. */
        if (s_message_delete (self, ack->seq, err, errlen) != 0)
            return -1;
        *outcome = sqlite3_changes (self->db) > 0 ? CCHC_OUTBOX_ACK_DELIVERED
                                                  : CCHC_OUTBOX_ACK_UNKNOWN;
        return 0;
    }
    /*  A message of another kind (cchc_outbox_put) has no observations:
        rejected, it becomes one dead letter naming it. */
    int kind = s_message_nobs (self, ack->seq, err, errlen);
    if (kind == -1)
        return -1;
    if (kind == 0) {
        *outcome = CCHC_OUTBOX_ACK_UNKNOWN;
        return 0;
    }
    if (kind == 1) {
        if (ack->status == CCHC_STATUS_REJECTED) {
            cchc_obs_t o;
            memset (&o, 0, sizeof o);
            cchc_strlcpy (o.metric, "message", sizeof o.metric);
            char detail [128];
            snprintf (detail, sizeof detail, "message rejected: %s",
                      cchc_reason_name ((int) ack->reason));
            if (s_dead_insert (self, now_ms, ack->seq, &o, (int) ack->status,
                               (int) ack->reason, detail, err, errlen)
                != 0)
                return -1;
            *dead = 1;
        }
        if (s_message_delete (self, ack->seq, err, errlen) != 0)
            return -1;
        *outcome = ack->status == CCHC_STATUS_REJECTED ? CCHC_OUTBOX_ACK_DEAD
                                                       : CCHC_OUTBOX_ACK_DELIVERED;
        return 0;
    }
    cchc_report_t report;
    bool found;
    if (s_message_load (self, ack->seq, &report, &found, err, errlen) != 0)
        return -1;
    if (!found) {
        *outcome = CCHC_OUTBOX_ACK_UNKNOWN;
        return 0;
    }
    uint32_t ndead = 0;
    int rc = 0;
    if (ack->status == CCHC_STATUS_REJECTED) {
        char detail [128];
        snprintf (detail, sizeof detail, "message rejected: %s",
                  cchc_reason_name ((int) ack->reason));
        for (uint32_t i = 0; rc == 0 && i < report.nobs; i++, ndead++)
            rc = s_dead_insert (self, now_ms, ack->seq, &report.obs [i], (int) ack->status,
                                (int) ack->reason, detail, err, errlen);
    }
    else
        rc = s_refusals (self, ack, &report, now_ms, &ndead, err, errlen);
    cchc_report_clear (&report);
    if (rc == 0)
        rc = s_message_delete (self, ack->seq, err, errlen);
    if (rc != 0)
        return -1;
    *outcome =
        ack->status == CCHC_STATUS_REJECTED ? CCHC_OUTBOX_ACK_DEAD : CCHC_OUTBOX_ACK_DELIVERED;
    *dead = ndead;
    return 0;
}

int
cchc_outbox_ack_many (cchc_outbox_t *self, const cchc_ack_t *acks, size_t n, int64_t now_ms,
                      cchc_outbox_ack_outcome_t *outcomes, uint32_t *dead, char *err,
                      size_t errlen)
{
    assert (self && (n == 0 || (acks && outcomes && dead)));
    if (n == 0)
        return 0;
    if (s_begin (self, err, errlen) != 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (s_ack_apply (self, &acks [i], now_ms, &outcomes [i], &dead [i], err, errlen)
            != 0) {
            s_rollback (self);
            return -1;
        }
    return s_commit (self, err, errlen);
}

int
cchc_outbox_ack (cchc_outbox_t *self, const cchc_ack_t *ack, int64_t now_ms,
                 cchc_outbox_ack_outcome_t *outcome, uint32_t *dead, char *err, size_t errlen)
{
    assert (self && ack && outcome);
    uint32_t d = 0;
    *outcome = CCHC_OUTBOX_ACK_IGNORED;
    int rc = cchc_outbox_ack_many (self, ack, 1, now_ms, outcome, &d, err, errlen);
    if (dead)
        *dead = rc == 0 ? d : 0;
    return rc;
}

int
cchc_outbox_caps_refused (cchc_outbox_t *self, int64_t now_ms, int64_t *requeued, char *err,
                          size_t errlen)
{
    assert (self);
    int64_t count = 0;
    if (s_begin (self, err, errlen) != 0)
        return -1;
    int rc = s_meta_set (self, "caps", 0, err, errlen) != 0
                     || s_meta_set (self, "caps_refused_at", now_ms, err, errlen) != 0
                 ? -1
                 : 0;
    sqlite3_stmt *stmt =
        rc == 0 ? s_prepare (
            self, "SELECT seq, body, oldest_at FROM message WHERE nobs > 0 ORDER BY seq", err,
            errlen)
                : NULL;
    if (!stmt)
        rc = -1;
    uint64_t *drop = NULL;
    size_t ndrop = 0, dalloc = 0;
    while (rc == 0 && sqlite3_step (stmt) == SQLITE_ROW) {
        const uint8_t *b = sqlite3_column_blob (stmt, 1);
        int blen = sqlite3_column_bytes (stmt, 1);
        cchc_report_t report;
        /*  A row that does not decode is cchc_outbox_next's to set aside. */
        if (!b || blen <= 0
            || cchc_report_decode (b, (size_t) blen, &report) != CCHC_REASON_NONE)
            continue;
        if (report.caps != 0) {
            int64_t oldest = sqlite3_column_int64 (stmt, 2);
            rc = s_requeue (self, report.obs, report.nobs, oldest < now_ms ? oldest : now_ms,
                            err, errlen);
            if (rc == 0 && ndrop == dalloc) {
                size_t want = dalloc ? 2 * dalloc : 16;
                uint64_t *more = realloc (drop, want * sizeof *more);
                if (!more) {
                    snprintf (err, errlen, "out of memory");
                    rc = -1;
                }
                else {
                    drop = more;
                    dalloc = want;
                }
            }
            if (rc == 0)
                drop [ndrop++] = (uint64_t) sqlite3_column_int64 (stmt, 0);
        }
        cchc_report_clear (&report);
    }
    sqlite3_finalize (stmt);
    for (size_t i = 0; rc == 0 && i < ndrop; i++, count++)
        rc = s_message_delete (self, drop [i], err, errlen);
    free (drop);
    if (rc != 0) {
        s_rollback (self);
        return -1;
    }
    if (s_commit (self, err, errlen) != 0)
        return -1;
    if (requeued)
        *requeued = count;
    return 0;
}

int
cchc_outbox_stats (cchc_outbox_t *self, cchc_outbox_stats_t *stats, char *err, size_t errlen)
{
    assert (self && stats);
    memset (stats, 0, sizeof *stats);
    /*  One read transaction so the figures agree with each other. */
    if (s_exec (self, "BEGIN", err, errlen) != 0)
        return -1;
    sqlite3_stmt *stmt = s_prepare (
        self,
        "SELECT (SELECT count(*) FROM pending),"
        "       (SELECT count(*) FROM message),"
        "       (SELECT coalesce(sum(nobs), 0) FROM message),"
        "       (SELECT min(t) FROM (SELECT min(queued_at) AS t FROM pending"
        "                            UNION ALL SELECT min(oldest_at) FROM message)),"
        "       (SELECT count(*) FROM dead),"
        "       (SELECT value FROM meta WHERE key = 'next_seq'),"
        "       (SELECT count(*) FROM aside)",
        err, errlen);
    int rc = -1;
    if (stmt && sqlite3_step (stmt) == SQLITE_ROW) {
        stats->pending = sqlite3_column_int64 (stmt, 0);
        stats->messages = sqlite3_column_int64 (stmt, 1);
        stats->message_obs = sqlite3_column_int64 (stmt, 2);
        stats->oldest_ms = sqlite3_column_int64 (stmt, 3);
        stats->dead = sqlite3_column_int64 (stmt, 4);
        stats->next_seq = (uint64_t) sqlite3_column_int64 (stmt, 5);
        stats->aside = sqlite3_column_int64 (stmt, 6);
        rc = 0;
    }
    else if (stmt)
        s_err (self, err, errlen, "stats");
    sqlite3_finalize (stmt);
    s_exec (self, "COMMIT", NULL, 0);
    return rc;
}

/*  Move one message (all its observations) to dead letters as dropped. */
static int
s_drop_message (cchc_outbox_t *self, uint64_t seq, int64_t now_ms, int64_t *dropped, char *err,
                size_t errlen)
{
    cchc_report_t report;
    bool found;
    if (s_message_load (self, seq, &report, &found, err, errlen) != 0)
        return found ? s_set_aside (self, seq, now_ms, "body does not decode", err, errlen)
                     : -1;
    int rc = 0;
    for (uint32_t i = 0; rc == 0 && i < report.nobs; i++) {
        rc = s_dead_insert (self, now_ms, seq, &report.obs [i], -1, 0, "dropped: outbox limit",
                            err, errlen);
        (*dropped)++;
    }
    cchc_report_clear (&report);
    return rc == 0 ? s_message_delete (self, seq, err, errlen) : -1;
}

int
cchc_outbox_enforce (cchc_outbox_t *self, int64_t max_messages, int64_t max_age_ms,
                     int64_t now_ms, int64_t *dropped, char *err, size_t errlen)
{
    assert (self && dropped);
    *dropped = 0;
    if (max_messages <= 0 && max_age_ms <= 0)
        return 0;
    if (s_begin (self, err, errlen) != 0)
        return -1;
    int rc = 0;
    for (;;) {
        sqlite3_stmt *stmt =
            s_prepare (self,
                       "SELECT seq, oldest_at, (SELECT count(*) FROM message) FROM message "
                       "ORDER BY seq LIMIT 1",
                       err, errlen);
        if (!stmt) {
            rc = -1;
            break;
        }
        int step = sqlite3_step (stmt);
        uint64_t seq = 0;
        int64_t oldest = 0, count = 0;
        if (step == SQLITE_ROW) {
            seq = (uint64_t) sqlite3_column_int64 (stmt, 0);
            oldest = sqlite3_column_int64 (stmt, 1);
            count = sqlite3_column_int64 (stmt, 2);
        }
        sqlite3_finalize (stmt);
        if (step != SQLITE_ROW)
            break;
        bool over = (max_messages > 0 && count > max_messages)
                    || (max_age_ms > 0 && now_ms - oldest > max_age_ms);
        if (!over)
            break;
        if (s_drop_message (self, seq, now_ms, dropped, err, errlen) != 0) {
            rc = -1;
            break;
        }
    }
    if (rc == 0 && max_age_ms > 0) {
        /*  pending observations past the age limit */
        sqlite3_stmt *sel =
            s_prepare (self, "SELECT id, metric, day, value FROM pending WHERE queued_at < ?",
                       err, errlen);
        sqlite3_stmt *del = s_prepare (self, "DELETE FROM pending WHERE id = ?", err, errlen);
        if (!sel || !del)
            rc = -1;
        else {
            sqlite3_bind_int64 (sel, 1, now_ms - max_age_ms);
            while (rc == 0 && sqlite3_step (sel) == SQLITE_ROW) {
                cchc_obs_t o;
                memset (&o, 0, sizeof o);
                s_column_copy (sel, 1, o.metric, sizeof o.metric);
                o.date = cchc_date_from_yyyymmdd (sqlite3_column_int (sel, 2));
                s_column_value (sel, 3, &o.is_float, &o.ival, &o.fval);
                rc = s_dead_insert (self, now_ms, 0, &o, -1, 0, "dropped: outbox limit", err,
                                    errlen);
                sqlite3_reset (del);
                sqlite3_bind_int64 (del, 1, sqlite3_column_int64 (sel, 0));
                if (rc == 0 && sqlite3_step (del) != SQLITE_DONE) {
                    s_err (self, err, errlen, "drop pending");
                    rc = -1;
                }
                (*dropped)++;
            }
        }
        sqlite3_finalize (sel);
        sqlite3_finalize (del);
    }
    if (rc != 0)
        *dropped = 0;
    return s_end (self, rc, err, errlen);
}

static int
s_dead_row (sqlite3_stmt *stmt, void *ctx)
{
    s_each_t *each = ctx;
    cchc_outbox_dead_t d;
    memset (&d, 0, sizeof d);
    d.id = sqlite3_column_int64 (stmt, 0);
    d.at_ms = sqlite3_column_int64 (stmt, 1);
    d.seq = (uint64_t) sqlite3_column_int64 (stmt, 2);
    s_column_copy (stmt, 3, d.metric, sizeof d.metric);
    d.day = sqlite3_column_int (stmt, 4);
    s_column_value (stmt, 5, &d.is_float, &d.ival, &d.fval);
    d.status = sqlite3_column_int (stmt, 6);
    d.reason = sqlite3_column_int (stmt, 7);
    s_column_copy (stmt, 8, d.detail, sizeof d.detail);
    return each->fn.dead (each->arg, &d);
}

int
cchc_outbox_dead_each (cchc_outbox_t *self, cchc_outbox_dead_fn fn, void *arg, char *err,
                       size_t errlen)
{
    assert (self && fn);
    s_each_t each = { .fn.dead = fn, .arg = arg };
    return s_rows_each (
        self,
        "SELECT id, at, seq, metric, day, value, status, reason, detail FROM dead "
        "ORDER BY id",
        "read dead letters", s_dead_row, &each, err, errlen);
}

int
cchc_outbox_dead_clear (cchc_outbox_t *self, bool requeue, int64_t now_ms, int64_t *count,
                        char *err, size_t errlen)
{
    assert (self && count);
    *count = 0;
    if (s_begin (self, err, errlen) != 0)
        return -1;
    int rc = 0;
    if (requeue) {
        /*  The newest dead value of each (metric, day) goes back to pending
            and becomes the remembered value. */
        sqlite3_stmt *stmt = s_prepare (
            self,
            "INSERT INTO pending (metric, day, value, queued_at) "
            "  SELECT metric, day, value, ? FROM dead d WHERE id = "
            "    (SELECT max(id) FROM dead e WHERE e.metric = d.metric AND e.day = d.day) "
            "  ORDER BY id "
            "  ON CONFLICT (metric, day) DO NOTHING",
            err, errlen);
        if (!stmt)
            rc = -1;
        else {
            sqlite3_bind_int64 (stmt, 1, now_ms);
            if (sqlite3_step (stmt) != SQLITE_DONE) {
                s_err (self, err, errlen, "requeue");
                rc = -1;
            }
            sqlite3_finalize (stmt);
        }
        if (rc == 0)
            rc = s_exec (self,
                         "INSERT INTO latest (metric, day, value) "
                         "  SELECT metric, day, value FROM pending WHERE true "
                         "  ON CONFLICT (metric, day) DO UPDATE SET value = excluded.value",
                         err, errlen);
    }
    if (rc == 0) {
        *count = 0;
        sqlite3_stmt *stmt = s_prepare (self, "DELETE FROM dead", err, errlen);
        if (!stmt || sqlite3_step (stmt) != SQLITE_DONE) {
            s_err (self, err, errlen, "clear dead letters");
            rc = -1;
        }
        else
            *count = sqlite3_changes (self->db);
        sqlite3_finalize (stmt);
    }
    if (rc == 0 && !requeue) {
        /*  Set-aside messages cannot be sent again; --clear drops them. */
        sqlite3_stmt *stmt = s_prepare (self, "DELETE FROM aside", err, errlen);
        if (!stmt || sqlite3_step (stmt) != SQLITE_DONE) {
            s_err (self, err, errlen, "clear set-aside messages");
            rc = -1;
        }
        else
            *count += sqlite3_changes (self->db);
        sqlite3_finalize (stmt);
    }
    return s_end (self, rc, err, errlen);
}

static int
s_aside_row (sqlite3_stmt *stmt, void *ctx)
{
    s_each_t *each = ctx;
    cchc_outbox_aside_t a;
    memset (&a, 0, sizeof a);
    a.seq = (uint64_t) sqlite3_column_int64 (stmt, 0);
    a.at_ms = sqlite3_column_int64 (stmt, 1);
    s_column_copy (stmt, 2, a.reason, sizeof a.reason);
    a.nobs = sqlite3_column_int64 (stmt, 3);
    a.body_len = sqlite3_column_int64 (stmt, 4);
    return each->fn.aside (each->arg, &a);
}

int
cchc_outbox_aside_each (cchc_outbox_t *self, cchc_outbox_aside_fn fn, void *arg, char *err,
                        size_t errlen)
{
    assert (self && fn);
    s_each_t each = { .fn.aside = fn, .arg = arg };
    return s_rows_each (
        self,
        "SELECT seq, at, reason, coalesce(nobs, 0), length(body) FROM aside ORDER BY seq",
        "read set-aside messages", s_aside_row, &each, err, errlen);
}

int
cchc_outbox_state_set (cchc_outbox_t *self, const char *key, const char *value)
{
    assert (self && key && value);
    sqlite3_stmt *stmt = s_prepare (self,
                                    "INSERT INTO state (key, value) VALUES (?, ?) "
                                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                                    NULL, 0);
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, value, -1, SQLITE_STATIC);
    int rc = sqlite3_step (stmt) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize (stmt);
    return rc;
}

int
cchc_outbox_state_put (cchc_outbox_t *self, const char *const *keys, const char *const *values,
                       size_t n)
{
    assert (self && (n == 0 || (keys && values)));
    if (s_begin (self, NULL, 0) != 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (cchc_outbox_state_set (self, keys [i], values [i]) != 0) {
            s_rollback (self);
            return -1;
        }
    return s_commit (self, NULL, 0);
}

int
cchc_outbox_state_get (cchc_outbox_t *self, const char *key, char *value, size_t size)
{
    assert (self && key && value && size);
    value [0] = 0;
    sqlite3_stmt *stmt = s_prepare (self, "SELECT value FROM state WHERE key = ?", NULL, 0);
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
    int step = sqlite3_step (stmt);
    int rc = 0;
    if (step == SQLITE_ROW) {
        const char *v = (const char *) sqlite3_column_text (stmt, 0);
        cchc_strlcpy (value, v ? v : "", size);
        rc = 1;
    }
    else if (step != SQLITE_DONE)
        rc = -1;
    sqlite3_finalize (stmt);
    return rc;
}

/*  Add one source's runs (inside the caller's transaction when there is
    one): counters are added, times replace the stored ones when > 0. */
static int
s_source_add (cchc_outbox_t *self, const cchc_outbox_source_t *d)
{
    sqlite3_stmt *stmt = s_prepare (
        self,
        "INSERT INTO source_state (name, last_run, last_ok, last_error, last_error_at,"
        "                          runs, obs_total) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
        "ON CONFLICT (name) DO UPDATE SET"
        "  last_run = CASE WHEN ?2 > 0 THEN ?2 ELSE last_run END,"
        "  last_ok = CASE WHEN ?3 > 0 THEN ?3 ELSE last_ok END,"
        "  last_error = CASE WHEN ?5 > 0 THEN ?4 ELSE last_error END,"
        "  last_error_at = CASE WHEN ?5 > 0 THEN ?5 ELSE last_error_at END,"
        "  runs = runs + ?6, obs_total = obs_total + ?7",
        NULL, 0);
    if (!stmt)
        return -1;
    bool has_error = d->last_error_ms > 0;
    sqlite3_bind_text (stmt, 1, d->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 2, d->last_run_ms);
    sqlite3_bind_int64 (stmt, 3, d->last_ok_ms);
    sqlite3_bind_text (stmt, 4, has_error ? d->last_error : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 5, has_error ? d->last_error_ms : 0);
    sqlite3_bind_int64 (stmt, 6, d->runs);
    sqlite3_bind_int64 (stmt, 7, d->obs_total);
    int rc = sqlite3_step (stmt) == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize (stmt);
    return rc;
}

int
cchc_outbox_source_report (cchc_outbox_t *self, const char *name, bool ok, const char *error,
                           int64_t nobs, int64_t now_ms)
{
    assert (self && name);
    cchc_outbox_source_t d;
    memset (&d, 0, sizeof d);
    cchc_strlcpy (d.name, name, sizeof d.name);
    d.last_run_ms = now_ms;
    d.last_ok_ms = ok ? now_ms : 0;
    if (error && error [0]) {
        cchc_strlcpy (d.last_error, error, sizeof d.last_error);
        d.last_error_ms = now_ms;
    }
    d.runs = 1;
    d.obs_total = nobs;
    return s_source_add (self, &d);
}

int
cchc_outbox_state_save (cchc_outbox_t *self, const char *const *keys,
                        const char *const *values, size_t n,
                        const cchc_outbox_source_t *sources, size_t nsources)
{
    assert (self && (n == 0 || (keys && values)) && (nsources == 0 || sources));
    if (s_begin (self, NULL, 0) != 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (cchc_outbox_state_set (self, keys [i], values [i]) != 0) {
            s_rollback (self);
            return -1;
        }
    for (size_t i = 0; i < nsources; i++)
        if (sources [i].runs > 0 && s_source_add (self, &sources [i]) != 0) {
            s_rollback (self);
            return -1;
        }
    return s_commit (self, NULL, 0);
}

static int
s_source_row (sqlite3_stmt *stmt, void *ctx)
{
    s_each_t *each = ctx;
    cchc_outbox_source_t s;
    memset (&s, 0, sizeof s);
    s_column_copy (stmt, 0, s.name, sizeof s.name);
    s.last_run_ms = sqlite3_column_int64 (stmt, 1);
    s.last_ok_ms = sqlite3_column_int64 (stmt, 2);
    s.last_error_ms = sqlite3_column_int64 (stmt, 3);
    s_column_copy (stmt, 4, s.last_error, sizeof s.last_error);
    s.runs = sqlite3_column_int64 (stmt, 5);
    s.obs_total = sqlite3_column_int64 (stmt, 6);
    return each->fn.source (each->arg, &s);
}

int
cchc_outbox_source_each (cchc_outbox_t *self, cchc_outbox_source_fn fn, void *arg, char *err,
                         size_t errlen)
{
    assert (self && fn);
    s_each_t each = { .fn.source = fn, .arg = arg };
    return s_rows_each (
        self,
        "SELECT name, last_run, last_ok, last_error_at, last_error, runs, obs_total "
        "FROM source_state ORDER BY name",
        "read sources", s_source_row, &each, err, errlen);
}
