/* Poisoning a training split in place (docs/EXPERIMENT.md section 3): round(rate * n)
 * samples drawn uniformly, without replacement, from the strategy's pool,
 * triggered and relabelled. */
#include <math.h>
#include <stdlib.h>

#include "strategy.h"

static int by_value(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

int bd_poison(const BdSpec *strategy, long target, double rate, const BdTrigger *t, BdSplit *split, BdDataShape shape,
              BdRng *rng, BdRng *trigger_rng, BdPoisonReport *report, BdError *err) {
    *report = (BdPoisonReport){0};
    if (!(rate >= 0.0 && rate <= 1.0))
        return bd_fail(err, "%s: poison rate %g: expected a fraction in [0, 1]", strategy->name, rate);
    if (bd_strategy_check(strategy, target, shape.classes, err) < 0) return -1;
    const BdStrategyImpl *impl = bd_strategy_impl(strategy);

    int *pool = bd_xmalloc((size_t)(split->n ? split->n : 1) * sizeof *pool);
    int npool = 0;
    for (int i = 0; i < split->n; i++)
        if (impl->in_pool(strategy, target, split->y[i])) pool[npool++] = i;
    long count = lround(rate * split->n);
    report->pool = npool;
    if (count > npool) {
        free(pool);
        return bd_fail(err,
                       "%s: poison rate %g of %d training samples needs %ld poisoned samples, but the pool (%s, "
                       "target %ld) has only %d: expected a rate of at most %.4g",
                       strategy->name, rate, split->n, count, impl->pool_words, target, npool,
                       split->n ? (double)npool / split->n : 0.0);
    }
    if (count > 0 && !t) {
        free(pool);
        return bd_fail(err, "%s: poison rate %g needs a trigger", strategy->name, rate);
    }
    report->poisoned = (int)count;
    if (count == 0) {
        free(pool);
        return 0;
    }
    report->indices = bd_xmalloc((size_t)count * sizeof *report->indices);
    bd_rng_choose(rng, pool, (size_t)npool, report->indices, (size_t)count);
    free(pool);
    /* Sorted, so that the trigger stream's draws (random locations) go to
     * samples in index order, whatever order they were chosen in. */
    qsort(report->indices, (size_t)count, sizeof *report->indices, by_value);
    size_t bytes = (size_t)shape.c * shape.h * shape.w;
    for (long k = 0; k < count; k++) {
        int i = report->indices[k];
        bd_trigger_apply(t, split->x + (size_t)i * bytes, trigger_rng);
        split->y[i] = impl->poison_label(strategy, target, split->y[i], shape.classes);
    }
    return 0;
}

void bd_poison_report_free(BdPoisonReport *r) {
    if (!r) return;
    free(r->indices);
    r->indices = NULL;
}
