#!/bin/bash
# kill9.sh — the agent is killed with SIGKILL while it is sending, twice;
# after each restart it carries on, and in the end every figure is at the
# collector, every message exactly once (no lost seq, no seq stored twice,
# and no figure sent under two seqs).
. "$(dirname "$0")/lib.sh"

setup_collector
PORT=$(free_port)
setup_agent "tcp://127.0.0.1:$PORT"
# 400 figures, one per message (batch_max 1), so sending takes a while
: > "$T/want"
: > "$T/figures.txt"
i=0
for d in $(days 2019-06-01 400); do
    i=$((i + 1))
    echo "docs_sent $((i * 3)) $d" >> "$T/figures.txt"
    echo "docs_sent $(ymd "$d") $((i * 3))" >> "$T/want"
done
add_source <<EOF
[source.big]
type = exec
command = cat $T/figures.txt
EOF
sed -i 's/^batch_max = .*/batch_max = 1/' "$AGENT_CONF"

start_collector "$PORT"
for round in 1 2; do
    start_agent
    # wait until sending is under way, then kill -9 in the middle of it
    wait_for 20 "round $round: some delivered" \
        '[ "$(cdb "SELECT count(*) FROM journal")" -ge $((round * 60)) ]'
    stop_agent 9
    n=$(cdb 'SELECT count(*) FROM journal')
    log "round $round: killed with $n of 400 messages at the collector"
    check "round $round: killed mid-stream" test "$n" -lt 400
done
start_agent
wait_for 60 "outbox drained after the last restart" outbox_empty
wait_for 10 "all 400 at the collector" '[ "$(cdb "SELECT count(*) FROM journal")" = 400 ]'
check "figures at the collector" check_figures "$T/want"
check "every message exactly once" check_exactly_once
check "sum" test "$(cdb "SELECT sum(value) FROM observation WHERE metric='docs_sent'")" = $(( 3 * 400 * 401 / 2 ))
# each figure was sent in exactly one message: journal bodies hold 400
# observations in total (one each)
check "no figure sent twice" test "$(cdb "SELECT count(DISTINCT seq) FROM observation")" = 400
dups=$(cdb "SELECT duplicates FROM agent")
log "collector answered 'duplicate' $dups times (resends of messages whose ack was lost)"
stop_agent
stop_collector
log PASS
exit 0
