/*  fuzz_agent.h — helpers shared by the agent's source fuzz targets
    (fuzz_exec_lines.c, fuzz_csv_file.c): the fixed "today", the check that
    an observation is one the protocol encoder (and so the collector) takes,
    and the exact comparison of two results.  Header-only, static. */
#ifndef CCHC_FUZZ_AGENT_H
#define CCHC_FUZZ_AGENT_H

#include "agent/source.h"
#include "common/period.h"
#include "common/text.h"
#include "proto/proto.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
s_check (bool ok, const char *what)
{
    if (!ok) {
        fprintf (stderr, "invariant broken: %s\n", what);
        abort ();
    }
}

static cchc_date_t
s_today (void)
{
    return cchc_date_from_ymd (2024, 6, 15);
}

/*  The value as text that parses back to the same value and kind. */
static void
s_value_text (const cchc_obs_t *o, char *buf, size_t size)
{
    if (!o->is_float) {
        snprintf (buf, size, "%lld", (long long) o->ival);
        return;
    }
    snprintf (buf, size, "%.17g", o->fval);
    if (!strpbrk (buf, ".e"))
        strncat (buf, ".0", size - strlen (buf) - 1);
}

/*  Every observation: valid, no later than tomorrow, and encodable alone
    in a report (what the collector will decode). */
static void
s_check_result (const cchc_source_result_t *res, cchc_date_t today)
{
    s_check (res->nobs <= res->cap && (res->nobs == 0 || res->obs), "result array");
    s_check (res->nobs <= CCHC_SOURCE_OBS_MAX, "at most CCHC_SOURCE_OBS_MAX");
    s_check (memchr (res->problems, '\0', sizeof res->problems) != NULL,
             "problems terminated");
    s_check ((res->nbad == 0) == (res->problems [0] == '\0'), "problems iff bad");
    for (size_t i = 0; i < res->nobs; i++) {
        const cchc_obs_t *o = &res->obs [i];
        s_check (memchr (o->metric, '\0', sizeof o->metric)
                     && cchc_metric_code_valid (o->metric, strlen (o->metric)),
                 "metric");
        s_check (o->date <= today + 1, "date not after tomorrow");
        s_check (!o->is_float || isfinite (o->fval), "finite value");
        cchc_report_t r;
        memset (&r, 0, sizeof r);
        cchc_strlcpy (r.unit, "SNV", sizeof r.unit);
        r.seq = 1;
        r.created_ms = 1;
        r.nobs = 1;
        r.obs = (cchc_obs_t *) o;
        uint8_t *body = NULL;
        size_t len = 0;
        s_check (cchc_report_encode (&r, &body, &len) == CCHC_REASON_NONE,
                 "the observation encodes");
        free (body);
    }
}

static bool
s_obs_equal (const cchc_obs_t *a, const cchc_obs_t *b)
{
    return strcmp (a->metric, b->metric) == 0 && a->date == b->date
           && a->is_float == b->is_float
           && (a->is_float ? a->fval == b->fval : a->ival == b->ival);
}

static void
s_check_same_obs (const cchc_source_result_t *a, const cchc_source_result_t *b)
{
    s_check (a->nobs == b->nobs, "round trip: same count");
    for (size_t i = 0; i < a->nobs; i++)
        s_check (s_obs_equal (&a->obs [i], &b->obs [i]), "round trip: same observation");
}

#endif
