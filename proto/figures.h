/*  figures.h — the province's final figures of one period, sent upstream
    to the national collector (PROTOCOL.md §15): message kind 3, "figures".

    Same three frames as a report (frame 0: the province's Ed25519 key,
    enrolled at the national collector like an agent), signed over
      "cchc/v1/figures" + one 0x00 byte  ||  body
    and answered with the ordinary ack of proto.h (agent = the province key,
    seq = the message's seq, `rejected` always empty).

    One *version* of a period's figures (what the province locked; a reopen
    and relock makes version + 1) is sent as 1..64 *parts*, each one signed
    message with its own seq, because 200 units with all their indicator
    results do not fit one 64 KiB body.  Every part repeats the header
    (period, version, catalogue, structure, journal position, lock time,
    indicator codes); part 0 also carries the province figures.  The
    national collector stores a version when all its parts are in.

    body — map with exactly these keys (encoders write them in this order):
      "v"          uint      1
      "province"   bin(32)   the province's public key, equal to frame 0
      "code"       str       the province's unit code (e.g. "08")
      "seq"        uint      1..2^63-1, from the province's outbox counter
      "created"    uint      UTC ms when the message was made
      "period"     str       period id ("2021-Q1"), canonical form
      "version"    uint      1..2^32-1: 1 at the first lock, +1 per relock
      "locked"     uint      UTC ms of the lock the figures are final by
      "journal"    uint      journal position (max journal.id) covered
      "catalogue"  bin(32)   SHA-256 of the catalogue file's text
      "cat_year"   uint      the catalogue's plan year (its version)
      "structure"  bin(32)   SHA-256 of the units list (cchc_provfig_structure)
      "part"       uint      0..parts-1
      "parts"      uint      1..64
      "units_total" uint     units in the whole version (all parts)
      "indicators" array     1..64 indicator codes (metric code syntax), the
                             order of every unit's "scores"
      "figures"    array     province figures (part 0 only; empty in others),
                             each array(9): [indicator uint (< indicators),
                             level int (-1 all levels, 0 so, 1 huyen, 2 xa),
                             flags uint (1 denominator, 2 value,
                             4 target, 8 met, 16 plan), numerator float, denominator float,
                             value float, target float, units uint,
                             units_missing uint]
      "units"      array     0..1000 units, each array(10): [code str, parent
                             str (unit code or ""), name str (0..128 bytes),
                             level uint (0..2), flags uint, index float,
                             earned float, applicable float, rank uint,
                             scores array (exactly len(indicators) entries,
                             each array(4): [state uint 0..2, value float,
                             points float, points_max float])]

    Floats are finite (NaN never travels: the flags say what is present).
*/
#ifndef CCHC_PROTO_FIGURES_H
#define CCHC_PROTO_FIGURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/proto.h"

#define CCHC_PROVFIG_PARTS_MAX 64
#define CCHC_PROVFIG_UNITS_MAX 1000 /* per part */
#define CCHC_PROVFIG_INDICATORS_MAX 64
#define CCHC_PROVFIG_FIGURES_MAX 1024
#define CCHC_PROVFIG_NAME_MAX 128 /* bytes of a unit name */
#define CCHC_PROVFIG_VERSION_MAX UINT32_MAX

/*  The national collector's policy reasons (PROTOCOL.md §15.5),
    CCHC_REASON_PROVINCE_MISMATCH and CCHC_REASON_UNEXPECTED_CATALOGUE, are
    in cchc_reason_t (proto.h) with the others: cchc_reason_name names them
    wherever an ack is read (the outbox's dead letters too). */

/*  unit flags */
#define CCHC_PROVFIG_HAS_INDEX 1u /* "index" is meaningful */
#define CCHC_PROVFIG_COMPLETE 2u
#define CCHC_PROVFIG_ON_TIME 4u
#define CCHC_PROVFIG_UNIT_FLAGS 7u
/*  figure flags */
#define CCHC_PROVFIG_HAS_DENOMINATOR 1u
#define CCHC_PROVFIG_HAS_VALUE 2u
#define CCHC_PROVFIG_HAS_TARGET 4u
#define CCHC_PROVFIG_MET 8u
#define CCHC_PROVFIG_PLAN 16u /* one of the plan's targets */
#define CCHC_PROVFIG_FIGURE_FLAGS 31u

typedef struct {
    uint32_t state;    /* 0 ok, 1 not_applicable, 2 missing */
    double value;      /* the indicator's value when ok, else 0 */
    double points;     /* earned */
    double points_max; /* applicable points (0 when not applicable) */
} cchc_provfig_score_t;

typedef struct {
    char code [CCHC_UNIT_MAX + 1];
    char parent [CCHC_UNIT_MAX + 1]; /* "" when none */
    char name [CCHC_PROVFIG_NAME_MAX + 1];
    uint32_t level; /* 0 so, 1 huyen, 2 xa */
    uint32_t flags; /* CCHC_PROVFIG_HAS_INDEX ... */
    double index;   /* 0..100 (0 without index) */
    double earned, applicable;
    uint32_t rank;                /* within the level, 0: none */
    cchc_provfig_score_t *scores; /* [nindicators] */
} cchc_provfig_unit_t;

typedef struct {
    uint32_t indicator;                           /* into indicators */
    int32_t level;                                /* -1 all levels, 0..2 */
    uint32_t flags;                               /* CCHC_PROVFIG_HAS_DENOMINATOR ... */
    double numerator, denominator, value, target; /* 0 when absent */
    uint32_t units, units_missing;
} cchc_provfig_figure_t;

typedef struct {
    uint8_t province [CCHC_KEY_PUBLIC_BYTES];
    char code [CCHC_UNIT_MAX + 1];
    uint64_t seq;
    uint64_t created_ms;
    char period [CCHC_PERIOD_ID_MAX];
    uint64_t version;
    uint64_t locked_ms;
    uint64_t journal;
    uint8_t catalogue [32];
    uint32_t cat_year;
    uint8_t structure [32];
    uint32_t part, parts;
    uint32_t units_total;
    uint32_t nindicators;
    char (*indicators) [CCHC_METRIC_MAX + 1];
    uint32_t nfigures;
    cchc_provfig_figure_t *figures;
    uint32_t nunits;
    cchc_provfig_unit_t *units;
    void *mem_; /* decode's allocations (clear frees them) */
} cchc_provfig_t;

/*  Encode into a malloc'd body.  Checks what the decoder checks: returns
    CCHC_REASON_NONE, the reason the fields are invalid
    (CCHC_REASON_TOO_LARGE: over 64 KiB, send fewer units per part), or -1
    (out of memory).  Nothing allocated on failure. */
int cchc_provfig_encode (const cchc_provfig_t *fig, uint8_t **body, size_t *len);

/*  Strict decode (does not verify).  CCHC_REASON_NONE with *out to clear,
    or a reason with *out cleared (CCHC_REASON_BUSY: out of memory). */
int cchc_provfig_decode (const uint8_t *body, size_t len, cchc_provfig_t *out);
void cchc_provfig_clear (cchc_provfig_t *fig);

/*  Sign / verify "cchc/v1/figures\0" || body.  verify: 0 or -1. */
void cchc_provfig_sign (const cchc_key_t *key, const uint8_t *body, size_t len,
                        uint8_t sig [64]);
int cchc_provfig_verify (const uint8_t pk [32], const uint8_t *body, size_t len,
                         const uint8_t sig [64]) __attribute__ ((warn_unused_result));

/*  The receiver's check in the only safe order: size, signature with `pk`
    (the enrolled key of frame 0), strict decode, "province" == pk. */
int cchc_provfig_open (const uint8_t pk [32], const uint8_t *body, size_t len,
                       const uint8_t sig [64], cchc_provfig_t *out)
    __attribute__ ((warn_unused_result));

/*  SHA-256 over the units' (code, parent, level) in the given order, each
    as code NUL parent NUL level-digit NUL: the "structure" of a version.
    Callers sort the units by code first. */
void cchc_provfig_structure (const cchc_provfig_unit_t *units, size_t n, uint8_t out [32]);

#endif
