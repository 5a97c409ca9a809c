/*  prove.c — the national proofs of `cchcctl`: `national audit` verifies
    every stored signed message again and compares it with the rows kept
    from it; `national prove` shows that the figures the Ministry
    holds for a province's period equal what that province's journal, up to
    the journal position stated in the signed message, produces.

    How: a scratch database gets the province's unit and agent tables and
    its journal rows with id <= the stated position; every report among
    them is decoded again and its observations (those not refused at ingest,
    journal.refused) are replayed in journal order with the collector's rule
    (last writer wins by seq, PROTOCOL.md §10.2); the period is rolled up
    from that (collector/rollup.h) with the catalogue given, whose SHA-256
    must be the one in the message, as of the lock time; each unit's index,
    points and flags are compared with the stored national rows.

    Exit status of the command: 0 proved, 1 a difference or an error. */
#include "collector/national/prove.h"
#include "collector/national/national.h"
#include "collector/figures/rollup.h"
#include "collector/db/db.h"
#include "collector/upstream/upstream.h"

#include "common/text.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool
s_refused (const char *refused, uint32_t index)
{
    /*  'index:reason,index:reason' ascending */
    for (const char *p = refused; p && *p;) {
        char *end;
        unsigned long i = strtoul (p, &end, 10);
        if (end == p)
            break;
        if (i == index)
            return true;
        p = strchr (end, ',');
        if (p)
            p++;
    }
    return false;
}

/*  Replay the journal of the attached database `p` up to `journal`. */
static int
s_replay (sqlite3 *db, int64_t journal, char *err, size_t errlen)
{
    char *msg = NULL;
    char sql [512];
    snprintf (sql, sizeof sql,
              "INSERT INTO unit SELECT * FROM p.unit;"
              "INSERT INTO agent SELECT * FROM p.agent;"
              "INSERT INTO journal SELECT * FROM p.journal WHERE id <= %lld;",
              (long long) journal);
    if (sqlite3_exec (db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        cchc_errf (err, errlen, "copying the province's tables: %s", msg ? msg : "");
        sqlite3_free (msg);
        return -1;
    }
    sqlite3_stmt *rd = NULL, *wr = NULL;
    if (sqlite3_prepare_v2 (db,
                            "SELECT j.id, j.agent, j.seq, j.body, j.refused, a.unit "
                            "FROM journal j JOIN agent a ON a.id = j.agent ORDER BY j.id",
                            -1, &rd, NULL)
            != SQLITE_OK
        || sqlite3_prepare_v2 (
               db,
               "INSERT INTO observation (agent, unit, metric, day, value, "
               "seq, journal) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (agent, day, metric) "
               "DO UPDATE SET unit = excluded.unit, value = excluded.value, seq = "
               "excluded.seq, "
               "journal = excluded.journal WHERE excluded.seq > observation.seq",
               -1, &wr, NULL)
               != SQLITE_OK) {
        cchc_errf (err, errlen, "replay: %s", sqlite3_errmsg (db));
        sqlite3_finalize (rd);
        return -1;
    }
    int rc = 0;
    while (rc == 0 && sqlite3_step (rd) == SQLITE_ROW) {
        cchc_report_t r;
        const uint8_t *body = sqlite3_column_blob (rd, 3);
        int reason = cchc_report_decode (body, (size_t) sqlite3_column_bytes (rd, 3), &r);
        if (reason != CCHC_REASON_NONE) {
            cchc_errf (err, errlen, "journal %lld does not decode: %s",
                       (long long) sqlite3_column_int64 (rd, 0), cchc_reason_name (reason));
            rc = -1;
            break;
        }
        const char *refused = (const char *) sqlite3_column_text (rd, 4);
        for (uint32_t i = 0; i < r.nobs && rc == 0; i++) {
            if (s_refused (refused, i))
                continue;
            sqlite3_reset (wr);
            sqlite3_bind_int64 (wr, 1, sqlite3_column_int64 (rd, 1));
            sqlite3_bind_text (wr, 2, (const char *) sqlite3_column_text (rd, 5), -1,
                               SQLITE_TRANSIENT);
            sqlite3_bind_text (wr, 3, r.obs [i].metric, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64 (wr, 4, cchc_date_to_yyyymmdd (r.obs [i].date));
            if (r.obs [i].is_float)
                sqlite3_bind_double (wr, 5, r.obs [i].fval);
            else
                sqlite3_bind_int64 (wr, 5, r.obs [i].ival);
            sqlite3_bind_int64 (wr, 6, sqlite3_column_int64 (rd, 2));
            sqlite3_bind_int64 (wr, 7, sqlite3_column_int64 (rd, 0));
            if (sqlite3_step (wr) != SQLITE_DONE) {
                cchc_errf (err, errlen, "replay: %s", sqlite3_errmsg (db));
                rc = -1;
            }
        }
        cchc_report_clear (&r);
    }
    sqlite3_finalize (rd);
    sqlite3_finalize (wr);
    return rc;
}

/*  Reads the catalogue file whole into *text (malloc'd, NUL-terminated). */
static int
s_catalogue_read (const char *path, char **text, size_t *len, char *err, size_t errlen)
{
    *text = NULL;
    FILE *f = fopen (path, "rb");
    long n = -1;
    int rc = -1;
    if (f && fseek (f, 0, SEEK_END) == 0 && (n = ftell (f)) >= 0 && fseek (f, 0, SEEK_SET) == 0
        && (*text = malloc ((size_t) n + 1))
        && fread (*text, 1, (size_t) n, f) == (size_t) n) {
        (*text) [n] = 0;
        *len = (size_t) n;
        rc = 0;
    }
    else {
        cchc_errf (err, errlen, "cannot read %s", path);
        free (*text);
        *text = NULL;
    }
    if (f)
        fclose (f);
    return rc;
}

/*  0 when the catalogue text's SHA-256 is the one of the signed version. */
static int
s_catalogue_check (sqlite3 *national, const char *province, const char *period,
                   int64_t version, const char *path, const char *text, size_t len, char *err,
                   size_t errlen)
{
    uint8_t hash [32], want [32];
    cchc_upstream_catalogue_hash (text, len, hash);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2 (national,
                            "SELECT catalogue FROM national_version WHERE "
                            "province = ? AND period = ? AND version = ?",
                            -1, &st, NULL)
        != SQLITE_OK) {
        cchc_errf (err, errlen, "%s", sqlite3_errmsg (national));
        return -1;
    }
    sqlite3_bind_text (st, 1, province, -1, SQLITE_STATIC);
    sqlite3_bind_text (st, 2, period, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (st, 3, version);
    bool same =
        sqlite3_step (st) == SQLITE_ROW && sqlite3_column_bytes (st, 0) == 32
        && (memcpy (want, sqlite3_column_blob (st, 0), 32), memcmp (want, hash, 32) == 0);
    sqlite3_finalize (st);
    if (!same) {
        cchc_errf (err, errlen,
                   "%s is not the catalogue the figures were computed with "
                   "(its SHA-256 differs from the signed message's)",
                   path);
        return -1;
    }
    return 0;
}

/*  Opens the scratch database `path` and fills it with the province's
    journal replayed up to `journal`.  NULL on error. */
static cchc_db_t *
s_scratch_open (const char *path, const char *province_db, int64_t journal, char *err,
                size_t errlen)
{
    unlink (path);
    cchc_db_t *scratch = cchc_db_open (path, true, err, errlen);
    if (!scratch)
        return NULL;
    sqlite3 *db = cchc_db_handle (scratch);
    char *uri = sqlite3_mprintf ("ATTACH 'file:%q?mode=ro' AS p", province_db);
    char *msg = NULL;
    if (sqlite3_exec (db, "PRAGMA foreign_keys = OFF", NULL, NULL, NULL) != SQLITE_OK
        || sqlite3_exec (db, uri, NULL, NULL, &msg) != SQLITE_OK) {
        cchc_errf (err, errlen, "%s: %s", province_db, msg ? msg : sqlite3_errmsg (db));
        sqlite3_free (msg);
        sqlite3_free (uri);
        cchc_db_destroy (&scratch);
        return NULL;
    }
    sqlite3_free (uri);
    sqlite3_exec (db, "BEGIN", NULL, NULL, NULL);
    int replayed = s_replay (db, journal, err, errlen);
    sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);
    if (replayed != 0)
        cchc_db_destroy (&scratch);
    return scratch;
}

/*  Removes the scratch database and its WAL side files. */
static void
s_scratch_remove (const char *path)
{
    char side [640];
    unlink (path);
    snprintf (side, sizeof side, "%s-wal", path);
    unlink (side);
    snprintf (side, sizeof side, "%s-shm", path);
    unlink (side);
}

/*  Compares each unit the Ministry holds with the replayed roll-up, writing
    the differences to `out`. */
static void
s_compare (const json_t *held, const cchc_rollup_t *r, FILE *out, int64_t *units,
           int64_t *diffs)
{
    size_t i;
    json_t *u;
    json_array_foreach (json_object_get (held, "units"), i, u)
    {
        (*units)++;
        const char *code = json_string_value (json_object_get (u, "code"));
        int k = cchc_rollup_unit_find (r, code);
        if (k < 0) {
            fprintf (out, "  %s: held by the Ministry, not produced by the journal\n", code);
            (*diffs)++;
            continue;
        }
        const cchc_rollup_unit_result_t *x = &r->units [k];
        double held_index = json_number_value (json_object_get (u, "index"));
        double index = x->has_index ? x->index : 0;
        bool ok =
            fabs (index - held_index) < 1e-6
            && fabs (x->earned - json_number_value (json_object_get (u, "earned"))) < 1e-6
            && fabs (x->applicable - json_number_value (json_object_get (u, "applicable")))
                   < 1e-6
            && x->has_index == json_is_true (json_object_get (u, "has_index"))
            && x->complete == json_is_true (json_object_get (u, "complete"))
            && x->on_time == json_is_true (json_object_get (u, "on_time"));
        if (!ok) {
            fprintf (out, "  %s: the Ministry holds index %.6f, the journal gives %.6f\n",
                     code, held_index, index);
            (*diffs)++;
        }
    }
    if ((size_t) *units != r->unit_count) {
        fprintf (out, "  the journal gives %zu units, the Ministry holds %lld\n",
                 r->unit_count, (long long) *units);
        (*diffs)++;
    }
}

int
cchc_national_prove (sqlite3 *national, const char *province_db, const char *criteria_path,
                     const char *province, const char *period, int64_t version, FILE *out,
                     int64_t *units, int64_t *diffs, char *err, size_t errlen)
{
    *units = 0;
    *diffs = 0;
    cchc_period_t p;
    if (cchc_period_parse (period, &p) != 0) {
        cchc_errf (err, errlen, "bad period '%s'", period);
        return -1;
    }
    json_t *held = NULL;
    if (cchc_national_province (national, province, period, version, &held, err, errlen) != 0)
        return -1;
    version = json_integer_value (json_object_get (held, "version"));
    int64_t journal = json_integer_value (json_object_get (held, "journal"));
    int64_t locked_at = json_integer_value (json_object_get (held, "locked_at"));

    /*  The catalogue must be the one the figures were computed with. */
    int rc = -1;
    char *text = NULL;
    size_t n = 0;
    cchc_criteria_t *cat = NULL;
    cchc_db_t *scratch = NULL;
    cchc_rollup_t *r = NULL;
    char path [600] = "";
    if (s_catalogue_read (criteria_path, &text, &n, err, errlen) != 0
        || s_catalogue_check (national, province, period, version, criteria_path, text, n, err,
                              errlen)
               != 0)
        goto done;
    cat = cchc_criteria_load_string (criteria_path, text, n, err, errlen);
    if (!cat)
        goto done;
    snprintf (path, sizeof path, "%s/cchc-prove-%d.db",
              getenv ("TMPDIR") ? getenv ("TMPDIR") : "/tmp", (int) getpid ());
    scratch = s_scratch_open (path, province_db, journal, err, errlen);
    if (!scratch)
        goto done;
    r = cchc_rollup_load (cchc_db_handle (scratch), cat, &p, locked_at, false, err, errlen);
    if (!r)
        goto done;
    fprintf (out, "%s %s version %lld: the journal of %s replayed up to position %lld\n",
             province, period, (long long) version, province_db, (long long) journal);
    s_compare (held, r, out, units, diffs);
    rc = 0;
done:
    cchc_rollup_destroy (&r);
    cchc_criteria_destroy (&cat);
    cchc_db_destroy (&scratch);
    if (*path)
        s_scratch_remove (path);
    free (text);
    json_decref (held);
    return rc;
}

/* ------------------------------------------------------------------------ */
/*  Audit                                                                    */

int
cchc_national_audit (sqlite3 *db, FILE *out, int64_t *messages, int64_t *problems, char *err,
                     size_t errlen)
{
    *messages = 0;
    *problems = 0;
    sqlite3_stmt *st, *ust;
    if (sqlite3_prepare_v2 (db,
                            "SELECT m.id, a.pubkey, a.unit, m.seq, m.province, m.period, "
                            "m.version, m.part, m.body, m.sig FROM national_message m "
                            "LEFT JOIN agent a ON a.id = m.agent ORDER BY m.id",
                            -1, &st, NULL)
            != SQLITE_OK
        || sqlite3_prepare_v2 (db,
                               "SELECT idx, flags, rank FROM national_unit WHERE "
                               "province = ? AND period = ? AND version = ? AND code = ?",
                               -1, &ust, NULL)
               != SQLITE_OK) {
        cchc_errf (err, errlen, "national tables: %s", sqlite3_errmsg (db));
        return -1;
    }
    while (sqlite3_step (st) == SQLITE_ROW) {
        (*messages)++;
        int64_t id = sqlite3_column_int64 (st, 0);
        const uint8_t *pk = sqlite3_column_blob (st, 1);
        const uint8_t *body = sqlite3_column_blob (st, 8);
        const uint8_t *sig = sqlite3_column_blob (st, 9);
        size_t len = (size_t) sqlite3_column_bytes (st, 8);
        const char *prov = (const char *) sqlite3_column_text (st, 4);
        const char *period = (const char *) sqlite3_column_text (st, 5);
        if (!pk || sqlite3_column_bytes (st, 1) != 32 || !sig
            || sqlite3_column_bytes (st, 9) != 64 || !body) {
            fprintf (out, "message %lld: no enrolled key or damaged row\n", (long long) id);
            (*problems)++;
            continue;
        }
        cchc_provfig_t f;
        int rc = cchc_provfig_open (pk, body, len, sig, &f);
        if (rc != CCHC_REASON_NONE) {
            fprintf (out, "message %lld (%s %s): does not verify: %s\n", (long long) id, prov,
                     period, cchc_reason_name (rc));
            (*problems)++;
            continue;
        }
        if ((int64_t) f.seq != sqlite3_column_int64 (st, 3) || strcmp (f.code, prov) != 0
            || strcmp (f.period, period) != 0
            || (int64_t) f.version != sqlite3_column_int64 (st, 6)
            || (int64_t) f.part != sqlite3_column_int64 (st, 7)) {
            fprintf (out, "message %lld: its columns differ from the signed body\n",
                     (long long) id);
            (*problems)++;
        }
        for (uint32_t i = 0; i < f.nunits; i++) {
            sqlite3_reset (ust);
            sqlite3_bind_text (ust, 1, f.code, -1, SQLITE_STATIC);
            sqlite3_bind_text (ust, 2, f.period, -1, SQLITE_STATIC);
            sqlite3_bind_int64 (ust, 3, (int64_t) f.version);
            sqlite3_bind_text (ust, 4, f.units [i].code, -1, SQLITE_STATIC);
            if (sqlite3_step (ust) != SQLITE_ROW
                || sqlite3_column_double (ust, 0) != f.units [i].index
                || sqlite3_column_int64 (ust, 1) != f.units [i].flags
                || sqlite3_column_int64 (ust, 2) != f.units [i].rank) {
                fprintf (out,
                         "message %lld (%s %s v%llu): unit %s differs from the signed "
                         "body\n",
                         (long long) id, f.code, f.period, (unsigned long long) f.version,
                         f.units [i].code);
                (*problems)++;
            }
        }
        cchc_provfig_clear (&f);
    }
    sqlite3_finalize (st);
    sqlite3_finalize (ust);
    return 0;
}
