/* The worker side of a run (MPI ranks >= 1): ask rank 0 for a job, run it in
 * a process of its own (worker/proc/job_process.h) and relay its progress,
 * metrics and outcome to rank 0, ask again, until told to stop. The
 * conversation is described in common/wire.h. A stop signal stops the job
 * at its next training step and is passed on to rank 0, which stops the
 * run. */
#ifndef BD_WORKER_LOOP_H
#define BD_WORKER_LOOP_H

/* Returns 0 after a STOP; MPI errors abort the job (MPI's default handler).
 * threads: BLAS threads of each job's process. */
int bd_worker_loop(int threads);

#endif
