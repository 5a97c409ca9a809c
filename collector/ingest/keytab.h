/*  keytab.h — the collector's in-memory table of enrolled keys, shared by the
    verifier threads and the ZAP handler: read-mostly, looked up by Ed25519
    public key (report frame 0) or by CurveZMQ transport key (ZAP).  The main
    thread rebuilds it from the database whenever enrolment.version changes,
    so enrolments and revocations reach a running collector within one
    refresh interval.  Lookups copy the entry out under a read lock.
*/
#ifndef CCHC_KEYTAB_H
#define CCHC_KEYTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collector/db/db.h"

typedef struct {
    int64_t id;          /* agent.id */
    uint8_t pubkey [32]; /* Ed25519 */
    uint8_t curve [32];  /* X25519 form of pubkey (CurveZMQ) */
    bool curve_ok;       /* pubkey converted */
    char unit [CCHC_UNIT_MAX + 1];
    bool revoked;
} cchc_keytab_entry_t;

typedef struct cchc_keytab_t cchc_keytab_t;

cchc_keytab_t *cchc_keytab_new (void);
void cchc_keytab_destroy (cchc_keytab_t **self_p);

/*  Replace the contents with every agent of the database.  0 or -1 (the
    old contents stay). */
int cchc_keytab_load (cchc_keytab_t *self, cchc_db_t *store);

/*  Copy the entry of a key into *out.  False when not enrolled. */
bool cchc_keytab_lookup (cchc_keytab_t *self, const uint8_t pubkey [32],
                         cchc_keytab_entry_t *out);
bool cchc_keytab_lookup_curve (cchc_keytab_t *self, const uint8_t curve [32],
                               cchc_keytab_entry_t *out);

/*  Number of entries (revoked included). */
size_t cchc_keytab_size (cchc_keytab_t *self);

#endif
