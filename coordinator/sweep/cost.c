#include "cost.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "axes.h"
#include "dataset.h"
#include "models.h"
#include "sweep_internal.h"

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

struct CostCache {
    DataInfo *data;    /* [dataset value] */
    ModelInfo *models; /* [arch value * n_datasets + dataset value] */
    int n_datasets;
    SwStrSet pretrain; /* the pre-training jobs counted */
    /* The last cell's cost and the values it depends on: consecutive cells
     * mostly differ in axes that do not change it (seed, rate, trigger). */
    int last[4];
    BdCellCost last_cost;
};

/* What a cell's cost depends on (its pre-training job aside). */
static const BdAxis cost_axes[4] = {BD_AXIS_DATASET, BD_AXIS_ARCH, BD_AXIS_TRAIN, BD_AXIS_RETRAIN};

/* The published sizes of the standard datasets, for a sweep planned on a
 * machine that does not hold the data (a laptop planning a cluster run).
 * Flowers is assumed to be TensorFlow's flowers (3,670 images of 5 classes)
 * split as the spec says. */
static int nominal_sizes(const BdSpec *spec, DataInfo *d) {
    const char *n = spec->name;
    if (!strcmp(n, "cifar10")) {
        d->shape = (BdDataShape){3, 32, 32, 10};
        d->n_train = 50000, d->n_test = 10000;
    } else if (!strcmp(n, "mnist") || !strcmp(n, "fashion-mnist")) {
        d->shape = (BdDataShape){1, 28, 28, 10};
        d->n_train = 60000, d->n_test = 10000;
    } else if (!strcmp(n, "flowers")) {
        int side = (int)bd_spec_int(spec, "size");
        d->shape = (BdDataShape){3, side, side, 5};
        d->n_test = (int)(3670 * bd_spec_float(spec, "test_fraction") + 0.5);
        d->n_train = 3670 - d->n_test;
    } else {
        return -1;
    }
    d->nominal = 1;
    return 0;
}

static const DataInfo *data_info(struct CostCache *c, int i, const BdSpec *spec) {
    DataInfo *d = &c->data[i];
    if (d->made) return d;
    d->made = 1;
    BdError err = {{0}};
    d->ok = bd_dataset_shape(spec, &d->shape, &err) == 0 && bd_dataset_sizes(spec, &d->n_train, &d->n_test, &err) == 0;
    if (!d->ok && nominal_sizes(spec, d) == 0) d->ok = 1;
    if (!d->ok) snprintf(d->why, sizeof d->why, "%s", err.msg);
    return d;
}

static const ModelInfo *model_info(struct CostCache *c, int arch_i, int data_i, const BdSpec *arch,
                                   const DataInfo *d) {
    ModelInfo *m = &c->models[(size_t)arch_i * (size_t)c->n_datasets + (size_t)data_i];
    if (m->made) return m;
    m->made = 1;
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
        snprintf(m->why, sizeof m->why, "%s", err.msg);
    }
    bd_graph_free(g);
    return m;
}

static int limited(int n, long limit) { return limit > 0 && limit < n ? (int)limit : n; }

/* GFLOP of one cell: training, evaluation after every epoch, retraining. */
static double cell_gflop(const BdSpec *train, const BdSpec *retrain, const DataInfo *d, const ModelInfo *m) {
    int n_train = limited(d->n_train, bd_spec_int(train, "limit_train"));
    int n_test = limited(d->n_test, bd_spec_int(train, "limit_test"));
    long epochs = bd_spec_int(train, "epochs");
    double eval = 2.0 * n_test * m->eval_gflop; /* clean and (at most as many) triggered images */
    double held = 0, total;
    if (strcmp(retrain->name, "none")) held = bd_spec_float(retrain, "fraction") * n_train;
    total = (double)epochs * ((n_train - held) * m->train_gflop + eval) + (epochs ? 0 : eval);
    if (held > 0) total += (double)bd_spec_int(retrain, "epochs") * (held * m->train_gflop + eval);
    return total;
}

void bd_sweep_cost_begin(const BdSweep *sw, BdSweepCost *out) {
    memset(out, 0, sizeof *out);
    struct CostCache *c = bd_xcalloc(1, sizeof *c);
    c->n_datasets = sw->axes[BD_AXIS_DATASET].n;
    c->data = bd_xcalloc((size_t)c->n_datasets, sizeof *c->data);
    c->models = bd_xcalloc((size_t)sw->axes[BD_AXIS_ARCH].n * (size_t)c->n_datasets, sizeof *c->models);
    for (int k = 0; k < 4; k++) c->last[k] = -1;
    out->cache = c;
}

/* The cost of a cell made of these values, its pre-training job aside. */
static void cell_cost(struct CostCache *cache, const BdSweep *sw, const int *idx, BdCellCost *cc) {
    memset(cc, 0, sizeof *cc);
#define SPEC(axis) bd_sweep_spec(sw, axis, idx[axis])
    const DataInfo *d = data_info(cache, idx[BD_AXIS_DATASET], SPEC(BD_AXIS_DATASET));
    if (!d->ok) {
        snprintf(cc->why, sizeof cc->why, "%s", d->why);
        return;
    }
    const ModelInfo *m = model_info(cache, idx[BD_AXIS_ARCH], idx[BD_AXIS_DATASET], SPEC(BD_AXIS_ARCH), d);
    if (!m->ok) {
        snprintf(cc->why, sizeof cc->why, "%s", m->why);
        return;
    }
    cc->known = 1;
    cc->nominal = d->nominal;
    cc->params = m->params;
    cc->train_gflop = m->train_gflop;
    cc->total_gflop = cell_gflop(SPEC(BD_AXIS_TRAIN), SPEC(BD_AXIS_RETRAIN), d, m);
#undef SPEC
}

void bd_sweep_cost_cell(BdSweepCost *out, const BdSweep *sw, const BdSweepWalk *w, BdCellCost *cc) {
    struct CostCache *c = out->cache;
    const int *idx = w->idx;
    int same = 1;
    for (int k = 0; k < 4; k++) same &= c->last[k] == idx[cost_axes[k]];
    if (!same) {
        cell_cost(c, sw, idx, &c->last_cost);
        for (int k = 0; k < 4; k++) c->last[k] = idx[cost_axes[k]];
    }
    *cc = c->last_cost;
    if (!cc->known) {
        out->unknown++;
        return;
    }
    out->nominal += cc->nominal;
    out->total_gflop += cc->total_gflop;
    /* Pre-training jobs are counted once each. */
    if (w->cell.pretrain_key && sw_strset_put(&c->pretrain, w->cell.pretrain_key, 0) < 0) {
        const DataInfo *d = &c->data[idx[BD_AXIS_DATASET]];
        const ModelInfo *m = &c->models[(size_t)idx[BD_AXIS_ARCH] * (size_t)c->n_datasets + (size_t)idx[BD_AXIS_DATASET]];
        const BdSpec *train = bd_sweep_spec(sw, BD_AXIS_TRAIN, idx[BD_AXIS_TRAIN]);
        int n_train = limited(d->n_train, bd_spec_int(train, "limit_train"));
        int n_test = limited(d->n_test, bd_spec_int(train, "limit_test"));
        double e = (double)bd_spec_int(bd_sweep_spec(sw, BD_AXIS_INIT, idx[BD_AXIS_INIT]), "epochs");
        out->pretrain_gflop += e * (n_train * m->train_gflop + n_test * m->eval_gflop);
    }
}

void bd_sweep_cost_end(BdSweepCost *out) {
    out->total_gflop += out->pretrain_gflop;
    struct CostCache *c = out->cache;
    if (!c) return;
    free(c->data);
    free(c->models);
    sw_strset_free(&c->pretrain);
    free(c);
    out->cache = NULL;
}
