/* Pooling: max (argmax kept for backward; padding never wins), average
 * (with or without the padding in the divisor, as PyTorch's
 * count_include_pad), and global average. Each (channel, sample) plane is
 * pooled on its own. */
#include <math.h>

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
            int oy0, oy1;
            tap_range(ky, s, p, in.h, out.h, &oy0, &oy1);
            for (int oy = oy0; oy < oy1; oy++) {
                const int iy = oy * s - p + ky;
                const float *xr = xp + (size_t)iy * in.w;
                float *yr = yp + (size_t)oy * out.w;
                int32_t *ir = ip + (size_t)oy * out.w;
                for (int kx = 0; kx < k; kx++) {
                    int ox0, ox1;
                    tap_range(kx, s, p, in.w, out.w, &ox0, &ox1);
                    for (int ox = ox0; ox < ox1; ox++) {
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
 * (count_include_pad) or by the number of input values it covers */
void bd_avgpool_forward(BdGraph *g, BdNode *nd) {
    const BdShape in = bd_in(g, nd, 0)->shape, out = nd->shape;
    const size_t planes = (size_t)out.c * g->n, ihw = bd_plane(in), ohw = bd_plane(out);
    const float *x = bd_in(g, nd, 0)->out;
    const int k = nd->k, s = nd->stride, p = nd->pad;
    for (size_t pl = 0; pl < planes; pl++) {
        const float *xp = x + pl * ihw;
        float *yp = nd->out + pl * ohw;
        for (size_t o = 0; o < ohw; o++) yp[o] = 0.0f;
        for (int ky = 0; ky < k; ky++) {
            int oy0, oy1;
            tap_range(ky, s, p, in.h, out.h, &oy0, &oy1);
            for (int oy = oy0; oy < oy1; oy++) {
                const float *xr = xp + (size_t)(oy * s - p + ky) * in.w;
                float *yr = yp + (size_t)oy * out.w;
                for (int kx = 0; kx < k; kx++) {
                    int ox0, ox1;
                    tap_range(kx, s, p, in.w, out.w, &ox0, &ox1);
                    if (s == 1)
                        for (int ox = ox0; ox < ox1; ox++) yr[ox] += xr[ox - p + kx];
                    else
                        for (int ox = ox0; ox < ox1; ox++) yr[ox] += xr[ox * s - p + kx];
                }
            }
        }
        for (int oy = 0; oy < out.h; oy++) {
            float *yr = yp + (size_t)oy * out.w;
            const int cy = covered(oy, s, p, k, in.h);
            for (int ox = 0; ox < out.w; ox++)
                yr[ox] /= nd->count_include_pad ? (float)(k * k) : (float)(cy * covered(ox, s, p, k, in.w));
        }
    }
}

/* dx[window] += dy / divisor */
void bd_avgpool_backward(BdGraph *g, BdNode *nd) {
    float *dx = bd_grad_accum(g, nd, 0);
    if (!dx) return;
    const BdShape in = bd_in(g, nd, 0)->shape, out = nd->shape;
    const size_t planes = (size_t)out.c * g->n, ihw = bd_plane(in), ohw = bd_plane(out);
    const int k = nd->k, s = nd->stride, p = nd->pad;
    for (size_t pl = 0; pl < planes; pl++) {
        float *dxp = dx + pl * ihw;
        const float *dyp = nd->grad + pl * ohw;
        for (int oy = 0; oy < out.h; oy++) {
            const float *dyr = dyp + (size_t)oy * out.w;
            const int cy = covered(oy, s, p, k, in.h);
            for (int ky = 0; ky < k; ky++) {
                const int iy = oy * s - p + ky;
                if (iy < 0 || iy >= in.h) continue;
                float *dxr = dxp + (size_t)iy * in.w;
                for (int kx = 0; kx < k; kx++) {
                    int ox0, ox1;
                    tap_range(kx, s, p, in.w, out.w, &ox0, &ox1);
                    for (int ox = ox0; ox < ox1; ox++) {
                        const float div =
                            nd->count_include_pad ? (float)(k * k) : (float)(cy * covered(ox, s, p, k, in.w));
                        dxr[ox * s - p + kx] += dyr[ox] / div;
                    }
                }
            }
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
