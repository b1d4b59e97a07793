/* The regularizer terms on their own inputs: hand-computed values on tiny
 * cases, finite-difference checks of each term's gradient with respect to
 * the representation it reads (written directly into the tagged node, so the
 * check sees the term alone), the edge cases (d = 0, zero features, samples
 * without a same-class partner), and the refusals of unknown layers.
 *
 * The model is a tiny cnn-small whose tagged nodes have the shapes of every
 * kind of representation: stage1 [2, n, 4, 4], stage2 [3, n, 2, 2] (CNHW
 * with H, W > 1), penultimate [F, n, 1, 1], logits [K, n]. */
#include "regtest.h"

typedef struct TermCtx {
    BdReg *r;
    BdGraph *g;
    const int *labels;
    int n;
} TermCtx;

static double term_value(void *ctx) {
    TermCtx *c = ctx;
    bd_graph_zero_grads(c->g);
    return c->r->impl->term(c->r, c->g, c->labels, c->n);
}

/* A forward on random input sets the batch size; the caller then overwrites
 * tagged outputs with the values it wants the term to see. */
static BdGraph *tiny_cnn(int fc, int classes, int n) {
    char arch[96];
    snprintf(arch, sizeof arch, "cnn-small(conv1=2,conv2=3,fc=%d)", fc);
    BdGraph *g = make_model(arch, (BdShape){1, 8, 8}, classes, n, 17);
    float *x = malloc(input_len(g, n) * sizeof *x);
    fill_normal(x, input_len(g, n), 5);
    bd_graph_forward(g, x, n, BD_TRAIN, 1);
    free(x);
    return g;
}

static float *node_out(BdGraph *g, const char *tag) { return bd_graph_out(g, bd_graph_find_tag(g, tag)); }
static size_t node_len(BdGraph *g, const char *tag, int n) { return bd_rows_dim(g, bd_graph_find_tag(g, tag)) * n; }

/* The term's gradient on a tagged node (copied: the FD evaluations reuse the buffer). */
static float *term_grad(TermCtx *c, const char *tag) {
    term_value(c);
    size_t len = node_len(c->g, tag, c->n);
    float *ana = malloc(len * sizeof *ana);
    memcpy(ana, bd_graph_grad(c->g, bd_graph_find_tag(c->g, tag)), len * sizeof *ana);
    return ana;
}

static int fd_node(TermCtx *c, const char *tag, double eps, double rtol, double atol, const char *label) {
    float *ana = term_grad(c, tag);
    double worst;
    int failed = fd_check(label, node_out(c->g, tag), ana, node_len(c->g, tag, c->n), term_value, c, eps, rtol, atol,
                          &worst);
    printf("  %-44s worst err/tol %.3f\n", label, worst);
    free(ana);
    return failed;
}

/* ---- logit squeezing ------------------------------------------------------- */

static void test_logit_squeeze(void) {
    BdGraph *g = tiny_cnn(5, 3, 2);
    BdReg *r = make_reg("logit-squeeze(weight=0.1)", g);
    int labels[2] = {0, 1};
    /* z_0 = (1, 2, -1), z_1 = (0, 3, 4) in [K, n]: ||z_0||^2 = 6, ||z_1||^2 = 25,
     * 0.1 * (6 + 25) / 2 = 1.55; gradient 2 * 0.1 * z / 2 = 0.1 z. */
    const float z[6] = {1, 0, 2, 3, -1, 4};
    memcpy(node_out(g, "logits"), z, sizeof z);
    TermCtx c = {r, g, labels, 2};
    CHECK_NEAR(term_value(&c), 1.55, 1e-6);
    const float *dz = bd_graph_grad(g, g->output);
    for (int i = 0; i < 6; i++) CHECK_NEAR(dz[i], 0.1 * z[i], 1e-7);
    /* through bd_reg_loss: the term is reported apart from the cross-entropy */
    bd_graph_zero_grads(g);
    BdLossParts parts;
    float total = bd_reg_loss(r, g, labels, 2, &parts);
    CHECK_NEAR(parts.reg, 1.55, 1e-6);
    CHECK(parts.ce > 0 && fabs(total - (parts.ce + parts.reg)) < 1e-6);
    bd_reg_free(r);
    bd_graph_free(g);

    g = tiny_cnn(5, 4, 6);
    r = make_reg("logit-squeeze(weight=0.7)", g);
    int lab6[6] = {0, 1, 2, 3, 0, 1};
    fill_normal(node_out(g, "logits"), node_len(g, "logits", 6), 3);
    c = (TermCtx){r, g, lab6, 6};
    CHECK(fd_node(&c, "logits", 1e-2, 1e-3, 1e-3, "logit-squeeze d/dlogits") == 0);
    bd_reg_free(r);
    bd_graph_free(g);
}

/* ---- contrastive ----------------------------------------------------------- */

static void test_contrastive_hand(void) {
    BdGraph *g = tiny_cnn(2, 3, 3);
    BdReg *r = make_reg("contrastive(margin=1.5,weight=0.5)", g);
    /* p = (3,4), (0,2), (-1,0) -> f = (0.6,0.8), (0,1), (-1,0); labels 0, 0, 1.
     *   (0,1) same:      d^2 = 0.36 + 0.04 = 0.4
     *   (0,2) different: d^2 = 1.6^2 + 0.8^2 = 3.2, d = 1.789 > 1.5: 0
     *   (1,2) different: d^2 = 2, d = 1.41421, (1.5 - 1.41421)^2 = 0.0073593
     * mean over the 3 pairs = 0.1357864, times 0.5 = 0.0678932. */
    const float p[6] = {3, 0, -1, 4, 2, 0}; /* [F=2, n=3] */
    int labels[3] = {0, 0, 1};
    memcpy(node_out(g, "penultimate"), p, sizeof p);
    TermCtx c = {r, g, labels, 3};
    CHECK_NEAR(term_value(&c), 0.0678932188, 2e-7);
    CHECK(fd_node(&c, "penultimate", 1e-3, 1e-3, 1e-3, "contrastive hand case d/dp") == 0);

    /* d = 0 between two classes: identical features. The pair is worth
     * m^2 = 1 and its subgradient is 0; central differences agree (the value
     * is symmetric around d = 0: 1 - 2|t| + t^2 for a move of t). */
    const float same[6] = {1, 1, 0, 0, 0, 0};
    int diff_labels[3] = {0, 1, 0};
    memcpy(node_out(g, "penultimate"), same, sizeof same);
    c.n = 2;
    c.labels = diff_labels;
    bd_reg_free(c.r);
    c.r = r = make_reg("contrastive(margin=1,weight=1)", g);
    CHECK_NEAR(term_value(&c), 1.0, 1e-6);
    const float *dp = bd_graph_grad(g, bd_graph_find_tag(g, "penultimate"));
    for (int i = 0; i < 4; i++) CHECK(dp[i] == 0.0f);
    CHECK(fd_node(&c, "penultimate", 1e-3, 1e-3, 1e-3, "contrastive at d = 0") == 0);

    /* A zero feature vector is the origin and gets no gradient:
     * p = (0,0), (1,0), (0,1), labels 0, 0, 1, m = 1: the same-class pair is
     * at d^2 = 1, the others at d >= 1 = m: (1 + 0 + 0) / 3. */
    const float zero[6] = {0, 1, 0, 0, 0, 1};
    memcpy(node_out(g, "penultimate"), zero, sizeof zero);
    c.n = 3;
    c.labels = labels;
    CHECK_NEAR(term_value(&c), 1.0 / 3.0, 1e-6);
    dp = bd_graph_grad(g, bd_graph_find_tag(g, "penultimate"));
    CHECK(dp[0] == 0.0f && dp[3] == 0.0f); /* sample 0's two features */
    for (int i = 0; i < 6; i++) CHECK(isfinite(dp[i]));

    /* One sample: no pair, no term. */
    c.n = 1;
    CHECK(term_value(&c) == 0.0);
    bd_reg_free(r);
    bd_graph_free(g);
}

static void test_contrastive_fd(void) {
    const int n = 8;
    BdGraph *g = tiny_cnn(5, 3, n);
    BdReg *r = make_reg("contrastive(margin=1.2,weight=0.8)", g);
    int labels[8] = {0, 1, 2, 0, 1, 2, 0, 1};
    float *p = node_out(g, "penultimate");
    fill_normal(p, node_len(g, "penultimate", n), 11);
    /* sample 7 close to sample 0 (different classes, d ~ 0.03): the pair that
     * is recomputed exactly and whose hinge gradient turns fastest */
    for (int f = 0; f < 5; f++) p[f * n + 7] = p[f * n + 0] * 1.02f + 0.01f * (float)(f - 2);
    TermCtx c = {r, g, labels, n};
    double v = term_value(&c);
    CHECK(isfinite(v) && v > 0);
    CHECK(fd_node(&c, "penultimate", 1e-3, 2e-3, 2e-3, "contrastive d/dp (through the normalisation)") == 0);

    /* Negative control: the same check on a gradient 5% off in one element
     * (of the tensor's scale) fails. */
    float *ana = term_grad(&c, "penultimate");
    double scale = 0;
    for (size_t i = 0; i < node_len(g, "penultimate", n); i++) scale = fmax(scale, fabs(ana[i]));
    ana[9] += (float)(0.05 * scale);
    CHECK(fd_check("(negative control)", p, ana, node_len(g, "penultimate", n), term_value, &c, 1e-3, 2e-3, 2e-3,
                   NULL) > 0);
    free(ana);
    bd_reg_free(r);
    bd_graph_free(g);
}

/* ---- SNNL ----------------------------------------------------------------------- */

static void test_snnl_hand(void) {
    BdGraph *g = tiny_cnn(2, 3, 4);
    /* A=(0,0) B=(1,0) class 0, C=(0,2) D=(3,0) class 1; T = 1.
     * Squared distances AB 1, AC 4, AD 9, BC 5, BD 4, CD 13.
     *   l_A = -log(e^-1 / (e^-1 + e^-4 + e^-9))   = log(1 + e^-3 + e^-8) = 0.050171
     *   l_B = -log(e^-1 / (e^-1 + e^-5 + e^-4))   = log(1 + e^-4 + e^-3) = 0.065261
     *   l_C = -log(e^-13 / (e^-4 + e^-5 + e^-13)) = log(1 + e^9 + e^8)   = 9.313262
     *   l_D = -log(e^-13 / (e^-9 + e^-4 + e^-13)) = log(1 + e^4 + e^9)   = 9.006287
     * mean 4.608745 (T = 2: 2.523176). */
    const float x[8] = {0, 1, 0, 3, 0, 0, 2, 0}; /* [2, n=4] */
    int labels[4] = {0, 0, 1, 1};
    memcpy(node_out(g, "penultimate"), x, sizeof x);
    BdReg *r = make_reg("snnl(weight=1,temperature=1)", g);
    TermCtx c = {r, g, labels, 4};
    CHECK_NEAR(term_value(&c), 4.608745146, 2e-5);
    CHECK(fd_node(&c, "penultimate", 1e-3, 2e-3, 2e-3, "snnl hand case d/dx") == 0);
    bd_reg_free(r);
    c.r = r = make_reg("snnl(weight=-0.5,temperature=2)", g); /* the sign entangles */
    CHECK_NEAR(term_value(&c), -0.5 * 2.523176037, 2e-5);
    bd_reg_free(r);

    /* No partner: A=(0,0) B=(1,0) class 0, C=(0,1) class 1 alone. C is
     * skipped and the mean runs over A and B:
     *   l_A = -log(e^-1 / (e^-1 + e^-1)) = log 2 = 0.693147
     *   l_B = -log(e^-1 / (e^-1 + e^-2)) = log(1 + e^-1) = 0.313262
     * mean 0.503204. C still moves: it is in A's and B's denominators. */
    const float x3[6] = {0, 1, 0, 0, 0, 1};
    int lab3[3] = {0, 0, 1};
    memcpy(node_out(g, "penultimate"), x3, sizeof x3);
    c.r = r = make_reg("snnl(weight=1,temperature=1)", g);
    c.n = 3;
    c.labels = lab3;
    CHECK_NEAR(term_value(&c), 0.503204434, 2e-6);
    const float *dx = bd_graph_grad(g, bd_graph_find_tag(g, "penultimate"));
    CHECK(dx[2] != 0.0f || dx[5] != 0.0f);
    CHECK(fd_node(&c, "penultimate", 1e-3, 2e-3, 2e-3, "snnl with a sample without partner") == 0);

    /* Nobody has a partner (or one sample): 0 and no gradient. */
    int lone[3] = {0, 1, 2};
    c.labels = lone;
    CHECK(term_value(&c) == 0.0);
    dx = bd_graph_grad(g, bd_graph_find_tag(g, "penultimate"));
    for (int i = 0; i < 6; i++) CHECK(dx[i] == 0.0f);
    c.n = 1;
    CHECK(term_value(&c) == 0.0);
    bd_reg_free(r);
    bd_graph_free(g);
}

static void test_snnl_fd(void) {
    const int n = 6;
    BdGraph *g = tiny_cnn(5, 3, n);
    int labels[6] = {0, 1, 0, 1, 2, 2};
    const char *tags[3] = {"stage1", "stage2", "penultimate"};
    for (int t = 0; t < 3; t++) {
        float *o = node_out(g, tags[t]);
        size_t len = node_len(g, tags[t], n);
        fill_normal(o, len, 40 + t);
        for (size_t i = 0; i < len; i++) o[i] *= 0.5f;
    }
    /* one layer, at a temperature where the weights are soft and one where
     * the nearest neighbour dominates */
    BdReg *r = make_reg("snnl(temperature=4,weight=1)", g);
    TermCtx c = {r, g, labels, n};
    double pen = term_value(&c);
    CHECK(fd_node(&c, "penultimate", 1e-3, 2e-3, 2e-3, "snnl [penultimate] T=4") == 0);
    bd_reg_free(r);
    c.r = r = make_reg("snnl(layers=[stage1],temperature=1,weight=1)", g);
    double st1 = term_value(&c);
    CHECK(isfinite(st1) && st1 > 0);
    CHECK(fd_node(&c, "stage1", 1e-3, 2e-3, 2e-3, "snnl [stage1] (CNHW, 2x4x4) T=1") == 0);
    bd_reg_free(r);

    /* several layers: the terms add, and each layer gets its own gradient */
    c.r = r = make_reg("snnl(layers=[stage1,stage2,penultimate],temperature=4,weight=0.5)", g);
    double all = term_value(&c);
    BdReg *r2 = make_reg("snnl(layers=[stage2],temperature=4,weight=0.5)", g);
    BdReg *r1 = make_reg("snnl(layers=[stage1],temperature=4,weight=0.5)", g);
    TermCtx c1 = {r1, g, labels, n}, c2 = {r2, g, labels, n};
    CHECK_NEAR(all, term_value(&c1) + term_value(&c2) + 0.5 * pen, 1e-5);
    for (int t = 0; t < 3; t++) {
        char label[64];
        snprintf(label, sizeof label, "snnl 3 layers d/d%s", tags[t]);
        CHECK(fd_node(&c, tags[t], 4e-3, 2e-3, 2e-3, label) == 0);
    }
    /* negative control: 5% of the scale added to one element is caught */
    float *ana = term_grad(&c, "stage2");
    double scale = 0;
    for (size_t i = 0; i < node_len(g, "stage2", n); i++) scale = fmax(scale, fabs(ana[i]));
    ana[7] += (float)(0.05 * scale);
    CHECK(fd_check("(negative control)", node_out(g, "stage2"), ana, node_len(g, "stage2", n), term_value, &c, 1e-3,
                   2e-3, 2e-3, NULL) > 0);
    free(ana);
    bd_reg_free(r);
    bd_reg_free(r1);
    bd_reg_free(r2);

    /* "input" has no parameter below it: a value, and no gradient written */
    c.r = r = make_reg("snnl(layers=[input],weight=1)", g);
    double v = term_value(&c);
    CHECK(isfinite(v) && v > 0);
    CHECK(g->nodes[bd_graph_find_tag(g, "input")].grad_live == 0);
    bd_reg_free(r);
    bd_graph_free(g);
}

/* ---- refusals ---------------------------------------------------------------------- */

static void expect_make_error(BdGraph *g, const char *text, const char *a, const char *b) {
    BdSpec s;
    BdError err = {0};
    BdReg *r = NULL;
    CHECK_MSG(reg_spec(text, &s, &err) == 0, "%s", err.msg);
    CHECK_MSG(bd_reg_make(&s, g, &r, &err) < 0, "%s was accepted", text);
    CHECK_CONTAINS(err.msg, a);
    if (b) CHECK_CONTAINS(err.msg, b);
    CHECK(r == NULL);
}

static void test_unknown_layers(void) {
    BdGraph *g = tiny_cnn(5, 3, 2);
    expect_make_error(g, "snnl(layers=[penultimate,stage9])",
                      "regularizer snnl: layer 'stage9' (in layers) is not a layer of this model",
                      "its layers are: input, stage1, stage2, penultimate, logits");
    expect_make_error(g, "manifold-mixup(layers=[stage7])",
                      "regularizer manifold-mixup: layer 'stage7' (in layers) is not a layer of this model",
                      "its layers are: input, stage1, stage2, penultimate, logits");
    expect_make_error(g, "manifold-mixup(layers=[stage1,penultimate])",
                      "layer 'penultimate' (in layers) is not a mixing point of this model",
                      "its mixing points are: input, stage1, stage2");
    bd_graph_free(g);

    /* a NASNet boundary's older state is mixed through its boundary */
    g = make_model("nasnet-a-cifar(cells=1,filters=4)", (BdShape){3, 8, 8}, 3, 2, 1);
    expect_make_error(g, "manifold-mixup(layers=[stage2.prev])",
                      "layer 'stage2.prev' (in layers) is mixed together with 'stage2'", "name 'stage2'");
    bd_graph_free(g);

    /* a graph without the representation the contrastive loss reads */
    g = bd_graph_new((BdShape){2, 1, 1}, 2);
    bd_graph_set_output(g, bd_linear(g, bd_flatten(g, bd_input(g)), 3, "fc"));
    BdError err;
    CHECK(bd_graph_finalize(g, &err) == 0);
    expect_make_error(g, "contrastive",
                      "regularizer contrastive: layer 'penultimate' (read by the contrastive loss) is not a layer "
                      "of this model; its layers are: (none)",
                      NULL);
    expect_make_error(g, "manifold-mixup", "regularizer manifold-mixup: this model has no mixing point", NULL);
    bd_graph_free(g);

    /* spec-level rules, at plan time */
    BdSpec s;
    CHECK(reg_spec("snnl(layers=[])", &s, &err) < 0);
    CHECK_CONTAINS(err.msg, "snnl: layers is empty; expected at least one tagged layer");
    CHECK(reg_spec("snnl(layers=[stage1,penultimate,stage1])", &s, &err) < 0);
    CHECK_CONTAINS(err.msg, "snnl: layers names 'stage1' twice");
    CHECK(reg_spec("manifold-mixup(layers=[input,input])", &s, &err) < 0);
    CHECK_CONTAINS(err.msg, "manifold-mixup: layers names 'input' twice");
}

int main(void) {
    test_logit_squeeze();
    test_contrastive_hand();
    test_contrastive_fd();
    test_snnl_hand();
    test_snnl_fd();
    test_unknown_layers();
    return check_result("regularizer terms");
}
