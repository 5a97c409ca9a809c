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
#include "collector/db/national.h"
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

/*  What the replay walks with: the scratch database, the error. */
typedef struct {
    cchc_db_t *scratch;
    char *err;
    size_t errlen;
} s_replay_t;

/*  One journal row replayed: its observations not refused at ingest
    written with the collector's rule (cchc_db_observation_put).  0, or -1
    with err. */
static int
s_replay_row (const cchc_db_national_journal_t *row, void *arg)
{
    s_replay_t *rp = arg;
    cchc_report_t r;
    int reason = cchc_report_decode (row->body, row->body_len, &r);
    if (reason != CCHC_REASON_NONE) {
        cchc_errf (rp->err, rp->errlen, "journal %lld does not decode: %s",
                   (long long) row->id, cchc_reason_name (reason));
        return -1;
    }
    int rc = 0;
    for (uint32_t i = 0; i < r.nobs && rc == 0; i++) {
        if (s_refused (row->refused, i))
            continue;
        if (cchc_db_observation_put (rp->scratch, row->agent, row->unit, &r.obs [i],
                                     (uint64_t) row->seq, row->id)
            != 0) {
            cchc_errf (rp->err, rp->errlen, "replay: %s", cchc_db_errmsg (rp->scratch));
            rc = -1;
        }
    }
    cchc_report_clear (&r);
    return rc;
}

/*  Replay the scratch database's journal (in one transaction). */
static int
s_replay (cchc_db_t *scratch, char *err, size_t errlen)
{
    s_replay_t rp = { scratch, err, errlen };
    *err = 0;
    if (cchc_db_begin (scratch) != 0) {
        cchc_errf (err, errlen, "replay: %s", cchc_db_errmsg (scratch));
        return -1;
    }
    int rc = cchc_db_national_journal_each (cchc_db_handle (scratch), s_replay_row, &rp);
    if (rc != 0 && !*err)
        cchc_errf (err, errlen, "replay: %s", sqlite3_errmsg (cchc_db_handle (scratch)));
    if (cchc_db_commit (scratch) != 0 && rc == 0) {
        cchc_errf (err, errlen, "replay: %s", cchc_db_errmsg (scratch));
        rc = -1;
    }
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
    uint8_t hash [32];
    cchc_upstream_catalogue_hash (text, len, hash);
    cchc_db_national_version_t v;
    int found = cchc_db_national_version_get (national, province, period, version, &v, NULL);
    if (found < 0) {
        cchc_errf (err, errlen, "%s", sqlite3_errmsg (national));
        return -1;
    }
    bool same = found == 1 && memcmp (v.catalogue, hash, 32) == 0;
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
    if (cchc_db_national_scratch_fill (scratch, province_db, journal, err, errlen) != 0
        || s_replay (scratch, err, errlen) != 0)
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

/*  What the audit walks with: the database, where problems are told, the
    counts. */
typedef struct {
    sqlite3 *db;
    FILE *out;
    int64_t *messages, *problems;
} s_audit_t;

/*  The stored rows of a verified message's units against its body. */
static void
s_audit_units (s_audit_t *a, int64_t id, const cchc_provfig_t *f)
{
    for (uint32_t i = 0; i < f->nunits; i++) {
        double index = 0;
        int64_t flags = 0, rank = 0;
        if (cchc_db_national_unit_find (a->db, f->code, f->period, (int64_t) f->version,
                                        f->units [i].code, &index, &flags, &rank)
                != 1
            || index != f->units [i].index || flags != f->units [i].flags
            || rank != f->units [i].rank) {
            fprintf (a->out,
                     "message %lld (%s %s v%llu): unit %s differs from the signed "
                     "body\n",
                     (long long) id, f->code, f->period, (unsigned long long) f->version,
                     f->units [i].code);
            (*a->problems)++;
        }
    }
}

/*  One stored message verified again and compared with its rows. */
static int
s_audit_message (const cchc_db_national_message_t *m, void *arg)
{
    s_audit_t *a = arg;
    (*a->messages)++;
    if (!m->pubkey || !m->sig || !m->body) {
        fprintf (a->out, "message %lld: no enrolled key or damaged row\n", (long long) m->id);
        (*a->problems)++;
        return 0;
    }
    cchc_provfig_t f;
    int rc = cchc_provfig_open (m->pubkey, m->body, m->body_len, m->sig, &f);
    if (rc != CCHC_REASON_NONE) {
        fprintf (a->out, "message %lld (%s %s): does not verify: %s\n", (long long) m->id,
                 m->province, m->period, cchc_reason_name (rc));
        (*a->problems)++;
        return 0;
    }
    if ((int64_t) f.seq != m->seq || strcmp (f.code, m->province) != 0
        || strcmp (f.period, m->period) != 0 || (int64_t) f.version != m->version
        || (int64_t) f.part != m->part) {
        fprintf (a->out, "message %lld: its columns differ from the signed body\n",
                 (long long) m->id);
        (*a->problems)++;
    }
    s_audit_units (a, m->id, &f);
    cchc_provfig_clear (&f);
    return 0;
}

int
cchc_national_audit (sqlite3 *db, FILE *out, int64_t *messages, int64_t *problems, char *err,
                     size_t errlen)
{
    *messages = 0;
    *problems = 0;
    s_audit_t a = { db, out, messages, problems };
    if (cchc_db_national_messages_each (db, s_audit_message, &a) != 0) {
        cchc_errf (err, errlen, "national tables: %s", sqlite3_errmsg (db));
        return -1;
    }
    return 0;
}
