#!/usr/bin/env bash
# Every job runs in a process of its own: a job that aborts, one whose
# process is killed with SIGKILL and one that allocates past its memory
# limit each fail with their reason, and the other cells of the sweep finish
# — with workers (-n 3) and with rank 0 training itself (-n 1).
source "$(dirname "$0")/lib.sh" "$@"
cat > "$WORK/crash.yaml" <<'YAML'
name: crash
train: {epochs: 6, batch: 32, limit_train: 3000, limit_test: 200}
grid:
  # The synthetic dataset holds 20000 images of 3x64x64: 245 MB, more than
  # its cell's memory limit lets it allocate.
  dataset: [fashion-mnist, {name: synthetic, channels: 3, size: 64, train: 20000, test: 100}]
  arch: [{name: cnn-small, conv1: 8, conv2: 16, fc: 32}]
  trigger: [square]
  poison_rate: [0.1]
  seed: [1, 2, 3, 4]
exclude:
  - {dataset: synthetic, seed: 2}
  - {dataset: synthetic, seed: 3}
  - {dataset: synthetic, seed: 4}
limits:
  overrides:
    - {cells: {dataset: synthetic}, memory: 200MiB}
YAML
# seed 2 aborts in its second epoch (the test hook of bdsweep job-process).
export BDSWEEP_TEST_CRASH='seed=2 :abort@epoch2'

check_run() { # check_run N: the sweep on N ranks
  local n=$1 db="$WORK/crash$1.db" id pid rc
  mpirun --oversubscribe -n "$n" "$BDSWEEP" run "$WORK/crash.yaml" --db "$db" 2> "$WORK/log$n" &
  local mp=$!
  # seed 3 is killed with SIGKILL once it has finished an epoch.
  wait_for 60 "$db" "select count(*) >= 1 from metrics m join cells c on c.id = m.cell_id
    where c.key like '%seed=3 %' and c.status = 'running' and m.phase = 'train' and m.name = 'clean_acc'" ||
    { kill "$mp" 2> /dev/null; cat "$WORK/log$n"; fail "-n $n: seed 3 was never seen running after an epoch"; }
  id=$(q "$db" "select id from cells where key like '%seed=3 %'")
  pid=$(job_pid "$mp" "$id")
  [ -n "$pid" ] || { kill "$mp"; fail "-n $n: no process runs job $id"; }
  kill -KILL "$pid"
  set +e
  wait "$mp"
  rc=$?
  set -e
  cat "$WORK/log$n"
  expect_eq "$rc" "1" "-n $n: exit status with failed cells"
  err() { q "$db" "select status || ': ' || coalesce(error, '') from cells where key like '%$1%'"; }
  case "$(err 'seed=2 ')" in
    "failed: crashed: SIGABRT in train epoch 2"*) ;;
    *) fail "-n $n: the aborted cell: $(err 'seed=2 ')" ;;
  esac
  case "$(err 'seed=3 ')" in
    "failed: killed by signal 9 (SIGKILL) in train epoch "* | "failed: killed by signal 9 (SIGKILL) after train epoch "*) ;;
    *) fail "-n $n: the killed cell: $(err 'seed=3 ')" ;;
  esac
  case "$(err 'synthetic')" in
    "failed: out of memory: limit 200 MiB"*) ;;
    *) fail "-n $n: the cell over its memory limit: $(err synthetic)" ;;
  esac
  expect_eq "$(q "$db" "select group_concat(seed) from cells where status = 'done' and dataset = 'fashion-mnist'")" \
    "1,4" "-n $n: the other cells finished"
  expect_eq "$(q "$db" "select count(*) from metrics m join cells c on c.id = m.cell_id where c.status = 'done'
    and m.phase = 'train' and m.name = 'clean_acc'")" "12" "-n $n: every epoch of the finished cells"
  grep -q "job failed on rank" "$WORK/log$n" || fail "-n $n: no failure was reported"
  [ -z "$(pgrep -P "$mp" 2> /dev/null)" ] || fail "-n $n: processes left behind"
}
check_run 3
check_run 1
echo "crash_isolation: ok"
