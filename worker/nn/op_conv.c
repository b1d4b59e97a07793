/* Convolution on OpenBLAS sgemm. Each layer runs in one of four ways,
 * chosen by its shape:
 *
 *   DEPTHWISE  groups == channels: a direct kernel (conv_depthwise.c).
 *   SHIFT      stride 1, K > 1, at least 8 channels per group: K*K shifted
 *              1x1 products over a zero-padded tile, no im2col (conv_shift.c).
 *   TILE       other small layers (M*K*OW <= g->gemm_small): im2col of column
 *              tiles sized so that every sgemm is small enough for OpenBLAS'
 *              small-matrix kernels (M*N*K <= 1e6, no packing: ~2x the
 *              throughput of its packed path on CIFAR-sized layers here).
 *   CHUNK      large layers: im2col of whole samples, about g->conv_chunk
 *              floats of columns at a time, through OpenBLAS' packed GEMM
 *              (where packing pays off); with conv_chunk >= the whole batch
 *              this is the textbook single sgemm per layer.
 *
 * With CNHW activations, output column j of Y[Cout, n*OH*OW] is pixel
 * (b, oh, ow) with j = (b*OH + oh)*OW + ow: any range of "global rows"
 * R = b*OH + oh is a contiguous column range of Y, across sample
 * boundaries, which is what TILE and CHUNK cut. In TILE mode all three
 * products are plain NN products (the layout OpenBLAS' small kernels take):
 *     forward  Y_tile   = W x cols
 *     dW       dW^T    += cols x dY_tile^T        (the dY tile transposed: small)
 *     dX       dX_tile  = W' x cols(dY)           (stride 1: the transposed
 *                         convolution with flipped weights W', no col2im)
 *              dX_tile += col2im(W^T x dY_tile)   (stride > 1)
 * Measured numbers behind these choices: bench/README.md. */
#include <cblas.h>
#include <string.h>

#include "conv.h"

/* ---- tiling -------------------------------------------------------------------- */

/* Output rows per tile in TILE mode for a GEMM of M*K = mk over rows of
 * `width` columns; 0 when a single row is already too big (CHUNK mode).
 * Tiles aim at half the small-matrix limit (the small kernels slow down near
 * it) unless that leaves fewer than 32 columns, then go to the limit. */
int bd_conv_tile_rows(const BdGraph *g, size_t mk, int width, int rows_total) {
    const size_t per_row = mk * (size_t)width;
    if (!g->gemm_small || per_row >= g->gemm_small) return 0;
    size_t r = g->gemm_small / 2 / per_row;
    if (r * (size_t)width < 32) r = (g->gemm_small - 1) / per_row;
    if (r > (size_t)rows_total) r = (size_t)rows_total;
    return (int)r;
}

/* Forward and dW tile rows (over output rows), dX tile rows (over input rows). */
static int rows_fwd(const BdGraph *g, const ConvGeom *G) {
    return bd_conv_tile_rows(g, (size_t)G->coutg * G->ckk, G->ow, g->max_batch * G->oh);
}
static int rows_dx(const BdGraph *g, const ConvGeom *G) {
    if (rows_fwd(g, G) == 0) return 0;
    return bd_conv_tile_rows(g, (size_t)G->coutg * G->ckk, G->w, g->max_batch * G->h);
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
    ConvGeom G = bd_conv_geom(g, nd);
    if (G.depthwise) return 0;
    if (bd_conv_shift_rows(g, &G)) return bd_conv_shift_workspace(g, &G);
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
    ConvGeom G = bd_conv_geom(g, nd);
    return 2.0 * (double)G.cout * (double)G.ckk * (double)G.P + (nd->bias ? (double)(G.cout * G.P) : 0.0);
}

/* ---- TILE mode ------------------------------------------------------------------------ */

static Patch input_patch(const ConvGeom *G, int n) {
    return (Patch){G->cing, G->h, G->w, G->k, G->s, G->p, G->oh, G->ow, n};
}

/* Output rows r0..r1 of every group (rows of the batch's [n * OH] row
 * space): im2col of those rows into the workspace (or, for a direct 1x1
 * convolution, the input columns in place), then one sgemm per group.
 *   x [Cin, n, H, W], w [Cout, Cin/groups, K, K] -> y [Cout, n, OH, OW] */
static void forward_rows(BdGraph *g, const ConvGeom *G, const Patch *q, const float *x, const float *w, float *y,
                         int r0, int r1) {
    const int n = g->n;
    const size_t ldy = (size_t)n * G->P;
    const size_t t = (size_t)(r1 - r0) * G->ow, j0 = (size_t)r0 * G->ow;
    for (int grp = 0; grp < G->groups; grp++) {
        const float *xg = x + (size_t)grp * G->cing * n * G->hw;
        const float *B = xg + j0; /* direct: P == HW, so output column j is input column j */
        size_t ldb = (size_t)n * G->hw;
        if (!G->direct) {
            bd_im2col(q, xg, r0, r1, g->work, t);
            B = g->work;
            ldb = t;
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, G->coutg, (int)t, (int)G->ckk, 1.0f,
                    w + (size_t)grp * G->coutg * G->ckk, (int)G->ckk, B, (int)ldb, 0.0f,
                    y + (size_t)grp * G->coutg * ldy + j0, (int)ldy);
    }
}

/* x [Cin, n, H, W] -> y [Cout, n, OH, OW], in tiles of rows sized for the
 * small-matrix kernels. */
static void forward_tiles(BdGraph *g, const ConvGeom *G, const float *x, const float *w, float *y) {
    const int n = g->n, rows = rows_fwd(g, G), total = n * G->oh;
    const Patch q = input_patch(G, n);
    for (int r0 = 0; r0 < total; r0 += rows)
        forward_rows(g, G, &q, x, w, y, r0, r0 + rows < total ? r0 + rows : total);
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
                bd_im2col(&q, xg, r0, r1, cols, t);
                A = cols;
                lda = t;
            }
            bd_transpose(dyg + j0, ldy, G->coutg, (int)t, dyt);
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
                bd_im2col(&qd, dyg, r0, r1, cols, t);
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
            bd_col2im(&q, cols, t, r0, r1, dx + (size_t)grp * G->cing * ldx);
        }
    }
}

/* ---- CHUNK mode --------------------------------------------------------------------- */

/* x [Cin, n, H, W] -> y [Cout, n, OH, OW], in chunks of whole samples. */
static void forward_chunks(BdGraph *g, const ConvGeom *G, const float *x, const float *w, float *y) {
    const int n = g->n, nb = chunk_samples(g, G, n);
    const Patch q = input_patch(G, n);
    for (int b0 = 0; b0 < n; b0 += nb) {
        const int nbc = b0 + nb <= n ? nb : n - b0;
        forward_rows(g, G, &q, x, w, y, b0 * G->oh, (b0 + nbc) * G->oh);
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
                bd_im2col(&q, xg, b0 * G->oh, (b0 + nbc) * G->oh, g->work, ncols);
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
                bd_col2im(&q, g->work, ncols, b0 * G->oh, (b0 + nbc) * G->oh, dx + (size_t)grp * G->cing * n * G->hw);
            }
        }
    }
}

/* ---- forward / backward ------------------------------------------------------------- */

/* x [Cin, n, H, W], W [Cout, Cin/g, K, K], b [Cout] -> y [Cout, n, OH, OW] */
void bd_conv_forward(BdGraph *g, BdNode *nd) {
    const ConvGeom G = bd_conv_geom(g, nd);
    const float *x = bd_in(g, nd, 0)->out;
    const float *w = bd_param_ptr(g, nd->w_param);
    const float *bias = nd->bias ? bd_param_ptr(g, nd->b_param) : NULL;
    if (G.depthwise) {
        bd_depthwise_forward(&G, x, w, bias, g->n, nd->out);
        return;
    }
    if (bd_conv_shift_rows(g, &G)) bd_conv_shift_forward(g, &G, x, w, nd->out);
    else if (rows_fwd(g, &G)) forward_tiles(g, &G, x, w, nd->out);
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
    const ConvGeom G = bd_conv_geom(g, nd);
    const float *x = bd_in(g, nd, 0)->out;
    const float *w = bd_param_ptr(g, nd->w_param);
    float *dw = bd_pgrad_ptr(g, nd->w_param);
    if (nd->bias) {
        const size_t ldy = (size_t)g->n * G.P;
        float *db = bd_pgrad_ptr(g, nd->b_param);
        for (int co = 0; co < G.cout; co++) db[co] += (float)bd_vec_sum(nd->grad + (size_t)co * ldy, ldy);
    }
    if (G.depthwise) {
        bd_depthwise_backward(&G, x, w, nd->grad, g->n, dw, bd_grad_accum(g, nd, 0));
        return;
    }
    if (bd_conv_shift_rows(g, &G)) bd_conv_shift_backward(g, &G, nd, x, w, nd->grad, dw);
    else if (rows_fwd(g, &G)) backward_tiles(g, &G, x, w, nd->grad, dw, nd);
    else backward_chunks(g, &G, x, w, nd->grad, dw, nd);
}
