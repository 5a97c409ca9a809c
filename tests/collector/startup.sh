# startup.sh — a collector whose start-up fails at any step exits 1 with the
# reason, promptly (no thread or socket left behind to hang zmq_ctx_term),
# without a sanitizer report, and leaves the database as it was.  Steps are
# made to fail by the test copy's failpoints (collector/ingest/failpoint.h) and by
# real causes: port in use, bad criteria, a locked database, a state folder
# that is a file.
. "$(dirname "$0")/lib.sh"
setup_state
GUARD=120      # s: a start-up takes well under a second; 124 means it hung

# attempt NAME PATTERN [ENV=VALUE...] -- [collector options...]
attempt () {
  local name=$1 pattern=$2; shift 2
  local envs=()
  while [ "$1" != "--" ]; do envs+=("$1"); shift; done
  shift
  local log=$T/collector.fail-$name.log rc=0
  env "${envs[@]}" timeout -s KILL "$GUARD" "$COLLECTOR" --state "$ST" \
      --set collector.bind="tcp://127.0.0.1:$("$CLIENT" freeport)" \
      --set collector.criteria="$CATALOGUE" --set http.enabled=true \
      --set http.port="$("$CLIENT" freeport)" "$@" >"$log" 2>&1 || rc=$?
  expect "$name.exit" 1 "$rc"
  expect "$name.says" "*$pattern*" "$(tr '\n' ' ' <"$log")"
}

for step in ingest.open ingest.tune ingest.checkpoint ingest.sockets \
            ingest.worker_sockets ingest.writer ingest.worker ingest.started \
            main.periods main.router main.http; do
  attempt "$step" "failpoint $step" CCHC_FAIL_AT="$step" --
done

# real causes
attempt criteria "criteria" -- --set collector.criteria="$T/no-such-catalogue.ini"
touch "$T/not-a-folder"
attempt state-file "not-a-folder" -- --state "$T/not-a-folder"
start_collector
PORT_EP=$EP
attempt port-in-use "ddress already in use" -- --set collector.bind="$PORT_EP"
stop_collector
expect first.stop 0 "$STOP_RC"
# a database held by another writer: the open waits its busy timeout (5 s), then fails
(echo "BEGIN IMMEDIATE; INSERT INTO stats VALUES ('test.lock', 1, 0);"; sleep 30) \
  | sqlite3 "$DB" >/dev/null 2>&1 &
LOCKER=$!
PIDS+=("$LOCKER")
sleep 1
attempt locked "locked" --
kill "$LOCKER" 2>/dev/null || true
wait "$LOCKER" 2>/dev/null || true

# nothing was harmed: the collector starts and ingests, the audit is clean
start_collector
expect after.accepted "status=accepted*" \
  "$(send a1 --unit SNV --seq 1 --obs 'tthc_received,2021-03-01,5')"
stop_collector
expect after.stop 0 "$STOP_RC"
expect after.audit "audit: 1 journal rows re-verified*0 mismatches" \
  "$("$CTL" --db "$DB" audit 2>&1 || true)"
finish
