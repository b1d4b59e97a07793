/* Checks that involve several axes: does each trigger fit each dataset's
 * images, is each target (and one-to-one source) a class of the dataset.
 * They run once per distinct combination that occurs among the sweep's cells
 * (a sweep has thousands of cells but a handful of datasets and triggers), so
 * a combination that `exclude` removes is never checked. */
#include <stdio.h>
#include <stdlib.h>

#include "attack.h"
#include "axes.h"
#include "dataset.h"
#include "sweep_internal.h"

/* "grid.dataset[0] (line 7)" or "the default strategy all-to-one". */
static void describe(const SwAxis *ax, BdAxis a, int i, char *out, size_t cap) {
    const BdSweepValue *v = &ax[a].values[i];
    if (v->line) snprintf(out, cap, "%s (line %d)", v->where, v->line);
    else snprintf(out, cap, "the default %s %s", bd_axes()[a].name, v->text);
}

static int fail_at(const SwCtx *c, const BdSweepValue *v, const char *with, const char *msg) {
    return bd_fail(c->err, "%s:%d:%d: %s: with %s: %s", c->file, v->line, v->col, v->where, with, msg);
}

/* Strict (run): the trigger is made, so a file it reads (image triggers,
 * blended images) must be there and decode. Otherwise (plan): only its fit. */
static int check_triggers(SwCtx *c, const SwAxis *ax, const SwCombos *seen, int d, BdDataShape shape, int strict) {
    const SwAxis *T = &ax[BD_AXIS_TRIGGER];
    for (int t = 0; t < T->n; t++) {
        if (!seen->trigger_seen[(size_t)d * (size_t)T->n + (size_t)t]) continue;
        BdError e = {{0}};
        BdTrigger *made = NULL;
        int rc = strict ? bd_trigger_make(&T->specs[t], shape, 0, &made, &e) : bd_trigger_check_fit(&T->specs[t], shape, &e);
        if (made) bd_trigger_free(made);
        if (rc < 0) {
            char with[256];
            describe(ax, BD_AXIS_DATASET, d, with, sizeof with);
            return fail_at(c, &T->values[t], with, e.msg);
        }
    }
    return 0;
}

static int check_strategies(SwCtx *c, const SwAxis *ax, const SwCombos *seen, int d, BdDataShape shape) {
    const SwAxis *S = &ax[BD_AXIS_STRATEGY], *G = &ax[BD_AXIS_TARGET];
    for (int s = 0; s < S->n; s++)
        for (int g = 0; g < G->n; g++) {
            if (!seen->strategy_seen[((size_t)d * (size_t)S->n + (size_t)s) * (size_t)G->n + (size_t)g]) continue;
            BdError e = {{0}};
            long target = strtol(G->specs[g].name, NULL, 10);
            if (bd_strategy_check(&S->specs[s], target, shape.classes, &e) == 0) continue;
            /* The error is located at the strategy when the sweep gives one,
             * else at the target, else at the dataset; the others are named. */
            char ds[256], st[256], tg[256], with[800];
            describe(ax, BD_AXIS_DATASET, d, ds, sizeof ds);
            describe(ax, BD_AXIS_STRATEGY, s, st, sizeof st);
            describe(ax, BD_AXIS_TARGET, g, tg, sizeof tg);
            if (S->given) {
                snprintf(with, sizeof with, "%s and %s", ds, tg);
                return fail_at(c, &S->values[s], with, e.msg);
            }
            if (G->given) {
                snprintf(with, sizeof with, "%s and %s", ds, st);
                return fail_at(c, &G->values[g], with, e.msg);
            }
            snprintf(with, sizeof with, "%s and %s", st, tg);
            return fail_at(c, &ax[BD_AXIS_DATASET].values[d], with, e.msg);
        }
    return 0;
}

int sw_check_combinations(SwCtx *c, const SwAxis *ax, const SwCombos *seen, int flags) {
    const SwAxis *D = &ax[BD_AXIS_DATASET];
    for (int d = 0; d < D->n; d++) {
        BdDataShape shape;
        BdError e = {{0}};
        const BdSweepValue *v = &D->values[d];
        if (bd_dataset_shape(&D->specs[d], &shape, &e) < 0) {
            if (flags & BD_SWEEP_STRICT)
                return bd_fail(c->err, "%s:%d:%d: %s: %s", c->file, v->line, v->col, v->where, e.msg);
            sw_warn(c, v->line, v->col, v->where,
                    "%s; the checks that need the image shape (trigger fit, target class) are skipped for this "
                    "dataset here (`run` requires it)",
                    e.msg);
            continue;
        }
        int strict = (flags & BD_SWEEP_STRICT) != 0;
        if (check_triggers(c, ax, seen, d, shape, strict) < 0 || check_strategies(c, ax, seen, d, shape) < 0) return -1;
    }
    return 0;
}
