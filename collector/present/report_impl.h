/*  report_impl.h — the formatting helpers report.c shares with explain.c and
    print.c; private to collector/present/. */
#ifndef CCHC_REPORT_IMPL_H
#define CCHC_REPORT_IMPL_H

#include "collector/present/labels.h"
#include "collector/present/report.h"
#include "common/text.h"
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/*  A text cell: quoted as needed, formula-neutralised (common/text.h). */
void cchc_report_csv_text (FILE *out, const char *s);

/*  "2021-03-14" of a yyyymmdd. */
void cchc_report_iso_day (int32_t yyyymmdd, char *buf, size_t size);

/*  Local time of a UTC instant: "2021-03-18T23:59:59+07:00" (iso) or
    "18/03/2021 23:59" (vi). */
void cchc_report_local_time (int64_t utc_ms, bool iso, char *buf, size_t size);

/*  "14/03/2021" of a yyyymmdd. */
void cchc_report_vi_day (int32_t yyyymmdd, char *buf, size_t size);

/*  Each level's due day: "ngày 18/03/2021" when they agree, else
    "Sở, ban, ngành ngày 18/03/2021; UBND cấp huyện ngày 17/03/2021; UBND
    cấp xã ngày 16/03/2021". */
void cchc_report_vi_dues (const cchc_rollup_window_t *w, char *buf, size_t size);

/*  Vietnamese number: decimal comma, thousands dot: 1.234,5 */
void cchc_report_vi_num (double v, int decimals, char *buf, size_t size);

/*  A value as people read it: a rate as "45,2%", a plain value as a number. */
void cchc_report_vi_value (const cchc_indicator_t *ind, double v, char *buf, size_t size);

/*  One row of the plan table (section I of the report, in Markdown and in
    print): an indicator of the plan (not on-time rules) at the province, or
    at each level when the plan sets its target per level. */
typedef struct {
    int stt; /* the indicator's number, from 1 */
    const cchc_indicator_t *ind;
    int level; /* -1: the province; else a level */
    const cchc_rollup_figure_t *f;
    char value [32], target [32]; /* cchc_report_vi_value */
    const char *cmp;              /* before the target: "≥ ", "≤ " or "" */
    const char *verdict;          /* "Đạt", "Chưa đạt", "Chưa có số liệu" */
} cchc_report_plan_row_t;

typedef void (cchc_report_plan_fn) (void *arg, const cchc_report_plan_row_t *row);

/*  Calls fn for each row of the plan table, in the catalogue's order.
    Returns the number of plan indicators (0: the catalogue marks none). */
int cchc_report_plan_rows (const cchc_rollup_t *r, cchc_report_plan_fn *fn, void *arg);

/*  Cells of a table being built for a report sink (report.h): strings
    owned by the list, rows × ncols, row 0 the header.  cchc_report_cell
    appends one (printf format); out of memory sets `drop`.
    cchc_report_cells_emit draws the table unless `drop` (or no full row)
    and frees the cells, leaving t empty.  The province's report (print.c)
    and the national one (national.c) build their tables this way. */
typedef struct {
    char **v;
    size_t n, alloc;
    bool drop; /* out of memory, or not to be drawn */
} cchc_report_cells_t;

void cchc_report_cell (cchc_report_cells_t *t, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));
void cchc_report_cells_emit (const cchc_report_sink_t *sink, cchc_report_cells_t *t,
                             size_t ncols, const double *widths, const char *align);

#endif
