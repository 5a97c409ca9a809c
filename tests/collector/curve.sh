#!/usr/bin/env bash
# curve.sh — CurveZMQ: enrolled agents are admitted (their transport key is
# the X25519 form of their enrolled key), anyone else is refused by the ZAP
# handler before a single message reaches the collector.
. "$(dirname "$0")/lib.sh"

setup_state
start_collector --set collector.curve=true
expect curve.logged "*CurveZMQ on*" "$(grep 'listening on' "$LOG")"

expect curve.enrolled_admitted "status=accepted reason=none seq=1 rejected=" \
  "$(send a1 --curve --unit SNV --seq 1 --obs 'tthc_received,2021-03-01,5')"
expect curve.unknown_transport_key "no-ack" "$(send a3 --curve --unit SNV --seq 1 --timeout 1500)"
# enrolled signing key, but a transport key nobody enrolled
expect curve.foreign_transport_key "no-ack" \
  "$(send a1 --curve --transport-key "$T/keys/a5.key" --unit SNV --seq 2 --timeout 1500)"
# no encryption at all against a CurveZMQ collector
expect curve.plaintext_refused "no-ack" "$(send a1 --unit SNV --seq 3 --timeout 1500)"
expect curve.refusals_logged "*refused a connection from *unknown transport key*" \
  "$(grep -m1 'refused a connection' "$LOG")"
expect curve.nothing_else_stored "1" "$(sql 'SELECT count(*) FROM journal')"

# enrolment and revocation change who is admitted, without a restart
"$CTL" --state "$ST" agent enroll --unit SYT --name "Sở Y tế" --key-file "$T/keys/a4.key.pub" >/dev/null
got=
for _ in $(seq 1 30); do
  got=$(send a4 --curve --unit SYT --seq 1 --timeout 1000)
  [[ "$got" == status=accepted* ]] && break
done
expect curve.enrolled_live "status=accepted reason=none seq=1 rejected=" "$got"
"$CTL" --state "$ST" agent revoke --key "$(cut -d' ' -f2 "$T/keys/a4.key.pub")" >/dev/null
sleep 1.5
expect curve.revoked_refused "no-ack" "$(send a4 --curve --unit SYT --seq 2 --timeout 1500)"
expect curve.still_admitted "status=accepted reason=none seq=2 rejected=" \
  "$(send a1 --curve --unit SNV --seq 2 --obs 'tthc_received,2021-03-01,6')"

stop_collector
expect curve.sigterm_exit "0" "$STOP_RC"
finish
