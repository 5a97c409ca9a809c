/*  main.c — cchc-collector: the province's system of record.  Binds a ROUTER
    socket, verifies every signed report, stores it in SQLite with group
    commit and exactly-once semantics, and answers with a signed ack only
    after the commit (collector/ingest/ingest.h).  Optional CurveZMQ with a ZAP
    handler admitting enrolled agents only (collector/ingest/zap.h).

    With a criteria catalogue it keeps the period figures: a schedule thread
    recomputes and stores them as data arrives and locks each period at its
    lock instant (collector/periods/periods.h, collector.rollup_interval).

    With http.enabled it also serves the dashboard and its read-only JSON
    API (collector/http/http.h) from its own read-only database connections.
    With upstream.endpoint it sends each locked period's final figures to
    the national collector (collector/upstream/upstream.h); with
    national.enabled it is the national collector instead: it receives the
    provinces' figures, not agents' reports (collector/national/national.h).

    Usage: cchc-collector [--config FILE] [--state DIR] [--set KEY=VALUE]...
                          [--print-config] [--version] [--help]
    Signals: SIGTERM / SIGINT stop reading, finish and answer what is in
    flight, commit, exit 0.
*/
#include "collector/ingest/failpoint.h"
#include "collector/ingest/conf.h"
#include "collector/figures/criteria.h"
#include "collector/http/http.h"
#include "collector/ingest/ingest.h"
#include "collector/ingest/keytab.h"
#include "collector/ingest/monitor.h"
#include "collector/periods/periods.h"
#include "collector/present/reports.h"
#include "collector/ingest/stats.h"
#include "collector/ingest/zap.h"
#include "collector/national/national.h"
#include "collector/upstream/upstream.h"

#include "common/clock.h"
#include "common/key.h"
#include "common/log.h"
#include "common/signals.h"
#include "proto/proto.h"
#include "proto/wire.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>
#include <zmq.h>

static volatile sig_atomic_t s_stop = 0;

static void
s_on_signal (int signum)
{
    (void) signum;
    s_stop = 1;
}

static void
s_usage (FILE *out)
{
    fprintf (
        out,
        "usage: cchc-collector [options]\n"
        "  --config FILE        INI settings (see --print-config for every key)\n"
        "  --state DIR          state folder: DIR/collector.db, DIR/collector.key\n"
        "                       (default ./state; same as --set collector.state_dir=DIR)\n"
        "  --set KEY=VALUE      override one setting, e.g. --set collector.curve=true\n"
        "  --print-config       print the effective settings and exit\n"
        "  --version            print the version and exit\n");
}

/*  mkdir DIR (0700) if it does not exist.  0 or -1 with err. */
static int
s_make_dir (const char *dir, char *err, size_t errlen)
{
    struct stat st;
    if (stat (dir, &st) == 0) {
        if (S_ISDIR (st.st_mode))
            return 0;
        snprintf (err, errlen, "%s: not a folder", dir);
        return -1;
    }
    if (mkdir (dir, 0700) == 0 || errno == EEXIST)
        return 0;
    snprintf (err, errlen, "%s: %s", dir, strerror (errno));
    return -1;
}

/*  Load the collector key, creating it (0600, plus KEY.pub) if missing. */
static cchc_key_t *
s_key (const char *path, char *err, size_t errlen)
{
    if (access (path, F_OK) == 0)
        return cchc_key_load (path, err, errlen);
    cchc_key_t *key = cchc_key_new ();
    if (!key) {
        snprintf (err, errlen, "cannot generate a key");
        return NULL;
    }
    char pub [CCHC_COLLECTOR_PATH_MAX + 48];
    snprintf (pub, sizeof pub, "%s.pub", path);
    if (cchc_key_save (key, path, pub, err, errlen)) {
        cchc_key_destroy (&key);
        return NULL;
    }
    char hex [65];
    cchc_key_public_hex (key, hex);
    cchc_notice ("created the collector key %s (public key %s, also in %s)", path, hex, pub);
    return key;
}

static void *
s_router (void *ctx, const cchc_collector_conf_t *conf, const cchc_key_t *key, char *err,
          size_t errlen)
{
    void *router = zmq_socket (ctx, ZMQ_ROUTER);
    if (!router) {
        snprintf (err, errlen, "ROUTER: %s", zmq_strerror (errno));
        return NULL;
    }
    int handshake = (int) conf->handshake_ms;
    zmq_setsockopt (router, ZMQ_HANDSHAKE_IVL, &handshake, sizeof handshake);
    /*  linger 2 s, 1000 out, 128 in; a body up to 4 KiB too large still
        gets its TOO_LARGE ack. */
    cchc_wire_socket_limits (router, 2000, 1000, 128, CCHC_PROTO_BODY_MAX + 4096);
    if (conf->curve) {
        char secret [41];
        int server = 1;
        if (cchc_key_curve_secret_z85 (key, secret)) {
            snprintf (err, errlen, "cannot derive the CurveZMQ key");
            zmq_close (router);
            return NULL;
        }
        int rc = zmq_setsockopt (router, ZMQ_CURVE_SERVER, &server, sizeof server);
        if (rc == 0)
            rc = zmq_setsockopt (router, ZMQ_CURVE_SECRETKEY, secret, 40);
        if (rc == 0)
            rc = zmq_setsockopt (router, ZMQ_ZAP_DOMAIN, "cchc", 4);
        sodium_memzero (secret, sizeof secret);
        if (rc) {
            snprintf (err, errlen, "CurveZMQ: %s", zmq_strerror (errno));
            zmq_close (router);
            return NULL;
        }
    }
    if (zmq_bind (router, conf->bind)) {
        snprintf (err, errlen, "cannot bind %s: %s", conf->bind, zmq_strerror (errno));
        zmq_close (router);
        return NULL;
    }
    return router;
}

/*  The upstream sender of a province (upstream.*): the national key pinned
    (hex or a .pub file), the province key (upstream.key, or the collector
    key), the outbox (upstream.outbox or STATE_DIR/upstream.outbox). */
static cchc_upstream_t *
s_upstream (void *ctx, const cchc_collector_conf_t *conf, const char *db_path,
            const cchc_key_t *collector_key, cchc_key_t **own_key, char *err, size_t errlen)
{
    cchc_upstream_config_t uc;
    memset (&uc, 0, sizeof uc);
    if (!*conf->upstream_national_key) {
        snprintf (err, errlen, "upstream.national_key is required with upstream.endpoint");
        return NULL;
    }
    if (cchc_key_parse_public (conf->upstream_national_key, uc.national_pk) != 0
        && cchc_key_load_public (conf->upstream_national_key, uc.national_pk, err, errlen)
               != 0)
        return NULL;
    const cchc_key_t *key = collector_key;
    if (*conf->upstream_key) {
        *own_key = cchc_key_load (conf->upstream_key, err, errlen);
        if (!*own_key)
            return NULL;
        key = *own_key;
    }
    char outbox [CCHC_COLLECTOR_PATH_MAX + 32];
    if (*conf->upstream_outbox)
        snprintf (outbox, sizeof outbox, "%s", conf->upstream_outbox);
    else
        snprintf (outbox, sizeof outbox, "%s/upstream.outbox", conf->state_dir);
    uc.db_path = db_path;
    uc.outbox_path = outbox;
    uc.endpoint = conf->upstream_endpoint;
    uc.curve = conf->upstream_curve;
    uc.province = conf->upstream_province;
    uc.interval_ms = conf->upstream_interval_ms;
    cchc_upstream_t *up = cchc_upstream_new (ctx, &uc, key, err, errlen);
    if (up && cchc_upstream_start (up, err, errlen) != 0)
        cchc_upstream_destroy (&up);
    if (up) {
        char hex [65];
        cchc_key_public_hex (key, hex);
        cchc_notice ("upstream: sending locked figures to %s (province key %s, outbox %s)",
                     conf->upstream_endpoint, hex, outbox);
    }
    return up;
}

/*  Keep the key table in step with the agent table (province keys). */
static void
s_keytab_refresh (cchc_db_t *store, cchc_keytab_t *keytab, int64_t *version)
{
    int64_t v = -1;
    if (cchc_db_enrolment_version (store, &v) == 0 && v != *version
        && cchc_keytab_load (keytab, store) == 0)
        *version = v;
}

/*  The national role: ROUTER + national receiver; ZAP with the enrolled
    province keys when curve is on.  Returns the exit status. */
static int
s_national (void *ctx, const cchc_collector_conf_t *conf, const char *db_path,
            const cchc_key_t *key)
{
    char err [1024] = "";
    int status = 1;
    cchc_db_t *store = cchc_db_open (db_path, true, err, sizeof err);
    cchc_keytab_t *keytab = cchc_keytab_new ();
    cchc_zap_t *zap = NULL;
    cchc_national_t *national = NULL;
    cchc_http_t *http = NULL;
    cchc_criteria_t *catalogue = NULL;
    void *router = NULL;
    if (!store || !keytab) {
        cchc_error ("national: %s", *err ? err : "out of memory");
        goto done;
    }
    int64_t version = -1;
    s_keytab_refresh (store, keytab, &version);
    if (conf->curve && !(zap = cchc_zap_new (ctx, keytab, err, sizeof err))) {
        cchc_error ("%s", err);
        goto done;
    }
    cchc_national_config_t nc = { .db_path = db_path,
                                  .expect = conf->national_expect,
                                  .accept_any = conf->national_accept_any,
                                  .busy_timeout_ms = conf->busy_timeout_ms };
    national = cchc_national_new (&nc, key, err, sizeof err);
    if (!national) {
        cchc_error ("national: %s", err);
        goto done;
    }
    router = s_router (ctx, conf, key, err, sizeof err);
    if (!router) {
        cchc_error ("%s", err);
        goto done;
    }
    if (conf->http_enabled) {
        /*  The national page (quoc-gia.html) and /api/v1/national/. */
        char criteria [CCHC_COLLECTOR_PATH_MAX + 32];
        cchc_collector_conf_criteria_path (conf, NULL, criteria, sizeof criteria);
        catalogue = cchc_criteria_load (criteria, err, sizeof err);
        if (!catalogue) {
            cchc_error ("dashboard: %s", err);
            goto done;
        }
        cchc_http_config_t http_conf = { .address = conf->http_address,
                                         .port = (int) conf->http_port,
                                         .token = conf->http_token,
                                         .db_path = db_path,
                                         .criteria = catalogue,
                                         .threads = (int) conf->http_threads };
        http = cchc_http_new (&http_conf, err, sizeof err);
        if (!http) {
            cchc_error ("dashboard: %s", err);
            goto done;
        }
    }
    char endpoint [256] = "";
    size_t endpoint_len = sizeof endpoint;
    zmq_getsockopt (router, ZMQ_LAST_ENDPOINT, endpoint, &endpoint_len);
    char hex [65];
    cchc_key_public_hex (key, hex);
    cchc_notice ("cchc-collector %s (national role) listening on %s (CurveZMQ %s, "
                 "database %s, national key %s)",
                 CCHC_VERSION, endpoint, conf->curve ? "on" : "off", db_path, hex);
    /*  Serve in slices so that enrolments reach the key table. */
    status = 0;
    while (!s_stop) {
        int rc = cchc_national_serve (national, router, (int) conf->refresh_ms);
        if (rc != 0) {
            status = rc > 0 ? 0 : 1;
            break;
        }
        s_keytab_refresh (store, keytab, &version);
    }
    cchc_notice ("stopped (national role)");
done:
    cchc_http_destroy (&http);
    cchc_criteria_destroy (&catalogue);
    if (router)
        zmq_close (router);
    cchc_national_destroy (&national);
    zmq_ctx_shutdown (ctx);
    cchc_zap_destroy (&zap);
    cchc_keytab_destroy (&keytab);
    cchc_db_destroy (&store);
    return status;
}

/*  The arguments left after the settings: --version, --help, --print-config.
    Returns -1 to go on, or the exit status. */
static int
s_args (const cchc_collector_conf_t *conf, int argc, char **argv)
{
    bool print_config = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp (argv [i], "--version") == 0) {
            printf ("cchc-collector %s (protocol v%d)\n", CCHC_VERSION, CCHC_PROTO_VERSION);
            return 0;
        }
        if (strcmp (argv [i], "--help") == 0 || strcmp (argv [i], "-h") == 0) {
            s_usage (stdout);
            return 0;
        }
        if (strcmp (argv [i], "--print-config") == 0)
            print_config = true;
        else {
            fprintf (stderr, "cchc-collector: unknown argument '%s'\n", argv [i]);
            s_usage (stderr);
            return 2;
        }
    }
    if (print_config) {
        cchc_config_print (cchc_collector_conf_table, conf, stdout);
        return 0;
    }
    return -1;
}

/*  What the whole process needs before anything starts: the log level, the
    clock, descriptors, libsodium, SQLite.  Returns -1 to go on, or the exit
    status. */
static int
s_setup (cchc_collector_conf_t *conf)
{
    char err [1024] = "";
    cchc_log_level_t level;
    cchc_log_level_parse (conf->log_level, &level);
    cchc_log_set_level (level);
    if (cchc_collector_conf_clock (conf, err, sizeof err) != 0) {
        cchc_error ("%s", err);
        return 2;
    }
    CCHC_TEST_CLOCK_START (); /* the test copy only (failpoint.h) */
    if (*conf->clock_demo) {
        char iso [32];
        cchc_clock_format_iso (cchc_clock_now_ms (), iso, sizeof iso);
        cchc_notice ("demonstration clock: %s (now %s, x%lld)", conf->clock_demo, iso,
                     (long long) cchc_clock_speed ());
    }
    /*  Every agent connection is a descriptor (monitor.h): as many as the
        system lets us have. */
    cchc_monitor_raise_fd_limit ();
    if (sodium_init () < 0) {
        cchc_error ("libsodium cannot start");
        return 1;
    }
    /*  No global memory statistics: one mutex less on every SQLite malloc. */
    sqlite3_config (SQLITE_CONFIG_MEMSTATUS, 0);
    if (conf->curve && !zmq_has ("curve")) {
        cchc_error ("collector.curve is on but this libzmq has no CurveZMQ");
        return 1;
    }
    return -1;
}

/*  Every thread started after this (ZeroMQ's too) inherits a mask without
    SIGTERM/SIGINT: only the main thread handles them (s_signals_handle,
    `old` the mask to restore).  SIGPIPE is ignored. */
static void
s_signals_block (sigset_t *old)
{
    sigset_t mask;
    sigemptyset (&mask);
    sigaddset (&mask, SIGTERM);
    sigaddset (&mask, SIGINT);
    pthread_sigmask (SIG_BLOCK, &mask, old);
    signal (SIGPIPE, SIG_IGN);
}

/*  SIGTERM/SIGINT set s_stop, then this thread takes them again. */
static void
s_signals_handle (const sigset_t *old)
{
    cchc_signals_catch (s_on_signal, (const int []){ SIGTERM, SIGINT }, 2);
    pthread_sigmask (SIG_SETMASK, old, NULL);
}

/*  The period keeper: the period tables next to the roll-up's (the writer
    applied those), then the locks that fell due while the collector was
    stopped — before any message is read, so they hold exactly what had
    arrived — then the schedule (unless collector.rollup_interval is 0).
    NULL with err. */
static cchc_periods_t *
s_periods (const cchc_collector_conf_t *conf, const char *db_path,
           const cchc_criteria_t *criteria, char *err, size_t errlen)
{
    /*  static: the schedule thread's on_locked reads it until it stops */
    static char reports [CCHC_COLLECTOR_PATH_MAX + 32];
    if (cchc_collector_conf_reports_path (conf, reports, sizeof reports)) {
        snprintf (err, errlen, "collector.reports: path too long");
        return NULL;
    }
    cchc_periods_config_t periods_conf = { .db_path = db_path,
                                           .criteria = criteria,
                                           .interval_ms = conf->rollup_ms,
                                           .busy_timeout_ms = conf->busy_timeout_ms,
                                           .on_locked = cchc_reports_on_locked,
                                           .on_locked_arg = reports };
    char e2 [1024] = "";
    cchc_periods_t *periods = cchc_periods_new (&periods_conf, e2, sizeof e2);
    if (!periods) {
        snprintf (err, errlen, "periods: %s", e2);
        return NULL;
    }
    if (conf->rollup_ms <= 0) {
        cchc_notice ("collector.rollup_interval is 0: no period schedule (periods "
                     "lock only by cchcctl period lock)");
        return periods;
    }
    cchc_periods_pass_t pass;
    if (cchc_periods_pass (periods, cchc_clock_now_ms (), true, &pass, e2, sizeof e2))
        cchc_warn ("periods: %s", e2);
    else if (pass.locked)
        cchc_notice ("periods: %zu periods locked at start", pass.locked);
    if (cchc_periods_start (periods, e2, sizeof e2)
        || CCHC_FAILPOINT ("main.periods", e2, sizeof e2)) {
        snprintf (err, errlen, "periods: %s", e2);
        cchc_periods_destroy (&periods);
    }
    return periods;
}

/*  What the province role runs: started in this order, stopped in the
    reverse one (s_province_stop). */
typedef struct {
    void *ctx;
    cchc_keytab_t *keytab;
    cchc_zap_t *zap;
    cchc_ingest_t *ingest;
    cchc_periods_t *periods;
    void *router;
    cchc_monitor_t *monitor;
    cchc_http_t *http;
    cchc_upstream_t *upstream;
    cchc_key_t *upstream_key;
} s_province_t;

/*  Starts every part of the province role.  0, or -1 (logged; what started
    is in `p`, for s_province_stop). */
static int
s_province_start (s_province_t *p, const cchc_collector_conf_t *conf, const char *db_path,
                  const cchc_key_t *key, const cchc_criteria_t *criteria, cchc_stats_t *stats)
{
    char err [1024] = "";
    p->ctx = zmq_ctx_new ();
    p->keytab = cchc_keytab_new ();
    if (!p->ctx || !p->keytab) {
        cchc_error ("out of memory");
        return -1;
    }
    if (conf->curve && !(p->zap = cchc_zap_new (p->ctx, p->keytab, err, sizeof err))) {
        cchc_error ("%s", err);
        return -1;
    }
    cchc_ingest_args_t args = { .conf = conf,
                                .db_path = db_path,
                                .key = key,
                                .keytab = p->keytab,
                                .criteria = criteria,
                                .stats = stats };
    p->ingest = cchc_ingest_new (p->ctx, &args, err, sizeof err);
    if (!p->ingest) {
        cchc_error ("%s", err);
        return -1;
    }
    if (criteria && !(p->periods = s_periods (conf, db_path, criteria, err, sizeof err))) {
        cchc_error ("%s", err);
        return -1;
    }
    p->router = s_router (p->ctx, conf, key, err, sizeof err);
    if (!p->router || CCHC_FAILPOINT ("main.router", err, sizeof err)) {
        cchc_error ("%s", err);
        return -1;
    }
    p->monitor = cchc_monitor_new (p->ctx, p->router, stats, err, sizeof err);
    if (!p->monitor) {
        cchc_error ("%s", err);
        return -1;
    }
    if (conf->http_enabled) {
        cchc_http_config_t http_conf = { .address = conf->http_address,
                                         .port = (int) conf->http_port,
                                         .token = conf->http_token,
                                         .db_path = db_path,
                                         .criteria = criteria,
                                         .threads = (int) conf->http_threads,
                                         .max_connections = (int) conf->http_max_connections,
                                         .max_per_peer = (int) conf->http_max_per_peer,
                                         .request_timeout_ms =
                                             (int) conf->http_request_timeout_ms };
        p->http = cchc_http_new (&http_conf, err, sizeof err);
        if (!p->http || CCHC_FAILPOINT ("main.http", err, sizeof err)) {
            cchc_error ("dashboard: %s", err);
            return -1;
        }
    }
    if (*conf->upstream_endpoint) {
        p->upstream =
            s_upstream (p->ctx, conf, db_path, key, &p->upstream_key, err, sizeof err);
        if (!p->upstream) {
            cchc_error ("upstream: %s", err);
            return -1;
        }
    }
    return 0;
}

static void
s_province_stop (s_province_t *p)
{
    cchc_upstream_destroy (&p->upstream); /* the outbox keeps what is unsent */
    cchc_key_destroy (&p->upstream_key);
    cchc_http_destroy (&p->http);
    cchc_periods_destroy (&p->periods); /* stops the schedule */
    cchc_monitor_destroy (&p->monitor);
    if (p->router)
        zmq_close (p->router);        /* lingers to flush the last acks */
    cchc_ingest_destroy (&p->ingest); /* shuts the context down */
    if (p->ctx)
        zmq_ctx_shutdown (p->ctx);
    cchc_zap_destroy (&p->zap);
    if (p->ctx)
        zmq_ctx_term (p->ctx);
    cchc_keytab_destroy (&p->keytab);
}

/*  The province role: agents' reports in, figures kept, the dashboard and
    the upstream sender if configured.  Returns the exit status. */
static int
s_province (const cchc_collector_conf_t *conf, const char *db_path, const cchc_key_t *key,
            const cchc_criteria_t *criteria)
{
    sigset_t old;
    s_signals_block (&old);
    int status = 1;
    static cchc_stats_t stats;
    cchc_stats_init (&stats, cchc_clock_now_ms ());
    s_province_t p = { 0 };
    if (s_province_start (&p, conf, db_path, key, criteria, &stats) == 0) {
        s_signals_handle (&old);
        char endpoint [256] = "";
        size_t endpoint_len = sizeof endpoint;
        zmq_getsockopt (p.router, ZMQ_LAST_ENDPOINT, endpoint, &endpoint_len);
        char hex [65];
        cchc_key_public_hex (key, hex);
        cchc_notice ("cchc-collector %s listening on %s (CurveZMQ %s, %lld verifiers, "
                     "database %s, collector key %s)",
                     CCHC_VERSION, endpoint, conf->curve ? "on" : "off",
                     (long long) conf->verifiers, db_path, hex);

        status = cchc_ingest_run (p.ingest, p.router, &s_stop) == 0 ? 0 : 1;
        cchc_notice ("stopped: %llu accepted, %llu duplicate, %llu rejected, %llu retry-later",
                     (unsigned long long) atomic_load (&stats.accepted),
                     (unsigned long long) atomic_load (&stats.duplicate),
                     (unsigned long long) atomic_load (&stats.rejected),
                     (unsigned long long) atomic_load (&stats.retry_later));
    }
    s_province_stop (&p);
    return status;
}

int
main (int argc, char **argv)
{
    cchc_log_init ("cchc-collector", CCHC_LOG_INFO);
    char err [1024] = "";
    cchc_collector_conf_t conf;
    if (cchc_collector_conf_from_args (&conf, &argc, argv, err, sizeof err)) {
        fprintf (stderr, "cchc-collector: %s\n", err);
        return 2;
    }
    int exit_status = s_args (&conf, argc, argv);
    if (exit_status < 0)
        exit_status = s_setup (&conf);
    if (exit_status >= 0)
        return exit_status;

    char db_path [CCHC_COLLECTOR_PATH_MAX + 32], key_path [CCHC_COLLECTOR_PATH_MAX + 32];
    if (cchc_collector_conf_db_path (&conf, db_path, sizeof db_path)
        || cchc_collector_conf_key_path (&conf, key_path, sizeof key_path)) {
        cchc_error ("state paths are too long");
        return 1;
    }
    if ((!*conf.db || !*conf.key) && s_make_dir (conf.state_dir, err, sizeof err)) {
        cchc_error ("%s", err);
        return 1;
    }
    cchc_key_t *key = s_key (key_path, err, sizeof err);
    if (!key) {
        cchc_error ("collector key: %s", err);
        return 1;
    }
    int status = 1;
    if (conf.national) {
        sigset_t old;
        s_signals_block (&old);
        void *ctx = zmq_ctx_new ();
        s_signals_handle (&old);
        status = ctx ? s_national (ctx, &conf, db_path, key) : 1;
        if (ctx)
            zmq_ctx_term (ctx);
        cchc_key_destroy (&key);
        return status;
    }
    cchc_criteria_t *criteria = NULL;
    if (*conf.criteria) {
        criteria = cchc_criteria_load (conf.criteria, err, sizeof err);
        if (!criteria) {
            cchc_error ("criteria: %s", err);
            cchc_key_destroy (&key);
            return 1;
        }
    }
    else
        cchc_warn ("collector.criteria is empty: every well-formed metric code is accepted");
    status = s_province (&conf, db_path, key, criteria);
    cchc_criteria_destroy (&criteria);
    cchc_key_destroy (&key);
    return status;
}
