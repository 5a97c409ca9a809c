#!/bin/bash
# reload.sh — SIGHUP re-reads the configuration: a new source starts
# running; a broken file is refused and the agent carries on with what it
# had; status reports a stopped daemon after SIGTERM.
. "$(dirname "$0")/lib.sh"

setup_collector
PORT=$(free_port)
setup_agent "tcp://127.0.0.1:$PORT"
add_source <<EOF
[source.one]
type = exec
command = echo feedback_received 3 2021-07-01
EOF
printf 'feedback_received 20210701 3\n' > "$T/want"
start_collector "$PORT"
start_agent
wait_for 20 "first source delivered" check_figures "$T/want"

cp "$AGENT_CONF" "$T/agent.ini.good"
add_source <<EOF

[source.two]
type = exec
command = echo feedback_resolved 2 2021-07-01
EOF
printf 'feedback_resolved 20210701 2\n' >> "$T/want"
kill -HUP "$AGENT_PID"
wait_for 20 "new source delivered after SIGHUP" check_figures "$T/want"
check "reload logged" grep -q "configuration reloaded" "$T/agent.log"

# A broken file: refused, the running configuration stays.
echo "this is not a setting" >> "$AGENT_CONF"
kill -HUP "$AGENT_PID"
wait_for 10 "broken reload refused" 'grep -q "reload refused" "$T/agent.log"'
check "agent still running" kill -0 "$AGENT_PID"
agent submit feedback_resolved 5 --date 2021-07-02 --config "$T/agent.ini.good" > /dev/null \
    || fail "submit"
printf 'feedback_resolved 20210702 5\n' >> "$T/want"
wait_for 20 "still delivering after the refused reload" check_figures "$T/want"

stop_agent
cp "$T/agent.ini.good" "$AGENT_CONF"
agent status > "$T/status.txt"
rc=$?
cat "$T/status.txt"
check "status after stop: unhealthy" test "$rc" = 1
check "status says stopped" grep -q "STOPPED" "$T/status.txt"
# A secret key readable by others: refused at start, with the reason.
chmod 0644 "$T/agent.key"
"$AGENT_BIN" --config "$AGENT_CONF" > "$T/refused.txt" 2>&1
rc=$?
check "agent refuses a key file readable by others (exit $rc)" test "$rc" = 1
check "and says why" grep -q "agent key" "$T/refused.txt"
chmod 0600 "$T/agent.key"
stop_collector
log PASS
exit 0
