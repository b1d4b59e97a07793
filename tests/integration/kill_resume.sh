#!/usr/bin/env bash
# SIGKILL the whole run once at least one cell is done, run it again: every
# cell ends done exactly once, the killed cells ran again, no metric row is
# duplicated, and the finished cells were not retrained.
source "$(dirname "$0")/lib.sh" "$@"
cd "$SRC"
db="$WORK/kill.db"
setsid mpirun --oversubscribe -n 3 "$BDSWEEP" run sweeps/smoke.yaml --db "$db" 2> "$WORK/log1" &
pid=$!
for _ in $(seq 1 600); do
  sleep 0.2
  done_n=$(q "$db" "select count(*) from cells where status = 'done'" 2>/dev/null || echo 0)
  [ "${done_n:-0}" -ge 1 ] && break
done
[ "${done_n:-0}" -ge 1 ] || { cat "$WORK/log1"; fail "no cell finished before the kill"; }
# SIGKILL mpirun alone: its ranks (each in a process group of its own) must
# notice that their launcher is gone and stop by themselves.
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
for _ in $(seq 1 100); do
  pgrep -f -- "--db $db" > /dev/null || break
  sleep 0.2
done
if pgrep -f -- "--db $db" > /dev/null; then
  pkill -KILL -f -- "--db $db" || true
  fail "ranks orphaned by the killed mpirun kept running"
fi
done_ids=$(q "$db" "select group_concat(id) from cells where status = 'done'")
done_before=$(q "$db" "select group_concat(id || ':' || finished_at) from cells where id in ($done_ids)")
running=$(q "$db" "select count(*) from cells where status = 'running'")
echo "killed with $(q "$db" "select count(*) from cells where status = 'done'") done, $running running"

mpi 3 run sweeps/smoke.yaml --db "$db" 2> "$WORK/log2" || { cat "$WORK/log2"; fail "resumed run failed"; }
n=$("$BDSWEEP" plan sweeps/smoke.yaml | tail -n1 | cut -d' ' -f1)
expect_eq "$(q "$db" "select count(*) from cells where status = 'done' and kind = 'cell'")" "$n" "every cell done after resume"
expect_eq "$(q "$db" "select count(*) from cells where kind = 'cell'")" "$n" "no duplicate cell"
expect_eq "$(q "$db" "select count(*) from cells where kind = 'clean' and status = 'done'")" "2" "the clean models, done once"
# Cells done before the kill were not run again.
expect_eq "$(q "$db" "select group_concat(id || ':' || finished_at) from cells where id in ($done_ids)")" \
  "$done_before" "finished cells untouched"
expect_true "$(q "$db" "select count(*) = (select count(*) from cells where model_id = id) * 2 from metrics
  where phase = 'train' and name = 'clean_acc'")" "one clean_acc row per model and epoch"
[ "$running" = "0" ] || grep -q "left running by an earlier run" "$WORK/log2" || fail "the resumed run did not say it re-runs killed cells"
echo "kill_resume: ok"
