/*  ctl.h — cchcctl's "national" and "upstream" commands (ctl.c). */
#ifndef CCHC_NATIONAL_CTL_H
#define CCHC_NATIONAL_CTL_H

#include "collector/ingest/conf.h"

/*  cmd is "national" or "upstream"; argv[0] the subcommand; criteria the
    --criteria FILE given (NULL when none; national prove needs it).
    Returns the exit status (2: usage). */
int cchc_national_ctl (const cchc_collector_conf_t *conf, const char *criteria,
                       const char *cmd, int argc, char **argv);

/*  The national part of `cchcctl audit`: nothing on a database without the
    national tables.  Exit status. */
int cchc_national_ctl_audit (const cchc_collector_conf_t *conf);

#endif
