/* The allocation plan of bd_graph_finalize: fusions, which nodes need a
 * gradient, and the memory layout (bd_plan_layout, shared by both engines;
 * each gives its own buffer sizes).
 *
 * Memory: one arena holds every node's output, its gradient and its scratch
 * (BN statistics, dropout mask, max-pool argmax). Outputs all stay (backward
 * reads them); gradients do not need to: the gradient of node i is written
 * first by the backward of its last consumer and read last by its own, so
 * it lives only during that stretch of the backward pass, and nodes whose
 * stretches do not overlap share a buffer (greedy, first come in backward
 * order). The input, the output and tagged nodes keep buffers of their own:
 * the loss and regularizers write those before backward, and callers read
 * the input's gradient after it. A BN or add fused with the ReLU after it
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

typedef struct Pool {
    size_t size;  /* bytes, grows while the plan is made */
    int free_at;  /* the last backward step (node index) its current owner is read at */
    size_t off;
} Pool;

enum { GRAD_OWN, GRAD_POOLED, GRAD_BORROWED };

/* Every buffer starts on a 64-byte boundary (a cache line, an AVX-512 vector). */
static size_t align64(size_t bytes) { return (bytes + 63) & ~(size_t)63; }

void bd_plan_layout(const BdGraph *g, const size_t *out_bytes, const size_t *grad_bytes, const size_t *aux_bytes,
                    BdLayout *L) {
    const int N = g->n_nodes;
    int *last_consumer = bd_xcalloc((size_t)N, sizeof *last_consumer), *kind = bd_xcalloc((size_t)N, sizeof *kind);
    int *pool_of = bd_xcalloc((size_t)N, sizeof *pool_of), *order = bd_xcalloc((size_t)N, sizeof *order);
    Pool *pools = bd_xcalloc((size_t)N + 1, sizeof *pools);
    for (int i = 0; i < N; i++) last_consumer[i] = -1;
    for (int j = 0; j < N; j++)
        for (int k = 0; k < g->nodes[j].n_in; k++)
            if (last_consumer[g->nodes[j].in[k]] < j) last_consumer[g->nodes[j].in[k]] = j;

    /* Which gradients share: everything but the input, the output, tagged
     * nodes and nodes nothing consumes; fused producers borrow their ReLU's. */
    int n_order = 0;
    for (int i = 0; i < N; i++) {
        const BdNode *nd = &g->nodes[i];
        if (nd->relu_into) kind[i] = GRAD_BORROWED;
        else if (i == 0 || i == g->output || nd->tag[0] || last_consumer[i] < 0 || !g->reuse_grads) kind[i] = GRAD_OWN;
        else {
            kind[i] = GRAD_POOLED;
            order[n_order++] = i;
        }
    }
    /* In backward order of first writes: the latest last consumer first
     * (insertion sort: graphs have hundreds of nodes). */
    for (int a = 1; a < n_order; a++) {
        int v = order[a], b = a - 1;
        while (b >= 0 && last_consumer[order[b]] < last_consumer[v]) {
            order[b + 1] = order[b];
            b--;
        }
        order[b + 1] = v;
    }
    int n_pools = 0;
    for (int a = 0; a < n_order; a++) {
        const int i = order[a];
        const BdNode *nd = &g->nodes[i];
        const size_t need = align64(grad_bytes[i]);
        /* read last at its own backward, or, for a fused ReLU, at its producer's */
        const int read_at = nd->fused ? nd->in[0] : i, first_write = last_consumer[i];
        int best = -1;
        for (int p = 0; p < n_pools; p++) {
            if (pools[p].free_at <= first_write) continue; /* still in use */
            if (best < 0) best = p;
            else {
                /* the smallest pool that fits, else the largest one (it grows) */
                const int fits = pools[p].size >= need, best_fits = pools[best].size >= need;
                if ((fits && (!best_fits || pools[p].size < pools[best].size)) ||
                    (!fits && !best_fits && pools[p].size > pools[best].size))
                    best = p;
            }
        }
        if (best < 0) best = n_pools++;
        if (pools[best].size < need) pools[best].size = need;
        pools[best].free_at = read_at;
        pool_of[i] = best;
    }

    /* The layout: outputs, own gradients, scratch, then the pools. */
    size_t total = 0;
    for (int i = 0; i < N; i++) {
        L->out[i] = total;
        if (!g->nodes[i].relu_into) total += align64(out_bytes[i]);
        L->grad[i] = total;
        if (kind[i] == GRAD_OWN) total += align64(grad_bytes[i]);
        L->aux[i] = total;
        total += align64(aux_bytes[i]);
    }
    for (int p = 0; p < n_pools; p++) {
        pools[p].off = total;
        total += pools[p].size;
    }
    for (int i = 0; i < N; i++)
        if (kind[i] == GRAD_POOLED) L->grad[i] = pools[pool_of[i]].off;
    /* Fused producers write their ReLU's output and read its gradient. */
    for (int i = 0; i < N; i++)
        if (g->nodes[i].relu_into) {
            L->out[i] = L->out[g->nodes[i].relu_into];
            L->grad[i] = L->grad[g->nodes[i].relu_into];
        }
    L->total = total;
    free(last_consumer);
    free(kind);
    free(pool_of);
    free(order);
    free(pools);
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
    bd_plan_layout(g, out, out, aux, &L);
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
