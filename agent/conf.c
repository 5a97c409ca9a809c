/*  conf.c — the agent's settings: the fixed-section table (through
    common/config.h) and the [source.NAME] sections, parsed with inih.
    See conf.h for the file format. */
#include "agent/conf.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "common/config.h"
#include "common/key.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/text.h"

#define S_OFF(f) offsetof (cchc_agent_conf_t, f)
#define S_SZ(f) sizeof (((cchc_agent_conf_t *) 0)->f)

static const cchc_config_entry_t s_table [] = {
    { "agent.unit", CCHC_CONFIG_STRING, S_OFF (unit), S_SZ (unit), 0, 0, "",
      "unit code this agent reports for (as enrolled at the collector)" },
    { "agent.key_file", CCHC_CONFIG_STRING, S_OFF (key_file), S_SZ (key_file), 0, 0,
      "/etc/cchc-agent/agent.key", "agent secret key file (mode 0600)" },
    { "agent.outbox", CCHC_CONFIG_STRING, S_OFF (outbox), S_SZ (outbox), 0, 0,
      "/var/lib/cchc-agent/outbox.db", "durable outbox (SQLite)" },
    { "agent.interval", CCHC_CONFIG_DURATION, S_OFF (interval_ms), 0, 1000, 7LL * 86400000,
      "5m", "how often sources are collected" },
    { "agent.log_level", CCHC_CONFIG_STRING, S_OFF (log_level), S_SZ (log_level), 0, 0, "info",
      "error, warn, notice, info or debug" },
    { "collector.endpoints", CCHC_CONFIG_STRING, S_OFF (endpoints_text), S_SZ (endpoints_text),
      0, 0, "tcp://127.0.0.1:7070", "collector endpoints, comma separated, tried in order" },
    { "collector.public_key", CCHC_CONFIG_STRING, S_OFF (collector_key), S_SZ (collector_key),
      0, 0, "", "pinned collector key: 64 hex digits or a .pub file" },
    { "collector.curve", CCHC_CONFIG_BOOL, S_OFF (curve), 0, 0, 0, "false",
      "encrypt the transport with CurveZMQ (keys derived from the Ed25519 keys)" },
    { "collector.request_timeout", CCHC_CONFIG_DURATION, S_OFF (request_timeout_ms), 0, 100,
      3600000, "10s", "no ack within this: reset the socket, next endpoint" },
    { "collector.backoff_min", CCHC_CONFIG_DURATION, S_OFF (backoff_min_ms), 0, 10, 3600000,
      "1s", "first retry delay" },
    { "collector.backoff_max", CCHC_CONFIG_DURATION, S_OFF (backoff_max_ms), 0, 10, 86400000,
      "5m", "longest retry delay" },
    { "collector.failback", CCHC_CONFIG_DURATION, S_OFF (failback_ms), 0, 1000, 86400000,
      "10m", "after this long on a backup endpoint, try the first again" },
    { "collector.window", CCHC_CONFIG_INT, S_OFF (window), 0, 1, 256, "16",
      "messages sent before waiting for their acks" },
    { "collector.batch_max", CCHC_CONFIG_INT, S_OFF (batch_max), 0, 1, 900, "500",
      "observations per message" },
    { "outbox.max_messages", CCHC_CONFIG_INT, S_OFF (max_messages), 0, 0, INT64_MAX, "0",
      "drop the oldest beyond this many undelivered (0: never)" },
    { "outbox.max_age", CCHC_CONFIG_DURATION, S_OFF (max_age_ms), 0, 0, INT64_MAX, "0",
      "drop undelivered entries older than this (0: never)" },
    { "outbox.warn_messages", CCHC_CONFIG_INT, S_OFF (warn_messages), 0, 1, INT64_MAX, "1000",
      "warn loudly beyond this many undelivered" },
    { "outbox.warn_age", CCHC_CONFIG_DURATION, S_OFF (warn_age_ms), 0, 1000, INT64_MAX, "1d",
      "warn loudly when the oldest undelivered entry is older" },
    { "status.max_age", CCHC_CONFIG_DURATION, S_OFF (status_max_age_ms), 0, 1000, INT64_MAX,
      "1h", "status: unhealthy when undelivered data is older" },
    { "status.stale_after", CCHC_CONFIG_DURATION, S_OFF (status_stale_ms), 0, 1000, INT64_MAX,
      "2m",
      "status: a running daemon whose last state save is this much "
      "overdue is reported as not responding" },
    { "status.heartbeat", CCHC_CONFIG_DURATION, S_OFF (status_heartbeat_ms), 0, 1000, 86400000,
      "1h",
      "how often an idle daemon saves its state for status "
      "(each save is one small disk write)" },
    { "clock.demo", CCHC_CONFIG_STRING, S_OFF (clock_demo), S_SZ (clock_demo), 0, 0, "",
      "demonstration clock START[,SPEED[,ANCHOR]] (demo and tests only; refused "
      "with curve on or an endpoint not on loopback)" },
    { NULL, 0, 0, 0, 0, 0, NULL, NULL }
};

#define S_SOFF(f) offsetof (cchc_source_conf_t, f)
#define S_SSZ(f) sizeof (((cchc_source_conf_t *) 0)->f)

static const cchc_config_entry_t s_source_table [] = {
    { "source.type", CCHC_CONFIG_STRING, S_SOFF (type_text), S_SSZ (type_text), 0, 0, "",
      "exec, sql or csv" },
    { "source.command", CCHC_CONFIG_STRING, S_SOFF (command), S_SSZ (command), 0, 0, "",
      "exec: shell command printing METRIC VALUE [DATE] lines" },
    { "source.database", CCHC_CONFIG_STRING, S_SOFF (database), S_SSZ (database), 0, 0, "",
      "sql: SQLite database file (opened read-only)" },
    { "source.query", CCHC_CONFIG_STRING, S_SOFF (query), S_SSZ (query), 0, 0, "",
      "sql: query returning rows (metric, date, value)" },
    { "source.folder", CCHC_CONFIG_STRING, S_SOFF (folder), S_SSZ (folder), 0, 0, "",
      "csv: drop folder" },
    { "source.interval", CCHC_CONFIG_DURATION, S_SOFF (interval_ms), 0, 0, 7LL * 86400000, "0",
      "collection interval (0: agent.interval)" },
    { "source.timeout", CCHC_CONFIG_DURATION, S_SOFF (timeout_ms), 0, 100, 3600000, "30s",
      "exec / sql: kill or interrupt after this long" },
    { "source.max_output", CCHC_CONFIG_INT, S_SOFF (max_output), 0, 1024, 64LL * 1024 * 1024,
      "1048576", "exec: most bytes of output accepted" },
    { "source.enabled", CCHC_CONFIG_BOOL, S_SOFF (enabled), 0, 0, 0, "true",
      "false: keep the section but do not run it" },
    { NULL, 0, 0, 0, 0, 0, NULL, NULL }
};

const char *
cchc_source_type_name (cchc_source_type_t type)
{
    switch (type) {
        case CCHC_SOURCE_EXEC: return "exec";
        case CCHC_SOURCE_SQL: return "sql";
        case CCHC_SOURCE_CSV: return "csv";
    }
    return "?";
}

int
cchc_source_type_parse (const char *text, cchc_source_type_t *type)
{
    if (strcmp (text, "exec") == 0)
        *type = CCHC_SOURCE_EXEC;
    else if (strcmp (text, "sql") == 0)
        *type = CCHC_SOURCE_SQL;
    else if (strcmp (text, "csv") == 0)
        *type = CCHC_SOURCE_CSV;
    else
        return -1;
    return 0;
}

cchc_agent_conf_t *
cchc_agent_conf_new (void)
{
    cchc_agent_conf_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    char err [256];
    int rc = cchc_config_defaults (s_table, self, err, sizeof err);
    assert (rc == 0); /* a bad default is a programming error */
    (void) rc;
    return self;
}

void
cchc_agent_conf_destroy (cchc_agent_conf_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        free (*self_p);
        *self_p = NULL;
    }
}

static bool
s_source_name_valid (const char *s, size_t len)
{
    if (len == 0 || len > CCHC_AGENT_SOURCE_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!isalnum ((unsigned char) s [i]) && s [i] != '_' && s [i] != '-')
            return false;
    return true;
}

/*  The source called name (len bytes), created with defaults if new. */
static cchc_source_conf_t *
s_source_get (cchc_agent_conf_t *self, const char *name, size_t len, char *err, size_t errlen)
{
    if (!s_source_name_valid (name, len)) {
        snprintf (err, errlen, "invalid source name '%.*s' (use letters, digits, _ and -)",
                  (int) (len > 64 ? 64 : len), name);
        return NULL;
    }
    for (size_t i = 0; i < self->nsources; i++)
        if (strlen (self->sources [i].name) == len
            && memcmp (self->sources [i].name, name, len) == 0)
            return &self->sources [i];
    if (self->nsources == CCHC_AGENT_SOURCES_MAX) {
        snprintf (err, errlen, "too many sources (at most %d)", CCHC_AGENT_SOURCES_MAX);
        return NULL;
    }
    cchc_source_conf_t *src = &self->sources [self->nsources];
    memset (src, 0, sizeof *src);
    if (cchc_config_defaults (s_source_table, src, err, errlen) != 0)
        return NULL;
    memcpy (src->name, name, len);
    src->name [len] = 0;
    self->nsources++;
    return src;
}

/*  Set key=value in a source; append (with a space) when `append`. */
static int
s_source_set (cchc_source_conf_t *src, const char *key, const char *value, bool append,
              char *err, size_t errlen)
{
    char *assignment = NULL;
    size_t cap = strlen (key) + strlen (value) + 16;
    const char *base = "";
    if (append) {
        if (strcmp (key, "command") == 0)
            base = src->command;
        else if (strcmp (key, "query") == 0)
            base = src->query;
        cap += strlen (base) + 1;
    }
    assignment = malloc (cap);
    if (!assignment) {
        snprintf (err, errlen, "out of memory");
        return -1;
    }
    if (append && base [0])
        snprintf (assignment, cap, "source.%s=%s %s", key, base, value);
    else
        snprintf (assignment, cap, "source.%s=%s", key, value);
    int rc = cchc_config_set (s_source_table, src, assignment, err, errlen);
    free (assignment);
    /*  The table speaks of "--set source.key"; say "key" for a file line. */
    if (rc != 0 && strncmp (err, "--set ", 6) == 0)
        memmove (err, err + 6, strlen (err + 6) + 1);
    return rc;
}

#define S_FILE_MAX (1024 * 1024)

static char *
s_trim (char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen (s);
    while (n > 0 && (s [n - 1] == ' ' || s [n - 1] == '\t' || s [n - 1] == '\r'))
        s [--n] = 0;
    return s;
}

/*  The "source.key" names set so far, to refuse a key set twice. */
typedef struct {
    char (*keys) [96];
    size_t n, cap;
} s_seen_t;

/*  Adds full to seen. Returns 0, 1 if it was there already (not added
    again), or -1 out of memory. */
static int
s_seen_add (s_seen_t *seen, const char *full)
{
    for (size_t i = 0; i < seen->n; i++)
        if (strcmp (seen->keys [i], full) == 0)
            return 1;
    if (seen->n == seen->cap) {
        size_t cap = seen->cap ? seen->cap * 2 : 32;
        void *n = realloc (seen->keys, cap * sizeof *seen->keys);
        if (!n)
            return -1;
        seen->keys = n;
        seen->cap = cap;
    }
    cchc_strlcpy (seen->keys [seen->n++], full, sizeof seen->keys [0]);
    return 0;
}

/*  Parse the [source.NAME] sections of text (a private copy, modified):
    every line that belongs to a source section is applied here and blanked
    in `main_text` (same length, line numbers kept) so that the fixed
    sections can go through cchc_config_load_string.  Source sections take
    no inline comments (commands and queries may contain ';'); an indented
    line continues the previous command or query. */
static int
s_sources_parse (cchc_agent_conf_t *self, const char *path, char *text, size_t len,
                 char *main_text, char *err, size_t errlen)
{
    s_seen_t seen = { NULL, 0, 0 };
    cchc_source_conf_t *src = NULL;
    char last_key [64] = "";
    int lineno = 0;
    size_t pos = 0;
    int rc = 0;
    char why [400];
    while (pos < len && rc == 0) {
        lineno++;
        char *line = text + pos;
        char *nl = memchr (line, '\n', len - pos);
        size_t llen = nl ? (size_t) (nl - line) : len - pos;
        size_t line_start = pos;
        pos += llen + (nl ? 1 : 0);
        line [llen] = 0;
        if (memchr (line, 0, llen)) {
            /*  It would cut the value short unseen. */
            snprintf (err, errlen, "%s:%d: line contains a NUL byte", path, lineno);
            rc = -1;
            break;
        }
        bool indented = llen > 0 && (line [0] == ' ' || line [0] == '\t');
        char *t = s_trim (line);
        if (t [0] == '[') {
            char *close = strchr (t, ']');
            src = NULL;
            last_key [0] = 0;
            if (close && strncmp (t + 1, "source.", 7) == 0) {
                *close = 0;
                char *name = s_trim (t + 8);
                if (!(src = s_source_get (self, name, strlen (name), why, sizeof why))) {
                    snprintf (err, errlen, "%s:%d: %s", path, lineno, why);
                    rc = -1;
                    break;
                }
                memset (main_text + line_start, ' ', llen);
            }
            continue;
        }
        if (!src)
            continue; /* a fixed section: left for the table */
        memset (main_text + line_start, ' ', llen);
        if (t [0] == 0 || t [0] == ';' || t [0] == '#')
            continue;
        if (indented && last_key [0]) {
            if (strcmp (last_key, "command") != 0 && strcmp (last_key, "query") != 0) {
                snprintf (err, errlen,
                          "%s:%d: indented line would continue '%s'; "
                          "only command and query may span lines",
                          path, lineno, last_key);
                rc = -1;
                break;
            }
            if (s_source_set (src, last_key, t, true, why, sizeof why) != 0) {
                snprintf (err, errlen, "%s:%d: source.%s.%s", path, lineno, src->name, why);
                rc = -1;
            }
            continue;
        }
        char *eq = strchr (t, '=');
        if (!eq) {
            snprintf (err, errlen, "%s:%d: expected 'key = value'", path, lineno);
            rc = -1;
            break;
        }
        *eq = 0;
        char *key = s_trim (t);
        char *value = s_trim (eq + 1);
        char full [96];
        snprintf (full, sizeof full, "%s.%.40s", src->name, key);
        int added = s_seen_add (&seen, full);
        if (added != 0) {
            if (added > 0)
                snprintf (err, errlen, "%s:%d: duplicate key '%s' in [source.%s]", path,
                          lineno, key, src->name);
            else
                snprintf (err, errlen, "out of memory");
            rc = -1;
            break;
        }
        cchc_strlcpy (last_key, key, sizeof last_key);
        if (s_source_set (src, key, value, false, why, sizeof why) != 0) {
            snprintf (err, errlen, "%s:%d: [source.%s] %s", path, lineno, src->name, why);
            rc = -1;
        }
    }
    free (seen.keys);
    return rc;
}

/*  Empty the lines of text[0..*len) that hold only spaces (the source
    lines s_sources_parse blanked), keeping every newline so line numbers
    stay: a source line may be longer than the settings table's line limit. */
static void
s_squeeze_blank_lines (char *text, size_t *len)
{
    size_t in = 0, out = 0;
    while (in < *len) {
        char *nl = memchr (text + in, '\n', *len - in);
        size_t llen = nl ? (size_t) (nl - (text + in)) : *len - in;
        size_t i = 0;
        while (i < llen && text [in + i] == ' ')
            i++;
        if (i < llen) {
            memmove (text + out, text + in, llen);
            out += llen;
        }
        in += llen;
        if (nl) {
            text [out++] = '\n';
            in++;
        }
    }
    text [out] = 0;
    *len = out;
}

/*  Apply text[0..len) read from a file called `name`: the sources first
    into a scratch copy, so a bad file changes nothing. */
static int
s_load_text (cchc_agent_conf_t *self, const char *name, const char *data, size_t len,
             char *err, size_t errlen)
{
    if (len > S_FILE_MAX) {
        snprintf (err, errlen, "%s: larger than %d bytes", name, S_FILE_MAX);
        return -1;
    }
    char *text = malloc (len + 1);
    char *main_text = malloc (len + 1);
    cchc_agent_conf_t *scratch = malloc (sizeof *scratch);
    int rc = -1;
    if (!text || !main_text || !scratch)
        snprintf (err, errlen, "%s: out of memory", name);
    else {
        if (len > 0)
            memcpy (text, data, len);
        text [len] = 0;
        memcpy (main_text, text, len + 1);
        memcpy (scratch, self, sizeof *scratch);
        if (s_sources_parse (scratch, name, text, len, main_text, err, errlen) == 0) {
            size_t main_len = len;
            s_squeeze_blank_lines (main_text, &main_len);
            if (cchc_config_load_string (s_table, scratch, name, main_text, main_len, err,
                                         errlen)
                == 0) {
                memcpy (self, scratch, sizeof *self);
                rc = 0;
            }
        }
    }
    free (scratch);
    free (text);
    free (main_text);
    return rc;
}

int
cchc_agent_conf_load (cchc_agent_conf_t *self, const char *path, char *err, size_t errlen)
{
    assert (self && path);
    FILE *file = fopen (path, "rb");
    if (!file) {
        snprintf (err, errlen, "%s: %s", path, strerror (errno));
        return -1;
    }
    char *data = malloc (S_FILE_MAX + 1);
    if (!data) {
        fclose (file);
        snprintf (err, errlen, "%s: out of memory", path);
        return -1;
    }
    size_t len = fread (data, 1, S_FILE_MAX + 1, file);
    bool bad = ferror (file);
    fclose (file);
    int rc = -1;
    if (bad)
        snprintf (err, errlen, "%s: read error", path);
    else
        rc = s_load_text (self, path, data, len, err, errlen);
    free (data);
    return rc;
}

int
cchc_agent_conf_load_string (cchc_agent_conf_t *self, const char *name, const char *text,
                             size_t len, char *err, size_t errlen)
{
    assert (self && name);
    assert (text || len == 0);
    return s_load_text (self, name, text, len, err, errlen);
}

int
cchc_agent_conf_set (cchc_agent_conf_t *self, const char *assignment, char *err, size_t errlen)
{
    assert (self && assignment);
    if (strncmp (assignment, "source.", 7) == 0) {
        const char *name = assignment + 7;
        const char *dot = strchr (name, '.');
        const char *eq = strchr (name, '=');
        if (!dot || !eq || eq < dot) {
            snprintf (err, errlen, "expected source.NAME.key=value, got '%.64s'", assignment);
            return -1;
        }
        /*  A source this override creates is dropped again if it fails:
            a refused override changes nothing. */
        size_t nsources = self->nsources;
        cchc_source_conf_t *src =
            s_source_get (self, name, (size_t) (dot - name), err, errlen);
        if (!src)
            return -1;
        char key [64];
        size_t klen = (size_t) (eq - dot - 1);
        int rc = -1;
        if (klen == 0 || klen >= sizeof key)
            snprintf (err, errlen, "bad key in '%.64s'", assignment);
        else {
            memcpy (key, dot + 1, klen);
            key [klen] = 0;
            rc = s_source_set (src, key, eq + 1, false, err, errlen);
        }
        if (rc != 0)
            self->nsources = nsources;
        return rc;
    }
    return cchc_config_set (s_table, self, assignment, err, errlen);
}

/*  Split endpoints_text on commas and white space. */
static int
s_endpoints_parse (cchc_agent_conf_t *self, char *err, size_t errlen)
{
    self->nendpoints = 0;
    const char *s = self->endpoints_text;
    while (*s) {
        while (*s == ',' || isspace ((unsigned char) *s))
            s++;
        if (!*s)
            break;
        const char *start = s;
        while (*s && *s != ',' && !isspace ((unsigned char) *s))
            s++;
        size_t len = (size_t) (s - start);
        if (self->nendpoints == CCHC_AGENT_ENDPOINTS_MAX) {
            snprintf (err, errlen, "collector.endpoints: at most %d endpoints",
                      CCHC_AGENT_ENDPOINTS_MAX);
            return -1;
        }
        if (len >= CCHC_AGENT_ENDPOINT_LEN) {
            snprintf (err, errlen, "collector.endpoints: endpoint too long");
            return -1;
        }
        if (len < 7
            || (strncmp (start, "tcp://", 6) != 0 && strncmp (start, "ipc://", 6) != 0)) {
            snprintf (err, errlen,
                      "collector.endpoints: '%.*s' is not tcp://HOST:PORT or ipc://PATH",
                      (int) (len > 80 ? 80 : len), start);
            return -1;
        }
        memcpy (self->endpoints [self->nendpoints], start, len);
        self->endpoints [self->nendpoints][len] = 0;
        self->nendpoints++;
    }
    if (self->nendpoints == 0) {
        snprintf (err, errlen, "collector.endpoints: no endpoint given");
        return -1;
    }
    return 0;
}

static int
s_source_check (cchc_source_conf_t *src, char *err, size_t errlen)
{
    if (src->type_text [0] == 0) {
        snprintf (err, errlen, "source.%s: type is required (exec, sql or csv)", src->name);
        return -1;
    }
    if (cchc_source_type_parse (src->type_text, &src->type) != 0) {
        snprintf (err, errlen, "source.%s: unknown type '%s' (exec, sql or csv)", src->name,
                  src->type_text);
        return -1;
    }
    const char *missing = NULL;
    const char *extra = NULL;
    switch (src->type) {
        case CCHC_SOURCE_EXEC:
            if (!src->command [0])
                missing = "command";
            if (src->database [0] || src->query [0] || src->folder [0])
                extra = "database/query/folder";
            break;
        case CCHC_SOURCE_SQL:
            if (!src->database [0])
                missing = "database";
            else if (!src->query [0])
                missing = "query";
            if (src->command [0] || src->folder [0])
                extra = "command/folder";
            break;
        case CCHC_SOURCE_CSV:
            if (!src->folder [0])
                missing = "folder";
            if (src->command [0] || src->database [0] || src->query [0])
                extra = "command/database/query";
            break;
    }
    if (missing) {
        snprintf (err, errlen, "source.%s: type %s needs '%s'", src->name, src->type_text,
                  missing);
        return -1;
    }
    if (extra) {
        snprintf (err, errlen, "source.%s: %s do not apply to type %s", src->name, extra,
                  src->type_text);
        return -1;
    }
    return 0;
}

int
cchc_agent_conf_finish (cchc_agent_conf_t *self, bool need_collector, char *err, size_t errlen)
{
    assert (self);
    cchc_log_level_t level;
    if (cchc_log_level_parse (self->log_level, &level) != 0) {
        snprintf (err, errlen,
                  "agent.log_level: '%s' is not error, warn, notice, info or debug",
                  self->log_level);
        return -1;
    }
    self->log_level_value = (int) level;
    if (!self->outbox [0]) {
        snprintf (err, errlen, "agent.outbox is required");
        return -1;
    }
    for (size_t i = 0; i < self->nsources; i++)
        if (s_source_check (&self->sources [i], err, errlen) != 0)
            return -1;
    if (!need_collector)
        return 0;

    if (!cchc_unit_code_valid (self->unit, strlen (self->unit))) {
        snprintf (err, errlen,
                  self->unit [0]
                      ? "agent.unit: '%s' is not a unit code (1..16 of A-Z a-z 0-9 _ . -)"
                      : "agent.unit is required%s",
                  self->unit);
        return -1;
    }
    if (s_endpoints_parse (self, err, errlen) != 0)
        return -1;
    if (self->backoff_min_ms > self->backoff_max_ms) {
        snprintf (err, errlen, "collector.backoff_min is larger than collector.backoff_max");
        return -1;
    }
    if (!self->collector_key [0]) {
        snprintf (err, errlen,
                  "collector.public_key is required (64 hex digits or a .pub file)");
        return -1;
    }
    if (strlen (self->collector_key) == CCHC_KEY_HEX_LEN
        && cchc_key_parse_public (self->collector_key, self->collector_pk) == 0)
        return 0;
    char kerr [256];
    if (cchc_key_load_public (self->collector_key, self->collector_pk, kerr, sizeof kerr)
        != 0) {
        snprintf (err, errlen, "collector.public_key: %s", kerr);
        return -1;
    }
    return 0;
}

int
cchc_agent_conf_clock (cchc_agent_conf_t *self, char *err, size_t errlen)
{
    assert (self);
    if (!self->clock_demo [0])
        return 0;
    if (s_endpoints_parse (self, err, errlen) != 0)
        return -1;
    const char *endpoints [CCHC_AGENT_ENDPOINTS_MAX + 1] = { NULL };
    for (size_t i = 0; i < self->nendpoints; i++)
        endpoints [i] = self->endpoints [i];
    return cchc_clock_demo_start (self->clock_demo, self->curve, endpoints, err, errlen);
}

/*  "30s", "5m", "1500ms": the largest unit that divides exactly. */
static void
s_duration (int64_t ms, char *buf, size_t size)
{
    static const struct {
        const char *unit;
        int64_t ms;
    } units [] = { { "d", 86400000 }, { "h", 3600000 }, { "m", 60000 }, { "s", 1000 } };
    for (size_t i = 0; i < 4; i++)
        if (ms > 0 && ms % units [i].ms == 0) {
            snprintf (buf, size, "%lld%s", (long long) (ms / units [i].ms), units [i].unit);
            return;
        }
    snprintf (buf, size, "%lldms", (long long) ms);
}

void
cchc_agent_conf_print (const cchc_agent_conf_t *self, FILE *out)
{
    cchc_config_print (s_table, self, out);
    for (size_t i = 0; i < self->nsources; i++) {
        const cchc_source_conf_t *src = &self->sources [i];
        fprintf (out, "\n[source.%s]\ntype = %s\n", src->name, src->type_text);
        if (src->command [0])
            fprintf (out, "command = %s\n", src->command);
        if (src->database [0])
            fprintf (out, "database = %s\n", src->database);
        if (src->query [0])
            fprintf (out, "query = %s\n", src->query);
        if (src->folder [0])
            fprintf (out, "folder = %s\n", src->folder);
        char interval [32], timeout [32];
        s_duration (src->interval_ms, interval, sizeof interval);
        s_duration (src->timeout_ms, timeout, sizeof timeout);
        fprintf (out, "interval = %s\ntimeout = %s\nmax_output = %lld\nenabled = %s\n",
                 interval, timeout, (long long) src->max_output,
                 src->enabled ? "true" : "false");
    }
}
