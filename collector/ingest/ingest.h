/*  ingest.h — the collector's ingest pipeline (see job.h for the stages):
    the main-thread loop around the ROUTER socket, the verifier threads and
    the writer thread with group commit.

    Acks are sent only after the transaction holding the message committed;
    a transient database failure answers retry-later and leaves nothing
    behind.  Memory is bounded by collector.max_inflight: past it the ROUTER
    is not read, so ZeroMQ and TCP push back on the senders.
*/
#ifndef CCHC_INGEST_H
#define CCHC_INGEST_H

#include <signal.h>
#include <stddef.h>

#include "collector/ingest/conf.h"
#include "collector/figures/criteria.h"
#include "collector/ingest/keytab.h"
#include "collector/ingest/stats.h"
#include "common/key.h"

typedef struct cchc_ingest_t cchc_ingest_t;

typedef struct {
    const cchc_collector_conf_t *conf;
    const char *db_path;
    const cchc_key_t *key;           /* collector key: signs acks */
    cchc_keytab_t *keytab;           /* shared with the ZAP handler */
    const cchc_criteria_t *criteria; /* NULL: any well-formed metric code */
    cchc_stats_t *stats;
} cchc_ingest_args_t;

/*  Open the database connections, load the key table, create the inproc
    sockets and start the worker and writer threads.  NULL with err set. */
cchc_ingest_t *cchc_ingest_new (void *zmq_ctx, const cchc_ingest_args_t *args, char *err,
                                size_t errlen);

/*  Serve `router` until *stop becomes non-zero, then stop reading it, wait
    for every message in flight to be committed and answered (at most
    collector.drain_timeout) and return 0.  -1 on a fatal socket error. */
int cchc_ingest_run (cchc_ingest_t *self, void *router, volatile sig_atomic_t *stop);

/*  Stop the threads (this shuts the ZeroMQ context down: close every other
    socket of the context first) and free everything. */
void cchc_ingest_destroy (cchc_ingest_t **self_p);

#endif
