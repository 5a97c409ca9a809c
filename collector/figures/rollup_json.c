/*  rollup_json.c — a roll-up as JSON (rollup_json.h): the form cchcctl
    prints and the period keeper stores (period_result.result), and the JSON
    values every JSON output writes numbers, days and instants with.
*/
#include "collector/figures/rollup_json.h"

#include "common/period.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

json_t *
cchc_rollup_json_real (double v)
{
    return isnan (v) || isinf (v) ? json_null () : json_real (v);
}

json_t *
cchc_rollup_json_day (int32_t yyyymmdd)
{
    char buf [16];
    snprintf (buf, sizeof buf, "%04d-%02d-%02d", (int) (yyyymmdd / 10000),
              (int) (yyyymmdd / 100 % 100), (int) (yyyymmdd % 100));
    return json_string (buf);
}

json_t *
cchc_rollup_json_time (int64_t utc_ms)
{
    if (utc_ms <= 0 || utc_ms == INT64_MAX)
        return json_null ();
    cchc_date_t day = cchc_date_from_utc_ms (utc_ms);
    int64_t in_day = utc_ms - cchc_date_start_utc_ms (day);
    int y, m, d;
    cchc_date_to_ymd (day, &y, &m, &d);
    char buf [40];
    snprintf (buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d+07:00", y, m, d,
              (int) (in_day / 3600000), (int) (in_day / 60000 % 60),
              (int) (in_day / 1000 % 60));
    return json_string (buf);
}

const char *
cchc_rollup_json_kind (cchc_period_kind_t kind)
{
    static const char *codes [] = { "", "month", "quarter", "half", "nine_months", "year" };
    return (int) kind >= 1 && (int) kind <= 5 ? codes [kind] : "";
}

json_t *
cchc_rollup_json_previous (const cchc_rollup_t *r)
{
    if (!r->has_previous)
        return json_null ();
    char prev [CCHC_PERIOD_ID_MAX];
    cchc_period_format (&r->previous, prev, sizeof prev);
    return json_string (prev);
}

void
cchc_rollup_json_unit_id (json_t *o, const cchc_rollup_unit_result_t *u)
{
    json_object_set_new (o, "code", json_string (u->code));
    json_object_set_new (o, "name", json_string (u->name));
    json_object_set_new (o, "level", json_string (cchc_level_code (u->level)));
    json_object_set_new (o, "parent", u->parent ? json_string (u->parent) : json_null ());
}

void
cchc_rollup_json_unit_totals (json_t *o, const cchc_rollup_unit_result_t *u)
{
    /*  (index is NAN, so null, when the unit has none: has_index) */
    json_object_set_new (o, "index", cchc_rollup_json_real (u->index));
    json_object_set_new (o, "rank", u->rank ? json_integer (u->rank) : json_null ());
    json_object_set_new (o, "grade", u->grade ? json_string (u->grade) : json_null ());
    json_object_set_new (o, "change",
                         u->has_change ? cchc_rollup_json_real (u->change) : json_null ());
    json_object_set_new (o, "previous_rank",
                         u->prev_rank ? json_integer (u->prev_rank) : json_null ());
    json_object_set_new (o, "earned", cchc_rollup_json_real (u->earned));
    json_object_set_new (o, "applicable", cchc_rollup_json_real (u->applicable));
    json_object_set_new (o, "complete", json_boolean (u->complete));
    json_object_set_new (o, "on_time", json_boolean (u->on_time));
    json_object_set_new (o, "pending", json_boolean (u->pending));
    json_object_set_new (o, "metrics_expected",
                         json_integer ((json_int_t) u->metrics_expected));
    json_object_set_new (o, "metrics_reported",
                         json_integer ((json_int_t) u->metrics_reported));
}

json_t *
cchc_rollup_json_unit_areas (const cchc_rollup_t *r, const cchc_rollup_unit_result_t *u)
{
    const cchc_criteria_t *cat = r->criteria;
    json_t *areas = json_array ();
    for (size_t a = 0; a < cchc_criteria_area_count (cat); a++) {
        json_t *ja = json_object ();
        json_object_set_new (ja, "code", json_string (cchc_criteria_area (cat, a)->code));
        json_object_set_new (ja, "earned", cchc_rollup_json_real (u->area_earned [a]));
        json_object_set_new (ja, "applicable", cchc_rollup_json_real (u->area_applicable [a]));
        json_array_append_new (areas, ja);
    }
    return areas;
}

void
cchc_rollup_json_figure_values (json_t *o, const cchc_rollup_figure_t *f)
{
    /*  (value is NAN, so null, when the figure has none: has_value) */
    json_object_set_new (o, "numerator", cchc_rollup_json_real (f->numerator));
    json_object_set_new (o, "denominator", cchc_rollup_json_real (f->denominator));
    json_object_set_new (o, "value", cchc_rollup_json_real (f->value));
    json_object_set_new (o, "target", cchc_rollup_json_real (f->target));
    json_object_set_new (o, "met", json_boolean (f->met));
    json_object_set_new (o, "units", json_integer ((json_int_t) f->units));
    json_object_set_new (o, "units_missing", json_integer ((json_int_t) f->units_missing));
}

void
cchc_rollup_json_dist_values (json_t *o, const cchc_rollup_dist_t *d)
{
    json_object_set_new (o, "units", json_integer ((json_int_t) d->units));
    json_object_set_new (o, "ranked", json_integer ((json_int_t) d->ranked));
    json_object_set_new (o, "min", cchc_rollup_json_real (d->min));
    json_object_set_new (o, "median", cchc_rollup_json_real (d->median));
    json_object_set_new (o, "max", cchc_rollup_json_real (d->max));
    json_object_set_new (o, "mean", cchc_rollup_json_real (d->mean));
    json_object_set_new (o, "incomplete", json_integer ((json_int_t) d->incomplete));
    json_object_set_new (o, "late", json_integer ((json_int_t) d->late));
}

json_t *
cchc_rollup_json_grades (const cchc_rollup_t *r, const cchc_rollup_dist_t *d)
{
    json_t *grades = json_array ();
    for (size_t g = 0; g < cchc_criteria_grade_count (r->criteria); g++) {
        const cchc_grade_t *grade = cchc_criteria_grade (r->criteria, g);
        json_t *jg = json_object ();
        json_object_set_new (jg, "grade", json_string (grade->name));
        json_object_set_new (jg, "from", cchc_rollup_json_real (grade->at));
        json_object_set_new (jg, "units", json_integer ((json_int_t) d->grade_counts [g]));
        json_array_append_new (grades, jg);
    }
    return grades;
}

static json_t *
s_json_unit (const cchc_rollup_t *r, const cchc_rollup_unit_result_t *u, bool with_metrics)
{
    const cchc_criteria_t *cat = r->criteria;
    json_t *o = json_object ();
    cchc_rollup_json_unit_id (o, u);
    cchc_rollup_json_unit_totals (o, u);
    json_object_set_new (o, "last_received", cchc_rollup_json_time (u->last_received_ms));
    json_t *missing = json_array ();
    for (size_t m = 0; m < cchc_criteria_metric_count (cat); m++)
        if (u->cells [m].expected && !u->cells [m].present)
            json_array_append_new (missing, json_string (cchc_criteria_metric (cat, m)->code));
    json_object_set_new (o, "missing_metrics", missing);
    json_object_set_new (o, "areas", cchc_rollup_json_unit_areas (r, u));

    json_t *inds = json_array ();
    for (size_t i = 0; i < cchc_criteria_indicator_count (cat); i++) {
        const cchc_indicator_t *ind = cchc_criteria_indicator (cat, i);
        const cchc_rollup_score_t *s = &u->scores [i];
        json_t *ji = json_object ();
        json_object_set_new (ji, "code", json_string (ind->code));
        json_object_set_new (ji, "area",
                             json_string (cchc_criteria_area (cat, ind->area)->code));
        json_object_set_new (ji, "state", json_string (cchc_score_state_code (s->state)));
        json_object_set_new (ji, "numerator", cchc_rollup_json_real (s->numerator));
        json_object_set_new (ji, "denominator", cchc_rollup_json_real (s->denominator));
        json_object_set_new (ji, "value", cchc_rollup_json_real (s->value));
        json_object_set_new (ji, "target", cchc_rollup_json_real (s->target));
        json_object_set_new (ji, "points", cchc_rollup_json_real (s->points));
        json_object_set_new (ji, "points_max", cchc_rollup_json_real (s->points_max));
        json_array_append_new (inds, ji);
    }
    json_object_set_new (o, "indicators", inds);

    if (with_metrics) {
        json_t *metrics = json_array ();
        for (size_t m = 0; m < cchc_criteria_metric_count (cat); m++) {
            const cchc_rollup_cell_t *c = &u->cells [m];
            const cchc_metric_t *metric = cchc_criteria_metric (cat, m);
            json_t *jm = json_object ();
            json_object_set_new (jm, "code", json_string (metric->code));
            json_object_set_new (
                jm, "kind",
                json_string (metric->kind == CCHC_METRIC_GAUGE ? "gauge" : "counter"));
            json_object_set_new (jm, "expected", json_boolean (c->expected));
            json_object_set_new (jm, "present", json_boolean (c->present));
            json_object_set_new (jm, "value",
                                 c->present ? cchc_rollup_json_real (c->value) : json_null ());
            if (c->present && !isfinite (c->value))
                /*  said, not only null: the rows are there, their sum is not */
                json_object_set_new (
                    jm, "value_error",
                    json_string ("not a finite number: the sum of the rows overflowed"));
            json_object_set_new (jm, "first_day",
                                 c->present ? cchc_rollup_json_day (c->day_first)
                                            : json_null ());
            json_object_set_new (jm, "last_day",
                                 c->present ? cchc_rollup_json_day (c->day_last)
                                            : json_null ());
            json_object_set_new (jm, "rows", json_integer (c->rows));
            json_object_set_new (jm, "agents", json_integer (c->agents));
            json_object_set_new (jm, "journal_max",
                                 c->present ? json_integer (c->journal_max) : json_null ());
            json_object_set_new (jm, "received",
                                 c->present ? cchc_rollup_json_time (c->received_max)
                                            : json_null ());
            json_array_append_new (metrics, jm);
        }
        json_object_set_new (o, "metrics", metrics);
    }
    return o;
}

static json_t *
s_json_dist (const cchc_rollup_t *r, const cchc_rollup_dist_t *d)
{
    json_t *o = json_object ();
    cchc_rollup_json_dist_values (o, d);
    json_object_set_new (o, "grades", cchc_rollup_json_grades (r, d));
    return o;
}

json_t *
cchc_rollup_json (const cchc_rollup_t *r, const char *unit)
{
    assert (r);
    const cchc_rollup_window_t *w = &r->window;
    json_t *root = json_object ();
    if (!root)
        return NULL;
    json_object_set_new (root, "period", json_string (w->id));
    json_object_set_new (root, "kind", json_string (cchc_rollup_json_kind (w->period.kind)));
    json_object_set_new (root, "first_day", cchc_rollup_json_day (w->first_day));
    json_object_set_new (root, "last_day", cchc_rollup_json_day (w->last_day));
    json_object_set_new (root, "due_day", cchc_rollup_json_day (w->due_day));
    json_t *dues = json_object ();
    for (int l = 0; l < CCHC_LEVEL_COUNT; l++)
        json_object_set_new (dues, cchc_level_code ((cchc_level_t) l),
                             cchc_rollup_json_day (w->level_due_day [l]));
    json_object_set_new (root, "due_days", dues);
    json_object_set_new (root, "lock_day", cchc_rollup_json_day (w->lock_day));
    json_object_set_new (root, "as_of", cchc_rollup_json_time (w->as_of_ms));
    json_object_set_new (root, "catalogue", json_string (cchc_criteria_name (r->criteria)));
    json_object_set_new (root, "previous", cchc_rollup_json_previous (r));
    json_object_set_new (root, "journal_max", json_integer (r->journal_max));

    json_t *units = json_array ();
    for (size_t i = 0; i < r->unit_count; i++)
        if (!unit || strcmp (unit, r->units [i].code) == 0)
            json_array_append_new (units, s_json_unit (r, &r->units [i], unit != NULL));
    json_object_set_new (root, "units", units);
    if (unit)
        return root;

    json_t *figures = json_array ();
    for (size_t i = 0; i < r->figure_count; i++) {
        const cchc_rollup_figure_t *f = &r->figures [i];
        const cchc_indicator_t *ind = cchc_criteria_indicator (r->criteria, f->indicator);
        json_t *jf = json_object ();
        json_object_set_new (jf, "indicator", json_string (ind->code));
        json_object_set_new (jf, "level",
                             f->level < 0
                                 ? json_string ("all")
                                 : json_string (cchc_level_code ((cchc_level_t) f->level)));
        json_object_set_new (jf, "plan", json_boolean (ind->plan));
        cchc_rollup_json_figure_values (jf, f);
        json_array_append_new (figures, jf);
    }
    json_t *dist = json_object ();
    json_object_set_new (dist, "all", s_json_dist (r, &r->dist [CCHC_LEVEL_COUNT]));
    for (int l = 0; l < CCHC_LEVEL_COUNT; l++)
        json_object_set_new (dist, cchc_level_code ((cchc_level_t) l),
                             s_json_dist (r, &r->dist [l]));
    json_t *province = json_object ();
    json_object_set_new (province, "figures", figures);
    json_object_set_new (province, "distribution", dist);
    json_object_set_new (root, "province", province);
    return root;
}
