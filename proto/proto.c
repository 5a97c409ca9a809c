/*  proto.c — wire protocol v1: encoding, strict decoding, signing and
    verification of report and ack bodies (msgpack-c 4.0, libsodium).

    Decoding happens in three steps, and the order is part of the protocol
    (PROTOCOL.md, "Decoding rules"):
      1. the scan of proto/mp.c walks the raw bytes once, without recursion: exactly one
         complete msgpack object, no trailing bytes, no reserved byte, nesting
         at most CCHC_PROTO_DEPTH_MAX, and no declared length larger than the
         bytes that remain.  Only then does msgpack-c see the body, so the
         zone it allocates per declared container length is bounded by the
         body size (at most 65536 objects in all).
      2. msgpack_unpack_next builds the object tree (strings and bins point
         into the body; nothing is copied).
      3. cchc_mp_fields checks the key set, then each field is checked in the
         documented order; the first failure decides the reason.
*/
#include "proto/proto.h"
#include "proto/mp.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>
#include <sodium.h>

/*  The signed input's prefix of each kind, with its NUL (PROTOCOL.md §7,
    §7.1, §15): 15, 12, 16 and 13 bytes. */
#define S_PREFIX_MAX 16
static const char *
s_prefix (cchc_kind_t kind)
{
    assert (kind == CCHC_KIND_REPORT || kind == CCHC_KIND_ACK || kind == CCHC_KIND_FIGURES
            || kind == CCHC_KIND_ACKS);
    return kind == CCHC_KIND_REPORT ? "cchc/v1/report"
           : kind == CCHC_KIND_ACK  ? "cchc/v1/ack"
           : kind == CCHC_KIND_ACKS ? "cchc/v1/acks"
                                    : "cchc/v1/figures";
}

/* ------------------------------------------------------------------------ */
/*  Names                                                                   */

const char *
cchc_status_name (int status)
{
    switch (status) {
        case CCHC_STATUS_ACCEPTED: return "accepted";
        case CCHC_STATUS_DUPLICATE: return "duplicate";
        case CCHC_STATUS_REJECTED: return "rejected";
        case CCHC_STATUS_RETRY_LATER: return "retry_later";
        default: return "unknown";
    }
}

const char *
cchc_reason_name (int reason)
{
    switch (reason) {
        case CCHC_REASON_NONE: return "none";
        case CCHC_REASON_TOO_LARGE: return "too_large";
        case CCHC_REASON_BAD_FRAMES: return "bad_frames";
        case CCHC_REASON_MALFORMED: return "malformed";
        case CCHC_REASON_BAD_VERSION: return "bad_version";
        case CCHC_REASON_BAD_TYPE: return "bad_type";
        case CCHC_REASON_MISSING_FIELD: return "missing_field";
        case CCHC_REASON_DUPLICATE_FIELD: return "duplicate_field";
        case CCHC_REASON_UNKNOWN_FIELD: return "unknown_field";
        case CCHC_REASON_BAD_UTF8: return "bad_utf8";
        case CCHC_REASON_BAD_CODE: return "bad_code";
        case CCHC_REASON_BAD_DATE: return "bad_date";
        case CCHC_REASON_BAD_VALUE: return "bad_value";
        case CCHC_REASON_BAD_COUNT: return "bad_count";
        case CCHC_REASON_BAD_SEQ: return "bad_seq";
        case CCHC_REASON_KEY_MISMATCH: return "key_mismatch";
        case CCHC_REASON_BAD_SIGNATURE: return "bad_signature";
        case CCHC_REASON_DUPLICATE_OBSERVATION: return "duplicate_observation";
        case CCHC_REASON_UNKNOWN_AGENT: return "unknown_agent";
        case CCHC_REASON_REVOKED_AGENT: return "revoked_agent";
        case CCHC_REASON_UNIT_MISMATCH: return "unit_mismatch";
        case CCHC_REASON_FUTURE_TIMESTAMP: return "future_timestamp";
        case CCHC_REASON_DATE_OUT_OF_RANGE: return "date_out_of_range";
        case CCHC_REASON_UNKNOWN_METRIC: return "unknown_metric";
        case CCHC_REASON_VALUE_OUT_OF_RANGE: return "value_out_of_range";
        case CCHC_REASON_SUPERSEDED: return "superseded";
        case CCHC_REASON_PROVINCE_MISMATCH: return "province_mismatch";
        case CCHC_REASON_UNEXPECTED_CATALOGUE: return "unexpected_catalogue";
        case CCHC_REASON_BUSY: return "busy";
        case CCHC_REASON_STORAGE: return "storage";
        case CCHC_REASON_SHUTTING_DOWN: return "shutting_down";
        default: return "unknown";
    }
}

/* ------------------------------------------------------------------------ */
/*  Observations                                                            */

/*  Order for duplicate detection: (metric, date). */
static int
s_obs_cmp (const void *a, const void *b)
{
    const cchc_obs_t *x = *(const cchc_obs_t *const *) a;
    const cchc_obs_t *y = *(const cchc_obs_t *const *) b;
    int c = strcmp (x->metric, y->metric);
    if (c)
        return c;
    return (x->date > y->date) - (x->date < y->date);
}

static int
s_obs_unique (const cchc_obs_t *obs, uint32_t nobs)
{
    const cchc_obs_t **sorted = malloc (nobs * sizeof *sorted);
    if (!sorted)
        return CCHC_REASON_BUSY;
    for (uint32_t i = 0; i < nobs; i++)
        sorted [i] = &obs [i];
    qsort (sorted, nobs, sizeof *sorted, s_obs_cmp);
    int rc = CCHC_REASON_NONE;
    for (uint32_t i = 1; i < nobs; i++)
        if (s_obs_cmp (&sorted [i - 1], &sorted [i]) == 0) {
            rc = CCHC_REASON_DUPLICATE_OBSERVATION;
            break;
        }
    free (sorted);
    return rc;
}

static int
s_obs_decode (const msgpack_object *obj, cchc_obs_t *obs)
{
    if (obj->type != MSGPACK_OBJECT_ARRAY || obj->via.array.size != 3)
        return CCHC_REASON_BAD_TYPE;
    const msgpack_object *item = obj->via.array.ptr;
    const char *s;
    size_t n;
    int rc = cchc_mp_str (&item [0], &s, &n);
    if (rc)
        return rc;
    if (!cchc_metric_code_valid (s, n))
        return CCHC_REASON_BAD_CODE;
    memcpy (obs->metric, s, n);
    obs->metric [n] = 0;

    rc = cchc_mp_str (&item [1], &s, &n);
    if (rc)
        return rc;
    if (cchc_date_parse (s, n, &obs->date))
        return CCHC_REASON_BAD_DATE;

    const msgpack_object *v = &item [2];
    switch (v->type) {
        case MSGPACK_OBJECT_POSITIVE_INTEGER:
            if (v->via.u64 > (uint64_t) INT64_MAX)
                return CCHC_REASON_BAD_VALUE;
            obs->is_float = false;
            obs->ival = (int64_t) v->via.u64;
            break;
        case MSGPACK_OBJECT_NEGATIVE_INTEGER:
            obs->is_float = false;
            obs->ival = v->via.i64;
            break;
        case MSGPACK_OBJECT_FLOAT32:
        case MSGPACK_OBJECT_FLOAT64:
            if (!isfinite (v->via.f64))
                return CCHC_REASON_BAD_VALUE;
            obs->is_float = true;
            obs->fval = v->via.f64;
            break;
        default: return CCHC_REASON_BAD_TYPE;
    }
    return CCHC_REASON_NONE;
}

/*  The encoder's checks of one observation, same order as the decoder's. */
static int
s_obs_check (const cchc_obs_t *obs)
{
    size_t n = strnlen (obs->metric, sizeof obs->metric);
    if (n == sizeof obs->metric)
        return CCHC_REASON_BAD_CODE;
    if (!cchc_utf8_valid (obs->metric, n))
        return CCHC_REASON_BAD_UTF8;
    if (!cchc_metric_code_valid (obs->metric, n))
        return CCHC_REASON_BAD_CODE;
    /*  Years 0001..9999: what "YYYY-MM-DD" can hold. */
    if (obs->date < cchc_date_from_ymd (1, 1, 1)
        || obs->date > cchc_date_from_ymd (9999, 12, 31))
        return CCHC_REASON_BAD_DATE;
    if (obs->is_float && !isfinite (obs->fval))
        return CCHC_REASON_BAD_VALUE;
    return CCHC_REASON_NONE;
}

/* ------------------------------------------------------------------------ */
/*  Encoding                                                                 */

int
cchc_report_encode (const cchc_report_t *report, uint8_t **body, size_t *len)
{
    assert (report);
    assert (body && len);
    assert (report->nobs == 0 || report->obs);
    *body = NULL;
    *len = 0;

    size_t unit_len = strnlen (report->unit, sizeof report->unit);
    if (unit_len == sizeof report->unit)
        return CCHC_REASON_BAD_CODE;
    if (!cchc_utf8_valid (report->unit, unit_len))
        return CCHC_REASON_BAD_UTF8;
    if (!cchc_unit_code_valid (report->unit, unit_len))
        return CCHC_REASON_BAD_CODE;
    if (report->seq == 0 || report->seq > (uint64_t) CCHC_PROTO_SEQ_MAX)
        return CCHC_REASON_BAD_SEQ;
    if (report->created_ms > (uint64_t) INT64_MAX)
        return CCHC_REASON_BAD_VALUE;
    if (report->nobs == 0 || report->nobs > CCHC_PROTO_OBS_MAX)
        return CCHC_REASON_BAD_COUNT;
    for (uint32_t i = 0; i < report->nobs; i++) {
        int rc = s_obs_check (&report->obs [i]);
        if (rc)
            return rc;
    }
    int rc = s_obs_unique (report->obs, report->nobs);
    if (rc == CCHC_REASON_BUSY)
        return -1;
    if (rc)
        return rc;

    msgpack_sbuffer sbuf;
    msgpack_packer pk;
    int err = cchc_mp_begin (&sbuf, &pk, report->caps ? 7 : 6, "agent", report->agent);
    cchc_mp_pack_cstr (&pk, "unit", &err);
    cchc_mp_pack_cstr (&pk, report->unit, &err);
    cchc_mp_pack_cstr (&pk, "seq", &err);
    err |= msgpack_pack_uint64 (&pk, report->seq);
    cchc_mp_pack_cstr (&pk, "created", &err);
    err |= msgpack_pack_uint64 (&pk, report->created_ms);
    cchc_mp_pack_cstr (&pk, "obs", &err);
    err |= msgpack_pack_array (&pk, report->nobs);
    for (uint32_t i = 0; i < report->nobs && !err; i++) {
        const cchc_obs_t *obs = &report->obs [i];
        char date [11];
        cchc_date_format (obs->date, date, sizeof date);
        err |= msgpack_pack_array (&pk, 3);
        cchc_mp_pack_cstr (&pk, obs->metric, &err);
        cchc_mp_pack_cstr (&pk, date, &err);
        if (obs->is_float)
            err |= msgpack_pack_double (&pk, obs->fval);
        else
            err |= msgpack_pack_int64 (&pk, obs->ival);
    }
    if (report->caps) { /* revision 1.2 (PROTOCOL.md §13) */
        cchc_mp_pack_cstr (&pk, "caps", &err);
        err |= msgpack_pack_uint64 (&pk, report->caps);
    }
    return cchc_mp_finish (&sbuf, err, body, len);
}

int
cchc_ack_encode (const cchc_ack_t *ack, uint8_t **body, size_t *len)
{
    assert (ack);
    assert (body && len);
    assert (ack->nrejected == 0 || ack->rejected);
    *body = NULL;
    *len = 0;

    if (ack->seq > (uint64_t) CCHC_PROTO_SEQ_MAX)
        return CCHC_REASON_BAD_SEQ;
    if (ack->status > CCHC_STATUS_RETRY_LATER)
        return CCHC_REASON_BAD_VALUE;
    if (ack->nrejected > CCHC_PROTO_OBS_MAX)
        return CCHC_REASON_BAD_COUNT;
    for (uint32_t i = 0; i < ack->nrejected; i++) {
        if (ack->rejected [i].index >= CCHC_PROTO_OBS_MAX)
            return CCHC_REASON_BAD_VALUE;
        if (i > 0 && ack->rejected [i].index <= ack->rejected [i - 1].index)
            return CCHC_REASON_BAD_VALUE;
    }
    if (ack->time_ms > (uint64_t) INT64_MAX)
        return CCHC_REASON_BAD_VALUE;
    if (ack->has_high && ack->high > (uint64_t) CCHC_PROTO_SEQ_MAX)
        return CCHC_REASON_BAD_SEQ;

    msgpack_sbuffer sbuf;
    msgpack_packer pk;
    int err = cchc_mp_begin (&sbuf, &pk, ack->has_high ? 8 : 7, "agent", ack->agent);
    cchc_mp_pack_cstr (&pk, "seq", &err);
    err |= msgpack_pack_uint64 (&pk, ack->seq);
    cchc_mp_pack_cstr (&pk, "status", &err);
    err |= msgpack_pack_uint64 (&pk, ack->status);
    cchc_mp_pack_cstr (&pk, "reason", &err);
    err |= msgpack_pack_uint64 (&pk, ack->reason);
    cchc_mp_pack_cstr (&pk, "rejected", &err);
    err |= msgpack_pack_array (&pk, ack->nrejected);
    for (uint32_t i = 0; i < ack->nrejected && !err; i++) {
        err |= msgpack_pack_array (&pk, 2);
        err |= msgpack_pack_uint64 (&pk, ack->rejected [i].index);
        err |= msgpack_pack_uint64 (&pk, ack->rejected [i].reason);
    }
    cchc_mp_pack_cstr (&pk, "time", &err);
    err |= msgpack_pack_uint64 (&pk, ack->time_ms);
    if (ack->has_high) { /* revision 1.2 (PROTOCOL.md §13) */
        cchc_mp_pack_cstr (&pk, "high", &err);
        err |= msgpack_pack_uint64 (&pk, ack->high);
    }
    return cchc_mp_finish (&sbuf, err, body, len);
}

/* ------------------------------------------------------------------------ */
/*  Decoding                                                                 */

/*  "caps" is optional (revision 1.2): after the required keys. */
static const char *const s_report_keys [] = { "v",       "agent", "unit", "seq",
                                              "created", "obs",   "caps" };
enum {
    R_V,
    R_AGENT,
    R_UNIT,
    R_SEQ,
    R_CREATED,
    R_OBS,
    R_REQUIRED = R_OBS + 1,
    R_CAPS = R_REQUIRED,
    R_COUNT
};

static int
s_report_fill (const msgpack_object *root, void *out_)
{
    cchc_report_t *out = out_;
    const msgpack_object *f [R_COUNT];
    int rc = cchc_mp_fields (root, s_report_keys, R_COUNT, R_REQUIRED, f);
    if (rc)
        return rc;
    if ((rc = cchc_mp_key (f [R_AGENT], out->agent)))
        return rc;

    const char *s;
    size_t n;
    if ((rc = cchc_mp_str (f [R_UNIT], &s, &n)))
        return rc;
    if (!cchc_unit_code_valid (s, n))
        return CCHC_REASON_BAD_CODE;
    memcpy (out->unit, s, n);
    out->unit [n] = 0;

    if (cchc_mp_uint (f [R_SEQ], &out->seq))
        return CCHC_REASON_BAD_TYPE;
    if (out->seq == 0 || out->seq > (uint64_t) CCHC_PROTO_SEQ_MAX)
        return CCHC_REASON_BAD_SEQ;
    if (cchc_mp_uint (f [R_CREATED], &out->created_ms))
        return CCHC_REASON_BAD_TYPE;
    if (out->created_ms > (uint64_t) INT64_MAX)
        return CCHC_REASON_BAD_VALUE;

    const msgpack_object *obs = f [R_OBS];
    out->obs = cchc_mp_array (obs, 1, CCHC_PROTO_OBS_MAX, sizeof *out->obs, &out->nobs, &rc);
    if (rc)
        return rc;
    for (uint32_t i = 0; i < out->nobs; i++)
        if ((rc = s_obs_decode (&obs->via.array.ptr [i], &out->obs [i])))
            return rc;
    if ((rc = s_obs_unique (out->obs, out->nobs)))
        return rc;
    if (f [R_CAPS]) {
        uint64_t caps;
        if (cchc_mp_uint (f [R_CAPS], &caps))
            return CCHC_REASON_BAD_TYPE;
        if (caps > UINT32_MAX)
            return CCHC_REASON_BAD_VALUE;
        out->caps = (uint32_t) caps; /* bits not known here are ignored */
    }
    return CCHC_REASON_NONE;
}

int
cchc_report_decode (const uint8_t *body, size_t len, cchc_report_t *out)
{
    assert (out);
    memset (out, 0, sizeof *out);
    int rc = cchc_mp_decode (body, len, s_report_fill, out);
    if (rc)
        cchc_report_clear (out);
    return rc;
}

/*  "high" is optional (revision 1.2): after the required keys. */
static const char *const s_ack_keys [] = { "v",      "agent",    "seq",  "status",
                                           "reason", "rejected", "time", "high" };
enum {
    A_V,
    A_AGENT,
    A_SEQ,
    A_STATUS,
    A_REASON,
    A_REJECTED,
    A_TIME,
    A_REQUIRED = A_TIME + 1,
    A_HIGH = A_REQUIRED,
    A_COUNT
};

static int
s_ack_fill (const msgpack_object *root, void *out_)
{
    cchc_ack_t *out = out_;
    const msgpack_object *f [A_COUNT];
    int rc = cchc_mp_fields (root, s_ack_keys, A_COUNT, A_REQUIRED, f);
    if (rc)
        return rc;
    if ((rc = cchc_mp_key (f [A_AGENT], out->agent)))
        return rc;

    uint64_t u;
    if (cchc_mp_uint (f [A_SEQ], &out->seq))
        return CCHC_REASON_BAD_TYPE;
    if (out->seq > (uint64_t) CCHC_PROTO_SEQ_MAX)
        return CCHC_REASON_BAD_SEQ;
    if (cchc_mp_uint (f [A_STATUS], &u))
        return CCHC_REASON_BAD_TYPE;
    if (u > CCHC_STATUS_RETRY_LATER)
        return CCHC_REASON_BAD_VALUE;
    out->status = (uint32_t) u;
    if (cchc_mp_uint (f [A_REASON], &u))
        return CCHC_REASON_BAD_TYPE;
    if (u > UINT32_MAX)
        return CCHC_REASON_BAD_VALUE;
    out->reason = (uint32_t) u;

    const msgpack_object *rej = f [A_REJECTED];
    out->rejected = cchc_mp_array (rej, 0, CCHC_PROTO_OBS_MAX, sizeof *out->rejected,
                                   &out->nrejected, &rc);
    if (rc)
        return rc;
    for (uint32_t i = 0; i < out->nrejected; i++) {
        const msgpack_object *e = &rej->via.array.ptr [i];
        if (e->type != MSGPACK_OBJECT_ARRAY || e->via.array.size != 2)
            return CCHC_REASON_BAD_TYPE;
        if (cchc_mp_uint (&e->via.array.ptr [0], &u))
            return CCHC_REASON_BAD_TYPE;
        if (u >= CCHC_PROTO_OBS_MAX)
            return CCHC_REASON_BAD_VALUE;
        if (i > 0 && u <= out->rejected [i - 1].index)
            return CCHC_REASON_BAD_VALUE;
        out->rejected [i].index = (uint32_t) u;
        if (cchc_mp_uint (&e->via.array.ptr [1], &u))
            return CCHC_REASON_BAD_TYPE;
        if (u > UINT32_MAX)
            return CCHC_REASON_BAD_VALUE;
        out->rejected [i].reason = (uint32_t) u;
    }

    if (cchc_mp_uint (f [A_TIME], &out->time_ms))
        return CCHC_REASON_BAD_TYPE;
    if (out->time_ms > (uint64_t) INT64_MAX)
        return CCHC_REASON_BAD_VALUE;
    if (f [A_HIGH]) {
        if (cchc_mp_uint (f [A_HIGH], &out->high))
            return CCHC_REASON_BAD_TYPE;
        if (out->high > (uint64_t) CCHC_PROTO_SEQ_MAX)
            return CCHC_REASON_BAD_SEQ;
        out->has_high = true;
    }
    return CCHC_REASON_NONE;
}

int
cchc_ack_decode (const uint8_t *body, size_t len, cchc_ack_t *out)
{
    assert (out);
    memset (out, 0, sizeof *out);
    int rc = cchc_mp_decode (body, len, s_ack_fill, out);
    if (rc)
        cchc_ack_clear (out);
    return rc;
}

void
cchc_report_clear (cchc_report_t *report)
{
    if (!report)
        return;
    free (report->obs);
    memset (report, 0, sizeof *report);
}

void
cchc_ack_clear (cchc_ack_t *ack)
{
    if (!ack)
        return;
    free (ack->rejected);
    memset (ack, 0, sizeof *ack);
}

/* ------------------------------------------------------------------------ */
/*  Signatures                                                               */

/*  prefix(kind) || body into buf; returns the length. */
static size_t
s_signed_input (cchc_kind_t kind, const uint8_t *body, size_t len,
                uint8_t buf [S_PREFIX_MAX + CCHC_PROTO_BODY_MAX])
{
    const char *prefix = s_prefix (kind);
    size_t plen = strlen (prefix) + 1; /* with its NUL */
    assert (plen <= S_PREFIX_MAX);
    memcpy (buf, prefix, plen);
    if (len)
        memcpy (buf + plen, body, len);
    return plen + len;
}

void
cchc_proto_sign (cchc_kind_t kind, const cchc_key_t *key, const uint8_t *body, size_t len,
                 uint8_t sig [64])
{
    assert (key && sig);
    assert (body || len == 0);
    assert (len <= CCHC_PROTO_BODY_MAX);
    uint8_t buf [S_PREFIX_MAX + CCHC_PROTO_BODY_MAX];
    size_t n = s_signed_input (kind, body, len, buf);
    cchc_key_sign (key, sig, buf, n);
}

int
cchc_proto_verify (cchc_kind_t kind, const uint8_t pk [32], const uint8_t *body, size_t len,
                   const uint8_t sig [64])
{
    assert (pk && sig);
    if ((!body && len) || len > CCHC_PROTO_BODY_MAX)
        return -1;
    if (sodium_init () < 0)
        return -1;
    uint8_t buf [S_PREFIX_MAX + CCHC_PROTO_BODY_MAX];
    size_t n = s_signed_input (kind, body, len, buf);
    return crypto_sign_verify_detached (sig, buf, n, pk) == 0 ? 0 : -1;
}

/* ------------------------------------------------------------------------ */
/*  The receiver's whole check                                               */

int
cchc_proto_check (cchc_kind_t kind, const uint8_t pk [32], const uint8_t *body, size_t len,
                  const uint8_t sig [64])
{
    if (len == 0)
        return CCHC_REASON_BAD_FRAMES;
    if (len > CCHC_PROTO_BODY_MAX)
        return CCHC_REASON_TOO_LARGE;
    if (cchc_proto_verify (kind, pk, body, len, sig))
        return CCHC_REASON_BAD_SIGNATURE;
    return CCHC_REASON_NONE;
}

int
cchc_report_open (const uint8_t pk [32], const uint8_t *body, size_t len,
                  const uint8_t sig [64], cchc_report_t *out)
{
    assert (pk && sig && out);
    memset (out, 0, sizeof *out);
    int rc = cchc_proto_check (CCHC_KIND_REPORT, pk, body, len, sig);
    if (rc || (rc = cchc_report_decode (body, len, out)))
        return rc;
    if (memcmp (out->agent, pk, CCHC_KEY_PUBLIC_BYTES) != 0) {
        cchc_report_clear (out);
        return CCHC_REASON_KEY_MISMATCH;
    }
    return CCHC_REASON_NONE;
}

int
cchc_ack_open (const uint8_t pk [32], const uint8_t *body, size_t len, const uint8_t sig [64],
               cchc_ack_t *out)
{
    assert (pk && sig && out);
    memset (out, 0, sizeof *out);
    int rc = cchc_proto_check (CCHC_KIND_ACK, pk, body, len, sig);
    return rc ? rc : cchc_ack_decode (body, len, out);
}

/* ------------------------------------------------------------------------ */
/*  Batch-signed acks (revision 1.3)                                         */

void
cchc_ack_leaf (const uint8_t *body, size_t len, uint8_t leaf [CCHC_PROTO_HASH_BYTES])
{
    assert (body || len == 0);
    static const uint8_t tag = 0x00;
    crypto_generichash_state st;
    crypto_generichash_init (&st, NULL, 0, CCHC_PROTO_HASH_BYTES);
    crypto_generichash_update (&st, &tag, 1);
    if (len)
        crypto_generichash_update (&st, body, len);
    crypto_generichash_final (&st, leaf, CCHC_PROTO_HASH_BYTES);
}

/*  node = H (0x01 || min (a, b) || max (a, b)) into out (may alias a). */
static void
s_node (const uint8_t *a, const uint8_t *b, uint8_t *out)
{
    uint8_t in [1 + 2 * CCHC_PROTO_HASH_BYTES];
    bool swap = memcmp (a, b, CCHC_PROTO_HASH_BYTES) > 0;
    in [0] = 0x01;
    memcpy (in + 1, swap ? b : a, CCHC_PROTO_HASH_BYTES);
    memcpy (in + 1 + CCHC_PROTO_HASH_BYTES, swap ? a : b, CCHC_PROTO_HASH_BYTES);
    crypto_generichash (out, CCHC_PROTO_HASH_BYTES, in, sizeof in, NULL, 0);
}

int
cchc_ack_tree_depth (size_t n)
{
    if (n < 2)
        return -1;
    int depth = 0;
    for (size_t m = n; m > 1; m = (m + 1) / 2)
        depth++;
    return depth <= CCHC_PROTO_PROOF_MAX ? depth : -1;
}

int
cchc_ack_tree (const uint8_t (*leaves) [CCHC_PROTO_HASH_BYTES], size_t n,
               uint8_t root [CCHC_PROTO_HASH_BYTES], uint8_t *proofs, uint8_t *nproof)
{
    assert (leaves && root && proofs && nproof);
    int depth = cchc_ack_tree_depth (n);
    if (depth < 0)
        return -1;
    /*  Every level, leaves first: each level above holds at most half of
        the one below plus one, so fewer than 2n + depth nodes in all. */
    uint8_t (*nodes) [CCHC_PROTO_HASH_BYTES] =
        malloc ((2 * n + (size_t) depth) * sizeof *nodes);
    if (!nodes)
        return -1;
    memcpy (nodes, leaves, n * sizeof *nodes);
    size_t start [CCHC_PROTO_PROOF_MAX + 1], count [CCHC_PROTO_PROOF_MAX + 1];
    start [0] = 0;
    count [0] = n;
    for (int l = 0; l < depth; l++) {
        size_t up = (count [l] + 1) / 2;
        start [l + 1] = start [l] + count [l];
        count [l + 1] = up;
        for (size_t j = 0; j < up; j++) {
            const uint8_t *a = nodes [start [l] + 2 * j];
            uint8_t *out = nodes [start [l + 1] + j];
            if (2 * j + 1 < count [l])
                s_node (a, nodes [start [l] + 2 * j + 1], out);
            else
                memcpy (out, a, CCHC_PROTO_HASH_BYTES);
        }
    }
    memcpy (root, nodes [start [depth]], CCHC_PROTO_HASH_BYTES);
    for (size_t i = 0; i < n; i++) {
        uint8_t *proof = proofs + i * (size_t) depth * CCHC_PROTO_HASH_BYTES;
        size_t k = 0, at = i;
        for (int l = 0; l < depth; l++, at /= 2) {
            size_t sibling = at ^ 1;
            if (sibling < count [l])
                memcpy (proof + CCHC_PROTO_HASH_BYTES * k++, nodes [start [l] + sibling],
                        CCHC_PROTO_HASH_BYTES);
        }
        nproof [i] = (uint8_t) k;
    }
    free (nodes);
    return 0;
}

void
cchc_ack_root (const uint8_t *body, size_t len, const uint8_t *proof, size_t nproof,
               uint8_t root [CCHC_PROTO_HASH_BYTES])
{
    assert (proof || nproof == 0);
    cchc_ack_leaf (body, len, root);
    for (size_t k = 0; k < nproof; k++)
        s_node (root, proof + k * CCHC_PROTO_HASH_BYTES, root);
}

int
cchc_ack_open_proof (const uint8_t pk [32], const uint8_t *body, size_t len,
                     const uint8_t sig [64], const uint8_t *proof, size_t nproof,
                     cchc_ack_t *out)
{
    assert (pk && sig && out);
    if (nproof == 0)
        return cchc_ack_open (pk, body, len, sig, out);
    memset (out, 0, sizeof *out);
    if (!proof || nproof > CCHC_PROTO_PROOF_MAX || len == 0)
        return CCHC_REASON_BAD_FRAMES;
    if (len > CCHC_PROTO_BODY_MAX)
        return CCHC_REASON_TOO_LARGE;
    uint8_t root [CCHC_PROTO_HASH_BYTES];
    cchc_ack_root (body, len, proof, nproof, root);
    if (cchc_proto_verify (CCHC_KIND_ACKS, pk, root, sizeof root, sig))
        return CCHC_REASON_BAD_SIGNATURE;
    return cchc_ack_decode (body, len, out);
}
