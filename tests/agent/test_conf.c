/*  test_conf.c — the agent configuration: fixed sections through the
    settings table, [source.NAME] sections with multi-line commands and
    queries, --set overrides for both, and the refusals (unknown key,
    duplicate, bad value, missing source settings) with file:line. */
#include "tests/test.h"

#include <stdlib.h>
#include <unistd.h>

#include "agent/conf.h"
#include "common/key.h"

static char s_dir[256];

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
    char path[400];
    snprintf (path, sizeof path, "%s/agent.ini", s_dir);
    char text[4096];
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
        "enabled = no\n", s_dir, s_hex);
    s_write (path, text);
    char err[512] = "";
    cchc_agent_conf_t *c = cchc_agent_conf_new ();
    CHECK (c);
    CHECK_EQ_INT (cchc_agent_conf_load (c, path, err, sizeof err), 0);
    CHECK_EQ_INT (cchc_agent_conf_finish (c, true, err, sizeof err), 0);
    CHECK_EQ_STR (c->unit, "SNV");
    CHECK_EQ_INT (c->interval_ms, 120000);
    CHECK_EQ_INT (c->nendpoints, 2);
    CHECK_EQ_STR (c->endpoints[1], "tcp://10.0.0.2:7070");
    CHECK_EQ_INT (c->window, 4);
    CHECK_EQ_INT (c->warn_messages, 50);
    CHECK_EQ_INT (c->collector_pk[0], 0xd7);
    CHECK_EQ_INT (c->log_level_value, 7);
    CHECK_EQ_INT (c->request_timeout_ms, 10000);    /* default */
    CHECK_EQ_INT (c->max_messages, 0);              /* default: never drop */
    CHECK_EQ_INT (c->nsources, 3);
    CHECK_EQ_STR (c->sources[0].name, "motcua");
    CHECK_EQ_INT (c->sources[0].type, CCHC_SOURCE_EXEC);
    /*  ';' is not a comment in a source section */
    CHECK_EQ_STR (c->sources[0].command, "/usr/local/bin/export --since=today ; echo done");
    CHECK_EQ_INT (c->sources[0].timeout_ms, 20000);
    CHECK_EQ_INT (c->sources[1].type, CCHC_SOURCE_SQL);
    CHECK_EQ_STR (c->sources[1].query,
                  "SELECT metric, day, value FROM daily WHERE day >= 20210101");
    CHECK_EQ_INT (c->sources[2].type, CCHC_SOURCE_CSV);
    CHECK_EQ_INT (c->sources[2].interval_ms, 30000);
    CHECK (!c->sources[2].enabled);
    /*  Overrides, for the fixed part and for sources. */
    CHECK_EQ_INT (cchc_agent_conf_set (c, "agent.unit=STP", err, sizeof err), 0);
    CHECK_EQ_STR (c->unit, "STP");
    CHECK_EQ_INT (cchc_agent_conf_set (c, "source.db.query=SELECT a, b, c FROM t WHERE x = 1",
                                       err, sizeof err), 0);
    CHECK_EQ_STR (c->sources[1].query, "SELECT a, b, c FROM t WHERE x = 1");
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
    } cases[] = {
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
    char path[400];
    snprintf (path, sizeof path, "%s/bad.ini", s_dir);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        s_write (path, cases[i].text);
        cchc_agent_conf_t *c = cchc_agent_conf_new ();
        CHECK (c);
        char err[512] = "";
        int rc = cchc_agent_conf_load (c, path, err, sizeof err);
        if (rc != -1 || !strstr (err, cases[i].expect))
            fprintf (stderr, "case %zu: rc %d err '%s'\n", i, rc, err);
        CHECK_EQ_INT (rc, -1);
        CHECK (strstr (err, cases[i].expect));
        CHECK (strstr (err, "bad.ini"));
        CHECK_EQ_INT (c->nsources, 0);      /* nothing applied */
        CHECK_EQ_STR (c->unit, "");
        cchc_agent_conf_destroy (&c);
    }
    cchc_agent_conf_t *c = cchc_agent_conf_new ();
    char err[512];
    char missing[400];
    snprintf (missing, sizeof missing, "%s/none.ini", s_dir);
    CHECK_EQ_INT (cchc_agent_conf_load (c, missing, err, sizeof err), -1);
    cchc_agent_conf_destroy (&c);
}

static void
test_finish_checks (void)
{
    char err[512];
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
    char pub[400];
    snprintf (pub, sizeof pub, "%s/collector.pub", s_dir);
    char line[200];
    snprintf (line, sizeof line, "cchc-ed25519-public-v1 %s\n", s_hex);
    s_write (pub, line);
    char set[500];
    snprintf (set, sizeof set, "collector.public_key=%s", pub);
    CHECK_EQ_INT (cchc_agent_conf_set (c, set, err, sizeof err), 0);
    CHECK_EQ_INT (cchc_agent_conf_finish (c, true, err, sizeof err), 0);
    CHECK_EQ_INT (c->collector_pk[31], 0x1a);
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
                                       err, sizeof err), 0);
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
    char cmd[400];
    snprintf (cmd, sizeof cmd, "rm -rf '%s'", s_dir);
    if (system (cmd) != 0)
        fprintf (stderr, "cannot remove %s\n", s_dir);
    return CCHC_TEST_DONE ();
}
