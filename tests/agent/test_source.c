/*  test_source.c — the exec source and the line format: bad lines reported
    with their numbers and skipped, the default date, failing commands,
    a hanging command (and what it started) killed within its timeout,
    output limits; and the sql source: read-only, one statement, rows of
    (metric, date, value), bad rows counted, runaway queries interrupted. */
#include "tests/test.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sqlite3.h>

#include "agent/source.h"
#include "common/clock.h"

static char s_dir [256];
static cchc_date_t s_today;

static void
test_lines (void)
{
    const char *text = "# comment\n"
                       "tthc_received 12\n"
                       "\n"
                       "tthc_resolved\t7 2021-03-01\n"
                       "Bad_Metric 1\n"             /* line 5: bad code */
                       "tthc_postal abc\n"          /* line 6: bad value */
                       "tthc_postal 3 2021-02-30\n" /* line 7: bad date */
                       "survey_satisfied 0.85 2021-03-02\r\n"
                       "tthc_postal\n"                    /* line 9: too few fields */
                       "tthc_postal 1 2021-03-01 extra\n" /* line 10: too many */
                       "docs_sent 1e3\n"
                       "docs_sent 5 2999-01-01\n" /* line 12: future */
                       "docs_sent -4 2021-01-01"; /* no final newline */
    cchc_source_result_t res;
    cchc_source_result_init (&res);
    cchc_source_parse_lines (text, strlen (text), s_today, &res);
    CHECK_EQ_INT (res.nobs, 5);
    CHECK_EQ_INT (res.nbad, 6);
    CHECK_EQ_STR (res.obs [0].metric, "tthc_received");
    CHECK_EQ_INT (res.obs [0].ival, 12);
    CHECK_EQ_INT (res.obs [0].date, s_today);
    CHECK (!res.obs [0].is_float);
    CHECK_EQ_INT (res.obs [1].date, cchc_date_from_ymd (2021, 3, 1));
    CHECK (res.obs [2].is_float);
    CHECK_NEAR (res.obs [2].fval, 0.85, 1e-12);
    CHECK (res.obs [3].is_float);
    CHECK_NEAR (res.obs [3].fval, 1000.0, 1e-9);
    CHECK_EQ_INT (res.obs [4].ival, -4);
    CHECK (strstr (res.problems, "line 5:"));
    CHECK (strstr (res.problems, "line 6:"));
    CHECK (strstr (res.problems, "line 7:"));
    CHECK (strstr (res.problems, "line 9:"));
    CHECK (strstr (res.problems, "line 10:"));
    CHECK (strstr (res.problems, "line 12:"));
    CHECK (!strstr (res.problems, "line 4:"));
    cchc_source_result_clear (&res);
    /*  Binary junk does not crash and is reported. */
    const char junk [] = "tthc_received 1\n\xff\xfe\x00zz 3\n";
    cchc_source_result_init (&res);
    cchc_source_parse_lines (junk, sizeof junk - 1, s_today, &res);
    CHECK_EQ_INT (res.nobs, 1);
    CHECK_EQ_INT (res.nbad, 1);
    CHECK (strstr (res.problems, "line 2:"));
    cchc_source_result_clear (&res);
}

static void
test_exec_ok (void)
{
    cchc_source_result_t res;
    cchc_source_result_init (&res);
    char err [512] = "";
    int rc = cchc_exec_run ("printf 'tthc_received 5\\nbroken line here too\\n"
                            "tthc_resolved 3 2021-03-01\\n'; echo progress >&2",
                            5000, 1 << 20, s_today, &res, err, sizeof err);
    CHECK_EQ_INT (rc, 0);
    CHECK_EQ_INT (res.nobs, 2);
    CHECK_EQ_INT (res.nbad, 1);
    CHECK (strstr (res.problems, "line 2:"));
    CHECK_EQ_INT (res.obs [1].ival, 3);
    cchc_source_result_clear (&res);
}

static void
test_exec_fails (void)
{
    cchc_source_result_t res;
    cchc_source_result_init (&res);
    char err [512] = "";
    int rc = cchc_exec_run ("echo tthc_received 5; echo 'database locked' >&2; exit 3", 5000,
                            1 << 20, s_today, &res, err, sizeof err);
    CHECK_EQ_INT (rc, -1);
    CHECK (strstr (err, "status 3"));
    CHECK (strstr (err, "database locked"));
    CHECK_EQ_INT (res.nobs, 0); /* a failed run's output is not used */
    rc = cchc_exec_run ("/nonexistent/command", 5000, 1 << 20, s_today, &res, err, sizeof err);
    CHECK_EQ_INT (rc, -1);
    CHECK (strstr (err, "status 127"));
    rc = cchc_exec_run ("kill -TERM $$", 5000, 1 << 20, s_today, &res, err, sizeof err);
    CHECK_EQ_INT (rc, -1);
    CHECK (strstr (err, "signal 15"));
    cchc_source_result_clear (&res);
}

/*  A command that hangs, with a background child that would hang too:
    both are killed when the timeout passes, and the call returns soon. */
static void
test_exec_hang (void)
{
    char pidfile [300];
    snprintf (pidfile, sizeof pidfile, "%s/grandchild.pid", s_dir);
    char cmd [600];
    snprintf (cmd, sizeof cmd, "echo tthc_received 1; sleep 120 & echo $! > %s; sleep 120",
              pidfile);
    cchc_source_result_t res;
    cchc_source_result_init (&res);
    char err [512] = "";
    int64_t t0 = cchc_clock_mono_ms ();
    int rc = cchc_exec_run (cmd, 300, 1 << 20, s_today, &res, err, sizeof err);
    int64_t took = cchc_clock_mono_ms () - t0;
    CHECK_EQ_INT (rc, -1);
    CHECK (strstr (err, "timed out"));
    CHECK (took >= 290);
    CHECK (took < 60000); /* far below the command's 120 s */
    CHECK_EQ_INT (res.nobs, 0);
    /*  The background sleep is gone too (same process group). */
    FILE *f = fopen (pidfile, "r");
    CHECK (f);
    int gpid = 0;
    CHECK (fscanf (f, "%d", &gpid) == 1);
    fclose (f);
    bool gone = false;
    for (int i = 0; i < 100 && !gone; i++) {
        /*  killed and reaped by init, or at least a zombie */
        char stat [64];
        snprintf (stat, sizeof stat, "/proc/%d/stat", gpid);
        FILE *s = fopen (stat, "r");
        if (!s)
            gone = true;
        else {
            char buf [256] = "";
            if (fgets (buf, sizeof buf, s) && strstr (buf, ") Z"))
                gone = true;
            fclose (s);
        }
        if (!gone)
            usleep (10000);
    }
    CHECK (gone);
    cchc_source_result_clear (&res);
}

/*  The non-blocking interface: a hanging command never blocks _step. */
static void
test_exec_nonblocking (void)
{
    char err [512];
    cchc_exec_t *job = cchc_exec_start ("sleep 120", 200, 1024, err, sizeof err);
    CHECK (job);
    int64_t t0 = cchc_clock_mono_ms ();
    CHECK_EQ_INT (cchc_exec_step (job), 0);
    CHECK (cchc_clock_mono_ms () - t0 < 5000); /* did not wait for the command */
    int fds [2];
    CHECK_EQ_INT (cchc_exec_fds (job, fds), 2);
    CHECK (cchc_exec_wait_ms (job) <= 200);
    while (!cchc_exec_step (job))
        usleep (10000);
    CHECK (cchc_clock_mono_ms () - t0 < 60000); /* killed at 200 ms, not after 120 s */
    CHECK_EQ_INT (cchc_exec_result (job, err, sizeof err), -1);
    CHECK (strstr (err, "timed out"));
    cchc_exec_destroy (&job);
    CHECK (job == NULL);
    /*  Destroying a running job kills it. */
    job = cchc_exec_start ("sleep 30", 60000, 1024, err, sizeof err);
    CHECK (job);
    pid_t pid = cchc_exec_pid (job);
    cchc_exec_destroy (&job);
    CHECK (kill (pid, 0) == -1 && errno == ESRCH);
}

static void
test_exec_too_long (void)
{
    cchc_source_result_t res;
    cchc_source_result_init (&res);
    char err [512] = "";
    int64_t t0 = cchc_clock_mono_ms ();
    int rc =
        cchc_exec_run ("yes tthc_received 1", 120000, 4096, s_today, &res, err, sizeof err);
    CHECK_EQ_INT (rc, -1);
    CHECK (strstr (err, "output over 4096"));
    CHECK (cchc_clock_mono_ms () - t0
           < 60000); /* stopped at the size limit, not the 120 s timeout */
    CHECK_EQ_INT (res.nobs, 0);
    cchc_source_result_clear (&res);
}

static int
s_sql (sqlite3 *db, const char *sql)
{
    return sqlite3_exec (db, sql, NULL, NULL, NULL);
}

static void
test_sql (void)
{
    char path [300];
    snprintf (path, sizeof path, "%s/motcua.sqlite", s_dir);
    sqlite3 *db;
    CHECK (sqlite3_open (path, &db) == SQLITE_OK);
    CHECK (s_sql (db, "CREATE TABLE hoso (ngay TEXT, loai TEXT, so);"
                      "INSERT INTO hoso VALUES ('2021-03-01','tthc_received',12),"
                      " ('2021-03-01','tthc_resolved',10.5),"
                      " ('2021-03-02','tthc_received','7'),"
                      " ('2021-13-02','tthc_received',1),"    /* bad date */
                      " ('2021-03-03','Bad',1),"              /* bad metric */
                      " ('2021-03-04','tthc_received',NULL);" /* no value */
                      "CREATE TABLE daily (metric TEXT, day INTEGER, value);"
                      "INSERT INTO daily VALUES ('docs_sent', 20210305, 4);")
           == SQLITE_OK);
    sqlite3_close (db);
    struct stat before, after;
    CHECK (stat (path, &before) == 0);

    cchc_source_result_t res;
    cchc_source_result_init (&res);
    char err [512] = "";
    CHECK_EQ_INT (cchc_sql_run (path, "SELECT loai, ngay, so FROM hoso ORDER BY rowid", 5000,
                                s_today, &res, err, sizeof err),
                  0);
    CHECK_EQ_INT (res.nobs, 3);
    CHECK_EQ_INT (res.nbad, 3);
    CHECK (strstr (res.problems, "line 4:"));
    CHECK (strstr (res.problems, "line 5:"));
    CHECK (strstr (res.problems, "line 6:"));
    CHECK_EQ_INT (res.obs [0].ival, 12);
    CHECK (res.obs [1].is_float);
    CHECK_NEAR (res.obs [1].fval, 10.5, 1e-12);
    CHECK_EQ_INT (res.obs [2].ival, 7);
    CHECK_EQ_INT (res.obs [2].date, cchc_date_from_ymd (2021, 3, 2));
    cchc_source_result_clear (&res);
    /*  Integer dates yyyymmdd, with a trailing semicolon. */
    cchc_source_result_init (&res);
    CHECK_EQ_INT (cchc_sql_run (path, "SELECT metric, day, value FROM daily;", 5000, s_today,
                                &res, err, sizeof err),
                  0);
    CHECK_EQ_INT (res.nobs, 1);
    CHECK_EQ_INT (res.obs [0].date, cchc_date_from_ymd (2021, 3, 5));
    cchc_source_result_clear (&res);

    /*  Anything that writes is refused before it runs. */
    cchc_source_result_init (&res);
    CHECK_EQ_INT (
        cchc_sql_run (path, "DELETE FROM hoso", 5000, s_today, &res, err, sizeof err), -1);
    CHECK (strstr (err, "write") || strstr (err, "readonly") || strstr (err, "read-only"));
    CHECK_EQ_INT (cchc_sql_run (path, "SELECT loai, ngay, so FROM hoso; DROP TABLE hoso", 5000,
                                s_today, &res, err, sizeof err),
                  -1);
    CHECK (strstr (err, "single statement"));
    CHECK_EQ_INT (cchc_sql_run (path, "SELECT loai, ngay FROM hoso", 5000, s_today, &res, err,
                                sizeof err),
                  -1);
    CHECK (strstr (err, "3"));
    CHECK_EQ_INT (
        cchc_sql_run (path, "SELECT nope FROM nowhere", 5000, s_today, &res, err, sizeof err),
        -1);
    char missing [400];
    snprintf (missing, sizeof missing, "%s/absent.sqlite", s_dir);
    CHECK_EQ_INT (cchc_sql_run (missing, "SELECT 1,2,3", 5000, s_today, &res, err, sizeof err),
                  -1);
    CHECK (access (missing, F_OK) != 0); /* not created */
    /*  A runaway query is interrupted at the timeout. */
    int64_t t0 = cchc_clock_mono_ms ();
    CHECK_EQ_INT (
        cchc_sql_run (path,
                      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
                      "SELECT 'docs_sent', '2021-01-01', x FROM c WHERE x < 0",
                      300, s_today, &res, err, sizeof err),
        -1);
    CHECK (strstr (err, "interrupted"));
    CHECK (cchc_clock_mono_ms () - t0 < 2000);
    cchc_source_result_clear (&res);
    CHECK (stat (path, &after) == 0);
    CHECK (before.st_mtime == after.st_mtime && before.st_size == after.st_size);
}

int
main (void)
{
    snprintf (s_dir, sizeof s_dir, "/tmp/cchc-test-source-XXXXXX");
    if (!mkdtemp (s_dir)) {
        perror ("mkdtemp");
        return 1;
    }
    s_today = cchc_date_from_utc_ms (cchc_clock_now_ms ());
    CCHC_TEST_RUN (test_lines);
    CCHC_TEST_RUN (test_exec_ok);
    CCHC_TEST_RUN (test_exec_fails);
    CCHC_TEST_RUN (test_exec_hang);
    CCHC_TEST_RUN (test_exec_nonblocking);
    CCHC_TEST_RUN (test_exec_too_long);
    CCHC_TEST_RUN (test_sql);
    char cmd [400];
    snprintf (cmd, sizeof cmd, "rm -rf '%s'", s_dir);
    if (system (cmd) != 0)
        fprintf (stderr, "cannot remove %s\n", s_dir);
    return CCHC_TEST_DONE ();
}
