#include "metrics.h"

#include <string.h>

static const char *const phase_names[BD_PHASE_COUNT] = {
    [BD_PHASE_POISON] = "poison",
    [BD_PHASE_PRETRAIN] = "pretrain",
    [BD_PHASE_TRAIN] = "train",
    [BD_PHASE_RETRAIN] = "retrain",
};

#define EPOCHS ((1u << BD_PHASE_PRETRAIN) | (1u << BD_PHASE_TRAIN) | (1u << BD_PHASE_RETRAIN))
#define ATTACKED ((1u << BD_PHASE_TRAIN) | (1u << BD_PHASE_RETRAIN))
#define POISON (1u << BD_PHASE_POISON)

static const BdMetricDef metrics[BD_METRIC_COUNT] = {
    [BD_METRIC_LOSS] = {"loss", EPOCHS, 0, "mean training loss over the epoch (cross-entropy plus the regularizer term)"},
    [BD_METRIC_LOSS_CE] = {"loss_ce", EPOCHS, 0, "its cross-entropy part"},
    [BD_METRIC_LOSS_REG] = {"loss_reg", EPOCHS, 0, "its regularizer part"},
    [BD_METRIC_TRAIN_ACC] = {"train_acc", EPOCHS, 0,
                             "training accuracy over the epoch, against the labels trained on (poisoned ones included)"},
    [BD_METRIC_CLEAN_ACC] = {"clean_acc", EPOCHS, 0, "top-1 accuracy on the clean test set after the epoch"},
    [BD_METRIC_ASR] = {"asr", ATTACKED, 1,
                       "attack success rate after the epoch: the share of triggered eligible test images classified "
                       "as the attack's target"},
    [BD_METRIC_TRIGGERED_ACC] = {"triggered_acc", ATTACKED, 1,
                                 "top-1 accuracy against the true label on the same triggered images"},
    [BD_METRIC_CLEAN_ACC_CLASS] = {"clean_acc_class_K", EPOCHS, 0, "clean accuracy on the test images of class K"},
    [BD_METRIC_LR] = {"lr", EPOCHS, 0, "learning rate at the epoch's last step"},
    [BD_METRIC_SECONDS] = {"seconds", EPOCHS, 0, "wall time of the epoch's training (evaluation excluded)"},
    [BD_METRIC_POOL] = {"pool", POISON, 1, "training samples eligible for poisoning under the strategy"},
    [BD_METRIC_POISONED] = {"poisoned", POISON, 1, "training samples poisoned"},
    [BD_METRIC_TRAIN_SAMPLES] = {"train_samples", POISON, 0,
                                 "the training split, after the held-out part was taken off"},
    [BD_METRIC_HELDOUT_SAMPLES] = {"heldout_samples", POISON, 0,
                                   "the clean held-out split for retraining (0 without retraining)"},
    [BD_METRIC_TEST_SAMPLES] = {"test_samples", POISON, 0, "the test split"},
};

const char *bd_phase_name(BdPhase p) { return phase_names[p]; }

int bd_phase_index(const char *name) {
    for (int p = 0; p < BD_PHASE_COUNT; p++)
        if (!strcmp(phase_names[p], name)) return p;
    return -1;
}

const BdMetricDef *bd_metric_def(BdMetric m) { return &metrics[m]; }
const char *bd_metric_name(BdMetric m) { return metrics[m].name; }

int bd_metric_per_class(BdMetric m) {
    size_t n = strlen(metrics[m].name);
    return n > 2 && !strcmp(metrics[m].name + n - 2, "_K");
}
