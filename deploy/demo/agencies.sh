#!/usr/bin/env bash
# agencies.sh — how the demo's agencies behave through the year 2021, on the
# demonstration clock (deploy/demo.sh runs it; figures from simulate.sh).
#
#   agencies.sh roles < CODE,LEVEL,NAME lines > CODE,LEVEL,NAME,ROLE,KIND lines
#   agencies.sh prepare DIR CODE LEVEL KIND   the agency's year, month by month
#   agencies.sh events < the roles > the year's events (SIM_MS ACTION ...)
#   agencies.sh play STATE CLOCK CTL CONF SHOWN_STATE < the roles
#
# prepare writes the agency's figures for the year (simulate.sh) into
# DIR/months/YYYY-MM.txt (and .csv), or for a sql source into its database
# with a `visible` column; during play a report is then one file moved into
# the source (exec: DIR/figures.txt, csv: DIR/inbox/) or one UPDATE (sql), so
# the year can run fast on a busy machine.
#
# KIND, the agent's source: sql (every 10th unit from the 3rd), csv (from the
# 7th), exec (the rest) — the three ways one-stop-shop software hands figures
# over.  ROLE, what the agency does each reporting month M (the days
# 15/(M-1) .. 14/M, Decree 09/2019; due days: communes 16th, districts 17th,
# departments 18th; lock on the 22nd):
#
#   ontime   reports M's figures on the 15th (a department or a district
#            sometimes on the 16th)
#   day17    reports on the 17th: the first department (on time: due the
#            18th) and the first commune (late: due the 16th)
#   late     reports on the 19th or 20th: after its due day, before the lock
#            (every 11th unit from the 4th)
#   correct  on time, then on the 20th corrects the 10th's dossiers resolved
#            online (+3): a correction before the lock (every 13th from the 6th)
#   after    the second department: on time, and on 02/04/2021 corrects a
#            figure of March — after 2021-Q1 locked on 22/03.  The collector
#            keeps it in the journal, the locked figures do not move; on
#            06/04 the operator reopens 2021-Q1 (cchcctl period reopen, with
#            a reason) and on 09/04 locks it again (version 2, new report)
#   silent   never reports: every 29th commune and the last one (its agent is
#            not started)
#
# play is the conductor of the demonstration clock (its gate, common/clock.h):
# it lets the clock run to the next instant something happens, holds it
# there, plays the agencies' events of that instant and keeps it held until
# their effects are in — every agency given figures has a message stored in
# the collector's journal, every period locking then has its report — so
# however busy the machine, no report arrives later on the simulated clock
# than planned and the year happens as written above (it only takes longer).
# It prints the story in Vietnamese: a line per locked month and period (from
# the "reports:" log lines of the collector and of cchcctl), the reopen, and
# a summary once the year 2021 is locked; then it holds the clock on the
# morning of 23/12/2021 and ends (the demo keeps serving the dashboard).
set -euo pipefail
cmd=${1:?roles or play}
here=$(cd "$(dirname "$0")" && pwd)

if [ "$cmd" = roles ]; then
  awk -F, '
  { n++; code[n] = $1; lv[n] = $2; nm[n] = $3
    kind[n] = (n % 10 == 3) ? "sql" : (n % 10 == 7) ? "csv" : "exec"
    r = "ontime"
    if ($2 == "so") so++
    if ($2 == "xa") xa++
    if ($2 == "so" && so == 1) r = "day17"
    else if ($2 == "so" && so == 2) r = "after"
    else if ($2 == "xa" && xa == 1) r = "day17"
    else if ($2 == "xa" && xa % 29 == 0) r = "silent"
    else if (n % 11 == 4) r = "late"
    else if (n % 13 == 6) r = "correct"
    role[n] = r
    if ($2 == "xa") last_xa = n
  }
  END {
    if (last_xa && role[last_xa] != "day17") role[last_xa] = "silent"
    for (i = 1; i <= n; i++) print code[i] "," lv[i] "," nm[i] "," role[i] "," kind[i]
  }'
  exit 0
fi

# local (UTC+7) midnight of YYYY-MM-DD, in UTC ms
day_ms () { echo $(( ($(date -u -d "$1" +%s) - 7 * 3600) * 1000 )); }

if [ "$cmd" = events ]; then
  roles=$(cat)
  # The year's events, "SIM_MS ACTION CODE LEVEL MONTH KIND", in time order (an
  # hour after midnight of the day).
  month0=()
  for m in $(seq 1 12); do printf -v first '2021-%02d-01' "$m"; month0[m]=$(day_ms "$first"); done
  {
    while IFS=, read -r code level name role kind; do
      h=$(( $(printf '%s' "$code" | cksum | cut -d' ' -f1) % 4 ))
      case $role in
        silent) continue ;;
        day17) d=17 ;;
        late) d=$(( 19 + h % 2 )) ;;
        *) d=15; if [ "$level" != xa ] && [ $h = 3 ]; then d=16; fi ;;
      esac
      for m in $(seq 1 12); do
        printf -v M '2021-%02d' "$m"
        echo "$(( month0[m] + (d - 1) * 86400000 + 3600000 )) report $code $level $M $kind"
        if [ "$role" = correct ]; then
          echo "$(( month0[m] + 19 * 86400000 + 3600000 )) correct $code $level $M $kind"
        fi
      done
    done <<< "$roles"
    # the schedule's locks of each month (and of the quarter, half, 9 months,
    # year ending with it) on the 22nd at 00:00: the conductor holds the
    # clock an hour later until the collector has locked them
    for m in $(seq 1 12); do
      printf -v lock '2021-%02d-22' "$m"
      printf '%s lock - - 2021-%02d -\n' "$(( $(day_ms "$lock") + 3600000 ))" "$m"
    done
    after=$(awk -F, '$4 == "after" {print $1 " " $2 " 2021-03 " $5; exit}' <<< "$roles")
    if [ -n "$after" ]; then
      echo "$(day_ms 2021-04-02) fix $after"
      echo "$(day_ms 2021-04-06) reopen - - 2021-Q1"
      echo "$(day_ms 2021-04-09) relock - - 2021-Q1"
    fi
  } | sort -n
  exit 0
fi

if [ "$cmd" = prepare ]; then
  d=$2 code=$3 level=$4 kind=$5
  mkdir -p "$d/months"
  # reporting month of a day: the 15th on belongs to the next month
  "$here/simulate.sh" "$code" "$level" 2020-12-15 2021-12-14 | awk -v dir="$d/months" -v kind="$kind" '
    { split($3, p, "-"); y = p[1] + 0; m = p[2] + 0
      if (p[3] + 0 >= 15) { m++; if (m > 12) { m = 1; y++ } }
      f = sprintf("%s/%04d-%02d", dir, y, m)
      if (kind == "sql") print $1 "," $3 "," $2 "," sprintf("%04d-%02d", y, m) > (dir "/all.csv")
      else if (kind == "csv") { if (!(f in seen)) { seen[f] = 1; print "metric,date,value" > (f ".csv") }
                               print $1 "," $3 "," $2 > (f ".csv") }
      else print > (f ".txt") }'
  if [ "$kind" = sql ]; then
    sqlite3 "$d/export.db" "CREATE TABLE figures (metric TEXT, day TEXT, value, month TEXT,
                            visible INTEGER NOT NULL DEFAULT 0)" \
      ".import --csv $d/months/all.csv figures_in" \
      "INSERT INTO figures (metric, day, value, month) SELECT * FROM figures_in" \
      "DROP TABLE figures_in"
    rm "$d/months/all.csv"
  fi
  exit 0
fi

[ "$cmd" = play ] || { echo "agencies.sh: roles, prepare or play" >&2; exit 2; }
state=$2 clock=$3 ctl=$4 conf=$5 shown=$6
spec=${clock#demo = }
IFS=, read -r start_iso speed anchor gate <<< "$spec"
start_ms=$(( $(date -u -d "$start_iso" +%s) * 1000 ))
# The gate (common/clock.h): "ANCHOR HOLD"; the clock of every process is
# min(START + (real - ANCHOR) * SPEED, HOLD).  demo.sh wrote the first one
# (held at START until the year begins).
read -r g_anchor g_hold < "$gate"
# the clocks from bash itself (no process per look): REAL and SIM, in ms
clocks () {
  local t=${EPOCHREALTIME/[.,]/}
  REAL=${t:0:13}; LIN=$(( start_ms + (REAL - g_anchor) * speed ))
  SIM=$(( LIN < g_hold ? LIN : g_hold ))
}
sim_ms () { clocks; echo "$SIM"; }
vi_day () { TZ=Asia/Ho_Chi_Minh date -d "@$(( $1 / 1000 ))" +%d/%m/%Y; }
# gate_to HOLD: the clock may go on until HOLD; from a hold it goes on from
# where it waited (a new anchor).  held_ms: how long the year waited.
held_ms=0 holds=0 longest=0
gate_to () {
  clocks
  if [ "$LIN" -ge "$g_hold" ]; then
    local waited=$(( (LIN - g_hold) / speed ))
    held_ms=$(( held_ms + waited )); holds=$((holds + 1))
    if [ "$waited" -gt "$longest" ]; then longest=$waited; fi
    g_anchor=$(( REAL - (g_hold - start_ms) / speed ))
  fi
  g_hold=$1
  printf '%s %s\n' "$g_anchor" "$g_hold" > "$gate.tmp" && mv -f "$gate.tmp" "$gate"
}

roles=$(cat)
log=$state/log/collector.log
ctl_log=$state/log/cchcctl.log
events=$state/agents/events     # agencies.sh events, written at setup

# Month M's figures (days 15/(M-1) .. 14/M) into the agency's source; with
# FIX_DAY, the correction of that day instead (3 more dossiers resolved
# online: only the changed figure, the agent sends what changed).
write_month () {   # write_month CODE MONTH KIND [FIX_DAY]
  local code=$1 M=$2 kind=$3 fix=${4:-} d=$state/agents/$1
  case $kind in
    sql)
      if [ -z "$fix" ]; then
        sqlite3 -cmd ".timeout 5000" "$d/export.db" "UPDATE figures SET visible = 1 WHERE month = '$M'"
      else
        sqlite3 -cmd ".timeout 5000" "$d/export.db" "UPDATE figures SET value = value + 3
          WHERE metric = 'tthc_resolved_online' AND day = '$fix'"
      fi ;;
    csv)
      if [ -z "$fix" ]; then
        cp "$d/months/$M.csv" "$d/inbox/.tmp" && mv "$d/inbox/.tmp" "$d/inbox/figures-$M.csv"
      else
        awk -F, -v day="$fix" 'NR == 1 || ($1 == "tthc_resolved_online" && $2 == day) {
            if (NR > 1) $3 += 3; print }' OFS=, "$d/months/$M.csv" > "$d/inbox/.fix"
        mv "$d/inbox/.fix" "$d/inbox/fix-$fix.csv"
      fi ;;
    *)
      if [ -z "$fix" ]; then
        cp "$d/months/$M.txt" "$d/figures.tmp"
      else
        awk -v day="$fix" '$1 == "tthc_resolved_online" && $3 == day {print $1, $2 + 3, $3}' \
          "$d/months/$M.txt" > "$d/figures.tmp"
      fi
      mv "$d/figures.tmp" "$d/figures.txt" ;;
  esac
}

name_of () { awk -F, -v c="$1" '$1 == c {print $3; exit}' <<< "$roles"; }
period_name () {
  case $1 in
    *-Q1) echo "Quý I/${1%-*}" ;; *-Q2) echo "Quý II/${1%-*}" ;;
    *-Q3) echo "Quý III/${1%-*}" ;; *-Q4) echo "Quý IV/${1%-*}" ;;
    *-H1) echo "6 tháng đầu năm ${1%-*}" ;; *-H2) echo "6 tháng cuối năm ${1%-*}" ;;
    *-9M) echo "9 tháng năm ${1%-*}" ;;
    *-*) echo "Tháng $((10#${1#*-}))/${1%-*}" ;;
    *) echo "Năm $1" ;;
  esac
}
lock_day () {   # the 22nd of the period's last month
  case $1 in
    *-Q1) echo "22/03/${1%-*}" ;; *-Q2|*-H1) echo "22/06/${1%-*}" ;;
    *-Q3|*-9M) echo "22/09/${1%-*}" ;; *-Q4|*-H2) echo "22/12/${1%-*}" ;;
    *-*) echo "22/${1#*-}/${1%-*}" ;; *) echo "22/12/$1" ;;
  esac
}

# The story: new "reports:" lines of the collector's log (the schedule's
# locks) and of cchcctl's (the operator's relock), in Vietnamese.
seen_c=0; seen_o=0; locks=0
story () {
  story_of "$log" seen_c
  story_of "$ctl_log" seen_o
}
story_of () {   # story_of LOG COUNTER
  local lines line_file=$1 n
  local -n seen=$2
  lines=$(grep -a 'reports: ' "$line_file" 2>/dev/null | tail -n +$((seen + 1))) || true
  [ -n "$lines" ] || return 0
  while IFS= read -r line; do
    seen=$((seen + 1))
    # "reports: 2021-Q1 v1: 164 units, 160 complete, 151 on time: PATH (6 files)"
    local rest=${line#*reports: } id v units complete ontime path=""
    id=${rest%% *}; rest=${rest#* v}; v=${rest%%:*}
    read -r units _ complete _ ontime _ <<< "$(sed 's/^[0-9]*: //; s/,//g' <<< "$rest")"
    case $rest in *" on time: "*) path=${rest#* on time: }; path=${path% (*} ;; esac
    [[ "$v" =~ ^[0-9]+$ ]] || continue
    locks=$((locks + 1))
    local when what="đã khóa"
    when=$(lock_day "$id")
    if [ "$v" -gt 1 ]; then when=$(vi_day "$(sim_ms)"); what="khóa lại (lần $v)"; fi
    local text="$when — $(period_name "$id") $what: $complete/$units đơn vị đủ số liệu, $ontime đúng hạn"
    if [ -n "$path" ]; then text="$text; báo cáo: ${path/#$state/$shown}"; fi
    echo "$text"
  done <<< "$lines"
  return 0
}

wait_until () {   # wait_until SIM_MS — telling the story meanwhile
  local n=0
  clocks
  while [ "$SIM" -lt "$1" ]; do
    n=$((n + 1)); if [ $((n % 5)) = 0 ]; then story; fi
    sleep 0.05
    clocks
  done
}

db=$state/collector.db
# settle: the clock stays at the instant of the events just played until
# their effects are in: every agency that was given figures has had a message
# stored by the collector since (its journal), every period that locked at
# this instant has its report ("reports:" in the collector's log).  A guard
# of 600 real seconds (a hung agent or collector): then it goes on, says so
# (gate-timeouts, for the test) and the checks of the year show what was lost.
settle () {   # settle AT 'CODE','CODE',... MONTH_LOCKED|-
  local at=$1 codes=$2 lock=$3 want=0 ids="" i got t0 n=0 n_loop=0
  if [ -n "$codes" ]; then want=$(tr -cd , <<< "$codes"); want=${#want}; fi
  if [ "$lock" != - ]; then
    ids=$lock
    case ${lock#*-} in
      03) ids="$ids ${lock%-*}-Q1" ;;
      06) ids="$ids ${lock%-*}-Q2 ${lock%-*}-H1" ;;
      09) ids="$ids ${lock%-*}-Q3 ${lock%-*}-9M" ;;
      12) ids="$ids ${lock%-*}-Q4 ${lock%-*}-H2 ${lock%-*}" ;;
    esac
  fi
  t0=$SECONDS
  while :; do
    got=1
    if [ "$want" -gt 0 ]; then
      n=$(sqlite3 -readonly -cmd ".timeout 5000" "$db" "SELECT count(DISTINCT a.unit)
            FROM journal j JOIN agent a ON a.id = j.agent
            WHERE j.received_at >= $at AND a.unit IN (${codes#,})" 2>/dev/null) || n=0
      [ "${n:-0}" -ge "$want" ] || got=0
    fi
    for i in $ids; do
      [ $got = 1 ] || break
      grep -aq "reports: $i v1:" "$log" 2>/dev/null || got=0
    done
    [ $((++n_loop % 4)) = 1 ] && story
    [ $got = 1 ] && { story; return 0; }
    if [ $(( SECONDS - t0 )) -ge 600 ]; then
      echo "$at ${n:-0}/$want [$codes] [$ids]" >> "$state/agents/gate-timeouts"
      echo "demo: đồng hồ mô phỏng đã chờ 600 giây mà chưa đủ: ${n:-0}/$want đơn vị gửi số liệu, kỳ khóa [$ids]; chạy tiếp" >&2
      return 0
    fi
    sleep 0.2
  done
}

# The year, instant by instant: the clock is held at each instant that has
# events until they are played and settled, then released to the next one.
cur=; codes=; lock=-
while read -r at action code level M kind; do
  if [ "$at" != "$cur" ]; then
    [ -z "$cur" ] || settle "$cur" "$codes" "$lock"
    gate_to "$at"
    wait_until "$at"
    cur=$at codes= lock=-
  fi
  case $action in
    report) write_month "$code" "$M" "$kind"; codes="$codes,'$code'" ;;
    correct) write_month "$code" "$M" "$kind" "$M-10"; codes="$codes,'$code'" ;;
    fix) write_month "$code" "$M" "$kind" "$M-10"; codes="$codes,'$code'"
         echo "$(vi_day "$at") — $(name_of "$code") gửi điều chỉnh số liệu tháng ${M#*-}/${M%-*} sau khi Quý I/2021 đã khóa: số liệu đã khóa không đổi, trang tổng hợp báo “có điều chỉnh sau khóa sổ”" ;;
    lock) lock=$M ;;
    reopen) "$ctl" --config "$conf" period reopen --period "$M" \
              --reason "nhận số liệu điều chỉnh sau khóa sổ" >/dev/null 2>>"$ctl_log" \
              && echo "$(vi_day "$at") — Sở Nội vụ mở lại $(period_name "$M") để nhận số liệu điều chỉnh (cchcctl period reopen)" ;;
    relock) "$ctl" --config "$conf" period lock --period "$M" >/dev/null 2>>"$ctl_log" || true ;;
  esac
done < "$events"
[ -z "$cur" ] || settle "$cur" "$codes" "$lock"
# The year played and its figures locked (the last instant, 22/12/2021,
# settled on the year's report): the clock goes on to the next morning and
# stays there while the dashboard is served (a clock running on into 2022
# would show every agency as not having reported January).
gate_to $(( $(day_ms 2021-12-23) + 8 * 3600000 ))
story
n_files=$(find "$state/reports" -name 'bao-cao*.pdf' 2>/dev/null | wc -l)
# (for tests/demo/test_timelapse.sh: how long the clock waited for everyone)
echo "held_ms=$held_ms holds=$holds longest_ms=$longest" > "$state/agents/held"
echo
echo "Tóm tắt năm 2021: $locks lần khóa số liệu (12 tháng, 4 quý, 2 kỳ 6 tháng, 9 tháng, năm"
echo "  và Quý I/2021 khóa lại sau khi mở); $n_files báo cáo PDF trong $shown/reports/"
echo "  (kèm XLSX, CSV); cchcctl --config $shown/collector.ini period list xem nhật ký khóa, mở lại."
echo "  Đồng hồ mô phỏng đã chờ các đơn vị và máy chủ $(( held_ms / 1000 )) giây thực ($holds lần)."
