/* Every job in a process of its own, so that the sweep survives its cells.
 *
 * A rank (a worker, or rank 0 with -n 1) runs each job by starting this
 * program again as `bdsweep job-process` (job_child.c) with posix_spawn:
 * the job's order goes in on a memory file, the job's messages (progress,
 * metrics, its outcome: common/wire.h) come back framed on a pipe, and its
 * stderr on another pipe, which the rank passes on line by line. The rank
 * relays the messages as they come and watches the process: a crash, an
 * abort, an allocation over the job's memory limit or a `kill -9` ends the
 * process without an outcome, and the rank reports the job FAILED with the
 * reason it saw — "killed by signal 9 (SIGKILL) in train epoch 2",
 * "crashed: SIGSEGV in train epoch 2", "out of memory: limit 4 GiB" — and
 * goes on with its next job; no other rank notices.
 *
 * Why a new program (spawn and exec) rather than fork(): the rank has
 * called MPI_Init, and a forked copy of an MPI process shares its
 * registered memory and sockets (Open MPI supports fork only when the child
 * never touches them, and with InfiniBand a forked child can corrupt or
 * lose pages the network card writes); libgomp, which oneDNN uses, hangs
 * in a child forked after the parent ran an OpenMP region; and a job's
 * memory limit (setrlimit in the child) would count everything the rank
 * holds. An exec'ed process starts clean: no MPI, no SQLite, no threads,
 * its own address space under its own limit. What fork would have given
 * for free — the dataset the previous job decoded — is kept by sharing it
 * explicitly: the first job of a dataset writes the decoded images into a
 * sealed memory file that the rank keeps and hands to the next jobs, which
 * map it read-only (worker/data/data_image.h). Starting a job's process
 * costs about 10 ms here (exec and the dynamic loader); mapping the
 * dataset costs nothing, where decoding Fashion-MNIST again would cost
 * 0.2 s a job.
 *
 * The rank also enforces the job's wall-time limit (SIGKILL, "over its
 * wall-time limit of 2h"), passes a stop signal on to it (SIGUSR1: the job
 * checkpoints at its next training step and reports STOPPED), and kills it
 * when the rank finds itself orphaned (its launcher died) before exiting;
 * the job's process also dies with the rank (PR_SET_PDEATHSIG). */
#ifndef BD_JOB_PROCESS_H
#define BD_JOB_PROCESS_H

#include "wire.h"

typedef struct BdJobRunner {
    int parent;   /* the rank's launcher (bd_orphaned) */
    int threads;  /* BLAS threads of each job */
    int image_fd; /* the decoded dataset the jobs share (data_image.h); -1 while none */
} BdJobRunner;

void bd_job_runner_init(BdJobRunner *r, int parent, int threads);
void bd_job_runner_free(BdJobRunner *r);

/* What the rank does with what its job says. */
typedef struct BdJobHost {
    void *ud;
    /* Every message of the job, in order (PROGRESS, METRICS), its outcome
     * (DONE, FAILED or STOPPED) last; the payload is the message as rank 0
     * reads it (common/wire.h). */
    void (*message)(void *ud, BdMsgType type, BdBuf *payload);
    /* A line the job's process wrote on stderr (without its newline). */
    void (*log)(void *ud, const char *line);
    /* Called every 50 ms while the job runs: nonzero asks the job to stop
     * at its next training step (a stop signal of the rank does too). May
     * be NULL. */
    int (*tick)(void *ud);
} BdJobHost;

/* Runs the job of `order` (bd_job_order_put) in a process of its own and
 * waits for it. Exactly one outcome reaches host->message, also when the
 * process could not be started or died; returns its type. */
BdMsgType bd_job_runner_run(BdJobRunner *r, const BdBuf *order, const BdJobHost *host);

/* Why a job's process that ended without an outcome failed, from its wait
 * status, into out: where is what the job last said of itself ("in train
 * epoch 2", or ""), last_words the last line it wrote on stderr (or ""),
 * wall_limit and memory_limit its limits (0: none) and over_wall whether the
 * rank killed it for its wall time. */
void bd_job_exit_reason(int wait_status, int over_wall, double wall_limit, long long memory_limit,
                        const char *where, const char *last_words, char *out, size_t cap);

/* `bdsweep job-process ...`: the job's side (job_child.c), started by
 * bd_job_runner_run only. */
int bd_job_process_main(int argc, char **argv);

#endif
