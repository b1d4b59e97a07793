-- cell_results: one row per cell of the grid (kind 'cell'), with every
-- column of `cells` and its final numbers: the main phase ('train') at its
-- last epoch, retraining at its last epoch; and its baseline, the cell with
-- poison rate 0 and all else equal (`baseline_key`): the same-seed one when
-- it is done, else the mean over the done baselines of the other seeds of
-- that condition (`baseline` says which; NULL when none is done).
--
-- The final-epoch metrics are correlated sub-queries on the primary key of
-- `metrics` (cell_id, phase, epoch, name), so the view stays fast on large
-- files. retrain_epochs_to_neutralise is the first retraining epoch whose
-- ASR is within 0.05 of the baseline's (the 1e-9 absorbs the rounding of
-- fractions such as 0.07 = 0.02 + 0.05).
CREATE VIEW cell_results AS
WITH f AS (
SELECT
  c.id AS cell_id, c.*,
  CASE WHEN c.strategy LIKE 'one-to-one(%' AND instr(c.strategy, 'source=') > 0
       THEN CAST(substr(c.strategy, instr(c.strategy, 'source=') + 7) AS INTEGER) END AS source,
  (SELECT m.value FROM metrics m WHERE m.cell_id = c.id AND m.phase = 'train'
     AND m.epoch = c.epochs AND m.name = 'loss') AS train_loss,
  (SELECT m.value FROM metrics m WHERE m.cell_id = c.id AND m.phase = 'train'
     AND m.epoch = c.epochs AND m.name = 'clean_acc') AS clean_acc,
  (SELECT m.value FROM metrics m WHERE m.cell_id = c.id AND m.phase = 'train'
     AND m.epoch = c.epochs AND m.name = 'asr') AS asr,
  (SELECT m.value FROM metrics m WHERE m.cell_id = c.id AND m.phase = 'train'
     AND m.epoch = c.epochs AND m.name = 'triggered_acc') AS triggered_acc,
  (SELECT m.value FROM metrics m WHERE m.cell_id = c.id AND m.phase = 'retrain'
     AND m.epoch = c.retrain_epochs AND m.name = 'asr') AS asr_after_retrain,
  (SELECT m.value FROM metrics m WHERE m.cell_id = c.id AND m.phase = 'retrain'
     AND m.epoch = c.retrain_epochs AND m.name = 'clean_acc') AS clean_acc_after_retrain
FROM (SELECT cells.*,
        (SELECT MAX(epoch) FROM metrics WHERE metrics.cell_id = cells.id AND metrics.phase = 'train') AS epochs,
        (SELECT MAX(epoch) FROM metrics WHERE metrics.cell_id = cells.id AND metrics.phase = 'retrain')
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
  (SELECT MIN(m.epoch) FROM metrics m WHERE m.cell_id = r.cell_id AND m.phase = 'retrain'
     AND m.name = 'asr' AND m.value <= r.baseline_asr + 0.05 + 1e-9) AS retrain_epochs_to_neutralise
FROM r;
