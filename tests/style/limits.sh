#!/usr/bin/env bash
# limits.sh — the size limits of the product code (agent, collector, common,
# proto; not tests, bench or fuzz), so they stay true:
#   - no file in collector/ over 1,000 lines
#   - no C function over 100 lines (counted by universal-ctags, from the line
#     of its name to its closing brace)
# Known offenders still to split are listed in limits.known ("file PATH N" or
# "function PATH:NAME N"): nothing new may join them (exit 1); one that grew
# past its count is reported (a warning, so work in flight is not blocked:
# lower the counts or split instead).  Exit 0 otherwise.
#
#   limits.sh SOURCE_DIR
set -euo pipefail
src=$1
cd "$src"
known=tests/style/limits.known
if ! ctags --version 2>/dev/null | grep -q 'Universal Ctags'; then
  echo "limits: universal-ctags is needed (deploy/install-deps.sh installs it)" >&2
  exit 1
fi
found=$(mktemp)
trap 'rm -f "$found"' EXIT
for f in $(git ls-files --cached --others --exclude-standard 'collector/*.c' 'collector/*.h' 2>/dev/null || find collector -name '*.[ch]'); do
  n=$(wc -l <"$f")
  [ "$n" -gt 1000 ] && echo "file $f $n" >>"$found"
done
files=$(git ls-files --cached --others --exclude-standard 'agent/*.c' 'collector/*.c' 'common/*.c' 'proto/*.c' 2>/dev/null \
        || find agent collector common proto -name '*.c')
# shellcheck disable=SC2086
ctags --languages=C --kinds-C=f --fields=+ne -x --_xformat='%N %F %n %e' $files \
  | awk '{ n = $4 - $3 + 1; if (n > 100) print "function " $2 ":" $1 " " n }' >>"$found"
fail=0
while read -r kind what n; do
  limit=$(awk -v k="$kind" -v w="$what" '$1 == k && $2 == w { print $3 }' "$known" 2>/dev/null)
  if [ -z "$limit" ]; then
    max=100; [ "$kind" = file ] && max=1000
    echo "limits: $kind $what: $n lines, over $max" >&2
    fail=1
  elif [ "$n" -gt "$limit" ]; then
    echo "limits: warning: $kind $what grew to $n lines (was $limit, still to split)" >&2
  fi
done <"$found"
total=$(wc -l <"$found")
if [ $fail = 0 ]; then
  echo "limits: no new offender ($total known ones still to split, limits.known)"
fi
exit $fail
