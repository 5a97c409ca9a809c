#!/usr/bin/env bash
# crash.sh — kill -9 the collector repeatedly while several agents stream
# reports; after restarts and re-sends every acknowledged message must be
# stored and every observation stored exactly once (sums checked).  Then the
# same with SIGTERM in the middle of a stream: a clean exit that answers what
# it read.
. "$(dirname "$0")/lib.sh"

N=${CCHC_CRASH_COUNT:-900}      # reports per agent, 30 observations each
RATE=${CCHC_CRASH_RATE:-300}    # per agent and second: the streams last ~3 s
KILLS=${CCHC_CRASH_KILLS:-4}
setup_state
"$CTL" --state "$ST" agent enroll --unit SCT --name "Sở Công Thương" --key-file "$T/keys/a3.key.pub" >/dev/null
# small batches and a short wait make more commits to be killed in between
start_collector --set collector.batch_max=16 --set collector.batch_wait=2ms

streams=()
for a in a1 a2 a3; do
  unit=$(case $a in a1) echo SNV;; a2) echo STP;; a3) echo SCT;; esac)
  "$CLIENT" stream --endpoint "$EP" --key "$T/keys/$a.key" --server "$ST/collector.key.pub" \
      --unit "$unit" --count "$N" --window 20 --timeout 1000 --deadline 150000 --rate "$RATE" \
      --ack-log "$T/$a.acks" >"$T/$a.out" 2>&1 &
  streams+=($!)
  PIDS+=($!)
done

# acked_missing AGENT_ID KEY — acknowledged seqs not in the journal
acked_missing () {
  [ -f "$T/$2.acks" ] || { echo 0; return; }
  comm -23 <(sort -u "$T/$2.acks") \
           <(sql "SELECT seq FROM journal WHERE agent = $1" | sort -u) | wc -l
}

lost=0
for k in $(seq 1 "$KILLS"); do
  sleep "0.$((RANDOM % 4 + 3))"
  kill -9 "$CPID"
  wait "$CPID" 2>/dev/null || true
  for id in 1 2 3; do
    m=$(acked_missing "$id" "a$id")
    [ "$m" -eq 0 ] || { lost=$((lost + m)); echo "after kill $k: agent $id lost $m acked messages" >&2; }
  done
  start_collector --set collector.batch_max=16 --set collector.batch_wait=2ms
done
expect crash.kills_happened "$KILLS" "$(( STARTS - 1 ))"
expect crash.no_acked_message_lost_at_kills "0" "$lost"

for i in "${!streams[@]}"; do
  rc=0
  wait "${streams[$i]}" || rc=$?
  expect "crash.stream$((i + 1)).completed" "0" "$rc"
done
for a in a1 a2 a3; do echo "$a: $(cat "$T/$a.out")"; done
# the kills hit messages in flight: some were sent again
expect crash.resends_happened "1" "$(cat "$T"/a[123].out | awk '{ sub("resent=", "", $7); n += $7 } END { print (n > 0) }')"

expected_sum=$(( 30 * 1000 * N * (N + 1) / 2 + N * 435 ))
# the roll-up's monthly summary is settled by the writer between its
# transactions (and rebuilt past its position after each kill): wait until
# it has reached the newest journal row (hang guard 30 s; normally < 2 s)
settled=0
for _ in $(seq 1 300); do
  settled=$(sql "SELECT (SELECT journal FROM month_position) = (SELECT max(id) FROM journal)")
  [ "$settled" = 1 ] && break
  sleep 0.1
done
expect crash.month_settled "1" "$settled"
for id in 1 2 3; do
  expect "crash.agent$id.journal" "$N|$N|$N" \
    "$(sql "SELECT count(*), count(DISTINCT seq), max(seq) FROM journal WHERE agent = $id")"
  expect "crash.agent$id.accepted_once" "$N" "$(sql "SELECT accepted FROM agent WHERE id = $id")"
  expect "crash.agent$id.observations" "$((N * 30))|$expected_sum" \
    "$(sql "SELECT count(*), sum(value) FROM observation WHERE agent = $id")"
  expect "crash.agent$id.acked_stored" "0" "$(acked_missing "$id" "a$id")"
  # the roll-up's monthly summary: every kill's batches counted once
  expect "crash.agent$id.month_summary" "$((N * 30))|$expected_sum" \
    "$(sql "SELECT sum(rows), sum(total) FROM observation_month WHERE agent = $id")"
done
expect crash.audit "audit: * 0 mismatches" "$("$CTL" --state "$ST" audit | tail -1)"

# SIGTERM in the middle of a stream: exit 0, what was acked is stored; the
# agent finishes after a restart.
"$CTL" --state "$ST" agent enroll --unit SYT --name "Sở Y tế" --key-file "$T/keys/a4.key.pub" >/dev/null
stop_collector
start_collector
"$CLIENT" stream --endpoint "$EP" --key "$T/keys/a4.key" --server "$ST/collector.key.pub" \
    --unit SYT --count 1500 --window 50 --timeout 1500 --deadline 150000 \
    --ack-log "$T/a4.acks" >"$T/a4.out" 2>&1 &
s4=$!
PIDS+=($s4)
for _ in $(seq 1 100); do
  [ -s "$T/a4.acks" ] && [ "$(wc -l <"$T/a4.acks")" -gt 100 ] && break
  sleep 0.05
done
stop_collector
expect sigterm.midstream.exit "0" "$STOP_RC"
expect sigterm.midstream.acked_stored "0" "$(acked_missing 4 a4)"
expect sigterm.midstream.drained "*stopping: answering*" "$(grep -m1 'stopping:' "$LOG")"
start_collector
rc=0
wait "$s4" || rc=$?
expect sigterm.midstream.stream_completed "0" "$rc"
expect sigterm.midstream.sum "1500|$(( 30 * 1000 * 1500 * 1501 / 2 + 1500 * 435 ))" \
  "$(sql "SELECT count(DISTINCT journal), sum(value) FROM observation WHERE agent = 4")"
stop_collector
expect sigterm.final_exit "0" "$STOP_RC"

# bounded pipeline: with room for 8 reports in flight and an agent pushing 64
# at a time, the collector stops reading (ZeroMQ/TCP hold the rest back),
# never holds more than 8, and everything still gets through
"$CTL" --state "$ST" agent enroll --unit SGTVT --name "Sở GTVT" --key-file "$T/keys/a5.key.pub" >/dev/null
start_collector --set collector.max_inflight=8 --set collector.batch_max=4
rc=0
"$CLIENT" stream --endpoint "$EP" --key "$T/keys/a5.key" --server "$ST/collector.key.pub" \
    --unit SGTVT --count 400 --window 64 --timeout 5000 --deadline 60000 >"$T/a5.out" 2>&1 || rc=$?
expect bounded.completed "0:acked=400 of 400 accepted=400 *" "$rc:$(cat "$T/a5.out")"
sleep 1.2
expect bounded.inflight_max "1" "$("$CTL" --state "$ST" stats | awk '$1 == "inflight.max" { print ($2 >= 1 && $2 <= 8) }')"
expect bounded.batch_max "1" "$("$CTL" --state "$ST" stats | awk '$1 == "batch.max" { print ($2 >= 1 && $2 <= 4) }')"
stop_collector
expect bounded.exit "0" "$STOP_RC"

finish
