/*  reports.c — the report files of a period (reports.h): the printable
    report drawn by pdf.c from report.c's print composition, the Markdown
    draft, and the dashboard's ranking and summary exports (export.c).
    The province's name and the lock count come through collector/db/.
*/
#include "collector/present/reports.h"

#include "collector/db/periods.h"
#include "collector/present/export.h"
#include "collector/present/pdf.h"
#include "collector/periods/periods.h"
#include "collector/present/report.h"

#include "common/log.h"
#include "common/text.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* the sink of report.c's composition, drawing with pdf.c */
static void
s_motto (void *arg, const char *body, const char *number, const char *place_date)
{
    cchc_pdf_motto (arg, body, number, place_date);
}

static void
s_title (void *arg, const char *text, double size, bool bold)
{
    cchc_pdf_title (arg, text, size, bold);
}

static void
s_heading (void *arg, const char *text)
{
    cchc_pdf_heading (arg, text);
}

static void
s_paragraph (void *arg, const char *text, bool italic)
{
    cchc_pdf_paragraph (arg, text, italic);
}

static void
s_table (void *arg, size_t ncols, const double *widths, const char *align,
         const char *const *cells, size_t rows)
{
    cchc_pdf_table (arg, ncols, widths, align, cells, rows);
}

int
cchc_reports_pdf_compose (const char *path, cchc_reports_compose_fn *compose, void *arg,
                          char *err, size_t errlen)
{
    assert (path && compose);
    cchc_pdf_t *pdf = cchc_pdf_new (path, err, errlen);
    if (!pdf)
        return -1;
    cchc_report_sink_t sink = { pdf, s_motto, s_title, s_heading, s_paragraph, s_table };
    int rc = compose (arg, &sink, err, errlen);
    char e2 [256] = "";
    if (cchc_pdf_close (&pdf, e2, sizeof e2) != 0 && rc == 0) {
        cchc_errf (err, errlen, "%s: %s", path, e2);
        rc = -1;
    }
    return rc;
}

typedef struct {
    const cchc_rollup_t *r;
    const char *province;
    bool final;
} s_province_report_t;

static int
s_province_compose (void *arg, const cchc_report_sink_t *sink, char *err, size_t errlen)
{
    const s_province_report_t *p = arg;
    return cchc_report_print (p->r, p->province, p->final, sink, err, errlen);
}

static int
s_pdf_of (sqlite3 *db, const cchc_figures_t *fig, const char *path, char *err, size_t errlen)
{
    char province [256];
    /* the province's name on the window's last day, or "" */
    cchc_db_province_find (db, fig->rollup->window.last_day, NULL, 0, province,
                           sizeof province);
    s_province_report_t p = { fig->rollup, province, fig->stored };
    return cchc_reports_pdf_compose (path, s_province_compose, &p, err, errlen);
}

int
cchc_reports_pdf (sqlite3 *db, const cchc_criteria_t *cat, const cchc_period_t *period,
                  int64_t now, int flags, const char *path, char *err, size_t errlen)
{
    assert (db && cat && period && path);
    cchc_figures_t *fig = cchc_figures_load (db, cat, period, now, flags, err, errlen);
    if (!fig)
        return -1;
    int rc = s_pdf_of (db, fig, path, err, errlen);
    cchc_figures_destroy (&fig);
    return rc;
}

static int
s_mkdir (const char *path, char *err, size_t errlen)
{
    if (mkdir (path, 0750) == 0 || errno == EEXIST)
        return 0;
    cchc_errf (err, errlen, "%s: %s", path, strerror (errno));
    return -1;
}

/*  Write `size` bytes as `path`, through a temporary name.  0 or -1. */
static int
s_write_file (const char *path, const char *data, size_t size, char *err, size_t errlen)
{
    char tmp [1200];
    snprintf (tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen (tmp, "wb");
    if (!f) {
        cchc_errf (err, errlen, "%s: %s", tmp, strerror (errno));
        return -1;
    }
    bool ok = fwrite (data, 1, size, f) == size;
    ok = fflush (f) == 0 && ok;
    ok = fsync (fileno (f)) == 0 && ok;
    ok = fclose (f) == 0 && ok;
    if (!ok || rename (tmp, path) != 0) {
        cchc_errf (err, errlen, "%s: %s", path, strerror (errno));
        unlink (tmp);
        return -1;
    }
    return 0;
}

/*  Times `id` was locked (its period_event rows), at least 1. */
static int
s_version (sqlite3 *db, const char *id)
{
    int64_t v = 0;
    if (cchc_db_period_event_count (db, id, "locked", &v) != 0)
        v = 0;
    return v < 1 ? 1 : (int) v;
}

int
cchc_reports_write (sqlite3 *db, const cchc_criteria_t *cat, const cchc_period_t *period,
                    const char *reports_dir, int64_t now, cchc_reports_done_t *done, char *err,
                    size_t errlen)
{
    assert (db && cat && period && reports_dir && done);
    memset (done, 0, sizeof *done);
    char id [CCHC_PERIOD_ID_MAX];
    cchc_period_format (period, id, sizeof id);
    char dir [900];
    if ((size_t) snprintf (dir, sizeof dir, "%s/%s", reports_dir, id) >= sizeof dir) {
        cchc_errf (err, errlen, "reports: path too long");
        return -1;
    }
    if (s_mkdir (reports_dir, err, errlen) != 0 || s_mkdir (dir, err, errlen) != 0)
        return -1;
    cchc_figures_t *fig = cchc_figures_load (db, cat, period, now, 0, err, errlen);
    if (!fig)
        return -1;
    const cchc_rollup_t *r = fig->rollup;
    done->version = fig->stored ? s_version (db, id) : 0;
    char suffix [16] = "";
    if (done->version > 1)
        snprintf (suffix, sizeof suffix, "-v%d", done->version);
    else if (!fig->stored)
        snprintf (suffix, sizeof suffix, "-du-thao");
    for (size_t i = 0; i < r->unit_count; i++) {
        done->units++;
        done->complete += r->units [i].complete;
        done->on_time += r->units [i].on_time;
    }
    int rc = 0;
    char path [1100];

    /* the PDF, through a temporary name */
    snprintf (done->pdf, sizeof done->pdf, "%s/bao-cao%s.pdf", dir, suffix);
    snprintf (path, sizeof path, "%s.tmp", done->pdf);
    if (s_pdf_of (db, fig, path, err, errlen) != 0 || rename (path, done->pdf) != 0) {
        if (!*err)
            cchc_errf (err, errlen, "%s: %s", done->pdf, strerror (errno));
        unlink (path);
        rc = -1;
    }
    else
        done->files++;

    /* the Markdown draft */
    if (rc == 0) {
        char *text = NULL;
        size_t size = 0;
        FILE *mem = open_memstream (&text, &size);
        if (!mem || cchc_report_write (r, mem, err, errlen) != 0)
            rc = -1;
        if (mem)
            fclose (mem);
        snprintf (path, sizeof path, "%s/bao-cao%s.md", dir, suffix);
        if (rc == 0 && s_write_file (path, text, size, err, errlen) != 0)
            rc = -1;
        free (text);
        done->files += rc == 0;
    }

    /* the exports, as the dashboard offers them */
    static const struct {
        const char *name;
        int which;
        cchc_export_format_t format;
        const char *ext;
    } files [] = {
        { "xep-hang", 0, CCHC_EXPORT_XLSX, "xlsx" },
        { "xep-hang", 0, CCHC_EXPORT_CSV, "csv" },
        { "tong-hop", 1, CCHC_EXPORT_XLSX, "xlsx" },
        { "tong-hop", 1, CCHC_EXPORT_CSV, "csv" },
    };
    for (size_t k = 0; rc == 0 && k < sizeof files / sizeof files [0]; k++) {
        char *out = NULL;
        size_t size = 0;
        int erc =
            files [k].which == 0
                ? cchc_export_ranking (r, -1, files [k].format, dir, &out, &size, err, errlen)
                : cchc_export_summary (r, files [k].format, dir, &out, &size, err, errlen);
        snprintf (path, sizeof path, "%s/%s%s.%s", dir, files [k].name, suffix, files [k].ext);
        if (erc != 0 || s_write_file (path, out, size, err, errlen) != 0)
            rc = -1;
        else
            done->files++;
        free (out);
    }
    cchc_figures_destroy (&fig);
    return rc;
}

void
cchc_reports_on_locked (cchc_periods_t *keeper, const cchc_period_t *period, int64_t now,
                        void *arg)
{
    assert (keeper && period && arg);
    char id [CCHC_PERIOD_ID_MAX], err [512] = "";
    cchc_period_format (period, id, sizeof id);
    if (period->kind == CCHC_PERIOD_MONTH) {
        /* no files for a month: its figures, for the log (and the demo) */
        sqlite3 *db = cchc_periods_handle (keeper);
        cchc_figures_t *fig = cchc_figures_load (db, cchc_periods_criteria (keeper), period,
                                                 now, 0, err, sizeof err);
        if (!fig) {
            cchc_warn ("reports: %s: %s", id, err);
            return;
        }
        size_t complete = 0, on_time = 0;
        for (size_t i = 0; i < fig->rollup->unit_count; i++) {
            complete += fig->rollup->units [i].complete;
            on_time += fig->rollup->units [i].on_time;
        }
        cchc_notice (
            "reports: %s v%d: %zu units, %zu complete, %zu on time (a month: no files)", id,
            s_version (db, id), fig->rollup->unit_count, complete, on_time);
        cchc_figures_destroy (&fig);
        return;
    }
    cchc_reports_done_t done;
    if (cchc_reports_write (cchc_periods_handle (keeper), cchc_periods_criteria (keeper),
                            period, arg, now, &done, err, sizeof err)
        != 0)
        cchc_warn ("reports: %s: cannot write the report files: %s", id, err);
    else
        cchc_notice ("reports: %s v%d: %zu units, %zu complete, %zu on time: %s (%zu files)",
                     id, done.version, done.units, done.complete, done.on_time, done.pdf,
                     done.files);
}
