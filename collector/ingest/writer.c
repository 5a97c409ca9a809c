/*  writer.c — the collector's writer thread: group commit of verified jobs
    and the periodic stats snapshot (see writer.h, job.h).

    One transaction per batch.  Inside it, per STORE job in arrival order:
    the journal row (its UNIQUE (agent, seq) makes a re-sent message a
    duplicate that changes nothing; journal ids keep the arrival order).
    Then the batch's observations, sorted by (day, agent, metric number:
    s_metrics_t) so that they land side by side, one write per key (of several in the
    batch only the highest seq can win, and it replaces the stored row only
    if that holds an older seq), in multi-row INSERTs; last one counter
    update per agent.  COUNT jobs only count.

    The roll-up's observation_month is not in these transactions (this
    connection runs without triggers): the changes of committed batches are
    summed in C (collector/db/delta.h, cchc_db_delta_t) and applied every
    S_MONTH_INTERVAL_MS in transactions of their own, S_MONTH_SLICE summary
    rows each with batches in between, the last of which moves the
    summary's position (db.h, "the summary"); readers compute what is past
    the position from the rows, so no reader sees the summary lag.  At start
    and after a failed batch the sum is not known: the follower rebuilds the
    months of every journal row past the position from the rows instead
    (cchc_db_month_follow), which counts nothing twice.

    If the batch fails, it is rolled back whole: on a transient error (busy,
    disk full, I/O) every STORE job is answered retry-later; on any other
    error the jobs are tried one per transaction so one bad job cannot fail
    its neighbours.  Jobs go on to be signed only after COMMIT.
*/
#define _GNU_SOURCE /* pthread_setname_np */
#include "collector/ingest/writer.h"
#include "collector/ingest/acks.h"
#include "collector/ingest/job.h"
#include "collector/db/delta.h"

#include "common/clock.h"
#include "common/mem.h"
#include "common/text.h"
#include "common/log.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zmq.h>

/*  Observations written per sort-and-write pass (bounds the writer's own
    memory whatever the batch holds). */
#define WRITER_CHUNK_ROWS 8192

/*  How often the summed summary changes are applied, and how many noted
    rows force it sooner (bounds the memory: ~150 bytes a row).  An apply
    holds the writer for its transaction, so the interval bounds the pause
    ingest sees: at 4,500 reports/s (100 agents x 30 observations) a second
    of changes took the ack p99 to ~100 ms, a fifth of one to ~55 ms, for
    ~5 % more writer CPU than one apply a second (fewer changes folded). */
#define S_MONTH_INTERVAL_MS 200
#define S_MONTH_NOTES_MAX 200000
/*  Summary rows written per apply transaction: an apply of more is done in
    slices with the batches in between, so one large apply (a burst, or
    reports spread over many months) does not hold back every ack for its
    whole length (~2 us a row: a slice holds the writer ~4 ms). */
#define S_MONTH_SLICE 2000

typedef struct s_batch_t s_batch_t;

/*  The metric codes this writer has seen, numbered in the order they came:
    the batch's rows sort by (agent, day, number) instead of comparing the
    codes (a tenth of the writer's time went to strcmp in the sort).  Any
    fixed order of the metrics serves: the sort is there to bring each key's
    rows together and one agent's day side by side, and a day's rows share
    a leaf page whatever their order.  Past S_METRICS_MAX codes (a database
    without a catalogue) the others get S_METRIC_OTHER and sort after the
    numbered ones by their code. */
#define S_METRIC_SLOTS 4096 /* a power of two, twice S_METRICS_MAX */
#define S_METRICS_MAX 2048
#define S_METRIC_OTHER UINT32_MAX

typedef struct {
    uint32_t hash;
    uint32_t number;
    char *code; /* NULL: a free slot */
} s_metric_t;

typedef struct {
    s_metric_t slot [S_METRIC_SLOTS];
    uint32_t count;
} s_metrics_t;

/*  The number of `code`, given one if new.  S_METRIC_OTHER when the table is
    full (or out of memory): the sort then compares the code. */
static uint32_t
s_metric_number (s_metrics_t *self, const char *code)
{
    uint32_t hash = cchc_str_hash (code);
    for (uint32_t i = hash & (S_METRIC_SLOTS - 1);; i = (i + 1) & (S_METRIC_SLOTS - 1)) {
        s_metric_t *slot = &self->slot [i];
        if (!slot->code) {
            if (self->count >= S_METRICS_MAX || !(slot->code = strdup (code)))
                return S_METRIC_OTHER;
            slot->hash = hash;
            slot->number = self->count++;
            return slot->number;
        }
        if (slot->hash == hash && strcmp (slot->code, code) == 0)
            return slot->number;
    }
}

static void
s_metrics_clear (s_metrics_t *self)
{
    for (size_t i = 0; i < S_METRIC_SLOTS; i++)
        free (self->slot [i].code);
    memset (self, 0, sizeof *self);
}

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
        used += (size_t) snprintf (text + used, size - used, "%s%u:%u", i ? "," : "",
                                   job->rejected [i].index, job->rejected [i].reason);
    return text;
}

/*  One agent's counter changes in the batch. */
typedef struct {
    int64_t agent, seen;
    int accepted, duplicates, rejected;
    uint64_t last_seq;
    bool has_skew;       /* a decoded report gave its clock: */
    int64_t skew, ahead; /* created - received, newest / largest */
} s_note_t;

/*  What one transaction collects before writing it out. */
struct s_batch_t {
    cchc_db_row_t *rows; /* observations waiting to be written */
    int *result;         /* [rows_alloc] */
    cchc_db_old_t *old;  /* [rows_alloc] */
    size_t nrows, rows_alloc;
    s_note_t *notes;
    size_t nnotes, notes_alloc;
    cchc_db_delta_t *delta;    /* the summary's changes since its position */
    cchc_db_delta_t *applying; /* frozen: being applied in slices */
    int64_t applying_upto;     /* the newest journal id its changes cover */
    s_metrics_t *metrics;      /* the rows' sort order */
    bool month_known;          /* delta holds all of them (else: rebuild) */
    int64_t month_next;        /* monotonic ms of the next s_month_apply */
};

/*  The summed changes are no longer all the changes since the position (a
    batch rolled back after noting, a note failed): the next s_month_apply
    rebuilds from the rows instead. */
static void
s_month_forget (s_batch_t *batch)
{
    if (batch->delta)
        cchc_db_delta_clear (batch->delta);
    if (batch->applying)
        cchc_db_delta_clear (batch->applying);
    batch->month_known = false;
    batch->month_next = 0;
}

/*  Whether s_month_apply has work: a rebuild, a slice left, changes noted. */
static bool
s_month_due (const s_batch_t *batch)
{
    return !batch->month_known || cchc_db_delta_size (batch->applying) > 0
           || cchc_db_delta_size (batch->delta) > 0;
}

/*  Bring observation_month up to the newest committed batch, in
    transactions of their own: the summed changes, frozen with the newest
    journal id they cover and applied S_MONTH_SLICE rows at a time (the
    position moves with the last slice; meanwhile the batches go on noting
    into a fresh delta), or (not known) the follower's rebuild of every
    month past the position.  When slices remain, the next is due at once. */
static void
s_month_apply (cchc_writer_t *self, s_batch_t *batch)
{
    batch->month_next = cchc_clock_mono_ms () + S_MONTH_INTERVAL_MS;
    if (!batch->month_known) {
        bool left = false;
        if (cchc_db_month_follow (self->store, -1, &left) == 0) {
            cchc_db_delta_clear (batch->delta);
            cchc_db_delta_clear (batch->applying);
            batch->month_known = true;
        }
        else
            cchc_log_limited (&s_rl_store, CCHC_LOG_WARN,
                              "observation_month not "
                              "brought up to date (readers compute it): %s",
                              cchc_db_errmsg (self->store));
        return;
    }
    if (cchc_db_delta_size (batch->applying) == 0) {
        if (cchc_db_delta_size (batch->delta) == 0)
            return;
        if (cchc_db_journal_position (cchc_db_handle (self->store), &batch->applying_upto)) {
            s_month_forget (batch);
            return;
        }
        cchc_db_delta_t *frozen = batch->delta;
        batch->delta = batch->applying;
        batch->applying = frozen;
    }
    char err [256] = "";
    int more = 0;
    int rc = cchc_db_begin (self->store);
    if (rc == 0) {
        more = cchc_db_delta_apply_some (batch->applying, cchc_db_handle (self->store),
                                         S_MONTH_SLICE, err, sizeof err);
        if (more < 0) {
            cchc_db_take_error (self->store);
            rc = -1;
        }
    }
    if (rc == 0 && more == 0)
        rc = cchc_db_month_settled (self->store, batch->applying_upto);
    if (rc == 0)
        rc = cchc_db_commit (self->store);
    if (rc) {
        cchc_log_limited (&s_rl_store, CCHC_LOG_WARN,
                          "observation_month changes not "
                          "applied (rebuilt from the rows next): %s",
                          cchc_db_errmsg (self->store));
        cchc_db_rollback (self->store);
        s_month_forget (batch);
    }
    else if (more)
        batch->month_next = 0;
}

static int
s_row_cmp (const void *a, const void *b)
{
    const cchc_db_row_t *x = a, *y = b;
    if (x->day != y->day)
        return x->day < y->day ? -1 : 1;
    if (x->agent != y->agent)
        return x->agent < y->agent ? -1 : 1;
    if (x->order != y->order)
        return x->order < y->order ? -1 : 1;
    if (x->order == S_METRIC_OTHER) {
        int cmp = strcmp (x->obs->metric, y->obs->metric);
        if (cmp)
            return cmp;
    }
    /*  Highest seq first: it is the one that counts. */
    return x->seq > y->seq ? -1 : x->seq < y->seq;
}

/*  A row that did not count: the stored value (or another in the batch)
    comes from a higher seq.  Its job's ack lists it as superseded
    (PROTOCOL.md §10.2), so `accepted` means "counted".  0 or -1. */
static int
s_superseded (const cchc_db_row_t *row)
{
    cchc_job_t *job = row->owner;
    if (!job)
        return 0;
    if (!job->rejected) {
        job->rejected = malloc (job->report.nobs * sizeof *job->rejected);
        if (!job->rejected)
            return -1;
    }
    if (job->nrejected >= job->report.nobs)
        return 0; /* cannot happen: disjoint from policy */
    job->rejected [job->nrejected].index = (uint32_t) (row->obs - job->report.obs);
    job->rejected [job->nrejected].reason = CCHC_REASON_SUPERSEDED;
    job->nrejected++;
    return 0;
}

static bool
s_row_same_key (const cchc_db_row_t *x, const cchc_db_row_t *y)
{
    return x->agent == y->agent && x->day == y->day && x->order == y->order
           && (x->order != S_METRIC_OTHER || strcmp (x->obs->metric, y->obs->metric) == 0);
}

/*  Write the collected rows in key order (neighbours in the B-tree), one
    write per (day, agent, metric): of several in the batch only the highest
    seq can win, and it wins over the stored row only if that is older.
    Every change goes into the summary's sum (s_month_apply).  0 or -1. */
static int
s_rows_write (cchc_writer_t *self, s_batch_t *batch)
{
    if (batch->nrows == 0)
        return 0;
    qsort (batch->rows, batch->nrows, sizeof *batch->rows, s_row_cmp);
    size_t n = 0;
    for (size_t i = 0; i < batch->nrows; i++)
        if (n == 0 || !s_row_same_key (&batch->rows [n - 1], &batch->rows [i]))
            batch->rows [n++] = batch->rows [i];
        else if (s_superseded (&batch->rows [i])) /* a higher seq in this batch */
            return -1;
    if (cchc_db_observations_write (self->store, batch->rows, n, batch->result, batch->old))
        return -1;
    for (size_t i = 0; i < n; i++)
        if (batch->result [i] == 0 && s_superseded (&batch->rows [i]))
            return -1;
    for (size_t i = 0; i < n && batch->month_known; i++) {
        if (batch->result [i] == 0)
            continue;
        const cchc_db_row_t *row = &batch->rows [i];
        const cchc_db_old_t *old = &batch->old [i];
        cchc_db_delta_row_t now = { .agent = row->agent,
                                    .metric = row->obs->metric,
                                    .unit = row->unit,
                                    .day = row->day,
                                    .is_float = row->obs->is_float,
                                    .ival = row->obs->ival,
                                    .fval = row->obs->fval,
                                    .journal = row->journal };
        cchc_db_delta_row_t before = now; /* old[i] is set only when replaced */
        if (batch->result [i] == 2) {
            before.unit = old->unit;
            before.is_float = old->is_float;
            before.ival = old->ival;
            before.fval = old->fval;
        }
        if (cchc_db_delta_note (batch->delta, batch->result [i] == 2 ? &before : NULL, &now))
            s_month_forget (batch);
    }
    batch->nrows = 0;
    return 0;
}

/*  Queue a stored job's observations (those not refused).  0 or -1. */
static int
s_rows_add (cchc_writer_t *self, s_batch_t *batch, cchc_job_t *job, int64_t journal_id)
{
    /*  A retried attempt starts again from the verifier's refusals. */
    job->nrejected = job->npolicy;
    uint32_t next_refused = 0;
    for (uint32_t i = 0; i < job->report.nobs; i++) {
        if (next_refused < job->npolicy && job->rejected [next_refused].index == i) {
            next_refused++;
            continue;
        }
        if (batch->nrows == batch->rows_alloc) {
            /*  A full chunk is written out first: memory stays bounded. */
            if (batch->nrows >= WRITER_CHUNK_ROWS) {
                if (s_rows_write (self, batch))
                    return -1;
            }
            else {
                size_t want = batch->rows_alloc ? batch->rows_alloc * 2 : 1024;
                cchc_db_row_t *rows = realloc (batch->rows, want * sizeof *rows);
                if (rows)
                    batch->rows = rows;
                int *result = realloc (batch->result, want * sizeof *result);
                if (result)
                    batch->result = result;
                cchc_db_old_t *old = realloc (batch->old, want * sizeof *old);
                if (old)
                    batch->old = old;
                if (!rows || !result || !old)
                    return -1;
                batch->rows_alloc = want;
            }
        }
        batch->rows [batch->nrows++] =
            (cchc_db_row_t){ .agent = job->agent_id,
                             .unit = job->unit,
                             .obs = &job->report.obs [i],
                             .seq = job->seq,
                             .journal = journal_id,
                             .owner = job,
                             .day = cchc_db_day_ymd (job->report.obs [i].date),
                             .order = s_metric_number (batch->metrics,
                                                       job->report.obs [i].metric) };
    }
    return 0;
}

/*  Add to an agent's counters for this batch.  0 or -1 (out of memory). */
static int
s_note (s_batch_t *batch, const cchc_job_t *job, int accepted, int duplicates, int rejected,
        uint64_t last_seq)
{
    int64_t agent = job->agent_id, seen = job->received_ms;
    s_note_t *note = NULL;
    for (size_t i = batch->nnotes; i-- > 0 && !note;)
        if (batch->notes [i].agent == agent)
            note = &batch->notes [i];
    if (!note) {
        if (cchc_grow (&batch->notes, &batch->notes_alloc, batch->nnotes, sizeof *batch->notes,
                       64))
            return -1;
        note = &batch->notes [batch->nnotes++];
        memset (note, 0, sizeof *note);
        note->agent = agent;
    }
    if (seen > note->seen)
        note->seen = seen;
    note->accepted += accepted;
    note->duplicates += duplicates;
    note->rejected += rejected;
    if (last_seq > note->last_seq)
        note->last_seq = last_seq;
    /*  The agent's clock against ours (schema.h: agent.clock_skew), from
        every authenticated report, refused ones included (future_timestamp
        is the one that matters most). */
    if (job->report.seq != 0) {
        int64_t skew = (int64_t) job->report.created_ms - job->received_ms;
        note->ahead = !note->has_skew || skew > note->ahead ? skew : note->ahead;
        note->skew = skew;
        note->has_skew = true;
    }
    return 0;
}

/*  The first and last day (yyyymmdd) of the observations a job stores (not
    refused by the verifier's policy), 0 and 0 when none: the months the
    summary's follower must rebuild if the sum of changes is lost. */
static void
s_days (const cchc_job_t *job, int32_t *first, int32_t *last)
{
    *first = *last = 0;
    uint32_t next_refused = 0;
    for (uint32_t i = 0; i < job->report.nobs; i++) {
        if (next_refused < job->npolicy && job->rejected [next_refused].index == i) {
            next_refused++;
            continue;
        }
        int32_t day = cchc_db_day_ymd (job->report.obs [i].date);
        if (*first == 0 || day < *first)
            *first = day;
        if (day > *last)
            *last = day;
    }
}

/*  Journal one job inside the open transaction and queue its observations
    and counters.  0 or -1. */
static int
s_apply (cchc_writer_t *self, s_batch_t *batch, cchc_job_t *job)
{
    if (job->kind == CCHC_JOB_COUNT)
        return s_note (batch, job, 0, 0, 1, 0);
    assert (job->kind == CCHC_JOB_STORE);
    bool nomem;
    char *refused = s_refused_text (job, &nomem);
    if (nomem)
        return -1;
    int32_t first, last;
    s_days (job, &first, &last);
    int64_t journal_id = 0;
    int rc = cchc_db_journal_add (self->store, job->agent_id, job->seq, job->received_ms,
                                  job->msg.body, job->msg.body_len, job->msg.sig, refused,
                                  first, last, &journal_id);
    free (refused);
    if (rc < 0)
        return -1;
    if (rc == 0) {
        /*  Already stored, a second or a month ago: change nothing. */
        int same = cchc_db_journal_same (self->store, job->agent_id, job->seq, job->msg.body,
                                         job->msg.body_len);
        if (same < 0)
            return -1;
        if (!same)
            cchc_log_limited (&s_rl_dup, CCHC_LOG_WARN,
                              "agent %lld sent seq %llu "
                              "again with different content: answered duplicate, "
                              "kept the first (an agent must never reuse a seq)",
                              (long long) job->agent_id, (unsigned long long) job->seq);
        job->status = CCHC_STATUS_DUPLICATE;
        job->reason = CCHC_REASON_NONE;
        return s_note (batch, job, 0, 1, 0, 0);
    }
    if (s_rows_add (self, batch, job, journal_id))
        return -1;
    job->status = CCHC_STATUS_ACCEPTED;
    job->reason = CCHC_REASON_NONE;
    return s_note (batch, job, 1, 0, 0, job->seq);
}

/*  One transaction over jobs[0..n): journal rows in arrival order (their
    ids are the arrival order), then the observations sorted by key, the
    month summary, one counter update per agent.  0, or -1 (rolled back). */
static int
s_try (cchc_writer_t *self, s_batch_t *batch, cchc_job_t **jobs, size_t n)
{
    batch->nrows = 0;
    batch->nnotes = 0;
    if (cchc_db_begin (self->store)) {
        s_month_forget (batch);
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = s_apply (self, batch, jobs [i]);
    if (rc == 0)
        rc = s_rows_write (self, batch);
    for (size_t i = 0; i < batch->nnotes && rc == 0; i++) {
        const s_note_t *note = &batch->notes [i];
        rc = cchc_db_agent_note (self->store, note->agent, note->seen, note->accepted,
                                 note->duplicates, note->rejected, note->last_seq,
                                 note->has_skew, note->skew, note->ahead);
    }
    /*  Revision 1.2: an agent that asks is told its high-water seq, read in
        the transaction that stored its report (PROTOCOL.md §6). */
    for (size_t i = 0; i < n && rc == 0; i++) {
        cchc_job_t *job = jobs [i];
        job->has_high = false;
        if (job->kind == CCHC_JOB_STORE && (job->report.caps & CCHC_CAP_HIGH)) {
            rc = cchc_db_agent_high (self->store, job->agent_id, &job->high);
            job->has_high = rc == 0;
        }
    }
    if (rc == 0 && cchc_db_commit (self->store))
        rc = -1;
    if (rc) {
        /*  errcode / errmsg keep this failure for the caller. */
        cchc_db_rollback (self->store);
        s_month_forget (batch);
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
s_commit (cchc_writer_t *self, s_batch_t *batch, cchc_job_t **jobs, size_t n)
{
    cchc_stats_t *stats = self->stats;
    int64_t start = s_now_us ();
    if (s_try (self, batch, jobs, n)) {
        int code = cchc_db_errcode (self->store);
        atomic_fetch_add_explicit (&stats->commit_failures, 1, memory_order_relaxed);
        cchc_log_limited (&s_rl_store, CCHC_LOG_ERROR,
                          "storing %zu messages failed "
                          "(%s): %s",
                          n,
                          cchc_db_transient (code) ? "transient: answered retry-later"
                                                   : "trying one by one",
                          cchc_db_errmsg (self->store));
        if (cchc_db_transient (code) || n == 1)
            s_retry_later (jobs, n);
        else
            for (size_t i = 0; i < n; i++)
                if (s_try (self, batch, &jobs [i], 1))
                    s_retry_later (&jobs [i], 1);
    }
    int64_t took = s_now_us () - start;
    atomic_fetch_add_explicit (&stats->batches, 1, memory_order_relaxed);
    atomic_fetch_add_explicit (&stats->batch_items, n, memory_order_relaxed);
    cchc_stats_max (&stats->batch_max, n);
    atomic_fetch_add_explicit (&stats->commit_us_total, (uint64_t) took, memory_order_relaxed);
    cchc_stats_max (&stats->commit_us_max, (uint64_t) took);
}

/*  Commit the batch, then sign as one the acks of the reports that
    announced CCHC_CAP_BATCH (they go straight to main) and pass the
    others on to a worker to be signed. */
static void
s_commit_answer (cchc_writer_t *self, s_batch_t *rows, cchc_job_t **batch, size_t n)
{
    s_commit (self, rows, batch, n);
    cchc_acks_sign_batch (batch, n, self->key);
    for (size_t i = 0; i < n; i++)
        if (cchc_job_pass (batch [i]->ack_body ? self->answers : self->outbox, &batch [i]))
            cchc_job_destroy (&batch [i]);
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
    if (cchc_db_stats_clear (self->store))
        cchc_warn ("cannot clear the stats table: %s", cchc_db_errmsg (self->store));
    /*  observation_month is kept by this thread between batches, not by
        per-row triggers (collector/db/delta.h); if triggers cannot be turned off, they
        keep it in the batches too (and the follower again: the same). */
    s_batch_t rows = { .delta = cchc_db_delta_new (),
                       .applying = cchc_db_delta_new (),
                       .metrics = calloc (1, sizeof (s_metrics_t)) };
    if (!rows.metrics || !rows.delta || !rows.applying) {
        cchc_error ("writer: out of memory");
        abort ();
    }
    if (cchc_db_triggers (self->store, false))
        cchc_warn ("cannot turn triggers off (%s): observation_month kept by "
                   "triggers",
                   cchc_db_errmsg (self->store));
    /*  What a crash left past the summary's position, rebuilt first. */
    s_month_apply (self, &rows);
    size_t n = 0;
    int64_t deadline = 0;
    int64_t next_stats = cchc_clock_mono_ms ();
    bool running = true;
    while (running) {
        int64_t now = cchc_clock_mono_ms ();
        int64_t wait = (n ? deadline : next_stats) - now;
        if (!n && s_month_due (&rows) && rows.month_next - now < wait)
            wait = rows.month_next - now;
        if (wait < 0)
            wait = 0;
        zmq_pollitem_t item = { self->inbox, 0, ZMQ_POLLIN, 0 };
        int rc = zmq_poll (&item, 1, (long) wait);
        if (rc == -1 && errno != EINTR)
            break; /* ETERM */
        if (rc > 0) {
            cchc_job_t *job;
            while (n < cap && (job = cchc_job_take (self->inbox, ZMQ_DONTWAIT))) {
                if (n == 0)
                    deadline = cchc_clock_mono_ms () + conf->batch_wait_ms;
                batch [n++] = job;
                atomic_fetch_sub_explicit (&self->stats->write_queue, 1, memory_order_relaxed);
            }
            if (errno == ETERM)
                running = false;
        }
        now = cchc_clock_mono_ms ();
        if (n && (n >= cap || now >= deadline || !running)) {
            s_commit_answer (self, &rows, batch, n);
            n = 0;
            cchc_db_wal_catch_up (self->store); /* after the acks are on their way */
        }
        if (now >= rows.month_next
            || (rows.delta && cchc_db_delta_size (rows.delta) >= S_MONTH_NOTES_MAX))
            s_month_apply (self, &rows);
        if (now >= next_stats) {
            if (cchc_stats_save (self->stats, self->store, cchc_clock_now_ms ()))
                cchc_log_limited (&s_rl_store, CCHC_LOG_WARN, "cannot write stats: %s",
                                  cchc_db_errmsg (self->store));
            next_stats = now + conf->stats_ms;
        }
    }
    for (size_t i = 0; i < n; i++)
        cchc_job_destroy (&batch [i]);
    free (batch);
    /*  A clean stop leaves it settled (each pass applies a slice, or
        rebuilds after a failure). */
    for (int pass = 0; pass < 1000000 && s_month_due (&rows); pass++) {
        bool rebuild = !rows.month_known;
        s_month_apply (self, &rows);
        if (rebuild && !rows.month_known)
            break; /* the follower failed: the next start rebuilds */
    }
    cchc_db_triggers (self->store, true);
    cchc_db_delta_destroy (&rows.delta);
    cchc_db_delta_destroy (&rows.applying);
    s_metrics_clear (rows.metrics);
    free (rows.metrics);
    free (rows.rows);
    free (rows.result);
    free (rows.old);
    free (rows.notes);
    cchc_stats_save (self->stats, self->store, cchc_clock_now_ms ());
    zmq_close (self->inbox);
    zmq_close (self->outbox);
    zmq_close (self->answers);
    self->inbox = self->outbox = NULL;
    return NULL;
}
