/*  month.c — observation_month settled outside the ingest transactions
    (schema.h, CCHC_DB_MONTH_POSITION_SQL; db.h "the summary"): the
    follower that the collector's writer runs between its group commits,
    and the readers' view of the summary as of their snapshot.

    Both rebuild one (agent, month) the same way: the agent's observation
    rows of the month's days, read along the primary key (agent, day,
    metric), folded in C per (metric, unit) — sum, count, first and last
    day, the last day's value and journal id, the newest journal id — and
    written as that month's summary rows.  The months to rebuild are those
    whose days the journal rows after month_position carry.
*/
#include "collector/db/db.h"
#include "collector/db/schema.h"
#include "common/mem.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/*  One (agent, month). */
typedef struct {
    int64_t agent;
    int32_t month;
} s_key_t;

typedef struct {
    s_key_t *keys;
    size_t count, alloc;
} s_keys_t;

/*  One summary row being folded. */
typedef struct {
    char metric [CCHC_METRIC_MAX + 1];
    char unit [CCHC_UNIT_MAX + 1];
    bool used;
    bool real; /* the total is a double */
    int64_t itotal;
    double ftotal;
    int64_t rows;
    int32_t first, last;
    bool last_real;
    int64_t last_ival;
    double last_fval;
    int64_t last_journal, journal_max;
} s_fold_t;

/*  An open-addressed table of the month's rows (a month holds at most a
    few hundred (metric, unit)s; it grows when half full). */
typedef struct {
    s_fold_t *slots;
    size_t size, used;
} s_folds_t;

static int32_t
s_month_first (int32_t m)
{
    return m % 100 == 1 ? (m / 100 - 1) * 10000 + 1215 : (m - 1) * 100 + 15;
}

static int32_t
s_month_next (int32_t m)
{
    return m % 100 == 12 ? (m / 100 + 1) * 100 + 1 : m + 1;
}

static int
s_key_cmp (const void *a, const void *b)
{
    const s_key_t *x = a, *y = b;
    if (x->agent != y->agent)
        return x->agent < y->agent ? -1 : 1;
    return x->month < y->month ? -1 : x->month > y->month;
}

static int
s_keys_add (s_keys_t *keys, int64_t agent, int32_t month)
{
    if (keys->count && keys->keys [keys->count - 1].agent == agent
        && keys->keys [keys->count - 1].month == month)
        return 0;
    if (cchc_grow (&keys->keys, &keys->alloc, keys->count, sizeof *keys->keys, 256))
        return -1;
    keys->keys [keys->count++] = (s_key_t){ agent, month };
    return 0;
}

/*  The (agent, month)s of journal rows after `from` (at most `limit` rows,
    < 0: all), sorted, each once; *last: the last row's id (from when none),
    *more: rows remain after it.  SQLITE_OK or an SQLite code. */
static int
s_tail (sqlite3 *db, int64_t from, int64_t limit, s_keys_t *keys, int64_t *last, bool *more)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2 (db,
                                 "SELECT id, agent, day_first, day_last FROM journal"
                                 " WHERE id > ?1 ORDER BY id LIMIT ?2",
                                 -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_int64 (st, 1, from);
    sqlite3_bind_int64 (st, 2, limit < 0 ? -1 : limit + 1);
    *last = from;
    *more = false;
    int64_t taken = 0;
    while ((rc = sqlite3_step (st)) == SQLITE_ROW) {
        if (limit >= 0 && taken == limit) {
            *more = true;
            break;
        }
        taken++;
        *last = sqlite3_column_int64 (st, 0);
        if (sqlite3_column_type (st, 2) == SQLITE_NULL
            || sqlite3_column_type (st, 3) == SQLITE_NULL)
            continue;
        int64_t agent = sqlite3_column_int64 (st, 1);
        int32_t first = sqlite3_column_int (st, 2), last_day = sqlite3_column_int (st, 3);
        if (first < CCHC_DB_DAY_MIN || last_day > CCHC_DB_DAY_MAX || first > last_day)
            continue; /* not written by cchc_db_journal_add */
        int32_t end = cchc_period_month_of (last_day);
        for (int32_t m = cchc_period_month_of (first); m <= end; m = s_month_next (m))
            if (s_keys_add (keys, agent, m)) {
                sqlite3_finalize (st);
                return SQLITE_NOMEM;
            }
    }
    sqlite3_finalize (st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return rc;
    if (keys->count > 1) {
        qsort (keys->keys, keys->count, sizeof *keys->keys, s_key_cmp);
        size_t n = 1;
        for (size_t i = 1; i < keys->count; i++)
            if (s_key_cmp (&keys->keys [n - 1], &keys->keys [i]))
                keys->keys [n++] = keys->keys [i];
        keys->count = n;
    }
    return SQLITE_OK;
}

static uint64_t
s_hash (const char *metric, const char *unit)
{
    uint64_t h = 1469598103934665603ULL;
    for (const char *p = metric; *p; p++)
        h = (h ^ (uint8_t) *p) * 1099511628211ULL;
    h = (h ^ 0xff) * 1099511628211ULL;
    for (const char *p = unit; *p; p++)
        h = (h ^ (uint8_t) *p) * 1099511628211ULL;
    return h;
}

static int
s_folds_grow (s_folds_t *f)
{
    size_t size = f->size ? f->size * 2 : 256;
    s_fold_t *slots = calloc (size, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < f->size; i++) {
        if (!f->slots [i].used)
            continue;
        size_t k = s_hash (f->slots [i].metric, f->slots [i].unit) & (size - 1);
        while (slots [k].used)
            k = (k + 1) & (size - 1);
        slots [k] = f->slots [i];
    }
    free (f->slots);
    f->slots = slots;
    f->size = size;
    return 0;
}

/*  The row of (metric, unit), added empty if new; NULL when out of memory
    or the codes do not fit (no such rows exist: the writer checks them). */
static s_fold_t *
s_folds_get (s_folds_t *f, const char *metric, const char *unit)
{
    if (strlen (metric) > CCHC_METRIC_MAX || strlen (unit) > CCHC_UNIT_MAX)
        return NULL;
    if ((f->used + 1) * 2 > f->size && s_folds_grow (f))
        return NULL;
    size_t k = s_hash (metric, unit) & (f->size - 1);
    while (f->slots [k].used) {
        if (strcmp (f->slots [k].metric, metric) == 0 && strcmp (f->slots [k].unit, unit) == 0)
            return &f->slots [k];
        k = (k + 1) & (f->size - 1);
    }
    s_fold_t *e = &f->slots [k];
    memset (e, 0, sizeof *e);
    e->used = true;
    strcpy (e->metric, metric);
    strcpy (e->unit, unit);
    e->first = INT32_MAX;
    f->used++;
    return e;
}

/*  total += the value of column `col`: an integer while every value was
    and the sum fits, else a double (as SQLite's + would type it). */
static void
s_fold_add (s_fold_t *e, sqlite3_stmt *st, int col)
{
    if (!e->real && sqlite3_column_type (st, col) == SQLITE_INTEGER) {
        int64_t sum;
        if (!__builtin_add_overflow (e->itotal, sqlite3_column_int64 (st, col), &sum)) {
            e->itotal = sum;
            return;
        }
    }
    if (!e->real) {
        e->ftotal = (double) e->itotal;
        e->real = true;
    }
    e->ftotal += sqlite3_column_double (st, col);
}

/*  Fold the agent's rows of `month` (statement `read`: metric, unit, day,
    value, journal of ?1 agent, days ?2..?3) and write each summary row with
    `write` (the 11 columns of observation_month).  SQLITE_OK or a code. */
static int
s_rebuild (sqlite3_stmt *read, sqlite3_stmt *write, s_folds_t *f, int64_t agent, int32_t month)
{
    memset (f->slots, 0, f->size * sizeof *f->slots);
    f->used = 0;
    sqlite3_bind_int64 (read, 1, agent);
    sqlite3_bind_int (read, 2, s_month_first (month));
    sqlite3_bind_int (read, 3, month * 100 + 14);
    int rc;
    while ((rc = sqlite3_step (read)) == SQLITE_ROW) {
        const char *metric = (const char *) sqlite3_column_text (read, 0);
        const char *unit = (const char *) sqlite3_column_text (read, 1);
        s_fold_t *e = metric && unit ? s_folds_get (f, metric, unit) : NULL;
        if (!e) {
            sqlite3_reset (read);
            return SQLITE_NOMEM;
        }
        int32_t day = sqlite3_column_int (read, 2);
        int64_t journal = sqlite3_column_int64 (read, 4);
        s_fold_add (e, read, 3);
        e->rows++;
        if (day < e->first)
            e->first = day;
        if (day >= e->last) { /* rows come in day order */
            e->last = day;
            e->last_real = sqlite3_column_type (read, 3) != SQLITE_INTEGER;
            e->last_ival = sqlite3_column_int64 (read, 3);
            e->last_fval = sqlite3_column_double (read, 3);
            e->last_journal = journal;
        }
        if (journal > e->journal_max)
            e->journal_max = journal;
    }
    sqlite3_reset (read);
    if (rc != SQLITE_DONE)
        return rc;
    for (size_t i = 0; i < f->size; i++) {
        const s_fold_t *e = &f->slots [i];
        if (!e->used)
            continue;
        sqlite3_bind_int64 (write, 1, agent);
        sqlite3_bind_text (write, 2, e->metric, -1, SQLITE_STATIC);
        sqlite3_bind_int (write, 3, month);
        sqlite3_bind_text (write, 4, e->unit, -1, SQLITE_STATIC);
        if (e->real)
            sqlite3_bind_double (write, 5, e->ftotal);
        else
            sqlite3_bind_int64 (write, 5, e->itotal);
        sqlite3_bind_int64 (write, 6, e->rows);
        sqlite3_bind_int (write, 7, e->first);
        sqlite3_bind_int (write, 8, e->last);
        if (e->last_real)
            sqlite3_bind_double (write, 9, e->last_fval);
        else
            sqlite3_bind_int64 (write, 9, e->last_ival);
        sqlite3_bind_int64 (write, 10, e->last_journal);
        sqlite3_bind_int64 (write, 11, e->journal_max);
        rc = sqlite3_step (write);
        sqlite3_reset (write);
        if (rc != SQLITE_DONE)
            return rc;
    }
    return SQLITE_OK;
}

/*  (a seek per (day, agent): observation is keyed by day first) */
static const char *s_read_sql =
    CCHC_DB_DAYS ("?2", "?3") "SELECT o.metric, o.unit, o.day,"
                              " o.value, o.journal"
                              " FROM days CROSS JOIN observation AS o"
                              " WHERE o.day = days.day"
                              " AND o.agent = ?1 AND o.day BETWEEN ?2 AND ?3";

/*  Rebuild the months of `keys` through `write_sql` (its 11 parameters:
    s_rebuild's), each after one step of `first_sql` with the key's agent
    and month bound to ?1 and ?2: the follower's DELETE of the stored
    month, the reader's mark of it as pending.  SQLITE_OK or a code. */
static int
s_rebuild_keys (sqlite3 *db, const s_keys_t *keys, const char *first_sql,
                const char *write_sql)
{
    sqlite3_stmt *read = NULL, *first = NULL, *write = NULL;
    s_folds_t folds = { 0 };
    int rc = s_folds_grow (&folds) ? SQLITE_NOMEM : SQLITE_OK;
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2 (db, s_read_sql, -1, &read, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2 (db, first_sql, -1, &first, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2 (db, write_sql, -1, &write, NULL);
    for (size_t i = 0; i < keys->count && rc == SQLITE_OK; i++) {
        sqlite3_bind_int64 (first, 1, keys->keys [i].agent);
        sqlite3_bind_int (first, 2, keys->keys [i].month);
        rc = sqlite3_step (first);
        sqlite3_reset (first);
        rc = rc == SQLITE_DONE
                 ? s_rebuild (read, write, &folds, keys->keys [i].agent, keys->keys [i].month)
                 : rc;
    }
    sqlite3_finalize (read);
    sqlite3_finalize (first);
    sqlite3_finalize (write);
    free (folds.slots);
    return rc;
}

/*  The follower's position, or -1 when the database has none (no
    month_position table: a database of an older release, or one built
    without the summary).  SQLITE_OK or a code. */
static int
s_position (sqlite3 *db, int64_t *position)
{
    *position = -1;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2 (db, "SELECT journal FROM main.month_position WHERE id = 1",
                                 -1, &st, NULL);
    if (rc != SQLITE_OK) {
        /*  "no such table": no follower here. */
        return sqlite3_errcode (db) == SQLITE_ERROR ? SQLITE_OK : rc;
    }
    rc = sqlite3_step (st);
    if (rc == SQLITE_ROW)
        *position = sqlite3_column_int64 (st, 0);
    sqlite3_finalize (st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/*  Rebuild `keys` in observation_month and move the position to `last`,
    inside the caller's transaction.  SQLITE_OK or a code. */
static int
s_follow_apply (sqlite3 *db, const s_keys_t *keys, int64_t last)
{
    int rc = s_rebuild_keys (db, keys,
                             "DELETE FROM observation_month"
                             " WHERE agent = ?1 AND month = ?2",
                             "INSERT INTO observation_month (agent, metric, month,"
                             " unit, total, rows, day_first, day_last, last_value,"
                             " last_journal, journal_max) VALUES (?1, ?2, ?3, ?4, ?5,"
                             " ?6, ?7, ?8, ?9, ?10, ?11)");
    sqlite3_stmt *move = NULL;
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2 (db, "UPDATE month_position SET journal = ?1 WHERE id = 1", -1,
                                 &move, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64 (move, 1, last);
        rc = sqlite3_step (move);
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    sqlite3_finalize (move);
    return rc;
}

int
cchc_db_month_follow (cchc_db_t *self, int64_t max_messages, bool *left)
{
    assert (self && left);
    *left = false;
    sqlite3 *db = cchc_db_handle (self);
    if (cchc_db_begin (self))
        return -1;
    int64_t position, last;
    s_keys_t keys = { 0 };
    int rc = s_position (db, &position);
    if (rc == SQLITE_OK && position >= 0)
        rc = s_tail (db, position, max_messages, &keys, &last, left);
    if (rc == SQLITE_OK && position >= 0 && last > position)
        rc = s_follow_apply (db, &keys, last);
    free (keys.keys);
    if (rc != SQLITE_OK || cchc_db_commit (self)) {
        cchc_db_take_error (self);
        cchc_db_rollback (self);
        *left = false;
        return -1;
    }
    return 0;
}

int
cchc_db_month_settled (cchc_db_t *self, int64_t journal)
{
    assert (self);
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2 (cchc_db_handle (self),
                                 "UPDATE month_position SET journal = ?1"
                                 " WHERE id = 1 AND journal < ?1",
                                 -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64 (st, 1, journal);
        rc = sqlite3_step (st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
    }
    sqlite3_finalize (st);
    if (rc != SQLITE_OK) {
        cchc_db_take_error (self);
        return -1;
    }
    return 0;
}

/*  The reader's temporary tables and view (db.h, cchc_db_month_settle). */
static const char *s_settle_sql =
    "CREATE TEMP TABLE IF NOT EXISTS cchc_month_pending ("
    "  agent INTEGER NOT NULL, month INTEGER NOT NULL,"
    "  PRIMARY KEY (agent, month)) WITHOUT ROWID;"
    "CREATE TEMP TABLE IF NOT EXISTS cchc_month_fresh ("
    "  agent INTEGER NOT NULL, metric TEXT NOT NULL, month INTEGER NOT NULL,"
    "  unit TEXT NOT NULL, total NOT NULL, rows INTEGER NOT NULL,"
    "  day_first INTEGER NOT NULL, day_last INTEGER NOT NULL, last_value NOT NULL,"
    "  last_journal INTEGER NOT NULL, journal_max INTEGER NOT NULL,"
    "  PRIMARY KEY (agent, month, metric, unit)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS temp.cchc_month_fresh_by_metric"
    "  ON cchc_month_fresh (agent, metric, month);"
    "CREATE TEMP VIEW IF NOT EXISTS cchc_month_now AS"
    "  SELECT * FROM main.observation_month AS o WHERE NOT EXISTS (SELECT 1"
    "    FROM temp.cchc_month_pending AS p WHERE p.agent = o.agent AND p.month = o.month)"
    "  UNION ALL SELECT * FROM temp.cchc_month_fresh;"
    "DELETE FROM temp.cchc_month_pending;"
    "DELETE FROM temp.cchc_month_fresh;";

int
cchc_db_month_settle (sqlite3 *db, int64_t *pending)
{
    assert (db && pending);
    *pending = 0;
    int rc = sqlite3_exec (db, s_settle_sql, NULL, NULL, NULL);
    int64_t position = -1, last;
    bool more;
    s_keys_t keys = { 0 };
    if (rc == SQLITE_OK)
        rc = s_position (db, &position);
    if (rc == SQLITE_OK && position >= 0)
        rc = s_tail (db, position, -1, &keys, &last, &more);
    if (rc != SQLITE_OK || keys.count == 0) {
        free (keys.keys);
        return rc == SQLITE_OK ? 0 : -1;
    }
    rc = s_rebuild_keys (db, &keys,
                         "INSERT INTO temp.cchc_month_pending (agent, month)"
                         " VALUES (?1, ?2)",
                         "INSERT INTO temp.cchc_month_fresh VALUES (?1, ?2,"
                         " ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
    *pending = rc == SQLITE_OK ? (int64_t) keys.count : 0;
    free (keys.keys);
    return rc == SQLITE_OK ? 0 : -1;
}

/*  The summary as of the caller's snapshot, for one query: settled inside a
    savepoint (a snapshot of its own when the caller holds none).  Then
    `sql` is prepared; NULL on failure (the savepoint released). */
static sqlite3_stmt *
s_settled_query (sqlite3 *db, const char *sql)
{
    if (sqlite3_exec (db, "SAVEPOINT cchc_db_month", NULL, NULL, NULL) != SQLITE_OK)
        return NULL;
    int64_t pending = 0;
    sqlite3_stmt *st = NULL;
    if (cchc_db_month_settle (db, &pending) != 0
        || sqlite3_prepare_v2 (db, sql, -1, &st, NULL) != SQLITE_OK) {
        sqlite3_exec (db, "RELEASE cchc_db_month", NULL, NULL, NULL);
        return NULL;
    }
    return st;
}

static int
s_settled_done (sqlite3 *db, sqlite3_stmt *st, int rc)
{
    sqlite3_finalize (st);
    sqlite3_exec (db, "RELEASE cchc_db_month", NULL, NULL, NULL);
    return rc == SQLITE_DONE ? 0 : -1;
}

int
cchc_db_month_journal_each (sqlite3 *db, cchc_db_month_journal_fn *fn, void *arg)
{
    assert (db && fn);
    /*  journal_max never shrinks as rows change, so the settled rows of a
        pending month are at most what it holds: no need to leave them out. */
    sqlite3_stmt *st = s_settled_query (
        db, "SELECT month, max (journal_max) FROM (SELECT month, journal_max"
            "  FROM main.observation_month UNION ALL SELECT month, journal_max"
            "  FROM temp.cchc_month_fresh) GROUP BY month ORDER BY month");
    if (!st)
        return -1;
    int rc;
    while ((rc = sqlite3_step (st)) == SQLITE_ROW)
        if (fn (sqlite3_column_int (st, 0), sqlite3_column_int64 (st, 1), arg)) {
            rc = SQLITE_NOMEM;
            break;
        }
    return s_settled_done (db, st, rc);
}

int
cchc_db_month_units_after (sqlite3 *db, int32_t month_first, int32_t month_last,
                           int64_t journal, int64_t *units)
{
    assert (db && units);
    *units = 0;
    sqlite3_stmt *st =
        s_settled_query (db, "SELECT count (DISTINCT unit) FROM temp.cchc_month_now"
                             " WHERE month BETWEEN ?1 AND ?2 AND journal_max > ?3");
    if (!st)
        return -1;
    sqlite3_bind_int (st, 1, month_first);
    sqlite3_bind_int (st, 2, month_last);
    sqlite3_bind_int64 (st, 3, journal);
    int rc = sqlite3_step (st);
    if (rc == SQLITE_ROW) {
        *units = sqlite3_column_int64 (st, 0);
        rc = SQLITE_DONE;
    }
    return s_settled_done (db, st, rc);
}
