#!/usr/bin/env bash
# The limits of a sweep file: a job over its wall-time limit is killed and
# failed with that reason; a job that dead runs left running is tried again
# until it has had its attempts, then failed as abandoned; --retry-failed
# runs both again and starts their count of attempts afresh.
source "$(dirname "$0")/lib.sh" "$@"
cat > "$WORK/limits.yaml" <<'YAML'
name: limits
grid:
  dataset: [fashion-mnist]
  arch: [{name: cnn-small, conv1: 8, conv2: 16, fc: 32}]
  trigger: [square]
  poison_rate: [0.1]
  seed: [1, 2]
  train:
    - {epochs: 2, batch: 32, limit_train: 600, limit_test: 100}
    - {epochs: 100, batch: 32, limit_train: 3000, limit_test: 100}
exclude:
  - {train: {epochs: 100}, seed: 2}
limits:
  attempts: 2
  overrides:
    - {cells: {train: {epochs: 100}}, wall: 2s}
YAML
db="$WORK/limits.db"
"$BDSWEEP" plan "$WORK/limits.yaml" > "$WORK/plan"
grep -q "epochs=100.*; limits: wall 2s, no memory limit, 2 attempts" "$WORK/plan" || { cat "$WORK/plan"; fail "plan shows no wall-time limit"; }
long="key like '%epochs=100%'"
short1="key like '%seed=1 train=sgd(batch=32,epochs=2,%'"
short2="key like '%seed=2 %'"

set +e
mpi 2 run "$WORK/limits.yaml" --db "$db" 2> "$WORK/log1"
rc=$?
set -e
cat "$WORK/log1"
expect_eq "$rc" "1" "exit status with a cell over its wall time"
case "$(q "$db" "select error from cells where $long")" in
  # where the job was when the limit struck: inside an epoch (its last
  # progress report) or between two (its last epoch's metrics sent)
  "over its wall-time limit of 2s in train epoch "* | "over its wall-time limit of 2s after train epoch "*) ;;
  *) fail "the long cell's error: $(q "$db" "select status || ': ' || error from cells where $long")" ;;
esac
expect_true "$(q "$db" "select wall_seconds >= 2 and wall_seconds < 10 from cells where $long")" \
  "the long cell ran about 2 s: $(q "$db" "select wall_seconds from cells where $long")"
expect_eq "$(q "$db" "select count(*) from cells where status = 'done'")" "2" "the other cells finished"

# What dead runs leave behind: the first short cell lost in its 2nd attempt
# (its limit), the second in its 1st.
sqlite3 "$db" "update cells set status = 'running', attempts = 2 where $short1;
               update cells set status = 'running', attempts = 1 where $short2"
set +e
mpi 2 run "$WORK/limits.yaml" --db "$db" 2> "$WORK/log2"
rc=$?
set -e
cat "$WORK/log2"
expect_eq "$rc" "1" "exit status with an abandoned cell"
expect_eq "$(q "$db" "select status || ': ' || error from cells where $short1")" \
  "failed: abandoned after 2 attempts (the run that ran it died each time)" "the cell that had had its attempts"
expect_eq "$(q "$db" "select status || ' ' || attempts from cells where $short2")" "done 2" \
  "the cell with an attempt left ran again"
grep -q "1 job(s) left running by an earlier run had had all their attempts" "$WORK/log2" || fail "no word of the abandoned job"
grep -q "1 cell(s) left running by an earlier run will run again" "$WORK/log2" || fail "no word of the requeued job"

mpi 2 run "$WORK/limits.yaml" --db "$db" --retry-failed 2> "$WORK/log3" || true
expect_eq "$(q "$db" "select status || ' ' || attempts from cells where $short1")" "done 1" \
  "--retry-failed ran the abandoned cell, its attempts counted afresh"
expect_eq "$(q "$db" "select status || ' ' || attempts from cells where $long")" "failed 1" \
  "--retry-failed ran the long cell again, and its wall time stopped it again"
echo "limits: ok"
