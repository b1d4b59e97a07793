#include "axes.h"

#include "attack/attack.h"
#include "data/dataset.h"
#include "models/models.h"
#include "regularizers/regularizers.h"
#include "train/train.h"

/* The one list of axes. Everything that enumerates axes (cell keys, sweep
 * files, the database's columns and pairing keys, the report's labels)
 * iterates over this table. Key order is table order: never reorder, only
 * append (common/cell.h). */
static const BdAxisDef axes[BD_AXIS_COUNT] = {
    [BD_AXIS_DATASET] = {.name = "dataset", .kind = BD_AXIS_PRESETS, .presets = bd_dataset_presets,
                         .help = "the data set", .label = "dataset", .plural = "datasets"},
    [BD_AXIS_ARCH] = {.name = "arch", .kind = BD_AXIS_PRESETS, .presets = bd_arch_presets,
                      .help = "the architecture", .label = "architecture", .plural = "architectures"},
    [BD_AXIS_TRIGGER] = {.name = "trigger", .kind = BD_AXIS_PRESETS, .presets = bd_trigger_presets,
                         .help = "the trigger pattern", .label = "trigger", .plural = "triggers", .attack = 1},
    [BD_AXIS_STRATEGY] = {.name = "strategy", .kind = BD_AXIS_PRESETS, .absent = "all-to-one",
                          .presets = bd_strategy_presets, .help = "how poisoned samples are chosen and labelled",
                          .label = "strategy", .plural = "strategies", .attack = 1},
    [BD_AXIS_TARGET] = {.name = "target", .kind = BD_AXIS_INT, .min = 0, .max = 100000, .absent = "0",
                        .help = "the attack's target class", .label = "target", .plural = "targets", .attack = 1},
    [BD_AXIS_POISON_RATE] = {.name = "poison_rate", .kind = BD_AXIS_FLOAT, .min = 0, .max = 1,
                             .help = "fraction of the training set poisoned in place (0: the clean baseline)",
                             .label = "poison rate", .plural = "poison rates",
                             .control = "0", .control_name = "baseline", .poisoning = 1},
    [BD_AXIS_REGULARIZER] = {.name = "regularizer", .kind = BD_AXIS_PRESETS, .absent = "none",
                             .presets = bd_regularizer_presets, .help = "the training regularizer",
                             .label = "regularizer", .plural = "regularizers",
                             .control = "none", .control_name = "unregularized"},
    [BD_AXIS_SEED] = {.name = "seed", .kind = BD_AXIS_INT, .min = 0, .max = 2147483647, .absent = "0",
                      .help = "the replicate", .label = "seed", .plural = "seeds", .replicate = 1},
    [BD_AXIS_INIT] = {.name = "init", .kind = BD_AXIS_PRESETS, .absent = "scratch", .presets = bd_init_presets,
                      .help = "train from scratch or fine-tune a clean pre-trained model",
                      .label = "initialisation", .plural = "initialisations"},
    [BD_AXIS_TRAIN] = {.name = "train", .kind = BD_AXIS_PRESETS, .implicit_name = "sgd", .absent = "sgd",
                       .presets = bd_train_presets, .help = "the optimiser and its schedule",
                       .label = "training setting", .plural = "training settings"},
    [BD_AXIS_RETRAIN] = {.name = "retrain", .kind = BD_AXIS_PRESETS, .implicit_name = "finetune", .absent = "none",
                         .presets = bd_retrain_presets,
                         .help = "clean fine-tuning after training (persistence of the backdoor)",
                         .label = "retraining setting", .plural = "retraining settings"},
};

const BdAxisDef *bd_axes(void) { return axes; }
