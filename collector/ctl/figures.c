/*  figures.c — cchcctl's commands on the figures (ctl.h): rollup, report,
    explain, criteria check, period list / log / lock / reopen.
*/
#include "collector/ctl/admin.h"
#include "collector/ingest/conf.h"
#include "collector/periods/periods.h"
#include "collector/present/report.h"
#include "collector/present/reports.h"
#include "collector/db/db.h"
#include "common/clock.h"
#include "common/key.h"
#include "common/log.h"
#include "common/period.h"
#include "common/text.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>
#include "collector/ctl/ctl.h"

/* -------------------------------------------- periods, reports, criteria */

/*  Open the database read-only (rollup, report, period list, backup). */
sqlite3 *
cchc_ctl_open_readonly (const cchc_collector_conf_t *conf)
{
    char path [CCHC_COLLECTOR_PATH_MAX + 32];
    if (cchc_collector_conf_db_path (conf, path, sizeof path)) {
        fprintf (stderr, "cchcctl: database path too long\n");
        return NULL;
    }
    if (access (path, F_OK) != 0) {
        fprintf (stderr, "cchcctl: no database at %s (give --state DIR or --db PATH)\n", path);
        return NULL;
    }
    sqlite3 *db = NULL;
    if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf (stderr, "cchcctl: %s: %s\n", path, db ? sqlite3_errmsg (db) : "cannot open");
        sqlite3_close (db);
        return NULL;
    }
    sqlite3_busy_timeout (db, 5000);
    return db;
}

static cchc_criteria_t *
s_criteria (const char *path)
{
    char err [1024];
    cchc_criteria_t *cat = cchc_criteria_load (path, err, sizeof err);
    if (!cat)
        fprintf (stderr, "cchcctl: criteria: %s%s\n", err,
                 access (path, F_OK) == 0 ? "" : " (give --criteria FILE or --config)");
    return cat;
}

static int
s_period_arg (const char *text, cchc_period_t *period)
{
    if (!text) {
        fprintf (stderr, "cchcctl: --period is required\n");
        return -1;
    }
    if (strlen (text) >= CCHC_PERIOD_ID_MAX || cchc_period_parse (text, period)) {
        fprintf (stderr,
                 "cchcctl: bad period '%s' (e.g. 2021-03, 2021-Q1, 2021-H1, "
                 "2021-9M, 2021)\n",
                 text);
        return -1;
    }
    return 0;
}

/*  Local (UTC+7) time "YYYY-MM-DD HH:MM:SS" of UTC ms, or "-" for 0. */
static void
s_local_text (int64_t ms, char *buf, size_t size)
{
    if (!ms) {
        snprintf (buf, size, "-");
        return;
    }
    char iso [32];
    cchc_clock_format_iso (ms + CCHC_TZ_OFFSET_MS, iso, sizeof iso);
    iso [10] = ' ';
    iso [19] = 0;
    cchc_strlcpy (buf, iso, size);
}

/*  Who runs this, for the period log.  First the account the kernel says
    runs this process (getuid; the effective one beside it if it differs),
    then the login user the kernel's audit keeps for the session
    (/proc/self/loginuid, set at login by pam_loginuid and not changed by
    sudo or su) when it is another one, then $SUDO_USER — which anyone can
    set — only beside them, as what it is: "cchc (login alice, SUDO_USER
    alice)".  Never the environment instead of the kernel. */
static void
s_user_name (uid_t uid, char *buf, size_t size)
{
    struct passwd *pw = getpwuid (uid);
    if (pw && pw->pw_name && *pw->pw_name)
        snprintf (buf, size, "%s", pw->pw_name);
    else
        snprintf (buf, size, "uid %lu", (unsigned long) uid);
}

static void
s_who (char *buf, size_t size)
{
    char user [64], other [64], extra [200] = "";
    uid_t uid = getuid (), euid = geteuid ();
    s_user_name (uid, user, sizeof user);
    size_t n = 0;
    if (euid != uid) {
        s_user_name (euid, other, sizeof other);
        n +=
            (size_t) snprintf (extra + n, sizeof extra - n, "%seuid %s", n ? ", " : "", other);
    }
    FILE *f = fopen ("/proc/self/loginuid", "r");
    unsigned long login = (unsigned long) -1;
    if (f) {
        if (fscanf (f, "%lu", &login) != 1)
            login = (unsigned long) -1;
        fclose (f);
    }
    if (login != (unsigned long) -1 && login != 4294967295UL && (uid_t) login != uid
        && n < sizeof extra) {
        s_user_name ((uid_t) login, other, sizeof other);
        n += (size_t) snprintf (extra + n, sizeof extra - n, "%slogin %s", n ? ", " : "",
                                other);
    }
    const char *env = getenv ("SUDO_USER");
    char sudo [41] = "";
    for (size_t i = 0; env && env [i] && i < sizeof sudo - 1; i++)
        sudo [i] = env [i] > 0x20 && env [i] < 0x7F ? env [i] : '?'; /* no control bytes */
    if (*sudo && strcmp (sudo, user) != 0 && n < sizeof extra)
        n += (size_t) snprintf (extra + n, sizeof extra - n, "%sSUDO_USER %s", n ? ", " : "",
                                sudo);
    if (n)
        snprintf (buf, size, "%s (%s)", user, extra);
    else
        snprintf (buf, size, "%s", user);
}

/*  Load the figures people see; prints the failure. */
static cchc_figures_t *
s_figures (sqlite3 *db, const cchc_criteria_t *cat, const cchc_period_t *period, bool live)
{
    char err [1024];
    cchc_figures_t *fig = cchc_figures_load (db, cat, period, cchc_clock_now_ms (),
                                             live ? CCHC_FIGURES_LIVE : 0, err, sizeof err);
    if (!fig)
        fprintf (stderr, "cchcctl: %s\n", err);
    return fig;
}

static void
s_figures_note (const cchc_figures_t *fig)
{
    char at [32];
    const cchc_rollup_window_t *w = &fig->rollup->window;
    s_local_text (w->as_of_ms, at, sizeof at);
    fprintf (stderr, "%s: %s — %s, as of %s (UTC+7), journal position %lld\n", w->id,
             cchc_pstate_code (fig->state),
             fig->stored ? "stored final figures" : "computed now", at,
             (long long) fig->journal_pos);
}

int
cchc_ctl_rollup (const cchc_ctl_ctx_t *ctx, const cchc_ctl_args_t *a)
{
    const cchc_collector_conf_t *conf = ctx->conf;
    const char *period_text = cchc_ctl_arg (a, "--period"), *unit = cchc_ctl_arg (a, "--unit"),
               *format = cchc_ctl_arg (a, "--format");
    bool live = cchc_ctl_flag (a, "--live");
    if (!format)
        format = "table";
    cchc_period_t period;
    cchc_format_t fmt;
    if (s_period_arg (period_text, &period))
        return 2;
    if (cchc_format_parse (format, &fmt)) {
        fprintf (stderr, "cchcctl: bad format '%s' (table, json or csv)\n", format);
        return 2;
    }
    cchc_criteria_t *cat = s_criteria (ctx->criteria);
    sqlite3 *db = cat ? cchc_ctl_open_readonly (conf) : NULL;
    cchc_figures_t *fig = db ? s_figures (db, cat, &period, live) : NULL;
    int rc = 1;
    if (fig) {
        char err [512] = "";
        if (unit && cchc_rollup_unit_find (fig->rollup, unit) < 0)
            snprintf (err, sizeof err, "no scored unit '%s' in %s", unit,
                      fig->rollup->window.id);
        else if (fmt == CCHC_FORMAT_JSON) {
            /* the roll-up's JSON, and what the store says about it */
            json_t *root = cchc_rollup_json (fig->rollup, unit);
            if (root) {
                json_object_set_new (root, "state",
                                     json_string (cchc_pstate_code (fig->state)));
                json_object_set_new (root, "stored", json_boolean (fig->stored));
                json_object_set_new (root, "journal_position",
                                     json_integer (fig->journal_pos));
                json_object_set_new (root, "locked_at",
                                     fig->has_row && fig->row.locked_at
                                         ? json_integer (fig->row.locked_at)
                                         : json_null ());
            }
            if (root && json_dumpf (root, stdout, JSON_INDENT (2)) == 0
                && fputc ('\n', stdout) != EOF && fflush (stdout) == 0)
                rc = 0;
            else
                snprintf (err, sizeof err, "cannot write the JSON");
            json_decref (root);
        }
        else {
            s_figures_note (fig);
            rc = cchc_rollup_write (fig->rollup, unit, fmt, stdout, err, sizeof err) ? 1 : 0;
        }
        if (rc)
            fprintf (stderr, "cchcctl: %s\n", err);
    }
    cchc_figures_destroy (&fig);
    sqlite3_close (db);
    cchc_criteria_destroy (&cat);
    return rc;
}

int
cchc_ctl_report (const cchc_ctl_ctx_t *ctx, const cchc_ctl_args_t *a)
{
    const cchc_collector_conf_t *conf = ctx->conf;
    const char *period_text = cchc_ctl_arg (a, "--period"),
               *out_path = cchc_ctl_arg (a, "--out"), *pdf_path = cchc_ctl_arg (a, "--pdf");
    bool live = cchc_ctl_flag (a, "--live");
    cchc_period_t period;
    if (!out_path == !pdf_path)
        return cchc_ctl_usage_of (a);
    if (s_period_arg (period_text, &period))
        return 2;
    cchc_criteria_t *cat = s_criteria (ctx->criteria);
    sqlite3 *db = cat ? cchc_ctl_open_readonly (conf) : NULL;
    if (db && pdf_path) {
        /* the printable report, as written at each lock */
        char err [512] = "";
        int prc = cchc_reports_pdf (db, cat, &period, cchc_clock_now_ms (),
                                    live ? CCHC_FIGURES_LIVE : 0, pdf_path, err, sizeof err);
        if (prc)
            fprintf (stderr, "cchcctl: %s\n", err);
        else
            fprintf (stderr, "wrote %s\n", pdf_path);
        sqlite3_close (db);
        cchc_criteria_destroy (&cat);
        return prc ? 1 : 0;
    }
    cchc_figures_t *fig = db ? s_figures (db, cat, &period, live) : NULL;
    int rc = 1;
    if (fig) {
        char err [512] = "";
        bool to_stdout = strcmp (out_path, "-") == 0;
        FILE *out = to_stdout ? stdout : fopen (out_path, "w");
        if (!out)
            snprintf (err, sizeof err, "%s: %s", out_path, strerror (errno));
        else {
            rc = cchc_report_write (fig->rollup, out, err, sizeof err) ? 1 : 0;
            if (!to_stdout && fclose (out) != 0 && rc == 0) {
                snprintf (err, sizeof err, "%s: %s", out_path, strerror (errno));
                rc = 1;
            }
        }
        if (rc)
            fprintf (stderr, "cchcctl: %s\n", err);
        else {
            s_figures_note (fig);
            if (!to_stdout)
                fprintf (stderr, "wrote %s\n", out_path);
        }
    }
    cchc_figures_destroy (&fig);
    sqlite3_close (db);
    cchc_criteria_destroy (&cat);
    return rc;
}

int
cchc_ctl_explain (const cchc_ctl_ctx_t *ctx, const cchc_ctl_args_t *a)
{
    const cchc_collector_conf_t *conf = ctx->conf;
    const char *criteria = ctx->criteria;
    const char *period_text = cchc_ctl_arg (a, "--period"), *unit = cchc_ctl_arg (a, "--unit"),
               *format = cchc_ctl_arg (a, "--format"), *code = NULL;
    int codes = 0;
    const char *code_opts [] = { "--indicator", "--metric", "--code" };
    for (size_t k = 0; k < 3; k++)
        if (cchc_ctl_arg (a, code_opts [k])) {
            code = cchc_ctl_arg (a, code_opts [k]);
            codes++;
        }
    if (!format)
        format = "table";
    cchc_period_t period;
    if (!unit || codes != 1)
        return cchc_ctl_usage_of (a);
    if (s_period_arg (period_text, &period))
        return 2;
    char path [CCHC_COLLECTOR_PATH_MAX + 32], err [1024] = "";
    if (cchc_collector_conf_db_path (conf, path, sizeof path))
        return 1;
    /*  A locked period's figures are the stored ones: say which rows came
        after them. */
    sqlite3 *db = cchc_ctl_open_readonly (conf);
    if (!db)
        return 1;
    cchc_period_row_t row;
    char id [CCHC_PERIOD_ID_MAX];
    cchc_period_format (&period, id, sizeof id);
    if (cchc_periods_row (db, id, &row, NULL, 0) == 1 && row.state == CCHC_PSTATE_LOCKED)
        fprintf (stderr,
                 "note: %s is locked; its final figures cover the journal up to "
                 "%lld: rows with a higher journal id arrived after them and are not "
                 "in them\n",
                 id, (long long) row.journal_pos);
    sqlite3_close (db);
    if (cchc_explain_cli (path, criteria, period_text, unit, code, format, stdout, err,
                          sizeof err)) {
        fprintf (stderr, "cchcctl: %s\n", err);
        return 1;
    }
    return 0;
}

int
cchc_ctl_criteria_check (const cchc_ctl_ctx_t *ctx, const cchc_ctl_args_t *a)
{
    (void) ctx;
    char err [1024];
    if (cchc_criteria_check_cli (a->words [0], stdout, err, sizeof err)) {
        fprintf (stderr, "cchcctl: %s\n", err);
        return 1;
    }
    return 0;
}

int
cchc_ctl_period_list (const cchc_ctl_ctx_t *ctx, const cchc_ctl_args_t *a)
{
    (void) a;
    sqlite3 *db = cchc_ctl_open_readonly (ctx->conf);
    if (!db)
        return 1;
    cchc_period_row_t *rows = NULL;
    size_t count = 0;
    char err [512];
    int managed = cchc_periods_managed (db);
    if (managed == 0) {
        printf ("no stored periods: no collector with the period schedule has run on "
                "this database\n");
        sqlite3_close (db);
        return 0;
    }
    if (managed < 0 || cchc_periods_rows (db, &rows, &count, err, sizeof err)) {
        fprintf (stderr, "cchcctl: %s\n", managed < 0 ? sqlite3_errmsg (db) : err);
        sqlite3_close (db);
        return 1;
    }
    printf ("%-8s %-11s %-19s %10s %6s %-19s %s\n", "period", "state", "computed (UTC+7)",
            "journal", "units", "locked (UTC+7)", "by");
    for (size_t i = 0; i < count; i++) {
        const cchc_period_row_t *r = &rows [i];
        char at [32], locked [32];
        s_local_text (r->computed_at, at, sizeof at);
        s_local_text (r->locked_at, locked, sizeof locked);
        char after [96] = "";
        if (r->state == CCHC_PSTATE_LOCKED && r->after_lock_units > 0)
            snprintf (after, sizeof after,
                      "  (%lld units changed after the lock: reopen to "
                      "take them in)",
                      (long long) r->after_lock_units);
        printf ("%-8s %-11s %-19s %10lld %6lld %-19s %s%s\n", r->period,
                cchc_pstate_code (r->state), at, (long long) r->journal_pos,
                (long long) r->units, locked, r->locked_by,
                r->state == CCHC_PSTATE_LOCKED ? after
                : r->reopened_at               ? "  (reopened: lock it with period lock)"
                : r->manual ? "  (data came after the lock day: lock it with period lock)"
                            : "");
    }
    printf ("%zu periods\n", count);
    free (rows);
    sqlite3_close (db);
    return 0;
}

static int
s_print_event (const cchc_period_event_t *e, void *arg)
{
    (void) arg;
    char at [32], computed [32];
    s_local_text (e->at, at, sizeof at);
    s_local_text (e->computed_at, computed, sizeof computed);
    printf ("%-6lld %-8s %-9s %-19s %-24s journal %-8lld computed %-19s %s\n",
            (long long) e->id, e->period, e->event, at, e->who, (long long) e->journal_pos,
            computed, e->reason ? e->reason : "");
    return 0;
}

int
cchc_ctl_period_log (const cchc_ctl_ctx_t *ctx, const cchc_ctl_args_t *a)
{
    const cchc_collector_conf_t *conf = ctx->conf;
    const char *period_text = cchc_ctl_arg (a, "--period");
    cchc_period_t period;
    char id [CCHC_PERIOD_ID_MAX];
    if (period_text) {
        if (s_period_arg (period_text, &period))
            return 2;
        cchc_period_format (&period, id, sizeof id);
    }
    sqlite3 *db = cchc_ctl_open_readonly (conf);
    if (!db)
        return 1;
    char err [512];
    printf ("%-6s %-8s %-9s %-19s %-24s %-16s %-28s %s\n", "id", "period", "event",
            "at (UTC+7)", "who", "journal", "figures computed (UTC+7)", "reason");
    int rc = cchc_periods_events (db, period_text ? id : NULL, s_print_event, NULL, err,
                                  sizeof err);
    if (rc)
        fprintf (stderr, "cchcctl: %s\n", err);
    sqlite3_close (db);
    return rc ? 1 : 0;
}

/*  After a lock: the report files, as the collector writes them, and the
    line saying where they are (a notice, shown here). */
static void
s_on_locked (cchc_periods_t *keeper, const cchc_period_t *period, int64_t now, void *arg)
{
    cchc_log_set_level (CCHC_LOG_NOTICE);
    cchc_reports_on_locked (keeper, period, now, arg);
    cchc_log_set_level (CCHC_LOG_WARN);
}

/*  period lock / reopen: the keeper's read-write connection. */
static int
s_period_change (const cchc_ctl_ctx_t *ctx, const cchc_ctl_args_t *a, bool reopen)
{
    const cchc_collector_conf_t *conf = ctx->conf;
    const char *criteria = ctx->criteria;
    const char *period_text = cchc_ctl_arg (a, "--period"),
               *reason = cchc_ctl_arg (a, "--reason");
    bool due = !reopen && cchc_ctl_flag (a, "--due");
    cchc_period_t period;
    if (due && period_text) {
        fprintf (stderr, "cchcctl: period lock takes --period P or --due, not both\n");
        return 2;
    }
    if (!due && s_period_arg (period_text, &period))
        return 2;
    if (reopen && (!reason || !*reason)) {
        fprintf (stderr, "cchcctl: period reopen needs --reason TEXT (it is logged)\n");
        return 2;
    }
    char path [CCHC_COLLECTOR_PATH_MAX + 32], err [1024] = "", who [160];
    if (cchc_collector_conf_db_path (conf, path, sizeof path))
        return 1;
    if (access (path, F_OK) != 0) {
        fprintf (stderr, "cchcctl: no database at %s (give --state DIR or --db PATH)\n", path);
        return 1;
    }
    s_who (who, sizeof who);
    cchc_criteria_t *cat = s_criteria (criteria);
    if (!cat)
        return 1;
    /* the report files of every lock, as the collector writes them */
    char reports [CCHC_COLLECTOR_PATH_MAX + 32];
    if (cchc_collector_conf_reports_path (conf, reports, sizeof reports)) {
        cchc_criteria_destroy (&cat);
        return 1;
    }
    cchc_periods_config_t pc = {
        .db_path = path, .criteria = cat, .on_locked = s_on_locked, .on_locked_arg = reports
    };
    cchc_periods_t *keeper = cchc_periods_new (&pc, err, sizeof err);
    if (!keeper) {
        fprintf (stderr, "cchcctl: %s\n", err);
        cchc_criteria_destroy (&cat);
        return 1;
    }
    int64_t now = cchc_clock_now_ms ();
    if (due) {
        size_t locked = 0;
        int drc = cchc_periods_lock_due (keeper, now, who, &locked, err, sizeof err);
        printf ("%zu periods locked\n", locked);
        if (drc)
            fprintf (stderr, "cchcctl: %s\n", err);
        cchc_periods_destroy (&keeper);
        cchc_criteria_destroy (&cat);
        return drc ? 1 : 0;
    }
    int rc = reopen ? cchc_periods_reopen (keeper, &period, now, who, reason, err, sizeof err)
                    : cchc_periods_lock (keeper, &period, now, who, reason, err, sizeof err);
    if (rc)
        fprintf (stderr, "cchcctl: %s\n", err);
    else {
        char id [CCHC_PERIOD_ID_MAX];
        cchc_period_format (&period, id, sizeof id);
        cchc_period_row_t row;
        if (cchc_periods_row (cchc_periods_handle (keeper), id, &row, err, sizeof err) == 1)
            printf ("%s %s by %s: journal position %lld, %lld units%s\n", id,
                    reopen ? "reopened" : "locked", who, (long long) row.journal_pos,
                    (long long) row.units,
                    reopen ? "; it stays closed (figures follow "
                             "late data) until `cchcctl period lock`"
                           : "; its figures are final");
    }
    cchc_periods_destroy (&keeper);
    cchc_criteria_destroy (&cat);
    return rc ? 1 : 0;
}

int
cchc_ctl_period_lock (const cchc_ctl_ctx_t *ctx, const cchc_ctl_args_t *a)
{
    return s_period_change (ctx, a, false);
}

int
cchc_ctl_period_reopen (const cchc_ctl_ctx_t *ctx, const cchc_ctl_args_t *a)
{
    return s_period_change (ctx, a, true);
}
