/* torch.optim.SGD (dampening 0) and torch.nn.utils.clip_grad_norm_, over
 * the graph's one contiguous parameter array, tensor by tensor so that
 * frozen tensors are skipped exactly as PyTorch skips parameters without
 * gradients. */
#include "optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void bd_sgd_init(BdSgd *o, const BdGraph *g, float momentum, float weight_decay, int nesterov) {
    memset(o, 0, sizeof *o);
    o->momentum = momentum;
    o->weight_decay = weight_decay;
    o->nesterov = nesterov;
    o->velocity = bd_xcalloc(g->n_params ? g->n_params : 1, sizeof *o->velocity);
    o->n_tensors = g->n_param_info;
    o->frozen = bd_xcalloc((size_t)g->n_param_info + 1, 1);
    o->started = bd_xcalloc((size_t)g->n_param_info + 1, 1);
}

void bd_sgd_free(BdSgd *o) {
    free(o->velocity);
    free(o->frozen);
    free(o->started);
    memset(o, 0, sizeof *o);
}

void bd_sgd_train_only(BdSgd *o, const BdGraph *g, const char *const *prefixes) {
    for (int t = 0; t < g->n_param_info; t++) {
        int train = prefixes == NULL;
        for (const char *const *p = prefixes; p && *p && !train; p++)
            train = !strncmp(g->param_info[t].name, *p, strlen(*p));
        o->frozen[t] = !train;
    }
}

double bd_grad_norm(const BdSgd *o, const BdGraph *g) {
    double s = 0.0;
    for (int t = 0; t < g->n_param_info; t++) {
        if (o->frozen[t]) continue;
        const float *gr = g->grads + g->param_info[t].off;
        for (size_t i = 0; i < g->param_info[t].len; i++) s += (double)gr[i] * gr[i];
    }
    return sqrt(s);
}

/* As clip_grad_norm_: scale by max_norm / (norm + 1e-6) when that is < 1. */
double bd_clip_grad_norm(const BdSgd *o, BdGraph *g, double max_norm) {
    const double norm = bd_grad_norm(o, g);
    if (max_norm <= 0.0) return norm;
    const double coef = max_norm / (norm + 1e-6);
    if (coef >= 1.0) return norm;
    for (int t = 0; t < g->n_param_info; t++) {
        if (o->frozen[t]) continue;
        float *gr = g->grads + g->param_info[t].off;
        for (size_t i = 0; i < g->param_info[t].len; i++) gr[i] = (float)(gr[i] * coef);
    }
    return norm;
}

/*   d = grad + wd * w                      (tensors with decay)
 *   v = started ? momentum * v + d : d     (momentum != 0)
 *   d = nesterov ? d + momentum * v : v
 *   w -= lr * d */
void bd_sgd_step(BdSgd *o, BdGraph *g, float lr) {
    const float mom = o->momentum;
    for (int t = 0; t < g->n_param_info; t++) {
        if (o->frozen[t]) continue;
        const BdParam *p = &g->param_info[t];
        float *w = g->params + p->off, *v = o->velocity + p->off;
        const float *gr = g->grads + p->off;
        const float wd = p->decay ? o->weight_decay : 0.0f;
        const int started = o->started[t];
        for (size_t i = 0; i < p->len; i++) {
            float d = gr[i];
            if (wd != 0.0f) d += wd * w[i];
            if (mom != 0.0f) {
                v[i] = started ? mom * v[i] + d : d;
                d = o->nesterov ? d + mom * v[i] : v[i];
            }
            w[i] -= lr * d;
        }
        o->started[t] = 1;
    }
    o->steps++;
    bd_graph_params_changed(g);
}
