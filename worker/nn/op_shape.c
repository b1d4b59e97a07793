/* Ops that move data without parameters: flatten, add, concat, shift,
 * the manifold-mixup point, identity. */
#include <string.h>

#include "ops.h"

/* The input node: the caller's x [C, n, H, W], copied in. */
void bd_input_forward(BdGraph *g, BdNode *nd) {
    memcpy(nd->out, g->x, bd_numel(nd->shape, g->n) * sizeof(float));
}

/* x [C, n, H, W] -> y [C*H*W, n]: feature (c*H + h)*W + w, PyTorch's order */
void bd_flatten_forward(BdGraph *g, BdNode *nd) {
    const BdShape in = bd_in(g, nd, 0)->shape;
    const int n = g->n;
    const size_t hw = bd_plane(in);
    const float *x = bd_in(g, nd, 0)->out;
    for (int c = 0; c < in.c; c++)
        for (int b = 0; b < n; b++) {
            const float *xp = x + ((size_t)c * n + b) * hw;
            float *y = nd->out + (size_t)c * hw * n + b;
            for (size_t i = 0; i < hw; i++) y[i * n] = xp[i];
        }
}

void bd_flatten_backward(BdGraph *g, BdNode *nd) {
    int acc;
    float *dx = bd_grad_into(g, nd, 0, &acc);
    if (!dx) return;
    const BdShape in = bd_in(g, nd, 0)->shape;
    const int n = g->n;
    const size_t hw = bd_plane(in);
    for (int c = 0; c < in.c; c++)
        for (int b = 0; b < n; b++) {
            float *dxp = dx + ((size_t)c * n + b) * hw;
            const float *dy = nd->grad + (size_t)c * hw * n + b;
            if (acc)
                for (size_t i = 0; i < hw; i++) dxp[i] += dy[i * n];
            else
                for (size_t i = 0; i < hw; i++) dxp[i] = dy[i * n];
        }
}

/* a, b [C, n, H, W] -> y = a + b (fused: the following ReLU's output max(a + b, 0)) */
void bd_add_forward(BdGraph *g, BdNode *nd) {
    const size_t len = bd_numel(nd->shape, g->n);
    if (nd->relu_into) bd_vec_add_relu(g->nodes[nd->relu_into].out, bd_in(g, nd, 0)->out, bd_in(g, nd, 1)->out, len);
    else bd_vec_add(nd->out, bd_in(g, nd, 0)->out, bd_in(g, nd, 1)->out, len);
}

/* da (+)= dy, db (+)= dy (fused: dy masked by the ReLU's output, in place);
 * an input that shares this node's gradient buffer (grad_of) has it already */
void bd_add_backward(BdGraph *g, BdNode *nd) {
    const size_t len = bd_numel(nd->shape, g->n);
    if (nd->relu_into) bd_vec_relu_mask(nd->grad, g->nodes[nd->relu_into].out, len);
    for (int i = 0; i < 2; i++) {
        BdNode *x = bd_in(g, nd, i);
        if (x->grad_of == (int)(nd - g->nodes)) {
            x->grad_live = x->needs_grad;
            continue;
        }
        int acc;
        float *dx = bd_grad_into(g, nd, i, &acc);
        if (dx) bd_vec_put(dx, nd->grad, len, acc);
    }
}

/* x_i [C_i, n, H, W] -> y [sum C_i, n, H, W]: in CNHW each input is one
 * contiguous block of the output */
void bd_concat_forward(BdGraph *g, BdNode *nd) {
    float *y = nd->out;
    for (int i = 0; i < nd->n_in; i++) {
        const BdNode *x = bd_in(g, nd, i);
        const size_t len = bd_numel(x->shape, g->n);
        memcpy(y, x->out, len * sizeof(float));
        y += len;
    }
}

void bd_concat_backward(BdGraph *g, BdNode *nd) {
    const float *dy = nd->grad;
    for (int i = 0; i < nd->n_in; i++) {
        const size_t len = bd_numel(bd_in(g, nd, i)->shape, g->n);
        int acc;
        float *dx = bd_grad_into(g, nd, i, &acc);
        if (dx) bd_vec_put(dx, dy, len, acc);
        dy += len;
    }
}

/* x [C, n, H, W] -> y[h][w] = x[h+1][w+1], 0 on the last row and column */
void bd_shift_forward(BdGraph *g, BdNode *nd) {
    const BdShape s = nd->shape;
    const size_t planes = (size_t)s.c * g->n, hw = bd_plane(s);
    const float *x = bd_in(g, nd, 0)->out;
    for (size_t pl = 0; pl < planes; pl++) {
        const float *xp = x + pl * hw;
        float *yp = nd->out + pl * hw;
        for (int h = 0; h < s.h; h++) {
            float *yr = yp + (size_t)h * s.w;
            if (h + 1 >= s.h) {
                memset(yr, 0, (size_t)s.w * sizeof(float));
                continue;
            }
            memcpy(yr, xp + (size_t)(h + 1) * s.w + 1, (size_t)(s.w - 1) * sizeof(float));
            yr[s.w - 1] = 0.0f;
        }
    }
}

void bd_shift_backward(BdGraph *g, BdNode *nd) {
    float *dx = bd_grad_accum(g, nd, 0);
    if (!dx) return;
    const BdShape s = nd->shape;
    const size_t planes = (size_t)s.c * g->n, hw = bd_plane(s);
    for (size_t pl = 0; pl < planes; pl++) {
        float *dxp = dx + pl * hw;
        const float *dyp = nd->grad + pl * hw;
        for (int h = 0; h + 1 < s.h; h++) bd_vec_put(dxp + (size_t)(h + 1) * s.w + 1, dyp + (size_t)h * s.w, (size_t)(s.w - 1), 1);
    }
}

/* Manifold mixup: y[c, b] = lambda * x[c, b] + (1 - lambda) * x[c, perm[b]]
 * when this node belongs to the step's mixing group (bd_mix_with) in
 * training; y = x otherwise. */
void bd_mix_forward(BdGraph *g, BdNode *nd) {
    const float *x = bd_in(g, nd, 0)->out;
    const int n = g->n;
    nd->mixed = g->mode == BD_TRAIN && g->mix_node >= 0 && g->nodes[g->mix_node].mix_head == nd->mix_head;
    if (!nd->mixed) {
        bd_vec_put(nd->out, x, bd_numel(nd->shape, n), 0);
        return;
    }
    const size_t hw = bd_plane(nd->shape);
    const float lam = nd->p = g->mix_lambda; /* backward uses the lambda this forward used */
    for (int c = 0; c < nd->shape.c; c++)
        for (int b = 0; b < n; b++)
            bd_vec_lerp(nd->out + ((size_t)c * n + b) * hw, x + ((size_t)c * n + b) * hw,
                        x + ((size_t)c * n + g->mix_perm[b]) * hw, lam, 1.0f - lam, hw);
}

/* dx[c, b] += lambda * dy[c, b]; dx[c, perm[b]] += (1 - lambda) * dy[c, b] */
void bd_mix_backward(BdGraph *g, BdNode *nd) {
    const int n = g->n;
    if (!nd->mixed) {
        int acc;
        float *dx = bd_grad_into(g, nd, 0, &acc);
        if (dx) bd_vec_put(dx, nd->grad, bd_numel(nd->shape, n), acc);
        return;
    }
    float *dx = bd_grad_accum(g, nd, 0);
    if (!dx) return;
    const size_t hw = bd_plane(nd->shape);
    const float lam = nd->p;
    for (int c = 0; c < nd->shape.c; c++)
        for (int b = 0; b < n; b++) {
            const float *dy = nd->grad + ((size_t)c * n + b) * hw;
            bd_vec_put_scaled(dx + ((size_t)c * n + b) * hw, dy, lam, hw, 1);
            bd_vec_put_scaled(dx + ((size_t)c * n + g->mix_perm[b]) * hw, dy, 1.0f - lam, hw, 1);
        }
}

void bd_identity_forward(BdGraph *g, BdNode *nd) {
    bd_vec_put(nd->out, bd_in(g, nd, 0)->out, bd_numel(nd->shape, g->n), 0);
}

void bd_identity_backward(BdGraph *g, BdNode *nd) {
    int acc;
    float *dx = bd_grad_into(g, nd, 0, &acc);
    if (dx) bd_vec_put(dx, nd->grad, bd_numel(nd->shape, g->n), acc);
}
