/*  fixture.c — the hand-computed test province (fixture.h).

    Catalogue: tests/rollup/small.ini (40 points: online_resolved 10,
    apology 5, workfiles 10, services 5 (so, huyen), discipline 5,
    report_on_time 5).  Period 2021-Q1: days 2020-12-15 .. 2021-03-14, due
    by the end of 2021-03-18 (local), locked 2021-03-22.

    Rows (unit, agent, metric, day, value, arrival local) and what they give;
    "sent" is the default arrival, 2021-03-16 10:00 local.

    S1 (so, agent 11) — index 100
      resolved 40 on 15/12/2020 + 60 on 14/03/2021 = 100 (and 1000 on 14/12/2020:
        that is 2020-Q4); online 30 on 14/03 (and 50 on 15/03: 2021-Q2)
        → 30/100 = 0.30 ≥ 0.25 → 10
      late 0, apologized 0 → denominator 0 → not applicable
      wf 100, wf_online 82 → 0.82 = target 82% → 10
      procs 40 dated 01/11/2020 (gauge carried from before the window),
      procs_online 26 → 0.65 → 5
      cases 0 → 5;  on time → 5
      earned 35 / applicable 35 → 100
    S2 (so, agents 21 and 22, summed) — index 40
      resolved 60 + 40 = 100, online 6 + 9 = 15 → 0.15 → 10 × 0.15/0.25 = 6
      late 4 + 0, apologized 2 → 0.5 → 2.5
      wf 50 + 50, wf_online 20 + 21 = 41 → 0.41 → 10 × 0.41/0.82 = 5
      procs 30 + 10 both on 01/03 → 40; procs_online 13 on 10/03 (agent 21)
      and 13 on 01/02 (agent 22): the unit's latest day is 10/03 → 13
        → 13/40 = 0.325 → 5 × 0.325/0.65 = 2.5
      cases 1 → 0;  wf_online of agent 22 arrived 19/03 00:00 → late → 0
      earned 16 / 40 → 40
    S3 (so, agent 31) — index 57.142857…
      resolved 200, online 50 → 0.25 → 10
      late 0, no apologized at all → denominator 0 wins: not applicable
      no wf, no wf_online → workfiles missing: 0 of 10
      procs 20, procs_online 13 → 0.65 → 5;  cases 0 → 5
      6 of 9 metrics → incomplete → not on time → 0
      earned 20 / 35 → 57.142857142857…
    H1 (huyen, agent 41, everything arrived 18/03 23:59, the last row at
        23:59:59.999 — on time) — index 85
      resolved 80, online 10 → 0.125 → 5;  late 2, apologized 2 → 5
      wf 100, wf_online 62 → 0.62 → 10;  procs 50, procs_online 26 → 0.52 → 4
      cases 0 → 5;  on time → 5;  earned 34 / 40 → 85
    H2 (huyen, agent 51) — index 41.666…
      resolved 0, online 0 → not applicable;  late 1, apologized 0 → 0 of 5
      wf 200, wf_online 31 → 0.155 → 10 × 0.155/0.62 = 2.5
      procs 10, procs_online 10 on 14/03 (procs 999 on 15/03 is after) → 1 → 5
      cases 2 → 0;  on time → 5;  earned 12.5 / 30 → 41.666…
    X1 (xa, agent 61) — index 80
      resolved 40, online 4 → 0.1 → 4;  late 0 → not applicable
      wf 20, wf_online 7 → 0.35 → 10;  cases 0 → 5;  on time → 5;  24 / 30
    X2 (xa, agent 71) — index 80 (tie with X1)
      resolved 20, online 2 → 4;  late 0 → n/a;  wf 40, wf_online 14 → 10
      cases 0 → 5;  on time → 5;  24 / 30
    X3 (xa, agent 81) — index 85.714…
      resolved 10, online 5 → 0.5 → 10;  late 1, apologized 1 → 5
      wf 40, wf_online 14 → 0.35 → 10;  cases 1 → 0;  on time → 5;  30 / 35
      (also procs 7 — not a metric of its level — and "foo", not in the
      catalogue: neither counts for completeness)
    X4 (xa, agent 91, no data) — index 0
      every indicator missing; incomplete → report_on_time 0;  0 / 35
    OLD (xa, valid until 31/12/2020; agent 99) and 08 (the province): not scored.

    Ranks: so S1 1, S3 2, S2 3;  huyen H1 1, H2 2;  xa X3 1, X1 2, X2 2, X4 4.

    Province (Σ numerators / Σ denominators of the units with data):
      online_resolved  all 116/550;  so 95/400;  huyen 10/80;  xa 11/70
                       (X4 missing; H2's 0/0 counts as data)
      workfiles        so 123/200 (S3 missing);  huyen 93/300;
                       xa 35/100 = 0.35 → met;  all 251/600, no single target
      services         88/160 = 0.55 < 0.65
      apology          5/8;  discipline Σ cases 4 > 0
*/
#include "tests/rollup/fixture.h"
#include "collector/db/db.h"
#include "collector/db/schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SENT 0 /* default arrival: 2021-03-16 10:00 local */

typedef struct {
    const char *unit;
    int64_t agent;
    const char *metric;
    int32_t day;
    double value;
    int32_t recv_day; /* local arrival day; SENT: default */
    int recv_hour, recv_minute;
    int recv_ms; /* added milliseconds */
} s_row_t;

static const s_row_t s_rows [] = {
    /* S1 */
    { "S1", 11, "resolved", 20201215, 40, SENT, 0, 0, 0 },
    { "S1", 11, "resolved", 20210314, 60, SENT, 0, 0, 0 },
    { "S1", 11, "resolved", 20201214, 1000, 20201215, 9, 0, 0 }, /* 2020-Q4 */
    { "S1", 11, "online", 20210314, 30, SENT, 0, 0, 0 },
    { "S1", 11, "online", 20210315, 50, 20210316, 11, 0, 0 }, /* 2021-Q2 */
    { "S1", 11, "late", 20210101, 0, SENT, 0, 0, 0 },
    { "S1", 11, "apologized", 20210101, 0, SENT, 0, 0, 0 },
    { "S1", 11, "wf", 20210201, 100, SENT, 0, 0, 0 },
    { "S1", 11, "wf_online", 20210201, 82, SENT, 0, 0, 0 },
    { "S1", 11, "procs", 20201101, 40, 20201102, 8, 0, 0 }, /* carried */
    { "S1", 11, "procs_online", 20210110, 26, SENT, 0, 0, 0 },
    { "S1", 11, "cases", 20210101, 0, SENT, 0, 0, 0 },
    /* S2, agent 21 */
    { "S2", 21, "resolved", 20210105, 60, SENT, 0, 0, 0 },
    { "S2", 21, "online", 20210105, 6, SENT, 0, 0, 0 },
    { "S2", 21, "late", 20210105, 4, SENT, 0, 0, 0 },
    { "S2", 21, "apologized", 20210105, 2, SENT, 0, 0, 0 },
    { "S2", 21, "wf", 20210105, 50, SENT, 0, 0, 0 },
    { "S2", 21, "wf_online", 20210105, 20, SENT, 0, 0, 0 },
    { "S2", 21, "procs", 20210301, 30, SENT, 0, 0, 0 },
    { "S2", 21, "procs_online", 20210310, 13, SENT, 0, 0, 0 },
    { "S2", 21, "cases", 20210105, 1, SENT, 0, 0, 0 },
    /* S2, agent 22 */
    { "S2", 22, "resolved", 20210106, 40, SENT, 0, 0, 0 },
    { "S2", 22, "online", 20210106, 9, SENT, 0, 0, 0 },
    { "S2", 22, "late", 20210106, 0, SENT, 0, 0, 0 },
    { "S2", 22, "wf", 20210106, 50, SENT, 0, 0, 0 },
    { "S2", 22, "wf_online", 20210106, 21, 20210319, 0, 0, 0 }, /* late */
    { "S2", 22, "procs", 20210301, 10, SENT, 0, 0, 0 },
    { "S2", 22, "procs_online", 20210201, 13, SENT, 0, 0, 0 },
    /* S3 */
    { "S3", 31, "resolved", 20210201, 200, SENT, 0, 0, 0 },
    { "S3", 31, "online", 20210201, 50, SENT, 0, 0, 0 },
    { "S3", 31, "late", 20210201, 0, SENT, 0, 0, 0 },
    { "S3", 31, "procs", 20210101, 20, SENT, 0, 0, 0 },
    { "S3", 31, "procs_online", 20210101, 13, SENT, 0, 0, 0 },
    { "S3", 31, "cases", 20210201, 0, SENT, 0, 0, 0 },
    /* H1: everything at 23:59 on the due day */
    { "H1", 41, "resolved", 20210301, 80, 20210318, 23, 59, 0 },
    { "H1", 41, "online", 20210301, 10, 20210318, 23, 59, 0 },
    { "H1", 41, "late", 20210301, 2, 20210318, 23, 59, 0 },
    { "H1", 41, "apologized", 20210301, 2, 20210318, 23, 59, 0 },
    { "H1", 41, "wf", 20210301, 100, 20210318, 23, 59, 0 },
    { "H1", 41, "wf_online", 20210301, 62, 20210318, 23, 59, 0 },
    { "H1", 41, "procs", 20210201, 50, 20210318, 23, 59, 0 },
    { "H1", 41, "procs_online", 20210201, 26, 20210318, 23, 59, 0 },
    { "H1", 41, "cases", 20210301, 0, 20210318, 23, 59, 59999 },
    /* H2 */
    { "H2", 51, "resolved", 20210301, 0, SENT, 0, 0, 0 },
    { "H2", 51, "online", 20210301, 0, SENT, 0, 0, 0 },
    { "H2", 51, "late", 20210301, 1, SENT, 0, 0, 0 },
    { "H2", 51, "apologized", 20210301, 0, SENT, 0, 0, 0 },
    { "H2", 51, "wf", 20210301, 200, SENT, 0, 0, 0 },
    { "H2", 51, "wf_online", 20210301, 31, SENT, 0, 0, 0 },
    { "H2", 51, "procs", 20210314, 10, SENT, 0, 0, 0 },
    { "H2", 51, "procs", 20210315, 999, 20210316, 11, 0, 0 }, /* after */
    { "H2", 51, "procs_online", 20210314, 10, SENT, 0, 0, 0 },
    { "H2", 51, "cases", 20210301, 2, SENT, 0, 0, 0 },
    /* X1 */
    { "X1", 61, "resolved", 20210110, 40, SENT, 0, 0, 0 },
    { "X1", 61, "online", 20210110, 4, SENT, 0, 0, 0 },
    { "X1", 61, "late", 20210110, 0, SENT, 0, 0, 0 },
    { "X1", 61, "apologized", 20210110, 0, SENT, 0, 0, 0 },
    { "X1", 61, "wf", 20210110, 20, SENT, 0, 0, 0 },
    { "X1", 61, "wf_online", 20210110, 7, SENT, 0, 0, 0 },
    { "X1", 61, "cases", 20210110, 0, SENT, 0, 0, 0 },
    /* X2 */
    { "X2", 71, "resolved", 20210110, 20, SENT, 0, 0, 0 },
    { "X2", 71, "online", 20210110, 2, SENT, 0, 0, 0 },
    { "X2", 71, "late", 20210110, 0, SENT, 0, 0, 0 },
    { "X2", 71, "apologized", 20210110, 0, SENT, 0, 0, 0 },
    { "X2", 71, "wf", 20210110, 40, SENT, 0, 0, 0 },
    { "X2", 71, "wf_online", 20210110, 14, SENT, 0, 0, 0 },
    { "X2", 71, "cases", 20210110, 0, SENT, 0, 0, 0 },
    /* X3 */
    { "X3", 81, "resolved", 20210110, 10, SENT, 0, 0, 0 },
    { "X3", 81, "online", 20210110, 5, SENT, 0, 0, 0 },
    { "X3", 81, "late", 20210110, 1, SENT, 0, 0, 0 },
    { "X3", 81, "apologized", 20210110, 1, SENT, 0, 0, 0 },
    { "X3", 81, "wf", 20210110, 40, SENT, 0, 0, 0 },
    { "X3", 81, "wf_online", 20210110, 14, SENT, 0, 0, 0 },
    { "X3", 81, "cases", 20210110, 1, SENT, 0, 0, 0 },
    { "X3", 81, "procs", 20210110, 7, SENT, 0, 0, 0 }, /* not for xa */
    { "X3", 81, "foo", 20210110, 3, SENT, 0, 0, 0 },   /* unknown */
    /* OLD: no longer valid in 2021-Q1 */
    { "OLD", 99, "resolved", 20210110, 5, SENT, 0, 0, 0 },
};
#define S_ROW_COUNT (sizeof s_rows / sizeof s_rows [0])

static const cchc_rollup_unit_t s_units [] = {
    { "S1", "Sở Tư pháp", "08", CCHC_LEVEL_SO },
    { "S2", "Sở Nội vụ", "08", CCHC_LEVEL_SO },
    { "S3", "Sở Tài chính", "08", CCHC_LEVEL_SO },
    { "H1", "UBND huyện Na Hang", "08", CCHC_LEVEL_HUYEN },
    { "H2", "UBND huyện Lâm Bình", "08", CCHC_LEVEL_HUYEN },
    { "X1", "UBND xã Thượng Lâm", "H2", CCHC_LEVEL_XA },
    { "X2", "UBND xã Khuôn Hà", "H2", CCHC_LEVEL_XA },
    { "X3", "UBND thị trấn Na Hang", "H1", CCHC_LEVEL_XA },
    { "X4", "UBND xã Côn Lôn", "H1", CCHC_LEVEL_XA },
};
#define S_UNIT_COUNT (sizeof s_units / sizeof s_units [0])

int64_t
fx_local_ms (int32_t yyyymmdd, int hour, int minute)
{
    return cchc_date_start_utc_ms (cchc_date_from_yyyymmdd (yyyymmdd))
           + (int64_t) hour * 3600000 + (int64_t) minute * 60000;
}

static int64_t
s_received (const s_row_t *r)
{
    if (r->recv_day == SENT)
        return fx_local_ms (20210316, 10, 0);
    return fx_local_ms (r->recv_day, r->recv_hour, r->recv_minute) + r->recv_ms;
}

cchc_criteria_t *
fx_criteria (void)
{
    char err [512];
    cchc_criteria_t *cat =
        cchc_criteria_load (CCHC_SOURCE_DIR "/tests/rollup/small.ini", err, sizeof err);
    if (!cat)
        fprintf (stderr, "fixture: %s\n", err);
    return cat;
}

const cchc_rollup_unit_t *
fx_units (size_t *count)
{
    *count = S_UNIT_COUNT;
    return s_units;
}

cchc_rollup_row_t *
fx_rows (const cchc_criteria_t *cat, size_t *count)
{
    cchc_rollup_row_t *rows = calloc (S_ROW_COUNT, sizeof *rows);
    if (!rows)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < S_ROW_COUNT; i++) {
        const s_row_t *r = &s_rows [i];
        int m = cchc_criteria_metric_find (cat, r->metric);
        size_t u;
        for (u = 0; u < S_UNIT_COUNT; u++)
            if (strcmp (s_units [u].code, r->unit) == 0)
                break;
        if (m < 0 || u == S_UNIT_COUNT)
            continue;
        rows [n++] = (cchc_rollup_row_t){
            .unit = u,
            .metric = (size_t) m,
            .agent = r->agent,
            .day = r->day,
            .value = r->value,
            .journal = (int64_t) i + 1,
            .received_at = s_received (r),
        };
    }
    *count = n;
    return rows;
}

int
fx_exec (sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec (db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf (stderr, "fixture: %s\n", msg ? msg : sqlite3_errmsg (db));
        sqlite3_free (msg);
        return -1;
    }
    return 0;
}

int
fx_db_create (const char *path, fx_mode_t mode)
{
    sqlite3 *db = NULL;
    remove (path);
    if (sqlite3_open (path, &db) != SQLITE_OK) {
        fprintf (stderr, "fixture: cannot open %s\n", path);
        sqlite3_close (db);
        return -1;
    }
    int rc = -1;
    sqlite3_stmt *journal = NULL, *obs = NULL;
    char err [256];
    if (fx_exec (db, "PRAGMA synchronous = OFF") != 0 || fx_exec (db, CCHC_DB_SCHEMA_SQL) != 0
        || fx_exec (db, "BEGIN") != 0)
        goto done;
    if (mode == FX_TRIGGERS && cchc_db_month_apply (db, err, sizeof err) != 0) {
        fprintf (stderr, "fixture: %s\n", err);
        goto done;
    }
    if (fx_exec (db, "INSERT INTO unit (code, name, kind, level, parent) VALUES"
                     " ('08', 'Tỉnh Thử', 'Tỉnh', 'tinh', NULL),"
                     " ('S1', 'Sở Tư pháp', 'Sở', 'so', '08'),"
                     " ('S2', 'Sở Nội vụ', 'Sở', 'so', '08'),"
                     " ('S3', 'Sở Tài chính', 'Sở', 'so', '08'),"
                     " ('H1', 'UBND huyện Na Hang', 'Huyện', 'huyen', '08'),"
                     " ('H2', 'UBND huyện Lâm Bình', 'Huyện', 'huyen', '08'),"
                     " ('X1', 'UBND xã Thượng Lâm', 'Xã', 'xa', 'H2'),"
                     " ('X2', 'UBND xã Khuôn Hà', 'Xã', 'xa', 'H2'),"
                     " ('X3', 'UBND thị trấn Na Hang', 'Thị trấn', 'xa', 'H1'),"
                     " ('X4', 'UBND xã Côn Lôn', 'Xã', 'xa', 'H1');"
                     "INSERT INTO unit (code, name, kind, level, parent, valid_from, valid_to)"
                     " VALUES ('OLD', 'UBND xã Cũ', 'Xã', 'xa', 'H1', 19900101, 20201231);"
                     "INSERT INTO agent (id, pubkey, unit, name, enrolled_at) VALUES"
                     " (11, randomblob(32), 'S1', 'Một cửa Sở Tư pháp', 0),"
                     " (21, randomblob(32), 'S2', 'Một cửa Sở Nội vụ', 0),"
                     " (22, randomblob(32), 'S2', 'Văn phòng Sở Nội vụ', 0),"
                     " (31, randomblob(32), 'S3', 'Sở Tài chính', 0),"
                     " (41, randomblob(32), 'H1', 'Na Hang', 0),"
                     " (51, randomblob(32), 'H2', 'Lâm Bình', 0),"
                     " (61, randomblob(32), 'X1', 'Thượng Lâm', 0),"
                     " (71, randomblob(32), 'X2', 'Khuôn Hà', 0),"
                     " (81, randomblob(32), 'X3', 'TT Na Hang', 0),"
                     " (91, randomblob(32), 'X4', 'Côn Lôn', 0),"
                     " (99, randomblob(32), 'OLD', 'Xã Cũ', 0);")
        != 0)
        goto done;
    if (sqlite3_prepare_v2 (db,
                            "INSERT INTO journal (id, agent, seq, received_at,"
                            " body, sig) VALUES (?1, ?2, ?1, ?3, x'80', zeroblob(64))",
                            -1, &journal, NULL)
            != SQLITE_OK
        || sqlite3_prepare_v2 (db,
                               "INSERT INTO observation (agent, unit, metric, day,"
                               " value, seq, journal) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                               -1, &obs, NULL)
               != SQLITE_OK) {
        fprintf (stderr, "fixture: %s\n", sqlite3_errmsg (db));
        goto done;
    }
    for (size_t i = 0; i < S_ROW_COUNT; i++) {
        const s_row_t *r = &s_rows [i];
        sqlite3_bind_int64 (journal, 1, (sqlite3_int64) i + 1);
        sqlite3_bind_int64 (journal, 2, r->agent);
        sqlite3_bind_int64 (journal, 3, s_received (r));
        sqlite3_bind_int64 (obs, 1, r->agent);
        sqlite3_bind_text (obs, 2, r->unit, -1, SQLITE_STATIC);
        sqlite3_bind_text (obs, 3, r->metric, -1, SQLITE_STATIC);
        sqlite3_bind_int (obs, 4, r->day);
        if (r->value == (double) (int64_t) r->value)
            sqlite3_bind_int64 (obs, 5, (int64_t) r->value);
        else
            sqlite3_bind_double (obs, 5, r->value);
        sqlite3_bind_int64 (obs, 6, (sqlite3_int64) i + 1);
        if (sqlite3_step (journal) != SQLITE_DONE || sqlite3_step (obs) != SQLITE_DONE) {
            fprintf (stderr, "fixture: row %zu: %s\n", i, sqlite3_errmsg (db));
            goto done;
        }
        sqlite3_reset (journal);
        sqlite3_reset (obs);
    }
    if (mode == FX_BACKFILL && cchc_db_month_apply (db, err, sizeof err) != 0) {
        fprintf (stderr, "fixture: %s\n", err);
        goto done;
    }
    rc = fx_exec (db, "COMMIT");
done:
    sqlite3_finalize (journal);
    sqlite3_finalize (obs);
    sqlite3_close (db);
    return rc;
}
