# skew.sh — the collector measures each agent's clock from its reports
# (created minus the collector's receive time, issue 13 item 3) and shows it:
# `cchcctl agent list` (clock s, ahead s), the API's agents and status (the
# dashboard's "Lệch đồng hồ").  A report 2 minutes ahead is accepted (within
# collector.max_skew) and measured; one 10 minutes ahead is answered
# retry_later / future_timestamp, stores nothing, and is still measured.
. "$(dirname "$0")/lib.sh"
setup_state
start_collector --set http.enabled=true --set http.port=0
HTTP=$(grep -o 'dashboard on http://[0-9.:]*/' "$LOG" | sed 's/dashboard on //' | head -1)
api () { curl -sf "${HTTP}api/v1/$1"; }
json () { python3 -c "import json, sys; d = json.load(sys.stdin); print($1)"; }

expect before.agents "None None" "$(api agents | json "' '.join(str(a['clock_skew_ms']) for a in d['agents'] if a['unit'] in ('SNV', 'STP'))")"
expect ahead2m.accepted "status=accepted*" \
  "$(send a1 --unit SNV --seq 1 --created now+120000 --obs 'tthc_received,2021-03-01,5')"
expect ahead10m.retry "status=retry_later reason=future_timestamp*" \
  "$(send a2 --unit STP --seq 1 --created now+600000 --obs 'tthc_received,2021-03-01,5')"
expect ahead10m.not_stored "0" "$(sql "SELECT count(*) FROM journal WHERE agent = 2")"
# created - received: the time the report took to arrive comes off (hang
# guard: 30 s), never more than the offset itself
in_range () { python3 -c "import sys; v = float(sys.argv[1]); print(int($2 <= v <= $3))" "$1"; }
expect db.a1 "1" "$(in_range "$(sql 'SELECT clock_skew FROM agent WHERE id = 1')" 90000 120000)"
expect db.a1_ahead "1" "$(in_range "$(sql 'SELECT clock_ahead FROM agent WHERE id = 1')" 90000 120000)"
expect db.a2 "1" "$(in_range "$(sql 'SELECT clock_ahead FROM agent WHERE id = 2')" 570000 600000)"
list=$("$CTL" --state "$ST" agent list)
expect list.header "*clock s  ahead s*" "$(echo "$list" | head -1)"
expect list.a1 "1" "$(in_range "$(echo "$list" | awk '$1 == 1 { print $10 }')" 90 120)"
expect list.a2 "1" "$(in_range "$(echo "$list" | awk '$1 == 2 { print $11 }')" 570 600)"
# the API serves a snapshot of the agent table that its worker reloads when
# the table changes (every http poll, 1 s), the status after it: wait for
# each (bounded: 30 s), then check the value
snv_skew () { api agents | json "[a['clock_skew_ms'] for a in d['agents'] if a['unit'] == 'SNV'][0]"; }
for _ in $(seq 1 300); do [ "$(snv_skew)" != None ] && break; sleep 0.1; done
expect api.agent "1" "$(in_range "$(api agents | json "[a['clock_skew_ms'] for a in d['agents'] if a['unit'] == 'SNV'][0]")" 90000 120000)"
expect api.ahead "1" "$(in_range "$(api agents | json "[a['clock_ahead_max_ms'] for a in d['agents'] if a['unit'] == 'STP'][0]")" 570000 600000)"
snv_status () { api status | json "[u['clock_skew_ms'] for u in d['units'] if u['code'] == 'SNV'][0]"; }
for _ in $(seq 1 300); do [ "$(snv_status)" != None ] && break; sleep 0.1; done
expect api.status "1" "$(in_range "$(api status | json "[u['clock_skew_ms'] for u in d['units'] if u['code'] == 'SNV'][0]")" 90000 120000)"
# the clock set right: the next report's skew replaces it, the most ahead stays
expect right.accepted "status=accepted*" \
  "$(send a1 --unit SNV --seq 2 --created now --obs 'tthc_received,2021-03-01,6')"
expect right.skew "1" "$(in_range "$(sql 'SELECT clock_skew FROM agent WHERE id = 1')" -30000 0)"
expect right.ahead_kept "1" "$(in_range "$(sql 'SELECT clock_ahead FROM agent WHERE id = 1')" 90000 120000)"
stop_collector
finish
