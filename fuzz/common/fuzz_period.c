/*  fuzz_period.c — libFuzzer target: arbitrary bytes as a date, a period id,
    an ISO instant and a UTC instant for the calendar (common/period.h) and
    the clock's ISO forms (common/clock.h).

    Checks, beyond "no crash, no undefined behaviour":
    - an accepted date or period id formats back to exactly the input;
    - a date lies in the window of every period that contains it;
    - a period's window maps back to the period, prev/next undo each other,
      and the deadlines fall after the window;
    - an accepted ISO instant formats and parses back to the same ms;
    - a UTC instant falls within the local day it is mapped to.
*/
#include "common/clock.h"
#include "common/period.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void
s_check (bool ok)
{
    if (!ok)
        abort ();
}

static bool
s_equal (const cchc_period_t *a, const cchc_period_t *b)
{
    return a->kind == b->kind && a->year == b->year && a->index == b->index;
}

static void
s_check_period (const cchc_period_t *p)
{
    cchc_date_t first, last;
    cchc_period_window (p, &first, &last);
    s_check (first <= last);
    cchc_period_t q;
    s_check (cchc_period_of (p->kind, first, &q) == 0 && s_equal (p, &q));
    s_check (cchc_period_of (p->kind, last, &q) == 0 && s_equal (p, &q));
    cchc_period_t next, back;
    cchc_period_next (p, &next);
    cchc_period_prev (&next, &back);
    s_check (s_equal (p, &back));
    s_check (cchc_period_cmp (p, &next) < 0 && cchc_period_cmp (&next, p) > 0);
    s_check (cchc_period_deadline (p, 18) > last);
    s_check (cchc_period_deadline (p, 22) > cchc_period_deadline (p, 18));
}

static void
s_fuzz_date (const char *text, size_t size)
{
    cchc_date_t date;
    if (cchc_date_parse (text, size, &date) != 0)
        return;
    char buf [16];
    cchc_date_format (date, buf, sizeof buf);
    s_check (size == 10 && memcmp (buf, text, 10) == 0);
    int y, m, d;
    cchc_date_to_ymd (date, &y, &m, &d);
    s_check (cchc_date_ymd_valid (y, m, d) && cchc_date_from_ymd (y, m, d) == date);
    s_check (cchc_date_from_utc_ms (cchc_date_start_utc_ms (date)) == date);

    cchc_period_t all [5];
    size_t n = cchc_period_all_of (date, all);
    s_check (n == 4 || n == 5);
    for (size_t i = 0; i < n; i++) {
        cchc_date_t first, last;
        cchc_period_window (&all [i], &first, &last);
        s_check (first <= date && date <= last);
        if (all [i].year >= 1901 && all [i].year <= 9998) {
            char id [CCHC_PERIOD_ID_MAX];
            cchc_period_t back;
            cchc_period_format (&all [i], id, sizeof id);
            s_check (cchc_period_parse (id, &back) == 0 && s_equal (&back, &all [i]));
            s_check_period (&all [i]);
        }
    }
}

static void
s_fuzz_period (const char *text)
{
    cchc_period_t p;
    if (cchc_period_parse (text, &p) != 0)
        return;
    char id [CCHC_PERIOD_ID_MAX];
    cchc_period_format (&p, id, sizeof id);
    s_check (strcmp (id, text) == 0);
    s_check_period (&p);
}

static void
s_fuzz_iso (const char *text)
{
    int64_t ms;
    if (cchc_clock_parse_iso (text, &ms) != 0)
        return;
    char buf [32];
    cchc_clock_format_iso (ms, buf, sizeof buf);
    int64_t back;
    s_check (cchc_clock_parse_iso (buf, &back) == 0 && back == ms);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char *text = malloc (size + 1);
    if (!text)
        return 0;
    memcpy (text, data, size);
    text [size] = '\0';

    s_fuzz_date (text, size);
    s_fuzz_period (text);
    s_fuzz_iso (text);

    if (size >= 8) {
        int64_t ms;
        memcpy (&ms, data, sizeof ms);
        cchc_date_t day = cchc_date_from_utc_ms (ms);
        //  Within about 5 million years, the day is exact.
        if (ms > -INT64_C (150000000000000000) && ms < INT64_C (150000000000000000)) {
            int64_t start = cchc_date_start_utc_ms (day);
            s_check (start <= ms && ms - start < CCHC_DAY_MS);
        }
        char buf [32];
        cchc_clock_format_iso (ms, buf, sizeof buf);
        s_check (strlen (buf) == 24);
    }
    free (text);
    return 0;
}
