/*  fuzz_criteria.c — libFuzzer target: arbitrary bytes as a criteria
    catalogue (collector/figures/criteria.h) for cchc_criteria_load_string.

    Checks, beyond "no crash, no hang, no leak, no undefined behaviour":
    - a refused catalogue gives a message that names the file;
    - an accepted one is inside every documented limit: year, days, codes
      valid and unique, references resolved, levels and targets consistent,
      bands and grades ordered, indicators' points adding up to the total
      and to the areas' points;
    - scoring any value on any indicator gives 0..points;
    - the catalogue printed back as INI loads to the same catalogue;
    - now and then the same bytes go through a real file and
      cchc_criteria_load, to the same outcome and message.
*/
#include "collector/figures/criteria.h"
#include "common/text.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
s_check (bool ok, const char *what)
{
    if (!ok) {
        fprintf (stderr, "fuzz_criteria: invariant broken: %s\n", what);
        abort ();
    }
}

static bool
s_same_double (double a, double b)
{
    return (isnan (a) && isnan (b)) || a == b;
}

/*  Shortest "%g" form that reads back to the same double. */
static void
s_num (char *buf, size_t size, double v)
{
    for (int prec = 1; prec <= 17; prec++) {
        snprintf (buf, size, "%.*g", prec, v);
        if (strtod (buf, NULL) == v)
            return;
    }
}

static void
s_levels (FILE *out, unsigned mask)
{
    const char *sep = "";
    for (int l = 0; l < CCHC_LEVEL_COUNT; l++)
        if (mask & CCHC_LEVEL_BIT (l)) {
            fprintf (out, "%s%s", sep, cchc_level_code ((cchc_level_t) l));
            sep = ",";
        }
}

static const char *
s_rule_name (cchc_rule_t rule)
{
    switch (rule) {
        case CCHC_RULE_PROPORTIONAL: return "proportional";
        case CCHC_RULE_THRESHOLD: return "threshold";
        case CCHC_RULE_BANDS: return "bands";
        case CCHC_RULE_ON_TIME: return "on_time";
    }
    return "?";
}

/*  "name = VALUE" as inih reads it back: inih takes " ;" as the start of an
    inline comment, so a value that starts with ';' follows the '=' directly
    (as common/config.c prints settings). */
static const char *
s_eq (const char *value)
{
    return value [0] == ';' ? "=" : "= ";
}

/*  The catalogue as an INI file, malloc'd. */
static char *
s_print (const cchc_criteria_t *cat, size_t *len)
{
    char *text = NULL;
    FILE *out = open_memstream (&text, len);
    s_check (out != NULL, "open_memstream");
    char n [64];
    fprintf (out, "[catalogue]\nname %s%s\nyear = %d\n", s_eq (cchc_criteria_name (cat)),
             cchc_criteria_name (cat), cchc_criteria_year (cat));
    s_num (n, sizeof n, cchc_criteria_total (cat));
    fprintf (out, "total = %s\ndue_day = %d\nlock_day = %d\n", n, cchc_criteria_due_day (cat),
             cchc_criteria_lock_day (cat));
    if (cchc_criteria_grade_count (cat) > 0) {
        fprintf (out, "grades = ");
        for (size_t i = 0; i < cchc_criteria_grade_count (cat); i++) {
            const cchc_grade_t *g = cchc_criteria_grade (cat, i);
            s_num (n, sizeof n, g->at);
            fprintf (out, "%s%s:%s", i ? ", " : "", n, g->name);
        }
        fprintf (out, "\n");
    }
    for (size_t i = 0; i < cchc_criteria_metric_count (cat); i++) {
        const cchc_metric_t *m = cchc_criteria_metric (cat, i);
        fprintf (out, "[metric.%s]\nname %s%s\nkind = %s\nlevels = ", m->code, s_eq (m->name),
                 m->name, m->kind == CCHC_METRIC_COUNTER ? "counter" : "gauge");
        s_levels (out, m->levels);
        fprintf (out, "\n");
    }
    for (size_t i = 0; i < cchc_criteria_area_count (cat); i++) {
        const cchc_area_t *a = cchc_criteria_area (cat, i);
        fprintf (out, "[area.%s]\nname %s%s\n", a->code, s_eq (a->name), a->name);
    }
    for (size_t i = 0; i < cchc_criteria_indicator_count (cat); i++) {
        const cchc_indicator_t *ind = cchc_criteria_indicator (cat, i);
        s_num (n, sizeof n, ind->points);
        fprintf (out,
                 "[indicator.%s]\nname %s%s\narea = %s\nrule = %s\npoints = %s\n"
                 "plan = %s\nlevels = ",
                 ind->code, s_eq (ind->name), ind->name,
                 cchc_criteria_area (cat, ind->area)->code, s_rule_name (ind->rule), n,
                 ind->plan ? "yes" : "no");
        s_levels (out, ind->levels);
        fprintf (out, "\n");
        if (ind->rule == CCHC_RULE_ON_TIME)
            continue;
        fprintf (out, "numerator = %s\nbetter = %s\n",
                 cchc_criteria_metric (cat, (size_t) ind->numerator)->code,
                 ind->higher ? "higher" : "lower");
        if (ind->denominator >= 0)
            fprintf (out, "denominator = %s\n",
                     cchc_criteria_metric (cat, (size_t) ind->denominator)->code);
        for (int l = 0; l < CCHC_LEVEL_COUNT; l++)
            if (ind->levels & CCHC_LEVEL_BIT (l)) {
                s_num (n, sizeof n, ind->target [l]);
                fprintf (out, "target.%s = %s\n", cchc_level_code ((cchc_level_t) l), n);
            }
        if (ind->band_count > 0) {
            fprintf (out, "bands = ");
            for (size_t b = 0; b < ind->band_count; b++) {
                char s [64];
                s_num (n, sizeof n, ind->bands [b].at);
                s_num (s, sizeof s, ind->bands [b].share);
                fprintf (out, "%s%s:%s", b ? ", " : "", n, s);
            }
            fprintf (out, "\n");
        }
    }
    fclose (out);
    return text;
}

static bool
s_longest_line_fits (const char *text, size_t len)
{
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        if (text [i] == '\n')
            run = 0;
        else if (++run > 199)
            return false;
    }
    return true;
}

static void
s_check_scores (const cchc_indicator_t *ind)
{
    for (int l = 0; l < CCHC_LEVEL_COUNT; l++) {
        if (!(ind->levels & CCHC_LEVEL_BIT (l)))
            continue;
        double t = ind->target [l];
        const double values [] = { 0,     t / 2,  t,      t * 2, t * 1e300, -1,
                                   1e300, 1e-300, -1e300, NAN,   INFINITY };
        for (size_t v = 0; v < sizeof values / sizeof values [0]; v++) {
            double score = cchc_indicator_score (ind, (cchc_level_t) l, values [v]);
            s_check (isfinite (score) && score >= 0 && score <= ind->points * (1 + 1e-12),
                     "score within 0..points");
        }
    }
}

static void
s_check_limits (const cchc_criteria_t *cat)
{
    s_check (cchc_criteria_name (cat) && *cchc_criteria_name (cat), "name");
    s_check (cchc_criteria_year (cat) >= 1900 && cchc_criteria_year (cat) <= 9999, "year");
    double total = cchc_criteria_total (cat);
    s_check (isfinite (total) && total > 0, "total");
    int due = cchc_criteria_due_day (cat), lock = cchc_criteria_lock_day (cat);
    s_check (due >= 1 && due <= lock && lock <= 28, "days");

    for (size_t i = 0; i < cchc_criteria_grade_count (cat); i++) {
        const cchc_grade_t *g = cchc_criteria_grade (cat, i);
        s_check (g->at >= 0 && g->at <= 100 && g->name && *g->name, "grade");
        s_check (i == 0 || g->at < cchc_criteria_grade (cat, i - 1)->at, "grades order");
        s_check (cchc_criteria_grade_of (cat, g->at) == g->name, "grade_of");
    }
    size_t nm = cchc_criteria_metric_count (cat);
    for (size_t i = 0; i < nm; i++) {
        const cchc_metric_t *m = cchc_criteria_metric (cat, i);
        s_check (cchc_metric_code_valid (m->code, strlen (m->code)), "metric code");
        s_check (cchc_criteria_metric_find (cat, m->code) == (int) i, "metric unique");
        s_check (m->name && *m->name, "metric name");
        s_check (m->kind == CCHC_METRIC_COUNTER || m->kind == CCHC_METRIC_GAUGE,
                 "metric kind");
        s_check (m->levels && !(m->levels & ~CCHC_LEVELS_ALL), "metric levels");
    }
    size_t na = cchc_criteria_area_count (cat);
    double *area_sum = calloc (na ? na : 1, sizeof *area_sum);
    s_check (area_sum != NULL, "calloc");
    for (size_t i = 0; i < na; i++) {
        const cchc_area_t *a = cchc_criteria_area (cat, i);
        s_check (cchc_metric_code_valid (a->code, strlen (a->code)), "area code");
        s_check (a->name && *a->name, "area name");
        for (size_t j = 0; j < i; j++)
            s_check (strcmp (cchc_criteria_area (cat, j)->code, a->code) != 0, "area unique");
    }
    size_t ni = cchc_criteria_indicator_count (cat);
    s_check (ni > 0, "indicators");
    double sum = 0;
    for (size_t i = 0; i < ni; i++) {
        const cchc_indicator_t *ind = cchc_criteria_indicator (cat, i);
        s_check (cchc_metric_code_valid (ind->code, strlen (ind->code)), "indicator code");
        s_check (cchc_criteria_indicator_find (cat, ind->code) == (int) i, "indicator unique");
        s_check (ind->name && *ind->name, "indicator name");
        s_check (ind->area < na, "indicator area");
        s_check (isfinite (ind->points) && ind->points > 0, "points");
        s_check (ind->levels && !(ind->levels & ~CCHC_LEVELS_ALL), "indicator levels");
        s_check (ind->band_count <= CCHC_BANDS_MAX, "band count");
        sum += ind->points;
        area_sum [ind->area] += ind->points;
        if (ind->rule == CCHC_RULE_ON_TIME) {
            s_check (ind->numerator == -1 && ind->denominator == -1 && ind->band_count == 0,
                     "on_time takes no metrics");
            continue;
        }
        s_check (ind->rule >= CCHC_RULE_PROPORTIONAL && ind->rule <= CCHC_RULE_BANDS, "rule");
        s_check (ind->numerator >= 0 && (size_t) ind->numerator < nm, "numerator");
        s_check (ind->denominator >= -1 && ind->denominator < (int) nm, "denominator");
        for (int l = 0; l < CCHC_LEVEL_COUNT; l++) {
            bool applies = ind->levels & CCHC_LEVEL_BIT (l);
            double t = ind->target [l];
            s_check (applies ? isfinite (t) && t >= 0 : isnan (t), "target per level");
            if (applies) {
                s_check (cchc_criteria_metric (cat, (size_t) ind->numerator)->levels
                             & CCHC_LEVEL_BIT (l),
                         "numerator reported by the level");
                s_check (ind->denominator < 0
                             || (cchc_criteria_metric (cat, (size_t) ind->denominator)->levels
                                 & CCHC_LEVEL_BIT (l)),
                         "denominator reported by the level");
                s_check (!(ind->rule == CCHC_RULE_PROPORTIONAL && ind->higher) || t > 0,
                         "proportional higher target > 0");
            }
        }
        s_check ((ind->rule == CCHC_RULE_BANDS) == (ind->band_count > 0), "bands rule");
        for (size_t b = 0; b < ind->band_count; b++) {
            const cchc_band_t *band = &ind->bands [b];
            s_check (isfinite (band->at) && band->share >= 0 && band->share <= 1, "band");
            if (b > 0)
                s_check ((ind->higher ? band->at < band [-1].at : band->at > band [-1].at)
                             && band->share <= band [-1].share,
                         "bands order");
        }
        s_check_scores (ind);
    }
    s_check (fabs (sum - total) <= 1e-9, "points add up to the total");
    for (size_t i = 0; i < na; i++)
        s_check (fabs (cchc_criteria_area (cat, i)->points - area_sum [i])
                     <= 1e-9 * (1 + fabs (area_sum [i])),
                 "area points");
    free (area_sum);
}

static void
s_check_same (const cchc_criteria_t *a, const cchc_criteria_t *b)
{
    s_check (strcmp (cchc_criteria_name (a), cchc_criteria_name (b)) == 0
                 && cchc_criteria_year (a) == cchc_criteria_year (b)
                 && cchc_criteria_total (a) == cchc_criteria_total (b)
                 && cchc_criteria_due_day (a) == cchc_criteria_due_day (b)
                 && cchc_criteria_lock_day (a) == cchc_criteria_lock_day (b),
             "round trip: catalogue");
    s_check (cchc_criteria_grade_count (a) == cchc_criteria_grade_count (b),
             "round trip: grade count");
    for (size_t i = 0; i < cchc_criteria_grade_count (a); i++) {
        const cchc_grade_t *x = cchc_criteria_grade (a, i), *y = cchc_criteria_grade (b, i);
        s_check (x->at == y->at && strcmp (x->name, y->name) == 0, "round trip: grade");
    }
    s_check (cchc_criteria_metric_count (a) == cchc_criteria_metric_count (b),
             "round trip: metric count");
    for (size_t i = 0; i < cchc_criteria_metric_count (a); i++) {
        const cchc_metric_t *x = cchc_criteria_metric (a, i), *y = cchc_criteria_metric (b, i);
        s_check (strcmp (x->code, y->code) == 0 && strcmp (x->name, y->name) == 0
                     && x->kind == y->kind && x->levels == y->levels,
                 "round trip: metric");
    }
    s_check (cchc_criteria_area_count (a) == cchc_criteria_area_count (b),
             "round trip: area count");
    for (size_t i = 0; i < cchc_criteria_area_count (a); i++) {
        const cchc_area_t *x = cchc_criteria_area (a, i), *y = cchc_criteria_area (b, i);
        s_check (strcmp (x->code, y->code) == 0 && strcmp (x->name, y->name) == 0
                     && x->points == y->points,
                 "round trip: area");
    }
    s_check (cchc_criteria_indicator_count (a) == cchc_criteria_indicator_count (b),
             "round trip: indicator count");
    for (size_t i = 0; i < cchc_criteria_indicator_count (a); i++) {
        const cchc_indicator_t *x = cchc_criteria_indicator (a, i);
        const cchc_indicator_t *y = cchc_criteria_indicator (b, i);
        bool same = strcmp (x->code, y->code) == 0 && strcmp (x->name, y->name) == 0
                    && x->area == y->area && x->rule == y->rule && x->numerator == y->numerator
                    && x->denominator == y->denominator && x->higher == y->higher
                    && x->points == y->points && x->levels == y->levels && x->plan == y->plan
                    && x->band_count == y->band_count;
        for (int l = 0; l < CCHC_LEVEL_COUNT; l++)
            same = same && s_same_double (x->target [l], y->target [l]);
        for (size_t k = 0; same && k < x->band_count; k++)
            same =
                x->bands [k].at == y->bands [k].at && x->bands [k].share == y->bands [k].share;
        s_check (same, "round trip: indicator");
    }
}

static char s_tmp_path [64];

static void
s_tmp_remove (void)
{
    if (s_tmp_path [0])
        unlink (s_tmp_path);
}

/*  The same bytes through a file: same outcome, same message. */
static void
s_check_file (const uint8_t *data, size_t size)
{
    if (!s_tmp_path [0]) {
        snprintf (s_tmp_path, sizeof s_tmp_path, "/tmp/fuzz_criteria.%d.ini", (int) getpid ());
        atexit (s_tmp_remove);
    }
    FILE *f = fopen (s_tmp_path, "wb");
    s_check (f && fwrite (data, 1, size, f) == size && fclose (f) == 0, "temp file");
    char err1 [512], err2 [512];
    cchc_criteria_t *a = cchc_criteria_load (s_tmp_path, err1, sizeof err1);
    cchc_criteria_t *b =
        cchc_criteria_load_string (s_tmp_path, (const char *) data, size, err2, sizeof err2);
    s_check ((a == NULL) == (b == NULL), "file and text: same outcome");
    if (a)
        s_check_same (a, b);
    else
        s_check (strcmp (err1, err2) == 0, "file and text: same message");
    cchc_criteria_destroy (&a);
    cchc_criteria_destroy (&b);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char err [512];
    memset (err, 'x', sizeof err);
    cchc_criteria_t *cat =
        cchc_criteria_load_string ("fuzz.ini", (const char *) data, size, err, sizeof err);
    if (!cat) {
        s_check (memchr (err, '\0', sizeof err) && strncmp (err, "fuzz.ini:", 9) == 0
                     && strlen (err) > 10,
                 "a refusal names the file and says why");
    }
    else {
        s_check (err [0] == '\0', "no message on success");
        s_check_limits (cat);
        size_t len = 0;
        char *text = s_print (cat, &len);
        if (s_longest_line_fits (text, len)) {
            cchc_criteria_t *back =
                cchc_criteria_load_string ("printed", text, len, err, sizeof err);
            if (!back)
                fprintf (stderr, "printed catalogue refused: %s\n%s", err, text);
            s_check (back != NULL, "the printed catalogue loads");
            s_check_same (cat, back);
            cchc_criteria_destroy (&back);
        }
        free (text);
        cchc_criteria_destroy (&cat);
    }
    /*  A cheap pick of about one input in 32 for the file path. */
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < size && i < 64; i++)
        h = (h ^ data [i]) * 16777619u;
    if ((h & 31) == 0)
        s_check_file (data, size);
    return 0;
}
