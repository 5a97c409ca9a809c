/*  fixture.h — builds a collector database with known, deterministic data
    for the dashboard's tests, its test server and the API benchmark.

    The schema is collector/db/schema.h's CCHC_DB_SCHEMA_SQL plus the roll-up's
    own table (cchc_db_month_apply), as the collector creates them; rows
    are written
    directly (journal entries carry dummy bodies and signatures: the roll-up
    reads observations and arrival times only).

    Units: either a sample of Tuyên Quang 2021 (province 08, its 19
    departments, its 7 districts, the 23 communes of Thành phố Tuyên Quang
    and Huyện Lâm Bình — names with full diacritics), or `generated_units`
    made-up units (2% departments, 5% districts, the rest communes).

    Data: one agent per unit (two for Huyện Lâm Bình, 071), every metric the
    unit's level reports, on `days_per_month` days of each month of the
    windows of the first `quarters` quarters of `year`; counters split per
    day, gauges on the first reporting day of each month.  Numerators are
    rates of their denominators that depend on the unit, so indices differ.
    Messages arrive the day after the data day, 09:00 local.

    Special cases in the Tuyên Quang sample (asserted by the tests):
      SNGV    Sở Ngoại vụ: enrolled, never sent anything (silent, no data)
      STP     Sở Tư pháp: never reports training_planned / training_done
              (indicator "training" missing)
      02515   Xã Lưỡng Vượng: every message of the last quarter arrives on
              the 20th of its last month (after the due day: late)
      SXD     Sở Xây dựng: its agent has 3 rejected messages
      071     Huyện Lâm Bình: two agents sharing its counters
      02296   Xã Thổ Bình: stopped sending after the third quarter (no data
              for the fourth, silent since then)
*/
#ifndef CCHC_TEST_FIXTURE_H
#define CCHC_TEST_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int generated_units;  /* 0: the Tuyên Quang sample */
    int year;             /* reporting year, e.g. 2021 */
    int quarters;         /* quarters with data, 1..4 */
    int days_per_month;   /* reporting days per month, 1..4 */
    int64_t last_seen_ms; /* agents that keep sending were last seen then
                                   (UTC ms); 0: at their last data message */
} cchc_fixture_t;

/*  Create (replacing) the database at `path`.  0, or -1 with the reason. */
int cchc_fixture_build (const char *path, const char *criteria_path, const cchc_fixture_t *f,
                        char *err, size_t errlen);

#endif
