/* Depthwise convolution (groups == channels): y[c] = sum over the taps of
 * w[c][tap] * the shifted plane x[c]. A GEMM with M = 1 per channel would be
 * hopeless; these loops run along image rows and vectorise.
 *
 * The valid range of every tap (which output rows and columns it reaches
 * inside the padded input) is the same for every channel and sample, so it
 * is computed once per call. Planes narrower than MIN_ROW_WIDTH (the 1x1 to
 * 4x4 maps at the end of a NASNet) would spend their time in loop overhead
 * along rows, so there the innermost loop runs over the batch instead: in
 * CNHW the samples of a channel are consecutive planes. */
#include <stdio.h>
#include <stdlib.h>

#include "conv.h"

#define MAX_K 15
#define MIN_ROW_WIDTH 8

typedef struct Taps {
    int lo[MAX_K], hi[MAX_K];       /* per kx: output columns [lo, hi) inside the input */
    int oy_lo[MAX_K], oy_hi[MAX_K]; /* per ky: output rows [oy_lo, oy_hi) inside the input */
} Taps;

/* The first o >= 0 with o*s - p + t >= 0, and one past the last with o*s - p + t < size, clipped to [0, out]. */
static void range_of(int t, int s, int p, int size, int out, int *lo, int *hi) {
    int a = p - t, l = a > 0 ? (a + s - 1) / s : 0;
    int b = size - 1 + p - t, h = b >= 0 ? b / s + 1 : 0;
    if (h > out) h = out;
    if (l > h) l = h;
    *lo = l;
    *hi = h;
}

static int taps_of(const ConvGeom *G, Taps *T) {
    if (G->k > MAX_K) {
        fprintf(stderr, "bdsweep: engine: depthwise kernels up to %dx%d are supported, not %dx%d\n", MAX_K, MAX_K,
                G->k, G->k);
        return -1;
    }
    for (int t = 0; t < G->k; t++) {
        range_of(t, G->s, G->p, G->w, G->ow, &T->lo[t], &T->hi[t]);
        range_of(t, G->s, G->p, G->h, G->oh, &T->oy_lo[t], &T->oy_hi[t]);
    }
    return 0;
}

void bd_depthwise_forward(const ConvGeom *G, const float *x, const float *w, const float *bias, int n, float *y) {
    const int K = G->k, s = G->s, p = G->p, W = G->w, OW = G->ow;
    Taps T;
    if (taps_of(G, &T) < 0) abort();
    for (int c = 0; c < G->cout; c++) {
        const float *wc = w + (size_t)c * K * K;
        const float *xc = x + (size_t)c * n * G->hw;
        float *yc = y + (size_t)c * n * G->P;
        const float b0 = bias ? bias[c] : 0.0f;
        for (size_t i = 0; i < (size_t)n * G->P; i++) yc[i] = b0;
        if (OW >= MIN_ROW_WIDTH) {
            for (int b = 0; b < n; b++) {
                const float *xb = xc + (size_t)b * G->hw;
                float *yb = yc + (size_t)b * G->P;
                for (int ky = 0; ky < K; ky++)
                    for (int oy = T.oy_lo[ky]; oy < T.oy_hi[ky]; oy++) {
                        const float *xr = xb + (size_t)(oy * s - p + ky) * W;
                        float *yr = yb + (size_t)oy * OW;
                        for (int kx = 0; kx < K; kx++) {
                            const float wv = wc[ky * K + kx];
                            const int lo = T.lo[kx], hi = T.hi[kx], off = kx - p;
                            if (s == 1)
                                for (int ox = lo; ox < hi; ox++) yr[ox] += wv * xr[ox + off];
                            else
                                for (int ox = lo; ox < hi; ox++) yr[ox] += wv * xr[ox * s + off];
                        }
                    }
            }
        } else {
            for (int ky = 0; ky < K; ky++)
                for (int oy = T.oy_lo[ky]; oy < T.oy_hi[ky]; oy++)
                    for (int kx = 0; kx < K; kx++) {
                        const float wv = wc[ky * K + kx];
                        for (int ox = T.lo[kx]; ox < T.hi[kx]; ox++) {
                            const float *xs = xc + (size_t)(oy * s - p + ky) * W + (ox * s - p + kx);
                            float *ys = yc + (size_t)oy * OW + ox;
                            for (int b = 0; b < n; b++) ys[(size_t)b * G->P] += wv * xs[(size_t)b * G->hw];
                        }
                    }
        }
    }
}

/* dw[c][tap] += sum dy * shifted x; dx (if any) += w * dy scattered back. */
void bd_depthwise_backward(const ConvGeom *G, const float *x, const float *w, const float *dy, int n, float *dw,
                           float *dx) {
    const int K = G->k, s = G->s, p = G->p, W = G->w, OW = G->ow;
    Taps T;
    if (taps_of(G, &T) < 0) abort();
    for (int c = 0; c < G->cout; c++) {
        const float *wc = w + (size_t)c * K * K;
        float *dwc = dw + (size_t)c * K * K;
        const float *xc = x + (size_t)c * n * G->hw, *dyc = dy + (size_t)c * n * G->P;
        float *dxc = dx ? dx + (size_t)c * n * G->hw : NULL;
        for (int ky = 0; ky < K; ky++)
            for (int kx = 0; kx < K; kx++) {
                const float wv = wc[ky * K + kx];
                const int lo = T.lo[kx], hi = T.hi[kx], off = kx - p;
                double acc = 0.0;
                if (OW >= MIN_ROW_WIDTH) {
                    for (int b = 0; b < n; b++) {
                        const float *xb = xc + (size_t)b * G->hw, *dyb = dyc + (size_t)b * G->P;
                        float *dxb = dxc ? dxc + (size_t)b * G->hw : NULL;
                        float part = 0.0f;
                        for (int oy = T.oy_lo[ky]; oy < T.oy_hi[ky]; oy++) {
                            const size_t ir = (size_t)(oy * s - p + ky) * W;
                            const float *xr = xb + ir, *dyr = dyb + (size_t)oy * OW;
                            float row = 0.0f;
                            if (s == 1) {
                                for (int ox = lo; ox < hi; ox++) row += dyr[ox] * xr[ox + off];
                                if (dxb) {
                                    float *dxr = dxb + ir;
                                    for (int ox = lo; ox < hi; ox++) dxr[ox + off] += wv * dyr[ox];
                                }
                            } else {
                                for (int ox = lo; ox < hi; ox++) row += dyr[ox] * xr[ox * s + off];
                                if (dxb) {
                                    float *dxr = dxb + ir;
                                    for (int ox = lo; ox < hi; ox++) dxr[ox * s + off] += wv * dyr[ox];
                                }
                            }
                            part += row;
                        }
                        acc += part;
                    }
                } else {
                    for (int oy = T.oy_lo[ky]; oy < T.oy_hi[ky]; oy++)
                        for (int ox = lo; ox < hi; ox++) {
                            const size_t in = (size_t)(oy * s - p + ky) * W + (size_t)(ox * s + off);
                            const float *xs = xc + in, *dys = dyc + (size_t)oy * OW + ox;
                            float part = 0.0f;
                            for (int b = 0; b < n; b++) part += dys[(size_t)b * G->P] * xs[(size_t)b * G->hw];
                            acc += part;
                            if (dxc) {
                                float *dxs = dxc + in;
                                for (int b = 0; b < n; b++) dxs[(size_t)b * G->hw] += wv * dys[(size_t)b * G->P];
                            }
                        }
                }
                dwc[ky * K + kx] += (float)acc;
            }
    }
}
