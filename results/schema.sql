-- The tables of a bdsweep results database (schema version 2). bdsweep
-- creates them in an empty file; results/README.md explains every column.
-- Times are ISO-8601 UTC text with milliseconds ("2024-05-01T12:00:00.123Z").
--
-- The `cells` table below holds the columns every job has. bdsweep adds, in
-- the same transaction, one column per axis of its axes table (the axis
-- value's canonical text, or its number), one `<axis>_name` per axis with
-- presets (the preset without its parameters), and the pairing columns the
-- views join on: `condition` (the key without the seed), `baseline_key` and
-- `baseline_condition` (the same cell at poison rate 0), `unregularized_key`
-- and `unregularized_condition` (the same cell with regularizer none).
-- `bdsweep schema` prints the whole schema as it creates it.

CREATE TABLE meta(
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE sweeps(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  path TEXT NOT NULL,
  yaml TEXT NOT NULL,
  submitted_at TEXT NOT NULL,
  n_cells INTEGER NOT NULL
);

-- One row per job: a cell of a sweep's grid (kind 'cell'), or a clean
-- pre-training job that cells with init=pretrained fine-tune ('pretrain';
-- its axis columns not part of the job are NULL).
CREATE TABLE cells(
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL DEFAULT 'cell' CHECK (kind IN ('cell','pretrain')),
  cell_seed TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','running','done','failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  error TEXT,
  rank INTEGER,
  host TEXT,
  started_at TEXT,
  finished_at TEXT,
  wall_seconds REAL,
  params INTEGER,
  gflops_per_image REAL,
  depends_on INTEGER REFERENCES cells(id)
);
CREATE INDEX cells_status ON cells(status);

CREATE TABLE sweep_cells(
  sweep_id INTEGER NOT NULL REFERENCES sweeps(id),
  cell_id INTEGER NOT NULL REFERENCES cells(id),
  position INTEGER NOT NULL,
  PRIMARY KEY (sweep_id, cell_id)
) WITHOUT ROWID;
CREATE INDEX sweep_cells_cell ON sweep_cells(cell_id);

-- Every number a job reports: common/metrics.h lists the names
-- (`SELECT * FROM metric_definitions`).
CREATE TABLE metrics(
  cell_id INTEGER NOT NULL REFERENCES cells(id),
  phase TEXT NOT NULL,
  epoch INTEGER NOT NULL,
  name TEXT NOT NULL,
  value REAL,
  PRIMARY KEY (cell_id, phase, epoch, name)
) WITHOUT ROWID;

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
