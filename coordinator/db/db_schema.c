/* The database schema (version BD_DB_SCHEMA_VERSION), its migrations and its
 * views. results/README.md documents each column for users; keep the two in
 * step. Times are ISO-8601 UTC text ("2024-05-01T12:00:00.123Z"). */
#include "db_internal.h"

#define META_TABLE                                                                                        \
    "CREATE TABLE meta(\n"                                                                                \
    "  key TEXT PRIMARY KEY,\n"                                                                           \
    "  value TEXT NOT NULL\n"                                                                             \
    ")"

#define SWEEPS_TABLE                                                                                      \
    "CREATE TABLE sweeps(\n"                                                                              \
    "  id INTEGER PRIMARY KEY,\n"                                                                         \
    "  name TEXT NOT NULL,\n"                                                                             \
    "  path TEXT NOT NULL,\n"                                                                             \
    "  yaml TEXT NOT NULL,\n"                                                                             \
    "  submitted_at TEXT NOT NULL,\n"                                                                     \
    "  n_cells INTEGER NOT NULL\n"                                                                        \
    ")"

/* Axis columns are nullable: a `pretrain` job (a clean model that cells of
 * init=pretrained fine-tune) has no trigger or poison rate. */
#define CELLS_TABLE                                                                                       \
    "CREATE TABLE cells(\n"                                                                               \
    "  id INTEGER PRIMARY KEY,\n"                                                                         \
    "  key TEXT NOT NULL UNIQUE,\n"                                                                       \
    "  kind TEXT NOT NULL DEFAULT 'cell' CHECK (kind IN ('cell','pretrain')),\n"                          \
    "  dataset TEXT,\n"                                                                                   \
    "  arch TEXT,\n"                                                                                      \
    "  trigger TEXT,\n"                                                                                   \
    "  strategy TEXT,\n"                                                                                  \
    "  target INTEGER,\n"                                                                                 \
    "  poison_rate REAL,\n"                                                                               \
    "  regularizer TEXT,\n"                                                                               \
    "  seed INTEGER,\n"                                                                                   \
    "  init TEXT,\n"                                                                                      \
    "  train TEXT,\n"                                                                                     \
    "  retrain TEXT,\n"                                                                                   \
    "  cell_seed TEXT NOT NULL,\n"                                                                        \
    "  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','running','done','failed')),\n" \
    "  attempts INTEGER NOT NULL DEFAULT 0,\n"                                                            \
    "  error TEXT,\n"                                                                                     \
    "  rank INTEGER,\n"                                                                                   \
    "  host TEXT,\n"                                                                                      \
    "  started_at TEXT,\n"                                                                                \
    "  finished_at TEXT,\n"                                                                               \
    "  wall_seconds REAL,\n"                                                                              \
    "  params INTEGER,\n"                                                                                 \
    "  gflops_per_image REAL,\n"                                                                          \
    "  depends_on INTEGER REFERENCES cells(id)\n"                                                         \
    ")"

#define SWEEP_CELLS_TABLE                                                                                 \
    "CREATE TABLE sweep_cells(\n"                                                                         \
    "  sweep_id INTEGER NOT NULL REFERENCES sweeps(id),\n"                                                \
    "  cell_id INTEGER NOT NULL REFERENCES cells(id),\n"                                                  \
    "  position INTEGER NOT NULL,\n"                                                                      \
    "  PRIMARY KEY (sweep_id, cell_id)\n"                                                                 \
    ") WITHOUT ROWID"

#define METRICS_TABLE                                                                                     \
    "CREATE TABLE metrics(\n"                                                                             \
    "  cell_id INTEGER NOT NULL REFERENCES cells(id),\n"                                                  \
    "  phase TEXT NOT NULL,\n"                                                                            \
    "  epoch INTEGER NOT NULL,\n"                                                                         \
    "  name TEXT NOT NULL,\n"                                                                             \
    "  value REAL,\n"                                                                                     \
    "  PRIMARY KEY (cell_id, phase, epoch, name)\n"                                                       \
    ") WITHOUT ROWID"

#define RUNS_TABLE                                                                                        \
    "CREATE TABLE runs(\n"                                                                                \
    "  id INTEGER PRIMARY KEY,\n"                                                                         \
    "  sweep_id INTEGER REFERENCES sweeps(id),\n"                                                         \
    "  started_at TEXT NOT NULL,\n"                                                                       \
    "  heartbeat_at TEXT NOT NULL,\n"                                                                     \
    "  finished_at TEXT,\n"                                                                               \
    "  ranks INTEGER NOT NULL,\n"                                                                         \
    "  host TEXT NOT NULL,\n"                                                                             \
    "  pid INTEGER NOT NULL,\n"                                                                           \
    "  exit_status INTEGER\n"                                                                             \
    ")"

const char *const bd_db_schema[] = {
    META_TABLE,
    SWEEPS_TABLE,
    CELLS_TABLE,
    "CREATE INDEX cells_status ON cells(status)",
    SWEEP_CELLS_TABLE,
    "CREATE INDEX sweep_cells_cell ON sweep_cells(cell_id)",
    METRICS_TABLE,
    RUNS_TABLE,
    NULL,
};

/* Version 0 is the layout before run bookkeeping: every table of version 1
 * but `runs`. Each step must leave the database exactly as a fresh one of
 * the next version (tests/db checks that migrated == fresh). */
static const char *const add_runs[] = {RUNS_TABLE, NULL};

const BdDbMigration bd_db_migrations[] = {
    {0, "add the runs table", add_runs},
    {0, NULL, NULL},
};

/* One row per cell of kind 'cell'. The final numbers are those of phase
 * 'train' at its last epoch; correlated sub-queries use the metrics primary
 * key (cell_id, phase, epoch, name), so the view stays fast on large files. */
#define TRAIN_METRIC(name, column)                                                                        \
    "  (SELECT m.value FROM metrics m WHERE m.cell_id = c.id AND m.phase = 'train'\n"                     \
    "     AND m.epoch = c.epochs AND m.name = '" name "') AS " column

const char *const bd_db_views[][2] = {
    {"cell_results",
     "CREATE VIEW cell_results AS\n"
     "SELECT\n"
     "  c.id AS cell_id, c.key, c.dataset, c.arch, c.trigger,\n"
     "  CASE WHEN instr(c.trigger, '(') > 0 THEN substr(c.trigger, 1, instr(c.trigger, '(') - 1)\n"
     "       ELSE c.trigger END AS trigger_name,\n"
     "  c.strategy, c.target, c.poison_rate, c.regularizer, c.seed, c.init, c.train, c.retrain,\n"
     "  c.status, c.attempts, c.error, c.wall_seconds, c.params, c.gflops_per_image,\n"
     "  c.epochs,\n" TRAIN_METRIC("loss", "train_loss") ",\n" TRAIN_METRIC("clean_acc", "clean_acc") ",\n"
     TRAIN_METRIC("asr", "asr") ",\n" TRAIN_METRIC("triggered_acc", "triggered_acc") "\n"
     "FROM (SELECT cells.*,\n"
     "        (SELECT MAX(epoch) FROM metrics WHERE metrics.cell_id = cells.id AND metrics.phase = 'train') AS epochs\n"
     "      FROM cells WHERE kind = 'cell') AS c"},
    {NULL, NULL},
};
