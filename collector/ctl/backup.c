/*  backup.c — cchcctl backup (ctl.h): an online copy of the database with
    SQLite's backup API inside one read transaction, to FILE.partial-PID
    (0600), checked (integrity_check, journal count), made durable, then
    linked to FILE, which it never overwrites.
*/
#include "collector/ctl/admin.h"
#include "collector/ingest/conf.h"
#include "collector/periods/periods.h"
#include "collector/present/report.h"
#include "collector/db/db.h"
#include "collector/db/periods.h"
#include "common/clock.h"
#include "common/key.h"
#include "common/log.h"
#include "common/period.h"
#include "common/text.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>
#include "collector/ctl/ctl.h"

/* ---------------------------------------------------------------- backup */

/*  fsync the folder holding `path` (the rename is durable). */
static void
s_sync_dir (const char *path)
{
    char dir [CCHC_COLLECTOR_PATH_MAX + 64];
    cchc_strlcpy (dir, path, sizeof dir);
    char *slash = strrchr (dir, '/');
    if (!slash)
        strcpy (dir, ".");
    else if (slash == dir)
        dir [1] = 0;
    else
        *slash = 0;
    int fd = open (dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync (fd);
        close (fd);
    }
}

static void
s_remove_partial (const char *tmp)
{
    char side [CCHC_COLLECTOR_PATH_MAX + 96];
    unlink (tmp);
    snprintf (side, sizeof side, "%s-journal", tmp);
    unlink (side);
    snprintf (side, sizeof side, "%s-wal", tmp);
    unlink (side);
    snprintf (side, sizeof side, "%s-shm", tmp);
    unlink (side);
}

/*  Copy every page in steps of `step` pages, showing the progress on
    stderr; finishes the backup (*bk_p set to NULL).  SQLite's result of
    sqlite3_backup_finish. */
static int
s_copy_steps (sqlite3_backup **bk_p, int64_t step)
{
    sqlite3_backup *bk = *bk_p;
    int rc, last_shown = -1;
    bool tty = isatty (STDERR_FILENO);
    do {
        rc = sqlite3_backup_step (bk, (int) step);
        int total = sqlite3_backup_pagecount (bk);
        int done_pages = total - sqlite3_backup_remaining (bk);
        int pct = total ? (int) ((int64_t) done_pages * 100 / total) : 100;
        if (tty || pct / 10 != last_shown / 10 || rc == SQLITE_DONE) {
            fprintf (stderr, "%sbackup: %3d%% (%d of %d pages)%s", tty ? "\r" : "", pct,
                     done_pages, total, tty && rc != SQLITE_DONE ? "" : "\n");
            last_shown = pct;
        }
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
            sqlite3_sleep (50);
    } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
    *bk_p = NULL;
    return sqlite3_backup_finish (bk);
}

/*  Make the copy self-contained (no -wal beside it) and check it: SQLite's
    integrity_check and the journal's extent (row count and newest id) equal
    to the source's.  0, or -1 (said). */
static int
s_check_copy (sqlite3 *dst, const char *tmp, int64_t journal_rows, int64_t journal_max)
{
    int64_t copied = -1, copied_max = -1;
    char problem [512];
    if (cchc_db_leave_wal (dst)) {
        fprintf (stderr, "cchcctl: %s: %s\n", tmp, sqlite3_errmsg (dst));
        return -1;
    }
    int ok = cchc_db_integrity (dst, problem, sizeof problem);
    if (ok == 0)
        fprintf (stderr, "cchcctl: integrity_check of the copy: %s\n", problem);
    if (ok != 1 || cchc_db_journal_extent (dst, &copied, &copied_max) || copied != journal_rows
        || copied_max != journal_max) {
        fprintf (stderr, "cchcctl: the copy does not check out (%s)\n",
                 ok < 0    ? sqlite3_errmsg (dst)
                 : ok == 0 ? "integrity_check"
                           : "journal extent differs");
        return -1;
    }
    return 0;
}

/*  Make the checked copy `tmp` durable and give it its name `out`, which it
    never overwrites (link fails if `out` appeared meanwhile).  0, or -1
    (said; *what names the step). */
static int
s_publish (const char *tmp, const char *out, const char **what)
{
    int fd = open (tmp, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fsync (fd) != 0) {
        fprintf (stderr, "cchcctl: %s: %s\n", tmp, strerror (errno));
        if (fd >= 0)
            close (fd);
        return -1;
    }
    close (fd);
    *what = "rename";
    if (link (tmp, out) == 0)
        unlink (tmp);
    else if (errno == EEXIST) {
        fprintf (stderr, "cchcctl: %s: exists (a backup never overwrites a file)\n", out);
        return -1;
    }
    else if (access (out, F_OK) == 0 || rename (tmp, out) != 0) {
        fprintf (stderr, "cchcctl: %s: %s\n", out,
                 access (out, F_OK) == 0 ? "exists (a backup never overwrites a file)"
                                         : strerror (errno));
        return -1;
    }
    s_sync_dir (out);
    return 0;
}

int
cchc_ctl_backup (const cchc_ctl_ctx_t *ctx, const cchc_ctl_args_t *a)
{
    const cchc_collector_conf_t *conf = ctx->conf;
    const char *out = cchc_ctl_arg (a, "--out"), *step_text = cchc_ctl_arg (a, "--step");
    int64_t step = 1024;
    if (step_text && cchc_parse_int64 (step_text, 1, 1 << 20, &step)) {
        fprintf (stderr, "cchcctl: --step: pages per step, 1 to 1048576\n");
        return 2;
    }
    if (!out || !*out)
        return cchc_ctl_usage_of (a);
    if (strlen (out) > CCHC_COLLECTOR_PATH_MAX) {
        fprintf (stderr, "cchcctl: --out: path too long\n");
        return 2;
    }
    if (access (out, F_OK) == 0) {
        fprintf (stderr, "cchcctl: %s: exists (a backup never overwrites a file)\n", out);
        return 1;
    }
    if (errno != ENOENT) {
        fprintf (stderr, "cchcctl: %s: %s\n", out, strerror (errno));
        return 1;
    }
    sqlite3 *src = cchc_ctl_open_readonly (conf);
    if (!src)
        return 1;
    char tmp [CCHC_COLLECTOR_PATH_MAX + 64];
    snprintf (tmp, sizeof tmp, "%s.partial-%ld", out, (long) getpid ());
    int fd = open (tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        fprintf (stderr, "cchcctl: %s: %s\n", tmp, strerror (errno));
        sqlite3_close (src);
        return 1;
    }
    close (fd);
    sqlite3 *dst = NULL;
    sqlite3_backup *bk = NULL;
    int status = 1;
    int64_t journal_rows = 0, journal_max = 0;
    const char *what = "copy";
    /*  One read transaction on the source for the whole copy: every step
        reads the same snapshot, so the copy is consistent and the collector's
        commits (WAL) neither wait for it nor restart it. */
    if (cchc_db_read_begin (src)
        || cchc_db_journal_extent (src, &journal_rows, &journal_max)) {
        fprintf (stderr, "cchcctl: %s\n", sqlite3_errmsg (src));
        goto done;
    }
    if (sqlite3_open_v2 (tmp, &dst, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        fprintf (stderr, "cchcctl: %s: %s\n", tmp, dst ? sqlite3_errmsg (dst) : "cannot open");
        goto done;
    }
    bk = sqlite3_backup_init (dst, "main", src, "main");
    if (!bk) {
        fprintf (stderr, "cchcctl: backup: %s\n", sqlite3_errmsg (dst));
        goto done;
    }
    int rc = s_copy_steps (&bk, step);
    cchc_db_read_end (src);
    if (rc != SQLITE_OK) {
        fprintf (stderr, "cchcctl: backup: %s\n", sqlite3_errmsg (dst));
        goto done;
    }
    /*  A self-contained file (no -wal beside it), durable, then checked. */
    what = "check";
    if (s_check_copy (dst, tmp, journal_rows, journal_max))
        goto done;
    if (sqlite3_close (dst) != SQLITE_OK) {
        fprintf (stderr, "cchcctl: %s: %s\n", tmp, sqlite3_errmsg (dst));
        goto done;
    }
    dst = NULL;
    if (s_publish (tmp, out, &what))
        goto done;
    struct stat st_out;
    stat (out, &st_out);
    printf ("backup %s: %lld bytes, %lld journal rows (up to journal id %lld), "
            "integrity_check ok\n",
            out, (long long) st_out.st_size, (long long) journal_rows,
            (long long) journal_max);
    status = 0;
done:
    if (bk)
        sqlite3_backup_finish (bk);
    sqlite3_close (dst);
    sqlite3_close (src);
    if (status) {
        s_remove_partial (tmp);
        fprintf (stderr, "cchcctl: backup failed at the %s step; nothing written to %s\n",
                 what, out);
    }
    return status;
}
