/* The training loop of one phase of a cell (main training, pre-training,
 * clean retraining): epochs of shuffled mini-batches through the graph, the
 * regularizer and SGD, an evaluation after every epoch, metrics to the sink.
 *
 * Every random draw comes from one of the job's streams (worker/cell/
 * streams.h: the batch order, augmentation and dropout from data_seed, the
 * regularizer's from reg_seed), named after the phase and indexed by epoch
 * and step: the batch order of an epoch is one shuffle of the epoch's
 * stream, dropout masks come from a seed of (epoch, step), and the
 * augmentation and regularizer streams are drawn in order through the
 * epoch, so a point between two steps (BdTrainPoint) keeps their state.
 * A phase resumed from a checkpoint at any such point continues with
 * exactly the numbers an uninterrupted run would have produced. */
#ifndef BD_TRAINER_H
#define BD_TRAINER_H

#include "batch.h"
#include "nn.h"
#include "optim.h"
#include "regularizers.h"
#include "sink.h"

typedef struct BdTrainCfg {
    int epochs, batch;
    float lr, momentum, weight_decay;
    int nesterov;
    char schedule[16]; /* constant | step | cosine */
    int step_epochs;
    float step_gamma;
    int warmup_epochs;
    char augment[16];
    float clip;
    BdPrecision precision; /* the phase's: bd_graph_set_precision before it runs */
} BdTrainCfg;

/* The settings of a training phase, one parser per phase (presets.c): the
 * main phase and pre-training from a resolved `sgd` spec (the train axis),
 * retraining from a `finetune` spec (the retrain axis) and the main phase's. */
void bd_train_cfg_from_spec(const BdSpec *sgd, BdTrainCfg *cfg);
void bd_retrain_cfg_from_spec(const BdSpec *finetune, const BdTrainCfg *train, BdTrainCfg *cfg);
/* Learning rate after t epochs (fractional: epoch + step / steps). */
float bd_lr_at(const BdTrainCfg *cfg, double t);

/* What an evaluation measures (docs/EXPERIMENT.md section 3): clean accuracy on the
 * test split; for each attack, ASR and triggered accuracy on its eligible
 * test images with its trigger applied. */
typedef struct BdAttackEval {
    char key[512];        /* the attack's key (common/job.h) */
    BdSplit triggered;    /* y = the attack's label */
    int *triggered_true;  /* the true labels of the triggered images */
} BdAttackEval;

typedef struct BdEvalSet {
    const BdSplit *clean;
    BdAttackEval *attacks; /* [n_attacks]: one for a cell, one per attack for a clean model, none for pre-training */
    int n_attacks;
    int classes;
} BdEvalSet;

/* Where a phase stands between two training steps: the epochs complete, the
 * steps of the next one done, and what those steps leave behind — the
 * epoch's running sums and the positions of its sequential streams. A
 * checkpoint holds one (worker/cell/cell_ckpt.h). At an epoch boundary
 * step is 0 and the rest is zero. */
typedef struct BdTrainPoint {
    int epoch; /* epochs complete */
    int step;  /* steps of epoch `epoch` (0-based) done */
    double sum_loss, sum_ce, sum_reg; /* over the samples of those steps */
    long seen, correct;
    double seconds;                /* training time of the epoch so far (the `seconds` metric) */
    BdRng augment, regularizer;    /* the epoch's streams after `step` steps */
} BdTrainPoint;

typedef struct BdTrainer {
    BdGraph *g;
    BdReg *reg;
    BdSgd opt; /* owned: made by bd_trainer_init, freed by bd_trainer_free */
    BdBatcher batcher;
    uint64_t data_seed; /* batch order, augmentation, dropout (the phase's stream, streams.h) */
    uint64_t reg_seed;  /* the regularizer's draws */
    const BdSink *sink;
    /* Saves a checkpoint at a point of the phase: after each epoch's
     * evaluation, and where the sink's interrupt stopped it. May be NULL. */
    int (*checkpoint)(void *ud, const char *phase, const BdTrainPoint *at, BdError *err);
    void *checkpoint_ud;
    /* buffers for max_batch samples, allocated once */
    float *x;
    int *y, *idx, *pred;
    int *order;
    int order_cap;
} BdTrainer;

/* The optimiser takes cfg's momentum, weight decay and Nesterov flag. */
void bd_trainer_init(BdTrainer *t, BdGraph *g, BdReg *reg, const BdBatcher *b, uint64_t data_seed,
                     uint64_t reg_seed, const BdSink *sink, const BdTrainCfg *cfg);
void bd_trainer_free(BdTrainer *t);
/* A fresh optimiser (no momentum yet) with cfg's settings, every parameter trainable. */
void bd_trainer_reset_optimizer(BdTrainer *t, const BdTrainCfg *cfg);
/* Trains only the parameters whose names start with one of prefixes (NULL-terminated). */
void bd_trainer_train_only(BdTrainer *t, const char *const *prefixes);

/* Returned (with err saying where) when the sink's interrupt stopped a phase
 * before one of its training steps (its checkpoint saved there): not a
 * failure, the cell resumes from its checkpoint. */
#define BD_INTERRUPTED 1

/* Trains `phase` on data from the point `from` (NULL: the beginning) to
 * cfg->epochs, evaluating after each epoch. The sink's interrupt is asked
 * before every step. A non-finite loss fails with "diverged at epoch E step
 * S". Returns 0, BD_INTERRUPTED, or -1. */
int bd_train_phase(BdTrainer *t, const char *phase, const BdTrainCfg *cfg, const BdSplit *data,
                   const BdTrainPoint *from, const BdEvalSet *ev, BdError *err);

/* Evaluates and sends the metrics of `phase` at `epoch` (plus any extra
 * name/value pairs given). */
void bd_evaluate_and_report(BdTrainer *t, const char *phase, int epoch, const BdEvalSet *ev, const char *const *extra_names,
                            const double *extra_values, int n_extra);

/* Predictions of the graph in evaluation mode for every sample of s. */
void bd_predict(BdTrainer *t, const BdSplit *s, int *pred);

#endif
