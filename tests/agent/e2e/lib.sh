# lib.sh — shared helpers for the agent's end-to-end tests (sourced).
#
# Each test script is called as
#   SCRIPT AGENT COLLECTOR CCHCCTL FAKE_COLLECTOR SOURCE_DIR
# and gets a private temporary folder, free 127.0.0.1 ports, a collector
# state with a two-unit catalogue and an enrolled agent key.  Every process
# a test starts is recorded and stopped (by its pid) when the script exits,
# whatever the outcome.

set -u

AGENT_BIN=$1
COLLECTOR_BIN=$2
CCHCCTL_BIN=$3
FAKE_BIN=$4
SRC_DIR=$5

T=$(mktemp -d /tmp/cchc-e2e-XXXXXX)
PIDS=""
FAILED=0

cleanup () {
    for p in $PIDS; do
        kill -9 "$p" 2>/dev/null
    done
    for p in $PIDS; do
        wait "$p" 2>/dev/null
    done
    if [ "$FAILED" = 0 ] && [ -z "${KEEP:-}" ]; then
        rm -rf "$T"
    else
        echo "(files kept in $T)"
    fi
}
trap cleanup EXIT

log () { echo "[$(date +%H:%M:%S.%N | cut -c1-12)] $*"; }

fail () {
    FAILED=1
    echo "FAIL: $*"
    for f in "$T"/*.log; do
        [ -f "$f" ] || continue
        echo "---- tail of $f"
        tail -n 25 "$f"
    done
    exit 1
}

check () {   # check "description" command...
    local what=$1
    shift
    if "$@"; then
        log "ok: $what"
    else
        fail "$what"
    fi
}

free_port () {
    # A port below the kernel's ephemeral range (ip_local_port_range: no
    # outgoing connection of another process can be holding it, which a
    # listener check cannot see) that binds now; the collector binds it next.
    local lo hi p
    read -r lo hi < /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || lo=32768
    [ "$lo" -gt 21000 ] || lo=32768
    for _ in $(seq 50); do
        p=$(( 20000 + (RANDOM * 32768 + RANDOM) % (lo - 20000) ))
        if python3 -c 'import socket, sys
s = socket.socket ()
s.setsockopt (socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind (("127.0.0.1", int (sys.argv [1])))' "$p" 2>/dev/null; then
            echo "$p"
            return
        fi
    done
    echo "no free port" >&2
    exit 1
}

# wait_for SECONDS "description" 'shell condition' : evaluated every 0.1 s.
# SECONDS is the normal worst case; the limit is CCHC_TEST_WAIT_SCALE (default
# 10) times that, so a busy machine or a sanitizer build cannot fail a test.
wait_for () {
    local limit=$(( $1 * ${CCHC_TEST_WAIT_SCALE:-10} )) what=$2
    shift 2
    local end=$(( $(date +%s%N) / 1000000 + limit * 1000 ))
    while [ $(( $(date +%s%N) / 1000000 )) -lt $end ]; do
        if eval "$*"; then
            log "ok: $what"
            return 0
        fi
        sleep 0.1
    done
    fail "timed out after ${limit}s waiting for: $what"
}

# ---------------------------------------------------------------- collector

COLLECTOR_PID=""
CSTATE=$T/state

setup_collector () {
    mkdir -p "$CSTATE"
    cat > "$T/units.csv" <<EOF
code,name,kind,level,parent
08,Tỉnh Tuyên Quang,Tỉnh,tinh,
SNV,Sở Nội vụ,Sở,so,08
STP,Sở Tư pháp,Sở,so,08
EOF
    "$CCHCCTL_BIN" --state "$CSTATE" keygen --out "$CSTATE/collector.key" > "$T/keygen.log" 2>&1 \
        || fail "cchcctl keygen"
    # the collector publishes its key as collector.key.pub
    [ -f "$CSTATE/collector.key.pub" ] || cp "$CSTATE/collector.pub" "$CSTATE/collector.key.pub" 2>/dev/null
    "$CCHCCTL_BIN" --state "$CSTATE" units import --valid-from 2000-01-01 "$T/units.csv" \
        > "$T/units.log" 2>&1 || fail "cchcctl units import"
}

# start_collector PORT [extra --set ...]
start_collector () {
    local port=$1
    shift
    "$COLLECTOR_BIN" --state "$CSTATE" \
        --set "collector.bind=tcp://127.0.0.1:$port" \
        --set "collector.criteria=$SRC_DIR/data/criteria/default.ini" \
        "$@" >> "$T/collector.log" 2>&1 &
    COLLECTOR_PID=$!
    PIDS="$PIDS $COLLECTOR_PID"
    wait_for 10 "collector listening on $port" "port_open $port || ! kill -0 $COLLECTOR_PID 2>/dev/null"
    kill -0 "$COLLECTOR_PID" 2>/dev/null || fail "the collector exited instead of listening on $port"
}

port_open () { (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null; }

stop_collector () {   # stop_collector [SIGNAL]
    local sig=${1:-TERM}
    [ -n "$COLLECTOR_PID" ] || return 0
    kill -"$sig" "$COLLECTOR_PID" 2>/dev/null
    wait "$COLLECTOR_PID" 2>/dev/null
    COLLECTOR_PID=""
}

cdb () { sqlite3 -cmd ".timeout 5000" "$CSTATE/collector.db" "$@"; }

# ------------------------------------------------------------------- agent

AGENT_PID=""
AGENT_CONF=$T/agent.ini
OUTBOX=$T/outbox.db

# setup_agent ENDPOINTS : key, enrolment, configuration (sources appended
# by the test with add_source)
setup_agent () {
    local endpoints=$1
    "$AGENT_BIN" keygen --out "$T/agent.key" > "$T/agent-keygen.log" 2>&1 || fail "agent keygen"
    "$CCHCCTL_BIN" --state "$CSTATE" agent enroll --unit SNV --name "Sở Nội vụ (test)" \
        --key-file "$T/agent.key.pub" > "$T/enroll.log" 2>&1 || fail "agent enroll"
    cat > "$AGENT_CONF" <<EOF
[agent]
unit = SNV
key_file = $T/agent.key
outbox = $OUTBOX
interval = 1s
log_level = debug

[collector]
endpoints = $endpoints
public_key = $CSTATE/collector.key.pub
request_timeout = 1s
backoff_min = 100ms
backoff_max = 1s
window = 4
batch_max = 50

[status]
max_age = 1m
stale_after = 30s
EOF
}

add_source () { cat >> "$AGENT_CONF"; }

start_agent () {
    "$AGENT_BIN" --config "$AGENT_CONF" "$@" >> "$T/agent.log" 2>&1 &
    AGENT_PID=$!
    PIDS="$PIDS $AGENT_PID"
    wait_for 10 "agent started" test -f "$OUTBOX"
}

stop_agent () {   # stop_agent [SIGNAL]
    local sig=${1:-TERM} rc
    [ -n "$AGENT_PID" ] || return 0
    kill -"$sig" "$AGENT_PID" 2>/dev/null
    wait "$AGENT_PID" 2>/dev/null
    rc=$?
    AGENT_PID=""
    # under -DCCHC_SANITIZE=ON: no leak or UB report, and a clean exit
    if grep -q "Sanitizer\|runtime error:" "$T/agent.log"; then
        fail "sanitizer report in agent.log"
    fi
    if [ "$sig" = TERM ] && [ "$rc" != 0 ]; then
        fail "agent exited with status $rc after SIGTERM"
    fi
}

agent () { "$AGENT_BIN" --config "$AGENT_CONF" "$@"; }

odb () { sqlite3 -cmd ".timeout 5000" "$OUTBOX" "$@"; }

outbox_empty () {
    [ -f "$OUTBOX" ] || return 1
    [ "$(odb 'SELECT (SELECT count(*) FROM message) + (SELECT count(*) FROM pending)')" = 0 ]
}

outbox_waiting () {
    [ -f "$OUTBOX" ] || return 1
    [ "$(odb 'SELECT (SELECT count(*) FROM message) + (SELECT count(*) FROM pending)')" != 0 ]
}

# Every message the outbox ever made is in the collector's journal exactly
# once: seqs first_seq .. next_seq-1, no gap, nothing dead.
check_exactly_once () {
    local first next n lo hi dead
    first=$(odb "SELECT value FROM meta WHERE key='first_seq'")
    next=$(odb "SELECT value FROM meta WHERE key='next_seq'")
    dead=$(odb "SELECT count(*) FROM dead")
    n=$(cdb "SELECT count(*) FROM journal")
    lo=$(cdb "SELECT min(seq) FROM journal")
    hi=$(cdb "SELECT max(seq) FROM journal")
    log "outbox seqs $first..$((next - 1)); journal $n messages, seqs $lo..$hi; dead $dead"
    [ "$n" = "$(( next - first ))" ] && [ "$lo" = "$first" ] && [ "$hi" = "$(( next - 1 ))" ] \
        && [ "$dead" = 0 ]
}

# Expected figures as "metric day value" lines in a file: the collector holds
# exactly these for the agent's unit.
check_figures () {
    local want=$1 got
    got=$(cdb "SELECT metric || ' ' || day || ' ' || value FROM observation WHERE unit='SNV' ORDER BY metric, day")
    if [ "$got" != "$(sort "$want")" ]; then
        { echo "expected:"; sort "$want" | head -20
          echo "got:"; echo "$got" | head -20; } > "$T/figures-diff.log"
        return 1
    fi
}

# days DATE N : N consecutive dates from DATE, one per line
days () {
    local i
    for i in $(seq 0 $(( $2 - 1 ))); do
        date -u -d "$1 +$i day" +%F
    done
}

ymd () { echo "$1" | tr -d -; }
