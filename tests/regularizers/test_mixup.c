/* Manifold mixup and the engine's mixing:
 *   - mixing groups (bd_mix_with): every MIX node of the group mixes with the
 *     same lambda and permutation, a finite-difference check of the group,
 *     and a head that is not a MIX node aborts;
 *   - NASNet: both states crossing a stack boundary are mixed;
 *   - the mixed cross-entropy against lambda y + (1 - lambda) y[perm], its
 *     gradient with respect to the logits, and the gradient through a mixed
 *     hidden layer with respect to the input and every parameter;
 *   - alpha -> 0: the step's parameter gradients are plain training's;
 *   - mixing never leaks into an evaluation or a later forward. */
#include <sys/wait.h>
#include <unistd.h>

#include "regtest.h"
#include "../nn/gradcheck.h"

/* ---- the engine: mixing groups ------------------------------------------------ */

/* input [2,3,3] -> conv a -> MIX "stage1"; input -> conv b -> MIX joined to
 * stage1 ("stage1.prev"); a + b -> flatten -> fc. */
static BdGraph *group_net(int n, int *head, int *follower) {
    BdGraph *g = bd_graph_new((BdShape){2, 3, 3}, n);
    g->all_views = 1; /* the test reads the mix nodes' inputs */
    int x = bd_input(g);
    *head = bd_mix(g, bd_conv(g, x, 2, 1, 1, 0, 1, 1, "a"), "mix_a");
    bd_graph_tag(g, *head, "stage1");
    int b = bd_conv(g, x, 2, 3, 1, 1, 1, 1, "b");
    *follower = bd_mix_with(g, b, *head, "mix_b");
    bd_graph_tag(g, *follower, "stage1.prev");
    int y = bd_linear(g, bd_flatten(g, bd_add(g, *head, *follower)), 3, "fc");
    bd_graph_set_output(g, y);
    BdError err;
    if (bd_graph_finalize(g, &err) < 0) abort();
    bd_graph_init_params(g, 9);
    return g;
}

static void test_engine_groups(void) {
    const int n = 4;
    int head, fol;
    BdGraph *g = group_net(n, &head, &fol);
    float x[2 * 4 * 9], y_plain[3 * 4];
    fill_normal(x, sizeof x / sizeof *x, 21);
    int perm[4] = {2, 0, 3, 1};
    bd_graph_forward(g, x, n, BD_TRAIN, 0);
    memcpy(y_plain, bd_graph_out(g, g->output), sizeof y_plain);
    CHECK(!g->nodes[head].mixed && !g->nodes[fol].mixed);

    /* activating the head mixes the follower with the same lambda and perm */
    bd_graph_set_mix(g, head, 0.3f, perm);
    bd_graph_forward(g, x, n, BD_TRAIN, 0);
    CHECK(g->nodes[head].mixed && g->nodes[fol].mixed);
    const BdNode *f = &g->nodes[fol];
    const float *fin = bd_graph_out(g, f->in[0]), *fout = bd_graph_out(g, fol);
    int bad = 0;
    for (int c = 0; c < 2; c++)
        for (int b = 0; b < n; b++)
            for (int p = 0; p < 9; p++) {
                float want = 0.3f * fin[(c * n + b) * 9 + p] + 0.7f * fin[(c * n + perm[b]) * 9 + p];
                bad += fabsf(fout[(c * n + b) * 9 + p] - want) > 1e-6f;
            }
    CHECK(bad == 0);
    /* and naming the follower activates the whole group too */
    bd_graph_set_mix(g, fol, 0.3f, perm);
    bd_graph_forward(g, x, n, BD_TRAIN, 0);
    CHECK(g->nodes[head].mixed && g->nodes[fol].mixed);
    /* an evaluation never mixes, even with mixing set */
    bd_graph_forward(g, x, n, BD_EVAL, 0);
    CHECK(!g->nodes[head].mixed && !g->nodes[fol].mixed);
    /* off */
    bd_graph_set_mix(g, -1, 0.0f, NULL);
    bd_graph_forward(g, x, n, BD_TRAIN, 0);
    CHECK(!g->nodes[head].mixed && !g->nodes[fol].mixed);
    CHECK(memcmp(y_plain, bd_graph_out(g, g->output), sizeof y_plain) == 0);

    /* the group's backward: input and parameter gradients by finite differences */
    bd_graph_set_input_grad(g, 1);
    bd_graph_set_mix(g, head, 0.3f, perm);
    GcOpts o = gc_defaults();
    double worst;
    CHECK(gradcheck(g, x, n, &o, "mixing group (active)", &worst) == 0);
    printf("  %-44s worst err/tol %.3f\n", "mixing group (active)", worst);
    /* negative control: a 5% error in one element of conv b's weight gradient */
    o.corrupt_tensor = bd_graph_find_param(g, "b.weight");
    o.corrupt_index = 5;
    o.corrupt_frac = 0.05;
    o.quiet = 1;
    CHECK(gradcheck(g, x, n, &o, "corrupted", NULL) > 0);
    bd_graph_free(g);
}

static void mix_with_a_conv(void) {
    BdGraph *g = bd_graph_new((BdShape){1, 4, 4}, 1);
    int x = bd_input(g);
    int c = bd_conv(g, x, 1, 1, 1, 0, 1, 0, "c");
    bd_mix_with(g, x, c, "m");
}

static void test_mix_with_abort(void) {
    int pipefd[2];
    if (pipe(pipefd) < 0) abort();
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pipefd[1], 2);
        mix_with_a_conv();
        _exit(0);
    }
    close(pipefd[1]);
    char buf[1024] = {0};
    ssize_t got = read(pipefd[0], buf, sizeof buf - 1);
    (void)got;
    close(pipefd[0]);
    int status;
    waitpid(pid, &status, 0);
    CHECK(WIFSIGNALED(status));
    CHECK_CONTAINS(buf, "mix 'm'): the head node 1 is not a mix node");
}

/* ---- NASNet: every state crossing a boundary is mixed ------------------------ */

static void test_nasnet_boundaries(void) {
    BdGraph *g = make_model("nasnet-a-cifar(cells=1,filters=4)", (BdShape){3, 8, 8}, 3, 4, 1);
    /* cifar stem: one state crosses stage1; stage4 feeds only the classifier */
    CHECK(bd_graph_find_tag(g, "stage2.prev") >= 0 && bd_graph_find_tag(g, "stage3.prev") >= 0);
    CHECK(bd_graph_find_tag(g, "stage1.prev") < 0 && bd_graph_find_tag(g, "stage4.prev") < 0);
    for (int k = 2; k <= 3; k++) {
        char tag[32], prev[32];
        snprintf(tag, sizeof tag, "stage%d", k);
        snprintf(prev, sizeof prev, "stage%d.prev", k);
        int h = bd_graph_find_tag(g, tag), p = bd_graph_find_tag(g, prev);
        CHECK(g->nodes[p].op == BD_OP_MIX && g->nodes[p].mix_head == h);
        /* the older state is read by the next cell: some node after the boundary reads the follower */
        int readers = 0;
        for (int i = p + 1; i < g->n_nodes; i++)
            for (int j = 0; j < g->nodes[i].n_in; j++) readers += g->nodes[i].in[j] == p;
        CHECK(readers > 0);
        float x[3 * 4 * 64];
        fill_normal(x, sizeof x / sizeof *x, 3);
        int perm[4] = {1, 2, 3, 0};
        bd_graph_set_mix(g, h, 0.25f, perm);
        bd_graph_forward(g, x, 4, BD_TRAIN, 0);
        CHECK(g->nodes[h].mixed && g->nodes[p].mixed);
        bd_graph_set_mix(g, -1, 0.0f, NULL);
    }
    bd_graph_free(g);
    /* the imagenet stem: two states cross stage1 too */
    g = make_model("nasnet-a-mobile(cells=1,filters=4)", (BdShape){3, 19, 19}, 3, 2, 1);
    int h = bd_graph_find_tag(g, "stage1"), p = bd_graph_find_tag(g, "stage1.prev");
    CHECK(p >= 0 && g->nodes[p].mix_head == h);
    CHECK(bd_graph_find_tag(g, "stage4.prev") < 0);
    bd_graph_free(g);
}

/* ---- the mixed cross-entropy ------------------------------------------------------ */

typedef struct LossCtx {
    BdReg *r;
    BdGraph *g;
    const int *labels;
    int n;
    const float *x;  /* NULL: evaluate on the current outputs (no forward) */
    BdRng rng0;      /* re-arms the same mix before each forward */
} LossCtx;

static double ce_value(void *ctx) {
    LossCtx *c = ctx;
    BdLossParts parts;
    if (c->x) {
        BdRng rng = c->rng0;
        bd_reg_before_forward(c->r, c->g, c->n, &rng);
        bd_graph_forward(c->g, c->x, c->n, BD_TRAIN, 0);
    }
    bd_graph_zero_grads(c->g);
    return bd_reg_loss(c->r, c->g, c->labels, c->n, &parts);
}

static void test_mixed_ce_logits(void) {
    const int n = 6, K = 4;
    BdGraph *g = make_model("cnn-small(conv1=2,conv2=3,fc=5)", (BdShape){1, 8, 8}, K, n, 2);
    BdReg *r = make_reg("manifold-mixup(alpha=1,layers=[stage1])", g);
    float x[64 * 6];
    fill_normal(x, sizeof x / sizeof *x, 8);
    int labels[6] = {0, 1, 2, 3, 0, 1};
    BdRng rng;
    bd_rng_seed(&rng, 77);
    bd_reg_before_forward(r, g, n, &rng);
    const float lam = g->mix_lambda;
    int perm[6];
    memcpy(perm, g->mix_perm_src, sizeof perm);
    CHECK(g->mix_node == bd_graph_find_tag(g, "stage1"));
    CHECK(lam > 0.05f && lam < 0.95f); /* a real mix (Beta(1,1) draw of this seed) */
    bd_graph_forward(g, x, n, BD_TRAIN, 0);
    bd_graph_zero_grads(g);
    BdLossParts parts;
    float loss = bd_reg_loss(r, g, labels, n, &parts);
    CHECK(g->mix_node == -1); /* consumed */
    /* cross-entropy is linear in the targets:
     * CE(z, lam y + (1-lam) y[perm]) = lam CE(z, y) + (1-lam) CE(z, y[perm]) */
    const float *z = bd_graph_out(g, g->output);
    int yp[6];
    for (int b = 0; b < n; b++) yp[b] = labels[perm[b]];
    double want = lam * bd_softmax_xent(z, K, n, labels, NULL, NULL, 1, NULL) +
                  (1 - lam) * bd_softmax_xent(z, K, n, yp, NULL, NULL, 1, NULL);
    CHECK_NEAR(parts.ce, want, 1e-5);
    CHECK(parts.reg == 0.0f && loss == parts.ce);
    int pred[6], right = 0;
    bd_argmax(z, K, n, pred);
    for (int b = 0; b < n; b++) right += pred[b] == labels[b];
    CHECK(parts.correct == right); /* against the unmixed labels */

    /* d CE / d logits: the outputs stay, the MIX node still records the mix */
    float ana[4 * 6];
    memcpy(ana, bd_graph_grad(g, g->output), sizeof ana);
    LossCtx c = {r, g, labels, n, NULL, rng};
    double worst;
    CHECK(fd_check("mixed CE d/dlogits", bd_graph_out(g, g->output), ana, (size_t)K * n, ce_value, &c, 1e-2, 1e-3,
                   1e-3, &worst) == 0);
    printf("  %-44s worst err/tol %.3f\n", "mixed CE d/dlogits", worst);
    bd_reg_free(r);
    bd_graph_free(g);
}

/* A smooth network (no ReLU or max-pool kinks) with mixing points, so that
 * central differences through the mix are exact up to float rounding. */
static BdGraph *smooth_net(int n) {
    BdGraph *g = bd_graph_new((BdShape){2, 4, 4}, n);
    int x = bd_mix(g, bd_input(g), "mix_input");
    bd_graph_tag(g, x, "input");
    x = bd_bn(g, bd_conv(g, x, 3, 3, 1, 1, 1, 0, "c1"), "bn1");
    x = bd_mix(g, x, "mix_stage1");
    bd_graph_tag(g, x, "stage1");
    x = bd_bn(g, bd_conv(g, x, 4, 3, 2, 1, 1, 1, "c2"), "bn2");
    x = bd_gap(g, x);
    bd_graph_tag(g, x, "penultimate");
    x = bd_linear(g, x, 3, "fc");
    bd_graph_tag(g, x, "logits");
    bd_graph_set_output(g, x);
    BdError err;
    if (bd_graph_finalize(g, &err) < 0) abort();
    bd_graph_set_input_grad(g, 1);
    bd_graph_init_params(g, 4);
    return g;
}

static void test_mixed_hidden_fd(void) {
    const int n = 5;
    BdGraph *g = smooth_net(n);
    BdReg *r = make_reg("manifold-mixup(alpha=1,layers=[stage1])", g);
    float x[2 * 16 * 5];
    fill_normal(x, sizeof x / sizeof *x, 12);
    int labels[5] = {0, 1, 2, 0, 1};
    LossCtx c = {r, g, labels, n, x, {{0}}};
    bd_rng_seed(&c.rng0, 5);
    ce_value(&c);
    CHECK(g->nodes[bd_graph_find_tag(g, "stage1")].mixed);
    bd_graph_backward(g);
    const size_t lx = sizeof x / sizeof *x;
    float *gx = malloc(lx * sizeof *gx), *gp = malloc(g->n_params * sizeof *gp);
    memcpy(gx, bd_graph_grad(g, 0), lx * sizeof *gx);
    memcpy(gp, g->grads, g->n_params * sizeof *gp);
    double worst, all = 0;
    CHECK(fd_check("mixed at stage1: d/dinput", x, gx, lx, ce_value, &c, 1e-2, 2e-3, 2e-3, &worst) == 0);
    all = fmax(all, worst);
    for (int t = 0; t < g->n_param_info; t++) {
        const BdParam *p = &g->param_info[t];
        char label[128];
        snprintf(label, sizeof label, "mixed at stage1: d/d%s", p->name);
        CHECK(fd_check(label, g->params + p->off, gp + p->off, p->len, ce_value, &c, 1e-2, 2e-3, 2e-3, &worst) == 0);
        all = fmax(all, worst);
    }
    printf("  %-44s worst err/tol %.3f\n", "mixed CE through a mixed hidden layer", all);
    /* negative control: one input gradient element 5% of the scale off */
    double scale = 0;
    for (size_t i = 0; i < lx; i++) scale = fmax(scale, fabs(gx[i]));
    gx[3] += (float)(0.05 * scale);
    CHECK(fd_check("(negative control)", x, gx, lx, ce_value, &c, 1e-2, 2e-3, 2e-3, NULL) > 0);
    free(gx);
    free(gp);
    bd_reg_free(r);
    bd_graph_free(g);
}

/* ---- alpha -> 0 is plain training ---------------------------------------------------
 *
 * With alpha = 1e-4, Beta(alpha, alpha) puts lambda at 0 or 1 (in float) but
 * for a vanishing fraction of draws. lambda = 1 mixes nothing: 1*h + 0*h[perm]
 * is h bit for bit, the targets are the labels, so the step is plain training
 * exactly. lambda = 0 replaces the batch from the mixing point on by its
 * permutation h[perm] with targets y[perm]: the mean loss and batch norm's
 * statistics do not depend on the order of the samples, and the backward
 * sends each sample's gradient back to where it came from, so the parameter
 * gradients are plain training's up to the order of float sums. A boundary
 * state that escaped the mixing (the NASNet gap) would be paired with the
 * wrong samples and break the equality: the negative control below. */

/* Arms r on g from successive streams until the step's lambda is `want`. */
static int arm_with_lambda(BdReg *r, BdGraph *g, int n, float want) {
    for (uint64_t s = 0; s < 400; s++) {
        BdRng rng;
        bd_rng_stream(&rng, 2024, "alpha0", s);
        bd_reg_before_forward(r, g, n, &rng);
        int moved = 0;
        for (int i = 0; i < n; i++) moved += g->mix_perm_src[i] != i;
        if (g->mix_lambda == want && moved) return 1;
    }
    return 0;
}

/* max over parameter tensors of max|a - b| / max|b|, with max|b| at least
 * 1% of the largest gradient of the model: a tensor whose gradient is far
 * below that holds mostly rounding noise (NASNet's one-channel stem cells
 * at filters=4, behind batch norm, have gradients of 1e-8..1e-5). */
static double grad_mismatch(const BdGraph *a, const BdGraph *b) {
    double worst = 0, global = 0;
    for (size_t i = 0; i < b->n_params; i++) global = fmax(global, fabs(b->grads[i]));
    for (int t = 0; t < b->n_param_info; t++) {
        const BdParam *p = &b->param_info[t];
        double scale = 0, diff = 0;
        for (size_t i = 0; i < p->len; i++) {
            scale = fmax(scale, fabs(b->grads[p->off + i]));
            diff = fmax(diff, fabs(a->grads[p->off + i] - b->grads[p->off + i]));
        }
        scale = fmax(scale, 1e-2 * global);
        if (scale > 0) worst = fmax(worst, diff / scale);
    }
    return worst;
}

static void step(BdReg *r, BdGraph *g, const float *x, const int *y, int n, BdLossParts *parts) {
    bd_graph_forward(g, x, n, BD_TRAIN, 0);
    bd_graph_zero_grads(g);
    bd_reg_loss(r, g, y, n, parts);
    bd_graph_backward(g);
}

/* break_group: the negative control, the follower of this tag leaves its group */
static double alpha_zero(const char *arch, BdShape in, int K, int n, const char *point, const char *break_group) {
    BdGraph *gm = make_model(arch, in, K, n, 3), *gp = make_model(arch, in, K, n, 3);
    if (break_group) {
        int f = bd_graph_find_tag(gm, break_group);
        gm->nodes[f].mix_head = f;
    }
    char spec[128];
    snprintf(spec, sizeof spec, "manifold-mixup(alpha=0.0001,layers=[%s])", point);
    BdReg *rm = make_reg(spec, gm), *rp = make_reg("none", gp);
    float *x = malloc(input_len(gm, n) * sizeof *x);
    fill_normal(x, input_len(gm, n), 31);
    int y[16];
    for (int i = 0; i < n; i++) y[i] = i % K;
    BdLossParts pm, pp;
    double at_zero = 0;
    step(rp, gp, x, y, n, &pp);
    for (int want = 1; want >= 0; want--) {
        CHECK_MSG(arm_with_lambda(rm, gm, n, (float)want), "%s at %s: no draw gave lambda = %d", arch, point, want);
        step(rm, gm, x, y, n, &pm);
        double mis = grad_mismatch(gm, gp);
        if (want == 0) at_zero = mis;
        if (break_group) {
            if (want == 0) CHECK_MSG(mis > 1e-2, "%s at %s, %s cut off: mismatch %.3g", arch, point, break_group, mis);
            continue;
        }
        if (want == 1) {
            CHECK_MSG(memcmp(gm->grads, gp->grads, gp->n_params * sizeof(float)) == 0,
                      "%s at %s, lambda = 1: gradients differ (%.3g)", arch, point, mis);
            CHECK(pm.ce == pp.ce);
        } else {
            CHECK_MSG(mis < 1e-3, "%s at %s, lambda = 0: gradient mismatch %.3g", arch, point, mis);
            CHECK_NEAR(pm.ce, pp.ce, 1e-5);
        }
    }
    free(x);
    bd_reg_free(rm);
    bd_reg_free(rp);
    bd_graph_free(gm);
    bd_graph_free(gp);
    return at_zero;
}

static void test_alpha_zero(void) {
    double worst = 0;
    const char *points[] = {"input", "stage1", "stage2", "stage3", "stage4"};
    const BdShape rgb = {3, 8, 8};
    for (int i = 0; i < 3; i++)
        worst = fmax(worst, alpha_zero("cnn-small(conv1=3,conv2=4,fc=6)", (BdShape){1, 8, 8}, 3, 6, points[i], NULL));
    for (int i = 0; i < 5; i++)
        worst = fmax(worst, alpha_zero("resnet20(blocks=1,width=4)", rgb, 3, 6, points[i], NULL));
    for (int i = 0; i < 5; i++)
        worst = fmax(worst, alpha_zero("nasnet-a-cifar(cells=1,filters=4)", rgb, 3, 4, points[i], NULL));
    worst = fmax(worst, alpha_zero("nasnet-a-mobile(cells=1,filters=4)", (BdShape){3, 19, 19}, 3, 4, "stage1", NULL));
    printf("  %-44s worst gradient mismatch %.2g (lambda = 1: identical bits)\n", "alpha -> 0 vs plain, lambda = 0",
           worst);
    /* negative control: with the older state left unmixed the equality breaks */
    double cut = alpha_zero("nasnet-a-cifar(cells=1,filters=4)", (BdShape){3, 8, 8}, 3, 4, "stage2", "stage2.prev");
    double cut1 = alpha_zero("nasnet-a-mobile(cells=1,filters=4)", (BdShape){3, 19, 19}, 3, 4, "stage1", "stage1.prev");
    printf("  %-44s mismatch %.2g and %.2g\n", "(negative control: .prev left unmixed)", cut, cut1);
}

/* ---- mixing never leaks -------------------------------------------------------------- */

static int any_mixed(const BdGraph *g) {
    for (int i = 0; i < g->n_nodes; i++)
        if (g->nodes[i].op == BD_OP_MIX && g->nodes[i].mixed) return 1;
    return 0;
}

static void test_no_leak(void) {
    const int n = 6, K = 3;
    BdGraph *g = make_model("cnn-small(conv1=3,conv2=4,fc=6)", (BdShape){1, 8, 8}, K, n, 5);
    BdReg *r = make_reg("manifold-mixup(alpha=1)", g);
    float x[64 * 6];
    fill_normal(x, sizeof x / sizeof *x, 1);
    int y[6] = {0, 1, 2, 0, 1, 2};
    float plain[3 * 6], armed[3 * 6];
    bd_graph_forward(g, x, n, BD_EVAL, 0);
    memcpy(plain, bd_graph_out(g, g->output), sizeof plain);

    /* armed but not yet trained: an evaluation forward does not mix */
    BdRng rng;
    bd_rng_seed(&rng, 3);
    bd_reg_before_forward(r, g, n, &rng);
    CHECK(g->mix_node >= 0);
    bd_graph_forward(g, x, n, BD_EVAL, 0);
    memcpy(armed, bd_graph_out(g, g->output), sizeof armed);
    CHECK(!any_mixed(g));
    CHECK(memcmp(plain, armed, sizeof plain) == 0);

    /* a whole training step: afterwards nothing is left set */
    BdLossParts parts;
    bd_graph_forward(g, x, n, BD_TRAIN, 0);
    CHECK(any_mixed(g));
    bd_graph_zero_grads(g);
    bd_reg_loss(r, g, y, n, &parts);
    bd_graph_backward(g);
    CHECK(g->mix_node == -1);
    /* a later training forward of another batch size (a retraining phase
     * with another regularizer) does not mix, and does not read a stale
     * permutation */
    bd_graph_forward(g, x, 4, BD_TRAIN, 0);
    CHECK(!any_mixed(g));
    /* a loss after an unmixed forward is the plain cross-entropy */
    bd_graph_zero_grads(g);
    float ce = bd_reg_loss(r, g, y, 4, &parts);
    CHECK(ce == bd_softmax_xent(bd_graph_out(g, g->output), K, 4, y, NULL, NULL, 1, NULL));
    bd_reg_free(r);
    bd_graph_free(g);
}

/* The draws: the point is uniform among the defaults (input and every
 * stage<k>, not the ".prev" followers), lambda follows Beta(alpha, alpha). */
static void test_draws(void) {
    BdGraph *g = make_model("nasnet-a-cifar(cells=1,filters=4)", (BdShape){3, 8, 8}, 3, 4, 1);
    BdReg *r = make_reg("manifold-mixup(alpha=2)", g);
    const char *names[5] = {"input", "stage1", "stage2", "stage3", "stage4"};
    int count[5] = {0};
    double sum = 0, sum2 = 0;
    const int N = 5000;
    BdRng rng;
    bd_rng_seed(&rng, 8);
    for (int i = 0; i < N; i++) {
        bd_reg_before_forward(r, g, 4, &rng);
        int k;
        for (k = 0; k < 5; k++)
            if (g->mix_node == bd_graph_find_tag(g, names[k])) break;
        CHECK_MSG(k < 5, "mixed at node %d (%s)", g->mix_node, g->nodes[g->mix_node].tag);
        if (k < 5) count[k]++;
        sum += g->mix_lambda;
        sum2 += (double)g->mix_lambda * g->mix_lambda;
    }
    /* 1000 expected each; 5 sigma = 5 * sqrt(5000 * 0.2 * 0.8) = 141 */
    for (int k = 0; k < 5; k++) CHECK_MSG(abs(count[k] - 1000) < 141, "%s drawn %d times", names[k], count[k]);
    /* Beta(2,2): mean 1/2, variance 1/20 */
    CHECK_NEAR(sum / N, 0.5, 0.01);
    CHECK_NEAR(sum2 / N - (sum / N) * (sum / N), 0.05, 0.005);
    bd_graph_set_mix(g, -1, 0, NULL);
    bd_reg_free(r);
    bd_graph_free(g);
}

int main(void) {
    test_engine_groups();
    test_mix_with_abort();
    test_nasnet_boundaries();
    test_mixed_ce_logits();
    test_mixed_hidden_fd();
    test_alpha_zero();
    test_no_leak();
    test_draws();
    return check_result("manifold mixup");
}
