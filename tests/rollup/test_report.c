/*  test_report.c — outputs of a roll-up over the fixture province: the
    terminal table, JSON, CSV, the Vietnamese report draft, explanations, the
    catalogue check, and the admin tool's error handling.  `cchcctl rollup`
    and `cchcctl report` are run as operators run them (the binary, on a
    fake clock), so the test goes through the production path.

    Usage: test_report CCHCCTL
*/
#include "tests/rollup/fixture.h"
#include "collector/present/report.h"
#include "common/text.h"
#include "tests/test.h"

#include "common/clock.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define SMALL CCHC_SOURCE_DIR "/tests/rollup/small.ini"

static char s_db [64];
static char s_err [512];
static const char *s_ctl; /* the cchcctl binary */

/*  Run `cchcctl --db s_db --criteria SMALL ARGS...` with the clock at now_ms
    (--set clock.demo); its stdout as a malloc'ed text, its stderr in s_err and
    its exit status in *status.  NULL when it could not be run. */
static char *
s_run_ctl (int64_t now_ms, const char *db, int *status, const char *fmt, ...)
{
    char iso [32], args [512], cmd [2048], errpath [64];
    cchc_clock_format_iso (now_ms, iso, sizeof iso);
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (args, sizeof args, fmt, ap);
    va_end (ap);
    snprintf (errpath, sizeof errpath, "/tmp/cchc-report-%d.err", (int) getpid ());
    snprintf (cmd, sizeof cmd, "'%s' --db '%s' --criteria '%s' --set clock.demo=%s %s 2>'%s'",
              s_ctl, db ? db : s_db, SMALL, iso, args, errpath);
    FILE *p = popen (cmd, "r");
    if (!p)
        return NULL;
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream (&text, &len);
    char buf [4096];
    size_t n;
    while (out && (n = fread (buf, 1, sizeof buf, p)) > 0)
        fwrite (buf, 1, n, out);
    if (out)
        fclose (out);
    int rc = pclose (p);
    *status = WIFEXITED (rc) ? WEXITSTATUS (rc) : -1;
    s_err [0] = 0;
    FILE *e = fopen (errpath, "r");
    if (e) {
        size_t k = fread (s_err, 1, sizeof s_err - 1, e);
        s_err [k] = 0;
        fclose (e);
    }
    remove (errpath);
    return text;
}

/*  cchcctl's output of a command that must succeed; NULL (printed) if not. */
static char *
s_ctl_ok (int64_t now_ms, const char *args)
{
    int status;
    char *text = s_run_ctl (now_ms, NULL, &status, "%s", args);
    if (status != 0) {
        fprintf (stderr, "  cchcctl %s: exit %d: %s\n", args, status, s_err);
        free (text);
        return NULL;
    }
    return text;
}

/*  cchcctl's exit status of a command that must fail; stderr in s_err. */
static int
s_ctl_fails (const char *db, const char *args)
{
    int status;
    free (s_run_ctl (fx_local_ms (20210325, 9, 0), db, &status, "%s", args));
    return status;
}

/*  Run `fn` writing into a memory stream; returns the text (free it). */
#define CAPTURE(text, call)                           \
    do {                                              \
        size_t len_ = 0;                              \
        char *buf_ = NULL;                            \
        FILE *out = open_memstream (&buf_, &len_);    \
        int rc_ = out ? (call) : -1;                  \
        if (out)                                      \
            fclose (out);                             \
        if (rc_ != 0)                                 \
            fprintf (stderr, "  error: %s\n", s_err); \
        text = rc_ == 0 ? buf_ : (free (buf_), NULL); \
    } while (0)

static int64_t
s_after_lock (void)
{
    return fx_local_ms (20210325, 9, 0);
}

static size_t
s_count (const char *text, const char *what)
{
    size_t n = 0;
    for (const char *p = text; (p = strstr (p, what)); p += strlen (what))
        n++;
    return n;
}

static void
test_table (void)
{
    char *text;
    text = s_ctl_ok (s_after_lock (), "rollup --period 2021-Q1 --format table");
    CHECK (text);
    CHECK (cchc_utf8_valid (text, strlen (text)));
    CHECK (strstr (text, "Kỳ 2021-Q1: 15/12/2020 – 14/03/2021"));
    CHECK (strstr (text, "UBND cấp xã: 4 đơn vị, 4 có chỉ số, trung vị 80,00"));
    /* ranked order within a level, ties share the rank */
    const char *s1 = strstr (text, "S1 "), *s3 = strstr (text, "S3 "),
               *s2 = strstr (text, "S2 ");
    CHECK (s1 && s3 && s2 && s1 < s3 && s3 < s2);
    CHECK (strstr (text, "    2  X1 "));
    CHECK (strstr (text, "    2  X2 "));
    CHECK (strstr (text, "    4  X4 "));
    CHECK (strstr (text, "100,00"));
    CHECK (strstr (text, "16,00/40,00"));
    free (text);

    text = s_ctl_ok (s_after_lock (), "rollup --period 2021-Q1 --unit S3 --format table");
    CHECK (text);
    CHECK (strstr (text, "S3 — Sở Tài chính (Sở, ban, ngành)"));
    CHECK (strstr (text, "Số liệu: 6/9 chỉ tiêu thống kê · thiếu số liệu"));
    CHECK (strstr (text, "thiếu số liệu\n")); /* workfiles row */
    CHECK (strstr (text, "không áp dụng\n")); /* apology row */
    CHECK (strstr (text, "Thiếu số liệu: apologized, wf, wf_online"));
    free (text);
}

static void
test_json (void)
{
    char *text;
    text = s_ctl_ok (s_after_lock (), "rollup --period 2021-Q1 --format json");
    CHECK (text);
    json_error_t jerr;
    json_t *root = json_loads (text, 0, &jerr);
    free (text);
    CHECK (root);
    CHECK_EQ_STR (json_string_value (json_object_get (root, "period")), "2021-Q1");
    CHECK_EQ_STR (json_string_value (json_object_get (root, "first_day")), "2020-12-15");
    CHECK_EQ_STR (json_string_value (json_object_get (root, "due_day")), "2021-03-18");
    CHECK_EQ_STR (json_string_value (json_object_get (root, "previous")), "2020-Q4");
    json_t *units = json_object_get (root, "units");
    CHECK_EQ_INT (json_array_size (units), 9);
    json_t *s2 = NULL, *x4 = NULL;
    size_t i;
    json_t *u;
    json_array_foreach (units, i, u)
    {
        const char *code = json_string_value (json_object_get (u, "code"));
        if (code && strcmp (code, "S2") == 0)
            s2 = u;
        if (code && strcmp (code, "X4") == 0)
            x4 = u;
    }
    CHECK (s2 && x4);
    CHECK_NEAR (json_real_value (json_object_get (s2, "index")), 40, 1e-9);
    CHECK_EQ_INT (json_integer_value (json_object_get (s2, "rank")), 3);
    CHECK (json_is_false (json_object_get (s2, "on_time")));
    CHECK (json_is_null (json_object_get (s2, "change")));
    CHECK (!json_object_get (s2, "metrics")); /* only for one unit */
    /* a missing indicator: null value, never 0 */
    json_t *ind = json_array_get (json_object_get (x4, "indicators"), 0);
    CHECK_EQ_STR (json_string_value (json_object_get (ind, "state")), "missing");
    CHECK (json_is_null (json_object_get (ind, "value")));
    CHECK_EQ_INT (json_array_size (json_object_get (x4, "missing_metrics")), 7);
    /* province */
    json_t *figures = json_object_get (json_object_get (root, "province"), "figures");
    bool found = false;
    json_array_foreach (figures, i, u)
    {
        if (strcmp (json_string_value (json_object_get (u, "indicator")), "workfiles") == 0
            && strcmp (json_string_value (json_object_get (u, "level")), "xa") == 0) {
            found = true;
            CHECK_NEAR (json_real_value (json_object_get (u, "value")), 0.35, 1e-12);
            CHECK (json_is_true (json_object_get (u, "met")));
            CHECK_EQ_INT (json_integer_value (json_object_get (u, "units_missing")), 1);
        }
    }
    CHECK (found);
    json_t *dist = json_object_get (json_object_get (root, "province"), "distribution");
    CHECK_NEAR (json_real_value (json_object_get (json_object_get (dist, "so"), "median")),
                100.0 * 20 / 35, 1e-9);
    json_decref (root);

    /* one unit: with its metrics, each traceable to a journal entry */
    text = s_ctl_ok (s_after_lock (), "rollup --period 2021-Q1 --unit S1 --format json");
    CHECK (text);
    root = json_loads (text, 0, &jerr);
    free (text);
    CHECK (root);
    units = json_object_get (root, "units");
    CHECK_EQ_INT (json_array_size (units), 1);
    json_t *metrics = json_object_get (json_array_get (units, 0), "metrics");
    CHECK_EQ_INT (json_array_size (metrics), 9);
    json_t *resolved = json_array_get (metrics, 1);
    CHECK_EQ_STR (json_string_value (json_object_get (resolved, "code")), "resolved");
    CHECK_NEAR (json_real_value (json_object_get (resolved, "value")), 100, 0);
    CHECK_EQ_INT (json_integer_value (json_object_get (resolved, "rows")), 2);
    CHECK_EQ_INT (json_integer_value (json_object_get (resolved, "journal_max")), 2);
    CHECK_EQ_STR (json_string_value (json_object_get (resolved, "received")),
                  "2021-03-16T10:00:00+07:00");
    CHECK (!json_object_get (root, "province"));
    json_decref (root);
}

static void
test_csv (void)
{
    char *text;
    text = s_ctl_ok (s_after_lock (), "rollup --period 2021-Q1 --format csv");
    CHECK (text);
    CHECK_EQ_INT (s_count (text, "\r\n"), 1 + 9 * 6);
    CHECK (strncmp (text, "period,unit,name,level,index,rank,", 34) == 0);
    CHECK (strstr (text, "2021-Q1,S3,Sở Tài chính,so,57.14285714,2,,0,0,workfiles,b,"
                         "missing,,,,0.82,0,10\r\n"));
    CHECK (strstr (text, ",S2,Sở Nội vụ,so,40,3,,1,0,online_resolved,a,ok,15,100,0.15,"
                         "0.25,6,10\r\n"));
    free (text);

    /* quoting: a name with a comma and quotes, through the core */
    cchc_criteria_t *cat = fx_criteria ();
    CHECK (cat);
    cchc_period_t p;
    cchc_period_parse ("2021-Q1", &p);
    cchc_rollup_window_t w;
    cchc_rollup_window (cat, &p, s_after_lock (), &w);
    cchc_rollup_unit_t unit = { "N1", "UBND xã \"Mới\", huyện Na Hang", NULL, CCHC_LEVEL_XA };
    cchc_rollup_t *r =
        cchc_rollup_compute (cat, &w, &unit, 1, NULL, 0, NULL, s_err, sizeof s_err);
    CHECK (r);
    CAPTURE (text, cchc_rollup_write (r, NULL, CCHC_FORMAT_CSV, out, s_err, sizeof s_err));
    CHECK (text);
    CHECK (strstr (text, ",N1,\"UBND xã \"\"Mới\"\", huyện Na Hang\",xa,"));
    free (text);
    cchc_rollup_destroy (&r);
    cchc_criteria_destroy (&cat);
}

static void
test_report (void)
{
    char path [64];
    snprintf (path, sizeof path, "/tmp/cchc-report-%d.md", (int) getpid ());
    char args [128];
    snprintf (args, sizeof args, "report --period 2021-Q1 --out '%s'", path);
    char *none = s_ctl_ok (s_after_lock (), args);
    CHECK (none);
    free (none);
    FILE *f = fopen (path, "r");
    CHECK (f);
    char *text = calloc (1, 65536);
    size_t n = text ? fread (text, 1, 65535, f) : 0;
    fclose (f);
    remove (path);
    CHECK (text && n > 0);
    CHECK (cchc_utf8_valid (text, n));
    CHECK (strstr (text, "# BÁO CÁO KẾT QUẢ CẢI CÁCH HÀNH CHÍNH QUÝ I NĂM 2021"));
    CHECK (!strstr (text, "tạm tính")); /* computed after the lock day */
    CHECK (strstr (text, "## I. KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU CỦA KẾ HOẠCH"));
    /* plan targets: overall, and per level where the levels differ */
    CHECK (strstr (text, "| 1 | Tỷ lệ hồ sơ giải quyết trực tuyến | Toàn tỉnh | 21,1% | "
                         "116 / 550 | ≥ 25,0% | Chưa đạt (1 đơn vị thiếu số liệu) |"));
    CHECK (strstr (text, "| | | UBND cấp xã | 35,0% | 35 / 100 | ≥ 35,0% | Đạt "
                         "(1 đơn vị thiếu số liệu) |")
           || strstr (text, "| |  | UBND cấp xã | 35,0% | 35 / 100 | ≥ 35,0% | Đạt "
                            "(1 đơn vị thiếu số liệu) |"));
    CHECK (!strstr (text, "Tỷ lệ hồ sơ trễ hạn có văn bản xin lỗi |")); /* not plan */
    /* ranking tables per level */
    CHECK (strstr (text, "### 2. Xếp hạng các sở, ban, ngành"));
    CHECK (strstr (text, "| 1 | S1 | Sở Tư pháp | 100,00 | 35,00/35,00 | +100,00 (hạng 1) "
                         "| Tốt |  |"));
    CHECK (strstr (text, "| 3 | S2 | Sở Nội vụ | 40,00 | 16,00/40,00 | – | Chưa đạt "
                         "| gửi chậm |"));
    CHECK (strstr (text, "### 3. Xếp hạng UBND các huyện, thành phố"));
    CHECK (strstr (text, "### 4. Xếp hạng UBND các xã, phường, thị trấn"));
    CHECK (strstr (text, "| 2 | X1 |") && strstr (text, "| 2 | X2 |"));
    CHECK (strstr (text, "| 4 | X4 | UBND xã Côn Lôn | 0,00 | 0,00/35,00 | – | Chưa đạt "
                         "| thiếu số liệu 4 tiêu chí |"));
    /* distribution */
    CHECK (strstr (text, "| Sở, ban, ngành | 3 | 3 | 40,00 | 57,14 | 100,00 | 65,71 "
                         "| 1 | 1 | 1 | 1 | 1 |"));
    /* missing or late */
    CHECK (strstr (text, "## III. CƠ QUAN, ĐƠN VỊ THIẾU SỐ LIỆU HOẶC GỬI SỐ LIỆU CHẬM"));
    CHECK (strstr (text, "| Sở Nội vụ (S2) | Sở, ban, ngành | 9/9 | – | 19/03/2021 00:00 "
                         "| Gửi chậm |"));
    CHECK (strstr (text, "| Sở Tài chính (S3) | Sở, ban, ngành | 6/9 | Hồ sơ trễ hạn có "
                         "văn bản xin lỗi; Hồ sơ công việc; Hồ sơ công việc xử lý trên "
                         "môi trường mạng | 16/03/2021 10:00 | Thiếu số liệu |"));
    CHECK (strstr (text, "| UBND xã Côn Lôn (X4) | UBND cấp xã | 0/7 |"));
    CHECK (strstr (text, "và 4 chỉ tiêu khác | chưa gửi | Thiếu số liệu |"));
    CHECK (!strstr (text, "(H1) |")); /* on time: not listed */
    CHECK (strstr (text, "số thứ tự 75 trong nhật ký"));
    free (text);

    /* before the due day: pending, and the draft says it is provisional */
    int64_t early = fx_local_ms (20210316, 12, 0);
    char *draft;
    draft = s_ctl_ok (early, "rollup --period 2021-Q1");
    CHECK (draft);
    CHECK (strstr (draft, "chưa đến hạn"));
    free (draft);
    sqlite3 *db = NULL;
    CHECK (sqlite3_open_v2 (s_db, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
    cchc_criteria_t *cat = fx_criteria ();
    cchc_period_t p;
    cchc_period_parse ("2021-Q1", &p);
    cchc_rollup_t *r =
        cat ? cchc_rollup_load (db, cat, &p, early, false, s_err, sizeof s_err) : NULL;
    sqlite3_close (db);
    CHECK (r);
    CAPTURE (draft, cchc_report_write (r, out, s_err, sizeof s_err));
    cchc_rollup_destroy (&r);
    cchc_criteria_destroy (&cat);
    CHECK (draft);
    CHECK (strstr (draft, "**số liệu tạm tính, kỳ chưa khóa**"));
    CHECK (strstr (draft, "| Chưa đến hạn gửi |"));
    free (draft);
}

static void
test_report_periods (void)
{
    const char *ids [] = { "2021-H1", "2021-H2", "2021-9M", "2021", "2021-03", "2021-Q4" };
    const char *titles [] = { "6 THÁNG ĐẦU NĂM 2021", "6 THÁNG CUỐI NĂM 2021",
                              "9 THÁNG NĂM 2021",     "CẢI CÁCH HÀNH CHÍNH NĂM 2021\n",
                              "THÁNG 3 NĂM 2021",     "QUÝ IV NĂM 2021" };
    cchc_criteria_t *cat = fx_criteria ();
    CHECK (cat);
    for (int k = 0; k < 6; k++) {
        cchc_period_t p;
        CHECK (cchc_period_parse (ids [k], &p) == 0);
        cchc_rollup_window_t w;
        cchc_rollup_window (cat, &p, fx_local_ms (20220101, 0, 0), &w);
        cchc_rollup_t *r =
            cchc_rollup_compute (cat, &w, NULL, 0, NULL, 0, NULL, s_err, sizeof s_err);
        CHECK (r);
        char *text;
        CAPTURE (text, cchc_report_write (r, out, s_err, sizeof s_err));
        cchc_rollup_destroy (&r);
        CHECK (text);
        if (!strstr (text, titles [k]))
            fprintf (stderr, "  %s: no '%s'\n", ids [k], titles [k]);
        CHECK (strstr (text, titles [k]));
        free (text);
    }
    cchc_criteria_destroy (&cat);
}

static void
test_explain_cli (void)
{
    char *text;
    CAPTURE (text, cchc_explain_cli (s_db, SMALL, "2021-Q1", "S2", "online_resolved", "csv",
                                     out, s_err, sizeof s_err));
    CHECK (text);
    CHECK_EQ_INT (s_count (text, "\r\n"), 5);
    CHECK (strstr (text, "S2,online,21,Một cửa Sở Nội vụ,2021-01-05,6,14,14,"
                         "2021-03-16T10:00:00+07:00\r\n"));
    free (text);
    CAPTURE (text, cchc_explain_cli (s_db, SMALL, "2021-Q1", "S2", "wf_online", "json", out,
                                     s_err, sizeof s_err));
    CHECK (text);
    json_error_t jerr;
    json_t *root = json_loads (text, 0, &jerr);
    free (text);
    CHECK (root);
    json_t *rows = json_object_get (root, "rows");
    CHECK_EQ_INT (json_array_size (rows), 2);
    CHECK_EQ_INT (json_integer_value (json_object_get (json_array_get (rows, 1), "journal")),
                  26);
    json_decref (root);
}

static void
test_cli_errors (void)
{
    FILE *out = fopen ("/dev/null", "w");
    CHECK (out);
    CHECK_EQ_INT (s_ctl_fails (NULL, "rollup --period 2021-Q5"), 2);
    CHECK (strstr (s_err, "2021-Q5"));
    CHECK_EQ_INT (s_ctl_fails (NULL, "rollup --period 2021-Q1 --format xml"), 2);
    CHECK (strstr (s_err, "bad format 'xml'"));
    CHECK_EQ_INT (s_ctl_fails (NULL, "rollup --period 2021-Q1 --unit NOPE"), 1);
    CHECK (strstr (s_err, "no scored unit 'NOPE' in 2021-Q1"));
    CHECK_EQ_INT (s_ctl_fails (NULL, "rollup --period 2021-Q1 --unit 08 --format json"), 1);
    CHECK_EQ_INT (s_ctl_fails ("/nonexistent/cchc.db", "rollup --period 2021-Q1"), 1);
    CHECK (strstr (s_err, "/nonexistent/cchc.db"));
    CHECK_EQ_INT (s_ctl_fails (NULL, "--criteria /nonexistent/criteria.ini rollup "
                                     "--period 2021-Q1"),
                  1);
    CHECK (strstr (s_err, "/nonexistent/criteria.ini: cannot open"));
    CHECK_EQ_INT (s_ctl_fails (NULL, "report --period 2021-Q1 --out "
                                     "/nonexistent/dir/report.md"),
                  1);
    CHECK (strstr (s_err, "/nonexistent/dir/report.md"));
    CHECK (cchc_explain_cli (s_db, SMALL, "2021-Q1", "S1", "nope", "table", out, s_err,
                             sizeof s_err)
           == -1);
    CHECK (strstr (s_err, "neither a metric nor an indicator"));
    /* a database that is not a collector database */
    char bogus [64];
    snprintf (bogus, sizeof bogus, "/tmp/cchc-bogus-%d.db", (int) getpid ());
    FILE *b = fopen (bogus, "w");
    CHECK (b);
    fputs ("this is not sqlite", b);
    fclose (b);
    CHECK_EQ_INT (s_ctl_fails (bogus, "rollup --period 2021-Q1"), 1);
    remove (bogus);
    fclose (out);
}

static void
test_criteria_check (void)
{
    char *text;
    CAPTURE (text, cchc_criteria_check_cli (CCHC_SOURCE_DIR "/data/criteria/default.ini", out,
                                            s_err, sizeof s_err));
    CHECK (text);
    CHECK (strstr (text, "Bộ tiêu chí hợp lệ:"));
    CHECK (strstr (text, "32 chỉ tiêu thống kê, 8 lĩnh vực, 19 tiêu chí, tổng 100,00 điểm"));
    CHECK (strstr (text, "UBND cấp xã: 19 tiêu chí, tối đa 100,00 điểm"));
    free (text);
    FILE *out = fopen ("/dev/null", "w");
    CHECK (out);
    CHECK (cchc_criteria_check_cli ("/nonexistent.ini", out, s_err, sizeof s_err) == -1);
    fclose (out);
}

int
main (int argc, char **argv)
{
    if (argc != 2) {
        fprintf (stderr, "usage: test_report CCHCCTL\n");
        return 2;
    }
    s_ctl = argv [1];
    snprintf (s_db, sizeof s_db, "/tmp/cchc-report-%d.db", (int) getpid ());
    if (fx_db_create (s_db, FX_TRIGGERS) != 0)
        return 1;
    CCHC_TEST_RUN (test_table);
    CCHC_TEST_RUN (test_json);
    CCHC_TEST_RUN (test_csv);
    CCHC_TEST_RUN (test_report);
    CCHC_TEST_RUN (test_report_periods);
    CCHC_TEST_RUN (test_explain_cli);
    CCHC_TEST_RUN (test_cli_errors);
    CCHC_TEST_RUN (test_criteria_check);
    remove (s_db);
    return CCHC_TEST_DONE ();
}
