/* Depthwise convolution (groups == channels): y[c] = sum over the taps of
 * w[c][tap] * the shifted plane x[c]. A GEMM with M = 1 per channel would be
 * hopeless; these loops run along image rows and vectorise. */
#include "conv.h"

void bd_depthwise_forward(const ConvGeom *G, const float *x, const float *w, const float *bias, int n, float *y) {
    const int K = G->k, s = G->s, p = G->p, W = G->w, OW = G->ow;
    const Patch q = {1, G->h, G->w, K, s, p, G->oh, G->ow, n};
    for (int c = 0; c < G->cout; c++) {
        const float *wc = w + (size_t)c * K * K;
        for (int b = 0; b < n; b++) {
            const float *xb = x + ((size_t)c * n + b) * G->hw;
            float *yb = y + ((size_t)c * n + b) * G->P;
            float b0 = bias ? bias[c] : 0.0f;
            for (size_t i = 0; i < G->P; i++) yb[i] = b0;
            for (int ky = 0; ky < K; ky++)
                for (int kx = 0; kx < K; kx++) {
                    const float wv = wc[ky * K + kx];
                    int lo, hi;
                    valid_cols(&q, kx, &lo, &hi);
                    for (int oh = 0; oh < G->oh; oh++) {
                        int ih = oh * s - p + ky;
                        if (ih < 0 || ih >= G->h) continue;
                        const float *xr = xb + (size_t)ih * W;
                        float *yr = yb + (size_t)oh * OW;
                        if (s == 1) {
                            const float *xo = xr - p + kx;
                            for (int ow = lo; ow < hi; ow++) yr[ow] += wv * xo[ow];
                        } else {
                            for (int ow = lo; ow < hi; ow++) yr[ow] += wv * xr[ow * s - p + kx];
                        }
                    }
                }
        }
    }
}

/* dw[c][tap] += sum dy * shifted x; dx (if any) += w * dy scattered back. */
void bd_depthwise_backward(const ConvGeom *G, const float *x, const float *w, const float *dy, int n, float *dw,
                               float *dx) {
    const int K = G->k, s = G->s, p = G->p, W = G->w, OW = G->ow;
    const Patch q = {1, G->h, G->w, K, s, p, G->oh, G->ow, n};
    for (int c = 0; c < G->cout; c++) {
        const float *wc = w + (size_t)c * K * K;
        float *dwc = dw + (size_t)c * K * K;
        for (int ky = 0; ky < K; ky++)
            for (int kx = 0; kx < K; kx++) {
                const float wv = wc[ky * K + kx];
                int lo, hi;
                valid_cols(&q, kx, &lo, &hi);
                double acc = 0.0;
                for (int b = 0; b < n; b++) {
                    const float *xb = x + ((size_t)c * n + b) * G->hw;
                    const float *dyb = dy + ((size_t)c * n + b) * G->P;
                    float *dxb = dx ? dx + ((size_t)c * n + b) * G->hw : NULL;
                    float part = 0.0f;
                    for (int oh = 0; oh < G->oh; oh++) {
                        int ih = oh * s - p + ky;
                        if (ih < 0 || ih >= G->h) continue;
                        const float *xr = xb + (size_t)ih * W;
                        const float *dyr = dyb + (size_t)oh * OW;
                        float row = 0.0f;
                        if (s == 1) {
                            const float *xo = xr - p + kx;
                            for (int ow = lo; ow < hi; ow++) row += dyr[ow] * xo[ow];
                            if (dxb) {
                                float *dxo = dxb + (size_t)ih * W - p + kx;
                                for (int ow = lo; ow < hi; ow++) dxo[ow] += wv * dyr[ow];
                            }
                        } else {
                            for (int ow = lo; ow < hi; ow++) row += dyr[ow] * xr[ow * s - p + kx];
                            if (dxb) {
                                float *dxr = dxb + (size_t)ih * W;
                                for (int ow = lo; ow < hi; ow++) dxr[ow * s - p + kx] += wv * dyr[ow];
                            }
                        }
                        part += row;
                    }
                    acc += part;
                }
                dwc[ky * K + kx] += (float)acc;
            }
    }
}

