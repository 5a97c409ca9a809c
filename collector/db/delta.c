/*  delta.c — the changes to observation_month the collector's writer sums
    over its batches and applies between its ingest transactions (delta.h).
*/
#include "collector/db/delta.h"
#include "collector/db/schema.h"
#include "common/mem.h"
#include "common/period.h"
#include "common/text.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/*  observation_month changes summed by the collector's writer (delta.h) */

/*  What the noted rows change in one (agent, month, metric, unit). */
typedef struct {
    int64_t agent;
    int32_t month;
    char metric [CCHC_METRIC_MAX + 1];
    char unit [CCHC_UNIT_MAX + 1];
    bool real;         /* the total change is a double */
    int64_t itotal;    /* while !real */
    double ftotal;     /* when real */
    int64_t rows;      /* rows added − rows that left */
    int32_t day_first; /* days of the rows added or replaced */
    int32_t day_last;  /* (INT32_MAX, 0 when none) */
    bool last_real;    /* the value of the row on day_last */
    int64_t last_ival;
    double last_fval;
    int64_t last_journal;
    int64_t journal_max;
    bool removed; /* a row left: drop if empty, recompute edges */
} s_delta_entry_t;

/*  Summary rows per upsert statement. */
#define S_DELTA_PER_UPSERT 32

struct cchc_db_delta_t {
    s_delta_entry_t *entries;
    size_t count, alloc;
    sqlite3 *db;                                   /* the statements' connection */
    sqlite3_stmt *upsert [S_DELTA_PER_UPSERT + 1]; /* [n]: of n rows */
    sqlite3_stmt *drop, *edges;
    size_t folded;  /* > 0: entries [0, folded) sorted, being applied */
    size_t applied; /* of those, written so far */
    /*  The entries by key: an open-addressing table of entry index + 1 (0:
        free), a power of two at least twice the count: a note of a key
        already there merges into its entry, so the entries are one a key
        and the apply only sorts them. */
    uint32_t *slots;
    size_t nslots;
};

/*  Same effect as the insert trigger's S_ADD_NEW, for many rows at once:
    "INSERT INTO observation_month (...) VALUES (11 values)..." then this. */
static const char *s_delta_upsert_sql =
    " ON CONFLICT (agent, month, metric, unit) DO UPDATE SET"
    " total = total + excluded.total, rows = rows + excluded.rows,"
    " day_first = min (day_first, excluded.day_first),"
    " day_last = max (day_last, excluded.day_last),"
    " last_value = CASE WHEN excluded.day_last >= day_last"
    "   THEN excluded.last_value ELSE last_value END,"
    " last_journal = CASE WHEN excluded.day_last >= day_last"
    "   THEN excluded.last_journal ELSE last_journal END,"
    " journal_max = max (journal_max, excluded.journal_max)";

#define S_DELTA_KEY " WHERE agent = ?1 AND month = ?2 AND metric = ?3 AND unit = ?4"
/*  (month ?2's days, a seek per (day, agent ?1)) */
#define S_DELTA_DAYS \
    "(" CCHC_DB_DAYS (CCHC_DB_MONTH_FIRST_OF ("?2"), CCHC_DB_MONTH_LAST_OF ("?2")) "SELECT"
#define S_DELTA_ROWS                                                \
    " FROM days CROSS JOIN observation AS o WHERE o.day = days.day" \
    " AND o.agent = ?1 AND o.metric = ?3 AND o.unit = ?4"

/*  Same effect as the trigger's S_REMOVE_OLD after the sums changed. */
static const char *s_delta_drop_sql =
    "DELETE FROM observation_month" S_DELTA_KEY " AND rows <= 0";
static const char *s_delta_edges_sql =
    "UPDATE observation_month SET"
    " day_first = " S_DELTA_DAYS " min (o.day)" S_DELTA_ROWS "),"
    " day_last = " S_DELTA_DAYS " max (o.day)" S_DELTA_ROWS "),"
    " last_value = " S_DELTA_DAYS " o.value" S_DELTA_ROWS " ORDER BY o.day DESC LIMIT 1),"
    " last_journal = " S_DELTA_DAYS " o.journal" S_DELTA_ROWS
    " ORDER BY o.day DESC LIMIT 1)" S_DELTA_KEY;

cchc_db_delta_t *
cchc_db_delta_new (void)
{
    return calloc (1, sizeof (cchc_db_delta_t));
}

static void
s_delta_finalize (cchc_db_delta_t *self)
{
    for (int i = 0; i <= S_DELTA_PER_UPSERT; i++) {
        sqlite3_finalize (self->upsert [i]);
        self->upsert [i] = NULL;
    }
    sqlite3_finalize (self->drop);
    sqlite3_finalize (self->edges);
    self->drop = self->edges = NULL;
    self->db = NULL;
}

void
cchc_db_delta_destroy (cchc_db_delta_t **self_p)
{
    assert (self_p);
    cchc_db_delta_t *self = *self_p;
    if (!self)
        return;
    s_delta_finalize (self);
    free (self->entries);
    free (self->slots);
    free (self);
    *self_p = NULL;
}

size_t
cchc_db_delta_size (const cchc_db_delta_t *self)
{
    assert (self);
    return self->count;
}

void
cchc_db_delta_clear (cchc_db_delta_t *self)
{
    assert (self);
    if (self->count && self->slots)
        memset (self->slots, 0, self->nslots * sizeof *self->slots);
    self->count = self->folded = self->applied = 0;
}

/*  total += sign × value, as SQLite's arithmetic would type it: integer
    while every term is and the sum fits, else real. */
static void
s_delta_total_add (s_delta_entry_t *e, bool is_float, int64_t ival, double fval, int sign)
{
    if (!e->real && !is_float) {
        int64_t sum;
        bool overflow = sign > 0 ? __builtin_add_overflow (e->itotal, ival, &sum)
                                 : __builtin_sub_overflow (e->itotal, ival, &sum);
        if (!overflow) {
            e->itotal = sum;
            return;
        }
    }
    if (!e->real) {
        e->ftotal = (double) e->itotal;
        e->real = true;
    }
    double v = is_float ? fval : (double) ival;
    e->ftotal += sign > 0 ? v : -v;
}

/*  A note about `row`'s (agent, month, metric, unit), nothing changed yet.
    -1 if a code is too long for the table. */
static int
s_delta_make (s_delta_entry_t *e, const cchc_db_delta_row_t *row)
{
    if (strlen (row->metric) > CCHC_METRIC_MAX || strlen (row->unit) > CCHC_UNIT_MAX)
        return -1;
    memset (e, 0, sizeof *e);
    e->agent = row->agent;
    e->month = cchc_period_month_of (row->day);
    strcpy (e->metric, row->metric);
    strcpy (e->unit, row->unit);
    e->day_first = INT32_MAX;
    return 0;
}

static uint32_t
s_delta_hash (const s_delta_entry_t *e)
{
    uint64_t h = (uint64_t) e->agent * 0x9E3779B97F4A7C15ull ^ (uint64_t) e->month;
    h ^= (uint64_t) cchc_str_hash (e->metric) << 16 ^ cchc_str_hash (e->unit);
    h *= 0xff51afd7ed558ccdull;
    return (uint32_t) (h >> 32);
}

static int s_delta_cmp (const void *a, const void *b);

/*  The slot of e's key: the one holding it, or the free one it would take. */
static uint32_t *
s_delta_slot (cchc_db_delta_t *self, const s_delta_entry_t *e)
{
    size_t mask = self->nslots - 1;
    for (size_t i = s_delta_hash (e) & mask;; i = (i + 1) & mask)
        if (!self->slots [i] || s_delta_cmp (&self->entries [self->slots [i] - 1], e) == 0)
            return &self->slots [i];
}

/*  Room for one more entry, the table kept at most half full.  0 or -1. */
static int
s_delta_room (cchc_db_delta_t *self)
{
    if (cchc_grow (&self->entries, &self->alloc, self->count, sizeof *self->entries, 1024))
        return -1;
    if (self->count + 1 <= self->nslots / 2)
        return 0;
    size_t want = self->nslots ? self->nslots * 2 : 2048;
    if (want > UINT32_MAX)
        return -1;
    uint32_t *slots = calloc (want, sizeof *slots);
    if (!slots)
        return -1;
    free (self->slots);
    self->slots = slots;
    self->nslots = want;
    for (size_t i = 0; i < self->count; i++)
        *s_delta_slot (self, &self->entries [i]) = (uint32_t) i + 1;
    return 0;
}

static void s_delta_merge (s_delta_entry_t *a, const s_delta_entry_t *b);

/*  Fold a note into the entry of its key (a new one if none).  0 or -1. */
static int
s_delta_add (cchc_db_delta_t *self, const s_delta_entry_t *note)
{
    if (s_delta_room (self))
        return -1;
    uint32_t *slot = s_delta_slot (self, note);
    if (*slot) {
        s_delta_merge (&self->entries [*slot - 1], note);
        return 0;
    }
    self->entries [self->count] = *note;
    *slot = (uint32_t) ++self->count;
    return 0;
}

/*  `row` is in its month now (added, or replacing a row of the same day). */
static void
s_delta_set_row (s_delta_entry_t *e, const cchc_db_delta_row_t *row)
{
    e->day_first = row->day;
    e->day_last = row->day;
    e->last_real = row->is_float;
    e->last_ival = row->ival;
    e->last_fval = row->fval;
    e->last_journal = row->journal;
    e->journal_max = row->journal;
}

int
cchc_db_delta_note (cchc_db_delta_t *self, const cchc_db_delta_row_t *old,
                    const cchc_db_delta_row_t *row)
{
    assert (self && row && row->metric && row->unit);
    assert (self->folded == 0); /* not while being applied in slices */
    assert (!old
            || (old->agent == row->agent && old->day == row->day && old->unit
                && strcmp (old->metric, row->metric) == 0));
    s_delta_entry_t e;
    if (old && strcmp (old->unit, row->unit) != 0) {
        /*  The row moved to another unit: out of the old unit's month. */
        if (s_delta_make (&e, old))
            return -1;
        s_delta_total_add (&e, old->is_float, old->ival, old->fval, -1);
        e.rows = -1;
        e.removed = true;
        if (s_delta_add (self, &e))
            return -1;
        old = NULL;
    }
    if (s_delta_make (&e, row))
        return -1;
    s_delta_total_add (&e, row->is_float, row->ival, row->fval, +1);
    if (old)
        s_delta_total_add (&e, old->is_float, old->ival, old->fval, -1);
    else
        e.rows = 1;
    s_delta_set_row (&e, row);
    return s_delta_add (self, &e);
}

static int
s_delta_cmp (const void *a, const void *b)
{
    const s_delta_entry_t *x = a, *y = b;
    if (x->agent != y->agent)
        return x->agent < y->agent ? -1 : 1;
    if (x->month != y->month)
        return x->month < y->month ? -1 : 1;
    int c = strcmp (x->metric, y->metric);
    return c ? c : strcmp (x->unit, y->unit);
}

/*  Fold entry b (same key, noted later) into a. */
static void
s_delta_merge (s_delta_entry_t *a, const s_delta_entry_t *b)
{
    if (b->real)
        s_delta_total_add (a, true, 0, b->ftotal, +1);
    else
        s_delta_total_add (a, false, b->itotal, 0, +1);
    a->rows += b->rows;
    if (b->day_first < a->day_first)
        a->day_first = b->day_first;
    if (b->day_last >= a->day_last && b->day_last > 0) {
        a->day_last = b->day_last;
        a->last_real = b->last_real;
        a->last_ival = b->last_ival;
        a->last_fval = b->last_fval;
        a->last_journal = b->last_journal;
    }
    if (b->journal_max > a->journal_max)
        a->journal_max = b->journal_max;
    a->removed = a->removed || b->removed;
}

/*  The statements of `db`: drop and edges now, upserts on first use. */
static int
s_delta_prepare (cchc_db_delta_t *self, sqlite3 *db)
{
    if (self->db == db)
        return 0;
    s_delta_finalize (self);
    if (sqlite3_prepare_v3 (db, s_delta_drop_sql, -1, SQLITE_PREPARE_PERSISTENT, &self->drop,
                            NULL)
            != SQLITE_OK
        || sqlite3_prepare_v3 (db, s_delta_edges_sql, -1, SQLITE_PREPARE_PERSISTENT,
                               &self->edges, NULL)
               != SQLITE_OK) {
        s_delta_finalize (self);
        return -1;
    }
    self->db = db;
    return 0;
}

static sqlite3_stmt *
s_delta_upsert (cchc_db_delta_t *self, size_t n)
{
    assert (n >= 1 && n <= S_DELTA_PER_UPSERT);
    if (self->upsert [n])
        return self->upsert [n];
    char sql [2048 + S_DELTA_PER_UPSERT * 64];
    size_t used = (size_t) snprintf (sql, sizeof sql,
                                     "INSERT INTO observation_month (agent, metric, month,"
                                     " unit, total, rows, day_first, day_last, last_value,"
                                     " last_journal, journal_max) VALUES ");
    for (size_t i = 0; i < n; i++) {
        used += (size_t) snprintf (sql + used, sizeof sql - used, "%s(", i ? "," : "");
        for (int k = 1; k <= 11; k++)
            used += (size_t) snprintf (sql + used, sizeof sql - used, "?%d%s",
                                       (int) i * 11 + k, k < 11 ? "," : ")");
    }
    snprintf (sql + used, sizeof sql - used, "%s", s_delta_upsert_sql);
    if (sqlite3_prepare_v3 (self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &self->upsert [n],
                            NULL)
        != SQLITE_OK)
        return NULL;
    return self->upsert [n];
}

static int
s_delta_step (sqlite3_stmt *st)
{
    int rc = sqlite3_step (st);
    sqlite3_reset (st);
    return rc == SQLITE_DONE ? 0 : -1;
}

static void
s_delta_bind_key (sqlite3_stmt *st, const s_delta_entry_t *e)
{
    sqlite3_bind_int64 (st, 1, e->agent);
    sqlite3_bind_int (st, 2, e->month);
    sqlite3_bind_text (st, 3, e->metric, -1, SQLITE_STATIC);
    sqlite3_bind_text (st, 4, e->unit, -1, SQLITE_STATIC);
}

/*  Upsert entries [0, n) in one statement, then drop or re-edge those a row
    left.  0 or -1. */
/*  A figure as the protocol sent it: a real, or an integer (kept exact). */
static void
s_bind_value (sqlite3_stmt *st, int i, bool real, double f, int64_t v)
{
    if (real)
        sqlite3_bind_double (st, i, f);
    else
        sqlite3_bind_int64 (st, i, v);
}

static int
s_delta_write (cchc_db_delta_t *self, const s_delta_entry_t *entries, size_t n)
{
    sqlite3_stmt *st = s_delta_upsert (self, n);
    if (!st)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const s_delta_entry_t *e = &entries [i];
        int p = (int) i * 11;
        sqlite3_bind_int64 (st, p + 1, e->agent);
        sqlite3_bind_text (st, p + 2, e->metric, -1, SQLITE_STATIC);
        sqlite3_bind_int (st, p + 3, e->month);
        sqlite3_bind_text (st, p + 4, e->unit, -1, SQLITE_STATIC);
        s_bind_value (st, p + 5, e->real, e->ftotal, e->itotal);
        sqlite3_bind_int64 (st, p + 6, e->rows);
        sqlite3_bind_int (st, p + 7, e->day_first);
        sqlite3_bind_int (st, p + 8, e->day_last);
        s_bind_value (st, p + 9, e->last_real, e->last_fval, e->last_ival);
        sqlite3_bind_int64 (st, p + 10, e->last_journal);
        sqlite3_bind_int64 (st, p + 11, e->journal_max);
    }
    int rc = s_delta_step (st);
    for (size_t i = 0; i < n && rc == 0; i++) {
        const s_delta_entry_t *e = &entries [i];
        if (!e->removed)
            continue;
        s_delta_bind_key (self->drop, e);
        s_delta_bind_key (self->edges, e);
        rc = s_delta_step (self->drop);
        if (rc == 0)
            rc = s_delta_step (self->edges);
    }
    return rc;
}

/*  Sort the entries (one a key) by key: the first slice of an apply. */
static void
s_delta_fold (cchc_db_delta_t *self)
{
    qsort (self->entries, self->count, sizeof *self->entries, s_delta_cmp);
    if (self->slots)
        memset (self->slots, 0, self->nslots * sizeof *self->slots);
    self->folded = self->count;
    self->applied = 0;
}
int
cchc_db_delta_apply_some (cchc_db_delta_t *self, sqlite3 *db, size_t max, char *err,
                          size_t errlen)
{
    assert (self && db && max > 0);
    if (self->count == 0)
        return 0;
    if (s_delta_prepare (self, db) != 0) {
        cchc_errf (err, errlen, "observation_month: %s", sqlite3_errmsg (db));
        cchc_db_delta_clear (self);
        return -1;
    }
    if (self->folded == 0)
        s_delta_fold (self);
    size_t end = self->folded - self->applied > max ? self->applied + max : self->folded;
    int rc = 0;
    for (size_t i = self->applied; i < end && rc == 0; i += S_DELTA_PER_UPSERT)
        rc = s_delta_write (self, &self->entries [i],
                            end - i < S_DELTA_PER_UPSERT ? end - i : S_DELTA_PER_UPSERT);
    if (rc != 0) {
        cchc_errf (err, errlen, "observation_month: %s", sqlite3_errmsg (db));
        cchc_db_delta_clear (self);
        return -1;
    }
    self->applied = end;
    if (end < self->folded)
        return 1;
    cchc_db_delta_clear (self);
    return 0;
}

int
cchc_db_delta_apply (cchc_db_delta_t *self, sqlite3 *db, char *err, size_t errlen)
{
    return cchc_db_delta_apply_some (self, db, SIZE_MAX, err, errlen);
}
