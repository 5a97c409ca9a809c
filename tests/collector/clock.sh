#!/usr/bin/env bash
# clock.sh COLLECTOR CCHCCTL CLIENT SOURCE_DIR AGENT — the demonstration
# clock (clock.demo, common/clock.h) is explicit and stays out of production:
#   - a loopback collector on clock.demo lives in 2021: a report created then
#     is accepted, its observation dated after "tomorrow" refused as in the
#     future, a report stamped with the real (later) time refused as ahead
#   - refused (exit 2 before anything starts) with CurveZMQ on, a non-loopback
#     bind or dashboard address, the packaged example configuration; the
#     same for cchcctl and cchc-agent
#   - the old CCHC_FAKE_NOW environment variable has no effect
source "$(dirname "$0")/lib.sh"
AGENT=$5

setup_state

# 1. A collector in March 2021 (starts at 14/03 12:00 UTC, 19:00 local, and ticks).
start_collector --set clock.demo=2021-03-14T12:00:00Z
expect demo.logged "*demonstration clock: 2021-03-14T12:00:00Z (now 2021-03-14T12:0*" \
  "$(grep -m1 'demonstration clock' "$LOG")"
# local today is 14/03 (UTC+7), so 15/03 is the last date accepted; the
# report was created a minute before the clock's start
expect demo.dates "status=accepted reason=none seq=1 rejected=1:date_out_of_range" \
  "$(send a1 --unit SNV --seq 1 --created 1615723140000 \
        --obs 'tthc_received,2021-03-15,1;tthc_received,2021-03-16,1')"
expect demo.real_time_is_ahead "status=retry_later reason=future_timestamp seq=2 rejected=" \
  "$(send a1 --unit SNV --seq 2)"
stop_collector
expect demo.exit "0" "$STOP_RC"

# 2. Refused where configured for production: exit 2, no collector.
refused () {   # refused NAME CODE COMMAND... — exit CODE with "clock.demo refused"
  local name=$1 code=$2; shift 2
  local out rc=0
  out=$("$@" 2>&1) || rc=$?
  expect "$name.exit" "$code" "$rc"
  expect "$name.says" "*clock.demo refused: *production*" "$out"
}
PORT=$("$CLIENT" freeport)
refused refuse.curve 2 "$COLLECTOR" --state "$ST" --set collector.bind=tcp://127.0.0.1:$PORT \
  --set collector.curve=true --set clock.demo=2021-03-14T16:59:59Z
refused refuse.bind 2 "$COLLECTOR" --state "$ST" --set collector.bind=tcp://0.0.0.0:$PORT \
  --set clock.demo=2021-03-14T16:59:59Z
refused refuse.http 2 "$COLLECTOR" --state "$ST" --set collector.bind=tcp://127.0.0.1:$PORT \
  --set http.enabled=true --set http.address=0.0.0.0 --set http.token=0123456789abcdef0123 \
  --set clock.demo=2021-03-14T16:59:59Z
refused refuse.packaged 2 "$COLLECTOR" --config "$SRC/deploy/collector.example.ini" \
  --state "$ST" --set collector.db="$DB" --set collector.key="$ST/collector.key" \
  --set clock.demo=2021-03-14T16:59:59Z
refused refuse.cchcctl 2 "$CTL" --state "$ST" --set collector.curve=true \
  --set clock.demo=2021-03-14T16:59:59Z agent list
out=$("$COLLECTOR" --state "$ST" --set clock.demo=yesterday 2>&1) && rc=0 || rc=$?
expect refuse.invalid "2|*clock.demo: START 'yesterday'*" "$rc|$out"

# 3. The agent: the same rule on its collector endpoints.
cat > "$T/agent.ini" <<INI
[agent]
unit = SNV
key_file = $T/keys/a1.key
outbox = $T/outbox.db
[collector]
endpoints = tcp://192.0.2.1:$PORT
public_key = $ST/collector.key.pub
[clock]
demo = 2021-03-14T16:59:59Z,86400
INI
refused refuse.agent_run 1 timeout 60 "$AGENT" run --config "$T/agent.ini"
refused refuse.agent_status 2 "$AGENT" status --config "$T/agent.ini"
refused refuse.agent_curve 2 "$AGENT" status --config "$T/agent.ini" \
  --set collector.endpoints=tcp://127.0.0.1:$PORT --set collector.curve=true
out=$("$AGENT" status --config "$T/agent.ini" --set collector.endpoints=tcp://127.0.0.1:$PORT 2>&1) \
  && rc=0 || rc=$?
expect agent.loopback_allowed "*" "$rc"
case "$out" in *"clock.demo refused"*) bad "agent.loopback_allowed: $out" ;; *) ok agent.loopback_not_refused ;; esac

# 4. The environment variable of old is ignored: real time, March 2021 is past.
CCHC_FAKE_NOW=2021-03-14T16:59:59Z start_collector
expect env.ignored "status=accepted reason=none seq=3 rejected=" \
  "$(send a1 --unit SNV --seq 3 --obs 'tthc_received,2021-03-20,1')"
stop_collector

finish
