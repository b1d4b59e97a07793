-- ### `detection` — can a poisoned model be told from a clean one by its clean accuracy? (finding 2)
--
-- One row per group of poisoned cells (a condition with `poison_rate` > 0 and
-- at least one done seed), against its baselines (rate 0, every other axis
-- equal), in two ways:
--
-- - **paired** (the design of this build): each poisoned seed against the
--   baseline of **its own seed** (`baseline_key`). With paired random streams
--   (`streams` 2 on both sides: same initial weights, same batch order) the
--   two models differ only by the poisoning, so the seed-to-seed noise they
--   share cancels in the difference, and a paired t interval on the
--   differences is much narrower than one on the two sets of seeds.
-- - **Welch** (for unpaired data, e.g. cells migrated from a database made
--   before paired streams): the done cells of the group against **all** the
--   done cells of its `baseline_condition`, two sets of replicates.
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
-- | `ci_low`, `ci_high` | `clean_acc_diff ∓ t_quantile × se`: Welch's 95% confidence interval of the difference |
-- | `detectable` | Welch's verdict: 1 when `ci_low..ci_high` excludes 0, 0 when it holds 0, NULL when a side has fewer than 2 cells (no interval) |
-- | `n_pairs` | seeds whose poisoned cell and same-seed baseline are both done and both have `streams` ≥ 2 (paired streams) |
-- | `paired_diff` | mean over those seeds of `clean_acc(poisoned) − clean_acc(baseline of the same seed)` |
-- | `paired_sd` | sample standard deviation of those differences (n − 1), NULL with one pair |
-- | `paired_t` | the 0.975 quantile of Student's t at `n_pairs − 1` degrees of freedom (`t_quantiles`; rounded down to a row above 100) |
-- | `paired_ci_low`, `paired_ci_high` | `paired_diff ∓ paired_t × paired_sd / sqrt(n_pairs)`: the paired 95% interval; NULL with fewer than 2 pairs |
-- | `paired_detectable` | 1 when the paired interval excludes 0, 0 when it holds 0, NULL without one |
-- | `interval` | the interval a verdict should use: `paired` when there is one (2 or more pairs), else `welch` when Welch's exists, else NULL; `bdsweep report` uses it |
-- | `interval_diff`, `interval_low`, `interval_high`, `interval_detectable` | that interval's difference, bounds and verdict (the paired or the Welch columns above) |
-- | `interval_sd` | the standard deviation of one seed's difference behind it: `paired_sd`, or for Welch `sqrt(sd_p² + sd_c²)` (one poisoned minus one clean seed); with n seeds (a side) the interval's half-width is about t × `interval_sd` / sqrt(n), which tells how many seeds a narrower interval needs |
-- | `asr_poisoned`, `asr_clean` | mean ASR of each side (the attack's strength, and the trigger's natural effect) |
--
-- Each sum of squared deviations is computed in two passes (the window mean,
-- then the deviations), which avoids the cancellation of sum(x²) − n·mean².
CREATE VIEW detection AS
WITH d AS (SELECT * FROM cell_results WHERE status = 'done' AND clean_acc IS NOT NULL),
-- Welch: each side's replicates, summarised per condition.
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
      FROM e),
-- Paired: a seed's poisoned cell minus the baseline of the same seed. Only
-- cells trained on paired streams pair: for older cells the "same seed" did
-- not mean the same initial weights or batches, and Welch's comparison of
-- the two sets is the honest one.
pr AS (SELECT x.condition, x.clean_acc - b.clean_acc AS d
       FROM d AS x JOIN d AS b ON b.key = x.baseline_key
       WHERE x.poison_rate > 0 AND x.streams >= 2 AND b.streams >= 2),
pr_w AS (SELECT *, AVG(d) OVER (PARTITION BY condition) AS m FROM pr),
ps AS (SELECT condition, COUNT(*) AS n, AVG(d) AS mean,
         CASE WHEN COUNT(*) > 1 THEN sqrt(SUM((d - m) * (d - m)) / (COUNT(*) - 1)) END AS sd
       FROM pr_w GROUP BY condition),
-- t at n - 1 degrees of freedom (none for a single pair: no interval).
pt AS (SELECT ps.*, (SELECT t.q975 FROM t_quantiles t WHERE t.df <= ps.n - 1 ORDER BY t.df DESC LIMIT 1) AS t
       FROM ps),
pq AS (SELECT pt.*, mean - t * sd / sqrt(n) AS lo, mean + t * sd / sqrt(n) AS hi FROM pt),
-- Both analyses side by side, and which of them a verdict uses.
r AS (
SELECT q.condition, n_poisoned, n_clean, mp, mc, vp, vc, diff, se, df, q.t, asr_p, asr_c,
  diff - q.t * se AS ci_low, diff + q.t * se AS ci_high,
  CASE WHEN n_poisoned < 2 OR n_clean < 2 THEN NULL
       WHEN diff - q.t * se > 0 OR diff + q.t * se < 0 THEN 1 ELSE 0 END AS detectable,
  COALESCE(pq.n, 0) AS n_pairs, pq.mean AS paired_diff, pq.sd AS paired_sd, pq.t AS paired_t,
  pq.lo AS paired_ci_low, pq.hi AS paired_ci_high,
  CASE WHEN pq.lo IS NOT NULL THEN pq.lo > 0 OR pq.hi < 0 END AS paired_detectable,
  pq.lo IS NOT NULL AS use_paired
FROM q LEFT JOIN pq ON pq.condition = q.condition
)
SELECT k.*, n_poisoned, n_clean,
  mp AS clean_acc_poisoned, mc AS clean_acc_clean, sqrt(vp) AS sd_poisoned, sqrt(vc) AS sd_clean,
  diff AS clean_acc_diff, se, df AS welch_df, t AS t_quantile, ci_low, ci_high, detectable,
  n_pairs, paired_diff, paired_sd, paired_t, paired_ci_low, paired_ci_high, paired_detectable,
  CASE WHEN use_paired THEN 'paired' WHEN detectable IS NOT NULL THEN 'welch' END AS interval,
  CASE WHEN use_paired THEN paired_diff WHEN detectable IS NOT NULL THEN diff END AS interval_diff,
  CASE WHEN use_paired THEN paired_ci_low ELSE ci_low END AS interval_low,
  CASE WHEN use_paired THEN paired_ci_high ELSE ci_high END AS interval_high,
  CASE WHEN use_paired THEN paired_detectable ELSE detectable END AS interval_detectable,
  CASE WHEN use_paired THEN paired_sd ELSE sqrt(vp + vc) END AS interval_sd,
  asr_p AS asr_poisoned, asr_c AS asr_clean
FROM r JOIN conditions k ON k.condition = r.condition;
