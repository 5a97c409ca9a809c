/*  failpoint.h — start-up steps a test can make fail, to check that a
    collector failing at any step exits cleanly instead of hanging or
    leaking (tests/collector/startup.sh).

    Only the test copy of the collector (cchc-collector-failpoints, built by
    tests/collector/CMakeLists.txt with CCHC_FAILPOINTS defined) has them:
    there CCHC_FAILPOINT (name, err, errlen) is true when the environment
    variable CCHC_FAIL_AT equals `name`, and puts "failpoint NAME" in err.
    In the real collector it is the constant false.
*/
#ifndef CCHC_FAILPOINT_H
#define CCHC_FAILPOINT_H

#include <stdbool.h>
#include <stddef.h>

#ifdef CCHC_FAILPOINTS
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline bool
cchc_failpoint (const char *name, char *err, size_t errlen)
{
    const char *at = getenv ("CCHC_FAIL_AT");
    if (!at || strcmp (at, name) != 0)
        return false;
    snprintf (err, errlen, "failpoint %s", name);
    return true;
}
#define CCHC_FAILPOINT(name, err, errlen) cchc_failpoint ((name), (err), (errlen))
#else
#define CCHC_FAILPOINT(name, err, errlen) ((void) (err), (void) (errlen), false)
#endif

#endif
