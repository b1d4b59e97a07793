/* Pooling: max (argmax kept for backward; padding never wins), average
 * (with or without the padding in the divisor, as PyTorch's
 * count_include_pad), and global average. Each (channel, sample) plane is
 * pooled on its own. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"

/* The output rows (or columns) o that tap t reaches inside the input:
 * 0 <= o*s - p + t < size, for o in [lo, hi). Taps are visited kernel row by
 * kernel row, which is PyTorch's scan order within each window. */
static void tap_range(int t, int s, int p, int size, int out, int *lo, int *hi) {
    int a = p - t, l = a > 0 ? (a + s - 1) / s : 0;
    int b = size - 1 + p - t, h = b >= 0 ? b / s + 1 : 0;
    if (h > out) h = out;
    if (l > h) l = h;
    *lo = l;
    *hi = h;
}

#define POOL_MAX_K 16
/* Outputs narrower than this are pooled with the planes innermost (the tiny
 * maps at the end of a NASNet, where per-plane loop overhead dominates). */
#define SMALL_PLANE 8

/* Every tap's output ranges, computed once per call (the same for every plane). */
typedef struct Ranges {
    int oy0[POOL_MAX_K], oy1[POOL_MAX_K], ox0[POOL_MAX_K], ox1[POOL_MAX_K];
} Ranges;

static void ranges_of(const BdNode *nd, BdShape in, Ranges *r) {
    if (nd->k > POOL_MAX_K) {
        fprintf(stderr, "bdsweep: engine: pooling windows up to %d are supported, not %d\n", POOL_MAX_K, nd->k);
        abort();
    }
    for (int t = 0; t < nd->k; t++) {
        tap_range(t, nd->stride, nd->pad, in.h, nd->shape.h, &r->oy0[t], &r->oy1[t]);
        tap_range(t, nd->stride, nd->pad, in.w, nd->shape.w, &r->ox0[t], &r->ox1[t]);
    }
}

/* How many input rows (or columns) the window of output o covers. */
static inline int covered(int o, int s, int p, int k, int size) {
    int a = o * s - p, b = a + k;
    if (a < 0) a = 0;
    if (b > size) b = size;
    return b - a;
}

/* x [C, n, H, W] -> y [C, n, OH, OW], idx = argmax (h*W + w) within the plane;
 * padding never wins, the first maximum wins and NaN propagates (PyTorch) */
void bd_maxpool_forward(BdGraph *g, BdNode *nd) {
    const BdShape in = bd_in(g, nd, 0)->shape, out = nd->shape;
    const size_t planes = (size_t)out.c * g->n, ihw = bd_plane(in), ohw = bd_plane(out);
    const float *x = bd_in(g, nd, 0)->out;
    const int k = nd->k, s = nd->stride, p = nd->pad;
    if (k == 2 && s == 2 && p == 0) {
        bd_maxpool2x2(x, in.h, in.w, planes, nd->out, nd->idx, out.h, out.w);
        return;
    }
    Ranges R;
    ranges_of(nd, in, &R);
    if (out.w < SMALL_PLANE) {
        /* the planes innermost: the taps' loop overhead is paid once, not per plane */
        for (int oy = 0; oy < out.h; oy++)
            for (int ox = 0; ox < out.w; ox++) {
                const int o = oy * out.w + ox;
                const int32_t first = (oy * s - p < 0 ? 0 : oy * s - p) * in.w + (ox * s - p < 0 ? 0 : ox * s - p);
                for (size_t pl = 0; pl < planes; pl++) {
                    nd->out[pl * ohw + o] = -INFINITY;
                    nd->idx[pl * ohw + o] = first;
                }
            }
        for (int ky = 0; ky < k; ky++)
            for (int oy = R.oy0[ky]; oy < R.oy1[ky]; oy++)
                for (int kx = 0; kx < k; kx++)
                    for (int ox = R.ox0[kx]; ox < R.ox1[kx]; ox++) {
                        const int i = (oy * s - p + ky) * in.w + ox * s - p + kx, o = oy * out.w + ox;
                        const float *xs = x + i;
                        float *ys = nd->out + o;
                        int32_t *is = nd->idx + o;
                        for (size_t pl = 0; pl < planes; pl++) {
                            const float v = xs[pl * ihw];
                            const int take = v > ys[pl * ohw] || v != v;
                            ys[pl * ohw] = take ? v : ys[pl * ohw];
                            is[pl * ohw] = take ? i : is[pl * ohw];
                        }
                    }
        return;
    }
    for (size_t pl = 0; pl < planes; pl++) {
        const float *xp = x + pl * ihw;
        float *yp = nd->out + pl * ohw;
        int32_t *ip = nd->idx + pl * ohw;
        for (int oy = 0; oy < out.h; oy++) {
            const int iy0 = oy * s - p < 0 ? 0 : oy * s - p;
            for (int ox = 0; ox < out.w; ox++) {
                yp[oy * out.w + ox] = -INFINITY;
                ip[oy * out.w + ox] = iy0 * in.w + (ox * s - p < 0 ? 0 : ox * s - p);
            }
        }
        for (int ky = 0; ky < k; ky++) {
            for (int oy = R.oy0[ky]; oy < R.oy1[ky]; oy++) {
                const int iy = oy * s - p + ky;
                const float *xr = xp + (size_t)iy * in.w;
                float *yr = yp + (size_t)oy * out.w;
                int32_t *ir = ip + (size_t)oy * out.w;
                for (int kx = 0; kx < k; kx++) {
                    for (int ox = R.ox0[kx]; ox < R.ox1[kx]; ox++) {
                        const int ix = ox * s - p + kx;
                        const float v = xr[ix];
                        const int take = v > yr[ox] || v != v;
                        yr[ox] = take ? v : yr[ox];
                        ir[ox] = take ? iy * in.w + ix : ir[ox];
                    }
                }
            }
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

/* x [C, n, H, W] -> y [C, n, OH, OW]: the window's sum divided by k*k
 * (count_include_pad) or by the number of input values it covers; the
 * divisors of the output plane are in aux (set by finalize, plan.c) */
void bd_avgpool_forward(BdGraph *g, BdNode *nd) {
    const BdShape in = bd_in(g, nd, 0)->shape, out = nd->shape;
    const size_t planes = (size_t)out.c * g->n, ihw = bd_plane(in), ohw = bd_plane(out);
    const float *x = bd_in(g, nd, 0)->out, *div = nd->aux;
    const int k = nd->k, s = nd->stride, p = nd->pad;
    Ranges R;
    ranges_of(nd, in, &R);
    if (out.w < SMALL_PLANE) {
        memset(nd->out, 0, planes * ohw * sizeof(float));
        for (int ky = 0; ky < k; ky++)
            for (int oy = R.oy0[ky]; oy < R.oy1[ky]; oy++)
                for (int kx = 0; kx < k; kx++)
                    for (int ox = R.ox0[kx]; ox < R.ox1[kx]; ox++) {
                        const float *xs = x + (size_t)(oy * s - p + ky) * in.w + (ox * s - p + kx);
                        float *ys = nd->out + (size_t)oy * out.w + ox;
                        for (size_t pl = 0; pl < planes; pl++) ys[pl * ohw] += xs[pl * ihw];
                    }
        for (size_t pl = 0; pl < planes; pl++)
            for (size_t o = 0; o < ohw; o++) nd->out[pl * ohw + o] /= div[o];
        return;
    }
    for (size_t pl = 0; pl < planes; pl++) {
        const float *xp = x + pl * ihw;
        float *yp = nd->out + pl * ohw;
        for (size_t o = 0; o < ohw; o++) yp[o] = 0.0f;
        for (int ky = 0; ky < k; ky++)
            for (int oy = R.oy0[ky]; oy < R.oy1[ky]; oy++) {
                const float *xr = xp + (size_t)(oy * s - p + ky) * in.w;
                float *yr = yp + (size_t)oy * out.w;
                for (int kx = 0; kx < k; kx++) {
                    const int ox0 = R.ox0[kx], ox1 = R.ox1[kx];
                    if (s == 1)
                        for (int ox = ox0; ox < ox1; ox++) yr[ox] += xr[ox - p + kx];
                    else
                        for (int ox = ox0; ox < ox1; ox++) yr[ox] += xr[ox * s - p + kx];
                }
            }
        for (size_t o = 0; o < ohw; o++) yp[o] /= div[o];
    }
}

/* The divisor of every output position (aux of an average pool). */
void bd_avgpool_divisors(const BdGraph *g, BdNode *nd) {
    const BdShape in = g->nodes[nd->in[0]].shape, out = nd->shape;
    const int k = nd->k, s = nd->stride, p = nd->pad;
    for (int oy = 0; oy < out.h; oy++)
        for (int ox = 0; ox < out.w; ox++)
            nd->aux[oy * out.w + ox] = nd->count_include_pad ? (float)(k * k)
                                                             : (float)(covered(oy, s, p, k, in.h) * covered(ox, s, p, k, in.w));
}

/* dx[window] += dy / divisor */
void bd_avgpool_backward(BdGraph *g, BdNode *nd) {
    float *dx = bd_grad_accum(g, nd, 0);
    if (!dx) return;
    const BdShape in = bd_in(g, nd, 0)->shape, out = nd->shape;
    const size_t planes = (size_t)out.c * g->n, ihw = bd_plane(in), ohw = bd_plane(out);
    const int k = nd->k, s = nd->stride, p = nd->pad;
    const float *div = nd->aux;
    Ranges R;
    ranges_of(nd, in, &R);
    if (out.w < SMALL_PLANE) {
        for (int ky = 0; ky < k; ky++)
            for (int oy = R.oy0[ky]; oy < R.oy1[ky]; oy++)
                for (int kx = 0; kx < k; kx++)
                    for (int ox = R.ox0[kx]; ox < R.ox1[kx]; ox++) {
                        const size_t o = (size_t)oy * out.w + ox;
                        float *dxs = dx + (size_t)(oy * s - p + ky) * in.w + (ox * s - p + kx);
                        const float *dys = nd->grad + o;
                        const float d = div[o];
                        for (size_t pl = 0; pl < planes; pl++) dxs[pl * ihw] += dys[pl * ohw] / d;
                    }
        return;
    }
    for (size_t pl = 0; pl < planes; pl++) {
        float *dxp = dx + pl * ihw;
        const float *dyp = nd->grad + pl * ohw;
        for (int ky = 0; ky < k; ky++)
            for (int oy = R.oy0[ky]; oy < R.oy1[ky]; oy++) {
                const float *dyr = dyp + (size_t)oy * out.w, *dvr = div + (size_t)oy * out.w;
                float *dxr = dxp + (size_t)(oy * s - p + ky) * in.w;
                for (int kx = 0; kx < k; kx++)
                    for (int ox = R.ox0[kx]; ox < R.ox1[kx]; ox++) dxr[ox * s - p + kx] += dyr[ox] / dvr[ox];
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
