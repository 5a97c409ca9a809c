/*  fill.c — benchmark helper: put a backlog into an agent outbox, as a week
    offline would leave it: N frozen messages of K observations each, signed
    with the agent's key, exactly as the daemon makes them.

      agent_bench_fill OUTBOX KEYFILE UNIT N K

    Metrics cycle through a few catalogue counters; each message holds K
    different (metric, day) pairs and the days move on from message to
    message, so nothing is "unchanged". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/outbox.h"
#include "common/clock.h"
#include "common/key.h"

int
main (int argc, char **argv)
{
    if (argc != 6) {
        fprintf (stderr, "usage: agent_bench_fill OUTBOX KEYFILE UNIT N K\n");
        return 2;
    }
    long n = atol (argv [4]), k = atol (argv [5]);
    if (n < 1 || k < 1 || k > 900) {
        fprintf (stderr, "agent_bench_fill: N >= 1, 1 <= K <= 900\n");
        return 2;
    }
    char err [512];
    cchc_key_t *key = cchc_key_load (argv [2], err, sizeof err);
    if (!key) {
        fprintf (stderr, "agent_bench_fill: %s\n", err);
        return 1;
    }
    cchc_outbox_t *ob = cchc_outbox_open (argv [1], true, err, sizeof err);
    if (!ob) {
        fprintf (stderr, "agent_bench_fill: %s\n", err);
        cchc_key_destroy (&key);
        return 1;
    }
    static const char *metrics [] = {
        "tthc_received",      "tthc_resolved",        "tthc_resolved_on_time",
        "tthc_resolved_late", "tthc_received_online", "tthc_postal",
        "docs_sent",          "docs_sent_electronic", "workfiles",
        "workfiles_online",   "feedback_received",    "feedback_resolved",
        "survey_responses",   "survey_satisfied"
    };
    const long nm = (long) (sizeof metrics / sizeof metrics [0]);
    cchc_obs_t *obs = calloc ((size_t) k, sizeof *obs);
    cchc_date_t base = cchc_date_from_ymd (2015, 1, 1);
    int rc = 0;
    int64_t t0 = cchc_clock_mono_ms ();
    for (long i = 0; i < n && rc == 0; i++) {
        for (long j = 0; j < k; j++) {
            long cell = i * k + j; /* a new (metric, day) every time */
            snprintf (obs [j].metric, sizeof obs [j].metric, "%s", metrics [cell % nm]);
            obs [j].date = base + (cchc_date_t) (cell / nm);
            obs [j].is_float = false;
            obs [j].ival = cell % 1000;
        }
        uint64_t seq;
        int64_t now = cchc_clock_now_ms ();
        if (cchc_outbox_observe (ob, obs, (size_t) k, now, NULL, err, sizeof err) != 0
            || cchc_outbox_freeze (ob, key, argv [3], (size_t) k, now, &seq, err, sizeof err)
                   != 1) {
            fprintf (stderr, "agent_bench_fill: %s\n", err);
            rc = 1;
        }
    }
    fprintf (stderr, "filled %ld messages x %ld observations in %lld ms\n", n, k,
             (long long) (cchc_clock_mono_ms () - t0));
    free (obs);
    cchc_outbox_destroy (&ob);
    cchc_key_destroy (&key);
    return rc;
}
