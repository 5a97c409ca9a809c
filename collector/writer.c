/*  writer.c — the collector's writer thread: group commit of verified jobs
    and the periodic stats snapshot (see writer.h, job.h).

    One transaction per batch.  Inside it, per STORE job: the journal row
    (its UNIQUE (agent, seq) makes a re-sent message a duplicate that changes
    nothing), the observations (upsert that never lets an older seq
    overwrite a newer one) and the agent's counters; per COUNT job only the
    counters.  If the batch fails, it is rolled back whole: on a transient
    error (busy, disk full, I/O) every STORE job is answered retry-later; on
    any other error the jobs are tried one per transaction so one bad job
    cannot fail its neighbours.  Jobs go on to be signed only after COMMIT.
*/
#define _GNU_SOURCE             /* pthread_setname_np */
#include "collector/writer.h"
#include "collector/job.h"

#include "common/clock.h"
#include "common/log.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zmq.h>

static cchc_ratelimit_t s_rl_store = CCHC_RATELIMIT_INIT (10000, 5);
static cchc_ratelimit_t s_rl_dup = CCHC_RATELIMIT_INIT (60000, 5);

static int64_t
s_now_us (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*  "index:reason,..." of a job's refused observations, or NULL when none
    (*nomem set if it could not be built). */
static char *
s_refused_text (const cchc_job_t *job, bool *nomem)
{
    *nomem = false;
    if (!job->nrejected)
        return NULL;
    size_t size = (size_t) job->nrejected * 24 + 1;
    char *text = malloc (size);
    if (!text) {
        *nomem = true;
        return NULL;
    }
    size_t used = 0;
    for (uint32_t i = 0; i < job->nrejected; i++)
        used += (size_t) snprintf (text + used, size - used, "%s%u:%u", i? ",": "",
                                   job->rejected [i].index, job->rejected [i].reason);
    return text;
}

/*  Apply one job inside the open transaction.  0 or -1. */
static int
s_apply (cchc_writer_t *self, cchc_job_t *job)
{
    if (job->kind == CCHC_JOB_COUNT)
        return cchc_store_agent_note (self->store, job->agent_id, job->received_ms,
                                      0, 0, 1, 0);
    assert (job->kind == CCHC_JOB_STORE);
    bool nomem;
    char *refused = s_refused_text (job, &nomem);
    if (nomem)
        return -1;
    int64_t journal_id = 0;
    int rc = cchc_store_journal_add (self->store, job->agent_id, job->seq,
                                     job->received_ms, job->msg.body,
                                     job->msg.body_len, job->msg.sig, refused,
                                     &journal_id);
    free (refused);
    if (rc < 0)
        return -1;
    if (rc == 0) {
        /*  Already stored, a second or a month ago: change nothing. */
        int same = cchc_store_journal_same (self->store, job->agent_id, job->seq,
                                            job->msg.body, job->msg.body_len);
        if (same < 0)
            return -1;
        if (!same)
            cchc_log_limited (&s_rl_dup, CCHC_LOG_WARN, "agent %lld sent seq %llu "
                              "again with different content: answered duplicate, "
                              "kept the first (an agent must never reuse a seq)",
                              (long long) job->agent_id,
                              (unsigned long long) job->seq);
        job->status = CCHC_STATUS_DUPLICATE;
        job->reason = CCHC_REASON_NONE;
        return cchc_store_agent_note (self->store, job->agent_id, job->received_ms,
                                      0, 1, 0, 0);
    }
    uint32_t next_refused = 0;
    for (uint32_t i = 0; i < job->report.nobs; i++) {
        if (next_refused < job->nrejected && job->rejected [next_refused].index == i) {
            next_refused++;
            continue;
        }
        if (cchc_store_observation_put (self->store, job->agent_id, job->unit,
                                        &job->report.obs [i], job->seq, journal_id))
            return -1;
    }
    job->status = CCHC_STATUS_ACCEPTED;
    job->reason = CCHC_REASON_NONE;
    return cchc_store_agent_note (self->store, job->agent_id, job->received_ms,
                                  1, 0, 0, job->seq);
}

/*  One transaction over jobs[0..n).  0, or -1 (rolled back). */
static int
s_try (cchc_writer_t *self, cchc_job_t **jobs, size_t n)
{
    if (cchc_store_begin (self->store))
        return -1;
    for (size_t i = 0; i < n; i++)
        if (s_apply (self, jobs [i])) {
            /*  errcode / errmsg keep this failure for the caller. */
            cchc_store_rollback (self->store);
            return -1;
        }
    if (cchc_store_commit (self->store)) {
        cchc_store_rollback (self->store);
        return -1;
    }
    return 0;
}

static void
s_retry_later (cchc_job_t **jobs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (jobs [i]->kind == CCHC_JOB_STORE) {
            jobs [i]->status = CCHC_STATUS_RETRY_LATER;
            jobs [i]->reason = CCHC_REASON_STORAGE;
        }
}

static void
s_commit (cchc_writer_t *self, cchc_job_t **jobs, size_t n)
{
    cchc_stats_t *stats = self->stats;
    int64_t start = s_now_us ();
    if (s_try (self, jobs, n)) {
        int code = cchc_store_errcode (self->store);
        atomic_fetch_add_explicit (&stats->commit_failures, 1, memory_order_relaxed);
        cchc_log_limited (&s_rl_store, CCHC_LOG_ERROR, "storing %zu messages failed "
                          "(%s): %s", n, cchc_store_transient (code)
                          ? "transient: answered retry-later": "trying one by one",
                          cchc_store_errmsg (self->store));
        if (cchc_store_transient (code) || n == 1)
            s_retry_later (jobs, n);
        else
            for (size_t i = 0; i < n; i++)
                if (s_try (self, &jobs [i], 1))
                    s_retry_later (&jobs [i], 1);
    }
    int64_t took = s_now_us () - start;
    atomic_fetch_add_explicit (&stats->batches, 1, memory_order_relaxed);
    atomic_fetch_add_explicit (&stats->batch_items, n, memory_order_relaxed);
    cchc_stats_max (&stats->batch_max, n);
    atomic_fetch_add_explicit (&stats->commit_us_total, (uint64_t) took,
                               memory_order_relaxed);
    cchc_stats_max (&stats->commit_us_max, (uint64_t) took);
}

static int
s_take (void *socket, cchc_job_t **job)
{
    int rc;
    do
        rc = zmq_recv (socket, job, sizeof *job, ZMQ_DONTWAIT);
    while (rc == -1 && errno == EINTR);
    return rc == (int) sizeof *job? 0: -1;
}

static int
s_pass (void *socket, cchc_job_t *job)
{
    int rc;
    do
        rc = zmq_send (socket, &job, sizeof job, 0);
    while (rc == -1 && errno == EINTR);
    return rc == -1? -1: 0;
}

void *
cchc_writer_run (void *arg)
{
    cchc_writer_t *self = arg;
    pthread_setname_np (pthread_self (), "cchc-writer");
    const cchc_collector_conf_t *conf = self->conf;
    size_t cap = (size_t) conf->batch_max;
    cchc_job_t **batch = calloc (cap, sizeof *batch);
    if (!batch) {
        cchc_error ("writer: out of memory");
        abort ();
    }
    if (cchc_store_stats_clear (self->store))
        cchc_warn ("cannot clear the stats table: %s", cchc_store_errmsg (self->store));
    size_t n = 0;
    int64_t deadline = 0;
    int64_t next_stats = cchc_clock_mono_ms ();
    bool running = true;
    while (running) {
        int64_t now = cchc_clock_mono_ms ();
        int64_t wait = (n? deadline: next_stats) - now;
        if (wait < 0)
            wait = 0;
        zmq_pollitem_t item = { self->inbox, 0, ZMQ_POLLIN, 0 };
        int rc = zmq_poll (&item, 1, (long) wait);
        if (rc == -1 && errno != EINTR)
            break;                      /* ETERM */
        if (rc > 0) {
            cchc_job_t *job;
            while (n < cap && s_take (self->inbox, &job) == 0) {
                if (n == 0)
                    deadline = cchc_clock_mono_ms () + conf->batch_wait_ms;
                batch [n++] = job;
                atomic_fetch_sub_explicit (&self->stats->write_queue, 1,
                                           memory_order_relaxed);
            }
            if (errno == ETERM)
                running = false;
        }
        now = cchc_clock_mono_ms ();
        if (n && (n >= cap || now >= deadline || !running)) {
            s_commit (self, batch, n);
            for (size_t i = 0; i < n; i++)
                if (s_pass (self->outbox, batch [i]))
                    cchc_job_destroy (&batch [i]);
            n = 0;
        }
        if (now >= next_stats) {
            if (cchc_stats_save (self->stats, self->store, cchc_clock_now_ms ()))
                cchc_log_limited (&s_rl_store, CCHC_LOG_WARN, "cannot write stats: %s",
                                  cchc_store_errmsg (self->store));
            next_stats = now + conf->stats_ms;
        }
    }
    for (size_t i = 0; i < n; i++)
        cchc_job_destroy (&batch [i]);
    free (batch);
    cchc_stats_save (self->stats, self->store, cchc_clock_now_ms ());
    zmq_close (self->inbox);
    zmq_close (self->outbox);
    self->inbox = self->outbox = NULL;
    return NULL;
}
