/*  bench.c — cchc-bench-collector: drives a real cchc-collector over loopback
    with many simulated agents and compares its ingest rate with a
    single-thread signature-verification loop over the same bytes, measured
    in the same run.

    Set-up (not timed): a scratch state folder, one unit and one enrolled
    key per agent, every report encoded and signed in advance (30
    observations each by default, each on its own (metric, day)).  Timed: the
    agents (one DEALER each, a window of reports in flight each) send every
    report and wait for its ack, which the collector sends only after the
    commit.  The acks are decoded, not verified (verifying them would spend
    the benchmark's CPU on the client side).

    Prints messages/s, observations/s, p50/p99 ack latency, the CPU µs per
    report of every collector thread and of the client, the single-thread
    crypto_sign_verify_detached rate over the same signed bytes and its CPU
    µs per report, and two ratios: the efficiency (collector CPU per report
    / verify CPU per report: 1 would be a collector that does nothing but
    check the signature) and ingest / single-thread verify rate.

    --obs N: observations per report (1..128: metric k % 32 of the list
    below, day s * 4 + k / 32 of report s).  --days N: each agent's reports
    go round N days instead (day (s % N) * 4 + k / 32): from the (N+1)th
    report on, each replaces the values an older report of the agent stored
    (a higher seq wins), the way a running agent re-sends today's figures
    all day long (--days 1) — what a province's collector mostly sees,
    where the default measures new figures only (a backlog after an
    outage).  --rate N: the timed reports are
    sent at N reports/s in all (open loop: a report is due every 1/N s, to
    the next agent with room in its window), not as fast as the acks come
    back; the ack latencies then say what a sender sees at that load (run
    once without it to find the maximum, then at half of it).  --curve: CurveZMQ on the
    agents' connections (the collector's transport key made in advance, each
    agent's the X25519 form of its signing key, enrolled).  --caps N: the
    reports' "caps" (default 3, what cchc-agent announces: "high" and
    batch-signed acks, PROTOCOL.md §7.1; 1: every ack signed alone).  The
    warm-up's acks are verified with the collector key, through their
    proofs when batch-signed.

    Usage: cchc-bench-collector [--agents N] [--messages N] [--window N]
                                [--obs N] [--days N] [--rate N] [--verifiers N] [--batch N]
                                [--synchronous full|normal] [--collector PATH]
                                [--caps N] [--curve] [--keep]
*/
#include "collector/db/db.h"

#include "common/clock.h"
#include "common/key.h"
#include "common/period.h"
#include "common/text.h"
#include "tests/collector/metrics.h"
#include "proto/proto.h"
#include "proto/wire.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <sodium.h>
#include <zmq.h>

#ifndef CCHC_COLLECTOR_BIN
#define CCHC_COLLECTOR_BIN "cchc-collector"
#endif
#ifndef CCHC_SOURCE_DIR
#define CCHC_SOURCE_DIR "."
#endif

static const char *s_metrics [] = { CCHC_TEST_METRICS }; /* tests/collector/metrics.h */
#define METRICS_COUNT (sizeof s_metrics / sizeof s_metrics [0])

typedef struct {
    uint8_t *body;
    size_t len;
    uint8_t sig [64];
    double sent_at; /* seconds, monotonic */
} s_msg_t;

typedef struct {
    cchc_key_t *key;
    char unit [CCHC_UNIT_MAX + 1];
    s_msg_t *msgs; /* seq i+1 at index i */
    size_t count;  /* messages of this agent */
    size_t next;   /* next index to send */
    size_t acked;
    void *socket;
} s_agent_t;

static double
s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static pid_t s_child; /* the collector, once started */

static void
s_die (const char *what)
{
    fprintf (stderr, "cchc-bench-collector: %s\n", what);
    if (s_child > 0) {
        kill (s_child, SIGTERM);
        waitpid (s_child, NULL, 0);
    }
    exit (1);
}

static int
s_free_port (void)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr;
    memset (&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd < 0 || bind (fd, (struct sockaddr *) &addr, sizeof addr)
        || getsockname (fd, (struct sockaddr *) &addr, &len))
        s_die ("no free port");
    close (fd);
    return ntohs (addr.sin_port);
}

static int
s_cmp_double (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

static void
s_send (s_agent_t *agent, size_t index)
{
    s_msg_t *msg = &agent->msgs [index];
    msg->sent_at = s_now ();
    if (cchc_wire_send (agent->socket, NULL, 0, cchc_key_public (agent->key), msg->body,
                        msg->len, msg->sig, 0))
        s_die ("send failed");
}

/*  The timed phase's counts. */
typedef struct {
    double *latency;
    size_t nlatency;
    size_t acked;
    size_t not_accepted;
    bool paced; /* --rate: acks do not send the next report */
} s_run_t;

/*  Take every ack waiting on an agent's socket, sending its next report for
    each; ZMQ_FD only says "look": ZMQ_EVENTS is read until no input is
    left (sending may have taken the fd's signal). */
static void
s_drain (s_run_t *run, s_agent_t *agent)
{
    for (;;) {
        int events = 0;
        size_t len = sizeof events;
        if (zmq_getsockopt (agent->socket, ZMQ_EVENTS, &events, &len)
            || !(events & ZMQ_POLLIN))
            return;
        cchc_wire_msg_t msg;
        while (cchc_wire_recv (agent->socket, false, ZMQ_DONTWAIT, &msg) == 0) {
            cchc_ack_t ack;
            if (cchc_ack_decode (msg.body, msg.body_len, &ack) == 0) {
                if (ack.seq >= 1 && ack.seq <= agent->count) {
                    double now = s_now ();
                    run->latency [run->nlatency++] = now - agent->msgs [ack.seq - 1].sent_at;
                    if (ack.status != CCHC_STATUS_ACCEPTED)
                        run->not_accepted++;
                    agent->acked++;
                    run->acked++;
                    if (!run->paced && agent->next < agent->count)
                        s_send (agent, agent->next++);
                }
                cchc_ack_clear (&ack);
            }
            cchc_wire_msg_clear (&msg);
        }
    }
}

/*  CPU seconds (user + system) used so far by each thread of process `pid`,
    summed per thread name (cchc-writer, cchc-verify, ...).  Read before and
    after the timed phase to see which stage is busy. */
#define CPU_NAMES 16
typedef struct {
    char name [CPU_NAMES][32];
    double secs [CPU_NAMES];
    size_t count;
} s_cpu_t;

static void
s_cpu_read (pid_t pid, s_cpu_t *cpu)
{
    memset (cpu, 0, sizeof *cpu);
    char path [64];
    snprintf (path, sizeof path, "/proc/%d/task", (int) pid);
    DIR *dir = opendir (path);
    if (!dir)
        return;
    long ticks = sysconf (_SC_CLK_TCK);
    struct dirent *entry;
    while ((entry = readdir (dir))) {
        if (entry->d_name [0] == '.')
            continue;
        char stat_path [400], line [1024];
        snprintf (stat_path, sizeof stat_path, "%s/%s/stat", path, entry->d_name);
        FILE *file = fopen (stat_path, "r");
        if (!file)
            continue;
        size_t len = fread (line, 1, sizeof line - 1, file);
        fclose (file);
        line [len] = 0;
        char *open = strchr (line, '('), *close = strrchr (line, ')');
        if (!open || !close)
            continue;
        char name [32];
        snprintf (name, sizeof name, "%.*s", (int) (close - open - 1), open + 1);
        /*  After ")": state, then fields 4.. ; utime and stime are 14, 15. */
        unsigned long utime = 0, stime = 0;
        if (sscanf (close + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime,
                    &stime)
            != 2)
            continue;
        size_t i;
        for (i = 0; i < cpu->count && strcmp (cpu->name [i], name); i++)
            ;
        if (i == cpu->count) {
            if (cpu->count == CPU_NAMES)
                continue;
            snprintf (cpu->name [i], sizeof cpu->name [i], "%s", name);
            cpu->count++;
        }
        cpu->secs [i] += (double) (utime + stime) / (double) ticks;
    }
    closedir (dir);
}

static double
s_load (void)
{
    double load = 0;
    FILE *file = fopen ("/proc/loadavg", "r");
    if (file) {
        if (fscanf (file, "%lf", &load) != 1)
            load = 0;
        fclose (file);
    }
    return load;
}

/*  CPU seconds of the calling thread. */
static double
s_thread_cpu (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static double
s_self_cpu (void)
{
    struct rusage usage;
    getrusage (RUSAGE_SELF, &usage);
    return (double) usage.ru_utime.tv_sec + (double) usage.ru_utime.tv_usec / 1e6
           + (double) usage.ru_stime.tv_sec + (double) usage.ru_stime.tv_usec / 1e6;
}

/*  The size of a file, 0 if it is not there. */
static off_t
s_file_size (const char *path)
{
    struct stat st;
    return stat (path, &st) == 0 ? st.st_size : 0;
}

/*  The WAL's largest size seen (sampled as acks come in; a WAL that never
    starts over grows through the whole run). */
static void
s_wal_sample (const char *path, off_t *max)
{
    off_t size = s_file_size (path);
    if (size > *max)
        *max = size;
}

int
main (int argc, char **argv)
{
    size_t nagents = 100, nmessages = 40000, window = 8, nobs = 30, ndays = 0;
    uint32_t caps = CCHC_CAP_HIGH | CCHC_CAP_BATCH;
    double pace = 0;
    int verifiers = 2, batch = 256;
    const char *collector = CCHC_COLLECTOR_BIN, *synchronous = "full";
    bool keep = false, curve = false;
    for (int i = 1; i < argc; i++) {
        const char *val = i + 1 < argc ? argv [i + 1] : NULL;
        if (strcmp (argv [i], "--keep") == 0) {
            keep = true;
            continue;
        }
        if (strcmp (argv [i], "--curve") == 0) {
            curve = true;
            continue;
        }
        if (!val)
            s_die ("usage: see the comment at the top of bench/collector/bench.c");
        i++;
        if (strcmp (argv [i - 1], "--agents") == 0)
            nagents = strtoul (val, NULL, 10);
        else if (strcmp (argv [i - 1], "--messages") == 0)
            nmessages = strtoul (val, NULL, 10);
        else if (strcmp (argv [i - 1], "--window") == 0)
            window = strtoul (val, NULL, 10);
        else if (strcmp (argv [i - 1], "--obs") == 0)
            nobs = strtoul (val, NULL, 10);
        else if (strcmp (argv [i - 1], "--days") == 0)
            ndays = strtoul (val, NULL, 10);
        else if (strcmp (argv [i - 1], "--rate") == 0)
            pace = strtod (val, NULL);
        else if (strcmp (argv [i - 1], "--verifiers") == 0)
            verifiers = atoi (val);
        else if (strcmp (argv [i - 1], "--batch") == 0)
            batch = atoi (val);
        else if (strcmp (argv [i - 1], "--synchronous") == 0)
            synchronous = val;
        else if (strcmp (argv [i - 1], "--collector") == 0)
            collector = val;
        else if (strcmp (argv [i - 1], "--caps") == 0)
            caps = (uint32_t) strtoul (val, NULL, 10);
        else
            s_die ("unknown option");
    }
    if (!nagents || nagents > 999 || nmessages < nagents || !window || !nobs
        || nobs > 4 * METRICS_COUNT || ndays > 100000 || pace < 0 || pace > 1e6)
        s_die ("bad numbers: 1..999 agents, messages >= agents, 1..128 observations, "
               "rate 0..1000000");
    if (sodium_init () < 0)
        s_die ("libsodium");

    /*  1. State: units, keys, enrolment. */
    char dir [] = "/tmp/cchc-bench-collector.XXXXXX";
    if (!mkdtemp (dir))
        s_die ("mkdtemp");
    char db_path [256], err [4096] = "";
    snprintf (db_path, sizeof db_path, "%s/collector.db", dir);
    cchc_db_t *store = cchc_db_open (db_path, true, err, sizeof err);
    if (!store)
        s_die (err);
    cchc_db_unit_t *units = calloc (nagents + 1, sizeof *units);
    snprintf (units [0].code, sizeof units [0].code, "08");
    snprintf (units [0].name, sizeof units [0].name, "Tỉnh");
    snprintf (units [0].kind, sizeof units [0].kind, "Tỉnh");
    snprintf (units [0].level, sizeof units [0].level, "tinh");
    for (size_t i = 1; i <= nagents; i++) {
        snprintf (units [i].code, sizeof units [i].code, "B%03d", (int) (i % 1000));
        snprintf (units [i].name, sizeof units [i].name, "Đơn vị %zu", i);
        snprintf (units [i].kind, sizeof units [i].kind, "Sở");
        snprintf (units [i].level, sizeof units [i].level, "so");
        snprintf (units [i].parent, sizeof units [i].parent, "08");
        snprintf (units [i].where, sizeof units [i].where, "bench:%zu", i);
    }
    cchc_db_import_t imported;
    if (cchc_db_units_import (store, units, nagents + 1, 0, 0, false, &imported, err,
                              sizeof err))
        s_die (err);
    free (units);

    s_agent_t *agents = calloc (nagents, sizeof *agents);
    cchc_date_t base = cchc_date_from_ymd (2010, 1, 1);
    int64_t now_ms = cchc_clock_now_ms ();
    size_t total_obs = 0;
    for (size_t a = 0; a < nagents; a++) {
        s_agent_t *agent = &agents [a];
        agent->key = cchc_key_new ();
        snprintf (agent->unit, sizeof agent->unit, "B%03d", (int) ((a + 1) % 1000));
        if (cchc_db_agent_enroll (store, cchc_key_public (agent->key), agent->unit, "bench",
                                  now_ms, err, sizeof err)
            < 0)
            s_die (err);
        agent->count = nmessages / nagents + (a < nmessages % nagents);
        agent->msgs = calloc (agent->count, sizeof *agent->msgs);
        cchc_report_t report;
        memset (&report, 0, sizeof report);
        memcpy (report.agent, cchc_key_public (agent->key), 32);
        memcpy (report.unit, agent->unit, sizeof report.unit);
        report.created_ms = (uint64_t) now_ms;
        report.caps = caps;
        report.nobs = (uint32_t) nobs;
        report.obs = calloc (nobs, sizeof *report.obs);
        for (size_t s = 0; s < agent->count; s++) {
            report.seq = s + 1;
            for (size_t k = 0; k < nobs; k++) {
                cchc_strlcpy (report.obs [k].metric, s_metrics [k % METRICS_COUNT],
                              CCHC_METRIC_MAX + 1);
                size_t day = ndays ? s % ndays : s;
                report.obs [k].date = base + (cchc_date_t) (day * 4 + k / METRICS_COUNT);
                report.obs [k].ival = (int64_t) randombytes_uniform (100000);
            }
            if (cchc_report_encode (&report, &agent->msgs [s].body, &agent->msgs [s].len))
                s_die ("encode");
            cchc_proto_sign (CCHC_KIND_REPORT, agent->key, agent->msgs [s].body,
                             agent->msgs [s].len, agent->msgs [s].sig);
            total_obs += nobs;
        }
        free (report.obs);
    }
    cchc_db_destroy (&store);
    /*  The collector's key (its transport key too), made here so the agents
        know it before it starts. */
    cchc_key_t *server = cchc_key_new ();
    char key_path [300], pub_path [310];
    snprintf (key_path, sizeof key_path, "%s/collector.key", dir);
    snprintf (pub_path, sizeof pub_path, "%s/collector.key.pub", dir);
    if (!server || cchc_key_save (server, key_path, pub_path, err, sizeof err))
        s_die (err [0] ? err : "collector key");

    /*  2. The collector, as a child process. */
    int port = s_free_port ();
    char endpoint [64], bind_set [96], state_set [300], verifiers_set [64], batch_set [64],
        criteria_set [600], sync_set [64];
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", port);
    snprintf (bind_set, sizeof bind_set, "collector.bind=%s", endpoint);
    snprintf (state_set, sizeof state_set, "collector.state_dir=%s", dir);
    snprintf (verifiers_set, sizeof verifiers_set, "collector.verifiers=%d", verifiers);
    snprintf (batch_set, sizeof batch_set, "collector.batch_max=%d", batch);
    snprintf (sync_set, sizeof sync_set, "collector.synchronous=%s", synchronous);
    snprintf (criteria_set, sizeof criteria_set,
              "collector.criteria=%s/data/criteria/default.ini", CCHC_SOURCE_DIR);
    pid_t child = fork ();
    if (child == 0) {
        execl (collector, collector, "--set", bind_set, "--set", state_set, "--set",
               verifiers_set, "--set", batch_set, "--set", criteria_set, "--set", sync_set,
               "--set", "log.level=warn", "--set",
               curve ? "collector.curve=true" : "collector.curve=false", (char *) NULL);
        perror (collector);
        _exit (127);
    }
    s_child = child;
    void *ctx = zmq_ctx_new ();
    zmq_pollitem_t *items = calloc (nagents, sizeof *items);
    for (size_t a = 0; a < nagents; a++) {
        agents [a].socket = zmq_socket (ctx, ZMQ_DEALER);
        int linger = 0;
        zmq_setsockopt (agents [a].socket, ZMQ_LINGER, &linger, sizeof linger);
        if (curve) {
            char server_z85 [41], public_z85 [41], secret_z85 [41];
            if (cchc_key_curve_public_z85 (cchc_key_public (server), server_z85)
                || cchc_key_curve_public_z85 (cchc_key_public (agents [a].key), public_z85)
                || cchc_key_curve_secret_z85 (agents [a].key, secret_z85))
                s_die ("curve keys");
            zmq_setsockopt (agents [a].socket, ZMQ_CURVE_SERVERKEY, server_z85, 40);
            zmq_setsockopt (agents [a].socket, ZMQ_CURVE_PUBLICKEY, public_z85, 40);
            zmq_setsockopt (agents [a].socket, ZMQ_CURVE_SECRETKEY, secret_z85, 40);
            sodium_memzero (secret_z85, sizeof secret_z85);
        }
        zmq_connect (agents [a].socket, endpoint);
        items [a].socket = agents [a].socket;
        items [a].events = ZMQ_POLLIN;
    }

    /*  3. Warm-up: each agent's first report, answered (waits for the start). */
    size_t acked_total = 0;
    double *latency = calloc (nmessages, sizeof *latency);
    size_t nlatency = 0;
    for (size_t a = 0; a < nagents; a++)
        s_send (&agents [a], agents [a].next++);
    size_t warm = 0, warm_batched = 0;
    double give_up = s_now () + 30;
    while (warm < nagents) {
        if (s_now () > give_up)
            s_die ("the collector does not answer");
        if (zmq_poll (items, (int) nagents, 100) <= 0)
            continue;
        for (size_t a = 0; a < nagents; a++) {
            if (!(items [a].revents & ZMQ_POLLIN))
                continue;
            cchc_wire_msg_t msg;
            while (cchc_wire_recv (agents [a].socket, false, ZMQ_DONTWAIT, &msg) == 0) {
                cchc_ack_t ack;
                if (cchc_ack_open_proof (cchc_key_public (server), msg.body, msg.body_len,
                                         msg.sig, msg.proof, msg.nproof, &ack))
                    s_die ("a warm-up ack does not verify");
                else {
                    if (ack.status != CCHC_STATUS_ACCEPTED)
                        s_die ("warm-up report not accepted");
                    agents [a].acked++;
                    warm++;
                    warm_batched += msg.nproof > 0;
                    cchc_ack_clear (&ack);
                }
                cchc_wire_msg_clear (&msg);
            }
        }
    }
    acked_total = warm;
    /*  The timed phase waits with epoll on the sockets' ZMQ_FD: zmq_poll over
        every socket at each wake-up cost the client O(agents) per ack. */
    int epoll = epoll_create1 (0);
    if (epoll == -1)
        s_die ("epoll");
    for (size_t a = 0; a < nagents; a++) {
        int fd;
        size_t fd_len = sizeof fd;
        struct epoll_event event = { .events = EPOLLIN, .data.u64 = a };
        if (zmq_getsockopt (agents [a].socket, ZMQ_FD, &fd, &fd_len)
            || epoll_ctl (epoll, EPOLL_CTL_ADD, fd, &event))
            s_die ("epoll: socket fd");
    }

    /*  4. Timed: every other report, a window in flight per agent. */
    size_t timed = nmessages - warm;
    s_cpu_t cpu_start, cpu_end;
    s_cpu_read (child, &cpu_start);
    double client_cpu = s_self_cpu ();
    double start = s_now ();
    s_run_t run = {
        .latency = latency, .nlatency = nlatency, .acked = acked_total, .paced = pace > 0
    };
    size_t sent = 0, held = 0, turn = 0;
    if (!run.paced)
        for (size_t a = 0; a < nagents; a++)
            for (size_t w = 0; w < window && agents [a].next < agents [a].count; w++)
                s_send (&agents [a], agents [a].next++);
    for (size_t a = 0; a < nagents; a++)
        s_drain (&run, &agents [a]);
    double last_ack = s_now ();
    char wal_path [300];
    snprintf (wal_path, sizeof wal_path, "%s-wal", db_path);
    off_t wal_max = 0;
    while (run.acked < nmessages) {
        int timeout = 1000;
        if (run.paced && sent < timed) {
            /*  Every report due by now, each to the next agent with room. */
            double now = s_now ();
            size_t due = (size_t) ((now - start) * pace) + 1;
            while (sent < due && sent < timed) {
                size_t tried = 0;
                while (tried < nagents
                       && (agents [turn].next >= agents [turn].count
                           || agents [turn].next - agents [turn].acked >= window)) {
                    turn = (turn + 1) % nagents;
                    tried++;
                }
                if (tried == nagents) {
                    held++; /* every window full: late, sent on an ack */
                    break;
                }
                s_send (&agents [turn], agents [turn].next++);
                s_drain (&run, &agents [turn]); /* the send may take the fd's signal */
                turn = (turn + 1) % nagents;
                sent++;
            }
            double next = start + (double) sent / pace;
            timeout = next > now ? (int) ((next - now) * 1e3) + 1 : 1;
        }
        struct epoll_event ready [64];
        int n = epoll_wait (epoll, ready, 64, timeout);
        s_wal_sample (wal_path, &wal_max);
        if (n == -1 && errno == EINTR)
            continue;
        size_t before = run.acked;
        for (int i = 0; i < n; i++)
            s_drain (&run, &agents [ready [i].data.u64]);
        if (run.acked > before)
            last_ack = s_now ();
        else if (s_now () - last_ack > 10)
            s_die ("no ack for 10 s");
    }
    nlatency = run.nlatency;
    size_t not_accepted = run.not_accepted;
    double elapsed = s_now () - start;
    s_cpu_read (child, &cpu_end);
    client_cpu = s_self_cpu () - client_cpu;

    /*  5. Stop the collector and check what it stored. */
    kill (child, SIGTERM);
    int status = 0;
    waitpid (child, &status, 0);
    for (size_t a = 0; a < nagents; a++)
        zmq_close (agents [a].socket);
    zmq_ctx_term (ctx);
    store = cchc_db_open (db_path, false, err, sizeof err);
    long long stored = -1, batches = -1;
    double avg_batch = 0;
    if (store) {
        sqlite3_stmt *stmt;
        if (sqlite3_prepare_v2 (cchc_db_handle (store),
                                "SELECT (SELECT count(*) FROM journal),"
                                " (SELECT value FROM stats WHERE name = 'batches'),"
                                " (SELECT value FROM stats WHERE name = 'batch.avg')",
                                -1, &stmt, NULL)
                == SQLITE_OK
            && sqlite3_step (stmt) == SQLITE_ROW) {
            stored = sqlite3_column_int64 (stmt, 0);
            batches = sqlite3_column_int64 (stmt, 1);
            avg_batch = sqlite3_column_double (stmt, 2);
        }
        sqlite3_finalize (stmt);
        cchc_db_destroy (&store);
    }

    /*  6. The reference: one thread verifying the same signed bytes. */
    size_t prefix = strlen ("cchc/v1/report") + 1;
    uint8_t *buf = malloc (prefix + CCHC_PROTO_BODY_MAX);
    memcpy (buf, "cchc/v1/report", prefix);
    size_t verified = 0, bad = 0;
    double vstart = s_now (), vcpu_start = s_thread_cpu ();
    for (size_t a = 0; a < nagents; a++)
        for (size_t s = 0; s < agents [a].count; s++) {
            s_msg_t *msg = &agents [a].msgs [s];
            memcpy (buf + prefix, msg->body, msg->len);
            if (crypto_sign_verify_detached (msg->sig, buf, prefix + msg->len,
                                             cchc_key_public (agents [a].key))
                != 0)
                bad++;
            verified++;
        }
    double velapsed = s_now () - vstart;
    double vcpu = (s_thread_cpu () - vcpu_start) * 1e6 / (double) verified;
    free (buf);

    qsort (latency, nlatency, sizeof *latency, s_cmp_double);
    double p50 = nlatency ? latency [nlatency / 2] : 0;
    double p99 = nlatency ? latency [(size_t) ((double) nlatency * 0.99)] : 0;
    double rate = (double) timed / elapsed;
    double vrate = (double) verified / velapsed;
    size_t avg_len = 0;
    for (size_t a = 0; a < nagents; a++)
        avg_len += agents [a].msgs [0].len;
    avg_len /= nagents;

    printf ("cchc-bench-collector: %zu agents, %zu reports x %zu observations "
            "(~%zu bytes each), window %zu per agent, %d verifiers, batch %d, "
            "synchronous=%s, %ld cores\n",
            nagents, nmessages, nobs, avg_len, window, verifiers, batch, synchronous,
            sysconf (_SC_NPROCESSORS_ONLN));
    if (ndays)
        printf ("days:        each agent's reports go round %zu days: most replace stored "
                "values (--days)\n",
                ndays);
    printf ("acks:        caps %u; warm-up acks verified: %zu, %zu of them batch-signed\n",
            caps, warm, warm_batched);
    printf ("ingest:      %.0f messages/s, %.0f observations/s (%zu timed reports in "
            "%.2f s; acks after commit)\n",
            rate, rate * (double) nobs, timed, elapsed);
    printf ("ack latency: p50 %.2f ms, p99 %.2f ms", p50 * 1e3, p99 * 1e3);
    if (pace > 0)
        printf (" (sent at %.0f reports/s; a send found every window full %zu times)", pace,
                held);
    printf ("\n");
    printf ("verify-only: %.0f messages/s, %.1f us CPU per report (single thread, "
            "crypto_sign_verify_detached over the same %zu signed reports)\n",
            vrate, vcpu, verified);
    printf ("ratio:       %.2f (ingest / single-thread verify)\n", rate / vrate);
    printf ("stored:      %lld journal rows (expected %zu), %lld commits, %.1f reports "
            "per commit; not accepted: %zu; collector exit %d\n",
            stored, nmessages, batches, avg_batch, not_accepted,
            WIFEXITED (status) ? WEXITSTATUS (status) : -1);
    printf ("wal:         at most %.1f MB during the run (database %.1f MB after it)\n",
            (double) wal_max / 1e6, (double) s_file_size (db_path) / 1e6);
    printf ("cpu:         per report (us):");
    double collector_cpu = 0;
    for (size_t i = 0; i < cpu_end.count; i++) {
        double before = 0;
        for (size_t k = 0; k < cpu_start.count; k++)
            if (strcmp (cpu_start.name [k], cpu_end.name [i]) == 0)
                before = cpu_start.secs [k];
        double used = cpu_end.secs [i] - before;
        if (used > 0)
            printf (" %s %.0f", cpu_end.name [i], used * 1e6 / (double) timed);
        if (used > 0)
            collector_cpu += used * 1e6 / (double) timed;
    }
    printf (", client (all threads) %.0f; load %.1f\n", client_cpu * 1e6 / (double) timed,
            s_load ());
    printf ("efficiency:  %.2f (collector CPU %.0f us per report / verify CPU %.1f us "
            "per report)%s\n",
            collector_cpu / vcpu, collector_cpu, vcpu, curve ? "; CURVE on" : "; CURVE off");
    (void) total_obs;

    for (size_t a = 0; a < nagents; a++) {
        for (size_t s = 0; s < agents [a].count; s++)
            free (agents [a].msgs [s].body);
        free (agents [a].msgs);
        cchc_key_destroy (&agents [a].key);
    }
    free (agents);
    cchc_key_destroy (&server);
    free (items);
    close (epoll);
    free (latency);
    if (!keep) {
        char cmd [300];
        snprintf (cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system (cmd) != 0)
            fprintf (stderr, "could not remove %s\n", dir);
    }
    else
        printf ("state kept in %s\n", dir);
    bool ok = stored == (long long) nmessages && bad == 0 && not_accepted == 0
              && WIFEXITED (status) && WEXITSTATUS (status) == 0;
    return ok ? 0 : 1;
}
