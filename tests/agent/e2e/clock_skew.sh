#!/bin/bash
# clock_skew.sh — issue 13.3: an agent whose clock is 10 minutes ahead is
# held back (retry_later / future_timestamp), never dead-lettered; `status`
# shows how far its clock is from the collector's (from the signed ack's
# "time") and is UNHEALTHY; once the clock is right the same messages are
# delivered with nothing lost.
. "$(dirname "$0")/lib.sh"

setup_collector
PORT=$(free_port)
setup_agent "tcp://127.0.0.1:$PORT"
add_source <<EOF
[source.figs]
type = exec
command = printf 'docs_sent 5 2021-03-01\ntthc_received 7 2021-03-01\n'
EOF
start_collector "$PORT"
ahead=$(date -u -d "@$(( $(date +%s) + 600 ))" +%Y-%m-%dT%H:%M:%SZ)
start_agent --set "clock.demo=$ahead"
wait_for 10 "the collector answered retry_later (future_timestamp)" \
    'grep -q "retry later (future_timestamp)" "$T/agent.log"'
wait_for 10 "status shows the clock 10 min ahead" \
    'agent status > "$T/status.txt" 2>&1; grep -q "clock: *this computer is 59[0-9]\.[0-9] s ahead of\|clock: *this computer is 60[0-9]\.[0-9] s ahead of" "$T/status.txt"'
grep "^clock:" "$T/status.txt"
grep -q "UNHEALTHY.*clock" "$T/status.txt" || { cat "$T/status.txt"; fail "status unhealthy for the clock"; }
check "nothing dead-lettered" test "$(odb "SELECT count(*) FROM dead")" = 0
check "nothing stored" test "$(cdb "SELECT count(*) FROM journal")" = 0
check "messages kept" test "$(odb "SELECT count(*) FROM message")" -ge 1
stop_agent
# clock corrected: the very same messages go through
start_agent
wait_for 20 "delivered after the clock was fixed" outbox_empty
check "both figures at the collector" test "$(cdb "SELECT count(*) FROM observation")" = 2
check "still nothing dead" test "$(odb "SELECT count(*) FROM dead")" = 0
wait_for 10 "status healthy, clock close" \
    'agent status > "$T/status2.txt" 2>&1 && grep -q "clock: *this computer is [0-9]\.[0-9] s" "$T/status2.txt"'
grep "^clock:" "$T/status2.txt"
stop_agent
stop_collector
log PASS
exit 0
