#include "cost.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "axes.h"
#include "dataset.h"
#include "job.h"
#include "job_plan.h"
#include "models.h"
#include "sweep_internal.h"
#include "text.h"

/* Per dataset value: shape and sizes. Per (arch, dataset) value pair: the
 * model's numbers. Made when a cell first needs them, kept by value index. */
typedef struct DataInfo {
    int made;
    int ok;
    int nominal;      /* the data is not on this machine: the standard sizes were assumed */
    BdDataShape shape;
    int n_train, n_test;
    char why[256];
} DataInfo;

typedef struct ModelInfo {
    int made;
    int ok;
    long params;
    double train_gflop, eval_gflop;
    char why[256];
} ModelInfo;

/* The memory of a model at a batch and in the precisions of a job's
 * phases (bd_job_memory). Sweeps have a few of them: a list. */
typedef struct MemoryInfo {
    int arch, data, max_batch;
    unsigned precisions; /* 1 << BdPrecision of each phase */
    double bytes;        /* 0: not known here */
} MemoryInfo;

struct CostCache {
    DataInfo *data;    /* [dataset value] */
    ModelInfo *models; /* [arch value * n_datasets + dataset value] */
    int n_datasets;
    MemoryInfo *memory;
    int n_memory;
    SwStrSet pretrain; /* the pre-training jobs counted */
    /* The last cell's cost and the values it depends on: consecutive cells
     * mostly differ in axes that do not change it (seed, rate, trigger). */
    int last[4], last_attacks;
    BdCellCost last_cost;
    BdJob job; /* a cell job with the values the cost depends on, for bd_job_plan */
};

/* What a cell's cost depends on (its pre-training job aside). */
static const BdAxis cost_axes[4] = {BD_AXIS_DATASET, BD_AXIS_ARCH, BD_AXIS_TRAIN, BD_AXIS_RETRAIN};

static const DataInfo *data_info(struct CostCache *c, int i, const BdSpec *spec) {
    DataInfo *d = &c->data[i];
    if (d->made) return d;
    d->made = 1;
    BdError err = {0};
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

static const ModelInfo *model_info(struct CostCache *c, int arch_i, int data_i, const BdSpec *arch,
                                   const DataInfo *d) {
    ModelInfo *m = &c->models[(size_t)arch_i * (size_t)c->n_datasets + (size_t)data_i];
    if (m->made) return m;
    m->made = 1;
    BdGraph *g = NULL;
    BdError err = {0};
    BdShape in = {d->shape.c, d->shape.h, d->shape.w};
    /* Its shapes only (nothing of the model's size is allocated), at a batch
     * of one: only the per-image numbers are wanted, and they are the same
     * on either engine. */
    m->ok = bd_model_build_shapes(arch, in, d->shape.classes, 1, BD_ENGINE_REF, BD_FP32, &g, &err) == 0;
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
 * training on its images and evaluating the clean test images and, per
 * attack it is measured against, at most as many triggered ones. *bf16
 * receives the part computed in bf16. */
static double job_gflop(const BdJob *job, int n_attacks, const DataInfo *d, const ModelInfo *m, double *bf16) {
    BdJobPlan plan;
    bd_job_plan(job, d->n_train, d->n_test, &plan);
    double total = 0;
    *bf16 = 0;
    for (int i = 0; i < plan.n_phases; i++) {
        const BdPhasePlan *p = &plan.phases[i];
        double eval = (1.0 + (p->triggered ? n_attacks : 0)) * plan.n_test * m->eval_gflop;
        double phase = (double)p->cfg.epochs * p->train_samples * m->train_gflop + bd_phase_evaluations(p) * eval;
        total += phase;
        if (p->cfg.precision == BD_BF16) *bf16 += phase;
    }
    return total;
}

double bd_sweep_cost_memory(BdSweepCost *cost, const BdSweep *sw, int data_i, int arch_i, const BdJob *job) {
    struct CostCache *c = cost->cache;
    const DataInfo *d = data_info(c, data_i, bd_sweep_spec(sw, BD_AXIS_DATASET, data_i));
    if (!d->ok) return 0;
    BdJobPlan plan;
    bd_job_plan(job, 1, 1, &plan); /* the batches and precisions do not depend on the dataset's size */
    unsigned precisions = 0;
    for (int i = 0; i < plan.n_phases; i++) precisions |= 1u << plan.phases[i].cfg.precision;
    for (int i = 0; i < c->n_memory; i++) {
        const MemoryInfo *m = &c->memory[i];
        if (m->arch == arch_i && m->data == data_i && m->max_batch == plan.max_batch && m->precisions == precisions)
            return m->bytes;
    }
    BdGraphMemory mem;
    BdShape in = {d->shape.c, d->shape.h, d->shape.w};
    double bytes = bd_job_memory(&plan, bd_sweep_spec(sw, BD_AXIS_ARCH, arch_i), in, d->shape.classes, &mem, NULL) == 0
                       ? (double)mem.total
                       : 0;
    c->memory = bd_xrealloc(c->memory, sizeof *c->memory * (size_t)(c->n_memory + 1));
    c->memory[c->n_memory++] = (MemoryInfo){arch_i, data_i, plan.max_batch, precisions, bytes};
    return bytes;
}

/* The largest memory of the sweep's models, and whose. */
static void note_memory(BdSweepCost *c, double bytes, int data_i, int arch_i) {
    if (bytes <= c->max_memory) return;
    c->max_memory = bytes;
    c->max_memory_data = data_i;
    c->max_memory_arch = arch_i;
}

void bd_sweep_cost_begin(const BdSweep *sw, BdSweepCost *out) {
    memset(out, 0, sizeof *out);
    struct CostCache *c = bd_xcalloc(1, sizeof *c);
    c->n_datasets = sw->axes[BD_AXIS_DATASET].n;
    c->data = bd_xcalloc((size_t)c->n_datasets, sizeof *c->data);
    c->models = bd_xcalloc((size_t)sw->axes[BD_AXIS_ARCH].n * (size_t)c->n_datasets, sizeof *c->models);
    for (int k = 0; k < 4; k++) c->last[k] = -1;
    c->last_attacks = -1;
    out->cache = c;
    out->max_memory_data = out->max_memory_arch = -1;
}

/* The cost of a model made of these values, measured against n_attacks
 * attacks, its pre-training job aside. (A clean model trains as a cell does.) */
static void model_cost(BdSweepCost *cost, const BdSweep *sw, const int *idx, int n_attacks, BdCellCost *cc) {
    struct CostCache *cache = cost->cache;
    memset(cc, 0, sizeof *cc);
#define SPEC(axis) bd_sweep_spec(sw, axis, idx[axis])
    const DataInfo *d = data_info(cache, idx[BD_AXIS_DATASET], SPEC(BD_AXIS_DATASET));
    if (!d->ok) {
        bd_text_format(cc->why, sizeof cc->why, "%s", d->why);
        return;
    }
    const ModelInfo *m = model_info(cache, idx[BD_AXIS_ARCH], idx[BD_AXIS_DATASET], SPEC(BD_AXIS_ARCH), d);
    if (!m->ok) {
        bd_text_format(cc->why, sizeof cc->why, "%s", m->why);
        return;
    }
    cc->known = 1;
    cc->nominal = d->nominal;
    cc->params = m->params;
    cc->train_gflop = m->train_gflop;
    /* bd_job_plan reads the training and retraining settings of a cell. */
    cache->job.kind = BD_JOB_CELL;
    cache->job.cell.v[BD_AXIS_TRAIN] = *SPEC(BD_AXIS_TRAIN);
    cache->job.cell.v[BD_AXIS_RETRAIN] = *SPEC(BD_AXIS_RETRAIN);
    cc->total_gflop = job_gflop(&cache->job, n_attacks, d, m, &cc->bf16_gflop);
    cc->memory = bd_sweep_cost_memory(cost, sw, idx[BD_AXIS_DATASET], idx[BD_AXIS_ARCH], &cache->job);
#undef SPEC
}

void bd_sweep_cost_cell(BdSweepCost *out, const BdSweep *sw, const BdSweepWalk *w, int i, BdCellCost *cc) {
    struct CostCache *c = out->cache;
    const int *idx = w->idx;
    int model = bd_sweep_model_of(&sw->models, sw, w);
    const BdSweepModel *clean = model >= 0 ? &sw->models.clean[model] : NULL;
    int n_attacks = clean ? clean->n_attacks : 1;
    int same = c->last_attacks == n_attacks;
    for (int k = 0; k < 4; k++) same &= c->last[k] == idx[cost_axes[k]];
    if (!same) {
        model_cost(out, sw, idx, n_attacks, &c->last_cost);
        for (int k = 0; k < 4; k++) c->last[k] = idx[cost_axes[k]];
        c->last_attacks = n_attacks;
    }
    *cc = c->last_cost;
    cc->shared_by = clean ? clean->n_cells : 1;
    cc->clean = clean != NULL;
    if (!cc->known) {
        out->unknown++;
        return;
    }
    out->nominal += cc->nominal;
    if (!clean || clean->first_cell == i) { /* each model once */
        out->total_gflop += cc->total_gflop;
        out->bf16_gflop += cc->bf16_gflop;
    }
    note_memory(out, cc->memory, idx[BD_AXIS_DATASET], idx[BD_AXIS_ARCH]);
    /* Pre-training jobs are counted once each. */
    BdJob pre;
    if (w->cell.pretrain_key && sw_strset_put(&c->pretrain, w->cell.pretrain_key, 0) < 0 &&
        bd_job_parse(bd_axes(), w->cell.pretrain_key, &pre, NULL) == 0) {
        const DataInfo *d = &c->data[idx[BD_AXIS_DATASET]];
        const ModelInfo *m = &c->models[(size_t)idx[BD_AXIS_ARCH] * (size_t)c->n_datasets + (size_t)idx[BD_AXIS_DATASET]];
        double bf16;
        out->pretrain_gflop += job_gflop(&pre, 0, d, m, &bf16);
        out->bf16_gflop += bf16;
        note_memory(out, bd_sweep_cost_memory(out, sw, idx[BD_AXIS_DATASET], idx[BD_AXIS_ARCH], &pre),
                    idx[BD_AXIS_DATASET], idx[BD_AXIS_ARCH]);
    }
}

void bd_sweep_cost_end(BdSweepCost *out) {
    out->total_gflop += out->pretrain_gflop;
    struct CostCache *c = out->cache;
    if (!c) return;
    free(c->data);
    free(c->models);
    free(c->memory);
    sw_strset_free(&c->pretrain);
    free(c);
    out->cache = NULL;
}
