#!/usr/bin/env bash
# abuse.sh — the collector under hostile traffic (issue 13, items 5-8), with a
# real collector over 127.0.0.1 (and 127.0.0.2-9 as other hosts):
#   - rejections are traceable: every refusal names the peer's address;
#     messages that fail authentication are logged as "unauthenticated",
#     never under the agent they claim; wrong HTTP tokens are logged with
#     the client's address, rate-limited;
#   - a flood of unauthenticated messages in plaintext mode gets at most
#     collector.unauth_acks answers a second, the rest are dropped and
#     counted, and an enrolled agent is served all the while;
#   - a slowloris attack on the dashboard (4 x 128 connections dribbling
#     headers) leaves a normal client served, and is logged with its peers.
# Figures are printed; no assertion on how fast anything is.
. "$(dirname "$0")/lib.sh"

setup_state
start_collector --set http.enabled=true --set http.port=0 \
  --set http.token=abuse-test-token-0123456789
url=$(sed -nE 's|.*dashboard on (http://[^ ]*/).*|\1|p' "$LOG" | head -1)
a1_hex=$(cut -d' ' -f2 "$T/keys/a1.key.pub")

flood () {   # flood KEY KIND COUNT [RATE] — prints "sent=N acks=M"
  "$CLIENT" flood --endpoint "$EP" --key "$T/keys/$1.key" --kind "$2" --count "$3" \
      --rate "${4:-0}" --timeout 1500
}

# ---------------------------------------------------------------- item 8
expect trace.bad_frames "sent=1 acks=1" "$(flood a1 frames 1)"
expect trace.bad_signature "status=rejected reason=bad_signature seq=0 rejected=" \
  "$(send a1 --unit SNV --seq 5 --tamper 30)"
expect trace.unknown "status=rejected reason=unknown_agent seq=0 rejected=" \
  "$(send a3 --unit SNV --seq 1)"
expect trace.unit_mismatch "status=rejected reason=unit_mismatch seq=6 rejected=" \
  "$(send a1 --unit STP --seq 6)"
for i in $(seq 1 30); do
  curl -s -o /dev/null -H "Authorization: Bearer wrong-token-000000000000" "${url}api/v1/periods" || true
done
expect trace.http_right_token "200" \
  "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer abuse-test-token-0123456789" "${url}api/v1/health" || true)"
sleep 0.5
expect trace.log.bad_frames "1" \
  "$(grep -c 'refused an unauthenticated message from 127.0.0.1 (bad_frames)' "$LOG")"
expect trace.log.bad_frames_not_the_claimed_key "0" \
  "$(grep 'bad_frames' "$LOG" | grep -c -e "${a1_hex:0:16}" -e 'agent 1' || true)"
expect trace.log.bad_signature "1" \
  "$(grep -c 'refused an unauthenticated message from 127.0.0.1 (bad_signature: claims key' "$LOG")"
expect trace.log.unknown "1" \
  "$(grep -c 'refused an unauthenticated message from 127.0.0.1 (unknown_agent: key' "$LOG")"
expect trace.log.unit_mismatch "1" "$(grep -c 'from agent 1 at 127.0.0.1: unit STP' "$LOG")"
wrong=$(grep -c 'http: wrong access token from 127.0.0.1' "$LOG" || true)
echo "     30 wrong tokens: $wrong log lines"
expect trace.log.http_token_logged "1" "$(( wrong >= 1 ))"
expect trace.log.http_token_limited "1" "$(( wrong <= 10 ))"
expect trace.log.token_not_logged "0" "$(grep -c 'wrong-token-0000' "$LOG" || true)"

# ---------------------------------------------------------------- item 7
# 5,000 unauthenticated messages of each cheap kind and of bad signatures,
# 2,000 a second, while an enrolled agent sends its reports.
base=100
for kind in unknown frames badsig; do
  base=$((base + 100))
  before=$(sql "SELECT value FROM stats WHERE name = 'unauthenticated.dropped'" || echo 0)
  start=$(date +%s%N)
  flood a1 "$kind" 5000 2000 >"$T/flood.$kind" &
  fpid=$!
  PIDS+=("$fpid")
  sleep 0.5
  served=0
  for s in 1 2 3 4 5; do
    got=$(send a2 --unit STP --seq "$((base + s))" --obs "docs_sent,2021-03-0$s,$s" --timeout 10000)
    [[ "$got" == status=accepted* ]] && served=$((served + 1))
    sleep 0.2
  done
  wait "$fpid" || true
  took=$(( ($(date +%s%N) - start) / 1000000 ))
  acks=$(sed -nE 's/.*acks=([0-9]+).*/\1/p' "$T/flood.$kind")
  sent=$(sed -nE 's/.*sent=([0-9]+).*/\1/p' "$T/flood.$kind")
  # at most the burst (20) plus 20 a second over the time the flood lasted
  bound=$(( 20 + 20 * (took / 1000 + 1) ))
  echo "     flood $kind: sent $sent, answered $acks (bound $bound) in $took ms; enrolled agent served $served of 5"
  expect "flood.$kind.agent_served" "5" "$served"
  expect "flood.$kind.answers_bounded" "1" "$(( acks <= bound && acks >= 1 ))"
  expect "flood.$kind.sent" "5000" "$sent"
  sleep 1.2     # the stats table is rewritten every second
  after=$(sql "SELECT value FROM stats WHERE name = 'unauthenticated.dropped'")
  expect "flood.$kind.dropped_counted" "1" "$(( after - ${before:-0} >= 5000 - acks ))"
done
expect flood.logged "*unauthenticated messages over collector.unauth_acks (20 a second): dropped unanswered*" \
  "$(grep 'over collector.unauth_acks' "$LOG" | head -1)"
stats=$("$CTL" --state "$ST" stats)
expect flood.stats_answered "1" \
  "$(echo "$stats" | awk '$1 == "unauthenticated.answered" { print ($2 >= 1) }')"

# ---------------------------------------------------------------- item 5
# Slowloris: 4 x 128 connections (from 127.0.0.1-4) each sending a header
# line every 3 s and never finishing its request, for 30 s.  A normal client
# (127.0.0.9) asks for the dashboard page twice while it runs.  Before,
# those 512 connections were exactly MHD's limits and each line reset the
# idle timer: nobody else was ever served.
hport=$(sed -E 's|http://127.0.0.1:([0-9]+)/|\1|' <<<"$url")
python3 "$SRC/tests/collector/slowloris.py" "$hport" 4 128 3 30 "$T/slowloris.json" &
apid=$!
PIDS+=("$apid")
for round in 1 2; do
  sleep $((round == 1 ? 6 : 8))
  got=$(curl -s -o /dev/null --interface 127.0.0.9 --max-time 60 -w '%{http_code} %{time_total}' \
          "$url" || true)
  code=${got%% *} took=${got#* }
  echo "     during the attack, round $round: the dashboard page in ${took} s (HTTP $code)"
  expect "slowloris.page_served.$round" "200" "$code"
  expect "slowloris.page_within_10s.$round" "1" "$(awk -v t="$took" 'BEGIN { print (t != "" && t < 10) }')"
done
got=$(curl -s -o /dev/null --interface 127.0.0.9 --max-time 60 -w '%{http_code}' \
        -H "Authorization: Bearer abuse-test-token-0123456789" "${url}api/v1/health" || true)
expect slowloris.api_served "200" "$got"
wait "$apid" || true
echo "     attack: $(cat "$T/slowloris.json")"
json () { python3 -c "import json, sys; print(json.load(open('$T/slowloris.json'))['$1'])"; }
expect slowloris.slow_requests_cut "1" "$(( $(json cut) >= 4 ))"
# (16 = http.max_per_peer; accepts racing on the pool's threads may let in up to
# MHD's per-address limit, 16 + 4, first: never fewer than 16)
expect slowloris.log.refused_peer "*http: refused a connection from 127.0.0.[1-4]: @(1[6-9]|20) open from it already (http.max_per_peer)*" \
  "$(grep -m1 'http: refused a connection from' "$LOG")"
expect slowloris.log.cut_peer "*http: closed a connection from 127.0.0.[1-4]: no complete request within http.request_timeout*" \
  "$(grep -m1 'http: closed a connection from' "$LOG")"
expect slowloris.log.limited "1" "$(( $(grep -c 'http: refused a connection from' "$LOG") <= 40 ))"

stop_collector
expect sigterm.exit "0" "$STOP_RC"
finish
