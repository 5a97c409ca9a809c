#!/bin/bash
# outage.sh — the collector is down for a while, then up: everything the
# agent collected meanwhile arrives exactly once.
. "$(dirname "$0")/lib.sh"

setup_collector
PORT=$(free_port)
setup_agent "tcp://127.0.0.1:$PORT"
add_source <<EOF
[source.motcua]
type = exec
command = echo tthc_received 7 2021-02-01; echo tthc_resolved 5 2021-02-01
EOF
# 30 figures typed in by hand while the collector is down (and before the
# daemon even runs: submit works without it)
: > "$T/want"
i=0
for d in $(days 2021-01-01 30); do
    i=$((i + 1))
    agent submit docs_sent $i --date "$d" > /dev/null || fail "submit"
    echo "docs_sent $(ymd "$d") $i" >> "$T/want"
done
echo "tthc_received 20210201 7" >> "$T/want"
echo "tthc_resolved 20210201 5" >> "$T/want"

start_agent
sleep 3
check "collector down: data waits in the outbox" outbox_waiting
check "nothing dead" test "$(odb 'SELECT count(*) FROM dead')" = 0
agent status > "$T/status1.txt"
log "status while the collector is down: exit $?"

start_collector "$PORT"
wait_for 30 "outbox drained" outbox_empty
check "figures at the collector" check_figures "$T/want"
check "every message exactly once" check_exactly_once
check "sum of docs_sent" test "$(cdb "SELECT sum(value) FROM observation WHERE metric='docs_sent'")" = 465
sleep 1.5
agent status > "$T/status2.txt"
rc=$?
cat "$T/status2.txt"
check "status healthy" test "$rc" = 0
check "status names the endpoint" grep -q "127.0.0.1:$PORT" "$T/status2.txt"
stop_agent
stop_collector
log PASS
exit 0
