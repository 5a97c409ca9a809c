/*  prove.h — a figure the Ministry holds, proved from the province's own
    journal up to the position stated in the signed message (prove.c). */
#ifndef CCHC_NATIONAL_PROVE_H
#define CCHC_NATIONAL_PROVE_H

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>

/*  Replay `province_db`'s journal up to the stated position of the version
    (highest complete when version <= 0) of `province`'s `period` held in
    `national`, roll it up with the catalogue at criteria_path (its SHA-256
    must be the message's) and compare every unit.  Differences go to `out`;
    *units gets the units compared, *diffs the differences.  0 (compared:
    proved when *diffs is 0), or -1 with err. */
int cchc_national_prove (sqlite3 *national, const char *province_db, const char *criteria_path,
                         const char *province, const char *period, int64_t version, FILE *out,
                         int64_t *units, int64_t *diffs, char *err, size_t errlen);

#endif
