#!/usr/bin/env bash
# curve.sh COLLECTOR CCHCCTL CLIENT FIGCLIENT SOURCE_DIR — the upstream as it
# is deployed (docs/national.md), over 127.0.0.1 on the real clock (the
# demonstration clock is refused with CurveZMQ on):
#
#   a national collector with CurveZMQ on (collector.curve) and both
#   structures (the 63 provinces until 2025-06-30, the 34 from 2025-07-01);
#   Hà Giang (02), a province the 2025 reorganisation closed (not valid
#   today), is enrolled with --on, which plain enrolment refuses;
#   a provincial collector sends as 02 with upstream.encrypt: 2021-Q1 is
#   stored and ranked among the 63; a plaintext sender gets no answer;
#   2022-01, scored with the 2021 catalogue while the Ministry expects none
#   for 2022, is refused (unexpected_catalogue) and ends in the province's
#   upstream dead letters, listed by `cchcctl upstream status`.
set -euo pipefail

COLLECTOR=$1 CTL=$2 CLIENT=$3 FIG=$4 SRC=$5
. "$SRC/tests/national/lib.sh"
nctl () { "$CTL" --state "$N" "$@"; }
pctl () { "$CTL" --state "$P" --criteria "$CAT" "$@"; }

NEP=tcp://127.0.0.1:$("$CLIENT" freeport)
PEP=tcp://127.0.0.1:$("$CLIENT" freeport)
mkdir -p "$T/keys"
for k in hagiang nat; do "$CTL" keygen --out "$T/keys/$k.key" >/dev/null 2>&1; done
EXPECT=$("$CTL" national catalogue "$CAT")

# ------------------------------------------------------------ national: both structures
nctl units import "$SRC/data/national/vn-provinces-2021.csv" --valid-to 2025-06-30 >/dev/null
nctl units import "$SRC/data/national/vn-provinces-2025.csv" --valid-from 2025-07-01 >/dev/null
expect "Hà Giang is not a province today" "" "$(nctl units list | grep '^02 ' || true)"
expect "plain enrolment of a closed province is refused, with the way out" \
  "*no unit '02' valid today*--on DATE*" \
  "$(nctl agent enroll --unit 02 --name "Tỉnh Hà Giang" --key-file "$T/keys/hagiang.key.pub" 2>&1 || true)"
expect "a closed province is refused on a day it did not exist" "*no unit '02' valid on 2025-07-01*" \
  "$(nctl agent enroll --unit 02 --name "Tỉnh Hà Giang" --key-file "$T/keys/hagiang.key.pub" --on 2025-07-01 2>&1 || true)"
expect "enrolled with --on a day it existed" "enrolled agent 1 for unit 02: *" \
  "$(nctl agent enroll --unit 02 --name "Tỉnh Hà Giang" --key-file "$T/keys/hagiang.key.pub" --on 2025-06-30 2>&1)"

start national "$COLLECTOR" --state "$N" --set national.enabled=true \
    --set collector.bind="$NEP" --set collector.key="$T/keys/nat.key" --set collector.curve=true \
    --set national.expect="$EXPECT" --set collector.refresh_interval=100ms
expect "the national collector runs CurveZMQ" "*national role*listening on*CurveZMQ on*" \
  "$(grep 'listening on' "$LAST_LOG")"
NLOG=$LAST_LOG

# ------------------------------------------------------------ the province, encrypted upstream
pctl units import "$SRC/tests/periods/units.csv" >/dev/null
for p in 2021-Q1 2022-01; do
  pctl period lock --period "$p" --reason "kiểm thử" >/dev/null 2>&1 || bad "lock $p"
done
start province "$COLLECTOR" --state "$P" --set collector.bind="$PEP" \
    --set collector.criteria="$CAT" --set upstream.endpoint="$NEP" \
    --set upstream.national_key="$T/keys/nat.key.pub" --set upstream.key="$T/keys/hagiang.key" \
    --set upstream.province=02 --set upstream.encrypt=true --set upstream.interval=200ms

wait_for "2021-Q1 arrives over CurveZMQ and is stored" \
  "nsql \"SELECT count(*) FROM national_version WHERE province = '02' AND period = '2021-Q1' AND complete_at IS NOT NULL\"" "1" 60
wait_for "the province's outbox holds no message any more" "osql 'SELECT count(*) FROM message'" "0" 60
expect "ranked with the 63 provinces, Hà Giang reported" "63 1 02 reported" \
  "$(nctl national rank --period 2021-Q1 --format json | json "' '.join(str(x) for x in [d['structure']['provinces'], d['reported']] + [[p['code'], p['status']] for p in d['provinces'] if p['code'] == '02'][0])")"

# ------------------------------------------------------------ refused: a dead letter
expect "2022-01 is not stored" "0" "$(nsql "SELECT count(*) FROM national_message WHERE period = '2022-01'")"
expect "the national collector says why" "*02 2022-01 version 1*unexpected catalogue*unexpected_catalogue*" \
  "$(grep '2022-01' "$NLOG" || true)"
STATUS=$(pctl upstream status)
expect "upstream status: one dead letter" "*dead letters: 1*" "$STATUS"
expect "upstream status lists it with the reason" "*refused by the national collector*message rejected: unexpected_catalogue*" \
  "$STATUS"

# ------------------------------------------------------------ plaintext is not answered
expect "a plaintext sender gets no answer" "timeout" \
  "$("$FIG" send --endpoint "$NEP" --key "$T/keys/hagiang.key" --server "$T/keys/nat.key.pub" \
       --code 02 --period 2021-Q2 --seq 1 --catalogue "$CAT" --timeout 1500 2>&1 || true)"
expect "nothing stored from it" "0" "$(nsql "SELECT count(*) FROM national_message WHERE period = '2021-Q2'")"
finish
