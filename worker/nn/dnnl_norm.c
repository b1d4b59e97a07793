/* Batch norm on oneDNN, as torch.nn.BatchNorm2d (eps 1e-5, momentum 0.1):
 * statistics, scale and shift in fp32 whatever the activation type, the
 * ReLU after it fused (dnnl_fuse_norm_relu: a bit mask kept in the
 * workspace for backward) when it is its only reader. oneDNN gives the
 * biased batch variance; the running statistics are updated here, with the
 * unbiased one as PyTorch. The reference beside it is op_norm.c. */
#include "dnnl_impl.h"

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

/* aux: batch mean [C], batch variance [C], the fused ReLU's mask */
static size_t bn_aux_bytes(BdGraph *g, int i) {
    return 2 * (size_t)g->nodes[i].shape.c * sizeof(float) + ws_bytes(g, i, g->max_batch);
}

static int bn_make(BdGraph *g, int i, DnSet *s, BdError *err) {
    const BdNode *nd = &g->nodes[i];
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

/* x [n, H, W, C] -> y = gamma * (x - mean) / sqrt(var + eps) + beta [, ReLU];
 * training: batch statistics, and the running ones updated */
static void bn_forward(BdGraph *g, int i) {
    const BdNode *nd = &g->nodes[i];
    DnOp *op = dn_op(g, i);
    if (g->mode != BD_TRAIN) {
        if (!dn_node(g, i)->folded) dn_run(g, &op->fwd_eval); /* else its convolution did it */
        return;
    }
    dn_run(g, &op->fwd);
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
    dn_run_grad(g, i, g->mode == BD_TRAIN ? &op->bwd : &op->bwd_eval);
    const float *d = (const float *)(void *)g->dnnl->bufs[DN_PTMP].p;
    const size_t C = (size_t)nd->shape.c;
    bd_vec_put(bd_pgrad_ptr(g, nd->w_param), d, C, 1);
    bd_vec_put(bd_pgrad_ptr(g, nd->b_param), d + C, C, 1);
}

const DnImpl dn_bn_impl = {bn_aux_bytes, bn_make, bn_forward, bn_backward};
