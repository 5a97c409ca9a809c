#!/usr/bin/env bash
# periods.sh COLLECTOR CCHCCTL CLIENT SOURCE_DIR — a real collector on a
# demonstration clock (--set clock.demo=START: starts there, then ticks) through the first quarter of 2021 with the catalogue
# tests/periods/small.ini and four units (S1, S2, H1, X1), signed reports from
# cchc-test-client, and the admin tool:
#
#   16/03 (window over, before the due day)  figures computed by the schedule
#         (closed), cchcctl rollup table/json/csv equal the hand-computed
#         figures, the API agrees; S2 corrects February: the figures follow;
#         explain names the message; the report draft is Vietnamese
#   21/03 23:59:57 local (3 s before the lock instant)  the schedule locks
#         2021-Q1 at 22/03 00:00; a correction after it is stored but the
#         figures (cchcctl, API) stay; --live shows what it would be
#   reopen (logged, reason required) takes it in; the schedule does not lock
#         it again; period lock does
#   backup while a client streams reports: consistent copy, 0600, checked,
#         same journal count as its snapshot, never overwrites
#   criteria check: a good file, a bad one named with its line
#
# Hand-computed 2021-Q1 figures (see test_periods.c):
#   S1 100 (rank 1 so), S2 70 (rank 2), H1 60, X1 66.666...; S2 after its
#   correction before the due day: 78/80 -> 6 points: 80; after the lock
#   (back to 30, late): 50 live, 80 locked.
set -euo pipefail

COLLECTOR=$1 CTL=$2 CLIENT=$3 SRC=$4
T=$(mktemp -d "${TMPDIR:-/tmp}/cchc-periods-test.XXXXXX")
ST=$T/state
DB=$ST/collector.db
CAT=$SRC/tests/periods/small.ini
PIDS=()
PASSED=0
FAILED=0
CPID=
EP=
HTTP=
STARTS=0

cleanup () {
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  if [ "${CCHC_KEEP_TEST:-0}" = 1 ]; then echo "kept $T" >&2; else rm -rf "$T"; fi
}
trap cleanup EXIT

ok ()  { echo "ok   $1"; PASSED=$((PASSED + 1)); }
bad () { echo "FAIL $1" >&2; FAILED=$((FAILED + 1)); }
# expect NAME PATTERN ACTUAL — ACTUAL must match the glob PATTERN
expect () { if [[ "$3" == $2 ]]; then ok "$1"; else bad "$1: expected '$2', got '$3'"; fi; }
# same NAME EXPECTED ACTUAL — exactly equal
same () { if [ "$3" = "$2" ]; then ok "$1"; else bad "$1: expected '$2', got '$3'"; fi; }
sql () { sqlite3 -cmd ".timeout 5000" "$DB" "$1"; }
ms () { date -u -d "$1" +%s%3N; }          # UTC ms of an ISO instant
# json FILTER — python expression over `d` (stdin JSON); prints the result
json () { python3 -c "import json, sys; d = json.load(sys.stdin); print($1)"; }

# The clock of the collector phase; cchcctl uses the same (empty: real).
NOW=
ctl () { "$CTL" --state "$ST" --criteria "$CAT" ${NOW:+--set clock.demo=$NOW} "$@"; }

start_collector () {   # start_collector [--set ...]
  [ -n "$EP" ] || EP=tcp://127.0.0.1:$("$CLIENT" freeport)
  STARTS=$((STARTS + 1))
  LOG=$T/collector.$STARTS.log
  "$COLLECTOR" ${NOW:+--set clock.demo=$NOW} --state "$ST" --set collector.bind="$EP" \
      --set collector.criteria="$CAT" --set collector.rollup_interval=1s \
      --set http.enabled=true --set http.port=0 "$@" >"$LOG" 2>&1 &
  CPID=$!
  PIDS+=("$CPID")
  for _ in $(seq 1 1200); do          # up to 60 s: a busy machine, a sanitizer build
    if grep -q "listening on" "$LOG"; then
      HTTP=$(grep -o 'dashboard on http://[0-9.:]*/' "$LOG" | sed 's/dashboard on //' | head -1)
      return 0
    fi
    if ! kill -0 "$CPID" 2>/dev/null; then cat "$LOG" >&2; echo "collector died" >&2; return 1; fi
    sleep 0.05
  done
  cat "$LOG" >&2; echo "collector did not start" >&2; return 1
}

stop_collector () { kill -TERM "$CPID"; wait "$CPID" || true; }

# send UNIT SEQ CREATED_ISO "metric,date,value;..."
send () {
  "$CLIENT" send --endpoint "$EP" --key "$T/keys/$1.key" --server "$ST/collector.key.pub" \
      --unit "$1" --seq "$2" --created "$(ms "$3")" --timeout 5000 --obs "$4" || true
}

# wait_sql NAME QUERY EXPECTED [SECONDS] — poll until the query answers EXPECTED
wait_sql () {
  local n=$(( ${4:-10} * 10 )) got=
  for _ in $(seq 1 "$n"); do
    got=$(sql "$2" 2>/dev/null || true)
    [ "$got" = "$3" ] && { ok "$1"; return 0; }
    sleep 0.1
  done
  bad "$1: expected '$3', got '$got'"
}

api () { curl -sf "${HTTP}api/v1/$1"; }

# index of unit U in the stored result of period P
stored_index () {
  sql "SELECT result FROM period_result WHERE period = '$1'" \
    | json "[u['index'] for u in d['units'] if u['code'] == '$2'][0]"
}

# ------------------------------------------------------------------ setup
mkdir -p "$T/keys"
"$CTL" --state "$ST" units import "$SRC/tests/periods/units.csv" >/dev/null
for u in S1 S2 H1 X1; do
  "$CTL" keygen --out "$T/keys/$u.key" >/dev/null 2>&1
  "$CTL" --state "$ST" agent enroll --unit "$u" --name "Agent $u" \
      --key-file "$T/keys/$u.key.pub" >/dev/null
done

# --------------------------------------------- 16/03/2021 10:00 local
NOW=2021-03-16T03:00:00Z
start_collector
expect "dashboard started" "http://127.0.0.1:*/" "$HTTP"
C=2021-03-16T03:00:02Z
expect "S1 data accepted" "status=accepted*" "$(send S1 1 $C \
  'received,2021-01-10,60;received,2021-02-10,40;on_time,2021-01-10,50;on_time,2021-02-10,40;procs,2021-03-01,20;procs_online,2021-03-01,12')"
expect "S2 data accepted" "status=accepted*" "$(send S2 1 $C \
  'received,2021-01-10,50;received,2021-02-10,30;on_time,2021-01-10,30;on_time,2021-02-10,30;procs,2021-03-01,10;procs_online,2021-03-01,4')"
expect "H1 data accepted" "status=accepted*" "$(send H1 1 $C 'received,2021-02-01,50;on_time,2021-02-01,45')"
expect "X1 data accepted" "status=accepted*" "$(send X1 1 $C 'received,2021-02-01,40;on_time,2021-02-01,20')"

wait_sql "schedule stored 2021-Q1 up to journal 4" \
  "SELECT state || ' ' || journal_pos FROM period_result WHERE period = '2021-Q1'" "closed 4"
expect "stored result carries the journal position = max(journal.id)" "4" \
  "$(sql "SELECT journal_pos FROM period_result WHERE period = '2021-Q1' AND journal_pos = (SELECT max(id) FROM journal)")"
# (the same pass stores H1 after Q1: wait for it too)
wait_sql "an open period is provisional" \
  "SELECT state FROM period_result WHERE period = '2021-H1'" "provisional" 30
expect "computed_at is the collector's (fake) clock" "1" \
  "$(sql "SELECT computed_at BETWEEN $(ms 2021-03-16T03:00:00Z) AND $(ms 2021-03-16T03:01:00Z) FROM period_result WHERE period = '2021-Q1'")"

# cchcctl rollup, three formats, against the hand-computed figures
{ ctl rollup --period 2021-Q1 --format csv 2>"$T/csv.err" || bad "rollup csv failed"; } \
  | tr -d '\r' >"$T/q1.csv"
cat >"$T/q1.expected.csv" <<'EOF'
period,unit,name,level,index,rank,change,complete,on_time,indicator,area,state,numerator,denominator,value,target,points,points_max
2021-Q1,H1,Huyện Một,huyen,60,1,,0,0,on_time_rate,tthc,ok,45,50,0.9,0.9,6,6
2021-Q1,H1,Huyện Một,huyen,60,1,,0,0,services,tthc,missing,,,,0.5,0,2
2021-Q1,H1,Huyện Một,huyen,60,1,,0,0,report_on_time,dieu_hanh,missing,,,,1,0,2
2021-Q1,S1,Sở Một,so,100,1,,1,1,on_time_rate,tthc,ok,90,100,0.9,0.9,6,6
2021-Q1,S1,Sở Một,so,100,1,,1,1,services,tthc,ok,12,20,0.6,0.5,2,2
2021-Q1,S1,Sở Một,so,100,1,,1,1,report_on_time,dieu_hanh,ok,1,,1,1,2,2
2021-Q1,S2,Sở Hai,so,70,2,,1,1,on_time_rate,tthc,ok,60,80,0.75,0.9,5,6
2021-Q1,S2,Sở Hai,so,70,2,,1,1,services,tthc,ok,4,10,0.4,0.5,0,2
2021-Q1,S2,Sở Hai,so,70,2,,1,1,report_on_time,dieu_hanh,ok,1,,1,1,2,2
2021-Q1,X1,Xã Một,xa,66.66666667,1,,1,1,on_time_rate,tthc,ok,20,40,0.5,0.9,3.333333333,6
2021-Q1,X1,Xã Một,xa,66.66666667,1,,1,1,services,tthc,not_applicable,,,,,0,0
2021-Q1,X1,Xã Một,xa,66.66666667,1,,1,1,report_on_time,dieu_hanh,ok,1,,1,1,2,2
EOF
if diff "$T/q1.expected.csv" "$T/q1.csv" >"$T/csv.diff"; then ok "rollup csv = hand-computed figures"
else bad "rollup csv differs:"; cat "$T/csv.diff" >&2; fi
expect "rollup says which figures" "2021-Q1: closed — computed now*journal position 4*" "$(cat "$T/csv.err")"

ctl rollup --period 2021-Q1 --format json 2>/dev/null >"$T/q1.json" || bad "rollup json failed"
same "rollup json: indices and ranks" \
  "[('H1', 60.0, 1), ('S1', 100.0, 1), ('S2', 70.0, 2), ('X1', 66.667, 1)]" \
  "$(json "[(u['code'], round(u['index'], 3), u['rank']) for u in d['units']]" <"$T/q1.json")"
expect "rollup json: state, position" "closed False 4" \
  "$(json "d['state'], d['stored'], d['journal_position']" <"$T/q1.json" | tr -d "(),'")"
expect "rollup json: province figure of the plan target" "0.796296 215.0 270.0" \
  "$(json "[(round(f['value'], 6), f['numerator'], f['denominator']) for f in d['province']['figures'] if f['indicator'] == 'on_time_rate' and f['level'] == 'all'][0]" <"$T/q1.json" | tr -d "(),")"
expect "rollup json --unit: one unit with its metrics" "S2 4" \
  "$(ctl rollup --period 2021-Q1 --unit S2 --format json 2>/dev/null | json "d['units'][0]['code'], len(d['units'][0]['metrics'])" | tr -d "(),'")"

ctl rollup --period 2021-Q1 2>/dev/null >"$T/q1.table" || bad "rollup table failed"
expect "rollup table: S1 first in its level" "*1  S1*Sở Một*100,00*10,00/10,00*" "$(grep ' S1 ' "$T/q1.table")"
expect "rollup table: S2" "*2  S2*Sở Hai*70,00*7,00/10,00*" "$(grep ' S2 ' "$T/q1.table")"
expect "rollup table: X1" "*1  X1*Xã Một*66,67*5,33/8,00*" "$(grep ' X1 ' "$T/q1.table")"
expect "rollup: unknown unit" "1" "$(ctl rollup --period 2021-Q1 --unit NOPE >/dev/null 2>&1; echo $?)"
expect "rollup: bad period is a usage error" "2" "$(ctl rollup --period 2021-Q5 >/dev/null 2>&1; echo $?)"

# the API: same figures, state and position
sleep 1.2    # the API's poll reads the stored rows
expect "API periods: 2021-Q1 closed, position 4" "closed 4 False" \
  "$(api periods | json "[(p['state'], p['journal_position'], p['final']) for p in d['periods'] if p['id'] == '2021-Q1'][0]" | tr -d "(),'")"
expect "API summary: live figures, position" "live 4 closed" \
  "$(api 'summary?period=2021-Q1' | json "d['source'], d['journal_position'], d['period']['state']" | tr -d "(),'")"
same "API ranking so" "[('S1', 100.0), ('S2', 70.0)]" \
  "$(api 'ranking?period=2021-Q1&level=so' | json "[(u['code'], u['index']) for u in d['units']]")"

# a correction after the window closed, before the due day and the lock
expect "S2 correction accepted" "status=accepted*" \
  "$(send S2 2 2021-03-16T03:00:30Z 'on_time,2021-02-10,48')"
wait_sql "the closed period follows the correction" \
  "SELECT state || ' ' || journal_pos FROM period_result WHERE period = '2021-Q1'" "closed 5"
expect "S2's stored index after the correction" "80.0" "$(stored_index 2021-Q1 S2)"
expect "explain names the correcting message" "S2,on_time,2,Agent S2,2021-02-10,48,2,5,*" \
  "$(ctl explain --period 2021-Q1 --unit S2 --indicator on_time_rate --format csv | tr -d '\r' | grep '2021-02-10,48')"
expect "explain needs one code" "2" "$(ctl explain --period 2021-Q1 --unit S2 >/dev/null 2>&1; echo $?)"

rc=0; ctl report --period 2021-Q1 --out "$T/report-provisional.md" 2>/dev/null || rc=$?
expect "report draft written" "0" "$rc"
expect "report is Vietnamese" "*CHỈ SỐ CẢI CÁCH HÀNH CHÍNH*" "$(cat "$T/report-provisional.md")"
expect "report names the units" "*Sở Hai*Xã Một*" "$(tr '\n' ' ' <"$T/report-provisional.md")"
expect "report before the lock says provisional" "*số liệu tạm tính, kỳ chưa khóa*" "$(cat "$T/report-provisional.md")"
stop_collector

# ------------------------ 3 s before the lock instant (22/03/2021 00:00 local)
LOCK_MS=$(ms 2021-03-21T17:00:00Z)
NOW=2021-03-21T16:59:57Z
start_collector
wait_sql "the schedule locks 2021-Q1 at its lock instant" \
  "SELECT state || ' ' || journal_pos FROM period_result WHERE period = '2021-Q1'" "locked 5" 15
expect "locked at (not before) the lock instant, by the schedule" "1 schedule" \
  "$(sql "SELECT locked_at >= $LOCK_MS AND locked_at < $LOCK_MS + 3000, locked_by FROM period_result WHERE period = '2021-Q1'" | tr '|' ' ')"
expect "the lock is logged" "locked|schedule|5" \
  "$(sql "SELECT event, who, journal_pos FROM period_event WHERE period = '2021-Q1'")"

# a correction after the lock: accepted and stored, but the figures are final
expect "S2 correction after the lock accepted" "status=accepted*" \
  "$(send S2 3 2021-03-21T17:00:05Z 'on_time,2021-02-10,30')"
wait_sql "the late correction is in the journal" "SELECT max(id) FROM journal" "6"
sleep 2.5    # two passes of the schedule
expect "the locked result did not move" "locked 5 80.0" \
  "$(echo "$(sql "SELECT state, journal_pos FROM period_result WHERE period = '2021-Q1'" | tr '|' ' ') $(stored_index 2021-Q1 S2)")"
NOW=2021-03-22T01:00:00Z
expect "cchcctl rollup shows the final figures" "S2 80.0 locked True 5" \
  "$(ctl rollup --period 2021-Q1 --format json 2>/dev/null | json "[u['code'] + ' ' + str(u['index']) for u in d['units'] if u['code'] == 'S2'][0], d['state'], d['stored'], d['journal_position']" | tr -d "(),'")"
expect "cchcctl rollup --live computes from today's data" "50.0 6" \
  "$(ctl rollup --period 2021-Q1 --live --format json 2>/dev/null | json "[u['index'] for u in d['units'] if u['code'] == 'S2'][0], d['journal_position']" | tr -d "(),'")"
sleep 1.2
expect "API summary: stored final figures" "stored 5 locked True" \
  "$(api 'summary?period=2021-Q1' | json "d['source'], d['journal_position'], d['period']['state'], d['period']['final']" | tr -d "(),'")"
same "API ranking: the locked index" "[('S1', 100.0), ('S2', 80.0)]" \
  "$(api 'ranking?period=2021-Q1&level=so' | json "[(u['code'], u['index']) for u in d['units']]")"
expect "API periods: locked by the schedule" "locked 5 schedule" \
  "$(api periods | json "[(p['state'], p['journal_position'], p['locked_by']) for p in d['periods'] if p['id'] == '2021-Q1'][0]" | tr -d "(),'")"
ctl report --period 2021-Q1 --out "$T/report-locked.md" 2>/dev/null || bad "locked report failed"
expect "locked report: not provisional" "0" "$(grep -c 'tạm tính' "$T/report-locked.md" || true)"
expect "locked report: S2's final index" "*Sở Hai*80,00*" "$(grep 'Sở Hai' "$T/report-locked.md" | head -1)"

# reopen: reason required, logged, recomputed, not relocked by the schedule
expect "reopen without a reason is refused" "2" "$(ctl period reopen --period 2021-Q1 >/dev/null 2>&1; echo $?)"
# (with a $SUDO_USER that says someone else: the account the kernel runs it
#  as is recorded, the claim only beside it — issue 13 item 11)
expect "reopen" "2021-Q1 reopened by $(id -un) (*SUDO_USER mallory): journal position 6*" \
  "$(SUDO_USER=mallory ctl period reopen --period 2021-Q1 --reason 'Sở Hai điều chỉnh số liệu tháng 2' 2>&1)"
expect "reopen records the real user, SUDO_USER beside it" "$(id -un) (*SUDO_USER mallory)" \
  "$(sql "SELECT who FROM period_event WHERE period = '2021-Q1' ORDER BY id DESC LIMIT 1")"
expect "reopen logged with its reason and the superseded position" \
  "reopened|Sở Hai điều chỉnh số liệu tháng 2|5" \
  "$(sql "SELECT event, reason, journal_pos FROM period_event WHERE period = '2021-Q1' ORDER BY id DESC LIMIT 1")"
expect "reopened: recomputed with the correction" "closed 6 50.0" \
  "$(echo "$(sql "SELECT state, journal_pos FROM period_result WHERE period = '2021-Q1'" | tr '|' ' ') $(stored_index 2021-Q1 S2)")"
expect "period log shows it" "*2021-Q1  reopened*Sở Hai điều chỉnh số liệu tháng 2*" \
  "$(ctl period log --period 2021-Q1)"
sleep 2.5
expect "the schedule does not lock a reopened period" "closed 1" \
  "$(sql "SELECT state, manual FROM period_result WHERE period = '2021-Q1'" | tr '|' ' ')"
expect "period list says so" "*2021-Q1  closed*reopened: lock it with period lock*" "$(ctl period list)"
sleep 1.2
expect "API: reopened period is closed, lock by hand" "closed True False" \
  "$(api periods | json "[(p['state'], p['lock_by_hand'], p['final']) for p in d['periods'] if p['id'] == '2021-Q1'][0]" | tr -d "(),'")"
out=$(ctl period lock --period 2021-Q1 --reason 'đã đối chiếu' 2>&1)
expect "period lock" "*2021-Q1 locked by *: journal position 6, 4 units; its figures are final" "$out"
expect "period lock writes the report (version 2: locked before)" \
  "*reports: 2021-Q1 v2: 4 units, * on time: $ST/reports/2021-Q1/bao-cao-v2.pdf (6 files)*" "$out"
expect "the schedule's lock wrote version 1" "1" "$([ -s "$ST/reports/2021-Q1/bao-cao.pdf" ] && echo 1)"
expect "events: schedule lock, reopen, hand lock" "locked,reopened,locked" \
  "$(sql "SELECT group_concat(event) FROM (SELECT event FROM period_event WHERE period = '2021-Q1' ORDER BY id)")"
expect "locking twice is refused" "1" "$(ctl period lock --period 2021-Q1 >/dev/null 2>&1; echo $?)"
expect "an open window cannot be locked" "1" "$(ctl period lock --period 2021-Q2 >/dev/null 2>&1; echo $?)"
stop_collector

# ------------------------------------------ backup while the collector ingests
NOW=
start_collector --set collector.rollup_interval=0 \
    --set collector.criteria="$SRC/data/criteria/default.ini"
"$CLIENT" stream --endpoint "$EP" --key "$T/keys/S1.key" --server "$ST/collector.key.pub" \
    --unit S1 --count 4000 --window 16 --obs-per 20 --rate 800 --timeout 60000 \
    >"$T/stream.log" 2>&1 &
SPID=$!
PIDS+=("$SPID")
for _ in $(seq 1 600); do [ "$(sql 'SELECT count(*) FROM journal')" -gt 500 ] && break; sleep 0.1; done
before=$(sql 'SELECT count(*) FROM journal')
rc=0; "$CTL" --state "$ST" backup --out "$T/backup.db" --step 8 >"$T/backup.out" \
    2>"$T/backup.err" || rc=$?
expect "backup while ingesting" "0" "$rc"
after=$(sql 'SELECT count(*) FROM journal')
copied=$(sed -n 's/.*bytes, \([0-9]*\) journal rows.*/\1/p' "$T/backup.out")
expect "the collector was ingesting during the backup" "1" "$(( before < after ))"
expect "backup progress on stderr" "*backup: 100% (*pages)*" "$(cat "$T/backup.err")"
expect "backup integrity_check" "ok" "$(sqlite3 "$T/backup.db" 'PRAGMA integrity_check')"
expect "backup has the journal of its snapshot" "$copied" "$(sqlite3 "$T/backup.db" 'SELECT count(*) FROM journal')"
expect "... a consistent one (ids 1..n, observations match)" "1 1" \
  "$(sqlite3 "$T/backup.db" "SELECT max(id) = count(*), (SELECT count(*) FROM observation WHERE journal > (SELECT max(id) FROM journal)) = 0 FROM journal" | tr '|' ' ')"
expect "backup taken mid-stream" "1" "$(( copied >= before && copied <= after ))"
expect "backup file mode 0600" "600" "$(stat -c %a "$T/backup.db")"
expect "backup is one file (no -wal)" "delete" "$(sqlite3 "$T/backup.db" 'PRAGMA journal_mode')"
expect "backup keeps the period results" "3" "$(sqlite3 "$T/backup.db" "SELECT count(*) FROM period_event WHERE period = '2021-Q1'")"
sum=$(md5sum <"$T/backup.db")
expect "backup never overwrites" "1" "$("$CTL" --state "$ST" backup --out "$T/backup.db" >/dev/null 2>"$T/backup2.err"; echo $?)"
expect "... and says why" "*exists*" "$(cat "$T/backup2.err")"
expect "... the file is untouched" "$sum" "$(md5sum <"$T/backup.db")"
expect "backup into a missing folder fails" "1" "$("$CTL" --state "$ST" backup --out "$T/none/b.db" >/dev/null 2>&1; echo $?)"
expect "no partial file left" "" "$(ls "$T" | grep partial || true)"
wait "$SPID" || true
stop_collector

# ------------------------------------------------------------ criteria check
expect "criteria check: the shipped catalogue" "0" "$("$CTL" criteria check "$SRC/data/criteria/default.ini" >/dev/null; echo $?)"
expect "criteria check: Vietnamese summary" "Bộ tiêu chí hợp lệ*" "$("$CTL" criteria check "$CAT" | head -1)"
sed 's/^kind = gauge$/kind = gaug/' "$CAT" >"$T/bad.ini"
line=$(grep -n '^kind = gaug$' "$T/bad.ini" | head -1 | cut -d: -f1)
expect "criteria check: a bad file fails" "1" "$("$CTL" criteria check "$T/bad.ini" >/dev/null 2>"$T/bad.err"; echo $?)"
expect "criteria check: names the file and line" "*bad.ini:$line:*" "$(cat "$T/bad.err")"
expect "criteria check: usage" "2" "$("$CTL" criteria check >/dev/null 2>&1; echo $?)"

# a sanitizer report in any collector log fails the test
if grep -l -E "ERROR: (Address|Leak)Sanitizer|runtime error:" "$T"/collector.*.log 2>/dev/null; then
  bad "sanitizer report in the collector's log"
  grep -h -A5 -E "ERROR: (Address|Leak)Sanitizer|runtime error:" "$T"/collector.*.log >&2 || true
fi
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
