/*  mp.c — the strict msgpack reading steps every message kind of proto/
    decodes by (PROTOCOL.md §4, §8; the interface and its rules are in
    proto/mp.h): the structural scan of the raw bytes, the unpack, the key
    set of a body map and the field readers (uint, UTF-8 str, 32-byte key). */
#include "proto/mp.h"
#include "proto/proto.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/*  Containers nested deeper than this are malformed (the top-level map is
    level 1; the format itself needs 3).  Below msgpack-c's own limit of 32. */
#define CCHC_PROTO_DEPTH_MAX 16

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

/*  What the head byte b of a msgpack object says follows it. */
typedef struct {
    size_t lenbytes; /* size of a length field that follows */
    uint64_t skip;   /* payload bytes after it (after the length: from it) */
    uint64_t items;  /* children of a container (with a length: from it) */
    bool container;
    size_t extra; /* ext type byte */
} s_head_t;

/*  Classifies head byte b into *h.  0, or -1 for the reserved byte 0xc1. */
static int
s_head (uint8_t b, s_head_t *h)
{
    memset (h, 0, sizeof *h);
    if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
        ; /* fixint, nil, bool */
    else if (b >= 0x80 && b <= 0x8f) {
        h->container = true;
        h->items = 2 * (uint64_t) (b & 0x0f);
    }
    else if (b >= 0x90 && b <= 0x9f) {
        h->container = true;
        h->items = b & 0x0f;
    }
    else if (b >= 0xa0 && b <= 0xbf)
        h->skip = b & 0x1f;
    else {
        switch (b) {
            case 0xc4:
            case 0xd9: h->lenbytes = 1; break; /* bin8, str8 */
            case 0xc5:
            case 0xda: h->lenbytes = 2; break; /* bin16, str16 */
            case 0xc6:
            case 0xdb: h->lenbytes = 4; break; /* bin32, str32 */
            case 0xc7:
                h->lenbytes = 1;
                h->extra = 1;
                break; /* ext8 */
            case 0xc8:
                h->lenbytes = 2;
                h->extra = 1;
                break; /* ext16 */
            case 0xc9:
                h->lenbytes = 4;
                h->extra = 1;
                break;                     /* ext32 */
            case 0xca: h->skip = 4; break; /* float32 */
            case 0xcb: h->skip = 8; break; /* float64 */
            case 0xcc:
            case 0xd0: h->skip = 1; break; /* (u)int8 */
            case 0xcd:
            case 0xd1: h->skip = 2; break;
            case 0xce:
            case 0xd2: h->skip = 4; break;
            case 0xcf:
            case 0xd3: h->skip = 8; break;
            case 0xd4: h->skip = 2; break; /* fixext1..16 */
            case 0xd5: h->skip = 3; break;
            case 0xd6: h->skip = 5; break;
            case 0xd7: h->skip = 9; break;
            case 0xd8: h->skip = 17; break;
            case 0xdc:
                h->container = true;
                h->lenbytes = 2;
                break; /* array16 */
            case 0xdd:
                h->container = true;
                h->lenbytes = 4;
                break; /* array32 */
            case 0xde:
                h->container = true;
                h->lenbytes = 2;
                break; /* map16 */
            case 0xdf:
                h->container = true;
                h->lenbytes = 4;
                break;          /* map32 */
            default: return -1; /* 0xc1 */
        }
    }
    return 0;
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
        s_head_t h;
        if (s_head (b, &h) != 0)
            return -1;
        if (h.lenbytes) {
            if (len - pos < h.lenbytes)
                return -1;
            uint64_t n = s_be (p + pos, h.lenbytes);
            pos += h.lenbytes;
            if (h.container)
                h.items = (b == 0xde || b == 0xdf) ? 2 * n : n;
            else
                h.skip = n + h.extra;
        }
        if (h.skip > len - pos)
            return -1;
        pos += (size_t) h.skip;
        if (h.container) {
            if (depth + 1 > CCHC_PROTO_DEPTH_MAX)
                return -1;
            /*  Every object takes at least one byte: refuse a declared length
                the rest of the body cannot hold before anything allocates. */
            if (h.items > len - pos || pending + h.items > len - pos)
                return -1;
            depth++;
            left [depth] = h.items;
            pending += h.items;
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
int
cchc_mp_uint (const msgpack_object *obj, uint64_t *out)
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
int
cchc_mp_fields (const msgpack_object *root, const char *const names [], size_t count,
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
        if (cchc_mp_uint (vals [0], &v))
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

int
cchc_mp_key (const msgpack_object *obj, uint8_t key [CCHC_KEY_PUBLIC_BYTES])
{
    if (obj->type != MSGPACK_OBJECT_BIN)
        return CCHC_REASON_BAD_TYPE;
    if (obj->via.bin.size != CCHC_KEY_PUBLIC_BYTES)
        return CCHC_REASON_BAD_VALUE;
    memcpy (key, obj->via.bin.ptr, CCHC_KEY_PUBLIC_BYTES);
    return CCHC_REASON_NONE;
}

/*  A UTF-8 str; returns its bytes. */
int
cchc_mp_str (const msgpack_object *obj, const char **ptr, size_t *len)
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
void *
cchc_mp_array (const msgpack_object *obj, uint32_t min, uint32_t max, size_t item_size,
               uint32_t *count, int *reason)
{
    assert (obj && count && reason && item_size);
    *reason = CCHC_REASON_NONE;
    if (obj->type != MSGPACK_OBJECT_ARRAY) {
        *reason = CCHC_REASON_BAD_TYPE;
        return NULL;
    }
    uint32_t size = obj->via.array.size;
    if (size < min || size > max) {
        *reason = CCHC_REASON_BAD_COUNT;
        return NULL;
    }
    void *items = size ? calloc (size, item_size) : NULL;
    if (size && !items) {
        *reason = CCHC_REASON_BUSY;
        return NULL;
    }
    *count = size;
    return items;
}

int
cchc_mp_unpack (const uint8_t *body, size_t len, msgpack_unpacked *result)
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

int
cchc_mp_decode (const uint8_t *body, size_t len, cchc_mp_fill_fn *fill, void *out)
{
    msgpack_unpacked result;
    int rc = cchc_mp_unpack (body, len, &result);
    if (rc)
        return rc;
    rc = fill (&result.data, out);
    msgpack_unpacked_destroy (&result);
    return rc;
}

/* ------------------------------------------------------------------------ */
/*  Writing                                                                  */

int
cchc_mp_begin (msgpack_sbuffer *sbuf, msgpack_packer *pk, uint32_t count, const char *key_name,
               const uint8_t key [CCHC_KEY_PUBLIC_BYTES])
{
    msgpack_sbuffer_init (sbuf);
    msgpack_packer_init (pk, sbuf, msgpack_sbuffer_write);
    int err = msgpack_pack_map (pk, count);
    cchc_mp_pack_cstr (pk, "v", &err);
    err |= msgpack_pack_uint64 (pk, CCHC_PROTO_VERSION);
    cchc_mp_pack_cstr (pk, key_name, &err);
    err |= msgpack_pack_bin_with_body (pk, key, CCHC_KEY_PUBLIC_BYTES);
    return err;
}

void
cchc_mp_pack_cstr (msgpack_packer *pk, const char *s, int *err)
{
    size_t n = strlen (s);
    *err |= msgpack_pack_str (pk, n);
    *err |= msgpack_pack_str_body (pk, s, n);
}

/*  Hands the sbuffer to the caller, or frees it.  -1: out of memory. */
int
cchc_mp_finish (msgpack_sbuffer *sbuf, int err, uint8_t **body, size_t *len)
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
