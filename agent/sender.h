/*  sender.h — delivery of the outbox's frozen messages to the collector:
    a ZMQ_DEALER socket, up to `window` messages in flight, and only signed
    acks from the pinned collector key count.

    Reliability (the Lazy Pirate pattern, pipelined):
      - messages go out in seq order, each exactly as stored (same bytes,
        same seq) however many times it is sent;
      - an ack is believed only if frame 0 is the pinned collector key, the
        signature over the raw body verifies with it, the body decodes
        strictly and names this agent; anything else is ignored (logged,
        rate-limited) and deletes nothing;
      - accepted / duplicate: the message leaves the outbox (per-observation
        refusals go to dead letters); rejected: dead letters, loud log;
        retry_later and acks with seq 0 (the collector could not
        authenticate or read us: key not enrolled, bad signature...): back
        off, keep everything, say which;
      - a damaged outbox row is set aside by the outbox (logged once) and
        the rest is sent;
      - no ack within request_timeout for the oldest message in flight: the
        socket is closed (linger 0) and reopened on the next endpoint in the
        list; after a full round of endpoints, exponential backoff with
        jitter (uniform in [d/2, d], d doubling from backoff_min up to
        backoff_max);
      - after `failback` on a backup endpoint with nothing in flight, the
        first endpoint is tried again.
*/
#ifndef CCHC_AGENT_SENDER_H
#define CCHC_AGENT_SENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/conf.h"
#include "agent/outbox.h"
#include "common/key.h"

typedef struct cchc_sender_t cchc_sender_t;

typedef struct {
    size_t nendpoints;
    char endpoints [CCHC_AGENT_ENDPOINTS_MAX][CCHC_AGENT_ENDPOINT_LEN];
    uint8_t collector_pk [32];
    bool curve;
    int64_t request_timeout_ms;
    int64_t backoff_min_ms;
    int64_t backoff_max_ms;
    int64_t failback_ms;
    size_t window;
} cchc_sender_conf_t;

/*  Fill a sender configuration from the agent's. */
void cchc_sender_conf_from (cchc_sender_conf_t *sc, const cchc_agent_conf_t *conf);

/*  A sender on zmq context `ctx`, signing nothing itself (messages are
    signed when frozen) but using `key` as the transport identity (curve).
    key and outbox are borrowed.  NULL with err. */
cchc_sender_t *cchc_sender_new (void *ctx, const cchc_sender_conf_t *conf,
                                const cchc_key_t *key, cchc_outbox_t *outbox, char *err,
                                size_t errlen);
void cchc_sender_destroy (cchc_sender_t **self_p);

/*  The socket to poll for input, or NULL when none is open. */
void *cchc_sender_socket (cchc_sender_t *self);

/*  Receive every ack waiting, handle timeouts and failover, send what the
    window allows.  Never blocks.  Returns the ms after which it wants to be
    called again even if nothing arrives (the caller may call it sooner). */
int64_t cchc_sender_pump (cchc_sender_t *self);

/*  Messages in flight (sent, no ack yet). */
size_t cchc_sender_inflight (const cchc_sender_t *self);

typedef struct {
    char endpoint [CCHC_AGENT_ENDPOINT_LEN];       /* the one in use now ("" if none) */
    char acked_endpoint [CCHC_AGENT_ENDPOINT_LEN]; /* where the last ack came from */
    int64_t last_ack_ms; /* UTC ms of the last valid ack; 0: none yet */
    int64_t last_send_ms;
    int64_t backoff_left_ms; /* > 0: waiting before sending again */
    uint64_t delivered;      /* messages acknowledged in this run */
    uint64_t dead;           /* observations dead-lettered in this run */
    uint64_t ignored;        /* acks ignored (bad key, signature, agent) */
    uint32_t answer_problem; /* last answer was an ack with seq 0: its
                                   reason (unknown_agent, bad_signature...);
                                   0 after a normal ack */
    uint64_t aside;          /* damaged messages set aside in this run */
    bool clock_known;        /* a trusted ack has given the collector's time */
    int64_t clock_ahead_ms;  /* our clock minus the collector's (ack "time"),
                                   measured when the ack arrived: > 0 we are
                                   ahead; exact to within the round trip */
    char last_error [256];   /* "" when the last exchange went well */
} cchc_sender_info_t;

void cchc_sender_info (const cchc_sender_t *self, cchc_sender_info_t *info);

/*  Backoff delay for the n-th consecutive failure round (n >= 1), with
    jitter; exposed for tests. */
int64_t cchc_sender_backoff_ms (int64_t min_ms, int64_t max_ms, unsigned n);

#endif
