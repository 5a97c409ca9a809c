/*  test_criteria.c — the criteria catalogue: the shipped default loads and
    adds up, each validation error is caught with the right line, and the
    scoring rules give the right points.
*/
#include "collector/figures/criteria.h"
#include "tests/test.h"

#include <math.h>
#include <stdlib.h>
#include <unistd.h>

static char s_path [64];
static char s_err [512];

/*  Write `text` to a temp file and load it: the catalogue or NULL. */
static cchc_criteria_t *
s_load_text (const char *text)
{
    snprintf (s_path, sizeof s_path, "/tmp/cchc-criteria-XXXXXX");
    int fd = mkstemp (s_path);
    if (fd < 0)
        return NULL;
    size_t len = strlen (text);
    if (write (fd, text, len) != (ssize_t) len) {
        close (fd);
        return NULL;
    }
    close (fd);
    s_err [0] = '\0';
    cchc_criteria_t *cat = cchc_criteria_load (s_path, s_err, sizeof s_err);
    unlink (s_path);
    return cat;
}

/*  Loading `text` must fail at `line` (0: no line) with `reason` in the message. */
static int
s_fails (const char *text, int line, const char *reason)
{
    cchc_criteria_t *cat = s_load_text (text);
    if (cat) {
        fprintf (stderr, "  expected an error '%s', it loaded\n", reason);
        cchc_criteria_destroy (&cat);
        return 0;
    }
    char prefix [96];
    if (line > 0)
        snprintf (prefix, sizeof prefix, "%s:%d: ", s_path, line);
    else
        snprintf (prefix, sizeof prefix, "%s: ", s_path);
    if (strncmp (s_err, prefix, strlen (prefix)) != 0 || !strstr (s_err, reason)) {
        fprintf (stderr, "  expected '%s...%s', got '%s'\n", prefix, reason, s_err);
        return 0;
    }
    return 1;
}

/*  A valid small catalogue; the error tests below are variations of it. */
#define HEAD                    \
    "[catalogue]\n"    /* 1 */  \
    "name = Thử\n"     /* 2 */  \
    "year = 2021\n"    /* 3 */  \
    "total = 10\n"     /* 4 */  \
    "\n"               /* 5 */  \
    "[metric.a]\n"     /* 6 */  \
    "name = A\n"       /* 7 */  \
    "kind = counter\n" /* 8 */  \
    "[metric.b]\n"     /* 9 */  \
    "name = B\n"       /* 10 */ \
    "kind = gauge\n"   /* 11 */ \
    "[area.x]\n"       /* 12 */ \
    "name = X\n"       /* 13 */

#define ON_TIME        \
    "[indicator.t]\n"  \
    "name = T\n"       \
    "area = x\n"       \
    "rule = on_time\n" \
    "points = 4\n"

static void
test_small_valid (void)
{
    cchc_criteria_t *cat = s_load_text (HEAD "[indicator.r]\n" /* 14 */
                                             "name = R ; ghi chú\n"
                                             "area = x\n"
                                             "numerator = a\n"
                                             "denominator = b\n"
                                             "target = 50%\n"
                                             "points = 6\n" ON_TIME);
    CHECK (cat);
    CHECK_EQ_STR (cchc_criteria_name (cat), "Thử");
    CHECK_EQ_INT (cchc_criteria_due_day (cat), 18);
    CHECK_EQ_INT (cchc_criteria_lock_day (cat), 22);
    CHECK_EQ_INT (cchc_criteria_indicator_count (cat), 2);
    /* HEAD has no due day: the defaults per level */
    CHECK_EQ_INT (cchc_criteria_level_due_day (cat, CCHC_LEVEL_SO), 18);
    CHECK_EQ_INT (cchc_criteria_level_due_day (cat, CCHC_LEVEL_HUYEN), 17);
    CHECK_EQ_INT (cchc_criteria_level_due_day (cat, CCHC_LEVEL_XA), 16);
    const cchc_indicator_t *r = cchc_criteria_indicator (cat, 0);
    CHECK_EQ_STR (r->name, "R"); /* inline comment stripped */
    CHECK_NEAR (r->target [CCHC_LEVEL_XA], 0.5, 1e-15);
    CHECK_EQ_INT (r->numerator, 0);
    CHECK_EQ_INT (r->denominator, 1);
    CHECK (r->higher);
    CHECK_EQ_INT (r->rule, CCHC_RULE_PROPORTIONAL);
    CHECK_EQ_INT (cchc_criteria_indicator (cat, 1)->rule, CCHC_RULE_ON_TIME);
    CHECK_NEAR (cchc_criteria_area (cat, 0)->points, 10, 0);
    CHECK (cchc_criteria_metric_known (cat, "b"));
    CHECK (!cchc_criteria_metric_known (cat, "c"));
    CHECK_EQ_INT (cchc_criteria_metric (cat, 1)->kind, CCHC_METRIC_GAUGE);
    cchc_criteria_destroy (&cat);
    CHECK (cat == NULL);
    cchc_criteria_destroy (&cat); /* NULL is fine */
}

static void
test_default_catalogue (void)
{
    cchc_criteria_t *cat =
        cchc_criteria_load (CCHC_SOURCE_DIR "/data/criteria/default.ini", s_err, sizeof s_err);
    if (!cat)
        fprintf (stderr, "  %s\n", s_err);
    CHECK (cat);
    CHECK_EQ_INT (cchc_criteria_year (cat), 2021);
    CHECK_NEAR (cchc_criteria_total (cat), 100, 0);
    double sum = 0;
    for (size_t i = 0; i < cchc_criteria_indicator_count (cat); i++)
        sum += cchc_criteria_indicator (cat, i)->points;
    CHECK_NEAR (sum, 100, 1e-9);
    CHECK_EQ_INT (cchc_criteria_indicator_count (cat), 19);
    CHECK_EQ_INT (cchc_criteria_area_count (cat), 8);
    CHECK_EQ_INT (cchc_criteria_metric_count (cat), 32);
    /* areas of DOMAIN.md: 10, 8, 25, 6, 8, 5, 21, 17 */
    const double area_points [] = { 10, 8, 25, 6, 8, 5, 21, 17 };
    for (size_t a = 0; a < 8; a++)
        CHECK_NEAR (cchc_criteria_area (cat, a)->points, area_points [a], 1e-9);
    int wf = cchc_criteria_indicator_find (cat, "online_workfiles");
    CHECK (wf >= 0);
    const cchc_indicator_t *ind = cchc_criteria_indicator (cat, (size_t) wf);
    CHECK_NEAR (ind->target [CCHC_LEVEL_SO], 0.82, 1e-15);
    CHECK_NEAR (ind->target [CCHC_LEVEL_HUYEN], 0.62, 1e-15);
    CHECK_NEAR (ind->target [CCHC_LEVEL_XA], 0.35, 1e-15);
    CHECK (ind->plan);
    int ot = cchc_criteria_indicator_find (cat, "report_on_time");
    CHECK (ot >= 0);
    CHECK_EQ_INT (cchc_criteria_indicator (cat, (size_t) ot)->rule, CCHC_RULE_ON_TIME);
    int disc = cchc_criteria_indicator_find (cat, "discipline");
    CHECK (disc >= 0);
    CHECK_EQ_INT (cchc_criteria_indicator (cat, (size_t) disc)->denominator, -1);
    CHECK (!cchc_criteria_indicator (cat, (size_t) disc)->higher);
    /* the plan's ten targets */
    int plans = 0;
    for (size_t i = 0; i < cchc_criteria_indicator_count (cat); i++)
        plans += cchc_criteria_indicator (cat, i)->plan;
    CHECK_EQ_INT (plans, 10);
    CHECK_EQ_INT (cchc_criteria_grade_count (cat), 5);
    CHECK_EQ_STR (cchc_criteria_grade_of (cat, 90), "Xuất sắc");
    CHECK_EQ_STR (cchc_criteria_grade_of (cat, 89.99), "Tốt");
    CHECK_EQ_STR (cchc_criteria_grade_of (cat, 0), "Yếu");
    for (size_t m = 0; m < cchc_criteria_metric_count (cat); m++) {
        const char *name = cchc_criteria_metric (cat, m)->name;
        CHECK (name && name [0]);
    }
    cchc_criteria_destroy (&cat);
}

static void
test_errors_references (void)
{
    CHECK (s_fails (HEAD "[indicator.r]\nname = R\narea = x\nnumerator = zz\n"
                         "target = 1\npoints = 6\n" ON_TIME,
                    17, "unknown metric 'zz' in numerator"));
    CHECK (s_fails (HEAD "[indicator.r]\nname = R\narea = x\nnumerator = a\n"
                         "denominator = nope\ntarget = 1\npoints = 6\n" ON_TIME,
                    18, "unknown metric 'nope' in denominator"));
    CHECK (s_fails (HEAD "[indicator.r]\nname = R\narea = y\nnumerator = a\n"
                         "target = 1\npoints = 6\n" ON_TIME,
                    16, "unknown area 'y'"));
    /* a metric reported by so only, an indicator for every level */
    CHECK (s_fails ("[catalogue]\nname = T\nyear = 2021\ntotal = 6\n"
                    "[metric.a]\nname = A\nkind = counter\nlevels = so\n"
                    "[area.x]\nname = X\n"
                    "[indicator.r]\nname = R\narea = x\nnumerator = a\n"
                    "target = 1\npoints = 6\n",
                    14, "applies to level huyen but its metric 'a' is not reported"));
}

static void
test_errors_points_and_targets (void)
{
    /* 6 + 3 = 9, declared 10: reported at the total's line */
    CHECK (s_fails (HEAD "[indicator.r]\nname = R\narea = x\nnumerator = a\n"
                         "target = 1\npoints = 6\n"
                         "[indicator.t]\nname = T\narea = x\nrule = on_time\npoints = 3\n",
                    4, "points add up to 9, not the declared total 10"));
    /* target for so and huyen only: xa is missing */
    CHECK (s_fails (HEAD "[indicator.r]\nname = R\narea = x\nnumerator = a\n"
                         "target.so = 82%\ntarget.huyen = 62%\npoints = 6\n" ON_TIME,
                    14, "applies to level xa but has no target"));
    /* ... unless the indicator is not for xa */
    cchc_criteria_t *cat = s_load_text (
        HEAD "[indicator.r]\nname = R\narea = x\n"
             "numerator = a\ntarget.so = 82%\ntarget.huyen = 62%\nlevels = so,huyen\n"
             "points = 6\n" ON_TIME);
    CHECK (cat);
    const cchc_indicator_t *r = cchc_criteria_indicator (cat, 0);
    CHECK (isnan (r->target [CCHC_LEVEL_XA]));
    CHECK_NEAR (r->target [CCHC_LEVEL_HUYEN], 0.62, 1e-15);
    CHECK_EQ_INT (r->levels,
                  CCHC_LEVEL_BIT (CCHC_LEVEL_SO) | CCHC_LEVEL_BIT (CCHC_LEVEL_HUYEN));
    cchc_criteria_destroy (&cat);
    /* a general target with one level's override, in either order */
    cat = s_load_text (HEAD "[indicator.r]\nname = R\narea = x\nnumerator = a\n"
                            "target.xa = 35%\ntarget = 0.5\npoints = 6\n" ON_TIME);
    CHECK (cat);
    r = cchc_criteria_indicator (cat, 0);
    CHECK_NEAR (r->target [CCHC_LEVEL_XA], 0.35, 1e-15);
    CHECK_NEAR (r->target [CCHC_LEVEL_SO], 0.5, 1e-15);
    cchc_criteria_destroy (&cat);
    CHECK (s_fails (HEAD "[indicator.r]\nname = R\narea = x\nnumerator = a\n"
                         "target = lots\npoints = 6\n" ON_TIME,
                    18, "target: expected"));
    CHECK (s_fails (HEAD "[indicator.r]\nname = R\narea = x\nnumerator = a\n"
                         "target = 1\npoints = -1\n" ON_TIME,
                    19, "points: expected"));
    CHECK (s_fails (HEAD "[indicator.r]\nname = R\narea = x\nnumerator = a\n"
                         "target = 0\npoints = 6\n" ON_TIME,
                    18, "must be > 0"));
}

static void
test_errors_rules (void)
{
    CHECK (s_fails (HEAD "[indicator.r]\nname = R\narea = x\nnumerator = a\n"
                         "target = 1\npoints = 6\nrule = magic\n" ON_TIME,
                    20, "rule: expected proportional, threshold, bands or on_time"));
    CHECK (s_fails (HEAD "[indicator.r]\nname = R\narea = x\nnumerator = a\n"
                         "target = 1\npoints = 6\nrule = bands\n" ON_TIME,
                    14, "rule = bands needs bands"));
    CHECK (s_fails (HEAD "[indicator.r]\nname = R\narea = x\nnumerator = a\n"
                         "target = 1\npoints = 6\nbands = 0.9:1\n" ON_TIME,
                    20, "bands are only for rule = bands"));
    CHECK (s_fails (HEAD
                    "[indicator.r]\nname = R\narea = x\nnumerator = a\n"
                    "target = 1\npoints = 6\nrule = bands\nbands = 0.7:0.5, 0.9:1\n" ON_TIME,
                    21, "bands must go from the best value down"));
    CHECK (s_fails (HEAD "[indicator.r]\nname = R\narea = x\nnumerator = a\n"
                         "target = 1\npoints = 6\nrule = bands\nbands = 0.9:2\n" ON_TIME,
                    21, "bands: bad item"));
    CHECK (s_fails (HEAD "[indicator.r]\nname = R\narea = x\nnumerator = a\n"
                         "target = 1\npoints = 6\nbetter = sideways\n" ON_TIME,
                    20, "better: expected higher or lower"));
    CHECK (s_fails (HEAD "[indicator.r]\nname = R\narea = x\nnumerator = a\n"
                         "target = 1\npoints = 6\n"
                         "[indicator.t]\nname = T\narea = x\nrule = on_time\nnumerator = a\n"
                         "points = 4\n",
                    24, "rule on_time takes no 'numerator'"));
    CHECK (s_fails (HEAD "[indicator.r]\nname = R\narea = x\ntarget = 1\n"
                         "points = 6\n" ON_TIME,
                    14, "needs a numerator metric"));
    CHECK (s_fails (HEAD "[indicator.r]\nname = R\narea = x\nnumerator = a\n"
                         "target = 1\n" ON_TIME,
                    14, "needs points"));
    /* bands accepted, and scored */
    cchc_criteria_t *cat =
        s_load_text (HEAD "[indicator.r]\nname = R\narea = x\n"
                          "numerator = a\ntarget = 90%\npoints = 6\nrule = bands\n"
                          "bands = 90%:1, 0.7:0.5\n" ON_TIME);
    CHECK (cat);
    const cchc_indicator_t *r = cchc_criteria_indicator (cat, 0);
    CHECK_EQ_INT (r->band_count, 2);
    CHECK_NEAR (cchc_indicator_score (r, CCHC_LEVEL_SO, 0.95), 6, 1e-12);
    CHECK_NEAR (cchc_indicator_score (r, CCHC_LEVEL_SO, 0.9), 6, 1e-12);
    CHECK_NEAR (cchc_indicator_score (r, CCHC_LEVEL_SO, 0.8), 3, 1e-12);
    CHECK_NEAR (cchc_indicator_score (r, CCHC_LEVEL_SO, 0.7), 3, 1e-12);
    CHECK_NEAR (cchc_indicator_score (r, CCHC_LEVEL_SO, 0.69), 0, 1e-12);
    cchc_criteria_destroy (&cat);
}

static void
test_errors_structure (void)
{
    CHECK (s_fails (HEAD "[metric.a]\nname = A again\nkind = counter\n", 14,
                    "duplicate metric 'a' (first at line 6)"));
    CHECK (s_fails (HEAD "[indicator.t]\nname = T\narea = x\nrule = on_time\n"
                         "points = 4\n" ON_TIME,
                    19, "duplicate indicator 't' (first at line 14)"));
    CHECK (s_fails (HEAD "[area.x]\nname = X2\n", 14, "duplicate area 'x'"));
    CHECK (s_fails ("[catalogue]\nname = A\nname = B\n", 3,
                    "duplicate key 'name' (first at line 2)"));
    CHECK (s_fails (HEAD "[metric.c]\nname = C\nkind = counter\ncolour = red\n", 17,
                    "unknown key 'colour'"));
    CHECK (s_fails (HEAD "[metrics.c]\nname = C\n", 14, "unknown section [metrics.c]"));
    CHECK (s_fails (HEAD "[metric.Bad-Code]\nname = C\n", 14, "bad code"));
    CHECK (s_fails (HEAD "[metric.c]\nname = C\nkind = stock\n", 16,
                    "kind: expected counter or gauge"));
    CHECK (s_fails (HEAD "[metric.c]\nname = C\n" ON_TIME, 14, "needs a kind"));
    CHECK (s_fails (HEAD "[metric.c]\nname = C\nkind = counter\nlevels = so,tinh\n", 17,
                    "levels: expected"));
    CHECK (s_fails (HEAD "[metric.c]\n[area.y]\nname = Y\n", 14, "empty section"));
    CHECK (s_fails (HEAD "this line has no equals sign\n", 14, "syntax error"));
    CHECK (s_fails (HEAD "[area.y]\nname = Y\n  continued\n", 16, "continuation"));
    char longline [600];
    snprintf (longline, sizeof longline, HEAD "[area.y]\nname = %0250d\n", 7);
    CHECK (s_fails (longline, 15, "line longer than 199 bytes"));
    CHECK (s_fails ("[metric.a]\nname = A\nkind = counter\n", 0, "no [catalogue] section"));
    CHECK (s_fails ("[catalogue]\nname = T\nyear = 2021\n", 1, "[catalogue] needs 'total'"));
    CHECK (s_fails ("[catalogue]\nname = T\nyear = 2021\ntotal = 4\ndue_day = 20\n"
                    "lock_day = 19\n",
                    6, "lock_day (19) is before a due day (20)"));
    CHECK (s_fails ("[catalogue]\nname = T\nyear = 2021\ntotal = 4\ndue_day.xa = 23\n", 1,
                    "lock_day (22) is before a due day (23)"));
    CHECK (s_fails ("[catalogue]\nname = T\nyear = 2021\ntotal = 4\ndue_day.huyen = 0\n", 5,
                    "due_day.huyen: expected a day 1..28"));
    CHECK (s_fails ("[catalogue]\nname = T\nyear = 2021\ntotal = 4\ndue_day.tinh = 3\n", 5,
                    "unknown key"));
    CHECK (s_fails ("[catalogue]\nname = T\nyear = 2021\ntotal = 4\ndue_day = 30\n", 5,
                    "due_day: expected a day 1..28"));
    CHECK (s_fails ("[catalogue]\nname = T\nyear = 2021\ntotal = 4\n", 0,
                    "no [indicator.CODE] section"));
    CHECK (s_fails ("[catalogue]\nname = T\nyear = 2021\ntotal = 4\ngrades = 50:A, 80:B\n", 5,
                    "grades must go from the highest index down"));
    CHECK (s_fails ("[catalogue]\nname = \xC3\x28\n", 2, "not valid UTF-8"));
    CHECK (s_fails ("name = T\n", 1, "outside any section"));
    /* the first error wins: a syntax error before a bad reference */
    CHECK (s_fails (HEAD "oops\n[indicator.r]\nname = R\narea = nope\n", 14, "syntax error"));
    s_err [0] = '\0';
    CHECK (cchc_criteria_load ("/nonexistent/criteria.ini", s_err, sizeof s_err) == NULL);
    CHECK (strstr (s_err, "/nonexistent/criteria.ini: cannot open"));
}

static void
test_scoring_rules (void)
{
    cchc_indicator_t ind = { .code = "x",
                             .rule = CCHC_RULE_PROPORTIONAL,
                             .higher = true,
                             .points = 5,
                             .levels = CCHC_LEVELS_ALL,
                             .target = { 0.25, 0.25, 0.25 } };
    CHECK_NEAR (cchc_indicator_score (&ind, CCHC_LEVEL_SO, 0.25), 5, 1e-12);
    CHECK_NEAR (cchc_indicator_score (&ind, CCHC_LEVEL_SO, 0.5), 5, 1e-12);
    CHECK_NEAR (cchc_indicator_score (&ind, CCHC_LEVEL_SO, 0.1), 2, 1e-12);
    CHECK_NEAR (cchc_indicator_score (&ind, CCHC_LEVEL_SO, 0), 0, 0);
    ind.higher = false; /* lower is better: full at or below */
    CHECK_NEAR (cchc_indicator_score (&ind, CCHC_LEVEL_SO, 0.2), 5, 1e-12);
    CHECK_NEAR (cchc_indicator_score (&ind, CCHC_LEVEL_SO, 0.5), 2.5, 1e-12);
    ind.rule = CCHC_RULE_THRESHOLD;
    CHECK_NEAR (cchc_indicator_score (&ind, CCHC_LEVEL_SO, 0.25), 5, 0);
    CHECK_NEAR (cchc_indicator_score (&ind, CCHC_LEVEL_SO, 0.2500001), 0, 0);
    ind.higher = true;
    CHECK_NEAR (cchc_indicator_score (&ind, CCHC_LEVEL_SO, 0.2499999), 0, 0);
    CHECK_NEAR (cchc_indicator_score (&ind, CCHC_LEVEL_SO, 0.25), 5, 0);
    /* 41/50 meets 82% exactly */
    ind.target [CCHC_LEVEL_SO] = 0.82;
    CHECK (cchc_indicator_met (&ind, 0.82, 41.0 / 50.0));
    CHECK_EQ_STR (cchc_level_code (CCHC_LEVEL_HUYEN), "huyen");
    cchc_level_t level;
    CHECK (cchc_level_parse ("xa", &level) == 0 && level == CCHC_LEVEL_XA);
    CHECK (cchc_level_parse ("tinh", &level) == -1);
}

/*  Found by fuzz/rollup/fuzz_criteria: points × value overflowed to
    infinity for a catalogue with huge points, giving a score above the
    indicator's points. */
static void
test_scoring_extremes (void)
{
    cchc_indicator_t ind = { .code = "x",
                             .rule = CCHC_RULE_PROPORTIONAL,
                             .higher = true,
                             .points = 1e300,
                             .levels = CCHC_LEVELS_ALL,
                             .target = { 1e10, 1e10, 1e10 } };
    double s = cchc_indicator_score (&ind, CCHC_LEVEL_SO, 5e9);
    CHECK (isfinite (s));
    CHECK_NEAR (s / 1e300, 0.5, 1e-12);
    ind.higher = false; /* points × target overflowed the same way */
    ind.target [CCHC_LEVEL_SO] = 1e300;
    s = cchc_indicator_score (&ind, CCHC_LEVEL_SO, 4e300);
    CHECK (isfinite (s));
    CHECK_NEAR (s / 1e300, 0.25, 1e-12);
}

/*  cchc_criteria_load_string: the same catalogue and the same messages as
    a file, named as told; the text need not end with a NUL. */
static void
test_load_string (void)
{
    const char *text = HEAD ON_TIME "[indicator.r]\nname = R\narea = x\n"
                                    "numerator = a\ntarget = 1\npoints = 6\n";
    cchc_criteria_t *file = s_load_text (text);
    CHECK (file);
    size_t len = strlen (text);
    char *copy = malloc (len);
    CHECK (copy);
    memcpy (copy, text, len); /* no NUL after it */
    char err [256] = "x";
    cchc_criteria_t *cat = cchc_criteria_load_string ("mem.ini", copy, len, err, sizeof err);
    free (copy);
    CHECK (cat);
    CHECK_EQ_STR (err, "");
    CHECK_EQ_INT (cchc_criteria_indicator_count (cat), 2);
    CHECK_EQ_STR (cchc_criteria_indicator (cat, 1)->code, "r");
    CHECK_NEAR (cchc_criteria_indicator (cat, 1)->points, 6, 0);
    CHECK_EQ_STR (cchc_criteria_name (cat), cchc_criteria_name (file));
    cchc_criteria_destroy (&cat);
    cchc_criteria_destroy (&file);

    /*  The same error, with the given name. */
    const char *bad = HEAD "[metric.c]\nname = C\nkind = stock\n";
    CHECK (s_fails (bad, 16, "kind: expected counter or gauge"));
    CHECK (!cchc_criteria_load_string ("mem.ini", bad, strlen (bad), err, sizeof err));
    CHECK (strncmp (err, "mem.ini:16: ", 12) == 0);
    CHECK_EQ_STR (strchr (err, ' '), strchr (s_err, ' '));
    /*  A NUL inside a line, and empty text. */
    CHECK (!cchc_criteria_load_string ("mem.ini", "[catalogue]\nna\0me = x\n", 22, err,
                                       sizeof err));
    CHECK (strstr (err, "mem.ini:2: not valid UTF-8"));
    CHECK (!cchc_criteria_load_string ("mem.ini", NULL, 0, err, sizeof err));
    CHECK (strstr (err, "mem.ini: no [catalogue] section"));
}

int
main (void)
{
    CCHC_TEST_RUN (test_small_valid);
    CCHC_TEST_RUN (test_default_catalogue);
    CCHC_TEST_RUN (test_errors_references);
    CCHC_TEST_RUN (test_errors_points_and_targets);
    CCHC_TEST_RUN (test_errors_rules);
    CCHC_TEST_RUN (test_errors_structure);
    CCHC_TEST_RUN (test_scoring_rules);
    CCHC_TEST_RUN (test_scoring_extremes);
    CCHC_TEST_RUN (test_load_string);
    return CCHC_TEST_DONE ();
}
