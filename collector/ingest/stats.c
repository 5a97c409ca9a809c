/*  stats.c — the collector's counters and their row-per-name copy in the
    stats table (see stats.h). */
#include "collector/ingest/stats.h"

#include "proto/proto.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void
cchc_stats_init (cchc_stats_t *stats, int64_t now_ms)
{
    assert (stats);
    memset (stats, 0, sizeof *stats);
    stats->started_ms = now_ms;
}

void
cchc_stats_max (atomic_uint_fast64_t *max, uint64_t value)
{
    uint_fast64_t seen = atomic_load_explicit (max, memory_order_relaxed);
    while (value > seen
           && !atomic_compare_exchange_weak_explicit (max, &seen, value, memory_order_relaxed,
                                                      memory_order_relaxed))
        ;
}

#define LOAD(x) ((int64_t) atomic_load_explicit (&stats->x, memory_order_relaxed))

int
cchc_stats_save (const cchc_stats_t *stats, cchc_db_t *store, int64_t now_ms)
{
    assert (stats && store);
    if (cchc_db_begin (store))
        return -1;
    struct {
        const char *name;
        int64_t value;
    } rows [] = {
        { "pid", (int64_t) getpid () },
        { "started_at", stats->started_ms },
        { "received", LOAD (received) },
        { "accepted", LOAD (accepted) },
        { "duplicate", LOAD (duplicate) },
        { "rejected", LOAD (rejected) },
        { "retry_later", LOAD (retry_later) },
        { "acks_lost", LOAD (acks_lost) },
        { "unauthenticated.answered", LOAD (unauth_answered) },
        { "unauthenticated.dropped", LOAD (unauth_dropped) },
        { "zmq.accept_failed", LOAD (accept_failed) },
        { "zmq.handshake_failed", LOAD (handshake_failed) },
        { "zmq.shed", LOAD (conn_shed) },
        { "observations.stored", LOAD (obs_stored) },
        { "observations.refused", LOAD (obs_refused) },
        { "batches", LOAD (batches) },
        { "batch.max", LOAD (batch_max) },
        { "commit.failures", LOAD (commit_failures) },
        { "commit.max_us", LOAD (commit_us_max) },
        { "inflight", LOAD (inflight) },
        { "inflight.max", LOAD (inflight_max) },
        { "write_queue", LOAD (write_queue) },
        { "agents", LOAD (agents) },
    };
    int rc = 0;
    for (size_t i = 0; i < sizeof rows / sizeof rows [0] && rc == 0; i++)
        rc = cchc_db_stats_put (store, rows [i].name, rows [i].value, now_ms);
    int64_t batches = LOAD (batches);
    if (rc == 0)
        rc = cchc_db_stats_put_real (
            store, "batch.avg", batches ? (double) LOAD (batch_items) / (double) batches : 0,
            now_ms);
    if (rc == 0)
        rc = cchc_db_stats_put_real (
            store, "commit.avg_us",
            batches ? (double) LOAD (commit_us_total) / (double) batches : 0, now_ms);
    for (int reason = 0; reason < CCHC_STATS_REASONS && rc == 0; reason++) {
        int64_t count = LOAD (rejected_by [reason]);
        if (!count)
            continue;
        char name [64];
        snprintf (name, sizeof name, "rejected.%s", cchc_reason_name (reason));
        rc = cchc_db_stats_put (store, name, count, now_ms);
    }
    if (rc || cchc_db_commit (store)) {
        cchc_db_rollback (store);
        return -1;
    }
    return 0;
}
