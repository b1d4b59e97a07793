/* Convolution on OpenBLAS sgemm: im2col + GEMM, a direct GEMM for 1x1
 * stride-1 convolutions, and a direct kernel for depthwise ones.
 *
 * With CNHW activations, output column j of Y[Cout, n*OH*OW] is pixel
 * (b, oh, ow) with j = (b*OH + oh)*OW + ow: any range of "global rows"
 * R = b*OH + oh is a contiguous column range of Y, across sample
 * boundaries. The batch is processed in such column tiles, in one of two
 * ways, chosen per layer by the GEMM size M*N*K:
 *
 *   TILE   small layers (M*K*OW <= g->gemm_small): tiles of about
 *          g->gemm_small / (M*K) columns, so that every sgemm is small
 *          enough for OpenBLAS' small-matrix kernels (M*N*K <= 1e6, no
 *          packing of the operands: ~2x the throughput on CIFAR-sized
 *          layers here). All three products are then plain NN products:
 *            forward  Y_tile   = W x cols
 *            dW       dW^T    += cols x dY_tile^T   (dY tile transposed: small)
 *            dX       dX_tile  = W' x cols(dY)      (stride 1: the transposed
 *                                 convolution with the flipped weights W',
 *                                 no col2im)
 *                     dX_tile += col2im(W^T x dY_tile)  (stride > 1)
 *   CHUNK  large layers: the columns of whole samples, about g->conv_chunk
 *          floats at a time, through OpenBLAS' packed GEMM (where packing
 *          pays off); with conv_chunk >= the whole batch this is the
 *          textbook single sgemm per layer.
 *
 * Measured numbers behind these choices: bench/README.md. */
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

/* ---- tiling -------------------------------------------------------------------- */

/* Output rows per tile in TILE mode for a GEMM of M*K = mk over rows of
 * `width` columns; 0 when a single row is already too big (CHUNK mode).
 * Tiles aim at half the small-matrix limit (the small kernels slow down near
 * it) unless that leaves fewer than 32 columns, then go to the limit. */
static int tile_rows(const BdGraph *g, size_t mk, int width, int rows_total) {
    const size_t per_row = mk * (size_t)width;
    if (!g->gemm_small || per_row >= g->gemm_small) return 0;
    size_t r = g->gemm_small / 2 / per_row;
    if (r * (size_t)width < 32) r = (g->gemm_small - 1) / per_row;
    if (r > (size_t)rows_total) r = (size_t)rows_total;
    return (int)r;
}

/* Forward and dW tile rows (over output rows), dX tile rows (over input rows). */
static int rows_fwd(const BdGraph *g, const ConvGeom *G) {
    return tile_rows(g, (size_t)G->coutg * G->ckk, G->ow, g->max_batch * G->oh);
}
static int rows_dx(const BdGraph *g, const ConvGeom *G) {
    if (rows_fwd(g, G) == 0) return 0;
    return tile_rows(g, (size_t)G->coutg * G->ckk, G->w, g->max_batch * G->h);
}

/* Samples per chunk in CHUNK mode: as many as fit conv_chunk floats of columns. */
static int chunk_samples(const BdGraph *g, const ConvGeom *G, int n) {
    size_t per = G->ckk * G->P;
    size_t nb = per ? g->conv_chunk / per : (size_t)n;
    if (nb < 1) nb = 1;
    if (nb > (size_t)n) nb = (size_t)n;
    return (int)nb;
}

size_t bd_conv_workspace(const BdGraph *g, const BdNode *nd) {
    ConvGeom G = geom(g, nd);
    if (G.depthwise) return 0;
    const int rf = rows_fwd(g, &G);
    if (rf == 0) return G.direct ? 0 : G.ckk * G.P * (size_t)chunk_samples(g, &G, g->max_batch);
    const size_t t = (size_t)rf * G.ow, tdx = (size_t)rows_dx(g, &G) * G.w;
    /* forward/dW: cols [ckk, t] + dY^T [t, coutg] + dW^T [ckk, coutg] + W' [cin, coutg*K*K];
     * dX: cols(dY) [coutg*K*K, tdx] (stride 1) or W^T dY [ckk, t] (stride > 1) */
    size_t cols = G.direct ? 0 : G.ckk * t;
    size_t dcols = G.s == 1 ? (size_t)G.coutg * G.k * G.k * tdx : G.ckk * t;
    if (dcols > cols) cols = dcols;
    return cols + t * (size_t)G.coutg + G.ckk * (size_t)G.coutg + (size_t)G.cin * G.coutg * G.k * G.k + 64;
}

double bd_conv_flops(const BdGraph *g, const BdNode *nd) {
    ConvGeom G = geom(g, nd);
    return 2.0 * (double)G.cout * (double)G.ckk * (double)G.P + (nd->bias ? (double)(G.cout * G.P) : 0.0);
}

/* ---- im2col over global rows ------------------------------------------------------ */

/* A sampling of c channels of h x w planes by a k x k kernel (stride s,
 * padding p) into oh x ow outputs; channel ci, sample b of the source is the
 * plane at src + (ci*n + b)*h*w. */
typedef struct Patch {
    int c, h, w, k, s, p, oh, ow, n;
} Patch;

/* The output columns ow whose input column ow*s - p + kx lies inside [0, w). */
static void valid_cols(const Patch *q, int kx, int *lo, int *hi) {
    int a = q->p - kx, l = a > 0 ? (a + q->s - 1) / q->s : 0;
    int b = q->w - 1 + q->p - kx, h = b >= 0 ? b / q->s + 1 : 0;
    if (h > q->ow) h = q->ow;
    if (l > h) l = h;
    *lo = l;
    *hi = h;
}

/* cols[c*k*k, (r1-r0)*ow] (row stride ld) for the global output rows
 * R = b*oh + y in [r0, r1). Row (ci*k + ky)*k + kx matches the weight layout
 * [Cout, Cin/g, K, K]. */
static void im2col(const Patch *q, const float *src, int r0, int r1, float *cols, size_t ld) {
    const int K = q->k, s = q->s, p = q->p, W = q->w, OW = q->ow;
    const size_t hw = (size_t)q->h * W;
    /* Stride 1 with "same" padding: consecutive output rows read consecutive
     * input rows of the same width, so a run of rows is one copy of the
     * flattened plane, after which the few columns that fell into the
     * padding are zeroed. */
    const int same = s == 1 && W == OW;
    for (int ci = 0; ci < q->c; ci++)
        for (int ky = 0; ky < K; ky++)
            for (int kx = 0; kx < K; kx++) {
                float *row = cols + ((size_t)(ci * K + ky) * K + kx) * ld;
                int lo, hi;
                valid_cols(q, kx, &lo, &hi);
                for (int R = r0; R < r1;) {
                    const int b = R / q->oh, oy = R - b * q->oh, iy = oy * s - p + ky;
                    float *ro = row + (size_t)(R - r0) * OW;
                    const float *plane = src + ((size_t)ci * q->n + b) * hw;
                    if (iy < 0 || iy >= q->h) {
                        memset(ro, 0, (size_t)OW * sizeof(float));
                        R++;
                        continue;
                    }
                    if (same && hi > lo) {
                        /* rows R..Rend-1 of this sample with their input row inside the plane */
                        int end_oy = q->oh < q->h - ky + p ? q->oh : q->h - ky + p;
                        int Rend = R + (end_oy - oy);
                        if (Rend > r1) Rend = r1;
                        const int rows = Rend - R;
                        const float *from = plane + (size_t)iy * W + lo - p + kx;
                        memcpy(ro + lo, from, ((size_t)(rows - 1) * OW + (size_t)(hi - lo)) * sizeof(float));
                        for (int r = 0; r < rows; r++) {
                            float *rr = ro + (size_t)r * OW;
                            for (int ow = 0; ow < lo; ow++) rr[ow] = 0.0f;
                            for (int ow = hi; ow < OW; ow++) rr[ow] = 0.0f;
                        }
                        R = Rend;
                        continue;
                    }
                    const float *xr = plane + (size_t)iy * W;
                    for (int ow = 0; ow < lo; ow++) ro[ow] = 0.0f;
                    if (s == 1) memcpy(ro + lo, xr + lo - p + kx, (size_t)(hi - lo) * sizeof(float));
                    else
                        for (int ow = lo; ow < hi; ow++) ro[ow] = xr[ow * s - p + kx];
                    for (int ow = hi; ow < OW; ow++) ro[ow] = 0.0f;
                    R++;
                }
            }
}

/* The adjoint: adds cols (as im2col built them for rows [r0, r1)) into dx. */
static void col2im(const Patch *q, const float *cols, size_t ld, int r0, int r1, float *dx) {
    const int K = q->k, s = q->s, p = q->p, W = q->w, OW = q->ow;
    const size_t hw = (size_t)q->h * W;
    for (int ci = 0; ci < q->c; ci++)
        for (int ky = 0; ky < K; ky++)
            for (int kx = 0; kx < K; kx++) {
                const float *row = cols + ((size_t)(ci * K + ky) * K + kx) * ld;
                int lo, hi;
                valid_cols(q, kx, &lo, &hi);
                for (int R = r0; R < r1; R++) {
                    const int b = R / q->oh, oy = R - b * q->oh, iy = oy * s - p + ky;
                    if (iy < 0 || iy >= q->h) continue;
                    const float *ro = row + (size_t)(R - r0) * OW;
                    float *xr = dx + ((size_t)ci * q->n + b) * hw + (size_t)iy * W;
                    if (s == 1) {
                        float *xo = xr - p + kx;
                        for (int ow = lo; ow < hi; ow++) xo[ow] += ro[ow];
                    } else {
                        for (int ow = lo; ow < hi; ow++) xr[ow * s - p + kx] += ro[ow];
                    }
                }
            }
}

/* dst[t, m] = src[m, t] (src rows ld apart): the small transposes of TILE mode. */
static void transpose(const float *src, size_t ld, int m, int t, float *dst) {
    for (int j0 = 0; j0 < t; j0 += 16) {
        const int j1 = j0 + 16 < t ? j0 + 16 : t;
        for (int i = 0; i < m; i++) {
            const float *s = src + (size_t)i * ld;
            for (int j = j0; j < j1; j++) dst[(size_t)j * m + i] = s[j];
        }
    }
}

/* ---- depthwise: y[c] = sum over taps of w[c][tap] * shifted x[c] ---------------- */

static void depthwise_forward(const ConvGeom *G, const float *x, const float *w, const float *bias, int n, float *y) {
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
static void depthwise_backward(const ConvGeom *G, const float *x, const float *w, const float *dy, int n, float *dw,
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

/* ---- TILE mode ------------------------------------------------------------------------ */

static Patch input_patch(const ConvGeom *G, int n) {
    return (Patch){G->cing, G->h, G->w, G->k, G->s, G->p, G->oh, G->ow, n};
}

/* x [Cin, n, H, W] -> y [Cout, n, OH, OW] */
static void forward_tiles(BdGraph *g, const ConvGeom *G, const float *x, const float *w, float *y) {
    const int n = g->n, rows = rows_fwd(g, G), total = n * G->oh;
    const Patch q = input_patch(G, n);
    const size_t ldy = (size_t)n * G->P;
    for (int r0 = 0; r0 < total; r0 += rows) {
        const int r1 = r0 + rows < total ? r0 + rows : total;
        const size_t t = (size_t)(r1 - r0) * G->ow, j0 = (size_t)r0 * G->ow;
        for (int grp = 0; grp < G->groups; grp++) {
            const float *xg = x + (size_t)grp * G->cing * n * G->hw;
            const float *B = xg + j0;
            size_t ldb = (size_t)n * G->hw;
            if (!G->direct) {
                im2col(&q, xg, r0, r1, g->work, t);
                B = g->work;
                ldb = t;
            }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, G->coutg, (int)t, (int)G->ckk, 1.0f,
                        w + (size_t)grp * G->coutg * G->ckk, (int)G->ckk, B, (int)ldb, 0.0f,
                        y + (size_t)grp * G->coutg * ldy + j0, (int)ldy);
        }
    }
}

static void backward_tiles(BdGraph *g, const ConvGeom *G, const float *x, const float *w, const float *dy, float *dw,
                           BdNode *nd) {
    const int n = g->n, rows = rows_fwd(g, G), total = n * G->oh;
    const Patch q = input_patch(G, n);
    const size_t ldy = (size_t)n * G->P, t_max = (size_t)rows * G->ow;
    const size_t kk = (size_t)G->k * G->k;
    float *cols = g->work;
    size_t cols_len = G->direct ? 0 : G->ckk * t_max;
    const size_t tdx_max = (size_t)rows_dx(g, G) * G->w;
    const size_t dcols_len = G->s == 1 ? (size_t)G->coutg * kk * tdx_max : G->ckk * t_max;
    if (dcols_len > cols_len) cols_len = dcols_len;
    float *dyt = cols + cols_len;                     /* [t, coutg] */
    float *dwt = dyt + t_max * (size_t)G->coutg;       /* [ckk, coutg] */
    float *wflip = dwt + G->ckk * (size_t)G->coutg;    /* [cing, coutg*K*K] per group */

    /* dW: per group, dW^T [ckk, coutg] += cols [ckk, t] x dY^T [t, coutg]. */
    for (int grp = 0; grp < G->groups; grp++) {
        const float *xg = x + (size_t)grp * G->cing * n * G->hw;
        const float *dyg = dy + (size_t)grp * G->coutg * ldy;
        memset(dwt, 0, G->ckk * (size_t)G->coutg * sizeof(float));
        for (int r0 = 0; r0 < total; r0 += rows) {
            const int r1 = r0 + rows < total ? r0 + rows : total;
            const size_t t = (size_t)(r1 - r0) * G->ow, j0 = (size_t)r0 * G->ow;
            const float *A = xg + j0;
            size_t lda = (size_t)n * G->hw;
            if (!G->direct) {
                im2col(&q, xg, r0, r1, cols, t);
                A = cols;
                lda = t;
            }
            transpose(dyg + j0, ldy, G->coutg, (int)t, dyt);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)G->ckk, G->coutg, (int)t, 1.0f, A, (int)lda,
                        dyt, G->coutg, 1.0f, dwt, G->coutg);
        }
        float *dwg = dw + (size_t)grp * G->coutg * G->ckk;
        for (int co = 0; co < G->coutg; co++)
            for (size_t r = 0; r < G->ckk; r++) dwg[(size_t)co * G->ckk + r] += dwt[r * G->coutg + co];
    }

    /* dX */
    if (!g->nodes[nd->in[0]].needs_grad) return;
    const size_t ldx = (size_t)n * G->hw;
    if (G->direct) {
        /* dX tile = W^T [cin, cout] x dY tile */
        int acc = 0;
        float *dx = bd_grad_into(g, nd, 0, &acc);
        for (int r0 = 0; r0 < total; r0 += rows) {
            const int r1 = r0 + rows < total ? r0 + rows : total;
            const size_t t = (size_t)(r1 - r0) * G->ow, j0 = (size_t)r0 * G->ow;
            for (int grp = 0; grp < G->groups; grp++)
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, G->cing, (int)t, G->coutg, 1.0f,
                            w + (size_t)grp * G->coutg * G->ckk, (int)G->ckk, dy + (size_t)grp * G->coutg * ldy + j0,
                            (int)ldy, acc ? 1.0f : 0.0f, dx + (size_t)grp * G->cing * ldx + j0, (int)ldx);
        }
        return;
    }
    if (G->s == 1) {
        /* The transposed convolution: dX = conv(dY, W', stride 1, padding K-1-p) with
         * W'[ci][co][ky][kx] = W[co][ci][K-1-ky][K-1-kx]; it writes dX directly. */
        int acc = 0;
        float *dx = bd_grad_into(g, nd, 0, &acc);
        const int rdx = rows_dx(g, G), tot_dx = n * G->h;
        const Patch qd = {G->coutg, G->oh, G->ow, G->k, 1, G->k - 1 - G->p, G->h, G->w, n};
        const size_t wk = (size_t)G->coutg * kk;
        for (int grp = 0; grp < G->groups; grp++) {
            const float *wg = w + (size_t)grp * G->coutg * G->ckk;
            for (int ci = 0; ci < G->cing; ci++)
                for (int co = 0; co < G->coutg; co++)
                    for (size_t tap = 0; tap < kk; tap++)
                        wflip[(size_t)ci * wk + (size_t)co * kk + tap] = wg[((size_t)co * G->cing + ci) * kk + kk - 1 - tap];
            const float *dyg = dy + (size_t)grp * G->coutg * ldy;
            for (int r0 = 0; r0 < tot_dx; r0 += rdx) {
                const int r1 = r0 + rdx < tot_dx ? r0 + rdx : tot_dx;
                const size_t t = (size_t)(r1 - r0) * G->w, j0 = (size_t)r0 * G->w;
                im2col(&qd, dyg, r0, r1, cols, t);
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, G->cing, (int)t, (int)wk, 1.0f, wflip, (int)wk,
                            cols, (int)t, acc ? 1.0f : 0.0f, dx + (size_t)grp * G->cing * ldx + j0, (int)ldx);
            }
        }
        return;
    }
    /* Strided: columns W^T x dY tile, added back by col2im. */
    float *dx = bd_grad_accum(g, nd, 0);
    for (int r0 = 0; r0 < total; r0 += rows) {
        const int r1 = r0 + rows < total ? r0 + rows : total;
        const size_t t = (size_t)(r1 - r0) * G->ow, j0 = (size_t)r0 * G->ow;
        for (int grp = 0; grp < G->groups; grp++) {
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)G->ckk, (int)t, G->coutg, 1.0f,
                        w + (size_t)grp * G->coutg * G->ckk, (int)G->ckk, dy + (size_t)grp * G->coutg * ldy + j0,
                        (int)ldy, 0.0f, cols, (int)t);
            col2im(&q, cols, t, r0, r1, dx + (size_t)grp * G->cing * ldx);
        }
    }
}

/* ---- CHUNK mode --------------------------------------------------------------------- */

static void forward_chunks(BdGraph *g, const ConvGeom *G, const float *x, const float *w, float *y) {
    const int n = g->n, nb = chunk_samples(g, G, n);
    const Patch q = input_patch(G, n);
    const size_t ldy = (size_t)n * G->P;
    for (int b0 = 0; b0 < n; b0 += nb) {
        const int nbc = b0 + nb <= n ? nb : n - b0;
        const size_t ncols = (size_t)nbc * G->P, j0 = (size_t)b0 * G->P;
        for (int grp = 0; grp < G->groups; grp++) {
            const float *xg = x + (size_t)grp * G->cing * n * G->hw;
            const float *B = xg + (size_t)b0 * G->hw;
            size_t ldb = (size_t)n * G->hw;
            if (!G->direct) {
                im2col(&q, xg, b0 * G->oh, (b0 + nbc) * G->oh, g->work, ncols);
                B = g->work;
                ldb = ncols;
            }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, G->coutg, (int)ncols, (int)G->ckk, 1.0f,
                        w + (size_t)grp * G->coutg * G->ckk, (int)G->ckk, B, (int)ldb, 0.0f,
                        y + (size_t)grp * G->coutg * ldy + j0, (int)ldy);
        }
    }
}

static void backward_chunks(BdGraph *g, const ConvGeom *G, const float *x, const float *w, const float *dy, float *dw,
                            BdNode *nd) {
    const int n = g->n, nb = chunk_samples(g, G, n);
    const Patch q = input_patch(G, n);
    const size_t ldy = (size_t)n * G->P;
    int acc = 0;
    float *dx = G->direct ? bd_grad_into(g, nd, 0, &acc) : bd_grad_accum(g, nd, 0);
    for (int b0 = 0; b0 < n; b0 += nb) {
        const int nbc = b0 + nb <= n ? nb : n - b0;
        const size_t ncols = (size_t)nbc * G->P, j0 = (size_t)b0 * G->P;
        for (int grp = 0; grp < G->groups; grp++) {
            const float *xg = x + (size_t)grp * G->cing * n * G->hw;
            const float *wg = w + (size_t)grp * G->coutg * G->ckk;
            const float *dyg = dy + (size_t)grp * G->coutg * ldy + j0;
            const float *B = xg + (size_t)b0 * G->hw;
            size_t ldb = (size_t)n * G->hw;
            if (!G->direct) {
                im2col(&q, xg, b0 * G->oh, (b0 + nbc) * G->oh, g->work, ncols);
                B = g->work;
                ldb = ncols;
            }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, G->coutg, (int)G->ckk, (int)ncols, 1.0f, dyg,
                        (int)ldy, B, (int)ldb, 1.0f, dw + (size_t)grp * G->coutg * G->ckk, (int)G->ckk);
            if (!dx) continue;
            if (G->direct) {
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, G->cing, (int)ncols, G->coutg, 1.0f, wg,
                            (int)G->ckk, dyg, (int)ldy, acc ? 1.0f : 0.0f,
                            dx + ((size_t)grp * G->cing * n + b0) * G->hw, (int)ldb);
            } else {
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)G->ckk, (int)ncols, G->coutg, 1.0f, wg,
                            (int)G->ckk, dyg, (int)ldy, 0.0f, g->work, (int)ncols);
                col2im(&q, g->work, ncols, b0 * G->oh, (b0 + nbc) * G->oh, dx + (size_t)grp * G->cing * n * G->hw);
            }
        }
    }
}

/* ---- forward / backward ------------------------------------------------------------- */

/* x [Cin, n, H, W], W [Cout, Cin/g, K, K], b [Cout] -> y [Cout, n, OH, OW] */
void bd_conv_forward(BdGraph *g, BdNode *nd) {
    const ConvGeom G = geom(g, nd);
    const float *x = bd_in(g, nd, 0)->out;
    const float *w = bd_param_ptr(g, nd->w_param);
    const float *bias = nd->bias ? bd_param_ptr(g, nd->b_param) : NULL;
    if (G.depthwise) {
        depthwise_forward(&G, x, w, bias, g->n, nd->out);
        return;
    }
    if (rows_fwd(g, &G)) forward_tiles(g, &G, x, w, nd->out);
    else forward_chunks(g, &G, x, w, nd->out);
    if (bias) {
        const size_t ldy = (size_t)g->n * G.P;
        for (int co = 0; co < G.cout; co++) {
            float *yr = nd->out + (size_t)co * ldy;
            const float bv = bias[co];
            for (size_t j = 0; j < ldy; j++) yr[j] += bv;
        }
    }
}

/* dy [Cout, n, OH, OW] -> dW += dY x cols^T, db += row sums, dx (+)= the transposed convolution of dY */
void bd_conv_backward(BdGraph *g, BdNode *nd) {
    const ConvGeom G = geom(g, nd);
    const float *x = bd_in(g, nd, 0)->out;
    const float *w = bd_param_ptr(g, nd->w_param);
    float *dw = bd_pgrad_ptr(g, nd->w_param);
    if (nd->bias) {
        const size_t ldy = (size_t)g->n * G.P;
        float *db = bd_pgrad_ptr(g, nd->b_param);
        for (int co = 0; co < G.cout; co++) db[co] += (float)bd_vec_sum(nd->grad + (size_t)co * ldy, ldy);
    }
    if (G.depthwise) {
        depthwise_backward(&G, x, w, nd->grad, g->n, dw, bd_grad_accum(g, nd, 0));
        return;
    }
    if (rows_fwd(g, &G)) backward_tiles(g, &G, x, w, nd->grad, dw, nd);
    else backward_chunks(g, &G, x, w, nd->grad, dw, nd);
}
