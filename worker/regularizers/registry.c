/* The regularizer registry (docs/EXPERIMENT.md section 6). */
#include <string.h>

#include "reg_impl.h"

/* A list of layers names each layer once: a repeated one would silently
 * count its term twice (SNNL) or make its point twice as likely (mixup). */
static int layers_unique(const BdSpec *s, BdError *err) {
    char a[BD_SPEC_VAL_MAX], b[BD_SPEC_VAL_MAX];
    int count = bd_spec_str_list(s, "layers", 0, NULL, 0);
    for (int i = 0; i < count; i++) {
        bd_spec_str_list(s, "layers", i, a, sizeof a);
        for (int j = i + 1; j < count; j++) {
            bd_spec_str_list(s, "layers", j, b, sizeof b);
            if (!strcmp(a, b)) return bd_fail(err, "%s: layers names '%s' twice; expected each layer once", s->name, a);
        }
    }
    return 0;
}

static int snnl_check(const BdSpec *s, BdError *err) {
    if (bd_spec_str_list(s, "layers", 0, NULL, 0) == 0)
        return bd_fail(err, "snnl: layers is empty; expected at least one tagged layer, e.g. [penultimate]");
    return layers_unique(s, err);
}

static const BdParamDef none_params[] = {{0}};
static const BdParamDef logit_squeeze_params[] = {
    {"weight", BD_PARAM_FLOAT, "0.05", 0, 1e6, NULL, "lambda in lambda * mean_b ||z_b||^2 over the logits z"},
    {0},
};
static const BdParamDef contrastive_params[] = {
    {"weight", BD_PARAM_FLOAT, "0.5", 0, 1e6, NULL, "lambda"},
    {"margin", BD_PARAM_FLOAT, "1", 0, 2, NULL, "margin m between L2-normalised features of different classes"},
    {0},
};
static const BdParamDef snnl_params[] = {
    {"weight", BD_PARAM_FLOAT, "0.1", -1e6, 1e6, NULL, "lambda; > 0 pulls classes apart, < 0 entangles them"},
    {"temperature", BD_PARAM_FLOAT, "1", 1e-6, 1e6, NULL, "T"},
    {"layers", BD_PARAM_STRING_LIST, "[penultimate]", BD_ANY, NULL, "tagged representations the loss reads"},
    {0},
};
static const BdParamDef mixup_params[] = {
    {"alpha", BD_PARAM_FLOAT, "2", 1e-6, 1e6, NULL, "lambda ~ Beta(alpha, alpha)"},
    {"layers", BD_PARAM_STRING_LIST, "[]", BD_ANY, NULL,
     "eligible mixing points (tags); empty: the input and every stage boundary"},
    {0},
};

const BdPreset bd_regularizer_presets[] = {
    {"none", "plain cross-entropy", none_params, NULL, NULL},
    {"logit-squeeze", "logit squeezing", logit_squeeze_params, NULL, &bd_logit_squeeze_impl},
    {"contrastive", "contrastive loss (Hadsell et al. 2006) on normalised penultimate features", contrastive_params,
     NULL, &bd_contrastive_impl},
    {"snnl", "soft nearest neighbour loss (Frosst et al. 2019)", snnl_params, snnl_check, &bd_snnl_impl},
    {"manifold-mixup", "manifold mixup (Verma et al. 2019)", mixup_params, layers_unique, &bd_mixup_impl},
    {0},
};
