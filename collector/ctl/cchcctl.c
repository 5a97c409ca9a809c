/*  cchcctl.c — the operators' tool for the collector's database.

      cchcctl [--config FILE] [--state DIR | --db PATH] COMMAND ...
        keygen --out FILE
        pubkey [FILE]
        units import FILE.csv... [--valid-from YYYY-MM-DD] [--valid-to YYYY-MM-DD]
                                 [--replace]
        units list [--on YYYY-MM-DD | --all]
        agent enroll --unit CODE --name NAME (--key HEX | --key-file FILE.pub) [--on DATE]
        agent revoke (--key HEX | --id N)
        agent list
        audit
        stats
        rollup --period P [--unit CODE] [--format table|json|csv] [--live]
        report --period P --out FILE [--live]
        explain --period P --unit CODE (--indicator CODE | --metric CODE)
                [--format table|json|csv]
        criteria check FILE
        period list | log [--period P] | lock --period P [--reason TEXT]
               | reopen --period P --reason TEXT
        backup --out FILE [--step PAGES]
        national catalogue FILE | rank --period P | province ... | versions
                 | audit | prove ...       (collector/national/ctl.c)
        upstream queue | status

    The database is found like the collector finds it (collector/ingest/conf.h):
    --db, or STATE_DIR/collector.db with --state (default ./state).  Exit
    status: 0 ok, 1 failure (audit: mismatches found), 2 usage error.

    The criteria catalogue (rollup, report, explain, period lock/reopen):
    --criteria FILE, else collector.criteria of the configuration (default
    data/criteria/default.ini, relative to the current folder), else, when
    that is empty, /usr/share/cchc/criteria/default.ini (conf.h).

    rollup and report show a locked period's stored final figures
    (collector/periods/periods.h); --live computes them from today's data instead.
    backup copies the database with SQLite's online backup API inside one
    read transaction (a consistent copy while the collector keeps writing),
    to FILE.partial-PID (0600), checks the copy (integrity_check), then
    renames it to FILE, which it never overwrites.
*/
#include "collector/ctl/admin.h"
#include "collector/ctl/ctl.h"
#include "collector/ingest/conf.h"
#include "collector/periods/periods.h"
#include "collector/present/report.h"
#include "collector/present/reports.h"
#include "collector/national/ctl.h"
#include "collector/db/audit.h"
#include "collector/db/db.h"
#include "collector/db/periods.h"

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

static const cchc_ctl_command_t *s_commands_table (size_t *count);

/*  The usage text, generated from the table: "  name synopsis" and the help
    at column 36 (on the next line when the synopsis is longer). */
static void
s_usage_print (FILE *out, const cchc_ctl_command_t *only)
{
    size_t count;
    const cchc_ctl_command_t *table = s_commands_table (&count);
    if (!only)
        fputs ("usage: cchcctl [--config FILE] [--state DIR | --db PATH] COMMAND ...\n", out);
    for (size_t i = 0; i < count; i++) {
        const cchc_ctl_command_t *c = &table [i];
        if (only && c != only)
            continue;
        char head [160];
        snprintf (head, sizeof head, "%s%s %s", only ? "usage: cchcctl " : "  ", c->name,
                  c->synopsis);
        const char *h = c->help;
        int width = (int) strlen (head); /* the names are ASCII */
        if (width > 34 || only)
            fprintf (out, "%s\n%36s", head, "");
        else
            fprintf (out, "%s%*s", head, 36 - width, "");
        for (; *h; h++) {
            fputc (*h, out);
            if (*h == '\n' && h [1])
                fprintf (out, "%36s", "");
        }
        fputc ('\n', out);
    }
    if (!only)
        fputs (
            "  national catalogue FILE           YEAR:SHA256 of a catalogue "
            "(national.expect)\n"
            "  national rank --period P [--format table|json|csv|xlsx] [--out FILE]\n"
            "                [--pdf FILE] [--html FILE] [--deadline-day N]\n"
            "                                    the provinces ranked (national role); "
            "csv/xlsx\n"
            "                                    the export (xlsx needs --out), --pdf / "
            "--html\n"
            "                                    the printable national report\n"
            "  national province --province CODE --period P [--version N]\n"
            "                                    a province's units as received (JSON)\n"
            "  national versions [--period P]    every version of figures received\n"
            "  national audit                    re-verify the provinces' signed figures\n"
            "  national prove --province-db FILE --province CODE --period P [--version N]\n"
            "                                    a figure held = what the province's journal\n"
            "                                    gives (with --criteria FILE)\n"
            "  upstream queue | status           the province's figures for the national\n"
            "                                    collector (upstream.* settings)\n"
            "options: --criteria FILE (catalogue; default collector.criteria)\n",
            out);
}

static int
s_usage (void)
{
    s_usage_print (stderr, NULL);
    return 2;
}

/*  Parse argv against the command's options, once for every command.
    0, or 2 (usage error, said). */
static int
s_args_parse (const cchc_ctl_command_t *c, int argc, char **argv, cchc_ctl_args_t *a)
{
    memset (a, 0, sizeof *a);
    a->cmd = c;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv [i];
        if (strncmp (arg, "--", 2) != 0 || !arg [2]) {
            if (a->word_count == CCHC_CTL_WORDS_MAX || a->word_count == c->words_max)
                goto usage;
            a->words [a->word_count++] = arg;
            continue;
        }
        size_t k = 0;
        for (; k < CCHC_CTL_OPTS_MAX && c->opts [k]; k++) {
            const char *o = c->opts [k];
            size_t len = strcspn (o, "=");
            bool takes = o [len] == '=';
            if (strncmp (arg, o, len) != 0 || (arg [len] && arg [len] != '='))
                continue;
            if (!takes && arg [len] == '=')
                goto usage;
            if (!takes)
                a->values [k] = "";
            else if (arg [len] == '=')
                a->values [k] = arg + len + 1;
            else if (i + 1 < argc)
                a->values [k] = argv [++i];
            else {
                fprintf (stderr, "cchcctl: %s needs a value\n", arg);
                goto usage;
            }
            break;
        }
        if (k == CCHC_CTL_OPTS_MAX || !c->opts [k]) {
            fprintf (stderr, "cchcctl: %s: unknown option '%s'\n", c->name, arg);
            goto usage;
        }
    }
    if (a->word_count < c->words_min)
        goto usage;
    return 0;
usage:
    s_usage_print (stderr, c);
    return 2;
}

/*  The value of option `name` ("--period"), NULL when not given. */
const char *
cchc_ctl_arg (const cchc_ctl_args_t *a, const char *name)
{
    size_t len = strlen (name);
    for (size_t k = 0; k < CCHC_CTL_OPTS_MAX && a->cmd->opts [k]; k++)
        if (strncmp (a->cmd->opts [k], name, len) == 0
            && (a->cmd->opts [k][len] == 0 || a->cmd->opts [k][len] == '='))
            return a->values [k];
    assert (!"option not in the command's table entry");
    return NULL;
}

bool
cchc_ctl_flag (const cchc_ctl_args_t *a, const char *name)
{
    return cchc_ctl_arg (a, name) != NULL;
}

/*  Usage error of the command: its own usage line. */
int
cchc_ctl_usage_of (const cchc_ctl_args_t *a)
{
    s_usage_print (stderr, a->cmd);
    return 2;
}

/*  The day of option `name` (YYYY-MM-DD) into *ymd when given; 0, or -1
    (said) when it is not a date. */
static int
s_day_opt (const cchc_ctl_args_t *a, const char *name, int32_t *ymd)
{
    const char *text = cchc_ctl_arg (a, name);
    cchc_date_t date;
    if (!text)
        return 0;
    if (cchc_date_parse (text, strlen (text), &date)) {
        fprintf (stderr, "cchcctl: %s: '%s' is not YYYY-MM-DD\n", name, text);
        return -1;
    }
    *ymd = cchc_db_day_ymd (date);
    return 0;
}

static void
s_format_ymd (int32_t ymd, char buf [16])
{
    if (ymd <= CCHC_DB_DAY_MIN)
        snprintf (buf, 16, "-");
    else if (ymd >= CCHC_DB_DAY_MAX)
        snprintf (buf, 16, "-");
    else
        snprintf (buf, 16, "%04d-%02d-%02d", ymd / 10000, ymd / 100 % 100, ymd % 100);
}

static cchc_db_t *
s_open (const cchc_collector_conf_t *conf, bool create)
{
    char path [CCHC_COLLECTOR_PATH_MAX + 32], err [512];
    if (cchc_collector_conf_db_path (conf, path, sizeof path)) {
        fprintf (stderr, "cchcctl: database path too long\n");
        return NULL;
    }
    if (create && !*conf->db) {
        struct stat st;
        if (stat (conf->state_dir, &st) != 0 && mkdir (conf->state_dir, 0700) != 0
            && errno != EEXIST) {
            fprintf (stderr, "cchcctl: %s: %s\n", conf->state_dir, strerror (errno));
            return NULL;
        }
    }
    if (!create && access (path, F_OK) != 0) {
        fprintf (stderr, "cchcctl: no database at %s (give --state DIR or --db PATH)\n", path);
        return NULL;
    }
    cchc_db_t *store = cchc_db_open (path, create, err, sizeof err);
    if (!store)
        fprintf (stderr, "cchcctl: %s\n", err);
    return store;
}

/* ----------------------------------------------------------------- keys */

static int
s_keygen (const cchc_ctl_ctx_t *ctx, const cchc_ctl_args_t *a)
{
    (void) ctx;
    const char *out = cchc_ctl_arg (a, "--out");
    if (!out)
        return cchc_ctl_usage_of (a);
    char pub [1024], err [512];
    if (snprintf (pub, sizeof pub, "%s.pub", out) >= (int) sizeof pub) {
        fprintf (stderr, "cchcctl: path too long\n");
        return 1;
    }
    cchc_key_t *key = cchc_key_new ();
    if (!key || cchc_key_save (key, out, pub, err, sizeof err)) {
        fprintf (stderr, "cchcctl: %s\n", key ? err : "cannot generate a key");
        cchc_key_destroy (&key);
        return 1;
    }
    char hex [65];
    cchc_key_public_hex (key, hex);
    cchc_key_destroy (&key);
    printf ("%s\n", hex);
    fprintf (stderr, "wrote %s (secret, mode 0600) and %s (public)\n", out, pub);
    return 0;
}

static int
s_pubkey (const cchc_ctl_ctx_t *ctx, const cchc_ctl_args_t *a)
{
    char path [CCHC_COLLECTOR_PATH_MAX + 64], err [512];
    if (a->word_count == 1)
        snprintf (path, sizeof path, "%s", a->words [0]);
    else {
        if (cchc_collector_conf_key_path (ctx->conf, path, sizeof path))
            return 1;
        strcat (path, ".pub");
    }
    uint8_t pk [32];
    if (cchc_key_load_public (path, pk, err, sizeof err)) {
        /*  A secret key file works too. */
        cchc_key_t *key = cchc_key_load (path, err, sizeof err);
        if (!key) {
            fprintf (stderr, "cchcctl: %s\n", err);
            return 1;
        }
        memcpy (pk, cchc_key_public (key), 32);
        cchc_key_destroy (&key);
    }
    char hex [65], z85 [41];
    cchc_hex_encode (hex, pk, 32);
    printf ("public key: %s\n", hex);
    if (cchc_key_curve_public_z85 (pk, z85) == 0)
        printf ("CurveZMQ public key: %s\n", z85);
    return 0;
}

/* ---------------------------------------------------------------- units */

static int
s_units_import (const cchc_ctl_ctx_t *ctx, const cchc_ctl_args_t *a)
{
    cchc_db_t *store = ctx->store;
    int32_t from = 0, to = 0;
    bool replace = cchc_ctl_flag (a, "--replace");
    cchc_db_unit_t *rows = NULL;
    size_t count = 0;
    const char *const *files = a->words;
    size_t nfiles = (size_t) a->word_count;
    if (s_day_opt (a, "--valid-from", &from) || s_day_opt (a, "--valid-to", &to))
        return 2;
    static char err [16384];
    err [0] = 0;
    bool ok = true;
    for (size_t i = 0; i < nfiles; i++)
        if (cchc_units_read_csv (files [i], &rows, &count, err, sizeof err))
            ok = false;
    if (!ok) {
        /*  Say everything that is wrong at once: the row checks too. */
        cchc_db_units_check (rows, count, err, sizeof err);
        fprintf (stderr, "%s\nnothing imported\n", err);
        free (rows);
        return 1;
    }
    cchc_db_import_t result;
    int rc =
        cchc_db_units_import (store, rows, count, from, to, replace, &result, err, sizeof err);
    free (rows);
    if (rc) {
        fprintf (stderr, "%s\nnothing imported\n", err);
        return 1;
    }
    printf ("imported %zu units: %zu new, %zu changed, %zu unchanged, %zu closed\n", count,
            result.added, result.changed, result.unchanged, result.closed);
    return 0;
}

static int
s_unit_row_print (const cchc_db_unit_row_t *row, void *arg)
{
    char from [16], to [16];
    s_format_ymd (row->valid_from, from);
    s_format_ymd (row->valid_to, to);
    printf ("%-16s %-6s %-8s %-10s %-10s %s\n", row->code, row->level, row->parent, from, to,
            row->name);
    (*(size_t *) arg)++;
    return 0;
}

static int
s_units_list (const cchc_ctl_ctx_t *ctx, const cchc_ctl_args_t *a)
{
    cchc_db_t *store = ctx->store;
    bool all = cchc_ctl_flag (a, "--all");
    int32_t on = cchc_db_day_ymd (cchc_date_from_utc_ms (cchc_clock_now_ms ()));
    if (s_day_opt (a, "--on", &on))
        return 2;
    printf ("%-16s %-6s %-8s %-10s %-10s %s\n", "code", "level", "parent", "from", "to",
            "name");
    size_t n = 0;
    if (cchc_db_unit_rows_each (store, all, on, s_unit_row_print, &n) != 0) {
        fprintf (stderr, "cchcctl: %s\n", cchc_db_errmsg (store));
        return 1;
    }
    printf ("%zu units\n", n);
    return 0;
}

/* ---------------------------------------------------------------- agents */

static int
s_key_arg (const char *hex, uint8_t pk [32])
{
    if (cchc_key_parse_public (hex, pk)) {
        fprintf (stderr, "cchcctl: --key: not 64 hex digits\n");
        return -1;
    }
    return 0;
}

static int
s_agent_enroll (const cchc_ctl_ctx_t *ctx, const cchc_ctl_args_t *a)
{
    cchc_db_t *store = ctx->store;
    const char *unit = cchc_ctl_arg (a, "--unit"), *name = cchc_ctl_arg (a, "--name"),
               *hex = cchc_ctl_arg (a, "--key"), *file = cchc_ctl_arg (a, "--key-file");
    if (!unit || !name || (!hex == !file))
        return cchc_ctl_usage_of (a);
    uint8_t pk [32];
    char err [512];
    int32_t on = 0;
    if (s_day_opt (a, "--on", &on))
        return 2;
    if (hex && s_key_arg (hex, pk))
        return 2;
    if (file && cchc_key_load_public (file, pk, err, sizeof err)) {
        fprintf (stderr, "cchcctl: %s\n", err);
        return 1;
    }
    int64_t id = cchc_db_agent_enroll_on (store, pk, unit, name, on, cchc_clock_now_ms (), err,
                                          sizeof err);
    if (id < 0) {
        fprintf (stderr, "cchcctl: %s\n", err);
        return 1;
    }
    char printable [65];
    cchc_hex_encode (printable, pk, 32);
    printf ("enrolled agent %" PRId64 " for unit %s: %s\n", id, unit, printable);
    return 0;
}

static int
s_agent_revoke (const cchc_ctl_ctx_t *ctx, const cchc_ctl_args_t *a)
{
    cchc_db_t *store = ctx->store;
    const char *hex = cchc_ctl_arg (a, "--key"), *idtext = cchc_ctl_arg (a, "--id");
    if (!hex == !idtext)
        return cchc_ctl_usage_of (a);
    uint8_t pk [32];
    int64_t id = 0;
    if (hex && s_key_arg (hex, pk))
        return 2;
    if (idtext && cchc_parse_int64 (idtext, 1, INT64_MAX, &id)) {
        fprintf (stderr, "cchcctl: --id: not an agent id\n");
        return 2;
    }
    char err [512];
    id = cchc_db_agent_revoke (store, hex ? pk : NULL, id, cchc_clock_now_ms (), err,
                               sizeof err);
    if (id < 0) {
        fprintf (stderr, "cchcctl: %s\n", err);
        return 1;
    }
    printf ("revoked agent %" PRId64 "\n", id);
    return 0;
}

/*  A UTC ms instant to the second, "-" for none (0). */
static void
s_time_text (int64_t ms, char *buf, size_t size)
{
    if (!ms)
        snprintf (buf, size, "-");
    else {
        char iso [32];
        cchc_clock_format_iso (ms, iso, sizeof iso);
        iso [19] = 'Z'; /* to the second */
        iso [20] = 0;
        iso [10] = ' ';
        cchc_strlcpy (buf, iso, size);
    }
}

static int
s_agent_print (const cchc_db_agent_status_t *agent, void *arg)
{
    char hex [65] = "?", seen [32], revoked [32];
    if (agent->pubkey)
        cchc_hex_encode (hex, agent->pubkey, 32);
    s_time_text (agent->last_seen, seen, sizeof seen);
    s_time_text (agent->revoked_at, revoked, sizeof revoked);
    char skew [24] = "-";
    if (agent->has_clock)
        snprintf (skew, sizeof skew, "%+.1f", agent->clock_skew / 1000.0);
    printf ("%-4lld %-10s %-64s %-20s %10lld %9lld %6lld %8lld %8s %8.1f %-20s %s\n",
            (long long) agent->id, agent->unit, hex, seen, (long long) agent->last_seq,
            (long long) agent->accepted, (long long) agent->duplicates,
            (long long) agent->rejected, skew, agent->clock_ahead / 1000.0, revoked,
            agent->name);
    (*(size_t *) arg)++;
    return 0;
}

static int
s_agent_list (const cchc_ctl_ctx_t *ctx, const cchc_ctl_args_t *a)
{
    (void) a;
    sqlite3 *db = cchc_db_handle (ctx->store);
    /*  clock: its newest report's `created` minus our receive time, s (> 0:
        its clock ahead; < 0: behind, or the report waited in its outbox);
        ahead: the most it was ever found ahead (schema.h: agent.clock_*). */
    printf ("%-4s %-10s %-64s %-20s %10s %9s %6s %8s %8s %8s %-20s %s\n", "id", "unit", "key",
            "last seen (UTC)", "last seq", "accepted", "dupl.", "rejected", "clock s",
            "ahead s", "revoked", "name");
    size_t n = 0;
    if (cchc_db_agent_status_each (db, s_agent_print, &n) != 0) {
        fprintf (stderr, "cchcctl: %s\n", sqlite3_errmsg (db));
        return 1;
    }
    printf ("%zu agents\n", n);
    return 0;
}

/* ------------------------------------------------------------ audit, stats */

static int
s_audit (const cchc_ctl_ctx_t *ctx, const cchc_ctl_args_t *a)
{
    (void) a;
    cchc_db_t *store = ctx->store;
    cchc_audit_result_t result;
    char err [512];
    if (cchc_audit_run (store, stdout, &result, err, sizeof err)) {
        fprintf (stderr, "cchcctl: audit: %s\n", err);
        return 1;
    }
    printf ("audit: %zu journal rows re-verified, %zu observations compared, "
            "%zu mismatches\n",
            result.journal_rows, result.observations, result.mismatches);
    /*  A national database: its provinces' signed figures too. */
    int national = cchc_national_ctl_audit (ctx->conf);
    return result.mismatches || national ? 1 : 0;
}

/*  What s_stats prints of the counters: how many, the newest update. */
typedef struct {
    size_t n;
    int64_t updated;
} s_stats_seen_t;

static int
s_stat_print (const cchc_db_stat_t *stat, void *arg)
{
    s_stats_seen_t *seen = arg;
    if (stat->is_integer)
        printf ("%-32s %lld\n", stat->name, (long long) stat->ival);
    else
        printf ("%-32s %.1f\n", stat->name, stat->real);
    if (stat->updated_at > seen->updated)
        seen->updated = stat->updated_at;
    seen->n++;
    return 0;
}

static int
s_stats (const cchc_ctl_ctx_t *ctx, const cchc_ctl_args_t *a)
{
    (void) a;
    sqlite3 *db = cchc_db_handle (ctx->store);
    int64_t now = cchc_clock_now_ms ();
    s_stats_seen_t seen = { 0, 0 };
    if (cchc_db_stats_each (db, s_stat_print, &seen) != 0) {
        fprintf (stderr, "cchcctl: %s\n", sqlite3_errmsg (db));
        return 1;
    }
    if (!seen.n) {
        printf ("no counters: the collector has not run on this database\n");
        return 0;
    }
    int64_t updated = seen.updated;
    char iso [32];
    cchc_clock_format_iso (updated, iso, sizeof iso);
    printf ("updated %s (%.1f s ago)%s\n", iso, (double) (now - updated) / 1000.0,
            now - updated > 10000 ? ": the collector is probably not running" : "");
    return 0;
}

/* ---------------------------------------------------------------- table */

static const cchc_ctl_command_t s_commands [] = {
    { "keygen",
      "--out FILE",
      "new key pair: FILE (0600) and FILE.pub",
      { "--out=" },
      0,
      0,
      CCHC_CTL_NONE,
      s_keygen },
    { "pubkey",
      "[FILE]",
      "printable and CurveZMQ public key of a key\n"
      "file (default: the collector's)",
      { NULL },
      0,
      1,
      CCHC_CTL_NONE,
      s_pubkey },
    { "units import",
      "FILE.csv... [--valid-from DATE] [--valid-to DATE] [--replace]",
      "load units (code,name,kind,level,parent);\n--replace closes units not in the files",
      { "--valid-from=", "--valid-to=", "--replace" },
      1,
      CCHC_CTL_WORDS_MAX,
      CCHC_CTL_STORE_CREATE,
      s_units_import },
    { "units list",
      "[--on DATE | --all]",
      "units valid on DATE (default today)",
      { "--on=", "--all" },
      0,
      0,
      CCHC_CTL_STORE,
      s_units_list },
    { "agent enroll",
      "--unit CODE --name NAME (--key HEX | --key-file FILE.pub) [--on DATE]",
      "enrol an agent's public key for a unit valid today\n(or on DATE: a unit a "
      "reorganisation closed)",
      { "--unit=", "--name=", "--key=", "--key-file=", "--on=" },
      0,
      0,
      CCHC_CTL_STORE,
      s_agent_enroll },
    { "agent revoke",
      "(--key HEX | --id N)",
      "revoke an agent",
      { "--key=", "--id=" },
      0,
      0,
      CCHC_CTL_STORE,
      s_agent_revoke },
    { "agent list",
      "",
      "agents, their counters and keys",
      { NULL },
      0,
      0,
      CCHC_CTL_STORE,
      s_agent_list },
    { "audit",
      "",
      "re-verify the journal, compare observations",
      { NULL },
      0,
      0,
      CCHC_CTL_STORE,
      s_audit },
    { "stats",
      "",
      "counters of the running collector",
      { NULL },
      0,
      0,
      CCHC_CTL_STORE,
      s_stats },
    { "rollup",
      "--period P [--unit CODE] [--format table|json|csv] [--live]",
      "a period's figures (P: 2021-Q1, 2021-03,\n2021-H1, 2021-9M, 2021); locked periods:\n"
      "the stored final figures unless --live",
      { "--period=", "--unit=", "--format=", "--live" },
      0,
      0,
      CCHC_CTL_NONE,
      cchc_ctl_rollup },
    { "report",
      "--period P --out FILE | --pdf FILE [--live]",
      "the report draft (Vietnamese, Markdown), or\nthe printable report (PDF, A4)",
      { "--period=", "--out=", "--pdf=", "--live" },
      0,
      0,
      CCHC_CTL_NONE,
      cchc_ctl_report },
    { "explain",
      "--period P --unit CODE (--indicator CODE | --metric CODE) "
      "[--format table|json|csv]",
      "the observations and signed messages behind a figure",
      { "--period=", "--unit=", "--indicator=", "--metric=", "--code=", "--format=" },
      0,
      0,
      CCHC_CTL_NONE,
      cchc_ctl_explain },
    { "criteria check",
      "FILE",
      "validate a criteria catalogue",
      { NULL },
      1,
      1,
      CCHC_CTL_NONE,
      cchc_ctl_criteria_check },
    { "period list",
      "",
      "stored periods: state, computed, journal",
      { NULL },
      0,
      0,
      CCHC_CTL_NONE,
      cchc_ctl_period_list },
    { "period log",
      "[--period P]",
      "locks and reopens",
      { "--period=" },
      0,
      0,
      CCHC_CTL_NONE,
      cchc_ctl_period_log },
    { "period lock",
      "--period P [--reason TEXT] | --due",
      "lock a closed period now (final),\n"
      "or every period due and waiting for a hand",
      { "--period=", "--reason=", "--due" },
      0,
      0,
      CCHC_CTL_NONE,
      cchc_ctl_period_lock },
    { "period reopen",
      "--period P --reason TEXT",
      "reopen a locked period (logged); it\n"
      "stays open until period lock",
      { "--period=", "--reason=" },
      0,
      0,
      CCHC_CTL_NONE,
      cchc_ctl_period_reopen },
    { "backup",
      "--out FILE [--step PAGES]",
      "online copy of the database (0600, checked;\n"
      "PAGES per step, default 1024)",
      { "--out=", "--step=" },
      0,
      0,
      CCHC_CTL_NONE,
      cchc_ctl_backup },
};

static const cchc_ctl_command_t *
s_commands_table (size_t *count)
{
    *count = sizeof s_commands / sizeof s_commands [0];
    return s_commands;
}

/*  The entry named by argv[0] (and argv[1] for two-word names); *words set
    to how many words the name took.  NULL when none. */
static const cchc_ctl_command_t *
s_command_find (int argc, char **argv, int *words)
{
    for (size_t i = 0; i < sizeof s_commands / sizeof s_commands [0]; i++) {
        const char *name = s_commands [i].name, *space = strchr (name, ' ');
        size_t len = space ? (size_t) (space - name) : strlen (name);
        if (strncmp (argv [0], name, len) != 0 || argv [0][len])
            continue;
        if (!space) {
            *words = 1;
            return &s_commands [i];
        }
        if (argc > 1 && strcmp (argv [1], space + 1) == 0) {
            *words = 2;
            return &s_commands [i];
        }
    }
    return NULL;
}

/*  --criteria FILE, taken out of argv wherever it stands.  0 or 2. */
static int
s_take_criteria (int *argc, char **argv, const char **criteria)
{
    int kept = 1;
    for (int i = 1; i < *argc; i++) {
        const char *arg = argv [i];
        if (strcmp (arg, "--criteria") == 0) {
            if (i + 1 >= *argc) {
                fprintf (stderr, "cchcctl: --criteria needs a file\n");
                return 2;
            }
            *criteria = argv [++i];
        }
        else if (strncmp (arg, "--criteria=", 11) == 0)
            *criteria = arg + 11;
        else
            argv [kept++] = argv [i];
    }
    *argc = kept;
    argv [kept] = NULL;
    return 0;
}

int
main (int argc, char **argv)
{
    cchc_log_init ("cchcctl", CCHC_LOG_WARN);
    if (sodium_init () < 0) {
        fprintf (stderr, "cchcctl: libsodium cannot start\n");
        return 1;
    }
    char err [1024];
    cchc_collector_conf_t conf;
    if (cchc_collector_conf_from_args (&conf, &argc, argv, err, sizeof err)
        || cchc_collector_conf_clock (&conf, err, sizeof err)) {
        fprintf (stderr, "cchcctl: %s\n", err);
        return 2;
    }
    const char *criteria_arg = NULL;
    if (s_take_criteria (&argc, argv, &criteria_arg))
        return 2;
    if (argc < 2)
        return s_usage ();
    const char *name = argv [1];
    if (strcmp (name, "--help") == 0 || strcmp (name, "-h") == 0
        || strcmp (name, "help") == 0) {
        s_usage_print (stdout, NULL);
        return 0;
    }
    if (strcmp (name, "--version") == 0) {
        printf ("cchcctl %s\n", CCHC_VERSION);
        return 0;
    }
    /*  The national role's commands (collector/national/ctl.c). */
    if (strcmp (name, "national") == 0 || strcmp (name, "upstream") == 0) {
        int nrc = cchc_national_ctl (&conf, criteria_arg, name, argc - 2, argv + 2);
        return nrc == 2 ? s_usage () : nrc;
    }
    int words = 0;
    const cchc_ctl_command_t *cmd = s_command_find (argc - 1, argv + 1, &words);
    if (!cmd)
        return s_usage ();
    cchc_ctl_args_t args;
    if (s_args_parse (cmd, argc - 1 - words, argv + 1 + words, &args))
        return 2;
    char criteria [CCHC_COLLECTOR_PATH_MAX + 32];
    if (cchc_collector_conf_criteria_path (&conf, criteria_arg, criteria, sizeof criteria)) {
        fprintf (stderr, "cchcctl: criteria path too long\n");
        return 2;
    }
    cchc_ctl_ctx_t ctx = { .conf = &conf, .criteria = criteria };
    if (cmd->need != CCHC_CTL_NONE
        && !(ctx.store = s_open (&conf, cmd->need == CCHC_CTL_STORE_CREATE)))
        return 1;
    int rc = cmd->run (&ctx, &args);
    cchc_db_destroy (&ctx.store);
    return rc;
}
