/* Does each poisoned cell's strategy have enough samples to poison? The
 * worker poisons bd_poison_count(rate, n) samples of a training split of n
 * and fails the cell when its strategy's pool (bd_strategy_pool) is
 * smaller (worker/attack/poison.c): the same two functions decide it here,
 * before anything trains, once per combination of dataset, strategy,
 * target, rate, training and retraining setting that occurs in the sweep.
 *
 * The training split is the first n_train samples of the dataset's (the
 * training setting's limit_train) less the part held out for retraining,
 * which the worker draws at random per seed (its data stream,
 * worker/cell/streams.h; bd_job_plan gives both sizes). So the pool of a
 * cell is a hypergeometric draw: of the M
 * samples it is drawn from, K are in the pool, and the split keeps n of the
 * M. With the labels at hand (the data is here) M is n_train and K is
 * counted; without them, the dataset's standard label counts give K when
 * n_train is the whole standard training set, and otherwise the prefix is
 * taken as a draw from the whole set too (the standard files mix their
 * classes). Without a held-out part and with the labels, the pool is exact.
 *
 *   P(the cell succeeds) = P(pool >= count)
 *
 * A combination whose cells succeed with a probability below MUST_FAIL
 * (none can, or fewer than 1 in 1000) is an error: those cells must fail.
 * One whose cells fail with a probability above MAY_FAIL is a warning that
 * says how likely, for each seed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attack.h"
#include "axes.h"
#include "job.h"
#include "job_plan.h"
#include "sweep_internal.h"
#include "text.h"

#define MUST_FAIL 1e-3 /* succeeds less often than this: refused */
#define MAY_FAIL 1e-3  /* fails more often than this: a warning */

/* ---- the hypergeometric draw ----------------------------------------------------- */

typedef struct Draw {
    long M, K, n; /* population, of which K in the pool; n drawn */
} Draw;

static double log_choose(long a, long b) { return lgamma((double)a + 1) - lgamma((double)b + 1) - lgamma((double)(a - b) + 1); }

static long draw_min(Draw d) { return d.n - (d.M - d.K) > 0 ? d.n - (d.M - d.K) : 0; }
static long draw_max(Draw d) { return d.K < d.n ? d.K : d.n; }

/* P(X = k) for X the pool samples among the n drawn. */
static double draw_pmf(Draw d, long k) {
    return exp(log_choose(d.K, k) + log_choose(d.M - d.K, d.n - k) - log_choose(d.M, d.n));
}

/* P(X >= c). */
static double draw_at_least(Draw d, long c) {
    if (c > draw_max(d)) return 0.0;
    if (c <= draw_min(d)) return 1.0;
    double p = 0.0;
    for (long k = c; k <= draw_max(d); k++) p += draw_pmf(d, k);
    return p > 1.0 ? 1.0 : p;
}

/* The largest count that at least `share` of the draws reach. */
static long draw_reached_by(Draw d, double share) {
    double p = 0.0;
    for (long k = draw_max(d); k > draw_min(d); k--) {
        p += draw_pmf(d, k);
        if (p >= share) return k;
    }
    return draw_min(d);
}

/* x rounded down to 4 significant digits: a rate below a bound stays below
 * it as printed. */
static double floor4(double x) {
    if (!(x > 0)) return 0;
    double scale = pow(10.0, 3 - floor(log10(x)));
    return floor(x * scale) / scale;
}

/* ---- the check ---------------------------------------------------------------------- */

static size_t pool_index(const SwAxis *ax, const int idx[BD_AXIS_COUNT]) {
    static const BdAxis axes[] = {BD_AXIS_DATASET, BD_AXIS_STRATEGY, BD_AXIS_TARGET, BD_AXIS_POISON_RATE,
                                  BD_AXIS_TRAIN, BD_AXIS_RETRAIN};
    size_t i = 0;
    for (size_t k = 0; k < sizeof axes / sizeof axes[0]; k++) i = i * (size_t)ax[axes[k]].n + (size_t)idx[axes[k]];
    return i;
}

static size_t pool_combinations(const SwAxis *ax) {
    int last[BD_AXIS_COUNT];
    for (int a = 0; a < BD_AXIS_COUNT; a++) last[a] = ax[a].n - 1;
    return pool_index(ax, last) + 1;
}

void sw_pool_begin(const SwAxis *ax, SwCombos *seen) {
    size_t n = pool_combinations(ax);
    seen->pool_cells = bd_xcalloc(n, sizeof *seen->pool_cells);
    seen->pool_first_key = bd_xcalloc(n, sizeof *seen->pool_first_key);
}

/* The key of a combination's first cell is kept for the messages: the
 * cells themselves may not be (BD_SWEEP_NO_CELLS). */
void sw_pool_seen(const SwAxis *ax, SwCombos *seen, const int idx[BD_AXIS_COUNT], const char *key) {
    size_t i = pool_index(ax, idx);
    if (!seen->pool_cells[i]++) seen->pool_first_key[i] = bd_xstrdup(key);
}

void sw_pool_end(const SwAxis *ax, SwCombos *seen) {
    if (seen->pool_first_key)
        for (size_t i = 0, n = pool_combinations(ax); i < n; i++) free(seen->pool_first_key[i]);
    free(seen->pool_first_key);
    free(seen->pool_cells);
    seen->pool_first_key = NULL;
    seen->pool_cells = NULL;
}

/* "grid.strategy[1] (line 28)" or "the default strategy all-to-one". */
static void describe(const SwAxis *ax, BdAxis a, int i, char *out, size_t cap) {
    const BdSweepValue *v = &ax[a].values[i];
    if (v->line) bd_text_format(out, cap, "%s (line %d)", v->where, v->line);
    else bd_text_format(out, cap, "the default %s %s", bd_axes()[a].name, v->text);
}

/* The training split of the cells of one training and retraining setting:
 * its sizes, and the class counts its pool is drawn from. */
typedef struct Split {
    int n_train, heldout;
    int exact;  /* counts are those of the first n_train samples; else of the whole set */
    int *counts; /* [classes] */
    char words[256]; /* "47500 training samples (50000 less 2500 held out for retraining)" */
} Split;

static void split_of(const SwPoolData *data, const SwAxis *ax, const int idx[BD_AXIS_COUNT], Split *s) {
    BdJob *job = bd_xcalloc(1, sizeof *job); /* 24 kB */
    job->kind = BD_JOB_CELL;
    job->cell.v[BD_AXIS_TRAIN] = ax[BD_AXIS_TRAIN].specs[idx[BD_AXIS_TRAIN]];
    job->cell.v[BD_AXIS_RETRAIN] = ax[BD_AXIS_RETRAIN].specs[idx[BD_AXIS_RETRAIN]];
    BdJobPlan plan;
    bd_job_plan(job, data->n_train, 0, &plan);
    free(job);
    s->n_train = plan.n_train;
    s->heldout = plan.heldout;
    s->exact = data->labels || plan.n_train == data->n_train;
    memset(s->counts, 0, (size_t)data->classes * sizeof *s->counts);
    if (data->labels)
        for (int i = 0; i < plan.n_train; i++) s->counts[data->labels[i]]++;
    else
        memcpy(s->counts, data->class_counts, (size_t)data->classes * sizeof *s->counts);
    int n = plan.n_train - plan.heldout;
    if (plan.heldout)
        bd_text_format(s->words, sizeof s->words, "%d training samples (%d less %d held out for retraining)", n,
                       plan.n_train, plan.heldout);
    else
        bd_text_format(s->words, sizeof s->words, "%d training samples", n);
}

/* One combination: an error kept in v, a warning, or nothing. */
static void check_one(SwCtx *c, const SwAxis *ax, const SwCombos *seen, const SwPoolData *data, const Split *s,
                      const int idx[BD_AXIS_COUNT], SwPoolVerdict *v) {
    size_t i = pool_index(ax, idx);
    int cells = seen->pool_cells[i];
    const BdSpec *strategy = &ax[BD_AXIS_STRATEGY].specs[idx[BD_AXIS_STRATEGY]];
    long target = strtol(ax[BD_AXIS_TARGET].values[idx[BD_AXIS_TARGET]].text, NULL, 10);
    double rate = strtod(ax[BD_AXIS_POISON_RATE].values[idx[BD_AXIS_POISON_RATE]].text, NULL);
    int n = s->n_train - s->heldout;
    long K = bd_strategy_pool(strategy, target, s->counts, data->classes);
    Draw draw = {s->exact ? s->n_train : data->n_train, K, n};
    long count = bd_poison_count(rate, n);
    double ok = draw_at_least(draw, count);
    if (1.0 - ok <= MAY_FAIL) return;
    int must = ok < MUST_FAIL;
    if (must && v->errors++) {
        v->error_cells += cells;
        return; /* the first is described, the others counted */
    }
    v->error_cells += must ? cells : 0;

    char ds[256], st[256], tg[256], words[128], pool[384], safe[160], msg[BD_ERROR_MAX];
    describe(ax, BD_AXIS_DATASET, idx[BD_AXIS_DATASET], ds, sizeof ds);
    describe(ax, BD_AXIS_STRATEGY, idx[BD_AXIS_STRATEGY], st, sizeof st);
    describe(ax, BD_AXIS_TARGET, idx[BD_AXIS_TARGET], tg, sizeof tg);
    bd_strategy_pool_words(strategy, words, sizeof words);
    long lo = draw_min(draw), hi = draw_max(draw);
    if (lo == hi)
        bd_text_format(pool, sizeof pool, "the pool (%s, target %ld) holds %ld", words, target, hi);
    else
        bd_text_format(pool, sizeof pool, "the pool (%s, target %ld) holds %.0f on average and at most %ld", words,
                       target, (double)n * (double)K / (double)draw.M, hi);
    /* The largest rate that (nearly) every cell reaches, rounded down as printed. */
    double safe_rate = n ? floor4((double)draw_reached_by(draw, 1.0 - MAY_FAIL) / n) : 0;
    bd_text_format(safe, sizeof safe, "a rate of at most %.4g%s", safe_rate,
                   lo == hi ? "" : " (enough with a probability of 0.999)");
    const char *first = seen->pool_first_key[i];
    char which[64]; /* "this cell", "these 315 cells" */
    if (cells == 1) bd_text_format(which, sizeof which, "this cell");
    else bd_text_format(which, sizeof which, "these %d cells", cells);
    const BdSweepValue *at = &ax[BD_AXIS_POISON_RATE].values[idx[BD_AXIS_POISON_RATE]];
    if (must) {
        char fate[64];
        if (ok < 1e-6) bd_text_format(fate, sizeof fate, "must fail");
        else bd_text_format(fate, sizeof fate, "must fail but for about 1 in %.0f", 1.0 / ok);
        bd_text_format(msg, sizeof msg,
                       "%s:%d:%d: %s: with %s, %s and %s: %s: poison rate %g needs %ld poisoned samples of %s, but %s "
                       "(%s): %s %s; expected %s with this strategy, or an exclude entry for %s",
                       c->file, at->line, at->col, at->where, ds, st, tg, strategy->name, rate, count, s->words, pool,
                       data->source, which, fate, safe, cells == 1 ? "it" : "them");
        memcpy(v->first, msg, sizeof msg);
        v->first_key = first;
        return;
    }
    bd_text_format(msg, sizeof msg,
                   "with %s, %s and %s: %s: poison rate %g needs %ld poisoned samples of %s, and %s (%s): %s "
                   "will fail with a probability of about %.0f%% for each seed, %s; expected %s (the first: %s)",
                   ds, st, tg, strategy->name, rate, count, s->words, pool, data->source, which, 100.0 * (1.0 - ok),
                   s->heldout ? "as the part held out for retraining is drawn per seed"
                              : "as the classes of the first samples are not known without the data",
                   safe, first);
    sw_warn(c, at->line, at->col, at->where, "%s", msg);
}

void sw_check_pools(SwCtx *c, const SwAxis *ax, const SwCombos *seen, int d, const SwPoolData *data,
                    SwPoolVerdict *v) {
    const SwAxis *S = &ax[BD_AXIS_STRATEGY], *G = &ax[BD_AXIS_TARGET], *R = &ax[BD_AXIS_POISON_RATE],
                 *Tr = &ax[BD_AXIS_TRAIN], *Re = &ax[BD_AXIS_RETRAIN];
    Split s = {.counts = bd_xcalloc((size_t)data->classes + 1, sizeof *s.counts)};
    int idx[BD_AXIS_COUNT] = {0};
    idx[BD_AXIS_DATASET] = d;
    for (idx[BD_AXIS_TRAIN] = 0; idx[BD_AXIS_TRAIN] < Tr->n; idx[BD_AXIS_TRAIN]++)
        for (idx[BD_AXIS_RETRAIN] = 0; idx[BD_AXIS_RETRAIN] < Re->n; idx[BD_AXIS_RETRAIN]++) {
            split_of(data, ax, idx, &s);
            for (idx[BD_AXIS_STRATEGY] = 0; idx[BD_AXIS_STRATEGY] < S->n; idx[BD_AXIS_STRATEGY]++)
                for (idx[BD_AXIS_TARGET] = 0; idx[BD_AXIS_TARGET] < G->n; idx[BD_AXIS_TARGET]++)
                    for (idx[BD_AXIS_POISON_RATE] = 0; idx[BD_AXIS_POISON_RATE] < R->n; idx[BD_AXIS_POISON_RATE]++)
                        if (seen->pool_cells[pool_index(ax, idx)])
                            check_one(c, ax, seen, data, &s, idx, v);
        }
    free(s.counts);
}

int sw_pool_verdict(SwCtx *c, const SwPoolVerdict *v) {
    if (!v->errors) return 0;
    char all[BD_ERROR_MAX], more[128] = "";
    if (v->errors > 1)
        bd_text_format(more, sizeof more, " (in all, %d cells of %d such combinations must fail)", v->error_cells,
                       v->errors);
    /* The key last: a message too long for BD_ERROR_MAX is cut there, visibly. */
    bd_text_format(all, sizeof all, "%s%s; the first: %s", v->first, more, v->first_key);
    return bd_fail(c->err, "%s", all);
}
