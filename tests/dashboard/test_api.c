/*  test_api.c — the dashboard's HTTP server and JSON API against a database
    of known data (fixture.h), in process on 127.0.0.1 and a free port.

    The figures in the JSON must equal what cchc_rollup_load() computes for
    the same database and clock (compared as doubles, exactly: the API
    writes 17 significant digits).  Also: errors, read-only methods, the
    access token and the refusal to bind elsewhere without one, ETags,
    exports (CSV content, XLSX container), invalidation when new data
    arrives.

    Usage: test_api WORKDIR (the build folder; the database goes there).
*/
#include "collector/http/http.h"
#include "collector/figures/rollup.h"
#include "common/clock.h"
#include "common/log.h"
#include "tests/dashboard/client.h"
#include "tests/dashboard/fixture.h"
#include "tests/test.h"

#include <jansson.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef CCHC_SOURCE_DIR
#define CCHC_SOURCE_DIR "."
#endif

static const char *s_criteria = CCHC_SOURCE_DIR "/data/criteria/default.ini";
static char s_db [1024], s_dir [900];
static cchc_http_t *s_http;
static int s_port;
static cchc_criteria_t *s_cat;
static sqlite3 *s_ro;
static int64_t s_now;

/* ------------------------------------------------------------------------ */
/*  Helpers */

static json_t *
s_get_json (const char *path, int *status)
{
    cchc_http_reply_t r;
    if (cchc_http_get (s_port, path, &r) != 0) {
        *status = -1;
        return NULL;
    }
    *status = r.status;
    json_error_t jerr;
    json_t *j = json_loadb (r.body, r.size, 0, &jerr);
    if (!j)
        fprintf (stderr, "%s: bad JSON (%s): %.200s\n", path, jerr.text, r.body);
    cchc_http_reply_free (&r);
    return j;
}

static cchc_rollup_t *
s_rollup (const char *id)
{
    cchc_period_t p;
    if (cchc_period_parse (id, &p) != 0)
        return NULL;
    char err [256];
    cchc_rollup_t *r = cchc_rollup_load (s_ro, s_cat, &p, s_now, true, err, sizeof err);
    if (!r)
        fprintf (stderr, "rollup %s: %s\n", id, err);
    return r;
}

/*  JSON value equals the double exactly (NaN ↔ null). */
static bool
s_eq (json_t *v, double expected)
{
    if (isnan (expected))
        return json_is_null (v);
    if (!json_is_number (v)) {
        fprintf (stderr, "expected %.17g, got a non-number\n", expected);
        return false;
    }
    if (json_number_value (v) != expected) {
        fprintf (stderr, "expected %.17g, got %.17g\n", expected, json_number_value (v));
        return false;
    }
    return true;
}

static bool
s_is_error (json_t *j, int status)
{
    return j && json_is_string (json_object_get (j, "error"))
           && strlen (json_string_value (json_object_get (j, "error"))) > 0
           && json_integer_value (json_object_get (j, "status")) == status;
}

static json_t *
s_find (json_t *array, const char *key, const char *value)
{
    size_t i;
    json_t *o;
    json_array_foreach (array, i, o)
    {
        const char *v = json_string_value (json_object_get (o, key));
        if (v && strcmp (v, value) == 0)
            return o;
    }
    return NULL;
}

/* ------------------------------------------------------------------------ */
/*  Tests */

static void
test_periods (void)
{
    int status;
    json_t *j = s_get_json ("/api/v1/periods", &status);
    CHECK_EQ_INT (status, 200);
    CHECK (j);
    CHECK_EQ_STR (json_string_value (json_object_get (j, "default")), "2021-Q4");
    CHECK_EQ_STR (
        json_string_value (json_object_get (json_object_get (j, "province"), "name")),
        "Tỉnh Tuyên Quang");
    CHECK_EQ_STR (json_string_value (json_object_get (j, "data_first_day")), "2020-12-15");
    json_t *periods = json_object_get (j, "periods");
    struct {
        const char *id, *state;
    } want [] = {
        { "2021-Q1", "locked" }, { "2021-Q3", "locked" },      { "2021-Q4", "closed" },
        { "2021-H1", "locked" }, { "2021-H2", "closed" },      { "2021-9M", "locked" },
        { "2021", "closed" },    { "2022-Q1", "provisional" }, { "2021-03", "locked" },
    };
    for (size_t i = 0; i < sizeof want / sizeof want [0]; i++) {
        json_t *p = s_find (periods, "id", want [i].id);
        CHECK (p);
        CHECK_EQ_STR (json_string_value (json_object_get (p, "state")), want [i].state);
    }
    json_t *q1 = s_find (periods, "id", "2021-Q1");
    CHECK_EQ_STR (json_string_value (json_object_get (q1, "first_day")), "2020-12-15");
    CHECK_EQ_STR (json_string_value (json_object_get (q1, "last_day")), "2021-03-14");
    CHECK_EQ_STR (json_string_value (json_object_get (q1, "lock_day")), "2021-03-22");
    CHECK_EQ_STR (json_string_value (json_object_get (q1, "name")), "Quý I năm 2021");
    CHECK (s_find (periods, "id", "2022-Q2") == NULL); /* not started */
    CHECK (s_find (periods, "id", "2020-Q4") == NULL); /* before the data */
    json_decref (j);
}

static void
test_summary_equals_rollup (void)
{
    const char *ids [] = { "2021-Q1", "2021-Q4", "2021-H1", "2021" };
    for (size_t k = 0; k < sizeof ids / sizeof ids [0]; k++) {
        char path [128];
        snprintf (path, sizeof path, "/api/v1/summary?period=%s", ids [k]);
        int status;
        json_t *j = s_get_json (path, &status);
        CHECK_EQ_INT (status, 200);
        cchc_rollup_t *r = s_rollup (ids [k]);
        CHECK (j && r);
        CHECK_EQ_STR (
            json_string_value (json_object_get (json_object_get (j, "period"), "id")),
            ids [k]);
        json_t *targets = json_object_get (j, "targets");
        size_t plan = 0, seen = 0;
        for (size_t i = 0; i < cchc_criteria_indicator_count (s_cat); i++) {
            const cchc_indicator_t *ind = cchc_criteria_indicator (s_cat, i);
            const cchc_rollup_figure_t *f = cchc_rollup_figure (r, i, -1);
            if (!ind->plan || !f)
                continue;
            plan++;
            json_t *t = s_find (targets, "indicator", ind->code);
            CHECK (t);
            seen++;
            CHECK_EQ_STR (json_string_value (json_object_get (t, "name")), ind->name);
            CHECK (s_eq (json_object_get (t, "numerator"), f->numerator));
            CHECK (s_eq (json_object_get (t, "denominator"), f->denominator));
            CHECK (s_eq (json_object_get (t, "value"), f->has_value ? f->value : NAN));
            CHECK (s_eq (json_object_get (t, "target"), f->target));
            CHECK (json_is_true (json_object_get (t, "met")) == f->met);
            CHECK_EQ_INT (json_integer_value (json_object_get (t, "units")), f->units);
            json_t *levels = json_object_get (t, "levels");
            for (int l = 0; l < CCHC_LEVEL_COUNT; l++) {
                const cchc_rollup_figure_t *fl = cchc_rollup_figure (r, i, l);
                json_t *jl = s_find (levels, "level", cchc_level_code ((cchc_level_t) l));
                CHECK ((fl == NULL) == (jl == NULL));
                if (!fl)
                    continue;
                CHECK (s_eq (json_object_get (jl, "numerator"), fl->numerator));
                CHECK (s_eq (json_object_get (jl, "denominator"), fl->denominator));
                CHECK (s_eq (json_object_get (jl, "value"), fl->has_value ? fl->value : NAN));
                CHECK (s_eq (json_object_get (jl, "target"), fl->target));
            }
        }
        CHECK (plan >= 8);
        CHECK_EQ_INT (json_array_size (targets), seen);
        /* the work-file targets per level of the 2021 plan */
        json_t *wf = s_find (targets, "indicator", "online_workfiles");
        CHECK (wf);
        json_t *wfl = json_object_get (wf, "levels");
        CHECK (s_eq (json_object_get (s_find (wfl, "level", "so"), "target"), 0.82));
        CHECK (s_eq (json_object_get (s_find (wfl, "level", "huyen"), "target"), 0.62));
        CHECK (s_eq (json_object_get (s_find (wfl, "level", "xa"), "target"), 0.35));
        /* completeness and timeliness */
        json_t *all = json_object_get (json_object_get (j, "reporting"), "all");
        size_t complete = 0, on_time = 0;
        for (size_t i = 0; i < r->unit_count; i++) {
            complete += r->units [i].complete;
            on_time += r->units [i].on_time;
        }
        CHECK_EQ_INT (json_integer_value (json_object_get (all, "units")), r->unit_count);
        CHECK_EQ_INT (json_integer_value (json_object_get (all, "complete")), complete);
        CHECK_EQ_INT (json_integer_value (json_object_get (all, "on_time")), on_time);
        json_t *dist = json_object_get (json_object_get (j, "distribution"), "all");
        CHECK (s_eq (json_object_get (dist, "mean"), r->dist [CCHC_LEVEL_COUNT].mean));
        CHECK (s_eq (json_object_get (dist, "median"), r->dist [CCHC_LEVEL_COUNT].median));
        cchc_rollup_destroy (&r);
        json_decref (j);
    }
}

static void
test_ranking_equals_rollup (void)
{
    cchc_rollup_t *r = s_rollup ("2021-Q2");
    CHECK (r);
    CHECK (r->has_previous);
    size_t total = 0;
    for (int l = 0; l < CCHC_LEVEL_COUNT; l++) {
        char path [128];
        snprintf (path, sizeof path, "/api/v1/ranking?period=2021-Q2&level=%s",
                  cchc_level_code ((cchc_level_t) l));
        int status;
        json_t *j = s_get_json (path, &status);
        CHECK_EQ_INT (status, 200);
        CHECK (j);
        CHECK_EQ_STR (json_string_value (json_object_get (j, "previous")), "2021-Q1");
        json_t *units = json_object_get (j, "units");
        size_t n = 0;
        for (size_t i = 0; i < r->unit_count; i++) {
            const cchc_rollup_unit_result_t *u = &r->units [i];
            if ((int) u->level != l)
                continue;
            n++;
            json_t *ju = s_find (units, "code", u->code);
            CHECK (ju);
            CHECK_EQ_STR (json_string_value (json_object_get (ju, "name")), u->name);
            CHECK (s_eq (json_object_get (ju, "index"), u->has_index ? u->index : NAN));
            CHECK_EQ_INT (json_integer_value (json_object_get (ju, "rank")), u->rank);
            CHECK (s_eq (json_object_get (ju, "change"), u->has_change ? u->change : NAN));
            CHECK_EQ_INT (json_integer_value (json_object_get (ju, "previous_rank")),
                          u->prev_rank);
            CHECK (s_eq (json_object_get (ju, "earned"), u->earned));
            json_t *areas = json_object_get (ju, "areas");
            CHECK_EQ_INT (json_array_size (areas), cchc_criteria_area_count (s_cat));
            for (size_t a = 0; a < cchc_criteria_area_count (s_cat); a++)
                CHECK (s_eq (json_object_get (json_array_get (areas, a), "earned"),
                             u->area_earned [a]));
        }
        CHECK_EQ_INT (json_array_size (units), n);
        /* ordered by rank */
        int prev = 0;
        size_t i;
        json_t *o;
        json_array_foreach (units, i, o)
        {
            json_t *rk = json_object_get (o, "rank");
            if (json_is_null (rk))
                continue;
            CHECK (json_integer_value (rk) >= prev);
            prev = (int) json_integer_value (rk);
        }
        if (l == CCHC_LEVEL_XA) {
            json_t *ya = s_find (units, "code", "02215");
            CHECK (ya);
            CHECK_EQ_STR (json_string_value (json_object_get (ya, "name")), "Phường Ỷ La");
            CHECK_EQ_STR (json_string_value (json_object_get (ya, "parent_name")),
                          "Thành phố Tuyên Quang");
        }
        total += n;
        json_decref (j);
    }
    CHECK_EQ_INT (total, 49);
    cchc_rollup_destroy (&r);
}

static void
test_unit (void)
{
    cchc_rollup_t *r = s_rollup ("2021-Q2");
    CHECK (r);
    int status;
    json_t *j = s_get_json ("/api/v1/units/STP?period=2021-Q2", &status);
    CHECK_EQ_INT (status, 200);
    CHECK (j);
    json_t *ju = json_object_get (j, "unit");
    CHECK_EQ_STR (json_string_value (json_object_get (ju, "name")), "Sở Tư pháp");
    int ui = cchc_rollup_unit_find (r, "STP");
    CHECK (ui >= 0);
    const cchc_rollup_unit_result_t *u = &r->units [ui];
    CHECK (s_eq (json_object_get (ju, "index"), u->index));
    json_t *inds = json_object_get (ju, "indicators");
    CHECK_EQ_INT (json_array_size (inds), cchc_criteria_indicator_count (s_cat));
    for (size_t i = 0; i < cchc_criteria_indicator_count (s_cat); i++) {
        const cchc_rollup_score_t *s = &u->scores [i];
        json_t *ji = json_array_get (inds, i);
        CHECK_EQ_STR (json_string_value (json_object_get (ji, "code")),
                      cchc_criteria_indicator (s_cat, i)->code);
        CHECK_EQ_STR (json_string_value (json_object_get (ji, "state")),
                      cchc_score_state_code (s->state));
        CHECK (s_eq (json_object_get (ji, "numerator"), s->numerator));
        CHECK (s_eq (json_object_get (ji, "denominator"), s->denominator));
        CHECK (s_eq (json_object_get (ji, "value"), s->value));
        CHECK (s_eq (json_object_get (ji, "target"), s->target));
        CHECK (s_eq (json_object_get (ji, "points"), s->points));
        CHECK (s_eq (json_object_get (ji, "points_max"), s->points_max));
        CHECK (json_is_string (json_object_get (ji, "name")));
    }
    json_t *training = s_find (inds, "code", "training");
    CHECK_EQ_STR (json_string_value (json_object_get (training, "state")), "missing");
    CHECK_EQ_INT (json_array_size (json_object_get (j, "agents")), 1);
    CHECK (json_array_size (json_object_get (ju, "metrics")) > 20);
    json_decref (j);

    j = s_get_json ("/api/v1/units/071?period=2021-Q2", &status);
    CHECK_EQ_INT (status, 200);
    CHECK_EQ_INT (json_array_size (json_object_get (j, "agents")), 2);
    CHECK_EQ_STR (json_string_value (json_object_get (json_object_get (j, "unit"), "name")),
                  "Huyện Lâm Bình");
    json_decref (j);
    cchc_rollup_destroy (&r);
}

static void
test_status (void)
{
    cchc_rollup_t *r = s_rollup ("2021-Q4");
    CHECK (r);
    int status;
    json_t *j = s_get_json ("/api/v1/status?period=2021-Q4", &status);
    CHECK_EQ_INT (status, 200);
    CHECK (j);
    json_t *units = json_object_get (j, "units");
    CHECK_EQ_INT (json_array_size (units), r->unit_count);
    json_t *sngv = s_find (units, "code", "SNGV");
    CHECK (json_is_true (json_object_get (sngv, "silent")));
    CHECK (json_is_true (json_object_get (sngv, "no_data")));
    CHECK (json_is_null (json_object_get (sngv, "last_seen")));
    json_t *lv = s_find (units, "code", "02515");
    CHECK (json_is_true (json_object_get (lv, "late")));
    CHECK (json_is_false (json_object_get (lv, "on_time")));
    CHECK (json_is_true (json_object_get (lv, "complete")));
    CHECK (json_is_false (json_object_get (lv, "silent")));
    json_t *tb = s_find (units, "code", "02296"); /* stopped after Q3 */
    CHECK (json_is_true (json_object_get (tb, "silent")));
    CHECK (json_is_true (json_object_get (tb, "no_data")));
    CHECK (json_integer_value (json_object_get (tb, "days_silent")) >= 80);
    CHECK (json_is_false (json_object_get (s_find (units, "code", "SNV"), "silent")));
    CHECK_EQ_INT (json_integer_value (json_object_get (json_object_get (j, "all"), "silent")),
                  2);
    json_t *sxd = s_find (units, "code", "SXD");
    CHECK_EQ_INT (json_integer_value (json_object_get (sxd, "rejected")), 3);
    size_t late = 0;
    for (size_t i = 0; i < r->unit_count; i++) {
        const cchc_rollup_unit_result_t *u = &r->units [i];
        json_t *ju = s_find (units, "code", u->code);
        CHECK (ju);
        CHECK (json_is_true (json_object_get (ju, "on_time")) == u->on_time);
        CHECK (json_is_true (json_object_get (ju, "complete")) == u->complete);
        late += !u->on_time && !u->pending;
    }
    CHECK_EQ_INT (json_integer_value (json_object_get (json_object_get (j, "all"), "late")),
                  late);
    CHECK (late >= 4); /* SNGV, STP (incomplete), 02515, 02296 */
    json_decref (j);
    cchc_rollup_destroy (&r);
}

static void
test_trend (void)
{
    int status;
    json_t *j = s_get_json ("/api/v1/trend?unit=SNV&code=index&to=2021-Q4&count=4", &status);
    CHECK_EQ_INT (status, 200);
    CHECK (j);
    json_t *points = json_object_get (j, "points");
    CHECK_EQ_INT (json_array_size (points), 4);
    for (int q = 1; q <= 4; q++) {
        char id [32];
        snprintf (id, sizeof id, "2021-Q%d", q);
        cchc_rollup_t *r = s_rollup (id);
        CHECK (r);
        int ui = cchc_rollup_unit_find (r, "SNV");
        json_t *pt = json_array_get (points, (size_t) q - 1);
        CHECK_EQ_STR (json_string_value (json_object_get (pt, "period")), id);
        CHECK (s_eq (json_object_get (pt, "value"), r->units [ui].index));
        CHECK_EQ_INT (json_integer_value (json_object_get (pt, "rank")), r->units [ui].rank);
        cchc_rollup_destroy (&r);
    }
    json_decref (j);

    /* a province figure across the halves */
    j = s_get_json ("/api/v1/trend?code=e_docs&level=all&to=2021-H2&count=2", &status);
    CHECK_EQ_INT (status, 200);
    points = json_object_get (j, "points");
    CHECK_EQ_INT (json_array_size (points), 2);
    cchc_rollup_t *r = s_rollup ("2021-H2");
    CHECK (r);
    int ind = cchc_criteria_indicator_find (s_cat, "e_docs");
    const cchc_rollup_figure_t *f = cchc_rollup_figure (r, (size_t) ind, -1);
    CHECK (s_eq (json_object_get (json_array_get (points, 1), "value"), f->value));
    cchc_rollup_destroy (&r);
    json_decref (j);
}

static void
test_agents_health (void)
{
    int status;
    json_t *j = s_get_json ("/api/v1/agents", &status);
    CHECK_EQ_INT (status, 200);
    CHECK_EQ_INT (json_integer_value (json_object_get (j, "total")), 50);
    json_t *agents = json_object_get (j, "agents");
    json_t *a = s_find (agents, "unit", "SNGV");
    CHECK (a);
    CHECK (json_is_true (json_object_get (a, "silent")));
    CHECK_EQ_STR (json_string_value (json_object_get (a, "unit_name")), "Sở Ngoại vụ");
    json_decref (j);

    j = s_get_json ("/api/v1/health", &status);
    CHECK_EQ_INT (status, 200);
    CHECK_EQ_STR (json_string_value (json_object_get (j, "status")), "ok");
    sqlite3_stmt *st = NULL;
    CHECK (sqlite3_prepare_v2 (s_ro, "SELECT max(id) FROM journal", -1, &st, NULL)
           == SQLITE_OK);
    CHECK (sqlite3_step (st) == SQLITE_ROW);
    int64_t jmax = sqlite3_column_int64 (st, 0);
    sqlite3_finalize (st);
    json_t *db = json_object_get (j, "database");
    CHECK_EQ_INT (json_integer_value (json_object_get (db, "journal_max")), jmax);
    CHECK_EQ_INT (json_integer_value (json_object_get (db, "rejected")), 3);
    CHECK (json_is_false (json_object_get (json_object_get (j, "collector"), "running")));
    CHECK (json_integer_value (json_object_get (json_object_get (j, "http"), "requests")) > 0);
    json_decref (j);

    j = s_get_json ("/api/v1/catalogue", &status);
    CHECK_EQ_INT (status, 200);
    CHECK_EQ_INT (json_array_size (json_object_get (j, "indicators")),
                  cchc_criteria_indicator_count (s_cat));
    json_decref (j);

    j = s_get_json ("/api/v1/explain?period=2021-Q1&unit=071&code=e_docs", &status);
    CHECK_EQ_INT (status, 200);
    json_t *rows = json_object_get (j, "rows");
    CHECK (json_array_size (rows) > 0);
    /* two agents: the rows behind the numerator add up to the unit's figure */
    cchc_rollup_t *r = s_rollup ("2021-Q1");
    CHECK (r);
    int ui = cchc_rollup_unit_find (r, "071");
    int ind = cchc_criteria_indicator_find (s_cat, "e_docs");
    double sum = 0;
    size_t i;
    json_t *o;
    json_array_foreach (rows, i,
                        o) if (strcmp (json_string_value (json_object_get (o, "metric")),
                                       "docs_sent_electronic")
                               == 0) sum += json_number_value (json_object_get (o, "value"));
    CHECK_NEAR (sum, r->units [ui].scores [ind].numerator, 1e-9);
    cchc_rollup_destroy (&r);
    json_decref (j);
}

static void
test_errors (void)
{
    struct {
        const char *path;
        int status;
    } cases [] = {
        { "/api/v1/summary?period=2021-Q5", 404 },
        { "/api/v1/summary?period=nonsense", 404 },
        { "/api/v1/summary?period=2030-Q1", 404 },
        { "/api/v1/ranking?period=2021-Q1&level=tinh", 400 },
        { "/api/v1/units/NOPE?period=2021-Q1", 404 },
        { "/api/v1/units/bad%20code", 404 },
        { "/api/v1/trend?code=nope", 404 },
        { "/api/v1/trend?code=index&count=0", 400 },
        { "/api/v1/explain?period=2021-Q1&unit=SNV", 400 },
        { "/api/v1/nothing", 404 },
        { "/api/v2/periods", 404 },
        { "/export/ranking.pdf", 404 },
        { "/export/ranking.csv?period=2021-Q9", 404 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        int status;
        json_t *j = s_get_json (cases [i].path, &status);
        if (status != cases [i].status)
            fprintf (stderr, "%s: %d\n", cases [i].path, status);
        CHECK_EQ_INT (status, cases [i].status);
        CHECK (s_is_error (j, cases [i].status));
        json_decref (j);
    }
    const char *methods [] = { "POST", "PUT", "DELETE", "PATCH" };
    for (size_t i = 0; i < 4; i++) {
        cchc_http_reply_t r;
        CHECK (cchc_http_request (s_port, methods [i], "/api/v1/summary", NULL, &r) == 0);
        CHECK_EQ_INT (r.status, 405);
        char allow [64];
        CHECK (cchc_http_reply_header (&r, "Allow", allow, sizeof allow));
        CHECK_EQ_STR (allow, "GET, HEAD");
        json_t *j = json_loadb (r.body, r.size, 0, NULL);
        CHECK (s_is_error (j, 405));
        json_decref (j);
        cchc_http_reply_free (&r);
    }
    /* HEAD: headers, no body */
    cchc_http_reply_t r;
    CHECK (cchc_http_request (s_port, "HEAD", "/api/v1/summary?period=2021-Q1", NULL, &r)
           == 0);
    CHECK_EQ_INT (r.status, 200);
    CHECK_EQ_INT (r.size, 0);
    cchc_http_reply_free (&r);
}

static void
test_etag_and_static (void)
{
    cchc_http_reply_t r;
    CHECK (cchc_http_get (s_port, "/api/v1/ranking?period=2021-Q1&level=so", &r) == 0);
    CHECK_EQ_INT (r.status, 200);
    char etag [80], extra [160], ct [80];
    CHECK (cchc_http_reply_header (&r, "ETag", etag, sizeof etag));
    CHECK (cchc_http_reply_header (&r, "Content-Type", ct, sizeof ct));
    CHECK (strstr (ct, "application/json"));
    CHECK (cchc_http_reply_header (&r, "Content-Security-Policy", ct, sizeof ct));
    cchc_http_reply_free (&r);
    snprintf (extra, sizeof extra, "If-None-Match: %s\r\n", etag);
    CHECK (
        cchc_http_request (s_port, "GET", "/api/v1/ranking?period=2021-Q1&level=so", extra, &r)
        == 0);
    CHECK_EQ_INT (r.status, 304);
    CHECK_EQ_INT (r.size, 0);
    cchc_http_reply_free (&r);

    CHECK (cchc_http_get (s_port, "/", &r) == 0);
    CHECK_EQ_INT (r.status, 200);
    CHECK (cchc_http_reply_header (&r, "Content-Type", ct, sizeof ct));
    CHECK (strstr (ct, "text/html"));
    CHECK (strstr (r.body, "<html"));
    CHECK (strstr (r.body, "app.js"));
    cchc_http_reply_free (&r);
    const char *assets [] = { "/app.js", "/app.css", "/index.html" };
    for (size_t i = 0; i < 3; i++) {
        CHECK (cchc_http_get (s_port, assets [i], &r) == 0);
        CHECK_EQ_INT (r.status, 200);
        CHECK (r.size > 100);
        /* no CDN, no external fonts: nothing is loaded from elsewhere */
        const char *outside [] = { "src=\"http", "href=\"http", "url(http",   "url('http",
                                   "@import",    "//cdn",       "googleapis", "fetch('http" };
        for (size_t k = 0; k < sizeof outside / sizeof outside [0]; k++)
            CHECK (!strstr (r.body, outside [k]));
        cchc_http_reply_free (&r);
    }
    CHECK (cchc_http_get (s_port, "/nothing.html", &r) == 0);
    CHECK_EQ_INT (r.status, 404);
    cchc_http_reply_free (&r);
    CHECK (cchc_http_get (s_port, "/../etc/passwd", &r) == 0);
    CHECK (r.status == 404 || r.status == 400);
    cchc_http_reply_free (&r);
}

static bool
s_has (const char *buf, size_t len, const char *needle)
{
    size_t n = strlen (needle);
    for (size_t i = 0; n <= len && i <= len - n; i++)
        if (memcmp (buf + i, needle, n) == 0)
            return true;
    return false;
}

static void
test_exports (void)
{
    cchc_http_reply_t r;
    CHECK (cchc_http_get (s_port, "/export/ranking.xlsx?period=2021-Q1&level=xa", &r) == 0);
    CHECK_EQ_INT (r.status, 200);
    char ct [128], cd [160];
    CHECK (cchc_http_reply_header (&r, "Content-Type", ct, sizeof ct));
    CHECK (strstr (ct, "spreadsheetml"));
    CHECK (cchc_http_reply_header (&r, "Content-Disposition", cd, sizeof cd));
    CHECK (strstr (cd, "attachment") && strstr (cd, ".xlsx"));
    CHECK (r.size > 4000);
    CHECK (memcmp (r.body, "PK\x03\x04", 4) == 0);
    CHECK (s_has (r.body, r.size, "PK\x05\x06")); /* end of central directory */
    CHECK (s_has (r.body, r.size, "[Content_Types].xml"));
    CHECK (s_has (r.body, r.size, "xl/workbook.xml"));
    CHECK (s_has (r.body, r.size, "xl/worksheets/sheet1.xml"));
    char path [1100];
    snprintf (path, sizeof path, "%s/ranking-2021-Q1-xa.xlsx", s_dir);
    FILE *f = fopen (path, "wb");
    CHECK (f);
    CHECK (fwrite (r.body, 1, r.size, f) == r.size);
    fclose (f);
    cchc_http_reply_free (&r);
    if (access ("/usr/bin/unzip", X_OK) == 0) {
        char cmd [1200];
        snprintf (cmd, sizeof cmd, "unzip -tq '%s' >/dev/null 2>&1", path);
        CHECK (system (cmd) == 0);
    }

    CHECK (cchc_http_get (s_port, "/export/ranking.xlsx?period=2021-Q1", &r) == 0);
    CHECK_EQ_INT (r.status, 200);
    CHECK (s_has (r.body, r.size, "xl/worksheets/sheet3.xml"));
    cchc_http_reply_free (&r);

    /* CSV: BOM, one row per commune, the first row is rank 1 with its index */
    cchc_rollup_t *roll = s_rollup ("2021-Q1");
    CHECK (roll);
    CHECK (cchc_http_get (s_port, "/export/ranking.csv?period=2021-Q1&level=xa", &r) == 0);
    CHECK_EQ_INT (r.status, 200);
    CHECK (memcmp (r.body, "\xEF\xBB\xBF", 3) == 0);
    size_t lines = 0;
    for (size_t i = 0; i < r.size; i++)
        lines += r.body [i] == '\n';
    CHECK_EQ_INT (lines, 1 + 23);
    CHECK (strstr (r.body, "Phường Ỷ La"));
    int best = -1;
    for (size_t i = 0; i < roll->unit_count; i++)
        if (roll->units [i].level == CCHC_LEVEL_XA && roll->units [i].rank == 1)
            best = (int) i;
    CHECK (best >= 0);
    char row [256];
    snprintf (row, sizeof row, "\r\n1,%s,%s,Thành phố Tuyên Quang,%.10g,",
              roll->units [best].code, roll->units [best].name, roll->units [best].index);
    if (strcmp (roll->units [best].parent, "071") == 0)
        snprintf (row, sizeof row, "\r\n1,%s,%s,Huyện Lâm Bình,%.10g,",
                  roll->units [best].code, roll->units [best].name, roll->units [best].index);
    CHECK (strstr (r.body, row));
    cchc_http_reply_free (&r);
    cchc_rollup_destroy (&roll);

    const char *others [] = { "/export/summary.xlsx?period=2021-Q1",
                              "/export/summary.csv?period=2021-Q1",
                              "/export/status.xlsx?period=2021-Q4",
                              "/export/status.csv?period=2021-Q4" };
    for (size_t i = 0; i < 4; i++) {
        CHECK (cchc_http_get (s_port, others [i], &r) == 0);
        CHECK_EQ_INT (r.status, 200);
        CHECK (r.size > 500);
        cchc_http_reply_free (&r);
    }
    CHECK (cchc_http_get (s_port, "/export/status.csv?period=2021-Q4", &r) == 0);
    CHECK (strstr (r.body, "Sở Ngoại vụ"));
    CHECK (strstr (r.body, "Trễ hạn"));
    /* the agent clock the dashboard shows, in whole seconds (fixture: 185 s ahead) */
    CHECK (strstr (r.body, ",\"Lệch đồng hồ (giây, làm tròn; dương: nhanh, âm: chậm)\"\r\n"));
    CHECK (strstr (r.body, ",Xã Lưỡng Vượng,") && strstr (r.body, ",48,0,185\r\n"));
    cchc_http_reply_free (&r);
}

static void
test_token (void)
{
    char err [256];
    cchc_http_config_t conf = { .address = "127.0.0.1",
                                .port = 0,
                                .token = "s3cret-token-0123456789",
                                .db_path = s_db,
                                .criteria = s_cat };
    cchc_http_t *h = cchc_http_new (&conf, err, sizeof err);
    CHECK (h);
    int port = cchc_http_port (h);
    cchc_http_reply_t r;
    CHECK (cchc_http_get (port, "/api/v1/periods", &r) == 0);
    CHECK_EQ_INT (r.status, 401);
    json_t *j = json_loadb (r.body, r.size, 0, NULL);
    CHECK (s_is_error (j, 401));
    json_decref (j);
    cchc_http_reply_free (&r);
    CHECK (cchc_http_get (port, "/export/ranking.csv?period=2021-Q1&level=so", &r) == 0);
    CHECK_EQ_INT (r.status, 401);
    cchc_http_reply_free (&r);
    CHECK (cchc_http_request (port, "GET", "/api/v1/periods",
                              "Authorization: Bearer s3cret-token-0123456789\r\n", &r)
           == 0);
    CHECK_EQ_INT (r.status, 200);
    cchc_http_reply_free (&r);
    CHECK (cchc_http_request (port, "GET", "/api/v1/periods",
                              "Authorization: Bearer s3cret-token-012345678\r\n", &r)
           == 0);
    CHECK_EQ_INT (r.status, 401);
    cchc_http_reply_free (&r);
    CHECK (cchc_http_get (port, "/api/v1/periods?token=s3cret-token-0123456789", &r) == 0);
    CHECK_EQ_INT (r.status, 200);
    cchc_http_reply_free (&r);
    CHECK (cchc_http_get (port, "/", &r) == 0); /* static files hold no data */
    CHECK_EQ_INT (r.status, 200);
    cchc_http_reply_free (&r);
    cchc_http_destroy (&h);
    CHECK (h == NULL);
    cchc_http_destroy (&h);
}

static void
test_refuse_without_token (void)
{
    char err [256] = "";
    const char *addresses [] = { "0.0.0.0", "::", "192.168.1.10" };
    for (size_t i = 0; i < 3; i++) {
        cchc_http_config_t conf = {
            .address = addresses [i], .port = 0, .db_path = s_db, .criteria = s_cat
        };
        err [0] = '\0';
        cchc_http_t *h = cchc_http_new (&conf, err, sizeof err);
        CHECK (h == NULL);
        CHECK (strstr (err, "token"));
    }
    /* a short token is refused too */
    cchc_http_config_t conf = {
        .address = "0.0.0.0", .port = 0, .token = "short", .db_path = s_db, .criteria = s_cat
    };
    CHECK (cchc_http_new (&conf, err, sizeof err) == NULL);
    /* not an address literal */
    conf = (cchc_http_config_t){
        .address = "localhost", .port = 0, .db_path = s_db, .criteria = s_cat
    };
    CHECK (cchc_http_new (&conf, err, sizeof err) == NULL);
    CHECK (strstr (err, "address"));
    /* an unreadable database */
    conf =
        (cchc_http_config_t){ .port = 0, .db_path = "/nonexistent/x.db", .criteria = s_cat };
    CHECK (cchc_http_new (&conf, err, sizeof err) == NULL);
    /* with a token, any address is accepted */
    conf = (cchc_http_config_t){ .address = "0.0.0.0",
                                 .port = 0,
                                 .token = "another-long-token-42",
                                 .db_path = s_db,
                                 .criteria = s_cat };
    cchc_http_t *h = cchc_http_new (&conf, err, sizeof err);
    if (!h)
        fprintf (stderr, "0.0.0.0 with a token: %s\n", err);
    CHECK (h);
    cchc_http_destroy (&h);
    CHECK (cchc_http_address_is_loopback ("127.0.0.1"));
    CHECK (cchc_http_address_is_loopback ("127.8.9.1"));
    CHECK (cchc_http_address_is_loopback ("::1"));
    CHECK (!cchc_http_address_is_loopback ("128.0.0.1"));
    CHECK (!cchc_http_address_is_loopback ("::"));
    CHECK (!cchc_http_address_is_loopback ("localhost"));
}

/*  CSV formula injection (issue 13 item 9): text cells that a spreadsheet
    would run as a formula get a leading single quote; numbers, negative ones
    included, stay numbers.  A database of its own with hostile unit names. */
static void
test_csv_formula (void)
{
    char db [1100], err [512];
    snprintf (db, sizeof db, "%s/test_csv_formula.db", s_dir);
    cchc_fixture_t f = { .generated_units = 0,
                         .year = 2021,
                         .quarters = 2,
                         .days_per_month = 1,
                         .last_seen_ms = s_now - 3600 * 1000 };
    CHECK (cchc_fixture_build (db, s_criteria, &f, err, sizeof err) == 0);
    sqlite3 *rw = NULL;
    CHECK (sqlite3_open (db, &rw) == SQLITE_OK);
    CHECK (sqlite3_exec (
               rw,
               "UPDATE unit SET name = '=HYPERLINK(\"http://evil.example/\",\"Bấm\")' WHERE "
               "code = 'SNV';"
               "UPDATE unit SET name = '+cmd|'' /C calc''!A0' WHERE code = 'STP';"
               "UPDATE unit SET name = '@SUM(1+1)*cmd|'' /C calc''!A0' WHERE code = 'SXD';"
               "UPDATE unit SET name = '-2+3+cmd|'' /C calc''!A0' WHERE code = 'SNGV';"
               "UPDATE unit SET name = char(9) || '=1+2' WHERE code = 'SYT';",
               NULL, NULL, NULL)
           == SQLITE_OK);
    sqlite3_close (rw);
    cchc_http_config_t conf = { .port = 0, .db_path = db, .criteria = s_cat, .threads = 2 };
    cchc_http_t *h = cchc_http_new (&conf, err, sizeof err);
    CHECK (h);
    int port = cchc_http_port (h);
    const char *paths [] = { "/export/ranking.csv?period=2021-Q2&level=so",
                             "/export/ranking.csv?period=2021-Q2",
                             "/export/status.csv?period=2021-Q2" };
    const char *safe [] = { ",\"'=HYPERLINK(\"\"http://evil.example/\"\",\"\"Bấm\"\")\",",
                            ",\"'+cmd|' /C calc'!A0\",", ",\"'@SUM(1+1)*cmd|' /C calc'!A0\",",
                            ",\"'-2+3+cmd|' /C calc'!A0\",", ",\"'\t=1+2\"," };
    bool negative_number = false;
    for (size_t i = 0; i < 3; i++) {
        cchc_http_reply_t r;
        CHECK (cchc_http_get (port, paths [i], &r) == 0);
        CHECK_EQ_INT (r.status, 200);
        for (size_t k = 0; k < sizeof safe / sizeof safe [0]; k++) {
            if (!strstr (r.body, safe [k]))
                fprintf (stderr, "%s: missing %s\n", paths [i], safe [k]);
            CHECK (strstr (r.body, safe [k]));
        }
        /* no field of the file starts with a formula character unquoted */
        const char *p = r.body;
        bool at_field = true, quoted = false;
        for (; *p; p++) {
            if (at_field && !quoted && strchr ("=+@\t", *p))
                break;
            if (at_field && *p == '-' && !(p [1] >= '0' && p [1] <= '9'))
                break;
            if (at_field && *p == '-')
                negative_number = true;
            at_field = false;
            if (*p == '"')
                quoted = !quoted;
            else if (!quoted && (*p == ',' || *p == '\n'))
                at_field = true;
        }
        if (*p)
            fprintf (stderr, "%s: formula cell at: %.60s\n", paths [i], p);
        CHECK (*p == '\0');
        cchc_http_reply_free (&r);
    }
    /* the ranking's change column holds negative numbers, still bare numbers */
    CHECK (negative_number);
    cchc_http_destroy (&h);
}

/*  New data reaches the API without a restart: a correction for SNV in
    2021-Q3 changes its figures. */
static void
test_invalidation (void)
{
    int status;
    json_t *before = s_get_json ("/api/v1/units/SNV?period=2021-Q3", &status);
    CHECK_EQ_INT (status, 200);
    double old_index =
        json_number_value (json_object_get (json_object_get (before, "unit"), "index"));
    json_decref (before);

    sqlite3 *rw = NULL;
    CHECK (sqlite3_open (s_db, &rw) == SQLITE_OK);
    sqlite3_busy_timeout (rw, 5000);
    CHECK (sqlite3_exec (
               rw,
               "BEGIN;"
               "INSERT INTO journal (id, agent, seq, received_at, body, sig)"
               "  SELECT max(id) + 1, (SELECT id FROM agent WHERE unit = 'SNV'), 100000,"
               "         1631000000000, x'00', zeroblob(64) FROM journal;"
               "INSERT OR REPLACE INTO observation (agent, unit, metric, day, value, seq, "
               "journal)"
               "  SELECT (SELECT id FROM agent WHERE unit = 'SNV'), 'SNV', "
               "'docs_sent_electronic',"
               "         20210801, 0, 100000, max(id) FROM journal;"
               "INSERT OR REPLACE INTO observation (agent, unit, metric, day, value, seq, "
               "journal)"
               "  SELECT (SELECT id FROM agent WHERE unit = 'SNV'), 'SNV', 'docs_sent',"
               "         20210801, 100000, 100000, max(id) FROM journal;"
               "COMMIT;",
               NULL, NULL, NULL)
           == SQLITE_OK);
    sqlite3_close (rw);

    cchc_rollup_t *r = s_rollup ("2021-Q3");
    CHECK (r);
    int ui = cchc_rollup_unit_find (r, "SNV");
    double new_index = r->units [ui].index;
    CHECK (new_index < old_index - 1);
    bool seen = false;
    for (int i = 0; i < 100 && !seen; i++) {
        usleep (100 * 1000);
        json_t *j = s_get_json ("/api/v1/units/SNV?period=2021-Q3", &status);
        double v = json_number_value (json_object_get (json_object_get (j, "unit"), "index"));
        seen = status == 200 && v == new_index;
        json_decref (j);
    }
    CHECK (seen);
    /* the ranking blob follows too */
    json_t *j = s_get_json ("/api/v1/ranking?period=2021-Q3&level=so", &status);
    json_t *ju = s_find (json_object_get (j, "units"), "code", "SNV");
    CHECK (s_eq (json_object_get (ju, "index"), new_index));
    CHECK_EQ_INT (json_integer_value (json_object_get (ju, "rank")), r->units [ui].rank);
    json_decref (j);
    cchc_rollup_destroy (&r);
}

int
main (int argc, char **argv)
{
    cchc_log_init ("test_api", CCHC_LOG_WARN);
    snprintf (s_dir, sizeof s_dir, "%s", argc > 1 ? argv [1] : ".");
    mkdir (s_dir, 0755);
    snprintf (s_db, sizeof s_db, "%s/test_api.db", s_dir);
    /* 20/12/2021 10:00 local: Q1–Q3 locked, Q4 closed (due day passed, lock
       day not yet), 2022-Q1 running */
    if (cchc_clock_parse_iso ("2021-12-20T03:00:00Z", &s_now) != 0)
        return 1;
    cchc_clock_set_fake (s_now);
    char err [512];
    cchc_fixture_t f = { .generated_units = 0,
                         .year = 2021,
                         .quarters = 4,
                         .days_per_month = 4,
                         .last_seen_ms = s_now - 3600 * 1000 };
    if (cchc_fixture_build (s_db, s_criteria, &f, err, sizeof err) != 0) {
        fprintf (stderr, "fixture: %s\n", err);
        return 1;
    }
    s_cat = cchc_criteria_load (s_criteria, err, sizeof err);
    if (!s_cat || sqlite3_open_v2 (s_db, &s_ro, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf (stderr, "setup: %s\n", err);
        return 1;
    }
    cchc_http_config_t conf = { .port = 0,
                                .db_path = s_db,
                                .criteria = s_cat,
                                .poll_ms = 100,
                                .refresh_ms = 200,
                                .threads = 2 };
    s_http = cchc_http_new (&conf, err, sizeof err);
    if (!s_http) {
        fprintf (stderr, "server: %s\n", err);
        return 1;
    }
    s_port = cchc_http_port (s_http);

    CCHC_TEST_RUN (test_periods);
    CCHC_TEST_RUN (test_summary_equals_rollup);
    CCHC_TEST_RUN (test_ranking_equals_rollup);
    CCHC_TEST_RUN (test_unit);
    CCHC_TEST_RUN (test_status);
    CCHC_TEST_RUN (test_trend);
    CCHC_TEST_RUN (test_agents_health);
    CCHC_TEST_RUN (test_errors);
    CCHC_TEST_RUN (test_etag_and_static);
    CCHC_TEST_RUN (test_exports);
    CCHC_TEST_RUN (test_csv_formula);
    CCHC_TEST_RUN (test_token);
    CCHC_TEST_RUN (test_refuse_without_token);
    CCHC_TEST_RUN (test_invalidation);

    cchc_http_destroy (&s_http);
    sqlite3_close (s_ro);
    cchc_criteria_destroy (&s_cat);
    return CCHC_TEST_DONE ();
}
