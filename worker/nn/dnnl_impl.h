/* Engine-internal: the oneDNN engine's state and the helpers its op files
 * share (dnnl_graph.c runs it; dnnl_conv.c, dnnl_norm.c, dnnl_pool.c,
 * dnnl_linear.c and dnnl_pointwise.c implement the ops).
 *
 * Layout. Every activation and its gradient is NHWC ([n, H, W, C], oneDNN's
 * "acdb" of dims {n, C, H, W}), in the graph's activation type (f32, or bf16
 * for BD_BF16). NHWC is what oneDNN's brgemm convolutions of this version run
 * fastest on the shapes of these models (bench/README.md: faster than its
 * blocked nChw16c kernels on most CIFAR-sized layers, and they keep odd
 * channel counts such as NASNet's 44 unpadded); a feature vector (H = W = 1)
 * is then plainly [n, F], what inner products read; a sample is one
 * contiguous block, what mixing and dropout want. Convolution weights are
 * reordered from the fp32 PyTorch-layout parameters to the layout (and type)
 * each primitive asks for before each use, into one shared buffer, and
 * weight gradients come back the same way (added into g->grads; an fp32
 * 1x1 one from 64 input channels up is a matmul that adds into them
 * directly, dnnl_conv.c): the parameters, the optimiser and checkpoints
 * never see another layout.
 *
 * Canonical views. The input, the output and tagged nodes (the ones the
 * loss and regularizers read or write) also have an fp32 CNHW copy, nd->out
 * and nd->grad, made by a reorder when first asked for after a forward
 * (bd_graph_out) and added back into the node's gradient when its backward
 * comes (bd_graph_grad). Their memory is allocated but not touched until
 * used, so views nobody reads cost no resident memory.
 *
 * Mixing points. A manifold-mixup node is an identity but in the steps that
 * mix at it: then its output is its own buffer, otherwise its input's
 * (DnNode.data switches, and the memory objects over it follow), so a step
 * that does not mix copies nothing, and a sweep that never mixes never
 * touches the buffers (they sit with the views).
 *
 * Batch sizes. oneDNN primitives are made for one shape. A DnSet holds the
 * primitives and memory objects of one batch size, over the same buffers
 * (a smaller batch uses the first n samples of every buffer, which in NHWC
 * is a prefix); the max batch's set is made at finalize, others on first
 * use or by bd_graph_prepare_batch.
 *
 * Evaluation layout. A training forward keeps what backward reads, so its
 * outputs sit in distinct buffers: a forward walks through most of the
 * arena, out of cache (a CIFAR-sized convolution takes 1.4 ms over hot
 * buffers and 1.9 ms chained through cold ones). An evaluation needs each
 * output only until its last reader, so it runs in a layout of its own
 * over the same arena (plan.c, forward_only), where a few buffers take
 * turns, with sets of its own (DnSet.eval); DnNode.data and aux are the
 * current set's layout's. Backward after an evaluation forward is refused:
 * with the oneDNN engine an evaluation is inference only.
 *
 * Evaluation in chunks. Even so, an evaluation of a whole batch streams
 * every activation through memory: at batch 64, one of ResNet-20's first
 * stage is 4 MiB, four times a core's L2. Samples are independent in
 * evaluation (batch norm uses its running statistics), so a forward of
 * more than BdDnnl.eval_chunk samples runs chunk by chunk, each over the
 * first samples of the same buffers, where a layer's input and output stay
 * in L2 (eval_chunk says how it is chosen). The chunks' sets (DnSet.total)
 * read their samples of the caller's x and write them into the canonical
 * views through strided descriptors. A view is written as each chunk ends
 * (the buffers are the next chunk's), not on first request, so only the
 * output's is (every view's with all_views): an evaluation's caller reads
 * the logits, and copying every tagged layer chunk by chunk is work that
 * nobody reads. Another view is refused after such a forward.
 *
 * Scratch. Every primitive runs with a user scratchpad, one buffer shared by
 * all (DN_SCRATCH); weights in a primitive's layout (DN_WEIGHTS), an input
 * gradient on its way to be added to another (DN_TMP), parameter gradients
 * on their way into g->grads (DN_PTMP) and weights with a batch norm folded
 * in (DN_FOLD) share one buffer each: ops run one at a time. Memory objects over them are bound after a set is made,
 * when the buffers have their final size (dn_bind). */
#ifndef BD_NN_DNNL_IMPL_H
#define BD_NN_DNNL_IMPL_H

#include <oneapi/dnnl/dnnl.h>

#include "dnnl_engine.h"
#include "ops.h"

#define DN_MAX_ARGS 12
#define DN_BN_EPS 1e-5f /* torch.nn.BatchNorm2d's */

/* A primitive and its arguments: one thing a step executes (prim NULL: nothing). */
typedef struct DnExec {
    dnnl_primitive_t prim;
    int nargs;
    dnnl_exec_arg_t args[DN_MAX_ARGS];
} DnExec;

/* What one node executes at one batch size. Each op uses what it needs. */
typedef struct DnOp {
    DnExec fwd, fwd_eval;          /* forward in training, and in evaluation where that differs */
    DnExec bwd, bwd_acc, bwd_eval; /* the input gradient: written, added to (reorders), with fixed statistics (BN) */
    DnExec bwd_w;                  /* parameter gradients */
    DnExec wfwd, wbwd, dw;         /* params -> forward / backward-data weight layouts; weight gradient += into g->grads */
    DnExec pre;                    /* before the backward: the fused ReLU's backward, in place */
    DnExec weval;                  /* evaluation: the weights (params, or DN_FOLD's folded ones) -> DnNode.ewts */
    int fold;                      /* fwd_eval computes the BN [and add] after the convolution too */
    DnExec *part;                  /* concat: [3 * n_in]: forward, backward, backward adding, per input */
    DnExec view_out, view_in, view_in_acc, view_back; /* canonical views: out, grad -> diff (written, added), diff -> grad */
    dnnl_memory_t view_dst;        /* view_out's destination (a chunk moves it to its samples) */
    dnnl_memory_t dx;              /* where bwd/bwd_eval write the input gradient (retargeted to DN_TMP to add) */
    dnnl_memory_t user;            /* the input node: the caller's x */
} DnOp;

enum { DN_SCRATCH, DN_WEIGHTS, DN_TMP, DN_PTMP, DN_FOLD, DN_N_BUFS };

typedef struct DnBuf {
    char *p;
    size_t bytes, need;
} DnBuf;

/* A memory object over a buffer that grows while sets are made (dn_bind). */
typedef struct DnShared {
    dnnl_memory_t mem;
    DnBuf *buf;
    size_t off;
} DnShared;

/* A memory object over mixing node `node`'s output, and where it points now. */
typedef struct DnAlias {
    dnnl_memory_t mem;
    int node;
    char *at;
} DnAlias;

/* Everything of one batch size; freed as a whole. */
typedef struct DnSet {
    int n;
    int total; /* the samples of g->x and the views these n are a part of: n, or more for a chunk */
    int eval;  /* an evaluation set: over the evaluation layout */
    DnOp *ops; /* [n_nodes] */
    dnnl_primitive_t *prims;
    int n_prims, cap_prims;
    dnnl_memory_t *mems;
    int n_mems, cap_mems;
    DnShared *shared;
    int n_shared, cap_shared;
    struct DnAlias *aliases; /* memory objects over a mixing node's output */
    int n_aliases, cap_aliases;
    void **blocks; /* other allocations (concat parts) */
    int n_blocks, cap_blocks;
    struct DnSet *next;
} DnSet;

/* A node's buffers. data/diff are NHWC of the activation type; aux is the
 * op's scratch that lives from forward to backward. data and aux are where
 * the current set's layout has them: at[0], aux_at[0] training, at[1],
 * aux_at[1] evaluation. */
typedef struct DnNode {
    char *data, *diff, *aux;
    char *at[2], *aux_at[2];
    int view;            /* has canonical views (nd->out, nd->grad) */
    int view_fresh;      /* nd->out holds this forward's output */
    int view_grad_live;  /* nd->grad holds a contribution not yet added into diff */
    int consumer;        /* the node that reads this one, when exactly one does (else -1) */
    char *own;           /* a mixing node's own output buffer: data is it when the node mixes, else its input's */
    int folded;          /* BN or add computed by a convolution in evaluation (dnnl_conv.c) */
    /* Convolutions and linear layers: the evaluation forward's weights (and
     * a folding convolution's bias), kept
     * from one evaluation to the next (made in layout ewts_md at parameter
     * version ewts_version, when ewts_made: the chunks of an evaluation and
     * its last, smaller one share them when their primitives agree). */
    DnBuf ewts;
    dnnl_memory_desc_t ewts_md;
    int ewts_made;
    uint64_t ewts_version;
} DnNode;

struct BdDnnl {
    dnnl_engine_t eng;
    dnnl_stream_t stream;
    dnnl_data_type_t dt; /* activations and their gradients */
    size_t dt_size;
    DnNode *nodes;
    DnSet *sets, *cur;
    int eval_chunk; /* an evaluation forward runs in chunks of at most this many samples */
    int chunked;    /* the last forward did (only the output's view was kept, or all with all_views) */
    int at;         /* the first sample (of g->x, of the views) the running forward computes */
    char *arena, *views;
    size_t arena_bytes, views_bytes;
    DnBuf bufs[DN_N_BUFS];
};

/* What each op implements (dnnl_graph.c holds the table). aux_bytes and
 * make may be NULL; make creates the primitives and memory objects of the
 * set's batch size. */
typedef struct DnImpl {
    size_t (*aux_bytes)(BdGraph *g, int i);
    int (*make)(BdGraph *g, int i, DnSet *s, BdError *err);
    void (*forward)(BdGraph *g, int i);
    void (*backward)(BdGraph *g, int i);
} DnImpl;

extern const DnImpl dn_conv_impl, dn_bn_impl, dn_pool_impl, dn_gap_impl, dn_linear_impl, dn_flatten_impl,
    dn_input_impl, dn_relu_impl, dn_add_impl, dn_concat_impl, dn_dropout_impl, dn_shift_impl, dn_mix_impl,
    dn_identity_impl;

/* ---- dnnl_util.c ------------------------------------------------------------ */

/* A failed oneDNN call while making primitives: err names the node and the call. */
int dn_fail(BdGraph *g, int i, BdError *err, const char *call, dnnl_status_t st);
#define DN_TRY(call)                                                   \
    do {                                                               \
        dnnl_status_t st_ = (call);                                    \
        if (st_ != dnnl_success) return dn_fail(g, i, err, #call, st_); \
    } while (0)

static inline DnNode *dn_node(BdGraph *g, int i) { return &g->dnnl->nodes[i]; }
static inline DnOp *dn_op(BdGraph *g, int i) { return &g->dnnl->cur->ops[i]; }
/* Activation (or gradient) memory descriptors of node i for batch n: NHWC
 * of the activation type; CNHW fp32 (the canonical view: n samples of a
 * tensor of total, which a chunk of an evaluation is); [n, F] of a
 * feature vector. */
dnnl_memory_desc_t dn_md_act(const BdGraph *g, int i, int n);
dnnl_memory_desc_t dn_md_canon(const BdGraph *g, int i, int n, int total);
dnnl_memory_desc_t dn_md_2d(int n, int f, dnnl_data_type_t dt);
/* An fp32 [rows, cols] matrix with row stride ld and column stride cs. */
dnnl_memory_desc_t dn_md_mat(dnnl_dim_t rows, dnnl_dim_t cols, dnnl_dim_t ld, dnnl_dim_t cs);
dnnl_memory_desc_t dn_md_x(int len); /* an fp32 vector (bias, BN scale, statistics) */
size_t dn_act_bytes(const BdGraph *g, int i, int n);
/* An attribute with the user scratchpad, optionally a ReLU post-op or (for
 * reorders and matmuls that add into what is there) a sum post-op; the
 * caller destroys it. */
dnnl_primitive_attr_t dn_attr(int relu, int sum);
/* Objects owned by the set (freed with it). dn_mem over ptr (NULL: bound
 * later); dn_shared over a shared buffer; dn_prim makes the primitive of
 * pd (pd is kept alive by the primitive), and records its scratchpad size. */
dnnl_memory_t dn_mem(DnSet *s, BdGraph *g, const dnnl_memory_desc_t *md, void *ptr);
dnnl_memory_t dn_shared(DnSet *s, BdGraph *g, const dnnl_memory_desc_t *md, int buf, size_t off);
/* ... over node i's evaluation weights (DnNode.ewts), off bytes in. */
dnnl_memory_t dn_eval_weights(DnSet *s, BdGraph *g, int i, const dnnl_memory_desc_t *md, size_t off);
/* A shared buffer must hold at least `bytes` (an op's own scratch). */
void dn_need(BdGraph *g, int buf, size_t bytes);
dnnl_status_t dn_prim(DnSet *s, BdGraph *g, const_dnnl_primitive_desc_t pd, DnExec *e);
void *dn_block(DnSet *s, size_t bytes); /* zeroed */
/* Mixing node i's output is its own buffer (own) or its input's; the
 * current set's memory objects over it follow. */
void dn_mix_alias(BdGraph *g, int i, int own);
/* e's arguments. Primitives made by dn_prim already have their scratchpad. */
void dn_arg(DnExec *e, int arg, dnnl_memory_t m);
/* A reorder src -> dst (dst = src + dst with sum), made into e. */
dnnl_status_t dn_reorder(DnSet *s, BdGraph *g, dnnl_memory_t src, dnnl_memory_t dst, int sum, DnExec *e);
/* Runs e (nothing when it has no primitive); a failure aborts. */
void dn_run(BdGraph *g, const DnExec *e);
/* The memory descriptor a primitive descriptor reports for what. */
const dnnl_memory_desc_t *dn_pd_md(const_dnnl_primitive_desc_t pd, dnnl_query_t what);
/* Weights: a user memory over the fp32 parameters (PyTorch layout) and,
 * when the primitive wants another layout, a reorder into DN_WEIGHTS; *used
 * is the memory the primitive reads. */
dnnl_status_t dn_weights_in(DnSet *s, BdGraph *g, const dnnl_memory_desc_t *user_md, float *params,
                            const dnnl_memory_desc_t *prim_md, DnExec *reorder, dnnl_memory_t *used);
/* Weight gradients: the primitive writes them in its layout into
 * DN_WEIGHTS (*prim_mem), a reorder adds them into the fp32 gradients. */
dnnl_status_t dn_weights_out(DnSet *s, BdGraph *g, const dnnl_memory_desc_t *user_md, float *grads,
                             const dnnl_memory_desc_t *prim_md, DnExec *reorder, dnnl_memory_t *prim_mem);

/* ---- dnnl_conv.c: convolutions and linear layers run alike ---------------------- */

/* The BN, add and the add's other input that convolution c computes in
 * evaluation, each -1 when none (*bn -1: c folds nothing). */
void dn_fold_chain(const BdGraph *g, int c, int *bn, int *add, int *other);
/* wfwd, fwd (evaluation: weval when needed, fwd_eval) / pre, bwd_w, dw,
 * the bias gradient from DN_PTMP, wbwd, bwd */
void dn_weighted_forward(BdGraph *g, int i);
void dn_weighted_backward(BdGraph *g, int i);
/* fwd_eval and weval of a layer that folds nothing: its forward primitive
 * again, over the node's evaluation weights (made from the user memory of
 * the parameters). After fwd's arguments are set. */
dnnl_status_t dn_eval_plain(DnSet *s, BdGraph *g, int i, const dnnl_memory_desc_t *user_md, float *params);

/* What the weights of convolutions and linear layers take beyond the
 * parameters, from shapes alone (bd_dnnl_memory): DN_WEIGHTS, DN_FOLD and
 * the evaluation weights, estimated (dnnl_conv.c says what is left out). */
size_t dn_weights_estimate(const BdGraph *g);

/* ---- dnnl_graph.c: gradients -------------------------------------------------- */

/* Input i's gradient buffer (NULL when it needs none); *acc as bd_grad_into. */
char *dn_grad_into(BdGraph *g, int node, int i, int *acc);
/* Runs e, which writes input 0's gradient through `dx` (DnOp.dx): into the
 * input's buffer when it holds nothing yet, else into DN_TMP and added;
 * into DN_TMP only when the input needs no gradient (e computes parameter
 * gradients too: batch norm). */
void dn_run_grad(BdGraph *g, int node, const DnExec *e);
/* dst (+)= src over len values of the activation type. */
void dn_put(const BdGraph *g, void *dst, const void *src, size_t len, int acc);

#endif
