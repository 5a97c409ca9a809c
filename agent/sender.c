/*  sender.c — pipelined Lazy Pirate delivery of the outbox over a DEALER
    socket (see sender.h for the rules). */
#include "agent/sender.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <zmq.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/text.h"
#include "proto/wire.h"

#define S_WINDOW_MAX 256

typedef struct {
    uint64_t seq;
    int64_t sent_mono;
} s_flight_t;

struct cchc_sender_t {
    void *ctx;
    cchc_sender_conf_t conf;
    const cchc_key_t *key;
    cchc_outbox_t *outbox;
    void *socket;
    size_t index;        /* endpoint in use / to use next */
    int64_t opened_mono; /* when the socket was opened */
    s_flight_t flight [S_WINDOW_MAX];
    size_t nflight;
    uint64_t last_sent;    /* highest seq sent on this socket round */
    unsigned failures;     /* consecutive timeouts, all endpoints */
    unsigned rounds;       /* consecutive backoff rounds */
    int64_t backoff_until; /* monotonic ms */
    cchc_sender_info_t info;
    cchc_ratelimit_t rl_ignored;
    cchc_ratelimit_t rl_key;
    cchc_ratelimit_t rl_timeout;
    cchc_ratelimit_t rl_retry;
    cchc_ratelimit_t rl_high;
    int64_t caps_refused_mono; /* when an old collector refused `caps` */
};

void
cchc_sender_conf_from (cchc_sender_conf_t *sc, const cchc_agent_conf_t *conf)
{
    memset (sc, 0, sizeof *sc);
    sc->nendpoints = conf->nendpoints;
    memcpy (sc->endpoints, conf->endpoints, sizeof sc->endpoints);
    memcpy (sc->collector_pk, conf->collector_pk, 32);
    sc->curve = conf->curve;
    sc->request_timeout_ms = conf->request_timeout_ms;
    sc->backoff_min_ms = conf->backoff_min_ms;
    sc->backoff_max_ms = conf->backoff_max_ms;
    sc->failback_ms = conf->failback_ms;
    sc->window = (size_t) conf->window;
}

int64_t
cchc_sender_backoff_ms (int64_t min_ms, int64_t max_ms, unsigned n)
{
    assert (n >= 1 && min_ms > 0 && max_ms >= min_ms);
    int64_t d = min_ms;
    for (unsigned i = 1; i < n && d < max_ms; i++)
        d *= 2;
    if (d > max_ms)
        d = max_ms;
    int64_t half = d / 2;
    if (half <= 0)
        return d;
    /*  uniform in [d/2, d] */
    uint32_t span = half + 1 > UINT32_MAX ? UINT32_MAX : (uint32_t) (half + 1);
    return d - half + (int64_t) randombytes_uniform (span);
}

cchc_sender_t *
cchc_sender_new (void *ctx, const cchc_sender_conf_t *conf, const cchc_key_t *key,
                 cchc_outbox_t *outbox, char *err, size_t errlen)
{
    assert (ctx && conf && key && outbox);
    assert (conf->nendpoints >= 1 && conf->nendpoints <= CCHC_AGENT_ENDPOINTS_MAX);
    if (conf->window < 1 || conf->window > S_WINDOW_MAX) {
        snprintf (err, errlen, "collector.window must be 1..%d", S_WINDOW_MAX);
        return NULL;
    }
    cchc_sender_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, errlen, "out of memory");
        return NULL;
    }
    self->ctx = ctx;
    self->conf = *conf;
    self->key = key;
    self->outbox = outbox;
    self->rl_ignored = (cchc_ratelimit_t) CCHC_RATELIMIT_INIT (60000, 5);
    self->rl_key = (cchc_ratelimit_t) CCHC_RATELIMIT_INIT (600000, 2);
    self->rl_timeout = (cchc_ratelimit_t) CCHC_RATELIMIT_INIT (600000, 10);
    self->rl_retry = (cchc_ratelimit_t) CCHC_RATELIMIT_INIT (600000, 5);
    self->rl_high = (cchc_ratelimit_t) CCHC_RATELIMIT_INIT (600000, 3);
    return self;
}

static void
s_close (cchc_sender_t *self)
{
    if (self->socket) {
        zmq_close (self->socket);
        self->socket = NULL;
    }
    self->nflight = 0;
    self->last_sent = 0;
}

void
cchc_sender_destroy (cchc_sender_t **self_p)
{
    assert (self_p);
    cchc_sender_t *self = *self_p;
    if (!self)
        return;
    s_close (self);
    free (self);
    *self_p = NULL;
}

void *
cchc_sender_socket (cchc_sender_t *self)
{
    return self->socket;
}

size_t
cchc_sender_inflight (const cchc_sender_t *self)
{
    return self->nflight;
}

void
cchc_sender_info (const cchc_sender_t *self, cchc_sender_info_t *info)
{
    *info = self->info;
    if (self->socket)
        cchc_strlcpy (info->endpoint, self->conf.endpoints [self->index],
                      sizeof info->endpoint);
    else
        info->endpoint [0] = 0;
    int64_t left = self->backoff_until - cchc_clock_mono_ms ();
    info->backoff_left_ms = left > 0 ? left : 0;
}

static void s_set_error (cchc_sender_t *self, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

static void
s_set_error (cchc_sender_t *self, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (self->info.last_error, sizeof self->info.last_error, fmt, ap);
    va_end (ap);
}

static int
s_open (cchc_sender_t *self)
{
    const char *endpoint = self->conf.endpoints [self->index];
    void *s = zmq_socket (self->ctx, ZMQ_DEALER);
    if (!s) {
        s_set_error (self, "zmq_socket: %s", zmq_strerror (errno));
        return -1;
    }
    int ivl = 1000, ivl_max = 10000;
    int hb = 10000, hb_timeout = 30000;
    cchc_wire_socket_limits (s, 0, 1000, 1000, 4 * CCHC_PROTO_BODY_MAX);
    zmq_setsockopt (s, ZMQ_RECONNECT_IVL, &ivl, sizeof ivl);
    zmq_setsockopt (s, ZMQ_RECONNECT_IVL_MAX, &ivl_max, sizeof ivl_max);
    zmq_setsockopt (s, ZMQ_HEARTBEAT_IVL, &hb, sizeof hb);
    zmq_setsockopt (s, ZMQ_HEARTBEAT_TIMEOUT, &hb_timeout, sizeof hb_timeout);
    if (self->conf.curve) {
        char server [41], pub [41], sec [41];
        if (cchc_key_curve_public_z85 (self->conf.collector_pk, server) != 0
            || cchc_key_curve_public_z85 (cchc_key_public (self->key), pub) != 0
            || cchc_key_curve_secret_z85 (self->key, sec) != 0) {
            sodium_memzero (sec, sizeof sec);
            zmq_close (s);
            s_set_error (self, "cannot derive CurveZMQ keys");
            return -1;
        }
        int rc = zmq_setsockopt (s, ZMQ_CURVE_SERVERKEY, server, 40)
                 | zmq_setsockopt (s, ZMQ_CURVE_PUBLICKEY, pub, 40)
                 | zmq_setsockopt (s, ZMQ_CURVE_SECRETKEY, sec, 40);
        sodium_memzero (sec, sizeof sec);
        if (rc != 0) {
            zmq_close (s);
            s_set_error (self, "CurveZMQ not available: %s", zmq_strerror (errno));
            return -1;
        }
    }
    if (zmq_connect (s, endpoint) != 0) {
        s_set_error (self, "connect %s: %s", endpoint, zmq_strerror (errno));
        cchc_error ("cannot connect to %s: %s", endpoint, zmq_strerror (errno));
        zmq_close (s);
        return -1;
    }
    self->socket = s;
    self->opened_mono = cchc_clock_mono_ms ();
    self->nflight = 0;
    self->last_sent = 0;
    cchc_debug ("connecting to %s", endpoint);
    return 0;
}

/*  Wait before sending again; keep the socket (the collector answered).
    Several answers for one window (each in-flight message gets its own
    seq-0 or retry_later ack) count as one failed attempt. */
static void s_backoff_once (cchc_sender_t *self);

static void
s_backoff (cchc_sender_t *self)
{
    self->rounds++;
    int64_t d = cchc_sender_backoff_ms (self->conf.backoff_min_ms, self->conf.backoff_max_ms,
                                        self->rounds);
    self->backoff_until = cchc_clock_mono_ms () + d;
    self->nflight = 0;
    self->last_sent = 0; /* resend from the oldest */
}

static void
s_backoff_once (cchc_sender_t *self)
{
    if (cchc_clock_mono_ms () >= self->backoff_until)
        s_backoff (self);
}

/*  No answer: close, move to the next endpoint, back off after a round. */
static void
s_fail_over (cchc_sender_t *self)
{
    const char *endpoint = self->conf.endpoints [self->index];
    cchc_log_limited (&self->rl_timeout, CCHC_LOG_WARN,
                      "no ack from %s within %lld ms: resetting the connection%s", endpoint,
                      (long long) self->conf.request_timeout_ms,
                      self->conf.nendpoints > 1 ? ", trying the next endpoint" : "");
    s_set_error (self, "no ack from %s within %lld ms", endpoint,
                 (long long) self->conf.request_timeout_ms);
    s_close (self);
    self->failures++;
    self->index = (self->index + 1) % self->conf.nendpoints;
    if (self->failures % self->conf.nendpoints == 0)
        s_backoff (self);
}

static void
s_flight_remove (cchc_sender_t *self, uint64_t seq)
{
    for (size_t i = 0; i < self->nflight; i++)
        if (self->flight [i].seq == seq) {
            memmove (&self->flight [i], &self->flight [i + 1],
                     (self->nflight - i - 1) * sizeof self->flight [0]);
            self->nflight--;
            return;
        }
}

/*  The checks of PROTOCOL.md §11.2 steps 1-2 and the agent half of 3:
    1 with *ack filled (clear it later) if the ack is to be believed. */
static int
s_trust_ack (cchc_sender_t *self, cchc_wire_msg_t *msg, cchc_ack_t *ack)
{
    if (memcmp (msg->key, self->conf.collector_pk, 32) != 0) {
        self->info.ignored++;
        cchc_log_limited (
            &self->rl_ignored, CCHC_LOG_WARN,
            "ignored an ack signed by a key that is not the pinned collector key");
        return 0;
    }
    int reason = cchc_ack_open_proof (self->conf.collector_pk, msg->body, msg->body_len,
                                      msg->sig, msg->proof, msg->nproof, ack);
    if (reason != CCHC_REASON_NONE) {
        self->info.ignored++;
        cchc_log_limited (&self->rl_ignored, CCHC_LOG_WARN, "ignored an invalid ack: %s",
                          cchc_reason_name (reason));
        return 0;
    }
    if (memcmp (ack->agent, cchc_key_public (self->key), 32) != 0) {
        self->info.ignored++;
        cchc_log_limited (&self->rl_ignored, CCHC_LOG_WARN,
                          "ignored an ack addressed to another agent");
        cchc_ack_clear (ack);
        return 0;
    }
    return 1;
}

/*  An unknown_field seq-0 ack: a collector older than revision 1.2 refused
    the `caps` key of our reports (nothing was stored).  The outbox stops
    announcing it and sends those values again without it.  True when that
    was the cause (now, or for another message of the same window). */
static bool
s_caps_refused (cchc_sender_t *self)
{
    int64_t now = cchc_clock_mono_ms ();
    if (self->caps_refused_mono && now - self->caps_refused_mono < 10000)
        return true; /* the other answers of that window */
    int64_t requeued = 0;
    char err [512];
    if (cchc_outbox_caps_refused (self->outbox, cchc_clock_now_ms (), &requeued, err,
                                  sizeof err)
        != 0) {
        cchc_error ("%s", err);
        return false;
    }
    if (requeued == 0)
        return false;
    self->caps_refused_mono = now;
    cchc_notice ("the collector is older than protocol revision 1.2 (it refused the "
                 "`caps` key, storing nothing): %lld message%s made again without it; "
                 "without the collector's high-water seq a re-created outbox cannot "
                 "resume above an earlier one (upgrade the collector)",
                 (long long) requeued, requeued == 1 ? "" : "s");
    return true;
}

/*  A trusted ack with seq 0: keep everything, back off, alert — with the
    cause the reason names (PROTOCOL.md §11.3): only unknown_agent and
    revoked_agent are about enrolment. */
static void
s_seq0 (cchc_sender_t *self, const cchc_ack_t *ack)
{
    const char *reason = cchc_reason_name ((int) ack->reason);
    self->info.answer_problem = ack->reason ? ack->reason : CCHC_REASON_MALFORMED;
    if (ack->reason == CCHC_REASON_UNKNOWN_AGENT || ack->reason == CCHC_REASON_REVOKED_AGENT) {
        cchc_log_limited (
            &self->rl_key, CCHC_LOG_ERROR,
            "the collector does not accept this agent's key (%s): "
            "is it enrolled for the unit it reports for%s? "
            "Nothing is deleted; retrying later",
            reason, ack->reason == CCHC_REASON_REVOKED_AGENT ? ", or was it revoked" : "");
        s_set_error (self, "collector answered without a seq (%s): key not enrolled%s", reason,
                     ack->reason == CCHC_REASON_REVOKED_AGENT ? " (revoked)" : "");
    }
    else if (ack->reason == CCHC_REASON_UNKNOWN_FIELD && s_caps_refused (self)) {
        /*  A collector older than revision 1.2 does not know `caps`:
            handled (the reports go again without it). */
        self->info.answer_problem = 0;
    }
    else if (ack->reason == CCHC_REASON_BAD_SIGNATURE) {
        cchc_log_limited (&self->rl_key, CCHC_LOG_ERROR,
                          "the collector could not verify our report's signature "
                          "(bad_signature): the agent key file is probably not the one "
                          "enrolled (compare `cchc-agent status` with `cchcctl agent list`), "
                          "or the message was altered. Nothing is deleted; retrying later");
        s_set_error (self, "collector answered without a seq (bad_signature): "
                           "signature not verified with the enrolled key");
    }
    else {
        cchc_log_limited (&self->rl_key, CCHC_LOG_ERROR,
                          "the collector could not read our report (%s, %s): a bug in "
                          "this agent or the collector. Nothing is deleted; retrying later",
                          cchc_status_name ((int) ack->status), reason);
        s_set_error (self,
                     "collector answered without a seq (%s): report refused "
                     "before it was read",
                     reason);
    }
    s_backoff_once (self);
}

/*  Revision 1.2: the collector holds a higher seq from our key than a
    message it answered `superseded` in: an earlier outbox.  The outbox has
    moved its counter above it and queued those values again; say so. */
static void
s_note_high (cchc_sender_t *self, const cchc_ack_t *ack)
{
    if (!ack->has_high || ack->high <= ack->seq)
        return;
    uint32_t superseded = 0;
    for (uint32_t i = 0; i < ack->nrejected; i++)
        superseded += ack->rejected [i].reason == CCHC_REASON_SUPERSEDED;
    if (superseded == 0)
        return;
    cchc_log_limited (&self->rl_high, CCHC_LOG_NOTICE,
                      "the collector holds seq %llu from this agent key, above message "
                      "%llu (an earlier outbox, lost or made while the clock was ahead): "
                      "this outbox continues above it, and %u superseded value%s go%s "
                      "again so that %s count%s",
                      (unsigned long long) ack->high, (unsigned long long) ack->seq,
                      superseded, superseded == 1 ? "" : "s", superseded == 1 ? "es" : "",
                      superseded == 1 ? "it" : "they", superseded == 1 ? "s" : "");
}

/*  What to do after the outbox has applied a trusted ack. */
static void
s_after_ack (cchc_sender_t *self, const cchc_ack_t *ack, cchc_outbox_ack_outcome_t outcome,
             uint32_t dead)
{
    switch (outcome) {
        case CCHC_OUTBOX_ACK_DELIVERED:
            s_flight_remove (self, ack->seq);
            self->info.delivered++;
            self->rounds = 0;
            self->info.last_error [0] = 0;
            s_note_high (self, ack);
            if (dead > 0) {
                self->info.dead += dead;
                cchc_error ("message %llu: the collector refused %u observation%s "
                            "(first: %s); see `cchc-agent dead`",
                            (unsigned long long) ack->seq, dead, dead == 1 ? "" : "s",
                            ack->nrejected ? cchc_reason_name ((int) ack->rejected [0].reason)
                                           : "?");
            }
            else
                cchc_debug ("message %llu delivered (%s)", (unsigned long long) ack->seq,
                            cchc_status_name ((int) ack->status));
            break;
        case CCHC_OUTBOX_ACK_DEAD:
            s_flight_remove (self, ack->seq);
            self->info.dead += dead;
            self->rounds = 0;
            cchc_error ("message %llu REJECTED by the collector (%s): %u observation%s "
                        "moved to dead letters, never retried; see `cchc-agent dead`",
                        (unsigned long long) ack->seq, cchc_reason_name ((int) ack->reason),
                        dead, dead == 1 ? "" : "s");
            s_set_error (self, "message %llu rejected: %s", (unsigned long long) ack->seq,
                         cchc_reason_name ((int) ack->reason));
            break;
        case CCHC_OUTBOX_ACK_RETRY:
            cchc_log_limited (&self->rl_retry, CCHC_LOG_WARN,
                              "collector asks to retry later (%s)",
                              cchc_reason_name ((int) ack->reason));
            s_set_error (self, "collector asks to retry later (%s)",
                         cchc_reason_name ((int) ack->reason));
            s_backoff_once (self);
            break;
        case CCHC_OUTBOX_ACK_REQUEUED:
            s_flight_remove (self, ack->seq);
            cchc_notice ("message %llu was made while this computer's clock was ahead; the "
                         "clocks agree now: its values go again in a new message",
                         (unsigned long long) ack->seq);
            break;
        case CCHC_OUTBOX_ACK_UNKNOWN:
            s_flight_remove (self, ack->seq);
            cchc_debug ("ack for message %llu, already gone", (unsigned long long) ack->seq);
            break;
        case CCHC_OUTBOX_ACK_IGNORED:
            cchc_log_limited (&self->rl_ignored, CCHC_LOG_WARN,
                              "ack for message %llu with unknown status %u ignored",
                              (unsigned long long) ack->seq, ack->status);
            break;
    }
}

/*  Receive every answer waiting; the trusted acks are applied to the
    outbox together, in one transaction (one disk sync). */
static void
s_receive (cchc_sender_t *self)
{
    cchc_ack_t batch [S_WINDOW_MAX];
    size_t n = 0;
    while (self->socket && n < S_WINDOW_MAX) {
        cchc_wire_msg_t msg;
        memset (&msg, 0, sizeof msg);
        int rc = cchc_wire_recv (self->socket, false, ZMQ_DONTWAIT, &msg);
        if (rc < 0) {
            if (errno != EAGAIN && errno != EINTR)
                cchc_warn ("receive: %s", zmq_strerror (errno));
            cchc_wire_msg_clear (&msg);
            break;
        }
        if (rc > 0) {
            self->info.ignored++;
            cchc_log_limited (&self->rl_ignored, CCHC_LOG_WARN,
                              "ignored a malformed answer: %s", cchc_reason_name (rc));
        }
        else if (s_trust_ack (self, &msg, &batch [n])) {
            self->info.last_ack_ms = cchc_clock_now_ms ();
            self->info.clock_known = true;
            self->info.clock_ahead_ms = self->info.last_ack_ms - (int64_t) batch [n].time_ms;
            cchc_strlcpy (self->info.acked_endpoint, self->conf.endpoints [self->index],
                          sizeof self->info.acked_endpoint);
            self->failures = 0;
            if (batch [n].seq == 0) {
                s_seq0 (self, &batch [n]);
                cchc_ack_clear (&batch [n]);
            }
            else {
                self->info.answer_problem = 0;
                n++;
            }
        }
        cchc_wire_msg_clear (&msg);
    }
    if (n == 0)
        return;
    cchc_outbox_ack_outcome_t outcomes [S_WINDOW_MAX];
    uint32_t dead [S_WINDOW_MAX];
    char err [512];
    if (cchc_outbox_ack_many (self->outbox, batch, n, cchc_clock_now_ms (), outcomes, dead,
                              err, sizeof err)
        != 0) {
        cchc_error ("cannot record %zu ack%s: %s (the messages will be sent again)", n,
                    n == 1 ? "" : "s", err);
        s_set_error (self, "outbox: %s", err);
    }
    else
        for (size_t i = 0; i < n; i++)
            s_after_ack (self, &batch [i], outcomes [i], dead [i]);
    for (size_t i = 0; i < n; i++)
        cchc_ack_clear (&batch [i]);
}

/*  cchc_outbox_next, telling the operator (once: the row is moved) about
    damaged rows it set aside. */
static int
s_next (cchc_sender_t *self, uint64_t after, cchc_outbox_msg_t *m)
{
    char err [512];
    int rc = cchc_outbox_next (self->outbox, after, m, err, sizeof err);
    if (m->set_aside > 0) {
        self->info.aside += m->set_aside;
        cchc_error ("outbox: message %llu is DAMAGED (%s)%s: set aside, never sent; "
                    "the other messages are sent. See `cchc-agent dead`",
                    (unsigned long long) m->aside_seq, m->aside_reason,
                    m->set_aside > 1 ? " (and more)" : "");
        s_set_error (self, "message %llu damaged (%s): set aside",
                     (unsigned long long) m->aside_seq, m->aside_reason);
    }
    if (rc < 0) {
        cchc_error ("%s", err);
        s_set_error (self, "%s", err);
    }
    return rc;
}

static void
s_send (cchc_sender_t *self)
{
    while (self->socket && self->nflight < self->conf.window) {
        cchc_outbox_msg_t m;
        int rc = s_next (self, self->last_sent, &m);
        if (rc <= 0)
            return;
        rc = cchc_wire_send (self->socket, NULL, 0, cchc_key_public (self->key), m.body, m.len,
                             m.sig, ZMQ_DONTWAIT);
        uint64_t seq = m.seq;
        cchc_outbox_msg_clear (&m);
        if (rc != 0) {
            if (errno != EAGAIN)
                cchc_warn ("send: %s", zmq_strerror (errno));
            return;
        }
        int64_t now = cchc_clock_mono_ms ();
        self->flight [self->nflight].seq = seq;
        self->flight [self->nflight].sent_mono = now;
        self->nflight++;
        self->last_sent = seq;
        self->info.last_send_ms = cchc_clock_now_ms ();
    }
}

int64_t
cchc_sender_pump (cchc_sender_t *self)
{
    assert (self);
    s_receive (self);
    int64_t now = cchc_clock_mono_ms ();

    /*  The oldest message in flight decides the timeout. */
    if (self->nflight > 0 && now - self->flight [0].sent_mono >= self->conf.request_timeout_ms)
        s_fail_over (self);

    /*  Back to the first endpoint after a while on a backup. */
    if (self->socket && self->index != 0 && self->nflight == 0
        && now - self->opened_mono >= self->conf.failback_ms) {
        cchc_info ("trying the first endpoint %s again", self->conf.endpoints [0]);
        s_close (self);
        self->index = 0;
    }

    if (now >= self->backoff_until) {
        if (!self->socket) {
            /*  Only open a socket when there is something to send. */
            cchc_outbox_msg_t m;
            int rc = s_next (self, 0, &m);
            cchc_outbox_msg_clear (&m);
            if (rc == 1 && s_open (self) != 0) {
                self->index = (self->index + 1) % self->conf.nendpoints;
                s_backoff (self);
            }
        }
        s_send (self);
    }

    /*  When to be called again. */
    int64_t wait = 60000;
    if (self->nflight > 0) {
        int64_t t = self->flight [0].sent_mono + self->conf.request_timeout_ms - now;
        wait = t < wait ? t : wait;
    }
    if (self->backoff_until > now) {
        int64_t t = self->backoff_until - now;
        wait = t < wait ? t : wait;
    }
    if (self->socket && self->index != 0) {
        int64_t t = self->opened_mono + self->conf.failback_ms - now;
        wait = t < wait ? t : wait;
    }
    return wait < 0 ? 0 : wait;
}
