#!/bin/bash
# idle_io.sh — an idle agent barely writes to disk, and `status` still tells
# a dead daemon at once.  The agent runs its source every second with
# figures that never change; over 20 s its /proc/PID/io write_bytes (bytes
# it caused to be written to the disk, page cache included) must stay under
# 16 KiB (before: a state transaction with fsync every 10 s and a source
# row written for every run: hundreds of KiB).  Bytes, not time: a busy
# machine cannot fail it.  (The figures per day: bench/agent/idle_io.sh.)
. "$(dirname "$0")/lib.sh"

if [ ! -r /proc/self/io ] || [ "$(stat -f -c %T "$T")" = tmpfs ]; then
    log "SKIP: no /proc/PID/io, or $T is on tmpfs (writes are not counted there)"
    exit 0
fi
setup_collector
PORT=$(free_port)
setup_agent "tcp://127.0.0.1:$PORT"
sed -i 's/^log_level = .*/log_level = notice/' "$AGENT_CONF"
add_source <<EOF
[source.same]
type = exec
command = printf 'docs_sent 5 2021-03-01\ntthc_received 7 2021-03-01\n'
EOF
start_collector "$PORT"
start_agent
wait_for 10 "first figures delivered" \
    '[ "$(cdb "SELECT count(*) FROM observation")" = 2 ] && outbox_empty'
wait_for 10 "status healthy" 'agent status > "$T/status.txt" 2>&1'
sleep 3
wb () { awk '/^write_bytes:/ { print $2 }' "/proc/$AGENT_PID/io"; }
b0=$(wb)
sleep 20
b1=$(wb)
written=$((b1 - b0))
log "idle agent wrote $written bytes in 20 s (source run every second)"
check "idle writes under 16 KiB in 20 s ($written bytes)" test "$written" -lt 16384
grep -q "running, pid $AGENT_PID" "$T/status.txt" || { cat "$T/status.txt"; fail "status names the running pid"; }
# the runs were counted in memory and are saved with the next state save
# (on stop here)
stop_agent
runs=$(odb "SELECT runs FROM source_state WHERE name = 'same'")
log "source runs recorded after the stop: $runs"
check "runs recorded at stop (>= 20)" test "$runs" -ge 20
agent status > "$T/status2.txt" 2>&1
grep -q "STOPPED" "$T/status2.txt" || { cat "$T/status2.txt"; fail "status after a clean stop"; }
# killed: the lock is gone at once, no waiting for a stale heartbeat
start_agent
wait_for 10 "status running again" 'agent status 2>&1 | grep -q "running, pid $AGENT_PID"'
stop_agent 9
agent status > "$T/status3.txt" 2>&1 && { cat "$T/status3.txt"; fail "status healthy after kill -9"; }
grep -q "NOT RUNNING" "$T/status3.txt" || { cat "$T/status3.txt"; fail "status says NOT RUNNING right after kill -9"; }
log "status right after kill -9: $(grep '^daemon:' "$T/status3.txt")"
stop_collector
log PASS
exit 0
