/* The training engine: a model is a graph of layers built once, with one
 * allocation plan, run forward and backward every step without allocating.
 *
 * Two engines run a graph (BdGraph.engine, chosen before finalize):
 *   BD_ENGINE_DNNL  oneDNN primitives (dnnl_*.c) for convolutions, batch
 *                   norm, pooling and linear layers, in fp32 or bf16
 *                   (BdGraph.precision); activations in NHWC between layers.
 *                   The default where bdsweep is built with oneDNN.
 *   BD_ENGINE_REF   OpenBLAS and plain loops (op_*.c), fp32 only: the
 *                   reference the tests compare against, and the whole
 *                   engine of a -Ddnnl=disabled build.
 * Whatever the engine, what the caller sees of a node (bd_graph_out,
 * bd_graph_grad) is the reference layout below, in fp32.
 *
 * Layout. Every activation is a dense float tensor [C, N, H, W] ("CNHW"):
 * channel outermost, then the batch, then the image. With the batch inside
 * the channel, a convolution over the whole batch is ONE sgemm
 *     Y[Cout, N*OH*OW] = W[Cout, Cin*K*K] x cols[Cin*K*K, N*OH*OW]
 * whose result is already in CNHW; batch norm reduces over contiguous
 * N*H*W runs; a 1x1 stride-1 convolution needs no im2col at all. Feature
 * vectors (after flatten or global pooling) are [F, N, 1, 1], logits [K, N].
 * N is the number of samples of the current call (<= the graph's max batch);
 * a buffer holds max_batch samples and the first N are used, densely.
 *
 * Parameters use PyTorch's layouts (conv weight [Cout, Cin/groups, KH, KW],
 * linear weight [Out, In]) so that weights move between the two unchanged.
 *
 * Use:
 *     BdGraph *g = bd_graph_new((BdShape){1, 28, 28}, 64);
 *     int x = bd_input(g);
 *     x = bd_relu(g, bd_conv(g, x, 32, 3, 1, 1, 1, 1, "conv1"));
 *     ...
 *     bd_graph_set_output(g, logits);
 *     if (bd_graph_finalize(g, &err) < 0) ...       // the allocation plan
 *     bd_graph_init_params(g, seed);
 *     for each step:
 *         bd_graph_forward(g, x_cnhw, n, BD_TRAIN, step_seed);
 *         bd_graph_zero_grads(g);                     // activations and params
 *         loss = bd_softmax_xent(bd_graph_out(g, out), K, n, labels, NULL,
 *                                bd_graph_grad(g, out), 1.0f);
 *         (regularizers add into bd_graph_grad(g, tagged node))
 *         bd_graph_backward(g);                       // param grads in g->grads
 *         bd_sgd_step(...);
 */
#ifndef BD_NN_H
#define BD_NN_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define BD_MAX_INPUTS 8
#define BD_NAME_MAX 96

/* Formats a layer, tensor or tag name ("stage1.block0.conv1") into buf
 * (BD_NAME_MAX bytes) and returns buf. Model builders make names from short
 * pieces of their own, so one that does not fit is a bug in the builder: it
 * is reported and the process stops, rather than training a model whose
 * names were cut. */
const char *bd_name(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

typedef struct BdShape {
    int c, h, w; /* per sample */
} BdShape;

typedef enum {
    BD_OP_INPUT,
    BD_OP_CONV,     /* any kernel, stride, padding, groups (depthwise included), optional bias */
    BD_OP_BN,       /* batch norm over (N, H, W) per channel, affine, eps 1e-5, momentum 0.1 */
    BD_OP_RELU,
    BD_OP_MAXPOOL,  /* k, stride, pad (padding never wins the max) */
    BD_OP_AVGPOOL,  /* k, stride, pad, count_include_pad flag */
    BD_OP_GAP,      /* global average pool: [C,N,H,W] -> [C,N,1,1] */
    BD_OP_FLATTEN,  /* [C,N,H,W] -> [C*H*W,N,1,1], feature index (c*H+h)*W+w as PyTorch */
    BD_OP_LINEAR,   /* [F,N,1,1] -> [Out,N,1,1], y = W x + b */
    BD_OP_ADD,      /* elementwise sum of two same-shaped inputs */
    BD_OP_CONCAT,   /* channel concat of 2..BD_MAX_INPUTS inputs with equal H, W */
    BD_OP_DROPOUT,  /* inverted dropout, probability p, active in training only */
    BD_OP_SHIFT,    /* y[h][w] = x[h+1][w+1], 0 past the edge (NASNet factorized reduction) */
    BD_OP_MIX,      /* manifold-mixup point: identity unless activated for the step */
    BD_OP_IDENTITY,
} BdOpType;

typedef enum { BD_EVAL = 0, BD_TRAIN = 1 } BdMode;

typedef enum { BD_ENGINE_REF = 0, BD_ENGINE_DNNL = 1 } BdEngine;

/* BD_BF16 is mixed precision as torch.autocast: convolutions and linear
 * layers read bf16 inputs and weights and accumulate in fp32; activations
 * and their gradients are stored in bf16; parameters, their gradients, the
 * optimiser, batch-norm statistics, the loss and whatever reads a node from
 * outside (bd_graph_out) stay fp32. Needs the oneDNN engine. */
typedef enum { BD_FP32 = 0, BD_BF16 = 1 } BdPrecision;

/* A named parameter tensor (or a buffer: BN running statistics). */
typedef struct BdParam {
    char name[BD_NAME_MAX]; /* "stage1.block0.conv1.weight", PyTorch-like */
    size_t off, len;        /* into g->params / g->grads, or g->buffers */
    int dims[4], ndim;
    int decay;              /* 1 for weights that take weight decay (conv/linear weights and BN, as PyTorch's default) */
    int node;               /* owning node */
} BdParam;

typedef struct BdNode {
    BdOpType op;
    char name[BD_NAME_MAX];
    char tag[BD_NAME_MAX];  /* "" or a representation's name: "penultimate", "stage1", "input" ... */
    int in[BD_MAX_INPUTS], n_in;
    BdShape shape;          /* output, per sample */
    /* op parameters */
    int k, stride, pad, groups, bias, count_include_pad;
    float p;                /* dropout probability */
    /* parameter indices in g->param_info (-1 when none) */
    int w_param, b_param;   /* conv/linear weight and bias; BN gamma (w) and beta (b) */
    int rm_buf, rv_buf;     /* BN running mean / var in g->buffer_info */
    /* the allocation plan: pointers into the arena, set by finalize. With the
     * oneDNN engine these are the node's canonical views (the layout above,
     * fp32), which only the input, the output and tagged nodes have (every
     * node with BdGraph.all_views); read them through bd_graph_out/grad. */
    float *out, *grad;
    float *aux;             /* op scratch kept from forward to backward (BN mean/invstd, dropout mask, avgpool divisors) */
    int32_t *idx;           /* maxpool argmax */
    double flops_fwd, flops_bwd; /* per sample */
    /* backward bookkeeping (engine-internal) */
    int needs_grad;         /* a gradient must reach this node: it depends on a parameter (or is the input and
                               the graph wants the input's gradient) */
    int grad_live;          /* its gradient buffer holds data this step; 0 means "all zeros, not yet written",
                               which lets the first contribution overwrite instead of accumulate and lets
                               backward skip nodes no gradient reached */
    int mixed;              /* BD_OP_MIX: whether the last forward mixed */
    int mix_head;           /* BD_OP_MIX: the node of its mixing group (itself, or the head given to bd_mix_with) */
    /* Fusion (engine-internal, set by finalize): a BN or add whose only
     * consumer is a ReLU computes that ReLU too, writing the ReLU's output
     * (its own output buffer is then not written), and takes its gradient
     * from the ReLU's in backward. relu_into is that ReLU's index (0: none);
     * fused marks the ReLU. Tagged nodes and the output are never fused.
     * The oneDNN engine fuses a convolution -> ReLU the same way. */
    int relu_into, fused;
    /* A node read only by an add has the add's gradient for its own (the
     * add's backward passes its gradient on unchanged): grad_of is that add
     * (0: none), set by finalize with reuse_grads. */
    int grad_of;
} BdNode;

typedef struct BdDnnl BdDnnl; /* the oneDNN engine's state (dnnl_impl.h) */

typedef struct BdGraph {
    BdShape input;
    int max_batch;
    int n;                  /* samples in the current forward/backward */
    BdMode mode;

    BdNode *nodes;
    int n_nodes, cap_nodes;
    int output;             /* the logits node */

    BdParam *param_info;    /* trainable tensors, laid out contiguously in params */
    int n_param_info;
    float *params, *grads;
    size_t n_params;

    BdParam *buffer_info;   /* non-trainable state (BN running stats) */
    int n_buffer_info;
    float *buffers;
    size_t n_buffers;

    /* manifold mixup, set per step by bd_graph_set_mix */
    int mix_node;           /* -1: no mixing this step */
    float mix_lambda;
    int *mix_perm;          /* [max_batch] */

    const int *mix_perm_src; /* the caller's permutation, copied into mix_perm by the next forward */

    uint64_t step_seed;     /* dropout draws from this */
    int input_grad;         /* 1: backward also computes the gradient of the input (bd_graph_set_input_grad) */
    size_t conv_chunk;      /* large convolutions: im2col columns for batch chunks of at most this many floats */
    size_t gemm_small;      /* small convolutions: column tiles with M*N*K of each sgemm at most this (0: never) */
    int conv_shift;         /* 1: stride-1 KxK convolutions as K*K shifted 1x1 products (conv_shift.c); 0: im2col */
    int fuse;               /* 1 (default): finalize fuses BN/add -> ReLU (see BdNode.relu_into) */
    int reuse_grads;        /* 1 (default): gradients of untagged inner nodes share buffers (plan.c) */
    BdEngine engine;        /* set before finalize; default BD_ENGINE_DNNL where built with oneDNN */
    BdPrecision precision;  /* set before finalize, or changed after it with bd_graph_set_precision */
    int all_views;          /* 1: every node gets a canonical view with the oneDNN engine (tests) */
    struct BdDnnl *dnnl;    /* the oneDNN engine's primitives and memory (NULL with the reference engine) */
    const float *x;         /* the input of the running forward */
    uint64_t params_version; /* changes whenever parameters or buffers may have (bd_graph_params_changed) */
    double *profile;        /* NULL, or [3 * n_nodes]: seconds spent in each node's training forward,
                               evaluation forward and backward, added up (bdsweep bench --profile) */

    float *arena;           /* every activation, gradient and scratch buffer */
    size_t arena_floats;
    float *work;            /* shared workspace (im2col columns), sized for the largest user */
    size_t work_floats;
    int planned;            /* bd_graph_plan has run: fusions, gradients and FLOPs are known */
    int finalized;
} BdGraph;

/* ---- building (before finalize) -------------------------------------------
 * Each returns the new node's index. Shapes are checked as the graph is built;
 * a misuse (wrong shapes, kernel larger than the padded input) is a programming
 * error in a model builder and aborts with the node's name. `name` may be NULL
 * for ops without parameters. */

BdGraph *bd_graph_new(BdShape input, int max_batch);
void bd_graph_free(BdGraph *g);

int bd_input(BdGraph *g);
int bd_conv(BdGraph *g, int x, int out_c, int k, int stride, int pad, int groups, int bias, const char *name);
int bd_bn(BdGraph *g, int x, const char *name);
int bd_relu(BdGraph *g, int x);
int bd_maxpool(BdGraph *g, int x, int k, int stride, int pad);
int bd_avgpool(BdGraph *g, int x, int k, int stride, int pad, int count_include_pad);
int bd_gap(BdGraph *g, int x);
int bd_flatten(BdGraph *g, int x);
int bd_linear(BdGraph *g, int x, int out, const char *name);
int bd_add(BdGraph *g, int a, int b);
int bd_concat(BdGraph *g, const int *xs, int n);
int bd_dropout(BdGraph *g, int x, float p);
int bd_shift(BdGraph *g, int x);
int bd_mix(BdGraph *g, int x, const char *name);
/* A MIX node on x that mixes exactly when the MIX node `head` does, with the
 * same lambda and permutation (bd_graph_set_mix on either activates both).
 * For a boundary that several states cross: a NASNet cell reads the two
 * previous cell outputs, so mixing at a stage boundary must mix both. */
int bd_mix_with(BdGraph *g, int x, int head, const char *name);
int bd_identity(BdGraph *g, int x);

/* Names a representation that regularizers read or mix ("penultimate",
 * "stage1", ...). A node may carry one tag; tags are unique. */
void bd_graph_tag(BdGraph *g, int node, const char *tag);
int bd_graph_find_tag(const BdGraph *g, const char *tag); /* -1 if absent */
void bd_graph_set_output(BdGraph *g, int node);

/* The allocation plan: one arena for every activation, gradient and scratch
 * buffer, one for parameters and their gradients, one workspace; with the
 * oneDNN engine also every primitive, for the graph's max batch. Runs
 * bd_graph_plan first. */
int bd_graph_finalize(BdGraph *g, BdError *err);

/* ---- shapes only -------------------------------------------------------------
 * What finalize decides before it allocates: the fusions, which nodes need a
 * gradient, the FLOPs. A planned graph holds its nodes and the names and
 * shapes of its parameters, nothing that grows with the model's widths or the
 * batch; bd_graph_param_count, bd_graph_flops and bd_graph_memory answer on
 * it, exactly as on the finalized graph. It cannot run; finalize may follow.
 * `bdsweep plan` sizes models this way (a 4096-channel cnn-small has 10^9
 * parameters: 8 GB with their gradients, which building it for its counts
 * would allocate). */
int bd_graph_plan(BdGraph *g, BdError *err);

/* What training a graph holds, in bytes, from its shapes: what finalize
 * would allocate for the graph's engine, precision and max batch, and the
 * optimiser's state. */
typedef struct BdGraphMemory {
    size_t params;    /* parameters, their gradients, the BN running statistics: exact */
    size_t optimizer; /* SGD's momentum, a float per parameter: exact */
    size_t arena;     /* every activation, gradient and op scratch of the max batch: exactly finalize's arena */
    size_t other;     /* the rest the engine holds: the reference engine's workspace (exact); oneDNN's
                         canonical views (exact), its weights in its primitives' layouts and its temporaries
                         (estimated: a primitive's layouts and scratchpad are known once it is made) */
    size_t total;     /* the sum */
} BdGraphMemory;
/* On a planned graph that is not finalized (err: why not). */
int bd_graph_memory(BdGraph *g, BdGraphMemory *out, BdError *err);

/* Changes the precision of a finalized graph (a retraining phase in another
 * precision): the engine plans its memory and primitives again; parameters,
 * buffers and gradients are kept. Fails (err) where the engine cannot. */
int bd_graph_set_precision(BdGraph *g, BdPrecision p, BdError *err);

/* The oneDNN engine makes primitives for one batch size at a time: those of
 * the max batch at finalize, and those of another size on its first forward
 * (an allocation, once). Preparing the sizes a run will see (a last smaller
 * batch) keeps every step free of allocations. No-op for the reference engine. */
int bd_graph_prepare_batch(BdGraph *g, int n, BdError *err);

/* How many samples an evaluation forward computes at a time: the oneDNN
 * engine evaluates more in chunks, over the first samples of its buffers,
 * where they stay in cache (dnnl_impl.h; the output's view is then the only
 * one kept). n > 0 sets it (bench, tests), 0 restores the engine's choice
 * from the graph's shapes; returns the chunk in use. The reference engine
 * evaluates whole batches (returns max_batch). */
int bd_graph_set_eval_chunk(BdGraph *g, int n);

/* Whether this build has the engine, its name ("onednn", "openblas"), and
 * the instruction set oneDNN dispatches to ("avx512_core_bf16", ...; "" for
 * the reference engine). */
int bd_engine_available(BdEngine e);
const char *bd_engine_name(BdEngine e);
const char *bd_engine_isa(BdEngine e);
/* What BD_BF16 runs as on this CPU: BD_BF16_NATIVE with bf16 arithmetic
 * (AVX512_BF16 or AMX); BD_BF16_EMULATED on other AVX-512 CPUs (oneDNN
 * converts in software: correct, slower than fp32); BD_BF16_AS_FP32 below
 * AVX-512, where oneDNN 2.6 has no bf16 kernels at all, and without oneDNN:
 * the graph computes in fp32. */
typedef enum { BD_BF16_AS_FP32 = 0, BD_BF16_EMULATED = 1, BD_BF16_NATIVE = 2 } BdBf16Support;
BdBf16Support bd_engine_bf16(void);
/* What a run tells the user when bf16 is not native here (one sentence). */
const char *bd_bf16_note(void);
const char *bd_precision_name(BdPrecision p);

/* ---- running -------------------------------------------------------------- */

/* Kaiming-normal (fan_out, ReLU) for convolutions, PyTorch's default uniform
 * for linear layers, BN gamma 1 beta 0, running var 1; from the seed only. */
void bd_graph_init_params(BdGraph *g, uint64_t seed);

/* x: [C, n, H, W] of the input shape, n <= max_batch. In BD_TRAIN mode BN
 * uses batch statistics and updates its running ones, dropout is active and
 * the mix node (if set) mixes; step_seed feeds dropout. */
void bd_graph_forward(BdGraph *g, const float *x, int n, BdMode mode, uint64_t step_seed);

/* [C, n, H, W] of the last forward, fp32. Any node with the reference
 * engine; with the oneDNN engine the input, the output and tagged nodes
 * (or all with g->all_views), converted from the engine's layout on the
 * first call after a forward; after an evaluation in chunks
 * (bd_graph_set_eval_chunk) the output only, unless all_views. */
float *bd_graph_out(BdGraph *g, int node);
/* Same shape, fp32, added into before backward (the loss, regularizers).
 * The gradients that outlive backward are those of the input, the output
 * and tagged nodes; inner nodes share buffers during backward (unless
 * g->reuse_grads is set to 0 before finalize). */
float *bd_graph_grad(BdGraph *g, int node);

/* A hash of the side of its kink every ReLU and max-pooling value took in
 * the last forward (gradient checks: a finite difference across a kink
 * measures no derivative). */
uint64_t bd_graph_kinks(const BdGraph *g);

/* The parameters or buffers changed. The oneDNN engine keeps evaluation
 * weights (in its kernels' layouts, batch norms folded in) from one
 * evaluation forward to the next until this is called; the optimiser,
 * bd_graph_init_params, checkpoint loads and every training forward call
 * it. Whoever writes g->params or g->buffers by hand and then evaluates
 * without a training forward in between must call it. */
void bd_graph_params_changed(BdGraph *g);

/* Zeros every activation gradient and every parameter gradient. */
void bd_graph_zero_grads(BdGraph *g);
/* Propagates the gradients set on any node (the output's, plus whatever a
 * regularizer added on tagged nodes) back to the input, accumulating the
 * parameter gradients into g->grads. The reference engine also goes back
 * through an evaluation forward (BN with its running statistics); the
 * oneDNN engine's evaluation is inference only and needs a training
 * forward before a backward. */
void bd_graph_backward(BdGraph *g);

/* Manifold mixup for the next forward: node (a BD_OP_MIX) and every MIX node
 * of its group (bd_mix_with) mix lambda * h + (1 - lambda) * h[perm];
 * node = -1 turns mixing off.
 * perm (a permutation of 0..n-1 for the n of the next forward) is read by
 * that forward, so it must stay valid until then. Mixing happens in BD_TRAIN
 * forwards only; the setting stays until changed. */
void bd_graph_set_mix(BdGraph *g, int node, float lambda, const int *perm);

/* Whether backward computes d(loss)/d(input) too (off by default: no model
 * needs it, and skipping it saves the first layer's dX). */
void bd_graph_set_input_grad(BdGraph *g, int on);

/* Threads of OpenBLAS and of oneDNN's OpenMP team; workers run
 * single-threaded (1). Call before building graphs: oneDNN primitives plan
 * their work for the threads there are when they are made. */
void bd_set_threads(int n);
/* For main(), first thing: OpenBLAS starts a thread per core when it loads
 * and OpenMP sizes its team from the environment, both before main. Unless
 * the environment already says, restart the process with one thread each
 * (OPENBLAS_NUM_THREADS=1, OMP_NUM_THREADS=1); bd_set_threads raises them. */
void bd_threads_at_start(char **argv);

/* Per sample: training FLOPs (forward + backward) or forward only. */
double bd_graph_flops(const BdGraph *g, int training);
size_t bd_graph_param_count(const BdGraph *g);
int bd_graph_find_param(const BdGraph *g, const char *name); /* index in param_info or -1 */
int bd_graph_find_buffer(const BdGraph *g, const char *name);
/* Bytes held by the arena, parameters and workspace. */
size_t bd_graph_bytes(const BdGraph *g);
/* ... by the arena alone (what BdGraphMemory.arena estimates). */
size_t bd_graph_arena_bytes(const BdGraph *g);

/* ---- loss ------------------------------------------------------------------- */

/* Softmax cross-entropy, mean over the batch.
 *   logits [K, n]; labels[n] (hard) or soft[K, n] (probabilities; labels NULL)
 *   dlogits [K, n] receives scale * d(mean loss)/d(logits) (added, not
 *   overwritten, so it can be the output node's gradient); may be NULL.
 * Returns the mean loss. correct (may be NULL) receives the count of samples
 * whose argmax equals the label (hard labels) or the soft target's argmax. */
float bd_softmax_xent(const float *logits, int K, int n, const int *labels, const float *soft, float *dlogits,
                      float scale, int *correct);

/* Argmax per sample of logits [K, n]. */
void bd_argmax(const float *logits, int K, int n, int *out);

#endif
