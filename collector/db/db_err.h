/*  db_err.h — the error-text helpers of collector/db/ (db.c, units.c):
    private to the folder. */
#ifndef CCHC_DB_ERR_H
#define CCHC_DB_ERR_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static inline void
s_seterr (char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list args;
    va_start (args, fmt);
    vsnprintf (err, errlen, fmt, args);
    va_end (args);
}

/*  Append one "where: reason" line to err (keeps earlier lines). */
static inline void
s_adderr (char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    size_t used = strlen (err);
    if (used + 2 >= errlen)
        return;
    if (used) {
        err [used++] = '\n';
        err [used] = 0;
    }
    va_list args;
    va_start (args, fmt);
    vsnprintf (err + used, errlen - used, fmt, args);
    va_end (args);
}

#endif
