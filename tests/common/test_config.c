/*  test_config.c — the settings table (common/config.h): defaults, INI files
    and strings through inih, every refusal with its "name:line: reason",
    atomicity of a failed load, --set overrides, and print -> load round trip. */
#include "common/config.h"
#include "tests/test.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    char bind [32];
    int64_t batch_max;
    bool verbose;
    int64_t timeout;
    char name [8];
    int64_t offset;
    bool strict;
} conf_t;

static const cchc_config_entry_t s_table [] = {
    { "collector.bind", CCHC_CONFIG_STRING, offsetof (conf_t, bind), 32, 0, 0,
      "tcp://127.0.0.1:7070", "ROUTER endpoint agents connect to" },
    { "collector.batch_max", CCHC_CONFIG_INT, offsetof (conf_t, batch_max), 0, 1, 10000, "256",
      "messages per group commit" },
    { "collector.verbose", CCHC_CONFIG_BOOL, offsetof (conf_t, verbose), 0, 0, 0, "false",
      "log every message" },
    { "collector.timeout", CCHC_CONFIG_DURATION, offsetof (conf_t, timeout), 0, 100, 86400000,
      "30s", "how long to wait" },
    { "agent.name", CCHC_CONFIG_STRING, offsetof (conf_t, name), 8, 0, 0, "SNV", "unit code" },
    { "agent.offset", CCHC_CONFIG_INT, offsetof (conf_t, offset), 0, -100, 100, NULL,
      "no default: zero" },
    { "agent.strict", CCHC_CONFIG_BOOL, offsetof (conf_t, strict), 0, 0, 0, "yes", NULL },
    { .name = NULL }
};

static int
s_defaults (conf_t *conf)
{
    memset (conf, 0x5a, sizeof *conf);
    char err [256];
    return cchc_config_defaults (s_table, conf, err, sizeof err);
}

//  Load `text` into a fresh default conf; returns the rc, err holds the message.
static int
s_load (const char *text, conf_t *conf, char *err, size_t errlen)
{
    if (s_defaults (conf) != 0)
        return -2;
    err [0] = '\0';
    return cchc_config_load_string (s_table, conf, "sample.ini", text, strlen (text), err,
                                    errlen);
}

static void
test_defaults (void)
{
    conf_t conf;
    CHECK_EQ_INT (s_defaults (&conf), 0);
    CHECK_EQ_STR (conf.bind, "tcp://127.0.0.1:7070");
    CHECK_EQ_INT (conf.batch_max, 256);
    CHECK (conf.verbose == false);
    CHECK_EQ_INT (conf.timeout, 30000);
    CHECK_EQ_STR (conf.name, "SNV");
    CHECK_EQ_INT (conf.offset, 0);
    CHECK (conf.strict == true);

    //  A bad default is reported.
    static const cchc_config_entry_t bad [] = {
        { "a.n", CCHC_CONFIG_INT, 0, 0, 1, 10, "11", "h" }, { .name = NULL }
    };
    int64_t n;
    char err [256];
    CHECK_EQ_INT (cchc_config_defaults (bad, &n, err, sizeof err), -1);
    CHECK_EQ_STR (err, "invalid default: a.n: 11 is out of bounds [1, 10]");
}

static void
test_load_good (void)
{
    conf_t conf;
    char err [256];
    const char *text = "\xef\xbb\xbf# a comment\n"
                       "; another comment\n"
                       "\n"
                       "[collector]\n"
                       "bind = tcp://0.0.0.0:7070   ; inline comment\n"
                       "batch_max=500\r\n"
                       "verbose = YES\n"
                       "timeout = 5m\n"
                       "  # indented comment\n"
                       "[agent]\n"
                       "  name = UBND.1\n"
                       "offset = -100\n"
                       "strict = off";
    int rc = s_load (text, &conf, err, sizeof err);
    if (rc)
        fprintf (stderr, "%s\n", err);
    CHECK_EQ_INT (rc, 0);
    CHECK_EQ_STR (conf.bind, "tcp://0.0.0.0:7070");
    CHECK_EQ_INT (conf.batch_max, 500);
    CHECK (conf.verbose == true);
    CHECK_EQ_INT (conf.timeout, 300000);
    CHECK_EQ_STR (conf.name, "UBND.1");
    CHECK_EQ_INT (conf.offset, -100);
    CHECK (conf.strict == false);

    //  An empty file and a file of comments change nothing.
    CHECK_EQ_INT (s_load ("", &conf, err, sizeof err), 0);
    CHECK_EQ_INT (conf.batch_max, 256);
    CHECK_EQ_INT (s_load ("# nothing\n\n", &conf, err, sizeof err), 0);

    //  Every boolean and duration spelling.
    static const struct {
        const char *text;
        bool value;
    } bools [] = { { "true", true },   { "yes", true }, { "on", true },   { "1", true },
                   { "false", false }, { "no", false }, { "off", false }, { "0", false },
                   { "True", true },   { "OFF", false } };
    for (size_t i = 0; i < sizeof bools / sizeof bools [0]; i++) {
        char line [64];
        snprintf (line, sizeof line, "[collector]\nverbose = %s\n", bools [i].text);
        CHECK_EQ_INT (s_load (line, &conf, err, sizeof err), 0);
        CHECK (conf.verbose == bools [i].value);
    }
    static const struct {
        const char *text;
        int64_t ms;
    } durations [] = { { "500ms", 500 },  { "30s", 30000 },   { "5m", 300000 },
                       { "2h", 7200000 }, { "1d", 86400000 }, { "1500", 1500 },
                       { "100", 100 },    { "0s100", -1 } };
    for (size_t i = 0; i < sizeof durations / sizeof durations [0]; i++) {
        char line [64];
        snprintf (line, sizeof line, "[collector]\ntimeout = %s\n", durations [i].text);
        rc = s_load (line, &conf, err, sizeof err);
        if (durations [i].ms < 0)
            CHECK_EQ_INT (rc, -1);
        else {
            CHECK_EQ_INT (rc, 0);
            CHECK_EQ_INT (conf.timeout, durations [i].ms);
        }
    }
}

//  Each bad file is refused with exactly this message, and changes nothing.
static void
test_load_errors (void)
{
    char long_line [300];
    snprintf (long_line, sizeof long_line, "[collector]\n# %0250d\n", 0);
    char just_fits [300];
    snprintf (just_fits, sizeof just_fits, "[collector]\n#%0198d\nbatch_max = 7\n", 0);

    struct {
        const char *text, *message;
    } cases [] = {
        { "[collector]\nbatch_max = 5\nnope = 1\n",
          "sample.ini:3: unknown key 'collector.nope'" },
        { "[collecter]\nbind = x\n", "sample.ini:2: unknown key 'collecter.bind'" },
        { "batch_max = 5\n", "sample.ini:1: unknown key 'batch_max' (outside any [section])" },
        { "[collector]\nbatch_max = 5\nverbose = 1\nbatch_max = 6\n",
          "sample.ini:4: duplicate key 'collector.batch_max' (first set on line 2)" },
        { "[collector]\nbatch_max = 5\n[agent]\nname = A\n[collector]\nbatch_max = 6\n",
          "sample.ini:6: duplicate key 'collector.batch_max' (first set on line 2)" },
        { "[collector]\nbatch_max = 0\n",
          "sample.ini:2: collector.batch_max: 0 is out of bounds [1, 10000]" },
        { "[collector]\nbatch_max = 10001\n",
          "sample.ini:2: collector.batch_max: 10001 is out of bounds [1, 10000]" },
        { "[collector]\nbatch_max = 99999999999999999999\n",
          "sample.ini:2: collector.batch_max: '99999999999999999999' is not an integer" },
        { "[collector]\nbatch_max = 12abc\n",
          "sample.ini:2: collector.batch_max: '12abc' is not an integer" },
        { "[collector]\nbatch_max =\n",
          "sample.ini:2: collector.batch_max: '' is not an integer" },
        { "[agent]\noffset = -101\n",
          "sample.ini:2: agent.offset: -101 is out of bounds [-100, 100]" },
        { "[collector]\nverbose = maybe\n",
          "sample.ini:2: collector.verbose: 'maybe' is not a boolean "
          "(true/false, yes/no, on/off, 1/0)" },
        { "[collector]\ntimeout = 5x\n",
          "sample.ini:2: collector.timeout: '5x' is not a duration "
          "(like 500ms, 30s, 5m, 2h, 1d, or a number of ms)" },
        { "[collector]\ntimeout = -5s\n",
          "sample.ini:2: collector.timeout: '-5s' is not a duration "
          "(like 500ms, 30s, 5m, 2h, 1d, or a number of ms)" },
        { "[collector]\ntimeout = 5 s\n",
          "sample.ini:2: collector.timeout: '5 s' is not a duration "
          "(like 500ms, 30s, 5m, 2h, 1d, or a number of ms)" },
        { "[collector]\ntimeout = 9999999999999999d\n",
          "sample.ini:2: collector.timeout: '9999999999999999d' is not a duration "
          "(like 500ms, 30s, 5m, 2h, 1d, or a number of ms)" },
        { "[collector]\ntimeout = 2d\n",
          "sample.ini:2: collector.timeout: 2d is out of bounds [100ms, 1d]" },
        { "[collector]\ntimeout = 99ms\n",
          "sample.ini:2: collector.timeout: 99ms is out of bounds [100ms, 1d]" },
        { "[agent]\nname = ABCDEFGH\n",
          "sample.ini:2: agent.name: value is too long (8 bytes, at most 7)" },
        { "[agent]\nname = \xc3\x28\n", "sample.ini:2: agent.name: value is not valid UTF-8" },
        { "[collector]\nbatch_max = 5\nthis is not a setting\n",
          "sample.ini:3: expected 'key = value', '[section]' or a comment" },
        { "[collector\nbatch_max = 5\n",
          "sample.ini:1: section header without a closing ']'" },
        { "[collector]\nbatch_max = 5\n   verbose = true\n",
          "sample.ini:3: indented line would continue the value of 'batch_max'; "
          "remove the indentation" },
        { long_line, "sample.ini:2: line is too long (at most 199 bytes)" },
        //  The first error wins, whichever kind it is.
        { "[collector]\nbad line\nnope = 1\n",
          "sample.ini:2: expected 'key = value', '[section]' or a comment" },
        { "[collector]\nnope = 1\nbad line\n", "sample.ini:2: unknown key 'collector.nope'" },
        { NULL, NULL }
    };
    for (int i = 0; cases [i].text; i++) {
        conf_t conf, before;
        char err [512];
        CHECK_EQ_INT (s_defaults (&before), 0);
        int rc = s_load (cases [i].text, &conf, err, sizeof err);
        if (rc != -1 || strcmp (err, cases [i].message) != 0)
            fprintf (stderr, "case %d: rc %d, '%s'\n", i, rc, err);
        CHECK_EQ_INT (rc, -1);
        CHECK_EQ_STR (err, cases [i].message);
        CHECK (memcmp (&conf, &before, sizeof conf) == 0);  //  unchanged
    }

    //  199 bytes is fine.
    conf_t conf;
    char err [512];
    int rc = s_load (just_fits, &conf, err, sizeof err);
    if (rc)
        fprintf (stderr, "%s\n", err);
    CHECK_EQ_INT (rc, 0);
    CHECK_EQ_INT (conf.batch_max, 7);

    //  A NUL byte inside the text.
    CHECK_EQ_INT (s_defaults (&conf), 0);
    const char with_nul [] = "[collector]\nbatch_max = 5\nbi\0nd = x\n";
    rc = cchc_config_load_string (s_table, &conf, "n.ini", with_nul, sizeof with_nul - 1, err,
                                  sizeof err);
    CHECK_EQ_INT (rc, -1);
    CHECK_EQ_STR (err, "n.ini:3: line contains a NUL byte");
    CHECK_EQ_INT (conf.batch_max, 256);

    //  The length is honoured: text need not end with a NUL.
    const char *prefix = "[collector]\nbatch_max = 42junk";
    rc = cchc_config_load_string (s_table, &conf, "p.ini", prefix, strlen (prefix) - 4, err,
                                  sizeof err);
    CHECK_EQ_INT (rc, 0);
    CHECK_EQ_INT (conf.batch_max, 42);
}

static void
test_load_file (void)
{
    char path [256];
    const char *tmp = getenv ("TMPDIR");
    snprintf (path, sizeof path, "%s/cchc-test-config-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    int fd = mkstemp (path);
    CHECK (fd >= 0);
    const char *text = "[collector]\nbatch_max = 9\n\n[agent]\nname = TOOLONGNAME\n";
    CHECK_EQ_INT (write (fd, text, strlen (text)), (long long) strlen (text));
    close (fd);

    conf_t conf;
    CHECK_EQ_INT (s_defaults (&conf), 0);
    char err [512], expect [600];
    int rc = cchc_config_load (s_table, &conf, path, err, sizeof err);
    snprintf (expect, sizeof expect,
              "%s:5: agent.name: value is too long (11 bytes, at most 7)", path);
    unlink (path);
    CHECK_EQ_INT (rc, -1);
    CHECK_EQ_STR (err, expect);
    CHECK_EQ_INT (conf.batch_max, 256);

    rc = cchc_config_load (s_table, &conf, path, err, sizeof err);
    snprintf (expect, sizeof expect, "%s: No such file or directory", path);
    CHECK_EQ_INT (rc, -1);
    CHECK_EQ_STR (err, expect);

    //  Two files may set the same key: the later wins.
    memcpy (path + strlen (path) - 6, "XXXXXX", 6);
    fd = mkstemp (path);
    CHECK (fd >= 0);
    text = "[collector]\nbatch_max = 11\n";
    CHECK_EQ_INT (write (fd, text, strlen (text)), (long long) strlen (text));
    close (fd);
    CHECK_EQ_INT (cchc_config_load (s_table, &conf, path, err, sizeof err), 0);
    CHECK_EQ_INT (conf.batch_max, 11);
    text = "[collector]\nbatch_max=12";
    CHECK_EQ_INT (
        cchc_config_load_string (s_table, &conf, "b", text, strlen (text), err, sizeof err),
        0);
    CHECK_EQ_INT (conf.batch_max, 12);
    unlink (path);

    //  A folder is not a configuration file.
    rc = cchc_config_load (s_table, &conf, "/", err, sizeof err);
    CHECK_EQ_INT (rc, -1);
    CHECK (strncmp (err, "/: ", 3) == 0);
}

static void
test_set (void)
{
    conf_t conf;
    char err [512];
    CHECK_EQ_INT (s_defaults (&conf), 0);
    CHECK_EQ_INT (cchc_config_set (s_table, &conf, "collector.batch_max=77", err, sizeof err),
                  0);
    CHECK_EQ_INT (conf.batch_max, 77);
    CHECK_EQ_INT (
        cchc_config_set (s_table, &conf, "collector.bind=ipc:///run/x=y", err, sizeof err), 0);
    CHECK_EQ_STR (conf.bind, "ipc:///run/x=y");
    CHECK_EQ_INT (cchc_config_set (s_table, &conf, "agent.name=", err, sizeof err), 0);
    CHECK_EQ_STR (conf.name, "");
    CHECK_EQ_INT (cchc_config_set (s_table, &conf, "collector.timeout=1h", err, sizeof err),
                  0);
    CHECK_EQ_INT (conf.timeout, 3600000);

    CHECK_EQ_INT (cchc_config_set (s_table, &conf, "collector.nope=1", err, sizeof err), -1);
    CHECK_EQ_STR (err, "--set: unknown key 'collector.nope'");
    CHECK_EQ_INT (cchc_config_set (s_table, &conf, "collector.batch_max", err, sizeof err),
                  -1);
    CHECK_EQ_STR (err, "--set collector.batch_max: expected section.key=value");
    CHECK_EQ_INT (cchc_config_set (s_table, &conf, "=5", err, sizeof err), -1);
    CHECK_EQ_INT (cchc_config_set (s_table, &conf, "collector.batch_max=0", err, sizeof err),
                  -1);
    CHECK_EQ_STR (err, "--set collector.batch_max: 0 is out of bounds [1, 10000]");
    CHECK_EQ_INT (cchc_config_set (s_table, &conf, "collector.batch_max= 5", err, sizeof err),
                  -1);
    CHECK_EQ_INT (cchc_config_set (s_table, &conf, "agent.name=ABCDEFGH", err, sizeof err),
                  -1);
    CHECK_EQ_STR (err, "--set agent.name: value is too long (8 bytes, at most 7)");
    CHECK_EQ_INT (conf.batch_max, 77);
    CHECK_EQ_STR (conf.name, "");
}

static void
test_print_round_trip (void)
{
    conf_t conf;
    char err [512];
    CHECK_EQ_INT (s_defaults (&conf), 0);
    CHECK_EQ_INT (cchc_config_set (s_table, &conf, "collector.timeout=1500", err, sizeof err),
                  0);
    CHECK_EQ_INT (cchc_config_set (s_table, &conf, "agent.offset=-7", err, sizeof err), 0);
    CHECK_EQ_INT (cchc_config_set (s_table, &conf, "collector.verbose=on", err, sizeof err),
                  0);

    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream (&text, &len);
    CHECK (out);
    cchc_config_print (s_table, &conf, out);
    fclose (out);
    const char *expect = "[collector]\n"
                         "# ROUTER endpoint agents connect to\n"
                         "bind = tcp://127.0.0.1:7070\n"
                         "# messages per group commit\n"
                         "batch_max = 256\n"
                         "# log every message\n"
                         "verbose = true\n"
                         "# how long to wait\n"
                         "timeout = 1500ms\n"
                         "\n"
                         "[agent]\n"
                         "# unit code\n"
                         "name = SNV\n"
                         "# no default: zero\n"
                         "offset = -7\n"
                         "strict = true\n";
    int same = strcmp (text, expect) == 0;
    if (!same)
        fprintf (stderr, "printed:\n%s", text);

    //  What is printed loads back to the same values.
    conf_t back;
    memset (&back, 0, sizeof back);
    CHECK_EQ_INT (s_defaults (&back), 0);
    back.verbose = false;
    back.timeout = 1;
    int rc = cchc_config_load_string (s_table, &back, "printed", text, len, err, sizeof err);
    free (text);
    CHECK (same);
    CHECK_EQ_INT (rc, 0);
    CHECK_EQ_STR (back.bind, conf.bind);
    CHECK_EQ_INT (back.batch_max, conf.batch_max);
    CHECK (back.verbose == conf.verbose);
    CHECK_EQ_INT (back.timeout, conf.timeout);
    CHECK_EQ_STR (back.name, conf.name);
    CHECK_EQ_INT (back.offset, conf.offset);
    CHECK (back.strict == conf.strict);

    //  A value starting with ';' (found by fuzz_config) survives printing:
    //  inih would take " ;" as the start of a comment.
    CHECK_EQ_INT (s_load ("[collector]\nbind =;x ;y\n", &conf, err, sizeof err), 0);
    CHECK_EQ_STR (conf.bind, ";x");
    out = open_memstream (&text, &len);
    CHECK (out);
    cchc_config_print (s_table, &conf, out);
    fclose (out);
    CHECK_EQ_INT (s_defaults (&back), 0);
    rc = cchc_config_load_string (s_table, &back, "printed", text, len, err, sizeof err);
    free (text);
    CHECK_EQ_INT (rc, 0);
    CHECK_EQ_STR (back.bind, ";x");
}

int
main (void)
{
    CCHC_TEST_RUN (test_defaults);
    CCHC_TEST_RUN (test_load_good);
    CCHC_TEST_RUN (test_load_errors);
    CCHC_TEST_RUN (test_load_file);
    CCHC_TEST_RUN (test_set);
    CCHC_TEST_RUN (test_print_round_trip);
    return CCHC_TEST_DONE ();
}
