/*  test_wire.c — the three-frame messages on real ZeroMQ sockets: an agent
    DEALER and a collector ROUTER over tcp://127.0.0.1 (port picked by the
    kernel).  A good report and its ack, a 2-frame message (bad_frames), an
    oversize body (too_large), wrong frame sizes, and a good message still
    working after each bad one. */
#include "proto/wire.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "tests/test.h"

static void *s_ctx, *s_router, *s_dealer;
static cchc_key_t *s_agent, *s_collector;

static void
s_setup (void)
{
    uint8_t seed [32];
    memset (seed, 1, sizeof seed);
    s_agent = cchc_key_new_from_seed (seed);
    memset (seed, 2, sizeof seed);
    s_collector = cchc_key_new_from_seed (seed);
    s_ctx = zmq_ctx_new ();
    s_router = zmq_socket (s_ctx, ZMQ_ROUTER);
    s_dealer = zmq_socket (s_ctx, ZMQ_DEALER);
    int timeout = 5000, linger = 0;
    zmq_setsockopt (s_router, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt (s_dealer, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt (s_router, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt (s_dealer, ZMQ_LINGER, &linger, sizeof linger);
    char endpoint [256];
    size_t size = sizeof endpoint;
    if (zmq_bind (s_router, "tcp://127.0.0.1:*") != 0
        || zmq_getsockopt (s_router, ZMQ_LAST_ENDPOINT, endpoint, &size) != 0
        || zmq_connect (s_dealer, endpoint) != 0) {
        fprintf (stderr, "zmq setup: %s\n", zmq_strerror (errno));
        exit (1);
    }
}

static void
s_teardown (void)
{
    zmq_close (s_dealer);
    zmq_close (s_router);
    zmq_ctx_term (s_ctx);
    cchc_key_destroy (&s_agent);
    cchc_key_destroy (&s_collector);
}

static cchc_obs_t s_obs [1];

static cchc_report_t
s_report (uint64_t seq)
{
    cchc_report_t r;
    memset (&r, 0, sizeof r);
    memcpy (r.agent, cchc_key_public (s_agent), 32);
    snprintf (r.unit, sizeof r.unit, "%s", "SNV");
    r.seq = seq;
    r.created_ms = 1615741199000ULL;
    memset (s_obs, 0, sizeof s_obs);
    snprintf (s_obs [0].metric, sizeof s_obs [0].metric, "%s", "tthc_received");
    s_obs [0].date = cchc_date_from_ymd (2021, 3, 14);
    s_obs [0].ival = (int64_t) seq * 10;
    r.nobs = 1;
    r.obs = s_obs;
    return r;
}

/*  One full exchange: report from the dealer, verified on the router, ack
    back, verified on the dealer.  Returns 0 when all went well. */
static int
s_exchange (uint64_t seq)
{
    cchc_report_t r = s_report (seq);
    if (cchc_wire_send_report (s_dealer, s_agent, &r, 0) != 0)
        return 1;
    cchc_wire_msg_t msg;
    if (cchc_wire_recv (s_router, true, 0, &msg) != 0)
        return 2;
    cchc_report_t got;
    int rc = cchc_report_open (msg.key, msg.body, msg.body_len, msg.sig, &got);
    int bad = rc != 0 || got.seq != seq || got.obs [0].ival != (int64_t) seq * 10
              || memcmp (msg.key, cchc_key_public (s_agent), 32) != 0 || msg.routing_len == 0;
    cchc_ack_t ack;
    memset (&ack, 0, sizeof ack);
    memcpy (ack.agent, msg.key, 32);
    ack.seq = got.seq;
    ack.status = CCHC_STATUS_ACCEPTED;
    ack.time_ms = 1615741200000ULL;
    cchc_report_clear (&got);
    if (bad) {
        cchc_wire_msg_clear (&msg);
        return 3;
    }
    rc = cchc_wire_send_ack (s_router, msg.routing_id, msg.routing_len, s_collector, &ack, 0);
    cchc_wire_msg_clear (&msg);
    if (rc != 0)
        return 4;
    if (cchc_wire_recv (s_dealer, false, 0, &msg) != 0)
        return 5;
    cchc_ack_t got_ack;
    rc = cchc_ack_open (cchc_key_public (s_collector), msg.body, msg.body_len, msg.sig,
                        &got_ack);
    bad = rc != 0 || got_ack.seq != seq
          || memcmp (got_ack.agent, cchc_key_public (s_agent), 32)
          || memcmp (msg.key, cchc_key_public (s_collector), 32) || msg.routing_len != 0;
    cchc_ack_clear (&got_ack);
    cchc_wire_msg_clear (&msg);
    return bad ? 6 : 0;
}

static void
test_good (void)
{
    CHECK_EQ_INT (s_exchange (1), 0);
    CHECK_EQ_INT (s_exchange (2), 0);
}

/*  Send raw frames from the dealer; the router must consume them all and say
    why it refused, keeping the routing id. */
static int
s_send_frames (const size_t *sizes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t *buf = malloc (sizes [i] + 1);
        if (!buf)
            return -1;
        memset (buf, 0x5a, sizes [i] + 1);
        int rc = zmq_send (s_dealer, buf, sizes [i], i + 1 < n ? ZMQ_SNDMORE : 0);
        free (buf);
        if (rc == -1)
            return -1;
    }
    return 0;
}

static int
s_bad (const size_t *sizes, size_t n)
{
    if (s_send_frames (sizes, n))
        return -2;
    cchc_wire_msg_t msg;
    int rc = cchc_wire_recv (s_router, true, 0, &msg);
    if (msg.routing_len == 0 || msg.body != NULL || msg.body_len != 0)
        rc = -3;
    /*  The key is kept when frame 0 had 32 bytes (for the seq-0 answer). */
    uint8_t want [32];
    memset (want, n > 0 && sizes [0] == 32 ? 0x5a : 0, sizeof want);
    if (memcmp (msg.key, want, 32) != 0)
        rc = -4;
    cchc_wire_msg_clear (&msg);
    return rc;
}

static void
test_bad_frames (void)
{
    const size_t two [] = { 32, 100 };
    CHECK_EQ_INT (s_bad (two, 2), CCHC_REASON_BAD_FRAMES);
    CHECK_EQ_INT (s_exchange (3), 0);
    const size_t one [] = { 0 };
    CHECK_EQ_INT (s_bad (one, 1), CCHC_REASON_BAD_FRAMES);
    const size_t four [] = { 32, 100, 64, 1 };
    CHECK_EQ_INT (s_bad (four, 4), CCHC_REASON_BAD_FRAMES);
    const size_t key31 [] = { 31, 100, 64 };
    CHECK_EQ_INT (s_bad (key31, 3), CCHC_REASON_BAD_FRAMES);
    const size_t sig65 [] = { 32, 100, 65 };
    CHECK_EQ_INT (s_bad (sig65, 3), CCHC_REASON_BAD_FRAMES);
    const size_t body0 [] = { 32, 0, 64 };
    CHECK_EQ_INT (s_bad (body0, 3), CCHC_REASON_BAD_FRAMES);
    const size_t many [] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };
    CHECK_EQ_INT (s_bad (many, 12), CCHC_REASON_BAD_FRAMES);
    CHECK_EQ_INT (s_exchange (4), 0);
}

static void
test_too_large (void)
{
    const size_t big [] = { 32, CCHC_PROTO_BODY_MAX + 1, 64 };
    CHECK_EQ_INT (s_bad (big, 3), CCHC_REASON_TOO_LARGE);
    const size_t huge [] = { 32, 1 << 20, 64 };
    CHECK_EQ_INT (s_bad (huge, 3), CCHC_REASON_TOO_LARGE);
    CHECK_EQ_INT (s_exchange (5), 0);
    /*  Exactly the limit is the right shape (the body is then malformed). */
    const size_t max [] = { 32, CCHC_PROTO_BODY_MAX, 64 };
    CHECK_EQ_INT (s_send_frames (max, 3), 0);
    cchc_wire_msg_t msg;
    CHECK_EQ_INT (cchc_wire_recv (s_router, true, 0, &msg), 0);
    size_t len = msg.body_len;
    cchc_report_t r;
    int rc = cchc_report_open (msg.key, msg.body, msg.body_len, msg.sig, &r);
    cchc_wire_msg_clear (&msg);
    CHECK_EQ_INT (len, CCHC_PROTO_BODY_MAX);
    CHECK_EQ_INT (rc, CCHC_REASON_BAD_SIGNATURE);
    CHECK_EQ_INT (s_exchange (6), 0);
}

/*  Non-blocking receive on an empty socket, and send-side refusals. */
static void
test_errors (void)
{
    cchc_wire_msg_t msg;
    int rc = cchc_wire_recv (s_router, true, ZMQ_DONTWAIT, &msg);
    CHECK_EQ_INT (rc, -1);
    CHECK_EQ_INT (errno, EAGAIN);
    CHECK (msg.body == NULL);

    cchc_report_t r = s_report (7);
    r.seq = 0;
    CHECK_EQ_INT (cchc_wire_send_report (s_dealer, s_agent, &r, 0), CCHC_REASON_BAD_SEQ);
    r.seq = 7;
    CHECK_EQ_INT (cchc_wire_send_report (s_dealer, s_collector, &r, 0),
                  CCHC_REASON_KEY_MISMATCH);
    cchc_ack_t a;
    memset (&a, 0, sizeof a);
    a.status = 9;
    CHECK_EQ_INT (cchc_wire_send_ack (s_router, (const uint8_t *) "x", 1, s_collector, &a, 0),
                  CCHC_REASON_BAD_VALUE);
    /*  Nothing was sent by the refusals: the next exchange is in step. */
    CHECK_EQ_INT (s_exchange (8), 0);
    cchc_wire_msg_clear (NULL);
}

int
main (void)
{
    s_setup ();
    CCHC_TEST_RUN (test_good);
    CCHC_TEST_RUN (test_bad_frames);
    CCHC_TEST_RUN (test_too_large);
    CCHC_TEST_RUN (test_errors);
    s_teardown ();
    return CCHC_TEST_DONE ();
}
