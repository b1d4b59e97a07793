/* Every number a job reports, defined once.
 *
 * The trainer and the data preparation report metrics by these names; the
 * database stores them in `metrics(cell_id, phase, epoch, name, value)`; the
 * view `epoch_metrics` (a column per metric) and `metric_definitions` are
 * generated from this table, and results/README.md documents it from
 * `bdsweep schema --markdown`. Adding a metric: an entry here and the code
 * that computes it (docs/ARCHITECTURE.md).
 *
 * A metric whose name ends in "_K" is per class: the reported names are
 * clean_acc_class_0, clean_acc_class_1, ... (epoch_metrics leaves them out:
 * their number depends on the dataset). */
#ifndef BD_METRICS_H
#define BD_METRICS_H

/* The phases of a job, in the order a job runs them. */
typedef enum {
    BD_PHASE_POISON,   /* epoch 0: what the poisoning did to the training set */
    BD_PHASE_PRETRAIN, /* a clean model that cells with init: pretrained fine-tune */
    BD_PHASE_TRAIN,    /* the main phase, on the poisoned training set */
    BD_PHASE_RETRAIN,  /* clean fine-tuning on the held-out set (persistence) */
    BD_PHASE_COUNT
} BdPhase;

typedef enum {
    /* after every epoch of a training phase */
    BD_METRIC_LOSS,
    BD_METRIC_LOSS_CE,
    BD_METRIC_LOSS_REG,
    BD_METRIC_TRAIN_ACC,
    BD_METRIC_CLEAN_ACC,
    BD_METRIC_ASR,
    BD_METRIC_TRIGGERED_ACC,
    BD_METRIC_CLEAN_ACC_CLASS,
    BD_METRIC_LR,
    BD_METRIC_SECONDS,
    /* the poison phase */
    BD_METRIC_POOL,
    BD_METRIC_POISONED,
    BD_METRIC_TRAIN_SAMPLES,
    BD_METRIC_HELDOUT_SAMPLES,
    BD_METRIC_TEST_SAMPLES,
    BD_METRIC_COUNT
} BdMetric;

typedef struct BdMetricDef {
    const char *name;    /* as stored; "clean_acc_class_K" for the per-class one */
    unsigned phases;     /* bit per BdPhase it is reported in */
    /* Measured against an attack (a model evaluated against several attacks,
     * a clean model, reports it once per attack, tagged with the attack's
     * key); 0: a number of the model itself. */
    int per_attack;
    const char *meaning; /* one sentence for the docs */
} BdMetricDef;

const char *bd_phase_name(BdPhase p);
/* The phase of a name ("train"), or -1. */
int bd_phase_index(const char *name);

const BdMetricDef *bd_metric_def(BdMetric m);
const char *bd_metric_name(BdMetric m);
/* Whether a metric is per class (its name ends in _K). */
int bd_metric_per_class(BdMetric m);

#endif
