/*  acks.h — the ack a job gets (private to the pipeline, job.h): encoded
    from the job's verdict, then signed alone (cchc_acks_sign: by a worker)
    or, after a COMMIT, together with every other job of the batch whose
    report announced CCHC_CAP_BATCH, under one signature of the batch's
    Merkle root (cchc_acks_sign_batch: by the writer; PROTOCOL.md §7.1).
    One Ed25519 signature then answers a whole group commit instead of one
    per report; each ack still verifies end to end with the collector key,
    through its proof.
*/
#ifndef CCHC_ACKS_H
#define CCHC_ACKS_H

#include "collector/ingest/job.h"
#include "common/key.h"

#include <stddef.h>

/*  Encode and sign the ack of a job whose verdict is final.  On failure
    (out of memory) job->ack_body stays NULL and the job goes unanswered
    (counted as a lost ack). */
void cchc_acks_sign (cchc_job_t *job, const cchc_key_t *key);

/*  Sign, as one batch, the acks of the jobs among `jobs` whose reports
    announced CCHC_CAP_BATCH, when there are at least two: each gets its
    ack body, the root's signature and its proof (job->ack_proof).  The
    others are left as they were (ack_body NULL: a worker signs them).
    Returns how many were signed. */
size_t cchc_acks_sign_batch (cchc_job_t **jobs, size_t n, const cchc_key_t *key);

#endif
