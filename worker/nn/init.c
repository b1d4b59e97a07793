/* Parameter initialisation as torchvision's ResNet and PyTorch's defaults:
 * conv weights kaiming_normal_(mode="fan_out", nonlinearity="relu"), conv
 * biases and linear layers uniform(+-1/sqrt(fan_in)), BN gamma 1 beta 0,
 * running mean 0 var 1. Each tensor draws from its own stream named after
 * it, so adding a layer never changes the initial weights of the others. */
#include <math.h>

#include "ops.h"
#include "rng.h"

static void fill_uniform(BdRng *r, float *w, size_t len, double bound) {
    for (size_t i = 0; i < len; i++) w[i] = (float)((2.0 * bd_rng_uniform_d(r) - 1.0) * bound);
}

void bd_graph_init_params(BdGraph *g, uint64_t seed) {
    bd_graph_params_changed(g);
    for (int i = 0; i < g->n_param_info; i++) {
        const BdParam *p = &g->param_info[i];
        const BdNode *nd = &g->nodes[p->node];
        float *w = g->params + p->off;
        BdRng r;
        bd_rng_stream(&r, seed, p->name, 0);
        const int is_weight = i == nd->w_param;
        switch (nd->op) {
        case BD_OP_CONV: {
            const double kk = (double)nd->k * nd->k;
            if (is_weight) {
                const double std = sqrt(2.0 / ((double)p->dims[0] * kk)); /* fan_out = Cout*K*K */
                for (size_t j = 0; j < p->len; j++) w[j] = (float)(std * bd_rng_normal(&r));
            } else {
                const BdParam *wp = &g->param_info[nd->w_param];
                fill_uniform(&r, w, p->len, 1.0 / sqrt((double)wp->dims[1] * kk)); /* fan_in = Cin/g*K*K */
            }
            break;
        }
        case BD_OP_LINEAR:
            fill_uniform(&r, w, p->len, 1.0 / sqrt((double)g->param_info[nd->w_param].dims[1]));
            break;
        case BD_OP_BN:
            for (size_t j = 0; j < p->len; j++) w[j] = is_weight ? 1.0f : 0.0f;
            break;
        default:
            break;
        }
    }
    for (int i = 0; i < g->n_buffer_info; i++) {
        const BdParam *b = &g->buffer_info[i];
        const BdNode *nd = &g->nodes[b->node];
        float *v = g->buffers + b->off;
        for (size_t j = 0; j < b->len; j++) v[j] = i == nd->rv_buf ? 1.0f : 0.0f;
    }
}
