/* Rank 0 of a run: validates the sweep, registers its cells and the jobs that
 * train their models, and hands the jobs out one at a time to whichever
 * worker asks (a fast worker takes more); it is the only process that writes
 * the database. With one rank it trains the jobs itself.
 *
 * A job is a row that trains a model: a grid cell with poisoned data (its own
 * model), a clean model (the model of every cell of rate 0 of its seed,
 * measured against each of their attacks), or a pre-training job. Every
 * state change of a job and the cells it serves (running, each epoch's
 * metrics, done, failed, stopped) is one transaction, so killing the run at
 * any instant loses at most the jobs that were running; the next run puts
 * those back to pending (and fails, as abandoned, a job that has been lost
 * that way as many times as its limits allow). Each job runs in a process
 * of its own (worker/proc/job_process.h), so a job that crashes fails alone.
 * A stop signal (SIGTERM, SIGINT, SIGUSR1) to any rank stops the run: no
 * job starts, every running job checkpoints at its next training step and
 * goes back to pending, and the run exits with BD_EXIT_RETRY.
 *
 *   coordinator.c        preparing a run, the cell state changes, the end
 *   work_list.c          which cells run, in what order, and who waits for whom
 *   coordinator_local.c  -n 1: rank 0 trains the cells itself
 *   coordinator_mpi.c    -n N: serving the workers' messages */
#ifndef BD_COORDINATOR_H
#define BD_COORDINATOR_H

#include <stdint.h>

#include "db/db.h"
#include "progress.h"
#include "queue.h"
#include "run_options.h"
#include "sweep/sweep.h"

/* What a rank runs: a job and the grid cells whose numbers it produces this
 * time (all of a clean model's that are not done, or, when the clean model is
 * done already, the cells that joined it since: reevaluate). */
typedef struct CoRun {
    int job;              /* index in cells; -1: the rank is idle */
    int *served;          /* [n_served] indices in cells */
    int64_t *ids;         /* [n_served] their ids */
    const char **attacks; /* [n_served] their attacks (pointers into cells) */
    int n_served, cap;
    int reevaluate;
    int were_failed; /* served cells that had failed before it started (--retry-failed) */
} CoRun;

typedef struct Coordinator {
    RunOptions opt;
    BdSweep sweep;
    BdDb *db;
    int64_t sweep_id, run_id;
    BdDbCell *cells;
    int n_cells;
    int64_t *ids_sorted; /* cell ids in increasing order, for id -> index */
    int *ids_index;      /* ids_index[k]: index in cells of ids_sorted[k] */
    BdQueue queue;
    int *scratch;        /* room for n_cells indices */
    int **serves;        /* [n_cells]: the grid cells whose model each row is (indices) */
    int *n_serves;
    int n_grid;          /* rows of kind 'cell': the cells of the grid */
    int *parked;         /* ranks that asked for work while everything left waits */
    int n_parked;
    BdLimits *limits;    /* [n_cells]: the limits of each row's job (work_list.c) */
    CoRun *runs; /* [nranks]: what each rank runs */
    char (*rank_host)[64];
    int nranks;
    char ckpt_dir[4200];
    char models_dir[4200]; /* keep: [models]: where kept models go ("" when not kept) */
    char **main_keys;      /* [n_cells]: the main key of a job that retrains, else NULL (checkpoints.c) */
    BdProgress progress;
    double last_heartbeat;
    double last_publish; /* of the last --publish snapshot; 0: none yet */
    int parent; /* the launcher's pid (see bd_exit_if_orphaned) */
    double deadline; /* Unix time after which no cell starts; 0: none */
    int interrupted; /* why no job starts any more: the stop signal rank 0 received, or CO_STOP_*; 0: none */
    int stopped_early; /* jobs the time limit or a stop signal stopped or kept from starting */
    int db_broken; /* a write failed: stop handing out work */
    char machine_error[BD_ERROR_MAX]; /* the first job the machine failed (BD_MSG_MACHINE_FAILED); "": none */
} Coordinator;

/* Coordinator.interrupted, besides a signal's number. */
enum { CO_STOP_WORKER_SIGNAL = -1, CO_STOP_MACHINE = -2 };

/* Everything before any worker is involved; returns an exit status (0 to go on).
 * The co_ prefix marks the coordinator's functions, private to coordinator/run. */
int co_prepare(Coordinator *co, int nranks);
void co_run_locally(Coordinator *co);
void co_run_distributed(Coordinator *co);
/* The summary and the exit status. */
int co_finish(Coordinator *co);
void co_free(Coordinator *co);

/* checkpoints.c: deleting the checkpoints no job needs any more. */
void co_checkpoints_init(Coordinator *co);
void co_checkpoints_free(Coordinator *co);
/* Job idx is done; attacks: those it was measured against. */
void co_checkpoints_release(Coordinator *co, int idx, const char *const *attacks, int n_attacks);
/* The end of a run: the folder goes when every job of the sweep is done. */
void co_checkpoints_end(Coordinator *co);

/* Shared by the files above. */
void co_report_db_error(Coordinator *co, const BdError *err);
void co_heartbeat(Coordinator *co);
int co_past_deadline(const Coordinator *co);
/* Starts job idx on rank with the cells it serves now; -1 (nothing to run:
 * the cells went elsewhere, or the database failed: db_broken). */
int co_start_job(Coordinator *co, int idx, int rank);
/* The keys of the distinct attacks a rank's clean model is measured against
 * into out (room for its served cells); returns how many (0 for any other job). */
int co_run_attacks(const Coordinator *co, int rank, const char **out);
/* The job on rank ended: done (rep with every metrics record of its history
 * and its artifacts) or failed (with error). */
void co_finish_job(Coordinator *co, int rank, int ok, const BdCellReport *rep, const char *error);
void co_stop_job(Coordinator *co, int rank, const char *where);
/* The machine failed the job on rank (error): back to pending, and
 * machine_error set, on which the run loops stop as for a signal
 * (co_note_interrupt with CO_STOP_MACHINE) and co_finish exits 3. */
void co_machine_failed_job(Coordinator *co, int rank, const char *error);
void co_store_metrics(Coordinator *co, int rank, const BdMetricsRecord *r);
/* A message of the job running on rank (PROGRESS, METRICS, DONE, FAILED,
 * STOPPED: common/wire.h), from a worker or from the job's process with -n
 * 1. Returns 0 when tag is not one of those. */
int co_handle_job_message(Coordinator *co, int rank, int tag, BdBuf *in);
/* The order of the job just started on rank (co_start_job), into out. */
void co_job_order(const Coordinator *co, int rank, BdBuf *out);
/* A stop signal (sig, or CO_STOP_*): say so once; no job starts from now
 * on. Returns 1 the first time. */
int co_note_interrupt(Coordinator *co, int sig);
/* Why the run stops early, for messages: "SIGTERM", "a stop signal", ... */
void co_stop_reason(const Coordinator *co, char *out, size_t n);
/* work_list.c */
void co_index_ids(Coordinator *co);
/* Whether row idx trains a model (a job), and which grid cells it would
 * serve if dispatched now (into run; reevaluate set for a done clean model). */
int co_is_job(const Coordinator *co, int idx);
int co_plan_run(const Coordinator *co, int idx, CoRun *run);
int co_requeue_lost_models(Coordinator *co);
/* The limits of every row's job (co->limits), from the sweep's cells. */
int co_compute_limits(Coordinator *co);
/* Jobs a dead run left running: failed as abandoned once they have had
 * their attempts, the others back to pending. -1 when the database failed. */
int co_settle_lost_jobs(Coordinator *co, int *requeued, int *abandoned);
int co_build_queue(Coordinator *co);
void co_release_waiting(Coordinator *co, int idx, int ok, const char *error);
void co_abandon_waiting(Coordinator *co);

#endif
