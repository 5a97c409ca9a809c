/*  national.h — cchc-collector in its national role (national.enabled):
    receives the provinces' signed "figures" messages (PROTOCOL.md §15),
    stores every message exactly once with every version, and ranks the
    provinces per period (docs/national.md).

    Receiving, per message, in this order (§8 and §15.5):
      frames → the key of frame 0 enrolled (agent table; unit = province
      code) → size → signature (figures prefix) → strict decode →
      "province" == frame 0 → not revoked → code == the enrolled unit
      (province_mismatch) → catalogue expected for the period's plan year
      (unexpected_catalogue; national.expect, national.accept_any_catalogue)
      → (key, seq) or (province, period, version, part) already stored:
      duplicate → store body, signature and decoded figures in one
      transaction (synchronous=FULL) → ack accepted.
    The ack is sent only after the commit: a national collector killed at
    any moment loses nothing acknowledged, and a resend after a restart is
    answered duplicate.

    Ranking rule (cchc_national_rank), for one period:
      - each province's figures are its highest complete version;
      - level index: the mean index of its units of that level that have an
        index (sở; huyện — only where the structure has districts; xã);
      - province score: the mean of its level indices (each level counts
        the same, however many communes it has);
      - rank by score, highest first, rounded to 1e-6, ties share a rank;
      - change: score − the score of the previous period of the same kind
        (when the province had complete figures then);
      - plan indicators: each province figure (all levels) flagged plan,
        with its value, target and whether the target is met;
      - completeness: the provinces expected are the units of level tinh
        valid on the period's last day (so 63 with districts before
        2025-07-01, 34 without after, from the one unit table); each is
        reported (complete version), partial (some parts) or missing; a
        reported province is late when its first complete version arrived
        after the end (local) of national.deadline_day of the period's last
        month.
*/
#ifndef CCHC_NATIONAL_H
#define CCHC_NATIONAL_H

#include <signal.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/key.h"
#include "common/period.h"
#include "proto/figures.h"
#include "proto/wire.h"

#define CCHC_NATIONAL_EXPECT_MAX 32

typedef struct {
    int year;
    uint8_t hash [32];
} cchc_national_expect_t;

/*  Parse "YEAR:SHA256HEX,YEAR:SHA256HEX" ("" gives none).  0 or -1. */
int cchc_national_expect_parse (const char *text, cchc_national_expect_t *out, size_t max,
                                size_t *n, char *err, size_t errlen);

typedef struct {
    const char *db_path;
    const char *expect; /* national.expect */
    bool accept_any;    /* national.accept_any_catalogue */
    int64_t busy_timeout_ms;
} cchc_national_config_t;

typedef struct cchc_national_t cchc_national_t;

/*  Open (creating) the database, its schema (collector/db/schema.h, the
    national tables included) brought up to date.  NULL with err. */
cchc_national_t *cchc_national_new (const cchc_national_config_t *conf, const cchc_key_t *key,
                                    char *err, size_t errlen);
void cchc_national_destroy (cchc_national_t **self_p);

/*  Decide and store one received message; fill *ack (the caller signs and
    sends it).  Returns 0; -1 only when the ack could not be made. */
int cchc_national_handle (cchc_national_t *self, const cchc_wire_msg_t *msg, int64_t now_ms,
                          cchc_ack_t *ack);

/*  Wait up to timeout_ms for messages on `router` (bound, ROUTER) and
    answer every one waiting, each after its commit.  0, 1 (the context was
    terminated) or -1. */
int cchc_national_serve (cchc_national_t *self, void *router, int timeout_ms);

/*  Serve `router` until *stop: every message is answered
    after its commit.  0 or -1. */
int cchc_national_run (cchc_national_t *self, void *router, volatile sig_atomic_t *stop);

/*  The ranking of `period` (rule above) as JSON (new reference in *out):
      { "period", "structure": {"provinces", "levels"}, "deadline",
        "provinces": [ { "code", "name", "status": reported|partial|missing,
          "late", "version", "revised", "versions", "received_at", "units",
          "levels": {"so": {"index","units"}, ...}, "score", "rank",
          "change", "plan": [ {"indicator","value","target","met"} ] } ],
        "reported", "missing", "late" }
    Provinces ranked first by rank, then the unranked by code.
    0 or -1 with err. */
int cchc_national_rank (sqlite3 *db, const cchc_period_t *period, int deadline_day,
                        json_t **out, char *err, size_t errlen);

/*  A province's units as received in its highest complete version (or
    `version` when > 0), JSON: { "province", "period", "version",
    "indicators": [...], "units": [ {code, name, parent, level, index,
    has_index, rank, earned, applicable, complete, on_time,
    scores: [[state, value, points, max], ...]} ] }.  0 or -1 with err
    (no such figures is an error). */
int cchc_national_province (sqlite3 *db, const char *province, const char *period,
                            int64_t version, json_t **out, char *err, size_t errlen);

/*  Re-verify every stored message with its province's enrolled key and
    check the decoded rows against the signed bodies.  Prints problems to
    `out`; *messages and *problems get the counts.  0 or -1 (database
    error). */
int cchc_national_audit (sqlite3 *db, FILE *out, int64_t *messages, int64_t *problems,
                         char *err, size_t errlen);

#endif
