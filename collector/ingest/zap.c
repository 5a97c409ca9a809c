/*  zap.c — ZAP handler admitting enrolled agents' CurveZMQ keys (zap.h). */
#define _GNU_SOURCE /* pthread_setname_np */
#include "collector/ingest/zap.h"

#include "common/log.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define ZAP_FRAMES_MAX 8

struct cchc_zap_t {
    void *socket; /* REP */
    cchc_keytab_t *keytab;
    pthread_t thread;
    bool started;
};

static cchc_ratelimit_t s_rl_refused = CCHC_RATELIMIT_INIT (10000, 10);

static int
s_send (void *socket, const void *data, size_t size, bool more)
{
    return zmq_send (socket, data, size, more ? ZMQ_SNDMORE : 0) == -1 ? -1 : 0;
}

static void *
s_run (void *arg)
{
    cchc_zap_t *self = arg;
    pthread_setname_np (pthread_self (), "cchc-zap");
    for (;;) {
        zmq_msg_t frames [ZAP_FRAMES_MAX];
        size_t count = 0;
        bool more = true, failed = false;
        while (more) {
            zmq_msg_t part;
            zmq_msg_init (&part);
            if (zmq_msg_recv (&part, self->socket, 0) == -1) {
                zmq_msg_close (&part);
                if (errno == EINTR && count == 0)
                    break;
                failed = true;
                break;
            }
            more = zmq_msg_more (&part);
            if (count < ZAP_FRAMES_MAX)
                frames [count++] = part;
            else
                zmq_msg_close (&part);
        }
        if (failed) {
            for (size_t i = 0; i < count; i++)
                zmq_msg_close (&frames [i]);
            if (errno == ETERM)
                break;
            continue;
        }
        if (count == 0)
            continue;

        /*  version, request id, domain, address, identity, mechanism, credentials */
        const char *status = "400", *text = "unknown transport key";
        char user [32] = "";
        char address [64] = "?";
        if (count >= 4) {
            size_t len = zmq_msg_size (&frames [3]);
            if (len >= sizeof address)
                len = sizeof address - 1;
            memcpy (address, zmq_msg_data (&frames [3]), len);
            address [len] = 0;
        }
        bool version_ok = count >= 6 && zmq_msg_size (&frames [0]) == 3
                          && memcmp (zmq_msg_data (&frames [0]), "1.0", 3) == 0;
        bool curve = count >= 7 && zmq_msg_size (&frames [5]) == 5
                     && memcmp (zmq_msg_data (&frames [5]), "CURVE", 5) == 0
                     && zmq_msg_size (&frames [6]) == 32;
        if (!version_ok) {
            status = "500";
            text = "bad ZAP request";
        }
        else if (!curve)
            text = "CurveZMQ required";
        else {
            cchc_keytab_entry_t entry;
            if (cchc_keytab_lookup_curve (self->keytab, zmq_msg_data (&frames [6]), &entry)) {
                if (entry.revoked)
                    text = "revoked agent";
                else {
                    status = "200";
                    text = "OK";
                    snprintf (user, sizeof user, "%lld", (long long) entry.id);
                }
            }
        }
        if (strcmp (status, "200") != 0) {
            char z85 [41] = "?";
            if (curve)
                zmq_z85_encode (z85, zmq_msg_data (&frames [6]), 32);
            cchc_log_limited (&s_rl_refused, CCHC_LOG_WARN,
                              "refused a connection "
                              "from %s: %s (transport key %s)",
                              address, text, z85);
        }
        const void *request_id = count >= 2 ? zmq_msg_data (&frames [1]) : "";
        size_t request_len = count >= 2 ? zmq_msg_size (&frames [1]) : 0;
        int rc = s_send (self->socket, "1.0", 3, true)
                 || s_send (self->socket, request_id, request_len, true)
                 || s_send (self->socket, status, 3, true)
                 || s_send (self->socket, text, strlen (text), true)
                 || s_send (self->socket, user, strlen (user), true)
                 || s_send (self->socket, "", 0, false);
        for (size_t i = 0; i < count; i++)
            zmq_msg_close (&frames [i]);
        if (rc && errno == ETERM)
            break;
    }
    zmq_close (self->socket);
    self->socket = NULL;
    return NULL;
}

cchc_zap_t *
cchc_zap_new (void *ctx, cchc_keytab_t *keytab, char *err, size_t errlen)
{
    assert (ctx && keytab);
    cchc_zap_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, errlen, "out of memory");
        return NULL;
    }
    self->keytab = keytab;
    self->socket = zmq_socket (ctx, ZMQ_REP);
    int linger = 0;
    if (!self->socket || zmq_setsockopt (self->socket, ZMQ_LINGER, &linger, sizeof linger)
        || zmq_bind (self->socket, ZAP_ENDPOINT)) {
        snprintf (err, errlen, "ZAP handler: %s", zmq_strerror (errno));
        if (self->socket)
            zmq_close (self->socket);
        free (self);
        return NULL;
    }
    if (pthread_create (&self->thread, NULL, s_run, self)) {
        snprintf (err, errlen, "ZAP handler: cannot start its thread");
        zmq_close (self->socket);
        free (self);
        return NULL;
    }
    self->started = true;
    return self;
}

void
cchc_zap_destroy (cchc_zap_t **self_p)
{
    assert (self_p);
    cchc_zap_t *self = *self_p;
    if (!self)
        return;
    if (self->started)
        pthread_join (self->thread, NULL);
    free (self);
    *self_p = NULL;
}
