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

/* ---- views ----------------------------------------------------------------------
 * results/README.md documents every column and how it is computed; keep the
 * two in step. The views use only SQL and SQLite's built-in functions (sqrt,
 * pow: Debian's libsqlite3 has the math functions), so that they work from
 * the plain sqlite3 CLI: no application-defined function may appear here.
 *
 * A "group" is every axis but the seed: its cells are the replicates of one
 * condition. The baseline of a cell is the cell with poison rate 0 and every
 * other axis equal (MISSION.md section 3). Axis columns of kind 'cell' rows
 * are never NULL, so plain equality joins them. */

/* Equality of two rows on every axis but poison_rate and seed. */
#define SAME_BUT_RATE_SEED(a, b)                                                                         \
    #a ".dataset = " #b ".dataset AND " #a ".arch = " #b ".arch AND " #a ".trigger = " #b ".trigger AND " \
    #a ".strategy = " #b ".strategy AND " #a ".target = " #b ".target AND " #a ".regularizer = " #b        \
    ".regularizer AND " #a ".init = " #b ".init AND " #a ".train = " #b ".train AND " #a ".retrain = " #b   \
    ".retrain"
/* ... and on every axis but regularizer and seed. */
#define SAME_BUT_REG_SEED(a, b)                                                                          \
    #a ".dataset = " #b ".dataset AND " #a ".arch = " #b ".arch AND " #a ".trigger = " #b ".trigger AND " \
    #a ".strategy = " #b ".strategy AND " #a ".target = " #b ".target AND " #a ".poison_rate = " #b        \
    ".poison_rate AND " #a ".init = " #b ".init AND " #a ".train = " #b ".train AND " #a ".retrain = " #b   \
    ".retrain"
#define AXES_BUT_RATE_SEED "dataset, arch, trigger, strategy, target, regularizer, init, train, retrain"
#define AXES_BUT_SEED "dataset, arch, trigger, strategy, target, poison_rate, regularizer, init, train, retrain"
#define AXES_BUT_REG_SEED "dataset, arch, trigger, strategy, target, poison_rate, init, train, retrain"

/* A preset's name without its parameters: 'square' for 'square(size=4)'. */
#define PRESET_NAME(col)                                                                                 \
    "CASE WHEN instr(" col ", '(') > 0 THEN substr(" col ", 1, instr(" col ", '(') - 1) ELSE " col " END"

/* The value of metric `name` of `phase` at the cell's epoch `epoch_col`;
 * correlated sub-queries use the metrics primary key (cell_id, phase, epoch,
 * name), so the view stays fast on large files. */
#define METRIC_AT(phase, epoch_col, name, column)                                                       \
    "  (SELECT m.value FROM metrics m WHERE m.cell_id = c.id AND m.phase = '" phase "'\n"                \
    "     AND m.epoch = c." epoch_col " AND m.name = '" name "') AS " column

/* ASR within this much of the baseline's counts as neutralised (finding 4);
 * the 1e-9 absorbs the rounding of ASR fractions such as 0.07 = 0.02 + 0.05. */
#define NEUTRAL_MARGIN "0.05 + 1e-9"

/* cell_results: one row per cell of kind 'cell', its final numbers (phase
 * 'train' at its last epoch; retrain at its last epoch) and its baseline: the
 * same-seed baseline when it is done, else the mean over the done baselines
 * of the other seeds (column `baseline` says which; NULL: none is done). */
#define CELL_RESULTS_VIEW                                                                                 \
    "CREATE VIEW cell_results AS\n"                                                                       \
    "WITH f AS (\n"                                                                                       \
    "SELECT\n"                                                                                            \
    "  c.id AS cell_id, c.key, c.dataset, c.arch, c.trigger,\n"                                            \
    "  " PRESET_NAME("c.trigger") " AS trigger_name,\n"                                                   \
    "  c.strategy,\n"                                                                                     \
    "  " PRESET_NAME("c.strategy") " AS strategy_name,\n"                                                 \
    "  CASE WHEN c.strategy LIKE 'one-to-one(%' AND instr(c.strategy, 'source=') > 0\n"                   \
    "       THEN CAST(substr(c.strategy, instr(c.strategy, 'source=') + 7) AS INTEGER) END AS source,\n"  \
    "  c.target, c.poison_rate, c.regularizer, c.seed, c.init, c.train, c.retrain,\n"                      \
    "  c.status, c.attempts, c.error, c.wall_seconds, c.params, c.gflops_per_image,\n"                     \
    "  c.epochs,\n"                                                                                       \
    METRIC_AT("train", "epochs", "loss", "train_loss") ",\n"                                              \
    METRIC_AT("train", "epochs", "clean_acc", "clean_acc") ",\n"                                          \
    METRIC_AT("train", "epochs", "asr", "asr") ",\n"                                                      \
    METRIC_AT("train", "epochs", "triggered_acc", "triggered_acc") ",\n"                                  \
    "  c.retrain_epochs,\n"                                                                               \
    METRIC_AT("retrain", "retrain_epochs", "asr", "asr_after_retrain") ",\n"                              \
    METRIC_AT("retrain", "retrain_epochs", "clean_acc", "clean_acc_after_retrain") "\n"                   \
    "FROM (SELECT cells.*,\n"                                                                             \
    "        (SELECT MAX(epoch) FROM metrics WHERE metrics.cell_id = cells.id AND metrics.phase = 'train') AS epochs,\n" \
    "        (SELECT MAX(epoch) FROM metrics WHERE metrics.cell_id = cells.id AND metrics.phase = 'retrain')\n" \
    "          AS retrain_epochs\n"                                                                       \
    "      FROM cells WHERE kind = 'cell') AS c\n"                                                        \
    "),\n"                                                                                                \
    "b AS (SELECT * FROM f WHERE poison_rate = 0 AND status = 'done' AND asr IS NOT NULL),\n"             \
    "bg AS (SELECT " AXES_BUT_RATE_SEED ", AVG(asr) AS asr, AVG(clean_acc) AS clean_acc\n"                \
    "       FROM b GROUP BY " AXES_BUT_RATE_SEED "),\n"                                                   \
    "r AS (\n"                                                                                            \
    "SELECT f.*,\n"                                                                                       \
    "  CASE WHEN bs.cell_id IS NOT NULL THEN 'same-seed' WHEN bg.asr IS NOT NULL THEN 'other-seeds' END AS baseline,\n" \
    "  CASE WHEN bs.cell_id IS NOT NULL THEN bs.asr ELSE bg.asr END AS baseline_asr,\n"                   \
    "  CASE WHEN bs.cell_id IS NOT NULL THEN bs.clean_acc ELSE bg.clean_acc END AS baseline_clean_acc\n"  \
    "FROM f\n"                                                                                            \
    "LEFT JOIN b AS bs ON " SAME_BUT_RATE_SEED(bs, f) " AND bs.seed = f.seed\n"                         \
    "LEFT JOIN bg ON " SAME_BUT_RATE_SEED(bg, f) "\n"                                                   \
    ")\n"                                                                                                 \
    "SELECT r.*,\n"                                                                                       \
    "  (SELECT MIN(m.epoch) FROM metrics m WHERE m.cell_id = r.cell_id AND m.phase = 'retrain'\n"         \
    "     AND m.name = 'asr' AND m.value <= r.baseline_asr + " NEUTRAL_MARGIN ") AS retrain_epochs_to_neutralise\n" \
    "FROM r"

/* Statistics of clean accuracy over the seeds of each group, for one side of
 * the detection comparison: n, mean, sum of squared deviations (two passes:
 * the window mean, then the deviations, which avoids the cancellation of
 * sum(x^2) - n mean^2), mean ASR. */
#define SIDE_STATS(name, where, keys)                                                                     \
    name "_w AS (SELECT *, AVG(clean_acc) OVER (PARTITION BY " keys ") AS m FROM d WHERE " where "),\n"   \
    name " AS (SELECT " keys ", MIN(trigger_name) AS trigger_name, COUNT(*) AS n, AVG(clean_acc) AS mean,\n" \
    "  SUM((clean_acc - m) * (clean_acc - m)) AS ss, AVG(asr) AS asr FROM " name "_w GROUP BY " keys ")"

/* detection (finding 2): per group of poisoned cells (rate > 0), their clean
 * accuracy against that of their baselines (rate 0, all else equal, every
 * seed), with Welch's 95% interval of the difference. */
#define DETECTION_VIEW                                                                                    \
    "CREATE VIEW detection AS\n"                                                                          \
    "WITH d AS (SELECT * FROM cell_results WHERE status = 'done' AND clean_acc IS NOT NULL),\n"            \
    SIDE_STATS("p", "poison_rate > 0", AXES_BUT_SEED) ",\n"                                               \
    SIDE_STATS("c", "poison_rate = 0", AXES_BUT_RATE_SEED) ",\n"                                          \
    "w AS (\n"                                                                                            \
    "SELECT p.dataset, p.arch, p.trigger, p.strategy, p.target, p.poison_rate, p.regularizer, p.init, p.train,\n" \
    "  p.retrain, p.trigger_name,\n"                                                     \
    "  p.n AS n_poisoned, COALESCE(c.n, 0) AS n_clean, p.mean AS mp, c.mean AS mc, p.asr AS asr_p, c.asr AS asr_c,\n" \
    "  CASE WHEN p.n > 1 THEN p.ss / (p.n - 1) END AS vp, CASE WHEN c.n > 1 THEN c.ss / (c.n - 1) END AS vc\n" \
    "FROM p LEFT JOIN c ON " SAME_BUT_RATE_SEED(c, p) "\n"                                              \
    "),\n"                                                                                                \
    "e AS (\n"                                                                                            \
    "SELECT w.*, mp - mc AS diff, sqrt(vp / n_poisoned + vc / n_clean) AS se,\n"                          \
    "  CASE WHEN vp / n_poisoned + vc / n_clean > 0\n"                                                    \
    "       THEN pow(vp / n_poisoned + vc / n_clean, 2)\n"                                                \
    "            / (pow(vp / n_poisoned, 2) / (n_poisoned - 1) + pow(vc / n_clean, 2) / (n_clean - 1))\n" \
    "       ELSE n_poisoned + n_clean - 2 END AS df\n"                                                    \
    "FROM w\n"                                                                                            \
    "),\n"                                                                                                \
    "q AS (SELECT e.*, (SELECT t.q975 FROM t_quantiles t WHERE t.df <= max(e.df, 1) ORDER BY t.df DESC LIMIT 1) AS t\n" \
    "      FROM e)\n"                                                                                     \
    "SELECT " AXES_BUT_SEED ", trigger_name, n_poisoned, n_clean,\n"                                    \
    "  mp AS clean_acc_poisoned, mc AS clean_acc_clean, sqrt(vp) AS sd_poisoned, sqrt(vc) AS sd_clean,\n"  \
    "  diff AS clean_acc_diff, se, df AS welch_df, t AS t_quantile,\n"                                   \
    "  diff - t * se AS ci_low, diff + t * se AS ci_high,\n"                                              \
    "  CASE WHEN n_poisoned < 2 OR n_clean < 2 THEN NULL\n"                                               \
    "       WHEN diff - t * se > 0 OR diff + t * se < 0 THEN 1 ELSE 0 END AS detectable,\n"              \
    "  asr_p AS asr_poisoned, asr_c AS asr_clean\n"                                                       \
    "FROM q"

/* regularizer_effect (finding 3): each regularized cell paired by seed with
 * the `none` cell of its group; mean and spread of the changes over seeds. */
#define REGULARIZER_EFFECT_VIEW                                                                           \
    "CREATE VIEW regularizer_effect AS\n"                                                                 \
    "WITH d AS (SELECT * FROM cell_results WHERE status = 'done' AND asr IS NOT NULL AND clean_acc IS NOT NULL),\n" \
    "pairs AS (\n"                                                                                        \
    "SELECT r.dataset, r.arch, r.trigger, r.trigger_name, r.strategy, r.target, r.poison_rate, r.regularizer,\n" \
    "  r.init, r.train, r.retrain, r.seed,\n"                                                             \
    "  n.asr AS asr_none, r.asr AS asr_reg, n.clean_acc AS clean_none, r.clean_acc AS clean_reg,\n"      \
    "  r.asr - n.asr AS d_asr, r.clean_acc - n.clean_acc AS d_clean\n"                                    \
    "FROM d AS r JOIN d AS n ON n.regularizer = 'none' AND " SAME_BUT_REG_SEED(n, r) " AND n.seed = r.seed\n" \
    "WHERE r.regularizer <> 'none'\n"                                                                     \
    "),\n"                                                                                                \
    "pw AS (SELECT *, AVG(d_asr) OVER g AS m_asr, AVG(d_clean) OVER g AS m_clean FROM pairs\n"            \
    "       WINDOW g AS (PARTITION BY " AXES_BUT_SEED "))\n"                                              \
    "SELECT " AXES_BUT_SEED ", MIN(trigger_name) AS trigger_name,\n"                                      \
    "  " PRESET_NAME("regularizer") " AS regularizer_name,\n"                                             \
    "  COUNT(*) AS n_seeds,\n"                                                                            \
    "  AVG(asr_none) AS asr_none, AVG(asr_reg) AS asr_regularized, AVG(d_asr) AS asr_change,\n"          \
    "  CASE WHEN COUNT(*) > 1 THEN sqrt(SUM((d_asr - m_asr) * (d_asr - m_asr)) / (COUNT(*) - 1)) END AS asr_change_sd,\n" \
    "  AVG(clean_none) AS clean_acc_none, AVG(clean_reg) AS clean_acc_regularized, AVG(d_clean) AS clean_acc_change,\n" \
    "  CASE WHEN COUNT(*) > 1 THEN sqrt(SUM((d_clean - m_clean) * (d_clean - m_clean)) / (COUNT(*) - 1)) END\n" \
    "    AS clean_acc_change_sd\n"                                                                        \
    "FROM pw GROUP BY " AXES_BUT_SEED

/* persistence (finding 4): one row per retraining cell and epoch; epoch 0 is
 * the end of the main phase (its last train epoch). */
#define PERSISTENCE_COLUMNS                                                                               \
    "r.cell_id, r.dataset, r.arch, r.trigger, r.trigger_name, r.strategy, r.target, r.poison_rate,\n"     \
    "  r.regularizer, r.seed, r.init, r.train, r.retrain, r.status, r.baseline_asr, r.baseline_clean_acc"
#define PERSISTENCE_VIEW                                                                                  \
    "CREATE VIEW persistence AS\n"                                                                        \
    "SELECT " PERSISTENCE_COLUMNS ",\n"                                                                   \
    "  0 AS epoch, r.asr, r.clean_acc, r.triggered_acc\n"                                                 \
    "FROM cell_results r WHERE r.retrain <> 'none' AND r.epochs IS NOT NULL\n"                            \
    "UNION ALL\n"                                                                                         \
    "SELECT " PERSISTENCE_COLUMNS ",\n"                                                                   \
    "  m.epoch, MAX(CASE WHEN m.name = 'asr' THEN m.value END) AS asr,\n"                                 \
    "  MAX(CASE WHEN m.name = 'clean_acc' THEN m.value END) AS clean_acc,\n"                              \
    "  MAX(CASE WHEN m.name = 'triggered_acc' THEN m.value END) AS triggered_acc\n"                       \
    "FROM cell_results r JOIN metrics m ON m.cell_id = r.cell_id AND m.phase = 'retrain'\n"               \
    "  AND m.name IN ('asr', 'clean_acc', 'triggered_acc')\n"                                             \
    "WHERE r.retrain <> 'none'\n"                                                                         \
    "GROUP BY r.cell_id, m.epoch"

/* The 0.975 quantiles of Student's t, printed by coordinator/report/
 * gen_t_quantiles from tdist.c (do not edit by hand). */
#define T_QUANTILES_VIEW \
    "CREATE VIEW t_quantiles(df, q975) AS VALUES\n" \
    "(1, 12.7062047361747), (2, 4.30265272974946), (3, 3.1824463052837), (4, 2.77644510519779),\n" \
    "(5, 2.57058183563631), (6, 2.44691185114497), (7, 2.36462425159278), (8, 2.30600413520417),\n" \
    "(9, 2.2621571627982), (10, 2.22813885198627), (11, 2.20098516009164), (12, 2.17881282966723),\n" \
    "(13, 2.16036865646279), (14, 2.1447866879178), (15, 2.13144954555977), (16, 2.11990529922125),\n" \
    "(17, 2.10981557783332), (18, 2.10092204024104), (19, 2.09302405440831), (20, 2.08596344726586),\n" \
    "(21, 2.07961384472768), (22, 2.07387306790402), (23, 2.06865761041905), (24, 2.06389856162802),\n" \
    "(25, 2.0595385527533), (26, 2.05552943864287), (27, 2.05183051648028), (28, 2.04840714179525),\n" \
    "(29, 2.0452296421327), (30, 2.04227245630124), (31, 2.03951344639641), (32, 2.0369333434601),\n" \
    "(33, 2.03451529744934), (34, 2.03224450931772), (35, 2.03010792825034), (36, 2.02809400098045),\n" \
    "(37, 2.02619246302911), (38, 2.02439416391197), (39, 2.02269092003676), (40, 2.02107539030627),\n" \
    "(41, 2.01954097044137), (42, 2.01808170281844), (43, 2.01669219922783), (44, 2.01536757444376),\n" \
    "(45, 2.01410338888085), (46, 2.01289559891943), (47, 2.01174051372976), (48, 2.01063475762423),\n" \
    "(49, 2.00957523712923), (50, 2.00855911210076), (51, 2.00758377031584), (52, 2.00664680506168),\n" \
    "(53, 2.00574599531787), (54, 2.00487928818806), (55, 2.00404478328914), (56, 2.00324071884787),\n" \
    "(57, 2.00246545929101), (58, 2.00171748414523), (59, 2.00099537808827), (60, 2.00029782201425),\n" \
    "(61, 1.99962358499494), (62, 1.99897151703337), (63, 1.99834054252074), (64, 1.99772965431769),\n" \
    "(65, 1.997137908392), (66, 1.99656441895232), (67, 1.9960083540253), (68, 1.99546893142985),\n" \
    "(69, 1.99494541510722), (70, 1.99443711177119), (71, 1.99394336784563), (72, 1.99346356666187),\n" \
    "(73, 1.99299712588985), (74, 1.99254349518093), (75, 1.99210215400224), (76, 1.99167260964467),\n" \
    "(77, 1.99125439538838), (78, 1.9908470688117), (79, 1.99045021023013), (80, 1.99006342125444),\n" \
    "(81, 1.98968632345691), (82, 1.98931855713656), (83, 1.98895978017517), (84, 1.98860966697572),\n" \
    "(85, 1.98826790747722), (86, 1.98793420623902), (87, 1.98760828158907), (88, 1.98728986483117),\n" \
    "(89, 1.98697869950627), (90, 1.98667454070377), (91, 1.98637715441862), (92, 1.98608631695112),\n" \
    "(93, 1.98580181434582), (94, 1.9855234418666), (95, 1.98525100350551), (96, 1.98498431152245),\n" \
    "(97, 1.98472318601398), (98, 1.98446745450849), (99, 1.9842169515864), (100, 1.98397151852356),\n" \
    "(120, 1.97993040508246), (150, 1.97590533089663), (200, 1.97189622363388), (300, 1.96790301126103),\n" \
    "(500, 1.96471983746736), (1000, 1.96233908082623), (10000, 1.96020123989164)"

/* In dependency order (a view may name only those before it). */
const char *const bd_db_views[][2] = {
    {"t_quantiles", T_QUANTILES_VIEW},
    {"cell_results", CELL_RESULTS_VIEW},
    {"detection", DETECTION_VIEW},
    {"regularizer_effect", REGULARIZER_EFFECT_VIEW},
    {"persistence", PERSISTENCE_VIEW},
    {NULL, NULL},
};
