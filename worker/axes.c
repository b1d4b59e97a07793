#include "axes.h"

#include "attack/attack.h"
#include "data/dataset.h"
#include "models/models.h"
#include "regularizers/regularizers.h"
#include "train/train.h"

static const BdAxisDef axes[BD_AXIS_COUNT] = {
    [BD_AXIS_DATASET] = {"dataset", BD_AXIS_PRESETS, 0, 0, NULL, NULL, bd_dataset_presets, "the data set"},
    [BD_AXIS_ARCH] = {"arch", BD_AXIS_PRESETS, 0, 0, NULL, NULL, bd_arch_presets, "the architecture"},
    [BD_AXIS_TRIGGER] = {"trigger", BD_AXIS_PRESETS, 0, 0, NULL, NULL, bd_trigger_presets, "the trigger pattern"},
    [BD_AXIS_STRATEGY] = {"strategy", BD_AXIS_PRESETS, 0, 0, NULL, "all-to-one", bd_strategy_presets,
                          "how poisoned samples are chosen and labelled"},
    [BD_AXIS_TARGET] = {"target", BD_AXIS_INT, 0, 100000, NULL, "0", NULL, "the attack's target class"},
    [BD_AXIS_POISON_RATE] = {"poison_rate", BD_AXIS_FLOAT, 0, 1, NULL, NULL, NULL,
                             "fraction of the training set poisoned in place (0: the clean baseline)"},
    [BD_AXIS_REGULARIZER] = {"regularizer", BD_AXIS_PRESETS, 0, 0, NULL, "none", bd_regularizer_presets,
                             "the training regularizer"},
    [BD_AXIS_SEED] = {"seed", BD_AXIS_INT, 0, 2147483647, NULL, "0", NULL, "the replicate"},
    [BD_AXIS_INIT] = {"init", BD_AXIS_PRESETS, 0, 0, NULL, "scratch", bd_init_presets,
                      "train from scratch or fine-tune a clean pre-trained model"},
    [BD_AXIS_TRAIN] = {"train", BD_AXIS_PRESETS, 0, 0, "sgd", "sgd", bd_train_presets, "the optimiser and its schedule"},
    [BD_AXIS_RETRAIN] = {"retrain", BD_AXIS_PRESETS, 0, 0, "finetune", "none", bd_retrain_presets,
                         "clean fine-tuning after training (persistence of the backdoor)"},
};

const BdAxisDef *bd_axes(void) { return axes; }
