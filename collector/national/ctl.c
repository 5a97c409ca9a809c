/*  ctl.c — cchcctl's national commands (collector/national/national.h):

      cchcctl national catalogue FILE     "YEAR:SHA256" of a catalogue, for
                                          national.expect
      cchcctl national rank --period P [--format table|json] [--deadline-day N]
      cchcctl national province --province CODE --period P [--version N]
                                          a province's units as received (JSON)
      cchcctl national versions [--period P]   every version received
      cchcctl national audit              re-verify every stored message
      cchcctl national prove --province-db FILE --province CODE --period P
              [--version N] --criteria FILE
                                          the figures held equal what the
                                          province's journal produces (prove.c)
      cchcctl upstream queue              queue the locked periods now (the
                                          province side; normally the
                                          collector's upstream thread does it)
      cchcctl upstream status             the upstream outbox

    Exit status: 0 ok, 1 failure (audit: problems found), 2 usage error. */
#include "collector/national/ctl.h"
#include "collector/national/national.h"
#include "collector/national/prove.h"
#include "collector/db/db.h"
#include "collector/db/national.h"
#include "collector/present/national.h"
#include "collector/upstream/upstream.h"
#include "collector/figures/criteria.h"

#include "common/clock.h"
#include "common/text.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/*  One option of a national command: its name, and where its value goes,
    a string (`text`) or a number within [min, max] (`number`). */
typedef struct {
    const char *name;
    const char **text;
    int64_t *number;
    int64_t min, max;
} s_option_t;

#define S_TEXT(name, var)     \
    {                         \
        name, var, NULL, 0, 0 \
    }
#define S_NUMBER(name, var, min, max) \
    {                                 \
        name, NULL, var, min, max     \
    }
#define S_END                  \
    {                          \
        NULL, NULL, NULL, 0, 0 \
    }

/*  Parses the arguments against `opts` (ended by a NULL name).  0, or 2
    (usage) on an unknown option, a missing value or a bad number. */
static int
s_options (int argc, char **argv, const s_option_t *opts)
{
    for (int i = 0; i < argc; i++) {
        const s_option_t *o = opts;
        const char *v = NULL;
        while (o->name && !(v = s_opt (argc, argv, &i, o->name)))
            o++;
        if (!o->name)
            return 2;
        if (o->text)
            *o->text = v;
        else if (cchc_parse_int64 (v, o->min, o->max, o->number) != 0)
            return 2;
    }
    return 0;
}

static sqlite3 *
s_db (const cchc_collector_conf_t *conf, bool write)
{
    char path [CCHC_COLLECTOR_PATH_MAX + 32];
    if (cchc_collector_conf_db_path (conf, path, sizeof path) || access (path, F_OK) != 0) {
        fprintf (stderr, "cchcctl: no database (give --state DIR or --db PATH)\n");
        return NULL;
    }
    char err [256];
    if (write) {
        /*  A database of an older release: its schema brought up to date
            (collector/db/migrate.c), the national tables included. */
        cchc_db_t *store = cchc_db_open (path, false, err, sizeof err);
        if (!store) {
            fprintf (stderr, "cchcctl: %s\n", err);
            return NULL;
        }
        cchc_db_destroy (&store);
    }
    sqlite3 *db = NULL;
    if (sqlite3_open_v2 (path, &db, write ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY, NULL)
        != SQLITE_OK) {
        fprintf (stderr, "cchcctl: %s: %s\n", path,
                 db ? sqlite3_errmsg (db) : "out of memory");
        sqlite3_close (db);
        return NULL;
    }
    sqlite3_busy_timeout (db, 5000);
    return db;
}

static int
s_catalogue (int argc, char **argv)
{
    if (argc != 1)
        return 2;
    char err [512];
    cchc_criteria_t *cat = cchc_criteria_load (argv [0], err, sizeof err);
    if (!cat) {
        fprintf (stderr, "cchcctl: %s\n", err);
        return 1;
    }
    FILE *f = fopen (argv [0], "rb");
    char *text = NULL;
    size_t len = 0;
    if (f) {
        fseek (f, 0, SEEK_END);
        long n = ftell (f);
        fseek (f, 0, SEEK_SET);
        text = n >= 0 ? malloc ((size_t) n + 1) : NULL;
        if (text && fread (text, 1, (size_t) n, f) == (size_t) n)
            len = (size_t) n;
        else {
            free (text);
            text = NULL;
        }
        fclose (f);
    }
    if (!text) {
        fprintf (stderr, "cchcctl: cannot read %s\n", argv [0]);
        cchc_criteria_destroy (&cat);
        return 1;
    }
    uint8_t hash [32];
    char hex [65];
    cchc_upstream_catalogue_hash (text, len, hash);
    cchc_hex_encode (hex, hash, 32);
    printf ("%d:%s\n", cchc_criteria_year (cat), hex);
    free (text);
    cchc_criteria_destroy (&cat);
    return 0;
}

static const char *
s_status_vi (const char *status)
{
    if (strcmp (status, "reported") == 0)
        return "đã gửi";
    if (strcmp (status, "partial") == 0)
        return "đang gửi";
    return "chưa gửi";
}

/*  The ranking as the terminal's table. */
static void
s_rank_table (json_t *r, const char *period_text)
{
    printf ("Xếp hạng các tỉnh, thành phố — kỳ %s (%d tỉnh, thành phố; đã gửi %d, "
            "chưa gửi %d, gửi muộn %d; hạn %s)\n",
            period_text,
            (int) json_integer_value (
                json_object_get (json_object_get (r, "structure"), "provinces")),
            (int) json_integer_value (json_object_get (r, "reported")),
            (int) json_integer_value (json_object_get (r, "missing")),
            (int) json_integer_value (json_object_get (r, "late")),
            json_string_value (json_object_get (r, "deadline")));
    printf ("%-5s %-6s %-32s %8s %8s %9s  %s\n", "Hạng", "Mã", "Tỉnh, thành phố", "Điểm",
            "Thay đổi", "Phiên bản", "Tình trạng");
    size_t i;
    json_t *p;
    json_array_foreach (json_object_get (r, "provinces"), i, p)
    {
        json_t *rank = json_object_get (p, "rank"), *score = json_object_get (p, "score");
        json_t *change = json_object_get (p, "change");
        char rs [16] = "—", ss [32] = "—", cs [32] = "", vs [32] = "";
        if (json_is_integer (rank))
            snprintf (rs, sizeof rs, "%d", (int) json_integer_value (rank));
        if (json_is_number (score))
            snprintf (ss, sizeof ss, "%.2f", json_number_value (score));
        if (json_is_number (change))
            snprintf (cs, sizeof cs, "%+.2f", json_number_value (change));
        if (json_is_integer (json_object_get (p, "version")))
            snprintf (vs, sizeof vs, "%d%s",
                      (int) json_integer_value (json_object_get (p, "version")),
                      json_is_true (json_object_get (p, "revised")) ? " (sửa)" : "");
        for (char *c = ss; *c; c++)
            if (*c == '.')
                *c = ',';
        for (char *c = cs; *c; c++)
            if (*c == '.')
                *c = ',';
        printf ("%-5s %-6s %-32s %8s %8s %9s  %s%s\n", rs,
                json_string_value (json_object_get (p, "code")),
                json_string_value (json_object_get (p, "name")), ss, cs, vs,
                s_status_vi (json_string_value (json_object_get (p, "status"))),
                json_is_true (json_object_get (p, "late")) ? ", muộn" : "");
    }
}

/*  `data` to `path` ("-" or NULL: stdout).  0 or 1. */
static int
s_write_out (const char *path, const char *data, size_t size)
{
    FILE *f = path && strcmp (path, "-") != 0 ? fopen (path, "wb") : stdout;
    bool ok = f && fwrite (data, 1, size, f) == size;
    if (f && f != stdout)
        ok = fclose (f) == 0 && ok;
    else if (f)
        ok = fflush (f) == 0 && ok;
    if (!ok)
        fprintf (stderr, "cchcctl: cannot write %s\n", path ? path : "stdout");
    return ok ? 0 : 1;
}

/*  The ranking as a file (collector/present/national.h): csv | xlsx to
    `out` (stdout for csv), the printable report as a PDF (`pdf`) or its
    HTML print view (`html`).  The catalogue, when one is configured,
    names the plan indicators.  0 or 1. */
static int
s_rank_files (json_t *r, const char *criteria, const char *format, const char *out,
              const char *pdf, const char *html)
{
    char err [512] = "";
    cchc_criteria_t *cat =
        criteria && *criteria ? cchc_criteria_load (criteria, err, sizeof err) : NULL;
    err [0] = 0; /* no catalogue: the indicators' codes instead */
    int rc = 0;
    char *data = NULL;
    size_t size = 0;
    const char *tmp = getenv ("TMPDIR");
    if (strcmp (format, "csv") == 0 || strcmp (format, "xlsx") == 0) {
        if (cchc_present_national_export (
                r, cat, strcmp (format, "csv") == 0 ? CCHC_EXPORT_CSV : CCHC_EXPORT_XLSX,
                tmp && *tmp ? tmp : "/tmp", &data, &size, err, sizeof err)
            != 0)
            rc = 1;
        else
            rc = s_write_out (out, data, size);
        free (data);
        data = NULL;
    }
    if (rc == 0 && pdf
        && cchc_present_national_pdf (r, cat, cchc_clock_now_ms (), pdf, err, sizeof err) != 0)
        rc = 1;
    if (rc == 0 && html) {
        if (cchc_present_national_html (r, cat, cchc_clock_now_ms (), true, &data, &size, err,
                                        sizeof err)
            != 0)
            rc = 1;
        else
            rc = s_write_out (html, data, size);
        free (data);
    }
    if (rc != 0 && *err)
        fprintf (stderr, "cchcctl: %s\n", err);
    cchc_criteria_destroy (&cat);
    return rc;
}

/*  What `national rank` (period) or `national province` (province) asks. */
typedef struct {
    const cchc_period_t *period; /* rank: the period */
    int deadline_day;            /* rank: day of the reporting deadline */
    const char *province;        /* province: its code, NULL for rank */
    const char *period_id;       /* province: the period's id */
    int64_t version;             /* province: the version, 0 the latest */
} s_query_t;

/*  The national ranking or a province's figures as JSON, read from the
    database.  NULL (the reason printed) on error. */
static json_t *
s_query (const cchc_collector_conf_t *conf, const s_query_t *q)
{
    sqlite3 *db = s_db (conf, true);
    if (!db)
        return NULL;
    char err [512];
    json_t *r = NULL;
    int rc = q->province
                 ? cchc_national_province (db, q->province, q->period_id, q->version, &r, err,
                                           sizeof err)
                 : cchc_national_rank (db, q->period, q->deadline_day, &r, err, sizeof err);
    sqlite3_close (db);
    if (rc != 0) {
        fprintf (stderr, "cchcctl: %s\n", err);
        return NULL;
    }
    return r;
}

static int
s_rank (const cchc_collector_conf_t *conf, const char *criteria, int argc, char **argv)
{
    const char *period_text = NULL, *format = "table", *out = NULL, *pdf = NULL, *html = NULL;
    int64_t deadline = conf->national_deadline_day;
    const s_option_t opts [] = { S_TEXT ("--period", &period_text),
                                 S_TEXT ("--format", &format),
                                 S_TEXT ("--out", &out),
                                 S_TEXT ("--pdf", &pdf),
                                 S_TEXT ("--html", &html),
                                 S_NUMBER ("--deadline-day", &deadline, 1, 31),
                                 S_END };
    if (s_options (argc, argv, opts))
        return 2;
    cchc_period_t period;
    bool file = strcmp (format, "csv") == 0 || strcmp (format, "xlsx") == 0;
    if (!period_text || cchc_period_parse (period_text, &period) != 0
        || (!file && strcmp (format, "table") != 0 && strcmp (format, "json") != 0)
        || (strcmp (format, "xlsx") == 0 && !out) || (out && !file))
        return 2;
    json_t *r =
        s_query (conf, &(s_query_t){ .period = &period, .deadline_day = (int) deadline });
    if (!r)
        return 1;
    int rc = 0;
    if (file || pdf || html) {
        char path [CCHC_COLLECTOR_PATH_MAX + 32] = "";
        cchc_collector_conf_criteria_path (conf, criteria, path, sizeof path);
        rc = s_rank_files (r, path, file ? format : "", out, pdf, html);
    }
    else if (strcmp (format, "json") == 0) {
        char *s = json_dumps (r, JSON_INDENT (2));
        puts (s);
        free (s);
    }
    else
        s_rank_table (r, period_text);
    json_decref (r);
    return rc;
}

static int
s_province (const cchc_collector_conf_t *conf, int argc, char **argv)
{
    const char *province = NULL, *period = NULL;
    int64_t version = 0;
    const s_option_t opts [] = { S_TEXT ("--province", &province),
                                 S_TEXT ("--period", &period),
                                 S_NUMBER ("--version", &version, 1, UINT32_MAX), S_END };
    if (s_options (argc, argv, opts))
        return 2;
    if (!province || !period)
        return 2;
    json_t *r = s_query (
        conf, &(s_query_t){ .province = province, .period_id = period, .version = version });
    if (!r)
        return 1;
    char *s = json_dumps (r, JSON_INDENT (2));
    puts (s);
    free (s);
    json_decref (r);
    return 0;
}

/*  One line of `national versions`. */
static int
s_version_print (const cchc_db_national_version_t *v, void *arg)
{
    (void) arg;
    printf ("%s %s %lld %lld/%lld %s %lld %lld\n", v->province, v->period,
            (long long) v->version, (long long) v->parts_in, (long long) v->parts,
            v->complete ? "yes" : "no", (long long) v->journal, (long long) v->units_total);
    return 0;
}

static int
s_versions (const cchc_collector_conf_t *conf, int argc, char **argv)
{
    const char *period = NULL;
    const s_option_t opts [] = { S_TEXT ("--period", &period), S_END };
    if (s_options (argc, argv, opts))
        return 2;
    sqlite3 *db = s_db (conf, true);
    if (!db)
        return 1;
    printf ("province period version parts complete journal units\n");
    int rc = cchc_db_national_versions_each (db, period, s_version_print, NULL);
    if (rc != 0)
        fprintf (stderr, "cchcctl: %s\n", sqlite3_errmsg (db));
    sqlite3_close (db);
    return rc != 0 ? 1 : 0;
}

int
cchc_national_ctl_audit (const cchc_collector_conf_t *conf)
{
    sqlite3 *db = s_db (conf, false);
    if (!db)
        return 1;
    if (!cchc_db_national_held (db)) {
        sqlite3_close (db);
        return 0;
    }
    int64_t messages = 0, problems = 0;
    char err [512];
    int rc = cchc_national_audit (db, stdout, &messages, &problems, err, sizeof err);
    sqlite3_close (db);
    if (rc != 0) {
        fprintf (stderr, "cchcctl: %s\n", err);
        return 1;
    }
    printf ("national: %" PRId64 " figures messages re-verified, %" PRId64 " problems\n",
            messages, problems);
    return problems ? 1 : 0;
}

/*  One dead letter of the upstream outbox: a figures message the national
    collector refused (its seq, when, the reason). */
static int
s_print_dead (void *arg, const cchc_outbox_dead_t *d)
{
    int *count = arg;
    if ((*count)++ == 0)
        printf ("refused by the national collector (seq, when, why; the collector's log "
                "names the period of each seq):\n");
    char at [32];
    cchc_clock_format_iso (d->at_ms, at, sizeof at);
    printf ("  %-8" PRIu64 " %s  %s\n", d->seq, at, d->detail);
    return 0;
}

static int
s_upstream (const cchc_collector_conf_t *conf, const char *sub, int argc, char **argv)
{
    (void) argv;
    if (argc != 0)
        return 2;
    char outbox_path [CCHC_COLLECTOR_PATH_MAX + 32];
    if (*conf->upstream_outbox)
        snprintf (outbox_path, sizeof outbox_path, "%s", conf->upstream_outbox);
    else
        snprintf (outbox_path, sizeof outbox_path, "%s/upstream.outbox", conf->state_dir);
    char err [512];
    bool queue = strcmp (sub, "queue") == 0;
    if (!queue && strcmp (sub, "status") != 0)
        return 2;
    cchc_outbox_t *outbox = cchc_outbox_open (outbox_path, queue, err, sizeof err);
    if (!outbox) {
        fprintf (stderr, "cchcctl: %s\n", err);
        return 1;
    }
    int rc = 0;
    if (queue) {
        char key_path [CCHC_COLLECTOR_PATH_MAX + 32];
        if (*conf->upstream_key)
            snprintf (key_path, sizeof key_path, "%s", conf->upstream_key);
        else
            cchc_collector_conf_key_path (conf, key_path, sizeof key_path);
        cchc_key_t *key = cchc_key_load (key_path, err, sizeof err);
        sqlite3 *db = key ? s_db (conf, false) : NULL;
        size_t versions = 0, messages = 0;
        if (!key)
            fprintf (stderr, "cchcctl: %s\n", err);
        if (!key || !db
            || cchc_upstream_queue (db, outbox, key, conf->upstream_province,
                                    cchc_clock_now_ms (), &versions, &messages, err,
                                    sizeof err)
                   != 0) {
            if (key && db)
                fprintf (stderr, "cchcctl: %s\n", err);
            rc = 1;
        }
        else
            printf ("queued %zu versions (%zu messages)\n", versions, messages);
        sqlite3_close (db);
        cchc_key_destroy (&key);
    }
    else {
        cchc_outbox_stats_t stats;
        if (cchc_outbox_stats (outbox, &stats, err, sizeof err) != 0) {
            fprintf (stderr, "cchcctl: %s\n", err);
            rc = 1;
        }
        else {
            printf ("messages waiting: %" PRId64 "\ndead letters: %" PRId64
                    "\nnext seq: %" PRIu64 "\n",
                    stats.messages, stats.dead, stats.next_seq);
            int count = 0;
            if (stats.dead > 0
                && cchc_outbox_dead_each (outbox, s_print_dead, &count, err, sizeof err)
                       != 0) {
                fprintf (stderr, "cchcctl: %s\n", err);
                rc = 1;
            }
        }
    }
    cchc_outbox_destroy (&outbox);
    return rc;
}

static int
s_prove (const cchc_collector_conf_t *conf, const char *criteria, int argc, char **argv)
{
    const char *pdb = NULL, *province = NULL, *period = NULL;
    int64_t version = 0;
    const s_option_t opts [] = { S_TEXT ("--province-db", &pdb),
                                 S_TEXT ("--province", &province),
                                 S_TEXT ("--period", &period),
                                 S_NUMBER ("--version", &version, 1, UINT32_MAX), S_END };
    if (s_options (argc, argv, opts))
        return 2;
    if (!pdb || !province || !period || !criteria)
        return 2;
    sqlite3 *db = s_db (conf, false);
    if (!db)
        return 1;
    char err [512];
    int64_t units = 0, diffs = 0;
    int rc = cchc_national_prove (db, pdb, criteria, province, period, version, stdout, &units,
                                  &diffs, err, sizeof err);
    sqlite3_close (db);
    if (rc != 0) {
        fprintf (stderr, "cchcctl: %s\n", err);
        return 1;
    }
    if (diffs)
        printf ("NOT proved: %" PRId64 " differences over %" PRId64 " units\n", diffs, units);
    else
        printf ("proved: all %" PRId64 " units equal what the journal produces\n", units);
    return diffs ? 1 : 0;
}

int
cchc_national_ctl (const cchc_collector_conf_t *conf, const char *criteria, const char *cmd,
                   int argc, char **argv)
{
    if (strcmp (cmd, "upstream") == 0)
        return argc >= 1 ? s_upstream (conf, argv [0], argc - 1, argv + 1) : 2;
    if (argc < 1)
        return 2;
    const char *sub = argv [0];
    argc--;
    argv++;
    if (strcmp (sub, "catalogue") == 0)
        return s_catalogue (argc, argv);
    if (strcmp (sub, "rank") == 0)
        return s_rank (conf, criteria, argc, argv);
    if (strcmp (sub, "province") == 0)
        return s_province (conf, argc, argv);
    if (strcmp (sub, "versions") == 0)
        return s_versions (conf, argc, argv);
    if (strcmp (sub, "audit") == 0)
        return argc == 0 ? cchc_national_ctl_audit (conf) : 2;
    if (strcmp (sub, "prove") == 0)
        return s_prove (conf, criteria, argc, argv);
    return 2;
}
