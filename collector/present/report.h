/*  report.h — what a roll-up looks like to people and programs: JSON
    (jansson), CSV (one row per unit and indicator), a text table for the
    terminal, and the quarterly report draft in Vietnamese (Markdown).

    `cchcctl rollup` and `cchcctl report` load the figures people see (a
    locked period's stored ones, collector/periods/periods.h) and call
    cchc_rollup_write / cchc_report_write.  Two more admin commands are here
    in one call each:

      cchcctl explain --period 2021-Q1 --unit CODE --code METRIC|INDICATOR
          → cchc_explain_cli (db, criteria, "2021-Q1", unit, code, "table", stdout, ...)
      cchcctl criteria check FILE
          → cchc_criteria_check_cli (FILE, stdout, ...)

    `now` is cchc_clock_now_ms() (UTC ms): it decides whether late data is
    still pending (before the due day) and is printed as "as of".
    The database is opened read-only.
*/
#ifndef CCHC_REPORT_H
#define CCHC_REPORT_H

#include "collector/figures/rollup.h"
#include "collector/figures/rollup_json.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum {
    CCHC_FORMAT_TABLE = 1,
    CCHC_FORMAT_JSON = 2,
    CCHC_FORMAT_CSV = 3
} cchc_format_t;

/*  "table" | "json" | "csv".  0 or -1. */
int cchc_format_parse (const char *text, cchc_format_t *format);

/*  Write the roll-up (or one unit: unit != NULL) in `format`.
    0, or -1 with the reason in err (unknown unit, write error). */
int cchc_rollup_write (const cchc_rollup_t *r, const char *unit, cchc_format_t format,
                       FILE *out, char *err, size_t errlen);

/*  The report draft in Vietnamese, Markdown: province figures against the
    plan's targets, index distribution and ranking tables per level, results
    per area, units with missing or late data.  0 or -1. */
int cchc_report_write (const cchc_rollup_t *r, FILE *out, char *err, size_t errlen);

/*  The printable report — the dashboard's print view (web/app.js): the
    national motto header with `province`'s People's Committee, the title,
    "SỐ LIỆU ĐÃ KHÓA" when `final` (else a draft), the window and each
    level's deadline, I. the plan's targets, II. reporting status per level
    with its due day, III. the ranking of each level, IV. the units late or
    without data — told to a sink (pdf.c draws it; tests read it).  UTF-8
    text, never markup.  0, or -1 with err. */
typedef struct {
    void *arg;
    void (*motto) (void *arg, const char *body, const char *number, const char *place_date);
    void (*title) (void *arg, const char *text, double size, bool bold);
    void (*heading) (void *arg, const char *text);
    void (*paragraph) (void *arg, const char *text, bool italic);
    void (*table) (void *arg, size_t ncols, const double *widths, const char *align,
                   const char *const *cells, size_t rows);
} cchc_report_sink_t;

int cchc_report_print (const cchc_rollup_t *r, const char *province, bool final,
                       const cchc_report_sink_t *sink, char *err, size_t errlen);

/*  Admin tool commands (see above).  0, or -1 with the reason in err. */
int cchc_explain_cli (const char *db_path, const char *criteria_path, const char *period,
                      const char *unit, const char *code, const char *format, FILE *out,
                      char *err, size_t errlen);
/*  Load and validate a catalogue; print a summary in Vietnamese (counts,
    points per area and per level) or fail with "path:line: reason". */
int cchc_criteria_check_cli (const char *criteria_path, FILE *out, char *err, size_t errlen);

#endif
