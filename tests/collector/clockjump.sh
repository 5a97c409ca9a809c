# clockjump.sh — a collector whose wall clock jumps forward (a wrong NTP
# step, a hand-set date) must not lock periods early (issue 13 item 3).  The
# test copy of the collector (collector/ingest/failpoint.h) jumps its clock
# one day forward on SIGUSR2 — the real collector has no such hook.
#   21/03/2021 17:00 local, 7 h before 2021-Q1's lock instant (22/03 00:00):
#   the schedule stores Q1 closed; then the jump puts the clock 17 h past
#   the lock instant: the collector says so (error log line), and however
#   many passes run, nothing is locked.  A restart takes the new time as
#   right: then the schedule locks Q1 — the same state, so the test would
#   fail without the guard.
. "$(dirname "$0")/lib.sh"
setup_state
ms () { date -u -d "$1" +%s%3N; }
# wait_sql NAME QUERY EXPECTED SECONDS — poll until the query answers EXPECTED
wait_sql () {
  local n=$(( $4 * 10 )) got=
  for _ in $(seq 1 "$n"); do
    got=$(sql "$2" 2>/dev/null || true)
    [ "$got" = "$3" ] && { ok "$1"; return 0; }
    sleep 0.1
  done
  bad "$1: expected '$3', got '$got'"
}
# wait_log NAME PATTERN SECONDS — poll the current collector log for PATTERN
wait_log () {
  for _ in $(seq 1 $(( $3 * 10 ))); do
    grep -q -- "$2" "$LOG" && { ok "$1"; return 0; }
    sleep 0.1
  done
  bad "$1: no '$2' in the log"; cat "$LOG" >&2
}
Q1="SELECT state FROM period_result WHERE period = '2021-Q1'"
LOCKS="SELECT count(*) FROM period_event WHERE period = '2021-Q1' AND event = 'locked'"

NOW=2021-03-21T10:00:00Z
start_collector --set clock.demo=$NOW --set collector.rollup_interval=1s
expect before.accepted "status=accepted*" \
  "$(send a1 --unit SNV --seq 1 --created "$(ms $NOW)" --obs 'tthc_received,2021-03-01,5')"
wait_sql before.stored "$Q1" closed 60
kill -USR2 "$CPID"
wait_log jump.made "test clock: the wall clock jumped" 60
wait_log jump.loud "CLOCK JUMPED FORWARD.*NO PERIOD WILL BE LOCKED" 60
# several schedule passes (1 s apart) with the clock past the lock instant
sleep 5
wait_log jump.still_held "period locks still held" 60
expect jump.not_locked "closed" "$(sql "$Q1")"
expect jump.no_lock_event "0" "$(sql "$LOCKS")"
expect jump.period_list "*2021-Q1*" "$("$CTL" --state "$ST" --set clock.demo=2021-03-22T10:00:00Z \
  --criteria "$CATALOGUE" period list 2>&1 | grep 2021-Q1 | grep -v locked || true)"
stop_collector
expect jump.stop 0 "$STOP_RC"

# the operator decides the new time is right: restart — the schedule locks
start_collector --set clock.demo=2021-03-22T10:00:10Z --set collector.rollup_interval=1s
wait_sql restart.locked "$Q1" locked 60
expect restart.one_lock "1" "$(sql "$LOCKS")"
expect restart.quiet "0" "$(grep -c 'CLOCK JUMPED' "$LOG" || true)"
stop_collector
finish
