/* SHIFT mode: a stride-1 K x K convolution as K*K shifted 1x1 convolutions.
 *
 * A tile of output rows [y0, y1) of one sample reads input rows
 * [y0 - p, y1 - p + K - 1). Copied once into a zero-padded tile of width
 * Wp = W + 2p, the input seen by tap (ky, kx) is the tile shifted by
 * ky*Wp + kx: a contiguous slice of each channel row. So
 *     Ytile[Cout, rows*Wp] = sum over taps of W_tap[Cout, Cin] x slice_tap[Cin, rows*Wp]
 * is K*K sgemm calls on operands already in memory, computed on the padded
 * grid (the last K-1 columns of each row are junk and dropped when the tile
 * is copied out). Compared with im2col this moves each input value once
 * instead of K*K times; the products are small (M*N*K well under 1e6), so
 * OpenBLAS runs them with its unpacked small-matrix kernels.
 *
 *   dW:  dW_tap^T[Cin, Cout] += slice_tap[Cin, rows*Wp] x dYtile^T[rows*Wp, Cout]
 *        (dY copied transposed onto the padded grid, zeros in the junk columns)
 *   dX:  the transposed convolution: the same routine on dY with the flipped,
 *        transposed weights W'_tap[Cin, Cout] = W[., ., K-1-ky, K-1-kx]^T and
 *        padding K-1-p. */
#include <cblas.h>
#include <string.h>

#include "conv.h"

/* Layers with fewer channels than this per group stay with im2col: a
 * product with K = Cin this small wastes most of each sgemm call. */
#define SHIFT_MIN_CHANNELS 8

/* One stride-1 convolution of c channels into m channels. */
typedef struct Shift {
    int c, m, h, w, oh, ow, k, p, wp, n, rows;
    size_t tile_len; /* floats per channel of the padded tile, rounded to a cache line */
} Shift;

static Shift make_shift(int c, int m, int h, int w, int k, int p, int n, int rows) {
    Shift S = {c, m, h, w, h + 2 * p - k + 1, w + 2 * p - k + 1, k, p, w + 2 * p, n, rows, 0};
    /* the last tap's slice runs K-1 floats past the tile */
    S.tile_len = (((size_t)(rows + k - 1) * S.wp + (size_t)k) + 15) & ~(size_t)15;
    return S;
}

static int rows_for(const BdGraph *g, int c, int m, int wp, int oh) {
    return bd_conv_tile_rows(g, (size_t)c * m, wp, oh);
}

int bd_conv_shift_rows(const BdGraph *g, const ConvGeom *G) {
    if (!g->conv_shift || G->s != 1 || G->k == 1 || G->depthwise || G->cing < SHIFT_MIN_CHANNELS ||
        G->coutg < SHIFT_MIN_CHANNELS)
        return 0;
    return rows_for(g, G->cing, G->coutg, G->w + 2 * G->p, G->oh);
}

/* The transposed convolution that computes dX (padding K-1-p over dY). */
static int rows_dx(const BdGraph *g, const ConvGeom *G) {
    return rows_for(g, G->coutg, G->cing, G->ow + 2 * (G->k - 1 - G->p), G->h);
}

static size_t conv_space(const Shift *S) {
    return (size_t)S->c * S->tile_len + (size_t)S->m * S->rows * S->wp;
}

size_t bd_conv_shift_workspace(const BdGraph *g, const ConvGeom *G) {
    const int n = g->max_batch, kk = G->k * G->k;
    const size_t taps = (size_t)kk * G->cing * G->coutg;
    Shift f = make_shift(G->cing, G->coutg, G->h, G->w, G->k, G->p, n, bd_conv_shift_rows(g, G));
    Shift d = make_shift(G->coutg, G->cing, G->oh, G->ow, G->k, G->k - 1 - G->p, n, rows_dx(g, G));
    size_t fwd = conv_space(&f);
    size_t dw = (size_t)G->cing * f.tile_len + (size_t)f.rows * f.wp * G->coutg;
    size_t dx = conv_space(&d);
    size_t most = fwd > dw ? fwd : dw;
    if (dx > most) most = dx;
    return taps + most + 64;
}

/* The padded tile: input rows iy = y0 - p + r, r in [0, rows + K - 1), each
 * as p zeros, the W values, p zeros; zeros past the end. src channel ci of
 * sample b is the plane at src + (ci*n + b)*H*W. */
static void pad_tile(const Shift *S, const float *src, int b, int y0, int rows, float *tile) {
    const size_t hw = (size_t)S->h * S->w;
    const int in_rows = rows + S->k - 1;
    for (int ci = 0; ci < S->c; ci++) {
        const float *plane = src + ((size_t)ci * S->n + b) * hw;
        float *t = tile + (size_t)ci * S->tile_len;
        for (int r = 0; r < in_rows; r++) {
            float *row = t + (size_t)r * S->wp;
            const int iy = y0 - S->p + r;
            if (iy < 0 || iy >= S->h) {
                memset(row, 0, (size_t)S->wp * sizeof(float));
                continue;
            }
            for (int i = 0; i < S->p; i++) row[i] = 0.0f;
            memcpy(row + S->p, plane + (size_t)iy * S->w, (size_t)S->w * sizeof(float));
            for (int i = S->p + S->w; i < S->wp; i++) row[i] = 0.0f;
        }
        memset(t + (size_t)in_rows * S->wp, 0, (S->tile_len - (size_t)in_rows * S->wp) * sizeof(float));
    }
}

/* dst (+)= conv(src, taps): src [c, n, h, w] channels of one group, taps
 * [K*K][m][c], dst [m, n, oh, ow]. */
static void shift_conv(const Shift *S, const float *src, const float *taps, float *dst, int accumulate, float *tile,
                       float *out) {
    const int kk = S->k * S->k;
    const size_t ohw = (size_t)S->oh * S->ow, cm = (size_t)S->c * S->m;
    for (int b = 0; b < S->n; b++)
        for (int y0 = 0; y0 < S->oh; y0 += S->rows) {
            const int rows = y0 + S->rows <= S->oh ? S->rows : S->oh - y0;
            const int cols = rows * S->wp;
            pad_tile(S, src, b, y0, rows, tile);
            for (int tap = 0; tap < kk; tap++) {
                const int ky = tap / S->k, kx = tap % S->k;
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, S->m, cols, S->c, 1.0f, taps + tap * cm, S->c,
                            tile + (size_t)ky * S->wp + kx, (int)S->tile_len, tap ? 1.0f : 0.0f, out, cols);
            }
            for (int mo = 0; mo < S->m; mo++)
                for (int r = 0; r < rows; r++)
                    bd_vec_put(dst + ((size_t)mo * S->n + b) * ohw + (size_t)(y0 + r) * S->ow,
                               out + (size_t)mo * cols + (size_t)r * S->wp, (size_t)S->ow, accumulate);
        }
}

/* x [Cin, n, H, W] -> y [Cout, n, OH, OW] */
void bd_conv_shift_forward(BdGraph *g, const ConvGeom *G, const float *x, const float *w, float *y) {
    const int n = g->n, kk = G->k * G->k;
    const Shift S = make_shift(G->cing, G->coutg, G->h, G->w, G->k, G->p, n, bd_conv_shift_rows(g, G));
    float *taps = g->work, *tile = taps + (size_t)kk * G->cing * G->coutg, *out = tile + (size_t)S.c * S.tile_len;
    for (int grp = 0; grp < G->groups; grp++) {
        const float *wg = w + (size_t)grp * G->coutg * G->ckk;
        /* taps[tap][co][ci] = W[co][ci][tap] */
        for (int co = 0; co < G->coutg; co++)
            for (int ci = 0; ci < G->cing; ci++)
                for (int tap = 0; tap < kk; tap++)
                    taps[((size_t)tap * G->coutg + co) * G->cing + ci] = wg[((size_t)co * G->cing + ci) * kk + tap];
        shift_conv(&S, x + (size_t)grp * G->cing * n * G->hw, taps, y + (size_t)grp * G->coutg * n * G->P, 0, tile,
                   out);
    }
}

void bd_conv_shift_backward(BdGraph *g, const ConvGeom *G, BdNode *nd, const float *x, const float *w, const float *dy,
                       float *dw) {
    const int n = g->n, kk = G->k * G->k;
    const size_t cm = (size_t)G->cing * G->coutg;
    const Shift S = make_shift(G->cing, G->coutg, G->h, G->w, G->k, G->p, n, bd_conv_shift_rows(g, G));
    float *taps = g->work, *tile = taps + (size_t)kk * cm;
    float *dyt = tile + (size_t)S.c * S.tile_len; /* [rows*wp, coutg] */
    for (int grp = 0; grp < G->groups; grp++) {
        const float *xg = x + (size_t)grp * G->cing * n * G->hw;
        const float *dyg = dy + (size_t)grp * G->coutg * n * G->P;
        /* dW: taps[tap][ci][co] accumulates dW^T per tap */
        memset(taps, 0, (size_t)kk * cm * sizeof(float));
        for (int b = 0; b < n; b++)
            for (int y0 = 0; y0 < S.oh; y0 += S.rows) {
                const int rows = y0 + S.rows <= S.oh ? S.rows : S.oh - y0;
                const int cols = rows * S.wp;
                pad_tile(&S, xg, b, y0, rows, tile);
                /* dY^T on the padded grid: dyt[r*wp + ox][co], zero for ox >= OW */
                for (int r = 0; r < rows; r++) {
                    float *d = dyt + (size_t)r * S.wp * G->coutg;
                    for (int co = 0; co < G->coutg; co++) {
                        const float *src = dyg + ((size_t)co * n + b) * G->P + (size_t)(y0 + r) * S.ow;
                        for (int ox = 0; ox < S.ow; ox++) d[(size_t)ox * G->coutg + co] = src[ox];
                    }
                    memset(d + (size_t)S.ow * G->coutg, 0, (size_t)(S.wp - S.ow) * G->coutg * sizeof(float));
                }
                for (int tap = 0; tap < kk; tap++) {
                    const int ky = tap / S.k, kx = tap % S.k;
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, G->cing, G->coutg, cols, 1.0f,
                                tile + (size_t)ky * S.wp + kx, (int)S.tile_len, dyt, G->coutg, 1.0f, taps + tap * cm,
                                G->coutg);
                }
            }
        float *dwg = dw + (size_t)grp * G->coutg * G->ckk;
        for (int co = 0; co < G->coutg; co++)
            for (int ci = 0; ci < G->cing; ci++)
                for (int tap = 0; tap < kk; tap++)
                    dwg[((size_t)co * G->cing + ci) * kk + tap] += taps[((size_t)tap * G->cing + ci) * G->coutg + co];
    }

    int acc = 0;
    float *dx = bd_grad_into(g, nd, 0, &acc);
    if (!dx) return;
    /* dX = conv(dY, W', padding K-1-p), W'_tap[ci][co] = W[co][ci][K*K-1-tap] */
    const Shift D = make_shift(G->coutg, G->cing, G->oh, G->ow, G->k, G->k - 1 - G->p, n, rows_dx(g, G));
    float *dtile = taps + (size_t)kk * cm, *dout = dtile + (size_t)D.c * D.tile_len;
    for (int grp = 0; grp < G->groups; grp++) {
        const float *wg = w + (size_t)grp * G->coutg * G->ckk;
        for (int co = 0; co < G->coutg; co++)
            for (int ci = 0; ci < G->cing; ci++)
                for (int tap = 0; tap < kk; tap++)
                    taps[((size_t)tap * G->cing + ci) * G->coutg + co] = wg[((size_t)co * G->cing + ci) * kk + kk - 1 - tap];
        shift_conv(&D, dy + (size_t)grp * G->coutg * n * G->P, taps, dx + (size_t)grp * G->cing * n * G->hw, acc, dtile,
                   dout);
    }
}
