/*  upstream.h — a provincial collector sending its final period figures to
    the national collector (PROTOCOL.md §15; docs/national.md).

    What is sent: every period whose figures are locked (collector/periods.h),
    as one *version* per lock — version 1 at the first lock, version n after
    the (n-1)-th reopen and relock (the number of "locked" events of the
    period).  The figures are the stored snapshot, restored exactly: every
    unit's index, points and indicator results, the province figures per
    level, the catalogue's identity (SHA-256 of its text, plan year), the
    units structure, the journal position covered and the lock time.

    How: the agent's durable outbox and sender (agent/outbox.h, sender.h),
    linked as one library.  A scan (cchc_upstream_queue) turns each locked
    version not yet queued into its parts (as many units per part as fit in
    64 KiB) and freezes them with one outbox transaction that also records
    "figures:PERIOD" = version in the outbox's state: a version is queued
    exactly once, whatever crashes in between.  The sender then resends the
    frozen bytes until the national collector's signed ack (pinned key)
    arrives, however long it is away.

    Outbox file: upstream.outbox = STATE_DIR/upstream.outbox by default.
*/
#ifndef CCHC_UPSTREAM_H
#define CCHC_UPSTREAM_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/outbox.h"
#include "common/key.h"

/*  Queue every locked version of the province database `db` not yet in the
    outbox, signed with `key` for province `code` ("" or NULL: the unit of
    level tinh of the unit table).  *versions gets how many versions were
    queued, *messages how many messages (parts).  0, or -1 with err (what
    was queued before the failure stays queued). */
int cchc_upstream_queue (sqlite3 *db, cchc_outbox_t *outbox, const cchc_key_t *key,
                         const char *code, int64_t now_ms, size_t *versions, size_t *messages,
                         char *err, size_t errlen);

typedef struct cchc_upstream_t cchc_upstream_t;

typedef struct {
    const char *db_path;      /* the province database (read-only use) */
    const char *outbox_path;  /* created when missing */
    const char *endpoint;     /* the national ROUTER */
    uint8_t national_pk [32]; /* pinned */
    bool curve;
    const char *province;       /* "" or NULL: from the unit table */
    int64_t interval_ms;        /* scan interval */
    int64_t request_timeout_ms; /* 0: 10 s */
    int64_t backoff_max_ms;     /* 0: 5 min */
} cchc_upstream_config_t;

/*  Open the outbox, copy the key (borrowed only during the call).  NULL with
    err. */
cchc_upstream_t *cchc_upstream_new (void *zmq_ctx, const cchc_upstream_config_t *conf,
                                    const cchc_key_t *key, char *err, size_t errlen);

/*  Start the thread: scan every interval, send, take acks.  0 or -1. */
int cchc_upstream_start (cchc_upstream_t *self, char *err, size_t errlen);

/*  Stop the thread (nothing in flight is lost: the outbox keeps it), close.
    Accepts NULL. */
void cchc_upstream_destroy (cchc_upstream_t **self_p);

/*  The SHA-256 identity of a catalogue's text (hex in out[65]). */
void cchc_upstream_catalogue_hash (const char *text, size_t len, uint8_t hash [32]);

#endif
