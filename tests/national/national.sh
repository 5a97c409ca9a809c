#!/usr/bin/env bash
# national.sh COLLECTOR CCHCCTL CLIENT FIGCLIENT SOURCE_DIR — the chain
# province -> national over 127.0.0.1 (PROTOCOL.md §15, docs/national.md):
#
#   a provincial collector (the tests/periods fixture: catalogue small.ini,
#   units S1 S2 H1 X1 of province T) on the demonstration clock (clock.demo, from 16/03/2021), with an
#   upstream to a national collector that is DOWN: four periods are locked
#   by hand (2021-01, 2021-02, 2021-03, 2021-Q1) and their figures wait in
#   the province's outbox;
#   the national collector starts: every version arrives exactly once, is
#   stored, and 2021-Q1 is ranked (T first, Z missing);
#   reopen + relock 2021-Q1: version 2 arrives, shown as revised, both kept;
#   refusals with their reasons: tampered, replayed, unknown province key,
#   wrong catalogue, a province signing for another;
#   kill -9 of the national collector during a stream of 60 messages, then
#   everything resent: every acknowledged message is there, none twice;
#   cchcctl audit re-verifies every stored message and finds an altered row.
#
# Hand-computed 2021-Q1 score of T (tests/periods/periods.sh): units S1 100,
# S2 70 (sở mean 85), H1 60 (huyện), X1 66.666… (xã): (85 + 60 + 66.667) / 3
# = 70.5556.
set -euo pipefail

COLLECTOR=$1 CTL=$2 CLIENT=$3 FIG=$4 SRC=$5
. "$SRC/tests/national/lib.sh"
PPID_=
NPID=
NOW=2021-03-16T03:00:00Z
pctl () { "$CTL" --state "$P" --criteria "$CAT" --set clock.demo=$NOW "$@"; }
nctl () { "$CTL" --state "$N" "$@"; }

NEP=tcp://127.0.0.1:$("$CLIENT" freeport)
PEP=tcp://127.0.0.1:$("$CLIENT" freeport)
mkdir -p "$T/keys"
for k in prov other stranger nat; do "$CTL" keygen --out "$T/keys/$k.key" >/dev/null 2>&1; done
EXPECT=$("$CTL" national catalogue "$CAT")
expect "national catalogue prints YEAR:SHA256" "2021:????????????????????????????????????????????????????????????????" "$EXPECT"

start_national () {
  start national "$COLLECTOR" --set clock.demo=$NOW --state "$N" --set national.enabled=true \
      --set collector.bind="$NEP" --set collector.key="$T/keys/nat.key" \
      --set national.expect="$EXPECT" --set collector.refresh_interval=100ms \
      --set http.enabled=true --set http.port=0 --set collector.criteria="$CAT"
  NPID=$LAST_PID
  for _ in $(seq 1 600); do
    HTTP=$(grep -o 'dashboard on http://[0-9.:]*/' "$LAST_LOG" | sed 's/dashboard on //' | head -1)
    [ -n "$HTTP" ] && break
    sleep 0.05
  done
}

# ------------------------------------------------------------ the national side
nctl units import "$SRC/tests/national/provinces.csv" >/dev/null
nctl agent enroll --unit T --name "Tỉnh Thử Nghiệm" --key-file "$T/keys/prov.key.pub" >/dev/null
nctl agent enroll --unit Z --name "Tỉnh Thứ Hai" --key-file "$T/keys/other.key.pub" >/dev/null

# ------------------------------------------------------------ the province, national down
pctl units import "$SRC/tests/periods/units.csv" >/dev/null
for u in S1 S2 H1 X1; do
  "$CTL" keygen --out "$T/keys/$u.key" >/dev/null 2>&1
  pctl agent enroll --unit "$u" --name "Agent $u" --key-file "$T/keys/$u.key.pub" >/dev/null
done
start province "$COLLECTOR" --set clock.demo=$NOW --state "$P" --set collector.bind="$PEP" \
    --set collector.criteria="$CAT" --set collector.rollup_interval=1s \
    --set upstream.endpoint="$NEP" --set upstream.national_key="$T/keys/nat.key.pub" \
    --set upstream.key="$T/keys/prov.key" --set upstream.interval=200ms
PPID_=$LAST_PID
send () {
  "$CLIENT" send --endpoint "$PEP" --key "$T/keys/$1.key" --server "$P/collector.key.pub" \
      --unit "$1" --seq "$2" --created "$(ms 2021-03-16T03:00:02Z)" --timeout 5000 --obs "$3" || true
}
expect "S1 data" "status=accepted*" "$(send S1 1 'received,2021-01-10,60;received,2021-02-10,40;on_time,2021-01-10,50;on_time,2021-02-10,40;procs,2021-03-01,20;procs_online,2021-03-01,12')"
expect "S2 data" "status=accepted*" "$(send S2 1 'received,2021-01-10,50;received,2021-02-10,30;on_time,2021-01-10,30;on_time,2021-02-10,30;procs,2021-03-01,10;procs_online,2021-03-01,4')"
expect "H1 data" "status=accepted*" "$(send H1 1 'received,2021-02-01,50;on_time,2021-02-01,45')"
expect "X1 data" "status=accepted*" "$(send X1 1 'received,2021-02-01,40;on_time,2021-02-01,20')"
wait_for "province computed 2021-Q1" \
  "psql \"SELECT state || ' ' || journal_pos FROM period_result WHERE period = '2021-Q1'\"" "closed 4"
for p in 2021-01 2021-02 2021-03 2021-Q1; do
  pctl period lock --period "$p" --reason "kiểm thử" >/dev/null 2>&1 || bad "lock $p"
done
wait_for "four locked versions wait in the province's outbox (national down)" \
  "osql 'SELECT count(*) FROM message'" "4"
sleep 2
expect "still waiting, nothing dropped" "4 0" "$(echo $(osql 'SELECT count(*) FROM message') $(osql 'SELECT count(*) FROM dead'))"

# ------------------------------------------------------------ the national collector comes up
start_national
wait_for "every locked version arrives once" \
  "nsql 'SELECT count(*) FROM national_version WHERE complete_at IS NOT NULL'" "4" 60
wait_for "the province's outbox empties" "osql 'SELECT count(*) FROM message'" "0"
expect "one stored message per version" "4" "$(nsql 'SELECT count(*) FROM national_message')"
expect "stored versions carry the province's journal position" "4|4" \
  "$(nsql "SELECT journal, units_total FROM national_version WHERE period = '2021-Q1'")"

nctl national rank --period 2021-Q1 --format json >"$T/rank.json"
expect "ranking: T first with the mean of its level indices" "T 1 70.5556 reported" \
  "$(json "' '.join(str(x) for x in [d['provinces'][0]['code'], d['provinces'][0]['rank'], round(d['provinces'][0]['score'], 4), d['provinces'][0]['status']])" <"$T/rank.json")"
expect "ranking: Z has not reported" "Z missing None" \
  "$(json "' '.join(str(x) for x in [d['provinces'][1]['code'], d['provinces'][1]['status'], d['provinces'][1]['rank']])" <"$T/rank.json")"
expect "ranking: completeness counts, on time (before the 28th)" "1 1 2 0 False 2021-03-28" \
  "$(json "' '.join(str(x) for x in [d['reported'], d['missing'], d['structure']['provinces'], d['late'], d['provinces'][0]['late'], d['deadline']])" <"$T/rank.json")"
expect "ranking: late against an earlier national deadline" "True" \
  "$(nctl national rank --period 2021-Q1 --format json --deadline-day 10 | json "d['provinces'][0]['late']")"
expect "ranking: level indices" "85.0 60.0 66.667" \
  "$(json "' '.join(str(round(d['provinces'][0]['levels'][l]['index'], 3)) for l in ('so', 'huyen', 'xa'))" <"$T/rank.json")"
expect "ranking: the plan indicator with its target" "on_time_rate 0.9" \
  "$(json "' '.join(str(x) for x in [d['provinces'][0]['plan'][0]['indicator'], d['provinces'][0]['plan'][0]['target']])" <"$T/rank.json")"
expect "ranking table is Vietnamese" "*Xếp hạng các tỉnh, thành phố*" "$(nctl national rank --period 2021-Q1)"
expect "drill-down: a province's units as received" "S1 100.0 so" \
  "$(nctl national province --province T --period 2021-Q1 | json "' '.join(str(x) for x in [[u for u in d['units'] if u['code'] == 'S1'][0][k] for k in ('code', 'index', 'level')])")"

expect "API: the national ranking" "T 1 Z missing" \
  "$(curl -sf "${HTTP}api/v1/national/ranking?period=2021-Q1" | json "' '.join(str(x) for x in [d['provinces'][0]['code'], d['provinces'][0]['rank'], d['provinces'][1]['code'], d['provinces'][1]['status']])")"
expect "API: a province's units" "4" \
  "$(curl -sf "${HTTP}api/v1/national/province?province=T&period=2021-Q1" | json "len(d['units'])")"
expect "API: unknown province figures are a 404" "404" \
  "$(curl -s -o /dev/null -w '%{http_code}' "${HTTP}api/v1/national/province?province=Q&period=2021-Q1")"
expect "the national page is served, in Vietnamese" "*Xếp hạng các tỉnh, thành phố*" \
  "$(curl -sf "${HTTP}quoc-gia.html")"

# ------------------------------------------------------------ exports and the printable national report
# (collector/present/national.c, through the province's export and report code)
nctl --criteria "$CAT" national rank --period 2021-Q1 --format csv >"$T/rank.csv"
expect "CSV: a header and a row per province" "3" "$(wc -l <"$T/rank.csv" | tr -d ' ')"
expect "CSV: the header is Vietnamese, after the byte-order mark" $'\xEF\xBB\xBFHạng,Mã,"Tỉnh, thành phố",Điểm,*' \
  "$(head -n 1 "$T/rank.csv")"
expect "CSV: T first with its score, its level indices" "1,T,Tỉnh Thử Nghiệm,70.5555555*,,85,60,66.666666*,4,Đã gửi,Không,1,Không,*" \
  "$(sed -n 2p "$T/rank.csv" | tr -d '\r')"
expect "CSV: Z has not reported, unranked" ",Z,Tỉnh Thứ Hai,,,,,,,Chưa gửi,,,," "$(sed -n 3p "$T/rank.csv" | tr -d '\r')"
nctl --criteria "$CAT" national rank --period 2021-Q1 --format xlsx --out "$T/rank.xlsx"
expect "XLSX opens: two sheets, the provinces and the plan indicator by name, the score a number" \
  "Xếp hạng|Chỉ tiêu kế hoạch True True True" "$(python3 - "$T/rank.xlsx" <<'PY'
import re, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
names = re.findall(r'<sheet name="([^"]+)"', z.read('xl/workbook.xml').decode())
strings = z.read('xl/sharedStrings.xml').decode()
sheet1 = z.read('xl/worksheets/sheet1.xml').decode()
print('|'.join(names), 'Tỉnh Thử Nghiệm' in strings, 'Tỷ lệ hồ sơ giải quyết đúng hạn' in strings,
      re.search(r'<v>70\.5555', sheet1) is not None)
PY
)"
expect "xlsx needs --out" "2" "$(nctl national rank --period 2021-Q1 --format xlsx >/dev/null 2>&1; echo $?)"
nctl --criteria "$CAT" national rank --period 2021-Q1 --pdf "$T/rank.pdf" --html "$T/rank.html"
pdftotext -layout "$T/rank.pdf" "$T/rank.txt" 2>/dev/null || true
expect "PDF: Bộ Nội vụ's report under the national motto" \
  "*BỘ NỘI VỤ*CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM*XẾP HẠNG CÁC TỈNH, THÀNH PHỐ*" "$(tr '\n' ' ' <"$T/rank.txt")"
expect "PDF: the ranking's row, the province's name in full diacritics" "1" \
  "$(grep -cE '^ *1 +Tỉnh Thử Nghiệm +70,56 +85,00 +60,00 +66,67' "$T/rank.txt")"
expect "PDF: the plan indicator by name against its target" "1" \
  "$(grep -cE 'Tỉnh Thử Nghiệm +Tỷ lệ hồ sơ giải quyết đúng hạn +79,6% +90,0% +Chưa đạt' "$T/rank.txt")"
expect "PDF: the province that has not reported, named" "1" \
  "$(grep -c 'Chưa gửi đủ số liệu (1): Tỉnh Thứ Hai\.' "$T/rank.txt")"
expect "HTML file: the same report, its stylesheet inside" "*<style>*XẾP HẠNG CÁC TỈNH, THÀNH PHỐ*Tỉnh Thử Nghiệm*" \
  "$(tr '\n' ' ' <"$T/rank.html")"
expect "API: ranking.csv is the same file as cchcctl's" "same" \
  "$(curl -sf "${HTTP}api/v1/national/ranking.csv?period=2021-Q1" | cmp -s - "$T/rank.csv" && echo same)"
expect "API: ranking.xlsx is a workbook" "200 application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" \
  "$(curl -s -o /dev/null -w '%{http_code} %{content_type}' "${HTTP}api/v1/national/ranking.xlsx?period=2021-Q1")"
expect "API: report.pdf has the province" "*Tỉnh Thử Nghiệm*" \
  "$(curl -sf "${HTTP}api/v1/national/report.pdf?period=2021-Q1" -o "$T/api.pdf" && pdftotext "$T/api.pdf" - | tr '\n' ' ')"
expect "API: report.html, the print view, links the stylesheet the dashboard serves" \
  "*href=\"/bao-cao.css\"*Tỉnh Thử Nghiệm* 200" \
  "$(curl -sf "${HTTP}api/v1/national/report.html?period=2021-Q1" | tr '\n' ' ') $(curl -s -o /dev/null -w '%{http_code}' "${HTTP}bao-cao.css")"
expect "the national page links the files" "*ranking.csv*ranking.xlsx*report.html*report.pdf*" \
  "$(curl -sf "${HTTP}national.js" | tr '\n' ' ')"

# ------------------------------------------------------------ reopen and relock: version 2
pctl period reopen --period 2021-Q1 --reason "Sở Hai điều chỉnh" >/dev/null 2>&1 || bad "reopen"
expect "S2 correction" "status=accepted*" "$(send S2 2 'on_time,2021-02-10,48')"
wait_for "province recomputed after the correction" \
  "psql \"SELECT state || ' ' || journal_pos FROM period_result WHERE period = '2021-Q1'\"" "closed 5"
pctl period lock --period 2021-Q1 --reason "khóa lại" >/dev/null 2>&1 || bad "relock"
wait_for "version 2 arrives, version 1 kept" \
  "nsql \"SELECT group_concat(version || ':' || journal, ' ') FROM national_version WHERE period = '2021-Q1' AND complete_at IS NOT NULL\"" "1:4 2:5"
nctl national rank --period 2021-Q1 --format json >"$T/rank2.json"
expect "ranking uses version 2, marked revised" "2 True 2" \
  "$(json "' '.join(str(x) for x in [d['provinces'][0]['version'], d['provinces'][0]['revised'], d['provinces'][0]['versions']])" <"$T/rank2.json")"
expect "version 1 still readable as received" "70.0" \
  "$(nctl national province --province T --period 2021-Q1 --version 1 | json "[u['index'] for u in d['units'] if u['code'] == 'S2'][0]")"
expect "version 2 has the corrected S2" "80.0" \
  "$(nctl national province --province T --period 2021-Q1 | json "[u['index'] for u in d['units'] if u['code'] == 'S2'][0]")"

# ------------------------------------------------------------ refusals
fig () { "$FIG" send --endpoint "$NEP" --server "$T/keys/nat.key.pub" --timeout 10000 "$@" || true; }
expect "tampered: bad_signature, seq 0" "status=rejected reason=bad_signature seq=0" \
  "$(fig --key "$T/keys/other.key" --code Z --period 2021-Q1 --seq 7 --catalogue "$CAT" --tamper)"
expect "first send accepted" "status=accepted reason=none seq=7" \
  "$(fig --key "$T/keys/other.key" --code Z --period 2021-Q1 --seq 7 --catalogue "$CAT")"
expect "replayed: duplicate, nothing changes" "status=duplicate reason=none seq=7" \
  "$(fig --key "$T/keys/other.key" --code Z --period 2021-Q1 --seq 7 --catalogue "$CAT")"
expect "same part under a new seq: duplicate" "status=duplicate reason=none seq=8" \
  "$(fig --key "$T/keys/other.key" --code Z --period 2021-Q1 --seq 8 --catalogue "$CAT")"
expect "unknown province key: unknown_agent, seq 0" "status=rejected reason=unknown_agent seq=0" \
  "$(fig --key "$T/keys/stranger.key" --code Z --period 2021-Q1 --seq 1 --catalogue "$CAT")"
expect "wrong catalogue: unexpected_catalogue" "status=rejected reason=unexpected_catalogue seq=9" \
  "$(fig --key "$T/keys/other.key" --code Z --period 2021-Q2 --seq 9)"
expect "a province signing for another: province_mismatch" "status=rejected reason=province_mismatch seq=10" \
  "$(fig --key "$T/keys/other.key" --code T --period 2021-Q2 --seq 10 --catalogue "$CAT")"
expect "refused messages stored nothing" "1" \
  "$(nsql "SELECT count(*) FROM national_message WHERE province = 'Z'")"

# ------------------------------------------------------------ kill -9 during a stream
: >"$T/acked"
stream () {   # stream FROM TO
  for i in $(seq "$1" "$2"); do
    out=$(fig --key "$T/keys/other.key" --code Z --period 2021-03 --version "$i" \
          --seq $((1000 + i)) --catalogue "$CAT" --timeout 3000 --units 50)
    case "$out" in status=accepted*|status=duplicate*) echo "$i" >>"$T/acked" ;; esac
  done
}
stream 1 60 &
SPID=$!
PIDS+=("$SPID")
wait_for "stream under way" "[ \$(wc -l <$T/acked) -ge 15 ] && echo yes" "yes" 120
kill -9 "$NPID"
wait "$NPID" 2>/dev/null || true
wait "$SPID" 2>/dev/null || true
ACKED=$(sort -un "$T/acked" | wc -l)
start_national
: >"$T/acked2"
for i in $(seq 1 60); do
  out=$(fig --key "$T/keys/other.key" --code Z --period 2021-03 --version "$i" \
        --seq $((1000 + i)) --catalogue "$CAT" --timeout 10000 --units 50)
  case "$out" in status=accepted*|status=duplicate*) echo "$i" >>"$T/acked2" ;; esac
done
expect "every message answered after the restart" "60" "$(sort -un "$T/acked2" | wc -l)"
MISSING=0
for i in $(sort -un "$T/acked"); do
  n=$(nsql "SELECT count(*) FROM national_message WHERE province = 'Z' AND seq = $((1000 + i))")
  [ "$n" = 1 ] || MISSING=$((MISSING + 1))
done
expect "acknowledged before the kill ($ACKED): all stored" "0" "$MISSING"
expect "60 versions, each exactly once" "60 60 60" \
  "$(echo $(nsql "SELECT count(*) FROM national_message WHERE province = 'Z' AND period = '2021-03'") \
          $(nsql "SELECT count(DISTINCT seq) FROM national_message WHERE province = 'Z' AND period = '2021-03'") \
          $(nsql "SELECT count(*) FROM national_version WHERE province = 'Z' AND period = '2021-03' AND complete_at IS NOT NULL"))"
expect "50 units per version, none twice" "3000" \
  "$(nsql "SELECT count(*) FROM national_unit WHERE province = 'Z' AND period = '2021-03'")"

# ------------------------------------------------------------ proof from the province's journal
expect "prove: version 2 equals the province's journal up to position 5" \
  "0 *journal of * replayed up to position 5*proved: all 4 units equal*" \
  "$(rc=0; out=$(nctl --criteria "$CAT" national prove --province-db "$P/collector.db" --province T --period 2021-Q1 2>&1) || rc=$?; echo "$rc $out" | tr '\n' ' ')"
expect "prove: version 1 from the journal up to its own position 4 (before the correction)" \
  "0 *up to position 4*proved: all 4 units equal*" \
  "$(rc=0; out=$(nctl --criteria "$CAT" national prove --province-db "$P/collector.db" --province T --period 2021-Q1 --version 1 2>&1) || rc=$?; echo "$rc $out" | tr '\n' ' ')"
expect "prove: another catalogue is refused" "1 *not the catalogue the figures were computed with*" \
  "$(rc=0; out=$(nctl --criteria "$SRC/data/criteria/default.ini" national prove --province-db "$P/collector.db" --province T --period 2021-Q1 2>&1) || rc=$?; echo "$rc $out" | tr '\n' ' ')"

# ------------------------------------------------------------ audit
rc=0; nctl audit >"$T/audit.out" 2>&1 || rc=$?
expect "audit re-verifies every figures message" "0 *national: 66 figures messages re-verified, 0 problems*" \
  "$rc $(cat "$T/audit.out")"
nsql "UPDATE national_unit SET idx = idx + 1 WHERE province = 'T' AND period = '2021-Q1' AND version = 2 AND code = 'S2'"
rc=0; nctl audit >"$T/audit2.out" 2>&1 || rc=$?
expect "audit finds an altered unit row" "1 *unit S2 differs from the signed body*1 problems*" \
  "$rc $(tr '\n' ' ' <"$T/audit2.out")"

# ------------------------------------------------------------ both structures in one database
S=$T/structures
"$CTL" --state "$S" units import "$SRC/data/national/vn-provinces-2021.csv" --valid-to 2025-06-30 >/dev/null
"$CTL" --state "$S" units import "$SRC/data/national/vn-provinces-2025.csv" --valid-from 2025-07-01 >/dev/null
expect "2021-Q1 is ranked with the 63 provinces" "63 63" \
  "$("$CTL" --state "$S" national rank --period 2021-Q1 --format json 2>/dev/null | json "' '.join(str(x) for x in [d['structure']['provinces'], d['missing']])" || echo no-tables)"
expect "2025-Q3 is ranked with the 34 provinces" "34 34" \
  "$("$CTL" --state "$S" national rank --period 2025-Q3 --format json 2>/dev/null | json "' '.join(str(x) for x in [d['structure']['provinces'], d['missing']])" || echo no-tables)"

finish
