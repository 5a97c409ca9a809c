#!/bin/bash
# failover.sh — two endpoints: the first accepts connections but never
# answers (a hung collector), then nothing listens there at all; the agent
# times out, resets, moves to the second endpoint (the real collector) and
# delivers everything there exactly once.
. "$(dirname "$0")/lib.sh"

setup_collector
P1=$(free_port)
P2=$(free_port)
while [ "$P2" = "$P1" ]; do P2=$(free_port); done
setup_agent "tcp://127.0.0.1:$P1, tcp://127.0.0.1:$P2"
: > "$T/want"
i=0
for d in $(days 2021-04-01 20); do
    i=$((i + 1))
    agent submit training_done $i --date "$d" > /dev/null || fail "submit"
    echo "training_done $(ymd "$d") $i" >> "$T/want"
done

"$FAKE_BIN" --bind "tcp://127.0.0.1:$P1" --mode silent --count-file "$T/fake.count" \
    > "$T/fake.log" 2>&1 &
FAKE_PID=$!
PIDS="$PIDS $FAKE_PID"
wait_for 10 "hung collector on the first endpoint" port_open "$P1"
start_collector "$P2"

start_agent
wait_for 20 "outbox drained through the second endpoint" outbox_empty
check "the first endpoint was tried" test "$(cat "$T/fake.count" 2>/dev/null || echo 0)" -ge 1
check "figures at the collector" check_figures "$T/want"
check "every message exactly once" check_exactly_once
check "the agent logged the failover" grep -q "trying the next endpoint" "$T/agent.log"
wait_for 5 "status names the second endpoint" 'agent status | grep -q "last ack.*from tcp://127.0.0.1:$P2"'

# Second round: the first endpoint is gone entirely (connection refused).
kill -TERM "$FAKE_PID"
wait "$FAKE_PID" 2>/dev/null
stop_agent
i=0
for d in $(days 2021-05-01 5); do
    i=$((i + 1))
    agent submit training_planned $((i * 2)) --date "$d" > /dev/null || fail "submit"
    echo "training_planned $(ymd "$d") $((i * 2))" >> "$T/want"
done
start_agent
wait_for 20 "outbox drained with the first endpoint down" outbox_empty
check "figures at the collector" check_figures "$T/want"
check "every message exactly once" check_exactly_once
stop_agent
stop_collector
log PASS
exit 0
