# lib.sh — shared helpers of the collector's integration tests (sourced).
#   usage of a test: bash TEST.sh COLLECTOR CCHCCTL CLIENT SOURCE_DIR
# Every process a test starts is recorded and killed on exit; the scratch
# folder is removed unless CCHC_KEEP_TEST=1.
set -euo pipefail

COLLECTOR=$1 CTL=$2 CLIENT=$3 SRC=$4
T=$(mktemp -d "${TMPDIR:-/tmp}/cchc-collector-test.XXXXXX")
ST=$T/state
DB=$ST/collector.db
CATALOGUE=$SRC/data/criteria/default.ini
PIDS=()
PASSED=0
FAILED=0
CPID=
EP=
STARTS=0

cleanup () {
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  if [ "${CCHC_KEEP_TEST:-0}" = 1 ]; then echo "kept $T" >&2; else rm -rf "$T"; fi
}
trap cleanup EXIT

ok ()   { echo "ok   $1"; PASSED=$((PASSED + 1)); }
bad ()  { echo "FAIL $1" >&2; FAILED=$((FAILED + 1)); }

# expect NAME PATTERN ACTUAL — ACTUAL must match the glob PATTERN
expect () {
  if [[ "$3" == $2 ]]; then ok "$1"; else bad "$1: expected '$2', got '$3'"; fi
}

# sql QUERY — one value from the database (read-only, waits for locks)
sql () { sqlite3 -cmd ".timeout 5000" "$DB" "$1"; }

finish () {
  # a sanitizer report in any collector log fails the test
  if grep -l -E "ERROR: (Address|Leak)Sanitizer|runtime error:" "$T"/collector.*.log 2>/dev/null; then
    bad "sanitizer report in the collector's log"
    grep -h -A5 -E "ERROR: (Address|Leak)Sanitizer|runtime error:" "$T"/collector.*.log >&2 || true
  fi
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
}

# setup_state — units imported, agent keys a1..a6 made, a1 SNV, a2 STP enrolled
setup_state () {
  mkdir -p "$T/keys"
  "$CTL" --state "$ST" units import "$SRC"/data/units/*.csv >/dev/null
  for a in a1 a2 a3 a4 a5 a6 a7; do "$CTL" keygen --out "$T/keys/$a.key" >/dev/null 2>&1; done
  "$CTL" --state "$ST" agent enroll --unit SNV --name "Sở Nội vụ" --key-file "$T/keys/a1.key.pub" >/dev/null
  "$CTL" --state "$ST" agent enroll --unit STP --name "Sở Tư pháp" --key-file "$T/keys/a2.key.pub" >/dev/null
}

# start_collector [--set ...] — start on a free port (the same one on restarts)
start_collector () {
  [ -n "$EP" ] || EP=tcp://127.0.0.1:$("$CLIENT" freeport)
  STARTS=$((STARTS + 1))
  LOG=$T/collector.$STARTS.log
  "$COLLECTOR" --state "$ST" --set collector.bind="$EP" \
      --set collector.criteria="$CATALOGUE" "$@" >"$LOG" 2>&1 &
  CPID=$!
  PIDS+=("$CPID")
  for _ in $(seq 1 1200); do          # up to 60 s: a busy machine, a sanitizer build
    if grep -q "listening on" "$LOG"; then return 0; fi
    if ! kill -0 "$CPID" 2>/dev/null; then cat "$LOG" >&2; echo "collector died" >&2; return 1; fi
    sleep 0.05
  done
  cat "$LOG" >&2
  echo "collector did not start" >&2
  return 1
}

# stop_collector — SIGTERM and wait; sets STOP_RC
stop_collector () {
  kill -TERM "$CPID"
  STOP_RC=0
  wait "$CPID" || STOP_RC=$?
}

# send KEY [client options...] — one report; prints the ack line
send () {
  local key=$1; shift
  "$CLIENT" send --endpoint "$EP" --key "$T/keys/$key.key" \
      --server "$ST/collector.key.pub" --timeout 5000 "$@" || true
}
