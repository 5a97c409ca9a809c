/*  reports.h — the report files of a locked period, written into the state
    folder when it locks (by the collector's schedule or `cchcctl period
    lock`) so that the province has its quarterly report without opening
    the dashboard:

      STATE/reports/2021-Q1/bao-cao.pdf    the printable report (A4, the
                                           dashboard's print view: national
                                           motto header, plan targets,
                                           reporting status with each level's
                                           deadline, rankings, late units)
                           bao-cao.md      the report draft (Markdown)
                           xep-hang.xlsx   ranking, one sheet per level
                           xep-hang.csv    ranking, every level
                           tong-hop.xlsx   the province against the plan
                           tong-hop.csv

    A period locked again after a reopen gets its files beside the first
    ones with the lock's version: bao-cao-v2.pdf, xep-hang-v2.csv, ... (the
    version is the number of times it was locked).  Files are written under
    a temporary name and renamed: a reader never sees half a file.  The
    figures are the stored final ones (the snapshot), as the dashboard
    shows them.
*/
#ifndef CCHC_REPORTS_H
#define CCHC_REPORTS_H

#include "collector/figures/criteria.h"
#include "collector/present/report.h"
#include "common/period.h"

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    char pdf [1024];                 /* path of the PDF written */
    int version;                     /* 1, 2, ... */
    size_t files;                    /* files written */
    size_t units, complete, on_time; /* of the figures */
} cchc_reports_done_t;

/*  Write the files of `period` (locked or not: a report of figures not
    locked says "DỰ THẢO") into reports_dir/ID/, creating the folders.
    0, or -1 with err. */
int cchc_reports_write (sqlite3 *db, const cchc_criteria_t *cat, const cchc_period_t *period,
                        const char *reports_dir, int64_t now, cchc_reports_done_t *done,
                        char *err, size_t errlen);

/*  The printable report of `period` alone, as a PDF at `path` (cchcctl
    report --pdf FILE).  0, or -1 with err. */
int cchc_reports_pdf (sqlite3 *db, const cchc_criteria_t *cat, const cchc_period_t *period,
                      int64_t now, int flags, const char *path, char *err, size_t errlen);

/*  A printable report composed into a sink (report.h) drawn as a PDF at
    `path` by pdf.c: the province's report above and the national one
    (collector/present/national.h) are drawn through this one sink.
    `compose` returns 0 or -1 with err.  0, or -1 with err. */
typedef int cchc_reports_compose_fn (void *arg, const cchc_report_sink_t *sink, char *err,
                                     size_t errlen);
int cchc_reports_pdf_compose (const char *path, cchc_reports_compose_fn *compose, void *arg,
                              char *err, size_t errlen);

/*  A cchc_periods_locked_fn (periods.h) writing the files of every locked
    quarter, 6 and 9 months and year into the folder `arg` (a const char *),
    and logging them (one line, what deploy/demo.sh tells from):
      "reports: 2021-Q1 v1: 164 units, 160 complete, 151 on time:
       STATE/reports/2021-Q1/bao-cao.pdf (6 files)"
      "reports: 2021-03 v1: 164 units, 160 complete, 151 on time (a month: no files)"
    or the reason they could not be written (the lock stands either way). */
struct cchc_periods_t;
void cchc_reports_on_locked (struct cchc_periods_t *keeper, const cchc_period_t *period,
                             int64_t now, void *arg);

#endif
