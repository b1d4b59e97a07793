#!/usr/bin/env bash
# The shipped sweeps validate, and expand to the cells they promise: the
# paper's full factorial is 3 architectures x 2 datasets x 7 triggers x 4
# strategies x 6 poison rates x 5 regularizers x 3 seeds. `plan` estimates
# their compute (on a machine without CIFAR-10 and Flowers it assumes the
# datasets' standard sizes, and says so).
source "$(dirname "$0")/lib.sh" "$@"
cd "$SRC"
count() { "$BDSWEEP" plan --keys "$1" 2> /dev/null | tail -n1; }
expect_eq "$(count sweeps/smoke.yaml)" "6 cells" "smoke"
expect_eq "$(count sweeps/demo.yaml)" "96 cells" "demo"
expect_eq "$(count sweeps/paper-small.yaml)" "360 cells" "paper-small"
expect_eq "$(count sweeps/paper.yaml)" "$((3 * 2 * 7 * 4 * 6 * 5 * 3)) cells" "paper"
"$BDSWEEP" plan sweeps/paper.yaml > "$WORK/paper.plan" 2> "$WORK/paper.err" || { cat "$WORK/paper.err"; fail "plan paper"; }
tail -n2 "$WORK/paper.plan"
grep -q "^# compute: .* GFLOP (pre-training jobs 0), about .* core-hours at 35 GFLOP/s per core" "$WORK/paper.plan" ||
  fail "plan gives no compute estimate for the paper's sweep"
# Every paper cell is costed: its models build for CIFAR-10 and 128 px Flowers.
expect_eq "$(grep -c "cost unknown" "$WORK/paper.plan" || true)" "0" "paper cells without a cost"
echo "sweeps: ok"
