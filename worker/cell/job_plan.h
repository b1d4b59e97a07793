/* The phases a job runs, each with its settings and how many images it
 * trains on and evaluates: one list that the worker runs (cell_run.c) and
 * that `plan`'s compute estimate counts (coordinator/sweep/cost.c).
 *
 *   pretrain job   pretrain   the job's training setting, the whole training split
 *   cell           train      the main phase: the training split less the held-out
 *                             part, evaluated on the clean and triggered test images
 *                  retrain    (with retraining) clean fine-tuning on the held-out part
 *
 * The poison phase (epoch 0) trains nothing and is not listed. */
#ifndef BD_JOB_PLAN_H
#define BD_JOB_PLAN_H

#include "job.h"
#include "metrics.h"
#include "trainer.h"

typedef struct BdPhasePlan {
    BdPhase phase;
    BdTrainCfg cfg;    /* epochs, batch, learning rate, ... */
    int train_samples; /* images trained on per epoch */
    int triggered;     /* whether the triggered test images are evaluated too (not for clean models) */
} BdPhasePlan;

typedef struct BdJobPlan {
    BdPhasePlan phases[2];
    int n_phases;
    int n_train;   /* training images used (the dataset's, up to limit_train) */
    int n_test;    /* test images used (up to limit_test), evaluated after every epoch */
    int heldout;   /* of the n_train, split off for retraining before poisoning (0 without) */
    int max_batch; /* the largest batch of any phase: the graph's */
} BdJobPlan;

/* The plan of a job on a dataset of n_train training and n_test test images. */
void bd_job_plan(const BdJob *job, int n_train, int n_test, BdJobPlan *plan);

/* What the job's model holds while it trains (bd_model_memory, estimated
 * from its shapes): at the plan's max batch, in the precision of whichever
 * phase needs more (a precision change plans the engine's memory again,
 * the old freed first). */
int bd_job_memory(const BdJobPlan *plan, const BdSpec *arch, BdShape input, int classes, BdGraphMemory *out,
                  BdError *err);

/* Evaluations of one phase: after every epoch, or once when it has no epochs. */
static inline int bd_phase_evaluations(const BdPhasePlan *p) { return p->cfg.epochs > 0 ? p->cfg.epochs : 1; }

#endif
