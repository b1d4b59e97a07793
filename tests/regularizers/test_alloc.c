/* A training step with any regularizer allocates nothing: the hooks work in
 * what bd_reg_make allocated for the graph's max batch. alloc_count.h
 * counts every allocation of the process. */
#include "regtest.h"

#include "alloc_count.h"

static void steps(BdReg *r, BdGraph *g, const float *x, const int *y, int count, BdRng *rng) {
    for (int s = 0; s < count; s++) {
        int n = s % 2 ? g->max_batch : g->max_batch - 3; /* a short last batch too */
        BdLossParts parts;
        bd_reg_before_forward(r, g, n, rng);
        bd_graph_forward(g, x, n, BD_TRAIN, (uint64_t)s);
        bd_graph_zero_grads(g);
        bd_reg_loss(r, g, y, n, &parts);
        bd_graph_backward(g);
    }
}

int main(void) {
    const char *regs[] = {"none", "logit-squeeze", "contrastive", "snnl(layers=[input,stage1,stage2,penultimate])",
                          "manifold-mixup"};
    const int n = 12;
    for (size_t k = 0; k < sizeof regs / sizeof *regs; k++) {
        BdGraph *g = make_model("cnn-small(conv1=4,conv2=8,fc=16)", (BdShape){1, 12, 12}, 4, n, 1);
        BdReg *r = make_reg(regs[k], g);
        float *x = malloc(input_len(g, n) * sizeof *x);
        fill_normal(x, input_len(g, n), 2);
        int y[12];
        for (int i = 0; i < n; i++) y[i] = i % 4;
        BdRng rng;
        bd_rng_seed(&rng, 3);
        BdError err;
        CHECK(bd_graph_prepare_batch(g, n - 3, &err) == 0); /* the short batch's primitives (oneDNN) */
        steps(r, g, x, y, 2, &rng); /* the first steps may warm up the BLAS */
        const long before = allocations, big = lib_big, live = live_bytes;
        steps(r, g, x, y, 4, &rng);
        CHECK_MSG(allocations == before, "%s: %ld allocations in 4 training steps", regs[k], allocations - before);
        CHECK_MSG(lib_big == big && live_bytes == live, "%s: the libraries allocated %ld large buffers, %ld bytes kept",
                  regs[k], lib_big - big, live_bytes - live);
        free(x);
        bd_reg_free(r);
        bd_graph_free(g);
    }
    CHECK(!ALLOC_COUNTING || allocations > 0); /* the counters are in place */
    return check_result("regularizer steps allocate nothing");
}
