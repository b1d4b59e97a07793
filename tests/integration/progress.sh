#!/usr/bin/env bash
# The progress display: --progress tty draws a live block (summary, then a
# line per training rank with its cell and epoch) redrawn in place with ANSI
# codes; --progress lines writes plain summary lines for logs.
source "$(dirname "$0")/lib.sh" "$@"
cat > "$WORK/p.yaml" <<'YAML'
name: progress
train: {epochs: 3, batch: 16, limit_train: 1500, limit_test: 200}
grid:
  dataset: [fashion-mnist]
  arch: [cnn-small]
  trigger: [square]
  poison_rate: [0, 0.1]
YAML
mpi 3 run "$WORK/p.yaml" --db "$WORK/tty.db" --progress tty 2> "$WORK/tty.log" || { cat "$WORK/tty.log"; fail "tty run"; }
grep -q $'\033\[J' "$WORK/tty.log" || fail "no redraw codes in the live display"
grep -aq "rank [12] .* train [0-9]/3 step [0-9]*/[0-9]* .*poison_rate=0" "$WORK/tty.log" ||
  { cat -v "$WORK/tty.log" | head -20; fail "no per-rank line with the cell and its epoch"; }
mpi 3 run "$WORK/p.yaml" --db "$WORK/lines.db" --progress lines 2> "$WORK/lines.log" || fail "lines run"
if grep -q $'\033' "$WORK/lines.log"; then fail "escape codes in log lines"; fi
grep -q "^bdsweep: 2/2 done, 0 running, 0 failed, .* cells/h, .* elapsed, ETA 0s$" "$WORK/lines.log" ||
  { cat "$WORK/lines.log"; fail "no final summary line"; }
set +e
"$BDSWEEP" run "$WORK/p.yaml" --progress fancy 2> "$WORK/err"; rc=$?
set -e
expect_eq "$rc" "2" "an unknown --progress"
grep -q "expected auto, tty or lines" "$WORK/err" || fail "the --progress error says what is expected"
echo "progress: ok"
