/*  source.c — the exec, sql and csv sources (see source.h for the formats).
    Nothing here touches the outbox or the network: sources only turn text
    and rows into checked observations. */
#include "agent/source.h"

#include <assert.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <csv.h>
#include <sqlite3.h>

#include "common/clock.h"
#include "common/text.h"

extern char **environ;

/* ---------------------------------------------------------------- results */

void
cchc_source_result_init (cchc_source_result_t *res)
{
    assert (res);
    memset (res, 0, sizeof *res);
}

void
cchc_source_result_clear (cchc_source_result_t *res)
{
    if (res) {
        free (res->obs);
        memset (res, 0, sizeof *res);
    }
}

void
cchc_source_result_bad (cchc_source_result_t *res, size_t line, const char *fmt, ...)
{
    assert (res && fmt);
    res->nbad++;
    size_t used = strlen (res->problems);
    if (used + 16 >= sizeof res->problems)
        return;
    if (used > 0) {
        if (used + 40 >= sizeof res->problems) {
            if (!strstr (res->problems, "; ..."))
                cchc_strlcpy (res->problems + used, "; ...", sizeof res->problems - used);
            return;
        }
        cchc_strlcpy (res->problems + used, "; ", sizeof res->problems - used);
        used += 2;
    }
    int w = snprintf (res->problems + used, sizeof res->problems - used, "line %zu: ", line);
    if (w < 0 || (size_t) w >= sizeof res->problems - used)
        return;
    used += (size_t) w;
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (res->problems + used, sizeof res->problems - used, fmt, ap);
    va_end (ap);
}

static int
s_parse_value (const char *text, cchc_obs_t *o)
{
    int64_t i;
    if (cchc_parse_int64 (text, INT64_MIN, INT64_MAX, &i) == 0) {
        o->is_float = false;
        o->ival = i;
        return 0;
    }
    double d;
    if (cchc_parse_double (text, &d) == 0 && isfinite (d)) {
        o->is_float = true;
        o->fval = d;
        return 0;
    }
    return -1;
}

static int
s_push (cchc_source_result_t *res, const cchc_obs_t *o, char *why, size_t whylen)
{
    if (res->nobs >= CCHC_SOURCE_OBS_MAX) {
        snprintf (why, whylen, "more than %d observations", CCHC_SOURCE_OBS_MAX);
        return -1;
    }
    if (res->nobs == res->cap) {
        size_t cap = res->cap ? res->cap * 2 : 64;
        cchc_obs_t *n = realloc (res->obs, cap * sizeof *n);
        if (!n) {
            snprintf (why, whylen, "out of memory");
            return -1;
        }
        res->obs = n;
        res->cap = cap;
    }
    res->obs [res->nobs++] = *o;
    return 0;
}

static int
s_check_date (cchc_date_t date, cchc_date_t today, const char *text, char *why, size_t whylen)
{
    if (date > today + 1) {
        snprintf (why, whylen, "date %s is in the future", text);
        return -1;
    }
    return 0;
}

int
cchc_source_add (cchc_source_result_t *res, const char *metric, const char *value,
                 const char *date, cchc_date_t today, char *why, size_t whylen)
{
    assert (res && metric && value);
    cchc_obs_t o;
    memset (&o, 0, sizeof o);
    size_t mlen = strlen (metric);
    if (!cchc_metric_code_valid (metric, mlen)) {
        snprintf (why, whylen, "'%.60s' is not a metric code", metric);
        return -1;
    }
    memcpy (o.metric, metric, mlen + 1);
    if (s_parse_value (value, &o) != 0) {
        snprintf (why, whylen, "value '%.40s' is not a number", value);
        return -1;
    }
    o.date = today;
    if (date && date [0]) {
        if (cchc_date_parse (date, strlen (date), &o.date) != 0) {
            snprintf (why, whylen, "'%.40s' is not a date YYYY-MM-DD", date);
            return -1;
        }
        if (s_check_date (o.date, today, date, why, whylen) != 0)
            return -1;
    }
    return s_push (res, &o, why, whylen);
}

void
cchc_source_parse_lines (const char *text, size_t len, cchc_date_t today,
                         cchc_source_result_t *res)
{
    assert (res);
    size_t lineno = 0;
    size_t pos = 0;
    while (pos < len) {
        lineno++;
        size_t end = pos;
        while (end < len && text [end] != '\n')
            end++;
        size_t llen = end - pos;
        const char *line = text + pos;
        pos = end + 1;
        if (llen > 0 && line [llen - 1] == '\r')
            llen--;
        if (memchr (line, 0, llen) || !cchc_utf8_valid (line, llen)) {
            cchc_source_result_bad (res, lineno, "not UTF-8 text");
            continue;
        }
        char buf [512];
        if (llen >= sizeof buf) {
            cchc_source_result_bad (res, lineno, "line too long");
            continue;
        }
        memcpy (buf, line, llen);
        buf [llen] = 0;
        char *fields [4];
        int nf = 0;
        char *save = NULL;
        for (char *tok = strtok_r (buf, " \t", &save); tok;
             tok = strtok_r (NULL, " \t", &save)) {
            if (nf == 4) {
                nf++;
                break;
            }
            fields [nf++] = tok;
        }
        if (nf == 0 || fields [0][0] == '#')
            continue;
        if (nf < 2 || nf > 3) {
            cchc_source_result_bad (res, lineno,
                                    "expected METRIC VALUE [YYYY-MM-DD], got %d field%s",
                                    nf > 4 ? 4 : nf, nf == 1 ? "" : "s");
            continue;
        }
        char why [128];
        if (cchc_source_add (res, fields [0], fields [1], nf == 3 ? fields [2] : NULL, today,
                             why, sizeof why)
            != 0)
            cchc_source_result_bad (res, lineno, "%s", why);
    }
}

/* ------------------------------------------------------------------- exec */

#define S_STDERR_KEEP 512

struct cchc_exec_t {
    pid_t pid;
    int out_fd, err_fd; /* -1 once closed */
    int64_t deadline;   /* monotonic ms */
    int64_t timeout_ms;
    size_t max_output;
    char *out;
    size_t out_len, out_cap;
    char errtail [S_STDERR_KEEP + 1];
    size_t errtail_len;
    bool reaped;
    int status;
    bool timed_out;
    bool too_long;
    bool killed;
};

static void
s_close (int *fd)
{
    if (*fd >= 0) {
        close (*fd);
        *fd = -1;
    }
}

static void
s_exec_kill (cchc_exec_t *self)
{
    if (!self->killed) {
        /*  The whole group: the shell and everything it started. */
        if (kill (-self->pid, SIGKILL) != 0 && !self->reaped)
            kill (self->pid, SIGKILL);
        self->killed = true;
    }
    s_close (&self->out_fd);
    s_close (&self->err_fd);
}

cchc_exec_t *
cchc_exec_start (const char *command, int64_t timeout_ms, size_t max_output, char *err,
                 size_t errlen)
{
    assert (command && timeout_ms > 0 && max_output > 0);
    cchc_exec_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, errlen, "out of memory");
        return NULL;
    }
    self->out_fd = self->err_fd = -1;
    self->timeout_ms = timeout_ms;
    self->max_output = max_output;
    int out [2] = { -1, -1 }, errp [2] = { -1, -1 };
    if (pipe (out) != 0 || pipe (errp) != 0) {
        snprintf (err, errlen, "pipe: %s", strerror (errno));
        goto fail;
    }
    /*  Our ends: non-blocking and not inherited by the child. */
    fcntl (out [0], F_SETFD, FD_CLOEXEC);
    fcntl (errp [0], F_SETFD, FD_CLOEXEC);
    fcntl (out [0], F_SETFL, fcntl (out [0], F_GETFL) | O_NONBLOCK);
    fcntl (errp [0], F_SETFL, fcntl (errp [0], F_GETFL) | O_NONBLOCK);

    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init (&fa);
    posix_spawnattr_init (&attr);
    posix_spawn_file_actions_addopen (&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2 (&fa, out [1], 1);
    posix_spawn_file_actions_adddup2 (&fa, errp [1], 2);
    posix_spawn_file_actions_addclose (&fa, out [1]);
    posix_spawn_file_actions_addclose (&fa, errp [1]);
    sigset_t none, dflt;
    sigemptyset (&none);
    sigemptyset (&dflt);
    sigaddset (&dflt, SIGPIPE);
    sigaddset (&dflt, SIGTERM);
    sigaddset (&dflt, SIGHUP);
    sigaddset (&dflt, SIGINT);
    sigaddset (&dflt, SIGCHLD);
    posix_spawnattr_setsigmask (&attr, &none);
    posix_spawnattr_setsigdefault (&attr, &dflt);
    posix_spawnattr_setpgroup (&attr, 0);
    posix_spawnattr_setflags (&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK
                                         | POSIX_SPAWN_SETSIGDEF);
    char *argv [] = { "sh", "-c", (char *) command, NULL };
    int rc = posix_spawn (&self->pid, "/bin/sh", &fa, &attr, argv, environ);
    posix_spawn_file_actions_destroy (&fa);
    posix_spawnattr_destroy (&attr);
    s_close (&out [1]);
    s_close (&errp [1]);
    if (rc != 0) {
        snprintf (err, errlen, "cannot start /bin/sh: %s", strerror (rc));
        goto fail;
    }
    self->out_fd = out [0];
    self->err_fd = errp [0];
    self->deadline = cchc_clock_mono_ms () + timeout_ms;
    return self;
fail:
    s_close (&out [0]);
    s_close (&out [1]);
    s_close (&errp [0]);
    s_close (&errp [1]);
    free (self);
    return NULL;
}

void
cchc_exec_destroy (cchc_exec_t **self_p)
{
    assert (self_p);
    cchc_exec_t *self = *self_p;
    if (!self)
        return;
    if (!self->reaped) {
        s_exec_kill (self);
        while (waitpid (self->pid, &self->status, 0) < 0 && errno == EINTR)
            ;
        self->reaped = true;
    }
    else if (!self->killed && (self->out_fd >= 0 || self->err_fd >= 0))
        s_exec_kill (self); /* a grandchild still holds the pipes */
    s_close (&self->out_fd);
    s_close (&self->err_fd);
    free (self->out);
    free (self);
    *self_p = NULL;
}

int
cchc_exec_fds (const cchc_exec_t *self, int fds [2])
{
    int n = 0;
    if (self->out_fd >= 0)
        fds [n++] = self->out_fd;
    if (self->err_fd >= 0)
        fds [n++] = self->err_fd;
    return n;
}

int64_t
cchc_exec_wait_ms (const cchc_exec_t *self)
{
    if (self->out_fd < 0 && self->err_fd < 0)
        return self->reaped ? 0 : 10; /* only the reaping is left */
    int64_t left = self->deadline - cchc_clock_mono_ms ();
    return left < 0 ? 0 : left;
}

pid_t
cchc_exec_pid (const cchc_exec_t *self)
{
    return self->pid;
}

static void
s_read_out (cchc_exec_t *self)
{
    while (self->out_fd >= 0) {
        if (self->out_cap - self->out_len < 4096) {
            size_t cap = self->out_cap ? self->out_cap * 2 : 8192;
            if (cap > self->max_output + 4096)
                cap = self->max_output + 4096;
            if (cap <= self->out_cap) {
                self->too_long = true;
                s_exec_kill (self);
                return;
            }
            char *n = realloc (self->out, cap + 1);
            if (!n) {
                self->too_long = true;
                s_exec_kill (self);
                return;
            }
            self->out = n;
            self->out_cap = cap;
        }
        ssize_t r =
            read (self->out_fd, self->out + self->out_len, self->out_cap - self->out_len);
        if (r > 0) {
            self->out_len += (size_t) r;
            self->out [self->out_len] = 0;
            if (self->out_len > self->max_output) {
                self->too_long = true;
                s_exec_kill (self);
            }
        }
        else if (r == 0)
            s_close (&self->out_fd);
        else if (errno == EINTR)
            continue;
        else {
            if (errno != EAGAIN)
                s_close (&self->out_fd);
            return;
        }
    }
}

static void
s_read_err (cchc_exec_t *self)
{
    char buf [1024];
    while (self->err_fd >= 0) {
        ssize_t r = read (self->err_fd, buf, sizeof buf);
        if (r > 0) {
            /*  keep the last S_STDERR_KEEP bytes */
            size_t n = (size_t) r;
            if (n >= S_STDERR_KEEP) {
                memcpy (self->errtail, buf + n - S_STDERR_KEEP, S_STDERR_KEEP);
                self->errtail_len = S_STDERR_KEEP;
            }
            else {
                size_t keep = self->errtail_len + n > S_STDERR_KEEP ? S_STDERR_KEEP - n
                                                                    : self->errtail_len;
                memmove (self->errtail, self->errtail + self->errtail_len - keep, keep);
                memcpy (self->errtail + keep, buf, n);
                self->errtail_len = keep + n;
            }
            self->errtail [self->errtail_len] = 0;
        }
        else if (r == 0)
            s_close (&self->err_fd);
        else if (errno == EINTR)
            continue;
        else {
            if (errno != EAGAIN)
                s_close (&self->err_fd);
            return;
        }
    }
}

int
cchc_exec_step (cchc_exec_t *self)
{
    assert (self);
    s_read_out (self);
    s_read_err (self);
    if (!self->reaped) {
        pid_t r = waitpid (self->pid, &self->status, WNOHANG);
        if (r == self->pid)
            self->reaped = true;
        else if (r < 0 && errno == ECHILD) {
            /*  Someone else reaped it (SIGCHLD ignored?): treat as failed. */
            self->reaped = true;
            self->status = 255 << 8;
        }
    }
    if ((self->out_fd >= 0 || self->err_fd >= 0 || !self->reaped) && !self->killed
        && cchc_clock_mono_ms () >= self->deadline) {
        self->timed_out = true;
        s_exec_kill (self);
    }
    if (self->killed && !self->reaped) {
        pid_t r = waitpid (self->pid, &self->status, WNOHANG);
        if (r == self->pid || (r < 0 && errno == ECHILD))
            self->reaped = true;
    }
    return self->reaped && self->out_fd < 0 && self->err_fd < 0;
}

/*  The last non-empty line of what the command wrote on stderr. */
static void
s_errtail_line (const cchc_exec_t *self, char *out, size_t size)
{
    size_t end = self->errtail_len;
    while (end > 0
           && (self->errtail [end - 1] == '\n' || self->errtail [end - 1] == '\r'
               || self->errtail [end - 1] == ' '))
        end--;
    size_t start = end;
    while (start > 0 && self->errtail [start - 1] != '\n')
        start--;
    size_t n = end - start;
    if (n >= size)
        n = size - 1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char) self->errtail [start + i];
        out [i] = (c < 0x20 || c == 0x7f) ? '?' : (char) c;
    }
    out [n] = 0;
}

int
cchc_exec_result (const cchc_exec_t *self, char *err, size_t errlen)
{
    assert (self && self->reaped);
    char tail [200];
    s_errtail_line (self, tail, sizeof tail);
    char what [128];
    if (self->timed_out)
        snprintf (what, sizeof what, "timed out after %lld ms: killed",
                  (long long) self->timeout_ms);
    else if (self->too_long)
        snprintf (what, sizeof what, "output over %zu bytes: killed", self->max_output);
    else if (WIFEXITED (self->status) && WEXITSTATUS (self->status) == 0)
        return 0;
    else if (WIFEXITED (self->status))
        snprintf (what, sizeof what, "exited with status %d", WEXITSTATUS (self->status));
    else if (WIFSIGNALED (self->status))
        snprintf (what, sizeof what, "killed by signal %d", WTERMSIG (self->status));
    else
        snprintf (what, sizeof what, "ended abnormally");
    if (tail [0])
        snprintf (err, errlen, "%s (stderr: %s)", what, tail);
    else
        snprintf (err, errlen, "%s", what);
    return -1;
}

const char *
cchc_exec_output (const cchc_exec_t *self, size_t *len)
{
    *len = self->out_len;
    return self->out ? self->out : "";
}

int
cchc_exec_run (const char *command, int64_t timeout_ms, size_t max_output, cchc_date_t today,
               cchc_source_result_t *res, char *err, size_t errlen)
{
    cchc_exec_t *job = cchc_exec_start (command, timeout_ms, max_output, err, errlen);
    if (!job)
        return -1;
    while (!cchc_exec_step (job)) {
        struct pollfd pfd [2];
        int fds [2];
        int n = cchc_exec_fds (job, fds);
        for (int i = 0; i < n; i++) {
            pfd [i].fd = fds [i];
            pfd [i].events = POLLIN;
            pfd [i].revents = 0;
        }
        int64_t wait = cchc_exec_wait_ms (job);
        if (wait > 1000)
            wait = 1000;
        if (n > 0)
            poll (pfd, (nfds_t) n, (int) wait);
        else {
            struct timespec ts = { 0, 5 * 1000 * 1000 };
            nanosleep (&ts, NULL);
        }
    }
    int rc = cchc_exec_result (job, err, errlen);
    if (rc == 0) {
        size_t len;
        const char *out = cchc_exec_output (job, &len);
        cchc_source_parse_lines (out, len, today, res);
    }
    cchc_exec_destroy (&job);
    return rc;
}

/* -------------------------------------------------------------------- sql */

typedef struct {
    int64_t deadline;
    bool expired;
} s_sql_clock_t;

static int
s_sql_progress (void *arg)
{
    s_sql_clock_t *c = arg;
    if (cchc_clock_mono_ms () >= c->deadline) {
        c->expired = true;
        return 1;
    }
    return 0;
}

static int
s_sql_date (sqlite3_stmt *stmt, int col, cchc_date_t today, cchc_obs_t *o, char *why,
            size_t whylen)
{
    char text [32];
    if (sqlite3_column_type (stmt, col) == SQLITE_INTEGER) {
        int64_t v = sqlite3_column_int64 (stmt, col);
        int y = (int) (v / 10000), m = (int) (v / 100 % 100), d = (int) (v % 100);
        if (v < 10101 || v > 99991231 || !cchc_date_ymd_valid (y, m, d)) {
            snprintf (why, whylen, "date %lld is not a date yyyymmdd", (long long) v);
            return -1;
        }
        o->date = cchc_date_from_ymd (y, m, d);
        snprintf (text, sizeof text, "%lld", (long long) v);
    }
    else if (sqlite3_column_type (stmt, col) == SQLITE_TEXT) {
        const char *t = (const char *) sqlite3_column_text (stmt, col);
        int len = sqlite3_column_bytes (stmt, col);
        if (cchc_date_parse (t, (size_t) len, &o->date) != 0) {
            snprintf (why, whylen, "'%.40s' is not a date YYYY-MM-DD", t);
            return -1;
        }
        cchc_strlcpy (text, t, sizeof text);
    }
    else {
        snprintf (why, whylen, "date is not text or an integer");
        return -1;
    }
    return s_check_date (o->date, today, text, why, whylen);
}

static int
s_sql_value (sqlite3_stmt *stmt, int col, cchc_obs_t *o, char *why, size_t whylen)
{
    switch (sqlite3_column_type (stmt, col)) {
        case SQLITE_INTEGER:
            o->is_float = false;
            o->ival = sqlite3_column_int64 (stmt, col);
            return 0;
        case SQLITE_FLOAT:
            o->is_float = true;
            o->fval = sqlite3_column_double (stmt, col);
            if (!isfinite (o->fval)) {
                snprintf (why, whylen, "value is not finite");
                return -1;
            }
            return 0;
        case SQLITE_TEXT: {
            const char *t = (const char *) sqlite3_column_text (stmt, col);
            if (s_parse_value (t, o) != 0) {
                snprintf (why, whylen, "value '%.40s' is not a number", t);
                return -1;
            }
            return 0;
        }
        default: snprintf (why, whylen, "value is NULL or a blob"); return -1;
    }
}

int
cchc_sql_run (const char *database, const char *query, int64_t timeout_ms, cchc_date_t today,
              cchc_source_result_t *res, char *err, size_t errlen)
{
    assert (database && query && res);
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;
    int rc = -1;
    if (sqlite3_open_v2 (database, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL)
        != SQLITE_OK) {
        snprintf (err, errlen, "%s: cannot open read-only: %s", database,
                  db ? sqlite3_errmsg (db) : "out of memory");
        goto done;
    }
    sqlite3_busy_timeout (db, (int) (timeout_ms < 5000 ? timeout_ms : 5000));
    sqlite3_exec (db, "PRAGMA query_only=ON", NULL, NULL, NULL);
    s_sql_clock_t clock = { cchc_clock_mono_ms () + timeout_ms, false };
    sqlite3_progress_handler (db, 1000, s_sql_progress, &clock);
    const char *tail = NULL;
    if (sqlite3_prepare_v2 (db, query, -1, &stmt, &tail) != SQLITE_OK || !stmt) {
        snprintf (
            err, errlen, "%s: query: %s", database,
            stmt ? sqlite3_errmsg (db)
                 : (sqlite3_errcode (db) == SQLITE_OK ? "empty query" : sqlite3_errmsg (db)));
        goto done;
    }
    while (tail && *tail && (isspace ((unsigned char) *tail) || *tail == ';'))
        tail++;
    if (tail && *tail) {
        snprintf (err, errlen, "%s: the query must be a single statement", database);
        goto done;
    }
    if (!sqlite3_stmt_readonly (stmt)) {
        snprintf (err, errlen, "%s: the query would write: only SELECT is allowed", database);
        goto done;
    }
    if (sqlite3_column_count (stmt) != 3) {
        snprintf (err, errlen,
                  "%s: the query returns %d columns, expected 3 "
                  "(metric, date, value)",
                  database, sqlite3_column_count (stmt));
        goto done;
    }
    size_t row = 0;
    int step;
    while ((step = sqlite3_step (stmt)) == SQLITE_ROW) {
        row++;
        cchc_obs_t o;
        memset (&o, 0, sizeof o);
        char why [128];
        const char *metric = (const char *) sqlite3_column_text (stmt, 0);
        if (!metric
            || !cchc_metric_code_valid (metric, (size_t) sqlite3_column_bytes (stmt, 0))) {
            cchc_source_result_bad (res, row, "'%.60s' is not a metric code",
                                    metric ? metric : "NULL");
            continue;
        }
        cchc_strlcpy (o.metric, metric, sizeof o.metric);
        if (s_sql_date (stmt, 1, today, &o, why, sizeof why) != 0
            || s_sql_value (stmt, 2, &o, why, sizeof why) != 0) {
            cchc_source_result_bad (res, row, "%s", why);
            continue;
        }
        if (s_push (res, &o, why, sizeof why) != 0) {
            snprintf (err, errlen, "%s: %s", database, why);
            goto done;
        }
    }
    if (step != SQLITE_DONE) {
        if (clock.expired)
            snprintf (err, errlen, "%s: query interrupted after %lld ms", database,
                      (long long) timeout_ms);
        else
            snprintf (err, errlen, "%s: %s", database, sqlite3_errmsg (db));
        goto done;
    }
    rc = 0;
done:
    sqlite3_finalize (stmt);
    sqlite3_close_v2 (db);
    return rc;
}

/* -------------------------------------------------------------------- csv */

typedef struct {
    cchc_source_result_t *res;
    cchc_date_t today;
    size_t row;  /* 1-based, counting every record */
    size_t line; /* line of the file being parsed (1-based) */
    char fields [3][128];
    size_t nfields;   /* fields seen in this record (may exceed 3) */
    size_t first_len; /* length of its first field */
    bool too_long;
    bool has_nul; /* a field holds a NUL byte */
} s_csv_state_t;

static void
s_csv_field (void *data, size_t len, void *arg)
{
    s_csv_state_t *st = arg;
    if (st->nfields == 0)
        st->first_len = len;
    if (len > 0 && memchr (data, 0, len))
        st->has_nul = true; /* would cut the field short: refuse the row */
    if (st->nfields < 3) {
        if (len >= sizeof st->fields [0]) {
            st->too_long = true;
            st->fields [st->nfields][0] = 0;
        }
        else {
            memcpy (st->fields [st->nfields], data ? data : "", len);
            st->fields [st->nfields][len] = 0;
        }
    }
    st->nfields++;
}

static bool
s_ieq (const char *a, const char *b)
{
    return strcasecmp (a, b) == 0;
}

static void
s_csv_record (int term, void *arg)
{
    (void) term;
    s_csv_state_t *st = arg;
    st->row++;
    size_t nf = st->nfields;
    st->nfields = 0;
    bool too_long = st->too_long, has_nul = st->has_nul;
    st->too_long = st->has_nul = false;
    /*  Blank: one empty field (its length, not the buffer, which holds the
        previous row's text when this field was too long to copy). */
    if (nf == 0 || (nf == 1 && st->first_len == 0))
        return; /* blank line */
    if (st->row == 1 && nf == 3 && !too_long && !has_nul && s_ieq (st->fields [0], "metric")
        && s_ieq (st->fields [1], "date") && s_ieq (st->fields [2], "value"))
        return; /* header */
    if (nf != 3) {
        cchc_source_result_bad (st->res, st->line,
                                "expected 3 columns (metric,date,value), got %zu", nf);
        return;
    }
    if (too_long) {
        cchc_source_result_bad (st->res, st->line, "a field is too long");
        return;
    }
    if (has_nul) {
        cchc_source_result_bad (st->res, st->line, "not UTF-8 text (a NUL byte)");
        return;
    }
    for (int i = 0; i < 3; i++)
        if (!cchc_utf8_valid (st->fields [i], strlen (st->fields [i]))) {
            cchc_source_result_bad (st->res, st->line, "not UTF-8 text");
            return;
        }
    char why [128];
    if (!st->fields [1][0]) {
        cchc_source_result_bad (st->res, st->line, "the date is empty");
        return;
    }
    if (cchc_source_add (st->res, st->fields [0], st->fields [2], st->fields [1], st->today,
                         why, sizeof why)
        != 0)
        cchc_source_result_bad (st->res, st->line, "%s", why);
}

int
cchc_csv_parse (const char *data, size_t len, cchc_date_t today, cchc_source_result_t *res)
{
    assert (res);
    if (len >= 3 && memcmp (data, "\xEF\xBB\xBF", 3) == 0) {
        data += 3;
        len -= 3;
    }
    struct csv_parser p;
    if (csv_init (&p, CSV_STRICT | CSV_STRICT_FINI) != 0) {
        cchc_source_result_bad (res, 0, "out of memory");
        return -1;
    }
    s_csv_state_t st;
    memset (&st, 0, sizeof st);
    st.res = res;
    st.today = today;
    /*  Fed one line at a time so that each row's problem names its line
        (libcsv skips blank lines without a record: the record count alone
        would name the wrong one). */
    int rc = 0;
    st.line = 1;
    size_t pos = 0;
    while (pos < len && rc == 0) {
        const char *nl = memchr (data + pos, '\n', len - pos);
        size_t chunk = nl ? (size_t) (nl - (data + pos)) + 1 : len - pos;
        if (csv_parse (&p, data + pos, chunk, s_csv_field, s_csv_record, &st) != chunk)
            rc = -1;
        else {
            pos += chunk;
            if (nl && pos < len)
                st.line++;
        }
    }
    if (rc == 0 && csv_fini (&p, s_csv_field, s_csv_record, &st) != 0)
        rc = -1;
    if (rc != 0)
        cchc_source_result_bad (res, st.line, "CSV syntax: %s", csv_strerror (csv_error (&p)));
    csv_free (&p);
    return rc == 0 && res->nbad == 0 ? 0 : -1;
}

/*  "FOLDER/sub/name" into buf.  Returns 0 or -1 (too long). */
static int
s_path (char *buf, size_t size, const char *folder, const char *sub, const char *name)
{
    int n = sub ? snprintf (buf, size, "%s/%s/%s", folder, sub, name)
                : snprintf (buf, size, "%s/%s", folder, name);
    return n > 0 && (size_t) n < size ? 0 : -1;
}

/*  A free "FOLDER/sub/TIMESTAMP-name[-k]" for a file being filed away. */
static int
s_archive_name (char *buf, size_t size, const char *folder, const char *sub, const char *name,
                int64_t now_ms)
{
    char iso [32];
    cchc_clock_format_iso (now_ms, iso, sizeof iso);
    /* 2021-03-14T16:59:59.123Z -> 20210314T165959Z */
    char stamp [20];
    snprintf (stamp, sizeof stamp, "%.4s%.2s%.2sT%.2s%.2s%.2sZ", iso, iso + 5, iso + 8,
              iso + 11, iso + 14, iso + 17);
    for (int k = 0; k < 1000; k++) {
        char leaf [400];
        if (k == 0)
            snprintf (leaf, sizeof leaf, "%s-%.300s", stamp, name);
        else
            snprintf (leaf, sizeof leaf, "%s-%d-%.300s", stamp, k, name);
        if (s_path (buf, size, folder, sub, leaf) != 0)
            return -1;
        struct stat sb;
        char reason [1100];
        snprintf (reason, sizeof reason, "%s.reason", buf);
        if (lstat (buf, &sb) != 0 && errno == ENOENT && lstat (reason, &sb) != 0)
            return 0;
    }
    return -1;
}

static int
s_read_file (const char *path, char **data, size_t *len, char *err, size_t errlen)
{
    *data = NULL;
    *len = 0;
    int fd = open (path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        snprintf (err, errlen, "cannot open: %s", strerror (errno));
        return -1;
    }
    struct stat sb;
    if (fstat (fd, &sb) != 0 || !S_ISREG (sb.st_mode)) {
        snprintf (err, errlen, "not a regular file");
        close (fd);
        return -1;
    }
    if (sb.st_size > CCHC_SOURCE_CSV_MAX_BYTES) {
        snprintf (err, errlen, "file is larger than %d bytes", CCHC_SOURCE_CSV_MAX_BYTES);
        close (fd);
        return -1;
    }
    char *buf = malloc ((size_t) sb.st_size + 1);
    if (!buf) {
        snprintf (err, errlen, "out of memory");
        close (fd);
        return -1;
    }
    size_t got = 0;
    while (got < (size_t) sb.st_size) {
        ssize_t r = read (fd, buf + got, (size_t) sb.st_size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t) r;
    }
    close (fd);
    buf [got] = 0;
    *data = buf;
    *len = got;
    return 0;
}

static int
s_write_reason (const char *path, const char *name, const char *reason)
{
    int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0)
        return -1;
    char buf [1024];
    int n = snprintf (buf, sizeof buf, "%s: %s\n", name, reason);
    if (n < 0)
        n = 0;
    if ((size_t) n >= sizeof buf)
        n = (int) sizeof buf - 1;
    ssize_t w = write (fd, buf, (size_t) n);
    close (fd);
    return w == n ? 0 : -1;
}

/*  Take one file that is already in processing/.  Returns 0 (done or
    failed as it should be), or -1 (could not store or move: stays). */
static int
s_csv_take (const char *folder, const char *name, cchc_date_t today, cchc_source_sink_fn sink,
            void *arg, int64_t now_ms, cchc_csv_scan_t *scan, char *err, size_t errlen)
{
    char path [1024], dest [1024];
    if (s_path (path, sizeof path, folder, "processing", name) != 0) {
        snprintf (err, errlen, "path too long");
        return -1;
    }
    char *data = NULL;
    size_t len = 0;
    char why [700] = "";
    cchc_source_result_t res;
    cchc_source_result_init (&res);
    bool good = false;
    if (s_read_file (path, &data, &len, why, sizeof why) == 0) {
        if (cchc_csv_parse (data, len, today, &res) == 0)
            good = true;
        else
            snprintf (why, sizeof why, "%zu bad row%s, nothing taken: %s", res.nbad,
                      res.nbad == 1 ? "" : "s", res.problems);
    }
    free (data);
    if (good) {
        if (res.nobs > 0 && sink (arg, res.obs, res.nobs, err, errlen) != 0) {
            cchc_source_result_clear (&res);
            return -1;
        }
        scan->obs += res.nobs;
        cchc_source_result_clear (&res);
        if (s_archive_name (dest, sizeof dest, folder, "done", name, now_ms) != 0
            || rename (path, dest) != 0) {
            snprintf (err, errlen, "%s: cannot move to done/: %s", name, strerror (errno));
            return -1;
        }
        scan->taken++;
        return 0;
    }
    cchc_source_result_clear (&res);
    char reason_path [1100];
    if (s_archive_name (dest, sizeof dest, folder, "failed", name, now_ms) != 0) {
        snprintf (err, errlen, "%s: no free name in failed/", name);
        return -1;
    }
    snprintf (reason_path, sizeof reason_path, "%s.reason", dest);
    s_write_reason (reason_path, name, why);
    if (rename (path, dest) != 0) {
        snprintf (err, errlen, "%s: cannot move to failed/: %s", name, strerror (errno));
        return -1;
    }
    scan->failed++;
    /* bounded so it fits last_error; the full reason is in the .reason file */
    snprintf (scan->last_error, sizeof scan->last_error, "%.200s: %.300s", name, why);
    return 0;
}

static int
s_name_cmp (const void *a, const void *b)
{
    return strcmp (*(char *const *) a, *(char *const *) b);
}

/*  Names of regular files in dir (those ending in .csv when csv_only),
    sorted.  Returns the count, -1 on error. */
static int
s_list (const char *dir, bool csv_only, char ***names_p)
{
    *names_p = NULL;
    DIR *d = opendir (dir);
    if (!d)
        return -1;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir (d))) {
        if (e->d_name [0] == '.')
            continue;
        size_t len = strlen (e->d_name);
        if (csv_only && (len < 5 || strcasecmp (e->d_name + len - 4, ".csv") != 0))
            continue;
        if (e->d_type != DT_REG && e->d_type != DT_UNKNOWN)
            continue;
        if (n == cap) {
            size_t c = cap ? cap * 2 : 16;
            char **nn = realloc (names, c * sizeof *nn);
            if (!nn)
                break;
            names = nn;
            cap = c;
        }
        if (!(names [n] = strdup (e->d_name)))
            break;
        n++;
    }
    closedir (d);
    if (n > 1)
        qsort (names, n, sizeof *names, s_name_cmp);
    *names_p = names;
    return (int) n;
}

static void
s_list_free (char **names, int n)
{
    for (int i = 0; i < n; i++)
        free (names [i]);
    free (names);
}

static int
s_mkdir (const char *folder, const char *sub, char *err, size_t errlen)
{
    char path [1024];
    if (s_path (path, sizeof path, folder, NULL, sub) != 0) {
        snprintf (err, errlen, "%s: path too long", folder);
        return -1;
    }
    if (mkdir (path, 0750) != 0 && errno != EEXIST) {
        snprintf (err, errlen, "%s: cannot create: %s", path, strerror (errno));
        return -1;
    }
    return 0;
}

int
cchc_csv_scan (const char *folder, cchc_date_t today, cchc_source_sink_fn sink, void *arg,
               int64_t now_ms, cchc_csv_scan_t *scan, char *err, size_t errlen)
{
    assert (folder && sink && scan);
    memset (scan, 0, sizeof *scan);
    struct stat sb;
    if (stat (folder, &sb) != 0 || !S_ISDIR (sb.st_mode)) {
        snprintf (err, errlen, "%s: not a folder", folder);
        return -1;
    }
    if (s_mkdir (folder, "processing", err, errlen) != 0
        || s_mkdir (folder, "done", err, errlen) != 0
        || s_mkdir (folder, "failed", err, errlen) != 0)
        return -1;
    char proc [1024];
    s_path (proc, sizeof proc, folder, NULL, "processing");
    /*  1. anything a crash left in processing/ */
    char **names;
    int n = s_list (proc, false, &names);
    if (n < 0) {
        snprintf (err, errlen, "%s: %s", proc, strerror (errno));
        return -1;
    }
    for (int i = 0; i < n; i++)
        if (s_csv_take (folder, names [i], today, sink, arg, now_ms, scan, err, errlen) != 0) {
            s_list_free (names, n);
            return -1; /* processing/ not empty: take nothing new */
        }
    s_list_free (names, n);

    /*  2. new files */
    n = s_list (folder, true, &names);
    if (n < 0) {
        snprintf (err, errlen, "%s: %s", folder, strerror (errno));
        return -1;
    }
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        char from [1024], to [1024];
        if (s_path (from, sizeof from, folder, NULL, names [i]) != 0
            || s_path (to, sizeof to, folder, "processing", names [i]) != 0)
            continue;
        if (lstat (from, &sb) != 0 || !S_ISREG (sb.st_mode))
            continue;
        /*  The atomic take: whoever renames it owns it. */
        if (rename (from, to) != 0) {
            if (errno == ENOENT)
                continue;
            snprintf (err, errlen, "%s: cannot move to processing/: %s", names [i],
                      strerror (errno));
            rc = -1;
            break;
        }
        rc = s_csv_take (folder, names [i], today, sink, arg, now_ms, scan, err, errlen);
    }
    s_list_free (names, n);
    return rc;
}

int
cchc_csv_failed_count (const char *folder)
{
    char path [1024];
    if (s_path (path, sizeof path, folder, NULL, "failed") != 0)
        return -1;
    DIR *d = opendir (path);
    if (!d)
        return errno == ENOENT ? 0 : -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir (d))) {
        size_t len = strlen (e->d_name);
        if (len > 7 && strcmp (e->d_name + len - 7, ".reason") == 0)
            n++;
    }
    closedir (d);
    return n;
}
