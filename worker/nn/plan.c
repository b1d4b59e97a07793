/* The allocation plan of bd_graph_finalize: fusions, which nodes need a
 * gradient, and the memory layout (bd_plan_layout, shared by both engines;
 * each gives its own buffer sizes).
 *
 * Memory: one arena holds every node's output, its gradient and its scratch
 * (BN statistics, dropout mask, max-pool argmax). Outputs that a backward
 * reads (a ReLU's, and the inputs of convolutions, linear layers and batch
 * norms) stay until backward; the others (a BN's before an add, an add's,
 * a pooling's, ...) live only from their write to their last reader in the
 * forward pass, and nodes whose stretches do not overlap share a buffer.
 * Gradients do the same over the backward pass: the gradient of node i is
 * written first by the backward of its last consumer and read last by its
 * own (greedy, first come first served in each pass: share()). The input,
 * the output and tagged nodes keep buffers of their own: the loss and
 * regularizers read and write those around backward, and callers read the
 * input's gradient after it. A BN or add fused with the ReLU after it
 * writes that ReLU's output and takes that ReLU's gradient, so it needs
 * neither buffer. No allocation happens after finalize. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"

float *bd_alloc_floats(size_t n) {
    void *p = NULL;
    if (posix_memalign(&p, 64, (n ? n : 1) * sizeof(float))) p = NULL;
    if (!p) {
        fprintf(stderr, "bdsweep: out of memory allocating %zu floats for the graph\n", n);
        abort();
    }
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
 * nothing else reads the producer's output. */
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
    free(consumers);
}

/* Every buffer starts on a 64-byte boundary (a cache line, an AVX-512 vector). */
static size_t align64(size_t bytes) { return (bytes + 63) & ~(size_t)63; }

typedef struct Pool {
    size_t size;    /* bytes, grows while the plan is made */
    long busy_till; /* the last moment its current owner is used at */
    size_t off;
} Pool;

/* Greedy sharing of buffers between items that are never alive at the same
 * time: item k (of order[], sorted by from[]) lives from from[k] to to[k]
 * (moments of one pass, in its direction) and needs need[k] bytes; it takes
 * a pool whose owner is done, the smallest one that fits, else the largest
 * one (which grows). Fills pool_of[], returns the number of pools. */
static int share(const int *order, int n, const long *from, const long *to, const size_t *need, int *pool_of,
                 Pool *pools) {
    int n_pools = 0;
    for (int a = 0; a < n; a++) {
        const int k = order[a];
        int best = -1;
        for (int p = 0; p < n_pools; p++) {
            if (pools[p].busy_till >= from[k]) continue; /* still in use */
            if (best < 0) best = p;
            else {
                const int fits = pools[p].size >= need[k], best_fits = pools[best].size >= need[k];
                if ((fits && (!best_fits || pools[p].size < pools[best].size)) ||
                    (!fits && !best_fits && pools[p].size > pools[best].size))
                    best = p;
            }
        }
        if (best < 0) best = n_pools++;
        if (pools[best].size < need[k]) pools[best].size = need[k];
        pools[best].busy_till = to[k];
        pool_of[k] = best;
    }
    return n_pools;
}

/* Sorts order[0..n) by key ascending (insertion sort: graphs have hundreds of nodes). */
static void sort_by(int *order, int n, const long *key) {
    for (int a = 1; a < n; a++) {
        int v = order[a], b = a - 1;
        while (b >= 0 && key[order[b]] > key[v]) {
            order[b + 1] = order[b];
            b--;
        }
        order[b + 1] = v;
    }
}

/* Whether some backward reads node i's output: a ReLU's (its mask, also
 * when a producer computed it), and the input of every convolution, linear
 * layer and batch norm. No other op's backward looks at values: pooling
 * keeps its argmax, dropout its mask, adds, concats, shifts, mixes and
 * flattens only move gradients. */
static int read_by_backward(const BdGraph *g, int i) {
    if (g->nodes[i].op == BD_OP_RELU) return 1;
    for (int j = i + 1; j < g->n_nodes; j++)
        for (int k = 0; k < g->nodes[j].n_in; k++)
            if (g->nodes[j].in[k] == i &&
                (g->nodes[j].op == BD_OP_CONV || g->nodes[j].op == BD_OP_LINEAR || g->nodes[j].op == BD_OP_BN))
                return 1;
    return 0;
}

enum { OWN, POOLED, BORROWED };

void bd_plan_layout(const BdGraph *g, const size_t *out_bytes, const size_t *grad_bytes, const size_t *aux_bytes,
                    const int *born, BdLayout *L) {
    const int N = g->n_nodes;
    int *last_consumer = bd_xcalloc((size_t)N, sizeof *last_consumer);
    int *out_kind = bd_xcalloc((size_t)N, sizeof *out_kind), *grad_kind = bd_xcalloc((size_t)N, sizeof *grad_kind);
    int *out_pool = bd_xcalloc((size_t)N, sizeof *out_pool), *grad_pool = bd_xcalloc((size_t)N, sizeof *grad_pool);
    int *order = bd_xcalloc((size_t)N, sizeof *order);
    long *from = bd_xcalloc((size_t)N, sizeof *from), *to = bd_xcalloc((size_t)N, sizeof *to);
    size_t *need = bd_xcalloc((size_t)N, sizeof *need);
    Pool *out_pools = bd_xcalloc((size_t)N + 1, sizeof *out_pools), *grad_pools = bd_xcalloc((size_t)N + 1, sizeof *grad_pools);
    for (int i = 0; i < N; i++) last_consumer[i] = -1;
    for (int j = 0; j < N; j++)
        for (int k = 0; k < g->nodes[j].n_in; k++)
            if (last_consumer[g->nodes[j].in[k]] < j) last_consumer[g->nodes[j].in[k]] = j;

    /* Outputs that no backward reads live only in the forward pass, from
     * their first write (born: an evaluation may write one early) to their
     * last reader, and share. What the caller reads (the input, the output,
     * tagged nodes, every node with all_views) stays. */
    int n_order = 0;
    for (int i = 0; i < N; i++) {
        const BdNode *nd = &g->nodes[i];
        if (nd->relu_into) out_kind[i] = BORROWED;
        else if (i == 0 || i == g->output || nd->tag[0] || g->all_views || read_by_backward(g, i)) out_kind[i] = OWN;
        else {
            out_kind[i] = POOLED;
            from[i] = born ? born[i] : i;
            to[i] = last_consumer[i] > i ? last_consumer[i] : i;
            need[i] = align64(out_bytes[i]);
            order[n_order++] = i;
        }
    }
    sort_by(order, n_order, from);
    const int n_out_pools = share(order, n_order, from, to, need, out_pool, out_pools);

    /* Gradients: the gradient of node i is written first by the backward of
     * its last consumer and read last by its own (a fused ReLU's, by its
     * producer's), moments of the backward pass counted downwards; everything
     * but the input, the output, tagged nodes and nodes nothing consumes
     * shares; fused producers borrow their ReLU's. */
    n_order = 0;
    for (int i = 0; i < N; i++) {
        const BdNode *nd = &g->nodes[i];
        if (nd->relu_into) grad_kind[i] = BORROWED;
        else if (i == 0 || i == g->output || nd->tag[0] || last_consumer[i] < 0 || !g->reuse_grads) grad_kind[i] = OWN;
        else {
            grad_kind[i] = POOLED;
            from[i] = -(long)last_consumer[i];
            to[i] = -(long)(nd->fused ? nd->in[0] : i);
            need[i] = align64(grad_bytes[i]);
            order[n_order++] = i;
        }
    }
    sort_by(order, n_order, from);
    const int n_grad_pools = share(order, n_order, from, to, need, grad_pool, grad_pools);

    /* The layout: own outputs, own gradients, scratch, then the pools. */
    size_t total = 0;
    for (int i = 0; i < N; i++) {
        L->out[i] = total;
        if (out_kind[i] == OWN) total += align64(out_bytes[i]);
        L->grad[i] = total;
        if (grad_kind[i] == OWN) total += align64(grad_bytes[i]);
        L->aux[i] = total;
        total += align64(aux_bytes[i]);
    }
    for (int p = 0; p < n_out_pools; p++) out_pools[p].off = total, total += out_pools[p].size;
    for (int p = 0; p < n_grad_pools; p++) grad_pools[p].off = total, total += grad_pools[p].size;
    for (int i = 0; i < N; i++) {
        if (out_kind[i] == POOLED) L->out[i] = out_pools[out_pool[i]].off;
        if (grad_kind[i] == POOLED) L->grad[i] = grad_pools[grad_pool[i]].off;
    }
    /* Fused producers write their ReLU's output and read its gradient. */
    for (int i = 0; i < N; i++)
        if (g->nodes[i].relu_into) {
            L->out[i] = L->out[g->nodes[i].relu_into];
            L->grad[i] = L->grad[g->nodes[i].relu_into];
        }
    L->total = total;
    free(last_consumer);
    free(out_kind);
    free(grad_kind);
    free(out_pool);
    free(grad_pool);
    free(order);
    free(from);
    free(to);
    free(need);
    free(out_pools);
    free(grad_pools);
}

void bd_plan_memory(BdGraph *g) {
    const int N = g->n_nodes;
    size_t *sizes = bd_xcalloc((size_t)N * 6, sizeof *sizes), work = 0;
    size_t *out = sizes, *aux = sizes + N;
    BdLayout L = {sizes + 2 * N, sizes + 3 * N, sizes + 4 * N, 0};
    for (int i = 0; i < N; i++) {
        BdNode *nd = &g->nodes[i];
        const size_t numel = bd_numel(nd->shape, g->max_batch);
        out[i] = numel * sizeof(float);
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
    bd_plan_layout(g, out, out, aux, NULL, &L);
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
