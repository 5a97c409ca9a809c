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
# play prints the story in Vietnamese: a line per locked month and period
# (from the collector's "reports:" log lines), the reopen, and a summary once
# the year 2021 is locked; then it ends (the demo keeps serving).
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
IFS=, read -r start_iso speed anchor <<< "$spec"
start_ms=$(( $(date -u -d "$start_iso" +%s) * 1000 ))
# the clocks from bash itself (no process per look): REAL and SIM, in ms
clocks () { local t=${EPOCHREALTIME/[.,]/}; REAL=${t:0:13}; SIM=$(( start_ms + (REAL - anchor) * speed )); }
sim_ms () { clocks; echo "$SIM"; }
vi_day () { TZ=Asia/Ho_Chi_Minh date -d "@$(( $1 / 1000 ))" +%d/%m/%Y; }

roles=$(cat)
log=$state/log/collector.log
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

# The story: new "reports:" lines of the collector's log, in Vietnamese.
seen=0; locks=0; year_done=0
story () {
  local lines
  lines=$(grep -a 'reports: ' "$log" 2>/dev/null | tail -n +$((seen + 1))) || true
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
    if [ "$id" = 2021 ]; then year_done=1; fi
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

last_story=0 behind=0
while read -r at action code level M kind; do
  wait_until "$at"
  # how far behind the clock the agencies acted (a busy machine)
  if [ $(( SIM - at )) -gt "$behind" ]; then behind=$(( SIM - at )); fi
  # behind the clock on a busy machine: the story still every second
  clocks
  if [ $(( REAL - last_story )) -ge 1000 ]; then story; last_story=$REAL; fi
  case $action in
    report) write_month "$code" "$M" "$kind" ;;
    correct) write_month "$code" "$M" "$kind" "$M-10" ;;
    fix) write_month "$code" "$M" "$kind" "$M-10"
         echo "$(vi_day "$at") — $(name_of "$code") gửi điều chỉnh số liệu tháng ${M#*-}/${M%-*} sau khi Quý I/2021 đã khóa: số liệu đã khóa không đổi, trang tổng hợp báo “có điều chỉnh sau khóa sổ”" ;;
    reopen) "$ctl" --config "$conf" period reopen --period "$M" \
              --reason "nhận số liệu điều chỉnh sau khóa sổ" >/dev/null \
              && echo "$(vi_day "$at") — Sở Nội vụ mở lại $(period_name "$M") để nhận số liệu điều chỉnh (cchcctl period reopen)" ;;
    relock) "$ctl" --config "$conf" period lock --period "$M" >/dev/null || true ;;
  esac
done < "$events"

# Until the year's figures are locked (22/12/2021), then a summary.
end=$(( $(day_ms 2021-12-23) ))
while [ $year_done = 0 ]; do
  story
  [ "$(sim_ms)" -gt $(( end + 30 * 86400000 )) ] && break
  sleep 0.1
done
story
n_files=$(find "$state/reports" -name 'bao-cao*.pdf' 2>/dev/null | wc -l)
# (for tests/demo/test_timelapse.sh: the agencies kept up with the clock?)
echo "behind_ms=$behind" > "$state/agents/behind"
echo
echo "Tóm tắt năm 2021: $locks lần khóa số liệu (12 tháng, 4 quý, 2 kỳ 6 tháng, 9 tháng, năm"
echo "  và Quý I/2021 khóa lại sau khi mở); $n_files báo cáo PDF trong $shown/reports/"
echo "  (kèm XLSX, CSV); cchcctl --config $shown/collector.ini period list xem nhật ký khóa, mở lại."
