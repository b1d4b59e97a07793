/* The life of a bdsweep process under its launcher. */
#ifndef BD_PROCESS_H
#define BD_PROCESS_H

/* A rank whose launcher (mpirun, orted, slurmstepd) died has been orphaned:
 * nobody will collect its results, and left alone it would go on training
 * (Open MPI puts each rank in a process group of its own, so killing mpirun's
 * group does not reach it). Ranks call this with the parent pid they started
 * with at every message; when the parent has changed they exit at once
 * (BD_EXIT_ORPHANED), and the next run puts their cells back to pending. */
void bd_exit_if_orphaned(int original_parent);

#endif
