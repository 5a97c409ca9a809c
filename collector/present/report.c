/*  report.c — outputs of a roll-up: JSON, CSV, the terminal table, the
    Vietnamese report draft (Markdown), and the admin tool's commands that
    open the database, roll up and write one of them (report.h).

    Numbers for people use Vietnamese conventions (86,57; 1.234); numbers for
    programs (JSON, CSV) use plain C notation with a dot.
*/
#include "collector/present/labels.h"
#include "collector/present/report_impl.h"
#include "collector/present/report.h"
#include "common/text.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
int
cchc_format_parse (const char *text, cchc_format_t *format)
{
    if (!text)
        return -1;
    if (strcmp (text, "table") == 0)
        *format = CCHC_FORMAT_TABLE;
    else if (strcmp (text, "json") == 0)
        *format = CCHC_FORMAT_JSON;
    else if (strcmp (text, "csv") == 0)
        *format = CCHC_FORMAT_CSV;
    else
        return -1;
    return 0;
}

/* ------------------------------------------------------------------------ */
/*  Small formatting helpers */

/*  "2021-03-14" of a yyyymmdd. */
void
cchc_report_iso_day (int32_t yyyymmdd, char *buf, size_t size)
{
    snprintf (buf, size, "%04d-%02d-%02d", (int) (yyyymmdd / 10000),
              (int) (yyyymmdd / 100 % 100), (int) (yyyymmdd % 100));
}

/*  "14/03/2021" of a yyyymmdd. */
void
cchc_report_vi_day (int32_t yyyymmdd, char *buf, size_t size)
{
    snprintf (buf, size, "%02d/%02d/%04d", (int) (yyyymmdd % 100),
              (int) (yyyymmdd / 100 % 100), (int) (yyyymmdd / 10000));
}

/*  Each level's due day: "ngày 18/03/2021" when they agree, else
    "Sở, ban, ngành ngày 18/03/2021; UBND cấp huyện ngày 17/03/2021; UBND
    cấp xã ngày 16/03/2021". */
void
cchc_report_vi_dues (const cchc_rollup_window_t *w, char *buf, size_t size)
{
    bool same = true;
    for (int l = 1; l < CCHC_LEVEL_COUNT; l++)
        same = same && w->level_due_day [l] == w->level_due_day [0];
    char day [16];
    if (same) {
        cchc_report_vi_day (w->level_due_day [0], day, sizeof day);
        snprintf (buf, size, "ngày %s", day);
        return;
    }
    size_t used = 0;
    buf [0] = 0;
    for (int l = 0; l < CCHC_LEVEL_COUNT && used < size; l++) {
        cchc_report_vi_day (w->level_due_day [l], day, sizeof day);
        int n = snprintf (buf + used, size - used, "%s%s ngày %s", l ? "; " : "",
                          cchc_label_level_short ((cchc_level_t) l), day);
        if (n < 0)
            break;
        used += (size_t) n;
    }
}

/*  Local time of a UTC instant: "2021-03-18T23:59:59+07:00" (iso) or
    "18/03/2021 23:59" (vi). */
void
cchc_report_local_time (int64_t utc_ms, bool iso, char *buf, size_t size)
{
    cchc_date_t day = cchc_date_from_utc_ms (utc_ms);
    int64_t in_day = utc_ms - cchc_date_start_utc_ms (day);
    int y, m, d;
    cchc_date_to_ymd (day, &y, &m, &d);
    int hh = (int) (in_day / 3600000), mm = (int) (in_day / 60000 % 60),
        ss = (int) (in_day / 1000 % 60);
    if (iso)
        snprintf (buf, size, "%04d-%02d-%02dT%02d:%02d:%02d+07:00", y, m, d, hh, mm, ss);
    else
        snprintf (buf, size, "%02d/%02d/%04d %02d:%02d", d, m, y, hh, mm);
}

/*  Vietnamese number: decimal comma, thousands dot: 1.234,5 */
void
cchc_report_vi_num (double v, int decimals, char *buf, size_t size)
{
    if (isnan (v)) {
        snprintf (buf, size, "–");
        return;
    }
    char raw [64];
    snprintf (raw, sizeof raw, "%.*f", decimals, fabs (v));
    char *dot = strchr (raw, '.');
    size_t int_len = dot ? (size_t) (dot - raw) : strlen (raw);
    char out [96];
    size_t o = 0;
    if (v < 0 && strspn (raw, "0.") != strlen (raw))
        out [o++] = '-';
    for (size_t i = 0; i < int_len; i++) {
        if (i > 0 && (int_len - i) % 3 == 0)
            out [o++] = '.';
        out [o++] = raw [i];
    }
    if (dot) {
        out [o++] = ',';
        for (const char *p = dot + 1; *p; p++)
            out [o++] = *p;
    }
    out [o] = '\0';
    snprintf (buf, size, "%s", out);
}

/*  A value as people read it: a rate as "45,2%", a plain value as a number. */
void
cchc_report_vi_value (const cchc_indicator_t *ind, double v, char *buf, size_t size)
{
    if (isnan (v)) {
        snprintf (buf, size, "–");
        return;
    }
    if (ind->rule == CCHC_RULE_ON_TIME) {
        snprintf (buf, size, "%s", v >= 1 ? "có" : "không");
        return;
    }
    if (ind->denominator >= 0) {
        char n [64];
        cchc_report_vi_num (v * 100, 1, n, sizeof n);
        snprintf (buf, size, "%.24s%%", n);
    }
    else
        cchc_report_vi_num (v, fabs (v - round (v)) < 1e-9 ? 0 : 2, buf, size);
}

/*  Display width of UTF-8 text: code points, less combining marks. */
static size_t
s_width (const char *s)
{
    size_t w = 0;
    const unsigned char *p = (const unsigned char *) s;
    while (*p) {
        unsigned c = *p;
        size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        unsigned cp = c;
        if (len == 2 && p [1])
            cp = ((c & 0x1F) << 6) | (p [1] & 0x3F);
        bool combining = len == 2 && cp >= 0x300 && cp <= 0x36F;
        if (!combining)
            w++;
        for (size_t i = 0; i < len && *p; i++)
            p++;
    }
    return w;
}

/*  Print s in a column of `width` (left or right aligned), cut with "…". */
static void
s_col (FILE *out, const char *s, size_t width, bool right)
{
    size_t w = s_width (s);
    if (w <= width) {
        if (right)
            fprintf (out, "%*s%s", (int) (width - w), "", s);
        else
            fprintf (out, "%s%*s", s, (int) (width - w), "");
        return;
    }
    /* cut at a code point boundary, width-1 columns, then "…" */
    const unsigned char *p = (const unsigned char *) s;
    size_t used = 0, bytes = 0;
    while (p [bytes] && used < width - 1) {
        unsigned c = p [bytes];
        size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        bytes += len;
        used++;
        while (p [bytes] == 0xCC || p [bytes] == 0xCD) /* combining marks */
            bytes += 2;
    }
    fwrite (s, 1, bytes, out);
    fputs ("…", out);
}

/* ------------------------------------------------------------------------ */
/*  CSV */

/*  A text cell: quoted as needed, formula-neutralised (common/text.h). */
void
cchc_report_csv_text (FILE *out, const char *s)
{
    if (s)
        cchc_csv_field (out, s, true);
}

static void
s_csv_num (FILE *out, double v)
{
    if (!isnan (v) && !isinf (v))
        fprintf (out, "%.10g", v);
}

static void
s_write_csv (const cchc_rollup_t *r, const char *unit, FILE *out)
{
    const cchc_criteria_t *cat = r->criteria;
    fputs ("period,unit,name,level,index,rank,change,complete,on_time,"
           "indicator,area,state,numerator,denominator,value,target,points,"
           "points_max\r\n",
           out);
    for (size_t i = 0; i < r->unit_count; i++) {
        const cchc_rollup_unit_result_t *u = &r->units [i];
        if (unit && strcmp (unit, u->code) != 0)
            continue;
        for (size_t k = 0; k < cchc_criteria_indicator_count (cat); k++) {
            const cchc_indicator_t *ind = cchc_criteria_indicator (cat, k);
            const cchc_rollup_score_t *s = &u->scores [k];
            fprintf (out, "%s,", r->window.id);
            cchc_report_csv_text (out, u->code);
            fputc (',', out);
            cchc_report_csv_text (out, u->name);
            fprintf (out, ",%s,", cchc_level_code (u->level));
            s_csv_num (out, u->index);
            fputc (',', out);
            if (u->rank)
                fprintf (out, "%d", u->rank);
            fputc (',', out);
            s_csv_num (out, u->has_change ? u->change : NAN);
            fprintf (out, ",%d,%d,%s,%s,%s,", u->complete, u->on_time, ind->code,
                     cchc_criteria_area (cat, ind->area)->code,
                     cchc_score_state_code (s->state));
            s_csv_num (out, s->numerator);
            fputc (',', out);
            s_csv_num (out, s->denominator);
            fputc (',', out);
            s_csv_num (out, s->value);
            fputc (',', out);
            s_csv_num (out, s->target);
            fputc (',', out);
            s_csv_num (out, s->points);
            fputc (',', out);
            s_csv_num (out, s->points_max);
            fputs ("\r\n", out);
        }
    }
}

/* ------------------------------------------------------------------------ */
/*  Text table */

static void
s_table_header (const cchc_rollup_t *r, FILE *out)
{
    const cchc_rollup_window_t *w = &r->window;
    char a [16], b [16], due [160], lock [16], asof [40];
    cchc_report_vi_day (w->first_day, a, sizeof a);
    cchc_report_vi_day (w->last_day, b, sizeof b);
    cchc_report_vi_dues (w, due, sizeof due);
    cchc_report_vi_day (w->lock_day, lock, sizeof lock);
    cchc_report_local_time (w->as_of_ms, false, asof, sizeof asof);
    const char *dues = strncmp (due, "ngày ", strlen ("ngày ")) == 0
                           ? due + strlen ("ngày ")
                           : due; /* one day for all */
    fprintf (out, "Kỳ %s: %s – %s · hạn gửi %s · khóa %s · tính đến %s\n", w->id, a, b, dues,
             lock, asof);
    fprintf (out, "Bộ tiêu chí: %s\n", cchc_criteria_name (r->criteria));
}

static void
s_table_units (const cchc_rollup_t *r, FILE *out)
{
    s_table_header (r, out);
    for (int level = 0; level < CCHC_LEVEL_COUNT; level++) {
        const cchc_rollup_dist_t *d = &r->dist [level];
        if (d->units == 0)
            continue;
        char med [32];
        cchc_report_vi_num (d->median, 2, med, sizeof med);
        fprintf (out, "\n%s: %zu đơn vị, %zu có chỉ số, trung vị %s\n",
                 cchc_label_level_short ((cchc_level_t) level), d->units, d->ranked, med);
        s_col (out, "Hạng", 5, true);
        fputs ("  ", out);
        s_col (out, "Mã", 8, false);
        fputs ("  ", out);
        s_col (out, "Tên đơn vị", 36, false);
        fputs ("  ", out);
        s_col (out, "Chỉ số", 7, true);
        fputs ("  ", out);
        s_col (out, "Thay đổi", 8, true);
        fputs ("  ", out);
        s_col (out, "Điểm", 13, true);
        fputs ("  ", out);
        s_col (out, "Thiếu", 5, true);
        fputs ("  Đúng hạn\n", out);
        size_t n;
        size_t *order = cchc_rollup_ranking (r, level, &n);
        if (!order)
            return;
        for (size_t k = 0; k < n; k++) {
            const cchc_rollup_unit_result_t *u = &r->units [order [k]];
            char rank [16], idx [32], chg [32], pts [48];
            if (u->rank)
                snprintf (rank, sizeof rank, "%d", u->rank);
            else
                snprintf (rank, sizeof rank, "–");
            cchc_report_vi_num (u->index, 2, idx, sizeof idx);
            if (u->has_change) {
                cchc_report_vi_num (u->change, 2, chg + 1, sizeof chg - 1);
                chg [0] = u->change > 0.005 ? '+' : ' ';
            }
            else
                snprintf (chg, sizeof chg, "–");
            char e [24], ap [24];
            cchc_report_vi_num (u->earned, 2, e, sizeof e);
            cchc_report_vi_num (u->applicable, 2, ap, sizeof ap);
            snprintf (pts, sizeof pts, "%s/%s", e, ap);
            fprintf (out, "%5s  ", rank);
            s_col (out, u->code, 8, false);
            fputs ("  ", out);
            s_col (out, u->name, 36, false);
            fputs ("  ", out);
            s_col (out, idx, 7, true);
            fputs ("  ", out);
            s_col (out, chg, 8, true);
            fputs ("  ", out);
            s_col (out, pts, 13, true);
            fprintf (out, "  %5zu  %s\n", u->indicators_missing,
                     u->on_time    ? "có"
                     : u->pending  ? "chưa đến hạn"
                     : u->complete ? "chậm"
                                   : "thiếu");
        }
        free (order);
    }
}

static void
s_table_unit (const cchc_rollup_t *r, const cchc_rollup_unit_result_t *u, FILE *out)
{
    const cchc_criteria_t *cat = r->criteria;
    s_table_header (r, out);
    char idx [32], rank [32] = "–", chg [32] = "–";
    cchc_report_vi_num (u->index, 2, idx, sizeof idx);
    if (u->rank)
        snprintf (rank, sizeof rank, "%d", u->rank);
    if (u->has_change) {
        cchc_report_vi_num (u->change, 2, chg + 1, sizeof chg - 1);
        chg [0] = u->change > 0.005 ? '+' : ' ';
    }
    fprintf (out, "\n%s — %s (%s)\nChỉ số %s · hạng %s · thay đổi %s · xếp loại %s\n", u->code,
             u->name, cchc_label_level_short (u->level), idx, rank, chg,
             u->grade ? u->grade : "–");
    fprintf (out, "Số liệu: %zu/%zu chỉ tiêu thống kê · %s\n\n", u->metrics_reported,
             u->metrics_expected,
             u->on_time    ? "đúng hạn"
             : u->pending  ? "chưa đến hạn"
             : u->complete ? "gửi chậm"
                           : "thiếu số liệu");
    static const char *heads [] = {
        "Tử số", "Mẫu số", "Giá trị", "Mục tiêu", "Điểm", "Tối đa"
    };
    static const size_t widths [] = { 12, 12, 9, 9, 6, 6 };
    s_col (out, "Tiêu chí", 20, false);
    fputs ("  ", out);
    s_col (out, "Lĩnh vực", 10, false);
    for (int k = 0; k < 6; k++) {
        fputs ("  ", out);
        s_col (out, heads [k], widths [k], true);
    }
    fputs ("  Trạng thái\n", out);
    for (size_t i = 0; i < cchc_criteria_indicator_count (cat); i++) {
        const cchc_indicator_t *ind = cchc_criteria_indicator (cat, i);
        const cchc_rollup_score_t *s = &u->scores [i];
        char num [32], den [32], val [32], tgt [32], pts [32], max [32];
        cchc_report_vi_num (s->numerator,
                            fabs (s->numerator - round (s->numerator)) < 1e-9 ? 0 : 2, num,
                            sizeof num);
        cchc_report_vi_num (s->denominator, 0, den, sizeof den);
        cchc_report_vi_value (ind, s->value, val, sizeof val);
        cchc_report_vi_value (ind, s->target, tgt, sizeof tgt);
        cchc_report_vi_num (s->points, 2, pts, sizeof pts);
        cchc_report_vi_num (s->points_max, 2, max, sizeof max);
        s_col (out, ind->code, 20, false);
        fputs ("  ", out);
        s_col (out, cchc_criteria_area (cat, ind->area)->code, 10, false);
        fputs ("  ", out);
        s_col (out, num, 12, true);
        fputs ("  ", out);
        s_col (out, den, 12, true);
        fputs ("  ", out);
        s_col (out, val, 9, true);
        fputs ("  ", out);
        s_col (out, tgt, 9, true);
        fputs ("  ", out);
        s_col (out, pts, 6, true);
        fputs ("  ", out);
        s_col (out, max, 6, true);
        fprintf (out, "  %s\n", cchc_score_state_name (s->state));
    }
    bool any = false;
    for (size_t m = 0; m < cchc_criteria_metric_count (cat); m++)
        if (u->cells [m].expected && !u->cells [m].present) {
            fprintf (out, "%s %s",
                     any ? "," : "\nThiếu số liệu:", cchc_criteria_metric (cat, m)->code);
            any = true;
        }
    if (any)
        fputc ('\n', out);
}

int
cchc_rollup_write (const cchc_rollup_t *r, const char *unit, cchc_format_t format, FILE *out,
                   char *err, size_t errlen)
{
    assert (r && out);
    int ui = -1;
    if (unit && (ui = cchc_rollup_unit_find (r, unit)) < 0) {
        cchc_errf (err, errlen,
                   "unit '%s' is not scored in %s (unknown, not valid "
                   "on %d, or level tinh)",
                   unit, r->window.id, (int) r->window.last_day);
        return -1;
    }
    if (format == CCHC_FORMAT_JSON) {
        json_t *j = cchc_rollup_json (r, unit);
        if (!j) {
            cchc_errf (err, errlen, "out of memory");
            return -1;
        }
        int rc = json_dumpf (
            j, out, JSON_INDENT (2) | JSON_REAL_PRECISION (12) | JSON_ENSURE_ASCII * 0);
        json_decref (j);
        fputc ('\n', out);
        if (rc != 0) {
            cchc_errf (err, errlen, "cannot write JSON");
            return -1;
        }
    }
    else if (format == CCHC_FORMAT_CSV)
        s_write_csv (r, unit, out);
    else if (ui >= 0)
        s_table_unit (r, &r->units [ui], out);
    else
        s_table_units (r, out);
    if (fflush (out) != 0 || ferror (out)) {
        cchc_errf (err, errlen, "write error: %s", strerror (errno));
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/*  The report draft (Vietnamese, Markdown) */

/*  Markdown table cell text: pipes escaped. */
static void
s_md (FILE *out, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '|')
            fputc ('\\', out);
        fputc (*s == '\n' ? ' ' : *s, out);
    }
}

int
cchc_report_plan_rows (const cchc_rollup_t *r, cchc_report_plan_fn *fn, void *arg)
{
    const cchc_criteria_t *cat = r->criteria;
    int stt = 0;
    for (size_t i = 0; i < cchc_criteria_indicator_count (cat); i++) {
        const cchc_indicator_t *ind = cchc_criteria_indicator (cat, i);
        if (!ind->plan || ind->rule == CCHC_RULE_ON_TIME)
            continue;
        const cchc_rollup_figure_t *all = cchc_rollup_figure (r, i, -1);
        bool per_level = all && isnan (all->target);
        stt++;
        for (int l = per_level ? 0 : -1; l < (per_level ? CCHC_LEVEL_COUNT : 0); l++) {
            cchc_report_plan_row_t row = { .stt = stt, .ind = ind, .level = l };
            const cchc_rollup_figure_t *f = row.f = cchc_rollup_figure (r, i, l);
            if (!f)
                continue;
            cchc_report_vi_value (ind, f->value, row.value, sizeof row.value);
            cchc_report_vi_value (ind, f->target, row.target, sizeof row.target);
            row.cmp = ind->higher
                          ? (ind->rule == CCHC_RULE_PROPORTIONAL && f->target >= 1 ? "" : "≥ ")
                          : "≤ ";
            row.verdict = !f->has_value ? "Chưa có số liệu" : f->met ? "Đạt" : "Chưa đạt";
            fn (arg, &row);
        }
    }
    return stt;
}

static void
s_report_plan_row (void *arg, const cchc_report_plan_row_t *row)
{
    FILE *out = arg;
    const cchc_rollup_figure_t *f = row->f;
    int l = row->level;
    char num [32], den [32], frac [80];
    cchc_report_vi_num (f->numerator, 0, num, sizeof num);
    if (row->ind->denominator >= 0) {
        cchc_report_vi_num (f->denominator, 0, den, sizeof den);
        snprintf (frac, sizeof frac, "%s / %s", num, den);
    }
    else
        snprintf (frac, sizeof frac, "%s", num);
    if (l <= 0)
        fprintf (out, "| %d | ", row->stt);
    else
        fputs ("| | ", out);
    if (l <= 0)
        s_md (out, row->ind->name);
    fprintf (out, " | %s | %s | %s | %s%s | %s",
             l < 0 ? CCHC_LABEL_PROVINCE : cchc_label_level_short ((cchc_level_t) l),
             row->value, frac, row->cmp, row->target, row->verdict);
    if (f->units_missing)
        fprintf (out, " (%zu đơn vị thiếu số liệu)", f->units_missing);
    fputs (" |\n", out);
}

static void
s_report_plan (const cchc_rollup_t *r, FILE *out)
{
    fputs ("## I. KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU CỦA KẾ HOẠCH\n\n", out);
    fputs ("Kết quả của tỉnh được tính trên tổng số liệu của tất cả các cơ quan, "
           "đơn vị có số liệu trong kỳ (tử số và mẫu số cộng dồn), so với chỉ "
           "tiêu của Kế hoạch.\n\n",
           out);
    fputs ("| STT | Chỉ tiêu | Phạm vi | Kết quả | Tử số / mẫu số | Chỉ tiêu kế hoạch "
           "| Đánh giá |\n|---:|---|---|---:|---:|---:|---|\n",
           out);
    if (cchc_report_plan_rows (r, s_report_plan_row, out) == 0)
        fputs ("| | Bộ tiêu chí không đánh dấu chỉ tiêu kế hoạch nào (plan = yes) "
               "| | | | | |\n",
               out);
    fputc ('\n', out);
}

static void
s_report_distribution (const cchc_rollup_t *r, FILE *out)
{
    const cchc_criteria_t *cat = r->criteria;
    size_t ng = cchc_criteria_grade_count (cat);
    fputs ("### 1. Tổng quan\n\n", out);
    fputs ("Chỉ số của mỗi cơ quan, đơn vị = 100 × điểm đạt được / tổng điểm các "
           "tiêu chí áp dụng cho đơn vị. Tiêu chí có mẫu số bằng 0 trong kỳ thì "
           "không áp dụng; tiêu chí áp dụng nhưng thiếu số liệu được 0 điểm.\n\n",
           out);
    fputs ("| Cấp | Số đơn vị | Có chỉ số | Thấp nhất | Trung vị | Cao nhất | Bình quân", out);
    for (size_t g = 0; g < ng; g++) {
        fputs (" | ", out);
        s_md (out, cchc_criteria_grade (cat, g)->name);
    }
    fputs (" | Thiếu số liệu | Gửi chậm |\n|---|---:|---:|---:|---:|---:|---:", out);
    for (size_t g = 0; g < ng; g++)
        fputs ("|---:", out);
    fputs ("|---:|---:|\n", out);
    for (int l = 0; l <= CCHC_LEVEL_COUNT; l++) {
        const cchc_rollup_dist_t *d = &r->dist [l];
        if (d->units == 0 && l < CCHC_LEVEL_COUNT)
            continue;
        char mn [32], md [32], mx [32], mean [32];
        cchc_report_vi_num (d->min, 2, mn, sizeof mn);
        cchc_report_vi_num (d->median, 2, md, sizeof md);
        cchc_report_vi_num (d->max, 2, mx, sizeof mx);
        cchc_report_vi_num (d->mean, 2, mean, sizeof mean);
        fprintf (out, "| %s | %zu | %zu | %s | %s | %s | %s",
                 l == CCHC_LEVEL_COUNT ? "**Tổng cộng**"
                                       : cchc_label_level_short ((cchc_level_t) l),
                 d->units, d->ranked, mn, md, mx, mean);
        for (size_t g = 0; g < ng; g++)
            fprintf (out, " | %zu", d->grade_counts [g]);
        fprintf (out, " | %zu | %zu |\n", d->incomplete, d->late);
    }
    fputc ('\n', out);
}

static void
s_report_ranking (const cchc_rollup_t *r, int level, int section, FILE *out)
{
    size_t n;
    size_t *order = cchc_rollup_ranking (r, level, &n);
    if (!order || n == 0) {
        free (order);
        return;
    }
    fprintf (out, "### %d. Xếp hạng %s\n\n", section,
             level == CCHC_LEVEL_SO      ? "các sở, ban, ngành"
             : level == CCHC_LEVEL_HUYEN ? "UBND các huyện, thành phố"
                                         : "UBND các xã, phường, thị trấn");
    fprintf (out, "| Hạng | Mã | Cơ quan, đơn vị | Chỉ số (%%) | Điểm | So với kỳ trước"
                  " | Xếp loại | Ghi chú |\n|---:|---|---|---:|---:|---:|---|---|\n");
    for (size_t k = 0; k < n; k++) {
        const cchc_rollup_unit_result_t *u = &r->units [order [k]];
        char idx [32], e [32], ap [32], chg [48];
        cchc_report_vi_num (u->index, 2, idx, sizeof idx);
        cchc_report_vi_num (u->earned, 2, e, sizeof e);
        cchc_report_vi_num (u->applicable, 2, ap, sizeof ap);
        if (u->has_change) {
            char c [32];
            cchc_report_vi_num (u->change, 2, c, sizeof c);
            snprintf (chg, sizeof chg, "%s%s", u->change > 0.005 ? "+" : "", c);
            if (u->prev_rank) {
                size_t len = strlen (chg);
                snprintf (chg + len, sizeof chg - len, " (hạng %d)", u->prev_rank);
            }
        }
        else
            snprintf (chg, sizeof chg, "–");
        if (u->rank)
            fprintf (out, "| %d | ", u->rank);
        else
            fputs ("| – | ", out);
        s_md (out, u->code);
        fputs (" | ", out);
        s_md (out, u->name);
        fprintf (out, " | %s | %s/%s | %s | %s | ", idx, e, ap, chg,
                 u->grade ? u->grade : "–");
        const char *sep = "";
        if (u->indicators_missing) {
            fprintf (out, "thiếu số liệu %zu tiêu chí", u->indicators_missing);
            sep = "; ";
        }
        if (!u->on_time && !u->pending && u->complete)
            fprintf (out, "%sgửi chậm", sep);
        else if (!u->on_time && u->pending)
            fprintf (out, "%schưa đến hạn gửi", sep);
        fputs (" |\n", out);
    }
    fputc ('\n', out);
    free (order);
}

static void
s_report_areas (const cchc_rollup_t *r, int section, FILE *out)
{
    const cchc_criteria_t *cat = r->criteria;
    size_t na = cchc_criteria_area_count (cat);
    fprintf (out,
             "### %d. Kết quả theo lĩnh vực\n\nTỷ lệ điểm đạt được trên điểm "
             "áp dụng, cộng chung các đơn vị cùng cấp.\n\n| Lĩnh vực",
             section);
    for (int l = 0; l < CCHC_LEVEL_COUNT; l++)
        if (r->dist [l].units)
            fprintf (out, " | %s", cchc_label_level_short ((cchc_level_t) l));
    fputs (" |\n|---", out);
    for (int l = 0; l < CCHC_LEVEL_COUNT; l++)
        if (r->dist [l].units)
            fputs ("|---:", out);
    fputs ("|\n", out);
    for (size_t a = 0; a < na; a++) {
        fputs ("| ", out);
        s_md (out, cchc_criteria_area (cat, a)->name);
        for (int l = 0; l < CCHC_LEVEL_COUNT; l++) {
            if (!r->dist [l].units)
                continue;
            double e = 0, ap = 0;
            for (size_t i = 0; i < r->unit_count; i++)
                if ((int) r->units [i].level == l) {
                    e += r->units [i].area_earned [a];
                    ap += r->units [i].area_applicable [a];
                }
            char pct [32];
            cchc_report_vi_num (ap > 0 ? 100 * e / ap : NAN, 1, pct, sizeof pct);
            fprintf (out, " | %s%s", pct, ap > 0 ? "%" : "");
        }
        fputs (" |\n", out);
    }
    fputc ('\n', out);
}

static void
s_report_gaps (const cchc_rollup_t *r, FILE *out)
{
    const cchc_criteria_t *cat = r->criteria;
    char due [160];
    cchc_report_vi_dues (&r->window, due, sizeof due);
    bool one = strncmp (due, "ngày ", strlen ("ngày ")) == 0;
    fprintf (out,
             "## III. CƠ QUAN, ĐƠN VỊ THIẾU SỐ LIỆU HOẶC GỬI SỐ LIỆU CHẬM\n\n"
             "Số liệu của kỳ được coi là đúng hạn khi đầy đủ và đến hệ thống "
             "trước 24 giờ %s%s.\n\n",
             one ? "" : "ngày hạn gửi của cấp mình: ", due);
    size_t n;
    size_t *order = cchc_rollup_ranking (r, -1, &n);
    if (!order)
        return;
    size_t shown = 0;
    for (size_t k = 0; k < n; k++) {
        const cchc_rollup_unit_result_t *u = &r->units [order [k]];
        if (u->on_time)
            continue;
        if (shown++ == 0)
            fputs ("| Cơ quan, đơn vị | Cấp | Số liệu đã có | Còn thiếu "
                   "| Lần gửi cuối | Tình trạng |\n|---|---|---:|---|---|---|\n",
                   out);
        fputs ("| ", out);
        s_md (out, u->name);
        fprintf (out, " (%s) | %s | %zu/%zu | ", u->code, cchc_label_level_short (u->level),
                 u->metrics_reported, u->metrics_expected);
        size_t listed = 0, missing = u->metrics_expected - u->metrics_reported;
        for (size_t m = 0; m < cchc_criteria_metric_count (cat); m++) {
            if (!u->cells [m].expected || u->cells [m].present)
                continue;
            if (listed == 3) {
                fprintf (out, " và %zu chỉ tiêu khác", missing - listed);
                break;
            }
            if (listed++)
                fputs ("; ", out);
            s_md (out, cchc_criteria_metric (cat, m)->name);
        }
        if (missing == 0)
            fputs ("–", out);
        char last [40] = "chưa gửi";
        if (u->last_received_ms > 0 && u->last_received_ms != INT64_MAX)
            cchc_report_local_time (u->last_received_ms, false, last, sizeof last);
        fprintf (out, " | %s | %s |\n", last,
                 u->pending     ? "Chưa đến hạn gửi"
                 : !u->complete ? "Thiếu số liệu"
                                : "Gửi chậm");
    }
    if (shown == 0)
        fputs ("Tất cả các cơ quan, đơn vị đã gửi đầy đủ số liệu đúng hạn.\n", out);
    fputc ('\n', out);
    free (order);
}

int
cchc_report_write (const cchc_rollup_t *r, FILE *out, char *err, size_t errlen)
{
    assert (r && out);
    const cchc_rollup_window_t *w = &r->window;
    char title [64], a [16], b [16], due [160], lock [16], asof [40];
    cchc_label_period (&w->period, CCHC_LABEL_UPPER, title, sizeof title);
    cchc_report_vi_day (w->first_day, a, sizeof a);
    cchc_report_vi_day (w->last_day, b, sizeof b);
    cchc_report_vi_dues (w, due, sizeof due);
    cchc_report_vi_day (w->lock_day, lock, sizeof lock);
    cchc_report_local_time (w->as_of_ms, false, asof, sizeof asof);

    fprintf (out, "# BÁO CÁO KẾT QUẢ CẢI CÁCH HÀNH CHÍNH %s\n\n", title);
    fputs ("*Dự thảo do hệ thống tự động tổng hợp; Sở Nội vụ rà soát, hoàn chỉnh "
           "trước khi trình Ủy ban nhân dân tỉnh.*\n\n",
           out);
    fprintf (out, "- Kỳ báo cáo: %s (số liệu từ ngày %s đến ngày %s).\n", w->id, a, b);
    fprintf (out,
             "- Hạn gửi số liệu của các cơ quan, đơn vị: %s; khóa số liệu "
             "của kỳ: ngày %s.\n",
             due, lock);
    fprintf (out, "- Số liệu tổng hợp đến: %s (giờ Việt Nam)", asof);
    if (w->as_of_ms < w->lock_ms)
        fputs (" — **số liệu tạm tính, kỳ chưa khóa**", out);
    fputs (".\n- Bộ tiêu chí: ", out);
    s_md (out, cchc_criteria_name (r->criteria));
    fprintf (out, ".\n- Số cơ quan, đơn vị được đánh giá: %zu", r->unit_count);
    const char *sep = " (";
    for (int l = 0; l < CCHC_LEVEL_COUNT; l++)
        if (r->dist [l].units) {
            fprintf (out, "%s%zu %s", sep, r->dist [l].units,
                     l == CCHC_LEVEL_SO      ? "sở, ban, ngành"
                     : l == CCHC_LEVEL_HUYEN ? "UBND cấp huyện"
                                             : "UBND cấp xã");
            sep = ", ";
        }
    fputs (*sep == ',' ? ").\n\n" : ".\n\n", out);

    s_report_plan (r, out);
    fputs ("## II. CHỈ SỐ CẢI CÁCH HÀNH CHÍNH CỦA CÁC CƠ QUAN, ĐƠN VỊ\n\n", out);
    s_report_distribution (r, out);
    int section = 2;
    for (int l = 0; l < CCHC_LEVEL_COUNT; l++)
        if (r->dist [l].units)
            s_report_ranking (r, l, section++, out);
    s_report_areas (r, section, out);
    s_report_gaps (r, out);

    fputs ("## IV. GHI CHÚ VỀ SỐ LIỆU\n\n", out);
    fprintf (out,
             "Mọi con số trong báo cáo được tính tự động từ các bản tin có chữ "
             "ký số do phần mềm của các cơ quan, đơn vị gửi về; bản tin mới nhất "
             "được dùng có số thứ tự %lld trong nhật ký của hệ thống. Có thể truy "
             "nguyên từng chỉ số đến từng số liệu và bản tin gốc bằng lệnh "
             "`cchcctl explain --period %s --unit MÃ --code TIÊU_CHÍ`.\n",
             (long long) r->journal_max, w->id);
    if (fflush (out) != 0 || ferror (out)) {
        cchc_errf (err, errlen, "write error: %s", strerror (errno));
        return -1;
    }
    return 0;
}
