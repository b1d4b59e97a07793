/* Architectures: the `arch` axis. Each preset of bd_arch_presets builds a
 * graph (worker/nn/nn.h) for an input shape and class count.
 *
 * Conventions every builder keeps, because the rest of the worker relies on
 * them:
 *   - the classifier is one linear layer named BD_MODEL_HEAD ("fc": params
 *     "fc.weight", "fc.bias"): fine-tuning the head trains exactly those;
 *   - tags: "input" (a BD_OP_MIX node right after the input), "stage1",
 *     "stage2", ... (a BD_OP_MIX node at each stage boundary: after the stem
 *     stage and after every stage/stack of cells), "penultimate" (the
 *     [F, N] feature vector the classifier reads), "logits" (the output);
 *     manifold mixup mixes at the MIX nodes, SNNL and the contrastive loss
 *     read tagged nodes;
 *   - mixing at a boundary mixes every state that crosses it: when more than
 *     one does (NASNet cells read the two previous cell outputs), each extra
 *     state gets a MIX node joined to the boundary's by bd_mix_with and tagged
 *     "<boundary>.prev" ("stage2.prev"); such a follower is not a mixing point
 *     of its own (bd_graph_set_mix on "stage2" activates both);
 *   - parameter names follow the PyTorch modules of python/bdsweep_models.py, so
 *     fixtures and checkpoints line up by name. */
#ifndef BD_MODELS_H
#define BD_MODELS_H

#include "nn.h"
#include "spec.h"

extern const BdPreset bd_arch_presets[];

/* The name of every architecture's classifier layer (see above). */
#define BD_MODEL_HEAD "fc"

/* What a bd_arch_presets entry's impl points at. build() adds the nodes,
 * tags and output of the architecture to a new graph and returns it NOT
 * finalized (bd_model_build finalizes); on an impossible configuration
 * (an input too small for its reductions, ...) it returns -1 with a message
 * naming the arch, the input and what would work. */
typedef struct BdModelImpl {
    int (*build)(const BdSpec *arch, BdShape input, int classes, int max_batch, BdGraph **out, BdError *err);
} BdModelImpl;

extern const BdModelImpl bd_cnn_small_impl; /* cnn_small.c */
extern const BdModelImpl bd_resnet20_impl;  /* resnet.c */
extern const BdModelImpl bd_resnet50_impl;  /* resnet.c */

/* Builds and finalizes the graph of a resolved arch spec, on the build's
 * default engine, in fp32 or another precision. The error names the arch and
 * the reason (an input too small for the number of reductions, ...). */
int bd_model_build(const BdSpec *arch, BdShape input, int classes, int max_batch, BdGraph **out, BdError *err);
int bd_model_build_in(const BdSpec *arch, BdShape input, int classes, int max_batch, BdPrecision precision,
                      BdGraph **out, BdError *err);
/* ... on a given engine (benchmarks, tests comparing the two). */
int bd_model_build_on(const BdSpec *arch, BdShape input, int classes, int max_batch, BdEngine engine,
                      BdPrecision precision, BdGraph **out, BdError *err);

/* The same graph planned but not finalized (bd_graph_plan): its parameter
 * count, FLOPs and memory, exactly those of the finalized graph, without
 * allocating anything that grows with the model. */
int bd_model_build_shapes(const BdSpec *arch, BdShape input, int classes, int max_batch, BdEngine engine,
                          BdPrecision precision, BdGraph **out, BdError *err);
/* What training the model holds (bd_graph_memory) on the build's default
 * engine: what a job's bd_model_build_in would allocate, and its optimiser. */
int bd_model_memory(const BdSpec *arch, BdShape input, int classes, int max_batch, BdPrecision precision,
                    BdGraphMemory *out, BdError *err);

#endif
