/*  national.h — collector/db/, the statements of the federation: the
    national role's tables (national_message, national_version,
    national_unit, national_figure: schema.h, CCHC_DB_NATIONAL_SQL) as
    collector/national/ stores, ranks, audits and proves them, and what a
    province reads to send its locked figures upstream
    (collector/upstream/), behind functions named for what they mean.

    Every function works on a raw connection and returns 0 (1 / 0 for
    found / not found where said) or -1, with the error on the connection
    (sqlite3_errmsg (db)), unless said otherwise.  A walk (`_each`) calls
    fn for every row, its strings valid during the call; fn returns
    non-zero to stop, and the walk then returns -1 with nothing on the
    connection.
*/
#ifndef CCHC_DB_NATIONAL_H
#define CCHC_DB_NATIONAL_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collector/db/db.h"
#include "common/period.h"
#include "proto/figures.h"

/* ------------------------------------------------------------- receiving */

/*  The agent enrolled with `pubkey` (its pubkey not filled in).  1 found,
    0 not enrolled, -1 error. */
int cchc_db_national_agent_find (sqlite3 *db, const uint8_t pubkey [32],
                                 cchc_db_agent_t *agent);

/*  Store one opened figures message of `agent` (body and signature as
    received, the decoded `f`) inside the caller's write transaction: the
    message itself, its version's header (made by the first part; every
    other part must agree with it), the part counted in (the version
    complete at now_ms with its last part), its units and province
    figures.  Returns 1 stored, 0 held already (the same agent and seq, or
    the same part of the same version: nothing written), -2 a part
    disagreeing with its version's header (parts, journal, catalogue,
    structure or units_total; nothing written), -1 error (roll back). */
int cchc_db_national_store (sqlite3 *db, int64_t agent, const cchc_provfig_t *f,
                            const uint8_t *body, size_t len, const uint8_t sig [64],
                            int64_t now_ms);

/* -------------------------------------------------------------- versions */

/*  One row of national_version. */
typedef struct {
    char province [CCHC_UNIT_MAX + 1];
    char period [CCHC_PERIOD_ID_MAX];
    int64_t version, parts, parts_in;
    int64_t first_at, complete_at; /* UTC ms; complete_at 0 while incomplete */
    bool complete;
    int64_t locked_at;                      /* the province's lock (UTC ms) */
    int64_t journal;                        /* the province's journal position covered */
    uint8_t catalogue [32], structure [32]; /* SHA-256s; zeros when damaged */
    int64_t cat_year, units_total;
} cchc_db_national_version_t;

/*  The highest complete version of a province's period, 0 when none.  0
    or -1. */
int cchc_db_national_version_latest (sqlite3 *db, const char *province, const char *period,
                                     int64_t *version);

/*  The row of (province, period, version); with `indicators` not NULL,
    *indicators its indicator codes as a JSON array (malloc'd text, NULL
    when not found).  1 found, 0 none, -1 error. */
int cchc_db_national_version_get (sqlite3 *db, const char *province, const char *period,
                                  int64_t version, cchc_db_national_version_t *row,
                                  char **indicators);

/*  Every version received of `period` (every period when NULL), by
    period, province and version. */
typedef int (cchc_db_national_version_fn) (const cchc_db_national_version_t *row, void *arg);
int cchc_db_national_versions_each (sqlite3 *db, const char *period,
                                    cchc_db_national_version_fn *fn, void *arg);

/*  1 when the database holds provinces' figures messages, 0 when not (a
    province's database, or an older one without the national tables, or
    an error). */
int cchc_db_national_held (sqlite3 *db);

/* --------------------------------------------------------------- ranking */

/*  An expected province of a period and its figures as received. */
typedef struct {
    char code [CCHC_UNIT_MAX + 1];
    char name [256];
    int64_t version;           /* highest complete version, 0 when none */
    int64_t versions;          /* versions received, complete or not */
    int64_t incomplete;        /* versions with parts still missing */
    int64_t first_complete_at; /* UTC ms: the earliest complete version's */
    int64_t received_at;       /* UTC ms: complete_at of `version` (0: no units) */
    int64_t units;             /* units of `version` */
    double level_sum [3];      /* by level (0 so, 1 huyen, 2 xa): sum of the */
    int64_t level_n [3];       /*   indices of the units with one, and their count */
} cchc_db_national_province_t;

/*  The provinces (units of level tinh) valid on `day` (yyyymmdd), by
    code, each with its figures of `period` (an id).  *out malloc'd (NULL
    when none), *n rows.  0 or -1. */
int cchc_db_national_provinces (sqlite3 *db, int32_t day, const char *period,
                                cchc_db_national_province_t **out, size_t *n);

/*  One plan indicator of a version (a province figure of all levels,
    flagged CCHC_PROVFIG_PLAN). */
typedef struct {
    const char *indicator;
    uint32_t flags; /* CCHC_PROVFIG_HAS_VALUE ... */
    double value, target;
} cchc_db_national_plan_t;

/*  The plan indicators of (province, period, version), by indicator. */
typedef int (cchc_db_national_plan_fn) (const cchc_db_national_plan_t *plan, void *arg);
int cchc_db_national_plan_each (sqlite3 *db, const char *province, const char *period,
                                int64_t version, cchc_db_national_plan_fn *fn, void *arg);

/* ----------------------------------------------------------------- units */

/*  One unit of a version as received (national_unit). */
typedef struct {
    const char *code, *name, *parent; /* parent "" when none */
    int level;                        /* 0 so, 1 huyen, 2 xa */
    uint32_t flags;                   /* CCHC_PROVFIG_HAS_INDEX ... */
    double index, earned, applicable;
    int64_t rank;
    const char *scores; /* JSON [[state, value, points, max], ...] */
} cchc_db_national_unit_t;

/*  The units of (province, period, version) by level, ranked before
    unranked, rank, code. */
typedef int (cchc_db_national_unit_fn) (const cchc_db_national_unit_t *unit, void *arg);
int cchc_db_national_units_each (sqlite3 *db, const char *province, const char *period,
                                 int64_t version, cchc_db_national_unit_fn *fn, void *arg);

/*  The stored index, flags and rank of one unit of a version.  1 found, 0
    none, -1 error. */
int cchc_db_national_unit_find (sqlite3 *db, const char *province, const char *period,
                                int64_t version, const char *code, double *index,
                                int64_t *flags, int64_t *rank);

/* ----------------------------------------------------------- the audit */

/*  One stored figures message with its agent's enrolled key. */
typedef struct {
    int64_t id;            /* arrival order */
    const uint8_t *pubkey; /* 32 bytes; NULL when no enrolled key of 32 bytes */
    int64_t seq;
    const char *province, *period;
    int64_t version, part;
    const uint8_t *body; /* NULL when damaged */
    size_t body_len;
    const uint8_t *sig; /* 64 bytes; NULL when not 64 bytes long */
} cchc_db_national_message_t;

/*  Every stored message, in arrival order. */
typedef int (cchc_db_national_message_fn) (const cchc_db_national_message_t *msg, void *arg);
int cchc_db_national_messages_each (sqlite3 *db, cchc_db_national_message_fn *fn, void *arg);

/* ---------------------------------------------------------------- proofs */

/*  Fill the new database `scratch` (cchc_db_open'ed, empty) with the
    province database's unit and agent tables and its journal rows up to
    id `journal` (province_db opened read-only, attached as "p"; foreign
    keys off on `scratch`).  0, or -1 with err. */
int cchc_db_national_scratch_fill (cchc_db_t *scratch, const char *province_db,
                                   int64_t journal, char *err, size_t errlen);

/*  One journal row with its agent's unit. */
typedef struct {
    int64_t id, agent, seq;
    const uint8_t *body;
    size_t body_len;
    const char *refused; /* NULL when none (schema.h, journal.refused) */
    const char *unit;
} cchc_db_national_journal_t;

/*  Every journal row in journal order (on a scratch database). */
typedef int (cchc_db_national_journal_fn) (const cchc_db_national_journal_t *row, void *arg);
int cchc_db_national_journal_each (sqlite3 *db, cchc_db_national_journal_fn *fn, void *arg);

/* -------------------------------------------------------------- upstream */

/*  One locked period of a province (period_result) to send upstream. */
typedef struct {
    const char *period;
    int64_t locked_at;   /* UTC ms */
    int64_t journal_pos; /* the journal position the lock covered */
    const char *snapshot;
    int64_t locks; /* how many times it was locked (period_event) */
} cchc_db_upstream_locked_t;

/*  Every locked period with a snapshot, by lock time then period. */
typedef int (cchc_db_upstream_locked_fn) (const cchc_db_upstream_locked_t *row, void *arg);
int cchc_db_upstream_locked_each (sqlite3 *db, cchc_db_upstream_locked_fn *fn, void *arg);

#endif
