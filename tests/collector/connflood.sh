#!/usr/bin/env bash
# connflood.sh — a connection flood on the ZeroMQ port (issue 13 item 6): the
# collector runs under `ulimit -n 64` and 128 idle TCP connections (twice the
# descriptor limit) are opened against it and held.  Before, libzmq spun at
# 99 % CPU on the listener it could not accept from, an enrolled agent got
# no answer and nothing was logged.  Now: the agent is served (within the
# handshake timeout that frees descriptors), the failures are logged with
# counts, and the collector's CPU time over the flood stays well under one
# core (measured from /proc, printed; the bound is generous).
. "$(dirname "$0")/lib.sh"

setup_state
# the collector under a low descriptor limit (hard and soft)
REAL_COLLECTOR=$COLLECTOR
COLLECTOR=$T/lowfd.sh
printf '#!/bin/sh\nulimit -n 64\nexec "%s" "$@"\n' "$REAL_COLLECTOR" >"$COLLECTOR"
chmod +x "$COLLECTOR"
start_collector --set collector.handshake_timeout=3s --set collector.verifiers=1 \
  --set collector.busy_timeout=30s
expect limit.logged "*descriptor limit is only 64*" "$(grep -m1 'descriptor limit' "$LOG")"
expect before_flood "status=accepted reason=none seq=1 rejected=" "$(send a1 --unit SNV --seq 1)"

zport=${EP##*:}
cpu () { awk '{ print $14 + $15 }' "/proc/$CPID/stat"; }     # utime + stime, ticks
hz=$(getconf CLK_TCK)
python3 - "$zport" 128 120 "$T/flood.json" <<'EOF' &
import json, socket, sys, time
port, n, hold, out = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
socks, failed = [], 0
for i in range(n):
    s = socket.socket()
    s.settimeout(2)
    try:
        s.connect(("127.0.0.1", port))
        socks.append(s)
    except OSError:
        failed += 1
        s.close()
json.dump({"opened": len(socks), "failed": failed}, open(out, "w"))
time.sleep(hold)        # held until the test is done with it (stopped by pid)
EOF
fpid=$!
PIDS+=("$fpid")
sleep 2
# the flood's own cost: the collector's CPU over 5 s with the connections held.
# Running out of descriptors makes libzmq's listener spin until the monitor
# sheds the backlog; on a slow (sanitizer) build under load that can still be
# going on in the first window (130 % seen once), so up to three windows are
# measured, the flood held all along: pinned means every window is busy (the
# code before the fix: 99 % in each, for as long as the flood lasted).
for window in 1 2 3; do
  c0=$(cpu); t0=$(date +%s%N)
  sleep 5
  c1=$(cpu); t1=$(date +%s%N)
  pct=$(( (c1 - c0) * 100 * 1000000000 / hz / (t1 - t0) ))
  [ "$pct" -lt 60 ] && break
  echo "     flood: window $window: collector CPU $pct % of a core, measuring again"
done
start=$(date +%s%N)
got=$(send a1 --unit SNV --seq 2 --timeout 100000)
took=$(( ($(date +%s%N) - start) / 1000000 ))
held=$(kill -0 "$fpid" 2>/dev/null && echo yes || echo no)
kill "$fpid" 2>/dev/null || true
wait "$fpid" 2>/dev/null || true
echo "     flood: $(cat "$T/flood.json") held; collector CPU over $(( (t1 - t0) / 1000000 )) ms" \
     "of window $window: $pct % of a core; enrolled agent answered in $took ms (flood still held: $held)"
expect flood.agent_served "status=accepted reason=none seq=2 rejected=" "$got"
expect flood.agent_served_during_flood "yes" "$held"
expect flood.cpu_not_pinned "1" "$(( pct < 60 ))"
expect flood.accept_failure_logged "*zmq: cannot accept a connection on tcp://127.0.0.1:*: Too many open files*" \
  "$(grep -m1 'zmq: cannot accept' "$LOG")"
expect flood.handshake_timeout_logged "*zmq: handshake failed with 127.0.0.1:*: no complete handshake (idle past collector.handshake_timeout*" \
  "$(grep -m1 'zmq: handshake failed' "$LOG")"
sleep 1.2
expect flood.counted "1" "$(sql "SELECT value > 0 FROM stats WHERE name = 'zmq.accept_failed'")"
# and after the flood, business as usual
expect after_flood "status=accepted reason=none seq=3 rejected=" "$(send a1 --unit SNV --seq 3 --timeout 30000)"
stop_collector
expect sigterm.exit "0" "$STOP_RC"
finish
