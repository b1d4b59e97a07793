/* One cell, start to finish, on whatever rank it lands: parse the key, load
 * the data, split off the clean held-out set, poison, build the model, train,
 * evaluate after every epoch, retrain on the held-out set. Every number goes
 * to the sink; nothing here knows about MPI or SQLite. */
#ifndef BD_CELL_RUN_H
#define BD_CELL_RUN_H

#include "dataset.h"
#include "error.h"
#include "sink.h"
#include "trainer.h" /* BD_INTERRUPTED */
#include "wire.h"

/* What a worker keeps between cells: the last dataset it loaded (cells of a
 * sweep mostly share one, and decoding it again for every cell would cost more
 * than a small cell's training). */
typedef struct BdWorker {
    char data_key[4096]; /* canonical text of the cached dataset spec; "" when none */
    BdDataset data;
    int threads;
} BdWorker;

void bd_worker_init(BdWorker *w, int threads);
void bd_worker_free(BdWorker *w);

typedef struct BdCellOutcome {
    long params;
    double gflops_per_image; /* training (forward + backward) */
    /* Every metrics record the job reported (common/wire.h), replayed ones
     * included: what rank 0 stores with the job's state. Filled on success;
     * free with bd_cell_outcome_free. */
    BdBuf history;
} BdCellOutcome;

void bd_cell_outcome_free(BdCellOutcome *o);

/* key: the job's key (common/job.h); attacks[0..n_attacks): for a clean
 * model, the keys of the attacks it is measured against (the grid cells it is
 * the model of); none for a cell (its own attack) or a pre-training job.
 * ckpt_dir: folder for this run's checkpoints (NULL: none). Returns 0 done,
 * -1 failed (err says why), or BD_INTERRUPTED (trainer.h) when the sink's
 * interrupt stopped it at an epoch boundary, to be resumed later. */
int bd_cell_run(BdWorker *w, const char *key, const char *const *attacks, int n_attacks, const char *ckpt_dir,
                const BdSink *sink, BdCellOutcome *out, BdError *err);

#endif
