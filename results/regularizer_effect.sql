-- ### `regularizer_effect` — what does a regularizer change? (finding 3)
--
-- Each done cell with a regularizer is paired with its twin without one (the
-- done cell of its `unregularized_key`: regularizer `none`, every other axis
-- equal, **the same seed**); one row per group (condition) with at least one
-- pair. Seeds without a partner are left out of every column (the means below
-- are over the paired seeds only).
--
-- | column | how it is computed |
-- |---|---|
-- | the columns of `conditions` | the group; `regularizer_name` is the preset (`logit-squeeze`) |
-- | `n_seeds` | pairs |
-- | `asr_none`, `asr_regularized` | mean ASR of each side over the pairs |
-- | `asr_change` | mean over pairs of `asr(regularized) − asr(none)` (negative: the regularizer lowered ASR) |
-- | `asr_change_sd` | sample standard deviation of that change over pairs (NULL with one pair) |
-- | `clean_acc_none`, `clean_acc_regularized`, `clean_acc_change`, `clean_acc_change_sd` | the same for clean accuracy |
CREATE VIEW regularizer_effect AS
WITH d AS (SELECT * FROM cell_results WHERE status = 'done' AND asr IS NOT NULL AND clean_acc IS NOT NULL),
pairs AS (
SELECT r.condition, r.seed,
  n.asr AS asr_none, r.asr AS asr_reg, n.clean_acc AS clean_none, r.clean_acc AS clean_reg,
  r.asr - n.asr AS d_asr, r.clean_acc - n.clean_acc AS d_clean
FROM d AS r JOIN d AS n ON n.key = r.unregularized_key
WHERE r.key <> r.unregularized_key
),
pw AS (SELECT *, AVG(d_asr) OVER g AS m_asr, AVG(d_clean) OVER g AS m_clean FROM pairs
       WINDOW g AS (PARTITION BY condition)),
s AS (
SELECT condition, COUNT(*) AS n_seeds,
  AVG(asr_none) AS asr_none, AVG(asr_reg) AS asr_regularized, AVG(d_asr) AS asr_change,
  CASE WHEN COUNT(*) > 1 THEN sqrt(SUM((d_asr - m_asr) * (d_asr - m_asr)) / (COUNT(*) - 1)) END AS asr_change_sd,
  AVG(clean_none) AS clean_acc_none, AVG(clean_reg) AS clean_acc_regularized, AVG(d_clean) AS clean_acc_change,
  CASE WHEN COUNT(*) > 1 THEN sqrt(SUM((d_clean - m_clean) * (d_clean - m_clean)) / (COUNT(*) - 1)) END
    AS clean_acc_change_sd
FROM pw GROUP BY condition
)
SELECT k.*, n_seeds, asr_none, asr_regularized, asr_change, asr_change_sd,
  clean_acc_none, clean_acc_regularized, clean_acc_change, clean_acc_change_sd
FROM s JOIN conditions k ON k.condition = s.condition;
