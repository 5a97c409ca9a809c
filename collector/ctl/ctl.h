/*  ctl.h — what the files of cchcctl share (cchcctl.c: the command table,
    option parsing, main and the database commands; figures.c: rollup,
    report, explain, criteria check, period; backup.c); private to
    collector/ctl/. */
#ifndef CCHC_CTL_H
#define CCHC_CTL_H

#include "collector/ingest/conf.h"
#include "collector/db/db.h"

#include <stdbool.h>
#include <stdio.h>

/*  What a command is run with: the configuration, the catalogue's path, and
    the database when the command's table entry asks for it. */
typedef struct {
    const cchc_collector_conf_t *conf;
    const char *criteria; /* catalogue path (--criteria or the config) */
    cchc_db_t *store;     /* CCHC_CTL_STORE / CCHC_CTL_STORE_CREATE commands */
} cchc_ctl_ctx_t;

#define CCHC_CTL_OPTS_MAX 8
#define CCHC_CTL_WORDS_MAX 64

typedef struct cchc_ctl_command_t cchc_ctl_command_t;

/*  A command's arguments, parsed once against its entry's options. */
typedef struct {
    const cchc_ctl_command_t *cmd;
    const char *values [CCHC_CTL_OPTS_MAX]; /* by option, NULL when not given;
                                           "" for a given flag */
    const char *words [CCHC_CTL_WORDS_MAX]; /* the other arguments, in order */
    int word_count;
} cchc_ctl_args_t;

typedef enum { CCHC_CTL_NONE = 0, CCHC_CTL_STORE, CCHC_CTL_STORE_CREATE } cchc_ctl_need_t;

/*  One command of the table: its name (one or two words), what follows it
    and its help (both for the usage text), its options ("--name=" takes a
    value, "--name" is a flag), how many other arguments it takes, what it
    needs opened, and its handler (exit status 0, 1 failure, 2 usage). */
struct cchc_ctl_command_t {
    const char *name;
    const char *synopsis;
    const char *help; /* lines separated by '\n' */
    const char *opts [CCHC_CTL_OPTS_MAX];
    int words_min, words_max;
    cchc_ctl_need_t need;
    int (*run) (const cchc_ctl_ctx_t *ctx, const cchc_ctl_args_t *args);
};

/* ------------------------------------------------------------------------ */
/*  Shared between the files */

#include <sqlite3.h>

/*  The value of option `name` ("--period"), NULL when not given. */
const char *cchc_ctl_arg (const cchc_ctl_args_t *a, const char *name);

int cchc_ctl_backup (const cchc_ctl_ctx_t *ctx, const cchc_ctl_args_t *a);

int cchc_ctl_criteria_check (const cchc_ctl_ctx_t *ctx, const cchc_ctl_args_t *a);

int cchc_ctl_explain (const cchc_ctl_ctx_t *ctx, const cchc_ctl_args_t *a);

bool cchc_ctl_flag (const cchc_ctl_args_t *a, const char *name);

/*  Open the database read-only (rollup, report, period list, backup). */
sqlite3 *cchc_ctl_open_readonly (const cchc_collector_conf_t *conf);

int cchc_ctl_period_list (const cchc_ctl_ctx_t *ctx, const cchc_ctl_args_t *a);

int cchc_ctl_period_lock (const cchc_ctl_ctx_t *ctx, const cchc_ctl_args_t *a);

int cchc_ctl_period_log (const cchc_ctl_ctx_t *ctx, const cchc_ctl_args_t *a);

int cchc_ctl_period_reopen (const cchc_ctl_ctx_t *ctx, const cchc_ctl_args_t *a);

int cchc_ctl_report (const cchc_ctl_ctx_t *ctx, const cchc_ctl_args_t *a);

int cchc_ctl_rollup (const cchc_ctl_ctx_t *ctx, const cchc_ctl_args_t *a);

/*  Usage error of the command: its own usage line. */
int cchc_ctl_usage_of (const cchc_ctl_args_t *a);

#endif
