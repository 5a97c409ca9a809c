#!/usr/bin/env bash
# audit.sh — cchcctl audit re-verifies the journal and finds any value,
# type, row, signature or counter altered directly in the database.
. "$(dirname "$0")/lib.sh"

setup_state
"$CTL" --state "$ST" agent enroll --unit SCT --name "Sở Công Thương" --key-file "$T/keys/a3.key.pub" >/dev/null
start_collector
send a1 --unit SNV --seq 1 --obs 'tthc_received,2021-03-01,5;tthc_resolved,2021-03-01,2.5' >/dev/null
send a1 --unit SNV --seq 2 --obs 'tthc_received,2021-03-01,7;tthc_received,2021-03-02,3' >/dev/null
send a1 --unit SNV --seq 3 --obs 'tthc_received,2021-03-03,1;bogus_metric,2021-03-03,9' >/dev/null
send a2 --unit STP --seq 1 --obs 'docs_sent,2021-03-01,12' >/dev/null

# audit while the collector is busy storing: consistent snapshot, no mismatch
"$CLIENT" stream --endpoint "$EP" --key "$T/keys/a3.key" --server "$ST/collector.key.pub" \
    --unit SCT --count 600 --window 20 --timeout 2000 --rate 400 >"$T/stream.out" 2>&1 &
s=$!
PIDS+=($s)
sleep 0.3
out=$("$CTL" --state "$ST" audit) && rc=0 || rc=$?
expect audit.while_running "0:audit: * 0 mismatches" "$rc:$(echo "$out" | tail -1)"
wait "$s" || true
stop_collector
sqlite3 "$DB" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
cp "$DB" "$T/pristine.db"

out=$("$CTL" --db "$T/pristine.db" audit) && rc=0 || rc=$?
expect audit.clean "0:audit: * journal rows re-verified, * observations compared, 0 mismatches" \
  "$rc:$(echo "$out" | tail -1)"

# tamper CASE SQL — run SQL on a fresh copy, audit it; sets OUT and RC
tamper () {
  cp "$T/pristine.db" "$T/$1.db"
  sqlite3 "$T/$1.db" "$2"
  OUT=$("$CTL" --db "$T/$1.db" audit 2>&1) && RC=0 || RC=$?
}

tamper value "UPDATE observation SET value = 8 WHERE agent = 1 AND metric = 'tthc_received' AND day = 20210301"
expect audit.value.exit 1 "$RC"
expect audit.value.found "*mismatch: observation agent 1 tthc_received 20210301 = 8 (seq 2, journal 2), but the journal says 7 (seq 2, journal 2)*" "$OUT"
expect audit.value.count "*, 1 mismatches" "$(echo "$OUT" | tail -1)"

tamper type "UPDATE observation SET value = 7.0 WHERE agent = 1 AND metric = 'tthc_received' AND day = 20210301"
expect audit.type "1:*tthc_received 20210301 = 7 (seq 2*but the journal says 7 (seq 2*" "$RC:$OUT"

tamper older "UPDATE observation SET value = 5, seq = 1, journal = 1 WHERE agent = 1 AND metric = 'tthc_received' AND day = 20210301"
expect audit.older_seq "1:*= 5 (seq 1, journal 1), but the journal says 7 (seq 2*" "$RC:$OUT"

tamper deleted "DELETE FROM observation WHERE agent = 1 AND day = 20210302"
expect audit.deleted "1:*observation agent 1 tthc_received 20210302 is missing: the journal says 3 (seq 2)*" "$RC:$OUT"

tamper inserted "INSERT INTO observation VALUES (1, 'SNV', 'tthc_postal', 20210301, 4, 2, 2)"
expect audit.inserted "1:*observation agent 1 tthc_postal 20210301 = 4: no journal row holds it*" "$RC:$OUT"

tamper refused "INSERT INTO observation VALUES (1, 'SNV', 'bogus_metric', 20210303, 9, 3, 3)"
expect audit.refused_obs "1:*bogus_metric 20210303 = 9: no journal row holds it*" "$RC:$OUT"

# a byte of a signed body changed (the value 7 encoded as 0x07 -> 0x08)
tamper body "UPDATE journal SET body = CAST(replace(CAST(body AS TEXT), char(7), char(8)) AS BLOB) WHERE agent = 1 AND seq = 2"
expect audit.body "1:*journal 2 (agent 1, seq 2): signature does not verify with the enrolled key*" "$RC:$OUT"

tamper agent "UPDATE journal SET agent = 2 WHERE agent = 1 AND seq = 3"
expect audit.other_agent "1:*journal 3 (agent 2, seq 3): signature does not verify*" "$RC:$OUT"

tamper seq "UPDATE journal SET seq = 9 WHERE agent = 1 AND seq = 3"
expect audit.seq "1:*journal 3: row says seq 9, the signed message says 3*" "$RC:$OUT"

# the roll-up's monthly summary (kept by the collector's writer) is checked
# against the observation rows
tamper month "UPDATE observation_month SET total = total + 1 WHERE agent = 1 AND metric = 'tthc_received'"
expect audit.month "1:*mismatch: observation_month agent 1 202103 tthc_received SNV: total 12, 3 rows, days 20210301..20210303, last 1 (journal 3), journal max 3; the observations say total 11, 3 rows*" "$RC:$OUT"
expect audit.month.count "*, 1 mismatches" "$(echo "$OUT" | tail -1)"
tamper month_missing "DELETE FROM observation_month WHERE agent = 2"
expect audit.month_missing "1:*observation_month agent 2 202103 docs_sent STP is missing: the observations sum to 12 over 1 rows*" "$RC:$OUT"
tamper month_extra "INSERT INTO observation_month VALUES (2, 'docs_sent', 202105, 'STP', 4, 1, 20210501, 20210501, 4, 4, 4)"
expect audit.month_extra "1:*observation_month agent 2 202105 docs_sent STP = 4 over 1 rows: no observation row is behind it*" "$RC:$OUT"

tamper counter "UPDATE agent SET accepted = accepted + 1 WHERE id = 1"
expect audit.counter "1:*agent 1: accepted 4, last seq 3, but the journal holds 3 messages up to seq 3*" "$RC:$OUT"

finish
