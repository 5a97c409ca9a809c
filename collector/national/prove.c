/*  prove.c — `cchcctl national prove`: shows that the figures the Ministry
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
    cchc_criteria_t *cat = NULL;
    cchc_db_t *scratch = NULL;
    cchc_rollup_t *r = NULL;
    char path [600] = "";
    FILE *f = fopen (criteria_path, "rb");
    long n = -1;
    if (f && fseek (f, 0, SEEK_END) == 0 && (n = ftell (f)) >= 0 && fseek (f, 0, SEEK_SET) == 0
        && (text = malloc ((size_t) n + 1)) && fread (text, 1, (size_t) n, f) == (size_t) n)
        text [n] = 0;
    else {
        cchc_errf (err, errlen, "cannot read %s", criteria_path);
        goto done;
    }
    uint8_t hash [32], want [32];
    cchc_upstream_catalogue_hash (text, (size_t) n, hash);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2 (national,
                            "SELECT catalogue FROM national_version WHERE "
                            "province = ? AND period = ? AND version = ?",
                            -1, &st, NULL)
        != SQLITE_OK) {
        cchc_errf (err, errlen, "%s", sqlite3_errmsg (national));
        goto done;
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
                   criteria_path);
        goto done;
    }
    cat = cchc_criteria_load_string (criteria_path, text, (size_t) n, err, errlen);
    if (!cat)
        goto done;

    snprintf (path, sizeof path, "%s/cchc-prove-%d.db",
              getenv ("TMPDIR") ? getenv ("TMPDIR") : "/tmp", (int) getpid ());
    unlink (path);
    scratch = cchc_db_open (path, true, err, errlen);
    if (!scratch)
        goto done;
    sqlite3 *db = cchc_db_handle (scratch);
    char *uri = sqlite3_mprintf ("ATTACH 'file:%q?mode=ro' AS p", province_db);
    char *msg = NULL;
    if (sqlite3_exec (db, "PRAGMA foreign_keys = OFF", NULL, NULL, NULL) != SQLITE_OK
        || sqlite3_exec (db, uri, NULL, NULL, &msg) != SQLITE_OK) {
        cchc_errf (err, errlen, "%s: %s", province_db, msg ? msg : sqlite3_errmsg (db));
        sqlite3_free (msg);
        sqlite3_free (uri);
        goto done;
    }
    sqlite3_free (uri);
    sqlite3_exec (db, "BEGIN", NULL, NULL, NULL);
    int replayed = s_replay (db, journal, err, errlen);
    sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);
    if (replayed != 0)
        goto done;
    r = cchc_rollup_load (db, cat, &p, locked_at, false, err, errlen);
    if (!r)
        goto done;
    fprintf (out, "%s %s version %lld: the journal of %s replayed up to position %lld\n",
             province, period, (long long) version, province_db, (long long) journal);
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
    rc = 0;
done:
    cchc_rollup_destroy (&r);
    cchc_criteria_destroy (&cat);
    cchc_db_destroy (&scratch);
    if (*path) {
        char side [640];
        unlink (path);
        snprintf (side, sizeof side, "%s-wal", path);
        unlink (side);
        snprintf (side, sizeof side, "%s-shm", path);
        unlink (side);
    }
    free (text);
    if (f)
        fclose (f);
    json_decref (held);
    return rc;
}
