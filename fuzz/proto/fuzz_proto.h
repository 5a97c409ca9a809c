/*  fuzz_proto.h — helpers shared by the proto fuzz targets: the fixed key
    and field-by-field equality of decoded messages.  Header-only (static). */
#ifndef CCHC_FUZZ_PROTO_H
#define CCHC_FUZZ_PROTO_H

#include "proto/proto.h"

#include <stdlib.h>
#include <string.h>

/*  One key for the whole run (RFC 8032 TEST 1 seed, as in PROTOCOL.md). */
static inline cchc_key_t *
s_fuzz_key (void)
{
    static cchc_key_t *key;
    if (!key) {
        uint8_t seed [32];
        if (cchc_hex_decode (
                seed, 32, "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
            != 0)
            abort ();
        key = cchc_key_new_from_seed (seed);
        if (!key)
            abort ();
    }
    return key;
}

static inline bool
s_report_equal (const cchc_report_t *a, const cchc_report_t *b)
{
    if (memcmp (a->agent, b->agent, sizeof a->agent) != 0 || strcmp (a->unit, b->unit) != 0
        || a->seq != b->seq || a->created_ms != b->created_ms || a->nobs != b->nobs
        || a->caps != b->caps)
        return false;
    for (uint32_t i = 0; i < a->nobs; i++) {
        const cchc_obs_t *x = &a->obs [i], *y = &b->obs [i];
        if (strcmp (x->metric, y->metric) != 0 || x->date != y->date
            || x->is_float != y->is_float)
            return false;
        if (x->is_float ? memcmp (&x->fval, &y->fval, sizeof x->fval) != 0
                        : x->ival != y->ival)
            return false;
    }
    return true;
}

static inline bool
s_ack_equal (const cchc_ack_t *a, const cchc_ack_t *b)
{
    if (memcmp (a->agent, b->agent, sizeof a->agent) != 0 || a->seq != b->seq
        || a->status != b->status || a->reason != b->reason || a->nrejected != b->nrejected
        || a->time_ms != b->time_ms || a->has_high != b->has_high || a->high != b->high)
        return false;
    for (uint32_t i = 0; i < a->nrejected; i++)
        if (a->rejected [i].index != b->rejected [i].index
            || a->rejected [i].reason != b->rejected [i].reason)
            return false;
    return true;
}

#endif
