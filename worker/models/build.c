/* bd_model_build: from a resolved arch spec to a finalized graph, through
 * the registry (bd_arch_presets[].impl); bd_model_build_shapes: to a planned
 * one, for its counts and memory without its memory. */
#include <stdio.h>

#include "models.h"

/* The builder's graph on an engine and precision, not yet planned. */
static int build_graph(const BdSpec *arch, BdShape input, int classes, int max_batch, BdEngine engine,
                       BdPrecision precision, BdGraph **out, BdError *err) {
    *out = NULL;
    const BdPreset *p = bd_preset_find(bd_arch_presets, arch->name);
    if (!p) {
        char names[512];
        bd_preset_names(bd_arch_presets, names, sizeof names);
        return bd_fail(err, "unknown architecture '%s' (expected one of: %s)", arch->name, names);
    }
    if (!p->impl)
        return bd_fail(err, "architecture '%s' is declared in the registry but has no implementation in this build",
                       arch->name);
    if (input.c <= 0 || input.h <= 0 || input.w <= 0 || classes < 2 || max_batch <= 0)
        return bd_fail(err, "architecture '%s': input %dx%dx%d with %d classes and batch %d: need a non-empty image, "
                       "at least 2 classes and a positive batch", arch->name, input.c, input.h, input.w, classes,
                       max_batch);
    const BdModelImpl *impl = p->impl;
    BdGraph *g = NULL;
    if (impl->build(arch, input, classes, max_batch, &g, err) < 0) return -1;
    g->engine = engine;
    g->precision = precision;
    *out = g;
    return 0;
}

static BdEngine default_engine(void) {
    return bd_engine_available(BD_ENGINE_DNNL) ? BD_ENGINE_DNNL : BD_ENGINE_REF;
}

int bd_model_build(const BdSpec *arch, BdShape input, int classes, int max_batch, BdGraph **out, BdError *err) {
    return bd_model_build_in(arch, input, classes, max_batch, BD_FP32, out, err);
}

int bd_model_build_in(const BdSpec *arch, BdShape input, int classes, int max_batch, BdPrecision precision,
                      BdGraph **out, BdError *err) {
    return bd_model_build_on(arch, input, classes, max_batch, default_engine(), precision, out, err);
}

int bd_model_build_on(const BdSpec *arch, BdShape input, int classes, int max_batch, BdEngine engine,
                      BdPrecision precision, BdGraph **out, BdError *err) {
    BdGraph *g = NULL;
    if (build_graph(arch, input, classes, max_batch, engine, precision, &g, err) < 0) return -1;
    if (bd_graph_finalize(g, err) < 0) {
        bd_graph_free(g);
        return bd_error_prefix(err, "architecture '%s': ", arch->name);
    }
    *out = g;
    return 0;
}

int bd_model_build_shapes(const BdSpec *arch, BdShape input, int classes, int max_batch, BdEngine engine,
                          BdPrecision precision, BdGraph **out, BdError *err) {
    BdGraph *g = NULL;
    if (build_graph(arch, input, classes, max_batch, engine, precision, &g, err) < 0) return -1;
    if (bd_graph_plan(g, err) < 0) {
        bd_graph_free(g);
        return bd_error_prefix(err, "architecture '%s': ", arch->name);
    }
    *out = g;
    return 0;
}

int bd_model_memory(const BdSpec *arch, BdShape input, int classes, int max_batch, BdPrecision precision,
                    BdGraphMemory *out, BdError *err) {
    BdGraph *g = NULL;
    if (bd_model_build_shapes(arch, input, classes, max_batch, default_engine(), precision, &g, err) < 0) return -1;
    int rc = bd_graph_memory(g, out, err);
    bd_graph_free(g);
    return rc < 0 ? bd_error_prefix(err, "architecture '%s': ", arch->name) : 0;
}
