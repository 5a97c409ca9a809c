/*  national.c — the statements of the federation (national.h): storing a
    province's figures message, the versions, the ranking's reads, a
    version's units, the audit's walk of the messages, the proof's scratch
    database, and the locked periods a province sends upstream.
*/
#include "collector/db/national.h"
#include "collector/db/db_impl.h"

#include "common/mem.h"
#include "common/text.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/*  The statement `sql` with a version's key — province, period, version —
    bound to parameters 1-3 (province NULL: none bound).  NULL on error. */
static sqlite3_stmt *
s_prepare (sqlite3 *db, const char *sql, const char *province, const char *period,
           int64_t version)
{
    sqlite3_stmt *st = s_prepare_text (db, sql, province);
    if (st && province) {
        sqlite3_bind_text (st, 2, period, -1, SQLITE_STATIC);
        sqlite3_bind_int64 (st, 3, version);
    }
    return st;
}

/*  The same with the version of `f`. */
static sqlite3_stmt *
s_prepare_version (sqlite3 *db, const char *sql, const cchc_provfig_t *f)
{
    return s_prepare (db, sql, f->code, f->period, (int64_t) f->version);
}

/*  Column i as a hash of 32 bytes (zeros when it is not 32 bytes long). */
static void
s_hash (sqlite3_stmt *st, int i, uint8_t out [32])
{
    const void *blob = sqlite3_column_blob (st, i);
    if (blob && sqlite3_column_bytes (st, i) == 32)
        memcpy (out, blob, 32);
    else
        memset (out, 0, 32);
}

/* ------------------------------------------------------------- receiving */

int
cchc_db_national_agent_find (sqlite3 *db, const uint8_t pubkey [32], cchc_db_agent_t *agent)
{
    assert (db && pubkey && agent);
    memset (agent, 0, sizeof *agent);
    sqlite3_stmt *st =
        s_prepare (db, "SELECT id, unit, revoked_at IS NOT NULL FROM agent WHERE pubkey = ?",
                   NULL, NULL, 0);
    if (!st)
        return -1;
    sqlite3_bind_blob (st, 1, pubkey, 32, SQLITE_STATIC);
    int step = sqlite3_step (st);
    if (step == SQLITE_ROW) {
        agent->id = sqlite3_column_int64 (st, 0);
        cchc_strlcpy (agent->unit, s_text (st, 1), sizeof agent->unit);
        agent->revoked = sqlite3_column_int (st, 2) != 0;
    }
    return s_found (st, step);
}

/*  1 when the message is held already (same agent and seq, or same part of
    the same version), 0 not, -1 error. */
static int
s_store_seen (sqlite3 *db, int64_t agent, const cchc_provfig_t *f)
{
    sqlite3_stmt *st = s_prepare (
        db, "SELECT 1 FROM national_message WHERE agent = ? AND seq = ?", NULL, NULL, 0);
    if (!st)
        return -1;
    sqlite3_bind_int64 (st, 1, agent);
    sqlite3_bind_int64 (st, 2, (int64_t) f->seq);
    int rc = s_exists (st);
    if (rc != 0)
        return rc;
    st = s_prepare_version (db,
                            "SELECT 1 FROM national_message WHERE province = ?1 "
                            "AND period = ?2 AND version = ?3 AND part = ?4",
                            f);
    if (!st)
        return -1;
    sqlite3_bind_int64 (st, 4, f->part);
    return s_exists (st);
}

/*  Creates the version's header row from its first part. 0 or -1. */
static int
s_version_insert (sqlite3 *db, const cchc_provfig_t *f, int64_t now)
{
    json_t *ind = json_array ();
    for (uint32_t i = 0; i < f->nindicators; i++)
        json_array_append_new (ind, json_string (f->indicators [i]));
    char *inds = json_dumps (ind, JSON_COMPACT);
    json_decref (ind);
    if (!inds)
        return -1;
    sqlite3_stmt *st = s_prepare_version (db,
                                          "INSERT INTO national_version (province, period, "
                                          "version, parts, parts_in, first_at, locked_at, "
                                          "journal, catalogue, cat_year, structure, "
                                          "units_total, indicators) "
                                          "VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?)",
                                          f);
    if (!st) {
        free (inds);
        return -1;
    }
    sqlite3_bind_int64 (st, 4, f->parts);
    sqlite3_bind_int64 (st, 5, now);
    sqlite3_bind_int64 (st, 6, (int64_t) f->locked_ms);
    sqlite3_bind_int64 (st, 7, (int64_t) f->journal);
    sqlite3_bind_blob (st, 8, f->catalogue, 32, SQLITE_STATIC);
    sqlite3_bind_int64 (st, 9, f->cat_year);
    sqlite3_bind_blob (st, 10, f->structure, 32, SQLITE_STATIC);
    sqlite3_bind_int64 (st, 11, f->units_total);
    sqlite3_bind_text (st, 12, inds, -1, SQLITE_TRANSIENT);
    int rc = s_run (st);
    free (inds);
    return rc;
}

/*  The version's header: the first part creates it; the others must agree
    with it.  0, -1 database error, -2 a part disagreeing. */
static int
s_version_header (sqlite3 *db, const cchc_provfig_t *f, int64_t now)
{
    sqlite3_stmt *st = s_prepare_version (db,
                                          "SELECT parts, journal, catalogue, structure, "
                                          "units_total FROM national_version WHERE "
                                          "province = ? AND period = ? AND version = ?",
                                          f);
    if (!st)
        return -1;
    int step = sqlite3_step (st);
    bool have = step == SQLITE_ROW;
    bool agree = have && sqlite3_column_int64 (st, 0) == f->parts
                 && sqlite3_column_int64 (st, 1) == (int64_t) f->journal
                 && sqlite3_column_bytes (st, 2) == 32
                 && memcmp (sqlite3_column_blob (st, 2), f->catalogue, 32) == 0
                 && sqlite3_column_bytes (st, 3) == 32
                 && memcmp (sqlite3_column_blob (st, 3), f->structure, 32) == 0
                 && sqlite3_column_int64 (st, 4) == f->units_total;
    sqlite3_finalize (st);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return -1;
    if (have)
        return agree ? 0 : -2;
    return s_version_insert (db, f, now);
}

/*  Counts the part in its version, completing the version with its last
    part.  0 or -1. */
static int
s_version_count_part (sqlite3 *db, const cchc_provfig_t *f, int64_t now)
{
    sqlite3_stmt *st =
        s_prepare_version (db,
                           "UPDATE national_version SET parts_in = parts_in + 1, "
                           "complete_at = CASE WHEN parts_in + 1 = parts THEN ?4 "
                           "END WHERE province = ?1 AND period = ?2 "
                           "AND version = ?3",
                           f);
    if (!st)
        return -1;
    sqlite3_bind_int64 (st, 4, now);
    return s_run (st);
}

/*  Keeps the signed message itself, for the audit.  0 or -1. */
static int
s_message_insert (sqlite3 *db, int64_t agent, const cchc_provfig_t *f, const uint8_t *body,
                  size_t len, const uint8_t sig [64], int64_t now)
{
    sqlite3_stmt *st = s_prepare_version (db,
                                          "INSERT INTO national_message (agent, seq, "
                                          "received_at, province, period, version, part, "
                                          "body, sig) VALUES (?4, ?5, ?6, ?1, ?2, ?3, ?7, ?8, "
                                          "?9)",
                                          f);
    if (!st)
        return -1;
    sqlite3_bind_int64 (st, 4, agent);
    sqlite3_bind_int64 (st, 5, (int64_t) f->seq);
    sqlite3_bind_int64 (st, 6, now);
    sqlite3_bind_int64 (st, 7, f->part);
    sqlite3_bind_blob (st, 8, body, (int) len, SQLITE_STATIC);
    sqlite3_bind_blob (st, 9, sig, 64, SQLITE_STATIC);
    return s_run (st);
}

/*  A unit's scores as stored: JSON [[state, value, points, max], ...]. */
static char *
s_scores_json (const cchc_provfig_unit_t *u, uint32_t n)
{
    json_t *a = json_array ();
    for (uint32_t i = 0; i < n; i++)
        json_array_append_new (a, json_pack ("[i, f, f, f]", (int) u->scores [i].state,
                                             u->scores [i].value, u->scores [i].points,
                                             u->scores [i].points_max));
    char *s = json_dumps (a, JSON_COMPACT);
    json_decref (a);
    return s;
}

/*  Stores the part's units.  0 or -1. */
static int
s_units_insert (sqlite3 *db, const cchc_provfig_t *f)
{
    sqlite3_stmt *st = s_prepare_version (
        db,
        "INSERT OR IGNORE INTO national_unit (province, period, "
        "version, code, parent, name, level, flags, idx, earned, applicable, rank, "
        "scores) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        f);
    if (!st)
        return -1;
    int rc = 0;
    for (uint32_t i = 0; i < f->nunits && rc == 0; i++) {
        const cchc_provfig_unit_t *u = &f->units [i];
        char *scores = s_scores_json (u, f->nindicators);
        if (!scores) {
            rc = -1;
            break;
        }
        sqlite3_reset (st);
        sqlite3_bind_text (st, 4, u->code, -1, SQLITE_STATIC);
        sqlite3_bind_text (st, 5, u->parent, -1, SQLITE_STATIC);
        sqlite3_bind_text (st, 6, u->name, -1, SQLITE_STATIC);
        sqlite3_bind_int64 (st, 7, u->level);
        sqlite3_bind_int64 (st, 8, u->flags);
        sqlite3_bind_double (st, 9, u->index);
        sqlite3_bind_double (st, 10, u->earned);
        sqlite3_bind_double (st, 11, u->applicable);
        sqlite3_bind_int64 (st, 12, u->rank);
        sqlite3_bind_text (st, 13, scores, -1, SQLITE_TRANSIENT);
        if (sqlite3_step (st) != SQLITE_DONE)
            rc = -1;
        free (scores);
    }
    sqlite3_finalize (st);
    return rc;
}

/*  Stores the part's province figures.  0 or -1. */
static int
s_figures_insert (sqlite3 *db, const cchc_provfig_t *f)
{
    sqlite3_stmt *st = s_prepare_version (
        db,
        "INSERT OR IGNORE INTO national_figure (province, period, "
        "version, indicator, level, flags, numerator, denominator, value, target, "
        "units, units_missing) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        f);
    if (!st)
        return -1;
    int rc = 0;
    for (uint32_t i = 0; i < f->nfigures && rc == 0; i++) {
        const cchc_provfig_figure_t *g = &f->figures [i];
        sqlite3_reset (st);
        sqlite3_bind_text (st, 4, f->indicators [g->indicator], -1, SQLITE_STATIC);
        sqlite3_bind_int64 (st, 5, g->level);
        sqlite3_bind_int64 (st, 6, g->flags);
        sqlite3_bind_double (st, 7, g->numerator);
        sqlite3_bind_double (st, 8, g->denominator);
        sqlite3_bind_double (st, 9, g->value);
        sqlite3_bind_double (st, 10, g->target);
        sqlite3_bind_int64 (st, 11, g->units);
        sqlite3_bind_int64 (st, 12, g->units_missing);
        if (sqlite3_step (st) != SQLITE_DONE)
            rc = -1;
    }
    sqlite3_finalize (st);
    return rc;
}

int
cchc_db_national_store (sqlite3 *db, int64_t agent, const cchc_provfig_t *f,
                        const uint8_t *body, size_t len, const uint8_t sig [64],
                        int64_t now_ms)
{
    assert (db && f && body && sig);
    int rc = s_store_seen (db, agent, f);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    rc = s_version_header (db, f, now_ms);
    if (rc == -2)
        return -2;
    if (rc != 0 || s_version_count_part (db, f, now_ms) != 0
        || s_message_insert (db, agent, f, body, len, sig, now_ms) != 0
        || s_units_insert (db, f) != 0 || s_figures_insert (db, f) != 0)
        return -1;
    return 1;
}

/* -------------------------------------------------------------- versions */

int
cchc_db_national_version_latest (sqlite3 *db, const char *province, const char *period,
                                 int64_t *version)
{
    assert (db && province && period && version);
    *version = 0;
    sqlite3_stmt *st = s_prepare (db,
                                  "SELECT max(version) FROM national_version WHERE "
                                  "province = ?1 AND period = ?2 AND complete_at IS NOT NULL",
                                  province, period, 0);
    if (!st)
        return -1;
    int step = sqlite3_step (st);
    if (step == SQLITE_ROW)
        *version = sqlite3_column_int64 (st, 0);
    sqlite3_finalize (st);
    return step == SQLITE_ROW || step == SQLITE_DONE ? 0 : -1;
}

/*  The columns of a version row, read by s_version_row. */
#define S_VERSION_COLUMNS                                                            \
    "province, period, version, parts, parts_in, first_at, complete_at, locked_at, " \
    "journal, catalogue, cat_year, structure, units_total, indicators"

static void
s_version_row (sqlite3_stmt *st, cchc_db_national_version_t *row)
{
    memset (row, 0, sizeof *row);
    cchc_strlcpy (row->province, s_text (st, 0), sizeof row->province);
    cchc_strlcpy (row->period, s_text (st, 1), sizeof row->period);
    row->version = sqlite3_column_int64 (st, 2);
    row->parts = sqlite3_column_int64 (st, 3);
    row->parts_in = sqlite3_column_int64 (st, 4);
    row->first_at = sqlite3_column_int64 (st, 5);
    row->complete = sqlite3_column_type (st, 6) != SQLITE_NULL;
    row->complete_at = sqlite3_column_int64 (st, 6);
    row->locked_at = sqlite3_column_int64 (st, 7);
    row->journal = sqlite3_column_int64 (st, 8);
    s_hash (st, 9, row->catalogue);
    row->cat_year = sqlite3_column_int64 (st, 10);
    s_hash (st, 11, row->structure);
    row->units_total = sqlite3_column_int64 (st, 12);
}

int
cchc_db_national_version_get (sqlite3 *db, const char *province, const char *period,
                              int64_t version, cchc_db_national_version_t *row,
                              char **indicators)
{
    assert (db && province && period && row);
    if (indicators)
        *indicators = NULL;
    sqlite3_stmt *st = s_prepare (db,
                                  "SELECT " S_VERSION_COLUMNS " FROM national_version "
                                  "WHERE province = ?1 AND period = ?2 AND version = ?3",
                                  province, period, version);
    if (!st)
        return -1;
    int step = sqlite3_step (st), rc = step == SQLITE_DONE ? 0 : -1;
    if (step == SQLITE_ROW) {
        s_version_row (st, row);
        rc = 1;
        if (indicators && !(*indicators = strdup (s_text (st, 13))))
            rc = -1;
    }
    sqlite3_finalize (st);
    return rc;
}

int
cchc_db_national_versions_each (sqlite3 *db, const char *period,
                                cchc_db_national_version_fn *fn, void *arg)
{
    assert (db && fn);
    sqlite3_stmt *st = s_prepare (db,
                                  "SELECT " S_VERSION_COLUMNS " FROM national_version "
                                  "WHERE ?1 IS NULL OR period = ?1 "
                                  "ORDER BY period, province, version",
                                  NULL, NULL, 0);
    if (!st)
        return -1;
    if (period)
        sqlite3_bind_text (st, 1, period, -1, SQLITE_STATIC);
    int step = SQLITE_DONE, stopped = 0;
    cchc_db_national_version_t row;
    while (!stopped && (step = sqlite3_step (st)) == SQLITE_ROW) {
        s_version_row (st, &row);
        stopped = fn (&row, arg);
    }
    return s_walked (st, step) ? -1 : 0; /* stopped or failed */
}

int
cchc_db_national_held (sqlite3 *db)
{
    assert (db);
    sqlite3_stmt *st = s_prepare (db, "SELECT 1 FROM national_message LIMIT 1", NULL, NULL, 0);
    return st && s_exists (st) == 1 ? 1 : 0;
}

/* --------------------------------------------------------------- ranking */

/*  Fills a province's versions (vst) and, for its highest complete version,
    its units by level (ust). */
static void
s_province_figures (sqlite3_stmt *vst, sqlite3_stmt *ust, const char *period,
                    cchc_db_national_province_t *x)
{
    sqlite3_reset (vst);
    sqlite3_bind_text (vst, 1, x->code, -1, SQLITE_STATIC);
    sqlite3_bind_text (vst, 2, period, -1, SQLITE_STATIC);
    if (sqlite3_step (vst) == SQLITE_ROW) {
        x->version = sqlite3_column_int64 (vst, 0);
        x->versions = sqlite3_column_int64 (vst, 1);
        x->incomplete = sqlite3_column_int64 (vst, 2);
        x->first_complete_at = sqlite3_column_int64 (vst, 3);
    }
    if (x->version <= 0)
        return;
    sqlite3_reset (ust);
    sqlite3_bind_text (ust, 1, x->code, -1, SQLITE_STATIC);
    sqlite3_bind_text (ust, 2, period, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (ust, 3, x->version);
    while (sqlite3_step (ust) == SQLITE_ROW) {
        int level = sqlite3_column_int (ust, 0);
        x->units += sqlite3_column_int64 (ust, 1);
        x->received_at = sqlite3_column_int64 (ust, 4);
        if (level >= 0 && level < 3) {
            x->level_sum [level] = sqlite3_column_double (ust, 2);
            x->level_n [level] = sqlite3_column_int64 (ust, 3);
        }
    }
}

/*  The provinces valid on `day`, by code (their figures not read yet).
    *out malloc'd.  0 or -1. */
static int
s_provinces_list (sqlite3 *db, int32_t day, cchc_db_national_province_t **out, size_t *n)
{
    sqlite3_stmt *st = s_prepare (db,
                                  "SELECT code, name FROM unit WHERE level = 'tinh' "
                                  "AND valid_from <= ?1 AND valid_to >= ?1 ORDER BY code",
                                  NULL, NULL, 0);
    if (!st)
        return -1;
    sqlite3_bind_int64 (st, 1, day);
    size_t cap = 0;
    cchc_db_national_province_t *p = NULL;
    while (sqlite3_step (st) == SQLITE_ROW) {
        if (cchc_grow (&p, &cap, *n, sizeof *p, 64)) {
            free (p);
            sqlite3_finalize (st);
            *n = 0;
            return -1;
        }
        cchc_db_national_province_t *x = &p [(*n)++];
        memset (x, 0, sizeof *x);
        cchc_strlcpy (x->code, s_text (st, 0), sizeof x->code);
        cchc_strlcpy (x->name, s_text (st, 1), sizeof x->name);
    }
    sqlite3_finalize (st);
    *out = p;
    return 0;
}

int
cchc_db_national_provinces (sqlite3 *db, int32_t day, const char *period,
                            cchc_db_national_province_t **out, size_t *n)
{
    assert (db && period && out && n);
    *out = NULL;
    *n = 0;
    cchc_db_national_province_t *p = NULL;
    if (s_provinces_list (db, day, &p, n) != 0)
        return -1;
    sqlite3_stmt *vst = s_prepare (
        db,
        "SELECT max(CASE WHEN complete_at IS NOT NULL THEN version END), "
        "count(*), sum(complete_at IS NULL), min(complete_at) FROM national_version "
        "WHERE province = ? AND period = ?",
        NULL, NULL, 0);
    sqlite3_stmt *ust =
        vst ? s_prepare (db,
                         "SELECT level, count(*), sum(idx) FILTER (WHERE flags "
                         "& 1), count(*) FILTER (WHERE flags & 1), (SELECT "
                         "complete_at FROM national_version v WHERE "
                         "v.province = ?1 AND v.period = ?2 AND v.version = "
                         "?3) FROM national_unit WHERE province = ?1 AND "
                         "period = ?2 AND version = ?3 GROUP BY level",
                         NULL, NULL, 0)
            : NULL;
    if (!ust) {
        sqlite3_finalize (vst);
        free (p);
        *n = 0;
        return -1;
    }
    for (size_t i = 0; i < *n; i++)
        s_province_figures (vst, ust, period, &p [i]);
    sqlite3_finalize (vst);
    sqlite3_finalize (ust);
    *out = p;
    return 0;
}

int
cchc_db_national_plan_each (sqlite3 *db, const char *province, const char *period,
                            int64_t version, cchc_db_national_plan_fn *fn, void *arg)
{
    assert (db && province && period && fn);
    sqlite3_stmt *st =
        s_prepare (db,
                   "SELECT indicator, flags, value, target FROM national_figure "
                   "WHERE province = ? AND period = ? AND version = ? AND "
                   "level = -1 AND flags & 16 ORDER BY indicator",
                   province, period, version);
    if (!st)
        return -1;
    int step = SQLITE_DONE, stopped = 0;
    while (!stopped && (step = sqlite3_step (st)) == SQLITE_ROW) {
        cchc_db_national_plan_t plan = { s_text (st, 0), (uint32_t) sqlite3_column_int (st, 1),
                                         sqlite3_column_double (st, 2),
                                         sqlite3_column_double (st, 3) };
        stopped = fn (&plan, arg);
    }
    return s_walked (st, step) ? -1 : 0; /* stopped or failed */
}

/* ----------------------------------------------------------------- units */

int
cchc_db_national_units_each (sqlite3 *db, const char *province, const char *period,
                             int64_t version, cchc_db_national_unit_fn *fn, void *arg)
{
    assert (db && province && period && fn);
    sqlite3_stmt *st =
        s_prepare (db,
                   "SELECT code, name, parent, level, flags, idx, rank, earned, "
                   "applicable, scores FROM national_unit WHERE province = ? "
                   "AND period = ? AND version = ? "
                   "ORDER BY level, rank = 0, rank, code",
                   province, period, version);
    if (!st)
        return -1;
    int step = SQLITE_DONE, stopped = 0;
    while (!stopped && (step = sqlite3_step (st)) == SQLITE_ROW) {
        cchc_db_national_unit_t u = {
            .code = s_text (st, 0),
            .name = s_text (st, 1),
            .parent = s_text (st, 2),
            .level = sqlite3_column_int (st, 3),
            .flags = (uint32_t) sqlite3_column_int (st, 4),
            .index = sqlite3_column_double (st, 5),
            .rank = sqlite3_column_int64 (st, 6),
            .earned = sqlite3_column_double (st, 7),
            .applicable = sqlite3_column_double (st, 8),
            .scores = s_text (st, 9),
        };
        stopped = fn (&u, arg);
    }
    return s_walked (st, step) ? -1 : 0; /* stopped or failed */
}

int
cchc_db_national_unit_find (sqlite3 *db, const char *province, const char *period,
                            int64_t version, const char *code, double *index, int64_t *flags,
                            int64_t *rank)
{
    assert (db && province && period && code && index && flags && rank);
    sqlite3_stmt *st = s_prepare (db,
                                  "SELECT idx, flags, rank FROM national_unit WHERE "
                                  "province = ? AND period = ? AND version = ? AND code = ?",
                                  province, period, version);
    if (!st)
        return -1;
    sqlite3_bind_text (st, 4, code, -1, SQLITE_STATIC);
    int step = sqlite3_step (st);
    if (step == SQLITE_ROW) {
        *index = sqlite3_column_double (st, 0);
        *flags = sqlite3_column_int64 (st, 1);
        *rank = sqlite3_column_int64 (st, 2);
    }
    return s_found (st, step);
}

/* ------------------------------------------------------------- the audit */

int
cchc_db_national_messages_each (sqlite3 *db, cchc_db_national_message_fn *fn, void *arg)
{
    assert (db && fn);
    sqlite3_stmt *st = s_prepare (db,
                                  "SELECT m.id, a.pubkey, m.seq, m.province, m.period, "
                                  "m.version, m.part, m.body, m.sig FROM national_message m "
                                  "LEFT JOIN agent a ON a.id = m.agent ORDER BY m.id",
                                  NULL, NULL, 0);
    if (!st)
        return -1;
    int step = SQLITE_DONE, stopped = 0;
    while (!stopped && (step = sqlite3_step (st)) == SQLITE_ROW) {
        const uint8_t *pk = sqlite3_column_blob (st, 1);
        const uint8_t *sig = sqlite3_column_blob (st, 8);
        cchc_db_national_message_t m = {
            .id = sqlite3_column_int64 (st, 0),
            .pubkey = sqlite3_column_bytes (st, 1) == 32 ? pk : NULL,
            .seq = sqlite3_column_int64 (st, 2),
            .province = s_text (st, 3),
            .period = s_text (st, 4),
            .version = sqlite3_column_int64 (st, 5),
            .part = sqlite3_column_int64 (st, 6),
            .body = sqlite3_column_blob (st, 7),
            .body_len = (size_t) sqlite3_column_bytes (st, 7),
            .sig = sqlite3_column_bytes (st, 8) == 64 ? sig : NULL,
        };
        stopped = fn (&m, arg);
    }
    return s_walked (st, step) ? -1 : 0; /* stopped or failed */
}

/* ---------------------------------------------------------------- proofs */

int
cchc_db_national_scratch_fill (cchc_db_t *scratch, const char *province_db, int64_t journal,
                               char *err, size_t errlen)
{
    assert (scratch && province_db);
    sqlite3 *db = cchc_db_handle (scratch);
    char *uri = sqlite3_mprintf ("ATTACH 'file:%q?mode=ro' AS p", province_db);
    char *msg = NULL;
    if (!uri || sqlite3_exec (db, "PRAGMA foreign_keys = OFF", NULL, NULL, NULL) != SQLITE_OK
        || sqlite3_exec (db, uri, NULL, NULL, &msg) != SQLITE_OK) {
        cchc_errf (err, errlen, "%s: %s", province_db, msg ? msg : sqlite3_errmsg (db));
        sqlite3_free (msg);
        sqlite3_free (uri);
        return -1;
    }
    sqlite3_free (uri);
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
    return 0;
}

int
cchc_db_national_journal_each (sqlite3 *db, cchc_db_national_journal_fn *fn, void *arg)
{
    assert (db && fn);
    sqlite3_stmt *st =
        s_prepare (db,
                   "SELECT j.id, j.agent, j.seq, j.body, j.refused, a.unit "
                   "FROM journal j JOIN agent a ON a.id = j.agent ORDER BY j.id",
                   NULL, NULL, 0);
    if (!st)
        return -1;
    int step = SQLITE_DONE, stopped = 0;
    while (!stopped && (step = sqlite3_step (st)) == SQLITE_ROW) {
        cchc_db_national_journal_t row = {
            .id = sqlite3_column_int64 (st, 0),
            .agent = sqlite3_column_int64 (st, 1),
            .seq = sqlite3_column_int64 (st, 2),
            .body = sqlite3_column_blob (st, 3),
            .body_len = (size_t) sqlite3_column_bytes (st, 3),
            .refused = (const char *) sqlite3_column_text (st, 4),
            .unit = s_text (st, 5),
        };
        stopped = fn (&row, arg);
    }
    return s_walked (st, step) ? -1 : 0; /* stopped or failed */
}

/* -------------------------------------------------------------- upstream */

int
cchc_db_upstream_locked_each (sqlite3 *db, cchc_db_upstream_locked_fn *fn, void *arg)
{
    assert (db && fn);
    sqlite3_stmt *st =
        s_prepare (db,
                   "SELECT r.period, r.locked_at, r.journal_pos, r.snapshot,"
                   " (SELECT count(*) FROM period_event e WHERE e.period = r.period"
                   "  AND e.event = 'locked')"
                   " FROM period_result r WHERE r.state = 'locked' AND r.snapshot IS NOT NULL"
                   " ORDER BY r.locked_at, r.period",
                   NULL, NULL, 0);
    if (!st)
        return -1;
    int step = SQLITE_DONE, stopped = 0;
    while (!stopped && (step = sqlite3_step (st)) == SQLITE_ROW) {
        cchc_db_upstream_locked_t row = {
            .period = s_text (st, 0),
            .locked_at = sqlite3_column_int64 (st, 1),
            .journal_pos = sqlite3_column_int64 (st, 2),
            .snapshot = s_text (st, 3),
            .locks = sqlite3_column_int64 (st, 4),
        };
        stopped = fn (&row, arg);
    }
    return s_walked (st, step) ? -1 : 0; /* stopped or failed */
}
