#include "job_plan.h"

#include <math.h>
#include <string.h>

#include "models.h"

static int limited(int n, long limit) { return limit > 0 && limit < n ? (int)limit : n; }

void bd_job_plan(const BdJob *job, int n_train, int n_test, BdJobPlan *plan) {
    memset(plan, 0, sizeof *plan);
    const BdCell *c = &job->cell;
    const BdSpec *train = &c->v[BD_AXIS_TRAIN], *retrain = &c->v[BD_AXIS_RETRAIN];
    plan->n_train = limited(n_train, bd_spec_int(train, "limit_train"));
    plan->n_test = limited(n_test, bd_spec_int(train, "limit_test"));
    BdTrainCfg cfg;
    bd_train_cfg_from_spec(train, &cfg);
    if (job->kind == BD_JOB_PRETRAIN) {
        plan->phases[plan->n_phases++] = (BdPhasePlan){BD_PHASE_PRETRAIN, cfg, plan->n_train, 0};
    } else {
        int retrains = strcmp(retrain->name, "none") != 0;
        if (retrains) plan->heldout = (int)lround(bd_spec_float(retrain, "fraction") * plan->n_train);
        plan->phases[plan->n_phases++] = (BdPhasePlan){BD_PHASE_TRAIN, cfg, plan->n_train - plan->heldout, 1};
        if (retrains) {
            BdTrainCfg rcfg;
            bd_retrain_cfg_from_spec(retrain, &cfg, &rcfg);
            plan->phases[plan->n_phases++] = (BdPhasePlan){BD_PHASE_RETRAIN, rcfg, plan->heldout, 1};
        }
    }
    for (int i = 0; i < plan->n_phases; i++)
        if (plan->phases[i].cfg.batch > plan->max_batch) plan->max_batch = plan->phases[i].cfg.batch;
}

int bd_job_memory(const BdJobPlan *plan, const BdSpec *arch, BdShape input, int classes, BdGraphMemory *out,
                  BdError *err) {
    memset(out, 0, sizeof *out);
    for (int i = 0; i < plan->n_phases; i++) {
        const BdPrecision p = plan->phases[i].cfg.precision;
        if (i > 0 && p == plan->phases[0].cfg.precision) continue; /* the same graph again (a plan has two phases at most) */
        BdGraphMemory m;
        if (bd_model_memory(arch, input, classes, plan->max_batch, p, &m, err) < 0) return -1;
        if (m.total > out->total) *out = m;
    }
    return 0;
}
