/*  test_proto.c — codec and signature tests of wire protocol v1: round trips,
    canonical encoding, every refusal reason from a crafted body (built with
    msgpack_pack_* directly), structural attacks (huge declared lengths, deep
    nesting, trailing bytes), encoder checks, and one flipped bit anywhere in
    a signed message being refused. */
#include "proto/proto.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <msgpack.h>
#include <sodium.h>

#include "tests/test.h"

static const uint8_t s_seed_agent [32] = { 0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60,
                                           0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec, 0x2c, 0xc4,
                                           0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19,
                                           0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60 };
static const uint8_t s_seed_collector [32] = {
    0x4c, 0xcd, 0x08, 0x9b, 0x28, 0xff, 0x96, 0xda, 0x9d, 0xb6, 0xc3,
    0x46, 0xec, 0x11, 0x4e, 0x0f, 0x5b, 0x8a, 0x31, 0x9f, 0x35, 0xab,
    0xa6, 0x24, 0xda, 0x8c, 0xf6, 0xed, 0x4f, 0xb8, 0xa6, 0xfb
};

/* ------------------------------------------------------------------------ */
/*  Crafting bodies                                                         */

typedef void (*pack_fn) (msgpack_packer *pk);
typedef struct {
    const char *key; /* NULL: end of list */
    pack_fn fn;
} field_t;

static void
p_str (msgpack_packer *pk, const char *s)
{
    msgpack_pack_str_with_body (pk, s, strlen (s));
}

static void
p_raw_str (msgpack_packer *pk, const char *s, size_t n)
{
    msgpack_pack_str_with_body (pk, s, n);
}

static uint8_t s_agent_pk [32]; /* set in main from s_seed_agent */

static void
p_v1 (msgpack_packer *pk)
{
    msgpack_pack_uint64 (pk, 1);
}
static void
p_agent (msgpack_packer *pk)
{
    msgpack_pack_bin_with_body (pk, s_agent_pk, 32);
}
static void
p_unit (msgpack_packer *pk)
{
    p_str (pk, "STP");
}
static void
p_seq (msgpack_packer *pk)
{
    msgpack_pack_uint64 (pk, 42);
}
static void
p_created (msgpack_packer *pk)
{
    msgpack_pack_uint64 (pk, 1615741199000ULL);
}

static void
p_obs_one (msgpack_packer *pk, const char *metric, const char *date)
{
    msgpack_pack_array (pk, 3);
    p_str (pk, metric);
    p_str (pk, date);
    msgpack_pack_int64 (pk, 7);
}

static void
p_obs (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 2);
    p_obs_one (pk, "tthc_received", "2021-03-14");
    msgpack_pack_array (pk, 3);
    p_str (pk, "tthc_resolved");
    p_str (pk, "2021-03-14");
    msgpack_pack_double (pk, 2.5);
}

/*  Ack fields. */
static void
p_ack_seq (msgpack_packer *pk)
{
    msgpack_pack_uint64 (pk, 42);
}
static void
p_status (msgpack_packer *pk)
{
    msgpack_pack_uint64 (pk, 0);
}
static void
p_reason (msgpack_packer *pk)
{
    msgpack_pack_uint64 (pk, 0);
}
static void
p_time (msgpack_packer *pk)
{
    msgpack_pack_uint64 (pk, 1615741200000ULL);
}
static void
p_rejected (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 2);
    msgpack_pack_array (pk, 2);
    msgpack_pack_uint64 (pk, 0);
    msgpack_pack_uint64 (pk, 37);
    msgpack_pack_array (pk, 2);
    msgpack_pack_uint64 (pk, 1);
    msgpack_pack_uint64 (pk, 36);
}

static const field_t s_report_good [] = {
    { "v", p_v1 },    { "agent", p_agent },     { "unit", p_unit },
    { "seq", p_seq }, { "created", p_created }, { "obs", p_obs },
    { NULL, NULL }
};
static const field_t s_ack_good [] = { { "v", p_v1 },          { "agent", p_agent },
                                       { "seq", p_ack_seq },   { "status", p_status },
                                       { "reason", p_reason }, { "rejected", p_rejected },
                                       { "time", p_time },     { NULL, NULL } };

typedef enum { OP_NONE, OP_REPLACE, OP_REMOVE, OP_ADD, OP_DUP, OP_FIRST } op_t;

/*  Pack a map from `base` changed by one operation on `key`.
    OP_FIRST moves `key` to the front (other order still valid). */
static void
s_build (msgpack_sbuffer *sb, const field_t *base, op_t op, const char *key, pack_fn fn)
{
    field_t fields [16];
    size_t n = 0;
    for (size_t i = 0; base [i].key; i++) {
        bool match = key && strcmp (base [i].key, key) == 0;
        if (match && op == OP_REMOVE)
            continue;
        fields [n] = base [i];
        if (match && op == OP_REPLACE)
            fields [n].fn = fn;
        n++;
        if (match && op == OP_DUP)
            fields [n++] = base [i];
    }
    if (op == OP_ADD)
        fields [n++] = (field_t){ key, fn };
    if (op == OP_FIRST) {
        for (size_t i = 0; i < n; i++)
            if (strcmp (fields [i].key, key) == 0) {
                field_t f = fields [i];
                memmove (fields + 1, fields, i * sizeof *fields);
                fields [0] = f;
                break;
            }
    }
    msgpack_packer pk;
    msgpack_sbuffer_init (sb);
    msgpack_packer_init (&pk, sb, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, n);
    for (size_t i = 0; i < n; i++) {
        p_str (&pk, fields [i].key);
        fields [i].fn (&pk);
    }
}

/*  Value makers for the refusal table. */
static void
p_v2 (msgpack_packer *pk)
{
    msgpack_pack_uint64 (pk, 2);
}
static void
p_v0 (msgpack_packer *pk)
{
    msgpack_pack_uint64 (pk, 0);
}
static void
p_str1 (msgpack_packer *pk)
{
    p_str (pk, "1");
}
static void
p_neg1 (msgpack_packer *pk)
{
    msgpack_pack_int64 (pk, -1);
}
static void
p_float1 (msgpack_packer *pk)
{
    msgpack_pack_double (pk, 1.0);
}
static void
p_nil (msgpack_packer *pk)
{
    msgpack_pack_nil (pk);
}
static void
p_true (msgpack_packer *pk)
{
    msgpack_pack_true (pk);
}
static void
p_u64_1 (msgpack_packer *pk)
{ /* 1 as uint64 (non-canonical, still valid) */
    static const char b [9] = { (char) 0xcf, 0, 0, 0, 0, 0, 0, 0, 1 };
    msgpack_pack_str_body (pk, b, sizeof b);
}
static void
p_i8_1 (msgpack_packer *pk)
{ /* 1 as int8 (non-canonical, still valid) */
    static const char b [2] = { (char) 0xd0, 1 };
    msgpack_pack_str_body (pk, b, sizeof b);
}
static void
p_agent_str (msgpack_packer *pk)
{
    p_raw_str (pk, (const char *) s_agent_pk, 32);
}
static void
p_agent_31 (msgpack_packer *pk)
{
    msgpack_pack_bin_with_body (pk, s_agent_pk, 31);
}
static void
p_agent_33 (msgpack_packer *pk)
{
    uint8_t k [33] = { 0 };
    msgpack_pack_bin_with_body (pk, k, 33);
}
static void
p_unit_bin (msgpack_packer *pk)
{
    msgpack_pack_bin_with_body (pk, "STP", 3);
}
static void
p_unit_empty (msgpack_packer *pk)
{
    p_str (pk, "");
}
static void
p_unit_17 (msgpack_packer *pk)
{
    p_str (pk, "ABCDEFGHIJKLMNOPQ");
}
static void
p_unit_16 (msgpack_packer *pk)
{
    p_str (pk, "ABCDEFGHIJKLMNOP");
}
static void
p_unit_space (msgpack_packer *pk)
{
    p_str (pk, "S TP");
}
static void
p_unit_utf8 (msgpack_packer *pk)
{
    p_str (pk, "S\xc6\xa0");
} /* "SƠ": UTF-8, bad code */
static void
p_unit_bad_utf8 (msgpack_packer *pk)
{
    p_str (pk, "S\xff");
}
static void
p_unit_overlong (msgpack_packer *pk)
{
    p_str (pk, "\xc0\xaf");
}
static void
p_unit_nul (msgpack_packer *pk)
{
    p_raw_str (pk, "S\0P", 3);
}
static void
p_unit_str8 (msgpack_packer *pk)
{ /* "STP" as str8 (non-canonical, valid) */
    static const char b [5] = { (char) 0xd9, 3, 'S', 'T', 'P' };
    msgpack_pack_str_body (pk, b, sizeof b);
}
static void
p_seq_max (msgpack_packer *pk)
{
    msgpack_pack_uint64 (pk, (uint64_t) INT64_MAX);
}
static void
p_seq_over (msgpack_packer *pk)
{
    msgpack_pack_uint64 (pk, (uint64_t) INT64_MAX + 1);
}
static void
p_u64_max (msgpack_packer *pk)
{
    msgpack_pack_uint64 (pk, UINT64_MAX);
}
static void
p_u32_over (msgpack_packer *pk)
{
    msgpack_pack_uint64 (pk, (uint64_t) UINT32_MAX + 1);
}
static void
p_u32_max (msgpack_packer *pk)
{
    msgpack_pack_uint64 (pk, UINT32_MAX);
}
static void
p_u4 (msgpack_packer *pk)
{
    msgpack_pack_uint64 (pk, 4);
}
static void
p_u3 (msgpack_packer *pk)
{
    msgpack_pack_uint64 (pk, 3);
}
static void
p_empty_array (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 0);
}
static void
p_empty_map (msgpack_packer *pk)
{
    msgpack_pack_map (pk, 0);
}

static void
p_obs_n (msgpack_packer *pk, size_t n)
{
    msgpack_pack_array (pk, n);
    for (size_t i = 0; i < n; i++) {
        char metric [32];
        snprintf (metric, sizeof metric, "m%zu", i);
        p_obs_one (pk, metric, "2021-03-14");
    }
}
static void
p_obs_1000 (msgpack_packer *pk)
{
    p_obs_n (pk, 1000);
}
static void
p_obs_1001 (msgpack_packer *pk)
{
    p_obs_n (pk, 1001);
}

/*  One observation [metric, date, value] where the parts come from callers. */
static void
p_obs_custom (msgpack_packer *pk, pack_fn metric, pack_fn date, pack_fn value)
{
    msgpack_pack_array (pk, 2);
    p_obs_one (pk, "tthc_received", "2021-03-14");
    msgpack_pack_array (pk, 3);
    metric (pk);
    date (pk);
    value (pk);
}
static void
m_ok (msgpack_packer *pk)
{
    p_str (pk, "tthc_resolved");
}
static void
m_int (msgpack_packer *pk)
{
    msgpack_pack_uint64 (pk, 5);
}
static void
m_bin (msgpack_packer *pk)
{
    msgpack_pack_bin_with_body (pk, "tthc", 4);
}
static void
m_upper (msgpack_packer *pk)
{
    p_str (pk, "Tthc");
}
static void
m_digit (msgpack_packer *pk)
{
    p_str (pk, "1tthc");
}
static void
m_dash (msgpack_packer *pk)
{
    p_str (pk, "tthc-x");
}
static void
m_empty (msgpack_packer *pk)
{
    p_str (pk, "");
}
static void
m_48 (msgpack_packer *pk)
{
    p_str (pk, "a23456789012345678901234567890123456789012345678");
}
static void
m_49 (msgpack_packer *pk)
{
    p_str (pk, "a234567890123456789012345678901234567890123456789");
}
static void
m_bad_utf8 (msgpack_packer *pk)
{
    p_str (pk, "tthc\xe0\x80");
}
static void
m_surrogate (msgpack_packer *pk)
{
    p_str (pk, "a\xed\xa0\x80");
}
static void
m_dup (msgpack_packer *pk)
{
    p_str (pk, "tthc_received");
}
static void
d_ok (msgpack_packer *pk)
{
    p_str (pk, "2021-03-14");
}
static void
d_other (msgpack_packer *pk)
{
    p_str (pk, "2021-03-15");
}
static void
d_feb29 (msgpack_packer *pk)
{
    p_str (pk, "2021-02-29");
}
static void
d_leap (msgpack_packer *pk)
{
    p_str (pk, "2020-02-29");
}
static void
d_feb29_1900 (msgpack_packer *pk)
{
    p_str (pk, "1900-02-29");
}
static void
d_short (msgpack_packer *pk)
{
    p_str (pk, "2021-3-14");
}
static void
d_month13 (msgpack_packer *pk)
{
    p_str (pk, "2021-13-01");
}
static void
d_day0 (msgpack_packer *pk)
{
    p_str (pk, "2021-03-00");
}
static void
d_year0 (msgpack_packer *pk)
{
    p_str (pk, "0000-01-01");
}
static void
d_slash (msgpack_packer *pk)
{
    p_str (pk, "2021/03/14");
}
static void
d_trailing (msgpack_packer *pk)
{
    p_str (pk, "2021-03-14 ");
}
static void
d_time (msgpack_packer *pk)
{
    p_str (pk, "2021-03-14T00:00");
}
static void
d_bad_utf8 (msgpack_packer *pk)
{
    p_str (pk, "2021-03-1\xff");
}
static void
d_int (msgpack_packer *pk)
{
    msgpack_pack_uint64 (pk, 20210314);
}
static void
v_ok (msgpack_packer *pk)
{
    msgpack_pack_int64 (pk, -5);
}
static void
v_nan (msgpack_packer *pk)
{
    msgpack_pack_double (pk, NAN);
}
static void
v_inf (msgpack_packer *pk)
{
    msgpack_pack_double (pk, -INFINITY);
}
static void
v_f32_inf (msgpack_packer *pk)
{
    msgpack_pack_float (pk, INFINITY);
}
static void
v_f32_nan (msgpack_packer *pk)
{
    msgpack_pack_float (pk, NAN);
}
static void
v_f32 (msgpack_packer *pk)
{
    msgpack_pack_float (pk, 1.5f);
}
static void
v_u64_over (msgpack_packer *pk)
{
    msgpack_pack_uint64 (pk, (uint64_t) INT64_MAX + 1);
}
static void
v_i64_min (msgpack_packer *pk)
{
    msgpack_pack_int64 (pk, INT64_MIN);
}
static void
v_i64_max (msgpack_packer *pk)
{
    msgpack_pack_int64 (pk, INT64_MAX);
}
static void
v_str (msgpack_packer *pk)
{
    p_str (pk, "5");
}
static void
v_nil (msgpack_packer *pk)
{
    msgpack_pack_nil (pk);
}
static void
v_bool (msgpack_packer *pk)
{
    msgpack_pack_false (pk);
}
static void
v_ext (msgpack_packer *pk)
{
    msgpack_pack_ext_with_body (pk, "abcd", 4, 1);
}

#define OBS_FN(name, m, d, v)             \
    static void name (msgpack_packer *pk) \
    {                                     \
        p_obs_custom (pk, m, d, v);       \
    }
OBS_FN (o_ok, m_ok, d_ok, v_ok)
OBS_FN (o_metric_int, m_int, d_ok, v_ok)
OBS_FN (o_metric_bin, m_bin, d_ok, v_ok)
OBS_FN (o_metric_upper, m_upper, d_ok, v_ok)
OBS_FN (o_metric_digit, m_digit, d_ok, v_ok)
OBS_FN (o_metric_dash, m_dash, d_ok, v_ok)
OBS_FN (o_metric_empty, m_empty, d_ok, v_ok)
OBS_FN (o_metric_48, m_48, d_ok, v_ok)
OBS_FN (o_metric_49, m_49, d_ok, v_ok)
OBS_FN (o_metric_utf8, m_bad_utf8, d_ok, v_ok)
OBS_FN (o_metric_surrogate, m_surrogate, d_ok, v_ok)
OBS_FN (o_dup, m_dup, d_ok, v_ok)
OBS_FN (o_dup_other_day, m_dup, d_other, v_ok)
OBS_FN (o_feb29, m_ok, d_feb29, v_ok)
OBS_FN (o_leap, m_ok, d_leap, v_ok)
OBS_FN (o_feb29_1900, m_ok, d_feb29_1900, v_ok)
OBS_FN (o_date_short, m_ok, d_short, v_ok)
OBS_FN (o_month13, m_ok, d_month13, v_ok)
OBS_FN (o_day0, m_ok, d_day0, v_ok)
OBS_FN (o_year0, m_ok, d_year0, v_ok)
OBS_FN (o_slash, m_ok, d_slash, v_ok)
OBS_FN (o_date_trailing, m_ok, d_trailing, v_ok)
OBS_FN (o_date_time, m_ok, d_time, v_ok)
OBS_FN (o_date_utf8, m_ok, d_bad_utf8, v_ok)
OBS_FN (o_date_int, m_ok, d_int, v_ok)
OBS_FN (o_nan, m_ok, d_ok, v_nan)
OBS_FN (o_inf, m_ok, d_ok, v_inf)
OBS_FN (o_f32_inf, m_ok, d_ok, v_f32_inf)
OBS_FN (o_f32_nan, m_ok, d_ok, v_f32_nan)
OBS_FN (o_f32, m_ok, d_ok, v_f32)
OBS_FN (o_u64_over, m_ok, d_ok, v_u64_over)
OBS_FN (o_i64_min, m_ok, d_ok, v_i64_min)
OBS_FN (o_i64_max, m_ok, d_ok, v_i64_max)
OBS_FN (o_vstr, m_ok, d_ok, v_str)
OBS_FN (o_vnil, m_ok, d_ok, v_nil)
OBS_FN (o_vbool, m_ok, d_ok, v_bool)
OBS_FN (o_vext, m_ok, d_ok, v_ext)
/*  A bad metric and a bad date in the same observation: the metric is
    checked first; bad UTF-8 is reported before the code syntax. */
OBS_FN (o_two_faults, m_upper, d_feb29, v_nan)
OBS_FN (o_utf8_before_code, m_bad_utf8, d_ok, v_ok)

static void
o_entry_len2 (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 1);
    msgpack_pack_array (pk, 2);
    p_str (pk, "tthc_received");
    p_str (pk, "2021-03-14");
}
static void
o_entry_len4 (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 1);
    msgpack_pack_array (pk, 4);
    p_str (pk, "tthc_received");
    p_str (pk, "2021-03-14");
    msgpack_pack_int64 (pk, 1);
    msgpack_pack_int64 (pk, 1);
}
static void
o_entry_map (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 1);
    msgpack_pack_map (pk, 1);
    p_str (pk, "tthc_received");
    msgpack_pack_int64 (pk, 1);
}
/*  Duplicate observation far apart, after the last is checked. */
static void
o_dup_far (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 5);
    p_obs_one (pk, "c", "2021-03-14");
    p_obs_one (pk, "a", "2021-03-14");
    p_obs_one (pk, "b", "2021-03-14");
    p_obs_one (pk, "a", "2021-03-15");
    p_obs_one (pk, "c", "2021-03-14");
}
/*  Duplicate earlier, but a bad value later: value errors come first. */
static void
o_dup_then_bad (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 3);
    p_obs_one (pk, "a", "2021-03-14");
    p_obs_one (pk, "a", "2021-03-14");
    msgpack_pack_array (pk, 3);
    p_str (pk, "b");
    p_str (pk, "2021-03-14");
    msgpack_pack_double (pk, NAN);
}

/*  Rejected lists. */
static void
r_entries (msgpack_packer *pk, const uint64_t *idx, size_t n)
{
    msgpack_pack_array (pk, n);
    for (size_t i = 0; i < n; i++) {
        msgpack_pack_array (pk, 2);
        msgpack_pack_uint64 (pk, idx [i]);
        msgpack_pack_uint64 (pk, 37);
    }
}
static void
r_desc (msgpack_packer *pk)
{
    uint64_t i [] = { 3, 2 };
    r_entries (pk, i, 2);
}
static void
r_equal (msgpack_packer *pk)
{
    uint64_t i [] = { 3, 3 };
    r_entries (pk, i, 2);
}
static void
r_1000 (msgpack_packer *pk)
{
    uint64_t i [] = { 1000 };
    r_entries (pk, i, 1);
}
static void
r_999 (msgpack_packer *pk)
{
    uint64_t i [] = { 0, 999 };
    r_entries (pk, i, 2);
}
static void
r_count (msgpack_packer *pk, size_t n)
{
    msgpack_pack_array (pk, n);
    for (size_t i = 0; i < n; i++) {
        msgpack_pack_array (pk, 2);
        msgpack_pack_uint64 (pk, i);
        msgpack_pack_uint64 (pk, 36);
    }
}
static void
r_all_1000 (msgpack_packer *pk)
{
    r_count (pk, 1000);
}
static void
r_1001 (msgpack_packer *pk)
{
    r_count (pk, 1001);
}
static void
r_entry_len3 (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 1);
    msgpack_pack_array (pk, 3);
    msgpack_pack_uint64 (pk, 0);
    msgpack_pack_uint64 (pk, 37);
    msgpack_pack_uint64 (pk, 0);
}
static void
r_entry_int (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 1);
    msgpack_pack_uint64 (pk, 0);
}
static void
r_index_str (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 1);
    msgpack_pack_array (pk, 2);
    p_str (pk, "0");
    msgpack_pack_uint64 (pk, 37);
}
static void
r_index_neg (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 1);
    msgpack_pack_array (pk, 2);
    msgpack_pack_int64 (pk, -1);
    msgpack_pack_uint64 (pk, 37);
}
static void
r_reason_over (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 1);
    msgpack_pack_array (pk, 2);
    msgpack_pack_uint64 (pk, 0);
    msgpack_pack_uint64 (pk, (uint64_t) UINT32_MAX + 1);
}
static void
r_reason_float (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 1);
    msgpack_pack_array (pk, 2);
    msgpack_pack_uint64 (pk, 0);
    msgpack_pack_double (pk, 37);
}

typedef struct {
    const char *name;
    cchc_kind_t kind;
    op_t op;
    const char *key;
    pack_fn fn;
    int expect;
} case_t;

#define R CCHC_KIND_REPORT
#define A CCHC_KIND_ACK
static const case_t s_cases [] = {
    /* the good bodies and valid variations */
    { "report good", R, OP_NONE, NULL, NULL, CCHC_REASON_NONE },
    { "ack good", A, OP_NONE, NULL, NULL, CCHC_REASON_NONE },
    { "report obs first", R, OP_FIRST, "obs", NULL, CCHC_REASON_NONE },
    { "ack time first", A, OP_FIRST, "time", NULL, CCHC_REASON_NONE },
    { "v as uint64", R, OP_REPLACE, "v", p_u64_1, CCHC_REASON_NONE },
    { "v as int8", A, OP_REPLACE, "v", p_i8_1, CCHC_REASON_NONE },
    { "unit as str8", R, OP_REPLACE, "unit", p_unit_str8, CCHC_REASON_NONE },
    { "unit 16 bytes", R, OP_REPLACE, "unit", p_unit_16, CCHC_REASON_NONE },
    { "seq max", R, OP_REPLACE, "seq", p_seq_max, CCHC_REASON_NONE },
    { "obs 1000", R, OP_REPLACE, "obs", p_obs_1000, CCHC_REASON_NONE },
    { "metric 48", R, OP_REPLACE, "obs", o_metric_48, CCHC_REASON_NONE },
    { "same metric other day", R, OP_REPLACE, "obs", o_dup_other_day, CCHC_REASON_NONE },
    { "leap day", R, OP_REPLACE, "obs", o_leap, CCHC_REASON_NONE },
    { "float32 value", R, OP_REPLACE, "obs", o_f32, CCHC_REASON_NONE },
    { "int64 min", R, OP_REPLACE, "obs", o_i64_min, CCHC_REASON_NONE },
    { "int64 max", R, OP_REPLACE, "obs", o_i64_max, CCHC_REASON_NONE },
    { "negative value", R, OP_REPLACE, "obs", o_ok, CCHC_REASON_NONE },
    { "ack seq 0", A, OP_REPLACE, "seq", p_v0, CCHC_REASON_NONE },
    { "ack seq max", A, OP_REPLACE, "seq", p_seq_max, CCHC_REASON_NONE },
    { "ack status 3", A, OP_REPLACE, "status", p_u3, CCHC_REASON_NONE },
    { "ack reason u32 max", A, OP_REPLACE, "reason", p_u32_max, CCHC_REASON_NONE },
    { "ack no rejections", A, OP_REPLACE, "rejected", p_empty_array, CCHC_REASON_NONE },
    { "ack index 999", A, OP_REPLACE, "rejected", r_999, CCHC_REASON_NONE },
    { "ack 1000 rejections", A, OP_REPLACE, "rejected", r_all_1000, CCHC_REASON_NONE },

    /* version */
    { "v 2", R, OP_REPLACE, "v", p_v2, CCHC_REASON_BAD_VERSION },
    { "v 0", A, OP_REPLACE, "v", p_v0, CCHC_REASON_BAD_VERSION },
    { "v str", R, OP_REPLACE, "v", p_str1, CCHC_REASON_BAD_TYPE },
    { "v negative", R, OP_REPLACE, "v", p_neg1, CCHC_REASON_BAD_TYPE },
    { "v float", A, OP_REPLACE, "v", p_float1, CCHC_REASON_BAD_TYPE },
    { "v missing", R, OP_REMOVE, "v", NULL, CCHC_REASON_MISSING_FIELD },

    /* key set */
    { "agent missing", R, OP_REMOVE, "agent", NULL, CCHC_REASON_MISSING_FIELD },
    { "unit missing", R, OP_REMOVE, "unit", NULL, CCHC_REASON_MISSING_FIELD },
    { "seq missing", R, OP_REMOVE, "seq", NULL, CCHC_REASON_MISSING_FIELD },
    { "created missing", R, OP_REMOVE, "created", NULL, CCHC_REASON_MISSING_FIELD },
    { "obs missing", R, OP_REMOVE, "obs", NULL, CCHC_REASON_MISSING_FIELD },
    { "ack agent missing", A, OP_REMOVE, "agent", NULL, CCHC_REASON_MISSING_FIELD },
    { "ack seq missing", A, OP_REMOVE, "seq", NULL, CCHC_REASON_MISSING_FIELD },
    { "ack status missing", A, OP_REMOVE, "status", NULL, CCHC_REASON_MISSING_FIELD },
    { "ack reason missing", A, OP_REMOVE, "reason", NULL, CCHC_REASON_MISSING_FIELD },
    { "ack rejected missing", A, OP_REMOVE, "rejected", NULL, CCHC_REASON_MISSING_FIELD },
    { "ack time missing", A, OP_REMOVE, "time", NULL, CCHC_REASON_MISSING_FIELD },
    { "seq twice", R, OP_DUP, "seq", NULL, CCHC_REASON_DUPLICATE_FIELD },
    { "v twice", R, OP_DUP, "v", NULL, CCHC_REASON_DUPLICATE_FIELD },
    { "ack time twice", A, OP_DUP, "time", NULL, CCHC_REASON_DUPLICATE_FIELD },
    { "unknown key", R, OP_ADD, "note", p_str1, CCHC_REASON_UNKNOWN_FIELD },
    { "ack unknown key", A, OP_ADD, "created", p_created, CCHC_REASON_UNKNOWN_FIELD },
    { "report key in ack", A, OP_ADD, "unit", p_unit, CCHC_REASON_UNKNOWN_FIELD },
    { "key case", R, OP_ADD, "V", p_v1, CCHC_REASON_UNKNOWN_FIELD },
    { "key prefix", R, OP_ADD, "ob", p_v1, CCHC_REASON_UNKNOWN_FIELD },
    { "key longer", R, OP_ADD, "seqs", p_v1, CCHC_REASON_UNKNOWN_FIELD },

    /* revision 1.2: the optional keys */
    { "caps 1", R, OP_ADD, "caps", p_v1, CCHC_REASON_NONE },
    { "caps unknown bits", R, OP_ADD, "caps", p_u32_max, CCHC_REASON_NONE },
    { "caps over 32 bits", R, OP_ADD, "caps", p_u32_over, CCHC_REASON_BAD_VALUE },
    { "caps str", R, OP_ADD, "caps", p_str1, CCHC_REASON_BAD_TYPE },
    { "caps negative", R, OP_ADD, "caps", p_neg1, CCHC_REASON_BAD_TYPE },
    { "caps nil", R, OP_ADD, "caps", p_nil, CCHC_REASON_BAD_TYPE },
    { "caps in ack", A, OP_ADD, "caps", p_v1, CCHC_REASON_UNKNOWN_FIELD },
    { "high", A, OP_ADD, "high", p_seq_max, CCHC_REASON_NONE },
    { "high 0", A, OP_ADD, "high", p_v0, CCHC_REASON_NONE },
    { "high over", A, OP_ADD, "high", p_seq_over, CCHC_REASON_BAD_SEQ },
    { "high float", A, OP_ADD, "high", p_float1, CCHC_REASON_BAD_TYPE },
    { "high in report", R, OP_ADD, "high", p_v1, CCHC_REASON_UNKNOWN_FIELD },

    /* agent */
    { "agent str", R, OP_REPLACE, "agent", p_agent_str, CCHC_REASON_BAD_TYPE },
    { "agent 31", R, OP_REPLACE, "agent", p_agent_31, CCHC_REASON_BAD_VALUE },
    { "agent 33", A, OP_REPLACE, "agent", p_agent_33, CCHC_REASON_BAD_VALUE },
    { "agent nil", A, OP_REPLACE, "agent", p_nil, CCHC_REASON_BAD_TYPE },

    /* unit */
    { "unit bin", R, OP_REPLACE, "unit", p_unit_bin, CCHC_REASON_BAD_TYPE },
    { "unit int", R, OP_REPLACE, "unit", p_v1, CCHC_REASON_BAD_TYPE },
    { "unit empty", R, OP_REPLACE, "unit", p_unit_empty, CCHC_REASON_BAD_CODE },
    { "unit 17", R, OP_REPLACE, "unit", p_unit_17, CCHC_REASON_BAD_CODE },
    { "unit space", R, OP_REPLACE, "unit", p_unit_space, CCHC_REASON_BAD_CODE },
    { "unit non-ascii", R, OP_REPLACE, "unit", p_unit_utf8, CCHC_REASON_BAD_CODE },
    { "unit bad utf8", R, OP_REPLACE, "unit", p_unit_bad_utf8, CCHC_REASON_BAD_UTF8 },
    { "unit overlong", R, OP_REPLACE, "unit", p_unit_overlong, CCHC_REASON_BAD_UTF8 },
    { "unit NUL", R, OP_REPLACE, "unit", p_unit_nul, CCHC_REASON_BAD_UTF8 },

    /* seq, created */
    { "seq 0", R, OP_REPLACE, "seq", p_v0, CCHC_REASON_BAD_SEQ },
    { "seq 2^63", R, OP_REPLACE, "seq", p_seq_over, CCHC_REASON_BAD_SEQ },
    { "seq 2^64-1", R, OP_REPLACE, "seq", p_u64_max, CCHC_REASON_BAD_SEQ },
    { "seq negative", R, OP_REPLACE, "seq", p_neg1, CCHC_REASON_BAD_TYPE },
    { "seq float", R, OP_REPLACE, "seq", p_float1, CCHC_REASON_BAD_TYPE },
    { "seq str", R, OP_REPLACE, "seq", p_str1, CCHC_REASON_BAD_TYPE },
    { "created 2^63", R, OP_REPLACE, "created", p_seq_over, CCHC_REASON_BAD_VALUE },
    { "created negative", R, OP_REPLACE, "created", p_neg1, CCHC_REASON_BAD_TYPE },
    { "created bool", R, OP_REPLACE, "created", p_true, CCHC_REASON_BAD_TYPE },

    /* obs */
    { "obs map", R, OP_REPLACE, "obs", p_empty_map, CCHC_REASON_BAD_TYPE },
    { "obs nil", R, OP_REPLACE, "obs", p_nil, CCHC_REASON_BAD_TYPE },
    { "obs empty", R, OP_REPLACE, "obs", p_empty_array, CCHC_REASON_BAD_COUNT },
    { "obs 1001", R, OP_REPLACE, "obs", p_obs_1001, CCHC_REASON_BAD_COUNT },
    { "obs entry len 2", R, OP_REPLACE, "obs", o_entry_len2, CCHC_REASON_BAD_TYPE },
    { "obs entry len 4", R, OP_REPLACE, "obs", o_entry_len4, CCHC_REASON_BAD_TYPE },
    { "obs entry map", R, OP_REPLACE, "obs", o_entry_map, CCHC_REASON_BAD_TYPE },
    { "metric int", R, OP_REPLACE, "obs", o_metric_int, CCHC_REASON_BAD_TYPE },
    { "metric bin", R, OP_REPLACE, "obs", o_metric_bin, CCHC_REASON_BAD_TYPE },
    { "metric upper", R, OP_REPLACE, "obs", o_metric_upper, CCHC_REASON_BAD_CODE },
    { "metric digit first", R, OP_REPLACE, "obs", o_metric_digit, CCHC_REASON_BAD_CODE },
    { "metric dash", R, OP_REPLACE, "obs", o_metric_dash, CCHC_REASON_BAD_CODE },
    { "metric empty", R, OP_REPLACE, "obs", o_metric_empty, CCHC_REASON_BAD_CODE },
    { "metric 49", R, OP_REPLACE, "obs", o_metric_49, CCHC_REASON_BAD_CODE },
    { "metric bad utf8", R, OP_REPLACE, "obs", o_metric_utf8, CCHC_REASON_BAD_UTF8 },
    { "metric surrogate", R, OP_REPLACE, "obs", o_metric_surrogate, CCHC_REASON_BAD_UTF8 },
    { "utf8 before code", R, OP_REPLACE, "obs", o_utf8_before_code, CCHC_REASON_BAD_UTF8 },
    { "metric before date", R, OP_REPLACE, "obs", o_two_faults, CCHC_REASON_BAD_CODE },
    { "date 2021-02-29", R, OP_REPLACE, "obs", o_feb29, CCHC_REASON_BAD_DATE },
    { "date 1900-02-29", R, OP_REPLACE, "obs", o_feb29_1900, CCHC_REASON_BAD_DATE },
    { "date short", R, OP_REPLACE, "obs", o_date_short, CCHC_REASON_BAD_DATE },
    { "date month 13", R, OP_REPLACE, "obs", o_month13, CCHC_REASON_BAD_DATE },
    { "date day 0", R, OP_REPLACE, "obs", o_day0, CCHC_REASON_BAD_DATE },
    { "date year 0", R, OP_REPLACE, "obs", o_year0, CCHC_REASON_BAD_DATE },
    { "date slashes", R, OP_REPLACE, "obs", o_slash, CCHC_REASON_BAD_DATE },
    { "date trailing space", R, OP_REPLACE, "obs", o_date_trailing, CCHC_REASON_BAD_DATE },
    { "date with time", R, OP_REPLACE, "obs", o_date_time, CCHC_REASON_BAD_DATE },
    { "date bad utf8", R, OP_REPLACE, "obs", o_date_utf8, CCHC_REASON_BAD_UTF8 },
    { "date int", R, OP_REPLACE, "obs", o_date_int, CCHC_REASON_BAD_TYPE },
    { "value NaN", R, OP_REPLACE, "obs", o_nan, CCHC_REASON_BAD_VALUE },
    { "value -Inf", R, OP_REPLACE, "obs", o_inf, CCHC_REASON_BAD_VALUE },
    { "value float32 Inf", R, OP_REPLACE, "obs", o_f32_inf, CCHC_REASON_BAD_VALUE },
    { "value float32 NaN", R, OP_REPLACE, "obs", o_f32_nan, CCHC_REASON_BAD_VALUE },
    { "value 2^63", R, OP_REPLACE, "obs", o_u64_over, CCHC_REASON_BAD_VALUE },
    { "value str", R, OP_REPLACE, "obs", o_vstr, CCHC_REASON_BAD_TYPE },
    { "value nil", R, OP_REPLACE, "obs", o_vnil, CCHC_REASON_BAD_TYPE },
    { "value bool", R, OP_REPLACE, "obs", o_vbool, CCHC_REASON_BAD_TYPE },
    { "value ext", R, OP_REPLACE, "obs", o_vext, CCHC_REASON_BAD_TYPE },
    { "duplicate observation", R, OP_REPLACE, "obs", o_dup,
      CCHC_REASON_DUPLICATE_OBSERVATION },
    { "duplicate far apart", R, OP_REPLACE, "obs", o_dup_far,
      CCHC_REASON_DUPLICATE_OBSERVATION },
    { "value checked before duplicates", R, OP_REPLACE, "obs", o_dup_then_bad,
      CCHC_REASON_BAD_VALUE },

    /* ack fields */
    { "ack seq 2^63", A, OP_REPLACE, "seq", p_seq_over, CCHC_REASON_BAD_SEQ },
    { "ack seq negative", A, OP_REPLACE, "seq", p_neg1, CCHC_REASON_BAD_TYPE },
    { "ack status 4", A, OP_REPLACE, "status", p_u4, CCHC_REASON_BAD_VALUE },
    { "ack status str", A, OP_REPLACE, "status", p_str1, CCHC_REASON_BAD_TYPE },
    { "ack reason 2^32", A, OP_REPLACE, "reason", p_u32_over, CCHC_REASON_BAD_VALUE },
    { "ack reason negative", A, OP_REPLACE, "reason", p_neg1, CCHC_REASON_BAD_TYPE },
    { "ack rejected map", A, OP_REPLACE, "rejected", p_empty_map, CCHC_REASON_BAD_TYPE },
    { "ack rejected nil", A, OP_REPLACE, "rejected", p_nil, CCHC_REASON_BAD_TYPE },
    { "ack 1001 rejections", A, OP_REPLACE, "rejected", r_1001, CCHC_REASON_BAD_COUNT },
    { "ack entry len 3", A, OP_REPLACE, "rejected", r_entry_len3, CCHC_REASON_BAD_TYPE },
    { "ack entry int", A, OP_REPLACE, "rejected", r_entry_int, CCHC_REASON_BAD_TYPE },
    { "ack index str", A, OP_REPLACE, "rejected", r_index_str, CCHC_REASON_BAD_TYPE },
    { "ack index negative", A, OP_REPLACE, "rejected", r_index_neg, CCHC_REASON_BAD_TYPE },
    { "ack index 1000", A, OP_REPLACE, "rejected", r_1000, CCHC_REASON_BAD_VALUE },
    { "ack index descending", A, OP_REPLACE, "rejected", r_desc, CCHC_REASON_BAD_VALUE },
    { "ack index repeated", A, OP_REPLACE, "rejected", r_equal, CCHC_REASON_BAD_VALUE },
    { "ack entry reason 2^32", A, OP_REPLACE, "rejected", r_reason_over,
      CCHC_REASON_BAD_VALUE },
    { "ack entry reason float", A, OP_REPLACE, "rejected", r_reason_float,
      CCHC_REASON_BAD_TYPE },
    { "ack time 2^63", A, OP_REPLACE, "time", p_seq_over, CCHC_REASON_BAD_VALUE },
    { "ack time float", A, OP_REPLACE, "time", p_float1, CCHC_REASON_BAD_TYPE },
};
#undef R
#undef A

static int
s_decode (cchc_kind_t kind, const uint8_t *body, size_t len)
{
    int rc;
    if (kind == CCHC_KIND_REPORT) {
        cchc_report_t r;
        rc = cchc_report_decode (body, len, &r);
        if (rc == 0 && r.nobs == 0)
            rc = 999; /* must never happen */
        if (rc != 0 && (r.obs || r.nobs))
            rc = 998; /* must be cleared on failure */
        cchc_report_clear (&r);
    }
    else {
        cchc_ack_t a;
        rc = cchc_ack_decode (body, len, &a);
        if (rc != 0 && (a.rejected || a.nrejected))
            rc = 998;
        cchc_ack_clear (&a);
    }
    return rc;
}

static void
test_crafted_bodies (void)
{
    bool seen [128] = { false };
    int failures = 0;
    for (size_t i = 0; i < sizeof s_cases / sizeof s_cases [0]; i++) {
        const case_t *c = &s_cases [i];
        msgpack_sbuffer sb;
        s_build (&sb, c->kind == CCHC_KIND_REPORT ? s_report_good : s_ack_good, c->op, c->key,
                 c->fn);
        int rc = s_decode (c->kind, (const uint8_t *) sb.data, sb.size);
        if (rc != c->expect) {
            fprintf (stderr, "case '%s': got %d %s, want %d %s\n", c->name, rc,
                     cchc_reason_name (rc), c->expect, cchc_reason_name (c->expect));
            failures++;
        }
        if (rc >= 0 && rc < 128)
            seen [rc] = true;
        /*  The same body as the other kind is never accepted. */
        int other = s_decode (c->kind == CCHC_KIND_REPORT ? CCHC_KIND_ACK : CCHC_KIND_REPORT,
                              (const uint8_t *) sb.data, sb.size);
        if (other == CCHC_REASON_NONE) {
            fprintf (stderr, "case '%s': accepted as the other kind\n", c->name);
            failures++;
        }
        msgpack_sbuffer_destroy (&sb);
    }
    CHECK_EQ_INT (failures, 0);
    /*  Every body-level reason has at least one case here. */
    const int body_reasons [] = {
        CCHC_REASON_BAD_VERSION,   CCHC_REASON_BAD_TYPE,
        CCHC_REASON_MISSING_FIELD, CCHC_REASON_DUPLICATE_FIELD,
        CCHC_REASON_UNKNOWN_FIELD, CCHC_REASON_BAD_UTF8,
        CCHC_REASON_BAD_CODE,      CCHC_REASON_BAD_DATE,
        CCHC_REASON_BAD_VALUE,     CCHC_REASON_BAD_COUNT,
        CCHC_REASON_BAD_SEQ,       CCHC_REASON_DUPLICATE_OBSERVATION
    };
    for (size_t i = 0; i < sizeof body_reasons / sizeof body_reasons [0]; i++)
        CHECK (seen [body_reasons [i]]);
}

/*  v 2 with an unknown key: the version is reported, not the key. */
static void
test_version_first (void)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init (&sb);
    msgpack_packer_init (&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 2);
    p_str (&pk, "future");
    msgpack_pack_uint64 (&pk, 5);
    p_str (&pk, "v");
    msgpack_pack_uint64 (&pk, 2);
    CHECK_EQ_INT (s_decode (CCHC_KIND_REPORT, (uint8_t *) sb.data, sb.size),
                  CCHC_REASON_BAD_VERSION);
    CHECK_EQ_INT (s_decode (CCHC_KIND_ACK, (uint8_t *) sb.data, sb.size),
                  CCHC_REASON_BAD_VERSION);
    msgpack_sbuffer_destroy (&sb);
}

/* ------------------------------------------------------------------------ */
/*  Raw-byte bodies                                                         */

static void
test_structure (void)
{
    /*  Not a map at the top. */
    const uint8_t arr [] = { 0x91, 0x01 };
    CHECK_EQ_INT (s_decode (CCHC_KIND_REPORT, arr, sizeof arr), CCHC_REASON_BAD_TYPE);
    const uint8_t one [] = { 0x01 };
    CHECK_EQ_INT (s_decode (CCHC_KIND_ACK, one, 1), CCHC_REASON_BAD_TYPE);
    /*  Empty map: missing fields. */
    const uint8_t empty [] = { 0x80 };
    CHECK_EQ_INT (s_decode (CCHC_KIND_REPORT, empty, 1), CCHC_REASON_MISSING_FIELD);
    /*  Non-str key. */
    const uint8_t intkey [] = { 0x81, 0x01, 0x01 };
    CHECK_EQ_INT (s_decode (CCHC_KIND_REPORT, intkey, sizeof intkey), CCHC_REASON_BAD_TYPE);
    const uint8_t binkey [] = { 0x81, 0xc4, 0x01, 'v', 0x01 };
    CHECK_EQ_INT (s_decode (CCHC_KIND_REPORT, binkey, sizeof binkey), CCHC_REASON_BAD_TYPE);
    /*  Empty, reserved byte, truncated. */
    CHECK_EQ_INT (s_decode (CCHC_KIND_REPORT, empty, 0), CCHC_REASON_MALFORMED);
    const uint8_t reserved [] = { 0xc1 };
    CHECK_EQ_INT (s_decode (CCHC_KIND_REPORT, reserved, 1), CCHC_REASON_MALFORMED);
    const uint8_t trunc_map [] = { 0x82, 0xa1, 'v', 0x01 };
    CHECK_EQ_INT (s_decode (CCHC_KIND_REPORT, trunc_map, sizeof trunc_map),
                  CCHC_REASON_MALFORMED);
    const uint8_t trunc_str [] = { 0x81, 0xa5, 'v' };
    CHECK_EQ_INT (s_decode (CCHC_KIND_REPORT, trunc_str, sizeof trunc_str),
                  CCHC_REASON_MALFORMED);
    const uint8_t trunc_u64 [] = { 0x81, 0xa1, 'v', 0xcf, 0, 0 };
    CHECK_EQ_INT (s_decode (CCHC_KIND_REPORT, trunc_u64, sizeof trunc_u64),
                  CCHC_REASON_MALFORMED);
    const uint8_t trunc_len [] = { 0x81, 0xa1, 'v', 0xdb, 0 };
    CHECK_EQ_INT (s_decode (CCHC_KIND_REPORT, trunc_len, sizeof trunc_len),
                  CCHC_REASON_MALFORMED);
    /*  A second object after the first (trailing bytes). */
    const uint8_t two [] = { 0x80, 0x80 };
    CHECK_EQ_INT (s_decode (CCHC_KIND_REPORT, two, sizeof two), CCHC_REASON_MALFORMED);

    /*  A good body, then one trailing byte, then truncated by one. */
    msgpack_sbuffer sb;
    s_build (&sb, s_report_good, OP_NONE, NULL, NULL);
    uint8_t *buf = malloc (sb.size + 1);
    CHECK (buf);
    memcpy (buf, sb.data, sb.size);
    buf [sb.size] = 0;
    int good = s_decode (CCHC_KIND_REPORT, buf, sb.size);
    int trailing = s_decode (CCHC_KIND_REPORT, buf, sb.size + 1);
    int truncated = s_decode (CCHC_KIND_REPORT, buf, sb.size - 1);
    free (buf);
    msgpack_sbuffer_destroy (&sb);
    CHECK_EQ_INT (good, CCHC_REASON_NONE);
    CHECK_EQ_INT (trailing, CCHC_REASON_MALFORMED);
    CHECK_EQ_INT (truncated, CCHC_REASON_MALFORMED);

    /*  Every prefix of a good body is malformed, never accepted. */
    s_build (&sb, s_ack_good, OP_NONE, NULL, NULL);
    for (size_t n = 0; n < sb.size; n++)
        CHECK_EQ_INT (s_decode (CCHC_KIND_ACK, (uint8_t *) sb.data, n), CCHC_REASON_MALFORMED);
    msgpack_sbuffer_destroy (&sb);
}

static double
s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*  Huge declared lengths in tiny bodies: refused at once, nothing allocated
    in proportion to the declared length (ASan's allocator would fail the test
    on a multi-gigabyte request). */
static void
test_huge_declared (void)
{
    const uint8_t map32 [] = { 0xdf, 0xff, 0xff, 0xff, 0xff };
    CHECK_EQ_INT (s_decode (CCHC_KIND_REPORT, map32, sizeof map32), CCHC_REASON_MALFORMED);
    const uint8_t arr32 [] = { 0xdd, 0xff, 0xff, 0xff, 0xff, 0x01, 0x01 };
    CHECK_EQ_INT (s_decode (CCHC_KIND_REPORT, arr32, sizeof arr32), CCHC_REASON_MALFORMED);
    const uint8_t str32 [] = { 0x81, 0xdb, 0xff, 0xff, 0xff, 0xff, 'v' };
    CHECK_EQ_INT (s_decode (CCHC_KIND_ACK, str32, sizeof str32), CCHC_REASON_MALFORMED);
    const uint8_t bin32 [] = { 0x81, 0xa1, 'v', 0xc6, 0x7f, 0xff, 0xff, 0xff };
    CHECK_EQ_INT (s_decode (CCHC_KIND_ACK, bin32, sizeof bin32), CCHC_REASON_MALFORMED);
    const uint8_t ext32 [] = { 0x81, 0xa1, 'v', 0xc9, 0xff, 0xff, 0xff, 0xff, 0x01 };
    CHECK_EQ_INT (s_decode (CCHC_KIND_ACK, ext32, sizeof ext32), CCHC_REASON_MALFORMED);

    /*  A good report whose obs array claims 2^32-1 entries. */
    msgpack_sbuffer sb;
    s_build (&sb, s_report_good, OP_NONE, NULL, NULL);
    /*  Find the obs array header (fixarray 0x92 after the "obs" key). */
    size_t at = 0;
    for (size_t i = 0; i + 5 <= sb.size && !at; i++)
        if (memcmp (sb.data + i, "\xa3obs\x92", 5) == 0)
            at = i + 4;
    CHECK (at);
    size_t n = sb.size + 4;
    uint8_t *buf = malloc (n);
    CHECK (buf);
    memcpy (buf, sb.data, at);
    buf [at] = 0xdd;
    buf [at + 1] = buf [at + 2] = buf [at + 3] = buf [at + 4] = 0xff;
    memcpy (buf + at + 5, sb.data + at + 1, sb.size - at - 1);
    int rc = s_decode (CCHC_KIND_REPORT, buf, n);
    free (buf);
    msgpack_sbuffer_destroy (&sb);
    CHECK_EQ_INT (rc, CCHC_REASON_MALFORMED);

    /*  A 64 KiB body made of nested array32 headers each declaring 2^32-1. */
    buf = malloc (CCHC_PROTO_BODY_MAX);
    CHECK (buf);
    for (size_t i = 0; i + 5 <= CCHC_PROTO_BODY_MAX; i += 5) {
        buf [i] = 0xdd;
        buf [i + 1] = buf [i + 2] = buf [i + 3] = buf [i + 4] = 0xff;
    }
    double t0 = s_now ();
    rc = s_decode (CCHC_KIND_REPORT, buf, CCHC_PROTO_BODY_MAX);
    double t1 = s_now ();
    CHECK_EQ_INT (rc, CCHC_REASON_MALFORMED);
    /*  65536 one-element arrays: plausible lengths, nesting far too deep. */
    memset (buf, 0x91, CCHC_PROTO_BODY_MAX);
    buf [CCHC_PROTO_BODY_MAX - 1] = 0x01;
    rc = s_decode (CCHC_KIND_REPORT, buf, CCHC_PROTO_BODY_MAX);
    CHECK_EQ_INT (rc, CCHC_REASON_MALFORMED);
    /*  A flat 64 KiB array of 65531 nils: allowed structurally (wrong type). */
    buf [0] = 0xdd;
    buf [1] = 0x00;
    buf [2] = 0x00;
    buf [3] = 0xff;
    buf [4] = 0xfb;
    memset (buf + 5, 0xc0, CCHC_PROTO_BODY_MAX - 5);
    rc = s_decode (CCHC_KIND_REPORT, buf, CCHC_PROTO_BODY_MAX);
    CHECK_EQ_INT (rc, CCHC_REASON_BAD_TYPE);
    /*  The same array declared one longer than the bytes can hold. */
    buf [4] = 0xfc;
    rc = s_decode (CCHC_KIND_REPORT, buf, CCHC_PROTO_BODY_MAX);
    CHECK_EQ_INT (rc, CCHC_REASON_MALFORMED);
    /*  A map of 32765 nil/nil pairs in 65535 bytes: structurally fine. */
    buf [0] = 0xdf;
    buf [1] = 0x00;
    buf [2] = 0x00;
    buf [3] = 0x7f;
    buf [4] = 0xfd; /* 32765 pairs = 65530 objects in 65531 bytes */
    memset (buf + 5, 0xc0, CCHC_PROTO_BODY_MAX - 5);
    rc = s_decode (CCHC_KIND_REPORT, buf, 5 + 65530);
    CHECK_EQ_INT (rc, CCHC_REASON_BAD_TYPE); /* nil key */
    free (buf);
    CHECK (t1 - t0 < 1.0);
}

/*  Nesting: 16 levels are structurally fine (the field then has the wrong
    type); 17 are malformed. */
static int s_nest_depth;
static void
p_nested (msgpack_packer *pk)
{
    for (int i = 0; i < s_nest_depth; i++)
        msgpack_pack_array (pk, 1);
    msgpack_pack_nil (pk);
}

static void
test_depth (void)
{
    msgpack_sbuffer sb;
    s_nest_depth = 15; /* the map is level 1, so 16 levels in all */
    s_build (&sb, s_report_good, OP_REPLACE, "unit", p_nested);
    CHECK_EQ_INT (s_decode (CCHC_KIND_REPORT, (uint8_t *) sb.data, sb.size),
                  CCHC_REASON_BAD_TYPE);
    msgpack_sbuffer_destroy (&sb);
    s_nest_depth = 16;
    s_build (&sb, s_report_good, OP_REPLACE, "unit", p_nested);
    CHECK_EQ_INT (s_decode (CCHC_KIND_REPORT, (uint8_t *) sb.data, sb.size),
                  CCHC_REASON_MALFORMED);
    msgpack_sbuffer_destroy (&sb);
    s_nest_depth = 40;
    s_build (&sb, s_ack_good, OP_REPLACE, "time", p_nested);
    CHECK_EQ_INT (s_decode (CCHC_KIND_ACK, (uint8_t *) sb.data, sb.size),
                  CCHC_REASON_MALFORMED);
    msgpack_sbuffer_destroy (&sb);
}

/* ------------------------------------------------------------------------ */
/*  Encoding and round trips                                                */

static cchc_obs_t
s_obs_int (const char *metric, int y, int m, int d, int64_t v)
{
    cchc_obs_t o;
    memset (&o, 0, sizeof o);
    snprintf (o.metric, sizeof o.metric, "%s", metric);
    o.date = cchc_date_from_ymd (y, m, d);
    o.ival = v;
    return o;
}

static cchc_obs_t
s_obs_float (const char *metric, int y, int m, int d, double v)
{
    cchc_obs_t o = s_obs_int (metric, y, m, d, 0);
    o.is_float = true;
    o.fval = v;
    return o;
}

static bool
s_report_equal (const cchc_report_t *a, const cchc_report_t *b)
{
    if (memcmp (a->agent, b->agent, 32) || strcmp (a->unit, b->unit) || a->seq != b->seq
        || a->created_ms != b->created_ms || a->nobs != b->nobs)
        return false;
    for (uint32_t i = 0; i < a->nobs; i++) {
        const cchc_obs_t *x = &a->obs [i], *y = &b->obs [i];
        if (strcmp (x->metric, y->metric) || x->date != y->date || x->is_float != y->is_float)
            return false;
        if (x->is_float ? memcmp (&x->fval, &y->fval, sizeof x->fval) != 0
                        : x->ival != y->ival)
            return false;
    }
    return true;
}

static void
test_report_round_trip (void)
{
    cchc_obs_t obs [] = {
        s_obs_int ("tthc_received", 2021, 3, 14, 0),
        s_obs_int ("tthc_received", 2021, 3, 15, 127),
        s_obs_int ("tthc_resolved", 2021, 3, 14, 128),
        s_obs_int ("a", 2020, 2, 29, -1),
        s_obs_int ("b", 1, 1, 1, -32),
        s_obs_int ("c", 9999, 12, 31, -33),
        s_obs_int ("d", 2000, 1, 1, INT64_MIN),
        s_obs_int ("e", 2000, 1, 1, INT64_MAX),
        s_obs_int ("f", 2000, 1, 1, 65536),
        s_obs_int ("g", 2000, 1, 1, -2147483649LL),
        s_obs_float ("h", 2000, 1, 1, -0.0),
        s_obs_float ("i", 2000, 1, 1, 0.1),
        s_obs_float ("j", 2000, 1, 1, 1e308),
        s_obs_float ("k", 2000, 1, 1, 4.9e-324),
        s_obs_float ("l", 2000, 1, 1, 3.0),
        s_obs_int ("a23456789012345678901234567890123456789012345678", 2000, 1, 1, 1),
    };
    cchc_report_t r;
    memset (&r, 0, sizeof r);
    memcpy (r.agent, s_agent_pk, 32);
    snprintf (r.unit, sizeof r.unit, "%s", "ABCDEFGHIJKLMN.-");
    r.seq = INT64_MAX;
    r.created_ms = 1615741199000ULL;
    r.nobs = sizeof obs / sizeof obs [0];
    r.obs = obs;

    uint8_t *body;
    size_t len;
    CHECK_EQ_INT (cchc_report_encode (&r, &body, &len), CCHC_REASON_NONE);
    cchc_report_t d;
    int rc = cchc_report_decode (body, len, &d);
    bool eq = rc == 0 && s_report_equal (&r, &d);
    /*  Encoding the decoded report gives the same bytes. */
    uint8_t *body2 = NULL;
    size_t len2 = 0;
    int rc2 = rc == 0 ? cchc_report_encode (&d, &body2, &len2) : -1;
    bool same = rc2 == 0 && len2 == len && memcmp (body, body2, len) == 0;
    cchc_report_clear (&d);
    cchc_report_clear (&d); /* twice is safe */
    free (body);
    free (body2);
    CHECK_EQ_INT (rc, CCHC_REASON_NONE);
    CHECK (eq);
    CHECK (same);
}

/*  Revision 1.2: caps and high go out only when set — bodies without them
    are byte for byte those of revision 1.1 (what a 1.1 peer decodes) — and
    come back as sent. */
static void
test_rev12_keys (void)
{
    cchc_obs_t obs = { .metric = "docs_sent", .ival = 20 };
    CHECK (cchc_date_parse ("2021-03-01", 10, &obs.date) == 0);
    cchc_report_t r;
    memset (&r, 0, sizeof r);
    memcpy (r.agent, s_agent_pk, 32);
    strcpy (r.unit, "STP");
    r.seq = 7;
    r.created_ms = 1;
    r.nobs = 1;
    r.obs = &obs;
    uint8_t *plain, *with;
    size_t plen, wlen;
    CHECK_EQ_INT (cchc_report_encode (&r, &plain, &plen), 0);
    r.caps = CCHC_CAP_HIGH;
    int rc = cchc_report_encode (&r, &with, &wlen);
    bool grew = rc == 0 && wlen == plen + 6 && with [0] == 0x87 && plain [0] == 0x86
                && memcmp (with + 1, plain + 1, plen - 1) == 0
                && memcmp (with + plen,
                           "\xa4"
                           "caps"
                           "\x01",
                           6)
                       == 0;
    cchc_report_t d;
    int drc = rc == 0 ? cchc_report_decode (with, wlen, &d) : -1;
    bool caps = drc == 0 && d.caps == CCHC_CAP_HIGH;
    if (drc == 0)
        cchc_report_clear (&d);
    drc = cchc_report_decode (plain, plen, &d);
    bool none = drc == 0 && d.caps == 0;
    if (drc == 0)
        cchc_report_clear (&d);
    free (plain);
    free (with);
    CHECK (grew);
    CHECK (caps);
    CHECK (none);

    cchc_ack_t a;
    memset (&a, 0, sizeof a);
    memcpy (a.agent, s_agent_pk, 32);
    a.seq = 7;
    a.time_ms = 2;
    CHECK_EQ_INT (cchc_ack_encode (&a, &plain, &plen), 0);
    a.has_high = true;
    a.high = (uint64_t) INT64_MAX;
    rc = cchc_ack_encode (&a, &with, &wlen);
    grew = rc == 0 && wlen == plen + 14 && with [0] == 0x88 && plain [0] == 0x87
           && memcmp (with + plen,
                      "\xa4"
                      "high"
                      "\xcf",
                      6)
                  == 0;
    cchc_ack_t da;
    drc = rc == 0 ? cchc_ack_decode (with, wlen, &da) : -1;
    bool high = drc == 0 && da.has_high && da.high == (uint64_t) INT64_MAX;
    cchc_ack_clear (&da);
    drc = cchc_ack_decode (plain, plen, &da);
    bool nohigh = drc == 0 && !da.has_high && da.high == 0;
    cchc_ack_clear (&da);
    free (plain);
    free (with);
    CHECK (grew);
    CHECK (high);
    CHECK (nohigh);
    a.high = (uint64_t) INT64_MAX + 1;
    CHECK_EQ_INT (cchc_ack_encode (&a, &with, &wlen), CCHC_REASON_BAD_SEQ);
}

static void
test_ack_round_trip (void)
{
    cchc_obs_reject_t rej [] = { { 0, 37 }, { 5, 36 }, { 999, UINT32_MAX } };
    cchc_ack_t a;
    memset (&a, 0, sizeof a);
    memcpy (a.agent, s_agent_pk, 32);
    a.seq = 1234567;
    a.status = CCHC_STATUS_ACCEPTED;
    a.reason = 0;
    a.nrejected = 3;
    a.rejected = rej;
    a.time_ms = INT64_MAX;
    uint8_t *body;
    size_t len;
    CHECK_EQ_INT (cchc_ack_encode (&a, &body, &len), CCHC_REASON_NONE);
    cchc_ack_t d;
    int rc = cchc_ack_decode (body, len, &d);
    bool eq = rc == 0 && memcmp (d.agent, a.agent, 32) == 0 && d.seq == a.seq
              && d.status == a.status && d.reason == a.reason && d.nrejected == 3
              && d.time_ms == a.time_ms && memcmp (d.rejected, rej, sizeof rej) == 0;
    cchc_ack_clear (&d);
    free (body);
    CHECK_EQ_INT (rc, CCHC_REASON_NONE);
    CHECK (eq);

    /*  No rejections: decode leaves rejected NULL. */
    a.nrejected = 0;
    a.rejected = NULL;
    a.status = CCHC_STATUS_RETRY_LATER;
    a.reason = CCHC_REASON_STORAGE;
    a.seq = 0;
    CHECK_EQ_INT (cchc_ack_encode (&a, &body, &len), CCHC_REASON_NONE);
    rc = cchc_ack_decode (body, len, &d);
    free (body);
    CHECK_EQ_INT (rc, CCHC_REASON_NONE);
    CHECK (d.nrejected == 0 && d.rejected == NULL);
    CHECK_EQ_INT (d.status, CCHC_STATUS_RETRY_LATER);
    CHECK_EQ_INT (d.reason, CCHC_REASON_STORAGE);
    CHECK_EQ_INT (d.seq, 0);
    cchc_ack_clear (&d);
}

/*  The canonical form: documented key order, shortest ints, bin8 key,
    float64 for every float. */
static void
test_canonical_bytes (void)
{
    cchc_obs_t obs [] = {
        s_obs_int ("m", 2021, 3, 14, 200),
        s_obs_int ("n", 2021, 3, 14, -100),
        s_obs_float ("o", 2021, 3, 14, 1.0),
    };
    cchc_report_t r;
    memset (&r, 0, sizeof r);
    memset (r.agent, 0xab, 32);
    snprintf (r.unit, sizeof r.unit, "%s", "08");
    r.seq = 300;
    r.created_ms = 5;
    r.nobs = 3;
    r.obs = obs;
    uint8_t *body;
    size_t len;
    CHECK_EQ_INT (cchc_report_encode (&r, &body, &len), CCHC_REASON_NONE);
    static const uint8_t head [] = { 0x86, 0xa1, 'v', 0x01, 0xa5, 'a',
                                     'g',  'e',  'n', 't',  0xc4, 0x20 };
    static const uint8_t tail [] = {
        0xa4, 'u',  'n',  'i',  't',  0xa2, '0',  '8',  0xa3, 's',  'e',  'q', 0xcd, 0x01,
        0x2c, 0xa7, 'c',  'r',  'e',  'a',  't',  'e',  'd',  0x05, 0xa3, 'o', 'b',  's',
        0x93, 0x93, 0xa1, 'm',  0xaa, '2',  '0',  '2',  '1',  '-',  '0',  '3', '-',  '1',
        '4',  0xcc, 0xc8, 0x93, 0xa1, 'n',  0xaa, '2',  '0',  '2',  '1',  '-', '0',  '3',
        '-',  '1',  '4',  0xd0, 0x9c, 0x93, 0xa1, 'o',  0xaa, '2',  '0',  '2', '1',  '-',
        '0',  '3',  '-',  '1',  '4',  0xcb, 0x3f, 0xf0, 0,    0,    0,    0,   0,    0
    };
    bool ok = len == sizeof head + 32 + sizeof tail && memcmp (body, head, sizeof head) == 0
              && memcmp (body + sizeof head + 32, tail, sizeof tail) == 0;
    free (body);
    CHECK (ok);
}

static void
test_encode_refusals (void)
{
    cchc_obs_t obs [2] = {
        s_obs_int ("tthc_received", 2021, 3, 14, 1),
        s_obs_int ("tthc_resolved", 2021, 3, 14, 1),
    };
    cchc_report_t r;
    memset (&r, 0, sizeof r);
    memcpy (r.agent, s_agent_pk, 32);
    snprintf (r.unit, sizeof r.unit, "%s", "STP");
    r.seq = 1;
    r.created_ms = 1;
    r.nobs = 2;
    r.obs = obs;
    uint8_t *body = (uint8_t *) "x";
    size_t len = 1;

    r.unit [0] = 0;
    CHECK_EQ_INT (cchc_report_encode (&r, &body, &len), CCHC_REASON_BAD_CODE);
    CHECK (body == NULL && len == 0);
    snprintf (r.unit, sizeof r.unit, "%s", "S P");
    CHECK_EQ_INT (cchc_report_encode (&r, &body, &len), CCHC_REASON_BAD_CODE);
    memset (r.unit, 'A', sizeof r.unit); /* not terminated */
    CHECK_EQ_INT (cchc_report_encode (&r, &body, &len), CCHC_REASON_BAD_CODE);
    snprintf (r.unit, sizeof r.unit, "%s", "S\xff");
    CHECK_EQ_INT (cchc_report_encode (&r, &body, &len), CCHC_REASON_BAD_UTF8);
    snprintf (r.unit, sizeof r.unit, "%s", "STP");
    r.seq = 0;
    CHECK_EQ_INT (cchc_report_encode (&r, &body, &len), CCHC_REASON_BAD_SEQ);
    r.seq = (uint64_t) INT64_MAX + 1;
    CHECK_EQ_INT (cchc_report_encode (&r, &body, &len), CCHC_REASON_BAD_SEQ);
    r.seq = 1;
    r.created_ms = (uint64_t) INT64_MAX + 1;
    CHECK_EQ_INT (cchc_report_encode (&r, &body, &len), CCHC_REASON_BAD_VALUE);
    r.created_ms = 1;
    r.nobs = 0;
    CHECK_EQ_INT (cchc_report_encode (&r, &body, &len), CCHC_REASON_BAD_COUNT);
    r.nobs = 1001;
    CHECK_EQ_INT (cchc_report_encode (&r, &body, &len), CCHC_REASON_BAD_COUNT);
    r.nobs = 2;
    obs [1].is_float = true;
    obs [1].fval = NAN;
    CHECK_EQ_INT (cchc_report_encode (&r, &body, &len), CCHC_REASON_BAD_VALUE);
    obs [1].fval = INFINITY;
    CHECK_EQ_INT (cchc_report_encode (&r, &body, &len), CCHC_REASON_BAD_VALUE);
    obs [1].fval = 1;
    snprintf (obs [1].metric, sizeof obs [1].metric, "%s", "Bad");
    CHECK_EQ_INT (cchc_report_encode (&r, &body, &len), CCHC_REASON_BAD_CODE);
    snprintf (obs [1].metric, sizeof obs [1].metric, "%s", "tthc_received");
    CHECK_EQ_INT (cchc_report_encode (&r, &body, &len), CCHC_REASON_DUPLICATE_OBSERVATION);
    obs [1].date = cchc_date_from_ymd (9999, 12, 31) + 1;
    CHECK_EQ_INT (cchc_report_encode (&r, &body, &len), CCHC_REASON_BAD_DATE);
    obs [1].date = cchc_date_from_ymd (1, 1, 1) - 1;
    CHECK_EQ_INT (cchc_report_encode (&r, &body, &len), CCHC_REASON_BAD_DATE);
    obs [1].date = cchc_date_from_ymd (2021, 3, 15);
    CHECK_EQ_INT (cchc_report_encode (&r, &body, &len), CCHC_REASON_NONE);
    free (body);

    /*  1000 observations with 48-byte metrics do not fit in 64 KiB. */
    cchc_obs_t *many = calloc (1000, sizeof *many);
    CHECK (many);
    for (int i = 0; i < 1000; i++) {
        many [i] = s_obs_float ("x", 2000, 1, 1, 0.5);
        snprintf (many [i].metric, sizeof many [i].metric, "a%047d", i);
    }
    r.obs = many;
    r.nobs = 1000;
    int rc = cchc_report_encode (&r, &body, &len);
    /*  ...with short metrics they do. */
    for (int i = 0; i < 1000; i++)
        snprintf (many [i].metric, sizeof many [i].metric, "m%d", i);
    int rc2 = cchc_report_encode (&r, &body, &len);
    cchc_report_t d;
    int rc3 = rc2 == 0 ? cchc_report_decode (body, len, &d) : -2;
    if (rc2 == 0)
        free (body);
    if (rc3 == 0)
        cchc_report_clear (&d);
    free (many);
    CHECK_EQ_INT (rc, CCHC_REASON_TOO_LARGE);
    CHECK_EQ_INT (rc2, CCHC_REASON_NONE);
    CHECK_EQ_INT (rc3, CCHC_REASON_NONE);

    cchc_obs_reject_t rej [2] = { { 3, 37 }, { 3, 37 } };
    cchc_ack_t a;
    memset (&a, 0, sizeof a);
    a.seq = 1;
    a.status = 4;
    CHECK_EQ_INT (cchc_ack_encode (&a, &body, &len), CCHC_REASON_BAD_VALUE);
    a.status = 0;
    a.seq = (uint64_t) INT64_MAX + 1;
    CHECK_EQ_INT (cchc_ack_encode (&a, &body, &len), CCHC_REASON_BAD_SEQ);
    a.seq = 1;
    a.time_ms = UINT64_MAX;
    CHECK_EQ_INT (cchc_ack_encode (&a, &body, &len), CCHC_REASON_BAD_VALUE);
    a.time_ms = 1;
    a.nrejected = 2;
    a.rejected = rej;
    CHECK_EQ_INT (cchc_ack_encode (&a, &body, &len), CCHC_REASON_BAD_VALUE);
    rej [0].index = 1000;
    rej [1].index = 1001;
    CHECK_EQ_INT (cchc_ack_encode (&a, &body, &len), CCHC_REASON_BAD_VALUE);
    a.nrejected = 1001;
    CHECK_EQ_INT (cchc_ack_encode (&a, &body, &len), CCHC_REASON_BAD_COUNT);
}

/* ------------------------------------------------------------------------ */
/*  Signatures and _open                                                    */

static cchc_report_t
s_sample_report (cchc_obs_t *obs)
{
    obs [0] = s_obs_int ("tthc_received", 2021, 3, 14, 12);
    obs [1] = s_obs_float ("survey_satisfied", 2021, 3, 14, 0.875);
    cchc_report_t r;
    memset (&r, 0, sizeof r);
    memcpy (r.agent, s_agent_pk, 32);
    snprintf (r.unit, sizeof r.unit, "%s", "STP");
    r.seq = 7;
    r.created_ms = 1615741199000ULL;
    r.nobs = 2;
    r.obs = obs;
    return r;
}

static void
test_open (void)
{
    cchc_key_t *agent = cchc_key_new_from_seed (s_seed_agent);
    cchc_key_t *collector = cchc_key_new_from_seed (s_seed_collector);
    CHECK (agent && collector);
    cchc_obs_t obs [2];
    cchc_report_t r = s_sample_report (obs);
    uint8_t *body;
    size_t len;
    uint8_t sig [64];
    CHECK_EQ_INT (cchc_report_encode (&r, &body, &len), 0);
    cchc_proto_sign (CCHC_KIND_REPORT, agent, body, len, sig);

    cchc_report_t d;
    int ok = cchc_report_open (s_agent_pk, body, len, sig, &d);
    bool eq = ok == 0 && s_report_equal (&r, &d);
    cchc_report_clear (&d);
    /*  Domain separation: a report signature is not an ack signature. */
    int as_ack = cchc_proto_verify (CCHC_KIND_ACK, s_agent_pk, body, len, sig);
    /*  Signed by someone else, "agent" says s_agent_pk. */
    uint8_t sig2 [64];
    cchc_proto_sign (CCHC_KIND_REPORT, collector, body, len, sig2);
    int mismatch = cchc_report_open (cchc_key_public (collector), body, len, sig2, &d);
    int wrong_key = cchc_report_open (cchc_key_public (collector), body, len, sig, &d);
    /*  Sizes. */
    int empty = cchc_report_open (s_agent_pk, body, 0, sig, &d);
    uint8_t *big = calloc (1, CCHC_PROTO_BODY_MAX + 1);
    int too_large =
        big ? cchc_report_open (s_agent_pk, big, CCHC_PROTO_BODY_MAX + 1, sig, &d) : -2;
    /*  A correctly signed malformed body reaches the decoder. */
    uint8_t sig3 [64];
    cchc_proto_sign (CCHC_KIND_REPORT, agent, body, len - 1, sig3);
    int malformed = cchc_report_open (s_agent_pk, body, len - 1, sig3, &d);
    free (big);
    free (body);

    CHECK_EQ_INT (ok, CCHC_REASON_NONE);
    CHECK (eq);
    CHECK_EQ_INT (as_ack, -1);
    CHECK_EQ_INT (mismatch, CCHC_REASON_KEY_MISMATCH);
    CHECK_EQ_INT (wrong_key, CCHC_REASON_BAD_SIGNATURE);
    CHECK_EQ_INT (empty, CCHC_REASON_BAD_FRAMES);
    CHECK_EQ_INT (too_large, CCHC_REASON_TOO_LARGE);
    CHECK_EQ_INT (malformed, CCHC_REASON_MALFORMED);
    CHECK (d.obs == NULL && d.nobs == 0);

    /*  Ack, signed by the collector. */
    cchc_obs_reject_t rej [] = { { 1, CCHC_REASON_UNKNOWN_METRIC } };
    cchc_ack_t a;
    memset (&a, 0, sizeof a);
    memcpy (a.agent, s_agent_pk, 32);
    a.seq = 7;
    a.nrejected = 1;
    a.rejected = rej;
    a.time_ms = 1615741200000ULL;
    CHECK_EQ_INT (cchc_ack_encode (&a, &body, &len), 0);
    cchc_proto_sign (CCHC_KIND_ACK, collector, body, len, sig);
    cchc_ack_t da;
    int ack_ok = cchc_ack_open (cchc_key_public (collector), body, len, sig, &da);
    bool ack_eq = ack_ok == 0 && da.seq == 7 && da.nrejected == 1 && da.rejected [0].index == 1
                  && da.rejected [0].reason == 37;
    cchc_ack_clear (&da);
    /*  Not verified against the agent's own key, nor as a report. */
    int ack_wrong = cchc_ack_open (s_agent_pk, body, len, sig, &da);
    int as_report =
        cchc_proto_verify (CCHC_KIND_REPORT, cchc_key_public (collector), body, len, sig);
    int ack_big = cchc_ack_open (s_agent_pk, body, CCHC_PROTO_BODY_MAX + 1, sig, &da);
    free (body);
    cchc_key_destroy (&agent);
    cchc_key_destroy (&collector);
    cchc_key_destroy (&collector); /* NULL-safe */
    CHECK_EQ_INT (ack_ok, CCHC_REASON_NONE);
    CHECK (ack_eq);
    CHECK_EQ_INT (ack_wrong, CCHC_REASON_BAD_SIGNATURE);
    CHECK_EQ_INT (as_report, -1);
    CHECK_EQ_INT (ack_big, CCHC_REASON_TOO_LARGE);
}

/*  Flip every bit of the body, the signature and the key of a real signed
    message, one at a time: each must be refused by _open. */
static void
test_bit_flips (void)
{
    cchc_key_t *agent = cchc_key_new_from_seed (s_seed_agent);
    cchc_key_t *collector = cchc_key_new_from_seed (s_seed_collector);
    CHECK (agent && collector);
    cchc_obs_t obs [2];
    cchc_report_t r = s_sample_report (obs);
    uint8_t *body;
    size_t len;
    uint8_t sig [64], pk [32];
    CHECK_EQ_INT (cchc_report_encode (&r, &body, &len), 0);
    cchc_proto_sign (CCHC_KIND_REPORT, agent, body, len, sig);
    memcpy (pk, cchc_key_public (agent), 32);

    size_t accepted = 0, tried = 0;
    cchc_report_t d;
    for (size_t bit = 0; bit < (len + 64 + 32) * 8; bit++) {
        uint8_t *byte = bit < len * 8          ? &body [bit / 8]
                        : bit < (len + 64) * 8 ? &sig [bit / 8 - len]
                                               : &pk [bit / 8 - len - 64];
        *byte ^= (uint8_t) (1u << (bit % 8));
        if (cchc_report_open (pk, body, len, sig, &d) == CCHC_REASON_NONE) {
            accepted++;
            cchc_report_clear (&d);
        }
        *byte ^= (uint8_t) (1u << (bit % 8));
        tried++;
    }
    int intact = cchc_report_open (pk, body, len, sig, &d);
    cchc_report_clear (&d);
    free (body);
    CHECK_EQ_INT (tried, (len + 96) * 8);
    CHECK_EQ_INT (accepted, 0);
    CHECK_EQ_INT (intact, CCHC_REASON_NONE);

    cchc_obs_reject_t rej [] = { { 0, 36 }, { 1, 37 } };
    cchc_ack_t a;
    memset (&a, 0, sizeof a);
    memcpy (a.agent, pk, 32);
    a.seq = 7;
    a.nrejected = 2;
    a.rejected = rej;
    a.time_ms = 1615741200000ULL;
    CHECK_EQ_INT (cchc_ack_encode (&a, &body, &len), 0);
    cchc_proto_sign (CCHC_KIND_ACK, collector, body, len, sig);
    memcpy (pk, cchc_key_public (collector), 32);
    accepted = 0;
    cchc_ack_t da;
    for (size_t bit = 0; bit < (len + 64 + 32) * 8; bit++) {
        uint8_t *byte = bit < len * 8          ? &body [bit / 8]
                        : bit < (len + 64) * 8 ? &sig [bit / 8 - len]
                                               : &pk [bit / 8 - len - 64];
        *byte ^= (uint8_t) (1u << (bit % 8));
        if (cchc_ack_open (pk, body, len, sig, &da) == CCHC_REASON_NONE) {
            accepted++;
            cchc_ack_clear (&da);
        }
        *byte ^= (uint8_t) (1u << (bit % 8));
    }
    intact = cchc_ack_open (pk, body, len, sig, &da);
    cchc_ack_clear (&da);
    free (body);
    cchc_key_destroy (&agent);
    cchc_key_destroy (&collector);
    CHECK_EQ_INT (accepted, 0);
    CHECK_EQ_INT (intact, CCHC_REASON_NONE);
}

static void
test_names (void)
{
    CHECK_EQ_STR (cchc_status_name (CCHC_STATUS_ACCEPTED), "accepted");
    CHECK_EQ_STR (cchc_status_name (CCHC_STATUS_DUPLICATE), "duplicate");
    CHECK_EQ_STR (cchc_status_name (CCHC_STATUS_REJECTED), "rejected");
    CHECK_EQ_STR (cchc_status_name (CCHC_STATUS_RETRY_LATER), "retry_later");
    CHECK_EQ_STR (cchc_status_name (4), "unknown");
    CHECK_EQ_STR (cchc_status_name (-1), "unknown");
    CHECK_EQ_STR (cchc_reason_name (CCHC_REASON_NONE), "none");
    CHECK_EQ_STR (cchc_reason_name (CCHC_REASON_BAD_SIGNATURE), "bad_signature");
    CHECK_EQ_STR (cchc_reason_name (CCHC_REASON_DUPLICATE_OBSERVATION),
                  "duplicate_observation");
    CHECK_EQ_STR (cchc_reason_name (CCHC_REASON_DATE_OUT_OF_RANGE), "date_out_of_range");
    CHECK_EQ_STR (cchc_reason_name (CCHC_REASON_SHUTTING_DOWN), "shutting_down");
    CHECK_EQ_STR (cchc_reason_name (18), "unknown");
    CHECK_EQ_STR (cchc_reason_name (1000), "unknown");
    /*  Every listed code has a distinct snake_case name. */
    const char *names [128];
    size_t n = 0;
    for (int code = 0; code < 128; code++) {
        const char *s = cchc_reason_name (code);
        if (strcmp (s, "unknown") == 0)
            continue;
        for (const char *c = s; *c; c++)
            CHECK ((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_');
        for (size_t i = 0; i < n; i++)
            CHECK (strcmp (names [i], s) != 0);
        names [n++] = s;
    }
    CHECK_EQ_INT (n, 31);
    /*  the national collector's policy reasons (PROTOCOL.md §15.5) */
    CHECK_EQ_STR (cchc_reason_name (CCHC_REASON_PROVINCE_MISMATCH), "province_mismatch");
    CHECK_EQ_STR (cchc_reason_name (CCHC_REASON_UNEXPECTED_CATALOGUE), "unexpected_catalogue");
}

int
main (void)
{
    if (sodium_init () < 0)
        return 1;
    cchc_key_t *agent = cchc_key_new_from_seed (s_seed_agent);
    if (!agent)
        return 1;
    memcpy (s_agent_pk, cchc_key_public (agent), 32);
    cchc_key_destroy (&agent);

    CCHC_TEST_RUN (test_names);
    CCHC_TEST_RUN (test_crafted_bodies);
    CCHC_TEST_RUN (test_version_first);
    CCHC_TEST_RUN (test_structure);
    CCHC_TEST_RUN (test_huge_declared);
    CCHC_TEST_RUN (test_depth);
    CCHC_TEST_RUN (test_report_round_trip);
    CCHC_TEST_RUN (test_ack_round_trip);
    CCHC_TEST_RUN (test_rev12_keys);
    CCHC_TEST_RUN (test_canonical_bytes);
    CCHC_TEST_RUN (test_encode_refusals);
    CCHC_TEST_RUN (test_open);
    CCHC_TEST_RUN (test_bit_flips);
    return CCHC_TEST_DONE ();
}
