#!/bin/bash
# seq_backwards.sh — issue 13.2 reproduced: an outbox created while the
# clock was a year ahead (its first seq is taken from the clock) delivers a
# figure; the outbox is lost and re-created with the right clock, so its
# seqs are lower; the correction it sends must not be silently "accepted"
# while the collector keeps the old figure.  Protocol revision 1.2: the
# collector answers the observation `superseded` and tells the agent its
# high-water seq (`high`); the agent moves its counter above it and sends
# the correction again: 20 counts, no dead letter, status healthy.
. "$(dirname "$0")/lib.sh"

setup_collector
PORT=$(free_port)
setup_agent "tcp://127.0.0.1:$PORT"
start_collector "$PORT"
year=$(date -u -d "@$(( $(date +%s) + 365 * 86400 ))" +%Y-%m-%dT%H:%M:%SZ)
agent --set "clock.demo=$year" submit docs_sent 10 --date 2021-03-01 > /dev/null \
    || fail "submit with the clock a year ahead"
first=$(odb "SELECT value FROM meta WHERE key = 'first_seq'")
log "outbox made with the clock a year ahead: first seq $first"
start_agent
wait_for 10 "10 delivered" '[ "$(cdb "SELECT value FROM observation WHERE metric = '"'docs_sent'"' AND day = 20210301")" = 10 ]'
stop_agent
rm -f "$OUTBOX" "$OUTBOX-wal" "$OUTBOX-shm"
agent submit docs_sent 20 --date 2021-03-01 > /dev/null || fail "submit the correction"
second=$(odb "SELECT value FROM meta WHERE key = 'first_seq'")
log "re-created outbox: first seq $second"
check "the new outbox's seqs are lower" test "$second" -lt "$first"
start_agent
wait_for 10 "the correction answered" outbox_empty
# the superseded answer, the counter moved and the value queued again are
# one outbox transaction: empty means the correction was answered for good
wait_for 10 "the correction answered" outbox_empty
value=$(cdb "SELECT value FROM observation WHERE metric = 'docs_sent' AND day = 20210301")
dead=$(odb "SELECT count(*) FROM dead")
next=$(odb "SELECT value FROM meta WHERE key = 'next_seq'")
log "collector holds $value; dead letters: $dead; the outbox's next seq $next"
check "the correction counts" test "$value" = 20
check "no dead letter" test "$dead" = 0
check "the counter moved above the earlier outbox's seqs" test "$next" -gt "$first"
grep -q "continues above it" "$T/agent.log" || { cat "$T/agent.log"; fail "the agent says it resumed above the collector's seq"; }
agent status > "$T/status.txt" 2>&1 || { cat "$T/status.txt"; fail "status unhealthy after the correction counted"; }
stop_agent
stop_collector
log PASS
exit 0
