/* Helpers of the oneDNN engine: memory descriptors, objects owned by a
 * batch-size set, reorders, weights in and out of a primitive's layout. */
#include <oneapi/dnnl/dnnl_debug.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnnl_impl.h"

int dn_fail(BdGraph *g, int i, BdError *err, const char *call, dnnl_status_t st) {
    const BdNode *nd = &g->nodes[i];
    return bd_fail(err, "oneDNN engine: node %d (%s%s%s, %s, batch %d): %s failed: %s", i, bd_op_impls[nd->op].name,
                   nd->name[0] ? " " : "", nd->name, bd_precision_name(g->precision),
                   g->dnnl->cur ? g->dnnl->cur->n : g->max_batch, call, dnnl_status2str(st));
}

static dnnl_memory_desc_t md_tag(int ndims, const dnnl_dims_t dims, dnnl_data_type_t dt, dnnl_format_tag_t tag) {
    dnnl_memory_desc_t md;
    if (dnnl_memory_desc_init_by_tag(&md, ndims, dims, dt, tag) != dnnl_success) {
        fprintf(stderr, "bdsweep: engine: a memory descriptor of %d dims cannot be made\n", ndims);
        abort();
    }
    return md;
}

dnnl_memory_desc_t dn_md_act(const BdGraph *g, int i, int n) {
    const BdShape s = g->nodes[i].shape;
    const dnnl_dims_t d = {n, s.c, s.h, s.w};
    return md_tag(4, d, g->dnnl->dt, dnnl_nhwc);
}

static dnnl_memory_desc_t md_strides(int ndims, const dnnl_dims_t d, const dnnl_dims_t strides) {
    dnnl_memory_desc_t md;
    if (dnnl_memory_desc_init_by_strides(&md, ndims, d, dnnl_f32, strides) != dnnl_success) {
        fprintf(stderr, "bdsweep: engine: a strided memory descriptor of %d dims cannot be made\n", ndims);
        abort();
    }
    return md;
}

dnnl_memory_desc_t dn_md_canon(const BdGraph *g, int i, int n, int total) {
    const BdShape s = g->nodes[i].shape;
    const dnnl_dim_t plane = (dnnl_dim_t)s.h * s.w;
    const dnnl_dims_t d = {n, s.c, s.h, s.w}, strides = {plane, plane * total, s.w, 1}; /* CNHW of total samples */
    return md_strides(4, d, strides);
}

dnnl_memory_desc_t dn_md_2d(int n, int f, dnnl_data_type_t dt) {
    const dnnl_dims_t d = {n, f};
    return md_tag(2, d, dt, dnnl_nc);
}

dnnl_memory_desc_t dn_md_mat(dnnl_dim_t rows, dnnl_dim_t cols, dnnl_dim_t ld, dnnl_dim_t cs) {
    const dnnl_dims_t d = {rows, cols}, strides = {ld, cs};
    return md_strides(2, d, strides);
}

dnnl_memory_desc_t dn_md_x(int len) {
    const dnnl_dims_t d = {len};
    return md_tag(1, d, dnnl_f32, dnnl_x);
}

size_t dn_act_bytes(const BdGraph *g, int i, int n) { return bd_numel(g->nodes[i].shape, n) * g->dnnl->dt_size; }

dnnl_primitive_attr_t dn_attr(int relu, int sum) {
    dnnl_primitive_attr_t a;
    if (dnnl_primitive_attr_create(&a) != dnnl_success ||
        dnnl_primitive_attr_set_scratchpad_mode(a, dnnl_scratchpad_mode_user) != dnnl_success) {
        fprintf(stderr, "bdsweep: engine: oneDNN cannot make a primitive attribute\n");
        abort();
    }
    if (relu || sum) {
        dnnl_post_ops_t po;
        dnnl_post_ops_create(&po);
        if (sum) dnnl_post_ops_append_sum(po, 1.0f);
        if (relu) dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f);
        dnnl_primitive_attr_set_post_ops(a, po);
        dnnl_post_ops_destroy(po);
    }
    return a;
}

/* Grows an array of the set by one element of `size` bytes. */
static void *push(void **arr, int *n, int *cap, size_t size) {
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 64;
        *arr = bd_xrealloc(*arr, (size_t)*cap * size);
    }
    return (char *)*arr + (size_t)(*n)++ * size;
}

dnnl_memory_t dn_mem(DnSet *s, BdGraph *g, const dnnl_memory_desc_t *md, void *ptr) {
    dnnl_memory_t m;
    if (dnnl_memory_create(&m, md, g->dnnl->eng, ptr ? ptr : DNNL_MEMORY_NONE) != dnnl_success) {
        fprintf(stderr, "bdsweep: engine: oneDNN cannot make a memory object\n");
        abort();
    }
    *(dnnl_memory_t *)push((void **)&s->mems, &s->n_mems, &s->cap_mems, sizeof m) = m;
    /* over a mixing node's output: it follows where that output is (dn_mix_alias) */
    for (int i = 0; ptr && i < g->n_nodes; i++)
        if (g->dnnl->nodes[i].own == ptr) {
            DnAlias *a = push((void **)&s->aliases, &s->n_aliases, &s->cap_aliases, sizeof *a);
            a->mem = m;
            a->node = i;
            a->at = ptr;
        }
    return m;
}

void dn_mix_alias(BdGraph *g, int i, int own) {
    DnNode *dn = dn_node(g, i);
    dn->data = own ? dn->own : dn_node(g, g->nodes[i].in[0])->data;
    DnSet *s = g->dnnl->cur;
    for (int k = 0; k < s->n_aliases; k++)
        if (s->aliases[k].node == i && s->aliases[k].at != dn->data) {
            dnnl_memory_set_data_handle(s->aliases[k].mem, dn->data);
            s->aliases[k].at = dn->data;
        }
}

void dn_need(BdGraph *g, int buf, size_t bytes) {
    DnBuf *b = &g->dnnl->bufs[buf];
    if (b->need < bytes) b->need = bytes;
}

static dnnl_memory_t over(DnSet *s, BdGraph *g, const dnnl_memory_desc_t *md, DnBuf *b, size_t off) {
    dnnl_memory_t m = dn_mem(s, g, md, NULL);
    const size_t end = off + dnnl_memory_desc_get_size(md);
    if (b->need < end) b->need = end;
    DnShared *sh = push((void **)&s->shared, &s->n_shared, &s->cap_shared, sizeof *sh);
    sh->mem = m;
    sh->buf = b;
    sh->off = off;
    return m;
}

dnnl_memory_t dn_shared(DnSet *s, BdGraph *g, const dnnl_memory_desc_t *md, int buf, size_t off) {
    return over(s, g, md, &g->dnnl->bufs[buf], off);
}

dnnl_memory_t dn_eval_weights(DnSet *s, BdGraph *g, int i, const dnnl_memory_desc_t *md, size_t off) {
    return over(s, g, md, &g->dnnl->nodes[i].ewts, off);
}

void *dn_block(DnSet *s, size_t bytes) {
    void *p = bd_xcalloc(1, bytes);
    *(void **)push((void **)&s->blocks, &s->n_blocks, &s->cap_blocks, sizeof p) = p;
    return p;
}

const dnnl_memory_desc_t *dn_pd_md(const_dnnl_primitive_desc_t pd, dnnl_query_t what) {
    return dnnl_primitive_desc_query_md(pd, what, 0);
}

void dn_arg(DnExec *e, int arg, dnnl_memory_t m) {
    if (e->nargs == DN_MAX_ARGS) {
        fprintf(stderr, "bdsweep: engine: more than %d arguments to a primitive\n", DN_MAX_ARGS);
        abort();
    }
    e->args[e->nargs].arg = arg;
    e->args[e->nargs].memory = m;
    e->nargs++;
}

dnnl_status_t dn_prim(DnSet *s, BdGraph *g, const_dnnl_primitive_desc_t pd, DnExec *e) {
    dnnl_primitive_t p;
    dnnl_status_t st = dnnl_primitive_create(&p, pd);
    if (st != dnnl_success) return st;
    *(dnnl_primitive_t *)push((void **)&s->prims, &s->n_prims, &s->cap_prims, sizeof p) = p;
    memset(e, 0, sizeof *e);
    e->prim = p;
    const dnnl_memory_desc_t *sp = dn_pd_md(pd, dnnl_query_scratchpad_md);
    if (sp && dnnl_memory_desc_get_size(sp) > 0) dn_arg(e, DNNL_ARG_SCRATCHPAD, dn_shared(s, g, sp, DN_SCRATCH, 0));
    return dnnl_success;
}

dnnl_status_t dn_reorder(DnSet *s, BdGraph *g, dnnl_memory_t src, dnnl_memory_t dst, int sum, DnExec *e) {
    const dnnl_memory_desc_t *smd, *dmd;
    dnnl_memory_get_memory_desc(src, &smd);
    dnnl_memory_get_memory_desc(dst, &dmd);
    dnnl_primitive_attr_t a = dn_attr(0, sum);
    dnnl_primitive_desc_t pd;
    dnnl_status_t st = dnnl_reorder_primitive_desc_create(&pd, smd, g->dnnl->eng, dmd, g->dnnl->eng, a);
    dnnl_primitive_attr_destroy(a);
    if (st != dnnl_success) return st;
    st = dn_prim(s, g, pd, e);
    dnnl_primitive_desc_destroy(pd);
    if (st != dnnl_success) return st;
    dn_arg(e, DNNL_ARG_FROM, src);
    dn_arg(e, DNNL_ARG_TO, dst);
    return dnnl_success;
}

void dn_run(BdGraph *g, const DnExec *e) {
    if (!e->prim) return;
    dnnl_status_t st = dnnl_primitive_execute(e->prim, g->dnnl->stream, e->nargs, e->args);
    if (st != dnnl_success) {
        const_dnnl_primitive_desc_t pd;
        const char *info = "?";
        if (dnnl_primitive_get_primitive_desc(e->prim, &pd) == dnnl_success)
            dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &info);
        fprintf(stderr, "bdsweep: engine: oneDNN primitive %s failed: %s\n", info, dnnl_status2str(st));
        abort();
    }
}

dnnl_status_t dn_weights_in(DnSet *s, BdGraph *g, const dnnl_memory_desc_t *user_md, float *params,
                            const dnnl_memory_desc_t *prim_md, DnExec *reorder, dnnl_memory_t *used) {
    dnnl_memory_t user = dn_mem(s, g, user_md, params);
    memset(reorder, 0, sizeof *reorder);
    if (dnnl_memory_desc_equal(user_md, prim_md)) {
        *used = user;
        return dnnl_success;
    }
    *used = dn_shared(s, g, prim_md, DN_WEIGHTS, 0);
    return dn_reorder(s, g, user, *used, 0, reorder);
}

dnnl_status_t dn_weights_out(DnSet *s, BdGraph *g, const dnnl_memory_desc_t *user_md, float *grads,
                             const dnnl_memory_desc_t *prim_md, DnExec *reorder, dnnl_memory_t *prim_mem) {
    *prim_mem = dn_shared(s, g, prim_md, DN_WEIGHTS, 0);
    return dn_reorder(s, g, *prim_mem, dn_mem(s, g, user_md, grads), 1, reorder);
}
