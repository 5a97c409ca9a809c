/*  serve.c — cchc-dashboard-serve: runs the dashboard's HTTP server on a
    database without the collector daemon, for the browser test, the
    benchmark and demonstrations.

      cchc-dashboard-serve --db FILE [--criteria FILE] [--address ADDR]
                           [--port N] [--token TOKEN] [--port-file FILE]
                           [--fixture tq|N] [--year Y] [--quarters Q]
                           [--now 2021-12-20T03:00:00Z]

    --fixture builds the database first (fixture.h: "tq" for the Tuyên Quang
    sample, N for N generated units).  --now fixes the clock (it does not
    move: cchc_clock_set_fake).  --port 0 picks a free port; the port is
    printed ("port N") and written to --port-file.  Stops on SIGINT/SIGTERM.
*/
#include "collector/http/http.h"
#include "common/clock.h"
#include "common/log.h"
#include "tests/dashboard/fixture.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef CCHC_SOURCE_DIR
#define CCHC_SOURCE_DIR "."
#endif

static volatile sig_atomic_t s_stop = 0;

static void
s_on_signal (int sig)
{
    (void) sig;
    s_stop = 1;
}

static int
s_usage (void)
{
    fprintf (stderr, "usage: cchc-dashboard-serve --db FILE [--criteria FILE] "
                     "[--address ADDR] [--port N] [--token TOKEN] [--port-file FILE] "
                     "[--fixture tq|N] [--year Y] [--quarters Q] [--now ISO]\n");
    return 2;
}

int
main (int argc, char **argv)
{
    cchc_log_init ("cchc-dashboard-serve", CCHC_LOG_INFO);
    const char *db = NULL, *criteria = CCHC_SOURCE_DIR "/data/criteria/default.ini";
    const char *address = "127.0.0.1", *token = NULL, *port_file = NULL;
    const char *fixture = NULL, *now = NULL;
    int port = 0, year = 2021, quarters = 4;
    for (int i = 1; i < argc; i += 2) {
        const char *a = argv [i];
        const char *v = i + 1 < argc ? argv [i + 1] : NULL;
        if (!v)
            return s_usage ();
        if (strcmp (a, "--db") == 0)
            db = v;
        else if (strcmp (a, "--criteria") == 0)
            criteria = v;
        else if (strcmp (a, "--address") == 0)
            address = v;
        else if (strcmp (a, "--port") == 0)
            port = atoi (v);
        else if (strcmp (a, "--token") == 0)
            token = v;
        else if (strcmp (a, "--port-file") == 0)
            port_file = v;
        else if (strcmp (a, "--fixture") == 0)
            fixture = v;
        else if (strcmp (a, "--year") == 0)
            year = atoi (v);
        else if (strcmp (a, "--quarters") == 0)
            quarters = atoi (v);
        else if (strcmp (a, "--now") == 0)
            now = v;
        else
            return s_usage ();
    }
    if (!db)
        return s_usage ();
    if (now) {
        int64_t ms;
        if (cchc_clock_parse_iso (now, &ms) != 0) {
            fprintf (stderr, "bad --now '%s'\n", now);
            return 2;
        }
        cchc_clock_set_fake (ms);
    }
    char err [512];
    if (fixture) {
        cchc_fixture_t f = { .generated_units =
                                 strcmp (fixture, "tq") == 0 ? 0 : atoi (fixture),
                             .year = year,
                             .quarters = quarters,
                             .days_per_month = 4,
                             .last_seen_ms = cchc_clock_now_ms () - 3600 * 1000 };
        if (cchc_fixture_build (db, criteria, &f, err, sizeof err) != 0) {
            fprintf (stderr, "fixture: %s\n", err);
            return 1;
        }
    }
    cchc_criteria_t *cat = cchc_criteria_load (criteria, err, sizeof err);
    if (!cat) {
        fprintf (stderr, "cchc-dashboard-serve: %s\n", err);
        return 1;
    }
    cchc_http_config_t conf = {
        .address = address, .port = port, .token = token, .db_path = db, .criteria = cat
    };
    cchc_http_t *http = cchc_http_new (&conf, err, sizeof err);
    if (!http) {
        fprintf (stderr, "cchc-dashboard-serve: %s\n", err);
        cchc_criteria_destroy (&cat);
        return 1;
    }
    signal (SIGINT, s_on_signal);
    signal (SIGTERM, s_on_signal);
    printf ("port %d\n", cchc_http_port (http));
    fflush (stdout);
    if (port_file) {
        char tmp [1024];
        snprintf (tmp, sizeof tmp, "%s.tmp", port_file);
        FILE *f = fopen (tmp, "w");
        if (f) {
            fprintf (f, "%d\n", cchc_http_port (http));
            fclose (f);
            rename (tmp, port_file);
        }
    }
    while (!s_stop)
        usleep (100 * 1000);
    cchc_http_destroy (&http);
    cchc_criteria_destroy (&cat);
    return 0;
}
