#!/usr/bin/env bash
# init: pretrained: one pre-training job serves every cell of the same
# dataset, architecture and seed; it is run once, also across a kill and a
# resume; its cells wait for it; a lost model checkpoint is pre-trained again
# when a cell still needs it.
source "$(dirname "$0")/lib.sh" "$@"
cat > "$WORK/pre.yaml" <<'YAML'
name: pretrain
train: {epochs: 6, batch: 32, lr: 0.01}
init: {pretrained: clean, epochs: 3}
grid:
  dataset: [{name: synthetic, classes: 4, channels: 1, size: 16, train: 2000, test: 300}]
  arch: [{name: cnn-small, conv1: 8, conv2: 16, fc: 32}]
  trigger: [square, checkerboard, {name: pattern, glyph: X}]
  poison_rate: [0, 0.1]
  seed: [1]
YAML
db="$WORK/pre.db"
setsid mpirun --oversubscribe -n 3 "$BDSWEEP" run "$WORK/pre.yaml" --db "$db" 2> "$WORK/log1" &
pid=$!
for _ in $(seq 1 600); do
  sleep 0.1
  ready=$(q "$db" "select (select status from cells where kind = 'pretrain') = 'done' and
                          (select count(*) from cells where kind = 'cell' and status = 'done') >= 1" 2>/dev/null || echo 0)
  [ "$ready" = "1" ] && break
done
[ "$ready" = "1" ] || { cat "$WORK/log1"; fail "the pre-training job and a first cell did not finish"; }
kill -KILL "$pid"; wait "$pid" 2>/dev/null || true
for _ in $(seq 1 100); do pgrep -f -- "--db $db" > /dev/null || break; sleep 0.2; done
echo "killed with $(q "$db" "select count(*) from cells where kind = 'cell' and status = 'done'") cells done"

mpi 3 run "$WORK/pre.yaml" --db "$db" 2> "$WORK/log2" || { cat "$WORK/log2"; fail "resumed run failed"; }
expect_eq "$(q "$db" "select count(*) from cells where kind = 'pretrain'")" "1" "one pre-training job"
expect_eq "$(q "$db" "select status || ' ' || attempts from cells where kind = 'pretrain'")" "done 1" \
  "the pre-training job ran once, across the kill"
expect_eq "$(q "$db" "select count(*) from cell_results where status = 'done'")" "6" "every cell done"
# Every model waits for it: the 3 poisoned cells' and the clean model of rate 0.
expect_eq "$(q "$db" "select count(distinct depends_on) || ' ' || count(*) from cells where kind <> 'pretrain' and
  depends_on = (select id from cells where kind = 'pretrain')")" "1 4" "every model waits for that job"
# The cells started from the clean model: accurate after their first epoch.
expect_true "$(q "$db" "select min(value) > 0.6 from cell_metrics
  where phase = 'train' and epoch = 1 and name = 'clean_acc'")" "fine-tuning starts from the pre-trained model"
expect_true "$(q "$db" "select count(*) = 3 from metrics m join cells c on c.id = m.cell_id
  where c.kind = 'pretrain' and m.phase = 'pretrain' and m.name = 'clean_acc'")" "the pre-training job's metrics"

# Lose the model, add a cell that needs it: pre-trained again, once.
rm -f "$WORK"/pre.ckpt/pretrain-*.ckpt
sed 's/poison_rate: \[0, 0.1\]/poison_rate: [0, 0.1, 0.2]/' "$WORK/pre.yaml" > "$WORK/pre2.yaml"
mpi 2 run "$WORK/pre2.yaml" --db "$db" 2> "$WORK/log3" || { cat "$WORK/log3"; fail "the extended sweep failed"; }
grep -q "is missing: pre-training again" "$WORK/log3" || { cat "$WORK/log3"; fail "no word about the lost model"; }
expect_eq "$(q "$db" "select status || ' ' || attempts from cells where kind = 'pretrain'")" "done 2" \
  "pre-trained again for the new cells"
expect_eq "$(q "$db" "select count(*) from cell_results where status = 'done'")" "9" "the new cells are done"
echo "pretrain: ok"
