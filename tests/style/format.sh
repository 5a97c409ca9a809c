#!/usr/bin/env bash
# format.sh — every C file of the tree is in the house style of .clang-format
# (applied tree-wide in one commit; this keeps it).  Prints the files that
# differ and how to fix them; exit 1 then.  clang-format's output differs
# between major versions, so the check runs with Debian 12's clang-format 14
# (deploy/install-deps.sh installs it) and says it is skipped otherwise.
#
#   format.sh SOURCE_DIR
set -euo pipefail
cd "$1"
if ! command -v clang-format >/dev/null; then
  echo "format: clang-format is needed (deploy/install-deps.sh installs it)" >&2
  exit 1
fi
major=$(clang-format --version | sed -n 's/.*version \([0-9]*\)\..*/\1/p')
if [ "$major" != 14 ]; then
  echo "format: skipped: clang-format $major, the house style is kept with 14"
  exit 77
fi
files=$(git ls-files --cached --others --exclude-standard '*.c' '*.h' 2>/dev/null \
        || find agent bench collector common fuzz proto tests -name '*.[ch]')
bad=()
for f in $files; do
  clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [ ${#bad[@]} -gt 0 ]; then
  printf 'format: not in the house style: %s\n' "${bad[@]}" >&2
  echo "format: fix with: clang-format -i ${bad[*]}" >&2
  exit 1
fi
echo "format: $(echo "$files" | wc -w) files in the house style"
