/*  ingest.c — the collector's pipeline (job.h): the main-thread loop around
    the ROUTER socket, the verifier/signer worker threads, and the set-up and
    tear-down of the inproc sockets and threads (the writer lives in
    writer.c).
*/
#define _GNU_SOURCE /* pthread_setname_np */
#include "collector/ingest/failpoint.h"
#include "collector/ingest/ingest.h"
#include "collector/ingest/acks.h"
#include "collector/ingest/job.h"
#include "collector/figures/rollup.h"
#include "collector/ingest/writer.h"

#include "common/clock.h"
#include "common/log.h"
#include "common/period.h"
#include "common/text.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zmq.h>

#define EP_VERIFY "inproc://cchc-verify"
#define EP_WRITE "inproc://cchc-write"
#define EP_SIGN "inproc://cchc-sign"
#define EP_ACK "inproc://cchc-ack"

/*  Messages taken from the ROUTER per wake-up before looking at acks. */
#define READ_BURST 64

typedef struct {
    struct cchc_ingest_t *ingest;
    pthread_t thread;
    bool started;
    void *verify; /* PULL: new jobs from main */
    void *sign;   /* PULL: committed jobs from the writer */
    void *write;  /* PUSH: to the writer */
    void *ack;    /* PUSH: signed acks to main */
} s_worker_t;

struct cchc_ingest_t {
    void *ctx;
    const cchc_collector_conf_t *conf;
    const cchc_key_t *key;
    cchc_keytab_t *keytab;
    const cchc_criteria_t *criteria;
    const char **metrics; /* the catalogue's metric codes by hash (s_metric_known) */
    size_t metrics_mask;  /* slots - 1 (a power of two, at least twice the codes) */
    cchc_stats_t *stats;
    cchc_db_t *reader; /* main thread: enrolment refresh */
    int64_t enrolment_version;
    cchc_date_t min_date;

    void *verify; /* main: PUSH to workers */
    void *ack;    /* main: PULL from workers */
    s_worker_t *workers;
    size_t nworkers;
    cchc_writer_t writer;
    pthread_t writer_thread;
    bool writer_started;

    /*  WAL checkpoints, off the writer's thread. */
    cchc_db_t *checkpointer;
    cchc_db_wal_t wal; /* shared by the writer and the checkpointer */
    pthread_t checkpoint_thread;
    bool checkpoint_init; /* its mutex and condition made */
    bool checkpoint_started;
    bool checkpoint_stop;
    pthread_mutex_t checkpoint_lock;
    pthread_cond_t checkpoint_wake;
    int64_t inflight;

    /*  The budget of answers to messages that fail authentication (job.h):
        a token bucket of collector.unauth_acks per second, as many at once. */
    pthread_mutex_t unauth_lock;
    bool unauth_lock_ready;
    double unauth_tokens;
    int64_t unauth_refilled; /* monotonic ms */
};

static cchc_ratelimit_t s_rl_input = CCHC_RATELIMIT_INIT (10000, 10);
/*  Unauthenticated traffic has its own log budget: a flood of it must not
    hide the refusals of enrolled agents. */
static cchc_ratelimit_t s_rl_unauth = CCHC_RATELIMIT_INIT (10000, 10);
static cchc_ratelimit_t s_rl_unauth_drop = CCHC_RATELIMIT_INIT (10000, 2);
static cchc_ratelimit_t s_rl_internal = CCHC_RATELIMIT_INIT (10000, 10);

void
cchc_job_destroy (cchc_job_t **self_p)
{
    assert (self_p);
    cchc_job_t *self = *self_p;
    if (!self)
        return;
    cchc_wire_msg_clear (&self->msg);
    cchc_report_clear (&self->report);
    free (self->rejected);
    free (self->ack_body);
    free (self->ack_proof);
    free (self);
    *self_p = NULL;
}

int
cchc_job_pass (void *socket, cchc_job_t **job_p)
{
    assert (job_p && *job_p);
    int rc;
    do
        rc = zmq_send (socket, job_p, sizeof *job_p, 0);
    while (rc == -1 && errno == EINTR);
    if (rc == -1)
        return -1;
    *job_p = NULL; /* the receiving thread owns it now */
    return 0;
}

cchc_job_t *
cchc_job_take (void *socket, int flags)
{
    cchc_job_t *job = NULL;
    int rc;
    do
        rc = zmq_recv (socket, &job, sizeof job, flags);
    while (rc == -1 && errno == EINTR);
    if (rc != (int) sizeof job)
        return NULL;
    return job;
}

/* ---------------------------------------------------------------- worker */

static void
s_hex8 (const uint8_t *key, char out [17])
{
    static const char digits [] = "0123456789abcdef";
    for (int i = 0; i < 8; i++) {
        out [2 * i] = digits [key [i] >> 4];
        out [2 * i + 1] = digits [key [i] & 15];
    }
    out [16] = 0;
}

/*  The sender's address for a log line (wire.h: ZeroMQ's Peer-Address). */
static const char *
s_peer (const cchc_job_t *job)
{
    return job->msg.peer [0] ? job->msg.peer : "unknown peer";
}

/* -------------------------------------------------------- metric codes */

/*  The verifiers look every observation's metric up in the catalogue:
    through an open-addressing table of its codes (borrowed from the
    catalogue, which outlives the pipeline) instead of the catalogue's
    linear search, ~5 % of a verifier's time with 30 observations. */
/*  The table of the catalogue's codes.  0 or -1 (out of memory). */
static int
s_metrics_index (struct cchc_ingest_t *self)
{
    size_t count = cchc_criteria_metric_count (self->criteria), slots = 4;
    while (slots < 2 * count)
        slots *= 2;
    self->metrics = calloc (slots, sizeof *self->metrics);
    if (!self->metrics)
        return -1;
    self->metrics_mask = slots - 1;
    for (size_t i = 0; i < count; i++) {
        const char *code = cchc_criteria_metric (self->criteria, i)->code;
        size_t at = cchc_str_hash (code) & self->metrics_mask;
        while (self->metrics [at] && strcmp (self->metrics [at], code) != 0)
            at = (at + 1) & self->metrics_mask;
        self->metrics [at] = code;
    }
    return 0;
}

/*  True if `code` is a metric of the catalogue (cchc_criteria_metric_known). */
static bool
s_metric_known (const struct cchc_ingest_t *self, const char *code)
{
    for (size_t at = cchc_str_hash (code) & self->metrics_mask; self->metrics [at];
         at = (at + 1) & self->metrics_mask)
        if (strcmp (self->metrics [at], code) == 0)
            return true;
    return false;
}

static void
s_refuse (cchc_job_t *job, cchc_job_kind_t kind, uint32_t reason)
{
    job->kind = kind;
    job->status = CCHC_STATUS_REJECTED;
    job->reason = reason;
}

/*  Take one answer from the budget for unauthenticated messages.  True
    when one was left (the message is answered), false when it is spent
    (counted and logged, rate-limited).  Any thread. */
static bool
s_unauth_answer (struct cchc_ingest_t *self, const cchc_job_t *job, int reason)
{
    double rate = (double) self->conf->unauth_acks;
    int64_t now = cchc_clock_mono_ms ();
    pthread_mutex_lock (&self->unauth_lock);
    double tokens =
        self->unauth_tokens + (double) (now - self->unauth_refilled) * rate / 1000.0;
    if (tokens > rate)
        tokens = rate;
    self->unauth_refilled = now;
    bool answer = tokens >= 1.0;
    self->unauth_tokens = answer ? tokens - 1.0 : tokens;
    pthread_mutex_unlock (&self->unauth_lock);
    if (answer)
        atomic_fetch_add_explicit (&self->stats->unauth_answered, 1, memory_order_relaxed);
    else {
        atomic_fetch_add_explicit (&self->stats->unauth_dropped, 1, memory_order_relaxed);
        cchc_log_limited (&s_rl_unauth_drop, CCHC_LOG_WARN,
                          "unauthenticated messages "
                          "over collector.unauth_acks (%lld a second): dropped "
                          "unanswered (this one from %s, %s)",
                          (long long) self->conf->unauth_acks, s_peer (job),
                          cchc_reason_name (reason));
    }
    return answer;
}

/*  The checks of an authenticated report before its observations: revoked
    key, unit, clock (PROTOCOL.md §9.2).  true: it may be stored; false: the
    job is refused (its verdict set). */
static bool
s_admit (struct cchc_ingest_t *self, cchc_job_t *job, const cchc_keytab_entry_t *entry,
         int64_t now)
{
    job->agent_id = entry->id;
    if (entry->revoked) {
        /*  Authenticated, so counted against the agent; but a revoked key's
            seq is never answered (PROTOCOL.md 9.2: seq 0, keep the data). */
        cchc_log_limited (&s_rl_input, CCHC_LOG_WARN,
                          "refused seq %llu from "
                          "revoked agent %lld at %s",
                          (unsigned long long) job->report.seq, (long long) entry->id,
                          s_peer (job));
        s_refuse (job, CCHC_JOB_COUNT, CCHC_REASON_REVOKED_AGENT);
        return false;
    }
    job->seq = job->report.seq;
    memcpy (job->unit, entry->unit, sizeof job->unit);
    if (strcmp (job->report.unit, entry->unit) != 0) {
        cchc_log_limited (&s_rl_input, CCHC_LOG_WARN,
                          "refused seq %llu from agent "
                          "%lld at %s: unit %s, enrolled for %s",
                          (unsigned long long) job->seq, (long long) entry->id, s_peer (job),
                          job->report.unit, entry->unit);
        s_refuse (job, CCHC_JOB_COUNT, CCHC_REASON_UNIT_MISMATCH);
        return false;
    }
    if (job->report.created_ms > (uint64_t) (now + self->conf->max_skew_ms)) {
        cchc_log_limited (&s_rl_input, CCHC_LOG_WARN,
                          "refused seq %llu from agent "
                          "%lld at %s: created %lld ms ahead of collector time",
                          (unsigned long long) job->seq, (long long) entry->id, s_peer (job),
                          (long long) ((int64_t) job->report.created_ms - now));
        /*  A clock error is transient (NTP fixes it, or the operator): the
            agent keeps the report and sends it again later (PROTOCOL.md
            §9.2); a permanent refusal would dead-letter a whole province
            whose clock (or ours) is a few minutes off. */
        s_refuse (job, CCHC_JOB_COUNT, CCHC_REASON_FUTURE_TIMESTAMP);
        job->status = CCHC_STATUS_RETRY_LATER;
        return false;
    }
    return true;
}

/*  Record the observations the collector refuses (job->rejected); the rest
    of the report is stored.  false: no memory (the job is answered busy). */
static bool
s_check_obs (struct cchc_ingest_t *self, cchc_job_t *job, int64_t now)
{
    /*  Per observation: date range, then metric code, then the value
        domain (PROTOCOL.md §5: 0 .. 2^53, finite). */
    cchc_date_t last = cchc_date_from_utc_ms (now) + (cchc_date_t) self->conf->future_days;
    for (uint32_t i = 0; i < job->report.nobs; i++) {
        const cchc_obs_t *obs = &job->report.obs [i];
        uint32_t reason = 0;
        if (obs->date < self->min_date || obs->date > last)
            reason = CCHC_REASON_DATE_OUT_OF_RANGE;
        else if (self->criteria && !s_metric_known (self, obs->metric))
            reason = CCHC_REASON_UNKNOWN_METRIC;
        else if (obs->is_float
                     ? !(obs->fval >= 0 && obs->fval <= (double) CCHC_PROTO_VALUE_MAX)
                     : (obs->ival < 0 || obs->ival > CCHC_PROTO_VALUE_MAX))
            reason = CCHC_REASON_VALUE_OUT_OF_RANGE;
        if (!reason)
            continue;
        if (!job->rejected) {
            job->rejected = malloc (job->report.nobs * sizeof *job->rejected);
            if (!job->rejected) {
                s_refuse (job, CCHC_JOB_ACK, CCHC_REASON_BUSY);
                job->status = CCHC_STATUS_RETRY_LATER;
                return false;
            }
        }
        job->rejected [job->nrejected].index = i;
        job->rejected [job->nrejected].reason = reason;
        job->nrejected++;
    }
    if (job->nrejected) {
        char date [11];
        cchc_date_format (job->report.obs [job->rejected [0].index].date, date, sizeof date);
        cchc_log_limited (&s_rl_input, CCHC_LOG_WARN,
                          "agent %lld at %s seq %llu: %u of "
                          "%u observations refused (first: %s %s, %s)",
                          (long long) job->agent_id, s_peer (job),
                          (unsigned long long) job->seq, job->nrejected, job->report.nobs,
                          job->report.obs [job->rejected [0].index].metric, date,
                          cchc_reason_name ((int) job->rejected [0].reason));
    }
    return true;
}

/*  Verify and check one new job; sets kind and, for final verdicts, status. */
static void
s_verify (struct cchc_ingest_t *self, cchc_job_t *job)
{
    char who [17];
    s_hex8 (job->msg.key, who);
    if (job->pre_reason == CCHC_REASON_BUSY) { /* no memory for the body */
        job->kind = CCHC_JOB_ACK;
        job->status = CCHC_STATUS_RETRY_LATER;
        job->reason = CCHC_REASON_BUSY;
        return;
    }
    if (job->pre_reason) {
        /*  Not authenticated: frame 0 (when it had 32 bytes) is only a claim. */
        cchc_log_limited (&s_rl_unauth, CCHC_LOG_WARN,
                          "refused an unauthenticated "
                          "message from %s (%s)",
                          s_peer (job), cchc_reason_name (job->pre_reason));
        s_refuse (job, CCHC_JOB_ACK, (uint32_t) job->pre_reason);
        return;
    }
    cchc_keytab_entry_t entry;
    if (!cchc_keytab_lookup (self->keytab, job->msg.key, &entry)) {
        cchc_log_limited (&s_rl_unauth, CCHC_LOG_WARN,
                          "refused an unauthenticated "
                          "message from %s (unknown_agent: key %s...)",
                          s_peer (job), who);
        s_refuse (job, CCHC_JOB_ACK, CCHC_REASON_UNKNOWN_AGENT);
        return;
    }
    int rc = cchc_report_open (entry.pubkey, job->msg.body, job->msg.body_len, job->msg.sig,
                               &job->report);
    if (rc) {
        /*  After the signature step every failure is the agent's own doing:
            count it against the agent; the seq cannot be trusted either way. */
        bool authenticated = rc != CCHC_REASON_BAD_SIGNATURE && rc != CCHC_REASON_TOO_LARGE;
        if (authenticated)
            cchc_log_limited (&s_rl_input, CCHC_LOG_WARN,
                              "refused a message from "
                              "agent %lld (%s) at %s: %s",
                              (long long) entry.id, entry.unit, s_peer (job),
                              cchc_reason_name (rc));
        else
            cchc_log_limited (&s_rl_unauth, CCHC_LOG_WARN,
                              "refused an unauthenticated "
                              "message from %s (%s: claims key %s..., agent %lld)",
                              s_peer (job), cchc_reason_name (rc), who, (long long) entry.id);
        job->agent_id = authenticated ? entry.id : 0;
        s_refuse (job, authenticated ? CCHC_JOB_COUNT : CCHC_JOB_ACK, (uint32_t) rc);
        /*  The verification was spent already; the answer need not be. */
        if (!authenticated && !s_unauth_answer (self, job, rc))
            job->unanswered = true;
        return;
    }
    int64_t now = cchc_clock_now_ms ();
    if (!s_admit (self, job, &entry, now) || !s_check_obs (self, job, now))
        return;
    /*  Stored even when every observation was refused (PROTOCOL.md 10.1):
        the journal keeps it, so a resend is a duplicate. */
    job->npolicy = job->nrejected;
    job->kind = CCHC_JOB_STORE;
}

static void *
s_worker_run (void *arg)
{
    s_worker_t *worker = arg;
    struct cchc_ingest_t *self = worker->ingest;
    pthread_setname_np (pthread_self (), "cchc-verify");
    zmq_pollitem_t items [2] = {
        { worker->sign, 0, ZMQ_POLLIN, 0 },
        { worker->verify, 0, ZMQ_POLLIN, 0 },
    };
    for (;;) {
        if (zmq_poll (items, 2, -1) == -1) {
            if (errno == EINTR)
                continue;
            break; /* ETERM: shutting down */
        }
        /*  Committed work first: it finishes jobs and frees memory. */
        cchc_job_t *job;
        while ((job = cchc_job_take (worker->sign, ZMQ_DONTWAIT))) {
            cchc_acks_sign (job, self->key);
            if (cchc_job_pass (worker->ack, &job)) {
                cchc_job_destroy (&job);
                goto done;
            }
        }
        if (errno == ETERM)
            break;
        if ((job = cchc_job_take (worker->verify, ZMQ_DONTWAIT))) {
            s_verify (self, job);
            void *next = worker->ack;
            if (job->kind == CCHC_JOB_ACK)
                cchc_acks_sign (job, self->key);
            else {
                atomic_fetch_add_explicit (&self->stats->write_queue, 1, memory_order_relaxed);
                next = worker->write;
            }
            if (cchc_job_pass (next, &job)) {
                cchc_job_destroy (&job);
                break;
            }
        }
        else if (errno == ETERM)
            break;
    }
done:
    zmq_close (worker->verify);
    zmq_close (worker->sign);
    zmq_close (worker->write);
    zmq_close (worker->ack);
    worker->verify = worker->sign = worker->write = worker->ack = NULL;
    return NULL;
}

/* ---------------------------------------------------------- checkpointer */

/*  The writer's connection does not checkpoint (a checkpoint copies pages and,
    with synchronous=full, fsyncs the database: work the writer should not
    wait for).  This thread does, whenever the WAL passes ~4 MiB. */
#define CHECKPOINT_PAGES 1000
#define CHECKPOINT_POLL_MS 100

static void *
s_checkpoint_run (void *arg)
{
    struct cchc_ingest_t *self = arg;
    pthread_setname_np (pthread_self (), "cchc-checkpoint");
    pthread_mutex_lock (&self->checkpoint_lock);
    while (!self->checkpoint_stop) {
        struct timespec until;
        clock_gettime (CLOCK_REALTIME, &until);
        until.tv_nsec += CHECKPOINT_POLL_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait (&self->checkpoint_wake, &self->checkpoint_lock, &until);
        if (self->checkpoint_stop)
            break;
        if (atomic_load_explicit (&self->wal.pages, memory_order_relaxed) < CHECKPOINT_PAGES)
            continue;
        pthread_mutex_unlock (&self->checkpoint_lock);
        if (cchc_db_checkpoint (self->checkpointer, &self->wal))
            cchc_log_limited (&s_rl_internal, CCHC_LOG_WARN, "checkpoint failed: %s",
                              cchc_db_errmsg (self->checkpointer));
        atomic_store_explicit (&self->wal.pages, 0, memory_order_relaxed);
        pthread_mutex_lock (&self->checkpoint_lock);
    }
    pthread_mutex_unlock (&self->checkpoint_lock);
    return NULL;
}

/* ------------------------------------------------------------ main thread */

static void
s_refresh (struct cchc_ingest_t *self, bool force)
{
    int64_t version;
    if (cchc_db_enrolment_version (self->reader, &version)) {
        cchc_log_limited (&s_rl_internal, CCHC_LOG_ERROR, "cannot read enrolment: %s",
                          cchc_db_errmsg (self->reader));
        return;
    }
    if (!force && version == self->enrolment_version)
        return;
    if (cchc_keytab_load (self->keytab, self->reader)) {
        cchc_log_limited (&s_rl_internal, CCHC_LOG_ERROR, "cannot load enrolment: %s",
                          cchc_db_errmsg (self->reader));
        return;
    }
    size_t n = cchc_keytab_size (self->keytab);
    atomic_store_explicit (&self->stats->agents, (int64_t) n, memory_order_relaxed);
    if (!force)
        cchc_notice ("enrolment changed: %zu agents (version %lld)", n, (long long) version);
    self->enrolment_version = version;
}

/*  Send one signed ack and retire its job. */
static void
s_answer (struct cchc_ingest_t *self, void *router, cchc_job_t *job)
{
    cchc_stats_t *stats = self->stats;
    if (job->unanswered)
        ; /* counted in s_unauth_answer */
    else if (job->ack_body) {
        int rc =
            cchc_wire_send_proof (router, job->msg.routing_id, job->msg.routing_len,
                                  cchc_key_public (self->key), job->ack_body, job->ack_len,
                                  job->ack_sig, job->ack_proof, job->ack_nproof, ZMQ_DONTWAIT);
        if (rc)
            atomic_fetch_add_explicit (&stats->acks_lost, 1, memory_order_relaxed);
    }
    else
        atomic_fetch_add_explicit (&stats->acks_lost, 1, memory_order_relaxed);
    switch (job->status) {
        case CCHC_STATUS_ACCEPTED:
            atomic_fetch_add_explicit (&stats->accepted, 1, memory_order_relaxed);
            atomic_fetch_add_explicit (&stats->obs_stored, job->report.nobs - job->nrejected,
                                       memory_order_relaxed);
            atomic_fetch_add_explicit (&stats->obs_refused, job->nrejected,
                                       memory_order_relaxed);
            break;
        case CCHC_STATUS_DUPLICATE:
            atomic_fetch_add_explicit (&stats->duplicate, 1, memory_order_relaxed);
            break;
        case CCHC_STATUS_REJECTED:
            atomic_fetch_add_explicit (&stats->rejected, 1, memory_order_relaxed);
            if (job->reason < CCHC_STATS_REASONS)
                atomic_fetch_add_explicit (&stats->rejected_by [job->reason], 1,
                                           memory_order_relaxed);
            break;
        default:
            atomic_fetch_add_explicit (&stats->retry_later, 1, memory_order_relaxed);
            break;
    }
    cchc_job_destroy (&job);
    self->inflight--;
    atomic_store_explicit (&stats->inflight, self->inflight, memory_order_relaxed);
}

/*  Read up to READ_BURST messages from the ROUTER into the pipeline.
    Returns 0, or -1 on a fatal socket error. */
static int
s_read (struct cchc_ingest_t *self, void *router)
{
    for (int n = 0; n < READ_BURST && self->inflight < self->conf->max_inflight; n++) {
        cchc_job_t *job = calloc (1, sizeof *job);
        if (!job) {
            cchc_log_limited (&s_rl_internal, CCHC_LOG_ERROR, "out of memory");
            return 0; /* leave the message queued; try again later */
        }
        int rc = cchc_wire_recv (router, true, ZMQ_DONTWAIT, &job->msg);
        if (rc == -1) {
            int saved = errno;
            free (job);
            if (saved == EAGAIN || saved == EINTR)
                return 0;
            cchc_error ("ROUTER receive failed: %s", zmq_strerror (saved));
            return -1;
        }
        job->pre_reason = rc;
        job->received_ms = cchc_clock_now_ms ();
        job->received_mono = cchc_clock_mono_ms ();
        atomic_fetch_add_explicit (&self->stats->received, 1, memory_order_relaxed);
        /*  Failed authentication without any cryptography (job.h): over the
            budget, dropped here, before it takes a place in flight. */
        cchc_keytab_entry_t entry;
        int unauth = rc == CCHC_REASON_BAD_FRAMES || rc == CCHC_REASON_TOO_LARGE ? rc
                     : rc == 0 && !cchc_keytab_lookup (self->keytab, job->msg.key, &entry)
                         ? CCHC_REASON_UNKNOWN_AGENT
                         : 0;
        if (unauth && !s_unauth_answer (self, job, unauth)) {
            atomic_fetch_add_explicit (&self->stats->rejected, 1, memory_order_relaxed);
            atomic_fetch_add_explicit (&self->stats->rejected_by [unauth], 1,
                                       memory_order_relaxed);
            cchc_job_destroy (&job);
            continue;
        }
        self->inflight++;
        atomic_store_explicit (&self->stats->inflight, self->inflight, memory_order_relaxed);
        if ((uint64_t) self->inflight > (uint64_t) atomic_load_explicit (
                &self->stats->inflight_max, memory_order_relaxed))
            atomic_store_explicit (&self->stats->inflight_max, self->inflight,
                                   memory_order_relaxed);
        if (cchc_job_pass (self->verify, &job)) {
            cchc_job_destroy (&job);
            self->inflight--;
            return -1;
        }
    }
    return 0;
}

int
cchc_ingest_run (cchc_ingest_t *self, void *router, volatile sig_atomic_t *stop)
{
    assert (self && router && stop);
    int64_t next_refresh = cchc_clock_mono_ms () + self->conf->refresh_ms;
    int64_t drain_deadline = 0;
    bool draining = false;
    for (;;) {
        if (*stop && !draining) {
            draining = true;
            drain_deadline = cchc_clock_mono_ms () + self->conf->drain_ms;
            cchc_notice ("stopping: answering %lld messages in flight",
                         (long long) self->inflight);
        }
        if (draining && (self->inflight == 0 || cchc_clock_mono_ms () >= drain_deadline)) {
            if (self->inflight)
                cchc_warn ("stopping with %lld messages unanswered (their senders "
                           "will send them again)",
                           (long long) self->inflight);
            return 0;
        }
        bool room = !draining && self->inflight < self->conf->max_inflight;
        zmq_pollitem_t items [2] = {
            { self->ack, 0, ZMQ_POLLIN, 0 },
            { router, 0, room ? ZMQ_POLLIN : 0, 0 },
        };
        int64_t now = cchc_clock_mono_ms ();
        long timeout = (long) (next_refresh - now);
        if (timeout < 0)
            timeout = 0;
        if (timeout > 200)
            timeout = 200; /* notice *stop promptly */
        int rc = zmq_poll (items, 2, timeout);
        if (rc == -1) {
            if (errno == EINTR)
                continue;
            cchc_error ("poll failed: %s", zmq_strerror (errno));
            return -1;
        }
        if (items [0].revents & ZMQ_POLLIN) {
            cchc_job_t *job;
            while ((job = cchc_job_take (self->ack, ZMQ_DONTWAIT)))
                s_answer (self, router, job);
        }
        if (room && (items [1].revents & ZMQ_POLLIN) && s_read (self, router))
            return -1;
        now = cchc_clock_mono_ms ();
        if (now >= next_refresh) {
            s_refresh (self, false);
            next_refresh = now + self->conf->refresh_ms;
        }
    }
}

/* ------------------------------------------------------ set-up, tear-down */

static void *
s_socket (void *ctx, int type, const char *endpoint, bool bind, int hwm)
{
    void *socket = zmq_socket (ctx, type);
    if (!socket)
        return NULL;
    int linger = 0;
    zmq_setsockopt (socket, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt (socket, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt (socket, ZMQ_RCVHWM, &hwm, sizeof hwm);
    if ((bind ? zmq_bind (socket, endpoint) : zmq_connect (socket, endpoint)) == -1) {
        zmq_close (socket);
        return NULL;
    }
    return socket;
}

/*  The three connections (reader, writer, checkpointer), the writer tuned. */
static int
s_open_databases (cchc_ingest_t *self, const char *db_path, char *err, size_t errlen)
{
    if (CCHC_FAILPOINT ("ingest.open", err, errlen))
        return -1;
    self->reader = cchc_db_open (db_path, true, err, errlen);
    if (!self->reader)
        return -1;
    self->writer.store = cchc_db_open (db_path, true, err, errlen);
    if (!self->writer.store)
        return -1;
    self->checkpointer = cchc_db_open (db_path, true, err, errlen);
    if (!self->checkpointer)
        return -1;
    if (cchc_db_tune (self->writer.store, strcmp (self->conf->synchronous, "full") == 0,
                      self->conf->busy_timeout_ms, self->conf->max_pages)
        || cchc_db_ingest_mode (self->writer.store, &self->wal)) {
        snprintf (err, errlen, "%s: %s", db_path, cchc_db_errmsg (self->writer.store));
        return -1;
    }
    if (CCHC_FAILPOINT ("ingest.tune", err, errlen))
        return -1;
    return 0;
}

/*  The checkpoint thread (its lock and wake-up first). */
static int
s_start_checkpoint (cchc_ingest_t *self, char *err, size_t errlen)
{
    pthread_mutex_init (&self->checkpoint_lock, NULL);
    pthread_cond_init (&self->checkpoint_wake, NULL);
    self->checkpoint_init = true;
    if (pthread_create (&self->checkpoint_thread, NULL, s_checkpoint_run, self)) {
        snprintf (err, errlen, "cannot start the checkpoint thread");
        return -1;
    }
    self->checkpoint_started = true;
    if (CCHC_FAILPOINT ("ingest.checkpoint", err, errlen))
        return -1;
    return 0;
}

/*  The inproc sockets of the stages and of every verifier. */
static int
s_open_sockets (cchc_ingest_t *self, char *err, size_t errlen)
{
    /*  Every queue can hold every job in flight: sends never wait. */
    int hwm = (int) self->conf->max_inflight + 16;
    self->verify = s_socket (self->ctx, ZMQ_PUSH, EP_VERIFY, true, hwm);
    self->ack = s_socket (self->ctx, ZMQ_PULL, EP_ACK, true, hwm);
    self->writer.inbox = s_socket (self->ctx, ZMQ_PULL, EP_WRITE, true, hwm);
    self->writer.outbox = s_socket (self->ctx, ZMQ_PUSH, EP_SIGN, true, hwm);
    self->writer.answers = s_socket (self->ctx, ZMQ_PUSH, EP_ACK, false, hwm);
    if (!self->verify || !self->ack || !self->writer.inbox || !self->writer.outbox
        || !self->writer.answers) {
        snprintf (err, errlen, "inproc sockets: %s", zmq_strerror (errno));
        return -1;
    }
    if (CCHC_FAILPOINT ("ingest.sockets", err, errlen))
        return -1;
    self->nworkers = (size_t) self->conf->verifiers;
    self->workers = calloc (self->nworkers, sizeof *self->workers);
    if (!self->workers) {
        snprintf (err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < self->nworkers; i++) {
        s_worker_t *worker = &self->workers [i];
        worker->ingest = self;
        worker->verify = s_socket (self->ctx, ZMQ_PULL, EP_VERIFY, false, hwm);
        worker->sign = s_socket (self->ctx, ZMQ_PULL, EP_SIGN, false, hwm);
        worker->write = s_socket (self->ctx, ZMQ_PUSH, EP_WRITE, false, hwm);
        worker->ack = s_socket (self->ctx, ZMQ_PUSH, EP_ACK, false, hwm);
        if (!worker->verify || !worker->sign || !worker->write || !worker->ack) {
            snprintf (err, errlen, "inproc sockets: %s", zmq_strerror (errno));
            return -1;
        }
        if (i == 0 && CCHC_FAILPOINT ("ingest.worker_sockets", err, errlen))
            return -1;
    }
    return 0;
}

/*  The writer thread, then the verifiers. */
static int
s_start_threads (cchc_ingest_t *self, char *err, size_t errlen)
{
    self->writer.conf = self->conf;
    self->writer.stats = self->stats;
    self->writer.key = self->key;
    if (pthread_create (&self->writer_thread, NULL, cchc_writer_run, &self->writer)) {
        snprintf (err, errlen, "cannot start the writer thread");
        return -1;
    }
    self->writer_started = true;
    if (CCHC_FAILPOINT ("ingest.writer", err, errlen))
        return -1;
    for (size_t i = 0; i < self->nworkers; i++) {
        if (pthread_create (&self->workers [i].thread, NULL, s_worker_run,
                            &self->workers [i])) {
            snprintf (err, errlen, "cannot start a worker thread");
            return -1;
        }
        self->workers [i].started = true;
        if (i == 0 && CCHC_FAILPOINT ("ingest.worker", err, errlen))
            return -1;
    }
    if (CCHC_FAILPOINT ("ingest.started", err, errlen))
        return -1;
    return 0;
}

cchc_ingest_t *
cchc_ingest_new (void *ctx, const cchc_ingest_args_t *args, char *err, size_t errlen)
{
    assert (ctx && args && args->conf && args->db_path && args->key && args->keytab
            && args->stats);
    cchc_ingest_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, errlen, "out of memory");
        return NULL;
    }
    self->ctx = ctx;
    self->conf = args->conf;
    self->key = args->key;
    self->keytab = args->keytab;
    self->criteria = args->criteria;
    self->stats = args->stats;
    if (self->criteria && s_metrics_index (self)) {
        snprintf (err, errlen, "out of memory");
        goto failed;
    }
    const char *min_date = self->conf->min_date;
    if (cchc_date_parse (min_date, strlen (min_date), &self->min_date)) {
        snprintf (err, errlen, "collector.min_date: not a date");
        goto failed;
    }

    if (s_open_databases (self, args->db_path, err, errlen)
        || s_start_checkpoint (self, err, errlen))
        goto failed;
    pthread_mutex_init (&self->unauth_lock, NULL);
    self->unauth_lock_ready = true;
    self->unauth_tokens = (double) self->conf->unauth_acks;
    self->unauth_refilled = cchc_clock_mono_ms ();
    s_refresh (self, true);
    cchc_notice ("%zu agents enrolled", cchc_keytab_size (self->keytab));

    if (s_open_sockets (self, err, errlen) || s_start_threads (self, err, errlen))
        goto failed;
    return self;

failed:
    cchc_ingest_destroy (&self);
    return NULL;
}

void
cchc_ingest_destroy (cchc_ingest_t **self_p)
{
    assert (self_p);
    cchc_ingest_t *self = *self_p;
    if (!self)
        return;
    /*  Drain what is still queued towards main (normally nothing), then
        shut the context down: every thread's next zmq call fails with
        ETERM and the thread closes its sockets and ends. */
    if (self->ack) {
        cchc_job_t *job;
        while ((job = cchc_job_take (self->ack, ZMQ_DONTWAIT)))
            cchc_job_destroy (&job);
        zmq_close (self->ack);
    }
    if (self->verify)
        zmq_close (self->verify);
    zmq_ctx_shutdown (self->ctx);
    for (size_t i = 0; i < self->nworkers; i++) {
        s_worker_t *worker = &self->workers [i];
        if (worker->started)
            pthread_join (worker->thread, NULL);
        else {
            if (worker->verify)
                zmq_close (worker->verify);
            if (worker->sign)
                zmq_close (worker->sign);
            if (worker->write)
                zmq_close (worker->write);
            if (worker->ack)
                zmq_close (worker->ack);
        }
    }
    /*  A started writer closes its own sockets; otherwise they are closed
        here, or zmq_ctx_term would wait for them forever. */
    if (self->writer_started)
        pthread_join (self->writer_thread, NULL);
    else {
        if (self->writer.inbox)
            zmq_close (self->writer.inbox);
        if (self->writer.outbox)
            zmq_close (self->writer.outbox);
        if (self->writer.answers)
            zmq_close (self->writer.answers);
    }
    if (self->checkpoint_started) {
        pthread_mutex_lock (&self->checkpoint_lock);
        self->checkpoint_stop = true;
        pthread_cond_signal (&self->checkpoint_wake);
        pthread_mutex_unlock (&self->checkpoint_lock);
        pthread_join (self->checkpoint_thread, NULL);
    }
    if (self->checkpoint_init) {
        pthread_mutex_destroy (&self->checkpoint_lock);
        pthread_cond_destroy (&self->checkpoint_wake);
    }
    if (self->unauth_lock_ready)
        pthread_mutex_destroy (&self->unauth_lock);
    free (self->workers);
    free (self->metrics);
    cchc_db_destroy (&self->writer.store);
    cchc_db_destroy (&self->checkpointer);
    cchc_db_destroy (&self->reader);
    free (self);
    *self_p = NULL;
}
