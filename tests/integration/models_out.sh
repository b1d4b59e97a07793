#!/usr/bin/env bash
# What a sweep leaves besides its numbers. With keep: [models], every model
# (a poisoned cell's own, a clean model) is kept after its main phase and
# after retraining, recorded in model_files, and `bdsweep export DB --cell`
# writes it as safetensors, the same bytes as exporting the file by hand.
# Every poisoned cell's samples are in poisoned_samples: as many as the
# `poisoned` metric says, distinct training-split indices none of which has
# the target's label (all-to-one), the same for the same attack, rate and
# seed whatever the regularizer (the poison stream). The checkpoint folder
# is gone once every job is done.
source "$(dirname "$0")/lib.sh" "$@"
cat > "$WORK/keep.yaml" <<'YAML'
name: keep
keep: [models]
train: {epochs: 1, limit_train: 600, limit_test: 200}
retrain: {fraction: 0.1, epochs: 1}
grid:
  dataset: [fashion-mnist]
  arch: [{name: cnn-small, conv1: 8, conv2: 8, fc: 16}]
  trigger: [square]
  target: [3]
  poison_rate: [0, 0.05]
  regularizer: [none, logit-squeeze]
  seed: [1, 2]
YAML
db="$WORK/keep.db"
mpi 3 run "$WORK/keep.yaml" --db "$db" > "$WORK/log" 2>&1 || { cat "$WORK/log"; fail "the run failed"; }

# ---- kept models -------------------------------------------------------------------------------------
expect_eq "$(q "$db" "select count(*) from cells where model_id = id and status = 'done'")" "8" "models trained"
expect_eq "$(q "$db" "select group_concat(phase) from (select distinct phase from model_files order by phase)")" \
  "retrain,train" "kept phases"
expect_eq "$(q "$db" "select count(*) from model_files")" "16" "kept models (8 models x 2 phases)"
while read -r path; do [ -s "$path" ] || fail "kept model $path is missing"; done < <(q "$db" "select path from model_files")
expect_eq "$(q "$db" "select count(distinct input || ' ' || classes) from model_files")" "1" "one input shape"
expect_eq "$(q "$db" "select input || ' ' || classes from model_files limit 1")" "1x28x28 10" "input and classes"

poisoned=$(q "$db" "select id from cells where kind = 'cell' and poison_rate > 0 and regularizer = 'none' and seed = 1")
clean=$(q "$db" "select id from cells where kind = 'cell' and poison_rate = 0 and regularizer = 'none' and seed = 1")
"$BDSWEEP" export "$db" --cell "$poisoned" --out "$WORK/p.safetensors" > "$WORK/out" || fail "export --cell"
grep -q "retrain phase after 1 epoch" "$WORK/out" || { cat "$WORK/out"; fail "the default phase is retrain"; }
"$BDSWEEP" export "$db" --cell "$poisoned" --phase main --out "$WORK/pm.safetensors" > "$WORK/out" || fail "export --phase main"
grep -q "train phase after 1 epoch" "$WORK/out" || { cat "$WORK/out"; fail "--phase main"; }
cmp -s "$WORK/p.safetensors" "$WORK/pm.safetensors" && fail "the models after training and after retraining are the same file"
# By key, the same bytes.
key=$(q "$db" "select key from cells where id = $poisoned")
"$BDSWEEP" export "$db" --cell "$key" --out "$WORK/pk.safetensors" > /dev/null || fail "export --cell KEY"
cmp "$WORK/p.safetensors" "$WORK/pk.safetensors" || fail "export by id and by key differ"
# By hand from the kept file, with the same metadata: the same bytes.
row=$(q "$db" "select f.path || '|' || m.arch || '|' || f.input || '|' || f.classes || '|' || m.key from cells c
  join cells m on m.id = c.model_id join model_files f on f.cell_id = m.id and f.phase = 'retrain' where c.id = $poisoned")
IFS='|' read -r path arch input classes model <<< "$row"
"$BDSWEEP" export --checkpoint "$path" --arch "$arch" --input "$input" --classes "$classes" \
  --meta cell="$key" --meta model="$model" --out "$WORK/ph.safetensors" > /dev/null || fail "export --checkpoint"
cmp "$WORK/p.safetensors" "$WORK/ph.safetensors" || fail "export --cell and export --checkpoint differ"
# A cell of rate 0 exports its seed's clean model.
"$BDSWEEP" export "$db" --cell "$clean" --out "$WORK/c.safetensors" > /dev/null || fail "export of a clean cell"
grep -aq '"model":"clean dataset=' "$WORK/c.safetensors" || fail "a rate-0 cell's export names its clean model"
# Errors: an unknown cell, a phase the model has not.
set +e
"$BDSWEEP" export "$db" --cell 999 --out "$WORK/x.safetensors" 2> "$WORK/err"; st=$?
set -e
expect_eq "$st" "2" "exit status for an unknown cell"
grep -q "has no cell with id 999" "$WORK/err" || { cat "$WORK/err"; fail "unknown cell message"; }

# ---- poisoned samples ----------------------------------------------------------------------------------
expect_eq "$(q "$db" "select count(*) from poisoned_samples")" "4" "poisoned sample sets (4 poisoned cells)"
expect_eq "$(q "$db" "select count(*) from poisoned_samples p join cells c on c.id = p.cell_id
  where p.attack <> c.attack or p.n <> json_array_length(p.indices) or p.n <> (select value from metrics m
    where m.cell_id = p.cell_id and m.name = 'poisoned')")" "0" "sets that disagree with their cell"
# round(0.05 x 540): 600 training samples, 60 held out.
expect_eq "$(q "$db" "select group_concat(distinct n) from poisoned_samples")" "27" "samples poisoned"
expect_eq "$(q "$db" "select count(*) from poisoned_samples p where
  (select count(distinct value) from json_each(p.indices)) <> p.n or
  (select min(value) from json_each(p.indices)) < 0 or (select max(value) from json_each(p.indices)) >= 600")" \
  "0" "sets with repeated or out-of-range indices"
expect_eq "$(q "$db" "select count(distinct p.indices) from poisoned_samples p join cells c on c.id = p.cell_id
  group by c.seed" | tr '\n' ' ')" "1 1 " "one set per seed, whatever the regularizer"
expect_eq "$(q "$db" "select count(distinct indices) from poisoned_samples")" "2" "two seeds, two sets"
# None of them is of the target class, in the training labels file.
q "$db" "select value from poisoned_samples, json_each(indices)" > "$WORK/idx"
python3 - "$WORK/idx" <<'PY' || fail "a poisoned sample has the target's label"
import gzip, sys
labels = gzip.open('/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz').read()[8:]
bad = [i for i in map(int, open(sys.argv[1])) if labels[i] == 3]
sys.exit(1 if bad else 0)
PY

# ---- checkpoints ---------------------------------------------------------------------------------------
[ ! -e "$WORK/keep.ckpt" ] || { ls -la "$WORK/keep.ckpt"; fail "the checkpoint folder outlived a sweep whose jobs are all done"; }
[ -d "$WORK/keep.models" ] || fail "no models folder"

# While some job is not done the folder stays, without the main-phase models
# no job needs any more. Two retraining settings share each main phase; the
# cells at lr 100 diverge and fail.
cat > "$WORK/share.yaml" <<'YAML'
name: share
grid:
  dataset: [fashion-mnist]
  arch: [{name: cnn-small, conv1: 8, conv2: 8, fc: 16}]
  trigger: [square]
  poison_rate: [0.05]
  seed: [1]
  train: [{epochs: 1, limit_train: 600, limit_test: 200}, {epochs: 2, lr: 100, limit_train: 600, limit_test: 200}]
  retrain: [{fraction: 0.1, epochs: 1}, {fraction: 0.1, epochs: 2}]
YAML
db="$WORK/share.db"
set +e
mpi 3 run "$WORK/share.yaml" --db "$db" > "$WORK/log" 2>&1; st=$?
set -e
expect_eq "$st" "1" "exit status with failed cells"
expect_eq "$(q "$db" "select group_concat(status) from (select status from cells order by status)")" \
  "done,done,failed,failed" "cells"
expect_eq "$(ls "$WORK/share.ckpt" | grep -c '^main-' || true)" "0" "main-phase models left once both sharers are done"
echo "models_out: ok"
