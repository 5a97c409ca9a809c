#!/usr/bin/env bash
# test_timelapse.sh SRC BUILD WORK — deploy/demo.sh plays the year 2021 (a
# simulated day a real second, six communes) and the year is checked as it
# happened (deploy/demo/agencies.sh says who does what):
#   - every 2021 quarter, half-year, 9 months and the year locked by the
#     schedule at its lock instant (the 22nd, 00:00 local; within the hour
#     the clock waits after it for the lock)
#   - in every quarter's locked figures at least one late unit (complete but
#     after its due day), one silent unit (no data) and one corrected figure
#     (the correcting agency's 10th-of-month dossiers resolved online, +3)
#   - per-level due days: the agency of each level that reports on the 17th
#     is late as a commune (due the 16th) and on time as a department (18th)
#   - the correction sent after 2021-Q1 locked: in the journal after the
#     lock's position (kept out of the locked figures), then counted once the
#     quarter was reopened and locked again (version 2, a second report)
#   - the report files: a PDF per quarter, half, 9 months and year whose
#     text (pdftotext) has the province, a unit name with diacritics and the
#     first ranked department's index; v2 beside v1 for 2021-Q1
#   - the terminal's story: a line per lock, the reopen, the summary
#   - screenshots of the dashboard during and after the year (headless
#     Chromium, when installed): WORK/screens/
#   - Ctrl-C leaves no process.
# The demonstration clock waits at each instant something happens until the
# agencies and the collector have done it (the gate, common/clock.h), so the
# checks hold on a busy machine: the year just takes longer.  Waits are hang
# guards (the year takes about 400 s plus setup on an idle machine; the
# guards are 4800 s each); nothing asserts how long it took.
set -uo pipefail
src=$1; build=$2; work=$3
state=$work/timelapse-state; log=$work/timelapse.out
rm -rf "$state" "$work/screens"; mkdir -p "$work/screens"
PASSED=0 FAILED=0
ok () { echo "ok   $1"; PASSED=$((PASSED + 1)); }
bad () { echo "FAIL $1" >&2; FAILED=$((FAILED + 1)); }
stop_demo () {
  [ -n "${demo:-}" ] || return 0
  kill -INT -- "-$demo" 2>/dev/null
  for _ in $(seq 1 240); do kill -0 "$demo" 2>/dev/null || break; sleep 0.5; done
}
fail () { echo "FAIL: $*"; tail -n 30 "$log"; stop_demo; echo "$PASSED passed, $((FAILED + 1)) failed"; exit 1; }
free_port () { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port); http=$(free_port)
while [ "$http" = "$port" ]; do http=$(free_port); done
speed=86400
chromium=$(command -v chromium || command -v chromium-browser || true)
# Headless Chromium (when installed) with a profile of its own, as
# tests/dashboard/test_browser.c: the page as drawn (PNG) or its DOM.
browse () {   # browse PATH --screenshot=FILE | --dump-dom
  timeout 180 "$chromium" --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --user-data-dir="$work/chromium-profile" --window-size=1400,1000 \
    --virtual-time-budget=8000 "$2" "http://127.0.0.1:$http/$1" 2>/dev/null
}
shot () {   # shot NAME PATH [TEXT...] — a screenshot, and the page says TEXT
  [ -n "$chromium" ] || return 0
  local name=$1 path=$2 dom want; shift 2
  rm -f "$work/screens/$name.png"
  browse "$path" --screenshot="$work/screens/$name.png" >/dev/null || true
  [ "$(head -c 4 "$work/screens/$name.png" 2>/dev/null | od -An -c | tr -d ' ')" = "211PNG" ] \
    && [ "$(stat -c %s "$work/screens/$name.png")" -gt 20000 ] \
    && ok "screenshot $name" || bad "screenshot $name"
  dom=$(browse "$path" --dump-dom) || true
  for want in "$@"; do
    grep -qF -- "$want" <<< "$dom" && ok "$name shows '$want'" || bad "$name does not show '$want'"
  done
}
# The status API: the units marked silent ("Không gửi tin") are the agencies
# that had to report and did not: by the plan (agents/events, not what the
# collector saw), those without a report since the round their level last
# had to answer (the 15th of the latest month whose due day — communes 16th,
# districts 17th, departments 18th — is over) and quiet for 7 days: the
# silent agencies, and briefly the ones that send after their due day.
# Monthly reporters between two rounds are not silent.
silent_check () {   # silent_check WHEN PERIOD
  local got
  got=$(curl -sf "http://127.0.0.1:$http/api/v1/status?period=$2" \
        | python3 -c '
import datetime, json, sys
st = json.load(sys.stdin)
now = int(datetime.datetime.fromisoformat(st["now"]).timestamp() * 1000)
tz = datetime.timezone(datetime.timedelta(hours=7))
def local_ms(y, m, d):
    return int(datetime.datetime(y, m, d, tzinfo=tz).timestamp() * 1000)
def round_start(due):
    t = datetime.datetime.fromtimestamp(now / 1000, tz)
    y, m = t.year, t.month
    for _ in range(3):
        if local_ms(y, m, due) + 86400000 <= now:
            return local_ms(y, m, 15)
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return 0
due = {"xa": 16, "huyen": 17, "so": 18}
roles = [l.rstrip("\n").split(",") for l in open(sys.argv[1])]
sent, acting = {}, set()     # acting: sending at this very instant (held)
for l in open(sys.argv[2]):
    at, action, code = l.split()[:3]
    if action in ("report", "correct", "fix") and int(at) == now:
        acting.add(code)
    elif action in ("report", "correct", "fix") and int(at) < now:
        sent[code] = max(sent.get(code, 0), int(at))
want = sorted(r[0] for r in roles if r[0] not in acting and
              (r[0] not in sent or (sent[r[0]] < round_start(due[r[1]])
                                    and now - sent[r[0]] >= 7 * 86400000)))
got = sorted(u["code"] for u in st["units"] if u["silent"] and u["code"] not in acting)
print(st["now"], " ".join(got) if got == want else "DIFFER got %s want %s" % (got, want))
' "$state/agents/roles" "$state/agents/events") || got="no status"
  case $got in
    *DIFFER*|"no status") bad "$1: silent units: $got" ;;
    *) ok "$1: silent units are the agencies that had to report and did not ($got)" ;;
  esac
}

python3 -c 'import os, signal, sys; os.setsid(); signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])' \
    bash "$src/deploy/demo.sh" --no-build --build "$build" --state "$state" \
    --port "$port" --http-port "$http" --communes 6 --speed "$speed" >"$log" 2>&1 &
demo=$!
# Whatever happens next (a failure, a skip, a demo slow to stop), nothing of
# the demo outlives the test: its process group and anything naming its state.
trap 'kill -KILL -- "-$demo" 2>/dev/null; pkill -KILL -f -- "$state" 2>/dev/null' EXIT

# During the year: the dashboard at the second quarter (after 2021-Q1 locked)
for _ in $(seq 1 4800); do
  sleep 1
  kill -0 "$demo" 2>/dev/null || fail "demo.sh exited early"
  grep -q "Quý I/2021 đã khóa" "$log" && break
done
grep -q "Quý I/2021 đã khóa" "$log" || fail "2021-Q1 never locked"
silent_check "during the year" 2021-Q2
shot during-overview "#/tong-quan" "Thời gian mô phỏng" "/2021"
shot during-status "#/tinh-hinh-bao-cao?period=2021-Q1" "Tình hình gửi số liệu" "Không gửi tin"
# The whole year
for _ in $(seq 1 4800); do
  grep -q "Tóm tắt năm 2021" "$log" && break
  kill -0 "$demo" 2>/dev/null || fail "demo.sh exited early"
  sleep 1
done
grep -q "Tóm tắt năm 2021" "$log" || fail "the year never ended"
# The conductor held the demonstration clock at each instant something
# happened until the agencies and the collector had done it (agencies.sh
# play): however busy the machine, nobody acted late on the simulated clock.
# How long the year waited for them is printed, not asserted; a wait given up
# after its 600 s guard (a hung agent or collector) fails.
echo "the clock waited for the agencies and the collector: $(cat "$state/agents/held" 2>/dev/null)"
if [ -s "$state/agents/gate-timeouts" ]; then
  bad "the clock gave up waiting: $(cat "$state/agents/gate-timeouts")"
else
  ok "every instant settled (no wait gave up)"
fi
silent_check "after the year" 2021
shot after-ranking "#/xep-hang/so?period=2021" "Sở Nội vụ"
shot after-report "#/bao-cao?period=2021-Q1" "TỈNH TUYÊN QUANG"
shot after-status "#/tinh-hinh-bao-cao?period=2021-Q4" "Không gửi tin"
sed -n '/năm 2021 tua nhanh/,$p' "$log"

db=$state/collector.db
sql () { sqlite3 -cmd ".timeout 10000" "$db" "$1"; }
ctl () { "$build/collector/cchcctl" --config "$state/collector.ini" "$@"; }
lock_ms () {   # the 22nd of the period's last month, 00:00 local, in UTC ms
  local m
  case $1 in *-Q1) m=03 ;; *-Q2|*-H1) m=06 ;; *-Q3|*-9M) m=09 ;; *) m=12 ;; esac
  echo $(( ($(date -u -d "2021-$m-22" +%s) - 7 * 3600) * 1000 ))
}

# 1. Every 2021 period but the months locked by the schedule at its instant
for p in 2021-Q1 2021-Q2 2021-Q3 2021-Q4 2021-H1 2021-H2 2021-9M 2021; do
  first=$(sql "SELECT who || ' ' || at FROM period_event WHERE period = '$p' AND event = 'locked' ORDER BY id LIMIT 1")
  state_now=$(sql "SELECT state FROM period_result WHERE period = '$p'")
  # at its instant: not before, and while the clock waited an hour after it
  if [ "${first%% *}" = schedule ] && [ "${first#* }" -ge "$(lock_ms "$p")" ] \
     && [ "${first#* }" -le $(( $(lock_ms "$p") + 3600000 )) ] && [ "$state_now" = locked ]; then
    ok "lock.$p by the schedule at its lock instant"
  else
    bad "lock.$p: first lock '$first', state '$state_now' (instant $(lock_ms "$p"))"
  fi
done

# 2. The quarters' locked figures: late, silent, corrected; per-level due days
roles=$state/agents/roles
day17_xa=$(awk -F, '$4 == "day17" && $2 == "xa" {print $1; exit}' "$roles")
day17_so=$(awk -F, '$4 == "day17" && $2 == "so" {print $1; exit}' "$roles")
correct=$(awk -F, '$4 == "correct" && $5 == "exec" {print $1; exit}' "$roles")
for q in 1 2 3 4; do
  p=2021-Q$q
  ctl rollup --period "$p" --format json > "$work/$p.json" 2>/dev/null || bad "rollup $p"
  read -r late silent xa so <<< "$(python3 - "$work/$p.json" "$day17_xa" "$day17_so" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
us = {u["code"]: u for u in d["units"]}
late = sum(1 for u in d["units"] if u["complete"] and not u["on_time"])
silent = sum(1 for u in d["units"] if u["metrics_reported"] == 0)
def st(c):
    u = us.get(c)
    return "none" if not u else "on_time" if u["on_time"] else "late" if u["complete"] else "incomplete"
print(late, silent, st(sys.argv[2]), st(sys.argv[3]))
EOF
)"
  [ "${late:-0}" -ge 1 ] && ok "$p: $late late" || bad "$p: no late unit"
  [ "${silent:-0}" -ge 1 ] && ok "$p: $silent silent" || bad "$p: no silent unit"
  [ "$xa" = late ] && ok "$p: a commune reporting on the 17th is late" || bad "$p: commune on the 17th is $xa"
  [ "$so" = on_time ] && ok "$p: a department reporting on the 17th is on time" || bad "$p: department on the 17th is $so"
  # the corrected figure: the month's figures +3 on the 10th of each month
  want=$(cat "$state/agents/$correct"/months/2021-$(printf %02d $((3 * q - 2))).txt \
             "$state/agents/$correct"/months/2021-$(printf %02d $((3 * q - 1))).txt \
             "$state/agents/$correct"/months/2021-$(printf %02d $((3 * q))).txt \
         | awk '$1 == "tthc_resolved_online" {s += $2} END {print s + 9}')
  got=$(ctl rollup --period "$p" --unit "$correct" --format json 2>/dev/null | python3 -c '
import json, sys
u = json.load(sys.stdin)["units"][0]
print(int([m for m in u["metrics"] if m["code"] == "tthc_resolved_online"][0]["value"]))' 2>/dev/null)
  [ "$got" = "$want" ] && ok "$p: $correct's corrections counted ($got)" || bad "$p: $correct resolved online $got, want $want"
done

# 3. The correction after 2021-Q1 locked
after=$(awk -F, '$4 == "after" {print $1; exit}' "$roles")
agent=$(sql "SELECT id FROM agent WHERE unit = '$after' LIMIT 1")
fix=$(sql "SELECT journal || ' ' || value FROM observation WHERE agent = $agent AND metric = 'tthc_resolved_online' AND day = 20210310")
orig=$(awk '$1 == "tthc_resolved_online" && $3 == "2021-03-10" {print $2}' "$state/agents/$after/months/2021-03.txt")
pos1=$(sql "SELECT journal_pos FROM period_event WHERE period = '2021-Q1' AND event = 'locked' ORDER BY id LIMIT 1")
[ "${fix#* }" = "$((orig + 3))" ] && ok "after-lock correction stored (${fix#* })" || bad "after-lock correction: '$fix', original $orig"
[ "${fix%% *}" -gt "$pos1" ] && ok "after-lock correction kept out of the first lock (journal ${fix%% *} > $pos1)" \
  || bad "after-lock correction journal ${fix%% *} not after the lock's $pos1"
events=$(sql "SELECT group_concat(event, ',') FROM (SELECT event FROM period_event WHERE period = '2021-Q1' ORDER BY id)")
[ "$events" = "locked,reopened,locked" ] && ok "2021-Q1 locked, reopened, locked again" || bad "2021-Q1 events: $events"
pos2=$(sql "SELECT journal_pos FROM period_event WHERE period = '2021-Q1' AND event = 'locked' ORDER BY id DESC LIMIT 1")
[ "$pos2" -ge "${fix%% *}" ] && ok "the relock counts the correction" || bad "relock position $pos2 < ${fix%% *}"

# 4. The report files
for p in 2021-Q1 2021-Q2 2021-Q3 2021-Q4 2021-H1 2021-H2 2021-9M 2021; do
  [ -s "$state/reports/$p/bao-cao.pdf" ] && ok "report $p" || bad "report $p missing"
done
[ -s "$state/reports/2021-Q1/bao-cao-v2.pdf" ] && ok "report 2021-Q1 v2 beside v1" || bad "no 2021-Q1 v2"
text=$(pdftotext -layout "$state/reports/2021/bao-cao.pdf" - 2>/dev/null)
first=$(ctl rollup --period 2021 --format json 2>/dev/null | python3 -c '
import json, sys
u = [u for u in json.load(sys.stdin)["units"] if u["level"] == "so" and u.get("rank") == 1][0]
print(("%.2f" % u["index"]).replace(".", ","))')
for want in "TỈNH TUYÊN QUANG" "Sở Nội vụ" "SỐ LIỆU ĐÃ KHÓA" "$first"; do
  grep -qF -- "$want" <<< "$text" && ok "pdf has '$want'" || bad "pdf lacks '$want'"
done

# 5. The story in the terminal
for want in "Tháng 1/2021 đã khóa" "Quý I/2021 đã khóa" "báo cáo: " "mở lại Quý I/2021" \
            "Quý I/2021 khóa lại (lần 2)" "Năm 2021 đã khóa" "Tóm tắt năm 2021"; do
  grep -qF -- "$want" "$log" && ok "says '$want'" || bad "does not say '$want'"
done

# 6. Ctrl-C
stop_demo
kill -0 "$demo" 2>/dev/null && bad "demo.sh still running 120 s after Ctrl-C"
sleep 0.5
left=$(pgrep -f -- "$state" | wc -l)
[ "$left" = 0 ] && ok "Ctrl-C: no process left" || { pgrep -af -- "$state"; bad "$left processes left"; }
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
