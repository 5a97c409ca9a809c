/*  test_conf.c — the agent configuration: fixed sections through the
    settings table, [source.NAME] sections with multi-line commands and
    queries, --set overrides for both, and the refusals (unknown key,
    duplicate, bad value, missing source settings) with file:line. */
#include "tests/test.h"

#include <stdlib.h>
#include <unistd.h>

#include "agent/conf.h"
#include "common/key.h"

static char s_dir [256];

static void
s_write (const char *path, const char *text)
{
    FILE *f = fopen (path, "w");
    if (f) {
        fputs (text, f);
        fclose (f);
    }
}

static const char *s_hex = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

static void
test_full_file (void)
{
    char path [400];
    snprintf (path, sizeof path, "%s/agent.ini", s_dir);
    char text [4096];
    snprintf (text, sizeof text,
              "# cchc agent\n"
              "[agent]\n"
              "unit = SNV\n"
              "outbox = %s/outbox.db\n"
              "interval = 2m\n"
              "log_level = debug\n"
              "\n"
              "[collector]\n"
              "endpoints = tcp://10.0.0.1:7070, tcp://10.0.0.2:7070\n"
              "public_key = %s\n"
              "window = 4\n"
              "\n"
              "[source.motcua]\n"
              "type = exec\n"
              "command = /usr/local/bin/export --since=today ; echo done\n"
              "timeout = 20s\n"
              "\n"
              "[source.db]\n"
              "type = sql\n"
              "database = /srv/motcua.sqlite\n"
              "query = SELECT metric, day, value\n"
              "    FROM daily\n"
              "    WHERE day >= 20210101\n"
              "\n"
              "[outbox]\n"
              "warn_messages = 50\n"
              "[source.drop]\n"
              "type = csv\n"
              "folder = /var/spool/cchc\n"
              "interval = 30s\n"
              "enabled = no\n",
              s_dir, s_hex);
    s_write (path, text);
    char err [512] = "";
    cchc_agent_conf_t *c = cchc_agent_conf_new ();
    CHECK (c);
    CHECK_EQ_INT (cchc_agent_conf_load (c, path, err, sizeof err), 0);
    CHECK_EQ_INT (cchc_agent_conf_finish (c, true, err, sizeof err), 0);
    CHECK_EQ_STR (c->unit, "SNV");
    CHECK_EQ_INT (c->interval_ms, 120000);
    CHECK_EQ_INT (c->nendpoints, 2);
    CHECK_EQ_STR (c->endpoints [1], "tcp://10.0.0.2:7070");
    CHECK_EQ_INT (c->window, 4);
    CHECK_EQ_INT (c->warn_messages, 50);
    CHECK_EQ_INT (c->collector_pk [0], 0xd7);
    CHECK_EQ_INT (c->log_level_value, 7);
    CHECK_EQ_INT (c->request_timeout_ms, 10000); /* default */
    CHECK_EQ_INT (c->max_messages, 0);           /* default: never drop */
    CHECK_EQ_INT (c->nsources, 3);
    CHECK_EQ_STR (c->sources [0].name, "motcua");
    CHECK_EQ_INT (c->sources [0].type, CCHC_SOURCE_EXEC);
    /*  ';' is not a comment in a source section */
    CHECK_EQ_STR (c->sources [0].command, "/usr/local/bin/export --since=today ; echo done");
    CHECK_EQ_INT (c->sources [0].timeout_ms, 20000);
    CHECK_EQ_INT (c->sources [1].type, CCHC_SOURCE_SQL);
    CHECK_EQ_STR (c->sources [1].query,
                  "SELECT metric, day, value FROM daily WHERE day >= 20210101");
    CHECK_EQ_INT (c->sources [2].type, CCHC_SOURCE_CSV);
    CHECK_EQ_INT (c->sources [2].interval_ms, 30000);
    CHECK (!c->sources [2].enabled);
    /*  Overrides, for the fixed part and for sources. */
    CHECK_EQ_INT (cchc_agent_conf_set (c, "agent.unit=STP", err, sizeof err), 0);
    CHECK_EQ_STR (c->unit, "STP");
    CHECK_EQ_INT (cchc_agent_conf_set (c, "source.db.query=SELECT a, b, c FROM t WHERE x = 1",
                                       err, sizeof err),
                  0);
    CHECK_EQ_STR (c->sources [1].query, "SELECT a, b, c FROM t WHERE x = 1");
    CHECK_EQ_INT (cchc_agent_conf_set (c, "source.extra.type=exec", err, sizeof err), 0);
    CHECK_EQ_INT (c->nsources, 4);
    CHECK_EQ_INT (cchc_agent_conf_finish (c, true, err, sizeof err), -1);
    CHECK (strstr (err, "source.extra"));
    CHECK (strstr (err, "command"));
    CHECK_EQ_INT (cchc_agent_conf_set (c, "source.extra.command=true", err, sizeof err), 0);
    CHECK_EQ_INT (cchc_agent_conf_finish (c, true, err, sizeof err), 0);
    CHECK_EQ_INT (cchc_agent_conf_set (c, "source.extra.bogus=1", err, sizeof err), -1);
    CHECK_EQ_INT (cchc_agent_conf_set (c, "source.extra=1", err, sizeof err), -1);
    CHECK_EQ_INT (cchc_agent_conf_set (c, "collector.window=0", err, sizeof err), -1);
    CHECK_EQ_INT (cchc_agent_conf_set (c, "nonsense.key=1", err, sizeof err), -1);
    FILE *devnull = fopen ("/dev/null", "w");
    CHECK (devnull);
    cchc_agent_conf_print (c, devnull);
    fclose (devnull);
    cchc_agent_conf_destroy (&c);
    CHECK (c == NULL);
}

/*  Each bad file is refused with its line number and leaves the
    configuration unchanged. */
static void
test_refusals (void)
{
    struct {
        const char *text;
        const char *expect;
    } cases [] = {
        { "[agent]\nunit = SNV\nunit = STP\n", ":3:" },
        { "[agent]\nbogus = 1\n", ":2:" },
        { "[agent]\ninterval = soon\n", ":2:" },
        { "[source.a]\ntype = exec\ntype = sql\n", ":3:" },
        { "[source.a]\ntype = exec\nwhatever = 1\n", ":3:" },
        { "[source.a]\ntype = exec\n  continued\n", ":3:" },
        { "[source.a b]\ntype = exec\n", ":1:" },
        { "[source.a]\nno equals sign\n", ":2:" },
        { "[source.a]\ntimeout = 1ms\n", ":2:" },
    };
    char path [400];
    snprintf (path, sizeof path, "%s/bad.ini", s_dir);
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        s_write (path, cases [i].text);
        cchc_agent_conf_t *c = cchc_agent_conf_new ();
        CHECK (c);
        char err [512] = "";
        int rc = cchc_agent_conf_load (c, path, err, sizeof err);
        if (rc != -1 || !strstr (err, cases [i].expect))
            fprintf (stderr, "case %zu: rc %d err '%s'\n", i, rc, err);
        CHECK_EQ_INT (rc, -1);
        CHECK (strstr (err, cases [i].expect));
        CHECK (strstr (err, "bad.ini"));
        CHECK_EQ_INT (c->nsources, 0); /* nothing applied */
        CHECK_EQ_STR (c->unit, "");
        cchc_agent_conf_destroy (&c);
    }
    cchc_agent_conf_t *c = cchc_agent_conf_new ();
    char err [512];
    char missing [400];
    snprintf (missing, sizeof missing, "%s/none.ini", s_dir);
    CHECK_EQ_INT (cchc_agent_conf_load (c, missing, err, sizeof err), -1);
    cchc_agent_conf_destroy (&c);
}

static void
test_finish_checks (void)
{
    char err [512];
    cchc_agent_conf_t *c = cchc_agent_conf_new ();
    CHECK (c);
    /*  Only the outbox is needed for outbox-side commands. */
    CHECK_EQ_INT (cchc_agent_conf_finish (c, false, err, sizeof err), 0);
    CHECK_EQ_INT (cchc_agent_conf_finish (c, true, err, sizeof err), -1);
    CHECK (strstr (err, "agent.unit"));
    CHECK_EQ_INT (cchc_agent_conf_set (c, "agent.unit=bad unit!", err, sizeof err), 0);
    CHECK_EQ_INT (cchc_agent_conf_finish (c, true, err, sizeof err), -1);
    CHECK_EQ_INT (cchc_agent_conf_set (c, "agent.unit=02200", err, sizeof err), 0);
    CHECK_EQ_INT (cchc_agent_conf_finish (c, true, err, sizeof err), -1);
    CHECK (strstr (err, "public_key"));
    /*  The key as a .pub file */
    char pub [400];
    snprintf (pub, sizeof pub, "%s/collector.pub", s_dir);
    char line [200];
    snprintf (line, sizeof line, "cchc-ed25519-public-v1 %s\n", s_hex);
    s_write (pub, line);
    char set [500];
    snprintf (set, sizeof set, "collector.public_key=%s", pub);
    CHECK_EQ_INT (cchc_agent_conf_set (c, set, err, sizeof err), 0);
    CHECK_EQ_INT (cchc_agent_conf_finish (c, true, err, sizeof err), 0);
    CHECK_EQ_INT (c->collector_pk [31], 0x1a);
    CHECK_EQ_INT (cchc_agent_conf_set (c, "collector.public_key=00zz", err, sizeof err), 0);
    CHECK_EQ_INT (cchc_agent_conf_finish (c, true, err, sizeof err), -1);
    snprintf (set, sizeof set, "collector.public_key=%s", s_hex);
    CHECK_EQ_INT (cchc_agent_conf_set (c, set, err, sizeof err), 0);
    CHECK_EQ_INT (cchc_agent_conf_set (c, "collector.endpoints=http://x", err, sizeof err), 0);
    CHECK_EQ_INT (cchc_agent_conf_finish (c, true, err, sizeof err), -1);
    CHECK (strstr (err, "endpoints"));
    CHECK_EQ_INT (cchc_agent_conf_set (c, "collector.endpoints= , ", err, sizeof err), 0);
    CHECK_EQ_INT (cchc_agent_conf_finish (c, true, err, sizeof err), -1);
    CHECK_EQ_INT (cchc_agent_conf_set (c, "collector.endpoints=tcp://a:1 tcp://b:2,tcp://c:3",
                                       err, sizeof err),
                  0);
    CHECK_EQ_INT (cchc_agent_conf_finish (c, true, err, sizeof err), 0);
    CHECK_EQ_INT (c->nendpoints, 3);
    CHECK_EQ_INT (cchc_agent_conf_set (c, "agent.log_level=loud", err, sizeof err), 0);
    CHECK_EQ_INT (cchc_agent_conf_finish (c, true, err, sizeof err), -1);
    CHECK_EQ_INT (cchc_agent_conf_set (c, "agent.log_level=warn", err, sizeof err), 0);
    CHECK_EQ_INT (cchc_agent_conf_set (c, "source.q.type=sql", err, sizeof err), 0);
    CHECK_EQ_INT (cchc_agent_conf_set (c, "source.q.database=/x.db", err, sizeof err), 0);
    CHECK_EQ_INT (cchc_agent_conf_finish (c, true, err, sizeof err), -1);
    CHECK (strstr (err, "query"));
    CHECK_EQ_INT (cchc_agent_conf_set (c, "source.q.query=SELECT 1,2,3", err, sizeof err), 0);
    CHECK_EQ_INT (cchc_agent_conf_set (c, "source.q.folder=/tmp", err, sizeof err), 0);
    CHECK_EQ_INT (cchc_agent_conf_finish (c, true, err, sizeof err), -1);
    CHECK (strstr (err, "do not apply"));
    CHECK_EQ_INT (cchc_agent_conf_set (c, "source.r.type=ftp", err, sizeof err), 0);
    cchc_agent_conf_destroy (&c);
}

/*  Found by fuzz/agent/fuzz_agent_conf: a refused "--set source.NAME.key"
    left the source it had just created behind. */
static void
test_refused_override_changes_nothing (void)
{
    char err [512];
    cchc_agent_conf_t *c = cchc_agent_conf_new ();
    CHECK (c);
    CHECK_EQ_INT (cchc_agent_conf_set (c, "source.x.c.x.command=echo hi", err, sizeof err),
                  -1);
    CHECK (err [0]);
    CHECK_EQ_INT (c->nsources, 0);
    CHECK_EQ_INT (cchc_agent_conf_set (c, "source.y.=1", err, sizeof err), -1);
    CHECK_EQ_INT (c->nsources, 0);
    CHECK_EQ_INT (cchc_agent_conf_set (c, "source.y.timeout=1ms", err, sizeof err), -1);
    CHECK_EQ_INT (c->nsources, 0);
    /*  An existing source stays, unchanged. */
    CHECK_EQ_INT (cchc_agent_conf_set (c, "source.y.type=exec", err, sizeof err), 0);
    CHECK_EQ_INT (cchc_agent_conf_set (c, "source.y.timeout=1ms", err, sizeof err), -1);
    CHECK_EQ_INT (c->nsources, 1);
    CHECK_EQ_STR (c->sources [0].type_text, "exec");
    CHECK_EQ_INT (c->sources [0].timeout_ms, 30000);
    cchc_agent_conf_destroy (&c);
}

/*  cchc_agent_conf_load_string: the file's text gives the same settings,
    refusals name the given name and change nothing. */
static void
test_load_string (void)
{
    const char *text = "[agent]\nunit = SNV\n[source.a]\ntype = exec\n"
                       "command = echo 1 ; echo 2\n  | cat\n[outbox]\nmax_messages = 5";
    char path [400];
    snprintf (path, sizeof path, "%s/string.ini", s_dir);
    s_write (path, text);
    char err [512] = "";
    cchc_agent_conf_t *f = cchc_agent_conf_new ();
    cchc_agent_conf_t *c = cchc_agent_conf_new ();
    CHECK (f && c);
    CHECK_EQ_INT (cchc_agent_conf_load (f, path, err, sizeof err), 0);
    size_t len = strlen (text);
    char *copy = malloc (len); /* no NUL after it */
    CHECK (copy);
    memcpy (copy, text, len);
    int rc = cchc_agent_conf_load_string (c, "mem.ini", copy, len, err, sizeof err);
    free (copy);
    CHECK_EQ_INT (rc, 0);
    CHECK_EQ_STR (c->unit, "SNV");
    CHECK_EQ_INT (c->max_messages, 5);
    CHECK_EQ_INT (c->nsources, 1);
    CHECK_EQ_STR (c->sources [0].command, "echo 1 ; echo 2 | cat");
    CHECK_EQ_STR (c->sources [0].command, f->sources [0].command);
    const char *bad = "[agent]\nbogus = 1\n";
    CHECK_EQ_INT (
        cchc_agent_conf_load_string (c, "mem.ini", bad, strlen (bad), err, sizeof err), -1);
    CHECK (strncmp (err, "mem.ini:2:", 10) == 0);
    /*  A good source section, then a bad fixed one: the source is not kept. */
    bad = "[source.b]\ntype = exec\n[agent]\nunit = STP\nbogus = 1\n";
    CHECK_EQ_INT (
        cchc_agent_conf_load_string (c, "mem.ini", bad, strlen (bad), err, sizeof err), -1);
    CHECK (strncmp (err, "mem.ini:5:", 10) == 0);
    CHECK_EQ_INT (c->nsources, 1); /* nothing applied */
    CHECK_EQ_STR (c->unit, "SNV");
    CHECK_EQ_INT (cchc_agent_conf_load_string (c, "mem.ini", NULL, 0, err, sizeof err), 0);
    cchc_agent_conf_destroy (&c);
    cchc_agent_conf_destroy (&f);
}

/*  Found by fuzz/agent/fuzz_agent_conf (the printed configuration must
    load back to the same): a source line longer than the settings table's
    199-byte limit was refused although the field holds 2047 bytes (and
    "check" printed such lines for commands written over several lines); a
    continuation of an empty command gained a leading space; a NUL byte in
    a source line cut the value short unseen. */
static void
test_source_lines (void)
{
    char long_cmd [700], text [1200];
    memset (long_cmd, 'x', 600);
    memcpy (long_cmd, "echo ", 5);
    long_cmd [600] = 0;
    snprintf (text, sizeof text,
              "[agent]\nunit = SNV\n[source.a]\ntype = exec\n"
              "command = %s\n[outbox]\nmax_messages = 3\nbogus = 1\n",
              long_cmd);
    char err [512] = "";
    cchc_agent_conf_t *c = cchc_agent_conf_new ();
    CHECK (c);
    /*  The line numbers after the long line are still right. */
    CHECK_EQ_INT (
        cchc_agent_conf_load_string (c, "m.ini", text, strlen (text), err, sizeof err), -1);
    CHECK (strncmp (err, "m.ini:8:", 8) == 0);
    *strstr (text, "bogus") = 0;
    CHECK_EQ_INT (
        cchc_agent_conf_load_string (c, "m.ini", text, strlen (text), err, sizeof err), 0);
    CHECK_EQ_STR (c->sources [0].command, long_cmd);
    CHECK_EQ_INT (c->max_messages, 3);
    /*  What print writes loads back. */
    char *printed = NULL;
    size_t plen = 0;
    FILE *out = open_memstream (&printed, &plen);
    CHECK (out);
    cchc_agent_conf_print (c, out);
    fclose (out);
    cchc_agent_conf_t *back = cchc_agent_conf_new ();
    int rc = cchc_agent_conf_load_string (back, "printed", printed, plen, err, sizeof err);
    free (printed);
    if (rc != 0)
        fprintf (stderr, "  %s\n", err);
    CHECK_EQ_INT (rc, 0);
    CHECK_EQ_STR (back->sources [0].command, long_cmd);
    cchc_agent_conf_destroy (&back);
    cchc_agent_conf_destroy (&c);

    const char *empty_first = "[source.b]\ntype = exec\ncommand =\n    echo hi\n";
    c = cchc_agent_conf_new ();
    CHECK_EQ_INT (cchc_agent_conf_load_string (c, "m.ini", empty_first, strlen (empty_first),
                                               err, sizeof err),
                  0);
    CHECK_EQ_STR (c->sources [0].command, "echo hi");
    cchc_agent_conf_destroy (&c);

    const char nul [] = "[source.b]\ntype = exec\ncommand = rm -rf /tmp/x\0 && echo\n";
    c = cchc_agent_conf_new ();
    CHECK_EQ_INT (
        cchc_agent_conf_load_string (c, "m.ini", nul, sizeof nul - 1, err, sizeof err), -1);
    CHECK (strstr (err, "m.ini:3: line contains a NUL byte"));
    CHECK_EQ_INT (c->nsources, 0);
    cchc_agent_conf_destroy (&c);
}

int
main (void)
{
    snprintf (s_dir, sizeof s_dir, "/tmp/cchc-test-conf-XXXXXX");
    if (!mkdtemp (s_dir)) {
        perror ("mkdtemp");
        return 1;
    }
    CCHC_TEST_RUN (test_full_file);
    CCHC_TEST_RUN (test_refusals);
    CCHC_TEST_RUN (test_finish_checks);
    CCHC_TEST_RUN (test_refused_override_changes_nothing);
    CCHC_TEST_RUN (test_load_string);
    CCHC_TEST_RUN (test_source_lines);
    char cmd [400];
    snprintf (cmd, sizeof cmd, "rm -rf '%s'", s_dir);
    if (system (cmd) != 0)
        fprintf (stderr, "cannot remove %s\n", s_dir);
    return CCHC_TEST_DONE ();
}
