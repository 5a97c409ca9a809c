#!/usr/bin/env bash
# values.sh — values the figures cannot hold (issue 13 item 10, the sums):
#   - two observations of 2^62 for one agent and metric: `cchcctl audit`
#     still runs to its end (it reports the rows changed behind the
#     journal's back) instead of failing with "integer overflow", and the
#     roll-up still computes;
#   - two floats of 1e308 sum to inf: `cchcctl rollup --format json` says
#     so ("value": null and "value_error"), never drops the field;
#   - `cchcctl explain` prints an integer as one (811, not 811.0), a real as
#     a real, in JSON, CSV and the table.
# The hostile values are written into the database directly (ingest may
# refuse them), after real reports stored rows for them.
. "$(dirname "$0")/lib.sh"

setup_state
start_collector --set collector.rollup_interval=0
expect stored.int "status=accepted reason=none seq=1 rejected=" \
  "$(send a1 --unit SNV --seq 1 --obs 'tthc_received,2021-03-01,811;tthc_received,2021-03-02,7;tthc_resolved,2021-03-01,2.5;tthc_resolved,2021-03-02,1.5')"
stop_collector

ctl () { "$CTL" --state "$ST" --criteria "$CATALOGUE" "$@"; }
json () { python3 -c "import json, sys; d = json.load(sys.stdin); print($1)"; }

# explain: the kind the protocol kept
expect explain.json_int "811 7" \
  "$(ctl explain --period 2021-Q1 --unit SNV --metric tthc_received --format json | json "' '.join(json.dumps(r['value']) for r in d['rows'])")"
expect explain.json_real "2.5 1.5" \
  "$(ctl explain --period 2021-Q1 --unit SNV --metric tthc_resolved --format json | json "' '.join(json.dumps(r['value']) for r in d['rows'])")"
expect explain.csv_int "*,2021-03-01,811,1,*" \
  "$(ctl explain --period 2021-Q1 --unit SNV --metric tthc_received --format csv | grep 2021-03-01)"

# two observations of 2^62 (their sum leaves int64), two floats of 1e308
sqlite3 "$DB" "UPDATE observation SET value = 4611686018427387904 WHERE metric = 'tthc_received';
               UPDATE observation SET value = 1e308 WHERE metric = 'tthc_resolved';"
expect hostile.stored "4611686018427387904|integer|2" \
  "$(sql "SELECT min(value), typeof(min(value)), count(*) FROM observation WHERE metric = 'tthc_received'")"
out=$(ctl audit 2>&1) || true
echo "$out" | tail -3 | sed 's/^/     audit: /'
expect audit.no_overflow "0" "$(grep -ci 'overflow' <<<"$out" || true)"
expect audit.completes "audit: * mismatches" "$(tail -1 <<<"$out")"
expect audit.reports_the_change "1" "$(grep -c 'observation' <<<"$out" | awk '{ print ($1 >= 1) }')"

out=$(ctl rollup --period 2021-Q1 --unit SNV --format json 2>&1) || true
cell () {   # cell METRIC — "value value_error" of SNV's metric cell
  python3 -c "
import json, sys
d = json.loads(sys.stdin.read())
u = [u for u in d['units'] if u['code'] == 'SNV'][0]
m = [m for m in u['metrics'] if m['code'] == '$1'][0]
print('value' in m, json.dumps(m.get('value')), m.get('value_error', '-'))" <<<"$out"
}
expect rollup.int_sum "True 9.223372036854776e+18 -" "$(cell tthc_received)"
expect rollup.inf_said "True null not a finite number: the sum of the rows overflowed" \
  "$(cell tthc_resolved)"
expect explain.big_int "4611686018427387904 4611686018427387904" \
  "$(ctl explain --period 2021-Q1 --unit SNV --metric tthc_received --format json | json "' '.join(json.dumps(r['value']) for r in d['rows'])")"
expect explain.table_big_int "*4611686018427387904*" \
  "$(ctl explain --period 2021-Q1 --unit SNV --metric tthc_received | grep 2021-03-01)"

finish
