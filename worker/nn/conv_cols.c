/* The column machinery of im2col convolutions: im2col, its adjoint
 * col2im, and the small transposes of tiled products. */
#include <string.h>

#include "conv.h"

/* cols[c*k*k, (r1-r0)*ow] (row stride ld) for the global output rows
 * R = b*oh + y in [r0, r1). Row (ci*k + ky)*k + kx matches the weight layout
 * [Cout, Cin/g, K, K]. */
void bd_im2col(const Patch *q, const float *src, int r0, int r1, float *cols, size_t ld) {
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
void bd_col2im(const Patch *q, const float *cols, size_t ld, int r0, int r1, float *dx) {
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
void bd_transpose(const float *src, size_t ld, int m, int t, float *dst) {
    for (int j0 = 0; j0 < t; j0 += 16) {
        const int j1 = j0 + 16 < t ? j0 + 16 : t;
        for (int i = 0; i < m; i++) {
            const float *s = src + (size_t)i * ld;
            for (int j = j0; j < j1; j++) dst[(size_t)j * m + i] = s[j];
        }
    }
}

