/*  test_sender.c — the sender against in-process fake collectors (ROUTER
    sockets on 127.0.0.1 with ports picked by the system): delivery of a
    backlog through a window; acks signed by another key, addressed to
    another agent, or garbage are ignored and delete nothing; seq-0 acks
    and retry_later back off and keep everything; rejected goes to dead
    letters; a silent endpoint times out and the sender fails over to the
    next one, resending byte-identical messages. */
#include "tests/test.h"

#include <stdlib.h>
#include <unistd.h>
#include <zmq.h>
#include <sqlite3.h>

#include "agent/outbox.h"
#include "agent/sender.h"
#include "common/clock.h"
#include "common/key.h"
#include "proto/wire.h"

typedef enum {
    FAKE_ACCEPT,
    FAKE_WRONG_KEY,    /* signs with a key that is not the pinned one */
    FAKE_FORGED_FRAME, /* claims the pinned key in frame 0, signs with another */
    FAKE_OTHER_AGENT,
    FAKE_SEQ0,
    FAKE_SEQ0_BADSIG, /* seq 0, bad_signature */
    FAKE_REJECT,
    FAKE_RETRY,
    FAKE_SILENT,
    FAKE_GARBAGE
} fake_mode_t;

typedef struct {
    void *sock;
    char endpoint [128];
    fake_mode_t mode;
    cchc_key_t *key;   /* the collector key (pinned by the agent) */
    cchc_key_t *other; /* some other key */
    int received;
    /*  First body seen for the first seq, to compare resends */
    uint64_t first_seq;
    uint8_t first_body [CCHC_PROTO_BODY_MAX];
    size_t first_len;
    int identical_resends;
    int different_resends;
    uint64_t seqs_seen [4096];
    int nseqs;
} fake_t;

static void *s_ctx;
static char s_dir [256];
static int s_n = 0;

static cchc_key_t *
s_key (uint8_t fill)
{
    uint8_t seed [32];
    memset (seed, fill, sizeof seed);
    return cchc_key_new_from_seed (seed);
}

static void
fake_init (fake_t *f, fake_mode_t mode)
{
    memset (f, 0, sizeof *f);
    f->mode = mode;
    f->key = s_key (0xc0);
    f->other = s_key (0xee);
    f->sock = zmq_socket (s_ctx, ZMQ_ROUTER);
    int zero = 0;
    zmq_setsockopt (f->sock, ZMQ_LINGER, &zero, sizeof zero);
    zmq_bind (f->sock, "tcp://127.0.0.1:*");
    size_t len = sizeof f->endpoint;
    zmq_getsockopt (f->sock, ZMQ_LAST_ENDPOINT, f->endpoint, &len);
}

static void
fake_destroy (fake_t *f)
{
    zmq_close (f->sock);
    cchc_key_destroy (&f->key);
    cchc_key_destroy (&f->other);
}

/*  Answer everything waiting. */
static void
fake_serve (fake_t *f)
{
    for (;;) {
        cchc_wire_msg_t m;
        memset (&m, 0, sizeof m);
        int rc = cchc_wire_recv (f->sock, true, ZMQ_DONTWAIT, &m);
        if (rc < 0) {
            cchc_wire_msg_clear (&m);
            return;
        }
        cchc_report_t r;
        int reason = rc == 0 ? cchc_report_open (m.key, m.body, m.body_len, m.sig, &r) : rc;
        if (reason != CCHC_REASON_NONE) {
            cchc_wire_msg_clear (&m);
            continue;
        }
        f->received++;
        if (f->nseqs < 4096)
            f->seqs_seen [f->nseqs++] = r.seq;
        if (f->first_seq == 0) {
            f->first_seq = r.seq;
            memcpy (f->first_body, m.body, m.body_len);
            f->first_len = m.body_len;
        }
        else if (r.seq == f->first_seq) {
            if (m.body_len == f->first_len && memcmp (m.body, f->first_body, m.body_len) == 0)
                f->identical_resends++;
            else
                f->different_resends++;
        }
        cchc_ack_t ack;
        memset (&ack, 0, sizeof ack);
        memcpy (ack.agent, r.agent, 32);
        ack.seq = r.seq;
        ack.time_ms = (uint64_t) cchc_clock_now_ms ();
        const cchc_key_t *signer = f->key;
        switch (f->mode) {
            case FAKE_ACCEPT: ack.status = CCHC_STATUS_ACCEPTED; break;
            case FAKE_WRONG_KEY:
                ack.status = CCHC_STATUS_ACCEPTED;
                signer = f->other;
                break;
            case FAKE_OTHER_AGENT:
                ack.status = CCHC_STATUS_ACCEPTED;
                memcpy (ack.agent, cchc_key_public (f->other), 32);
                break;
            case FAKE_SEQ0:
                ack.status = CCHC_STATUS_REJECTED;
                ack.reason = CCHC_REASON_UNKNOWN_AGENT;
                ack.seq = 0;
                break;
            case FAKE_SEQ0_BADSIG:
                ack.status = CCHC_STATUS_REJECTED;
                ack.reason = CCHC_REASON_BAD_SIGNATURE;
                ack.seq = 0;
                break;
            case FAKE_REJECT:
                ack.status = CCHC_STATUS_REJECTED;
                ack.reason = CCHC_REASON_UNIT_MISMATCH;
                break;
            case FAKE_RETRY:
                ack.status = CCHC_STATUS_RETRY_LATER;
                ack.reason = CCHC_REASON_BUSY;
                break;
            default: break;
        }
        if (f->mode == FAKE_SILENT)
            ;
        else if (f->mode == FAKE_GARBAGE) {
            zmq_send (f->sock, m.routing_id, m.routing_len, ZMQ_SNDMORE);
            zmq_send (f->sock, "junk", 4, 0);
        }
        else if (f->mode == FAKE_FORGED_FRAME) {
            ack.status = CCHC_STATUS_ACCEPTED;
            uint8_t *body;
            size_t len;
            cchc_ack_encode (&ack, &body, &len);
            uint8_t sig [64];
            cchc_proto_sign (CCHC_KIND_ACK, f->other, body, len, sig);
            cchc_wire_send (f->sock, m.routing_id, m.routing_len, cchc_key_public (f->key),
                            body, len, sig, 0);
            free (body);
        }
        else
            cchc_wire_send_ack (f->sock, m.routing_id, m.routing_len, signer, &ack, 0);
        cchc_report_clear (&r);
        cchc_wire_msg_clear (&m);
    }
}

typedef struct {
    cchc_outbox_t *outbox;
    cchc_key_t *key;
    cchc_sender_t *sender;
    char path [300];
} agent_t;

/*  An agent with `n` messages of 3 observations each in its outbox. */
static void
agent_init (agent_t *a, int n, fake_t **fakes, int nfakes, int64_t timeout_ms)
{
    memset (a, 0, sizeof *a);
    snprintf (a->path, sizeof a->path, "%s/outbox-%d.db", s_dir, ++s_n);
    char err [512];
    a->outbox = cchc_outbox_open (a->path, true, err, sizeof err);
    a->key = s_key (0x11);
    for (int i = 0; i < n; i++) {
        cchc_obs_t o [3];
        memset (o, 0, sizeof o);
        for (int k = 0; k < 3; k++) {
            snprintf (o [k].metric, sizeof o [k].metric, "m%d", k);
            o [k].date = cchc_date_from_ymd (2021, 1, 1) + i;
            o [k].ival = i * 10 + k;
        }
        cchc_outbox_observe (a->outbox, o, 3, 1000, NULL, err, sizeof err);
        uint64_t seq;
        cchc_outbox_freeze (a->outbox, a->key, "SNV", 100, 1000, &seq, err, sizeof err);
    }
    cchc_sender_conf_t sc;
    memset (&sc, 0, sizeof sc);
    sc.nendpoints = (size_t) nfakes;
    for (int i = 0; i < nfakes; i++)
        snprintf (sc.endpoints [i], sizeof sc.endpoints [i], "%s", fakes [i]->endpoint);
    memcpy (sc.collector_pk, cchc_key_public (fakes [0]->key), 32);
    sc.request_timeout_ms = timeout_ms;
    sc.backoff_min_ms = 50;
    sc.backoff_max_ms = 200;
    sc.failback_ms = 60000;
    sc.window = 8;
    a->sender = cchc_sender_new (s_ctx, &sc, a->key, a->outbox, err, sizeof err);
}

static void
agent_destroy (agent_t *a)
{
    cchc_sender_destroy (&a->sender);
    cchc_outbox_destroy (&a->outbox);
    cchc_key_destroy (&a->key);
}

static int64_t
s_messages (agent_t *a)
{
    cchc_outbox_stats_t st;
    char err [512];
    cchc_outbox_stats (a->outbox, &st, err, sizeof err);
    return st.messages;
}

/*  Pump the sender and serve the fakes for ms (or until the outbox is
    empty when until_empty). */
static void
s_run (agent_t *a, fake_t **fakes, int nfakes, int64_t ms, bool until_empty)
{
    int64_t end = cchc_clock_mono_ms () + ms;
    while (cchc_clock_mono_ms () < end) {
        cchc_sender_pump (a->sender);
        for (int i = 0; i < nfakes; i++)
            fake_serve (fakes [i]);
        if (until_empty && s_messages (a) == 0)
            return;
        usleep (2000);
    }
}

static void
test_deliver_backlog (void)
{
    fake_t f;
    fake_init (&f, FAKE_ACCEPT);
    fake_t *fs [] = { &f };
    agent_t a;
    agent_init (&a, 40, fs, 1, 2000);
    CHECK_EQ_INT (s_messages (&a), 40);
    s_run (&a, fs, 1, 5000, true);
    CHECK_EQ_INT (s_messages (&a), 0);
    CHECK_EQ_INT (f.received, 40);
    /*  In seq order, each once. */
    for (int i = 1; i < f.nseqs; i++)
        CHECK (f.seqs_seen [i] == f.seqs_seen [i - 1] + 1);
    cchc_sender_info_t info;
    cchc_sender_info (a.sender, &info);
    CHECK_EQ_INT (info.delivered, 40);
    CHECK (info.last_ack_ms > 0);
    CHECK_EQ_STR (info.acked_endpoint, f.endpoint);
    agent_destroy (&a);
    fake_destroy (&f);
}

/*  Acks the agent must not believe: nothing leaves the outbox. */
static void
test_untrusted_acks_ignored (void)
{
    fake_mode_t modes [] = { FAKE_WRONG_KEY, FAKE_FORGED_FRAME, FAKE_OTHER_AGENT,
                             FAKE_GARBAGE };
    for (size_t i = 0; i < sizeof modes / sizeof modes [0]; i++) {
        fake_t f;
        fake_init (&f, modes [i]);
        fake_t *fs [] = { &f };
        agent_t a;
        agent_init (&a, 3, fs, 1, 300);
        s_run (&a, fs, 1, 500, false);
        CHECK (f.received >= 3);
        CHECK_EQ_INT (s_messages (&a), 3);
        cchc_sender_info_t info;
        cchc_sender_info (a.sender, &info);
        CHECK (info.ignored >= 3);
        CHECK_EQ_INT (info.delivered, 0);
        CHECK_EQ_INT (info.last_ack_ms, 0);
        /*  Then the real collector answers: delivered. */
        f.mode = FAKE_ACCEPT;
        s_run (&a, fs, 1, 5000, true);
        CHECK_EQ_INT (s_messages (&a), 0);
        CHECK_EQ_INT (f.different_resends, 0);
        CHECK (f.identical_resends >= 1);
        agent_destroy (&a);
        fake_destroy (&f);
    }
}

static void
test_seq0_and_retry_keep_everything (void)
{
    fake_mode_t modes [] = { FAKE_SEQ0, FAKE_RETRY, FAKE_SEQ0_BADSIG };
    uint32_t problem [] = { CCHC_REASON_UNKNOWN_AGENT, 0, CCHC_REASON_BAD_SIGNATURE };
    for (size_t i = 0; i < 3; i++) {
        fake_t f;
        fake_init (&f, modes [i]);
        fake_t *fs [] = { &f };
        agent_t a;
        agent_init (&a, 5, fs, 1, 5000);
        s_run (&a, fs, 1, 400, false);
        CHECK_EQ_INT (s_messages (&a), 5);
        cchc_sender_info_t info;
        cchc_sender_info (a.sender, &info);
        CHECK_EQ_INT (info.answer_problem, problem [i]);
        CHECK (info.last_error [0] != 0);
        /*  Issue 13.1: bad_signature is not "key not enrolled". */
        if (modes [i] == FAKE_SEQ0_BADSIG) {
            CHECK (strstr (info.last_error, "bad_signature") != NULL);
            CHECK (strstr (info.last_error, "not enrolled") == NULL);
        }
        if (modes [i] == FAKE_SEQ0)
            CHECK (strstr (info.last_error, "not enrolled") != NULL);
        /*  It backs off: in 400 ms with backoff 50..200 ms, a few rounds,
            not hundreds of sends. */
        CHECK (f.received >= 5);
        CHECK (f.received < 5 * 12);
        f.mode = FAKE_ACCEPT;
        s_run (&a, fs, 1, 5000, true);
        CHECK_EQ_INT (s_messages (&a), 0);
        cchc_sender_info (a.sender, &info);
        CHECK_EQ_INT (info.answer_problem, 0);
        agent_destroy (&a);
        fake_destroy (&f);
    }
}

static void
test_rejected_dead_letters (void)
{
    fake_t f;
    fake_init (&f, FAKE_REJECT);
    fake_t *fs [] = { &f };
    agent_t a;
    agent_init (&a, 2, fs, 1, 2000);
    s_run (&a, fs, 1, 3000, true);
    CHECK_EQ_INT (s_messages (&a), 0);
    cchc_outbox_stats_t st;
    char err [512];
    CHECK (cchc_outbox_stats (a.outbox, &st, err, sizeof err) == 0);
    CHECK_EQ_INT (st.dead, 6);
    CHECK_EQ_INT (f.received, 2); /* never retried */
    agent_destroy (&a);
    fake_destroy (&f);
}

/*  First endpoint silent, second answers: the sender times out, resets,
    moves on, and the second gets the very same bytes. */
static void
test_failover (void)
{
    fake_t silent, good;
    fake_init (&silent, FAKE_SILENT);
    fake_init (&good, FAKE_ACCEPT);
    /*  Same collector key on both (one collector database). */
    cchc_key_destroy (&good.key);
    good.key = s_key (0xc0);
    fake_t *fs [] = { &silent, &good };
    agent_t a;
    agent_init (&a, 4, fs, 2, 300);
    int64_t t0 = cchc_clock_mono_ms ();
    s_run (&a, fs, 2, 5000, true);
    int64_t took = cchc_clock_mono_ms () - t0;
    CHECK_EQ_INT (s_messages (&a), 0);
    CHECK (silent.received >= 1);
    CHECK_EQ_INT (good.received, 4);
    CHECK (took >= 300);
    CHECK (took < 3000);
    /*  Byte-identical across endpoints. */
    CHECK_EQ_INT (silent.first_seq, good.first_seq);
    CHECK (silent.first_len == good.first_len
           && memcmp (silent.first_body, good.first_body, good.first_len) == 0);
    cchc_sender_info_t info;
    cchc_sender_info (a.sender, &info);
    CHECK_EQ_STR (info.acked_endpoint, good.endpoint);
    agent_destroy (&a);
    fake_destroy (&silent);
    fake_destroy (&good);
}

/*  Issue 13.1: the oldest message's body emptied in the outbox file: it is
    set aside (once) and every other message is delivered. */
static void
test_damaged_row_does_not_stop_delivery (void)
{
    fake_t f;
    fake_init (&f, FAKE_ACCEPT);
    fake_t *fs [] = { &f };
    agent_t a;
    agent_init (&a, 8, fs, 1, 2000);
    sqlite3 *db;
    CHECK (sqlite3_open (a.path, &db) == SQLITE_OK);
    sqlite3_busy_timeout (db, 5000);
    CHECK (sqlite3_exec (db,
                         "UPDATE message SET body = x'' WHERE seq = "
                         "(SELECT min(seq) FROM message)",
                         NULL, NULL, NULL)
           == SQLITE_OK);
    sqlite3_close (db);
    s_run (&a, fs, 1, 5000, true);
    CHECK_EQ_INT (s_messages (&a), 0);
    CHECK_EQ_INT (f.received, 7);
    cchc_sender_info_t info;
    cchc_sender_info (a.sender, &info);
    CHECK_EQ_INT (info.delivered, 7);
    CHECK_EQ_INT (info.aside, 1);
    cchc_outbox_stats_t st;
    char err [512];
    CHECK (cchc_outbox_stats (a.outbox, &st, err, sizeof err) == 0);
    CHECK_EQ_INT (st.aside, 1);
    agent_destroy (&a);
    fake_destroy (&f);
}

static void
test_backoff_bounds (void)
{
    for (unsigned n = 1; n < 40; n++) {
        int64_t d = cchc_sender_backoff_ms (1000, 300000, n);
        int64_t full = 1000;
        for (unsigned i = 1; i < n && full < 300000; i++)
            full *= 2;
        if (full > 300000)
            full = 300000;
        CHECK (d >= full / 2);
        CHECK (d <= full);
    }
    /*  Jitter: not always the same. */
    int64_t first = cchc_sender_backoff_ms (1000, 300000, 8);
    bool differs = false;
    for (int i = 0; i < 50 && !differs; i++)
        differs = cchc_sender_backoff_ms (1000, 300000, 8) != first;
    CHECK (differs);
}

int
main (void)
{
    snprintf (s_dir, sizeof s_dir, "/tmp/cchc-test-sender-XXXXXX");
    if (!mkdtemp (s_dir)) {
        perror ("mkdtemp");
        return 1;
    }
    s_ctx = zmq_ctx_new ();
    CCHC_TEST_RUN (test_deliver_backlog);
    CCHC_TEST_RUN (test_untrusted_acks_ignored);
    CCHC_TEST_RUN (test_seq0_and_retry_keep_everything);
    CCHC_TEST_RUN (test_rejected_dead_letters);
    CCHC_TEST_RUN (test_failover);
    CCHC_TEST_RUN (test_backoff_bounds);
    CCHC_TEST_RUN (test_damaged_row_does_not_stop_delivery);
    zmq_ctx_term (s_ctx);
    char cmd [400];
    snprintf (cmd, sizeof cmd, "rm -rf '%s'", s_dir);
    if (system (cmd) != 0)
        fprintf (stderr, "cannot remove %s\n", s_dir);
    return CCHC_TEST_DONE ();
}
