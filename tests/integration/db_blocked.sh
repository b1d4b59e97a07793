#!/usr/bin/env bash
# A database that cannot be written for longer than the busy timeout (another
# program holds its write lock for 14 s; SQLite waits 10 s) while cells are
# training: rank 0 stops handing out work and the run exits 3. No cell is
# done without every number it produced: a job is marked done in the same
# transaction that stores all its metrics. Running again finishes the sweep
# with exactly the numbers of a run that was never blocked.
source "$(dirname "$0")/lib.sh" "$@"
cat > "$WORK/b.yaml" <<'YAML'
name: blocked
train: {epochs: 4, limit_train: 1500, limit_test: 300}
grid:
  dataset: [fashion-mnist]
  arch: [cnn-small]
  trigger: [square]
  poison_rate: [0, 0.05, 0.1]
  seed: [1, 2]
YAML
ref="$WORK/ref.db" db="$WORK/blocked.db"
mpi 3 run "$WORK/b.yaml" --db "$ref" 2> "$WORK/log0" || { cat "$WORK/log0"; fail "the reference run failed"; }

setsid mpirun --oversubscribe -n 3 "$BDSWEEP" run "$WORK/b.yaml" --db "$db" 2> "$WORK/log1" &
pid=$!
# Once the first epoch of some job is stored, lock the file for writing.
for _ in $(seq 1 600); do
  n=$(q "$db" "select count(*) from metrics where phase = 'train' and name = 'clean_acc'" 2> /dev/null || echo 0)
  [ "${n:-0}" -ge 1 ] && break
  sleep 0.1
done
[ "${n:-0}" -ge 1 ] || { cat "$WORK/log1"; fail "no epoch finished"; }
python3 - "$db" <<'PY'
import sqlite3, sys, time
con = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
con.execute("BEGIN IMMEDIATE")  # the write lock: every writer waits or fails
time.sleep(14)
con.execute("ROLLBACK")
PY
status=0
wait "$pid" || status=$?
expect_eq "$status" "3" "exit status of the blocked run"
grep -q "database error" "$WORK/log1" || { cat "$WORK/log1"; fail "the blocked run did not say why it stopped"; }

# Whatever is done holds every epoch of every metric its reference has.
complete="
  select count(*) from cells c
  where c.status = 'done' and c.model_id = c.id and
        (select count(*) from metrics m where m.cell_id = c.id and m.name <> 'seconds') <>
        (select count(*) from ref.metrics r join ref.cells rc on rc.id = r.cell_id
         where rc.key = c.key and r.name <> 'seconds')"
expect_eq "$(sqlite3 "$db" "attach '$ref' as ref; $complete")" "0" "done jobs with metrics missing"
expect_eq "$(q "$db" "select count(*) from cells where status = 'failed'")" "0" "cells failed by a database error"
echo "blocked run: $(q "$db" "select count(*) from cells where kind = 'cell' and status = 'done'") of 6 cells done"

mpi 3 run "$WORK/b.yaml" --db "$db" 2> "$WORK/log2" || { cat "$WORK/log2"; fail "the second run failed"; }
same="
  select count(*) from metrics m join cells c on c.id = m.cell_id
  join ref.cells rc on rc.key = c.key
  join ref.metrics r on r.cell_id = rc.id and r.phase = m.phase and r.epoch = m.epoch and r.name = m.name and
                        r.attack = m.attack
  where m.name <> 'seconds' and r.value is m.value"
all="select count(*) from metrics where name <> 'seconds'"
expect_eq "$(sqlite3 "$db" "attach '$ref' as ref; $same")" "$(q "$ref" "$all")" "numbers equal to the unblocked run's"
expect_eq "$(q "$db" "$all")" "$(q "$ref" "$all")" "metric rows"
echo "db_blocked: ok"
