/*  bench_national.c — the national roll-up and ranking (collector/national/):
    34 provinces × 200 units × 4 quarters (the structure from 1 July 2025:
    sở and xã levels) and 63 provinces × 200 units × 4 quarters (before: sở,
    huyện, xã), in one national database.  Every province's quarter is
    signed and cut into parts of 25 units as a province sends it, then
    received through cchc_national_handle (verify, decode, store: one
    synchronous=FULL transaction per message) — the roll-up — and every
    quarter is ranked with cchc_national_rank.  Prints the time of each
    phase, CPU per message and the peak memory (goal: ranking ≤ 1 s, ≤ 200 MB).

    Not a test: run build/bench/national/bench_national [DIR] by hand (DIR:
    where the database goes, default /tmp). */
#include "collector/national/national.h"
#include "collector/db/db.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#define UNITS 200
#define INDICATORS 19
#define PER_PART 25

static double
s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + ts.tv_nsec / 1e9;
}

static double
s_cpu (void)
{
    struct rusage ru;
    getrusage (RUSAGE_SELF, &ru);
    return (double) ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6
           + (double) ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static long
s_maxrss_mb (void)
{
    struct rusage ru;
    getrusage (RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024;
}

static int
s_exec (sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec (db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf (stderr, "sql: %s\n", msg ? msg : sqlite3_errmsg (db));
        sqlite3_free (msg);
        return -1;
    }
    return 0;
}

typedef struct {
    const char *prefix; /* province code prefix */
    int provinces;
    int year;
    bool districts;
    int64_t valid_from, valid_to;
} s_structure_t;

/*  Send (through handle) every quarter of every province of `s`.
    Returns the number of messages, or -1. */
static long
s_feed (cchc_national_t *nat, const s_structure_t *s, const uint8_t cat [32],
        cchc_key_t **keys)
{
    static char ind [INDICATORS][CCHC_METRIC_MAX + 1];
    static cchc_provfig_unit_t units [UNITS];
    static cchc_provfig_score_t scores [UNITS][INDICATORS];
    static cchc_provfig_figure_t figs [INDICATORS * 4];
    for (int i = 0; i < INDICATORS; i++)
        snprintf (ind [i], sizeof ind [i], "indicator_%02d", i);
    long messages = 0;
    uint64_t seq = 1;
    for (int q = 1; q <= 4; q++)
        for (int p = 0; p < s->provinces; p++) {
            char code [24];
            snprintf (code, sizeof code, "%s%02d", s->prefix, p + 1);
            for (int u = 0; u < UNITS; u++) {
                cchc_provfig_unit_t *x = &units [u];
                memset (x, 0, sizeof *x);
                snprintf (x->code, sizeof x->code, "%.3s%04d", code, u % 10000);
                snprintf (x->name, sizeof x->name, "Đơn vị %d của tỉnh %s", u, code);
                x->level = u < 20 ? 0 : (s->districts && u < 30) ? 1 : 2;
                if (x->level == 2)
                    snprintf (x->parent, sizeof x->parent, "%.8s", code);
                x->flags = CCHC_PROVFIG_HAS_INDEX | CCHC_PROVFIG_COMPLETE;
                x->index = 40 + (double) ((u * 37 + p * 11 + q * 5) % 600) / 10.0;
                x->earned = x->index;
                x->applicable = 100;
                x->rank = (uint32_t) u + 1;
                x->scores = scores [u];
                for (int k = 0; k < INDICATORS; k++)
                    scores [u][k] = (cchc_provfig_score_t){ 0, 0.75, 4, 5 };
            }
            for (int k = 0; k < INDICATORS; k++)
                for (int l = -1; l < 3; l++) {
                    cchc_provfig_figure_t *g = &figs [k * 4 + l + 1];
                    *g = (cchc_provfig_figure_t){ (uint32_t) k,
                                                  l,
                                                  CCHC_PROVFIG_HAS_DENOMINATOR
                                                      | CCHC_PROVFIG_HAS_VALUE
                                                      | CCHC_PROVFIG_HAS_TARGET
                                                      | (k < 3 ? CCHC_PROVFIG_PLAN : 0),
                                                  75,
                                                  100,
                                                  0.75,
                                                  0.8,
                                                  UNITS,
                                                  0 };
                }
            cchc_provfig_t f;
            memset (&f, 0, sizeof f);
            memcpy (f.province, cchc_key_public (keys [p]), 32);
            snprintf (f.code, sizeof f.code, "%.8s", code);
            snprintf (f.period, sizeof f.period, "%d-Q%d", s->year, q);
            f.version = 1;
            f.created_ms = f.locked_ms = (uint64_t) cchc_clock_now_ms ();
            f.journal = 1000;
            memcpy (f.catalogue, cat, 32);
            f.cat_year = (uint32_t) s->year;
            cchc_provfig_structure (units, UNITS, f.structure);
            f.parts = UNITS / PER_PART;
            f.units_total = UNITS;
            f.nindicators = INDICATORS;
            f.indicators = ind;
            for (uint32_t part = 0; part < f.parts; part++) {
                f.seq = seq++;
                f.part = part;
                f.units = units + part * PER_PART;
                f.nunits = PER_PART;
                f.figures = figs;
                f.nfigures = part == 0 ? INDICATORS * 4 : 0;
                cchc_wire_msg_t msg;
                memset (&msg, 0, sizeof msg);
                if (cchc_provfig_encode (&f, &msg.body, &msg.body_len) != CCHC_REASON_NONE) {
                    fprintf (stderr, "encode failed\n");
                    return -1;
                }
                memcpy (msg.key, f.province, 32);
                cchc_provfig_sign (keys [p], msg.body, msg.body_len, msg.sig);
                cchc_ack_t ack;
                cchc_national_handle (nat, &msg, cchc_clock_now_ms (), &ack);
                free (msg.body);
                if (ack.status != CCHC_STATUS_ACCEPTED) {
                    fprintf (stderr, "%s %s part %u: %s %s\n", code, f.period, part,
                             cchc_status_name ((int) ack.status),
                             cchc_reason_name ((int) ack.reason));
                    return -1;
                }
                messages++;
            }
        }
    return messages;
}

int
main (int argc, char **argv)
{
    const char *dir = argc > 1 ? argv [1] : "/tmp";
    cchc_log_set_level (CCHC_LOG_WARN);
    if (sodium_init () < 0)
        return 1;
    char path [512], err [512];
    snprintf (path, sizeof path, "%s/cchc-bench-national-%d.db", dir, (int) getpid ());
    cchc_db_t *store = cchc_db_open (path, true, err, sizeof err);
    if (!store) {
        fprintf (stderr, "%s\n", err);
        return 1;
    }
    sqlite3 *db = cchc_db_handle (store);
    s_structure_t structures [2] = { { "P", 63, 2024, true, 10101, 20250630 },
                                     { "Q", 34, 2026, false, 20250701, 99991231 } };
    uint8_t cat [32];
    crypto_hash_sha256 (cat, (const uint8_t *) "bench", 5);
    char hex [65], expect [256];
    cchc_hex_encode (hex, cat, 32);
    snprintf (expect, sizeof expect, "2024:%s,2026:%s", hex, hex);
    cchc_key_t *keys [2][63];
    s_exec (db, "BEGIN");
    for (int s = 0; s < 2; s++)
        for (int p = 0; p < structures [s].provinces; p++) {
            uint8_t seed [32] = { (uint8_t) s, (uint8_t) p, 7 };
            keys [s][p] = cchc_key_new_from_seed (seed);
            char sql [512], khex [65];
            cchc_key_public_hex (keys [s][p], khex);
            snprintf (
                sql, sizeof sql,
                "INSERT INTO unit (code, name, kind, level, parent, valid_from, valid_to) "
                "VALUES ('%s%02d', 'Tỉnh %s%02d', 'Tỉnh', 'tinh', NULL, %lld, %lld);"
                "INSERT INTO agent (pubkey, unit, name, enrolled_at) "
                "VALUES (x'%s', '%s%02d', 'province', 0);",
                structures [s].prefix, p + 1, structures [s].prefix, p + 1,
                (long long) structures [s].valid_from, (long long) structures [s].valid_to,
                khex, structures [s].prefix, p + 1);
            if (s_exec (db, sql))
                return 1;
        }
    s_exec (db, "COMMIT");
    cchc_national_config_t nc = { .db_path = path, .expect = expect };
    cchc_national_t *nat = cchc_national_new (&nc, keys [0][0], err, sizeof err);
    if (!nat) {
        fprintf (stderr, "%s\n", err);
        return 1;
    }
    printf ("national roll-up and ranking: %d units per province, %d indicators, "
            "parts of %d units\n",
            UNITS, INDICATORS, PER_PART);
    int status = 0;
    for (int s = 0; s < 2 && status == 0; s++) {
        const s_structure_t *st = &structures [s];
        double t0 = s_now (), c0 = s_cpu ();
        long n = s_feed (nat, st, cat, keys [s]);
        double t1 = s_now (), c1 = s_cpu ();
        if (n < 0) {
            status = 1;
            break;
        }
        printf ("%d provinces x %d units x 4 quarters (%d, %s): received and stored %ld "
                "messages in %.2f s (%.0f us CPU per message)\n",
                st->provinces, UNITS, st->year,
                st->districts ? "with districts" : "no districts", n, t1 - t0,
                (c1 - c0) * 1e6 / (double) n);
        double worst = 0, total = 0, cpu = 0;
        for (int q = 1; q <= 4; q++) {
            cchc_period_t period = { CCHC_PERIOD_QUARTER, st->year, q };
            json_t *r = NULL;
            double r0 = s_now (), rc0 = s_cpu ();
            if (cchc_national_rank (db, &period, 28, &r, err, sizeof err) != 0) {
                fprintf (stderr, "rank: %s\n", err);
                status = 1;
                break;
            }
            double r1 = s_now ();
            cpu += s_cpu () - rc0;
            if (r1 - r0 > worst)
                worst = r1 - r0;
            total += r1 - r0;
            if (json_integer_value (json_object_get (r, "reported")) != st->provinces) {
                fprintf (stderr, "rank: %lld reported\n",
                         (long long) json_integer_value (json_object_get (r, "reported")));
                status = 1;
            }
            json_decref (r);
        }
        printf ("  ranking of each quarter: %.3f s worst, %.3f s for the 4 (%.3f s CPU)\n",
                worst, total, cpu);
    }
    printf ("peak memory: %ld MB\n", s_maxrss_mb ());
    cchc_national_destroy (&nat);
    for (int s = 0; s < 2; s++)
        for (int p = 0; p < structures [s].provinces; p++)
            cchc_key_destroy (&keys [s][p]);
    cchc_db_destroy (&store);
    unlink (path);
    char side [600];
    snprintf (side, sizeof side, "%s-wal", path);
    unlink (side);
    snprintf (side, sizeof side, "%s-shm", path);
    unlink (side);
    return status;
}
