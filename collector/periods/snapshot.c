/*  snapshot.c — snapshots of locked figures (periods.h): written, restored
    and compared (cchc_periods_snapshot, cchc_periods_restore,
    cchc_rollup_equal).

    Snapshot format (period_result.snapshot, JSON), version 1: everything
    cchc_rollup_compute() needs to produce the locked figures again, field for
    field, without the database and whatever the catalogue file says today:

      key            value
      -------------  --------------------------------------------------------
      format         "cchc-period-snapshot/1"
      period         period id ("2021-Q1")
      as_of          UTC ms the figures were computed at
      lock_ms        the window's lock instant (UTC ms) and lock day
      lock_day       (yyyymmdd): the catalogue's, or the moment of an early lock
      criteria       {"name": file name, "text": the catalogue file's content}
      units          [[code, name, parent | null, level code], ...] in roll-up order
      cells          [[unit index, metric code, value, day_first, day_last, rows,
                       agents, journal_max, received_max], ...] every cell with
                     data (value and days as the roll-up folded them)
      previous       period id `change` compared with, or null
      changes        [[unit index, prev_rank, change | null], ...] units with a
                     previous rank or a change
      parts_ignored  as in the roll-up

    Restoring feeds one part per cell to the core (a cell's value is already
    the fold of its parts), then sets what the core takes from elsewhere: the
    cells' agent counts and the comparison with the previous period.  Reals
    are written with 17 significant digits, so they read back exactly; a lock
    is committed only after its snapshot restored equal (cchc_rollup_equal).
*/
#include "collector/periods/periods.h"
#include "collector/db/db.h"
#include "collector/figures/rollup_json.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/text.h"

#include <assert.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define S_SNAPSHOT_FORMAT "cchc-period-snapshot/1"

/* ------------------------------------------------------------------------ */
/*  Snapshots */

static json_t *
s_real (double v)
{
    /* jansson refuses NaN and infinities: they never occur in cells */
    json_t *j = json_real (v);
    return j ? j : json_null ();
}

char *
cchc_periods_snapshot (const cchc_rollup_t *r, const char *criteria_name,
                       const char *criteria_text)
{
    assert (r && criteria_text);
    const cchc_criteria_t *cat = r->criteria;
    size_t nm = cchc_criteria_metric_count (cat);
    json_t *root = json_object ();
    if (!root)
        return NULL;
    json_object_set_new (root, "format", json_string (S_SNAPSHOT_FORMAT));
    json_object_set_new (root, "period", json_string (r->window.id));
    json_object_set_new (root, "as_of", json_integer (r->window.as_of_ms));
    json_object_set_new (root, "lock_ms", json_integer (r->window.lock_ms));
    json_object_set_new (root, "lock_day", json_integer (r->window.lock_day));
    json_object_set_new (root, "criteria",
                         json_pack ("{s:s, s:s}", "name", criteria_name ? criteria_name : "",
                                    "text", criteria_text));
    json_t *units = json_array (), *cells = json_array (), *changes = json_array ();
    bool bad = false;
    for (size_t i = 0; i < r->unit_count; i++) {
        const cchc_rollup_unit_result_t *u = &r->units [i];
        json_array_append_new (units, json_pack ("[s, s, s?, s]", u->code, u->name, u->parent,
                                                 cchc_level_code (u->level)));
        for (size_t m = 0; m < nm; m++) {
            const cchc_rollup_cell_t *c = &u->cells [m];
            if (!c->present)
                continue;
            if (!isfinite (c->value))
                bad = true;
            json_t *jc = json_array ();
            json_array_append_new (jc, json_integer ((json_int_t) i));
            json_array_append_new (jc, json_string (cchc_criteria_metric (cat, m)->code));
            json_array_append_new (jc, s_real (c->value));
            json_array_append_new (jc, json_integer (c->day_first));
            json_array_append_new (jc, json_integer (c->day_last));
            json_array_append_new (jc, json_integer (c->rows));
            json_array_append_new (jc, json_integer (c->agents));
            json_array_append_new (jc, json_integer (c->journal_max));
            json_array_append_new (jc, json_integer (c->received_max));
            json_array_append_new (cells, jc);
        }
        if (u->prev_rank || u->has_change) {
            json_t *jx = json_array ();
            json_array_append_new (jx, json_integer ((json_int_t) i));
            json_array_append_new (jx, json_integer (u->prev_rank));
            json_array_append_new (jx, u->has_change ? s_real (u->change) : json_null ());
            json_array_append_new (changes, jx);
        }
    }
    json_object_set_new (root, "units", units);
    json_object_set_new (root, "cells", cells);
    json_object_set_new (root, "previous", cchc_rollup_json_previous (r));
    json_object_set_new (root, "changes", changes);
    json_object_set_new (root, "parts_ignored", json_integer ((json_int_t) r->parts_ignored));
    char *text = bad ? NULL : json_dumps (root, JSON_COMPACT | JSON_REAL_PRECISION (17));
    json_decref (root);
    return text;
}

/*  Integer member of array `a` at `i`, or `def` (absent, not an integer). */
static int64_t
s_ai (json_t *a, size_t i, int64_t def)
{
    json_t *v = json_array_get (a, i);
    return json_is_integer (v) ? json_integer_value (v) : def;
}

static int64_t
s_oi (json_t *o, const char *key, int64_t def)
{
    json_t *v = json_object_get (o, key);
    return json_is_integer (v) ? json_integer_value (v) : def;
}

/*  The snapshot's units (strings borrowed from the document).  0 or -1. */
static int
s_units_read (json_t *ju, cchc_rollup_unit_t *units, char *err, size_t errlen)
{
    for (size_t i = 0; i < json_array_size (ju); i++) {
        json_t *u = json_array_get (ju, i);
        cchc_level_t level;
        units [i].code = json_string_value (json_array_get (u, 0));
        units [i].name = json_string_value (json_array_get (u, 1));
        units [i].parent = json_string_value (json_array_get (u, 2));
        const char *lc = json_string_value (json_array_get (u, 3));
        if (!units [i].code || !units [i].name || !lc || cchc_level_parse (lc, &level) != 0) {
            cchc_errf (err, errlen, "snapshot: unit %zu is malformed", i);
            return -1;
        }
        units [i].level = level;
    }
    return 0;
}

/*  The snapshot's cells as roll-up parts (of `nu` units).  0 or -1. */
static int
s_cells_read (json_t *jc, const cchc_criteria_t *cat, size_t nu, cchc_rollup_part_t *parts,
              char *err, size_t errlen)
{
    for (size_t i = 0; i < json_array_size (jc); i++) {
        json_t *c = json_array_get (jc, i);
        int64_t u = s_ai (c, 0, -1);
        const char *code = json_string_value (json_array_get (c, 1));
        int m = code ? cchc_criteria_metric_find (cat, code) : -1;
        json_t *v = json_array_get (c, 2);
        if (u < 0 || (size_t) u >= nu || m < 0 || !json_is_number (v)) {
            cchc_errf (err, errlen, "snapshot: cell %zu is malformed", i);
            return -1;
        }
        cchc_rollup_part_t *p = &parts [i];
        p->unit = (size_t) u;
        p->metric = (size_t) m;
        p->value = json_number_value (v);
        p->day_first = (int32_t) s_ai (c, 3, 0);
        p->day_last = (int32_t) s_ai (c, 4, 0);
        p->rows = s_ai (c, 5, 0);
        p->journal_max = s_ai (c, 7, 0);
        p->received_max = s_ai (c, 8, 0);
    }
    return 0;
}

/*  The previous period and the changes against it, into `r`.  0 or -1. */
static int
s_changes_read (json_t *root, json_t *jx, cchc_rollup_t *r, char *err, size_t errlen)
{
    const char *prev = json_string_value (json_object_get (root, "previous"));
    if (prev) {
        if (cchc_period_parse (prev, &r->previous) != 0) {
            cchc_errf (err, errlen, "snapshot: bad previous period");
            return -1;
        }
        r->has_previous = true;
    }
    for (size_t i = 0; i < json_array_size (jx); i++) {
        json_t *x = json_array_get (jx, i);
        int64_t u = s_ai (x, 0, -1);
        if (u < 0 || (size_t) u >= r->unit_count) {
            cchc_errf (err, errlen, "snapshot: change %zu is malformed", i);
            return -1;
        }
        r->units [u].prev_rank = (int) s_ai (x, 1, 0);
        json_t *ch = json_array_get (x, 2);
        if (json_is_number (ch)) {
            r->units [u].has_change = true;
            r->units [u].change = json_number_value (ch);
        }
    }
    return 0;
}

cchc_rollup_t *
cchc_periods_restore (const char *snapshot, cchc_criteria_t **cat_out, char *err,
                      size_t errlen)
{
    assert (snapshot && cat_out);
    *cat_out = NULL;
    json_error_t jerr;
    json_t *root = json_loads (snapshot, 0, &jerr);
    if (!root) {
        cchc_errf (err, errlen, "snapshot: %s (line %d)", jerr.text, jerr.line);
        return NULL;
    }
    cchc_rollup_t *r = NULL;
    cchc_criteria_t *cat = NULL;
    cchc_rollup_unit_t *units = NULL;
    cchc_rollup_part_t *parts = NULL;
    const char *format = json_string_value (json_object_get (root, "format"));
    const char *id = json_string_value (json_object_get (root, "period"));
    json_t *jcat = json_object_get (root, "criteria");
    json_t *ju = json_object_get (root, "units"), *jc = json_object_get (root, "cells");
    json_t *jx = json_object_get (root, "changes");
    const char *text = json_string_value (json_object_get (jcat, "text"));
    const char *name = json_string_value (json_object_get (jcat, "name"));
    cchc_period_t period;
    if (!format || strcmp (format, S_SNAPSHOT_FORMAT) != 0 || !id
        || cchc_period_parse (id, &period) != 0 || !text || !json_is_array (ju)
        || !json_is_array (jc) || !json_is_array (jx)) {
        cchc_errf (err, errlen, "snapshot: not a %s document", S_SNAPSHOT_FORMAT);
        goto done;
    }
    cat = cchc_criteria_load_string (name && *name ? name : "snapshot", text, strlen (text),
                                     err, errlen);
    if (!cat)
        goto done;
    cchc_rollup_window_t w;
    cchc_rollup_window (cat, &period, s_oi (root, "as_of", 0), &w);
    w.lock_ms = s_oi (root, "lock_ms", w.lock_ms);
    w.lock_day = (int32_t) s_oi (root, "lock_day", w.lock_day);

    size_t nu = json_array_size (ju), nc = json_array_size (jc);
    units = calloc (nu ? nu : 1, sizeof *units);
    parts = calloc (nc ? nc : 1, sizeof *parts);
    if (!units || !parts) {
        cchc_errf (err, errlen, "out of memory");
        goto done;
    }
    if (s_units_read (ju, units, err, errlen) != 0
        || s_cells_read (jc, cat, nu, parts, err, errlen) != 0)
        goto done;
    r = cchc_rollup_compute (cat, &w, units, nu, parts, nc, NULL, err, errlen);
    if (!r)
        goto done;
    for (size_t i = 0; i < nc; i++) {
        json_t *c = json_array_get (jc, i);
        r->units [parts [i].unit].cells [parts [i].metric].agents = (int) s_ai (c, 6, 1);
    }
    if (s_changes_read (root, jx, r, err, errlen) != 0) {
        cchc_rollup_destroy (&r);
        goto done;
    }
    r->parts_ignored = (size_t) s_oi (root, "parts_ignored", 0);
done:
    free (units);
    free (parts);
    json_decref (root);
    if (!r)
        cchc_criteria_destroy (&cat);
    else
        *cat_out = cat;
    return r;
}

static bool
s_deq (double a, double b)
{
    return a == b || (isnan (a) && isnan (b));
}

static bool
s_streq (const char *a, const char *b)
{
    return a == b || (a && b && strcmp (a, b) == 0);
}

bool
cchc_rollup_equal (const cchc_rollup_t *a, const cchc_rollup_t *b)
{
    assert (a && b);
    const cchc_criteria_t *ca = a->criteria, *cb = b->criteria;
    size_t nm = cchc_criteria_metric_count (ca), ni = cchc_criteria_indicator_count (ca),
           na = cchc_criteria_area_count (ca), ng = cchc_criteria_grade_count (ca);
    if (nm != cchc_criteria_metric_count (cb) || ni != cchc_criteria_indicator_count (cb)
        || na != cchc_criteria_area_count (cb) || ng != cchc_criteria_grade_count (cb))
        return false;
    const cchc_rollup_window_t *wa = &a->window, *wb = &b->window;
    if (strcmp (wa->id, wb->id) != 0 || wa->first != wb->first || wa->last != wb->last
        || wa->due_day != wb->due_day || wa->lock_day != wb->lock_day
        || wa->due_ms != wb->due_ms || wa->lock_ms != wb->lock_ms
        || wa->as_of_ms != wb->as_of_ms
        || memcmp (wa->level_due_day, wb->level_due_day, sizeof wa->level_due_day)
        || memcmp (wa->level_due_ms, wb->level_due_ms, sizeof wa->level_due_ms))
        return false;
    if (a->unit_count != b->unit_count || a->figure_count != b->figure_count
        || a->has_previous != b->has_previous || a->parts_ignored != b->parts_ignored
        || a->journal_max != b->journal_max)
        return false;
    if (a->has_previous && cchc_period_cmp (&a->previous, &b->previous) != 0)
        return false;
    for (size_t i = 0; i < a->unit_count; i++) {
        const cchc_rollup_unit_result_t *x = &a->units [i], *y = &b->units [i];
        if (!s_streq (x->code, y->code) || !s_streq (x->name, y->name)
            || !s_streq (x->parent, y->parent) || x->level != y->level
            || !s_deq (x->earned, y->earned) || !s_deq (x->applicable, y->applicable)
            || x->has_index != y->has_index || !s_deq (x->index, y->index)
            || x->rank != y->rank || !s_streq (x->grade, y->grade)
            || x->has_change != y->has_change
            || (x->has_change && !s_deq (x->change, y->change)) || x->prev_rank != y->prev_rank
            || x->metrics_expected != y->metrics_expected
            || x->metrics_reported != y->metrics_reported
            || x->indicators_missing != y->indicators_missing || x->complete != y->complete
            || x->on_time != y->on_time || x->pending != y->pending
            || x->last_received_ms != y->last_received_ms)
            return false;
        for (size_t k = 0; k < ni; k++) {
            const cchc_rollup_score_t *s = &x->scores [k], *t = &y->scores [k];
            if (s->state != t->state || s->for_level != t->for_level
                || !s_deq (s->numerator, t->numerator)
                || !s_deq (s->denominator, t->denominator) || !s_deq (s->value, t->value)
                || !s_deq (s->target, t->target) || !s_deq (s->points_max, t->points_max)
                || !s_deq (s->points, t->points))
                return false;
        }
        for (size_t m = 0; m < nm; m++) {
            const cchc_rollup_cell_t *c = &x->cells [m], *d = &y->cells [m];
            if (c->expected != d->expected || c->present != d->present)
                return false;
            if (c->present
                && (!s_deq (c->value, d->value) || c->day_first != d->day_first
                    || c->day_last != d->day_last || c->rows != d->rows
                    || c->agents != d->agents || c->journal_max != d->journal_max
                    || c->received_max != d->received_max))
                return false;
        }
        for (size_t k = 0; k < na; k++)
            if (!s_deq (x->area_earned [k], y->area_earned [k])
                || !s_deq (x->area_applicable [k], y->area_applicable [k]))
                return false;
    }
    for (size_t i = 0; i < a->figure_count; i++) {
        const cchc_rollup_figure_t *f = &a->figures [i], *g = &b->figures [i];
        if (f->indicator != g->indicator || f->level != g->level
            || !s_deq (f->numerator, g->numerator) || !s_deq (f->denominator, g->denominator)
            || !s_deq (f->value, g->value) || !s_deq (f->target, g->target)
            || f->has_value != g->has_value || f->met != g->met || f->units != g->units
            || f->units_missing != g->units_missing)
            return false;
    }
    for (int l = 0; l <= CCHC_LEVEL_COUNT; l++) {
        const cchc_rollup_dist_t *d = &a->dist [l], *e = &b->dist [l];
        if (d->units != e->units || d->ranked != e->ranked || !s_deq (d->min, e->min)
            || !s_deq (d->median, e->median) || !s_deq (d->max, e->max)
            || !s_deq (d->mean, e->mean) || d->ungraded != e->ungraded
            || d->incomplete != e->incomplete || d->late != e->late)
            return false;
        for (size_t g = 0; g < ng; g++)
            if ((d->grade_counts ? d->grade_counts [g] : 0)
                != (e->grade_counts ? e->grade_counts [g] : 0))
                return false;
    }
    return true;
}
