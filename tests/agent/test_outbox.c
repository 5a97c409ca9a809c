/*  test_outbox.c — the agent's durable outbox: seq persistence across
    reopen, crash safety under SIGKILL, only changed values queued, signed
    byte-identical messages, acks (accepted, duplicate, rejected, per-
    observation refusals, retry_later, seq 0), limits and dead letters. */
#include "tests/test.h"

#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sqlite3.h>

#include "agent/outbox.h"
#include "common/clock.h"
#include "common/key.h"
#include "proto/proto.h"

static char s_dir [256];
static char s_path [300];
static int s_counter = 0;

static void
s_fresh (void)
{
    snprintf (s_path, sizeof s_path, "%s/outbox-%d.db", s_dir, ++s_counter);
}

static cchc_key_t *
s_key (uint8_t fill)
{
    uint8_t seed [32];
    memset (seed, fill, sizeof seed);
    return cchc_key_new_from_seed (seed);
}

static cchc_obs_t
s_obs (const char *metric, int y, int m, int d, int64_t v)
{
    cchc_obs_t o;
    memset (&o, 0, sizeof o);
    snprintf (o.metric, sizeof o.metric, "%s", metric);
    o.date = cchc_date_from_ymd (y, m, d);
    o.ival = v;
    return o;
}

static cchc_obs_t
s_obsf (const char *metric, int y, int m, int d, double v)
{
    cchc_obs_t o = s_obs (metric, y, m, d, 0);
    o.is_float = true;
    o.fval = v;
    return o;
}

static int64_t
s_count (const char *sql)
{
    sqlite3 *db;
    sqlite3_open (s_path, &db);
    sqlite3_stmt *st;
    int64_t v = -1;
    if (sqlite3_prepare_v2 (db, sql, -1, &st, NULL) == SQLITE_OK
        && sqlite3_step (st) == SQLITE_ROW)
        v = sqlite3_column_int64 (st, 0);
    sqlite3_finalize (st);
    sqlite3_close (db);
    return v;
}

static void
test_seq_persists (void)
{
    s_fresh ();
    char err [512];
    cchc_key_t *key = s_key (1);
    cchc_outbox_t *ob = cchc_outbox_open (s_path, true, err, sizeof err);
    CHECK (ob);
    cchc_outbox_stats_t st;
    CHECK (cchc_outbox_stats (ob, &st, err, sizeof err) == 0);
    /*  A fresh outbox starts at the creation time in µs. */
    uint64_t first = st.next_seq;
    CHECK (first >= (uint64_t) cchc_clock_now_ms () * 1000 - 60000000ULL);
    cchc_obs_t o = s_obs ("tthc_received", 2021, 3, 1, 5);
    CHECK (cchc_outbox_observe (ob, &o, 1, 1000, NULL, err, sizeof err) == 0);
    uint64_t seq1 = 0, seq2 = 0;
    CHECK_EQ_INT (cchc_outbox_freeze (ob, key, "SNV", 100, 2000, &seq1, err, sizeof err), 1);
    CHECK_EQ_INT (seq1, first);
    /*  Nothing pending: no message, no seq used. */
    CHECK_EQ_INT (cchc_outbox_freeze (ob, key, "SNV", 100, 2000, &seq2, err, sizeof err), 0);
    cchc_outbox_destroy (&ob);
    CHECK (ob == NULL);

    ob = cchc_outbox_open (s_path, false, err, sizeof err);
    CHECK (ob);
    o.ival = 6;
    CHECK (cchc_outbox_observe (ob, &o, 1, 3000, NULL, err, sizeof err) == 0);
    CHECK_EQ_INT (cchc_outbox_freeze (ob, key, "SNV", 100, 4000, &seq2, err, sizeof err), 1);
    CHECK_EQ_INT (seq2, seq1 + 1);
    /*  Delivering everything does not reset the counter. */
    cchc_ack_t ack;
    memset (&ack, 0, sizeof ack);
    ack.status = CCHC_STATUS_ACCEPTED;
    cchc_outbox_ack_outcome_t out;
    ack.seq = seq1;
    CHECK (cchc_outbox_ack (ob, &ack, 5000, &out, NULL, err, sizeof err) == 0);
    ack.seq = seq2;
    CHECK (cchc_outbox_ack (ob, &ack, 5000, &out, NULL, err, sizeof err) == 0);
    cchc_outbox_destroy (&ob);
    ob = cchc_outbox_open (s_path, false, err, sizeof err);
    CHECK (ob);
    CHECK (cchc_outbox_stats (ob, &st, err, sizeof err) == 0);
    CHECK_EQ_INT (st.next_seq, seq2 + 1);
    CHECK_EQ_INT (st.messages, 0);
    cchc_outbox_destroy (&ob);
    cchc_key_destroy (&key);
}

static void
test_open_missing (void)
{
    char err [512];
    char path [400];
    snprintf (path, sizeof path, "%s/nope/outbox.db", s_dir);
    cchc_outbox_t *ob = cchc_outbox_open (path, true, err, sizeof err);
    CHECK (ob == NULL);
    CHECK (strstr (err, "outbox") != NULL);
    snprintf (path, sizeof path, "%s/absent.db", s_dir);
    ob = cchc_outbox_open (path, false, err, sizeof err);
    CHECK (ob == NULL);
}

static void
test_only_changed (void)
{
    s_fresh ();
    char err [512];
    cchc_outbox_t *ob = cchc_outbox_open (s_path, true, err, sizeof err);
    CHECK (ob);
    cchc_key_t *key = s_key (2);
    cchc_obs_t obs [3] = {
        s_obs ("tthc_received", 2021, 3, 1, 10),
        s_obs ("tthc_received", 2021, 3, 2, 20),
        s_obsf ("survey_satisfied", 2021, 3, 1, 0.5),
    };
    size_t queued;
    CHECK (cchc_outbox_observe (ob, obs, 3, 1000, &queued, err, sizeof err) == 0);
    CHECK_EQ_INT (queued, 3);
    /*  The same values again: nothing. */
    CHECK (cchc_outbox_observe (ob, obs, 3, 1001, &queued, err, sizeof err) == 0);
    CHECK_EQ_INT (queued, 0);
    uint64_t seq;
    CHECK_EQ_INT (cchc_outbox_freeze (ob, key, "SNV", 100, 1002, &seq, err, sizeof err), 1);
    /*  After freezing, still remembered: nothing new. */
    CHECK (cchc_outbox_observe (ob, obs, 3, 1003, &queued, err, sizeof err) == 0);
    CHECK_EQ_INT (queued, 0);
    /*  An int 10 and a float 10.0 are different values. */
    cchc_obs_t f = s_obsf ("tthc_received", 2021, 3, 1, 10.0);
    CHECK (cchc_outbox_observe (ob, &f, 1, 1004, &queued, err, sizeof err) == 0);
    CHECK_EQ_INT (queued, 1);
    /*  A change before freezing replaces the pending value. */
    cchc_obs_t c = s_obs ("tthc_received", 2021, 3, 2, 21);
    CHECK (cchc_outbox_observe (ob, &c, 1, 1005, &queued, err, sizeof err) == 0);
    CHECK_EQ_INT (queued, 1);
    c.ival = 22;
    CHECK (cchc_outbox_observe (ob, &c, 1, 1006, &queued, err, sizeof err) == 0);
    CHECK_EQ_INT (queued, 1);
    cchc_outbox_stats_t st;
    CHECK (cchc_outbox_stats (ob, &st, err, sizeof err) == 0);
    CHECK_EQ_INT (st.pending, 2);
    CHECK_EQ_INT (st.messages, 1);
    CHECK_EQ_INT (st.message_obs, 3);
    CHECK_EQ_INT (st.oldest_ms, 1000);
    /*  Back to an earlier value is a change too (a correction). */
    c.ival = 20;
    CHECK (cchc_outbox_observe (ob, &c, 1, 1007, &queued, err, sizeof err) == 0);
    CHECK_EQ_INT (queued, 1);
    CHECK_EQ_INT (
        s_count ("SELECT value FROM pending WHERE metric='tthc_received' AND day=20210302"),
        20);
    /*  Invalid input fails the whole call. */
    cchc_obs_t bad [2] = { s_obs ("tthc_received", 2021, 3, 3, 1),
                           s_obs ("Bad-Code", 2021, 3, 3, 1) };
    CHECK (cchc_outbox_observe (ob, bad, 2, 1008, &queued, err, sizeof err) == -1);
    CHECK (strstr (err, "Bad-Code"));
    cchc_obs_t nan = s_obsf ("tthc_received", 2021, 3, 3, NAN);
    CHECK (cchc_outbox_observe (ob, &nan, 1, 1008, &queued, err, sizeof err) == -1);
    CHECK_EQ_INT (s_count ("SELECT count(*) FROM pending WHERE day=20210303"), 0);
    cchc_outbox_destroy (&ob);
    cchc_key_destroy (&key);
}

static void
test_freeze_signed_identical (void)
{
    s_fresh ();
    char err [512];
    cchc_outbox_t *ob = cchc_outbox_open (s_path, true, err, sizeof err);
    CHECK (ob);
    cchc_key_t *key = s_key (3);
    cchc_obs_t obs [25];
    for (int i = 0; i < 25; i++)
        obs [i] = s_obs ("tthc_resolved", 2021, 1, 1 + i, 100 + i);
    CHECK (cchc_outbox_observe (ob, obs, 25, 1000, NULL, err, sizeof err) == 0);
    uint64_t seqs [3];
    for (int i = 0; i < 3; i++)
        CHECK_EQ_INT (
            cchc_outbox_freeze (ob, key, "SNV", 10, 2000 + i, &seqs [i], err, sizeof err), 1);
    CHECK_EQ_INT (seqs [1], seqs [0] + 1);
    CHECK_EQ_INT (seqs [2], seqs [0] + 2);
    /*  Messages are 10, 10, 5 observations, oldest first, and verify. */
    cchc_outbox_msg_t m1, m2;
    CHECK_EQ_INT (cchc_outbox_next (ob, 0, &m1, err, sizeof err), 1);
    CHECK_EQ_INT (m1.seq, seqs [0]);
    CHECK_EQ_INT (m1.nobs, 10);
    cchc_report_t r;
    CHECK_EQ_INT (cchc_report_open (cchc_key_public (key), m1.body, m1.len, m1.sig, &r),
                  CCHC_REASON_NONE);
    CHECK_EQ_INT (r.seq, seqs [0]);
    CHECK_EQ_STR (r.unit, "SNV");
    CHECK_EQ_INT (r.nobs, 10);
    CHECK_EQ_INT (r.obs [0].ival, 100);
    CHECK_EQ_INT (r.obs [9].ival, 109);
    CHECK_EQ_INT (r.created_ms, 2000);
    cchc_report_clear (&r);
    /*  Read again: the very same bytes. */
    CHECK_EQ_INT (cchc_outbox_next (ob, 0, &m2, err, sizeof err), 1);
    CHECK (m1.len == m2.len && memcmp (m1.body, m2.body, m1.len) == 0);
    CHECK (memcmp (m1.sig, m2.sig, 64) == 0);
    cchc_outbox_msg_clear (&m2);
    CHECK_EQ_INT (cchc_outbox_next (ob, seqs [1], &m2, err, sizeof err), 1);
    CHECK_EQ_INT (m2.seq, seqs [2]);
    CHECK_EQ_INT (m2.nobs, 5);
    cchc_outbox_msg_clear (&m2);
    CHECK_EQ_INT (cchc_outbox_next (ob, seqs [2], &m2, err, sizeof err), 0);
    cchc_outbox_msg_clear (&m1);
    cchc_outbox_destroy (&ob);
    cchc_key_destroy (&key);
}

static void
test_acks (void)
{
    s_fresh ();
    char err [512];
    cchc_outbox_t *ob = cchc_outbox_open (s_path, true, err, sizeof err);
    CHECK (ob);
    cchc_key_t *key = s_key (4);
    uint64_t seq [5];
    for (int i = 0; i < 5; i++) {
        cchc_obs_t obs [3] = {
            s_obs ("tthc_received", 2021, 2, 1 + i, i),
            s_obs ("tthc_resolved", 2021, 2, 1 + i, i),
            s_obs ("nonsense_metric", 2021, 2, 1 + i, i),
        };
        CHECK (cchc_outbox_observe (ob, obs, 3, 1000, NULL, err, sizeof err) == 0);
        CHECK_EQ_INT (
            cchc_outbox_freeze (ob, key, "SNV", 100, 1000, &seq [i], err, sizeof err), 1);
    }
    cchc_ack_t ack;
    memset (&ack, 0, sizeof ack);
    cchc_outbox_ack_outcome_t out;
    uint32_t dead;
    /*  seq 0 never deletes anything. */
    ack.seq = 0;
    ack.status = CCHC_STATUS_REJECTED;
    ack.reason = CCHC_REASON_UNKNOWN_AGENT;
    CHECK (cchc_outbox_ack (ob, &ack, 2000, &out, &dead, err, sizeof err) == 0);
    CHECK_EQ_INT (out, CCHC_OUTBOX_ACK_IGNORED);
    /*  retry_later keeps it. */
    ack.seq = seq [0];
    ack.status = CCHC_STATUS_RETRY_LATER;
    ack.reason = CCHC_REASON_BUSY;
    CHECK (cchc_outbox_ack (ob, &ack, 2000, &out, &dead, err, sizeof err) == 0);
    CHECK_EQ_INT (out, CCHC_OUTBOX_ACK_RETRY);
    CHECK_EQ_INT (s_count ("SELECT count(*) FROM message"), 5);
    /*  accepted, with one observation refused. */
    cchc_obs_reject_t rej = { 2, CCHC_REASON_UNKNOWN_METRIC };
    ack.status = CCHC_STATUS_ACCEPTED;
    ack.reason = 0;
    ack.nrejected = 1;
    ack.rejected = &rej;
    CHECK (cchc_outbox_ack (ob, &ack, 2001, &out, &dead, err, sizeof err) == 0);
    CHECK_EQ_INT (out, CCHC_OUTBOX_ACK_DELIVERED);
    CHECK_EQ_INT (dead, 1);
    CHECK_EQ_INT (
        s_count ("SELECT count(*) FROM dead WHERE metric='nonsense_metric' AND reason=37"), 1);
    /*  The same ack again: the message is gone. */
    CHECK (cchc_outbox_ack (ob, &ack, 2002, &out, &dead, err, sizeof err) == 0);
    CHECK_EQ_INT (out, CCHC_OUTBOX_ACK_UNKNOWN);
    CHECK_EQ_INT (s_count ("SELECT count(*) FROM dead"), 1);
    /*  duplicate deletes. */
    ack.nrejected = 0;
    ack.rejected = NULL;
    ack.seq = seq [1];
    ack.status = CCHC_STATUS_DUPLICATE;
    CHECK (cchc_outbox_ack (ob, &ack, 2003, &out, &dead, err, sizeof err) == 0);
    CHECK_EQ_INT (out, CCHC_OUTBOX_ACK_DELIVERED);
    /*  rejected: every observation to dead letters, message gone. */
    ack.seq = seq [2];
    ack.status = CCHC_STATUS_REJECTED;
    ack.reason = CCHC_REASON_UNIT_MISMATCH;
    CHECK (cchc_outbox_ack (ob, &ack, 2004, &out, &dead, err, sizeof err) == 0);
    CHECK_EQ_INT (out, CCHC_OUTBOX_ACK_DEAD);
    CHECK_EQ_INT (dead, 3);
    CHECK_EQ_INT (s_count ("SELECT count(*) FROM dead WHERE reason=34"), 3);
    /*  An unknown status deletes nothing. */
    ack.seq = seq [3];
    ack.status = 9;
    CHECK (cchc_outbox_ack (ob, &ack, 2005, &out, &dead, err, sizeof err) == 0);
    CHECK_EQ_INT (out, CCHC_OUTBOX_ACK_IGNORED);
    /*  An out-of-range rejected index is ignored, the message delivered. */
    cchc_obs_reject_t rej2 = { 77, CCHC_REASON_UNKNOWN_METRIC };
    ack.status = CCHC_STATUS_ACCEPTED;
    ack.nrejected = 1;
    ack.rejected = &rej2;
    CHECK (cchc_outbox_ack (ob, &ack, 2006, &out, &dead, err, sizeof err) == 0);
    CHECK_EQ_INT (out, CCHC_OUTBOX_ACK_DELIVERED);
    CHECK_EQ_INT (dead, 0);
    cchc_outbox_stats_t st;
    CHECK (cchc_outbox_stats (ob, &st, err, sizeof err) == 0);
    CHECK_EQ_INT (st.messages, 1);
    CHECK_EQ_INT (st.dead, 4);
    cchc_outbox_destroy (&ob);
    cchc_key_destroy (&key);
}

typedef struct {
    int n;
    int64_t reasons;
} s_dead_seen_t;

static int
s_dead_cb (void *arg, const cchc_outbox_dead_t *d)
{
    s_dead_seen_t *s = arg;
    s->n++;
    s->reasons += d->reason;
    return 0;
}

/*  The caps of the message with seq `seq` (-1 if none or not a report). */
static int64_t
s_msg_caps (cchc_outbox_t *ob, uint64_t seq)
{
    char err [512];
    cchc_outbox_msg_t m;
    memset (&m, 0, sizeof m);
    int64_t caps = -1;
    if (cchc_outbox_next (ob, seq - 1, &m, err, sizeof err) == 1 && m.seq == seq) {
        cchc_report_t r;
        if (cchc_report_decode (m.body, m.len, &r) == CCHC_REASON_NONE) {
            caps = r.caps;
            cchc_report_clear (&r);
        }
    }
    cchc_outbox_msg_clear (&m);
    return caps;
}

/*  Protocol revision 1.2 (issue 13 item 2): an ack's `high` at or above our
    counter moves it above; a superseded observation that is still ours is
    then queued again (it will count), not dead-lettered.  Without `high`
    (a 1.1 collector) it stays a dead letter. */
static void
test_high_water (void)
{
    s_fresh ();
    char err [512];
    cchc_outbox_t *ob = cchc_outbox_open (s_path, true, err, sizeof err);
    CHECK (ob);
    cchc_key_t *key = s_key (6);
    cchc_obs_t obs [2] = {
        s_obs ("docs_sent", 2021, 3, 1, 20),
        s_obs ("tthc_received", 2021, 3, 1, 4),
    };
    CHECK (cchc_outbox_observe (ob, obs, 2, 1000, NULL, err, sizeof err) == 0);
    uint64_t seq;
    CHECK_EQ_INT (cchc_outbox_freeze (ob, key, "SNV", 100, 1000, &seq, err, sizeof err), 1);
    CHECK_EQ_INT (s_msg_caps (ob, seq), CCHC_CAP_HIGH | CCHC_CAP_BATCH);
    cchc_obs_reject_t rej = { 0, CCHC_REASON_SUPERSEDED };
    cchc_ack_t ack;
    memset (&ack, 0, sizeof ack);
    ack.seq = seq;
    ack.status = CCHC_STATUS_ACCEPTED;
    ack.nrejected = 1;
    ack.rejected = &rej;
    ack.has_high = true;
    ack.high = seq + 31536000000000ULL; /* an outbox a year ahead */
    cchc_outbox_ack_outcome_t out;
    uint32_t dead = 9;
    CHECK (cchc_outbox_ack (ob, &ack, 2000, &out, &dead, err, sizeof err) == 0);
    CHECK_EQ_INT (out, CCHC_OUTBOX_ACK_DELIVERED);
    CHECK_EQ_INT (dead, 0);
    CHECK_EQ_INT (s_count ("SELECT count(*) FROM dead"), 0);
    CHECK_EQ_INT (s_count ("SELECT count(*) FROM message"), 0);
    CHECK_EQ_INT (s_count ("SELECT count(*) FROM pending WHERE metric = 'docs_sent' "
                           "AND value = 20"),
                  1);
    CHECK_EQ_INT (s_count ("SELECT count(*) FROM pending"), 1);
    CHECK_EQ_INT (s_count ("SELECT value FROM meta WHERE key = 'next_seq'"),
                  (int64_t) ack.high + 1);
    uint64_t again;
    CHECK_EQ_INT (cchc_outbox_freeze (ob, key, "SNV", 100, 3000, &again, err, sizeof err), 1);
    CHECK_EQ_INT (again, ack.high + 1);
    /*  A `high` below our counter changes nothing. */
    memset (&ack, 0, sizeof ack);
    ack.seq = again;
    ack.status = CCHC_STATUS_ACCEPTED;
    ack.has_high = true;
    ack.high = 5;
    CHECK (cchc_outbox_ack (ob, &ack, 3001, &out, &dead, err, sizeof err) == 0);
    CHECK_EQ_INT (out, CCHC_OUTBOX_ACK_DELIVERED);
    CHECK_EQ_INT (s_count ("SELECT value FROM meta WHERE key = 'next_seq'"),
                  (int64_t) again + 1);
    /*  A 1.1 collector: superseded and no `high` is a dead letter. */
    obs [0].ival = 21;
    CHECK (cchc_outbox_observe (ob, obs, 1, 4000, NULL, err, sizeof err) == 0);
    CHECK_EQ_INT (cchc_outbox_freeze (ob, key, "SNV", 100, 4000, &seq, err, sizeof err), 1);
    memset (&ack, 0, sizeof ack);
    ack.seq = seq;
    ack.status = CCHC_STATUS_ACCEPTED;
    ack.nrejected = 1;
    ack.rejected = &rej;
    CHECK (cchc_outbox_ack (ob, &ack, 4001, &out, &dead, err, sizeof err) == 0);
    CHECK_EQ_INT (dead, 1);
    CHECK_EQ_INT (s_count ("SELECT count(*) FROM dead WHERE reason = 39"), 1);
    CHECK_EQ_INT (s_count ("SELECT count(*) FROM pending"), 0);
    cchc_outbox_destroy (&ob);
    cchc_key_destroy (&key);
}

/*  A collector older than 1.2 refused `caps`: the messages frozen with it
    go back to pending and are made again without it; a day later the
    announcement is tried again. */
static void
test_caps_refused (void)
{
    s_fresh ();
    char err [512];
    cchc_outbox_t *ob = cchc_outbox_open (s_path, true, err, sizeof err);
    CHECK (ob);
    cchc_key_t *key = s_key (7);
    uint64_t seq [2];
    for (int i = 0; i < 2; i++) {
        cchc_obs_t o = s_obs ("docs_sent", 2021, 3, 1 + i, 7 + i);
        CHECK (cchc_outbox_observe (ob, &o, 1, 1000, NULL, err, sizeof err) == 0);
        CHECK_EQ_INT (
            cchc_outbox_freeze (ob, key, "SNV", 100, 1000, &seq [i], err, sizeof err), 1);
    }
    int64_t requeued = -1;
    CHECK (cchc_outbox_caps_refused (ob, 5000, &requeued, err, sizeof err) == 0);
    CHECK_EQ_INT (requeued, 2);
    CHECK_EQ_INT (s_count ("SELECT count(*) FROM message"), 0);
    CHECK_EQ_INT (s_count ("SELECT count(*) FROM pending"), 2);
    uint64_t plain;
    CHECK_EQ_INT (cchc_outbox_freeze (ob, key, "SNV", 100, 6000, &plain, err, sizeof err), 1);
    CHECK (plain > seq [1]);
    CHECK_EQ_INT (s_msg_caps (ob, plain), 0);
    CHECK_EQ_INT (s_count ("SELECT count(*) FROM pending"), 0);
    /*  Nothing frozen with caps: nothing to do. */
    CHECK (cchc_outbox_caps_refused (ob, 7000, &requeued, err, sizeof err) == 0);
    CHECK_EQ_INT (requeued, 0);
    CHECK_EQ_INT (s_count ("SELECT count(*) FROM message"), 1);
    /*  A day later: announced again. */
    cchc_obs_t o = s_obs ("docs_sent", 2021, 3, 3, 9);
    CHECK (cchc_outbox_observe (ob, &o, 1, 8000, NULL, err, sizeof err) == 0);
    uint64_t later;
    CHECK_EQ_INT (cchc_outbox_freeze (ob, key, "SNV", 100, 7000 + 24 * 3600 * 1000LL, &later,
                                      err, sizeof err),
                  1);
    CHECK_EQ_INT (s_msg_caps (ob, later), CCHC_CAP_HIGH | CCHC_CAP_BATCH);
    cchc_outbox_destroy (&ob);
    cchc_key_destroy (&key);
}

static void
test_limits_and_dead (void)
{
    s_fresh ();
    char err [512];
    cchc_outbox_t *ob = cchc_outbox_open (s_path, true, err, sizeof err);
    CHECK (ob);
    cchc_key_t *key = s_key (5);
    for (int i = 0; i < 5; i++) {
        cchc_obs_t o = s_obs ("docs_sent", 2021, 4, 1 + i, i);
        CHECK (cchc_outbox_observe (ob, &o, 1, 1000 + i * 1000, NULL, err, sizeof err) == 0);
        uint64_t seq;
        CHECK_EQ_INT (cchc_outbox_freeze (ob, key, "SNV", 100, 1000, &seq, err, sizeof err),
                      1);
    }
    cchc_obs_t p = s_obs ("docs_sent", 2021, 4, 20, 7);
    CHECK (cchc_outbox_observe (ob, &p, 1, 500, NULL, err, sizeof err) == 0);
    int64_t dropped;
    /*  No limits: nothing dropped, ever. */
    CHECK (cchc_outbox_enforce (ob, 0, 0, 1000000000, &dropped, err, sizeof err) == 0);
    CHECK_EQ_INT (dropped, 0);
    /*  At most 3 messages: the 2 oldest go. */
    CHECK (cchc_outbox_enforce (ob, 3, 0, 10000, &dropped, err, sizeof err) == 0);
    CHECK_EQ_INT (dropped, 2);
    CHECK_EQ_INT (s_count ("SELECT count(*) FROM message"), 3);
    CHECK_EQ_INT (s_count ("SELECT count(*) FROM dead WHERE detail LIKE 'dropped%' AND day IN "
                           "(20210401, 20210402)"),
                  2);
    /*  Age: entries queued before now - max_age go (message queued at 3000,
        pending at 500). */
    CHECK (cchc_outbox_enforce (ob, 0, 6000, 9500, &dropped, err, sizeof err) == 0);
    CHECK_EQ_INT (dropped, 2);
    CHECK_EQ_INT (s_count ("SELECT count(*) FROM message"), 2);
    CHECK_EQ_INT (s_count ("SELECT count(*) FROM pending"), 0);
    s_dead_seen_t seen = { 0, 0 };
    CHECK (cchc_outbox_dead_each (ob, s_dead_cb, &seen, err, sizeof err) == 0);
    CHECK_EQ_INT (seen.n, 4);
    /*  Requeue: dead values go back to pending. */
    int64_t n;
    CHECK (cchc_outbox_dead_clear (ob, true, 20000, &n, err, sizeof err) == 0);
    CHECK_EQ_INT (n, 4);
    CHECK_EQ_INT (s_count ("SELECT count(*) FROM dead"), 0);
    CHECK_EQ_INT (s_count ("SELECT count(*) FROM pending"), 4);
    CHECK_EQ_INT (s_count ("SELECT value FROM pending WHERE day=20210420"), 7);
    /*  Clear without requeue. */
    cchc_ack_t ack;
    memset (&ack, 0, sizeof ack);
    cchc_outbox_msg_t m;
    CHECK_EQ_INT (cchc_outbox_next (ob, 0, &m, err, sizeof err), 1);
    ack.seq = m.seq;
    cchc_outbox_msg_clear (&m);
    ack.status = CCHC_STATUS_REJECTED;
    ack.reason = CCHC_REASON_FUTURE_TIMESTAMP;
    cchc_outbox_ack_outcome_t out;
    CHECK (cchc_outbox_ack (ob, &ack, 2000, &out, NULL, err, sizeof err) == 0);
    CHECK (cchc_outbox_dead_clear (ob, false, 20000, &n, err, sizeof err) == 0);
    CHECK_EQ_INT (n, 1);
    CHECK_EQ_INT (s_count ("SELECT count(*) FROM pending"), 4);
    cchc_outbox_destroy (&ob);
    cchc_key_destroy (&key);
}

static void
test_state_and_sources (void)
{
    s_fresh ();
    char err [512], v [64];
    cchc_outbox_t *ob = cchc_outbox_open (s_path, true, err, sizeof err);
    CHECK (ob);
    CHECK_EQ_INT (cchc_outbox_state_get (ob, "endpoint", v, sizeof v), 0);
    const char *k [] = { "endpoint", "last_ack" };
    const char *val [] = { "tcp://x:1", "123" };
    CHECK (cchc_outbox_state_put (ob, k, val, 2) == 0);
    CHECK_EQ_INT (cchc_outbox_state_get (ob, "endpoint", v, sizeof v), 1);
    CHECK_EQ_STR (v, "tcp://x:1");
    CHECK (cchc_outbox_state_set (ob, "endpoint", "tcp://y:2") == 0);
    CHECK_EQ_INT (cchc_outbox_state_get (ob, "endpoint", v, sizeof v), 1);
    CHECK_EQ_STR (v, "tcp://y:2");
    CHECK (cchc_outbox_source_report (ob, "motcua", true, NULL, 3, 100) == 0);
    CHECK (cchc_outbox_source_report (ob, "motcua", false, "exited with status 2", 0, 200)
           == 0);
    /*  A second handle (e.g. `submit` while the daemon runs) sees it all. */
    cchc_outbox_t *ob2 = cchc_outbox_open (s_path, false, err, sizeof err);
    CHECK (ob2);
    CHECK (cchc_outbox_source_report (ob2, "motcua", true, "1 bad line skipped", 2, 300) == 0);
    cchc_obs_t o = s_obs ("tthc_received", 2021, 5, 5, 1);
    CHECK (cchc_outbox_observe (ob2, &o, 1, 300, NULL, err, sizeof err) == 0);
    cchc_outbox_stats_t st;
    CHECK (cchc_outbox_stats (ob, &st, err, sizeof err) == 0);
    CHECK_EQ_INT (st.pending, 1);
    CHECK_EQ_INT (s_count ("SELECT runs FROM source_state WHERE name='motcua'"), 3);
    CHECK_EQ_INT (s_count ("SELECT obs_total FROM source_state WHERE name='motcua'"), 5);
    CHECK_EQ_INT (s_count ("SELECT last_ok FROM source_state WHERE name='motcua'"), 300);
    CHECK_EQ_INT (s_count ("SELECT last_error_at FROM source_state WHERE name='motcua'"), 300);
    cchc_outbox_destroy (&ob2);
    cchc_outbox_destroy (&ob);
}

/*  A child observes values i = 1, 2, ... for (docs_sent, day i) and
    freezes each into a message, reporting i through a pipe after each
    commit; it is killed with SIGKILL at some point.  After reopening:
    every reported value is in pending or in a message, each exactly once,
    and the seq counter is above every stored seq. */
static void
test_crash_safety (void)
{
    for (int round = 0; round < 3; round++) {
        s_fresh ();
        char err [512];
        cchc_outbox_t *ob = cchc_outbox_open (s_path, true, err, sizeof err);
        CHECK (ob);
        cchc_outbox_destroy (&ob);
        int fds [2];
        CHECK (pipe (fds) == 0);
        pid_t pid = fork ();
        CHECK (pid >= 0);
        if (pid == 0) {
            close (fds [0]);
            cchc_key_t *key = s_key (6);
            cchc_outbox_t *cob = cchc_outbox_open (s_path, false, err, sizeof err);
            for (int i = 1; cob && i < 100000; i++) {
                cchc_obs_t o = s_obs ("docs_sent", 2000, 1, 1, i);
                o.date += i;
                if (cchc_outbox_observe (cob, &o, 1, i, NULL, err, sizeof err) != 0)
                    _exit (3);
                uint64_t seq;
                if (i % 2 == 0
                    && cchc_outbox_freeze (cob, key, "SNV", 3, i, &seq, err, sizeof err) != 1)
                    _exit (4);
                if (write (fds [1], &i, sizeof i) != sizeof i)
                    _exit (5);
            }
            _exit (0);
        }
        close (fds [1]);
        /*  Kill it once it is well under way (a busy machine is slow: wait
            for progress, not for a time), at a point that moves each round. */
        int last = 0, v;
        while (last < 11 && read (fds [0], &v, sizeof v) == sizeof v)
            last = v;
        usleep (50000 + 100000 * round);
        kill (pid, SIGKILL);
        int status;
        waitpid (pid, &status, 0);
        CHECK (WIFSIGNALED (status));
        while (read (fds [0], &v, sizeof v) == sizeof v)
            last = v;
        close (fds [0]);
        CHECK (last > 10);

        ob = cchc_outbox_open (s_path, false, err, sizeof err);
        CHECK (ob);
        /*  Count each (day) across pending and messages. */
        int64_t max_i = last + 1;
        unsigned char *seen = calloc ((size_t) max_i + 2, 1);
        CHECK (seen);
        cchc_outbox_msg_t m;
        uint64_t after = 0, maxseq = 0;
        int rc;
        bool dup = false;
        while ((rc = cchc_outbox_next (ob, after, &m, err, sizeof err)) == 1) {
            cchc_report_t r;
            CHECK_EQ_INT (cchc_report_decode (m.body, m.len, &r), CCHC_REASON_NONE);
            for (uint32_t k = 0; k < r.nobs; k++) {
                int64_t i = r.obs [k].ival;
                if (i >= 1 && i <= max_i) {
                    if (seen [i])
                        dup = true;
                    seen [i] = 1;
                }
            }
            cchc_report_clear (&r);
            after = maxseq = m.seq;
            cchc_outbox_msg_clear (&m);
        }
        CHECK_EQ_INT (rc, 0);
        CHECK (!dup);
        sqlite3 *db;
        sqlite3_open (s_path, &db);
        sqlite3_stmt *st;
        sqlite3_prepare_v2 (db, "SELECT value FROM pending", -1, &st, NULL);
        while (sqlite3_step (st) == SQLITE_ROW) {
            int64_t i = sqlite3_column_int64 (st, 0);
            if (i >= 1 && i <= max_i) {
                if (seen [i])
                    dup = true;
                seen [i] = 1;
            }
        }
        sqlite3_finalize (st);
        sqlite3_close (db);
        CHECK (!dup);
        int missing = 0;
        for (int i = 1; i <= last; i++)
            if (!seen [i])
                missing++;
        free (seen);
        CHECK_EQ_INT (missing, 0);
        cchc_outbox_stats_t sts;
        CHECK (cchc_outbox_stats (ob, &sts, err, sizeof err) == 0);
        CHECK (sts.next_seq > maxseq);
        /*  The outbox still works. */
        cchc_key_t *key = s_key (6);
        cchc_obs_t o = s_obs ("docs_sent", 2021, 1, 1, -1);
        CHECK (cchc_outbox_observe (ob, &o, 1, 1, NULL, err, sizeof err) == 0);
        uint64_t seq;
        CHECK_EQ_INT (cchc_outbox_freeze (ob, key, "SNV", 1000, 1, &seq, err, sizeof err), 1);
        CHECK (seq > maxseq);
        cchc_key_destroy (&key);
        cchc_outbox_destroy (&ob);
    }
}

static int
s_aside_cb (void *arg, const cchc_outbox_aside_t *a)
{
    char *out = arg;
    size_t used = strlen (out);
    snprintf (out + used, 512 - used, "%llu:%s|", (unsigned long long) a->seq, a->reason);
    return 0;
}

static void
s_sql (const char *path, const char *sql)
{
    sqlite3 *db;
    sqlite3_open (path, &db);
    sqlite3_busy_timeout (db, 5000);
    sqlite3_exec (db, sql, NULL, NULL, NULL);
    sqlite3_close (db);
}

/*  Issue 13.1: one damaged row (body emptied, body altered, signature cut)
    must not stop the rest: next() sets it aside with its reason and returns
    the following message; stats count it; dead_clear removes it. */
static void
test_damaged_rows_set_aside (void)
{
    s_fresh ();
    char err [512];
    cchc_outbox_t *ob = cchc_outbox_open (s_path, true, err, sizeof err);
    CHECK (ob);
    cchc_key_t *key = s_key (3);
    uint64_t seqs [6];
    for (int i = 0; i < 6; i++) {
        cchc_obs_t o = s_obs ("docs_sent", 2021, 3, 1 + i, i + 1);
        CHECK (cchc_outbox_observe (ob, &o, 1, 1000, NULL, err, sizeof err) == 0);
        CHECK (cchc_outbox_freeze (ob, key, "SNV", 10, 1000, &seqs [i], err, sizeof err) == 1);
    }
    char sql [300];
    snprintf (
        sql, sizeof sql,
        "UPDATE message SET body = x'' WHERE seq = %llu;"
        "UPDATE message SET body = CAST(replace(CAST(body AS TEXT), 'SNV', 'STP') AS BLOB)"
        " WHERE seq = %llu;"
        "UPDATE message SET sig = zeroblob(64) WHERE seq = %llu;",
        (unsigned long long) seqs [0], (unsigned long long) seqs [2],
        (unsigned long long) seqs [4]);
    s_sql (s_path, sql);
    cchc_outbox_msg_t m;
    CHECK_EQ_INT (cchc_outbox_next (ob, 0, &m, err, sizeof err), 1);
    CHECK (m.seq == seqs [1]);
    CHECK_EQ_INT (m.set_aside, 1);
    CHECK (m.aside_seq == seqs [0]);
    CHECK_EQ_STR (m.aside_reason, "empty body");
    cchc_outbox_msg_clear (&m);
    CHECK_EQ_INT (cchc_outbox_next (ob, seqs [1], &m, err, sizeof err), 1);
    CHECK (m.seq == seqs [3]);
    CHECK_EQ_INT (m.set_aside, 1);
    cchc_outbox_msg_clear (&m);
    CHECK_EQ_INT (cchc_outbox_next (ob, seqs [3], &m, err, sizeof err), 1);
    CHECK (m.seq == seqs [5]);
    cchc_outbox_msg_clear (&m);
    CHECK_EQ_INT (cchc_outbox_next (ob, seqs [5], &m, err, sizeof err), 0);
    cchc_outbox_stats_t st;
    CHECK (cchc_outbox_stats (ob, &st, err, sizeof err) == 0);
    CHECK_EQ_INT (st.aside, 3);
    CHECK_EQ_INT (st.messages, 3);
    char list [512] = "";
    CHECK (cchc_outbox_aside_each (ob, s_aside_cb, list, err, sizeof err) == 0);
    char want [512];
    snprintf (want, sizeof want,
              "%llu:empty body|%llu:signature does not verify|"
              "%llu:signature does not verify|",
              (unsigned long long) seqs [0], (unsigned long long) seqs [2],
              (unsigned long long) seqs [4]);
    CHECK_EQ_STR (list, want);
    /*  Kept across reopen; --requeue keeps them, --clear removes them. */
    cchc_outbox_destroy (&ob);
    ob = cchc_outbox_open (s_path, false, err, sizeof err);
    CHECK (ob);
    int64_t n;
    CHECK (cchc_outbox_dead_clear (ob, true, 2000, &n, err, sizeof err) == 0);
    CHECK (cchc_outbox_stats (ob, &st, err, sizeof err) == 0);
    CHECK_EQ_INT (st.aside, 3);
    CHECK (cchc_outbox_dead_clear (ob, false, 2000, &n, err, sizeof err) == 0);
    CHECK_EQ_INT (n, 3);
    CHECK (cchc_outbox_stats (ob, &st, err, sizeof err) == 0);
    CHECK_EQ_INT (st.aside, 0);
    cchc_outbox_destroy (&ob);
    cchc_key_destroy (&key);
}

/*  Issue 13.1: a truncated (0-byte) outbox is refused, not silently
    re-created empty; a damaged file fails the integrity check at open. */
static void
test_open_refuses_damage (void)
{
    s_fresh ();
    char err [1024];
    cchc_outbox_t *ob = cchc_outbox_open (s_path, true, err, sizeof err);
    CHECK (ob);
    cchc_key_t *key = s_key (4);
    for (int i = 0; i < 200; i++) {
        cchc_obs_t o = s_obs ("docs_sent", 2021, 1, 1, i + 1);
        o.date += i;
        uint64_t seq;
        CHECK (cchc_outbox_observe (ob, &o, 1, 1000, NULL, err, sizeof err) == 0);
        CHECK (cchc_outbox_freeze (ob, key, "SNV", 10, 1000, &seq, err, sizeof err) == 1);
    }
    cchc_outbox_destroy (&ob);
    s_sql (s_path, "PRAGMA wal_checkpoint(TRUNCATE)");
    /*  Damage: overwrite page 3 onwards with a pattern. */
    FILE *f = fopen (s_path, "r+b");
    CHECK (f);
    fseek (f, 2 * 4096 + 100, SEEK_SET);
    for (int i = 0; i < 8000; i++)
        fputc (0x5a, f);
    fclose (f);
    ob = cchc_outbox_open (s_path, false, err, sizeof err);
    CHECK (!ob);
    CHECK (strstr (err, "DAMAGED") != NULL);
    /*  Truncated to 0 bytes: refused, create or not, and left as it is. */
    f = fopen (s_path, "wb");
    CHECK (f);
    fclose (f);
    char wal [400];
    snprintf (wal, sizeof wal, "%s-wal", s_path);
    unlink (wal);
    ob = cchc_outbox_open (s_path, true, err, sizeof err);
    CHECK (!ob);
    CHECK (strstr (err, "0 bytes") != NULL);
    FILE *g = fopen (s_path, "rb");
    CHECK (g);
    fseek (g, 0, SEEK_END);
    CHECK_EQ_INT (ftell (g), 0);
    fclose (g);
    cchc_key_destroy (&key);
}

int
main (void)
{
    snprintf (s_dir, sizeof s_dir, "/tmp/cchc-test-outbox-XXXXXX");
    if (!mkdtemp (s_dir)) {
        perror ("mkdtemp");
        return 1;
    }
    CCHC_TEST_RUN (test_seq_persists);
    CCHC_TEST_RUN (test_open_missing);
    CCHC_TEST_RUN (test_only_changed);
    CCHC_TEST_RUN (test_freeze_signed_identical);
    CCHC_TEST_RUN (test_acks);
    CCHC_TEST_RUN (test_high_water);
    CCHC_TEST_RUN (test_caps_refused);
    CCHC_TEST_RUN (test_limits_and_dead);
    CCHC_TEST_RUN (test_state_and_sources);
    CCHC_TEST_RUN (test_crash_safety);
    CCHC_TEST_RUN (test_damaged_rows_set_aside);
    CCHC_TEST_RUN (test_open_refuses_damage);
    char cmd [400];
    snprintf (cmd, sizeof cmd, "rm -rf '%s'", s_dir);
    if (system (cmd) != 0)
        fprintf (stderr, "cannot remove %s\n", s_dir);
    return CCHC_TEST_DONE ();
}
