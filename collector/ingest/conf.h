/*  conf.h — the collector's settings: one table (common/config.h) read from
    an INI file, "--set section.key=value" and "--state DIR" overrides.
    Shared by cchc-collector and cchcctl (which only needs the paths).

      [collector]  bind, state_dir, db, key, criteria, curve, verifiers,
                   batch_max, batch_wait, max_inflight, unauth_acks, handshake_timeout,
                   max_skew, min_date,
                   future_days, busy_timeout, synchronous, max_pages,
                   refresh_interval, stats_interval, drain_timeout,
                   rollup_interval (the period schedule, collector/periods/periods.h),
                   reports (the report files of each lock, collector/present/reports.h)
      [http]       enabled, address, port, token, threads, max_connections,
                   max_per_peer, request_timeout (the dashboard and its
                   read-only JSON API, collector/http/http.h)
      [log]        level
      [clock]      demo (the demonstration clock, common/clock.h; refused
                   with collector.curve on or a bind / http.address that is
                   not loopback)
      [upstream]   endpoint, national_key, key, outbox, province, encrypt,
                   interval (a province sending its locked figures to the
                   national collector, collector/upstream/upstream.h)
      [national]   enabled, expect, accept_any_catalogue, deadline_day (the
                   national role, collector/national/national.h)

    See deploy/collector.example.ini and docs/collector.md for each key.
*/
#ifndef CCHC_COLLECTOR_CONF_H
#define CCHC_COLLECTOR_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/config.h"

#define CCHC_COLLECTOR_PATH_MAX 512

typedef struct {
    char bind [256]; /* ROUTER endpoint */
    char state_dir [CCHC_COLLECTOR_PATH_MAX];
    char db [CCHC_COLLECTOR_PATH_MAX];       /* "" = state_dir/collector.db */
    char key [CCHC_COLLECTOR_PATH_MAX];      /* "" = state_dir/collector.key */
    char criteria [CCHC_COLLECTOR_PATH_MAX]; /* "" = accept every metric code */
    bool curve;                              /* CurveZMQ + ZAP */
    int64_t verifiers;                       /* verifier threads */
    int64_t batch_max;                       /* messages per group commit */
    int64_t batch_wait_ms;                   /* longest wait to fill a batch */
    int64_t max_inflight;                    /* messages between read and ack */
    int64_t max_skew_ms;                     /* created may be this far ahead */
    int64_t unauth_acks;                     /* answers per second to messages that
                                               fail authentication (0: none) */
    int64_t handshake_ms;                    /* ZMQ_HANDSHAKE_IVL: a connection
                                               that has not finished its
                                               ZMTP/CurveZMQ handshake is closed */
    char min_date [16];                      /* earliest observation date */
    int64_t future_days;                     /* latest date = local today + N */
    int64_t busy_timeout_ms;                 /* wait for another writer */
    char synchronous [16];                   /* full | normal */
    int64_t max_pages;                       /* 0 = no cap on database size */
    int64_t refresh_ms;                      /* enrolment poll interval */
    int64_t stats_ms;                        /* stats table refresh */
    int64_t drain_ms;                        /* SIGTERM: longest drain */
    int64_t rollup_ms;                       /* period schedule pass interval;
                                               0: no schedule (periods.h) */
    bool http_enabled;                       /* serve the dashboard */
    char http_address [64];                  /* IPv4 / IPv6 literal */
    int64_t http_port;                       /* 0: any free port */
    char http_token [128];                   /* "" or >= 16 characters */
    int64_t http_threads;
    int64_t http_max_connections;    /* open connections in all */
    int64_t http_max_per_peer;       /* open connections from one address */
    int64_t http_request_timeout_ms; /* headers complete within this */
    char log_level [16];
    char reports [CCHC_COLLECTOR_PATH_MAX];               /* "" = state_dir/reports */
    char clock_demo [640];                                /* "" or common/clock.h's spec */
    char upstream_endpoint [256];                         /* "" = no upstream */
    char upstream_national_key [CCHC_COLLECTOR_PATH_MAX]; /* hex or .pub file */
    char upstream_key [CCHC_COLLECTOR_PATH_MAX];          /* "" = collector.key */
    char upstream_outbox [CCHC_COLLECTOR_PATH_MAX];       /* "" = STATE_DIR/upstream.outbox */
    char upstream_province [32];                          /* "" = the unit table's province */
    bool upstream_curve;
    int64_t upstream_interval_ms;
    bool national;               /* national role */
    char national_expect [1024]; /* "YEAR:SHA256HEX,..." */
    bool national_accept_any;
    int64_t national_deadline_day;
} cchc_collector_conf_t;

extern const cchc_config_entry_t cchc_collector_conf_table [];

/*  Defaults.  Can't fail (asserts the table is consistent). */
void cchc_collector_conf_defaults (cchc_collector_conf_t *conf);

/*  Check what the table cannot (dates, enums).  0 or -1 with err. */
int cchc_collector_conf_check (const cchc_collector_conf_t *conf, char *err, size_t errlen);

/*  Start the demonstration clock when clock.demo is set: 0 (also when it
    is not set), or -1 with err when the spec is invalid or the
    configuration is a production one (cchc_clock_demo_refused). */
int cchc_collector_conf_clock (const cchc_collector_conf_t *conf, char *err, size_t errlen);

/*  The database and key paths after defaults (into buffers of size
    CCHC_COLLECTOR_PATH_MAX + 32).  0, or -1 if too long. */
int cchc_collector_conf_db_path (const cchc_collector_conf_t *conf, char *out, size_t size);
int cchc_collector_conf_key_path (const cchc_collector_conf_t *conf, char *out, size_t size);
/*  The folder of the report files written at each lock (reports.h). */
int cchc_collector_conf_reports_path (const cchc_collector_conf_t *conf, char *out,
                                      size_t size);

/*  The criteria catalogue cchcctl uses (one rule, docs/collector.md):
    `given` (--criteria FILE) when not NULL; else collector.criteria when it
    is set (its default, data/criteria/default.ini, is relative to the
    current folder: right when run from the source tree); else, when it is
    empty, the packaged CCHC_CRITERIA_DEFAULT.  0, or -1 if too long. */
#define CCHC_CRITERIA_DEFAULT "/usr/share/cchc/criteria/default.ini"
int cchc_collector_conf_criteria_path (const cchc_collector_conf_t *conf, const char *given,
                                       char *out, size_t size);

/*  Parse the common options out of argv: --config FILE, --state DIR,
    --set KEY=VALUE (any order, applied as: defaults, file, then --state and
    --set in order) and also accept --db PATH (= collector.db).  Options this
    function does not know are left in argv (compacted; *argc updated) for
    the caller.  Returns 0, or -1 with err. */
int cchc_collector_conf_from_args (cchc_collector_conf_t *conf, int *argc, char **argv,
                                   char *err, size_t errlen);

#endif
