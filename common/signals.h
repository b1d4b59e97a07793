/* The signals that ask a run to stop and come back later: SIGTERM (scancel,
 * mpirun passing on its own SIGTERM or SIGINT), SIGINT (Ctrl-C) and SIGUSR1
 * (`sbatch --signal=B:USR1@120`, which the Slurm script passes on to
 * mpirun, which forwards it to every rank). Each process of a run — rank 0,
 * the workers and the jobs' processes — turns them into one flag; every
 * job then checkpoints at its next training step and the run exits with
 * BD_EXIT_RETRY. The flag is the only mutable global of the program: a
 * signal handler can set nothing else. */
#ifndef BD_SIGNALS_H
#define BD_SIGNALS_H

/* Installs the handlers (SA_RESTART: interrupted reads and writes go on). */
void bd_stop_signals_install(void);
/* The stop signal received first, or 0. */
int bd_stop_signal(void);
/* "SIGUSR1", "SIGSEGV", ... ("signal 42" for one without a name), into buf;
 * returns buf. */
const char *bd_signal_name(int sig, char *buf, unsigned cap);

#endif
