-- ### `cell_results` — one row per cell of the grid, with its final numbers
--
-- Every column of `cells` (the cell's kind is `cell`), then:
--
-- | column | |
-- |---|---|
-- | `cell_id` | `cells.id` (also in `id`) |
-- | `source` | the source class of a `one-to-one` strategy (integer), NULL for the others |
-- | `epochs` | the last epoch of phase `train` that has metrics (NULL until the cell has trained) |
-- | `train_loss`, `clean_acc`, `asr`, `triggered_acc` | the metrics `loss`, `clean_acc`, `asr`, `triggered_acc` of phase `train` at epoch `epochs` |
-- | `retrain_epochs` | the last epoch of phase `retrain` (NULL for `retrain = none` or before retraining) |
-- | `asr_after_retrain`, `clean_acc_after_retrain` | `asr` and `clean_acc` of phase `retrain` at epoch `retrain_epochs` |
-- | `baseline` | `same-seed` (the cell of `baseline_key` is done), `other-seeds` (it is not, and the mean over the done cells of `baseline_condition` is used), NULL (no baseline is done) |
-- | `baseline_asr`, `baseline_clean_acc` | the baseline's `asr` and `clean_acc` (or those means). For a cell of rate 0, its own numbers. |
-- | `retrain_epochs_to_neutralise` | the first retrain epoch (1..K) from which `asr` stays ≤ `baseline_asr` + 0.05 through the last retrain epoch K (+1e-9 for the rounding of fractions such as 0.07 = 0.02 + 0.05): one more than the last epoch above that threshold. A backdoor that dips below it and comes back is not neutralised. NULL if ASR is above it at epoch K, if the cell does not retrain, or if it has no baseline. A cell whose ASR was already that low before retraining gets 1: select `asr >= baseline_asr + 0.5` (`bdsweep report`'s `--took-hold`) to keep only backdoors that took hold. |
--
-- A cell's numbers are those of its model (`model_id`: itself when its data is
-- poisoned, the clean model of its seed at rate 0) — the model's own and those
-- measured against the cell's attack (see `cell_metrics`). The final-epoch
-- metrics are correlated sub-queries on the primary key of `metrics`
-- (cell_id, phase, epoch, name, attack), so the view stays fast on large files.
CREATE VIEW cell_results AS
WITH f AS (
SELECT
  c.id AS cell_id, c.*,
  CASE WHEN c.strategy LIKE 'one-to-one(%' AND instr(c.strategy, 'source=') > 0
       THEN CAST(substr(c.strategy, instr(c.strategy, 'source=') + 7) AS INTEGER) END AS source,
  (SELECT m.value FROM metrics m WHERE m.cell_id = c.model_id AND m.attack IN ('', c.attack) AND m.phase = 'train'
     AND m.epoch = c.epochs AND m.name = 'loss') AS train_loss,
  (SELECT m.value FROM metrics m WHERE m.cell_id = c.model_id AND m.attack IN ('', c.attack) AND m.phase = 'train'
     AND m.epoch = c.epochs AND m.name = 'clean_acc') AS clean_acc,
  (SELECT m.value FROM metrics m WHERE m.cell_id = c.model_id AND m.attack IN ('', c.attack) AND m.phase = 'train'
     AND m.epoch = c.epochs AND m.name = 'asr') AS asr,
  (SELECT m.value FROM metrics m WHERE m.cell_id = c.model_id AND m.attack IN ('', c.attack) AND m.phase = 'train'
     AND m.epoch = c.epochs AND m.name = 'triggered_acc') AS triggered_acc,
  (SELECT m.value FROM metrics m WHERE m.cell_id = c.model_id AND m.attack IN ('', c.attack) AND m.phase = 'retrain'
     AND m.epoch = c.retrain_epochs AND m.name = 'asr') AS asr_after_retrain,
  (SELECT m.value FROM metrics m WHERE m.cell_id = c.model_id AND m.attack IN ('', c.attack) AND m.phase = 'retrain'
     AND m.epoch = c.retrain_epochs AND m.name = 'clean_acc') AS clean_acc_after_retrain
FROM (SELECT cells.*,
        (SELECT MAX(epoch) FROM metrics WHERE metrics.cell_id = cells.model_id AND metrics.phase = 'train') AS epochs,
        (SELECT MAX(epoch) FROM metrics WHERE metrics.cell_id = cells.model_id AND metrics.phase = 'retrain')
          AS retrain_epochs
      FROM cells WHERE kind = 'cell') AS c
),
b AS (SELECT * FROM f WHERE poison_rate = 0 AND status = 'done' AND asr IS NOT NULL),
bg AS (SELECT condition, AVG(asr) AS asr, AVG(clean_acc) AS clean_acc FROM b GROUP BY condition),
r AS (
SELECT f.*,
  CASE WHEN bs.cell_id IS NOT NULL THEN 'same-seed' WHEN bg.asr IS NOT NULL THEN 'other-seeds' END AS baseline,
  CASE WHEN bs.cell_id IS NOT NULL THEN bs.asr ELSE bg.asr END AS baseline_asr,
  CASE WHEN bs.cell_id IS NOT NULL THEN bs.clean_acc ELSE bg.clean_acc END AS baseline_clean_acc
FROM f
LEFT JOIN b AS bs ON bs.key = f.baseline_key
LEFT JOIN bg ON bg.condition = f.baseline_condition
)
SELECT r.*,
  -- The epoch after the last one above the threshold (1 when none is), so
  -- that a dip below it that does not last does not count.
  CASE WHEN r.retrain_epochs IS NOT NULL AND r.baseline_asr IS NOT NULL THEN
    (SELECT NULLIF(COALESCE(MAX(m.epoch), 0) + 1, r.retrain_epochs + 1) FROM metrics m
     WHERE m.cell_id = r.model_id AND m.attack IN ('', r.attack) AND m.phase = 'retrain' AND m.name = 'asr'
       AND (m.value IS NULL OR m.value > r.baseline_asr + 0.05 + 1e-9)) END AS retrain_epochs_to_neutralise
FROM r;
