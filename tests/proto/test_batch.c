/*  test_batch.c — batch-signed acks (revision 1.3, PROTOCOL.md §7.1):
    the Merkle tree of proto.h against a second, recursive construction
    written here (every size from 2 to 300 leaves, under ASan in CI), every
    proof leading to the root, cchc_ack_open_proof refusing every change of
    body, proof or signature, and frame 2 of 64 + 32 k bytes on real
    sockets: taken by a DEALER, refused by a ROUTER, refused when it is not
    a whole number of hashes or too long. */
#include "proto/wire.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <zmq.h>

#include "tests/test.h"

#define H CCHC_PROTO_HASH_BYTES

static cchc_key_t *s_collector;

/*  The ack body of seq (agent key all 7s). */
static void
s_body (uint64_t seq, uint8_t **body, size_t *len)
{
    cchc_ack_t ack;
    memset (&ack, 0, sizeof ack);
    memset (ack.agent, 7, sizeof ack.agent);
    ack.seq = seq;
    ack.status = CCHC_STATUS_ACCEPTED;
    ack.time_ms = 1615000000000ULL + seq;
    if (cchc_ack_encode (&ack, body, len) != CCHC_REASON_NONE)
        abort ();
}

/*  The root of leaves [0, n) built again from the definition's words,
    apart from proto.c: pair each level in place until one node is left. */
static void
s_root_again (const uint8_t (*leaves) [H], size_t n, uint8_t root [H])
{
    uint8_t (*level) [H] = malloc (n * H);
    memcpy (level, leaves, n * H);
    while (n > 1) {
        size_t up = 0;
        for (size_t j = 0; j < n; j += 2) {
            if (j + 1 == n) {
                memmove (level [up++], level [j], H);
                continue;
            }
            const uint8_t *a = level [j], *b = level [j + 1];
            if (memcmp (a, b, H) > 0) {
                const uint8_t *t = a;
                a = b;
                b = t;
            }
            uint8_t in [1 + 2 * H];
            in [0] = 1;
            memcpy (in + 1, a, H);
            memcpy (in + 1 + H, b, H);
            crypto_generichash (level [up++], H, in, sizeof in, NULL, 0);
        }
        n = up;
    }
    memcpy (root, level [0], H);
    free (level);
}

static void
test_depth (void)
{
    CHECK_EQ_INT (cchc_ack_tree_depth (0), -1);
    CHECK_EQ_INT (cchc_ack_tree_depth (1), -1);
    CHECK_EQ_INT (cchc_ack_tree_depth (2), 1);
    CHECK_EQ_INT (cchc_ack_tree_depth (3), 2);
    CHECK_EQ_INT (cchc_ack_tree_depth (4), 2);
    CHECK_EQ_INT (cchc_ack_tree_depth (5), 3);
    CHECK_EQ_INT (cchc_ack_tree_depth (256), 8);
    CHECK_EQ_INT (cchc_ack_tree_depth (257), 9);
}

static void
test_leaf (void)
{
    /*  leaf = BLAKE2b-256 (0x00 || body) */
    uint8_t body [] = { 0x81, 0xa1, 0x76, 0x01 }, in [5] = { 0 }, a [H], b [H];
    memcpy (in + 1, body, sizeof body);
    crypto_generichash (a, H, in, sizeof in, NULL, 0);
    cchc_ack_leaf (body, sizeof body, b);
    CHECK (memcmp (a, b, H) == 0);
}

/*  Every size: the root equals the second construction's, every proof
    leads to it and is at most depth long. */
static void
test_every_size (void)
{
    for (size_t n = 2; n <= 300; n++) {
        uint8_t (*leaves) [H] = malloc (n * H);
        for (size_t i = 0; i < n; i++) {
            uint8_t *body;
            size_t len;
            s_body (i + 1, &body, &len);
            cchc_ack_leaf (body, len, leaves [i]);
            free (body);
        }
        int depth = cchc_ack_tree_depth (n);
        uint8_t *proofs = malloc (n * (size_t) depth * H), *nproof = malloc (n);
        uint8_t root [H], again [H];
        CHECK_EQ_INT (cchc_ack_tree ((const uint8_t (*) [H]) leaves, n, root, proofs, nproof),
                      0);
        s_root_again ((const uint8_t (*) [H]) leaves, n, again);
        CHECK (memcmp (root, again, H) == 0);
        for (size_t i = 0; i < n; i++) {
            uint8_t *body;
            size_t len;
            s_body (i + 1, &body, &len);
            uint8_t got [H];
            CHECK (nproof [i] >= 1 && nproof [i] <= depth);
            cchc_ack_root (body, len, proofs + i * (size_t) depth * H, nproof [i], got);
            free (body);
            CHECK (memcmp (got, root, H) == 0);
        }
        free (leaves);
        free (proofs);
        free (nproof);
    }
}

/*  A batch of 5 signed; each ack opens through its proof, and no change
    of body, proof or signature gets through. */
static void
test_open (void)
{
    enum { N = 5 };
    uint8_t *bodies [N], leaves [N][H], proofs [N * 3 * H], nproof [N], root [H], sig [64];
    size_t lens [N];
    for (size_t i = 0; i < N; i++) {
        s_body (i + 1, &bodies [i], &lens [i]);
        cchc_ack_leaf (bodies [i], lens [i], leaves [i]);
    }
    CHECK_EQ_INT (cchc_ack_tree_depth (N), 3);
    CHECK_EQ_INT (cchc_ack_tree ((const uint8_t (*) [H]) leaves, N, root, proofs, nproof), 0);
    cchc_proto_sign (CCHC_KIND_ACKS, s_collector, root, H, sig);
    const uint8_t *pk = cchc_key_public (s_collector);
    for (size_t i = 0; i < N; i++) {
        uint8_t *proof = proofs + i * 3 * H;
        cchc_ack_t ack;
        CHECK_EQ_INT (
            cchc_ack_open_proof (pk, bodies [i], lens [i], sig, proof, nproof [i], &ack),
            CCHC_REASON_NONE);
        CHECK_EQ_INT (ack.seq, i + 1);
        cchc_ack_clear (&ack);
        /*  Another ack's proof, a proof cut short, a changed hash. */
        size_t other = (i + 1) % N;
        CHECK_EQ_INT (cchc_ack_open_proof (pk, bodies [i], lens [i], sig,
                                           proofs + other * 3 * H, nproof [other], &ack),
                      CCHC_REASON_BAD_SIGNATURE);
        if (nproof [i] > 1)
            CHECK_EQ_INT (cchc_ack_open_proof (pk, bodies [i], lens [i], sig, proof,
                                               nproof [i] - 1u, &ack),
                          CCHC_REASON_BAD_SIGNATURE);
        for (size_t b = 0; b < (size_t) nproof [i] * H; b += 7) {
            proof [b] ^= 0x10;
            CHECK_EQ_INT (
                cchc_ack_open_proof (pk, bodies [i], lens [i], sig, proof, nproof [i], &ack),
                CCHC_REASON_BAD_SIGNATURE);
            proof [b] ^= 0x10;
        }
        for (size_t b = 0; b < lens [i]; b++) {
            bodies [i][b] ^= 0x01;
            CHECK_EQ_INT (
                cchc_ack_open_proof (pk, bodies [i], lens [i], sig, proof, nproof [i], &ack),
                CCHC_REASON_BAD_SIGNATURE);
            bodies [i][b] ^= 0x01;
        }
        sig [i] ^= 0x01;
        CHECK_EQ_INT (
            cchc_ack_open_proof (pk, bodies [i], lens [i], sig, proof, nproof [i], &ack),
            CCHC_REASON_BAD_SIGNATURE);
        sig [i] ^= 0x01;
        /*  The root's signature is not an ack's: without the proof it fails. */
        CHECK_EQ_INT (cchc_ack_open_proof (pk, bodies [i], lens [i], sig, NULL, 0, &ack),
                      CCHC_REASON_BAD_SIGNATURE);
        CHECK_EQ_INT (cchc_ack_open_proof (pk, bodies [i], lens [i], sig, proof,
                                           CCHC_PROTO_PROOF_MAX + 1, &ack),
                      CCHC_REASON_BAD_FRAMES);
    }
    /*  An ack signed alone opens with no proof, and not with one. */
    uint8_t alone [64];
    cchc_proto_sign (CCHC_KIND_ACK, s_collector, bodies [0], lens [0], alone);
    cchc_ack_t ack;
    CHECK_EQ_INT (cchc_ack_open_proof (pk, bodies [0], lens [0], alone, NULL, 0, &ack),
                  CCHC_REASON_NONE);
    cchc_ack_clear (&ack);
    CHECK_EQ_INT (
        cchc_ack_open_proof (pk, bodies [0], lens [0], alone, proofs, nproof [0], &ack),
        CCHC_REASON_BAD_SIGNATURE);
    for (size_t i = 0; i < N; i++)
        free (bodies [i]);
}

/*  Frame 2 on real sockets (tcp://127.0.0.1, a port the kernel picks). */
static void
test_frames (void)
{
    void *ctx = zmq_ctx_new ();
    void *router = zmq_socket (ctx, ZMQ_ROUTER), *dealer = zmq_socket (ctx, ZMQ_DEALER);
    int timeout = 5000, linger = 0;
    zmq_setsockopt (router, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt (dealer, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt (router, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt (dealer, ZMQ_LINGER, &linger, sizeof linger);
    char endpoint [256];
    size_t size = sizeof endpoint;
    int ok = zmq_bind (router, "tcp://127.0.0.1:*") == 0
             && zmq_getsockopt (router, ZMQ_LAST_ENDPOINT, endpoint, &size) == 0
             && zmq_connect (dealer, endpoint) == 0;
    uint8_t key [32], body [1] = { 0x80 }, sig [64], proof [CCHC_PROTO_PROOF_MAX * H + H];
    memset (key, 1, sizeof key);
    memset (sig, 2, sizeof sig);
    for (size_t i = 0; i < sizeof proof; i++)
        proof [i] = (uint8_t) i;
    cchc_wire_msg_t msg;
    int got = -9;
    size_t nproof = 0;
    bool same = false;
    if (ok) {
        /*  DEALER → ROUTER: a proof after a report's signature is refused. */
        ok = cchc_wire_send_proof (dealer, NULL, 0, key, body, 1, sig, proof, 2, 0) == 0;
        got = cchc_wire_recv (router, true, 0, &msg);
    }
    CHECK (ok);
    CHECK_EQ_INT (got, CCHC_REASON_BAD_FRAMES);
    uint8_t routing [CCHC_WIRE_ROUTING_MAX];
    size_t routing_len = msg.routing_len;
    memcpy (routing, msg.routing_id, routing_len);
    cchc_wire_msg_clear (&msg);
    /*  ROUTER → DEALER: 1, 3 and 32 hashes taken, as sent. */
    size_t counts [] = { 1, 3, CCHC_PROTO_PROOF_MAX };
    for (size_t c = 0; c < 3; c++) {
        got = cchc_wire_send_proof (router, routing, routing_len, key, body, 1, sig, proof,
                                    counts [c], 0);
        CHECK_EQ_INT (got, 0);
        got = cchc_wire_recv (dealer, false, 0, &msg);
        nproof = msg.nproof;
        same = msg.proof && memcmp (msg.proof, proof, counts [c] * H) == 0
               && memcmp (msg.sig, sig, 64) == 0;
        cchc_wire_msg_clear (&msg);
        CHECK_EQ_INT (got, 0);
        CHECK_EQ_INT (nproof, counts [c]);
        CHECK (same);
    }
    /*  Not whole hashes, or 33 of them: bad_frames; the next one still works. */
    size_t bad [] = { 64 + 31, 64 + 33, 64 + (CCHC_PROTO_PROOF_MAX + 1) * H };
    uint8_t frame [64 + (CCHC_PROTO_PROOF_MAX + 1) * H] = { 0 };
    for (size_t c = 0; c < 3; c++) {
        zmq_send (router, routing, routing_len, ZMQ_SNDMORE);
        zmq_send (router, key, 32, ZMQ_SNDMORE);
        zmq_send (router, body, 1, ZMQ_SNDMORE);
        zmq_send (router, frame, bad [c], 0);
        got = cchc_wire_recv (dealer, false, 0, &msg);
        bool clean = msg.proof == NULL && msg.nproof == 0;
        cchc_wire_msg_clear (&msg);
        CHECK_EQ_INT (got, CCHC_REASON_BAD_FRAMES);
        CHECK (clean);
    }
    got = cchc_wire_send_proof (router, routing, routing_len, key, body, 1, sig, NULL, 0, 0);
    CHECK_EQ_INT (got, 0);
    got = cchc_wire_recv (dealer, false, 0, &msg);
    nproof = msg.nproof;
    cchc_wire_msg_clear (&msg);
    CHECK_EQ_INT (got, 0);
    CHECK_EQ_INT (nproof, 0);
    zmq_close (dealer);
    zmq_close (router);
    zmq_ctx_term (ctx);
}

int
main (void)
{
    if (sodium_init () < 0)
        return 1;
    uint8_t seed [32];
    memset (seed, 2, sizeof seed);
    s_collector = cchc_key_new_from_seed (seed);
    CCHC_TEST_RUN (test_depth);
    CCHC_TEST_RUN (test_leaf);
    CCHC_TEST_RUN (test_every_size);
    CCHC_TEST_RUN (test_open);
    CCHC_TEST_RUN (test_frames);
    cchc_key_destroy (&s_collector);
    return CCHC_TEST_DONE ();
}
