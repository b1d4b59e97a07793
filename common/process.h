/* The life of a bdsweep process under its launcher. */
#ifndef BD_PROCESS_H
#define BD_PROCESS_H

#include <stddef.h>

/* A rank whose launcher (mpirun, orted, slurmstepd) died has been orphaned:
 * nobody will collect its results, and left alone it would go on training
 * (Open MPI puts each rank in a process group of its own, so killing mpirun's
 * group does not reach it). Ranks call this with the parent pid they started
 * with at every message; when the parent has changed they exit at once
 * (BD_EXIT_ORPHANED), and the next run puts their cells back to pending. */
void bd_exit_if_orphaned(int original_parent);
/* Whether the parent has changed (logged once, as an error), for a process
 * that must clean up before it exits: a rank kills its job's process first. */
int bd_orphaned(int original_parent);

/* What /proc says of processes (Linux):
 * the fields of /proc/PID/stat from the state on ("S ppid pgrp ...": field
 * 3 first), read into buf; NULL when there is no such process. The command
 * name before them is skipped whole: it may hold spaces and parentheses. */
const char *bd_proc_stat(long pid, char *buf, size_t cap);
/* The threads this process has now (/proc/self/task). */
int bd_thread_count(void);

#endif
