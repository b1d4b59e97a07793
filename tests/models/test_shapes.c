/* Shape-only builds (bd_model_build_shapes, bd_graph_memory) against full
 * ones: on every architecture of the registry at small sizes, on both
 * engines and in both precisions, the planned graph has exactly the
 * parameter count and FLOPs of the finalized one, its arena estimate is
 * exactly the arena finalize allocates, and its whole estimate is what the
 * finalized graph holds (exactly on the reference engine; within 10% on the
 * oneDNN one from batch 16, whose weight layouts and scratchpads are known
 * only to its primitives) plus the optimiser's momentum. And a model of 10^9 parameters
 * is sized without allocating it. */
#include "alloc_count.h"
#include "axes.h"
#include "check.h"
#include "models.h"

/* A small configuration of every preset (each name must be here). */
typedef struct Small {
    const char *preset, *arch;
    BdShape in;
} Small;

static const Small smalls[] = {
    {"cnn-small", "cnn-small(conv1=5,conv2=7,fc=9,dropout=0.25)", {2, 12, 12}},
    {"resnet20", "resnet20(blocks=1,width=4)", {3, 8, 8}},
    {"resnet50", "resnet50(width=0.0625,depth=[1,1],stem=cifar)", {3, 8, 8}},
    {"resnet50", "resnet50(width=0.0625,depth=[1,1,1],stem=imagenet)", {3, 40, 40}},
    {"nasnet-a-mobile", "nasnet-a-mobile(cells=1,filters=8)", {3, 32, 32}},
    {"nasnet-a-large", "nasnet-a-large(cells=1,filters=8,stem_multiplier=1,dropout=0.5)", {3, 24, 24}},
    {"nasnet-a-cifar", "nasnet-a-cifar(cells=1,filters=4,stem_multiplier=1)", {3, 8, 8}},
};
#define N_SMALLS (sizeof smalls / sizeof smalls[0])

static int parse(const char *text, BdSpec *s) {
    BdError err;
    int rc = bd_axis_value_parse(bd_axes(), BD_AXIS_ARCH, text, s, &err);
    CHECK_MSG(rc == 0, "%s: %s", text, err.msg);
    return rc;
}

static void compare(const Small *m, BdEngine engine, BdPrecision precision, int batch) {
    BdSpec s;
    BdError err;
    if (parse(m->arch, &s) < 0) return;
    const int classes = 5;
    BdGraph *shapes = NULL, *full = NULL;
    CHECK_MSG(bd_model_build_shapes(&s, m->in, classes, batch, engine, precision, &shapes, &err) == 0, "%s: %s",
              m->arch, err.msg);
    CHECK_MSG(bd_model_build_on(&s, m->in, classes, batch, engine, precision, &full, &err) == 0, "%s: %s", m->arch,
              err.msg);
    if (!shapes || !full) {
        bd_graph_free(shapes);
        bd_graph_free(full);
        return;
    }
    const char *what = bd_engine_name(engine), *prec = bd_precision_name(precision);
    CHECK_MSG(!shapes->finalized && shapes->arena == NULL && shapes->params == NULL, "%s: nothing allocated", m->arch);
    CHECK_MSG(bd_graph_param_count(shapes) == bd_graph_param_count(full), "%s: %zu params, built %zu", m->arch,
              bd_graph_param_count(shapes), bd_graph_param_count(full));
    CHECK_MSG(bd_graph_flops(shapes, 1) == bd_graph_flops(full, 1) && bd_graph_flops(shapes, 0) == bd_graph_flops(full, 0),
              "%s: FLOPs %g/%g, built %g/%g", m->arch, bd_graph_flops(shapes, 1), bd_graph_flops(shapes, 0),
              bd_graph_flops(full, 1), bd_graph_flops(full, 0));
    BdGraphMemory mem;
    CHECK_MSG(bd_graph_memory(shapes, &mem, &err) == 0, "%s: %s", m->arch, err.msg);
    CHECK(mem.total == mem.params + mem.optimizer + mem.arena + mem.other);
    CHECK(mem.optimizer == bd_graph_param_count(full) * sizeof(float));
    CHECK_MSG(mem.arena == bd_graph_arena_bytes(full), "%s on %s in %s at batch %d: arena %zu, built %zu", m->arch,
              what, prec, batch, mem.arena, bd_graph_arena_bytes(full));
    const double held = (double)bd_graph_bytes(full), estimate = (double)(mem.total - mem.optimizer);
    if (engine == BD_ENGINE_REF)
        CHECK_MSG(estimate == held, "%s on %s: %.0f bytes estimated, %.0f held", m->arch, what, estimate, held);
    else if (batch >= 16) /* (below, the few kB left out are more than 10% of so small a model) */
        CHECK_MSG(estimate > 0.9 * held && estimate < 1.1 * held, "%s on %s in %s at batch %d: %.0f bytes estimated, "
                  "%.0f held", m->arch, what, prec, batch, estimate, held);
    /* A planned graph can be finalized after all, into the same graph. */
    CHECK_MSG(bd_graph_finalize(shapes, &err) == 0, "%s: %s", m->arch, err.msg);
    CHECK(bd_graph_arena_bytes(shapes) == bd_graph_arena_bytes(full) && bd_graph_bytes(shapes) == bd_graph_bytes(full));
    CHECK(bd_graph_memory(shapes, &mem, &err) < 0);
    CHECK_CONTAINS(err.msg, "between bd_graph_plan and finalize");
    bd_graph_free(shapes);
    bd_graph_free(full);
}

static void test_every_architecture(void) {
    for (const BdPreset *p = bd_arch_presets; p->name; p++) {
        int found = 0;
        for (size_t k = 0; k < N_SMALLS; k++) found |= !strcmp(smalls[k].preset, p->name);
        CHECK_MSG(found, "architecture %s has no small configuration here", p->name);
    }
    for (size_t k = 0; k < N_SMALLS; k++) {
        compare(&smalls[k], BD_ENGINE_REF, BD_FP32, 3);
        if (!bd_engine_available(BD_ENGINE_DNNL)) continue;
        compare(&smalls[k], BD_ENGINE_DNNL, BD_FP32, 3);
        compare(&smalls[k], BD_ENGINE_DNNL, BD_FP32, 16);
        compare(&smalls[k], BD_ENGINE_DNNL, BD_BF16, 16);
    }
}

/* cnn-small at its largest widths on Fashion-MNIST: 973,168,650 parameters
 * (conv2 4096*4096*9, fc1 4096*7*7*4096). Building it would take 8 GB of
 * parameters and gradients; its shapes take a few kB. */
static void test_huge_model_allocates_little(void) {
    BdSpec s;
    BdError err;
    if (parse("cnn-small(conv1=4096,conv2=4096,fc=4096)", &s) < 0) return;
    BdGraphMemory mem;
    CHECK_MSG(bd_model_memory(&s, (BdShape){1, 28, 28}, 10, 64, BD_FP32, &mem, &err) == 0, "%s", err.msg);
    CHECK(mem.optimizer == 973168650ul * sizeof(float));
    CHECK(mem.total > mem.params + mem.optimizer + mem.arena);
    const long live = live_bytes, made = allocations, big = lib_big;
    BdGraph *g = NULL;
    CHECK(bd_model_build_shapes(&s, (BdShape){1, 28, 28}, 10, 64, BD_ENGINE_REF, BD_FP32, &g, &err) == 0);
    if (ALLOC_COUNTING)
        CHECK_MSG(live_bytes - live < (1l << 20) && lib_big == big, "%ld bytes live in %ld allocations for the shapes "
                  "of a 4 GB model", live_bytes - live, allocations - made);
    CHECK(g && bd_graph_param_count(g) == 973168650ul);
    bd_graph_free(g);
}

int main(void) {
    bd_set_threads(1);
    test_every_architecture();
    test_huge_model_allocates_little();
    return check_result("model_shapes");
}
