/*  fuzz_config.c — libFuzzer target: arbitrary bytes as an INI file for the
    configuration engine (common/config.h) with a sample table.

    Checks, beyond "no crash, no leak, no undefined behaviour":
    - a refused file leaves the configuration untouched and the message
      names the file;
    - an accepted file prints (cchc_config_print) to text that loads back to
      the same values;
    - the same bytes as a "--set" override never misbehave either.
*/
#include "common/config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char bind [32];
    int64_t batch_max;
    bool verbose;
    int64_t timeout;
    char name [17];
    int64_t offset;
} conf_t;

static const cchc_config_entry_t s_table [] = {
    { "collector.bind", CCHC_CONFIG_STRING, offsetof (conf_t, bind), 32, 0, 0,
      "tcp://127.0.0.1:7070", "ROUTER endpoint" },
    { "collector.batch_max", CCHC_CONFIG_INT, offsetof (conf_t, batch_max), 0, 1, 10000, "256",
      "messages per commit" },
    { "collector.verbose", CCHC_CONFIG_BOOL, offsetof (conf_t, verbose), 0, 0, 0, "false",
      "log more" },
    { "collector.timeout", CCHC_CONFIG_DURATION, offsetof (conf_t, timeout), 0, 0, INT64_MAX,
      "30s", "wait" },
    { "agent.name", CCHC_CONFIG_STRING, offsetof (conf_t, name), 17, 0, 0, "SNV",
      "unit code" },
    { "agent.offset", CCHC_CONFIG_INT, offsetof (conf_t, offset), 0, INT64_MIN, INT64_MAX, "0",
      "anything" },
    { .name = NULL }
};

static void
s_defaults (conf_t *conf)
{
    memset (conf, 0, sizeof *conf);
    char err [256];
    if (cchc_config_defaults (s_table, conf, err, sizeof err) != 0)
        abort ();
}

static bool
s_same (const conf_t *a, const conf_t *b)
{
    return strcmp (a->bind, b->bind) == 0 && a->batch_max == b->batch_max
           && a->verbose == b->verbose && a->timeout == b->timeout
           && strcmp (a->name, b->name) == 0 && a->offset == b->offset;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    conf_t conf, before;
    s_defaults (&conf);
    s_defaults (&before);
    char err [512];
    memset (err, 'x', sizeof err);
    int rc = cchc_config_load_string (s_table, &conf, "fuzz.ini", (const char *) data, size,
                                      err, sizeof err);
    if (rc != 0) {
        if (rc != -1 || !memchr (err, '\0', sizeof err) || strncmp (err, "fuzz.ini:", 9) != 0
            || !s_same (&conf, &before))
            abort ();
    }
    else {
        char *text = NULL;
        size_t len = 0;
        FILE *out = open_memstream (&text, &len);
        if (!out)
            abort ();
        cchc_config_print (s_table, &conf, out);
        fclose (out);
        conf_t back;
        s_defaults (&back);
        back.batch_max = 1;  //  make sure the file sets it
        back.verbose = !conf.verbose;
        rc = cchc_config_load_string (s_table, &back, "printed", text, len, err, sizeof err);
        if (rc != 0 || !s_same (&conf, &back)) {
            fprintf (stderr, "round trip failed (%s):\n%s", rc ? err : "values differ", text);
            abort ();
        }
        free (text);
    }

    //  The same bytes as one override.
    char *assignment = malloc (size + 1);
    if (!assignment)
        return 0;
    memcpy (assignment, data, size);
    assignment [size] = '\0';
    s_defaults (&conf);
    rc = cchc_config_set (s_table, &conf, assignment, err, sizeof err);
    if (rc != 0 && (rc != -1 || !s_same (&conf, &before)))
        abort ();
    free (assignment);
    return 0;
}
