/*  mp.h — the strict msgpack decoding steps of proto.c (scan, unpack, key
    set, UTF-8 strings, 32-byte keys), shared by the other message kinds of
    proto/ (figures.c) so that every kind is decoded by the same rules
    (PROTOCOL.md §4, §8).  Internal to proto/. */
#ifndef CCHC_PROTO_MP_H
#define CCHC_PROTO_MP_H

#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>

#include "common/key.h"

/*  §8 steps 3 and 5: size, structural scan, unpack.  CCHC_REASON_NONE with
    *result to destroy, or a reason (result destroyed). */
int cchc_mp_unpack (const uint8_t *body, size_t len, msgpack_unpacked *result);

/*  §8 steps 6-10 over a body map whose names[0] is "v". */
int cchc_mp_fields (const msgpack_object *root, const char *const names [], size_t count,
                    const msgpack_object *vals []);

/*  A UTF-8 str (bad_type, bad_utf8). */
int cchc_mp_str (const msgpack_object *obj, const char **ptr, size_t *len);

/*  A bin of exactly 32 bytes (bad_type, bad_value). */
int cchc_mp_key (const msgpack_object *obj, uint8_t key [CCHC_KEY_PUBLIC_BYTES]);

#endif
