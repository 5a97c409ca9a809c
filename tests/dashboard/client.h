/*  client.h — a minimal HTTP/1.1 client for the dashboard's tests and
    benchmark: one request per connection (Connection: close), the reply
    read to the end.  Test code only: the server side is libmicrohttpd.

    Keep-alive is available too (cchc_client_t) for the benchmark, which
    measures the server rather than TCP handshakes.
*/
#ifndef CCHC_TEST_CLIENT_H
#define CCHC_TEST_CLIENT_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

typedef struct {
    int status;
    char *headers; /* raw header block, NUL-terminated */
    char *body;    /* NUL-terminated (binary bodies: use size) */
    size_t size;
} cchc_http_reply_t;

static inline void
cchc_http_reply_free (cchc_http_reply_t *r)
{
    free (r->headers);
    free (r->body);
    memset (r, 0, sizeof *r);
}

/*  Value of header `name` in the reply (copied into buf), or NULL. */
static inline const char *
cchc_http_reply_header (const cchc_http_reply_t *r, const char *name, char *buf, size_t size)
{
    size_t n = strlen (name);
    for (const char *p = r->headers; p && *p;) {
        const char *eol = strstr (p, "\r\n");
        if (!eol)
            eol = p + strlen (p);
        if ((size_t) (eol - p) > n && strncasecmp (p, name, n) == 0 && p [n] == ':') {
            const char *v = p + n + 1;
            while (*v == ' ')
                v++;
            size_t len = (size_t) (eol - v);
            if (len >= size)
                len = size - 1;
            memcpy (buf, v, len);
            buf [len] = '\0';
            return buf;
        }
        p = *eol ? eol + 2 : eol;
    }
    return NULL;
}

static inline int
cchc_http_connect (int port)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct timeval tv = { 30, 0 };
    setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    int one = 1;
    setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in sin;
    memset (&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons ((uint16_t) port);
    sin.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    if (connect (fd, (struct sockaddr *) &sin, sizeof sin) != 0) {
        close (fd);
        return -1;
    }
    return fd;
}

static inline int
cchc_http_send_all (int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = send (fd, buf, len, MSG_NOSIGNAL);
        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t) n;
    }
    return 0;
}

/*  Parse a complete reply in buf[0..len).  Returns bytes used, 0 when more
    is needed, -1 on a malformed reply.  `eof`: the peer closed. */
static inline long
cchc_http_parse (const char *buf, size_t len, bool eof, bool head, cchc_http_reply_t *r)
{
    const char *end = NULL;
    for (size_t i = 0; i + 3 < len; i++)
        if (memcmp (buf + i, "\r\n\r\n", 4) == 0) {
            end = buf + i;
            break;
        }
    if (!end)
        return eof ? -1 : 0;
    size_t hlen = (size_t) (end - buf) + 4;
    int status = 0;
    if (sscanf (buf, "HTTP/1.%*d %d", &status) != 1)
        return -1;
    char *headers = strndup (buf, hlen);
    if (!headers)
        return -1;
    cchc_http_reply_t tmp = { .status = status, .headers = headers };
    char cl [32];
    long want = -1;
    if (cchc_http_reply_header (&tmp, "Content-Length", cl, sizeof cl))
        want = atol (cl);
    if (head || status == 304 || status == 204)
        want = 0;
    size_t body_len;
    if (want >= 0) {
        if (len - hlen < (size_t) want) {
            free (headers);
            return eof ? -1 : 0;
        }
        body_len = (size_t) want;
    }
    else {
        if (!eof) {
            free (headers);
            return 0;
        }
        body_len = len - hlen;
    }
    tmp.body = malloc (body_len + 1);
    if (!tmp.body) {
        free (headers);
        return -1;
    }
    memcpy (tmp.body, buf + hlen, body_len);
    tmp.body [body_len] = '\0';
    tmp.size = body_len;
    *r = tmp;
    return (long) (hlen + body_len);
}

/*  One request on a new connection.  `extra` headers end with "\r\n" each
    (may be NULL).  0, or -1 on a network or protocol error. */
static inline int
cchc_http_request (int port, const char *method, const char *path, const char *extra,
                   cchc_http_reply_t *r)
{
    memset (r, 0, sizeof *r);
    int fd = cchc_http_connect (port);
    if (fd < 0)
        return -1;
    char req [4096];
    int n = snprintf (req, sizeof req,
                      "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                      "Connection: close\r\n%s%s\r\n",
                      method, path, port, extra ? extra : "",
                      strcmp (method, "POST") == 0 ? "Content-Length: 2\r\n" : "");
    if (n < 0 || (size_t) n >= sizeof req || cchc_http_send_all (fd, req, (size_t) n) != 0
        || (strcmp (method, "POST") == 0 && cchc_http_send_all (fd, "{}", 2) != 0)) {
        close (fd);
        return -1;
    }
    size_t len = 0, alloc = 65536;
    char *buf = malloc (alloc);
    for (;;) {
        if (!buf) {
            close (fd);
            return -1;
        }
        if (len == alloc) {
            char *p = realloc (buf, alloc * 2);
            if (!p) {
                free (buf);
                close (fd);
                return -1;
            }
            buf = p;
            alloc *= 2;
        }
        ssize_t got = recv (fd, buf + len, alloc - len, 0);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        len += (size_t) got;
    }
    close (fd);
    long used = cchc_http_parse (buf, len, true, strcmp (method, "HEAD") == 0, r);
    free (buf);
    return used > 0 ? 0 : -1;
}

static inline int
cchc_http_get (int port, const char *path, cchc_http_reply_t *r)
{
    return cchc_http_request (port, "GET", path, NULL, r);
}

/*  Keep-alive connection for the benchmark. */
typedef struct {
    int port, fd;
    char *buf;
    size_t len, alloc;
} cchc_client_t;

static inline int
cchc_client_get (cchc_client_t *c, const char *path, cchc_http_reply_t *r)
{
    memset (r, 0, sizeof *r);
    for (int attempt = 0; attempt < 2; attempt++) {
        if (c->fd <= 0) {
            c->fd = cchc_http_connect (c->port);
            c->len = 0;
            if (c->fd < 0)
                return -1;
        }
        char req [2048];
        int n = snprintf (req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", path);
        if (cchc_http_send_all (c->fd, req, (size_t) n) != 0) {
            close (c->fd);
            c->fd = -1;
            continue;
        }
        for (;;) {
            long used = cchc_http_parse (c->buf, c->len, false, false, r);
            if (used > 0) {
                memmove (c->buf, c->buf + used, c->len - (size_t) used);
                c->len -= (size_t) used;
                return 0;
            }
            if (used < 0)
                return -1;
            if (c->len == c->alloc) {
                size_t want = c->alloc ? c->alloc * 2 : 1 << 20;
                char *p = realloc (c->buf, want);
                if (!p)
                    return -1;
                c->buf = p;
                c->alloc = want;
            }
            ssize_t got = recv (c->fd, c->buf + c->len, c->alloc - c->len, 0);
            if (got <= 0) {
                close (c->fd);
                c->fd = -1;
                break;
            }
            c->len += (size_t) got;
        }
    }
    return -1;
}

static inline void
cchc_client_close (cchc_client_t *c)
{
    if (c->fd > 0)
        close (c->fd);
    free (c->buf);
    memset (c, 0, sizeof *c);
}

#endif
