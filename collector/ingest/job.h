/*  job.h — one message on its way through the collector's pipeline (private
    to ingest.c and writer.c).

      main thread   ROUTER recv → job (inflight + 1) ──verify──▶ worker
      worker        look up key, verify, decode, policy checks; then either
                    the verdict is final and needs no database (unknown key,
                    bad signature: kind ACK) → sign the ack ──ack──▶ main,
                    or ──write──▶ writer (kind STORE, or COUNT for an
                    authenticated rejection that only updates counters)
      writer        group commit; after COMMIT the acks of reports that
                    announced CCHC_CAP_BATCH signed as one batch (acks.h)
                    ──ack──▶ main, the others ──sign──▶ worker
      worker        sign the ack ──ack──▶ main
      main thread   send the ack on the ROUTER, free the job (inflight - 1)

    Messages that fail authentication (bad frames, too large, unknown key,
    bad signature) are answered only within a budget of their own
    (collector.unauth_acks per second, a token bucket): the cheap ones
    (everything but a bad signature) over it are dropped by the main thread
    before they take a place in flight; a bad signature over it is retired
    unanswered (`unanswered`).

    Jobs travel between threads as pointers in inproc messages, handed over
    with cchc_job_pass (&job), which clears the sender's pointer: exactly one
    thread owns a job at a time.  The main thread reads the ROUTER only while
    inflight < collector.max_inflight, which bounds memory and makes every
    inproc queue big enough never to block (their HWM is max_inflight).
*/
#ifndef CCHC_JOB_H
#define CCHC_JOB_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/proto.h"
#include "proto/wire.h"

typedef enum {
    CCHC_JOB_ACK = 0,   /* verdict final, no database work */
    CCHC_JOB_STORE = 1, /* store in the journal and observations */
    CCHC_JOB_COUNT = 2  /* authenticated rejection: agent counters only */
} cchc_job_kind_t;

typedef struct {
    cchc_wire_msg_t msg;   /* routing id, key, body, signature */
    int pre_reason;        /* refused by cchc_wire_recv, or 0 */
    int64_t received_ms;   /* collector wall clock */
    int64_t received_mono; /* monotonic ms, for the drain */

    cchc_job_kind_t kind;
    int64_t agent_id; /* enrolled agent (0: unknown / unauthenticated) */
    char unit [CCHC_UNIT_MAX + 1];
    cchc_report_t report; /* decoded when authenticated */
    uint64_t seq;         /* answered seq: 0 unless authenticated */
    uint32_t status;      /* cchc_status_t */
    uint32_t reason;      /* cchc_reason_t */
    uint32_t nrejected;   /* per-observation refusals */
    uint32_t npolicy;     /* of which the verifier's (the writer adds
                                   `superseded` after them, afresh on each
                                   attempt) */
    cchc_obs_reject_t *rejected;

    bool has_high; /* the report asked for "high" (CCHC_CAP_HIGH)
                                   and the writer read it after storing */
    uint64_t high; /* the agent's highest accepted seq */

    bool unanswered;   /* failed authentication over the budget of
                                   collector.unauth_acks: no ack is signed
                                   or sent (ingest.c) */
    uint8_t *ack_body; /* signed ack, ready to send */
    size_t ack_len;
    uint8_t ack_sig [64]; /* of the body, or of its batch's root */
    uint8_t *ack_proof;   /* batch-signed: the leaf's proof, malloc'd */
    uint8_t ack_nproof;   /* hashes in ack_proof (0: signed alone) */
} cchc_job_t;

/*  Free a job and everything it holds.  Accepts NULL. */
void cchc_job_destroy (cchc_job_t **self_p);

/*  Hand a job over to the thread reading `socket`: on success *job_p is
    set to NULL (the job is no longer the caller's) and 0 returned; -1 when
    the context is shut down, the job still the caller's.  The queues hold
    max_inflight jobs, so this never waits. */
int cchc_job_pass (void *socket, cchc_job_t **job_p);

/*  Take the next job handed over on `socket` (ZMQ_DONTWAIT in flags: do
    not wait): the caller owns it.  NULL with errno (EAGAIN, ETERM). */
cchc_job_t *cchc_job_take (void *socket, int flags);

#endif
