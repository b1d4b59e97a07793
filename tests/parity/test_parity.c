/* Parity with PyTorch: one training step of a model on a fixture written by
 * make_fixtures.py (PyTorch 1.13), replayed by the engine with the same
 * weights. Logits, loss, every parameter gradient and the BN running
 * statistics must agree to ||a - b|| / ||b|| <= 1e-4 per tensor.
 * Usage: test_parity FIXTURE.bdfx... */
#include <math.h>

#include "axes.h"
#include "cell.h"
#include "check.h"
#include "fixture.h"
#include "models.h"

#define PARITY_TOL 1e-4

static double rel_err(const float *a, const float *b, size_t len) {
    double num = 0, den = 0;
    for (size_t i = 0; i < len; i++) {
        num += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        den += (double)b[i] * b[i];
    }
    return den > 0 ? sqrt(num / den) : sqrt(num);
}

static int same_dims(const BdParam *p, const FxTensor *t) {
    if (p->ndim != t->ndim) return 0;
    for (int i = 0; i < p->ndim; i++)
        if (p->dims[i] != t->dims[i]) return 0;
    return 1;
}

/* Copies every tensor of the kind ("param"/"buffer") in by name; each graph
 * tensor must be in the fixture with the same dims, and the counts equal. */
static void load_named(const Fixture *fx, const char *kind, const BdParam *info, int n_info, float *base,
                       const char *path) {
    int in_fixture = 0;
    size_t klen = strlen(kind);
    for (int i = 0; i < fx->n; i++) in_fixture += !strncmp(fx->t[i].name, kind, klen) && fx->t[i].name[klen] == ':';
    CHECK_MSG(in_fixture == n_info, "%s: %d %ss in the fixture, %d in the graph", path, in_fixture, kind, n_info);
    for (int i = 0; i < n_info; i++) {
        char name[160];
        snprintf(name, sizeof name, "%s:%s", kind, info[i].name);
        const FxTensor *t = fx_find(fx, name);
        CHECK_MSG(t && same_dims(&info[i], t), "%s: %s missing or of other dims", path, name);
        if (t && same_dims(&info[i], t)) memcpy(base + info[i].off, t->data, info[i].len * sizeof(float));
    }
}

static void compare(const char *path, const char *what, const float *ours, const float *theirs, size_t len,
                    double *worst) {
    double e = rel_err(ours, theirs, len);
    if (e > *worst) *worst = e;
    CHECK_MSG(e <= PARITY_TOL, "%s: %s differs from PyTorch: relative error %.3g", path, what, e);
}

static void run_fixture(const char *path) {
    Fixture fx;
    if (fx_load(path, &fx) < 0) {
        CHECK_MSG(0, "%s: cannot load", path);
        return;
    }
    const char *arch = fx_meta(&fx, "arch"), *input = fx_meta(&fx, "input");
    const char *classes_s = fx_meta(&fx, "classes"), *batch_s = fx_meta(&fx, "batch");
    BdShape in;
    if (!arch || !input || !classes_s || !batch_s || sscanf(input, "%dx%dx%d", &in.c, &in.h, &in.w) != 3) {
        CHECK_MSG(0, "%s: metadata arch/input/classes/batch missing", path);
        fx_free(&fx);
        return;
    }
    const int K = atoi(classes_s), n = atoi(batch_s);
    BdSpec spec;
    BdError err;
    BdGraph *g = NULL;
    if (bd_axis_value_parse(bd_axes(), BD_AXIS_ARCH, arch, &spec, &err) < 0 ||
        bd_model_build(&spec, in, K, n, &g, &err) < 0) {
        CHECK_MSG(0, "%s: %s", path, err.msg);
        fx_free(&fx);
        return;
    }
    load_named(&fx, "param", g->param_info, g->n_param_info, g->params, path);
    load_named(&fx, "buffer", g->buffer_info, g->n_buffer_info, g->buffers, path);

    /* input NCHW -> CNHW, logits [N, K] -> [K, N] */
    const FxTensor *xt = fx_find(&fx, "input"), *yt = fx_find(&fx, "labels");
    const FxTensor *lt = fx_find(&fx, "logits"), *losst = fx_find(&fx, "loss");
    CHECK(xt && yt && lt && losst);
    if (!xt || !yt || !lt || !losst) goto done;
    const size_t hw = (size_t)in.h * in.w;
    float *x = malloc(xt->len * sizeof *x), *ref_logits = malloc(lt->len * sizeof *ref_logits);
    int *labels = malloc((size_t)n * sizeof *labels);
    for (int b = 0; b < n; b++) {
        labels[b] = (int)yt->data[b];
        for (int c = 0; c < in.c; c++) memcpy(x + ((size_t)c * n + b) * hw, xt->data + ((size_t)b * in.c + c) * hw, hw * sizeof(float));
        for (int k = 0; k < K; k++) ref_logits[(size_t)k * n + b] = lt->data[(size_t)b * K + k];
    }

    bd_graph_forward(g, x, n, BD_TRAIN, 0);
    bd_graph_zero_grads(g);
    float loss = bd_softmax_xent(bd_graph_out(g, g->output), K, n, labels, NULL, bd_graph_grad(g, g->output), 1.0f, NULL);
    bd_graph_backward(g);

    double worst = 0;
    compare(path, "logits", bd_graph_out(g, g->output), ref_logits, (size_t)K * n, &worst);
    compare(path, "loss", &loss, losst->data, 1, &worst);
    int grads = 0;
    for (int i = 0; i < g->n_param_info; i++) {
        char name[160];
        snprintf(name, sizeof name, "grad:%s", g->param_info[i].name);
        const FxTensor *t = fx_find(&fx, name);
        CHECK_MSG(t && t->len == g->param_info[i].len, "%s: %s missing", path, name);
        if (!t || t->len != g->param_info[i].len) continue;
        compare(path, name, g->grads + g->param_info[i].off, t->data, t->len, &worst);
        grads++;
    }
    for (int i = 0; i < g->n_buffer_info; i++) {
        char name[160];
        snprintf(name, sizeof name, "buffer_after:%s", g->buffer_info[i].name);
        const FxTensor *t = fx_find(&fx, name);
        CHECK_MSG(t && t->len == g->buffer_info[i].len, "%s: %s missing", path, name);
        if (t && t->len == g->buffer_info[i].len)
            compare(path, name, g->buffers + g->buffer_info[i].off, t->data, t->len, &worst);
    }
    printf("%s: %s, %d gradients and %d buffers compared, worst relative error %.2g\n", path, arch, grads,
           g->n_buffer_info, worst);
    free(x);
    free(ref_logits);
    free(labels);
done:
    bd_graph_free(g);
    fx_free(&fx);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: test_parity FIXTURE.bdfx...\n");
        return 2;
    }
    for (int i = 1; i < argc; i++) run_fixture(argv[i]);
    return check_result("parity");
}
