/*  source.h — where an agency's figures come from: a command (exec), a
    read-only SQLite query (sql) and a CSV drop folder (csv).  Each turns
    outside data into cchc_obs_t observations; none of them writes to the
    outbox itself (the daemon or the caller does, through a sink).

    Text formats
      exec output, one observation per line:   METRIC VALUE [YYYY-MM-DD]
          fields separated by spaces or tabs; the date defaults to today
          (local, Asia/Ho_Chi_Minh); blank lines and lines starting with '#'
          are ignored.  VALUE is an integer or a finite decimal number.
      sql rows: (metric TEXT, date TEXT 'YYYY-MM-DD' or INTEGER yyyymmdd,
          value INTEGER or REAL)
      csv files: metric,date,value  (an optional header row naming exactly
          those columns; a UTF-8 byte-order mark is skipped)

    Every observation is checked the way the collector will check it: metric
    code syntax, a real date no later than tomorrow, a finite value.  A bad
    line / row is reported with its number; exec and sql skip it and keep the
    rest, a csv file with any bad row is refused whole (moved to failed/ with
    a .reason file, so staff fix it and drop it again).
*/
#ifndef CCHC_AGENT_SOURCE_H
#define CCHC_AGENT_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto/proto.h"

#define CCHC_SOURCE_OBS_MAX 100000 /* observations per run / file */
#define CCHC_SOURCE_CSV_MAX_BYTES (16 * 1024 * 1024)

/*  Observations and problems found by one run. */
typedef struct {
    cchc_obs_t *obs; /* malloc'd, nobs entries */
    size_t nobs, cap;
    size_t nbad;         /* lines / rows skipped */
    char problems [512]; /* the first bad lines, "line 3: ...; line 7: ..." */
} cchc_source_result_t;

void cchc_source_result_init (cchc_source_result_t *res);
void cchc_source_result_clear (cchc_source_result_t *res);

/*  Note a bad line/row (kept in problems while there is room). */
void cchc_source_result_bad (cchc_source_result_t *res, size_t line, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/*  Check one observation given as text fields and add it.  date may be NULL
    or empty (today).  Returns 0, or -1 with the reason in why. */
int cchc_source_add (cchc_source_result_t *res, const char *metric, const char *value,
                     const char *date, cchc_date_t today, char *why, size_t whylen);

/*  Parse exec output (see the format above).  Can't fail: bad lines are
    counted into res. */
void cchc_source_parse_lines (const char *text, size_t len, cchc_date_t today,
                              cchc_source_result_t *res);

/*  --- exec --------------------------------------------------------------

    A running command: /bin/sh -c COMMAND in its own process group, stdin
    from /dev/null, stdout and stderr read through non-blocking pipes.  The
    caller polls the fds it reports and calls _step; past the deadline the
    whole process group is killed (SIGKILL) and the run fails. */
typedef struct cchc_exec_t cchc_exec_t;

/*  Start the command.  NULL with err set if it cannot be started. */
cchc_exec_t *cchc_exec_start (const char *command, int64_t timeout_ms, size_t max_output,
                              char *err, size_t errlen);

/*  Kill (if still running), reap and free. */
void cchc_exec_destroy (cchc_exec_t **self_p);

/*  Fds still open for reading (0..2 of them), for poll.  Returns the count. */
int cchc_exec_fds (const cchc_exec_t *self, int fds [2]);

/*  Milliseconds until the deadline (>= 0); the caller should not sleep
    longer than this. */
int64_t cchc_exec_wait_ms (const cchc_exec_t *self);

/*  Read what is available, enforce the deadline and output limit, reap the
    child when it is done.  Never blocks.  Returns 1 when finished, 0 while
    running. */
int cchc_exec_step (cchc_exec_t *self);

/*  After _step returned 1: 0 if the command exited 0 within its limits,
    else -1 with the reason in err (exit status, signal, timeout, output
    too long, and the last line of its stderr). */
int cchc_exec_result (const cchc_exec_t *self, char *err, size_t errlen);

/*  Its standard output (valid until destroy). */
const char *cchc_exec_output (const cchc_exec_t *self, size_t *len);

pid_t cchc_exec_pid (const cchc_exec_t *self);

/*  Convenience: start, wait and parse in one blocking call (tests, the
    one-shot `collect` command).  Returns 0 (res filled) or -1 (err). */
int cchc_exec_run (const char *command, int64_t timeout_ms, size_t max_output,
                   cchc_date_t today, cchc_source_result_t *res, char *err, size_t errlen);

/*  --- sql ---------------------------------------------------------------

    Open `database` read-only (SQLITE_OPEN_READONLY, query_only), refuse a
    statement that could write, run `query` with a time limit and collect the
    rows.  Returns 0 (res filled, bad rows counted) or -1 (err). */
int cchc_sql_run (const char *database, const char *query, int64_t timeout_ms,
                  cchc_date_t today, cchc_source_result_t *res, char *err, size_t errlen);

/*  --- csv folder ----------------------------------------------------------

    Layout under the drop folder:
      FOLDER/NAME.csv        dropped files (write elsewhere or under another
                             name, then rename to *.csv: only complete files)
      FOLDER/processing/     a file being taken (rename is atomic: a file is
                             taken once; after a crash it is taken again from
                             here, which is harmless: unchanged values are not
                             re-sent)
      FOLDER/done/           taken files, as TIMESTAMP-NAME
      FOLDER/failed/         refused files, as TIMESTAMP-NAME, each with a
                             TIMESTAMP-NAME.reason text file

    The sink stores a file's observations (the outbox); it returns 0 or -1
    (with err): on -1 the file stays in processing/ and is tried again later. */
typedef int (*cchc_source_sink_fn) (void *arg, const cchc_obs_t *obs, size_t n, char *err,
                                    size_t errlen);

typedef struct {
    size_t taken;          /* files moved to done/ */
    size_t failed;         /* files moved to failed/ */
    size_t obs;            /* observations handed to the sink */
    char last_error [512]; /* why the last failed file failed */
} cchc_csv_scan_t;

/*  Create the sub-folders if needed, then take every file: first any left
    in processing/, then FOLDER/NAME.csv in name order.  Returns 0, or -1 if
    the folder itself is unusable or the sink failed (err). */
int cchc_csv_scan (const char *folder, cchc_date_t today, cchc_source_sink_fn sink, void *arg,
                   int64_t now_ms, cchc_csv_scan_t *scan, char *err, size_t errlen);

/*  Parse one CSV buffer.  Returns 0 when every row is good, -1 when some
    are bad (res->problems says which) or the CSV does not parse. */
int cchc_csv_parse (const char *data, size_t len, cchc_date_t today,
                    cchc_source_result_t *res);

/*  Count the *.reason files in FOLDER/failed/ (status).  -1 if unreadable. */
int cchc_csv_failed_count (const char *folder);

#endif
