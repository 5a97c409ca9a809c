/*  criteria_check.c — the whole-file checks of a catalogue read from its INI
    text (criteria_ini.c): the [catalogue] keys and due days, every metric,
    area and indicator complete, references resolved (an indicator's area and
    metrics, which may come in any order), targets and bands consistent, the
    points adding up to the declared total.  The first failed check is the
    error, with the line it points at. */
#include "collector/figures/criteria.h"
#include "collector/figures/criteria_impl.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    cchc_criteria_t *cat;
    bool failed;
    int line; /* of the first failed check, 0: none given */
    char *msg;
    size_t msglen;
} s_check_t;

static bool s_refuse (s_check_t *c, int line, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/*  The first failed check, kept; always false (for `return s_refuse (...)`). */
static bool
s_refuse (s_check_t *c, int line, const char *fmt, ...)
{
    if (c->failed)
        return false;
    c->failed = true;
    c->line = line;
    if (c->msg && c->msglen) {
        va_list ap;
        va_start (ap, fmt);
        vsnprintf (c->msg, c->msglen, fmt, ap);
        va_end (ap);
    }
    return false;
}

static int
s_result (const s_check_t *c, int *line)
{
    *line = c->line;
    return c->failed ? -1 : 0;
}

/*  Line of key `name` in `w`, or the section's line when absent. */
static int
s_line_of (const cchc_criteria_where_t *w, const char *const *keys, const char *name)
{
    int k = cchc_criteria_key_index (keys, name);
    assert (k >= 0);
    return w->key_line [k] ? w->key_line [k] : w->line;
}

static int
s_resolve_metric (s_check_t *c, cchc_criteria_indicator_rec_t *si, const char *ref,
                  const char *key)
{
    int line = s_line_of (&si->where, cchc_criteria_keys_indicator, key);
    int m = cchc_criteria_metric_find (c->cat, ref);
    if (m < 0) {
        s_refuse (c, line, "indicator '%s': unknown metric '%s' in %s", si->pub.code, ref,
                  key);
        return -1;
    }
    unsigned missing = si->pub.levels & ~c->cat->metrics [m].pub.levels;
    for (int l = 0; l < CCHC_LEVEL_COUNT; l++)
        if (missing & CCHC_LEVEL_BIT (l)) {
            s_refuse (c, line,
                      "indicator '%s' applies to level %s but its metric "
                      "'%s' is not reported by that level",
                      si->pub.code, cchc_level_code ((cchc_level_t) l), ref);
            return -1;
        }
    return m;
}

/*  s_validate: the [catalogue] section, the due days, metrics and areas.
    false when refused (s_refuse). */
static bool
s_validate_catalogue (s_check_t *c)
{
    cchc_criteria_t *cat = c->cat;
    const char *need [] = { "name", "year", "total" };
    for (int i = 0; i < 3; i++)
        if (!cat->where.key_line [i]) {
            s_refuse (c, cat->where.line, "[catalogue] needs '%s'", need [i]);
            return false;
        }
    /* each level's due day: due_day.LEVEL, else due_day, else the default
       (Decree 09/2019 Art. 8: each lower level its own earlier deadline) */
    static const int default_due [CCHC_LEVEL_COUNT] = { 18, 17, 16 };
    cat->due_day = 0;
    for (int l = 0; l < CCHC_LEVEL_COUNT; l++) {
        if (!cat->level_due [l])
            cat->level_due [l] = cat->due_all ? cat->due_all : default_due [l];
        if (cat->level_due [l] > cat->due_day)
            cat->due_day = cat->level_due [l];
    }
    if (cat->lock_day < cat->due_day) {
        s_refuse (c, s_line_of (&cat->where, cchc_criteria_keys_catalogue, "lock_day"),
                  "lock_day (%d) is before a due day (%d)", cat->lock_day, cat->due_day);
        return false;
    }
    for (size_t i = 0; i < cat->metric_count; i++) {
        cchc_criteria_metric_rec_t *m = &cat->metrics [i];
        if (!m->pub.name || !m->pub.kind) {
            s_refuse (c, m->where.line, "metric '%s' needs %s", m->pub.code,
                      !m->pub.name ? "a name" : "a kind (counter or gauge)");
            return false;
        }
    }
    for (size_t i = 0; i < cat->area_count; i++)
        if (!cat->areas [i].pub.name) {
            s_refuse (c, cat->areas [i].where.line, "area '%s' needs a name",
                      cat->areas [i].pub.code);
            return false;
        }
    return true;
}

/*  s_validate: an indicator of rule on_time takes no measured keys. */
static bool
s_validate_on_time (s_check_t *c, cchc_criteria_indicator_rec_t *si)
{
    cchc_indicator_t *ind = &si->pub;
    const cchc_criteria_where_t *w = &si->where;
    const char *code = ind->code;
    const char *no [] = { "numerator",    "denominator", "target", "target.so",
                          "target.huyen", "target.xa",   "better", "bands" };
    for (size_t k = 0; k < sizeof no / sizeof no [0]; k++) {
        int idx = cchc_criteria_key_index (cchc_criteria_keys_indicator, no [k]);
        if (w->key_line [idx]) {
            s_refuse (c, w->key_line [idx],
                      "indicator '%s': rule on_time takes "
                      "no '%s' (it is computed from the data's arrival)",
                      code, no [k]);
            return false;
        }
    }
    for (int l = 0; l < CCHC_LEVEL_COUNT; l++)
        ind->target [l] = (ind->levels & CCHC_LEVEL_BIT (l)) ? 1.0 : NAN;
    return true;
}

/*  s_validate: a measured indicator's metrics, targets and bands. */
static bool
s_validate_measured (s_check_t *c, cchc_criteria_indicator_rec_t *si)
{
    cchc_indicator_t *ind = &si->pub;
    const cchc_criteria_where_t *w = &si->where;
    const char *code = ind->code;
    if (!si->numerator_ref) {
        s_refuse (c, w->line, "indicator '%s' needs a numerator metric", code);
        return false;
    }
    if ((ind->numerator = s_resolve_metric (c, si, si->numerator_ref, "numerator")) < 0)
        return false;
    if (si->denominator_ref
        && (ind->denominator = s_resolve_metric (c, si, si->denominator_ref, "denominator"))
               < 0)
        return false;
    for (int l = 0; l < CCHC_LEVEL_COUNT; l++) {
        if (!(ind->levels & CCHC_LEVEL_BIT (l)))
            ind->target [l] = NAN;
        else if (isnan (ind->target [l])) {
            s_refuse (c, w->line,
                      "indicator '%s' applies to level %s but has "
                      "no target for it (target or target.%s)",
                      code, cchc_level_code ((cchc_level_t) l),
                      cchc_level_code ((cchc_level_t) l));
            return false;
        }
        else if (ind->rule == CCHC_RULE_PROPORTIONAL && ind->higher && ind->target [l] <= 0) {
            s_refuse (c, s_line_of (w, cchc_criteria_keys_indicator, "target"),
                      "indicator '%s': a proportional, higher-is-better "
                      "target must be > 0",
                      code);
            return false;
        }
    }
    if ((ind->rule == CCHC_RULE_BANDS) != (ind->band_count > 0)) {
        s_refuse (c,
                  ind->band_count ? s_line_of (w, cchc_criteria_keys_indicator, "bands")
                                  : w->line,
                  "indicator '%s': %s", code,
                  ind->band_count ? "bands are only for rule = bands"
                                  : "rule = bands needs bands = \"value:share, ...\"");
        return false;
    }
    for (size_t b = 1; b < ind->band_count; b++) {
        bool ordered = ind->higher ? ind->bands [b].at < ind->bands [b - 1].at
                                   : ind->bands [b].at > ind->bands [b - 1].at;
        if (!ordered || ind->bands [b].share > ind->bands [b - 1].share) {
            s_refuse (c, s_line_of (w, cchc_criteria_keys_indicator, "bands"),
                      "indicator '%s': bands must go from the best value "
                      "down (%s values, shares not rising)",
                      code, ind->higher ? "falling" : "rising");
            return false;
        }
    }
    return true;
}

/*  s_validate: one indicator (its area's points grow by its points). */
static bool
s_validate_indicator (s_check_t *c, cchc_criteria_indicator_rec_t *si)
{
    cchc_criteria_t *cat = c->cat;
    cchc_indicator_t *ind = &si->pub;
    const cchc_criteria_where_t *w = &si->where;
    const char *code = ind->code;
    if (!ind->name || !si->area_ref || !w->key_line [10]) {
        s_refuse (c, w->line, "indicator '%s' needs %s", code,
                  !ind->name      ? "a name"
                  : !si->area_ref ? "an area"
                                  : "points");
        return false;
    }
    bool found = false;
    for (size_t a = 0; a < cat->area_count; a++)
        if (strcmp (cat->areas [a].pub.code, si->area_ref) == 0) {
            ind->area = a;
            cat->areas [a].pub.points += ind->points;
            found = true;
        }
    if (!found) {
        s_refuse (c, s_line_of (w, cchc_criteria_keys_indicator, "area"),
                  "indicator '%s': unknown area '%s'", code, si->area_ref);
        return false;
    }
    return ind->rule == CCHC_RULE_ON_TIME ? s_validate_on_time (c, si)
                                          : s_validate_measured (c, si);
}

int
cchc_criteria_check (cchc_criteria_t *cat, int *line, char *msg, size_t msglen)
{
    s_check_t check = { .cat = cat, .msg = msg, .msglen = msglen };
    s_check_t *c = &check;
    if (!s_validate_catalogue (c))
        return s_result (c, line);
    if (cat->indicator_count == 0) {
        s_refuse (c, 0, "no [indicator.CODE] section");
        return s_result (c, line);
    }
    double sum = 0;
    for (size_t i = 0; i < cat->indicator_count; i++) {
        if (!s_validate_indicator (c, &cat->indicators [i]))
            return s_result (c, line);
        sum += cat->indicators [i].pub.points;
    }
    if (fabs (sum - cat->total) > 1e-9)
        s_refuse (c, s_line_of (&cat->where, cchc_criteria_keys_catalogue, "total"),
                  "the indicators' points add up to %g, not the declared total %g", sum,
                  cat->total);
    return s_result (c, line);
}
