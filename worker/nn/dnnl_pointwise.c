/* The oneDNN engine's light ops on NHWC activations of either type: the
 * input (a reorder from the caller's CNHW fp32), ReLU (oneDNN eltwise),
 * add (oneDNN binary, a fused ReLU as its post-op), concat and shift
 * (reorders between sub-tensors), and the engine's own loops for dropout,
 * the manifold-mixup point and identity. The references beside them are
 * op_act.c and op_shape.c. */
#include <string.h>

#include "dnnl_impl.h"
#include "rng.h"

static int bf16(const BdGraph *g) { return g->dnnl->dt == dnnl_bf16; }
static size_t numel(const BdGraph *g, int i) { return bd_numel(g->nodes[i].shape, g->n); }

/* ---- the input: x [C, n, H, W] fp32 (the caller's) -> [n, H, W, C] ---------------- */

static int input_make(BdGraph *g, int i, DnSet *s, BdError *err) {
    DnOp *op = &s->ops[i];
    const dnnl_memory_desc_t canon = dn_md_canon(g, i, s->n, s->total), act = dn_md_act(g, i, s->n);
    op->user = dn_mem(s, g, &canon, NULL);
    DN_TRY(dn_reorder(s, g, op->user, dn_mem(s, g, &act, dn_node(g, i)->data), 0, &op->fwd));
    return 0;
}

static void input_forward(BdGraph *g, int i) {
    DnOp *op = dn_op(g, i);
    const BdShape sh = g->nodes[i].shape;
    dnnl_memory_set_data_handle(op->user, (void *)(g->x + (size_t)g->dnnl->at * (size_t)(sh.h * sh.w)));
    dn_run(g, &op->fwd);
}

const DnImpl dn_input_impl = {NULL, input_make, input_forward, NULL};

/* ---- ReLU ---------------------------------------------------------------------------- */

/* A fused ReLU is its producer's (conv, BN, add): nothing of its own. */
static int relu_make(BdGraph *g, int i, DnSet *s, BdError *err) {
    const BdNode *nd = &g->nodes[i];
    if (nd->fused) return 0;
    DnOp *op = &s->ops[i];
    const dnnl_memory_desc_t md = dn_md_act(g, i, s->n);
    dnnl_eltwise_desc_t fd, bd;
    DN_TRY(dnnl_eltwise_forward_desc_init(&fd, dnnl_forward_training, dnnl_eltwise_relu_use_dst_for_bwd, &md, 0, 0));
    DN_TRY(dnnl_eltwise_backward_desc_init(&bd, dnnl_eltwise_relu_use_dst_for_bwd, &md, &md, 0, 0));
    dnnl_primitive_attr_t a = dn_attr(0, 0);
    dnnl_primitive_desc_t fpd = NULL, bpd = NULL;
    dnnl_status_t st = dnnl_primitive_desc_create(&fpd, &fd, a, g->dnnl->eng, NULL);
    if (st == dnnl_success) st = dnnl_primitive_desc_create(&bpd, &bd, a, g->dnnl->eng, fpd);
    dnnl_primitive_attr_destroy(a);
    if (st == dnnl_success) st = dn_prim(s, g, fpd, &op->fwd);
    if (st == dnnl_success) st = dn_prim(s, g, bpd, &op->bwd);
    dnnl_primitive_desc_destroy(fpd);
    dnnl_primitive_desc_destroy(bpd);
    DN_TRY(st);
    dnnl_memory_t y = dn_mem(s, g, &md, dn_node(g, i)->data);
    op->dx = dn_mem(s, g, &md, dn_node(g, nd->in[0])->diff);
    dn_arg(&op->fwd, DNNL_ARG_SRC, dn_mem(s, g, &md, dn_node(g, nd->in[0])->data));
    dn_arg(&op->fwd, DNNL_ARG_DST, y);
    dn_arg(&op->bwd, DNNL_ARG_DST, y);
    dn_arg(&op->bwd, DNNL_ARG_DIFF_DST, dn_mem(s, g, &md, dn_node(g, i)->diff));
    dn_arg(&op->bwd, DNNL_ARG_DIFF_SRC, op->dx);
    return 0;
}

/* y = max(x, 0) */
static void relu_forward(BdGraph *g, int i) {
    if (!g->nodes[i].fused) dn_run(g, &dn_op(g, i)->fwd);
}

/* dx (+)= y > 0 ? dy : 0; a fused ReLU's producer masks its gradient itself */
static void relu_backward(BdGraph *g, int i) {
    const BdNode *nd = &g->nodes[i];
    if (nd->fused) {
        g->nodes[nd->in[0]].grad_live = 1; /* its gradient is this node's, masked */
        return;
    }
    dn_run_grad(g, i, &dn_op(g, i)->bwd);
}

const DnImpl dn_relu_impl = {NULL, relu_make, relu_forward, relu_backward};

/* ---- add ------------------------------------------------------------------------------ */

static int add_make(BdGraph *g, int i, DnSet *s, BdError *err) {
    const BdNode *nd = &g->nodes[i];
    DnOp *op = &s->ops[i];
    const dnnl_memory_desc_t md = dn_md_act(g, i, s->n);
    dnnl_binary_desc_t d;
    DN_TRY(dnnl_binary_desc_init(&d, dnnl_binary_add, &md, &md, &md));
    dnnl_primitive_attr_t a = dn_attr(nd->relu_into != 0, 0);
    dnnl_primitive_desc_t pd = NULL;
    dnnl_status_t st = dnnl_primitive_desc_create(&pd, &d, a, g->dnnl->eng, NULL);
    dnnl_primitive_attr_destroy(a);
    if (st == dnnl_success) st = dn_prim(s, g, pd, &op->fwd);
    dnnl_primitive_desc_destroy(pd);
    DN_TRY(st);
    dn_arg(&op->fwd, DNNL_ARG_SRC_0, dn_mem(s, g, &md, dn_node(g, nd->in[0])->data));
    dn_arg(&op->fwd, DNNL_ARG_SRC_1, dn_mem(s, g, &md, dn_node(g, nd->in[1])->data));
    dn_arg(&op->fwd, DNNL_ARG_DST, dn_mem(s, g, &md, dn_node(g, i)->data));
    return 0;
}

/* a, b [n, H, W, C] -> y = a + b (fused: max(a + b, 0), into the ReLU's
 * output); in evaluation a convolution may have done it (dnnl_conv.c) */
static void add_forward(BdGraph *g, int i) {
    if (g->mode != BD_TRAIN && dn_node(g, i)->folded) return;
    dn_run(g, &dn_op(g, i)->fwd);
}

/* da (+)= dy, db (+)= dy (fused: dy masked by the ReLU's output, in place);
 * an input that shares this node's gradient buffer (grad_of) has it already */
static void add_backward(BdGraph *g, int i) {
    const BdNode *nd = &g->nodes[i];
    const DnNode *dn = dn_node(g, i);
    const size_t len = numel(g, i);
    if (nd->relu_into) {
        if (bf16(g)) bd_bf16_relu_mask((void *)dn->diff, (const void *)dn->data, len);
        else bd_vec_relu_mask((void *)dn->diff, (const void *)dn->data, len);
    }
    for (int k = 0; k < 2; k++) {
        BdNode *x = &g->nodes[nd->in[k]];
        if (x->grad_of == i) {
            x->grad_live = x->needs_grad;
            continue;
        }
        int acc = 0;
        char *dx = dn_grad_into(g, i, k, &acc);
        if (dx) dn_put(g, dx, dn->diff, len, acc);
    }
}

const DnImpl dn_add_impl = {NULL, add_make, add_forward, add_backward};

/* ---- concat: input k is channels [c_k, c_k + C_k) of every pixel ------------------------ */

static int concat_make(BdGraph *g, int i, DnSet *s, BdError *err) {
    const BdNode *nd = &g->nodes[i];
    DnOp *op = &s->ops[i];
    const dnnl_memory_desc_t out = dn_md_act(g, i, s->n);
    op->part = dn_block(s, 3 * (size_t)nd->n_in * sizeof *op->part);
    int c0 = 0;
    for (int k = 0; k < nd->n_in; k++) {
        const int in = nd->in[k];
        const BdShape sh = g->nodes[in].shape;
        const dnnl_memory_desc_t md = dn_md_act(g, in, s->n);
        const dnnl_dims_t dims = {s->n, sh.c, sh.h, sh.w}, offs = {0, c0, 0, 0};
        dnnl_memory_desc_t sub;
        DN_TRY(dnnl_memory_desc_init_submemory(&sub, &out, dims, offs));
        dnnl_memory_t dy = dn_mem(s, g, &sub, dn_node(g, i)->diff), dx = dn_mem(s, g, &md, dn_node(g, in)->diff);
        DN_TRY(dn_reorder(s, g, dn_mem(s, g, &md, dn_node(g, in)->data), dn_mem(s, g, &sub, dn_node(g, i)->data), 0,
                          &op->part[3 * k]));
        DN_TRY(dn_reorder(s, g, dy, dx, 0, &op->part[3 * k + 1]));
        DN_TRY(dn_reorder(s, g, dy, dx, 1, &op->part[3 * k + 2]));
        c0 += sh.c;
    }
    return 0;
}

static void concat_forward(BdGraph *g, int i) {
    const DnOp *op = dn_op(g, i);
    for (int k = 0; k < g->nodes[i].n_in; k++) dn_run(g, &op->part[3 * k]);
}

static void concat_backward(BdGraph *g, int i) {
    const DnOp *op = dn_op(g, i);
    for (int k = 0; k < g->nodes[i].n_in; k++) {
        int acc = 0;
        if (dn_grad_into(g, i, k, &acc)) dn_run(g, &op->part[3 * k + 1 + acc]);
    }
}

const DnImpl dn_concat_impl = {NULL, concat_make, concat_forward, concat_backward};

/* ---- shift: y[h][w] = x[h+1][w+1], 0 on the last row and column --------------------------
 * The interior is a reorder between sub-tensors, the border zeros each time
 * (the buffer is shared with other nodes' outputs: plan.c). */

static int shift_make(BdGraph *g, int i, DnSet *s, BdError *err) {
    const BdShape sh = g->nodes[i].shape;
    if (sh.h < 2 || sh.w < 2) return 0; /* all border */
    DnOp *op = &s->ops[i];
    const int in = g->nodes[i].in[0];
    const dnnl_memory_desc_t md = dn_md_act(g, i, s->n);
    const dnnl_dims_t dims = {s->n, sh.c, sh.h - 1, sh.w - 1}, from = {0, 0, 1, 1}, to = {0, 0, 0, 0};
    dnnl_memory_desc_t xs, ys;
    DN_TRY(dnnl_memory_desc_init_submemory(&xs, &md, dims, from));
    DN_TRY(dnnl_memory_desc_init_submemory(&ys, &md, dims, to));
    dnnl_memory_t dy = dn_mem(s, g, &ys, dn_node(g, i)->diff), dx = dn_mem(s, g, &xs, dn_node(g, in)->diff);
    DN_TRY(dn_reorder(s, g, dn_mem(s, g, &xs, dn_node(g, in)->data), dn_mem(s, g, &ys, dn_node(g, i)->data), 0,
                      &op->fwd));
    DN_TRY(dn_reorder(s, g, dy, dx, 0, &op->bwd));
    DN_TRY(dn_reorder(s, g, dy, dx, 1, &op->bwd_acc));
    return 0;
}

static void shift_forward(BdGraph *g, int i) {
    const BdShape sh = g->nodes[i].shape;
    const size_t px = (size_t)sh.c * g->dnnl->dt_size, row = px * (size_t)sh.w;
    char *y = dn_node(g, i)->data;
    for (int b = 0; b < g->n; b++) {
        char *yb = y + (size_t)b * sh.h * row;
        for (int h = 0; h + 1 < sh.h; h++) memset(yb + (size_t)h * row + row - px, 0, px);
        memset(yb + (size_t)(sh.h - 1) * row, 0, row);
    }
    dn_run(g, &dn_op(g, i)->fwd);
}

/* dx[h+1][w+1] (+)= dy[h][w]; a fresh dx is zero elsewhere */
static void shift_backward(BdGraph *g, int i) {
    int acc = 0;
    char *dx = dn_grad_into(g, i, 0, &acc);
    if (!dx) return;
    if (!acc) memset(dx, 0, numel(g, i) * g->dnnl->dt_size);
    dn_run(g, acc ? &dn_op(g, i)->bwd_acc : &dn_op(g, i)->bwd);
}

const DnImpl dn_shift_impl = {NULL, shift_make, shift_forward, shift_backward};

/* ---- identity ------------------------------------------------------------------------------ */

static void identity_forward(BdGraph *g, int i) {
    memcpy(dn_node(g, i)->data, dn_node(g, g->nodes[i].in[0])->data, numel(g, i) * g->dnnl->dt_size);
}

static void identity_backward(BdGraph *g, int i) {
    int acc = 0;
    char *dx = dn_grad_into(g, i, 0, &acc);
    if (dx) dn_put(g, dx, dn_node(g, i)->diff, numel(g, i), acc);
}

const DnImpl dn_identity_impl = {NULL, NULL, identity_forward, identity_backward};

/* ---- manifold mixup: y[b] = lambda x[b] + (1 - lambda) x[perm[b]], a sample a block ------------
 * Not mixing, the output is the input's buffer (dnnl_impl.h, mixing points). */

static void mix_forward(BdGraph *g, int i) {
    BdNode *nd = &g->nodes[i];
    nd->mixed = g->mode == BD_TRAIN && g->mix_node >= 0 && g->nodes[g->mix_node].mix_head == nd->mix_head;
    dn_mix_alias(g, i, nd->mixed); /* not mixing: its output is its input's */
    if (!nd->mixed) return;
    const char *x = dn_node(g, nd->in[0])->data;
    char *y = dn_node(g, i)->data;
    const size_t per = bd_numel(nd->shape, 1), bytes = per * g->dnnl->dt_size;
    const float lam = nd->p = g->mix_lambda; /* backward uses the lambda this forward used */
    for (int b = 0; b < g->n; b++) {
        const void *xb = x + (size_t)b * bytes, *xp = x + (size_t)g->mix_perm[b] * bytes;
        void *yb = y + (size_t)b * bytes;
        if (bf16(g)) bd_bf16_lerp(yb, xb, xp, lam, 1.0f - lam, per);
        else bd_vec_lerp(yb, xb, xp, lam, 1.0f - lam, per);
    }
}

/* dx[b] += lambda dy[b]; dx[perm[b]] += (1 - lambda) dy[b] */
static void mix_backward(BdGraph *g, int i) {
    const BdNode *nd = &g->nodes[i];
    if (!nd->mixed) {
        identity_backward(g, i);
        return;
    }
    int acc = 0;
    char *dx = dn_grad_into(g, i, 0, &acc);
    if (!dx) return;
    const size_t per = bd_numel(nd->shape, 1), bytes = per * g->dnnl->dt_size;
    if (!acc) memset(dx, 0, (size_t)g->n * bytes);
    const char *dy = dn_node(g, i)->diff;
    for (int b = 0; b < g->n; b++) {
        const float w[2] = {nd->p, 1.0f - nd->p};
        const int to[2] = {b, g->mix_perm[b]};
        for (int k = 0; k < 2; k++) {
            void *d = dx + (size_t)to[k] * bytes;
            const void *src = dy + (size_t)b * bytes;
            if (bf16(g)) bd_bf16_put_scaled(d, src, w[k], per, 1);
            else bd_vec_put_scaled(d, src, w[k], per, 1);
        }
    }
}

const DnImpl dn_mix_impl = {NULL, NULL, mix_forward, mix_backward};

/* ---- dropout: the reference's mask (drawn in CNHW order), kept in NHWC order ---------------------- */

static size_t dropout_aux_bytes(BdGraph *g, int i) { return bd_numel(g->nodes[i].shape, g->max_batch) * sizeof(float); }

static int dropout_active(const BdGraph *g, const BdNode *nd) { return g->mode == BD_TRAIN && nd->p != 0.0f; }

/* training: y = x * mask, mask 0 with probability p, else 1/(1-p); evaluation: y = x */
static void dropout_forward(BdGraph *g, int i) {
    const BdNode *nd = &g->nodes[i];
    if (!dropout_active(g, nd)) {
        identity_forward(g, i);
        return;
    }
    const BdShape sh = nd->shape;
    const int n = g->n;
    float *m = (float *)(void *)dn_node(g, i)->aux;
    BdRng r;
    bd_rng_stream(&r, g->step_seed, "dropout", (uint64_t)i);
    const float keep = 1.0f / (1.0f - nd->p);
    for (int c = 0; c < sh.c; c++)
        for (int b = 0; b < n; b++)
            for (int h = 0; h < sh.h; h++)
                for (int w = 0; w < sh.w; w++)
                    m[(((size_t)b * sh.h + h) * sh.w + w) * sh.c + c] = bd_rng_uniform(&r) < nd->p ? 0.0f : keep;
    const void *x = dn_node(g, nd->in[0])->data;
    void *y = dn_node(g, i)->data;
    if (bf16(g)) bd_bf16_mul(y, x, m, numel(g, i), 0);
    else bd_vec_mul(y, x, m, numel(g, i), 0);
}

static void dropout_backward(BdGraph *g, int i) {
    const BdNode *nd = &g->nodes[i];
    if (!dropout_active(g, nd)) {
        identity_backward(g, i);
        return;
    }
    int acc = 0;
    char *dx = dn_grad_into(g, i, 0, &acc);
    if (!dx) return;
    const float *m = (const float *)(void *)dn_node(g, i)->aux;
    if (bf16(g)) bd_bf16_mul((void *)dx, (const void *)dn_node(g, i)->diff, m, numel(g, i), acc);
    else bd_vec_mul((void *)dx, (const void *)dn_node(g, i)->diff, m, numel(g, i), acc);
}

const DnImpl dn_dropout_impl = {dropout_aux_bytes, NULL, dropout_forward, dropout_backward};
