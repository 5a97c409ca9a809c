/*  national.c (collector/present/) — the national ranking's exports and
    printable report (national.h), built on export.c's book, the report
    sink (pdf.c through reports.c, html.c) and report_impl.h's Vietnamese
    numbers and dates.
*/
#include "collector/present/national.h"

#include "collector/present/html.h"
#include "collector/present/labels.h"
#include "collector/present/reports.h"
#include "collector/present/report_impl.h"

#include "common/clock.h"
#include "common/period.h"
#include "common/text.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const s_levels [CCHC_LEVEL_COUNT] = { "so", "huyen", "xa" };

static const char *
s_str (const json_t *o, const char *key)
{
    const char *s = json_string_value (json_object_get (o, key));
    return s ? s : "";
}

/*  NAN when absent or null. */
static double
s_num (const json_t *o, const char *key)
{
    const json_t *v = json_object_get (o, key);
    return json_is_number (v) ? json_number_value (v) : NAN;
}

static double
s_level_index (const json_t *p, int level)
{
    return s_num (json_object_get (json_object_get (p, "levels"), s_levels [level]), "index");
}

static const char *
s_status (const char *status)
{
    return strcmp (status, "reported") == 0  ? "Đã gửi"
           : strcmp (status, "partial") == 0 ? "Đang gửi (chưa đủ)"
                                             : "Chưa gửi";
}

/*  The period's name (LOWER / UPPER) and its national deadline as
    dd/mm/yyyy; 0 or -1 (not a ranking). */
static int
s_heads (const json_t *rank, cchc_label_case_t letter_case, char *name, size_t size,
         char *deadline, size_t dsize, char *err, size_t errlen)
{
    cchc_period_t period;
    const char *id = s_str (rank, "period");
    if (!json_is_array (json_object_get (rank, "provinces"))
        || cchc_period_parse (id, &period)) {
        cchc_errf (err, errlen, "not a national ranking");
        return -1;
    }
    cchc_label_period (&period, letter_case, name, size);
    int y = 0, m = 0, d = 0;
    if (sscanf (s_str (rank, "deadline"), "%d-%d-%d", &y, &m, &d) == 3)
        cchc_report_vi_day (y * 10000 + m * 100 + d, deadline, dsize);
    else
        cchc_strlcpy (deadline, "–", dsize);
    return 0;
}

/*  A plan indicator's name and value as read (the catalogue's, else its
    code and a plain number). */
static const cchc_indicator_t *
s_indicator (const cchc_criteria_t *cat, const char *code)
{
    int i = cat ? cchc_criteria_indicator_find (cat, code) : -1;
    return i >= 0 ? cchc_criteria_indicator (cat, (size_t) i) : NULL;
}

static void
s_value (const cchc_indicator_t *ind, double v, char *buf, size_t size)
{
    if (ind)
        cchc_report_vi_value (ind, v, buf, size);
    else
        cchc_report_vi_num (v, 2, buf, size);
}

/* ------------------------------------------------------------------------ */
/*  Export */

static void
s_export_ranking (cchc_export_book_t *b, const json_t *rank)
{
    cchc_export_col (b, "Hạng", 6);
    cchc_export_col (b, "Mã", 6);
    cchc_export_col (b, "Tỉnh, thành phố", 26);
    cchc_export_col (b, "Điểm", 9);
    cchc_export_col (b, "Thay đổi so với kỳ trước", 10);
    for (int l = 0; l < CCHC_LEVEL_COUNT; l++)
        cchc_export_col (b, cchc_label_level ((cchc_level_t) l), 12);
    cchc_export_col (b, "Số đơn vị", 8);
    cchc_export_col (b, "Tình trạng", 14);
    cchc_export_col (b, "Gửi muộn", 8);
    cchc_export_col (b, "Phiên bản", 8);
    cchc_export_col (b, "Đã sửa đổi", 8);
    cchc_export_col (b, "Nhận lúc", 17);
    size_t i;
    const json_t *p;
    json_array_foreach (json_object_get (rank, "provinces"), i, p)
    {
        bool reported = strcmp (s_str (p, "status"), "reported") == 0;
        cchc_export_row (b);
        if (json_is_integer (json_object_get (p, "rank")))
            cchc_export_int (b, s_num (p, "rank"));
        else
            cchc_export_skip (b);
        cchc_export_text (b, s_str (p, "code"));
        cchc_export_text (b, s_str (p, "name"));
        cchc_export_number (b, s_num (p, "score"));
        cchc_export_number (b, s_num (p, "change"));
        for (int l = 0; l < CCHC_LEVEL_COUNT; l++)
            cchc_export_number (b, s_level_index (p, l));
        cchc_export_int (b, s_num (p, "units"));
        cchc_export_text (b, s_status (s_str (p, "status")));
        cchc_export_text (
            b,
            reported ? (json_is_true (json_object_get (p, "late")) ? "Có" : "Không") : NULL);
        cchc_export_int (b, s_num (p, "version"));
        cchc_export_text (
            b, reported ? (json_is_true (json_object_get (p, "revised")) ? "Có" : "Không")
                        : NULL);
        char at [40] = "";
        if (reported)
            cchc_report_local_time ((int64_t) s_num (p, "received_at"), false, at, sizeof at);
        cchc_export_text (b, reported ? at : NULL);
    }
}

static void
s_export_plan (cchc_export_book_t *b, const json_t *rank, const cchc_criteria_t *cat)
{
    cchc_export_col (b, "Mã", 6);
    cchc_export_col (b, "Tỉnh, thành phố", 26);
    cchc_export_col (b, "Mã chỉ tiêu", 14);
    cchc_export_col (b, "Chỉ tiêu", 40);
    cchc_export_col (b, "Kết quả", 10);
    cchc_export_col (b, "Mục tiêu", 10);
    cchc_export_col (b, "Đạt mục tiêu", 8);
    size_t i, k;
    const json_t *p, *x;
    json_array_foreach (json_object_get (rank, "provinces"), i, p)
    {
        json_array_foreach (json_object_get (p, "plan"), k, x)
        {
            const cchc_indicator_t *ind = s_indicator (cat, s_str (x, "indicator"));
            bool rate = ind && ind->denominator >= 0;
            cchc_export_row (b);
            cchc_export_text (b, s_str (p, "code"));
            cchc_export_text (b, s_str (p, "name"));
            cchc_export_text (b, s_str (x, "indicator"));
            cchc_export_text (b, ind ? ind->name : s_str (x, "indicator"));
            if (rate) {
                cchc_export_percent (b, s_num (x, "value"));
                cchc_export_percent (b, s_num (x, "target"));
            }
            else {
                cchc_export_number (b, s_num (x, "value"));
                cchc_export_number (b, s_num (x, "target"));
            }
            cchc_export_text (b, json_is_true (json_object_get (x, "met")) ? "Có" : "Không");
        }
    }
}

int
cchc_present_national_export (const json_t *rank, const cchc_criteria_t *cat,
                              cchc_export_format_t format, const char *tmpdir, char **out,
                              size_t *size, char *err, size_t errlen)
{
    assert (rank && out && size);
    char name [64], deadline [16], title [256], subtitle [256];
    if (s_heads (rank, CCHC_LABEL_LOWER, name, sizeof name, deadline, sizeof deadline, err,
                 errlen))
        return -1;
    cchc_export_book_t *b = cchc_export_book_new ();
    if (!b) {
        cchc_errf (err, errlen, "out of memory");
        return -1;
    }
    snprintf (subtitle, sizeof subtitle,
              "%lld/%lld tỉnh, thành phố đã gửi; gửi muộn %lld; "
              "hạn gửi %s",
              (long long) s_num (rank, "reported"),
              (long long) s_num (json_object_get (rank, "structure"), "provinces"),
              (long long) s_num (rank, "late"), deadline);
    snprintf (title, sizeof title, "Xếp hạng Chỉ số CCHC các tỉnh, thành phố %s", name);
    cchc_export_sheet (b, "Xếp hạng", title, subtitle);
    s_export_ranking (b, rank);
    if (format == CCHC_EXPORT_XLSX) { /* a CSV file is one table */
        snprintf (title, sizeof title, "Chỉ tiêu kế hoạch của các tỉnh, thành phố %s", name);
        cchc_export_sheet (b, "Chỉ tiêu kế hoạch", title, subtitle);
        s_export_plan (b, rank, cat);
    }
    return cchc_export_book_write (&b, format, tmpdir, out, size, err, errlen);
}

/* ------------------------------------------------------------------------ */
/*  The printable report */

static void
s_print_ranking (const json_t *rank, const cchc_report_sink_t *sink)
{
    cchc_report_cells_t t = { 0 };
    cchc_report_cell (&t, "Hạng");
    cchc_report_cell (&t, "Tỉnh, thành phố");
    cchc_report_cell (&t, "Điểm");
    for (int l = 0; l < CCHC_LEVEL_COUNT; l++)
        cchc_report_cell (&t, "%s", cchc_label_level_short ((cchc_level_t) l));
    cchc_report_cell (&t, "Thay đổi");
    cchc_report_cell (&t, "Ghi chú");
    size_t i, shown = 0;
    const json_t *p;
    json_array_foreach (json_object_get (rank, "provinces"), i, p)
    {
        if (!json_is_integer (json_object_get (p, "rank")))
            continue;
        char score [32], change [32] = "", lv [CCHC_LEVEL_COUNT][32];
        cchc_report_vi_num (s_num (p, "score"), 2, score, sizeof score);
        double c = s_num (p, "change");
        if (!isnan (c)) {
            cchc_report_vi_num (c, 2, change, sizeof change);
            if (c > 0)
                memmove (change + 1, change, strlen (change) + 1), change [0] = '+';
        }
        for (int l = 0; l < CCHC_LEVEL_COUNT; l++)
            cchc_report_vi_num (s_level_index (p, l), 2, lv [l], sizeof lv [l]);
        bool revised = json_is_true (json_object_get (p, "revised"));
        bool late = json_is_true (json_object_get (p, "late"));
        cchc_report_cell (&t, "%lld", (long long) s_num (p, "rank"));
        cchc_report_cell (&t, "%s", s_str (p, "name"));
        cchc_report_cell (&t, "%s", score);
        for (int l = 0; l < CCHC_LEVEL_COUNT; l++)
            cchc_report_cell (&t, "%s", lv [l]);
        cchc_report_cell (&t, "%s", change);
        cchc_report_cell (&t, "%s%s%s", revised ? "bản sửa đổi" : "",
                          revised && late ? "; " : "", late ? "gửi muộn" : "");
        shown++;
    }
    if (shown == 0) {
        sink->paragraph (sink->arg, "Chưa có tỉnh, thành phố nào gửi đủ số liệu.", false);
        t.drop = true;
    }
    static const double w [] = { 0.9, 3.2, 1.1, 1.1, 1.1, 1.1, 1.1, 1.8 };
    cchc_report_cells_emit (sink, &t, 8, w, "rlrrrrrl");
}

static void
s_print_plan (const json_t *rank, const cchc_criteria_t *cat, const cchc_report_sink_t *sink)
{
    cchc_report_cells_t t = { 0 };
    cchc_report_cell (&t, "Tỉnh, thành phố");
    cchc_report_cell (&t, "Chỉ tiêu");
    cchc_report_cell (&t, "Kết quả");
    cchc_report_cell (&t, "Mục tiêu");
    cchc_report_cell (&t, "Đạt");
    size_t i, k, shown = 0;
    const json_t *p, *x;
    json_array_foreach (json_object_get (rank, "provinces"), i, p)
    {
        json_array_foreach (json_object_get (p, "plan"), k, x)
        {
            const cchc_indicator_t *ind = s_indicator (cat, s_str (x, "indicator"));
            char value [64], target [64];
            s_value (ind, s_num (x, "value"), value, sizeof value);
            s_value (ind, s_num (x, "target"), target, sizeof target);
            cchc_report_cell (&t, "%s", s_str (p, "name"));
            cchc_report_cell (&t, "%s", ind ? ind->name : s_str (x, "indicator"));
            cchc_report_cell (&t, "%s", value);
            cchc_report_cell (&t, "%s", target);
            cchc_report_cell (&t, "%s",
                              json_is_true (json_object_get (x, "met")) ? "Đạt" : "Chưa đạt");
            shown++;
        }
    }
    if (shown == 0) {
        sink->paragraph (sink->arg, "Không có chỉ tiêu kế hoạch trong số liệu đã nhận.",
                         false);
        t.drop = true;
    }
    static const double w [] = { 2.6, 4, 1.1, 1.1, 1.4 };
    cchc_report_cells_emit (sink, &t, 5, w, "llrrl");
}

/*  "Tỉnh A, Tỉnh B" of the provinces with `status` (or late ones). */
static void
s_names (const json_t *rank, const char *status, bool late, char *buf, size_t size)
{
    size_t i, o = 0;
    const json_t *p;
    buf [0] = 0;
    json_array_foreach (json_object_get (rank, "provinces"), i, p)
    {
        bool pick = late ? json_is_true (json_object_get (p, "late"))
                         : strcmp (s_str (p, "status"), status) != 0;
        if (!pick || o + 3 >= size)
            continue;
        int n = snprintf (buf + o, size - o, "%s%s", o ? ", " : "", s_str (p, "name"));
        o = n > 0 && (size_t) n < size - o ? o + (size_t) n : size - 1;
    }
}

static void
s_print_gaps (const json_t *rank, const cchc_report_sink_t *sink)
{
    char names [4096], text [4200];
    s_names (rank, "reported", false, names, sizeof names);
    long long absent = (long long) json_array_size (json_object_get (rank, "provinces"))
                       - (long long) s_num (rank, "reported");
    snprintf (text, sizeof text, "Chưa gửi đủ số liệu (%lld): %s.", absent,
              *names ? names : "không có");
    sink->paragraph (sink->arg, text, false);
    s_names (rank, NULL, true, names, sizeof names);
    snprintf (text, sizeof text, "Gửi muộn so với hạn (%lld): %s.",
              (long long) s_num (rank, "late"), *names ? names : "không có");
    sink->paragraph (sink->arg, text, false);
}

int
cchc_present_national_print (const json_t *rank, const cchc_criteria_t *cat, int64_t now_ms,
                             const cchc_report_sink_t *sink, char *err, size_t errlen)
{
    assert (rank && sink);
    char name [64], upper [64], deadline [16];
    if (s_heads (rank, CCHC_LABEL_LOWER, name, sizeof name, deadline, sizeof deadline, err,
                 errlen)
        || s_heads (rank, CCHC_LABEL_UPPER, upper, sizeof upper, deadline, sizeof deadline,
                    err, errlen))
        return -1;
    int y, m, d;
    cchc_date_to_ymd (cchc_date_from_utc_ms (now_ms), &y, &m, &d);
    char date [128], text [1024];
    snprintf (date, sizeof date, "Hà Nội, ngày %d tháng %d năm %d", d, m, y);
    sink->motto (sink->arg, "BỘ NỘI VỤ", "Số:        /BC-BNV", date);
    sink->title (sink->arg, "BÁO CÁO", 15, true);
    snprintf (text, sizeof text, "Kết quả Chỉ số cải cách hành chính các tỉnh, thành phố\n%s",
              upper);
    sink->title (sink->arg, text, 13, true);
    const json_t *st = json_object_get (rank, "structure");
    long long total = (long long) s_num (st, "provinces");
    snprintf (text, sizeof text,
              "Số liệu %s do các tỉnh, thành phố gửi về Bộ Nội vụ sau khi "
              "khóa số liệu (mỗi bản có chữ ký số của tỉnh; bản sửa đổi sau khi mở khóa thay "
              "bản trước, các bản đều được lưu). Cơ cấu của kỳ: %lld tỉnh, thành phố%s. "
              "Hạn gửi: %s.",
              name, total,
              json_is_true (json_object_get (st, "districts")) ? ", có cấp huyện"
                                                               : ", không có cấp huyện",
              deadline);
    sink->paragraph (sink->arg, text, false);
    sink->heading (sink->arg, "I. TÌNH HÌNH GỬI SỐ LIỆU");
    snprintf (text, sizeof text,
              "Đã gửi: %lld/%lld tỉnh, thành phố; chưa gửi: %lld; gửi "
              "muộn: %lld.",
              (long long) s_num (rank, "reported"), total, (long long) s_num (rank, "missing"),
              (long long) s_num (rank, "late"));
    sink->paragraph (sink->arg, text, false);
    sink->heading (sink->arg, "II. XẾP HẠNG CÁC TỈNH, THÀNH PHỐ");
    s_print_ranking (rank, sink);
    sink->paragraph (sink->arg,
                     "Điểm của tỉnh là trung bình chỉ số của các cấp (mỗi cấp: "
                     "trung bình chỉ số các đơn vị có chỉ số; cấp huyện khi cơ cấu có cấp "
                     "huyện), làm tròn đến 0,000001; cùng điểm thì cùng hạng. Thay đổi: so "
                     "với điểm kỳ trước cùng loại.",
                     true);
    sink->heading (sink->arg, "III. CHỈ TIÊU KẾ HOẠCH");
    s_print_plan (rank, cat, sink);
    sink->heading (sink->arg, "IV. TỈNH, THÀNH PHỐ CHƯA GỬI HOẶC GỬI MUỘN");
    s_print_gaps (rank, sink);
    return 0;
}

typedef struct {
    const json_t *rank;
    const cchc_criteria_t *cat;
    int64_t now_ms;
} s_compose_t;

static int
s_compose (void *arg, const cchc_report_sink_t *sink, char *err, size_t errlen)
{
    const s_compose_t *c = arg;
    return cchc_present_national_print (c->rank, c->cat, c->now_ms, sink, err, errlen);
}

int
cchc_present_national_pdf (const json_t *rank, const cchc_criteria_t *cat, int64_t now_ms,
                           const char *path, char *err, size_t errlen)
{
    assert (rank && path);
    s_compose_t c = { rank, cat, now_ms };
    return cchc_reports_pdf_compose (path, s_compose, &c, err, errlen);
}

int
cchc_present_national_pdf_bytes (const json_t *rank, const cchc_criteria_t *cat,
                                 int64_t now_ms, const char *tmpdir, char **out, size_t *size,
                                 char *err, size_t errlen)
{
    assert (rank && out && size);
    char path [600];
    if (cchc_export_tmpfile (tmpdir, "cchc-national", path, sizeof path, err, errlen) != 0)
        return -1;
    int rc = cchc_present_national_pdf (rank, cat, now_ms, path, err, errlen);
    if (rc == 0)
        rc = cchc_export_file_read (path, out, size, err, errlen);
    unlink (path);
    return rc;
}

int
cchc_present_national_html (const json_t *rank, const cchc_criteria_t *cat, int64_t now_ms,
                            bool standalone, char **out, size_t *size, char *err,
                            size_t errlen)
{
    assert (rank && out && size);
    char name [64], deadline [16], title [160];
    if (s_heads (rank, CCHC_LABEL_LOWER, name, sizeof name, deadline, sizeof deadline, err,
                 errlen))
        return -1;
    snprintf (title, sizeof title, "Báo cáo xếp hạng các tỉnh, thành phố — %s", name);
    cchc_html_t *page = cchc_html_new (title, standalone);
    if (!page) {
        cchc_errf (err, errlen, "out of memory");
        return -1;
    }
    cchc_report_sink_t sink = cchc_html_sink (page);
    int rc = cchc_present_national_print (rank, cat, now_ms, &sink, err, errlen);
    char e2 [128];
    if (cchc_html_close (&page, out, size, e2, sizeof e2) != 0 && rc == 0) {
        cchc_errf (err, errlen, "%s", e2);
        rc = -1;
    }
    if (rc != 0) {
        free (*out);
        *out = NULL;
    }
    return rc;
}
