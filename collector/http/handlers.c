/*  handlers.c — the endpoint handlers of the API (api_impl.h, docs/api.md):
    periods, one unit, agents, health, trend, explain and the exports.
    What they read of the database comes through collector/db/.
*/
#include "collector/http/api_impl.h"
#include "collector/db/periods.h"

/* ------------------------------------------------------------------------ */
/*  Handlers */

void
cchc_api_get_catalogue (cchc_api_t *self, const char *inm, cchc_api_reply_t *reply)
{
    cchc_api_reply_blob (reply, cchc_api_blob_ref (self->catalogue), inm);
}

void
cchc_api_get_periods (cchc_api_t *self, cchc_api_reply_t *reply)
{
    int64_t now = cchc_clock_now_ms ();
    cchc_date_t today = cchc_date_from_utc_ms (now);
    pthread_mutex_lock (&self->mutex);
    int32_t first = self->data_first, last = self->data_last;
    char province_code [CCHC_UNIT_MAX + 1];
    cchc_strlcpy (province_code, self->province_code, sizeof province_code);
    char *province_name = self->province_name ? strdup (self->province_name) : NULL;
    pthread_mutex_unlock (&self->mutex);

    cchc_date_t from = today;
    if (first > 0) {
        cchc_date_t d = cchc_date_from_yyyymmdd (first);
        if (d >= 0 && d < today)
            from = d;
    }
    json_t *root = json_object ();
    json_object_set_new (root, "now", cchc_rollup_json_time (now));
    json_object_set_new (root, "today", cchc_rollup_json_day (cchc_date_to_yyyymmdd (today)));
    /* the demonstration clock (common/clock.h), when the collector runs on one */
    json_t *clock = json_object ();
    json_object_set_new (clock, "demo", json_boolean (cchc_clock_is_demo ()));
    json_object_set_new (clock, "speed", json_integer (cchc_clock_speed ()));
    json_object_set_new (root, "clock", clock);
    json_object_set_new (root, "data_first_day",
                         first > 0 ? cchc_rollup_json_day (first) : json_null ());
    json_object_set_new (root, "data_last_day",
                         last > 0 ? cchc_rollup_json_day (last) : json_null ());
    json_t *prov = json_object ();
    json_object_set_new (prov, "code", json_string (province_code));
    json_object_set_new (prov, "name", cchc_api_jstr_or_null (province_name));
    json_object_set_new (root, "province", prov);
    free (province_name);
    cchc_period_t def;
    cchc_api_default_period (self, now, &def);
    char id [CCHC_PERIOD_ID_MAX];
    cchc_period_format (&def, id, sizeof id);
    json_object_set_new (root, "default", json_string (id));

    json_t *periods = json_array ();
    static const cchc_period_kind_t kinds [] = { CCHC_PERIOD_YEAR, CCHC_PERIOD_NINE_MONTHS,
                                                 CCHC_PERIOD_HALF, CCHC_PERIOD_QUARTER,
                                                 CCHC_PERIOD_MONTH };
    for (size_t k = 0; k < sizeof kinds / sizeof kinds [0]; k++) {
        cchc_period_t p;
        if (cchc_period_of (kinds [k], from, &p) != 0) {
            /* 9 months: from lies between 15/09 and 14/12, take next year's */
            cchc_period_t y;
            cchc_period_of (CCHC_PERIOD_YEAR, from, &y);
            p = (cchc_period_t){ CCHC_PERIOD_NINE_MONTHS, y.year + 1, 1 };
        }
        json_t *list = json_array ();
        for (int guard = 0; guard < 1200; guard++) {
            cchc_date_t a, b;
            cchc_period_window (&p, &a, &b);
            if (a > today)
                break;
            json_array_insert_new (list, 0, cchc_api_period_json (self, &p, now, NULL));
            cchc_period_t next;
            cchc_period_next (&p, &next);
            p = next;
        }
        json_array_extend (periods, list);
        json_decref (list);
    }
    json_object_set_new (root, "periods", periods);
    cchc_api_reply_json (reply, root);
}

void
cchc_api_get_entry_blob (cchc_api_t *self, int key, const cchc_period_t *p, const char *inm,
                         cchc_api_reply_t *reply)
{
    cchc_api_entry_t *e = cchc_api_acquire_reply (self, p, reply);
    if (!e)
        return;
    cchc_api_blob_t *b = cchc_api_entry_blob (self, e, key);
    cchc_api_entry_unref (&e);
    cchc_api_reply_blob (reply, b, inm);
}

static json_t *
s_agent_json (const cchc_api_agent_t *g, int64_t now, int silent_days, bool with_unit)
{
    json_t *o = json_object ();
    json_object_set_new (o, "id", json_integer (g->id));
    json_object_set_new (o, "name", json_string (g->name));
    if (with_unit) {
        json_object_set_new (o, "unit", json_string (g->unit));
        json_object_set_new (o, "unit_name", cchc_api_jstr_or_null (g->unit_name));
    }
    json_object_set_new (o, "key", json_string (g->key));
    json_object_set_new (o, "enrolled_at", cchc_rollup_json_time (g->enrolled_at));
    json_object_set_new (o, "revoked_at", cchc_rollup_json_time (g->revoked_at));
    json_object_set_new (o, "active", json_boolean (g->revoked_at == 0));
    json_object_set_new (o, "last_seen", cchc_rollup_json_time (g->last_seen));
    json_object_set_new (o, "days_silent",
                         g->last_seen > 0 ? json_integer ((now - g->last_seen) / CCHC_DAY_MS)
                                          : json_null ());
    json_object_set_new (
        o, "silent",
        json_boolean (g->revoked_at == 0
                      && (g->last_seen <= 0
                          || now - g->last_seen >= (int64_t) silent_days * CCHC_DAY_MS)));
    json_object_set_new (o, "last_seq", json_integer (g->last_seq));
    json_object_set_new (o, "accepted", json_integer (g->accepted));
    json_object_set_new (o, "duplicates", json_integer (g->duplicates));
    json_object_set_new (o, "rejected", json_integer (g->rejected));
    /*  Its clock against ours, from its reports (schema.h: agent.clock_*). */
    json_object_set_new (o, "clock_skew_ms",
                         g->has_clock ? json_integer (g->clock_skew) : json_null ());
    json_object_set_new (o, "clock_ahead_max_ms", json_integer (g->clock_ahead));
    json_object_set_new (o, "clock_measured_at",
                         cchc_rollup_json_time (g->has_clock ? g->clock_at : 0));
    return o;
}

void
cchc_api_get_unit (cchc_api_t *self, const char *code, const cchc_period_t *p,
                   cchc_api_reply_t *reply)
{
    if (!cchc_unit_code_valid (code, strlen (code))) {
        cchc_api_reply_errorf (reply, 404, "unknown unit '%.32s'", code);
        return;
    }
    cchc_api_entry_t *e = cchc_api_acquire_reply (self, p, reply);
    if (!e)
        return;
    int ui = cchc_api_entry_unit (e, code);
    if (ui < 0) {
        cchc_api_reply_errorf (reply, 404, "unknown unit '%s' (not a scored unit in %s)", code,
                               e->id);
        cchc_api_entry_unref (&e);
        return;
    }
    const cchc_rollup_t *r = e->rollup;
    const cchc_criteria_t *cat = r->criteria;
    const cchc_rollup_unit_result_t *u = &r->units [ui];
    int64_t now = cchc_clock_now_ms ();
    json_t *full = cchc_rollup_json (r, code);
    json_t *ju = full ? json_array_get (json_object_get (full, "units"), 0) : NULL;
    if (!ju) {
        json_decref (full);
        cchc_api_entry_unref (&e);
        cchc_api_reply_error (reply, 500, "out of memory");
        return;
    }
    json_incref (ju);
    json_decref (full);
    /* names beside the codes */
    json_object_set_new (ju, "level_name", json_string (cchc_label_level (u->level)));
    json_object_set_new (ju, "parent_name",
                         cchc_api_jstr_or_null (cchc_api_entry_unit_name (e, u->parent)));
    json_object_set_new (ju, "has_index", json_boolean (u->has_index));
    size_t level_units = 0;
    for (size_t i = 0; i < r->unit_count; i++)
        level_units += r->units [i].level == u->level && r->units [i].has_index;
    json_object_set_new (ju, "ranked_in_level", json_integer ((json_int_t) level_units));
    json_t *areas = json_object_get (ju, "areas");
    for (size_t a = 0; a < json_array_size (areas); a++) {
        json_t *ja = json_array_get (areas, a);
        const cchc_area_t *area = cchc_criteria_area (cat, a);
        json_object_set_new (ja, "name", json_string (area->name));
        json_object_set_new (ja, "points", json_real (area->points));
    }
    json_t *inds = json_object_get (ju, "indicators");
    for (size_t i = 0; i < json_array_size (inds); i++) {
        json_t *ji = json_array_get (inds, i);
        const cchc_indicator_t *ind = cchc_criteria_indicator (cat, i);
        json_object_set_new (ji, "name", json_string (ind->name));
        json_object_set_new (ji, "area_name",
                             json_string (cchc_criteria_area (cat, ind->area)->name));
        json_object_set_new (ji, "state_name",
                             json_string (cchc_score_state_name (u->scores [i].state)));
        json_object_set_new (ji, "rule", json_string (cchc_api_rule_code (ind->rule)));
        json_object_set_new (ji, "better", json_string (ind->higher ? "higher" : "lower"));
        json_object_set_new (
            ji, "rate",
            json_boolean (ind->denominator >= 0 || ind->rule == CCHC_RULE_ON_TIME));
        json_object_set_new (ji, "numerator_metric",
                             ind->numerator >= 0 ? json_string (
                                 cchc_criteria_metric (cat, (size_t) ind->numerator)->code)
                                                 : json_null ());
        json_object_set_new (ji, "denominator_metric",
                             ind->denominator >= 0 ? json_string (
                                 cchc_criteria_metric (cat, (size_t) ind->denominator)->code)
                                                   : json_null ());
    }
    json_t *metrics = json_object_get (ju, "metrics");
    for (size_t m = 0; m < json_array_size (metrics); m++)
        json_object_set_new (json_array_get (metrics, m), "name",
                             json_string (cchc_criteria_metric (cat, m)->name));

    json_t *root = json_object ();
    cchc_api_common_head (self, root, e, now);
    json_object_set_new (root, "unit", ju);
    json_t *agents = json_array ();
    cchc_api_agents_t *a = cchc_api_agents_get (self);
    for (size_t i = a ? cchc_api_agents_first (a, code) : 0;
         a && i < a->count && strcmp (a->agents [i].unit, code) == 0; i++)
        json_array_append_new (
            agents, s_agent_json (&a->agents [i], now, self->conf.silent_days, false));
    cchc_api_agents_unref (&a);
    json_object_set_new (root, "agents", agents);
    cchc_api_entry_unref (&e);
    cchc_api_reply_json (reply, root);
}

/*  The /api/v1/agents reply of snapshot `a`, built if missing or older than
    a minute ("days silent" moves with time).  New reference or NULL. */
cchc_api_blob_t *
cchc_api_agents_blob (cchc_api_t *self, cchc_api_agents_t *a)
{
    int64_t mono = cchc_clock_mono_ms ();
    pthread_mutex_lock (&self->agents_blob_mutex);
    cchc_api_blob_t *b = self->agents_blob;
    if (!b || b->agents_gen != a->generation
        || mono - b->built_mono >= cchc_api_status_max_age ()) {
        int64_t now = cchc_clock_now_ms ();
        json_t *root = json_object ();
        json_object_set_new (root, "now", cchc_rollup_json_time (now));
        json_object_set_new (root, "silent_days", json_integer (self->conf.silent_days));
        json_t *list = json_array ();
        size_t active = 0, silent = 0;
        for (size_t i = 0; i < a->count; i++) {
            json_t *o = s_agent_json (&a->agents [i], now, self->conf.silent_days, true);
            active += a->agents [i].revoked_at == 0;
            silent += json_is_true (json_object_get (o, "silent"));
            json_array_append_new (list, o);
        }
        json_object_set_new (root, "total", json_integer ((json_int_t) a->count));
        json_object_set_new (root, "active", json_integer ((json_int_t) active));
        json_object_set_new (root, "silent", json_integer ((json_int_t) silent));
        json_object_set_new (root, "agents", list);
        size_t size = 0;
        char *text = cchc_api_dump (root, &size);
        char etag [64];
        snprintf (etag, sizeof etag, "\"%s-a%llu-%lld\"", self->instance,
                  (unsigned long long) a->generation, (long long) (mono / 1000));
        cchc_api_blob_t *nb = text ? cchc_api_blob_new (text, size, etag) : NULL;
        if (nb) {
            nb->agents_gen = a->generation;
            cchc_api_blob_unref (&self->agents_blob);
            self->agents_blob = nb;
        }
        b = nb;
    }
    cchc_api_blob_ref (b);
    pthread_mutex_unlock (&self->agents_blob_mutex);
    return b;
}

void
cchc_api_get_agents (cchc_api_t *self, const char *inm, cchc_api_reply_t *reply)
{
    cchc_api_agents_t *a = cchc_api_agents_get (self);
    if (!a) {
        cchc_api_reply_error (reply, 503, "the agent table is not loaded yet");
        return;
    }
    cchc_api_blob_t *b = cchc_api_agents_blob (self, a);
    cchc_api_agents_unref (&a);
    cchc_api_reply_blob (reply, b, inm);
}

/*  The "cache" object of /api/v1/health: the periods held, computations. */
static json_t *
s_health_cache (cchc_api_t *self)
{
    json_t *cache = json_object ();
    pthread_mutex_lock (&self->mutex);
    json_t *cached = json_array ();
    for (size_t i = 0; i < self->slot_count; i++) {
        const cchc_api_slot_t *s = &self->slots [i];
        if (!s->used)
            continue;
        json_t *o = json_object ();
        json_object_set_new (o, "period", json_string (s->id));
        json_object_set_new (o, "computed_at",
                             s->entry ? cchc_rollup_json_time (s->entry->computed_ms)
                                      : json_null ());
        json_object_set_new (o, "compute_ms",
                             s->entry ? json_integer (s->entry->compute_ms) : json_null ());
        json_object_set_new (o, "journal_max",
                             s->entry ? json_integer (s->entry->version.journal_max)
                                      : json_null ());
        json_object_set_new (o, "computing", json_boolean (s->computing));
        json_object_set_new (o, "stale", json_boolean (s->wanted));
        json_object_set_new (o, "error", s->failed ? json_string (s->error) : json_null ());
        json_array_append_new (cached, o);
    }
    json_object_set_new (cache, "journal_max", json_integer (self->version.journal_max));
    pthread_mutex_unlock (&self->mutex);
    json_object_set_new (cache, "periods", cached);
    json_object_set_new (cache, "computations",
                         json_integer ((json_int_t) atomic_load (&self->computations)));
    json_object_set_new (cache, "failures",
                         json_integer ((json_int_t) atomic_load (&self->compute_failures)));
    json_object_set_new (cache, "last_compute_ms",
                         json_integer ((json_int_t) atomic_load (&self->last_compute_ms)));
    return cache;
}

/*  The stats rows of /api/v1/health, and when the newest was written. */
typedef struct {
    json_t *values;
    int64_t updated;
} s_stats_t;

static int
s_stat_add (const cchc_db_stat_t *stat, void *arg)
{
    s_stats_t *s = arg;
    json_object_set_new (s->values, stat->name,
                         stat->is_integer ? json_integer (stat->ival)
                                          : cchc_rollup_json_real (stat->real));
    if (stat->updated_at > s->updated)
        s->updated = stat->updated_at;
    return 0;
}

void
cchc_api_get_health (cchc_api_t *self, cchc_api_reply_t *reply)
{
    char err [256] = "";
    sqlite3 *db = cchc_api_pool_get (self, err, sizeof err);
    if (!db) {
        cchc_api_reply_error (reply, 500, err);
        return;
    }
    int64_t now = cchc_clock_now_ms ();
    json_t *root = json_object ();
    json_object_set_new (root, "status", json_string ("ok"));
    json_object_set_new (root, "version", json_string (CCHC_VERSION));
    json_object_set_new (root, "now", cchc_rollup_json_time (now));
    json_object_set_new (root, "started_at", cchc_rollup_json_time (self->started_ms));
    json_object_set_new (root, "uptime_s", json_integer ((now - self->started_ms) / 1000));

    s_stats_t stats = { json_object (), 0 };
    cchc_db_stats_each (db, s_stat_add, &stats);
    cchc_api_pool_put (self, db);
    /* the rest from the worker's latest poll and agents snapshot: no scan */
    json_t *db_o = json_object ();
    cchc_api_agents_t *a = cchc_api_agents_get (self);
    int64_t agents = 0, active = 0, rejected = 0, accepted = 0, duplicates = 0;
    for (size_t i = 0; a && i < a->count; i++) {
        agents++;
        active += a->agents [i].revoked_at == 0;
        rejected += a->agents [i].rejected;
        accepted += a->agents [i].accepted;
        duplicates += a->agents [i].duplicates;
    }
    cchc_api_agents_unref (&a);
    pthread_mutex_lock (&self->mutex);
    cchc_api_version_t v = self->version;
    pthread_mutex_unlock (&self->mutex);
    json_object_set_new (db_o, "journal_max", json_integer (v.journal_max));
    json_object_set_new (db_o, "units", json_integer (v.units));
    json_object_set_new (db_o, "agents", json_integer (agents));
    json_object_set_new (db_o, "agents_active", json_integer (active));
    json_object_set_new (db_o, "accepted", json_integer (accepted));
    json_object_set_new (db_o, "duplicates", json_integer (duplicates));
    json_object_set_new (db_o, "rejected", json_integer (rejected));

    json_t *collector = json_object ();
    json_object_set_new (collector, "running",
                         json_boolean (stats.updated > 0 && now - stats.updated < 15000));
    json_object_set_new (collector, "stats_updated_at", cchc_rollup_json_time (stats.updated));
    json_object_set_new (collector, "stats", stats.values);
    json_object_set_new (root, "collector", collector);
    json_object_set_new (root, "database", db_o);

    json_object_set_new (root, "cache", s_health_cache (self));

    json_t *http = json_object ();
    json_object_set_new (http, "requests",
                         json_integer ((json_int_t) atomic_load (&self->http_requests)));
    json_object_set_new (http, "status_2xx",
                         json_integer ((json_int_t) atomic_load (&self->http_2xx)));
    json_object_set_new (http, "status_3xx",
                         json_integer ((json_int_t) atomic_load (&self->http_3xx)));
    json_object_set_new (http, "status_4xx",
                         json_integer ((json_int_t) atomic_load (&self->http_4xx)));
    json_object_set_new (http, "status_5xx",
                         json_integer ((json_int_t) atomic_load (&self->http_5xx)));
    json_object_set_new (root, "http", http);
    cchc_api_reply_json (reply, root);
}

/*  The trend's last period: `to`, else `period` (or the default one), then
    with `kind` the latest period of that kind up to it.  0, or -1 with the
    reply made. */
static int
s_trend_last (cchc_api_t *self, cchc_api_param_fn *param, void *arg, cchc_period_t *out,
              cchc_api_reply_t *reply)
{
    const cchc_criteria_t *cat = self->criteria;
    cchc_period_t to;
    if (param (arg, "to")) {
        /* reuse the period checks with the "to" parameter */
        const char *t = param (arg, "to");
        int64_t now = cchc_clock_now_ms ();
        cchc_rollup_window_t w;
        if (strlen (t) >= CCHC_PERIOD_ID_MAX || cchc_period_parse (t, &to) != 0) {
            cchc_api_reply_errorf (reply, 404, "unknown period '%.16s'", t);
            return -1;
        }
        cchc_rollup_window (cat, &to, now, &w);
        if (cchc_api_future (&w, now)) {
            cchc_api_reply_errorf (reply, 404, "unknown period '%s': it has not started yet",
                                   w.id);
            return -1;
        }
    }
    else if (cchc_api_param_period (self, param, arg, &to, reply) != 0)
        return -1;
    const char *kind = param (arg, "kind");
    if (kind && !param (arg, "to") && !param (arg, "period")) {
        /* the latest period of that kind */
        cchc_period_kind_t k = 0;
        for (int i = 1; i <= 5; i++)
            if (strcmp (kind, cchc_rollup_json_kind (i)) == 0)
                k = (cchc_period_kind_t) i;
        if (!k) {
            cchc_api_reply_errorf (reply, 400,
                                   "bad kind '%.16s': month, quarter, half, "
                                   "nine_months or year",
                                   kind);
            return -1;
        }
        cchc_date_t first, last;
        cchc_period_window (&to, &first, &last);
        if (cchc_period_of (k, last, &to) != 0) {
            cchc_period_t y;
            cchc_period_of (CCHC_PERIOD_YEAR, last, &y);
            to = (cchc_period_t){ CCHC_PERIOD_NINE_MONTHS, y.year, 1 };
        }
    }
    *out = to;
    return 0;
}

/*  A trend point of one unit: its index (rank, grade) or indicator score;
    the unit's name into root's "unit" the first time. */
static void
s_trend_unit_point (json_t *root, json_t *pt, const cchc_rollup_unit_result_t *u, int ind,
                    int ind_e)
{
    if (u && json_is_null (json_object_get (root, "unit"))) {
        json_t *ju = json_object ();
        json_object_set_new (ju, "code", json_string (u->code));
        json_object_set_new (ju, "name", json_string (u->name));
        json_object_set_new (ju, "level", json_string (cchc_level_code (u->level)));
        json_object_set_new (root, "unit", ju);
    }
    if (ind < 0) {
        json_object_set_new (
            pt, "value", u && u->has_index ? cchc_rollup_json_real (u->index) : json_null ());
        json_object_set_new (pt, "rank", u && u->rank ? json_integer (u->rank) : json_null ());
        json_object_set_new (pt, "grade", cchc_api_jstr_or_null (u ? u->grade : NULL));
    }
    else {
        const cchc_rollup_score_t *s = u && ind_e >= 0 ? &u->scores [ind_e] : NULL;
        json_object_set_new (pt, "value", s ? cchc_rollup_json_real (s->value) : json_null ());
        json_object_set_new (pt, "numerator",
                             s ? cchc_rollup_json_real (s->numerator) : json_null ());
        json_object_set_new (pt, "denominator",
                             s ? cchc_rollup_json_real (s->denominator) : json_null ());
        json_object_set_new (pt, "target",
                             s ? cchc_rollup_json_real (s->target) : json_null ());
        json_object_set_new (pt, "points", s ? json_real (s->points) : json_null ());
        json_object_set_new (pt, "points_max", s ? json_real (s->points_max) : json_null ());
        json_object_set_new (pt, "score_state",
                             s ? json_string (cchc_score_state_code (s->state))
                               : json_null ());
    }
}

/*  A trend point of a level (or all levels): the distribution of the index,
    or the province figure of an indicator. */
static void
s_trend_level_point (json_t *pt, const cchc_rollup_t *r, int level, int ind, int ind_e)
{
    if (ind < 0) {
        const cchc_rollup_dist_t *d = &r->dist [level < 0 ? CCHC_LEVEL_COUNT : level];
        json_object_set_new (pt, "value", cchc_rollup_json_real (d->mean));
        json_object_set_new (pt, "median", cchc_rollup_json_real (d->median));
        json_object_set_new (pt, "min", cchc_rollup_json_real (d->min));
        json_object_set_new (pt, "max", cchc_rollup_json_real (d->max));
        json_object_set_new (pt, "ranked", json_integer ((json_int_t) d->ranked));
    }
    else {
        const cchc_rollup_figure_t *f =
            ind_e >= 0 ? cchc_rollup_figure (r, (size_t) ind_e, level) : NULL;
        json_object_set_new (
            pt, "value", f && f->has_value ? cchc_rollup_json_real (f->value) : json_null ());
        json_object_set_new (pt, "numerator",
                             f ? cchc_rollup_json_real (f->numerator) : json_null ());
        json_object_set_new (pt, "denominator",
                             f ? cchc_rollup_json_real (f->denominator) : json_null ());
        json_object_set_new (pt, "target",
                             f ? cchc_rollup_json_real (f->target) : json_null ());
        json_object_set_new (pt, "met", f ? json_boolean (f->met) : json_null ());
        json_object_set_new (pt, "units",
                             f ? json_integer ((json_int_t) f->units) : json_null ());
    }
}

void
cchc_api_get_trend (cchc_api_t *self, cchc_api_param_fn *param, void *arg,
                    cchc_api_reply_t *reply)
{
    const cchc_criteria_t *cat = self->criteria;
    const char *code = param (arg, "code");
    if (!code || !*code)
        code = "index";
    int ind = -1;
    if (strcmp (code, "index") != 0) {
        ind = cchc_criteria_indicator_find (cat, code);
        if (ind < 0) {
            cchc_api_reply_errorf (reply, 404,
                                   "unknown indicator '%.48s' (use an indicator "
                                   "code of the catalogue, or index)",
                                   code);
            return;
        }
    }
    const char *unit = param (arg, "unit");
    if (unit && !*unit)
        unit = NULL;
    int level = -1;
    if (!unit && cchc_api_param_level (param, arg, true, &level, reply) != 0)
        return;
    if (unit && !cchc_unit_code_valid (unit, strlen (unit))) {
        cchc_api_reply_errorf (reply, 404, "unknown unit '%.32s'", unit);
        return;
    }
    int64_t count = 8;
    const char *count_text = param (arg, "count");
    if (count_text && cchc_parse_int64 (count_text, 1, CCHC_API_TREND_MAX, &count) != 0) {
        cchc_api_reply_errorf (reply, 400, "bad count '%.16s': 1 to %d", count_text,
                               CCHC_API_TREND_MAX);
        return;
    }
    cchc_period_t to;
    if (s_trend_last (self, param, arg, &to, reply) != 0)
        return;
    cchc_period_t periods [CCHC_API_TREND_MAX];
    periods [count - 1] = to;
    for (int64_t i = count - 1; i > 0; i--)
        cchc_period_prev (&periods [i], &periods [i - 1]);

    int64_t now = cchc_clock_now_ms ();
    json_t *root = json_object ();
    json_object_set_new (root, "code", json_string (code));
    json_object_set_new (
        root, "name",
        json_string (ind < 0 ? "Chỉ số CCHC"
                             : cchc_criteria_indicator (cat, (size_t) ind)->name));
    json_object_set_new (root, "kind", json_string (cchc_rollup_json_kind (to.kind)));
    json_object_set_new (root, "level",
                         unit        ? json_null ()
                         : level < 0 ? json_string ("all")
                                     : json_string (cchc_level_code ((cchc_level_t) level)));
    json_object_set_new (root, "unit", json_null ());
    json_t *points = json_array ();
    for (int64_t i = 0; i < count; i++) {
        cchc_api_entry_t *e = cchc_api_acquire_reply (self, &periods [i], reply);
        if (!e) {
            json_decref (points);
            json_decref (root);
            return;
        }
        const cchc_rollup_t *r = e->rollup;
        json_t *pt = json_object ();
        char name [64];
        cchc_label_period (&periods [i], CCHC_LABEL_SENTENCE, name, sizeof name);
        json_object_set_new (pt, "period", json_string (e->id));
        json_object_set_new (pt, "name", json_string (name));
        json_t *jp = cchc_api_period_json (self, &periods [i], now, e);
        json_object_set_new (pt, "state", json_incref (json_object_get (jp, "state")));
        json_decref (jp);
        /* a locked period's figures carry the catalogue of their day */
        int ind_e = ind < 0 ? -1 : cchc_criteria_indicator_find (r->criteria, code);
        if (unit) {
            int ui = cchc_api_entry_unit (e, unit);
            if (ui < 0 && i == count - 1) {
                cchc_api_reply_errorf (
                    reply, 404, "unknown unit '%s' (not a scored unit in %s)", unit, e->id);
                json_decref (pt);
                json_decref (points);
                json_decref (root);
                cchc_api_entry_unref (&e);
                return;
            }
            s_trend_unit_point (root, pt, ui >= 0 ? &r->units [ui] : NULL, ind, ind_e);
        }
        else
            s_trend_level_point (pt, r, level, ind, ind_e);
        json_array_append_new (points, pt);
        cchc_api_entry_unref (&e);
    }
    json_object_set_new (root, "points", points);
    cchc_api_reply_json (reply, root);
}

typedef struct {
    json_t *rows;
    size_t count;
    bool truncated;
} s_explain_t;

static int
s_explain_row (const cchc_rollup_source_t *row, void *arg)
{
    s_explain_t *x = arg;
    if (x->count >= CCHC_API_EXPLAIN_MAX) {
        x->truncated = true;
        return -1;
    }
    json_t *o = json_object ();
    json_object_set_new (o, "metric", json_string (row->metric));
    json_object_set_new (o, "agent", json_integer (row->agent));
    json_object_set_new (o, "agent_name", cchc_api_jstr_or_null (row->agent_name));
    json_object_set_new (o, "day", cchc_rollup_json_day (row->day));
    /*  the protocol keeps the kind: an integer is one (47, not 47.0) */
    json_object_set_new (o, "value",
                         row->is_integer ? json_integer (row->ivalue)
                                         : cchc_rollup_json_real (row->value));
    json_object_set_new (o, "seq", json_integer (row->seq));
    json_object_set_new (o, "journal", json_integer (row->journal));
    json_object_set_new (o, "received_at", cchc_rollup_json_time (row->received_at));
    json_array_append_new (x->rows, o);
    x->count++;
    return 0;
}

void
cchc_api_get_explain (cchc_api_t *self, cchc_api_param_fn *param, void *arg,
                      cchc_api_reply_t *reply)
{
    cchc_period_t p;
    if (cchc_api_param_period (self, param, arg, &p, reply) != 0)
        return;
    const char *unit = param (arg, "unit");
    const char *code = param (arg, "code");
    if (!unit || !code) {
        cchc_api_reply_error (reply, 400,
                              "explain needs unit= and code= (a metric or "
                              "indicator code)");
        return;
    }
    if (!cchc_unit_code_valid (unit, strlen (unit))) {
        cchc_api_reply_errorf (reply, 404, "unknown unit '%.32s'", unit);
        return;
    }
    cchc_api_entry_t *e = cchc_api_acquire_reply (self, &p, reply);
    if (!e)
        return;
    if (cchc_api_entry_unit (e, unit) < 0) {
        cchc_api_reply_errorf (reply, 404, "unknown unit '%s' (not a scored unit in %s)", unit,
                               e->id);
        cchc_api_entry_unref (&e);
        return;
    }
    if (cchc_criteria_metric_find (self->criteria, code) < 0
        && cchc_criteria_indicator_find (self->criteria, code) < 0) {
        cchc_api_reply_errorf (reply, 404,
                               "unknown code '%.48s': neither a metric nor an "
                               "indicator of the catalogue",
                               code);
        cchc_api_entry_unref (&e);
        return;
    }
    char err [320];
    sqlite3 *db = cchc_api_pool_get (self, err, sizeof err);
    if (!db) {
        cchc_api_entry_unref (&e);
        cchc_api_reply_error (reply, 500, err);
        return;
    }
    s_explain_t x = { .rows = json_array () };
    int rc = cchc_rollup_explain (db, self->criteria, &e->rollup->window, unit, code,
                                  s_explain_row, &x, err, sizeof err);
    cchc_api_pool_put (self, db);
    if (rc != 0 && !x.truncated) {
        json_decref (x.rows);
        cchc_api_entry_unref (&e);
        cchc_api_reply_error (reply, 400, err);
        return;
    }
    json_t *root = json_object ();
    cchc_api_common_head (self, root, e, cchc_clock_now_ms ());
    json_object_set_new (root, "unit", json_string (unit));
    json_object_set_new (root, "code", json_string (code));
    json_object_set_new (root, "truncated", json_boolean (x.truncated));
    json_object_set_new (root, "rows", x.rows);
    cchc_api_entry_unref (&e);
    cchc_api_reply_json (reply, root);
}

void
cchc_api_get_export (cchc_api_t *self, const char *what, cchc_api_param_fn *param, void *arg,
                     cchc_api_reply_t *reply)
{
    const char *dot = strrchr (what, '.');
    cchc_export_format_t format = !dot                         ? 0
                                  : strcmp (dot, ".csv") == 0  ? CCHC_EXPORT_CSV
                                  : strcmp (dot, ".xlsx") == 0 ? CCHC_EXPORT_XLSX
                                                               : 0;
    size_t base = format ? (size_t) (dot - what) : 0;
    int table = base == 7 && strncmp (what, "ranking", 7) == 0   ? 1
                : base == 7 && strncmp (what, "summary", 7) == 0 ? 2
                : base == 6 && strncmp (what, "status", 6) == 0  ? 3
                                                                 : 0;
    if (!table) {
        cchc_api_reply_errorf (reply, 404,
                               "unknown export '%.40s' (ranking, summary or status, "
                               ".csv or .xlsx)",
                               what);
        return;
    }
    cchc_period_t p;
    int level = -1;
    if (cchc_api_param_period (self, param, arg, &p, reply) != 0
        || (table == 1 && cchc_api_param_level (param, arg, true, &level, reply) != 0))
        return;
    cchc_api_entry_t *e = cchc_api_acquire_reply (self, &p, reply);
    if (!e)
        return;
    char err [320];
    char *out = NULL;
    size_t size = 0;
    int rc;
    if (table == 1)
        rc = cchc_export_ranking (e->rollup, level, format, self->tmpdir, &out, &size, err,
                                  sizeof err);
    else if (table == 2)
        rc = cchc_export_summary (e->rollup, format, self->tmpdir, &out, &size, err,
                                  sizeof err);
    else {
        cchc_api_agents_t *a = cchc_api_agents_get (self);
        size_t n = 0;
        cchc_status_row_t *rows = cchc_api_status_rows (self, e, a, cchc_clock_now_ms (), &n);
        rc = rows ? cchc_export_status (e->rollup, rows, n, self->conf.silent_days, format,
                                        self->tmpdir, &out, &size, err, sizeof err)
                  : -1;
        if (!rows)
            cchc_errf (err, sizeof err, "out of memory");
        free (rows);
        cchc_api_agents_unref (&a);
    }
    if (rc != 0) {
        cchc_api_entry_unref (&e);
        cchc_api_reply_error (reply, 500, err);
        return;
    }
    cchc_api_reply_body (reply,
                         format == CCHC_EXPORT_CSV ? CCHC_API_CSV_TYPE : CCHC_API_XLSX_TYPE,
                         out, size, "no-store");
    static const char *names [] = { "", "xep-hang", "tong-hop", "tinh-hinh-bao-cao" };
    snprintf (reply->disposition, sizeof reply->disposition,
              "attachment; filename=\"cchc-%s-%s%s%s%s\"", names [table], e->id,
              level >= 0 ? "-" : "", level >= 0 ? cchc_level_code ((cchc_level_t) level) : "",
              format == CCHC_EXPORT_CSV ? ".csv" : ".xlsx");
    cchc_api_entry_unref (&e);
}

/* ------------------------------------------------------------------------ */
/*  National role (collector/national/national.h): the provinces ranked and a
    province's units as received.  GET /api/v1/national/ranking?period=P
    [&deadline_day=N], /api/v1/national/province?province=CODE&period=P
    [&version=N]; the ranking's files (collector/present/national.h), same
    parameters as ranking: ranking.csv, ranking.xlsx, report.html (the
    printable report's print view), report.pdf. */

static const char *const s_national_files [] = { "ranking.csv", "ranking.xlsx", "report.html",
                                                 "report.pdf", NULL };

/*  The ranking `root` rendered as `what` (one of s_national_files). */
static void
s_national_file (cchc_api_t *self, const json_t *root, const char *what, const char *id,
                 cchc_api_reply_t *reply)
{
    char err [512] = "", *out = NULL;
    size_t size = 0;
    int rc;
    const char *type = CCHC_API_CSV_TYPE;
    if (strncmp (what, "ranking.", 8) == 0) {
        bool csv = strcmp (what, "ranking.csv") == 0;
        type = csv ? CCHC_API_CSV_TYPE : CCHC_API_XLSX_TYPE;
        rc = cchc_present_national_export (root, self->criteria,
                                           csv ? CCHC_EXPORT_CSV : CCHC_EXPORT_XLSX,
                                           self->tmpdir, &out, &size, err, sizeof err);
    }
    else if (strcmp (what, "report.html") == 0) {
        type = "text/html; charset=utf-8";
        rc = cchc_present_national_html (root, self->criteria, cchc_clock_now_ms (), false,
                                         &out, &size, err, sizeof err);
    }
    else {
        type = "application/pdf";
        rc = cchc_present_national_pdf_bytes (root, self->criteria, cchc_clock_now_ms (),
                                              self->tmpdir, &out, &size, err, sizeof err);
    }
    if (rc != 0) {
        cchc_api_reply_error (reply, 500, err);
        return;
    }
    cchc_api_reply_body (reply, type, out, size, "no-store");
    /*  the print view opens in the browser; the others are files */
    if (strcmp (what, "report.html") != 0)
        snprintf (reply->disposition, sizeof reply->disposition,
                  "attachment; filename=\"cchc-quoc-gia-%s-%s%s\"",
                  strncmp (what, "ranking", 7) == 0 ? "xep-hang" : "bao-cao", id,
                  strchr (what, '.'));
}

/*  0 (ranking or a file of it), 1 (province), -1 (none of them). */
static int
s_national_what (const char *what)
{
    if (strcmp (what, "ranking") == 0)
        return 0;
    if (strcmp (what, "province") == 0)
        return 1;
    for (size_t i = 0; s_national_files [i]; i++)
        if (strcmp (what, s_national_files [i]) == 0)
            return 0;
    return -1;
}

void
cchc_api_get_national (cchc_api_t *self, const char *what, cchc_api_param_fn *param,
                       void *param_arg, cchc_api_reply_t *reply)
{
    char err [512];
    const char *period = param (param_arg, "period");
    cchc_period_t p;
    int kind = s_national_what (what);
    if (kind < 0) {
        cchc_api_reply_errorf (reply, 404, "no such endpoint '/api/v1/national/%.40s'", what);
        return;
    }
    if (!period || strlen (period) >= CCHC_PERIOD_ID_MAX
        || cchc_period_parse (period, &p) != 0) {
        cchc_api_reply_error (reply, 400, "period=P is required (2021-Q1, 2021-03, ...)");
        return;
    }
    char id [CCHC_PERIOD_ID_MAX];
    cchc_period_format (&p, id, sizeof id);
    int64_t number = 0;
    const char *text = param (param_arg, kind == 0 ? "deadline_day" : "version");
    if (text && cchc_parse_int64 (text, 1, UINT32_MAX, &number) != 0) {
        cchc_api_reply_error (reply, 400, "deadline_day / version must be a positive number");
        return;
    }
    const char *province = param (param_arg, "province");
    if (kind == 1 && (!province || !cchc_unit_code_valid (province, strlen (province)))) {
        cchc_api_reply_error (reply, 400, "province=CODE is required");
        return;
    }
    sqlite3 *db = cchc_api_pool_get (self, err, sizeof err);
    if (!db) {
        cchc_api_reply_error (reply, 500, err);
        return;
    }
    json_t *root = NULL;
    int rc = kind == 0
                 ? cchc_national_rank (db, &p, number > 0 && number <= 31 ? (int) number : 28,
                                       &root, err, sizeof err)
                 : cchc_national_province (db, province, id, number, &root, err, sizeof err);
    cchc_api_pool_put (self, db);
    if (rc != 0) {
        cchc_api_reply_error (reply, kind == 1 ? 404 : 500, err);
        return;
    }
    if (kind == 0 && strcmp (what, "ranking") != 0) {
        s_national_file (self, root, what, id, reply);
        json_decref (root);
        return;
    }
    cchc_api_reply_json (reply, root);
}
