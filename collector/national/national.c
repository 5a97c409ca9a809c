/*  national.c — the national role of cchc-collector (see national.h):
    receiving and storing the provinces' figures messages exactly once,
    ranking the provinces and the drill-down to a province's units (the
    audit of the stored signed messages is in prove.c; every statement on
    the national tables is collector/db/national.c's). */
#include "collector/national/national.h"
#include "collector/db/db.h"
#include "collector/db/national.h"

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

int
cchc_national_handle (cchc_national_t *self, const cchc_wire_msg_t *msg, int64_t now_ms,
                      cchc_ack_t *ack)
{
    assert (self && msg && ack);
    memset (ack, 0, sizeof *ack);
    memcpy (ack->agent, msg->key, 32);
    ack->time_ms = (uint64_t) now_ms;
    ack->status = CCHC_STATUS_REJECTED;
    cchc_db_agent_t agent;
    int found = cchc_db_national_agent_find (self->db, msg->key, &agent);
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
    if (cchc_db_begin (self->store) != 0) {
        ack->status = CCHC_STATUS_RETRY_LATER;
        ack->reason = CCHC_REASON_STORAGE;
        goto done;
    }
    int rc = cchc_db_national_store (self->db, agent.id, &f, msg->body, msg->body_len,
                                     msg->sig, now_ms);
    if (rc == -2) {
        cchc_db_rollback (self->store);
        ack->reason = CCHC_REASON_BAD_VALUE;
        goto done;
    }
    if (rc < 0 || cchc_db_commit (self->store) != 0) {
        cchc_warn ("national: storing %s %s: %s", f.code, f.period, sqlite3_errmsg (self->db));
        cchc_db_rollback (self->store);
        ack->status = CCHC_STATUS_RETRY_LATER;
        ack->reason = CCHC_REASON_STORAGE;
        goto done;
    }
    ack->status = rc == 1 ? CCHC_STATUS_ACCEPTED : CCHC_STATUS_DUPLICATE;
    ack->reason = CCHC_REASON_NONE;
    if (rc == 1)
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
    cchc_db_national_province_t in; /* as received (collector/db/national.h) */
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
    return strcmp (x->in.code, y->in.code);
}

/*  A province's score: the mean over its levels of the level's mean index. */
static void
s_prov_score (s_prov_t *x)
{
    double sum = 0;
    int levels = 0;
    for (int l = 0; l < 3; l++)
        if (x->in.level_n [l] > 0) {
            sum += x->in.level_sum [l] / (double) x->in.level_n [l];
            levels++;
        }
    if (levels > 0) {
        x->has_score = true;
        x->score = sum / levels;
    }
}

/*  The last day of a period's window. */
static void
s_period_last (const cchc_period_t *period, int *y, int *m, int *d)
{
    cchc_date_t first, last;
    cchc_period_window (period, &first, &last);
    cchc_date_to_ymd (last, y, m, d);
}

/*  The expected provinces of a period, with their figures and scores.
    *out malloc'd. */
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
    cchc_db_national_province_t *in = NULL;
    size_t count = 0;
    if (cchc_db_national_provinces (db, y * 10000 + m * 100 + d, id, &in, &count) != 0) {
        cchc_errf (err, errlen, "national tables: %s", sqlite3_errmsg (db));
        return -1;
    }
    s_prov_t *p = calloc (count + 1, sizeof *p);
    if (!p) {
        free (in);
        cchc_errf (err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < count; i++) {
        p [i].in = in [i];
        if (p [i].in.version > 0)
            s_prov_score (&p [i]);
    }
    free (in);
    *out = p;
    *n = count;
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
            if (prev [j].has_score && strcmp (prev [j].in.code, p [i].in.code) == 0) {
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

/*  One plan indicator into the array `arg`. */
static int
s_plan_add (const cchc_db_national_plan_t *plan, void *arg)
{
    json_t *e = json_pack ("{s:s, s:b}", "indicator", plan->indicator, "met",
                           (plan->flags & CCHC_PROVFIG_MET) != 0);
    json_object_set_new (e, "value",
                         plan->flags & CCHC_PROVFIG_HAS_VALUE ? json_real (plan->value)
                                                              : json_null ());
    json_object_set_new (e, "target",
                         plan->flags & CCHC_PROVFIG_HAS_TARGET ? json_real (plan->target)
                                                               : json_null ());
    json_array_append_new (arg, e);
    return 0;
}

/*  Adds a reported province's version, units, levels and plan to `o`.
    *huyen: it has figures of districts (level 1).  0 or -1 (reading its
    plan failed). */
static int
s_prov_reported_json (sqlite3 *db, json_t *o, const s_prov_t *x, const char *id, bool *huyen)
{
    *huyen = false;
    json_object_set_new (o, "version", json_integer (x->in.version));
    json_object_set_new (o, "revised", json_boolean (x->in.version > 1));
    json_object_set_new (o, "versions", json_integer (x->in.versions));
    json_object_set_new (o, "received_at", json_integer (x->in.received_at));
    json_object_set_new (o, "units", json_integer (x->in.units));
    json_t *lv = json_object ();
    for (int l = 0; l < 3; l++)
        if (x->in.level_n [l] > 0) {
            json_object_set_new (lv, s_level_codes [l],
                                 json_pack ("{s:f, s:I}", "index",
                                            x->in.level_sum [l] / (double) x->in.level_n [l],
                                            "units", (json_int_t) x->in.level_n [l]));
            if (l == 1)
                *huyen = true;
        }
    json_object_set_new (o, "levels", lv);
    json_t *plan = json_array ();
    json_object_set_new (o, "plan", plan);
    return cchc_db_national_plan_each (db, x->in.code, id, x->in.version, s_plan_add, plan);
}

/*  What the ranking counts of its provinces. */
typedef struct {
    int reported, missing, late, huyen;
} s_counts_t;

/*  The provinces' list of the ranking, counted into *c.  NULL (err set)
    on error. */
static json_t *
s_rank_list (sqlite3 *db, const s_prov_t *p, size_t n, const char *id, int64_t deadline_end,
             s_counts_t *c, char *err, size_t errlen)
{
    json_t *list = json_array ();
    for (size_t i = 0; i < n; i++) {
        const s_prov_t *x = &p [i];
        const char *status = x->in.version > 0      ? "reported"
                             : x->in.incomplete > 0 ? "partial"
                                                    : "missing";
        bool is_late = x->in.version > 0 && x->in.first_complete_at >= deadline_end;
        json_t *o = json_pack ("{s:s, s:s, s:s, s:b}", "code", x->in.code, "name", x->in.name,
                               "status", status, "late", is_late);
        json_array_append_new (list, o);
        if (x->in.version > 0) {
            bool districts;
            if (s_prov_reported_json (db, o, x, id, &districts) != 0) {
                cchc_errf (err, errlen, "national_figure: %s", sqlite3_errmsg (db));
                json_decref (list);
                return NULL;
            }
            c->reported++;
            c->late += is_late;
            c->huyen += districts;
        }
        else
            c->missing++;
        json_object_set_new (o, "score", x->has_score ? json_real (x->score) : json_null ());
        json_object_set_new (o, "rank", x->rank ? json_integer (x->rank) : json_null ());
        json_object_set_new (o, "change",
                             x->has_change ? json_real (x->change) : json_null ());
    }
    return list;
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
    s_counts_t c = { 0, 0, 0, 0 };
    json_t *list = s_rank_list (db, p, n, id, deadline_end, &c, err, errlen);
    free (p);
    free (prev);
    if (!list)
        return -1;
    json_t *root = json_object ();
    json_object_set_new (root, "period", json_string (id));
    json_object_set_new (
        root, "structure",
        json_pack ("{s:i, s:b}", "provinces", (int) n, "districts", c.huyen > 0));
    json_object_set_new (root, "deadline", json_string (deadline_text));
    json_object_set_new (root, "reported", json_integer (c.reported));
    json_object_set_new (root, "missing", json_integer (c.missing));
    json_object_set_new (root, "late", json_integer (c.late));
    json_object_set_new (root, "provinces", list);
    *out = root;
    return 0;
}

/*  One unit of a version into the array `arg`. */
static int
s_unit_add (const cchc_db_national_unit_t *u, void *arg)
{
    json_t *o = json_pack ("{s:s, s:s, s:s, s:s, s:b, s:f, s:i, s:f, s:f, s:b, s:b}", "code",
                           u->code, "name", u->name, "parent", u->parent, "level",
                           u->level >= 0 && u->level < 3 ? s_level_codes [u->level] : "?",
                           "has_index", (u->flags & CCHC_PROVFIG_HAS_INDEX) != 0, "index",
                           u->index, "rank", (int) u->rank, "earned", u->earned, "applicable",
                           u->applicable, "complete", (u->flags & CCHC_PROVFIG_COMPLETE) != 0,
                           "on_time", (u->flags & CCHC_PROVFIG_ON_TIME) != 0);
    json_object_set_new (o, "scores", json_loads (u->scores, 0, NULL));
    json_array_append_new (arg, o);
    return 0;
}

int
cchc_national_province (sqlite3 *db, const char *province, const char *period, int64_t version,
                        json_t **out, char *err, size_t errlen)
{
    *out = NULL;
    if (version <= 0
        && cchc_db_national_version_latest (db, province, period, &version) != 0) {
        cchc_errf (err, errlen, "national_version: %s", sqlite3_errmsg (db));
        return -1;
    }
    cchc_db_national_version_t v;
    char *indicators = NULL;
    int found = version > 0 ? cchc_db_national_version_get (db, province, period, version, &v,
                                                            &indicators)
                            : 0;
    if (found < 0) {
        cchc_errf (err, errlen, "national_version: %s", sqlite3_errmsg (db));
        return -1;
    }
    if (found == 0) {
        cchc_errf (err, errlen, "no figures of %s for %s", province, period);
        return -1;
    }
    json_t *root = json_pack ("{s:s, s:s, s:I, s:I, s:I, s:i, s:b}", "province", province,
                              "period", period, "version", (json_int_t) version, "journal",
                              (json_int_t) v.journal, "locked_at", (json_int_t) v.locked_at,
                              "cat_year", (int) v.cat_year, "complete", v.complete);
    json_object_set_new (root, "indicators", json_loads (indicators, 0, NULL));
    free (indicators);
    json_t *units = json_array ();
    json_object_set_new (root, "units", units);
    if (cchc_db_national_units_each (db, province, period, version, s_unit_add, units) != 0) {
        json_decref (root);
        cchc_errf (err, errlen, "national_unit: %s", sqlite3_errmsg (db));
        return -1;
    }
    *out = root;
    return 0;
}
