/*  audit.h — collector/db/, the reads of cchcctl (collector/ctl/) that
    db.h and periods.h do not already have: what `cchcctl audit`
    (collector/ctl/audit.c) compares — the journal, the observation rows,
    the agents' counters, the monthly summary observation_month — and
    `cchcctl units list`.  What counts as a mismatch and what is said about
    it is the audit's; here are only the rows, walked one by one.

    The audit runs in one read transaction (cchc_db_audit_new ..
    cchc_db_audit_destroy), so a running collector does not disturb it.
    Its expected observations (what the journal says each observation row
    must hold: the highest seq per (agent, metric, day)) go into a TEMP
    table of the audit's connection, filled by cchc_db_audit_expect and
    compared with the stored rows in both directions.

    Every function returns 0 or -1; on a database error the error is the
    store's (cchc_db_errmsg).  A walk whose fn returns non-zero stops and
    returns -1 without touching the store's error.  Strings and blobs in a
    row are valid during the callback only.
*/
#ifndef CCHC_DB_AUDIT_H
#define CCHC_DB_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collector/db/db.h"
#include "proto/proto.h"

/*  A value as SQLite stored it (observation values and sums are integer or
    real; NULL or text only in a damaged database). */
typedef enum {
    CCHC_DB_AUDIT_NULL,
    CCHC_DB_AUDIT_INTEGER,
    CCHC_DB_AUDIT_REAL,
    CCHC_DB_AUDIT_TEXT
} cchc_db_audit_type_t;

typedef struct {
    cchc_db_audit_type_t type;
    int64_t ival;     /* INTEGER */
    double fval;      /* REAL */
    const char *text; /* TEXT */
} cchc_db_audit_value_t;

typedef struct cchc_db_audit_t cchc_db_audit_t;

/*  Start an audit of `store`: an empty table of expected observations and
    a read transaction held until cchc_db_audit_destroy.  NULL on error. */
cchc_db_audit_t *cchc_db_audit_new (cchc_db_t *store);

/*  End the read transaction and drop the audit's tables.  Accepts NULL. */
void cchc_db_audit_destroy (cchc_db_audit_t **self_p);

/* --------------------------------------------------------------- journal */

/*  One journal row with the key its agent is enrolled with. */
typedef struct {
    int64_t id, agent, seq;
    const uint8_t *body; /* NULL when missing */
    size_t len;
    const uint8_t *sig; /* NULL when missing */
    size_t siglen;
    const char *refused;   /* "index:reason,..." or NULL */
    const uint8_t *pubkey; /* NULL when the agent is not enrolled */
    size_t pklen;
} cchc_db_audit_journal_t;

/*  Call fn for every journal row, by agent then seq. */
typedef int (cchc_db_audit_journal_fn) (const cchc_db_audit_journal_t *row, void *arg);
int cchc_db_audit_journal_each (cchc_db_audit_t *self, cchc_db_audit_journal_fn *fn,
                                void *arg);

/*  What journal row `journal` (of `agent`, `seq`) says of one observation:
    kept as expected unless a higher seq said otherwise. */
int cchc_db_audit_expect (cchc_db_audit_t *self, int64_t agent, const cchc_obs_t *obs,
                          int64_t seq, int64_t journal);

/* ---------------------------------------------------------- observations */

/*  An observation row and what the journal says of its (agent, metric,
    day). */
typedef struct {
    int64_t agent;
    const char *metric;
    int32_t day; /* yyyymmdd */
    bool stored; /* an observation row: */
    cchc_db_audit_value_t value;
    int64_t seq, journal;
    bool expected; /* a journal row holds it: */
    cchc_db_audit_value_t want;
    int64_t want_seq, want_journal;
} cchc_db_audit_observation_t;

typedef int (cchc_db_audit_observation_fn) (const cchc_db_audit_observation_t *row, void *arg);

/*  Call fn for every observation row (stored), with the journal's value
    when there is one (expected). */
int cchc_db_audit_observations_each (cchc_db_audit_t *self, cchc_db_audit_observation_fn *fn,
                                     void *arg);

/*  Call fn for every expected value that has no observation row (stored
    false). */
int cchc_db_audit_missing_each (cchc_db_audit_t *self, cchc_db_audit_observation_fn *fn,
                                void *arg);

/*  One agent's counters and what the journal holds of it. */
typedef struct {
    int64_t agent, accepted, last_seq;
    int64_t messages, seq_max; /* its journal rows and their highest seq (0: none) */
} cchc_db_audit_agent_t;

/*  Call fn for every agent, by id. */
typedef int (cchc_db_audit_agent_fn) (const cchc_db_audit_agent_t *row, void *arg);
int cchc_db_audit_agents_each (cchc_db_audit_t *self, cchc_db_audit_agent_fn *fn, void *arg);

/* ------------------------------------------------------------ the summary */

/*  The sums of one (agent, month, metric, unit): observation_month's
    columns, or the same computed from the observation rows. */
typedef struct {
    cchc_db_audit_value_t total;
    int64_t rows;
    int32_t day_first, day_last;
    cchc_db_audit_value_t last; /* the value of day_last's row */
    int64_t last_journal;       /* its journal row */
    int64_t journal_max;        /* the summary's journal_max; computed: the newest
                                   journal id of the rows */
} cchc_db_audit_sums_t;

typedef struct {
    int64_t agent;
    int32_t month; /* yyyymm, a reporting month (cchc_period_month_of) */
    const char *metric, *unit;
    bool summarised; /* observation_month has the row: */
    cchc_db_audit_sums_t summary;
    bool observed; /* observation rows are behind it: */
    cchc_db_audit_sums_t rows;
} cchc_db_audit_month_t;

/*  Call fn for every (agent, month, metric, unit) of observation_month as
    of this snapshot (the months its follower has not reached yet computed
    as it will write them: cchc_db_month_settle) or of the observation
    rows, with both sides.  A database without observation_month (older
    than the summary) has none. */
typedef int (cchc_db_audit_month_fn) (const cchc_db_audit_month_t *row, void *arg);
int cchc_db_audit_months_each (cchc_db_audit_t *self, cchc_db_audit_month_fn *fn, void *arg);

/* ----------------------------------------------------------------- units */

/*  One row of the unit table. */
typedef struct {
    const char *code, *level, *kind, *name;
    const char *parent; /* "" for none */
    int32_t valid_from, valid_to;
} cchc_db_unit_row_t;

/*  Call fn for every unit row valid on `on` (yyyymmdd), or with `all`
    every row: by level (tinh, so, huyen, xa), code, valid_from. */
typedef int (cchc_db_unit_row_fn) (const cchc_db_unit_row_t *row, void *arg);
int cchc_db_unit_rows_each (cchc_db_t *store, bool all, int32_t on, cchc_db_unit_row_fn *fn,
                            void *arg);

#endif
