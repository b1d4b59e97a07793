/* The allocation plan of bd_graph_finalize: fusions, which nodes need a
 * gradient, and the memory layout (bd_plan_layout, shared by both engines;
 * each gives its own buffer sizes).
 *
 * Memory: one arena holds every node's output, its gradient and its scratch
 * (BN statistics, dropout mask, max-pool argmax). On one timeline of the
 * forward pass then the backward pass, each output lives from its write to
 * its last reader: a later layer in the forward pass, or a backward (a
 * ReLU's output is read by its own backward, the input of a convolution,
 * linear layer or batch norm by theirs); each gradient from the backward of
 * its last consumer, which writes it first, to its own. Buffers whose
 * stretches do not overlap share memory (share(): a BN's output before an
 * add lives for a moment, and the memory of the last layers' outputs serves
 * gradients once their backward has run, as PyTorch's caching allocator
 * hands it on). The input, the output and tagged nodes keep buffers of
 * their own (the loss and regularizers read and write those around
 * backward, callers read the input's gradient after it) unless the engine
 * gives the caller copies (the oneDNN engine's views). A BN, add or
 * convolution fused with the ReLU after it writes that ReLU's output and
 * takes that ReLU's gradient; an input read only by an add takes the add's
 * gradient (grad_of). No allocation happens after finalize. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"

float *bd_alloc_floats(size_t n) {
    void *p = NULL;
    const size_t bytes = (n ? n : 1) * sizeof(float);
    if (n > SIZE_MAX / sizeof(float) || posix_memalign(&p, 64, bytes)) bd_die_out_of_memory(bytes);
    return p;
}

/* Which nodes a gradient must reach, and what backward costs given that. */
void bd_plan_gradients(BdGraph *g) {
    for (int i = 0; i < g->n_nodes; i++) {
        BdNode *nd = &g->nodes[i];
        nd->needs_grad = nd->op == BD_OP_INPUT ? g->input_grad : nd->w_param >= 0;
        for (int j = 0; j < nd->n_in; j++) nd->needs_grad |= g->nodes[nd->in[j]].needs_grad;
    }
    for (int i = 0; i < g->n_nodes; i++) {
        BdNode *nd = &g->nodes[i];
        size_t out = bd_numel(nd->shape, 1);
        switch (nd->op) {
        case BD_OP_CONV: {
            double f = bd_conv_flops(g, nd);
            nd->flops_fwd = f;
            nd->flops_bwd = f + (g->nodes[nd->in[0]].needs_grad ? f : 0.0) + (nd->bias ? (double)out : 0.0);
            break;
        }
        case BD_OP_LINEAR: {
            double f = 2.0 * (double)nd->shape.c * (double)g->nodes[nd->in[0]].shape.c;
            nd->flops_fwd = f + (double)out;
            nd->flops_bwd = f + (g->nodes[nd->in[0]].needs_grad ? f : 0.0) + (double)out;
            break;
        }
        case BD_OP_BN: /* stats (2/elem) + normalise (2); backward: sums (3) + dx (4) */
            nd->flops_fwd = 4.0 * (double)out;
            nd->flops_bwd = 7.0 * (double)out;
            break;
        case BD_OP_MAXPOOL:
        case BD_OP_AVGPOOL:
            nd->flops_fwd = (double)out * nd->k * nd->k;
            nd->flops_bwd = (double)out * (nd->op == BD_OP_AVGPOOL ? nd->k * nd->k : 1);
            break;
        case BD_OP_GAP:
            nd->flops_fwd = nd->flops_bwd = (double)bd_numel(g->nodes[nd->in[0]].shape, 1);
            break;
        case BD_OP_RELU:
        case BD_OP_DROPOUT:
        case BD_OP_ADD:
            nd->flops_fwd = nd->flops_bwd = (double)out;
            break;
        case BD_OP_MIX:
            nd->flops_fwd = nd->flops_bwd = 3.0 * (double)out; /* when active */
            break;
        default: /* data movement only */
            nd->flops_fwd = nd->flops_bwd = 0.0;
        }
        if (!nd->needs_grad) nd->flops_bwd = 0.0;
    }
}

/* Whether a producer computes a ReLU after itself: BN and add in both
 * engines (one pass each way), a convolution in the oneDNN engine (a ReLU
 * post-op forward, the ReLU's backward in place on the shared gradient). */
static int absorbs_relu(const BdGraph *g, BdOpType op) {
    return op == BD_OP_BN || op == BD_OP_ADD || (op == BD_OP_CONV && g->engine == BD_ENGINE_DNNL);
}

/* The peephole fusions: a producer and the ReLU after it run as one op when
 * nothing else reads the producer's output; and which add inputs share the
 * add's gradient (BdNode.grad_of). */
void bd_plan_fusions(BdGraph *g) {
    int *consumers = bd_xcalloc((size_t)g->n_nodes, sizeof *consumers);
    for (int i = 0; i < g->n_nodes; i++)
        for (int j = 0; j < g->nodes[i].n_in; j++) consumers[g->nodes[i].in[j]]++;
    for (int i = 0; i < g->n_nodes; i++) {
        BdNode *r = &g->nodes[i];
        if (r->op != BD_OP_RELU) continue;
        BdNode *p = &g->nodes[r->in[0]];
        if (!absorbs_relu(g, p->op) || consumers[r->in[0]] != 1 || p->tag[0] ||
            r->in[0] == g->output)
            continue;
        p->relu_into = i;
        r->fused = 1;
    }
    /* An add hands its (masked, when fused) gradient to both inputs: an
     * input nothing else reads can take the add's buffer as its own. */
    for (int i = 0; i < g->n_nodes && g->reuse_grads; i++) {
        const BdNode *a = &g->nodes[i];
        /* (a fused add masks its ReLU's gradient in place: not one the caller reads) */
        if (a->op != BD_OP_ADD || (a->relu_into && (g->nodes[a->relu_into].tag[0] || a->relu_into == g->output)))
            continue;
        for (int k = 0; k < 2; k++) {
            const int x = a->in[k];
            BdNode *xn = &g->nodes[x];
            if (x > 0 && x != g->output && consumers[x] == 1 && !xn->tag[0] && !xn->relu_into) xn->grad_of = i;
        }
    }
    free(consumers);
}

/* Every buffer starts on a 64-byte boundary (a cache line, an AVX-512 vector). */
static size_t align64(size_t bytes) { return (bytes + 63) & ~(size_t)63; }

/* Buffers shared by items never alive at once: item k of items[0..n) lives
 * from from[k] to to[k] (moments of one pass, in its direction) and needs
 * need[k] bytes. Each gets an offset in one region, the region's size is
 * returned: the biggest items first, each at the lowest offset where it
 * overlaps no placed item that is alive at the same time (best fit by
 * decreasing size). */
static size_t share(const int *items, int n, const long *from, const long *to, const size_t *need, size_t *off) {
    int *byneed = bd_xcalloc((size_t)n + 1, sizeof *byneed), *placed = bd_xcalloc((size_t)n + 1, sizeof *placed);
    for (int a = 0; a < n; a++) byneed[a] = items[a];
    for (int a = 1; a < n; a++) { /* insertion sort, biggest first: graphs have hundreds of nodes */
        int v = byneed[a], b = a - 1;
        while (b >= 0 && need[byneed[b]] < need[v]) byneed[b + 1] = byneed[b], b--;
        byneed[b + 1] = v;
    }
    size_t total = 0;
    for (int a = 0; a < n; a++) {
        const int k = byneed[a];
        /* the placed items alive with k, by offset */
        int m = 0;
        for (int b = 0; b < a; b++) {
            const int j = byneed[b];
            if (from[j] <= to[k] && from[k] <= to[j]) {
                int c = m++;
                while (c > 0 && off[placed[c - 1]] > off[j]) placed[c] = placed[c - 1], c--;
                placed[c] = j;
            }
        }
        size_t at = 0;
        for (int c = 0; c < m; c++) {
            const int j = placed[c];
            if (off[j] >= at + need[k]) break; /* the gap before j fits */
            if (off[j] + need[j] > at) at = off[j] + need[j];
        }
        off[k] = at;
        if (at + need[k] > total) total = at + need[k];
    }
    free(byneed);
    free(placed);
    return total;
}

/* The lowest node whose backward reads node i's output, or -1: a ReLU's
 * output is read by its own backward (and by the producer it is fused
 * into), the input of every convolution, linear layer and batch norm by
 * theirs. No other op's backward looks at values: pooling keeps its argmax,
 * dropout its mask, adds, concats, shifts, mixes and flattens only move
 * gradients. With mix_aliases (the oneDNN engine) a mixing node's output
 * may be its input's buffer, so its readers count as its input's. */
static int backward_reader(const BdGraph *g, int i, int mix_aliases) {
    const BdNode *nd = &g->nodes[i];
    int r = nd->op == BD_OP_RELU ? (nd->fused ? nd->in[0] : i) : -1;
    for (int j = i + 1; j < g->n_nodes; j++)
        for (int k = 0; k < g->nodes[j].n_in; k++) {
            if (g->nodes[j].in[k] != i) continue;
            const BdOpType op = g->nodes[j].op;
            /* a mixing node that is its input's buffer: its readers read that input */
            const int via = op == BD_OP_MIX && mix_aliases ? backward_reader(g, j, 1) : -1;
            const int rj = op == BD_OP_CONV || op == BD_OP_LINEAR || op == BD_OP_BN ? j : via;
            if (rj >= 0 && (r < 0 || rj < r)) r = rj;
        }
    return r;
}

enum { OWN, SHARED, BORROWED };

void bd_plan_layout(const BdGraph *g, const size_t *out_bytes, const size_t *grad_bytes, const size_t *aux_bytes,
                    const BdPlanOpts *o, BdLayout *L) {
    const int *born = o ? o->born : NULL, views = o && o->views, mix_aliases = o && o->mix_aliases;
    const int forward_only = o && o->forward_only;
    const int N = g->n_nodes;
    /* One timeline: node i's forward at moment i, its backward at 2N-1-i;
     * 2N is after backward. Items 0..N-1 are outputs, N..2N-1 gradients. */
    const long T = 2 * (long)N, END = T;
    int *last_consumer = bd_xcalloc((size_t)N, sizeof *last_consumer), *owner = bd_xcalloc((size_t)N, sizeof *owner);
    int *kind = bd_xcalloc(2 * (size_t)N, sizeof *kind), *items = bd_xcalloc(2 * (size_t)N, sizeof *items);
    long *from = bd_xcalloc(2 * (size_t)N, sizeof *from), *to = bd_xcalloc(2 * (size_t)N, sizeof *to);
    size_t *need = bd_xcalloc(2 * (size_t)N, sizeof *need), *off = bd_xcalloc(2 * (size_t)N, sizeof *off);
    for (int i = 0; i < N; i++) last_consumer[i] = -1;
    for (int j = 0; j < N; j++)
        for (int k = 0; k < g->nodes[j].n_in; k++)
            if (last_consumer[g->nodes[j].in[k]] < j) last_consumer[g->nodes[j].in[k]] = j;
    /* the last reader of a node's output in forward: through a mixing node that is its buffer */
    long *out_end = bd_xcalloc((size_t)N, sizeof *out_end);
    for (int i = N - 1; i >= 0; i--) {
        out_end[i] = last_consumer[i] > i ? last_consumer[i] : i;
        /* (a mixing node's view is made after the forward pass, from its input's buffer) */
        if (mix_aliases && g->nodes[i].op == BD_OP_MIX && (g->nodes[i].tag[0] || i == g->output)) out_end[i] = N;
        for (int j = i + 1; mix_aliases && j < N; j++)
            if (g->nodes[j].op == BD_OP_MIX && g->nodes[j].in[0] == i && out_end[j] > out_end[i]) out_end[i] = out_end[j];
    }
    /* The node whose gradient buffer each node's is: its own, its ReLU's
     * (fused producers), its add's (grad_of, that add's in turn). */
    for (int i = N - 1; i >= 0; i--) {
        const BdNode *nd = &g->nodes[i];
        owner[i] = nd->relu_into ? owner[nd->relu_into] : nd->grad_of ? owner[nd->grad_of] : i;
    }

    int n = 0;
    for (int i = 0; i < N; i++) {
        const BdNode *nd = &g->nodes[i];
        const int caller = i == 0 || i == g->output || nd->tag[0];
        const int reader = forward_only ? -1 : backward_reader(g, i, mix_aliases);
        /* The output: from its first write (born: an evaluation may write one
         * early) to its last reader, in the forward pass or in backward.
         * What the caller reads (the input, the output, tagged nodes, every
         * node with all_views) has a buffer of its own, or, with views, lives
         * to the end of the forward pass (the views are made then; the
         * output's, to the end). */
        if (nd->relu_into) kind[i] = BORROWED;
        else if ((caller && !views) || g->all_views) kind[i] = OWN;
        else {
            kind[i] = SHARED;
            from[i] = born ? born[i] : i;
            to[i] = reader >= 0 ? T - 1 - reader : out_end[i];
            if (caller && to[i] < N) to[i] = i == g->output ? END : N;
            need[i] = align64(out_bytes[i]);
            items[n++] = i;
        }
        /* The gradient: written first by the backward of its last consumer
         * (the output's by the caller, before backward), read last by the
         * lowest backward of the nodes sharing it (the input's after
         * backward); what the caller writes and reads has a buffer of its
         * own unless that goes through views. */
        const int k = N + i;
        if (owner[i] != i) kind[k] = BORROWED;
        else if ((caller && !views) || (last_consumer[i] < 0 && i != g->output) || !g->reuse_grads) kind[k] = OWN;
        else {
            kind[k] = SHARED;
            from[k] = last_consumer[i] >= 0 ? T - 1 - last_consumer[i] : N;
            to[k] = i == 0 ? END : T - 1 - i;
            need[k] = align64(grad_bytes[i]);
            items[n++] = k;
        }
    }
    for (int i = 0; i < N; i++) {
        /* a fused ReLU's output is written by its producer (or, in an evaluation, earlier still) */
        const int o = g->nodes[i].relu_into ? g->nodes[i].relu_into : i;
        const long w = born ? born[i] : i;
        if (kind[o] == SHARED && w < from[o]) from[o] = w;
        if (kind[N + owner[i]] == SHARED && T - 1 - i > to[N + owner[i]]) to[N + owner[i]] = T - 1 - i;
    }
    const size_t region = share(items, n, from, to, need, off);

    /* The layout: own outputs, own gradients and scratch, then the shared region. */
    size_t total = 0;
    for (int i = 0; i < N; i++) {
        L->out[i] = total;
        if (kind[i] == OWN) total += align64(out_bytes[i]);
        L->grad[i] = total;
        if (kind[N + i] == OWN) total += align64(grad_bytes[i]);
        L->aux[i] = total;
        total += align64(aux_bytes[i]);
    }
    for (int i = 0; i < N; i++) {
        if (kind[i] == SHARED) L->out[i] = total + off[i];
        if (kind[N + i] == SHARED) L->grad[i] = total + off[N + i];
    }
    total += region;
    /* Fused producers write their ReLU's output; borrowed gradients are their owners'. */
    for (int i = 0; i < N; i++) {
        if (g->nodes[i].relu_into) L->out[i] = L->out[g->nodes[i].relu_into];
        L->grad[i] = L->grad[owner[i]];
    }
    L->total = total;
    free(last_consumer);
    free(out_end);
    free(owner);
    free(kind);
    free(items);
    free(from);
    free(to);
    free(need);
    free(off);
}

/* The reference engine's arena: each node's output (its gradient has the
 * same size) and scratch (aux, bytes) laid out into L; returns the
 * workspace in floats, for the largest user. */
static size_t ref_layout(const BdGraph *g, size_t *aux, BdLayout *L) {
    const int N = g->n_nodes;
    size_t *out = bd_xcalloc((size_t)N, sizeof *out), work = 0;
    for (int i = 0; i < N; i++) {
        const BdNode *nd = &g->nodes[i];
        const size_t numel = bd_numel(nd->shape, g->max_batch);
        out[i] = numel * sizeof(float);
        aux[i] = 0;
        switch (nd->op) {
        case BD_OP_BN: aux[i] = 2 * (size_t)nd->shape.c; break; /* batch mean, 1/std */
        case BD_OP_DROPOUT: aux[i] = numel; break;               /* the mask, scaled */
        case BD_OP_MAXPOOL: aux[i] = numel; break;               /* argmax, int32 */
        case BD_OP_AVGPOOL: aux[i] = bd_plane(nd->shape); break; /* the divisor of each output position */
        case BD_OP_CONV: {
            size_t w = bd_conv_workspace(g, nd);
            if (w > work) work = w;
            break;
        }
        default: break;
        }
        aux[i] *= sizeof(float);
    }
    bd_plan_layout(g, out, out, aux, NULL, L);
    free(out);
    return work;
}

void bd_plan_memory_size(const BdGraph *g, BdGraphMemory *m) {
    const int N = g->n_nodes;
    size_t *sizes = bd_xcalloc((size_t)N * 4, sizeof *sizes);
    BdLayout L = {sizes + N, sizes + 2 * N, sizes + 3 * N, 0};
    const size_t work = ref_layout(g, sizes, &L);
    m->arena = L.total;
    m->other = work * sizeof(float);
    free(sizes);
}

void bd_plan_memory(BdGraph *g) {
    const int N = g->n_nodes;
    size_t *sizes = bd_xcalloc((size_t)N * 4, sizeof *sizes), *aux = sizes;
    BdLayout L = {sizes + N, sizes + 2 * N, sizes + 3 * N, 0};
    const size_t work = ref_layout(g, aux, &L);
    const size_t total = L.total / sizeof(float);
    g->arena = bd_alloc_floats(total);
    g->arena_floats = total;
    /* Touch it once so that the first step does not pay the page faults and
     * no buffer holds garbage that a bug could read. */
    memset(g->arena, 0, total * sizeof(float));
    for (int i = 0; i < N; i++) {
        BdNode *nd = &g->nodes[i];
        nd->out = g->arena + L.out[i] / sizeof(float);
        nd->grad = g->arena + L.grad[i] / sizeof(float);
        nd->aux = aux[i] ? g->arena + L.aux[i] / sizeof(float) : NULL;
        /* The argmax region holds int32 only, never read as float. */
        nd->idx = nd->op == BD_OP_MAXPOOL ? (int32_t *)(void *)nd->aux : NULL;
        if (nd->op == BD_OP_MAXPOOL) nd->aux = NULL;
        if (nd->op == BD_OP_AVGPOOL) bd_avgpool_divisors(g, nd);
    }
    free(sizes);

    g->work_floats = work;
    g->work = bd_alloc_floats(work);
    memset(g->work, 0, (work ? work : 1) * sizeof(float));
}

void bd_plan_params(BdGraph *g) {
    g->params = bd_alloc_floats(g->n_params);
    g->grads = bd_alloc_floats(g->n_params);
    g->buffers = bd_alloc_floats(g->n_buffers);
    memset(g->params, 0, g->n_params * sizeof(float));
    memset(g->grads, 0, g->n_params * sizeof(float));
    memset(g->buffers, 0, g->n_buffers * sizeof(float));
}
