-- ### `detection` — can a poisoned model be told from a clean one by its clean accuracy? (finding 2)
--
-- One row per group of poisoned cells (a condition with `poison_rate` > 0 and
-- at least one done seed), against its baselines: the done cells of its
-- `baseline_condition` (rate 0, every other axis equal), **all** their seeds
-- (the comparison is of two sets of replicates, not seed by seed).
--
-- | column | how it is computed |
-- |---|---|
-- | the columns of `conditions` | the group |
-- | `n_poisoned`, `n_clean` | done cells on each side (`n_clean` 0: no baseline is done) |
-- | `clean_acc_poisoned`, `clean_acc_clean` | mean `clean_acc` of each side |
-- | `sd_poisoned`, `sd_clean` | sample standard deviations (n − 1), NULL with one cell |
-- | `clean_acc_diff` | `clean_acc_poisoned − clean_acc_clean` |
-- | `se` | Welch's standard error `sqrt(sd_p²/n_p + sd_c²/n_c)` |
-- | `welch_df` | Welch–Satterthwaite degrees of freedom `se⁴ / ((sd_p²/n_p)²/(n_p−1) + (sd_c²/n_c)²/(n_c−1))`; when both sides have zero spread, `n_p + n_c − 2` |
-- | `t_quantile` | the 0.975 quantile of Student's t at `welch_df` **rounded down** to the nearest row of `t_quantiles` (conservative: the quantile falls as df grows, so rounding down widens the interval a little and never narrows it) |
-- | `ci_low`, `ci_high` | `clean_acc_diff ∓ t_quantile × se`: the 95% confidence interval of the difference |
-- | `detectable` | 1 when the interval excludes 0, 0 when it holds 0, NULL when a side has fewer than 2 cells (no interval) |
-- | `asr_poisoned`, `asr_clean` | mean ASR of each side (the attack's strength, and the trigger's natural effect) |
--
-- Each side's sum of squared deviations is computed in two passes (the window
-- mean, then the deviations), which avoids the cancellation of
-- sum(x²) − n·mean².
CREATE VIEW detection AS
WITH d AS (SELECT * FROM cell_results WHERE status = 'done' AND clean_acc IS NOT NULL),
p_w AS (SELECT *, AVG(clean_acc) OVER (PARTITION BY condition) AS m FROM d WHERE poison_rate > 0),
p AS (SELECT condition, MIN(baseline_condition) AS baseline_condition, COUNT(*) AS n, AVG(clean_acc) AS mean,
        SUM((clean_acc - m) * (clean_acc - m)) AS ss, AVG(asr) AS asr
      FROM p_w GROUP BY condition),
c_w AS (SELECT *, AVG(clean_acc) OVER (PARTITION BY condition) AS m FROM d WHERE poison_rate = 0),
c AS (SELECT condition, COUNT(*) AS n, AVG(clean_acc) AS mean, SUM((clean_acc - m) * (clean_acc - m)) AS ss,
        AVG(asr) AS asr
      FROM c_w GROUP BY condition),
w AS (
SELECT p.condition,
  p.n AS n_poisoned, COALESCE(c.n, 0) AS n_clean, p.mean AS mp, c.mean AS mc, p.asr AS asr_p, c.asr AS asr_c,
  CASE WHEN p.n > 1 THEN p.ss / (p.n - 1) END AS vp, CASE WHEN c.n > 1 THEN c.ss / (c.n - 1) END AS vc
FROM p LEFT JOIN c ON c.condition = p.baseline_condition
),
e AS (
SELECT w.*, mp - mc AS diff, sqrt(vp / n_poisoned + vc / n_clean) AS se,
  CASE WHEN vp / n_poisoned + vc / n_clean > 0
       THEN pow(vp / n_poisoned + vc / n_clean, 2)
            / (pow(vp / n_poisoned, 2) / (n_poisoned - 1) + pow(vc / n_clean, 2) / (n_clean - 1))
       ELSE n_poisoned + n_clean - 2 END AS df
FROM w
),
q AS (SELECT e.*, (SELECT t.q975 FROM t_quantiles t WHERE t.df <= max(e.df, 1) ORDER BY t.df DESC LIMIT 1) AS t
      FROM e)
SELECT k.*, n_poisoned, n_clean,
  mp AS clean_acc_poisoned, mc AS clean_acc_clean, sqrt(vp) AS sd_poisoned, sqrt(vc) AS sd_clean,
  diff AS clean_acc_diff, se, df AS welch_df, t AS t_quantile,
  diff - t * se AS ci_low, diff + t * se AS ci_high,
  CASE WHEN n_poisoned < 2 OR n_clean < 2 THEN NULL
       WHEN diff - t * se > 0 OR diff + t * se < 0 THEN 1 ELSE 0 END AS detectable,
  asr_p AS asr_poisoned, asr_c AS asr_clean
FROM q JOIN conditions k ON k.condition = q.condition;
