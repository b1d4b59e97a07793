/* NASNet-A (Zoph et al. 2018), docs/EXPERIMENT.md section 5: the builder behind the
 * presets nasnet-a-mobile, nasnet-a-large and nasnet-a-cifar. Its PyTorch twin
 * is NASNetA in python/bdsweep_models.py, whose section comment lists every
 * choice the mission leaves open and the TF-slim reference detail each one
 * follows. */
#ifndef BD_NASNET_H
#define BD_NASNET_H

#include "models.h"

typedef struct BdNasnetConfig {
    int cells;                /* N: normal cells per stack */
    int filters;              /* F: filters of the first stack, doubled at each reduction */
    int imagenet_stem;        /* 1: 3x3/2 conv + two reduction cells; 0: 3x3/1 conv (cifar) */
    int stem_filters;         /* filters of the stem convolution */
    int skip_reduction_input; /* TF's skip_reduction_layer_input (see python/bdsweep_models.py) */
    float dropout;            /* before the classifier */
} BdNasnetConfig;

/* The configuration of a resolved nasnet-a-* spec. */
void bd_nasnet_config(const BdSpec *arch, BdNasnetConfig *cfg);

/* The preset check: the imagenet stem needs filters >= 4 (its cells have F/4
 * and F/2 filters). */
int bd_nasnet_check(const BdSpec *arch, BdError *err);

/* Adds the whole network to an empty, unfinalized graph (input, MIX nodes
 * and tags, cells, "fc") and sets its output; does not finalize. `arch`
 * names the model in errors, e.g. an input too small for its reductions. */
int bd_nasnet_add(BdGraph *g, const BdNasnetConfig *cfg, const char *arch, int classes, BdError *err);

/* The registry's implementation of the three presets (bd_nasnet_add on a new
 * graph). */
extern const BdModelImpl bd_nasnet_impl;

#endif
