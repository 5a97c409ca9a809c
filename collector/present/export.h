/*  export.h — the dashboard's tables as files people open in a spreadsheet:
    CSV (UTF-8 with a byte-order mark, comma-separated, dot decimals, one
    header row) and XLSX (libxlsxwriter: one sheet per level, real numbers
    with number formats, a title row, frozen header, autofilter).

    Three tables, the same ones the dashboard shows:
      ranking   per level: rank, unit, index, grade, change, area subtotals,
                completeness and timeliness
      summary   the province's figure for every plan target (and the other
                indicators), all levels and per level, against the target
      status    reporting status per unit: agents, last message, metrics
                reported, on time / late / pending, silent, rejected messages,
                clock skew (whole seconds, > 0 ahead, empty when unknown)

    Headers and sheet names are Vietnamese.  Every function returns a malloc'ed
    buffer (*out, *size) or -1 with the reason in err.
*/
#ifndef CCHC_EXPORT_H
#define CCHC_EXPORT_H

#include "collector/figures/rollup.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*  One unit's reporting status in a period (built by api.c from the roll-up
    and the agent table). */
typedef struct {
    const char *code, *name;
    cchc_level_t level;
    const char *parent_name;  /* may be NULL */
    int agents;               /* agents enrolled for it (not revoked) */
    int64_t last_seen_ms;     /* newest agent.last_seen, 0 if never */
    int days_silent;          /* whole days since then; -1 if never */
    int64_t last_received_ms; /* newest arrival behind the window's data */
    size_t metrics_expected, metrics_reported;
    bool complete, on_time, pending;
    bool late;        /* not on time and the due day has passed */
    bool no_data;     /* no observation dated in the window */
    bool silent;      /* no message for silent_days, or no agent */
    int64_t rejected; /* messages rejected, all its agents */
    int64_t accepted;
    bool has_clock;        /* an active agent's reports gave its clock: */
    int64_t clock_skew_ms; /* the furthest off of them (agent.clock_skew) */
} cchc_status_row_t;

typedef enum { CCHC_EXPORT_CSV = 1, CCHC_EXPORT_XLSX = 2 } cchc_export_format_t;

/*  "ranking" per level (level < 0: every level; CSV then has a level column,
    XLSX one sheet per level). */
int cchc_export_ranking (const cchc_rollup_t *r, int level, cchc_export_format_t format,
                         const char *tmpdir, char **out, size_t *size, char *err,
                         size_t errlen);

/*  The province figures against the plan's targets. */
int cchc_export_summary (const cchc_rollup_t *r, cchc_export_format_t format,
                         const char *tmpdir, char **out, size_t *size, char *err,
                         size_t errlen);

/*  Reporting status, rows in the given order. */
int cchc_export_status (const cchc_rollup_t *r, const cchc_status_row_t *rows, size_t count,
                        int silent_days, cchc_export_format_t format, const char *tmpdir,
                        char **out, size_t *size, char *err, size_t errlen);

/*  Another table, built cell by cell and written by the same CSV and XLSX
    writers (the national ranking, collector/present/national.c):

        cchc_export_book_t *b = cchc_export_book_new ();
        cchc_export_sheet (b, "Xếp hạng", "title", "subtitle");
        cchc_export_col (b, "Hạng", 6);         // header: a literal, or
        ...                                     // text that outlives b
        cchc_export_row (b);
        cchc_export_int (b, 1); cchc_export_text (b, "Tỉnh Tuyên Quang"); ...
        cchc_export_book_write (&b, CCHC_EXPORT_XLSX, tmpdir, &out, &size, ...);

    At most CCHC_LEVEL_COUNT sheets of 40 columns; a cell past the last
    column is a bug (assert).  A cell function called for a NaN, or
    cchc_export_skip, leaves the cell empty.  Out of memory is reported by
    the write, which also destroys the book. */
typedef struct cchc_export_book_t cchc_export_book_t;

cchc_export_book_t *cchc_export_book_new (void);
/*  Start a sheet: its name (31 bytes at most in XLSX), the title and
    subtitle rows.  0, or -1 when the book has no room for another. */
int cchc_export_sheet (cchc_export_book_t *self, const char *name, const char *title,
                       const char *subtitle);
void cchc_export_col (cchc_export_book_t *self, const char *header, double width);
void cchc_export_row (cchc_export_book_t *self);
void cchc_export_text (cchc_export_book_t *self, const char *text);
void cchc_export_number (cchc_export_book_t *self, double value);     /* 0.00 */
void cchc_export_int (cchc_export_book_t *self, double value);        /* 0 */
void cchc_export_percent (cchc_export_book_t *self, double fraction); /* 0.0% */
void cchc_export_skip (cchc_export_book_t *self);
/*  Write the book (destroyed, *self_p set to NULL) as CSV or XLSX.  0 with
    the malloc'ed file in *out, *size, or -1 with err. */
int cchc_export_book_write (cchc_export_book_t **self_p, cchc_export_format_t format,
                            const char *tmpdir, char **out, size_t *size, char *err,
                            size_t errlen);
void cchc_export_book_destroy (cchc_export_book_t **self_p);

/*  A new empty file PREFIX-XXXXXX (mkstemp) in tmpdir (NULL: /tmp), its
    name in path (size bytes).  0, or -1 with err. */
int cchc_export_tmpfile (const char *tmpdir, const char *prefix, char *path, size_t size,
                         char *err, size_t errlen);

/*  The whole file at `path` (*out malloc'ed, *size).  0, or -1 with err. */
int cchc_export_file_read (const char *path, char **out, size_t *size, char *err,
                           size_t errlen);

#endif
