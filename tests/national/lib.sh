# lib.sh — what the tests/national scripts share: a scratch folder $T removed
# at exit (CCHC_KEEP_TEST=1 keeps it) with every process they started (PIDS)
# killed, ok/bad/expect counting, polling, starting a collector, the province
# (P) and national (N) databases and the province's upstream outbox.
# Sourced after COLLECTOR, CTL and SRC are set; `finish` ends the script.
T=$(mktemp -d "${TMPDIR:-/tmp}/cchc-national-test.XXXXXX")
P=$T/province
N=$T/national
CAT=$SRC/tests/periods/small.ini
PIDS=()
PASSED=0
FAILED=0
STARTS=0

cleanup () {
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  if [ "${CCHC_KEEP_TEST:-0}" = 1 ]; then echo "kept $T" >&2; else rm -rf "$T"; fi
}
trap cleanup EXIT

ok ()  { echo "ok   $1"; PASSED=$((PASSED + 1)); }
bad () { echo "FAIL $1" >&2; FAILED=$((FAILED + 1)); }
expect () { if [[ "$3" == $2 ]]; then ok "$1"; else bad "$1: expected '$2', got '$3'"; fi; }
psql () { sqlite3 -cmd ".timeout 5000" "$P/collector.db" "$1"; }
nsql () { sqlite3 -cmd ".timeout 5000" "$N/collector.db" "$1"; }
osql () { sqlite3 -cmd ".timeout 5000" "$P/upstream.outbox" "$1"; }
ms () { date -u -d "$1" +%s%3N; }
json () { python3 -c "import json, sys; d = json.load(sys.stdin); print($1)"; }

# wait_for NAME COMMAND EXPECTED [SECONDS] — poll until COMMAND prints EXPECTED
wait_for () {
  local n=$(( ${4:-30} * 10 )) got=
  for _ in $(seq 1 "$n"); do
    got=$(eval "$2" 2>/dev/null || true)
    [ "$got" = "$3" ] && { ok "$1"; return 0; }
    sleep 0.1
  done
  bad "$1: expected '$3', got '$got'"
}

# start LOGNAME ARGS... — a collector; waits for "listening on"; sets
# LAST_PID and LAST_LOG
start () {
  local name=$1; shift
  STARTS=$((STARTS + 1))
  local log=$T/$name.$STARTS.log
  "$@" >"$log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  for _ in $(seq 1 1200); do
    if grep -q "listening on" "$log"; then LAST_PID=$pid; LAST_LOG=$log; return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then cat "$log" >&2; echo "$name died" >&2; return 1; fi
    sleep 0.05
  done
  cat "$log" >&2; echo "$name did not start" >&2; return 1
}

# finish — stop what runs (TERM, then the EXIT trap's kill -9), print the count
finish () {
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" = 0 ]
}
