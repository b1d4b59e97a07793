/* Pooling on oneDNN: max (its argmax in the workspace for backward), average
 * with or without the padding in the divisor, and global average (an
 * average over the whole plane). The reference beside it is op_pool.c. */
#include "dnnl_impl.h"

/* The window of node i: k x k (stride, padding), or the whole plane for
 * global pooling. Right padding = left: with PyTorch's floor rule the last
 * window never reaches further (graph.c checks 2*pad <= k). */
typedef struct Window {
    dnnl_dims_t kernel, strides, pad, dil;
    dnnl_alg_kind_t alg;
} Window;

static Window window_of(const BdGraph *g, int i) {
    const BdNode *nd = &g->nodes[i];
    const BdShape in = g->nodes[nd->in[0]].shape;
    Window w = {{nd->k, nd->k}, {nd->stride, nd->stride}, {nd->pad, nd->pad}, {0, 0}, dnnl_pooling_max};
    if (nd->op == BD_OP_GAP) {
        w = (Window){{in.h, in.w}, {1, 1}, {0, 0}, {0, 0}, dnnl_pooling_avg_exclude_padding};
    } else if (nd->op == BD_OP_AVGPOOL) {
        w.alg = nd->count_include_pad ? dnnl_pooling_avg_include_padding : dnnl_pooling_avg_exclude_padding;
    }
    return w;
}

static dnnl_status_t fwd_pd(BdGraph *g, int i, int n, dnnl_primitive_desc_t *pd) {
    const Window w = window_of(g, i);
    const dnnl_memory_desc_t src = dn_md_act(g, g->nodes[i].in[0], n), dst = dn_md_act(g, i, n);
    dnnl_pooling_v2_desc_t d;
    dnnl_status_t st = dnnl_pooling_v2_forward_desc_init(&d, dnnl_forward_training, w.alg, &src, &dst, w.strides,
                                                         w.kernel, w.dil, w.pad, w.pad);
    if (st != dnnl_success) return st;
    dnnl_primitive_attr_t a = dn_attr(0, 0);
    st = dnnl_primitive_desc_create(pd, &d, a, g->dnnl->eng, NULL);
    dnnl_primitive_attr_destroy(a);
    return st;
}

/* aux: max pooling's argmax workspace */
static size_t pool_aux_bytes(BdGraph *g, int i) {
    if (g->nodes[i].op != BD_OP_MAXPOOL) return 0;
    dnnl_primitive_desc_t pd;
    if (fwd_pd(g, i, g->max_batch, &pd) != dnnl_success) return 0; /* make() reports it */
    const size_t b = dnnl_memory_desc_get_size(dn_pd_md(pd, dnnl_query_workspace_md));
    dnnl_primitive_desc_destroy(pd);
    return b;
}

static int pool_make(BdGraph *g, int i, DnSet *s, BdError *err) {
    const BdNode *nd = &g->nodes[i];
    const int n = s->n;
    const Window w = window_of(g, i);
    DnOp *op = &s->ops[i];
    const dnnl_memory_desc_t src = dn_md_act(g, nd->in[0], n), dst = dn_md_act(g, i, n);
    dnnl_primitive_desc_t fpd = NULL, bpd = NULL;
    dnnl_status_t st = fwd_pd(g, i, n, &fpd);
    if (st == dnnl_success) {
        dnnl_pooling_v2_desc_t d;
        st = dnnl_pooling_v2_backward_desc_init(&d, w.alg, &src, &dst, w.strides, w.kernel, w.dil, w.pad, w.pad);
        dnnl_primitive_attr_t a = dn_attr(0, 0);
        if (st == dnnl_success) st = dnnl_primitive_desc_create(&bpd, &d, a, g->dnnl->eng, fpd);
        dnnl_primitive_attr_destroy(a);
    }
    if (st == dnnl_success) st = dn_prim(s, g, fpd, &op->fwd);
    if (st == dnnl_success) st = dn_prim(s, g, bpd, &op->bwd);
    const dnnl_memory_desc_t *ws = st == dnnl_success && w.alg == dnnl_pooling_max
                                       ? dn_pd_md(fpd, dnnl_query_workspace_md)
                                       : NULL;
    dnnl_memory_t wsm = ws ? dn_mem(s, g, ws, dn_node(g, i)->aux) : NULL;
    dnnl_primitive_desc_destroy(fpd);
    dnnl_primitive_desc_destroy(bpd);
    DN_TRY(st);
    op->dx = dn_mem(s, g, &src, dn_node(g, nd->in[0])->diff);
    dn_arg(&op->fwd, DNNL_ARG_SRC, dn_mem(s, g, &src, dn_node(g, nd->in[0])->data));
    dn_arg(&op->fwd, DNNL_ARG_DST, dn_mem(s, g, &dst, dn_node(g, i)->data));
    dn_arg(&op->bwd, DNNL_ARG_DIFF_DST, dn_mem(s, g, &dst, dn_node(g, i)->diff));
    dn_arg(&op->bwd, DNNL_ARG_DIFF_SRC, op->dx);
    if (wsm) {
        dn_arg(&op->fwd, DNNL_ARG_WORKSPACE, wsm);
        dn_arg(&op->bwd, DNNL_ARG_WORKSPACE, wsm);
    }
    return 0;
}

/* x [n, H, W, C] -> y [n, OH, OW, C] (global: [n, 1, 1, C]) */
static void pool_forward(BdGraph *g, int i) { dn_run(g, &dn_op(g, i)->fwd); }

/* dx (+)= the adjoint: dy to the argmax, or spread over the window */
static void pool_backward(BdGraph *g, int i) { dn_run_grad(g, i, &dn_op(g, i)->bwd); }

const DnImpl dn_pool_impl = {pool_aux_bytes, pool_make, pool_forward, pool_backward};
const DnImpl dn_gap_impl = {NULL, pool_make, pool_forward, pool_backward};
