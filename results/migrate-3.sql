-- Schema version 2 to 3 (as in schema.sql): the provenance of runs and cells
-- (the build, the ranks and their hosts, the run that finished each cell) and
-- the parameters of the axis values. bdsweep fills axis_values and
-- axis_value_parameters from the cells' keys in the same transaction.
ALTER TABLE cells ADD COLUMN run_id INTEGER REFERENCES runs(id);
ALTER TABLE runs ADD COLUMN version TEXT;
ALTER TABLE runs ADD COLUMN git_commit TEXT;
ALTER TABLE runs ADD COLUMN build_options TEXT;

CREATE TABLE run_ranks(
  run_id INTEGER NOT NULL REFERENCES runs(id),
  rank INTEGER NOT NULL,
  host TEXT NOT NULL,
  PRIMARY KEY (run_id, rank)
) WITHOUT ROWID;

CREATE TABLE axis_values(
  id INTEGER PRIMARY KEY,
  axis TEXT NOT NULL,
  value TEXT NOT NULL,
  UNIQUE (axis, value)
);

CREATE TABLE axis_value_parameters(
  value_id INTEGER NOT NULL REFERENCES axis_values(id),
  name TEXT NOT NULL,
  value,
  PRIMARY KEY (value_id, name)
) WITHOUT ROWID;
