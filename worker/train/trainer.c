#include "trainer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "metrics.h"

float bd_lr_at(const BdTrainCfg *c, double t) {
    double w = c->warmup_epochs;
    if (w > 0 && t < w) return (float)(c->lr * t / w);
    if (!strcmp(c->schedule, "step")) return (float)(c->lr * pow(c->step_gamma, floor(t / c->step_epochs)));
    if (!strcmp(c->schedule, "cosine")) {
        double span = c->epochs - w;
        if (span <= 0) return c->lr;
        return (float)(0.5 * c->lr * (1.0 + cos(M_PI * (t - w) / span)));
    }
    return c->lr;
}

void bd_trainer_init(BdTrainer *t, BdGraph *g, BdReg *reg, const BdBatcher *b, uint64_t data_seed,
                     uint64_t reg_seed, const BdSink *sink, const BdTrainCfg *cfg) {
    memset(t, 0, sizeof *t);
    t->g = g;
    t->reg = reg;
    t->batcher = *b;
    t->data_seed = data_seed;
    t->reg_seed = reg_seed;
    t->sink = sink;
    bd_sgd_init(&t->opt, g, cfg->momentum, cfg->weight_decay, cfg->nesterov);
    size_t per = (size_t)g->input.c * g->input.h * g->input.w;
    t->x = bd_xmalloc(per * (size_t)g->max_batch * sizeof *t->x);
    t->y = bd_xmalloc((size_t)g->max_batch * sizeof *t->y);
    t->idx = bd_xmalloc((size_t)g->max_batch * sizeof *t->idx);
    t->pred = bd_xmalloc((size_t)g->max_batch * sizeof *t->pred);
}

void bd_trainer_reset_optimizer(BdTrainer *t, const BdTrainCfg *cfg) {
    bd_sgd_free(&t->opt);
    bd_sgd_init(&t->opt, t->g, cfg->momentum, cfg->weight_decay, cfg->nesterov);
}

void bd_trainer_train_only(BdTrainer *t, const char *const *prefixes) { bd_sgd_train_only(&t->opt, t->g, prefixes); }

void bd_trainer_free(BdTrainer *t) {
    bd_sgd_free(&t->opt);
    free(t->x);
    free(t->y);
    free(t->idx);
    free(t->pred);
    free(t->order);
    memset(t, 0, sizeof *t);
}

void bd_predict(BdTrainer *t, const BdSplit *s, int *pred) {
    BdGraph *g = t->g;
    int K = g->nodes[g->output].shape.c;
    for (int start = 0; start < s->n; start += g->max_batch) {
        int n = s->n - start < g->max_batch ? s->n - start : g->max_batch;
        for (int i = 0; i < n; i++) t->idx[i] = start + i;
        bd_batch_fill(&t->batcher, s, t->idx, n, t->x, NULL, NULL);
        bd_graph_forward(g, t->x, n, BD_EVAL, 0);
        bd_argmax(bd_graph_out(g, g->output), K, n, pred + start);
    }
}

#define MAX_REPORT 1100 /* per-class accuracies of up to 1000 classes plus the rest */

/* ASR and triggered accuracy of one attack, reported with its key. */
static void report_attack(BdTrainer *t, const char *phase, int epoch, const BdAttackEval *a, int *pred) {
    int n = a->triggered.n;
    if (!n || !t->sink || !t->sink->metrics) return;
    bd_predict(t, &a->triggered, pred);
    int hit = 0, right = 0;
    for (int i = 0; i < n; i++) {
        hit += pred[i] == a->triggered.y[i];
        right += pred[i] == a->triggered_true[i];
    }
    const char *names[] = {bd_metric_name(BD_METRIC_ASR), bd_metric_name(BD_METRIC_TRIGGERED_ACC)};
    double values[] = {(double)hit / n, (double)right / n};
    t->sink->metrics(t->sink->ud, phase, epoch, a->key, names, values, 2);
}

void bd_evaluate_and_report(BdTrainer *t, const char *phase, int epoch, const BdEvalSet *ev,
                            const char *const *extra_names, const double *extra_values, int n_extra) {
    static const int max_classes = 1000;
    int n_pred = ev->clean->n;
    for (int k = 0; k < ev->n_attacks; k++)
        if (ev->attacks[k].triggered.n > n_pred) n_pred = ev->attacks[k].triggered.n;
    int *pred = bd_xmalloc((size_t)n_pred * sizeof *pred + sizeof *pred);
    int n_clean = ev->clean->n, classes = ev->classes < max_classes ? ev->classes : max_classes;
    int *class_total = bd_xcalloc((size_t)classes, sizeof *class_total);
    int *class_correct = bd_xcalloc((size_t)classes, sizeof *class_correct);

    bd_predict(t, ev->clean, pred);
    int correct = 0;
    for (int i = 0; i < n_clean; i++) {
        int y = ev->clean->y[i];
        correct += pred[i] == y;
        if (y < classes) {
            class_total[y]++;
            class_correct[y] += pred[i] == y;
        }
    }
    double clean_acc = n_clean ? (double)correct / n_clean : 0.0;

    /* Names live in one block of fixed-width strings so the sink can keep pointers for the call. */
    static const int name_w = 32;
    char *name_buf = bd_xmalloc((size_t)MAX_REPORT * (size_t)name_w);
    const char **names = bd_xmalloc(MAX_REPORT * sizeof *names);
    double *values = bd_xmalloc(MAX_REPORT * sizeof *values);
    int n = 0;
#define PUT(nm, v)                                                              \
    do {                                                                        \
        snprintf(name_buf + (size_t)n * name_w, (size_t)name_w, "%s", (nm));     \
        names[n] = name_buf + (size_t)n * name_w;                               \
        values[n++] = (v);                                                      \
    } while (0)
    PUT(bd_metric_name(BD_METRIC_CLEAN_ACC), clean_acc);
    for (int i = 0; i < n_extra && n < MAX_REPORT; i++) PUT(extra_names[i], extra_values[i]);
    for (int c = 0; c < classes && n < MAX_REPORT; c++) {
        char nm[32];
        const char *per_class = bd_metric_name(BD_METRIC_CLEAN_ACC_CLASS); /* "..._K" */
        snprintf(nm, sizeof nm, "%.*s%d", (int)strlen(per_class) - 1, per_class, c);
        if (class_total[c]) PUT(nm, (double)class_correct[c] / class_total[c]);
    }
#undef PUT
    if (t->sink && t->sink->metrics) t->sink->metrics(t->sink->ud, phase, epoch, "", names, values, n);
    for (int k = 0; k < ev->n_attacks; k++) report_attack(t, phase, epoch, &ev->attacks[k], pred);
    free(name_buf);
    free(names);
    free(values);
    free(pred);
    free(class_total);
    free(class_correct);
}

int bd_train_phase(BdTrainer *t, const char *phase, const BdTrainCfg *cfg, const BdSplit *data, int start_epoch,
                   const BdEvalSet *ev, BdError *err) {
    BdGraph *g = t->g;
    const int B = cfg->batch < g->max_batch ? cfg->batch : g->max_batch;
    const int N = data->n;
    if (N <= 0) return bd_fail(err, "%s: the training split is empty", phase);
    const int steps = (N + B - 1) / B;
    if (t->order_cap < N) {
        free(t->order);
        t->order = bd_xmalloc((size_t)N * sizeof *t->order);
        t->order_cap = N;
    }
    char stream[64];
    double last_progress = 0.0;

    for (int epoch = start_epoch; epoch < cfg->epochs; epoch++) {
        double t0 = bd_monotonic_seconds();
        BdRng shuffle, augment, reg_rng;
        snprintf(stream, sizeof stream, "%s/shuffle", phase);
        bd_rng_stream(&shuffle, t->data_seed, stream, (uint64_t)epoch);
        snprintf(stream, sizeof stream, "%s/augment", phase);
        bd_rng_stream(&augment, t->data_seed, stream, (uint64_t)epoch);
        snprintf(stream, sizeof stream, "%s/regularizer", phase);
        bd_rng_stream(&reg_rng, t->reg_seed, stream, (uint64_t)epoch);
        for (int i = 0; i < N; i++) t->order[i] = i;
        bd_rng_shuffle(&shuffle, t->order, (size_t)N);

        double sum_loss = 0, sum_ce = 0, sum_reg = 0;
        long seen = 0, correct = 0;
        float lr = 0;
        for (int step = 0; step < steps; step++) {
            int start = step * B, n = N - start < B ? N - start : B;
            lr = bd_lr_at(cfg, epoch + (double)step / steps);
            bd_batch_fill(&t->batcher, data, t->order + start, n, t->x, t->y, &augment);
            bd_reg_before_forward(t->reg, g, n, &reg_rng);
            uint64_t step_seed = bd_seed_derive(t->data_seed, phase, (uint64_t)epoch * 1000003u + (uint64_t)step);
            bd_graph_forward(g, t->x, n, BD_TRAIN, step_seed);
            bd_graph_zero_grads(g);
            BdLossParts parts;
            float loss = bd_reg_loss(t->reg, g, t->y, n, &parts);
            if (!isfinite(loss))
                return bd_fail(err, "diverged at epoch %d step %d (%s loss = %g; cross-entropy %g, regularizer %g)",
                               epoch + 1, step + 1, phase, (double)loss, (double)parts.ce, (double)parts.reg);
            bd_graph_backward(g);
            if (cfg->clip > 0) bd_clip_grad_norm(&t->opt, g, cfg->clip);
            bd_sgd_step(&t->opt, g, lr);
            sum_loss += (double)loss * n;
            sum_ce += (double)parts.ce * n;
            sum_reg += (double)parts.reg * n;
            correct += parts.correct;
            seen += n;
            double now = bd_monotonic_seconds();
            if (t->sink && t->sink->progress && now - last_progress > 2.0) {
                t->sink->progress(t->sink->ud, phase, epoch + 1, cfg->epochs, step + 1, steps);
                last_progress = now;
            }
        }
        const char *names[] = {bd_metric_name(BD_METRIC_LOSS),      bd_metric_name(BD_METRIC_LOSS_CE),
                               bd_metric_name(BD_METRIC_LOSS_REG),  bd_metric_name(BD_METRIC_TRAIN_ACC),
                               bd_metric_name(BD_METRIC_LR),        bd_metric_name(BD_METRIC_SECONDS)};
        double values[] = {sum_loss / seen, sum_ce / seen, sum_reg / seen, (double)correct / seen, lr,
                           bd_monotonic_seconds() - t0};
        bd_evaluate_and_report(t, phase, epoch + 1, ev, names, values, 6);
        if (t->after_epoch && t->after_epoch(t->after_epoch_ud, phase, epoch + 1, err) < 0) return -1;
        if (t->sink && t->sink->interrupt && epoch + 1 < cfg->epochs && t->sink->interrupt(t->sink->ud)) {
            bd_fail(err, "interrupted after %s epoch %d of %d", phase, epoch + 1, cfg->epochs);
            return BD_INTERRUPTED;
        }
    }
    return 0;
}
