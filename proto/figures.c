/*  figures.c — the "figures" message (PROTOCOL.md §15, proto/figures.h):
    encoding, strict decoding, signing and verification of a province's
    final figures of one period.  Decoding uses the same steps as reports
    (proto/mp.h): structural scan, unpack, key set, then each field in the
    order of the table; the first failure decides the reason. */
#include "proto/figures.h"
#include "proto/mp.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

static const char *const s_keys [] = { "v",       "province",  "code",        "seq",
                                       "created", "period",    "version",     "locked",
                                       "journal", "catalogue", "cat_year",    "structure",
                                       "part",    "parts",     "units_total", "indicators",
                                       "figures", "units" };
enum {
    F_V,
    F_PROVINCE,
    F_CODE,
    F_SEQ,
    F_CREATED,
    F_PERIOD,
    F_VERSION,
    F_LOCKED,
    F_JOURNAL,
    F_CATALOGUE,
    F_CAT_YEAR,
    F_STRUCTURE,
    F_PART,
    F_PARTS,
    F_UNITS_TOTAL,
    F_INDICATORS,
    F_FIGURES,
    F_UNITS,
    F_COUNT
};

/* ------------------------------------------------------------------------ */
/*  Shared checks (encoder and decoder apply the same ones, in order)        */

static bool
s_period_canonical (const char *s, size_t n)
{
    char buf [CCHC_PERIOD_ID_MAX], again [CCHC_PERIOD_ID_MAX];
    if (n == 0 || n >= sizeof buf)
        return false;
    memcpy (buf, s, n);
    buf [n] = 0;
    cchc_period_t p;
    if (cchc_period_parse (buf, &p) != 0)
        return false;
    cchc_period_format (&p, again, sizeof again);
    return strcmp (buf, again) == 0;
}

static int
s_check_header (const cchc_provfig_t *f)
{
    size_t n = strnlen (f->code, sizeof f->code);
    if (n == sizeof f->code || !cchc_unit_code_valid (f->code, n))
        return CCHC_REASON_BAD_CODE;
    if (f->seq == 0 || f->seq > (uint64_t) CCHC_PROTO_SEQ_MAX)
        return CCHC_REASON_BAD_SEQ;
    if (f->created_ms > (uint64_t) INT64_MAX)
        return CCHC_REASON_BAD_VALUE;
    if (!s_period_canonical (f->period, strnlen (f->period, sizeof f->period)))
        return CCHC_REASON_BAD_DATE;
    if (f->version == 0 || f->version > CCHC_PROVFIG_VERSION_MAX)
        return CCHC_REASON_BAD_VALUE;
    if (f->locked_ms > (uint64_t) INT64_MAX || f->journal > (uint64_t) INT64_MAX)
        return CCHC_REASON_BAD_VALUE;
    if (f->cat_year > 9999)
        return CCHC_REASON_BAD_VALUE;
    if (f->parts == 0 || f->parts > CCHC_PROVFIG_PARTS_MAX || f->part >= f->parts)
        return CCHC_REASON_BAD_VALUE;
    if (f->units_total > CCHC_PROVFIG_PARTS_MAX * CCHC_PROVFIG_UNITS_MAX)
        return CCHC_REASON_BAD_VALUE;
    return CCHC_REASON_NONE;
}

static bool
s_finite (double d)
{
    return isfinite (d);
}

static int
s_check_figure (const cchc_provfig_figure_t *g, uint32_t nindicators)
{
    if (g->indicator >= nindicators)
        return CCHC_REASON_BAD_VALUE;
    if (g->level < -1 || g->level > 2)
        return CCHC_REASON_BAD_VALUE;
    if (g->flags & ~CCHC_PROVFIG_FIGURE_FLAGS)
        return CCHC_REASON_BAD_VALUE;
    if (!s_finite (g->numerator) || !s_finite (g->denominator) || !s_finite (g->value)
        || !s_finite (g->target))
        return CCHC_REASON_BAD_VALUE;
    return CCHC_REASON_NONE;
}

static int
s_check_unit (const cchc_provfig_unit_t *u, uint32_t nindicators)
{
    size_t n = strnlen (u->code, sizeof u->code);
    if (n == sizeof u->code || !cchc_unit_code_valid (u->code, n))
        return CCHC_REASON_BAD_CODE;
    n = strnlen (u->parent, sizeof u->parent);
    if (n == sizeof u->parent || (n > 0 && !cchc_unit_code_valid (u->parent, n)))
        return CCHC_REASON_BAD_CODE;
    n = strnlen (u->name, sizeof u->name);
    if (n == sizeof u->name)
        return CCHC_REASON_BAD_VALUE;
    if (!cchc_utf8_valid (u->name, n))
        return CCHC_REASON_BAD_UTF8;
    if (u->level > 2 || (u->flags & ~CCHC_PROVFIG_UNIT_FLAGS))
        return CCHC_REASON_BAD_VALUE;
    if (!s_finite (u->index) || !s_finite (u->earned) || !s_finite (u->applicable))
        return CCHC_REASON_BAD_VALUE;
    for (uint32_t i = 0; i < nindicators; i++) {
        const cchc_provfig_score_t *s = &u->scores [i];
        if (s->state > 2 || !s_finite (s->value) || !s_finite (s->points)
            || !s_finite (s->points_max))
            return CCHC_REASON_BAD_VALUE;
    }
    return CCHC_REASON_NONE;
}

/* ------------------------------------------------------------------------ */
/*  Encoding                                                                 */

/*  Every field of f against the table of PROTOCOL.md §15, before encoding:
    CCHC_REASON_NONE or the reason the decoder would give. */
static int
s_check (const cchc_provfig_t *f)
{
    int rc = s_check_header (f);
    if (rc)
        return rc;
    if (f->nindicators == 0 || f->nindicators > CCHC_PROVFIG_INDICATORS_MAX)
        return CCHC_REASON_BAD_COUNT;
    for (uint32_t i = 0; i < f->nindicators; i++) {
        size_t n = strnlen (f->indicators [i], CCHC_METRIC_MAX + 1);
        if (n > CCHC_METRIC_MAX || !cchc_metric_code_valid (f->indicators [i], n))
            return CCHC_REASON_BAD_CODE;
    }
    if (f->nfigures > CCHC_PROVFIG_FIGURES_MAX || (f->part > 0 && f->nfigures > 0))
        return CCHC_REASON_BAD_COUNT;
    for (uint32_t i = 0; i < f->nfigures; i++)
        if ((rc = s_check_figure (&f->figures [i], f->nindicators)))
            return rc;
    if (f->nunits > CCHC_PROVFIG_UNITS_MAX || f->nunits > f->units_total)
        return CCHC_REASON_BAD_COUNT;
    for (uint32_t i = 0; i < f->nunits; i++)
        if ((rc = s_check_unit (&f->units [i], f->nindicators)))
            return rc;
    return CCHC_REASON_NONE;
}

int
cchc_provfig_encode (const cchc_provfig_t *f, uint8_t **body, size_t *len)
{
    assert (f && body && len);
    *body = NULL;
    *len = 0;
    int rc = s_check (f);
    if (rc)
        return rc;
    msgpack_sbuffer sbuf;
    msgpack_packer pk;
    int err = cchc_mp_begin (&sbuf, &pk, F_COUNT, "province", f->province);
    cchc_mp_pack_cstr (&pk, "code", &err);
    cchc_mp_pack_cstr (&pk, f->code, &err);
    cchc_mp_pack_cstr (&pk, "seq", &err);
    err |= msgpack_pack_uint64 (&pk, f->seq);
    cchc_mp_pack_cstr (&pk, "created", &err);
    err |= msgpack_pack_uint64 (&pk, f->created_ms);
    cchc_mp_pack_cstr (&pk, "period", &err);
    cchc_mp_pack_cstr (&pk, f->period, &err);
    cchc_mp_pack_cstr (&pk, "version", &err);
    err |= msgpack_pack_uint64 (&pk, f->version);
    cchc_mp_pack_cstr (&pk, "locked", &err);
    err |= msgpack_pack_uint64 (&pk, f->locked_ms);
    cchc_mp_pack_cstr (&pk, "journal", &err);
    err |= msgpack_pack_uint64 (&pk, f->journal);
    cchc_mp_pack_cstr (&pk, "catalogue", &err);
    err |= msgpack_pack_bin_with_body (&pk, f->catalogue, 32);
    cchc_mp_pack_cstr (&pk, "cat_year", &err);
    err |= msgpack_pack_uint64 (&pk, f->cat_year);
    cchc_mp_pack_cstr (&pk, "structure", &err);
    err |= msgpack_pack_bin_with_body (&pk, f->structure, 32);
    cchc_mp_pack_cstr (&pk, "part", &err);
    err |= msgpack_pack_uint64 (&pk, f->part);
    cchc_mp_pack_cstr (&pk, "parts", &err);
    err |= msgpack_pack_uint64 (&pk, f->parts);
    cchc_mp_pack_cstr (&pk, "units_total", &err);
    err |= msgpack_pack_uint64 (&pk, f->units_total);
    cchc_mp_pack_cstr (&pk, "indicators", &err);
    err |= msgpack_pack_array (&pk, f->nindicators);
    for (uint32_t i = 0; i < f->nindicators; i++)
        cchc_mp_pack_cstr (&pk, f->indicators [i], &err);
    cchc_mp_pack_cstr (&pk, "figures", &err);
    err |= msgpack_pack_array (&pk, f->nfigures);
    for (uint32_t i = 0; i < f->nfigures && !err; i++) {
        const cchc_provfig_figure_t *g = &f->figures [i];
        err |= msgpack_pack_array (&pk, 9);
        err |= msgpack_pack_uint64 (&pk, g->indicator);
        err |= msgpack_pack_int64 (&pk, g->level);
        err |= msgpack_pack_uint64 (&pk, g->flags);
        err |= msgpack_pack_double (&pk, g->numerator);
        err |= msgpack_pack_double (&pk, g->denominator);
        err |= msgpack_pack_double (&pk, g->value);
        err |= msgpack_pack_double (&pk, g->target);
        err |= msgpack_pack_uint64 (&pk, g->units);
        err |= msgpack_pack_uint64 (&pk, g->units_missing);
    }
    cchc_mp_pack_cstr (&pk, "units", &err);
    err |= msgpack_pack_array (&pk, f->nunits);
    for (uint32_t i = 0; i < f->nunits && !err; i++) {
        const cchc_provfig_unit_t *u = &f->units [i];
        err |= msgpack_pack_array (&pk, 10);
        cchc_mp_pack_cstr (&pk, u->code, &err);
        cchc_mp_pack_cstr (&pk, u->parent, &err);
        cchc_mp_pack_cstr (&pk, u->name, &err);
        err |= msgpack_pack_uint64 (&pk, u->level);
        err |= msgpack_pack_uint64 (&pk, u->flags);
        err |= msgpack_pack_double (&pk, u->index);
        err |= msgpack_pack_double (&pk, u->earned);
        err |= msgpack_pack_double (&pk, u->applicable);
        err |= msgpack_pack_uint64 (&pk, u->rank);
        err |= msgpack_pack_array (&pk, f->nindicators);
        for (uint32_t j = 0; j < f->nindicators; j++) {
            const cchc_provfig_score_t *s = &u->scores [j];
            err |= msgpack_pack_array (&pk, 4);
            err |= msgpack_pack_uint64 (&pk, s->state);
            err |= msgpack_pack_double (&pk, s->value);
            err |= msgpack_pack_double (&pk, s->points);
            err |= msgpack_pack_double (&pk, s->points_max);
        }
    }
    return cchc_mp_finish (&sbuf, err, body, len);
}

/* ------------------------------------------------------------------------ */
/*  Decoding                                                                 */

/*  A uint of at most max (bad_type, bad_value). */
static int
s_uint (const msgpack_object *o, uint64_t max, uint64_t *out)
{
    uint64_t u;
    int rc = cchc_mp_uint (o, &u);
    if (rc)
        return rc;
    if (u > max)
        return CCHC_REASON_BAD_VALUE;
    *out = u;
    return CCHC_REASON_NONE;
}

static int
s_u32 (const msgpack_object *o, uint64_t max, uint32_t *out)
{
    uint64_t u;
    int rc = s_uint (o, max, &u);
    if (rc == CCHC_REASON_NONE)
        *out = (uint32_t) u;
    return rc;
}

/*  A float (32 or 64), finite. */
static int
s_float (const msgpack_object *o, double *out)
{
    if (o->type == MSGPACK_OBJECT_FLOAT32 || o->type == MSGPACK_OBJECT_FLOAT64) {
        if (!isfinite (o->via.f64))
            return CCHC_REASON_BAD_VALUE;
        *out = o->via.f64;
        return CCHC_REASON_NONE;
    }
    return CCHC_REASON_BAD_TYPE;
}

/*  A str of at most max bytes copied into buf (NUL-terminated); with
    `code`, it must be a unit code (or "" when empty_ok). */
static int
s_strfield (const msgpack_object *o, char *buf, size_t max, int code, bool empty_ok)
{
    const char *s;
    size_t n;
    int rc = cchc_mp_str (o, &s, &n);
    if (rc)
        return rc;
    if (code == 1) {
        if (!(empty_ok && n == 0) && !cchc_unit_code_valid (s, n))
            return CCHC_REASON_BAD_CODE;
    }
    else if (code == 2) {
        if (!cchc_metric_code_valid (s, n))
            return CCHC_REASON_BAD_CODE;
    }
    else if (n > max)
        return CCHC_REASON_BAD_VALUE;
    memcpy (buf, s, n);
    buf [n] = 0;
    return CCHC_REASON_NONE;
}

static int
s_bin32 (const msgpack_object *o, uint8_t out [32])
{
    return cchc_mp_key (o, out);
}

static int
s_figure_decode (const msgpack_object *o, uint32_t nindicators, cchc_provfig_figure_t *g)
{
    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 9)
        return CCHC_REASON_BAD_TYPE;
    const msgpack_object *a = o->via.array.ptr;
    int rc;
    if ((rc = s_u32 (&a [0], CCHC_PROVFIG_INDICATORS_MAX - 1, &g->indicator)))
        return rc;
    if (g->indicator >= nindicators)
        return CCHC_REASON_BAD_VALUE;
    if (a [1].type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
        if (a [1].via.u64 > 2)
            return CCHC_REASON_BAD_VALUE;
        g->level = (int32_t) a [1].via.u64;
    }
    else if (a [1].type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
        if (a [1].via.i64 != -1)
            return CCHC_REASON_BAD_VALUE;
        g->level = -1;
    }
    else
        return CCHC_REASON_BAD_TYPE;
    if ((rc = s_u32 (&a [2], CCHC_PROVFIG_FIGURE_FLAGS, &g->flags)))
        return rc;
    if ((rc = s_float (&a [3], &g->numerator)) || (rc = s_float (&a [4], &g->denominator))
        || (rc = s_float (&a [5], &g->value)) || (rc = s_float (&a [6], &g->target)))
        return rc;
    if ((rc = s_u32 (&a [7], UINT32_MAX, &g->units))
        || (rc = s_u32 (&a [8], UINT32_MAX, &g->units_missing)))
        return rc;
    return CCHC_REASON_NONE;
}

static int
s_unit_decode (const msgpack_object *o, uint32_t nindicators, cchc_provfig_unit_t *u)
{
    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 10)
        return CCHC_REASON_BAD_TYPE;
    const msgpack_object *a = o->via.array.ptr;
    int rc;
    if ((rc = s_strfield (&a [0], u->code, CCHC_UNIT_MAX, 1, false))
        || (rc = s_strfield (&a [1], u->parent, CCHC_UNIT_MAX, 1, true))
        || (rc = s_strfield (&a [2], u->name, CCHC_PROVFIG_NAME_MAX, 0, true)))
        return rc;
    if ((rc = s_u32 (&a [3], 2, &u->level))
        || (rc = s_u32 (&a [4], CCHC_PROVFIG_UNIT_FLAGS, &u->flags)))
        return rc;
    if ((rc = s_float (&a [5], &u->index)) || (rc = s_float (&a [6], &u->earned))
        || (rc = s_float (&a [7], &u->applicable)))
        return rc;
    if ((rc = s_u32 (&a [8], UINT32_MAX, &u->rank)))
        return rc;
    const msgpack_object *sc = &a [9];
    if (sc->type != MSGPACK_OBJECT_ARRAY)
        return CCHC_REASON_BAD_TYPE;
    if (sc->via.array.size != nindicators)
        return CCHC_REASON_BAD_COUNT;
    for (uint32_t i = 0; i < nindicators; i++) {
        const msgpack_object *e = &sc->via.array.ptr [i];
        cchc_provfig_score_t *s = &u->scores [i];
        if (e->type != MSGPACK_OBJECT_ARRAY || e->via.array.size != 4)
            return CCHC_REASON_BAD_TYPE;
        const msgpack_object *b = e->via.array.ptr;
        if ((rc = s_u32 (&b [0], 2, &s->state)) || (rc = s_float (&b [1], &s->value))
            || (rc = s_float (&b [2], &s->points)) || (rc = s_float (&b [3], &s->points_max)))
            return rc;
    }
    return CCHC_REASON_NONE;
}

/*  The scalar fields of a figures body, province to units_total, in the
    order of the table (PROTOCOL.md §15). */
static int
s_header_fill (const msgpack_object *const f [F_COUNT], cchc_provfig_t *out)
{
    int rc;
    uint64_t u;
    if ((rc = cchc_mp_key (f [F_PROVINCE], out->province)))
        return rc;
    if ((rc = s_strfield (f [F_CODE], out->code, CCHC_UNIT_MAX, 1, false)))
        return rc;
    if (f [F_SEQ]->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return CCHC_REASON_BAD_TYPE;
    out->seq = f [F_SEQ]->via.u64;
    if (out->seq == 0 || out->seq > (uint64_t) CCHC_PROTO_SEQ_MAX)
        return CCHC_REASON_BAD_SEQ;
    if ((rc = s_uint (f [F_CREATED], (uint64_t) INT64_MAX, &out->created_ms)))
        return rc;
    const char *s;
    size_t n;
    if ((rc = cchc_mp_str (f [F_PERIOD], &s, &n)))
        return rc;
    if (!s_period_canonical (s, n))
        return CCHC_REASON_BAD_DATE;
    memcpy (out->period, s, n);
    out->period [n] = 0;
    if ((rc = s_uint (f [F_VERSION], CCHC_PROVFIG_VERSION_MAX, &out->version)))
        return rc;
    if (out->version == 0)
        return CCHC_REASON_BAD_VALUE;
    if ((rc = s_uint (f [F_LOCKED], (uint64_t) INT64_MAX, &out->locked_ms))
        || (rc = s_uint (f [F_JOURNAL], (uint64_t) INT64_MAX, &out->journal)))
        return rc;
    if ((rc = s_bin32 (f [F_CATALOGUE], out->catalogue)))
        return rc;
    if ((rc = s_u32 (f [F_CAT_YEAR], 9999, &out->cat_year)))
        return rc;
    if ((rc = s_bin32 (f [F_STRUCTURE], out->structure)))
        return rc;
    if ((rc = s_u32 (f [F_PART], CCHC_PROVFIG_PARTS_MAX - 1, &out->part)))
        return rc;
    if ((rc = s_u32 (f [F_PARTS], CCHC_PROVFIG_PARTS_MAX, &out->parts)))
        return rc;
    if (out->parts == 0 || out->part >= out->parts)
        return CCHC_REASON_BAD_VALUE;
    if ((rc = s_uint (f [F_UNITS_TOTAL], CCHC_PROVFIG_PARTS_MAX * CCHC_PROVFIG_UNITS_MAX, &u)))
        return rc;
    out->units_total = (uint32_t) u;
    return CCHC_REASON_NONE;
}

static int
s_fill (const msgpack_object *root, void *out_)
{
    cchc_provfig_t *out = out_;
    const msgpack_object *f [F_COUNT];
    int rc = cchc_mp_fields (root, s_keys, F_COUNT, F_COUNT, f);
    if (rc)
        return rc;
    if ((rc = s_header_fill (f, out)))
        return rc;
    const msgpack_object *ind = f [F_INDICATORS];
    out->indicators = cchc_mp_array (ind, 1, CCHC_PROVFIG_INDICATORS_MAX,
                                     sizeof *out->indicators, &out->nindicators, &rc);
    if (rc)
        return rc;
    for (uint32_t i = 0; i < out->nindicators; i++)
        if ((rc = s_strfield (&ind->via.array.ptr [i], out->indicators [i], CCHC_METRIC_MAX, 2,
                              false)))
            return rc;

    /*  The figures go in part 0 only. */
    const msgpack_object *fig = f [F_FIGURES];
    out->figures = cchc_mp_array (fig, 0, out->part > 0 ? 0 : CCHC_PROVFIG_FIGURES_MAX,
                                  sizeof *out->figures, &out->nfigures, &rc);
    if (rc)
        return rc;
    for (uint32_t i = 0; i < out->nfigures; i++)
        if ((rc = s_figure_decode (&fig->via.array.ptr [i], out->nindicators,
                                   &out->figures [i])))
            return rc;

    const msgpack_object *un = f [F_UNITS];
    uint32_t units_max =
        out->units_total < CCHC_PROVFIG_UNITS_MAX ? out->units_total : CCHC_PROVFIG_UNITS_MAX;
    out->units = cchc_mp_array (un, 0, units_max, sizeof *out->units, &out->nunits, &rc);
    if (rc)
        return rc;
    if (out->nunits) {
        cchc_provfig_score_t *scores =
            calloc ((size_t) out->nunits * out->nindicators, sizeof *scores);
        out->mem_ = scores;
        if (!scores)
            return CCHC_REASON_BUSY;
        for (uint32_t i = 0; i < out->nunits; i++)
            out->units [i].scores = scores + (size_t) i * out->nindicators;
    }
    for (uint32_t i = 0; i < out->nunits; i++)
        if ((rc = s_unit_decode (&un->via.array.ptr [i], out->nindicators, &out->units [i])))
            return rc;
    return CCHC_REASON_NONE;
}

int
cchc_provfig_decode (const uint8_t *body, size_t len, cchc_provfig_t *out)
{
    assert (out);
    memset (out, 0, sizeof *out);
    int rc = cchc_mp_decode (body, len, s_fill, out);
    if (rc)
        cchc_provfig_clear (out);
    return rc;
}

void
cchc_provfig_clear (cchc_provfig_t *fig)
{
    if (!fig)
        return;
    free (fig->indicators);
    free (fig->figures);
    free (fig->units);
    free (fig->mem_);
    memset (fig, 0, sizeof *fig);
}

/* ------------------------------------------------------------------------ */
/*  Signatures and opening                                                   */

void
cchc_provfig_sign (const cchc_key_t *key, const uint8_t *body, size_t len, uint8_t sig [64])
{
    cchc_proto_sign (CCHC_KIND_FIGURES, key, body, len, sig);
}

int
cchc_provfig_verify (const uint8_t pk [32], const uint8_t *body, size_t len,
                     const uint8_t sig [64])
{
    return cchc_proto_verify (CCHC_KIND_FIGURES, pk, body, len, sig);
}

int
cchc_provfig_open (const uint8_t pk [32], const uint8_t *body, size_t len,
                   const uint8_t sig [64], cchc_provfig_t *out)
{
    assert (pk && sig && out);
    memset (out, 0, sizeof *out);
    int rc = cchc_proto_check (CCHC_KIND_FIGURES, pk, body, len, sig);
    if (rc || (rc = cchc_provfig_decode (body, len, out)))
        return rc;
    if (memcmp (out->province, pk, CCHC_KEY_PUBLIC_BYTES) != 0) {
        cchc_provfig_clear (out);
        return CCHC_REASON_KEY_MISMATCH;
    }
    return CCHC_REASON_NONE;
}

void
cchc_provfig_structure (const cchc_provfig_unit_t *units, size_t n, uint8_t out [32])
{
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init (&st);
    for (size_t i = 0; i < n; i++) {
        char level = (char) ('0' + units [i].level);
        crypto_hash_sha256_update (&st, (const uint8_t *) units [i].code,
                                   strlen (units [i].code) + 1);
        crypto_hash_sha256_update (&st, (const uint8_t *) units [i].parent,
                                   strlen (units [i].parent) + 1);
        crypto_hash_sha256_update (&st, (const uint8_t *) &level, 1);
        crypto_hash_sha256_update (&st, (const uint8_t *) "", 1);
    }
    crypto_hash_sha256_final (&st, out);
}
