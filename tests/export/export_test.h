/* What the export tests share: a model with weights and BN statistics that
 * no default could fake, saved as the checkpoint a cell would leave. */
#ifndef BD_EXPORT_TEST_H
#define BD_EXPORT_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "axes.h"
#include "cell.h"
#include "cell_ckpt.h"
#include "job_keys.h"
#include "models.h"
#include "rng.h"

/* Builds arch for the input and classes, initialises it and gives every BN
 * layer arbitrary gamma, beta and running statistics (at their initial
 * values, 1/0/0/1, a mix-up of mean and variance or of the BN tensors would
 * go unseen). NULL with err on failure. */
static BdGraph *random_model(const char *arch_text, BdShape in, int classes, int max_batch, uint64_t seed,
                             BdSpec *arch, BdError *err) {
    BdGraph *g = NULL;
    if (bd_axis_value_parse(bd_axes(), BD_AXIS_ARCH, arch_text, arch, err) < 0 ||
        bd_model_build(arch, in, classes, max_batch, &g, err) < 0)
        return NULL;
    bd_graph_init_params(g, seed);
    BdRng r;
    bd_rng_seed(&r, seed + 1);
    for (int i = 0; i < g->n_nodes; i++) {
        const BdNode *nd = &g->nodes[i];
        if (nd->op != BD_OP_BN) continue;
        const BdParam *gamma = &g->param_info[nd->w_param], *beta = &g->param_info[nd->b_param];
        const BdParam *mean = &g->buffer_info[nd->rm_buf], *var = &g->buffer_info[nd->rv_buf];
        for (size_t k = 0; k < gamma->len; k++) {
            g->params[gamma->off + k] = 0.5f + (float)bd_rng_uniform(&r);
            g->params[beta->off + k] = 0.1f * (float)bd_rng_normal(&r);
            g->buffers[mean->off + k] = 0.1f * (float)bd_rng_normal(&r);
            g->buffers[var->off + k] = 0.5f + (float)bd_rng_uniform(&r);
        }
    }
    return g;
}

/* The architecture key of a cell's checkpoints (job_keys.h). */
static void cell_arch_key(const BdSpec *arch, BdShape in, int classes, char *out, size_t cap) {
    BdCell c;
    memset(&c, 0, sizeof c);
    c.v[BD_AXIS_ARCH] = *arch;
    BdError err = {0};
    if (bd_arch_key(&c, in.c, in.h, in.w, classes, out, cap, &err) < 0) {
        fprintf(stderr, "cell_arch_key: %s\n", err.msg);
        abort();
    }
}

/* Saves g as a cell's checkpoint of `phase` after `epochs` epochs, with one
 * metric in its history (weights only, as a kept model is). */
static int save_cell_checkpoint(const char *path, const BdGraph *g, const BdSpec *arch, BdShape in, int classes,
                                const char *phase, int epochs, BdError *err) {
    char key[BD_SPEC_TEXT_MAX + 128];
    cell_arch_key(arch, in, classes, key, sizeof key);
    BdHistory h;
    bd_history_init(&h, NULL);
    const char *name = "clean_acc";
    const double value = 0.5;
    h.sink.metrics(h.sink.ud, phase, epochs, "", &name, &value, 1);
    BdCkptOwner owner = {"0123456789abcdef0123456789abcdef", "a test's job", 1, "reference fp32"};
    BdTrainPoint end = {.epoch = epochs};
    int rc = bd_cell_ckpt_save(path, key, &owner, g, NULL, &h, phase, &end, err);
    bd_history_free(&h);
    return rc;
}

#endif
