/*  rollup_json.h — a roll-up as JSON, owned by the figures: the form
    `cchcctl rollup --format json` prints and the period keeper stores as
    period_result.result (collector/periods/periods.h), so stored results never come
    from display code.  Also the JSON values every JSON output of the
    collector (this one and the dashboard's API) writes with:

      numbers   json real; NaN and infinities are null
      days      "2021-03-14"
      instants  local time (UTC+7) "2021-03-18T23:59:59+07:00"; null for 0
      kinds     "month", "quarter", "half", "nine_months", "year"
*/
#ifndef CCHC_ROLLUP_JSON_H
#define CCHC_ROLLUP_JSON_H

#include "collector/figures/rollup.h"

#include <jansson.h>
#include <stdint.h>

/*  The roll-up as a JSON object (new reference, NULL on out of memory).
    unit == NULL: every unit with its indicators, plus the province figures
    and distributions; unit = CODE: that unit only, with its metrics (values,
    days, rows, agents, newest journal id and arrival).  A number that is
    not finite (NAN, or a sum that overflowed to inf) is null, never a
    missing field; a metric cell whose sum is not finite also says so in
    "value_error". */
json_t *cchc_rollup_json (const cchc_rollup_t *r, const char *unit);

/*  The JSON values above (new references). */
json_t *cchc_rollup_json_real (double v);
json_t *cchc_rollup_json_day (int32_t yyyymmdd);
json_t *cchc_rollup_json_time (int64_t utc_ms);

/*  The code of a period kind; "" for anything else. */
const char *cchc_rollup_json_kind (cchc_period_kind_t kind);

/*  Pieces every JSON form of a roll-up shares (this one, the stored
    snapshot, the dashboard's API), so each field is written one way:
      previous        the previous period's id, or null
      unit_id         code, name, level, parent (into `o`)
      unit_totals     index, rank, grade, change, previous_rank, earned,
                      applicable, complete, on_time, pending,
                      metrics_expected, metrics_reported (into `o`)
      unit_areas      [{code, earned, applicable}] of each area
      figure_values   numerator, denominator, value, target, met, units,
                      units_missing of a province figure (into `o`)
      dist_values     units, ranked, min, median, max, mean, incomplete,
                      late of a distribution (into `o`)
      grades          [{grade, from, units}] of a distribution */
json_t *cchc_rollup_json_previous (const cchc_rollup_t *r);
void cchc_rollup_json_unit_id (json_t *o, const cchc_rollup_unit_result_t *u);
void cchc_rollup_json_unit_totals (json_t *o, const cchc_rollup_unit_result_t *u);
json_t *cchc_rollup_json_unit_areas (const cchc_rollup_t *r,
                                     const cchc_rollup_unit_result_t *u);
void cchc_rollup_json_figure_values (json_t *o, const cchc_rollup_figure_t *f);
void cchc_rollup_json_dist_values (json_t *o, const cchc_rollup_dist_t *d);
json_t *cchc_rollup_json_grades (const cchc_rollup_t *r, const cchc_rollup_dist_t *d);

#endif
