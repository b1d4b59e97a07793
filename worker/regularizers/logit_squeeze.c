/* Logit squeezing: lambda * mean_b ||z_b||^2 over the logits z [K, n]
 * (docs/EXPERIMENT.md section 6). Gradient: d/dz_kb = 2 lambda z_kb / n. */
#include <stdlib.h>

#include "reg_impl.h"

typedef struct Squeeze {
    float weight;
} Squeeze;

static int make(BdReg *r, BdGraph *g, BdError *err) {
    (void)g;
    (void)err;
    Squeeze *st = bd_xcalloc(1, sizeof *st);
    st->weight = (float)bd_spec_float(&r->spec, "weight");
    r->state = st;
    return 0;
}

static void free_state(BdReg *r) { free(r->state); }

static float term(BdReg *r, BdGraph *g, const int *labels, int n) {
    (void)labels;
    const Squeeze *st = r->state;
    const size_t len = bd_rows_dim(g, r->logits) * (size_t)n;
    const float *z = bd_graph_out(g, r->logits);
    double sum = 0.0;
    for (size_t i = 0; i < len; i++) sum += (double)z[i] * z[i];
    if (st->weight != 0.0f) {
        float *dz = bd_graph_grad(g, r->logits);
        const float scale = 2.0f * st->weight / (float)n;
        for (size_t i = 0; i < len; i++) dz[i] += scale * z[i];
    }
    return (float)(st->weight * sum / n);
}

const BdRegImpl bd_logit_squeeze_impl = {make, free_state, NULL, NULL, term};
