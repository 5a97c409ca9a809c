/*  log.h — leveled logging to stderr, one line per event, suitable for journald.

    Lines look like "<3>cchc-collector: error: message" when stderr is the journal
    (JOURNAL_STREAM set: the <N> prefix is the syslog priority journald reads), and
    "2021-03-14T23:59:59.123Z error cchc-collector: message" otherwise.

    Never pass secret material to these functions.  Rate-limited logging keeps a
    flood of bad input from flooding the log: each call site owns a
    cchc_ratelimit_t and at most `burst` lines per `interval_ms` get through;
    the count of suppressed lines is reported with the next line that passes.
*/
#ifndef CCHC_LOG_H
#define CCHC_LOG_H

#include <stdint.h>
#include <stdbool.h>

typedef enum {
    CCHC_LOG_ERROR = 3,
    CCHC_LOG_WARN = 4,
    CCHC_LOG_NOTICE = 5,
    CCHC_LOG_INFO = 6,
    CCHC_LOG_DEBUG = 7
} cchc_log_level_t;

/*  Set the program name printed on every line and the lowest level shown
    (default: "cchc", CCHC_LOG_INFO).  Not thread-safe: call once at start-up. */
void cchc_log_init (const char *program, cchc_log_level_t level);

/*  Parse "error", "warn", "notice", "info", "debug".  Returns 0 or -1. */
int cchc_log_level_parse (const char *text, cchc_log_level_t *level);
void cchc_log_set_level (cchc_log_level_t level);
bool cchc_log_enabled (cchc_log_level_t level);

/*  Thread-safe: each line is written with one write(2). */
void cchc_log (cchc_log_level_t level, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

#define cchc_error(...) cchc_log (CCHC_LOG_ERROR, __VA_ARGS__)
#define cchc_warn(...) cchc_log (CCHC_LOG_WARN, __VA_ARGS__)
#define cchc_notice(...) cchc_log (CCHC_LOG_NOTICE, __VA_ARGS__)
#define cchc_info(...) cchc_log (CCHC_LOG_INFO, __VA_ARGS__)
#define cchc_debug(...) cchc_log (CCHC_LOG_DEBUG, __VA_ARGS__)

/*  Per-call-site rate limiter.  Zero-initialise, set interval_ms and burst. */
typedef struct {
    int64_t interval_ms;  /* length of one window */
    uint32_t burst;       /* lines allowed per window */
    int64_t window_start; /* monotonic ms; internal */
    uint32_t used;        /* lines in this window; internal */
    uint64_t suppressed;  /* lines dropped since last printed one; internal */
} cchc_ratelimit_t;

#define CCHC_RATELIMIT_INIT(interval, n) \
    {                                    \
        (interval), (n), 0, 0, 0         \
    }

/*  Like cchc_log but subject to `rl`.  Thread-safe. */
void cchc_log_limited (cchc_ratelimit_t *rl, cchc_log_level_t level, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

#endif
