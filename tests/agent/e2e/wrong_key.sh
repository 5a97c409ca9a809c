#!/bin/bash
# wrong_key.sh — an impostor on the collector's address answers every
# report with an "accepted" ack that claims the collector's key in frame 0
# but is signed by another key.  The agent must ignore those acks and keep
# everything; when the real collector takes the address over, everything
# arrives exactly once.
. "$(dirname "$0")/lib.sh"

setup_collector
PORT=$(free_port)
setup_agent "tcp://127.0.0.1:$PORT"
add_source <<EOF
[source.motcua]
type = exec
command = echo tthc_received 11 2021-03-01; echo tthc_resolved 9 2021-03-01; echo docs_sent 4 2021-03-02
EOF
printf 'tthc_received 20210301 11\ntthc_resolved 20210301 9\ndocs_sent 20210302 4\n' > "$T/want"

"$FAKE_BIN" --bind "tcp://127.0.0.1:$PORT" --mode wrong-key \
    --claim "$CSTATE/collector.key.pub" --count-file "$T/fake.count" > "$T/fake.log" 2>&1 &
FAKE_PID=$!
PIDS="$PIDS $FAKE_PID"
wait_for 10 "impostor listening" port_open "$PORT"

start_agent
wait_for 20 "the impostor got reports (and answered them)" '[ "$(cat "$T/fake.count" 2>/dev/null || echo 0)" -ge 2 ]'
sleep 1
check "nothing left the outbox" outbox_waiting
check "nothing dead-lettered" test "$(odb 'SELECT count(*) FROM dead')" = 0
check "the agent logged the ignored acks" grep -q "ignored an invalid ack: bad_signature" "$T/agent.log"
kill -TERM "$FAKE_PID"
wait "$FAKE_PID" 2>/dev/null
log "the impostor received $(cat "$T/fake.count") reports"

start_collector "$PORT"
wait_for 30 "outbox drained by the real collector" outbox_empty
check "figures at the collector" check_figures "$T/want"
check "every message exactly once" check_exactly_once
stop_agent
stop_collector
log PASS
exit 0
