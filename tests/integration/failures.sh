#!/usr/bin/env bash
# Failure handling end to end: a cell whose data is corrupt is marked failed
# with its reason while the sweep goes on (exit 1); --retry-failed runs it
# again; `status` lists it; an invalid sweep, or one whose labels cannot be
# read (run checks the poisoning pools against them), is refused with exit 2
# before the database is touched.
source "$(dirname "$0")/lib.sh" "$@"
mkdir -p "$WORK/corrupt"
# MNIST images with a wrong magic number, beside label files that read (10
# labels 0..9: the check before the run counts the pools in them).
for s in train t10k; do
  printf 'not an idx file at all' > "$WORK/corrupt/$s-images-idx3-ubyte"
  printf '\x00\x00\x08\x01\x00\x00\x00\x0a\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09' > "$WORK/corrupt/$s-labels-idx1-ubyte"
done
cat > "$WORK/fail.yaml" <<YAML
name: failures
train: {epochs: 1, batch: 32, limit_train: 300, limit_test: 100}
grid:
  dataset: [fashion-mnist, {name: mnist, path: "$WORK/corrupt"}]
  arch: [cnn-small]
  trigger: [square]
  poison_rate: [0.1]
YAML
db="$WORK/fail.db"
set +e
mpi 2 run "$WORK/fail.yaml" --db "$db" 2> "$WORK/log"
rc=$?
set -e
cat "$WORK/log"
expect_eq "$rc" "1" "exit status with a failed cell"
expect_eq "$(q "$db" "select count(*) from cells where status = 'done'")" "1" "the good cell is done"
expect_eq "$(q "$db" "select count(*) from cells where status = 'failed'")" "1" "the corrupt cell failed"
err=$(q "$db" "select error from cells where status = 'failed'")
case "$err" in *"$WORK/corrupt/train-images-idx3-ubyte"*magic*) ;; *) fail "error should name the file and the magic number: $err" ;; esac
grep -q -- "--retry-failed" "$WORK/log" || fail "the summary should say how to re-run failed cells"

"$BDSWEEP" status "$db" > "$WORK/status" || fail "status exited $?"
grep -q "failed" "$WORK/status" || fail "status lists no failure"
grep -q "magic" "$WORK/status" || fail "status shows no error text"

# Without --retry-failed nothing runs; with it the failed cell runs again.
set +e
mpi 2 run "$WORK/fail.yaml" --db "$db" 2> "$WORK/log2"; rc2=$?
started=$(q "$db" "select started_at from cells where status = 'failed'")
mpi 2 run "$WORK/fail.yaml" --db "$db" --retry-failed 2> "$WORK/log3"; rc3=$?
set -e
expect_eq "$rc2" "1" "exit status while a cell stays failed"
[ "$(q "$db" "select started_at from cells where status = 'failed'")" != "$started" ] ||
  fail "--retry-failed did not run the failed cell again"
expect_eq "$(q "$db" "select attempts from cells where status = 'failed'")" "1" \
  "--retry-failed started the failed cell's count of attempts again"
expect_eq "$rc3" "1" "still failing after the retry"
expect_eq "$(q "$db" "select attempts from cells where status = 'done'")" "1" "the done cell was never re-run"

# An invalid sweep: exit 2, the error names file:line:column, the database is untouched.
sum_before=$(sha256sum "$db" | cut -d' ' -f1)
sed 's/poison_rate: \[0.1\]/poison_rate: [1.5]/' "$WORK/fail.yaml" > "$WORK/bad.yaml"
set +e
mpi 2 run "$WORK/bad.yaml" --db "$db" 2> "$WORK/log4"; rc4=$?
set -e
expect_eq "$rc4" "2" "exit status of an invalid sweep"
grep -q "bad.yaml:7:" "$WORK/log4" || { cat "$WORK/log4"; fail "the error should name bad.yaml:7:COL"; }
grep -q "out of range" "$WORK/log4" || fail "the error should say the rate is out of range"
expect_eq "$(sha256sum "$db" | cut -d' ' -f1)" "$sum_before" "the database is untouched by an invalid sweep"
# Labels that cannot be read: run refuses the sweep before anything trains.
printf 'not an idx file at all' > "$WORK/corrupt/train-labels-idx1-ubyte"
set +e
mpi 2 run "$WORK/fail.yaml" --db "$db" 2> "$WORK/log5"; rc5=$?
set -e
expect_eq "$rc5" "2" "exit status of a sweep whose labels cannot be read"
grep -q "fail.yaml:4:.*grid.dataset\[1\]: mnist: .*corrupt/train-labels-idx1-ubyte: magic number" "$WORK/log5" ||
  { cat "$WORK/log5"; fail "the error should name the sweep's line and the label file"; }
expect_eq "$(sha256sum "$db" | cut -d' ' -f1)" "$sum_before" "the database is untouched by a refused sweep"
# A training that diverges is a failed cell that says where, not NaN in the database.
cat > "$WORK/diverge.yaml" <<'YAML'
name: diverge
train: {epochs: 3, lr: 100}
grid:
  dataset: [{name: synthetic, classes: 4, size: 12, train: 300, test: 100}]
  arch: [cnn-small]
  trigger: [square]
  poison_rate: [0]
YAML
set +e
mpi 2 run "$WORK/diverge.yaml" --db "$WORK/diverge.db" 2> "$WORK/log5"; rc5=$?
set -e
expect_eq "$rc5" "1" "exit status of a diverged sweep"
case "$(q "$WORK/diverge.db" "select error from cells")" in
  "diverged at epoch 1 step "*"loss = "*nan*) ;;
  *) fail "the diverged cell's error: $(q "$WORK/diverge.db" "select error from cells")" ;;
esac
expect_eq "$(q "$WORK/diverge.db" "select count(*) from metrics where value is not null and value != value")" "0" \
  "no NaN stored"
echo "failures: ok"
