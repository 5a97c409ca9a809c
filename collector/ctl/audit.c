/*  audit.c — cchcctl audit: re-verify the whole journal against the enrolled
    keys and check that the observation table is exactly what the journal
    implies (highest seq wins per (agent, metric, day), refused observations
    left out), that the agents' counters are what the journal holds, and
    that the roll-up's observation_month holds the sums of the observation
    rows.  The rows come from collector/db/audit.h, in one read
    transaction; what is a mismatch, and what is said of it, is here.
*/
#include "collector/ctl/admin.h"
#include "collector/db/audit.h"

#include "common/text.h"
#include "proto/proto.h"

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define AUDIT_PRINT_MAX 200

typedef struct {
    FILE *out;
    cchc_audit_result_t *result;
    cchc_db_audit_t *audit;
} s_audit_t;

static void
s_mismatch (s_audit_t *self, const char *fmt, ...)
{
    self->result->mismatches++;
    if (self->result->mismatches > AUDIT_PRINT_MAX)
        return;
    va_list args;
    va_start (args, fmt);
    fprintf (self->out, "mismatch: ");
    vfprintf (self->out, fmt, args);
    fputc ('\n', self->out);
    va_end (args);
}

/*  Refused indexes from "i:r,i:r": is `index` among them? */
static bool
s_refused (const char *refused, uint32_t index)
{
    if (!refused)
        return false;
    const char *p = refused;
    while (*p) {
        char *end;
        unsigned long value = strtoul (p, &end, 10);
        if (end == p)
            return false;
        if (value == index)
            return true;
        p = strchr (end, ',');
        if (!p)
            return false;
        p++;
    }
    return false;
}

/*  A value as the audit's messages show it, in a buffer that lives to the
    end of the caller's full expression (`s_shown (&v).text`). */
typedef struct {
    char text [64];
} s_shown_t;

static s_shown_t
s_shown (const cchc_db_audit_value_t *value)
{
    s_shown_t shown;
    switch (value->type) {
        case CCHC_DB_AUDIT_INTEGER:
            snprintf (shown.text, sizeof shown.text, "%lld", (long long) value->ival);
            break;
        case CCHC_DB_AUDIT_REAL:
            snprintf (shown.text, sizeof shown.text, "%.17g", value->fval);
            break;
        case CCHC_DB_AUDIT_NULL: snprintf (shown.text, sizeof shown.text, "(none)"); break;
        default:
            snprintf (shown.text, sizeof shown.text, "'%s'", value->text ? value->text : "");
            break;
    }
    return shown;
}

/*  The same number of the same type, to the bit (an observation row holds
    what its message said). */
static bool
s_value_same (const cchc_db_audit_value_t *a, const cchc_db_audit_value_t *b)
{
    if (a->type != b->type)
        return false;
    if (a->type == CCHC_DB_AUDIT_INTEGER)
        return a->ival == b->ival;
    return a->type == CCHC_DB_AUDIT_REAL && memcmp (&a->fval, &b->fval, sizeof a->fval) == 0;
}

/*  Different types, or different values of one type (a summary's last
    value against its row's). */
static bool
s_value_differs (const cchc_db_audit_value_t *a, const cchc_db_audit_value_t *b)
{
    if (a->type != b->type)
        return true;
    switch (a->type) {
        case CCHC_DB_AUDIT_INTEGER: return a->ival != b->ival;
        case CCHC_DB_AUDIT_REAL: return a->fval != b->fval;
        case CCHC_DB_AUDIT_TEXT:
            return strcmp (a->text ? a->text : "", b->text ? b->text : "") != 0;
        default: return false;
    }
}

/*  A sum as a number; false when it is none. */
static bool
s_value_number (const cchc_db_audit_value_t *value, double *number)
{
    if (value->type == CCHC_DB_AUDIT_INTEGER)
        *number = (double) value->ival;
    else if (value->type == CCHC_DB_AUDIT_REAL)
        *number = value->fval;
    else
        return false;
    return true;
}

/*  Step 5: does a summary row differ from the sums of its observation
    rows?  Totals are allowed rounding (they are summed in another order);
    journal_max must be at least the newest row's journal (a row that left
    keeps its journal id there). */
static bool
s_sums_differ (const cchc_db_audit_sums_t *m, const cchc_db_audit_sums_t *e)
{
    double total, want;
    if (!s_value_number (&m->total, &total) || !s_value_number (&e->total, &want))
        return true;
    double off = total > want ? total - want : want - total;
    if (off > 1e-9 * (want > 1.0 ? want : want < -1.0 ? -want : 1.0))
        return true;
    return m->rows != e->rows || m->day_first != e->day_first || m->day_last != e->day_last
           || s_value_differs (&m->last, &e->last) || m->last_journal != e->last_journal
           || m->journal_max < e->journal_max;
}

/*  Step 5, one (agent, month, metric, unit) of the summary or of the
    observation rows. */
static int
s_audit_month_row (const cchc_db_audit_month_t *row, void *arg)
{
    s_audit_t *self = arg;
    const cchc_db_audit_sums_t *m = &row->summary, *e = &row->rows;
    if (row->summarised && row->observed && !s_sums_differ (m, e))
        return 0;
    if (!row->summarised)
        s_mismatch (self,
                    "observation_month agent %" PRId64 " %d %s %s is missing: "
                    "the observations sum to %s over %lld rows",
                    row->agent, row->month, row->metric, row->unit, s_shown (&e->total).text,
                    (long long) e->rows);
    else if (!row->observed)
        s_mismatch (self,
                    "observation_month agent %" PRId64 " %d %s %s = %s over "
                    "%lld rows: no observation row is behind it",
                    row->agent, row->month, row->metric, row->unit, s_shown (&m->total).text,
                    (long long) m->rows);
    else
        s_mismatch (self,
                    "observation_month agent %" PRId64 " %d %s %s: total %s, "
                    "%lld rows, days %d..%d, last %s (journal %lld), journal max "
                    "%lld; the observations say total %s, %lld rows, days %d..%d, "
                    "last %s (journal %lld), newest journal %lld",
                    row->agent, row->month, row->metric, row->unit, s_shown (&m->total).text,
                    (long long) m->rows, (int) m->day_first, (int) m->day_last,
                    s_shown (&m->last).text, (long long) m->last_journal,
                    (long long) m->journal_max, s_shown (&e->total).text, (long long) e->rows,
                    (int) e->day_first, (int) e->day_last, s_shown (&e->last).text,
                    (long long) e->last_journal, (long long) e->journal_max);
    return 0;
}

/*  Step 1, one journal row: signature, decoding, seq; its values noted as
    expected.  0, or -1 on a database error. */
static int
s_audit_row (const cchc_db_audit_journal_t *row, void *arg)
{
    s_audit_t *self = arg;
    self->result->journal_rows++;
    if (!row->pubkey || row->pklen != 32) {
        s_mismatch (self, "journal %" PRId64 ": agent %" PRId64 " is not enrolled", row->id,
                    row->agent);
        return 0;
    }
    if (!row->body || !row->sig || row->siglen != 64) {
        s_mismatch (self, "journal %" PRId64 ": body or signature missing", row->id);
        return 0;
    }
    cchc_report_t report;
    int reason = cchc_report_open (row->pubkey, row->body, row->len, row->sig, &report);
    if (reason) {
        s_mismatch (self,
                    "journal %" PRId64 " (agent %" PRId64 ", seq %" PRId64 "): "
                    "%s with the enrolled key",
                    row->id, row->agent, row->seq,
                    reason == CCHC_REASON_BAD_SIGNATURE ? "signature does not verify"
                                                        : cchc_reason_name (reason));
        return 0;
    }
    int rc = 0;
    if (report.seq != (uint64_t) row->seq)
        s_mismatch (self,
                    "journal %" PRId64 ": row says seq %" PRId64
                    ", the signed message says %" PRIu64,
                    row->id, row->seq, report.seq);
    else
        for (uint32_t i = 0; i < report.nobs && rc == 0; i++)
            if (!s_refused (row->refused, i))
                rc = cchc_db_audit_expect (self->audit, row->agent, &report.obs [i], row->seq,
                                           row->id);
    cchc_report_clear (&report);
    return rc;
}

/*  Step 2, one stored observation row against the journal's value. */
static int
s_audit_stored_row (const cchc_db_audit_observation_t *row, void *arg)
{
    s_audit_t *self = arg;
    self->result->observations++;
    if (!row->expected)
        s_mismatch (self,
                    "observation agent %" PRId64 " %s %d = %s: no journal "
                    "row holds it",
                    row->agent, row->metric, (int) row->day, s_shown (&row->value).text);
    else if (!s_value_same (&row->value, &row->want) || row->seq != row->want_seq
             || row->journal != row->want_journal)
        s_mismatch (self,
                    "observation agent %" PRId64 " %s %d = %s (seq %lld, "
                    "journal %lld), but the journal says %s (seq %lld, journal %lld)",
                    row->agent, row->metric, (int) row->day, s_shown (&row->value).text,
                    (long long) row->seq, (long long) row->journal, s_shown (&row->want).text,
                    (long long) row->want_seq, (long long) row->want_journal);
    return 0;
}

/*  Step 3, one journal value with no observation row. */
static int
s_audit_missing_row (const cchc_db_audit_observation_t *row, void *arg)
{
    s_mismatch (arg,
                "observation agent %lld %s %d is missing: the journal "
                "says %s (seq %lld)",
                (long long) row->agent, row->metric, (int) row->day, s_shown (&row->want).text,
                (long long) row->want_seq);
    return 0;
}

/*  Step 4, one agent's counters against the journal. */
static int
s_audit_agent_row (const cchc_db_audit_agent_t *row, void *arg)
{
    if (row->accepted != row->messages || row->last_seq != row->seq_max)
        s_mismatch (arg,
                    "agent %lld: accepted %lld, last seq %lld, but the journal "
                    "holds %lld messages up to seq %lld",
                    (long long) row->agent, (long long) row->accepted,
                    (long long) row->last_seq, (long long) row->messages,
                    (long long) row->seq_max);
    return 0;
}

/*  1. Every journal row: signature, decoding, seq; expected values.
    2-4. Stored rows, missing rows, agent counters; 5. the roll-up's
    monthly summary against the observation rows.  0, or -1 on a database
    error. */
static int
s_audit_steps (s_audit_t *self)
{
    cchc_db_audit_t *audit = self->audit;
    if (cchc_db_audit_journal_each (audit, s_audit_row, self) != 0
        || cchc_db_audit_observations_each (audit, s_audit_stored_row, self) != 0
        || cchc_db_audit_missing_each (audit, s_audit_missing_row, self) != 0
        || cchc_db_audit_agents_each (audit, s_audit_agent_row, self) != 0)
        return -1;
    return cchc_db_audit_months_each (audit, s_audit_month_row, self);
}

int
cchc_audit_run (cchc_db_t *store, FILE *out, cchc_audit_result_t *result, char *err,
                size_t errlen)
{
    assert (store && out && result);
    memset (result, 0, sizeof *result);
    s_audit_t self = { out, result, cchc_db_audit_new (store) };
    int status = self.audit ? s_audit_steps (&self) : -1;
    if (status)
        snprintf (err, errlen, "database: %s", cchc_db_errmsg (store));
    cchc_db_audit_destroy (&self.audit);
    if (result->mismatches > AUDIT_PRINT_MAX)
        fprintf (out, "... %zu mismatches in all\n", result->mismatches);
    return status;
}
