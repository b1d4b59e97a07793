/* Engine-internal: the forward/backward pair of every op, and the helpers
 * they share. Only the engine sources in worker/nn include this; models use nn.h.
 *
 * Conventions of every kernel:
 *   - tensors are CNHW with the current batch n packed densely: element
 *     (c, b, h, w) of a node with shape (C, H, W) is at ((c*n + b)*H + h)*W + w;
 *   - forward overwrites the node's output;
 *   - backward reads the node's gradient, accumulates its parameter
 *     gradients into g->grads, and sends the input gradients through
 *     bd_grad_into(): the first contribution to a buffer overwrites it (the
 *     buffer is logically zero), later ones add;
 *   - nothing allocates. */
#ifndef BD_NN_OPS_H
#define BD_NN_OPS_H

#include "nn.h"

typedef struct BdOpImpl {
    const char *name;
    void (*forward)(BdGraph *g, BdNode *nd);
    void (*backward)(BdGraph *g, BdNode *nd);
} BdOpImpl;

/* The table, indexed by BdOpType (graph.c). */
extern const BdOpImpl bd_op_impls[];

/* The allocation plan (plan.c), run by bd_graph_finalize in this order. */
void bd_plan_fusions(BdGraph *g);
void bd_plan_gradients(BdGraph *g); /* needs_grad and backward FLOPs; again when input_grad changes */
void bd_plan_params(BdGraph *g);    /* parameters, their gradients, buffers: the same for both engines */
void bd_plan_memory(BdGraph *g);    /* the reference engine's arena and workspace */
/* What bd_plan_memory would allocate: the arena and the workspace (other). */
void bd_plan_memory_size(const BdGraph *g, BdGraphMemory *m);
/* 64-byte aligned, or the process dies (bd_die_out_of_memory: exit status
 * BD_EXIT_OUT_OF_MEMORY, what a job's runner reports as out of memory). */
float *bd_alloc_floats(size_t n);

/* Where each node's output, gradient and scratch go in an arena, in bytes
 * (both engines: each gives its own sizes). Outputs and gradients share by
 * liveness as plan.c describes; a fused producer gets its ReLU's output and
 * gradient. */
typedef struct BdLayout {
    size_t *out, *grad, *aux; /* [n_nodes] offsets */
    size_t total;
} BdLayout;
/* What an engine does that the plan must know (NULL: none of it). */
typedef struct BdPlanOpts {
    const int *born; /* [n_nodes]: the first node of the forward pass to write node i's output (NULL: i) */
    int views;       /* the caller reads and writes the input, output and tagged nodes through copies */
    int mix_aliases; /* a mixing node's output may be its input's buffer (and is not in the arena) */
    int forward_only; /* an evaluation's layout: no backward reads outputs (grad_bytes all 0) */
} BdPlanOpts;
void bd_plan_layout(const BdGraph *g, const size_t *out_bytes, const size_t *grad_bytes, const size_t *aux_bytes,
                    const BdPlanOpts *o, BdLayout *L);

static inline BdNode *bd_in(BdGraph *g, const BdNode *nd, int i) { return &g->nodes[nd->in[i]]; }

/* g->profile: the time of node i's forward (by mode) or backward (slot 2). */
double bd_profile_clock(void);
static inline double bd_profile_start(const BdGraph *g) { return g->profile ? bd_profile_clock() : 0.0; }
static inline void bd_profile_stop(BdGraph *g, int i, int backward, double t0) {
    if (g->profile) g->profile[3 * i + (backward ? 2 : g->mode == BD_TRAIN ? 0 : 1)] += bd_profile_clock() - t0;
}
static inline size_t bd_plane(BdShape s) { return (size_t)s.h * (size_t)s.w; }
static inline size_t bd_numel(BdShape s, int n) { return (size_t)s.c * (size_t)n * bd_plane(s); }
static inline float *bd_param_ptr(BdGraph *g, int p) { return g->params + g->param_info[p].off; }
static inline float *bd_pgrad_ptr(BdGraph *g, int p) { return g->grads + g->param_info[p].off; }
static inline float *bd_buffer_ptr(BdGraph *g, int b) { return g->buffers + g->buffer_info[b].off; }

/* Where a backward sends the gradient of its input i: NULL when that input
 * needs no gradient. *accumulate tells whether the buffer already holds a
 * contribution (add to it) or is logically zero (overwrite it entirely). */
float *bd_grad_into(BdGraph *g, const BdNode *nd, int i, int *accumulate);
/* Same, for kernels that can only add (scatters, col2im): the buffer is
 * zeroed first when it held nothing. */
float *bd_grad_accum(BdGraph *g, const BdNode *nd, int i);

#include "kernels.h"

/* Forward and backward of each op family. */
void bd_conv_forward(BdGraph *g, BdNode *nd);
void bd_conv_backward(BdGraph *g, BdNode *nd);
size_t bd_conv_workspace(const BdGraph *g, const BdNode *nd); /* floats */
double bd_conv_flops(const BdGraph *g, const BdNode *nd);       /* forward, per sample */

void bd_bn_forward(BdGraph *g, BdNode *nd);
void bd_bn_backward(BdGraph *g, BdNode *nd);

void bd_relu_forward(BdGraph *g, BdNode *nd);
void bd_relu_backward(BdGraph *g, BdNode *nd);
void bd_dropout_forward(BdGraph *g, BdNode *nd);
void bd_dropout_backward(BdGraph *g, BdNode *nd);

void bd_maxpool_forward(BdGraph *g, BdNode *nd);
void bd_maxpool_backward(BdGraph *g, BdNode *nd);
void bd_avgpool_forward(BdGraph *g, BdNode *nd);
void bd_avgpool_backward(BdGraph *g, BdNode *nd);
void bd_avgpool_divisors(const BdGraph *g, BdNode *nd); /* fills aux at finalize */
void bd_gap_forward(BdGraph *g, BdNode *nd);
void bd_gap_backward(BdGraph *g, BdNode *nd);

void bd_linear_forward(BdGraph *g, BdNode *nd);
void bd_linear_backward(BdGraph *g, BdNode *nd);

void bd_input_forward(BdGraph *g, BdNode *nd);
void bd_flatten_forward(BdGraph *g, BdNode *nd);
void bd_flatten_backward(BdGraph *g, BdNode *nd);
void bd_add_forward(BdGraph *g, BdNode *nd);
void bd_add_backward(BdGraph *g, BdNode *nd);
void bd_concat_forward(BdGraph *g, BdNode *nd);
void bd_concat_backward(BdGraph *g, BdNode *nd);
void bd_shift_forward(BdGraph *g, BdNode *nd);
void bd_shift_backward(BdGraph *g, BdNode *nd);
void bd_mix_forward(BdGraph *g, BdNode *nd);
void bd_mix_backward(BdGraph *g, BdNode *nd);
void bd_identity_forward(BdGraph *g, BdNode *nd);
void bd_identity_backward(BdGraph *g, BdNode *nd);

#endif
