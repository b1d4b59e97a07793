-- The tables of a bdsweep results database (schema version 3). bdsweep
-- creates them in an empty file; results/README.md explains every column.
-- Times are ISO-8601 UTC text with milliseconds ("2024-05-01T12:00:00.123Z").
--
-- The `cells` table below holds the columns every job has. bdsweep adds, in
-- the same transaction, one column per axis of its axes table (the axis
-- value's canonical text, or its number), one `<axis>_name` per axis with
-- presets (the preset without its parameters), `attack` (the key of a grid
-- cell's attack axes: what its model is measured against), and the pairing
-- columns the views join on: `condition` (the key without the seed),
-- `baseline_key` and `baseline_condition` (the same cell at poison rate 0),
-- `unregularized_key` and `unregularized_condition` (the same cell with
-- regularizer none).
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

-- One row per cell of a sweep's grid (kind 'cell') and per job that trains
-- a model no single cell owns: a clean model, trained once per seed and
-- measured against every attack of the sweep ('clean'), and a clean
-- pre-training job that cells with init=pretrained fine-tune ('pretrain').
-- A job's axis columns not part of it are NULL. `model_id` is the row whose
-- model a cell's numbers come from: the cell itself when its training data is
-- poisoned, its clean model when its poison rate is 0 (or poisons no sample);
-- a job's is itself. `streams` is the random-stream design the cell was
-- trained with: 2, paired streams (a cell and its baseline of the same seed
-- share initial weights and batch order); 1, a cell of a database written
-- before pairing, each of its streams seeded from its whole key (unpaired).
CREATE TABLE cells(
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL DEFAULT 'cell' CHECK (kind IN ('cell','clean','pretrain')),
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
  depends_on INTEGER REFERENCES cells(id),
  model_id INTEGER REFERENCES cells(id),
  streams INTEGER NOT NULL DEFAULT 2
);
CREATE INDEX cells_status ON cells(status);
CREATE INDEX cells_model ON cells(model_id);

CREATE TABLE sweep_cells(
  sweep_id INTEGER NOT NULL REFERENCES sweeps(id),
  cell_id INTEGER NOT NULL REFERENCES cells(id),
  position INTEGER NOT NULL,
  PRIMARY KEY (sweep_id, cell_id)
) WITHOUT ROWID;
CREATE INDEX sweep_cells_cell ON sweep_cells(cell_id);

-- Every number a job reports, in the row of the job (`cell_id`: the model's
-- row, cells.model_id of the cells it serves): common/metrics.h lists the
-- names (`SELECT * FROM metric_definitions`). `attack` is '' for a number of
-- the model itself, or the key of the attack it was measured against (ASR,
-- triggered accuracy, the poisoning's pool): a clean model has one per
-- attack. The view cell_metrics gives every cell its numbers.
CREATE TABLE metrics(
  cell_id INTEGER NOT NULL REFERENCES cells(id),
  phase TEXT NOT NULL,
  epoch INTEGER NOT NULL,
  name TEXT NOT NULL,
  value REAL,
  attack TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (cell_id, phase, epoch, name, attack)
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
