/* Shared by the regularizer tests: building specs, models and regularizers,
 * and a finite-difference check of a gradient held in a float buffer. */
#ifndef BD_TEST_REGTEST_H
#define BD_TEST_REGTEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "axes.h"
#include "check.h"
#include "models.h"
#include "reg_impl.h"
#include "rng.h"

/* A resolved regularizer spec from its canonical text; 0 on success, the
 * message in err otherwise. */
static inline int reg_spec(const char *text, BdSpec *s, BdError *err) {
    return bd_axis_value_parse(bd_axes(), BD_AXIS_REGULARIZER, text, s, err);
}

static inline BdReg *make_reg(const char *text, BdGraph *g) {
    BdSpec s;
    BdError err = {0};
    BdReg *r = NULL;
    if (reg_spec(text, &s, &err) < 0 || bd_reg_make(&s, g, &r, &err) < 0) {
        fprintf(stderr, "%s: %s\n", text, err.msg);
        check_failures++;
        return NULL;
    }
    return r;
}

static inline BdGraph *make_model(const char *arch_text, BdShape in, int classes, int batch, uint64_t seed) {
    BdSpec s;
    BdError err = {0};
    BdGraph *g = NULL;
    if (bd_axis_value_parse(bd_axes(), BD_AXIS_ARCH, arch_text, &s, &err) < 0 ||
        bd_model_build(&s, in, classes, batch, &g, &err) < 0) {
        fprintf(stderr, "%s: %s\n", arch_text, err.msg);
        abort();
    }
    bd_graph_init_params(g, seed);
    return g;
}

static inline void fill_normal(float *v, size_t len, uint64_t seed) {
    BdRng r;
    bd_rng_seed(&r, seed);
    for (size_t i = 0; i < len; i++) v[i] = (float)bd_rng_normal(&r);
}

static inline size_t input_len(const BdGraph *g, int n) {
    return (size_t)g->input.c * g->input.h * g->input.w * (size_t)n;
}

/* Central differences of f (evaluated after each perturbation of vals[i] by
 * +-eps) against ana[i] for every element:
 *     |numeric - analytic| <= rtol |analytic| + atol max|analytic| + 1e-7.
 * Returns the number of failing elements; *worst gets the largest err/tol. */
typedef double (*FdValue)(void *ctx);
static inline int fd_check(const char *label, float *vals, const float *ana, size_t len, FdValue f, void *ctx,
                           double eps, double rtol, double atol, double *worst) {
    double scale = 0.0, w = 0.0;
    for (size_t i = 0; i < len; i++) scale = fmax(scale, fabs(ana[i]));
    int failed = 0;
    for (size_t i = 0; i < len; i++) {
        const float v0 = vals[i];
        vals[i] = v0 + (float)eps;
        double fp = f(ctx);
        vals[i] = v0 - (float)eps;
        double fm = f(ctx);
        vals[i] = v0;
        double num = (fp - fm) / ((double)(v0 + (float)eps) - (double)(v0 - (float)eps));
        double err = fabs(num - ana[i]), tol = rtol * fabs(ana[i]) + atol * scale + 1e-7;
        if (err / tol > w) w = err / tol;
        if (err > tol) {
            if (failed < 5)
                fprintf(stderr, "  %s[%zu]: numeric %.7g analytic %.7g (tol %.3g)\n", label, i, num, ana[i], tol);
            failed++;
        }
    }
    if (worst) *worst = w;
    return failed;
}

#endif
