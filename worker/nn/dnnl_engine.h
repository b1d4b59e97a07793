/* Engine-internal: what graph.c calls of the oneDNN engine (dnnl_graph.c;
 * dnnl_stub.c in a build without oneDNN, where none of it is reached
 * because no graph can be finalized for that engine). */
#ifndef BD_NN_DNNL_ENGINE_H
#define BD_NN_DNNL_ENGINE_H

#include "nn.h"

/* The memory plan and the primitives of the max batch (again after a
 * precision change, bd_dnnl_free first). */
int bd_dnnl_finalize(BdGraph *g, BdError *err);
void bd_dnnl_free(BdGraph *g);
/* bd_graph_memory of a planned graph (nn.h), without making a primitive. */
int bd_dnnl_memory(BdGraph *g, BdGraphMemory *m, BdError *err);
/* The primitives of batch size n (made once, kept): training, and the
 * chunks of an evaluation. */
int bd_dnnl_prepare(BdGraph *g, int n, BdError *err);
/* bd_graph_set_eval_chunk (nn.h). */
int bd_dnnl_set_eval_chunk(BdGraph *g, int n);
/* Every node forward (g->n, g->mode, g->x set), then every backward. */
void bd_dnnl_forward(BdGraph *g);
void bd_dnnl_backward(BdGraph *g);
/* The canonical views (nn.h: bd_graph_out, bd_graph_grad). */
float *bd_dnnl_out(BdGraph *g, int node);
float *bd_dnnl_grad(BdGraph *g, int node);
void bd_dnnl_zero_grads(BdGraph *g);
uint64_t bd_dnnl_kinks(const BdGraph *g);
size_t bd_dnnl_bytes(const BdGraph *g);
size_t bd_dnnl_arena_bytes(const BdGraph *g);
const char *bd_dnnl_isa(void);
BdBf16Support bd_dnnl_bf16(void);

#endif
