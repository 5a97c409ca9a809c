/*  fuzz_agent_conf.c — libFuzzer target: arbitrary bytes as the agent's
    configuration file (agent/conf.h) for cchc_agent_conf_load_string, and
    as one "--set" override.

    Checks, beyond "no crash, no hang, no leak, no undefined behaviour":
    - a refused file leaves the configuration untouched, and the message
      names the file;
    - an accepted one keeps every value within its table's bounds, every
      string terminated inside its field, at most CCHC_AGENT_SOURCES_MAX
      sources with valid, distinct names;
    - the configuration printed back (cchc_agent_conf_print) loads to the
      same configuration;
    - cchc_agent_conf_finish either refuses with a message or leaves
      derived fields that make sense (endpoints, unit, source types);
    - a refused override leaves the configuration untouched too.
*/
#include "agent/conf.h"
#include "common/key.h"
#include "common/log.h"
#include "common/text.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_DAY_MS (86400000LL)

static const char *s_hex = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

static void
s_check (bool ok, const char *what)
{
    if (!ok) {
        fprintf (stderr, "fuzz_agent_conf: invariant broken: %s\n", what);
        abort ();
    }
}

#define S_TERMINATED(field) (memchr ((field), '\0', sizeof (field)) != NULL)
#define S_IN(v, lo, hi) ((v) >= (lo) && (v) <= (hi))

static bool
s_source_same (const cchc_source_conf_t *a, const cchc_source_conf_t *b)
{
    return strcmp (a->name, b->name) == 0 && a->type == b->type
           && strcmp (a->type_text, b->type_text) == 0 && strcmp (a->command, b->command) == 0
           && strcmp (a->database, b->database) == 0 && strcmp (a->query, b->query) == 0
           && strcmp (a->folder, b->folder) == 0 && a->interval_ms == b->interval_ms
           && a->timeout_ms == b->timeout_ms && a->max_output == b->max_output
           && a->enabled == b->enabled;
}

/*  Same settings (the derived fields are not compared). */
static bool
s_same (const cchc_agent_conf_t *a, const cchc_agent_conf_t *b)
{
    if (strcmp (a->unit, b->unit) || strcmp (a->key_file, b->key_file)
        || strcmp (a->outbox, b->outbox) || strcmp (a->log_level, b->log_level)
        || strcmp (a->endpoints_text, b->endpoints_text)
        || strcmp (a->collector_key, b->collector_key) || a->interval_ms != b->interval_ms
        || a->curve != b->curve || a->request_timeout_ms != b->request_timeout_ms
        || a->backoff_min_ms != b->backoff_min_ms || a->backoff_max_ms != b->backoff_max_ms
        || a->failback_ms != b->failback_ms || a->window != b->window
        || a->batch_max != b->batch_max || a->max_messages != b->max_messages
        || a->max_age_ms != b->max_age_ms || a->warn_messages != b->warn_messages
        || a->warn_age_ms != b->warn_age_ms || a->status_max_age_ms != b->status_max_age_ms
        || a->status_stale_ms != b->status_stale_ms || a->nsources != b->nsources)
        return false;
    for (size_t i = 0; i < a->nsources; i++)
        if (!s_source_same (&a->sources [i], &b->sources [i]))
            return false;
    return true;
}

static bool
s_name_valid (const char *name)
{
    size_t len = strlen (name);
    if (len == 0 || len > CCHC_AGENT_SOURCE_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = name [i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
              || c == '_' || c == '-'))
            return false;
    }
    return true;
}

/*  Every value inside the bounds of conf.c's tables. */
static void
s_check_limits (const cchc_agent_conf_t *c)
{
    s_check (S_TERMINATED (c->unit) && S_TERMINATED (c->key_file) && S_TERMINATED (c->outbox)
                 && S_TERMINATED (c->log_level) && S_TERMINATED (c->endpoints_text)
                 && S_TERMINATED (c->collector_key),
             "strings terminated");
    s_check (S_IN (c->interval_ms, 1000, 7 * S_DAY_MS), "agent.interval");
    s_check (S_IN (c->request_timeout_ms, 100, 3600000), "request_timeout");
    s_check (S_IN (c->backoff_min_ms, 10, 3600000), "backoff_min");
    s_check (S_IN (c->backoff_max_ms, 10, S_DAY_MS), "backoff_max");
    s_check (S_IN (c->failback_ms, 1000, S_DAY_MS), "failback");
    s_check (S_IN (c->window, 1, 256) && S_IN (c->batch_max, 1, 900), "window, batch");
    s_check (c->max_messages >= 0 && c->max_age_ms >= 0 && c->warn_messages >= 1
                 && c->warn_age_ms >= 1000 && c->status_max_age_ms >= 1000
                 && c->status_stale_ms >= 1000,
             "outbox, status");
    s_check (c->nsources <= CCHC_AGENT_SOURCES_MAX, "source count");
    for (size_t i = 0; i < c->nsources; i++) {
        const cchc_source_conf_t *s = &c->sources [i];
        s_check (S_TERMINATED (s->name) && s_name_valid (s->name), "source name");
        for (size_t j = 0; j < i; j++)
            s_check (strcmp (c->sources [j].name, s->name) != 0, "source names distinct");
        s_check (S_TERMINATED (s->type_text) && S_TERMINATED (s->command)
                     && S_TERMINATED (s->database) && S_TERMINATED (s->query)
                     && S_TERMINATED (s->folder),
                 "source strings terminated");
        s_check (S_IN (s->interval_ms, 0, 7 * S_DAY_MS), "source interval");
        s_check (S_IN (s->timeout_ms, 100, 3600000), "source timeout");
        s_check (S_IN (s->max_output, 1024, 64LL * 1024 * 1024), "source max_output");
    }
}

static void
s_check_finish (const cchc_agent_conf_t *conf)
{
    cchc_agent_conf_t *c = malloc (sizeof *c);
    s_check (c != NULL, "malloc");
    memcpy (c, conf, sizeof *c);
    char err [512];
    memset (err, 'x', sizeof err);
    if (cchc_agent_conf_finish (c, false, err, sizeof err) != 0) {
        s_check (memchr (err, '\0', sizeof err) && err [0], "finish says why");
        free (c);
        return;
    }
    s_check (S_IN (c->log_level_value, CCHC_LOG_ERROR, CCHC_LOG_DEBUG), "log level");
    for (size_t i = 0; i < c->nsources; i++) {
        const cchc_source_conf_t *s = &c->sources [i];
        cchc_source_type_t t;
        s_check (cchc_source_type_parse (s->type_text, &t) == 0 && t == s->type,
                 "source type");
        s_check (s->type == CCHC_SOURCE_EXEC  ? s->command [0] != 0
                 : s->type == CCHC_SOURCE_SQL ? s->database [0] && s->query [0]
                                              : s->folder [0] != 0,
                 "source has what its type needs");
    }
    /*  The collector checks, with a pinned key (a path would read a file). */
    uint8_t pk [32];
    if (strlen (c->collector_key) != CCHC_KEY_HEX_LEN
        || cchc_key_parse_public (c->collector_key, pk) != 0)
        cchc_strlcpy (c->collector_key, s_hex, sizeof c->collector_key);
    memset (err, 'x', sizeof err);
    if (cchc_agent_conf_finish (c, true, err, sizeof err) != 0)
        s_check (memchr (err, '\0', sizeof err) && err [0], "finish says why");
    else {
        s_check (cchc_unit_code_valid (c->unit, strlen (c->unit)), "unit");
        s_check (S_IN (c->nendpoints, 1, CCHC_AGENT_ENDPOINTS_MAX), "endpoint count");
        for (size_t i = 0; i < c->nendpoints; i++) {
            const char *e = c->endpoints [i];
            s_check (S_TERMINATED (c->endpoints [i]) && strlen (e) >= 7
                         && (strncmp (e, "tcp://", 6) == 0 || strncmp (e, "ipc://", 6) == 0)
                         && !strpbrk (e, ", \t\r\n"),
                     "endpoint");
        }
        s_check (c->backoff_min_ms <= c->backoff_max_ms, "backoff order");
    }
    free (c);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    cchc_agent_conf_t *conf = cchc_agent_conf_new ();
    cchc_agent_conf_t *before = cchc_agent_conf_new ();
    s_check (conf && before, "conf_new");
    char err [512];
    memset (err, 'x', sizeof err);
    int rc = cchc_agent_conf_load_string (conf, "fuzz.ini", (const char *) data, size, err,
                                          sizeof err);
    if (rc != 0) {
        s_check (rc == -1, "returns 0 or -1");
        s_check (memchr (err, '\0', sizeof err) != NULL, "message terminated");
        s_check (strncmp (err, "fuzz.ini", 8) == 0, "a refusal names the file");
        s_check (s_same (conf, before), "a refused file changes nothing");
    }
    else {
        s_check_limits (conf);
        char *text = NULL;
        size_t len = 0;
        FILE *out = open_memstream (&text, &len);
        s_check (out != NULL, "open_memstream");
        cchc_agent_conf_print (conf, out);
        fclose (out);
        cchc_agent_conf_t *back = cchc_agent_conf_new ();
        s_check (back != NULL, "conf_new");
        rc = cchc_agent_conf_load_string (back, "printed", text, len, err, sizeof err);
        if (rc != 0 || !s_same (conf, back)) {
            fprintf (stderr, "round trip failed (%s):\n%s\n", rc ? err : "values differ",
                     text);
            abort ();
        }
        free (text);
        cchc_agent_conf_destroy (&back);
        s_check_finish (conf);
    }

    /*  The same bytes as one override. */
    char *assignment = malloc (size + 1);
    s_check (assignment != NULL, "malloc");
    memcpy (assignment, data, size);
    assignment [size] = '\0';
    cchc_agent_conf_t *set = cchc_agent_conf_new ();
    s_check (set != NULL, "conf_new");
    memset (err, 'x', sizeof err);
    rc = cchc_agent_conf_set (set, assignment, err, sizeof err);
    if (rc != 0) {
        s_check (rc == -1 && memchr (err, '\0', sizeof err) && err [0],
                 "a refused override says why");
        s_check (s_same (set, before), "a refused override changes nothing");
    }
    else
        s_check_limits (set);
    free (assignment);
    cchc_agent_conf_destroy (&set);
    cchc_agent_conf_destroy (&conf);
    cchc_agent_conf_destroy (&before);
    return 0;
}
