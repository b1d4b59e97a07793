/* Finite-difference gradient checks for the engine's tests.
 *
 * The checked function is L(x, params) = sum_i r_i * out_i (+ sum_j s_j * h_j
 * for an optional extra node h, the way a regularizer adds a gradient on a
 * tagged node), with r and s fixed random tensors: its gradient with respect
 * to `out` is exactly r, so the engine's backward must return d L / d x and
 * d L / d params. Each checked element is perturbed by +-eps (central
 * differences, float32 forward, loss summed in double) and
 *     |numeric - analytic| <= rtol * |analytic| + atol * max|analytic of that tensor|
 * must hold. Why this catches a wrong gradient: a kernel bug (a missing term,
 * a wrong index, a factor) moves an element by a sizable fraction of the
 * tensor's gradient scale, far above the ~1e-3 relative noise of float32
 * central differences at eps = 1e-2; test_gradcheck.c shows the check failing
 * on a gradient perturbed by 5% of its scale in one element.
 *
 * ReLU and max-pool have kinks; a finite difference straddling one measures
 * a mix of two slopes, not the derivative. The check therefore records which
 * side of every kink the forward took (ReLU signs, max-pool argmaxes); when a
 * perturbed forward takes another branch it retries with a smaller eps, and
 * an element that straddles a kink even then is skipped (counted; a check
 * with too many skipped elements fails). */
#ifndef BD_TEST_GRADCHECK_H
#define BD_TEST_GRADCHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn.h"
#include "rng.h"

typedef struct GcOpts {
    double eps, rtol, atol;
    int max_per_tensor;     /* elements checked per tensor (a random subset beyond that) */
    int extra_node;         /* -1 or a node that also receives a gradient s */
    uint64_t step_seed;     /* the forward's seed (dropout) */
    /* Deliberate corruption of the analytic gradient (to show the check can
     * fail): tensor -1 = the input, 0.. = param_info index; -2 = none. */
    int corrupt_tensor;
    size_t corrupt_index;
    double corrupt_frac;    /* added: corrupt_frac * max|grad| of the tensor */
    int quiet;
} GcOpts;

static inline GcOpts gc_defaults(void) {
    GcOpts o = {1e-2, 1e-2, 1e-2, 300, -1, 7, -2, 0, 0.0, 0};
    return o;
}

typedef struct GcCtx {
    BdGraph *g;
    int n;
    float *r, *s;
    const GcOpts *o;
    uint64_t branches; /* the kink sides of the unperturbed forward */
    int skipped, checked;
} GcCtx;

static double gc_loss(GcCtx *c, const float *x) {
    bd_graph_forward(c->g, x, c->n, BD_TRAIN, c->o->step_seed);
    double L = 0.0;
    const BdNode *out = &c->g->nodes[c->g->output];
    size_t len = (size_t)out->shape.c * c->n * out->shape.h * out->shape.w;
    const float *y = bd_graph_out(c->g, c->g->output);
    for (size_t i = 0; i < len; i++) L += (double)c->r[i] * y[i];
    if (c->o->extra_node >= 0) {
        const BdNode *h = &c->g->nodes[c->o->extra_node];
        size_t lh = (size_t)h->shape.c * c->n * h->shape.h * h->shape.w;
        const float *hy = bd_graph_out(c->g, c->o->extra_node);
        for (size_t i = 0; i < lh; i++) L += (double)c->s[i] * hy[i];
    }
    return L;
}

static void gc_fill_normal(float *v, size_t len, uint64_t seed) {
    BdRng r;
    bd_rng_seed(&r, seed);
    for (size_t i = 0; i < len; i++) v[i] = (float)bd_rng_normal(&r);
}

/* Checks one tensor (values in vals, analytic gradient in ana): returns the
 * number of failing elements, perturbing vals in place (restored). */
static int gc_tensor(GcCtx *c, const char *label, float *vals, const float *ana, size_t len, float *x, int is_input,
                     double *worst) {
    double scale = 0.0;
    for (size_t i = 0; i < len; i++) scale = fmax(scale, fabs(ana[i]));
    int failed = 0;
    size_t count = len < (size_t)c->o->max_per_tensor ? len : (size_t)c->o->max_per_tensor;
    BdRng pick;
    bd_rng_seed(&pick, len * 7919u);
    for (size_t t = 0; t < count; t++) {
        size_t i = count == len ? t : (size_t)bd_rng_below(&pick, len);
        float v0 = vals[i];
        double eps = c->o->eps, num = 0.0;
        int straddles = 1;
        for (int attempt = 0; attempt < 3 && straddles; attempt++, eps /= 4) {
            vals[i] = v0 + (float)eps;
            double fp = gc_loss(c, x);
            straddles = bd_graph_kinks(c->g) != c->branches;
            vals[i] = v0 - (float)eps;
            double fm = gc_loss(c, x);
            straddles |= bd_graph_kinks(c->g) != c->branches;
            vals[i] = v0;
            /* the step actually taken in float */
            double h = ((double)(v0 + (float)eps) - (double)(v0 - (float)eps));
            num = (fp - fm) / h;
        }
        c->checked++;
        if (straddles) {
            c->skipped++;
            continue;
        }
        double err = fabs(num - ana[i]);
        double tol = c->o->rtol * fabs(ana[i]) + c->o->atol * scale + 1e-6;
        if (err / tol > *worst) *worst = err / tol;
        if (err > tol) {
            if (!c->o->quiet && failed < 5)
                fprintf(stderr, "  gradcheck %s[%zu]: numeric %.6g analytic %.6g (tol %.3g)%s\n", label, i, num,
                        ana[i], tol, is_input ? " (input)" : "");
            failed++;
        }
    }
    return failed;
}

/* Runs the check on a finalized graph (bd_graph_set_input_grad(g, 1) for the
 * input's gradient to be checked). x holds n samples; the caller's params are
 * used as they are. Returns the number of failing elements; *worst receives
 * the largest err/tol. */
static int gradcheck(BdGraph *g, float *x, int n, const GcOpts *o, const char *name, double *worst_out) {
    GcCtx c = {g, n, NULL, NULL, o, 0, 0, 0};
    const BdNode *out = &g->nodes[g->output];
    size_t lo = (size_t)out->shape.c * n * out->shape.h * out->shape.w;
    c.r = malloc(lo * sizeof(float));
    gc_fill_normal(c.r, lo, 1234);
    size_t lh = 0;
    if (o->extra_node >= 0) {
        const BdNode *h = &g->nodes[o->extra_node];
        lh = (size_t)h->shape.c * n * h->shape.h * h->shape.w;
        c.s = malloc(lh * sizeof(float));
        gc_fill_normal(c.s, lh, 4321);
    }
    /* analytic (the kinks of this forward read before backward, which may reuse their memory) */
    bd_graph_forward(g, x, n, BD_TRAIN, o->step_seed);
    c.branches = bd_graph_kinks(g);
    bd_graph_zero_grads(g);
    float *dout = bd_graph_grad(g, g->output);
    for (size_t i = 0; i < lo; i++) dout[i] += c.r[i];
    if (o->extra_node >= 0) {
        float *dh = bd_graph_grad(g, o->extra_node);
        for (size_t i = 0; i < lh; i++) dh[i] += c.s[i];
    }
    bd_graph_backward(g);
    size_t lx = (size_t)g->input.c * n * g->input.h * g->input.w;
    float *gx = malloc(lx * sizeof(float));
    memcpy(gx, bd_graph_grad(g, 0), lx * sizeof(float));
    float *gp = malloc((g->n_params ? g->n_params : 1) * sizeof(float));
    memcpy(gp, g->grads, g->n_params * sizeof(float));
    if (o->corrupt_tensor == -1) {
        double sc = 0;
        for (size_t i = 0; i < lx; i++) sc = fmax(sc, fabs(gx[i]));
        gx[o->corrupt_index % lx] += (float)(o->corrupt_frac * sc);
    } else if (o->corrupt_tensor >= 0) {
        const BdParam *p = &g->param_info[o->corrupt_tensor];
        double sc = 0;
        for (size_t i = 0; i < p->len; i++) sc = fmax(sc, fabs(gp[p->off + i]));
        gp[p->off + o->corrupt_index % p->len] += (float)(o->corrupt_frac * sc);
    }
    /* numeric */
    double worst = 0.0;
    int failed = 0;
    if (g->input_grad) {
        char label[160];
        snprintf(label, sizeof label, "%s: input", name);
        failed += gc_tensor(&c, label, x, gx, lx, x, 1, &worst);
    }
    for (int t = 0; t < g->n_param_info; t++) {
        const BdParam *p = &g->param_info[t];
        char label[200];
        snprintf(label, sizeof label, "%s: %s", name, p->name);
        failed += gc_tensor(&c, label, g->params + p->off, gp + p->off, p->len, x, 0, &worst);
    }
    /* A check that could not look at most elements proves little. */
    if (c.skipped > 0 && !o->quiet)
        printf("  gradcheck %s: %d of %d element(s) skipped (on a kink)\n", name, c.skipped, c.checked);
    if (4 * c.skipped > c.checked) failed += c.skipped;
    if (!o->quiet && failed) fprintf(stderr, "gradcheck %s: %d element(s) failed, worst err/tol %.3g\n", name, failed, worst);
    if (worst_out) *worst_out = worst;
    free(c.r);
    free(c.s);
    free(gx);
    free(gp);
    return failed;
}

#endif
