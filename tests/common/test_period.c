/*  test_period.c — civil dates and the Decree 09 reporting calendar
    (common/period.h): every boundary of every kind, the year change, leap
    years, local midnight, ids, prev/next, deadlines, and whole-range
    round trips checked against an independent day counter. */
#include "common/period.h"
#include "tests/test.h"

#include <limits.h>
#include <string.h>

//  Parse "YYYY-MM-DD"; INT32_MIN (no real date) if it does not parse, so
//  that any check against it fails.
static cchc_date_t
s_d (const char *text)
{
    cchc_date_t date;
    if (cchc_date_parse (text, strlen (text), &date) != 0)
        return INT32_MIN;
    return date;
}

//  Period id of `kind` containing `date`, or "-" when there is none.
static const char *
s_of (cchc_period_kind_t kind, const char *date)
{
    static char buf [CCHC_PERIOD_ID_MAX];
    cchc_period_t period;
    if (cchc_period_of (kind, s_d (date), &period) != 0)
        return "-";
    cchc_period_format (&period, buf, sizeof buf);
    return buf;
}

//  "first..last" of a period id, or "bad id".
static const char *
s_window (const char *id)
{
    static char buf [32];
    cchc_period_t period;
    if (cchc_period_parse (id, &period) != 0)
        return "bad id";
    cchc_date_t first, last;
    cchc_period_window (&period, &first, &last);
    cchc_date_format (first, buf, 11);
    buf [10] = '.';
    buf [11] = '.';
    cchc_date_format (last, buf + 12, 11);
    return buf;
}

static bool
s_leap (int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static void
test_date_anchors (void)
{
    CHECK_EQ_INT (cchc_date_from_ymd (1970, 1, 1), 0);
    CHECK_EQ_INT (cchc_date_from_ymd (1969, 12, 31), -1);
    CHECK_EQ_INT (cchc_date_from_ymd (2000, 3, 1), 11017);
    CHECK_EQ_INT (cchc_date_from_ymd (2021, 3, 14), 18700);
    CHECK_EQ_INT (cchc_date_from_ymd (1900, 1, 1), -25567);
    int y, m, d;
    cchc_date_to_ymd (18700, &y, &m, &d);
    CHECK_EQ_INT (y, 2021);
    CHECK_EQ_INT (m, 3);
    CHECK_EQ_INT (d, 14);
    cchc_date_to_ymd (-1, &y, &m, &d);
    CHECK_EQ_INT (y, 1969);
    CHECK_EQ_INT (m, 12);
    CHECK_EQ_INT (d, 31);
}

static void
test_yyyymmdd (void)
{
    CHECK_EQ_INT (cchc_date_to_yyyymmdd (cchc_date_from_ymd (2021, 3, 14)), 20210314);
    CHECK_EQ_INT (cchc_date_from_yyyymmdd (20210314), cchc_date_from_ymd (2021, 3, 14));
    CHECK_EQ_INT (cchc_date_from_yyyymmdd (20240229), cchc_date_from_ymd (2024, 2, 29));
    CHECK_EQ_INT (cchc_date_to_yyyymmdd (-1), 19691231);
    //  not a real date: -1, never a neighbouring day
    CHECK_EQ_INT (cchc_date_from_yyyymmdd (20210229), -1);
    CHECK_EQ_INT (cchc_date_from_yyyymmdd (20211301), -1);
    CHECK_EQ_INT (cchc_date_from_yyyymmdd (20210300), -1);
    CHECK_EQ_INT (cchc_date_from_yyyymmdd (0), -1);
}

static void
test_date_parse_format (void)
{
    char buf [11];
    CHECK_EQ_INT (s_d ("2021-03-14"), 18700);
    cchc_date_format (18700, buf, sizeof buf);
    CHECK_EQ_STR (buf, "2021-03-14");
    cchc_date_format (s_d ("0001-01-01"), buf, sizeof buf);
    CHECK_EQ_STR (buf, "0001-01-01");
    cchc_date_format (s_d ("9999-12-31"), buf, sizeof buf);
    CHECK_EQ_STR (buf, "9999-12-31");

    cchc_date_t date = 77;
    const char *bad [] = { "2021-02-30",
                           "2021-02-29",
                           "2021-13-01",
                           "2021-00-10",
                           "2021-01-00",
                           "2021-01-32",
                           "2021-04-31",
                           "0000-01-01",
                           "2021-2-3",
                           "2021-02-3",
                           "21-02-03",
                           "2021/02/03",
                           "2021-02-03 ",
                           " 2021-02-03",
                           "2021-02-03x",
                           "+021-02-03",
                           "2021--2-03",
                           "2021-0a-03",
                           "",
                           "2021-02-03T00:00:00Z",
                           NULL };
    for (int i = 0; bad [i]; i++) {
        if (cchc_date_parse (bad [i], strlen (bad [i]), &date) == 0) {
            fprintf (stderr, "accepted bad date '%s'\n", bad [i]);
            CHECK (0);
        }
    }
    //  The length is what counts, not a NUL.
    CHECK_EQ_INT (cchc_date_parse ("2021-03-14junk", 10, &date), 0);
    CHECK_EQ_INT (date, 18700);
    CHECK_EQ_INT (cchc_date_parse ("2021-03-1", 9, &date), -1);
    CHECK_EQ_INT (cchc_date_parse (NULL, 10, &date), -1);
}

static void
test_leap_years (void)
{
    CHECK (cchc_date_ymd_valid (2020, 2, 29));
    CHECK (!cchc_date_ymd_valid (2021, 2, 29));
    CHECK (!cchc_date_ymd_valid (1900, 2, 29));
    CHECK (cchc_date_ymd_valid (2000, 2, 29));
    CHECK (!cchc_date_ymd_valid (2100, 2, 29));
    CHECK (cchc_date_ymd_valid (2024, 2, 29));
    CHECK (!cchc_date_ymd_valid (0, 1, 1));
    CHECK (!cchc_date_ymd_valid (10000, 1, 1));
    CHECK (cchc_date_ymd_valid (9999, 12, 31));
    CHECK (s_d ("2020-02-29") != INT32_MIN);
    CHECK_EQ_INT (s_d ("2021-02-29"), INT32_MIN);
    CHECK_EQ_INT (s_d ("1900-02-29"), INT32_MIN);
    CHECK (s_d ("2000-02-29") != INT32_MIN);
    CHECK_EQ_INT (s_d ("2020-03-01") - s_d ("2020-02-28"), 2);
    CHECK_EQ_INT (s_d ("2021-03-01") - s_d ("2021-02-28"), 1);
    CHECK_EQ_INT (s_d ("1900-03-01") - s_d ("1900-02-28"), 1);
    CHECK_EQ_INT (s_d ("2000-03-01") - s_d ("2000-02-28"), 2);
    //  A leap day is an ordinary day of its month window.
    CHECK_EQ_STR (s_of (CCHC_PERIOD_MONTH, "2020-02-29"), "2020-03");
    CHECK_EQ_STR (s_of (CCHC_PERIOD_QUARTER, "2020-02-29"), "2020-Q1");
    CHECK_EQ_STR (s_window ("2020-03"), "2020-02-15..2020-03-14");
}

//  Every day number of 1900..2100: date -> ymd -> date, checked against an
//  independent count of days.
static void
test_round_trip_all_days (void)
{
    static const int mdays [12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    cchc_date_t expect = cchc_date_from_ymd (1900, 1, 1);
    CHECK_EQ_INT (expect, -25567);
    long count = 0;
    for (int y = 1900; y <= 2100; y++)
        for (int m = 1; m <= 12; m++) {
            int days = mdays [m - 1] + (m == 2 && s_leap (y));
            CHECK (!cchc_date_ymd_valid (y, m, days + 1));
            for (int d = 1; d <= days; d++) {
                CHECK (cchc_date_ymd_valid (y, m, d));
                cchc_date_t date = cchc_date_from_ymd (y, m, d);
                CHECK_EQ_INT (date, expect);
                int yy, mm, dd;
                cchc_date_to_ymd (date, &yy, &mm, &dd);
                CHECK (yy == y && mm == m && dd == d);
                CHECK_EQ_INT (cchc_date_from_ymd (yy, mm, dd), date);
                char buf [11];
                cchc_date_format (date, buf, sizeof buf);
                cchc_date_t back;
                CHECK_EQ_INT (cchc_date_parse (buf, 10, &back), 0);
                CHECK_EQ_INT (back, date);
                expect++;
                count++;
            }
        }
    CHECK_EQ_INT (expect, cchc_date_from_ymd (2101, 1, 1));
    CHECK_EQ_INT (count, 73414);  //  201 years, 49 leap days
}

static void
test_local_midnight (void)
{
    int64_t day14 = (int64_t) s_d ("2021-03-14") * CCHC_DAY_MS;  //  00:00Z
    int64_t hour = 3600 * 1000LL;
    //  2021-03-14T16:59:59.999Z is local 2021-03-14 23:59:59.999.
    cchc_date_t a = cchc_date_from_utc_ms (day14 + 17 * hour - 1);
    cchc_date_t b = cchc_date_from_utc_ms (day14 + 17 * hour);
    CHECK_EQ_INT (a, s_d ("2021-03-14"));
    CHECK_EQ_INT (b, s_d ("2021-03-15"));
    cchc_period_t p;
    char id [CCHC_PERIOD_ID_MAX];
    CHECK_EQ_INT (cchc_period_of (CCHC_PERIOD_QUARTER, a, &p), 0);
    cchc_period_format (&p, id, sizeof id);
    CHECK_EQ_STR (id, "2021-Q1");
    CHECK_EQ_INT (cchc_period_of (CCHC_PERIOD_QUARTER, b, &p), 0);
    cchc_period_format (&p, id, sizeof id);
    CHECK_EQ_STR (id, "2021-Q2");

    //  Local day start is 17:00Z of the previous UTC day.
    CHECK_EQ_INT (cchc_date_start_utc_ms (s_d ("2021-03-15")), day14 + 17 * hour);
    //  The epoch: 1970-01-01T00:00Z is already local 07:00 on 1970-01-01,
    //  1969-12-31T16:59:59.999Z is local 1969-12-31.
    CHECK_EQ_INT (cchc_date_from_utc_ms (0), 0);
    CHECK_EQ_INT (cchc_date_from_utc_ms (-7 * hour), 0);
    CHECK_EQ_INT (cchc_date_from_utc_ms (-7 * hour - 1), -1);
    CHECK_EQ_INT (cchc_date_from_utc_ms (17 * hour - 1), 0);
    CHECK_EQ_INT (cchc_date_from_utc_ms (17 * hour), 1);
    //  Every local day start maps back to its day, one ms earlier to the day before.
    for (cchc_date_t d = s_d ("1999-12-01"); d < s_d ("2001-01-31"); d++) {
        int64_t start = cchc_date_start_utc_ms (d);
        CHECK_EQ_INT (cchc_date_from_utc_ms (start), d);
        CHECK_EQ_INT (cchc_date_from_utc_ms (start - 1), d - 1);
        CHECK_EQ_INT (cchc_date_from_utc_ms (start + CCHC_DAY_MS - 1), d);
    }
    //  Absurd instants clamp instead of overflowing.
    CHECK_EQ_INT (cchc_date_from_utc_ms (INT64_MAX), INT32_MAX);
    CHECK_EQ_INT (cchc_date_from_utc_ms (INT64_MIN), INT32_MIN);
}

static void
test_windows (void)
{
    CHECK_EQ_STR (s_window ("2021-01"), "2020-12-15..2021-01-14");
    CHECK_EQ_STR (s_window ("2021-03"), "2021-02-15..2021-03-14");
    CHECK_EQ_STR (s_window ("2021-12"), "2021-11-15..2021-12-14");
    CHECK_EQ_STR (s_window ("2021-Q1"), "2020-12-15..2021-03-14");
    CHECK_EQ_STR (s_window ("2021-Q2"), "2021-03-15..2021-06-14");
    CHECK_EQ_STR (s_window ("2021-Q3"), "2021-06-15..2021-09-14");
    CHECK_EQ_STR (s_window ("2021-Q4"), "2021-09-15..2021-12-14");
    CHECK_EQ_STR (s_window ("2021-H1"), "2020-12-15..2021-06-14");
    CHECK_EQ_STR (s_window ("2021-H2"), "2021-06-15..2021-12-14");
    CHECK_EQ_STR (s_window ("2021-9M"), "2020-12-15..2021-09-14");
    CHECK_EQ_STR (s_window ("2021"), "2020-12-15..2021-12-14");
    CHECK_EQ_STR (s_window ("2020-03"), "2020-02-15..2020-03-14");
}

//  The 14th and 15th of every month of 2021, for every kind.
static void
test_boundaries_14_15 (void)
{
    static const struct {
        const char *date, *month, *quarter, *half, *nine, *year;
    } rows [] = {
        { "2020-12-14", "2020-12", "2020-Q4", "2020-H2", "-", "2020" },
        { "2020-12-15", "2021-01", "2021-Q1", "2021-H1", "2021-9M", "2021" },
        { "2020-12-31", "2021-01", "2021-Q1", "2021-H1", "2021-9M", "2021" },
        { "2021-01-01", "2021-01", "2021-Q1", "2021-H1", "2021-9M", "2021" },
        { "2021-01-14", "2021-01", "2021-Q1", "2021-H1", "2021-9M", "2021" },
        { "2021-01-15", "2021-02", "2021-Q1", "2021-H1", "2021-9M", "2021" },
        { "2021-02-14", "2021-02", "2021-Q1", "2021-H1", "2021-9M", "2021" },
        { "2021-02-15", "2021-03", "2021-Q1", "2021-H1", "2021-9M", "2021" },
        { "2021-03-14", "2021-03", "2021-Q1", "2021-H1", "2021-9M", "2021" },
        { "2021-03-15", "2021-04", "2021-Q2", "2021-H1", "2021-9M", "2021" },
        { "2021-04-14", "2021-04", "2021-Q2", "2021-H1", "2021-9M", "2021" },
        { "2021-04-15", "2021-05", "2021-Q2", "2021-H1", "2021-9M", "2021" },
        { "2021-05-14", "2021-05", "2021-Q2", "2021-H1", "2021-9M", "2021" },
        { "2021-05-15", "2021-06", "2021-Q2", "2021-H1", "2021-9M", "2021" },
        { "2021-06-14", "2021-06", "2021-Q2", "2021-H1", "2021-9M", "2021" },
        { "2021-06-15", "2021-07", "2021-Q3", "2021-H2", "2021-9M", "2021" },
        { "2021-07-14", "2021-07", "2021-Q3", "2021-H2", "2021-9M", "2021" },
        { "2021-07-15", "2021-08", "2021-Q3", "2021-H2", "2021-9M", "2021" },
        { "2021-08-14", "2021-08", "2021-Q3", "2021-H2", "2021-9M", "2021" },
        { "2021-08-15", "2021-09", "2021-Q3", "2021-H2", "2021-9M", "2021" },
        { "2021-09-14", "2021-09", "2021-Q3", "2021-H2", "2021-9M", "2021" },
        { "2021-09-15", "2021-10", "2021-Q4", "2021-H2", "-", "2021" },
        { "2021-10-01", "2021-10", "2021-Q4", "2021-H2", "-", "2021" },
        { "2021-10-14", "2021-10", "2021-Q4", "2021-H2", "-", "2021" },
        { "2021-10-15", "2021-11", "2021-Q4", "2021-H2", "-", "2021" },
        { "2021-11-14", "2021-11", "2021-Q4", "2021-H2", "-", "2021" },
        { "2021-11-15", "2021-12", "2021-Q4", "2021-H2", "-", "2021" },
        { "2021-12-14", "2021-12", "2021-Q4", "2021-H2", "-", "2021" },
        { "2021-12-15", "2022-01", "2022-Q1", "2022-H1", "2022-9M", "2022" },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows [0]; i++) {
        const char *d = rows [i].date;
        CHECK_EQ_STR (s_of (CCHC_PERIOD_MONTH, d), rows [i].month);
        CHECK_EQ_STR (s_of (CCHC_PERIOD_QUARTER, d), rows [i].quarter);
        CHECK_EQ_STR (s_of (CCHC_PERIOD_HALF, d), rows [i].half);
        CHECK_EQ_STR (s_of (CCHC_PERIOD_NINE_MONTHS, d), rows [i].nine);
        CHECK_EQ_STR (s_of (CCHC_PERIOD_YEAR, d), rows [i].year);

        cchc_period_t all [5];
        size_t n = cchc_period_all_of (s_d (d), all);
        CHECK_EQ_INT (n, strcmp (rows [i].nine, "-") == 0 ? 4 : 5);
        for (size_t k = 1; k < n; k++)
            CHECK (all [k - 1].kind < all [k].kind);
    }
}

//  Brute force over several years: each day lies inside the window of each
//  period that contains it, and the windows of one kind tile the time line.
static void
test_windows_tile (void)
{
    for (cchc_date_t d = s_d ("2018-01-01"); d <= s_d ("2025-12-31"); d++)
        for (int k = CCHC_PERIOD_MONTH; k <= CCHC_PERIOD_YEAR; k++) {
            cchc_period_t p;
            if (cchc_period_of ((cchc_period_kind_t) k, d, &p) != 0) {
                int y, m, dd;
                cchc_date_to_ymd (d, &y, &m, &dd);
                CHECK_EQ_INT (k, CCHC_PERIOD_NINE_MONTHS);
                CHECK ((m == 9 && dd >= 15) || m == 10 || m == 11 || (m == 12 && dd <= 14));
                continue;
            }
            cchc_date_t first, last;
            cchc_period_window (&p, &first, &last);
            CHECK (first <= d && d <= last);
            cchc_period_t q;
            CHECK_EQ_INT (cchc_period_of ((cchc_period_kind_t) k, first, &q), 0);
            CHECK (cchc_period_cmp (&p, &q) == 0);
            CHECK_EQ_INT (cchc_period_of ((cchc_period_kind_t) k, last, &q), 0);
            CHECK (cchc_period_cmp (&p, &q) == 0);
            if (k != CCHC_PERIOD_NINE_MONTHS) {
                //  The next period starts the day after this one ends.
                cchc_period_t next;
                cchc_period_next (&p, &next);
                cchc_date_t nfirst, nlast;
                cchc_period_window (&next, &nfirst, &nlast);
                CHECK_EQ_INT (nfirst, last + 1);
            }
        }
}

static void
test_ids (void)
{
    static const char *good [] = { "2021-03", "2021-01", "2021-12", "2021-Q1", "2021-Q4",
                                   "2021-H1", "2021-H2", "2021-9M", "2021",    "1901",
                                   "9998",    "9998-12", NULL };
    for (int i = 0; good [i]; i++) {
        cchc_period_t p;
        char buf [CCHC_PERIOD_ID_MAX];
        CHECK_EQ_INT (cchc_period_parse (good [i], &p), 0);
        cchc_period_format (&p, buf, sizeof buf);
        CHECK_EQ_STR (buf, good [i]);
    }
    cchc_period_t p;
    CHECK_EQ_INT (cchc_period_parse ("2021-Q3", &p), 0);
    CHECK (p.kind == CCHC_PERIOD_QUARTER && p.year == 2021 && p.index == 3);
    CHECK_EQ_INT (cchc_period_parse ("2021-07", &p), 0);
    CHECK (p.kind == CCHC_PERIOD_MONTH && p.year == 2021 && p.index == 7);
    CHECK_EQ_INT (cchc_period_parse ("2021-9M", &p), 0);
    CHECK (p.kind == CCHC_PERIOD_NINE_MONTHS && p.year == 2021 && p.index == 1);
    CHECK_EQ_INT (cchc_period_parse ("2021", &p), 0);
    CHECK (p.kind == CCHC_PERIOD_YEAR && p.year == 2021 && p.index == 1);

    static const char *bad [] = { "2021-Q5", "2021-Q0",    "2021-H3",  "2021-H0", "2021-13",
                                  "2021-00", "2021-3",     "2021-003", "2021-q1", "2021-h1",
                                  "2021-9m", "2021-8M",    "2021-Q1x", "2021 ",   " 2021",
                                  "2021-",   "202",        "20210",    "1900",    "9999",
                                  "0000",    "2021-03-14", "2021-M3",  "2021/03", "",
                                  "2021-Q",  "2021-1Q",    "abcd",     "2021-0x", NULL };
    for (int i = 0; bad [i]; i++) {
        p.kind = CCHC_PERIOD_YEAR;
        p.year = 7;
        if (cchc_period_parse (bad [i], &p) == 0) {
            fprintf (stderr, "accepted bad id '%s'\n", bad [i]);
            CHECK (0);
        }
        CHECK_EQ_INT (p.year, 7);
    }
    CHECK_EQ_INT (cchc_period_parse (NULL, &p), -1);
}

static const char *
s_step (const char *id, int dir)
{
    static char buf [CCHC_PERIOD_ID_MAX];
    cchc_period_t p, q;
    if (cchc_period_parse (id, &p) != 0)
        return "bad id";
    if (dir < 0)
        cchc_period_prev (&p, &q);
    else
        cchc_period_next (&p, &q);
    cchc_period_format (&q, buf, sizeof buf);
    return buf;
}

static void
test_prev_next (void)
{
    CHECK_EQ_STR (s_step ("2021-01", -1), "2020-12");
    CHECK_EQ_STR (s_step ("2020-12", +1), "2021-01");
    CHECK_EQ_STR (s_step ("2021-05", -1), "2021-04");
    CHECK_EQ_STR (s_step ("2021-05", +1), "2021-06");
    CHECK_EQ_STR (s_step ("2021-Q1", -1), "2020-Q4");
    CHECK_EQ_STR (s_step ("2020-Q4", +1), "2021-Q1");
    CHECK_EQ_STR (s_step ("2021-Q2", -1), "2021-Q1");
    CHECK_EQ_STR (s_step ("2021-Q2", +1), "2021-Q3");
    CHECK_EQ_STR (s_step ("2021-H1", -1), "2020-H2");
    CHECK_EQ_STR (s_step ("2021-H1", +1), "2021-H2");
    CHECK_EQ_STR (s_step ("2021-H2", +1), "2022-H1");
    CHECK_EQ_STR (s_step ("2021-9M", -1), "2020-9M");
    CHECK_EQ_STR (s_step ("2021-9M", +1), "2022-9M");
    CHECK_EQ_STR (s_step ("2021", -1), "2020");
    CHECK_EQ_STR (s_step ("2021", +1), "2022");
    //  prev and next undo each other.
    for (int k = CCHC_PERIOD_MONTH; k <= CCHC_PERIOD_YEAR; k++) {
        cchc_period_t p, q, r;
        CHECK_EQ_INT (cchc_period_of ((cchc_period_kind_t) k, s_d ("2021-01-01"), &p), 0);
        for (int i = 0; i < 30; i++) {
            cchc_period_next (&p, &q);
            CHECK (cchc_period_cmp (&p, &q) < 0);
            cchc_period_prev (&q, &r);
            CHECK (cchc_period_cmp (&p, &r) == 0);
            CHECK (r.kind == p.kind && r.year == p.year && r.index == p.index);
            p = q;
        }
    }
}

static void
test_cmp (void)
{
    cchc_period_t m1, q1, y, m4;
    CHECK_EQ_INT (cchc_period_parse ("2021-01", &m1), 0);
    CHECK_EQ_INT (cchc_period_parse ("2021-Q1", &q1), 0);
    CHECK_EQ_INT (cchc_period_parse ("2021", &y), 0);
    CHECK_EQ_INT (cchc_period_parse ("2021-04", &m4), 0);
    //  Same first day: ordered by kind.
    CHECK (cchc_period_cmp (&m1, &q1) < 0);
    CHECK (cchc_period_cmp (&q1, &m1) > 0);
    CHECK (cchc_period_cmp (&q1, &y) < 0);
    //  Otherwise by first day.
    CHECK (cchc_period_cmp (&y, &m4) < 0);
    CHECK (cchc_period_cmp (&m4, &q1) > 0);
    CHECK_EQ_INT (cchc_period_cmp (&m4, &m4), 0);
}

static void
test_deadline (void)
{
    cchc_period_t p;
    char buf [11];
    CHECK_EQ_INT (cchc_period_parse ("2021-Q1", &p), 0);
    cchc_date_format (cchc_period_deadline (&p, 18), buf, sizeof buf);
    CHECK_EQ_STR (buf, "2021-03-18");
    cchc_date_format (cchc_period_deadline (&p, 22), buf, sizeof buf);
    CHECK_EQ_STR (buf, "2021-03-22");
    CHECK_EQ_INT (cchc_period_parse ("2021-H2", &p), 0);
    cchc_date_format (cchc_period_deadline (&p, 18), buf, sizeof buf);
    CHECK_EQ_STR (buf, "2021-12-18");
    CHECK_EQ_INT (cchc_period_parse ("2021-9M", &p), 0);
    cchc_date_format (cchc_period_deadline (&p, 22), buf, sizeof buf);
    CHECK_EQ_STR (buf, "2021-09-22");
    CHECK_EQ_INT (cchc_period_parse ("2021", &p), 0);
    cchc_date_format (cchc_period_deadline (&p, 1), buf, sizeof buf);
    CHECK_EQ_STR (buf, "2021-12-01");
    CHECK_EQ_INT (cchc_period_parse ("2021-02", &p), 0);
    cchc_date_format (cchc_period_deadline (&p, 28), buf, sizeof buf);
    CHECK_EQ_STR (buf, "2021-02-28");
    //  The due day is after the window's last day.
    cchc_date_t first, last;
    cchc_period_window (&p, &first, &last);
    CHECK (cchc_period_deadline (&p, 18) > last);
}

//  local (UTC+7) "YYYY-MM-DD HH" as UTC ms
static int64_t
s_local_ms (const char *day, int hour)
{
    cchc_date_t d = 0;
    if (cchc_date_parse (day, 10, &d) != 0)
        fprintf (stderr, "bad day %s\n", day);
    return cchc_date_start_utc_ms (d) + hour * 3600000LL;
}

static void
test_round_start (void)
{
    //  10/04: April's due day (16/04) is still ahead, March's round (sent
    //  from 15/03) is the one due; 17/04 00:00 (the 16th over): April's
    struct {
        const char *now;
        int hour, due;
        const char *start;
    } cases [] = {
        { "2021-04-10", 12, 16, "2021-03-15" }, { "2021-04-16", 23, 16, "2021-03-15" },
        { "2021-04-17", 0, 16, "2021-04-15" },  { "2021-04-17", 0, 17, "2021-03-15" },
        { "2021-04-19", 0, 18, "2021-04-15" },  { "2021-04-14", 23, 18, "2021-03-15" },
        { "2021-01-05", 0, 16, "2020-12-15" },  //  across the year
        { "2021-12-20", 0, 18, "2021-12-15" },  { "2021-12-16", 0, 18, "2021-11-15" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        int64_t got = cchc_period_round_start_ms (cases [i].due,
                                                  s_local_ms (cases [i].now, cases [i].hour));
        CHECK_EQ_INT (got, s_local_ms (cases [i].start, 0));
    }
}

int
main (void)
{
    CCHC_TEST_RUN (test_date_anchors);
    CCHC_TEST_RUN (test_yyyymmdd);
    CCHC_TEST_RUN (test_date_parse_format);
    CCHC_TEST_RUN (test_leap_years);
    CCHC_TEST_RUN (test_round_trip_all_days);
    CCHC_TEST_RUN (test_local_midnight);
    CCHC_TEST_RUN (test_windows);
    CCHC_TEST_RUN (test_boundaries_14_15);
    CCHC_TEST_RUN (test_windows_tile);
    CCHC_TEST_RUN (test_ids);
    CCHC_TEST_RUN (test_prev_next);
    CCHC_TEST_RUN (test_cmp);
    CCHC_TEST_RUN (test_deadline);
    CCHC_TEST_RUN (test_round_start);
    return CCHC_TEST_DONE ();
}
