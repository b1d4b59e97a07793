/* Pooling: max (argmax kept for backward; padding never wins), average
 * (with or without the padding in the divisor, as PyTorch's
 * count_include_pad), and global average. Each (channel, sample) plane is
 * pooled on its own. */
#include "ops.h"

typedef struct Win {
    int h0, h1, w0, w1; /* the window clipped to the input */
} Win;

static inline Win window(const BdNode *nd, BdShape in, int oh, int ow) {
    Win v;
    v.h0 = oh * nd->stride - nd->pad;
    v.w0 = ow * nd->stride - nd->pad;
    v.h1 = v.h0 + nd->k;
    v.w1 = v.w0 + nd->k;
    if (v.h0 < 0) v.h0 = 0;
    if (v.w0 < 0) v.w0 = 0;
    if (v.h1 > in.h) v.h1 = in.h;
    if (v.w1 > in.w) v.w1 = in.w;
    return v;
}

/* x [C, n, H, W] -> y [C, n, OH, OW], idx = argmax (h*W + w) within the plane */
void bd_maxpool_forward(BdGraph *g, BdNode *nd) {
    const BdShape in = bd_in(g, nd, 0)->shape, out = nd->shape;
    const size_t planes = (size_t)out.c * g->n, ihw = bd_plane(in), ohw = bd_plane(out);
    const float *x = bd_in(g, nd, 0)->out;
    if (nd->k == 2 && nd->stride == 2 && nd->pad == 0) {
        bd_maxpool2x2(x, in.h, in.w, planes, nd->out, nd->idx, out.h, out.w);
        return;
    }
    for (size_t pl = 0; pl < planes; pl++) {
        const float *xp = x + pl * ihw;
        float *yp = nd->out + pl * ohw;
        int32_t *ip = nd->idx + pl * ohw;
        for (int oh = 0; oh < out.h; oh++)
            for (int ow = 0; ow < out.w; ow++) {
                Win v = window(nd, in, oh, ow);
                int best = v.h0 * in.w + v.w0;
                float m = xp[best];
                for (int h = v.h0; h < v.h1; h++)
                    for (int w = v.w0; w < v.w1; w++) {
                        float val = xp[h * in.w + w];
                        if (val > m || val != val) { /* first maximum wins, NaN propagates: as PyTorch */
                            m = val;
                            best = h * in.w + w;
                        }
                    }
                yp[oh * out.w + ow] = m;
                ip[oh * out.w + ow] = best;
            }
    }
}

/* dx[argmax] += dy */
void bd_maxpool_backward(BdGraph *g, BdNode *nd) {
    float *dx = bd_grad_accum(g, nd, 0);
    if (!dx) return;
    const BdShape in = bd_in(g, nd, 0)->shape, out = nd->shape;
    const size_t planes = (size_t)out.c * g->n, ihw = bd_plane(in), ohw = bd_plane(out);
    for (size_t pl = 0; pl < planes; pl++) {
        float *dxp = dx + pl * ihw;
        const float *dyp = nd->grad + pl * ohw;
        const int32_t *ip = nd->idx + pl * ohw;
        for (size_t o = 0; o < ohw; o++) dxp[ip[o]] += dyp[o];
    }
}

static inline float divisor(const BdNode *nd, Win v) {
    return nd->count_include_pad ? (float)(nd->k * nd->k) : (float)((v.h1 - v.h0) * (v.w1 - v.w0));
}

/* x [C, n, H, W] -> y [C, n, OH, OW], mean over the window */
void bd_avgpool_forward(BdGraph *g, BdNode *nd) {
    const BdShape in = bd_in(g, nd, 0)->shape, out = nd->shape;
    const size_t planes = (size_t)out.c * g->n, ihw = bd_plane(in), ohw = bd_plane(out);
    const float *x = bd_in(g, nd, 0)->out;
    for (size_t pl = 0; pl < planes; pl++) {
        const float *xp = x + pl * ihw;
        float *yp = nd->out + pl * ohw;
        for (int oh = 0; oh < out.h; oh++)
            for (int ow = 0; ow < out.w; ow++) {
                Win v = window(nd, in, oh, ow);
                float s = 0.0f;
                for (int h = v.h0; h < v.h1; h++)
                    for (int w = v.w0; w < v.w1; w++) s += xp[h * in.w + w];
                yp[oh * out.w + ow] = s / divisor(nd, v);
            }
    }
}

/* dx[window] += dy / divisor */
void bd_avgpool_backward(BdGraph *g, BdNode *nd) {
    float *dx = bd_grad_accum(g, nd, 0);
    if (!dx) return;
    const BdShape in = bd_in(g, nd, 0)->shape, out = nd->shape;
    const size_t planes = (size_t)out.c * g->n, ihw = bd_plane(in), ohw = bd_plane(out);
    for (size_t pl = 0; pl < planes; pl++) {
        float *dxp = dx + pl * ihw;
        const float *dyp = nd->grad + pl * ohw;
        for (int oh = 0; oh < out.h; oh++)
            for (int ow = 0; ow < out.w; ow++) {
                Win v = window(nd, in, oh, ow);
                const float d = dyp[oh * out.w + ow] / divisor(nd, v);
                for (int h = v.h0; h < v.h1; h++)
                    for (int w = v.w0; w < v.w1; w++) dxp[h * in.w + w] += d;
            }
    }
}

/* x [C, n, H, W] -> y [C, n, 1, 1], the plane means */
void bd_gap_forward(BdGraph *g, BdNode *nd) {
    const BdShape in = bd_in(g, nd, 0)->shape;
    const size_t planes = (size_t)in.c * g->n, ihw = bd_plane(in);
    const float *x = bd_in(g, nd, 0)->out;
    for (size_t pl = 0; pl < planes; pl++) nd->out[pl] = (float)(bd_vec_sum(x + pl * ihw, ihw) / (double)ihw);
}

/* dx (+)= dy / (H*W), broadcast over the plane */
void bd_gap_backward(BdGraph *g, BdNode *nd) {
    int acc;
    float *dx = bd_grad_into(g, nd, 0, &acc);
    if (!dx) return;
    const BdShape in = bd_in(g, nd, 0)->shape;
    const size_t planes = (size_t)in.c * g->n, ihw = bd_plane(in);
    const float scale = 1.0f / (float)ihw;
    for (size_t pl = 0; pl < planes; pl++) {
        const float d = nd->grad[pl] * scale;
        float *dxp = dx + pl * ihw;
        if (acc)
            for (size_t i = 0; i < ihw; i++) dxp[i] += d;
        else
            for (size_t i = 0; i < ihw; i++) dxp[i] = d;
    }
}
