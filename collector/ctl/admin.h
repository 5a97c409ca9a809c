/*  admin.h — the pieces of cchcctl that are more than a query: reading a
    units CSV file (units.c) and auditing the journal (audit.c). */
#ifndef CCHC_ADMIN_H
#define CCHC_ADMIN_H

#include <stddef.h>
#include <stdio.h>

#include "collector/db/db.h"

/*  Read a units CSV (header "code,name,kind,level,parent", UTF-8, optional
    BOM, RFC 4180 quoting) and append its rows to *rows / *count (realloc'd;
    the caller frees *rows; the well-formed rows are appended even when
    others are not).  Checks the shape of every row; the meaning (levels,
    parents, codes) is checked by cchc_db_units_check / _import.  Returns
    0, or -1 with "file:line: reason" lines appended to err (which must hold
    a string, "" to start with). */
int cchc_units_read_csv (const char *path, cchc_db_unit_t **rows, size_t *count, char *err,
                         size_t errlen);

typedef struct {
    size_t journal_rows; /* journal rows re-verified */
    size_t observations; /* observation rows compared */
    size_t mismatches;   /* problems found (each printed to out) */
} cchc_audit_result_t;

/*  Re-verify every journal row's signature with the enrolled key of its
    agent, re-decode it, and check that every observation row holds the
    value of the highest-seq journal row for its (agent, metric, day) and
    that nothing the journal says is missing; also the agents' accepted and
    last_seq counters.  Each mismatch is one line on `out` (the first 200;
    all are counted).  Runs in one read transaction, so a running collector
    does not disturb it.  Returns 0 (see result->mismatches) or -1 with err. */
int cchc_audit_run (cchc_db_t *store, FILE *out, cchc_audit_result_t *result, char *err,
                    size_t errlen);

#endif
