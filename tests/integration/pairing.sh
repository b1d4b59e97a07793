#!/usr/bin/env bash
# Paired random streams (worker/cell/streams.h): the initial weights come
# from (dataset, arch, init, seed) only. A sweep of zero training epochs
# measures every cell on its initial model: all cells of a seed, whatever
# their trigger, rate or regularizer, show the same clean accuracy on every
# class, and the same ASR under the same trigger; two seeds differ. Then one
# epoch: a rate that poisons no sample (round(0.001 x 300) = 0) gives its
# seed's baseline numbers exactly.
source "$(dirname "$0")/lib.sh" "$@"
cat > "$WORK/zero.yaml" <<'YAML'
name: zero
train: {epochs: 0, limit_train: 300, limit_test: 300}
grid:
  dataset: [fashion-mnist]
  arch: [cnn-small]
  trigger: [square, checkerboard]
  poison_rate: [0, 0.1]
  regularizer: [none, logit-squeeze, manifold-mixup]
  seed: [1, 2]
YAML
db="$WORK/zero.db"
mpi 2 run "$WORK/zero.yaml" --db "$db" > "$WORK/log" 2>&1 || { cat "$WORK/log"; fail "the zero-epoch run failed"; }
expect_eq "$(q "$db" "select count(*) from cells where kind = 'cell' and status = 'done'")" "24" "done cells"
# Distinct models: 2 seeds x 3 regularizers clean ones, 2 x 3 x 2 triggers poisoned.
expect_eq "$(q "$db" "select count(distinct model_id) from cells where kind = 'cell'")" "18" "models"
# A cell's fingerprint: its clean accuracy and that of each class at epoch 0.
fingerprints="
  with f as (
    select c.id, c.seed, c.trigger,
           group_concat(m.name || '=' || m.value, ' ') over (partition by c.id order by m.name
             rows between unbounded preceding and unbounded following) as clean,
           (select value from cell_metrics a where a.cell_id = c.id and a.epoch = 0 and a.name = 'asr') as asr
    from cells c join cell_metrics m on m.cell_id = c.id
    where c.kind = 'cell' and m.phase = 'train' and m.epoch = 0 and m.name like 'clean_acc%' and m.attack = '')
  select distinct id, seed, trigger, clean, asr from f"
expect_eq "$(q "$db" "select count(distinct clean) from ($fingerprints) group by seed" | tr '\n' ' ')" "1 1 " \
  "one initial model per seed (clean accuracy per class)"
expect_eq "$(q "$db" "select count(distinct asr) from ($fingerprints) group by seed, trigger" | tr '\n' ' ')" \
  "1 1 1 1 " "one initial model per seed (ASR per trigger)"
expect_eq "$(q "$db" "select count(distinct clean) from ($fingerprints)")" "2" "two seeds, two initial models"
q "$db" "select distinct seed, clean from ($fingerprints)" | cut -c1-120

# One epoch: a rate of 0.001 poisons no sample of 300 and is measured on
# its seed's clean model.
cat > "$WORK/round.yaml" <<'YAML'
name: round
train: {epochs: 1, limit_train: 300, limit_test: 300}
grid:
  dataset: [fashion-mnist]
  arch: [cnn-small]
  trigger: [square]
  poison_rate: [0, 0.001, 0.1]
  seed: [1, 2]
YAML
db="$WORK/round.db"
expect_eq "$("$BDSWEEP" plan --keys "$WORK/round.yaml" | tail -n1)" "6 cells, 4 models to train" "plan of the rounding sweep"
mpi 2 run "$WORK/round.yaml" --db "$db" > "$WORK/log" 2>&1 || { cat "$WORK/log"; fail "the one-epoch run failed"; }
expect_eq "$(q "$db" "
  select count(*) from cell_results z join cell_results r
    on r.seed = z.seed and r.poison_rate = 0.001 and z.poison_rate = 0
  where r.clean_acc = z.clean_acc and r.asr = z.asr and r.triggered_acc = z.triggered_acc")" "2" \
  "a rate that poisons nothing gives its baseline's numbers"
expect_eq "$(q "$db" "select count(*) from cells where kind = 'cell' and poison_rate = 0.001 and model_id <> id")" "2" \
  "its cells are measured on the clean model"
echo "pairing: ok"
