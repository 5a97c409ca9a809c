/*  cchcctl.c — the operators' tool for the collector's database.

      cchcctl [--config FILE] [--state DIR | --db PATH] COMMAND ...
        keygen --out FILE
        pubkey [FILE]
        units import FILE.csv... [--valid-from YYYY-MM-DD] [--valid-to YYYY-MM-DD]
                                 [--replace]
        units list [--on YYYY-MM-DD | --all]
        agent enroll --unit CODE --name NAME (--key HEX | --key-file FILE.pub)
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
#include "collector/ingest/conf.h"
#include "collector/periods/periods.h"
#include "collector/present/report.h"
#include "collector/present/reports.h"
#include "collector/national/ctl.h"
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

/* ------------------------------------------------------------ commands */

/*  What a command is run with: the configuration, the catalogue's path, and
    the database when the command's table entry asks for it. */
typedef struct {
    const cchc_collector_conf_t *conf;
    const char *criteria;           /* catalogue path (--criteria or the config) */
    cchc_db_t *store;            /* S_STORE / S_STORE_CREATE commands */
} s_ctx_t;

#define S_OPTS_MAX 8
#define S_WORDS_MAX 64

typedef struct s_command_t s_command_t;

/*  A command's arguments, parsed once against its entry's options. */
typedef struct {
    const s_command_t *cmd;
    const char *values [S_OPTS_MAX];    /* by option, NULL when not given;
                                           "" for a given flag */
    const char *words [S_WORDS_MAX];    /* the other arguments, in order */
    int word_count;
} s_args_t;

typedef enum { S_NONE = 0, S_STORE, S_STORE_CREATE } s_need_t;

/*  One command of the table: its name (one or two words), what follows it
    and its help (both for the usage text), its options ("--name=" takes a
    value, "--name" is a flag), how many other arguments it takes, what it
    needs opened, and its handler (exit status 0, 1 failure, 2 usage). */
struct s_command_t {
    const char *name;
    const char *synopsis;
    const char *help;               /* lines separated by '\n' */
    const char *opts [S_OPTS_MAX];
    int words_min, words_max;
    s_need_t need;
    int (*run) (const s_ctx_t *ctx, const s_args_t *args);
};

static const s_command_t *s_commands_table (size_t *count);

/*  The usage text, generated from the table: "  name synopsis" and the help
    at column 36 (on the next line when the synopsis is longer). */
static void
s_usage_print (FILE *out, const s_command_t *only)
{
    size_t count;
    const s_command_t *table = s_commands_table (&count);
    if (!only)
        fputs ("usage: cchcctl [--config FILE] [--state DIR | --db PATH] COMMAND ...\n", out);
    for (size_t i = 0; i < count; i++) {
        const s_command_t *c = &table [i];
        if (only && c != only)
            continue;
        char head [160];
        snprintf (head, sizeof head, "%s%s %s", only? "usage: cchcctl ": "  ", c->name,
                  c->synopsis);
        const char *h = c->help;
        int width = (int) strlen (head);        /* the names are ASCII */
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
    "  national catalogue FILE           YEAR:SHA256 of a catalogue (national.expect)\n"
    "  national rank --period P [--format table|json] [--deadline-day N]\n"
    "                                    the provinces ranked (national role)\n"
    "  national province --province CODE --period P [--version N]\n"
    "                                    a province's units as received (JSON)\n"
    "  national versions [--period P]    every version of figures received\n"
    "  national audit                    re-verify the provinces' signed figures\n"
    "  national prove --province-db FILE --province CODE --period P [--version N]\n"
    "                                    a figure held = what the province's journal\n"
    "                                    gives (with --criteria FILE)\n"
    "  upstream queue | status           the province's figures for the national\n"
    "                                    collector (upstream.* settings)\n"
    "options: --criteria FILE (catalogue; default collector.criteria)\n", out);
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
s_args_parse (const s_command_t *c, int argc, char **argv, s_args_t *a)
{
    memset (a, 0, sizeof *a);
    a->cmd = c;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv [i];
        if (strncmp (arg, "--", 2) != 0 || !arg [2]) {
            if (a->word_count == S_WORDS_MAX || a->word_count == c->words_max)
                goto usage;
            a->words [a->word_count++] = arg;
            continue;
        }
        size_t k = 0;
        for (; k < S_OPTS_MAX && c->opts [k]; k++) {
            const char *o = c->opts [k];
            size_t len = strcspn (o, "=");
            bool takes = o [len] == '=';
            if (strncmp (arg, o, len) != 0 || (arg [len] && arg [len] != '='))
                continue;
            if (!takes && arg [len] == '=')
                goto usage;
            if (!takes)
                a->values [k] = "";
            else
            if (arg [len] == '=')
                a->values [k] = arg + len + 1;
            else
            if (i + 1 < argc)
                a->values [k] = argv [++i];
            else {
                fprintf (stderr, "cchcctl: %s needs a value\n", arg);
                goto usage;
            }
            break;
        }
        if (k == S_OPTS_MAX || !c->opts [k]) {
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
static const char *
s_arg (const s_args_t *a, const char *name)
{
    size_t len = strlen (name);
    for (size_t k = 0; k < S_OPTS_MAX && a->cmd->opts [k]; k++)
        if (strncmp (a->cmd->opts [k], name, len) == 0
        &&  (a->cmd->opts [k][len] == 0 || a->cmd->opts [k][len] == '='))
            return a->values [k];
    assert (!"option not in the command's table entry");
    return NULL;
}

static bool
s_flag (const s_args_t *a, const char *name)
{
    return s_arg (a, name) != NULL;
}

/*  Usage error of the command: its own usage line. */
static int
s_usage_of (const s_args_t *a)
{
    s_usage_print (stderr, a->cmd);
    return 2;
}

/*  The day of option `name` (YYYY-MM-DD) into *ymd when given; 0, or -1
    (said) when it is not a date. */
static int
s_day_opt (const s_args_t *a, const char *name, int32_t *ymd)
{
    const char *text = s_arg (a, name);
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
    else
    if (ymd >= CCHC_DB_DAY_MAX)
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
        &&  errno != EEXIST) {
            fprintf (stderr, "cchcctl: %s: %s\n", conf->state_dir, strerror (errno));
            return NULL;
        }
    }
    if (!create && access (path, F_OK) != 0) {
        fprintf (stderr, "cchcctl: no database at %s (give --state DIR or --db PATH)\n",
                 path);
        return NULL;
    }
    cchc_db_t *store = cchc_db_open (path, create, err, sizeof err);
    if (!store)
        fprintf (stderr, "cchcctl: %s\n", err);
    return store;
}

/* ----------------------------------------------------------------- keys */

static int
s_keygen (const s_ctx_t *ctx, const s_args_t *a)
{
    (void) ctx;
    const char *out = s_arg (a, "--out");
    if (!out)
        return s_usage_of (a);
    char pub [1024], err [512];
    if (snprintf (pub, sizeof pub, "%s.pub", out) >= (int) sizeof pub) {
        fprintf (stderr, "cchcctl: path too long\n");
        return 1;
    }
    cchc_key_t *key = cchc_key_new ();
    if (!key || cchc_key_save (key, out, pub, err, sizeof err)) {
        fprintf (stderr, "cchcctl: %s\n", key? err: "cannot generate a key");
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
s_pubkey (const s_ctx_t *ctx, const s_args_t *a)
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
s_units_import (const s_ctx_t *ctx, const s_args_t *a)
{
    cchc_db_t *store = ctx->store;
    int32_t from = 0, to = 0;
    bool replace = s_flag (a, "--replace");
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
    int rc = cchc_db_units_import (store, rows, count, from, to, replace,
                                      &result, err, sizeof err);
    free (rows);
    if (rc) {
        fprintf (stderr, "%s\nnothing imported\n", err);
        return 1;
    }
    printf ("imported %zu units: %zu new, %zu changed, %zu unchanged, %zu closed\n",
            count, result.added, result.changed, result.unchanged, result.closed);
    return 0;
}

static int
s_units_list (const s_ctx_t *ctx, const s_args_t *a)
{
    cchc_db_t *store = ctx->store;
    bool all = s_flag (a, "--all");
    int32_t on = cchc_db_day_ymd (cchc_date_from_utc_ms (cchc_clock_now_ms ()));
    if (s_day_opt (a, "--on", &on))
        return 2;
    sqlite3 *db = cchc_db_handle (store);
    sqlite3_stmt *stmt;
    if (sqlite3_prepare_v2 (db,
        "SELECT code, level, coalesce(parent, ''), valid_from, valid_to, kind, name"
        " FROM unit WHERE ?1 OR (valid_from <= ?2 AND valid_to >= ?2)"
        " ORDER BY CASE level WHEN 'tinh' THEN 0 WHEN 'so' THEN 1 WHEN 'huyen' THEN 2"
        " ELSE 3 END, code, valid_from", -1, &stmt, NULL) != SQLITE_OK) {
        fprintf (stderr, "cchcctl: %s\n", sqlite3_errmsg (db));
        return 1;
    }
    sqlite3_bind_int (stmt, 1, all);
    sqlite3_bind_int (stmt, 2, on);
    printf ("%-16s %-6s %-8s %-10s %-10s %s\n", "code", "level", "parent", "from", "to",
            "name");
    size_t n = 0;
    int rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        char from [16], to [16];
        s_format_ymd (sqlite3_column_int (stmt, 3), from);
        s_format_ymd (sqlite3_column_int (stmt, 4), to);
        printf ("%-16s %-6s %-8s %-10s %-10s %s\n",
                (const char *) sqlite3_column_text (stmt, 0),
                (const char *) sqlite3_column_text (stmt, 1),
                (const char *) sqlite3_column_text (stmt, 2), from, to,
                (const char *) sqlite3_column_text (stmt, 6));
        n++;
    }
    sqlite3_finalize (stmt);
    if (rc != SQLITE_DONE) {
        fprintf (stderr, "cchcctl: %s\n", sqlite3_errmsg (db));
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
s_agent_enroll (const s_ctx_t *ctx, const s_args_t *a)
{
    cchc_db_t *store = ctx->store;
    const char *unit = s_arg (a, "--unit"), *name = s_arg (a, "--name"),
               *hex = s_arg (a, "--key"), *file = s_arg (a, "--key-file");
    if (!unit || !name || (!hex == !file))
        return s_usage_of (a);
    uint8_t pk [32];
    char err [512];
    if (hex && s_key_arg (hex, pk))
        return 2;
    if (file && cchc_key_load_public (file, pk, err, sizeof err)) {
        fprintf (stderr, "cchcctl: %s\n", err);
        return 1;
    }
    int64_t id = cchc_db_agent_enroll (store, pk, unit, name, cchc_clock_now_ms (),
                                          err, sizeof err);
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
s_agent_revoke (const s_ctx_t *ctx, const s_args_t *a)
{
    cchc_db_t *store = ctx->store;
    const char *hex = s_arg (a, "--key"), *idtext = s_arg (a, "--id");
    if (!hex == !idtext)
        return s_usage_of (a);
    uint8_t pk [32];
    int64_t id = 0;
    if (hex && s_key_arg (hex, pk))
        return 2;
    if (idtext && cchc_parse_int64 (idtext, 1, INT64_MAX, &id)) {
        fprintf (stderr, "cchcctl: --id: not an agent id\n");
        return 2;
    }
    char err [512];
    id = cchc_db_agent_revoke (store, hex? pk: NULL, id, cchc_clock_now_ms (),
                                  err, sizeof err);
    if (id < 0) {
        fprintf (stderr, "cchcctl: %s\n", err);
        return 1;
    }
    printf ("revoked agent %" PRId64 "\n", id);
    return 0;
}

static void
s_time_text (sqlite3_stmt *stmt, int col, char *buf, size_t size)
{
    if (sqlite3_column_type (stmt, col) == SQLITE_NULL)
        snprintf (buf, size, "-");
    else {
        char iso [32];
        cchc_clock_format_iso (sqlite3_column_int64 (stmt, col), iso, sizeof iso);
        iso [19] = 'Z';             /* to the second */
        iso [20] = 0;
        iso [10] = ' ';
        cchc_strlcpy (buf, iso, size);
    }
}

static int
s_agent_list (const s_ctx_t *ctx, const s_args_t *a)
{
    (void) a;
    cchc_db_t *store = ctx->store;
    sqlite3 *db = cchc_db_handle (store);
    sqlite3_stmt *stmt;
    if (sqlite3_prepare_v2 (db,
        "SELECT id, unit, name, pubkey, last_seen, last_seq, accepted, duplicates,"
        " rejected, revoked_at FROM agent ORDER BY unit, id", -1, &stmt, NULL)
        != SQLITE_OK) {
        fprintf (stderr, "cchcctl: %s\n", sqlite3_errmsg (db));
        return 1;
    }
    printf ("%-4s %-10s %-64s %-20s %10s %9s %6s %8s %-20s %s\n", "id", "unit", "key",
            "last seen (UTC)", "last seq", "accepted", "dupl.", "rejected", "revoked",
            "name");
    size_t n = 0;
    int rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        char hex [65] = "?", seen [32], revoked [32];
        if (sqlite3_column_bytes (stmt, 3) == 32)
            cchc_hex_encode (hex, sqlite3_column_blob (stmt, 3), 32);
        s_time_text (stmt, 4, seen, sizeof seen);
        s_time_text (stmt, 9, revoked, sizeof revoked);
        printf ("%-4lld %-10s %-64s %-20s %10lld %9lld %6lld %8lld %-20s %s\n",
                (long long) sqlite3_column_int64 (stmt, 0),
                (const char *) sqlite3_column_text (stmt, 1), hex, seen,
                (long long) sqlite3_column_int64 (stmt, 5),
                (long long) sqlite3_column_int64 (stmt, 6),
                (long long) sqlite3_column_int64 (stmt, 7),
                (long long) sqlite3_column_int64 (stmt, 8), revoked,
                (const char *) sqlite3_column_text (stmt, 2));
        n++;
    }
    sqlite3_finalize (stmt);
    if (rc != SQLITE_DONE) {
        fprintf (stderr, "cchcctl: %s\n", sqlite3_errmsg (db));
        return 1;
    }
    printf ("%zu agents\n", n);
    return 0;
}

/* ------------------------------------------------------------ audit, stats */

static int
s_audit (const s_ctx_t *ctx, const s_args_t *a)
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
            "%zu mismatches\n", result.journal_rows, result.observations,
            result.mismatches);
    /*  A national database: its provinces' signed figures too. */
    int national = cchc_national_ctl_audit (ctx->conf);
    return result.mismatches || national? 1: 0;
}

static int
s_stats (const s_ctx_t *ctx, const s_args_t *a)
{
    (void) a;
    cchc_db_t *store = ctx->store;
    sqlite3 *db = cchc_db_handle (store);
    sqlite3_stmt *stmt;
    if (sqlite3_prepare_v2 (db, "SELECT name, value, updated_at FROM stats ORDER BY name",
                            -1, &stmt, NULL) != SQLITE_OK) {
        fprintf (stderr, "cchcctl: %s\n", sqlite3_errmsg (db));
        return 1;
    }
    int64_t updated = 0, now = cchc_clock_now_ms ();
    size_t n = 0;
    int rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        const char *name = (const char *) sqlite3_column_text (stmt, 0);
        if (sqlite3_column_type (stmt, 1) == SQLITE_FLOAT)
            printf ("%-32s %.1f\n", name, sqlite3_column_double (stmt, 1));
        else
            printf ("%-32s %lld\n", name, (long long) sqlite3_column_int64 (stmt, 1));
        int64_t at = sqlite3_column_int64 (stmt, 2);
        if (at > updated)
            updated = at;
        n++;
    }
    sqlite3_finalize (stmt);
    if (rc != SQLITE_DONE) {
        fprintf (stderr, "cchcctl: %s\n", sqlite3_errmsg (db));
        return 1;
    }
    if (!n) {
        printf ("no counters: the collector has not run on this database\n");
        return 0;
    }
    char iso [32];
    cchc_clock_format_iso (updated, iso, sizeof iso);
    printf ("updated %s (%.1f s ago)%s\n", iso, (double) (now - updated) / 1000.0,
            now - updated > 10000? ": the collector is probably not running": "");
    return 0;
}

/* -------------------------------------------- periods, reports, criteria */

/*  Open the database read-only (rollup, report, period list, backup). */
static sqlite3 *
s_open_readonly (const cchc_collector_conf_t *conf)
{
    char path [CCHC_COLLECTOR_PATH_MAX + 32];
    if (cchc_collector_conf_db_path (conf, path, sizeof path)) {
        fprintf (stderr, "cchcctl: database path too long\n");
        return NULL;
    }
    if (access (path, F_OK) != 0) {
        fprintf (stderr, "cchcctl: no database at %s (give --state DIR or --db PATH)\n",
                 path);
        return NULL;
    }
    sqlite3 *db = NULL;
    if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf (stderr, "cchcctl: %s: %s\n", path, db? sqlite3_errmsg (db): "cannot open");
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
                 access (path, F_OK) == 0? "": " (give --criteria FILE or --config)");
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
        fprintf (stderr, "cchcctl: bad period '%s' (e.g. 2021-03, 2021-Q1, 2021-H1, "
                 "2021-9M, 2021)\n", text);
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
        n += (size_t) snprintf (extra + n, sizeof extra - n, "%seuid %s", n? ", ": "", other);
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
        n += (size_t) snprintf (extra + n, sizeof extra - n, "%slogin %s", n? ", ": "", other);
    }
    const char *env = getenv ("SUDO_USER");
    char sudo [41] = "";
    for (size_t i = 0; env && env [i] && i < sizeof sudo - 1; i++)
        sudo [i] = env [i] > 0x20 && env [i] < 0x7F? env [i]: '?';   /* no control bytes */
    if (*sudo && strcmp (sudo, user) != 0 && n < sizeof extra)
        n += (size_t) snprintf (extra + n, sizeof extra - n, "%sSUDO_USER %s",
                                n? ", ": "", sudo);
    if (n)
        snprintf (buf, size, "%s (%s)", user, extra);
    else
        snprintf (buf, size, "%s", user);
}

/*  Load the figures people see; prints the failure. */
static cchc_figures_t *
s_figures (sqlite3 *db, const cchc_criteria_t *cat, const cchc_period_t *period,
           bool live)
{
    char err [1024];
    cchc_figures_t *fig = cchc_figures_load (db, cat, period, cchc_clock_now_ms (),
                                             live? CCHC_FIGURES_LIVE: 0, err, sizeof err);
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
             cchc_pstate_code (fig->state), fig->stored? "stored final figures"
             : "computed now", at, (long long) fig->journal_pos);
}

static int
s_rollup (const s_ctx_t *ctx, const s_args_t *a)
{
    const cchc_collector_conf_t *conf = ctx->conf;
    const char *period_text = s_arg (a, "--period"), *unit = s_arg (a, "--unit"),
               *format = s_arg (a, "--format");
    bool live = s_flag (a, "--live");
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
    sqlite3 *db = cat? s_open_readonly (conf): NULL;
    cchc_figures_t *fig = db? s_figures (db, cat, &period, live): NULL;
    int rc = 1;
    if (fig) {
        char err [512] = "";
        if (unit && cchc_rollup_unit_find (fig->rollup, unit) < 0)
            snprintf (err, sizeof err, "no scored unit '%s' in %s", unit,
                      fig->rollup->window.id);
        else
        if (fmt == CCHC_FORMAT_JSON) {
            /* the roll-up's JSON, and what the store says about it */
            json_t *root = cchc_rollup_json (fig->rollup, unit);
            if (root) {
                json_object_set_new (root, "state", json_string (cchc_pstate_code (fig->state)));
                json_object_set_new (root, "stored", json_boolean (fig->stored));
                json_object_set_new (root, "journal_position", json_integer (fig->journal_pos));
                json_object_set_new (root, "locked_at", fig->has_row && fig->row.locked_at
                                     ? json_integer (fig->row.locked_at): json_null ());
            }
            if (root && json_dumpf (root, stdout, JSON_INDENT (2)) == 0
            &&  fputc ('\n', stdout) != EOF && fflush (stdout) == 0)
                rc = 0;
            else
                snprintf (err, sizeof err, "cannot write the JSON");
            json_decref (root);
        }
        else {
            s_figures_note (fig);
            rc = cchc_rollup_write (fig->rollup, unit, fmt, stdout, err, sizeof err)? 1: 0;
        }
        if (rc)
            fprintf (stderr, "cchcctl: %s\n", err);
    }
    cchc_figures_destroy (&fig);
    sqlite3_close (db);
    cchc_criteria_destroy (&cat);
    return rc;
}

static int
s_report (const s_ctx_t *ctx, const s_args_t *a)
{
    const cchc_collector_conf_t *conf = ctx->conf;
    const char *period_text = s_arg (a, "--period"), *out_path = s_arg (a, "--out"),
               *pdf_path = s_arg (a, "--pdf");
    bool live = s_flag (a, "--live");
    cchc_period_t period;
    if (!out_path == !pdf_path)
        return s_usage_of (a);
    if (s_period_arg (period_text, &period))
        return 2;
    cchc_criteria_t *cat = s_criteria (ctx->criteria);
    sqlite3 *db = cat? s_open_readonly (conf): NULL;
    if (db && pdf_path) {
        /* the printable report, as written at each lock */
        char err [512] = "";
        int prc = cchc_reports_pdf (db, cat, &period, cchc_clock_now_ms (),
                                    live? CCHC_FIGURES_LIVE: 0, pdf_path, err, sizeof err);
        if (prc)
            fprintf (stderr, "cchcctl: %s\n", err);
        else
            fprintf (stderr, "wrote %s\n", pdf_path);
        sqlite3_close (db);
        cchc_criteria_destroy (&cat);
        return prc? 1: 0;
    }
    cchc_figures_t *fig = db? s_figures (db, cat, &period, live): NULL;
    int rc = 1;
    if (fig) {
        char err [512] = "";
        bool to_stdout = strcmp (out_path, "-") == 0;
        FILE *out = to_stdout? stdout: fopen (out_path, "w");
        if (!out)
            snprintf (err, sizeof err, "%s: %s", out_path, strerror (errno));
        else {
            rc = cchc_report_write (fig->rollup, out, err, sizeof err)? 1: 0;
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

static int
s_explain (const s_ctx_t *ctx, const s_args_t *a)
{
    const cchc_collector_conf_t *conf = ctx->conf;
    const char *criteria = ctx->criteria;
    const char *period_text = s_arg (a, "--period"), *unit = s_arg (a, "--unit"),
               *format = s_arg (a, "--format"), *code = NULL;
    int codes = 0;
    const char *code_opts [] = { "--indicator", "--metric", "--code" };
    for (size_t k = 0; k < 3; k++)
        if (s_arg (a, code_opts [k])) {
            code = s_arg (a, code_opts [k]);
            codes++;
        }
    if (!format)
        format = "table";
    cchc_period_t period;
    if (!unit || codes != 1)
        return s_usage_of (a);
    if (s_period_arg (period_text, &period))
        return 2;
    char path [CCHC_COLLECTOR_PATH_MAX + 32], err [1024] = "";
    if (cchc_collector_conf_db_path (conf, path, sizeof path))
        return 1;
    /*  A locked period's figures are the stored ones: say which rows came
        after them. */
    sqlite3 *db = s_open_readonly (conf);
    if (!db)
        return 1;
    cchc_period_row_t row;
    char id [CCHC_PERIOD_ID_MAX];
    cchc_period_format (&period, id, sizeof id);
    if (cchc_periods_row (db, id, &row, NULL, 0) == 1 && row.state == CCHC_PSTATE_LOCKED)
        fprintf (stderr, "note: %s is locked; its final figures cover the journal up to "
                 "%lld: rows with a higher journal id arrived after them and are not "
                 "in them\n", id, (long long) row.journal_pos);
    sqlite3_close (db);
    if (cchc_explain_cli (path, criteria, period_text, unit, code, format, stdout, err,
                          sizeof err)) {
        fprintf (stderr, "cchcctl: %s\n", err);
        return 1;
    }
    return 0;
}

static int
s_criteria_check (const s_ctx_t *ctx, const s_args_t *a)
{
    (void) ctx;
    char err [1024];
    if (cchc_criteria_check_cli (a->words [0], stdout, err, sizeof err)) {
        fprintf (stderr, "cchcctl: %s\n", err);
        return 1;
    }
    return 0;
}

static int
s_period_list (const s_ctx_t *ctx, const s_args_t *a)
{
    (void) a;
    sqlite3 *db = s_open_readonly (ctx->conf);
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
        fprintf (stderr, "cchcctl: %s\n", managed < 0? sqlite3_errmsg (db): err);
        sqlite3_close (db);
        return 1;
    }
    printf ("%-8s %-11s %-19s %10s %6s %-19s %s\n", "period", "state",
            "computed (UTC+7)", "journal", "units", "locked (UTC+7)", "by");
    for (size_t i = 0; i < count; i++) {
        const cchc_period_row_t *r = &rows [i];
        char at [32], locked [32];
        s_local_text (r->computed_at, at, sizeof at);
        s_local_text (r->locked_at, locked, sizeof locked);
        char after [96] = "";
        if (r->state == CCHC_PSTATE_LOCKED && r->after_lock_units > 0)
            snprintf (after, sizeof after, "  (%lld units changed after the lock: reopen to "
                      "take them in)", (long long) r->after_lock_units);
        printf ("%-8s %-11s %-19s %10lld %6lld %-19s %s%s\n", r->period,
                cchc_pstate_code (r->state), at, (long long) r->journal_pos,
                (long long) r->units, locked, r->locked_by,
                r->state == CCHC_PSTATE_LOCKED? after: r->reopened_at
                ? "  (reopened: lock it with period lock)"
                : r->manual? "  (data came after the lock day: lock it with period lock)"
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
            computed, e->reason? e->reason: "");
    return 0;
}

static int
s_period_log (const s_ctx_t *ctx, const s_args_t *a)
{
    const cchc_collector_conf_t *conf = ctx->conf;
    const char *period_text = s_arg (a, "--period");
    cchc_period_t period;
    char id [CCHC_PERIOD_ID_MAX];
    if (period_text) {
        if (s_period_arg (period_text, &period))
            return 2;
        cchc_period_format (&period, id, sizeof id);
    }
    sqlite3 *db = s_open_readonly (conf);
    if (!db)
        return 1;
    char err [512];
    printf ("%-6s %-8s %-9s %-19s %-24s %-16s %-28s %s\n", "id", "period", "event",
            "at (UTC+7)", "who", "journal", "figures computed (UTC+7)", "reason");
    int rc = cchc_periods_events (db, period_text? id: NULL, s_print_event, NULL, err,
                                  sizeof err);
    if (rc)
        fprintf (stderr, "cchcctl: %s\n", err);
    sqlite3_close (db);
    return rc? 1: 0;
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
s_period_change (const s_ctx_t *ctx, const s_args_t *a, bool reopen)
{
    const cchc_collector_conf_t *conf = ctx->conf;
    const char *criteria = ctx->criteria;
    const char *period_text = s_arg (a, "--period"), *reason = s_arg (a, "--reason");
    bool due = !reopen && s_flag (a, "--due");
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
        fprintf (stderr, "cchcctl: no database at %s (give --state DIR or --db PATH)\n",
                 path);
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
    cchc_periods_config_t pc = { .db_path = path, .criteria = cat,
                                 .on_locked = s_on_locked, .on_locked_arg = reports };
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
        return drc? 1: 0;
    }
    int rc = reopen? cchc_periods_reopen (keeper, &period, now, who, reason, err, sizeof err)
                   : cchc_periods_lock (keeper, &period, now, who, reason, err, sizeof err);
    if (rc)
        fprintf (stderr, "cchcctl: %s\n", err);
    else {
        char id [CCHC_PERIOD_ID_MAX];
        cchc_period_format (&period, id, sizeof id);
        cchc_period_row_t row;
        if (cchc_periods_row (cchc_periods_handle (keeper), id, &row, err, sizeof err) == 1)
            printf ("%s %s by %s: journal position %lld, %lld units%s\n", id,
                    reopen? "reopened": "locked", who, (long long) row.journal_pos,
                    (long long) row.units, reopen? "; it stays closed (figures follow "
                    "late data) until `cchcctl period lock`": "; its figures are final");
    }
    cchc_periods_destroy (&keeper);
    cchc_criteria_destroy (&cat);
    return rc? 1: 0;
}

/* ---------------------------------------------------------------- backup */

static int
s_sql_one (sqlite3 *db, const char *sql, int64_t *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2 (db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step (st)) == SQLITE_ROW) {
        *out = sqlite3_column_int64 (st, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize (st);
    return rc == SQLITE_OK? 0: -1;
}

/*  fsync the folder holding `path` (the rename is durable). */
static void
s_sync_dir (const char *path)
{
    char dir [CCHC_COLLECTOR_PATH_MAX + 64];
    cchc_strlcpy (dir, path, sizeof dir);
    char *slash = strrchr (dir, '/');
    if (!slash)
        strcpy (dir, ".");
    else
    if (slash == dir)
        dir [1] = 0;
    else
        *slash = 0;
    int fd = open (dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync (fd);
        close (fd);
    }
}

static void
s_remove_partial (const char *tmp)
{
    char side [CCHC_COLLECTOR_PATH_MAX + 96];
    unlink (tmp);
    snprintf (side, sizeof side, "%s-journal", tmp);
    unlink (side);
    snprintf (side, sizeof side, "%s-wal", tmp);
    unlink (side);
    snprintf (side, sizeof side, "%s-shm", tmp);
    unlink (side);
}

static int
s_backup (const s_ctx_t *ctx, const s_args_t *a)
{
    const cchc_collector_conf_t *conf = ctx->conf;
    const char *out = s_arg (a, "--out"), *step_text = s_arg (a, "--step");
    int64_t step = 1024;
    if (step_text && cchc_parse_int64 (step_text, 1, 1 << 20, &step)) {
        fprintf (stderr, "cchcctl: --step: pages per step, 1 to 1048576\n");
        return 2;
    }
    if (!out || !*out)
        return s_usage_of (a);
    if (strlen (out) > CCHC_COLLECTOR_PATH_MAX) {
        fprintf (stderr, "cchcctl: --out: path too long\n");
        return 2;
    }
    if (access (out, F_OK) == 0) {
        fprintf (stderr, "cchcctl: %s: exists (a backup never overwrites a file)\n", out);
        return 1;
    }
    if (errno != ENOENT) {
        fprintf (stderr, "cchcctl: %s: %s\n", out, strerror (errno));
        return 1;
    }
    sqlite3 *src = s_open_readonly (conf);
    if (!src)
        return 1;
    char tmp [CCHC_COLLECTOR_PATH_MAX + 64];
    snprintf (tmp, sizeof tmp, "%s.partial-%ld", out, (long) getpid ());
    int fd = open (tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        fprintf (stderr, "cchcctl: %s: %s\n", tmp, strerror (errno));
        sqlite3_close (src);
        return 1;
    }
    close (fd);
    sqlite3 *dst = NULL;
    sqlite3_backup *bk = NULL;
    int status = 1;
    int64_t journal_rows = 0, journal_max = 0;
    const char *what = "copy";
    /*  One read transaction on the source for the whole copy: every step
        reads the same snapshot, so the copy is consistent and the collector's
        commits (WAL) neither wait for it nor restart it. */
    if (sqlite3_exec (src, "BEGIN", NULL, NULL, NULL) != SQLITE_OK
    ||  s_sql_one (src, "SELECT count(*) FROM journal", &journal_rows)
    ||  s_sql_one (src, "SELECT ifnull(max(id), 0) FROM journal", &journal_max)) {
        fprintf (stderr, "cchcctl: %s\n", sqlite3_errmsg (src));
        goto done;
    }
    if (sqlite3_open_v2 (tmp, &dst, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        fprintf (stderr, "cchcctl: %s: %s\n", tmp, dst? sqlite3_errmsg (dst): "cannot open");
        goto done;
    }
    bk = sqlite3_backup_init (dst, "main", src, "main");
    if (!bk) {
        fprintf (stderr, "cchcctl: backup: %s\n", sqlite3_errmsg (dst));
        goto done;
    }
    int rc, last_shown = -1;
    bool tty = isatty (STDERR_FILENO);
    do {
        rc = sqlite3_backup_step (bk, (int) step);
        int total = sqlite3_backup_pagecount (bk);
        int done_pages = total - sqlite3_backup_remaining (bk);
        int pct = total? (int) ((int64_t) done_pages * 100 / total): 100;
        if (tty || pct / 10 != last_shown / 10 || rc == SQLITE_DONE) {
            fprintf (stderr, "%sbackup: %3d%% (%d of %d pages)%s", tty? "\r": "", pct,
                     done_pages, total, tty && rc != SQLITE_DONE? "": "\n");
            last_shown = pct;
        }
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
            sqlite3_sleep (50);
    } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
    rc = sqlite3_backup_finish (bk);
    bk = NULL;
    sqlite3_exec (src, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        fprintf (stderr, "cchcctl: backup: %s\n", sqlite3_errmsg (dst));
        goto done;
    }
    /*  A self-contained file (no -wal beside it), durable, then checked. */
    what = "check";
    int64_t copied = -1;
    sqlite3_stmt *st = NULL;
    if (sqlite3_exec (dst, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL) != SQLITE_OK
    ||  sqlite3_prepare_v2 (dst, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK) {
        fprintf (stderr, "cchcctl: %s: %s\n", tmp, sqlite3_errmsg (dst));
        goto done;
    }
    bool ok = true;
    while ((rc = sqlite3_step (st)) == SQLITE_ROW) {
        const char *line = (const char *) sqlite3_column_text (st, 0);
        if (!line || strcmp (line, "ok") != 0) {
            fprintf (stderr, "cchcctl: integrity_check of the copy: %s\n", line? line: "?");
            ok = false;
        }
    }
    sqlite3_finalize (st);
    if (rc != SQLITE_DONE || !ok
    ||  s_sql_one (dst, "SELECT count(*) FROM journal", &copied) || copied != journal_rows) {
        fprintf (stderr, "cchcctl: the copy does not check out (%s)\n",
                 rc != SQLITE_DONE? sqlite3_errmsg (dst): !ok? "integrity_check"
                 : "journal count differs");
        goto done;
    }
    if (sqlite3_close (dst) != SQLITE_OK) {
        fprintf (stderr, "cchcctl: %s: %s\n", tmp, sqlite3_errmsg (dst));
        goto done;
    }
    dst = NULL;
    fd = open (tmp, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fsync (fd) != 0) {
        fprintf (stderr, "cchcctl: %s: %s\n", tmp, strerror (errno));
        if (fd >= 0)
            close (fd);
        goto done;
    }
    close (fd);
    /*  Never overwrite: link fails if `out` appeared meanwhile. */
    what = "rename";
    if (link (tmp, out) == 0)
        unlink (tmp);
    else
    if (errno == EEXIST) {
        fprintf (stderr, "cchcctl: %s: exists (a backup never overwrites a file)\n", out);
        goto done;
    }
    else
    if (access (out, F_OK) == 0 || rename (tmp, out) != 0) {
        fprintf (stderr, "cchcctl: %s: %s\n", out, access (out, F_OK) == 0
                 ? "exists (a backup never overwrites a file)": strerror (errno));
        goto done;
    }
    s_sync_dir (out);
    struct stat st_out;
    stat (out, &st_out);
    printf ("backup %s: %lld bytes, %lld journal rows (up to journal id %lld), "
            "integrity_check ok\n", out, (long long) st_out.st_size,
            (long long) journal_rows, (long long) journal_max);
    status = 0;
done:
    if (bk)
        sqlite3_backup_finish (bk);
    sqlite3_close (dst);
    sqlite3_close (src);
    if (status) {
        s_remove_partial (tmp);
        fprintf (stderr, "cchcctl: backup failed at the %s step; nothing written to %s\n",
                 what, out);
    }
    return status;
}

static int
s_period_lock (const s_ctx_t *ctx, const s_args_t *a)
{
    return s_period_change (ctx, a, false);
}

static int
s_period_reopen (const s_ctx_t *ctx, const s_args_t *a)
{
    return s_period_change (ctx, a, true);
}

/* ---------------------------------------------------------------- table */

static const s_command_t s_commands [] = {
    { "keygen", "--out FILE", "new key pair: FILE (0600) and FILE.pub",
      { "--out=" }, 0, 0, S_NONE, s_keygen },
    { "pubkey", "[FILE]", "printable and CurveZMQ public key of a key\n"
      "file (default: the collector's)", { NULL }, 0, 1, S_NONE, s_pubkey },
    { "units import", "FILE.csv... [--valid-from DATE] [--valid-to DATE] [--replace]",
      "load units (code,name,kind,level,parent);\n--replace closes units not in the files",
      { "--valid-from=", "--valid-to=", "--replace" }, 1, S_WORDS_MAX, S_STORE_CREATE,
      s_units_import },
    { "units list", "[--on DATE | --all]", "units valid on DATE (default today)",
      { "--on=", "--all" }, 0, 0, S_STORE, s_units_list },
    { "agent enroll", "--unit CODE --name NAME (--key HEX | --key-file FILE.pub)",
      "enrol an agent's public key for a unit",
      { "--unit=", "--name=", "--key=", "--key-file=" }, 0, 0, S_STORE, s_agent_enroll },
    { "agent revoke", "(--key HEX | --id N)", "revoke an agent",
      { "--key=", "--id=" }, 0, 0, S_STORE, s_agent_revoke },
    { "agent list", "", "agents, their counters and keys", { NULL }, 0, 0, S_STORE,
      s_agent_list },
    { "audit", "", "re-verify the journal, compare observations", { NULL }, 0, 0, S_STORE,
      s_audit },
    { "stats", "", "counters of the running collector", { NULL }, 0, 0, S_STORE, s_stats },
    { "rollup", "--period P [--unit CODE] [--format table|json|csv] [--live]",
      "a period's figures (P: 2021-Q1, 2021-03,\n2021-H1, 2021-9M, 2021); locked periods:\n"
      "the stored final figures unless --live",
      { "--period=", "--unit=", "--format=", "--live" }, 0, 0, S_NONE, s_rollup },
    { "report", "--period P --out FILE | --pdf FILE [--live]",
      "the report draft (Vietnamese, Markdown), or\nthe printable report (PDF, A4)",
      { "--period=", "--out=", "--pdf=", "--live" }, 0, 0, S_NONE, s_report },
    { "explain", "--period P --unit CODE (--indicator CODE | --metric CODE) "
      "[--format table|json|csv]", "the observations and signed messages behind a figure",
      { "--period=", "--unit=", "--indicator=", "--metric=", "--code=", "--format=" },
      0, 0, S_NONE, s_explain },
    { "criteria check", "FILE", "validate a criteria catalogue", { NULL }, 1, 1, S_NONE,
      s_criteria_check },
    { "period list", "", "stored periods: state, computed, journal", { NULL }, 0, 0,
      S_NONE, s_period_list },
    { "period log", "[--period P]", "locks and reopens", { "--period=" }, 0, 0, S_NONE,
      s_period_log },
    { "period lock", "--period P [--reason TEXT] | --due", "lock a closed period now (final),\n"
      "or every period due and waiting for a hand",
      { "--period=", "--reason=", "--due" }, 0, 0, S_NONE, s_period_lock },
    { "period reopen", "--period P --reason TEXT", "reopen a locked period (logged); it\n"
      "stays open until period lock", { "--period=", "--reason=" }, 0, 0, S_NONE,
      s_period_reopen },
    { "backup", "--out FILE [--step PAGES]", "online copy of the database (0600, checked;\n"
      "PAGES per step, default 1024)", { "--out=", "--step=" }, 0, 0, S_NONE, s_backup },
};

static const s_command_t *
s_commands_table (size_t *count)
{
    *count = sizeof s_commands / sizeof s_commands [0];
    return s_commands;
}

/*  The entry named by argv[0] (and argv[1] for two-word names); *words set
    to how many words the name took.  NULL when none. */
static const s_command_t *
s_command_find (int argc, char **argv, int *words)
{
    for (size_t i = 0; i < sizeof s_commands / sizeof s_commands [0]; i++) {
        const char *name = s_commands [i].name, *space = strchr (name, ' ');
        size_t len = space? (size_t) (space - name): strlen (name);
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
        else
        if (strncmp (arg, "--criteria=", 11) == 0)
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
    ||  cchc_collector_conf_clock (&conf, err, sizeof err)) {
        fprintf (stderr, "cchcctl: %s\n", err);
        return 2;
    }
    const char *criteria_arg = NULL;
    if (s_take_criteria (&argc, argv, &criteria_arg))
        return 2;
    if (argc < 2)
        return s_usage ();
    const char *name = argv [1];
    if (strcmp (name, "--help") == 0 || strcmp (name, "-h") == 0 || strcmp (name, "help") == 0) {
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
        return nrc == 2? s_usage (): nrc;
    }
    int words = 0;
    const s_command_t *cmd = s_command_find (argc - 1, argv + 1, &words);
    if (!cmd)
        return s_usage ();
    s_args_t args;
    if (s_args_parse (cmd, argc - 1 - words, argv + 1 + words, &args))
        return 2;
    char criteria [CCHC_COLLECTOR_PATH_MAX + 32];
    if (cchc_collector_conf_criteria_path (&conf, criteria_arg, criteria, sizeof criteria)) {
        fprintf (stderr, "cchcctl: criteria path too long\n");
        return 2;
    }
    s_ctx_t ctx = { .conf = &conf, .criteria = criteria };
    if (cmd->need != S_NONE && !(ctx.store = s_open (&conf, cmd->need == S_STORE_CREATE)))
        return 1;
    int rc = cmd->run (&ctx, &args);
    cchc_db_destroy (&ctx.store);
    return rc;
}
