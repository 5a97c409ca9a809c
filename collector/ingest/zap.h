/*  zap.h — the collector's ZAP handler (ZeroMQ RFC 27) for CurveZMQ: a
    thread answering on inproc://zeromq.zap.01 that admits a connection only
    when its client transport key is the X25519 form of an enrolled,
    non-revoked agent key (the shared key table).  Signatures stay checked
    on every message either way; this keeps strangers off the socket.
*/
#ifndef CCHC_ZAP_H
#define CCHC_ZAP_H

#include <stddef.h>

#include "collector/ingest/keytab.h"

typedef struct cchc_zap_t cchc_zap_t;

/*  Bind the handler (before any CURVE server socket binds) and start its
    thread.  NULL with err set. */
cchc_zap_t *cchc_zap_new (void *zmq_ctx, cchc_keytab_t *keytab, char *err, size_t errlen);

/*  Join the thread: call after the context was shut down.  Accepts NULL. */
void cchc_zap_destroy (cchc_zap_t **self_p);

#endif
