/*  proto.c — wire protocol v1: encoding, strict decoding, signing and
    verification of report and ack bodies (msgpack-c 4.0, libsodium).

    Decoding happens in three steps, and the order is part of the protocol
    (PROTOCOL.md, "Decoding rules"):
      1. s_scan walks the raw bytes once, without recursion: exactly one
         complete msgpack object, no trailing bytes, no reserved byte, nesting
         at most CCHC_PROTO_DEPTH_MAX, and no declared length larger than the
         bytes that remain.  Only then does msgpack-c see the body, so the
         zone it allocates per declared container length is bounded by the
         body size (at most 65536 objects in all).
      2. msgpack_unpack_next builds the object tree (strings and bins point
         into the body; nothing is copied).
      3. s_fields checks the key set, then each field is checked in the
         documented order; the first failure decides the reason.
*/
#include "proto/proto.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>
#include <sodium.h>

/*  Containers nested deeper than this are malformed (the top-level map is
    level 1; the format itself needs 3).  Below msgpack-c's own limit of 32. */
#define CCHC_PROTO_DEPTH_MAX 16

static const char s_report_prefix [] = "cchc/v1/report"; /* + its NUL: 15 bytes */
static const char s_ack_prefix [] = "cchc/v1/ack";       /* + its NUL: 12 bytes */

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
/*  Step 1: structural scan of the raw bytes                                */

static uint64_t
s_be (const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = (v << 8) | p [i];
    return v;
}

/*  0 when body[0..len) is exactly one complete, well-formed msgpack object
    within the depth limit; -1 otherwise.  Iterative; O(len). */
static int
s_scan (const uint8_t *p, size_t len)
{
    uint64_t left [CCHC_PROTO_DEPTH_MAX + 1]; /* objects still to read per level */
    uint64_t pending = 1;                     /* sum of left[] */
    int depth = 0;
    size_t pos = 0;
    left [0] = 1;

    while (depth >= 0) {
        if (left [depth] == 0) {
            depth--;
            continue;
        }
        if (pos >= len)
            return -1; /* truncated */
        left [depth]--;
        pending--;
        uint8_t b = p [pos++];
        size_t lenbytes = 0; /* size of a length field that follows */
        uint64_t skip = 0;   /* payload bytes after it */
        uint64_t items = 0;  /* children of a container */
        bool container = false;
        size_t extra = 0; /* ext type byte */

        if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
            ; /* fixint, nil, bool */
        else if (b >= 0x80 && b <= 0x8f) {
            container = true;
            items = 2 * (uint64_t) (b & 0x0f);
        }
        else if (b >= 0x90 && b <= 0x9f) {
            container = true;
            items = b & 0x0f;
        }
        else if (b >= 0xa0 && b <= 0xbf)
            skip = b & 0x1f;
        else {
            switch (b) {
                case 0xc4:
                case 0xd9: lenbytes = 1; break; /* bin8, str8 */
                case 0xc5:
                case 0xda: lenbytes = 2; break; /* bin16, str16 */
                case 0xc6:
                case 0xdb: lenbytes = 4; break; /* bin32, str32 */
                case 0xc7:
                    lenbytes = 1;
                    extra = 1;
                    break; /* ext8 */
                case 0xc8:
                    lenbytes = 2;
                    extra = 1;
                    break; /* ext16 */
                case 0xc9:
                    lenbytes = 4;
                    extra = 1;
                    break;                  /* ext32 */
                case 0xca: skip = 4; break; /* float32 */
                case 0xcb: skip = 8; break; /* float64 */
                case 0xcc:
                case 0xd0: skip = 1; break; /* (u)int8 */
                case 0xcd:
                case 0xd1: skip = 2; break;
                case 0xce:
                case 0xd2: skip = 4; break;
                case 0xcf:
                case 0xd3: skip = 8; break;
                case 0xd4: skip = 2; break; /* fixext1..16 */
                case 0xd5: skip = 3; break;
                case 0xd6: skip = 5; break;
                case 0xd7: skip = 9; break;
                case 0xd8: skip = 17; break;
                case 0xdc:
                    container = true;
                    lenbytes = 2;
                    break; /* array16 */
                case 0xdd:
                    container = true;
                    lenbytes = 4;
                    break; /* array32 */
                case 0xde:
                    container = true;
                    lenbytes = 2;
                    break; /* map16 */
                case 0xdf:
                    container = true;
                    lenbytes = 4;
                    break;          /* map32 */
                default: return -1; /* 0xc1 */
            }
        }
        if (lenbytes) {
            if (len - pos < lenbytes)
                return -1;
            uint64_t n = s_be (p + pos, lenbytes);
            pos += lenbytes;
            if (container)
                items = (b == 0xde || b == 0xdf) ? 2 * n : n;
            else
                skip = n + extra;
        }
        if (skip > len - pos)
            return -1;
        pos += (size_t) skip;
        if (container) {
            if (depth + 1 > CCHC_PROTO_DEPTH_MAX)
                return -1;
            /*  Every object takes at least one byte: refuse a declared length
                the rest of the body cannot hold before anything allocates. */
            if (items > len - pos || pending + items > len - pos)
                return -1;
            depth++;
            left [depth] = items;
            pending += items;
        }
    }
    return pos == len ? 0 : -1;
}

/* ------------------------------------------------------------------------ */
/*  Step 3 helpers: fields and values                                        */

static bool
s_key_is (const msgpack_object *key, const char *name)
{
    size_t n = strlen (name);
    return key->via.str.size == n && memcmp (key->via.str.ptr, name, n) == 0;
}

/*  A uint field: any msgpack integer with a value >= 0. */
static int
s_uint (const msgpack_object *obj, uint64_t *out)
{
    if (obj->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return CCHC_REASON_BAD_TYPE;
    *out = obj->via.u64;
    return CCHC_REASON_NONE;
}

/*  The key set of a body map: names[0] is "v".  vals[i] receives the value of
    names[i]; names[required..count) are optional (revision 1.2 keys: vals
    NULL when absent).  Order: top-level type, each key in encoded order
    (type, known key seen twice), then the version (so a future version is
    told apart from a malformed v1 body), then unknown keys, then missing
    keys. */
static int
s_fields (const msgpack_object *root, const char *const names [], size_t count,
          size_t required, const msgpack_object *vals [])
{
    if (root->type != MSGPACK_OBJECT_MAP)
        return CCHC_REASON_BAD_TYPE;
    for (size_t j = 0; j < count; j++)
        vals [j] = NULL;
    bool unknown = false;
    for (uint32_t i = 0; i < root->via.map.size; i++) {
        const msgpack_object *key = &root->via.map.ptr [i].key;
        if (key->type != MSGPACK_OBJECT_STR)
            return CCHC_REASON_BAD_TYPE;
        size_t j;
        for (j = 0; j < count; j++)
            if (s_key_is (key, names [j]))
                break;
        if (j == count)
            unknown = true;
        else {
            if (vals [j])
                return CCHC_REASON_DUPLICATE_FIELD;
            vals [j] = &root->via.map.ptr [i].val;
        }
    }
    if (vals [0]) {
        uint64_t v;
        if (s_uint (vals [0], &v))
            return CCHC_REASON_BAD_TYPE;
        if (v != CCHC_PROTO_VERSION)
            return CCHC_REASON_BAD_VERSION;
    }
    if (unknown)
        return CCHC_REASON_UNKNOWN_FIELD;
    for (size_t j = 0; j < required; j++)
        if (!vals [j])
            return CCHC_REASON_MISSING_FIELD;
    return CCHC_REASON_NONE;
}

static int
s_agent (const msgpack_object *obj, uint8_t agent [CCHC_KEY_PUBLIC_BYTES])
{
    if (obj->type != MSGPACK_OBJECT_BIN)
        return CCHC_REASON_BAD_TYPE;
    if (obj->via.bin.size != CCHC_KEY_PUBLIC_BYTES)
        return CCHC_REASON_BAD_VALUE;
    memcpy (agent, obj->via.bin.ptr, CCHC_KEY_PUBLIC_BYTES);
    return CCHC_REASON_NONE;
}

/*  A UTF-8 str; returns its bytes. */
static int
s_str (const msgpack_object *obj, const char **ptr, size_t *len)
{
    if (obj->type != MSGPACK_OBJECT_STR)
        return CCHC_REASON_BAD_TYPE;
    *ptr = obj->via.str.ptr;
    *len = obj->via.str.size;
    if (!cchc_utf8_valid (*ptr, *len))
        return CCHC_REASON_BAD_UTF8;
    return CCHC_REASON_NONE;
}

/*  Step 1 and 2: scan, then unpack.  On success *result must be destroyed. */
static int
s_unpack (const uint8_t *body, size_t len, msgpack_unpacked *result)
{
    msgpack_unpacked_init (result);
    if (!body || len == 0 || len > CCHC_PROTO_BODY_MAX)
        return len > CCHC_PROTO_BODY_MAX ? CCHC_REASON_TOO_LARGE : CCHC_REASON_MALFORMED;
    if (s_scan (body, len))
        return CCHC_REASON_MALFORMED;
    size_t off = 0;
    msgpack_unpack_return rc = msgpack_unpack_next (result, (const char *) body, len, &off);
    if (rc == MSGPACK_UNPACK_NOMEM_ERROR) {
        msgpack_unpacked_destroy (result);
        return CCHC_REASON_BUSY; /* out of memory: transient */
    }
    if (rc != MSGPACK_UNPACK_SUCCESS || off != len) {
        msgpack_unpacked_destroy (result);
        return CCHC_REASON_MALFORMED;
    }
    return CCHC_REASON_NONE;
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
    int rc = s_str (&item [0], &s, &n);
    if (rc)
        return rc;
    if (!cchc_metric_code_valid (s, n))
        return CCHC_REASON_BAD_CODE;
    memcpy (obs->metric, s, n);
    obs->metric [n] = 0;

    rc = s_str (&item [1], &s, &n);
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

static void
s_pack_cstr (msgpack_packer *pk, const char *s, int *err)
{
    size_t n = strlen (s);
    *err |= msgpack_pack_str (pk, n);
    *err |= msgpack_pack_str_body (pk, s, n);
}

/*  Hands the sbuffer to the caller, or frees it.  -1: out of memory. */
static int
s_finish (msgpack_sbuffer *sbuf, int err, uint8_t **body, size_t *len)
{
    if (err) {
        msgpack_sbuffer_destroy (sbuf);
        return -1;
    }
    if (sbuf->size > CCHC_PROTO_BODY_MAX) {
        msgpack_sbuffer_destroy (sbuf);
        return CCHC_REASON_TOO_LARGE;
    }
    *len = sbuf->size;
    *body = (uint8_t *) msgpack_sbuffer_release (sbuf);
    return CCHC_REASON_NONE;
}

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
    msgpack_sbuffer_init (&sbuf);
    msgpack_packer_init (&pk, &sbuf, msgpack_sbuffer_write);
    int err = 0;
    err |= msgpack_pack_map (&pk, report->caps ? 7 : 6);
    s_pack_cstr (&pk, "v", &err);
    err |= msgpack_pack_uint64 (&pk, CCHC_PROTO_VERSION);
    s_pack_cstr (&pk, "agent", &err);
    err |= msgpack_pack_bin_with_body (&pk, report->agent, CCHC_KEY_PUBLIC_BYTES);
    s_pack_cstr (&pk, "unit", &err);
    s_pack_cstr (&pk, report->unit, &err);
    s_pack_cstr (&pk, "seq", &err);
    err |= msgpack_pack_uint64 (&pk, report->seq);
    s_pack_cstr (&pk, "created", &err);
    err |= msgpack_pack_uint64 (&pk, report->created_ms);
    s_pack_cstr (&pk, "obs", &err);
    err |= msgpack_pack_array (&pk, report->nobs);
    for (uint32_t i = 0; i < report->nobs && !err; i++) {
        const cchc_obs_t *obs = &report->obs [i];
        char date [11];
        cchc_date_format (obs->date, date, sizeof date);
        err |= msgpack_pack_array (&pk, 3);
        s_pack_cstr (&pk, obs->metric, &err);
        s_pack_cstr (&pk, date, &err);
        if (obs->is_float)
            err |= msgpack_pack_double (&pk, obs->fval);
        else
            err |= msgpack_pack_int64 (&pk, obs->ival);
    }
    if (report->caps) { /* revision 1.2 (PROTOCOL.md §13) */
        s_pack_cstr (&pk, "caps", &err);
        err |= msgpack_pack_uint64 (&pk, report->caps);
    }
    return s_finish (&sbuf, err, body, len);
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
    msgpack_sbuffer_init (&sbuf);
    msgpack_packer_init (&pk, &sbuf, msgpack_sbuffer_write);
    int err = 0;
    err |= msgpack_pack_map (&pk, ack->has_high ? 8 : 7);
    s_pack_cstr (&pk, "v", &err);
    err |= msgpack_pack_uint64 (&pk, CCHC_PROTO_VERSION);
    s_pack_cstr (&pk, "agent", &err);
    err |= msgpack_pack_bin_with_body (&pk, ack->agent, CCHC_KEY_PUBLIC_BYTES);
    s_pack_cstr (&pk, "seq", &err);
    err |= msgpack_pack_uint64 (&pk, ack->seq);
    s_pack_cstr (&pk, "status", &err);
    err |= msgpack_pack_uint64 (&pk, ack->status);
    s_pack_cstr (&pk, "reason", &err);
    err |= msgpack_pack_uint64 (&pk, ack->reason);
    s_pack_cstr (&pk, "rejected", &err);
    err |= msgpack_pack_array (&pk, ack->nrejected);
    for (uint32_t i = 0; i < ack->nrejected && !err; i++) {
        err |= msgpack_pack_array (&pk, 2);
        err |= msgpack_pack_uint64 (&pk, ack->rejected [i].index);
        err |= msgpack_pack_uint64 (&pk, ack->rejected [i].reason);
    }
    s_pack_cstr (&pk, "time", &err);
    err |= msgpack_pack_uint64 (&pk, ack->time_ms);
    if (ack->has_high) { /* revision 1.2 (PROTOCOL.md §13) */
        s_pack_cstr (&pk, "high", &err);
        err |= msgpack_pack_uint64 (&pk, ack->high);
    }
    return s_finish (&sbuf, err, body, len);
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
s_report_fill (const msgpack_object *root, cchc_report_t *out)
{
    const msgpack_object *f [R_COUNT];
    int rc = s_fields (root, s_report_keys, R_COUNT, R_REQUIRED, f);
    if (rc)
        return rc;
    if ((rc = s_agent (f [R_AGENT], out->agent)))
        return rc;

    const char *s;
    size_t n;
    if ((rc = s_str (f [R_UNIT], &s, &n)))
        return rc;
    if (!cchc_unit_code_valid (s, n))
        return CCHC_REASON_BAD_CODE;
    memcpy (out->unit, s, n);
    out->unit [n] = 0;

    if (s_uint (f [R_SEQ], &out->seq))
        return CCHC_REASON_BAD_TYPE;
    if (out->seq == 0 || out->seq > (uint64_t) CCHC_PROTO_SEQ_MAX)
        return CCHC_REASON_BAD_SEQ;
    if (s_uint (f [R_CREATED], &out->created_ms))
        return CCHC_REASON_BAD_TYPE;
    if (out->created_ms > (uint64_t) INT64_MAX)
        return CCHC_REASON_BAD_VALUE;

    const msgpack_object *obs = f [R_OBS];
    if (obs->type != MSGPACK_OBJECT_ARRAY)
        return CCHC_REASON_BAD_TYPE;
    if (obs->via.array.size == 0 || obs->via.array.size > CCHC_PROTO_OBS_MAX)
        return CCHC_REASON_BAD_COUNT;
    out->obs = calloc (obs->via.array.size, sizeof *out->obs);
    if (!out->obs)
        return CCHC_REASON_BUSY;
    out->nobs = obs->via.array.size;
    for (uint32_t i = 0; i < out->nobs; i++)
        if ((rc = s_obs_decode (&obs->via.array.ptr [i], &out->obs [i])))
            return rc;
    if ((rc = s_obs_unique (out->obs, out->nobs)))
        return rc;
    if (f [R_CAPS]) {
        uint64_t caps;
        if (s_uint (f [R_CAPS], &caps))
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
    msgpack_unpacked result;
    int rc = s_unpack (body, len, &result);
    if (rc)
        return rc;
    rc = s_report_fill (&result.data, out);
    msgpack_unpacked_destroy (&result);
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
s_ack_fill (const msgpack_object *root, cchc_ack_t *out)
{
    const msgpack_object *f [A_COUNT];
    int rc = s_fields (root, s_ack_keys, A_COUNT, A_REQUIRED, f);
    if (rc)
        return rc;
    if ((rc = s_agent (f [A_AGENT], out->agent)))
        return rc;

    uint64_t u;
    if (s_uint (f [A_SEQ], &out->seq))
        return CCHC_REASON_BAD_TYPE;
    if (out->seq > (uint64_t) CCHC_PROTO_SEQ_MAX)
        return CCHC_REASON_BAD_SEQ;
    if (s_uint (f [A_STATUS], &u))
        return CCHC_REASON_BAD_TYPE;
    if (u > CCHC_STATUS_RETRY_LATER)
        return CCHC_REASON_BAD_VALUE;
    out->status = (uint32_t) u;
    if (s_uint (f [A_REASON], &u))
        return CCHC_REASON_BAD_TYPE;
    if (u > UINT32_MAX)
        return CCHC_REASON_BAD_VALUE;
    out->reason = (uint32_t) u;

    const msgpack_object *rej = f [A_REJECTED];
    if (rej->type != MSGPACK_OBJECT_ARRAY)
        return CCHC_REASON_BAD_TYPE;
    if (rej->via.array.size > CCHC_PROTO_OBS_MAX)
        return CCHC_REASON_BAD_COUNT;
    if (rej->via.array.size > 0) {
        out->rejected = calloc (rej->via.array.size, sizeof *out->rejected);
        if (!out->rejected)
            return CCHC_REASON_BUSY;
    }
    out->nrejected = rej->via.array.size;
    for (uint32_t i = 0; i < out->nrejected; i++) {
        const msgpack_object *e = &rej->via.array.ptr [i];
        if (e->type != MSGPACK_OBJECT_ARRAY || e->via.array.size != 2)
            return CCHC_REASON_BAD_TYPE;
        if (s_uint (&e->via.array.ptr [0], &u))
            return CCHC_REASON_BAD_TYPE;
        if (u >= CCHC_PROTO_OBS_MAX)
            return CCHC_REASON_BAD_VALUE;
        if (i > 0 && u <= out->rejected [i - 1].index)
            return CCHC_REASON_BAD_VALUE;
        out->rejected [i].index = (uint32_t) u;
        if (s_uint (&e->via.array.ptr [1], &u))
            return CCHC_REASON_BAD_TYPE;
        if (u > UINT32_MAX)
            return CCHC_REASON_BAD_VALUE;
        out->rejected [i].reason = (uint32_t) u;
    }

    if (s_uint (f [A_TIME], &out->time_ms))
        return CCHC_REASON_BAD_TYPE;
    if (out->time_ms > (uint64_t) INT64_MAX)
        return CCHC_REASON_BAD_VALUE;
    if (f [A_HIGH]) {
        if (s_uint (f [A_HIGH], &out->high))
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
    msgpack_unpacked result;
    int rc = s_unpack (body, len, &result);
    if (rc)
        return rc;
    rc = s_ack_fill (&result.data, out);
    msgpack_unpacked_destroy (&result);
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
s_signed_input (cchc_kind_t kind, const uint8_t *body, size_t len, uint8_t *buf)
{
    const char *prefix = kind == CCHC_KIND_REPORT ? s_report_prefix : s_ack_prefix;
    size_t plen = strlen (prefix) + 1; /* with its NUL */
    memcpy (buf, prefix, plen);
    if (len)
        memcpy (buf + plen, body, len);
    return plen + len;
}

void
cchc_proto_sign (cchc_kind_t kind, const cchc_key_t *key, const uint8_t *body, size_t len,
                 uint8_t sig [64])
{
    assert (kind == CCHC_KIND_REPORT || kind == CCHC_KIND_ACK);
    assert (key && sig);
    assert (body || len == 0);
    assert (len <= CCHC_PROTO_BODY_MAX);
    uint8_t buf [sizeof s_report_prefix + CCHC_PROTO_BODY_MAX];
    size_t n = s_signed_input (kind, body, len, buf);
    cchc_key_sign (key, sig, buf, n);
}

int
cchc_proto_verify (cchc_kind_t kind, const uint8_t pk [32], const uint8_t *body, size_t len,
                   const uint8_t sig [64])
{
    assert (kind == CCHC_KIND_REPORT || kind == CCHC_KIND_ACK);
    assert (pk && sig);
    if ((!body && len) || len > CCHC_PROTO_BODY_MAX)
        return -1;
    if (sodium_init () < 0)
        return -1;
    uint8_t buf [sizeof s_report_prefix + CCHC_PROTO_BODY_MAX];
    size_t n = s_signed_input (kind, body, len, buf);
    return crypto_sign_verify_detached (sig, buf, n, pk) == 0 ? 0 : -1;
}

/* ------------------------------------------------------------------------ */
/*  The receiver's whole check                                               */

static int
s_size (size_t len)
{
    if (len == 0)
        return CCHC_REASON_BAD_FRAMES;
    if (len > CCHC_PROTO_BODY_MAX)
        return CCHC_REASON_TOO_LARGE;
    return CCHC_REASON_NONE;
}

int
cchc_report_open (const uint8_t pk [32], const uint8_t *body, size_t len,
                  const uint8_t sig [64], cchc_report_t *out)
{
    assert (pk && sig && out);
    memset (out, 0, sizeof *out);
    int rc = s_size (len);
    if (rc)
        return rc;
    if (cchc_proto_verify (CCHC_KIND_REPORT, pk, body, len, sig))
        return CCHC_REASON_BAD_SIGNATURE;
    if ((rc = cchc_report_decode (body, len, out)))
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
    int rc = s_size (len);
    if (rc)
        return rc;
    if (cchc_proto_verify (CCHC_KIND_ACK, pk, body, len, sig))
        return CCHC_REASON_BAD_SIGNATURE;
    return cchc_ack_decode (body, len, out);
}

/* ------------------------------------------------------------------------ */
/*  Shared with the other message kinds (proto/mp.h)                        */

int
cchc_mp_unpack (const uint8_t *body, size_t len, msgpack_unpacked *result)
{
    return s_unpack (body, len, result);
}

int
cchc_mp_fields (const msgpack_object *root, const char *const names [], size_t count,
                const msgpack_object *vals [])
{
    return s_fields (root, names, count, count, vals);
}

int
cchc_mp_str (const msgpack_object *obj, const char **ptr, size_t *len)
{
    return s_str (obj, ptr, len);
}

int
cchc_mp_key (const msgpack_object *obj, uint8_t key [CCHC_KEY_PUBLIC_BYTES])
{
    return s_agent (obj, key);
}
