/* Whole-model gradient checks: for tiny cnn-small and resnet20, the
 * parameter gradient g of cross-entropy + term (as bd_reg_loss and the
 * engine's backward produce it) along directions v against central
 * differences of the loss, (L(theta + eps v) - L(theta - eps v)) / 2 eps.
 *
 * The directions. A purely random unit direction in thousands of dimensions
 * is nearly orthogonal to g: its derivative, ~||g|| / sqrt(P), drowns in the
 * float noise of the loss (~1e-7 / eps) and in the ReLU/max-pool kinks a step
 * crosses. So v = g/||g|| + xi/||xi||, xi random normal: a random direction
 * that carries the gradient, whose derivative ~||g|| is large, while every
 * component of g, the term's included, still enters g . v. A term whose
 * gradient is lost, misplaced or scaled wrongly changes g . v by a share of
 * the term's gradient.
 *
 * The tolerance, 1% of g . v at eps = 2.5e-4. The tiny ResNet (8x8 inputs,
 * batch 8, batch norm over 2x2 maps in its last stage) is far from smooth at
 * this scale: a step crosses ReLU kinks, and even plain cross-entropy's
 * derivative is off by up to ~0.3% along such directions (measured; the same
 * analytic gradients agree with PyTorch in float64 to 1e-6). Float rounding
 * adds ~1e-7 / eps = 0.05%.
 *
 * The negative controls run the same check on a wrong gradient: the term's
 * gradient 10% too large (or, for mixup, the targets left unmixed). */
#include "regtest.h"

#define DIRECTIONS 3

typedef struct Model {
    BdGraph *g;
    BdReg *r;
    float *x;
    int *y;
    int n;
    BdRng rng0; /* the same mixup draws for every evaluation */
} Model;

static double loss_at(Model *m) {
    BdRng rng = m->rng0;
    BdLossParts parts;
    bd_reg_before_forward(m->r, m->g, m->n, &rng);
    bd_graph_forward(m->g, m->x, m->n, BD_TRAIN, 0);
    bd_graph_zero_grads(m->g);
    return bd_reg_loss(m->r, m->g, m->y, m->n, &parts);
}

/* The parameter gradient of the loss (into out) and the parts. */
static void grad_at(Model *m, float *out, BdLossParts *parts) {
    BdRng rng = m->rng0;
    bd_reg_before_forward(m->r, m->g, m->n, &rng);
    bd_graph_forward(m->g, m->x, m->n, BD_TRAIN, 0);
    bd_graph_zero_grads(m->g);
    bd_reg_loss(m->r, m->g, m->y, m->n, parts);
    bd_graph_backward(m->g);
    memcpy(out, m->g->grads, m->g->n_params * sizeof *out);
}

/* The "wrong" gradient of the negative control, for mixup: the cross-entropy
 * against the unmixed labels after the mixed forward. */
static void unmixed_target_grad(Model *m, float *out) {
    BdRng rng = m->rng0;
    bd_reg_before_forward(m->r, m->g, m->n, &rng);
    bd_graph_forward(m->g, m->x, m->n, BD_TRAIN, 0);
    bd_graph_zero_grads(m->g);
    int K = m->g->nodes[m->g->output].shape.c;
    bd_softmax_xent(bd_graph_out(m->g, m->g->output), K, m->n, m->y, NULL, bd_graph_grad(m->g, m->g->output), 1.0f,
                    NULL);
    bd_graph_set_mix(m->g, -1, 0.0f, NULL);
    bd_graph_backward(m->g);
    memcpy(out, m->g->grads, m->g->n_params * sizeof *out);
}

typedef struct DirResult {
    double numeric, analytic;
} DirResult;

/* Along v = grad/||grad|| + xi/||xi|| (xi from seed). */
static DirResult direction(Model *m, const float *grad, const float *theta0, uint64_t seed, double eps) {
    const size_t P = m->g->n_params;
    float *v = malloc(P * sizeof *v);
    fill_normal(v, P, seed);
    double nx = 0, ng = 0;
    for (size_t i = 0; i < P; i++) {
        nx += (double)v[i] * v[i];
        ng += (double)grad[i] * grad[i];
    }
    nx = sqrt(nx);
    ng = sqrt(ng);
    DirResult d = {0, 0};
    for (size_t i = 0; i < P; i++) {
        v[i] = (float)(v[i] / nx + grad[i] / ng);
        d.analytic += (double)grad[i] * v[i];
    }
    for (size_t i = 0; i < P; i++) m->g->params[i] = theta0[i] + (float)eps * v[i];
    double fp = loss_at(m);
    for (size_t i = 0; i < P; i++) m->g->params[i] = theta0[i] - (float)eps * v[i];
    double fm = loss_at(m);
    memcpy(m->g->params, theta0, P * sizeof *theta0);
    d.numeric = (fp - fm) / (2 * eps);
    free(v);
    return d;
}

#define RTOL 1e-2
#define EPS 2.5e-4

static double err_over_tol(DirResult d) { return fabs(d.numeric - d.analytic) / (RTOL * fabs(d.analytic) + 1e-6); }

/* Checks one model + regularizer; returns the worst err/tol. */
static double check_model(const char *arch, BdShape in, const char *reg, int n, int is_mixup) {
    const int K = 3;
    Model m = {make_model(arch, in, K, n, 13), NULL, NULL, NULL, n, {{0}}};
    m.r = make_reg(reg, m.g);
    BdReg *plain = make_reg("none", m.g);
    if (!m.r || !plain) return INFINITY;
    m.x = malloc(input_len(m.g, n) * sizeof *m.x);
    fill_normal(m.x, input_len(m.g, n), 99);
    m.y = malloc((size_t)n * sizeof *m.y);
    for (int i = 0; i < n; i++) m.y[i] = (i * 7) % K;
    bd_rng_seed(&m.rng0, 6);

    const size_t P = m.g->n_params;
    float *theta0 = malloc(P * sizeof *theta0), *grad = malloc(P * sizeof *grad), *wrong = malloc(P * sizeof *wrong);
    memcpy(theta0, m.g->params, P * sizeof *theta0);
    BdLossParts parts;
    grad_at(&m, grad, &parts);
    CHECK_MSG(is_mixup || parts.reg != 0.0f, "%s on %s: the term is 0", reg, arch);
    if (is_mixup) {
        unmixed_target_grad(&m, wrong);
    } else {
        /* the term's gradient 10% too large: CE's gradient + 1.1 x the term's */
        BdReg *keep = m.r;
        m.r = plain;
        grad_at(&m, wrong, &parts);
        m.r = keep;
        for (size_t i = 0; i < P; i++) wrong[i] += 1.1f * (grad[i] - wrong[i]);
    }
    double worst = 0, caught = INFINITY;
    for (int k = 0; k < DIRECTIONS; k++) {
        DirResult d = direction(&m, grad, theta0, 500 + k, EPS);
        double err = err_over_tol(d);
        CHECK_MSG(err <= 1.0, "%s on %s, direction %d: numeric %.7g analytic %.7g", reg, arch, k, d.numeric,
                  d.analytic);
        worst = fmax(worst, err);
        caught = fmin(caught, err_over_tol(direction(&m, wrong, theta0, 500 + k, EPS)));
    }
    CHECK_MSG(caught > 1.0, "%s on %s: the negative control passed (err/tol %.3g)", reg, arch, caught);
    printf("  %-32s %-58s worst err/tol %.3f, negative control %.1f\n", arch, reg, worst, caught);
    free(theta0);
    free(grad);
    free(wrong);
    free(m.x);
    free(m.y);
    bd_reg_free(m.r);
    bd_reg_free(plain);
    bd_graph_free(m.g);
    return worst;
}

int main(void) {
    const char *regs[] = {
        "logit-squeeze(weight=0.5)",
        "contrastive(margin=1,weight=1)",
        "snnl(layers=[stage1,penultimate],temperature=10,weight=2)",
        "snnl(layers=[stage2],temperature=5,weight=-1)",
        "manifold-mixup(alpha=1,layers=[stage1])",
    };
    const struct {
        const char *arch;
        BdShape in;
        int n;
    } models[] = {
        {"cnn-small(conv1=3,conv2=4,fc=6)", {1, 8, 8}, 8},
        {"resnet20(blocks=1,width=4)", {3, 8, 8}, 8},
    };
    for (size_t a = 0; a < sizeof models / sizeof *models; a++)
        for (size_t k = 0; k < sizeof regs / sizeof *regs; k++)
            check_model(models[a].arch, models[a].in, regs[k], models[a].n, !strncmp(regs[k], "manifold", 8));
    return check_result("whole-model gradient checks");
}
