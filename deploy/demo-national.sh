#!/usr/bin/env bash
# demo-national.sh — the chain to the Ministry on one machine (docs/national.md):
# a national collector (Bộ Nội vụ, national.enabled) with the 63 provinces of
# 2021; Tuyên Quang runs the whole province demo (deploy/demo.sh: its real
# agents backfilling 2021) with an upstream to the national collector; other
# provinces send simulated final figures.  As each 2021 quarter is locked in
# Tuyên Quang (cchcctl period lock, as the Sở Nội vụ would), its figures go up
# and the national ranking fills up; it is printed after every quarter and the
# national page is served.  Ctrl-C stops everything.
#
#   bash deploy/demo.sh --national [--no-build] [--build DIR] [--state DIR]
#                                  [--provinces N] [--communes N]
#
# --provinces N: simulated provinces besides Tuyên Quang (default 8).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)

build=build; state=state/demo-national; do_build=1; provinces=8; communes=30
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) do_build=0 ;;
    --build) build=$2; shift ;;
    --state) state=$2; shift ;;
    --provinces) provinces=$2; shift ;;
    --communes) communes=$2; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "demo: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
if [ $do_build = 1 ]; then
  bash deploy/install-deps.sh
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$build" -j"$(nproc)" \
      --target cchc-collector cchcctl cchc-agent cchc-test-figclient >/dev/null
fi
case "$build" in /*) ;; *) build=$top/$build ;; esac
collector=$build/collector/cchc-collector
ctl=$build/collector/cchcctl
fig=$build/tests/national/cchc-test-figclient
for b in "$collector" "$ctl" "$fig"; do
  [ -x "$b" ] || { echo "demo: $b is missing (build first)" >&2; exit 1; }
done
rm -rf "$state"; mkdir -p "$state/keys" "$state/log"
state=$(cd "$state" && pwd)
nat=$state/national
pids=()
stop_all () {
  trap - INT TERM EXIT
  echo; echo "demo: đang dừng..."
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for _ in $(seq 50); do
    alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.2
  done
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "demo: đã dừng"
}
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM
trap 'stop_all' EXIT

cat="$top/data/criteria/default.ini"
expect=$("$ctl" national catalogue "$cat")
# 1. The national collector: provinces, keys, the expected catalogue.
"$ctl" --state "$nat" units import data/national/vn-provinces-2021.csv >/dev/null
"$ctl" keygen --out "$state/keys/national.key" >/dev/null 2>&1
codes=$(awk -F, 'FNR > 1 && $1 != "08" {print $1}' data/national/vn-provinces-2021.csv \
        | head -n "$provinces")
for code in 08 $codes; do
  "$ctl" keygen --out "$state/keys/$code.key" >/dev/null 2>&1
  "$ctl" --state "$nat" agent enroll --unit "$code" --name "Tỉnh $code" \
      --key-file "$state/keys/$code.key.pub" >/dev/null
done
"$collector" --state "$nat" --set national.enabled=true \
    --set collector.bind=tcp://127.0.0.1:7071 --set collector.key="$state/keys/national.key" \
    --set national.expect="$expect" --set collector.criteria="$cat" \
    --set http.enabled=true --set http.port=8081 >"$state/log/national.log" 2>&1 &
pids+=($!)

# 2. Tuyên Quang: the province demo with an upstream to the national collector.
CCHC_DEMO_COLLECTOR_ARGS="--set upstream.endpoint=tcp://127.0.0.1:7071 \
--set upstream.national_key=$state/keys/national.key.pub \
--set upstream.key=$state/keys/08.key --set upstream.province=08 --set upstream.interval=1s" \
  bash deploy/demo.sh --no-build --build "$build" --state "$state/tuyen-quang" \
      --communes "$communes" >"$state/log/tuyen-quang.log" 2>&1 &
pids+=($!)

echo "Bộ Nội vụ: http://127.0.0.1:8081/quoc-gia.html#/xep-hang?period=2021-Q1"
echo "Tuyên Quang: http://127.0.0.1:8080/"
echo "Đang chờ các cơ quan của Tuyên Quang gửi số liệu năm 2021..."
db=$state/tuyen-quang/collector.db
last=-1; still=0
for _ in $(seq 600); do
  n=$(sqlite3 -cmd ".timeout 5000" "$db" "SELECT count(*) FROM journal" 2>/dev/null || echo 0)
  if [ "$n" = "$last" ] && [ "$n" -gt 0 ]; then still=$((still + 1)); else still=0; fi
  last=$n
  [ $still -ge 10 ] && break
  sleep 1
done
echo "Tuyên Quang: $last thông điệp đã nhận."

seq=1
for q in 1 2 3 4; do
  period=2021-Q$q
  echo
  echo "=== Khóa số liệu $period ở Tuyên Quang và các tỉnh khác ==="
  "$ctl" --state "$state/tuyen-quang" --criteria "$cat" period lock --period "$period" \
      --reason "demo: khóa số liệu quý" 2>&1 | tail -n 1 || true
  i=0
  for code in $codes; do
    i=$((i + 1))
    "$fig" send --endpoint tcp://127.0.0.1:7071 --key "$state/keys/$code.key" \
        --server "$state/keys/national.key.pub" --code "$code" --period "$period" \
        --seq $seq --catalogue "$cat" --units 60 --base $(( 30 + (i * 7 + q * 3) % 40 )) \
        >/dev/null || true
    seq=$((seq + 1))
  done
  for _ in $(seq 60); do
    got=$(sqlite3 -cmd ".timeout 5000" "$nat/collector.db" \
          "SELECT count(*) FROM national_version WHERE province = '08' AND period = '$period' AND complete_at IS NOT NULL" 2>/dev/null || echo 0)
    [ "$got" -ge 1 ] && break
    sleep 1
  done
  "$ctl" --state "$nat" national rank --period "$period" | head -n $((provinces + 4))
done
echo
echo "Bảng xếp hạng: http://127.0.0.1:8081/quoc-gia.html#/xep-hang?period=2021-Q4 — Ctrl-C để dừng."
while true; do sleep 60; done
