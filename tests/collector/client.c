/*  client.c — cchc-test-client: a small agent for the collector's integration
    tests.  It builds reports (good ones, and deliberately broken ones), sends
    them over a DEALER socket, verifies the signed ack against the collector's
    public key and prints it as one line:

        status=accepted reason=none seq=5 rejected=1:unknown_metric

    Commands:
      send    one report, one ack (exit 0 when an ack arrived, 3 when none)
      stream  many reports with a window, re-sending anything unanswered until
              every seq 1..N is acked accepted/duplicate; appends each accepted
              seq to --ack-log as it arrives (for the crash test)
      flood   --kind frames|unknown|badsig --count N [--rate R]: messages that
              fail authentication; prints "sent=N acks=M" (the answers it got)
      freeport  print a free TCP port on 127.0.0.1

    Common options:  --endpoint E  --key FILE (agent secret key)
                     --server FILE.pub (collector public key; acks verified)
                     --curve [--transport-key FILE] (CurveZMQ; the transport key
                     defaults to the agent key's X25519 form)
    send:    --unit U --seq N [--created MS|now|now+MS] [--obs "m,date,v;..."]
             [--tamper BYTE] [--garbage N] [--oversize N] [--timeout MS]
    stream:  --unit U --count N [--window W] [--timeout MS] [--obs-per K]
             [--ack-log FILE] [--deadline MS] [--rate PER_SECOND] [--days D]
    send, stream: [--caps N] the reports' "caps" (default: send 0, stream
             CCHC_CAP_BATCH, so the stream's acks come batch-signed and are
             verified through their proofs with --server)
    In stream, report seq s carries K observations: metric k of the list below,
    date 2010-01-01 + s days (--days D: + s % D days, so the reports replace
    each other's values, the highest seq winning), value s * 1000 + k.
*/
#include "common/clock.h"
#include "common/key.h"
#include "common/period.h"
#include "common/text.h"
#include "tests/collector/metrics.h"
#include "proto/proto.h"
#include "proto/wire.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <sodium.h>
#include <zmq.h>

static const char *s_metrics [] = { CCHC_TEST_METRICS }; /* tests/collector/metrics.h */
#define METRICS_COUNT (sizeof s_metrics / sizeof s_metrics [0])

typedef struct {
    const char *endpoint, *key_file, *server_file, *transport_file, *unit;
    const char *obs_text, *created_text, *ack_log;
    bool curve;
    uint64_t seq, count;
    long tamper, garbage, oversize;
    long timeout_ms, window, obs_per, deadline_ms, rate, days;
    long caps; /* the reports' "caps"; -1: the command's default */
    cchc_key_t *key;
    uint8_t server [32];
    bool have_server;
} s_args_t;

static void
s_die (const char *fmt, const char *arg)
{
    fprintf (stderr, "cchc-test-client: ");
    fprintf (stderr, fmt, arg);
    fputc ('\n', stderr);
    exit (2);
}

static void *
s_connect (void *ctx, const s_args_t *args)
{
    void *socket = zmq_socket (ctx, ZMQ_DEALER);
    int linger = 0, hwm = 100000;
    zmq_setsockopt (socket, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt (socket, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt (socket, ZMQ_RCVHWM, &hwm, sizeof hwm);
    if (args->curve) {
        if (!args->have_server)
            s_die ("%s", "--curve needs --server");
        char server [41], public [41], secret [41];
        cchc_key_t *transport = args->key;
        cchc_key_t *other = NULL;
        if (args->transport_file) {
            char err [256];
            other = cchc_key_load (args->transport_file, err, sizeof err);
            if (!other)
                s_die ("%s", err);
            transport = other;
        }
        if (cchc_key_curve_public_z85 (args->server, server)
            || cchc_key_curve_public_z85 (cchc_key_public (transport), public)
            || cchc_key_curve_secret_z85 (transport, secret))
            s_die ("%s", "cannot derive CurveZMQ keys");
        cchc_key_destroy (&other);
        zmq_setsockopt (socket, ZMQ_CURVE_SERVERKEY, server, 40);
        zmq_setsockopt (socket, ZMQ_CURVE_PUBLICKEY, public, 40);
        zmq_setsockopt (socket, ZMQ_CURVE_SECRETKEY, secret, 40);
        sodium_memzero (secret, sizeof secret);
    }
    if (zmq_connect (socket, args->endpoint))
        s_die ("cannot connect: %s", zmq_strerror (errno));
    return socket;
}

/*  Wait for one ack; print it; fill *out (and *batched: whether it came
    batch-signed, with a proof).  0, or -1 on timeout. */
static int
s_recv_ack (void *socket, const s_args_t *args, long timeout_ms, cchc_ack_t *out, bool print,
            bool *batched)
{
    zmq_pollitem_t item = { socket, 0, ZMQ_POLLIN, 0 };
    int64_t deadline = cchc_clock_mono_ms () + timeout_ms;
    for (;;) {
        long wait = (long) (deadline - cchc_clock_mono_ms ());
        if (wait < 0)
            wait = 0;
        int rc = zmq_poll (&item, 1, wait);
        if (rc == 0)
            return -1;
        if (rc < 0 && errno == EINTR)
            continue;
        cchc_wire_msg_t msg;
        rc = cchc_wire_recv (socket, false, 0, &msg);
        if (rc != 0) {
            if (print)
                printf ("bad-ack-frames reason=%s\n", rc > 0 ? cchc_reason_name (rc) : "zmq");
            cchc_wire_msg_clear (&msg);
            continue;
        }
        int reason = args->have_server
                         ? (memcmp (msg.key, args->server, 32)
                                ? CCHC_REASON_KEY_MISMATCH
                                : cchc_ack_open_proof (args->server, msg.body, msg.body_len,
                                                       msg.sig, msg.proof, msg.nproof, out))
                         : cchc_ack_decode (msg.body, msg.body_len, out);
        if (batched)
            *batched = msg.nproof > 0;
        cchc_wire_msg_clear (&msg);
        if (reason) {
            if (print)
                printf ("bad-ack reason=%s\n", cchc_reason_name (reason));
            continue;
        }
        if (print) {
            printf ("status=%s reason=%s seq=%" PRIu64 " rejected=",
                    cchc_status_name ((int) out->status), cchc_reason_name ((int) out->reason),
                    out->seq);
            for (uint32_t i = 0; i < out->nrejected; i++)
                printf ("%s%u:%s", i ? "," : "", out->rejected [i].index,
                        cchc_reason_name ((int) out->rejected [i].reason));
            printf ("\n");
        }
        return 0;
    }
}

/*  "metric,date,value;..." into report->obs. */
static void
s_parse_obs (const char *text, cchc_report_t *report)
{
    char *copy = strdup (text);
    size_t cap = 1;
    for (const char *p = text; *p; p++)
        if (*p == ';')
            cap++;
    report->obs = calloc (cap, sizeof *report->obs);
    report->nobs = 0;
    char *save = NULL;
    for (char *item = strtok_r (copy, ";", &save); item; item = strtok_r (NULL, ";", &save)) {
        char *metric = strtok (item, ","), *date = strtok (NULL, ","),
             *value = strtok (NULL, ",");
        if (!metric || !date || !value)
            s_die ("bad --obs item '%s'", item);
        cchc_obs_t *obs = &report->obs [report->nobs++];
        cchc_strlcpy (obs->metric, metric, sizeof obs->metric);
        if (cchc_date_parse (date, strlen (date), &obs->date))
            s_die ("bad date '%s'", date);
        if (strchr (value, '.')) {
            obs->is_float = true;
            obs->fval = strtod (value, NULL);
        }
        else
            obs->ival = strtoll (value, NULL, 10);
    }
    free (copy);
}

static uint64_t
s_created (const char *text)
{
    int64_t now = cchc_clock_now_ms ();
    if (!text || strcmp (text, "now") == 0)
        return (uint64_t) now;
    if (strncmp (text, "now+", 4) == 0)
        return (uint64_t) (now + strtoll (text + 4, NULL, 10));
    return strtoull (text, NULL, 10);
}

static int
s_send_raw (void *socket, const uint8_t key [32], const uint8_t *body, size_t len,
            const uint8_t sig [64])
{
    if (zmq_send (socket, key, 32, ZMQ_SNDMORE) == -1
        || zmq_send (socket, body, len, ZMQ_SNDMORE) == -1
        || zmq_send (socket, sig, 64, 0) == -1)
        return -1;
    return 0;
}

static int
s_cmd_send (void *ctx, s_args_t *args)
{
    uint8_t *body = NULL;
    size_t len = 0;
    if (args->garbage || args->oversize) {
        len = (size_t) (args->garbage ? args->garbage : args->oversize);
        body = malloc (len);
        randombytes_buf (body, len);
        if (args->garbage)
            body [0] = 0xc1; /* never-used msgpack byte */
    }
    else {
        cchc_report_t report;
        memset (&report, 0, sizeof report);
        memcpy (report.agent, cchc_key_public (args->key), 32);
        if (!args->unit)
            s_die ("%s", "send needs --unit");
        cchc_strlcpy (report.unit, args->unit, sizeof report.unit);
        report.seq = args->seq;
        report.created_ms = s_created (args->created_text);
        report.caps = args->caps < 0 ? 0 : (uint32_t) args->caps;
        s_parse_obs (args->obs_text ? args->obs_text : "tthc_received,2021-03-01,5", &report);
        int rc = cchc_report_encode (&report, &body, &len);
        free (report.obs);
        if (rc)
            s_die ("cannot encode: %s", cchc_reason_name (rc));
    }
    uint8_t sig [64];
    if (len <= CCHC_PROTO_BODY_MAX)
        cchc_proto_sign (CCHC_KIND_REPORT, args->key, body, len, sig);
    else
        randombytes_buf (sig, sizeof sig); /* cannot be signed: too large */
    if (args->tamper >= 0 && (size_t) args->tamper < len)
        body [args->tamper] ^= 0x01;
    void *socket = s_connect (ctx, args);
    s_send_raw (socket, cchc_key_public (args->key), body, len, sig);
    free (body);
    cchc_ack_t ack;
    int rc = s_recv_ack (socket, args, args->timeout_ms, &ack, true, NULL);
    if (rc == 0)
        cchc_ack_clear (&ack);
    else
        printf ("no-ack\n");
    zmq_close (socket);
    return rc == 0 ? 0 : 3;
}

/* ---------------------------------------------------------------- stream */

typedef struct {
    uint8_t *body;
    size_t len;
    uint8_t sig [64];
    int64_t sent_at; /* mono ms; 0 = not in flight */
    bool done;
} s_msg_t;

static int
s_cmd_stream (void *ctx, s_args_t *args)
{
    if (!args->unit || !args->count)
        s_die ("%s", "stream needs --unit and --count");
    size_t n = (size_t) args->count;
    s_msg_t *msgs = calloc (n + 1, sizeof *msgs);
    cchc_date_t base = cchc_date_from_ymd (2010, 1, 1);
    size_t per = (size_t) args->obs_per;
    if (per < 1 || per > METRICS_COUNT)
        s_die ("%s", "--obs-per out of range");
    if (args->days < 0 || args->days > 100000)
        s_die ("%s", "--days out of range");
    for (size_t s = 1; s <= n; s++) {
        cchc_report_t report;
        memset (&report, 0, sizeof report);
        memcpy (report.agent, cchc_key_public (args->key), 32);
        cchc_strlcpy (report.unit, args->unit, sizeof report.unit);
        report.seq = s;
        report.created_ms = (uint64_t) cchc_clock_now_ms ();
        report.caps = args->caps < 0 ? CCHC_CAP_BATCH : (uint32_t) args->caps;
        report.obs = calloc (per, sizeof *report.obs);
        report.nobs = (uint32_t) per;
        for (size_t k = 0; k < per; k++) {
            cchc_strlcpy (report.obs [k].metric, s_metrics [k], CCHC_METRIC_MAX + 1);
            report.obs [k].date =
                base + (cchc_date_t) (args->days ? s % (size_t) args->days : s);
            report.obs [k].ival = (int64_t) (s * 1000 + k);
        }
        if (cchc_report_encode (&report, &msgs [s].body, &msgs [s].len))
            s_die ("%s", "cannot encode");
        free (report.obs);
        cchc_proto_sign (CCHC_KIND_REPORT, args->key, msgs [s].body, msgs [s].len,
                         msgs [s].sig);
    }
    FILE *log = args->ack_log ? fopen (args->ack_log, "a") : NULL;
    void *socket = s_connect (ctx, args);
    size_t done = 0, next = 1, inflight = 0;
    uint64_t accepted = 0, duplicate = 0, retry = 0, resent = 0, other = 0, batched = 0;
    int64_t deadline = cchc_clock_mono_ms () + args->deadline_ms;
    double next_at = (double) cchc_clock_mono_ms ();
    while (done < n && cchc_clock_mono_ms () < deadline) {
        int64_t now = cchc_clock_mono_ms ();
        /*  Re-send what timed out (the collector may have died with it). */
        for (size_t s = 1; s < next; s++)
            if (!msgs [s].done && msgs [s].sent_at
                && now - msgs [s].sent_at > args->timeout_ms) {
                s_send_raw (socket, cchc_key_public (args->key), msgs [s].body, msgs [s].len,
                            msgs [s].sig);
                msgs [s].sent_at = now;
                resent++;
            }
        while (inflight < (size_t) args->window && next <= n
               && (!args->rate || now >= next_at)) {
            s_send_raw (socket, cchc_key_public (args->key), msgs [next].body, msgs [next].len,
                        msgs [next].sig);
            msgs [next].sent_at = now;
            next++;
            inflight++;
            if (args->rate)
                next_at += 1000.0 / (double) args->rate;
        }
        long wait = 100;
        if (args->rate && next <= n && inflight < (size_t) args->window)
            wait = next_at > now ? (long) (next_at - now) + 1 : 0;
        cchc_ack_t ack;
        bool proof = false;
        if (s_recv_ack (socket, args, wait, &ack, false, &proof))
            continue;
        uint64_t s = ack.seq;
        batched += proof;
        if (s >= 1 && s <= n && !msgs [s].done) {
            if (ack.status == CCHC_STATUS_ACCEPTED || ack.status == CCHC_STATUS_DUPLICATE) {
                msgs [s].done = true;
                done++;
                inflight--;
                if (ack.status == CCHC_STATUS_ACCEPTED) {
                    accepted++;
                    if (log) {
                        fprintf (log, "%" PRIu64 "\n", s);
                        fflush (log);
                    }
                }
                else
                    duplicate++;
            }
            else if (ack.status == CCHC_STATUS_RETRY_LATER) {
                retry++;
                msgs [s].sent_at = 1; /* re-send at the next pass */
            }
            else
                other++;
        }
        cchc_ack_clear (&ack);
    }
    zmq_close (socket);
    if (log)
        fclose (log);
    printf ("acked=%zu of %zu accepted=%" PRIu64 " duplicate=%" PRIu64 " retry_later=%" PRIu64
            " resent=%" PRIu64 " other=%" PRIu64 " batched=%" PRIu64 "\n",
            done, n, accepted, duplicate, retry, resent, other, batched);
    for (size_t s = 1; s <= n; s++)
        free (msgs [s].body);
    free (msgs);
    return done == n && other == 0 ? 0 : 1;
}

/* ----------------------------------------------------------------- flood */

/*  Messages that fail authentication, as fast as allowed (--rate), while
    counting the answers: --kind frames (two frames: the --key's public key
    and a body, no signature), unknown (three frames under a random key) or
    badsig (the --key's public key, a random body and signature).  Reads
    answers until --timeout ms pass without one after the last send.
    Prints "sent=N acks=M". */
static int
s_cmd_flood (void *ctx, s_args_t *args, const char *kind)
{
    if (!args->count || !kind)
        s_die ("%s", "flood needs --count and --kind frames|unknown|badsig");
    bool frames = strcmp (kind, "frames") == 0, unknown = strcmp (kind, "unknown") == 0;
    if (!frames && !unknown && strcmp (kind, "badsig") != 0)
        s_die ("unknown --kind %s", kind);
    void *socket = s_connect (ctx, args);
    uint8_t key [32], body [64], sig [64];
    memcpy (key, cchc_key_public (args->key), 32);
    uint64_t sent = 0, acks = 0;
    double next_at = (double) cchc_clock_mono_ms ();
    int64_t quiet_since = cchc_clock_mono_ms ();
    while (sent < args->count || cchc_clock_mono_ms () - quiet_since < args->timeout_ms) {
        int64_t now = cchc_clock_mono_ms ();
        while (sent < args->count && (!args->rate || now >= next_at)) {
            if (unknown)
                randombytes_buf (key, sizeof key);
            randombytes_buf (body, sizeof body);
            randombytes_buf (sig, sizeof sig);
            body [0] = 0xc1;
            int rc = frames ? (zmq_send (socket, key, 32, ZMQ_SNDMORE) == -1
                                       || zmq_send (socket, body, sizeof body, 0) == -1
                                   ? -1
                                   : 0)
                            : s_send_raw (socket, key, body, sizeof body, sig);
            if (rc)
                break;
            sent++;
            quiet_since = now;
            if (args->rate)
                next_at += 1000.0 / (double) args->rate;
        }
        zmq_pollitem_t item = { socket, 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, 5) > 0) {
            cchc_wire_msg_t msg;
            while (cchc_wire_recv (socket, false, ZMQ_DONTWAIT, &msg) >= 0) {
                acks++;
                quiet_since = cchc_clock_mono_ms ();
                cchc_wire_msg_clear (&msg);
            }
        }
    }
    zmq_close (socket);
    printf ("sent=%" PRIu64 " acks=%" PRIu64 "\n", sent, acks);
    return 0;
}

static int
s_cmd_freeport (void)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr;
    memset (&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd < 0 || bind (fd, (struct sockaddr *) &addr, sizeof addr)
        || getsockname (fd, (struct sockaddr *) &addr, &len))
        return 1;
    printf ("%d\n", ntohs (addr.sin_port));
    close (fd);
    return 0;
}

int
main (int argc, char **argv)
{
    if (sodium_init () < 0 || argc < 2)
        s_die ("%s", "usage: cchc-test-client send|stream|flood|freeport [options]");
    const char *cmd = argv [1];
    if (strcmp (cmd, "freeport") == 0)
        return s_cmd_freeport ();
    s_args_t args;
    memset (&args, 0, sizeof args);
    args.tamper = -1;
    args.timeout_ms = 5000;
    args.window = 20;
    args.obs_per = 30;
    args.deadline_ms = 120000;
    args.seq = 1;
    args.caps = -1;
    const char *kind = NULL;
    for (int i = 2; i < argc; i++) {
        const char *opt = argv [i];
        const char *val = i + 1 < argc ? argv [i + 1] : NULL;
        if (strcmp (opt, "--curve") == 0) {
            args.curve = true;
            continue;
        }
        if (!val)
            s_die ("%s needs a value", opt);
        i++;
        if (strcmp (opt, "--endpoint") == 0)
            args.endpoint = val;
        else if (strcmp (opt, "--key") == 0)
            args.key_file = val;
        else if (strcmp (opt, "--server") == 0)
            args.server_file = val;
        else if (strcmp (opt, "--transport-key") == 0)
            args.transport_file = val;
        else if (strcmp (opt, "--unit") == 0)
            args.unit = val;
        else if (strcmp (opt, "--seq") == 0)
            args.seq = strtoull (val, NULL, 10);
        else if (strcmp (opt, "--count") == 0)
            args.count = strtoull (val, NULL, 10);
        else if (strcmp (opt, "--created") == 0)
            args.created_text = val;
        else if (strcmp (opt, "--obs") == 0)
            args.obs_text = val;
        else if (strcmp (opt, "--tamper") == 0)
            args.tamper = atol (val);
        else if (strcmp (opt, "--garbage") == 0)
            args.garbage = atol (val);
        else if (strcmp (opt, "--oversize") == 0)
            args.oversize = atol (val);
        else if (strcmp (opt, "--timeout") == 0)
            args.timeout_ms = atol (val);
        else if (strcmp (opt, "--window") == 0)
            args.window = atol (val);
        else if (strcmp (opt, "--obs-per") == 0)
            args.obs_per = atol (val);
        else if (strcmp (opt, "--days") == 0)
            args.days = atol (val);
        else if (strcmp (opt, "--ack-log") == 0)
            args.ack_log = val;
        else if (strcmp (opt, "--deadline") == 0)
            args.deadline_ms = atol (val);
        else if (strcmp (opt, "--rate") == 0)
            args.rate = atol (val);
        else if (strcmp (opt, "--kind") == 0)
            kind = val;
        else if (strcmp (opt, "--caps") == 0)
            args.caps = atol (val);
        else
            s_die ("unknown option %s", opt);
    }
    if (!args.endpoint || !args.key_file)
        s_die ("%s", "--endpoint and --key are required");
    char err [256];
    args.key = cchc_key_load (args.key_file, err, sizeof err);
    if (!args.key)
        s_die ("%s", err);
    if (args.server_file) {
        if (cchc_key_load_public (args.server_file, args.server, err, sizeof err))
            s_die ("%s", err);
        args.have_server = true;
    }
    void *ctx = zmq_ctx_new ();
    int rc = 2;
    if (strcmp (cmd, "send") == 0)
        rc = s_cmd_send (ctx, &args);
    else if (strcmp (cmd, "stream") == 0)
        rc = s_cmd_stream (ctx, &args);
    else if (strcmp (cmd, "flood") == 0)
        rc = s_cmd_flood (ctx, &args, kind);
    else
        s_die ("unknown command %s", cmd);
    zmq_ctx_term (ctx);
    cchc_key_destroy (&args.key);
    return rc;
}
