/*  test_rollup.c — the roll-up engine on the hand-computed province of
    fixture.c (expected figures are derived there, row by row), through the
    pure core and through the SQLite loader; window edges (14th vs 15th),
    gauges carried from before the window, two agents of one unit, missing
    data vs zero denominator, ties, pending vs late, explanations; and
    consistency between periods on a generated year of data (a year's
    counters are the sum of its quarters, halves and 9 months agree).
*/
#include "tests/rollup/fixture.h"
#include "collector/db/db.h"
#include "collector/db/delta.h"
#include "collector/db/schema.h"
#include "tests/test.h"

#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#define EPS 1e-9

static cchc_criteria_t *s_cat;
static char s_db_paths [3][64]; /* per fx_mode_t */
static const char *s_db_path;   /* the one in use */

static const cchc_rollup_unit_result_t *
s_unit (const cchc_rollup_t *r, const char *code)
{
    int i = cchc_rollup_unit_find (r, code);
    return i < 0 ? NULL : &r->units [i];
}

static const cchc_rollup_score_t *
s_score (const cchc_rollup_t *r, const char *unit, const char *indicator)
{
    const cchc_rollup_unit_result_t *u = s_unit (r, unit);
    int i = cchc_criteria_indicator_find (r->criteria, indicator);
    return u && i >= 0 ? &u->scores [i] : NULL;
}

static const cchc_rollup_cell_t *
s_cell (const cchc_rollup_t *r, const char *unit, const char *metric)
{
    const cchc_rollup_unit_result_t *u = s_unit (r, unit);
    int m = cchc_criteria_metric_find (r->criteria, metric);
    return u && m >= 0 ? &u->cells [m] : NULL;
}

static const cchc_rollup_figure_t *
s_fig (const cchc_rollup_t *r, const char *indicator, int level)
{
    int i = cchc_criteria_indicator_find (r->criteria, indicator);
    return i < 0 ? NULL : cchc_rollup_figure (r, (size_t) i, level);
}

/*  Core path: fold the fixture rows for `period` and compute. */
static cchc_rollup_t *
s_core (const char *period, int64_t as_of, const cchc_rollup_t *previous)
{
    cchc_period_t p;
    if (cchc_period_parse (period, &p) != 0)
        return NULL;
    cchc_rollup_window_t w;
    cchc_rollup_window (s_cat, &p, as_of, &w);
    size_t nu, nr, np;
    const cchc_rollup_unit_t *units = fx_units (&nu);
    cchc_rollup_row_t *rows = fx_rows (s_cat, &nr);
    cchc_rollup_part_t *parts = NULL;
    char err [256];
    cchc_rollup_t *r = NULL;
    if (rows && cchc_rollup_fold (s_cat, &w, rows, nr, &parts, &np) == 0)
        r = cchc_rollup_compute (s_cat, &w, units, nu, parts, np, previous, err, sizeof err);
    free (rows);
    free (parts);
    return r;
}

/*  Database path. */
static cchc_rollup_t *
s_db (const char *period, int64_t as_of, bool with_previous)
{
    cchc_period_t p;
    if (cchc_period_parse (period, &p) != 0)
        return NULL;
    sqlite3 *db = NULL;
    if (sqlite3_open_v2 (s_db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        sqlite3_close (db);
        return NULL;
    }
    char err [256] = "";
    cchc_rollup_t *r = cchc_rollup_load (db, s_cat, &p, as_of, with_previous, err, sizeof err);
    if (!r)
        fprintf (stderr, "  load: %s\n", err);
    sqlite3_close (db);
    return r;
}

/*  Every hand-computed figure of fixture.c for 2021-Q1, after the lock. */
static void
s_check_q1 (const cchc_rollup_t *r)
{
    CHECK (r);
    CHECK_EQ_STR (r->window.id, "2021-Q1");
    CHECK_EQ_INT (r->window.first_day, 20201215);
    CHECK_EQ_INT (r->window.last_day, 20210314);
    CHECK_EQ_INT (r->window.due_day, 20210318);
    CHECK_EQ_INT (r->window.lock_day, 20210322);
    CHECK_EQ_INT (r->unit_count, 9);

    /* S1: 15/12 and 14/03 in, 14/12 and 15/03 out; gauge from 01/11/2020 */
    const cchc_rollup_cell_t *c = s_cell (r, "S1", "resolved");
    CHECK (c && c->present);
    CHECK_NEAR (c->value, 100, 0);
    CHECK_EQ_INT (c->rows, 2);
    CHECK_EQ_INT (c->day_first, 20201215);
    CHECK_EQ_INT (c->day_last, 20210314);
    CHECK_NEAR (s_cell (r, "S1", "online")->value, 30, 0);
    c = s_cell (r, "S1", "procs");
    CHECK (c->present);
    CHECK_NEAR (c->value, 40, 0);
    CHECK_EQ_INT (c->day_last, 20201101);
    const cchc_rollup_score_t *s = s_score (r, "S1", "online_resolved");
    CHECK_EQ_INT (s->state, CCHC_SCORE_OK);
    CHECK_NEAR (s->numerator, 30, 0);
    CHECK_NEAR (s->denominator, 100, 0);
    CHECK_NEAR (s->value, 0.30, EPS);
    CHECK_NEAR (s->points, 10, EPS);
    s = s_score (r, "S1", "apology");
    CHECK_EQ_INT (s->state, CCHC_SCORE_NOT_APPLICABLE);
    CHECK (s->for_level);
    CHECK_NEAR (s->denominator, 0, 0);
    CHECK (isnan (s->value));
    CHECK_NEAR (s->points_max, 0, 0);
    CHECK_NEAR (s_score (r, "S1", "workfiles")->points, 10, EPS);
    CHECK_NEAR (s_score (r, "S1", "services")->value, 0.65, EPS);
    CHECK_NEAR (s_score (r, "S1", "services")->points, 5, EPS);
    CHECK_NEAR (s_score (r, "S1", "discipline")->points, 5, 0);
    CHECK_NEAR (s_score (r, "S1", "report_on_time")->points, 5, 0);
    const cchc_rollup_unit_result_t *u = s_unit (r, "S1");
    CHECK (u->on_time && u->complete && !u->pending);
    CHECK_NEAR (u->earned, 35, EPS);
    CHECK_NEAR (u->applicable, 35, EPS);
    CHECK_NEAR (u->index, 100, EPS);
    CHECK_EQ_INT (u->rank, 1);
    CHECK_EQ_STR (u->grade, "Tốt");

    /* S2: two agents summed; gauge on the unit's latest day; late */
    c = s_cell (r, "S2", "resolved");
    CHECK_NEAR (c->value, 100, 0);
    CHECK_EQ_INT (c->agents, 2);
    c = s_cell (r, "S2", "procs");
    CHECK_NEAR (c->value, 40, 0);
    CHECK_EQ_INT (c->agents, 2);
    c = s_cell (r, "S2", "procs_online");
    CHECK_NEAR (c->value, 13, 0);
    CHECK_EQ_INT (c->day_last, 20210310);
    CHECK_EQ_INT (c->agents, 1);
    CHECK_NEAR (s_score (r, "S2", "online_resolved")->value, 0.15, EPS);
    CHECK_NEAR (s_score (r, "S2", "online_resolved")->points, 6, EPS);
    CHECK_NEAR (s_score (r, "S2", "apology")->points, 2.5, EPS);
    CHECK_NEAR (s_score (r, "S2", "workfiles")->points, 5, EPS);
    CHECK_NEAR (s_score (r, "S2", "services")->points, 2.5, EPS);
    CHECK_NEAR (s_score (r, "S2", "discipline")->points, 0, 0);
    s = s_score (r, "S2", "report_on_time");
    CHECK_EQ_INT (s->state, CCHC_SCORE_OK);
    CHECK_NEAR (s->value, 0, 0);
    CHECK_NEAR (s->points, 0, 0);
    CHECK_NEAR (s->points_max, 5, 0);
    u = s_unit (r, "S2");
    CHECK (u->complete && !u->on_time && !u->pending);
    CHECK_EQ_INT (u->last_received_ms, fx_local_ms (20210319, 0, 0));
    CHECK_NEAR (u->earned, 16, EPS);
    CHECK_NEAR (u->applicable, 40, EPS);
    CHECK_NEAR (u->index, 40, EPS);
    CHECK_EQ_INT (u->rank, 3);
    int a = 0; /* area a: online_resolved + apology */
    CHECK_NEAR (u->area_earned [a], 8.5, EPS);
    CHECK_NEAR (u->area_applicable [a], 15, EPS);
    CHECK_NEAR (u->area_earned [1], 7.5, EPS);
    CHECK_NEAR (u->area_earned [2], 0, EPS);
    CHECK_NEAR (u->area_applicable [2], 10, EPS);

    /* S3: zero denominator beats a missing numerator; missing workfiles */
    s = s_score (r, "S3", "apology");
    CHECK_EQ_INT (s->state, CCHC_SCORE_NOT_APPLICABLE);
    CHECK (isnan (s->numerator));
    s = s_score (r, "S3", "workfiles");
    CHECK_EQ_INT (s->state, CCHC_SCORE_MISSING);
    CHECK (isnan (s->value)); /* never a zero rate */
    CHECK (isnan (s->numerator) && isnan (s->denominator));
    CHECK_NEAR (s->points, 0, 0);
    CHECK_NEAR (s->points_max, 10, 0);
    u = s_unit (r, "S3");
    CHECK (!u->complete && !u->on_time);
    CHECK_EQ_INT (u->metrics_expected, 9);
    CHECK_EQ_INT (u->metrics_reported, 6);
    CHECK_EQ_INT (u->indicators_missing, 1);
    CHECK_NEAR (u->earned, 20, EPS);
    CHECK_NEAR (u->applicable, 35, EPS);
    CHECK_NEAR (u->index, 100.0 * 20 / 35, EPS);
    CHECK_EQ_INT (u->rank, 2);
    CHECK_EQ_STR (u->grade, "Đạt");

    /* H1: arrived 23:59:59.999 on the due day: on time */
    u = s_unit (r, "H1");
    CHECK (u->on_time);
    CHECK_EQ_INT (u->last_received_ms, r->window.due_ms - 1);
    CHECK_NEAR (s_score (r, "H1", "online_resolved")->points, 5, EPS);
    CHECK_NEAR (s_score (r, "H1", "services")->points, 4, EPS);
    CHECK_NEAR (u->index, 85, EPS);
    CHECK_EQ_INT (u->rank, 1);
    /* H2: resolved 0 → not applicable; gauge of 15/03 not taken */
    s = s_score (r, "H2", "online_resolved");
    CHECK_EQ_INT (s->state, CCHC_SCORE_NOT_APPLICABLE);
    CHECK_NEAR (s_cell (r, "H2", "procs")->value, 10, 0);
    CHECK_NEAR (s_score (r, "H2", "workfiles")->points, 2.5, EPS);
    u = s_unit (r, "H2");
    CHECK_NEAR (u->earned, 12.5, EPS);
    CHECK_NEAR (u->applicable, 30, EPS);
    CHECK_NEAR (u->index, 100.0 * 12.5 / 30, EPS);
    CHECK_EQ_INT (u->rank, 2);

    /* xa: services is not for the level; a tie shares rank 2, then 4 */
    s = s_score (r, "X1", "services");
    CHECK_EQ_INT (s->state, CCHC_SCORE_NOT_APPLICABLE);
    CHECK (!s->for_level);
    CHECK_NEAR (s_unit (r, "X1")->index, 80, EPS);
    CHECK_NEAR (s_unit (r, "X2")->index, 80, EPS);
    CHECK_NEAR (s_unit (r, "X3")->index, 100.0 * 30 / 35, EPS);
    CHECK_EQ_INT (s_unit (r, "X3")->rank, 1);
    CHECK_EQ_INT (s_unit (r, "X1")->rank, 2);
    CHECK_EQ_INT (s_unit (r, "X2")->rank, 2);
    CHECK_EQ_INT (s_unit (r, "X4")->rank, 4);
    CHECK_EQ_INT (s_unit (r, "X3")->metrics_expected, 7);
    CHECK_EQ_INT (s_unit (r, "X3")->metrics_reported, 7);
    CHECK (s_unit (r, "X3")->complete);
    /* X4: no data at all: missing, never a zero rate; 0 of 35 */
    u = s_unit (r, "X4");
    CHECK_EQ_INT (s_score (r, "X4", "online_resolved")->state, CCHC_SCORE_MISSING);
    CHECK_EQ_INT (s_score (r, "X4", "apology")->state, CCHC_SCORE_MISSING);
    CHECK_EQ_INT (s_score (r, "X4", "discipline")->state, CCHC_SCORE_MISSING);
    CHECK_EQ_INT (u->indicators_missing, 4);
    CHECK_NEAR (u->applicable, 35, EPS);
    CHECK_NEAR (u->index, 0, 0);
    CHECK_EQ_INT (u->last_received_ms, 0);

    /* province */
    const cchc_rollup_figure_t *f = s_fig (r, "online_resolved", -1);
    CHECK (f);
    CHECK_NEAR (f->numerator, 116, 0);
    CHECK_NEAR (f->denominator, 550, 0);
    CHECK_NEAR (f->value, 116.0 / 550, EPS);
    CHECK_NEAR (f->target, 0.25, EPS);
    CHECK (f->has_value && !f->met);
    CHECK_EQ_INT (f->units, 8);
    CHECK_EQ_INT (f->units_missing, 1);
    CHECK_NEAR (s_fig (r, "online_resolved", CCHC_LEVEL_SO)->value, 95.0 / 400, EPS);
    CHECK_NEAR (s_fig (r, "online_resolved", CCHC_LEVEL_HUYEN)->value, 10.0 / 80, EPS);
    CHECK_EQ_INT (s_fig (r, "online_resolved", CCHC_LEVEL_HUYEN)->units, 2);
    CHECK_NEAR (s_fig (r, "online_resolved", CCHC_LEVEL_XA)->value, 11.0 / 70, EPS);
    f = s_fig (r, "workfiles", CCHC_LEVEL_SO);
    CHECK_NEAR (f->value, 123.0 / 200, EPS);
    CHECK_NEAR (f->target, 0.82, EPS);
    CHECK_EQ_INT (f->units_missing, 1);
    CHECK (!f->met);
    CHECK_NEAR (s_fig (r, "workfiles", CCHC_LEVEL_HUYEN)->value, 93.0 / 300, EPS);
    f = s_fig (r, "workfiles", CCHC_LEVEL_XA);
    CHECK_NEAR (f->numerator, 35, 0);
    CHECK_NEAR (f->denominator, 100, 0);
    CHECK_NEAR (f->target, 0.35, EPS);
    CHECK (f->met);
    f = s_fig (r, "workfiles", -1);
    CHECK_NEAR (f->value, 251.0 / 600, EPS);
    CHECK (isnan (f->target) && !f->met);
    f = s_fig (r, "services", -1);
    CHECK_NEAR (f->value, 88.0 / 160, EPS);
    CHECK (s_fig (r, "services", CCHC_LEVEL_XA) == NULL);
    CHECK_NEAR (s_fig (r, "apology", -1)->value, 5.0 / 8, EPS);
    f = s_fig (r, "discipline", -1);
    CHECK_NEAR (f->value, 4, 0);
    CHECK (isnan (f->denominator) && !f->met);
    CHECK (s_fig (r, "report_on_time", -1) == NULL);

    /* distribution */
    const cchc_rollup_dist_t *d = &r->dist [CCHC_LEVEL_SO];
    CHECK_EQ_INT (d->units, 3);
    CHECK_EQ_INT (d->ranked, 3);
    CHECK_NEAR (d->min, 40, EPS);
    CHECK_NEAR (d->median, 100.0 * 20 / 35, EPS);
    CHECK_NEAR (d->max, 100, EPS);
    CHECK_NEAR (d->mean, (100 + 40 + 100.0 * 20 / 35) / 3, EPS);
    CHECK_EQ_INT (d->grade_counts [0], 1); /* Tốt: S1 */
    CHECK_EQ_INT (d->grade_counts [1], 1); /* Đạt: S3 */
    CHECK_EQ_INT (d->grade_counts [2], 1); /* Chưa đạt: S2 */
    CHECK_EQ_INT (d->incomplete, 1);       /* S3 */
    CHECK_EQ_INT (d->late, 1);             /* S2 */
    d = &r->dist [CCHC_LEVEL_XA];
    CHECK_NEAR (d->median, 80, EPS);
    CHECK_NEAR (d->min, 0, 0);
    d = &r->dist [CCHC_LEVEL_COUNT];
    CHECK_EQ_INT (d->units, 9);
    CHECK_NEAR (d->median, 80, EPS); /* 0 40 41.7 57.1 80 80 85 85.7 100 */
    CHECK_EQ_INT (d->incomplete, 2);
}

static void
test_q1_core (void)
{
    cchc_rollup_t *r = s_core ("2021-Q1", fx_local_ms (20210325, 9, 0), NULL);
    s_check_q1 (r);
    CHECK (r && !r->has_previous);
    cchc_rollup_destroy (&r);
    CHECK (r == NULL);
}

static void
s_q1_database (void)
{
    cchc_rollup_t *r = s_db ("2021-Q1", fx_local_ms (20210325, 9, 0), true);
    s_check_q1 (r);
    CHECK (r);
    /* OLD is not valid in the window; "foo" is not in the catalogue */
    CHECK (cchc_rollup_unit_find (r, "OLD") < 0);
    CHECK (cchc_rollup_unit_find (r, "08") < 0);
    CHECK_EQ_INT (r->parts_ignored, 1);
    CHECK_EQ_INT (s_cell (r, "S1", "resolved")->journal_max, 2);
    CHECK_EQ_INT (s_cell (r, "S1", "resolved")->received_max, fx_local_ms (20210316, 10, 0));
    /* against 2020-Q4, which saw only S1's 14/12 row and its carried gauge */
    CHECK (r->has_previous);
    char prev [CCHC_PERIOD_ID_MAX];
    cchc_period_format (&r->previous, prev, sizeof prev);
    CHECK_EQ_STR (prev, "2020-Q4");
    const cchc_rollup_unit_result_t *u = s_unit (r, "S1");
    CHECK (u->has_change);
    CHECK_NEAR (u->change, 100, EPS);
    CHECK_EQ_INT (u->prev_rank, 1);
    /* S2 had no data at all in 2020-Q4: no change, no previous rank */
    CHECK (!s_unit (r, "S2")->has_change);
    CHECK_EQ_INT (s_unit (r, "S2")->prev_rank, 0);
    cchc_rollup_destroy (&r);

    /* inside a transaction the caller has open */
    sqlite3 *db = NULL;
    CHECK (sqlite3_open_v2 (s_db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
    CHECK (fx_exec (db, "BEGIN") == 0);
    cchc_period_t q1;
    cchc_period_parse ("2021-Q1", &q1);
    char err [256];
    r = cchc_rollup_load (db, s_cat, &q1, fx_local_ms (20210325, 9, 0), true, err, sizeof err);
    CHECK (r);
    CHECK_NEAR (s_unit (r, "S2")->index, 40, EPS);
    cchc_rollup_destroy (&r);
    CHECK (fx_exec (db, "COMMIT") == 0);
    sqlite3_close (db);

    r = s_db ("2020-Q4", fx_local_ms (20210325, 9, 0), false);
    CHECK (r);
    CHECK_NEAR (s_cell (r, "S1", "resolved")->value, 1000, 0);
    CHECK_NEAR (s_cell (r, "S1", "procs")->value, 40, 0);
    CHECK_EQ_INT (s_score (r, "S1", "online_resolved")->state, CCHC_SCORE_MISSING);
    CHECK_NEAR (s_unit (r, "S1")->index, 0, 0);
    cchc_rollup_destroy (&r);
}

static void
test_q1_database (void)
{
    for (int mode = 0; mode < 3; mode++) {
        s_db_path = s_db_paths [mode];
        s_q1_database ();
        if (cchc_test_cur_) {
            fprintf (stderr, "  (database mode %d)\n", mode);
            return;
        }
    }
}

/*  The 14th belongs to Q1, the 15th to Q2 — in every path. */
static void
test_window_edges (void)
{
    int64_t as_of = fx_local_ms (20210625, 9, 0);
    for (int path = 0; path < 4; path++) {
        s_db_path = s_db_paths [path ? path - 1 : 0];
        cchc_rollup_t *q2 =
            path ? s_db ("2021-Q2", as_of, false) : s_core ("2021-Q2", as_of, NULL);
        CHECK (q2);
        CHECK_NEAR (s_cell (q2, "S1", "online")->value, 50, 0);
        CHECK_EQ_INT (s_cell (q2, "S1", "online")->day_first, 20210315);
        CHECK (!s_cell (q2, "S1", "resolved")->present);
        CHECK_EQ_INT (s_score (q2, "S1", "online_resolved")->state, CCHC_SCORE_MISSING);
        /* H2's gauge of 15/03 (999) is Q2's */
        CHECK_NEAR (s_cell (q2, "H2", "procs")->value, 999, 0);
        CHECK_EQ_INT (s_cell (q2, "H2", "procs")->day_last, 20210315);
        /* gauges carry into Q2 with no new value */
        CHECK_NEAR (s_cell (q2, "S1", "procs")->value, 40, 0);
        cchc_rollup_destroy (&q2);
        /* month 2021-03 is 15/02..14/03, month 2021-04 starts on 15/03 */
        cchc_rollup_t *m3 =
            path ? s_db ("2021-03", as_of, false) : s_core ("2021-03", as_of, NULL);
        CHECK (m3);
        CHECK_NEAR (s_cell (m3, "S1", "resolved")->value, 60, 0);
        CHECK_NEAR (s_cell (m3, "S1", "online")->value, 30, 0);
        cchc_rollup_destroy (&m3);
    }
}

/*  Before the due day, incomplete data is pending (missing), not late. */
static void
test_pending_before_due (void)
{
    cchc_rollup_t *r = s_core ("2021-Q1", fx_local_ms (20210316, 12, 0), NULL);
    CHECK (r);
    const cchc_rollup_unit_result_t *u = s_unit (r, "S3");
    CHECK (!u->on_time && u->pending);
    const cchc_rollup_score_t *s = s_score (r, "S3", "report_on_time");
    CHECK_EQ_INT (s->state, CCHC_SCORE_MISSING);
    CHECK_NEAR (s->points_max, 5, 0);
    CHECK_EQ_INT (u->indicators_missing, 2);
    CHECK (s_unit (r, "S1")->on_time);
    CHECK_EQ_INT (s_score (r, "S1", "report_on_time")->state, CCHC_SCORE_OK);
    CHECK_EQ_INT (r->dist [CCHC_LEVEL_SO].late, 0);
    cchc_rollup_destroy (&r);
}

/*  Each level's own due day (Decree 09/2019 Art. 8): with communes due on
    the 16th, districts the 17th, departments the 18th, complete data that
    arrived on 17/03 (noon) is late for a commune, on time for a district
    and a department; on 18/03 late for a district too; data of 16/03 is
    on time everywhere. */
static void
test_level_due_days (void)
{
    FILE *f = fopen (CCHC_SOURCE_DIR "/tests/rollup/small.ini", "r");
    CHECK (f);
    char text [32768];
    size_t len = fread (text, 1, sizeof text - 1, f);
    fclose (f);
    text [len] = 0;
    char *due = strstr (text, "due_day = 18\n");
    CHECK (due);
    char edited [33000];
    snprintf (edited, sizeof edited,
              "%.*sdue_day.so = 18\ndue_day.huyen = 17\n"
              "due_day.xa = 16\n%s",
              (int) (due - text), text, due + strlen ("due_day = 18\n"));
    char err [256];
    cchc_criteria_t *cat =
        cchc_criteria_load_string ("levels.ini", edited, strlen (edited), err, sizeof err);
    if (!cat)
        fprintf (stderr, "  %s\n", err);
    CHECK (cat);
    CHECK_EQ_INT (cchc_criteria_level_due_day (cat, CCHC_LEVEL_XA), 16);
    CHECK_EQ_INT (cchc_criteria_level_due_day (cat, CCHC_LEVEL_HUYEN), 17);
    CHECK_EQ_INT (cchc_criteria_level_due_day (cat, CCHC_LEVEL_SO), 18);
    CHECK_EQ_INT (cchc_criteria_due_day (cat), 18);

    cchc_period_t p;
    CHECK_EQ_INT (cchc_period_parse ("2021-Q1", &p), 0);
    cchc_rollup_window_t w;
    cchc_rollup_window (cat, &p, fx_local_ms (20210325, 12, 0), &w);
    CHECK_EQ_INT (w.level_due_day [CCHC_LEVEL_XA], 20210316);
    CHECK_EQ_INT (w.level_due_day [CCHC_LEVEL_HUYEN], 20210317);
    CHECK_EQ_INT (w.level_due_day [CCHC_LEVEL_SO], 20210318);
    CHECK_EQ_INT (w.due_day, 20210318);
    CHECK_EQ_INT (w.level_due_ms [CCHC_LEVEL_XA], fx_local_ms (20210317, 0, 0));

    /* every unit's rows arrive on 17/03 at noon, local */
    size_t nu, nr, np;
    const cchc_rollup_unit_t *units = fx_units (&nu);
    cchc_rollup_row_t *rows = fx_rows (cat, &nr);
    CHECK (rows);
    for (size_t i = 0; i < nr; i++)
        rows [i].received_at = fx_local_ms (20210317, 12, 0);
    cchc_rollup_part_t *parts = NULL;
    CHECK_EQ_INT (cchc_rollup_fold (cat, &w, rows, nr, &parts, &np), 0);
    cchc_rollup_t *r =
        cchc_rollup_compute (cat, &w, units, nu, parts, np, NULL, err, sizeof err);
    CHECK (r);
    size_t complete [CCHC_LEVEL_COUNT] = { 0 };
    for (size_t i = 0; i < r->unit_count; i++) {
        const cchc_rollup_unit_result_t *u = &r->units [i];
        if (!u->complete)
            continue;
        complete [u->level]++;
        /* a commune (due the 16th): late; a district (the 17th, until its
           end) and a department (the 18th): on time */
        bool not_xa = u->level != CCHC_LEVEL_XA;
        CHECK_EQ_INT (u->on_time, not_xa);
        CHECK (!u->pending);
    }
    CHECK (complete [CCHC_LEVEL_SO] > 0 && complete [CCHC_LEVEL_XA] > 0);
    cchc_rollup_destroy (&r);
    free (parts);

    /* arrived on 18/03: the district is late too */
    for (size_t i = 0; i < nr; i++)
        rows [i].received_at = fx_local_ms (20210318, 8, 0);
    CHECK_EQ_INT (cchc_rollup_fold (cat, &w, rows, nr, &parts, &np), 0);
    r = cchc_rollup_compute (cat, &w, units, nu, parts, np, NULL, err, sizeof err);
    CHECK (r);
    for (size_t i = 0; i < r->unit_count; i++)
        if (r->units [i].complete) {
            bool so = r->units [i].level == CCHC_LEVEL_SO;
            CHECK_EQ_INT (r->units [i].on_time, so);
        }
    CHECK (complete [CCHC_LEVEL_HUYEN] > 0);
    cchc_rollup_destroy (&r);
    free (parts);

    /* arrived on 16/03: every level on time */
    for (size_t i = 0; i < nr; i++)
        rows [i].received_at = fx_local_ms (20210316, 23, 59);
    CHECK_EQ_INT (cchc_rollup_fold (cat, &w, rows, nr, &parts, &np), 0);
    r = cchc_rollup_compute (cat, &w, units, nu, parts, np, NULL, err, sizeof err);
    CHECK (r);
    for (size_t i = 0; i < r->unit_count; i++)
        if (r->units [i].complete)
            CHECK (r->units [i].on_time);
    cchc_rollup_destroy (&r);
    free (parts);
    free (rows);
    cchc_criteria_destroy (&cat);
}

typedef struct {
    int count;
    int64_t journals [8];
    int64_t agents [8];
    int32_t days [8];
    double sum;
} s_seen_t;

static int
s_collect (const cchc_rollup_source_t *row, void *arg)
{
    s_seen_t *seen = arg;
    if (seen->count < 8) {
        seen->journals [seen->count] = row->journal;
        seen->agents [seen->count] = row->agent;
        seen->days [seen->count] = row->day;
    }
    seen->count++;
    seen->sum += row->value;
    return 0;
}

static void
s_explain (void)
{
    sqlite3 *db = NULL;
    CHECK (sqlite3_open_v2 (s_db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
    cchc_period_t p;
    cchc_period_parse ("2021-Q1", &p);
    cchc_rollup_window_t w;
    cchc_rollup_window (s_cat, &p, 0, &w);
    char err [256];
    /* S2 online_resolved: online of agents 21, 22; then resolved of both */
    s_seen_t seen = { 0 };
    CHECK (cchc_rollup_explain (db, s_cat, &w, "S2", "online_resolved", s_collect, &seen, err,
                                sizeof err)
           == 0);
    CHECK_EQ_INT (seen.count, 4);
    CHECK_EQ_INT (seen.journals [0], 14); /* online, agent 21 (fixture row 14) */
    CHECK_EQ_INT (seen.agents [0], 21);
    CHECK_EQ_INT (seen.journals [1], 23); /* online, agent 22 */
    CHECK_EQ_INT (seen.journals [2], 13); /* resolved, agent 21 */
    CHECK_EQ_INT (seen.journals [3], 22);
    CHECK_NEAR (seen.sum, 6 + 9 + 60 + 40, 0);
    /* a gauge: only the unit's latest day */
    memset (&seen, 0, sizeof seen);
    CHECK (cchc_rollup_explain (db, s_cat, &w, "S2", "procs_online", s_collect, &seen, err,
                                sizeof err)
           == 0);
    CHECK_EQ_INT (seen.count, 1);
    CHECK_EQ_INT (seen.agents [0], 21);
    CHECK_EQ_INT (seen.days [0], 20210310);
    /* carried from before the window */
    memset (&seen, 0, sizeof seen);
    CHECK (
        cchc_rollup_explain (db, s_cat, &w, "S1", "procs", s_collect, &seen, err, sizeof err)
        == 0);
    CHECK_EQ_INT (seen.count, 1);
    CHECK_EQ_INT (seen.days [0], 20201101);
    /* counters: only the window's days */
    memset (&seen, 0, sizeof seen);
    CHECK (cchc_rollup_explain (db, s_cat, &w, "S1", "resolved", s_collect, &seen, err,
                                sizeof err)
           == 0);
    CHECK_EQ_INT (seen.count, 2);
    CHECK_NEAR (seen.sum, 100, 0);
    /* nothing for a unit without data; errors for unknown codes */
    memset (&seen, 0, sizeof seen);
    CHECK (cchc_rollup_explain (db, s_cat, &w, "X4", "wf", s_collect, &seen, err, sizeof err)
           == 0);
    CHECK_EQ_INT (seen.count, 0);
    CHECK (
        cchc_rollup_explain (db, s_cat, &w, "X4", "procs", s_collect, &seen, err, sizeof err)
        == 0); /* a gauge with no value at all */
    CHECK_EQ_INT (seen.count, 0);
    CHECK (cchc_rollup_explain (db, s_cat, &w, "S1", "nope", s_collect, &seen, err, sizeof err)
           == -1);
    CHECK (strstr (err, "neither a metric nor an indicator"));
    CHECK (cchc_rollup_explain (db, s_cat, &w, "S1", "report_on_time", s_collect, &seen, err,
                                sizeof err)
           == -1);
    sqlite3_close (db);
}

static void
test_explain (void)
{
    for (int mode = 0; mode < 3; mode++) {
        s_db_path = s_db_paths [mode];
        s_explain ();
        if (cchc_test_cur_) {
            fprintf (stderr, "  (database mode %d)\n", mode);
            return;
        }
    }
}

static void
test_bad_input (void)
{
    cchc_period_t p;
    cchc_period_parse ("2021-Q1", &p);
    cchc_rollup_window_t w;
    cchc_rollup_window (s_cat, &p, 0, &w);
    size_t nu;
    const cchc_rollup_unit_t *units = fx_units (&nu);
    cchc_rollup_part_t part = { .unit = nu, .metric = 0, .rows = 1 };
    char err [256] = "";
    CHECK (cchc_rollup_compute (s_cat, &w, units, nu, &part, 1, NULL, err, sizeof err)
           == NULL);
    CHECK (strstr (err, "out of range"));
    part.unit = 0;
    part.metric = 999;
    CHECK (cchc_rollup_compute (s_cat, &w, units, nu, &part, 1, NULL, err, sizeof err)
           == NULL);
    /* no units at all: an empty result */
    cchc_rollup_t *r =
        cchc_rollup_compute (s_cat, &w, NULL, 0, NULL, 0, NULL, err, sizeof err);
    CHECK (r);
    CHECK_EQ_INT (r->unit_count, 0);
    CHECK_EQ_INT (r->dist [CCHC_LEVEL_COUNT].ranked, 0);
    CHECK (isnan (r->dist [CCHC_LEVEL_COUNT].median));
    CHECK (!s_fig (r, "online_resolved", -1)->has_value);
    cchc_rollup_destroy (&r);
}

/* ------------------------------------------------------------------------ */
/*  Periods agree: a generated year of data under the default catalogue. */

static uint64_t s_rng = 88172645463325252ULL;

static uint32_t
s_rand (void)
{
    s_rng ^= s_rng << 13;
    s_rng ^= s_rng >> 7;
    s_rng ^= s_rng << 17;
    return (uint32_t) (s_rng >> 11);
}

static const char *s_year_units [][3] = {
    { "SNV", "so", "Sở Nội vụ" },
    { "STP", "so", "Sở Tư pháp" },
    { "070", "huyen", "Thành phố Tuyên Quang" },
    { "071", "huyen", "Huyện Lâm Bình" },
    { "02200", "xa", "Phường Phan Thiết" },
    { "02203", "xa", "Phường Minh Xuân" },
};

static int
s_year_db (const char *path, const cchc_criteria_t *cat)
{
    sqlite3 *db = NULL;
    remove (path);
    if (sqlite3_open (path, &db) != SQLITE_OK)
        return -1;
    int rc = -1;
    sqlite3_stmt *unit = NULL, *agent = NULL, *journal = NULL, *obs = NULL;
    if (fx_exec (db, "PRAGMA synchronous = OFF") != 0 || fx_exec (db, CCHC_DB_SCHEMA_SQL) != 0
        || fx_exec (db, "BEGIN") != 0)
        goto done;
    if (sqlite3_prepare_v2 (db,
                            "INSERT INTO unit (code, name, kind, level) VALUES"
                            " (?1, ?2, 'x', ?3)",
                            -1, &unit, NULL)
        || sqlite3_prepare_v2 (db,
                               "INSERT INTO agent (id, pubkey, unit, name,"
                               " enrolled_at) VALUES (?1, randomblob(32), ?2, 'a', 0)",
                               -1, &agent, NULL)
        || sqlite3_prepare_v2 (db,
                               "INSERT INTO journal (id, agent, seq, received_at,"
                               " body, sig) VALUES (?1, ?2, ?1, ?3, x'80', zeroblob(64))",
                               -1, &journal, NULL)
        || sqlite3_prepare_v2 (db,
                               "INSERT INTO observation (agent, unit, metric,"
                               " day, value, seq, journal) VALUES"
                               " (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                               -1, &obs, NULL))
        goto done;
    size_t nu = sizeof s_year_units / sizeof s_year_units [0];
    int64_t jid = 0;
    for (size_t u = 0; u < nu; u++) {
        sqlite3_bind_text (unit, 1, s_year_units [u][0], -1, SQLITE_STATIC);
        sqlite3_bind_text (unit, 2, s_year_units [u][2], -1, SQLITE_STATIC);
        sqlite3_bind_text (unit, 3, s_year_units [u][1], -1, SQLITE_STATIC);
        if (sqlite3_step (unit) != SQLITE_DONE)
            goto done;
        sqlite3_reset (unit);
        /* the first unit has two agents */
        for (int a = 0; a < (u == 0 ? 2 : 1); a++) {
            int64_t agent_id = (int64_t) u * 10 + a + 1;
            sqlite3_bind_int64 (agent, 1, agent_id);
            sqlite3_bind_text (agent, 2, s_year_units [u][0], -1, SQLITE_STATIC);
            if (sqlite3_step (agent) != SQLITE_DONE)
                goto done;
            sqlite3_reset (agent);
            /* 2020-11-01 .. 2021-12-31: one message a day, all metrics */
            for (cchc_date_t d = cchc_date_from_ymd (2020, 11, 1);
                 d <= cchc_date_from_ymd (2021, 12, 31); d++) {
                jid++;
                sqlite3_bind_int64 (journal, 1, jid);
                sqlite3_bind_int64 (journal, 2, agent_id);
                sqlite3_bind_int64 (journal, 3, cchc_date_start_utc_ms (d + 1) + 3600000);
                if (sqlite3_step (journal) != SQLITE_DONE)
                    goto done;
                sqlite3_reset (journal);
                for (size_t m = 0; m < cchc_criteria_metric_count (cat); m++) {
                    const cchc_metric_t *metric = cchc_criteria_metric (cat, m);
                    bool gauge = metric->kind == CCHC_METRIC_GAUGE;
                    if (gauge && (d % 9) != 0)
                        continue; /* gauges now and then */
                    if (!gauge && s_rand () % 5 == 0)
                        continue; /* and some days without a counter */
                    sqlite3_bind_int64 (obs, 1, agent_id);
                    sqlite3_bind_text (obs, 2, s_year_units [u][0], -1, SQLITE_STATIC);
                    sqlite3_bind_text (obs, 3, metric->code, -1, SQLITE_STATIC);
                    sqlite3_bind_int (obs, 4, cchc_date_to_yyyymmdd (d));
                    sqlite3_bind_int64 (obs, 5, gauge ? 50 + s_rand () % 50 : s_rand () % 20);
                    sqlite3_bind_int64 (obs, 6, jid);
                    if (sqlite3_step (obs) != SQLITE_DONE)
                        goto done;
                    sqlite3_reset (obs);
                }
            }
        }
    }
    rc = fx_exec (db, "COMMIT");
done:
    if (rc != 0)
        fprintf (stderr, "  year db: %s\n", sqlite3_errmsg (db));
    sqlite3_finalize (unit);
    sqlite3_finalize (agent);
    sqlite3_finalize (journal);
    sqlite3_finalize (obs);
    sqlite3_close (db);
    return rc;
}

static cchc_rollup_t *
s_load_period (sqlite3 *db, const cchc_criteria_t *cat, const char *id)
{
    cchc_period_t p;
    if (cchc_period_parse (id, &p) != 0)
        return NULL;
    char err [256];
    cchc_rollup_t *r =
        cchc_rollup_load (db, cat, &p, fx_local_ms (20220101, 0, 0), false, err, sizeof err);
    if (!r)
        fprintf (stderr, "  %s: %s\n", id, err);
    return r;
}

/*  For every unit and metric: whole = Σ parts (counters), whole's gauge =
    the last part's gauge. */
static void
s_check_sum (const cchc_rollup_t *whole, cchc_rollup_t *const *parts, size_t n)
{
    const cchc_criteria_t *cat = whole->criteria;
    for (size_t u = 0; u < whole->unit_count; u++)
        for (size_t m = 0; m < cchc_criteria_metric_count (cat); m++) {
            const cchc_rollup_cell_t *w = &whole->units [u].cells [m];
            if (cchc_criteria_metric (cat, m)->kind == CCHC_METRIC_GAUGE) {
                const cchc_rollup_cell_t *last = &parts [n - 1]->units [u].cells [m];
                CHECK_NEAR (w->value, last->value, 0);
                CHECK_EQ_INT (w->day_last, last->day_last);
                continue;
            }
            double sum = 0;
            int64_t rows = 0;
            for (size_t k = 0; k < n; k++) {
                CHECK_EQ_STR (parts [k]->units [u].code, whole->units [u].code);
                sum += parts [k]->units [u].cells [m].value;
                rows += parts [k]->units [u].cells [m].rows;
            }
            CHECK_NEAR (w->value, sum, 0);
            CHECK_EQ_INT (w->rows, rows);
            CHECK (w->value > 0);
        }
    /* province numerators of counter indicators add up too */
    for (size_t i = 0; i < whole->figure_count; i++) {
        const cchc_rollup_figure_t *f = &whole->figures [i];
        const cchc_indicator_t *ind = cchc_criteria_indicator (cat, f->indicator);
        if (cchc_criteria_metric (cat, (size_t) ind->numerator)->kind != CCHC_METRIC_COUNTER)
            continue;
        double sum = 0;
        for (size_t k = 0; k < n; k++)
            sum += parts [k]->figures [i].numerator;
        CHECK_NEAR (f->numerator, sum, 0);
    }
}

/*  The core fed with every raw row of the database (no SQL folding). */
static cchc_rollup_t *
s_core_from_db (sqlite3 *db, const cchc_criteria_t *cat, const cchc_rollup_window_t *w)
{
    enum { MAX_UNITS = 16 };
    cchc_rollup_unit_t units [MAX_UNITS];
    char codes [MAX_UNITS][16], names [MAX_UNITS][64];
    size_t nu = 0, nr = 0, alloc = 1024;
    cchc_rollup_row_t *rows = malloc (alloc * sizeof *rows);
    cchc_rollup_part_t *parts = NULL;
    cchc_rollup_t *r = NULL;
    sqlite3_stmt *st = NULL;
    if (!rows
        || sqlite3_prepare_v2 (db,
                               "SELECT code, name, level FROM unit"
                               " WHERE valid_from <= ?1 AND valid_to >= ?1 AND level != 'tinh'"
                               " ORDER BY code",
                               -1, &st, NULL)
               != SQLITE_OK)
        goto done;
    sqlite3_bind_int (st, 1, w->last_day);
    while (sqlite3_step (st) == SQLITE_ROW && nu < MAX_UNITS) {
        snprintf (codes [nu], sizeof codes [nu], "%s", sqlite3_column_text (st, 0));
        snprintf (names [nu], sizeof names [nu], "%s", sqlite3_column_text (st, 1));
        units [nu] = (cchc_rollup_unit_t){ codes [nu], names [nu], NULL, 0 };
        cchc_level_parse ((const char *) sqlite3_column_text (st, 2), &units [nu].level);
        nu++;
    }
    sqlite3_finalize (st);
    if (sqlite3_prepare_v2 (db,
                            "SELECT o.unit, o.metric, o.agent, o.day, o.value,"
                            " o.journal, j.received_at FROM observation o JOIN journal j"
                            " ON j.id = o.journal",
                            -1, &st, NULL)
        != SQLITE_OK)
        goto done;
    while (sqlite3_step (st) == SQLITE_ROW) {
        const char *unit = (const char *) sqlite3_column_text (st, 0);
        int m = cchc_criteria_metric_find (cat, (const char *) sqlite3_column_text (st, 1));
        size_t u = 0;
        while (u < nu && strcmp (codes [u], unit) != 0)
            u++;
        if (m < 0 || u == nu)
            continue;
        if (nr == alloc) {
            cchc_rollup_row_t *more = realloc (rows, 2 * alloc * sizeof *rows);
            if (!more)
                goto done;
            rows = more;
            alloc *= 2;
        }
        rows [nr++] = (cchc_rollup_row_t){
            .unit = u,
            .metric = (size_t) m,
            .agent = sqlite3_column_int64 (st, 2),
            .day = sqlite3_column_int (st, 3),
            .value = sqlite3_column_double (st, 4),
            .journal = sqlite3_column_int64 (st, 5),
            .received_at = sqlite3_column_int64 (st, 6),
        };
    }
    size_t np;
    char err [256];
    if (cchc_rollup_fold (cat, w, rows, nr, &parts, &np) == 0)
        r = cchc_rollup_compute (cat, w, units, nu, parts, np, NULL, err, sizeof err);
done:
    sqlite3_finalize (st);
    free (rows);
    free (parts);
    return r;
}

static void s_periods_agree (const char *path, const cchc_criteria_t *cat);

static void
test_periods_agree (void)
{
    char err [512];
    cchc_criteria_t *cat =
        cchc_criteria_load (CCHC_SOURCE_DIR "/data/criteria/default.ini", err, sizeof err);
    CHECK (cat);
    char path [64];
    snprintf (path, sizeof path, "/tmp/cchc-rollup-year-%d.db", (int) getpid ());
    CHECK (s_year_db (path, cat) == 0);
    for (int pass = 0; pass < 3; pass++) {
        if (pass == 1) { /* now with observation_month, backfilled */
            sqlite3 *rw = NULL;
            CHECK (sqlite3_open (path, &rw) == SQLITE_OK);
            CHECK (fx_exec (rw, "PRAGMA synchronous = OFF") == 0);
            CHECK (cchc_db_month_apply (rw, err, sizeof err) == 0);
            sqlite3_close (rw);
        }
        if (pass == 2) {
            /* the summary's follower behind (collector/db/db.h): the last
               500 messages (the last agent's, and one month of the one
               before) not settled, their months wrong or missing in the
               table — the loader reads them from the rows */
            sqlite3 *rw = NULL;
            CHECK (sqlite3_open (path, &rw) == SQLITE_OK);
            CHECK (
                fx_exec (
                    rw,
                    "UPDATE month_position SET journal = (SELECT max (id) - 500 FROM journal);"
                    "UPDATE journal SET"
                    " day_first = (SELECT min (day) FROM observation WHERE journal = "
                    "journal.id),"
                    " day_last = (SELECT max (day) FROM observation WHERE journal = "
                    "journal.id)"
                    " WHERE id > (SELECT journal FROM month_position);"
                    "UPDATE observation_month SET total = total + 1000, last_value = -1,"
                    " day_last = day_first, rows = rows + 1 WHERE (agent, month) IN"
                    " (SELECT j.agent, o.month FROM journal AS j JOIN observation_month AS o"
                    "  ON o.agent = j.agent AND o.day_first <= j.day_last"
                    "  AND o.day_last >= j.day_first"
                    "  WHERE j.id > (SELECT journal FROM month_position)) AND month % 2 = 0;"
                    "DELETE FROM observation_month WHERE month % 2 = 1 AND (agent, month) IN"
                    " (SELECT j.agent, o.month FROM journal AS j JOIN observation_month AS o"
                    "  ON o.agent = j.agent AND o.day_first <= j.day_last"
                    "  AND o.day_last >= j.day_first"
                    "  WHERE j.id > (SELECT journal FROM month_position))")
                == 0);
            CHECK (sqlite3_changes (rw) > 0);
            sqlite3_close (rw);
        }
        s_periods_agree (path, cat);
        if (cchc_test_cur_) {
            fprintf (stderr, "  (pass %d)\n", pass);
            break;
        }
    }
    remove (path);
    cchc_criteria_destroy (&cat);
}

static void
s_periods_agree (const char *path, const cchc_criteria_t *cat)
{
    sqlite3 *db = NULL;
    CHECK (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
    const char *ids [] = { "2021-Q1", "2021-Q2", "2021-Q3", "2021-Q4", "2021-H1", "2021-H2",
                           "2021-9M", "2021",    "2021-01", "2021-02", "2021-03" };
    enum { Q1, Q2, Q3, Q4, H1, H2, M9, Y, M01, M02, M03, N };
    cchc_rollup_t *r [N] = { 0 };
    bool loaded = true;
    for (int k = 0; k < N; k++)
        loaded = loaded && (r [k] = s_load_period (db, cat, ids [k])) != NULL;
    if (loaded) {
        CHECK_EQ_INT (r [Y]->unit_count, 6);
        cchc_rollup_t *quarters [] = { r [Q1], r [Q2], r [Q3], r [Q4] };
        s_check_sum (r [Y], quarters, 4);
        cchc_rollup_t *halves [] = { r [H1], r [H2] };
        s_check_sum (r [Y], halves, 2);
        cchc_rollup_t *h1 [] = { r [Q1], r [Q2] };
        s_check_sum (r [H1], h1, 2);
        cchc_rollup_t *h2 [] = { r [Q3], r [Q4] };
        s_check_sum (r [H2], h2, 2);
        cchc_rollup_t *nine [] = { r [Q1], r [Q2], r [Q3] };
        s_check_sum (r [M9], nine, 3);
        cchc_rollup_t *months [] = { r [M01], r [M02], r [M03] };
        s_check_sum (r [Q1], months, 3);
        /* two agents of SNV summed, each day */
        CHECK_EQ_INT (s_cell (r [Q1], "SNV", "workfiles")->agents, 2);
        /* every unit reported every metric: complete, on time, indexed */
        for (size_t u = 0; u < r [Y]->unit_count; u++) {
            CHECK (r [Y]->units [u].complete);
            CHECK (r [Y]->units [u].has_index);
        }
    }
    /* the core, fed raw rows, gives what the loader's SQL folding gives */
    if (loaded) {
        static const int compared [] = { Q1, H2, Y, M02 };
        for (size_t c = 0; c < sizeof compared / sizeof compared [0]; c++) {
            int k = compared [c];
            cchc_rollup_t *core = s_core_from_db (db, cat, &r [k]->window);
            CHECK (core);
            CHECK_EQ_INT (core->unit_count, r [k]->unit_count);
            for (size_t u = 0; u < core->unit_count; u++) {
                const cchc_rollup_unit_result_t *a = &core->units [u], *b = &r [k]->units [u];
                CHECK_EQ_STR (a->code, b->code);
                CHECK_NEAR (a->index, b->index, 0);
                CHECK_EQ_INT (a->rank, b->rank);
                CHECK_EQ_INT (a->on_time, b->on_time);
                for (size_t m = 0; m < cchc_criteria_metric_count (cat); m++) {
                    CHECK_NEAR (a->cells [m].value, b->cells [m].value, 0);
                    CHECK_EQ_INT (a->cells [m].rows, b->cells [m].rows);
                    CHECK_EQ_INT (a->cells [m].day_last, b->cells [m].day_last);
                    CHECK_EQ_INT (a->cells [m].journal_max, b->cells [m].journal_max);
                    CHECK_EQ_INT (a->cells [m].received_max, b->cells [m].received_max);
                }
            }
            cchc_rollup_destroy (&core);
        }
    }
    for (int k = 0; k < N; k++)
        cchc_rollup_destroy (&r [k]);
    sqlite3_close (db);
}

/* ------------------------------------------------------------------------ */
/*  observation_month stays equal to the daily rows under every kind of write */

typedef struct {
    int64_t agent;
    char metric [8], unit [8];
    int32_t month, day_first, day_last;
    int64_t rows, last_journal, journal_max;
    double total, last_value;
} s_month_t;

static int
s_month_cmp (const void *a, const void *b)
{
    const s_month_t *x = a, *y = b;
    if (x->agent != y->agent)
        return x->agent < y->agent ? -1 : 1;
    int c = strcmp (x->metric, y->metric);
    if (c)
        return c;
    if (x->month != y->month)
        return x->month < y->month ? -1 : 1;
    return strcmp (x->unit, y->unit);
}

/*  Expected summary computed in C from the observation rows vs the table. */
static void
s_check_month_table (sqlite3 *db)
{
    enum { MAX = 4096 };
    static s_month_t want [MAX], got [MAX];
    size_t nw = 0, ng = 0;
    sqlite3_stmt *st = NULL;
    CHECK (sqlite3_prepare_v2 (db,
                               "SELECT agent, metric, unit, day, value, journal"
                               " FROM observation ORDER BY agent, metric, unit, day",
                               -1, &st, NULL)
           == SQLITE_OK);
    while (sqlite3_step (st) == SQLITE_ROW && nw < MAX) {
        int64_t agent = sqlite3_column_int64 (st, 0);
        const char *metric = (const char *) sqlite3_column_text (st, 1);
        const char *unit = (const char *) sqlite3_column_text (st, 2);
        int32_t day = sqlite3_column_int (st, 3);
        int32_t month = cchc_period_month_of (day);
        double value = sqlite3_column_double (st, 4);
        int64_t journal = sqlite3_column_int64 (st, 5);
        s_month_t *m = nw ? &want [nw - 1] : NULL;
        if (!m || m->agent != agent || strcmp (m->metric, metric) || strcmp (m->unit, unit)
            || m->month != month) {
            m = &want [nw++];
            memset (m, 0, sizeof *m);
            m->agent = agent;
            snprintf (m->metric, sizeof m->metric, "%s", metric);
            snprintf (m->unit, sizeof m->unit, "%s", unit);
            m->month = month;
            m->day_first = day;
        }
        m->total += value;
        m->rows++;
        m->day_last = day; /* rows come in day order */
        m->last_value = value;
        m->last_journal = journal;
        if (journal > m->journal_max)
            m->journal_max = journal;
    }
    sqlite3_finalize (st);
    qsort (want, nw, sizeof *want, s_month_cmp);
    CHECK (sqlite3_prepare_v2 (db,
                               "SELECT agent, metric, unit, month, total, rows,"
                               " day_first, day_last, last_value, last_journal,"
                               " journal_max FROM observation_month",
                               -1, &st, NULL)
           == SQLITE_OK);
    while (sqlite3_step (st) == SQLITE_ROW && ng < MAX) {
        s_month_t *m = &got [ng++];
        m->agent = sqlite3_column_int64 (st, 0);
        snprintf (m->metric, sizeof m->metric, "%s", sqlite3_column_text (st, 1));
        snprintf (m->unit, sizeof m->unit, "%s", sqlite3_column_text (st, 2));
        m->month = sqlite3_column_int (st, 3);
        m->total = sqlite3_column_double (st, 4);
        m->rows = sqlite3_column_int64 (st, 5);
        m->day_first = sqlite3_column_int (st, 6);
        m->day_last = sqlite3_column_int (st, 7);
        m->last_value = sqlite3_column_double (st, 8);
        m->last_journal = sqlite3_column_int64 (st, 9);
        m->journal_max = sqlite3_column_int64 (st, 10);
    }
    sqlite3_finalize (st);
    qsort (got, ng, sizeof *got, s_month_cmp);
    CHECK_EQ_INT (ng, nw);
    for (size_t i = 0; i < nw; i++) {
        CHECK (s_month_cmp (&got [i], &want [i]) == 0);
        CHECK_NEAR (got [i].total, want [i].total, 0);
        CHECK_EQ_INT (got [i].rows, want [i].rows);
        CHECK_EQ_INT (got [i].day_first, want [i].day_first);
        CHECK_EQ_INT (got [i].day_last, want [i].day_last);
        CHECK_NEAR (got [i].last_value, want [i].last_value, 0);
        CHECK_EQ_INT (got [i].last_journal, want [i].last_journal);
        /* the newest change may have left the month (moved or deleted) */
        CHECK (got [i].journal_max >= want [i].journal_max);
    }
}

static void
test_month_triggers (void)
{
    char path [64], err [256];
    snprintf (path, sizeof path, "/tmp/cchc-rollup-trig-%d.db", (int) getpid ());
    remove (path);
    sqlite3 *db = NULL;
    CHECK (sqlite3_open (path, &db) == SQLITE_OK);
    CHECK (fx_exec (db, "PRAGMA synchronous = OFF") == 0);
    CHECK (fx_exec (db, CCHC_DB_SCHEMA_SQL) == 0);
    CHECK (cchc_db_month_apply (db, err, sizeof err) == 0);
    CHECK (cchc_db_month_apply (db, err, sizeof err) == 0); /* idempotent */
    CHECK (fx_exec (db, "INSERT INTO agent (id, pubkey, unit, name, enrolled_at)"
                        " VALUES (1, randomblob(32), 'A', 'a', 0),"
                        " (2, randomblob(32), 'B', 'b', 0),"
                        " (3, randomblob(32), 'A', 'c', 0)")
           == 0);
    /* the collector's write: upsert, last writer (higher seq) wins */
    sqlite3_stmt *put = NULL, *journal = NULL;
    CHECK (sqlite3_prepare_v2 (
               db,
               "INSERT INTO observation (agent, unit, metric, day, value, seq, journal)"
               " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) ON CONFLICT DO UPDATE SET"
               " unit = excluded.unit, value = excluded.value, seq = excluded.seq,"
               " journal = excluded.journal WHERE excluded.seq > observation.seq",
               -1, &put, NULL)
           == SQLITE_OK);
    CHECK (sqlite3_prepare_v2 (db,
                               "INSERT INTO journal (id, agent, seq, received_at,"
                               " body, sig) VALUES (?1, 1, ?1, 0, x'80', zeroblob(64))",
                               -1, &journal, NULL)
           == SQLITE_OK);
    static const int32_t days [] = { 20201214, 20201215, 20201231, 20210101, 20210114,
                                     20210115, 20210210, 20210214, 20210215, 20210314 };
    static const char *units [] = { "A", "B" }, *metrics [] = { "x", "g", "y" };
    int64_t seq = 0;
    for (int round = 0; round < 40; round++) {
        CHECK (fx_exec (db, "BEGIN") == 0);
        for (int k = 0; k < 25; k++) {
            uint32_t r = s_rand ();
            int what = (int) (r % 20);
            if (what < 15) { /* upsert, sometimes for another unit */
                seq++;
                sqlite3_bind_int64 (journal, 1, seq);
                CHECK (sqlite3_step (journal) == SQLITE_DONE);
                sqlite3_reset (journal);
                sqlite3_bind_int64 (put, 1, 1 + (r >> 5) % 3);
                sqlite3_bind_text (put, 2, units [(r >> 8) % 7 == 0], -1, SQLITE_STATIC);
                sqlite3_bind_text (put, 3, metrics [(r >> 11) % 3], -1, SQLITE_STATIC);
                sqlite3_bind_int (put, 4, days [(r >> 13) % 10]);
                if ((r >> 17) % 4 == 0)
                    sqlite3_bind_double (put, 5, (double) ((r >> 19) % 100) / 4);
                else
                    sqlite3_bind_int64 (put, 5, (r >> 19) % 100);
                /* now and then an older message arriving late: no change */
                sqlite3_bind_int64 (put, 6, (r >> 25) % 9 == 0 && seq > 5 ? seq - 5 : seq);
                int rc = sqlite3_step (put);
                sqlite3_reset (put);
                if (rc != SQLITE_DONE) {
                    /* a late seq reuses a journal id: skip it */
                    CHECK (rc == SQLITE_CONSTRAINT);
                }
            }
            else if (what < 17) /* move a row to the other unit */
                CHECK (fx_exec (db, "UPDATE observation SET unit = CASE unit WHEN 'A'"
                                    " THEN 'B' ELSE 'A' END WHERE"
                                    " (agent, metric, day) IN (SELECT agent, metric, day"
                                    " FROM observation ORDER BY random() LIMIT 1)")
                       == 0);
            else if (what < 18) /* move a row to another day */
                CHECK (fx_exec (db, "UPDATE OR IGNORE observation SET day = 20210216"
                                    " WHERE (agent, metric, day) IN (SELECT agent,"
                                    " metric, day FROM observation ORDER BY random()"
                                    " LIMIT 1)")
                       == 0);
            else /* delete one */
                CHECK (fx_exec (db, "DELETE FROM observation WHERE (agent, metric, day)"
                                    " IN (SELECT agent, metric, day FROM observation"
                                    " ORDER BY random() LIMIT 1)")
                       == 0);
        }
        CHECK (fx_exec (db, "COMMIT") == 0);
        s_check_month_table (db);
        if (cchc_test_cur_) {
            fprintf (stderr, "  (round %d)\n", round);
            break;
        }
    }
    sqlite3_finalize (put);
    sqlite3_finalize (journal);
    sqlite3_close (db);
    remove (path);
}

/*  The collector's writer keeps observation_month without triggers
    (cchc_db_delta_t): the same writes through the triggers in one
    database and through the delta in another give identical tables. */
static void
s_month_same (sqlite3 *a, sqlite3 *b)
{
    static const char *sql = "SELECT agent, metric, month, unit, total, rows, day_first,"
                             " day_last, last_value, last_journal, journal_max"
                             " FROM observation_month ORDER BY agent, month, metric, unit";
    sqlite3_stmt *x = NULL, *y = NULL;
    CHECK (sqlite3_prepare_v2 (a, sql, -1, &x, NULL) == SQLITE_OK);
    CHECK (sqlite3_prepare_v2 (b, sql, -1, &y, NULL) == SQLITE_OK);
    int rows = 0;
    for (;;) {
        int rx = sqlite3_step (x), ry = sqlite3_step (y);
        CHECK_EQ_INT (ry, rx);
        if (rx != SQLITE_ROW || ry != SQLITE_ROW)
            break;
        rows++;
        for (int c = 0; c < 11; c++) {
            /*  Values must be equal; a total's type may differ (the triggers
                turn it real when a real value passes through and stay so, the
                delta when the month's net change is real). */
            if (sqlite3_column_type (x, c) == SQLITE_FLOAT
                || sqlite3_column_type (y, c) == SQLITE_FLOAT) {
                CHECK (c == 4 || sqlite3_column_type (x, c) == sqlite3_column_type (y, c));
                CHECK_NEAR (sqlite3_column_double (y, c), sqlite3_column_double (x, c), 0);
            }
            else
                CHECK_EQ_STR ((const char *) sqlite3_column_text (y, c),
                              (const char *) sqlite3_column_text (x, c));
        }
        if (cchc_test_cur_)
            break;
    }
    CHECK (rows > 0);
    sqlite3_finalize (x);
    sqlite3_finalize (y);
}

/*  The writer's way: read the row, insert or replace it, note the change. */
static void
s_delta_put (sqlite3 *db, cchc_db_delta_t *delta, const cchc_db_delta_row_t *row, int64_t seq)
{
    sqlite3_stmt *get = NULL, *put = NULL;
    CHECK (sqlite3_prepare_v2 (db,
                               "SELECT seq, unit, value FROM observation"
                               " WHERE agent = ?1 AND day = ?2 AND metric = ?3",
                               -1, &get, NULL)
           == SQLITE_OK);
    sqlite3_bind_int64 (get, 1, row->agent);
    sqlite3_bind_int (get, 2, row->day);
    sqlite3_bind_text (get, 3, row->metric, -1, SQLITE_STATIC);
    int rc = sqlite3_step (get);
    char unit [16] = "";
    cchc_db_delta_row_t old = *row;
    bool exists = rc == SQLITE_ROW;
    if (exists) {
        snprintf (unit, sizeof unit, "%s", (const char *) sqlite3_column_text (get, 1));
        old.unit = unit;
        old.is_float = sqlite3_column_type (get, 2) == SQLITE_FLOAT;
        old.ival = sqlite3_column_int64 (get, 2);
        old.fval = sqlite3_column_double (get, 2);
        if (sqlite3_column_int64 (get, 0) >= seq) {
            sqlite3_finalize (get);
            return; /* an older seq changes nothing */
        }
    }
    sqlite3_finalize (get);
    CHECK (sqlite3_prepare_v2 (
               db,
               exists
                   ? "UPDATE observation SET unit = ?4, value = ?5, seq = ?6, journal = ?7"
                     " WHERE agent = ?1 AND day = ?2 AND metric = ?3"
                   : "INSERT INTO observation (agent, day, metric, unit, value, seq, journal)"
                     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
               -1, &put, NULL)
           == SQLITE_OK);
    sqlite3_bind_int64 (put, 1, row->agent);
    sqlite3_bind_int (put, 2, row->day);
    sqlite3_bind_text (put, 3, row->metric, -1, SQLITE_STATIC);
    sqlite3_bind_text (put, 4, row->unit, -1, SQLITE_STATIC);
    if (row->is_float)
        sqlite3_bind_double (put, 5, row->fval);
    else
        sqlite3_bind_int64 (put, 5, row->ival);
    sqlite3_bind_int64 (put, 6, seq);
    sqlite3_bind_int64 (put, 7, row->journal);
    CHECK (sqlite3_step (put) == SQLITE_DONE);
    sqlite3_finalize (put);
    CHECK (cchc_db_delta_note (delta, exists ? &old : NULL, row) == 0);
}

static void
test_month_delta (void)
{
    char path [2][64], err [256];
    sqlite3 *db [2] = { NULL, NULL }; /* [0] triggers, [1] delta */
    for (int i = 0; i < 2; i++) {
        snprintf (path [i], sizeof path [i], "/tmp/cchc-rollup-delta-%d-%d.db",
                  (int) getpid (), i);
        remove (path [i]);
        CHECK (sqlite3_open (path [i], &db [i]) == SQLITE_OK);
        CHECK (fx_exec (db [i], "PRAGMA synchronous = OFF") == 0);
        CHECK (fx_exec (db [i], CCHC_DB_SCHEMA_SQL) == 0);
        CHECK (cchc_db_month_apply (db [i], err, sizeof err) == 0);
        CHECK (fx_exec (db [i], "INSERT INTO agent (id, pubkey, unit, name, enrolled_at)"
                                " VALUES (1, randomblob(32), 'A', 'a', 0),"
                                " (2, randomblob(32), 'B', 'b', 0),"
                                " (3, randomblob(32), 'A', 'c', 0)")
               == 0);
    }
    int off = -1;
    CHECK (sqlite3_db_config (db [1], SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, &off) == SQLITE_OK);
    CHECK_EQ_INT (off, 0);
    cchc_db_delta_t *delta = cchc_db_delta_new ();
    CHECK (delta);
    size_t slices = 0; /* applies that took more than one slice */
    sqlite3_stmt *put = NULL, *journal [2] = { NULL, NULL };
    CHECK (sqlite3_prepare_v2 (
               db [0],
               "INSERT INTO observation (agent, unit, metric, day, value, seq, journal)"
               " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO UPDATE SET"
               " unit = excluded.unit, value = excluded.value, seq = excluded.seq,"
               " journal = excluded.journal WHERE excluded.seq > observation.seq",
               -1, &put, NULL)
           == SQLITE_OK);
    for (int i = 0; i < 2; i++)
        CHECK (sqlite3_prepare_v2 (db [i],
                                   "INSERT INTO journal (id, agent, seq,"
                                   " received_at, body, sig) VALUES (?1, 1, ?1, 0, x'80',"
                                   " zeroblob(64))",
                                   -1, &journal [i], NULL)
               == SQLITE_OK);
    static const int32_t days [] = { 20201214, 20201215, 20201231, 20210101, 20210114,
                                     20210115, 20210210, 20210214, 20210215, 20210314 };
    static const char *units [] = { "A", "B" };
    static const char *metrics [] = { "x", "g", "y", "m3", "m4", "m5", "m6", "m7" };
    int64_t journal_id = 0;
    for (int round = 0; round < 60; round++) {
        /* every 7th round is rolled back in both (the writer's failed batch) */
        bool undo = round % 7 == 6;
        for (int i = 0; i < 2; i++)
            CHECK (fx_exec (db [i], "BEGIN") == 0);
        int ops = round % 3 == 0 ? 120 : 25;
        for (int k = 0; k < ops; k++) {
            uint32_t r = s_rand ();
            journal_id++;
            /* now and then an older message arriving late */
            int64_t seq = (r >> 25) % 9 == 0 && journal_id > 5 ? journal_id - 5 : journal_id;
            cchc_db_delta_row_t row = {
                .agent = 1 + (r >> 5) % 3,
                .metric = metrics [(r >> 8) % 8],
                .unit = units [(r >> 11) % 7 == 0],
                .day = days [(r >> 14) % 10],
                .is_float = (r >> 18) % 4 == 0,
                .journal = journal_id,
            };
            row.ival = (r >> 20) % 100;
            row.fval = (double) ((r >> 20) % 100) / 4;
            for (int i = 0; i < 2; i++) {
                sqlite3_bind_int64 (journal [i], 1, journal_id);
                CHECK (sqlite3_step (journal [i]) == SQLITE_DONE);
                sqlite3_reset (journal [i]);
            }
            sqlite3_bind_int64 (put, 1, row.agent);
            sqlite3_bind_text (put, 2, row.unit, -1, SQLITE_STATIC);
            sqlite3_bind_text (put, 3, row.metric, -1, SQLITE_STATIC);
            sqlite3_bind_int (put, 4, row.day);
            if (row.is_float)
                sqlite3_bind_double (put, 5, row.fval);
            else
                sqlite3_bind_int64 (put, 5, row.ival);
            sqlite3_bind_int64 (put, 6, seq);
            sqlite3_bind_int64 (put, 7, row.journal);
            CHECK (sqlite3_step (put) == SQLITE_DONE);
            sqlite3_reset (put);
            s_delta_put (db [1], delta, &row, seq);
            /* several applies in one transaction, as with the writer's chunks */
            if (k == ops / 2 && round % 2)
                CHECK (cchc_db_delta_apply (delta, db [1], err, sizeof err) == 0);
        }
        if (undo) {
            cchc_db_delta_clear (delta);
            CHECK_EQ_INT (cchc_db_delta_size (delta), 0);
            for (int i = 0; i < 2; i++)
                CHECK (fx_exec (db [i], "ROLLBACK") == 0);
            journal_id -= ops;
        }
        else {
            CHECK (cchc_db_delta_size (delta) > 0 || round % 2);
            if (round % 3 == 0) {
                /* in slices of 3 summary rows, as the writer does with more */
                int more;
                while ((more = cchc_db_delta_apply_some (delta, db [1], 3, err, sizeof err))
                       == 1) {
                    CHECK (cchc_db_delta_size (delta) > 0);
                    slices++;
                }
                CHECK_EQ_INT (more, 0);
            }
            else
                CHECK (cchc_db_delta_apply (delta, db [1], err, sizeof err) == 0);
            CHECK_EQ_INT (cchc_db_delta_size (delta), 0);
            for (int i = 0; i < 2; i++)
                CHECK (fx_exec (db [i], "COMMIT") == 0);
        }
        s_month_same (db [0], db [1]);
        s_check_month_table (db [1]);
        if (cchc_test_cur_) {
            fprintf (stderr, "  (round %d)\n", round);
            break;
        }
    }
    CHECK (slices > 0); /* the sliced rounds did take several slices */
    /* a total past 2^63 turns real, as SQLite's own arithmetic does */
    CHECK (fx_exec (db [1], "BEGIN") == 0);
    cchc_db_delta_row_t big = { .agent = 2,
                                .metric = "big",
                                .unit = "B",
                                .day = 20210301,
                                .ival = INT64_MAX - 5,
                                .journal = 1 };
    s_delta_put (db [1], delta, &big, 1000000);
    big.day = 20210302;
    s_delta_put (db [1], delta, &big, 1000000);
    CHECK (cchc_db_delta_apply (delta, db [1], err, sizeof err) == 0);
    CHECK (fx_exec (db [1], "COMMIT") == 0);
    sqlite3_stmt *st = NULL;
    CHECK (sqlite3_prepare_v2 (db [1],
                               "SELECT typeof (total), total, rows FROM"
                               " observation_month WHERE metric = 'big'",
                               -1, &st, NULL)
           == SQLITE_OK);
    CHECK (sqlite3_step (st) == SQLITE_ROW);
    CHECK_EQ_STR ((const char *) sqlite3_column_text (st, 0), "real");
    CHECK_NEAR (sqlite3_column_double (st, 1), 2.0 * (double) INT64_MAX, 1e5);
    CHECK_EQ_INT (sqlite3_column_int (st, 2), 2);
    sqlite3_finalize (st);
    /* codes longer than the table's limits are refused, not truncated */
    cchc_db_delta_row_t bad = big;
    bad.unit = "UNIT_CODE_MUCH_TOO_LONG";
    CHECK (cchc_db_delta_note (delta, NULL, &bad) == -1);
    cchc_db_delta_clear (delta);
    /* (its statements first: then the connection closes) */
    cchc_db_delta_destroy (&delta);
    CHECK (delta == NULL);
    cchc_db_delta_destroy (&delta);
    sqlite3_finalize (put);
    for (int i = 0; i < 2; i++) {
        sqlite3_finalize (journal [i]);
        CHECK (sqlite3_close (db [i]) == SQLITE_OK);
        remove (path [i]);
    }
}

int
main (void)
{
    s_cat = fx_criteria ();
    if (!s_cat)
        return 1;
    for (int mode = 0; mode < 3; mode++) {
        snprintf (s_db_paths [mode], sizeof s_db_paths [mode], "/tmp/cchc-rollup-%d-%d.db",
                  (int) getpid (), mode);
        if (fx_db_create (s_db_paths [mode], (fx_mode_t) mode) != 0)
            return 1;
    }
    s_db_path = s_db_paths [0];
    CCHC_TEST_RUN (test_q1_core);
    CCHC_TEST_RUN (test_q1_database);
    CCHC_TEST_RUN (test_window_edges);
    CCHC_TEST_RUN (test_pending_before_due);
    CCHC_TEST_RUN (test_level_due_days);
    CCHC_TEST_RUN (test_explain);
    CCHC_TEST_RUN (test_bad_input);
    CCHC_TEST_RUN (test_periods_agree);
    CCHC_TEST_RUN (test_month_triggers);
    CCHC_TEST_RUN (test_month_delta);
    for (int mode = 0; mode < 3; mode++)
        remove (s_db_paths [mode]);
    cchc_criteria_destroy (&s_cat);
    return CCHC_TEST_DONE ();
}
