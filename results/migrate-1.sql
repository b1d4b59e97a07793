-- Schema version 0 to 1: add the runs table (as in schema.sql).
CREATE TABLE runs(
  id INTEGER PRIMARY KEY,
  sweep_id INTEGER REFERENCES sweeps(id),
  started_at TEXT NOT NULL,
  heartbeat_at TEXT NOT NULL,
  finished_at TEXT,
  ranks INTEGER NOT NULL,
  host TEXT NOT NULL,
  pid INTEGER NOT NULL,
  exit_status INTEGER
);
