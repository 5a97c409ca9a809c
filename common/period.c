/*  period.c — civil dates (local days in UTC+7) and the reporting-period
    calendar of Decree 09/2019/NĐ-CP, Art. 12.  period.h holds the table of
    windows; this file is its only implementation.

    Every window ends on the 14th of some month M of the reporting year and
    starts on the 15th of an earlier month, so the whole calendar follows from
    one idea: the "reporting month" of a day is its own month up to the 14th
    and the next month from the 15th on (15/12/2020 -> 2021-01).  A period of
    any kind is then a run of reporting months:

        month    m           quarter  3q-2 .. 3q
        half     6h-5 .. 6h  9M       1 .. 9          year  1 .. 12
*/
#include "common/period.h"
#include "common/text.h"

#include <assert.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

//  ---------------------------------------------------------------------------
//  Civil dates

static bool
s_leap (int64_t year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int
s_month_days (int64_t year, int month)
{
    static const int days [12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return month == 2 && s_leap (year) ? 29 : days [month - 1];
}

bool
cchc_date_ymd_valid (int year, int month, int day)
{
    if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1)
        return false;
    return day <= s_month_days (year, month);
}

//  Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
//  days_from_civil).  Works for any year; day may run past the month end.
static int64_t
s_days_from_civil (int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;                                    //  [0, 399]
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;  //  [0, 365]
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;            //  [0, 146096]
    return era * 146097 + doe - 719468;
}

//  Inverse of s_days_from_civil (civil_from_days).
static void
s_civil_from_days (int64_t z, int64_t *year, int *month, int *day)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;                                       //  [0, 146096]
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  //  [0, 399]
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                //  [0, 365]
    int64_t mp = (5 * doy + 2) / 153;                                     //  [0, 11]
    *day = (int) (doy - (153 * mp + 2) / 5 + 1);
    *month = (int) (mp < 10 ? mp + 3 : mp - 9);
    *year = yoe + era * 400 + (*month <= 2);
}

cchc_date_t
cchc_date_from_ymd (int year, int month, int day)
{
    assert (month >= 1 && month <= 12);
    int64_t days = s_days_from_civil (year, month, day);
    assert (days >= INT32_MIN && days <= INT32_MAX);
    return (cchc_date_t) days;
}

void
cchc_date_to_ymd (cchc_date_t date, int *year, int *month, int *day)
{
    assert (year && month && day);
    int64_t y;
    s_civil_from_days (date, &y, month, day);
    *year = (int) y;  //  |y| < 6 million for any int32 day number
}

int32_t
cchc_date_to_yyyymmdd (cchc_date_t date)
{
    int y, m, d;
    cchc_date_to_ymd (date, &y, &m, &d);
    return (int32_t) (y * 10000 + m * 100 + d);
}

cchc_date_t
cchc_date_from_yyyymmdd (int32_t yyyymmdd)
{
    int y = yyyymmdd / 10000, m = yyyymmdd / 100 % 100, d = yyyymmdd % 100;
    if (!cchc_date_ymd_valid (y, m, d))
        return -1;
    return cchc_date_from_ymd (y, m, d);
}

int
cchc_date_parse (const char *text, size_t len, cchc_date_t *date)
{
    assert (date);
    if (!text || len != 10 || text [4] != '-' || text [7] != '-')
        return -1;
    int year = cchc_digits (text, 4);
    int month = cchc_digits (text + 5, 2);
    int day = cchc_digits (text + 8, 2);
    if (year < 0 || month < 0 || day < 0 || !cchc_date_ymd_valid (year, month, day))
        return -1;
    *date = cchc_date_from_ymd (year, month, day);
    return 0;
}

void
cchc_date_format (cchc_date_t date, char *buf, size_t size)
{
    assert (buf && size >= 11);
    int year, month, day;
    cchc_date_to_ymd (date, &year, &month, &day);
    snprintf (buf, size, "%04d-%02d-%02d", year, month, day);
}

cchc_date_t
cchc_date_from_utc_ms (int64_t utc_ms)
{
    //  floor ((utc_ms + offset) / day) without overflowing near INT64_MAX.
    int64_t q = utc_ms / CCHC_DAY_MS;
    int64_t r = utc_ms % CCHC_DAY_MS;
    if (r < 0) {
        q--;
        r += CCHC_DAY_MS;
    }
    if (r + CCHC_TZ_OFFSET_MS >= CCHC_DAY_MS)
        q++;
    //  Far outside any real date: clamp rather than wrap.
    if (q > INT32_MAX)
        return INT32_MAX;
    if (q < INT32_MIN)
        return INT32_MIN;
    return (cchc_date_t) q;
}

int64_t
cchc_date_start_utc_ms (cchc_date_t date)
{
    return (int64_t) date * CCHC_DAY_MS - CCHC_TZ_OFFSET_MS;
}

//  ---------------------------------------------------------------------------
//  Periods as runs of reporting months

//  Reporting months [*from, *to] (1..12) that make up a period.
static void
s_month_range (const cchc_period_t *period, int *from, int *to)
{
    switch (period->kind) {
        case CCHC_PERIOD_MONTH:
            assert (period->index >= 1 && period->index <= 12);
            *from = *to = period->index;
            break;
        case CCHC_PERIOD_QUARTER:
            assert (period->index >= 1 && period->index <= 4);
            *to = 3 * period->index;
            *from = *to - 2;
            break;
        case CCHC_PERIOD_HALF:
            assert (period->index >= 1 && period->index <= 2);
            *to = 6 * period->index;
            *from = *to - 5;
            break;
        case CCHC_PERIOD_NINE_MONTHS:
            assert (period->index == 1);
            *from = 1;
            *to = 9;
            break;
        case CCHC_PERIOD_YEAR:
            assert (period->index == 1);
            *from = 1;
            *to = 12;
            break;
        default: assert (!"invalid period kind"); *from = *to = 1;
    }
}

void
cchc_period_window (const cchc_period_t *period, cchc_date_t *first, cchc_date_t *last)
{
    assert (period && first && last);
    int from, to;
    s_month_range (period, &from, &to);
    //  Reporting month m of year Y runs from 15/(m-1) to 14/m; month 0 is
    //  December of Y-1.
    if (from == 1)
        *first = cchc_date_from_ymd (period->year - 1, 12, 15);
    else
        *first = cchc_date_from_ymd (period->year, from - 1, 15);
    *last = cchc_date_from_ymd (period->year, to, 14);
}

int
cchc_period_of (cchc_period_kind_t kind, cchc_date_t date, cchc_period_t *period)
{
    assert (period);
    assert (kind >= CCHC_PERIOD_MONTH && kind <= CCHC_PERIOD_YEAR);
    int year, month, day;
    cchc_date_to_ymd (date, &year, &month, &day);
    if (day >= 15) {
        if (month == 12) {
            year++;
            month = 1;
        }
        else
            month++;
    }
    //  (year, month) is now the reporting month.
    int index = 1;
    switch (kind) {
        case CCHC_PERIOD_MONTH: index = month; break;
        case CCHC_PERIOD_QUARTER: index = (month - 1) / 3 + 1; break;
        case CCHC_PERIOD_HALF: index = month <= 6 ? 1 : 2; break;
        case CCHC_PERIOD_NINE_MONTHS:
            if (month > 9)
                return -1;  //  15/09 .. 14/12 belongs to no 9M period
            break;
        case CCHC_PERIOD_YEAR: break;
    }
    period->kind = kind;
    period->year = year;
    period->index = index;
    return 0;
}

size_t
cchc_period_all_of (cchc_date_t date, cchc_period_t out [5])
{
    assert (out);
    size_t count = 0;
    for (int kind = CCHC_PERIOD_MONTH; kind <= CCHC_PERIOD_YEAR; kind++)
        if (cchc_period_of ((cchc_period_kind_t) kind, date, &out [count]) == 0)
            count++;
    return count;
}

//  How many periods of `kind` a year holds.
static int
s_per_year (cchc_period_kind_t kind)
{
    switch (kind) {
        case CCHC_PERIOD_MONTH: return 12;
        case CCHC_PERIOD_QUARTER: return 4;
        case CCHC_PERIOD_HALF: return 2;
        default: return 1;
    }
}

void
cchc_period_prev (const cchc_period_t *period, cchc_period_t *prev)
{
    assert (period && prev);
    int from, to;
    s_month_range (period, &from, &to);  //  validates
    cchc_period_t result = *period;
    if (result.index > 1)
        result.index--;
    else {
        result.year--;
        result.index = s_per_year (result.kind);
    }
    *prev = result;
}

void
cchc_period_next (const cchc_period_t *period, cchc_period_t *next)
{
    assert (period && next);
    int from, to;
    s_month_range (period, &from, &to);  //  validates
    cchc_period_t result = *period;
    if (result.index < s_per_year (result.kind))
        result.index++;
    else {
        result.year++;
        result.index = 1;
    }
    *next = result;
}

int
cchc_period_cmp (const cchc_period_t *a, const cchc_period_t *b)
{
    assert (a && b);
    cchc_date_t a_first, a_last, b_first, b_last;
    cchc_period_window (a, &a_first, &a_last);
    cchc_period_window (b, &b_first, &b_last);
    if (a_first != b_first)
        return a_first < b_first ? -1 : 1;
    if (a->kind != b->kind)
        return a->kind < b->kind ? -1 : 1;
    return 0;
}

cchc_date_t
cchc_period_deadline (const cchc_period_t *period, int day_of_month)
{
    assert (period);
    assert (day_of_month >= 1 && day_of_month <= 28);
    int from, to;
    s_month_range (period, &from, &to);
    return cchc_date_from_ymd (period->year, to, day_of_month);
}

int64_t
cchc_period_round_start_ms (int due_day, int64_t now_ms)
{
    assert (due_day >= 1 && due_day <= 28);
    cchc_period_t month;
    if (cchc_period_of (CCHC_PERIOD_MONTH, cchc_date_from_utc_ms (now_ms), &month) != 0)
        return 0;
    //  the month in progress, or one of the two before it
    for (int i = 0; i < 3; i++) {
        cchc_date_t due = cchc_period_deadline (&month, due_day);
        if (cchc_date_start_utc_ms (due + 1) <= now_ms) {
            cchc_date_t first, last;
            cchc_period_window (&month, &first, &last);
            return cchc_date_start_utc_ms (last + 1);
        }
        cchc_period_t prev;
        cchc_period_prev (&month, &prev);
        month = prev;
    }
    return 0;
}

//  ---------------------------------------------------------------------------
//  Period ids

int
cchc_period_parse (const char *text, cchc_period_t *period)
{
    assert (period);
    if (!text)
        return -1;
    size_t len = strnlen (text, 8);
    if (len < 4)
        return -1;
    int year = cchc_digits (text, 4);
    if (year < 1901 || year > 9998)
        return -1;
    cchc_period_t result = { CCHC_PERIOD_YEAR, year, 1 };
    if (len == 4) {  //  "2021"
        *period = result;
        return 0;
    }
    if (len != 7 || text [4] != '-')
        return -1;
    if (text [5] == 'Q') {  //  "2021-Q1"
        result.kind = CCHC_PERIOD_QUARTER;
        result.index = text [6] - '0';
        if (result.index < 1 || result.index > 4)
            return -1;
    }
    else if (text [5] == 'H') {  //  "2021-H2"
        result.kind = CCHC_PERIOD_HALF;
        result.index = text [6] - '0';
        if (result.index < 1 || result.index > 2)
            return -1;
    }
    else if (text [5] == '9' && text [6] == 'M')  //  "2021-9M"
        result.kind = CCHC_PERIOD_NINE_MONTHS;
    else {  //  "2021-03"
        result.kind = CCHC_PERIOD_MONTH;
        result.index = cchc_digits (text + 5, 2);
        if (result.index < 1 || result.index > 12)
            return -1;
    }
    *period = result;
    return 0;
}

void
cchc_period_format (const cchc_period_t *period, char *buf, size_t size)
{
    assert (period && buf && size > 0);
    int from, to;
    s_month_range (period, &from, &to);  //  validates
    switch (period->kind) {
        case CCHC_PERIOD_MONTH:
            snprintf (buf, size, "%04d-%02d", period->year, period->index);
            break;
        case CCHC_PERIOD_QUARTER:
            snprintf (buf, size, "%04d-Q%d", period->year, period->index);
            break;
        case CCHC_PERIOD_HALF:
            snprintf (buf, size, "%04d-H%d", period->year, period->index);
            break;
        case CCHC_PERIOD_NINE_MONTHS: snprintf (buf, size, "%04d-9M", period->year); break;
        case CCHC_PERIOD_YEAR: snprintf (buf, size, "%04d", period->year); break;
    }
}

int32_t
cchc_period_month_of (int32_t d)
{
    if (d % 100 < 15)
        return d / 100;
    if (d / 100 % 100 == 12)
        return (d / 10000 + 1) * 100 + 1;
    return d / 100 + 1;
}
