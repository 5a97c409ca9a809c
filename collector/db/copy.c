/*  copy.c — what cchcctl backup asks of a copy of the database (db.h):
    SQLite's integrity check, and leaving WAL mode so the file stands alone.
*/
#include "collector/db/db.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

int
cchc_db_integrity (sqlite3 *db, char *problem, size_t len)
{
    assert (db && problem && len > 0);
    problem [0] = 0;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2 (db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK)
        return -1;
    bool ok = true;
    int rc;
    while ((rc = sqlite3_step (st)) == SQLITE_ROW) {
        const char *line = (const char *) sqlite3_column_text (st, 0);
        if (ok && (!line || strcmp (line, "ok") != 0)) {
            snprintf (problem, len, "%s", line ? line : "?");
            ok = false;
        }
    }
    sqlite3_finalize (st);
    if (rc != SQLITE_DONE)
        return -1;
    return ok ? 1 : 0;
}

int
cchc_db_leave_wal (sqlite3 *db)
{
    assert (db);
    return sqlite3_exec (db, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL) == SQLITE_OK
               ? 0
               : -1;
}
