/*  daemon.c — the cchc-agent main loop (see daemon.h). */
#include "agent/daemon.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include <zmq.h>

#include "agent/conf.h"
#include "agent/outbox.h"
#include "agent/sender.h"
#include "agent/source.h"
#include "common/clock.h"
#include "common/key.h"
#include "common/log.h"
#include "common/signals.h"
#include "common/text.h"

#define S_TICK_MS 1000
#define S_WARN_EVERY_MS (10 * 60 * 1000)
/*  The clock difference to the collector is saved again when it moved by
    this much (it wobbles by the round trip on every ack). */
#define S_CLOCK_NOTE_MS 2000

typedef struct {
    cchc_source_conf_t conf;
    int64_t next_run; /* monotonic ms */
    cchc_exec_t *job; /* exec: running command */
    cchc_date_t job_today;
    cchc_outbox_source_t unsaved; /* runs not yet written (counters: deltas) */
    bool saved_once;              /* a run of this process has been written */
    bool last_ok;                 /* outcome of the last run */
    char last_error [512];        /* its error text ("" when none) */
} s_source_t;

typedef struct {
    const char *config_path;
    char *const *sets;
    size_t nsets;
    cchc_agent_conf_t *conf;
    cchc_key_t *key;
    cchc_outbox_t *outbox;
    void *ctx;
    cchc_sender_t *sender;
    s_source_t sources [CCHC_AGENT_SOURCES_MAX];
    size_t nsources;
    int lock_fd;
    int64_t next_heartbeat;
    int64_t next_freeze_check;
    int64_t next_limits;
    int64_t last_warn;
    bool freeze_wanted;
    char agent_hex [65];
    int64_t last_state_write;   /* monotonic ms */
    bool save_wanted;           /* something status shows changed */
    cchc_sender_info_t written; /* sender state as last written */
} s_daemon_t;

/*  SIGTERM, SIGINT: stop; SIGHUP: read the configuration again. */
static const int s_signals [] = { SIGTERM, SIGINT, SIGHUP };
static int s_sigpipe [2] = { -1, -1 };
static volatile sig_atomic_t s_stop = 0;
static volatile sig_atomic_t s_reload = 0;

static void
s_on_signal (int sig)
{
    int saved = errno;
    if (sig == SIGHUP)
        s_reload = 1;
    else
        s_stop = 1;
    if (s_sigpipe [1] >= 0) {
        char c = (char) sig;
        ssize_t w = write (s_sigpipe [1], &c, 1);
        (void) w;
    }
    errno = saved;
}

static int
s_signals_install (void)
{
    if (pipe (s_sigpipe) != 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        fcntl (s_sigpipe [i], F_SETFD, FD_CLOEXEC);
        fcntl (s_sigpipe [i], F_SETFL, fcntl (s_sigpipe [i], F_GETFL) | O_NONBLOCK);
    }
    cchc_signals_catch (s_on_signal, s_signals, 3);
    cchc_signals_catch (SIG_IGN, &(const int){ SIGPIPE }, 1);
    return 0;
}

static void
s_signals_remove (void)
{
    cchc_signals_catch (SIG_DFL, s_signals, 3);
    for (int i = 0; i < 2; i++)
        if (s_sigpipe [i] >= 0) {
            close (s_sigpipe [i]);
            s_sigpipe [i] = -1;
        }
}

/*  Read the configuration (file + overrides) into a fresh struct. */
static cchc_agent_conf_t *
s_conf_read (s_daemon_t *self, char *err, size_t errlen)
{
    cchc_agent_conf_t *conf = cchc_agent_conf_new ();
    if (!conf) {
        snprintf (err, errlen, "out of memory");
        return NULL;
    }
    if (self->config_path
        && cchc_agent_conf_load (conf, self->config_path, err, errlen) != 0) {
        cchc_agent_conf_destroy (&conf);
        return NULL;
    }
    for (size_t i = 0; i < self->nsets; i++)
        if (cchc_agent_conf_set (conf, self->sets [i], err, errlen) != 0) {
            cchc_agent_conf_destroy (&conf);
            return NULL;
        }
    if (cchc_agent_conf_finish (conf, true, err, errlen) != 0
        || cchc_agent_conf_clock (conf, err, errlen) != 0) {
        cchc_agent_conf_destroy (&conf);
        return NULL;
    }
    return conf;
}

static int64_t
s_interval (const s_daemon_t *self, const cchc_source_conf_t *sc)
{
    return sc->interval_ms > 0 ? sc->interval_ms : self->conf->interval_ms;
}

static void
s_sources_stop (s_daemon_t *self)
{
    for (size_t i = 0; i < self->nsources; i++)
        cchc_exec_destroy (&self->sources [i].job);
    self->nsources = 0;
}

static void
s_sources_load (s_daemon_t *self)
{
    s_sources_stop (self);
    int64_t now = cchc_clock_mono_ms ();
    for (size_t i = 0; i < self->conf->nsources; i++) {
        const cchc_source_conf_t *sc = &self->conf->sources [i];
        if (!sc->enabled)
            continue;
        s_source_t *s = &self->sources [self->nsources++];
        memset (s, 0, sizeof *s);
        s->conf = *sc;
        s->next_run = now; /* run once at start, then on the interval */
    }
    cchc_info ("%zu source%s active", self->nsources, self->nsources == 1 ? "" : "s");
}

/*  Store a run's observations and record the outcome. */
static void
s_source_done (s_daemon_t *self, s_source_t *s, bool ok, const char *error,
               cchc_source_result_t *res)
{
    int64_t now = cchc_clock_now_ms ();
    size_t queued = 0;
    char err [512] = "";
    char problem [700] = "";
    if (ok && res && res->nobs > 0) {
        if (cchc_outbox_observe (self->outbox, res->obs, res->nobs, now, &queued, err,
                                 sizeof err)
            != 0) {
            ok = false;
            snprintf (problem, sizeof problem, "cannot store: %s", err);
            error = problem;
        }
        else if (queued > 0)
            self->freeze_wanted = true;
    }
    if (ok && res && res->nbad > 0) {
        snprintf (problem, sizeof problem, "%zu bad line%s skipped: %s", res->nbad,
                  res->nbad == 1 ? "" : "s", res->problems);
        error = problem;
        cchc_warn ("source %s: %s", s->conf.name, problem);
    }
    if (!ok)
        cchc_error ("source %s failed: %s", s->conf.name, error ? error : "?");
    else
        cchc_debug ("source %s: %zu observation%s, %zu changed", s->conf.name,
                    res ? res->nobs : 0, res && res->nobs == 1 ? "" : "s", queued);
    /*  Kept in memory and written with the next state save: right away
        (within a second) when status would show something new — the first
        run, a changed outcome or error, values queued — otherwise with the
        periodic save, so an idle agent does not write for every run. */
    const char *e = error ? error : "";
    bool news =
        !s->saved_once || ok != s->last_ok || strcmp (e, s->last_error) != 0 || queued > 0;
    s->last_ok = ok;
    cchc_strlcpy (s->last_error, e, sizeof s->last_error);
    cchc_outbox_source_t *u = &s->unsaved;
    cchc_strlcpy (u->name, s->conf.name, sizeof u->name);
    u->runs++;
    u->obs_total += (int64_t) queued;
    u->last_run_ms = now;
    if (ok)
        u->last_ok_ms = now;
    if (e [0]) {
        cchc_strlcpy (u->last_error, e, sizeof u->last_error);
        u->last_error_ms = now;
    }
    if (news)
        self->save_wanted = true;
}

static int
s_csv_sink (void *arg, const cchc_obs_t *obs, size_t n, char *err, size_t errlen)
{
    s_daemon_t *self = arg;
    size_t queued = 0;
    if (cchc_outbox_observe (self->outbox, obs, n, cchc_clock_now_ms (), &queued, err, errlen)
        != 0)
        return -1;
    if (queued > 0)
        self->freeze_wanted = true;
    return 0;
}

static void
s_source_start (s_daemon_t *self, s_source_t *s)
{
    cchc_date_t today = cchc_date_from_utc_ms (cchc_clock_now_ms ());
    char err [512];
    switch (s->conf.type) {
        case CCHC_SOURCE_EXEC:
            s->job = cchc_exec_start (s->conf.command, s->conf.timeout_ms,
                                      (size_t) s->conf.max_output, err, sizeof err);
            s->job_today = today;
            if (!s->job)
                s_source_done (self, s, false, err, NULL);
            else
                cchc_debug ("source %s: started pid %d", s->conf.name,
                            (int) cchc_exec_pid (s->job));
            break;
        case CCHC_SOURCE_SQL: {
            cchc_source_result_t res;
            cchc_source_result_init (&res);
            int rc = cchc_sql_run (s->conf.database, s->conf.query, s->conf.timeout_ms, today,
                                   &res, err, sizeof err);
            s_source_done (self, s, rc == 0, rc == 0 ? NULL : err, &res);
            cchc_source_result_clear (&res);
            break;
        }
        case CCHC_SOURCE_CSV: {
            cchc_csv_scan_t scan;
            int rc = cchc_csv_scan (s->conf.folder, today, s_csv_sink, self,
                                    cchc_clock_now_ms (), &scan, err, sizeof err);
            if (rc != 0)
                s_source_done (self, s, false, err, NULL);
            else if (scan.failed > 0) {
                cchc_error ("source %s: %zu file%s refused (moved to failed/): %s",
                            s->conf.name, scan.failed, scan.failed == 1 ? "" : "s",
                            scan.last_error);
                s_source_done (self, s, false, scan.last_error, NULL);
            }
            else {
                if (scan.taken > 0)
                    cchc_info ("source %s: %zu file%s taken, %zu observation%s", s->conf.name,
                               scan.taken, scan.taken == 1 ? "" : "s", scan.obs,
                               scan.obs == 1 ? "" : "s");
                /*  Only a scan that took files counts as a run worth recording;
                an empty folder is not news. */
                if (scan.taken > 0)
                    s_source_done (self, s, true, NULL, NULL);
            }
            break;
        }
    }
}

static void
s_source_step (s_daemon_t *self, s_source_t *s)
{
    if (!s->job || !cchc_exec_step (s->job))
        return;
    char err [512];
    cchc_source_result_t res;
    cchc_source_result_init (&res);
    int rc = cchc_exec_result (s->job, err, sizeof err);
    if (rc == 0) {
        size_t len;
        const char *out = cchc_exec_output (s->job, &len);
        cchc_source_parse_lines (out, len, s->job_today, &res);
    }
    cchc_exec_destroy (&s->job);
    s_source_done (self, s, rc == 0, rc == 0 ? NULL : err, &res);
    cchc_source_result_clear (&res);
}

static void
s_freeze (s_daemon_t *self)
{
    /*  Keep at most 2 windows of frozen messages: while the collector is
        away, pending values keep being replaced in place (a changed figure
        costs nothing), and a long outage does not pile up thousands of
        superseded messages. */
    cchc_outbox_stats_t st;
    char err [512];
    if (cchc_outbox_stats (self->outbox, &st, err, sizeof err) != 0) {
        cchc_error ("%s", err);
        return;
    }
    int64_t room = 2 * self->conf->window - st.messages;
    while (st.pending > 0 && room > 0) {
        uint64_t seq;
        int rc = cchc_outbox_freeze (self->outbox, self->key, self->conf->unit,
                                     (size_t) self->conf->batch_max, cchc_clock_now_ms (),
                                     &seq, err, sizeof err);
        if (rc < 0) {
            cchc_error ("%s", err);
            return;
        }
        if (rc == 0)
            break;
        cchc_debug ("message %" PRIu64 " frozen", seq);
        room--;
        st.pending -= st.pending > self->conf->batch_max ? self->conf->batch_max : st.pending;
    }
}

static void
s_limits (s_daemon_t *self)
{
    cchc_outbox_stats_t st;
    char err [512];
    int64_t now = cchc_clock_now_ms ();
    int64_t dropped = 0;
    if (cchc_outbox_enforce (self->outbox, self->conf->max_messages, self->conf->max_age_ms,
                             now, &dropped, err, sizeof err)
        != 0)
        cchc_error ("%s", err);
    else if (dropped > 0)
        cchc_error ("OUTBOX LIMIT REACHED: %" PRId64 " undelivered observation%s DROPPED "
                    "into dead letters (outbox.max_messages / outbox.max_age)",
                    dropped, dropped == 1 ? "" : "s");
    if (cchc_outbox_stats (self->outbox, &st, err, sizeof err) != 0) {
        cchc_error ("%s", err);
        return;
    }
    /*  Warn long before any drop: at the warning thresholds, and at half of
        any drop limit. */
    int64_t warn_msgs = self->conf->warn_messages;
    if (self->conf->max_messages > 0 && self->conf->max_messages / 2 < warn_msgs)
        warn_msgs = self->conf->max_messages / 2;
    int64_t warn_age = self->conf->warn_age_ms;
    if (self->conf->max_age_ms > 0 && self->conf->max_age_ms / 2 < warn_age)
        warn_age = self->conf->max_age_ms / 2;
    int64_t undelivered =
        st.messages + (st.pending + self->conf->batch_max - 1) / self->conf->batch_max;
    int64_t age = st.oldest_ms ? now - st.oldest_ms : 0;
    bool warn = undelivered > warn_msgs || age > warn_age;
    if (warn
        && (self->last_warn == 0
            || cchc_clock_mono_ms () - self->last_warn >= S_WARN_EVERY_MS)) {
        self->last_warn = cchc_clock_mono_ms ();
        cchc_warn ("OUTBOX BACKLOG: %" PRId64 " message%s waiting, %" PRId64
                   " pending observation%s, oldest %" PRId64 " min old; is the collector "
                   "reachable? %s",
                   st.messages, st.messages == 1 ? "" : "s", st.pending,
                   st.pending == 1 ? "" : "s", age / 60000,
                   (self->conf->max_messages > 0 || self->conf->max_age_ms > 0)
                       ? "Data WILL BE DROPPED when the outbox limit is reached"
                       : "Nothing is dropped (no outbox limit)");
    }
}

/*  Has the sender's state changed in a way `status` shows? */
static bool
s_state_changed (s_daemon_t *self)
{
    cchc_sender_info_t info;
    cchc_sender_info (self->sender, &info);
    const cchc_sender_info_t *w = &self->written;
    return strcmp (info.endpoint, w->endpoint) != 0
           || strcmp (info.acked_endpoint, w->acked_endpoint) != 0
           || strcmp (info.last_error, w->last_error) != 0
           || info.answer_problem != w->answer_problem || info.aside != w->aside
           || info.clock_known != w->clock_known
           || llabs (info.clock_ahead_ms - w->clock_ahead_ms) >= S_CLOCK_NOTE_MS
           || (info.last_ack_ms != 0) != (w->last_ack_ms != 0) || info.dead != w->dead
           || self->save_wanted;
}

static void
s_heartbeat (s_daemon_t *self, bool stopping)
{
    cchc_sender_info_t info;
    cchc_sender_info (self->sender, &info);
    self->written = info;
    char pid [24], heartbeat [24], last_ack [24], last_send [24], inflight [24],
        delivered [24], stopped [24], problem [16];
    int64_t now = cchc_clock_now_ms ();
    snprintf (problem, sizeof problem, "%u", info.answer_problem);
    snprintf (pid, sizeof pid, "%d", (int) getpid ());
    snprintf (heartbeat, sizeof heartbeat, "%" PRId64, now);
    snprintf (last_ack, sizeof last_ack, "%" PRId64, info.last_ack_ms);
    snprintf (last_send, sizeof last_send, "%" PRId64, info.last_send_ms);
    snprintf (inflight, sizeof inflight, "%zu", cchc_sender_inflight (self->sender));
    snprintf (delivered, sizeof delivered, "%" PRIu64, info.delivered);
    snprintf (stopped, sizeof stopped, "%" PRId64, stopping ? now : 0);
    char clock [24];
    snprintf (clock, sizeof clock, "%" PRId64, info.clock_ahead_ms);
    const char *keys [] = { "pid",         "heartbeat", "endpoint",   "acked_endpoint",
                            "clock_ahead", "last_send", "last_error", "key_problem",
                            "inflight",    "delivered", "stopped",    "last_ack" };
    const char *values [] = { pid,      heartbeat, info.endpoint,   info.acked_endpoint,
                              clock,    last_send, info.last_error, problem,
                              inflight, delivered, stopped,         last_ack };
    /*  last_ack of 0 means "none in this run": keep the previous run's
        (and its clock difference). */
    size_t n = sizeof keys / sizeof keys [0];
    if (info.last_ack_ms == 0) {
        n--;
        keys [4] = keys [n - 1];
        values [4] = values [n - 1];
        n--;
    }
    cchc_outbox_source_t runs [CCHC_AGENT_SOURCES_MAX];
    size_t nruns = 0;
    for (size_t i = 0; i < self->nsources; i++)
        if (self->sources [i].unsaved.runs > 0)
            runs [nruns++] = self->sources [i].unsaved;
    if (cchc_outbox_state_save (self->outbox, keys, values, n, runs, nruns) != 0) {
        cchc_warn ("cannot write the daemon state into the outbox");
        return;
    }
    self->save_wanted = false;
    for (size_t i = 0; i < self->nsources; i++)
        if (self->sources [i].unsaved.runs > 0) {
            memset (&self->sources [i].unsaved, 0, sizeof self->sources [i].unsaved);
            self->sources [i].saved_once = true;
        }
}

static void
s_reload_conf (s_daemon_t *self)
{
    char err [512];
    cchc_agent_conf_t *conf = s_conf_read (self, err, sizeof err);
    if (!conf) {
        cchc_error ("reload refused, keeping the running configuration: %s", err);
        return;
    }
    bool restart = strcmp (conf->unit, self->conf->unit) != 0
                   || strcmp (conf->key_file, self->conf->key_file) != 0
                   || strcmp (conf->outbox, self->conf->outbox) != 0
                   || strcmp (conf->endpoints_text, self->conf->endpoints_text) != 0
                   || memcmp (conf->collector_pk, self->conf->collector_pk, 32) != 0
                   || conf->curve != self->conf->curve;
    /*  Keep the settings the running sender and outbox were built with. */
    memcpy (conf->unit, self->conf->unit, sizeof conf->unit);
    memcpy (conf->key_file, self->conf->key_file, sizeof conf->key_file);
    memcpy (conf->outbox, self->conf->outbox, sizeof conf->outbox);
    conf->nendpoints = self->conf->nendpoints;
    memcpy (conf->endpoints, self->conf->endpoints, sizeof conf->endpoints);
    memcpy (conf->endpoints_text, self->conf->endpoints_text, sizeof conf->endpoints_text);
    memcpy (conf->collector_pk, self->conf->collector_pk, 32);
    conf->curve = self->conf->curve;
    conf->window = self->conf->window;
    cchc_agent_conf_destroy (&self->conf);
    self->conf = conf;
    cchc_log_set_level ((cchc_log_level_t) conf->log_level_value);
    s_heartbeat (self, false); /* the old sources' unsaved runs */
    s_sources_load (self);
    cchc_notice ("configuration reloaded: sources and log level applied%s",
                 restart ? "; unit, key, outbox, endpoints and curve changes need a restart"
                         : "");
}

static int
s_lock (s_daemon_t *self, char *err, size_t errlen)
{
    char path [600];
    snprintf (path, sizeof path, "%s.lock", self->conf->outbox);
    self->lock_fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (self->lock_fd < 0) {
        snprintf (err, errlen, "%.400s: %s", path, strerror (errno));
        return -1;
    }
    if (flock (self->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        snprintf (err, errlen,
                  "%.400s: another cchc-agent is already running with this outbox",
                  self->conf->outbox);
        return -1;
    }
    /*  The lock is how `status` tells a live daemon (the kernel drops it
        when the process dies, however it dies); the pid beside it says
        which.  Written once, never synced: nothing depends on it surviving
        a power cut. */
    char pid [24];
    int len = snprintf (pid, sizeof pid, "%d\n", (int) getpid ());
    if (ftruncate (self->lock_fd, 0) != 0
        || pwrite (self->lock_fd, pid, (size_t) len, 0) != len)
        cchc_warn ("%.400s: cannot write the pid: %s", path, strerror (errno));
    return 0;
}

static void
s_cleanup (s_daemon_t *self)
{
    s_sources_stop (self);
    cchc_sender_destroy (&self->sender);
    if (self->ctx) {
        zmq_ctx_term (self->ctx);
        self->ctx = NULL;
    }
    cchc_outbox_destroy (&self->outbox);
    cchc_key_destroy (&self->key);
    cchc_agent_conf_destroy (&self->conf);
    if (self->lock_fd >= 0) {
        close (self->lock_fd);
        self->lock_fd = -1;
    }
    s_signals_remove ();
}

static int
s_start (s_daemon_t *self)
{
    char err [512];
    if (!(self->conf = s_conf_read (self, err, sizeof err))) {
        cchc_error ("configuration: %s", err);
        return -1;
    }
    cchc_log_set_level ((cchc_log_level_t) self->conf->log_level_value);
    if (!(self->key = cchc_key_load (self->conf->key_file, err, sizeof err))) {
        cchc_error ("agent key: %s", err);
        return -1;
    }
    cchc_key_public_hex (self->key, self->agent_hex);
    if (s_lock (self, err, sizeof err) != 0) {
        cchc_error ("%s", err);
        return -1;
    }
    if (!(self->outbox = cchc_outbox_open (self->conf->outbox, true, err, sizeof err))) {
        cchc_error ("%s", err);
        return -1;
    }
    if (!(self->ctx = zmq_ctx_new ())) {
        cchc_error ("zmq_ctx_new: %s", zmq_strerror (errno));
        return -1;
    }
    zmq_ctx_set (self->ctx, ZMQ_IO_THREADS, 1);
    zmq_ctx_set (self->ctx, ZMQ_MAX_SOCKETS, 16);
    cchc_sender_conf_t sc;
    cchc_sender_conf_from (&sc, self->conf);
    if (!(self->sender =
              cchc_sender_new (self->ctx, &sc, self->key, self->outbox, err, sizeof err))) {
        cchc_error ("%s", err);
        return -1;
    }
    if (s_signals_install () != 0) {
        cchc_error ("signals: %s", strerror (errno));
        return -1;
    }
    char started [24];
    snprintf (started, sizeof started, "%" PRId64, cchc_clock_now_ms ());
    const char *keys [] = { "version", "unit", "agent_key", "started", "last_error" };
    const char *values [] = { CCHC_VERSION, self->conf->unit, self->agent_hex, started, "" };
    cchc_outbox_state_put (self->outbox, keys, values, 5);
    s_sources_load (self);
    cchc_notice ("cchc-agent %s started: unit %s, key %s, outbox %s, %zu endpoint%s "
                 "(first %s)%s",
                 CCHC_VERSION, self->conf->unit, self->agent_hex, self->conf->outbox,
                 self->conf->nendpoints, self->conf->nendpoints == 1 ? "" : "s",
                 self->conf->endpoints [0], self->conf->curve ? ", CurveZMQ" : "");
    return 0;
}

static int64_t
s_min (int64_t a, int64_t b)
{
    return a < b ? a : b;
}

/*  One turn of the loop's work: reload, sources, freezing, sending, limits
    and the status heartbeat. Returns how long the loop may sleep (ms). */
static int64_t
s_work (s_daemon_t *self)
{
    int64_t now = cchc_clock_mono_ms ();
    if (s_reload) {
        s_reload = 0;
        s_reload_conf (self);
    }
    /*  Sources due */
    for (size_t i = 0; i < self->nsources; i++) {
        s_source_t *s = &self->sources [i];
        if (!s->job && now >= s->next_run) {
            s->next_run = now + s_interval (self, &s->conf);
            s_source_start (self, s);
        }
        s_source_step (self, s);
    }
    /*  Pending observations into messages: after a source stored some,
        and every tick (for `cchc-agent submit` from another process). */
    now = cchc_clock_mono_ms ();
    if (self->freeze_wanted || now >= self->next_freeze_check) {
        self->freeze_wanted = false;
        self->next_freeze_check = now + S_TICK_MS;
        s_freeze (self);
    }
    size_t before = cchc_sender_inflight (self->sender);
    int64_t wait = cchc_sender_pump (self->sender);
    if (cchc_sender_inflight (self->sender) < before)
        self->freeze_wanted = true; /* acks made room: freeze more */
    now = cchc_clock_mono_ms ();
    if (now >= self->next_limits) {
        self->next_limits = now + 60000;
        s_limits (self);
    }
    /*  State for `status`: every heartbeat, and soon after anything
        an operator would want to see changes (at most once a second). */
    if (now >= self->next_heartbeat
        || (s_state_changed (self) && now - self->last_state_write >= 1000)) {
        self->next_heartbeat = now + self->conf->status_heartbeat_ms;
        self->last_state_write = now;
        s_heartbeat (self, false);
    }
    if (self->freeze_wanted)
        wait = 0;
    return wait;
}

/*  Sleeps until a socket, a pipe or the signal pipe is ready or WAIT ms
    pass, whichever is first (sooner if a timer is due). Returns 0, or -1 if
    zmq_poll failed. */
static int
s_sleep (s_daemon_t *self, int64_t wait)
{
    int64_t now = cchc_clock_mono_ms ();
    zmq_pollitem_t items [2 + 2 * CCHC_AGENT_SOURCES_MAX];
    int nitems = 0;
    items [nitems++] = (zmq_pollitem_t){ NULL, s_sigpipe [0], ZMQ_POLLIN, 0 };
    void *sock = cchc_sender_socket (self->sender);
    if (sock)
        items [nitems++] = (zmq_pollitem_t){ sock, 0, ZMQ_POLLIN, 0 };
    wait = s_min (wait, self->next_freeze_check - now);
    wait = s_min (wait, self->next_heartbeat - now);
    for (size_t i = 0; i < self->nsources; i++) {
        s_source_t *s = &self->sources [i];
        if (s->job) {
            int fds [2];
            int n = cchc_exec_fds (s->job, fds);
            for (int k = 0; k < n; k++)
                items [nitems++] = (zmq_pollitem_t){ NULL, fds [k], ZMQ_POLLIN, 0 };
            wait = s_min (wait, cchc_exec_wait_ms (s->job));
        }
        else
            wait = s_min (wait, s->next_run - now);
    }
    if (wait < 0)
        wait = 0;
    if (zmq_poll (items, nitems, (long) wait) < 0 && errno != EINTR) {
        cchc_error ("zmq_poll: %s", zmq_strerror (errno));
        return -1;
    }
    if (items [0].revents & ZMQ_POLLIN) {
        char buf [64];
        while (read (s_sigpipe [0], buf, sizeof buf) > 0)
            ;
    }
    return 0;
}

int
cchc_daemon_run (const char *config_path, char *const *sets, size_t nsets)
{
    s_daemon_t *self = calloc (1, sizeof *self);
    if (!self) {
        cchc_error ("out of memory");
        return 1;
    }
    self->config_path = config_path;
    self->sets = sets;
    self->nsets = nsets;
    self->lock_fd = -1;
    s_stop = 0;
    s_reload = 0;
    if (s_start (self) != 0) {
        s_cleanup (self);
        free (self);
        return 1;
    }
    self->freeze_wanted = true;
    while (!s_stop)
        if (s_sleep (self, s_work (self)) != 0)
            break;
    cchc_notice ("stopping: %zu message%s in flight will be sent again at the next start",
                 cchc_sender_inflight (self->sender),
                 cchc_sender_inflight (self->sender) == 1 ? "" : "s");
    s_heartbeat (self, true);
    s_cleanup (self);
    free (self);
    return 0;
}
