/*  schema.h — the collector database: the one commented definition of every
    table.  SQLite, WAL mode, foreign keys on.  store.c applies it and owns
    every write; rollup and the admin tool read it.

    Conventions: times are UTC milliseconds since the Unix epoch (INTEGER);
    local days (Asia/Ho_Chi_Minh) are INTEGER yyyymmdd (20210314), so they sort
    and compare as numbers and read as dates; keys are 32-byte BLOBs.

    Version history (PRAGMA user_version):
      1  initial schema
      2  observation's primary key ordered (agent, day, metric) and its day
         index on (day) alone: one report's rows (one agent, mostly one day)
         are neighbours in both B-trees, so a commit touches a few pages
         instead of one per row.  store.c rebuilds a version 1 table on open
         (CCHC_SCHEMA_MIGRATE_1_2).

    Who writes what: the collector's writer thread appends to journal and
    upserts observation, the roll-up's observation_month (collector/rollup.h:
    kept by triggers for any other writer, by the writer itself in its
    trigger-less connection) and the agent counters (one transaction per
    group commit); cchcctl writes unit and agent (import, enrol, revoke); the
    collector rewrites stats every second.  Triggers on agent bump
    enrolment.version, which a running collector polls to see enrolment
    changes without a restart.
*/
#ifndef CCHC_SCHEMA_H
#define CCHC_SCHEMA_H

#define CCHC_SCHEMA_VERSION 2

#define CCHC_SCHEMA_SQL \
"-- Organisation units, valid on local days [valid_from, valid_to].\n" \
"-- A reorganisation adds rows with new validity; past rows stay.\n" \
"CREATE TABLE IF NOT EXISTS unit (\n" \
"  code       TEXT NOT NULL,          -- GSO code or department mnemonic\n" \
"  name       TEXT NOT NULL,          -- Vietnamese name, UTF-8\n" \
"  kind       TEXT NOT NULL,          -- Tỉnh, Sở, Huyện, Xã, Phường, ...\n" \
"  level      TEXT NOT NULL CHECK (level IN ('tinh','so','huyen','xa')),\n" \
"  parent     TEXT,                   -- parent unit code, NULL for the province\n" \
"  valid_from INTEGER NOT NULL DEFAULT 10101,     -- yyyymmdd, inclusive\n" \
"  valid_to   INTEGER NOT NULL DEFAULT 99991231,  -- yyyymmdd, inclusive\n" \
"  PRIMARY KEY (code, valid_from),\n" \
"  CHECK (valid_from <= valid_to)\n" \
");\n" \
"\n" \
"-- Enrolled agents: one Ed25519 key each, reporting for one unit.\n" \
"CREATE TABLE IF NOT EXISTS agent (\n" \
"  id          INTEGER PRIMARY KEY,\n" \
"  pubkey      BLOB NOT NULL UNIQUE CHECK (length(pubkey) = 32),\n" \
"  unit        TEXT NOT NULL,         -- unit code the key reports for\n" \
"  name        TEXT NOT NULL,         -- display name\n" \
"  enrolled_at INTEGER NOT NULL,      -- UTC ms\n" \
"  revoked_at  INTEGER,               -- UTC ms; NULL while active\n" \
"  last_seen   INTEGER,               -- UTC ms of the last message, any outcome\n" \
"  last_seq    INTEGER NOT NULL DEFAULT 0,  -- highest accepted seq\n" \
"  accepted    INTEGER NOT NULL DEFAULT 0,  -- messages accepted\n" \
"  duplicates  INTEGER NOT NULL DEFAULT 0,  -- messages answered duplicate\n" \
"  rejected    INTEGER NOT NULL DEFAULT 0   -- messages rejected\n" \
");\n" \
"\n" \
"-- Every accepted message, exactly as signed: re-verifiable forever.\n" \
"-- id is the journal position; (agent, seq) makes ingest exactly-once.\n" \
"CREATE TABLE IF NOT EXISTS journal (\n" \
"  id          INTEGER PRIMARY KEY,\n" \
"  agent       INTEGER NOT NULL REFERENCES agent(id),\n" \
"  seq         INTEGER NOT NULL,\n" \
"  received_at INTEGER NOT NULL,      -- UTC ms (collector clock)\n" \
"  body        BLOB NOT NULL,         -- the exact msgpack body bytes\n" \
"  sig         BLOB NOT NULL CHECK (length(sig) = 64),\n" \
"  refused     TEXT,                  -- observations refused at ingest, NULL if\n" \
"                                     -- none: 'index:reason,...' ascending (reason\n" \
"                                     -- codes of proto.h); the others were stored\n" \
"  UNIQUE (agent, seq)\n" \
");\n" \
"\n" \
"-- Current value of each (agent, metric, day): last writer wins by seq.\n" \
"-- A unit's value for (metric, day) is the sum over the unit's agents.\n" \
"-- Key order (agent, day, metric): a report's rows are side by side.\n" \
"CREATE TABLE IF NOT EXISTS observation (\n" \
"  agent   INTEGER NOT NULL REFERENCES agent(id),\n" \
"  unit    TEXT NOT NULL,             -- copied from the agent at write time\n" \
"  metric  TEXT NOT NULL,\n" \
"  day     INTEGER NOT NULL,          -- yyyymmdd, local\n" \
"  value   NOT NULL CHECK (typeof(value) IN ('integer','real')),\n" \
"  seq     INTEGER NOT NULL,          -- seq of the message that set it\n" \
"  journal INTEGER NOT NULL REFERENCES journal(id),\n" \
"  PRIMARY KEY (agent, day, metric)\n" \
") WITHOUT ROWID;\n" \
"-- By day alone (its entries carry the key: day, agent, metric): the data's\n" \
"-- first and last day, and reads of a date range.\n" \
"CREATE INDEX IF NOT EXISTS observation_by_day ON observation (day);\n" \
"\n" \
"-- Enrolment change counter: one row, bumped by the triggers below on every\n" \
"-- change of who may report (not by the ingest counters).\n" \
"CREATE TABLE IF NOT EXISTS enrolment (\n" \
"  id      INTEGER PRIMARY KEY CHECK (id = 1),\n" \
"  version INTEGER NOT NULL\n" \
");\n" \
"INSERT OR IGNORE INTO enrolment (id, version) VALUES (1, 0);\n" \
"CREATE TRIGGER IF NOT EXISTS agent_enrolled AFTER INSERT ON agent\n" \
"  BEGIN UPDATE enrolment SET version = version + 1; END;\n" \
"CREATE TRIGGER IF NOT EXISTS agent_changed\n" \
"  AFTER UPDATE OF pubkey, unit, name, revoked_at ON agent\n" \
"  BEGIN UPDATE enrolment SET version = version + 1; END;\n" \
"CREATE TRIGGER IF NOT EXISTS agent_removed AFTER DELETE ON agent\n" \
"  BEGIN UPDATE enrolment SET version = version + 1; END;\n" \
"\n" \
"-- Operating counters of the running collector (cchcctl stats), rewritten\n" \
"-- every stats interval: counts since the collector started, gauges now.\n" \
"CREATE TABLE IF NOT EXISTS stats (\n" \
"  name       TEXT PRIMARY KEY,       -- e.g. accepted, rejected.bad_signature\n" \
"  value      NOT NULL,               -- integer or real\n" \
"  updated_at INTEGER NOT NULL        -- UTC ms\n" \
");\n"

/*  Version 1 → 2: rebuild observation with the new key order (its triggers
    and index go with the old table; the roll-up re-creates its triggers,
    CCHC_SCHEMA_SQL the index).  Run inside the opening transaction. */
#define CCHC_SCHEMA_MIGRATE_1_2 \
"CREATE TABLE observation_v2 (\n" \
"  agent   INTEGER NOT NULL REFERENCES agent(id),\n" \
"  unit    TEXT NOT NULL,\n" \
"  metric  TEXT NOT NULL,\n" \
"  day     INTEGER NOT NULL,\n" \
"  value   NOT NULL CHECK (typeof(value) IN ('integer','real')),\n" \
"  seq     INTEGER NOT NULL,\n" \
"  journal INTEGER NOT NULL REFERENCES journal(id),\n" \
"  PRIMARY KEY (agent, day, metric)\n" \
") WITHOUT ROWID;\n" \
"INSERT INTO observation_v2 (agent, unit, metric, day, value, seq, journal)\n" \
"  SELECT agent, unit, metric, day, value, seq, journal FROM observation\n" \
"  ORDER BY agent, day, metric;\n" \
"DROP TABLE observation;\n" \
"ALTER TABLE observation_v2 RENAME TO observation;\n"

#endif
