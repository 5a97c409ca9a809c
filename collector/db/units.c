/*  units.c — the organisation units of collector/db/ (db.h): the checks of
    an import and the import itself (validity periods closed and opened in
    one transaction).
*/
#include "collector/db/db.h"
#include "collector/db/db_err.h"

#include "common/clock.h"
#include "common/mem.h"
#include "common/text.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int32_t
s_today_ymd (void)
{
    return cchc_db_day_ymd (cchc_date_from_utc_ms (cchc_clock_now_ms ()));
}

/* ----------------------------------------------------------------- units */

static int
s_level_rank (const char *level)
{
    if (strcmp (level, "tinh") == 0)
        return 0;
    if (strcmp (level, "so") == 0 || strcmp (level, "huyen") == 0)
        return 1;
    if (strcmp (level, "xa") == 0)
        return 2;
    return -1;
}

/*  May a unit of `level` have a parent of `parent_level`?  Departments and
    districts hang under the province; communes under a district, or under
    the province directly where there are no districts (after 2025). */
static bool
s_parent_level_ok (const char *level, const char *parent_level)
{
    if (strcmp (level, "xa") == 0)
        return strcmp (parent_level, "huyen") == 0 || strcmp (parent_level, "tinh") == 0;
    return strcmp (parent_level, "tinh") == 0;
}

static bool
s_ymd_valid (int32_t ymd)
{
    return ymd >= CCHC_DB_DAY_MIN && ymd <= CCHC_DB_DAY_MAX
           && cchc_date_ymd_valid (ymd / 10000, ymd / 100 % 100, ymd % 100);
}

static int32_t
s_day_before (int32_t ymd)
{
    return cchc_db_day_ymd (cchc_db_ymd_day (ymd) - 1);
}

static void
s_format_ymd (int32_t ymd, char buf [16])
{
    snprintf (buf, 16, "%04d-%02d-%02d", ymd / 10000, ymd / 100 % 100, ymd % 100);
}

/*  Check one row by itself.  Returns true when it is fine. */
static bool
s_unit_row_valid (const cchc_db_unit_t *row, char *err, size_t errlen)
{
    bool ok = true;
    if (!cchc_unit_code_valid (row->code, strlen (row->code))) {
        s_adderr (err, errlen,
                  "%s: code '%s' is not 1..%d characters of "
                  "[A-Za-z0-9_.-]",
                  row->where, row->code, CCHC_UNIT_MAX);
        ok = false;
    }
    if (!*row->name || !cchc_utf8_valid (row->name, strlen (row->name))) {
        s_adderr (err, errlen, "%s: name is empty or not UTF-8", row->where);
        ok = false;
    }
    if (!*row->kind || !cchc_utf8_valid (row->kind, strlen (row->kind))) {
        s_adderr (err, errlen, "%s: kind is empty or not UTF-8", row->where);
        ok = false;
    }
    int rank = s_level_rank (row->level);
    if (rank < 0) {
        s_adderr (err, errlen, "%s: level '%s' is not one of tinh, so, huyen, xa", row->where,
                  row->level);
        ok = false;
    }
    else if (rank == 0 && *row->parent) {
        s_adderr (err, errlen, "%s: a province (level tinh) has no parent", row->where);
        ok = false;
    }
    else if (rank > 0 && !*row->parent) {
        s_adderr (err, errlen, "%s: level %s needs a parent unit", row->where, row->level);
        ok = false;
    }
    if (*row->parent && strcmp (row->parent, row->code) == 0) {
        s_adderr (err, errlen, "%s: unit '%s' is its own parent", row->where, row->code);
        ok = false;
    }
    return ok;
}

typedef struct {
    bool found;
    char name [256], kind [64], level [8], parent [CCHC_UNIT_MAX + 1];
    int32_t valid_from, valid_to;
} s_unit_row_t;

/*  The latest row of a code.  0 (found or not) or -1. */
static int
s_unit_latest (sqlite3 *db, const char *code, s_unit_row_t *out)
{
    memset (out, 0, sizeof *out);
    sqlite3_stmt *stmt;
    if (sqlite3_prepare_v2 (
            db,
            "SELECT name, kind, level, coalesce(parent, ''), valid_from, valid_to"
            " FROM unit WHERE code = ?1 ORDER BY valid_from DESC LIMIT 1",
            -1, &stmt, NULL)
        != SQLITE_OK)
        return -1;
    sqlite3_bind_text (stmt, 1, code, -1, SQLITE_STATIC);
    int rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW) {
        out->found = true;
        cchc_strlcpy (out->name, (const char *) sqlite3_column_text (stmt, 0),
                      sizeof out->name);
        cchc_strlcpy (out->kind, (const char *) sqlite3_column_text (stmt, 1),
                      sizeof out->kind);
        cchc_strlcpy (out->level, (const char *) sqlite3_column_text (stmt, 2),
                      sizeof out->level);
        cchc_strlcpy (out->parent, (const char *) sqlite3_column_text (stmt, 3),
                      sizeof out->parent);
        out->valid_from = sqlite3_column_int (stmt, 4);
        out->valid_to = sqlite3_column_int (stmt, 5);
    }
    sqlite3_finalize (stmt);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

static int
s_unit_insert (sqlite3 *db, const cchc_db_unit_t *row, int32_t from, int32_t to)
{
    sqlite3_stmt *stmt;
    if (sqlite3_prepare_v2 (
            db,
            "INSERT INTO unit (code, name, kind, level, parent, valid_from, valid_to)"
            " VALUES (?1, ?2, ?3, ?4, nullif(?5, ''), ?6, ?7)",
            -1, &stmt, NULL)
        != SQLITE_OK)
        return -1;
    sqlite3_bind_text (stmt, 1, row->code, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, row->name, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, row->kind, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 4, row->level, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 5, row->parent, -1, SQLITE_STATIC);
    sqlite3_bind_int (stmt, 6, from);
    sqlite3_bind_int (stmt, 7, to);
    int rc = sqlite3_step (stmt);
    sqlite3_finalize (stmt);
    return rc == SQLITE_DONE ? 0 : -1;
}

static int
s_unit_close (sqlite3 *db, const char *code, int32_t valid_from, int32_t valid_to)
{
    sqlite3_stmt *stmt;
    if (sqlite3_prepare_v2 (
            db, "UPDATE unit SET valid_to = ?3 WHERE code = ?1 AND valid_from = ?2", -1, &stmt,
            NULL)
        != SQLITE_OK)
        return -1;
    sqlite3_bind_text (stmt, 1, code, -1, SQLITE_STATIC);
    sqlite3_bind_int (stmt, 2, valid_from);
    sqlite3_bind_int (stmt, 3, valid_to);
    int rc = sqlite3_step (stmt);
    sqlite3_finalize (stmt);
    return rc == SQLITE_DONE ? 0 : -1;
}

/*  qsort has no context argument: the rows being sorted (one thread only,
    cchcctl). */
static const cchc_db_unit_t *s_sort_rows;

static int
s_index_cmp (const void *a, const void *b)
{
    size_t x = *(const size_t *) a, y = *(const size_t *) b;
    int cmp = strcmp (s_sort_rows [x].code, s_sort_rows [y].code);
    return cmp ? cmp : (x < y ? -1 : x > y);
}

static int
s_code_cmp (const void *a, const void *b)
{
    return strcmp (*(const char *const *) a, *(const char *const *) b);
}

int
cchc_db_units_check (const cchc_db_unit_t *rows, size_t count, char *err, size_t errlen)
{
    assert (rows || count == 0);
    bool ok = true;
    for (size_t i = 0; i < count; i++)
        if (!s_unit_row_valid (&rows [i], err, errlen))
            ok = false;
    if (count < 2)
        return ok ? 0 : -1;
    /*  Duplicates: sort indexes by code, report every later occurrence. */
    size_t *order = malloc (count * sizeof *order);
    if (!order) {
        s_adderr (err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < count; i++)
        order [i] = i;
    s_sort_rows = rows;
    qsort (order, count, sizeof *order, s_index_cmp);
    for (size_t i = 1; i < count; i++) {
        const cchc_db_unit_t *a = &rows [order [i - 1]], *b = &rows [order [i]];
        if (strcmp (a->code, b->code) == 0) {
            s_adderr (err, errlen, "%s: code '%s' appears twice (first at %s)", b->where,
                      b->code, a->where);
            ok = false;
        }
    }
    free (order);
    return ok ? 0 : -1;
}

/*  The import's arguments alone.  0, or -1 with the reason in err. */
static int
s_import_args_check (int32_t valid_from, int32_t valid_to, bool replace, size_t count,
                     char *err, size_t errlen)
{
    const char *why = NULL;
    if (valid_from && !s_ymd_valid (valid_from))
        why = "--valid-from is not a date";
    else if (valid_to && !s_ymd_valid (valid_to))
        why = "--valid-to is not a date";
    else if (valid_from && valid_to && valid_to < valid_from)
        why = "--valid-to is before --valid-from";
    else if (replace && !valid_from)
        why = "--replace needs --valid-from (the day the new structure starts)";
    else if (count == 0)
        why = "no units to import";
    if (why) {
        s_seterr (err, errlen, "%s", why);
        return -1;
    }
    return 0;
}

/*  One imported row: add, replace (close + add) or leave alone, setting the
    day its parent must be valid on.  1 done, 0 refused (reason added to
    err), -1 database error. */
static int
s_import_row (sqlite3 *db, const cchc_db_unit_t *row, int32_t valid_from, int32_t valid_to,
              int32_t *check_day, cchc_db_import_t *result, char *err, size_t errlen)
{
    char day [16], day2 [16];
    int32_t to = valid_to ? valid_to : CCHC_DB_DAY_MAX;
    s_unit_row_t old;
    if (s_unit_latest (db, row->code, &old))
        return -1;
    bool same = old.found && strcmp (old.name, row->name) == 0
                && strcmp (old.kind, row->kind) == 0 && strcmp (old.level, row->level) == 0
                && strcmp (old.parent, row->parent) == 0;
    int32_t start = valid_from ? valid_from : CCHC_DB_DAY_MIN;
    if (!old.found) {
        if (valid_to && to < start) {
            s_adderr (err, errlen, "%s: --valid-to is before the unit's start", row->where);
            return 0;
        }
        if (s_unit_insert (db, row, start, to))
            return -1;
        *check_day = start;
        result->added++;
        return 1;
    }
    bool open = old.valid_to >= (valid_from ? valid_from : s_today_ymd ());
    if (same && open) {
        *check_day = valid_from && valid_from > old.valid_from ? valid_from : old.valid_from;
        result->unchanged++;
        return 1;
    }
    if (!valid_from) {
        s_format_ymd (old.valid_from, day);
        if (!open)
            s_adderr (err, errlen,
                      "%s: unit '%s' was closed (valid to %d); give "
                      "--valid-from to bring it back",
                      row->where, row->code, old.valid_to);
        else
            s_adderr (err, errlen,
                      "%s: unit '%s' differs from the stored one "
                      "(valid from %s); give --valid-from for the day the new "
                      "structure starts",
                      row->where, row->code, day);
        return 0;
    }
    if (old.valid_from >= valid_from) {
        s_format_ymd (old.valid_from, day);
        s_format_ymd (valid_from, day2);
        s_adderr (err, errlen,
                  "%s: unit '%s' has a row valid from %s: a "
                  "structure from %s would rewrite it",
                  row->where, row->code, day, day2);
        return 0;
    }
    if (open && s_unit_close (db, row->code, old.valid_from, s_day_before (valid_from)))
        return -1;
    if (s_unit_insert (db, row, valid_from, to))
        return -1;
    *check_day = valid_from;
    if (open)
        result->changed++;
    else
        result->added++;
    return 1;
}

typedef struct {
    char code [CCHC_UNIT_MAX + 1];
    int32_t from;
} s_close_t;

/*  The units valid on `day` whose code is not among the sorted `codes`.
    *out malloc'd.  0, -1 database error, -2 out of memory (err set). */
static int
s_import_not_imported (sqlite3 *db, const char **codes, size_t count, int32_t day,
                       s_close_t **out, size_t *n, char *err, size_t errlen)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *stmt;
    if (sqlite3_prepare_v2 (
            db, "SELECT code, valid_from FROM unit WHERE valid_from <= ?1 AND valid_to >= ?1",
            -1, &stmt, NULL)
        != SQLITE_OK)
        return -1;
    sqlite3_bind_int (stmt, 1, day);
    size_t cap = 0;
    s_close_t *close = NULL;
    int rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        const char *code = (const char *) sqlite3_column_text (stmt, 0);
        if (code && bsearch (&code, codes, count, sizeof *codes, s_code_cmp))
            continue;
        if (cchc_grow (&close, &cap, *n, sizeof *close, 64)) {
            free (close);
            sqlite3_finalize (stmt);
            s_seterr (err, errlen, "out of memory");
            return -2;
        }
        cchc_strlcpy (close [*n].code, code ? code : "", sizeof close [*n].code);
        close [*n].from = sqlite3_column_int (stmt, 1);
        (*n)++;
    }
    sqlite3_finalize (stmt);
    if (rc != SQLITE_DONE) {
        free (close);
        return -1;
    }
    *out = close;
    return 0;
}

/*  Replace: close what is valid on valid_from and not imported.  0, -1
    database error, -2 out of memory; refusals clear *ok. */
static int
s_import_replace (sqlite3 *db, const char **codes, size_t count, int32_t valid_from,
                  cchc_db_import_t *result, bool *ok, char *err, size_t errlen)
{
    /*  Collect first: closing while iterating the same table is unsafe. */
    s_close_t *close;
    size_t nclose;
    int rc =
        s_import_not_imported (db, codes, count, valid_from, &close, &nclose, err, errlen);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < nclose && rc == 0; i++) {
        if (close [i].from >= valid_from) {
            char day [16];
            s_format_ymd (close [i].from, day);
            s_adderr (err, errlen,
                      "unit '%s' (not in the import) starts on %s: "
                      "closing it before would rewrite it",
                      close [i].code, day);
            *ok = false;
            continue;
        }
        if (s_unit_close (db, close [i].code, close [i].from, s_day_before (valid_from)))
            rc = -1;
        else
            result->closed++;
    }
    free (close);
    return rc;
}

/*  Parents: valid on the row's start, and a level above.  0 or -1 database
    error; refusals clear *ok. */
static int
s_import_parents (sqlite3 *db, const cchc_db_unit_t *rows, size_t count,
                  const int32_t *check_day, bool *ok, char *err, size_t errlen)
{
    sqlite3_stmt *stmt;
    if (sqlite3_prepare_v2 (db,
                            "SELECT level FROM unit WHERE code = ?1 AND valid_from <= ?2 "
                            "AND valid_to >= ?2",
                            -1, &stmt, NULL)
        != SQLITE_OK)
        return -1;
    for (size_t i = 0; i < count; i++) {
        const cchc_db_unit_t *row = &rows [i];
        if (!*row->parent)
            continue;
        sqlite3_bind_text (stmt, 1, row->parent, -1, SQLITE_STATIC);
        sqlite3_bind_int (stmt, 2, check_day [i]);
        int rc = sqlite3_step (stmt);
        if (rc == SQLITE_ROW) {
            const char *level = (const char *) sqlite3_column_text (stmt, 0);
            if (!s_parent_level_ok (row->level, level ? level : "")) {
                s_adderr (err, errlen,
                          "%s: parent '%s' (level %s) cannot hold a "
                          "unit of level %s (so, huyen: under tinh; xa: under "
                          "huyen or tinh)",
                          row->where, row->parent, level ? level : "?", row->level);
                *ok = false;
            }
        }
        else if (rc == SQLITE_DONE) {
            char day [16];
            s_format_ymd (check_day [i], day);
            s_adderr (err, errlen,
                      "%s: parent '%s' is not a unit valid on %s "
                      "(neither in this import nor in the database)",
                      row->where, row->parent, day);
            *ok = false;
        }
        else {
            sqlite3_finalize (stmt);
            return -1;
        }
        sqlite3_reset (stmt);
    }
    sqlite3_finalize (stmt);
    return 0;
}

/*  Steps 2-4 of the import inside its transaction.  0, -1 database error,
    -2 failed with err set; refusals clear *ok. */
static int
s_import_apply (sqlite3 *db, const cchc_db_unit_t *rows, size_t count, const char **codes,
                int32_t valid_from, int32_t valid_to, bool replace, cchc_db_import_t *result,
                bool *ok, char *err, size_t errlen)
{
    /*  Day each row's parent must be valid on (its start). */
    int32_t *check_day = calloc (count, sizeof *check_day);
    if (!check_day) {
        s_seterr (err, errlen, "out of memory");
        return -2;
    }
    int rc = 0;
    /*  2. Per code: add, replace (close + add) or leave alone. */
    for (size_t i = 0; i < count && rc == 0; i++) {
        int done = s_import_row (db, &rows [i], valid_from, valid_to, &check_day [i], result,
                                 err, errlen);
        if (done < 0)
            rc = -1;
        else if (done == 0)
            *ok = false;
    }
    /*  3. Replace: close what is valid on valid_from and not imported. */
    if (rc == 0 && replace && *ok)
        rc = s_import_replace (db, codes, count, valid_from, result, ok, err, errlen);
    /*  4. Parents: valid on the row's start, and a level above. */
    if (rc == 0 && *ok)
        rc = s_import_parents (db, rows, count, check_day, ok, err, errlen);
    free (check_day);
    return rc;
}

int
cchc_db_units_import (cchc_db_t *self, const cchc_db_unit_t *rows, size_t count,
                      int32_t valid_from, int32_t valid_to, bool replace,
                      cchc_db_import_t *result, char *err, size_t errlen)
{
    assert (self && (rows || count == 0) && result);
    memset (result, 0, sizeof *result);
    if (err && errlen)
        *err = 0;
    if (s_import_args_check (valid_from, valid_to, replace, count, err, errlen))
        return -1;
    /*  1. Each row alone, then duplicate codes. */
    if (cchc_db_units_check (rows, count, err, errlen))
        return -1;
    const char **codes = malloc (count * sizeof *codes);
    if (!codes) {
        s_seterr (err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < count; i++)
        codes [i] = rows [i].code;
    qsort (codes, count, sizeof *codes, s_code_cmp);
    if (cchc_db_begin (self)) {
        s_seterr (err, errlen, "database: %s", cchc_db_errmsg (self));
        free (codes);
        return -1;
    }
    bool ok = true;
    sqlite3 *db = cchc_db_handle (self);
    int rc = s_import_apply (db, rows, count, codes, valid_from, valid_to, replace, result,
                             &ok, err, errlen);
    free (codes);
    if (rc == -1)
        s_adderr (err, errlen, "database: %s", sqlite3_errmsg (db));
    if (rc == 0 && ok && cchc_db_commit (self) == 0)
        return 0;
    if (rc == 0 && ok)
        s_seterr (err, errlen, "database: %s", cchc_db_errmsg (self));
    cchc_db_rollback (self);
    memset (result, 0, sizeof *result);
    return -1;
}
