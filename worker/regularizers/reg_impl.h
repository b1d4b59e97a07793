/* What a regularizer implements; the registry entry's impl points at one.
 * Every hook may be NULL: `none` has none of them. */
#ifndef BD_REG_IMPL_H
#define BD_REG_IMPL_H

#include "regularizers.h"

typedef struct BdRegImpl {
    int (*make)(BdReg *r, BdGraph *g, BdError *err);
    void (*free)(BdReg *r);
    void (*before_forward)(BdReg *r, BdGraph *g, int n, BdRng *rng);
    /* Replaces the plain cross-entropy (mixup's mixed targets): fills
     * parts->ce and parts->correct and adds the CE gradient into the logits'
     * gradient. NULL: plain cross-entropy against labels. */
    void (*ce)(BdReg *r, BdGraph *g, const int *labels, int n, BdLossParts *parts);
    /* The weighted term; adds its gradient into the nodes it reads. */
    float (*term)(BdReg *r, BdGraph *g, const int *labels, int n);
} BdRegImpl;

struct BdReg {
    BdSpec spec;
    const BdRegImpl *impl;
    int logits; /* the graph's output node */
    void *state; /* the implementation's own */
};

#endif
