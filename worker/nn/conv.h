/* Engine-internal: the convolution's geometry and its building blocks,
 * shared by the ways op_conv.c runs a convolution. */
#ifndef BD_NN_CONV_H
#define BD_NN_CONV_H

#include "ops.h"

typedef struct ConvGeom {
    int cin, cout, h, w, oh, ow, k, s, p, groups, cing, coutg;
    size_t hw, P, ckk;
    int direct;    /* 1x1, stride 1, no padding: the input is already the column matrix */
    int depthwise; /* groups == cin == cout */
} ConvGeom;

static inline ConvGeom bd_conv_geom(const BdGraph *g, const BdNode *nd) {
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

/* A sampling of c channels of h x w planes by a k x k kernel (stride s,
 * padding p) into oh x ow outputs; channel ci, sample b of the source is the
 * plane at src + (ci*n + b)*h*w. */
typedef struct Patch {
    int c, h, w, k, s, p, oh, ow, n;
} Patch;

/* The output columns ow whose input column ow*s - p + kx lies inside [0, w). */
static inline void valid_cols(const Patch *q, int kx, int *lo, int *hi) {
    int a = q->p - kx, l = a > 0 ? (a + q->s - 1) / q->s : 0;
    int b = q->w - 1 + q->p - kx, h = b >= 0 ? b / q->s + 1 : 0;
    if (h > q->ow) h = q->ow;
    if (l > h) l = h;
    *lo = l;
    *hi = h;
}

/* cols[c*k*k, (r1-r0)*ow] (row stride ld) of the global output rows
 * R = b*oh + y in [r0, r1); row (ci*k + ky)*k + kx matches the weight layout
 * [Cout, Cin/g, K, K]. */
void bd_im2col(const Patch *q, const float *src, int r0, int r1, float *cols, size_t ld);
/* The adjoint: adds cols (as bd_im2col built them for rows [r0, r1)) into dx. */
void bd_col2im(const Patch *q, const float *cols, size_t ld, int r0, int r1, float *dx);
/* dst[t, m] = src[m, t] (src rows ld apart). */
void bd_transpose(const float *src, size_t ld, int m, int t, float *dst);

/* Depthwise convolution (groups == cin == cout), a direct kernel. */
void bd_depthwise_forward(const ConvGeom *G, const float *x, const float *w, const float *bias, int n, float *y);
void bd_depthwise_backward(const ConvGeom *G, const float *x, const float *w, const float *dy, int n, float *dw,
                           float *dx);

/* SHIFT mode (conv_shift.c): stride-1 convolutions as K*K shifted 1x1
 * convolutions of a zero-padded tile. Rows per tile, 0 when the layer does
 * not qualify. */
int bd_conv_shift_rows(const BdGraph *g, const ConvGeom *G);
size_t bd_conv_shift_workspace(const BdGraph *g, const ConvGeom *G);
void bd_conv_shift_forward(BdGraph *g, const ConvGeom *G, const float *x, const float *w, float *y);
void bd_conv_shift_backward(BdGraph *g, const ConvGeom *G, BdNode *nd, const float *x, const float *w, const float *dy,
                       float *dw);

/* The tile-size rule shared by the modes (op_conv.c). */
int bd_conv_tile_rows(const BdGraph *g, size_t mk, int width, int rows_total);

#endif
