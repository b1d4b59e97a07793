/* The pairwise geometry of a batch for the contrastive loss and SNNL: rows of
 * a CNHW representation, squared distances through the Gram matrix, and the
 * gradient of a loss in those distances back to the representation. The
 * O(n^2 D) work is two BLAS calls; everything else is O(n D) or O(n^2). */
#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "reg_impl.h"

/* Columns of one gradient chunk: M X is formed chunk by chunk so that its
 * scratch stays small (n x 4096 floats) whatever the representation's size. */
#define CHUNK_COLS ((size_t)4096)

void bd_pairwise_init(BdPairwise *p, int cap_n, size_t cap_d) {
    memset(p, 0, sizeof *p);
    p->cap_n = cap_n;
    p->cap_d = cap_d;
    p->chunk_cols = cap_d < CHUNK_COLS ? cap_d : CHUNK_COLS;
    const size_t n = (size_t)cap_n;
    p->rows = bd_xmalloc(n * cap_d * sizeof *p->rows + sizeof(float));
    p->sq = bd_xmalloc(n * n * sizeof *p->sq);
    p->coef = bd_xmalloc(n * n * sizeof *p->coef);
    p->diag = bd_xmalloc(n * sizeof *p->diag);
    p->chunk = bd_xmalloc(n * p->chunk_cols * sizeof *p->chunk + sizeof(float));
}

void bd_pairwise_free(BdPairwise *p) {
    free(p->rows);
    free(p->sq);
    free(p->coef);
    free(p->diag);
    free(p->chunk);
    memset(p, 0, sizeof *p);
}

size_t bd_rows_dim(const BdGraph *g, int node) {
    BdShape s = g->nodes[node].shape;
    return (size_t)s.c * (size_t)s.h * (size_t)s.w;
}

/* Element (c, i, hw) of the CNHW tensor is column c*HW + hw of row i: each
 * (c, i) pair is one contiguous run of HW values on both sides. */
void bd_rows_gather(BdGraph *g, int node, int n, float *rows) {
    const BdNode *nd = &g->nodes[node];
    const size_t hw = (size_t)nd->shape.h * nd->shape.w, D = hw * nd->shape.c;
    const float *out = bd_graph_out(g, node);
    for (int c = 0; c < nd->shape.c; c++)
        for (int i = 0; i < n; i++)
            memcpy(rows + (size_t)i * D + (size_t)c * hw, out + ((size_t)c * n + i) * hw, hw * sizeof *rows);
}

void bd_rows_scatter_add(BdGraph *g, int node, int n, const float *src, size_t ld, size_t d0, size_t d1) {
    const BdNode *nd = &g->nodes[node];
    const size_t hw = (size_t)nd->shape.h * nd->shape.w;
    float *grad = bd_graph_grad(g, node);
    for (size_t d = d0; d < d1;) {
        const size_t c = d / hw, at = d % hw, len = hw - at < d1 - d ? hw - at : d1 - d;
        for (int i = 0; i < n; i++) {
            float *dst = grad + (c * (size_t)n + (size_t)i) * hw + at;
            const float *s = src + (size_t)i * ld + (d - d0);
            for (size_t t = 0; t < len; t++) dst[t] += s[t];
        }
        d += len;
    }
}

void bd_rows_center(float *rows, int n, size_t D) {
    enum { BLOCK = 256 }; /* columns summed at once: the rows are read along their length */
    double mean[BLOCK];
    for (size_t d0 = 0; d0 < D; d0 += BLOCK) {
        const size_t len = D - d0 < BLOCK ? D - d0 : BLOCK;
        for (size_t t = 0; t < len; t++) mean[t] = 0.0;
        for (int i = 0; i < n; i++) {
            const float *row = rows + (size_t)i * D + d0;
            for (size_t t = 0; t < len; t++) mean[t] += row[t];
        }
        for (int i = 0; i < n; i++) {
            float *row = rows + (size_t)i * D + d0;
            for (size_t t = 0; t < len; t++) row[t] -= (float)(mean[t] / n);
        }
    }
}

void bd_pairwise_sqdist(BdPairwise *p, int n, size_t D) {
    float *S = p->sq;
    /* Upper triangle of G = rows rows^T, row-major n x n. */
    cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, n, (int)D, 1.0f, p->rows, (int)D, 0.0f, S, n);
    for (int i = 0; i < n; i++) p->diag[i] = S[(size_t)i * n + i];
    for (int i = 0; i < n; i++) {
        S[(size_t)i * n + i] = 0.0f;
        for (int j = i + 1; j < n; j++) {
            float s = p->diag[i] + p->diag[j] - 2.0f * S[(size_t)i * n + j];
            if (s < 0.0f) s = 0.0f;
            S[(size_t)i * n + j] = S[(size_t)j * n + i] = s;
        }
    }
}

double bd_rows_sqdist_exact(const float *rows, size_t D, int i, int j) {
    const float *a = rows + (size_t)i * D, *b = rows + (size_t)j * D;
    double s = 0.0;
    for (size_t d = 0; d < D; d++) {
        double t = (double)a[d] - (double)b[d];
        s += t * t;
    }
    return s;
}

void bd_pairwise_grad_matrix(BdPairwise *p, int n) {
    float *C = p->coef;
    for (int i = 0; i < n; i++) {
        C[(size_t)i * n + i] = 0.0f;
        for (int j = i + 1; j < n; j++) {
            float w = C[(size_t)i * n + j] + C[(size_t)j * n + i];
            C[(size_t)i * n + j] = C[(size_t)j * n + i] = -2.0f * w;
        }
    }
    for (int i = 0; i < n; i++) {
        double row = 0.0;
        for (int j = 0; j < n; j++) row += C[(size_t)i * n + j];
        C[(size_t)i * n + i] = (float)-row;
    }
}

void bd_pairwise_grad_rows(const BdPairwise *p, int n, size_t D, size_t d0, size_t d1, float *out, size_t ld_out) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, (int)(d1 - d0), n, 1.0f, p->coef, n, p->rows + d0,
                (int)D, 0.0f, out, (int)ld_out);
}

void bd_pairwise_backward(BdPairwise *p, BdGraph *g, int node, int n, size_t D) {
    for (size_t d0 = 0; d0 < D; d0 += p->chunk_cols) {
        size_t d1 = d0 + p->chunk_cols < D ? d0 + p->chunk_cols : D;
        bd_pairwise_grad_rows(p, n, D, d0, d1, p->chunk, p->chunk_cols);
        bd_rows_scatter_add(g, node, n, p->chunk, p->chunk_cols, d0, d1);
    }
}
