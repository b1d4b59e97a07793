/* The `train`, `init` and `retrain` axes: how a cell trains. They are axes
 * like the others (a sweep may list several), and their usual form is a
 * single sweep-level mapping, e.g. train: {epochs: 2, lr: 0.05}. */
#include "train.h"

#include <stdio.h>
#include <string.h>

#include "trainer.h"

/* Both training phases can run in either precision (nn.h, BdPrecision). */
#define PRECISION_PARAM                                                                                        \
    {"precision", BD_PARAM_ENUM, "fp32", BD_ANY, "fp32|bf16",                                                  \
     "fp32, or bf16 mixed precision: bf16 convolution and linear inputs, fp32 accumulation, weights and optimiser"}

static const BdParamDef sgd_params[] = {
    {"epochs", BD_PARAM_INT, "10", 0, 100000, NULL, "passes over the (poisoned) training set"},
    {"batch", BD_PARAM_INT, "64", 1, 65536, NULL, "mini-batch size"},
    {"lr", BD_PARAM_FLOAT, "0.05", 0, 100, NULL, "learning rate (peak, for schedules)"},
    {"momentum", BD_PARAM_FLOAT, "0.9", 0, 0.999, NULL, "SGD momentum"},
    {"nesterov", BD_PARAM_BOOL, "false", BD_ANY, NULL, "Nesterov momentum"},
    {"weight_decay", BD_PARAM_FLOAT, "0.0005", 0, 1, NULL, "L2 weight decay"},
    {"schedule", BD_PARAM_ENUM, "constant", BD_ANY, "constant|step|cosine", "learning-rate schedule over epochs"},
    {"step_epochs", BD_PARAM_INT, "30", 1, 100000, NULL, "step schedule: multiply by step_gamma every step_epochs"},
    {"step_gamma", BD_PARAM_FLOAT, "0.1", 0, 1, NULL, "step schedule factor"},
    {"warmup_epochs", BD_PARAM_INT, "0", 0, 100000, NULL, "linear warm-up from 0 over this many epochs"},
    {"augment", BD_PARAM_ENUM, "none", BD_ANY, "none|flip|crop|crop-flip",
     "random crop with 4-pixel zero padding and/or horizontal flip"},
    {"clip", BD_PARAM_FLOAT, "0", 0, 1e6, NULL, "gradient-norm clipping (0: off)"},
    {"limit_train", BD_PARAM_INT, "0", 0, 100000000, NULL, "use the first N training samples (0: all)"},
    {"limit_test", BD_PARAM_INT, "0", 0, 100000000, NULL, "use the first N test samples (0: all)"},
    PRECISION_PARAM,
    {0},
};

static const BdParamDef scratch_params[] = {{0}};
static const BdParamDef pretrained_params[] = {
    {"source", BD_PARAM_ENUM, "clean", BD_ANY, "clean", "the model fine-tuned: a clean model of the same dataset, arch and seed"},
    {"epochs", BD_PARAM_INT, "5", 1, 100000, NULL, "epochs of the clean pre-training job"},
    {"trainable", BD_PARAM_ENUM, "all", BD_ANY, "all|head", "fine-tune every layer or only the classifier"},
    {0},
};

static const BdParamDef none_params[] = {{0}};
static const BdParamDef finetune_params[] = {
    {"fraction", BD_PARAM_FLOAT, "0.05", 0.001, 0.9, NULL, "held-out clean share of the training set, split before poisoning"},
    {"epochs", BD_PARAM_INT, "5", 1, 100000, NULL, "fine-tuning epochs; ASR and clean accuracy after each"},
    {"lr", BD_PARAM_FLOAT, "0.01", 0, 100, NULL, "learning rate (constant)"},
    {"batch", BD_PARAM_INT, "64", 1, 65536, NULL, "mini-batch size"},
    {"trainable", BD_PARAM_ENUM, "all", BD_ANY, "all|head", "fine-tune every layer or only the classifier"},
    PRECISION_PARAM,
    {0},
};

const BdPreset bd_train_presets[] = {
    {"sgd", "mini-batch SGD with momentum and weight decay", sgd_params, NULL, NULL},
    {0},
};

const BdPreset bd_init_presets[] = {
    {"scratch", "train from a fresh initialisation", scratch_params, NULL, NULL},
    {"pretrained", "fine-tune a clean pre-trained model on the poisoned data", pretrained_params, NULL, NULL},
    {0},
};

const BdPreset bd_retrain_presets[] = {
    {"none", "no retraining phase", none_params, NULL, NULL},
    {"finetune", "fine-tune on a held-out clean split after training (persistence)", finetune_params, NULL, NULL},
    {0},
};

/* ---- one parser per phase ---------------------------------------------------- */

static BdPrecision precision_of(const BdSpec *s) {
    return !strcmp(bd_spec_str(s, "precision"), "bf16") ? BD_BF16 : BD_FP32;
}

void bd_train_cfg_from_spec(const BdSpec *s, BdTrainCfg *c) {
    memset(c, 0, sizeof *c);
    c->epochs = (int)bd_spec_int(s, "epochs");
    c->batch = (int)bd_spec_int(s, "batch");
    c->lr = (float)bd_spec_float(s, "lr");
    c->momentum = (float)bd_spec_float(s, "momentum");
    c->weight_decay = (float)bd_spec_float(s, "weight_decay");
    c->nesterov = bd_spec_bool(s, "nesterov");
    snprintf(c->schedule, sizeof c->schedule, "%s", bd_spec_str(s, "schedule"));
    c->step_epochs = (int)bd_spec_int(s, "step_epochs");
    c->step_gamma = (float)bd_spec_float(s, "step_gamma");
    c->warmup_epochs = (int)bd_spec_int(s, "warmup_epochs");
    snprintf(c->augment, sizeof c->augment, "%s", bd_spec_str(s, "augment"));
    c->clip = (float)bd_spec_float(s, "clip");
    c->precision = precision_of(s);
}

void bd_retrain_cfg_from_spec(const BdSpec *finetune, const BdTrainCfg *train, BdTrainCfg *c) {
    /* The optimiser's other settings (momentum, weight decay, augmentation,
     * clipping) are the main phase's; the learning rate is constant. */
    *c = *train;
    c->epochs = (int)bd_spec_int(finetune, "epochs");
    c->lr = (float)bd_spec_float(finetune, "lr");
    c->batch = (int)bd_spec_int(finetune, "batch");
    snprintf(c->schedule, sizeof c->schedule, "constant");
    c->warmup_epochs = 0;
    c->precision = precision_of(finetune);
}
