/*  rollup.c — the roll-up's loader and explanations (rollup.h has the
    definitions), reading through collector/db/figures.h: no SQL here.  The
    pure core that folds, scores, ranks and sums (cchc_rollup_compute) is
    in compute.c and works on arrays in memory.  The loader
    (cchc_rollup_load) folds the rows of observation_month (one row per
    agent, reporting month, metric and unit; db/figures.c walks it by
    seeks, one agent at a time, so a quarter costs the quarter's months
    whatever the size of the history) per (agent, metric, unit), takes the
    gauges' latest values, then the arrival time of every distinct journal
    id.

    The summary is settled by a follower (collector/db/db.h, "the
    summary"): the months it has not reached yet in this snapshot are
    computed from the rows first (cchc_db_month_settle); their agents
    ("pending") are read one at a time after the others.  Without
    observation_month (an older database) the same figures come from the
    daily rows.
*/
#include "collector/figures/rollup.h"
#include "collector/db/db.h"
#include "collector/db/figures.h"
#include "collector/db/periods.h"
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
    size_t unit_count, unit_alloc;
    bool out_of_memory; /* what stopped a reader's callback */
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
    l->unit_count = l->unit_alloc = l->part_count = l->part_alloc = l->parts_ignored = 0;
}

/*  One unit row, kept (a cchc_db_unit_row_fn).  0 or -1 (out of memory). */
static int
s_unit_row (const cchc_db_unit_row_t *row, void *arg)
{
    s_loader_t *l = arg;
    if (l->unit_count > 0 && strcmp (l->units [l->unit_count - 1].code, row->code) == 0)
        return 0; /* overlapping validity: keep the latest row */
    if (l->unit_count == l->unit_alloc) {
        size_t alloc = l->unit_alloc ? l->unit_alloc * 2 : 256;
        cchc_rollup_unit_t *u = realloc (l->units, alloc * sizeof *u);
        char **s = u ? realloc (l->strings, alloc * 3 * sizeof *s) : NULL;
        if (u)
            l->units = u;
        if (s)
            l->strings = s;
        if (!u || !s) {
            l->out_of_memory = true;
            return -1;
        }
        l->unit_alloc = alloc;
    }
    cchc_rollup_unit_t *u = &l->units [l->unit_count];
    char **s = &l->strings [l->unit_count * 3];
    s [0] = strdup (row->code);
    s [1] = strdup (row->name);
    s [2] = row->parent ? strdup (row->parent) : NULL;
    l->unit_count++;
    u->code = s [0];
    u->name = s [1];
    u->parent = s [2];
    if (!s [0] || !s [1] || (row->parent && !s [2])) {
        l->out_of_memory = true;
        return -1;
    }
    cchc_level_parse (row->level, &u->level);
    return 0;
}

static int
s_load_units (s_loader_t *l, const cchc_rollup_window_t *w)
{
    l->out_of_memory = false;
    if (cchc_db_units_at (l->db, w->last_day, s_unit_row, l) == 0)
        return 0;
    if (l->out_of_memory) {
        cchc_errf (l->err, l->errlen, "out of memory");
        return -1;
    }
    return s_sql_fail (l, "units");
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

/*  The metric catalogue as the temp table the folding reads join. */
static int
s_load_metric_table (s_loader_t *l)
{
    size_t nm = cchc_criteria_metric_count (l->cat);
    cchc_db_rollup_metric_t *metrics = malloc ((nm ? nm : 1) * sizeof *metrics);
    if (!metrics) {
        cchc_errf (l->err, l->errlen, "out of memory");
        return -1;
    }
    for (size_t m = 0; m < nm; m++) {
        const cchc_metric_t *metric = cchc_criteria_metric (l->cat, m);
        metrics [m].code = metric->code;
        metrics [m].gauge = metric->kind == CCHC_METRIC_GAUGE;
    }
    int rc = cchc_db_rollup_metrics_set (l->db, metrics, nm);
    free (metrics);
    return rc == 0 ? 0 : s_sql_fail (l, "metric table");
}

/*  Whether the database has observation_month (cchc_db_month_apply). */
static int
s_has_month_table (s_loader_t *l, bool *has)
{
    int kept = cchc_db_month_kept (l->db);
    *has = kept == 1;
    return kept < 0 ? s_sql_fail (l, "schema") : 0;
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

/*  Fold the counter rows of `rows` (an agent's rows consecutive) into f;
    *agent is the agent being folded, flushed when the rows move on.  0 or
    -1. */
static int
s_fold_rows (s_loader_t *l, s_folder_t *f, cchc_db_rollup_rows_t *rows, size_t nm,
             int64_t *agent)
{
    const cchc_db_rollup_row_t *row;
    int rc;
    while ((rc = cchc_db_rollup_rows_next (rows, &row)) == 1) {
        int64_t a = row->agent, m = row->metric;
        const char *u = row->unit;
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
        e->total += row->value;
        e->rows += row->rows;
        e->first = row->day_first < e->first ? row->day_first : e->first;
        e->last = row->day_last > e->last ? row->day_last : e->last;
        e->journal = row->journal > e->journal ? row->journal : e->journal;
    }
    return rc == 0 ? 0 : s_sql_fail (l, "counters");
}

/*  A reader of the window's counters or gauges, from the monthly sums (the
    settled agents, then each pending one) or the daily rows.  NULL on
    failure (in err). */
static cchc_db_rollup_rows_t *
s_rows_new (s_loader_t *l, const cchc_rollup_window_t *w, bool monthly, bool gauges)
{
    int32_t last = monthly ? cchc_period_month_of (w->last_day) : w->last_day;
    cchc_db_rollup_query_t q = {
        .gauges = gauges,
        .monthly = monthly,
        .first = gauges    ? last
                 : monthly ? cchc_period_month_of (w->first_day)
                           : w->first_day,
        .last = last,
        .pending = l->pending,
        .pending_count = l->pending_count,
    };
    cchc_db_rollup_rows_t *rows = cchc_db_rollup_rows_new (l->db, &q);
    if (!rows)
        s_sql_fail (l, gauges ? "gauges" : "counters");
    return rows;
}

/*  Counters, folded per (agent, metric, unit). */
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
    cchc_db_rollup_rows_t *rows = s_rows_new (l, w, monthly, false);
    int64_t agent = 0;
    int rc = rows ? s_fold_rows (l, &f, rows, nm, &agent) : -1;
    if (rc == 0)
        rc = s_fold_flush (l, &f, agent);
    cchc_db_rollup_rows_destroy (&rows);
    free (f.head);
    free (f.entries);
    return rc;
}

/*  Gauges: one part per row (per unit, the cells keep the latest day over
    its agents).  0 or -1. */
static int
s_load_gauges (s_loader_t *l, const cchc_rollup_window_t *w, bool monthly)
{
    cchc_db_rollup_rows_t *rows = s_rows_new (l, w, monthly, true);
    if (!rows)
        return -1;
    size_t nm = cchc_criteria_metric_count (l->cat);
    const cchc_db_rollup_row_t *row;
    int rc;
    while ((rc = cchc_db_rollup_rows_next (rows, &row)) == 1) {
        if (row->metric < 0 || (size_t) row->metric >= nm)
            continue;
        if (s_add_part (l, row->unit, row->agent, (size_t) row->metric, row->value, 1,
                        row->day_last, row->day_last, row->journal)
            != 0) {
            cchc_db_rollup_rows_destroy (&rows);
            return -1;
        }
    }
    cchc_db_rollup_rows_destroy (&rows);
    return rc == 0 ? 0 : s_sql_fail (l, "gauges");
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
    return cchc_db_rollup_pending (l->db, &l->pending, &l->pending_count) == 0
               ? 0
               : s_sql_fail (l, "observation_month");
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
    if (cchc_db_journal_received (l->db, ids, n, times) != 0) {
        free (ids);
        free (times);
        return s_sql_fail (l, "journal");
    }
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
    if (cchc_db_read_begin (db) != 0) {
        s_sql_fail (&l, "read");
        return NULL;
    }
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
    cchc_db_read_end (db);
    cchc_rollup_destroy (&prev);
    free (l.pending);
    return r;
}

/* ------------------------------------------------------------------------ */
/*  Explanations */

/*  The caller's callback behind a cchc_db_source_row_fn. */
typedef struct {
    const char *unit, *metric;
    cchc_rollup_source_fn *fn;
    void *arg;
    bool stopped;
} s_explain_t;

static int
s_explain_row (const cchc_db_source_row_t *row, void *arg)
{
    s_explain_t *x = arg;
    cchc_rollup_source_t source = {
        .unit = x->unit,
        .metric = x->metric,
        .agent = row->agent,
        .agent_name = row->agent_name,
        .day = row->day,
        .value = row->value,
        .is_integer = row->is_integer,
        .ivalue = row->ivalue,
        .seq = row->seq,
        .journal = row->journal,
        .received_at = row->received_at,
    };
    x->stopped = x->fn (&source, x->arg) != 0;
    return x->stopped ? -1 : 0;
}

static int
s_explain_metric (sqlite3 *db, const cchc_rollup_window_t *w, const char *unit,
                  const cchc_metric_t *metric, cchc_rollup_source_fn *fn, void *arg, char *err,
                  size_t errlen)
{
    int32_t month = cchc_period_month_of (w->last_day);
    int32_t from = w->first_day, to = w->last_day;
    if (metric->kind == CCHC_METRIC_GAUGE) {
        /* the unit's latest day <= the end, over all its agents */
        int found =
            cchc_db_explain_last_day (db, unit, metric->code, month, w->last_day, &from);
        if (found < 0)
            goto sql_fail;
        if (found == 0)
            return 0; /* no value at all */
        to = from;
    }
    s_explain_t x = { .unit = unit, .metric = metric->code, .fn = fn, .arg = arg };
    if (cchc_db_explain_rows (db, unit, metric->code, month, from, to, s_explain_row, &x) == 0)
        return 0;
    if (x.stopped) {
        cchc_errf (err, errlen, "stopped");
        return -1;
    }
sql_fail:
    cchc_errf (err, errlen, "explain: %s", sqlite3_errmsg (db));
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
