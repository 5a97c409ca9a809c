/*  main.c — the cchc-agent command line: the daemon (`run`, the default)
    and the operator's commands that work beside it on the same outbox.

      cchc-agent [run]                       the service (foreground)
      cchc-agent status                      health; exit 0 healthy, 1 not
      cchc-agent submit METRIC VALUE [--date YYYY-MM-DD]
      cchc-agent dead [--clear | --requeue]  dead letters
      cchc-agent test-source NAME            run one source, print, store nothing
      cchc-agent check                       validate and print the configuration
      cchc-agent keygen --out FILE           a new agent key (FILE and FILE.pub)
    Options for all: --config FILE (default /etc/cchc-agent/agent.ini),
    --set section.key=value (repeatable), --version, --help.
    Exit status: 0 ok / healthy, 1 unhealthy or failed, 2 usage. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "agent/conf.h"
#include "agent/daemon.h"
#include "agent/outbox.h"
#include "agent/source.h"
#include "common/clock.h"
#include "common/key.h"
#include "common/log.h"
#include "common/text.h"
#include "proto/proto.h"

#define S_SETS_MAX 64
/*  status: a clock this far from the collector's is unhealthy (the
    collector holds back reports more than collector.max_skew, default 5
    min, ahead). */
#define S_CLOCK_WARN_MS 60000

typedef struct {
    const char *config;
    bool config_given;
    char *sets [S_SETS_MAX];
    size_t nsets;
    const char *command;
    const char *args [8];
    size_t nargs;
    const char *date;
    const char *out;
    bool clear, requeue;
} s_opts_t;

static void
s_usage (FILE *out)
{
    fprintf (out,
             "usage: cchc-agent [COMMAND] [--config FILE] [--set section.key=value]...\n"
             "commands:\n"
             "  run                        run the agent in the foreground (default)\n"
             "  status                     show health; exit 0 healthy, 1 unhealthy\n"
             "  submit METRIC VALUE [--date YYYY-MM-DD]\n"
             "                             queue a figure typed in by hand\n"
             "  dead [--clear|--requeue]   list (or clear, or send again) dead letters\n"
             "  test-source NAME           run one source and print what it reads\n"
             "  check                      validate and print the configuration\n"
             "  keygen --out FILE          create an agent key (FILE, FILE.pub)\n"
             "options: --config FILE (default %s), --set K=V, --version, --help\n",
             CCHC_AGENT_DEFAULT_CONFIG);
}

/*  Returns 0, or an exit status to stop with. */
static int
s_parse_args (int argc, char **argv, s_opts_t *o)
{
    memset (o, 0, sizeof *o);
    o->config = CCHC_AGENT_DEFAULT_CONFIG;
    for (int i = 1; i < argc; i++) {
        const char *a = argv [i];
        if (strcmp (a, "--version") == 0) {
            printf ("cchc-agent %s\n", CCHC_VERSION);
            return -1;
        }
        if (strcmp (a, "--help") == 0 || strcmp (a, "-h") == 0) {
            s_usage (stdout);
            return -1;
        }
        bool has_next = i + 1 < argc;
        if (strcmp (a, "--config") == 0 || strcmp (a, "-c") == 0) {
            if (!has_next)
                goto missing;
            o->config = argv [++i];
            o->config_given = true;
        }
        else if (strncmp (a, "--config=", 9) == 0) {
            o->config = a + 9;
            o->config_given = true;
        }
        else if (strcmp (a, "--set") == 0) {
            if (!has_next)
                goto missing;
            if (o->nsets == S_SETS_MAX) {
                fprintf (stderr, "cchc-agent: too many --set\n");
                return 2;
            }
            o->sets [o->nsets++] = argv [++i];
        }
        else if (strcmp (a, "--date") == 0) {
            if (!has_next)
                goto missing;
            o->date = argv [++i];
        }
        else if (strcmp (a, "--out") == 0) {
            if (!has_next)
                goto missing;
            o->out = argv [++i];
        }
        else if (strcmp (a, "--clear") == 0)
            o->clear = true;
        else if (strcmp (a, "--requeue") == 0)
            o->requeue = true;
        else if (a [0] == '-' && a [1] != 0
                 && !(o->command && strcmp (o->command, "submit") == 0 && o->nargs == 1)) {
            /*  (a negative VALUE after submit METRIC is not an option) */
            fprintf (stderr, "cchc-agent: unknown option %s\n", a);
            s_usage (stderr);
            return 2;
        }
        else if (!o->command)
            o->command = a;
        else if (o->nargs < 8)
            o->args [o->nargs++] = a;
        else {
            fprintf (stderr, "cchc-agent: too many arguments\n");
            return 2;
        }
        continue;
    missing:
        fprintf (stderr, "cchc-agent: %s needs a value\n", a);
        return 2;
    }
    if (!o->command)
        o->command = "run";
    return 0;
}

/*  Configuration for the outbox-side commands. */
static cchc_agent_conf_t *
s_conf (const s_opts_t *o, bool need_collector)
{
    char err [512];
    cchc_agent_conf_t *conf = cchc_agent_conf_new ();
    if (!conf) {
        fprintf (stderr, "cchc-agent: out of memory\n");
        return NULL;
    }
    /*  Without --config, a missing default file is fine for commands that
        get everything from --set. */
    bool load = o->config_given || access (o->config, F_OK) == 0;
    if (load && cchc_agent_conf_load (conf, o->config, err, sizeof err) != 0)
        goto fail;
    for (size_t i = 0; i < o->nsets; i++)
        if (cchc_agent_conf_set (conf, o->sets [i], err, sizeof err) != 0)
            goto fail;
    if (cchc_agent_conf_finish (conf, need_collector, err, sizeof err) != 0
        || cchc_agent_conf_clock (conf, err, sizeof err) != 0)
        goto fail;
    return conf;
fail:
    fprintf (stderr, "cchc-agent: %s\n", err);
    cchc_agent_conf_destroy (&conf);
    return NULL;
}

static void
s_time (int64_t ms, char *buf, size_t size)
{
    if (ms <= 0) {
        cchc_strlcpy (buf, "never", size);
        return;
    }
    char iso [32];
    cchc_clock_format_iso (ms, iso, sizeof iso);
    int64_t ago = (cchc_clock_now_ms () - ms) / 1000;
    if (ago < 0)
        snprintf (buf, size, "%s", iso);
    else if (ago < 120)
        snprintf (buf, size, "%s (%" PRId64 " s ago)", iso, ago);
    else if (ago < 7200)
        snprintf (buf, size, "%s (%" PRId64 " min ago)", iso, ago / 60);
    else
        snprintf (buf, size, "%s (%" PRId64 " h ago)", iso, ago / 3600);
}

static int64_t
s_state_int (cchc_outbox_t *ob, const char *key)
{
    char v [64];
    if (cchc_outbox_state_get (ob, key, v, sizeof v) != 1)
        return 0;
    return strtoll (v, NULL, 10);
}

/* ------------------------------------------------------------- status */

/*  Is a daemon running on this outbox?  It holds an exclusive flock on
    OUTBOX.lock for as long as it lives (daemon.h).  1 yes (*pid from the
    file), 0 no, -1 cannot tell (no lock file counts as no). */
static int
s_daemon_alive (const char *outbox, int64_t *pid)
{
    char path [1100];
    snprintf (path, sizeof path, "%s.lock", outbox);
    *pid = 0;
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : -1;
    char buf [32];
    ssize_t n = pread (fd, buf, sizeof buf - 1, 0);
    if (n > 0) {
        buf [n] = 0;
        *pid = strtoll (buf, NULL, 10);
    }
    int rc;
    if (flock (fd, LOCK_SH | LOCK_NB) == 0) {
        flock (fd, LOCK_UN);
        rc = 0;
    }
    else
        rc = errno == EWOULDBLOCK ? 1 : -1;
    close (fd);
    return rc;
}

typedef struct {
    const cchc_agent_conf_t *conf;
    char reasons [1024];
    bool healthy;
    bool seen [CCHC_AGENT_SOURCES_MAX]; /* configured source has a state row */
} s_health_t;

static void s_unhealthy (s_health_t *h, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

static void
s_unhealthy (s_health_t *h, const char *fmt, ...)
{
    h->healthy = false;
    size_t used = strlen (h->reasons);
    if (used && used + 3 < sizeof h->reasons) {
        strcat (h->reasons, "; ");
        used += 2;
    }
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (h->reasons + used, sizeof h->reasons - used, fmt, ap);
    va_end (ap);
}

static const cchc_source_conf_t *
s_find_source (const cchc_agent_conf_t *conf, const char *name)
{
    for (size_t i = 0; i < conf->nsources; i++)
        if (strcmp (conf->sources [i].name, name) == 0)
            return &conf->sources [i];
    return NULL;
}

static int
s_print_source (void *arg, const cchc_outbox_source_t *s)
{
    s_health_t *h = arg;
    const cchc_source_conf_t *sc = s_find_source (h->conf, s->name);
    if (sc)
        h->seen [sc - h->conf->sources] = true;
    char run [64], err_at [64];
    s_time (s->last_run_ms, run, sizeof run);
    s_time (s->last_error_ms, err_at, sizeof err_at);
    bool failed = s->last_ok_ms < s->last_run_ms;
    printf ("  %-16s %-5s last run %s: %s, %" PRId64 " run%s, %" PRId64 " value%s queued\n",
            s->name,
            sc                                ? sc->type_text
            : strcmp (s->name, "manual") == 0 ? "submit"
                                              : "(removed)",
            run, failed ? "FAILED" : "ok", s->runs, s->runs == 1 ? "" : "s", s->obs_total,
            s->obs_total == 1 ? "" : "s");
    if (s->last_error [0])
        printf ("  %-16s       last error %s: %s\n", "", err_at, s->last_error);
    if (failed && sc && sc->enabled && sc->type != CCHC_SOURCE_CSV)
        s_unhealthy (h, "source %s failed: %s", s->name, s->last_error);
    return 0;
}

/*  status, the daemon line: running, not responding, stopped or never run
    (from the outbox lock and the saved heartbeat). */
static void
s_status_daemon (s_health_t *h, cchc_outbox_t *ob, int64_t now)
{
    const cchc_agent_conf_t *conf = h->conf;
    char t1 [64], t2 [64];
    int64_t heartbeat = s_state_int (ob, "heartbeat");
    int64_t stopped = s_state_int (ob, "stopped");
    int64_t pid = s_state_int (ob, "pid");
    s_time (heartbeat, t1, sizeof t1);
    int64_t lock_pid = 0;
    int alive = s_daemon_alive (conf->outbox, &lock_pid);
    if (lock_pid > 0)
        pid = lock_pid;
    if (alive > 0) {
        /*  Saves come every status.heartbeat at the latest (daemon.h). */
        if (heartbeat > 0
            && now - heartbeat > conf->status_heartbeat_ms + conf->status_stale_ms) {
            printf ("daemon:      NOT RESPONDING: pid %" PRId64 " holds the outbox lock but "
                    "its last state save was %s\n",
                    pid, t1);
            s_unhealthy (h,
                         "the daemon (pid %" PRId64 ") is not responding (last state "
                         "save %s)",
                         pid, t1);
        }
        else
            printf ("daemon:      running, pid %" PRId64 ", state saved %s\n", pid, t1);
    }
    else if (alive < 0 && heartbeat > 0 && stopped < heartbeat
             && now - heartbeat <= conf->status_heartbeat_ms + conf->status_stale_ms)
        printf ("daemon:      probably running (cannot read %s.lock), pid %" PRId64
                ", state saved %s\n",
                conf->outbox, pid, t1);
    else if (heartbeat == 0) {
        printf ("daemon:      never started\n");
        s_unhealthy (h, "the daemon has never run with this outbox");
    }
    else if (stopped >= heartbeat && stopped > 0) {
        s_time (stopped, t2, sizeof t2);
        printf ("daemon:      STOPPED at %s\n", t2);
        s_unhealthy (h, "the daemon is stopped");
    }
    else {
        printf ("daemon:      NOT RUNNING (it did not stop cleanly; last state save %s, "
                "pid %" PRId64 ")\n",
                t1, pid);
        s_unhealthy (h, "the daemon is not running (last state save %s)", t1);
    }
}

/*  status, the collector lines: connection, last ack, last error, clock
    offset and whether the collector accepts this agent's key. */
static void
s_status_collector (s_health_t *h, cchc_outbox_t *ob)
{
    char endpoint [300], acked [300], last_error [300], t2 [64];
    cchc_outbox_state_get (ob, "endpoint", endpoint, sizeof endpoint);
    cchc_outbox_state_get (ob, "acked_endpoint", acked, sizeof acked);
    cchc_outbox_state_get (ob, "last_error", last_error, sizeof last_error);
    int64_t last_ack = s_state_int (ob, "last_ack");
    s_time (last_ack, t2, sizeof t2);
    printf ("collector:   %s%s; last ack %s%s%s\n",
            endpoint [0] ? "endpoint " : "no connection open", endpoint [0] ? endpoint : "",
            t2, acked [0] ? " from " : "", acked);
    if (last_error [0])
        printf ("last error:  %s\n", last_error);
    char clock [32];
    if (last_ack > 0 && cchc_outbox_state_get (ob, "clock_ahead", clock, sizeof clock) == 1) {
        /*  Measured from the collector's signed ack ("time"). */
        int64_t ahead = strtoll (clock, NULL, 10);
        int64_t mag = ahead < 0 ? -ahead : ahead;
        printf ("clock:       this computer is %" PRId64 ".%01" PRId64 " s %s the collector "
                "(at the last ack)\n",
                mag / 1000, mag % 1000 / 100, ahead >= 0 ? "ahead of" : "behind");
        if (mag > S_CLOCK_WARN_MS)
            s_unhealthy (
                h,
                "this computer's clock is %" PRId64 " s %s the collector's: "
                "turn on time synchronisation (timedatectl set-ntp true); reports "
                "more than the collector's tolerance ahead are held back (retry later)",
                mag / 1000, ahead >= 0 ? "ahead of" : "behind");
    }
    int64_t problem = s_state_int (ob, "key_problem");
    if (problem == CCHC_REASON_BAD_SIGNATURE)
        s_unhealthy (h, "the collector cannot verify this agent's signatures "
                        "(bad_signature): is key_file the key that was enrolled? "
                        "(compare the key above with `cchcctl agent list`)");
    else if (problem == 1 || problem == CCHC_REASON_UNKNOWN_AGENT
             || problem == CCHC_REASON_REVOKED_AGENT)
        s_unhealthy (h,
                     "the collector does not accept this agent's key (%s): ask Sở Nội vụ "
                     "to enrol it (cchc-agent status shows the key)",
                     problem == 1 ? "not enrolled?" : cchc_reason_name ((int) problem));
    else if (problem > 0)
        s_unhealthy (h,
                     "the collector refuses this agent's reports before reading them "
                     "(%s): a bug, report it",
                     cchc_reason_name ((int) problem));
}

/*  status, the outbox lines: messages waiting, dead letters, set aside. */
static void
s_status_outbox (s_health_t *h, cchc_outbox_t *ob, int64_t now)
{
    const cchc_agent_conf_t *conf = h->conf;
    char err [512], t1 [64];
    cchc_outbox_stats_t st;
    if (cchc_outbox_stats (ob, &st, err, sizeof err) != 0) {
        printf ("outbox:      cannot read: %s\n", err);
        s_unhealthy (h, "outbox unreadable");
    }
    else {
        s_time (st.oldest_ms, t1, sizeof t1);
        printf ("waiting:     %" PRId64 " message%s (%" PRId64 " value%s) + %" PRId64
                " pending value%s; oldest %s\n",
                st.messages, st.messages == 1 ? "" : "s", st.message_obs,
                st.message_obs == 1 ? "" : "s", st.pending, st.pending == 1 ? "" : "s",
                st.oldest_ms ? t1 : "none");
        printf ("dead letters: %" PRId64 "%s\n", st.dead,
                st.dead ? " (see `cchc-agent dead`)" : "");
        if (st.oldest_ms && now - st.oldest_ms > conf->status_max_age_ms)
            s_unhealthy (h, "undelivered data older than %" PRId64 " min",
                         conf->status_max_age_ms / 60000);
        if (st.dead > 0)
            s_unhealthy (h, "%" PRId64 " dead letter%s: values the collector refused", st.dead,
                         st.dead == 1 ? "" : "s");
        if (st.aside > 0) {
            printf ("set aside:   %" PRId64 " DAMAGED message%s, never sent "
                    "(see `cchc-agent dead`)\n",
                    st.aside, st.aside == 1 ? "" : "s");
            s_unhealthy (h,
                         "%" PRId64 " damaged outbox message%s set aside: their values "
                         "were not delivered (see `cchc-agent dead`)",
                         st.aside, st.aside == 1 ? "" : "s");
        }
    }
}

/*  status, one line per source (saved state, else why none), plus refused
    CSV files. */
static void
s_status_sources (s_health_t *h, cchc_outbox_t *ob)
{
    const cchc_agent_conf_t *conf = h->conf;
    char err [512];
    printf ("sources:\n");
    if (cchc_outbox_source_each (ob, s_print_source, h, err, sizeof err) != 0)
        printf ("  cannot read: %s\n", err);
    for (size_t i = 0; i < conf->nsources; i++) {
        const cchc_source_conf_t *sc = &conf->sources [i];
        if (!h->seen [i])
            printf ("  %-16s %-5s %s\n", sc->name, sc->type_text,
                    !sc->enabled                  ? "disabled"
                    : sc->type == CCHC_SOURCE_CSV ? "no file taken yet"
                                                  : "not run yet");
        if (sc->type == CCHC_SOURCE_CSV && sc->enabled) {
            int failed = cchc_csv_failed_count (sc->folder);
            if (failed > 0) {
                printf ("  %-16s csv   %d refused file%s in %s/failed\n", sc->name, failed,
                        failed == 1 ? "" : "s", sc->folder);
                s_unhealthy (h, "source %s: %d refused CSV file%s in %s/failed", sc->name,
                             failed, failed == 1 ? "" : "s", sc->folder);
            }
        }
    }
}

static int
s_cmd_status (const s_opts_t *o)
{
    cchc_agent_conf_t *conf = s_conf (o, false);
    if (!conf)
        return 2;
    char err [512];
    cchc_outbox_t *ob = cchc_outbox_open (conf->outbox, false, err, sizeof err);
    if (!ob) {
        printf ("UNHEALTHY: cannot open the outbox (has the agent ever run?): %s\n", err);
        cchc_agent_conf_destroy (&conf);
        return 1;
    }
    s_health_t h;
    memset (&h, 0, sizeof h);
    h.conf = conf;
    h.healthy = true;
    int64_t now = cchc_clock_now_ms ();
    char unit [32], key [80];
    cchc_outbox_state_get (ob, "unit", unit, sizeof unit);
    cchc_outbox_state_get (ob, "agent_key", key, sizeof key);
    printf ("cchc-agent status — unit %s, agent key %s\n", unit [0] ? unit : "?",
            key [0] ? key : "?");
    printf ("outbox:      %s\n", conf->outbox);
    s_status_daemon (&h, ob, now);
    s_status_collector (&h, ob);
    s_status_outbox (&h, ob, now);
    s_status_sources (&h, ob);
    if (h.healthy)
        printf ("HEALTHY\n");
    else
        printf ("UNHEALTHY: %s\n", h.reasons);
    cchc_outbox_destroy (&ob);
    cchc_agent_conf_destroy (&conf);
    return h.healthy ? 0 : 1;
}

/* ------------------------------------------------------------- submit */

static int
s_cmd_submit (const s_opts_t *o)
{
    if (o->nargs != 2) {
        fprintf (stderr, "usage: cchc-agent submit METRIC VALUE [--date YYYY-MM-DD]\n");
        return 2;
    }
    cchc_agent_conf_t *conf = s_conf (o, false);
    if (!conf)
        return 2;
    char why [256], err [512];
    cchc_source_result_t res;
    cchc_source_result_init (&res);
    cchc_date_t today = cchc_date_from_utc_ms (cchc_clock_now_ms ());
    int rc = 1;
    if (cchc_source_add (&res, o->args [0], o->args [1], o->date, today, why, sizeof why)
        != 0) {
        fprintf (stderr, "cchc-agent: %s\n", why);
        rc = 2;
        goto done;
    }
    cchc_outbox_t *ob = cchc_outbox_open (conf->outbox, true, err, sizeof err);
    if (!ob) {
        fprintf (stderr, "cchc-agent: %s\n", err);
        goto done;
    }
    size_t queued = 0;
    if (cchc_outbox_observe (ob, res.obs, 1, cchc_clock_now_ms (), &queued, err, sizeof err)
        != 0)
        fprintf (stderr, "cchc-agent: %s\n", err);
    else {
        char date [16];
        cchc_date_format (res.obs [0].date, date, sizeof date);
        if (queued)
            printf ("queued %s %s for %s\n", res.obs [0].metric, o->args [1], date);
        else
            printf ("unchanged: %s for %s is already %s (not sent again)\n",
                    res.obs [0].metric, date, o->args [1]);
        cchc_outbox_source_report (ob, "manual", true, NULL, (int64_t) queued,
                                   cchc_clock_now_ms ());
        rc = 0;
    }
    cchc_outbox_destroy (&ob);
done:
    cchc_source_result_clear (&res);
    cchc_agent_conf_destroy (&conf);
    return rc;
}

/* --------------------------------------------------------------- dead */

static void
s_value_text (bool is_float, int64_t ival, double fval, char *buf, size_t size)
{
    if (is_float)
        snprintf (buf, size, "%.17g", fval);
    else
        snprintf (buf, size, "%" PRId64, ival);
}

static int
s_print_dead (void *arg, const cchc_outbox_dead_t *d)
{
    (void) arg;
    char at [32], value [40];
    cchc_clock_format_iso (d->at_ms, at, sizeof at);
    s_value_text (d->is_float, d->ival, d->fval, value, sizeof value);
    printf ("%-6" PRId64 " %s  %-20" PRIu64 " %-28s %04d-%02d-%02d %14s  %s\n", d->id, at,
            d->seq, d->metric, d->day / 10000, d->day / 100 % 100, d->day % 100, value,
            d->detail);
    return 0;
}

static int
s_print_aside (void *arg, const cchc_outbox_aside_t *a)
{
    int *count = arg;
    if ((*count)++ == 0)
        printf ("\nset aside (damaged messages):\n%-20s %-24s  %5s %6s  %s\n", "seq",
                "set aside at (UTC)", "obs", "bytes", "reason");
    char at [32];
    cchc_clock_format_iso (a->at_ms, at, sizeof at);
    printf ("%-20" PRIu64 " %-24s  %5" PRId64 " %6" PRId64 "  %s\n", a->seq, at, a->nobs,
            a->body_len, a->reason);
    return 0;
}

static int
s_cmd_dead (const s_opts_t *o)
{
    cchc_agent_conf_t *conf = s_conf (o, false);
    if (!conf)
        return 2;
    char err [512];
    cchc_outbox_t *ob = cchc_outbox_open (conf->outbox, false, err, sizeof err);
    int rc = 1;
    if (!ob)
        fprintf (stderr, "cchc-agent: %s\n", err);
    else if (o->clear || o->requeue) {
        int64_t n;
        if (cchc_outbox_dead_clear (ob, o->requeue, cchc_clock_now_ms (), &n, err, sizeof err)
            != 0)
            fprintf (stderr, "cchc-agent: %s\n", err);
        else {
            printf ("%" PRId64 " dead letter%s %s\n", n, n == 1 ? "" : "s",
                    o->requeue ? "queued again" : "cleared");
            rc = 0;
        }
    }
    else {
        printf ("%-6s %-24s  %-20s %-28s %-10s %14s  %s\n", "id", "at (UTC)", "seq", "metric",
                "date", "value", "reason");
        int count = 0;
        if (cchc_outbox_dead_each (ob, s_print_dead, NULL, err, sizeof err) != 0
            || cchc_outbox_aside_each (ob, s_print_aside, &count, err, sizeof err) != 0)
            fprintf (stderr, "cchc-agent: %s\n", err);
        else
            rc = 0;
        if (count > 0)
            printf ("\n%d damaged message%s set aside above: kept as found in the outbox "
                    "(table aside), never sent. Their values must be sent again from the "
                    "source (or `cchc-agent submit`); `dead --clear` removes them.\n",
                    count, count == 1 ? "" : "s");
    }
    cchc_outbox_destroy (&ob);
    cchc_agent_conf_destroy (&conf);
    return rc;
}

/* -------------------------------------------------------- test-source */

static int
s_print_obs (void *arg, const cchc_obs_t *obs, size_t n, char *err, size_t errlen)
{
    (void) arg;
    (void) err;
    (void) errlen;
    for (size_t i = 0; i < n; i++) {
        char date [16], value [40];
        cchc_date_format (obs [i].date, date, sizeof date);
        s_value_text (obs [i].is_float, obs [i].ival, obs [i].fval, value, sizeof value);
        printf ("%s %s %s\n", obs [i].metric, value, date);
    }
    return 0;
}

/*  Parse every *.csv in the drop folder where it lies (nothing moved). */
static int
s_test_csv (const char *folder, cchc_date_t today)
{
    DIR *d = opendir (folder);
    if (!d) {
        fprintf (stderr, "FAILED: %s: %s\n", folder, strerror (errno));
        return -1;
    }
    int rc = 0;
    struct dirent *e;
    while ((e = readdir (d))) {
        size_t len = strlen (e->d_name);
        if (e->d_name [0] == '.' || len < 5 || strcasecmp (e->d_name + len - 4, ".csv") != 0)
            continue;
        char path [1024];
        snprintf (path, sizeof path, "%s/%s", folder, e->d_name);
        FILE *f = fopen (path, "rb");
        if (!f)
            continue;
        char *data = malloc (CCHC_SOURCE_CSV_MAX_BYTES + 1);
        size_t n = data ? fread (data, 1, CCHC_SOURCE_CSV_MAX_BYTES + 1, f) : 0;
        fclose (f);
        cchc_source_result_t res;
        cchc_source_result_init (&res);
        if (!data || n > CCHC_SOURCE_CSV_MAX_BYTES) {
            fprintf (stderr, "%s: too large\n", e->d_name);
            rc = -1;
        }
        else if (cchc_csv_parse (data, n, today, &res) != 0) {
            fprintf (stderr, "%s: would be REFUSED: %s\n", e->d_name, res.problems);
            rc = -1;
        }
        else {
            fprintf (stderr, "%s: %zu value%s\n", e->d_name, res.nobs,
                     res.nobs == 1 ? "" : "s");
            s_print_obs (NULL, res.obs, res.nobs, NULL, 0);
        }
        cchc_source_result_clear (&res);
        free (data);
    }
    closedir (d);
    return rc;
}

static int
s_cmd_test_source (const s_opts_t *o)
{
    if (o->nargs != 1) {
        fprintf (stderr, "usage: cchc-agent test-source NAME\n");
        return 2;
    }
    cchc_agent_conf_t *conf = s_conf (o, false);
    if (!conf)
        return 2;
    const cchc_source_conf_t *sc = s_find_source (conf, o->args [0]);
    if (!sc) {
        fprintf (stderr, "cchc-agent: no source named '%s' in the configuration\n",
                 o->args [0]);
        cchc_agent_conf_destroy (&conf);
        return 2;
    }
    cchc_date_t today = cchc_date_from_utc_ms (cchc_clock_now_ms ());
    cchc_source_result_t res;
    cchc_source_result_init (&res);
    char err [512];
    int rc = 0;
    if (sc->type == CCHC_SOURCE_EXEC)
        rc = cchc_exec_run (sc->command, sc->timeout_ms, (size_t) sc->max_output, today, &res,
                            err, sizeof err);
    else if (sc->type == CCHC_SOURCE_SQL)
        rc = cchc_sql_run (sc->database, sc->query, sc->timeout_ms, today, &res, err,
                           sizeof err);
    if (rc != 0 && sc->type != CCHC_SOURCE_CSV)
        fprintf (stderr, "FAILED: %s\n", err);
    else if (sc->type == CCHC_SOURCE_CSV)
        rc = s_test_csv (sc->folder, today);
    else {
        s_print_obs (NULL, res.obs, res.nobs, NULL, 0);
        if (res.nbad)
            fprintf (stderr, "%zu bad line%s skipped: %s\n", res.nbad,
                     res.nbad == 1 ? "" : "s", res.problems);
        fprintf (stderr, "%zu value%s read\n", res.nobs, res.nobs == 1 ? "" : "s");
    }
    cchc_source_result_clear (&res);
    cchc_agent_conf_destroy (&conf);
    return rc == 0 ? 0 : 1;
}

/* ------------------------------------------------------ check, keygen */

static int
s_cmd_check (const s_opts_t *o)
{
    cchc_agent_conf_t *conf = s_conf (o, true);
    if (!conf)
        return 1;
    char err [512];
    cchc_key_t *key = cchc_key_load (conf->key_file, err, sizeof err);
    cchc_agent_conf_print (conf, stdout);
    int rc = 0;
    if (!key) {
        fprintf (stderr, "cchc-agent: agent key: %s\n", err);
        rc = 1;
    }
    else {
        char hex [65];
        cchc_key_public_hex (key, hex);
        fprintf (stderr, "configuration OK; agent public key %s\n", hex);
    }
    cchc_key_destroy (&key);
    cchc_agent_conf_destroy (&conf);
    return rc;
}

static int
s_cmd_keygen (const s_opts_t *o)
{
    if (!o->out) {
        fprintf (stderr, "usage: cchc-agent keygen --out FILE\n");
        return 2;
    }
    /*  FILE.pub beside FILE, as `cchcctl keygen` names it (PROTOCOL.md §14). */
    char pub [1024];
    if (snprintf (pub, sizeof pub, "%s.pub", o->out) >= (int) sizeof pub) {
        fprintf (stderr, "cchc-agent: --out: path too long\n");
        return 2;
    }
    char err [512];
    cchc_key_t *key = cchc_key_new ();
    if (!key) {
        fprintf (stderr, "cchc-agent: cannot create a key\n");
        return 1;
    }
    int rc = cchc_key_save (key, o->out, pub, err, sizeof err);
    if (rc != 0)
        fprintf (stderr, "cchc-agent: %s\n", err);
    else {
        char hex [65];
        cchc_key_public_hex (key, hex);
        printf ("secret key: %s (mode 0600, keep it private)\n"
                "public key: %s\n%s\n",
                o->out, pub, hex);
    }
    cchc_key_destroy (&key);
    return rc == 0 ? 0 : 1;
}

int
main (int argc, char **argv)
{
    s_opts_t o;
    int rc = s_parse_args (argc, argv, &o);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    cchc_log_init ("cchc-agent", CCHC_LOG_INFO);
    if (strcmp (o.command, "run") == 0) {
        if (o.nargs) {
            s_usage (stderr);
            return 2;
        }
        bool load = o.config_given || access (o.config, F_OK) == 0;
        return cchc_daemon_run (load ? o.config : NULL, o.sets, o.nsets);
    }
    if (strcmp (o.command, "status") == 0)
        return s_cmd_status (&o);
    if (strcmp (o.command, "submit") == 0)
        return s_cmd_submit (&o);
    if (strcmp (o.command, "dead") == 0)
        return s_cmd_dead (&o);
    if (strcmp (o.command, "test-source") == 0)
        return s_cmd_test_source (&o);
    if (strcmp (o.command, "check") == 0)
        return s_cmd_check (&o);
    if (strcmp (o.command, "keygen") == 0)
        return s_cmd_keygen (&o);
    fprintf (stderr, "cchc-agent: unknown command '%s'\n", o.command);
    s_usage (stderr);
    return 2;
}
