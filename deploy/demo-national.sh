#!/usr/bin/env bash
# demo-national.sh — the chain to the Ministry on one machine (docs/national.md),
# run by `bash deploy/demo.sh --national`: a national collector (Bộ Nội vụ,
# national.enabled) with the 63 provinces of 2021, and
#   - Tuyên Quang: the province demo itself (deploy/demo.sh, its real agents
#     playing 2021 on the time-lapse clock) with an upstream to the national
#     collector: each period its schedule locks goes up, signed, once (and
#     again, revised, after the reopen and relock of 2021-Q1);
#   - a few other provinces with simulated figures, sent when Tuyên Quang's
#     quarter locks: most on time, one after the national deadline, one
#     silent in Q2.
# The national collector runs on the same demonstration clock as Tuyên
# Quang, so "late" is against the national deadline of that year.  After
# each quarter the ranking is printed; the national page is served; Ctrl-C
# stops everything.
#
#   bash deploy/demo.sh --national [--no-build] [--build DIR] [--state DIR]
#       [--provinces N] [--communes N] [--speed N] [--quarters N]
#       [--port N] [--http-port N] [--national-port N] [--national-http-port N]
#
# --provinces N  simulated provinces besides Tuyên Quang (default 8)
# --communes N   Tuyên Quang's communes started (default 20)
# --speed N      simulated seconds per real second (default 86400)
# --quarters N   stop after N quarters are ranked (default: keep serving)
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)

build=build; state=state/demo-national; do_build=1; provinces=8; communes=20
speed=86400; quarters=0; port=7070; http_port=8080; nport=7071; nhttp=8081
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) do_build=0 ;;
    --build) build=$2; shift ;;
    --state) state=$2; shift ;;
    --provinces) provinces=$2; shift ;;
    --communes) communes=$2; shift ;;
    --speed) speed=$2; shift ;;
    --quarters) quarters=$2; shift ;;
    --port) port=$2; shift ;;
    --http-port) http_port=$2; shift ;;
    --national-port) nport=$2; shift ;;
    --national-http-port) nhttp=$2; shift ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "demo: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
for n in "$provinces" "$speed" "$quarters" "$port" "$http_port" "$nport" "$nhttp"; do
  case "$n" in ''|*[!0-9]*) echo "demo: options take whole numbers" >&2; exit 2 ;; esac
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
nat=$state/national tq=$state/tuyen-quang
. "$top/deploy/demo/procs.sh"
demo_procs_trap 100 "đang dừng..." "đã dừng"

# 1. The national side: provinces, keys, the expected catalogue.
cat="$top/data/criteria/default.ini"
expect=$("$ctl" national catalogue "$cat")
nctl () { "$ctl" --state "$nat" "$@"; }
nctl units import data/national/vn-provinces-2021.csv >/dev/null
"$ctl" keygen --out "$state/keys/national.key" >/dev/null 2>&1
codes=$(awk -F, 'FNR > 1 && $1 != "08" {print $1}' data/national/vn-provinces-2021.csv \
        | head -n "$provinces")
name_of () { awk -F, -v c="$1" '$1 == c {print $2}' data/national/vn-provinces-2021.csv; }
for code in 08 $codes; do
  "$ctl" keygen --out "$state/keys/$code.key" >/dev/null 2>&1
  nctl agent enroll --unit "$code" --name "$(name_of "$code")" \
      --key-file "$state/keys/$code.key.pub" >/dev/null
done
late=$(echo $codes | awk '{print $2}')       # a week late every quarter
silent=$(echo $codes | awk '{print $3}')     # sends nothing for Q2

# 2. Tuyên Quang: the province demo on the time-lapse clock, its collector
#    with an upstream to the national collector (started once the clock is
#    known: until then the figures wait in the province's outbox).
CCHC_DEMO_COLLECTOR_ARGS="--set upstream.endpoint=tcp://127.0.0.1:$nport \
--set upstream.national_key=$state/keys/national.key.pub \
--set upstream.key=$state/keys/08.key --set upstream.province=08 --set upstream.interval=1s" \
  bash deploy/demo.sh --no-build --build "$build" --state "$tq" --communes "$communes" \
      --speed "$speed" --port "$port" --http-port "$http_port" \
      > >(sed -u 's/^/  [Tuyên Quang] /' | tee "$state/log/tuyen-quang.out") 2>&1 &
pids+=($!)
clock=
for _ in $(seq 1200); do
  clock=$(sed -n 's/^demo = //p' "$tq/collector.ini" 2>/dev/null | head -n 1 || true)
  [ -n "$clock" ] && break
  sleep 0.5
done
[ -n "$clock" ] || { echo "demo: Tuyên Quang did not start" >&2; exit 1; }

# 3. The national collector, on the same clock.
"$collector" --state "$nat" --set national.enabled=true --set clock.demo="$clock" \
    --set collector.bind=tcp://127.0.0.1:$nport --set collector.key="$state/keys/national.key" \
    --set national.expect="$expect" --set collector.criteria="$cat" \
    --set http.enabled=true --set http.port=$nhttp >"$state/log/national.log" 2>&1 &
pids+=($!)
echo "Bộ Nội vụ: http://127.0.0.1:$nhttp/quoc-gia.html — Tuyên Quang: http://127.0.0.1:$http_port/"

# The clock as the collectors see it (clock.demo START,SPEED,ANCHOR,GATE:
# the province demo's conductor holds it through the gate file "ANCHOR
# HOLD", common/clock.h).
IFS=, read -r c_start _ anchor gate <<< "$clock"
start_ms=$(date -u -d "$c_start" +%s%3N)
sim_ms () {
  local t=${EPOCHREALTIME/[.,]/} a=$anchor h=9999999999999 s
  if [ -n "$gate" ]; then read -r a h < "$gate" 2>/dev/null || { a=$anchor; h=9999999999999; }; fi
  s=$(( start_ms + (${t:0:13} - a) * speed ))
  echo $(( s < h ? s : h ))
}
day_ms=86400000

# 4. Each quarter, on the demonstration clock: at Tuyên Quang's lock
#    instant (the 22nd of the quarter's last month, 00:00 local) the other
#    provinces send their simulated final figures, all at once; Tuyên
#    Quang's own come up by its upstream as its schedule locks the quarter;
#    the late province sends three days after the national deadline (the
#    28th); then the ranking is printed.
send_sim () {   # send_sim CODE PERIOD QUARTER I
  "$fig" send --endpoint tcp://127.0.0.1:$nport --key "$state/keys/$1.key" \
      --server "$state/keys/national.key.pub" --code "$1" --period "$2" --seq "$3" \
      --catalogue "$cat" --units 60 --base $(( 30 + ($4 * 7 + $3 * 3) % 40 )) \
      --at "$(sim_ms)" --timeout 10000 >>"$state/log/simulated.log" 2>&1 || true
}
wait_sim () {   # wait_sim UTC-ISO: until the demonstration clock passes it
  local at
  at=$(date -u -d "$1" +%s%3N)
  while [ "$(sim_ms)" -lt "$at" ]; do
    kill -0 "${pids[0]}" 2>/dev/null || return 1
    sleep 0.1
  done
}
done_q=0
for q in 1 2 3 4; do
  period=2021-Q$q
  last=$(printf '2021-%02d' $((q * 3)))
  wait_sim "$(date -u -d "$last-22T00:00:00+07:00" +%Y-%m-%dT%H:%M:%SZ)" || break
  echo
  echo "=== Quý $q/2021: khóa số liệu; các tỉnh gửi số liệu đã khóa lên Bộ Nội vụ ==="
  i=0 spids=()
  for code in $codes; do
    i=$((i + 1))
    [ "$code" = "$late" ] && continue
    [ "$code" = "$silent" ] && [ $q = 2 ] && continue
    send_sim "$code" "$period" "$q" "$i" &
    spids+=($!)
  done
  [ ${#spids[@]} -gt 0 ] && wait "${spids[@]}"
  # Tuyên Quang's figures: until they are in, or a simulated month has
  # passed (a machine too busy for its schedule to lock the quarter)
  got=0 until_ms=$(( $(date -u -d "$last-22T00:00:00+07:00" +%s%3N) + 30 * day_ms ))
  while [ "$(sim_ms)" -lt "$until_ms" ]; do
    got=$(sqlite3 -cmd ".timeout 5000" "$nat/collector.db" "SELECT count(*) FROM national_version
          WHERE province = '08' AND period = '$period' AND complete_at IS NOT NULL" 2>/dev/null || echo 0)
    [ "$got" -ge 1 ] && break
    kill -0 "${pids[0]}" 2>/dev/null || break
    sleep 0.2
  done
  [ "$got" -ge 1 ] || echo "demo: số liệu $period của Tuyên Quang chưa đến Bộ Nội vụ" >&2
  if [ -n "$late" ]; then
    wait_sim "$(date -u -d "$last-28T00:00:00+07:00 + 4 days" +%Y-%m-%dT%H:%M:%SZ)" || break
    send_sim "$late" "$period" "$q" 2
  fi
  nctl national rank --period "$period" | head -n $((provinces + 3))
  done_q=$q
  [ "$quarters" -gt 0 ] && [ "$q" -ge "$quarters" ] && break
done
echo
echo "demo: $done_q quý đã xếp hạng — http://127.0.0.1:$nhttp/quoc-gia.html#/xep-hang?period=2021-Q$done_q"
[ "$quarters" -gt 0 ] && exit 0
echo "demo: Ctrl-C để dừng."
while true; do sleep 60; done
