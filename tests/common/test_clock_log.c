/*  test_clock_log.c — the injectable clock (common/clock.h) and logging
    (common/log.h): ISO forms, fixed and demonstration clocks, line
    formats for a terminal and for journald, levels, control characters,
    truncation, the rate limiter and whole lines under concurrent writers.
    Log output is captured by pointing fd 2 at a temporary file. */
#include "common/clock.h"
#include "common/log.h"
#include "tests/test.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void
s_sleep_ms (int ms)
{
    struct timespec ts = { ms / 1000, (long) (ms % 1000) * 1000000L };
    nanosleep (&ts, NULL);
}

static int64_t
s_system_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *
s_iso (int64_t ms)
{
    static char buf [32];
    cchc_clock_format_iso (ms, buf, sizeof buf);
    return buf;
}

static void
test_iso (void)
{
    int64_t ms = 1;
    CHECK_EQ_INT (cchc_clock_parse_iso ("1970-01-01T00:00:00Z", &ms), 0);
    CHECK_EQ_INT (ms, 0);
    CHECK_EQ_INT (cchc_clock_parse_iso ("2021-03-14T16:59:59Z", &ms), 0);
    CHECK_EQ_INT (ms, 18700LL * 86400000 + 16 * 3600000LL + 59 * 60000 + 59000);
    CHECK_EQ_STR (s_iso (ms), "2021-03-14T16:59:59.000Z");
    CHECK_EQ_INT (cchc_clock_parse_iso ("2021-03-14T16:59:59.999Z", &ms), 0);
    CHECK_EQ_STR (s_iso (ms), "2021-03-14T16:59:59.999Z");
    CHECK_EQ_INT (cchc_clock_parse_iso ("2020-02-29T23:59:59.001Z", &ms), 0);
    CHECK_EQ_STR (s_iso (ms), "2020-02-29T23:59:59.001Z");
    CHECK_EQ_STR (s_iso (0), "1970-01-01T00:00:00.000Z");
    CHECK_EQ_STR (s_iso (-1), "1969-12-31T23:59:59.999Z");
    CHECK_EQ_STR (s_iso (INT64_MAX), "9999-12-31T23:59:59.999Z");
    CHECK_EQ_STR (s_iso (INT64_MIN), "0001-01-01T00:00:00.000Z");

    //  Round trips of many instants.
    for (int64_t t = -86400000LL * 400; t < 86400000LL * 40000; t += 7777777777LL) {
        int64_t back;
        CHECK_EQ_INT (cchc_clock_parse_iso (s_iso (t), &back), 0);
        CHECK_EQ_INT (back, t);
    }

    const char *bad [] = { "2021-03-14T16:59:59",
                           "2021-03-14 16:59:59Z",
                           "2021-03-14T24:00:00Z",
                           "2021-03-14T23:60:00Z",
                           "2021-03-14T23:59:60Z",
                           "2021-02-29T00:00:00Z",
                           "2021-03-14T16:59:59.99Z",
                           "2021-03-14T16:59:59.9999Z",
                           "2021-03-14T16:59:59,999Z",
                           "2021-03-14T16:59:59+07:00",
                           "2021-03-14T16:59:59ZZ",
                           " 2021-03-14T16:59:59Z",
                           "2021-3-14T16:59:59Z",
                           "2021-03-14T1:59:59Z",
                           "2021-03-14",
                           "",
                           "2021-03-14T16:59:59.99aZ",
                           NULL };
    for (int i = 0; bad [i]; i++) {
        ms = 42;
        int rc = cchc_clock_parse_iso (bad [i], &ms);
        if (rc == 0)
            fprintf (stderr, "accepted bad instant '%s'\n", bad [i]);
        CHECK_EQ_INT (rc, -1);
        CHECK_EQ_INT (ms, 42);
    }
    CHECK_EQ_INT (cchc_clock_parse_iso (NULL, &ms), -1);
}

static void
test_fake_clock (void)
{
    int64_t real = s_system_ms ();
    int64_t now = cchc_clock_now_ms ();
    CHECK (now - real > -2000 && now - real < 2000);

    cchc_clock_set_fake (1615741199000LL);
    CHECK_EQ_INT (cchc_clock_now_ms (), 1615741199000LL);
    s_sleep_ms (15);
    CHECK_EQ_INT (cchc_clock_now_ms (), 1615741199000LL);  //  stays fixed
    cchc_clock_set_fake (-5);
    CHECK_EQ_INT (cchc_clock_now_ms (), -5);
    cchc_clock_set_real ();
    now = cchc_clock_now_ms ();
    CHECK (now - s_system_ms () > -2000 && now - s_system_ms () < 2000);

    int64_t a = cchc_clock_mono_ms ();
    s_sleep_ms (20);
    int64_t b = cchc_clock_mono_ms ();
    CHECK (b - a >= 19 && b - a < 2000);
}

static void
test_demo_clock (void)
{
    //  A fixed start that then ticks at speed 1 (what the functional tests use).
    cchc_clock_demo_t d;
    char err [256];
    CHECK_EQ_INT (cchc_clock_demo_parse ("2021-03-14T16:59:59Z", &d, err, sizeof err), 0);
    CHECK_EQ_INT (d.start_ms, 1615741199000LL);
    CHECK_EQ_INT (d.speed, 1);
    CHECK_EQ_INT (d.anchor_ms, 0);
    cchc_clock_demo_apply (&d);
    int64_t start = 1615741199000LL;
    int64_t now = cchc_clock_now_ms ();
    CHECK (now >= start && now < start + 60000);
    s_sleep_ms (30);
    int64_t later = cchc_clock_now_ms ();
    CHECK (later >= now + 25);  //  it ticks
    CHECK_EQ_INT (cchc_clock_speed (), 1);

    //  A day a second, anchored one real second ago: about a day later.
    char spec [96];
    int64_t real = s_system_ms ();
    snprintf (spec, sizeof spec, "2020-12-14T17:00:00Z,86400,%lld", (long long) (real - 1000));
    CHECK_EQ_INT (cchc_clock_demo_parse (spec, &d, err, sizeof err), 0);
    CHECK_EQ_INT (d.speed, 86400);
    CHECK_EQ_INT (d.anchor_ms, real - 1000);
    cchc_clock_demo_apply (&d);
    start = 1607965200000LL;  //  2020-12-15 00:00 local
    now = cchc_clock_now_ms ();
    CHECK (now >= start + 86400000LL && now < start + 61 * 86400000LL);
    CHECK_EQ_INT (cchc_clock_speed (), 86400);
    CHECK (cchc_clock_is_demo ());
    CHECK_EQ_INT (cchc_clock_real_wait_ms (86400000), 1000);
    CHECK_EQ_INT (cchc_clock_real_wait_ms (1), 1);
    CHECK_EQ_INT (cchc_clock_real_wait_ms (0), 0);
    CHECK_EQ_INT (cchc_clock_real_wait_ms (-5), 0);

    //  Anchored in the future: the clock reads before START until then.
    snprintf (spec, sizeof spec, "2020-12-14T17:00:00Z,10,%lld", (long long) (real + 600000));
    CHECK_EQ_INT (cchc_clock_demo_parse (spec, &d, err, sizeof err), 0);
    cchc_clock_demo_apply (&d);
    CHECK (cchc_clock_now_ms () < start);

    //  Invalid specs change nothing.
    const char *bad [] = { "",
                           "tomorrow",
                           "2021-03-14",
                           "2021-13-01T00:00:00Z",
                           "2021-03-14T16:59:59Z,",
                           "2021-03-14T16:59:59Z,0",
                           "2021-03-14T16:59:59Z,1000001",
                           "2021-03-14T16:59:59Z,1.5",
                           "2021-03-14T16:59:59Z,2,",
                           "2021-03-14T16:59:59Z,2,abc",
                           "2021-03-14T16:59:59Z,2,5",
                           "2021-03-14T16:59:59Z,2,3,4",
                           ",1",
                           "+86400000",
                           "2021-03-14T16:59:59Z,2,10000000000000000000000000000000000"
                           "000000000000000000000000000000000000000000000000000000000"
                           "000000000000000000000000000000000000000000000000000000000",
                           NULL };
    for (int i = 0; bad [i]; i++) {
        cchc_clock_demo_t keep = { 42, 42, 42, "" };
        int rc = cchc_clock_demo_parse (bad [i], &keep, err, sizeof err);
        if (rc == 0)
            fprintf (stderr, "accepted bad clock '%s'\n", bad [i]);
        CHECK_EQ_INT (rc, -1);
        CHECK (strstr (err, "clock.demo") != NULL);
        CHECK_EQ_INT (keep.start_ms, 42);
    }

    //  Refused where a program is configured for production.
    const char *local [] = { "tcp://127.0.0.1:7070",
                             "tcp://[::1]:7070",
                             "tcp://localhost:7070",
                             "ipc:///tmp/x",
                             "inproc://a",
                             "tcp://127.0.0.1;127.0.0.2:7070",
                             NULL };
    CHECK (cchc_clock_demo_refused (false, local) == NULL);
    CHECK (cchc_clock_demo_refused (false, NULL) == NULL);
    CHECK (cchc_clock_demo_refused (true, local) != NULL);
    const char *remote [] = { "tcp://0.0.0.0:7070",
                              "tcp://*:7070",
                              "tcp://10.0.0.1:7070",
                              "tcp://127.evil.example:7070",
                              "tcp://eth0:7070",
                              "tcp://127.0.0.1;10.0.0.1:7070",
                              "tcp://[::]:7070",
                              "udp://127.0.0.1:1",
                              NULL };
    for (int i = 0; remote [i]; i++) {
        const char *one [] = { "tcp://127.0.0.1:1", remote [i], NULL };
        if (!cchc_clock_demo_refused (false, one))
            fprintf (stderr, "accepted endpoint '%s'\n", remote [i]);
        CHECK (cchc_clock_demo_refused (false, one) != NULL);
    }

    cchc_clock_set_real ();
    CHECK_EQ_INT (cchc_clock_speed (), 1);
    CHECK (!cchc_clock_is_demo ());
    int64_t diff = cchc_clock_now_ms () - s_system_ms ();
    CHECK (diff > -2000 && diff < 2000);
}

//  Replace the gate file whole, as the demo's conductor does (rename).
static void
s_gate_write (const char *path, const char *line)
{
    char tmp [600];
    snprintf (tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen (tmp, "w");
    CHECK (f != NULL);
    if (!f)
        return;
    fputs (line, f);
    fclose (f);
    CHECK_EQ_INT (rename (tmp, path), 0);
}

static void
test_demo_gate (void)
{
    //  The clock waits at HOLD (at first START, before the file exists),
    //  goes on from a new anchor, never back, and keeps its values while the
    //  file is missing or malformed.
    char dir [] = "/tmp/cchc-gate-XXXXXX";
    CHECK (mkdtemp (dir) != NULL);
    char gate [256], spec [400], line [128], err [256];
    snprintf (gate, sizeof gate, "%s/clock.gate", dir);
    int64_t real = s_system_ms ();
    int64_t start = 1607965200000LL;  //  2020-12-15 00:00 local
    snprintf (spec, sizeof spec, "2020-12-14T17:00:00Z,86400,%lld,%s",
              (long long) (real - 1000), gate);
    cchc_clock_demo_t d;
    CHECK_EQ_INT (cchc_clock_demo_parse (spec, &d, err, sizeof err), 0);
    CHECK (strcmp (d.gate, gate) == 0);
    cchc_clock_demo_apply (&d);
    CHECK_EQ_INT (cchc_clock_now_ms (), start);  //  no file: held at START

    //  a day after START (anchored a second ago), but held at noon
    snprintf (line, sizeof line, "%lld %lld\n", (long long) (real - 1000),
              (long long) (start + 43200000));
    s_gate_write (gate, line);
    s_sleep_ms (3);
    CHECK_EQ_INT (cchc_clock_now_ms (), start + 43200000);
    s_sleep_ms (30);
    CHECK_EQ_INT (cchc_clock_now_ms (), start + 43200000);

    //  released: a new anchor going on from noon, the next hold far ahead
    int64_t anchor = s_system_ms ();
    snprintf (line, sizeof line, "%lld %lld\n", (long long) (anchor - 500),
              (long long) (start + 400 * 86400000LL));
    s_sleep_ms (3);
    s_gate_write (gate, line);
    s_sleep_ms (30);
    int64_t now = cchc_clock_now_ms ();
    CHECK (now > start + 43200000 && now < start + 60 * 86400000LL);  //  it ticks again

    //  a malformed or missing file changes nothing (the clock keeps ticking;
    //  any of these taken would hold it at 5 ms after 1970); an anchor that
    //  would go back is not followed back
    const char *bad [] = {
        "", "12", "x y\n", "1700000000000 5", "5 5\n", "1700000000000 5 6\n", NULL
    };
    for (int i = 0; bad [i]; i++) {
        s_gate_write (gate, bad [i]);
        s_sleep_ms (30);
        int64_t t = cchc_clock_now_ms ();
        if (t <= now)
            fprintf (stderr, "gate file '%s' taken\n", bad [i]);
        CHECK (t > now && t < now + 60 * 86400000LL);
        now = t;
    }
    unlink (gate);
    s_sleep_ms (30);
    CHECK (cchc_clock_now_ms () > now);
    snprintf (line, sizeof line, "%lld %lld\n", (long long) (s_system_ms () + 3600000),
              (long long) (start + 400 * 86400000LL));
    s_gate_write (gate, line);  //  would read before START
    s_sleep_ms (3);
    CHECK (cchc_clock_now_ms () >= now);
    unlink (gate);
    rmdir (dir);

    //  GATE must be an absolute path
    CHECK_EQ_INT (cchc_clock_demo_parse ("2020-12-14T17:00:00Z,86400,1607965200000,gate", &d,
                                         err, sizeof err),
                  -1);
    CHECK (strstr (err, "GATE") != NULL);
    CHECK_EQ_INT (cchc_clock_demo_parse ("2020-12-14T17:00:00Z,86400,1607965200000,/a,b", &d,
                                         err, sizeof err),
                  0);
    CHECK (strcmp (d.gate, "/a,b") == 0);
    cchc_clock_set_real ();
    CHECK (!cchc_clock_is_demo ());
}

static void *
s_clock_worker (void *arg)
{
    (void) arg;
    for (int i = 0; i < 20000; i++) {
        int64_t t = cchc_clock_now_ms ();
        if (t != 1000 && t != 2000)
            return (void *) 1;
    }
    return NULL;
}

static void
test_clock_threads (void)
{
    cchc_clock_set_fake (1000);
    pthread_t threads [3];
    for (int i = 0; i < 3; i++)
        CHECK_EQ_INT (pthread_create (&threads [i], NULL, s_clock_worker, NULL), 0);
    for (int i = 0; i < 20000; i++)
        cchc_clock_set_fake (i % 2 ? 1000 : 2000);
    int bad = 0;
    for (int i = 0; i < 3; i++) {
        void *rc;
        pthread_join (threads [i], &rc);
        bad += rc != NULL;
    }
    cchc_clock_set_real ();
    CHECK_EQ_INT (bad, 0);
}

//  ---------------------------------------------------------------------------
//  Log capture: fd 2 to a temporary file and back.

static char s_capture_path [256];
static int s_saved_stderr = -1;

static int
s_capture_begin (void)
{
    const char *tmp = getenv ("TMPDIR");
    snprintf (s_capture_path, sizeof s_capture_path, "%s/cchc-test-log-XXXXXX",
              tmp && *tmp ? tmp : "/tmp");
    int fd = mkstemp (s_capture_path);
    if (fd < 0)
        return -1;
    fflush (stderr);
    s_saved_stderr = dup (STDERR_FILENO);
    dup2 (fd, STDERR_FILENO);
    close (fd);
    return 0;
}

//  Restore stderr; return what was written (malloc'd, caller frees).
static char *
s_capture_end (void)
{
    fflush (stderr);
    dup2 (s_saved_stderr, STDERR_FILENO);
    close (s_saved_stderr);
    s_saved_stderr = -1;
    FILE *f = fopen (s_capture_path, "r");
    unlink (s_capture_path);
    if (!f)
        return NULL;
    fseek (f, 0, SEEK_END);
    long size = ftell (f);
    fseek (f, 0, SEEK_SET);
    char *text = malloc ((size_t) size + 1);
    size_t n = text ? fread (text, 1, (size_t) size, f) : 0;
    if (text)
        text [n] = '\0';
    fclose (f);
    return text;
}

static int
s_count_lines (const char *text)
{
    int n = 0;
    for (; *text; text++)
        n += *text == '\n';
    return n;
}

static void
test_log_levels (void)
{
    cchc_log_level_t level;
    CHECK_EQ_INT (cchc_log_level_parse ("error", &level), 0);
    CHECK_EQ_INT (level, CCHC_LOG_ERROR);
    CHECK_EQ_INT (cchc_log_level_parse ("warn", &level), 0);
    CHECK_EQ_INT (level, CCHC_LOG_WARN);
    CHECK_EQ_INT (cchc_log_level_parse ("notice", &level), 0);
    CHECK_EQ_INT (level, CCHC_LOG_NOTICE);
    CHECK_EQ_INT (cchc_log_level_parse ("info", &level), 0);
    CHECK_EQ_INT (level, CCHC_LOG_INFO);
    CHECK_EQ_INT (cchc_log_level_parse ("debug", &level), 0);
    CHECK_EQ_INT (level, CCHC_LOG_DEBUG);
    CHECK_EQ_INT (cchc_log_level_parse ("warning", &level), -1);
    CHECK_EQ_INT (cchc_log_level_parse ("INFO", &level), -1);
    CHECK_EQ_INT (cchc_log_level_parse ("", &level), -1);
    CHECK_EQ_INT (cchc_log_level_parse (NULL, &level), -1);

    unsetenv ("JOURNAL_STREAM");
    cchc_log_init ("cchc-test", CCHC_LOG_NOTICE);
    CHECK (cchc_log_enabled (CCHC_LOG_ERROR));
    CHECK (cchc_log_enabled (CCHC_LOG_NOTICE));
    CHECK (!cchc_log_enabled (CCHC_LOG_INFO));
    cchc_log_set_level (CCHC_LOG_DEBUG);
    CHECK (cchc_log_enabled (CCHC_LOG_DEBUG));
    cchc_log_set_level (CCHC_LOG_WARN);
    CHECK (!cchc_log_enabled (CCHC_LOG_NOTICE));

    cchc_clock_set_fake (1615741199123LL);
    CHECK_EQ_INT (s_capture_begin (), 0);
    cchc_error ("disk %s is full", "/var");
    cchc_warn ("queue at %d%%", 90);
    cchc_notice ("not shown");
    cchc_info ("not shown");
    cchc_debug ("not shown");
    char *text = s_capture_end ();
    cchc_clock_set_real ();
    CHECK (text);
    int ok = strcmp (text, "2021-03-14T16:59:59.123Z error cchc-test: disk /var is full\n"
                           "2021-03-14T16:59:59.123Z warn cchc-test: queue at 90%\n")
             == 0;
    if (!ok)
        fprintf (stderr, "got:\n%s", text);
    free (text);
    CHECK (ok);
    cchc_log_init ("cchc-test", CCHC_LOG_INFO);
}

static void
test_log_journal (void)
{
    CHECK_EQ_INT (s_capture_begin (), 0);
    struct stat st;
    fstat (STDERR_FILENO, &st);
    char value [64];
    snprintf (value, sizeof value, "%llu:%llu", (unsigned long long) st.st_dev,
              (unsigned long long) st.st_ino);
    setenv ("JOURNAL_STREAM", value, 1);
    cchc_log_init ("cchc-collector", CCHC_LOG_DEBUG);
    cchc_error ("bad %s", "thing");
    cchc_warn ("w");
    cchc_notice ("n");
    cchc_info ("i");
    cchc_debug ("d");
    //  A JOURNAL_STREAM that is not our stderr (inherited by a redirected
    //  child) is ignored.
    setenv ("JOURNAL_STREAM", "1:2", 1);
    cchc_log_init ("cchc-collector", CCHC_LOG_DEBUG);
    cchc_clock_set_fake (0);
    cchc_info ("plain");
    cchc_clock_set_real ();
    char *text = s_capture_end ();
    unsetenv ("JOURNAL_STREAM");
    cchc_log_init ("cchc-test", CCHC_LOG_INFO);
    CHECK (text);
    int ok = strcmp (text, "<3>cchc-collector: error: bad thing\n"
                           "<4>cchc-collector: warn: w\n"
                           "<5>cchc-collector: notice: n\n"
                           "<6>cchc-collector: info: i\n"
                           "<7>cchc-collector: debug: d\n"
                           "1970-01-01T00:00:00.000Z info cchc-collector: plain\n")
             == 0;
    if (!ok)
        fprintf (stderr, "got:\n%s", text);
    free (text);
    CHECK (ok);
}

static void
test_log_one_line (void)
{
    cchc_log_init ("t", CCHC_LOG_INFO);
    char *big = malloc (10000);
    CHECK (big);
    memset (big, 'x', 9999);
    big [9999] = '\0';
    CHECK_EQ_INT (s_capture_begin (), 0);
    cchc_info ("two\nlines\r\tand\x1b[31m escape");
    cchc_info ("%s", big);
    char *text = s_capture_end ();
    free (big);
    CHECK (text);
    CHECK_EQ_INT (s_count_lines (text), 2);
    char *second = strchr (text, '\n') + 1;
    int ok = strstr (text, "t: two lines  and [31m escape\n") != NULL
             && strlen (second) <= 2048 && strlen (second) > 1900
             && strstr (second, "xxx...\n") != NULL;
    if (!ok)
        fprintf (stderr, "got:\n%.300s\n", text);
    free (text);
    CHECK (ok);

    //  errno survives logging.
    errno = 1234;
    CHECK_EQ_INT (s_capture_begin (), 0);
    errno = 1234;
    cchc_info ("keeps errno");
    int after = errno;
    text = s_capture_end ();
    free (text);
    CHECK_EQ_INT (after, 1234);
}

static void
test_ratelimit (void)
{
    cchc_log_init ("rl", CCHC_LOG_INFO);
    cchc_ratelimit_t rl = CCHC_RATELIMIT_INIT (200, 3);
    CHECK_EQ_INT (s_capture_begin (), 0);
    for (int i = 0; i < 10; i++)
        cchc_log_limited (&rl, CCHC_LOG_WARN, "bad message %d", i);
    cchc_log_limited (&rl, CCHC_LOG_DEBUG, "disabled, not counted");
    s_sleep_ms (250);
    cchc_log_limited (&rl, CCHC_LOG_WARN, "bad message %d", 10);
    cchc_log_limited (&rl, CCHC_LOG_WARN, "bad message %d", 11);
    char *text = s_capture_end ();
    CHECK (text);
    int lines = s_count_lines (text);
    int ok = strstr (text, "bad message 0\n") && strstr (text, "bad message 2\n")
             && !strstr (text, "bad message 3")
             && strstr (text, "bad message 10 (7 similar lines suppressed)\n")
             && strstr (text, "bad message 11\n");
    if (!ok || lines != 5)
        fprintf (stderr, "got:\n%s", text);
    free (text);
    CHECK_EQ_INT (lines, 5);
    CHECK (ok);
}

#define S_THREADS 4
#define S_LINES 300

static void *
s_log_worker (void *arg)
{
    static cchc_ratelimit_t rl = CCHC_RATELIMIT_INIT (60000, 100);
    int id = (int) (intptr_t) arg;
    for (int i = 0; i < S_LINES; i++) {
        cchc_info ("worker %d line %d padding-padding-padding-padding-padding-end", id, i);
        cchc_log_limited (&rl, CCHC_LOG_WARN, "limited %d", id);
    }
    return NULL;
}

static void
test_log_threads (void)
{
    cchc_log_init ("mt", CCHC_LOG_INFO);
    CHECK_EQ_INT (s_capture_begin (), 0);
    pthread_t threads [S_THREADS];
    for (int i = 0; i < S_THREADS; i++)
        pthread_create (&threads [i], NULL, s_log_worker, (void *) (intptr_t) i);
    for (int i = 0; i < S_THREADS; i++)
        pthread_join (threads [i], NULL);
    char *text = s_capture_end ();
    CHECK (text);
    //  Every line is whole: a stamp, then one of the two messages.
    int info = 0, limited = 0, broken = 0;
    char *save = NULL;
    for (char *line = strtok_r (text, "\n", &save); line;
         line = strtok_r (NULL, "\n", &save)) {
        if (strlen (line) < 25 || line [4] != '-' || line [23] != 'Z')
            broken++;
        else if (strstr (line, " info mt: worker ") && strstr (line, "-padding-end")
                 && strstr (strstr (line, "mt: ") + 1, "mt: ") == NULL)
            info++;
        else if (strstr (line, " warn mt: limited "))
            limited++;
        else
            broken++;
    }
    free (text);
    CHECK_EQ_INT (broken, 0);
    CHECK_EQ_INT (info, S_THREADS * S_LINES);
    CHECK_EQ_INT (limited, 100);
}

int
main (void)
{
    CCHC_TEST_RUN (test_iso);
    CCHC_TEST_RUN (test_fake_clock);
    CCHC_TEST_RUN (test_demo_clock);
    CCHC_TEST_RUN (test_demo_gate);
    CCHC_TEST_RUN (test_clock_threads);
    CCHC_TEST_RUN (test_log_levels);
    CCHC_TEST_RUN (test_log_journal);
    CCHC_TEST_RUN (test_log_one_line);
    CCHC_TEST_RUN (test_ratelimit);
    CCHC_TEST_RUN (test_log_threads);
    return CCHC_TEST_DONE ();
}
