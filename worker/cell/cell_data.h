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
    BdSplit train; /* poisoned in place (unless clean) */
    BdSplit held;  /* clean, for retraining; n = 0 when the cell does not retrain */
    BdSplit test;
    BdTrigger *trigger; /* NULL for a clean (pre-training) job */
    BdEvalSet ev;
} BdCellData;

/* The data of a job as its plan has it (job_plan.h: the samples used, the
 * held-out part). A pre-training job gets no trigger, no poisoning and no
 * held-out split. A cell sends the poisoning's counts to the sink as phase
 * "poison", epoch 0. */
int bd_cell_data_prepare(const BdDataset *d, const BdJob *job, const BdJobPlan *plan, uint64_t seed,
                         const BdSink *sink, BdCellData *out, BdError *err);
void bd_cell_data_free(BdCellData *cd);

#endif
