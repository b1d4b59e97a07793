/* SHIFT mode: a K x K convolution as K*K shifted 1x1 convolutions.
 *
 * Stride 1: a tile of output rows of one sample reads a band of input rows.
 * Copied once into a zero-padded tile of width Wq = OW + K - 1, the input
 * that tap (ky, kx) sees is the tile shifted by a constant: a contiguous
 * slice of each channel's rows. So
 *     Ytile[Cout, rows*Wq] = sum over taps of W_tap[Cout, Cin] x slice_tap[Cin, rows*Wq]
 * is K*K sgemm calls on operands already in memory, computed on the padded
 * grid (the last K-1 columns of each row are junk, dropped when the tile is
 * copied out). Compared with im2col this moves each input value once
 * instead of K*K times, and the products are small enough (M*N*K well under
 * 1e6) for OpenBLAS' unpacked small-matrix kernels.
 *
 * Stride s: the input splits into s*s phases (rows = py mod s, columns =
 * px mod s); tap (ky, kx) reads phase ((ky-p) mod s, (kx-p) mod s) at offset
 * (floor((ky-p)/s), floor((kx-p)/s)) in phase coordinates, so each phase is
 * padded into its own tile and every tap is again a shifted slice.
 *
 *   dW:  dW_tap^T[Cin, Cout] += slice_tap[Cin, rows*Wq] x dYtile^T[rows*Wq, Cout]
 *        (dY copied transposed onto the padded grid, zeros in the junk columns)
 *   dX:  phase (py, px) of dX = sum over the taps of that phase of
 *        W_tap^T[Cin, Cout] x (a padded tile of dY, shifted the other way),
 *        scattered back to the rows/columns of that phase. */
#include <cblas.h>
#include <string.h>

#include "conv.h"

/* Layers with fewer channels than this per group stay with im2col: a
 * product with K = Cin this small wastes most of each sgemm call. */
#define SHIFT_MIN_CHANNELS 8

static int floor_div(int a, int b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

/* The tap offsets of one convolution: tap t (a kernel row or column) reads
 * phase (t - p) mod s at offset floor((t - p) / s); offsets span [dmin, dmax]. */
typedef struct Span {
    int dmin, dmax, ext; /* ext = dmax - dmin: the padding a tile needs */
} Span;

static Span span_of(const ConvGeom *G) {
    Span S;
    S.dmin = floor_div(-G->p, G->s);
    S.dmax = floor_div(G->k - 1 - G->p, G->s);
    S.ext = S.dmax - S.dmin;
    return S;
}

static inline int tap_phase(const ConvGeom *G, int t) { return (t - G->p) - G->s * floor_div(t - G->p, G->s); }
static inline int tap_offset(const ConvGeom *G, int t) { return floor_div(t - G->p, G->s); }

/* Rows of the forward/dW tiles (output rows) and of the dX tiles (phase rows of dX). */
static int rows_fwd(const BdGraph *g, const ConvGeom *G) {
    const Span S = span_of(G);
    return bd_conv_tile_rows(g, (size_t)G->cing * G->coutg, G->ow + S.ext, G->oh);
}
static int dx_width(const ConvGeom *G) { return (G->w + G->s - 1) / G->s + span_of(G).ext; }
static int rows_dx(const BdGraph *g, const ConvGeom *G) {
    return bd_conv_tile_rows(g, (size_t)G->cing * G->coutg, dx_width(G), (G->h + G->s - 1) / G->s);
}

int bd_conv_shift_rows(const BdGraph *g, const ConvGeom *G) {
    if (!g->conv_shift || G->depthwise || G->cing < SHIFT_MIN_CHANNELS || G->coutg < SHIFT_MIN_CHANNELS ||
        G->k == 1 || G->p >= G->k || G->s > 8)
        return 0;
    const int rf = rows_fwd(g, G);
    return rf && rows_dx(g, G) ? rf : 0;
}

/* Floats per channel of a padded tile of `rows` rows of width wq: the last
 * tap's slice runs ext past the rows. Rounded to a cache line. */
static size_t tile_len(int rows, int wq, int ext) {
    return (((size_t)(rows + ext) * wq + (size_t)ext + 1) + 15) & ~(size_t)15;
}

size_t bd_conv_shift_workspace(const BdGraph *g, const ConvGeom *G) {
    const Span S = span_of(G);
    const int rf = rows_fwd(g, G), rd = rows_dx(g, G), wq = G->ow + S.ext, wd = dx_width(G);
    const size_t taps = (size_t)G->k * G->k * G->cing * G->coutg;
    const size_t phases = (size_t)G->s * G->s * G->cing * tile_len(rf, wq, S.ext);
    const size_t fwd = phases + (size_t)G->coutg * rf * wq;
    const size_t dw = phases + (size_t)rf * wq * G->coutg;
    const size_t dx = (size_t)G->coutg * tile_len(rd, wd, S.ext) + (size_t)G->cing * rd * wd;
    size_t most = fwd > dw ? fwd : dw;
    if (dx > most) most = dx;
    return 2 * taps + most + 64;
}

/* Whether some tap reads phase (py, px): with K < s some phases are never read. */
static int phase_used(const ConvGeom *G, int py, int px) {
    int row = 0, col = 0;
    for (int t = 0; t < G->k; t++) {
        row |= tap_phase(G, t) == py;
        col |= tap_phase(G, t) == px;
    }
    return row && col;
}

/* The s*s phase tiles of output rows [y0, y0+rows) of sample b: channel ci
 * of phase (py, px) at tiles + ((py*s + px)*c + ci)*len holds
 *     T[r][c] = x[s*(y0 + r + dmin) + py][s*(c + dmin) + px]   (0 outside the image)
 * for r < rows + ext, c < wq (phases no tap reads are left out). src
 * channel ci of sample b is the plane at src + (ci*n + b)*H*W. */
static void phase_tiles(const ConvGeom *G, const Span *S, const float *src, int n, int b, int y0, int rows, int wq,
                        size_t len, float *tiles) {
    const int s = G->s, trows = rows + S->ext;
    /* columns c whose source column s*(c + dmin) + px lies in [0, W), per px */
    int lo[8], hi[8], used[8][8];
    for (int px = 0; px < s && px < 8; px++) {
        lo[px] = -S->dmin < wq ? -S->dmin : wq;
        int h = floor_div(G->w - 1 - px, s) - S->dmin + 1;
        hi[px] = h < lo[px] ? lo[px] : h > wq ? wq : h;
    }
    for (int py = 0; py < s && py < 8; py++)
        for (int px = 0; px < s && px < 8; px++) used[py][px] = phase_used(G, py, px);
    for (int ci = 0; ci < G->cing; ci++) {
        const float *plane = src + ((size_t)ci * n + b) * G->hw;
        for (int py = 0; py < s; py++)
            for (int px = 0; px < s; px++) {
                if (!used[py][px]) continue;
                float *t = tiles + ((size_t)(py * s + px) * G->cing + ci) * len;
                /* zeros everywhere (padding, junk), then the image rows inside */
                memset(t, 0, len * sizeof(float));
                /* tile rows r with source row iy = s*(y0 + r + dmin) + py inside [0, H) */
                int r0 = floor_div(-py + s - 1, s) - y0 - S->dmin, r1 = floor_div(G->h - 1 - py, s) - y0 - S->dmin + 1;
                if (r0 < 0) r0 = 0;
                if (r1 > trows) r1 = trows;
                const int l = lo[px], h = hi[px];
                if (r1 <= r0 || h <= l) continue;
                const float *first = plane + (size_t)(s * (y0 + r0 + S->dmin) + py) * G->w + s * (l + S->dmin) + px;
                if (s == 1) {
                    bd_rows_put(t + (size_t)r0 * wq + l, (size_t)wq, first, (size_t)G->w, r1 - r0, h - l, 0);
                } else {
                    for (int r = r0; r < r1; r++) {
                        float *row = t + (size_t)r * wq + l;
                        const float *from = first + (size_t)(r - r0) * s * G->w;
                        for (int c = 0; c < h - l; c++) row[c] = from[(size_t)s * c];
                    }
                }
            }
    }
}

/* Where tap (ky, kx) reads: its phase tile and the slice offset in it. */
static const float *tap_slice(const ConvGeom *G, const Span *S, const float *tiles, size_t len, int wq, int ky, int kx) {
    const int py = tap_phase(G, ky), px = tap_phase(G, kx);
    const int oy = tap_offset(G, ky) - S->dmin, ox = tap_offset(G, kx) - S->dmin;
    return tiles + (size_t)(py * G->s + px) * G->cing * len + (size_t)oy * wq + ox;
}

/* x [Cin, n, H, W] -> y [Cout, n, OH, OW] */
void bd_conv_shift_forward(BdGraph *g, const ConvGeom *G, const float *x, const float *w, float *y) {
    const int n = g->n, kk = G->k * G->k, R = rows_fwd(g, G);
    const Span S = span_of(G);
    const int wq = G->ow + S.ext;
    const size_t len = tile_len(R, wq, S.ext), cm = (size_t)G->cing * G->coutg;
    float *taps = g->work, *tiles = taps + (size_t)kk * cm;
    float *out = tiles + (size_t)G->s * G->s * G->cing * len;
    for (int grp = 0; grp < G->groups; grp++) {
        const float *wg = w + (size_t)grp * G->coutg * G->ckk;
        const float *xg = x + (size_t)grp * G->cing * n * G->hw;
        float *yg = y + (size_t)grp * G->coutg * n * G->P;
        /* taps[tap][co][ci] = W[co][ci][tap] */
        for (int co = 0; co < G->coutg; co++)
            for (int ci = 0; ci < G->cing; ci++)
                for (int tap = 0; tap < kk; tap++)
                    taps[((size_t)tap * G->coutg + co) * G->cing + ci] = wg[((size_t)co * G->cing + ci) * kk + tap];
        for (int b = 0; b < n; b++)
            for (int y0 = 0; y0 < G->oh; y0 += R) {
                const int rows = y0 + R <= G->oh ? R : G->oh - y0, cols = rows * wq;
                phase_tiles(G, &S, xg, n, b, y0, rows, wq, len, tiles);
                for (int tap = 0; tap < kk; tap++)
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, G->coutg, cols, G->cing, 1.0f,
                                taps + tap * cm, G->cing, tap_slice(G, &S, tiles, len, wq, tap / G->k, tap % G->k),
                                (int)len, tap ? 1.0f : 0.0f, out, cols);
                for (int co = 0; co < G->coutg; co++)
                    bd_rows_put(yg + ((size_t)co * n + b) * G->P + (size_t)y0 * G->ow, (size_t)G->ow,
                                out + (size_t)co * cols, (size_t)wq, rows, G->ow, 0);
            }
    }
}

/* dW^T per tap (accumulated into taps) of sample b, from the phase tiles and
 * dY transposed onto the padded grid. */
static void shift_dw(BdGraph *g, const ConvGeom *G, const float *xg, const float *dyg, int b, float *taps,
                     float *scratch) {
    const int n = g->n, kk = G->k * G->k, R = rows_fwd(g, G);
    const Span S = span_of(G);
    const int wq = G->ow + S.ext;
    const size_t len = tile_len(R, wq, S.ext), cm = (size_t)G->cing * G->coutg;
    float *tiles = scratch, *dyt = tiles + (size_t)G->s * G->s * G->cing * len;
    for (int y0 = 0; y0 < G->oh; y0 += R) {
        const int rows = y0 + R <= G->oh ? R : G->oh - y0, cols = rows * wq;
        phase_tiles(G, &S, xg, n, b, y0, rows, wq, len, tiles);
        /* dyt[r*wq + ox][co] = dY[co][y0 + r][ox], zero for ox >= OW */
        for (int r = 0; r < rows; r++) {
            float *d = dyt + (size_t)r * wq * G->coutg;
            for (int co = 0; co < G->coutg; co++) {
                const float *src = dyg + ((size_t)co * n + b) * G->P + (size_t)(y0 + r) * G->ow;
                for (int ox = 0; ox < G->ow; ox++) d[(size_t)ox * G->coutg + co] = src[ox];
            }
            memset(d + (size_t)G->ow * G->coutg, 0, (size_t)(wq - G->ow) * G->coutg * sizeof(float));
        }
        for (int tap = 0; tap < kk; tap++)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, G->cing, G->coutg, cols, 1.0f,
                        tap_slice(G, &S, tiles, len, wq, tap / G->k, tap % G->k), (int)len, dyt, G->coutg, 1.0f,
                        taps + tap * cm, G->coutg);
    }
}

/* dX of sample b: for each phase (py, px), the sum over that phase's taps of
 * W_tap^T x dY shifted by minus the tap's offset, scattered to the rows
 * s*i + py and columns s*j + px of dX. taps[tap][ci][co] = W[co][ci][tap]. */
static void shift_dx(BdGraph *g, const ConvGeom *G, const float *taps, const float *dyg, float *dxg, int acc, int b,
                     float *scratch) {
    const int n = g->n, R = rows_dx(g, G), s = G->s;
    const Span S = span_of(G);
    const int wd = dx_width(G), hx = (G->h + s - 1) / s;
    const size_t len = tile_len(R, wd, S.ext), cm = (size_t)G->cing * G->coutg;
    float *dt = scratch, *out = dt + (size_t)G->coutg * len;
    for (int i0 = 0; i0 < hx; i0 += R) {
        const int rows = i0 + R <= hx ? R : hx - i0, cols = rows * wd;
        /* dt[co][r][c] = dY[co][i0 - dmax + r][c - dmax] (0 outside) */
        for (int co = 0; co < G->coutg; co++) {
            const float *plane = dyg + ((size_t)co * n + b) * G->P;
            float *t = dt + (size_t)co * len;
            memset(t, 0, len * sizeof(float));
            /* rows r with oy = i0 - dmax + r inside [0, OH) */
            int r0 = S.dmax - i0, r1 = G->oh + S.dmax - i0;
            if (r0 < 0) r0 = 0;
            if (r1 > rows + S.ext) r1 = rows + S.ext;
            const int c0 = S.dmax, c1 = S.dmax + G->ow < wd ? S.dmax + G->ow : wd;
            if (r1 > r0 && c1 > c0)
                bd_rows_put(t + (size_t)r0 * wd + c0, (size_t)wd, plane + (size_t)(i0 - S.dmax + r0) * G->ow,
                            (size_t)G->ow, r1 - r0, c1 - c0, 0);
        }
        for (int py = 0; py < s; py++)
            for (int px = 0; px < s; px++) {
                const int prow = (G->h - py + s - 1) / s, pcol = (G->w - px + s - 1) / s;
                const int r_end = i0 + rows < prow ? rows : prow - i0;
                if (r_end <= 0 || pcol <= 0) continue;
                int first = 1;
                for (int ky = 0; ky < G->k; ky++) {
                    if (tap_phase(G, ky) != py) continue;
                    for (int kx = 0; kx < G->k; kx++) {
                        if (tap_phase(G, kx) != px) continue;
                        const int oy = S.dmax - tap_offset(G, ky), ox = S.dmax - tap_offset(G, kx);
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, G->cing, cols, G->coutg, 1.0f,
                                    taps + (size_t)(ky * G->k + kx) * cm, G->coutg,
                                    dt + (size_t)oy * wd + ox, (int)len, first ? 0.0f : 1.0f, out, cols);
                        first = 0;
                    }
                }
                /* a phase no tap reaches has a zero gradient */
                for (int ci = 0; ci < G->cing; ci++) {
                    float *dst = dxg + ((size_t)ci * n + b) * G->hw + (size_t)(s * i0 + py) * G->w + px;
                    const float *o = out + (size_t)ci * cols;
                    if (s == 1) {
                        if (!first) bd_rows_put(dst, (size_t)G->w, o, (size_t)wd, r_end, pcol, acc);
                        else if (!acc)
                            for (int r = 0; r < r_end; r++)
                                memset(dst + (size_t)r * G->w, 0, (size_t)pcol * sizeof(float));
                    } else if (!first) { /* acc is set: the tensor was zeroed */
                        for (int r = 0; r < r_end; r++) {
                            float *d = dst + (size_t)r * s * G->w;
                            const float *q = o + (size_t)r * wd;
                            for (int j = 0; j < pcol; j++) d[(size_t)s * j] += q[j];
                        }
                    }
                }
            }
    }
}

/* Sample by sample, dW then dX: the sample's dY is read for both while it
 * is still in cache. */
void bd_conv_shift_backward(BdGraph *g, const ConvGeom *G, BdNode *nd, const float *x, const float *w, const float *dy,
                            float *dw) {
    const int n = g->n, kk = G->k * G->k;
    const size_t cm = (size_t)G->cing * G->coutg;
    float *dwt = g->work, *wt = dwt + (size_t)kk * cm, *scratch = wt + (size_t)kk * cm;
    int acc = 0;
    float *dx = bd_grad_into(g, nd, 0, &acc);
    for (int grp = 0; grp < G->groups; grp++) {
        const float *xg = x + (size_t)grp * G->cing * n * G->hw, *wg = w + (size_t)grp * G->coutg * G->ckk;
        const float *dyg = dy + (size_t)grp * G->coutg * n * G->P;
        float *dxg = dx ? dx + (size_t)grp * G->cing * n * G->hw : NULL;
        int gacc = acc;
        memset(dwt, 0, (size_t)kk * cm * sizeof(float));
        /* wt[tap][ci][co] = W[co][ci][tap] */
        for (int co = 0; co < G->coutg; co++)
            for (int ci = 0; ci < G->cing; ci++)
                for (int tap = 0; tap < kk; tap++)
                    wt[((size_t)tap * G->cing + ci) * G->coutg + co] = wg[((size_t)co * G->cing + ci) * kk + tap];
        /* Strided: the phases scatter into interleaved positions; start from
         * zero and add (positions no tap reaches keep their zero gradient). */
        if (dxg && G->s > 1 && !gacc) {
            for (int ci = 0; ci < G->cing; ci++)
                memset(dxg + (size_t)ci * n * G->hw, 0, (size_t)n * G->hw * sizeof(float));
            gacc = 1;
        }
        for (int b = 0; b < n; b++) {
            shift_dw(g, G, xg, dyg, b, dwt, scratch);
            if (dxg) shift_dx(g, G, wt, dyg, dxg, gacc, b, scratch);
        }
        float *dwg = dw + (size_t)grp * G->coutg * G->ckk;
        for (int co = 0; co < G->coutg; co++)
            for (int ci = 0; ci < G->cing; ci++)
                for (int tap = 0; tap < kk; tap++)
                    dwg[((size_t)co * G->cing + ci) * kk + tap] += dwt[((size_t)tap * G->cing + ci) * G->coutg + co];
    }
}
