/* Convolution: im2col + one sgemm per group and batch chunk, a direct GEMM
 * for 1x1 stride-1 convolutions, and a direct kernel for depthwise ones.
 *
 * With CNHW activations the columns of samples b0..b0+nb are the contiguous
 * column range [b0*P, (b0+nb)*P) of Y[Cout, n*P] (P = OH*OW), so a chunk of
 * the batch is an sgemm on a sub-matrix (ldc = n*P). The batch is cut into
 * chunks of about g->conv_chunk floats of columns so that the columns built
 * by im2col are still in cache when the GEMM reads them; with
 * conv_chunk >= the whole batch this is the textbook single sgemm. */
#include <cblas.h>
#include <string.h>

#include "ops.h"

typedef struct ConvGeom {
    int cin, cout, h, w, oh, ow, k, s, p, groups, cing, coutg;
    size_t hw, P, ckk;
    int direct;    /* 1x1, stride 1, no padding: the input is already the column matrix */
    int depthwise; /* groups == cin == cout */
} ConvGeom;

static ConvGeom geom(const BdGraph *g, const BdNode *nd) {
    const BdShape in = g->nodes[nd->in[0]].shape;
    ConvGeom G;
    G.cin = in.c;
    G.h = in.h;
    G.w = in.w;
    G.cout = nd->shape.c;
    G.oh = nd->shape.h;
    G.ow = nd->shape.w;
    G.k = nd->k;
    G.s = nd->stride;
    G.p = nd->pad;
    G.groups = nd->groups;
    G.cing = G.cin / G.groups;
    G.coutg = G.cout / G.groups;
    G.hw = (size_t)G.h * G.w;
    G.P = (size_t)G.oh * G.ow;
    G.ckk = (size_t)G.cing * G.k * G.k;
    G.direct = G.k == 1 && G.s == 1 && G.p == 0;
    G.depthwise = G.groups > 1 && G.groups == G.cin && G.groups == G.cout;
    return G;
}

/* Samples per chunk: as many as fit conv_chunk floats of columns, at least 1. */
static int chunk_samples(const BdGraph *g, const ConvGeom *G, int n) {
    size_t per = G->ckk * G->P;
    size_t nb = per ? g->conv_chunk / per : (size_t)n;
    if (nb < 1) nb = 1;
    if (nb > (size_t)n) nb = (size_t)n;
    return (int)nb;
}

size_t bd_conv_workspace(const BdGraph *g, const BdNode *nd) {
    ConvGeom G = geom(g, nd);
    if (G.direct || G.depthwise) return 0;
    return G.ckk * G.P * (size_t)chunk_samples(g, &G, g->max_batch);
}

double bd_conv_flops(const BdGraph *g, const BdNode *nd) {
    ConvGeom G = geom(g, nd);
    return 2.0 * (double)G.cout * (double)G.ckk * (double)G.P + (nd->bias ? (double)(G.cout * G.P) : 0.0);
}

/* The output columns ow whose input column ow*s - p + kx lies inside [0, W). */
static void valid_cols(const ConvGeom *G, int kx, int *lo, int *hi) {
    int a = G->p - kx, l = a > 0 ? (a + G->s - 1) / G->s : 0;
    int b = G->w - 1 + G->p - kx, h = b >= 0 ? b / G->s + 1 : 0;
    if (h > G->ow) h = G->ow;
    if (l > h) l = h;
    *lo = l;
    *hi = h;
}

/* cols[ckk, nb*P] of input channels c0.. (one group) and samples b0..b0+nb.
 * Row (ci*K + ky)*K + kx matches the weight layout [Cout, Cin/g, K, K]. */
static void im2col(const ConvGeom *G, const float *x, int n, int c0, int b0, int nb, float *cols) {
    const size_t ncols = (size_t)nb * G->P;
    const int K = G->k, s = G->s, p = G->p, W = G->w, OW = G->ow;
    for (int ci = 0; ci < G->cing; ci++)
        for (int ky = 0; ky < K; ky++)
            for (int kx = 0; kx < K; kx++) {
                float *row = cols + ((size_t)(ci * K + ky) * K + kx) * ncols;
                int lo, hi;
                valid_cols(G, kx, &lo, &hi);
                for (int b = 0; b < nb; b++) {
                    const float *xb = x + ((size_t)(c0 + ci) * n + b0 + b) * G->hw;
                    float *rb = row + (size_t)b * G->P;
                    for (int oh = 0; oh < G->oh; oh++) {
                        float *ro = rb + (size_t)oh * OW;
                        int ih = oh * s - p + ky;
                        if (ih < 0 || ih >= G->h) {
                            memset(ro, 0, (size_t)OW * sizeof(float));
                            continue;
                        }
                        const float *xr = xb + (size_t)ih * W;
                        for (int ow = 0; ow < lo; ow++) ro[ow] = 0.0f;
                        if (s == 1) {
                            memcpy(ro + lo, xr + lo - p + kx, (size_t)(hi - lo) * sizeof(float));
                        } else {
                            for (int ow = lo; ow < hi; ow++) ro[ow] = xr[ow * s - p + kx];
                        }
                        for (int ow = hi; ow < OW; ow++) ro[ow] = 0.0f;
                    }
                }
            }
}

/* The adjoint of im2col: adds the columns back into dx (which the caller zeroed
 * or holds earlier contributions). */
static void col2im(const ConvGeom *G, const float *cols, int n, int c0, int b0, int nb, float *dx) {
    const size_t ncols = (size_t)nb * G->P;
    const int K = G->k, s = G->s, p = G->p, W = G->w, OW = G->ow;
    for (int ci = 0; ci < G->cing; ci++)
        for (int ky = 0; ky < K; ky++)
            for (int kx = 0; kx < K; kx++) {
                const float *row = cols + ((size_t)(ci * K + ky) * K + kx) * ncols;
                int lo, hi;
                valid_cols(G, kx, &lo, &hi);
                for (int b = 0; b < nb; b++) {
                    float *xb = dx + ((size_t)(c0 + ci) * n + b0 + b) * G->hw;
                    const float *rb = row + (size_t)b * G->P;
                    for (int oh = 0; oh < G->oh; oh++) {
                        int ih = oh * s - p + ky;
                        if (ih < 0 || ih >= G->h) continue;
                        const float *ro = rb + (size_t)oh * OW;
                        float *xr = xb + (size_t)ih * W;
                        if (s == 1) {
                            float *xo = xr - p + kx;
                            for (int ow = lo; ow < hi; ow++) xo[ow] += ro[ow];
                        } else {
                            for (int ow = lo; ow < hi; ow++) xr[ow * s - p + kx] += ro[ow];
                        }
                    }
                }
            }
}

/* ---- depthwise: y[c] = sum over taps of w[c][tap] * shifted x[c] ---------------- */

static void depthwise_forward(const ConvGeom *G, const float *x, const float *w, const float *bias, int n, float *y) {
    const int K = G->k, s = G->s, p = G->p, W = G->w, OW = G->ow;
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
                    valid_cols(G, kx, &lo, &hi);
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
static void depthwise_backward(const ConvGeom *G, const float *x, const float *w, const float *dy, int n, float *dw,
                               float *dx) {
    const int K = G->k, s = G->s, p = G->p, W = G->w, OW = G->ow;
    for (int c = 0; c < G->cout; c++) {
        const float *wc = w + (size_t)c * K * K;
        float *dwc = dw + (size_t)c * K * K;
        for (int ky = 0; ky < K; ky++)
            for (int kx = 0; kx < K; kx++) {
                const float wv = wc[ky * K + kx];
                int lo, hi;
                valid_cols(G, kx, &lo, &hi);
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

/* ---- forward / backward ------------------------------------------------------------- */

/* x [Cin, n, H, W], W [Cout, Cin/g, K, K], b [Cout] -> y [Cout, n, OH, OW] */
void bd_conv_forward(BdGraph *g, BdNode *nd) {
    const ConvGeom G = geom(g, nd);
    const int n = g->n;
    const float *x = bd_in(g, nd, 0)->out;
    const float *w = bd_param_ptr(g, nd->w_param);
    const float *bias = nd->bias ? bd_param_ptr(g, nd->b_param) : NULL;
    float *y = nd->out;
    if (G.depthwise) {
        depthwise_forward(&G, x, w, bias, n, y);
        return;
    }
    const int nb = chunk_samples(g, &G, n);
    const size_t ldy = (size_t)n * G.P;
    for (int b0 = 0; b0 < n; b0 += nb) {
        const int nbc = b0 + nb <= n ? nb : n - b0;
        const size_t ncols = (size_t)nbc * G.P;
        for (int grp = 0; grp < G.groups; grp++) {
            const float *B;
            size_t ldb;
            if (G.direct) {
                B = x + ((size_t)grp * G.cing * n + b0) * G.hw;
                ldb = (size_t)n * G.hw;
            } else {
                im2col(&G, x, n, grp * G.cing, b0, nbc, g->work);
                B = g->work;
                ldb = ncols;
            }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, G.coutg, (int)ncols, (int)G.ckk, 1.0f,
                        w + (size_t)grp * G.coutg * G.ckk, (int)G.ckk, B, (int)ldb, 0.0f,
                        y + (size_t)grp * G.coutg * ldy + (size_t)b0 * G.P, (int)ldy);
        }
        if (bias)
            for (int co = 0; co < G.cout; co++) {
                float *yr = y + (size_t)co * ldy + (size_t)b0 * G.P;
                const float bv = bias[co];
                for (size_t j = 0; j < ncols; j++) yr[j] += bv;
            }
    }
}

/* dy [Cout, n, OH, OW] -> dW += dY x cols^T, db += row sums, dx (+)= col2im(W^T x dY) */
void bd_conv_backward(BdGraph *g, BdNode *nd) {
    const ConvGeom G = geom(g, nd);
    const int n = g->n;
    const float *x = bd_in(g, nd, 0)->out;
    const float *w = bd_param_ptr(g, nd->w_param);
    const float *dy = nd->grad;
    float *dw = bd_pgrad_ptr(g, nd->w_param);
    const size_t ldy = (size_t)n * G.P;
    if (nd->bias) {
        float *db = bd_pgrad_ptr(g, nd->b_param);
        for (int co = 0; co < G.cout; co++) db[co] += (float)bd_vec_sum(dy + (size_t)co * ldy, ldy);
    }
    if (G.depthwise) {
        depthwise_backward(&G, x, w, dy, n, dw, bd_grad_accum(g, nd, 0));
        return;
    }
    int acc = 0;
    float *dx = G.direct ? bd_grad_into(g, nd, 0, &acc) : bd_grad_accum(g, nd, 0);
    const int nb = chunk_samples(g, &G, n);
    for (int b0 = 0; b0 < n; b0 += nb) {
        const int nbc = b0 + nb <= n ? nb : n - b0;
        const size_t ncols = (size_t)nbc * G.P;
        for (int grp = 0; grp < G.groups; grp++) {
            const float *wg = w + (size_t)grp * G.coutg * G.ckk;
            const float *dyg = dy + (size_t)grp * G.coutg * ldy + (size_t)b0 * G.P;
            const float *B;
            size_t ldb;
            if (G.direct) {
                B = x + ((size_t)grp * G.cing * n + b0) * G.hw;
                ldb = (size_t)n * G.hw;
            } else {
                im2col(&G, x, n, grp * G.cing, b0, nbc, g->work);
                B = g->work;
                ldb = ncols;
            }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, G.coutg, (int)G.ckk, (int)ncols, 1.0f, dyg, (int)ldy,
                        B, (int)ldb, 1.0f, dw + (size_t)grp * G.coutg * G.ckk, (int)G.ckk);
            if (!dx) continue;
            if (G.direct) {
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, G.cing, (int)ncols, G.coutg, 1.0f, wg, (int)G.ckk,
                            dyg, (int)ldy, acc ? 1.0f : 0.0f, dx + ((size_t)grp * G.cing * n + b0) * G.hw, (int)ldb);
            } else {
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)G.ckk, (int)ncols, G.coutg, 1.0f, wg,
                            (int)G.ckk, dyg, (int)ldy, 0.0f, g->work, (int)ncols);
                col2im(&G, g->work, n, grp * G.cing, b0, nbc, dx);
            }
        }
    }
}
