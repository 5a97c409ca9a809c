/*  fake_collector.c — a misbehaving collector for the end-to-end tests.

      fake_collector --bind ENDPOINT --mode wrong-key|silent|v1.1
                     [--claim FILE.pub] [--key FILE] [--count-file FILE]

    Binds a ROUTER, receives reports (verifying them like a collector would)
    and, in mode wrong-key, answers each with an "accepted" ack signed by a
    fresh random key; with --claim, frame 0 carries the public key from
    FILE.pub (the real collector's) so only the signature gives it away.
    In mode silent it never answers.  In mode v1.1 it is a collector of
    protocol revision 1.1 signing with --key (the real collector's secret
    key): a report carrying the revision-1.2 key `caps` is answered as a
    1.1 decoder does (seq 0, rejected, unknown_field, agent = frame 0), any
    other "accepted"; --count-file then counts the accepted ones and each
    accepted observation is appended to FILE.obs as "metric date value".
    After every report it rewrites
    --count-file with the number of reports received.  Runs until SIGTERM
    or SIGINT. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "common/clock.h"
#include "common/key.h"
#include "proto/wire.h"

static volatile sig_atomic_t s_stop = 0;

static void
s_on_signal (int sig)
{
    (void) sig;
    s_stop = 1;
}

int
main (int argc, char **argv)
{
    const char *bind = NULL, *mode = NULL, *claim = NULL, *count_file = NULL;
    const char *key_file = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp (argv [i], "--bind") == 0)
            bind = argv [i + 1];
        else if (strcmp (argv [i], "--mode") == 0)
            mode = argv [i + 1];
        else if (strcmp (argv [i], "--claim") == 0)
            claim = argv [i + 1];
        else if (strcmp (argv [i], "--key") == 0)
            key_file = argv [i + 1];
        else if (strcmp (argv [i], "--count-file") == 0)
            count_file = argv [i + 1];
    }
    bool old = mode && strcmp (mode, "v1.1") == 0;
    if (!bind || !mode || (strcmp (mode, "wrong-key") && strcmp (mode, "silent") && !old)
        || (old && !key_file)) {
        fprintf (stderr, "usage: fake_collector --bind EP --mode wrong-key|silent|v1.1 "
                         "[--claim FILE.pub] [--key FILE] [--count-file FILE]\n");
        return 2;
    }
    bool silent = strcmp (mode, "silent") == 0;
    uint8_t claimed [32];
    char err [256];
    cchc_key_t *key = old ? cchc_key_load (key_file, err, sizeof err) : cchc_key_new ();
    if (!key) {
        fprintf (stderr, "fake_collector: %s\n", old ? err : "no key");
        return 1;
    }
    memcpy (claimed, cchc_key_public (key), 32);
    if (claim && cchc_key_load_public (claim, claimed, err, sizeof err) != 0) {
        fprintf (stderr, "fake_collector: %s\n", err);
        return 1;
    }
    struct sigaction sa;
    memset (&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigaction (SIGTERM, &sa, NULL);
    sigaction (SIGINT, &sa, NULL);
    void *ctx = zmq_ctx_new ();
    void *sock = zmq_socket (ctx, ZMQ_ROUTER);
    int zero = 0;
    zmq_setsockopt (sock, ZMQ_LINGER, &zero, sizeof zero);
    if (zmq_bind (sock, bind) != 0) {
        fprintf (stderr, "fake_collector: bind %s: %s\n", bind, zmq_strerror (zmq_errno ()));
        return 1;
    }
    long count = 0;
    while (!s_stop) {
        zmq_pollitem_t item = { sock, 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, 200) <= 0)
            continue;
        cchc_wire_msg_t m;
        memset (&m, 0, sizeof m);
        int rc = cchc_wire_recv (sock, true, ZMQ_DONTWAIT, &m);
        cchc_report_t r;
        if (rc == 0
            && cchc_report_open (m.key, m.body, m.body_len, m.sig, &r) == CCHC_REASON_NONE) {
            bool refuse = old && r.caps != 0;
            count += !refuse;
            if (old && !refuse && count_file) {
                char path [4096];
                snprintf (path, sizeof path, "%s.obs", count_file);
                FILE *f = fopen (path, "a");
                for (uint32_t i = 0; f && i < r.nobs; i++) {
                    char date [11];
                    cchc_date_format (r.obs [i].date, date, sizeof date);
                    fprintf (f, "%s %s %lld\n", r.obs [i].metric, date,
                             (long long) r.obs [i].ival);
                }
                if (f)
                    fclose (f);
            }
            if (count_file) {
                FILE *f = fopen (count_file, "w");
                if (f) {
                    fprintf (f, "%ld\n", count);
                    fclose (f);
                }
            }
            if (!silent) {
                cchc_ack_t ack;
                memset (&ack, 0, sizeof ack);
                memcpy (ack.agent, r.agent, 32);
                ack.seq = refuse ? 0 : r.seq;
                ack.status = refuse ? CCHC_STATUS_REJECTED : CCHC_STATUS_ACCEPTED;
                ack.reason = refuse ? CCHC_REASON_UNKNOWN_FIELD : CCHC_REASON_NONE;
                ack.time_ms = (uint64_t) cchc_clock_now_ms ();
                uint8_t *body;
                size_t len;
                if (cchc_ack_encode (&ack, &body, &len) == CCHC_REASON_NONE) {
                    uint8_t sig [64];
                    cchc_proto_sign (CCHC_KIND_ACK, key, body, len, sig);
                    cchc_wire_send (sock, m.routing_id, m.routing_len, claimed, body, len, sig,
                                    0);
                    free (body);
                }
            }
            cchc_report_clear (&r);
        }
        cchc_wire_msg_clear (&m);
    }
    zmq_close (sock);
    zmq_ctx_term (ctx);
    cchc_key_destroy (&key);
    printf ("%ld\n", count);
    return 0;
}
