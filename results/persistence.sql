-- ### `persistence` — the persistence curve (finding 4)
--
-- One row per cell that retrains (`retrain ≠ none`) and has trained, and per
-- epoch: epoch 0 is the end of the main phase (the cell's last `train` epoch),
-- epochs 1..K the retrain epochs.
--
-- | column | |
-- |---|---|
-- | `cell_id`, every column of `cells` | the cell |
-- | `baseline_asr`, `baseline_clean_acc` | from `cell_results` |
-- | `epoch` | 0..K |
-- | `asr`, `clean_acc`, `triggered_acc` | at that epoch |
CREATE VIEW persistence AS
WITH r AS (SELECT * FROM cell_results WHERE retrain <> 'none'),
e AS (
SELECT cell_id, 0 AS epoch, asr, clean_acc, triggered_acc FROM r WHERE epochs IS NOT NULL
UNION ALL
SELECT r.cell_id, m.epoch, MAX(CASE WHEN m.name = 'asr' THEN m.value END) AS asr,
  MAX(CASE WHEN m.name = 'clean_acc' THEN m.value END) AS clean_acc,
  MAX(CASE WHEN m.name = 'triggered_acc' THEN m.value END) AS triggered_acc
FROM r JOIN metrics m ON m.cell_id = r.model_id AND m.attack IN ('', r.attack) AND m.phase = 'retrain'
  AND m.name IN ('asr', 'clean_acc', 'triggered_acc')
GROUP BY r.cell_id, m.epoch
)
SELECT e.cell_id, c.*, r.baseline_asr, r.baseline_clean_acc, e.epoch, e.asr, e.clean_acc, e.triggered_acc
FROM e JOIN cells c ON c.id = e.cell_id JOIN r ON r.cell_id = e.cell_id;
