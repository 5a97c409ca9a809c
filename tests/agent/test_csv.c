/*  test_csv.c — the CSV drop folder: a good file taken into done/ and
    handed to the sink once; a file with a bad row refused whole into
    failed/ with a .reason naming the row; a file never taken twice; a file
    left in processing/ by a crash taken again; a sink failure keeps the
    file for the next scan; header, BOM, quotes, CRLF. */
#include "tests/test.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>

#include "agent/source.h"
#include "common/clock.h"

static char s_dir [256];
static cchc_date_t s_today;
static int s_case = 0;

typedef struct {
    int calls;
    size_t obs;
    int64_t sum;
    bool fail;
} s_sink_t;

static int
s_sink (void *arg, const cchc_obs_t *obs, size_t n, char *err, size_t errlen)
{
    s_sink_t *s = arg;
    if (s->fail) {
        snprintf (err, errlen, "disk full (test)");
        return -1;
    }
    s->calls++;
    s->obs += n;
    for (size_t i = 0; i < n; i++)
        s->sum += obs [i].is_float ? (int64_t) obs [i].fval : obs [i].ival;
    return 0;
}

static void
s_folder (char *out, size_t size)
{
    snprintf (out, size, "%s/drop%d", s_dir, ++s_case);
    mkdir (out, 0750);
}

static void
s_write (const char *folder, const char *name, const char *text)
{
    char path [600];
    snprintf (path, sizeof path, "%s/%s", folder, name);
    FILE *f = fopen (path, "wb");
    if (f) {
        fputs (text, f);
        fclose (f);
    }
}

/*  Number of entries in folder/sub whose name contains `part` ("" = all). */
static int
s_count (const char *folder, const char *sub, const char *part)
{
    char path [600];
    snprintf (path, sizeof path, "%s/%s", folder, sub);
    DIR *d = opendir (path);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir (d)))
        if (e->d_name [0] != '.' && strstr (e->d_name, part)
            && strcmp (e->d_name, "processing") && strcmp (e->d_name, "done")
            && strcmp (e->d_name, "failed"))
            n++;
    closedir (d);
    return n;
}

/*  The text of the one .reason file in folder/failed. */
static void
s_reason (const char *folder, char *out, size_t size)
{
    out [0] = 0;
    char path [600];
    snprintf (path, sizeof path, "%s/failed", folder);
    DIR *d = opendir (path);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir (d))) {
        size_t len = strlen (e->d_name);
        if (len > 7 && strcmp (e->d_name + len - 7, ".reason") == 0) {
            char file [900];
            snprintf (file, sizeof file, "%s/%s", path, e->d_name);
            FILE *f = fopen (file, "r");
            if (f) {
                size_t n = fread (out, 1, size - 1, f);
                out [n] = 0;
                fclose (f);
            }
        }
    }
    closedir (d);
}

static void
test_parse (void)
{
    const char *text = "\xEF\xBB\xBFmetric,date,value\r\n"
                       "tthc_received,2021-03-01,12\r\n"
                       "\"tthc_resolved\",\"2021-03-01\",\"10.5\"\r\n"
                       "\r\n"
                       "survey_responses, 2021-03-02 , 40\r\n";
    cchc_source_result_t res;
    cchc_source_result_init (&res);
    CHECK_EQ_INT (cchc_csv_parse (text, strlen (text), s_today, &res), 0);
    CHECK_EQ_INT (res.nobs, 3);
    CHECK_EQ_INT (res.obs [0].ival, 12);
    CHECK (res.obs [1].is_float);
    CHECK_EQ_INT (res.obs [2].ival, 40);
    CHECK_EQ_INT (res.obs [2].date, cchc_date_from_ymd (2021, 3, 2));
    cchc_source_result_clear (&res);

    const char *bad = "tthc_received,2021-03-01,12\n"
                      "tthc_received,2021-03-01\n"         /* row 2: 2 columns */
                      "tthc_received,01/03/2021,4\n"       /* row 3: date format */
                      "tthc_received,2021-03-04,4,extra\n" /* row 4: 4 columns */
                      "tthc_received,,4\n"                 /* row 5: no date */
                      "tthc_received,2021-03-06,mười\n";   /* row 6: not a number */
    cchc_source_result_init (&res);
    CHECK_EQ_INT (cchc_csv_parse (bad, strlen (bad), s_today, &res), -1);
    CHECK_EQ_INT (res.nbad, 5);
    CHECK (strstr (res.problems, "line 2:"));
    CHECK (strstr (res.problems, "line 3:"));
    CHECK (strstr (res.problems, "line 4:"));
    CHECK (strstr (res.problems, "line 5:"));
    CHECK (strstr (res.problems, "line 6:"));
    cchc_source_result_clear (&res);

    const char *unterminated = "tthc_received,2021-03-01,\"12\n";
    cchc_source_result_init (&res);
    CHECK_EQ_INT (cchc_csv_parse (unterminated, strlen (unterminated), s_today, &res), -1);
    CHECK (strstr (res.problems, "CSV syntax"));
    cchc_source_result_clear (&res);
}

static void
test_take_good_once (void)
{
    char folder [400], err [512];
    s_folder (folder, sizeof folder);
    s_write (folder, "b-march.csv",
             "metric,date,value\ntthc_received,2021-03-01,5\n"
             "tthc_received,2021-03-02,6\n");
    s_write (folder, "a-feb.CSV", "tthc_received,2021-02-01,100\n");
    s_write (folder, "notes.txt", "tthc_received,2021-02-01,1000\n");
    s_write (folder, ".partial.csv", "tthc_received,2021-02-01,1000\n");
    s_sink_t sink = { 0, 0, 0, false };
    cchc_csv_scan_t scan;
    CHECK_EQ_INT (cchc_csv_scan (folder, s_today, s_sink, &sink, 0, &scan, err, sizeof err),
                  0);
    CHECK_EQ_INT (scan.taken, 2);
    CHECK_EQ_INT (scan.failed, 0);
    CHECK_EQ_INT (scan.obs, 3);
    CHECK_EQ_INT (sink.calls, 2);
    CHECK_EQ_INT (sink.sum, 111);
    CHECK_EQ_INT (s_count (folder, "done", "b-march.csv"), 1);
    CHECK_EQ_INT (s_count (folder, "done", "a-feb.CSV"), 1);
    CHECK_EQ_INT (s_count (folder, "processing", ""), 0);
    CHECK_EQ_INT (s_count (folder, ".", ".csv"), 0);
    char partial [600];
    snprintf (partial, sizeof partial, "%s/.partial.csv", folder);
    CHECK (access (partial, F_OK) == 0); /* hidden: not taken */
    CHECK_EQ_INT (s_count (folder, ".", "notes.txt"), 1);
    /*  Scanning again takes nothing. */
    CHECK_EQ_INT (cchc_csv_scan (folder, s_today, s_sink, &sink, 0, &scan, err, sizeof err),
                  0);
    CHECK_EQ_INT (scan.taken, 0);
    CHECK_EQ_INT (sink.calls, 2);
    /*  The same name dropped again is a new file, filed under a new name. */
    s_write (folder, "a-feb.CSV", "tthc_received,2021-02-01,101\n");
    CHECK_EQ_INT (cchc_csv_scan (folder, s_today, s_sink, &sink, 0, &scan, err, sizeof err),
                  0);
    CHECK_EQ_INT (scan.taken, 1);
    CHECK_EQ_INT (s_count (folder, "done", "a-feb.CSV"), 2);
}

static void
test_bad_row_fails_whole_file (void)
{
    char folder [400], err [512], reason [2048];
    s_folder (folder, sizeof folder);
    s_write (folder, "april.csv",
             "metric,date,value\n"
             "tthc_received,2021-04-01,5\n"
             "tthc_received,2021-04-02,five\n"
             "tthc_received,2021-04-03,7\n");
    s_sink_t sink = { 0, 0, 0, false };
    cchc_csv_scan_t scan;
    CHECK_EQ_INT (cchc_csv_scan (folder, s_today, s_sink, &sink, 0, &scan, err, sizeof err),
                  0);
    CHECK_EQ_INT (scan.taken, 0);
    CHECK_EQ_INT (scan.failed, 1);
    CHECK_EQ_INT (sink.calls, 0);                              /* nothing of it stored */
    CHECK_EQ_INT (s_count (folder, "failed", "april.csv"), 2); /* file + .reason */
    CHECK_EQ_INT (s_count (folder, "failed", ".reason"), 1);
    CHECK_EQ_INT (cchc_csv_failed_count (folder), 1);
    s_reason (folder, reason, sizeof reason);
    CHECK (strstr (reason, "april.csv"));
    CHECK (strstr (reason, "line 3:"));
    CHECK (strstr (reason, "five"));
    CHECK (strstr (scan.last_error, "line 3:"));
    CHECK_EQ_INT (s_count (folder, ".", "april"), 0);
    /*  Fixed and dropped again: taken. */
    s_write (folder, "april.csv", "tthc_received,2021-04-01,5\ntthc_received,2021-04-02,6\n");
    CHECK_EQ_INT (cchc_csv_scan (folder, s_today, s_sink, &sink, 0, &scan, err, sizeof err),
                  0);
    CHECK_EQ_INT (scan.taken, 1);
    CHECK_EQ_INT (sink.sum, 11);
}

static void
test_crash_leftover_and_sink_failure (void)
{
    char folder [400], err [512];
    s_folder (folder, sizeof folder);
    /*  A file a crash left in processing/ */
    char proc [500];
    snprintf (proc, sizeof proc, "%s/processing", folder);
    mkdir (proc, 0750);
    s_write (proc, "left.csv", "docs_sent,2021-01-05,9\n");
    s_write (folder, "new.csv", "docs_sent,2021-01-06,1\n");
    s_sink_t sink = { 0, 0, 0, true };
    cchc_csv_scan_t scan;
    /*  The sink fails: the leftover stays, the new file is not touched. */
    CHECK_EQ_INT (cchc_csv_scan (folder, s_today, s_sink, &sink, 0, &scan, err, sizeof err),
                  -1);
    CHECK (strstr (err, "disk full"));
    CHECK_EQ_INT (s_count (folder, "processing", "left.csv"), 1);
    CHECK_EQ_INT (s_count (folder, ".", "new.csv"), 1);
    sink.fail = false;
    CHECK_EQ_INT (cchc_csv_scan (folder, s_today, s_sink, &sink, 0, &scan, err, sizeof err),
                  0);
    CHECK_EQ_INT (scan.taken, 2);
    CHECK_EQ_INT (sink.sum, 10);
    CHECK_EQ_INT (s_count (folder, "processing", ""), 0);
    CHECK_EQ_INT (s_count (folder, "done", ".csv"), 2);
}

static void
test_bad_folder (void)
{
    char err [512];
    s_sink_t sink = { 0, 0, 0, false };
    cchc_csv_scan_t scan;
    char folder [400];
    snprintf (folder, sizeof folder, "%s/does-not-exist", s_dir);
    CHECK_EQ_INT (cchc_csv_scan (folder, s_today, s_sink, &sink, 0, &scan, err, sizeof err),
                  -1);
    CHECK (strstr (err, "not a folder"));
    CHECK_EQ_INT (cchc_csv_failed_count (folder), 0);
}

/*  Found by fuzz/agent/fuzz_csv_file: a NUL byte cut a field short (the
    rest of it was dropped unseen, or a row of NULs passed for a blank
    line), and a row with one over-long field after a blank line passed
    for a blank line too.  Each must refuse the file.  And the problems
    named the record's number, not the line's, after a blank line. */
static void
test_parse_hidden_rows (void)
{
    static const struct {
        const char *text;
        size_t len;
        const char *expect;
    } cases [] = {
#define S_CASE(text, expect) { text, sizeof text - 1, expect }
        S_CASE ("tthc\0junk,2021-03-01,5\n", "line 1: not UTF-8"),
        S_CASE ("tthc_received,2021-03-01,5\0 or 6\n", "line 1: not UTF-8"),
        S_CASE ("\0\0\0\0T", "line 1: expected 3 columns"),
        S_CASE ("metric\0,date,value\nx,2021-03-01,1\n", "line 1: not UTF-8"),
#undef S_CASE
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        cchc_source_result_t res;
        cchc_source_result_init (&res);
        int rc = cchc_csv_parse (cases [i].text, cases [i].len, s_today, &res);
        if (rc != -1 || !strstr (res.problems, cases [i].expect))
            fprintf (stderr, "case %zu: rc %d, problems '%s'\n", i, rc, res.problems);
        CHECK_EQ_INT (rc, -1);
        CHECK (strstr (res.problems, cases [i].expect));
        cchc_source_result_clear (&res);
    }
    /*  A blank row, then one field longer than the field buffer. */
    char text [300];
    int n = snprintf (text, sizeof text, " \n%0200d\n", 7);
    cchc_source_result_t res;
    cchc_source_result_init (&res);
    CHECK_EQ_INT (cchc_csv_parse (text, (size_t) n, s_today, &res), -1);
    CHECK (strstr (res.problems, "line 2: expected 3 columns"));
    cchc_source_result_clear (&res);
    /*  The same after a row starting with an empty field. */
    n = snprintf (text, sizeof text, "x,2021-03-01,1\n,\n%0200d\n", 7);
    cchc_source_result_init (&res);
    CHECK_EQ_INT (cchc_csv_parse (text, (size_t) n, s_today, &res), -1);
    CHECK (strstr (res.problems, "line 3: expected 3 columns"));
    CHECK (strstr (res.problems, "line 2: expected 3 columns"));
    cchc_source_result_clear (&res);
    /*  Problems name the file's line, blank lines included (libcsv skips
        them without a record). */
    const char *blanks = "x,2021-03-01,1\n\n  \r\n\nx,2021-03-01\r\n\n"
                         "x,2021-03-01,\"1\n";
    cchc_source_result_init (&res);
    CHECK_EQ_INT (cchc_csv_parse (blanks, strlen (blanks), s_today, &res), -1);
    CHECK (strstr (res.problems, "line 5: expected 3 columns"));
    CHECK (strstr (res.problems, "line 7: CSV syntax"));
    cchc_source_result_clear (&res);
}

int
main (void)
{
    snprintf (s_dir, sizeof s_dir, "/tmp/cchc-test-csv-XXXXXX");
    if (!mkdtemp (s_dir)) {
        perror ("mkdtemp");
        return 1;
    }
    s_today = cchc_date_from_utc_ms (cchc_clock_now_ms ());
    CCHC_TEST_RUN (test_parse);
    CCHC_TEST_RUN (test_parse_hidden_rows);
    CCHC_TEST_RUN (test_take_good_once);
    CCHC_TEST_RUN (test_bad_row_fails_whole_file);
    CCHC_TEST_RUN (test_crash_leftover_and_sink_failure);
    CCHC_TEST_RUN (test_bad_folder);
    char cmd [400];
    snprintf (cmd, sizeof cmd, "rm -rf '%s'", s_dir);
    if (system (cmd) != 0)
        fprintf (stderr, "cannot remove %s\n", s_dir);
    return CCHC_TEST_DONE ();
}
