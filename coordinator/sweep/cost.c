#include "cost.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "axes.h"
#include "dataset.h"
#include "job.h"
#include "job_plan.h"
#include "models.h"
#include "text.h"

/* Per distinct dataset value: shape and sizes. Per distinct (arch, dataset):
 * the model's numbers. Sweeps have few of either, so linear lists do. */
typedef struct DataInfo {
    const char *text; /* the sweep's canonical value (not owned) */
    int ok;
    int nominal;      /* the data is not on this machine: the standard sizes were assumed */
    BdDataShape shape;
    int n_train, n_test;
    char why[256];
} DataInfo;

typedef struct ModelInfo {
    const char *arch, *data; /* not owned */
    int ok;
    long params;
    double train_gflop, eval_gflop;
    char why[256];
} ModelInfo;

typedef struct Cache {
    DataInfo *data;
    int n_data, cap_data;
    ModelInfo *models;
    int n_models, cap_models;
} Cache;

static const DataInfo *data_info(Cache *c, const char *text, const BdSpec *spec) {
    for (int i = 0; i < c->n_data; i++)
        if (!strcmp(c->data[i].text, text)) return &c->data[i];
    if (c->n_data == c->cap_data) {
        c->cap_data = c->cap_data ? 2 * c->cap_data : 8;
        c->data = bd_xrealloc(c->data, (size_t)c->cap_data * sizeof *c->data);
    }
    DataInfo *d = &c->data[c->n_data++];
    memset(d, 0, sizeof *d);
    d->text = text;
    BdError err = {{0}};
    d->ok = bd_dataset_shape(spec, &d->shape, &err) == 0 && bd_dataset_sizes(spec, &d->n_train, &d->n_test, &err) == 0;
    BdDataNominal nominal;
    if (!d->ok && bd_dataset_nominal(spec, &nominal, NULL) == 0) {
        /* The data is not on this machine: the standard files' sizes. */
        d->shape = nominal.shape;
        d->n_train = nominal.n_train;
        d->n_test = nominal.n_test;
        d->nominal = d->ok = 1;
    }
    if (!d->ok) bd_text_format(d->why, sizeof d->why, "%s", err.msg);
    return d;
}

static const ModelInfo *model_info(Cache *c, const char *arch_text, const BdSpec *arch, const DataInfo *d) {
    for (int i = 0; i < c->n_models; i++)
        if (!strcmp(c->models[i].arch, arch_text) && !strcmp(c->models[i].data, d->text)) return &c->models[i];
    if (c->n_models == c->cap_models) {
        c->cap_models = c->cap_models ? 2 * c->cap_models : 8;
        c->models = bd_xrealloc(c->models, (size_t)c->cap_models * sizeof *c->models);
    }
    ModelInfo *m = &c->models[c->n_models++];
    memset(m, 0, sizeof *m);
    m->arch = arch_text;
    m->data = d->text;
    BdGraph *g = NULL;
    BdError err = {{0}};
    BdShape in = {d->shape.c, d->shape.h, d->shape.w};
    /* A batch of one: only the per-image numbers are wanted. */
    m->ok = bd_model_build(arch, in, d->shape.classes, 1, &g, &err) == 0;
    if (m->ok) {
        m->params = (long)bd_graph_param_count(g);
        m->train_gflop = bd_graph_flops(g, 1) * 1e-9;
        m->eval_gflop = bd_graph_flops(g, 0) * 1e-9;
    } else {
        bd_text_format(m->why, sizeof m->why, "%s", err.msg);
    }
    bd_graph_free(g);
    return m;
}

/* GFLOP of one job: every phase of its plan (the worker's), each epoch
 * training on its images and evaluating the clean (and, for cells, at most
 * as many triggered) test images. */
static double job_gflop(const BdJob *job, const DataInfo *d, const ModelInfo *m) {
    BdJobPlan plan;
    bd_job_plan(job, d->n_train, d->n_test, &plan);
    double total = 0;
    for (int i = 0; i < plan.n_phases; i++) {
        const BdPhasePlan *p = &plan.phases[i];
        double eval = (p->triggered ? 2.0 : 1.0) * plan.n_test * m->eval_gflop;
        total += (double)p->cfg.epochs * p->train_samples * m->train_gflop + bd_phase_evaluations(p) * eval;
    }
    return total;
}

void bd_sweep_cost(const BdSweep *sw, BdSweepCost *out) {
    memset(out, 0, sizeof *out);
    out->cells = bd_xcalloc((size_t)sw->n_cells + 1, sizeof *out->cells);
    Cache cache = {0};
    BdJob job;
    BdCell *cell = &job.cell;
    job.kind = BD_JOB_CELL;
    /* Pre-training jobs are counted once each. */
    const char **pre_seen = bd_xcalloc((size_t)sw->n_cells + 1, sizeof *pre_seen);
    int n_pre = 0;
    for (int i = 0; i < sw->n_cells; i++) {
        const BdSweepCell *sc = &sw->cells[i];
        BdCellCost *cc = &out->cells[i];
        BdError err = {{0}};
        if (bd_cell_parse(bd_axes(), sc->key, cell, &err) < 0) {
            bd_text_format(cc->why, sizeof cc->why, "%s", err.msg);
            out->unknown++;
            continue;
        }
        const DataInfo *d = data_info(&cache, sc->values[BD_AXIS_DATASET], &cell->v[BD_AXIS_DATASET]);
        if (!d->ok) {
            bd_text_format(cc->why, sizeof cc->why, "%s", d->why);
            out->unknown++;
            continue;
        }
        const ModelInfo *m = model_info(&cache, sc->values[BD_AXIS_ARCH], &cell->v[BD_AXIS_ARCH], d);
        if (!m->ok) {
            bd_text_format(cc->why, sizeof cc->why, "%s", m->why);
            out->unknown++;
            continue;
        }
        cc->known = 1;
        cc->nominal = d->nominal;
        out->nominal += d->nominal;
        cc->params = m->params;
        cc->train_gflop = m->train_gflop;
        cc->total_gflop = job_gflop(&job, d, m);
        out->total_gflop += cc->total_gflop;
        if (sc->pretrain_key) {
            int seen = 0;
            for (int k = 0; k < n_pre && !seen; k++) seen = !strcmp(pre_seen[k], sc->pretrain_key);
            BdJob pre;
            if (!seen && bd_job_parse(bd_axes(), sc->pretrain_key, &pre, NULL) == 0) {
                pre_seen[n_pre++] = sc->pretrain_key;
                out->pretrain_gflop += job_gflop(&pre, d, m);
            }
        }
    }
    out->total_gflop += out->pretrain_gflop;
    free(pre_seen);
    free(cache.data);
    free(cache.models);
}

void bd_sweep_cost_free(BdSweepCost *c) {
    free(c->cells);
    memset(c, 0, sizeof *c);
}
