/*  proto.h — wire protocol v1: the only code that knows the format.
    The normative description is proto/PROTOCOL.md; this header mirrors it.

    Transport: agent ZMQ_DEALER --tcp--> collector ZMQ_ROUTER.  Every message,
    both directions, is exactly three frames (no empty delimiter frame):

      frame  size         content
      -----  -----------  -----------------------------------------------------
      0      32 bytes     signer's Ed25519 public key (agent for a report,
                          collector for an ack)
      1      1..65536     body: one msgpack map (see below), nothing after it
      2      64 bytes     Ed25519 detached signature over  prefix || body
                          prefix = "cchc/v1/report" + one 0x00 byte  (report)
                                   "cchc/v1/ack"    + one 0x00 byte  (ack)

    report body — map with exactly these keys (encoders write them in this order):
      "v"        uint        protocol version, 1
      "agent"    bin(32)     agent public key, equal to frame 0
      "unit"     str         unit code, 1..16 bytes of [A-Za-z0-9_.-]
      "seq"      uint        1..2^63-1, strictly increasing per agent, never reused
      "created"  uint        creation time, UTC ms since the Unix epoch
      "obs"      array       1..1000 observations, each array(3):
                             [metric str (1..48 bytes [a-z0-9_], starting a-z),
                              date str "YYYY-MM-DD" (local day, a real date),
                              value int (int64 range) | float (finite)]
                             no two with the same (metric, date)
      "caps"     uint        OPTIONAL (revision 1.2): what the agent
                             understands in an ack; bit 0 (CCHC_CAP_HIGH):
                             the "high" key.  Written only when not 0.

    ack body — map with exactly these keys:
      "v"        uint        1
      "agent"    bin(32)     the agent the ack answers
      "seq"      uint        the report's seq; 0 when the report could not be
                             authenticated or decoded (never deletes anything)
      "status"   uint        cchc_status_t
      "reason"   uint        cchc_reason_t (0 with accepted/duplicate)
      "rejected" array       per-observation refusals: array(2) [index uint, reason uint],
                             indexes ascending into the report's "obs"
      "time"     uint        collector time, UTC ms
      "high"     uint        OPTIONAL (revision 1.2), only in answer to a
                             report with CCHC_CAP_HIGH: the highest seq the
                             collector holds from this agent key

    Decoding is strict: wrong types, missing / duplicate / unknown keys, trailing
    bytes, non-UTF-8 strings, impossible dates and values over the limits are
    refused with a reason code.  Nothing here allocates more than a bounded
    amount per message, and nothing crashes on any input.
*/
#ifndef CCHC_PROTO_H
#define CCHC_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "common/key.h"
#include "common/period.h"
#include "common/text.h"

#define CCHC_PROTO_VERSION 1
#define CCHC_PROTO_BODY_MAX 65536 /* bytes in frame 1 */
#define CCHC_PROTO_OBS_MAX 1000   /* observations per report */
#define CCHC_PROTO_SEQ_MAX INT64_MAX
/*  The value domain a collector counts (PROTOCOL.md §5): 0 .. 2^53, finite,
    so that any sum of up to 2^10 values is exact in a double and far from
    int64 overflow.  Values outside decode fine but are refused per
    observation (value_out_of_range). */
#define CCHC_PROTO_VALUE_MAX 9007199254740992LL

/*  Report "caps" bits (revision 1.2, PROTOCOL.md §13): what the agent
    understands in the ack.  CCHC_CAP_HIGH: the ack may carry "high". */
#define CCHC_CAP_HIGH 1u
/*  CCHC_CAP_BATCH (revision 1.3, PROTOCOL.md §7.1): the ack may be signed
    as one leaf of a batch — frame 2 is then the signature of the batch's
    root followed by the ack's proof, 1 .. CCHC_PROTO_PROOF_MAX sibling
    hashes of CCHC_PROTO_HASH_BYTES. */
#define CCHC_CAP_BATCH 2u
#define CCHC_PROTO_HASH_BYTES 32
#define CCHC_PROTO_PROOF_MAX 32

/*  What a signature is over: each kind has its prefix (PROTOCOL.md §7;
    figures: §15, proto/figures.h). */
typedef enum {
    CCHC_KIND_REPORT = 1,
    CCHC_KIND_ACK = 2,
    CCHC_KIND_FIGURES = 3,
    CCHC_KIND_ACKS = 4 /* the root of a batch of acks (revision 1.3) */
} cchc_kind_t;

typedef enum {
    CCHC_STATUS_ACCEPTED = 0,   /* stored and committed: delete from outbox */
    CCHC_STATUS_DUPLICATE = 1,  /* (agent, seq) already stored: delete too */
    CCHC_STATUS_REJECTED = 2,   /* permanent: dead-letter, never retry */
    CCHC_STATUS_RETRY_LATER = 3 /* transient: nothing stored, send again later */
} cchc_status_t;

/*  Reason codes.  1..31: the message itself; 32..63: collector policy;
    64..95: transient.  Names (cchc_reason_name) are the PROTOCOL.md names. */
typedef enum {
    CCHC_REASON_NONE = 0,
    CCHC_REASON_TOO_LARGE = 1,   /* body over CCHC_PROTO_BODY_MAX */
    CCHC_REASON_BAD_FRAMES = 2,  /* not 3 frames, or key/signature length */
    CCHC_REASON_MALFORMED = 3,   /* not one complete msgpack object */
    CCHC_REASON_BAD_VERSION = 4, /* "v" is not 1 */
    CCHC_REASON_BAD_TYPE = 5,    /* a field (or the body) has the wrong type */
    CCHC_REASON_MISSING_FIELD = 6,
    CCHC_REASON_DUPLICATE_FIELD = 7,
    CCHC_REASON_UNKNOWN_FIELD = 8,
    CCHC_REASON_BAD_UTF8 = 9,      /* a str that is not UTF-8 */
    CCHC_REASON_BAD_CODE = 10,     /* unit or metric code syntax/length */
    CCHC_REASON_BAD_DATE = 11,     /* not YYYY-MM-DD or not a real date */
    CCHC_REASON_BAD_VALUE = 12,    /* NaN, Inf, int outside int64 */
    CCHC_REASON_BAD_COUNT = 13,    /* no observations, or over the limit */
    CCHC_REASON_BAD_SEQ = 14,      /* seq 0 or over 2^63-1 */
    CCHC_REASON_KEY_MISMATCH = 15, /* "agent" differs from frame 0 */
    CCHC_REASON_BAD_SIGNATURE = 16,
    CCHC_REASON_DUPLICATE_OBSERVATION = 17, /* same (metric, date) twice */
    CCHC_REASON_UNKNOWN_AGENT = 32,         /* key not enrolled */
    CCHC_REASON_REVOKED_AGENT = 33,
    CCHC_REASON_UNIT_MISMATCH = 34,        /* "unit" is not the key's enrolled unit */
    CCHC_REASON_FUTURE_TIMESTAMP = 35,     /* "created" too far ahead of collector time */
    CCHC_REASON_DATE_OUT_OF_RANGE = 36,    /* per observation */
    CCHC_REASON_UNKNOWN_METRIC = 37,       /* per observation */
    CCHC_REASON_VALUE_OUT_OF_RANGE = 38,   /* per observation: negative, or over
                                           CCHC_PROTO_VALUE_MAX */
    CCHC_REASON_SUPERSEDED = 39,           /* per observation: the collector holds
                                           a value for (metric, date) from a
                                           higher seq; this one does not count */
    CCHC_REASON_PROVINCE_MISMATCH = 48,    /* figures (§15.5): "code" is not the
                                           key's province */
    CCHC_REASON_UNEXPECTED_CATALOGUE = 49, /* figures (§15.5): not the catalogue
                                           expected for the period's year */
    CCHC_REASON_BUSY = 64,                 /* overloaded: retry later */
    CCHC_REASON_STORAGE = 65,              /* database error (busy, disk full) */
    CCHC_REASON_SHUTTING_DOWN = 66
} cchc_reason_t;

/*  "accepted", "bad_signature", ...; "unknown" for codes not listed. */
const char *cchc_status_name (int status);
const char *cchc_reason_name (int reason);

typedef struct {
    char metric [CCHC_METRIC_MAX + 1];
    cchc_date_t date;
    bool is_float;
    int64_t ival; /* when !is_float */
    double fval;  /* when is_float */
} cchc_obs_t;

typedef struct {
    uint8_t agent [CCHC_KEY_PUBLIC_BYTES];
    char unit [CCHC_UNIT_MAX + 1];
    uint64_t seq;
    uint64_t created_ms;
    uint32_t nobs;
    cchc_obs_t *obs; /* nobs entries; malloc'd by decode, freed by clear */
    uint32_t caps;   /* CCHC_CAP_* (0: key absent, a 1.0/1.1 agent) */
} cchc_report_t;

typedef struct {
    uint32_t index;  /* into the report's obs */
    uint32_t reason; /* cchc_reason_t */
} cchc_obs_reject_t;

typedef struct {
    uint8_t agent [CCHC_KEY_PUBLIC_BYTES];
    uint64_t seq;
    uint32_t status; /* cchc_status_t */
    uint32_t reason; /* cchc_reason_t */
    uint32_t nrejected;
    cchc_obs_reject_t *rejected; /* malloc'd by decode, freed by clear */
    uint64_t time_ms;
    bool has_high; /* the "high" key is present (revision 1.2) */
    uint64_t high; /* the highest seq the collector holds from this agent */
} cchc_ack_t;

/*  Encode into a malloc'd buffer (*body, *len).  The encoder checks what the
    decoder checks, so it never produces a body the decoder refuses.  Returns
    CCHC_REASON_NONE or the reason the fields are invalid (nothing allocated;
    CCHC_REASON_TOO_LARGE when the body would exceed CCHC_PROTO_BODY_MAX), or
    -1 when out of memory. */
int cchc_report_encode (const cchc_report_t *report, uint8_t **body, size_t *len);
int cchc_ack_encode (const cchc_ack_t *ack, uint8_t **body, size_t *len);

/*  Strict decode of a body.  Returns CCHC_REASON_NONE with *out filled (call
    _clear later), or a reason with *out cleared (CCHC_REASON_BUSY when out
    of memory: transient).  Does NOT verify signatures. */
int cchc_report_decode (const uint8_t *body, size_t len, cchc_report_t *out);
int cchc_ack_decode (const uint8_t *body, size_t len, cchc_ack_t *out);

/*  Free what decode allocated; safe on a zeroed or already-cleared struct. */
void cchc_report_clear (cchc_report_t *report);
void cchc_ack_clear (cchc_ack_t *ack);

/*  Sign / verify prefix(kind) || body (at most CCHC_PROTO_BODY_MAX bytes).
    verify returns 0 or -1 only; neither can fail otherwise. */
void cchc_proto_sign (cchc_kind_t kind, const cchc_key_t *key, const uint8_t *body, size_t len,
                      uint8_t sig [64]);
int cchc_proto_verify (cchc_kind_t kind, const uint8_t pk [32], const uint8_t *body,
                       size_t len, const uint8_t sig [64])
    __attribute__ ((warn_unused_result));

/*  The receiver's whole check, in the only safe order: size → signature over
    the raw bytes with `pk` (looked up from frame 0 by the caller) → strict
    decode → "agent" == pk.  Returns CCHC_REASON_NONE or a reason; on success
    *out must be cleared by the caller. */
int cchc_report_open (const uint8_t pk [32], const uint8_t *body, size_t len,
                      const uint8_t sig [64], cchc_report_t *out)
    __attribute__ ((warn_unused_result));
int cchc_ack_open (const uint8_t pk [32], const uint8_t *body, size_t len,
                   const uint8_t sig [64], cchc_ack_t *out)
    __attribute__ ((warn_unused_result));

/*  Batch-signed acks (revision 1.3, PROTOCOL.md §7.1): a Merkle tree over
    the acks of one commit, its root signed once (CCHC_KIND_ACKS), each ack
    sent with the sibling hashes that lead from its leaf to the root.
      leaf = BLAKE2b-256 (0x00 || body)
      node = BLAKE2b-256 (0x01 || min (a, b) || max (a, b))   (bytewise)
    A level's last node without a sibling moves up unchanged (no hash in
    the proof for that level).  The proof's order is leaf to root. */
void cchc_ack_leaf (const uint8_t *body, size_t len, uint8_t leaf [CCHC_PROTO_HASH_BYTES]);

/*  Depth of a tree of n leaves (n >= 2): the most hashes a proof holds,
    ceil (log2 n); -1 when n < 2 or the depth would exceed
    CCHC_PROTO_PROOF_MAX. */
int cchc_ack_tree_depth (size_t n);

/*  Build the tree of `n` leaves (n >= 2): its root, and per leaf i its
    proof at proofs + i * depth * 32 (depth = cchc_ack_tree_depth (n)),
    nproof [i] hashes long (1 .. depth).  0, or -1 when n is out of range
    or out of memory. */
int cchc_ack_tree (const uint8_t (*leaves) [CCHC_PROTO_HASH_BYTES], size_t n,
                   uint8_t root [CCHC_PROTO_HASH_BYTES], uint8_t *proofs, uint8_t *nproof);

/*  The root that `proof` (nproof hashes) leads to from the leaf of body. */
void cchc_ack_root (const uint8_t *body, size_t len, const uint8_t *proof, size_t nproof,
                    uint8_t root [CCHC_PROTO_HASH_BYTES]);

/*  cchc_ack_open for an ack received with a proof: size, then the
    signature `sig` over the root the proof leads to (bad_signature), then
    the strict decode.  nproof 0 is cchc_ack_open; more than
    CCHC_PROTO_PROOF_MAX is bad_frames.  On success *out must be cleared. */
int cchc_ack_open_proof (const uint8_t pk [32], const uint8_t *body, size_t len,
                         const uint8_t sig [64], const uint8_t *proof, size_t nproof,
                         cchc_ack_t *out) __attribute__ ((warn_unused_result));

/*  The first two steps of every kind's open: the size of the body (1 ..
    CCHC_PROTO_BODY_MAX bytes: bad_frames, too_large), then its signature
    with `pk` (bad_signature).  CCHC_REASON_NONE or the reason. */
int cchc_proto_check (cchc_kind_t kind, const uint8_t pk [32], const uint8_t *body, size_t len,
                      const uint8_t sig [64]) __attribute__ ((warn_unused_result));

#endif
