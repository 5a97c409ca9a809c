#!/usr/bin/env bash
# simulate.sh — the demo's stand-in for an agency's one-stop-shop software:
# prints plausible daily figures as "METRIC VALUE DATE" lines (the agent's
# `exec` source format) for one unit.
#
#   simulate.sh UNIT LEVEL [FROM [TO]]
#
# Figures are deterministic per (unit, metric, day), so re-running prints the
# same values and the agent sends nothing new; they scatter around the 2021
# plan's targets with a per-unit "quality" so agencies differ.  Days FROM..TO;
# without them the reporting year 2021 (2020-12-15..2021-12-14) plus the last
# three real days, where today's counters grow with the hour (the --live demo).
# A correction of an earlier figure (3 more dossiers resolved online that day,
# sent by the agent with a higher seq): DEMO_CORRECT_DAY=YYYY-MM-DD, or
# DEMO_CORRECT_AT=EPOCH for 2021-03-10 from that real time on (if not 0).
set -euo pipefail
unit=${1:?unit code}; level=${2:?level so|huyen|xa}
from=${3:-2020-12-15}; to=${4:-2021-12-14}; live=1; [ $# -ge 4 ] && live=0
now_s=$(date -u +%s)
today=$(TZ=Asia/Ho_Chi_Minh date -d "@$now_s" +%F)
hour=$(TZ=Asia/Ho_Chi_Minh date -d "@$now_s" +%H)
if [ $live = 0 ]; then today=none; fi
fix=${DEMO_CORRECT_DAY:-}
if [ -z "$fix" ] && [ "${DEMO_CORRECT_AT:-0}" -gt 0 ] && [ "$now_s" -ge "${DEMO_CORRECT_AT:-0}" ]; then
  fix=2021-03-10
fi
{
  days=$(( ($(date -u -d "$to" +%s) - $(date -u -d "$from" +%s)) / 86400 ))
  seq 0 "$days" | sed "s/.*/$from + & days/" | date -u -f - +%F
  if [ $live = 1 ]; then
    printf '@%s\n' $((now_s - 172800)) $((now_s - 86400)) "$now_s" | TZ=Asia/Ho_Chi_Minh date -f - +%F
  fi
} | awk -v unit="$unit" -v level="$level" -v today="$today" -v hour="$hour" \
        -v fix="$fix" '
function h(s,   i, x) {                 # deterministic hash of a string -> [0,1)
  x = 2166136261
  for (i = 1; i <= length(s); i++) x = (x * 16777619 + index(chars, substr(s, i, 1))) % 4294967296
  return x / 4294967296
}
function rnd(key) { return h(unit "/" key) }
function n(mean, key) { return int(mean * (0.6 + 0.8 * rnd(key)) + 0.5) }      # count around mean
function part(total, rate, key,   r) {   # a share of total around rate
  r = rate * (0.93 + 0.14 * rnd(key)); if (r > 1) r = 1
  return int(total * r + rnd(key "#") )
}
BEGIN {
  chars = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_./#"
  q = 0.78 + 0.3 * h(unit)                 # unit quality: 0.78..1.08
  scale = (level == "so") ? 14 : (level == "huyen") ? 30 : 4
  wf = (level == "so") ? 0.82 : (level == "huyen") ? 0.62 : 0.35
  procs = (level == "so") ? 120 : (level == "huyen") ? 260 : 110
}
!seen[$1]++ {
  day = $1; split(day, p, "-")
  f = (day == today) ? (hour + 1) / 24 : 1        # today: a part of the day so far
  k = day
  rec = int(n(scale, k "rec") * f); one = part(rec, 0.97 + 0.03 * q, k "one")
  onl = part(rec, 0.3 * q, k "onl"); post = part(rec, 0.21 * q, k "post")
  res = int(n(scale, k "res") * f); reso = part(res, 0.26 * q, k "reso")
  if (day == fix) reso += 3
  ont = part(res, 0.9 + 0.1 * q, k "ont"); late = res - ont; apo = part(late, q, k "apo")
  print "tthc_received", rec, day;           print "tthc_received_one_stop", one, day
  print "tthc_received_online", onl, day;    print "tthc_postal", post, day
  print "tthc_resolved", res, day;           print "tthc_resolved_online", reso, day
  print "tthc_resolved_on_time", ont, day;   print "tthc_resolved_late", late, day
  print "tthc_late_apologized", apo, day
  fb = (rnd(k "fbq") < 0.2) ? 1 : 0;         print "feedback_received", fb, day
  print "feedback_resolved", (rnd(k "fbr") < q) ? fb : 0, day
  sv = int(n(3, k "sv") * f);                print "survey_responses", sv, day
  print "survey_satisfied", part(sv, 0.86 * q, k "sat"), day
  ds = int(n(scale / 2 + 2, k "ds") * f);    print "docs_sent", ds, day
  print "docs_sent_electronic", part(ds, 0.96 * q, k "dse"), day
  w = int(n(scale / 2 + 1, k "wf") * f);     print "workfiles", w, day
  print "workfiles_online", part(w, wf * q, k "wfo"), day
  # Events that happen now and then: a real export reports 0 on the other days.
  lg = (rnd(k "lg") < ((level == "xa") ? 0.01 : 0.04)) ? 1 : 0
  print "legal_docs_issued", lg, day; print "legal_docs_proper", (lg && rnd(k "lgp") < 0.9 + 0.1 * q) ? 1 : 0, day
  pt = (rnd(k "pt") < 0.1) ? 1 : 0
  print "par_tasks_planned", pt, day; print "par_tasks_done", (pt && rnd(k "ptd") < q) ? 1 : 0, day
  ft = (rnd(k "ft") < 0.05) ? 1 : 0
  print "finance_tasks_planned", ft, day; print "finance_tasks_done", (ft && rnd(k "ftd") < q) ? 1 : 0, day
  t = (rnd(k "tr") < 0.08) ? n(4, k "trn") : 0
  print "training_planned", t, day; print "training_done", part(t, q, k "trd"), day
  print "discipline_cases", (rnd(k "dc") < 0.003) ? 1 : 0, day
  if (p[3] == "15" || day == today) {       # gauges: monthly, and today
    pr = procs + int(10 * rnd(p[1] p[2] "pr"))
    print "tthc_procedures", pr, day
    print "tthc_procedures_published", part(pr, 0.99 + 0.01 * q, p[1] p[2] "pub"), day
    po = part(pr, 0.66 * q, p[1] p[2] "po"); print "tthc_procedures_online", po, day
    print "tthc_procedures_national", part(po, 0.42 * q, p[1] p[2] "pn"), day
    sq = n(40, "sq"); print "staff_quota", sq, day
    print "staff_actual", sq - int(3 * rnd(p[1] p[2] "sa")) + ((q > 1.05) ? 1 : 0), day
  }
}'
