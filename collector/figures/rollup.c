/*  rollup.c — the roll-up engine: folds observations over a period's window,
    scores every unit against the criteria catalogue, ranks units within their
    level and computes the province's figures (rollup.h has the definitions).

    The core (cchc_rollup_compute) works on arrays in memory.  The loader
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

#define S_RANK_SCALE 1e6        /* indices compare rounded to 1e-6 */

static void
s_err (char *err, size_t errlen, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static void
s_err (char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (err, errlen, fmt, ap);
    va_end (ap);
}

/* ------------------------------------------------------------------------ */
/*  Window */

int32_t
cchc_rollup_yyyymmdd (cchc_date_t date)
{
    int y, m, d;
    cchc_date_to_ymd (date, &y, &m, &d);
    return (int32_t) (y * 10000 + m * 100 + d);
}

cchc_date_t
cchc_rollup_date_of (int32_t yyyymmdd)
{
    int y = yyyymmdd / 10000, m = yyyymmdd / 100 % 100, d = yyyymmdd % 100;
    if (!cchc_date_ymd_valid (y, m, d))
        return -1;
    return cchc_date_from_ymd (y, m, d);
}

void
cchc_rollup_window (const cchc_criteria_t *cat, const cchc_period_t *period,
                    int64_t as_of_ms, cchc_rollup_window_t *w)
{
    assert (cat && period && w);
    memset (w, 0, sizeof *w);
    w->period = *period;
    cchc_period_format (period, w->id, sizeof w->id);
    cchc_period_window (period, &w->first, &w->last);
    w->first_day = cchc_rollup_yyyymmdd (w->first);
    w->last_day = cchc_rollup_yyyymmdd (w->last);
    cchc_date_t due = cchc_period_deadline (period, cchc_criteria_due_day (cat));
    cchc_date_t lock = cchc_period_deadline (period, cchc_criteria_lock_day (cat));
    w->due_day = cchc_rollup_yyyymmdd (due);
    w->lock_day = cchc_rollup_yyyymmdd (lock);
    w->due_ms = cchc_date_start_utc_ms (due + 1);
    w->lock_ms = cchc_date_start_utc_ms (lock);
    for (int l = 0; l < CCHC_LEVEL_COUNT; l++) {
        cchc_date_t d = cchc_period_deadline (period,
                                              cchc_criteria_level_due_day (cat, (cchc_level_t) l));
        w->level_due_day[l] = cchc_rollup_yyyymmdd (d);
        w->level_due_ms[l] = cchc_date_start_utc_ms (d + 1);
    }
    w->as_of_ms = as_of_ms;
}

/* ------------------------------------------------------------------------ */
/*  Folding raw rows */

static int
s_row_cmp (const void *a, const void *b)
{
    const cchc_rollup_row_t *x = *(const cchc_rollup_row_t * const *) a;
    const cchc_rollup_row_t *y = *(const cchc_rollup_row_t * const *) b;
    if (x->unit != y->unit)
        return x->unit < y->unit ? -1 : 1;
    if (x->metric != y->metric)
        return x->metric < y->metric ? -1 : 1;
    if (x->agent != y->agent)
        return x->agent < y->agent ? -1 : 1;
    if (x->day != y->day)
        return x->day < y->day ? -1 : 1;
    return x->journal < y->journal ? -1 : x->journal > y->journal;
}

int
cchc_rollup_fold (const cchc_criteria_t *cat, const cchc_rollup_window_t *w,
                  const cchc_rollup_row_t *rows, size_t row_count,
                  cchc_rollup_part_t **parts_p, size_t *part_count)
{
    assert (cat && w && parts_p && part_count);
    *parts_p = NULL;
    *part_count = 0;
    if (row_count == 0)
        return 0;
    const cchc_rollup_row_t **order = malloc (row_count * sizeof *order);
    cchc_rollup_part_t *parts = calloc (row_count, sizeof *parts);
    if (!order || !parts) {
        free (order);
        free (parts);
        return -1;
    }
    for (size_t i = 0; i < row_count; i++)
        order[i] = &rows[i];
    qsort (order, row_count, sizeof *order, s_row_cmp);

    size_t n = 0;
    for (size_t i = 0; i < row_count; ) {
        const cchc_rollup_row_t *g = order[i];
        size_t end = i;
        while (end < row_count && order[end]->unit == g->unit
               && order[end]->metric == g->metric && order[end]->agent == g->agent)
            end++;
        assert (g->metric < cchc_criteria_metric_count (cat));
        if (g->metric >= cchc_criteria_metric_count (cat)) {
            i = end;            /* misuse; skipped when asserts are off */
            continue;
        }
        bool gauge = cchc_criteria_metric (cat, g->metric)->kind == CCHC_METRIC_GAUGE;
        cchc_rollup_part_t part = { .unit = g->unit, .metric = g->metric,
                                    .agent = g->agent };
        const cchc_rollup_row_t *newest = NULL;
        for (size_t k = i; k < end; k++) {
            const cchc_rollup_row_t *r = order[k];
            if (r->day > w->last_day || (!gauge && r->day < w->first_day))
                continue;
            if (gauge) {
                /* sorted by day: the last one kept is the latest */
                part.value = r->value;
                part.day_first = part.day_last = r->day;
                part.rows = 1;
                newest = r;
                continue;
            }
            if (part.rows == 0)
                part.day_first = r->day;
            part.day_last = r->day;
            part.value += r->value;
            part.rows++;
            if (!newest || r->journal > newest->journal)
                newest = r;
        }
        if (newest) {
            part.journal_max = newest->journal;
            part.received_max = newest->received_at;
            parts[n++] = part;
        }
        i = end;
    }
    free (order);
    *parts_p = parts;
    *part_count = n;
    return 0;
}

/* ------------------------------------------------------------------------ */
/*  Core */

const char *
cchc_score_state_code (cchc_score_state_t state)
{
    switch (state) {
        case CCHC_SCORE_OK: return "ok";
        case CCHC_SCORE_NOT_APPLICABLE: return "not_applicable";
        case CCHC_SCORE_MISSING: return "missing";
    }
    return "?";
}

const char *
cchc_score_state_name (cchc_score_state_t state)
{
    switch (state) {
        case CCHC_SCORE_OK: return "tính điểm";
        case CCHC_SCORE_NOT_APPLICABLE: return "không áp dụng";
        case CCHC_SCORE_MISSING: return "thiếu số liệu";
    }
    return "?";
}

static int64_t
s_rank_key (double index)
{
    return llround (index * S_RANK_SCALE);
}

/*  Sort key of a unit in ranking order (self-contained: qsort has no
    context).  Before ranks are known, `rank` is 0 and `key` orders. */
typedef struct {
    int level;
    int rank;                   /* 0: no index, after the ranked */
    int64_t key;                /* index rounded to 1e-6 */
    const char *code;
    size_t unit;
} s_rank_item_t;

/*  The one ranking order (rollup.h, cchc_rollup_ranking). */
static int
s_rank_cmp (const void *a, const void *b)
{
    const s_rank_item_t *x = a, *y = b;
    if (x->level != y->level)
        return x->level < y->level ? -1 : 1;
    if ((x->rank == 0) != (y->rank == 0))
        return x->rank == 0 ? 1 : -1;
    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    if (x->key != y->key)
        return x->key > y->key ? -1 : 1;
    return strcmp (x->code, y->code);
}

static int
s_double_cmp (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

static char *
s_strdup_or_null (const char *s, bool *oom)
{
    if (!s)
        return NULL;
    char *copy = strdup (s);
    if (!copy)
        *oom = true;
    return copy;
}

/*  Fold parts into the units' cells. */
static void
s_fill_cells (cchc_rollup_t *r, const cchc_rollup_part_t *parts, size_t part_count)
{
    const cchc_criteria_t *cat = r->criteria;
    for (size_t i = 0; i < part_count; i++) {
        const cchc_rollup_part_t *p = &parts[i];
        cchc_rollup_cell_t *c = &r->units[p->unit].cells[p->metric];
        bool gauge = cchc_criteria_metric (cat, p->metric)->kind == CCHC_METRIC_GAUGE;
        if (gauge && c->present && p->day_last < c->day_last)
            continue;           /* an older value of another agent */
        if (gauge && c->present && p->day_last > c->day_last)
            memset (c, 0, sizeof *c);   /* a newer day replaces the older */
        if (!c->present) {
            c->present = true;
            c->day_first = p->day_first;
            c->day_last = p->day_last;
        }
        c->value += p->value;
        if (p->day_first < c->day_first)
            c->day_first = p->day_first;
        if (p->day_last > c->day_last)
            c->day_last = p->day_last;
        c->rows += p->rows;
        c->agents++;
        if (p->journal_max > c->journal_max) {
            c->journal_max = p->journal_max;
            c->received_max = p->received_max;
        }
    }
}

/*  Score indicator `ind` for unit `u`. */
static void
s_score (const cchc_rollup_window_t *w, const cchc_indicator_t *ind,
         cchc_rollup_unit_result_t *u, cchc_rollup_score_t *s)
{
    s->numerator = s->denominator = s->value = s->target = NAN;
    s->points = s->points_max = 0;
    s->for_level = (ind->levels & CCHC_LEVEL_BIT (u->level)) != 0;
    if (!s->for_level) {
        s->state = CCHC_SCORE_NOT_APPLICABLE;
        return;
    }
    s->target = ind->target[u->level];
    if (ind->rule == CCHC_RULE_ON_TIME) {
        s->points_max = ind->points;
        if (u->on_time) {
            s->state = CCHC_SCORE_OK;
            s->numerator = s->value = 1;
            s->points = ind->points;
        }
        else if (u->pending)
            s->state = CCHC_SCORE_MISSING;
        else {
            s->state = CCHC_SCORE_OK;
            s->numerator = s->value = 0;
        }
        return;
    }
    const cchc_rollup_cell_t *num = &u->cells[ind->numerator];
    const cchc_rollup_cell_t *den = ind->denominator >= 0
                                  ? &u->cells[ind->denominator] : NULL;
    if (den && den->present && den->value == 0) {
        s->state = CCHC_SCORE_NOT_APPLICABLE;
        s->denominator = 0;
        if (num->present)
            s->numerator = num->value;
        return;
    }
    s->points_max = ind->points;
    if (!num->present || (den && !den->present)) {
        s->state = CCHC_SCORE_MISSING;
        if (num->present)
            s->numerator = num->value;
        if (den && den->present)
            s->denominator = den->value;
        return;
    }
    s->state = CCHC_SCORE_OK;
    s->numerator = num->value;
    if (den) {
        s->denominator = den->value;
        s->value = num->value / den->value;
    }
    else
        s->value = num->value;
    s->points = cchc_indicator_score (ind, u->level, s->value);
    (void) w;
}

static void
s_score_unit (cchc_rollup_t *r, cchc_rollup_unit_result_t *u)
{
    const cchc_criteria_t *cat = r->criteria;
    const cchc_rollup_window_t *w = &r->window;
    size_t nm = cchc_criteria_metric_count (cat);
    int64_t last_expected = 0;
    for (size_t m = 0; m < nm; m++) {
        cchc_rollup_cell_t *c = &u->cells[m];
        c->expected = (cchc_criteria_metric (cat, m)->levels
                       & CCHC_LEVEL_BIT (u->level)) != 0;
        if (c->present && c->received_max > u->last_received_ms)
            u->last_received_ms = c->received_max;
        if (c->journal_max > r->journal_max)
            r->journal_max = c->journal_max;
        if (!c->expected)
            continue;
        u->metrics_expected++;
        if (c->present) {
            u->metrics_reported++;
            if (c->received_max > last_expected)
                last_expected = c->received_max;
        }
    }
    u->complete = u->metrics_reported == u->metrics_expected;
    int64_t due_ms = w->level_due_ms[u->level];
    u->on_time = u->complete && last_expected < due_ms;
    u->pending = !u->on_time && w->as_of_ms < due_ms;

    size_t ni = cchc_criteria_indicator_count (cat);
    for (size_t i = 0; i < ni; i++) {
        const cchc_indicator_t *ind = cchc_criteria_indicator (cat, i);
        cchc_rollup_score_t *s = &u->scores[i];
        s_score (w, ind, u, s);
        u->area_earned[ind->area] += s->points;
        u->area_applicable[ind->area] += s->points_max;
        u->earned += s->points;
        u->applicable += s->points_max;
        if (s->state == CCHC_SCORE_MISSING)
            u->indicators_missing++;
    }
    u->has_index = u->applicable > 0;
    u->index = u->has_index ? 100.0 * u->earned / u->applicable : NAN;
    u->grade = u->has_index ? cchc_criteria_grade_of (cat, u->index) : NULL;
}

static int
s_rank (cchc_rollup_t *r)
{
    s_rank_item_t *items = malloc ((r->unit_count ? r->unit_count : 1) * sizeof *items);
    if (!items)
        return -1;
    for (int level = 0; level < CCHC_LEVEL_COUNT; level++) {
        size_t n = 0;
        for (size_t i = 0; i < r->unit_count; i++)
            if ((int) r->units[i].level == level && r->units[i].has_index)
                items[n++] = (s_rank_item_t) { level, 0, s_rank_key (r->units[i].index),
                                               r->units[i].code, i };
        qsort (items, n, sizeof *items, s_rank_cmp);
        for (size_t k = 0; k < n; k++) {
            cchc_rollup_unit_result_t *u = &r->units[items[k].unit];
            if (k > 0 && items[k].key == items[k - 1].key)
                u->rank = r->units[items[k - 1].unit].rank;
            else
                u->rank = (int) k + 1;
        }
    }
    free (items);
    return 0;
}

static int
s_distribution (cchc_rollup_t *r)
{
    size_t ng = cchc_criteria_grade_count (r->criteria);
    double *values = malloc ((r->unit_count ? r->unit_count : 1) * sizeof *values);
    if (!values)
        return -1;
    for (int level = 0; level <= CCHC_LEVEL_COUNT; level++) {
        cchc_rollup_dist_t *d = &r->dist[level];
        d->grade_counts = calloc (ng ? ng : 1, sizeof *d->grade_counts);
        if (!d->grade_counts) {
            free (values);
            return -1;
        }
        size_t n = 0;
        double sum = 0;
        for (size_t i = 0; i < r->unit_count; i++) {
            const cchc_rollup_unit_result_t *u = &r->units[i];
            if (level != CCHC_LEVEL_COUNT && (int) u->level != level)
                continue;
            d->units++;
            if (!u->complete)
                d->incomplete++;
            if (u->complete && !u->on_time && !u->pending)
                d->late++;
            if (!u->has_index)
                continue;
            values[n++] = u->index;
            sum += u->index;
            bool graded = false;
            for (size_t g = 0; g < ng && !graded; g++)
                if (u->index >= cchc_criteria_grade (r->criteria, g)->at - 1e-9) {
                    d->grade_counts[g]++;
                    graded = true;
                }
            if (!graded)
                d->ungraded++;
        }
        d->ranked = n;
        if (n == 0) {
            d->min = d->median = d->max = d->mean = NAN;
            continue;
        }
        qsort (values, n, sizeof *values, s_double_cmp);
        d->min = values[0];
        d->max = values[n - 1];
        d->median = n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
        d->mean = sum / (double) n;
    }
    free (values);
    return 0;
}

static void
s_figure (cchc_rollup_t *r, size_t indicator, int level, cchc_rollup_figure_t *f)
{
    const cchc_indicator_t *ind = cchc_criteria_indicator (r->criteria, indicator);
    memset (f, 0, sizeof *f);
    f->indicator = indicator;
    f->level = level;
    f->denominator = ind->denominator >= 0 ? 0 : NAN;
    if (level >= 0)
        f->target = ind->target[level];
    else {
        f->target = NAN;
        for (int l = 0; l < CCHC_LEVEL_COUNT; l++) {
            double t = ind->target[l];
            if (isnan (t))
                continue;
            if (isnan (f->target))
                f->target = t;
            else if (f->target != t) {
                f->target = NAN;
                break;
            }
        }
    }
    for (size_t i = 0; i < r->unit_count; i++) {
        const cchc_rollup_unit_result_t *u = &r->units[i];
        const cchc_rollup_score_t *s = &u->scores[indicator];
        if (!s->for_level || (level >= 0 && (int) u->level != level))
            continue;
        if (s->state == CCHC_SCORE_MISSING) {
            f->units_missing++;
            continue;
        }
        f->units++;
        f->numerator += isnan (s->numerator) ? 0 : s->numerator;
        if (ind->denominator >= 0)
            f->denominator += s->denominator;
    }
    if (f->units == 0)
        f->value = NAN;
    else if (ind->denominator < 0)
        f->value = f->numerator;
    else
        f->value = f->denominator > 0 ? f->numerator / f->denominator : NAN;
    f->has_value = !isnan (f->value);
    f->met = f->has_value && !isnan (f->target)
             && cchc_indicator_met (ind, f->target, f->value);
}

static int
s_figures (cchc_rollup_t *r)
{
    const cchc_criteria_t *cat = r->criteria;
    size_t ni = cchc_criteria_indicator_count (cat);
    r->figures = calloc (ni * (CCHC_LEVEL_COUNT + 1) + 1, sizeof *r->figures);
    if (!r->figures)
        return -1;
    for (size_t i = 0; i < ni; i++) {
        const cchc_indicator_t *ind = cchc_criteria_indicator (cat, i);
        if (ind->rule == CCHC_RULE_ON_TIME)
            continue;
        s_figure (r, i, -1, &r->figures[r->figure_count++]);
        for (int l = 0; l < CCHC_LEVEL_COUNT; l++)
            if (ind->levels & CCHC_LEVEL_BIT (l))
                s_figure (r, i, l, &r->figures[r->figure_count++]);
    }
    return 0;
}

static int
s_code_cmp (const void *a, const void *b)
{
    const cchc_rollup_unit_result_t *x = *(const cchc_rollup_unit_result_t * const *) a;
    const cchc_rollup_unit_result_t *y = *(const cchc_rollup_unit_result_t * const *) b;
    return strcmp (x->code, y->code);
}

static int
s_previous (cchc_rollup_t *r, const cchc_rollup_t *prev)
{
    r->has_previous = true;
    r->previous = prev->window.period;
    if (prev->unit_count == 0)
        return 0;
    const cchc_rollup_unit_result_t **by_code = malloc (prev->unit_count
                                                        * sizeof *by_code);
    if (!by_code)
        return -1;
    for (size_t i = 0; i < prev->unit_count; i++)
        by_code[i] = &prev->units[i];
    qsort (by_code, prev->unit_count, sizeof *by_code, s_code_cmp);
    for (size_t i = 0; i < r->unit_count; i++) {
        cchc_rollup_unit_result_t *u = &r->units[i];
        const cchc_rollup_unit_result_t *key = u, **hit;
        hit = bsearch (&key, by_code, prev->unit_count, sizeof *by_code, s_code_cmp);
        if (!hit || (*hit)->level != u->level || (*hit)->metrics_reported == 0)
            continue;           /* changed level, or no data then: no comparison */
        u->prev_rank = (*hit)->rank;
        if (u->has_index && (*hit)->has_index) {
            u->has_change = true;
            u->change = u->index - (*hit)->index;
        }
    }
    free (by_code);
    return 0;
}

cchc_rollup_t *
cchc_rollup_compute (const cchc_criteria_t *cat, const cchc_rollup_window_t *w,
                     const cchc_rollup_unit_t *units, size_t unit_count,
                     const cchc_rollup_part_t *parts, size_t part_count,
                     const cchc_rollup_t *previous, char *err, size_t errlen)
{
    assert (cat && w);
    assert (units || unit_count == 0);
    assert (parts || part_count == 0);
    size_t nm = cchc_criteria_metric_count (cat);
    size_t ni = cchc_criteria_indicator_count (cat);
    size_t na = cchc_criteria_area_count (cat);
    for (size_t i = 0; i < unit_count; i++)
        if (!units[i].code || !units[i].name || (int) units[i].level < 0
            || units[i].level >= CCHC_LEVEL_COUNT) {
            s_err (err, errlen, "unit %zu: no code, no name or a bad level", i);
            return NULL;
        }
    for (size_t i = 0; i < part_count; i++)
        if (parts[i].unit >= unit_count || parts[i].metric >= nm) {
            s_err (err, errlen, "part %zu: unit or metric index out of range", i);
            return NULL;
        }

    cchc_rollup_t *r = calloc (1, sizeof *r);
    if (!r) {
        s_err (err, errlen, "out of memory");
        return NULL;
    }
    r->criteria = cat;
    r->window = *w;
    r->unit_count = unit_count;
    size_t n = unit_count ? unit_count : 1;
    r->units = calloc (n, sizeof *r->units);
    cchc_rollup_score_t *scores = calloc (n * (ni ? ni : 1), sizeof *scores);
    cchc_rollup_cell_t *cells = calloc (n * (nm ? nm : 1), sizeof *cells);
    double *areas = calloc (n * (na ? na : 1) * 2, sizeof *areas);
    bool oom = !r->units || !scores || !cells || !areas;
    if (oom) {
        free (scores);
        free (cells);
        free (areas);
        goto fail;
    }
    for (size_t i = 0; i < unit_count; i++) {
        cchc_rollup_unit_result_t *u = &r->units[i];
        u->code = s_strdup_or_null (units[i].code, &oom);
        u->name = s_strdup_or_null (units[i].name, &oom);
        u->parent = s_strdup_or_null (units[i].parent, &oom);
        u->level = units[i].level;
        u->scores = scores + i * ni;
        u->cells = cells + i * nm;
        u->area_earned = areas + i * na * 2;
        u->area_applicable = u->area_earned + na;
    }
    if (unit_count == 0) {      /* keep the flat arrays owned by units[0] */
        r->units[0].scores = scores;
        r->units[0].cells = cells;
        r->units[0].area_earned = areas;
    }
    if (oom)
        goto fail;
    s_fill_cells (r, parts, part_count);
    for (size_t i = 0; i < unit_count; i++)
        s_score_unit (r, &r->units[i]);
    if (s_rank (r) != 0 || s_distribution (r) != 0 || s_figures (r) != 0
        || (previous && s_previous (r, previous) != 0))
        goto fail;
    return r;

fail:
    s_err (err, errlen, "out of memory");
    cchc_rollup_destroy (&r);
    return NULL;
}

void
cchc_rollup_destroy (cchc_rollup_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cchc_rollup_t *self = *self_p;
    if (self->units) {
        for (size_t i = 0; i < self->unit_count; i++) {
            free (self->units[i].code);
            free (self->units[i].name);
            free (self->units[i].parent);
        }
        free (self->units[0].scores);
        free (self->units[0].cells);
        free (self->units[0].area_earned);
        free (self->units);
    }
    for (int l = 0; l <= CCHC_LEVEL_COUNT; l++)
        free (self->dist[l].grade_counts);
    free (self->figures);
    free (self);
    *self_p = NULL;
}

int
cchc_rollup_unit_find (const cchc_rollup_t *self, const char *code)
{
    assert (self);
    for (size_t i = 0; code && i < self->unit_count; i++)
        if (strcmp (self->units[i].code, code) == 0)
            return (int) i;
    return -1;
}

size_t *
cchc_rollup_ranking (const cchc_rollup_t *self, int level, size_t *count)
{
    assert (self && count);
    size_t n0 = self->unit_count ? self->unit_count : 1;
    s_rank_item_t *items = malloc (n0 * sizeof *items);
    size_t *order = malloc (n0 * sizeof *order);
    if (!items || !order) {
        free (items);
        free (order);
        return NULL;
    }
    size_t n = 0;
    for (size_t i = 0; i < self->unit_count; i++) {
        const cchc_rollup_unit_result_t *u = &self->units[i];
        if (level < 0 || (int) u->level == level)
            items[n++] = (s_rank_item_t) { (int) u->level, u->rank, 0, u->code, i };
    }
    qsort (items, n, sizeof *items, s_rank_cmp);
    for (size_t k = 0; k < n; k++)
        order[k] = items[k].unit;
    free (items);
    *count = n;
    return order;
}

const cchc_rollup_figure_t *
cchc_rollup_figure (const cchc_rollup_t *self, size_t indicator, int level)
{
    for (size_t i = 0; i < self->figure_count; i++)
        if (self->figures[i].indicator == indicator && self->figures[i].level == level)
            return &self->figures[i];
    return NULL;
}

/* ------------------------------------------------------------------------ */
/*  observation_month: schema, triggers, backfill (rollup.h) */

int32_t
cchc_rollup_month_of (int32_t d)
{
    if (d % 100 < 15)
        return d / 100;
    if (d / 100 % 100 == 12)
        return (d / 10000 + 1) * 100 + 1;
    return d / 100 + 1;
}

/* ------------------------------------------------------------------------ */
/*  observation_month changes summed by the collector's writer (rollup.h) */

/*  What the noted rows change in one (agent, month, metric, unit). */
typedef struct {
    int64_t agent;
    int32_t month;
    char metric[CCHC_METRIC_MAX + 1];
    char unit[CCHC_UNIT_MAX + 1];
    bool real;                  /* the total change is a double */
    int64_t itotal;             /* while !real */
    double ftotal;              /* when real */
    int64_t rows;               /* rows added − rows that left */
    int32_t day_first;          /* days of the rows added or replaced */
    int32_t day_last;           /* (INT32_MAX, 0 when none) */
    bool last_real;             /* the value of the row on day_last */
    int64_t last_ival;
    double last_fval;
    int64_t last_journal;
    int64_t journal_max;
    bool removed;               /* a row left: drop if empty, recompute edges */
    size_t order;               /* notes of one key merge in the order noted */
} s_delta_entry_t;

/*  Summary rows per upsert statement. */
#define S_DELTA_PER_UPSERT 32

struct cchc_rollup_delta_t {
    s_delta_entry_t *entries;
    size_t count, alloc;
    sqlite3 *db;                /* the statements' connection */
    sqlite3_stmt *upsert[S_DELTA_PER_UPSERT + 1];  /* [n]: of n rows */
    sqlite3_stmt *drop, *edges;
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
#define S_DELTA_ROWS " FROM observation AS o WHERE o.agent = ?1" \
    " AND o.day BETWEEN " CCHC_DB_MONTH_FIRST " AND " CCHC_DB_MONTH_LAST \
    " AND o.metric = ?3 AND o.unit = ?4"

/*  Same effect as the trigger's S_REMOVE_OLD after the sums changed. */
static const char *s_delta_drop_sql =
    "DELETE FROM observation_month" S_DELTA_KEY " AND rows <= 0";
static const char *s_delta_edges_sql =
    "UPDATE observation_month SET"
    " day_first = (SELECT min (o.day)" S_DELTA_ROWS "),"
    " day_last = (SELECT max (o.day)" S_DELTA_ROWS "),"
    " last_value = (SELECT o.value" S_DELTA_ROWS " ORDER BY o.day DESC LIMIT 1),"
    " last_journal = (SELECT o.journal" S_DELTA_ROWS " ORDER BY o.day DESC LIMIT 1)"
    S_DELTA_KEY;

cchc_rollup_delta_t *
cchc_rollup_delta_new (void)
{
    return calloc (1, sizeof (cchc_rollup_delta_t));
}

static void
s_delta_finalize (cchc_rollup_delta_t *self)
{
    for (int i = 0; i <= S_DELTA_PER_UPSERT; i++) {
        sqlite3_finalize (self->upsert[i]);
        self->upsert[i] = NULL;
    }
    sqlite3_finalize (self->drop);
    sqlite3_finalize (self->edges);
    self->drop = self->edges = NULL;
    self->db = NULL;
}

void
cchc_rollup_delta_destroy (cchc_rollup_delta_t **self_p)
{
    assert (self_p);
    cchc_rollup_delta_t *self = *self_p;
    if (!self)
        return;
    s_delta_finalize (self);
    free (self->entries);
    free (self);
    *self_p = NULL;
}

size_t
cchc_rollup_delta_size (const cchc_rollup_delta_t *self)
{
    assert (self);
    return self->count;
}

void
cchc_rollup_delta_clear (cchc_rollup_delta_t *self)
{
    assert (self);
    self->count = 0;
}

/*  total += sign × value, as SQLite's arithmetic would type it: integer
    while every term is and the sum fits, else real. */
static void
s_delta_total_add (s_delta_entry_t *e, bool is_float, int64_t ival, double fval,
                   int sign)
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

static s_delta_entry_t *
s_delta_entry (cchc_rollup_delta_t *self, const cchc_rollup_obs_t *row)
{
    if (strlen (row->metric) > CCHC_METRIC_MAX || strlen (row->unit) > CCHC_UNIT_MAX)
        return NULL;
    if (self->count == self->alloc) {
        size_t want = self->alloc ? self->alloc * 2 : 1024;
        s_delta_entry_t *e = realloc (self->entries, want * sizeof *e);
        if (!e)
            return NULL;
        self->entries = e;
        self->alloc = want;
    }
    s_delta_entry_t *e = &self->entries[self->count];
    memset (e, 0, sizeof *e);
    e->order = self->count++;
    e->agent = row->agent;
    e->month = cchc_rollup_month_of (row->day);
    strcpy (e->metric, row->metric);
    strcpy (e->unit, row->unit);
    e->day_first = INT32_MAX;
    return e;
}

/*  `row` is in its month now (added, or replacing a row of the same day). */
static void
s_delta_set_row (s_delta_entry_t *e, const cchc_rollup_obs_t *row)
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
cchc_rollup_delta_note (cchc_rollup_delta_t *self, const cchc_rollup_obs_t *old,
                        const cchc_rollup_obs_t *row)
{
    assert (self && row && row->metric && row->unit);
    assert (!old || (old->agent == row->agent && old->day == row->day
                     && old->unit && strcmp (old->metric, row->metric) == 0));
    if (old && strcmp (old->unit, row->unit) != 0) {
        /*  The row moved to another unit: out of the old unit's month. */
        s_delta_entry_t *e = s_delta_entry (self, old);
        if (!e)
            return -1;
        s_delta_total_add (e, old->is_float, old->ival, old->fval, -1);
        e->rows = -1;
        e->removed = true;
        old = NULL;
    }
    s_delta_entry_t *e = s_delta_entry (self, row);
    if (!e)
        return -1;
    s_delta_total_add (e, row->is_float, row->ival, row->fval, +1);
    if (old)
        s_delta_total_add (e, old->is_float, old->ival, old->fval, -1);
    else
        e->rows = 1;
    s_delta_set_row (e, row);
    return 0;
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

static int
s_delta_order_cmp (const void *a, const void *b)
{
    int c = s_delta_cmp (a, b);
    if (c)
        return c;
    const s_delta_entry_t *x = a, *y = b;
    return x->order < y->order ? -1 : x->order > y->order;
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
s_delta_prepare (cchc_rollup_delta_t *self, sqlite3 *db)
{
    if (self->db == db)
        return 0;
    s_delta_finalize (self);
    if (sqlite3_prepare_v3 (db, s_delta_drop_sql, -1, SQLITE_PREPARE_PERSISTENT,
                            &self->drop, NULL) != SQLITE_OK
        || sqlite3_prepare_v3 (db, s_delta_edges_sql, -1, SQLITE_PREPARE_PERSISTENT,
                               &self->edges, NULL) != SQLITE_OK) {
        s_delta_finalize (self);
        return -1;
    }
    self->db = db;
    return 0;
}

static sqlite3_stmt *
s_delta_upsert (cchc_rollup_delta_t *self, size_t n)
{
    assert (n >= 1 && n <= S_DELTA_PER_UPSERT);
    if (self->upsert[n])
        return self->upsert[n];
    char sql[2048 + S_DELTA_PER_UPSERT * 64];
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
    if (sqlite3_prepare_v3 (self->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
                            &self->upsert[n], NULL) != SQLITE_OK)
        return NULL;
    return self->upsert[n];
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
static int
s_delta_write (cchc_rollup_delta_t *self, const s_delta_entry_t *entries, size_t n)
{
    sqlite3_stmt *st = s_delta_upsert (self, n);
    if (!st)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const s_delta_entry_t *e = &entries[i];
        int p = (int) i * 11;
        sqlite3_bind_int64 (st, p + 1, e->agent);
        sqlite3_bind_text (st, p + 2, e->metric, -1, SQLITE_STATIC);
        sqlite3_bind_int (st, p + 3, e->month);
        sqlite3_bind_text (st, p + 4, e->unit, -1, SQLITE_STATIC);
        if (e->real)
            sqlite3_bind_double (st, p + 5, e->ftotal);
        else
            sqlite3_bind_int64 (st, p + 5, e->itotal);
        sqlite3_bind_int64 (st, p + 6, e->rows);
        sqlite3_bind_int (st, p + 7, e->day_first);
        sqlite3_bind_int (st, p + 8, e->day_last);
        if (e->last_real)
            sqlite3_bind_double (st, p + 9, e->last_fval);
        else
            sqlite3_bind_int64 (st, p + 9, e->last_ival);
        sqlite3_bind_int64 (st, p + 10, e->last_journal);
        sqlite3_bind_int64 (st, p + 11, e->journal_max);
    }
    int rc = s_delta_step (st);
    for (size_t i = 0; i < n && rc == 0; i++) {
        const s_delta_entry_t *e = &entries[i];
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

int
cchc_rollup_delta_apply (cchc_rollup_delta_t *self, sqlite3 *db, char *err,
                         size_t errlen)
{
    assert (self && db);
    if (self->count == 0)
        return 0;
    if (s_delta_prepare (self, db) != 0) {
        s_err (err, errlen, "observation_month: %s", sqlite3_errmsg (db));
        self->count = 0;
        return -1;
    }
    qsort (self->entries, self->count, sizeof *self->entries, s_delta_order_cmp);
    size_t n = 0;
    for (size_t i = 0; i < self->count; i++)
        if (n > 0 && s_delta_cmp (&self->entries[n - 1], &self->entries[i]) == 0)
            s_delta_merge (&self->entries[n - 1], &self->entries[i]);
        else
            self->entries[n++] = self->entries[i];
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i += S_DELTA_PER_UPSERT)
        rc = s_delta_write (self, &self->entries[i],
                            n - i < S_DELTA_PER_UPSERT ? n - i : S_DELTA_PER_UPSERT);
    if (rc != 0)
        s_err (err, errlen, "observation_month: %s", sqlite3_errmsg (db));
    self->count = 0;
    return rc;
}

/* ------------------------------------------------------------------------ */
/*  SQLite loader */

typedef struct {
    sqlite3 *db;
    const cchc_criteria_t *cat;
    char *err;
    size_t errlen;
    /* units (sorted by code) */
    cchc_rollup_unit_t *units;
    char **strings;             /* owned copies behind units */
    size_t unit_count;
    /* parts */
    cchc_rollup_part_t *parts;
    size_t part_count, part_alloc;
    size_t parts_ignored;
} s_loader_t;

static int
s_sql_fail (s_loader_t *l, const char *what)
{
    s_err (l->err, l->errlen, "%s: %s", what, sqlite3_errmsg (l->db));
    return -1;
}

static int
s_exec (s_loader_t *l, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec (l->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        s_err (l->err, l->errlen, "%s", msg ? msg : sqlite3_errmsg (l->db));
        sqlite3_free (msg);
        return -1;
    }
    return 0;
}

static void
s_loader_reset (s_loader_t *l)
{
    for (size_t i = 0; i < l->unit_count * 3; i++)
        free (l->strings[i]);
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
            -1, &st, NULL) != SQLITE_OK)
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
        if (l->unit_count > 0
            && strcmp (l->units[l->unit_count - 1].code, code) == 0)
            continue;           /* overlapping validity: keep the latest row */
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
                s_err (l->err, l->errlen, "out of memory");
                return -1;
            }
        }
        cchc_rollup_unit_t *u = &l->units[l->unit_count];
        char **s = &l->strings[l->unit_count * 3];
        s[0] = strdup (code);
        s[1] = strdup (name);
        s[2] = parent ? strdup (parent) : NULL;
        l->unit_count++;
        u->code = s[0];
        u->name = s[1];
        u->parent = s[2];
        if (!s[0] || !s[1] || (parent && !s[2])) {
            sqlite3_finalize (st);
            s_err (l->err, l->errlen, "out of memory");
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
        int c = strcmp (l->units[mid].code, code);
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
    cchc_rollup_part_t *p = &l->parts[l->part_count++];
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
                   "DELETE FROM temp.cchc_rollup_metric;") != 0)
        return -1;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (l->db, "INSERT INTO temp.cchc_rollup_metric"
                            " VALUES (?1, ?2, ?3)", -1, &st, NULL) != SQLITE_OK)
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
    if (sqlite3_prepare_v2 (l->db, "SELECT 1 FROM sqlite_master WHERE type = 'table'"
                            " AND name = 'observation_month'", -1, &st, NULL) != SQLITE_OK)
        return s_sql_fail (l, "schema");
    int rc = sqlite3_step (st);
    *has = rc == SQLITE_ROW;
    sqlite3_finalize (st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return s_sql_fail (l, "schema");
    return 0;
}

static int
s_add_part (s_loader_t *l, const char *unit, int64_t agent, size_t metric,
            double value, int64_t rows, int32_t day_first, int32_t day_last,
            int64_t journal)
{
    int u = unit ? s_unit_index (l, unit) : -1;
    if (u < 0) {
        l->parts_ignored++;
        return 0;
    }
    cchc_rollup_part_t *p = s_part_add (l);
    if (!p) {
        s_err (l->err, l->errlen, "out of memory");
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
static const char *s_sql_month_counters =
    "SELECT o.agent, m.idx, o.unit, o.total, o.rows, o.day_first, o.day_last,"
    "       o.journal_max"
    "  FROM agent AS a CROSS JOIN observation_month AS o"
    "       CROSS JOIN temp.cchc_rollup_metric AS m"
    " WHERE o.agent = a.id AND o.month BETWEEN ?1 AND ?2"
    "   AND m.code = o.metric AND m.kind = 1";

/*  Gauges from the monthly sums: per (agent, metric) the latest month <= the
    window's last (index (agent, metric, month)) and its latest day — one row
    per unit the agent reported for in that month.  (An agent moved to
    another unit in an earlier month leaves its old unit no carried gauge;
    the daily fallback and the core keep one per unit.  Agents are rarely
    moved.) */
static const char *s_sql_month_gauges =
    "SELECT o.agent, m.idx, o.unit, o.day_last, o.day_last, o.last_value,"
    "       o.last_journal"
    "  FROM agent AS a CROSS JOIN temp.cchc_rollup_metric AS m"
    "       CROSS JOIN observation_month AS o"
    " WHERE m.kind = 2 AND o.agent = a.id"
    "   AND o.month = (SELECT max (x.month) FROM observation_month AS x"
    "                   WHERE x.agent = a.id AND x.metric = m.code"
    "                     AND x.month <= ?2)"
    "   AND o.metric = m.code";

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
    char unit[CCHC_UNIT_MAX + 1];
    bool unit_ok;               /* the code fitted (else: no such unit) */
    double total;
    int64_t rows, journal;
    int32_t first, last;
    long next;                  /* next entry of the same metric, or -1 */
} s_fold_t;

typedef struct {
    long *head;                 /* [metric count]: first entry, or -1 */
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
        s_fold_t *e = &f->entries[i];
        f->head[e->metric] = -1;
        if (rc == 0 && s_add_part (l, e->unit_ok ? e->unit : NULL, agent, e->metric,
                                   e->total, e->rows, e->first, e->last,
                                   e->journal) != 0)
            rc = -1;
    }
    f->count = 0;
    return rc;
}

/*  Counter rows: agent, idx, unit, total, rows, day_first, day_last, journal;
    an agent's rows are consecutive, in any order within the agent. */
static int
s_load_counters (s_loader_t *l, const cchc_rollup_window_t *w, bool monthly)
{
    size_t nm = cchc_criteria_metric_count (l->cat);
    s_folder_t f = { .head = malloc ((nm ? nm : 1) * sizeof *f.head) };
    if (!f.head) {
        s_err (l->err, l->errlen, "out of memory");
        return -1;
    }
    for (size_t m = 0; m < nm; m++)
        f.head[m] = -1;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (l->db, monthly ? s_sql_month_counters : s_sql_day_counters,
                            -1, &st, NULL) != SQLITE_OK) {
        free (f.head);
        return s_sql_fail (l, "counters");
    }
    sqlite3_bind_int (st, 1, monthly ? cchc_rollup_month_of (w->first_day)
                                     : w->first_day);
    sqlite3_bind_int (st, 2, monthly ? cchc_rollup_month_of (w->last_day)
                                     : w->last_day);
    int64_t agent = 0;
    int rc;
    while ((rc = sqlite3_step (st)) == SQLITE_ROW) {
        int64_t a = sqlite3_column_int64 (st, 0), m = sqlite3_column_int64 (st, 1);
        const char *u = (const char *) sqlite3_column_text (st, 2);
        if (m < 0 || (size_t) m >= nm || !u)
            continue;
        if (a != agent) {
            if (s_fold_flush (l, &f, agent) != 0)
                goto fail;
            agent = a;
        }
        long i;
        for (i = f.head[m]; i >= 0 && strcmp (f.entries[i].unit, u) != 0;
             i = f.entries[i].next)
            ;
        if (i < 0) {
            if (f.count == f.alloc) {
                size_t want = f.alloc ? f.alloc * 2 : 64;
                s_fold_t *e = realloc (f.entries, want * sizeof *e);
                if (!e) {
                    s_err (l->err, l->errlen, "out of memory");
                    goto fail;
                }
                f.entries = e;
                f.alloc = want;
            }
            i = (long) f.count++;
            s_fold_t *e = &f.entries[i];
            memset (e, 0, sizeof *e);
            e->metric = (size_t) m;
            e->unit_ok = cchc_strlcpy (e->unit, u, sizeof e->unit) < sizeof e->unit;
            e->first = INT32_MAX;
            e->next = f.head[m];
            f.head[m] = i;
        }
        s_fold_t *e = &f.entries[i];
        e->total += sqlite3_column_double (st, 3);
        e->rows += sqlite3_column_int64 (st, 4);
        int32_t first = sqlite3_column_int (st, 5), last = sqlite3_column_int (st, 6);
        int64_t j = sqlite3_column_int64 (st, 7);
        e->first = first < e->first ? first : e->first;
        e->last = last > e->last ? last : e->last;
        e->journal = j > e->journal ? j : e->journal;
    }
    if (rc != SQLITE_DONE) {
        s_sql_fail (l, "counters");
        goto fail;
    }
    if (s_fold_flush (l, &f, agent) != 0)
        goto fail;
    sqlite3_finalize (st);
    free (f.head);
    free (f.entries);
    return 0;
fail:
    sqlite3_finalize (st);
    free (f.head);
    free (f.entries);
    return -1;
}

/*  Gauge rows: agent, idx, unit, day, day, value, journal — one part each
    (per unit, the cells keep the latest day over its agents). */
static int
s_load_gauges (s_loader_t *l, const cchc_rollup_window_t *w, bool monthly)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (l->db, monthly ? s_sql_month_gauges : s_sql_day_gauges,
                            -1, &st, NULL) != SQLITE_OK)
        return s_sql_fail (l, "gauges");
    sqlite3_bind_int (st, 2, monthly ? cchc_rollup_month_of (w->last_day)
                                     : w->last_day);
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
                        sqlite3_column_int64 (st, 6)) != 0) {
            sqlite3_finalize (st);
            return -1;
        }
    }
    sqlite3_finalize (st);
    if (rc != SQLITE_DONE)
        return s_sql_fail (l, "gauges");
    return 0;
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
        s_err (l->err, l->errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < l->part_count; i++)
        ids[i] = l->parts[i].journal_max;
    qsort (ids, l->part_count, sizeof *ids, s_int64_cmp);
    size_t n = 0;
    for (size_t i = 0; i < l->part_count; i++)
        if (n == 0 || ids[n - 1] != ids[i])
            ids[n++] = ids[i];
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (l->db, "SELECT received_at FROM journal WHERE id = ?1",
                            -1, &st, NULL) != SQLITE_OK) {
        free (ids);
        free (times);
        return s_sql_fail (l, "journal");
    }
    for (size_t i = 0; i < n; i++) {
        sqlite3_bind_int64 (st, 1, ids[i]);
        int rc = sqlite3_step (st);
        /* a row without its journal entry (should not happen): treat as
           arriving never, i.e. late */
        times[i] = rc == SQLITE_ROW ? sqlite3_column_int64 (st, 0) : INT64_MAX;
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
        int64_t *hit = bsearch (&l->parts[i].journal_max, ids, n, sizeof *ids,
                                s_int64_cmp);
        assert (hit);
        l->parts[i].received_max = times[hit - ids];
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
    if (s_has_month_table (l, &monthly) == 0 && s_load_units (l, &w) == 0
        && s_load_counters (l, &w, monthly) == 0
        && s_load_gauges (l, &w, monthly) == 0 && s_load_arrivals (l) == 0) {
        r = cchc_rollup_compute (l->cat, &w, l->units, l->unit_count, l->parts,
                                 l->part_count, previous, l->err, l->errlen);
        if (r)
            r->parts_ignored = l->parts_ignored;
    }
    s_loader_reset (l);
    return r;
}

cchc_rollup_t *
cchc_rollup_load (sqlite3 *db, const cchc_criteria_t *cat,
                  const cchc_period_t *period, int64_t as_of_ms,
                  bool with_previous, char *err, size_t errlen)
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
    return r;
}

/* ------------------------------------------------------------------------ */
/*  Explanations */

/*  The agents that may have rows of (unit, metric) up to month ?3: from
    observation_month when it exists, else every agent. */
#define S_EXPLAIN_AGENTS_MONTH \
    "SELECT DISTINCT agent FROM observation_month" \
    " WHERE metric = ?1 AND unit = ?2 AND month <= ?3"
#define S_EXPLAIN_AGENTS_ALL "SELECT id FROM agent WHERE ?1 IS NOT NULL" \
    " AND ?2 IS NOT NULL AND ?3 IS NOT NULL"

static int
s_explain_metric (sqlite3 *db, const cchc_rollup_window_t *w, const char *unit,
                  const cchc_metric_t *metric, cchc_rollup_source_fn *fn, void *arg,
                  char *err, size_t errlen)
{
    bool gauge = metric->kind == CCHC_METRIC_GAUGE;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2 (db, "SELECT 1 FROM sqlite_master WHERE type = 'table'"
                                 " AND name = 'observation_month'", -1, &st, NULL);
    if (rc != SQLITE_OK)
        goto sql_fail;
    bool monthly = sqlite3_step (st) == SQLITE_ROW;
    sqlite3_finalize (st);
    st = NULL;
    const char *agents = monthly ? S_EXPLAIN_AGENTS_MONTH : S_EXPLAIN_AGENTS_ALL;
    int32_t from = w->first_day, to = w->last_day;
    char sql[1024];
    if (gauge) {
        /* the unit's latest day <= the end, over all its agents */
        snprintf (sql, sizeof sql, "SELECT max (o.day) FROM observation AS o"
                  " WHERE o.agent IN (%s) AND o.metric = ?1 AND o.unit = ?2"
                  " AND o.day <= ?4", agents);
        if (sqlite3_prepare_v2 (db, sql, -1, &st, NULL) != SQLITE_OK)
            goto sql_fail;
        sqlite3_bind_text (st, 1, metric->code, -1, SQLITE_STATIC);
        sqlite3_bind_text (st, 2, unit, -1, SQLITE_STATIC);
        sqlite3_bind_int (st, 3, cchc_rollup_month_of (w->last_day));
        sqlite3_bind_int (st, 4, w->last_day);
        if ((rc = sqlite3_step (st)) != SQLITE_ROW)
            goto sql_fail;
        if (sqlite3_column_type (st, 0) == SQLITE_NULL) {
            sqlite3_finalize (st);
            return 0;           /* no value at all */
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
              " ORDER BY o.day, o.agent", agents);
    if (sqlite3_prepare_v2 (db, sql, -1, &st, NULL) != SQLITE_OK)
        goto sql_fail;
    sqlite3_bind_text (st, 1, metric->code, -1, SQLITE_STATIC);
    sqlite3_bind_text (st, 2, unit, -1, SQLITE_STATIC);
    sqlite3_bind_int (st, 3, cchc_rollup_month_of (w->last_day));
    sqlite3_bind_int (st, 4, from);
    sqlite3_bind_int (st, 5, to);
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
            s_err (err, errlen, "stopped");
            return -1;
        }
    }
    if (rc != SQLITE_DONE)
        goto sql_fail;
    sqlite3_finalize (st);
    return 0;
sql_fail:
    s_err (err, errlen, "explain: %s", sqlite3_errmsg (db));
    sqlite3_finalize (st);
    return -1;
}

int
cchc_rollup_explain (sqlite3 *db, const cchc_criteria_t *cat,
                     const cchc_rollup_window_t *w, const char *unit,
                     const char *code, cchc_rollup_source_fn *fn, void *arg,
                     char *err, size_t errlen)
{
    assert (db && cat && w && unit && code && fn);
    int metrics[2] = { -1, -1 };
    int m = cchc_criteria_metric_find (cat, code);
    int i = cchc_criteria_indicator_find (cat, code);
    if (m >= 0)
        metrics[0] = m;
    else if (i >= 0) {
        const cchc_indicator_t *ind = cchc_criteria_indicator (cat, (size_t) i);
        if (ind->rule == CCHC_RULE_ON_TIME) {
            s_err (err, errlen, "indicator '%s' is computed from the arrival of "
                   "all the unit's metrics: explain each metric", code);
            return -1;
        }
        metrics[0] = ind->numerator;
        metrics[1] = ind->denominator;
    }
    else {
        s_err (err, errlen, "'%s' is neither a metric nor an indicator of the "
               "catalogue", code);
        return -1;
    }
    for (int k = 0; k < 2; k++)
        if (metrics[k] >= 0
            && s_explain_metric (db, w, unit,
                                 cchc_criteria_metric (cat, (size_t) metrics[k]),
                                 fn, arg, err, errlen) != 0)
            return -1;
    return 0;
}
