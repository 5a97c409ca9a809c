/*  writer.h — the collector's one writer thread (private to the pipeline):
    takes verified jobs, stores them with group commit (collector.batch_max
    messages or collector.batch_wait, whichever comes first), and after the
    COMMIT signs the acks of the reports that announced CCHC_CAP_BATCH as
    one batch (acks.h) and passes them to be answered, every other job on
    to be signed and answered.  Also rewrites the
    stats table every collector.stats_interval.  See job.h.

    The thread turns triggers off in its connection (db.h,
    cchc_db_triggers) and keeps the roll-up's observation_month itself,
    between its ingest transactions (writer.c says how); the schema
    (collector/db/) has the table, its position and its triggers.
*/
#ifndef CCHC_WRITER_H
#define CCHC_WRITER_H

#include "collector/ingest/conf.h"
#include "collector/ingest/stats.h"
#include "collector/db/db.h"
#include "common/key.h"

typedef struct {
    void *inbox;           /* PULL: jobs from the workers */
    void *outbox;          /* PUSH: committed jobs to sign */
    void *answers;         /* PUSH: committed jobs signed as a batch, to main */
    const cchc_key_t *key; /* the collector's signing key (batch acks) */
    cchc_db_t *store;      /* the writer's own connection */
    const cchc_collector_conf_t *conf;
    cchc_stats_t *stats;
} cchc_writer_t;

/*  Thread body; returns when the ZeroMQ context is shut down. */
void *cchc_writer_run (void *writer);

#endif
