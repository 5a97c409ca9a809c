/*  national.h (collector/present/) — the national ranking as people read
    it, through the province's presentation code, not a copy of it:

      export     CSV / XLSX (export.c's book and writers): sheet "Xếp hạng"
                 (rank, province, score, change, each level's index, units,
                 status, late, version, revised, received) and, in XLSX, sheet
                 "Chỉ tiêu kế hoạch" (each reported province's plan indicators
                 against their targets); the CSV file is the ranking alone;
      print      the printable national report, composed once into a report
                 sink (report.h): Bộ Nội vụ's header with the national motto,
                 the title, I. who reported (and who was late) against the
                 national deadline, II. the ranking, III. the plan indicators,
                 IV. the provinces missing or late, and how the ranking is
                 made; drawn as a PDF by pdf.c (reports.c's sink) or as the
                 HTML print view by html.c.

    `rank` is cchc_national_rank's JSON (collector/national/national.h);
    `cat`, when not NULL, names the plan indicators and says which are rates
    (else their codes and plain numbers).  Labels (periods, levels) come
    from labels.c, numbers are Vietnamese (decimal comma).  Each returns 0
    or -1 with err.
*/
#ifndef CCHC_PRESENT_NATIONAL_H
#define CCHC_PRESENT_NATIONAL_H

#include "collector/figures/criteria.h"
#include "collector/present/export.h"
#include "collector/present/report.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int cchc_present_national_export (const json_t *rank, const cchc_criteria_t *cat,
                                  cchc_export_format_t format, const char *tmpdir, char **out,
                                  size_t *size, char *err, size_t errlen);

/*  The report's composition; `now_ms` dates it. */
int cchc_present_national_print (const json_t *rank, const cchc_criteria_t *cat,
                                 int64_t now_ms, const cchc_report_sink_t *sink, char *err,
                                 size_t errlen);

/*  The report as a PDF at `path`. */
int cchc_present_national_pdf (const json_t *rank, const cchc_criteria_t *cat, int64_t now_ms,
                               const char *path, char *err, size_t errlen);

/*  The same PDF as bytes (*out malloc'ed), through a temporary file in
    `tmpdir` (NULL: /tmp) that is removed. */
int cchc_present_national_pdf_bytes (const json_t *rank, const cchc_criteria_t *cat,
                                     int64_t now_ms, const char *tmpdir, char **out,
                                     size_t *size, char *err, size_t errlen);

/*  The report as the HTML print view (*out malloc'ed); `standalone`: the
    stylesheet copied in (a file), else linked (the dashboard, html.h). */
int cchc_present_national_html (const json_t *rank, const cchc_criteria_t *cat, int64_t now_ms,
                                bool standalone, char **out, size_t *size, char *err,
                                size_t errlen);

#endif
