/*  fuzz_figures.c — libFuzzer target: arbitrary bytes as a "figures" body
    (proto/figures.h, PROTOCOL.md §15).

    Checks, beyond "no crash, no leak, no undefined behaviour":
    - decode either succeeds with every field inside its documented limit,
      or fails with a reason and leaves the struct cleared;
    - a decoded message re-encodes, and the re-encoded bytes decode and
      encode again to themselves (canonical fixed point);
    - the bytes signed as figures open with the same outcome as decode
      (key_mismatch when "province" is another key); unsigned, never; a
      figures signature never opens the bytes as a report. */
#include "fuzz/proto/fuzz_proto.h"
#include "proto/figures.h"

#include <math.h>

static void
s_check_limits (const cchc_provfig_t *f)
{
    if (f->seq < 1 || f->seq > (uint64_t) CCHC_PROTO_SEQ_MAX || f->version < 1 || f->parts < 1
        || f->parts > CCHC_PROVFIG_PARTS_MAX || f->part >= f->parts || f->nindicators < 1
        || f->nindicators > CCHC_PROVFIG_INDICATORS_MAX || f->nunits > CCHC_PROVFIG_UNITS_MAX
        || f->nunits > f->units_total || (f->part > 0 && f->nfigures > 0)
        || !cchc_unit_code_valid (f->code, strlen (f->code)))
        abort ();
    for (uint32_t i = 0; i < f->nfigures; i++)
        if (f->figures [i].indicator >= f->nindicators || !isfinite (f->figures [i].value))
            abort ();
    for (uint32_t i = 0; i < f->nunits; i++)
        if (f->units [i].level > 2 || !isfinite (f->units [i].index)
            || !cchc_unit_code_valid (f->units [i].code, strlen (f->units [i].code)))
            abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    cchc_key_t *key = s_fuzz_key ();
    const uint8_t *pk = cchc_key_public (key);
    cchc_provfig_t f;
    uint8_t province [CCHC_KEY_PUBLIC_BYTES];
    int rc = cchc_provfig_decode (data, size, &f);
    memcpy (province, f.province, sizeof province);
    if (rc != CCHC_REASON_NONE) {
        if (f.units || f.nunits || f.indicators || f.figures)
            abort ();
    }
    else {
        s_check_limits (&f);
        uint8_t *body = NULL, *body2 = NULL;
        size_t len = 0, len2 = 0;
        int erc = cchc_provfig_encode (&f, &body, &len);
        if (erc != CCHC_REASON_NONE && erc != CCHC_REASON_TOO_LARGE)
            abort ();
        if (erc == CCHC_REASON_NONE) {
            cchc_provfig_t g;
            if (cchc_provfig_decode (body, len, &g) != CCHC_REASON_NONE)
                abort ();
            if (cchc_provfig_encode (&g, &body2, &len2) != CCHC_REASON_NONE || len2 != len
                || memcmp (body, body2, len) != 0)
                abort ();
            cchc_provfig_clear (&g);
        }
        free (body);
        free (body2);
        cchc_provfig_clear (&f);
    }
    uint8_t sig [64];
    memset (sig, 0, sizeof sig);
    cchc_provfig_t o;
    if (cchc_provfig_open (pk, data, size, sig, &o) == CCHC_REASON_NONE)
        abort ();
    if (size >= 1 && size <= CCHC_PROTO_BODY_MAX) {
        cchc_provfig_sign (key, data, size, sig);
        int orc = cchc_provfig_open (pk, data, size, sig, &o);
        int want = rc;
        if (rc == CCHC_REASON_NONE && memcmp (province, pk, CCHC_KEY_PUBLIC_BYTES) != 0)
            want = CCHC_REASON_KEY_MISMATCH;
        if (orc != want)
            abort ();
        if (orc == CCHC_REASON_NONE)
            cchc_provfig_clear (&o);
        cchc_report_t r;
        if (cchc_report_open (pk, data, size, sig, &r) != CCHC_REASON_BAD_SIGNATURE)
            abort ();
    }
    return 0;
}
