#!/usr/bin/env bash
# --time-limit: past the limit no cell starts and running cells stop at their
# next epoch boundary; the run exits 75 (come back); the same command again
# continues the stopped cells from their checkpoints and finishes the sweep.
source "$(dirname "$0")/lib.sh" "$@"
cat > "$WORK/limit.yaml" <<'YAML'
name: limit
train: {epochs: 6, batch: 32, limit_train: 2000, limit_test: 300}
grid:
  dataset: [fashion-mnist]
  arch: [cnn-small]
  trigger: [square]
  poison_rate: [0, 0.1]
  seed: [1, 2, 3]
YAML
db="$WORK/limit.db"
set +e
mpi 2 run "$WORK/limit.yaml" --db "$db" --time-limit 3s 2> "$WORK/log1"
rc=$?
set -e
cat "$WORK/log1"
expect_eq "$rc" "75" "exit status when the time limit stops the run"
grep -q "run the same command again to continue" "$WORK/log1" || fail "no advice to continue"
grep -q "time limit: rank 1 stopped its job" "$WORK/log1" || fail "the running job was not stopped at an epoch"
stopped=$(q "$db" "select id from cells where status = 'pending' and attempts = 1 and model_id = id")
[ -n "$stopped" ] || fail "no stopped cell is pending"
expect_true "$(q "$db" "select count(*) > 0 from metrics where cell_id = $stopped and phase = 'train'")" \
  "the stopped cell kept its finished epochs"
ls "$WORK"/limit.ckpt/cell-*.ckpt > /dev/null || fail "the stopped cell left no checkpoint"

mpi 2 run "$WORK/limit.yaml" --db "$db" 2> "$WORK/log2" || { cat "$WORK/log2"; fail "the continued run failed"; }
expect_eq "$(q "$db" "select count(*) from cell_results where status = 'done'")" "6" "every cell done"
expect_eq "$(q "$db" "select attempts from cells where id = $stopped")" "2" "the stopped cell ran once more"
expect_eq "$(q "$db" "select count(*) from metrics where cell_id = $stopped and phase = 'train' and name = 'clean_acc'")" \
  "6" "the stopped cell has every epoch (replayed from its checkpoint, then continued)"
[ -z "$(ls "$WORK"/limit.ckpt/cell-*.ckpt 2> /dev/null)" ] || fail "finished cells left resume checkpoints behind"
echo "time_limit: ok"
