/* The worker side of a run (MPI ranks >= 1): ask rank 0 for a cell, run it,
 * stream its metrics back, report done or failed, ask again, until told to
 * stop. The conversation is described in common/wire.h. */
#ifndef BD_WORKER_LOOP_H
#define BD_WORKER_LOOP_H

/* Returns 0 after a STOP; MPI errors abort the job (MPI's default handler). */
int bd_worker_loop(int threads);

/* Waits for every rank at the end of a run without spinning a core: Open
 * MPI's blocking calls busy-poll, and an idle rank polling on a core that a
 * training rank needs would slow the sweep down. */
void bd_mpi_quiet_barrier(void);

/* A rank whose launcher (mpirun, orted, slurmstepd) died has been orphaned:
 * nobody will collect its results, and left alone it would go on training
 * (Open MPI puts each rank in a process group of its own, so killing mpirun's
 * group does not reach it). Ranks call this with the parent pid they started
 * with at every message; when the parent has changed they exit at once, and
 * the next run puts their cells back to pending. */
void bd_exit_if_orphaned(int original_parent);

#endif
