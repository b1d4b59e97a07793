/* Contrastive loss (Hadsell et al. 2006) on the L2-normalised penultimate
 * features (docs/EXPERIMENT.md section 6):
 *
 *     lambda * mean_{i<j} [ s_ij d_ij^2 + (1 - s_ij) max(0, m - d_ij)^2 ],
 *     f_i = p_i / ||p_i||,  d_ij = ||f_i - f_j||,  s_ij = [y_i == y_j].
 *
 * Which pairs. The mean runs over the n(n-1)/2 unordered pairs i < j of the
 * batch: d is symmetric, so ordered pairs would count every pair twice and
 * give the same mean, while the n pairs i == j are "same class at distance
 * 0" and would only dilute the term by a batch-size-dependent factor. A
 * batch of one sample has no pair: the term is 0.
 *
 * Edge cases.
 *   - d = 0 for a pair of different classes (identical features): the hinge
 *     (m - d)^2 has no gradient direction there (its gradient is -2(m - d)
 *     times the unit vector (f_i - f_j)/d). Such a pair contributes m^2 to
 *     the value and the subgradient 0, as PyTorch's norm does at 0. Near 0
 *     the gradient stays bounded (magnitude 2(m - d)), but its direction needs
 *     an accurate d: the Gram identity d^2 = G_ii + G_jj - 2 G_ij has an
 *     absolute float error of ~1e-7, so every pair with d^2 < 0.01 (d < 0.1)
 *     is recomputed directly in double.
 *   - ||p_i|| = 0 (a sample whose features are all zero, e.g. dead ReLUs):
 *     it has no direction; f_i is taken as the origin (so d = 1 to every
 *     unit feature) and p_i receives no gradient. The same below 1e-8, where
 *     1/||p|| would turn float noise into huge gradients.
 *
 * Gradient: in d^2 (pairwise.c's M), then through the normalisation:
 *     dL/dp_i = (dL/df_i - f_i (f_i . dL/df_i)) / ||p_i||. */
#include <math.h>
#include <stdlib.h>

#include "reg_impl.h"

#define MIN_NORM 1e-8
#define EXACT_BELOW 1e-2 /* d^2 under which a pair is recomputed directly */

typedef struct Contrastive {
    float weight, margin;
    int node;
    size_t D;
    BdPairwise pw;
    float *norm;  /* [cap] ||p_i||, 0 for a zero vector */
    float *dfeat; /* [cap, D] dL/df, then dL/dp */
} Contrastive;

static int make(BdReg *r, BdGraph *g, BdError *err) {
    int node = bd_reg_find_layer(g, "penultimate", "read by the contrastive loss", err);
    if (node < 0) return -1;
    Contrastive *st = bd_xcalloc(1, sizeof *st);
    st->weight = (float)bd_spec_float(&r->spec, "weight");
    st->margin = (float)bd_spec_float(&r->spec, "margin");
    st->node = node;
    st->D = bd_rows_dim(g, node);
    bd_pairwise_init(&st->pw, g->max_batch, st->D);
    st->norm = bd_xmalloc((size_t)g->max_batch * sizeof *st->norm);
    st->dfeat = bd_xmalloc((size_t)g->max_batch * st->D * sizeof *st->dfeat);
    r->state = st;
    return 0;
}

static void free_state(BdReg *r) {
    Contrastive *st = r->state;
    if (!st) return;
    bd_pairwise_free(&st->pw);
    free(st->norm);
    free(st->dfeat);
    free(st);
}

static float term(BdReg *r, BdGraph *g, const int *labels, int n) {
    Contrastive *st = r->state;
    if (n < 2) return 0.0f;
    const size_t D = st->D;
    float *f = st->pw.rows;
    bd_rows_gather(g, st->node, n, f);
    for (int i = 0; i < n; i++) {
        float *fi = f + (size_t)i * D;
        double ss = 0.0;
        for (size_t d = 0; d < D; d++) ss += (double)fi[d] * fi[d];
        double norm = sqrt(ss);
        st->norm[i] = norm > MIN_NORM ? (float)norm : 0.0f;
        const float inv = norm > MIN_NORM ? (float)(1.0 / norm) : 0.0f;
        for (size_t d = 0; d < D; d++) fi[d] *= inv;
    }
    bd_pairwise_sqdist(&st->pw, n, D);

    const double m = st->margin, pairs = 0.5 * n * (n - 1);
    const float *S = st->pw.sq;
    float *coef = st->pw.coef; /* dL/d(d_ij^2) for i < j, each pair once */
    double total = 0.0;
    for (int i = 0; i < n; i++) {
        coef[(size_t)i * n + i] = 0.0f;
        for (int j = i + 1; j < n; j++) {
            double s = S[(size_t)i * n + j], slope;
            if (labels[i] == labels[j]) {
                total += s;
                slope = 1.0;
            } else {
                if (s < EXACT_BELOW) s = bd_rows_sqdist_exact(f, D, i, j);
                double d = sqrt(s);
                if (d < m) {
                    total += (m - d) * (m - d);
                    slope = d > 0.0 ? -(m - d) / d : 0.0; /* d(m-d)^2/d(d^2) */
                } else {
                    slope = 0.0;
                }
            }
            coef[(size_t)i * n + j] = (float)slope;
            coef[(size_t)j * n + i] = 0.0f;
        }
    }
    const double value = st->weight * total / pairs;
    if (st->weight == 0.0f || !g->nodes[st->node].needs_grad) return (float)value;

    const float scale = (float)(st->weight / pairs);
    for (size_t k = 0; k < (size_t)n * n; k++) coef[k] *= scale;
    bd_pairwise_grad_matrix(&st->pw, n);
    bd_pairwise_grad_rows(&st->pw, n, D, 0, D, st->dfeat, D);
    for (int i = 0; i < n; i++) {
        float *df = st->dfeat + (size_t)i * D;
        const float *fi = f + (size_t)i * D;
        if (st->norm[i] == 0.0f) {
            for (size_t d = 0; d < D; d++) df[d] = 0.0f;
            continue;
        }
        double dot = 0.0;
        for (size_t d = 0; d < D; d++) dot += (double)fi[d] * df[d];
        const float inv = 1.0f / st->norm[i], proj = (float)dot;
        for (size_t d = 0; d < D; d++) df[d] = (df[d] - fi[d] * proj) * inv;
    }
    bd_rows_scatter_add(g, st->node, n, st->dfeat, D, 0, D);
    return (float)value;
}

const BdRegImpl bd_contrastive_impl = {make, free_state, NULL, NULL, term};
