/*  log.c — leveled logging to stderr, one line per event, one write(2) per
    line, in the form journald understands when stderr is the journal.

    A line is built in a stack buffer (at most S_LINE_MAX bytes, longer
    messages are cut and marked "..."), control characters in the message
    become spaces so that one event is always one line (and input quoted in
    a message cannot forge log lines), and the whole line goes out with one
    write(2), so lines from different threads never interleave.
*/
#include "common/log.h"
#include "common/clock.h"
#include "common/text.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_LINE_MAX 2048
#define S_PROGRAM_MAX 64

static char s_program [S_PROGRAM_MAX] = "cchc";
static atomic_int s_level = CCHC_LOG_INFO;
static atomic_bool s_journal = false;
static pthread_mutex_t s_ratelimit_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *
s_level_name (cchc_log_level_t level)
{
    switch (level) {
        case CCHC_LOG_ERROR: return "error";
        case CCHC_LOG_WARN: return "warn";
        case CCHC_LOG_NOTICE: return "notice";
        case CCHC_LOG_INFO: return "info";
        case CCHC_LOG_DEBUG: return "debug";
    }
    return "log";
}

//  True when stderr is the journal: JOURNAL_STREAM holds "device:inode" of
//  the stream systemd connected, and it is still our fd 2 (a child that
//  redirected stderr inherits the variable but not the stream).
static bool
s_stderr_is_journal (void)
{
    const char *value = getenv ("JOURNAL_STREAM");
    if (!value || !*value)
        return false;
    unsigned long long dev, ino;
    char tail;
    if (sscanf (value, "%llu:%llu%c", &dev, &ino, &tail) != 2)
        return false;
    struct stat st;
    if (fstat (STDERR_FILENO, &st) != 0)
        return false;
    return (unsigned long long) st.st_dev == dev && (unsigned long long) st.st_ino == ino;
}

void
cchc_log_init (const char *program, cchc_log_level_t level)
{
    cchc_strlcpy (s_program, program && *program ? program : "cchc", sizeof s_program);
    atomic_store (&s_level, (int) level);
    atomic_store (&s_journal, s_stderr_is_journal ());
}

int
cchc_log_level_parse (const char *text, cchc_log_level_t *level)
{
    assert (level);
    static const cchc_log_level_t levels [] = { CCHC_LOG_ERROR, CCHC_LOG_WARN, CCHC_LOG_NOTICE,
                                                CCHC_LOG_INFO, CCHC_LOG_DEBUG };
    if (!text)
        return -1;
    for (size_t i = 0; i < sizeof levels / sizeof levels [0]; i++)
        if (strcmp (text, s_level_name (levels [i])) == 0) {
            *level = levels [i];
            return 0;
        }
    return -1;
}

void
cchc_log_set_level (cchc_log_level_t level)
{
    atomic_store (&s_level, (int) level);
}

bool
cchc_log_enabled (cchc_log_level_t level)
{
    return (int) level <= atomic_load (&s_level);
}

//  Format and write one line.  `suppressed` > 0 adds the rate limiter's note.
static void
s_vlog (cchc_log_level_t level, uint64_t suppressed, const char *fmt, va_list args)
{
    int saved_errno = errno;  //  for %m, and for the caller
    char line [S_LINE_MAX];
    int head;
    if (atomic_load (&s_journal))
        head = snprintf (line, sizeof line, "<%d>%s: %s: ", (int) level, s_program,
                         s_level_name (level));
    else {
        char stamp [32];
        cchc_clock_format_iso (cchc_clock_now_ms (), stamp, sizeof stamp);
        head =
            snprintf (line, sizeof line, "%s %s %s: ", stamp, s_level_name (level), s_program);
    }
    assert (head > 0 && (size_t) head < sizeof line / 2);

    //  Room for the message: leave space for the note and the newline.
    char note [64] = "";
    if (suppressed > 0)
        snprintf (note, sizeof note, " (%" PRIu64 " similar lines suppressed)", suppressed);
    size_t note_len = strlen (note);
    size_t room = sizeof line - (size_t) head - note_len - 1;  //  incl. NUL
    errno = saved_errno;
    int n = vsnprintf (line + head, room, fmt, args);
    size_t msg_len = 0;
    if (n > 0) {
        msg_len = (size_t) n;
        if (msg_len >= room) {
            msg_len = room - 1;
            memcpy (line + head + msg_len - 3, "...", 3);
        }
    }
    //  One event, one line: no control characters from the message.
    for (size_t i = (size_t) head; i < (size_t) head + msg_len; i++) {
        unsigned char c = (unsigned char) line [i];
        if (c < 0x20 || c == 0x7f)
            line [i] = ' ';
    }
    size_t len = (size_t) head + msg_len;
    memcpy (line + len, note, note_len);
    len += note_len;
    line [len++] = '\n';

    size_t done = 0;
    while (done < len) {
        ssize_t w = write (STDERR_FILENO, line + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;  //  nowhere to report it
        done += (size_t) w;
    }
    errno = saved_errno;
}

void
cchc_log (cchc_log_level_t level, const char *fmt, ...)
{
    if (!cchc_log_enabled (level))
        return;
    va_list args;
    va_start (args, fmt);
    s_vlog (level, 0, fmt, args);
    va_end (args);
}

void
cchc_log_limited (cchc_ratelimit_t *rl, cchc_log_level_t level, const char *fmt, ...)
{
    assert (rl);
    assert (rl->interval_ms > 0 && rl->burst > 0);
    if (!cchc_log_enabled (level))
        return;
    int64_t now = cchc_clock_mono_ms ();
    uint64_t suppressed = 0;
    bool pass;
    pthread_mutex_lock (&s_ratelimit_lock);
    if (now - rl->window_start >= rl->interval_ms || now < rl->window_start) {
        rl->window_start = now;
        rl->used = 0;
    }
    pass = rl->used < rl->burst;
    if (pass) {
        rl->used++;
        suppressed = rl->suppressed;
        rl->suppressed = 0;
    }
    else
        rl->suppressed++;
    pthread_mutex_unlock (&s_ratelimit_lock);
    if (!pass)
        return;
    va_list args;
    va_start (args, fmt);
    s_vlog (level, suppressed, fmt, args);
    va_end (args);
}
