/* Does each model fit the memory limit its job runs under? A job's process
 * gets the limit as its RLIMIT_DATA (worker/proc/), and a model whose own
 * training memory exceeds it fails every attempt (the worker refuses it
 * before it allocates, cell_run.c). Here it is refused before anything
 * runs, like a poisoning pool that must fail: the estimate of the model's
 * memory (bd_job_memory, from its shapes) against the limit of each job
 * that trains it, with the limits as the coordinator sets them
 * (coordinator/run/work_list.c): a cell's own model under the cell's
 * limits, a clean model under the widest of the cells it serves, a
 * pre-training job under the widest of the cells that wait for it (through
 * their clean models or not: widening is the same either way).
 *
 * The estimate leaves out the data and whatever else the process holds, so
 * a model under the limit may still fail; one over it cannot succeed. One
 * walk of the cells, only for a sweep that sets a memory limit; an
 * estimate per distinct model, batch and precisions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "axes.h"
#include "cost.h"
#include "job_plan.h"
#include "sweep_internal.h"
#include "text.h"
#include "units.h"

/* A job of the sweep that trains a model: its dataset and arch values, the
 * limits it runs under, its key (for messages). */
typedef struct MemJob {
    int data, arch;
    BdLimits limits;
    int set; /* limits holds the first cell's already */
    char *key;
} MemJob;

typedef struct Verdict {
    char first[BD_ERROR_MAX];
    char first_key[BD_KEY_MAX];
    int jobs; /* over their limit */
} Verdict;

static int sets_memory_limit(const BdSweep *sw) {
    if (sw->limits.all.memory > 0) return 1;
    for (int i = 0; i < sw->grid->n_rules; i++)
        if (sw->grid->rules[i].given & SW_LIMIT_MEMORY && sw->grid->rules[i].set.memory > 0) return 1;
    return 0;
}

static void widen(MemJob *j, const BdLimits *l) {
    if (j->set) bd_limits_widen(&j->limits, l);
    else j->limits = *l;
    j->set = 1;
}

/* One job against its limit: 1 when over it (the first described in v,
 * the others counted). */
static int check_job(BdSweepCost *cost, const BdSweep *sw, const MemJob *j, const BdJob *job, const char *whose,
                     Verdict *v) {
    if (j->limits.memory <= 0) return 0;
    const double bytes = bd_sweep_cost_memory(cost, sw, j->data, j->arch, job);
    if (bytes <= (double)j->limits.memory) return 0;
    if (v->jobs++) return 1;
    BdJobPlan plan;
    bd_job_plan(job, 1, 1, &plan); /* for its batch */
    char need[32], limit[32];
    bd_format_size((int64_t)bytes, need, sizeof need);
    bd_format_size(j->limits.memory, limit, sizeof limit);
    const BdSweepValue *a = &sw->axes[BD_AXIS_ARCH].values[j->arch], *d = &sw->axes[BD_AXIS_DATASET].values[j->data];
    bd_text_format(v->first, sizeof v->first,
                   "%s:%d:%d: %s: with %s (line %d): %s needs about %s to train at batch %d (an estimate from its "
                   "shapes: parameters, gradients, momentum and the engine's buffers; the data comes on top), more "
                   "than its job's memory limit of %s (%s): it must fail; expected a larger memory limit "
                   "(limits.memory, or an override naming these cells), a smaller model or batch, or an exclude "
                   "entry for them",
                   sw->path, a->line, a->col, a->where, d->where, d->line, a->text, need, plan.max_batch, limit, whose);
    bd_text_format(v->first_key, sizeof v->first_key, "%s", j->key);
    return 1;
}

int sw_check_memory(const BdSweep *sw, BdError *err) {
    if (!sets_memory_limit(sw)) return 0;
    const BdSweepModels *models = &sw->models;
    BdSweepCost cost;
    bd_sweep_cost_begin(sw, &cost);
    MemJob *clean = bd_xcalloc((size_t)models->n_clean + 1, sizeof *clean), *pre = NULL;
    SwStrSet pre_keys = {0};
    int n_pre = 0, rc;
    BdJob *job = bd_xcalloc(1, sizeof *job);
    Verdict v;
    memset(&v, 0, sizeof v);
    /* The last own cell's model: consecutive cells mostly share it. */
    int last[4] = {-1, -1, -1, -1};
    static const BdAxis model_axes[4] = {BD_AXIS_DATASET, BD_AXIS_ARCH, BD_AXIS_TRAIN, BD_AXIS_RETRAIN};
    int64_t last_limit = -1;
    int last_over = 0;
    BdSweepWalk *w = bd_sweep_walk_begin();
    while ((rc = bd_sweep_walk_next(sw, w, err)) == 1) {
        const int *idx = w->idx;
        const BdLimits limits = bd_sweep_limits_of(sw, w);
        const int m = bd_sweep_model_of(models, sw, w);
        if (m >= 0) {
            if (!clean[m].set) clean[m] = (MemJob){idx[BD_AXIS_DATASET], idx[BD_AXIS_ARCH], limits, 1, NULL};
            else widen(&clean[m], &limits);
        } else if (limits.memory > 0) {
            int same = last_limit == limits.memory;
            for (int k = 0; k < 4; k++) same &= last[k] == idx[model_axes[k]];
            if (!same) {
                for (int k = 0; k < 4; k++) last[k] = idx[model_axes[k]];
                last_limit = limits.memory;
                job->kind = BD_JOB_CELL;
                job->cell.v[BD_AXIS_TRAIN] = *bd_sweep_spec(sw, BD_AXIS_TRAIN, idx[BD_AXIS_TRAIN]);
                job->cell.v[BD_AXIS_RETRAIN] = *bd_sweep_spec(sw, BD_AXIS_RETRAIN, idx[BD_AXIS_RETRAIN]);
                MemJob own = {idx[BD_AXIS_DATASET], idx[BD_AXIS_ARCH], limits, 1, w->cell.key};
                char whose[160];
                sw_memory_limit_source(sw->grid, idx, whose, sizeof whose);
                last_over = check_job(&cost, sw, &own, job, whose, &v);
            } else if (last_over) {
                v.jobs++; /* the same model as the last cell's, over the same limit */
            }
        }
        if (!w->cell.pretrain_key) continue;
        int k = sw_strset_put(&pre_keys, w->cell.pretrain_key, n_pre);
        if (k < 0) {
            k = n_pre++;
            pre = bd_xrealloc(pre, sizeof *pre * (size_t)n_pre);
            pre[k] = (MemJob){idx[BD_AXIS_DATASET], idx[BD_AXIS_ARCH], limits, 1, bd_xstrdup(w->cell.pretrain_key)};
        } else {
            widen(&pre[k], &limits);
        }
    }
    bd_sweep_walk_end(w);
    for (int m = 0; rc == 0 && m < models->n_clean; m++) {
        if (!clean[m].set || clean[m].limits.memory <= 0) continue;
        clean[m].key = models->clean[m].key;
        if (bd_job_parse(bd_axes(), clean[m].key, job, err) < 0) {
            rc = -1;
            break;
        }
        check_job(&cost, sw, &clean[m], job, "that of its seed's clean model: the widest of the cells it serves", &v);
    }
    for (int k = 0; rc == 0 && k < n_pre; k++) {
        if (pre[k].limits.memory <= 0) continue;
        if (bd_job_parse(bd_axes(), pre[k].key, job, err) < 0) {
            rc = -1;
            break;
        }
        check_job(&cost, sw, &pre[k], job, "that of a pre-training job: the widest of the cells that wait for it", &v);
    }
    for (int k = 0; k < n_pre; k++) free(pre[k].key);
    free(pre);
    free(clean);
    free(job);
    sw_strset_free(&pre_keys);
    bd_sweep_cost_end(&cost);
    if (rc < 0) return -1;
    if (!v.jobs) return 0;
    char more[64] = "";
    if (v.jobs > 1) bd_text_format(more, sizeof more, " (in all, %d jobs over their memory limit)", v.jobs);
    /* The key last: a message too long for BD_ERROR_MAX is cut there, visibly. */
    return bd_fail(err, "%s%s; the first: %s", v.first, more, v.first_key);
}
