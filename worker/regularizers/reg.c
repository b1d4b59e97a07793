/* Dispatch from the regularizer registry to its implementation, and the
 * plain cross-entropy every regularizer adds its term to. */
#include <stdlib.h>
#include <string.h>

#include "reg_impl.h"

int bd_reg_make(const BdSpec *spec, BdGraph *g, BdReg **out, BdError *err) {
    const BdPreset *p = bd_preset_find(bd_regularizer_presets, spec->name);
    if (!p) return bd_fail(err, "unknown regularizer '%s'", spec->name);
    if (strcmp(spec->name, "none") && !p->impl)
        return bd_fail(err, "regularizer '%s' is not implemented in this build", spec->name);
    BdReg *r = bd_xcalloc(1, sizeof *r);
    r->spec = *spec;
    r->impl = p->impl;
    r->logits = g->output;
    if (r->impl && r->impl->make && r->impl->make(r, g, err) < 0) {
        bd_reg_free(r);
        return bd_error_prefix(err, "regularizer %s: ", spec->name);
    }
    *out = r;
    return 0;
}

void bd_reg_free(BdReg *r) {
    if (!r) return;
    if (r->impl && r->impl->free) r->impl->free(r);
    free(r);
}

void bd_reg_before_forward(BdReg *r, BdGraph *g, int n, BdRng *rng) {
    if (r->impl && r->impl->before_forward) r->impl->before_forward(r, g, n, rng);
}

float bd_reg_loss(BdReg *r, BdGraph *g, const int *labels, int n, BdLossParts *parts) {
    memset(parts, 0, sizeof *parts);
    if (r->impl && r->impl->ce) {
        r->impl->ce(r, g, labels, n, parts);
    } else {
        int K = g->nodes[r->logits].shape.c;
        parts->ce = bd_softmax_xent(bd_graph_out(g, r->logits), K, n, labels, NULL, bd_graph_grad(g, r->logits),
                                    1.0f, &parts->correct);
    }
    if (r->impl && r->impl->term) parts->reg = r->impl->term(r, g, labels, n);
    return parts->ce + parts->reg;
}
