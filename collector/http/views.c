/*  views.c — replies and the serialisers of a computed entry (api_impl.h):
    summary, ranking, units and status JSON, the catalogue, parameters.
*/
#include "collector/http/api_impl.h"

/* ------------------------------------------------------------------------ */
/*  Replies */

void
cchc_api_reply_release (cchc_api_reply_t *reply)
{
    if (reply && reply->release) {
        reply->release (reply->release_arg);
        reply->release = NULL;
        reply->release_arg = NULL;
    }
    if (reply) {
        reply->body = NULL;
        reply->size = 0;
    }
}

void
cchc_api_reply_init (cchc_api_reply_t *reply)
{
    memset (reply, 0, sizeof *reply);
    reply->status = 500;
    reply->content_type = CCHC_API_JSON_TYPE;
}

void
cchc_api_reply_error (cchc_api_reply_t *reply, int status, const char *message)
{
    cchc_api_reply_release (reply);
    cchc_api_reply_init (reply);
    reply->status = status;
    json_t *o = json_object ();
    json_object_set_new (o, "error",
                         json_string (message && cchc_utf8_valid (message, strlen (message))
                                          ? message
                                          : "error"));
    json_object_set_new (o, "status", json_integer (status));
    size_t size = 0;
    char *text = cchc_api_dump (o, &size);
    reply->body = text;
    reply->size = text ? size : 0;
    reply->release = free;
    reply->release_arg = text;
    cchc_strlcpy (reply->cache_control, "no-store", sizeof reply->cache_control);
}

void cchc_api_reply_errorf (cchc_api_reply_t *reply, int status, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

void
cchc_api_reply_errorf (cchc_api_reply_t *reply, int status, const char *fmt, ...)
{
    char msg [512];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (msg, sizeof msg, fmt, ap);
    va_end (ap);
    cchc_api_reply_error (reply, status, msg);
}

/*  A 200 reply of a malloc'ed body (takes it: freed after sending). */
void
cchc_api_reply_body (cchc_api_reply_t *reply, const char *type, char *body, size_t size,
                     const char *cache_control)
{
    reply->status = 200;
    reply->content_type = type;
    reply->body = body;
    reply->size = size;
    reply->release = free;
    reply->release_arg = body;
    cchc_strlcpy (reply->cache_control, cache_control, sizeof reply->cache_control);
}

/*  A JSON reply from a fresh object (steals root). */
void
cchc_api_reply_json (cchc_api_reply_t *reply, json_t *root)
{
    size_t size = 0;
    char *text = cchc_api_dump (root, &size);
    if (!text) {
        cchc_api_reply_error (reply, 500, "out of memory");
        return;
    }
    cchc_api_reply_body (reply, CCHC_API_JSON_TYPE, text, size, "no-cache");
}

/*  A reply from a blob (takes the reference); 304 on a matching ETag. */
void
cchc_api_reply_blob (cchc_api_reply_t *reply, cchc_api_blob_t *b, const char *if_none_match)
{
    if (!b) {
        cchc_api_reply_error (reply, 500, "out of memory");
        return;
    }
    reply->content_type = CCHC_API_JSON_TYPE;
    cchc_strlcpy (reply->etag, b->etag, sizeof reply->etag);
    cchc_strlcpy (reply->cache_control, "no-cache", sizeof reply->cache_control);
    if (if_none_match && b->etag [0] && strstr (if_none_match, b->etag)) {
        reply->status = 304;
        cchc_api_blob_unref (&b);
        return;
    }
    reply->status = 200;
    reply->body = b->data;
    reply->size = b->size;
    reply->release = cchc_api_blob_release_cb;
    reply->release_arg = b;
}

/* ------------------------------------------------------------------------ */
/*  Serialisers of an entry */

void
cchc_api_common_head (cchc_api_t *self, json_t *root, const cchc_api_entry_t *e, int64_t now)
{
    const cchc_rollup_t *r = e->rollup;
    json_object_set_new (root, "period", cchc_api_period_json (self, &e->period, now, e));
    json_object_set_new (root, "as_of", cchc_rollup_json_time (r->window.as_of_ms));
    json_object_set_new (root, "journal_max", json_integer (r->journal_max));
    json_object_set_new (root, "journal_position", json_integer (e->fig->journal_pos));
    json_object_set_new (root, "source", json_string (e->fig->stored ? "stored" : "live"));
    json_object_set_new (root, "previous", cchc_rollup_json_previous (r));
}

static json_t *
s_figure_json (const cchc_rollup_figure_t *f)
{
    json_t *o = json_object ();
    json_object_set_new (o, "level",
                         f->level < 0
                             ? json_string ("all")
                             : json_string (cchc_level_code ((cchc_level_t) f->level)));
    json_object_set_new (o, "level_name",
                         f->level < 0
                             ? json_string (CCHC_LABEL_PROVINCE)
                             : json_string (cchc_label_level ((cchc_level_t) f->level)));
    cchc_rollup_json_figure_values (o, f);
    return o;
}

/*  True when some observation behind the unit is dated in the window (gauges
    carried from before the window do not count). */
static bool
s_window_data (const cchc_rollup_t *r, const cchc_rollup_unit_result_t *u)
{
    size_t nm = cchc_criteria_metric_count (r->criteria);
    for (size_t m = 0; m < nm; m++)
        if (u->cells [m].present && u->cells [m].day_last >= r->window.first_day)
            return true;
    return false;
}

static json_t *
s_counts_json (const cchc_rollup_t *r, int level)
{
    size_t units = 0, complete = 0, on_time = 0, late = 0, pending = 0, no_data = 0,
           ranked = 0;
    for (size_t i = 0; i < r->unit_count; i++) {
        const cchc_rollup_unit_result_t *u = &r->units [i];
        if (level >= 0 && (int) u->level != level)
            continue;
        units++;
        complete += u->complete;
        on_time += u->on_time;
        pending += !u->on_time && u->pending;
        late += !u->on_time && !u->pending;
        no_data += !s_window_data (r, u);
        ranked += u->has_index;
    }
    json_t *o = json_object ();
    json_object_set_new (o, "level",
                         level < 0 ? json_string ("all")
                                   : json_string (cchc_level_code ((cchc_level_t) level)));
    json_object_set_new (o, "level_name",
                         level < 0 ? json_string (CCHC_LABEL_PROVINCE)
                                   : json_string (cchc_label_level ((cchc_level_t) level)));
    json_object_set_new (o, "units", json_integer ((json_int_t) units));
    json_object_set_new (o, "complete", json_integer ((json_int_t) complete));
    json_object_set_new (o, "on_time", json_integer ((json_int_t) on_time));
    json_object_set_new (o, "late", json_integer ((json_int_t) late));
    json_object_set_new (o, "pending", json_integer ((json_int_t) pending));
    json_object_set_new (o, "no_data", json_integer ((json_int_t) no_data));
    json_object_set_new (o, "ranked", json_integer ((json_int_t) ranked));
    json_object_set_new (o, "completeness",
                         units ? json_real ((double) complete / (double) units)
                               : json_null ());
    json_object_set_new (o, "timeliness",
                         units ? json_real ((double) on_time / (double) units) : json_null ());
    return o;
}

static json_t *
s_dist_json (const cchc_rollup_t *r, int level)
{
    const cchc_rollup_dist_t *d = &r->dist [level < 0 ? CCHC_LEVEL_COUNT : level];
    json_t *o = json_object ();
    json_object_set_new (o, "level",
                         level < 0 ? json_string ("all")
                                   : json_string (cchc_level_code ((cchc_level_t) level)));
    cchc_rollup_json_dist_values (o, d);
    json_object_set_new (o, "ungraded", json_integer ((json_int_t) d->ungraded));
    json_object_set_new (o, "grades", cchc_rollup_json_grades (r, d));
    return o;
}

static json_t *
s_summary_json (cchc_api_t *self, const cchc_api_entry_t *e, int64_t now)
{
    const cchc_rollup_t *r = e->rollup;
    const cchc_criteria_t *cat = r->criteria;
    json_t *root = json_object ();
    cchc_api_common_head (self, root, e, now);
    json_t *targets = json_array (), *others = json_array ();
    size_t ni = cchc_criteria_indicator_count (cat);
    for (size_t i = 0; i < ni; i++) {
        const cchc_indicator_t *ind = cchc_criteria_indicator (cat, i);
        const cchc_rollup_figure_t *all = cchc_rollup_figure (r, i, -1);
        if (!all)
            continue; /* on_time indicators have no province figure */
        json_t *o = json_object ();
        json_object_set_new (o, "indicator", json_string (ind->code));
        json_object_set_new (o, "name", json_string (ind->name));
        json_object_set_new (o, "area",
                             json_string (cchc_criteria_area (cat, ind->area)->code));
        json_object_set_new (o, "area_name",
                             json_string (cchc_criteria_area (cat, ind->area)->name));
        json_object_set_new (o, "plan", json_boolean (ind->plan));
        json_object_set_new (o, "better", json_string (ind->higher ? "higher" : "lower"));
        json_object_set_new (o, "rate", json_boolean (ind->denominator >= 0));
        json_t *fo = s_figure_json (all);
        json_object_update (o, fo);
        json_decref (fo);
        json_object_del (o, "level");
        json_object_del (o, "level_name");
        json_t *levels = json_array ();
        for (int l = 0; l < CCHC_LEVEL_COUNT; l++) {
            const cchc_rollup_figure_t *f = cchc_rollup_figure (r, i, l);
            if (f)
                json_array_append_new (levels, s_figure_json (f));
        }
        json_object_set_new (o, "levels", levels);
        json_array_append_new (ind->plan ? targets : others, o);
    }
    json_object_set_new (root, "targets", targets);
    json_object_set_new (root, "indicators", others);
    json_t *comp = json_object ();
    json_object_set_new (comp, "all", s_counts_json (r, -1));
    json_t *levels = json_array ();
    for (int l = 0; l < CCHC_LEVEL_COUNT; l++)
        json_array_append_new (levels, s_counts_json (r, l));
    json_object_set_new (comp, "levels", levels);
    json_object_set_new (root, "reporting", comp);
    json_t *dist = json_object ();
    json_object_set_new (dist, "all", s_dist_json (r, -1));
    levels = json_array ();
    for (int l = 0; l < CCHC_LEVEL_COUNT; l++)
        json_array_append_new (levels, s_dist_json (r, l));
    json_object_set_new (dist, "levels", levels);
    json_object_set_new (root, "distribution", dist);
    return root;
}

static json_t *
s_areas_json (const cchc_criteria_t *cat)
{
    json_t *areas = json_array ();
    for (size_t a = 0; a < cchc_criteria_area_count (cat); a++) {
        const cchc_area_t *area = cchc_criteria_area (cat, a);
        json_t *ja = json_object ();
        json_object_set_new (ja, "code", json_string (area->code));
        json_object_set_new (ja, "name", json_string (area->name));
        json_object_set_new (ja, "points", json_real (area->points));
        json_array_append_new (areas, ja);
    }
    return areas;
}

static json_t *
s_rank_unit_json (const cchc_api_entry_t *e, const cchc_rollup_unit_result_t *u)
{
    json_t *o = json_object ();
    cchc_rollup_json_unit_id (o, u);
    json_object_set_new (o, "parent_name",
                         cchc_api_jstr_or_null (cchc_api_entry_unit_name (e, u->parent)));
    cchc_rollup_json_unit_totals (o, u);
    json_object_set_new (o, "indicators_missing",
                         json_integer ((json_int_t) u->indicators_missing));
    json_object_set_new (o, "areas", cchc_rollup_json_unit_areas (e->rollup, u));
    return o;
}

static json_t *
s_ranking_json (cchc_api_t *self, const cchc_api_entry_t *e, int level, int64_t now)
{
    const cchc_rollup_t *r = e->rollup;
    json_t *root = json_object ();
    cchc_api_common_head (self, root, e, now);
    json_object_set_new (root, "level",
                         level < 0 ? json_string ("all")
                                   : json_string (cchc_level_code ((cchc_level_t) level)));
    json_object_set_new (root, "level_name",
                         level < 0 ? json_string (CCHC_LABEL_ALL_LEVELS)
                                   : json_string (cchc_label_level ((cchc_level_t) level)));
    json_object_set_new (root, "areas", s_areas_json (r->criteria));
    size_t n = 0;
    size_t *idx = cchc_rollup_ranking (r, level, &n);
    json_t *units = json_array ();
    for (size_t i = 0; idx && i < n; i++)
        json_array_append_new (units, s_rank_unit_json (e, &r->units [idx [i]]));
    free (idx);
    json_object_set_new (root, "units", units);
    return root;
}

static json_t *
s_units_json (cchc_api_t *self, const cchc_api_entry_t *e, int64_t now)
{
    const cchc_rollup_t *r = e->rollup;
    json_t *root = json_object ();
    cchc_api_common_head (self, root, e, now);
    json_t *units = json_array ();
    for (size_t k = 0; k < r->unit_count; k++) {
        const cchc_rollup_unit_result_t *u = &r->units [e->by_code [k]];
        json_t *o = json_object ();
        json_object_set_new (o, "code", json_string (u->code));
        json_object_set_new (o, "name", json_string (u->name));
        json_object_set_new (o, "level", json_string (cchc_level_code (u->level)));
        json_object_set_new (o, "parent", cchc_api_jstr_or_null (u->parent));
        json_object_set_new (o, "index",
                             u->has_index ? cchc_rollup_json_real (u->index) : json_null ());
        json_object_set_new (o, "rank", u->rank ? json_integer (u->rank) : json_null ());
        json_array_append_new (units, o);
    }
    json_object_set_new (root, "units", units);
    return root;
}

/*  Reporting status rows of an entry, in level then code order.  The rows
    point into `e` and `a`: keep both while using them. */
cchc_status_row_t *
cchc_api_status_rows (cchc_api_t *self, const cchc_api_entry_t *e, const cchc_api_agents_t *a,
                      int64_t now, size_t *count)
{
    const cchc_rollup_t *r = e->rollup;
    cchc_status_row_t *rows = calloc (r->unit_count ? r->unit_count : 1, sizeof *rows);
    if (!rows)
        return NULL;
    size_t n = 0;
    for (int l = 0; l < CCHC_LEVEL_COUNT; l++)
        for (size_t k = 0; k < r->unit_count; k++) {
            const cchc_rollup_unit_result_t *u = &r->units [e->by_code [k]];
            if ((int) u->level != l)
                continue;
            cchc_status_row_t *row = &rows [n++];
            row->code = u->code;
            row->name = u->name;
            row->level = u->level;
            row->parent_name = cchc_api_entry_unit_name (e, u->parent);
            row->last_received_ms = u->last_received_ms;
            row->metrics_expected = u->metrics_expected;
            row->metrics_reported = u->metrics_reported;
            row->complete = u->complete;
            row->on_time = u->on_time;
            row->pending = !u->on_time && u->pending;
            row->late = !u->on_time && !u->pending;
            row->no_data = !s_window_data (r, u);
            for (size_t i = a ? cchc_api_agents_first (a, u->code) : 0;
                 a && i < a->count && strcmp (a->agents [i].unit, u->code) == 0; i++) {
                const cchc_api_agent_t *g = &a->agents [i];
                row->rejected += g->rejected;
                row->accepted += g->accepted;
                if (g->revoked_at)
                    continue;
                row->agents++;
                if (g->last_seen > row->last_seen_ms)
                    row->last_seen_ms = g->last_seen;
                if (g->has_clock
                    && (!row->has_clock
                        || llabs (g->clock_skew) > llabs (row->clock_skew_ms))) {
                    row->has_clock = true;
                    row->clock_skew_ms = g->clock_skew;
                }
            }
            row->days_silent =
                row->last_seen_ms > 0 ? (int) ((now - row->last_seen_ms) / CCHC_DAY_MS) : -1;
            //  silent: nothing for silent_days and nothing since the round
            //  its level last had to report (a monthly reporter is quiet
            //  between rounds: not silent then)
            int64_t round = cchc_period_round_start_ms (
                cchc_criteria_level_due_day (r->criteria, u->level), now);
            row->silent =
                row->agents == 0 || row->last_seen_ms == 0
                || (now - row->last_seen_ms >= (int64_t) self->conf.silent_days * CCHC_DAY_MS
                    && row->last_seen_ms < round);
        }
    *count = n;
    return rows;
}

static json_t *
s_status_json (cchc_api_t *self, const cchc_api_entry_t *e, const cchc_api_agents_t *a,
               int64_t now)
{
    json_t *root = json_object ();
    cchc_api_common_head (self, root, e, now);
    json_object_set_new (root, "now", cchc_rollup_json_time (now));
    json_object_set_new (root, "silent_days", json_integer (self->conf.silent_days));
    size_t n = 0;
    cchc_status_row_t *rows = cchc_api_status_rows (self, e, a, now, &n);
    size_t counts [CCHC_LEVEL_COUNT + 1][8];
    memset (counts, 0, sizeof counts);
    json_t *units = json_array ();
    for (size_t i = 0; rows && i < n; i++) {
        const cchc_status_row_t *row = &rows [i];
        size_t *c [2] = { counts [row->level], counts [CCHC_LEVEL_COUNT] };
        for (int k = 0; k < 2; k++) {
            c [k][0]++;
            c [k][1] += row->complete;
            c [k][2] += row->on_time;
            c [k][3] += row->late;
            c [k][4] += row->pending;
            c [k][5] += row->no_data;
            c [k][6] += row->silent;
            c [k][7] += row->rejected > 0;
        }
        json_t *o = json_object ();
        json_object_set_new (o, "code", json_string (row->code));
        json_object_set_new (o, "name", json_string (row->name));
        json_object_set_new (o, "level", json_string (cchc_level_code (row->level)));
        json_object_set_new (o, "parent_name", cchc_api_jstr_or_null (row->parent_name));
        json_object_set_new (o, "agents", json_integer (row->agents));
        json_object_set_new (o, "last_seen", cchc_rollup_json_time (row->last_seen_ms));
        json_object_set_new (o, "days_silent",
                             row->days_silent >= 0 ? json_integer (row->days_silent)
                                                   : json_null ());
        json_object_set_new (o, "last_received",
                             cchc_rollup_json_time (row->last_received_ms));
        json_object_set_new (o, "metrics_expected",
                             json_integer ((json_int_t) row->metrics_expected));
        json_object_set_new (o, "metrics_reported",
                             json_integer ((json_int_t) row->metrics_reported));
        json_object_set_new (o, "complete", json_boolean (row->complete));
        json_object_set_new (o, "on_time", json_boolean (row->on_time));
        json_object_set_new (o, "pending", json_boolean (row->pending));
        json_object_set_new (o, "late", json_boolean (row->late));
        json_object_set_new (o, "no_data", json_boolean (row->no_data));
        json_object_set_new (o, "silent", json_boolean (row->silent));
        json_object_set_new (o, "accepted", json_integer (row->accepted));
        json_object_set_new (o, "rejected", json_integer (row->rejected));
        json_object_set_new (o, "clock_skew_ms",
                             row->has_clock ? json_integer (row->clock_skew_ms)
                                            : json_null ());
        json_array_append_new (units, o);
    }
    free (rows);
    static const char *names [8] = { "units",   "complete", "on_time", "late",
                                     "pending", "no_data",  "silent",  "with_rejected" };
    json_t *levels = json_array ();
    for (int l = 0; l <= CCHC_LEVEL_COUNT; l++) {
        json_t *o = json_object ();
        json_object_set_new (o, "level",
                             l == CCHC_LEVEL_COUNT
                                 ? json_string ("all")
                                 : json_string (cchc_level_code ((cchc_level_t) l)));
        json_object_set_new (o, "level_name",
                             l == CCHC_LEVEL_COUNT
                                 ? json_string (CCHC_LABEL_PROVINCE)
                                 : json_string (cchc_label_level ((cchc_level_t) l)));
        for (int k = 0; k < 8; k++)
            json_object_set_new (o, names [k], json_integer ((json_int_t) counts [l][k]));
        if (l == CCHC_LEVEL_COUNT)
            json_object_set_new (root, "all", o);
        else
            json_array_append_new (levels, o);
    }
    json_object_set_new (root, "levels", levels);
    json_object_set_new (root, "units", units);
    return root;
}

/*  The entry's blob `key`, built if missing or (status) outdated.  New
    reference, or NULL on out of memory. */
cchc_api_blob_t *
cchc_api_entry_blob (cchc_api_t *self, cchc_api_entry_t *e, int key)
{
    assert (key >= 0 && key < CCHC_API_BLOB_COUNT);
    cchc_api_agents_t *a = key == CCHC_API_BLOB_STATUS ? cchc_api_agents_get (self) : NULL;
    uint64_t agents_gen = a ? a->generation : 0;
    int64_t mono = cchc_clock_mono_ms ();
    pthread_mutex_lock (&e->blob_mutex);
    cchc_api_blob_t *b = e->blobs [key];
    if (b
        && (key != CCHC_API_BLOB_STATUS
            || (b->agents_gen == agents_gen
                && mono - b->built_mono < cchc_api_status_max_age ()))) {
        cchc_api_blob_ref (b);
        pthread_mutex_unlock (&e->blob_mutex);
        cchc_api_agents_unref (&a);
        return b;
    }
    int64_t now = cchc_clock_now_ms ();
    json_t *root = NULL;
    if (key == CCHC_API_BLOB_SUMMARY)
        root = s_summary_json (self, e, now);
    else if (key >= CCHC_API_BLOB_RANK_SO && key < CCHC_API_BLOB_RANK_SO + CCHC_LEVEL_COUNT)
        root = s_ranking_json (self, e, key - CCHC_API_BLOB_RANK_SO, now);
    else if (key == CCHC_API_BLOB_RANK_ALL)
        root = s_ranking_json (self, e, -1, now);
    else if (key == CCHC_API_BLOB_UNITS)
        root = s_units_json (self, e, now);
    else
        root = s_status_json (self, e, a, now);
    size_t size = 0;
    char *text = cchc_api_dump (root, &size);
    char etag [64];
    snprintf (etag, sizeof etag, "\"%s-%llu-%d-%llu\"", self->instance,
              (unsigned long long) e->generation, key,
              (unsigned long long) (key == CCHC_API_BLOB_STATUS
                                        ? agents_gen * 100000
                                              + (uint64_t) (mono / cchc_api_status_max_age ()
                                                            % 100000)
                                        : 0));
    cchc_api_blob_t *nb = text ? cchc_api_blob_new (text, size, etag) : NULL;
    if (nb) {
        nb->agents_gen = agents_gen;
        cchc_api_blob_unref (&e->blobs [key]);
        e->blobs [key] = cchc_api_blob_ref (nb);
    }
    pthread_mutex_unlock (&e->blob_mutex);
    cchc_api_agents_unref (&a);
    return nb;
}

/* ------------------------------------------------------------------------ */
/*  Catalogue */

static json_t *
s_levels_mask_json (unsigned mask)
{
    json_t *a = json_array ();
    for (int l = 0; l < CCHC_LEVEL_COUNT; l++)
        if (mask & CCHC_LEVEL_BIT (l))
            json_array_append_new (a, json_string (cchc_level_code ((cchc_level_t) l)));
    return a;
}

json_t *
cchc_api_catalogue_json (const cchc_criteria_t *cat)
{
    json_t *root = json_object ();
    json_object_set_new (root, "name", json_string (cchc_criteria_name (cat)));
    json_object_set_new (root, "year", json_integer (cchc_criteria_year (cat)));
    json_object_set_new (root, "total", json_real (cchc_criteria_total (cat)));
    json_object_set_new (root, "due_day", json_integer (cchc_criteria_due_day (cat)));
    json_t *dues = json_object ();
    for (int l = 0; l < CCHC_LEVEL_COUNT; l++)
        json_object_set_new (
            dues, cchc_level_code ((cchc_level_t) l),
            json_integer (cchc_criteria_level_due_day (cat, (cchc_level_t) l)));
    json_object_set_new (root, "due_days", dues);
    json_object_set_new (root, "lock_day", json_integer (cchc_criteria_lock_day (cat)));
    json_t *levels = json_array ();
    for (int l = 0; l < CCHC_LEVEL_COUNT; l++) {
        json_t *o = json_object ();
        json_object_set_new (o, "code", json_string (cchc_level_code ((cchc_level_t) l)));
        json_object_set_new (o, "name", json_string (cchc_label_level ((cchc_level_t) l)));
        json_array_append_new (levels, o);
    }
    json_object_set_new (root, "levels", levels);
    json_t *grades = json_array ();
    for (size_t g = 0; g < cchc_criteria_grade_count (cat); g++) {
        json_t *o = json_object ();
        json_object_set_new (o, "name", json_string (cchc_criteria_grade (cat, g)->name));
        json_object_set_new (o, "from", json_real (cchc_criteria_grade (cat, g)->at));
        json_array_append_new (grades, o);
    }
    json_object_set_new (root, "grades", grades);
    json_object_set_new (root, "areas", s_areas_json (cat));
    json_t *metrics = json_array ();
    for (size_t m = 0; m < cchc_criteria_metric_count (cat); m++) {
        const cchc_metric_t *metric = cchc_criteria_metric (cat, m);
        json_t *o = json_object ();
        json_object_set_new (o, "code", json_string (metric->code));
        json_object_set_new (o, "name", json_string (metric->name));
        json_object_set_new (
            o, "kind", json_string (metric->kind == CCHC_METRIC_GAUGE ? "gauge" : "counter"));
        json_object_set_new (o, "levels", s_levels_mask_json (metric->levels));
        json_array_append_new (metrics, o);
    }
    json_object_set_new (root, "metrics", metrics);
    json_t *inds = json_array ();
    for (size_t i = 0; i < cchc_criteria_indicator_count (cat); i++) {
        const cchc_indicator_t *ind = cchc_criteria_indicator (cat, i);
        json_t *o = json_object ();
        json_object_set_new (o, "code", json_string (ind->code));
        json_object_set_new (o, "name", json_string (ind->name));
        json_object_set_new (o, "area",
                             json_string (cchc_criteria_area (cat, ind->area)->code));
        json_object_set_new (o, "rule", json_string (cchc_api_rule_code (ind->rule)));
        json_object_set_new (o, "numerator",
                             ind->numerator >= 0 ? json_string (
                                 cchc_criteria_metric (cat, (size_t) ind->numerator)->code)
                                                 : json_null ());
        json_object_set_new (o, "denominator",
                             ind->denominator >= 0 ? json_string (
                                 cchc_criteria_metric (cat, (size_t) ind->denominator)->code)
                                                   : json_null ());
        json_object_set_new (o, "better", json_string (ind->higher ? "higher" : "lower"));
        json_object_set_new (o, "points", json_real (ind->points));
        json_object_set_new (o, "plan", json_boolean (ind->plan));
        json_object_set_new (
            o, "rate", json_boolean (ind->denominator >= 0 || ind->rule == CCHC_RULE_ON_TIME));
        json_object_set_new (o, "levels", s_levels_mask_json (ind->levels));
        json_t *targets = json_object ();
        for (int l = 0; l < CCHC_LEVEL_COUNT; l++)
            json_object_set_new (targets, cchc_level_code ((cchc_level_t) l),
                                 cchc_rollup_json_real (ind->target [l]));
        json_object_set_new (o, "targets", targets);
        json_array_append_new (inds, o);
    }
    json_object_set_new (root, "indicators", inds);
    return root;
}

/* ------------------------------------------------------------------------ */
/*  Parameters */

/*  The `period` parameter, or the default period.  0, or -1 with a reply. */
int
cchc_api_param_period (cchc_api_t *self, cchc_api_param_fn *param, void *arg, cchc_period_t *p,
                       cchc_api_reply_t *reply)
{
    const char *text = param (arg, "period");
    int64_t now = cchc_clock_now_ms ();
    if (!text || !*text) {
        cchc_api_default_period (self, now, p);
        return 0;
    }
    if (strlen (text) >= CCHC_PERIOD_ID_MAX || cchc_period_parse (text, p) != 0) {
        cchc_api_reply_errorf (reply, 404,
                               "unknown period '%.16s': expected an id like "
                               "2021-Q1, 2021-H1, 2021-9M, 2021 or 2021-03",
                               text);
        return -1;
    }
    cchc_rollup_window_t w;
    cchc_rollup_window (self->criteria, p, now, &w);
    if (cchc_api_future (&w, now)) {
        cchc_api_reply_errorf (reply, 404, "unknown period '%s': it has not started yet",
                               w.id);
        return -1;
    }
    return 0;
}

/*  The `level` parameter: 0..2, -1 for "all" or absent when allowed. */
int
cchc_api_param_level (cchc_api_param_fn *param, void *arg, bool allow_all, int *level,
                      cchc_api_reply_t *reply)
{
    const char *text = param (arg, "level");
    cchc_level_t l;
    if ((!text || !*text || strcmp (text, "all") == 0) && allow_all) {
        *level = -1;
        return 0;
    }
    if (!text || cchc_level_parse (text, &l) != 0) {
        cchc_api_reply_errorf (reply, 400, "bad level '%.16s': expected so, huyen or xa%s",
                               text ? text : "", allow_all ? " (or all)" : "");
        return -1;
    }
    *level = (int) l;
    return 0;
}
