#!/bin/bash
# collector_restart.sh — the collector is restarted while the agent is
# sending: once killed with SIGKILL, once stopped with SIGTERM, each time
# started again after a pause.  The agent times out, resets its socket,
# backs off and resends; in the end everything is there exactly once.
# 1,200 messages, one per batch, so that a loaded machine (the test's own
# polling slowed as much as the agent) still stops the collector mid-stream:
# with 400, the agent once sent the rest between the poll and the stop.
. "$(dirname "$0")/lib.sh"

setup_collector
PORT=$(free_port)
setup_agent "tcp://127.0.0.1:$PORT"
: > "$T/want"
: > "$T/figures.txt"
i=0
total=1200
for d in $(days 2018-01-01 $total); do
    i=$((i + 1))
    echo "tthc_received $((i % 97)) $d" >> "$T/figures.txt"
    echo "tthc_received $(ymd "$d") $((i % 97))" >> "$T/want"
done
add_source <<EOF
[source.big]
type = exec
command = cat $T/figures.txt
EOF
sed -i 's/^batch_max = .*/batch_max = 1/' "$AGENT_CONF"

start_collector "$PORT"
start_agent
n=0
for sig in KILL TERM; do
    wait_for 20 "sending under way" '[ "$(cdb "SELECT count(*) FROM journal")" -ge $((n + 60)) ]'
    stop_collector $sig
    n=$(cdb 'SELECT count(*) FROM journal')
    log "collector stopped with SIG$sig at $n of $total messages"
    check "stopped mid-stream" test "$n" -lt $total
    sleep 1.5
    check "the agent keeps the rest" outbox_waiting
    start_collector "$PORT"
done
wait_for 60 "outbox drained" outbox_empty
check "figures at the collector" check_figures "$T/want"
check "every message exactly once" check_exactly_once
check "one message per figure" test "$(cdb "SELECT count(DISTINCT seq) FROM observation")" = $total
log "collector answered 'duplicate' $(cdb 'SELECT duplicates FROM agent') times"
grep -q "resetting the connection" "$T/agent.log" && log "the agent reset its socket (Lazy Pirate)"
stop_agent
stop_collector
log PASS
exit 0
