/* Checks that involve several axes: does each trigger fit each dataset's
 * images, is each target (and one-to-one source) a class of the dataset,
 * does each strategy have enough samples to poison (sweep_pools.c).
 * They run once per distinct combination that occurs among the sweep's cells
 * (a sweep has thousands of cells but a handful of datasets and triggers), so
 * a combination that `exclude` removes is never checked. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attack.h"
#include "axes.h"
#include "dataset.h"
#include "sweep_internal.h"
#include "text.h"

/* "grid.dataset[0] (line 7)" or "the default strategy all-to-one". */
static void describe(const SwAxis *ax, BdAxis a, int i, char *out, size_t cap) {
    const BdSweepValue *v = &ax[a].values[i];
    if (v->line) snprintf(out, cap, "%s (line %d)", v->where, v->line);
    else snprintf(out, cap, "the default %s %s", bd_axes()[a].name, v->text);
}

static int fail_at(const SwCtx *c, const BdSweepValue *v, const char *with, const char *msg) {
    return bd_fail(c->err, "%s:%d:%d: %s: with %s: %s", c->file, v->line, v->col, v->where, with, msg);
}

/* The file a trigger reads (its `path`: image triggers, blended images) when
 * it is not on this machine; NULL when it has none or it is here. */
static const char *missing_file(const BdSpec *trigger) {
    if (!bd_spec_has(trigger, "path")) return NULL;
    const char *path = bd_spec_str(trigger, "path");
    return access(path, R_OK) == 0 ? NULL : path;
}

/* Strict (run): the trigger is made, so a file it reads must be there and
 * decode. Otherwise (plan): its fit, unless that needs a file that is not
 * here (warned about once, by warn_missing_files). */
static int check_triggers(SwCtx *c, const SwAxis *ax, const SwCombos *seen, int d, BdDataShape shape, int strict) {
    const SwAxis *T = &ax[BD_AXIS_TRIGGER];
    for (int t = 0; t < T->n; t++) {
        if (!seen->trigger_seen[(size_t)d * (size_t)T->n + (size_t)t]) continue;
        BdError e = {{0}};
        BdTrigger *made = NULL;
        int rc = strict ? bd_trigger_make(&T->specs[t], shape, 0, &made, &e) : bd_trigger_check_fit(&T->specs[t], shape, &e);
        if (made) bd_trigger_free(made);
        if (rc < 0 && !strict && missing_file(&T->specs[t])) continue;
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

/* A note for `plan`: what one dataset's checks used ("dataset X: WHAT"). */
static void note(SwCtx *c, const char *dataset, const char *what) {
    char text[1024];
    bd_text_format(text, sizeof text, "dataset %s: %s", dataset, what);
    c->notes = bd_xrealloc(c->notes, sizeof *c->notes * (size_t)(c->n_notes + 1));
    c->notes[c->n_notes++] = bd_xstrdup(text);
}

/* Plan: a trigger file that is not here may be on the cluster; run refuses it. */
static void warn_missing_files(SwCtx *c, const SwAxis *ax) {
    const SwAxis *T = &ax[BD_AXIS_TRIGGER];
    for (int t = 0; t < T->n; t++) {
        const char *path = missing_file(&T->specs[t]);
        const BdSweepValue *v = &T->values[t];
        if (path)
            sw_warn(c, v->line, v->col, v->where,
                    "trigger %s: cannot read %s (%s): expected the trigger's file; checks that need it are skipped "
                    "here (`run` requires it)",
                    T->specs[t].name, path, strerror(errno));
    }
}

int sw_check_combinations(SwCtx *c, const SwAxis *ax, const SwCombos *seen, const BdSweep *sw, int flags) {
    const SwAxis *D = &ax[BD_AXIS_DATASET];
    int strict = (flags & BD_SWEEP_STRICT) != 0;
    if (!strict) warn_missing_files(c, ax);
    SwPoolVerdict *pool_verdict = bd_xcalloc(1, sizeof *pool_verdict);
    int rc = 0;
    for (int d = 0; d < D->n && rc == 0; d++) {
        BdDataShape shape;
        BdDataNominal nominal;
        BdError e = {{0}};
        const BdSweepValue *v = &D->values[d];
        const BdSpec *spec = &D->specs[d];
        int *labels = NULL, n_labels = 0;
        /* The data itself when it is here: its shape, then its training labels. */
        int have_shape = bd_dataset_shape(spec, &shape, &e) == 0;
        int have_labels = have_shape && bd_dataset_train_labels(spec, &labels, &n_labels, &e) == 0;
        /* Planning on a machine without the data: its standard sizes. */
        int standard = !have_labels && !strict && bd_dataset_nominal(spec, &nominal, NULL) == 0 &&
                       nominal.shape.classes <= BD_NOMINAL_MAX_CLASSES;
        char source[256], what[512];
        SwPoolData pools = {0};
        if (have_labels) {
            bd_text_format(source, sizeof source, "counted in the data's %d training labels", n_labels);
            pools = (SwPoolData){shape.classes, n_labels, labels, NULL, source};
            note(c, v->text, "trigger fit, classes and poisoning pools checked against the data");
        } else if (strict && !have_shape) {
            rc = bd_fail(c->err, "%s:%d:%d: %s: %s", c->file, v->line, v->col, v->where, e.msg);
            break;
        } else if (standard) {
            if (!have_shape) shape = nominal.shape;
            bd_text_format(source, sizeof source, "%s; the data is not here", nominal.source);
            pools = (SwPoolData){nominal.shape.classes, nominal.n_train, NULL, nominal.train_per_class, source};
            sw_warn(c, v->line, v->col, v->where,
                    "%s; the checks that need the data (trigger fit, target class, poisoning pools) use %s here "
                    "(`run` checks them against the data)",
                    e.msg, nominal.source);
            bd_text_format(what, sizeof what,
                           "the data is not here: trigger fit, classes and poisoning pools checked against %s",
                           nominal.source);
            note(c, v->text, what);
        } else if (!strict) {
            sw_warn(c, v->line, v->col, v->where,
                    "%s; the checks that need the data (%s) are skipped for this dataset here (`run` requires it)",
                    e.msg, have_shape ? "poisoning pools" : "trigger fit, target class, poisoning pools");
            note(c, v->text, "the data is not here and has no standard sizes: checked only as far as its "
                             "parameters tell");
        }
        if ((have_shape || standard) &&
            (check_triggers(c, ax, seen, d, shape, strict) < 0 || check_strategies(c, ax, seen, d, shape) < 0))
            rc = -1;
        else if (strict && !have_labels) /* the shape is known (its parameters), the data is not there */
            rc = bd_fail(c->err, "%s:%d:%d: %s: %s", c->file, v->line, v->col, v->where, e.msg);
        else if (have_labels || standard)
            sw_check_pools(c, ax, seen, sw, d, &pools, pool_verdict);
        free(labels);
    }
    if (rc == 0) rc = sw_pool_verdict(c, pool_verdict);
    free(pool_verdict);
    return rc;
}
