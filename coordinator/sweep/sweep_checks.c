/* Checks that involve several axes: does each trigger fit each dataset's
 * images, is each target (and one-to-one source) a class of the dataset,
 * does each regularizer find the layers it reads in each model. They run
 * once per distinct combination that occurs among the sweep's cells (a sweep
 * has thousands of cells but a handful of datasets, models and triggers), so
 * a combination that `exclude` removes is never checked. And is each
 * dataset's folder on this machine. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "attack.h"
#include "axes.h"
#include "dataset.h"
#include "models.h"
#include "regularizers.h"
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
            long target = strtol(G->values[g].text, NULL, 10);
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

/* A regularizer reads tagged layers of the model (snnl's and manifold
 * mixup's `layers`, the penultimate features of contrastive): it is made on
 * the model each cell of the combination builds (batch 1 here: the tags do
 * not depend on it), which checks every tag it names. A model that cannot
 * be built here is left to its cells (their error says why; plan's cost
 * line too). */
static int check_regularizers(SwCtx *c, const SwAxis *ax, const SwCombos *seen, int d, BdDataShape shape) {
    const SwAxis *A = &ax[BD_AXIS_ARCH], *R = &ax[BD_AXIS_REGULARIZER];
    for (int a = 0; a < A->n; a++) {
        BdGraph *g = NULL;
        for (int r = 0; r < R->n; r++) {
            if (!seen->regularizer_seen[((size_t)d * (size_t)A->n + (size_t)a) * (size_t)R->n + (size_t)r] ||
                !strcmp(R->specs[r].name, "none"))
                continue;
            BdError e = {{0}};
            BdShape in = {shape.c, shape.h, shape.w};
            if (!g && bd_model_build(&A->specs[a], in, shape.classes, 1, &g, &e) < 0) break;
            BdReg *reg = NULL;
            int rc = bd_reg_make(&R->specs[r], g, &reg, &e);
            bd_reg_free(reg);
            if (rc < 0) {
                char ds[256], ar[256], with[600];
                describe(ax, BD_AXIS_DATASET, d, ds, sizeof ds);
                describe(ax, BD_AXIS_ARCH, a, ar, sizeof ar);
                snprintf(with, sizeof with, "%s and %s", ds, ar);
                bd_graph_free(g);
                return fail_at(c, &R->values[r], with, e.msg);
            }
        }
        bd_graph_free(g);
    }
    return 0;
}

/* The folder a dataset's `path` names: every cell of a dataset that is not
 * on the machine fails. (Damaged files inside it are a failure of those
 * cells, with the file and what is wrong.) */
static int check_folder(const BdSpec *spec, BdError *err) {
    if (bd_spec_find(spec, "path") < 0 || !bd_spec_has(spec, "path")) return 0;
    const char *path = bd_spec_str(spec, "path");
    struct stat st;
    if (stat(path, &st) < 0)
        return bd_fail(err, "%s: the data folder %s is not on this machine (%s)", spec->name, path, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return bd_fail(err, "%s: %s is not a folder: expected the folder with the data set's files", spec->name, path);
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
                    "%s; the checks that need the image shape (trigger fit, target class, regularizer layers) are "
                    "skipped for this dataset here (`run` requires it)",
                    e.msg);
            continue;
        }
        int strict = (flags & BD_SWEEP_STRICT) != 0;
        if (check_folder(&D->specs[d], &e) < 0) {
            if (strict)
                return bd_fail(c->err, "%s:%d:%d: %s: %s: run needs the data on the machine it runs on", c->file,
                               v->line, v->col, v->where, e.msg);
            sw_warn(c, v->line, v->col, v->where,
                    "%s: every cell of this dataset would fail here, and `run` refuses it (fine when the sweep runs "
                    "on another machine that has the data)",
                    e.msg);
        }
        if (check_triggers(c, ax, seen, d, shape, strict) < 0 || check_strategies(c, ax, seen, d, shape) < 0 ||
            check_regularizers(c, ax, seen, d, shape) < 0)
            return -1;
    }
    return 0;
}
