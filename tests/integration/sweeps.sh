#!/usr/bin/env bash
# The shipped sweeps validate, and expand to the cells they promise: the
# paper's full factorial is 3 architectures x 2 datasets x 7 triggers x 4
# strategies x 6 poison rates x 5 regularizers x 3 seeds, less rates 0.1 and
# 0.2 for the two strategies that poison one class (their pool is too small:
# sweeps/paper.yaml says why). `plan` estimates their compute and checks the
# poisoning pools (on a machine without CIFAR-10 and Flowers against the
# datasets' standard sizes, and says so): no shipped cell must or may fail.
source "$(dirname "$0")/lib.sh" "$@"
cd "$SRC"
count() { "$BDSWEEP" plan --keys "$1" 2> /dev/null | tail -n1 | cut -d, -f1; }
expect_eq "$(count sweeps/smoke.yaml)" "6 cells" "smoke"
expect_eq "$(count sweeps/demo.yaml)" "144 cells" "demo"
expect_eq "$(count sweeps/paper-small.yaml)" "360 cells" "paper-small"
expect_eq "$(count sweeps/paper.yaml)" "$((3 * 2 * 7 * 5 * 3 * (4 * 6 - 2 * 2))) cells" "paper"
for s in smoke demo paper-small paper; do
  "$BDSWEEP" plan "sweeps/$s.yaml" > "$WORK/$s.plan" 2> "$WORK/$s.err" || { cat "$WORK/$s.err"; fail "plan $s"; }
  if grep -E "must fail|will fail" "$WORK/$s.err"; then fail "$s has cells whose pool is too small"; fi
  grep -q "^# dataset .*poisoning pools checked against" "$WORK/$s.plan" || fail "plan $s does not say what it checked"
done
grep -q "^# dataset cifar10(path=/data/cifar-10-batches-bin): the data is not here: .* CIFAR-10's published sizes$" \
  "$WORK/paper.plan" || [ -e /data/cifar-10-batches-bin ] || fail "plan paper does not say it used CIFAR-10's standard sizes"
tail -n2 "$WORK/paper.plan"
grep -q "^# compute: .* GFLOP for [0-9]* models (pre-training jobs 0), about .* core-hours at 100 GFLOP/s per core" "$WORK/paper.plan" ||
  fail "plan gives no compute estimate for the paper's sweep"
# Every paper cell is costed: its models are sized for CIFAR-10 and 128 px
# Flowers, memory to train included (from their shapes: no model is built).
expect_eq "$(grep -c "cost unknown" "$WORK/paper.plan" || true)" "0" "paper cells without a cost"
expect_eq "$(grep -vc "^#\|cells, .* models to train$\| to train" "$WORK/paper.plan" || true)" "0" \
  "paper cells without a memory estimate"
grep -q "^# memory to train a model: up to ~.* (nasnet-a-large on flowers(path=/data/flowers,size=128)); an estimate" \
  "$WORK/paper.plan" || fail "plan does not say the paper's largest model's memory"
# The models to train: a cell of rate 0 is measured on the clean model of its
# seed, one for both triggers: 2 triggers x 3 rates x 4 seeds = 24 cells on
# 4 clean models and 16 poisoned ones.
cat > "$WORK/models.yaml" <<'YAML'
name: models
train: {epochs: 1, limit_train: 500, limit_test: 100}
grid:
  dataset: [fashion-mnist]
  arch: [cnn-small]
  trigger: [square, checkerboard]
  poison_rate: [0, 0.05, 0.1]
  seed: [1, 2, 3, 4]
YAML
expect_eq "$("$BDSWEEP" plan --keys "$WORK/models.yaml" | tail -n1)" "24 cells, 20 models to train" "models of a grid"
"$BDSWEEP" plan "$WORK/models.yaml" > "$WORK/models.plan"
expect_eq "$(grep -c "its seed's clean model, shared by 2 cells" "$WORK/models.plan")" "8" "cells on a shared clean model"
# A rate that poisons no sample of the 500 (round(0.0005 x 500) = 0) is one
# more cell of the clean model.
sed -i 's/poison_rate: \[0, 0.05, 0.1\]/poison_rate: [0, 0.0005, 0.1]/' "$WORK/models.yaml"
expect_eq "$("$BDSWEEP" plan --keys "$WORK/models.yaml" | tail -n1)" "24 cells, 12 models to train" \
  "a rate that poisons nothing shares the clean model"
echo "sweeps: ok"
