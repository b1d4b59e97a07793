-- ### `regularizer_effect` — what does a regularizer change? (finding 3)
--
-- Each done cell with a regularizer is paired with its twin without one (the
-- done cell of its `unregularized_key`: regularizer `none`, every other axis
-- equal, **the same seed**); one row per group (condition) with at least one
-- pair. Seeds without a partner are left out of every column (the means below
-- are over the paired seeds only). With paired random streams the twins
-- start from the same weights and see the same batches, so a pair's
-- difference is the regularizer's effect alone and the paired t interval
-- over seeds is narrow. Pairs of cells trained before paired streams
-- (`streams` 1) are kept: their differences are still independent replicates
-- of the effect, and the interval still holds, only wider (it carries both
-- sides' seed noise); `paired_streams` says which kind a group has.
--
-- | column | how it is computed |
-- |---|---|
-- | the columns of `conditions` | the group; `regularizer_name` is the preset (`logit-squeeze`) |
-- | `n_seeds` | pairs |
-- | `paired_streams` | 1 when both sides of every pair have `streams` ≥ 2 (paired streams), 0 otherwise |
-- | `asr_none`, `asr_regularized` | mean ASR of each side over the pairs |
-- | `asr_change` | mean over pairs of `asr(regularized) − asr(none)` (negative: the regularizer lowered ASR) |
-- | `asr_change_sd` | sample standard deviation of that change over pairs (NULL with one pair) |
-- | `t_quantile` | the 0.975 quantile of Student's t at `n_seeds − 1` degrees of freedom (`t_quantiles`; rounded down to a row above 100); NULL with one pair |
-- | `asr_change_ci_low`, `asr_change_ci_high` | `asr_change ∓ t_quantile × asr_change_sd / sqrt(n_seeds)`: the paired 95% interval of the change |
-- | `clean_acc_none`, `clean_acc_regularized`, `clean_acc_change`, `clean_acc_change_sd`, `clean_acc_change_ci_low`, `clean_acc_change_ci_high` | the same for clean accuracy |
CREATE VIEW regularizer_effect AS
WITH d AS (SELECT * FROM cell_results WHERE status = 'done' AND asr IS NOT NULL AND clean_acc IS NOT NULL),
pairs AS (
SELECT r.condition, r.seed, min(r.streams, n.streams) AS streams,
  n.asr AS asr_none, r.asr AS asr_reg, n.clean_acc AS clean_none, r.clean_acc AS clean_reg,
  r.asr - n.asr AS d_asr, r.clean_acc - n.clean_acc AS d_clean
FROM d AS r JOIN d AS n ON n.key = r.unregularized_key
WHERE r.key <> r.unregularized_key
),
pw AS (SELECT *, AVG(d_asr) OVER g AS m_asr, AVG(d_clean) OVER g AS m_clean FROM pairs
       WINDOW g AS (PARTITION BY condition)),
s AS (
SELECT condition, COUNT(*) AS n_seeds, MIN(streams) >= 2 AS paired_streams,
  AVG(asr_none) AS asr_none, AVG(asr_reg) AS asr_regularized, AVG(d_asr) AS asr_change,
  CASE WHEN COUNT(*) > 1 THEN sqrt(SUM((d_asr - m_asr) * (d_asr - m_asr)) / (COUNT(*) - 1)) END AS asr_change_sd,
  AVG(clean_none) AS clean_acc_none, AVG(clean_reg) AS clean_acc_regularized, AVG(d_clean) AS clean_acc_change,
  CASE WHEN COUNT(*) > 1 THEN sqrt(SUM((d_clean - m_clean) * (d_clean - m_clean)) / (COUNT(*) - 1)) END
    AS clean_acc_change_sd
FROM pw GROUP BY condition
),
-- t at n - 1 degrees of freedom (none for a single pair: no interval).
st AS (SELECT s.*, (SELECT t.q975 FROM t_quantiles t WHERE t.df <= s.n_seeds - 1 ORDER BY t.df DESC LIMIT 1)
         AS t_quantile
       FROM s)
SELECT k.*, n_seeds, paired_streams, asr_none, asr_regularized, asr_change, asr_change_sd, t_quantile,
  asr_change - t_quantile * asr_change_sd / sqrt(n_seeds) AS asr_change_ci_low,
  asr_change + t_quantile * asr_change_sd / sqrt(n_seeds) AS asr_change_ci_high,
  clean_acc_none, clean_acc_regularized, clean_acc_change, clean_acc_change_sd,
  clean_acc_change - t_quantile * clean_acc_change_sd / sqrt(n_seeds) AS clean_acc_change_ci_low,
  clean_acc_change + t_quantile * clean_acc_change_sd / sqrt(n_seeds) AS clean_acc_change_ci_high
FROM st JOIN conditions k ON k.condition = st.condition;
