#!/usr/bin/env bash
# A stop signal mid-epoch (SIGUSR1 to mpirun, which forwards it to the
# ranks; SIGTERM to rank 0 training alone): every job checkpoints at its next
# training step, the run exits 75 within seconds, and the same command again
# finishes the sweep with exactly the numbers of an uninterrupted run — every
# metric but the timings, bit for bit — and exits 0.
source "$(dirname "$0")/lib.sh" "$@"
# Every stream draws: augmentation, dropout, manifold mixup, poisoning;
# 94 steps an epoch.
cat > "$WORK/sig.yaml" <<'YAML'
name: sig
train: {epochs: 3, batch: 32, limit_train: 3000, limit_test: 300, augment: crop-flip}
grid:
  dataset: [fashion-mnist]
  arch: [{name: cnn-small, dropout: 0.2}]
  trigger: [square]
  poison_rate: [0, 0.1]
  regularizer: [manifold-mixup]
YAML
dump() {
  q "$1" "select c.key, m.phase, m.epoch, m.name, m.attack, printf('%.17g', m.value) from metrics m
          join cells c on c.id = m.cell_id where m.name <> 'seconds' order by 1, 2, 3, 4, 5"
}
mpi 3 run "$WORK/sig.yaml" --db "$WORK/ref.db" 2> "$WORK/log-ref" || { cat "$WORK/log-ref"; fail "the reference run failed"; }
dump "$WORK/ref.db" > "$WORK/ref.txt"

# stop_mid_epoch N SIGNAL WHO: run on N ranks, send SIGNAL to WHO (mpirun or
# rank0) once a job is in its second epoch; expect 75, then resume.
stop_mid_epoch() {
  local n=$1 sig=$2 who=$3 db="$WORK/stop$1.db" rc t0 t1
  mpirun --oversubscribe -n "$n" "$BDSWEEP" run "$WORK/sig.yaml" --db "$db" 2> "$WORK/log$n" &
  local mp=$!
  wait_for 60 "$db" "select count(*) >= 1 from metrics m join cells c on c.id = m.cell_id
    where c.status = 'running' and m.phase = 'train' and m.epoch = 1 and m.name = 'clean_acc'" ||
    { kill "$mp" 2> /dev/null; cat "$WORK/log$n"; fail "-n $n: no job was seen in its second epoch"; }
  sleep 0.3
  t0=$(date +%s%N)
  if [ "$who" = mpirun ]; then kill -"$sig" "$mp"; else kill -"$sig" "$(pgrep -P "$mp")"; fi
  set +e
  wait "$mp"
  rc=$?
  set -e
  t1=$(date +%s%N)
  cat "$WORK/log$n"
  expect_eq "$rc" "75" "-n $n: exit status after SIG$sig"
  echo "-n $n: SIG$sig to exit in $(( (t1 - t0) / 1000000 )) ms"
  [ $(( (t1 - t0) / 1000000 )) -lt 10000 ] || fail "-n $n: the run took more than 10 s to stop"
  grep -q "SIG$sig stopped the run" "$WORK/log$n" || fail "-n $n: no word of the signal"
  # At least one job stopped between two steps of an epoch, not at its end.
  grep -E "stopped its job \(interrupted in train epoch [0-9]+ of 3 at step [0-9]+ of 94\)" "$WORK/log$n" |
    grep -qv "at step 0 of" || fail "-n $n: no job stopped mid-epoch"
  expect_eq "$(q "$db" "select count(*) from cells where status = 'running'")" "0" "-n $n: no cell left running"
  expect_eq "$(q "$db" "select count(*) from cells where status = 'pending' and attempts = 0 and model_id = id
    and id in (select cell_id from metrics where phase = 'train')")" \
    "$(q "$db" "select count(*) from cells where status = 'pending' and model_id = id
    and id in (select cell_id from metrics where phase = 'train')")" "-n $n: a stopped job gave its attempt back"
  mpi "$n" run "$WORK/sig.yaml" --db "$db" 2> "$WORK/log$n-resume" || { cat "$WORK/log$n-resume"; fail "-n $n: resume"; }
  dump "$db" > "$WORK/stop$n.txt"
  diff "$WORK/ref.txt" "$WORK/stop$n.txt" > "$WORK/diff$n" ||
    { head -20 "$WORK/diff$n"; fail "-n $n: the resumed numbers differ from the uninterrupted run's"; }
  expect_eq "$(q "$db" "select count(*) from cells where status = 'done'")" "3" "-n $n: every job done"
}
stop_mid_epoch 3 USR1 mpirun
stop_mid_epoch 1 TERM rank0
echo "signal_resume: ok ($(wc -l < "$WORK/ref.txt") metric rows identical)"
