/* Manifold mixup (Verma et al. 2019; docs/EXPERIMENT.md section 6). Per training
 * step, from the rng the trainer hands to bd_reg_before_forward and in this
 * order: one mixing point uniformly among the eligible ones, lambda ~
 * Beta(alpha, alpha), a uniform permutation of the batch. The engine mixes
 * lambda h + (1 - lambda) h[perm] at that MIX node (and at every MIX node of
 * its group: all the states that cross the boundary, models.h), and the
 * cross-entropy is taken against lambda y + (1 - lambda) y[perm].
 *
 * Eligible points: the `layers` tags, each a mixing point (a MIX node that
 * heads its group); empty = "input" and every "stage<k>" the model has.
 *
 * Mixing never outlives its step. The ce hook turns the graph's mixing off
 * once the step's forward has used it (backward keeps what the forward
 * recorded), so no later forward mixes by accident: not the evaluation (the
 * engine also never mixes in BD_EVAL), not a retraining phase that trains
 * the same graph with another regularizer. The targets are mixed only when
 * the last forward did mix at the chosen point (the MIX node records it), so
 * a loss taken after an unmixed forward is the plain cross-entropy. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reg_impl.h"

typedef struct Mixup {
    double alpha;
    int n_points;
    int *points;  /* MIX nodes heading their group */
    int *perm;    /* [cap] the step's permutation (the engine reads it in the forward) */
    float *soft;  /* [K, cap] mixed targets */
    int *pred;    /* [cap] */
    int chosen;   /* the step's point, -1 before the first step */
    float lambda;
} Mixup;

/* "input" or "stage" followed by digits only (not "stage2.prev"). */
static int default_point(const char *tag) {
    if (!strcmp(tag, "input")) return 1;
    if (strncmp(tag, "stage", 5) || !tag[5]) return 0;
    for (const char *p = tag + 5; *p; p++)
        if (!isdigit((unsigned char)*p)) return 0;
    return 1;
}

static int is_point(const BdGraph *g, int node) {
    return g->nodes[node].op == BD_OP_MIX && g->nodes[node].mix_head == node;
}

static void default_points(const BdGraph *g, int *out, int *count) {
    *count = 0;
    for (int i = 0; i < g->n_nodes; i++)
        if (g->nodes[i].tag[0] && default_point(g->nodes[i].tag) && is_point(g, i)) out[(*count)++] = i;
}

static int check_point(const BdGraph *g, int node, BdError *err) {
    const BdNode *nd = &g->nodes[node];
    if (nd->op == BD_OP_MIX && !is_point(g, node))
        return bd_fail(err,
                       "layer '%s' (in layers) is mixed together with '%s' (every state crossing that boundary "
                       "is); name '%s'",
                       nd->tag, g->nodes[nd->mix_head].tag, g->nodes[nd->mix_head].tag);
    if (nd->op == BD_OP_MIX) return 0;
    int *pts = bd_xmalloc((size_t)g->n_nodes * sizeof *pts), count;
    default_points(g, pts, &count);
    char list[512];
    size_t o = 0;
    list[0] = '\0';
    for (int i = 0; i < count; i++) {
        int w = snprintf(list + o, sizeof list - o, "%s%s", i ? ", " : "", g->nodes[pts[i]].tag);
        if (w < 0 || (size_t)w >= sizeof list - o) break;
        o += (size_t)w;
    }
    free(pts);
    return bd_fail(err, "layer '%s' (in layers) is not a mixing point of this model; its mixing points are: %s",
                   nd->tag, list[0] ? list : "(none)");
}

static int make(BdReg *r, BdGraph *g, BdError *err) {
    int *points = NULL;
    int count = bd_reg_find_layers(g, &r->spec, "layers", &points, err);
    if (count < 0) return -1;
    for (int i = 0; i < count; i++)
        if (check_point(g, points[i], err) < 0) {
            free(points);
            return -1;
        }
    if (count == 0) {
        free(points);
        points = bd_xmalloc((size_t)g->n_nodes * sizeof *points);
        default_points(g, points, &count);
        if (count == 0) {
            free(points);
            return bd_fail(err, "this model has no mixing point (a MIX node tagged input or stage<k>)");
        }
    }
    Mixup *st = bd_xcalloc(1, sizeof *st);
    st->alpha = bd_spec_float(&r->spec, "alpha");
    st->n_points = count;
    st->points = points;
    const size_t cap = (size_t)g->max_batch, K = bd_rows_dim(g, r->logits);
    st->perm = bd_xmalloc(cap * sizeof *st->perm);
    st->soft = bd_xmalloc(K * cap * sizeof *st->soft);
    st->pred = bd_xmalloc(cap * sizeof *st->pred);
    st->chosen = -1;
    r->state = st;
    return 0;
}

static void free_state(BdReg *r) {
    Mixup *st = r->state;
    if (!st) return;
    free(st->points);
    free(st->perm);
    free(st->soft);
    free(st->pred);
    free(st);
}

static void before_forward(BdReg *r, BdGraph *g, int n, BdRng *rng) {
    Mixup *st = r->state;
    st->chosen = st->points[bd_rng_below(rng, (uint64_t)st->n_points)];
    st->lambda = (float)bd_rng_beta(rng, st->alpha, st->alpha);
    for (int i = 0; i < n; i++) st->perm[i] = i;
    bd_rng_shuffle(rng, st->perm, (size_t)n);
    bd_graph_set_mix(g, st->chosen, st->lambda, st->perm);
}

static void ce(BdReg *r, BdGraph *g, const int *labels, int n, BdLossParts *parts) {
    Mixup *st = r->state;
    const int K = g->nodes[r->logits].shape.c;
    const float *z = bd_graph_out(g, r->logits);
    float *dz = bd_graph_grad(g, r->logits);
    if (st->chosen >= 0 && g->nodes[st->chosen].mixed) {
        const float lam = st->lambda;
        memset(st->soft, 0, (size_t)K * n * sizeof *st->soft);
        for (int b = 0; b < n; b++)
            if (labels[b] < 0 || labels[b] >= K) {
                fprintf(stderr, "bdsweep: mixup: label %d of sample %d is not a class of 0..%d\n", labels[b], b, K - 1);
                abort();
            }
        for (int b = 0; b < n; b++) {
            st->soft[(size_t)labels[b] * n + b] += lam;
            st->soft[(size_t)labels[st->perm[b]] * n + b] += 1.0f - lam;
        }
        parts->ce = bd_softmax_xent(z, K, n, NULL, st->soft, dz, 1.0f, NULL);
    } else {
        parts->ce = bd_softmax_xent(z, K, n, labels, NULL, dz, 1.0f, NULL);
    }
    bd_argmax(z, K, n, st->pred);
    parts->correct = 0;
    for (int b = 0; b < n; b++) parts->correct += st->pred[b] == labels[b];
    bd_graph_set_mix(g, -1, 0.0f, NULL); /* the step's forward is done with it */
}

const BdRegImpl bd_mixup_impl = {make, free_state, before_forward, ce, NULL};
