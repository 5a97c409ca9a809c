/*  monitor.c — the ROUTER socket's monitor (monitor.h): a thread reading
    zmq_socket_monitor events, logging accept and handshake failures with
    the peer's address, and shedding the listen backlog when descriptors
    run out.
*/
#define _GNU_SOURCE /* accept4, pthread_setname_np */
#include "collector/ingest/monitor.h"

#include "common/log.h"
#include "common/text.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <zmq.h>

#define S_ENDPOINT "inproc://cchc-router-monitor"
#define S_EVENTS                                                            \
    (ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_ACCEPT_FAILED | ZMQ_EVENT_DISCONNECTED  \
     | ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL \
     | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
#define S_PEER_MAX 64
#define S_FD_TRACKED 65536 /* peers remembered for descriptors below this */
#define S_SHED_MAX 256     /* backlog connections shed per failed accept */

struct cchc_monitor_t {
    void *router;
    void *pair; /* the monitor's end */
    cchc_stats_t *stats;
    pthread_t thread;
    bool started;
    atomic_bool stop;
    int listener;               /* the ROUTER's listening descriptor, or -1 */
    int spare;                  /* a descriptor kept in reserve, or -1 */
    char (*peers) [S_PEER_MAX]; /* by descriptor: the peer ZeroMQ accepted */
    size_t npeers;
    uint16_t failed_event; /* a handshake failure waiting for its
                                   DISCONNECTED (which names the descriptor) */
    uint32_t failed_value;
};

static cchc_ratelimit_t s_rl_accept = CCHC_RATELIMIT_INIT (10000, 3);
static cchc_ratelimit_t s_rl_shed = CCHC_RATELIMIT_INIT (10000, 3);
static cchc_ratelimit_t s_rl_handshake = CCHC_RATELIMIT_INIT (10000, 10);

long
cchc_monitor_raise_fd_limit (void)
{
    struct rlimit rl;
    if (getrlimit (RLIMIT_NOFILE, &rl) != 0)
        return -1;
    rlim_t before = rl.rlim_cur;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit (RLIMIT_NOFILE, &rl) != 0)
            rl.rlim_cur = before;
    }
    long limit = rl.rlim_cur == RLIM_INFINITY ? -1 : (long) rl.rlim_cur;
    if (rl.rlim_cur != before)
        cchc_info ("descriptor limit raised from %ld to %ld", (long) before, limit);
    if (limit >= 0 && limit < 1024)
        cchc_warn ("descriptor limit is only %ld (ulimit -n; LimitNOFILE= in the unit): "
                   "about %ld connections at once, the rest wait or are shed",
                   limit, limit > 64 ? limit - 64 : 0);
    return limit;
}

/*  "10.0.0.7:51234" of a connected socket, "?" if unknown. */
static void
s_peer_of (int fd, char out [S_PEER_MAX])
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    snprintf (out, S_PEER_MAX, "?");
    if (getpeername (fd, (struct sockaddr *) &ss, &len) != 0)
        return;
    char ip [INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (ss.ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *) &ss;
        inet_ntop (AF_INET, &a->sin_addr, ip, sizeof ip);
        port = ntohs (a->sin_port);
    }
    else if (ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *) &ss;
        inet_ntop (AF_INET6, &a->sin6_addr, ip, sizeof ip);
        port = ntohs (a->sin6_port);
    }
    snprintf (out, S_PEER_MAX, "%s:%u", ip, port);
}

/*  The listening socket ZeroMQ bound for `router`: the descriptor that
    listens on the port of its last endpoint.  -1 when not found (not TCP,
    say); shedding is then off. */
static int
s_find_listener (void *router)
{
    char endpoint [256] = "";
    size_t size = sizeof endpoint;
    if (zmq_getsockopt (router, ZMQ_LAST_ENDPOINT, endpoint, &size) != 0
        || strncmp (endpoint, "tcp://", 6) != 0)
        return -1;
    const char *colon = strrchr (endpoint, ':');
    int64_t port;
    if (!colon || cchc_parse_int64 (colon + 1, 1, 65535, &port) != 0)
        return -1;
    struct rlimit rl;
    int top =
        getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536 ? (int) rl.rlim_cur : 65536;
    for (int fd = 0; fd < top; fd++) {
        int listening = 0;
        socklen_t len = sizeof listening;
        if (getsockopt (fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || !listening)
            continue;
        struct sockaddr_storage ss;
        socklen_t alen = sizeof ss;
        if (getsockname (fd, (struct sockaddr *) &ss, &alen) != 0)
            continue;
        unsigned p = ss.ss_family == AF_INET ? ntohs (((struct sockaddr_in *) &ss)->sin_port)
                     : ss.ss_family == AF_INET6
                         ? ntohs (((struct sockaddr_in6 *) &ss)->sin6_port)
                         : 0;
        if (p != (unsigned) port)
            continue;
        /*  Never wait in accept(): libzmq's listener is non-blocking (its
            accept takes EAGAIN in its stride); make sure of it. */
        int flags = fcntl (fd, F_GETFL);
        if (flags < 0 || (!(flags & O_NONBLOCK) && fcntl (fd, F_SETFL, flags | O_NONBLOCK)))
            return -1;
        return fd;
    }
    return -1;
}

/*  Out of descriptors: accept and close what waits in the backlog, with
    the reserve descriptor freed for it, so the listener is no longer
    readable and libzmq's I/O thread stops spinning. */
static void
s_shed (cchc_monitor_t *self)
{
    if (self->listener < 0)
        return;
    if (self->spare >= 0) {
        close (self->spare);
        self->spare = -1;
    }
    size_t shed = 0;
    char last [S_PEER_MAX] = "";
    while (shed < S_SHED_MAX) {
        struct pollfd pfd = { .fd = self->listener, .events = POLLIN };
        if (poll (&pfd, 1, 0) != 1)
            break;
        int fd = accept4 (self->listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            break;
        s_peer_of (fd, last);
        close (fd);
        shed++;
    }
    self->spare = open ("/dev/null", O_RDONLY | O_CLOEXEC);
    if (shed) {
        atomic_fetch_add_explicit (&self->stats->conn_shed, shed, memory_order_relaxed);
        cchc_log_limited (&s_rl_shed, CCHC_LOG_WARN,
                          "zmq: out of descriptors: closed "
                          "%zu connections waiting to be accepted (the last from %s)",
                          shed, last);
    }
}

static const char *
s_handshake_reason (uint16_t event, uint32_t value, char *buf, size_t size)
{
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
        snprintf (buf, size,
                  "authentication refused (ZAP status %u: not an enrolled "
                  "agent's key)",
                  (unsigned) value);
    else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)
        snprintf (buf, size, "protocol error %#x", (unsigned) value);
    else /* libzmq gives no reason here: the value is a stale errno */
        snprintf (buf, size,
                  "no complete handshake (idle past "
                  "collector.handshake_timeout, or it left early)");
    return buf;
}

static void
s_event (cchc_monitor_t *self, uint16_t event, uint32_t value, const char *endpoint)
{
    cchc_stats_t *stats = self->stats;
    switch (event) {
        case ZMQ_EVENT_ACCEPTED:
            if (value < S_FD_TRACKED) {
                if (value >= self->npeers) {
                    size_t want = value + 1 > 2 * self->npeers ? value + 1 : 2 * self->npeers;
                    void *p = realloc (self->peers, want * sizeof *self->peers);
                    if (!p)
                        break;
                    self->peers = p;
                    memset (self->peers + self->npeers, 0,
                            (want - self->npeers) * sizeof *self->peers);
                    self->npeers = want;
                }
                s_peer_of ((int) value, self->peers [value]);
            }
            break;
        case ZMQ_EVENT_ACCEPT_FAILED: {
            atomic_fetch_add_explicit (&stats->accept_failed, 1, memory_order_relaxed);
            int err = (int) value;
            cchc_log_limited (&s_rl_accept, CCHC_LOG_WARN,
                              "zmq: cannot accept a "
                              "connection on %s: %s",
                              endpoint, strerror (err));
            if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM)
                s_shed (self);
            break;
        }
        case ZMQ_EVENT_HANDSHAKE_SUCCEEDED: self->failed_event = 0; break;
        case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
        case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
        case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
            atomic_fetch_add_explicit (&stats->handshake_failed, 1, memory_order_relaxed);
            self->failed_event = event; /* logged at its DISCONNECTED */
            self->failed_value = value;
            break;
        case ZMQ_EVENT_DISCONNECTED: {
            const char *peer = value < self->npeers && self->peers [value][0]
                                   ? self->peers [value]
                                   : "an unknown peer";
            if (self->failed_event) {
                char reason [128];
                cchc_log_limited (&s_rl_handshake, CCHC_LOG_WARN,
                                  "zmq: handshake "
                                  "failed with %s: %s",
                                  peer,
                                  s_handshake_reason (self->failed_event, self->failed_value,
                                                      reason, sizeof reason));
                self->failed_event = 0;
            }
            if (value < self->npeers)
                self->peers [value][0] = 0;
            break;
        }
        default: break;
    }
}

static void *
s_run (void *arg)
{
    cchc_monitor_t *self = arg;
    pthread_setname_np (pthread_self (), "cchc-monitor");
    while (!atomic_load (&self->stop)) {
        zmq_pollitem_t item = { self->pair, 0, ZMQ_POLLIN, 0 };
        int rc = zmq_poll (&item, 1, 200);
        if (rc < 0 && errno != EINTR)
            break;
        if (rc <= 0)
            continue;
        zmq_msg_t head, addr;
        zmq_msg_init (&head);
        zmq_msg_init (&addr);
        if (zmq_msg_recv (&head, self->pair, ZMQ_DONTWAIT) == -1) {
            zmq_msg_close (&head);
            zmq_msg_close (&addr);
            continue;
        }
        bool more = zmq_msg_more (&head);
        if (more && zmq_msg_recv (&addr, self->pair, 0) != -1)
            more = zmq_msg_more (&addr);
        while (more) { /* never expected: keep in step */
            zmq_msg_t rest;
            zmq_msg_init (&rest);
            more = zmq_msg_recv (&rest, self->pair, 0) != -1 && zmq_msg_more (&rest);
            zmq_msg_close (&rest);
        }
        if (zmq_msg_size (&head) == 6) {
            const uint8_t *d = zmq_msg_data (&head);
            uint16_t event;
            uint32_t value;
            memcpy (&event, d, 2);
            memcpy (&value, d + 2, 4);
            char endpoint [256];
            size_t n = zmq_msg_size (&addr) < sizeof endpoint - 1 ? zmq_msg_size (&addr)
                                                                  : sizeof endpoint - 1;
            memcpy (endpoint, zmq_msg_data (&addr), n);
            endpoint [n] = 0;
            s_event (self, event, value, endpoint);
        }
        zmq_msg_close (&head);
        zmq_msg_close (&addr);
    }
    return NULL;
}

cchc_monitor_t *
cchc_monitor_new (void *ctx, void *router, cchc_stats_t *stats, char *err, size_t errlen)
{
    assert (ctx && router && stats);
    cchc_monitor_t *self = calloc (1, sizeof *self);
    if (!self) {
        cchc_errf (err, errlen, "out of memory");
        return NULL;
    }
    self->router = router;
    self->stats = stats;
    self->spare = open ("/dev/null", O_RDONLY | O_CLOEXEC);
    self->listener = s_find_listener (router);
    if (self->listener < 0)
        cchc_info ("zmq: the listening socket was not found: no backlog shedding "
                   "when descriptors run out");
    if (zmq_socket_monitor (router, S_ENDPOINT, S_EVENTS) != 0
        || !(self->pair = zmq_socket (ctx, ZMQ_PAIR))
        || zmq_connect (self->pair, S_ENDPOINT) != 0) {
        cchc_errf (err, errlen, "socket monitor: %s", zmq_strerror (errno));
        cchc_monitor_destroy (&self);
        return NULL;
    }
    int linger = 0;
    zmq_setsockopt (self->pair, ZMQ_LINGER, &linger, sizeof linger);
    if (pthread_create (&self->thread, NULL, s_run, self)) {
        cchc_errf (err, errlen, "cannot start the monitor thread");
        cchc_monitor_destroy (&self);
        return NULL;
    }
    self->started = true;
    return self;
}

void
cchc_monitor_destroy (cchc_monitor_t **self_p)
{
    assert (self_p);
    cchc_monitor_t *self = *self_p;
    if (!self)
        return;
    *self_p = NULL;
    zmq_socket_monitor (self->router, NULL, 0); /* no more events */
    if (self->started) {
        atomic_store (&self->stop, true);
        pthread_join (self->thread, NULL);
    }
    if (self->pair)
        zmq_close (self->pair);
    if (self->spare >= 0)
        close (self->spare);
    free (self->peers);
    free (self);
}
