/* A build without oneDNN (-Ddnnl=disabled): bd_graph_finalize refuses the
 * oneDNN engine (bd_engine_available), so no graph ever has g->dnnl and
 * none of these is reached. */
#include <stdio.h>
#include <stdlib.h>

#include "dnnl_engine.h"

static void unreachable(void) {
    fprintf(stderr, "bdsweep: engine: the oneDNN engine is not in this build\n");
    abort();
}

int bd_dnnl_finalize(BdGraph *g, BdError *err) {
    (void)g;
    return bd_fail(err, "this bdsweep was built without oneDNN (-Ddnnl=disabled)");
}
void bd_dnnl_free(BdGraph *g) { (void)g; }
int bd_dnnl_memory(BdGraph *g, BdGraphMemory *m, BdError *err) {
    (void)g, (void)m;
    return bd_fail(err, "this bdsweep was built without oneDNN (-Ddnnl=disabled)");
}
int bd_dnnl_prepare(BdGraph *g, int n, BdError *err) {
    (void)g, (void)n, (void)err;
    return 0;
}
int bd_dnnl_set_eval_chunk(BdGraph *g, int n) {
    (void)g, (void)n, unreachable();
    return 0;
}
void bd_dnnl_forward(BdGraph *g) { (void)g, unreachable(); }
void bd_dnnl_backward(BdGraph *g) { (void)g, unreachable(); }
float *bd_dnnl_out(BdGraph *g, int node) {
    (void)g, (void)node, unreachable();
    return NULL;
}
float *bd_dnnl_grad(BdGraph *g, int node) {
    (void)g, (void)node, unreachable();
    return NULL;
}
void bd_dnnl_zero_grads(BdGraph *g) { (void)g; }
uint64_t bd_dnnl_kinks(const BdGraph *g) {
    (void)g, unreachable();
    return 0;
}
size_t bd_dnnl_bytes(const BdGraph *g) {
    (void)g;
    return 0;
}
size_t bd_dnnl_arena_bytes(const BdGraph *g) {
    (void)g;
    return 0;
}
const char *bd_dnnl_isa(void) { return ""; }
BdBf16Support bd_dnnl_bf16(void) { return BD_BF16_AS_FP32; }
