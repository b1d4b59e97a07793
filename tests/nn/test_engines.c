/* The two engines against each other: the same graph, parameters and batch
 * on OpenBLAS (the reference) and on oneDNN, one training step with manifold
 * mixup active and a gradient added on a tagged node (what a regularizer
 * does), then an evaluation forward. fp32: outputs, every parameter gradient,
 * the running statistics and the tagged node's forward agree to 1e-4
 * relative per tensor (the parity tolerance). bf16: the forward quantities
 * within sqrt(3) u sqrt(depth), u = 2^-8 (the argument in
 * tests/parity/test_parity.c), and the gradients as a whole within 0.6 of
 * fp32's (at random initialisation a bf16 step's gradients are 2-45% away
 * from fp32's in PyTorch's autocast too, the most on the NASNets' batch
 * norms over tiny maps: test_parity measures that against PyTorch on every
 * fixture). And an evaluation in chunks (tails included) gives, bit for bit,
 * what evaluating each chunk's samples alone does, and what a whole-batch
 * evaluation does to 1e-6. Skipped in a build without oneDNN. */
#include <math.h>
#include <stdlib.h>

#include "axes.h"
#include "check.h"
#include "models.h"
#include "optim.h"
#include "rng.h"

static double rel(const float *a, const float *b, size_t n) {
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        num += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        den += (double)b[i] * b[i];
    }
    return den > 0 ? sqrt(num / den) : sqrt(num);
}

static int depth(const BdGraph *g) {
    int *d = calloc((size_t)g->n_nodes, sizeof *d), deepest = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        for (int j = 0; j < g->nodes[i].n_in; j++)
            if (d[g->nodes[i].in[j]] > d[i]) d[i] = d[g->nodes[i].in[j]];
        if (++d[i] > deepest) deepest = d[i];
    }
    free(d);
    return deepest;
}

typedef struct Step {
    float *logits, *eval, *stepped, *grads, *buffers, *tagged;
    int again_same; /* the second evaluation after the step gave the first's logits */
} Step;

/* One training step (mixing at "stage1", a gradient on "penultimate"), an
 * evaluation forward, an SGD step and two more evaluations (the first must
 * see the new weights, the second give the same with the weights the oneDNN
 * engine kept); what each left behind. */
static Step run(BdGraph *g, const float *x, const int *y, int n, int K) {
    Step s;
    const int mix = bd_graph_find_tag(g, "stage1"), pen = bd_graph_find_tag(g, "penultimate");
    int perm[64];
    for (int i = 0; i < n; i++) perm[i] = (i + 3) % n;
    bd_graph_set_mix(g, mix, 0.7f, perm);
    bd_graph_forward(g, x, n, BD_TRAIN, 11);
    bd_graph_zero_grads(g);
    bd_softmax_xent(bd_graph_out(g, g->output), K, n, y, NULL, bd_graph_grad(g, g->output), 1.0f, NULL);
    const size_t lp = (size_t)g->nodes[pen].shape.c * n;
    s.tagged = malloc(lp * sizeof *s.tagged);
    memcpy(s.tagged, bd_graph_out(g, pen), lp * sizeof *s.tagged);
    float *dp = bd_graph_grad(g, pen);
    for (size_t i = 0; i < lp; i++) dp[i] += 0.01f * (float)((int)(i % 7) - 3);
    s.logits = malloc((size_t)K * n * sizeof *s.logits);
    memcpy(s.logits, bd_graph_out(g, g->output), (size_t)K * n * sizeof *s.logits);
    bd_graph_backward(g);
    s.grads = malloc(g->n_params * sizeof *s.grads);
    memcpy(s.grads, g->grads, g->n_params * sizeof *s.grads);
    s.buffers = malloc(g->n_buffers * sizeof *s.buffers);
    memcpy(s.buffers, g->buffers, g->n_buffers * sizeof *s.buffers);
    bd_graph_set_mix(g, -1, 0, NULL);
    bd_graph_forward(g, x, n, BD_EVAL, 0);
    s.eval = malloc((size_t)K * n * sizeof *s.eval);
    memcpy(s.eval, bd_graph_out(g, g->output), (size_t)K * n * sizeof *s.eval);
    BdSgd o;
    bd_sgd_init(&o, g, 0.9f, 5e-4f, 0);
    bd_sgd_step(&o, g, 0.02f);
    bd_sgd_free(&o);
    bd_graph_forward(g, x, n, BD_EVAL, 0);
    s.stepped = malloc((size_t)K * n * sizeof *s.stepped);
    memcpy(s.stepped, bd_graph_out(g, g->output), (size_t)K * n * sizeof *s.stepped);
    bd_graph_forward(g, x, n, BD_EVAL, 0);
    s.again_same = !memcmp(s.stepped, bd_graph_out(g, g->output), (size_t)K * n * sizeof *s.stepped);
    return s;
}

static void step_free(Step *s) {
    free(s->logits);
    free(s->eval);
    free(s->stepped);
    free(s->grads);
    free(s->buffers);
    free(s->tagged);
}

static BdGraph *build(const char *arch, BdShape in, int K, int n, BdEngine e, BdPrecision p) {
    BdSpec spec;
    BdError err = {0};
    BdGraph *g = NULL;
    if (bd_axis_value_parse(bd_axes(), BD_AXIS_ARCH, arch, &spec, &err) < 0 ||
        bd_model_build_on(&spec, in, K, n, e, p, &g, &err) < 0) {
        fprintf(stderr, "%s: %s\n", arch, err.msg);
        abort();
    }
    bd_graph_init_params(g, 3);
    /* BN away from its identity initialisation, as the parity fixtures */
    BdRng r;
    bd_rng_seed(&r, 8);
    for (int t = 0; t < g->n_param_info; t++) {
        const BdParam *pi = &g->param_info[t];
        if (g->nodes[pi->node].op != BD_OP_BN) continue;
        const int gamma = t == g->nodes[pi->node].w_param;
        for (size_t i = 0; i < pi->len; i++)
            g->params[pi->off + i] = (float)(gamma ? 0.5 + bd_rng_uniform_d(&r) : 0.1 * bd_rng_normal(&r));
    }
    return g;
}

static void compare(const char *arch, BdShape in, int n) {
    const int K = 5;
    BdGraph *ref = build(arch, in, K, n, BD_ENGINE_REF, BD_FP32);
    const size_t xl = (size_t)in.c * in.h * in.w * n;
    float *x = malloc(xl * sizeof *x);
    int y[64];
    BdRng r;
    bd_rng_seed(&r, 4);
    for (size_t i = 0; i < xl; i++) x[i] = (float)bd_rng_normal(&r);
    for (int i = 0; i < n; i++) y[i] = i % K;
    Step want = run(ref, x, y, n, K);
    const int pen = bd_graph_find_tag(ref, "penultimate");
    const size_t lp = (size_t)ref->nodes[pen].shape.c * n, lk = (size_t)K * n;
    const double fwd_bf16 = sqrt(3.0) * sqrt((double)depth(ref)) / 256;
    for (int bf16 = 0; bf16 < 2; bf16++) {
        BdGraph *g = build(arch, in, K, n, BD_ENGINE_DNNL, bf16 ? BD_BF16 : BD_FP32);
        Step got = run(g, x, y, n, K);
        const double tol = bf16 ? fwd_bf16 : 1e-4;
        const double e_logits = rel(got.logits, want.logits, lk), e_eval = rel(got.eval, want.eval, lk);
        /* after the step (the evaluation weights made again): fp32 only, a bf16 step moved its own way */
        const double e_step = bf16 ? 0 : rel(got.stepped, want.stepped, lk);
        const double e_tag = rel(got.tagged, want.tagged, lp), e_buf = rel(got.buffers, want.buffers, g->n_buffers);
        double e_grad = 0, e_all = rel(got.grads, want.grads, g->n_params);
        for (int t = 0; t < g->n_param_info && !bf16; t++) {
            const BdParam *pi = &g->param_info[t];
            const double e = rel(got.grads + pi->off, want.grads + pi->off, pi->len);
            CHECK_MSG(e <= 1e-4, "%s: %s gradient %.3g from the reference", arch, pi->name, e);
            if (e > e_grad) e_grad = e;
        }
        printf("%-44s %s: logits %.2g, evaluation %.2g, penultimate %.2g, running stats %.2g, gradients %.2g", arch,
               bf16 ? "bf16" : "fp32", e_logits, e_eval, e_tag, e_buf, e_all);
        printf(bf16 ? "\n" : " (worst tensor %.2g)\n", e_grad);
        CHECK_MSG(e_logits <= tol && e_eval <= tol && e_step <= tol && e_tag <= tol && e_buf <= tol,
                  "%s %s: forward off (tol %.3g)", arch, bf16 ? "bf16" : "fp32", tol);
        CHECK_MSG(!bf16 || e_all <= 0.6, "%s bf16: gradients %.3g from fp32", arch, e_all);
        CHECK_MSG(got.again_same, "%s %s: a second evaluation of the same weights differs", arch,
                  bf16 ? "bf16" : "fp32");
        step_free(&got);
        bd_graph_free(g);
    }
    step_free(&want);
    bd_graph_free(ref);
    free(x);
}

/* An evaluation of n samples in chunks of at most 4 (as even as can be:
 * 11 is 4, 4, 3 and 9 is 3, 3, 3) against the whole batch at once and
 * against each chunk's samples evaluated alone. */
static void chunks(const char *arch, BdShape in, int n, BdPrecision p) {
    const int K = 5, c = 4;
    BdGraph *g = build(arch, in, K, n, BD_ENGINE_DNNL, p);
    const size_t plane = (size_t)in.h * in.w, xl = (size_t)in.c * plane * n, lk = (size_t)K * n;
    float *x = malloc(xl * sizeof *x), *part = malloc(xl * sizeof *part), *whole = malloc(lk * sizeof *whole);
    BdRng r;
    bd_rng_seed(&r, 5);
    for (size_t i = 0; i < xl; i++) x[i] = (float)bd_rng_normal(&r);
    CHECK(bd_graph_set_eval_chunk(g, n) == n);
    bd_graph_forward(g, x, n, BD_EVAL, 0);
    memcpy(whole, bd_graph_out(g, g->output), lk * sizeof *whole);
    CHECK(bd_graph_set_eval_chunk(g, c) == c);
    bd_graph_forward(g, x, n, BD_EVAL, 0);
    const float *got = bd_graph_out(g, g->output);
    const double e = rel(got, whole, lk);
    int same = 1;
    float *alone = malloc(lk * sizeof *alone);
    const int k = (n + c - 1) / c, each = (n + k - 1) / k;
    for (int at = 0; at < n; at += each) {
        const int m = n - at < each ? n - at : each;
        for (int ch = 0; ch < in.c; ch++) /* CNHW: samples at..at+m-1 of every channel */
            memcpy(part + (size_t)ch * m * plane, x + ((size_t)ch * n + at) * plane, (size_t)m * plane * sizeof *x);
        bd_graph_forward(g, part, m, BD_EVAL, 0);
        const float *o = bd_graph_out(g, g->output);
        for (int k = 0; k < K; k++) memcpy(alone + (size_t)k * n + at, o + (size_t)k * m, (size_t)m * sizeof *o);
    }
    bd_graph_forward(g, x, n, BD_EVAL, 0); /* chunked again, after the chunks' own sets ran */
    same = !memcmp(bd_graph_out(g, g->output), alone, lk * sizeof *alone);
    printf("%-44s %s: %d samples in chunks of %d: %s each chunk alone, %.2g from the whole batch\n", arch,
           bd_precision_name(p), n, each, same ? "equal to" : "DIFFERENT from", e);
    CHECK_MSG(same, "%s %s: a chunked evaluation differs from its chunks evaluated alone", arch,
              bd_precision_name(p));
    CHECK_MSG(e <= 1e-6, "%s %s: a chunked evaluation %.3g from the whole batch's", arch, bd_precision_name(p), e);
    free(alone);
    free(whole);
    free(part);
    free(x);
    bd_graph_free(g);
}

int main(void) {
    if (!bd_engine_available(BD_ENGINE_DNNL)) {
        printf("engines: no oneDNN engine in this build\n");
        return 0;
    }
    compare("cnn-small(conv1=8,conv2=16,fc=32,dropout=0.3)", (BdShape){1, 12, 12}, 8);
    compare("resnet20(blocks=1,width=8)", (BdShape){3, 16, 16}, 8);
    compare("resnet50(depth=[1,1],width=0.125,stem=imagenet)", (BdShape){3, 32, 32}, 6);
    /* 64 -> 16 and 128 -> 32 channels: the 1x1 weight gradients that are matrix products (dnnl_conv.c) */
    compare("resnet50(depth=[2,2],width=0.25,stem=cifar)", (BdShape){3, 8, 8}, 4);
    compare("nasnet-a-cifar(cells=1,filters=8)", (BdShape){3, 16, 16}, 6);
    compare("nasnet-a-mobile(cells=1,filters=8)", (BdShape){3, 40, 40}, 8);
    for (int bf16 = 0; bf16 < 2; bf16++) {
        const BdPrecision p = bf16 ? BD_BF16 : BD_FP32;
        chunks("cnn-small(conv1=8,conv2=16,fc=32,dropout=0.3)", (BdShape){1, 12, 12}, 11, p);
        chunks("resnet20(blocks=1,width=8)", (BdShape){3, 16, 16}, 11, p);
        chunks("resnet20(blocks=1,width=8)", (BdShape){3, 16, 16}, 9, p);
        chunks("nasnet-a-cifar(cells=1,filters=8)", (BdShape){3, 16, 16}, 10, p);
    }
    return check_result("engines");
}
