/*  fuzz_report.c — libFuzzer target: arbitrary bytes as a report body.

    Checks, beyond "no crash, no leak, no undefined behaviour":
    - decode either succeeds with fields inside every documented limit, or
      fails with a reason and leaves the struct cleared;
    - a decoded report re-encodes (canonically), decodes again to the same
      fields, and the canonical bytes are a fixed point of decode+encode;
    - the same bytes, signed with the fixed key, go through cchc_report_open
      to the same outcome as decode (key_mismatch when "agent" is another
      key); with a wrong signature they are never accepted;
    - the re-encoded report, with "agent" set to the fixed key and signed,
      is accepted by cchc_report_open.
*/
#include "fuzz/proto/fuzz_proto.h"

#include <math.h>

static void
s_check_limits (const cchc_report_t *r)
{
    if (r->nobs < 1 || r->nobs > CCHC_PROTO_OBS_MAX || !r->obs || r->seq < 1
        || r->seq > (uint64_t) CCHC_PROTO_SEQ_MAX || r->created_ms > (uint64_t) INT64_MAX
        || !cchc_unit_code_valid (r->unit, strlen (r->unit)))
        abort ();
    for (uint32_t i = 0; i < r->nobs; i++) {
        const cchc_obs_t *o = &r->obs [i];
        if (!cchc_metric_code_valid (o->metric, strlen (o->metric)))
            abort ();
        if (o->is_float && !isfinite (o->fval))
            abort ();
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    cchc_key_t *key = s_fuzz_key ();
    const uint8_t *pk = cchc_key_public (key);

    cchc_report_t r;
    uint8_t agent [CCHC_KEY_PUBLIC_BYTES];
    int rc = cchc_report_decode (data, size, &r);
    memcpy (agent, r.agent, sizeof agent);
    if (rc != CCHC_REASON_NONE) {
        if (r.obs || r.nobs)
            abort ();
    }
    else {
        s_check_limits (&r);
        uint8_t *body = NULL;
        size_t len = 0;
        int erc = cchc_report_encode (&r, &body, &len);
        /*  float 32 values widen to float 64: a body near the limit may not
            fit once re-encoded.  Nothing else may fail. */
        if (erc == CCHC_REASON_TOO_LARGE) {
            if (size < CCHC_PROTO_BODY_MAX - 4 * CCHC_PROTO_OBS_MAX)
                abort ();
        }
        else if (erc != CCHC_REASON_NONE)
            abort ();
        else {
            cchc_report_t again;
            if (cchc_report_decode (body, len, &again) != CCHC_REASON_NONE
                || !s_report_equal (&r, &again))
                abort ();
            uint8_t *body2 = NULL;
            size_t len2 = 0;
            if (cchc_report_encode (&again, &body2, &len2) != CCHC_REASON_NONE || len2 != len
                || memcmp (body, body2, len) != 0)
                abort ();
            free (body2);
            cchc_report_clear (&again);
            free (body);

            /*  As our own report: sign and open. */
            memcpy (r.agent, pk, CCHC_KEY_PUBLIC_BYTES);
            if (cchc_report_encode (&r, &body, &len) != CCHC_REASON_NONE)
                abort ();
            uint8_t sig [64];
            cchc_proto_sign (CCHC_KIND_REPORT, key, body, len, sig);
            if (cchc_report_open (pk, body, len, sig, &again) != CCHC_REASON_NONE
                || !s_report_equal (&r, &again))
                abort ();
            cchc_report_clear (&again);
        }
        free (body);
        cchc_report_clear (&r);
    }

    /*  The raw bytes through _open: signed with the fixed key, and not. */
    uint8_t sig [64];
    memset (sig, 0, sizeof sig);
    cchc_report_t o;
    int orc = cchc_report_open (pk, data, size, sig, &o);
    if (orc == CCHC_REASON_NONE)
        abort ();
    if (size >= 1 && size <= CCHC_PROTO_BODY_MAX) {
        cchc_proto_sign (CCHC_KIND_REPORT, key, data, size, sig);
        orc = cchc_report_open (pk, data, size, sig, &o);
        int want = rc;
        if (rc == CCHC_REASON_NONE && memcmp (agent, pk, CCHC_KEY_PUBLIC_BYTES) != 0)
            want = CCHC_REASON_KEY_MISMATCH;
        if (orc != want)
            abort ();
        if (orc == CCHC_REASON_NONE)
            cchc_report_clear (&o);
        /*  A report signature never opens as an ack. */
        cchc_ack_t a;
        if (cchc_ack_open (pk, data, size, sig, &a) != CCHC_REASON_BAD_SIGNATURE)
            abort ();
    }
    return 0;
}
