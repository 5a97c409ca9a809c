/*  period.h — civil dates and the reporting-period calendar (Decree 09/2019/NĐ-CP,
    Art. 12), the one place that defines what a period is.

    Dates are local days in Asia/Ho_Chi_Minh (UTC+7, no DST), held as
    cchc_date_t = days since 1970-01-01 (proleptic Gregorian).  A UTC instant
    belongs to local day floor((ms + 7 h) / 1 day): 2021-03-14T16:59:59Z is
    local 2021-03-14 23:59:59, and 2021-03-14T17:00:00Z is local 2021-03-15.

    Windows (both ends inclusive, whole local days):

      kind     id          first day                         last day
      -------  ----------  --------------------------------  ----------------
      month    2021-03     15th of the previous month        14th of the month
      quarter  2021-Q1     15th of month before the quarter  14th of its last month
      half     2021-H1     15/12 of previous year            14/06
               2021-H2     15/06                             14/12
      9 months 2021-9M     15/12 of previous year            14/09
      year     2021        15/12 of previous year            14/12

    So 2020-12-15 is in 2021-01, 2021-Q1, 2021-H1, 2021-9M and 2021; a day from
    15/12 to 31/12 of year Y belongs to year Y+1's periods.

    Deadlines: an agency's data for a window is on time when it arrived by the
    end (local) of the due day, by default the 18th of the window's last month;
    the period's figures are locked at the start (local) of the lock day, by
    default the 22nd of the window's last month (the report deadline).
*/
#ifndef CCHC_PERIOD_H
#define CCHC_PERIOD_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

typedef int32_t cchc_date_t; /* local days since 1970-01-01 */

#define CCHC_TZ_OFFSET_MS (7LL * 3600 * 1000)
#define CCHC_DAY_MS (86400LL * 1000)

/*  Civil date <-> day number.  ymd_valid checks month lengths and leap years
    (year 1..9999). */
bool cchc_date_ymd_valid (int year, int month, int day);
cchc_date_t cchc_date_from_ymd (int year, int month, int day);
void cchc_date_to_ymd (cchc_date_t date, int *year, int *month, int *day);

/*  The yyyymmdd integer of a day (20210314: the form the databases store
    days in), and back; -1 when the integer is not a real date. */
int32_t cchc_date_to_yyyymmdd (cchc_date_t date);
cchc_date_t cchc_date_from_yyyymmdd (int32_t yyyymmdd);

/*  "YYYY-MM-DD", exactly 10 characters, a real date.  Returns 0 or -1. */
int cchc_date_parse (const char *text, size_t len, cchc_date_t *date);
/*  Writes "YYYY-MM-DD" and a NUL into buf (size >= 11). */
void cchc_date_format (cchc_date_t date, char *buf, size_t size);

/*  Local (UTC+7) day of a UTC instant, and the UTC ms at which a local day starts. */
cchc_date_t cchc_date_from_utc_ms (int64_t utc_ms);
int64_t cchc_date_start_utc_ms (cchc_date_t date);

typedef enum {
    CCHC_PERIOD_MONTH = 1,
    CCHC_PERIOD_QUARTER = 2,
    CCHC_PERIOD_HALF = 3,
    CCHC_PERIOD_NINE_MONTHS = 4,
    CCHC_PERIOD_YEAR = 5
} cchc_period_kind_t;

typedef struct {
    cchc_period_kind_t kind;
    int year;  /* the reporting year (2021 for 2021-Q1, even for 15/12/2020) */
    int index; /* month 1..12, quarter 1..4, half 1..2; 1 for 9M and year */
} cchc_period_t;

#define CCHC_PERIOD_ID_MAX 12 /* buffer size for an id, NUL included */

/*  Parse "2021-03", "2021-Q1", "2021-H2", "2021-9M", "2021" (year 1901..9998).
    Returns 0 or -1. */
int cchc_period_parse (const char *text, cchc_period_t *period);
void cchc_period_format (const cchc_period_t *period, char *buf, size_t size);

/*  First and last local day of the window (inclusive). */
void cchc_period_window (const cchc_period_t *period, cchc_date_t *first, cchc_date_t *last);

/*  The period of `kind` that contains `date`.  Returns 0, or -1 when no period
    of that kind contains it (only 9M: days from 15/09 to 14/12). */
int cchc_period_of (cchc_period_kind_t kind, cchc_date_t date, cchc_period_t *period);

/*  Every period containing `date`, in kind order; returns how many (4 or 5). */
size_t cchc_period_all_of (cchc_date_t date, cchc_period_t out [5]);

/*  The period of the same kind just before / after.  For 9M and year it is
    the previous / next year's. */
void cchc_period_prev (const cchc_period_t *period, cchc_period_t *prev);
void cchc_period_next (const cchc_period_t *period, cchc_period_t *next);

/*  Compare by (first day, kind).  Negative, 0, positive. */
int cchc_period_cmp (const cchc_period_t *a, const cchc_period_t *b);

/*  The reporting month (yyyymm) a day (yyyymmdd) falls in: a Decree
    09/2019 month runs from the 15th of the previous month to the 14th. */
int32_t cchc_period_month_of (int32_t yyyymmdd);

/*  The day `day_of_month` (1..28) of the window's last month: the due day
    (default 18) or the lock day (default 22). */
cchc_date_t cchc_period_deadline (const cchc_period_t *period, int day_of_month);

/*  The reporting round a unit with due day `due_day` (1..28) must have
    answered by `now_ms`: the latest month whose due day has passed (the end
    of that local day).  Returns the first instant after that month's window
    (UTC ms of its next local day: when its figures could first be sent), or
    0 when there is none. */
int64_t cchc_period_round_start_ms (int due_day, int64_t now_ms);

#endif
