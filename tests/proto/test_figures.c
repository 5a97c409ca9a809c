/*  test_figures.c — the "figures" message (proto/figures.h, PROTOCOL.md
    §15): round trip, the size plan (200 units need parts; each part fits),
    strict refusals with their reasons, signature domain separation, and
    the small message of the §15 test vector (`test_figures --vector`
    prints it, which is how the document's vector was made). */
#define _GNU_SOURCE
#include "proto/figures.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "tests/test.h"

static const uint8_t s_seed [32] = { /* RFC 8032 TEST 1 */
                                     0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60,
                                     0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec, 0x2c, 0xc4,
                                     0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19,
                                     0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60
};

static char s_ind [2][CCHC_METRIC_MAX + 1] = { "tthc_ontime", "report_on_time" };
static cchc_provfig_score_t s_scores [2][2] = { { { 0, 0.9, 18, 20 }, { 0, 1, 10, 10 } },
                                                { { 2, 0, 0, 20 }, { 1, 0, 0, 0 } } };
static cchc_provfig_figure_t s_figs [1] = { { 0, -1,
                                              CCHC_PROVFIG_HAS_DENOMINATOR
                                                  | CCHC_PROVFIG_HAS_VALUE
                                                  | CCHC_PROVFIG_HAS_TARGET | CCHC_PROVFIG_MET,
                                              45, 50, 0.9, 0.8, 1, 1 } };

/*  The vector's message (PROTOCOL.md §15.6). */
static void
s_small (cchc_provfig_t *f, const cchc_key_t *key)
{
    static cchc_provfig_unit_t units [2];
    memset (f, 0, sizeof *f);
    memset (units, 0, sizeof units);
    strcpy (units [0].code, "STNV");
    strcpy (units [0].name, "Sở Nội vụ");
    units [0].level = 0;
    units [0].flags = CCHC_PROVFIG_HAS_INDEX | CCHC_PROVFIG_COMPLETE | CCHC_PROVFIG_ON_TIME;
    units [0].index = 93.75;
    units [0].earned = 28;
    units [0].applicable = 30;
    units [0].rank = 1;
    units [0].scores = s_scores [0];
    strcpy (units [1].code, "08001");
    strcpy (units [1].parent, "TP");
    strcpy (units [1].name, "Phường Phan Thiết");
    units [1].level = 2;
    units [1].flags = 0;
    units [1].scores = s_scores [1];
    memcpy (f->province, cchc_key_public (key), 32);
    strcpy (f->code, "08");
    f->seq = 1;
    f->created_ms = 1619110800000ULL; /* 2021-04-22T17:00:00Z */
    strcpy (f->period, "2021-Q1");
    f->version = 1;
    f->locked_ms = 1619024400000ULL; /* 2021-04-22 00:00 local */
    f->journal = 4711;
    crypto_hash_sha256 (f->catalogue, (const uint8_t *) "catalogue", 9);
    f->cat_year = 2021;
    cchc_provfig_structure (units, 2, f->structure);
    f->part = 0;
    f->parts = 1;
    f->units_total = 2;
    f->nindicators = 2;
    f->indicators = s_ind;
    f->nfigures = 1;
    f->figures = s_figs;
    f->nunits = 2;
    f->units = units;
}

static void
s_hex_print (const char *name, const uint8_t *b, size_t n)
{
    printf ("%s: ", name);
    for (size_t i = 0; i < n; i++)
        printf ("%02x", b [i]);
    printf ("\n");
}

static void
test_round_trip (void)
{
    cchc_key_t *key = cchc_key_new_from_seed (s_seed);
    CHECK (key);
    cchc_provfig_t f;
    s_small (&f, key);
    uint8_t *body = NULL;
    size_t len = 0;
    CHECK_EQ_INT (cchc_provfig_encode (&f, &body, &len), CCHC_REASON_NONE);
    uint8_t sig [64];
    cchc_provfig_sign (key, body, len, sig);
    cchc_provfig_t g;
    CHECK_EQ_INT (cchc_provfig_open (cchc_key_public (key), body, len, sig, &g),
                  CCHC_REASON_NONE);
    CHECK_EQ_STR (g.code, "08");
    CHECK_EQ_STR (g.period, "2021-Q1");
    CHECK_EQ_INT (g.version, 1);
    CHECK_EQ_INT (g.journal, 4711);
    CHECK_EQ_INT (g.nunits, 2);
    CHECK_EQ_STR (g.units [0].name, "Sở Nội vụ");
    CHECK_EQ_STR (g.units [1].parent, "TP");
    CHECK_NEAR (g.units [0].index, 93.75, 0);
    CHECK_EQ_INT (g.units [1].scores [0].state, 2);
    CHECK_NEAR (g.units [0].scores [0].value, 0.9, 0);
    CHECK_EQ_INT (g.nfigures, 1);
    CHECK_EQ_INT (g.figures [0].level, -1);
    CHECK_NEAR (g.figures [0].target, 0.8, 0);
    CHECK (memcmp (g.structure, f.structure, 32) == 0);
    /*  Re-encoding what was decoded gives the same bytes (canonical). */
    uint8_t *again = NULL;
    size_t alen = 0;
    CHECK_EQ_INT (cchc_provfig_encode (&g, &again, &alen), CCHC_REASON_NONE);
    CHECK (alen == len && memcmp (again, body, len) == 0);
    free (again);
    cchc_provfig_clear (&g);
    CHECK (g.units == NULL && g.nunits == 0);

    /*  Domain separation: the same bytes signed as a report do not verify
        as figures, and figures do not verify as a report. */
    uint8_t rsig [64];
    cchc_proto_sign (CCHC_KIND_REPORT, key, body, len, rsig);
    CHECK_EQ_INT (cchc_provfig_open (cchc_key_public (key), body, len, rsig, &g),
                  CCHC_REASON_BAD_SIGNATURE);
    CHECK (cchc_proto_verify (CCHC_KIND_REPORT, cchc_key_public (key), body, len, sig) != 0);
    /*  Tampered byte: bad signature, nothing decoded. */
    body [len - 1] ^= 1;
    CHECK_EQ_INT (cchc_provfig_open (cchc_key_public (key), body, len, sig, &g),
                  CCHC_REASON_BAD_SIGNATURE);
    CHECK (g.units == NULL);
    body [len - 1] ^= 1;
    /*  Another key in "province": key_mismatch. */
    uint8_t other_seed [32];
    memset (other_seed, 3, 32);
    cchc_key_t *other = cchc_key_new_from_seed (other_seed);
    cchc_provfig_sign (other, body, len, sig);
    CHECK_EQ_INT (cchc_provfig_open (cchc_key_public (other), body, len, sig, &g),
                  CCHC_REASON_KEY_MISMATCH);
    cchc_key_destroy (&other);
    free (body);
    cchc_key_destroy (&key);
}

static void
test_encoder_refuses (void)
{
    cchc_key_t *key = cchc_key_new_from_seed (s_seed);
    cchc_provfig_t f;
    uint8_t *body = NULL;
    size_t len = 0;
    s_small (&f, key);
    strcpy (f.period, "2021-q1");
    CHECK_EQ_INT (cchc_provfig_encode (&f, &body, &len), CCHC_REASON_BAD_DATE);
    s_small (&f, key);
    f.version = 0;
    CHECK_EQ_INT (cchc_provfig_encode (&f, &body, &len), CCHC_REASON_BAD_VALUE);
    s_small (&f, key);
    f.part = 1;
    CHECK_EQ_INT (cchc_provfig_encode (&f, &body, &len), CCHC_REASON_BAD_VALUE);
    s_small (&f, key);
    f.parts = 2;
    f.part = 1; /* figures only in part 0 */
    CHECK_EQ_INT (cchc_provfig_encode (&f, &body, &len), CCHC_REASON_BAD_COUNT);
    s_small (&f, key);
    f.units_total = 1;
    CHECK_EQ_INT (cchc_provfig_encode (&f, &body, &len), CCHC_REASON_BAD_COUNT);
    s_small (&f, key);
    f.units [0].index = NAN;
    CHECK_EQ_INT (cchc_provfig_encode (&f, &body, &len), CCHC_REASON_BAD_VALUE);
    s_small (&f, key);
    f.units [0].name [0] = (char) 0xff;
    CHECK_EQ_INT (cchc_provfig_encode (&f, &body, &len), CCHC_REASON_BAD_UTF8);
    s_small (&f, key);
    strcpy (f.code, "bad code");
    CHECK_EQ_INT (cchc_provfig_encode (&f, &body, &len), CCHC_REASON_BAD_CODE);
    s_small (&f, key);
    f.figures [0].indicator = 2;
    CHECK_EQ_INT (cchc_provfig_encode (&f, &body, &len), CCHC_REASON_BAD_VALUE);
    f.figures [0].indicator = 0;
    CHECK (body == NULL);
    cchc_key_destroy (&key);
}

/*  The size plan: a province of 200 units with a 40-indicator catalogue,
    the longest codes and names, does not fit one body; 8 parts of 25 units
    each do (about 1.4 KB per unit). */
static void
test_size_plan (void)
{
    cchc_key_t *key = cchc_key_new_from_seed (s_seed);
    enum { N = 200, K = 40 };
    char (*ind) [CCHC_METRIC_MAX + 1] = calloc (K, sizeof *ind);
    cchc_provfig_unit_t *units = calloc (N, sizeof *units);
    cchc_provfig_score_t *scores = calloc ((size_t) N * K, sizeof *scores);
    CHECK (ind && units && scores);
    for (int i = 0; i < K; i++)
        snprintf (ind [i], sizeof ind [i], "indicator_with_a_long_code_%02d", i);
    for (int i = 0; i < N; i++) {
        snprintf (units [i].code, sizeof units [i].code, "U%015d", i);
        snprintf (units [i].parent, sizeof units [i].parent, "P%015d", i / 10);
        memset (units [i].name, 'x', CCHC_PROVFIG_NAME_MAX);
        units [i].level = 2;
        units [i].flags = 7;
        units [i].index = 1.0 / 3.0;
        units [i].earned = 2.0 / 3.0;
        units [i].applicable = 100;
        units [i].rank = (uint32_t) i + 1;
        units [i].scores = scores + (size_t) i * K;
        for (int j = 0; j < K; j++)
            units [i].scores [j] = (cchc_provfig_score_t){ 0, 1.0 / 7.0, 2.5, 3 };
    }
    cchc_provfig_t f;
    memset (&f, 0, sizeof f);
    memcpy (f.province, cchc_key_public (key), 32);
    strcpy (f.code, "08");
    f.seq = 1;
    strcpy (f.period, "2025-Q3");
    f.version = 1;
    f.parts = 1;
    f.units_total = N;
    f.nindicators = K;
    f.indicators = ind;
    f.units = units;
    f.nunits = N;
    uint8_t *body = NULL;
    size_t len = 0;
    CHECK_EQ_INT (cchc_provfig_encode (&f, &body, &len), CCHC_REASON_TOO_LARGE);
    f.parts = 8;
    size_t biggest = 0;
    for (uint32_t p = 0; p < 8; p++) {
        f.part = p;
        f.units = units + p * 25;
        f.nunits = 25;
        CHECK_EQ_INT (cchc_provfig_encode (&f, &body, &len), CCHC_REASON_NONE);
        if (len > biggest)
            biggest = len;
        cchc_provfig_t g;
        CHECK_EQ_INT (cchc_provfig_decode (body, len, &g), CCHC_REASON_NONE);
        CHECK_EQ_INT (g.nunits, 25);
        CHECK_EQ_INT (g.part, p);
        cchc_provfig_clear (&g);
        free (body);
        body = NULL;
    }
    fprintf (stderr, "200 units x 40 indicators, 8 parts: largest body %zu bytes\n", biggest);
    CHECK (biggest <= CCHC_PROTO_BODY_MAX);
    free (ind);
    free (units);
    free (scores);
    cchc_key_destroy (&key);
}

/*  Decoder refusals on hand-made bodies (first failure decides). */
static void
test_decoder_refuses (void)
{
    cchc_key_t *key = cchc_key_new_from_seed (s_seed);
    cchc_provfig_t f, g;
    s_small (&f, key);
    uint8_t *body = NULL;
    size_t len = 0;
    CHECK_EQ_INT (cchc_provfig_encode (&f, &body, &len), CCHC_REASON_NONE);
    /*  Every truncation is malformed; never a crash. */
    for (size_t n = 1; n < len; n++)
        CHECK_EQ_INT (cchc_provfig_decode (body, n, &g), CCHC_REASON_MALFORMED);
    /*  A report body is not a figures body: unknown and missing keys. */
    static const uint8_t only_v [] = { 0x81, 0xa1, 0x76, 0x01 };
    CHECK_EQ_INT (cchc_provfig_decode (only_v, sizeof only_v, &g), CCHC_REASON_MISSING_FIELD);
    static const uint8_t v2 [] = { 0x81, 0xa1, 0x76, 0x02 };
    CHECK_EQ_INT (cchc_provfig_decode (v2, sizeof v2, &g), CCHC_REASON_BAD_VERSION);
    /*  "period" value "2021-Q1" -> "2021-Q5": bad_date. */
    uint8_t *p = memmem (body, len, "2021-Q1", 7);
    CHECK (p);
    p [6] = '5';
    CHECK_EQ_INT (cchc_provfig_decode (body, len, &g), CCHC_REASON_BAD_DATE);
    p [6] = '1';
    /*  Restored: decodes again. */
    CHECK_EQ_INT (cchc_provfig_decode (body, len, &g), CCHC_REASON_NONE);
    cchc_provfig_clear (&g);
    free (body);
    cchc_key_destroy (&key);
}

int
main (int argc, char **argv)
{
    if (sodium_init () < 0)
        return 1;
    if (argc > 1 && strcmp (argv [1], "--vector") == 0) {
        cchc_key_t *key = cchc_key_new_from_seed (s_seed);
        cchc_provfig_t f;
        s_small (&f, key);
        uint8_t *body = NULL;
        size_t len = 0;
        if (cchc_provfig_encode (&f, &body, &len) != CCHC_REASON_NONE)
            return 1;
        uint8_t sig [64];
        cchc_provfig_sign (key, body, len, sig);
        s_hex_print ("catalogue", f.catalogue, 32);
        s_hex_print ("structure", f.structure, 32);
        printf ("signed_length: %zu\n", len + 16);
        s_hex_print ("body", body, len);
        s_hex_print ("signature", sig, 64);
        free (body);
        cchc_key_destroy (&key);
        return 0;
    }
    CCHC_TEST_RUN (test_round_trip);
    CCHC_TEST_RUN (test_encoder_refuses);
    CCHC_TEST_RUN (test_size_plan);
    CCHC_TEST_RUN (test_decoder_refuses);
    return CCHC_TEST_DONE ();
}
