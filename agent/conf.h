/*  conf.h — the agent's configuration: one settings table (common/config.h)
    for the fixed sections, plus any number of [source.NAME] sections.

    File (INI, see deploy/agent.example.ini):

      [agent]      unit, key_file, outbox, interval, log_level
      [collector]  endpoints (comma or space separated, tried in order),
                   public_key (64 hex digits, or the path of a .pub file),
                   curve, request_timeout, backoff_min, backoff_max,
                   failback, window, batch_max
      [outbox]     max_messages, max_age (0 = never drop: the default),
                   warn_messages, warn_age
      [status]     max_age, stale_after
      [clock]      demo (the demonstration clock, common/clock.h; refused
                   with collector.curve on or an endpoint not on loopback)
      [source.NAME]  type = exec | sql | csv, and per type:
                   exec: command, timeout, max_output
                   sql:  database, query, timeout
                   csv:  folder
                   all:  interval (default agent.interval), enabled

    Overrides: "--set section.key=value" for the fixed sections and
    "--set source.NAME.key=value" for a source (creating it if needed).
    Unknown keys, duplicates and out-of-range values are refused with
    "file:line: reason".  A key repeated on the very next line(s) of a source
    section is a continuation (inih multi-line values): command and query may
    span lines; for any other key it is a duplicate.  Lines of the fixed
    sections are at most 199 bytes (common/config.h); source lines only have
    their fields' limits.  NUL bytes are refused everywhere.
*/
#ifndef CCHC_AGENT_CONF_H
#define CCHC_AGENT_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CCHC_AGENT_ENDPOINTS_MAX 8
#define CCHC_AGENT_ENDPOINT_LEN 256
#define CCHC_AGENT_SOURCES_MAX 32
#define CCHC_AGENT_SOURCE_NAME_MAX 48
#define CCHC_AGENT_DEFAULT_CONFIG "/etc/cchc-agent/agent.ini"

typedef enum {
    CCHC_SOURCE_EXEC = 1,
    CCHC_SOURCE_SQL = 2,
    CCHC_SOURCE_CSV = 3
} cchc_source_type_t;

typedef struct {
    char name [CCHC_AGENT_SOURCE_NAME_MAX + 1]; /* [A-Za-z0-9_-]+ */
    cchc_source_type_t type;
    char type_text [16]; /* as written: "exec", "sql", "csv" */
    char command [2048]; /* exec: run with /bin/sh -c */
    char database [512]; /* sql: SQLite file, opened read-only */
    char query [4096];   /* sql: SELECT metric, date, value ... */
    char folder [512];   /* csv: drop folder */
    int64_t interval_ms; /* 0: use agent.interval */
    int64_t timeout_ms;  /* exec / sql run time limit */
    int64_t max_output;  /* exec: bytes of stdout accepted */
    bool enabled;
} cchc_source_conf_t;

typedef struct {
    /* [agent] */
    char unit [32];
    char key_file [512];
    char outbox [512];
    int64_t interval_ms;
    char log_level [16];
    /* [collector] */
    char endpoints_text [2048];
    char collector_key [512]; /* hex or path of a .pub file */
    bool curve;
    int64_t request_timeout_ms;
    int64_t backoff_min_ms;
    int64_t backoff_max_ms;
    int64_t failback_ms;
    int64_t window;    /* messages in flight */
    int64_t batch_max; /* observations per message */
    /* [outbox] */
    int64_t max_messages; /* 0: no limit */
    int64_t max_age_ms;   /* 0: no limit */
    int64_t warn_messages;
    int64_t warn_age_ms;
    /* [status] */
    int64_t status_max_age_ms;   /* oldest undelivered entry still healthy */
    int64_t status_stale_ms;     /* state save overdue by this much: not responding */
    int64_t status_heartbeat_ms; /* idle state save interval */
    /* [clock] */
    char clock_demo [640]; /* "" or common/clock.h's spec */

    /* Derived by cchc_agent_conf_finish. */
    size_t nendpoints;
    char endpoints [CCHC_AGENT_ENDPOINTS_MAX][CCHC_AGENT_ENDPOINT_LEN];
    uint8_t collector_pk [32];
    int log_level_value; /* cchc_log_level_t */

    size_t nsources;
    cchc_source_conf_t sources [CCHC_AGENT_SOURCES_MAX];
} cchc_agent_conf_t;

/*  A configuration with every default and no source.  NULL on allocation
    failure. */
cchc_agent_conf_t *cchc_agent_conf_new (void);
void cchc_agent_conf_destroy (cchc_agent_conf_t **self_p);

/*  Apply an INI file.  Returns 0 or -1 with "path:line: reason". */
int cchc_agent_conf_load (cchc_agent_conf_t *self, const char *path, char *err, size_t errlen);

/*  The same over text[0..len) (need not be NUL-terminated), as if it were the
    content of a file called `name` (used in messages). */
int cchc_agent_conf_load_string (cchc_agent_conf_t *self, const char *name, const char *text,
                                 size_t len, char *err, size_t errlen);

/*  Apply one "section.key=value" or "source.NAME.key=value" override. */
int cchc_agent_conf_set (cchc_agent_conf_t *self, const char *assignment, char *err,
                         size_t errlen);

/*  Validate everything and fill the derived fields: unit code, endpoints,
    collector key (reads the .pub file if a path), log level, each source's
    required settings.  `need_collector` false skips the collector checks
    (for commands that only touch the outbox).  Returns 0 or -1. */
int cchc_agent_conf_finish (cchc_agent_conf_t *self, bool need_collector, char *err,
                            size_t errlen);

/*  Print the effective configuration as INI. */
void cchc_agent_conf_print (const cchc_agent_conf_t *self, FILE *out);

/*  Parse "exec" / "sql" / "csv".  Returns 0 or -1. */
int cchc_source_type_parse (const char *text, cchc_source_type_t *type);
const char *cchc_source_type_name (cchc_source_type_t type);

/*  Start the demonstration clock when clock.demo is set (after
    cchc_agent_conf_finish): 0 (also when not set), or -1 with err when the
    spec is invalid or the configuration is a production one. */
int cchc_agent_conf_clock (cchc_agent_conf_t *self, char *err, size_t errlen);

#endif
