/* Finite-difference gradient checks of every op of the engine, of the
 * gradient plumbing (a second gradient source on an intermediate node, an
 * input used twice), and a demonstration that the check fails on a wrong
 * gradient; for each engine of the build (the OpenBLAS reference with every
 * way it can cut a convolution, and oneDNN in fp32). */
#include "check.h"
#include "gradcheck.h"
#include "nn.h"
#include "rng.h"

typedef int (*BuildFn)(BdGraph *g, int x, const void *arg);

/* The engine every graph of this run is built for (main runs them all). */
static BdEngine engine = BD_ENGINE_REF;

/* Every parameter random (BN gamma around 1), so that no gradient term hides
 * behind a zero or a one. */
static void randomize_params(BdGraph *g, uint64_t seed) {
    BdRng r;
    bd_rng_seed(&r, seed);
    for (int t = 0; t < g->n_param_info; t++) {
        const BdParam *p = &g->param_info[t];
        const BdNode *nd = &g->nodes[p->node];
        int gamma = nd->op == BD_OP_BN && t == nd->w_param;
        for (size_t i = 0; i < p->len; i++)
            g->params[p->off + i] = (float)(gamma ? 1.0 + 0.3 * bd_rng_normal(&r) : 0.5 * bd_rng_normal(&r));
    }
}

typedef enum { IN_NORMAL, IN_DISTINCT, IN_AWAY_FROM_ZERO } InputKind;

/* Max pooling and ReLU have kinks; inputs spaced far more than 2*eps apart
 * (or away from 0) keep the finite differences on one side of them. */
static void fill_input(float *x, size_t len, InputKind kind, uint64_t seed) {
    BdRng r;
    bd_rng_seed(&r, seed);
    if (kind == IN_DISTINCT) {
        int *perm = malloc(len * sizeof *perm);
        for (size_t i = 0; i < len; i++) perm[i] = (int)i;
        bd_rng_shuffle(&r, perm, len);
        for (size_t i = 0; i < len; i++) x[i] = -2.0f + 4.0f * (float)perm[i] / (float)len + 0.0f;
        free(perm);
        return;
    }
    for (size_t i = 0; i < len; i++) {
        float v = (float)bd_rng_normal(&r);
        if (kind == IN_AWAY_FROM_ZERO && fabsf(v) < 0.1f) v = v < 0 ? v - 0.1f : v + 0.1f;
        x[i] = v;
    }
}

static BdGraph *build_graph(BdShape in, int n, BuildFn build, const void *arg, int *extra) {
    BdGraph *g = bd_graph_new(in, n);
    g->engine = engine;
    int x = bd_input(g);
    int y = build(g, x, arg);
    bd_graph_set_output(g, y);
    if (extra) *extra = bd_graph_find_tag(g, "extra");
    BdError err;
    if (bd_graph_finalize(g, &err) < 0) {
        fprintf(stderr, "finalize: %s\n", err.msg);
        abort();
    }
    bd_graph_set_input_grad(g, 1);
    bd_graph_init_params(g, 99);
    randomize_params(g, 17);
    return g;
}

static int run_check(const char *name, BdShape in, int n, BuildFn build, const void *arg, InputKind kind,
                     GcOpts o) {
    int extra = -1;
    BdGraph *g = build_graph(in, n, build, arg, &extra);
    if (extra >= 0) o.extra_node = extra;
    size_t len = (size_t)in.c * n * in.h * in.w;
    float *x = malloc(len * sizeof *x);
    fill_input(x, len, kind, 5);
    double worst = 0;
    int failed = gradcheck(g, x, n, &o, name, &worst);
    if (!o.quiet) printf("  %-40s worst err/tol %.3f\n", name, worst);
    free(x);
    bd_graph_free(g);
    return failed;
}

/* ---- convolutions ------------------------------------------------------------ */

typedef struct ConvCase {
    const char *name;
    int cin, cout, k, s, p, groups, bias, h, w;
} ConvCase;

/* The ways op_conv.c can run a convolution (see there). */
typedef enum { DEFAULT, SHIFT_ONE_ROW, TILES, TILES_ONE_ROW, CHUNK_BATCH, CHUNK_SAMPLE, N_MODES } ConvMode;
static const char *const mode_names[N_MODES] = {"default", "one-row shift tiles", "im2col tiles", "one-row tiles",
                                                "whole-batch chunk", "per-sample chunks"};

typedef struct ConvArg {
    const ConvCase *c;
    ConvMode mode;
} ConvArg;

static void set_mode(BdGraph *g, ConvMode mode, size_t one_row) {
    if (mode != DEFAULT && mode != SHIFT_ONE_ROW) g->conv_shift = 0;
    if (mode == TILES_ONE_ROW || mode == SHIFT_ONE_ROW) g->gemm_small = one_row;
    if (mode == CHUNK_BATCH || mode == CHUNK_SAMPLE) g->gemm_small = 0;
    if (mode == CHUNK_BATCH) g->conv_chunk = (size_t)1 << 40;
    if (mode == CHUNK_SAMPLE) g->conv_chunk = 1;
}

static int build_conv(BdGraph *g, int x, const void *arg) {
    const ConvArg *a = arg;
    const ConvCase *c = a->c;
    /* one output row (and one input row) per tile: twice the product of one
     * row, the widest row being the padded one of the transposed convolution */
    int kk = c->k * c->k, wmax = c->w + 2 * c->k;
    size_t mk = (size_t)(c->cout / c->groups) * (c->cin / c->groups);
    set_mode(g, a->mode, 2 * mk * (a->mode == SHIFT_ONE_ROW ? 1 : kk) * wmax);
    return bd_conv(g, x, c->cout, c->k, c->s, c->p, c->groups, c->bias, "conv");
}

static void test_convs(void) {
    static const ConvCase cases[] = {
        {"conv 3x3 s1 p1 bias", 3, 4, 3, 1, 1, 1, 1, 5, 5},
        {"conv 3x3 s2 p1", 3, 4, 3, 2, 1, 1, 0, 7, 6},
        {"conv 1x1 s1 (direct GEMM)", 4, 3, 1, 1, 0, 1, 1, 4, 4},
        {"conv 1x1 s2", 4, 3, 1, 2, 0, 1, 0, 5, 5},
        {"conv 5x5 s1 p2 groups 2", 4, 6, 5, 1, 2, 2, 1, 6, 6},
        {"conv 3x3 s1 p0 rectangular", 2, 3, 3, 1, 0, 1, 0, 5, 7},
        {"conv 7x7 s2 p3", 2, 3, 7, 2, 3, 1, 0, 9, 9},
        {"conv 2x2 s1 p1 (even kernel)", 2, 3, 2, 1, 1, 1, 0, 4, 5},
        {"depthwise 3x3 s1 p1", 4, 4, 3, 1, 1, 4, 0, 6, 6},
        {"depthwise 5x5 s2 p2 bias", 3, 3, 5, 2, 2, 3, 1, 7, 7},
        {"depthwise 7x7 s2 p3", 2, 2, 7, 2, 3, 2, 0, 9, 8},
        {"grouped channel multiplier 2", 2, 4, 3, 1, 1, 2, 0, 5, 5},
        {"depthwise 3x3 s1 p1 wide rows", 3, 3, 3, 1, 1, 3, 1, 4, 12},
        {"depthwise 5x5 s2 p2 wide rows", 2, 2, 5, 2, 2, 2, 0, 5, 20},
        {"depthwise 7x7 s1 p3 on 1x1", 3, 3, 7, 1, 3, 3, 0, 1, 1},
        {"conv 3x3 s1 p1 8->8", 8, 8, 3, 1, 1, 1, 1, 5, 6},
        {"conv 5x5 s1 p2 8->9", 8, 9, 5, 1, 2, 1, 0, 6, 5},
        {"conv 3x3 s1 p0 9->8 rectangular", 9, 8, 3, 1, 0, 1, 0, 5, 7},
        {"conv 2x2 s1 p1 8->8", 8, 8, 2, 1, 1, 1, 0, 4, 5},
        {"conv 3x3 s1 p1 groups 2 16->16", 16, 16, 3, 1, 1, 2, 1, 4, 4},
        {"conv 3x3 s2 p1 8->8", 8, 8, 3, 2, 1, 1, 0, 7, 6},
        {"conv 3x3 s2 p1 8->8 even size", 8, 8, 3, 2, 1, 1, 1, 6, 8},
        {"conv 1x1 s2 8->9", 8, 9, 1, 2, 0, 1, 0, 5, 6},
        /* from 64 input channels the oneDNN engine's fp32 1x1 gradients are matmuls (dnnl_conv.c) */
        {"conv 1x1 s1 64->3", 64, 3, 1, 1, 0, 1, 0, 3, 4},
        {"conv 1x1 s1 64->5 bias", 64, 5, 1, 1, 0, 1, 1, 3, 3},
        {"conv 5x5 s2 p2 8->8", 8, 8, 5, 2, 2, 1, 0, 9, 7},
        {"conv 3x3 s3 p0 8->8", 8, 8, 3, 3, 0, 1, 0, 8, 7},
        {"conv 2x2 s2 p0 8->8", 8, 8, 2, 2, 0, 1, 0, 6, 5},
        {"conv 7x7 s2 p3 8->8", 8, 8, 7, 2, 3, 1, 0, 9, 9},
    };
    /* the modes are the reference engine's; oneDNN picks its own kernels */
    const int modes = engine == BD_ENGINE_REF ? N_MODES : 1;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        for (int m = 0; m < modes; m++) {
            ConvArg a = {&cases[i], (ConvMode)m};
            char name[128];
            snprintf(name, sizeof name, "%s, %s", cases[i].name, engine == BD_ENGINE_REF ? mode_names[m] : "onednn");
            int failed = run_check(name, (BdShape){cases[i].cin, cases[i].h, cases[i].w}, 3, build_conv, &a, IN_NORMAL,
                                   gc_defaults());
            CHECK_MSG(failed == 0, "%s", name);
        }
}

/* Every way of cutting the batch gives the same result (up to the GEMM
 * kernels' summation order, which OpenBLAS picks by matrix size). */
static void test_conv_modes_agree(void) {
    static const ConvCase c = {"agree", 3, 5, 3, 1, 1, 1, 1, 6, 6};
    BdShape in = {3, 6, 6};
    float x[3 * 4 * 36];
    fill_input(x, sizeof x / sizeof *x, IN_NORMAL, 3);
    BdGraph *ref = NULL;
    for (int m = 0; m < N_MODES; m++) {
        ConvArg a = {&c, (ConvMode)m};
        BdGraph *g = build_graph(in, 4, build_conv, &a, NULL);
        bd_graph_forward(g, x, 4, BD_TRAIN, 0);
        bd_graph_zero_grads(g);
        float *dy = bd_graph_grad(g, 1);
        for (int i = 0; i < 5 * 4 * 36; i++) dy[i] = (float)(i % 11) - 5.0f;
        bd_graph_backward(g);
        if (!ref) {
            ref = g;
            continue;
        }
        double worst = 0;
        const float *y = bd_graph_out(g, 1), *yr = bd_graph_out(ref, 1);
        const float *dx = bd_graph_grad(g, 0), *dxr = bd_graph_grad(ref, 0);
        for (int i = 0; i < 5 * 4 * 36; i++) worst = fmax(worst, fabs(y[i] - yr[i]));
        for (size_t i = 0; i < g->n_params; i++) worst = fmax(worst, fabs(g->grads[i] - ref->grads[i]) / 50);
        for (int i = 0; i < 3 * 4 * 36; i++) worst = fmax(worst, fabs(dx[i] - dxr[i]));
        CHECK_MSG(worst < 1e-4, "%s differs from %s by %g", mode_names[m], mode_names[0], worst);
        bd_graph_free(g);
    }
    bd_graph_free(ref);
}

/* ---- the other ops ------------------------------------------------------------ */

static int build_bn(BdGraph *g, int x, const void *arg) {
    (void)arg;
    return bd_bn(g, x, "bn");
}
static int build_relu(BdGraph *g, int x, const void *arg) {
    (void)arg;
    return bd_relu(g, x);
}
typedef struct PoolCase {
    const char *name;
    int max, k, s, p, include_pad;
} PoolCase;
static int build_pool(BdGraph *g, int x, const void *arg) {
    const PoolCase *c = arg;
    return c->max ? bd_maxpool(g, x, c->k, c->s, c->p) : bd_avgpool(g, x, c->k, c->s, c->p, c->include_pad);
}
static int build_gap(BdGraph *g, int x, const void *arg) {
    (void)arg;
    return bd_gap(g, x);
}
static int build_flatten(BdGraph *g, int x, const void *arg) {
    (void)arg;
    return bd_flatten(g, x);
}
static int build_linear(BdGraph *g, int x, const void *arg) {
    (void)arg;
    return bd_linear(g, bd_flatten(g, x), 5, "fc");
}
static int build_add(BdGraph *g, int x, const void *arg) {
    (void)arg;
    return bd_add(g, bd_shift(g, x), x);
}
static int build_add_same(BdGraph *g, int x, const void *arg) {
    (void)arg;
    return bd_add(g, x, x);
}
static int build_concat(BdGraph *g, int x, const void *arg) {
    (void)arg;
    int parts[3] = {x, bd_conv(g, x, 2, 1, 1, 0, 1, 0, "c1"), bd_shift(g, x)};
    return bd_concat(g, parts, 3);
}
static int build_dropout(BdGraph *g, int x, const void *arg) {
    (void)arg;
    return bd_dropout(g, x, 0.4f);
}
static int build_shift(BdGraph *g, int x, const void *arg) {
    (void)arg;
    return bd_shift(g, x);
}
static int build_identity(BdGraph *g, int x, const void *arg) {
    (void)arg;
    return bd_identity(g, x);
}
static int build_mix(BdGraph *g, int x, const void *arg) {
    (void)arg;
    int m = bd_mix(g, x, "mix");
    bd_graph_tag(g, m, "stage1");
    return bd_conv(g, m, 2, 3, 1, 1, 1, 0, "conv");
}
/* BN -> ReLU and add -> ReLU: finalize fuses them (BdNode.relu_into). */
static int build_fusable(BdGraph *g, int x, const void *arg) {
    const int *fuse = arg;
    g->fuse = *fuse;
    int a = bd_relu(g, bd_bn(g, bd_conv(g, x, 4, 3, 1, 1, 1, 0, "conv1"), "bn1"));
    int b = bd_bn(g, bd_conv(g, a, 4, 3, 1, 1, 1, 0, "conv2"), "bn2");
    int s = bd_relu(g, bd_add(g, b, bd_conv(g, x, 4, 1, 1, 0, 1, 0, "proj")));
    /* a BN read by a ReLU and by something else: not fused */
    int c = bd_bn(g, bd_conv(g, s, 4, 3, 1, 1, 1, 0, "conv3"), "bn3");
    int d = bd_add(g, bd_relu(g, c), c);
    return bd_linear(g, bd_gap(g, d), 3, "fc");
}

static void test_fusion(void) {
    const BdShape in = {3, 5, 5};
    const int on = 1, off = 0;
    GcOpts o = gc_defaults();
    o.eps = 2e-3; /* ReLUs after BN: stay clear of the kinks */
    CHECK(run_check("bn/add -> relu, fused", in, 4, build_fusable, &on, IN_NORMAL, o) == 0);
    BdGraph *f = build_graph(in, 4, build_fusable, &on, NULL), *u = build_graph(in, 4, build_fusable, &off, NULL);
    int fused = 0;
    for (int i = 0; i < f->n_nodes; i++) {
        fused += f->nodes[i].fused;
        CHECK(u->nodes[i].fused == 0 && u->nodes[i].relu_into == 0);
    }
    CHECK(fused == 2); /* bn1 -> relu and add -> relu; bn3 has two readers */
    float x[3 * 4 * 25];
    fill_input(x, sizeof x / sizeof *x, IN_NORMAL, 12);
    for (int k = 0; k < 2; k++) {
        BdGraph *g = k ? u : f;
        bd_graph_forward(g, x, 4, BD_TRAIN, 0);
        bd_graph_zero_grads(g);
        float *dy = bd_graph_grad(g, g->output);
        for (int i = 0; i < 12; i++) dy[i] = (float)i - 5.5f;
        bd_graph_backward(g);
    }
    double worst = 0;
    for (size_t i = 0; i < f->n_params; i++) worst = fmax(worst, fabs(f->grads[i] - u->grads[i]));
    const float *yf = bd_graph_out(f, f->output), *yu = bd_graph_out(u, u->output);
    for (int i = 0; i < 12; i++) worst = fmax(worst, fabs(yf[i] - yu[i]));
    for (size_t i = 0; i < f->n_buffers; i++) worst = fmax(worst, fabs(f->buffers[i] - u->buffers[i]));
    CHECK_NEAR(worst, 0.0, 1e-5);
    bd_graph_free(f);
    bd_graph_free(u);
}

/* A regularizer-like second gradient source on an intermediate node (no
 * ReLU here: a weight perturbation would move many values across its kink). */
static int build_two_sinks(BdGraph *g, int x, const void *arg) {
    (void)arg;
    int h = bd_bn(g, bd_conv(g, x, 3, 3, 1, 1, 1, 0, "conv1"), "bn1");
    bd_graph_tag(g, h, "extra");
    return bd_linear(g, bd_gap(g, bd_conv(g, h, 4, 3, 2, 1, 1, 1, "conv2")), 3, "fc");
}

static void test_ops(void) {
    const BdShape in = {3, 5, 6};
    GcOpts o = gc_defaults();
    CHECK(run_check("batchnorm (training)", in, 4, build_bn, NULL, IN_NORMAL, o) == 0);
    CHECK(run_check("relu", in, 3, build_relu, NULL, IN_AWAY_FROM_ZERO, o) == 0);
    static const PoolCase pools[] = {
        {"maxpool 2 s2", 1, 2, 2, 0, 0},           {"maxpool 3 s2 p1", 1, 3, 2, 1, 0},
        {"maxpool 3 s1 p1", 1, 3, 1, 1, 0},        {"avgpool 3 s1 p1 include pad", 0, 3, 1, 1, 1},
        {"avgpool 3 s1 p1 exclude pad", 0, 3, 1, 1, 0}, {"avgpool 3 s2 p1 exclude pad", 0, 3, 2, 1, 0},
        {"avgpool 2 s2", 0, 2, 2, 0, 1},
    };
    /* wide rows (the per-plane loops; the cases above run planes innermost) */
    const BdShape wide = {2, 3, 20};
    for (size_t i = 0; i < sizeof pools / sizeof *pools; i++) {
        char name[96];
        snprintf(name, sizeof name, "%s, wide rows", pools[i].name);
        CHECK_MSG(run_check(name, wide, 2, build_pool, &pools[i], pools[i].max ? IN_DISTINCT : IN_NORMAL, o) == 0, "%s",
                  name);
    }
    for (size_t i = 0; i < sizeof pools / sizeof *pools; i++)
        CHECK_MSG(run_check(pools[i].name, in, 3, build_pool, &pools[i], pools[i].max ? IN_DISTINCT : IN_NORMAL, o) == 0,
                  "%s", pools[i].name);
    CHECK(run_check("gap", in, 3, build_gap, NULL, IN_NORMAL, o) == 0);
    CHECK(run_check("flatten", in, 3, build_flatten, NULL, IN_NORMAL, o) == 0);
    CHECK(run_check("linear", in, 3, build_linear, NULL, IN_NORMAL, o) == 0);
    CHECK(run_check("add", in, 3, build_add, NULL, IN_NORMAL, o) == 0);
    CHECK(run_check("add (same input twice)", in, 3, build_add_same, NULL, IN_NORMAL, o) == 0);
    CHECK(run_check("concat", in, 3, build_concat, NULL, IN_NORMAL, o) == 0);
    CHECK(run_check("dropout (fixed mask)", in, 3, build_dropout, NULL, IN_NORMAL, o) == 0);
    CHECK(run_check("shift", in, 3, build_shift, NULL, IN_NORMAL, o) == 0);
    CHECK(run_check("identity", in, 3, build_identity, NULL, IN_NORMAL, o) == 0);
    CHECK(run_check("two gradient sources", in, 4, build_two_sinks, NULL, IN_NORMAL, o) == 0);
}

/* Mixup active: the mix node must be set on the built graph before the check. */
static void test_mix(void) {
    BdShape in = {2, 4, 4};
    int n = 4;
    BdGraph *g = build_graph(in, n, build_mix, NULL, NULL);
    int m = bd_graph_find_tag(g, "stage1");
    int perm[4] = {2, 0, 3, 1};
    bd_graph_set_mix(g, m, 0.3f, perm);
    float x[2 * 4 * 16];
    fill_input(x, sizeof x / sizeof *x, IN_NORMAL, 9);
    double worst;
    CHECK(gradcheck(g, x, n, &(GcOpts){1e-2, 1e-2, 1e-2, 300, -1, 7, -2, 0, 0, 0}, "mix (active)", &worst) == 0);
    printf("  %-40s worst err/tol %.3f\n", "mix (active)", worst);
    /* and the mix really mixes: sample 0 = 0.3 x0 + 0.7 x2 */
    CHECK_NEAR(bd_graph_out(g, m)[0], 0.3f * x[0] + 0.7f * x[2 * 16], 1e-6);
    /* in evaluation it does not */
    bd_graph_forward(g, x, n, BD_EVAL, 0);
    CHECK(bd_graph_out(g, m)[0] == x[0]);
    bd_graph_free(g);
}

/* BN with fixed (running) statistics: the gradient of an eval-mode forward. */
static void test_bn_eval_backward(void) {
    BdShape in = {3, 4, 4};
    BdGraph *g = build_graph(in, 4, build_bn, NULL, NULL);
    float x[3 * 4 * 16];
    fill_input(x, sizeof x / sizeof *x, IN_NORMAL, 21);
    /* Some training steps so that the running stats are not 0/1. */
    for (int i = 0; i < 3; i++) bd_graph_forward(g, x, 4, BD_TRAIN, 0);
    bd_graph_forward(g, x, 4, BD_EVAL, 0);
    bd_graph_zero_grads(g);
    float *dy = bd_graph_grad(g, 1);
    for (int i = 0; i < 3 * 4 * 16; i++) dy[i] = (float)(i % 7) - 3.0f;
    bd_graph_backward(g);
    /* dx = gamma / sqrt(rv + eps) * dy */
    const float *gamma = g->params + g->param_info[0].off;
    const float *rv = g->buffers + g->buffer_info[bd_graph_find_buffer(g, "bn.running_var")].off;
    const float *dx = bd_graph_grad(g, 0);
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < 4 * 16; i++) {
            int k = c * 64 + i;
            CHECK_NEAR(dx[k], gamma[c] / sqrtf(rv[c] + 1e-5f) * dy[k], 1e-5);
        }
    bd_graph_free(g);
}

/* The check is not vacuous: a gradient off by 5% of its scale in ONE element
 * fails it, for the input gradient and for a parameter gradient. */
static void test_check_catches_errors(void) {
    const BdShape in = {3, 5, 6};
    ConvCase cc = {"conv", 3, 4, 3, 1, 1, 1, 1, 5, 6};
    ConvArg c = {&cc, TILES};
    GcOpts o = gc_defaults();
    o.quiet = 1;
    o.corrupt_frac = 0.05;
    o.max_per_tensor = 100000; /* every element, so the corrupted one is visited */
    o.corrupt_tensor = -1;
    o.corrupt_index = 17;
    CHECK(run_check("conv, corrupted dx", in, 2, build_conv, &c, IN_NORMAL, o) == 1);
    o.corrupt_tensor = 0; /* conv.weight */
    o.corrupt_index = 5;
    CHECK(run_check("conv, corrupted dW", in, 2, build_conv, &c, IN_NORMAL, o) == 1);
    o.corrupt_tensor = 1; /* bn.bias */
    o.corrupt_index = 1;
    CHECK(run_check("bn, corrupted dbeta", in, 2, build_bn, NULL, IN_NORMAL, o) == 1);
    o.corrupt_tensor = -2;
    CHECK(run_check("conv, intact", in, 2, build_conv, &c, IN_NORMAL, o) == 0);
}

/* ---- the loss ------------------------------------------------------------------- */

static void test_softmax_xent(void) {
    enum { K = 5, N = 4 };
    float z[K * N], dz[K * N], soft[K * N];
    int labels[N] = {0, 3, 4, 1};
    fill_input(z, K * N, IN_NORMAL, 31);
    for (int i = 0; i < K * N; i++) z[i] *= 3.0f;
    BdRng r;
    bd_rng_seed(&r, 8);
    for (int b = 0; b < N; b++) {
        float s = 0;
        for (int k = 0; k < K; k++) s += soft[k * N + b] = bd_rng_uniform(&r);
        for (int k = 0; k < K; k++) soft[k * N + b] /= s;
    }
    for (int mode = 0; mode < 2; mode++) {
        const int *lab = mode ? NULL : labels;
        const float *sf = mode ? soft : NULL;
        memset(dz, 0, sizeof dz);
        int correct = -1;
        float scale = 0.7f;
        bd_softmax_xent(z, K, N, lab, sf, dz, scale, &correct);
        CHECK(correct >= 0 && correct <= N);
        for (int i = 0; i < K * N; i++) {
            float z0 = z[i];
            const double eps = 1e-3;
            z[i] = z0 + (float)eps;
            double fp = bd_softmax_xent(z, K, N, lab, sf, NULL, 1, NULL);
            z[i] = z0 - (float)eps;
            double fm = bd_softmax_xent(z, K, N, lab, sf, NULL, 1, NULL);
            z[i] = z0;
            CHECK_NEAR(dz[i], scale * (fp - fm) / (2 * eps), 2e-3);
        }
    }
    /* Values against a hand computation: two classes, logits (0, ln 3):
     * p = (1/4, 3/4), loss of label 1 = -ln(3/4). */
    float z2[2] = {0.0f, logf(3.0f)};
    int y1 = 1, right = 0;
    float d2[2] = {0, 0};
    CHECK_NEAR(bd_softmax_xent(z2, 2, 1, &y1, NULL, d2, 1.0f, &right), -log(0.75), 1e-6);
    CHECK(right == 1);
    CHECK_NEAR(d2[0], 0.25, 1e-6);
    CHECK_NEAR(d2[1], -0.25, 1e-6);
    /* Huge logits do not overflow (max subtraction). */
    float z3[2] = {1000.0f, 0.0f};
    int y0 = 1;
    CHECK_NEAR(bd_softmax_xent(z3, 2, 1, &y0, NULL, NULL, 1.0f, NULL), 1000.0, 1e-3);
    /* argmax, first maximum wins */
    float z4[6] = {1, 5, 5, 2, 0, 5}; /* K=3, n=2: sample 0 (1,5,0) sample 1 (5,2,5) */
    int am[2];
    bd_argmax(z4, 3, 2, am);
    CHECK(am[0] == 1 && am[1] == 0);
}

int main(void) {
    for (int e = 0; e < 2; e++) {
        engine = (BdEngine)e;
        if (!bd_engine_available(engine)) continue;
        printf("engine %s\n", bd_engine_name(engine));
        test_convs();
        if (engine == BD_ENGINE_REF) test_conv_modes_agree();
        test_ops();
        test_mix();
        test_fusion();
        if (engine == BD_ENGINE_REF) test_bn_eval_backward(); /* oneDNN's evaluation is inference only (nn.h) */
        test_check_catches_errors();
    }
    test_softmax_xent();
    return check_result("gradcheck");
}
