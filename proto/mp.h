/*  mp.h — the msgpack primitives (the strict reading steps and two writing
    helpers) shared by every message kind of
    proto/ (proto.c: reports and acks; figures.c: figures), so that every
    kind is decoded by the same rules (PROTOCOL.md §4, §8).  Owned by
    proto/mp.c.  Internal to proto/.

    Each function returns CCHC_REASON_NONE or the reason that decides the
    refusal (proto/proto.h); of the readers only the unpack allocates. */
#ifndef CCHC_PROTO_MP_H
#define CCHC_PROTO_MP_H

#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>

#include "common/key.h"

/*  §8 steps 3 and 5: size, structural scan (exactly one complete object, no
    trailing or reserved byte, depth bounded, no declared length beyond the
    bytes left), unpack.  CCHC_REASON_NONE with *result to destroy, or a
    reason (result destroyed). */
int cchc_mp_unpack (const uint8_t *body, size_t len, msgpack_unpacked *result);

/*  Fills the decoded message out from the root object of its body. */
typedef int (cchc_mp_fill_fn) (const msgpack_object *root, void *out);

/*  cchc_mp_unpack, then fill (&root, out), then frees the object tree.  The
    reason of the first step that fails; the caller clears out on failure. */
int cchc_mp_decode (const uint8_t *body, size_t len, cchc_mp_fill_fn *fill, void *out);

/*  §8 steps 6-10: the key set of a body map whose names[0] is "v".  vals[i]
    receives the value of names[i]; names[required..count) are optional
    (vals NULL when absent).  Order: top-level type, each key in encoded
    order (type, known key seen twice), then the version, then unknown keys,
    then missing keys. */
int cchc_mp_fields (const msgpack_object *root, const char *const names [], size_t count,
                    size_t required, const msgpack_object *vals []);

/*  A uint: any msgpack integer with a value >= 0 (bad_type). */
int cchc_mp_uint (const msgpack_object *obj, uint64_t *out);

/*  A UTF-8 str; its bytes (bad_type, bad_utf8). */
int cchc_mp_str (const msgpack_object *obj, const char **ptr, size_t *len);

/*  An array of min .. max elements (bad_type, bad_count): returns as many
    zeroed items of item_size bytes to decode them into (NULL when it has
    none; NULL with busy when out of memory), *count its size.  *reason:
    CCHC_REASON_NONE or the reason (then *count is left alone). */
void *cchc_mp_array (const msgpack_object *obj, uint32_t min, uint32_t max, size_t item_size,
                     uint32_t *count, int *reason);

/*  A bin of exactly 32 bytes (bad_type, bad_value). */
int cchc_mp_key (const msgpack_object *obj, uint8_t key [CCHC_KEY_PUBLIC_BYTES]);

/*  Packs the C string s as a str; a failure is or-ed into *err. */
void cchc_mp_pack_cstr (msgpack_packer *pk, const char *s, int *err);

/*  Starts an encoding into sbuf (initialised here; cchc_mp_finish ends
    it): the body map of `count` keys, its "v" (CCHC_PROTO_VERSION), then
    the signer's key under `key_name` ("agent", "province").  Returns the
    pack calls' failures or-ed (0: none), for *err of what follows. */
int cchc_mp_begin (msgpack_sbuffer *sbuf, msgpack_packer *pk, uint32_t count,
                   const char *key_name, const uint8_t key [CCHC_KEY_PUBLIC_BYTES]);

/*  Ends an encoding into sbuf: on success hands its bytes to *body (the
    caller frees them) and *len and returns CCHC_REASON_NONE; else destroys
    sbuf and returns -1 if a pack call failed (err != 0) or too_large. */
int cchc_mp_finish (msgpack_sbuffer *sbuf, int err, uint8_t **body, size_t *len);

#endif
