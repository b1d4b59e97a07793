-- detection (finding 2): per group of poisoned cells (a condition with poison
-- rate > 0: its done seeds), their clean accuracy against that of their
-- baselines (the baseline condition: poison rate 0, all else equal, every
-- done seed), with Welch's 95% interval of the difference; `detectable` is 1
-- when the interval excludes 0, NULL when a side has fewer than 2 seeds.
-- The group's axis values come from `conditions`.
--
-- Per side: n, mean, the sum of squared deviations (two passes: the window
-- mean, then the deviations, which avoids the cancellation of
-- sum(x^2) - n mean^2), mean ASR.
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
