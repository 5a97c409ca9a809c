# tables.sh — collector/db/ owns the database: no collector code outside it
# names a table in SQL.  Files not yet moved over are listed in STILL below;
# the test fails when any other file names a table, and when a listed file no
# longer does (take it off the list: the list only shrinks); and when a file
# outside db/ prepares or runs a statement of its own.
#   usage: bash tables.sh SOURCE_DIR
set -euo pipefail
SRC=$1
STILL=""
TABLES=$(sed -n 's/.*CREATE TABLE IF NOT EXISTS \([a-z_]*\).*/\1/p' "$SRC"/collector/db/schema.h \
         | sort -u | paste -sd'|')
[ -n "$TABLES" ] || { echo "FAIL no tables found in collector/db/schema.h" >&2; exit 1; }
PATTERN="(FROM|JOIN|INTO|UPDATE|TABLE|EXISTS) +($TABLES)\\b|'($TABLES)'"
cd "$SRC"
FOUND=$(grep -rlE "$PATTERN" collector --include='*.c' --include='*.h' | grep -v '^collector/db/' | sort || true)
FAILED=0
for f in $FOUND; do
  case " $(echo $STILL) " in
    *" $f "*) ;;
    *) echo "FAIL $f names a table outside collector/db/:" >&2
       grep -nE "$PATTERN" "$f" | head -5 >&2; FAILED=1 ;;
  esac
done
for f in $STILL; do
  if ! grep -qx "$f" <<<"$FOUND"; then
    echo "FAIL $f no longer names a table: take it off STILL in tests/collector/tables.sh" >&2
    FAILED=1
  fi
done
# nor runs SQL of its own: statements are prepared and run in db/ only
RUNS=$(grep -rlE "sqlite3_(prepare|exec)" collector --include='*.c' --include='*.h' | grep -v '^collector/db/' || true)
for f in $RUNS; do
  echo "FAIL $f runs SQL outside collector/db/:" >&2
  grep -nE "sqlite3_(prepare|exec)" "$f" | head -5 >&2; FAILED=1
done
echo "tables ($TABLES): named outside collector/db/ by $(echo "$FOUND" | grep -c . || true) files (still to move: $(echo $STILL | wc -w))"
[ "$FAILED" -eq 0 ]
