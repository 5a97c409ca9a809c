/*  print.c — the printable report's composition (report.h), drawn by
    pdf.c and shown by the dashboard's print view.
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

#include "collector/present/report_impl.h"

/* ------------------------------------------------------------------------ */
/*  The printable report (the dashboard's print view, web/app.js viewReport)
    through a sink: pdf.c draws it; tests read it as text. */

/*  report_impl.h */
void
cchc_report_cell (cchc_report_cells_t *t, const char *fmt, ...)
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
    t->v [t->n++] = s;
}

void
cchc_report_cells_emit (const cchc_report_sink_t *sink, cchc_report_cells_t *t, size_t ncols,
                        const double *widths, const char *align)
{
    if (!t->drop && t->n >= ncols)
        sink->table (sink->arg, ncols, widths, align, (const char *const *) t->v,
                     t->n / ncols);
    for (size_t i = 0; i < t->n; i++)
        free (t->v [i]);
    free (t->v);
    memset (t, 0, sizeof *t);
}

static void
s_print_target_row (void *arg, const cchc_report_plan_row_t *row)
{
    cchc_report_cells_t *t = arg;
    int l = row->level;
    if (l <= 0)
        cchc_report_cell (t, "%d", row->stt);
    else
        cchc_report_cell (t, "%s", "");
    if (l < 0)
        cchc_report_cell (t, "%s", row->ind->name);
    else
        cchc_report_cell (t, "%s — %s", row->ind->name,
                          cchc_label_level_short ((cchc_level_t) l));
    cchc_report_cell (t, "%s%s", row->cmp, row->target);
    cchc_report_cell (t, "%s", row->value);
    cchc_report_cell (t, "%s", row->verdict);
}

static void
s_print_targets (const cchc_rollup_t *r, const cchc_report_sink_t *sink)
{
    sink->heading (sink->arg, "I. KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU CỦA KẾ HOẠCH");
    cchc_report_cells_t t = { 0 };
    const char *head [] = { "TT", "Chỉ tiêu", "Mục tiêu", "Kết quả", "Đánh giá" };
    for (int c = 0; c < 5; c++)
        cchc_report_cell (&t, "%s", head [c]);
    static const double w [] = { 0.6, 5, 1.3, 1.3, 1.6 };
    if (cchc_report_plan_rows (r, s_print_target_row, &t) == 0) {
        sink->paragraph (sink->arg, "Bộ tiêu chí không đánh dấu chỉ tiêu kế hoạch nào.", true);
        t.drop = true; /* header only: freed, not drawn */
    }
    cchc_report_cells_emit (sink, &t, 5, w, "rlrrl");
}

static void
s_print_reporting (const cchc_rollup_t *r, const cchc_report_sink_t *sink)
{
    sink->heading (sink->arg, "II. TÌNH HÌNH GỬI SỐ LIỆU");
    cchc_report_cells_t t = { 0 };
    const char *head [] = { "Cấp",        "Hạn gửi",  "Số đơn vị",
                            "Đủ số liệu", "Đúng hạn", "Trễ hạn, thiếu" };
    for (int c = 0; c < 6; c++)
        cchc_report_cell (&t, "%s", head [c]);
    size_t sum [4] = { 0 };
    for (int l = 0; l < CCHC_LEVEL_COUNT; l++) {
        size_t n [4] = { 0 };
        for (size_t i = 0; i < r->unit_count; i++) {
            const cchc_rollup_unit_result_t *u = &r->units [i];
            if ((int) u->level != l)
                continue;
            n [0]++;
            n [1] += u->complete;
            n [2] += u->on_time;
            n [3] += !u->on_time && !u->pending;
        }
        char due [16];
        cchc_report_vi_day (r->window.level_due_day [l], due, sizeof due);
        cchc_report_cell (&t, "%s", cchc_label_level_short ((cchc_level_t) l));
        cchc_report_cell (&t, "%s", due);
        for (int k = 0; k < 4; k++) {
            cchc_report_cell (&t, "%zu", n [k]);
            sum [k] += n [k];
        }
    }
    cchc_report_cell (&t, "%s", "Tổng cộng");
    cchc_report_cell (&t, "%s", "");
    for (int k = 0; k < 4; k++)
        cchc_report_cell (&t, "%zu", sum [k]);
    static const double w [] = { 2.4, 1.5, 1.2, 1.2, 1.2, 1.4 };
    cchc_report_cells_emit (sink, &t, 6, w, "lcrrrr");
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
        char sub [96];
        snprintf (sub, sizeof sub, "%d. %s", l + 1, cchc_label_level_short ((cchc_level_t) l));
        sink->paragraph (sink->arg, sub, false);
        cchc_report_cells_t t = { 0 };
        const char *head [] = { "Hạng", "Đơn vị", "Chỉ số", "Xếp loại", "Thay đổi" };
        for (int c = 0; c < 5; c++)
            cchc_report_cell (&t, "%s", head [c]);
        for (size_t k = 0; k < n; k++) {
            const cchc_rollup_unit_result_t *u = &r->units [order [k]];
            char idx [32] = "–", chg [48] = "";
            if (u->has_index)
                cchc_report_vi_num (u->index, 2, idx, sizeof idx);
            if (u->has_change) {
                char c [32];
                cchc_report_vi_num (u->change, 2, c, sizeof c);
                snprintf (chg, sizeof chg, "%s%s", u->change > 0.005 ? "+" : "", c);
            }
            if (u->rank)
                cchc_report_cell (&t, "%d", u->rank);
            else
                cchc_report_cell (&t, "%s", "–");
            cchc_report_cell (&t, "%s", u->name);
            cchc_report_cell (&t, "%s", idx);
            cchc_report_cell (&t, "%s", u->grade ? u->grade : "–");
            cchc_report_cell (&t, "%s", chg);
        }
        free (order);
        static const double w [] = { 0.8, 5, 1.2, 1.4, 1.2 };
        cchc_report_cells_emit (sink, &t, 5, w, "rlrlr");
    }
}

static void
s_print_late (const cchc_rollup_t *r, const cchc_report_sink_t *sink)
{
    sink->heading (sink->arg, "IV. CƠ QUAN, ĐƠN VỊ CHƯA GỬI ĐỦ HOẶC GỬI MUỘN SỐ LIỆU");
    cchc_report_cells_t t = { 0 };
    const char *head [] = { "TT", "Đơn vị", "Cấp", "Tình trạng" };
    for (int c = 0; c < 4; c++)
        cchc_report_cell (&t, "%s", head [c]);
    size_t shown = 0;
    for (int l = 0; l < CCHC_LEVEL_COUNT; l++)
        for (size_t i = 0; i < r->unit_count; i++) {
            const cchc_rollup_unit_result_t *u = &r->units [i];
            if ((int) u->level != l || u->on_time)
                continue;
            char due [16];
            cchc_report_vi_day (r->window.level_due_day [l], due, sizeof due);
            cchc_report_cell (&t, "%zu", ++shown);
            cchc_report_cell (&t, "%s", u->name);
            cchc_report_cell (&t, "%s", cchc_label_level_short (u->level));
            if (u->pending)
                cchc_report_cell (&t, "Chưa đến hạn gửi (%s)", due);
            else if (u->metrics_reported == 0)
                cchc_report_cell (&t, "%s", "Chưa gửi số liệu");
            else if (!u->complete)
                cchc_report_cell (&t, "Thiếu số liệu (%zu/%zu chỉ tiêu)", u->metrics_reported,
                                  u->metrics_expected);
            else
                cchc_report_cell (&t, "Gửi sau hạn %s", due);
        }
    static const double w [] = { 0.6, 4.4, 2, 2.6 };
    if (shown == 0) {
        sink->paragraph (sink->arg, "Tất cả cơ quan, đơn vị gửi đủ số liệu đúng hạn.", false);
        t.drop = true; /* header only: freed, not drawn */
    }
    cchc_report_cells_emit (sink, &t, 4, w, "rlll");
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
    const char *place =
        strncmp (prov, "Tỉnh ", strlen ("Tỉnh ")) == 0 ? prov + strlen ("Tỉnh ") : prov;
    char body [256], date [256];
    snprintf (body, sizeof body, "ỦY BAN NHÂN DÂN\n%s", prov);
    int y, m, d;
    cchc_date_to_ymd (cchc_date_from_utc_ms (w->as_of_ms), &y, &m, &d);
    snprintf (date, sizeof date, "%s, ngày %d tháng %d năm %d", place, d, m, y);
    sink->motto (sink->arg, body, "Số:        /BC-UBND", date);
    sink->title (sink->arg, "BÁO CÁO", 15, true);
    char sub [160], name [64];
    cchc_label_period (&w->period, CCHC_LABEL_LOWER, name, sizeof name);
    snprintf (sub, sizeof sub, "Kết quả thực hiện công tác cải cách hành chính %s", name);
    sink->title (sink->arg, sub, 13, true);
    sink->title (sink->arg, final ? "SỐ LIỆU ĐÃ KHÓA" : "DỰ THẢO — SỐ LIỆU TẠM TÍNH", 11,
                 false);
    char a [16], b [16], dues [160], lock [16], asof [40], intro [640];
    cchc_report_vi_day (w->first_day, a, sizeof a);
    cchc_report_vi_day (w->last_day, b, sizeof b);
    cchc_report_vi_dues (w, dues, sizeof dues);
    cchc_report_vi_day (w->lock_day, lock, sizeof lock);
    cchc_report_local_time (w->as_of_ms, false, asof, sizeof asof);
    snprintf (intro, sizeof intro,
              "Số liệu từ ngày %s đến ngày %s do %zu cơ quan, đơn vị "
              "gửi qua phần mềm, tổng hợp tự động; tính đến %s. Hạn gửi số liệu: %s; "
              "khóa số liệu ngày %s.",
              a, b, r->unit_count, asof, dues, lock);
    sink->paragraph (sink->arg, intro, false);
    s_print_targets (r, sink);
    s_print_reporting (r, sink);
    s_print_rankings (r, sink);
    s_print_late (r, sink);
    return 0;
}
