#include "cell_run.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attack.h"
#include "axes.h"
#include "cell.h"
#include "models.h"
#include "regularizers.h"
#include "rng.h"
#include "trainer.h"

void bd_worker_init(BdWorker *w, int threads) {
    memset(w, 0, sizeof *w);
    w->threads = threads > 0 ? threads : 1;
    /* One rank per core is the default: BLAS must not start its own threads
     * on top of that unless asked. */
    openblas_set_num_threads(w->threads);
}

void bd_worker_free(BdWorker *w) {
    if (w->data_key[0]) bd_dataset_free(&w->data);
    memset(w, 0, sizeof *w);
}

/* The dataset of a cell, from the worker's cache when it is the same one. */
static int worker_dataset(BdWorker *w, const BdSpec *spec, const BdDataset **out, BdError *err) {
    char key[sizeof w->data_key];
    if (bd_spec_format_full(spec, key, sizeof key, err) < 0) return -1;
    if (strcmp(key, w->data_key)) {
        if (w->data_key[0]) bd_dataset_free(&w->data);
        w->data_key[0] = '\0';
        if (bd_dataset_load(spec, &w->data, err) < 0) return -1;
        snprintf(w->data_key, sizeof w->data_key, "%s", key);
    }
    *out = &w->data;
    return 0;
}

static size_t image_bytes(BdDataShape s) { return (size_t)s.c * s.h * s.w; }

/* A new split holding the samples idx[0..n) of src (copies). */
static void split_subset(const BdSplit *src, BdDataShape shape, const int *idx, int n, BdSplit *out) {
    size_t per = image_bytes(shape);
    out->n = n;
    out->x = bd_xmalloc((size_t)n * per + 1);
    out->y = bd_xmalloc((size_t)n * sizeof *out->y + sizeof *out->y);
    for (int i = 0; i < n; i++) {
        memcpy(out->x + (size_t)i * per, src->x + (size_t)idx[i] * per, per);
        out->y[i] = src->y[idx[i]];
    }
}

static void split_free(BdSplit *s) {
    free(s->x);
    free(s->y);
    memset(s, 0, sizeof *s);
}

/* Splits src into a held-out part of round(fraction * n) samples chosen with
 * rng and the rest, both in their original order. */
static void split_holdout(const BdSplit *src, BdDataShape shape, double fraction, BdRng *rng, BdSplit *rest,
                          BdSplit *held) {
    int n = src->n, k = (int)lround(fraction * n);
    int *all = bd_xmalloc((size_t)n * sizeof *all + sizeof *all);
    int *pick = bd_xmalloc((size_t)k * sizeof *pick + sizeof *pick);
    unsigned char *is_held = bd_xcalloc((size_t)n + 1, 1);
    for (int i = 0; i < n; i++) all[i] = i;
    bd_rng_choose(rng, all, (size_t)n, pick, (size_t)k);
    for (int i = 0; i < k; i++) is_held[pick[i]] = 1;
    int nh = 0, nr = 0;
    for (int i = 0; i < n; i++) {
        if (is_held[i]) pick[nh++] = i;
        else all[nr++] = i;
    }
    split_subset(src, shape, pick, nh, held);
    split_subset(src, shape, all, nr, rest);
    free(all);
    free(pick);
    free(is_held);
}

/* The triggered test set: every eligible test image with the trigger, its
 * label the attack's, its true label kept beside it. */
static void make_triggered(const BdSpec *strategy, long target, const BdTrigger *trig, const BdSplit *test,
                           BdDataShape shape, uint64_t seed, BdEvalSet *ev) {
    int *idx = bd_xmalloc((size_t)test->n * sizeof *idx + sizeof *idx), n = 0;
    for (int i = 0; i < test->n; i++)
        if (bd_strategy_eligible(strategy, target, test->y[i])) idx[n++] = i;
    split_subset(test, shape, idx, n, &ev->triggered);
    ev->triggered_true = bd_xmalloc((size_t)n * sizeof *ev->triggered_true + sizeof(int));
    BdRng where;
    bd_rng_stream(&where, seed, "test-trigger-location", 0);
    size_t per = image_bytes(shape);
    for (int i = 0; i < n; i++) {
        int y = ev->triggered.y[i];
        ev->triggered_true[i] = y;
        ev->triggered.y[i] = bd_strategy_attack_label(strategy, target, y, shape.classes);
        bd_trigger_apply(trig, ev->triggered.x + (size_t)i * per, &where);
    }
    free(idx);
}

typedef struct CellState {
    BdCell cell;
    uint64_t seed;
    BdDataShape shape;
    BdSplit train, held, test;
    BdTrigger *trigger;
    BdEvalSet ev;
    BdGraph *g;
    BdReg *reg;
    BdTrainer trainer;
    int trainer_ready;
} CellState;

static void cell_state_free(CellState *s) {
    if (s->trainer_ready) {
        bd_sgd_free(&s->trainer.opt);
        bd_trainer_free(&s->trainer);
    }
    bd_reg_free(s->reg);
    bd_graph_free(s->g);
    if (s->trigger) bd_trigger_free(s->trigger);
    split_free(&s->train);
    split_free(&s->held);
    split_free(&s->test);
    split_free(&s->ev.triggered);
    free(s->ev.triggered_true);
}

static int run(BdWorker *w, CellState *s, const char *key, const BdSink *sink, BdCellOutcome *out, BdError *err) {
    if (bd_cell_parse(bd_axes(), key, &s->cell, err) < 0) return -1;
    const BdCell *c = &s->cell;
    s->seed = bd_hash_str(key);
    const BdSpec *train_spec = &c->v[BD_AXIS_TRAIN], *retrain = &c->v[BD_AXIS_RETRAIN];
    const BdSpec *strategy = &c->v[BD_AXIS_STRATEGY];
    long target = bd_cell_target(c);
    double rate = bd_cell_poison_rate(c);

    if (strcmp(c->v[BD_AXIS_INIT].name, "scratch"))
        return bd_fail(err, "init '%s' is not supported by this build", c->v[BD_AXIS_INIT].name);

    /* Data: the cached dataset, limited, copied so poisoning never touches the cache. */
    const BdDataset *d;
    if (worker_dataset(w, &c->v[BD_AXIS_DATASET], &d, err) < 0) return -1;
    s->shape = d->shape;
    if (bd_strategy_check(strategy, target, s->shape.classes, err) < 0) return -1;
    int n_train = d->train.n, n_test = d->test.n;
    long limit_train = bd_spec_int(train_spec, "limit_train"), limit_test = bd_spec_int(train_spec, "limit_test");
    if (limit_train > 0 && limit_train < n_train) n_train = (int)limit_train;
    if (limit_test > 0 && limit_test < n_test) n_test = (int)limit_test;
    BdSplit all_train = {0};
    {
        int *idx = bd_xmalloc((size_t)(n_train > n_test ? n_train : n_test) * sizeof *idx + sizeof *idx);
        for (int i = 0; i < n_train || i < n_test; i++) idx[i] = i;
        split_subset(&d->train, s->shape, idx, n_train, &all_train);
        split_subset(&d->test, s->shape, idx, n_test, &s->test);
        free(idx);
    }

    /* The held-out clean set for retraining is split off before poisoning. */
    if (strcmp(retrain->name, "none")) {
        BdRng r;
        bd_rng_stream(&r, s->seed, "holdout", 0);
        split_holdout(&all_train, s->shape, bd_spec_float(retrain, "fraction"), &r, &s->train, &s->held);
        int n_all = all_train.n;
        split_free(&all_train);
        if (s->held.n == 0)
            return bd_fail(err, "retrain: fraction %g of %d samples holds out no sample",
                           bd_spec_float(retrain, "fraction"), n_all);
    } else {
        s->train = all_train;
    }

    /* Poison in place. The trigger's own pattern (noise patches, blend noise)
     * depends on its spec alone (seed 0; `pattern_seed` varies it), so a
     * poisoned cell and its rate-0 baseline are measured with the same trigger. */
    if (bd_trigger_make(&c->v[BD_AXIS_TRIGGER], s->shape, 0, &s->trigger, err) < 0) return -1;
    BdRng pick, where;
    bd_rng_stream(&pick, s->seed, "poison", 0);
    bd_rng_stream(&where, s->seed, "poison-location", 0);
    BdPoisonReport report = {0};
    if (bd_poison(strategy, target, rate, s->trigger, &s->train, s->shape, &pick, &where, &report, err) < 0) return -1;
    {
        const char *names[] = {"pool", "poisoned", "train_samples", "heldout_samples", "test_samples"};
        double values[] = {report.pool, report.poisoned, s->train.n, s->held.n, s->test.n};
        if (sink && sink->metrics) sink->metrics(sink->ud, "poison", 0, names, values, 5);
    }
    bd_poison_report_free(&report);

    s->ev.clean = &s->test;
    s->ev.classes = s->shape.classes;
    make_triggered(strategy, target, s->trigger, &s->test, s->shape, s->seed, &s->ev);

    /* Model, regularizer, optimiser. */
    BdTrainCfg cfg;
    bd_train_cfg_from_spec(train_spec, &cfg);
    int max_batch = cfg.batch;
    if (strcmp(retrain->name, "none") && bd_spec_int(retrain, "batch") > max_batch)
        max_batch = (int)bd_spec_int(retrain, "batch");
    BdShape in = {s->shape.c, s->shape.h, s->shape.w};
    if (bd_model_build(&c->v[BD_AXIS_ARCH], in, s->shape.classes, max_batch, &s->g, err) < 0) return -1;
    bd_graph_init_params(s->g, bd_seed_derive(s->seed, "init", 0));
    out->params = (long)bd_graph_param_count(s->g);
    out->gflops_per_image = bd_graph_flops(s->g, 1) * 1e-9;
    if (bd_reg_make(&c->v[BD_AXIS_REGULARIZER], s->g, &s->reg, err) < 0) return -1;

    BdBatcher batcher;
    bd_batcher_init(&batcher, d, cfg.augment);
    bd_trainer_init(&s->trainer, s->g, s->reg, &batcher, s->seed, sink);
    bd_sgd_init(&s->trainer.opt, s->g, cfg.momentum, cfg.weight_decay, cfg.nesterov);
    s->trainer_ready = 1;

    if (cfg.epochs == 0) {
        bd_evaluate_and_report(&s->trainer, "train", 0, &s->ev, NULL, NULL, 0);
    } else if (bd_train_phase(&s->trainer, "train", &cfg, &s->train, 0, &s->ev, err) < 0) {
        return -1;
    }

    /* Persistence: fine-tune on the clean held-out set, evaluating after each epoch. */
    if (strcmp(retrain->name, "none")) {
        BdTrainCfg rc = cfg;
        rc.epochs = (int)bd_spec_int(retrain, "epochs");
        rc.lr = (float)bd_spec_float(retrain, "lr");
        rc.batch = (int)bd_spec_int(retrain, "batch");
        snprintf(rc.schedule, sizeof rc.schedule, "constant");
        rc.warmup_epochs = 0;
        bd_sgd_free(&s->trainer.opt);
        bd_sgd_init(&s->trainer.opt, s->g, rc.momentum, rc.weight_decay, rc.nesterov);
        if (!strcmp(bd_spec_str(retrain, "trainable"), "head")) {
            static const char *const head[] = {"fc.", NULL};
            bd_sgd_train_only(&s->trainer.opt, s->g, head);
        }
        /* The retraining set is clean: no regularizer term, plain cross-entropy. */
        BdSpec none;
        bd_spec_init(&none, "none");
        BdReg *plain;
        if (bd_reg_make(&none, s->g, &plain, err) < 0) return -1;
        s->trainer.reg = plain;
        int rc_ok = bd_train_phase(&s->trainer, "retrain", &rc, &s->held, 0, &s->ev, err);
        s->trainer.reg = s->reg;
        bd_reg_free(plain);
        if (rc_ok < 0) return -1;
    }
    return 0;
}

int bd_cell_run(BdWorker *w, const char *key, const char *ckpt_dir, const BdSink *sink, BdCellOutcome *out,
                BdError *err) {
    (void)ckpt_dir;
    CellState *s = bd_xcalloc(1, sizeof *s);
    memset(out, 0, sizeof *out);
    int rc = run(w, s, key, sink, out, err);
    cell_state_free(s);
    free(s);
    return rc;
}
