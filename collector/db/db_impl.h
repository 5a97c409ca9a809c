/*  db_impl.h — the statement helpers the files of collector/db/ share
    (national.c, periods.c, audit.c): private to the folder, like db_err.h.
    Each takes a statement it may finalize, as its comment says; none sets
    an error text (the callers that keep one do).
*/
#ifndef CCHC_DB_IMPL_H
#define CCHC_DB_IMPL_H

#include <sqlite3.h>
#include <stddef.h>

/*  The statement `sql` with `text` bound to ?1 (NULL: nothing bound).  NULL
    on error. */
static inline sqlite3_stmt *
s_prepare_text (sqlite3 *db, const char *sql, const char *text)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (db, sql, -1, &st, NULL) != SQLITE_OK) {
        sqlite3_finalize (st);
        return NULL;
    }
    if (text)
        sqlite3_bind_text (st, 1, text, -1, SQLITE_STATIC);
    return st;
}

/*  Finalize a statement whose (last) step returned `step`, a lookup of at
    most one row: 1 it found the row, 0 none, -1 error. */
static inline int
s_found (sqlite3_stmt *st, int step)
{
    sqlite3_finalize (st);
    return step == SQLITE_ROW ? 1 : step == SQLITE_DONE ? 0 : -1;
}

/*  Step a statement once and finalize it: 1 a row, 0 none, -1 error. */
static inline int
s_exists (sqlite3_stmt *st)
{
    return s_found (st, sqlite3_step (st));
}

/*  Run a statement that returns no rows and finalize it.  0 or -1. */
static inline int
s_run (sqlite3_stmt *st)
{
    return s_found (st, sqlite3_step (st)) == 0 ? 0 : -1;
}

/*  The end of a walk whose last step returned `step` (SQLITE_ROW: the
    callback stopped it): finalize; 0 done, 1 stopped, -1 error. */
static inline int
s_walked (sqlite3_stmt *st, int step)
{
    sqlite3_finalize (st);
    return step == SQLITE_DONE ? 0 : step == SQLITE_ROW ? 1 : -1;
}

/*  Text of column i, "" for NULL. */
static inline const char *
s_text (sqlite3_stmt *st, int i)
{
    const char *text = (const char *) sqlite3_column_text (st, i);
    return text ? text : "";
}

#endif
