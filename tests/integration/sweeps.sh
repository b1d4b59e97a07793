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
count() { "$BDSWEEP" plan --keys "$1" 2> /dev/null | tail -n1; }
expect_eq "$(count sweeps/smoke.yaml)" "6 cells" "smoke"
expect_eq "$(count sweeps/demo.yaml)" "96 cells" "demo"
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
grep -q "^# compute: .* GFLOP (pre-training jobs 0), about .* core-hours at 35 GFLOP/s per core" "$WORK/paper.plan" ||
  fail "plan gives no compute estimate for the paper's sweep"
# Every paper cell is costed: its models build for CIFAR-10 and 128 px Flowers.
expect_eq "$(grep -c "cost unknown" "$WORK/paper.plan" || true)" "0" "paper cells without a cost"
echo "sweeps: ok"
