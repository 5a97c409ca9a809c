/*  outbox.h — the agent's durable outbox: a SQLite file (WAL,
    synchronous=FULL) that every observation enters before anything is sent,
    and that an observation leaves only when the collector's signed ack for
    the message holding it arrives.

    Life of an observation:

      source / submit --observe--> pending  (only when the value differs from
                                             the last one queued for its
                                             (metric, day): `latest`)
      pending --freeze--> message           (one transaction: seq taken from
                                             the persisted counter, body
                                             encoded and signed, counter
                                             advanced; the stored bytes are
                                             what is sent, every time)
      message --ack accepted/duplicate--> gone (per-observation refusals in
                                             the ack go to dead letters)
      message --ack rejected--> dead letters (never retried)

    Tables (PRAGMA user_version = 2; a version-1 outbox gains `aside` when
    opened):

      meta         key TEXT PK, value INTEGER     next_seq, first_seq; caps,
                                                  caps_refused_at (revision
                                                  1.2 announcement, below)
      latest       metric, day, value             last value queued per
                                                  (metric, day); day = yyyymmdd
      pending      id PK, metric, day, value,     observations not yet in a
                   queued_at                      message; UNIQUE (metric, day)
      message      seq PK, created_at, body,      frozen messages, byte-identical
                   sig, nobs, oldest_at           on every send
      dead         id PK, at, seq, metric, day,   permanently refused or dropped
                   value, status, reason, detail  observations
      state        key TEXT PK, value             daemon status for `status`
      aside        seq PK, at, reason, created_at, damaged messages, kept as found
                   nobs, body, sig                (v2); never sent
      source_state name PK, last_run, last_ok,    per source
                   last_error, last_error_at,
                   runs, obs_total

    Times are UTC ms.  The first seq of a new outbox is the creation time in
    microseconds, so an outbox re-created from scratch never reuses a seq an
    earlier one sent (the collector would answer "duplicate" and drop the data,
    and an older seq would lose to newer ones on last-writer-wins).

    Opening checks the file: one that exists with 0 bytes (truncated) is
    refused, never re-created empty, and PRAGMA quick_check must pass;
    the error says what the operator can do.

    Several processes may open the same outbox (the daemon and `submit`):
    writes take the lock up front (BEGIN IMMEDIATE) and wait up to the busy
    timeout.
*/
#ifndef CCHC_AGENT_OUTBOX_H
#define CCHC_AGENT_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/proto.h"

typedef struct cchc_outbox_t cchc_outbox_t;

/*  Open (and with `create`, create) the outbox at path.  NULL with err set. */
cchc_outbox_t *cchc_outbox_open (const char *path, bool create, char *err, size_t errlen);
void cchc_outbox_destroy (cchc_outbox_t **self_p);

/*  Queue observations in one transaction: each whose value differs from the
    last one queued for its (metric, date) goes to pending (replacing a still
    pending value for the same pair) and becomes the remembered value.
    Observations are validated (metric code, finite value); an invalid one
    fails the whole call.  *queued (may be NULL) gets how many were queued.
    Returns 0 or -1 (nothing queued). */
int cchc_outbox_observe (cchc_outbox_t *self, const cchc_obs_t *obs, size_t n, int64_t now_ms,
                         size_t *queued, char *err, size_t errlen);

/*  Freeze up to max_obs pending observations (oldest first) into one message
    signed with `key` for `unit`.  Returns 1 (a message was made, *seq set),
    0 (nothing pending) or -1.  Seq assignment, the stored message and the
    removal from pending are one transaction. */
int cchc_outbox_freeze (cchc_outbox_t *self, const cchc_key_t *key, const char *unit,
                        size_t max_obs, int64_t now_ms, uint64_t *seq, char *err,
                        size_t errlen);

/*  Messages of another kind than a report (proto/figures.h: a province's
    figures for the national collector), built by the caller with the seq
    the outbox gives them.  `build` is called for index 0..count-1 with
    consecutive seqs from the counter; it fills *body (malloc'd; the outbox
    frees it) and sig, and returns 0 or -1 (err set: nothing is stored). */
typedef int (*cchc_outbox_build_fn) (void *arg, size_t index, uint64_t seq, uint8_t **body,
                                     size_t *len, uint8_t sig [CCHC_KEY_SIGNATURE_BYTES],
                                     char *err, size_t errlen);

/*  Freeze `count` messages from `build` and set the state `state_key` to
    `state_value` (both may be NULL), in one transaction: either all the
    messages are stored and the state says so, or nothing is.  They carry no
    observations (nobs 0): sent and acknowledged like reports; an ack
    "rejected" moves each to dead letters as one entry (metric "message",
    detail naming the reason).  *first_seq (may be NULL) gets the first
    seq.  Returns 0 or -1. */
int cchc_outbox_put (cchc_outbox_t *self, size_t count, cchc_outbox_build_fn build, void *arg,
                     const char *state_key, const char *state_value, int64_t now_ms,
                     uint64_t *first_seq, char *err, size_t errlen);

/*  A frozen message as stored. */
typedef struct {
    uint64_t seq;
    uint8_t *body; /* malloc'd; freed by _msg_clear */
    size_t len;
    uint8_t sig [CCHC_KEY_SIGNATURE_BYTES];
    uint32_t nobs;
    int64_t created_ms;
    int64_t oldest_ms;       /* queued time of its oldest observation */
    uint32_t set_aside;      /* damaged rows set aside on the way (any rc) */
    uint64_t aside_seq;      /* the first of them, */
    char aside_reason [128]; /* and why */
} cchc_outbox_msg_t;

/*  The message with the smallest seq > after that can be sent.  A damaged
    row on the way (empty body, wrong signature length, a body that does
    not decode, holds another seq or does not verify with its agent key) is
    moved to `aside` with its reason, counted in msg->set_aside, and
    skipped.  Returns 1 (found), 0 (none) or -1. */
int cchc_outbox_next (cchc_outbox_t *self, uint64_t after, cchc_outbox_msg_t *msg, char *err,
                      size_t errlen);
void cchc_outbox_msg_clear (cchc_outbox_msg_t *msg);

/*  What an ack did. */
typedef enum {
    CCHC_OUTBOX_ACK_UNKNOWN = 0,   /* no message with that seq (already gone) */
    CCHC_OUTBOX_ACK_DELIVERED = 1, /* accepted or duplicate: removed */
    CCHC_OUTBOX_ACK_DEAD = 2,      /* rejected: moved to dead letters */
    CCHC_OUTBOX_ACK_RETRY = 3,     /* retry_later: kept */
    CCHC_OUTBOX_ACK_IGNORED = 4,   /* seq 0 or unknown status: kept */
    CCHC_OUTBOX_ACK_REQUEUED = 5   /* retry_later future_timestamp, and our
                                       clock now agrees with the collector's:
                                       the message (frozen while our clock
                                       was ahead) is dropped and its
                                       observations are pending again */
} cchc_outbox_ack_outcome_t;

/*  Apply an ack the caller has opened and checked (signature by the pinned
    collector key, "agent" is ours).  *dead gets how many observations went
    to dead letters (rejected message, or refusals inside an accepted one).
    Returns 0 (with *outcome) or -1. */
int cchc_outbox_ack (cchc_outbox_t *self, const cchc_ack_t *ack, int64_t now_ms,
                     cchc_outbox_ack_outcome_t *outcome, uint32_t *dead, char *err,
                     size_t errlen);

/*  The same for n acks in one transaction (one disk sync): outcomes[i] and
    dead[i] for acks[i].  Returns 0, or -1 (nothing applied). */
int cchc_outbox_ack_many (cchc_outbox_t *self, const cchc_ack_t *acks, size_t n,
                          int64_t now_ms, cchc_outbox_ack_outcome_t *outcomes, uint32_t *dead,
                          char *err, size_t errlen);

/*  Protocol revision 1.2 (PROTOCOL.md §13): reports announce `caps`
    (CCHC_CAP_HIGH) so that the collector's ack carries `high`, its highest
    seq from our key; an ack with `high` at or above our counter moves the
    counter above it, and an observation answered `superseded` that is
    still our value is then sent again under a new seq (it will count)
    instead of becoming a dead letter.  A collector older than 1.2 answers
    a report with `caps` by a seq-0 unknown_field ack (nothing stored):
    then this records the refusal (meta caps = 0, caps_refused_at = now:
    reports go without `caps` for a day, then the announcement is tried
    again) and puts the observations of every message frozen with `caps`
    back to pending, so they leave again without it, under new seqs.
    *requeued (may be NULL) gets the number of messages dropped.  0 or -1. */
int cchc_outbox_caps_refused (cchc_outbox_t *self, int64_t now_ms, int64_t *requeued,
                              char *err, size_t errlen);

typedef struct {
    int64_t pending;     /* observations waiting for a message */
    int64_t messages;    /* frozen, not yet acknowledged */
    int64_t message_obs; /* observations inside those messages */
    int64_t oldest_ms;   /* queued time of the oldest undelivered; 0: none */
    int64_t dead;        /* dead letters */
    uint64_t next_seq;
    int64_t aside; /* damaged messages set aside */
} cchc_outbox_stats_t;

int cchc_outbox_stats (cchc_outbox_t *self, cchc_outbox_stats_t *stats, char *err,
                       size_t errlen);

/*  Enforce the drop limits (0 = no limit): while more than max_messages
    messages are waiting, or entries older than max_age_ms exist, move the
    oldest to dead letters with detail "dropped: outbox limit".  *dropped gets
    the number of observations dropped.  Returns 0 or -1. */
int cchc_outbox_enforce (cchc_outbox_t *self, int64_t max_messages, int64_t max_age_ms,
                         int64_t now_ms, int64_t *dropped, char *err, size_t errlen);

/*  A dead letter. */
typedef struct {
    int64_t id;
    int64_t at_ms;
    uint64_t seq; /* message it was in; 0 if never frozen */
    char metric [CCHC_METRIC_MAX + 1];
    int day; /* yyyymmdd */
    bool is_float;
    int64_t ival;
    double fval;
    int status; /* cchc_status_t of the ack, -1 if dropped locally */
    int reason; /* cchc_reason_t */
    char detail [128];
} cchc_outbox_dead_t;

typedef int (*cchc_outbox_dead_fn) (void *arg, const cchc_outbox_dead_t *dead);

/*  Call fn for every dead letter, oldest first (fn returning non-zero stops).
    Returns 0 or -1. */
int cchc_outbox_dead_each (cchc_outbox_t *self, cchc_outbox_dead_fn fn, void *arg, char *err,
                           size_t errlen);

/*  A damaged message set aside (kept as found, never sent). */
typedef struct {
    uint64_t seq;
    int64_t at_ms; /* when it was set aside */
    char reason [128];
    int64_t nobs; /* observations it claimed to hold */
    int64_t body_len;
} cchc_outbox_aside_t;

typedef int (*cchc_outbox_aside_fn) (void *arg, const cchc_outbox_aside_t *aside);
int cchc_outbox_aside_each (cchc_outbox_t *self, cchc_outbox_aside_fn fn, void *arg, char *err,
                            size_t errlen);

/*  Remove every dead letter (after the operator has dealt with them).
    With `requeue`, their observations are first queued again (as new values:
    they will be sent under new seqs).  Without `requeue`, the set-aside
    messages are removed too.  *count gets how many rows went.  Returns 0
    or -1. */
int cchc_outbox_dead_clear (cchc_outbox_t *self, bool requeue, int64_t now_ms, int64_t *count,
                            char *err, size_t errlen);

/*  Daemon state, text values by key ("endpoint", "last_ack", ...).
    set returns 0 or -1; get returns 1 (found), 0 (absent) or -1. */
int cchc_outbox_state_set (cchc_outbox_t *self, const char *key, const char *value);
/*  Several at once, in one transaction.  Returns 0 or -1. */
int cchc_outbox_state_put (cchc_outbox_t *self, const char *const *keys,
                           const char *const *values, size_t n);
int cchc_outbox_state_get (cchc_outbox_t *self, const char *key, char *value, size_t size);

/*  Record one run of a source: ok (clears nothing: last_error stays for
    history but last_ok moves past it) or failed with error text. */
int cchc_outbox_source_report (cchc_outbox_t *self, const char *name, bool ok,
                               const char *error, int64_t nobs, int64_t now_ms);

typedef struct {
    char name [64];
    int64_t last_run_ms;
    int64_t last_ok_ms;    /* 0: never */
    int64_t last_error_ms; /* 0: never */
    char last_error [512];
    int64_t runs;
    int64_t obs_total;
} cchc_outbox_source_t;

/*  Daemon state and runs of sources, in one transaction (one disk sync).
    For each source (only those with runs > 0 are written), runs and
    obs_total are added to the stored counters and last_run / last_ok /
    last_error_at (with last_error) replace the stored ones when > 0.
    Returns 0 or -1 (nothing written). */
int cchc_outbox_state_save (cchc_outbox_t *self, const char *const *keys,
                            const char *const *values, size_t n,
                            const cchc_outbox_source_t *sources, size_t nsources);

typedef int (*cchc_outbox_source_fn) (void *arg, const cchc_outbox_source_t *src);
int cchc_outbox_source_each (cchc_outbox_t *self, cchc_outbox_source_fn fn, void *arg,
                             char *err, size_t errlen);

#endif
