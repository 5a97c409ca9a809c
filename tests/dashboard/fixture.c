/*  fixture.c — deterministic collector databases for the dashboard's tests
    and benchmark (fixture.h). */
#include "tests/dashboard/fixture.h"
#include "collector/db/db.h"
#include "collector/figures/criteria.h"
#include "collector/figures/rollup.h"
#include "collector/db/schema.h"
#include "common/period.h"
#include "common/text.h"

#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    const char *code, *name, *level, *parent;
} s_unit_t;

static const s_unit_t s_tq [] = {
    { "08", "Tỉnh Tuyên Quang", "tinh", NULL },
    { "VPUB", "Văn phòng Ủy ban nhân dân tỉnh", "so", "08" },
    { "SNV", "Sở Nội vụ", "so", "08" },
    { "STP", "Sở Tư pháp", "so", "08" },
    { "SKHDT", "Sở Kế hoạch và Đầu tư", "so", "08" },
    { "STC", "Sở Tài chính", "so", "08" },
    { "SCT", "Sở Công Thương", "so", "08" },
    { "SNNPTNT", "Sở Nông nghiệp và Phát triển nông thôn", "so", "08" },
    { "SGTVT", "Sở Giao thông vận tải", "so", "08" },
    { "SXD", "Sở Xây dựng", "so", "08" },
    { "STNMT", "Sở Tài nguyên và Môi trường", "so", "08" },
    { "STTTT", "Sở Thông tin và Truyền thông", "so", "08" },
    { "SLDTBXH", "Sở Lao động - Thương binh và Xã hội", "so", "08" },
    { "SVHTTDL", "Sở Văn hóa, Thể thao và Du lịch", "so", "08" },
    { "SKHCN", "Sở Khoa học và Công nghệ", "so", "08" },
    { "SGDDT", "Sở Giáo dục và Đào tạo", "so", "08" },
    { "SYT", "Sở Y tế", "so", "08" },
    { "TTT", "Thanh tra tỉnh", "so", "08" },
    { "BDT", "Ban Dân tộc", "so", "08" },
    { "SNGV", "Sở Ngoại vụ", "so", "08" },
    { "070", "Thành phố Tuyên Quang", "huyen", "08" },
    { "071", "Huyện Lâm Bình", "huyen", "08" },
    { "072", "Huyện Na Hang", "huyen", "08" },
    { "073", "Huyện Chiêm Hóa", "huyen", "08" },
    { "074", "Huyện Hàm Yên", "huyen", "08" },
    { "075", "Huyện Yên Sơn", "huyen", "08" },
    { "076", "Huyện Sơn Dương", "huyen", "08" },
    { "02200", "Phường Phan Thiết", "xa", "070" },
    { "02203", "Phường Minh Xuân", "xa", "070" },
    { "02206", "Phường Tân Quang", "xa", "070" },
    { "02209", "Xã Tràng Đà", "xa", "070" },
    { "02212", "Phường Nông Tiến", "xa", "070" },
    { "02215", "Phường Ỷ La", "xa", "070" },
    { "02216", "Phường Tân Hà", "xa", "070" },
    { "02218", "Phường Hưng Thành", "xa", "070" },
    { "02497", "Xã Kim Phú", "xa", "070" },
    { "02503", "Xã An Khang", "xa", "070" },
    { "02509", "Phường Mỹ Lâm", "xa", "070" },
    { "02512", "Phường An Tường", "xa", "070" },
    { "02515", "Xã Lưỡng Vượng", "xa", "070" },
    { "02521", "Xã Thái Long", "xa", "070" },
    { "02524", "Phường Đội Cấn", "xa", "070" },
    { "02233", "Xã Phúc Yên", "xa", "071" },
    { "02242", "Xã Xuân Lập", "xa", "071" },
    { "02251", "Xã Khuôn Hà", "xa", "071" },
    { "02266", "Xã Lăng Can", "xa", "071" },
    { "02269", "Xã Thượng Lâm", "xa", "071" },
    { "02290", "Xã Bình An", "xa", "071" },
    { "02293", "Xã Hồng Quang", "xa", "071" },
    { "02296", "Xã Thổ Bình", "xa", "071" },
};

/*  Deterministic hash of three numbers → [0, 1). */
static double
s_h (uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t x = a * 0x9E3779B97F4A7C15ULL
                 ^ (b + 0x632BE59BD9B4E019ULL) * 0xC2B2AE3D27D4EB4FULL
                 ^ (c + 0x165667B19E3779F9ULL) * 0x27D4EB2F165667C5ULL;
    x ^= x >> 31;
    x *= 0xBF58476D1CE4E5B9ULL;
    x ^= x >> 29;
    x *= 0x94D049BB133111EBULL;
    x ^= x >> 32;
    return (double) (x >> 11) / 9007199254740992.0;
}

typedef struct {
    char code [24], name [96], level [8], parent [24];
    bool has_parent;
    cchc_level_t lv;
    bool scored;
} s_u_t;

typedef struct {
    const cchc_criteria_t *cat;
    size_t nm;
    int *num_of; /* metric → indicator it is the numerator of, or -1 */
    double *memo;
    bool *done;
} s_gen_t;

/*  The unit's rate on indicator i. */
static double
s_rate (const cchc_indicator_t *ind, cchc_level_t lv, uint64_t u, size_t i)
{
    double q = 0.55 + 0.45 * s_h (u, 7, 7);
    double t = ind->target [lv];
    if (isnan (t))
        t = 1;
    double h = s_h (u, i, 11);
    if (!ind->higher)
        return 0.9 + 0.15 * h;
    double r = t >= 0.99 ? 1 - (1 - q) * h * 0.6 : t * (0.5 + 0.9 * q);
    return r > 1 ? 1 : r < 0 ? 0 : r;
}

static double
s_value (s_gen_t *g, size_t m, cchc_level_t lv, uint64_t u, int64_t day)
{
    if (g->done [m])
        return g->memo [m];
    const cchc_metric_t *metric = cchc_criteria_metric (g->cat, m);
    double scale = lv == CCHC_LEVEL_SO ? 2 : lv == CCHC_LEVEL_HUYEN ? 3 : 1;
    double v;
    int i = g->num_of [m];
    const cchc_indicator_t *ind = i >= 0 ? cchc_criteria_indicator (g->cat, (size_t) i) : NULL;
    if (ind && ind->denominator >= 0) {
        double d = s_value (g, (size_t) ind->denominator, lv, u, day);
        v = floor (d * s_rate (ind, lv, u, (size_t) i) + 0.5);
    }
    else if (ind)
        v = s_h (u, m, (uint64_t) day) < 0.93 ? 0 : 1; /* e.g. discipline cases */
    else if (metric->kind == CCHC_METRIC_GAUGE)
        v = floor ((30 + 120 * s_h (u, m, 1)) * scale);
    else
        v = floor ((4 + 30 * s_h (u, m, (uint64_t) day)) * scale);
    g->memo [m] = v;
    g->done [m] = true;
    return v;
}

static int
s_exec (sqlite3 *db, const char *sql, char *err, size_t errlen)
{
    char *msg = NULL;
    if (sqlite3_exec (db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        cchc_errf (err, errlen, "fixture: %s", msg ? msg : "sqlite error");
        sqlite3_free (msg);
        return -1;
    }
    return 0;
}

int
cchc_fixture_build (const char *path, const char *criteria_path, const cchc_fixture_t *f,
                    char *err, size_t errlen)
{
    char side [1024];
    unlink (path);
    snprintf (side, sizeof side, "%s-wal", path);
    unlink (side);
    snprintf (side, sizeof side, "%s-shm", path);
    unlink (side);
    cchc_criteria_t *cat = cchc_criteria_load (criteria_path, err, errlen);
    if (!cat)
        return -1;
    sqlite3 *db = NULL;
    if (sqlite3_open (path, &db) != SQLITE_OK) {
        cchc_errf (err, errlen, "fixture: cannot create %s", path);
        sqlite3_close (db);
        cchc_criteria_destroy (&cat);
        return -1;
    }
    int rc = -1;
    s_u_t *units = NULL;
    size_t nu = 0;
    sqlite3_stmt *ins_unit = NULL, *ins_agent = NULL, *ins_journal = NULL, *ins_obs = NULL,
                 *upd_agent = NULL;
    s_gen_t g = { .cat = cat, .nm = cchc_criteria_metric_count (cat) };
    g.num_of = malloc (g.nm * sizeof *g.num_of);
    g.memo = malloc (g.nm * sizeof *g.memo);
    g.done = malloc (g.nm * sizeof *g.done);
    if (!g.num_of || !g.memo || !g.done)
        goto done;
    for (size_t m = 0; m < g.nm; m++) {
        g.num_of [m] = -1;
        for (size_t i = 0; i < cchc_criteria_indicator_count (cat); i++)
            if (cchc_criteria_indicator (cat, i)->numerator == (int) m) {
                g.num_of [m] = (int) i;
                break;
            }
    }
    if (s_exec (db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF;", err, errlen)
        || s_exec (db, CCHC_DB_SCHEMA_SQL, err, errlen) || s_exec (db, "BEGIN", err, errlen))
        goto done;

    /* units */
    if (f->generated_units <= 0) {
        nu = sizeof s_tq / sizeof s_tq [0];
        units = calloc (nu, sizeof *units);
        for (size_t i = 0; units && i < nu; i++) {
            snprintf (units [i].code, sizeof units [i].code, "%s", s_tq [i].code);
            snprintf (units [i].name, sizeof units [i].name, "%s", s_tq [i].name);
            snprintf (units [i].level, sizeof units [i].level, "%s", s_tq [i].level);
            units [i].has_parent = s_tq [i].parent != NULL;
            snprintf (units [i].parent, sizeof units [i].parent, "%s",
                      s_tq [i].parent ? s_tq [i].parent : "");
        }
    }
    else {
        int n = f->generated_units;
        int n_so = n / 50 > 1 ? n / 50 : 1, n_h = n / 20 > 1 ? n / 20 : 1;
        int n_xa = n - n_so - n_h;
        nu = (size_t) n + 1;
        units = calloc (nu, sizeof *units);
        if (units) {
            snprintf (units [0].code, sizeof units [0].code, "00");
            snprintf (units [0].name, sizeof units [0].name, "Tỉnh Thử Nghiệm");
            snprintf (units [0].level, sizeof units [0].level, "tinh");
        }
        for (int i = 0; units && i < n; i++) {
            s_u_t *u = &units [i + 1];
            u->has_parent = true;
            if (i < n_so) {
                snprintf (u->code, sizeof u->code, "S%03d", i + 1);
                snprintf (u->name, sizeof u->name, "Sở Tài nguyên và Môi trường số %d", i + 1);
                snprintf (u->level, sizeof u->level, "so");
                snprintf (u->parent, sizeof u->parent, "00");
            }
            else if (i < n_so + n_h) {
                snprintf (u->code, sizeof u->code, "H%03d", i - n_so + 1);
                snprintf (u->name, sizeof u->name, "Huyện Đồng Văn số %d", i - n_so + 1);
                snprintf (u->level, sizeof u->level, "huyen");
                snprintf (u->parent, sizeof u->parent, "00");
            }
            else {
                int k = i - n_so - n_h;
                snprintf (u->code, sizeof u->code, "X%05d", k + 1);
                snprintf (u->name, sizeof u->name, "Xã Lũng Cú số %d", k + 1);
                snprintf (u->level, sizeof u->level, "xa");
                snprintf (u->parent, sizeof u->parent, "H%03d", k % n_h + 1);
            }
        }
        (void) n_xa;
    }
    if (!units) {
        cchc_errf (err, errlen, "out of memory");
        goto done;
    }
    if (sqlite3_prepare_v2 (db,
                            "INSERT INTO unit (code, name, kind, level, parent)"
                            " VALUES (?1, ?2, ?3, ?4, ?5)",
                            -1, &ins_unit, NULL)
        || sqlite3_prepare_v2 (db,
                               "INSERT INTO agent (id, pubkey, unit, name, enrolled_at)"
                               " VALUES (?1, ?2, ?3, ?4, ?5)",
                               -1, &ins_agent, NULL)
        || sqlite3_prepare_v2 (db,
                               "INSERT INTO journal (id, agent, seq, received_at, body, sig)"
                               " VALUES (?1, ?2, ?3, ?4, x'81a1786f', zeroblob(64))",
                               -1, &ins_journal, NULL)
        || sqlite3_prepare_v2 (db,
                               "INSERT INTO observation (agent, unit, metric, day, value,"
                               " seq, journal) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                               -1, &ins_obs, NULL)
        || sqlite3_prepare_v2 (db,
                               "UPDATE agent SET last_seen = ?2, last_seq = ?3,"
                               " accepted = ?3, rejected = ?4 WHERE id = ?1",
                               -1, &upd_agent, NULL)) {
        cchc_errf (err, errlen, "fixture: %s", sqlite3_errmsg (db));
        goto done;
    }
    for (size_t i = 0; i < nu; i++) {
        s_u_t *u = &units [i];
        u->scored = cchc_level_parse (u->level, &u->lv) == 0;
        sqlite3_bind_text (ins_unit, 1, u->code, -1, SQLITE_STATIC);
        sqlite3_bind_text (ins_unit, 2, u->name, -1, SQLITE_STATIC);
        sqlite3_bind_text (ins_unit, 3, u->name [0] == 'S' ? "Sở" : "UBND", -1, SQLITE_STATIC);
        sqlite3_bind_text (ins_unit, 4, u->level, -1, SQLITE_STATIC);
        if (u->has_parent)
            sqlite3_bind_text (ins_unit, 5, u->parent, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null (ins_unit, 5);
        if (sqlite3_step (ins_unit) != SQLITE_DONE) {
            cchc_errf (err, errlen, "fixture: unit %s: %s", u->code, sqlite3_errmsg (db));
            goto done;
        }
        sqlite3_reset (ins_unit);
    }

    /* the period days */
    cchc_period_t q1 = { CCHC_PERIOD_QUARTER, f->year, 1 };
    cchc_period_t qn = { CCHC_PERIOD_QUARTER, f->year, f->quarters };
    cchc_date_t first, last, a, b;
    cchc_period_window (&q1, &first, &b);
    cchc_period_window (&qn, &a, &last);
    cchc_date_t late_day = cchc_period_deadline (&qn, 20); /* after the due day */
    static const int report_days [4] = { 1, 15, 8, 22 };
    int dpm = f->days_per_month < 1 ? 1 : f->days_per_month > 4 ? 4 : f->days_per_month;
    int64_t enrolled = cchc_date_start_utc_ms (first - 14);
    int64_t journal_id = 0;
    int64_t agent_id = 0;
    for (size_t i = 0; i < nu; i++) {
        s_u_t *u = &units [i];
        if (!u->scored)
            continue;
        bool two = strcmp (u->code, "071") == 0 && f->generated_units <= 0;
        bool silent = strcmp (u->code, "SNGV") == 0 && f->generated_units <= 0;
        bool no_training = strcmp (u->code, "STP") == 0 && f->generated_units <= 0;
        bool late = strcmp (u->code, "02515") == 0 && f->generated_units <= 0;
        bool stops = strcmp (u->code, "02296") == 0 && f->generated_units <= 0;
        int64_t agents [2];
        int64_t seq [2] = { 0, 0 }, seen [2] = { 0, 0 };
        int na = two ? 2 : 1;
        for (int k = 0; k < na; k++) {
            agents [k] = ++agent_id;
            uint8_t key [32];
            memset (key, 0xA5, sizeof key);
            memcpy (key, &agents [k], sizeof agents [k]);
            char name [160];
            snprintf (name, sizeof name, "Phần mềm một cửa %s%s", u->name,
                      k ? " (máy 2)" : "");
            sqlite3_bind_int64 (ins_agent, 1, agents [k]);
            sqlite3_bind_blob (ins_agent, 2, key, sizeof key, SQLITE_TRANSIENT);
            sqlite3_bind_text (ins_agent, 3, u->code, -1, SQLITE_STATIC);
            sqlite3_bind_text (ins_agent, 4, name, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64 (ins_agent, 5, enrolled);
            if (sqlite3_step (ins_agent) != SQLITE_DONE) {
                cchc_errf (err, errlen, "fixture: agent: %s", sqlite3_errmsg (db));
                goto done;
            }
            sqlite3_reset (ins_agent);
        }
        uint64_t uh = (uint64_t) i * 7919 + 17;
        for (cchc_date_t day = first; !silent && day <= last; day++) {
            int y, mo, d;
            cchc_date_to_ymd (day, &y, &mo, &d);
            bool reporting = false;
            for (int k = 0; k < dpm; k++)
                reporting |= report_days [k] == d;
            if (!reporting || (stops && f->quarters == 4 && day >= a))
                continue;
            int32_t ymd = y * 10000 + mo * 100 + d;
            int64_t received = cchc_date_start_utc_ms (day + 1) + 9 * 3600 * 1000LL;
            if (late && day >= a)
                received = cchc_date_start_utc_ms (late_day) + 9 * 3600 * 1000LL;
            memset (g.done, 0, g.nm * sizeof *g.done);
            int64_t jid [2];
            for (int k = 0; k < na; k++) {
                jid [k] = ++journal_id;
                seq [k]++;
                if (received > seen [k])
                    seen [k] = received;
                sqlite3_bind_int64 (ins_journal, 1, jid [k]);
                sqlite3_bind_int64 (ins_journal, 2, agents [k]);
                sqlite3_bind_int64 (ins_journal, 3, seq [k]);
                sqlite3_bind_int64 (ins_journal, 4, received);
                if (sqlite3_step (ins_journal) != SQLITE_DONE) {
                    cchc_errf (err, errlen, "fixture: journal: %s", sqlite3_errmsg (db));
                    goto done;
                }
                sqlite3_reset (ins_journal);
            }
            for (size_t m = 0; m < g.nm; m++) {
                const cchc_metric_t *metric = cchc_criteria_metric (cat, m);
                if (!(metric->levels & CCHC_LEVEL_BIT (u->lv)))
                    continue;
                if (metric->kind == CCHC_METRIC_GAUGE && d != report_days [0])
                    continue;
                if (no_training && strncmp (metric->code, "training", 8) == 0)
                    continue;
                double v = s_value (&g, m, u->lv, uh, day);
                for (int k = 0; k < na; k++) {
                    double part = na == 1 ? v : k == 0 ? ceil (v / 2) : floor (v / 2);
                    sqlite3_bind_int64 (ins_obs, 1, agents [k]);
                    sqlite3_bind_text (ins_obs, 2, u->code, -1, SQLITE_STATIC);
                    sqlite3_bind_text (ins_obs, 3, metric->code, -1, SQLITE_STATIC);
                    sqlite3_bind_int (ins_obs, 4, ymd);
                    sqlite3_bind_int64 (ins_obs, 5, (int64_t) part);
                    sqlite3_bind_int64 (ins_obs, 6, seq [k]);
                    sqlite3_bind_int64 (ins_obs, 7, jid [k]);
                    if (sqlite3_step (ins_obs) != SQLITE_DONE) {
                        cchc_errf (err, errlen, "fixture: observation: %s",
                                   sqlite3_errmsg (db));
                        goto done;
                    }
                    sqlite3_reset (ins_obs);
                }
            }
        }
        for (int k = 0; k < na; k++) {
            sqlite3_bind_int64 (upd_agent, 1, agents [k]);
            if (seen [k] && f->last_seen_ms > seen [k] && !stops)
                sqlite3_bind_int64 (upd_agent, 2, f->last_seen_ms);
            else if (seen [k])
                sqlite3_bind_int64 (upd_agent, 2, seen [k]);
            else
                sqlite3_bind_null (upd_agent, 2);
            sqlite3_bind_int64 (upd_agent, 3, seq [k]);
            sqlite3_bind_int64 (upd_agent, 4, strcmp (u->code, "SXD") == 0 ? 3 : 0);
            if (sqlite3_step (upd_agent) != SQLITE_DONE) {
                cchc_errf (err, errlen, "fixture: agent update: %s", sqlite3_errmsg (db));
                goto done;
            }
            sqlite3_reset (upd_agent);
        }
    }
    /* clocks (agent.clock_*): the late unit's agent is 3 min 5 s ahead */
    if (f->generated_units <= 0
        && s_exec (db,
                   "UPDATE agent SET clock_skew = 185000, clock_ahead = 185000,"
                   " clock_at = last_seen WHERE unit = '02515'",
                   err, errlen)
               != 0)
        goto done;
    if (s_exec (db, "COMMIT", err, errlen) != 0)
        goto done;
    /* the roll-up's summary table, filled from the rows at once (faster than
       its triggers row by row); the triggers keep it current afterwards */
    if (cchc_db_month_apply (db, err, errlen) != 0
        || s_exec (db, "PRAGMA wal_checkpoint(TRUNCATE)", err, errlen) != 0)
        goto done;
    rc = 0;
done:
    sqlite3_finalize (ins_unit);
    sqlite3_finalize (ins_agent);
    sqlite3_finalize (ins_journal);
    sqlite3_finalize (ins_obs);
    sqlite3_finalize (upd_agent);
    sqlite3_close (db);
    free (units);
    free (g.num_of);
    free (g.memo);
    free (g.done);
    cchc_criteria_destroy (&cat);
    return rc;
}
