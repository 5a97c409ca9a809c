/*  national.c — the national role of cchc-collector (see national.h):
    receiving and storing the provinces' figures messages exactly once,
    ranking the provinces and the drill-down to a province's units (the
    audit of the stored signed messages is in prove.c). */
#include "collector/national/national.h"
#include "collector/db/db.h"

#include "common/clock.h"
#include "common/log.h"
#include "common/text.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

struct cchc_national_t {
    cchc_db_t *store; /* the database, its schema brought up to date */
    sqlite3 *db;      /* its connection */
    const cchc_key_t *key;
    bool accept_any;
    cchc_national_expect_t expect [CCHC_NATIONAL_EXPECT_MAX];
    size_t nexpect;
};

int
cchc_national_expect_parse (const char *text, cchc_national_expect_t *out, size_t max,
                            size_t *n, char *err, size_t errlen)
{
    *n = 0;
    const char *p = text ? text : "";
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!*p)
            break;
        const char *end = strchr (p, ',');
        size_t len = end ? (size_t) (end - p) : strlen (p);
        char item [128];
        while (len > 0 && p [len - 1] == ' ')
            len--;
        if (len >= sizeof item || *n == max) {
            cchc_errf (err, errlen, "national.expect: too long");
            return -1;
        }
        memcpy (item, p, len);
        item [len] = 0;
        char *colon = strchr (item, ':');
        int64_t year;
        if (!colon || (*colon = 0, cchc_parse_int64 (item, 1900, 9999, &year) != 0)
            || strlen (colon + 1) != 64
            || cchc_hex_decode (out [*n].hash, 32, colon + 1) != 0) {
            cchc_errf (err, errlen, "national.expect: '%.*s' is not YEAR:SHA256HEX", (int) len,
                       p);
            return -1;
        }
        out [*n].year = (int) year;
        (*n)++;
        p += len;
    }
    return 0;
}

cchc_national_t *
cchc_national_new (const cchc_national_config_t *conf, const cchc_key_t *key, char *err,
                   size_t errlen)
{
    assert (conf && conf->db_path && key);
    cchc_national_t *self = calloc (1, sizeof *self);
    if (!self) {
        cchc_errf (err, errlen, "out of memory");
        return NULL;
    }
    self->key = key;
    self->accept_any = conf->accept_any;
    if (cchc_national_expect_parse (conf->expect, self->expect, CCHC_NATIONAL_EXPECT_MAX,
                                    &self->nexpect, err, errlen)
        != 0) {
        free (self);
        return NULL;
    }
    self->store = cchc_db_open (conf->db_path, true, err, errlen);
    if (!self->store
        || cchc_db_tune (self->store, true,
                         conf->busy_timeout_ms > 0 ? conf->busy_timeout_ms : 5000, 0)
               != 0) {
        if (self->store)
            cchc_errf (err, errlen, "%s: %s", conf->db_path, cchc_db_errmsg (self->store));
        cchc_national_destroy (&self);
        return NULL;
    }
    self->db = cchc_db_handle (self->store);
    return self;
}

void
cchc_national_destroy (cchc_national_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cchc_db_destroy (&(*self_p)->store);
    free (*self_p);
    *self_p = NULL;
}

/* ------------------------------------------------------------------------ */
/*  Receiving                                                                */

typedef struct {
    int64_t id;
    char unit [CCHC_UNIT_MAX + 1];
    bool revoked;
} s_agent_t;

/*  1 found, 0 not enrolled, -1 error. */
static int
s_agent_find (sqlite3 *db, const uint8_t pk [32], s_agent_t *a)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2 (db,
                            "SELECT id, unit, revoked_at IS NOT NULL FROM agent "
                            "WHERE pubkey = ?",
                            -1, &st, NULL)
        != SQLITE_OK)
        return -1;
    sqlite3_bind_blob (st, 1, pk, 32, SQLITE_STATIC);
    int step = sqlite3_step (st), rc = 0;
    if (step == SQLITE_ROW) {
        a->id = sqlite3_column_int64 (st, 0);
        cchc_strlcpy (a->unit, (const char *) sqlite3_column_text (st, 1), sizeof a->unit);
        a->revoked = sqlite3_column_int (st, 2) != 0;
        rc = 1;
    }
    else if (step != SQLITE_DONE)
        rc = -1;
    sqlite3_finalize (st);
    return rc;
}

static bool
s_catalogue_ok (const cchc_national_t *self, const cchc_provfig_t *f)
{
    if (self->accept_any)
        return true;
    /*  The catalogue expected for the period's reporting year (PROTOCOL.md
        §15.5), not for the year the catalogue names: a province scoring
        2022 with the 2021 catalogue is refused unless 2022 expects it. */
    cchc_period_t p;
    if (cchc_period_parse (f->period, &p) != 0)
        return false;
    for (size_t i = 0; i < self->nexpect; i++)
        if (self->expect [i].year == p.year
            && memcmp (self->expect [i].hash, f->catalogue, 32) == 0)
            return true;
    return false;
}

static int
s_exec1 (sqlite3 *db, const char *sql)
{
    return sqlite3_exec (db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

/*  1 when a row matches the query with its two binds, 0 none, -1 error. */
static int
s_exists (sqlite3_stmt *st)
{
    int step = sqlite3_step (st);
    int rc = step == SQLITE_ROW ? 1 : step == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize (st);
    return rc;
}

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

/*  Steps a statement that returns no row and finalizes it: 0 done, -1 error. */
static int
s_step_done (sqlite3_stmt *st)
{
    int step = sqlite3_step (st);
    sqlite3_finalize (st);
    return step == SQLITE_DONE ? 0 : -1;
}

/*  Binds a version's key — province, period, version — to parameters 1-3. */
static void
s_bind_version (sqlite3_stmt *st, const char *province, const char *period, int64_t version)
{
    sqlite3_bind_text (st, 1, province, -1, SQLITE_STATIC);
    sqlite3_bind_text (st, 2, period, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (st, 3, version);
}

/*  Prepares `sql` with the version of `f` bound to parameters 1-3; NULL on
    error. */
static sqlite3_stmt *
s_prepare_version (sqlite3 *db, const char *sql, const cchc_provfig_t *f)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2 (db, sql, -1, &st, NULL) != SQLITE_OK)
        return NULL;
    s_bind_version (st, f->code, f->period, (int64_t) f->version);
    return st;
}

/*  1 when the message is held already (same agent and seq, or same part of
    the same version), 0 not, -1 error. */
static int
s_store_seen (sqlite3 *db, int64_t agent, const cchc_provfig_t *f)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2 (db, "SELECT 1 FROM national_message WHERE agent = ? AND seq = ?",
                            -1, &st, NULL)
        != SQLITE_OK)
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
    int rc = s_step_done (st);
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
    return s_step_done (st);
}

/*  Keeps the signed message itself, for the audit.  0 or -1. */
static int
s_message_insert (sqlite3 *db, int64_t agent, const cchc_provfig_t *f,
                  const cchc_wire_msg_t *msg, int64_t now)
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
    sqlite3_bind_blob (st, 8, msg->body, (int) msg->body_len, SQLITE_STATIC);
    sqlite3_bind_blob (st, 9, msg->sig, 64, SQLITE_STATIC);
    return s_step_done (st);
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

/*  Store one message (inside the caller's transaction).  Returns
    CCHC_STATUS_ACCEPTED, CCHC_STATUS_DUPLICATE, or -1 (database error) /
    -2 (a part disagreeing with the version's header: *reason set). */
static int
s_store (sqlite3 *db, int64_t agent, const cchc_provfig_t *f, const cchc_wire_msg_t *msg,
         int64_t now, int *reason)
{
    int rc = s_store_seen (db, agent, f);
    if (rc != 0)
        return rc < 0 ? -1 : CCHC_STATUS_DUPLICATE;
    rc = s_version_header (db, f, now);
    if (rc == -2) {
        *reason = CCHC_REASON_BAD_VALUE;
        return -2;
    }
    if (rc != 0 || s_version_count_part (db, f, now) != 0
        || s_message_insert (db, agent, f, msg, now) != 0 || s_units_insert (db, f) != 0
        || s_figures_insert (db, f) != 0)
        return -1;
    return CCHC_STATUS_ACCEPTED;
}

int
cchc_national_handle (cchc_national_t *self, const cchc_wire_msg_t *msg, int64_t now_ms,
                      cchc_ack_t *ack)
{
    assert (self && msg && ack);
    memset (ack, 0, sizeof *ack);
    memcpy (ack->agent, msg->key, 32);
    ack->time_ms = (uint64_t) now_ms;
    ack->status = CCHC_STATUS_REJECTED;
    s_agent_t agent;
    int found = s_agent_find (self->db, msg->key, &agent);
    if (found < 0) {
        ack->status = CCHC_STATUS_RETRY_LATER;
        ack->reason = CCHC_REASON_STORAGE;
        return 0;
    }
    if (found == 0) {
        ack->reason = CCHC_REASON_UNKNOWN_AGENT;
        return 0;
    }
    cchc_provfig_t f;
    int reason = cchc_provfig_open (msg->key, msg->body, msg->body_len, msg->sig, &f);
    if (reason != CCHC_REASON_NONE) {
        ack->reason = (uint32_t) reason;
        if (reason == CCHC_REASON_BUSY)
            ack->status = CCHC_STATUS_RETRY_LATER;
        return 0;
    }
    if (agent.revoked) {
        ack->reason = CCHC_REASON_REVOKED_AGENT;
        goto done;
    }
    ack->seq = f.seq;
    if (strcmp (f.code, agent.unit) != 0) {
        ack->reason = CCHC_REASON_PROVINCE_MISMATCH;
        cchc_warn ("national: figures of %s %s signed by the key of %s: refused "
                   "(province_mismatch)",
                   f.code, f.period, agent.unit);
        goto done;
    }
    if (!s_catalogue_ok (self, &f)) {
        ack->reason = CCHC_REASON_UNEXPECTED_CATALOGUE;
        cchc_warn ("national: figures of %s %s version %llu computed with an unexpected "
                   "catalogue (year %u): refused (unexpected_catalogue)",
                   f.code, f.period, (unsigned long long) f.version, f.cat_year);
        goto done;
    }
    if (s_exec1 (self->db, "BEGIN IMMEDIATE") != 0) {
        ack->status = CCHC_STATUS_RETRY_LATER;
        ack->reason = CCHC_REASON_STORAGE;
        goto done;
    }
    int why = 0;
    int rc = s_store (self->db, agent.id, &f, msg, now_ms, &why);
    if (rc == -2) {
        s_exec1 (self->db, "ROLLBACK");
        ack->reason = (uint32_t) why;
        goto done;
    }
    if (rc < 0 || s_exec1 (self->db, "COMMIT") != 0) {
        cchc_warn ("national: storing %s %s: %s", f.code, f.period, sqlite3_errmsg (self->db));
        s_exec1 (self->db, "ROLLBACK");
        ack->status = CCHC_STATUS_RETRY_LATER;
        ack->reason = CCHC_REASON_STORAGE;
        goto done;
    }
    ack->status = (uint32_t) rc;
    ack->reason = CCHC_REASON_NONE;
    if (rc == CCHC_STATUS_ACCEPTED)
        cchc_info ("national: %s %s version %llu part %u/%u stored (%u units)", f.code,
                   f.period, (unsigned long long) f.version, f.part + 1, f.parts, f.nunits);
done:
    cchc_provfig_clear (&f);
    return 0;
}

int
cchc_national_serve (cchc_national_t *self, void *router, int timeout_ms)
{
    assert (self && router);
    zmq_pollitem_t item = { router, 0, ZMQ_POLLIN, 0 };
    int n = zmq_poll (&item, 1, timeout_ms);
    if (n < 0)
        return errno == EINTR ? 0 : errno == ETERM ? 1 : -1;
    for (int handled = 0; n > 0 && handled < 1000; handled++) {
        cchc_wire_msg_t msg;
        int rc = cchc_wire_recv (router, true, ZMQ_DONTWAIT, &msg);
        if (rc < 0) {
            if (errno == EAGAIN || errno == EINTR)
                return 0;
            return errno == ETERM ? 1 : -1;
        }
        cchc_ack_t ack;
        if (rc > 0) {
            memset (&ack, 0, sizeof ack);
            memcpy (ack.agent, msg.key, 32);
            ack.status = CCHC_STATUS_REJECTED;
            ack.reason = (uint32_t) rc;
            ack.time_ms = (uint64_t) cchc_clock_now_ms ();
        }
        else
            cchc_national_handle (self, &msg, cchc_clock_now_ms (), &ack);
        if (cchc_wire_send_ack (router, msg.routing_id, msg.routing_len, self->key, &ack,
                                ZMQ_DONTWAIT)
                != 0
            && errno != EHOSTUNREACH && errno != EAGAIN)
            cchc_warn ("national: ack: %s", zmq_strerror (errno));
        cchc_wire_msg_clear (&msg);
    }
    return 0;
}

int
cchc_national_run (cchc_national_t *self, void *router, volatile sig_atomic_t *stop)
{
    assert (self && router && stop);
    while (!*stop) {
        int rc = cchc_national_serve (self, router, 200);
        if (rc != 0)
            return rc > 0 ? 0 : -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/*  Ranking                                                                  */

typedef struct {
    char code [CCHC_UNIT_MAX + 1];
    char name [256];
    int64_t version, versions; /* highest complete version; count of versions */
    int64_t parts_seen;        /* versions with some part but none complete */
    int64_t first_complete_at; /* of the earliest complete version */
    int64_t received_at;       /* complete_at of the version used */
    int64_t units;
    double level_sum [3];
    int64_t level_n [3];
    bool has_score;
    double score;
    int rank;
    bool has_change;
    double change;
} s_prov_t;

static const char *const s_level_codes [3] = { "so", "huyen", "xa" };

static int
s_prov_cmp (const void *a, const void *b)
{
    const s_prov_t *x = a, *y = b;
    if (x->has_score != y->has_score)
        return x->has_score ? -1 : 1;
    if (x->has_score) {
        double dx = round (x->score * 1e6), dy = round (y->score * 1e6);
        if (dx != dy)
            return dx > dy ? -1 : 1;
    }
    return strcmp (x->code, y->code);
}

/*  The provinces valid on `ymd` (YYYYMMDD), by code.  *out malloc'd. */
static int
s_provinces_list (sqlite3 *db, int64_t ymd, s_prov_t **out, size_t *n, char *err,
                  size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2 (db,
                            "SELECT code, name FROM unit WHERE level = 'tinh' "
                            "AND valid_from <= ?1 AND valid_to >= ?1 ORDER BY code",
                            -1, &st, NULL)
        != SQLITE_OK) {
        cchc_errf (err, errlen, "unit: %s", sqlite3_errmsg (db));
        return -1;
    }
    sqlite3_bind_int64 (st, 1, ymd);
    size_t cap = 0;
    s_prov_t *p = NULL;
    while (sqlite3_step (st) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            s_prov_t *q = realloc (p, cap * sizeof *p);
            if (!q) {
                free (p);
                sqlite3_finalize (st);
                cchc_errf (err, errlen, "out of memory");
                return -1;
            }
            p = q;
        }
        s_prov_t *x = &p [(*n)++];
        memset (x, 0, sizeof *x);
        cchc_strlcpy (x->code, (const char *) sqlite3_column_text (st, 0), sizeof x->code);
        cchc_strlcpy (x->name, (const char *) sqlite3_column_text (st, 1), sizeof x->name);
    }
    sqlite3_finalize (st);
    *out = p;
    return 0;
}

/*  A province's score: the mean over its levels of the level's mean index. */
static void
s_prov_score (s_prov_t *x)
{
    double sum = 0;
    int levels = 0;
    for (int l = 0; l < 3; l++)
        if (x->level_n [l] > 0) {
            sum += x->level_sum [l] / (double) x->level_n [l];
            levels++;
        }
    if (levels > 0) {
        x->has_score = true;
        x->score = sum / levels;
    }
}

/*  Fills a province's versions (vst) and, for its highest complete version,
    its units by level (ust) and its score. */
static void
s_prov_figures (sqlite3_stmt *vst, sqlite3_stmt *ust, const char *id, s_prov_t *x)
{
    sqlite3_reset (vst);
    sqlite3_bind_text (vst, 1, x->code, -1, SQLITE_STATIC);
    sqlite3_bind_text (vst, 2, id, -1, SQLITE_STATIC);
    if (sqlite3_step (vst) == SQLITE_ROW) {
        x->version = sqlite3_column_int64 (vst, 0);
        x->versions = sqlite3_column_int64 (vst, 1);
        x->parts_seen = sqlite3_column_int64 (vst, 2);
        x->first_complete_at = sqlite3_column_int64 (vst, 3);
    }
    if (x->version <= 0)
        return;
    sqlite3_reset (ust);
    s_bind_version (ust, x->code, id, x->version);
    while (sqlite3_step (ust) == SQLITE_ROW) {
        int level = sqlite3_column_int (ust, 0);
        x->units += sqlite3_column_int64 (ust, 1);
        x->received_at = sqlite3_column_int64 (ust, 4);
        if (level >= 0 && level < 3) {
            x->level_sum [level] = sqlite3_column_double (ust, 2);
            x->level_n [level] = sqlite3_column_int64 (ust, 3);
        }
    }
    s_prov_score (x);
}

/*  The last day of a period's window. */
static void
s_period_last (const cchc_period_t *period, int *y, int *m, int *d)
{
    cchc_date_t first, last;
    cchc_period_window (period, &first, &last);
    cchc_date_to_ymd (last, y, m, d);
}

/*  The expected provinces of a period, with their figures.  *out malloc'd. */
static int
s_provinces (sqlite3 *db, const cchc_period_t *period, s_prov_t **out, size_t *n, char *err,
             size_t errlen)
{
    *out = NULL;
    *n = 0;
    char id [CCHC_PERIOD_ID_MAX];
    cchc_period_format (period, id, sizeof id);
    int y, m, d;
    s_period_last (period, &y, &m, &d);
    s_prov_t *p;
    if (s_provinces_list (db, (int64_t) y * 10000 + m * 100 + d, &p, n, err, errlen) != 0)
        return -1;
    sqlite3_stmt *vst = NULL, *ust = NULL;
    if (sqlite3_prepare_v2 (
            db,
            "SELECT max(CASE WHEN complete_at IS NOT NULL THEN version END), "
            "count(*), sum(complete_at IS NULL), min(complete_at) FROM national_version "
            "WHERE province = ? AND period = ?",
            -1, &vst, NULL)
            != SQLITE_OK
        || sqlite3_prepare_v2 (
               db,
               "SELECT level, count(*), sum(idx) FILTER (WHERE flags & 1), "
               "count(*) FILTER (WHERE flags & 1), (SELECT complete_at FROM national_version "
               "v "
               "WHERE v.province = ?1 AND v.period = ?2 AND v.version = ?3) "
               "FROM national_unit WHERE province = ?1 AND period = ?2 AND version = ?3 "
               "GROUP BY level",
               -1, &ust, NULL)
               != SQLITE_OK) {
        cchc_errf (err, errlen, "national tables: %s", sqlite3_errmsg (db));
        sqlite3_finalize (vst);
        free (p);
        *n = 0;
        return -1;
    }
    for (size_t i = 0; i < *n; i++)
        s_prov_figures (vst, ust, id, &p [i]);
    sqlite3_finalize (vst);
    sqlite3_finalize (ust);
    *out = p;
    return 0;
}

/*  Sorts the provinces, ranks those with a score (equal scores to 1e-6 share
    a rank) and sets their change since the previous period. */
static void
s_rank_assign (s_prov_t *p, size_t n, const s_prov_t *prev, size_t nprev)
{
    qsort (p, n, sizeof *p, s_prov_cmp);
    int rank = 0;
    for (size_t i = 0; i < n; i++) {
        if (!p [i].has_score)
            continue;
        if (i == 0 || round (p [i].score * 1e6) != round (p [i - 1].score * 1e6))
            rank = (int) i + 1;
        p [i].rank = rank;
        for (size_t j = 0; j < nprev; j++)
            if (prev [j].has_score && strcmp (prev [j].code, p [i].code) == 0) {
                p [i].has_change = true;
                p [i].change = p [i].score - prev [j].score;
            }
    }
}

/*  The reporting deadline: day `deadline_day` of the window's last month
    (the month's last day when shorter).  Returns the end of that day (UTC
    ms) and writes it as text. */
static int64_t
s_deadline (const cchc_period_t *period, int deadline_day, char *text, size_t textlen)
{
    int y, m, d;
    s_period_last (period, &y, &m, &d);
    int dd = deadline_day;
    while (dd > 28 && !cchc_date_ymd_valid (y, m, dd))
        dd--;
    cchc_date_t deadline = cchc_date_from_ymd (y, m, dd);
    cchc_date_format (deadline, text, textlen);
    return cchc_date_start_utc_ms (deadline + 1);
}

/*  A province's plan indicators (province figures flagged 16) as JSON. */
static json_t *
s_plan_json (sqlite3_stmt *plan, const s_prov_t *x, const char *id)
{
    json_t *pl = json_array ();
    sqlite3_reset (plan);
    s_bind_version (plan, x->code, id, x->version);
    while (sqlite3_step (plan) == SQLITE_ROW) {
        int flags = sqlite3_column_int (plan, 1);
        json_t *e =
            json_pack ("{s:s, s:b}", "indicator", (const char *) sqlite3_column_text (plan, 0),
                       "met", (flags & CCHC_PROVFIG_MET) != 0);
        json_object_set_new (e, "value",
                             flags & CCHC_PROVFIG_HAS_VALUE
                                 ? json_real (sqlite3_column_double (plan, 2))
                                 : json_null ());
        json_object_set_new (e, "target",
                             flags & CCHC_PROVFIG_HAS_TARGET
                                 ? json_real (sqlite3_column_double (plan, 3))
                                 : json_null ());
        json_array_append_new (pl, e);
    }
    return pl;
}

/*  Adds a reported province's version, units, levels and plan to `o`.
    Returns whether it has figures of districts (level 1). */
static bool
s_prov_reported_json (json_t *o, const s_prov_t *x, sqlite3_stmt *plan, const char *id)
{
    bool huyen = false;
    json_object_set_new (o, "version", json_integer (x->version));
    json_object_set_new (o, "revised", json_boolean (x->version > 1));
    json_object_set_new (o, "versions", json_integer (x->versions));
    json_object_set_new (o, "received_at", json_integer (x->received_at));
    json_object_set_new (o, "units", json_integer (x->units));
    json_t *lv = json_object ();
    for (int l = 0; l < 3; l++)
        if (x->level_n [l] > 0) {
            json_object_set_new (lv, s_level_codes [l],
                                 json_pack ("{s:f, s:I}", "index",
                                            x->level_sum [l] / (double) x->level_n [l],
                                            "units", (json_int_t) x->level_n [l]));
            if (l == 1)
                huyen = true;
        }
    json_object_set_new (o, "levels", lv);
    json_object_set_new (o, "plan", s_plan_json (plan, x, id));
    return huyen;
}

int
cchc_national_rank (sqlite3 *db, const cchc_period_t *period, int deadline_day, json_t **out,
                    char *err, size_t errlen)
{
    assert (db && period && out);
    *out = NULL;
    s_prov_t *p = NULL, *prev = NULL;
    size_t n = 0, nprev = 0;
    if (s_provinces (db, period, &p, &n, err, errlen) != 0)
        return -1;
    cchc_period_t pp;
    cchc_period_prev (period, &pp);
    if (s_provinces (db, &pp, &prev, &nprev, err, errlen) != 0) {
        free (p);
        return -1;
    }
    s_rank_assign (p, n, prev, nprev);
    char id [CCHC_PERIOD_ID_MAX];
    cchc_period_format (period, id, sizeof id);
    char deadline_text [16];
    int64_t deadline_end =
        s_deadline (period, deadline_day, deadline_text, sizeof deadline_text);

    sqlite3_stmt *plan = NULL;
    if (sqlite3_prepare_v2 (db,
                            "SELECT indicator, flags, value, target FROM national_figure "
                            "WHERE province = ? AND period = ? AND version = ? AND level = -1 "
                            "AND flags & 16 ORDER BY indicator",
                            -1, &plan, NULL)
        != SQLITE_OK) {
        cchc_errf (err, errlen, "national_figure: %s", sqlite3_errmsg (db));
        free (p);
        free (prev);
        return -1;
    }
    json_t *root = json_object (), *list = json_array ();
    int reported = 0, missing = 0, late = 0, huyen = 0;
    for (size_t i = 0; i < n; i++) {
        const s_prov_t *x = &p [i];
        const char *status = x->version > 0      ? "reported"
                             : x->parts_seen > 0 ? "partial"
                                                 : "missing";
        bool is_late = x->version > 0 && x->first_complete_at >= deadline_end;
        json_t *o = json_pack ("{s:s, s:s, s:s, s:b}", "code", x->code, "name", x->name,
                               "status", status, "late", is_late);
        if (x->version > 0) {
            reported++;
            late += is_late;
            huyen += s_prov_reported_json (o, x, plan, id);
        }
        else
            missing++;
        json_object_set_new (o, "score", x->has_score ? json_real (x->score) : json_null ());
        json_object_set_new (o, "rank", x->rank ? json_integer (x->rank) : json_null ());
        json_object_set_new (o, "change",
                             x->has_change ? json_real (x->change) : json_null ());
        json_array_append_new (list, o);
    }
    sqlite3_finalize (plan);
    json_object_set_new (root, "period", json_string (id));
    json_object_set_new (
        root, "structure",
        json_pack ("{s:i, s:b}", "provinces", (int) n, "districts", huyen > 0));
    json_object_set_new (root, "deadline", json_string (deadline_text));
    json_object_set_new (root, "reported", json_integer (reported));
    json_object_set_new (root, "missing", json_integer (missing));
    json_object_set_new (root, "late", json_integer (late));
    json_object_set_new (root, "provinces", list);
    free (p);
    free (prev);
    *out = root;
    return 0;
}

int
cchc_national_province (sqlite3 *db, const char *province, const char *period, int64_t version,
                        json_t **out, char *err, size_t errlen)
{
    *out = NULL;
    sqlite3_stmt *st;
    if (version <= 0) {
        if (sqlite3_prepare_v2 (db,
                                "SELECT max(version) FROM national_version WHERE "
                                "province = ? AND period = ? AND complete_at IS NOT NULL",
                                -1, &st, NULL)
            != SQLITE_OK) {
            cchc_errf (err, errlen, "national_version: %s", sqlite3_errmsg (db));
            return -1;
        }
        sqlite3_bind_text (st, 1, province, -1, SQLITE_STATIC);
        sqlite3_bind_text (st, 2, period, -1, SQLITE_STATIC);
        if (sqlite3_step (st) == SQLITE_ROW)
            version = sqlite3_column_int64 (st, 0);
        sqlite3_finalize (st);
    }
    if (sqlite3_prepare_v2 (
            db,
            "SELECT indicators, journal, locked_at, cat_year, complete_at "
            "FROM national_version WHERE province = ? AND period = ? AND version = ?",
            -1, &st, NULL)
        != SQLITE_OK) {
        cchc_errf (err, errlen, "national_version: %s", sqlite3_errmsg (db));
        return -1;
    }
    s_bind_version (st, province, period, version);
    if (version <= 0 || sqlite3_step (st) != SQLITE_ROW) {
        sqlite3_finalize (st);
        cchc_errf (err, errlen, "no figures of %s for %s", province, period);
        return -1;
    }
    json_t *root = json_pack (
        "{s:s, s:s, s:I, s:I, s:I, s:i, s:b}", "province", province, "period", period,
        "version", (json_int_t) version, "journal", (json_int_t) sqlite3_column_int64 (st, 1),
        "locked_at", (json_int_t) sqlite3_column_int64 (st, 2), "cat_year",
        sqlite3_column_int (st, 3), "complete", sqlite3_column_type (st, 4) != SQLITE_NULL);
    json_object_set_new (root, "indicators",
                         json_loads ((const char *) sqlite3_column_text (st, 0), 0, NULL));
    sqlite3_finalize (st);
    if (sqlite3_prepare_v2 (
            db,
            "SELECT code, name, parent, level, flags, idx, rank, earned, "
            "applicable, scores FROM national_unit WHERE province = ? AND period = ? "
            "AND version = ? ORDER BY level, rank = 0, rank, code",
            -1, &st, NULL)
        != SQLITE_OK) {
        json_decref (root);
        cchc_errf (err, errlen, "national_unit: %s", sqlite3_errmsg (db));
        return -1;
    }
    s_bind_version (st, province, period, version);
    json_t *units = json_array ();
    while (sqlite3_step (st) == SQLITE_ROW) {
        int level = sqlite3_column_int (st, 3), flags = sqlite3_column_int (st, 4);
        json_t *u = json_pack (
            "{s:s, s:s, s:s, s:s, s:b, s:f, s:i, s:f, s:f, s:b, s:b}", "code",
            (const char *) sqlite3_column_text (st, 0), "name",
            (const char *) sqlite3_column_text (st, 1), "parent",
            (const char *) sqlite3_column_text (st, 2), "level",
            level >= 0 && level < 3 ? s_level_codes [level] : "?", "has_index",
            (flags & CCHC_PROVFIG_HAS_INDEX) != 0, "index", sqlite3_column_double (st, 5),
            "rank", sqlite3_column_int (st, 6), "earned", sqlite3_column_double (st, 7),
            "applicable", sqlite3_column_double (st, 8), "complete",
            (flags & CCHC_PROVFIG_COMPLETE) != 0, "on_time",
            (flags & CCHC_PROVFIG_ON_TIME) != 0);
        json_object_set_new (u, "scores",
                             json_loads ((const char *) sqlite3_column_text (st, 9), 0, NULL));
        json_array_append_new (units, u);
    }
    sqlite3_finalize (st);
    json_object_set_new (root, "units", units);
    *out = root;
    return 0;
}
