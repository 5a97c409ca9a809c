#!/usr/bin/env bash
# test_demo.sh SRC BUILD WORK — runs deploy/demo.sh as the README says (the
# time-lapse year 2021 at its default speed, every agency) on free ports with
# the build's binaries, waits until the schedule has locked 2021-Q1 on the
# demonstration clock (the terminal says so, the dashboard serves its locked
# figures for every level), checks the dashboard page is served and says it
# runs on simulated time, then sends Ctrl-C (SIGINT) and checks that no
# process of the demo is left.  How long it took is printed, never asserted:
# on an idle machine about two minutes (setup, then 22/03/2021 comes about
# 100 s after the year starts; the clock waits for the agencies at each
# instant, so a busy machine takes longer: 15 min at load 180); the wait
# gives up only after 3600 s (a hung demo); speed belongs to bench/.
# tests/demo/test_timelapse.sh plays the whole year.
set -uo pipefail
src=$1; build=$2; work=$3
state=$work/demo-state; log=$work/demo.out
rm -rf "$state"; mkdir -p "$work"
fail () { echo "FAIL: $*"; tail -n 30 "$log"; [ -n "${demo:-}" ] && kill -INT "$demo" 2>/dev/null; \
          sleep 3; pkill -KILL -f "$state" 2>/dev/null; echo "0 passed, 1 failed"; exit 1; }
free_port () { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port); http=$(free_port)
while [ "$http" = "$port" ]; do http=$(free_port); done

start=$(date +%s.%N)
# As from a terminal: its own process group, SIGINT not ignored (a plain
# background job of a script would start with SIGINT ignored).
python3 -c 'import os, signal, sys; os.setsid(); signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])' \
    bash "$src/deploy/demo.sh" --no-build --build "$build" --state "$state" \
    --port "$port" --http-port "$http" >"$log" 2>&1 &
demo=$!
# Whatever happens next (a failure, a skip, a demo slow to stop), nothing of
# the demo outlives the test: its process group and anything naming its state.
trap 'kill -KILL -- "-$demo" 2>/dev/null; pkill -KILL -f -- "$state" 2>/dev/null' EXIT

ready=0
for _ in $(seq 1 3600); do
  sleep 1
  kill -0 "$demo" 2>/dev/null || fail "demo.sh exited early"
  # the schedule locked 2021-Q1 on the demonstration clock, the terminal said
  # so, and the dashboard serves its locked figures for every level
  grep -q "Quý I/2021 đã khóa" "$log" || continue
  q1=$(curl -sf "http://127.0.0.1:$http/api/v1/periods" \
       | python3 -c 'import json,sys; print([p["state"] for p in json.load(sys.stdin)["periods"] if p["id"] == "2021-Q1"][0])' \
       2>/dev/null) || q1=
  [ "$q1" = locked ] || continue
  ok=1
  for level in so huyen xa; do
    n=$(curl -sf "http://127.0.0.1:$http/api/v1/ranking?period=2021-Q1&level=$level" \
        | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["units"]))' 2>/dev/null) || n=0
    [ "${n:-0}" -ge 1 ] || ok=0
  done
  [ $ok = 1 ] && { ready=1; break; }
done
elapsed=$(python3 -c "import time; print(f'{time.time() - $start:.1f}')")
[ $ready = 1 ] || fail "2021-Q1 not locked and served at every level after ${elapsed}s"
echo "2021-Q1 locked by the schedule and served at every level ${elapsed}s after start"
clock=$(curl -sf "http://127.0.0.1:$http/api/v1/periods" \
        | python3 -c 'import json,sys; c=json.load(sys.stdin)["clock"]; print(c["demo"], c["speed"])') \
  || fail "no /api/v1/periods"
[ "$clock" = "True 86400" ] || fail "the dashboard is not on the demonstration clock: $clock"
echo "the dashboard runs on the demonstration clock (a day a second)"

page=$(curl -sf "http://127.0.0.1:$http/") || fail "dashboard page not served"
grep -q 'Chỉ số' <<<"$page" || grep -q '<html' <<<"$page" || fail "dashboard page is not HTML"
agents=$(pgrep -f -- "$state/agents/" | wc -l)
[ "$agents" -ge 150 ] || fail "only $agents agent processes running (expected ≥ 150)"
echo "$agents agent processes running"

kill -INT -- "-$demo"          # Ctrl-C: SIGINT to the whole foreground group
for _ in $(seq 1 240); do kill -0 "$demo" 2>/dev/null || break; sleep 0.5; done
kill -0 "$demo" 2>/dev/null && fail "demo.sh still running 120 s after Ctrl-C"
sleep 0.5
left=$(pgrep -f -- "$state" | wc -l)
[ "$left" = 0 ] || { pgrep -af -- "$state"; fail "$left processes left after Ctrl-C"; }
grep -q "demo: stopped" "$log" || fail "demo.sh did not report a clean stop"
echo "Ctrl-C: demo stopped, no process left"
echo "1 passed, 0 failed"
