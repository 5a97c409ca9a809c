/*  test_browser.c — the dashboard in a real browser: headless Chromium loads
    it from a running test server (cchc-dashboard-serve on the Tuyên Quang
    fixture, clock at 20/12/2021 10:00 local), and the rendered DOM
    (--dump-dom, after the page's JavaScript ran) must show the unit names
    with their diacritics, the plan's targets and the figures the API
    returns, formatted the Vietnamese way; switching the period through the
    URL must show the other period's figures.  Screenshots are saved into
    the work folder (dashboard-*.png).

    Usage: test_browser WORKDIR SERVE_BINARY
    Exit 77 (skipped) only when no Chromium is installed.
*/
#include "tests/dashboard/client.h"
#include "tests/test.h"

#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char s_dir [900], s_chromium [1100], s_serve [1100];
static pid_t s_start_server (const char *name, const char *token, int *port);
static int s_port;
static pid_t s_server = -1;

/* ------------------------------------------------------------------------ */
/*  Processes */

static bool
s_find_chromium (void)
{
    const char *env = getenv ("CCHC_CHROMIUM");
    if (env && access (env, X_OK) == 0) {
        snprintf (s_chromium, sizeof s_chromium, "%s", env);
        return true;
    }
    const char *names [] = { "chromium", "chromium-browser", "google-chrome",
                             "google-chrome-stable" };
    const char *path = getenv ("PATH");
    char dirs [4096];
    snprintf (dirs, sizeof dirs, "%s:/usr/bin:/usr/local/bin:/snap/bin", path ? path : "");
    for (size_t n = 0; n < sizeof names / sizeof names [0]; n++) {
        char copy [4096];
        snprintf (copy, sizeof copy, "%s", dirs);
        for (char *save = NULL, *d = strtok_r (copy, ":", &save); d;
             d = strtok_r (NULL, ":", &save)) {
            char cand [1024];
            snprintf (cand, sizeof cand, "%s/%s", d, names [n]);
            if (access (cand, X_OK) == 0) {
                snprintf (s_chromium, sizeof s_chromium, "%s", cand);
                return true;
            }
        }
    }
    return false;
}

/*  Wait for `pid` up to `ms`; kill its process group if it takes longer.
    Returns the exit status, or -1. */
static int
s_wait (pid_t pid, int ms)
{
    for (int waited = 0;; waited += 50) {
        int status;
        pid_t r = waitpid (pid, &status, WNOHANG);
        if (r == pid)
            return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
        if (r < 0)
            return -1;
        if (waited >= ms) {
            fprintf (stderr, "process %d timed out, killing its group\n", (int) pid);
            kill (-pid, SIGKILL);
            waitpid (pid, &status, 0);
            return -1;
        }
        usleep (50 * 1000);
    }
}

/*  Run Chromium on `url`: "--dump-dom" into *dom, or a screenshot into
    `png`.  0 or -1. */
static int
s_chromium_run (const char *url, const char *png, char **dom)
{
    char out [1100], profile [1100], shot [1200];
    snprintf (out, sizeof out, "%s/chromium-out.html", s_dir);
    snprintf (profile, sizeof profile, "--user-data-dir=%s/chromium-profile", s_dir);
    if (png)
        snprintf (shot, sizeof shot, "--screenshot=%s", png);
    pid_t pid = fork ();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        setpgid (0, 0);
        int fd = open (out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int nul = open ("/dev/null", O_WRONLY);
        if (fd < 0 || nul < 0)
            _exit (127);
        dup2 (fd, 1);
        dup2 (nul, 2);
        execl (s_chromium, s_chromium, "--headless", "--no-sandbox", "--disable-gpu",
               "--no-first-run", "--disable-extensions", "--hide-scrollbars",
               "--disable-dev-shm-usage", profile, "--window-size=1440,1700",
               "--virtual-time-budget=6000", png ? shot : "--dump-dom", url, (char *) NULL);
        _exit (127);
    }
    setpgid (pid, pid);
    int rc = s_wait (pid, 90 * 1000);
    if (rc != 0) {
        fprintf (stderr, "chromium exited with %d on %s\n", rc, url);
        return -1;
    }
    if (!dom)
        return 0;
    FILE *f = fopen (out, "rb");
    if (!f)
        return -1;
    fseek (f, 0, SEEK_END);
    long size = ftell (f);
    fseek (f, 0, SEEK_SET);
    *dom = malloc ((size_t) size + 1);
    if (!*dom || fread (*dom, 1, (size_t) size, f) != (size_t) size) {
        fclose (f);
        free (*dom);
        *dom = NULL;
        return -1;
    }
    (*dom) [size] = '\0';
    fclose (f);
    return 0;
}

static char *
s_dom (const char *fragment)
{
    char url [512];
    snprintf (url, sizeof url, "http://127.0.0.1:%d/%s", s_port, fragment);
    char *dom = NULL;
    if (s_chromium_run (url, NULL, &dom) != 0)
        return NULL;
    return dom;
}

static json_t *
s_api (const char *path)
{
    cchc_http_reply_t r;
    if (cchc_http_get (s_port, path, &r) != 0 || r.status != 200) {
        cchc_http_reply_free (&r);
        return NULL;
    }
    json_t *j = json_loadb (r.body, r.size, 0, NULL);
    cchc_http_reply_free (&r);
    return j;
}

/* ------------------------------------------------------------------------ */
/*  Vietnamese number formatting, as Intl.NumberFormat('vi-VN') does it:
    round half away from zero on the exact decimal value, "," for decimals,
    "." between thousands. */

static void
s_vi (double v, int decimals, char *buf, size_t size)
{
    char raw [128];
    snprintf (raw, sizeof raw, "%.30f", fabs (v));
    char *dot = strchr (raw, '.');
    size_t ilen = (size_t) (dot - raw);
    /* digits: integer part + `decimals` fraction digits, rounded */
    char digits [128];
    size_t n = 0;
    for (size_t i = 0; i < ilen; i++)
        digits [n++] = raw [i];
    for (int i = 0; i < decimals; i++)
        digits [n++] = dot [1 + i];
    if (dot [1 + decimals] >= '5') {
        size_t k = n;
        while (k > 0) {
            k--;
            if (digits [k] == '9')
                digits [k] = '0';
            else {
                digits [k]++;
                break;
            }
            if (k == 0) {
                memmove (digits + 1, digits, n);
                digits [0] = '1';
                n++;
                ilen++;
                break;
            }
        }
    }
    char out [160];
    size_t o = 0;
    if (v < 0)
        out [o++] = '-';
    for (size_t i = 0; i < ilen; i++) {
        if (i > 0 && (ilen - i) % 3 == 0)
            out [o++] = '.';
        out [o++] = digits [i];
    }
    if (decimals > 0) {
        out [o++] = ',';
        for (int i = 0; i < decimals; i++)
            out [o++] = digits [ilen + (size_t) i];
    }
    out [o] = '\0';
    snprintf (buf, size, "%s", out);
}

static void
s_rate (double v, char *buf, size_t size)
{
    char n [64];
    s_vi (v * 100, 1, n, sizeof n);
    snprintf (buf, size, "%.24s%%", n);
}

/*  The DOM between `start` and the next occurrence of `end` (copied). */
static char *
s_segment (const char *dom, const char *start, const char *end)
{
    const char *a = strstr (dom, start);
    if (!a)
        return NULL;
    const char *b = strstr (a + strlen (start), end);
    size_t len = b ? (size_t) (b - a) : strlen (a);
    return strndup (a, len);
}

static bool s_contains (const char *hay, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

static bool
s_contains (const char *hay, const char *fmt, ...)
{
    char needle [512];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (needle, sizeof needle, fmt, ap);
    va_end (ap);
    if (hay && strstr (hay, needle))
        return true;
    fprintf (stderr, "not found in the page: %s\n", needle);
    return false;
}

/* ------------------------------------------------------------------------ */
/*  Tests */

/*  Every unit row of a ranking page shows the API's name, rank and index. */
static int
s_check_ranking (const char *dom, json_t *ranking)
{
    size_t i;
    json_t *u;
    int rows = 0;
    json_array_foreach (json_object_get (ranking, "units"), i, u)
    {
        char start [64], idx [32];
        snprintf (start, sizeof start, "data-code=\"%s\"",
                  json_string_value (json_object_get (u, "code")));
        char *row = s_segment (dom, start, "</tr>");
        if (!row) {
            fprintf (stderr, "no row for %s\n", start);
            return -1;
        }
        json_t *index = json_object_get (u, "index");
        if (json_is_number (index))
            s_vi (json_number_value (index), 2, idx, sizeof idx);
        else
            snprintf (idx, sizeof idx, "–");
        bool ok = s_contains (row, ">%s</a>", json_string_value (json_object_get (u, "name")))
                  && s_contains (row, "<b>%s</b>", idx);
        json_t *rank = json_object_get (u, "rank");
        if (ok && json_is_integer (rank))
            ok = s_contains (row, ">%lld</td>", (long long) json_integer_value (rank));
        free (row);
        if (!ok)
            return -1;
        rows++;
    }
    return rows;
}

static void
test_ranking_and_period_switch (void)
{
    json_t *q1 = s_api ("/api/v1/ranking?period=2021-Q1&level=so");
    json_t *q2 = s_api ("/api/v1/ranking?period=2021-Q2&level=so");
    CHECK (q1 && q2);
    char *dom = s_dom ("#/xep-hang/so?period=2021-Q1");
    CHECK (dom);
    CHECK (s_contains (dom, "Quý I năm 2021"));
    CHECK (s_contains (dom, "ĐÃ KHÓA SỐ LIỆU"));
    CHECK (s_contains (dom, ">Sở Văn hóa, Thể thao và Du lịch</a>"));
    CHECK (s_contains (dom, ">Sở Lao động - Thương binh và Xã hội</a>"));
    CHECK_EQ_INT (s_check_ranking (dom, q1), 19);
    free (dom);

    /* the other period, chosen in the page's own query string */
    dom = s_dom ("?period=2021-Q2#/xep-hang/so");
    CHECK (dom);
    CHECK (s_contains (dom, "Quý II năm 2021"));
    CHECK_EQ_INT (s_check_ranking (dom, q2), 19);
    /* and the figures really are another period's */
    size_t i;
    json_t *u;
    int differ = 0;
    json_array_foreach (json_object_get (q1, "units"), i, u)
    {
        json_t *a = json_object_get (u, "index");
        json_t *b =
            json_object_get (json_array_get (json_object_get (q2, "units"), i), "index");
        differ += json_is_number (a) && json_is_number (b)
                  && json_number_value (a) != json_number_value (b);
    }
    CHECK (differ > 5);
    free (dom);

    /* communes: diacritics and their district */
    json_t *xa = s_api ("/api/v1/ranking?period=2021-Q3&level=xa");
    CHECK (xa);
    dom = s_dom ("#/xep-hang/xa?period=2021-Q3");
    CHECK (dom);
    CHECK_EQ_INT (s_check_ranking (dom, xa), 23);
    CHECK (s_contains (dom, ">Phường Ỷ La</a>"));
    CHECK (s_contains (dom, ">Xã Lưỡng Vượng</a>"));
    CHECK (s_contains (dom, ">Thành phố Tuyên Quang</td>"));
    free (dom);
    json_decref (xa);
    json_decref (q1);
    json_decref (q2);
}

static void
test_overview_targets (void)
{
    json_t *s = s_api ("/api/v1/summary?period=2021-Q4");
    CHECK (s);
    char *dom = s_dom ("#/tong-quan?period=2021-Q4");
    CHECK (dom);
    CHECK (s_contains (dom, "TẠM TÍNH"));
    CHECK (s_contains (dom, "Tổng quan kết quả cải cách hành chính"));
    size_t i;
    json_t *t;
    int cards = 0;
    json_array_foreach (json_object_get (s, "targets"), i, t)
    {
        char start [96], v [32];
        snprintf (start, sizeof start, "data-indicator=\"%s\"",
                  json_string_value (json_object_get (t, "indicator")));
        char *card = s_segment (dom, start, "data-indicator=");
        CHECK (card);
        CHECK (
            s_contains (card, ">%s</div>", json_string_value (json_object_get (t, "name"))));
        s_rate (json_number_value (json_object_get (t, "value")), v, sizeof v);
        CHECK (s_contains (card, "class=\"t-value\">%s<", v));
        json_t *target = json_object_get (t, "target");
        if (json_is_number (target)) {
            s_rate (json_number_value (target), v, sizeof v);
            CHECK (s_contains (card, "%s</span>", v));
        }
        size_t k;
        json_t *l;
        json_array_foreach (json_object_get (t, "levels"), k, l)
        {
            s_rate (json_number_value (json_object_get (l, "value")), v, sizeof v);
            CHECK (s_contains (card, "class=\"lv-val\">%s<", v));
            s_rate (json_number_value (json_object_get (l, "target")), v, sizeof v);
            CHECK (s_contains (card, "class=\"lv-goal\">%s<", v));
        }
        free (card);
        cards++;
    }
    CHECK (cards >= 8);
    /* the work-file targets of the plan, per level */
    CHECK (s_contains (dom, ">82,0%%<"));
    CHECK (s_contains (dom, ">62,0%%<"));
    CHECK (s_contains (dom, ">35,0%%<"));
    free (dom);
    json_decref (s);
}

static void
test_unit_and_status (void)
{
    json_t *u = s_api ("/api/v1/units/02215?period=2021-Q3");
    CHECK (u);
    char *dom = s_dom ("#/don-vi/02215?period=2021-Q3");
    CHECK (dom);
    CHECK (s_contains (dom, ">Phường Ỷ La</h2>"));
    char idx [32];
    s_vi (json_number_value (json_object_get (json_object_get (u, "unit"), "index")), 2, idx,
          sizeof idx);
    CHECK (s_contains (dom, "class=\"value\">%s<", idx));
    CHECK (s_contains (dom, "<svg class=\"chart\""));
    CHECK (s_contains (dom, "<circle"));
    CHECK (s_contains (dom, "Q3/2021"));
    /* the figures behind an indicator */
    json_t *inds = json_object_get (json_object_get (u, "unit"), "indicators");
    json_t *e_docs = NULL;
    size_t i;
    json_t *o;
    json_array_foreach (
        inds, i, o) if (strcmp (json_string_value (json_object_get (o, "code")), "e_docs")
                        == 0) e_docs = o;
    CHECK (e_docs);
    char *row = s_segment (dom, "data-indicator=\"e_docs\"", "</tr>");
    CHECK (row);
    char num [32], den [32];
    s_vi (json_number_value (json_object_get (e_docs, "numerator")), 0, num, sizeof num);
    s_vi (json_number_value (json_object_get (e_docs, "denominator")), 0, den, sizeof den);
    CHECK (s_contains (row, ">%s</td>", num));
    CHECK (s_contains (row, ">%s</td>", den));
    free (row);
    free (dom);
    json_decref (u);

    dom = s_dom ("#/tinh-hinh-bao-cao?period=2021-Q4");
    CHECK (dom);
    row = s_segment (dom, "data-code=\"SNGV\"", "</tr>");
    CHECK (row);
    CHECK (s_contains (dom, "row-silent\" data-code=\"SNGV\""));
    CHECK (s_contains (row, "Chưa gửi lần nào"));
    free (row);
    CHECK (s_contains (dom, "row-late\" data-code=\"02515\""));
    /* its clock, from its reports (agent.clock_skew): 185 s ahead */
    row = s_segment (dom, "data-code=\"02515\"", "</tr>");
    CHECK (row);
    CHECK (s_contains (row, "nhanh 3 phút 5 giây"));
    free (row);
    CHECK (s_contains (dom, "Lệch đồng hồ"));
    CHECK (s_contains (dom, "row-silent\" data-code=\"02296\""));
    free (dom);

    dom = s_dom ("#/bao-cao?period=2021-Q4");
    CHECK (dom);
    CHECK (s_contains (dom, "Kết quả thực hiện công tác cải cách hành chính quý IV năm 2021"));
    CHECK (s_contains (dom, "DỰ THẢO — SỐ LIỆU TẠM TÍNH"));
    CHECK (s_contains (dom, "ngày 20 tháng 12 năm 2021"));
    free (dom);
}

/*  Issue 13 item 12: with a token-protected server, the page opened with
    ?token= shows its data (the token reaches the API as a header) and puts
    the token in no link: the export buttons link to the bare export URL. */
static void
test_token_not_in_links (void)
{
    const char *token = "browser-token-0123456789";
    int port = 0;
    pid_t pid = s_start_server ("browser-token", token, &port);
    CHECK (pid > 0);
    char url [512];
    snprintf (url, sizeof url, "http://127.0.0.1:%d/?token=%s#/xep-hang/so?period=2021-Q1",
              port, token);
    char *dom = NULL;
    int rc = s_chromium_run (url, NULL, &dom);
    kill (pid, SIGTERM);
    int stopped = s_wait (pid, 15000);
    CHECK (rc == 0 && dom);
    bool ok = s_contains (dom, ">Sở Văn hóa, Thể thao và Du lịch</a>")
              && s_contains (dom, "href=\"/export/ranking.csv?period=2021-Q1&amp;level=so\"")
              && s_contains (dom, "href=\"/export/ranking.xlsx?period=2021-Q1&amp;level=so\"");
    const char *leak = strstr (dom, "token=");
    if (leak)
        fprintf (stderr, "a token in the page: %.120s\n", leak);
    ok = ok && !strstr (dom, token) && !strstr (dom, "token=");
    free (dom);
    CHECK (ok);
    CHECK_EQ_INT (stopped, 0);
}

static bool
s_png_ok (const char *path)
{
    FILE *f = fopen (path, "rb");
    if (!f)
        return false;
    unsigned char head [8];
    bool ok = fread (head, 1, 8, f) == 8 && memcmp (head, "\x89PNG\r\n\x1a\n", 8) == 0;
    fseek (f, 0, SEEK_END);
    ok = ok && ftell (f) > 20000;
    fclose (f);
    return ok;
}

static void
test_screenshots (void)
{
    const char *pages [][2] = {
        { "#/tong-quan?period=2021-Q4", "dashboard-overview.png" },
        { "#/xep-hang/xa?period=2021-Q3", "dashboard-ranking.png" },
        { "#/don-vi/071?period=2021-Q4", "dashboard-unit.png" },
        { "#/tinh-hinh-bao-cao?period=2021-Q4", "dashboard-status.png" },
    };
    for (size_t i = 0; i < sizeof pages / sizeof pages [0]; i++) {
        char url [256], png [1100];
        snprintf (url, sizeof url, "http://127.0.0.1:%d/%s", s_port, pages [i][0]);
        snprintf (png, sizeof png, "%s/%s", s_dir, pages [i][1]);
        unlink (png);
        CHECK (s_chromium_run (url, png, NULL) == 0);
        CHECK (s_png_ok (png));
        printf ("screenshot: %s\n", png);
    }
}

/* ------------------------------------------------------------------------ */

/*  Start cchc-dashboard-serve on the fixture (database NAME.db in the work
    folder), with an access token when `token`; its pid and port, or -1. */
static pid_t
s_start_server (const char *name, const char *token, int *port)
{
    char db [1100], port_file [1100];
    snprintf (db, sizeof db, "%s/%s.db", s_dir, name);
    snprintf (port_file, sizeof port_file, "%s/%s.port", s_dir, name);
    unlink (port_file);
    *port = 0;
    pid_t pid = fork ();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        setpgid (0, 0);
        execl (s_serve, s_serve, "--db", db, "--fixture", "tq", "--now",
               "2021-12-20T03:00:00Z", "--port", "0", "--port-file", port_file,
               token ? "--token" : (char *) NULL, token, (char *) NULL);
        _exit (127);
    }
    setpgid (pid, pid);
    for (int i = 0; i < 600 && *port == 0; i++) {
        FILE *f = fopen (port_file, "r");
        if (f) {
            if (fscanf (f, "%d", port) != 1)
                *port = 0;
            fclose (f);
        }
        if (*port == 0) {
            int status;
            if (waitpid (pid, &status, WNOHANG) == pid) {
                fprintf (stderr, "the test server exited\n");
                return -1;
            }
            usleep (100 * 1000);
        }
    }
    if (*port == 0) {
        fprintf (stderr, "the test server did not start\n");
        kill (-pid, SIGKILL);
        waitpid (pid, NULL, 0);
        return -1;
    }
    return pid;
}

/*  Stop the test server; 0 when it exited cleanly (status 0: no leak
    reports under the sanitizers either). */
static int
s_stop_server (void)
{
    int rc = 0;
    if (s_server > 0) {
        kill (s_server, SIGTERM);
        rc = s_wait (s_server, 15000);
        if (rc != 0)
            fprintf (stderr, "test server did not stop cleanly (%d)\n", rc);
        s_server = -1;
    }
    return rc;
}

int
main (int argc, char **argv)
{
    if (argc < 3) {
        fprintf (stderr, "usage: test_browser WORKDIR SERVE_BINARY\n");
        return 2;
    }
    if (!s_find_chromium ()) {
        printf ("SKIP: no chromium found (deploy/install-deps.sh installs it)\n");
        return 77;
    }
    snprintf (s_dir, sizeof s_dir, "%s", argv [1]);
    mkdir (s_dir, 0755);
    snprintf (s_serve, sizeof s_serve, "%s", argv [2]);
    s_server = s_start_server ("browser", NULL, &s_port);
    if (s_server < 0)
        return 1;
    printf ("chromium: %s, test server on port %d\n", s_chromium, s_port);

    CCHC_TEST_RUN (test_ranking_and_period_switch);
    CCHC_TEST_RUN (test_overview_targets);
    CCHC_TEST_RUN (test_unit_and_status);
    CCHC_TEST_RUN (test_token_not_in_links);
    CCHC_TEST_RUN (test_screenshots);

    if (s_stop_server () != 0)
        cchc_test_failed_++;
    return CCHC_TEST_DONE ();
}
