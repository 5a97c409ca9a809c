/*  clock.h — the one source of "now" for the whole codebase, injectable for tests.

    Every module asks cchc_clock_now_ms() for wall-clock time (UTC, ms since the
    Unix epoch) and cchc_clock_mono_ms() for intervals.  Tests move time with
    cchc_clock_set_fake(); whole processes under test can be started with the
    environment variable CCHC_FAKE_NOW set, read once by cchc_clock_init_env():
        CCHC_FAKE_NOW=2021-03-14T16:59:59Z   fixed instant (UTC, ISO 8601)
        CCHC_FAKE_NOW=+86400000              offset in ms added to real time
    (the fixed form still advances: it is the start of a clock that ticks).
*/
#ifndef CCHC_CLOCK_H
#define CCHC_CLOCK_H

#include <stdint.h>

/*  Wall clock, UTC milliseconds since 1970-01-01T00:00:00Z.  Thread-safe. */
int64_t cchc_clock_now_ms (void);

/*  Monotonic milliseconds (CLOCK_MONOTONIC); never faked. */
int64_t cchc_clock_mono_ms (void);

/*  Make cchc_clock_now_ms() return `now_ms` from now on (it stays fixed until
    the next call).  cchc_clock_set_real() undoes it.  Thread-safe. */
void cchc_clock_set_fake (int64_t now_ms);
void cchc_clock_set_real (void);

/*  Read CCHC_FAKE_NOW (see above).  Returns 0, or -1 if it is set but invalid
    (then the clock stays real). */
int cchc_clock_init_env (void);

/*  Parse "YYYY-MM-DDTHH:MM:SS[.mmm]Z" into UTC ms.  Returns 0 or -1. */
int cchc_clock_parse_iso (const char *text, int64_t *ms);

/*  Format UTC ms as "YYYY-MM-DDTHH:MM:SS.mmmZ" into buf (>= 25 bytes). */
void cchc_clock_format_iso (int64_t ms, char *buf, unsigned long size);

#endif
