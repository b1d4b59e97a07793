/* Pointwise ops with state from forward to backward: ReLU (reads its own
 * output) and inverted dropout (keeps its scaled mask). */
#include "ops.h"
#include "rng.h"

/* x [C, n, H, W] -> y = max(x, 0); a fused ReLU was computed by its producer */
void bd_relu_forward(BdGraph *g, BdNode *nd) {
    if (nd->fused) return;
    bd_vec_relu(nd->out, bd_in(g, nd, 0)->out, bd_numel(nd->shape, g->n));
}

/* dx (+)= dy where y > 0; a fused ReLU's producer reads dy and y itself */
void bd_relu_backward(BdGraph *g, BdNode *nd) {
    if (nd->fused) {
        g->nodes[nd->in[0]].grad_live = 1; /* its gradient is this node's, masked */
        return;
    }
    int acc;
    float *dx = bd_grad_into(g, nd, 0, &acc);
    if (dx) bd_vec_relu_back(dx, nd->grad, nd->out, bd_numel(nd->shape, g->n), acc);
}

/* Training: y = x * mask, mask = 0 with probability p, else 1/(1-p), drawn
 * from the step seed and the node index (the same step draws the same mask).
 * Evaluation: y = x. */
void bd_dropout_forward(BdGraph *g, BdNode *nd) {
    const size_t len = bd_numel(nd->shape, g->n);
    const float *x = bd_in(g, nd, 0)->out;
    if (g->mode != BD_TRAIN || nd->p == 0.0f) {
        bd_vec_put(nd->out, x, len, 0);
        return;
    }
    BdRng r;
    bd_rng_stream(&r, g->step_seed, "dropout", (uint64_t)(nd - g->nodes));
    const float keep = 1.0f / (1.0f - nd->p);
    for (size_t i = 0; i < len; i++) nd->aux[i] = bd_rng_uniform(&r) < nd->p ? 0.0f : keep;
    bd_vec_mul(nd->out, x, nd->aux, len, 0);
}

void bd_dropout_backward(BdGraph *g, BdNode *nd) {
    const size_t len = bd_numel(nd->shape, g->n);
    int acc;
    float *dx = bd_grad_into(g, nd, 0, &acc);
    if (!dx) return;
    if (g->mode != BD_TRAIN || nd->p == 0.0f) bd_vec_put(dx, nd->grad, len, acc);
    else bd_vec_mul(dx, nd->grad, nd->aux, len, acc);
}
