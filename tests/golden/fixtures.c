/*  fixtures.c — cchc-golden-fixtures: writes the two test databases the golden
    files are recorded on (golden.sh): the Tuyên Quang sample of
    tests/dashboard/fixture.h (2021, four quarters, four reporting days a
    month, agents last seen at 2021-12-20 09:00 local) and the hand-computed
    province of tests/rollup/fixture.h (observation_month kept by triggers).

      cchc-golden-fixtures TQ_DB TQ_CRITERIA SMALL_DB
*/
#include "tests/dashboard/fixture.h"
#include "tests/rollup/fixture.h"

#include "common/clock.h"

#include <stdio.h>

int
main (int argc, char **argv)
{
    if (argc != 4) {
        fprintf (stderr, "usage: cchc-golden-fixtures TQ_DB TQ_CRITERIA SMALL_DB\n");
        return 2;
    }
    int64_t now;
    if (cchc_clock_parse_iso ("2021-12-20T03:00:00Z", &now) != 0)
        return 1;
    cchc_fixture_t f = { .generated_units = 0,
                         .year = 2021,
                         .quarters = 4,
                         .days_per_month = 4,
                         .last_seen_ms = now - 3600 * 1000 };
    char err [512];
    if (cchc_fixture_build (argv [1], argv [2], &f, err, sizeof err) != 0) {
        fprintf (stderr, "fixture %s: %s\n", argv [1], err);
        return 1;
    }
    if (fx_db_create (argv [3], FX_TRIGGERS) != 0)
        return 1;
    return 0;
}
