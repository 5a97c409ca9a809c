/*  http.c — the collector's read-only web server (http.h) on libmicrohttpd:
    binding rules, the access token, GET/HEAD only, the embedded dashboard
    files, the JSON API and exports of api.c, and the bounds on slow and
    greedy clients (connection limits, request deadlines, their watchdog).
*/
#include "collector/http/http.h"
#include "collector/http/api.h"
#include "common/log.h"
#include "common/text.h"
#include "web/assets.h"

#include "common/clock.h"

#include <arpa/inet.h>
#include <assert.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <pthread.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define S_TOKEN_MIN 16
#define S_CSP                                                         \
    "default-src 'self'; img-src 'self' data:; style-src 'self'; "    \
    "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; " \
    "base-uri 'none'; form-action 'none'"

#define S_ANSWER_MAX_MS 60000 /* an answer must be delivered within this */
#define S_WATCH_MS 250        /* how often the watchdog looks */

/*  One open connection, from MHD's "started" notification to "closed".  The
    watchdog shuts down its socket when `deadline` passes: through a
    duplicate of MHD's descriptor, ours until "closed", so it can never hit
    a descriptor number MHD has closed and reused. */
typedef struct s_conn_t {
    struct s_conn_t *prev, *next;
    int fd; /* dup of the connection's socket, or -1 */
    char peer [INET6_ADDRSTRLEN + 1];
    int64_t deadline; /* monotonic ms */
    bool answering;   /* headers in, the answer under way */
    bool cut;         /* shut down by the watchdog */
} s_conn_t;

struct cchc_http_t {
    struct MHD_Daemon *daemon;
    cchc_api_t *api;
    bool has_token;
    uint8_t token_hash [crypto_generichash_BYTES];
    int port;

    /*  Connection bounds (http.h) and the watchdog. */
    int max_connections, max_per_peer;
    int64_t request_timeout_ms;
    pthread_mutex_t lock; /* guards everything below */
    pthread_cond_t wake;
    s_conn_t *conns;
    size_t nconns;
    bool stopping;
    pthread_t watchdog;
    bool watchdog_started;
};

int
cchc_http_address_is_loopback (const char *address)
{
    if (!address)
        return 0;
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton (AF_INET, address, &a4) == 1)
        return (ntohl (a4.s_addr) >> 24) == 127;
    if (inet_pton (AF_INET6, address, &a6) == 1) {
        if (IN6_IS_ADDR_LOOPBACK (&a6))
            return 1;
        if (IN6_IS_ADDR_V4MAPPED (&a6))
            return a6.s6_addr [12] == 127;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/*  Requests */

static void
s_add_common_headers (struct MHD_Response *resp)
{
    MHD_add_response_header (resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header (resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header (resp, "X-Frame-Options", "DENY");
    MHD_add_response_header (resp, "Content-Security-Policy", S_CSP);
}

static enum MHD_Result
s_send_reply (cchc_http_t *self, struct MHD_Connection *conn, cchc_api_reply_t *reply)
{
    struct MHD_Response *resp;
    if (reply->status == 304 || !reply->body || reply->size == 0) {
        resp = MHD_create_response_from_buffer (0, (void *) "", MHD_RESPMEM_PERSISTENT);
        cchc_api_reply_release (reply);
    }
    else if (reply->release) {
        resp = MHD_create_response_from_buffer_with_free_callback_cls (
            reply->size, (void *) (uintptr_t) reply->body, reply->release, reply->release_arg);
        if (!resp)
            cchc_api_reply_release (reply);
        reply->release = NULL; /* MHD owns it now */
    }
    else
        resp = MHD_create_response_from_buffer (reply->size, (void *) reply->body,
                                                MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    s_add_common_headers (resp);
    if (reply->status != 304 && reply->content_type)
        MHD_add_response_header (resp, MHD_HTTP_HEADER_CONTENT_TYPE, reply->content_type);
    if (reply->etag [0])
        MHD_add_response_header (resp, MHD_HTTP_HEADER_ETAG, reply->etag);
    if (reply->cache_control [0])
        MHD_add_response_header (resp, MHD_HTTP_HEADER_CACHE_CONTROL, reply->cache_control);
    if (reply->disposition [0])
        MHD_add_response_header (resp, "Content-Disposition", reply->disposition);
    if (reply->status == 401)
        MHD_add_response_header (resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                 "Bearer realm=\"cchc\"");
    if (reply->status == 405)
        MHD_add_response_header (resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    enum MHD_Result rc = MHD_queue_response (conn, (unsigned) reply->status, resp);
    MHD_destroy_response (resp);
    cchc_api_count (self->api, reply->status);
    return rc;
}

static enum MHD_Result
s_send_error (cchc_http_t *self, struct MHD_Connection *conn, int status, const char *message)
{
    cchc_api_reply_t reply;
    memset (&reply, 0, sizeof reply);
    cchc_api_reply_error (&reply, status, message);
    return s_send_reply (self, conn, &reply);
}

static const char *
s_param (void *arg, const char *name)
{
    return MHD_lookup_connection_value ((struct MHD_Connection *) arg, MHD_GET_ARGUMENT_KIND,
                                        name);
}

/*  An address as text ("10.0.0.7", "::1"), "?" if unknown. */
static void
s_addr_text (const struct sockaddr *sa, char *buf, size_t size)
{
    snprintf (buf, size, "?");
    if (!sa)
        return;
    if (sa->sa_family == AF_INET)
        inet_ntop (AF_INET, &((const struct sockaddr_in *) sa)->sin_addr, buf,
                   (socklen_t) size);
    else if (sa->sa_family == AF_INET6)
        inet_ntop (AF_INET6, &((const struct sockaddr_in6 *) sa)->sin6_addr, buf,
                   (socklen_t) size);
}

/*  The client's address of a connection. */
static void
s_peer (struct MHD_Connection *conn, char *buf, size_t size)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info (conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    s_addr_text (info ? info->client_addr : NULL, buf, size);
}

/* ------------------------------------------------------------------------ */
/*  Slow and greedy clients */

static cchc_ratelimit_t s_rl_refused = CCHC_RATELIMIT_INIT (60000, 10);
static cchc_ratelimit_t s_rl_cut = CCHC_RATELIMIT_INIT (60000, 10);

/*  MHD's accept policy: refuse a connection past the limits, naming the
    peer (MHD's own limits, a margin above, only back this up).  A
    connection counts once it has started (s_notify), so accepts on the
    pool's threads at the same instant may each let one more in: a peer can
    hold up to max_per_peer + threads - 1, and MHD's per-address limit
    (max_per_peer + 4) is the hard bound. */
static enum MHD_Result
s_accept (void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    (void) addrlen;
    cchc_http_t *self = cls;
    char peer [INET6_ADDRSTRLEN + 1];
    s_addr_text (addr, peer, sizeof peer);
    size_t same = 0, all;
    pthread_mutex_lock (&self->lock);
    all = self->nconns;
    for (const s_conn_t *c = self->conns; c; c = c->next)
        same += strcmp (c->peer, peer) == 0;
    pthread_mutex_unlock (&self->lock);
    if (same >= (size_t) self->max_per_peer) {
        cchc_log_limited (&s_rl_refused, CCHC_LOG_WARN,
                          "http: refused a connection "
                          "from %s: %zu open from it already (http.max_per_peer)",
                          peer, same);
        return MHD_NO;
    }
    if (all >= (size_t) self->max_connections) {
        cchc_log_limited (&s_rl_refused, CCHC_LOG_WARN,
                          "http: refused a connection "
                          "from %s: %zu open in all (http.max_connections)",
                          peer, all);
        return MHD_NO;
    }
    return MHD_YES;
}

/*  MHD: a connection started or closed. */
static void
s_notify (void *cls, struct MHD_Connection *conn, void **socket_context,
          enum MHD_ConnectionNotificationCode toe)
{
    cchc_http_t *self = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        s_conn_t *c = calloc (1, sizeof *c);
        if (!c)
            return; /* then only MHD's idle timeout bounds it */
        const union MHD_ConnectionInfo *info =
            MHD_get_connection_info (conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        c->fd = info ? fcntl (info->connect_fd, F_DUPFD_CLOEXEC, 0) : -1;
        s_peer (conn, c->peer, sizeof c->peer);
        pthread_mutex_lock (&self->lock);
        c->deadline = cchc_clock_mono_ms () + self->request_timeout_ms;
        c->next = self->conns;
        if (self->conns)
            self->conns->prev = c;
        self->conns = c;
        self->nconns++;
        pthread_mutex_unlock (&self->lock);
        *socket_context = c;
    }
    else if (toe == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context) {
        s_conn_t *c = *socket_context;
        *socket_context = NULL;
        pthread_mutex_lock (&self->lock);
        if (c->prev)
            c->prev->next = c->next;
        else
            self->conns = c->next;
        if (c->next)
            c->next->prev = c->prev;
        self->nconns--;
        pthread_mutex_unlock (&self->lock);
        if (c->fd >= 0)
            close (c->fd);
        free (c);
    }
}

/*  The request's headers are in (answering) or its answer is done (not):
    the connection's next deadline. */
static void
s_conn_phase (cchc_http_t *self, struct MHD_Connection *conn, bool answering)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info (conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    s_conn_t *c = info ? info->socket_context : NULL;
    if (!c)
        return;
    pthread_mutex_lock (&self->lock);
    c->answering = answering;
    c->deadline =
        cchc_clock_mono_ms () + (answering ? S_ANSWER_MAX_MS : self->request_timeout_ms);
    pthread_mutex_unlock (&self->lock);
}

static void
s_completed (void *cls, struct MHD_Connection *conn, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
    (void) con_cls;
    (void) toe;
    s_conn_phase (cls, conn, false);
}

/*  The watchdog: shut down the socket of every connection past its
    deadline; MHD then sees the end of the stream and closes it. */
static void *
s_watchdog_run (void *arg)
{
    cchc_http_t *self = arg;
    pthread_mutex_lock (&self->lock);
    while (!self->stopping) {
        struct timespec until;
        clock_gettime (CLOCK_REALTIME, &until);
        until.tv_nsec += S_WATCH_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait (&self->wake, &self->lock, &until);
        int64_t now = cchc_clock_mono_ms ();
        for (s_conn_t *c = self->conns; c && !self->stopping; c = c->next) {
            if (c->cut || c->fd < 0 || now < c->deadline)
                continue;
            shutdown (c->fd, SHUT_RDWR);
            c->cut = true;
            cchc_log_limited (&s_rl_cut, CCHC_LOG_WARN,
                              "http: closed a connection "
                              "from %s: %s",
                              c->peer,
                              c->answering
                                  ? "its answer was not taken within 60 s"
                                  : "no complete request within http.request_timeout");
        }
    }
    pthread_mutex_unlock (&self->lock);
    return NULL;
}

/*  True when the request carries the token (or none is needed).  A wrong
    token is logged with the client's address (rate-limited; never the
    token itself); a missing one is not: the dashboard's first load asks
    without one. */
static bool
s_authorised (cchc_http_t *self, struct MHD_Connection *conn)
{
    if (!self->has_token)
        return true;
    const char *given = NULL;
    const char *auth =
        MHD_lookup_connection_value (conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (auth && strncasecmp (auth, "Bearer ", 7) == 0)
        given = auth + 7;
    if (!given)
        given = MHD_lookup_connection_value (conn, MHD_GET_ARGUMENT_KIND, "token");
    if (!given)
        return false;
    uint8_t hash [crypto_generichash_BYTES];
    crypto_generichash (hash, sizeof hash, (const uint8_t *) given, strlen (given), NULL, 0);
    if (sodium_memcmp (hash, self->token_hash, sizeof hash) == 0)
        return true;
    static cchc_ratelimit_t rl = CCHC_RATELIMIT_INIT (60000, 10);
    char peer [INET6_ADDRSTRLEN + 1];
    s_peer (conn, peer, sizeof peer);
    cchc_log_limited (&rl, CCHC_LOG_WARN, "http: wrong access token from %s", peer);
    return false;
}

static enum MHD_Result
s_send_asset (cchc_http_t *self, struct MHD_Connection *conn, const cchc_web_asset_t *a)
{
    const char *inm =
        MHD_lookup_connection_value (conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
    bool fresh = inm && strstr (inm, a->etag);
    struct MHD_Response *resp =
        fresh ? MHD_create_response_from_buffer (0, (void *) "", MHD_RESPMEM_PERSISTENT)
              : MHD_create_response_from_buffer (a->size, (void *) a->data,
                                                 MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return MHD_NO;
    s_add_common_headers (resp);
    if (!fresh)
        MHD_add_response_header (resp, MHD_HTTP_HEADER_CONTENT_TYPE, a->content_type);
    MHD_add_response_header (resp, MHD_HTTP_HEADER_ETAG, a->etag);
    MHD_add_response_header (resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    int status = fresh ? 304 : 200;
    enum MHD_Result rc = MHD_queue_response (conn, (unsigned) status, resp);
    MHD_destroy_response (resp);
    cchc_api_count (self->api, status);
    return rc;
}

static enum MHD_Result
s_handler (void *cls, struct MHD_Connection *conn, const char *url, const char *method,
           const char *version, const char *upload_data, size_t *upload_data_size,
           void **con_cls)
{
    (void) version;
    (void) upload_data;
    cchc_http_t *self = cls;
    static int first_call_seen;
    if (*con_cls == NULL)
        s_conn_phase (self, conn, true); /* the headers are in */
    if (strcmp (method, MHD_HTTP_METHOD_GET) != 0
        && strcmp (method, MHD_HTTP_METHOD_HEAD) != 0)
        /* answered on the first call: MHD discards any body and closes */
        return s_send_error (self, conn, 405,
                             "method not allowed: this server is read-only (GET, HEAD)");
    if (*con_cls == NULL) {
        /* MHD calls the handler first with the headers only; answering then
           would close the connection, so keep-alive waits for the second call */
        *con_cls = &first_call_seen;
        return MHD_YES;
    }
    if (*upload_data_size != 0) {
        *upload_data_size = 0; /* a GET with a body: ignore it */
        return MHD_YES;
    }
    if (!url || !cchc_utf8_valid (url, strlen (url)))
        return s_send_error (self, conn, 400, "bad URL");

    const cchc_web_asset_t *asset = cchc_web_asset_find (url);
    if (asset)
        return s_send_asset (self, conn, asset);
    bool api = strncmp (url, "/api/", 5) == 0;
    bool export = strncmp (url, "/export/", 8) == 0;
    if (!api && !export)
        return s_send_error (self, conn, 404, "not found");
    if (!s_authorised (self, conn))
        return s_send_error (self, conn, 401,
                             "access token required: send "
                             "\"Authorization: Bearer TOKEN\" or ?token=TOKEN");
    cchc_api_reply_t reply;
    const char *inm =
        MHD_lookup_connection_value (conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
    cchc_api_handle (self->api, url, s_param, conn, inm, &reply);
    return s_send_reply (self, conn, &reply);
}

static void
s_mhd_log (void *cls, const char *fmt, va_list ap)
{
    (void) cls;
    char line [512];
    vsnprintf (line, sizeof line, fmt, ap);
    size_t n = strlen (line);
    while (n > 0 && (line [n - 1] == '\n' || line [n - 1] == '\r'))
        line [--n] = '\0';
    static cchc_ratelimit_t rl = CCHC_RATELIMIT_INIT (60000, 10);
    cchc_log_limited (&rl, CCHC_LOG_WARN, "http: %s", line);
}

/* ------------------------------------------------------------------------ */
/*  Life cycle */

/*  The address to listen on, as a socket address for `port`.  0, or -1 when
    it is not an IPv4 or IPv6 literal. */
static int
s_listen_address (const char *address, int port, struct sockaddr_in *sin,
                  struct sockaddr_in6 *sin6, bool *v6, char *err, size_t errlen)
{
    memset (sin, 0, sizeof *sin);
    memset (sin6, 0, sizeof *sin6);
    *v6 = false;
    if (inet_pton (AF_INET, address, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons ((uint16_t) port);
    }
    else if (inet_pton (AF_INET6, address, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons ((uint16_t) port);
        *v6 = true;
    }
    else {
        cchc_errf (err, errlen,
                   "bad HTTP address '%s': an IPv4 or IPv6 literal "
                   "(127.0.0.1, 0.0.0.0, ::1)",
                   address);
        return -1;
    }
    return 0;
}

/*  A token is required off loopback, and must be S_TOKEN_MIN to 256
    printable ASCII characters without spaces, '&' or '#'.  0 or -1. */
static int
s_token_check (const char *address, const char *token, char *err, size_t errlen)
{
    if (!cchc_http_address_is_loopback (address) && !token) {
        cchc_errf (err, errlen,
                   "refusing to serve HTTP on %s without an access token: "
                   "set a token (at least %d characters) or bind to 127.0.0.1",
                   address, S_TOKEN_MIN);
        return -1;
    }
    if (!token)
        return 0;
    size_t len = strlen (token);
    bool ok = len >= S_TOKEN_MIN && len <= 256;
    for (size_t i = 0; ok && i < len; i++)
        ok = token [i] > 0x20 && token [i] < 0x7F && token [i] != '&' && token [i] != '#';
    if (!ok) {
        cchc_errf (err, errlen,
                   "bad access token: %d to 256 printable ASCII "
                   "characters, no spaces, '&' or '#'",
                   S_TOKEN_MIN);
        return -1;
    }
    return 0;
}

/*  Starts libmicrohttpd on `addr` with `threads` threads; NULL on error. */
static struct MHD_Daemon *
s_daemon_start (cchc_http_t *self, int port, const struct sockaddr *addr, bool v6, int threads)
{
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
    if (v6)
        flags |= MHD_USE_IPv6;
    return MHD_start_daemon (
        flags, (uint16_t) port, s_accept, self, s_handler, self, MHD_OPTION_EXTERNAL_LOGGER,
        s_mhd_log, NULL, MHD_OPTION_SOCK_ADDR, addr, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned) threads,
        /*  Backstops a margin above s_accept's limits, which log the peer. */
        MHD_OPTION_CONNECTION_LIMIT, (unsigned) (self->max_connections + 4 * threads),
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned) (self->max_per_peer + 4),
        /*  Idle connections; s_watchdog_run bounds the rest. */
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) ((self->request_timeout_ms + 999) / 1000),
        MHD_OPTION_NOTIFY_CONNECTION, s_notify, self, MHD_OPTION_NOTIFY_COMPLETED, s_completed,
        self, MHD_OPTION_END);
}

/*  The server without its daemon: limits, token hash, the API and the
    watchdog thread.  NULL on error. */
static cchc_http_t *
s_http_alloc (const cchc_http_config_t *conf, const char *token, int threads, char *err,
              size_t errlen)
{
    cchc_http_t *self = calloc (1, sizeof *self);
    if (!self) {
        cchc_errf (err, errlen, "out of memory");
        return NULL;
    }
    self->max_connections = conf->max_connections > 0 ? conf->max_connections : 256;
    self->max_per_peer = conf->max_per_peer > 0 ? conf->max_per_peer : 16;
    self->request_timeout_ms = conf->request_timeout_ms > 0 ? conf->request_timeout_ms : 10000;
    pthread_mutex_init (&self->lock, NULL);
    pthread_cond_init (&self->wake, NULL);
    if (token) {
        self->has_token = true;
        crypto_generichash (self->token_hash, sizeof self->token_hash, (const uint8_t *) token,
                            strlen (token), NULL, 0);
    }
    cchc_api_config_t api_conf = {
        .db_path = conf->db_path,
        .criteria = conf->criteria,
        .poll_ms = conf->poll_ms,
        .refresh_ms = conf->refresh_ms,
        .silent_days = conf->silent_days,
        .connections = threads + 1,
    };
    if (!(self->api = cchc_api_new (&api_conf, err, errlen))) {
        cchc_http_destroy (&self);
        return NULL;
    }
    if (pthread_create (&self->watchdog, NULL, s_watchdog_run, self)) {
        cchc_errf (err, errlen, "cannot start the HTTP watchdog thread");
        cchc_http_destroy (&self);
        return NULL;
    }
    self->watchdog_started = true;
    return self;
}

cchc_http_t *
cchc_http_new (const cchc_http_config_t *conf, char *err, size_t errlen)
{
    assert (conf);
    const char *address = conf->address && *conf->address ? conf->address : "127.0.0.1";
    const char *token = conf->token && *conf->token ? conf->token : NULL;
    if (conf->port < 0 || conf->port > 65535) {
        cchc_errf (err, errlen, "bad HTTP port %d", conf->port);
        return NULL;
    }
    struct sockaddr_in sin;
    struct sockaddr_in6 sin6;
    bool v6;
    if (s_listen_address (address, conf->port, &sin, &sin6, &v6, err, errlen) != 0
        || s_token_check (address, token, err, errlen) != 0)
        return NULL;
    if (sodium_init () < 0) {
        cchc_errf (err, errlen, "libsodium failed to initialise");
        return NULL;
    }
    int threads = conf->threads > 0 ? conf->threads : 4;
    cchc_http_t *self = s_http_alloc (conf, token, threads, err, errlen);
    if (!self)
        return NULL;
    self->daemon = s_daemon_start (self, conf->port,
                                   v6 ? (struct sockaddr *) &sin6 : (struct sockaddr *) &sin,
                                   v6, threads);
    if (!self->daemon) {
        cchc_errf (err, errlen, "cannot serve HTTP on %s port %d (address in use?)", address,
                   conf->port);
        cchc_http_destroy (&self);
        return NULL;
    }
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info (self->daemon, MHD_DAEMON_INFO_BIND_PORT);
    self->port = info ? info->port : conf->port;
    cchc_info ("http: dashboard on http://%s%s%s:%d/%s", v6 ? "[" : "", address, v6 ? "]" : "",
               self->port, token ? " (access token required)" : "");
    return self;
}

void
cchc_http_destroy (cchc_http_t **self_p)
{
    assert (self_p);
    cchc_http_t *self = *self_p;
    if (!self)
        return;
    *self_p = NULL;
    if (self->watchdog_started) {
        pthread_mutex_lock (&self->lock);
        self->stopping = true;
        pthread_cond_signal (&self->wake);
        pthread_mutex_unlock (&self->lock);
        pthread_join (self->watchdog, NULL);
    }
    if (self->daemon)
        MHD_stop_daemon (self->daemon); /* every connection is "closed" */
    assert (self->conns == NULL);
    pthread_cond_destroy (&self->wake);
    pthread_mutex_destroy (&self->lock);
    cchc_api_destroy (&self->api);
    sodium_memzero (self->token_hash, sizeof self->token_hash);
    free (self);
}

int
cchc_http_port (const cchc_http_t *self)
{
    assert (self);
    return self->port;
}
