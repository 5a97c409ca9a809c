/*  failpoint.h — the test copy of the collector's hooks: start-up steps a
    test can make fail, to check that a collector failing at any step exits
    cleanly instead of hanging or leaking (tests/collector/startup.sh), and
    a wall clock a test can make jump (tests/collector/clockjump.sh).

    Only the test copy of the collector (cchc-collector-failpoints, built by
    tests/collector/CMakeLists.txt with CCHC_FAILPOINTS defined, never
    installed) has them:
      - CCHC_FAILPOINT (name, err, errlen) is true when the environment
        variable CCHC_FAIL_AT equals `name`, and puts "failpoint NAME" in
        err;
      - CCHC_TEST_CLOCK_START () (called by main before any thread starts)
        blocks SIGUSR2 and starts a thread that waits for it: each SIGUSR2
        moves the wall clock (cchc_clock_now_ms) CCHC_TEST_CLOCK_JUMP_MS
        forward at once, as a wrong NTP step or a hand-set date would, and
        logs it.
    In the real collector the first is the constant false and the second
    does nothing: no signal, file or variable reaches its clock.
*/
#ifndef CCHC_FAILPOINT_H
#define CCHC_FAILPOINT_H

#include <stdbool.h>
#include <stddef.h>

#ifdef CCHC_FAILPOINTS
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline bool
cchc_failpoint (const char *name, char *err, size_t errlen)
{
    const char *at = getenv ("CCHC_FAIL_AT");
    if (!at || strcmp (at, name) != 0)
        return false;
    snprintf (err, errlen, "failpoint %s", name);
    return true;
}
#define CCHC_FAILPOINT(name, err, errlen) cchc_failpoint ((name), (err), (errlen))

#include <pthread.h>
#include <signal.h>
#include "common/clock.h"
#include "common/log.h"

#define CCHC_TEST_CLOCK_JUMP_MS (24 * 3600 * 1000LL) /* one day */

static void *
cchc_test_clock_run (void *arg)
{
    sigset_t *set = arg;
    for (;;) {
        int sig;
        if (sigwait (set, &sig) != 0)
            continue;
        /*  The demonstration clock machinery (clock.h) keeps its speed and
            goes on ticking from the new instant. */
        cchc_clock_demo_t jump = { .start_ms = cchc_clock_now_ms () + CCHC_TEST_CLOCK_JUMP_MS,
                                   .speed = cchc_clock_speed (),
                                   .anchor_ms = 0 };
        cchc_clock_demo_apply (&jump);
        char iso [32];
        cchc_clock_format_iso (cchc_clock_now_ms (), iso, sizeof iso);
        cchc_warn ("test clock: the wall clock jumped %lld s forward (now %s)",
                   CCHC_TEST_CLOCK_JUMP_MS / 1000, iso);
    }
    return NULL;
}

static inline void
cchc_test_clock_start (void)
{
    static sigset_t set;
    sigemptyset (&set);
    sigaddset (&set, SIGUSR2);
    pthread_sigmask (SIG_BLOCK, &set, NULL); /* inherited by every thread */
    pthread_t thread;
    if (pthread_create (&thread, NULL, cchc_test_clock_run, &set) == 0)
        pthread_detach (thread);
}
#define CCHC_TEST_CLOCK_START() cchc_test_clock_start ()
#else
#define CCHC_FAILPOINT(name, err, errlen) ((void) (err), (void) (errlen), false)
#define CCHC_TEST_CLOCK_START() ((void) 0)
#endif

#endif
