/*  conf.c — the collector's settings table and the common command-line
    options of cchc-collector and cchcctl (see conf.h). */
#include "collector/ingest/conf.h"

#include "common/clock.h"
#include "common/log.h"
#include "common/period.h"
#include "common/text.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define F(field) offsetof (cchc_collector_conf_t, field)
#define S(field) sizeof (((cchc_collector_conf_t *) 0)->field)

const cchc_config_entry_t cchc_collector_conf_table [] = {
    { "collector.bind", CCHC_CONFIG_STRING, F (bind), S (bind), 0, 0, "tcp://127.0.0.1:7070",
      "ROUTER endpoint agents connect to" },
    { "collector.state_dir", CCHC_CONFIG_STRING, F (state_dir), S (state_dir), 0, 0, "./state",
      "folder of the database and the collector key (--state)" },
    { "collector.db", CCHC_CONFIG_STRING, F (db), S (db), 0, 0, "",
      "database file; empty: STATE_DIR/collector.db" },
    { "collector.key", CCHC_CONFIG_STRING, F (key), S (key), 0, 0, "",
      "collector secret key (0600, created if missing); empty: STATE_DIR/collector.key" },
    { "collector.criteria", CCHC_CONFIG_STRING, F (criteria), S (criteria), 0, 0,
      "data/criteria/default.ini",
      "criteria catalogue: the metric codes agents may send "
      "(empty: any well-formed code)" },
    { "collector.curve", CCHC_CONFIG_BOOL, F (curve), 0, 0, 0, "false",
      "CurveZMQ encryption; admits only enrolled, non-revoked agents" },
    { "collector.verifiers", CCHC_CONFIG_INT, F (verifiers), 0, 1, 64, "2",
      "verifier threads (about one per core)" },
    { "collector.batch_max", CCHC_CONFIG_INT, F (batch_max), 0, 1, 10000, "256",
      "messages per group commit" },
    { "collector.batch_wait", CCHC_CONFIG_DURATION, F (batch_wait_ms), 0, 0, 1000, "5ms",
      "longest wait to fill a group commit" },
    { "collector.max_inflight", CCHC_CONFIG_INT, F (max_inflight), 0, 8, 100000, "1024",
      "messages read but not yet answered; beyond it the socket is not read" },
    { "collector.unauth_acks", CCHC_CONFIG_INT, F (unauth_acks), 0, 0, 100000, "20",
      "signed answers per second (a burst of as many) to messages that fail "
      "authentication (bad frames, too large, unknown key, bad signature); the "
      "rest are dropped unanswered and counted (unauthenticated.dropped)" },
    { "collector.handshake_timeout", CCHC_CONFIG_DURATION, F (handshake_ms), 0, 100, 600000,
      "10s",
      "a connection that has not finished its ZeroMQ (and CurveZMQ) "
      "handshake by then is closed: idle connections cannot hold descriptors" },
    { "collector.max_skew", CCHC_CONFIG_DURATION, F (max_skew_ms), 0, 0, 86400000, "5m",
      "a report created further ahead of collector time is rejected" },
    { "collector.min_date", CCHC_CONFIG_STRING, F (min_date), S (min_date), 0, 0, "2000-01-01",
      "earliest observation date accepted" },
    { "collector.future_days", CCHC_CONFIG_INT, F (future_days), 0, 0, 366, "1",
      "latest observation date accepted: local today + this" },
    { "collector.busy_timeout", CCHC_CONFIG_DURATION, F (busy_timeout_ms), 0, 0, 600000, "2s",
      "wait for another writer's lock before answering retry-later" },
    { "collector.synchronous", CCHC_CONFIG_STRING, F (synchronous), S (synchronous), 0, 0,
      "full", "full: fsync each commit (survives power loss); normal: survives crashes" },
    { "collector.max_pages", CCHC_CONFIG_INT, F (max_pages), 0, 0, INT64_C (4294967294), "0",
      "cap on the database size in pages (0: none)" },
    { "collector.refresh_interval", CCHC_CONFIG_DURATION, F (refresh_ms), 0, 50, 60000, "1s",
      "how often enrolment changes are looked for" },
    { "collector.stats_interval", CCHC_CONFIG_DURATION, F (stats_ms), 0, 100, 60000, "1s",
      "how often the stats table is rewritten" },
    { "collector.drain_timeout", CCHC_CONFIG_DURATION, F (drain_ms), 0, 0, 600000, "30s",
      "on SIGTERM, longest wait for messages in flight" },
    { "collector.rollup_interval", CCHC_CONFIG_DURATION, F (rollup_ms), 0, 0, 3600000, "10s",
      "how often the period figures are brought up to date and locked "
      "(collector/periods/periods.h); 0: no schedule, periods lock only by cchcctl" },
    { "collector.reports", CCHC_CONFIG_STRING, F (reports), S (reports), 0, 0, "",
      "folder of the report files written when a period locks (PDF, XLSX, CSV); "
      "empty: STATE_DIR/reports" },
    { "http.enabled", CCHC_CONFIG_BOOL, F (http_enabled), 0, 0, 0, "false",
      "serve the dashboard and its read-only JSON API" },
    { "http.address", CCHC_CONFIG_STRING, F (http_address), S (http_address), 0, 0,
      "127.0.0.1", "dashboard address; any address but loopback needs http.token" },
    { "http.port", CCHC_CONFIG_INT, F (http_port), 0, 0, 65535, "8080",
      "dashboard port (0: any free port, logged)" },
    { "http.token", CCHC_CONFIG_SECRET, F (http_token), S (http_token), 0, 0, "",
      "access token for /api/ and /export/ (at least 16 characters)" },
    { "http.threads", CCHC_CONFIG_INT, F (http_threads), 0, 1, 64, "4",
      "dashboard request threads" },
    { "http.max_connections", CCHC_CONFIG_INT, F (http_max_connections), 0, 1, 100000, "256",
      "open dashboard connections in all; more are refused (logged with the peer)" },
    { "http.max_per_peer", CCHC_CONFIG_INT, F (http_max_per_peer), 0, 1, 100000, "16",
      "open dashboard connections from one address" },
    { "http.request_timeout", CCHC_CONFIG_DURATION, F (http_request_timeout_ms), 0, 1000,
      600000, "10s",
      "a request's headers must be complete within this of the "
      "connection opening or the previous answer (slow clients are cut, logged); "
      "idle connections close after it too" },
    { "log.level", CCHC_CONFIG_STRING, F (log_level), S (log_level), 0, 0, "info",
      "error, warn, notice, info or debug" },
    { "clock.demo", CCHC_CONFIG_STRING, F (clock_demo), S (clock_demo), 0, 0, "",
      "demonstration clock START[,SPEED[,ANCHOR]] (demo and tests only; refused "
      "with curve on or a non-loopback bind or http.address)" },
    { "upstream.endpoint", CCHC_CONFIG_STRING, F (upstream_endpoint), S (upstream_endpoint), 0,
      0, "", "national collector to send locked period figures to (empty: none)" },
    { "upstream.national_key", CCHC_CONFIG_STRING, F (upstream_national_key),
      S (upstream_national_key), 0, 0, "",
      "pinned national collector key: 64 hex digits "
      "or a .pub file" },
    { "upstream.key", CCHC_CONFIG_STRING, F (upstream_key), S (upstream_key), 0, 0, "",
      "the province's signing key (0600); empty: the collector key" },
    { "upstream.outbox", CCHC_CONFIG_STRING, F (upstream_outbox), S (upstream_outbox), 0, 0,
      "", "durable outbox of the figures; empty: STATE_DIR/upstream.outbox" },
    { "upstream.province", CCHC_CONFIG_STRING, F (upstream_province), S (upstream_province), 0,
      0, "", "the province's unit code; empty: the province (level tinh) of the unit table" },
    { "upstream.encrypt", CCHC_CONFIG_BOOL, F (upstream_curve), 0, 0, 0, "false",
      "CurveZMQ to the national collector" },
    { "upstream.interval", CCHC_CONFIG_DURATION, F (upstream_interval_ms), 0, 100, 3600000,
      "5s", "how often locked periods are looked for" },
    { "national.enabled", CCHC_CONFIG_BOOL, F (national), 0, 0, 0, "false",
      "national role: receive provinces' figures instead of agents' reports" },
    { "national.expect", CCHC_CONFIG_STRING, F (national_expect), S (national_expect), 0, 0,
      "",
      "expected catalogue per plan year: YEAR:SHA256HEX, comma-separated "
      "(cchcctl national catalogue FILE prints it)" },
    { "national.accept_any_catalogue", CCHC_CONFIG_BOOL, F (national_accept_any), 0, 0, 0,
      "false", "accept figures computed with any catalogue" },
    { "national.deadline_day", CCHC_CONFIG_INT, F (national_deadline_day), 0, 1, 31, "28",
      "a province is late when its first figures of a period arrive after this "
      "day of the period's last month (local)" },
    { NULL, 0, 0, 0, 0, 0, NULL, NULL }
};

void
cchc_collector_conf_defaults (cchc_collector_conf_t *conf)
{
    assert (conf);
    memset (conf, 0, sizeof *conf);
    char err [256];
    int rc = cchc_config_defaults (cchc_collector_conf_table, conf, err, sizeof err);
    assert (rc == 0);
    (void) rc;
}

int
cchc_collector_conf_check (const cchc_collector_conf_t *conf, char *err, size_t errlen)
{
    assert (conf);
    cchc_date_t date;
    if (cchc_date_parse (conf->min_date, strlen (conf->min_date), &date)) {
        snprintf (err, errlen, "collector.min_date: '%s' is not YYYY-MM-DD", conf->min_date);
        return -1;
    }
    if (strcmp (conf->synchronous, "full") && strcmp (conf->synchronous, "normal")) {
        snprintf (err, errlen, "collector.synchronous: '%s' is not full or normal",
                  conf->synchronous);
        return -1;
    }
    cchc_log_level_t level;
    if (cchc_log_level_parse (conf->log_level, &level)) {
        snprintf (err, errlen,
                  "log.level: '%s' is not error, warn, notice, info "
                  "or debug",
                  conf->log_level);
        return -1;
    }
    if (*conf->http_token && strlen (conf->http_token) < 16) {
        snprintf (err, errlen, "http.token: at least 16 characters");
        return -1;
    }
    if (!*conf->bind) {
        snprintf (err, errlen, "collector.bind is empty");
        return -1;
    }
    return 0;
}

int
cchc_collector_conf_clock (const cchc_collector_conf_t *conf, char *err, size_t errlen)
{
    assert (conf);
    if (!*conf->clock_demo)
        return 0;
    char http [96];
    snprintf (http, sizeof http, "tcp://%s%s%s:%d",
              strchr (conf->http_address, ':') ? "[" : "", conf->http_address,
              strchr (conf->http_address, ':') ? "]" : "", (int) conf->http_port);
    const char *endpoints [] = { conf->bind, conf->http_enabled ? http : NULL, NULL };
    return cchc_clock_demo_start (conf->clock_demo, conf->curve, endpoints, err, errlen);
}

static int
s_path (const char *given, const char *dir, const char *name, char *out, size_t size)
{
    int n = *given ? snprintf (out, size, "%s", given)
                   : snprintf (out, size, "%s/%s", *dir ? dir : ".", name);
    return n < 0 || (size_t) n >= size ? -1 : 0;
}

int
cchc_collector_conf_db_path (const cchc_collector_conf_t *conf, char *out, size_t size)
{
    return s_path (conf->db, conf->state_dir, "collector.db", out, size);
}

int
cchc_collector_conf_key_path (const cchc_collector_conf_t *conf, char *out, size_t size)
{
    return s_path (conf->key, conf->state_dir, "collector.key", out, size);
}

int
cchc_collector_conf_reports_path (const cchc_collector_conf_t *conf, char *out, size_t size)
{
    return s_path (conf->reports, conf->state_dir, "reports", out, size);
}

int
cchc_collector_conf_criteria_path (const cchc_collector_conf_t *conf, const char *given,
                                   char *out, size_t size)
{
    assert (conf && out);
    const char *path = given             ? given
                       : *conf->criteria ? conf->criteria
                                         : CCHC_CRITERIA_DEFAULT;
    int n = snprintf (out, size, "%s", path);
    return n < 0 || (size_t) n >= size ? -1 : 0;
}

/*  "--name value" or "--name=value" at argv[*i]; advances *i. */
static const char *
s_option (int argc, char **argv, int *i, const char *name, bool *missing)
{
    size_t len = strlen (name);
    const char *arg = argv [*i];
    if (strncmp (arg, name, len) != 0)
        return NULL;
    if (arg [len] == '=')
        return arg + len + 1;
    if (arg [len] != 0)
        return NULL;
    if (*i + 1 >= argc) {
        *missing = true;
        return NULL;
    }
    (*i)++;
    return argv [*i];
}

int
cchc_collector_conf_from_args (cchc_collector_conf_t *conf, int *argc, char **argv, char *err,
                               size_t errlen)
{
    assert (conf && argc && argv);
    cchc_collector_conf_defaults (conf);
    const char *config_file = NULL;
    int n = *argc, kept = 1;
    /*  Pass 1: find --config (applied before the other overrides). */
    for (int i = 1; i < n; i++) {
        if (strcmp (argv [i], "--") == 0)
            break;
        bool missing = false;
        const char *value = s_option (n, argv, &i, "--config", &missing);
        if (missing) {
            snprintf (err, errlen, "--config needs a file");
            return -1;
        }
        if (value)
            config_file = value;
    }
    if (config_file
        && cchc_config_load (cchc_collector_conf_table, conf, config_file, err, errlen))
        return -1;
    /*  Pass 2: apply the rest in order, keep what is not ours. */
    for (int i = 1; i < n; i++) {
        bool missing = false;
        const char *value;
        char assignment [CCHC_COLLECTOR_PATH_MAX + 64];
        if (strcmp (argv [i], "--") == 0) {
            while (i < n)
                argv [kept++] = argv [i++];
            break;
        }
        if ((value = s_option (n, argv, &i, "--config", &missing)))
            continue;
        if ((value = s_option (n, argv, &i, "--state", &missing)))
            snprintf (assignment, sizeof assignment, "collector.state_dir=%s", value);
        else if ((value = s_option (n, argv, &i, "--db", &missing)))
            snprintf (assignment, sizeof assignment, "collector.db=%s", value);
        else if ((value = s_option (n, argv, &i, "--set", &missing)))
            snprintf (assignment, sizeof assignment, "%s", value);
        else {
            if (missing) {
                snprintf (err, errlen, "%s needs a value", argv [i]);
                return -1;
            }
            argv [kept++] = argv [i];
            continue;
        }
        if (cchc_config_set (cchc_collector_conf_table, conf, assignment, err, errlen))
            return -1;
    }
    argv [kept] = NULL;
    *argc = kept;
    return cchc_collector_conf_check (conf, err, errlen);
}
