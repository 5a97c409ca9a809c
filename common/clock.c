/*  clock.c — the one source of "now": the real wall clock, or a fake one for
    tests (fixed with cchc_clock_set_fake, or shifted by an offset read from
    CCHC_FAKE_NOW), plus the ISO 8601 form used in logs and messages.

    The state is three words behind one mutex; cchc_clock_now_ms is cheap
    enough for every message and safe from any thread.
*/
#include "common/clock.h"
#include "common/period.h"
#include "common/text.h"

#include <assert.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef enum {
    S_REAL,         //  the system clock
    S_FIXED,        //  s_fake_ms, not moving
    S_OFFSET        //  the system clock + s_offset_ms (ticks)
} s_mode_t;

static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static s_mode_t s_mode = S_REAL;
static int64_t s_fake_ms = 0;
static int64_t s_offset_ms = 0;

static int64_t
s_real_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
cchc_clock_now_ms (void)
{
    pthread_mutex_lock (&s_lock);
    s_mode_t mode = s_mode;
    int64_t fake = s_fake_ms, offset = s_offset_ms;
    pthread_mutex_unlock (&s_lock);
    if (mode == S_FIXED)
        return fake;
    if (mode == S_OFFSET)
        return s_real_ms () + offset;
    return s_real_ms ();
}

int64_t
cchc_clock_mono_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
cchc_clock_set_fake (int64_t now_ms)
{
    pthread_mutex_lock (&s_lock);
    s_mode = S_FIXED;
    s_fake_ms = now_ms;
    pthread_mutex_unlock (&s_lock);
}

void
cchc_clock_set_real (void)
{
    pthread_mutex_lock (&s_lock);
    s_mode = S_REAL;
    s_fake_ms = 0;
    s_offset_ms = 0;
    pthread_mutex_unlock (&s_lock);
}

static void
s_set_offset (int64_t offset_ms)
{
    pthread_mutex_lock (&s_lock);
    s_mode = S_OFFSET;
    s_offset_ms = offset_ms;
    pthread_mutex_unlock (&s_lock);
}

int
cchc_clock_init_env (void)
{
    const char *value = getenv ("CCHC_FAKE_NOW");
    if (!value || !*value)
        return 0;
    int64_t ms;
    if (value [0] == '+' || value [0] == '-') {
        //  An offset; keep it within a few thousand years.
        const int64_t limit = 100000LL * 365 * 86400 * 1000;
        if (cchc_parse_int64 (value, -limit, limit, &ms) != 0)
            return -1;
        s_set_offset (ms);
        return 0;
    }
    if (cchc_clock_parse_iso (value, &ms) != 0)
        return -1;
    //  A fixed start that then ticks: an offset from the real clock.
    s_set_offset (ms - s_real_ms ());
    return 0;
}

//  Value of n digits at s, or -1.
static int
s_digits (const char *s, int n)
{
    int value = 0;
    for (int i = 0; i < n; i++) {
        if (s [i] < '0' || s [i] > '9')
            return -1;
        value = value * 10 + (s [i] - '0');
    }
    return value;
}

int
cchc_clock_parse_iso (const char *text, int64_t *ms)
{
    assert (ms);
    if (!text)
        return -1;
    //  "YYYY-MM-DDTHH:MM:SSZ" (20) or "YYYY-MM-DDTHH:MM:SS.mmmZ" (24)
    size_t len = strnlen (text, 25);
    if (len != 20 && len != 24)
        return -1;
    cchc_date_t date;
    if (cchc_date_parse (text, 10, &date) != 0)
        return -1;
    if (text [10] != 'T' || text [13] != ':' || text [16] != ':'
    ||  text [len - 1] != 'Z')
        return -1;
    int hour = s_digits (text + 11, 2);
    int minute = s_digits (text + 14, 2);
    int second = s_digits (text + 17, 2);
    int milli = 0;
    if (len == 24) {
        if (text [19] != '.')
            return -1;
        milli = s_digits (text + 20, 3);
    }
    if (hour < 0 || hour > 23 || minute < 0 || minute > 59
    ||  second < 0 || second > 59 || milli < 0)
        return -1;
    //  The date is a UTC calendar day here: day number * day, no offset.
    *ms = (int64_t) date * CCHC_DAY_MS
        + ((int64_t) hour * 3600 + minute * 60 + second) * 1000 + milli;
    return 0;
}

void
cchc_clock_format_iso (int64_t ms, char *buf, unsigned long size)
{
    assert (buf && size >= 25);
    //  Keep to years 0001..9999, the range the format can express.
    const int64_t min_ms = -62135596800000LL;           //  0001-01-01T00:00:00Z
    const int64_t max_ms = 253402300799999LL;           //  9999-12-31T23:59:59.999Z
    if (ms < min_ms)
        ms = min_ms;
    if (ms > max_ms)
        ms = max_ms;
    int64_t days = ms / CCHC_DAY_MS;
    int64_t rem = ms % CCHC_DAY_MS;
    if (rem < 0) {
        days--;
        rem += CCHC_DAY_MS;
    }
    char date [11];
    cchc_date_format ((cchc_date_t) days, date, sizeof date);
    int milli = (int) (rem % 1000);
    int second = (int) (rem / 1000 % 60);
    int minute = (int) (rem / 60000 % 60);
    int hour = (int) (rem / 3600000);
    snprintf (buf, size, "%sT%02d:%02d:%02d.%03dZ", date, hour, minute, second, milli);
}
