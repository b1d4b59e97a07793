/* The data of one cell, made from the (cached, never modified) dataset:
 * the first limit_train / limit_test samples, the clean held-out split for
 * retraining taken off before poisoning, the poisoned training split, and the
 * triggered test images the ASR is measured on. Deterministic in the seed. */
#ifndef BD_CELL_DATA_H
#define BD_CELL_DATA_H

#include <stdint.h>

#include "attack.h"
#include "cell.h"
#include "dataset.h"
#include "job_plan.h"
#include "sink.h"
#include "trainer.h"

typedef struct BdCellData {
    BdDataShape shape;
    BdSplit train; /* poisoned in place by a cell's attack */
    BdSplit held;  /* clean, for retraining; n = 0 when the job does not retrain */
    BdSplit test;
    BdTrigger **triggers; /* [ev.n_attacks] */
    BdEvalSet ev;         /* the clean test set and one triggered set per attack */
} BdCellData;

/* The data of a job as its plan has it (job_plan.h: the samples used, the
 * held-out part). A cell is poisoned by its own attack and measured against
 * it; a clean model is measured against each of `attacks` (attack keys,
 * common/job.h: the attacks of the grid cells it is the model of); a
 * pre-training job has no attack. Reports the poisoning's counts to the sink
 * as phase "poison", epoch 0 (per attack: the pool and the samples poisoned). */
int bd_cell_data_prepare(const BdDataset *d, const BdJob *job, const BdJobPlan *plan, const char *const *attacks,
                         int n_attacks, const BdSink *sink, BdCellData *out, BdError *err);
void bd_cell_data_free(BdCellData *cd);

#endif
