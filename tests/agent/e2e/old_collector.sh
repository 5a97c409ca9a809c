#!/bin/bash
# old_collector.sh — protocol revision 1.2 against a revision-1.1
# collector: that one's decoder refuses the report key `caps` (seq-0
# unknown_field, nothing stored).  The agent must notice, make its
# messages again without the key and deliver everything, dead-lettering
# nothing; later reports go without `caps` (no refusal per report).
. "$(dirname "$0")/lib.sh"

setup_collector
PORT=$(free_port)
setup_agent "tcp://127.0.0.1:$PORT"
agent submit docs_sent 7 --date 2021-03-01 > /dev/null || fail "submit"
agent submit tthc_received 5 --date 2021-03-02 > /dev/null || fail "submit"

"$FAKE_BIN" --bind "tcp://127.0.0.1:$PORT" --mode v1.1 --key "$CSTATE/collector.key" \
    --count-file "$T/fake.count" > "$T/fake.log" 2>&1 &
FAKE_PID=$!
PIDS="$PIDS $FAKE_PID"
wait_for 10 "the 1.1 collector listening" port_open "$PORT"

start_agent
wait_for 10 "everything delivered to the 1.1 collector" outbox_empty
check "the agent said why" grep -q "older than protocol revision 1.2" "$T/agent.log"
check "nothing dead-lettered" test "$(odb 'SELECT count(*) FROM dead')" = 0
check "both values arrived" grep -q "docs_sent 2021-03-01 7" "$T/fake.count.obs"
check "both values arrived" grep -q "tthc_received 2021-03-02 5" "$T/fake.count.obs"
check "the refusal is remembered" test "$(odb "SELECT value FROM meta WHERE key = 'caps'")" = 0
agent submit docs_sent 8 --date 2021-03-01 > /dev/null || fail "submit"
wait_for 10 "a correction delivered" outbox_empty
check "the correction arrived" grep -q "docs_sent 2021-03-01 8" "$T/fake.count.obs"
check "one refusal notice only" test "$(grep -c "older than protocol revision 1.2" "$T/agent.log")" = 1
agent status > "$T/status.txt" 2>&1 || { cat "$T/status.txt"; fail "status unhealthy"; }
stop_agent
kill -TERM "$FAKE_PID"
wait "$FAKE_PID" 2>/dev/null
log PASS
exit 0
