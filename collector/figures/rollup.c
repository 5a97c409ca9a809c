/*  rollup.c — the roll-up's SQLite loader and explanations (rollup.h has the
    definitions).  The pure core that folds, scores, ranks and sums
    (cchc_rollup_compute) is in compute.c and works on arrays in memory; the
    writer's observation_month bookkeeping is in month.c.  The loader
    (cchc_rollup_load) does the heavy folding from observation_month (one
    row per agent, reporting month, metric and unit), in two statements that
    walk it by seeks, one agent at a time, so a quarter costs the quarter's
    months whatever the size of the history:

      counters  the window's months of each agent (primary key (agent,
                month, ...)), folded per (agent, metric, unit) here;
      gauges    per (agent, metric), the latest month <= the window's end
                (a MAX(month) sub-query answered by one backward seek in
                the (agent, metric, month) index) and its last day's value.

    Then one lookup per distinct journal id gives arrival times.

    The summary is settled by a follower (collector/db/db.h, "the
    summary"): the months it has not reached yet in this snapshot are
    computed from the rows first (cchc_db_month_settle).  Their agents
    ("pending") are then read one agent at a time through the view
    temp.cchc_month_now (settled months and fresh ones); every other agent
    by the two statements above.  With nothing pending (a quiet database)
    the statements are exactly the plain ones.
*/
#include "collector/figures/rollup.h"
#include "collector/db/db.h"
#include "collector/db/schema.h"
#include "common/text.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/*  SQLite loader */

typedef struct {
    sqlite3 *db;
    const cchc_criteria_t *cat;
    char *err;
    size_t errlen;
    /* units (sorted by code) */
    cchc_rollup_unit_t *units;
    char **strings; /* owned copies behind units */
    size_t unit_count;
    /* parts */
    cchc_rollup_part_t *parts;
    size_t part_count, part_alloc;
    size_t parts_ignored;
    /* the summary's pending agents in this snapshot (sorted), once settled */
    bool settled;
    int64_t *pending;
    size_t pending_count;
} s_loader_t;

static int
s_sql_fail (s_loader_t *l, const char *what)
{
    cchc_errf (l->err, l->errlen, "%s: %s", what, sqlite3_errmsg (l->db));
    return -1;
}

static int
s_exec (s_loader_t *l, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec (l->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        cchc_errf (l->err, l->errlen, "%s", msg ? msg : sqlite3_errmsg (l->db));
        sqlite3_free (msg);
        return -1;
    }
    return 0;
}

static void
s_loader_reset (s_loader_t *l)
{
    for (size_t i = 0; i < l->unit_count * 3; i++)
        free (l->strings [i]);
    free (l->strings);
    free (l->units);
    free (l->parts);
    l->strings = NULL;
    l->units = NULL;
    l->parts = NULL;
    l->unit_count = l->part_count = l->part_alloc = l->parts_ignored = 0;
}

static int
s_load_units (s_loader_t *l, const cchc_rollup_window_t *w)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (l->db,
                            "SELECT code, name, level, parent FROM unit"
                            " WHERE valid_from <= ?1 AND valid_to >= ?1"
                            " AND level IN ('so','huyen','xa') ORDER BY code, valid_from DESC",
                            -1, &st, NULL)
        != SQLITE_OK)
        return s_sql_fail (l, "units");
    sqlite3_bind_int (st, 1, w->last_day);
    size_t alloc = 0;
    int rc;
    while ((rc = sqlite3_step (st)) == SQLITE_ROW) {
        const char *code = (const char *) sqlite3_column_text (st, 0);
        const char *name = (const char *) sqlite3_column_text (st, 1);
        const char *level = (const char *) sqlite3_column_text (st, 2);
        const char *parent = (const char *) sqlite3_column_text (st, 3);
        if (!code || !name || !level)
            continue;
        if (l->unit_count > 0 && strcmp (l->units [l->unit_count - 1].code, code) == 0)
            continue; /* overlapping validity: keep the latest row */
        if (l->unit_count == alloc) {
            alloc = alloc ? alloc * 2 : 256;
            cchc_rollup_unit_t *u = realloc (l->units, alloc * sizeof *u);
            char **s = u ? realloc (l->strings, alloc * 3 * sizeof *s) : NULL;
            if (u)
                l->units = u;
            if (s)
                l->strings = s;
            if (!u || !s) {
                sqlite3_finalize (st);
                cchc_errf (l->err, l->errlen, "out of memory");
                return -1;
            }
        }
        cchc_rollup_unit_t *u = &l->units [l->unit_count];
        char **s = &l->strings [l->unit_count * 3];
        s [0] = strdup (code);
        s [1] = strdup (name);
        s [2] = parent ? strdup (parent) : NULL;
        l->unit_count++;
        u->code = s [0];
        u->name = s [1];
        u->parent = s [2];
        if (!s [0] || !s [1] || (parent && !s [2])) {
            sqlite3_finalize (st);
            cchc_errf (l->err, l->errlen, "out of memory");
            return -1;
        }
        cchc_level_parse (level, &u->level);
    }
    sqlite3_finalize (st);
    if (rc != SQLITE_DONE)
        return s_sql_fail (l, "units");
    return 0;
}

static int
s_unit_index (const s_loader_t *l, const char *code)
{
    size_t lo = 0, hi = l->unit_count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp (l->units [mid].code, code);
        if (c == 0)
            return (int) mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static cchc_rollup_part_t *
s_part_add (s_loader_t *l)
{
    if (l->part_count == l->part_alloc) {
        size_t want = l->part_alloc ? l->part_alloc * 2 : 4096;
        cchc_rollup_part_t *p = realloc (l->parts, want * sizeof *p);
        if (!p)
            return NULL;
        l->parts = p;
        l->part_alloc = want;
    }
    cchc_rollup_part_t *p = &l->parts [l->part_count++];
    memset (p, 0, sizeof *p);
    return p;
}

/*  The metric catalogue as a temp table the folding queries join. */
static int
s_load_metric_table (s_loader_t *l)
{
    if (s_exec (l, "CREATE TEMP TABLE IF NOT EXISTS cchc_rollup_metric ("
                   " code TEXT PRIMARY KEY, kind INTEGER NOT NULL,"
                   " idx INTEGER NOT NULL) WITHOUT ROWID;"
                   "DELETE FROM temp.cchc_rollup_metric;")
        != 0)
        return -1;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (l->db,
                            "INSERT INTO temp.cchc_rollup_metric"
                            " VALUES (?1, ?2, ?3)",
                            -1, &st, NULL)
        != SQLITE_OK)
        return s_sql_fail (l, "metric table");
    size_t nm = cchc_criteria_metric_count (l->cat);
    for (size_t m = 0; m < nm; m++) {
        const cchc_metric_t *metric = cchc_criteria_metric (l->cat, m);
        sqlite3_bind_text (st, 1, metric->code, -1, SQLITE_STATIC);
        sqlite3_bind_int (st, 2, (int) metric->kind);
        sqlite3_bind_int64 (st, 3, (sqlite3_int64) m);
        if (sqlite3_step (st) != SQLITE_DONE) {
            sqlite3_finalize (st);
            return s_sql_fail (l, "metric table");
        }
        sqlite3_reset (st);
    }
    sqlite3_finalize (st);
    return 0;
}

/*  Whether the database has observation_month (cchc_db_month_apply). */
static int
s_has_month_table (s_loader_t *l, bool *has)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (l->db,
                            "SELECT 1 FROM sqlite_master WHERE type = 'table'"
                            " AND name = 'observation_month'",
                            -1, &st, NULL)
        != SQLITE_OK)
        return s_sql_fail (l, "schema");
    int rc = sqlite3_step (st);
    *has = rc == SQLITE_ROW;
    sqlite3_finalize (st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return s_sql_fail (l, "schema");
    return 0;
}

static int
s_add_part (s_loader_t *l, const char *unit, int64_t agent, size_t metric, double value,
            int64_t rows, int32_t day_first, int32_t day_last, int64_t journal)
{
    int u = unit ? s_unit_index (l, unit) : -1;
    if (u < 0) {
        l->parts_ignored++;
        return 0;
    }
    cchc_rollup_part_t *p = s_part_add (l);
    if (!p) {
        cchc_errf (l->err, l->errlen, "out of memory");
        return -1;
    }
    p->unit = (size_t) u;
    p->metric = metric;
    p->agent = agent;
    p->value = value;
    p->rows = rows;
    p->day_first = day_first;
    p->day_last = day_last;
    p->journal_max = journal;
    return 0;
}

/*  Counters from the monthly sums: the window's months of each agent, by
    primary-key seeks, in (month, metric, unit) order; s_load_counters folds
    each (agent, metric, unit) over the months. */
#define S_SQL_MONTH_COUNTERS                                                   \
    "SELECT o.agent, m.idx, o.unit, o.total, o.rows, o.day_first, o.day_last," \
    "       o.journal_max"                                                     \
    "  FROM agent AS a CROSS JOIN observation_month AS o"                      \
    "       CROSS JOIN temp.cchc_rollup_metric AS m"                           \
    " WHERE o.agent = a.id AND o.month BETWEEN ?1 AND ?2"                      \
    "   AND m.code = o.metric AND m.kind = 1"
static const char *s_sql_month_counters = S_SQL_MONTH_COUNTERS;
/*  The same without the pending agents, and for one pending agent ?3. */
static const char *s_sql_settled_counters =
    S_SQL_MONTH_COUNTERS "   AND a.id NOT IN (SELECT agent FROM temp.cchc_month_pending)";
static const char *s_sql_pending_counters =
    "SELECT o.agent, m.idx, o.unit, o.total, o.rows, o.day_first, o.day_last,"
    "       o.journal_max"
    "  FROM temp.cchc_month_now AS o CROSS JOIN temp.cchc_rollup_metric AS m"
    " WHERE o.agent = ?3 AND o.month BETWEEN ?1 AND ?2"
    "   AND m.code = o.metric AND m.kind = 1";

/*  Gauges from the monthly sums: per (agent, metric) the latest month <= the
    window's last (index (agent, metric, month)) and its latest day — one row
    per unit the agent reported for in that month.  (An agent moved to
    another unit in an earlier month leaves its old unit no carried gauge;
    the daily fallback and the core keep one per unit.  Agents are rarely
    moved.) */
#define S_SQL_MONTH_GAUGES                                                 \
    "SELECT o.agent, m.idx, o.unit, o.day_last, o.day_last, o.last_value," \
    "       o.last_journal"                                                \
    "  FROM agent AS a CROSS JOIN temp.cchc_rollup_metric AS m"            \
    "       CROSS JOIN observation_month AS o"                             \
    " WHERE m.kind = 2 AND o.agent = a.id"                                 \
    "   AND o.month = (SELECT max (x.month) FROM observation_month AS x"   \
    "                   WHERE x.agent = a.id AND x.metric = m.code"        \
    "                     AND x.month <= ?2)"                              \
    "   AND o.metric = m.code"
static const char *s_sql_month_gauges = S_SQL_MONTH_GAUGES;
static const char *s_sql_settled_gauges =
    S_SQL_MONTH_GAUGES "   AND a.id NOT IN (SELECT agent FROM temp.cchc_month_pending)";
/*  (the agent's latest month per metric read once: a MAX() sub-query per
    row would read the view's months again for each) */
static const char *s_sql_pending_gauges =
    "SELECT o.agent, m.idx, o.unit, o.day_last, o.day_last, o.last_value,"
    "       o.last_journal"
    "  FROM (SELECT x.metric AS metric, max (x.month) AS month"
    "          FROM temp.cchc_month_now AS x WHERE x.agent = ?3 AND x.month <= ?2"
    "         GROUP BY x.metric) AS t"
    "       JOIN temp.cchc_rollup_metric AS m ON m.code = t.metric AND m.kind = 2"
    "       JOIN temp.cchc_month_now AS o ON o.agent = ?3 AND o.month = t.month"
    "        AND o.metric = t.metric";

/*  The same from the daily rows (no observation_month: slower, same result). */
static const char *s_sql_day_counters =
    "SELECT o.agent, m.idx, o.unit, total (o.value), count (*), min (o.day),"
    "       max (o.day), max (o.journal)"
    "  FROM observation AS o JOIN temp.cchc_rollup_metric AS m ON m.code = o.metric"
    " WHERE m.kind = 1 AND o.day BETWEEN ?1 AND ?2"
    " GROUP BY o.agent, m.idx, o.unit";

/*  (a single max() makes the other columns come from its row) */
static const char *s_sql_day_gauges =
    "SELECT o.agent, m.idx, o.unit, max (o.day), o.day, o.value, o.journal"
    "  FROM observation AS o JOIN temp.cchc_rollup_metric AS m ON m.code = o.metric"
    " WHERE m.kind = 2 AND o.day <= ?2"
    " GROUP BY o.agent, m.idx, o.unit";

/*  One (metric, unit) of the agent being folded. */
typedef struct {
    size_t metric;
    char unit [CCHC_UNIT_MAX + 1];
    bool unit_ok; /* the code fitted (else: no such unit) */
    double total;
    int64_t rows, journal;
    int32_t first, last;
    long next; /* next entry of the same metric, or -1 */
} s_fold_t;

typedef struct {
    long *head; /* [metric count]: first entry, or -1 */
    s_fold_t *entries;
    size_t count, alloc;
} s_folder_t;

static int
s_fold_cmp (const void *a, const void *b)
{
    const s_fold_t *x = a, *y = b;
    if (x->metric != y->metric)
        return x->metric < y->metric ? -1 : 1;
    return strcmp (x->unit, y->unit);
}

/*  The agent's parts, in (metric, unit) order; the folder is emptied. */
static int
s_fold_flush (s_loader_t *l, s_folder_t *f, int64_t agent)
{
    if (f->count == 0)
        return 0;
    qsort (f->entries, f->count, sizeof *f->entries, s_fold_cmp);
    int rc = 0;
    for (size_t i = 0; i < f->count; i++) {
        s_fold_t *e = &f->entries [i];
        f->head [e->metric] = -1;
        if (rc == 0
            && s_add_part (l, e->unit_ok ? e->unit : NULL, agent, e->metric, e->total, e->rows,
                           e->first, e->last, e->journal)
                   != 0)
            rc = -1;
    }
    f->count = 0;
    return rc;
}

/*  Fold the counter rows of `st` (agent, idx, unit, total, rows, day_first,
    day_last, journal; an agent's rows consecutive) into f; *agent is the
    agent being folded, flushed when the rows move on.  0 or -1. */
static int
s_fold_rows (s_loader_t *l, s_folder_t *f, sqlite3_stmt *st, size_t nm, int64_t *agent)
{
    int rc;
    while ((rc = sqlite3_step (st)) == SQLITE_ROW) {
        int64_t a = sqlite3_column_int64 (st, 0), m = sqlite3_column_int64 (st, 1);
        const char *u = (const char *) sqlite3_column_text (st, 2);
        if (m < 0 || (size_t) m >= nm || !u)
            continue;
        if (a != *agent) {
            if (s_fold_flush (l, f, *agent) != 0)
                return -1;
            *agent = a;
        }
        long i;
        for (i = f->head [m]; i >= 0 && strcmp (f->entries [i].unit, u) != 0;
             i = f->entries [i].next)
            ;
        if (i < 0) {
            if (f->count == f->alloc) {
                size_t want = f->alloc ? f->alloc * 2 : 64;
                s_fold_t *e = realloc (f->entries, want * sizeof *e);
                if (!e) {
                    cchc_errf (l->err, l->errlen, "out of memory");
                    return -1;
                }
                f->entries = e;
                f->alloc = want;
            }
            i = (long) f->count++;
            s_fold_t *e = &f->entries [i];
            memset (e, 0, sizeof *e);
            e->metric = (size_t) m;
            e->unit_ok = cchc_strlcpy (e->unit, u, sizeof e->unit) < sizeof e->unit;
            e->first = INT32_MAX;
            e->next = f->head [m];
            f->head [m] = i;
        }
        s_fold_t *e = &f->entries [i];
        e->total += sqlite3_column_double (st, 3);
        e->rows += sqlite3_column_int64 (st, 4);
        int32_t first = sqlite3_column_int (st, 5), last = sqlite3_column_int (st, 6);
        int64_t j = sqlite3_column_int64 (st, 7);
        e->first = first < e->first ? first : e->first;
        e->last = last > e->last ? last : e->last;
        e->journal = j > e->journal ? j : e->journal;
    }
    sqlite3_reset (st);
    return rc == SQLITE_DONE ? 0 : s_sql_fail (l, "counters");
}

/*  The rows of one statement, handed to the loader. */
typedef int (s_rows_fn) (s_loader_t *l, sqlite3_stmt *st, void *arg);

/*  Runs `sql` over the window's days or months (?1 first, ?2 last) through
    rows; when `split`, then `pending` once for each pending agent (?3).
    `what` names the figures in a failure's message.  0 or -1. */
static int
s_load_split (s_loader_t *l, const char *sql, const char *pending, bool split, int first,
              int last, s_rows_fn *rows, void *arg, const char *what)
{
    sqlite3_stmt *st = NULL, *one = NULL;
    int rc = -1;
    if (sqlite3_prepare_v2 (l->db, sql, -1, &st, NULL) != SQLITE_OK
        || (split && sqlite3_prepare_v2 (l->db, pending, -1, &one, NULL) != SQLITE_OK)) {
        s_sql_fail (l, what);
        goto done;
    }
    sqlite3_bind_int (st, 1, first);
    sqlite3_bind_int (st, 2, last);
    if (rows (l, st, arg) != 0)
        goto done;
    for (size_t i = 0; split && i < l->pending_count; i++) {
        sqlite3_bind_int (one, 1, first);
        sqlite3_bind_int (one, 2, last);
        sqlite3_bind_int64 (one, 3, l->pending [i]);
        if (rows (l, one, arg) != 0)
            goto done;
    }
    rc = 0;
done:
    sqlite3_finalize (st);
    sqlite3_finalize (one);
    return rc;
}

/*  s_fold_rows as an s_rows_fn */
typedef struct {
    s_folder_t *f;
    size_t nm;
    int64_t agent;
} s_fold_arg_t;

static int
s_fold_rows_cb (s_loader_t *l, sqlite3_stmt *st, void *arg)
{
    s_fold_arg_t *a = arg;
    return s_fold_rows (l, a->f, st, a->nm, &a->agent);
}

/*  Counters, folded per (agent, metric, unit): from the monthly sums (the
    settled agents, then each pending one), or from the daily rows. */
static int
s_load_counters (s_loader_t *l, const cchc_rollup_window_t *w, bool monthly)
{
    size_t nm = cchc_criteria_metric_count (l->cat);
    s_folder_t f = { .head = malloc ((nm ? nm : 1) * sizeof *f.head) };
    if (!f.head) {
        cchc_errf (l->err, l->errlen, "out of memory");
        return -1;
    }
    for (size_t m = 0; m < nm; m++)
        f.head [m] = -1;
    bool split = monthly && l->pending_count > 0;
    const char *sql = !monthly ? s_sql_day_counters
                      : split  ? s_sql_settled_counters
                               : s_sql_month_counters;
    int first = monthly ? cchc_rollup_month_of (w->first_day) : w->first_day;
    int last = monthly ? cchc_rollup_month_of (w->last_day) : w->last_day;
    s_fold_arg_t a = { &f, nm, 0 };
    int rc = s_load_split (l, sql, s_sql_pending_counters, split, first, last, s_fold_rows_cb,
                           &a, "counters");
    if (rc == 0)
        rc = s_fold_flush (l, &f, a.agent);
    free (f.head);
    free (f.entries);
    return rc;
}

/*  The gauge rows of `st`: agent, idx, unit, day, day, value, journal — one
    part each (per unit, the cells keep the latest day over its agents).
    0 or -1 (an s_rows_fn). */
static int
s_gauge_rows (s_loader_t *l, sqlite3_stmt *st, void *unused)
{
    (void) unused;
    size_t nm = cchc_criteria_metric_count (l->cat);
    int rc;
    while ((rc = sqlite3_step (st)) == SQLITE_ROW) {
        int64_t m = sqlite3_column_int64 (st, 1);
        int32_t day = sqlite3_column_int (st, 4);
        if (m < 0 || (size_t) m >= nm)
            continue;
        if (s_add_part (l, (const char *) sqlite3_column_text (st, 2),
                        sqlite3_column_int64 (st, 0), (size_t) m,
                        sqlite3_column_double (st, 5), 1, day, day,
                        sqlite3_column_int64 (st, 6))
            != 0) {
            sqlite3_reset (st);
            return -1;
        }
    }
    sqlite3_reset (st);
    return rc == SQLITE_DONE ? 0 : s_sql_fail (l, "gauges");
}

/*  Gauges: from the monthly sums (settled agents, then each pending one),
    or from the daily rows (their statements read ?2 and ?3 only). */
static int
s_load_gauges (s_loader_t *l, const cchc_rollup_window_t *w, bool monthly)
{
    bool split = monthly && l->pending_count > 0;
    const char *sql = !monthly ? s_sql_day_gauges
                      : split  ? s_sql_settled_gauges
                               : s_sql_month_gauges;
    int last = monthly ? cchc_rollup_month_of (w->last_day) : w->last_day;
    return s_load_split (l, sql, s_sql_pending_gauges, split, last, last, s_gauge_rows, NULL,
                         "gauges");
}

/*  Once per load (one snapshot): the summary's months the follower has not
    reached, computed from the rows, and their enrolled agents, sorted. */
static int
s_load_pending (s_loader_t *l)
{
    if (l->settled)
        return 0;
    int64_t months = 0;
    if (cchc_db_month_settle (l->db, &months) != 0)
        return s_sql_fail (l, "observation_month");
    l->settled = true;
    if (months == 0)
        return 0;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (l->db,
                            "SELECT DISTINCT p.agent FROM temp.cchc_month_pending"
                            " AS p JOIN agent AS a ON a.id = p.agent ORDER BY p.agent",
                            -1, &st, NULL)
        != SQLITE_OK)
        return s_sql_fail (l, "observation_month");
    size_t alloc = 0;
    int rc;
    while ((rc = sqlite3_step (st)) == SQLITE_ROW) {
        if (l->pending_count == alloc) {
            size_t want = alloc ? alloc * 2 : 64;
            int64_t *p = realloc (l->pending, want * sizeof *p);
            if (!p) {
                sqlite3_finalize (st);
                cchc_errf (l->err, l->errlen, "out of memory");
                return -1;
            }
            l->pending = p;
            alloc = want;
        }
        l->pending [l->pending_count++] = sqlite3_column_int64 (st, 0);
    }
    sqlite3_finalize (st);
    return rc == SQLITE_DONE ? 0 : s_sql_fail (l, "observation_month");
}

static int
s_int64_cmp (const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return x < y ? -1 : x > y;
}

/*  received_at of every part's newest journal entry: one lookup per distinct
    journal id. */
static int
s_load_arrivals (s_loader_t *l)
{
    if (l->part_count == 0)
        return 0;
    int64_t *ids = malloc (l->part_count * sizeof *ids);
    int64_t *times = malloc (l->part_count * sizeof *times);
    if (!ids || !times) {
        free (ids);
        free (times);
        cchc_errf (l->err, l->errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < l->part_count; i++)
        ids [i] = l->parts [i].journal_max;
    qsort (ids, l->part_count, sizeof *ids, s_int64_cmp);
    size_t n = 0;
    for (size_t i = 0; i < l->part_count; i++)
        if (n == 0 || ids [n - 1] != ids [i])
            ids [n++] = ids [i];
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (l->db, "SELECT received_at FROM journal WHERE id = ?1", -1, &st,
                            NULL)
        != SQLITE_OK) {
        free (ids);
        free (times);
        return s_sql_fail (l, "journal");
    }
    for (size_t i = 0; i < n; i++) {
        sqlite3_bind_int64 (st, 1, ids [i]);
        int rc = sqlite3_step (st);
        /* a row without its journal entry (should not happen): treat as
           arriving never, i.e. late */
        times [i] = rc == SQLITE_ROW ? sqlite3_column_int64 (st, 0) : INT64_MAX;
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
            sqlite3_finalize (st);
            free (ids);
            free (times);
            return s_sql_fail (l, "journal");
        }
        sqlite3_reset (st);
    }
    sqlite3_finalize (st);
    for (size_t i = 0; i < l->part_count; i++) {
        int64_t *hit = bsearch (&l->parts [i].journal_max, ids, n, sizeof *ids, s_int64_cmp);
        assert (hit);
        l->parts [i].received_max = times [hit - ids];
    }
    free (ids);
    free (times);
    return 0;
}

static cchc_rollup_t *
s_load_one (s_loader_t *l, const cchc_period_t *period, int64_t as_of_ms,
            const cchc_rollup_t *previous)
{
    cchc_rollup_window_t w;
    cchc_rollup_window (l->cat, period, as_of_ms, &w);
    cchc_rollup_t *r = NULL;
    bool monthly = false;
    if (s_has_month_table (l, &monthly) == 0 && (!monthly || s_load_pending (l) == 0)
        && s_load_units (l, &w) == 0 && s_load_counters (l, &w, monthly) == 0
        && s_load_gauges (l, &w, monthly) == 0 && s_load_arrivals (l) == 0) {
        r = cchc_rollup_compute (l->cat, &w, l->units, l->unit_count, l->parts, l->part_count,
                                 previous, l->err, l->errlen);
        if (r)
            r->parts_ignored = l->parts_ignored;
    }
    s_loader_reset (l);
    return r;
}

cchc_rollup_t *
cchc_rollup_load (sqlite3 *db, const cchc_criteria_t *cat, const cchc_period_t *period,
                  int64_t as_of_ms, bool with_previous, char *err, size_t errlen)
{
    assert (db && cat && period);
    s_loader_t l = { .db = db, .cat = cat, .err = err, .errlen = errlen };
    /* one read snapshot for both periods; a savepoint also nests in a
       transaction the caller may have open */
    if (s_exec (&l, "SAVEPOINT cchc_rollup_load") != 0)
        return NULL;
    cchc_rollup_t *prev = NULL, *r = NULL;
    if (s_load_metric_table (&l) != 0)
        goto done;
    if (with_previous) {
        cchc_period_t p;
        cchc_period_prev (period, &p);
        if (!(prev = s_load_one (&l, &p, as_of_ms, NULL)))
            goto done;
    }
    r = s_load_one (&l, period, as_of_ms, prev);
done:
    sqlite3_exec (db, "RELEASE cchc_rollup_load", NULL, NULL, NULL);
    cchc_rollup_destroy (&prev);
    free (l.pending);
    return r;
}

/* ------------------------------------------------------------------------ */
/*  Explanations */

/*  The agents that may have rows of (unit, metric) up to month ?3: from
    observation_month when it exists (with the agents of every message past
    the summary's position: their months may not be in it yet), else every
    agent. */
#define S_EXPLAIN_AGENTS_MONTH                         \
    "SELECT DISTINCT agent FROM observation_month"     \
    " WHERE metric = ?1 AND unit = ?2 AND month <= ?3" \
    " UNION SELECT agent FROM journal"                 \
    " WHERE id > coalesce ((SELECT journal FROM month_position), 0)"
#define S_EXPLAIN_AGENTS_ALL                    \
    "SELECT id FROM agent WHERE ?1 IS NOT NULL" \
    " AND ?2 IS NOT NULL AND ?3 IS NOT NULL"

/*  `sql` bound: ?1 the metric, ?2 the unit, ?3 the window's last month, ?4
    from and ?5 to (days; a statement without ?5 ignores it).  NULL on an
    SQL failure (sqlite3_errmsg). */
static sqlite3_stmt *
s_explain_prepare (sqlite3 *db, const char *sql, const cchc_rollup_window_t *w,
                   const char *unit, const cchc_metric_t *metric, int32_t from, int32_t to)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (db, sql, -1, &st, NULL) != SQLITE_OK)
        return NULL;
    sqlite3_bind_text (st, 1, metric->code, -1, SQLITE_STATIC);
    sqlite3_bind_text (st, 2, unit, -1, SQLITE_STATIC);
    sqlite3_bind_int (st, 3, cchc_rollup_month_of (w->last_day));
    sqlite3_bind_int (st, 4, from);
    sqlite3_bind_int (st, 5, to);
    return st;
}

static int
s_explain_metric (sqlite3 *db, const cchc_rollup_window_t *w, const char *unit,
                  const cchc_metric_t *metric, cchc_rollup_source_fn *fn, void *arg, char *err,
                  size_t errlen)
{
    bool gauge = metric->kind == CCHC_METRIC_GAUGE;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2 (db,
                                 "SELECT 1 FROM sqlite_master WHERE type = 'table'"
                                 " AND name = 'observation_month'",
                                 -1, &st, NULL);
    if (rc != SQLITE_OK)
        goto sql_fail;
    bool monthly = sqlite3_step (st) == SQLITE_ROW;
    sqlite3_finalize (st);
    st = NULL;
    const char *agents = monthly ? S_EXPLAIN_AGENTS_MONTH : S_EXPLAIN_AGENTS_ALL;
    int32_t from = w->first_day, to = w->last_day;
    char sql [1024];
    if (gauge) {
        /* the unit's latest day <= the end, over all its agents */
        snprintf (sql, sizeof sql,
                  "SELECT max (o.day) FROM observation AS o"
                  " WHERE o.agent IN (%s) AND o.metric = ?1 AND o.unit = ?2"
                  " AND o.day <= ?4",
                  agents);
        if (!(st = s_explain_prepare (db, sql, w, unit, metric, w->last_day, w->last_day)))
            goto sql_fail;
        if ((rc = sqlite3_step (st)) != SQLITE_ROW)
            goto sql_fail;
        if (sqlite3_column_type (st, 0) == SQLITE_NULL) {
            sqlite3_finalize (st);
            return 0; /* no value at all */
        }
        from = to = sqlite3_column_int (st, 0);
        sqlite3_finalize (st);
        st = NULL;
    }
    snprintf (sql, sizeof sql,
              "SELECT o.agent, a.name, o.day, o.value, o.seq, o.journal, j.received_at"
              "  FROM observation AS o LEFT JOIN agent AS a ON a.id = o.agent"
              "       LEFT JOIN journal AS j ON j.id = o.journal"
              " WHERE o.agent IN (%s) AND o.metric = ?1 AND o.unit = ?2"
              "   AND o.day BETWEEN ?4 AND ?5"
              " ORDER BY o.day, o.agent",
              agents);
    if (!(st = s_explain_prepare (db, sql, w, unit, metric, from, to)))
        goto sql_fail;
    while ((rc = sqlite3_step (st)) == SQLITE_ROW) {
        cchc_rollup_source_t row = {
            .unit = unit,
            .metric = metric->code,
            .agent = sqlite3_column_int64 (st, 0),
            .agent_name = (const char *) sqlite3_column_text (st, 1),
            .day = sqlite3_column_int (st, 2),
            .value = sqlite3_column_double (st, 3),
            .is_integer = sqlite3_column_type (st, 3) == SQLITE_INTEGER,
            .ivalue = sqlite3_column_int64 (st, 3),
            .seq = sqlite3_column_int64 (st, 4),
            .journal = sqlite3_column_int64 (st, 5),
            .received_at = sqlite3_column_int64 (st, 6),
        };
        if (fn (&row, arg) != 0) {
            sqlite3_finalize (st);
            cchc_errf (err, errlen, "stopped");
            return -1;
        }
    }
    if (rc != SQLITE_DONE)
        goto sql_fail;
    sqlite3_finalize (st);
    return 0;
sql_fail:
    cchc_errf (err, errlen, "explain: %s", sqlite3_errmsg (db));
    sqlite3_finalize (st);
    return -1;
}

int
cchc_rollup_explain (sqlite3 *db, const cchc_criteria_t *cat, const cchc_rollup_window_t *w,
                     const char *unit, const char *code, cchc_rollup_source_fn *fn, void *arg,
                     char *err, size_t errlen)
{
    assert (db && cat && w && unit && code && fn);
    int metrics [2] = { -1, -1 };
    int m = cchc_criteria_metric_find (cat, code);
    int i = cchc_criteria_indicator_find (cat, code);
    if (m >= 0)
        metrics [0] = m;
    else if (i >= 0) {
        const cchc_indicator_t *ind = cchc_criteria_indicator (cat, (size_t) i);
        if (ind->rule == CCHC_RULE_ON_TIME) {
            cchc_errf (err, errlen,
                       "indicator '%s' is computed from the arrival of "
                       "all the unit's metrics: explain each metric",
                       code);
            return -1;
        }
        metrics [0] = ind->numerator;
        metrics [1] = ind->denominator;
    }
    else {
        cchc_errf (err, errlen,
                   "'%s' is neither a metric nor an indicator of the "
                   "catalogue",
                   code);
        return -1;
    }
    for (int k = 0; k < 2; k++)
        if (metrics [k] >= 0
            && s_explain_metric (db, w, unit, cchc_criteria_metric (cat, (size_t) metrics [k]),
                                 fn, arg, err, errlen)
                   != 0)
            return -1;
    return 0;
}
