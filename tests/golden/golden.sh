#!/usr/bin/env bash
# golden.sh — the collector's outputs on the test fixtures, byte for byte,
# against the files recorded in tests/golden/expected/ (README.md there says
# what is recorded and how to re-record deliberately).
#
#   golden.sh FIXTURES SERVE CCHCCTL SOURCE_DIR WORKDIR
#
# Outputs: the JSON API and the exports (CSV as bytes, XLSX as the XML of its
# sheets and shared strings) served by cchc-dashboard-serve, and cchcctl's
# rollup (table, json, csv), report and explain, on the Tuyên Quang sample
# (tests/dashboard/fixture.h) and the hand-computed province
# (tests/rollup/fixture.h), all on the fixed clock 2021-12-20T10:00 local.
# CCHC_GOLDEN_RECORD=1 writes the outputs into expected/ instead of comparing.
set -euo pipefail
fixtures=$1 serve=$2 ctl=$3 src=$4 work=$5
expected=$src/tests/golden/expected
now=2021-12-20T03:00:00Z
rm -rf "$work"
mkdir -p "$work/out"
out=$work/out
tq_db=$work/tq.db small_db=$work/small.db
tq_ini=$src/data/criteria/default.ini small_ini=$src/tests/rollup/small.ini

"$fixtures" "$tq_db" "$tq_ini" "$small_db"

# --- the HTTP server ---------------------------------------------------------
"$serve" --db "$tq_db" --criteria "$tq_ini" --now "$now" --port 0 \
         --port-file "$work/port" >"$work/serve.log" 2>&1 &
serve_pid=$!
trap 'kill "$serve_pid" 2>/dev/null || true; wait "$serve_pid" 2>/dev/null || true' EXIT
for _ in $(seq 600); do                       # hang guard: 60 s
  [ -s "$work/port" ] && break
  kill -0 "$serve_pid" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
  sleep 0.1
done
[ -s "$work/port" ] || { echo "golden: the server did not start" >&2; exit 1; }
base="http://127.0.0.1:$(cat "$work/port")"

# One JSON object per line at each array element, so a diff is readable.
split_json () { sed -e 's/},{/},\n{/g'; }

get () {  # NAME PATH
  curl -sS --max-time 120 -o "$work/body" -w '%{http_code}\n' "$base$2" >"$work/status"
  { printf 'HTTP %s' "$(cat "$work/status")"; cat "$work/body"; echo; } | split_json >"$out/$1"
}

get_xlsx () {  # NAME PATH: the workbook's sheets and strings, not the zip bytes
  curl -sS --max-time 120 -o "$work/x.xlsx" "$base$2"
  : >"$out/$1"
  for part in xl/workbook.xml xl/sharedStrings.xml $(unzip -Z1 "$work/x.xlsx" \
              | grep '^xl/worksheets/sheet[0-9]*\.xml$' | sort -V); do
    { echo "== $part"; unzip -p "$work/x.xlsx" "$part" | sed -e 's/></>\n</g'; echo; } >>"$out/$1"
  done
}

get api-periods.json          "/api/v1/periods"
get api-catalogue.json        "/api/v1/catalogue"
for p in 2021-Q1 2021-Q4 2021-H1 2021; do
  get "api-summary-$p.json"   "/api/v1/summary?period=$p"
  get "api-ranking-$p.json"   "/api/v1/ranking?period=$p"
  get "api-units-$p.json"     "/api/v1/units?period=$p"
done
for l in so huyen xa; do
  get "api-ranking-2021-Q2-$l.json" "/api/v1/ranking?period=2021-Q2&level=$l"
done
get api-unit-STP-2021-Q2.json "/api/v1/units/STP?period=2021-Q2"
get api-unit-071-2021-Q2.json "/api/v1/units/071?period=2021-Q2"
get api-status-2021-Q4.json   "/api/v1/status?period=2021-Q4"
get api-trend-SNV.json        "/api/v1/trend?unit=SNV&code=index&to=2021-Q4&count=4"
get api-trend-e_docs.json     "/api/v1/trend?code=e_docs&level=all&to=2021-H2&count=2"
get api-agents.json           "/api/v1/agents"
get api-explain.json          "/api/v1/explain?period=2021-Q1&unit=071&code=e_docs"
get api-error-level.json      "/api/v1/ranking?period=2021-Q1&level=tinh"
for t in ranking summary status; do
  p=2021-Q1; [ "$t" = status ] && p=2021-Q4
  get      "export-$t-$p.csv"       "/export/$t.csv?period=$p"
  get_xlsx "export-$t-$p.xlsx.txt"  "/export/$t.xlsx?period=$p"
done
get      export-ranking-2021-Q1-xa.csv      "/export/ranking.csv?period=2021-Q1&level=xa"
get_xlsx export-ranking-2021-Q1-xa.xlsx.txt "/export/ranking.xlsx?period=2021-Q1&level=xa"
kill "$serve_pid"; wait "$serve_pid" 2>/dev/null || true
trap - EXIT

# --- the admin tool ------------------------------------------------------------
ctl () {  # NAME DB CRITERIA ARGS...: stdout, and the exit status
  local name=$1 db=$2 ini=$3; shift 3
  local rc=0
  "$ctl" --db "$db" --criteria "$ini" --set clock.demo="$now" "$@" >"$out/$name" 2>"$work/ctl.err" || rc=$?
  echo "exit $rc" >>"$out/$name"
}
for set in tq small; do
  if [ $set = tq ]; then db=$tq_db ini=$tq_ini unit=071 code=e_docs
  else db=$small_db ini=$small_ini unit=S2 code=workfiles; fi
  for p in 2021-Q1 2021; do
    for f in table json csv; do
      ctl "ctl-$set-rollup-$p.$f" "$db" "$ini" rollup --period "$p" --format $f --live
    done
    ctl "ctl-$set-report-$p.status" "$db" "$ini" report --period "$p" \
        --out "$out/ctl-$set-report-$p.md" --live
  done
  ctl "ctl-$set-rollup-unit.table" "$db" "$ini" rollup --period 2021-Q1 --unit $unit --live
  ctl "ctl-$set-explain.table" "$db" "$ini" explain --period 2021-Q1 --unit $unit \
      --indicator $code
done

# --- compare -------------------------------------------------------------------
if [ "${CCHC_GOLDEN_RECORD:-0}" = 1 ]; then
  rm -rf "$expected"
  cp -r "$out" "$expected"
  echo "golden: recorded $(ls "$expected" | wc -l) files into $expected"
  exit 0
fi
if ! diff -r "$expected" "$out" >"$work/diff"; then
  head -c 20000 "$work/diff"
  echo "golden: outputs differ from tests/golden/expected (full diff: $work/diff);"
  echo "        if the change is meant, re-record (tests/golden/README.md)"
  exit 1
fi
echo "golden: $(ls "$out" | wc -l) outputs match"
