/* Checks that involve several axes: does each trigger fit each dataset's
 * images, is each target (and one-to-one source) a class of the dataset,
 * does each regularizer find the layers it reads in each model, does each
 * strategy have enough samples to poison (sweep_pools.c). They run once per
 * distinct combination that occurs among the sweep's cells (a sweep has
 * thousands of cells but a handful of datasets, models and triggers), so a
 * combination that `exclude` removes is never checked. And is each
 * dataset's folder on this machine, and each trigger's file. Without the
 * data (plan on a laptop), the dataset's standard sizes stand in for it,
 * and a note says so. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attack.h"
#include "axes.h"
#include "dataset.h"
#include "models.h"
#include "regularizers.h"
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

/* Strict (run): the trigger is made, so a file it reads must be there and
 * decode. Otherwise (plan): its fit, unless that needs a file that is not
 * here (warned about once, by warn_missing_files). */
static int check_triggers(SwCtx *c, const SwAxis *ax, const SwCombos *seen, int d, BdDataShape shape, int strict) {
    const SwAxis *T = &ax[BD_AXIS_TRIGGER];
    for (int t = 0; t < T->n; t++) {
        if (!seen->trigger_seen[(size_t)d * (size_t)T->n + (size_t)t]) continue;
        BdError e = {0};
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
            BdError e = {0};
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
 * the shapes of the model each cell of the combination builds (batch 1
 * here: the tags do not depend on it; nothing of the model's size is
 * allocated), which checks every tag it names. A model that cannot be
 * built here is left to its cells (their error says why; plan's cost line
 * too). */
static int check_regularizers(SwCtx *c, const SwAxis *ax, const SwCombos *seen, int d, BdDataShape shape) {
    const SwAxis *A = &ax[BD_AXIS_ARCH], *R = &ax[BD_AXIS_REGULARIZER];
    for (int a = 0; a < A->n; a++) {
        BdGraph *g = NULL;
        for (int r = 0; r < R->n; r++) {
            if (!seen->regularizer_seen[((size_t)d * (size_t)A->n + (size_t)a) * (size_t)R->n + (size_t)r] ||
                !strcmp(R->specs[r].name, "none"))
                continue;
            BdError e = {0};
            BdShape in = {shape.c, shape.h, shape.w};
            if (!g && bd_model_build_shapes(&A->specs[a], in, shape.classes, 1, BD_ENGINE_REF, BD_FP32, &g, &e) < 0)
                break;
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

/* A note for `plan`: what one dataset's checks used ("dataset X: WHAT"). */
static void note(SwCtx *c, const char *dataset, const char *what) {
    char text[1024];
    bd_text_format(text, sizeof text, "dataset %s: %s", dataset, what);
    c->notes = bd_xrealloc(c->notes, sizeof *c->notes * (size_t)(c->n_notes + 1));
    c->notes[c->n_notes++] = bd_xstrdup(text);
}

int sw_check_combinations(SwCtx *c, const SwAxis *ax, const SwCombos *seen, int flags) {
    const SwAxis *D = &ax[BD_AXIS_DATASET];
    int strict = (flags & BD_SWEEP_STRICT) != 0;
    if (!strict) warn_missing_files(c, ax);
    SwPoolVerdict *pool_verdict = bd_xcalloc(1, sizeof *pool_verdict);
    int rc = 0;
    for (int d = 0; d < D->n && rc == 0; d++) {
        BdDataShape shape;
        BdDataNominal nominal;
        BdError e = {0};
        const BdSweepValue *v = &D->values[d];
        const BdSpec *spec = &D->specs[d];
        int *labels = NULL, n_labels = 0;
        /* The data itself when it is here: its shape, its folder, its
         * training labels (no pixel is read). */
        int have_shape = bd_dataset_shape(spec, &shape, &e) == 0;
        if (!have_shape && strict) {
            rc = bd_fail(c->err, "%s:%d:%d: %s: %s", c->file, v->line, v->col, v->where, e.msg);
            break;
        }
        int have_folder = have_shape && check_folder(spec, &e) == 0;
        if (have_shape && !have_folder && strict) {
            rc = bd_fail(c->err, "%s:%d:%d: %s: %s: run needs the data on the machine it runs on", c->file, v->line,
                         v->col, v->where, e.msg);
            break;
        }
        int have_labels = have_folder && bd_dataset_train_labels(spec, &labels, &n_labels, &e) == 0;
        /* Planning on a machine without the data: its standard sizes. */
        int standard = !have_labels && !strict && bd_dataset_nominal(spec, &nominal, NULL) == 0 &&
                       nominal.shape.classes <= BD_NOMINAL_MAX_CLASSES;
        if (!have_shape && standard) shape = nominal.shape;
        /* What needs the data itself: the pools; and the image shape and
         * classes too when the dataset's parameters do not tell them. */
        const char *needs = have_shape ? "poisoning pools" : "trigger fit, classes, regularizer layers, poisoning pools";
        char source[256], instead[512], what[768];
        SwPoolData pools = {0};
        if (have_labels) {
            bd_text_format(source, sizeof source, "counted in the data's %d training labels", n_labels);
            pools = (SwPoolData){shape.classes, n_labels, labels, NULL, source};
            note(c, v->text, "trigger fit, classes, regularizer layers and poisoning pools checked against the data");
        } else if (!strict) {
            if (standard) {
                bd_text_format(source, sizeof source, "%s; the data is not here", nominal.source);
                pools = (SwPoolData){nominal.shape.classes, nominal.n_train, NULL, nominal.train_per_class, source};
                bd_text_format(instead, sizeof instead, "the checks that need the data (%s) use %s here", needs,
                               nominal.source);
                bd_text_format(what, sizeof what, "the data is not here: %s checked against %s", needs,
                               nominal.source);
            } else {
                bd_text_format(instead, sizeof instead,
                               "the checks that need the data (%s) are skipped for this dataset here", needs);
                bd_text_format(what, sizeof what, "the data is not here and has no standard sizes: %s not checked",
                               needs);
            }
            if (!have_folder && have_shape)
                sw_warn(c, v->line, v->col, v->where,
                        "%s: every cell of this dataset would fail here, and `run` refuses it (fine when the sweep "
                        "runs on another machine that has the data); %s",
                        e.msg, instead);
            else
                sw_warn(c, v->line, v->col, v->where, "%s; %s (`run` requires the data)", e.msg, instead);
            note(c, v->text, what);
        }
        if ((have_shape || standard) && (check_triggers(c, ax, seen, d, shape, strict) < 0 ||
                                         check_strategies(c, ax, seen, d, shape) < 0 ||
                                         check_regularizers(c, ax, seen, d, shape) < 0))
            rc = -1;
        else if (strict && !have_labels) /* the shape is known (its parameters), the labels cannot be read */
            rc = bd_fail(c->err, "%s:%d:%d: %s: %s", c->file, v->line, v->col, v->where, e.msg);
        else if (have_labels || standard)
            sw_check_pools(c, ax, seen, d, &pools, pool_verdict);
        free(labels);
    }
    if (rc == 0) rc = sw_pool_verdict(c, pool_verdict);
    free(pool_verdict);
    return rc;
}
