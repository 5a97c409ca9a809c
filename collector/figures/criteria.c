/*  criteria.c — the criteria catalogue (bộ tiêu chí, criteria.h): levels,
    the catalogue's accessors and its destruction, and scoring one value
    against one indicator.  Loading and validating the INI text is in
    criteria_ini.c.
*/
#include "collector/figures/criteria.h"
#include "collector/figures/criteria_impl.h"
#include "common/text.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

/* ------------------------------------------------------------------------ */
/*  Levels */

static const char *s_level_codes [CCHC_LEVEL_COUNT] = { "so", "huyen", "xa" };

const char *
cchc_level_code (cchc_level_t level)
{
    assert ((int) level >= 0 && level < CCHC_LEVEL_COUNT);
    return s_level_codes [level];
}

int
cchc_level_parse (const char *text, cchc_level_t *level)
{
    for (int i = 0; i < CCHC_LEVEL_COUNT; i++)
        if (text && strcmp (text, s_level_codes [i]) == 0) {
            *level = (cchc_level_t) i;
            return 0;
        }
    return -1;
}

const char *
cchc_criteria_source (const cchc_criteria_t *self)
{
    assert (self);
    return self->source;
}

const char *
cchc_criteria_text (const cchc_criteria_t *self)
{
    assert (self);
    return self->text;
}

void
cchc_criteria_destroy (cchc_criteria_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cchc_criteria_t *self = *self_p;
    free (self->name);
    free (self->source);
    free (self->text);
    for (size_t i = 0; i < self->metric_count; i++) {
        free ((char *) self->metrics [i].pub.code);
        free ((char *) self->metrics [i].pub.name);
    }
    for (size_t i = 0; i < self->area_count; i++) {
        free ((char *) self->areas [i].pub.code);
        free ((char *) self->areas [i].pub.name);
    }
    for (size_t i = 0; i < self->indicator_count; i++) {
        cchc_criteria_indicator_rec_t *si = &self->indicators [i];
        free ((char *) si->pub.code);
        free ((char *) si->pub.name);
        free (si->area_ref);
        free (si->numerator_ref);
        free (si->denominator_ref);
    }
    for (size_t i = 0; i < self->grade_count; i++)
        free ((char *) self->grades [i].name);
    free (self->metrics);
    free (self->areas);
    free (self->indicators);
    free (self->grades);
    free (self);
    *self_p = NULL;
}

bool
cchc_criteria_metric_known (const cchc_criteria_t *self, const char *code)
{
    return cchc_criteria_metric_find (self, code) >= 0;
}

const char *
cchc_criteria_name (const cchc_criteria_t *self)
{
    return self->name;
}
int
cchc_criteria_year (const cchc_criteria_t *self)
{
    return self->year;
}
double
cchc_criteria_total (const cchc_criteria_t *self)
{
    return self->total;
}
int
cchc_criteria_due_day (const cchc_criteria_t *self)
{
    return self->due_day;
}
int
cchc_criteria_level_due_day (const cchc_criteria_t *self, cchc_level_t level)
{
    assert (self && level < CCHC_LEVEL_COUNT);
    return self->level_due [level];
}
int
cchc_criteria_lock_day (const cchc_criteria_t *self)
{
    return self->lock_day;
}

size_t
cchc_criteria_metric_count (const cchc_criteria_t *self)
{
    return self->metric_count;
}

const cchc_metric_t *
cchc_criteria_metric (const cchc_criteria_t *self, size_t index)
{
    assert (index < self->metric_count);
    return &self->metrics [index].pub;
}

int
cchc_criteria_metric_find (const cchc_criteria_t *self, const char *code)
{
    assert (self);
    if (!code)
        return -1;
    for (size_t i = 0; i < self->metric_count; i++)
        if (strcmp (self->metrics [i].pub.code, code) == 0)
            return (int) i;
    return -1;
}

size_t
cchc_criteria_area_count (const cchc_criteria_t *self)
{
    return self->area_count;
}

const cchc_area_t *
cchc_criteria_area (const cchc_criteria_t *self, size_t index)
{
    assert (index < self->area_count);
    return &self->areas [index].pub;
}

size_t
cchc_criteria_indicator_count (const cchc_criteria_t *self)
{
    return self->indicator_count;
}

const cchc_indicator_t *
cchc_criteria_indicator (const cchc_criteria_t *self, size_t index)
{
    assert (index < self->indicator_count);
    return &self->indicators [index].pub;
}

int
cchc_criteria_indicator_find (const cchc_criteria_t *self, const char *code)
{
    if (!code)
        return -1;
    for (size_t i = 0; i < self->indicator_count; i++)
        if (strcmp (self->indicators [i].pub.code, code) == 0)
            return (int) i;
    return -1;
}

size_t
cchc_criteria_grade_count (const cchc_criteria_t *self)
{
    return self->grade_count;
}

const cchc_grade_t *
cchc_criteria_grade (const cchc_criteria_t *self, size_t index)
{
    assert (index < self->grade_count);
    return &self->grades [index];
}

const char *
cchc_criteria_grade_of (const cchc_criteria_t *self, double index)
{
    for (size_t i = 0; i < self->grade_count; i++)
        if (index >= self->grades [i].at - 1e-9)
            return self->grades [i].name;
    return NULL;
}

/* ------------------------------------------------------------------------ */
/*  Scoring one value */

#define S_EPS 1e-12

bool
cchc_indicator_met (const cchc_indicator_t *ind, double target, double value)
{
    return ind->higher ? value >= target - S_EPS : value <= target + S_EPS;
}

double
cchc_indicator_score (const cchc_indicator_t *ind, cchc_level_t level, double value)
{
    assert (ind->levels & CCHC_LEVEL_BIT (level));
    assert (ind->rule != CCHC_RULE_ON_TIME);
    double target = ind->target [level];
    if (isnan (value))
        return 0;
    switch (ind->rule) {
        case CCHC_RULE_PROPORTIONAL:
            if (cchc_indicator_met (ind, target, value))
                return ind->points;
            /*  The ratio first: it is below 1 here, so the score stays
                within the points whatever the magnitudes (points × value
                could overflow to infinity). */
            if (ind->higher)
                return value <= 0 ? 0 : ind->points * (value / target);
            return ind->points * (target / value); /* value > target >= 0 */
        case CCHC_RULE_THRESHOLD:
            return cchc_indicator_met (ind, target, value) ? ind->points : 0;
        case CCHC_RULE_BANDS:
            for (size_t b = 0; b < ind->band_count; b++)
                if (cchc_indicator_met (ind, ind->bands [b].at, value))
                    return ind->points * ind->bands [b].share;
            return 0;
        default: assert (false); return 0;
    }
}
