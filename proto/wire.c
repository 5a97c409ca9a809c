/*  wire.c — the three-frame messages of proto.h on ZeroMQ sockets.

    Receiving always drains every part of a multipart message, whatever it
    holds, so the socket never gets out of step; a message with the wrong
    shape is consumed and reported with a reason (the ROUTER routing id is
    kept so the caller can answer it, and so is the key when frame 0 had 32
    bytes, else it is all zeros).  Sending writes the parts with
    ZMQ_SNDMORE; ZeroMQ delivers multipart messages atomically.
*/
#include "proto/wire.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

void
cchc_wire_socket_limits (void *socket, int linger_ms, int sndhwm, int rcvhwm, int64_t maxmsg)
{
    assert (socket);
    int keepalive = 1;
    zmq_setsockopt (socket, ZMQ_LINGER, &linger_ms, sizeof linger_ms);
    zmq_setsockopt (socket, ZMQ_SNDHWM, &sndhwm, sizeof sndhwm);
    zmq_setsockopt (socket, ZMQ_RCVHWM, &rcvhwm, sizeof rcvhwm);
    zmq_setsockopt (socket, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    zmq_setsockopt (socket, ZMQ_TCP_KEEPALIVE, &keepalive, sizeof keepalive);
}

/*  zmq_msg_recv for the parts after the first: they are already queued
    (multipart delivery is atomic), so only EINTR is retried. */
static int
s_recv_part (zmq_msg_t *part, void *socket, int flags)
{
    int rc;
    do
        rc = zmq_msg_recv (part, socket, flags);
    while (rc == -1 && errno == EINTR);
    return rc;
}

/*  Copy a peer address, printable ASCII only (it goes into logs). */
static void
s_copy_peer (char out [CCHC_WIRE_PEER_MAX], const char *peer)
{
    size_t i = 0;
    for (; peer [i] && i < CCHC_WIRE_PEER_MAX - 1; i++)
        out [i] = peer [i] > 0x20 && peer [i] < 0x7F ? peer [i] : '?';
    out [i] = 0;
}

/*  Whether a frame 2 of `size` bytes is a signature and a proof of 1 ..
    CCHC_PROTO_PROOF_MAX hashes. */
static bool
s_proof_size (size_t size)
{
    if (size <= CCHC_KEY_SIGNATURE_BYTES)
        return false;
    size_t rest = size - CCHC_KEY_SIGNATURE_BYTES;
    return rest % CCHC_PROTO_HASH_BYTES == 0
           && rest / CCHC_PROTO_HASH_BYTES <= CCHC_PROTO_PROOF_MAX;
}

int
cchc_wire_recv (void *socket, bool router, int flags, cchc_wire_msg_t *msg)
{
    assert (socket && msg);
    memset (msg, 0, sizeof *msg);

    /*  Payload frames (after the routing id): sizes of the first three. */
    size_t sizes [3] = { 0, 0, 0 };
    size_t nparts = 0; /* payload frames seen */
    bool routing_seen = !router;
    bool more = true;
    bool first = true;
    bool routing_too_long = false;
    bool sig_ok = false; /* frame 2 a signature and a proof */
    int result = 0;

    while (more) {
        zmq_msg_t part;
        zmq_msg_init (&part);
        int rc = first ? zmq_msg_recv (&part, socket, flags)
                       : s_recv_part (&part, socket, flags & ~ZMQ_DONTWAIT);
        if (rc == -1) {
            int saved = errno;
            zmq_msg_close (&part);
            cchc_wire_msg_clear (msg);
            errno = saved;
            return -1;
        }
        first = false;
        more = zmq_msg_more (&part) != 0;
        const uint8_t *data = zmq_msg_data (&part);
        size_t size = zmq_msg_size (&part);

        if (router && !msg->peer [0]) {
            /*  For the logs of refusals: who sent it (IPv4/IPv6 literal). */
            const char *peer = zmq_msg_gets (&part, "Peer-Address");
            if (peer)
                s_copy_peer (msg->peer, peer);
        }
        if (!routing_seen) {
            routing_seen = true;
            if (size <= CCHC_WIRE_ROUTING_MAX) {
                memcpy (msg->routing_id, data, size);
                msg->routing_len = size;
            }
            else
                routing_too_long = true; /* not a ZeroMQ routing id */
        }
        else {
            if (nparts < 3)
                sizes [nparts] = size;
            if (nparts == 0 && size == CCHC_KEY_PUBLIC_BYTES)
                memcpy (msg->key, data, size);
            else if (nparts == 1 && size >= 1 && size <= CCHC_PROTO_BODY_MAX) {
                msg->body = malloc (size);
                if (msg->body) {
                    memcpy (msg->body, data, size);
                    msg->body_len = size;
                }
                else
                    result = CCHC_REASON_BUSY;
            }
            else if (nparts == 2 && size == CCHC_KEY_SIGNATURE_BYTES)
                memcpy (msg->sig, data, size);
            else if (nparts == 2 && !router && s_proof_size (size)) {
                memcpy (msg->sig, data, CCHC_KEY_SIGNATURE_BYTES);
                msg->nproof = (size - CCHC_KEY_SIGNATURE_BYTES) / CCHC_PROTO_HASH_BYTES;
                msg->proof = malloc (size - CCHC_KEY_SIGNATURE_BYTES);
                if (msg->proof)
                    memcpy (msg->proof, data + CCHC_KEY_SIGNATURE_BYTES,
                            size - CCHC_KEY_SIGNATURE_BYTES);
                else {
                    msg->nproof = 0;
                    result = CCHC_REASON_BUSY;
                }
                sig_ok = true;
            }
            nparts++;
        }
        zmq_msg_close (&part);
    }

    if (routing_too_long || nparts != 3 || sizes [0] != CCHC_KEY_PUBLIC_BYTES
        || (sizes [2] != CCHC_KEY_SIGNATURE_BYTES && !sig_ok) || sizes [1] == 0)
        result = CCHC_REASON_BAD_FRAMES;
    else if (sizes [1] > CCHC_PROTO_BODY_MAX)
        result = CCHC_REASON_TOO_LARGE;

    if (result) {
        free (msg->body);
        msg->body = NULL;
        msg->body_len = 0;
        memset (msg->sig, 0, sizeof msg->sig);
        free (msg->proof);
        msg->proof = NULL;
        msg->nproof = 0;
    }
    return result;
}

void
cchc_wire_msg_clear (cchc_wire_msg_t *msg)
{
    if (!msg)
        return;
    free (msg->body);
    free (msg->proof);
    memset (msg, 0, sizeof *msg);
}

int
cchc_wire_send (void *socket, const uint8_t *routing, size_t routing_len,
                const uint8_t key [32], const uint8_t *body, size_t len,
                const uint8_t sig [64], int flags)
{
    return cchc_wire_send_proof (socket, routing, routing_len, key, body, len, sig, NULL, 0,
                                 flags);
}

int
cchc_wire_send_proof (void *socket, const uint8_t *routing, size_t routing_len,
                      const uint8_t key [32], const uint8_t *body, size_t len,
                      const uint8_t sig [64], const uint8_t *proof, size_t nproof, int flags)
{
    assert (socket && key && body && sig);
    assert (nproof <= CCHC_PROTO_PROOF_MAX && (proof || nproof == 0));
    assert (routing || routing_len == 0);
    assert (len >= 1 && len <= CCHC_PROTO_BODY_MAX);
    flags &= ~ZMQ_SNDMORE;
    if (routing && zmq_send (socket, routing, routing_len, flags | ZMQ_SNDMORE) == -1)
        return -1;
    if (zmq_send (socket, key, CCHC_KEY_PUBLIC_BYTES, flags | ZMQ_SNDMORE) == -1)
        return -1;
    if (zmq_send (socket, body, len, flags | ZMQ_SNDMORE) == -1)
        return -1;
    uint8_t frame [CCHC_KEY_SIGNATURE_BYTES + CCHC_PROTO_PROOF_MAX * CCHC_PROTO_HASH_BYTES];
    memcpy (frame, sig, CCHC_KEY_SIGNATURE_BYTES);
    if (nproof)
        memcpy (frame + CCHC_KEY_SIGNATURE_BYTES, proof, nproof * CCHC_PROTO_HASH_BYTES);
    if (zmq_send (socket, frame, CCHC_KEY_SIGNATURE_BYTES + nproof * CCHC_PROTO_HASH_BYTES,
                  flags)
        == -1)
        return -1;
    return 0;
}

int
cchc_wire_send_report (void *socket, const cchc_key_t *key, const cchc_report_t *report,
                       int flags)
{
    assert (socket && key && report);
    const uint8_t *pk = cchc_key_public (key);
    if (memcmp (report->agent, pk, CCHC_KEY_PUBLIC_BYTES) != 0)
        return CCHC_REASON_KEY_MISMATCH;
    uint8_t *body;
    size_t len;
    int rc = cchc_report_encode (report, &body, &len);
    if (rc) {
        if (rc == -1)
            errno = ENOMEM;
        return rc;
    }
    uint8_t sig [CCHC_KEY_SIGNATURE_BYTES];
    cchc_proto_sign (CCHC_KIND_REPORT, key, body, len, sig);
    rc = cchc_wire_send (socket, NULL, 0, pk, body, len, sig, flags);
    free (body);
    return rc;
}

int
cchc_wire_send_ack (void *socket, const uint8_t *routing, size_t routing_len,
                    const cchc_key_t *key, const cchc_ack_t *ack, int flags)
{
    assert (socket && key && ack);
    uint8_t *body;
    size_t len;
    int rc = cchc_ack_encode (ack, &body, &len);
    if (rc) {
        if (rc == -1)
            errno = ENOMEM;
        return rc;
    }
    uint8_t sig [CCHC_KEY_SIGNATURE_BYTES];
    cchc_proto_sign (CCHC_KIND_ACK, key, body, len, sig);
    rc = cchc_wire_send (socket, routing, routing_len, cchc_key_public (key), body, len, sig,
                         flags);
    free (body);
    return rc;
}
