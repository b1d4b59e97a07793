/* Fully connected layers on oneDNN's inner product, and flatten: the
 * reorder of [n, H, W, C] to PyTorch's feature order (c*H + h)*W + w. The
 * references beside them are op_linear.c and op_shape.c. */
#include "dnnl_impl.h"

/* x [n, F], W [Out, F], b [Out] -> y [n, Out]; forward, backward weights and
 * backward data (always made: bd_graph_set_input_grad can ask for it) */
static int linear_make(BdGraph *g, int i, DnSet *s, BdError *err) {
    const BdNode *nd = &g->nodes[i];
    const int n = s->n, in = nd->in[0], F = g->nodes[in].shape.c, O = nd->shape.c;
    const dnnl_data_type_t dt = g->dnnl->dt;
    DnOp *op = &s->ops[i];
    const dnnl_memory_desc_t src = dn_md_2d(n, F, dt), dst = dn_md_2d(n, O, dt), bias = dn_md_x(O);
    dnnl_memory_desc_t wany, dwany, wuser;
    const dnnl_dims_t wd = {O, F};
    dnnl_memory_desc_init_by_tag(&wany, 2, wd, dt, dnnl_format_tag_any);
    dnnl_memory_desc_init_by_tag(&dwany, 2, wd, dnnl_f32, dnnl_format_tag_any);
    dnnl_memory_desc_init_by_tag(&wuser, 2, wd, dnnl_f32, dnnl_oi);
    float *w = bd_param_ptr(g, nd->w_param), *dw = bd_pgrad_ptr(g, nd->w_param);

    dnnl_inner_product_desc_t fd, bd, wdd;
    DN_TRY(dnnl_inner_product_forward_desc_init(&fd, dnnl_forward_training, &src, &wany, &bias, &dst));
    DN_TRY(dnnl_inner_product_backward_data_desc_init(&bd, &src, &wany, &dst));
    DN_TRY(dnnl_inner_product_backward_weights_desc_init(&wdd, &src, &dwany, &bias, &dst));
    dnnl_primitive_attr_t a = dn_attr(0, 0);
    dnnl_primitive_desc_t fpd = NULL, bpd = NULL, wpd = NULL;
    dnnl_status_t st = dnnl_primitive_desc_create(&fpd, &fd, a, g->dnnl->eng, NULL);
    if (st == dnnl_success) st = dnnl_primitive_desc_create(&bpd, &bd, a, g->dnnl->eng, fpd);
    if (st == dnnl_success) st = dnnl_primitive_desc_create(&wpd, &wdd, a, g->dnnl->eng, fpd);
    dnnl_primitive_attr_destroy(a);
    dnnl_memory_t wf = NULL, wb = NULL, dwp = NULL;
    if (st == dnnl_success) st = dn_weights_in(s, g, &wuser, w, dn_pd_md(fpd, dnnl_query_weights_md), &op->wfwd, &wf);
    if (st == dnnl_success) st = dn_weights_in(s, g, &wuser, w, dn_pd_md(bpd, dnnl_query_weights_md), &op->wbwd, &wb);
    if (st == dnnl_success)
        st = dn_weights_out(s, g, &wuser, dw, dn_pd_md(wpd, dnnl_query_diff_weights_md), &op->dw, &dwp);
    if (st == dnnl_success) st = dn_prim(s, g, fpd, &op->fwd);
    if (st == dnnl_success) st = dn_prim(s, g, bpd, &op->bwd);
    if (st == dnnl_success) st = dn_prim(s, g, wpd, &op->bwd_w);
    dnnl_primitive_desc_destroy(fpd);
    dnnl_primitive_desc_destroy(bpd);
    dnnl_primitive_desc_destroy(wpd);
    DN_TRY(st);

    dnnl_memory_t x = dn_mem(s, g, &src, dn_node(g, in)->data), dy = dn_mem(s, g, &dst, dn_node(g, i)->diff);
    op->dx = dn_mem(s, g, &src, dn_node(g, in)->diff);
    dn_arg(&op->fwd, DNNL_ARG_SRC, x);
    dn_arg(&op->fwd, DNNL_ARG_WEIGHTS, wf);
    dn_arg(&op->fwd, DNNL_ARG_BIAS, dn_mem(s, g, &bias, bd_param_ptr(g, nd->b_param)));
    dn_arg(&op->fwd, DNNL_ARG_DST, dn_mem(s, g, &dst, dn_node(g, i)->data));
    dn_arg(&op->bwd, DNNL_ARG_DIFF_DST, dy);
    dn_arg(&op->bwd, DNNL_ARG_WEIGHTS, wb);
    dn_arg(&op->bwd, DNNL_ARG_DIFF_SRC, op->dx);
    dn_arg(&op->bwd_w, DNNL_ARG_SRC, x);
    dn_arg(&op->bwd_w, DNNL_ARG_DIFF_DST, dy);
    dn_arg(&op->bwd_w, DNNL_ARG_DIFF_WEIGHTS, dwp);
    dn_arg(&op->bwd_w, DNNL_ARG_DIFF_BIAS, dn_shared(s, g, &bias, DN_PTMP, 0));
    DN_TRY(dn_eval_plain(s, g, i, &wuser, w));
    return 0;
}

const DnImpl dn_linear_impl = {NULL, linear_make, dn_weighted_forward, dn_weighted_backward};

/* [n, H, W, C] <-> [n, C*H*W] in (c, h, w) order: NHWC to NCHW of the same dims */
static int flatten_make(BdGraph *g, int i, DnSet *s, BdError *err) {
    const int in = g->nodes[i].in[0], n = s->n;
    const BdShape sh = g->nodes[in].shape;
    const dnnl_memory_desc_t nhwc = dn_md_act(g, in, n);
    dnnl_memory_desc_t nchw;
    const dnnl_dims_t d = {n, sh.c, sh.h, sh.w};
    DN_TRY(dnnl_memory_desc_init_by_tag(&nchw, 4, d, g->dnnl->dt, dnnl_nchw));
    DnOp *op = &s->ops[i];
    dnnl_memory_t dx = dn_mem(s, g, &nhwc, dn_node(g, in)->diff), dy = dn_mem(s, g, &nchw, dn_node(g, i)->diff);
    DN_TRY(dn_reorder(s, g, dn_mem(s, g, &nhwc, dn_node(g, in)->data), dn_mem(s, g, &nchw, dn_node(g, i)->data), 0,
                      &op->fwd));
    DN_TRY(dn_reorder(s, g, dy, dx, 0, &op->bwd));
    DN_TRY(dn_reorder(s, g, dy, dx, 1, &op->bwd_acc));
    return 0;
}

static void flatten_forward(BdGraph *g, int i) { dn_run(g, &dn_op(g, i)->fwd); }

static void flatten_backward(BdGraph *g, int i) {
    int acc = 0;
    if (!dn_grad_into(g, i, 0, &acc)) return;
    dn_run(g, acc ? &dn_op(g, i)->bwd_acc : &dn_op(g, i)->bwd);
}

const DnImpl dn_flatten_impl = {NULL, flatten_make, flatten_forward, flatten_backward};
