/* Rank 0 of a run: validates the sweep, registers its cells, and hands them
 * out one at a time to whichever worker asks (a fast worker takes more); it
 * is the only process that writes the database. With one rank it trains the
 * cells itself.
 *
 * Every state change of a cell (running, each epoch's metrics, done, failed,
 * stopped) is its own transaction, so killing the run at any instant loses at
 * most the cells that were running; the next run puts those back to pending.
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
    int *parked;         /* ranks that asked for work while everything left waits */
    int n_parked;
    int *rank_cell; /* [nranks]: index of the cell a rank runs, -1 */
    char (*rank_host)[64];
    int nranks;
    char ckpt_dir[4200];
    BdProgress progress;
    double last_heartbeat;
    double last_publish; /* of the last --publish snapshot; 0: none yet */
    int parent; /* the launcher's pid (see bd_exit_if_orphaned) */
    double deadline; /* Unix time after which no cell starts; 0: none */
    int stopped_by_limit; /* cells the time limit stopped or kept from starting */
    int db_broken; /* a write failed: stop handing out work */
} Coordinator;

/* Everything before any worker is involved; returns an exit status (0 to go on).
 * The co_ prefix marks the coordinator's functions, private to coordinator/run. */
int co_prepare(Coordinator *co, int nranks);
void co_run_locally(Coordinator *co);
void co_run_distributed(Coordinator *co);
/* The summary and the exit status. */
int co_finish(Coordinator *co);
void co_free(Coordinator *co);

/* Shared by the files above. */
void co_report_db_error(Coordinator *co, const BdError *err);
void co_heartbeat(Coordinator *co);
int co_past_deadline(const Coordinator *co);
int co_start_cell(Coordinator *co, int idx, int rank);
void co_finish_cell(Coordinator *co, int rank, int ok, const BdCellReport *rep, const char *error);
void co_stop_cell(Coordinator *co, int rank, const char *where);
void co_store_metrics(Coordinator *co, int rank, const char *phase, int epoch, const char *const *names,
                   const double *values, int n);
/* work_list.c */
void co_index_ids(Coordinator *co);
int co_requeue_lost_models(Coordinator *co);
int co_build_queue(Coordinator *co);
void co_release_waiting(Coordinator *co, int idx, int ok, const char *error);
void co_abandon_waiting(Coordinator *co);

#endif
