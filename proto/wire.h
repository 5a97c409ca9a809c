/*  wire.h — sending and receiving the three-frame messages of proto.h on
    ZeroMQ sockets.  The only code that touches frames. */
#ifndef CCHC_WIRE_H
#define CCHC_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include "proto/proto.h"

#define CCHC_WIRE_ROUTING_MAX 256
#define CCHC_WIRE_PEER_MAX 64

/*  One received message.  Owned buffers; free with cchc_wire_msg_clear. */
typedef struct {
    uint8_t routing_id [CCHC_WIRE_ROUTING_MAX]; /* ROUTER only */
    size_t routing_len;
    uint8_t key [CCHC_KEY_PUBLIC_BYTES];
    uint8_t *body;
    size_t body_len;
    uint8_t sig [CCHC_KEY_SIGNATURE_BYTES];
    uint8_t *proof;                 /* DEALER only (acks, revision 1.3): the hashes after
                                   the signature in frame 2, malloc'd; NULL
                                   when frame 2 was the signature alone */
    size_t nproof;                  /* hashes in proof: 0, or 1 .. CCHC_PROTO_PROOF_MAX */
    char peer [CCHC_WIRE_PEER_MAX]; /* ROUTER only: the sender's
                                                   address (ZeroMQ's
                                                   "Peer-Address" property,
                                                   e.g. 10.0.0.7), "" if unknown */
} cchc_wire_msg_t;

/*  The limits every socket of cchc is opened with: how long a closing
    socket keeps its unsent messages (linger, ms), its send and receive
    queues (high-water marks, in messages), the largest message it reads
    (bytes; a larger one drops the connection), and TCP keepalive on (a
    silent dead peer is found).  Set before bind or connect; cannot fail on
    an open socket. */
void cchc_wire_socket_limits (void *socket, int linger_ms, int sndhwm, int rcvhwm,
                              int64_t maxmsg);

/*  Receive one whole message (all its parts, always, so the socket stays in
    step).  `router` says whether a routing-id frame comes first.
    Returns 0 (ok), a positive reason (CCHC_REASON_BAD_FRAMES, _TOO_LARGE: the
    message was consumed and dropped, routing_id is still valid for a reply,
    key holds frame 0 when it had 32 bytes and is all zeros otherwise),
    or -1 (zmq error; errno set, e.g. EAGAIN, EINTR, ETERM). */
/*  Frame 2 is 64 bytes; on a DEALER (router false: acks) it may also be
    64 + 32 k bytes, 1 <= k <= CCHC_PROTO_PROOF_MAX (a batch-signed ack:
    msg->proof, msg->nproof); anything else is CCHC_REASON_BAD_FRAMES. */
int cchc_wire_recv (void *socket, bool router, int flags, cchc_wire_msg_t *msg);
void cchc_wire_msg_clear (cchc_wire_msg_t *msg);

/*  Send [routing id] + key + body + signature.  routing may be NULL (DEALER).
    Returns 0 or -1 (zmq error). */
int cchc_wire_send (void *socket, const uint8_t *routing, size_t routing_len,
                    const uint8_t key [32], const uint8_t *body, size_t len,
                    const uint8_t sig [64], int flags);

/*  The same with frame 2 = sig || proof (nproof hashes, 0 .. 
    CCHC_PROTO_PROOF_MAX): a batch-signed ack (revision 1.3). */
int cchc_wire_send_proof (void *socket, const uint8_t *routing, size_t routing_len,
                          const uint8_t key [32], const uint8_t *body, size_t len,
                          const uint8_t sig [64], const uint8_t *proof, size_t nproof,
                          int flags);

/*  Encode, sign and send in one call.  Returns 0, a reason (invalid fields;
    send_report: CCHC_REASON_KEY_MISMATCH when report->agent is not the key's
    public key), or -1 (zmq error, or ENOMEM). */
int cchc_wire_send_report (void *socket, const cchc_key_t *key, const cchc_report_t *report,
                           int flags);
int cchc_wire_send_ack (void *socket, const uint8_t *routing, size_t routing_len,
                        const cchc_key_t *key, const cchc_ack_t *ack, int flags);

#endif
