/* Regularizers: the `regularizer` axis (docs/EXPERIMENT.md section 6).
 *
 * A regularizer owns the training loss of a step, because some of them change
 * the cross-entropy itself (manifold mixup mixes the targets). The trainer
 * calls, per training step:
 *
 *     bd_reg_before_forward(r, g, n, rng);   mixup chooses layer, lambda, perm
 *     bd_graph_forward(g, x, n, BD_TRAIN, ...);
 *     bd_graph_zero_grads(g);
 *     bd_reg_loss(r, g, labels, n, &parts);  CE + term, gradients into g
 *     bd_graph_backward(g);
 *
 * The term's gradient goes into the gradient buffers of the tagged nodes it
 * reads (logits, penultimate, stage tags), so the engine's ordinary backward
 * carries it to the parameters. */
#ifndef BD_REGULARIZERS_H
#define BD_REGULARIZERS_H

#include "nn.h"
#include "rng.h"
#include "spec.h"

extern const BdPreset bd_regularizer_presets[];

typedef struct BdReg BdReg;

typedef struct BdLossParts {
    float ce;      /* cross-entropy, mean over the batch (against mixed targets under mixup) */
    float reg;     /* the regularizer's term, weight included (0 for none) */
    int correct;   /* samples whose argmax equals the (unmixed) label */
} BdLossParts;

/* Checks the spec against the graph (the layers it names exist) and
 * allocates what the term needs for the graph's max batch. */
int bd_reg_make(const BdSpec *spec, BdGraph *g, BdReg **out, BdError *err);
void bd_reg_free(BdReg *r);
void bd_reg_before_forward(BdReg *r, BdGraph *g, int n, BdRng *rng);
/* Returns the total loss (ce + reg). labels [n]. */
float bd_reg_loss(BdReg *r, BdGraph *g, const int *labels, int n, BdLossParts *parts);

#endif
