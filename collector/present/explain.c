/*  explain.c — the two admin commands that print from figures (report.h):
    cchcctl explain (the observation rows and signed messages behind a
    figure, as a table, JSON or CSV) and cchcctl criteria check (a
    catalogue's summary in Vietnamese).
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
        cchc_errf (err, errlen,
                   "bad period '%s' (e.g. 2021-03, 2021-Q1, 2021-H1, "
                   "2021-9M, 2021)",
                   period ? period : "");
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
    char day [16], at [40];
    cchc_report_iso_day (row->day, day, sizeof day);
    cchc_report_local_time (row->received_at, true, at, sizeof at);
    x->rows++;
    if (x->format == CCHC_FORMAT_JSON) {
        json_t *o = json_object ();
        json_object_set_new (o, "unit", json_string (row->unit));
        json_object_set_new (o, "metric", json_string (row->metric));
        json_object_set_new (o, "agent", json_integer (row->agent));
        json_object_set_new (o, "agent_name",
                             row->agent_name ? json_string (row->agent_name) : json_null ());
        json_object_set_new (o, "day", json_string (day));
        /*  the protocol keeps the kind: an integer prints as one (811, not 811.0) */
        json_object_set_new (o, "value",
                             row->is_integer ? json_integer (row->ivalue)
                                             : cchc_rollup_json_real (row->value));
        json_object_set_new (o, "seq", json_integer (row->seq));
        json_object_set_new (o, "journal", json_integer (row->journal));
        json_object_set_new (o, "received_at", json_string (at));
        json_array_append_new (x->array, o);
    }
    else if (x->format == CCHC_FORMAT_CSV) {
        fprintf (x->out, "%s,%s,%lld,", row->unit, row->metric, (long long) row->agent);
        cchc_report_csv_text (x->out, row->agent_name);
        fprintf (x->out, ",%s,", day);
        s_explain_value (x->out, row, 0);
        fprintf (x->out, ",%lld,%lld,%s\r\n", (long long) row->seq, (long long) row->journal,
                 at);
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
                  const char *unit, const char *code, const char *format, FILE *out, char *err,
                  size_t errlen)
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
        fputs ("unit,metric,agent,agent_name,day,value,seq,journal,received_at\r\n", out);
    else
        fprintf (out, "%-24s %-10s %6s %12s %8s %10s  %-25s  %s\n", "metric", "day", "agent",
                 "value", "seq", "journal", "received_at", "agent_name");
    int rc = cchc_rollup_explain (s.db, s.cat, &w, unit, code, s_explain_row, &x, err, errlen);
    if (rc == 0 && x.format == CCHC_FORMAT_JSON) {
        json_t *root = json_pack ("{s:s, s:s, s:s, s:O}", "period", w.id, "unit", unit, "code",
                                  code, "rows", x.array);
        rc = root && json_dumpf (root, out, JSON_INDENT (2)) == 0 ? 0 : -1;
        fputc ('\n', out);
        json_decref (root);
    }
    json_decref (x.array);
    s_session_close (&s);
    return rc;
}

int
cchc_criteria_check_cli (const char *criteria_path, FILE *out, char *err, size_t errlen)
{
    cchc_criteria_t *cat = cchc_criteria_load (criteria_path, err, errlen);
    if (!cat)
        return -1;
    size_t nm = cchc_criteria_metric_count (cat), na = cchc_criteria_area_count (cat),
           ni = cchc_criteria_indicator_count (cat);
    char total [32];
    cchc_report_vi_num (cchc_criteria_total (cat), 2, total, sizeof total);
    fprintf (out, "Bộ tiêu chí hợp lệ: %s (năm %d)\n", cchc_criteria_name (cat),
             cchc_criteria_year (cat));
    fprintf (out,
             "%zu chỉ tiêu thống kê, %zu lĩnh vực, %zu tiêu chí, tổng %s điểm; "
             "hạn gửi số liệu ngày %d (sở, ban, ngành), %d (cấp huyện), %d (cấp xã), "
             "khóa số liệu ngày %d của tháng cuối kỳ.\n",
             nm, na, ni, total, cchc_criteria_level_due_day (cat, CCHC_LEVEL_SO),
             cchc_criteria_level_due_day (cat, CCHC_LEVEL_HUYEN),
             cchc_criteria_level_due_day (cat, CCHC_LEVEL_XA), cchc_criteria_lock_day (cat));
    for (size_t a = 0; a < na; a++) {
        char pts [32];
        cchc_report_vi_num (cchc_criteria_area (cat, a)->points, 2, pts, sizeof pts);
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
        char p [32];
        cchc_report_vi_num (pts, 2, p, sizeof p);
        fprintf (out, "%s: %zu tiêu chí, tối đa %s điểm\n",
                 cchc_label_level_short ((cchc_level_t) l), count, p);
    }
    cchc_criteria_destroy (&cat);
    return fflush (out) == 0 ? 0 : -1;
}
