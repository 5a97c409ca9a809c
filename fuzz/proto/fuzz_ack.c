/*  fuzz_ack.c — libFuzzer target: arbitrary bytes as an ack body.

    Checks, beyond "no crash, no leak, no undefined behaviour":
    - decode either succeeds with fields inside every documented limit
      (status 0..3, seq and time within int64, rejected indexes ascending
      and below 1000, the optional "high" of revision 1.2 within int64 when
      present and 0 when absent), or fails with a reason and leaves the struct cleared;
    - a decoded ack re-encodes, decodes again to the same fields, and the
      canonical bytes are a fixed point of decode+encode;
    - the same bytes as a batch's leaf (revision 1.3) open through
      cchc_ack_open_proof with the root's signature only;
    - the same bytes, signed with the fixed key, go through cchc_ack_open to
      the same outcome as decode; with a wrong signature, or as a report,
      they are never accepted.
*/
#include "fuzz/proto/fuzz_proto.h"

static void
s_check_limits (const cchc_ack_t *a)
{
    if (a->seq > (uint64_t) CCHC_PROTO_SEQ_MAX || a->status > CCHC_STATUS_RETRY_LATER
        || a->time_ms > (uint64_t) INT64_MAX || a->nrejected > CCHC_PROTO_OBS_MAX
        || (a->nrejected > 0 && !a->rejected) || a->high > (uint64_t) CCHC_PROTO_SEQ_MAX
        || (!a->has_high && a->high != 0))
        abort ();
    for (uint32_t i = 0; i < a->nrejected; i++) {
        if (a->rejected [i].index >= CCHC_PROTO_OBS_MAX)
            abort ();
        if (i > 0 && a->rejected [i].index <= a->rejected [i - 1].index)
            abort ();
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    cchc_key_t *key = s_fuzz_key ();
    const uint8_t *pk = cchc_key_public (key);

    cchc_ack_t a;
    int rc = cchc_ack_decode (data, size, &a);
    if (rc != CCHC_REASON_NONE) {
        if (a.rejected || a.nrejected || a.has_high || a.high)
            abort ();
    }
    else {
        s_check_limits (&a);
        uint8_t *body = NULL;
        size_t len = 0;
        if (cchc_ack_encode (&a, &body, &len) != CCHC_REASON_NONE)
            abort ();
        cchc_ack_t again;
        if (cchc_ack_decode (body, len, &again) != CCHC_REASON_NONE
            || !s_ack_equal (&a, &again))
            abort ();
        uint8_t *body2 = NULL;
        size_t len2 = 0;
        if (cchc_ack_encode (&again, &body2, &len2) != CCHC_REASON_NONE || len2 != len
            || memcmp (body, body2, len) != 0)
            abort ();
        /*  Canonical is never longer than what was decoded. */
        if (len > size)
            abort ();
        free (body2);
        free (body);
        cchc_ack_clear (&again);
        cchc_ack_clear (&a);
    }

    uint8_t sig [64];
    memset (sig, 0xff, sizeof sig);
    cchc_ack_t o;
    if (cchc_ack_open (pk, data, size, sig, &o) == CCHC_REASON_NONE)
        abort ();
    if (size >= 1 && size <= CCHC_PROTO_BODY_MAX) {
        cchc_proto_sign (CCHC_KIND_ACK, key, data, size, sig);
        int orc = cchc_ack_open (pk, data, size, sig, &o);
        if (orc != rc)
            abort ();
        if (orc == CCHC_REASON_NONE)
            cchc_ack_clear (&o);
        cchc_report_t r;
        if (cchc_report_open (pk, data, size, sig, &r) != CCHC_REASON_BAD_SIGNATURE)
            abort ();
        /*  Revision 1.3: the same bytes as one leaf of a batch, the proof
            taken from the input's first bytes (1 .. 4 hashes): the root's
            signature opens it with the decoder's answer, and the ack's own
            signature never passes as the root's. */
        uint8_t proof [4 * CCHC_PROTO_HASH_BYTES] = { 0 }, root [CCHC_PROTO_HASH_BYTES];
        size_t nproof = 1 + size % 4;
        memcpy (proof, data, size < sizeof proof ? size : sizeof proof);
        cchc_ack_root (data, size, proof, nproof, root);
        if (cchc_ack_open_proof (pk, data, size, sig, proof, nproof, &o)
            != CCHC_REASON_BAD_SIGNATURE)
            abort ();
        cchc_proto_sign (CCHC_KIND_ACKS, key, root, sizeof root, sig);
        orc = cchc_ack_open_proof (pk, data, size, sig, proof, nproof, &o);
        if (orc != rc)
            abort ();
        if (orc == CCHC_REASON_NONE)
            cchc_ack_clear (&o);
    }
    return 0;
}
