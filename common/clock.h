/*  clock.h — the one source of "now" for the whole codebase.

    Every module asks cchc_clock_now_ms() for wall-clock time (UTC, ms since the
    Unix epoch) and cchc_clock_mono_ms() for intervals.  Unit tests move time
    with cchc_clock_set_fake() (a call in the test program: nothing outside a
    process can reach it).

    The demonstration clock: a whole process (collector, cchcctl, agent) can
    run on simulated time given EXPLICITLY by its configuration, key
    `clock.demo` (the demo and the functional tests write it; there is no
    environment variable).  Format, parsed by cchc_clock_demo_parse:

        START[,SPEED[,ANCHOR[,GATE]]]
        START   the simulated instant, UTC ISO 8601 ("2020-12-14T17:00:00Z")
        SPEED   simulated seconds per real second, 1..1000000 (default 1;
                86400: a day a second)
        ANCHOR  the real instant (UTC ms since the epoch) at which the clock
                reads START (default: the moment the process applies it);
                processes given the same value share one clock
        GATE    an absolute path: the gate file of a conductor that may hold
                the clock (below)

    simulated now = START + (real now - ANCHOR) * SPEED.  Programs refuse
    it when configured for production (cchc_clock_demo_refused): CurveZMQ on,
    or an endpoint that is not loopback.

    The gate (deploy/demo.sh's conductor): the file holds one line
    "ANCHOR HOLD\n", two integers, the real anchor (ms) replacing the
    configured one and the simulated instant (ms) the clock does not pass:
    simulated now = min(START + (real now - ANCHOR) * SPEED, HOLD), and never
    less than the last value the process read.  So the clock waits at HOLD
    until the conductor has seen every process do what was due (on a busy
    machine the year takes longer, nobody falls behind it); to go on from a
    hold it writes a new ANCHOR that continues from HOLD.  The file is
    replaced whole (rename) and read again at most once a real millisecond;
    while it is missing or malformed the last values stay (at first the
    configured ANCHOR and HOLD = START: the clock waits for the conductor).
*/
#ifndef CCHC_CLOCK_H
#define CCHC_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

/*  Wall clock, UTC milliseconds since 1970-01-01T00:00:00Z.  Thread-safe. */
int64_t cchc_clock_now_ms (void);

/*  Monotonic milliseconds (CLOCK_MONOTONIC); never faked. */
int64_t cchc_clock_mono_ms (void);

/*  Make cchc_clock_now_ms() return `now_ms` from now on (it stays fixed until
    the next call).  cchc_clock_set_real() undoes it.  Thread-safe. */
void cchc_clock_set_fake (int64_t now_ms);
void cchc_clock_set_real (void);

/*  The demonstration clock (see above). */
#define CCHC_CLOCK_GATE_MAX 512

typedef struct {
    int64_t start_ms;                /* simulated instant at the anchor, UTC ms */
    int64_t speed;                   /* simulated ms per real ms, >= 1 */
    int64_t anchor_ms;               /* real UTC ms; 0: when applied */
    char gate [CCHC_CLOCK_GATE_MAX]; /* the gate file, "" for none */
} cchc_clock_demo_t;

#define CCHC_CLOCK_SPEED_MAX 1000000

/*  Parse "START[,SPEED[,ANCHOR[,GATE]]]".  0, or -1 with the reason in err. */
int cchc_clock_demo_parse (const char *text, cchc_clock_demo_t *demo, char *err,
                           unsigned long errlen);

/*  Why the demonstration clock may not run here, or NULL when it may: a
    program configured for production (CurveZMQ on, or any of the
    `endpoints` — ZeroMQ endpoints, NULL-terminated — not on loopback) keeps
    the real clock. */
const char *cchc_clock_demo_refused (bool curve, const char *const *endpoints);

/*  Run cchc_clock_now_ms() on the demonstration clock from now on. */
void cchc_clock_demo_apply (const cchc_clock_demo_t *demo);

/*  A program's `clock.demo` setting, whole: parse `text` (empty: nothing
    to do), refuse it where it may not run (cchc_clock_demo_refused, with
    the program's `curve` and `endpoints`), else apply it.  0, or -1 with
    the reason in err ("clock.demo refused: ...") and the real clock kept. */
int cchc_clock_demo_start (const char *text, bool curve, const char *const *endpoints,
                           char *err, unsigned long errlen);

/*  True while the demonstration clock runs (the dashboard says so). */
bool cchc_clock_is_demo (void);

/*  Simulated ms per real ms: 1 unless a demonstration clock runs faster. */
int64_t cchc_clock_speed (void);

/*  Real ms to wait for `clock_ms` of cchc_clock_now_ms() time to pass
    (rounded up, at least 1 for a positive interval). */
int64_t cchc_clock_real_wait_ms (int64_t clock_ms);

/*  Parse "YYYY-MM-DDTHH:MM:SS[.mmm]Z" into UTC ms.  Returns 0 or -1. */
int cchc_clock_parse_iso (const char *text, int64_t *ms);

/*  Format UTC ms as "YYYY-MM-DDTHH:MM:SS.mmmZ" into buf (>= 25 bytes). */
void cchc_clock_format_iso (int64_t ms, char *buf, unsigned long size);

#endif
