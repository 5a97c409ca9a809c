/*  monitor.h — watching the collector's ROUTER socket (zmq_socket_monitor)
    for what ZeroMQ would otherwise do silently: connections it cannot
    accept (out of descriptors) and handshakes that fail (CurveZMQ refused,
    a peer that connects and says nothing past ZMQ_HANDSHAKE_IVL, garbage
    instead of a greeting).  Each is counted and logged, rate-limited, with
    the peer's address.

    When accept() fails for want of descriptors, libzmq's listener stays
    readable and its I/O thread spins on it (99 % CPU, nothing served).  The
    monitor then sheds the connections waiting in the listen backlog: with
    one descriptor kept in reserve it accepts and closes them at once, so
    the listener goes quiet and the peers see a closed connection (an agent
    reconnects by itself); connections ZeroMQ did accept are closed by the
    handshake timeout, which frees descriptors for the next ones.

        cchc_monitor_t *mon = cchc_monitor_new (ctx, router, stats, err, n);
        ...
        cchc_monitor_destroy (&mon);       (before zmq_close (router))
*/
#ifndef CCHC_MONITOR_H
#define CCHC_MONITOR_H

#include "collector/ingest/stats.h"

#include <stddef.h>

typedef struct cchc_monitor_t cchc_monitor_t;

/*  Start watching `router` (bound already: its listening descriptor is
    found then).  NULL with the reason in err. */
cchc_monitor_t *cchc_monitor_new (void *ctx, void *router, cchc_stats_t *stats, char *err,
                                  size_t errlen);

/*  Stop watching and free everything.  Accepts NULL; sets *self_p = NULL. */
void cchc_monitor_destroy (cchc_monitor_t **self_p);

/*  Raise the soft descriptor limit to the hard one; logs what it is now and
    warns when it is small.  Returns the limit in effect. */
long cchc_monitor_raise_fd_limit (void);

#endif
