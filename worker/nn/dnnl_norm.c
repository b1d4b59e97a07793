/* Batch norm on oneDNN, as torch.nn.BatchNorm2d (eps 1e-5, momentum 0.1):
 * statistics, scale and shift in fp32 whatever the activation type, the
 * ReLU after it fused (dnnl_fuse_norm_relu: a bit mask kept in the
 * workspace for backward) when it is its only reader. oneDNN gives the
 * biased batch variance; the running statistics are updated here, with the
 * unbiased one as PyTorch. The reference beside it is op_norm.c.
 *
 * oneDNN 2.6 has JIT batch norms for NHWC only when the channel count is a
 * multiple of 16 (and, for a fused ReLU or bf16, with AVX-512 kernels only
 * then); other counts (NASNet's 11, 22, 44, 88) get its generic C++ code,
 * 10-20x slower on these shapes (bench/README.md). Those run on the
 * engine's own NHWC loops (kernels.h, bd_nhwc_*), the same arithmetic. */
#include <math.h>

#include "dnnl_impl.h"

/* Whether node i runs on the engine's own loops rather than oneDNN's. */
static int own_loops(const BdGraph *g, int i) { return g->nodes[i].shape.c % 16 != 0; }

/* The own loops' scratch in DN_TMP: acc [2C] doubles, then part [3C], a, b [C] floats. */
static size_t own_scratch(int C) { return 2 * (size_t)C * sizeof(double) + 5 * (size_t)C * sizeof(float); }

#define BN_MOMENTUM 0.1

static unsigned flags_of(const BdNode *nd, int global) {
    return dnnl_use_scale | dnnl_use_shift | (nd->relu_into ? dnnl_fuse_norm_relu : 0) |
           (global ? dnnl_use_global_stats : 0);
}

/* Forward primitive descriptors, training and evaluation (running
 * statistics). Both are forward_training so that a fused ReLU keeps its mask
 * either way: a backward may follow an evaluation forward. */
static dnnl_status_t fwd_pd(BdGraph *g, int i, int n, int global, dnnl_primitive_desc_t *pd) {
    const dnnl_memory_desc_t md = dn_md_act(g, i, n);
    dnnl_batch_normalization_desc_t d;
    dnnl_status_t st =
        dnnl_batch_normalization_forward_desc_init(&d, dnnl_forward_training, &md, DN_BN_EPS, flags_of(&g->nodes[i], global));
    if (st != dnnl_success) return st;
    dnnl_primitive_attr_t a = dn_attr(0, 0);
    st = dnnl_primitive_desc_create(pd, &d, a, g->dnnl->eng, NULL);
    dnnl_primitive_attr_destroy(a);
    return st;
}

static size_t ws_bytes(BdGraph *g, int i, int n) {
    if (!g->nodes[i].relu_into) return 0;
    dnnl_primitive_desc_t pd;
    if (fwd_pd(g, i, n, 0, &pd) != dnnl_success) return 0; /* make() reports it */
    const size_t b = dnnl_memory_desc_get_size(dn_pd_md(pd, dnnl_query_workspace_md));
    dnnl_primitive_desc_destroy(pd);
    return b;
}

/* aux: batch mean [C], batch variance [C], the fused ReLU's mask (oneDNN's) */
static size_t bn_aux_bytes(BdGraph *g, int i) {
    return 2 * (size_t)g->nodes[i].shape.c * sizeof(float) + (own_loops(g, i) ? 0 : ws_bytes(g, i, g->max_batch));
}

static int bn_make(BdGraph *g, int i, DnSet *s, BdError *err) {
    const BdNode *nd = &g->nodes[i];
    if (own_loops(g, i)) {
        dn_need(g, DN_TMP, own_scratch(nd->shape.c));
        dn_need(g, DN_PTMP, 2 * (size_t)nd->shape.c * sizeof(float));
        return 0;
    }
    const int n = s->n, C = nd->shape.c, in = nd->in[0];
    DnOp *op = &s->ops[i];
    DnNode *dn = dn_node(g, i);
    const dnnl_memory_desc_t md = dn_md_act(g, i, n), vec = dn_md_x(C);
    dnnl_primitive_desc_t fpd[2] = {NULL, NULL}, bpd[2] = {NULL, NULL};
    dnnl_primitive_attr_t a = dn_attr(0, 0);
    dnnl_status_t st = dnnl_success;
    for (int k = 0; k < 2 && st == dnnl_success; k++) {
        dnnl_batch_normalization_desc_t d;
        st = fwd_pd(g, i, n, k, &fpd[k]);
        if (st == dnnl_success)
            st = dnnl_batch_normalization_backward_desc_init(&d, dnnl_backward, &md, &md, DN_BN_EPS, flags_of(nd, k));
        if (st == dnnl_success) st = dnnl_primitive_desc_create(&bpd[k], &d, a, g->dnnl->eng, fpd[k]);
    }
    dnnl_primitive_attr_destroy(a);
    if (st == dnnl_success) st = dn_prim(s, g, fpd[0], &op->fwd);
    if (st == dnnl_success) st = dn_prim(s, g, fpd[1], &op->fwd_eval);
    if (st == dnnl_success) st = dn_prim(s, g, bpd[0], &op->bwd);
    if (st == dnnl_success) st = dn_prim(s, g, bpd[1], &op->bwd_eval);
    const dnnl_memory_desc_t *ws = st == dnnl_success && nd->relu_into ? dn_pd_md(fpd[0], dnnl_query_workspace_md) : NULL;
    dnnl_memory_t wsm = ws ? dn_mem(s, g, ws, dn->aux + 2 * (size_t)C * sizeof(float)) : NULL;
    for (int k = 0; k < 2; k++) {
        dnnl_primitive_desc_destroy(fpd[k]);
        dnnl_primitive_desc_destroy(bpd[k]);
    }
    DN_TRY(st);

    dnnl_memory_t x = dn_mem(s, g, &md, dn_node(g, in)->data), y = dn_mem(s, g, &md, dn->data);
    dnnl_memory_t dy = dn_mem(s, g, &md, dn->diff);
    op->dx = dn_mem(s, g, &md, dn_node(g, in)->diff);
    dnnl_memory_t scale = dn_mem(s, g, &vec, bd_param_ptr(g, nd->w_param));
    dnnl_memory_t shift = dn_mem(s, g, &vec, bd_param_ptr(g, nd->b_param));
    /* the statistics each forward normalises with: the batch's, or the running ones */
    dnnl_memory_t stats[2][2] = {
        {dn_mem(s, g, &vec, dn->aux), dn_mem(s, g, &vec, dn->aux + (size_t)C * sizeof(float))},
        {dn_mem(s, g, &vec, bd_buffer_ptr(g, nd->rm_buf)), dn_mem(s, g, &vec, bd_buffer_ptr(g, nd->rv_buf))}};
    DnExec *fwd[2] = {&op->fwd, &op->fwd_eval}, *bwd[2] = {&op->bwd, &op->bwd_eval};
    for (int k = 0; k < 2; k++) {
        dn_arg(fwd[k], DNNL_ARG_SRC, x);
        dn_arg(fwd[k], DNNL_ARG_DST, y);
        dn_arg(fwd[k], DNNL_ARG_MEAN, stats[k][0]);
        dn_arg(fwd[k], DNNL_ARG_VARIANCE, stats[k][1]);
        dn_arg(fwd[k], DNNL_ARG_SCALE, scale);
        dn_arg(fwd[k], DNNL_ARG_SHIFT, shift);
        dn_arg(bwd[k], DNNL_ARG_SRC, x);
        dn_arg(bwd[k], DNNL_ARG_MEAN, stats[k][0]);
        dn_arg(bwd[k], DNNL_ARG_VARIANCE, stats[k][1]);
        dn_arg(bwd[k], DNNL_ARG_DIFF_DST, dy);
        dn_arg(bwd[k], DNNL_ARG_SCALE, scale);
        dn_arg(bwd[k], DNNL_ARG_SHIFT, shift); /* unread, but counted among the inputs */
        dn_arg(bwd[k], DNNL_ARG_DIFF_SRC, op->dx);
        dn_arg(bwd[k], DNNL_ARG_DIFF_SCALE, dn_shared(s, g, &vec, DN_PTMP, 0));
        dn_arg(bwd[k], DNNL_ARG_DIFF_SHIFT, dn_shared(s, g, &vec, DN_PTMP, (size_t)C * sizeof(float)));
        if (wsm) {
            dn_arg(fwd[k], DNNL_ARG_WORKSPACE, wsm);
            dn_arg(bwd[k], DNNL_ARG_WORKSPACE, wsm);
        }
    }
    return 0;
}

/* The own loops' forward: the batch's (training) or the running statistics. */
static void own_forward(BdGraph *g, int i) {
    const BdNode *nd = &g->nodes[i];
    const int C = nd->shape.c, bf16 = g->dnnl->dt == dnnl_bf16;
    const size_t m = (size_t)g->n * bd_plane(nd->shape);
    const void *x = dn_node(g, nd->in[0])->data;
    void *y = dn_node(g, i)->data;
    double *acc = (double *)(void *)g->dnnl->bufs[DN_TMP].p;
    float *part = (float *)(void *)(acc + 2 * C), *a = part + 3 * C, *b = a + C;
    float *mean = (float *)(void *)dn_node(g, i)->aux, *var = mean + C;
    if (g->mode == BD_TRAIN) {
        if (bf16) bd_nhwc_moments_bf16(x, m, C, mean, var, part, acc);
        else bd_nhwc_moments_f32(x, m, C, mean, var, part, acc);
    } else {
        mean = bd_buffer_ptr(g, nd->rm_buf);
        var = bd_buffer_ptr(g, nd->rv_buf);
    }
    const float *gamma = bd_param_ptr(g, nd->w_param), *beta = bd_param_ptr(g, nd->b_param);
    for (int c = 0; c < C; c++) {
        a[c] = (float)(gamma[c] / sqrt((double)var[c] + DN_BN_EPS));
        b[c] = beta[c] - mean[c] * a[c];
    }
    if (bf16) bd_nhwc_affine_bf16(y, x, m, C, a, b, nd->relu_into != 0);
    else bd_nhwc_affine_f32(y, x, m, C, a, b, nd->relu_into != 0);
}

/* The own loops' backward into DN_PTMP's dgamma, dbeta; dx (+)= ... (as op_norm.c). */
static void own_backward(BdGraph *g, int i) {
    const BdNode *nd = &g->nodes[i];
    const int C = nd->shape.c, bf16 = g->dnnl->dt == dnnl_bf16, train = g->mode == BD_TRAIN;
    const size_t m = (size_t)g->n * bd_plane(nd->shape);
    const void *x = dn_node(g, nd->in[0])->data, *dy = dn_node(g, i)->diff;
    const void *z = nd->relu_into ? dn_node(g, i)->data : NULL; /* the fused ReLU's output masks dy */
    double *sdy = (double *)(void *)g->dnnl->bufs[DN_TMP].p, *sdyx = sdy + C;
    float *part = (float *)(void *)(sdy + 2 * C), *a = part + 2 * C, *cx = part, *d = a + C;
    const float *mean = train ? (const float *)(void *)dn_node(g, i)->aux : bd_buffer_ptr(g, nd->rm_buf);
    const float *var = train ? mean + C : bd_buffer_ptr(g, nd->rv_buf);
    if (bf16) bd_nhwc_bn_sums_bf16(dy, z, x, m, C, mean, part, sdy, sdyx);
    else bd_nhwc_bn_sums_f32(dy, z, x, m, C, mean, part, sdy, sdyx);
    float *dgamma = (float *)(void *)g->dnnl->bufs[DN_PTMP].p, *dbeta = dgamma + C;
    const float *gamma = bd_param_ptr(g, nd->w_param);
    for (int c = 0; c < C; c++) {
        const double invstd = 1.0 / sqrt((double)var[c] + DN_BN_EPS), sdyxhat = sdyx[c] * invstd;
        dgamma[c] = (float)sdyxhat;
        dbeta[c] = (float)sdy[c];
        const double ac = gamma[c] * invstd;
        a[c] = (float)ac;
        cx[c] = train ? (float)(-ac * invstd * sdyxhat / (double)m) : 0.0f;
        d[c] = train ? (float)(-ac * sdy[c] / (double)m) : 0.0f;
    }
    int acc = 0;
    void *dx = dn_grad_into(g, i, 0, &acc);
    if (!dx) return;
    if (bf16) bd_nhwc_bn_dx_bf16(dx, dy, z, x, m, C, a, cx, mean, d, acc);
    else bd_nhwc_bn_dx_f32(dx, dy, z, x, m, C, a, cx, mean, d, acc);
}

/* x [n, H, W, C] -> y = gamma * (x - mean) / sqrt(var + eps) + beta [, ReLU];
 * training: batch statistics, and the running ones updated */
static void bn_forward(BdGraph *g, int i) {
    const BdNode *nd = &g->nodes[i];
    DnOp *op = dn_op(g, i);
    if (g->mode != BD_TRAIN) {
        if (dn_node(g, i)->folded) return; /* its convolution did it */
        if (own_loops(g, i)) own_forward(g, i);
        else dn_run(g, &op->fwd_eval);
        return;
    }
    if (own_loops(g, i)) own_forward(g, i);
    else dn_run(g, &op->fwd);
    const int C = nd->shape.c;
    const double m = (double)g->n * (double)bd_plane(nd->shape);
    const float *mean = (const float *)(void *)dn_node(g, i)->aux, *var = mean + C;
    float *rm = bd_buffer_ptr(g, nd->rm_buf), *rv = bd_buffer_ptr(g, nd->rv_buf);
    for (int c = 0; c < C; c++) {
        const double unbiased = m > 1 ? (double)var[c] * m / (m - 1) : (double)var[c];
        rm[c] = (float)((1.0 - BN_MOMENTUM) * rm[c] + BN_MOMENTUM * (double)mean[c]);
        rv[c] = (float)((1.0 - BN_MOMENTUM) * rv[c] + BN_MOMENTUM * unbiased);
    }
}

/* dy (the fused ReLU's, masked inside) -> dgamma, dbeta, dx (+)= ... */
static void bn_backward(BdGraph *g, int i) {
    const BdNode *nd = &g->nodes[i];
    DnOp *op = dn_op(g, i);
    if (own_loops(g, i)) own_backward(g, i);
    else dn_run_grad(g, i, g->mode == BD_TRAIN ? &op->bwd : &op->bwd_eval);
    const float *d = (const float *)(void *)g->dnnl->bufs[DN_PTMP].p;
    const size_t C = (size_t)nd->shape.c;
    bd_vec_put(bd_pgrad_ptr(g, nd->w_param), d, C, 1);
    bd_vec_put(bd_pgrad_ptr(g, nd->b_param), d + C, C, 1);
}

const DnImpl dn_bn_impl = {bn_aux_bytes, bn_make, bn_forward, bn_backward};
