/* Convolutions on oneDNN (any kernel, stride, padding and groups, depthwise
 * included), with the ReLU after them fused when it is their only reader:
 * a post-op forward, its backward in place on the shared gradient before
 * the convolution's (plan.c, BdNode.relu_into). The reference beside it is
 * op_conv.c.
 *
 * Depthwise weight gradients. oneDNN 2.6's depthwise backward-weights kernel
 * takes kernels up to 3 wide on maps at least as tall as the kernel; others
 * (NASNet's 5x5 and 7x7, maps down to 1x1) get its generic grouped
 * convolution, ~0.2-1 ms a call where the engine's own NHWC loop
 * (bd_nhwc_dw_dweights: channels innermost) takes microseconds. So every
 * depthwise convolution computes its weight gradient with that loop.
 *
 * Evaluation. With fixed statistics a batch norm is an affine map per
 * channel, and a convolution whose only reader is one computes it too: the
 * BN folded into its weights (w * gamma / sqrt(var + eps)) and a bias, the
 * ReLU after the BN as a post-op, and an add after the BN as a binary
 * post-op when the add's other input is ready before the convolution runs
 * (a residual block's identity shortcut, or its projection's BN then taking
 * the main path's as the ready one), its ReLU after that. But not the add
 * in fp32 after a KxK convolution (K > 1): oneDNN 2.6's brgconv kernels
 * take no binary post-op, and the jit:avx512_core kernel it falls back to
 * is 16-23% slower on ResNet-20's chunks, more than the add costs apart
 * over a chunk in cache (ResNet-20's evaluation: 3007-3044 img/s against
 * 2892-2957 with the add fused). After a 1x1 convolution, and in bf16, the
 * fused add stays ahead (ResNet-50/4 fp32 1466-1535 against 1427-1469, bf16
 * 2830-2969 against 2720-2816; ResNet-20 bf16 5634-5742 against 5557-5591;
 * bench/README.md). The folded nodes
 * do nothing in evaluation (DnNode.folded) and the convolution writes the
 * last one's output. Training never folds (and an evaluation is never
 * followed by a backward: dnnl_impl.h). */
#include <math.h>
#include <string.h>

#include "conv.h"
#include "dnnl_impl.h"

/* The weights as the parameters hold them: PyTorch's [Cout, Cin/g, K, K],
 * which for groups > 1 is oneDNN's goihw of {g, Cout/g, Cin/g, K, K}. */
static dnnl_memory_desc_t weights_md(const ConvGeom *G, dnnl_data_type_t dt, dnnl_format_tag_t tag) {
    dnnl_memory_desc_t md;
    if (G->groups == 1) {
        const dnnl_dims_t d = {G->cout, G->cing, G->k, G->k};
        dnnl_memory_desc_init_by_tag(&md, 4, d, dt, tag == dnnl_format_tag_any ? tag : dnnl_oihw);
    } else {
        const dnnl_dims_t d = {G->groups, G->coutg, G->cing, G->k, G->k};
        dnnl_memory_desc_init_by_tag(&md, 5, d, dt, tag == dnnl_format_tag_any ? tag : dnnl_goihw);
    }
    return md;
}

/* The chain a convolution c computes in evaluation (dnnl_impl.h): *bn (its BN, or -1:
 * none), *add and *other (the add after that BN and the add's other input,
 * or -1). Nothing the rest of the worker reads is skipped: no tagged node,
 * no output, no view. */
void dn_fold_chain(const BdGraph *g, int c, int *bn, int *add, int *other) {
    *bn = *add = *other = -1;
    const BdNode *cn = &g->nodes[c];
    const int b = g->dnnl->nodes[c].consumer;
    if (g->all_views || cn->relu_into || cn->tag[0] || c == g->output || b < 0 || g->nodes[b].op != BD_OP_BN ||
        g->nodes[b].tag[0] || b == g->output)
        return;
    *bn = b;
    const int a = g->dnnl->nodes[b].consumer;
    if (g->nodes[b].relu_into || a < 0 || g->nodes[a].op != BD_OP_ADD || g->nodes[a].tag[0] || a == g->output) return;
    if (g->dnnl->dt == dnnl_f32 && cn->k > 1) return; /* the add stays apart: see the top of this file */
    const int o = g->nodes[a].in[0] == b ? g->nodes[a].in[1] : g->nodes[a].in[0];
    if (o == b || o >= c) return; /* x + x, or the other input is not ready when the convolution runs */
    *add = a;
    *other = o;
}

/* The folded bias at the start of a folding convolution's evaluation
 * weights (DnNode.ewts), the weights after it: both kept until the
 * parameters change. */
static size_t fold_bias_bytes(const ConvGeom *G) { return ((size_t)G->cout * sizeof(float) + 63) & ~(size_t)63; }

/* fwd_eval of a folding convolution: bias and post-ops, weights from DN_FOLD
 * into the node's evaluation weights. Nothing (op->fold 0) when it folds nothing. */
static int fold_make(BdGraph *g, int i, DnSet *s, const ConvGeom *G, BdError *err) {
    int bn, add, other;
    dn_fold_chain(g, i, &bn, &add, &other);
    if (bn < 0) return 0;
    const BdNode *nd = &g->nodes[i];
    const int n = s->n, last = add >= 0 ? add : bn;
    DnOp *op = &s->ops[i];
    const dnnl_memory_desc_t src = dn_md_act(g, nd->in[0], n), dst = dn_md_act(g, i, n);
    const dnnl_memory_desc_t wany = weights_md(G, g->dnnl->dt, dnnl_format_tag_any), wuser = weights_md(G, dnnl_f32, 0);
    const dnnl_memory_desc_t bias = dn_md_x(G->cout);
    const dnnl_dims_t strides = {G->s, G->s}, pad = {G->p, G->p};
    dnnl_convolution_desc_t d;
    DN_TRY(dnnl_convolution_forward_desc_init(&d, dnnl_forward_inference, dnnl_convolution_direct, &src, &wany, &bias,
                                              &dst, strides, pad, pad));
    dnnl_primitive_attr_t a = dn_attr(0, 0);
    dnnl_post_ops_t po;
    dnnl_post_ops_create(&po);
    if (add >= 0) dnnl_post_ops_append_binary(po, dnnl_binary_add, &dst);
    if (g->nodes[last].relu_into) dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f);
    dnnl_primitive_attr_set_post_ops(a, po);
    dnnl_post_ops_destroy(po);
    dnnl_primitive_desc_t pd = NULL;
    dnnl_status_t st = dnnl_primitive_desc_create(&pd, &d, a, g->dnnl->eng, NULL);
    dnnl_primitive_attr_destroy(a);
    dnnl_memory_t w = NULL;
    if (st == dnnl_success) {
        w = dn_eval_weights(s, g, i, dn_pd_md(pd, dnnl_query_weights_md), fold_bias_bytes(G));
        st = dn_reorder(s, g, dn_shared(s, g, &wuser, DN_FOLD, 0), w, 0, &op->weval);
    }
    if (st == dnnl_success) st = dn_prim(s, g, pd, &op->fwd_eval);
    dnnl_primitive_desc_destroy(pd);
    DN_TRY(st);
    dn_arg(&op->fwd_eval, DNNL_ARG_SRC, dn_mem(s, g, &src, dn_node(g, nd->in[0])->data));
    dn_arg(&op->fwd_eval, DNNL_ARG_WEIGHTS, w);
    dn_arg(&op->fwd_eval, DNNL_ARG_BIAS, dn_eval_weights(s, g, i, &bias, 0));
    dn_arg(&op->fwd_eval, DNNL_ARG_DST, dn_mem(s, g, &dst, dn_node(g, last)->data));
    if (add >= 0)
        dn_arg(&op->fwd_eval, DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1,
               dn_mem(s, g, &dst, dn_node(g, other)->data));
    dn_node(g, bn)->folded = 1;
    if (add >= 0) dn_node(g, add)->folded = 1;
    op->fold = 1;
    return 0;
}

/* The folded weights (DN_FOLD, PyTorch's layout, on their way into the
 * evaluation weights) and bias (kept in front of them):
 * a = gamma / sqrt(running_var + eps), w' = a w, b' = beta + a (b - running_mean). */
static void fold_weights(BdGraph *g, int i) {
    const BdNode *nd = &g->nodes[i], *bn = &g->nodes[g->dnnl->nodes[i].consumer];
    const float *w = bd_param_ptr(g, nd->w_param), *cb = nd->bias ? bd_param_ptr(g, nd->b_param) : NULL;
    const float *gamma = bd_param_ptr(g, bn->w_param), *beta = bd_param_ptr(g, bn->b_param);
    const float *rm = bd_buffer_ptr(g, bn->rm_buf), *rv = bd_buffer_ptr(g, bn->rv_buf);
    float *fw = (float *)(void *)g->dnnl->bufs[DN_FOLD].p, *fb = (float *)(void *)g->dnnl->nodes[i].ewts.p;
    const size_t per = g->param_info[nd->w_param].len / (size_t)nd->shape.c;
    for (int o = 0; o < nd->shape.c; o++) {
        const float a = (float)(gamma[o] / sqrt((double)rv[o] + DN_BN_EPS));
        for (size_t j = 0; j < per; j++) fw[(size_t)o * per + j] = a * w[(size_t)o * per + j];
        fb[o] = beta[o] + a * ((cb ? cb[o] : 0.0f) - rm[o]);
    }
}

/* The own depthwise weight gradient's scratch in DN_TMP: a float
 * accumulator per sample and a double one over the batch, [K*K][C] each. */
static size_t dw_scratch(const ConvGeom *G) { return (size_t)G->k * G->k * G->cout * (sizeof(float) + sizeof(double)); }

/* dW [C, 1, K, K] += sum over the batch of the NHWC loop's per-sample sums
 * (float within a sample, double across), db += sum dy */
static void dw_weights_backward(BdGraph *g, int i) {
    const BdNode *nd = &g->nodes[i];
    const ConvGeom G = bd_conv_geom(g, nd);
    const size_t kk = (size_t)G.k * G.k, C = (size_t)G.cout, es = g->dnnl->dt_size;
    const size_t xs = G.hw * C * es, ys = G.P * C * es;
    double *total = (double *)(void *)g->dnnl->bufs[DN_TMP].p;
    float *acc = (float *)(void *)(total + kk * C);
    const char *x = dn_node(g, nd->in[0])->data, *dy = dn_node(g, i)->diff;
    memset(total, 0, kk * C * sizeof *total);
    for (int b = 0; b < g->n; b++) {
        memset(acc, 0, kk * C * sizeof *acc);
        if (g->dnnl->dt == dnnl_bf16)
            bd_nhwc_dw_dweights_bf16((const void *)(x + b * xs), (const void *)(dy + b * ys), G.h, G.w, G.cout, G.k,
                                     G.s, G.p, G.oh, G.ow, acc);
        else
            bd_nhwc_dw_dweights_f32((const void *)(x + b * xs), (const void *)(dy + b * ys), G.h, G.w, G.cout, G.k,
                                    G.s, G.p, G.oh, G.ow, acc);
        for (size_t t = 0; t < kk * C; t++) total[t] += acc[t];
    }
    float *dw = bd_pgrad_ptr(g, nd->w_param);
    for (size_t c = 0; c < C; c++)
        for (size_t t = 0; t < kk; t++) dw[c * kk + t] += (float)total[t * C + c];
    if (!nd->bias) return;
    float *db = bd_pgrad_ptr(g, nd->b_param);
    for (size_t c = 0; c < C; c++) {
        double s = 0;
        for (size_t p = 0; p < (size_t)g->n * G.P; p++)
            s += g->dnnl->dt == dnnl_bf16 ? (double)bd_bf16_value(((const uint16_t *)(const void *)dy)[p * C + c])
                                          : ((const float *)(const void *)dy)[p * C + c];
        db[c] += (float)s;
    }
}

/* 1x1 gradients as matrix products. With NHWC activations a 1x1, stride-1
 * convolution over the batch's P = nHW pixels is a matrix product, and so
 * are both its gradients, each read where it is:
 *   dW [Cout, Cin] += dY^T [Cout, P] X [P, Cin]     dX [P, Cin] = dY [P, Cout] W [Cout, Cin]
 * (W as the fp32 parameters hold it). oneDNN 2.6's fp32 jit_1x1 backward
 * kernels on NHWC are slow on inputs of 64 channels and more: over buffers
 * that come in cold, as they do in a training step, its backward weights
 * takes 4.3 ms on ResNet-50/4's 64 -> 16 channels over 32x32 maps at batch
 * 64, where oneDNN's matmul takes 1.2 ms. Measured on the models' 1x1
 * shapes (build/dnnl_peak --dw1x1, bench/README.md), from 64 input
 * channels up the matmul is 1.0-3.6x faster for the weight gradient on 15
 * of 20 and at most 16% slower on the others, and 1.01-2.75x faster for
 * the input gradient on all 20; below 64 it is slower for both (0.27-0.96x
 * of the convolution's speed). In bf16 the convolution's weight-gradient
 * kernel is not slow that way (the matmul is slower on most of the wide
 * maps), so bf16 keeps the convolutions. The choice reads the shapes
 * alone, so every rank sums alike. */
static int by_matmul(const BdGraph *g, const ConvGeom *G) {
    return g->dnnl->dt == dnnl_f32 && G->k == 1 && G->s == 1 && G->p == 0 && G->groups == 1 && G->cin >= 64;
}

/* e: C = A B, or C += A B with sum, over the given buffers; *cm (if cm) gets C's memory. */
static dnnl_status_t matmul_make(DnSet *s, BdGraph *g, const dnnl_memory_desc_t *a, void *pa,
                                 const dnnl_memory_desc_t *b, void *pb, const dnnl_memory_desc_t *c, void *pc, int sum,
                                 DnExec *e, dnnl_memory_t *cm) {
    dnnl_matmul_desc_t d;
    dnnl_status_t st = dnnl_matmul_desc_init(&d, a, b, NULL, c);
    if (st != dnnl_success) return st;
    dnnl_primitive_attr_t attr = dn_attr(0, sum);
    dnnl_primitive_desc_t pd;
    st = dnnl_primitive_desc_create(&pd, &d, attr, g->dnnl->eng, NULL);
    dnnl_primitive_attr_destroy(attr);
    if (st != dnnl_success) return st;
    st = dn_prim(s, g, pd, e);
    dnnl_primitive_desc_destroy(pd);
    if (st != dnnl_success) return st;
    const dnnl_memory_t cmem = dn_mem(s, g, c, pc);
    if (cm) *cm = cmem;
    dn_arg(e, DNNL_ARG_SRC, dn_mem(s, g, a, pa));
    dn_arg(e, DNNL_ARG_WEIGHTS, dn_mem(s, g, b, pb));
    dn_arg(e, DNNL_ARG_DST, cmem);
    return dnnl_success;
}

/* The two products of a by_matmul convolution: op->bwd (dX, into op->dx,
 * which dn_run_grad moves when the gradient is added to) and, without a
 * bias, op->bwd_w (dW, added into the parameters' gradient). */
static dnnl_status_t grads_by_matmul(DnSet *s, BdGraph *g, int i, const ConvGeom *G, DnOp *op) {
    const BdNode *nd = &g->nodes[i];
    const dnnl_dim_t P = (dnnl_dim_t)s->n * G->h * G->w, ci = G->cin, co = G->cout;
    char *x = dn_node(g, nd->in[0])->data, *dx = dn_node(g, nd->in[0])->diff, *dy = dn_node(g, i)->diff;
    float *w = bd_param_ptr(g, nd->w_param), *dw = bd_pgrad_ptr(g, nd->w_param);
    const dnnl_memory_desc_t dym = dn_md_mat(P, co, co, 1), dyt = dn_md_mat(co, P, 1, co), xm = dn_md_mat(P, ci, ci, 1),
                             wm = dn_md_mat(co, ci, ci, 1);
    dnnl_status_t st = matmul_make(s, g, &dym, dy, &wm, w, &xm, dx, 0, &op->bwd, &op->dx);
    if (st == dnnl_success && !nd->bias) st = matmul_make(s, g, &dyt, dy, &xm, x, &wm, dw, 1, &op->bwd_w, NULL);
    return st;
}

/* x [n, H, W, Cin], W, b -> y [n, OH, OW, Cout] (NHWC); forward, backward
 * weights and backward data, the last always (the input's need of a
 * gradient can change after finalize: bd_graph_set_input_grad). */
static int conv_make(BdGraph *g, int i, DnSet *s, BdError *err) {
    const BdNode *nd = &g->nodes[i];
    const ConvGeom G = bd_conv_geom(g, nd);
    const int n = s->n, in = nd->in[0];
    const dnnl_data_type_t dt = g->dnnl->dt;
    DnOp *op = &s->ops[i];
    const dnnl_memory_desc_t src = dn_md_act(g, in, n), dst = dn_md_act(g, i, n);
    const dnnl_memory_desc_t wany = weights_md(&G, dt, dnnl_format_tag_any), wuser = weights_md(&G, dnnl_f32, 0);
    const dnnl_memory_desc_t dwany = weights_md(&G, dnnl_f32, dnnl_format_tag_any), bias = dn_md_x(G.cout);
    const dnnl_dims_t strides = {G.s, G.s}, pad = {G.p, G.p};
    float *w = bd_param_ptr(g, nd->w_param), *dw = bd_pgrad_ptr(g, nd->w_param);

    dnnl_convolution_desc_t fd, bd, wd;
    DN_TRY(dnnl_convolution_forward_desc_init(&fd, dnnl_forward_training, dnnl_convolution_direct, &src, &wany,
                                              nd->bias ? &bias : NULL, &dst, strides, pad, pad));
    dnnl_primitive_attr_t attr = dn_attr(nd->relu_into != 0, 0), plain = dn_attr(0, 0);
    dnnl_primitive_desc_t fpd = NULL, bpd = NULL, wpd = NULL, epd = NULL, ebpd = NULL;
    dnnl_status_t st = dnnl_primitive_desc_create(&fpd, &fd, attr, g->dnnl->eng, NULL);
    const int mm = by_matmul(g, &G); /* the gradients as matrix products */
    if (st == dnnl_success && !mm) {
        dnnl_convolution_backward_data_desc_init(&bd, dnnl_convolution_direct, &src, &wany, &dst, strides, pad, pad);
        st = dnnl_primitive_desc_create(&bpd, &bd, plain, g->dnnl->eng, fpd);
    }
    if (st == dnnl_success && !G.depthwise && !(mm && !nd->bias)) {
        dnnl_convolution_backward_weights_desc_init(&wd, dnnl_convolution_direct, &src, &dwany,
                                                    nd->bias ? &bias : NULL, &dst, strides, pad, pad);
        st = dnnl_primitive_desc_create(&wpd, &wd, plain, g->dnnl->eng, fpd);
    }
    if (G.depthwise) dn_need(g, DN_TMP, dw_scratch(&G));
    if (st == dnnl_success && nd->relu_into) {
        /* the fused ReLU's backward from its output, in place */
        dnnl_eltwise_desc_t ef, eb;
        dnnl_eltwise_forward_desc_init(&ef, dnnl_forward_training, dnnl_eltwise_relu_use_dst_for_bwd, &dst, 0, 0);
        st = dnnl_primitive_desc_create(&epd, &ef, plain, g->dnnl->eng, NULL);
        if (st == dnnl_success) {
            dnnl_eltwise_backward_desc_init(&eb, dnnl_eltwise_relu_use_dst_for_bwd, &dst, &dst, 0, 0);
            st = dnnl_primitive_desc_create(&ebpd, &eb, plain, g->dnnl->eng, epd);
        }
    }
    dnnl_primitive_attr_destroy(attr);
    dnnl_primitive_attr_destroy(plain);

    dnnl_memory_t x = dn_mem(s, g, &src, dn_node(g, in)->data), y = dn_mem(s, g, &dst, dn_node(g, i)->data);
    dnnl_memory_t dy = dn_mem(s, g, &dst, dn_node(g, i)->diff), wf = NULL, wb = NULL, dwp = NULL;
    if (st == dnnl_success) st = dn_weights_in(s, g, &wuser, w, dn_pd_md(fpd, dnnl_query_weights_md), &op->wfwd, &wf);
    if (st == dnnl_success && bpd)
        st = dn_weights_in(s, g, &wuser, w, dn_pd_md(bpd, dnnl_query_weights_md), &op->wbwd, &wb);
    if (st == dnnl_success && wpd)
        st = dn_weights_out(s, g, &wuser, dw, dn_pd_md(wpd, dnnl_query_diff_weights_md), &op->dw, &dwp);
    if (st == dnnl_success) st = dn_prim(s, g, fpd, &op->fwd);
    if (st == dnnl_success && bpd) st = dn_prim(s, g, bpd, &op->bwd);
    if (st == dnnl_success && wpd) st = dn_prim(s, g, wpd, &op->bwd_w);
    if (st == dnnl_success && mm) st = grads_by_matmul(s, g, i, &G, op);
    if (st == dnnl_success && ebpd) st = dn_prim(s, g, ebpd, &op->pre);
    dnnl_primitive_desc_destroy(fpd);
    dnnl_primitive_desc_destroy(bpd);
    dnnl_primitive_desc_destroy(wpd);
    dnnl_primitive_desc_destroy(epd);
    dnnl_primitive_desc_destroy(ebpd);
    DN_TRY(st);

    dn_arg(&op->fwd, DNNL_ARG_SRC, x);
    dn_arg(&op->fwd, DNNL_ARG_WEIGHTS, wf);
    dn_arg(&op->fwd, DNNL_ARG_DST, y);
    if (!mm) { /* (the matmuls have their arguments) */
        op->dx = dn_mem(s, g, &src, dn_node(g, in)->diff);
        dn_arg(&op->bwd, DNNL_ARG_DIFF_DST, dy);
        dn_arg(&op->bwd, DNNL_ARG_WEIGHTS, wb);
        dn_arg(&op->bwd, DNNL_ARG_DIFF_SRC, op->dx);
    }
    if (op->bwd_w.prim && !(mm && !nd->bias)) {
        dn_arg(&op->bwd_w, DNNL_ARG_SRC, x);
        dn_arg(&op->bwd_w, DNNL_ARG_DIFF_DST, dy);
        dn_arg(&op->bwd_w, DNNL_ARG_DIFF_WEIGHTS, dwp);
        if (nd->bias) dn_arg(&op->bwd_w, DNNL_ARG_DIFF_BIAS, dn_shared(s, g, &bias, DN_PTMP, 0));
    }
    if (nd->bias) dn_arg(&op->fwd, DNNL_ARG_BIAS, dn_mem(s, g, &bias, bd_param_ptr(g, nd->b_param)));
    if (op->pre.prim) {
        dn_arg(&op->pre, DNNL_ARG_DST, y);
        dn_arg(&op->pre, DNNL_ARG_DIFF_DST, dy);
        dn_arg(&op->pre, DNNL_ARG_DIFF_SRC, dy);
    }
    if (fold_make(g, i, s, &G, err) < 0) return -1;
    if (!op->fold) DN_TRY(dn_eval_plain(s, g, i, &wuser, w));
    return 0;
}

dnnl_status_t dn_eval_plain(DnSet *s, BdGraph *g, int i, const dnnl_memory_desc_t *user_md, float *params) {
    DnOp *op = &s->ops[i];
    const_dnnl_primitive_desc_t pd;
    dnnl_status_t st = dnnl_primitive_get_primitive_desc(op->fwd.prim, &pd);
    if (st != dnnl_success) return st;
    dnnl_memory_t ev = dn_eval_weights(s, g, i, dn_pd_md(pd, dnnl_query_weights_md), 0);
    st = dn_reorder(s, g, dn_mem(s, g, user_md, params), ev, 0, &op->weval);
    if (st == dnnl_success) st = dn_prim(s, g, pd, &op->fwd_eval);
    if (st != dnnl_success) return st;
    for (int k = 0; k < op->fwd.nargs; k++) {
        const int arg = op->fwd.args[k].arg;
        if (arg != DNNL_ARG_SCRATCHPAD) dn_arg(&op->fwd_eval, arg, arg == DNNL_ARG_WEIGHTS ? ev : op->fwd.args[k].memory);
    }
    return dnnl_success;
}

/* The layout fwd_eval reads the evaluation weights in. */
static const dnnl_memory_desc_t *eval_weights_md(const DnOp *op) {
    const dnnl_memory_desc_t *md = NULL;
    for (int k = 0; k < op->fwd_eval.nargs; k++)
        if (op->fwd_eval.args[k].arg == DNNL_ARG_WEIGHTS) dnnl_memory_get_memory_desc(op->fwd_eval.args[k].memory, &md);
    return md;
}

/* Convolutions and linear layers (dnnl_linear.c) run the same way.
 * Training: the weights in the primitive's layout (DN_WEIGHTS), then
 * y = conv(x, W) + b [, ReLU]. Evaluation: over the node's kept evaluation
 * weights, made again only when the parameters changed (or a primitive
 * that wants another layout runs); a folding convolution computes its BN
 * [, add] [, ReLU] too. */
void dn_weighted_forward(BdGraph *g, int i) {
    DnOp *op = dn_op(g, i);
    if (g->mode != BD_TRAIN) {
        DnNode *dn = dn_node(g, i);
        const dnnl_memory_desc_t *md = eval_weights_md(op);
        if (!dn->ewts_made || dn->ewts_version != g->params_version || !dnnl_memory_desc_equal(&dn->ewts_md, md)) {
            if (op->fold) fold_weights(g, i);
            dn_run(g, &op->weval);
            dn->ewts_md = *md;
            dn->ewts_made = 1;
            dn->ewts_version = g->params_version;
        }
        dn_run(g, &op->fwd_eval);
        return;
    }
    dn_run(g, &op->wfwd);
    dn_run(g, &op->fwd);
}

/* dy -> [the fused ReLU's mask, in place] -> dW += ..., db += ..., dx (+)= ... */
void dn_weighted_backward(BdGraph *g, int i) {
    const BdNode *nd = &g->nodes[i];
    DnOp *op = dn_op(g, i);
    if (nd->relu_into) dn_run(g, &op->pre);
    if (!op->bwd_w.prim && nd->op == BD_OP_CONV) {
        dw_weights_backward(g, i); /* depthwise */
    } else {
        dn_run(g, &op->bwd_w);
        dn_run(g, &op->dw);
        if (nd->bias)
            bd_vec_put(bd_pgrad_ptr(g, nd->b_param), (const float *)(void *)g->dnnl->bufs[DN_PTMP].p,
                       (size_t)nd->shape.c, 1);
    }
    if (!g->nodes[nd->in[0]].needs_grad) return;
    dn_run(g, &op->wbwd);
    dn_run_grad(g, i, &op->bwd);
}

const DnImpl dn_conv_impl = {NULL, conv_make, dn_weighted_forward, dn_weighted_backward};

/* Each layer's evaluation weights in the activation type (and a folding
 * convolution's bias); the largest weight, in fp32, once in DN_WEIGHTS
 * (the training weights and their gradient in the primitive's layout) and
 * once in DN_FOLD (a folding convolution's). The layouts' padding to
 * blocks, the biases' and batch norms' temporaries (DN_PTMP) and the
 * primitives' scratchpads (DN_SCRATCH) are left out: measured on the
 * presets at batch 128, they are 0.1-3% of what the graph holds. */
size_t dn_weights_estimate(const BdGraph *g) {
    size_t ewts = 0, biggest = 0, fold = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const BdNode *nd = &g->nodes[i];
        if (nd->op != BD_OP_CONV && nd->op != BD_OP_LINEAR) continue;
        const size_t w = g->param_info[nd->w_param].len;
        ewts += (w * g->dnnl->dt_size + 63) & ~(size_t)63;
        if (w * sizeof(float) > biggest) biggest = w * sizeof(float);
        int bn = -1, add, other;
        if (nd->op == BD_OP_CONV) dn_fold_chain(g, i, &bn, &add, &other);
        if (bn < 0) continue;
        ewts += fold_bias_bytes(&(ConvGeom){.cout = nd->shape.c});
        if (w * sizeof(float) > fold) fold = w * sizeof(float);
    }
    return ewts + biggest + fold;
}
