/*  stats.h — the collector's operating counters, updated by every thread with
    relaxed atomics and written into the database's stats table by the writer
    thread every collector.stats_interval (cchcctl stats reads them there).
    Counts are since the collector started; gauges are current values.
*/
#ifndef CCHC_STATS_H
#define CCHC_STATS_H

#include <stdatomic.h>
#include <stdint.h>

#include "collector/db/db.h"

#define CCHC_STATS_REASONS 128

typedef struct {
    int64_t started_ms; /* UTC ms */
    /*  Messages, by outcome (counted when the ack is handed to ZeroMQ). */
    atomic_uint_fast64_t received;
    atomic_uint_fast64_t accepted;
    atomic_uint_fast64_t duplicate;
    atomic_uint_fast64_t rejected;
    atomic_uint_fast64_t rejected_by [CCHC_STATS_REASONS];
    atomic_uint_fast64_t retry_later;
    atomic_uint_fast64_t acks_lost; /* could not be queued to the peer */
    /*  Messages that failed authentication: answered within the budget of
        collector.unauth_acks, dropped unanswered over it. */
    atomic_uint_fast64_t unauth_answered;
    atomic_uint_fast64_t unauth_dropped;
    /*  The ROUTER's connections (monitor.h): accept() failures, failed
        handshakes, connections shed from the backlog when out of descriptors. */
    atomic_uint_fast64_t accept_failed;
    atomic_uint_fast64_t handshake_failed;
    atomic_uint_fast64_t conn_shed;
    /*  Observations of accepted messages. */
    atomic_uint_fast64_t obs_stored;
    atomic_uint_fast64_t obs_refused;
    /*  Group commits. */
    atomic_uint_fast64_t batches;
    atomic_uint_fast64_t batch_items;
    atomic_uint_fast64_t batch_max;
    atomic_uint_fast64_t commit_us_total;
    atomic_uint_fast64_t commit_us_max;
    atomic_uint_fast64_t commit_failures;
    /*  Gauges. */
    atomic_int_fast64_t inflight; /* read, not yet answered */
    atomic_int_fast64_t inflight_max;
    atomic_int_fast64_t write_queue; /* waiting for / in the writer */
    atomic_int_fast64_t agents;      /* keys in the key table */
} cchc_stats_t;

/*  Zero everything, set started_ms. */
void cchc_stats_init (cchc_stats_t *stats, int64_t now_ms);

/*  Raise an atomic maximum. */
void cchc_stats_max (atomic_uint_fast64_t *max, uint64_t value);

/*  Write every counter into the stats table in one transaction (pid too).
    0 or -1. */
int cchc_stats_save (const cchc_stats_t *stats, cchc_db_t *store, int64_t now_ms);

#endif
