/*  schema.h — the collector database: the one commented definition of every
    table, owned by collector/db/ (db.h).  SQLite, WAL mode, foreign keys on.
    Nothing outside collector/db/ names a table or runs a statement
    (tests/collector/tables.sh): the ingest writer, the roll-up, the API,
    the period keeper, the national role and cchcctl go through db/'s
    headers (db.h, delta.h, figures.h, periods.h, national.h, audit.h).

    Conventions: times are UTC milliseconds since the Unix epoch (INTEGER);
    local days (Asia/Ho_Chi_Minh) are INTEGER yyyymmdd (20210314), so they sort
    and compare as numbers and read as dates; keys are 32-byte BLOBs.

    CCHC_DB_SCHEMA_SQL + CCHC_DB_MONTH_SQL + CCHC_DB_MONTH_POSITION_SQL +
    CCHC_DB_MONTH_TRIGGERS_SQL + CCHC_DB_NATIONAL_SQL is the current schema in
    one piece: a new database gets it and user_version =
    CCHC_DB_VERSION.  An older database walks the migration chain instead
    (collector/db/migrate.c, one step per version; db.h says how to add one);
    test_store.c checks that both end with the same sqlite_master.

    Version history (PRAGMA user_version):
      1  initial schema
      2  observation's primary key ordered (agent, day, metric) and its day
         index on (day) alone: one report's rows (one agent, mostly one day)
         are neighbours in both B-trees, so a commit touches a few pages
         instead of one per row (CCHC_DB_MIGRATE_1_2).
      3  the roll-up's summary observation_month (below) is part of the
         schema, created by the chain instead of by the roll-up at start: a
         table with an older key is rebuilt, an empty one filled from the
         observation rows, its triggers created.
      4  no observation_by_day index: each stored value costs one B-tree
         insert instead of two (a quarter of the writer's time); first and
         last days and date ranges are read per agent along the key
         (CCHC_DB_MIGRATE_3_4).
      5  the national role's tables (CCHC_DB_NATIONAL_SQL) are part of the
         schema, created by the chain in every database instead of by the
         national collector or cchcctl national when they first ran; a
         database that already had them keeps them as they were.
      6  the agent's clock as its messages show it: agent.clock_skew,
         clock_ahead, clock_at (CCHC_DB_MIGRATE_5_6).
      7  observation_month is kept by a follower outside the ingest
         transactions: journal rows carry the days of their observations
         (day_first, day_last), month_position says up to which journal id
         the summary holds every change (CCHC_DB_MIGRATE_6_7; collector/db/
         month.c, db.h "the summary").
      8  observation's primary key ordered (day, agent, metric): a batch
         of reports of the same days (what agents send: today, yesterday)
         lands side by side in the B-tree, so a commit writes a few pages
         instead of one or more per agent (the writer's SQL alone 47 ->
         26 us per report in bench/storage, the writer thread 55-59 -> 49-52
         us in bench/collector); one agent's date range is read by a seek per day
         (CCHC_DB_DAYS), a date range of every agent along the key
         (CCHC_DB_MIGRATE_7_8).

    Who writes what: the collector's writer thread appends to journal and
    upserts observation and the agent counters (one transaction per group
    commit), and between those brings observation_month up to date
    (month_position; kept by triggers for any other writer); cchcctl writes unit
    and agent (import, enrol, revoke); the collector rewrites stats every
    second; the period keeper writes period_result and period_event
    (CCHC_DB_PERIODS_SQL, created by the keeper: their presence says the
    database has a keeper, collector/periods/periods.h).  Triggers on agent bump
    enrolment.version, which a running collector polls to see enrolment
    changes without a restart.  A national collector writes the national_*
    tables (CCHC_DB_NATIONAL_SQL; in every database, empty unless the
    database is a national one).
*/
#ifndef CCHC_DB_SCHEMA_H
#define CCHC_DB_SCHEMA_H

#define CCHC_DB_VERSION 8

#define CCHC_DB_SCHEMA_SQL                                                                  \
    "-- Organisation units, valid on local days [valid_from, valid_to].\n"                  \
    "-- A reorganisation adds rows with new validity; past rows stay.\n"                    \
    "CREATE TABLE IF NOT EXISTS unit (\n"                                                   \
    "  code       TEXT NOT NULL,          -- GSO code or department mnemonic\n"             \
    "  name       TEXT NOT NULL,          -- Vietnamese name, UTF-8\n"                      \
    "  kind       TEXT NOT NULL,          -- Tỉnh, Sở, Huyện, Xã, Phường, ...\n"  \
    "  level      TEXT NOT NULL CHECK (level IN ('tinh','so','huyen','xa')),\n"             \
    "  parent     TEXT,                   -- parent unit code, NULL for the province\n"     \
    "  valid_from INTEGER NOT NULL DEFAULT 10101,     -- yyyymmdd, inclusive\n"             \
    "  valid_to   INTEGER NOT NULL DEFAULT 99991231,  -- yyyymmdd, inclusive\n"             \
    "  PRIMARY KEY (code, valid_from),\n"                                                   \
    "  CHECK (valid_from <= valid_to)\n"                                                    \
    ");\n"                                                                                  \
    "\n"                                                                                    \
    "-- Enrolled agents: one Ed25519 key each, reporting for one unit.\n"                   \
    "CREATE TABLE IF NOT EXISTS agent (\n"                                                  \
    "  id          INTEGER PRIMARY KEY,\n"                                                  \
    "  pubkey      BLOB NOT NULL UNIQUE CHECK (length(pubkey) = 32),\n"                     \
    "  unit        TEXT NOT NULL,         -- unit code the key reports for\n"               \
    "  name        TEXT NOT NULL,         -- display name\n"                                \
    "  enrolled_at INTEGER NOT NULL,      -- UTC ms\n"                                      \
    "  revoked_at  INTEGER,               -- UTC ms; NULL while active\n"                   \
    "  last_seen   INTEGER,               -- UTC ms of the last message, any outcome\n"     \
    "  last_seq    INTEGER NOT NULL DEFAULT 0,  -- highest accepted seq\n"                  \
    "  accepted    INTEGER NOT NULL DEFAULT 0,  -- messages accepted\n"                     \
    "  duplicates  INTEGER NOT NULL DEFAULT 0,  -- messages answered duplicate\n"           \
    "  rejected    INTEGER NOT NULL DEFAULT 0,  -- messages rejected\n"                     \
    "  -- The agent's clock as its reports show it (version 6; the writer, per\n"           \
    "  -- authenticated report): created - received, collector clock.  > 0 is\n"            \
    "  -- certain: the agent's clock is (at least) that far ahead; < 0 is its\n"            \
    "  -- clock behind, or the report waited in the agent's outbox (an outage).\n"          \
    "  clock_skew  INTEGER,                     -- ms, newest report; NULL: none yet\n"     \
    "  clock_ahead INTEGER NOT NULL DEFAULT 0,  -- ms, the most it was ever ahead\n"        \
    "  clock_at    INTEGER                      -- UTC ms when clock_skew was taken\n"      \
    ");\n"                                                                                  \
    "\n"                                                                                    \
    "-- Every accepted message, exactly as signed: re-verifiable forever.\n"                \
    "-- id is the journal position; (agent, seq) makes ingest exactly-once.\n"              \
    "CREATE TABLE IF NOT EXISTS journal (\n"                                                \
    "  id          INTEGER PRIMARY KEY,\n"                                                  \
    "  agent       INTEGER NOT NULL REFERENCES agent(id),\n"                                \
    "  seq         INTEGER NOT NULL,\n"                                                     \
    "  received_at INTEGER NOT NULL,      -- UTC ms (collector clock)\n"                    \
    "  body        BLOB NOT NULL,         -- the exact msgpack body bytes\n"                \
    "  sig         BLOB NOT NULL CHECK (length(sig) = 64),\n"                               \
    "  refused     TEXT,                  -- observations refused at ingest, NULL if\n"     \
    "                                     -- none: 'index:reason,...' ascending (reason\n"  \
    "                                     -- codes of proto.h); the others were stored\n"   \
    "  day_first   INTEGER,               -- first and last day (yyyymmdd) of the\n"        \
    "  day_last    INTEGER,               -- observations it carries; NULL when it wrote\n" \
    "                                     -- none the summary's follower must fold in\n"    \
    "                                     -- (rows kept by triggers, older releases)\n"     \
    "  UNIQUE (agent, seq)\n"                                                               \
    ");\n"                                                                                  \
    "\n"                                                                                    \
    "-- Current value of each (agent, metric, day): last writer wins by seq.\n"             \
    "-- A unit's value for (metric, day) is the sum over the unit's agents.\n"              \
    "-- Key order (day, agent, metric): the rows of a batch of reports of\n"                \
    "-- the same days are side by side (one agent's dates: CCHC_DB_DAYS).\n"                \
    "CREATE TABLE IF NOT EXISTS observation (\n"                                            \
    "  agent   INTEGER NOT NULL REFERENCES agent(id),\n"                                    \
    "  unit    TEXT NOT NULL,             -- copied from the agent at write time\n"         \
    "  metric  TEXT NOT NULL,\n"                                                            \
    "  day     INTEGER NOT NULL,          -- yyyymmdd, local\n"                             \
    "  value   NOT NULL CHECK (typeof(value) IN ('integer','real')),\n"                     \
    "  seq     INTEGER NOT NULL,          -- seq of the message that set it\n"              \
    "  journal INTEGER NOT NULL REFERENCES journal(id),\n"                                  \
    "  PRIMARY KEY (day, agent, metric)\n"                                                  \
    ") WITHOUT ROWID;\n"                                                                    \
    "-- No secondary index (each would cost a B-tree insert per row): a date\n"             \
    "-- range is read along the key, one agent's by a seek per day.\n"                      \
    "\n"                                                                                    \
    "-- Enrolment change counter: one row, bumped by the triggers below on every\n"         \
    "-- change of who may report (not by the ingest counters).\n"                           \
    "CREATE TABLE IF NOT EXISTS enrolment (\n"                                              \
    "  id      INTEGER PRIMARY KEY CHECK (id = 1),\n"                                       \
    "  version INTEGER NOT NULL\n"                                                          \
    ");\n"                                                                                  \
    "INSERT OR IGNORE INTO enrolment (id, version) VALUES (1, 0);\n"                        \
    "CREATE TRIGGER IF NOT EXISTS agent_enrolled AFTER INSERT ON agent\n"                   \
    "  BEGIN UPDATE enrolment SET version = version + 1; END;\n"                            \
    "CREATE TRIGGER IF NOT EXISTS agent_changed\n"                                          \
    "  AFTER UPDATE OF pubkey, unit, name, revoked_at ON agent\n"                           \
    "  BEGIN UPDATE enrolment SET version = version + 1; END;\n"                            \
    "CREATE TRIGGER IF NOT EXISTS agent_removed AFTER DELETE ON agent\n"                    \
    "  BEGIN UPDATE enrolment SET version = version + 1; END;\n"                            \
    "\n"                                                                                    \
    "-- Operating counters of the running collector (cchcctl stats), rewritten\n"           \
    "-- every stats interval: counts since the collector started, gauges now.\n"            \
    "CREATE TABLE IF NOT EXISTS stats (\n"                                                  \
    "  name       TEXT PRIMARY KEY,       -- e.g. accepted, rejected.bad_signature\n"       \
    "  value      NOT NULL,               -- integer or real\n"                             \
    "  updated_at INTEGER NOT NULL        -- UTC ms\n"                                      \
    ");\n"

/*  Version 1 → 2: rebuild observation with the new key order (its triggers
    and index go with the old table; step 2 re-creates the index, step 3 the
    triggers). */
/*  Rebuild observation as `v` keyed by `key` (a list of its columns),
    copied in key order, then renamed: the steps that change its key. */
#define CCHC_DB_OBSERVATION_REKEY(v, key)                                       \
    "CREATE TABLE " v " (\n"                                                    \
    "  agent   INTEGER NOT NULL REFERENCES agent(id),\n"                        \
    "  unit    TEXT NOT NULL,\n"                                                \
    "  metric  TEXT NOT NULL,\n"                                                \
    "  day     INTEGER NOT NULL,\n"                                             \
    "  value   NOT NULL CHECK (typeof(value) IN ('integer','real')),\n"         \
    "  seq     INTEGER NOT NULL,\n"                                             \
    "  journal INTEGER NOT NULL REFERENCES journal(id),\n"                      \
    "  PRIMARY KEY (" key ")\n"                                                 \
    ") WITHOUT ROWID;\n"                                                        \
    "INSERT INTO " v " (agent, unit, metric, day, value, seq, journal)\n"       \
    "  SELECT agent, unit, metric, day, value, seq, journal FROM observation\n" \
    "  ORDER BY " key ";\n"                                                     \
    "DROP TABLE observation;\n"                                                 \
    "ALTER TABLE " v " RENAME TO observation;\n"
#define CCHC_DB_MIGRATE_1_2                                            \
    CCHC_DB_OBSERVATION_REKEY ("observation_v2", "agent, day, metric") \
    "CREATE INDEX IF NOT EXISTS observation_by_day ON observation (day);\n"

/*  Version 7 → 8: rebuild observation keyed (day, agent, metric), copied
    in key order (44 s for 18.4 million rows on the 2-core machine: the
    chain logs each step first).  Its triggers go with the old table and
    are created again here. */
#define CCHC_DB_MIGRATE_7_8                                            \
    CCHC_DB_OBSERVATION_REKEY ("observation_v8", "day, agent, metric") \
    CCHC_DB_MONTH_TRIGGERS_SQL

/*  The local days from a to b (yyyymmdd expressions, a <= b) as the rows of
    a common table expression days (day), to join observation with: one
    agent's rows of a date range are then read by a seek per (day, agent)
    instead of along every agent's rows of those days.  Each step goes to
    the next day number of the month (a missing day such as 20210230 only
    costs a seek that finds nothing), then to the 1st of the next month.
    (Not usable inside a trigger: SQLite has no WITH there.) */
#define CCHC_DB_DAYS(a, b)                                             \
    "WITH RECURSIVE days (day) AS (SELECT " a " UNION ALL SELECT CASE" \
    " WHEN day % 100 < 31 THEN day + 1"                                \
    " WHEN day / 100 % 100 < 12 THEN (day / 100 + 1) * 100 + 1"        \
    " ELSE (day / 10000 + 1) * 10000 + 101 END FROM days WHERE day < " b ") "

/*  The same backwards: the days from b down to a (b >= a), latest first, as
    the rows of back (day); read lazily, so a LIMIT stops it at the first
    day that has what the query asks. */
#define CCHC_DB_DAYS_BACK(a, b)                                        \
    "WITH RECURSIVE back (day) AS (SELECT " b " UNION ALL SELECT CASE" \
    " WHEN day % 100 > 1 THEN day - 1"                                 \
    " WHEN day / 100 % 100 > 1 THEN day - 100 + 30"                    \
    " ELSE (day / 10000 - 1) * 10000 + 1231 END FROM back WHERE day > " a ") "

/*  observation_month — the roll-up's summary of the daily rows (delta.h
    says what it holds and how it is kept): per (agent, month, metric, unit), the
    sum and count of the observation rows, their first and last day, the
    value and journal id of the last day's row, and the newest journal id.
    A month here is a Decree 09/2019 reporting month (15th to 14th):
    yyyymm of the month the day reports in, CCHC_DB_MONTH(x) in SQL,
    cchc_period_month_of in C.  Kept equal to the observation rows by the
    triggers below for any connection that writes observation, and by the
    collector's writer (trigger-less) from the changes it summed itself. */
/*  The same in SQL, of an expression x (yyyymmdd). */
#define CCHC_DB_MONTH(x)                                              \
    "(CASE WHEN " x " % 100 < 15 THEN " x " / 100"                    \
    " WHEN " x " / 100 % 100 = 12 THEN (" x " / 10000 + 1) * 100 + 1" \
    " ELSE " x " / 100 + 1 END)"
/*  First and last day of the month in column `month`. */
#define CCHC_DB_MONTH_FIRST_OF(m)                                      \
    "(CASE WHEN " m " % 100 = 1 THEN (" m " / 100 - 1) * 10000 + 1215" \
    " ELSE (" m " - 1) * 100 + 15 END)"
#define CCHC_DB_MONTH_LAST_OF(m) "(" m " * 100 + 14)"
#define CCHC_DB_MONTH_FIRST CCHC_DB_MONTH_FIRST_OF ("month")
#define CCHC_DB_MONTH_LAST CCHC_DB_MONTH_LAST_OF ("month")

/*  Add row NEW to its month. */
#define CCHC_DB_ADD_NEW                                                             \
    "INSERT INTO observation_month VALUES (NEW.agent, NEW.metric, " CCHC_DB_MONTH ( \
        "NEW.day") ", NEW.unit, NEW.value, 1, NEW.day, NEW.day, NEW.value,"         \
                   " NEW.journal, NEW.journal)"                                     \
                   " ON CONFLICT (agent, month, metric, unit) DO UPDATE SET"        \
                   " total = total + excluded.total, rows = rows + 1,"              \
                   " day_first = min (day_first, excluded.day_first),"              \
                   " day_last = max (day_last, excluded.day_last),"                 \
                   " last_value = CASE WHEN excluded.day_last >= day_last"          \
                   "   THEN excluded.last_value ELSE last_value END,"               \
                   " last_journal = CASE WHEN excluded.day_last >= day_last"        \
                   "   THEN excluded.last_journal ELSE last_journal END,"           \
                   " journal_max = max (journal_max, excluded.journal_max);"

#define CCHC_DB_OLD_KEY                                                             \
    " WHERE agent = OLD.agent AND metric = OLD.metric AND month = " CCHC_DB_MONTH ( \
        "OLD.day") " AND unit = OLD.unit"
#define CCHC_DB_OLD_ROWS                               \
    " FROM observation AS o WHERE o.agent = OLD.agent" \
    " AND o.metric = OLD.metric AND o.unit = OLD.unit" \
    " AND o.day BETWEEN " CCHC_DB_MONTH_FIRST " AND " CCHC_DB_MONTH_LAST

/*  Take row OLD out of its month (the observation table no longer has it). */
#define CCHC_DB_REMOVE_OLD                                                                    \
    "UPDATE observation_month SET total = total - OLD.value, rows = rows - 1" CCHC_DB_OLD_KEY \
    ";"                                                                                       \
    "DELETE FROM observation_month" CCHC_DB_OLD_KEY " AND rows <= 0;"                         \
    "UPDATE observation_month SET"                                                            \
    " day_first = (SELECT min (o.day)" CCHC_DB_OLD_ROWS "),"                                  \
    " day_last = (SELECT max (o.day)" CCHC_DB_OLD_ROWS "),"                                   \
    " last_value = (SELECT o.value" CCHC_DB_OLD_ROWS " ORDER BY o.day DESC LIMIT 1),"         \
    " last_journal = (SELECT o.journal" CCHC_DB_OLD_ROWS                                      \
    " ORDER BY o.day DESC LIMIT 1)" CCHC_DB_OLD_KEY                                           \
    " AND (day_first = OLD.day OR day_last = OLD.day);"

/*  The summary table.  Its key puts one agent's month of all metrics side by
    side (what a report touches, and what a roll-up reads); the index
    answers a gauge's "latest month" per (agent, metric). */
#define CCHC_DB_MONTH_SQL                                    \
    "CREATE TABLE IF NOT EXISTS observation_month (\n"       \
    "  agent        INTEGER NOT NULL,\n"                     \
    "  metric       TEXT NOT NULL,\n"                        \
    "  month        INTEGER NOT NULL,\n"                     \
    "  unit         TEXT NOT NULL,\n"                        \
    "  total        NOT NULL,\n"                             \
    "  rows         INTEGER NOT NULL,\n"                     \
    "  day_first    INTEGER NOT NULL,\n"                     \
    "  day_last     INTEGER NOT NULL,\n"                     \
    "  last_value   NOT NULL,\n"                             \
    "  last_journal INTEGER NOT NULL,\n"                     \
    "  journal_max  INTEGER NOT NULL,\n"                     \
    "  PRIMARY KEY (agent, month, metric, unit)\n"           \
    ") WITHOUT ROWID;\n"                                     \
    "CREATE INDEX IF NOT EXISTS observation_month_by_metric" \
    " ON observation_month (agent, metric, month);\n"

/*  How far observation_month is settled (schema 7).  The collector's writer
    does not touch the summary in its ingest transactions; a follower
    (collector/db/month.c, cchc_db_month_follow, run by the writer between
    them in transactions of its own) rebuilds from the observation rows every
    (agent, month) that the journal rows after `journal` carry days of
    (journal.day_first .. day_last), then moves `journal` on, in one
    transaction.  So at any time:
      - a month of an agent that no journal row after `journal` covers is
        exact in observation_month;
      - the others ("pending") are read from the observation rows by the
        readers, in their own snapshot (cchc_db_month_settle): every reader
        sees the figures as of its snapshot, whatever the follower's lag;
      - a crash loses nothing: the rows are the truth, the position moves
        only with the rebuilt months, and a rebuild counts nothing twice.
    Connections that write observation with triggers on (tests, the national
    replay) keep the summary current themselves; their journal rows leave
    the days NULL, or the follower rebuilds the same figures again. */
#define CCHC_DB_MONTH_POSITION_SQL                                                       \
    "CREATE TABLE IF NOT EXISTS month_position (\n"                                      \
    "  id      INTEGER PRIMARY KEY CHECK (id = 1),\n"                                    \
    "  journal INTEGER NOT NULL          -- every journal row <= it is in the summary\n" \
    ");\n"                                                                               \
    "INSERT OR IGNORE INTO month_position (id, journal) VALUES (1, 0);\n"

/*  The triggers are dropped and created again on every apply, so a changed
    definition replaces an older one. */
#define CCHC_DB_MONTH_TRIGGERS_SQL                                                    \
    "DROP TRIGGER IF EXISTS observation_month_insert;\n"                              \
    "DROP TRIGGER IF EXISTS observation_month_update;\n"                              \
    "DROP TRIGGER IF EXISTS observation_month_move;\n"                                \
    "DROP TRIGGER IF EXISTS observation_month_delete;\n"                              \
    "CREATE TRIGGER observation_month_insert"                                         \
    " AFTER INSERT ON observation BEGIN " CCHC_DB_ADD_NEW " END;\n"                   \
    "CREATE TRIGGER observation_month_update"                                         \
    " AFTER UPDATE ON observation"                                                    \
    " WHEN OLD.agent IS NEW.agent AND OLD.metric IS NEW.metric"                       \
    " AND OLD.day IS NEW.day AND OLD.unit IS NEW.unit BEGIN"                          \
    " UPDATE observation_month SET total = total - OLD.value + NEW.value,"            \
    " last_value = CASE WHEN NEW.day = day_last THEN NEW.value ELSE last_value END,"  \
    " last_journal = CASE WHEN NEW.day = day_last THEN NEW.journal"                   \
    "   ELSE last_journal END,"                                                       \
    " journal_max = max (journal_max, NEW.journal)"                                   \
    " WHERE agent = NEW.agent AND month = " CCHC_DB_MONTH (                           \
        "NEW.day") " AND metric = NEW.metric AND unit = NEW.unit; END;\n"             \
                   "CREATE TRIGGER observation_month_move"                            \
                   " AFTER UPDATE ON observation"                                     \
                   " WHEN OLD.agent IS NOT NEW.agent OR OLD.metric IS NOT NEW.metric" \
                   " OR OLD.day IS NOT NEW.day OR OLD.unit IS NOT NEW.unit "          \
                   "BEGIN " CCHC_DB_REMOVE_OLD CCHC_DB_ADD_NEW " END;\n"              \
                   "CREATE TRIGGER observation_month_delete"                          \
                   " AFTER DELETE ON observation BEGIN " CCHC_DB_REMOVE_OLD " END;\n"

/*  Filled from the daily rows in key order; then each month's last day's
    row (one primary-key seek of observation each).

    Sums of values never fail (here, in the audit and in the roll-up's
    daily fallback): SQL's sum() raises "integer overflow" when an integer
    sum leaves int64 — two rows of 2^62 did it, and a failed backfill or
    audit stays failed — while total() cannot: it adds in double precision,
    exact while every partial sum is an integer below 2^53 (the protocol's
    largest value, proto/PROTOCOL.md, so any sum of real counters), past that
    rounded to the nearest double, never an error.  The roll-up folds totals
    as doubles anyway; the triggers' `total - OLD.value + NEW.value` turns
    real on overflow instead of failing, as the writer's delta does
    (collector/rollup.c, s_delta_total_add). */
#define CCHC_DB_MONTH_BACKFILL_SQL                                                          \
    "INSERT INTO observation_month"                                                         \
    " SELECT agent, metric, " CCHC_DB_MONTH (                                               \
        "day") " AS m, unit, total (value), count (*),"                                     \
               " min (day), max (day), 0, 0, max (journal)"                                 \
               " FROM observation GROUP BY agent, m, metric, unit ORDER BY agent, m, "      \
               "metric, unit;"                                                              \
               "UPDATE observation_month SET"                                               \
               " (last_value, last_journal) = (SELECT o.value, o.journal FROM observation " \
               "AS o"                                                                       \
               "  WHERE o.agent = observation_month.agent AND o.day = "                     \
               "observation_month.day_last"                                                 \
               "  AND o.metric = observation_month.metric);"

/*  Version 3 → 4. */
#define CCHC_DB_MIGRATE_3_4 "DROP INDEX IF EXISTS observation_by_day;\n"

/*  Version 5 -> 6: the agent's clock columns (added last, as in a new
    database's agent table).  No figure changes. */
#define CCHC_DB_MIGRATE_5_6                                                  \
    "ALTER TABLE agent ADD COLUMN clock_skew INTEGER;\n"                     \
    "ALTER TABLE agent ADD COLUMN clock_ahead INTEGER NOT NULL DEFAULT 0;\n" \
    "ALTER TABLE agent ADD COLUMN clock_at INTEGER;\n"

/*  Version 6 → 7: the summary's follower (CCHC_DB_MONTH_POSITION_SQL).  The
    summary was kept in the ingest transactions until now: settled up to
    the newest journal row. */
#define CCHC_DB_MIGRATE_6_7                                                         \
    "ALTER TABLE journal ADD COLUMN day_first INTEGER;\n"                           \
    "ALTER TABLE journal ADD COLUMN day_last INTEGER;\n" CCHC_DB_MONTH_POSITION_SQL \
    "UPDATE month_position SET journal = (SELECT coalesce (max (id), 0) FROM journal);\n"

/*  The period keeper's tables (collector/periods/periods.h: stored, scheduled and
    locked period figures), created by cchc_db_periods_apply when a keeper
    first runs on the database. */
#define CCHC_DB_PERIODS_SQL                                                                 \
    "-- One row per period with stored figures (collector/periods/periods.h).\n"            \
    "CREATE TABLE IF NOT EXISTS period_result (\n"                                          \
    "  period       TEXT PRIMARY KEY,      -- period id: 2021-Q1, 2021-03, 2021-H1, ...\n"  \
    "  state        TEXT NOT NULL CHECK (state IN ('provisional','closed','locked')),\n"    \
    "  computed_at  INTEGER NOT NULL,      -- UTC ms: the figures' as_of\n"                 \
    "  journal_pos  INTEGER NOT NULL,      -- max(journal.id) of the read snapshot the\n"   \
    "                                      -- figures were computed from: every message\n"  \
    "                                      -- up to it is included, none after it\n"        \
    "  journal_max  INTEGER NOT NULL,      -- newest journal id behind a figure (<= pos)\n" \
    "  data_version INTEGER NOT NULL,      -- the schedule's change key (periods.h)\n"      \
    "  units        INTEGER NOT NULL,      -- units scored\n"                               \
    "  result       TEXT NOT NULL,         -- the figures: cchc_rollup_json "               \
    "(rollup_json.h);\n"                                                                    \
    "                                      -- provisional / closed rows without each\n"     \
    "                                      -- unit's indicators and areas\n"                \
    "  snapshot     TEXT,                  -- locked only: restores the exact figures\n"    \
    "                                      -- (format in periods.c), with the catalogue\n"  \
    "  locked_at    INTEGER,               -- UTC ms; NULL unless locked\n"                 \
    "  locked_by    TEXT,                  -- who locked it; NULL unless locked\n"          \
    "  reopened_at  INTEGER,               -- UTC ms of the reopen that made it closed\n"   \
    "                                      -- again; NULL once locked again\n"              \
    "  manual       INTEGER NOT NULL DEFAULT 0, -- 1: the schedule does not lock it,\n"     \
    "                                      -- only `period lock` does: reopened, or all\n"  \
    "                                      -- its data arrived after its lock instant\n"    \
    "  revision     INTEGER NOT NULL DEFAULT 1  -- +1 on every write: a writer that\n"      \
    "                                      -- computed from an older row gives up\n"        \
    ");\n"                                                                                  \
    "-- A locked row changes only by a reopen (state closed, reopened_at set)\n"            \
    "-- and is never deleted.\n"                                                            \
    "CREATE TRIGGER IF NOT EXISTS period_result_locked\n"                                   \
    "  BEFORE UPDATE ON period_result WHEN OLD.state = 'locked'\n"                          \
    "  AND (NEW.state <> 'closed' OR NEW.reopened_at IS NULL)\n"                            \
    "  BEGIN SELECT RAISE (ABORT, 'period locked: reopen it first'); END;\n"                \
    "CREATE TRIGGER IF NOT EXISTS period_result_keep\n"                                     \
    "  BEFORE DELETE ON period_result WHEN OLD.state = 'locked'\n"                          \
    "  BEGIN SELECT RAISE (ABORT, 'period locked: its result is kept'); END;\n"             \
    "\n"                                                                                    \
    "-- Locks and reopens, never updated or deleted.\n"                                     \
    "CREATE TABLE IF NOT EXISTS period_event (\n"                                           \
    "  id           INTEGER PRIMARY KEY,\n"                                                 \
    "  period       TEXT NOT NULL,\n"                                                       \
    "  event        TEXT NOT NULL CHECK (event IN ('locked','reopened')),\n"                \
    "  at           INTEGER NOT NULL,      -- UTC ms\n"                                     \
    "  who          TEXT NOT NULL,         -- 'schedule', or the operator (cchcctl)\n"      \
    "  reason       TEXT,                  -- required for reopened\n"                      \
    "  journal_pos  INTEGER NOT NULL,      -- locked: of the final figures; reopened:\n"    \
    "  computed_at  INTEGER NOT NULL,      -- of the figures that were final until then\n"  \
    "  result       TEXT                   -- reopened: those figures (rollup JSON)\n"      \
    ");\n"                                                                                  \
    "CREATE INDEX IF NOT EXISTS period_event_by_period ON period_event (period, id);\n"     \
    "CREATE TRIGGER IF NOT EXISTS period_event_no_update BEFORE UPDATE ON period_event\n"   \
    "  BEGIN SELECT RAISE (ABORT, 'period_event is append-only'); END;\n"                   \
    "CREATE TRIGGER IF NOT EXISTS period_event_no_delete BEFORE DELETE ON period_event\n"   \
    "  BEGIN SELECT RAISE (ABORT, 'period_event is append-only'); END;\n"

/*  The national role's tables (collector/national/national.h: the
    provinces' signed figures, every version, PROTOCOL.md §15), part of the
    schema since version 5 (the step runs this text: IF NOT EXISTS keeps
    the tables a national collector of version 4 created itself).  Empty in
    a province's database; a national one has rows in national_message
    once a province has reported.  There `unit` holds the provinces
    (level tinh, with their validity: the 63 until 2025-06-30, the 34 from
    2025-07-01) and `agent` the enrolled province keys (unit = the
    province's code). */
#define CCHC_DB_NATIONAL_SQL                                                             \
    "-- Every accepted figures message, exactly as signed (PROTOCOL.md §15):\n"         \
    "-- re-verifiable forever.  (agent, seq) and (province, period, version,\n"          \
    "-- part) each identify a message once.\n"                                           \
    "CREATE TABLE IF NOT EXISTS national_message (\n"                                    \
    "  id          INTEGER PRIMARY KEY,   -- arrival order\n"                            \
    "  agent       INTEGER NOT NULL REFERENCES agent(id),\n"                             \
    "  seq         INTEGER NOT NULL,\n"                                                  \
    "  received_at INTEGER NOT NULL,      -- UTC ms (national clock)\n"                  \
    "  province    TEXT NOT NULL,         -- the message's code\n"                       \
    "  period      TEXT NOT NULL,         -- period id\n"                                \
    "  version     INTEGER NOT NULL,\n"                                                  \
    "  part        INTEGER NOT NULL,\n"                                                  \
    "  body        BLOB NOT NULL,         -- the exact msgpack body\n"                   \
    "  sig         BLOB NOT NULL CHECK (length(sig) = 64),\n"                            \
    "  UNIQUE (agent, seq),\n"                                                           \
    "  UNIQUE (province, period, version, part)\n"                                       \
    ");\n"                                                                               \
    "-- One version of one province's figures of one period; complete when\n"            \
    "-- all its parts are in.  Never updated once complete, never deleted.\n"            \
    "CREATE TABLE IF NOT EXISTS national_version (\n"                                    \
    "  province    TEXT NOT NULL,\n"                                                     \
    "  period      TEXT NOT NULL,\n"                                                     \
    "  version     INTEGER NOT NULL,\n"                                                  \
    "  parts       INTEGER NOT NULL,\n"                                                  \
    "  parts_in    INTEGER NOT NULL,      -- parts stored so far\n"                      \
    "  first_at    INTEGER NOT NULL,      -- UTC ms: first part received\n"              \
    "  complete_at INTEGER,               -- UTC ms: last part received; NULL before\n"  \
    "  locked_at   INTEGER NOT NULL,      -- the province's lock time (UTC ms)\n"        \
    "  journal     INTEGER NOT NULL,      -- the province's journal position covered\n"  \
    "  catalogue   BLOB NOT NULL,         -- SHA-256 of the catalogue text\n"            \
    "  cat_year    INTEGER NOT NULL,\n"                                                  \
    "  structure   BLOB NOT NULL,         -- SHA-256 of the units list\n"                \
    "  units_total INTEGER NOT NULL,\n"                                                  \
    "  indicators  TEXT NOT NULL,         -- JSON array of indicator codes\n"            \
    "  PRIMARY KEY (province, period, version)\n"                                        \
    ");\n"                                                                               \
    "-- Every unit of every version as received.\n"                                      \
    "CREATE TABLE IF NOT EXISTS national_unit (\n"                                       \
    "  province    TEXT NOT NULL,\n"                                                     \
    "  period      TEXT NOT NULL,\n"                                                     \
    "  version     INTEGER NOT NULL,\n"                                                  \
    "  code        TEXT NOT NULL,\n"                                                     \
    "  parent      TEXT NOT NULL,         -- '' when none\n"                             \
    "  name        TEXT NOT NULL,\n"                                                     \
    "  level       INTEGER NOT NULL,      -- 0 so, 1 huyen, 2 xa\n"                      \
    "  flags       INTEGER NOT NULL,      -- 1 has index, 2 complete, 4 on time\n"       \
    "  idx         REAL NOT NULL,\n"                                                     \
    "  earned      REAL NOT NULL,\n"                                                     \
    "  applicable  REAL NOT NULL,\n"                                                     \
    "  rank        INTEGER NOT NULL,\n"                                                  \
    "  scores      TEXT NOT NULL,         -- JSON [[state, value, points, max], ...]\n"  \
    "  PRIMARY KEY (province, period, version, code)\n"                                  \
    ") WITHOUT ROWID;\n"                                                                 \
    "-- The province figures (part 0) of every version.\n"                               \
    "CREATE TABLE IF NOT EXISTS national_figure (\n"                                     \
    "  province    TEXT NOT NULL,\n"                                                     \
    "  period      TEXT NOT NULL,\n"                                                     \
    "  version     INTEGER NOT NULL,\n"                                                  \
    "  indicator   TEXT NOT NULL,         -- indicator code\n"                           \
    "  level       INTEGER NOT NULL,      -- -1 all levels, 0..2\n"                      \
    "  flags       INTEGER NOT NULL,      -- 1 den, 2 value, 4 target, 8 met, 16 plan\n" \
    "  numerator   REAL NOT NULL,\n"                                                     \
    "  denominator REAL NOT NULL,\n"                                                     \
    "  value       REAL NOT NULL,\n"                                                     \
    "  target      REAL NOT NULL,\n"                                                     \
    "  units       INTEGER NOT NULL,\n"                                                  \
    "  units_missing INTEGER NOT NULL,\n"                                                \
    "  PRIMARY KEY (province, period, version, indicator, level)\n"                      \
    ") WITHOUT ROWID;\n"

#endif
