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

    The database is found like the collector finds it (collector/conf.h):
    --db, or STATE_DIR/collector.db with --state (default ./state).  Exit
    status: 0 ok, 1 failure (audit: mismatches found), 2 usage error.
*/
#include "collector/admin.h"
#include "collector/conf.h"
#include "collector/store.h"

#include "common/clock.h"
#include "common/key.h"
#include "common/log.h"
#include "common/period.h"
#include "common/text.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

static const char *s_usage_text =
    "usage: cchcctl [--config FILE] [--state DIR | --db PATH] COMMAND ...\n"
    "  keygen --out FILE                 new key pair: FILE (0600) and FILE.pub\n"
    "  pubkey [FILE]                     printable and CurveZMQ public key of a key\n"
    "                                    file (default: the collector's)\n"
    "  units import FILE.csv... [--valid-from DATE] [--valid-to DATE] [--replace]\n"
    "                                    load units (code,name,kind,level,parent);\n"
    "                                    --replace closes units not in the files\n"
    "  units list [--on DATE | --all]    units valid on DATE (default today)\n"
    "  agent enroll --unit CODE --name NAME (--key HEX | --key-file FILE.pub)\n"
    "  agent revoke (--key HEX | --id N)\n"
    "  agent list\n"
    "  audit                             re-verify the journal, compare observations\n"
    "  stats                             counters of the running collector\n";

static int
s_usage (void)
{
    fputs (s_usage_text, stderr);
    return 2;
}

/*  "--name VALUE" / "--name=VALUE" at argv[*i]. */
static const char *
s_opt (int argc, char **argv, int *i, const char *name)
{
    size_t len = strlen (name);
    if (strncmp (argv [*i], name, len) != 0)
        return NULL;
    if (argv [*i][len] == '=')
        return argv [*i] + len + 1;
    if (argv [*i][len] == 0 && *i + 1 < argc) {
        (*i)++;
        return argv [*i];
    }
    return NULL;
}

static int
s_parse_day (const char *text, int32_t *ymd)
{
    cchc_date_t date;
    if (cchc_date_parse (text, strlen (text), &date))
        return -1;
    *ymd = cchc_store_day_ymd (date);
    return 0;
}

static void
s_format_ymd (int32_t ymd, char buf [16])
{
    if (ymd <= CCHC_STORE_DAY_MIN)
        snprintf (buf, 16, "-");
    else
    if (ymd >= CCHC_STORE_DAY_MAX)
        snprintf (buf, 16, "-");
    else
        snprintf (buf, 16, "%04d-%02d-%02d", ymd / 10000, ymd / 100 % 100, ymd % 100);
}

static cchc_store_t *
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
    cchc_store_t *store = cchc_store_open (path, create, err, sizeof err);
    if (!store)
        fprintf (stderr, "cchcctl: %s\n", err);
    return store;
}

/* ----------------------------------------------------------------- keys */

static int
s_keygen (int argc, char **argv)
{
    const char *out = NULL;
    for (int i = 0; i < argc; i++) {
        const char *v;
        if ((v = s_opt (argc, argv, &i, "--out")))
            out = v;
        else
            return s_usage ();
    }
    if (!out)
        return s_usage ();
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
s_pubkey (const cchc_collector_conf_t *conf, int argc, char **argv)
{
    char path [CCHC_COLLECTOR_PATH_MAX + 64], err [512];
    if (argc > 1)
        return s_usage ();
    if (argc == 1)
        snprintf (path, sizeof path, "%s", argv [0]);
    else {
        if (cchc_collector_conf_key_path (conf, path, sizeof path))
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
s_units_import (cchc_store_t *store, int argc, char **argv)
{
    int32_t from = 0, to = 0;
    bool replace = false;
    cchc_store_unit_t *rows = NULL;
    size_t count = 0;
    const char *files [64];
    size_t nfiles = 0;
    for (int i = 0; i < argc; i++) {
        const char *v;
        if ((v = s_opt (argc, argv, &i, "--valid-from"))) {
            if (s_parse_day (v, &from)) {
                fprintf (stderr, "cchcctl: --valid-from: '%s' is not YYYY-MM-DD\n", v);
                return 2;
            }
        }
        else
        if ((v = s_opt (argc, argv, &i, "--valid-to"))) {
            if (s_parse_day (v, &to)) {
                fprintf (stderr, "cchcctl: --valid-to: '%s' is not YYYY-MM-DD\n", v);
                return 2;
            }
        }
        else
        if (strcmp (argv [i], "--replace") == 0)
            replace = true;
        else
        if (argv [i][0] == '-' || nfiles == 64)
            return s_usage ();
        else
            files [nfiles++] = argv [i];
    }
    if (!nfiles)
        return s_usage ();
    static char err [16384];
    err [0] = 0;
    bool ok = true;
    for (size_t i = 0; i < nfiles; i++)
        if (cchc_units_read_csv (files [i], &rows, &count, err, sizeof err))
            ok = false;
    if (!ok) {
        /*  Say everything that is wrong at once: the row checks too. */
        cchc_store_units_check (rows, count, err, sizeof err);
        fprintf (stderr, "%s\nnothing imported\n", err);
        free (rows);
        return 1;
    }
    cchc_store_import_t result;
    int rc = cchc_store_units_import (store, rows, count, from, to, replace,
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
s_units_list (cchc_store_t *store, int argc, char **argv)
{
    bool all = false;
    int32_t on = cchc_store_day_ymd (cchc_date_from_utc_ms (cchc_clock_now_ms ()));
    for (int i = 0; i < argc; i++) {
        const char *v;
        if ((v = s_opt (argc, argv, &i, "--on"))) {
            if (s_parse_day (v, &on)) {
                fprintf (stderr, "cchcctl: --on: '%s' is not YYYY-MM-DD\n", v);
                return 2;
            }
        }
        else
        if (strcmp (argv [i], "--all") == 0)
            all = true;
        else
            return s_usage ();
    }
    sqlite3 *db = cchc_store_handle (store);
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
s_agent_enroll (cchc_store_t *store, int argc, char **argv)
{
    const char *unit = NULL, *name = NULL, *hex = NULL, *file = NULL;
    for (int i = 0; i < argc; i++) {
        const char *v;
        if ((v = s_opt (argc, argv, &i, "--unit")))
            unit = v;
        else
        if ((v = s_opt (argc, argv, &i, "--name")))
            name = v;
        else
        if ((v = s_opt (argc, argv, &i, "--key")))
            hex = v;
        else
        if ((v = s_opt (argc, argv, &i, "--key-file")))
            file = v;
        else
            return s_usage ();
    }
    if (!unit || !name || (!hex == !file))
        return s_usage ();
    uint8_t pk [32];
    char err [512];
    if (hex && s_key_arg (hex, pk))
        return 2;
    if (file && cchc_key_load_public (file, pk, err, sizeof err)) {
        fprintf (stderr, "cchcctl: %s\n", err);
        return 1;
    }
    int64_t id = cchc_store_agent_enroll (store, pk, unit, name, cchc_clock_now_ms (),
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
s_agent_revoke (cchc_store_t *store, int argc, char **argv)
{
    const char *hex = NULL, *idtext = NULL;
    for (int i = 0; i < argc; i++) {
        const char *v;
        if ((v = s_opt (argc, argv, &i, "--key")))
            hex = v;
        else
        if ((v = s_opt (argc, argv, &i, "--id")))
            idtext = v;
        else
            return s_usage ();
    }
    if (!hex == !idtext)
        return s_usage ();
    uint8_t pk [32];
    int64_t id = 0;
    if (hex && s_key_arg (hex, pk))
        return 2;
    if (idtext && cchc_parse_int64 (idtext, 1, INT64_MAX, &id)) {
        fprintf (stderr, "cchcctl: --id: not an agent id\n");
        return 2;
    }
    char err [512];
    id = cchc_store_agent_revoke (store, hex? pk: NULL, id, cchc_clock_now_ms (),
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
s_agent_list (cchc_store_t *store, int argc, char **argv)
{
    (void) argv;
    if (argc)
        return s_usage ();
    sqlite3 *db = cchc_store_handle (store);
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
s_audit (cchc_store_t *store, int argc)
{
    if (argc)
        return s_usage ();
    cchc_audit_result_t result;
    char err [512];
    if (cchc_audit_run (store, stdout, &result, err, sizeof err)) {
        fprintf (stderr, "cchcctl: audit: %s\n", err);
        return 1;
    }
    printf ("audit: %zu journal rows re-verified, %zu observations compared, "
            "%zu mismatches\n", result.journal_rows, result.observations,
            result.mismatches);
    return result.mismatches? 1: 0;
}

static int
s_stats (cchc_store_t *store, int argc)
{
    if (argc)
        return s_usage ();
    sqlite3 *db = cchc_store_handle (store);
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

int
main (int argc, char **argv)
{
    cchc_log_init ("cchcctl", CCHC_LOG_WARN);
    if (sodium_init () < 0) {
        fprintf (stderr, "cchcctl: libsodium cannot start\n");
        return 1;
    }
    cchc_clock_init_env ();
    char err [1024];
    cchc_collector_conf_t conf;
    if (cchc_collector_conf_from_args (&conf, &argc, argv, err, sizeof err)) {
        fprintf (stderr, "cchcctl: %s\n", err);
        return 2;
    }
    if (argc < 2)
        return s_usage ();
    const char *cmd = argv [1];
    const char *sub = argc > 2? argv [2]: "";
    if (strcmp (cmd, "--help") == 0 || strcmp (cmd, "-h") == 0 || strcmp (cmd, "help") == 0) {
        fputs (s_usage_text, stdout);
        return 0;
    }
    if (strcmp (cmd, "--version") == 0) {
        printf ("cchcctl %s\n", CCHC_VERSION);
        return 0;
    }
    if (strcmp (cmd, "keygen") == 0)
        return s_keygen (argc - 2, argv + 2);
    if (strcmp (cmd, "pubkey") == 0)
        return s_pubkey (&conf, argc - 2, argv + 2);

    bool units = strcmp (cmd, "units") == 0, agent = strcmp (cmd, "agent") == 0;
    int (*fn) (cchc_store_t *, int, char **) = NULL;
    bool create = false;
    if (units && strcmp (sub, "import") == 0) {
        fn = s_units_import;
        create = true;
    }
    else
    if (units && strcmp (sub, "list") == 0)
        fn = s_units_list;
    else
    if (agent && strcmp (sub, "enroll") == 0)
        fn = s_agent_enroll;
    else
    if (agent && strcmp (sub, "revoke") == 0)
        fn = s_agent_revoke;
    else
    if (agent && strcmp (sub, "list") == 0)
        fn = s_agent_list;
    else
    if (strcmp (cmd, "audit") != 0 && strcmp (cmd, "stats") != 0)
        return s_usage ();

    cchc_store_t *store = s_open (&conf, create);
    if (!store)
        return 1;
    int rc;
    if (fn)
        rc = fn (store, argc - 3, argv + 3);
    else
    if (strcmp (cmd, "audit") == 0)
        rc = s_audit (store, argc - 2);
    else
        rc = s_stats (store, argc - 2);
    cchc_store_destroy (&store);
    return rc;
}
