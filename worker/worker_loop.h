/* The worker side of a run (MPI ranks >= 1): ask rank 0 for a cell, run it,
 * stream its metrics back, report done or failed, ask again, until told to
 * stop. The conversation is described in common/wire.h. */
#ifndef BD_WORKER_LOOP_H
#define BD_WORKER_LOOP_H

/* Returns 0 after a STOP; MPI errors abort the job (MPI's default handler). */
int bd_worker_loop(int threads);

#endif
