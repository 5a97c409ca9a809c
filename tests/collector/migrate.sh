# migrate.sh — a database written by the release before schema 3 (fixtures/
# schema2.db, made by fixtures/make-schema2.sh with that release) upgrades in
# place on first open: the figures, the audit and the observation rows are
# those that release printed, and the collector goes on ingesting into it.
. "$(dirname "$0")/lib.sh"
FX=$SRC/tests/collector/fixtures
mkdir -p "$ST"
cp "$FX/schema2.db" "$DB"
expect before.version 2 "$(sql 'PRAGMA user_version')"

# same NAME — every figure, the audit and the observation rows as printed by
# the release that wrote the database
same () {
  for p in 2010-Q1 2010-Q2 2010; do
    "$CTL" --db "$DB" --criteria "$CATALOGUE" rollup --period "$p" --format csv --live \
        2>/dev/null | grep -v ',missing,' >"$T/rollup.$p.txt" || true
    if cmp -s "$FX/schema2.rollup.$p.txt" "$T/rollup.$p.txt"; then ok "$1.rollup.$p"
    else bad "$1.rollup.$p"; diff "$FX/schema2.rollup.$p.txt" "$T/rollup.$p.txt" | head -20 >&2; fi
  done
  expect "$1.audit" "$(cat "$FX/schema2.audit.txt")" "$("$CTL" --db "$DB" audit 2>&1 || true)"
  sql "SELECT agent, unit, metric, day, value, seq, journal FROM observation ORDER BY agent, metric, day" \
    >"$T/observation.txt"
  if cmp -s "$FX/schema2.observation.txt" "$T/observation.txt"; then ok "$1.observation"
  else bad "$1.observation"; fi
}
same v2

# first start: migrated in place, nothing else changed
start_collector
stop_collector
expect first.stop.rc 0 "$STOP_RC"
expect after.version "$(sed -n 's/.*CCHC_DB_VERSION \([0-9]*\).*/\1/p' "$SRC/collector/db/schema.h")" \
  "$(sql 'PRAGMA user_version')"
same migrated
expect integrity ok "$(sql 'PRAGMA integrity_check')"

# the collector starts on it and keeps going: a newly enrolled agent's report
# lands next to the old rows, and is counted once
mkdir -p "$T/keys"
"$CTL" keygen --out "$T/keys/n1.key" >/dev/null 2>&1
"$CTL" --state "$ST" agent enroll --unit SNV --name "Mới" --key-file "$T/keys/n1.key.pub" >/dev/null
start_collector
expect new.accepted "status=accepted*" \
  "$(send n1 --unit SNV --seq 1 --obs 'tthc_received,2010-01-03,78')"
expect new.duplicate "status=duplicate*" \
  "$(send n1 --unit SNV --seq 1 --obs 'tthc_received,2010-01-03,78')"
stop_collector
expect stop.rc 0 "$STOP_RC"
expect new.value 78 "$(sql "SELECT value FROM observation WHERE agent = 4 AND metric = 'tthc_received' AND day = 20100103")"
expect old.value 77 "$(sql "SELECT value FROM observation WHERE agent = 1 AND metric = 'tthc_received' AND day = 20100103")"
expect audit.after "audit: 245 journal rows re-verified, 2323 observations compared, 0 mismatches" \
  "$("$CTL" --db "$DB" audit 2>&1 || true)"
finish
