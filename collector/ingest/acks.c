/*  acks.c — the ack a job gets, signed alone or in a batch (acks.h). */
#include "collector/ingest/acks.h"

#include "common/clock.h"
#include "common/log.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

static cchc_ratelimit_t s_rl_encode = CCHC_RATELIMIT_INIT (10000, 10);

static int
s_reject_cmp (const void *a, const void *b)
{
    const cchc_obs_reject_t *x = a, *y = b;
    return x->index < y->index ? -1 : x->index > y->index;
}

/*  The job's ack body into job->ack_body (0), or -1 (logged). */
static int
s_encode (cchc_job_t *job)
{
    cchc_ack_t ack;
    memset (&ack, 0, sizeof ack);
    memcpy (ack.agent, job->msg.key, sizeof ack.agent);
    ack.seq = job->seq;
    ack.status = job->status;
    ack.reason = job->reason;
    bool listed = job->status == CCHC_STATUS_ACCEPTED || job->status == CCHC_STATUS_REJECTED;
    ack.nrejected = listed ? job->nrejected : 0;
    ack.rejected = listed ? job->rejected : NULL;
    /*  The writer appends superseded observations after the policy ones:
        the wire wants the indexes ascending. */
    if (ack.nrejected > 1)
        qsort (ack.rejected, ack.nrejected, sizeof *ack.rejected, s_reject_cmp);
    ack.time_ms = (uint64_t) cchc_clock_now_ms ();
    /*  Only stored or duplicate answers carry it (never retry_later: the
        writer's transaction may have been rolled back). */
    ack.has_high =
        job->has_high
        && (job->status == CCHC_STATUS_ACCEPTED || job->status == CCHC_STATUS_DUPLICATE);
    ack.high = job->high;
    free (job->ack_body);
    int rc = cchc_ack_encode (&ack, &job->ack_body, &job->ack_len);
    if (rc) {
        cchc_log_limited (&s_rl_encode, CCHC_LOG_ERROR, "cannot encode an ack (%s)",
                          rc == -1 ? "out of memory" : cchc_reason_name (rc));
        job->ack_body = NULL;
        job->ack_len = 0;
        return -1;
    }
    return 0;
}

void
cchc_acks_sign (cchc_job_t *job, const cchc_key_t *key)
{
    assert (job && key);
    if (job->unanswered || s_encode (job))
        return;
    cchc_proto_sign (CCHC_KIND_ACK, key, job->ack_body, job->ack_len, job->ack_sig);
}

static bool
s_batchable (const cchc_job_t *job)
{
    return !job->unanswered && (job->report.caps & CCHC_CAP_BATCH);
}

/*  The tree of the m encoded jobs of `pick`, its root signed; each job
    given the signature and its proof.  0, or -1 (out of memory: nothing
    given, the bodies stay). */
static int
s_sign_tree (cchc_job_t **pick, size_t m, const cchc_key_t *key)
{
    int depth = cchc_ack_tree_depth (m);
    if (depth < 0)
        return -1;
    uint8_t (*leaves) [CCHC_PROTO_HASH_BYTES] = malloc (m * sizeof *leaves);
    uint8_t *proofs = malloc (m * (size_t) depth * CCHC_PROTO_HASH_BYTES);
    uint8_t *nproof = malloc (m);
    uint8_t root [CCHC_PROTO_HASH_BYTES];
    int rc = leaves && proofs && nproof ? 0 : -1;
    for (size_t i = 0; i < m && rc == 0; i++)
        cchc_ack_leaf (pick [i]->ack_body, pick [i]->ack_len, leaves [i]);
    if (rc == 0)
        rc = cchc_ack_tree ((const uint8_t (*) [CCHC_PROTO_HASH_BYTES]) leaves, m, root,
                            proofs, nproof);
    for (size_t i = 0; i < m && rc == 0; i++) {
        size_t bytes = (size_t) nproof [i] * CCHC_PROTO_HASH_BYTES;
        pick [i]->ack_proof = malloc (bytes);
        if (!pick [i]->ack_proof)
            rc = -1;
        else {
            memcpy (pick [i]->ack_proof, proofs + i * (size_t) depth * CCHC_PROTO_HASH_BYTES,
                    bytes);
            pick [i]->ack_nproof = nproof [i];
        }
    }
    if (rc == 0) {
        uint8_t sig [64];
        cchc_proto_sign (CCHC_KIND_ACKS, key, root, sizeof root, sig);
        for (size_t i = 0; i < m; i++)
            memcpy (pick [i]->ack_sig, sig, sizeof sig);
    }
    else
        for (size_t i = 0; i < m; i++) {
            free (pick [i]->ack_proof);
            pick [i]->ack_proof = NULL;
            pick [i]->ack_nproof = 0;
        }
    free (leaves);
    free (proofs);
    free (nproof);
    return rc;
}

size_t
cchc_acks_sign_batch (cchc_job_t **jobs, size_t n, const cchc_key_t *key)
{
    assert ((jobs || n == 0) && key);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        m += jobs [i] && s_batchable (jobs [i]);
    if (m < 2)
        return 0;
    cchc_job_t **pick = malloc (m * sizeof *pick);
    if (!pick)
        return 0;
    m = 0;
    for (size_t i = 0; i < n; i++)
        if (jobs [i] && s_batchable (jobs [i]) && s_encode (jobs [i]) == 0)
            pick [m++] = jobs [i];
    /*  Fewer than two encoded, or no memory for the tree: each alone. */
    if (m < 2 || s_sign_tree (pick, m, key))
        for (size_t i = 0; i < m; i++)
            cchc_proto_sign (CCHC_KIND_ACK, key, pick [i]->ack_body, pick [i]->ack_len,
                             pick [i]->ack_sig);
    free (pick);
    return m;
}
