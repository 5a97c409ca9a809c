#!/bin/bash
# damaged_outbox.sh — issue 13.1 reproduced with the real agent and
# collector: the oldest message's body is emptied in the outbox; the agent
# sets it aside (logged once, shown by `status` as UNHEALTHY and by `dead`)
# and delivers the 7 others.  Then the outbox is truncated to 0 bytes: the
# agent refuses to start with a clear error instead of re-creating it empty.
. "$(dirname "$0")/lib.sh"

setup_collector
PORT=$(free_port)
setup_agent "tcp://127.0.0.1:$PORT"
sed -i 's/^batch_max = .*/batch_max = 1/' "$AGENT_CONF"
: > "$T/figures.txt"
for d in $(days 2021-03-01 8); do echo "docs_sent 4 $d" >> "$T/figures.txt"; done
add_source <<EOF
[source.eight]
type = exec
command = cat $T/figures.txt
EOF
# collector down: the agent freezes 8 messages and keeps them
start_agent
wait_for 10 "8 messages frozen" '[ "$(odb "SELECT count(*) FROM message")" = 8 ]'
stop_agent
odb "UPDATE message SET body = x'' WHERE seq = (SELECT min(seq) FROM message)"
start_collector "$PORT"
start_agent
wait_for 20 "the 7 sound messages delivered" '[ "$(cdb "SELECT count(*) FROM journal")" = 7 ]'
wait_for 10 "nothing left to send" '[ "$(odb "SELECT count(*) FROM message")" = 0 ]'
check "the damaged one kept in aside" test "$(odb "SELECT count(*) FROM aside")" = 1
check "its reason kept" test "$(odb "SELECT reason FROM aside")" = "empty body"
wait_for 10 "status unhealthy, naming the set-aside message" \
    '! agent status > "$T/status.txt" 2>&1 && grep -q "set aside" "$T/status.txt"'
grep "UNHEALTHY" "$T/status.txt"
agent dead > "$T/dead.txt" 2>&1 || fail "cchc-agent dead"
grep -q "empty body" "$T/dead.txt" || { cat "$T/dead.txt"; fail "dead lists the set-aside message"; }
sleep 3
n=$(grep -c "is DAMAGED" "$T/agent.log")
check "logged once, not every second ($n)" test "$n" = 1
stop_agent
agent dead --clear > /dev/null || fail "dead --clear"
check "cleared" test "$(odb "SELECT count(*) FROM aside")" = 0

# truncated to 0 bytes: refused, left alone, the error says what to do
: > "$OUTBOX"
rm -f "$OUTBOX-wal" "$OUTBOX-shm"
"$AGENT_BIN" --config "$AGENT_CONF" > "$T/refused.log" 2>&1 &
pid=$!
PIDS="$PIDS $pid"
wait_for 10 "the agent exits" '! kill -0 $pid 2>/dev/null'
wait $pid
rc=$?
check "exit status 1 ($rc)" test "$rc" = 1
grep -q "0 bytes" "$T/refused.log" || { cat "$T/refused.log"; fail "error names the truncation"; }
grep -q "remove it" "$T/refused.log" || fail "error tells what to do"
check "outbox left at 0 bytes" test "$(stat -c %s "$OUTBOX")" = 0
agent status > "$T/status0.txt" 2>&1 && fail "status healthy on a truncated outbox"
grep -q "0 bytes" "$T/status0.txt" || { cat "$T/status0.txt"; fail "status names the truncation"; }
stop_collector
log PASS
exit 0
