/*  api.c — the dashboard's JSON API and exports (api.h, docs/api.md): the
    route table that dispatches a request to its handler, the counters, and
    the API object's life cycle.  The cache and worker are in cache.c, the
    serialisers in views.c, the handlers in handlers.c (api_impl.h).
*/
#include "collector/http/api_impl.h"

/* ------------------------------------------------------------------------ */
/*  Routes: one small function per endpoint, found in a table */

typedef struct {
    const char *rest; /* the path after a prefix route's prefix */
    cchc_api_param_fn *param;
    void *arg;
    const char *if_none_match;
} s_request_t;

typedef void (s_route_fn) (cchc_api_t *self, const s_request_t *rq, cchc_api_reply_t *reply);

/*  A blob of the entry of the `period` parameter's period. */
static void
s_entry_route (cchc_api_t *self, const s_request_t *rq, int key, cchc_api_reply_t *reply)
{
    cchc_period_t p;
    if (cchc_api_param_period (self, rq->param, rq->arg, &p, reply) == 0)
        cchc_api_get_entry_blob (self, key, &p, rq->if_none_match, reply);
}

static void
s_route_summary (cchc_api_t *self, const s_request_t *rq, cchc_api_reply_t *reply)
{
    s_entry_route (self, rq, CCHC_API_BLOB_SUMMARY, reply);
}

static void
s_route_ranking (cchc_api_t *self, const s_request_t *rq, cchc_api_reply_t *reply)
{
    int level;
    cchc_period_t p;
    if (cchc_api_param_period (self, rq->param, rq->arg, &p, reply) == 0
        && cchc_api_param_level (rq->param, rq->arg, true, &level, reply) == 0)
        cchc_api_get_entry_blob (
            self, level < 0 ? CCHC_API_BLOB_RANK_ALL : CCHC_API_BLOB_RANK_SO + level, &p,
            rq->if_none_match, reply);
}

static void
s_route_units (cchc_api_t *self, const s_request_t *rq, cchc_api_reply_t *reply)
{
    s_entry_route (self, rq, CCHC_API_BLOB_UNITS, reply);
}

static void
s_route_status (cchc_api_t *self, const s_request_t *rq, cchc_api_reply_t *reply)
{
    s_entry_route (self, rq, CCHC_API_BLOB_STATUS, reply);
}

static void
s_route_unit (cchc_api_t *self, const s_request_t *rq, cchc_api_reply_t *reply)
{
    cchc_period_t p;
    if (cchc_api_param_period (self, rq->param, rq->arg, &p, reply) == 0)
        cchc_api_get_unit (self, rq->rest, &p, reply);
}

static void
s_route_catalogue (cchc_api_t *self, const s_request_t *rq, cchc_api_reply_t *reply)
{
    cchc_api_get_catalogue (self, rq->if_none_match, reply);
}

static void
s_route_periods (cchc_api_t *self, const s_request_t *rq, cchc_api_reply_t *reply)
{
    (void) rq;
    cchc_api_get_periods (self, reply);
}

static void
s_route_trend (cchc_api_t *self, const s_request_t *rq, cchc_api_reply_t *reply)
{
    cchc_api_get_trend (self, rq->param, rq->arg, reply);
}

static void
s_route_agents (cchc_api_t *self, const s_request_t *rq, cchc_api_reply_t *reply)
{
    cchc_api_get_agents (self, rq->if_none_match, reply);
}

static void
s_route_health (cchc_api_t *self, const s_request_t *rq, cchc_api_reply_t *reply)
{
    (void) rq;
    cchc_api_get_health (self, reply);
}

static void
s_route_explain (cchc_api_t *self, const s_request_t *rq, cchc_api_reply_t *reply)
{
    cchc_api_get_explain (self, rq->param, rq->arg, reply);
}

static void
s_route_national (cchc_api_t *self, const s_request_t *rq, cchc_api_reply_t *reply)
{
    cchc_api_get_national (self, rq->rest, rq->param, rq->arg, reply);
}

static void
s_route_export (cchc_api_t *self, const s_request_t *rq, cchc_api_reply_t *reply)
{
    cchc_api_get_export (self, rq->rest, rq->param, rq->arg, reply);
}

/*  The routes (docs/api.md).  A prefix route ("/api/v1/units/") takes the
    rest of the path as its argument; it must not be empty unless `empty`. */
static const struct {
    const char *path;
    bool prefix, empty;
    s_route_fn *fn;
} s_routes [] = {
    { "/api/v1/catalogue", false, false, s_route_catalogue },
    { "/api/v1/periods", false, false, s_route_periods },
    { "/api/v1/summary", false, false, s_route_summary },
    { "/api/v1/ranking", false, false, s_route_ranking },
    { "/api/v1/units", false, false, s_route_units },
    { "/api/v1/units/", true, false, s_route_unit },
    { "/api/v1/status", false, false, s_route_status },
    { "/api/v1/trend", false, false, s_route_trend },
    { "/api/v1/agents", false, false, s_route_agents },
    { "/api/v1/health", false, false, s_route_health },
    { "/api/v1/explain", false, false, s_route_explain },
    { "/api/v1/national/", true, true, s_route_national },
    { "/export/", true, true, s_route_export },
};

void
cchc_api_handle (cchc_api_t *self, const char *path, cchc_api_param_fn *param, void *param_arg,
                 const char *if_none_match, cchc_api_reply_t *reply)
{
    assert (self && path && param && reply);
    cchc_api_reply_init (reply);
    s_request_t rq = {
        .rest = "", .param = param, .arg = param_arg, .if_none_match = if_none_match
    };
    for (size_t i = 0; i < sizeof s_routes / sizeof s_routes [0]; i++) {
        size_t len = strlen (s_routes [i].path);
        if (s_routes [i].prefix ? strncmp (path, s_routes [i].path, len) != 0
                                      || (!path [len] && !s_routes [i].empty)
                                : strcmp (path, s_routes [i].path) != 0)
            continue;
        rq.rest = path + len;
        s_routes [i].fn (self, &rq, reply);
        return;
    }
    if (strncmp (path, "/api/v1/", 8) == 0)
        cchc_api_reply_errorf (reply, 404, "no such endpoint '/api/v1/%.40s'", path + 8);
    else
        cchc_api_reply_error (reply, 404, "no such endpoint (the API is under /api/v1/)");
}

void
cchc_api_count (cchc_api_t *self, int status)
{
    assert (self);
    atomic_fetch_add (&self->http_requests, 1);
    if (status < 300)
        atomic_fetch_add (&self->http_2xx, 1);
    else if (status < 400)
        atomic_fetch_add (&self->http_3xx, 1);
    else if (status < 500)
        atomic_fetch_add (&self->http_4xx, 1);
    else
        atomic_fetch_add (&self->http_5xx, 1);
}

int
cchc_api_prefetch (cchc_api_t *self, const char *period)
{
    assert (self);
    cchc_period_t p;
    if (!period || strlen (period) >= CCHC_PERIOD_ID_MAX
        || cchc_period_parse (period, &p) != 0)
        return -1;
    pthread_mutex_lock (&self->mutex);
    cchc_api_slot_t *s = cchc_api_slot_get (self, &p);
    if (s && !s->entry) {
        s->wanted = true;
        pthread_cond_signal (&self->wake);
    }
    pthread_mutex_unlock (&self->mutex);
    return s ? 0 : -1;
}

void
cchc_api_stats (cchc_api_t *self, cchc_api_stats_t *stats)
{
    assert (self && stats);
    memset (stats, 0, sizeof *stats);
    stats->computations = atomic_load (&self->computations);
    stats->compute_failures = atomic_load (&self->compute_failures);
    stats->last_compute_ms = atomic_load (&self->last_compute_ms);
    stats->agents_loads = atomic_load (&self->agents_loads);
    pthread_mutex_lock (&self->mutex);
    for (size_t i = 0; i < self->slot_count; i++)
        stats->periods += self->slots [i].used && self->slots [i].entry;
    pthread_mutex_unlock (&self->mutex);
}

/* ------------------------------------------------------------------------ */
/*  Life cycle */

cchc_api_t *
cchc_api_new (const cchc_api_config_t *conf, char *err, size_t errlen)
{
    assert (conf);
    if (!conf->db_path || !conf->criteria) {
        cchc_errf (err, errlen, "the database and the criteria catalogue are required");
        return NULL;
    }
    cchc_api_t *self = calloc (1, sizeof *self);
    if (!self) {
        cchc_errf (err, errlen, "out of memory");
        return NULL;
    }
    self->conf = *conf;
    if (self->conf.poll_ms <= 0)
        self->conf.poll_ms = 1000;
    if (self->conf.refresh_ms <= 0)
        self->conf.refresh_ms = 3000;
    if (self->conf.idle_ms <= 0)
        self->conf.idle_ms = 600000;
    if (self->conf.wait_ms <= 0)
        self->conf.wait_ms = 60000;
    if (self->conf.max_periods <= 0)
        self->conf.max_periods = 24;
    if (self->conf.connections <= 0)
        self->conf.connections = 4;
    if (self->conf.silent_days <= 0)
        self->conf.silent_days = 7;
    const char *tmp = conf->tmpdir ? conf->tmpdir : getenv ("TMPDIR");
    self->db_path = strdup (conf->db_path);
    self->criteria = conf->criteria;
    self->tmpdir = strdup (tmp && *tmp ? tmp : "/tmp");
    self->conf.db_path = self->db_path;
    self->conf.tmpdir = self->tmpdir;
    self->started_ms = cchc_clock_now_ms ();
    snprintf (self->instance, sizeof self->instance, "%llx",
              (unsigned long long) (cchc_clock_mono_ms () ^ (self->started_ms << 8)));
    pthread_mutex_init (&self->mutex, NULL);
    pthread_mutex_init (&self->pool_mutex, NULL);
    pthread_mutex_init (&self->agents_blob_mutex, NULL);
    pthread_cond_init (&self->pool_cond, NULL);
    pthread_cond_init (&self->done, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init (&ca);
    pthread_condattr_setclock (&ca, CLOCK_MONOTONIC);
    pthread_cond_init (&self->wake, &ca);
    pthread_condattr_destroy (&ca);
    self->slot_count = (size_t) self->conf.max_periods;
    self->slots = calloc (self->slot_count, sizeof *self->slots);
    self->pool_size = self->conf.connections;
    self->pool = calloc ((size_t) self->pool_size, sizeof *self->pool);
    self->pool_busy = calloc ((size_t) self->pool_size, sizeof *self->pool_busy);
    if (!self->db_path || !self->tmpdir || !self->slots || !self->pool || !self->pool_busy) {
        cchc_errf (err, errlen, "out of memory");
        goto fail;
    }
    if (cchc_api_open (self->db_path, &self->wdb, err, errlen) != 0)
        goto fail;
    cchc_api_poll (self);
    if (!self->agents) {
        cchc_errf (err, errlen, "%s: cannot read the agent table: %s", self->db_path,
                   sqlite3_errmsg (self->wdb));
        goto fail;
    }
    json_t *cat = cchc_api_catalogue_json (self->criteria);
    size_t size = 0;
    char *text = cchc_api_dump (cat, &size);
    char etag [64];
    snprintf (etag, sizeof etag, "\"%s-catalogue\"", self->instance);
    if (!text || !(self->catalogue = cchc_api_blob_new (text, size, etag))) {
        cchc_errf (err, errlen, "out of memory");
        goto fail;
    }
    self->running = true;
    if (pthread_create (&self->worker, NULL, cchc_api_worker, self) != 0) {
        self->running = false;
        cchc_errf (err, errlen, "cannot start the worker thread");
        goto fail;
    }
    return self;
fail:
    cchc_api_destroy (&self);
    return NULL;
}

void
cchc_api_destroy (cchc_api_t **self_p)
{
    assert (self_p);
    cchc_api_t *self = *self_p;
    if (!self)
        return;
    *self_p = NULL;
    pthread_mutex_lock (&self->mutex);
    bool was_running = self->running;
    self->running = false;
    pthread_cond_broadcast (&self->wake);
    pthread_cond_broadcast (&self->done);
    pthread_mutex_unlock (&self->mutex);
    if (was_running)
        pthread_join (self->worker, NULL);
    for (size_t i = 0; self->slots && i < self->slot_count; i++)
        cchc_api_entry_unref (&self->slots [i].entry);
    free (self->slots);
    cchc_api_agents_unref (&self->agents);
    cchc_api_blob_unref (&self->catalogue);
    cchc_api_blob_unref (&self->agents_blob);
    for (int i = 0; self->pool && i < self->pool_size; i++)
        sqlite3_close (self->pool [i]);
    free (self->pool);
    free (self->pool_busy);
    sqlite3_close (self->wdb);
    pthread_mutex_destroy (&self->mutex);
    pthread_mutex_destroy (&self->pool_mutex);
    pthread_mutex_destroy (&self->agents_blob_mutex);
    pthread_cond_destroy (&self->pool_cond);
    pthread_cond_destroy (&self->done);
    pthread_cond_destroy (&self->wake);
    free (self->province_name);
    free (self->prows);
    free (self->db_path);
    free (self->tmpdir);
    free (self);
}
