#!/usr/bin/env bash
# sweeps/slurm/bdsweep.sbatch, with stand-ins for Slurm's commands (srun runs
# mpirun, sbatch records its arguments): a job cut by its time limit submits
# the next one, which continues the sweep; a job that finishes does not.
source "$(dirname "$0")/lib.sh" "$@"
mkdir -p "$WORK/bin" "$WORK/proj/build" "$WORK/proj/results"
cat > "$WORK/bin/srun" <<'SH'
#!/bin/bash
[ "$1" = "--mpi=pmix" ] && shift
exec mpirun --oversubscribe -n 2 "$@"
SH
cat > "$WORK/bin/sbatch" <<SH
#!/bin/bash
echo "\$@" >> "$WORK/sbatch.calls"
SH
chmod +x "$WORK/bin/srun" "$WORK/bin/sbatch"
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
set +e
BDSWEEP_TIME_LIMIT=2s bash "$SRC/sweeps/slurm/bdsweep.sbatch" limit.yaml > "$WORK/job1.log" 2>&1
rc=$?
set -e
expect_eq "$rc" "75" "the first job's exit status"
grep -q "submitting the next job" "$WORK/job1.log" || { cat "$WORK/job1.log"; fail "no resubmission message"; }
expect_eq "$(cat "$WORK/sbatch.calls")" "--dependency=afterany:4242 $SRC/sweeps/slurm/bdsweep.sbatch limit.yaml results/limit.db" \
  "the next job's submission"
rm "$WORK/sbatch.calls"
BDSWEEP_TIME_LIMIT=1h bash "$SRC/sweeps/slurm/bdsweep.sbatch" limit.yaml > "$WORK/job2.log" 2>&1 || {
  cat "$WORK/job2.log"; fail "the second job failed"; }
[ ! -e "$WORK/sbatch.calls" ] || fail "a finished sweep submitted another job"
expect_eq "$(q "$WORK/proj/results/limit.db" "select count(*) from cell_results where status = 'done'")" "4" "every cell done"
echo "slurm: ok"
