/*  clock.c — the one source of "now": the real wall clock, a fixed one for
    unit tests (cchc_clock_set_fake), or the demonstration clock a program's
    configuration gives explicitly (clock.demo, see clock.h), plus the ISO
    8601 form used in logs and messages.

    The state is a few words behind one mutex; cchc_clock_now_ms is cheap
    enough for every message and safe from any thread (with a gate file, one
    small read of it at most once a real millisecond).
*/
#include "common/clock.h"
#include "common/period.h"
#include "common/text.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef enum {
    S_REAL,   //  the system clock
    S_FIXED,  //  s_fake_ms, not moving
    S_DEMO    //  s_demo: START + (real - ANCHOR) * SPEED (ticks)
} s_mode_t;

static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static s_mode_t s_mode = S_REAL;
static int64_t s_fake_ms = 0;
static cchc_clock_demo_t s_demo = { 0, 1, 0, "" };
//  The gate (clock.h): its file's values, when they were read, the last
//  simulated instant returned (the clock never goes back).
static int64_t s_gate_hold = 0;
static int64_t s_gate_read_mono = INT64_MIN;
static int64_t s_gate_last = INT64_MIN;

static int64_t
s_real_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
cchc_clock_mono_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

//  "ANCHOR HOLD\n" from the gate file into the state; nothing changes when
//  it cannot be read or is not that line.  Under s_lock.
static void
s_gate_read (void)
{
    int fd = open (s_demo.gate, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    char buf [64];
    ssize_t n;
    do
        n = read (fd, buf, sizeof buf - 1);
    while (n < 0 && errno == EINTR);
    close (fd);
    if (n <= 0 || buf [n - 1] != '\n')
        return;
    buf [n] = 0;
    int64_t anchor, hold;
    int used = 0;
    if (sscanf (buf, "%" SCNd64 " %" SCNd64 "%n", &anchor, &hold, &used) != 2
        || buf [used] != '\n' || anchor < INT64_C (1000000000000)
        || anchor > INT64_C (9999999999999))
        return;
    s_demo.anchor_ms = anchor;
    s_gate_hold = hold;
}

int64_t
cchc_clock_now_ms (void)
{
    pthread_mutex_lock (&s_lock);
    s_mode_t mode = s_mode;
    int64_t now;
    if (mode == S_FIXED)
        now = s_fake_ms;
    else if (mode == S_DEMO) {
        bool gated = s_demo.gate [0] != 0;
        if (gated) {
            int64_t mono = cchc_clock_mono_ms ();
            if (mono != s_gate_read_mono) {
                s_gate_read_mono = mono;
                s_gate_read ();
            }
        }
        now = s_demo.start_ms + (s_real_ms () - s_demo.anchor_ms) * s_demo.speed;
        if (gated) {
            if (now > s_gate_hold)
                now = s_gate_hold;
            if (now < s_gate_last)
                now = s_gate_last;
            s_gate_last = now;
        }
    }
    else
        now = s_real_ms ();
    pthread_mutex_unlock (&s_lock);
    return now;
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
    s_demo = (cchc_clock_demo_t){ 0, 1, 0, "" };
    pthread_mutex_unlock (&s_lock);
}

int
cchc_clock_demo_parse (const char *text, cchc_clock_demo_t *demo, char *err,
                       unsigned long errlen)
{
    assert (text && demo);
    char buf [64 + CCHC_CLOCK_GATE_MAX];
    if (strlen (text) >= sizeof buf) {
        cchc_errf (err, errlen, "clock.demo: too long");
        return -1;
    }
    strcpy (buf, text);
    //  START, SPEED, ANCHOR, then GATE: the rest (a path may have commas)
    char *parts [4] = { NULL };
    int n = 0;
    for (char *s = buf; n < 4; n++) {
        parts [n] = s;
        char *comma = n < 3 ? strchr (s, ',') : NULL;
        if (!comma) {
            n++;
            break;
        }
        *comma = 0;
        s = comma + 1;
    }
    cchc_clock_demo_t d = { 0, 1, 0, "" };
    if (cchc_clock_parse_iso (parts [0], &d.start_ms) != 0) {
        cchc_errf (err, errlen, "clock.demo: START '%s' is not YYYY-MM-DDTHH:MM:SSZ",
                   parts [0]);
        return -1;
    }
    if (n > 1 && cchc_parse_int64 (parts [1], 1, CCHC_CLOCK_SPEED_MAX, &d.speed) != 0) {
        cchc_errf (err, errlen, "clock.demo: SPEED '%s' is not 1..%d", parts [1],
                   CCHC_CLOCK_SPEED_MAX);
        return -1;
    }
    //  An anchor from 2001 to 2286: real instants, in ms.
    if (n > 2
        && cchc_parse_int64 (parts [2], INT64_C (1000000000000), INT64_C (9999999999999),
                             &d.anchor_ms)
               != 0) {
        cchc_errf (err, errlen,
                   "clock.demo: ANCHOR '%s' is not a real instant in "
                   "ms since 1970",
                   parts [2]);
        return -1;
    }
    if (n > 3) {
        if (parts [3][0] != '/' || strlen (parts [3]) >= sizeof d.gate) {
            cchc_errf (err, errlen,
                       "clock.demo: GATE '%s' is not an absolute path "
                       "(START[,SPEED[,ANCHOR[,GATE]]])",
                       parts [3]);
            return -1;
        }
        strcpy (d.gate, parts [3]);
    }
    *demo = d;
    return 0;
}

//  True when a ZeroMQ endpoint stays on this machine.
static bool
s_endpoint_local (const char *endpoint)
{
    if (strncmp (endpoint, "ipc://", 6) == 0 || strncmp (endpoint, "inproc://", 9) == 0)
        return true;
    if (strncmp (endpoint, "tcp://", 6) != 0)
        return false;
    const char *host = endpoint + 6;
    //  "tcp://[local;]host:port": the connecting form may name a source.
    const char *semi = strchr (host, ';');
    if (semi)
        host = semi + 1;
    if (strncmp (host, "[::1]:", 6) == 0 || strncmp (host, "localhost:", 10) == 0)
        return true;
    //  127.a.b.c:port, a dotted quad (not a name that starts with "127.")
    if (strncmp (host, "127.", 4) != 0)
        return false;
    int dots = 0;
    const char *c = host + 3;
    for (; *c && *c != ':'; c++) {
        if (*c == '.')
            dots++;
        else if (*c < '0' || *c > '9')
            return false;
    }
    return dots == 3 && *c == ':';
}

const char *
cchc_clock_demo_refused (bool curve, const char *const *endpoints)
{
    if (curve)
        return "CurveZMQ is on (a production configuration)";
    for (size_t i = 0; endpoints && endpoints [i]; i++)
        if (!s_endpoint_local (endpoints [i]))
            return "an endpoint is not on loopback (a production configuration)";
    return NULL;
}

int
cchc_clock_demo_start (const char *text, bool curve, const char *const *endpoints, char *err,
                       unsigned long errlen)
{
    assert (text);
    if (!*text)
        return 0;
    cchc_clock_demo_t demo;
    if (cchc_clock_demo_parse (text, &demo, err, errlen) != 0)
        return -1;
    const char *why = cchc_clock_demo_refused (curve, endpoints);
    if (why) {
        cchc_errf (err, errlen, "clock.demo refused: %s", why);
        return -1;
    }
    cchc_clock_demo_apply (&demo);
    return 0;
}

void
cchc_clock_demo_apply (const cchc_clock_demo_t *demo)
{
    assert (demo && demo->speed >= 1);
    pthread_mutex_lock (&s_lock);
    s_mode = S_DEMO;
    s_demo = *demo;
    if (s_demo.anchor_ms == 0)
        s_demo.anchor_ms = s_real_ms ();
    s_gate_hold = s_demo.start_ms;
    s_gate_read_mono = INT64_MIN;
    s_gate_last = INT64_MIN;
    pthread_mutex_unlock (&s_lock);
}

bool
cchc_clock_is_demo (void)
{
    pthread_mutex_lock (&s_lock);
    bool demo = s_mode == S_DEMO;
    pthread_mutex_unlock (&s_lock);
    return demo;
}

int64_t
cchc_clock_speed (void)
{
    pthread_mutex_lock (&s_lock);
    int64_t speed = s_mode == S_DEMO ? s_demo.speed : 1;
    pthread_mutex_unlock (&s_lock);
    return speed;
}

int64_t
cchc_clock_real_wait_ms (int64_t clock_ms)
{
    if (clock_ms <= 0)
        return 0;
    int64_t speed = cchc_clock_speed ();
    return (clock_ms + speed - 1) / speed;
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
    if (text [10] != 'T' || text [13] != ':' || text [16] != ':' || text [len - 1] != 'Z')
        return -1;
    int hour = cchc_digits (text + 11, 2);
    int minute = cchc_digits (text + 14, 2);
    int second = cchc_digits (text + 17, 2);
    int milli = 0;
    if (len == 24) {
        if (text [19] != '.')
            return -1;
        milli = cchc_digits (text + 20, 3);
    }
    if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59
        || milli < 0)
        return -1;
    //  The date is a UTC calendar day here: day number * day, no offset.
    *ms = (int64_t) date * CCHC_DAY_MS + ((int64_t) hour * 3600 + minute * 60 + second) * 1000
          + milli;
    return 0;
}

void
cchc_clock_format_iso (int64_t ms, char *buf, unsigned long size)
{
    assert (buf && size >= 25);
    //  Keep to years 0001..9999, the range the format can express.
    const int64_t min_ms = -62135596800000LL;  //  0001-01-01T00:00:00Z
    const int64_t max_ms = 253402300799999LL;  //  9999-12-31T23:59:59.999Z
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
