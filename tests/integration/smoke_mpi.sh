#!/usr/bin/env bash
# The smoke sweep under mpirun -n 3: every cell done, accuracy above chance,
# the backdoor far stronger in poisoned cells than in their baselines; then the
# same command again trains nothing and duplicates nothing.
source "$(dirname "$0")/lib.sh" "$@"
db="$WORK/smoke.db"
cd "$SRC"
mpi 3 run sweeps/smoke.yaml --db "$db" 2> "$WORK/log" || { cat "$WORK/log"; fail "run exited $?"; }
cat "$WORK/log"

n=$("$BDSWEEP" plan sweeps/smoke.yaml | tail -n1 | cut -d' ' -f1)
expect_eq "$(q "$db" "select count(*) from cell_results")" "$n" "cells in the database"
expect_eq "$(q "$db" "select count(*) from cell_results where status = 'done'")" "$n" "done cells"
expect_true "$(q "$db" "select min(clean_acc) > 0.5 from cell_results")" "clean accuracy above chance (0.1) by far"
# ASR of every poisoned cell far above the baseline cells' (same trigger).
expect_true "$(q "$db" "select min(p.asr) > 0.8 and max(b.asr) < 0.3
  from cell_results p join cell_results b
    on b.trigger = p.trigger and b.poison_rate = 0 and p.poison_rate > 0")" "ASR poisoned >> baseline"
# Every model has its per-epoch metrics exactly once (6 cells on 6 models:
# the 2 cells of rate 0 on their seed's clean model), and every cell reads
# its model's: the two rate-0 cells of one seed would show one clean accuracy.
expect_eq "$(q "$db" "select count(*) from cells where model_id = id")" "6" "models trained"
expect_true "$(q "$db" "select count(*) = (select count(*) from cells where model_id = id) * 2 from metrics
  where phase = 'train' and name = 'clean_acc'")" "one clean_acc row per model and epoch"
expect_true "$(q "$db" "select count(*) = (select count(*) from cells where kind = 'cell') * 2 from cell_metrics
  where phase = 'train' and name = 'clean_acc'")" "one clean_acc row per cell and epoch"

before=$(q "$db" "select group_concat(id || ':' || attempts || ':' || finished_at) from cells")
metrics_before=$(q "$db" "select count(*) from metrics")
mpi 3 run sweeps/smoke.yaml --db "$db" 2> "$WORK/log2" || { cat "$WORK/log2"; fail "second run exited $?"; }
expect_eq "$(q "$db" "select group_concat(id || ':' || attempts || ':' || finished_at) from cells")" "$before" \
  "a second run trains no done cell"
expect_eq "$(q "$db" "select count(*) from metrics")" "$metrics_before" "a second run writes no metric row"
expect_eq "$(q "$db" "select count(*) from sweeps")" "1" "resubmitting the same file reuses its sweep row"
echo "smoke_mpi: ok"
