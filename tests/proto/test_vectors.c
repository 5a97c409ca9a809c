/*  test_vectors.c — checks the test vectors of proto/PROTOCOL.md against the
    implementation, reading the document itself (path in argv[1]).

    For every fenced block whose first line is "vector: NAME": rebuild the key
    pair from the seed, build the message from the listed fields, and require
    the encoded body and the signature to equal the document's, the document's
    prefix and signed length to be right, the signature to verify over
    prefix || body as the document spells them, and cchc_*_open to accept the
    document's bytes and return the listed fields.  "curve" blocks check the
    CurveZMQ key conversions.  The refusal table of section 12.9 is checked
    too: each body, signed, must be refused with the listed reason. */
#include "proto/proto.h"
#include "proto/figures.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "tests/test.h"

static const char *s_path;

#define FIELDS_MAX 64

typedef struct {
    char *key [FIELDS_MAX];
    char *value [FIELDS_MAX];
    size_t n;
    int line; /* of the "vector:" line */
} block_t;

/*  The one value of `key`, or NULL (missing or given twice). */
static const char *
s_get (const block_t *b, const char *key)
{
    const char *found = NULL;
    for (size_t i = 0; i < b->n; i++)
        if (strcmp (b->key [i], key) == 0) {
            if (found)
                return NULL;
            found = b->value [i];
        }
    return found;
}

static bool
s_only_keys (const block_t *b, const char *const *allowed)
{
    for (size_t i = 0; i < b->n; i++) {
        bool ok = false;
        for (size_t j = 0; allowed [j]; j++)
            if (strcmp (b->key [i], allowed [j]) == 0)
                ok = true;
        if (!ok) {
            fprintf (stderr, "line %d: unexpected field '%s'\n", b->line, b->key [i]);
            return false;
        }
    }
    return true;
}

static int
s_u64 (const char *s, uint64_t *out)
{
    if (!s || !*s)
        return -1;
    uint64_t v = 0;
    for (const char *c = s; *c; c++) {
        if (!isdigit ((unsigned char) *c))
            return -1;
        if (v > (UINT64_MAX - (uint64_t) (*c - '0')) / 10)
            return -1;
        v = v * 10 + (uint64_t) (*c - '0');
    }
    *out = v;
    return 0;
}

/*  Leading decimal code of "0 accepted" and the name after it. */
static int
s_code_name (const char *s, uint64_t *code, char *name, size_t size)
{
    if (!s)
        return -1;
    const char *sp = strchr (s, ' ');
    if (!sp || (size_t) (sp - s) >= 24)
        return -1;
    char num [24];
    memcpy (num, s, (size_t) (sp - s));
    num [sp - s] = 0;
    if (s_u64 (num, code))
        return -1;
    snprintf (name, size, "%s", sp + 1);
    return 0;
}

static uint8_t *
s_unhex (const char *hex, size_t *len)
{
    size_t n = hex ? strlen (hex) : 1;
    if (n % 2)
        return NULL;
    uint8_t *buf = malloc (n / 2 + 1);
    if (buf && cchc_hex_decode (buf, n / 2, hex) != 0) {
        free (buf);
        return NULL;
    }
    *len = n / 2;
    return buf;
}

static bool
s_hex_is (const uint8_t *bin, size_t len, const char *hex)
{
    if (!hex || strlen (hex) != 2 * len)
        return false;
    char *mine = malloc (2 * len + 1);
    if (!mine)
        return false;
    cchc_hex_encode (mine, bin, len);
    bool eq = strcmp (mine, hex) == 0;
    if (!eq)
        fprintf (stderr, "  computed %s\n  document %s\n", mine, hex);
    free (mine);
    return eq;
}

/*  The key pair of a block: "seed" and "public_key" must agree. */
static cchc_key_t *
s_block_key (const block_t *b)
{
    uint8_t seed [32];
    const char *hex = s_get (b, "seed");
    if (!hex || cchc_hex_decode (seed, 32, hex) != 0)
        return NULL;
    cchc_key_t *key = cchc_key_new_from_seed (seed);
    if (key && !s_hex_is (cchc_key_public (key), 32, s_get (b, "public_key")))
        cchc_key_destroy (&key);
    return key;
}

/*  The document's prefix, signed length, and the signature checked over
    prefix || body with libsodium directly. */
static bool
s_check_signed_input (const block_t *b, const char *want_prefix, const uint8_t *body,
                      size_t len, const uint8_t pk [32], const uint8_t sig [64])
{
    size_t plen;
    uint8_t *prefix = s_unhex (s_get (b, "prefix"), &plen);
    uint64_t signed_length;
    bool ok = prefix && plen == strlen (want_prefix) + 1
              && memcmp (prefix, want_prefix, plen) == 0
              && s_u64 (s_get (b, "signed_length"), &signed_length) == 0
              && signed_length == plen + len;
    if (ok) {
        uint8_t *input = malloc (plen + len);
        ok = input != NULL;
        if (ok) {
            memcpy (input, prefix, plen);
            memcpy (input + plen, body, len);
            ok = crypto_sign_verify_detached (sig, input, plen + len, pk) == 0;
            free (input);
        }
    }
    free (prefix);
    return ok;
}

static int s_reports, s_acks, s_curves, s_acks_with_rejections, s_reports_mixed;
static int s_reports_caps, s_acks_high;

static void
s_check_report (const block_t *b)
{
    static const char *const allowed [] = { "vector", "kind",      "seed",   "public_key",
                                            "agent",  "unit",      "seq",    "created",
                                            "obs",    "caps",      "prefix", "signed_length",
                                            "body",   "signature", NULL };
    CHECK (s_only_keys (b, allowed));
    cchc_key_t *key = s_block_key (b);
    CHECK (key);

    cchc_obs_t obs [CCHC_PROTO_OBS_MAX];
    cchc_report_t r;
    memset (&r, 0, sizeof r);
    memset (obs, 0, sizeof obs);
    r.obs = obs;
    bool fields_ok =
        s_get (b, "agent") && cchc_hex_decode (r.agent, 32, s_get (b, "agent")) == 0
        && memcmp (r.agent, cchc_key_public (key), 32) == 0 && s_get (b, "unit")
        && strlen (s_get (b, "unit")) <= CCHC_UNIT_MAX && s_u64 (s_get (b, "seq"), &r.seq) == 0
        && s_u64 (s_get (b, "created"), &r.created_ms) == 0;
    if (fields_ok)
        snprintf (r.unit, sizeof r.unit, "%s", s_get (b, "unit"));
    /*  Revision 1.2: the optional "caps" key (absent: 0). */
    uint64_t caps = 0;
    if (s_get (b, "caps"))
        fields_ok &= s_u64 (s_get (b, "caps"), &caps) == 0 && caps <= UINT32_MAX;
    r.caps = (uint32_t) caps;
    if (caps)
        s_reports_caps++;
    bool has_int = false, has_float = false;
    for (size_t i = 0; i < b->n && fields_ok; i++) {
        if (strcmp (b->key [i], "obs") != 0)
            continue;
        char line [256], metric [64], date [32], kind [16], value [64];
        snprintf (line, sizeof line, "%s", b->value [i]);
        if (sscanf (line, "%63s %31s %15s %63s", metric, date, kind, value) != 4
            || strlen (metric) > CCHC_METRIC_MAX || r.nobs == CCHC_PROTO_OBS_MAX) {
            fields_ok = false;
            break;
        }
        cchc_obs_t *o = &obs [r.nobs++];
        cchc_strlcpy (o->metric, metric, sizeof o->metric); /* length checked above */
        if (cchc_date_parse (date, strlen (date), &o->date) != 0)
            fields_ok = false;
        if (strcmp (kind, "int") == 0) {
            has_int = true;
            fields_ok &= cchc_parse_int64 (value, INT64_MIN, INT64_MAX, &o->ival) == 0;
        }
        else if (strcmp (kind, "float") == 0) {
            has_float = true;
            o->is_float = true;
            fields_ok &= cchc_parse_double (value, &o->fval) == 0;
        }
        else
            fields_ok = false;
    }
    uint8_t *body = NULL, *doc_body = NULL, *doc_sig = NULL;
    size_t len = 0, doc_len = 0, sig_len = 0;
    int enc = fields_ok ? cchc_report_encode (&r, &body, &len) : -2;
    uint8_t sig [64];
    if (enc == 0)
        cchc_proto_sign (CCHC_KIND_REPORT, key, body, len, sig);
    bool body_ok = enc == 0 && s_hex_is (body, len, s_get (b, "body"));
    bool sig_ok = enc == 0 && s_hex_is (sig, 64, s_get (b, "signature"));
    doc_body = s_unhex (s_get (b, "body"), &doc_len);
    doc_sig = s_unhex (s_get (b, "signature"), &sig_len);
    bool input_ok = doc_body && doc_sig && sig_len == 64
                    && s_check_signed_input (b, "cchc/v1/report", doc_body, doc_len,
                                             cchc_key_public (key), doc_sig);
    cchc_report_t got;
    int open = doc_body && doc_sig && sig_len == 64
                   ? cchc_report_open (cchc_key_public (key), doc_body, doc_len, doc_sig, &got)
                   : -2;
    bool same = open == 0 && got.seq == r.seq && got.created_ms == r.created_ms
                && got.caps == r.caps && strcmp (got.unit, r.unit) == 0 && got.nobs == r.nobs
                && memcmp (got.agent, r.agent, 32) == 0;
    for (uint32_t i = 0; same && i < r.nobs; i++)
        same = strcmp (got.obs [i].metric, obs [i].metric) == 0
               && got.obs [i].date == obs [i].date && got.obs [i].is_float == obs [i].is_float
               && (obs [i].is_float ? got.obs [i].fval == obs [i].fval
                                    : got.obs [i].ival == obs [i].ival);
    if (open == 0)
        cchc_report_clear (&got);
    free (body);
    free (doc_body);
    free (doc_sig);
    cchc_key_destroy (&key);
    CHECK (fields_ok);
    CHECK_EQ_INT (enc, 0);
    CHECK (body_ok);
    CHECK (sig_ok);
    CHECK (input_ok);
    CHECK_EQ_INT (open, CCHC_REASON_NONE);
    CHECK (same);
    s_reports++;
    if (has_int && has_float)
        s_reports_mixed++;
}

/*  A "figures" block (PROTOCOL.md §15): header fields, then "indicator:",
    "figure:", "unit:" lines, each "score:" line belonging to the unit
    before it. */
static int s_figures;

static void
s_check_figures (const block_t *b)
{
    static const char *const allowed [] = {
        "vector",    "kind",      "seed",      "public_key", "province", "code",
        "seq",       "created",   "period",    "version",    "locked",   "journal",
        "catalogue", "cat_year",  "structure", "part",       "parts",    "units_total",
        "indicator", "figure",    "unit",      "score",      "prefix",   "signed_length",
        "body",      "signature", NULL
    };
    CHECK (s_only_keys (b, allowed));
    cchc_key_t *key = s_block_key (b);
    CHECK (key);
    enum { UMAX = 16, IMAX = 16, GMAX = 16 };
    static char ind [IMAX][CCHC_METRIC_MAX + 1];
    static cchc_provfig_figure_t figs [GMAX];
    static cchc_provfig_unit_t units [UMAX];
    static cchc_provfig_score_t scores [UMAX][IMAX];
    uint32_t nscores [UMAX] = { 0 };
    cchc_provfig_t f;
    memset (&f, 0, sizeof f);
    memset (units, 0, sizeof units);
    f.indicators = ind;
    f.figures = figs;
    f.units = units;
    uint64_t u [8];
    bool ok =
        s_get (b, "province") && cchc_hex_decode (f.province, 32, s_get (b, "province")) == 0
        && memcmp (f.province, cchc_key_public (key), 32) == 0 && s_get (b, "code")
        && strlen (s_get (b, "code")) <= CCHC_UNIT_MAX && s_get (b, "period")
        && strlen (s_get (b, "period")) < CCHC_PERIOD_ID_MAX
        && s_u64 (s_get (b, "seq"), &f.seq) == 0
        && s_u64 (s_get (b, "created"), &f.created_ms) == 0
        && s_u64 (s_get (b, "version"), &f.version) == 0
        && s_u64 (s_get (b, "locked"), &f.locked_ms) == 0
        && s_u64 (s_get (b, "journal"), &f.journal) == 0 && s_get (b, "catalogue")
        && cchc_hex_decode (f.catalogue, 32, s_get (b, "catalogue")) == 0
        && s_get (b, "structure")
        && cchc_hex_decode (f.structure, 32, s_get (b, "structure")) == 0
        && s_u64 (s_get (b, "cat_year"), &u [0]) == 0 && s_u64 (s_get (b, "part"), &u [1]) == 0
        && s_u64 (s_get (b, "parts"), &u [2]) == 0
        && s_u64 (s_get (b, "units_total"), &u [3]) == 0;
    if (ok) {
        snprintf (f.code, sizeof f.code, "%s", s_get (b, "code"));
        snprintf (f.period, sizeof f.period, "%s", s_get (b, "period"));
        f.cat_year = (uint32_t) u [0];
        f.part = (uint32_t) u [1];
        f.parts = (uint32_t) u [2];
        f.units_total = (uint32_t) u [3];
    }
    for (size_t i = 0; i < b->n && ok; i++) {
        const char *k = b->key [i], *v = b->value [i];
        if (strcmp (k, "indicator") == 0) {
            ok = f.nindicators < IMAX && strlen (v) <= CCHC_METRIC_MAX;
            if (ok)
                snprintf (ind [f.nindicators++], CCHC_METRIC_MAX + 1, "%s", v);
        }
        else if (strcmp (k, "figure") == 0) {
            cchc_provfig_figure_t *g = &figs [f.nfigures];
            ok = f.nfigures < GMAX
                 && sscanf (v, "%u %d %u %lf %lf %lf %lf %u %u", &g->indicator, &g->level,
                            &g->flags, &g->numerator, &g->denominator, &g->value, &g->target,
                            &g->units, &g->units_missing)
                        == 9;
            f.nfigures++;
        }
        else if (strcmp (k, "unit") == 0) {
            cchc_provfig_unit_t *n = &units [f.nunits];
            char code [32], parent [32];
            int used = 0;
            ok = f.nunits < UMAX
                 && sscanf (v, "%31s %31s %u %u %lf %lf %lf %u %n", code, parent, &n->level,
                            &n->flags, &n->index, &n->earned, &n->applicable, &n->rank, &used)
                        == 8
                 && strlen (code) <= CCHC_UNIT_MAX && strlen (parent) <= CCHC_UNIT_MAX
                 && strlen (v + used) <= CCHC_PROVFIG_NAME_MAX;
            if (ok) {
                //  lengths checked above; the precision tells the compiler
                snprintf (n->code, sizeof n->code, "%.*s", CCHC_UNIT_MAX, code);
                snprintf (n->parent, sizeof n->parent, "%.*s", CCHC_UNIT_MAX,
                          strcmp (parent, "-") == 0 ? "" : parent);
                snprintf (n->name, sizeof n->name, "%s", v + used);
                n->scores = scores [f.nunits];
                f.nunits++;
            }
        }
        else if (strcmp (k, "score") == 0) {
            ok = f.nunits > 0 && nscores [f.nunits - 1] < IMAX;
            if (ok) {
                cchc_provfig_score_t *sc = &scores [f.nunits - 1][nscores [f.nunits - 1]++];
                ok = sscanf (v, "%u %lf %lf %lf", &sc->state, &sc->value, &sc->points,
                             &sc->points_max)
                     == 4;
            }
        }
    }
    for (uint32_t i = 0; i < f.nunits && ok; i++)
        ok = nscores [i] == f.nindicators;
    uint8_t structure [32];
    cchc_provfig_structure (units, f.nunits, structure);
    bool structure_ok =
        ok && f.nunits == f.units_total && memcmp (structure, f.structure, 32) == 0;
    uint8_t *body = NULL, *doc_body = NULL, *doc_sig = NULL;
    size_t len = 0, doc_len = 0, sig_len = 0;
    int enc = ok ? cchc_provfig_encode (&f, &body, &len) : -2;
    uint8_t sig [64];
    if (enc == 0)
        cchc_provfig_sign (key, body, len, sig);
    bool body_ok = enc == 0 && s_hex_is (body, len, s_get (b, "body"));
    bool sig_ok = enc == 0 && s_hex_is (sig, 64, s_get (b, "signature"));
    doc_body = s_unhex (s_get (b, "body"), &doc_len);
    doc_sig = s_unhex (s_get (b, "signature"), &sig_len);
    bool input_ok = doc_body && doc_sig && sig_len == 64
                    && s_check_signed_input (b, "cchc/v1/figures", doc_body, doc_len,
                                             cchc_key_public (key), doc_sig);
    cchc_provfig_t got;
    int open =
        doc_body && doc_sig && sig_len == 64
            ? cchc_provfig_open (cchc_key_public (key), doc_body, doc_len, doc_sig, &got)
            : -2;
    bool same = open == 0 && got.seq == f.seq && got.version == f.version
                && got.nunits == f.nunits && got.nfigures == f.nfigures
                && strcmp (got.period, f.period) == 0 && got.journal == f.journal;
    for (uint32_t i = 0; same && i < f.nunits; i++)
        same = strcmp (got.units [i].code, units [i].code) == 0
               && strcmp (got.units [i].name, units [i].name) == 0
               && got.units [i].index == units [i].index;
    if (open == 0)
        cchc_provfig_clear (&got);
    free (body);
    free (doc_body);
    free (doc_sig);
    cchc_key_destroy (&key);
    CHECK (ok);
    CHECK (structure_ok);
    CHECK_EQ_INT (enc, 0);
    CHECK (body_ok);
    CHECK (sig_ok);
    CHECK (input_ok);
    CHECK_EQ_INT (open, CCHC_REASON_NONE);
    CHECK (same);
    s_figures++;
}

static void
s_check_ack (const block_t *b)
{
    static const char *const allowed [] = { "vector",        "kind", "seed",      "public_key",
                                            "agent",         "seq",  "status",    "reason",
                                            "rejected",      "time", "high",      "prefix",
                                            "signed_length", "body", "signature", NULL };
    CHECK (s_only_keys (b, allowed));
    cchc_key_t *key = s_block_key (b);
    CHECK (key);

    cchc_obs_reject_t rej [CCHC_PROTO_OBS_MAX];
    cchc_ack_t a;
    memset (&a, 0, sizeof a);
    a.rejected = rej;
    uint64_t status = 0, reason = 0;
    char sname [64], rname [64];
    bool fields_ok =
        s_get (b, "agent") && cchc_hex_decode (a.agent, 32, s_get (b, "agent")) == 0
        && s_u64 (s_get (b, "seq"), &a.seq) == 0 && s_u64 (s_get (b, "time"), &a.time_ms) == 0
        && s_code_name (s_get (b, "status"), &status, sname, sizeof sname) == 0
        && s_code_name (s_get (b, "reason"), &reason, rname, sizeof rname) == 0 && status <= 3
        && reason <= UINT32_MAX && strcmp (sname, cchc_status_name ((int) status)) == 0
        && strcmp (rname, cchc_reason_name ((int) reason)) == 0;
    a.status = (uint32_t) status;
    a.reason = (uint32_t) reason;
    /*  Revision 1.2: the optional "high" key. */
    if (s_get (b, "high")) {
        a.has_high = true;
        fields_ok &= s_u64 (s_get (b, "high"), &a.high) == 0;
        s_acks_high++;
    }
    for (size_t i = 0; i < b->n && fields_ok; i++) {
        if (strcmp (b->key [i], "rejected") != 0 || strcmp (b->value [i], "(none)") == 0)
            continue;
        unsigned idx, why;
        char name [64];
        if (sscanf (b->value [i], "%u %u %63s", &idx, &why, name) != 3
            || strcmp (name, cchc_reason_name ((int) why)) != 0
            || a.nrejected == CCHC_PROTO_OBS_MAX)
            fields_ok = false;
        else {
            rej [a.nrejected].index = idx;
            rej [a.nrejected].reason = why;
            a.nrejected++;
        }
    }
    uint8_t *body = NULL, *doc_body = NULL, *doc_sig = NULL;
    size_t len = 0, doc_len = 0, sig_len = 0;
    int enc = fields_ok ? cchc_ack_encode (&a, &body, &len) : -2;
    uint8_t sig [64];
    if (enc == 0)
        cchc_proto_sign (CCHC_KIND_ACK, key, body, len, sig);
    bool body_ok = enc == 0 && s_hex_is (body, len, s_get (b, "body"));
    bool sig_ok = enc == 0 && s_hex_is (sig, 64, s_get (b, "signature"));
    doc_body = s_unhex (s_get (b, "body"), &doc_len);
    doc_sig = s_unhex (s_get (b, "signature"), &sig_len);
    bool input_ok = doc_body && doc_sig && sig_len == 64
                    && s_check_signed_input (b, "cchc/v1/ack", doc_body, doc_len,
                                             cchc_key_public (key), doc_sig);
    cchc_ack_t got;
    int open = doc_body && doc_sig && sig_len == 64
                   ? cchc_ack_open (cchc_key_public (key), doc_body, doc_len, doc_sig, &got)
                   : -2;
    bool same =
        open == 0 && got.seq == a.seq && got.status == a.status && got.reason == a.reason
        && got.time_ms == a.time_ms && got.nrejected == a.nrejected
        && memcmp (got.agent, a.agent, 32) == 0 && got.has_high == a.has_high
        && got.high == a.high
        && (a.nrejected == 0 || memcmp (got.rejected, rej, a.nrejected * sizeof *rej) == 0);
    /*  An ack is never a report, whatever key. */
    cchc_report_t as_report;
    int cross =
        doc_body && doc_sig && sig_len == 64
            ? cchc_report_open (cchc_key_public (key), doc_body, doc_len, doc_sig, &as_report)
            : -2;
    if (open == 0)
        cchc_ack_clear (&got);
    if (a.nrejected)
        s_acks_with_rejections++;
    free (body);
    free (doc_body);
    free (doc_sig);
    cchc_key_destroy (&key);
    CHECK (fields_ok);
    CHECK_EQ_INT (enc, 0);
    CHECK (body_ok);
    CHECK (sig_ok);
    CHECK (input_ok);
    CHECK_EQ_INT (open, CCHC_REASON_NONE);
    CHECK (same);
    CHECK_EQ_INT (cross, CCHC_REASON_BAD_SIGNATURE);
    s_acks++;
}

static void
s_check_curve (const block_t *b)
{
    static const char *const allowed [] = { "vector",
                                            "kind",
                                            "seed",
                                            "public_key",
                                            "curve_public",
                                            "curve_public_z85",
                                            "curve_secret",
                                            "curve_secret_z85",
                                            NULL };
    CHECK (s_only_keys (b, allowed));
    cchc_key_t *key = s_block_key (b);
    CHECK (key);
    uint8_t seed [32], pk [32], sk [64], cpk [32], csk [32];
    int rc = cchc_hex_decode (seed, 32, s_get (b, "seed"));
    crypto_sign_seed_keypair (pk, sk, seed);
    rc |= crypto_sign_ed25519_pk_to_curve25519 (cpk, pk);
    rc |= crypto_sign_ed25519_sk_to_curve25519 (csk, sk);
    char zpub [41], zsec [41];
    rc |= cchc_key_curve_public_z85 (cchc_key_public (key), zpub);
    rc |= cchc_key_curve_secret_z85 (key, zsec);
    cchc_key_destroy (&key);
    CHECK_EQ_INT (rc, 0);
    CHECK (s_hex_is (cpk, 32, s_get (b, "curve_public")));
    CHECK (s_hex_is (csk, 32, s_get (b, "curve_secret")));
    CHECK_EQ_STR (zpub, s_get (b, "curve_public_z85"));
    CHECK_EQ_STR (zsec, s_get (b, "curve_secret_z85"));
    s_curves++;
}

/*  Whole file, lines split in place. */
static char *s_text;
static char **s_lines;
static size_t s_nlines;

static int
s_load (const char *path)
{
    FILE *f = fopen (path, "rb");
    if (!f)
        return -1;
    size_t cap = 1 << 16, len = 0;
    s_text = malloc (cap);
    size_t n;
    while (s_text && (n = fread (s_text + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len - 1 == 0) {
            char *bigger = realloc (s_text, cap * 2);
            if (!bigger) {
                free (s_text);
                s_text = NULL;
            }
            s_text = bigger;
            cap *= 2;
        }
    }
    fclose (f);
    if (!s_text)
        return -1;
    s_text [len] = 0;
    s_lines = malloc ((len + 2) * sizeof *s_lines);
    if (!s_lines)
        return -1;
    char *p = s_text;
    while (*p) {
        s_lines [s_nlines++] = p;
        char *nl = strchr (p, '\n');
        if (!nl)
            break;
        *nl = 0;
        if (nl > p && nl [-1] == '\r')
            nl [-1] = 0;
        p = nl + 1;
    }
    return 0;
}

static void
test_vectors (void)
{
    int blocks = 0, bad = 0;
    for (size_t i = 0; i < s_nlines; i++) {
        if (strncmp (s_lines [i], "```", 3) != 0)
            continue;
        size_t end = i + 1;
        while (end < s_nlines && strncmp (s_lines [end], "```", 3) != 0)
            end++;
        if (i + 1 < end && strncmp (s_lines [i + 1], "vector: ", 8) == 0) {
            block_t b;
            memset (&b, 0, sizeof b);
            b.line = (int) i + 2;
            for (size_t j = i + 1; j < end; j++) {
                char *colon = strstr (s_lines [j], ": ");
                if (!colon || b.n == FIELDS_MAX) {
                    fprintf (stderr, "line %zu: not 'name: value'\n", j + 1);
                    bad++;
                    continue;
                }
                *colon = 0;
                b.key [b.n] = s_lines [j];
                b.value [b.n] = colon + 2;
                b.n++;
            }
            const char *kind = s_get (&b, "kind");
            int failed_before = cchc_test_cur_;
            cchc_test_cur_ = 0;
            fprintf (stderr, "vector %s (line %d)\n", s_get (&b, "vector"), b.line);
            if (kind && strcmp (kind, "report") == 0)
                s_check_report (&b);
            else if (kind && strcmp (kind, "ack") == 0)
                s_check_ack (&b);
            else if (kind && strcmp (kind, "curve") == 0)
                s_check_curve (&b);
            else if (kind && strcmp (kind, "figures") == 0)
                s_check_figures (&b);
            else
                cchc_test_cur_ = 1;
            if (cchc_test_cur_)
                bad++;
            cchc_test_cur_ = failed_before;
            blocks++;
        }
        i = end;
    }
    CHECK_EQ_INT (bad, 0);
    /*  What the issue asks for: at least three message vectors, among them a
        report with int and float values, a report with several observations,
        an ack with per-observation rejections. */
    CHECK (s_reports + s_acks >= 3);
    CHECK (s_reports >= 2);
    CHECK (s_reports_mixed >= 1);
    CHECK (s_acks_with_rejections >= 1);
    CHECK (s_reports_caps >= 1); /* revision 1.2 keys */
    CHECK (s_acks_high >= 1);
    CHECK (s_curves >= 1);
    CHECK (s_figures >= 1);
    fprintf (stderr, "%d vector blocks: %d reports, %d acks, %d curve\n", blocks, s_reports,
             s_acks, s_curves);
}

static int
s_reason_code (const char *name)
{
    for (int code = 0; code < 128; code++)
        if (strcmp (cchc_reason_name (code), name) == 0)
            return code;
    return -1;
}

/*  Section 12.9: rows "| `hex` ... | `reason` | `reason` |". */
static void
test_refusal_table (void)
{
    uint8_t seed [32];
    memset (seed, 7, sizeof seed);
    cchc_key_t *key = cchc_key_new_from_seed (seed);
    CHECK (key);
    size_t i = 0;
    while (i < s_nlines && strncmp (s_lines [i], "### 12.9", 8) != 0)
        i++;
    int rows = 0, bad = 0;
    for (i++; i < s_nlines && s_lines [i][0] != '#'; i++) {
        const char *line = s_lines [i];
        if (strncmp (line, "| `", 3) != 0 && strncmp (line, "| *(empty)*", 11) != 0)
            continue;
        /*  Backquoted tokens: the first is the body (unless empty), the last
            two the reasons. */
        char tokens [8][80];
        int nt = 0;
        for (const char *p = strchr (line, '`'); p && nt < 8;) {
            const char *q = strchr (p + 1, '`');
            if (!q || q - p - 1 >= 80)
                break;
            memcpy (tokens [nt], p + 1, (size_t) (q - p - 1));
            tokens [nt][q - p - 1] = 0;
            nt++;
            p = strchr (q + 1, '`');
        }
        bool empty = strncmp (line, "| *(empty)*", 11) == 0;
        size_t len = 0;
        uint8_t *body = empty ? calloc (1, 1) : s_unhex (nt >= 3 ? tokens [0] : NULL, &len);
        int want_report = nt >= 2 ? s_reason_code (tokens [nt - 2]) : -1;
        int want_ack = nt >= 1 ? s_reason_code (tokens [nt - 1]) : -1;
        if (!body || want_report < 0 || want_ack < 0) {
            fprintf (stderr, "line %zu: cannot parse the row\n", i + 1);
            bad++;
            free (body);
            continue;
        }
        uint8_t sig [64];
        cchc_report_t r;
        cchc_ack_t a;
        cchc_proto_sign (CCHC_KIND_REPORT, key, body, len, sig);
        int got_report = cchc_report_open (cchc_key_public (key), body, len, sig, &r);
        cchc_proto_sign (CCHC_KIND_ACK, key, body, len, sig);
        int got_ack = cchc_ack_open (cchc_key_public (key), body, len, sig, &a);
        if (got_report != want_report || got_ack != want_ack) {
            fprintf (stderr, "line %zu: got %s / %s\n", i + 1, cchc_reason_name (got_report),
                     cchc_reason_name (got_ack));
            bad++;
        }
        if (got_report == 0)
            cchc_report_clear (&r);
        if (got_ack == 0)
            cchc_ack_clear (&a);
        free (body);
        rows++;
    }
    cchc_key_destroy (&key);
    CHECK_EQ_INT (bad, 0);
    CHECK (rows >= 8);
}

int
main (int argc, char **argv)
{
    if (argc != 2) {
        fprintf (stderr, "usage: test_vectors PATH/TO/PROTOCOL.md\n");
        return 2;
    }
    s_path = argv [1];
    if (sodium_init () < 0 || s_load (s_path) != 0) {
        fprintf (stderr, "cannot read %s\n", s_path);
        return 1;
    }
    CCHC_TEST_RUN (test_vectors);
    CCHC_TEST_RUN (test_refusal_table);
    free (s_lines);
    free (s_text);
    return CCHC_TEST_DONE ();
}
