#!/usr/bin/env bash
# ingest.sh — the collector's answers and storage semantics, one case each,
# with a real collector over 127.0.0.1.
. "$(dirname "$0")/lib.sh"

setup_state
start_collector --set collector.busy_timeout=300ms --set http.enabled=true --set http.port=0

# the dashboard's API is served by the collector when asked to
url=$(sed -nE 's|.*dashboard on (http://[^ ]*/).*|\1|p' "$LOG" | head -1)
expect dashboard.logged "http://127.0.0.1:*/" "$url"
expect dashboard.health "200" "$(curl -s -o /dev/null -w '%{http_code}' "${url}api/v1/health" || true)"

# accepted
expect accepted "status=accepted reason=none seq=1 rejected=" \
  "$(send a1 --unit SNV --seq 1 --created 1614556800000 --obs 'tthc_received,2021-03-01,5;tthc_resolved,2021-03-01,2.5')"
expect accepted.stored "1|SNV|tthc_received|20210301|5|integer|1" \
  "$(sql "SELECT agent, unit, metric, day, value, typeof(value), seq FROM observation WHERE metric = 'tthc_received' AND day = 20210301")"
expect accepted.float "2.5|real" \
  "$(sql "SELECT value, typeof(value) FROM observation WHERE metric = 'tthc_resolved' AND day = 20210301")"
expect accepted.journal "1|1|64" "$(sql "SELECT count(*), sum(seq), sum(length(sig)) FROM journal")"

# duplicate: the very same bytes again, and again
expect duplicate "status=duplicate reason=none seq=1 rejected=" \
  "$(send a1 --unit SNV --seq 1 --created 1614556800000 --obs 'tthc_received,2021-03-01,5;tthc_resolved,2021-03-01,2.5')"
# same (agent, seq), other content: still duplicate, nothing changes
expect duplicate.other_body "status=duplicate reason=none seq=1 rejected=" \
  "$(send a1 --unit SNV --seq 1 --obs 'tthc_received,2021-03-01,999')"
expect duplicate.unchanged "1|5|1|2" \
  "$(sql "SELECT (SELECT count(*) FROM journal), value, (SELECT accepted FROM agent WHERE id = 1), (SELECT duplicates FROM agent WHERE id = 1) FROM observation WHERE metric = 'tthc_received' AND day = 20210301")"

# correction: a later seq wins
expect correction "status=accepted reason=none seq=2 rejected=" \
  "$(send a1 --unit SNV --seq 2 --obs 'tthc_received,2021-03-01,7')"
expect correction.stored "7|2" \
  "$(sql "SELECT value, seq FROM observation WHERE agent = 1 AND metric = 'tthc_received' AND day = 20210301")"

# late arrival of an older seq: accepted, journaled, does not overwrite
send a1 --unit SNV --seq 10 --obs 'tthc_received,2021-03-02,100' >/dev/null
# (issue 13.2: the observation that lost to seq 10 is answered superseded,
# so "accepted" means counted; the new day counts)
expect late.accepted "status=accepted reason=none seq=4 rejected=0:superseded" \
  "$(send a1 --unit SNV --seq 4 --obs 'tthc_received,2021-03-02,40;tthc_received,2021-03-03,41')"
expect late.kept_newer "100|10" \
  "$(sql "SELECT value, seq FROM observation WHERE agent = 1 AND metric = 'tthc_received' AND day = 20210302")"
expect late.new_key_stored "41|4" \
  "$(sql "SELECT value, seq FROM observation WHERE agent = 1 AND metric = 'tthc_received' AND day = 20210303")"
expect late.journaled "1" "$(sql "SELECT count(*) FROM journal WHERE agent = 1 AND seq = 4")"
expect late.last_seq "10" "$(sql "SELECT last_seq FROM agent WHERE id = 1")"

# value domain (issue 13.10, PROTOCOL.md §5): 0 .. 2^53, refused per observation
expect value_domain "status=accepted reason=none seq=25 rejected=0:value_out_of_range,1:value_out_of_range,2:value_out_of_range" \
  "$(send a1 --unit SNV --seq 25 --obs 'tthc_received,2021-02-05,-5;tthc_received,2021-02-06,4611686018427387904;docs_sent,2021-02-06,1.0e308;docs_sent,2021-02-07,9007199254740992')"
expect value_domain.kept_max "9007199254740992" \
  "$(sql "SELECT value FROM observation WHERE agent = 1 AND metric = 'docs_sent' AND day = 20210207")"
expect value_domain.negative_not_stored "0" \
  "$(sql "SELECT count(*) FROM observation WHERE agent = 1 AND day IN (20210205, 20210206)")"
# tampered byte (signature no longer verifies)
expect tampered "status=rejected reason=bad_signature seq=0 rejected=" \
  "$(send a1 --unit SNV --seq 20 --obs 'tthc_received,2021-03-04,1' --tamper 40)"
# unknown key
expect unknown_key "status=rejected reason=unknown_agent seq=0 rejected=" \
  "$(send a3 --unit SNV --seq 1)"
# unit mismatch
expect unit_mismatch "status=rejected reason=unit_mismatch seq=21 rejected=" \
  "$(send a1 --unit STP --seq 21)"
# future timestamp (10 min ahead), and a small skew that is fine (1 min)
# (issue 13.3: retry_later, not a permanent refusal: nothing is stored, and
# the same seq is accepted once the clocks agree)
expect future_timestamp "status=retry_later reason=future_timestamp seq=22 rejected=" \
  "$(send a1 --unit SNV --seq 22 --created now+600000)"
expect future_timestamp.not_journaled "0" "$(sql "SELECT count(*) FROM journal WHERE agent = 1 AND seq = 22")"
expect future_timestamp.later_accepted "status=accepted reason=none seq=22 rejected=" \
  "$(send a1 --unit SNV --seq 22 --created now)"
expect small_skew "status=accepted reason=none seq=23 rejected=" \
  "$(send a1 --unit SNV --seq 23 --created now+60000)"
# oversize: a little over the limit gets an answer; far over, ZeroMQ drops the peer
expect oversize "status=rejected reason=too_large seq=0 rejected=" \
  "$(send a1 --oversize 66000)"
expect oversize.far "no-ack" "$("$CLIENT" send --endpoint "$EP" --key "$T/keys/a1.key" --timeout 1000 --oversize 300000 || true)"
# malformed msgpack, correctly signed
expect malformed "status=rejected reason=malformed seq=0 rejected=" \
  "$(send a1 --garbage 100)"
# unknown metric (and a date out of range) in an otherwise good message
expect unknown_metric "status=accepted reason=none seq=30 rejected=1:unknown_metric,3:date_out_of_range" \
  "$(send a1 --unit SNV --seq 30 --obs 'tthc_received,2021-03-05,1;bogus_metric,2021-03-05,2;tthc_resolved,2021-03-05,3;tthc_received,1999-12-31,4')"
expect unknown_metric.rest_kept "2|4" \
  "$(sql "SELECT count(*), sum(value) FROM observation WHERE seq = 30")"
expect unknown_metric.refused_noted "1:37,3:36" "$(sql "SELECT refused FROM journal WHERE seq = 30")"
expect future_date "status=accepted reason=none seq=31 rejected=1:date_out_of_range" \
  "$(send a1 --unit SNV --seq 31 --obs "tthc_received,$(date -u -d '+1 day' +%F),1;tthc_received,$(date -u -d '+3 days' +%F),1")"
# every observation refused: accepted, recorded, a resend is a duplicate
expect all_refused "status=accepted reason=none seq=32 rejected=0:unknown_metric" \
  "$(send a1 --unit SNV --seq 32 --obs 'bogus_metric,2021-03-05,2')"
expect all_refused.resend "status=duplicate reason=none seq=32 rejected=" \
  "$(send a1 --unit SNV --seq 32 --obs 'bogus_metric,2021-03-05,2')"
# the collector survived all of that
expect still_serving "status=accepted reason=none seq=1 rejected=" \
  "$(send a2 --unit STP --seq 1 --obs 'docs_sent,2021-03-01,12')"

# enrolment and revocation reach the running collector without a restart
"$CTL" --state "$ST" agent enroll --unit SYT --name "Sở Y tế" --key-file "$T/keys/a4.key.pub" >/dev/null
got=
for _ in $(seq 1 50); do
  got=$(send a4 --unit SYT --seq 1 --timeout 2000)
  [[ "$got" == status=accepted* ]] && break
  sleep 0.1
done
expect enrolled_live "status=accepted reason=none seq=1 rejected=" "$got"
"$CTL" --state "$ST" agent revoke --key "$(cut -d' ' -f2 "$T/keys/a4.key.pub")" >/dev/null
got=
for i in $(seq 2 60); do
  got=$(send a4 --unit SYT --seq "$i" --timeout 2000)
  [[ "$got" == *revoked_agent* ]] && break
  sleep 0.1
done
expect revoked_live "status=rejected reason=revoked_agent seq=0 rejected=" "$got"
expect revoked.counted "1" "$(sql "SELECT rejected >= 1 FROM agent WHERE unit = 'SYT'")"

# transient failure: another writer holds the lock -> retry_later, nothing stored
(echo "BEGIN IMMEDIATE;"; echo "UPDATE enrolment SET version = version;"; sleep 2; echo "COMMIT;") \
  | sqlite3 "$DB" &
locker=$!
PIDS+=("$locker")
sleep 0.4
expect busy.retry_later "status=retry_later reason=storage seq=40 rejected=" \
  "$(send a1 --unit SNV --seq 40 --obs 'tthc_received,2021-03-06,6')"
wait "$locker" || true
expect busy.nothing_stored "0|0" \
  "$(sql "SELECT (SELECT count(*) FROM journal WHERE seq = 40), count(*) FROM observation WHERE day = 20210306")"
expect busy.resend_accepted "status=accepted reason=none seq=40 rejected=" \
  "$(send a1 --unit SNV --seq 40 --obs 'tthc_received,2021-03-06,6')"

# counters: agent list and stats while running
sleep 1.2
stats=$("$CTL" --state "$ST" stats)
expect stats.accepted "1" "$(echo "$stats" | awk -v n="$(sql 'SELECT sum(accepted) FROM agent')" '$1 == "accepted" { print ($2 == n && n >= 11) }')"
expect stats.bad_signature "*rejected.bad_signature *1" "$(echo "$stats" | grep -E '^rejected.bad_signature ')"
expect stats.retry_later "*retry_later *2" "$(echo "$stats" | grep -E '^retry_later ')"
expect stats.fresh "updated * s ago)" "$(echo "$stats" | tail -1)"
list=$("$CTL" --state "$ST" agent list)
expect agent_list.a1 "1 *SNV *$(cut -d' ' -f2 "$T/keys/a1.key.pub") *20*Z *40 *11 *3 *[1-9]* *- *Sở Nội vụ" \
  "$(echo "$list" | grep -E '^1 ')"

# SIGTERM: clean exit
stop_collector
expect sigterm.exit "0" "$STOP_RC"
expect sigterm.logged "*stopped:*" "$(grep stopped: "$LOG")"

# disk full (the database capped at its current size, its free pages given
# back first so none is left to write into): retry_later, nothing partial;
# once there is room, the same report is accepted. The period schedule is
# off for this start and the stats table is rewritten once a minute only:
# both rewrite rows, and a sanitizer run under load once answered the report
# "accepted" (freed pages it fitted into, we believe; not reproduced since).
sql "VACUUM" >/dev/null
pages=$(sql "PRAGMA page_count")
start_collector --set collector.max_pages="$pages" --set collector.rollup_interval=0 \
  --set collector.stats_interval=60s
big=$(for m in tthc_received tthc_resolved docs_sent workfiles feedback_received; do
        for d in $(seq 0 199); do echo -n "$m,$(date -u -d "2020-01-01 + $d days" +%F),$d;"; done
      done)
expect full.retry_later "status=retry_later reason=storage seq=41 rejected=" \
  "$(send a1 --unit SNV --seq 41 --obs "${big%;}")"
expect full.nothing_stored "0|0" \
  "$(sql "SELECT (SELECT count(*) FROM journal WHERE seq = 41), count(*) FROM observation WHERE seq = 41")"
stop_collector
expect full.exit "0" "$STOP_RC"
start_collector
expect full.accepted_later "status=accepted reason=none seq=41 rejected=" \
  "$(send a1 --unit SNV --seq 41 --obs "${big%;}")"
expect full.stored "1000" "$(sql "SELECT count(*) FROM observation WHERE seq = 41")"
stop_collector

# a month later (collector clock 31 days ahead), the same report is still a
# duplicate and changes nothing
before=$(sql "SELECT count(*), sum(value), sum(seq) FROM observation")
start_collector --set clock.demo="$(date -u -d '+31 days' +%FT%TZ)"
expect month_later.duplicate "status=duplicate reason=none seq=1 rejected=" \
  "$(send a1 --unit SNV --seq 1 --created 1614556800000 --obs 'tthc_received,2021-03-01,5;tthc_resolved,2021-03-01,2.5')"
expect month_later.unchanged "$before" "$(sql "SELECT count(*), sum(value), sum(seq) FROM observation")"
stop_collector

# one agent's reports going round the same 2 days, 16 in flight through two
# verifiers (so they reach the writer out of order, mostly inside a batch):
# each (metric, day) holds the value of the highest seq that carried it
# (report s: day 2010-01-01 + s % 2, values s * 1000 + k), and every report
# is in the journal once.  (A batch sorted lowest seq first fails here; a
# late older seq across batches is the late.* case above.)
"$CTL" --state "$ST" agent enroll --unit SXD --name "Sở Xây dựng" --key-file "$T/keys/a6.key.pub" >/dev/null
AID=$(sql "SELECT max(id) FROM agent")
start_collector --set collector.verifiers=2
"$CLIENT" stream --endpoint "$EP" --key "$T/keys/a6.key" --server "$ST/collector.key.pub" \
    --unit SXD --count 1500 --window 16 --timeout 5000 --obs-per 4 --days 2 >"$T/lww.out" 2>&1 \
  && rc=0 || rc=$?
expect lww.stream "0" "$rc"
# its acks came batch-signed (it announced CCHC_CAP_BATCH), each verified
# through its proof with the collector key by the client
expect lww.batch_signed "1" "$(sed -n 's/.* batched=\([0-9]*\)$/\1/p' "$T/lww.out" | awk '{print ($1 > 0)}')"
expect lww.journal "1500|1500" "$(sql "SELECT count(*), count(DISTINCT seq) FROM journal WHERE agent = $AID")"
expect lww.rows "8" "$(sql "SELECT count(*) FROM observation WHERE agent = $AID")"
expect lww.highest_seq_wins "0" "$(sql "SELECT count(*) FROM observation WHERE agent = $AID
  AND (day NOT BETWEEN 20100101 AND 20100102 OR seq <> 1500 - (1500 - (day - 20100101)) % 2
       OR value / 1000 <> seq OR value % 1000 >= 4)")"
stop_collector

# a stream that does not announce CCHC_CAP_BATCH gets every ack signed
# alone, and each verifies (PROTOCOL.md §7.1: never sent unasked)
"$CTL" --state "$ST" agent enroll --unit SXD --name "Sở Xây dựng" --key-file "$T/keys/a7.key.pub" >/dev/null
start_collector --set collector.verifiers=2
"$CLIENT" stream --endpoint "$EP" --key "$T/keys/a7.key" --server "$ST/collector.key.pub" \
    --unit SXD --count 300 --window 16 --timeout 5000 --obs-per 4 --caps 1 >"$T/plain.out" 2>&1 \
  && rc=0 || rc=$?
expect plain_acks.stream "0:acked=300 of 300 accepted=300 * batched=0" "$rc:$(cat "$T/plain.out")"
stop_collector

# the collector's database is consistent with its journal
expect audit.clean "audit: * 0 mismatches" "$("$CTL" --state "$ST" audit | tail -1)"

finish
