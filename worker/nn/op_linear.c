/* Fully connected layer on feature vectors: y = W x + b, one sgemm each way. */
#include <cblas.h>

#include "ops.h"

/* x [F, n], W [Out, F], b [Out] -> y [Out, n] */
void bd_linear_forward(BdGraph *g, BdNode *nd) {
    const int n = g->n, F = bd_in(g, nd, 0)->shape.c, O = nd->shape.c;
    const float *b = bd_param_ptr(g, nd->b_param);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, O, n, F, 1.0f, bd_param_ptr(g, nd->w_param), F,
                bd_in(g, nd, 0)->out, n, 0.0f, nd->out, n);
    for (int o = 0; o < O; o++)
        for (int i = 0; i < n; i++) nd->out[(size_t)o * n + i] += b[o];
}

/* dy [Out, n] -> dW += dy x^T, db += row sums of dy, dx (+)= W^T dy */
void bd_linear_backward(BdGraph *g, BdNode *nd) {
    const int n = g->n, F = bd_in(g, nd, 0)->shape.c, O = nd->shape.c;
    float *db = bd_pgrad_ptr(g, nd->b_param);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, O, F, n, 1.0f, nd->grad, n, bd_in(g, nd, 0)->out, n, 1.0f,
                bd_pgrad_ptr(g, nd->w_param), F);
    for (int o = 0; o < O; o++) db[o] += (float)bd_vec_sum(nd->grad + (size_t)o * n, (size_t)n);
    int acc;
    float *dx = bd_grad_into(g, nd, 0, &acc);
    if (dx)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, F, n, O, 1.0f, bd_param_ptr(g, nd->w_param), F,
                    nd->grad, n, acc ? 1.0f : 0.0f, dx, n);
}
