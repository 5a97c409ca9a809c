/*  upstream.c — the province's locked figures to the national collector
    (see upstream.h): the scan that freezes each locked version into the
    outbox as "figures" messages (proto/figures.h), and the thread that
    sends them with the agent's sender. */
#include "collector/upstream/upstream.h"

#include "agent/sender.h"
#include "collector/db/national.h"
#include "collector/db/periods.h"
#include "collector/periods/periods.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/text.h"
#include "proto/figures.h"

#include <assert.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <zmq.h>

#define S_UNITS_PER_PART 100

void
cchc_upstream_catalogue_hash (const char *text, size_t len, uint8_t hash [32])
{
    crypto_hash_sha256 (hash, (const uint8_t *) text, len);
}

/* ------------------------------------------------------------------------ */
/*  One version: the restored figures as message parts                      */

typedef struct {
    cchc_provfig_t head;        /* header, indicators, figures */
    cchc_provfig_unit_t *units; /* all units, by code */
    cchc_provfig_score_t *scores;
    char (*indicators) [CCHC_METRIC_MAX + 1];
    cchc_provfig_figure_t *figures;
    size_t nunits;
    size_t per_part;
    const cchc_key_t *key;
} s_version_t;

static void
s_version_free (s_version_t *v)
{
    free (v->units);
    free (v->scores);
    free (v->indicators);
    free (v->figures);
    memset (v, 0, sizeof *v);
}

static int
s_unit_cmp (const void *a, const void *b)
{
    return strcmp (((const cchc_provfig_unit_t *) a)->code,
                   ((const cchc_provfig_unit_t *) b)->code);
}

static double
s_fin (double d)
{
    return isfinite (d) ? d : 0;
}

/*  Copy at most max bytes of UTF-8 text, cut at a character boundary. */
static void
s_copy_utf8 (char *dst, const char *src, size_t max)
{
    size_t n = strlen (src);
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char) src [n] & 0xc0) == 0x80)
            n--;
    }
    memcpy (dst, src, n);
    dst [n] = 0;
}

/*  Fill `v` from a restored roll-up. */
static int
s_version_build (s_version_t *v, const cchc_rollup_t *r, const cchc_criteria_t *cat, char *err,
                 size_t errlen)
{
    size_t ni = cchc_criteria_indicator_count (cat);
    if (ni == 0 || ni > CCHC_PROVFIG_INDICATORS_MAX) {
        cchc_errf (err, errlen, "the catalogue has %zu indicators (1..%d can be sent)", ni,
                   CCHC_PROVFIG_INDICATORS_MAX);
        return -1;
    }
    if (r->unit_count > CCHC_PROVFIG_PARTS_MAX * CCHC_PROVFIG_UNITS_MAX
        || r->figure_count > CCHC_PROVFIG_FIGURES_MAX) {
        cchc_errf (err, errlen, "too many units or figures to send");
        return -1;
    }
    v->indicators = calloc (ni, sizeof *v->indicators);
    v->units = calloc (r->unit_count + 1, sizeof *v->units);
    v->scores = calloc ((r->unit_count + 1) * ni, sizeof *v->scores);
    v->figures = calloc (r->figure_count + 1, sizeof *v->figures);
    if (!v->indicators || !v->units || !v->scores || !v->figures) {
        cchc_errf (err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < ni; i++)
        cchc_strlcpy (v->indicators [i], cchc_criteria_indicator (cat, i)->code,
                      sizeof v->indicators [i]);
    for (size_t i = 0; i < r->unit_count; i++) {
        const cchc_rollup_unit_result_t *u = &r->units [i];
        cchc_provfig_unit_t *o = &v->units [i];
        if (strlen (u->code) > CCHC_UNIT_MAX
            || (u->parent && strlen (u->parent) > CCHC_UNIT_MAX)) {
            cchc_errf (err, errlen, "unit code %s is too long to send", u->code);
            return -1;
        }
        cchc_strlcpy (o->code, u->code, sizeof o->code);
        cchc_strlcpy (o->parent, u->parent ? u->parent : "", sizeof o->parent);
        s_copy_utf8 (o->name, u->name ? u->name : "", CCHC_PROVFIG_NAME_MAX);
        o->level = (uint32_t) u->level;
        o->flags = (u->has_index ? CCHC_PROVFIG_HAS_INDEX : 0)
                   | (u->complete ? CCHC_PROVFIG_COMPLETE : 0)
                   | (u->on_time ? CCHC_PROVFIG_ON_TIME : 0);
        o->index = u->has_index ? s_fin (u->index) : 0;
        o->earned = s_fin (u->earned);
        o->applicable = s_fin (u->applicable);
        o->rank = u->rank > 0 ? (uint32_t) u->rank : 0;
        o->scores = v->scores + i * ni;
        for (size_t k = 0; k < ni; k++) {
            const cchc_rollup_score_t *s = &u->scores [k];
            o->scores [k].state = (uint32_t) s->state;
            o->scores [k].value = s->state == CCHC_SCORE_OK ? s_fin (s->value) : 0;
            o->scores [k].points = s_fin (s->points);
            o->scores [k].points_max = s_fin (s->points_max);
        }
    }
    v->nunits = r->unit_count;
    /*  Sort by code, keeping each unit's scores with it (the pointers move
        with the structs). */
    qsort (v->units, v->nunits, sizeof *v->units, s_unit_cmp);
    for (size_t i = 0; i < r->figure_count; i++) {
        const cchc_rollup_figure_t *f = &r->figures [i];
        cchc_provfig_figure_t *o = &v->figures [i];
        o->indicator = (uint32_t) f->indicator;
        o->level = f->level;
        o->flags =
            (isfinite (f->denominator) ? CCHC_PROVFIG_HAS_DENOMINATOR : 0)
            | (f->has_value && isfinite (f->value) ? CCHC_PROVFIG_HAS_VALUE : 0)
            | (isfinite (f->target) ? CCHC_PROVFIG_HAS_TARGET : 0)
            | (f->met ? CCHC_PROVFIG_MET : 0)
            | (cchc_criteria_indicator (cat, f->indicator)->plan ? CCHC_PROVFIG_PLAN : 0);
        o->numerator = s_fin (f->numerator);
        o->denominator = s_fin (f->denominator);
        o->value = s_fin (f->value);
        o->target = s_fin (f->target);
        o->units = (uint32_t) f->units;
        o->units_missing = (uint32_t) f->units_missing;
    }
    v->head.nindicators = (uint32_t) ni;
    v->head.indicators = v->indicators;
    v->head.nfigures = (uint32_t) r->figure_count;
    v->head.figures = v->figures;
    v->head.units_total = (uint32_t) v->nunits;
    cchc_provfig_structure (v->units, v->nunits, v->head.structure);
    return 0;
}

static uint32_t
s_parts (const s_version_t *v)
{
    return v->nunits == 0 ? 1 : (uint32_t) ((v->nunits + v->per_part - 1) / v->per_part);
}

/*  Part `part` of the version with `seq`. */
static int
s_encode_part (const s_version_t *v, uint32_t part, uint64_t seq, uint8_t **body, size_t *len)
{
    cchc_provfig_t f = v->head;
    f.seq = seq;
    f.part = part;
    f.parts = s_parts (v);
    size_t first = (size_t) part * v->per_part;
    size_t n = v->nunits - first < v->per_part ? v->nunits - first : v->per_part;
    f.units = v->units + first;
    f.nunits = (uint32_t) n;
    if (part > 0)
        f.nfigures = 0;
    return cchc_provfig_encode (&f, body, len);
}

/*  The largest units per part (from 100, halving) whose every part fits. */
static int
s_plan (s_version_t *v, char *err, size_t errlen)
{
    for (v->per_part = S_UNITS_PER_PART; v->per_part >= 1; v->per_part /= 2) {
        if (s_parts (v) > CCHC_PROVFIG_PARTS_MAX)
            break;
        bool fits = true;
        for (uint32_t p = 0; p < s_parts (v) && fits; p++) {
            uint8_t *body = NULL;
            size_t len = 0;
            int rc = s_encode_part (v, p, (uint64_t) CCHC_PROTO_SEQ_MAX, &body, &len);
            free (body);
            if (rc == CCHC_REASON_TOO_LARGE)
                fits = false;
            else if (rc != CCHC_REASON_NONE) {
                cchc_errf (err, errlen, "figures refused by the encoder: %s",
                           cchc_reason_name (rc));
                return -1;
            }
        }
        if (fits)
            return 0;
    }
    cchc_errf (err, errlen, "the figures do not fit %d parts", CCHC_PROVFIG_PARTS_MAX);
    return -1;
}

static int
s_build_cb (void *arg, size_t index, uint64_t seq, uint8_t **body, size_t *len,
            uint8_t sig [CCHC_KEY_SIGNATURE_BYTES], char *err, size_t errlen)
{
    const s_version_t *v = arg;
    int rc = s_encode_part (v, (uint32_t) index, seq, body, len);
    if (rc != CCHC_REASON_NONE) {
        cchc_errf (err, errlen, "part %zu: %s", index, cchc_reason_name (rc));
        return -1;
    }
    cchc_provfig_sign (v->key, *body, *len, sig);
    return 0;
}

/* ------------------------------------------------------------------------ */
/*  The scan                                                                 */

/*  The code of the province (the newest unit of level tinh). */
static int
s_province_code (sqlite3 *db, char *code, size_t size, char *err, size_t errlen)
{
    int found = cchc_db_province_find (db, 0, code, size, NULL, 0);
    if (found < 0)
        cchc_errf (err, errlen, "unit table: %s", sqlite3_errmsg (db));
    else if (found == 0)
        cchc_errf (err, errlen,
                   "no province (level tinh) in the unit table: set "
                   "upstream.province");
    return found == 1 ? 0 : -1;
}

/*  Queue one locked period's version. */
static int
s_queue_one (cchc_outbox_t *outbox, const cchc_key_t *key, const char *code,
             const char *period, int64_t version, int64_t locked_at, int64_t journal,
             const char *snapshot, int64_t now_ms, size_t *messages, char *err, size_t errlen)
{
    cchc_criteria_t *cat = NULL;
    cchc_rollup_t *r = cchc_periods_restore (snapshot, &cat, err, errlen);
    if (!r)
        return -1;
    int rc = -1;
    s_version_t v;
    memset (&v, 0, sizeof v);
    json_error_t jerr;
    json_t *root = json_loads (snapshot, 0, &jerr);
    const char *text =
        root ? json_string_value (json_object_get (json_object_get (root, "criteria"), "text"))
             : NULL;
    if (!text) {
        cchc_errf (err, errlen, "period %s: the snapshot has no catalogue text", period);
        goto done;
    }
    if (s_version_build (&v, r, cat, err, errlen) != 0)
        goto done;
    v.key = key;
    memcpy (v.head.province, cchc_key_public (key), 32);
    cchc_strlcpy (v.head.code, code, sizeof v.head.code);
    v.head.created_ms = (uint64_t) now_ms;
    cchc_strlcpy (v.head.period, period, sizeof v.head.period);
    v.head.version = (uint64_t) version;
    v.head.locked_ms = locked_at > 0 ? (uint64_t) locked_at : 0;
    v.head.journal = journal > 0 ? (uint64_t) journal : 0;
    cchc_upstream_catalogue_hash (text, strlen (text), v.head.catalogue);
    int year = cchc_criteria_year (cat);
    v.head.cat_year = year > 0 && year <= 9999 ? (uint32_t) year : 0;
    if (s_plan (&v, err, errlen) != 0)
        goto done;
    char state_key [64], state_value [32];
    snprintf (state_key, sizeof state_key, "figures:%s", period);
    snprintf (state_value, sizeof state_value, "%lld", (long long) version);
    uint32_t parts = s_parts (&v);
    uint64_t first = 0;
    if (cchc_outbox_put (outbox, parts, s_build_cb, &v, state_key, state_value, now_ms, &first,
                         err, errlen)
        != 0)
        goto done;
    cchc_notice ("upstream: %s version %lld queued (%zu units, %u parts, seq %llu..)", period,
                 (long long) version, v.nunits, parts, (unsigned long long) first);
    *messages += parts;
    rc = 0;
done:
    json_decref (root);
    s_version_free (&v);
    cchc_rollup_destroy (&r);
    cchc_criteria_destroy (&cat);
    return rc;
}

/*  What the scan walks with. */
typedef struct {
    cchc_outbox_t *outbox;
    const cchc_key_t *key;
    const char *province;
    int64_t now_ms;
    size_t *versions, *messages;
    char *err;
    size_t errlen;
    bool failed; /* err says why */
} s_scan_t;

/*  One locked period: queued unless the outbox has its version already. */
static int
s_scan_one (const cchc_db_upstream_locked_t *row, void *arg)
{
    s_scan_t *scan = arg;
    int64_t version = row->locks < 1 ? 1 : row->locks;
    char key_name [64], have [32];
    snprintf (key_name, sizeof key_name, "figures:%s", row->period);
    int got = cchc_outbox_state_get (scan->outbox, key_name, have, sizeof have);
    if (got < 0) {
        cchc_errf (scan->err, scan->errlen, "outbox state");
        scan->failed = true;
        return -1;
    }
    if (got == 1 && atoll (have) >= version)
        return 0;
    if (s_queue_one (scan->outbox, scan->key, scan->province, row->period, version,
                     row->locked_at, row->journal_pos, row->snapshot, scan->now_ms,
                     scan->messages, scan->err, scan->errlen)
        != 0) {
        scan->failed = true;
        return -1;
    }
    (*scan->versions)++;
    return 0;
}

int
cchc_upstream_queue (sqlite3 *db, cchc_outbox_t *outbox, const cchc_key_t *key,
                     const char *code, int64_t now_ms, size_t *versions, size_t *messages,
                     char *err, size_t errlen)
{
    assert (db && outbox && key && versions && messages);
    *versions = 0;
    *messages = 0;
    if (cchc_periods_managed (db) != 1)
        return 0; /* no period tables yet: nothing locked */
    char province [CCHC_UNIT_MAX + 1];
    if (code && *code)
        cchc_strlcpy (province, code, sizeof province);
    else if (s_province_code (db, province, sizeof province, err, errlen) != 0)
        return -1;
    if (!cchc_unit_code_valid (province, strlen (province))) {
        cchc_errf (err, errlen, "province code '%s' is not a unit code", province);
        return -1;
    }
    s_scan_t scan = { outbox, key, province, now_ms, versions, messages, err, errlen, false };
    if (cchc_db_upstream_locked_each (db, s_scan_one, &scan) != 0) {
        if (!scan.failed)
            cchc_errf (err, errlen, "period_result: %s", sqlite3_errmsg (db));
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/*  The thread                                                               */

struct cchc_upstream_t {
    void *ctx;
    cchc_upstream_config_t conf;
    char *db_path, *province;
    const cchc_key_t *key; /* borrowed */
    cchc_outbox_t *outbox;
    cchc_sender_t *sender;
    pthread_t thread;
    bool started;
    atomic_bool stop;
};

cchc_upstream_t *
cchc_upstream_new (void *zmq_ctx, const cchc_upstream_config_t *conf, const cchc_key_t *key,
                   char *err, size_t errlen)
{
    assert (zmq_ctx && conf && key && conf->db_path && conf->outbox_path && conf->endpoint);
    cchc_upstream_t *self = calloc (1, sizeof *self);
    if (!self) {
        cchc_errf (err, errlen, "out of memory");
        return NULL;
    }
    self->ctx = zmq_ctx;
    self->conf = *conf;
    self->db_path = strdup (conf->db_path);
    self->province = strdup (conf->province ? conf->province : "");
    /*  The key is borrowed by the sender for the transport identity and by
        the scan for signing: the caller keeps it alive (collector main). */
    self->key = key;
    self->conf.db_path = self->db_path;
    self->conf.province = self->province;
    self->outbox = cchc_outbox_open (conf->outbox_path, true, err, errlen);
    if (!self->outbox) { /* err set by the outbox */
        cchc_upstream_destroy (&self);
        return NULL;
    }
    if (!self->db_path || !self->province) {
        cchc_errf (err, errlen, "out of memory");
        cchc_upstream_destroy (&self);
        return NULL;
    }
    cchc_sender_conf_t sc;
    memset (&sc, 0, sizeof sc);
    sc.nendpoints = 1;
    cchc_strlcpy (sc.endpoints [0], conf->endpoint, sizeof sc.endpoints [0]);
    memcpy (sc.collector_pk, conf->national_pk, 32);
    sc.curve = conf->curve;
    sc.request_timeout_ms = conf->request_timeout_ms > 0 ? conf->request_timeout_ms : 10000;
    sc.backoff_min_ms = 1000;
    sc.backoff_max_ms = conf->backoff_max_ms > 0 ? conf->backoff_max_ms : 300000;
    if (sc.backoff_max_ms < sc.backoff_min_ms)
        sc.backoff_min_ms = sc.backoff_max_ms;
    sc.failback_ms = 600000;
    sc.window = 8;
    self->sender = cchc_sender_new (zmq_ctx, &sc, key, self->outbox, err, errlen);
    if (!self->sender) {
        cchc_upstream_destroy (&self);
        return NULL;
    }
    return self;
}

static void *
s_thread (void *arg)
{
    cchc_upstream_t *self = arg;
    sqlite3 *db = NULL;
    int64_t next_scan = 0;
    while (!atomic_load (&self->stop)) {
        int64_t now = cchc_clock_now_ms ();
        if (now >= next_scan) {
            char err [512] = "";
            if (!db
                && sqlite3_open_v2 (self->db_path, &db, SQLITE_OPEN_READONLY, NULL)
                       != SQLITE_OK) {
                cchc_warn ("upstream: cannot open %s: %s", self->db_path,
                           db ? sqlite3_errmsg (db) : "out of memory");
                sqlite3_close (db);
                db = NULL;
            }
            if (db) {
                sqlite3_busy_timeout (db, 5000);
                size_t versions = 0, messages = 0;
                if (cchc_upstream_queue (db, self->outbox, self->key, self->province, now,
                                         &versions, &messages, err, sizeof err)
                    != 0)
                    cchc_warn ("upstream: %s", err);
            }
            next_scan = now + self->conf.interval_ms;
        }
        int64_t wait = cchc_sender_pump (self->sender);
        if (wait > 200 || wait < 0)
            wait = 200;
        void *sock = cchc_sender_socket (self->sender);
        if (sock) {
            zmq_pollitem_t item = { sock, 0, ZMQ_POLLIN, 0 };
            zmq_poll (&item, 1, (long) wait);
        }
        else {
            struct timespec ts = { wait / 1000, (long) (wait % 1000) * 1000000L };
            nanosleep (&ts, NULL);
        }
    }
    sqlite3_close (db);
    return NULL;
}

int
cchc_upstream_start (cchc_upstream_t *self, char *err, size_t errlen)
{
    assert (self && !self->started);
    if (pthread_create (&self->thread, NULL, s_thread, self) != 0) {
        cchc_errf (err, errlen, "cannot start the upstream thread");
        return -1;
    }
    self->started = true;
    return 0;
}

void
cchc_upstream_destroy (cchc_upstream_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    cchc_upstream_t *self = *self_p;
    if (self->started) {
        atomic_store (&self->stop, true);
        pthread_join (self->thread, NULL);
    }
    cchc_sender_destroy (&self->sender);
    cchc_outbox_destroy (&self->outbox);
    free (self->db_path);
    free (self->province);
    free (self);
    *self_p = NULL;
}
