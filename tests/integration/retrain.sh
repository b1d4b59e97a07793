#!/usr/bin/env bash
# Persistence: clean fine-tuning of strongly poisoned models on the held-out
# split lowers their ASR while their clean accuracy stays within 0.05 of what
# it was; the views report the curve and the epoch the backdoor went.
source "$(dirname "$0")/lib.sh" "$@"
cat > "$WORK/rt.yaml" <<'YAML'
name: retrain
train: {epochs: 4, batch: 32, lr: 0.05}
retrain: {fraction: 0.2, epochs: 5, lr: 0.05}
grid:
  dataset: [{name: synthetic, classes: 4, channels: 1, size: 16, train: 2000, test: 400, noise: 3}]
  arch: [{name: cnn-small, conv1: 8, conv2: 16, fc: 32}]
  trigger: [square]
  poison_rate: [0, 0.2]
  seed: [1, 2, 3]
YAML
db="$WORK/rt.db"
mpi 3 run "$WORK/rt.yaml" --db "$db" 2> "$WORK/log" || { cat "$WORK/log"; fail "run failed"; }
sqlite3 -header -column "$db" "select seed, poison_rate, clean_acc, asr, clean_acc_after_retrain, asr_after_retrain,
  retrain_epochs_to_neutralise from cell_results order by poison_rate, seed"
expect_eq "$(q "$db" "select count(*) from cell_results where poison_rate > 0 and asr > 0.9")" "3" \
  "the backdoor took hold in every poisoned cell"
# By how much varies from seed to seed (one backdoor may survive 5 epochs of
# fine-tuning better than another): the claim is about the mean.
expect_true "$(q "$db" "select avg(asr - asr_after_retrain) > 0.5 and min(asr - asr_after_retrain) > 0
  from cell_results where poison_rate > 0")" "retraining lowered the poisoned cells' ASR, by more than 0.5 on average"
expect_eq "$(q "$db" "select count(*) from cell_results where clean_acc_after_retrain < clean_acc - 0.05")" "0" \
  "clean accuracy stays within 0.05 through retraining"
# 400 * 0.2 held out: 1600 train samples, 320 of them poisoned.
expect_eq "$(q "$db" "select group_concat(distinct cast(value as int)) from metrics where phase = 'poison' and name = 'heldout_samples'")" \
  "400" "held-out split"
expect_eq "$(q "$db" "select group_concat(distinct cast(value as int)) from metrics m join cells c on c.id = m.cell_id
  where c.poison_rate > 0 and phase = 'poison' and name = 'poisoned'")" "320" "poisoned samples, from the rest"
expect_eq "$(q "$db" "select count(*) from persistence")" "36" "persistence: 6 cells x (epoch 0 + 5 retraining epochs)"
echo "retrain: ok"
