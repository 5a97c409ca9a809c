/*  report.c — outputs of a roll-up: JSON, CSV, the terminal table, the
    Vietnamese report draft (Markdown), and the admin tool's commands that
    open the database, roll up and write one of them (report.h).

    Numbers for people use Vietnamese conventions (86,57; 1.234); numbers for
    programs (JSON, CSV) use plain C notation with a dot.
*/
#include "collector/present/labels.h"
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
static void
s_iso_day (int32_t yyyymmdd, char *buf, size_t size)
{
    snprintf (buf, size, "%04d-%02d-%02d", (int) (yyyymmdd / 10000),
              (int) (yyyymmdd / 100 % 100), (int) (yyyymmdd % 100));
}

/*  "14/03/2021" of a yyyymmdd. */
static void
s_vi_day (int32_t yyyymmdd, char *buf, size_t size)
{
    snprintf (buf, size, "%02d/%02d/%04d", (int) (yyyymmdd % 100),
              (int) (yyyymmdd / 100 % 100), (int) (yyyymmdd / 10000));
}

/*  Each level's due day: "ngày 18/03/2021" when they agree, else
    "Sở, ban, ngành ngày 18/03/2021; UBND cấp huyện ngày 17/03/2021; UBND
    cấp xã ngày 16/03/2021". */
static void
s_vi_dues (const cchc_rollup_window_t *w, char *buf, size_t size)
{
    bool same = true;
    for (int l = 1; l < CCHC_LEVEL_COUNT; l++)
        same = same && w->level_due_day[l] == w->level_due_day[0];
    char day[16];
    if (same) {
        s_vi_day (w->level_due_day[0], day, sizeof day);
        snprintf (buf, size, "ngày %s", day);
        return;
    }
    size_t used = 0;
    buf[0] = 0;
    for (int l = 0; l < CCHC_LEVEL_COUNT && used < size; l++) {
        s_vi_day (w->level_due_day[l], day, sizeof day);
        int n = snprintf (buf + used, size - used, "%s%s ngày %s", l ? "; " : "",
                          cchc_label_level_short ((cchc_level_t) l), day);
        if (n < 0)
            break;
        used += (size_t) n;
    }
}

/*  Local time of a UTC instant: "2021-03-18T23:59:59+07:00" (iso) or
    "18/03/2021 23:59" (vi). */
static void
s_local_time (int64_t utc_ms, bool iso, char *buf, size_t size)
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
static void
s_vi_num (double v, int decimals, char *buf, size_t size)
{
    if (isnan (v)) {
        snprintf (buf, size, "–");
        return;
    }
    char raw[64];
    snprintf (raw, sizeof raw, "%.*f", decimals, fabs (v));
    char *dot = strchr (raw, '.');
    size_t int_len = dot ? (size_t) (dot - raw) : strlen (raw);
    char out[96];
    size_t o = 0;
    if (v < 0 && strspn (raw, "0.") != strlen (raw))
        out[o++] = '-';
    for (size_t i = 0; i < int_len; i++) {
        if (i > 0 && (int_len - i) % 3 == 0)
            out[o++] = '.';
        out[o++] = raw[i];
    }
    if (dot) {
        out[o++] = ',';
        for (const char *p = dot + 1; *p; p++)
            out[o++] = *p;
    }
    out[o] = '\0';
    snprintf (buf, size, "%s", out);
}

/*  A value as people read it: a rate as "45,2%", a plain value as a number. */
static void
s_vi_value (const cchc_indicator_t *ind, double v, char *buf, size_t size)
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
        char n[64];
        s_vi_num (v * 100, 1, n, sizeof n);
        snprintf (buf, size, "%.24s%%", n);
    }
    else
        s_vi_num (v, fabs (v - round (v)) < 1e-9 ? 0 : 2, buf, size);
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
        if (len == 2 && p[1])
            cp = ((c & 0x1F) << 6) | (p[1] & 0x3F);
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
    while (p[bytes] && used < width - 1) {
        unsigned c = p[bytes];
        size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        bytes += len;
        used++;
        while (p[bytes] == 0xCC || p[bytes] == 0xCD)  /* combining marks */
            bytes += 2;
    }
    fwrite (s, 1, bytes, out);
    fputs ("…", out);
}

/* ------------------------------------------------------------------------ */
/*  CSV */

/*  A text cell: quoted as needed, formula-neutralised (common/text.h). */
static void
s_csv_text (FILE *out, const char *s)
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
           "points_max\r\n", out);
    for (size_t i = 0; i < r->unit_count; i++) {
        const cchc_rollup_unit_result_t *u = &r->units[i];
        if (unit && strcmp (unit, u->code) != 0)
            continue;
        for (size_t k = 0; k < cchc_criteria_indicator_count (cat); k++) {
            const cchc_indicator_t *ind = cchc_criteria_indicator (cat, k);
            const cchc_rollup_score_t *s = &u->scores[k];
            fprintf (out, "%s,", r->window.id);
            s_csv_text (out, u->code);
            fputc (',', out);
            s_csv_text (out, u->name);
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
    char a[16], b[16], due[160], lock[16], asof[40];
    s_vi_day (w->first_day, a, sizeof a);
    s_vi_day (w->last_day, b, sizeof b);
    s_vi_dues (w, due, sizeof due);
    s_vi_day (w->lock_day, lock, sizeof lock);
    s_local_time (w->as_of_ms, false, asof, sizeof asof);
    const char *dues = strncmp (due, "ngày ", strlen ("ngày ")) == 0
                       ? due + strlen ("ngày ") : due;     /* one day for all */
    fprintf (out, "Kỳ %s: %s – %s · hạn gửi %s · khóa %s · tính đến %s\n",
             w->id, a, b, dues, lock, asof);
    fprintf (out, "Bộ tiêu chí: %s\n", cchc_criteria_name (r->criteria));
}

static void
s_table_units (const cchc_rollup_t *r, FILE *out)
{
    s_table_header (r, out);
    for (int level = 0; level < CCHC_LEVEL_COUNT; level++) {
        const cchc_rollup_dist_t *d = &r->dist[level];
        if (d->units == 0)
            continue;
        char med[32];
        s_vi_num (d->median, 2, med, sizeof med);
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
            const cchc_rollup_unit_result_t *u = &r->units[order[k]];
            char rank[16], idx[32], chg[32], pts[48];
            if (u->rank)
                snprintf (rank, sizeof rank, "%d", u->rank);
            else
                snprintf (rank, sizeof rank, "–");
            s_vi_num (u->index, 2, idx, sizeof idx);
            if (u->has_change) {
                s_vi_num (u->change, 2, chg + 1, sizeof chg - 1);
                chg[0] = u->change > 0.005 ? '+' : ' ';
            }
            else
                snprintf (chg, sizeof chg, "–");
            char e[24], ap[24];
            s_vi_num (u->earned, 2, e, sizeof e);
            s_vi_num (u->applicable, 2, ap, sizeof ap);
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
                     u->on_time ? "có" : u->pending ? "chưa đến hạn"
             : u->complete ? "chậm" : "thiếu");
        }
        free (order);
    }
}

static void
s_table_unit (const cchc_rollup_t *r, const cchc_rollup_unit_result_t *u, FILE *out)
{
    const cchc_criteria_t *cat = r->criteria;
    s_table_header (r, out);
    char idx[32], rank[32] = "–", chg[32] = "–";
    s_vi_num (u->index, 2, idx, sizeof idx);
    if (u->rank)
        snprintf (rank, sizeof rank, "%d", u->rank);
    if (u->has_change) {
        s_vi_num (u->change, 2, chg + 1, sizeof chg - 1);
        chg[0] = u->change > 0.005 ? '+' : ' ';
    }
    fprintf (out, "\n%s — %s (%s)\nChỉ số %s · hạng %s · thay đổi %s · xếp loại %s\n",
             u->code, u->name, cchc_label_level_short (u->level), idx, rank, chg,
             u->grade ? u->grade : "–");
    fprintf (out, "Số liệu: %zu/%zu chỉ tiêu thống kê · %s\n\n", u->metrics_reported,
             u->metrics_expected,
             u->on_time ? "đúng hạn" : u->pending ? "chưa đến hạn" :
             u->complete ? "gửi chậm" : "thiếu số liệu");
    static const char *heads[] = { "Tử số", "Mẫu số", "Giá trị", "Mục tiêu", "Điểm",
                                   "Tối đa" };
    static const size_t widths[] = { 12, 12, 9, 9, 6, 6 };
    s_col (out, "Tiêu chí", 20, false);
    fputs ("  ", out);
    s_col (out, "Lĩnh vực", 10, false);
    for (int k = 0; k < 6; k++) {
        fputs ("  ", out);
        s_col (out, heads[k], widths[k], true);
    }
    fputs ("  Trạng thái\n", out);
    for (size_t i = 0; i < cchc_criteria_indicator_count (cat); i++) {
        const cchc_indicator_t *ind = cchc_criteria_indicator (cat, i);
        const cchc_rollup_score_t *s = &u->scores[i];
        char num[32], den[32], val[32], tgt[32], pts[32], max[32];
        s_vi_num (s->numerator, fabs (s->numerator - round (s->numerator)) < 1e-9
                  ? 0 : 2, num, sizeof num);
        s_vi_num (s->denominator, 0, den, sizeof den);
        s_vi_value (ind, s->value, val, sizeof val);
        s_vi_value (ind, s->target, tgt, sizeof tgt);
        s_vi_num (s->points, 2, pts, sizeof pts);
        s_vi_num (s->points_max, 2, max, sizeof max);
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
        if (u->cells[m].expected && !u->cells[m].present) {
            fprintf (out, "%s %s", any ? "," : "\nThiếu số liệu:",
                     cchc_criteria_metric (cat, m)->code);
            any = true;
        }
    if (any)
        fputc ('\n', out);
}

int
cchc_rollup_write (const cchc_rollup_t *r, const char *unit, cchc_format_t format,
                   FILE *out, char *err, size_t errlen)
{
    assert (r && out);
    int ui = -1;
    if (unit && (ui = cchc_rollup_unit_find (r, unit)) < 0) {
        cchc_errf (err, errlen, "unit '%s' is not scored in %s (unknown, not valid "
               "on %d, or level tinh)", unit, r->window.id, (int) r->window.last_day);
        return -1;
    }
    if (format == CCHC_FORMAT_JSON) {
        json_t *j = cchc_rollup_json (r, unit);
        if (!j) {
            cchc_errf (err, errlen, "out of memory");
            return -1;
        }
        int rc = json_dumpf (j, out, JSON_INDENT (2) | JSON_REAL_PRECISION (12)
                                     | JSON_ENSURE_ASCII * 0);
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
        s_table_unit (r, &r->units[ui], out);
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

static void
s_report_plan (const cchc_rollup_t *r, FILE *out)
{
    const cchc_criteria_t *cat = r->criteria;
    fputs ("## I. KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU CỦA KẾ HOẠCH\n\n", out);
    fputs ("Kết quả của tỉnh được tính trên tổng số liệu của tất cả các cơ quan, "
           "đơn vị có số liệu trong kỳ (tử số và mẫu số cộng dồn), so với chỉ "
           "tiêu của Kế hoạch.\n\n", out);
    fputs ("| STT | Chỉ tiêu | Phạm vi | Kết quả | Tử số / mẫu số | Chỉ tiêu kế hoạch "
           "| Đánh giá |\n|---:|---|---|---:|---:|---:|---|\n", out);
    int stt = 0;
    for (size_t i = 0; i < cchc_criteria_indicator_count (cat); i++) {
        const cchc_indicator_t *ind = cchc_criteria_indicator (cat, i);
        if (!ind->plan || ind->rule == CCHC_RULE_ON_TIME)
            continue;
        const cchc_rollup_figure_t *all = cchc_rollup_figure (r, i, -1);
        bool per_level = all && isnan (all->target);
        stt++;
        for (int l = per_level ? 0 : -1; l < (per_level ? CCHC_LEVEL_COUNT : 0); l++) {
            const cchc_rollup_figure_t *f = cchc_rollup_figure (r, i, l);
            if (!f)
                continue;
            char val[32], tgt[32], num[32], den[32], frac[80];
            s_vi_value (ind, f->value, val, sizeof val);
            s_vi_value (ind, f->target, tgt, sizeof tgt);
            s_vi_num (f->numerator, 0, num, sizeof num);
            if (ind->denominator >= 0) {
                s_vi_num (f->denominator, 0, den, sizeof den);
                snprintf (frac, sizeof frac, "%s / %s", num, den);
            }
            else
                snprintf (frac, sizeof frac, "%s", num);
            const char *verdict = !f->has_value ? "Chưa có số liệu"
                                : f->met ? "Đạt" : "Chưa đạt";
            if (l <= 0)
                fprintf (out, "| %d | ", stt);
            else
                fputs ("| | ", out);
            if (l <= 0)
                s_md (out, ind->name);
            fprintf (out, " | %s | %s | %s | %s%s | %s",
                     l < 0 ? CCHC_LABEL_PROVINCE : cchc_label_level_short ((cchc_level_t) l),
                     val, frac, ind->higher ? (ind->rule == CCHC_RULE_PROPORTIONAL
                                               && f->target >= 1 ? "" : "≥ ") : "≤ ",
                     tgt, verdict);
            if (f->units_missing)
                fprintf (out, " (%zu đơn vị thiếu số liệu)", f->units_missing);
            fputs (" |\n", out);
        }
    }
    if (stt == 0)
        fputs ("| | Bộ tiêu chí không đánh dấu chỉ tiêu kế hoạch nào (plan = yes) "
               "| | | | | |\n", out);
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
    fputs ("| Cấp | Số đơn vị | Có chỉ số | Thấp nhất | Trung vị | Cao nhất | Bình quân",
           out);
    for (size_t g = 0; g < ng; g++) {
        fputs (" | ", out);
        s_md (out, cchc_criteria_grade (cat, g)->name);
    }
    fputs (" | Thiếu số liệu | Gửi chậm |\n|---|---:|---:|---:|---:|---:|---:", out);
    for (size_t g = 0; g < ng; g++)
        fputs ("|---:", out);
    fputs ("|---:|---:|\n", out);
    for (int l = 0; l <= CCHC_LEVEL_COUNT; l++) {
        const cchc_rollup_dist_t *d = &r->dist[l];
        if (d->units == 0 && l < CCHC_LEVEL_COUNT)
            continue;
        char mn[32], md[32], mx[32], mean[32];
        s_vi_num (d->min, 2, mn, sizeof mn);
        s_vi_num (d->median, 2, md, sizeof md);
        s_vi_num (d->max, 2, mx, sizeof mx);
        s_vi_num (d->mean, 2, mean, sizeof mean);
        fprintf (out, "| %s | %zu | %zu | %s | %s | %s | %s",
                 l == CCHC_LEVEL_COUNT ? "**Tổng cộng**"
                                       : cchc_label_level_short ((cchc_level_t) l),
                 d->units, d->ranked, mn, md, mx, mean);
        for (size_t g = 0; g < ng; g++)
            fprintf (out, " | %zu", d->grade_counts[g]);
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
             level == CCHC_LEVEL_SO ? "các sở, ban, ngành"
             : level == CCHC_LEVEL_HUYEN ? "UBND các huyện, thành phố"
             : "UBND các xã, phường, thị trấn");
    fprintf (out, "| Hạng | Mã | Cơ quan, đơn vị | Chỉ số (%%) | Điểm | So với kỳ trước"
             " | Xếp loại | Ghi chú |\n|---:|---|---|---:|---:|---:|---|---|\n");
    for (size_t k = 0; k < n; k++) {
        const cchc_rollup_unit_result_t *u = &r->units[order[k]];
        char idx[32], e[32], ap[32], chg[48];
        s_vi_num (u->index, 2, idx, sizeof idx);
        s_vi_num (u->earned, 2, e, sizeof e);
        s_vi_num (u->applicable, 2, ap, sizeof ap);
        if (u->has_change) {
            char c[32];
            s_vi_num (u->change, 2, c, sizeof c);
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
    fprintf (out, "### %d. Kết quả theo lĩnh vực\n\nTỷ lệ điểm đạt được trên điểm "
             "áp dụng, cộng chung các đơn vị cùng cấp.\n\n| Lĩnh vực", section);
    for (int l = 0; l < CCHC_LEVEL_COUNT; l++)
        if (r->dist[l].units)
            fprintf (out, " | %s", cchc_label_level_short ((cchc_level_t) l));
    fputs (" |\n|---", out);
    for (int l = 0; l < CCHC_LEVEL_COUNT; l++)
        if (r->dist[l].units)
            fputs ("|---:", out);
    fputs ("|\n", out);
    for (size_t a = 0; a < na; a++) {
        fputs ("| ", out);
        s_md (out, cchc_criteria_area (cat, a)->name);
        for (int l = 0; l < CCHC_LEVEL_COUNT; l++) {
            if (!r->dist[l].units)
                continue;
            double e = 0, ap = 0;
            for (size_t i = 0; i < r->unit_count; i++)
                if ((int) r->units[i].level == l) {
                    e += r->units[i].area_earned[a];
                    ap += r->units[i].area_applicable[a];
                }
            char pct[32];
            s_vi_num (ap > 0 ? 100 * e / ap : NAN, 1, pct, sizeof pct);
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
    char due[160];
    s_vi_dues (&r->window, due, sizeof due);
    bool one = strncmp (due, "ngày ", strlen ("ngày ")) == 0;
    fprintf (out, "## III. CƠ QUAN, ĐƠN VỊ THIẾU SỐ LIỆU HOẶC GỬI SỐ LIỆU CHẬM\n\n"
             "Số liệu của kỳ được coi là đúng hạn khi đầy đủ và đến hệ thống "
             "trước 24 giờ %s%s.\n\n", one ? "" : "ngày hạn gửi của cấp mình: ", due);
    size_t n;
    size_t *order = cchc_rollup_ranking (r, -1, &n);
    if (!order)
        return;
    size_t shown = 0;
    for (size_t k = 0; k < n; k++) {
        const cchc_rollup_unit_result_t *u = &r->units[order[k]];
        if (u->on_time)
            continue;
        if (shown++ == 0)
            fputs ("| Cơ quan, đơn vị | Cấp | Số liệu đã có | Còn thiếu "
                   "| Lần gửi cuối | Tình trạng |\n|---|---|---:|---|---|---|\n", out);
        fputs ("| ", out);
        s_md (out, u->name);
        fprintf (out, " (%s) | %s | %zu/%zu | ", u->code,
                 cchc_label_level_short (u->level), u->metrics_reported,
                 u->metrics_expected);
        size_t listed = 0, missing = u->metrics_expected - u->metrics_reported;
        for (size_t m = 0; m < cchc_criteria_metric_count (cat); m++) {
            if (!u->cells[m].expected || u->cells[m].present)
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
        char last[40] = "chưa gửi";
        if (u->last_received_ms > 0 && u->last_received_ms != INT64_MAX)
            s_local_time (u->last_received_ms, false, last, sizeof last);
        fprintf (out, " | %s | %s |\n", last,
                 u->pending ? "Chưa đến hạn gửi"
                 : !u->complete ? "Thiếu số liệu" : "Gửi chậm");
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
    char title[64], a[16], b[16], due[160], lock[16], asof[40];
    cchc_label_period (&w->period, CCHC_LABEL_UPPER, title, sizeof title);
    s_vi_day (w->first_day, a, sizeof a);
    s_vi_day (w->last_day, b, sizeof b);
    s_vi_dues (w, due, sizeof due);
    s_vi_day (w->lock_day, lock, sizeof lock);
    s_local_time (w->as_of_ms, false, asof, sizeof asof);

    fprintf (out, "# BÁO CÁO KẾT QUẢ CẢI CÁCH HÀNH CHÍNH %s\n\n", title);
    fputs ("*Dự thảo do hệ thống tự động tổng hợp; Sở Nội vụ rà soát, hoàn chỉnh "
           "trước khi trình Ủy ban nhân dân tỉnh.*\n\n", out);
    fprintf (out, "- Kỳ báo cáo: %s (số liệu từ ngày %s đến ngày %s).\n", w->id, a, b);
    fprintf (out, "- Hạn gửi số liệu của các cơ quan, đơn vị: %s; khóa số liệu "
             "của kỳ: ngày %s.\n", due, lock);
    fprintf (out, "- Số liệu tổng hợp đến: %s (giờ Việt Nam)", asof);
    if (w->as_of_ms < w->lock_ms)
        fputs (" — **số liệu tạm tính, kỳ chưa khóa**", out);
    fputs (".\n- Bộ tiêu chí: ", out);
    s_md (out, cchc_criteria_name (r->criteria));
    fprintf (out, ".\n- Số cơ quan, đơn vị được đánh giá: %zu", r->unit_count);
    const char *sep = " (";
    for (int l = 0; l < CCHC_LEVEL_COUNT; l++)
        if (r->dist[l].units) {
            fprintf (out, "%s%zu %s", sep, r->dist[l].units,
                     l == CCHC_LEVEL_SO ? "sở, ban, ngành"
                     : l == CCHC_LEVEL_HUYEN ? "UBND cấp huyện" : "UBND cấp xã");
            sep = ", ";
        }
    fputs (*sep == ',' ? ").\n\n" : ".\n\n", out);

    s_report_plan (r, out);
    fputs ("## II. CHỈ SỐ CẢI CÁCH HÀNH CHÍNH CỦA CÁC CƠ QUAN, ĐƠN VỊ\n\n", out);
    s_report_distribution (r, out);
    int section = 2;
    for (int l = 0; l < CCHC_LEVEL_COUNT; l++)
        if (r->dist[l].units)
            s_report_ranking (r, l, section++, out);
    s_report_areas (r, section, out);
    s_report_gaps (r, out);

    fputs ("## IV. GHI CHÚ VỀ SỐ LIỆU\n\n", out);
    fprintf (out, "Mọi con số trong báo cáo được tính tự động từ các bản tin có chữ "
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

/* ------------------------------------------------------------------------ */
/*  Admin tool commands */

typedef struct {
    sqlite3 *db;
    cchc_criteria_t *cat;
    cchc_period_t period;
} s_session_t;

static int
s_session_open (s_session_t *s, const char *db_path, const char *criteria_path,
                const char *period, char *err, size_t errlen)
{
    memset (s, 0, sizeof *s);
    if (!period || cchc_period_parse (period, &s->period) != 0) {
        cchc_errf (err, errlen, "bad period '%s' (e.g. 2021-03, 2021-Q1, 2021-H1, "
               "2021-9M, 2021)", period ? period : "");
        return -1;
    }
    if (!(s->cat = cchc_criteria_load (criteria_path, err, errlen)))
        return -1;
    if (sqlite3_open_v2 (db_path, &s->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        cchc_errf (err, errlen, "%s: %s", db_path,
               s->db ? sqlite3_errmsg (s->db) : "cannot open");
        sqlite3_close (s->db);
        s->db = NULL;
        cchc_criteria_destroy (&s->cat);
        return -1;
    }
    sqlite3_busy_timeout (s->db, 5000);
    return 0;
}

static void
s_session_close (s_session_t *s)
{
    sqlite3_close (s->db);
    cchc_criteria_destroy (&s->cat);
}

typedef struct {
    FILE *out;
    cchc_format_t format;
    json_t *array;
    size_t rows;
    double sum;
} s_explain_t;

/*  An observation's value as stored: an integer in full (all 19 digits of
    2^62), a real with 10 significant digits; right-aligned in `width`. */
static void
s_explain_value (FILE *out, const cchc_rollup_source_t *row, int width)
{
    if (row->is_integer)
        fprintf (out, "%*lld", width, (long long) row->ivalue);
    else
        fprintf (out, "%*.10g", width, row->value);
}

static int
s_explain_row (const cchc_rollup_source_t *row, void *arg)
{
    s_explain_t *x = arg;
    char day[16], at[40];
    s_iso_day (row->day, day, sizeof day);
    s_local_time (row->received_at, true, at, sizeof at);
    x->rows++;
    if (x->format == CCHC_FORMAT_JSON) {
        json_t *o = json_object ();
        json_object_set_new (o, "unit", json_string (row->unit));
        json_object_set_new (o, "metric", json_string (row->metric));
        json_object_set_new (o, "agent", json_integer (row->agent));
        json_object_set_new (o, "agent_name", row->agent_name
                             ? json_string (row->agent_name) : json_null ());
        json_object_set_new (o, "day", json_string (day));
        /*  the protocol keeps the kind: an integer prints as one (811, not 811.0) */
        json_object_set_new (o, "value", row->is_integer ? json_integer (row->ivalue)
                                                         : cchc_rollup_json_real (row->value));
        json_object_set_new (o, "seq", json_integer (row->seq));
        json_object_set_new (o, "journal", json_integer (row->journal));
        json_object_set_new (o, "received_at", json_string (at));
        json_array_append_new (x->array, o);
    }
    else if (x->format == CCHC_FORMAT_CSV) {
        fprintf (x->out, "%s,%s,%lld,", row->unit, row->metric, (long long) row->agent);
        s_csv_text (x->out, row->agent_name);
        fprintf (x->out, ",%s,", day);
        s_explain_value (x->out, row, 0);
        fprintf (x->out, ",%lld,%lld,%s\r\n", (long long) row->seq,
                 (long long) row->journal, at);
    }
    else {
        fprintf (x->out, "%-24s %-10s %6lld ", row->metric, day, (long long) row->agent);
        s_explain_value (x->out, row, 12);
        fprintf (x->out, " %8lld %10lld  %s  %s\n", (long long) row->seq,
                 (long long) row->journal, at, row->agent_name ? row->agent_name : "");
    }
    return 0;
}

int
cchc_explain_cli (const char *db_path, const char *criteria_path, const char *period,
                  const char *unit, const char *code, const char *format, FILE *out,
                  char *err, size_t errlen)
{
    s_explain_t x = { .out = out };
    if (cchc_format_parse (format ? format : "table", &x.format) != 0) {
        cchc_errf (err, errlen, "bad format '%s' (table, json or csv)", format);
        return -1;
    }
    if (!unit || !code) {
        cchc_errf (err, errlen, "explain needs a unit and a metric or indicator code");
        return -1;
    }
    s_session_t s;
    if (s_session_open (&s, db_path, criteria_path, period, err, errlen) != 0)
        return -1;
    cchc_rollup_window_t w;
    cchc_rollup_window (s.cat, &s.period, 0, &w);
    if (x.format == CCHC_FORMAT_JSON)
        x.array = json_array ();
    else if (x.format == CCHC_FORMAT_CSV)
        fputs ("unit,metric,agent,agent_name,day,value,seq,journal,received_at\r\n",
               out);
    else
        fprintf (out, "%-24s %-10s %6s %12s %8s %10s  %-25s  %s\n", "metric", "day",
                 "agent", "value", "seq", "journal", "received_at", "agent_name");
    int rc = cchc_rollup_explain (s.db, s.cat, &w, unit, code, s_explain_row, &x,
                                  err, errlen);
    if (rc == 0 && x.format == CCHC_FORMAT_JSON) {
        json_t *root = json_pack ("{s:s, s:s, s:s, s:O}", "period", w.id, "unit", unit,
                                  "code", code, "rows", x.array);
        rc = root && json_dumpf (root, out, JSON_INDENT (2)) == 0 ? 0 : -1;
        fputc ('\n', out);
        json_decref (root);
    }
    json_decref (x.array);
    s_session_close (&s);
    return rc;
}

int
cchc_criteria_check_cli (const char *criteria_path, FILE *out, char *err,
                         size_t errlen)
{
    cchc_criteria_t *cat = cchc_criteria_load (criteria_path, err, errlen);
    if (!cat)
        return -1;
    size_t nm = cchc_criteria_metric_count (cat), na = cchc_criteria_area_count (cat),
           ni = cchc_criteria_indicator_count (cat);
    char total[32];
    s_vi_num (cchc_criteria_total (cat), 2, total, sizeof total);
    fprintf (out, "Bộ tiêu chí hợp lệ: %s (năm %d)\n", cchc_criteria_name (cat),
             cchc_criteria_year (cat));
    fprintf (out, "%zu chỉ tiêu thống kê, %zu lĩnh vực, %zu tiêu chí, tổng %s điểm; "
             "hạn gửi số liệu ngày %d (sở, ban, ngành), %d (cấp huyện), %d (cấp xã), "
             "khóa số liệu ngày %d của tháng cuối kỳ.\n",
             nm, na, ni, total, cchc_criteria_level_due_day (cat, CCHC_LEVEL_SO),
             cchc_criteria_level_due_day (cat, CCHC_LEVEL_HUYEN),
             cchc_criteria_level_due_day (cat, CCHC_LEVEL_XA),
             cchc_criteria_lock_day (cat));
    for (size_t a = 0; a < na; a++) {
        char pts[32];
        s_vi_num (cchc_criteria_area (cat, a)->points, 2, pts, sizeof pts);
        fprintf (out, "  %-12s %8s điểm  %s\n", cchc_criteria_area (cat, a)->code, pts,
                 cchc_criteria_area (cat, a)->name);
    }
    for (int l = 0; l < CCHC_LEVEL_COUNT; l++) {
        double pts = 0;
        size_t count = 0;
        for (size_t i = 0; i < ni; i++) {
            const cchc_indicator_t *ind = cchc_criteria_indicator (cat, i);
            if (ind->levels & CCHC_LEVEL_BIT (l)) {
                pts += ind->points;
                count++;
            }
        }
        char p[32];
        s_vi_num (pts, 2, p, sizeof p);
        fprintf (out, "%s: %zu tiêu chí, tối đa %s điểm\n",
                 cchc_label_level_short ((cchc_level_t) l), count, p);
    }
    cchc_criteria_destroy (&cat);
    return fflush (out) == 0 ? 0 : -1;
}

/* ------------------------------------------------------------------------ */
/*  The printable report (the dashboard's print view, web/app.js viewReport)
    through a sink: pdf.c draws it; tests read it as text. */

/*  Cells of a table being built: strings owned by the list. */
typedef struct {
    char **v;
    size_t n, alloc;
    bool drop;                  /* out of memory, or not to be drawn */
} s_cells_t;

static void
s_cell (s_cells_t *t, const char *fmt, ...)
{
    if (t->n == t->alloc) {
        size_t alloc = t->alloc ? t->alloc * 2 : 64;
        char **v = realloc (t->v, alloc * sizeof *v);
        if (!v) {
            t->drop = true;
            return;
        }
        t->v = v;
        t->alloc = alloc;
    }
    va_list ap, ap2;
    va_start (ap, fmt);
    va_copy (ap2, ap);
    int len = vsnprintf (NULL, 0, fmt, ap);
    va_end (ap);
    char *s = len >= 0 ? malloc ((size_t) len + 1) : NULL;
    if (s)
        vsnprintf (s, (size_t) len + 1, fmt, ap2);
    else
        t->drop = true;
    va_end (ap2);
    t->v[t->n++] = s;
}

static void
s_cells_emit (const cchc_report_sink_t *sink, s_cells_t *t, size_t ncols,
              const double *widths, const char *align)
{
    if (!t->drop && t->n >= ncols)
        sink->table (sink->arg, ncols, widths, align, (const char *const *) t->v,
                     t->n / ncols);
    for (size_t i = 0; i < t->n; i++)
        free (t->v[i]);
    free (t->v);
    memset (t, 0, sizeof *t);
}

static void
s_print_targets (const cchc_rollup_t *r, const cchc_report_sink_t *sink)
{
    const cchc_criteria_t *cat = r->criteria;
    sink->heading (sink->arg, "I. KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU CỦA KẾ HOẠCH");
    s_cells_t t = { 0 };
    const char *head[] = { "TT", "Chỉ tiêu", "Mục tiêu", "Kết quả", "Đánh giá" };
    for (int c = 0; c < 5; c++)
        s_cell (&t, "%s", head[c]);
    int stt = 0;
    for (size_t i = 0; i < cchc_criteria_indicator_count (cat); i++) {
        const cchc_indicator_t *ind = cchc_criteria_indicator (cat, i);
        if (!ind->plan || ind->rule == CCHC_RULE_ON_TIME)
            continue;
        const cchc_rollup_figure_t *all = cchc_rollup_figure (r, i, -1);
        bool per_level = all && isnan (all->target);
        stt++;
        for (int l = per_level ? 0 : -1; l < (per_level ? CCHC_LEVEL_COUNT : 0); l++) {
            const cchc_rollup_figure_t *f = cchc_rollup_figure (r, i, l);
            if (!f)
                continue;
            char val[32], tgt[32];
            s_vi_value (ind, f->value, val, sizeof val);
            s_vi_value (ind, f->target, tgt, sizeof tgt);
            if (l <= 0)
                s_cell (&t, "%d", stt);
            else
                s_cell (&t, "%s", "");
            if (l < 0)
                s_cell (&t, "%s", ind->name);
            else
                s_cell (&t, "%s — %s", ind->name, cchc_label_level_short ((cchc_level_t) l));
            s_cell (&t, "%s%s", ind->higher ? (ind->rule == CCHC_RULE_PROPORTIONAL
                                               && f->target >= 1 ? "" : "≥ ") : "≤ ", tgt);
            s_cell (&t, "%s", val);
            s_cell (&t, "%s", !f->has_value ? "Chưa có số liệu" : f->met ? "Đạt" : "Chưa đạt");
        }
    }
    static const double w[] = { 0.6, 5, 1.3, 1.3, 1.6 };
    if (stt == 0) {
        sink->paragraph (sink->arg, "Bộ tiêu chí không đánh dấu chỉ tiêu kế hoạch nào.", true);
        t.drop = true;           /* header only: freed, not drawn */
    }
    s_cells_emit (sink, &t, 5, w, "rlrrl");
}

static void
s_print_reporting (const cchc_rollup_t *r, const cchc_report_sink_t *sink)
{
    sink->heading (sink->arg, "II. TÌNH HÌNH GỬI SỐ LIỆU");
    s_cells_t t = { 0 };
    const char *head[] = { "Cấp", "Hạn gửi", "Số đơn vị", "Đủ số liệu", "Đúng hạn",
                           "Trễ hạn, thiếu" };
    for (int c = 0; c < 6; c++)
        s_cell (&t, "%s", head[c]);
    size_t sum[4] = { 0 };
    for (int l = 0; l < CCHC_LEVEL_COUNT; l++) {
        size_t n[4] = { 0 };
        for (size_t i = 0; i < r->unit_count; i++) {
            const cchc_rollup_unit_result_t *u = &r->units[i];
            if ((int) u->level != l)
                continue;
            n[0]++;
            n[1] += u->complete;
            n[2] += u->on_time;
            n[3] += !u->on_time && !u->pending;
        }
        char due[16];
        s_vi_day (r->window.level_due_day[l], due, sizeof due);
        s_cell (&t, "%s", cchc_label_level_short ((cchc_level_t) l));
        s_cell (&t, "%s", due);
        for (int k = 0; k < 4; k++) {
            s_cell (&t, "%zu", n[k]);
            sum[k] += n[k];
        }
    }
    s_cell (&t, "%s", "Tổng cộng");
    s_cell (&t, "%s", "");
    for (int k = 0; k < 4; k++)
        s_cell (&t, "%zu", sum[k]);
    static const double w[] = { 2.4, 1.5, 1.2, 1.2, 1.2, 1.4 };
    s_cells_emit (sink, &t, 6, w, "lcrrrr");
}

static void
s_print_rankings (const cchc_rollup_t *r, const cchc_report_sink_t *sink)
{
    sink->heading (sink->arg, "III. XẾP HẠNG CHỈ SỐ CẢI CÁCH HÀNH CHÍNH");
    for (int l = 0; l < CCHC_LEVEL_COUNT; l++) {
        size_t n;
        size_t *order = cchc_rollup_ranking (r, l, &n);
        if (!order)
            continue;
        char sub[96];
        snprintf (sub, sizeof sub, "%d. %s", l + 1, cchc_label_level_short ((cchc_level_t) l));
        sink->paragraph (sink->arg, sub, false);
        s_cells_t t = { 0 };
        const char *head[] = { "Hạng", "Đơn vị", "Chỉ số", "Xếp loại", "Thay đổi" };
        for (int c = 0; c < 5; c++)
            s_cell (&t, "%s", head[c]);
        for (size_t k = 0; k < n; k++) {
            const cchc_rollup_unit_result_t *u = &r->units[order[k]];
            char idx[32] = "–", chg[48] = "";
            if (u->has_index)
                s_vi_num (u->index, 2, idx, sizeof idx);
            if (u->has_change) {
                char c[32];
                s_vi_num (u->change, 2, c, sizeof c);
                snprintf (chg, sizeof chg, "%s%s", u->change > 0.005 ? "+" : "", c);
            }
            if (u->rank)
                s_cell (&t, "%d", u->rank);
            else
                s_cell (&t, "%s", "–");
            s_cell (&t, "%s", u->name);
            s_cell (&t, "%s", idx);
            s_cell (&t, "%s", u->grade ? u->grade : "–");
            s_cell (&t, "%s", chg);
        }
        free (order);
        static const double w[] = { 0.8, 5, 1.2, 1.4, 1.2 };
        s_cells_emit (sink, &t, 5, w, "rlrlr");
    }
}

static void
s_print_late (const cchc_rollup_t *r, const cchc_report_sink_t *sink)
{
    sink->heading (sink->arg, "IV. CƠ QUAN, ĐƠN VỊ CHƯA GỬI ĐỦ HOẶC GỬI MUỘN SỐ LIỆU");
    s_cells_t t = { 0 };
    const char *head[] = { "TT", "Đơn vị", "Cấp", "Tình trạng" };
    for (int c = 0; c < 4; c++)
        s_cell (&t, "%s", head[c]);
    size_t shown = 0;
    for (int l = 0; l < CCHC_LEVEL_COUNT; l++)
        for (size_t i = 0; i < r->unit_count; i++) {
            const cchc_rollup_unit_result_t *u = &r->units[i];
            if ((int) u->level != l || u->on_time)
                continue;
            char due[16];
            s_vi_day (r->window.level_due_day[l], due, sizeof due);
            s_cell (&t, "%zu", ++shown);
            s_cell (&t, "%s", u->name);
            s_cell (&t, "%s", cchc_label_level_short (u->level));
            if (u->pending)
                s_cell (&t, "Chưa đến hạn gửi (%s)", due);
            else if (u->metrics_reported == 0)
                s_cell (&t, "%s", "Chưa gửi số liệu");
            else if (!u->complete)
                s_cell (&t, "Thiếu số liệu (%zu/%zu chỉ tiêu)", u->metrics_reported,
                        u->metrics_expected);
            else
                s_cell (&t, "Gửi sau hạn %s", due);
        }
    static const double w[] = { 0.6, 4.4, 2, 2.6 };
    if (shown == 0) {
        sink->paragraph (sink->arg, "Tất cả cơ quan, đơn vị gửi đủ số liệu đúng hạn.", false);
        t.drop = true;           /* header only: freed, not drawn */
    }
    s_cells_emit (sink, &t, 4, w, "rlll");
}

int
cchc_report_print (const cchc_rollup_t *r, const char *province, bool final,
                   const cchc_report_sink_t *sink, char *err, size_t errlen)
{
    assert (r && sink);
    (void) err;
    (void) errlen;
    const cchc_rollup_window_t *w = &r->window;
    const char *prov = province && *province ? province : "Tỉnh";
    /* place: the province's name without "Tỉnh " */
    const char *place = strncmp (prov, "Tỉnh ", strlen ("Tỉnh ")) == 0
                        ? prov + strlen ("Tỉnh ") : prov;
    char body[256], date[256];
    snprintf (body, sizeof body, "ỦY BAN NHÂN DÂN\n%s", prov);
    int y, m, d;
    cchc_date_to_ymd (cchc_date_from_utc_ms (w->as_of_ms), &y, &m, &d);
    snprintf (date, sizeof date, "%s, ngày %d tháng %d năm %d", place, d, m, y);
    sink->motto (sink->arg, body, "Số:        /BC-UBND", date);
    sink->title (sink->arg, "BÁO CÁO", 15, true);
    char sub[160], name[64];
    cchc_label_period (&w->period, CCHC_LABEL_LOWER, name, sizeof name);
    snprintf (sub, sizeof sub, "Kết quả thực hiện công tác cải cách hành chính %s", name);
    sink->title (sink->arg, sub, 13, true);
    sink->title (sink->arg, final ? "SỐ LIỆU ĐÃ KHÓA" : "DỰ THẢO — SỐ LIỆU TẠM TÍNH", 11,
                 false);
    char a[16], b[16], dues[160], lock[16], asof[40], intro[640];
    s_vi_day (w->first_day, a, sizeof a);
    s_vi_day (w->last_day, b, sizeof b);
    s_vi_dues (w, dues, sizeof dues);
    s_vi_day (w->lock_day, lock, sizeof lock);
    s_local_time (w->as_of_ms, false, asof, sizeof asof);
    snprintf (intro, sizeof intro, "Số liệu từ ngày %s đến ngày %s do %zu cơ quan, đơn vị "
              "gửi qua phần mềm, tổng hợp tự động; tính đến %s. Hạn gửi số liệu: %s; "
              "khóa số liệu ngày %s.", a, b, r->unit_count, asof, dues, lock);
    sink->paragraph (sink->arg, intro, false);
    s_print_targets (r, sink);
    s_print_reporting (r, sink);
    s_print_rankings (r, sink);
    s_print_late (r, sink);
    return 0;
}
