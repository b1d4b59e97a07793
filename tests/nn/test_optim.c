/* SGD against hand-computed PyTorch steps, clipping, frozen tensors. */
#include <stdlib.h>

#include "check.h"
#include "nn.h"
#include "optim.h"

/* input [1] -> fc1 [2] -> fc [2]: tensors fc1.weight [2,1], fc1.bias, fc.weight [2,2], fc.bias */
static BdGraph *tiny(void) {
    BdGraph *g = bd_graph_new((BdShape){1, 1, 1}, 1);
    int x = bd_linear(g, bd_input(g), 2, "fc1");
    bd_graph_set_output(g, bd_linear(g, x, 2, "fc"));
    BdError err;
    if (bd_graph_finalize(g, &err) < 0) abort();
    return g;
}

static void set_all(BdGraph *g, float w, float gr) {
    for (size_t i = 0; i < g->n_params; i++) {
        g->params[i] = w;
        g->grads[i] = gr;
    }
}

/* w0 = 1, grad 0.2 every step, lr 0.5, weight decay 0.1, momentum 0.9:
 *   plain:    d1 = 0.3, v1 = 0.3, w1 = 0.85;  d2 = 0.285, v2 = 0.555, w2 = 0.5725
 *   nesterov: w1 = 1 - 0.5*(0.3 + 0.27) = 0.715;
 *             d2 = 0.2715, v2 = 0.5415, w2 = 0.715 - 0.5*(0.2715 + 0.48735) = 0.335575
 *   no momentum: w1 = 0.85, w2 = 0.85 - 0.5*0.285 = 0.7075 */
static void test_sgd_steps(void) {
    const struct {
        float mom;
        int nesterov;
        double w1, w2;
    } cases[] = {{0.9f, 0, 0.85, 0.5725}, {0.9f, 1, 0.715, 0.335575}, {0.0f, 0, 0.85, 0.7075}};
    for (int c = 0; c < 3; c++) {
        BdGraph *g = tiny();
        BdSgd o;
        bd_sgd_init(&o, g, cases[c].mom, 0.1f, cases[c].nesterov);
        set_all(g, 1.0f, 0.2f);
        bd_sgd_step(&o, g, 0.5f);
        for (size_t i = 0; i < g->n_params; i++) CHECK_NEAR(g->params[i], cases[c].w1, 1e-6);
        bd_sgd_step(&o, g, 0.5f);
        for (size_t i = 0; i < g->n_params; i++) CHECK_NEAR(g->params[i], cases[c].w2, 1e-6);
        CHECK(o.steps == 2);
        bd_sgd_free(&o);
        bd_graph_free(g);
    }
}

static void test_frozen_and_clip(void) {
    BdGraph *g = tiny();
    BdSgd o;
    bd_sgd_init(&o, g, 0.9f, 0.0f, 0);
    const char *head[] = {"fc.", NULL};
    bd_sgd_train_only(&o, g, head);
    int w1 = bd_graph_find_param(g, "fc1.weight"), w = bd_graph_find_param(g, "fc.weight");
    CHECK(o.frozen[w1] == 1 && o.frozen[bd_graph_find_param(g, "fc1.bias")] == 1);
    CHECK(o.frozen[w] == 0 && o.frozen[bd_graph_find_param(g, "fc.bias")] == 0);
    set_all(g, 1.0f, 1.0f);
    /* norm over the trainable tensors only: fc.weight (4) + fc.bias (2) = sqrt(6) */
    CHECK_NEAR(bd_grad_norm(&o, g), sqrt(6.0), 1e-9);
    bd_sgd_step(&o, g, 0.1f);
    CHECK(g->params[g->param_info[w1].off] == 1.0f);
    CHECK_NEAR(g->params[g->param_info[w].off], 0.9, 1e-7);
    /* Unfreezing later: the tensor's momentum starts at its first gradient. */
    bd_sgd_train_only(&o, g, NULL);
    set_all(g, 1.0f, 1.0f);
    bd_sgd_step(&o, g, 0.1f);
    CHECK_NEAR(g->params[g->param_info[w1].off], 0.9, 1e-7);  /* v = g = 1 */
    CHECK_NEAR(g->params[g->param_info[w].off], 0.81, 1e-7); /* v = 0.9 + 1 */

    /* clip_grad_norm_: grads 3 and 4 elsewhere 0 -> norm 5 -> scaled by 1/(5 + 1e-6) */
    set_all(g, 1.0f, 0.0f);
    g->grads[0] = 3.0f;
    g->grads[1] = 4.0f;
    CHECK_NEAR(bd_clip_grad_norm(&o, g, 10.0), 5.0, 1e-9);
    CHECK(g->grads[0] == 3.0f);
    CHECK_NEAR(bd_clip_grad_norm(&o, g, 1.0), 5.0, 1e-9);
    CHECK_NEAR(g->grads[0], 3.0 / (5.0 + 1e-6), 1e-7);
    CHECK_NEAR(g->grads[1], 4.0 / (5.0 + 1e-6), 1e-7);
    CHECK_NEAR(bd_grad_norm(&o, g), 1.0, 1e-6);
    CHECK_NEAR(bd_clip_grad_norm(&o, g, 0.0), 1.0, 1e-6); /* no-op */
    bd_sgd_free(&o);
    bd_graph_free(g);
}

/* Weight decay only where the tensor says so. */
static void test_decay_flag(void) {
    BdGraph *g = tiny();
    BdSgd o;
    bd_sgd_init(&o, g, 0.0f, 0.5f, 0);
    g->param_info[0].decay = 0;
    set_all(g, 2.0f, 0.0f);
    bd_sgd_step(&o, g, 1.0f);
    CHECK(g->params[g->param_info[0].off] == 2.0f);
    CHECK_NEAR(g->params[g->param_info[1].off], 1.0, 1e-7); /* 2 - 1 * 0.5 * 2 */
    bd_sgd_free(&o);
    bd_graph_free(g);
}

int main(void) {
    test_sgd_steps();
    test_frozen_and_clip();
    test_decay_flag();
    return check_result("optim");
}
