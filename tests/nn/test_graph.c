/* The allocation plan: a training step allocates nothing and moves no
 * buffer, two identical steps give identical results, a batch smaller than
 * the maximum works, FLOPs and errors are right, and a wiring mistake aborts
 * with the node's name; for each engine and precision of the build.
 *
 * alloc_count.h counts every allocation of the process, oneDNN's own
 * included. */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "nn.h"
#include "optim.h"
#include "rng.h"

#include "alloc_count.h"

/* The engine and precision of every graph this run builds (main runs them all). */
static BdEngine engine = BD_ENGINE_REF;
static BdPrecision precision = BD_FP32;

static BdGraph *new_graph(BdShape in, int max_batch) {
    BdGraph *g = bd_graph_new(in, max_batch);
    g->engine = engine;
    g->precision = precision;
    return g;
}

/* A graph with every kind of op on the training path. */
static BdGraph *every_op_reuse(int max_batch, int reuse) {
    BdGraph *g = new_graph((BdShape){3, 8, 8}, max_batch);
    g->reuse_grads = reuse;
    int x = bd_mix(g, bd_input(g), "mix");
    bd_graph_tag(g, x, "input");
    int a = bd_relu(g, bd_bn(g, bd_conv(g, x, 8, 3, 1, 1, 1, 0, "c1"), "bn1"));
    int d = bd_conv(g, a, 8, 3, 1, 1, 8, 0, "dw");
    int p = bd_conv(g, d, 8, 1, 1, 0, 1, 1, "pw");
    int s = bd_conv(g, bd_shift(g, a), 8, 1, 2, 0, 1, 0, "fr");
    int m = bd_maxpool(g, p, 3, 2, 1);
    int v = bd_avgpool(g, bd_identity(g, a), 3, 2, 1, 0);
    int parts[3] = {bd_add(g, m, v), s, bd_avgpool(g, p, 2, 2, 0, 1)};
    int c = bd_concat(g, parts, 3);
    int f = bd_dropout(g, bd_linear(g, bd_flatten(g, c), 16, "fc1"), 0.3f);
    int gp = bd_gap(g, c);
    int sum = bd_add(g, f, bd_linear(g, gp, 16, "proj"));
    bd_graph_tag(g, sum, "penultimate");
    bd_graph_set_output(g, bd_linear(g, sum, 5, "fc"));
    BdError err;
    if (bd_graph_finalize(g, &err) < 0) abort();
    bd_graph_init_params(g, 11);
    return g;
}

static BdGraph *every_op(int max_batch) { return every_op_reuse(max_batch, 1); }

typedef struct Snap {
    float *arena, *work, *params, *grads, *buffers;
    float *out[64], *grad[64];
} Snap;

static Snap snap(const BdGraph *g) {
    Snap s = {g->arena, g->work, g->params, g->grads, g->buffers, {0}, {0}};
    for (int i = 0; i < g->n_nodes && i < 64; i++) {
        s.out[i] = g->nodes[i].out;
        s.grad[i] = g->nodes[i].grad;
    }
    return s;
}

static float step(BdGraph *g, BdSgd *o, const float *x, const int *y, int n, const int *perm) {
    int mix = bd_graph_find_tag(g, "input");
    bd_graph_set_mix(g, mix, 0.7f, perm);
    bd_graph_forward(g, x, n, BD_TRAIN, 99);
    bd_graph_zero_grads(g);
    float loss = bd_softmax_xent(bd_graph_out(g, g->output), 5, n, y, NULL, bd_graph_grad(g, g->output), 1.0f, NULL);
    float *pen = bd_graph_grad(g, bd_graph_find_tag(g, "penultimate"));
    pen[0] += 0.01f; /* a regularizer's contribution */
    bd_graph_backward(g);
    bd_clip_grad_norm(o, g, 5.0);
    bd_sgd_step(o, g, 0.01f);
    return loss;
}

static void test_no_allocation_and_determinism(void) {
    const int N = 6;
    long at_start = allocations;
    BdGraph *g = every_op(N), *h = every_op(N);
    CHECK(!ALLOC_COUNTING || allocations > at_start); /* the counters do see the engine's allocations */
    BdSgd o, q;
    bd_sgd_init(&o, g, 0.9f, 5e-4f, 1);
    bd_sgd_init(&q, h, 0.9f, 5e-4f, 1);
    float x[3 * 6 * 64];
    int y[6] = {0, 1, 2, 3, 4, 0}, perm[6] = {5, 4, 3, 2, 1, 0}, perm4[4] = {1, 0, 3, 2};
    BdRng r;
    bd_rng_seed(&r, 5);
    for (size_t i = 0; i < sizeof x / sizeof *x; i++) x[i] = (float)bd_rng_normal(&r);
    Snap before = snap(g);
    BdError err;
    CHECK(bd_graph_prepare_batch(g, 4, &err) == 0); /* the oneDNN engine's primitives of a smaller batch */
    step(g, &o, x, y, N, perm); /* the first steps may warm up the libraries */
    step(g, &o, x, y, 4, perm4);
    bd_graph_forward(g, x, N, BD_EVAL, 0);
    const long count = allocations, big = lib_big, live = live_bytes;
    float l1 = step(g, &o, x, y, N, perm);
    float l2 = step(g, &o, x, y, 4, perm4); /* a smaller batch */
    bd_graph_forward(g, x, N, BD_EVAL, 0);
    CHECK_MSG(allocations == count, "%ld allocations during training steps", allocations - count);
    CHECK_MSG(lib_big == big && live_bytes == live, "the libraries allocated %ld large buffers, %ld bytes kept",
              lib_big - big, live_bytes - live);
    Snap after = snap(g);
    CHECK(memcmp(&before, &after, sizeof before) == 0);
    CHECK(isfinite(l1) && isfinite(l2));
    /* Identical graphs, identical steps: identical bits. */
    step(h, &q, x, y, N, perm);
    step(h, &q, x, y, 4, perm4);
    float m1 = step(h, &q, x, y, N, perm);
    CHECK(m1 == l1);
    step(h, &q, x, y, 4, perm4);
    CHECK(memcmp(g->params, h->params, g->n_params * sizeof(float)) == 0);
    CHECK(memcmp(g->buffers, h->buffers, g->n_buffers * sizeof(float)) == 0);
    bd_sgd_free(&o);
    bd_sgd_free(&q);
    bd_graph_free(g);
    bd_graph_free(h);
}

/* Two graphs built alike, three steps alike: the same parameters, bit for bit. */
static void test_repeatable_across_graphs(void) {
    BdGraph *g[2];
    float x[3 * 6 * 64];
    int y[6] = {0, 1, 2, 3, 4, 0}, perm[6] = {5, 4, 3, 2, 1, 0};
    for (size_t i = 0; i < sizeof x / sizeof *x; i++) x[i] = (float)((i * 31) % 19) / 9.0f - 1.0f;
    for (int k = 0; k < 2; k++) {
        g[k] = every_op(6);
        BdSgd o;
        bd_sgd_init(&o, g[k], 0.9f, 5e-4f, 0);
        for (int s = 0; s < 3; s++) step(g[k], &o, x, y, 6, perm);
        bd_sgd_free(&o);
    }
    CHECK_MSG(memcmp(g[0]->params, g[1]->params, g[0]->n_params * sizeof(float)) == 0,
              "%s %s, 2 threads: two identical runs differ", bd_engine_name(engine), bd_precision_name(precision));
    bd_graph_free(g[0]);
    bd_graph_free(g[1]);
}

/* Forward and backward twice on the same data: the same outputs and
 * gradients (nothing left over from the previous step leaks in). */
static void test_repeatable_step(void) {
    BdGraph *g = every_op(4);
    float x[3 * 4 * 64];
    for (size_t i = 0; i < sizeof x / sizeof *x; i++) x[i] = (float)((i * 37) % 17) / 8.0f - 1.0f;
    int y[4] = {1, 2, 3, 4};
    float *grads[2];
    float loss[2];
    for (int k = 0; k < 2; k++) {
        bd_graph_forward(g, x, 4, BD_TRAIN, 3);
        bd_graph_zero_grads(g);
        loss[k] = bd_softmax_xent(bd_graph_out(g, g->output), 5, 4, y, NULL, bd_graph_grad(g, g->output), 1, NULL);
        bd_graph_backward(g);
        grads[k] = malloc(g->n_params * sizeof(float));
        memcpy(grads[k], g->grads, g->n_params * sizeof(float));
    }
    CHECK(loss[0] == loss[1]);
    CHECK(memcmp(grads[0], grads[1], g->n_params * sizeof(float)) == 0);
    free(grads[0]);
    free(grads[1]);
    bd_graph_free(g);
}

/* Shared gradient buffers change nothing but the memory: the same
 * parameter and input gradients as with a buffer per node, in less space. */
static void test_gradient_reuse(void) {
    BdGraph *a = every_op_reuse(4, 1), *b = every_op_reuse(4, 0);
    bd_graph_set_input_grad(a, 1);
    bd_graph_set_input_grad(b, 1);
    CHECK(bd_graph_bytes(a) < bd_graph_bytes(b));
    float x[3 * 4 * 64];
    for (size_t i = 0; i < sizeof x / sizeof *x; i++) x[i] = (float)((i * 29) % 23) / 11.0f - 1.0f;
    int y[4] = {0, 1, 2, 3};
    for (int k = 0; k < 2; k++) {
        BdGraph *g = k ? b : a;
        bd_graph_forward(g, x, 4, BD_TRAIN, 5);
        bd_graph_zero_grads(g);
        bd_softmax_xent(bd_graph_out(g, g->output), 5, 4, y, NULL, bd_graph_grad(g, g->output), 1, NULL);
        float *pen = bd_graph_grad(g, bd_graph_find_tag(g, "penultimate"));
        for (int i = 0; i < 16 * 4; i++) pen[i] += 0.01f * (float)(i % 5);
        bd_graph_backward(g);
    }
    CHECK(memcmp(a->grads, b->grads, a->n_params * sizeof(float)) == 0);
    CHECK(memcmp(bd_graph_grad(a, 0), bd_graph_grad(b, 0), 3 * 4 * 64 * sizeof(float)) == 0);
    bd_graph_free(a);
    bd_graph_free(b);
}

static void test_flops_and_queries(void) {
    BdGraph *g = new_graph((BdShape){3, 8, 8}, 2);
    int c = bd_conv(g, bd_input(g), 4, 3, 1, 1, 1, 0, "c");
    bd_graph_set_output(g, c);
    BdError err;
    CHECK(bd_graph_finalize(g, &err) == 0);
    /* forward 2*4*27*64; backward dW only (the input needs no gradient) */
    CHECK_NEAR(bd_graph_flops(g, 0), 2.0 * 4 * 27 * 64, 1e-9);
    CHECK_NEAR(bd_graph_flops(g, 1), 2 * 2.0 * 4 * 27 * 64, 1e-9);
    bd_graph_set_input_grad(g, 1);
    CHECK_NEAR(bd_graph_flops(g, 1), 3 * 2.0 * 4 * 27 * 64, 1e-9);
    CHECK(bd_graph_param_count(g) == 4 * 27);
    CHECK(bd_graph_bytes(g) >= (2 * 3 * 64 + 2 * 4 * 64) * 2 * sizeof(float));
    CHECK(bd_graph_find_param(g, "c.weight") == 0 && bd_graph_find_param(g, "c.bias") == -1);
    CHECK(bd_graph_finalize(g, &err) < 0);
    CHECK_CONTAINS(err.msg, "already finalized");
    bd_graph_free(g);

    g = new_graph((BdShape){1, 4, 4}, 1);
    bd_relu(g, bd_input(g));
    CHECK(bd_graph_finalize(g, &err) < 0);
    CHECK_CONTAINS(err.msg, "no output");
    bd_graph_free(g);
}

/* Max pooling as PyTorch: the first maximum wins, NaN propagates, padding
 * never wins; both the 2x2/2 fast path and the general one. */
static void test_maxpool_semantics(void) {
    for (int general = 0; general < 2; general++) {
        BdGraph *g = new_graph((BdShape){1, 4, 4}, 1);
        int x = bd_input(g);
        /* 3x3 windows of stride 1 without padding see the same 2x2 blocks' maxima below */
        int y = general ? bd_maxpool(g, x, 3, 2, 1) : bd_maxpool(g, x, 2, 2, 0);
        bd_graph_set_output(g, y);
        BdError err;
        CHECK(bd_graph_finalize(g, &err) == 0);
        const float in[16] = {1, 5, 5, 2,   /* a tie in the top-right block: the first 5 (index 1) wins */
                              0, 3, -1, 0,  /* */
                              -4, -3, 7, NAN, /* NaN beats 7 */
                              -2, -6, 9, 8};
        bd_graph_forward(g, in, 1, BD_TRAIN, 0);
        const float *o = bd_graph_out(g, y);
        const int32_t *idx = g->nodes[y].idx;
        if (!general) {
            CHECK(o[0] == 5 && idx[0] == 1);
            CHECK(o[1] == 5 && idx[1] == 2);
            CHECK(o[2] == -2 && idx[2] == 12);
            CHECK(isnan(o[3]) && idx[3] == 11);
        } else {
            /* 3x3 s2 p1 on 4x4 -> 2x2; window (0,0) covers rows/cols 0..1: max 5 at 1 */
            CHECK(o[0] == 5 && idx[0] == 1);
            /* window (1,1) covers rows 1..3, cols 1..3: NaN at 11 */
            CHECK(isnan(o[3]) && idx[3] == 11);
            /* window (1,0) covers rows 1..3, cols 0..1: max 3 at 5; the padding (-inf) never wins */
            CHECK(o[2] == 3 && idx[2] == 5);
        }
        bd_graph_free(g);
    }
}

/* The vectorised 2x2 kernel against a plain scan, on values full of ties
 * and a few NaNs, on planes wide enough for its vector loop. */
static void test_maxpool_vector_path(void) {
    enum { H = 6, W = 42, N = 3 };
    BdGraph *g = new_graph((BdShape){2, H, W}, N);
    int y = bd_maxpool(g, bd_input(g), 2, 2, 0);
    bd_graph_set_output(g, y);
    BdError err;
    CHECK(bd_graph_finalize(g, &err) == 0);
    float x[2 * N * H * W];
    BdRng r;
    bd_rng_seed(&r, 3);
    for (int i = 0; i < 2 * N * H * W; i++) x[i] = bd_rng_below(&r, 50) == 0 ? NAN : (float)bd_rng_below(&r, 4);
    bd_graph_forward(g, x, N, BD_TRAIN, 0);
    const float *o = bd_graph_out(g, y);
    const int32_t *idx = g->nodes[y].idx;
    int bad = 0;
    for (int pl = 0; pl < 2 * N; pl++)
        for (int oh = 0; oh < H / 2; oh++)
            for (int ow = 0; ow < W / 2; ow++) {
                const float *p = x + pl * H * W;
                int best = 2 * oh * W + 2 * ow;
                for (int k = 1; k < 4; k++) {
                    int at = (2 * oh + k / 2) * W + 2 * ow + k % 2;
                    if (p[at] > p[best] || p[at] != p[at]) best = at;
                }
                int o_i = (pl * (H / 2) + oh) * (W / 2) + ow;
                bad += idx[o_i] != best || !(o[o_i] == p[best] || (isnan(o[o_i]) && isnan(p[best])));
            }
    CHECK(bad == 0);
    bd_graph_free(g);
}

/* Wiring mistakes abort with the node: run them in a child. */
static void expect_abort(void (*fn)(void), const char *fragment) {
    int pipefd[2];
    if (pipe(pipefd) < 0) abort();
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pipefd[1], 2);
        fn();
        _exit(0);
    }
    close(pipefd[1]);
    char buf[1024] = {0};
    ssize_t n = read(pipefd[0], buf, sizeof buf - 1);
    (void)n;
    close(pipefd[0]);
    int status;
    waitpid(pid, &status, 0);
    CHECK(WIFSIGNALED(status));
    CHECK_CONTAINS(buf, fragment);
}

static void bad_add(void) {
    BdGraph *g = bd_graph_new((BdShape){2, 4, 4}, 1);
    int x = bd_input(g);
    bd_add(g, x, bd_conv(g, x, 3, 1, 1, 0, 1, 0, "proj"));
}
static void bad_kernel(void) {
    BdGraph *g = bd_graph_new((BdShape){2, 2, 2}, 1);
    bd_conv(g, bd_input(g), 3, 5, 1, 0, 1, 0, "big");
}
static void bad_linear(void) {
    BdGraph *g = bd_graph_new((BdShape){2, 3, 3}, 1);
    bd_linear(g, bd_input(g), 4, "fc");
}
static void bad_name(void) {
    BdGraph *g = bd_graph_new((BdShape){2, 3, 3}, 1);
    int x = bd_conv(g, bd_input(g), 2, 1, 1, 0, 1, 0, "same");
    bd_conv(g, x, 2, 1, 1, 0, 1, 0, "same");
}

static void test_build_aborts(void) {
    expect_abort(bad_add, "shapes 2x4x4 and 3x4x4 differ");
    expect_abort(bad_kernel, "conv 'big'): kernel 5 is larger than the padded input (2 + 2*0)");
    expect_abort(bad_linear, "flatten or pool it");
    expect_abort(bad_name, "same.weight");
}

int main(void) {
    static const struct {
        BdEngine e;
        BdPrecision p;
    } configs[] = {{BD_ENGINE_REF, BD_FP32}, {BD_ENGINE_DNNL, BD_FP32}, {BD_ENGINE_DNNL, BD_BF16}};
    for (size_t k = 0; k < sizeof configs / sizeof *configs; k++) {
        engine = configs[k].e;
        precision = configs[k].p;
        if (!bd_engine_available(engine)) continue;
        printf("engine %s, %s\n", bd_engine_name(engine), bd_precision_name(precision));
        test_no_allocation_and_determinism();
        test_repeatable_step();
        test_gradient_reuse();
        test_flops_and_queries();
    }
    /* Two threads: oneDNN's reductions (backward weights, batch norm) are
     * partitioned by thread count, so the bits differ from one thread's, but
     * two runs with two threads must agree bit for bit. */
    bd_set_threads(2);
    for (size_t k = 0; k < sizeof configs / sizeof *configs; k++) {
        engine = configs[k].e;
        precision = configs[k].p;
        if (bd_engine_available(engine)) test_repeatable_across_graphs();
    }
    bd_set_threads(1);
    /* the reference engine's max pooling (oneDNN's is test_engines.c's) */
    engine = BD_ENGINE_REF;
    precision = BD_FP32;
    test_maxpool_semantics();
    test_maxpool_vector_path();
    test_build_aborts();
    return check_result("graph");
}
