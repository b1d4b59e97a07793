/* What a regularizer implements; the registry entry's impl points at one.
 * Every hook may be NULL: `none` has none of them. Also the helpers the
 * implementations share (layers.c, pairwise.c). */
#ifndef BD_REG_IMPL_H
#define BD_REG_IMPL_H

#include "regularizers.h"

typedef struct BdRegImpl {
    int (*make)(BdReg *r, BdGraph *g, BdError *err);
    void (*free)(BdReg *r);
    void (*before_forward)(BdReg *r, BdGraph *g, int n, BdRng *rng);
    /* Replaces the plain cross-entropy (mixup's mixed targets): fills
     * parts->ce and parts->correct and adds the CE gradient into the logits'
     * gradient. NULL: plain cross-entropy against labels. */
    void (*ce)(BdReg *r, BdGraph *g, const int *labels, int n, BdLossParts *parts);
    /* The weighted term; adds its gradient into the nodes it reads. */
    float (*term)(BdReg *r, BdGraph *g, const int *labels, int n);
} BdRegImpl;

struct BdReg {
    BdSpec spec;
    const BdRegImpl *impl;
    int logits; /* the graph's output node */
    void *state; /* the implementation's own */
};

extern const BdRegImpl bd_logit_squeeze_impl; /* logit_squeeze.c */
extern const BdRegImpl bd_contrastive_impl;   /* contrastive.c */
extern const BdRegImpl bd_snnl_impl;          /* snnl.c */
extern const BdRegImpl bd_mixup_impl;         /* mixup.c */

/* ---- layers.c: the tagged representations a spec names ---------------------- */

/* "input, stage1, ..., logits": every tag of the graph, in graph order. */
void bd_reg_tag_list(const BdGraph *g, char *out, size_t cap);
/* The node tagged `tag`; -1 with a message naming the tag, who asked for it
 * ("in layers", "read by the contrastive loss") and every tag the model has
 * when there is none. */
int bd_reg_find_layer(const BdGraph *g, const char *tag, const char *who, BdError *err);
/* The nodes of the string-list parameter `param` (each checked as above, who
 * = "in <param>"):
 * a new array in *nodes, the count returned; -1 on an unknown layer. */
int bd_reg_find_layers(const BdGraph *g, const BdSpec *spec, const char *param, int **nodes, BdError *err);

/* ---- pairwise.c: the pairwise geometry of a batch ----------------------------
 *
 * A representation [C, n, H, W] (CNHW) is seen as n rows of D = C*H*W values,
 * row i being sample i flattened in PyTorch's x.view(n, -1) order (index
 * (c*H + h)*W + w). Squared distances come from the Gram matrix of the rows
 * (one cblas_ssyrk, n*n*D), and the gradient of a loss written in the
 * squared distances goes back to the rows with one sgemm per column chunk:
 *     dL/dx_i = sum_j 2 W_ij (x_i - x_j),   W = coef + coef^T,
 *     dL/dX   = M X,   M = 2 (diag(rowsum W) - W)
 * where coef[i][j] = dL/d sq_ij, treating sq_ij and sq_ji as two variables.
 * The rows of M sum to zero, so M X is the same for X and for X minus any
 * common vector: centering the rows (which the Gram identity wants, see
 * bd_pairwise_sqdist) changes nothing in the gradient. */
typedef struct BdPairwise {
    int cap_n;
    size_t cap_d, chunk_cols;
    float *rows;  /* [cap_n, cap_d] */
    float *sq;    /* [cap_n, cap_n] squared distances, diagonal 0 */
    float *coef;  /* [cap_n, cap_n] dL/d sq, turned into M by bd_pairwise_grad_matrix */
    float *diag;  /* [cap_n] */
    float *chunk; /* [cap_n, chunk_cols] */
} BdPairwise;

void bd_pairwise_init(BdPairwise *p, int cap_n, size_t cap_d);
void bd_pairwise_free(BdPairwise *p);
/* D of a node's representation. */
size_t bd_rows_dim(const BdGraph *g, int node);
/* rows[i, :] = sample i of the node's output (n of the last forward). */
void bd_rows_gather(BdGraph *g, int node, int n, float *rows);
/* grad of the node (CNHW) += src[:, 0 .. d1-d0) as columns d0..d1 of the
 * rows; ld is src's row stride. */
void bd_rows_scatter_add(BdGraph *g, int node, int n, const float *src, size_t ld, size_t d0, size_t d1);
/* Subtracts the mean row (distances do not change; the Gram identity below
 * loses less to cancellation when the rows are near the origin). */
void bd_rows_center(float *rows, int n, size_t D);
/* p->sq[i*n + j] = ||rows_i - rows_j||^2 = G_ii + G_jj - 2 G_ij (clamped at
 * 0), G = rows rows^T. Float Gram entries carry an absolute error of about
 * 1e-7 * (G_ii + G_jj); callers that need close pairs exactly recompute
 * them with bd_rows_sqdist_exact. */
void bd_pairwise_sqdist(BdPairwise *p, int n, size_t D);
double bd_rows_sqdist_exact(const float *rows, size_t D, int i, int j);
/* coef (dL/d sq) -> M in place. */
void bd_pairwise_grad_matrix(BdPairwise *p, int n);
/* out[:, 0 .. d1-d0) = M rows[:, d0..d1) (ld_out: out's row stride). */
void bd_pairwise_grad_rows(const BdPairwise *p, int n, size_t D, size_t d0, size_t d1, float *out, size_t ld_out);
/* grad of the node += M rows, chunk by chunk (the rows are the node's). */
void bd_pairwise_backward(BdPairwise *p, BdGraph *g, int node, int n, size_t D);

#endif
