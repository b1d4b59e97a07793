/* The oneDNN engine (dnnl_impl.h says how it lays out memory): its plan,
 * its batch-size sets of primitives, running forward and backward, and the
 * canonical views the rest of the worker reads and writes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnnl_impl.h"

static const DnImpl *const impls[] = {
    [BD_OP_INPUT] = &dn_input_impl,     [BD_OP_CONV] = &dn_conv_impl,       [BD_OP_BN] = &dn_bn_impl,
    [BD_OP_RELU] = &dn_relu_impl,       [BD_OP_MAXPOOL] = &dn_pool_impl,    [BD_OP_AVGPOOL] = &dn_pool_impl,
    [BD_OP_GAP] = &dn_gap_impl,         [BD_OP_FLATTEN] = &dn_flatten_impl, [BD_OP_LINEAR] = &dn_linear_impl,
    [BD_OP_ADD] = &dn_add_impl,         [BD_OP_CONCAT] = &dn_concat_impl,   [BD_OP_DROPOUT] = &dn_dropout_impl,
    [BD_OP_SHIFT] = &dn_shift_impl,     [BD_OP_MIX] = &dn_mix_impl,         [BD_OP_IDENTITY] = &dn_identity_impl,
};

static void die(const char *fmt, const char *what) {
    fprintf(stderr, "bdsweep: engine: ");
    fprintf(stderr, fmt, what);
    fprintf(stderr, "\n");
    abort();
}

static size_t align64(size_t b) { return (b + 63) & ~(size_t)63; }

static char *alloc_bytes(size_t n) {
    void *p = NULL;
    if (posix_memalign(&p, 64, n ? n : 64)) bd_die_out_of_memory(n); /* a job over its memory limit */
    return p;
}

/* ---- batch-size sets -------------------------------------------------------------- */

static void set_free(DnSet *s) {
    for (int k = 0; k < s->n_prims; k++) dnnl_primitive_destroy(s->prims[k]);
    for (int k = 0; k < s->n_mems; k++) dnnl_memory_destroy(s->mems[k]);
    for (int k = 0; k < s->n_blocks; k++) free(s->blocks[k]);
    free(s->prims);
    free(s->mems);
    free(s->shared);
    free(s->aliases);
    free(s->blocks);
    free(s->ops);
    free(s);
}

static void grow(DnBuf *b) {
    if (b->need <= b->bytes) return;
    free(b->p);
    b->bytes = b->need;
    b->p = alloc_bytes(b->bytes);
    memset(b->p, 0, b->bytes);
}

/* Grows the shared buffers (and every node's evaluation weights) to what
 * every set needs and points every memory object over them at them. */
static void bind(BdGraph *g) {
    BdDnnl *d = g->dnnl;
    for (int b = 0; b < DN_N_BUFS; b++) grow(&d->bufs[b]);
    for (int i = 0; i < g->n_nodes; i++) {
        const size_t had = d->nodes[i].ewts.bytes;
        grow(&d->nodes[i].ewts);
        if (d->nodes[i].ewts.bytes != had) d->nodes[i].ewts_made = 0; /* moved: make them again */
    }
    for (DnSet *s = d->sets; s; s = s->next)
        for (int k = 0; k < s->n_shared; k++)
            dnnl_memory_set_data_handle(s->shared[k].mem, s->shared[k].buf->p + s->shared[k].off);
}

static DnSet *find_set(BdDnnl *d, int n, int eval, int total) {
    for (DnSet *s = d->sets; s; s = s->next)
        if (s->n == n && s->eval == eval && s->total == total) return s;
    return NULL;
}

/* Every node's buffers where layout e (0 training, 1 evaluation) has them;
 * a mixing node's output starts as its own buffer (dn_mix_alias moves it). */
static void use_layout(BdGraph *g, int e) {
    for (int i = 0; i < g->n_nodes; i++) {
        DnNode *dn = &g->dnnl->nodes[i];
        dn->data = dn->own ? dn->own : dn->at[e];
        dn->aux = dn->aux_at[e];
    }
}

/* The canonical views of node i: forward copy, gradient in (written or
 * added), and back out (the input's gradient after backward). */
static int make_views(BdGraph *g, int i, DnSet *s, BdError *err) {
    DnOp *op = &s->ops[i];
    const BdNode *nd = &g->nodes[i];
    DnNode *dn = dn_node(g, i);
    const dnnl_memory_desc_t act = dn_md_act(g, i, s->n), canon = dn_md_canon(g, i, s->n, s->total);
    dnnl_memory_t data = dn_mem(s, g, &act, dn->data), diff = dn_mem(s, g, &act, dn->diff);
    dnnl_memory_t out = dn_mem(s, g, &canon, nd->out), grad = dn_mem(s, g, &canon, nd->grad);
    op->view_dst = out;
    DN_TRY(dn_reorder(s, g, data, out, 0, &op->view_out));
    DN_TRY(dn_reorder(s, g, grad, diff, 0, &op->view_in));
    DN_TRY(dn_reorder(s, g, grad, diff, 1, &op->view_in_acc));
    if (i == 0) DN_TRY(dn_reorder(s, g, diff, grad, 0, &op->view_back));
    return 0;
}

/* The set of batch size n over layout eval, n samples of tensors of total
 * (a chunk of an evaluation when less); the current set stays current
 * (its layout too). Memory objects over a mixing node's output are made
 * over its own buffer (dn_mem records them) and follow it from the next
 * forward on. */
static int make_set(BdGraph *g, int n, int eval, int total, BdError *err) {
    BdDnnl *d = g->dnnl;
    use_layout(g, eval);
    DnSet *s = bd_xcalloc(1, sizeof *s);
    s->n = n;
    s->total = total;
    s->eval = eval;
    s->ops = bd_xcalloc((size_t)g->n_nodes, sizeof *s->ops);
    DnSet *was = d->cur;
    d->cur = s; /* dn_op and error messages refer to the set being made */
    for (int i = 0; i < g->n_nodes; i++) {
        const DnImpl *im = impls[g->nodes[i].op];
        if ((im->make && im->make(g, i, s, err) < 0) || (dn_node(g, i)->view && make_views(g, i, s, err) < 0)) {
            d->cur = was;
            if (was) use_layout(g, was->eval);
            set_free(s);
            return -1;
        }
    }
    s->next = d->sets;
    d->sets = s;
    d->cur = was ? was : s;
    use_layout(g, d->cur->eval);
    bind(g);
    return 0;
}

/* The set a forward of `total` samples runs samples at..at+n-1 with
 * (made on first use). */
static int get_set(BdGraph *g, int n, int eval, int total, DnSet **s, BdError *err) {
    *s = find_set(g->dnnl, n, eval, total);
    if (!*s && make_set(g, n, eval, total, err) == 0) *s = find_set(g->dnnl, n, eval, total);
    return *s ? 0 : -1;
}

/* The samples of each chunk of an evaluation of n but the last (which has
 * what is left): as few chunks as eval_chunk allows, as even as can be
 * (64 in chunks of at most 9: eight of 8, not seven of 9 and one of 1). */
static int chunk_of(const BdDnnl *d, int n) {
    const int k = (n + d->eval_chunk - 1) / d->eval_chunk;
    return (n + k - 1) / k;
}

int bd_dnnl_prepare(BdGraph *g, int n, BdError *err) {
    const int c = chunk_of(g->dnnl, n);
    DnSet *s;
    /* training, and an evaluation's chunks: all of one size but the last */
    if (get_set(g, n, 0, n, &s, err) < 0 || get_set(g, c, 1, n, &s, err) < 0) return -1;
    return n % c ? get_set(g, n % c, 1, n, &s, err) : 0;
}

/* ---- the plan ------------------------------------------------------------------------ */

/* Who reads each node, when exactly one node does (DnNode.consumer). */
static void find_consumers(BdGraph *g) {
    DnNode *d = g->dnnl->nodes;
    for (int i = 0; i < g->n_nodes; i++) d[i].consumer = -2; /* none yet */
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; k < g->nodes[i].n_in; k++) {
            DnNode *p = &d[g->nodes[i].in[k]];
            p->consumer = p->consumer == -2 ? i : -1;
        }
    for (int i = 0; i < g->n_nodes; i++)
        if (d[i].consumer == -2) d[i].consumer = -1;
}

/* The arena's two layouts (plan.c's of every output, gradient and op
 * scratch): training (L) and evaluation (E), over the same bytes. Each
 * node's activation (act), the part of it in the arena (in_arena: a mixing
 * node's output is not) and its scratch (aux) go into sizes [10 * n_nodes]
 * as well; which nodes have canonical views is set, *views is what they and
 * the mixing nodes' own outputs take apart from the arena, *biggest the
 * largest activation. Returns the arena's bytes. Reads the activation type
 * and the consumers of g->dnnl, and makes no primitive. */
static size_t plan_layouts(BdGraph *g, size_t *sizes, BdLayout *L, BdLayout *E, size_t *views, size_t *biggest) {
    const int N = g->n_nodes;
    BdDnnl *d = g->dnnl;
    size_t *act = sizes, *in_arena = sizes + N, *aux = sizes + 2 * N, *no_grads = sizes + 9 * N;
    *L = (BdLayout){sizes + 3 * N, sizes + 4 * N, sizes + 5 * N, 0};
    *E = (BdLayout){sizes + 6 * N, sizes + 7 * N, sizes + 8 * N, 0};
    int *born = bd_xcalloc((size_t)N, sizeof *born);
    *views = *biggest = 0;
    for (int i = 0; i < N; i++) {
        const BdNode *nd = &g->nodes[i];
        act[i] = dn_act_bytes(g, i, g->max_batch);
        if (act[i] > *biggest) *biggest = act[i];
        in_arena[i] = nd->op == BD_OP_MIX ? 0 : act[i];
        if (nd->op == BD_OP_MIX) *views += align64(act[i]);
        aux[i] = impls[nd->op]->aux_bytes ? impls[nd->op]->aux_bytes(g, i) : 0;
        d->nodes[i].view = g->all_views || i == 0 || i == g->output || nd->tag[0];
        if (d->nodes[i].view) *views += 2 * align64(bd_numel(nd->shape, g->max_batch) * sizeof(float));
        born[i] = i;
        no_grads[i] = 0;
    }
    /* an evaluation writes a folded chain's last output at its convolution */
    for (int c = 0; c < N; c++) {
        int bn = -1, add = -1, other = -1;
        if (g->nodes[c].op == BD_OP_CONV) dn_fold_chain(g, c, &bn, &add, &other);
        const int last = add >= 0 ? add : bn;
        if (last >= 0 && born[last] > c) born[last] = c;
    }
    const BdPlanOpts opts = {born, 1, 1, 0};
    bd_plan_layout(g, in_arena, act, aux, &opts, L);
    /* the evaluation layout, over the same arena (dnnl_impl.h) */
    const BdPlanOpts eopts = {born, 1, 1, 1};
    bd_plan_layout(g, in_arena, no_grads, aux, &eopts, E);
    free(born);
    return L->total > E->total ? L->total : E->total;
}

/* The arena and, apart, the canonical views and the mixing nodes' own outputs. */
static void plan_memory(BdGraph *g) {
    const int N = g->n_nodes;
    BdDnnl *d = g->dnnl;
    size_t *sizes = bd_xcalloc((size_t)N * 10, sizeof *sizes), views, biggest;
    const size_t *act = sizes, *aux = sizes + 2 * N;
    BdLayout L, E;
    d->arena_bytes = plan_layouts(g, sizes, &L, &E, &views, &biggest);
    d->arena = alloc_bytes(d->arena_bytes);
    memset(d->arena, 0, d->arena_bytes); /* the first step pays no page faults; no buffer holds garbage */
    /* The views and the mixing nodes' own outputs are written only when used
     * (bd_graph_out/grad, a step that mixes): untouched, their pages cost no
     * resident memory. */
    d->views_bytes = views;
    d->views = alloc_bytes(views);
    char *v = d->views;
    for (int i = 0; i < N; i++) {
        BdNode *nd = &g->nodes[i];
        DnNode *dn = &d->nodes[i];
        dn->at[0] = d->arena + L.out[i];
        dn->at[1] = d->arena + E.out[i];
        dn->diff = d->arena + L.grad[i];
        dn->aux_at[0] = aux[i] ? d->arena + L.aux[i] : NULL;
        dn->aux_at[1] = aux[i] ? d->arena + E.aux[i] : NULL;
        nd->out = nd->grad = NULL;
        nd->aux = NULL;
        nd->idx = NULL;
        if (dn->view) {
            const size_t b = align64(bd_numel(nd->shape, g->max_batch) * sizeof(float));
            nd->out = (float *)(void *)v;
            nd->grad = (float *)(void *)(v + b);
            v += 2 * b;
        }
        if (nd->op == BD_OP_MIX) {
            dn->own = v;
            v += align64(act[i]);
        }
    }
    use_layout(g, 0);
    d->bufs[DN_TMP].need = biggest;
    free(sizes);
}

/* Samples per chunk of an evaluation (dnnl_impl.h), from shapes alone, so
 * that every rank evaluates a cell in the same chunks. As many as keep each
 * layer's output within DN_CHUNK_BYTES, so that a layer's input and output
 * stay in a 1 MiB L2 (Zen 4 and 5; Intel's server cores have 2 MiB); but
 * no fewer than
 *  - keep re-reading every layer's weights once per chunk under half of
 *    what the chunk saves, the activations its samples pass through (a
 *    full-width ResNet-50's 94 MB of weights against 49 MB of activations a
 *    sample: chunks of 4);
 *  - keep a node's work in a chunk (the graph's FLOPs over its nodes) over
 *    DN_CHUNK_NODE_FLOPS, 25 us at 100 GFLOP/s, where a primitive call's
 *    own few microseconds would start to show (NASNet's 900 small nodes
 *    evaluate whole).
 * bench/README.md has the measurements. */
#define DN_CHUNK_BYTES (512 * 1024)
#define DN_CHUNK_NODE_FLOPS 2.5e6
static int eval_chunk(const BdGraph *g) {
    size_t per = 1;             /* the largest output of one sample */
    double passed = 0, wts = 0; /* the bytes of every output of a sample; of every weight */
    for (int i = 0; i < g->n_nodes; i++) {
        const BdNode *nd = &g->nodes[i];
        const size_t b = dn_act_bytes(g, i, 1);
        if (b > per) per = b;
        passed += (double)b;
        if (nd->op == BD_OP_CONV || nd->op == BD_OP_LINEAR)
            wts += (double)g->param_info[nd->w_param].len * (double)g->dnnl->dt_size;
    }
    const double node_flops = bd_graph_flops(g, 0) / g->n_nodes; /* a node's, per sample */
    double c = (double)(DN_CHUNK_BYTES / per);
    if (c < ceil(2 * wts / passed)) c = ceil(2 * wts / passed);
    if (c * node_flops < DN_CHUNK_NODE_FLOPS) c = ceil(DN_CHUNK_NODE_FLOPS / node_flops);
    return c < g->max_batch ? (int)c : g->max_batch;
}

int bd_dnnl_set_eval_chunk(BdGraph *g, int n) {
    g->dnnl->eval_chunk = n <= 0 ? eval_chunk(g) : n < g->max_batch ? n : g->max_batch;
    return g->dnnl->eval_chunk;
}

/* The activation type of a graph in precision p (bf16 where this CPU has it). */
static void set_type(BdDnnl *d, BdPrecision p) {
    const int bf16 = p == BD_BF16 && bd_dnnl_bf16() != BD_BF16_AS_FP32;
    d->dt = bf16 ? dnnl_bf16 : dnnl_f32;
    d->dt_size = bf16 ? 2 : 4;
}

int bd_dnnl_finalize(BdGraph *g, BdError *err) {
    BdDnnl *d = bd_xcalloc(1, sizeof *d);
    g->dnnl = d;
    if (dnnl_engine_create(&d->eng, dnnl_cpu, 0) != dnnl_success ||
        dnnl_stream_create(&d->stream, d->eng, dnnl_stream_default_flags) != dnnl_success) {
        bd_dnnl_free(g);
        return bd_fail(err, "oneDNN engine: no CPU engine");
    }
    set_type(d, g->precision);
    d->nodes = bd_xcalloc((size_t)g->n_nodes, sizeof *d->nodes);
    find_consumers(g);
    plan_memory(g);
    bd_dnnl_set_eval_chunk(g, 0);
    if (make_set(g, g->max_batch, 0, g->max_batch, err) < 0) {
        bd_dnnl_free(g);
        return -1;
    }
    return 0;
}

int bd_dnnl_memory(BdGraph *g, BdGraphMemory *m, BdError *err) {
    /* A state for sizing only: the engine (primitive descriptors tell the
     * size of a workspace), the activation type, the consumers. */
    BdDnnl d;
    memset(&d, 0, sizeof d);
    if (dnnl_engine_create(&d.eng, dnnl_cpu, 0) != dnnl_success) return bd_fail(err, "oneDNN engine: no CPU engine");
    set_type(&d, g->precision);
    d.nodes = bd_xcalloc((size_t)g->n_nodes, sizeof *d.nodes);
    g->dnnl = &d;
    find_consumers(g);
    size_t *sizes = bd_xcalloc((size_t)g->n_nodes * 10, sizeof *sizes), views, biggest;
    BdLayout L, E;
    m->arena = plan_layouts(g, sizes, &L, &E, &views, &biggest);
    m->other = views + biggest + dn_weights_estimate(g);
    g->dnnl = NULL;
    free(sizes);
    free(d.nodes);
    dnnl_engine_destroy(d.eng);
    return 0;
}

void bd_dnnl_free(BdGraph *g) {
    BdDnnl *d = g->dnnl;
    if (!d) return;
    while (d->sets) {
        DnSet *s = d->sets;
        d->sets = s->next;
        set_free(s);
    }
    for (int b = 0; b < DN_N_BUFS; b++) free(d->bufs[b].p);
    for (int i = 0; d->nodes && i < g->n_nodes; i++) free(d->nodes[i].ewts.p);
    if (d->stream) dnnl_stream_destroy(d->stream);
    if (d->eng) dnnl_engine_destroy(d->eng);
    free(d->arena);
    free(d->views);
    free(d->nodes);
    free(d);
    g->dnnl = NULL;
    for (int i = 0; i < g->n_nodes; i++) g->nodes[i].out = g->nodes[i].grad = NULL;
}

size_t bd_dnnl_bytes(const BdGraph *g) {
    const BdDnnl *d = g->dnnl;
    size_t b = d->arena_bytes + d->views_bytes;
    for (int k = 0; k < DN_N_BUFS; k++) b += d->bufs[k].bytes;
    for (int i = 0; i < g->n_nodes; i++) b += d->nodes[i].ewts.bytes;
    return b;
}

size_t bd_dnnl_arena_bytes(const BdGraph *g) { return g->dnnl->arena_bytes; }

/* ---- running ------------------------------------------------------------------------- */

/* Every node forward over samples at..at+n-1 of tensors of total. */
static void forward_part(BdGraph *g, int n, int eval, int total, int at) {
    BdDnnl *d = g->dnnl;
    if (!d->cur || d->cur->n != n || d->cur->eval != eval || d->cur->total != total) {
        BdError err;
        DnSet *s;
        if (get_set(g, n, eval, total, &s, &err) < 0) die("%s", err.msg);
        d->cur = s;
        use_layout(g, eval);
    }
    d->at = at;
    for (int i = 0; i < g->n_nodes; i++) {
        d->nodes[i].view_fresh = 0;
        const double t0 = bd_profile_start(g);
        impls[g->nodes[i].op]->forward(g, i);
        bd_profile_stop(g, i, 0, t0);
    }
}

/* The output's view's part of a chunk (every view's with all_views),
 * while the buffers still hold it. */
static void keep_views(BdGraph *g) {
    BdDnnl *d = g->dnnl;
    for (int i = 0; i < g->n_nodes; i++) {
        if (!d->nodes[i].view || (i != g->output && !g->all_views)) continue;
        const BdShape sh = g->nodes[i].shape;
        DnOp *op = dn_op(g, i);
        dnnl_memory_set_data_handle(op->view_dst, g->nodes[i].out + (size_t)d->at * (size_t)(sh.h * sh.w));
        dn_run(g, &op->view_out);
        d->nodes[i].view_fresh = 1;
    }
}

void bd_dnnl_forward(BdGraph *g) {
    const int n = g->n, eval = g->mode != BD_TRAIN, c = chunk_of(g->dnnl, n);
    g->dnnl->chunked = eval && n > c;
    if (!g->dnnl->chunked) {
        forward_part(g, n, eval, n, 0);
        return;
    }
    for (int at = 0; at < n; at += c) {
        g->n = n - at < c ? n - at : c; /* what the ops see: the chunk */
        forward_part(g, g->n, 1, n, at);
        keep_views(g);
    }
    g->n = n;
}

/* A view's gradient joins the node's own before its backward. */
static void merge_view_grad(BdGraph *g, int i) {
    DnNode *dn = dn_node(g, i);
    if (!dn->view_grad_live) return;
    BdNode *nd = &g->nodes[i];
    DnOp *op = dn_op(g, i);
    dn_run(g, nd->grad_live ? &op->view_in_acc : &op->view_in);
    nd->grad_live = 1;
    dn->view_grad_live = 0;
}

void bd_dnnl_backward(BdGraph *g) {
    if (g->dnnl->cur->eval)
        die("%s", "backward after an evaluation forward: the oneDNN engine evaluates in a layout of its own, "
                  "inference only (a training forward keeps what backward reads)");
    for (int i = g->n_nodes - 1; i >= 0; i--) {
        const double t0 = bd_profile_start(g);
        merge_view_grad(g, i);
        BdNode *nd = &g->nodes[i];
        if (i > 0 && nd->grad_live && nd->needs_grad) impls[nd->op]->backward(g, i);
        bd_profile_stop(g, i, 1, t0);
    }
    BdNode *in = &g->nodes[0];
    if (g->input_grad && in->grad_live) {
        dn_run(g, &dn_op(g, 0)->view_back);
        dn_node(g, 0)->view_grad_live = 0; /* holds the result, not a contribution to add */
    }
}

static void need_view(const BdGraph *g, int node) {
    if (!g->dnnl->nodes[node].view) {
        char what[160];
        snprintf(what, sizeof what, "node %d (%s) has no canonical view: only the input, the output and tagged nodes do",
                 node, bd_op_impls[g->nodes[node].op].name);
        die("%s", what);
    }
}

float *bd_dnnl_out(BdGraph *g, int node) {
    need_view(g, node);
    DnNode *dn = dn_node(g, node);
    if (!dn->view_fresh && g->dnnl->chunked) {
        char what[256];
        snprintf(what, sizeof what,
                 "node %d (%s): an evaluation of %d samples ran in chunks of at most %d and kept only the output's view "
                 "(evaluate at most %d at a time to read others, or set all_views before finalize)",
                 node, bd_op_impls[g->nodes[node].op].name, g->n, g->dnnl->eval_chunk, g->dnnl->eval_chunk);
        die("%s", what);
    }
    if (!dn->view_fresh) {
        dn_run(g, &dn_op(g, node)->view_out);
        dn->view_fresh = 1;
    }
    return g->nodes[node].out;
}

float *bd_dnnl_grad(BdGraph *g, int node) {
    need_view(g, node);
    DnNode *dn = dn_node(g, node);
    BdNode *nd = &g->nodes[node];
    const int after_backward = node == 0 && nd->grad_live && g->input_grad;
    if (!dn->view_grad_live && !after_backward) {
        memset(nd->grad, 0, bd_numel(nd->shape, g->n ? g->n : g->max_batch) * sizeof(float));
        dn->view_grad_live = 1;
    }
    return nd->grad;
}

void bd_dnnl_zero_grads(BdGraph *g) {
    for (int i = 0; i < g->n_nodes; i++) g->dnnl->nodes[i].view_grad_live = 0;
}

/* ---- gradients between ops --------------------------------------------------------------- */

char *dn_grad_into(BdGraph *g, int node, int i, int *acc) {
    BdNode *x = &g->nodes[g->nodes[node].in[i]];
    if (!x->needs_grad) return NULL;
    *acc = x->grad_live;
    x->grad_live = 1;
    return dn_node(g, g->nodes[node].in[i])->diff;
}

void dn_put(const BdGraph *g, void *dst, const void *src, size_t len, int acc) {
    if (g->dnnl->dt == dnnl_bf16) bd_bf16_put(dst, src, len, acc);
    else bd_vec_put(dst, src, len, acc);
}

void dn_run_grad(BdGraph *g, int node, const DnExec *e) {
    int acc = 0;
    char *dx = dn_grad_into(g, node, 0, &acc);
    if (dx && !acc) {
        dn_run(g, e);
        return;
    }
    DnOp *op = dn_op(g, node);
    char *tmp = g->dnnl->bufs[DN_TMP].p, *was = dx ? dx : dn_node(g, g->nodes[node].in[0])->diff;
    dnnl_memory_set_data_handle(op->dx, tmp);
    dn_run(g, e);
    dnnl_memory_set_data_handle(op->dx, was);
    if (dx) dn_put(g, dx, tmp, bd_numel(g->nodes[g->nodes[node].in[0]].shape, g->n), 1);
}

/* ---- queries --------------------------------------------------------------------------------- */

uint64_t bd_dnnl_kinks(const BdGraph *g) {
    const BdDnnl *d = g->dnnl;
    uint64_t h = 1469598103934665603ull;
    for (int i = 0; i < g->n_nodes; i++) {
        const BdNode *nd = &g->nodes[i];
        const size_t len = bd_numel(nd->shape, g->n);
        const DnNode *dn = &d->nodes[i];
        if (nd->op == BD_OP_RELU) {
            /* the sign of every output (the order of the values does not matter) */
            for (size_t j = 0; j < len; j++) {
                int pos;
                if (d->dt == dnnl_bf16) {
                    const uint16_t v = ((const uint16_t *)(const void *)dn->data)[j];
                    pos = !(v & 0x8000) && (v & 0x7fff);
                } else {
                    pos = ((const float *)(const void *)dn->data)[j] > 0.0f;
                }
                h = (h ^ (uint64_t)pos) * 1099511628211ull;
            }
        }
        if (nd->op == BD_OP_MAXPOOL) {
            /* the argmax workspace, as oneDNN keeps it */
            const size_t ws = impls[BD_OP_MAXPOOL]->aux_bytes((BdGraph *)g, i) / (size_t)g->max_batch * (size_t)g->n;
            for (size_t j = 0; j < ws; j++) h = (h ^ (uint64_t)(unsigned char)dn->aux[j]) * 1099511628211ull;
        }
    }
    return h;
}

const char *bd_dnnl_isa(void) {
    switch (dnnl_get_effective_cpu_isa()) {
    case dnnl_cpu_isa_sse41: return "sse41";
    case dnnl_cpu_isa_avx: return "avx";
    case dnnl_cpu_isa_avx2: return "avx2";
    case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni";
    case dnnl_cpu_isa_avx512_mic: return "avx512_mic";
    case dnnl_cpu_isa_avx512_mic_4ops: return "avx512_mic_4ops";
    case dnnl_cpu_isa_avx512_core: return "avx512_core";
    case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
    default: return "generic";
    }
}

BdBf16Support bd_dnnl_bf16(void) {
    const dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa();
    if (isa == dnnl_cpu_isa_avx512_core_bf16 || isa == dnnl_cpu_isa_avx512_core_amx) return BD_BF16_NATIVE;
    if (((unsigned)isa & (unsigned)dnnl_cpu_isa_avx512_core) == (unsigned)dnnl_cpu_isa_avx512_core)
        return BD_BF16_EMULATED;
    return BD_BF16_AS_FP32;
}
