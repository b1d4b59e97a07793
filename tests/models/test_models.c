/* The model builders: names and tags the rest of the worker relies on,
 * parameter counts against the published/torchvision numbers, clear errors,
 * and whole-model gradient checks of tiny configurations. */
#include "axes.h"
#include "cell.h"
#include "check.h"
#include "models.h"
#include "../nn/gradcheck.h"

static BdGraph *build(const char *arch_text, BdShape in, int classes, int batch, BdError *err) {
    BdSpec s;
    if (bd_axis_value_parse(bd_axes(), BD_AXIS_ARCH, arch_text, &s, err) < 0) return NULL;
    BdGraph *g = NULL;
    if (bd_model_build(&s, in, classes, batch, &g, err) < 0) return NULL;
    return g;
}

static void check_conventions(BdGraph *g, const char *what, int stages) {
    CHECK_MSG(bd_graph_find_param(g, "fc.weight") >= 0 && bd_graph_find_param(g, "fc.bias") >= 0, "%s: fc", what);
    int in = bd_graph_find_tag(g, "input");
    CHECK_MSG(in == 1 && g->nodes[in].op == BD_OP_MIX, "%s: input mix right after the input", what);
    for (int s = 1; s <= stages; s++) {
        char tag[16];
        snprintf(tag, sizeof tag, "stage%d", s);
        int t = bd_graph_find_tag(g, tag);
        CHECK_MSG(t > 0 && g->nodes[t].op == BD_OP_MIX, "%s: %s is a mix node", what, tag);
    }
    char next[16];
    snprintf(next, sizeof next, "stage%d", stages + 1);
    CHECK_MSG(bd_graph_find_tag(g, next) < 0, "%s: no %s", what, next);
    int pen = bd_graph_find_tag(g, "penultimate"), lg = bd_graph_find_tag(g, "logits");
    CHECK_MSG(pen > 0 && g->nodes[pen].shape.h == 1 && g->nodes[pen].shape.w == 1, "%s: penultimate [F,N]", what);
    CHECK_MSG(lg == g->output, "%s: logits is the output", what);
    int fc = g->param_info[bd_graph_find_param(g, "fc.weight")].node;
    CHECK_MSG(fc == g->output, "%s: the classifier is fc", what);
}

static void test_counts_and_tags(void) {
    BdError err;
    BdGraph *g = build("cnn-small", (BdShape){1, 28, 28}, 10, 2, &err);
    CHECK(g != NULL);
    if (g) {
        /* conv1 1*32*9+32, conv2 32*64*9+64, fc1 3136*128+128, fc 128*10+10 */
        CHECK(bd_graph_param_count(g) == 320 + 18496 + 401536 + 1290);
        check_conventions(g, "cnn-small", 2);
        bd_graph_free(g);
    }
    g = build("cnn-small(dropout=0.5)", (BdShape){3, 32, 32}, 10, 2, &err);
    CHECK(g != NULL);
    if (g) {
        int drop = 0;
        for (int i = 0; i < g->n_nodes; i++) drop += g->nodes[i].op == BD_OP_DROPOUT;
        CHECK(drop == 1);
        bd_graph_free(g);
    }
    g = build("resnet20", (BdShape){3, 32, 32}, 10, 2, &err);
    CHECK(g != NULL);
    if (g) {
        /* 269,722 for option A + projections 16*32 + 32*64 and their BNs 2*(32+64) */
        CHECK(bd_graph_param_count(g) == 269722 + 512 + 2048 + 192);
        check_conventions(g, "resnet20", 4);
        CHECK(bd_graph_find_param(g, "layer2.0.downsample.0.weight") >= 0);
        CHECK(bd_graph_find_buffer(g, "layer3.2.bn2.running_var") >= 0);
        bd_graph_free(g);
    }
    /* torchvision resnet50: 25,557,032 parameters with 1000 classes */
    g = build("resnet50(stem=imagenet)", (BdShape){3, 64, 64}, 1000, 1, &err);
    CHECK(g != NULL);
    if (g) {
        CHECK(bd_graph_param_count(g) == 25557032);
        check_conventions(g, "resnet50", 5);
        CHECK(bd_graph_find_param(g, "layer4.2.conv3.weight") >= 0);
        bd_graph_free(g);
    }
    g = build("resnet50(width=0.25,depth=[1,1])", (BdShape){3, 16, 16}, 10, 2, &err);
    CHECK(g != NULL);
    if (g) {
        /* cifar stem (auto at 16 px): conv1 3x3 16 channels, no max-pool */
        int conv1 = g->param_info[bd_graph_find_param(g, "conv1.weight")].node;
        CHECK(g->nodes[conv1].k == 3 && g->nodes[conv1].shape.c == 16 && g->nodes[conv1].shape.h == 16);
        CHECK(bd_graph_find_param(g, "layer2.0.conv3.weight") >= 0 && bd_graph_find_param(g, "layer3.0.conv1.weight") < 0);
        int pen = bd_graph_find_tag(g, "penultimate");
        CHECK(g->nodes[pen].shape.c == 4 * 32);
        check_conventions(g, "resnet50 small", 3);
        bd_graph_free(g);
    }
}

static void test_errors(void) {
    BdError err = {0};
    CHECK(build("resnet50(stem=imagenet)", (BdShape){3, 16, 16}, 10, 2, &err) == NULL);
    CHECK_CONTAINS(err.msg, "needs inputs of at least 32x32");
    CHECK_CONTAINS(err.msg, "3x16x16");
    CHECK(build("resnet50", (BdShape){3, 4, 4}, 10, 2, &err) == NULL);
    CHECK_CONTAINS(err.msg, "at least 8x8");
    CHECK(build("resnet20", (BdShape){3, 3, 8}, 10, 2, &err) == NULL);
    CHECK_CONTAINS(err.msg, "resnet20");
    CHECK(build("cnn-small", (BdShape){1, 2, 2}, 10, 2, &err) == NULL);
    CHECK_CONTAINS(err.msg, "at least 4x4");
    CHECK(build("cnn-small", (BdShape){1, 28, 28}, 1, 2, &err) == NULL);
    CHECK_CONTAINS(err.msg, "at least 2 classes");
    /* an entry without an implementation */
    BdSpec s;
    bd_spec_init(&s, "no-such-net");
    BdGraph *g = NULL;
    CHECK(bd_model_build(&s, (BdShape){3, 32, 32}, 10, 2, &g, &err) < 0 && g == NULL);
    CHECK_CONTAINS(err.msg, "unknown architecture 'no-such-net'");
    for (const BdPreset *p = bd_arch_presets; p->name; p++) {
        if (p->impl) continue;
        CHECK(bd_axis_value_parse(bd_axes(), BD_AXIS_ARCH, p->name, &s, &err) == 0);
        CHECK(bd_model_build(&s, (BdShape){3, 32, 32}, 10, 2, &g, &err) < 0);
        CHECK_CONTAINS(err.msg, "has no implementation");
    }
}

/* Whole models: every parameter tensor (a random subset of its elements) and
 * the input. The weights stay at their initialisation (BN gamma 1, beta 0):
 * the point is the wiring of the ops, each of which is checked on its own in
 * tests/nn. eps is small so that few ReLU/max-pool kinks are crossed. */
static void gradcheck_model(const char *arch, BdShape in, int n) {
    BdError err;
    BdGraph *g = build(arch, in, 5, n, &err);
    CHECK_MSG(g != NULL, "%s: %s", arch, err.msg);
    if (!g) return;
    bd_graph_set_input_grad(g, 1);
    bd_graph_init_params(g, 3);
    size_t len = (size_t)in.c * n * in.h * in.w;
    float *x = malloc(len * sizeof *x);
    gc_fill_normal(x, len, 77);
    GcOpts o = gc_defaults();
    o.eps = 2e-3;
    o.max_per_tensor = 12;
    /* Twice the per-op tolerance: through ten float32 layers, with batch
     * statistics over as few as 16 values per channel, the finite
     * differences themselves carry about 1% noise (the analytic gradients of
     * the different convolution modes agree to 1e-6; the per-op checks in
     * tests/nn hold each kernel to 1%). */
    o.rtol = o.atol = 2e-2;
    double worst = 0;
    int failed = gradcheck(g, x, n, &o, arch, &worst);
    printf("  %-40s worst err/tol %.3f\n", arch, worst);
    CHECK_MSG(failed == 0, "%s", arch);
    free(x);
    bd_graph_free(g);
}

int main(void) {
    test_counts_and_tags();
    test_errors();
    gradcheck_model("cnn-small(conv1=3,conv2=4,fc=8)", (BdShape){2, 8, 8}, 4);
    gradcheck_model("resnet20(blocks=1,width=4)", (BdShape){3, 8, 8}, 4);
    gradcheck_model("resnet50(width=0.0625,depth=[1,1],stem=cifar)", (BdShape){3, 8, 8}, 4);
    return check_result("models");
}
