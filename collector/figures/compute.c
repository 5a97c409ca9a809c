/*  compute.c — the pure roll-up engine (rollup.h): the window of a period,
    folding raw rows into parts, scoring every unit against the catalogue,
    the one ranking order, the distributions and the province's figures.
    No database.
*/
#include "collector/figures/rollup.h"
#include "common/text.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_RANK_SCALE 1e6 /* indices compare rounded to 1e-6 */

/* ------------------------------------------------------------------------ */
/*  Window */

void
cchc_rollup_window (const cchc_criteria_t *cat, const cchc_period_t *period, int64_t as_of_ms,
                    cchc_rollup_window_t *w)
{
    assert (cat && period && w);
    memset (w, 0, sizeof *w);
    w->period = *period;
    cchc_period_format (period, w->id, sizeof w->id);
    cchc_period_window (period, &w->first, &w->last);
    w->first_day = cchc_date_to_yyyymmdd (w->first);
    w->last_day = cchc_date_to_yyyymmdd (w->last);
    cchc_date_t due = cchc_period_deadline (period, cchc_criteria_due_day (cat));
    cchc_date_t lock = cchc_period_deadline (period, cchc_criteria_lock_day (cat));
    w->due_day = cchc_date_to_yyyymmdd (due);
    w->lock_day = cchc_date_to_yyyymmdd (lock);
    w->due_ms = cchc_date_start_utc_ms (due + 1);
    w->lock_ms = cchc_date_start_utc_ms (lock);
    for (int l = 0; l < CCHC_LEVEL_COUNT; l++) {
        cchc_date_t d =
            cchc_period_deadline (period, cchc_criteria_level_due_day (cat, (cchc_level_t) l));
        w->level_due_day [l] = cchc_date_to_yyyymmdd (d);
        w->level_due_ms [l] = cchc_date_start_utc_ms (d + 1);
    }
    w->as_of_ms = as_of_ms;
}

/* ------------------------------------------------------------------------ */
/*  Folding raw rows */

static int
s_row_cmp (const void *a, const void *b)
{
    const cchc_rollup_row_t *x = *(const cchc_rollup_row_t *const *) a;
    const cchc_rollup_row_t *y = *(const cchc_rollup_row_t *const *) b;
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
        order [i] = &rows [i];
    qsort (order, row_count, sizeof *order, s_row_cmp);

    size_t n = 0;
    for (size_t i = 0; i < row_count;) {
        const cchc_rollup_row_t *g = order [i];
        size_t end = i;
        while (end < row_count && order [end]->unit == g->unit
               && order [end]->metric == g->metric && order [end]->agent == g->agent)
            end++;
        assert (g->metric < cchc_criteria_metric_count (cat));
        if (g->metric >= cchc_criteria_metric_count (cat)) {
            i = end; /* misuse; skipped when asserts are off */
            continue;
        }
        bool gauge = cchc_criteria_metric (cat, g->metric)->kind == CCHC_METRIC_GAUGE;
        cchc_rollup_part_t part = { .unit = g->unit, .metric = g->metric, .agent = g->agent };
        const cchc_rollup_row_t *newest = NULL;
        for (size_t k = i; k < end; k++) {
            const cchc_rollup_row_t *r = order [k];
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
            parts [n++] = part;
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
    int rank;    /* 0: no index, after the ranked */
    int64_t key; /* index rounded to 1e-6 */
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
        const cchc_rollup_part_t *p = &parts [i];
        cchc_rollup_cell_t *c = &r->units [p->unit].cells [p->metric];
        bool gauge = cchc_criteria_metric (cat, p->metric)->kind == CCHC_METRIC_GAUGE;
        if (gauge && c->present && p->day_last < c->day_last)
            continue; /* an older value of another agent */
        if (gauge && c->present && p->day_last > c->day_last)
            memset (c, 0, sizeof *c); /* a newer day replaces the older */
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
    s->target = ind->target [u->level];
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
    const cchc_rollup_cell_t *num = &u->cells [ind->numerator];
    const cchc_rollup_cell_t *den =
        ind->denominator >= 0 ? &u->cells [ind->denominator] : NULL;
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
        cchc_rollup_cell_t *c = &u->cells [m];
        c->expected = (cchc_criteria_metric (cat, m)->levels & CCHC_LEVEL_BIT (u->level)) != 0;
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
    int64_t due_ms = w->level_due_ms [u->level];
    u->on_time = u->complete && last_expected < due_ms;
    u->pending = !u->on_time && w->as_of_ms < due_ms;

    size_t ni = cchc_criteria_indicator_count (cat);
    for (size_t i = 0; i < ni; i++) {
        const cchc_indicator_t *ind = cchc_criteria_indicator (cat, i);
        cchc_rollup_score_t *s = &u->scores [i];
        s_score (w, ind, u, s);
        u->area_earned [ind->area] += s->points;
        u->area_applicable [ind->area] += s->points_max;
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
            if ((int) r->units [i].level == level && r->units [i].has_index)
                items [n++] = (s_rank_item_t){ level, 0, s_rank_key (r->units [i].index),
                                               r->units [i].code, i };
        qsort (items, n, sizeof *items, s_rank_cmp);
        for (size_t k = 0; k < n; k++) {
            cchc_rollup_unit_result_t *u = &r->units [items [k].unit];
            if (k > 0 && items [k].key == items [k - 1].key)
                u->rank = r->units [items [k - 1].unit].rank;
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
        cchc_rollup_dist_t *d = &r->dist [level];
        d->grade_counts = calloc (ng ? ng : 1, sizeof *d->grade_counts);
        if (!d->grade_counts) {
            free (values);
            return -1;
        }
        size_t n = 0;
        double sum = 0;
        for (size_t i = 0; i < r->unit_count; i++) {
            const cchc_rollup_unit_result_t *u = &r->units [i];
            if (level != CCHC_LEVEL_COUNT && (int) u->level != level)
                continue;
            d->units++;
            if (!u->complete)
                d->incomplete++;
            if (u->complete && !u->on_time && !u->pending)
                d->late++;
            if (!u->has_index)
                continue;
            values [n++] = u->index;
            sum += u->index;
            bool graded = false;
            for (size_t g = 0; g < ng && !graded; g++)
                if (u->index >= cchc_criteria_grade (r->criteria, g)->at - 1e-9) {
                    d->grade_counts [g]++;
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
        d->min = values [0];
        d->max = values [n - 1];
        d->median = n % 2 ? values [n / 2] : (values [n / 2 - 1] + values [n / 2]) / 2;
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
        f->target = ind->target [level];
    else {
        f->target = NAN;
        for (int l = 0; l < CCHC_LEVEL_COUNT; l++) {
            double t = ind->target [l];
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
        const cchc_rollup_unit_result_t *u = &r->units [i];
        const cchc_rollup_score_t *s = &u->scores [indicator];
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
    f->met =
        f->has_value && !isnan (f->target) && cchc_indicator_met (ind, f->target, f->value);
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
        s_figure (r, i, -1, &r->figures [r->figure_count++]);
        for (int l = 0; l < CCHC_LEVEL_COUNT; l++)
            if (ind->levels & CCHC_LEVEL_BIT (l))
                s_figure (r, i, l, &r->figures [r->figure_count++]);
    }
    return 0;
}

static int
s_code_cmp (const void *a, const void *b)
{
    const cchc_rollup_unit_result_t *x = *(const cchc_rollup_unit_result_t *const *) a;
    const cchc_rollup_unit_result_t *y = *(const cchc_rollup_unit_result_t *const *) b;
    return strcmp (x->code, y->code);
}

int
cchc_rollup_compare (cchc_rollup_t *r, const cchc_rollup_t *prev)
{
    assert (r && prev);
    r->has_previous = true;
    r->previous = prev->window.period;
    for (size_t i = 0; i < r->unit_count; i++) {
        r->units [i].has_change = false;
        r->units [i].change = 0;
        r->units [i].prev_rank = 0;
    }
    if (prev->unit_count == 0)
        return 0;
    const cchc_rollup_unit_result_t **by_code = malloc (prev->unit_count * sizeof *by_code);
    if (!by_code)
        return -1;
    for (size_t i = 0; i < prev->unit_count; i++)
        by_code [i] = &prev->units [i];
    qsort (by_code, prev->unit_count, sizeof *by_code, s_code_cmp);
    for (size_t i = 0; i < r->unit_count; i++) {
        cchc_rollup_unit_result_t *u = &r->units [i];
        const cchc_rollup_unit_result_t *key = u, **hit;
        hit = bsearch (&key, by_code, prev->unit_count, sizeof *by_code, s_code_cmp);
        if (!hit || (*hit)->level != u->level || (*hit)->metrics_reported == 0)
            continue; /* changed level, or no data then: no comparison */
        u->prev_rank = (*hit)->rank;
        if (u->has_index && (*hit)->has_index) {
            u->has_change = true;
            u->change = u->index - (*hit)->index;
        }
    }
    free (by_code);
    return 0;
}

size_t *
cchc_rollup_by_code (const cchc_rollup_t *self)
{
    assert (self);
    size_t n = self->unit_count ? self->unit_count : 1;
    const cchc_rollup_unit_result_t **units = malloc (n * sizeof *units);
    size_t *order = malloc (n * sizeof *order);
    if (!units || !order) {
        free (units);
        free (order);
        return NULL;
    }
    for (size_t i = 0; i < self->unit_count; i++)
        units [i] = &self->units [i];
    qsort (units, self->unit_count, sizeof *units, s_code_cmp);
    for (size_t i = 0; i < self->unit_count; i++)
        order [i] = (size_t) (units [i] - self->units);
    free (units);
    return order;
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
        if (!units [i].code || !units [i].name || (int) units [i].level < 0
            || units [i].level >= CCHC_LEVEL_COUNT) {
            cchc_errf (err, errlen, "unit %zu: no code, no name or a bad level", i);
            return NULL;
        }
    for (size_t i = 0; i < part_count; i++)
        if (parts [i].unit >= unit_count || parts [i].metric >= nm) {
            cchc_errf (err, errlen, "part %zu: unit or metric index out of range", i);
            return NULL;
        }

    cchc_rollup_t *r = calloc (1, sizeof *r);
    if (!r) {
        cchc_errf (err, errlen, "out of memory");
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
        cchc_rollup_unit_result_t *u = &r->units [i];
        u->code = s_strdup_or_null (units [i].code, &oom);
        u->name = s_strdup_or_null (units [i].name, &oom);
        u->parent = s_strdup_or_null (units [i].parent, &oom);
        u->level = units [i].level;
        u->scores = scores + i * ni;
        u->cells = cells + i * nm;
        u->area_earned = areas + i * na * 2;
        u->area_applicable = u->area_earned + na;
    }
    if (unit_count == 0) { /* keep the flat arrays owned by units[0] */
        r->units [0].scores = scores;
        r->units [0].cells = cells;
        r->units [0].area_earned = areas;
    }
    if (oom)
        goto fail;
    s_fill_cells (r, parts, part_count);
    for (size_t i = 0; i < unit_count; i++)
        s_score_unit (r, &r->units [i]);
    if (s_rank (r) != 0 || s_distribution (r) != 0 || s_figures (r) != 0
        || (previous && cchc_rollup_compare (r, previous) != 0))
        goto fail;
    return r;

fail:
    cchc_errf (err, errlen, "out of memory");
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
            free (self->units [i].code);
            free (self->units [i].name);
            free (self->units [i].parent);
        }
        free (self->units [0].scores);
        free (self->units [0].cells);
        free (self->units [0].area_earned);
        free (self->units);
    }
    for (int l = 0; l <= CCHC_LEVEL_COUNT; l++)
        free (self->dist [l].grade_counts);
    free (self->figures);
    free (self);
    *self_p = NULL;
}

int
cchc_rollup_unit_find (const cchc_rollup_t *self, const char *code)
{
    assert (self);
    for (size_t i = 0; code && i < self->unit_count; i++)
        if (strcmp (self->units [i].code, code) == 0)
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
        const cchc_rollup_unit_result_t *u = &self->units [i];
        if (level < 0 || (int) u->level == level)
            items [n++] = (s_rank_item_t){ (int) u->level, u->rank, 0, u->code, i };
    }
    qsort (items, n, sizeof *items, s_rank_cmp);
    for (size_t k = 0; k < n; k++)
        order [k] = items [k].unit;
    free (items);
    *count = n;
    return order;
}

const cchc_rollup_figure_t *
cchc_rollup_figure (const cchc_rollup_t *self, size_t indicator, int level)
{
    for (size_t i = 0; i < self->figure_count; i++)
        if (self->figures [i].indicator == indicator && self->figures [i].level == level)
            return &self->figures [i];
    return NULL;
}
