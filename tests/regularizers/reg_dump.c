/* For torch_reference.py (never run by the test suite, which must not need
 * PyTorch): one training step of a tiny resnet20 with a regularizer, printed
 * as text: lambda and the permutation (mixup), the loss parts, the input,
 * and every parameter with its gradient.
 *     build/tests/regularizers/reg_dump "snnl(layers=[stage1,penultimate])" > step.txt */
#include "regtest.h"

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: reg_dump REGULARIZER\n");
        return 2;
    }
    const int n = 8, K = 3;
    BdGraph *g = make_model("resnet20(blocks=1,width=4)", (BdShape){3, 8, 8}, K, n, 13);
    BdReg *r = make_reg(argv[1], g);
    if (!r) return 1;
    float *x = malloc(input_len(g, n) * sizeof *x);
    fill_normal(x, input_len(g, n), 99);
    int y[8], perm[8];
    for (int i = 0; i < n; i++) y[i] = (i * 7) % K;
    BdRng rng;
    bd_rng_seed(&rng, 6);
    bd_reg_before_forward(r, g, n, &rng);
    const float lam = g->mix_node >= 0 ? g->mix_lambda : 1.0f;
    for (int i = 0; i < n; i++) perm[i] = g->mix_perm_src ? g->mix_perm_src[i] : i;
    const char *point = g->mix_node >= 0 ? g->nodes[g->mix_node].tag : "none";
    BdLossParts parts;
    bd_graph_forward(g, x, n, BD_TRAIN, 0);
    bd_graph_zero_grads(g);
    bd_reg_loss(r, g, y, n, &parts);
    bd_graph_backward(g);
    printf("mix %s %.9g", point, lam);
    for (int i = 0; i < n; i++) printf(" %d", perm[i]);
    printf("\nloss %.9g %.9g\nx", parts.ce, parts.reg);
    for (size_t i = 0; i < input_len(g, n); i++) printf(" %.9g", x[i]);
    printf("\n");
    for (int t = 0; t < g->n_param_info; t++) {
        const BdParam *p = &g->param_info[t];
        printf("P %s", p->name);
        for (size_t i = 0; i < p->len; i++) printf(" %.9g", g->params[p->off + i]);
        printf("\nG %s", p->name);
        for (size_t i = 0; i < p->len; i++) printf(" %.9g", g->grads[p->off + i]);
        printf("\n");
    }
    free(x);
    bd_reg_free(r);
    bd_graph_free(g);
    return 0;
}
