#!/usr/bin/env bash
# The smoke sweep under mpirun -n 3: every cell done, accuracy above chance,
# the backdoor far stronger in poisoned cells than in their baselines, and the
# provenance recorded (the build, the sweep, the ranks' hosts, the run of
# each cell); then the same command again trains nothing and duplicates
# nothing, and says so once when the done cells come from another build.
source "$(dirname "$0")/lib.sh" "$@"
db="$WORK/smoke.db"
cd "$SRC"
mpi 3 run sweeps/smoke.yaml --db "$db" 2> "$WORK/log" || { cat "$WORK/log"; fail "run exited $?"; }
cat "$WORK/log"

n=$("$BDSWEEP" plan sweeps/smoke.yaml | tail -n1 | cut -d' ' -f1)
expect_eq "$(q "$db" "select count(*) from cell_results")" "$n" "cells in the database"
expect_eq "$(q "$db" "select count(*) from cell_results where status = 'done'")" "$n" "done cells"
expect_true "$(q "$db" "select min(clean_acc) > 0.5 from cell_results")" "clean accuracy above chance (0.1) by far"
# ASR of every poisoned cell far above the baseline cells' (same trigger).
expect_true "$(q "$db" "select min(p.asr) > 0.8 and max(b.asr) < 0.3
  from cell_results p join cell_results b
    on b.trigger = p.trigger and b.poison_rate = 0 and p.poison_rate > 0")" "ASR poisoned >> baseline"
# Every model has its per-epoch metrics exactly once (6 cells on 6 models:
# the 2 cells of rate 0 on their seed's clean model), and every cell reads
# its model's: the two rate-0 cells of one seed would show one clean accuracy.
expect_eq "$(q "$db" "select count(*) from cells where model_id = id")" "6" "models trained"
expect_true "$(q "$db" "select count(*) = (select count(*) from cells where model_id = id) * 2 from metrics
  where phase = 'train' and name = 'clean_acc'")" "one clean_acc row per model and epoch"
expect_true "$(q "$db" "select count(*) = (select count(*) from cells where kind = 'cell') * 2 from cell_metrics
  where phase = 'train' and name = 'clean_acc'")" "one clean_acc row per cell and epoch"

# Provenance: which build, sweep and hosts produced every number.
version=$("$BDSWEEP" --version | head -n1 | cut -d' ' -f2)
expect_eq "$(q "$db" "select count(*) from runs")" "1" "runs"
expect_eq "$(q "$db" "select version from runs")" "$version" "the run's bdsweep version"
expect_eq "$(q "$db" "select s.name from runs r join sweeps s on s.id = r.sweep_id")" "smoke" "the run's sweep"
expect_true "$(q "$db" "select build_options like '%buildtype=%' and build_options like '%blas=%'
  and build_options like '%native=%' from runs")" "the run's build options"
if git -C "$SRC" rev-parse --show-toplevel > /dev/null 2>&1 &&
   [ "$(realpath "$(git -C "$SRC" rev-parse --show-toplevel)")" = "$SRC" ]; then
  commit=$(q "$db" "select git_commit from runs")
  case "$commit" in "$(git -C "$SRC" rev-parse --short=12 HEAD)"*) ;;
    *) fail "the run's git commit: got '$commit', expected HEAD $(git -C "$SRC" rev-parse --short=12 HEAD)" ;; esac
else
  expect_eq "$(q "$db" "select git_commit is null from runs")" "1" "no git commit outside a checkout"
fi
expect_eq "$(q "$db" "select group_concat(rank || '@' || host) from (select * from run_ranks order by rank)")" \
  "0@$(hostname),1@$(hostname),2@$(hostname)" "the run's ranks and their hosts"
expect_eq "$(q "$db" "select count(*) from cells where kind = 'cell' and run_id = 1")" "$n" "every cell records the run that finished it"
expect_eq "$(q "$db" "select count(*) from cells where run_id is null")" "0" "every job records the run that finished it"
"$BDSWEEP" status "$db" > "$WORK/status"
grep -q "^  build     bdsweep $version, " "$WORK/status" || { cat "$WORK/status"; fail "status shows no build"; }
grep -q "^  ranks     0-2 on $(hostname)$" "$WORK/status" || { cat "$WORK/status"; fail "status shows no ranks"; }
grep -q "^  $n cells: bdsweep $version, .* (run #1)$" "$WORK/status" || { cat "$WORK/status"; fail "status: no builds"; }
grep -q "^last run: #1 of smoke, 3 ranks" "$WORK/status" || { cat "$WORK/status"; fail "status: the run's sweep"; }

before=$(q "$db" "select group_concat(id || ':' || attempts || ':' || finished_at) from cells")
metrics_before=$(q "$db" "select count(*) from metrics")
mpi 3 run sweeps/smoke.yaml --db "$db" 2> "$WORK/log2" || { cat "$WORK/log2"; fail "second run exited $?"; }
expect_eq "$(q "$db" "select group_concat(id || ':' || attempts || ':' || finished_at) from cells")" "$before" \
  "a second run trains no done cell"
expect_eq "$(q "$db" "select count(*) from metrics")" "$metrics_before" "a second run writes no metric row"
expect_eq "$(q "$db" "select count(*) from sweeps")" "1" "resubmitting the same file reuses its sweep row"
if grep -q "another build" "$WORK/log2"; then fail "a run of the same build says the cells are another build's"; fi
# Done cells of another build are kept, and the run says so once.
sqlite3 "$db" "update runs set git_commit = '0123456789ab' where id = 1"
mpi 2 run sweeps/smoke.yaml --db "$db" 2> "$WORK/log3" || { cat "$WORK/log3"; fail "third run exited $?"; }
expect_eq "$(grep -c "note: $n done cells of this sweep were computed by another build ($n by bdsweep $version, commit 0123456789ab); this build is bdsweep $version, " "$WORK/log3")" \
  "1" "the note that the done cells come from another build"
expect_eq "$(q "$db" "select group_concat(id || ':' || attempts || ':' || finished_at) from cells")" "$before" \
  "cells of another build are not trained again"
echo "smoke_mpi: ok"
