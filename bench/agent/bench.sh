#!/bin/bash
# bench.sh — the agent benchmark (a measurement, not a test: it prints
# figures and fails only if it cannot run).
#
#   bench.sh AGENT COLLECTOR CCHCCTL FILL SOURCE_DIR [MESSAGES [OBS_PER_MESSAGE]]
#   (or: cmake --build BUILD --target agent_bench)
#
# 1. Idle RSS: the daemon with one exec source (20 figures), after its first
#    cycle has been delivered, sampled a few seconds later (goal <= 4 MB).
# 2. CPU per collection cycle: the daemon's own user+system time (and its
#    commands', reaped) over N cycles of that source at a 1 s interval,
#    (a) figures unchanged (nothing to send), (b) one figure changing each
#    cycle (one message sent per cycle).
# 3. Backlog drain: MESSAGES (default 2000, a week at 5 min) frozen messages
#    of OBS_PER_MESSAGE (default 20) observations are put in the outbox with
#    the collector down; the collector starts; time until the outbox is empty.
#
# Uses 127.0.0.1 ports it picks and stops every process it starts.
set -u
AGENT_BIN=$1 COLLECTOR_BIN=$2 CCHCCTL_BIN=$3 FILL_BIN=$4 SRC_DIR=$5
MESSAGES=${6:-2000}
OBS=${7:-20}
CYCLES=${CYCLES:-20}

T=$(mktemp -d /tmp/cchc-bench-agent-XXXXXX)
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
now_ms () { echo $(( $(date +%s%N) / 1000000 )); }
clk=$(getconf CLK_TCK)
# utime stime cutime cstime of a pid, in clock ticks
cpu_ticks () { awk '{ print $14 + $15, $16 + $17 }' "/proc/$1/stat"; }
# CPU time of all the daemon's threads in ns (schedstat: exact, not ticks)
cpu_ns () { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%d\n", s }'; }
calc () { awk "BEGIN { print $* }"; }
rss_kb () { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
hwm_kb () { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }

STATE=$T/state
mkdir -p "$STATE"
printf 'code,name,kind,level,parent\n08,Tỉnh,Tỉnh,tinh,\nSNV,Sở Nội vụ,Sở,so,08\n' > "$T/units.csv"
"$CCHCCTL_BIN" --state "$STATE" keygen --out "$STATE/collector.key" > /dev/null || die keygen
"$CCHCCTL_BIN" --state "$STATE" units import --valid-from 2000-01-01 "$T/units.csv" > /dev/null \
    || die units
"$AGENT_BIN" keygen --out "$T/agent.key" > /dev/null || die "agent keygen"
"$CCHCCTL_BIN" --state "$STATE" agent enroll --unit SNV --name bench --key-file "$T/agent.key.pub" \
    > /dev/null || die enroll
PORT=$(port)

COLLECTOR_PID=""
start_collector () {
    "$COLLECTOR_BIN" --state "$STATE" --set "collector.bind=tcp://127.0.0.1:$PORT" \
        --set "collector.criteria=$SRC_DIR/data/criteria/default.ini" >> "$T/collector.log" 2>&1 &
    COLLECTOR_PID=$!
    PIDS="$PIDS $COLLECTOR_PID"
    for _ in $(seq 100); do port_open "$PORT" && return; sleep 0.05; done
    die "collector did not start"
}
stop_collector () { kill -TERM "$COLLECTOR_PID"; wait "$COLLECTOR_PID" 2>/dev/null; }

# 20 figures; with CHANGE set, the first one changes every run
cat > "$T/source.sh" <<'EOF'
#!/bin/sh
v=7
[ -n "${CHANGE:-}" ] && v=$(date +%s%N)
echo "tthc_received $v 2021-03-01"
for i in 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
    echo "docs_sent $i 2021-03-$(printf %02d $i)"
done
EOF
chmod +x "$T/source.sh"

write_conf () {   # write_conf OUTBOX INTERVAL
    cat > "$T/agent.ini" <<EOF
[agent]
unit = SNV
key_file = $T/agent.key
outbox = $1
interval = $2
log_level = notice
[collector]
endpoints = tcp://127.0.0.1:$PORT
public_key = $STATE/collector.key.pub
[source.figures]
type = exec
command = $T/source.sh
EOF
}

AGENT_PID=""
start_agent () {
    "$AGENT_BIN" --config "$T/agent.ini" >> "$T/agent.log" 2>&1 &
    AGENT_PID=$!
    PIDS="$PIDS $AGENT_PID"
}
stop_agent () { kill -TERM "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null; }
odb () { sqlite3 -cmd ".timeout 5000" "$1" "$2"; }
empty () { [ "$(odb "$1" 'SELECT (SELECT count(*) FROM message) + (SELECT count(*) FROM pending)' 2>/dev/null)" = 0 ]; }

echo "cchc-agent benchmark ($(uname -m), $(nproc) cores, $("$AGENT_BIN" --version))"

# ------------------------------------------------------------ 1. idle RSS
start_collector
if [ -z "${ONLY_DRAIN:-}" ]; then
write_conf "$T/idle.db" 5m
start_agent
for _ in $(seq 100); do [ -f "$T/idle.db" ] && empty "$T/idle.db" && break; sleep 0.1; done
empty "$T/idle.db" || die "first cycle not delivered"
sleep 3
rss=$(rss_kb "$AGENT_PID")
hwm=$(hwm_kb "$AGENT_PID")
printf 'idle RSS: %d KB (%.2f MB), peak so far %d KB; goal <= 4096 KB: %s\n' "$rss" \
    "$(calc "$rss / 1024")" "$hwm" "$([ "$rss" -le 4096 ] && echo met || echo NOT met)"
awk '/^(RssAnon|RssFile|Threads)/' "/proc/$AGENT_PID/status" | tr -s ' \t' ' ' \
    | sed 's/^/    /'
# Most of RssFile is shared library code also mapped by other processes;
# PSS charges it proportionally, Private is what this process alone holds.
if [ -r "/proc/$AGENT_PID/smaps_rollup" ]; then
    awk '/^(Pss|Private_Clean|Private_Dirty):/ { printf "    %s %s kB\n", $1, $2 }' \
        "/proc/$AGENT_PID/smaps_rollup"
    awk '/^[0-9a-f]+-/ { name = $6 } /^Rss:/ { rss[name] += $2 }
         END { for (n in rss) if (rss[n] >= 200) printf "    %6d kB %s\n", rss[n], (n == "" ? "[anon]" : n) }' \
        "/proc/$AGENT_PID/smaps" | sort -rn | head -8
fi
stop_agent

# ------------------------------------------------------ 2. CPU per cycle
for mode in unchanged changing; do
    write_conf "$T/cpu-$mode.db" 1s
    if [ "$mode" = changing ]; then export CHANGE=1; else unset CHANGE; fi
    start_agent
    for _ in $(seq 100); do [ -f "$T/cpu-$mode.db" ] && empty "$T/cpu-$mode.db" && break; sleep 0.1; done
    runs0=$(odb "$T/cpu-$mode.db" "SELECT runs FROM source_state WHERE name='figures'")
    read -r _ kids0 < <(cpu_ticks "$AGENT_PID")
    ns0=$(cpu_ns "$AGENT_PID")
    t0=$(now_ms)
    sleep "$CYCLES"
    runs1=$(odb "$T/cpu-$mode.db" "SELECT runs FROM source_state WHERE name='figures'")
    read -r _ kids1 < <(cpu_ticks "$AGENT_PID")
    ns1=$(cpu_ns "$AGENT_PID")
    t1=$(now_ms)
    cycles=$(( runs1 - runs0 ))
    [ "$cycles" -gt 0 ] || die "no cycles"
    own_ms=$(calc "($ns1 - $ns0) / 1000000")
    kids_ms=$(calc "($kids1 - $kids0) * 1000 / $clk")
    printf 'CPU per cycle, figures %-9s: agent %.2f ms (all threads), command %.1f ms (%d cycles in %.1f s, agent %.3f%% of a core)\n' \
        "$mode" "$(calc "$own_ms / $cycles")" "$(calc "$kids_ms / $cycles")" \
        "$cycles" "$(calc "($t1 - $t0) / 1000")" \
        "$(calc "$own_ms * 100 / ($t1 - $t0)")"
    stop_agent
done
unset CHANGE
fi
stop_collector

# ---------------------------------------------------------- 3. drain
"$FILL_BIN" "$T/drain.db" "$T/agent.key" SNV "$MESSAGES" "$OBS" 2>&1 | sed 's/^/    /'
n=$(odb "$T/drain.db" "SELECT count(*) FROM message")
[ "$n" = "$MESSAGES" ] || die "backlog has $n messages"
write_conf "$T/drain.db" 1h
start_collector
t0=$(now_ms)
start_agent
while ! empty "$T/drain.db"; do
    sleep 0.05
    [ $(( $(now_ms) - t0 )) -lt 600000 ] || die "drain took over 10 min"
done
t1=$(now_ms)
ms=$(( t1 - t0 ))
got=$(sqlite3 "$STATE/collector.db" "SELECT count(*) FROM journal")
printf 'backlog drain: %d messages x %d observations in %.2f s (%.0f messages/s, %.0f observations/s); collector journal: %d messages; agent peak RSS %d KB\n' \
    "$MESSAGES" "$OBS" "$(calc "$ms / 1000")" "$(calc "$MESSAGES * 1000 / $ms")" \
    "$(calc "$MESSAGES * $OBS * 1000 / $ms")" "$got" "$(hwm_kb "$AGENT_PID")"
stop_agent
stop_collector
