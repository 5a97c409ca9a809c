#!/bin/bash
# sources.sh — the real sources against the real collector:
#   - a CSV file with a bad row is refused whole (failed/ + .reason), a good
#     one is taken once (done/), and status says so;
#   - an exec command that hangs is killed at its timeout, with what it
#     started, and never holds up the other sources or the sending;
#   - a correction of an earlier day's figure (from the exec source, then
#     typed in with submit) reaches the collector under a higher seq, and
#     unchanged figures are not sent again;
#   - SIGTERM stops the agent promptly even with a command running.
. "$(dirname "$0")/lib.sh"

setup_collector
PORT=$(free_port)
setup_agent "tcp://127.0.0.1:$PORT"
mkdir -p "$T/drop"
MARK="61.$$"        # sleeps nobody else runs, to find leftovers
MARK2="62.$$"
add_source <<EOF
[source.drop]
type = csv
folder = $T/drop

[source.hang]
type = exec
command = echo tthc_postal 1 2021-03-01; sleep $MARK & sleep $MARK
timeout = 1s
interval = 1h

[source.slow]
type = exec
command = sleep $MARK2
timeout = 1m
interval = 1h

[source.fig]
type = exec
command = cat $T/fig.txt
EOF
printf 'tthc_received 10 2021-03-01\ntthc_received 20 2021-03-02\n' > "$T/fig.txt"
printf 'metric,date,value\ntthc_resolved,2021-03-01,8\ntthc_resolved,2021-03-02,9\n' \
    > "$T/drop/good.csv"
printf 'metric,date,value\nfeedback_received,2021-03-01,999\nfeedback_received,2021-03-0x,1\n' \
    > "$T/drop/bad.csv"
cat > "$T/want" <<EOF
tthc_received 20210301 10
tthc_received 20210302 20
tthc_resolved 20210301 8
tthc_resolved 20210302 9
EOF

start_collector "$PORT"
start_agent
wait_for 20 "first figures at the collector" check_figures "$T/want"

# --- CSV
check "good.csv taken into done/" test "$(ls "$T/drop/done" | grep -c 'good.csv$')" = 1
check "bad.csv refused into failed/" test "$(ls "$T/drop/failed" | grep -c 'bad.csv$')" = 1
check "with a reason naming the bad row" grep -q "line 3" "$T"/drop/failed/*bad.csv.reason
cat "$T"/drop/failed/*bad.csv.reason
check "nothing of bad.csv was sent" test "$(cdb "SELECT count(*) FROM observation WHERE metric='feedback_received'")" = 0
check "drop folder empty" test -z "$(ls "$T/drop" | grep csv)"

# --- the hanging command
wait_for 10 "hang source recorded as failed" \
    '[ "$(odb "SELECT last_error FROM source_state WHERE name=\"hang\"" | grep -c "timed out")" = 1 ]'
check "its output was not used" test "$(cdb "SELECT count(*) FROM observation WHERE metric='tthc_postal'")" = 0
sleep 1.5
check "no leftover 'sleep $MARK' (killed with its process group)" \
    test "$(pgrep -f "sleep $MARK" | wc -l)" = 0
agent status > "$T/status.txt"
rc=$?
cat "$T/status.txt"
check "status unhealthy" test "$rc" = 1
check "status names the hung source" grep -q "source hang failed: timed out" "$T/status.txt"
check "status names the refused CSV" grep -q "refused CSV" "$T/status.txt"

# --- a correction of an earlier day's figure, from the source
seq_before=$(cdb "SELECT seq FROM observation WHERE metric='tthc_received' AND day=20210301")
n_before=$(cdb "SELECT count(*) FROM journal")
printf 'tthc_received 15 2021-03-01\ntthc_received 20 2021-03-02\n' > "$T/fig.txt"
sed -i 's/^tthc_received 20210301 10$/tthc_received 20210301 15/' "$T/want"
wait_for 20 "corrected figure at the collector" check_figures "$T/want"
seq_after=$(cdb "SELECT seq FROM observation WHERE metric='tthc_received' AND day=20210301")
check "the correction came with a higher seq" test "$seq_after" -gt "$seq_before"
check "the unchanged day kept its message" \
    test "$(cdb "SELECT seq FROM observation WHERE metric='tthc_received' AND day=20210302")" -le "$seq_before"
# ... and typed in by hand
agent submit tthc_received 16 --date 2021-03-01 > /dev/null || fail "submit"
sed -i 's/^tthc_received 20210301 15$/tthc_received 20210301 16/' "$T/want"
printf 'tthc_received 16 2021-03-01\ntthc_received 20 2021-03-02\n' > "$T/fig.txt"
wait_for 20 "hand correction at the collector" check_figures "$T/want"
# unchanged figures are not sent again, however often the sources run
n1=$(cdb "SELECT count(*) FROM journal")
sleep 3
n2=$(cdb "SELECT count(*) FROM journal")
check "no resends of unchanged figures ($n1 then $n2 messages)" test "$n1" = "$n2"
check "two correction messages" test "$n1" = $((n_before + 2))
check "every message exactly once" check_exactly_once

# --- SIGTERM with a command running: prompt, clean stop
check "a slow command is running" test "$(pgrep -f "sleep $MARK2" | wc -l)" -ge 1
t0=$(date +%s%N)
stop_agent TERM
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "agent stopped promptly on SIGTERM ($ms ms; the command would run for minutes)" test "$ms" -lt 30000
sleep 0.3
check "no leftover command after stop" test "$(pgrep -f "sleep $MARK2" | wc -l)" = 0
check "clean stop recorded" grep -q "stopping" "$T/agent.log"
stop_collector
log PASS
exit 0
