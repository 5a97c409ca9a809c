#!/usr/bin/env bash
# demo.sh — the whole province on one machine: installs what is needed, builds,
# then runs a collector (embedded SQLite under ./state/demo) and one real
# cchc-agent process per unit of Tuyên Quang 2021 (19 departments, 7 districts,
# 138 communes), each with its own key, enrolled with cchcctl as an operator
# would.  Prints the dashboard address; Ctrl-C stops everything.
#
# By default it plays the reporting year 2021 as it happened, on one
# demonstration clock shared by the collector, cchcctl and every agent
# (clock.demo in their configuration files): from 14/12/2020 to the lock of
# the year's figures on 22/12/2021, a simulated day a second; the clock is
# held at each instant the agencies act until they and the collector have
# done it (agencies.sh play, the gate of common/clock.h), so a busy machine
# slows the year down instead of making reports late.  Agencies
# report each month's figures in the days after the 14th (deploy/demo/
# agencies.sh says who does what: on time, late, silent, corrections, one
# correction after a quarter was locked, which the operator takes in with
# cchcctl period reopen and lock).  The terminal tells the story: a line per
# month and per lock, the report files written, a summary; the dashboard
# keeps running until Ctrl-C.
#
#   bash deploy/demo.sh [--no-build] [--build DIR] [--state DIR] [--port N]
#                       [--http-port N] [--communes N] [--speed N] [--live]
#
# --speed N   simulated seconds per real second (default 86400: a day a second)
# --live      today's clock instead: agents backfill 2021 at once and keep
#             reporting live (the demo of earlier versions)
# --communes N limits the communes started (default all 138).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
# --national: the chain to the Ministry instead (deploy/demo-national.sh).
if [ "${1:-}" = --national ]; then shift; exec bash deploy/demo-national.sh "$@"; fi

build=build; state=state/demo; do_build=1; port=7070; http_port=8080; communes=all
speed=86400; live=0
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) do_build=0 ;;
    --build) build=$2; shift ;;
    --state) state=$2; shift ;;
    --port) port=$2; shift ;;
    --http-port) http_port=$2; shift ;;
    --communes) communes=$2; shift ;;
    --speed) speed=$2; shift ;;
    --live) live=1 ;;
    -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
    *) echo "demo: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
case "$speed" in ''|*[!0-9]*) echo "demo: --speed takes a whole number" >&2; exit 2 ;; esac

if [ $do_build = 1 ]; then
  bash deploy/install-deps.sh
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$build" -j"$(nproc)" --target cchc-collector cchcctl cchc-agent >/dev/null
fi
case "$build" in /*) ;; *) build=$top/$build ;; esac
collector=$build/collector/cchc-collector
ctl=$build/collector/cchcctl
agent=$build/agent/cchc-agent
for b in "$collector" "$ctl" "$agent"; do
  [ -x "$b" ] || { echo "demo: $b is missing (build first)" >&2; exit 1; }
done

rm -rf "$state"; mkdir -p "$state/agents" "$state/log"
state=$(cd "$state" && pwd)
shown_state=${state#"$top"/}
. "$top/deploy/demo/procs.sh"
demo_procs_trap 50 "stopping the processes..." "stopped"

# The collector's configuration: written once, used by the collector and by
# every cchcctl command below (the demonstration clock is added to it before
# the year starts).
conf=$state/collector.ini
cat > "$conf" <<INI
; demo collector (deploy/demo.sh)
[collector]
state_dir = $state
bind = tcp://127.0.0.1:$port
criteria = $top/data/criteria/default.ini
rollup_interval = 1s
[http]
enabled = true
address = 127.0.0.1
port = $http_port
INI
ctlc () { "$ctl" --config "$conf" "$@"; }
# the same, tried again while the running collector holds the database (busy)
ctlw () {
  local i
  for i in $(seq 20); do
    "$ctl" --config "$conf" "$@" 2>"$state/log/cchcctl.err" && return 0
    grep -q "locked\|busy" "$state/log/cchcctl.err" || { cat "$state/log/cchcctl.err" >&2; return 1; }
    sleep 0.5
  done
  cat "$state/log/cchcctl.err" >&2; return 1
}
start_collector () {   # start_collector LOG
  local log=$1
  "$collector" --config "$conf" ${CCHC_DEMO_COLLECTOR_ARGS:-} >"$log" 2>&1 &
  collector_pid=$!
  pids+=("$collector_pid")
  for _ in $(seq 600); do
    grep -q "listening on" "$log" 2>/dev/null && return 0
    kill -0 "$collector_pid" 2>/dev/null || { tail -5 "$log" >&2; exit 1; }
    sleep 0.1
  done
  echo "demo: the collector did not start" >&2; exit 1
}

# 1. The collector (Sở Nội vụ), with its own key, the default criteria.
ctlc keygen --out "$state/collector.key" >/dev/null 2>&1
start_collector "$state/log/collector-setup.log"
collector_pub=$(ctlc pubkey | awk '/^public key:/ {print $3}')

# 2. The units (with --communes N, only the communes started), imported as an
#    operator would.
#    CODE,LEVEL,NAME lines; a quoted name may hold a comma ("Sở Văn hóa, Thể
#    thao và Du lịch"): joined, its commas dropped (the lists are
#    comma-separated)
units=$(awk -F, 'FNR > 1 {
          n = split($0, f, ","); name = f[2]; i = 2
          while (name ~ /^"/ && name !~ /"$/ && i < n) { i++; name = name "," f[i] }
          gsub(/^"|"$/, "", name); gsub(/,/, "", name)
          if (f[i + 2] != "tinh") print f[1] "," f[i + 2] "," name }' \
          data/units/tuyen-quang-2021-departments.csv data/units/tuyen-quang-2021-admin-units.csv)
[ "$communes" = all ] || units=$(echo "$units" | awk -F, -v n="$communes" '$2 != "xa" || c++ < n')
mkdir -p "$state/units"
for f in data/units/tuyen-quang-2021-admin-units.csv data/units/tuyen-quang-2021-departments.csv; do
  echo "$units" | awk -F, 'NR == FNR {keep[$1] = 1; next} FNR == 1 || $4 != "xa" || ($1 in keep)' \
    - "$f" > "$state/units/${f##*/}"
done
ctlw units import "$state"/units/*.csv --valid-from 2020-01-01

# 3. One key, one enrolment, one config per agency; deploy/demo/agencies.sh
#    gives each its source kind and behaviour.
echo "$units" | bash deploy/demo/agencies.sh roles > "$state/agents/roles"
if [ $live = 0 ]; then
  # an agent looks at its source twice a simulated day (the clock waits at
  # each instant for the agents to have sent: the look's cost is paid by
  # every agent all the time, its delay only by the instants)
  poll_ms=$(( 86400000 / speed / 2 )); [ $poll_ms -lt 200 ] && poll_ms=200
  [ $poll_ms -gt 60000 ] && poll_ms=60000
fi
n=0; silent=0
while IFS=, read -r code level name role kind; do
  d=$state/agents/$code; mkdir -p "$d"
  "$agent" keygen --out "$d/agent.key" >/dev/null 2>&1
  ctlw agent enroll --unit "$code" --name "$name" --key-file "$d/agent.key.pub" >/dev/null
  n=$((n + 1))
  if [ $live = 1 ]; then
    # The year at once (a backfill), then live: the earlier demo.
    case $kind in
      sql) "$top/deploy/demo/simulate.sh" "$code" "$level" \
             | awk 'BEGIN {print "metric,day,value"} {print $1 "," $3 "," $2}' > "$d/export.csv"
           sqlite3 "$d/export.db" ".import --csv $d/export.csv figures" && rm "$d/export.csv" ;;
      csv) mkdir -p "$d/inbox"
           "$top/deploy/demo/simulate.sh" "$code" "$level" \
             | awk 'BEGIN {print "metric,date,value"} {print $1 "," $3 "," $2}' > "$d/inbox/.tmp"
           mv "$d/inbox/.tmp" "$d/inbox/figures-2021.csv" ;;
      *)   correct_at=0; [ "$role" = correct ] && correct_at=$(( $(date +%s) + 40 ))
           echo "DEMO_CORRECT_AT=$correct_at $top/deploy/demo/simulate.sh $code $level" > "$d/command" ;;
    esac
    interval=60s
  else
    # The time-lapse: the year prepared month by month; agencies.sh puts a
    # month into the source when the agency reports it.
    [ "$role" = silent ] || bash deploy/demo/agencies.sh prepare "$d" "$code" "$level" "$kind"
    case $kind in
      sql) [ -e "$d/export.db" ] || sqlite3 "$d/export.db" \
             "CREATE TABLE figures (metric TEXT, day TEXT, value, month TEXT, visible INTEGER)" ;;
      csv) mkdir -p "$d/inbox" ;;
      *)   : > "$d/figures.txt"; echo "cat $d/figures.txt" > "$d/command" ;;
    esac
    interval=${poll_ms}ms
  fi
  case $kind in
    sql) src="type = sql
database = $d/export.db
query = SELECT metric, day, value FROM figures$([ $live = 0 ] && echo " WHERE visible = 1")" ;;
    csv) src="type = csv
folder = $d/inbox" ;;
    *)   src="type = exec
command = $(cat "$d/command")
timeout = 20s" ;;
  esac
  cat > "$d/agent.ini" <<INI
; demo agent for $name ($code, $level), source: $kind, behaviour: $role
[agent]
unit = $code
key_file = $d/agent.key
outbox = $d/outbox.db
interval = 60s
log_level = notice

[collector]
endpoints = tcp://127.0.0.1:$port
public_key = $collector_pub
request_timeout = 5s
backoff_min = 100ms
backoff_max = 2s

[source.figures]
$src
interval = $interval
INI
  # A few agencies stay silent (never started), so the dashboard shows them.
  if [ "$role" = silent ]; then silent=$((silent + 1)); continue; fi
  echo "$code" >> "$state/agents/started"
done < "$state/agents/roles"

[ $live = 1 ] || bash deploy/demo/agencies.sh events < "$state/agents/roles" > "$state/agents/events"

# 4. The collector again, on the demonstration clock; then the agents.  The
#    year starts at 14/12/2020 00:00 local a few real seconds from now, once
#    every agent runs: collector, cchcctl and agents share the anchor and the
#    gate (common/clock.h), the file through which the conductor (agencies.sh
#    play) holds the clock at each instant something happens until every
#    agency and the collector have done it — on a busy machine the year
#    takes longer, nobody falls behind it.  At first it holds the start.
clock_line=
if [ $live = 0 ]; then
  anchor=$(( $(date +%s%3N) + 3000 + $(wc -l < "$state/agents/started") * 20 ))
  printf '%s %s\n' "$anchor" "$(( $(date -u -d 2020-12-13T17:00:00Z +%s) * 1000 ))" \
    > "$state/clock.gate"
  clock_line="demo = 2020-12-13T17:00:00Z,$speed,$anchor,$state/clock.gate"
  while IFS=, read -r code _; do
    printf '\n[clock]\n%s\n' "$clock_line" >> "$state/agents/$code/agent.ini"
  done < "$state/agents/roles"
  kill -TERM "$collector_pid"; wait "$collector_pid" 2>/dev/null || true
  pids=()
  printf '\n[clock]\n%s\n' "$clock_line" >> "$conf"
  start_collector "$state/log/collector.log"
else
  mv "$state/log/collector-setup.log" "$state/log/collector.log"
fi
sleep 1.5
while read -r code; do
  "$agent" run --config "$state/agents/$code/agent.ini" >"$state/log/$code.log" 2>&1 &
  pids+=($!)
done < "$state/agents/started"

echo
echo "demo: collector on tcp://127.0.0.1:$port, $n agencies enrolled, $((${#pids[@]} - 1)) agents running, $silent silent"
echo "demo: dashboard  http://127.0.0.1:$http_port/"
echo "demo: state in $shown_state (collector.db, agents/*/outbox.db, log/, reports/); press Ctrl-C to stop"
if [ $live = 1 ]; then
  wait "${pids[0]}"
  exit 0
fi

# 5. The year: the agencies' behaviour and the story, until the year locks.
echo "demo: năm 2021 tua nhanh — 1 giây thực = $(( speed / 3600 )) giờ mô phỏng"
bash deploy/demo/agencies.sh play "$state" "$clock_line" "$ctl" "$conf" "$shown_state" \
  < "$state/agents/roles" &
pids+=($!)
wait "${pids[-1]}" || true
echo "demo: bảng điều khiển vẫn chạy tại http://127.0.0.1:$http_port/ — nhấn Ctrl-C để dừng"
wait "${pids[0]}"
