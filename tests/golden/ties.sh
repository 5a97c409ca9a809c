#!/usr/bin/env bash
# ties.sh — tied units stand in the same order in all six outputs of a
# ranking (rollup.h, cchc_rollup_ranking: rank, then unit code).
#
#   ties.sh FIXTURES SERVE CCHCCTL SOURCE_DIR WORKDIR
#
# On the hand-computed province (tests/rollup/fixture.h), 2021-Q1, level xa:
# X3 85.71 (rank 1), X1 and X2 both 80 (rank 2, tied: X1 "UBND xã Thượng Lâm"
# comes before X2 "UBND xã Khuôn Hà" by code although its name sorts after),
# X4 0 (rank 4).  The order is read from the JSON API, the dashboard (headless
# Chromium, rendered DOM; skipped without Chromium), the CSV and XLSX exports,
# the printable report and `cchcctl rollup`.
set -euo pipefail
fixtures=$1 serve=$2 ctl=$3 src=$4 work=$5
now=2021-12-20T03:00:00Z
want="X3 X1 X2 X4"
rm -rf "$work"; mkdir -p "$work"
db=$work/small.db ini=$src/tests/rollup/small.ini
"$fixtures" "$work/tq.db" "$src/data/criteria/default.ini" "$db" >/dev/null

"$serve" --db "$db" --criteria "$ini" --now "$now" --port 0 --port-file "$work/port" \
         >"$work/serve.log" 2>&1 &
serve_pid=$!
trap 'kill "$serve_pid" 2>/dev/null || true; wait "$serve_pid" 2>/dev/null || true' EXIT
for _ in $(seq 600); do                       # hang guard: 60 s
  [ -s "$work/port" ] && break
  kill -0 "$serve_pid" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
  sleep 0.1
done
base="http://127.0.0.1:$(cat "$work/port")"
q="period=2021-Q1&level=xa"
fail=0
check () {  # OUTPUT ORDER
  if [ "$2" = "$want" ]; then echo "ties: $1: $2"
  else echo "ties: $1: '$2', expected '$want'" >&2; fail=1; fi
}
codes () { grep -o 'X[0-9]' | awk '!seen[$0]++' | tr '\n' ' ' | sed 's/ $//'; }

check api "$(curl -sS --max-time 120 "$base/api/v1/ranking?$q" | grep -o '"code":"X[0-9]"' | codes)"

curl -sS --max-time 120 "$base/export/ranking.csv?$q" >"$work/r.csv"
check csv "$(cut -d, -f2 "$work/r.csv" | grep '^X[0-9]$' | codes)"

curl -sS --max-time 120 -o "$work/r.xlsx" "$base/export/ranking.xlsx?$q"
strings_xml=$(unzip -p "$work/r.xlsx" xl/sharedStrings.xml | sed 's/></>\n</g')
sheet_xml=$(unzip -p "$work/r.xlsx" xl/worksheets/sheet1.xml | sed 's/></>\n</g')
xlsx=$(awk -v S="$strings_xml" '
  BEGIN { n = split (S, l, "\n"); k = 0
          for (i = 1; i <= n; i++) if (l[i] ~ /^<t[ >]/) { t = l[i]; sub (/^<t[^>]*>/, "", t);
                                                          sub (/<\/t>$/, "", t); s[k++] = t } }
  /^<c r="B[0-9]+".*t="s"/ { b = 1; next }
  b && /^<v>/ { v = $0; gsub (/<\/?v>/, "", v); print s[v + 0]; b = 0; next }
  { b = 0 }' <<<"$sheet_xml" | grep '^X[0-9]$' | codes)
check xlsx "$xlsx"

if command -v chromium >/dev/null 2>&1; then
  timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run \
    --disable-extensions --disable-dev-shm-usage --user-data-dir="$work/profile" \
    --window-size=1440,1700 --virtual-time-budget=6000 --dump-dom \
    "$base/?period=2021-Q1#/xep-hang/xa" >"$work/dom.html" 2>/dev/null || true
  check dashboard "$(grep -o 'data-code="X[0-9]"' "$work/dom.html" | codes)"
else
  echo "ties: dashboard: skipped (no Chromium)"
fi
kill "$serve_pid"; wait "$serve_pid" 2>/dev/null || true
trap - EXIT

"$ctl" --db "$db" --criteria "$ini" --set clock.demo="$now" report --period 2021-Q1 2>>"$work/ctl.err" \
  --out "$work/report.md" --live
check report "$(awk '/^\| [0-9]+ \| X[0-9] \|/ { print $4 }' "$work/report.md" | codes)"

"$ctl" --db "$db" --criteria "$ini" --set clock.demo="$now" rollup --period 2021-Q1 --live 2>>"$work/ctl.err" \
  >"$work/table.txt"
check cchcctl "$(awk '$2 ~ /^X[0-9]$/ { print $2 }' "$work/table.txt" | codes)"

[ $fail = 0 ] && echo "ties: the same order in every output" && exit 0
exit 1
