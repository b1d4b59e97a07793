-- Example queries on a bdsweep results database (results/README.md explains
-- the schema). Run one with:  sqlite3 -header -column results/NAME.db < results/queries.sql
-- tests/db runs every statement of this file against a test database.

-- Where a sweep stands: cells per status.
SELECT status, COUNT(*) AS cells FROM cells GROUP BY status ORDER BY status;

-- Attack success rate by trigger and poison rate, mean and spread over seeds.
SELECT trigger, poison_rate,
       COUNT(*) AS seeds,
       ROUND(AVG(asr), 4) AS asr,
       ROUND(MIN(asr), 4) AS asr_min,
       ROUND(MAX(asr), 4) AS asr_max,
       ROUND(AVG(clean_acc), 4) AS clean_acc
FROM cell_results
WHERE status = 'done'
GROUP BY trigger, poison_rate
ORDER BY trigger, poison_rate;

-- Finding 2: the clean-accuracy cost of poisoning, against the baseline
-- (the same cell with poison rate 0: its key is the poisoned cell's
-- baseline_key), per trigger and rate.
SELECT p.trigger, p.poison_rate,
       ROUND(AVG(p.asr), 4) AS asr,
       ROUND(AVG(p.clean_acc - b.clean_acc), 4) AS clean_acc_change,
       ROUND(AVG(b.asr), 4) AS baseline_asr
FROM cell_results p
JOIN cell_results b ON b.key = p.baseline_key
WHERE p.poison_rate > 0 AND p.status = 'done' AND b.status = 'done'
GROUP BY p.trigger, p.poison_rate
ORDER BY p.trigger, p.poison_rate;

-- Findings 1 and 3: ASR by architecture and regularizer (poisoned cells only).
SELECT arch, regularizer, COUNT(*) AS cells, ROUND(AVG(asr), 4) AS asr, ROUND(AVG(clean_acc), 4) AS clean_acc
FROM cell_results
WHERE status = 'done' AND poison_rate > 0
GROUP BY arch, regularizer
ORDER BY arch, regularizer;

-- The failed cells and why (re-run them with: bdsweep run SWEEP.yaml --retry-failed).
SELECT id, attempts, host, error, key FROM cells WHERE status = 'failed' ORDER BY id;

-- The training curve of one cell (here the first done one; put its id from
-- cell_results): one row per epoch, a column per metric (view `epoch_metrics`).
SELECT epoch, loss, clean_acc, asr
FROM epoch_metrics
WHERE cell_id = (SELECT MIN(cell_id) FROM cell_results WHERE status = 'done') AND phase = 'train'
ORDER BY epoch;

-- Finding 2: groups of poisoned cells against their clean baselines, with the
-- 95% interval of the clean-accuracy difference the report uses: paired (each
-- poisoned seed against its own seed's baseline) where the seeds pair, else
-- Welch's (view `detection`).
SELECT arch, trigger, poison_rate, regularizer, n_poisoned, n_clean, n_pairs, interval,
       ROUND(interval_diff, 4) AS diff, ROUND(interval_low, 4) AS lo, ROUND(interval_high, 4) AS hi,
       interval_detectable AS detectable
FROM detection
ORDER BY interval_detectable DESC, interval_diff;
