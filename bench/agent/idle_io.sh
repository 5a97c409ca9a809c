#!/bin/bash
# idle_io.sh — how much an idle cchc-agent writes to disk (a measurement,
# not a test: it prints figures and fails only if it cannot run).
#
#   idle_io.sh AGENT COLLECTOR CCHCCTL SOURCE_DIR [WINDOW_S [INTERVAL]]
#   (or: cmake --build BUILD --target agent_bench_idle_io)
#
# The daemon runs with one exec source (20 figures that never change) at
# INTERVAL (default 5m, the shipped default) against a real collector; once
# its first cycle is delivered, /proc/PID/io write_bytes (bytes this process
# caused to be written to the block device, page cache included) is sampled
# over WINDOW_S seconds (default 600) and extrapolated to a day.  The
# hourly state save (daemon.h) is measured separately: the daemon is run a
# second time with status.heartbeat = 20s, and the bytes per save are added
# 24 times to the daily figure.  The outbox lives in a folder under
# TMPDIR (must be on a disk, not tmpfs, or every figure is 0).
set -u
AGENT_BIN=$1 COLLECTOR_BIN=$2 CCHCCTL_BIN=$3 SRC_DIR=$4
WINDOW=${5:-600}
INTERVAL=${6:-5m}

T=$(mktemp -d "${TMPDIR:-/var/tmp}/cchc-bench-io-XXXXXX")
PIDS=""
cleanup () {
    for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
    for p in $PIDS; do wait "$p" 2>/dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT
die () { echo "bench: $*" >&2; exit 1; }
port () {
    local p
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
        if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then echo "$p"; return; fi
    done
    die "no free port"
}
port_open () { (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null; }
wbytes () { awk '/^write_bytes:/ { print $2 }' "/proc/$1/io"; }
calc () { awk "BEGIN { print $* }"; }
[ "$(stat -f -c %T "$T")" = tmpfs ] && die "$T is on tmpfs: set TMPDIR to a disk folder"
[ -r /proc/self/io ] || die "/proc/self/io is not readable here"

STATE=$T/state
mkdir -p "$STATE"
printf 'code,name,kind,level,parent\n08,Tỉnh,Tỉnh,tinh,\nSNV,Sở Nội vụ,Sở,so,08\n' > "$T/units.csv"
"$CCHCCTL_BIN" --state "$STATE" keygen --out "$STATE/collector.key" > /dev/null 2>&1 || die keygen
"$CCHCCTL_BIN" --state "$STATE" units import --valid-from 2000-01-01 "$T/units.csv" > /dev/null \
    || die units
"$AGENT_BIN" keygen --out "$T/agent.key" > /dev/null || die "agent keygen"
"$CCHCCTL_BIN" --state "$STATE" agent enroll --unit SNV --name bench --key-file "$T/agent.key.pub" \
    > /dev/null || die enroll
PORT=$(port)
"$COLLECTOR_BIN" --state "$STATE" --set "collector.bind=tcp://127.0.0.1:$PORT" \
    --set "collector.criteria=$SRC_DIR/data/criteria/default.ini" >> "$T/collector.log" 2>&1 &
PIDS="$PIDS $!"
for _ in $(seq 200); do port_open "$PORT" && break; sleep 0.05; done
port_open "$PORT" || die "collector did not start"

cat > "$T/source.sh" <<'SRC'
#!/bin/sh
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
    echo "docs_sent $i 2021-03-$(printf %02d $i)"
done
SRC
chmod +x "$T/source.sh"

# run_idle OUTBOX SECONDS [extra ini lines] : prints write_bytes over SECONDS
run_idle () {
    local outbox=$1 secs=$2 extra=${3:-}
    cat > "$T/agent.ini" <<INI
[agent]
unit = SNV
key_file = $T/agent.key
outbox = $outbox
interval = $INTERVAL
log_level = notice
[collector]
endpoints = tcp://127.0.0.1:$PORT
public_key = $STATE/collector.key.pub
[status]
$extra
[source.figures]
type = exec
command = $T/source.sh
INI
    "$AGENT_BIN" --config "$T/agent.ini" >> "$T/agent.log" 2>&1 &
    local pid=$!
    PIDS="$PIDS $pid"
    local ok=0
    for _ in $(seq 600); do
        if [ -f "$outbox" ] && [ "$(sqlite3 -cmd '.timeout 5000' "$outbox" \
            'SELECT (SELECT count(*) FROM message) + (SELECT count(*) FROM pending)' 2>/dev/null)" = 0 ] \
            && [ "$(sqlite3 -cmd '.timeout 5000' "$outbox" 'SELECT count(*) FROM source_state' 2>/dev/null)" -ge 1 ]; then
            ok=1; break
        fi
        sleep 0.1
    done
    [ $ok = 1 ] || die "first cycle not delivered"
    sleep 2
    local b0 b1
    b0=$(wbytes "$pid")
    sleep "$secs"
    b1=$(wbytes "$pid")
    kill -TERM "$pid"; wait "$pid" 2>/dev/null
    echo $(( b1 - b0 ))
}

echo "cchc-agent idle disk writes ($(uname -m), $("$AGENT_BIN" --version), source every $INTERVAL)"
idle=$(run_idle "$T/idle.db" "$WINDOW")
per_day=$(calc "$idle * 86400 / $WINDOW")
printf 'idle: %d bytes written in %d s -> %.0f bytes/day (%.3f MiB/day) without state saves\n' \
    "$idle" "$WINDOW" "$per_day" "$(calc "$per_day / 1048576")"
HB=20
hb_window=$(( WINDOW < 100 ? 100 : WINDOW / 3 ))
hb=$(run_idle "$T/hb.db" "$hb_window" "heartbeat = ${HB}s")
saves=$(( hb_window / HB ))
per_save=$(calc "($hb - $idle * $hb_window / $WINDOW) / $saves")
[ "$(calc "$per_save < 0")" = 1 ] && per_save=0
total=$(calc "$per_day + 24 * $per_save")
printf 'state save: %d bytes in %d s with a save every %d s -> %.0f bytes per save\n' \
    "$hb" "$hb_window" "$HB" "$per_save"
printf 'idle total with the default hourly save: %.0f bytes/day = %.3f MiB/day; goal <= 1 MiB/day: %s\n' \
    "$total" "$(calc "$total / 1048576")" "$([ "$(calc "$total <= 1048576")" = 1 ] && echo met || echo NOT met)"
