/*  bench_api.c — latency of the dashboard's JSON API with 5,000 units (goal:
    p99 <= 50 ms).  Not a test: prints figures.

      bench_api [--dir DIR] [--units N] [--requests N] [--clients N] [--reuse]

    Builds a database of N generated units (fixture.h; 2 quarters of data),
    starts the HTTP server in process on 127.0.0.1, computes the roll-ups once
    (reported: the first request of a period waits for them), then times
    every endpoint over keep-alive connections:
      phase 1  one client, `requests` requests per endpoint
      phase 2  `clients` concurrent clients while a writer appends a journal
               entry every 300 ms, so the worker keeps recomputing the
               period in the background (requests are served from the
               previous roll-up meanwhile)
*/
#include "collector/http/http.h"
#include "common/clock.h"
#include "common/log.h"
#include "tests/dashboard/client.h"
#include "tests/dashboard/fixture.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef CCHC_SOURCE_DIR
#define CCHC_SOURCE_DIR "."
#endif

typedef struct {
    const char *name;
    char path [256];
    char etag [96]; /* for the 304 variant */
} s_ep_t;

static s_ep_t s_eps [16];
static size_t s_nep;
static int s_port;

static int
s_cmp (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

static double
s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void
s_add (const char *name, const char *path)
{
    s_eps [s_nep].name = name;
    snprintf (s_eps [s_nep].path, sizeof s_eps [s_nep].path, "%s", path);
    s_nep++;
}

/*  One request on a keep-alive client, optionally conditional.  Returns the
    latency in ms, or -1. */
static double
s_timed (cchc_client_t *c, const s_ep_t *ep, bool conditional, size_t *bytes, int *status)
{
    cchc_http_reply_t r;
    double t0 = s_now_ms ();
    int rc;
    if (conditional) {
        /* keep-alive conditional GET: send by hand on the client's socket */
        char req [512];
        if (c->fd <= 0) {
            c->fd = cchc_http_connect (c->port);
            c->len = 0;
        }
        int n = snprintf (req, sizeof req,
                          "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          "If-None-Match: %s\r\n\r\n",
                          ep->path, ep->etag);
        rc = cchc_http_send_all (c->fd, req, (size_t) n);
        memset (&r, 0, sizeof r);
        while (rc == 0) {
            long used = cchc_http_parse (c->buf, c->len, false, false, &r);
            if (used > 0) {
                memmove (c->buf, c->buf + used, c->len - (size_t) used);
                c->len -= (size_t) used;
                break;
            }
            if (used < 0) {
                rc = -1;
                break;
            }
            if (c->len == c->alloc) {
                size_t want = c->alloc ? c->alloc * 2 : 1 << 20;
                char *p = realloc (c->buf, want);
                if (!p) {
                    rc = -1;
                    break;
                }
                c->buf = p;
                c->alloc = want;
            }
            ssize_t got = recv (c->fd, c->buf + c->len, c->alloc - c->len, 0);
            if (got <= 0) {
                rc = -1;
                break;
            }
            c->len += (size_t) got;
        }
    }
    else
        rc = cchc_client_get (c, ep->path, &r);
    double dt = s_now_ms () - t0;
    if (rc != 0)
        return -1;
    *bytes = r.size;
    *status = r.status;
    cchc_http_reply_free (&r);
    return dt;
}

#define S_MAX_SAMPLES 100000

typedef struct {
    int id;
    double until;     /* monotonic ms */
    double *lat [16]; /* per endpoint */
    int n [16];
    int errors [16];
} s_job_t;

/*  A dashboard-like client: cycles through every endpoint until `until`. */
static void *
s_client_thread (void *arg)
{
    s_job_t *job = arg;
    cchc_client_t c = { .port = s_port };
    for (size_t i = (size_t) job->id; s_now_ms () < job->until; i++) {
        size_t e = i % s_nep;
        size_t bytes;
        int status;
        double dt = s_timed (&c, &s_eps [e], s_eps [e].etag [0] != 0, &bytes, &status);
        if (dt < 0 || (status != 200 && status != 304))
            job->errors [e]++;
        else if (job->n [e] < S_MAX_SAMPLES)
            job->lat [e][job->n [e]++] = dt;
    }
    cchc_client_close (&c);
    return NULL;
}

static atomic_bool s_writing;
static const char *s_db;

static void *
s_writer_thread (void *arg)
{
    (void) arg;
    sqlite3 *db = NULL;
    if (sqlite3_open (s_db, &db) != SQLITE_OK)
        return NULL;
    sqlite3_busy_timeout (db, 5000);
    int seq = 1000000;
    while (atomic_load (&s_writing)) {
        char sql [512];
        snprintf (sql, sizeof sql,
                  "INSERT INTO journal (id, agent, seq, received_at, body, sig)"
                  " SELECT max(id) + 1, 1, %d, 1623900000000, x'00', zeroblob(64)"
                  " FROM journal",
                  seq++);
        sqlite3_exec (db, sql, NULL, NULL, NULL);
        usleep (300 * 1000);
    }
    sqlite3_close (db);
    return NULL;
}

static void
s_report (const char *name, double *lat, int n, int errors, size_t bytes)
{
    if (n == 0) {
        printf ("  %-28s  no successful request (%d errors)\n", name, errors);
        return;
    }
    qsort (lat, (size_t) n, sizeof *lat, s_cmp);
    double p50 = lat [n / 2], p99 = lat [(int) (n * 0.99) < n ? (int) (n * 0.99) : n - 1];
    if (bytes)
        printf ("  %-20s  p50 %6.2f ms  p99 %6.2f ms  max %6.2f ms  %8zu B  n=%d%s\n", name,
                p50, p99, lat [n - 1], bytes, n, errors ? "  ERRORS" : "");
    else
        printf ("  %-20s  p50 %6.2f ms  p99 %6.2f ms  max %6.2f ms  n=%d%s\n", name, p50, p99,
                lat [n - 1], n, errors ? "  ERRORS" : "");
}

int
main (int argc, char **argv)
{
    const char *dir = ".";
    int units = 5000, requests = 200, clients = 4, seconds = 20;
    bool reuse = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp (argv [i], "--dir") == 0 && i + 1 < argc)
            dir = argv [++i];
        else if (strcmp (argv [i], "--units") == 0 && i + 1 < argc)
            units = atoi (argv [++i]);
        else if (strcmp (argv [i], "--requests") == 0 && i + 1 < argc)
            requests = atoi (argv [++i]);
        else if (strcmp (argv [i], "--clients") == 0 && i + 1 < argc)
            clients = atoi (argv [++i]);
        else if (strcmp (argv [i], "--seconds") == 0 && i + 1 < argc)
            seconds = atoi (argv [++i]);
        else if (strcmp (argv [i], "--reuse") == 0)
            reuse = true;
        else {
            fprintf (stderr, "usage: bench_api [--dir DIR] [--units N] [--requests N] "
                             "[--clients N] [--seconds N] [--reuse]\n");
            return 2;
        }
    }
    cchc_log_init ("bench_api", CCHC_LOG_WARN);
    mkdir (dir, 0755);
    static char db [1024];
    snprintf (db, sizeof db, "%s/bench_api_%d.db", dir, units);
    s_db = db;
    const char *criteria = CCHC_SOURCE_DIR "/data/criteria/default.ini";
    int64_t now;
    cchc_clock_parse_iso ("2021-06-20T03:00:00Z", &now); /* Q2 closed, not locked */
    cchc_clock_set_fake (now);
    char err [512];
    if (!reuse || access (db, R_OK) != 0) {
        double t0 = s_now_ms ();
        cchc_fixture_t f = { .generated_units = units,
                             .year = 2021,
                             .quarters = 2,
                             .days_per_month = 2,
                             .last_seen_ms = now - 3600 * 1000 };
        if (cchc_fixture_build (db, criteria, &f, err, sizeof err) != 0) {
            fprintf (stderr, "fixture: %s\n", err);
            return 1;
        }
        printf ("database: %d units, built in %.1f s (%s)\n", units, (s_now_ms () - t0) / 1000,
                db);
    }
    cchc_criteria_t *cat = cchc_criteria_load (criteria, err, sizeof err);
    if (!cat) {
        fprintf (stderr, "criteria: %s\n", err);
        return 1;
    }
    cchc_http_config_t conf = { .port = 0,
                                .db_path = db,
                                .criteria = cat,
                                .threads = 4,
                                .poll_ms = 1000,
                                .refresh_ms = 3000 };
    cchc_http_t *http = cchc_http_new (&conf, err, sizeof err);
    if (!http) {
        fprintf (stderr, "server: %s\n", err);
        cchc_criteria_destroy (&cat);
        return 1;
    }
    s_port = cchc_http_port (http);

    s_add ("periods", "/api/v1/periods");
    s_add ("catalogue", "/api/v1/catalogue");
    s_add ("summary", "/api/v1/summary?period=2021-Q2");
    s_add ("ranking so", "/api/v1/ranking?period=2021-Q2&level=so");
    s_add ("ranking huyen", "/api/v1/ranking?period=2021-Q2&level=huyen");
    s_add ("ranking xa", "/api/v1/ranking?period=2021-Q2&level=xa");
    s_add ("ranking xa (304)", "/api/v1/ranking?period=2021-Q2&level=xa");
    s_add ("unit", "/api/v1/units/X00042?period=2021-Q2");
    s_add ("trend unit index", "/api/v1/trend?unit=X00042&code=index&to=2021-Q2&count=2");
    s_add ("trend province",
           "/api/v1/trend?code=online_workfiles&level=xa&to=2021-Q2&count=2");
    s_add ("status", "/api/v1/status?period=2021-Q2");
    s_add ("agents", "/api/v1/agents");
    s_add ("health", "/api/v1/health");

    /* first requests: computations */
    double t0 = s_now_ms ();
    cchc_http_reply_t r;
    if (cchc_http_get (s_port, s_eps [2].path, &r) != 0 || r.status != 200) {
        fprintf (stderr, "summary failed: %d %s\n", r.status, r.body ? r.body : "");
        return 1;
    }
    cchc_http_reply_free (&r);
    printf ("first request of 2021-Q2 (roll-up of Q2 and Q1, serialised replies): %.0f ms\n",
            s_now_ms () - t0);
    t0 = s_now_ms ();
    if (cchc_http_get (s_port, s_eps [8].path, &r) == 0)
        cchc_http_reply_free (&r);
    printf ("first trend over 2021-Q1 (one more roll-up): %.0f ms\n", s_now_ms () - t0);
    if (cchc_http_get (s_port, s_eps [6].path, &r) == 0) {
        cchc_http_reply_header (&r, "ETag", s_eps [6].etag, sizeof s_eps [6].etag);
        cchc_http_reply_free (&r);
    }

    printf ("\nphase 1: one client, %d requests per endpoint (keep-alive)\n", requests);
    double *lat = malloc ((size_t) (requests * (clients > 1 ? clients : 1)) * sizeof *lat);
    for (size_t e = 0; e < s_nep; e++) {
        cchc_client_t c = { .port = s_port };
        int n = 0, errors = 0;
        size_t bytes = 0;
        for (int i = 0; i < requests; i++) {
            int status;
            double dt = s_timed (&c, &s_eps [e], s_eps [e].etag [0] != 0, &bytes, &status);
            if (dt < 0 || (status != 200 && status != 304))
                errors++;
            else
                lat [n++] = dt;
        }
        cchc_client_close (&c);
        s_report (s_eps [e].name, lat, n, errors, bytes);
    }

    printf ("\nphase 2: %d concurrent clients cycling through every endpoint for %d s, "
            "a journal entry every 300 ms (roll-ups recomputed in the background)\n",
            clients, seconds);
    atomic_store (&s_writing, true);
    pthread_t writer;
    pthread_create (&writer, NULL, s_writer_thread, NULL);
    int nc = clients > 64 ? 64 : clients < 1 ? 1 : clients;
    pthread_t th [64];
    s_job_t *jobs = calloc ((size_t) nc, sizeof *jobs);
    double until = s_now_ms () + seconds * 1000.0;
    for (int k = 0; k < nc; k++) {
        jobs [k].id = k;
        jobs [k].until = until;
        for (size_t e = 0; e < s_nep; e++)
            jobs [k].lat [e] = malloc (S_MAX_SAMPLES * sizeof (double));
        pthread_create (&th [k], NULL, s_client_thread, &jobs [k]);
    }
    for (int k = 0; k < nc; k++)
        pthread_join (th [k], NULL);
    double *all = malloc ((size_t) nc * S_MAX_SAMPLES * sizeof *all);
    for (size_t e = 0; e < s_nep; e++) {
        int n = 0, errors = 0;
        for (int k = 0; k < nc; k++) {
            memcpy (all + n, jobs [k].lat [e], (size_t) jobs [k].n [e] * sizeof *all);
            n += jobs [k].n [e];
            errors += jobs [k].errors [e];
        }
        s_report (s_eps [e].name, all, n, errors, 0);
    }
    for (int k = 0; k < nc; k++)
        for (size_t e = 0; e < s_nep; e++)
            free (jobs [k].lat [e]);
    free (jobs);
    atomic_store (&s_writing, false);
    pthread_join (writer, NULL);
    if (cchc_http_get (s_port, "/api/v1/health", &r) == 0) {
        const char *c = strstr (r.body, "\"computations\":");
        const char *l = strstr (r.body, "\"last_compute_ms\":");
        printf ("\nroll-ups computed: %.*s; last one took %.*s ms\n",
                c ? (int) strcspn (c + 15, ",}") : 0, c ? c + 15 : "",
                l ? (int) strcspn (l + 18, ",}") : 0, l ? l + 18 : "");
        cchc_http_reply_free (&r);
    }
    free (lat);
    free (all);
    cchc_http_destroy (&http);
    cchc_criteria_destroy (&cat);
    return 0;
}
