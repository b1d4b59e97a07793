/* bd_model_build: from a resolved arch spec to a finalized graph, through
 * the registry (bd_arch_presets[].impl). */
#include <stdio.h>

#include "models.h"

int bd_model_build(const BdSpec *arch, BdShape input, int classes, int max_batch, BdGraph **out, BdError *err) {
    return bd_model_build_in(arch, input, classes, max_batch, BD_FP32, out, err);
}

int bd_model_build_in(const BdSpec *arch, BdShape input, int classes, int max_batch, BdPrecision precision,
                      BdGraph **out, BdError *err) {
    const BdEngine e = bd_engine_available(BD_ENGINE_DNNL) ? BD_ENGINE_DNNL : BD_ENGINE_REF;
    return bd_model_build_on(arch, input, classes, max_batch, e, precision, out, err);
}

int bd_model_build_on(const BdSpec *arch, BdShape input, int classes, int max_batch, BdEngine engine,
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
    if (bd_graph_finalize(g, err) < 0) {
        bd_graph_free(g);
        return bd_error_prefix(err, "architecture '%s': ", arch->name);
    }
    *out = g;
    return 0;
}
