/*  export.c — ranking, summary and reporting-status tables as CSV and XLSX
    (export.h).  Each table is built once as rows of cells in memory, then
    rendered by the CSV or the XLSX writer, so both files always hold the
    same figures.
*/
#include "collector/present/export.h"
#include "collector/present/labels.h"
#include "common/period.h"
#include "common/text.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xlsxwriter.h>

/* ------------------------------------------------------------------------ */
/*  Tables */

typedef enum {
    S_EMPTY = 0,
    S_TEXT, /* string */
    S_NUM,  /* number, 2 decimals shown */
    S_INT,  /* whole number */
    S_PCT   /* fraction shown as a percentage */
} s_kind_t;

typedef struct {
    s_kind_t kind;
    char *text; /* owned */
    double num;
} s_cell_t;

typedef struct {
    const char *header;
    double width; /* XLSX column width */
} s_col_t;

typedef struct {
    char name [64];      /* sheet name */
    char title [256];    /* first row */
    char subtitle [256]; /* second row */
    s_col_t cols [40];
    int ncols;
    s_cell_t *cells; /* rows × ncols */
    size_t rows, alloc;
    size_t col; /* next column of the current row */
    bool oom;
} s_sheet_t;

typedef struct {
    s_sheet_t sheets [CCHC_LEVEL_COUNT];
    int count;
} s_book_t;

static void
s_col (s_sheet_t *s, const char *header, double width)
{
    assert (s->ncols < 40);
    s->cols [s->ncols++] = (s_col_t){ header, width };
}

static void
s_row (s_sheet_t *s)
{
    if (s->rows == s->alloc) {
        size_t want = s->alloc ? s->alloc * 2 : 64;
        s_cell_t *c = realloc (s->cells, want * (size_t) s->ncols * sizeof *c);
        if (!c) {
            s->oom = true;
            return;
        }
        s->cells = c;
        s->alloc = want;
    }
    memset (&s->cells [s->rows * (size_t) s->ncols], 0, (size_t) s->ncols * sizeof *s->cells);
    s->rows++;
    s->col = 0;
}

static s_cell_t *
s_next (s_sheet_t *s)
{
    if (s->oom || s->rows == 0 || s->col >= (size_t) s->ncols) {
        assert (s->oom || s->col < (size_t) s->ncols);
        return NULL;
    }
    return &s->cells [(s->rows - 1) * (size_t) s->ncols + s->col++];
}

static void
s_text (s_sheet_t *s, const char *text)
{
    s_cell_t *c = s_next (s);
    if (!c || !text)
        return;
    c->kind = S_TEXT;
    if (!(c->text = strdup (text))) {
        c->kind = S_EMPTY;
        s->oom = true;
    }
}

static void
s_num (s_sheet_t *s, s_kind_t kind, double v)
{
    s_cell_t *c = s_next (s);
    if (!c || isnan (v) || isinf (v))
        return;
    c->kind = kind;
    c->num = v;
}

static void
s_yes (s_sheet_t *s, bool yes)
{
    s_text (s, yes ? "Có" : "Không");
}

static void
s_book_free (s_book_t *b)
{
    for (int i = 0; i < b->count; i++) {
        s_sheet_t *s = &b->sheets [i];
        for (size_t k = 0; k < s->rows * (size_t) s->ncols; k++)
            free (s->cells [k].text);
        free (s->cells);
    }
}

/* ------------------------------------------------------------------------ */
/*  Writers */

static int
s_write_csv (const s_book_t *b, char **out, size_t *size, char *err, size_t errlen)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream (&buf, &len);
    if (!f) {
        cchc_errf (err, errlen, "out of memory");
        return -1;
    }
    fputs ("\xEF\xBB\xBF", f); /* BOM: spreadsheets then read UTF-8 */
    bool multi = b->count > 1;
    for (int i = 0; i < b->count; i++) {
        const s_sheet_t *s = &b->sheets [i];
        if (i == 0) {
            if (multi)
                fputs ("Bảng,", f);
            for (int c = 0; c < s->ncols; c++) {
                if (c)
                    fputc (',', f);
                cchc_csv_field (f, s->cols [c].header, false);
            }
            fputs ("\r\n", f);
        }
        for (size_t r = 0; r < s->rows; r++) {
            if (multi) {
                cchc_csv_field (f, s->name, false);
                fputc (',', f);
            }
            for (int c = 0; c < s->ncols; c++) {
                const s_cell_t *cell = &s->cells [r * (size_t) s->ncols + (size_t) c];
                if (c)
                    fputc (',', f);
                if (cell->kind == S_TEXT)
                    cchc_csv_field (f, cell->text, true);
                else if (cell->kind == S_INT)
                    fprintf (f, "%.0f", cell->num);
                else if (cell->kind != S_EMPTY)
                    fprintf (f, "%.10g", cell->num);
            }
            fputs ("\r\n", f);
        }
    }
    if (fclose (f) != 0 || !buf) {
        free (buf);
        cchc_errf (err, errlen, "out of memory");
        return -1;
    }
    *out = buf;
    *size = len;
    return 0;
}

int
cchc_export_file_read (const char *path, char **out, size_t *size, char *err, size_t errlen)
{
    FILE *f = fopen (path, "rb");
    if (!f) {
        cchc_errf (err, errlen, "%s: %s", path, strerror (errno));
        return -1;
    }
    char *buf = NULL;
    size_t len = 0, alloc = 0;
    for (;;) {
        if (len == alloc) {
            size_t want = alloc ? alloc * 2 : 65536;
            char *p = realloc (buf, want);
            if (!p) {
                free (buf);
                fclose (f);
                cchc_errf (err, errlen, "out of memory");
                return -1;
            }
            buf = p;
            alloc = want;
        }
        size_t n = fread (buf + len, 1, alloc - len, f);
        len += n;
        if (n == 0)
            break;
    }
    bool bad = ferror (f);
    fclose (f);
    if (bad) {
        free (buf);
        cchc_errf (err, errlen, "%s: read error", path);
        return -1;
    }
    *out = buf;
    *size = len;
    return 0;
}

int
cchc_export_tmpfile (const char *tmpdir, const char *prefix, char *path, size_t size,
                     char *err, size_t errlen)
{
    snprintf (path, size, "%s/%s-XXXXXX", tmpdir ? tmpdir : "/tmp", prefix);
    int fd = mkstemp (path);
    if (fd < 0) {
        cchc_errf (err, errlen, "%s: %s", path, strerror (errno));
        return -1;
    }
    close (fd);
    return 0;
}

static int
s_write_xlsx (const s_book_t *b, const char *tmpdir, char **out, size_t *size, char *err,
              size_t errlen)
{
    char path [512];
    if (cchc_export_tmpfile (tmpdir, "cchc-export", path, sizeof path, err, errlen) != 0)
        return -1;
    lxw_workbook_options opts = { .constant_memory = LXW_FALSE,
                                  .tmpdir = (char *) (tmpdir ? tmpdir : "/tmp"),
                                  .use_zip64 = LXW_FALSE };
    lxw_workbook *wb = workbook_new_opt (path, &opts);
    if (!wb) {
        unlink (path);
        cchc_errf (err, errlen, "cannot create the workbook");
        return -1;
    }
    lxw_doc_properties props = { .title = (char *) b->sheets [0].title,
                                 .author = (char *) "cchc",
                                 .created = 0 };
    workbook_set_properties (wb, &props);
    lxw_format *title = workbook_add_format (wb);
    format_set_bold (title);
    format_set_font_size (title, 13);
    lxw_format *sub = workbook_add_format (wb);
    format_set_italic (sub);
    lxw_format *head = workbook_add_format (wb);
    format_set_bold (head);
    format_set_text_wrap (head);
    format_set_bg_color (head, 0xDCE6F1);
    format_set_border (head, LXW_BORDER_THIN);
    format_set_align (head, LXW_ALIGN_VERTICAL_TOP);
    lxw_format *num = workbook_add_format (wb);
    format_set_num_format (num, "0.00");
    lxw_format *integer = workbook_add_format (wb);
    format_set_num_format (integer, "0");
    lxw_format *pct = workbook_add_format (wb);
    format_set_num_format (pct, "0.0%");
    for (int i = 0; i < b->count; i++) {
        const s_sheet_t *s = &b->sheets [i];
        lxw_worksheet *ws = workbook_add_worksheet (wb, s->name);
        if (!ws) {
            workbook_close (wb);
            unlink (path);
            cchc_errf (err, errlen, "bad sheet name '%s'", s->name);
            return -1;
        }
        worksheet_set_landscape (ws);
        worksheet_set_paper (ws, 9); /* A4 */
        worksheet_fit_to_pages (ws, 1, 0);
        worksheet_write_string (ws, 0, 0, s->title, title);
        worksheet_write_string (ws, 1, 0, s->subtitle, sub);
        for (int c = 0; c < s->ncols; c++) {
            worksheet_set_column (ws, (lxw_col_t) c, (lxw_col_t) c, s->cols [c].width, NULL);
            worksheet_write_string (ws, 3, (lxw_col_t) c, s->cols [c].header, head);
        }
        worksheet_set_row (ws, 3, 45, NULL);
        for (size_t r = 0; r < s->rows; r++)
            for (int c = 0; c < s->ncols; c++) {
                const s_cell_t *cell = &s->cells [r * (size_t) s->ncols + (size_t) c];
                lxw_row_t row = (lxw_row_t) (4 + r);
                switch (cell->kind) {
                    case S_TEXT:
                        worksheet_write_string (ws, row, (lxw_col_t) c, cell->text, NULL);
                        break;
                    case S_NUM:
                        worksheet_write_number (ws, row, (lxw_col_t) c, cell->num, num);
                        break;
                    case S_INT:
                        worksheet_write_number (ws, row, (lxw_col_t) c, cell->num, integer);
                        break;
                    case S_PCT:
                        worksheet_write_number (ws, row, (lxw_col_t) c, cell->num, pct);
                        break;
                    default: break;
                }
            }
        worksheet_freeze_panes (ws, 4, 0);
        if (s->ncols > 0)
            worksheet_autofilter (ws, 3, 0, (lxw_row_t) (3 + s->rows),
                                  (lxw_col_t) (s->ncols - 1));
    }
    lxw_error rc = workbook_close (wb);
    if (rc != LXW_NO_ERROR) {
        unlink (path);
        cchc_errf (err, errlen, "writing the workbook: %s", lxw_strerror (rc));
        return -1;
    }
    int ok = cchc_export_file_read (path, out, size, err, errlen);
    unlink (path);
    return ok;
}

static int
s_write (s_book_t *b, cchc_export_format_t format, const char *tmpdir, char **out,
         size_t *size, char *err, size_t errlen)
{
    for (int i = 0; i < b->count; i++)
        if (b->sheets [i].oom) {
            s_book_free (b);
            cchc_errf (err, errlen, "out of memory");
            return -1;
        }
    int rc = format == CCHC_EXPORT_CSV ? s_write_csv (b, out, size, err, errlen)
                                       : s_write_xlsx (b, tmpdir, out, size, err, errlen);
    s_book_free (b);
    return rc;
}

/* ------------------------------------------------------------------------ */
/*  Other callers' tables (export.h): the same book, sheets and writers */

struct cchc_export_book_t {
    s_book_t book;
};

static s_sheet_t *
s_current (cchc_export_book_t *self)
{
    assert (self && self->book.count > 0);
    return &self->book.sheets [self->book.count - 1];
}

cchc_export_book_t *
cchc_export_book_new (void)
{
    return calloc (1, sizeof (cchc_export_book_t));
}

int
cchc_export_sheet (cchc_export_book_t *self, const char *name, const char *title,
                   const char *subtitle)
{
    assert (self && name);
    if (self->book.count == CCHC_LEVEL_COUNT)
        return -1;
    s_sheet_t *s = &self->book.sheets [self->book.count++];
    cchc_strlcpy (s->name, name, sizeof s->name);
    cchc_strlcpy (s->title, title ? title : "", sizeof s->title);
    cchc_strlcpy (s->subtitle, subtitle ? subtitle : "", sizeof s->subtitle);
    return 0;
}

void
cchc_export_col (cchc_export_book_t *self, const char *header, double width)
{
    s_col (s_current (self), header, width);
}

void
cchc_export_row (cchc_export_book_t *self)
{
    s_row (s_current (self));
}

void
cchc_export_text (cchc_export_book_t *self, const char *text)
{
    s_text (s_current (self), text);
}

void
cchc_export_number (cchc_export_book_t *self, double value)
{
    s_num (s_current (self), S_NUM, value);
}

void
cchc_export_int (cchc_export_book_t *self, double value)
{
    s_num (s_current (self), S_INT, value);
}

void
cchc_export_percent (cchc_export_book_t *self, double fraction)
{
    s_num (s_current (self), S_PCT, fraction);
}

void
cchc_export_skip (cchc_export_book_t *self)
{
    s_next (s_current (self));
}

int
cchc_export_book_write (cchc_export_book_t **self_p, cchc_export_format_t format,
                        const char *tmpdir, char **out, size_t *size, char *err, size_t errlen)
{
    assert (self_p && *self_p && out && size);
    cchc_export_book_t *self = *self_p;
    *self_p = NULL;
    int rc;
    if (self->book.count == 0) {
        cchc_errf (err, errlen, "no table to write");
        s_book_free (&self->book);
        rc = -1;
    }
    else
        rc = s_write (&self->book, format, tmpdir, out, size, err, errlen);
    free (self);
    return rc;
}

void
cchc_export_book_destroy (cchc_export_book_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    s_book_free (&(*self_p)->book);
    free (*self_p);
    *self_p = NULL;
}

/* ------------------------------------------------------------------------ */
/*  Common pieces */

static void
s_vi_day (int32_t yyyymmdd, char *buf, size_t size)
{
    snprintf (buf, size, "%02d/%02d/%04d", (int) (yyyymmdd % 100),
              (int) (yyyymmdd / 100 % 100), (int) (yyyymmdd / 10000));
}

static void
s_vi_time (int64_t utc_ms, char *buf, size_t size)
{
    if (utc_ms <= 0 || utc_ms == INT64_MAX) {
        buf [0] = '\0';
        return;
    }
    cchc_date_t day = cchc_date_from_utc_ms (utc_ms);
    int64_t in_day = utc_ms - cchc_date_start_utc_ms (day);
    int y, m, d;
    cchc_date_to_ymd (day, &y, &m, &d);
    snprintf (buf, size, "%02d/%02d/%04d %02d:%02d", d, m, y, (int) (in_day / 3600000),
              (int) (in_day / 60000 % 60));
}

/*  "Kỳ: 15/12/2020 – 14/03/2021; số liệu tính đến 20/03/2021 10:00 (tạm tính)" */
static void
s_subtitle (const cchc_rollup_t *r, char *buf, size_t size)
{
    const cchc_rollup_window_t *w = &r->window;
    char a [16], b [16], asof [32];
    s_vi_day (w->first_day, a, sizeof a);
    s_vi_day (w->last_day, b, sizeof b);
    s_vi_time (w->as_of_ms, asof, sizeof asof);
    snprintf (buf, size, "Số liệu từ %s đến %s; tính đến %s (%s)", a, b, asof,
              w->as_of_ms >= w->lock_ms ? "đã khóa số liệu" : "tạm tính");
}

/*  `book` emptied, with one sheet: its name, "TITLE <the period>" and the
    subtitle. */
static s_sheet_t *
s_only_sheet (s_book_t *book, const cchc_rollup_t *r, const char *name, const char *title)
{
    char period [64];
    cchc_label_period (&r->window.period, CCHC_LABEL_LOWER, period, sizeof period);
    memset (book, 0, sizeof *book);
    s_sheet_t *s = &book->sheets [book->count++];
    cchc_strlcpy (s->name, name, sizeof s->name);
    snprintf (s->title, sizeof s->title, "%s %s", title, period);
    s_subtitle (r, s->subtitle, sizeof s->subtitle);
    return s;
}

/*  Name of the unit `code` among the roll-up's units of levels so/huyen. */
static const char *
s_parent_name (const cchc_rollup_t *r, const size_t *parents, size_t np, const char *code)
{
    if (!code)
        return NULL;
    for (size_t i = 0; i < np; i++)
        if (strcmp (r->units [parents [i]].code, code) == 0)
            return r->units [parents [i]].name;
    return NULL;
}

static size_t *
s_parents (const cchc_rollup_t *r, size_t *np)
{
    size_t *p = malloc ((r->unit_count ? r->unit_count : 1) * sizeof *p);
    size_t n = 0;
    for (size_t i = 0; p && i < r->unit_count; i++)
        if (r->units [i].level != CCHC_LEVEL_XA)
            p [n++] = i;
    *np = n;
    return p;
}

/* ------------------------------------------------------------------------ */
/*  Ranking */

int
cchc_export_ranking (const cchc_rollup_t *r, int level, cchc_export_format_t format,
                     const char *tmpdir, char **out, size_t *size, char *err, size_t errlen)
{
    assert (r && out && size);
    assert (level >= -1 && level < CCHC_LEVEL_COUNT);
    const cchc_criteria_t *cat = r->criteria;
    size_t na = cchc_criteria_area_count (cat);
    size_t np = 0;
    size_t *parents = s_parents (r, &np);
    if (!parents) {
        cchc_errf (err, errlen, "out of memory");
        return -1;
    }
    char period [64], subtitle [256];
    cchc_label_period (&r->window.period, CCHC_LABEL_LOWER, period, sizeof period);
    s_subtitle (r, subtitle, sizeof subtitle);
    s_book_t book;
    memset (&book, 0, sizeof book);
    for (int l = 0; l < CCHC_LEVEL_COUNT; l++) {
        if (level >= 0 && l != level)
            continue;
        s_sheet_t *s = &book.sheets [book.count++];
        cchc_strlcpy (s->name, cchc_label_level ((cchc_level_t) l), sizeof s->name);
        snprintf (s->title, sizeof s->title, "Xếp hạng Chỉ số CCHC %s — %s", period,
                  cchc_label_level ((cchc_level_t) l));
        cchc_strlcpy (s->subtitle, subtitle, sizeof s->subtitle);
        s_col (s, "Hạng", 6);
        s_col (s, "Mã đơn vị", 10);
        s_col (s, "Đơn vị", 34);
        s_col (s, l == CCHC_LEVEL_XA ? "Huyện, thành phố" : "Trực thuộc", 20);
        s_col (s, "Chỉ số CCHC", 9);
        s_col (s, "Xếp loại", 11);
        s_col (s, "Thay đổi so với kỳ trước", 10);
        s_col (s, "Hạng kỳ trước", 8);
        for (size_t a = 0; a < na; a++)
            s_col (s, cchc_criteria_area (cat, a)->name, 12);
        s_col (s, "Điểm đạt", 8);
        s_col (s, "Điểm tối đa áp dụng", 9);
        s_col (s, "Chỉ tiêu đã báo cáo", 9);
        s_col (s, "Chỉ tiêu phải báo cáo", 9);
        s_col (s, "Đủ số liệu", 8);
        s_col (s, "Đúng hạn", 8);
        size_t n = 0;
        size_t *order = cchc_rollup_ranking (r, l, &n);
        if (!order) {
            free (parents);
            s_book_free (&book);
            cchc_errf (err, errlen, "out of memory");
            return -1;
        }
        for (size_t k = 0; k < n; k++) {
            const cchc_rollup_unit_result_t *u = &r->units [order [k]];
            s_row (s);
            if (u->rank)
                s_num (s, S_INT, u->rank);
            else
                s_next (s);
            s_text (s, u->code);
            s_text (s, u->name);
            s_text (s, s_parent_name (r, parents, np, u->parent));
            if (u->has_index)
                s_num (s, S_NUM, u->index);
            else
                s_next (s);
            s_text (s, u->grade);
            if (u->has_change)
                s_num (s, S_NUM, u->change);
            else
                s_next (s);
            if (u->prev_rank)
                s_num (s, S_INT, u->prev_rank);
            else
                s_next (s);
            for (size_t a = 0; a < na; a++)
                s_num (s, S_NUM, u->area_earned [a]);
            s_num (s, S_NUM, u->earned);
            s_num (s, S_NUM, u->applicable);
            s_num (s, S_INT, (double) u->metrics_reported);
            s_num (s, S_INT, (double) u->metrics_expected);
            s_yes (s, u->complete);
            s_text (s, u->on_time ? "Có" : u->pending ? "Chưa đến hạn" : "Không");
        }
        free (order);
    }
    free (parents);
    return s_write (&book, format, tmpdir, out, size, err, errlen);
}

/* ------------------------------------------------------------------------ */
/*  Summary */

int
cchc_export_summary (const cchc_rollup_t *r, cchc_export_format_t format, const char *tmpdir,
                     char **out, size_t *size, char *err, size_t errlen)
{
    assert (r && out && size);
    const cchc_criteria_t *cat = r->criteria;
    s_book_t book;
    s_sheet_t *s =
        s_only_sheet (&book, r, "Chỉ tiêu Kế hoạch", "Kết quả thực hiện các chỉ tiêu CCHC");
    s_col (s, "Mã tiêu chí", 16);
    s_col (s, "Tiêu chí", 44);
    s_col (s, "Chỉ tiêu Kế hoạch", 9);
    s_col (s, "Phạm vi", 22);
    s_col (s, "Tử số", 10);
    s_col (s, "Mẫu số", 10);
    s_col (s, "Kết quả", 9);
    s_col (s, "Mục tiêu", 9);
    s_col (s, "Đạt mục tiêu", 8);
    s_col (s, "Số đơn vị có số liệu", 9);
    s_col (s, "Số đơn vị thiếu số liệu", 9);
    for (int pass = 0; pass < 2; pass++) /* plan targets first */
        for (size_t i = 0; i < cchc_criteria_indicator_count (cat); i++) {
            const cchc_indicator_t *ind = cchc_criteria_indicator (cat, i);
            if (ind->plan != (pass == 0))
                continue;
            for (int l = -1; l < CCHC_LEVEL_COUNT; l++) {
                const cchc_rollup_figure_t *f = cchc_rollup_figure (r, i, l);
                if (!f)
                    continue;
                bool rate = ind->denominator >= 0;
                s_row (s);
                s_text (s, ind->code);
                s_text (s, ind->name);
                s_yes (s, ind->plan);
                s_text (s, l < 0 ? CCHC_LABEL_PROVINCE : cchc_label_level ((cchc_level_t) l));
                s_num (s, S_NUM, f->numerator);
                s_num (s, S_NUM, f->denominator);
                s_num (s, rate ? S_PCT : S_NUM, f->has_value ? f->value : NAN);
                s_num (s, rate ? S_PCT : S_NUM, f->target);
                if (f->has_value)
                    s_yes (s, f->met);
                else
                    s_text (s, "Chưa có số liệu");
                s_num (s, S_INT, (double) f->units);
                s_num (s, S_INT, (double) f->units_missing);
            }
        }
    return s_write (&book, format, tmpdir, out, size, err, errlen);
}

/* ------------------------------------------------------------------------ */
/*  Reporting status */

/*  The dashboard's "Lệch đồng hồ" (web/app.js fSkew) as a number a
    spreadsheet can sort: the unit's furthest-off agent clock against the
    collector's, in whole seconds rounded half away from zero, > 0 ahead; an
    empty cell when no report gave it.  The header states the unit and the
    rounding, and is the same row in CSV and XLSX. */
#define S_SKEW_HEADER "Lệch đồng hồ (giây, làm tròn; dương: nhanh, âm: chậm)"

int
cchc_export_status (const cchc_rollup_t *r, const cchc_status_row_t *rows, size_t count,
                    int silent_days, cchc_export_format_t format, const char *tmpdir,
                    char **out, size_t *size, char *err, size_t errlen)
{
    assert (r && (rows || count == 0) && out && size);
    char silent [96];
    snprintf (silent, sizeof silent, "Không gửi tin ≥ %d ngày", silent_days);
    s_book_t book;
    s_sheet_t *s = s_only_sheet (&book, r, "Tình hình báo cáo", "Tình hình gửi số liệu CCHC");
    s_col (s, "Cấp", 20);
    s_col (s, "Mã đơn vị", 10);
    s_col (s, "Đơn vị", 34);
    s_col (s, "Trực thuộc", 20);
    s_col (s, "Số phần mềm gửi số liệu", 9);
    s_col (s, "Lần gửi gần nhất", 17);
    s_col (s, "Số ngày không gửi", 9);
    s_col (s, "Chỉ tiêu đã báo cáo", 9);
    s_col (s, "Chỉ tiêu phải báo cáo", 9);
    s_col (s, "Đủ số liệu", 8);
    s_col (s, "Đúng hạn", 13);
    s_col (s, "Không có số liệu của kỳ", 9);
    s_col (s, silent, 10);
    s_col (s, "Tin được nhận", 9);
    s_col (s, "Tin bị từ chối", 9);
    s_col (s, S_SKEW_HEADER, 12);
    for (size_t i = 0; i < count; i++) {
        const cchc_status_row_t *row = &rows [i];
        char seen [32];
        s_vi_time (row->last_seen_ms, seen, sizeof seen);
        s_row (s);
        s_text (s, cchc_label_level (row->level));
        s_text (s, row->code);
        s_text (s, row->name);
        s_text (s, row->parent_name);
        s_num (s, S_INT, row->agents);
        s_text (s, seen [0] ? seen : "Chưa bao giờ");
        if (row->days_silent >= 0)
            s_num (s, S_INT, row->days_silent);
        else
            s_next (s);
        s_num (s, S_INT, (double) row->metrics_reported);
        s_num (s, S_INT, (double) row->metrics_expected);
        s_yes (s, row->complete);
        s_text (s, row->on_time ? "Đúng hạn" : row->pending ? "Chưa đến hạn" : "Trễ hạn");
        s_yes (s, row->no_data);
        s_yes (s, row->silent);
        s_num (s, S_INT, (double) row->accepted);
        s_num (s, S_INT, (double) row->rejected);
        if (row->has_clock)
            s_num (s, S_INT, (double) llround ((double) row->clock_skew_ms / 1000.0));
        else
            s_next (s);
    }
    return s_write (&book, format, tmpdir, out, size, err, errlen);
}
