/* The graph: building (shapes checked as nodes are added), the allocation
 * plan (finalize), and running forward/backward through the op table. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dnnl_engine.h"
#include "ops.h"

/* Columns of one im2col chunk, in floats: about 2 MB, which keeps the
 * columns in cache between im2col and the GEMM that reads them. Measured on
 * ResNet-20 shapes, whole-batch columns (tens of MB) run the same GEMM 30%
 * slower; see bench/README.md. */
#define BD_CONV_CHUNK_FLOATS ((size_t)1 << 19)

/* OpenBLAS (0.3.21, SkylakeX/Cooperlake kernels) multiplies matrices with
 * M*N*K <= 1e6 by unpacked small-matrix kernels, about twice as fast as its
 * packed path on the shapes of CIFAR-sized convolutions: that limit decides
 * the tiles of small convolutions (op_conv.c). */
#define BD_GEMM_SMALL 1000000

const BdOpImpl bd_op_impls[] = {
    [BD_OP_INPUT] = {"input", bd_input_forward, NULL},
    [BD_OP_CONV] = {"conv", bd_conv_forward, bd_conv_backward},
    [BD_OP_BN] = {"batchnorm", bd_bn_forward, bd_bn_backward},
    [BD_OP_RELU] = {"relu", bd_relu_forward, bd_relu_backward},
    [BD_OP_MAXPOOL] = {"maxpool", bd_maxpool_forward, bd_maxpool_backward},
    [BD_OP_AVGPOOL] = {"avgpool", bd_avgpool_forward, bd_avgpool_backward},
    [BD_OP_GAP] = {"gap", bd_gap_forward, bd_gap_backward},
    [BD_OP_FLATTEN] = {"flatten", bd_flatten_forward, bd_flatten_backward},
    [BD_OP_LINEAR] = {"linear", bd_linear_forward, bd_linear_backward},
    [BD_OP_ADD] = {"add", bd_add_forward, bd_add_backward},
    [BD_OP_CONCAT] = {"concat", bd_concat_forward, bd_concat_backward},
    [BD_OP_DROPOUT] = {"dropout", bd_dropout_forward, bd_dropout_backward},
    [BD_OP_SHIFT] = {"shift", bd_shift_forward, bd_shift_backward},
    [BD_OP_MIX] = {"mix", bd_mix_forward, bd_mix_backward},
    [BD_OP_IDENTITY] = {"identity", bd_identity_forward, bd_identity_backward},
};

/* ---- building ------------------------------------------------------------ */

/* A model builder that wires shapes wrongly has a bug no caller can handle:
 * say which node and why, and stop. */
static void build_abort(const BdGraph *g, const char *what, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5), noreturn));
static void build_abort(const BdGraph *g, const char *what, const char *name, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "bdsweep: building the graph (node %d, %s '%s'): %s\n", g->n_nodes, what, name ? name : "",
            msg);
    abort();
}

const char *bd_name(char *buf, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(buf, BD_NAME_MAX, fmt, ap);
    va_end(ap);
    if (w < 0 || w >= BD_NAME_MAX) {
        fprintf(stderr, "bdsweep: internal error: the layer name '%s...' is longer than %d characters\n", buf,
                BD_NAME_MAX - 1);
        abort();
    }
    return buf;
}

BdGraph *bd_graph_new(BdShape input, int max_batch) {
    BdGraph *g = bd_xcalloc(1, sizeof *g);
    g->input = input;
    g->max_batch = max_batch;
    g->output = -1;
    g->mix_node = -1;
    g->conv_chunk = BD_CONV_CHUNK_FLOATS;
    g->gemm_small = BD_GEMM_SMALL;
    g->conv_shift = 1;
    g->fuse = 1;
    g->reuse_grads = 1;
    g->engine = bd_engine_available(BD_ENGINE_DNNL) ? BD_ENGINE_DNNL : BD_ENGINE_REF;
    g->precision = BD_FP32;
    if (input.c <= 0 || input.h <= 0 || input.w <= 0 || max_batch <= 0)
        build_abort(g, "graph", "", "input %dx%dx%d and max batch %d must be positive", input.c, input.h, input.w,
                    max_batch);
    return g;
}

void bd_graph_free(BdGraph *g) {
    if (!g) return;
    if (g->dnnl) bd_dnnl_free(g);
    free(g->nodes);
    free(g->param_info);
    free(g->buffer_info);
    free(g->params);
    free(g->grads);
    free(g->buffers);
    free(g->mix_perm);
    free(g->arena);
    free(g->work);
    free(g);
}

static BdNode *node_at(BdGraph *g, int x, const char *what) {
    if (x < 0 || x >= g->n_nodes) build_abort(g, what, "", "input node %d does not exist", x);
    return &g->nodes[x];
}

static int add_node(BdGraph *g, BdOpType op, const char *name, const int *in, int n_in, BdShape shape) {
    if (g->planned) build_abort(g, bd_op_impls[op].name, name, "the graph is already planned or finalized");
    if (g->n_nodes == g->cap_nodes) {
        g->cap_nodes = g->cap_nodes ? 2 * g->cap_nodes : 64;
        g->nodes = bd_xrealloc(g->nodes, (size_t)g->cap_nodes * sizeof *g->nodes);
    }
    BdNode *nd = &g->nodes[g->n_nodes];
    memset(nd, 0, sizeof *nd);
    nd->op = op;
    if (name && strlen(name) >= BD_NAME_MAX)
        build_abort(g, bd_op_impls[op].name, name, "name longer than %d characters", BD_NAME_MAX - 1);
    snprintf(nd->name, sizeof nd->name, "%s", name ? name : "");
    for (int i = 0; i < n_in; i++) nd->in[i] = in[i];
    nd->n_in = n_in;
    nd->shape = shape;
    nd->w_param = nd->b_param = nd->rm_buf = nd->rv_buf = -1;
    nd->stride = 1;
    nd->groups = 1;
    return g->n_nodes++;
}

static int add_tensor(BdGraph *g, int buffer, int node, const char *base, const char *suffix, const int *dims,
                      int ndim, int decay) {
    BdParam **info = buffer ? &g->buffer_info : &g->param_info;
    int *count = buffer ? &g->n_buffer_info : &g->n_param_info;
    size_t *total = buffer ? &g->n_buffers : &g->n_params;
    char full[BD_NAME_MAX + 32];
    snprintf(full, sizeof full, "%s.%s", base, suffix);
    if (strlen(full) >= BD_NAME_MAX) build_abort(g, "tensor", full, "name too long");
    if ((buffer ? bd_graph_find_buffer(g, full) : bd_graph_find_param(g, full)) >= 0)
        build_abort(g, "tensor", full, "a tensor of that name already exists (layer names must be unique)");
    *info = bd_xrealloc(*info, (size_t)(*count + 1) * sizeof **info);
    BdParam *p = &(*info)[*count];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", full);
    p->len = 1;
    for (int i = 0; i < ndim; i++) {
        p->dims[i] = dims[i];
        p->len *= (size_t)dims[i];
    }
    p->ndim = ndim;
    p->decay = decay;
    p->node = node;
    p->off = *total;
    *total += p->len;
    return (*count)++;
}

int bd_input(BdGraph *g) {
    for (int i = 0; i < g->n_nodes; i++)
        if (g->nodes[i].op == BD_OP_INPUT) build_abort(g, "input", "", "the graph already has an input");
    return add_node(g, BD_OP_INPUT, "input", NULL, 0, g->input);
}

static int out_size(const BdGraph *g, const char *what, const char *name, int size, int k, int stride, int pad) {
    if (k <= 0 || stride <= 0 || pad < 0)
        build_abort(g, what, name, "kernel %d, stride %d, padding %d: kernel and stride must be positive", k, stride,
                    pad);
    if (size + 2 * pad < k)
        build_abort(g, what, name, "kernel %d is larger than the padded input (%d + 2*%d)", k, size, pad);
    return (size + 2 * pad - k) / stride + 1;
}

int bd_conv(BdGraph *g, int x, int out_c, int k, int stride, int pad, int groups, int bias, const char *name) {
    BdShape in = node_at(g, x, "conv")->shape;
    if (!name || !*name) build_abort(g, "conv", "", "a convolution needs a name (its parameters are named after it)");
    if (pad >= k) build_abort(g, "conv", name, "padding %d must be smaller than the kernel %d", pad, k);
    if (groups <= 0 || out_c <= 0 || in.c % groups || out_c % groups)
        build_abort(g, "conv", name, "%d input and %d output channels do not split into %d groups", in.c, out_c,
                    groups);
    BdShape s = {out_c, out_size(g, "conv", name, in.h, k, stride, pad), out_size(g, "conv", name, in.w, k, stride, pad)};
    int id = add_node(g, BD_OP_CONV, name, &x, 1, s);
    BdNode *nd = &g->nodes[id];
    nd->k = k;
    nd->stride = stride;
    nd->pad = pad;
    nd->groups = groups;
    nd->bias = bias != 0;
    int wd[4] = {out_c, in.c / groups, k, k};
    nd->w_param = add_tensor(g, 0, id, name, "weight", wd, 4, 1);
    if (bias) nd->b_param = add_tensor(g, 0, id, name, "bias", &out_c, 1, 1);
    return id;
}

int bd_bn(BdGraph *g, int x, const char *name) {
    BdShape in = node_at(g, x, "batchnorm")->shape;
    if (!name || !*name) build_abort(g, "batchnorm", "", "batch norm needs a name");
    int id = add_node(g, BD_OP_BN, name, &x, 1, in);
    BdNode *nd = &g->nodes[id];
    nd->w_param = add_tensor(g, 0, id, name, "weight", &in.c, 1, 1);
    nd->b_param = add_tensor(g, 0, id, name, "bias", &in.c, 1, 1);
    nd->rm_buf = add_tensor(g, 1, id, name, "running_mean", &in.c, 1, 0);
    nd->rv_buf = add_tensor(g, 1, id, name, "running_var", &in.c, 1, 0);
    return id;
}

static int unary(BdGraph *g, BdOpType op, int x, const char *name) {
    BdShape s = node_at(g, x, bd_op_impls[op].name)->shape;
    return add_node(g, op, name, &x, 1, s);
}

int bd_relu(BdGraph *g, int x) { return unary(g, BD_OP_RELU, x, NULL); }
int bd_identity(BdGraph *g, int x) { return unary(g, BD_OP_IDENTITY, x, NULL); }
int bd_shift(BdGraph *g, int x) { return unary(g, BD_OP_SHIFT, x, NULL); }
int bd_mix(BdGraph *g, int x, const char *name) {
    int id = unary(g, BD_OP_MIX, x, name);
    g->nodes[id].mix_head = id;
    return id;
}

int bd_mix_with(BdGraph *g, int x, int head, const char *name) {
    if (node_at(g, head, "mix")->op != BD_OP_MIX)
        build_abort(g, "mix", name, "the head node %d is not a mix node", head);
    int group = g->nodes[head].mix_head; /* groups stay flat: a follower's follower joins the same head */
    int id = unary(g, BD_OP_MIX, x, name);
    g->nodes[id].mix_head = group;
    return id;
}

int bd_dropout(BdGraph *g, int x, float p) {
    if (!(p >= 0.0f && p < 1.0f)) build_abort(g, "dropout", "", "probability %g is not in [0, 1)", (double)p);
    int id = unary(g, BD_OP_DROPOUT, x, NULL);
    g->nodes[id].p = p;
    return id;
}

static int pool(BdGraph *g, BdOpType op, int x, int k, int stride, int pad, int count_include_pad) {
    const char *what = bd_op_impls[op].name;
    BdShape in = node_at(g, x, what)->shape;
    if (2 * pad > k) build_abort(g, what, "", "padding %d is more than half the kernel %d", pad, k);
    BdShape s = {in.c, out_size(g, what, "", in.h, k, stride, pad), out_size(g, what, "", in.w, k, stride, pad)};
    int id = add_node(g, op, NULL, &x, 1, s);
    BdNode *nd = &g->nodes[id];
    nd->k = k;
    nd->stride = stride;
    nd->pad = pad;
    nd->count_include_pad = count_include_pad != 0;
    return id;
}

int bd_maxpool(BdGraph *g, int x, int k, int stride, int pad) { return pool(g, BD_OP_MAXPOOL, x, k, stride, pad, 0); }
int bd_avgpool(BdGraph *g, int x, int k, int stride, int pad, int count_include_pad) {
    return pool(g, BD_OP_AVGPOOL, x, k, stride, pad, count_include_pad);
}

int bd_gap(BdGraph *g, int x) {
    BdShape in = node_at(g, x, "gap")->shape;
    return add_node(g, BD_OP_GAP, NULL, &x, 1, (BdShape){in.c, 1, 1});
}

int bd_flatten(BdGraph *g, int x) {
    BdShape in = node_at(g, x, "flatten")->shape;
    return add_node(g, BD_OP_FLATTEN, NULL, &x, 1, (BdShape){in.c * in.h * in.w, 1, 1});
}

int bd_linear(BdGraph *g, int x, int out, const char *name) {
    BdShape in = node_at(g, x, "linear")->shape;
    if (!name || !*name) build_abort(g, "linear", "", "a linear layer needs a name");
    if (in.h != 1 || in.w != 1)
        build_abort(g, "linear", name, "input is %dx%dx%d; flatten or pool it to a feature vector first", in.c, in.h,
                    in.w);
    if (out <= 0) build_abort(g, "linear", name, "%d outputs", out);
    int id = add_node(g, BD_OP_LINEAR, name, &x, 1, (BdShape){out, 1, 1});
    BdNode *nd = &g->nodes[id];
    int wd[2] = {out, in.c};
    nd->w_param = add_tensor(g, 0, id, name, "weight", wd, 2, 1);
    nd->b_param = add_tensor(g, 0, id, name, "bias", &out, 1, 1);
    nd->bias = 1;
    return id;
}

int bd_add(BdGraph *g, int a, int b) {
    BdShape sa = node_at(g, a, "add")->shape, sb = node_at(g, b, "add")->shape;
    if (sa.c != sb.c || sa.h != sb.h || sa.w != sb.w)
        build_abort(g, "add", "", "shapes %dx%dx%d and %dx%dx%d differ", sa.c, sa.h, sa.w, sb.c, sb.h, sb.w);
    int in[2] = {a, b};
    return add_node(g, BD_OP_ADD, NULL, in, 2, sa);
}

int bd_concat(BdGraph *g, const int *xs, int n) {
    if (n < 1 || n > BD_MAX_INPUTS) build_abort(g, "concat", "", "%d inputs (1..%d allowed)", n, BD_MAX_INPUTS);
    BdShape s = node_at(g, xs[0], "concat")->shape;
    for (int i = 1; i < n; i++) {
        BdShape si = node_at(g, xs[i], "concat")->shape;
        if (si.h != s.h || si.w != s.w)
            build_abort(g, "concat", "", "input %d is %dx%d, input 0 is %dx%d", i, si.h, si.w, s.h, s.w);
        s.c += si.c;
    }
    return add_node(g, BD_OP_CONCAT, NULL, xs, n, s);
}

void bd_graph_tag(BdGraph *g, int node, const char *tag) {
    BdNode *nd = node_at(g, node, "tag");
    int other = bd_graph_find_tag(g, tag);
    if (other >= 0 && other != node) build_abort(g, "tag", tag, "tag already on node %d", other);
    if (nd->tag[0] && strcmp(nd->tag, tag)) build_abort(g, "tag", tag, "node %d is already tagged '%s'", node, nd->tag);
    if (strlen(tag) >= BD_NAME_MAX) build_abort(g, "tag", tag, "tag too long");
    snprintf(nd->tag, sizeof nd->tag, "%s", tag);
}

int bd_graph_find_tag(const BdGraph *g, const char *tag) {
    for (int i = 0; i < g->n_nodes; i++)
        if (g->nodes[i].tag[0] && !strcmp(g->nodes[i].tag, tag)) return i;
    return -1;
}

void bd_graph_set_output(BdGraph *g, int node) {
    node_at(g, node, "output");
    g->output = node;
}

int bd_graph_find_param(const BdGraph *g, const char *name) {
    for (int i = 0; i < g->n_param_info; i++)
        if (!strcmp(g->param_info[i].name, name)) return i;
    return -1;
}

int bd_graph_find_buffer(const BdGraph *g, const char *name) {
    for (int i = 0; i < g->n_buffer_info; i++)
        if (!strcmp(g->buffer_info[i].name, name)) return i;
    return -1;
}

static void run_abort(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void run_abort(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "bdsweep: engine: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    abort();
}

/* ---- the allocation plan (plan.c) --------------------------------------------- */

/* Whether the graph's engine and precision can run in this build. */
static int check_engine(const BdGraph *g, BdError *err) {
    if (g->engine == BD_ENGINE_DNNL && !bd_engine_available(BD_ENGINE_DNNL))
        return bd_fail(err, "this bdsweep was built without oneDNN (-Ddnnl=disabled): only the OpenBLAS engine runs");
    if (g->precision != BD_FP32 && g->engine != BD_ENGINE_DNNL)
        return bd_fail(err, "precision %s needs the oneDNN engine; the OpenBLAS engine computes in fp32 only%s",
                       bd_precision_name(g->precision),
                       bd_engine_available(BD_ENGINE_DNNL) ? "" : " (this bdsweep was built with -Ddnnl=disabled)");
    return 0;
}

int bd_graph_plan(BdGraph *g, BdError *err) {
    if (g->planned) return 0;
    if (g->n_nodes == 0 || g->nodes[0].op != BD_OP_INPUT)
        return bd_fail(err, "the graph has no input node (bd_input must come first)");
    if (g->output < 0) return bd_fail(err, "the graph has no output (bd_graph_set_output was not called)");
    if (check_engine(g, err) < 0) return -1;
    if (g->fuse) bd_plan_fusions(g);
    bd_plan_gradients(g);
    g->planned = 1;
    return 0;
}

int bd_graph_finalize(BdGraph *g, BdError *err) {
    if (g->finalized) return bd_fail(err, "the graph is already finalized");
    /* (the precision may have changed since a plan) */
    if (bd_graph_plan(g, err) < 0 || check_engine(g, err) < 0) return -1;
    bd_plan_params(g);
    g->mix_perm = bd_xcalloc(2 * (size_t)g->max_batch, sizeof *g->mix_perm);
    if (g->engine == BD_ENGINE_DNNL) {
        if (bd_dnnl_finalize(g, err) < 0) return -1;
    } else {
        bd_plan_memory(g);
    }
    g->finalized = 1;
    return 0;
}

int bd_graph_memory(BdGraph *g, BdGraphMemory *out, BdError *err) {
    memset(out, 0, sizeof *out);
    if (!g->planned || g->finalized)
        return bd_fail(err, "the memory of a graph is estimated between bd_graph_plan and finalize");
    if (check_engine(g, err) < 0) return -1;
    out->params = (2 * g->n_params + g->n_buffers) * sizeof(float);
    out->optimizer = g->n_params * sizeof(float);
    if (g->engine == BD_ENGINE_DNNL) {
        if (bd_dnnl_memory(g, out, err) < 0) return -1;
    } else {
        bd_plan_memory_size(g, out);
    }
    out->other += 2 * (size_t)g->max_batch * sizeof *g->mix_perm;
    out->total = out->params + out->optimizer + out->arena + out->other;
    return 0;
}

int bd_graph_set_precision(BdGraph *g, BdPrecision p, BdError *err) {
    if (!g->finalized || p == g->precision) {
        g->precision = p;
        return 0;
    }
    if (g->engine != BD_ENGINE_DNNL)
        return bd_fail(err, "precision %s needs the oneDNN engine; this graph runs on the OpenBLAS engine",
                       bd_precision_name(p));
    const BdPrecision old = g->precision;
    g->precision = p;
    bd_dnnl_free(g);
    if (bd_dnnl_finalize(g, err) == 0) return 0;
    g->precision = old; /* the graph as it was, if it can be had again */
    BdError again;
    if (bd_dnnl_finalize(g, &again) < 0) run_abort("restoring the graph after a failed precision change: %s", again.msg);
    return -1;
}

int bd_graph_prepare_batch(BdGraph *g, int n, BdError *err) {
    if (n <= 0 || n > g->max_batch) return bd_fail(err, "batch %d: the graph holds 1..%d samples", n, g->max_batch);
    return g->dnnl ? bd_dnnl_prepare(g, n, err) : 0;
}

int bd_graph_set_eval_chunk(BdGraph *g, int n) { return g->dnnl ? bd_dnnl_set_eval_chunk(g, n) : g->max_batch; }

double bd_profile_clock(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

const char *bd_precision_name(BdPrecision p) { return p == BD_BF16 ? "bf16" : "fp32"; }

const char *bd_engine_name(BdEngine e) { return e == BD_ENGINE_DNNL ? "onednn" : "openblas"; }

void bd_graph_set_input_grad(BdGraph *g, int on) {
    g->input_grad = on != 0;
    bd_plan_gradients(g);
}

/* ---- running ------------------------------------------------------------------ */

void bd_graph_forward(BdGraph *g, const float *x, int n, BdMode mode, uint64_t step_seed) {
    if (!g->finalized) run_abort("forward on a graph that is not finalized");
    if (n <= 0 || n > g->max_batch) run_abort("forward with %d samples, the graph holds 1..%d", n, g->max_batch);
    g->n = n;
    g->mode = mode;
    g->step_seed = step_seed;
    if (mode == BD_TRAIN && g->mix_node >= 0) {
        /* Copy (and check) the permutation: a wrong one would silently mix
         * garbage. mix_perm has 2*max_batch entries; the second half marks
         * the samples seen. */
        int *seen = g->mix_perm + g->max_batch;
        memset(seen, 0, (size_t)n * sizeof *seen);
        for (int i = 0; i < n; i++) {
            int p = g->mix_perm_src ? g->mix_perm_src[i] : i;
            if (p < 0 || p >= n || seen[p]++) run_abort("the mixup permutation is not a permutation of 0..%d", n - 1);
            g->mix_perm[i] = p;
        }
    }
    g->x = x;
    if (mode == BD_TRAIN) bd_graph_params_changed(g); /* the running statistics move; params may have been set */
    if (g->dnnl) {
        bd_dnnl_forward(g);
    } else {
        for (int i = 0; i < g->n_nodes; i++) {
            BdNode *nd = &g->nodes[i];
            const double t0 = bd_profile_start(g);
            bd_op_impls[nd->op].forward(g, nd);
            bd_profile_stop(g, i, 0, t0);
        }
    }
    g->x = NULL;
}

void bd_graph_params_changed(BdGraph *g) { g->params_version++; }

float *bd_graph_out(BdGraph *g, int node) { return g->dnnl ? bd_dnnl_out(g, node) : g->nodes[node].out; }

float *bd_graph_grad(BdGraph *g, int node) {
    if (g->dnnl) return bd_dnnl_grad(g, node);
    BdNode *nd = &g->nodes[node];
    if (!nd->grad_live) {
        memset(nd->grad, 0, bd_numel(nd->shape, g->n ? g->n : g->max_batch) * sizeof(float));
        nd->grad_live = 1;
    }
    return nd->grad;
}

void bd_graph_zero_grads(BdGraph *g) {
    memset(g->grads, 0, g->n_params * sizeof(float));
    for (int i = 0; i < g->n_nodes; i++) g->nodes[i].grad_live = 0;
    if (g->dnnl) bd_dnnl_zero_grads(g);
}

void bd_graph_backward(BdGraph *g) {
    if (!g->finalized || g->n == 0) run_abort("backward before any forward");
    if (g->dnnl) {
        bd_dnnl_backward(g);
        return;
    }
    for (int i = g->n_nodes - 1; i > 0; i--) {
        BdNode *nd = &g->nodes[i];
        if (!nd->grad_live || !nd->needs_grad) continue; /* no gradient reached it, or none is wanted */
        const double t0 = bd_profile_start(g);
        bd_op_impls[nd->op].backward(g, nd);
        bd_profile_stop(g, i, 1, t0);
    }
}

float *bd_grad_into(BdGraph *g, const BdNode *nd, int i, int *accumulate) {
    BdNode *x = &g->nodes[nd->in[i]];
    if (!x->needs_grad) return NULL;
    *accumulate = x->grad_live;
    x->grad_live = 1;
    return x->grad;
}

float *bd_grad_accum(BdGraph *g, const BdNode *nd, int i) {
    BdNode *x = &g->nodes[nd->in[i]];
    if (!x->needs_grad) return NULL;
    if (!x->grad_live) memset(x->grad, 0, bd_numel(x->shape, g->n) * sizeof(float));
    x->grad_live = 1;
    return x->grad;
}

void bd_graph_set_mix(BdGraph *g, int node, float lambda, const int *perm) {
    if (node >= 0 && (node >= g->n_nodes || g->nodes[node].op != BD_OP_MIX))
        run_abort("bd_graph_set_mix: node %d is not a mix node", node);
    g->mix_node = node;
    g->mix_lambda = lambda;
    g->mix_perm_src = perm;
}

/* ---- queries ---------------------------------------------------------------------- */

double bd_graph_flops(const BdGraph *g, int training) {
    double f = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const BdNode *nd = &g->nodes[i];
        if (nd->op == BD_OP_MIX && !training) continue; /* mixing is a training-time op */
        f += nd->flops_fwd + (training ? nd->flops_bwd : 0.0);
    }
    return f;
}

size_t bd_graph_param_count(const BdGraph *g) { return g->n_params; }

size_t bd_graph_bytes(const BdGraph *g) {
    return (g->arena_floats + 2 * g->n_params + g->n_buffers + g->work_floats) * sizeof(float) +
           2 * (size_t)g->max_batch * sizeof(int) + (g->dnnl ? bd_dnnl_bytes(g) : 0);
}

size_t bd_graph_arena_bytes(const BdGraph *g) {
    return g->dnnl ? bd_dnnl_arena_bytes(g) : g->arena_floats * sizeof(float);
}

uint64_t bd_graph_kinks(const BdGraph *g) {
    if (g->dnnl) return bd_dnnl_kinks(g);
    uint64_t h = 1469598103934665603ull;
    for (int i = 0; i < g->n_nodes; i++) {
        const BdNode *nd = &g->nodes[i];
        const size_t len = bd_numel(nd->shape, g->n);
        if (nd->op == BD_OP_RELU)
            for (size_t j = 0; j < len; j++) h = (h ^ (uint64_t)(nd->out[j] > 0.0f)) * 1099511628211ull;
        if (nd->op == BD_OP_MAXPOOL)
            for (size_t j = 0; j < len; j++) h = (h ^ (uint64_t)(uint32_t)nd->idx[j]) * 1099511628211ull;
    }
    return h;
}
