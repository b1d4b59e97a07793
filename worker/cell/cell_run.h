/* One cell, start to finish, on whatever rank it lands: parse the key, load
 * the data, split off the clean held-out set, poison, build the model, train,
 * evaluate after every epoch, retrain on the held-out set. Every number goes
 * to the sink; nothing here knows about MPI or SQLite. */
#ifndef BD_CELL_RUN_H
#define BD_CELL_RUN_H

#include "data_image.h"
#include "dataset.h"
#include "error.h"
#include "sink.h"
#include "trainer.h" /* BD_INTERRUPTED */
#include "wire.h"

/* What a process that runs cells keeps between them: the last dataset it
 * loaded (cells of a sweep mostly share one, and decoding it again for every
 * cell would cost more than a small cell's training), decoded in its own
 * memory or mapped from the image another job's process shared
 * (data_image.h). */
typedef struct BdWorker {
    char data_key[4096]; /* canonical text of the cached dataset spec; "" when none */
    BdDataset data;
    uint64_t data_digest; /* bd_dataset_digest of data */
    BdDataImage image; /* data is a view of image when image.map is set */
    int threads;
} BdWorker;

void bd_worker_init(BdWorker *w, int threads);
void bd_worker_free(BdWorker *w);

/* The dataset of the job `key` into the worker's cache, for a job's process
 * (worker/proc/): mapped from the image in image_fd when it holds that
 * dataset (returns 0), else loaded from its files, written into the empty
 * memory file share_fd for the jobs after this one, and mapped from there
 * (returns 1). -1: err says why (a dataset that cannot be loaded). */
int bd_worker_load_data(BdWorker *w, const char *key, int image_fd, int share_fd, BdError *err);

typedef struct BdCellOutcome {
    long params;
    double gflops_per_image; /* training (forward + backward) */
    /* Every metrics record the job reported (common/wire.h), replayed ones
     * included, and its artifacts (the samples a cell's attack poisoned, the
     * models kept): what rank 0 stores with the job's state. Filled on
     * success; free with bd_cell_outcome_free. */
    BdBuf history, artifacts;
} BdCellOutcome;

void bd_cell_outcome_free(BdCellOutcome *o);

/* Runs the job of an order (common/wire.h): its key, for a clean model the
 * keys of the attacks it is measured against (the grid cells it is the model
 * of), the folder for its checkpoints and the database they are bound to,
 * and the folder for kept models. Returns 0 done, -1 failed (err says why),
 * or BD_INTERRUPTED (trainer.h) when the sink's interrupt stopped it —
 * before a training step, its checkpoint written there, or before it
 * trained at all — to be resumed later. */
int bd_cell_run(BdWorker *w, const BdJobOrder *order, const BdSink *sink, BdCellOutcome *out, BdError *err);

/* bf16 on a CPU without bf16 arithmetic still runs (nn.h, bd_engine_bf16),
 * and the run says so once per host, before the first job of `key`'s kind.
 * Called by the process that starts job processes (worker/proc/): a job's
 * process lives for one job, while "once per host" needs a claim held for
 * the whole run (host_once.h). */
void bd_cell_note_precision(const char *key);

#endif
