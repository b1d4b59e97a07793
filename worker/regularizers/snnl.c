/* Soft nearest neighbour loss (Frosst et al. 2019; docs/EXPERIMENT.md section 6) on
 * the tagged representations of `layers`, summed over the layers:
 *
 *     lambda * -1/|V| sum_{i in V} log( sum_{j != i, y_j = y_i} e^{-||x_i - x_j||^2 / T}
 *                                       / sum_{k != i} e^{-||x_i - x_k||^2 / T} )
 *
 * with x_i sample i of the representation flattened (all C*H*W values at
 * n = i of the CNHW tensor; pairwise.c). Positive lambda pulls the classes
 * apart (the loss is low when every point's neighbours share its class),
 * negative lambda entangles them.
 *
 * A sample with no same-class partner in the batch. Its ratio is 0 and its
 * log -infinity: the formula is undefined for it, and no change of x can fix
 * it within this batch (Frosst et al.'s code adds 1e-5 inside the log, which
 * turns it into a constant ~11.5 with no gradient). Such a sample is skipped:
 * V is the set of samples that have a partner and the mean runs over V, so
 * the term's scale does not depend on how many lone samples a batch happens
 * to hold. The sample still appears in the other samples' denominators (it
 * is a neighbour of another class for them). A batch where no sample has a
 * partner (or of one sample) gives 0.
 *
 * Stability: with a_ik = -||x_i - x_k||^2 / T the loss of sample i is
 * logsumexp_{k != i} a_ik - logsumexp_{j in P_i} a_ij, both in double with
 * the maximum subtracted; distances far beyond T underflow harmlessly.
 *
 * Gradient: d loss_i / d a_ik = p_ik - q_ik [k in P_i], p and q the softmax
 * weights of the two sums; d a_ik / d sq_ik = -1/T; pairwise.c carries the
 * rest to the representation with one sgemm per chunk. */
#include <math.h>
#include <stdlib.h>

#include "reg_impl.h"

typedef struct Snnl {
    float weight, temperature;
    int n_layers;
    int *nodes;
    BdPairwise pw; /* sized for the largest layer */
    double *a;     /* [cap] one row of a_ik */
} Snnl;

static int make(BdReg *r, BdGraph *g, BdError *err) {
    int *nodes = NULL;
    int count = bd_reg_find_layers(g, &r->spec, "layers", &nodes, err);
    if (count < 0) return -1;
    if (count == 0) {
        free(nodes);
        return bd_fail(err, "layers is empty; expected at least one tagged layer (e.g. [penultimate])");
    }
    Snnl *st = bd_xcalloc(1, sizeof *st);
    st->weight = (float)bd_spec_float(&r->spec, "weight");
    st->temperature = (float)bd_spec_float(&r->spec, "temperature");
    st->n_layers = count;
    st->nodes = nodes;
    size_t D = 0;
    for (int l = 0; l < count; l++)
        if (bd_rows_dim(g, nodes[l]) > D) D = bd_rows_dim(g, nodes[l]);
    bd_pairwise_init(&st->pw, g->max_batch, D);
    st->a = bd_xmalloc((size_t)g->max_batch * sizeof *st->a);
    r->state = st;
    return 0;
}

static void free_state(BdReg *r) {
    Snnl *st = r->state;
    if (!st) return;
    bd_pairwise_free(&st->pw);
    free(st->nodes);
    free(st->a);
    free(st);
}

/* The unweighted loss of one layer; coef receives d(weight * loss)/d sq and
 * *counted the number of samples with a partner. */
static double layer_loss(Snnl *st, const int *labels, int n, int *counted_out) {
    const float *S = st->pw.sq;
    float *coef = st->pw.coef;
    const double T = st->temperature;
    double *a = st->a, total = 0.0;
    int counted = 0;
    for (int i = 0; i < n; i++) {
        double max_all = -INFINITY, max_same = -INFINITY;
        for (int k = 0; k < n; k++) {
            if (k == i) continue;
            a[k] = -(double)S[(size_t)i * n + k] / T;
            if (a[k] > max_all) max_all = a[k];
            if (labels[k] == labels[i] && a[k] > max_same) max_same = a[k];
        }
        if (max_same == -INFINITY) { /* no partner (or n == 1): skipped */
            for (int k = 0; k < n; k++) coef[(size_t)i * n + k] = 0.0f;
            continue;
        }
        double sum_all = 0.0, sum_same = 0.0;
        for (int k = 0; k < n; k++) {
            if (k == i) continue;
            sum_all += exp(a[k] - max_all);
            if (labels[k] == labels[i]) sum_same += exp(a[k] - max_same);
        }
        const double lse_all = max_all + log(sum_all), lse_same = max_same + log(sum_same);
        total += lse_all - lse_same;
        counted++;
        /* d loss_i / d sq_ik = -(p_ik - q_ik [same]) / T, scaled later */
        for (int k = 0; k < n; k++) {
            if (k == i) {
                coef[(size_t)i * n + k] = 0.0f;
                continue;
            }
            double g = exp(a[k] - lse_all);
            if (labels[k] == labels[i]) g -= exp(a[k] - lse_same);
            coef[(size_t)i * n + k] = (float)(-g / T);
        }
    }
    *counted_out = counted;
    if (!counted) return 0.0;
    const float scale = (float)(st->weight / counted);
    for (size_t k = 0; k < (size_t)n * n; k++) coef[k] *= scale;
    return total / counted;
}

static float term(BdReg *r, BdGraph *g, const int *labels, int n) {
    Snnl *st = r->state;
    if (st->weight == 0.0f) return 0.0f;
    double value = 0.0;
    for (int l = 0; l < st->n_layers; l++) {
        const int node = st->nodes[l];
        const size_t D = bd_rows_dim(g, node);
        bd_rows_gather(g, node, n, st->pw.rows);
        bd_rows_center(st->pw.rows, n, D);
        bd_pairwise_sqdist(&st->pw, n, D);
        int counted;
        value += layer_loss(st, labels, n, &counted);
        /* no sample with a partner: no gradient; "input": no parameter below it */
        if (!counted || !g->nodes[node].needs_grad) continue;
        bd_pairwise_grad_matrix(&st->pw, n);
        bd_pairwise_backward(&st->pw, g, node, n, D);
    }
    return (float)(st->weight * value);
}

const BdRegImpl bd_snnl_impl = {make, free_state, NULL, NULL, term};
