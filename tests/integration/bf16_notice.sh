#!/usr/bin/env bash
# bf16 on a CPU without bf16 arithmetic still runs, and the run says so once
# per host, not once per rank. oneDNN is held to AVX-512 without its bf16
# instructions (DNNL_MAX_CPU_ISA), as on a CPU that lacks them.
source "$(dirname "$0")/lib.sh" "$@"
"$BDSWEEP" --version | grep -q "engine: onednn" || { echo "bf16_notice: skipped (no oneDNN engine)"; exit 0; }
cat > "$WORK/bf16.yaml" <<'YAML'
name: bf16-notice
train: {epochs: 1, batch: 64, limit_train: 512, limit_test: 256, precision: bf16}
grid:
  dataset: [fashion-mnist]
  arch: [cnn-small]
  trigger: [square]
  poison_rate: [0.1]
  seed: [1, 2, 3, 4]
YAML
DNNL_MAX_CPU_ISA=AVX512_CORE mpi 3 run "$WORK/bf16.yaml" --db "$WORK/emulated.db" 2> "$WORK/log" ||
  { cat "$WORK/log"; fail "the bf16 run failed"; }
expect_eq "$(q "$WORK/emulated.db" "select count(*) from cells where status = 'done'")" "4" "bf16 cells done"
expect_eq "$(grep -c "no bf16 arithmetic" "$WORK/log")" "1" "notices on one host with 2 workers"
if "$BDSWEEP" --version | grep -q "native bf16"; then
  mpi 3 run "$WORK/bf16.yaml" --db "$WORK/native.db" 2> "$WORK/log2" || { cat "$WORK/log2"; fail "native run failed"; }
  expect_eq "$(grep -c "no bf16 arithmetic\|no AVX-512" "$WORK/log2" || true)" "0" "notices with native bf16"
fi
echo "bf16_notice: ok"
