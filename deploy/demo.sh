#!/usr/bin/env bash
# demo.sh — the whole province on one machine: installs what is needed, builds,
# then runs a collector (embedded SQLite under ./state/demo) and one real
# cchc-agent process per unit of Tuyên Quang 2021 (19 departments, 7 districts,
# 138 communes), each with its own key, enrolled with cchcctl as an operator
# would.  Agents read simulated sources (exec, sql and csv sources of the agent)
# that backfill the reporting year 2021 (15/12/2020–14/12/2021) and keep
# reporting live.  Prints the dashboard address; Ctrl-C stops everything.
#
#   bash deploy/demo.sh [--no-build] [--build DIR] [--state DIR] [--port N]
#                       [--http-port N] [--communes N]
#
# --communes N limits the communes started (default all 138).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)

build=build; state=state/demo; do_build=1; port=7070; http_port=8080; communes=all
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) do_build=0 ;;
    --build) build=$2; shift ;;
    --state) state=$2; shift ;;
    --port) port=$2; shift ;;
    --http-port) http_port=$2; shift ;;
    --communes) communes=$2; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "demo: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

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
pids=()
stop_all () {
  trap - INT TERM EXIT
  echo; echo "demo: stopping ${#pids[@]} processes..."
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for _ in $(seq 50); do
    alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.2
  done
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "demo: stopped"
}
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM
trap 'stop_all' EXIT

# 1. The collector (Sở Nội vụ), with its own key, the default criteria.
"$ctl" keygen --out "$state/collector.key" >/dev/null 2>&1
"$collector" --state "$state" \
    --set collector.bind=tcp://127.0.0.1:$port \
    --set collector.criteria="$top/data/criteria/default.ini" \
    --set http.enabled=true --set http.address=127.0.0.1 --set http.port=$http_port \
    ${CCHC_DEMO_COLLECTOR_ARGS:-} >"$state/log/collector.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -f "$state/collector.db" ] && break; sleep 0.1; done
sleep 0.3
collector_pub=$("$ctl" --state "$state" pubkey | awk '/^public key:/ {print $3}')

# 2. The units, imported as an operator would.
"$ctl" --state "$state" units import data/units/tuyen-quang-2021-admin-units.csv \
    data/units/tuyen-quang-2021-departments.csv --valid-from 2020-01-01

# 3. One key, one enrolment, one config per agency.
units=$(awk -F, 'FNR > 1 && $4 != "tinh" {print $1 "," $4 "," $2}' \
          data/units/tuyen-quang-2021-departments.csv data/units/tuyen-quang-2021-admin-units.csv)
[ "$communes" = all ] || units=$(echo "$units" | awk -F, -v n="$communes" '$2 != "xa" || c++ < n')
n=0; silent=0
while IFS=, read -r code level name; do
  d=$state/agents/$code; mkdir -p "$d"
  "$agent" keygen --out "$d/agent.key" >/dev/null 2>&1
  "$ctl" --state "$state" agent enroll --unit "$code" --name "$name" \
      --key-file "$d/agent.pub" >/dev/null
  n=$((n + 1))
  # Sources: most agencies run the exec source; some export to SQLite, some
  # drop CSV files — the three ways real one-stop-shop software hands figures over.
  case $((n % 10)) in
    3) kind=sql; "$top/deploy/demo/simulate.sh" "$code" "$level" \
         | awk 'BEGIN {print "metric,day,value"} {print $1 "," $3 "," $2}' > "$d/export.csv"
       sqlite3 "$d/export.db" ".import --csv $d/export.csv figures" && rm "$d/export.csv"
       src="type = sql
database = $d/export.db
query = SELECT metric, day, value FROM figures" ;;
    7) kind=csv; mkdir -p "$d/inbox"
       "$top/deploy/demo/simulate.sh" "$code" "$level" \
         | awk 'BEGIN {print "metric,date,value"} {print $1 "," $3 "," $2}' > "$d/inbox/.tmp"
       mv "$d/inbox/.tmp" "$d/inbox/figures-2021.csv"
       src="type = csv
folder = $d/inbox" ;;
    *) kind=exec
       correct_at=0; [ $((n % 17)) = 5 ] && correct_at=$(( $(date +%s) + 40 ))
       src="type = exec
command = DEMO_CORRECT_AT=$correct_at $top/deploy/demo/simulate.sh $code $level
timeout = 20s" ;;
  esac
  cat > "$d/agent.ini" <<INI
; demo agent for $name ($code, $level), source: $kind
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
backoff_max = 10s

[source.figures]
$src
INI
  # A few agencies stay silent (never started), so the dashboard shows them.
  if [ "$level" = xa ] && [ $((n % 29)) = 0 ]; then silent=$((silent + 1)); continue; fi
  echo "$code" >> "$state/agents/started"
done <<< "$units"

# 4. Start the agents once the running collector has picked up the enrolments.
sleep 1.5
while read -r code; do
  "$agent" run --config "$state/agents/$code/agent.ini" >"$state/log/$code.log" 2>&1 &
  pids+=($!)
done < "$state/agents/started"

echo
echo "demo: collector on tcp://127.0.0.1:$port, $n agencies enrolled, $((${#pids[@]} - 1)) agents running, $silent silent"
echo "demo: dashboard  http://127.0.0.1:$http_port/"
echo "demo: state in $state (collector.db, agents/*/outbox.db, log/); press Ctrl-C to stop"
wait "${pids[0]}"
