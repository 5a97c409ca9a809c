#!/usr/bin/env bash
# reports.sh FIXTURES CCHCCTL SOURCE_DIR WORK — the report files of a lock
# (collector/reports.h) on the Tuyên Quang sample (tests/dashboard/fixture.h)
# with cchcctl on a demonstration clock (20/12/2021):
#   - report --pdf: an A4 PDF whose text (pdftotext, poppler-utils) has the
#     national motto, the province, units named with their diacritics, each
#     level's due day and the index of the first ranked department
#   - period lock writes reports/2021-Q1/ (PDF, Markdown, XLSX, CSV) saying
#     "SỐ LIỆU ĐÃ KHÓA"; reopen and lock again writes version 2 beside it
#   - months get no files
set -euo pipefail
fixtures=$1 ctl=$2 src=$3 work=$4
rm -rf "$work"; mkdir -p "$work"
PASSED=0 FAILED=0
ok () { echo "ok   $1"; PASSED=$((PASSED + 1)); }
bad () { echo "FAIL $1" >&2; FAILED=$((FAILED + 1)); }
has () { if grep -qF -- "$2" <<< "$3"; then ok "$1"; else bad "$1: '$2' not found"; fi; }
db=$work/tq.db ini=$src/data/criteria/default.ini
"$fixtures" "$db" "$ini" "$work/small.db" >/dev/null
ctlc () { "$ctl" --db "$db" --criteria "$ini" --set collector.reports="$work/reports" \
                 --set clock.demo=2021-12-20T03:00:00Z "$@"; }

# 1. By hand: cchcctl report --pdf
ctlc report --period 2021-Q1 --pdf "$work/q1.pdf" 2>"$work/err" || { cat "$work/err"; bad report_pdf; }
info=$(pdfinfo "$work/q1.pdf")
has pdf.is_pdf "Producer:        cairo" "$info"
has pdf.a4 "595.28 x 841.89 pts (A4)" "$info"
text=$(pdftotext -layout "$work/q1.pdf" -)
has pdf.motto "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" "$text"
has pdf.motto2 "Độc lập - Tự do - Hạnh phúc" "$text"
has pdf.province "TỈNH TUYÊN QUANG" "$text"
has pdf.title "Kết quả thực hiện công tác cải cách hành chính quý I năm 2021" "$text"
has pdf.unit_diacritics "Sở Giáo dục và Đào tạo" "$text"
has pdf.commune "Xã Phúc Yên" "$text"
has pdf.due_commune "UBND cấp xã ngày 16/03/2021" "$text"
has pdf.due_department "Sở, ban, ngành ngày 18/03/2021" "$text"
has pdf.draft "DỰ THẢO — SỐ LIỆU TẠM TÍNH" "$text"
# the first ranked department's index, as the report writes it (97,67)
first=$(ctlc rollup --period 2021-Q1 --format json 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
u = [u for u in d["units"] if u["level"] == "so" and u.get("rank") == 1][0]
print(("%.2f" % u["index"]).replace(".", ","), u["name"])')
has pdf.first_index "${first%% *}" "$text"
has pdf.first_name "${first#* }" "$text"

# 2. At the lock: the files
out=$(ctlc period lock --period 2021-Q1 2>&1)
has lock.logged "reports: 2021-Q1 v1: 49 units" "$out"
for f in bao-cao.pdf bao-cao.md xep-hang.xlsx xep-hang.csv tong-hop.xlsx tong-hop.csv; do
  [ -s "$work/reports/2021-Q1/$f" ] && ok "lock.file.$f" || bad "lock.file.$f missing"
done
has lock.final "SỐ LIỆU ĐÃ KHÓA" "$(pdftotext "$work/reports/2021-Q1/bao-cao.pdf" -)"
has lock.csv "Sở Giáo dục và Đào tạo" "$(cat "$work/reports/2021-Q1/xep-hang.csv")"
[ -z "$(ls "$work/reports/2021-Q1" | grep -v -E '^(bao-cao|xep-hang|tong-hop)\.')" ] \
  && ok lock.no_temporaries || bad "lock.no_temporaries: $(ls "$work/reports/2021-Q1")"

# 3. Reopen and lock again: version 2 beside version 1
ctlc period reopen --period 2021-Q1 --reason "kiểm tra" >/dev/null 2>&1
out=$(ctlc period lock --period 2021-Q1 2>&1)
has relock.logged "reports: 2021-Q1 v2:" "$out"
[ -s "$work/reports/2021-Q1/bao-cao-v2.pdf" ] && ok relock.v2 || bad "relock.v2 missing"
[ -s "$work/reports/2021-Q1/bao-cao.pdf" ] && ok relock.v1_kept || bad "relock.v1_kept"
[ -s "$work/reports/2021-Q1/xep-hang-v2.xlsx" ] && ok relock.xlsx_v2 || bad "relock.xlsx_v2"

# 4. A month: logged, no files
out=$(ctlc period lock --period 2021-03 2>&1)
has month.logged "reports: 2021-03 v1: 49 units" "$out"
[ ! -e "$work/reports/2021-03" ] && ok month.no_files || bad month.no_files

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
