#include "cell_data.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "axes.h"
#include "job_keys.h"
#include "metrics.h"
#include "streams.h"
#include "text.h"

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

static void split_prefix(const BdSplit *src, BdDataShape shape, int n, BdSplit *out) {
    int *idx = bd_xmalloc((size_t)n * sizeof *idx + sizeof *idx);
    for (int i = 0; i < n; i++) idx[i] = i;
    split_subset(src, shape, idx, n, out);
    free(idx);
}

static void split_free(BdSplit *s) {
    free(s->x);
    free(s->y);
    memset(s, 0, sizeof *s);
}

/* Splits src into a held-out part of k samples chosen with rng and the rest,
 * both in their original order. */
static void split_holdout(const BdSplit *src, BdDataShape shape, int k, BdRng *rng, BdSplit *rest, BdSplit *held) {
    int n = src->n;
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

/* The triggered test set of an attack: every eligible test image with the
 * trigger, its label the attack's, its true label kept beside it. Where a
 * random trigger goes comes from the attack's test-trigger stream, so a
 * poisoned model and its clean baseline are measured on the same images. */
static int make_triggered(const BdCell *attack, const BdTrigger *trig, const BdSplit *test, BdDataShape shape,
                          BdAttackEval *ev, BdError *err) {
    const BdSpec *strategy = &attack->v[BD_AXIS_STRATEGY];
    long target = bd_cell_target(attack);
    uint64_t seed;
    if (bd_stream_seed(attack, BD_STREAM_TEST_TRIGGER, &seed, err) < 0) return -1;
    int *idx = bd_xmalloc((size_t)test->n * sizeof *idx + sizeof *idx), n = 0;
    for (int i = 0; i < test->n; i++)
        if (bd_strategy_eligible(strategy, target, test->y[i])) idx[n++] = i;
    split_subset(test, shape, idx, n, &ev->triggered);
    ev->triggered_true = bd_xmalloc((size_t)n * sizeof *ev->triggered_true + sizeof(int));
    BdRng where;
    bd_rng_seed(&where, seed);
    size_t per = image_bytes(shape);
    for (int i = 0; i < n; i++) {
        int y = ev->triggered.y[i];
        ev->triggered_true[i] = y;
        ev->triggered.y[i] = bd_strategy_attack_label(strategy, target, y, shape.classes);
        bd_trigger_apply(trig, ev->triggered.x + (size_t)i * per, &where);
    }
    free(idx);
    return 0;
}

static void report_counts(const BdSink *sink, const char *attack, const BdPoisonReport *r) {
    if (!sink || !sink->metrics) return;
    const char *names[] = {bd_metric_name(BD_METRIC_POOL), bd_metric_name(BD_METRIC_POISONED)};
    double values[] = {r->pool, r->poisoned};
    sink->metrics(sink->ud, bd_phase_name(BD_PHASE_POISON), 0, attack, names, values, 2);
}

/* One attack of the job: its trigger, its triggered test set, and (for a cell)
 * the poisoning of the training split; a clean model only counts the pool. */
static int prepare_attack(BdCellData *out, const BdCell *c, const char *key, int poison, const BdSink *sink,
                          BdError *err) {
    int k = out->ev.n_attacks++;
    BdAttackEval *ev = &out->ev.attacks[k];
    if (bd_text_format(ev->key, sizeof ev->key, "%s", key) < 0)
        return bd_fail(err, "attack key longer than %zu characters: %.80s...", sizeof ev->key - 1, key);
    const BdSpec *strategy = &c->v[BD_AXIS_STRATEGY];
    long target = bd_cell_target(c);
    if (bd_strategy_check(strategy, target, out->shape.classes, err) < 0) return -1;
    /* The trigger's own pattern (noise patches, blend noise) depends on its
     * spec alone (seed 0; `pattern_seed` varies it), so a poisoned cell and
     * its rate-0 baseline are measured with the same trigger. */
    if (bd_trigger_make(&c->v[BD_AXIS_TRIGGER], out->shape, 0, &out->triggers[k], err) < 0) return -1;
    BdRng pick, where;
    uint64_t seed = 0;
    if (poison && bd_stream_seed(c, BD_STREAM_POISON, &seed, err) < 0) return -1;
    bd_rng_stream(&pick, seed, "samples", 0);
    bd_rng_stream(&where, seed, "trigger-location", 0);
    BdPoisonReport report = {0};
    if (bd_poison(strategy, target, poison ? bd_cell_poison_rate(c) : 0.0, out->triggers[k], &out->train, out->shape,
                  &pick, &where, &report, err) < 0)
        return -1;
    report_counts(sink, key, &report);
    bd_poison_report_free(&report);
    return make_triggered(c, out->triggers[k], &out->test, out->shape, ev, err);
}

int bd_cell_data_prepare(const BdDataset *d, const BdJob *job, const BdJobPlan *plan, const char *const *attacks,
                         int n_attacks, const BdSink *sink, BdCellData *out, BdError *err) {
    memset(out, 0, sizeof *out);
    out->shape = d->shape;
    const BdCell *c = &job->cell;

    split_prefix(&d->test, out->shape, plan->n_test, &out->test);
    out->ev.clean = &out->test;
    out->ev.classes = out->shape.classes;

    if (!plan->heldout) {
        split_prefix(&d->train, out->shape, plan->n_train, &out->train);
    } else {
        /* The held-out clean set for retraining is split off before poisoning. */
        BdSplit all;
        split_prefix(&d->train, out->shape, plan->n_train, &all);
        uint64_t seed;
        if (bd_stream_seed(c, BD_STREAM_DATA, &seed, err) < 0) return -1;
        BdRng r;
        bd_rng_stream(&r, seed, "holdout", 0);
        split_holdout(&all, out->shape, plan->heldout, &r, &out->train, &out->held);
        split_free(&all);
    }
    if (strcmp(c->v[BD_AXIS_RETRAIN].name, "none") && out->held.n == 0)
        return bd_fail(err, "retrain: fraction %g of %d training samples holds out no sample",
                       bd_spec_float(&c->v[BD_AXIS_RETRAIN], "fraction"), plan->n_train);
    if (out->train.n == 0) return bd_fail(err, "the training split is empty");
    if (sink && sink->metrics) {
        const char *names[] = {bd_metric_name(BD_METRIC_TRAIN_SAMPLES), bd_metric_name(BD_METRIC_HELDOUT_SAMPLES),
                               bd_metric_name(BD_METRIC_TEST_SAMPLES)};
        double values[] = {out->train.n, out->held.n, out->test.n};
        sink->metrics(sink->ud, bd_phase_name(BD_PHASE_POISON), 0, "", names, values, 3);
    }
    if (job->kind == BD_JOB_PRETRAIN) return 0;

    int n = job->kind == BD_JOB_CELL ? 1 : n_attacks;
    out->triggers = bd_xcalloc((size_t)n + 1, sizeof *out->triggers);
    out->ev.attacks = bd_xcalloc((size_t)n + 1, sizeof *out->ev.attacks);
    if (job->kind == BD_JOB_CELL) {
        char texts[BD_AXIS_COUNT][BD_SPEC_TEXT_MAX], key[BD_KEY_MAX];
        const char *t[BD_AXIS_COUNT];
        if (bd_cell_texts(c, bd_axes_attack_mask(bd_axes()), texts, t, err) < 0 ||
            bd_attack_key(bd_axes(), t, key, sizeof key, err) < 0)
            return -1;
        return prepare_attack(out, c, key, 1, sink, err);
    }
    for (int i = 0; i < n_attacks; i++) {
        BdCell a = *c;
        if (bd_attack_parse(bd_axes(), attacks[i], &a, err) < 0 || prepare_attack(out, &a, attacks[i], 0, sink, err) < 0)
            return -1;
    }
    return 0;
}

void bd_cell_data_free(BdCellData *cd) {
    for (int i = 0; i < cd->ev.n_attacks; i++) {
        if (cd->triggers[i]) bd_trigger_free(cd->triggers[i]);
        split_free(&cd->ev.attacks[i].triggered);
        free(cd->ev.attacks[i].triggered_true);
    }
    free(cd->triggers);
    free(cd->ev.attacks);
    split_free(&cd->train);
    split_free(&cd->held);
    split_free(&cd->test);
    memset(cd, 0, sizeof *cd);
}
