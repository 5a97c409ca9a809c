/*  figclient.c — a test sender of "figures" messages (proto/figures.h) to a
    national collector, for tests/national/national.sh:

      cchc-test-figclient send --endpoint EP --key FILE --server FILE.pub
          --code CODE --period P --version V --seq S [--catalogue FILE]
          [--cat-year Y] [--units N] [--base X] [--tamper] [--timeout MS]
          [--at MS]

    builds a message with N units (index X + unit number modulo 40; X
    default 50), signs it with the
    key (or, with --tamper, flips a body byte after signing), sends it on a
    DEALER and prints the national collector's ack (verified with the
    server's pinned key): "status=NAME reason=NAME seq=N", or "timeout".
    The catalogue identity is SHA-256 of the file's bytes (default: of the
    empty text).  --at: the creation and lock time (UTC ms; default now),
    for deploy/demo-national.sh on the demonstration clock. */
#include "proto/figures.h"
#include "proto/wire.h"
#include "common/clock.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <zmq.h>

static void
s_die (const char *what)
{
    fprintf (stderr, "cchc-test-figclient: %s\n", what);
    exit (2);
}

static uint64_t
s_u64 (const char *s)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull (s, &end, 10);
    if (errno || *end || end == s)
        s_die ("not a number");
    return v;
}

int
main (int argc, char **argv)
{
    if (argc < 2 || strcmp (argv [1], "send") != 0)
        s_die ("usage: cchc-test-figclient send [options]");
    const char *endpoint = NULL, *key_file = NULL, *server_file = NULL, *code = NULL;
    const char *period = NULL, *catalogue = NULL;
    uint64_t version = 1, seq = 1, cat_year = 2021, nunits = 3, base = 50, at = 0;
    long timeout = 5000;
    bool tamper = false;
    for (int i = 2; i < argc; i++) {
        const char *a = argv [i], *v = i + 1 < argc ? argv [i + 1] : NULL;
        if (strcmp (a, "--tamper") == 0) {
            tamper = true;
            continue;
        }
        if (!v)
            s_die ("option without a value");
        i++;
        if (strcmp (a, "--endpoint") == 0)
            endpoint = v;
        else if (strcmp (a, "--key") == 0)
            key_file = v;
        else if (strcmp (a, "--server") == 0)
            server_file = v;
        else if (strcmp (a, "--code") == 0)
            code = v;
        else if (strcmp (a, "--period") == 0)
            period = v;
        else if (strcmp (a, "--catalogue") == 0)
            catalogue = v;
        else if (strcmp (a, "--version") == 0)
            version = s_u64 (v);
        else if (strcmp (a, "--seq") == 0)
            seq = s_u64 (v);
        else if (strcmp (a, "--cat-year") == 0)
            cat_year = s_u64 (v);
        else if (strcmp (a, "--units") == 0)
            nunits = s_u64 (v);
        else if (strcmp (a, "--base") == 0)
            base = s_u64 (v);
        else if (strcmp (a, "--timeout") == 0)
            timeout = (long) s_u64 (v);
        else if (strcmp (a, "--at") == 0)
            at = s_u64 (v);
        else
            s_die ("unknown option");
    }
    if (!endpoint || !key_file || !server_file || !code || !period || nunits > 1000)
        s_die ("--endpoint, --key, --server, --code and --period are required");
    if (sodium_init () < 0)
        s_die ("libsodium");
    char err [256];
    cchc_key_t *key = cchc_key_load (key_file, err, sizeof err);
    uint8_t server [32];
    if (!key || cchc_key_load_public (server_file, server, err, sizeof err) != 0)
        s_die (err);

    cchc_provfig_t f;
    memset (&f, 0, sizeof f);
    memcpy (f.province, cchc_key_public (key), 32);
    snprintf (f.code, sizeof f.code, "%s", code);
    snprintf (f.period, sizeof f.period, "%s", period);
    f.seq = seq;
    f.created_ms = at ? at : (uint64_t) cchc_clock_now_ms ();
    f.version = version;
    f.locked_ms = f.created_ms;
    f.journal = 1;
    f.cat_year = (uint32_t) cat_year;
    if (catalogue) {
        FILE *in = fopen (catalogue, "rb");
        if (!in)
            s_die ("cannot read the catalogue");
        static char text [1 << 20];
        size_t n = fread (text, 1, sizeof text, in);
        fclose (in);
        crypto_hash_sha256 (f.catalogue, (const uint8_t *) text, n);
    }
    else
        crypto_hash_sha256 (f.catalogue, (const uint8_t *) "", 0);
    static char ind [1][CCHC_METRIC_MAX + 1] = { "on_time_rate" };
    static cchc_provfig_unit_t units [1000];
    static cchc_provfig_score_t scores [1000];
    for (uint64_t i = 0; i < nunits; i++) {
        snprintf (units [i].code, sizeof units [i].code, "U%03u", (unsigned) i);
        snprintf (units [i].name, sizeof units [i].name, "Đơn vị %u", (unsigned) i);
        units [i].level = (uint32_t) (i % 3);
        units [i].flags = CCHC_PROVFIG_HAS_INDEX | CCHC_PROVFIG_COMPLETE;
        units [i].index = (double) (base + i % 40);
        if (units [i].index > 100)
            units [i].index = 100;
        units [i].earned = units [i].index / 10;
        units [i].applicable = 10;
        units [i].rank = 1;
        scores [i] = (cchc_provfig_score_t){ 0, 0.5, 5, 10 };
        units [i].scores = &scores [i];
    }
    f.nindicators = 1;
    f.indicators = ind;
    f.parts = 1;
    f.units_total = (uint32_t) nunits;
    f.nunits = (uint32_t) nunits;
    f.units = units;
    cchc_provfig_structure (units, nunits, f.structure);
    uint8_t *body = NULL;
    size_t len = 0;
    if (cchc_provfig_encode (&f, &body, &len) != CCHC_REASON_NONE)
        s_die ("encoder refused the message");
    uint8_t sig [64];
    cchc_provfig_sign (key, body, len, sig);
    if (tamper)
        body [len / 2] ^= 0x01;

    void *ctx = zmq_ctx_new ();
    void *sock = zmq_socket (ctx, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt (sock, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_connect (sock, endpoint) != 0)
        s_die ("cannot connect");
    int rc = 1;
    if (cchc_wire_send (sock, NULL, 0, cchc_key_public (key), body, len, sig, 0) != 0)
        s_die ("cannot send");
    zmq_pollitem_t item = { sock, 0, ZMQ_POLLIN, 0 };
    if (zmq_poll (&item, 1, timeout) == 1) {
        cchc_wire_msg_t msg;
        cchc_ack_t ack;
        if (cchc_wire_recv (sock, false, 0, &msg) == 0 && memcmp (msg.key, server, 32) == 0
            && cchc_ack_open (server, msg.body, msg.body_len, msg.sig, &ack) == 0) {
            printf ("status=%s reason=%s seq=%" PRIu64 "\n",
                    cchc_status_name ((int) ack.status), cchc_reason_name ((int) ack.reason),
                    ack.seq);
            cchc_ack_clear (&ack);
            rc = 0;
        }
        else
            printf ("bad-ack\n");
        cchc_wire_msg_clear (&msg);
    }
    else
        printf ("timeout\n");
    free (body);
    zmq_close (sock);
    zmq_ctx_term (ctx);
    cchc_key_destroy (&key);
    return rc;
}
