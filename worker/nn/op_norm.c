/* Batch norm as torch.nn.BatchNorm2d: eps 1e-5, momentum 0.1; training
 * normalises with the biased batch variance and feeds the unbiased one into
 * running_var. In CNHW a channel is one contiguous run of n*H*W values. */
#include <math.h>

#include "ops.h"

#define BN_EPS 1e-5
#define BN_MOMENTUM 0.1

/* x [C, n, H, W] -> y [C, n, H, W]; aux [2C] keeps mean and 1/std for backward. */
void bd_bn_forward(BdGraph *g, BdNode *nd) {
    const int C = nd->shape.c;
    const size_t m = (size_t)g->n * bd_plane(nd->shape);
    const float *x = bd_in(g, nd, 0)->out;
    const float *gamma = bd_param_ptr(g, nd->w_param), *beta = bd_param_ptr(g, nd->b_param);
    float *rm = bd_buffer_ptr(g, nd->rm_buf), *rv = bd_buffer_ptr(g, nd->rv_buf);
    float *mean_s = nd->aux, *invstd_s = nd->aux + C;
    /* fused with the ReLU that follows: write its output */
    float *y = nd->relu_into ? g->nodes[nd->relu_into].out : nd->out;
    for (int c = 0; c < C; c++) {
        const float *xc = x + (size_t)c * m;
        double mean, var;
        if (g->mode == BD_TRAIN) {
            /* Moments around the first value: no cancellation when the mean is large. */
            double s1, s2;
            const float k = xc[0];
            bd_vec_moments(xc, m, k, &s1, &s2);
            double d = s1 / (double)m;
            mean = k + d;
            var = s2 / (double)m - d * d;
            if (var < 0.0) var = 0.0;
            double unbiased = m > 1 ? var * (double)m / (double)(m - 1) : var;
            rm[c] = (float)((1.0 - BN_MOMENTUM) * rm[c] + BN_MOMENTUM * mean);
            rv[c] = (float)((1.0 - BN_MOMENTUM) * rv[c] + BN_MOMENTUM * unbiased);
        } else {
            mean = rm[c];
            var = rv[c];
        }
        const double invstd = 1.0 / sqrt(var + BN_EPS);
        mean_s[c] = (float)mean;
        invstd_s[c] = (float)invstd;
        const double a = gamma[c] * invstd;
        bd_vec_affine(y + (size_t)c * m, xc, (float)a, (float)(beta[c] - mean * a), m, nd->relu_into != 0);
    }
}

/* dy [C, n, H, W] -> dgamma, dbeta, dx. With xhat = (x - mean) * invstd:
 *   training: dx = gamma*invstd * (dy - mean(dy) - xhat * mean(dy * xhat))
 *   eval (fixed statistics): dx = gamma*invstd * dy */
void bd_bn_backward(BdGraph *g, BdNode *nd) {
    const int C = nd->shape.c;
    const size_t m = (size_t)g->n * bd_plane(nd->shape);
    const float *x = bd_in(g, nd, 0)->out;
    const float *gamma = bd_param_ptr(g, nd->w_param);
    float *dgamma = bd_pgrad_ptr(g, nd->w_param), *dbeta = bd_pgrad_ptr(g, nd->b_param);
    const float *mean_s = nd->aux, *invstd_s = nd->aux + C;
    int acc = 0;
    float *dx = bd_grad_into(g, nd, 0, &acc);
    /* fused: the gradient is the ReLU's, masked by the ReLU's output */
    const BdNode *relu = nd->relu_into ? &g->nodes[nd->relu_into] : NULL;
    for (int c = 0; c < C; c++) {
        const float *xc = x + (size_t)c * m, *dyc = (relu ? relu->grad : nd->grad) + (size_t)c * m;
        const float *zc = relu ? relu->out + (size_t)c * m : NULL;
        const double mean = mean_s[c], invstd = invstd_s[c];
        double sdy, sdyx;
        if (relu) bd_vec_dot_centered_masked(dyc, zc, xc, m, (float)mean, &sdy, &sdyx);
        else bd_vec_dot_centered(dyc, xc, m, (float)mean, &sdy, &sdyx);
        const double sdyxhat = sdyx * invstd;
        dgamma[c] += (float)sdyxhat;
        dbeta[c] += (float)sdy;
        if (!dx) continue;
        const double a = gamma[c] * invstd;
        /* training: dx = a*dy + cx*(x - mean) + d with cx = -a*invstd*mean(dy*xhat), d = -a*mean(dy);
         * evaluation (fixed statistics): dx = a*dy */
        const int train = g->mode == BD_TRAIN;
        const double cx = train ? -a * invstd * sdyxhat / (double)m : 0.0, d = train ? -a * sdy / (double)m : 0.0;
        if (relu)
            bd_vec_bn_dx_masked(dx + (size_t)c * m, dyc, zc, xc, (float)a, (float)cx, (float)mean, (float)d, m, acc);
        else
            bd_vec_bn_dx(dx + (size_t)c * m, dyc, xc, (float)a, (float)cx, (float)mean, (float)d, m, acc);
    }
}
