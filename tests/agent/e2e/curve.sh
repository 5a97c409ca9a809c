#!/bin/bash
# curve.sh — CurveZMQ on both ends: the agent derives its transport keys
# from its Ed25519 key and the server key from the pinned collector key;
# the collector admits it and everything arrives.  An agent without curve
# gets nowhere with a curve collector, and keeps its data.
. "$(dirname "$0")/lib.sh"

setup_collector
PORT=$(free_port)
setup_agent "tcp://127.0.0.1:$PORT"
add_source <<EOF
[source.motcua]
type = exec
command = echo tthc_received 31 2021-06-01; echo tthc_resolved 30 2021-06-01
EOF
printf 'tthc_received 20210601 31\ntthc_resolved 20210601 30\n' > "$T/want"

start_collector "$PORT" --set collector.curve=true

# Plain agent against a curve collector: the handshake never completes.
start_agent
sleep 3
check "plain agent: nothing delivered" outbox_waiting
check "plain agent: nothing at the collector" test "$(cdb 'SELECT count(*) FROM journal')" = 0
stop_agent

# Same agent with curve on.
start_agent --set collector.curve=true
wait_for 20 "curve agent: outbox drained" outbox_empty
check "figures at the collector" check_figures "$T/want"
check "every message exactly once" check_exactly_once
stop_agent
stop_collector
log PASS
exit 0
