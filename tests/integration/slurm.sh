#!/usr/bin/env bash
# sweeps/slurm/bdsweep.sbatch, with stand-ins for Slurm's commands (srun runs
# mpirun and records its arguments, sbatch records its own, squeue prints the
# job's time limit): a job cut by its time limit, and one sent SIGUSR1 as
# `--signal=B:USR1@120` sends it, submit the next job and exit 0, which
# continues the sweep; a job without a time limit runs without a deadline and,
# like any job that finishes, submits nothing.
source "$(dirname "$0")/lib.sh" "$@"
mkdir -p "$WORK/bin" "$WORK/proj/build" "$WORK/proj/results"
cat > "$WORK/bin/srun" <<SH
#!/bin/bash
echo "\$@" > "$WORK/srun.args"
[ "\$1" = "--mpi=pmix" ] && shift
exec mpirun --oversubscribe -n 2 "\$@"
SH
cat > "$WORK/bin/sbatch" <<SH
#!/bin/bash
echo "\$@" >> "$WORK/sbatch.calls"
SH
cat > "$WORK/bin/squeue" <<'SH'
#!/bin/bash
echo "$FAKE_TIME_LIMIT"
SH
chmod +x "$WORK/bin/srun" "$WORK/bin/sbatch" "$WORK/bin/squeue"
ln -s "$BDSWEEP" "$WORK/proj/build/bdsweep"
cat > "$WORK/proj/limit.yaml" <<'YAML'
name: slurm
train: {epochs: 4, batch: 32, limit_train: 2000, limit_test: 300}
grid:
  dataset: [fashion-mnist]
  arch: [cnn-small]
  trigger: [square]
  poison_rate: [0, 0.1]
  seed: [1, 2]
YAML
export PATH="$WORK/bin:$PATH" SLURM_SUBMIT_DIR="$WORK/proj" SLURM_JOB_ID=4242
db="$WORK/proj/results/limit.db"
next="--dependency=afterany:4242 $SRC/sweeps/slurm/bdsweep.sbatch limit.yaml results/limit.db"

# 1. The deadline: the run stops and exits 75, the script submits the next job and exits 0.
set +e
BDSWEEP_TIME_LIMIT=2s bash "$SRC/sweeps/slurm/bdsweep.sbatch" limit.yaml > "$WORK/job1.log" 2>&1
rc=$?
set -e
expect_eq "$rc" "0" "the exit status of a job that submitted the next one"
grep -q "submitting the next job" "$WORK/job1.log" || { cat "$WORK/job1.log"; fail "no resubmission message"; }
grep -q -- "--time-limit 2s" "$WORK/srun.args" || fail "the deadline did not reach the run: $(cat "$WORK/srun.args")"
expect_eq "$(cat "$WORK/sbatch.calls")" "$next" "the next job's submission"
rm "$WORK/sbatch.calls"

# 2. SIGUSR1 to the batch script (what --signal=B:USR1@120 does) while a job
# is mid-epoch: passed on to the run, which checkpoints and exits 75.
FAKE_TIME_LIMIT=1-00:00:00 bash "$SRC/sweeps/slurm/bdsweep.sbatch" limit.yaml > "$WORK/job2.log" 2>&1 &
job=$!
wait_for 60 "$db" "select count(*) >= 1 from metrics m join cells c on c.id = m.cell_id
  where c.status = 'running' and m.phase = 'train' and m.name = 'clean_acc'" ||
  { kill "$job"; cat "$WORK/job2.log"; fail "no job was seen training"; }
grep -q -- "--time-limit 1435m" "$WORK/srun.args" || fail "a day's limit less 5 minutes: $(cat "$WORK/srun.args")"
kill -USR1 "$job"
set +e
wait "$job"
rc=$?
set -e
cat "$WORK/job2.log"
expect_eq "$rc" "0" "the exit status of a job stopped by SIGUSR1"
grep -q "SIGUSR1 stopped the run" "$WORK/job2.log" || fail "the signal did not reach the run"
grep -q "stopped (USR1): submitting the next job" "$WORK/job2.log" || fail "no resubmission after SIGUSR1"
expect_eq "$(cat "$WORK/sbatch.calls")" "$next" "the next job's submission after SIGUSR1"
rm "$WORK/sbatch.calls"

# 3. No time limit: no deadline; the sweep finishes and nothing is submitted.
FAKE_TIME_LIMIT=UNLIMITED bash "$SRC/sweeps/slurm/bdsweep.sbatch" limit.yaml > "$WORK/job3.log" 2>&1 || {
  cat "$WORK/job3.log"; fail "the last job failed"; }
grep -q "no time limit (UNLIMITED): no deadline" "$WORK/job3.log" || fail "the script did not say it has no deadline"
! grep -q -- "--time-limit" "$WORK/srun.args" || fail "a deadline without a time limit: $(cat "$WORK/srun.args")"
[ ! -e "$WORK/sbatch.calls" ] || fail "a finished sweep submitted another job"
expect_eq "$(q "$db" "select count(*) from cell_results where status = 'done'")" "4" "every cell done"
echo "slurm: ok"
