/* Which model each cell of a sweep is measured on (common/job.h): a cell
 * with poisoned training data is its own model; a cell of rate 0 — or whose
 * rate poisons no sample of its training split, when the split's size can be
 * known here — is measured on the clean model of its seed, one model for
 * every attack of the sweep.
 *
 * One walk of the cells, keyed by value indices rather than texts: only the
 * clean models are kept (few), so a grid of 10^7 poisoned cells costs no
 * memory per cell here. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "axes.h"
#include "dataset.h"
#include "job.h"
#include "job_plan.h"
#include "sweep_internal.h"

/* The training and test split of a dataset value. */
typedef struct Sizes {
    int made, known, n_train, n_test;
} Sizes;

struct SwModelIndex {
    SwStrSet clean;     /* the clean job's value indices -> index into clean */
    Sizes *sizes;       /* [dataset value] */
    unsigned clean_mask, attack_mask;
    /* Whether each rate poisons nothing, for the last (dataset, train,
     * retrain) values: consecutive cells mostly differ in other axes. */
    int last[3];
    signed char *nothing; /* [rate value]: 1 yes, 0 no, -1 not known yet */
    int n_rates;
    BdJob job; /* a cell job with the values the plan depends on, for bd_job_plan */
};

/* What the training split's size depends on. */
static const BdAxis split_axes[3] = {BD_AXIS_DATASET, BD_AXIS_TRAIN, BD_AXIS_RETRAIN};

static const Sizes *sizes_of(struct SwModelIndex *ix, const BdSweep *sw, int d) {
    Sizes *s = &ix->sizes[d];
    if (s->made) return s;
    s->made = 1;
    const BdSpec *spec = bd_sweep_spec(sw, BD_AXIS_DATASET, d);
    BdDataNominal nominal;
    if (bd_dataset_sizes(spec, &s->n_train, &s->n_test, NULL) == 0) s->known = 1;
    else if (bd_dataset_nominal(spec, &nominal, NULL) == 0) {
        s->n_train = nominal.n_train;
        s->n_test = nominal.n_test;
        s->known = 1;
    }
    return s;
}

/* Whether the cell's poisoning poisons nothing: rate 0, or a rate that
 * rounds to no sample of its training split (the held-out part taken off). */
static int poisons_nothing(struct SwModelIndex *ix, const BdSweep *sw, const BdSweepWalk *w) {
    int same = 1;
    for (int k = 0; k < 3; k++) same &= ix->last[k] == w->idx[split_axes[k]];
    if (!same) {
        for (int k = 0; k < 3; k++) ix->last[k] = w->idx[split_axes[k]];
        memset(ix->nothing, -1, (size_t)ix->n_rates);
    }
    signed char *nothing = &ix->nothing[w->idx[BD_AXIS_POISON_RATE]];
    if (*nothing >= 0) return *nothing;
    double rate = strtod(w->cell.values[BD_AXIS_POISON_RATE], NULL);
    const Sizes *s = rate == 0.0 ? NULL : sizes_of(ix, sw, w->idx[BD_AXIS_DATASET]);
    if (rate == 0.0) *nothing = 1;
    else if (!s->known) *nothing = 0;
    else {
        ix->job.kind = BD_JOB_CELL;
        ix->job.cell.v[BD_AXIS_TRAIN] = *bd_sweep_spec(sw, BD_AXIS_TRAIN, w->idx[BD_AXIS_TRAIN]);
        ix->job.cell.v[BD_AXIS_RETRAIN] = *bd_sweep_spec(sw, BD_AXIS_RETRAIN, w->idx[BD_AXIS_RETRAIN]);
        BdJobPlan plan;
        bd_job_plan(&ix->job, s->n_train, s->n_test, &plan);
        *nothing = lround(rate * plan.phases[0].train_samples) == 0;
    }
    return *nothing;
}

/* The value indices of the axes in mask, as a set key ("3,0,1,"), after a
 * prefix (-1: none). */
static void indices_key(char *out, size_t cap, int prefix, const int *idx, unsigned mask) {
    size_t n = prefix >= 0 ? (size_t)snprintf(out, cap, "%d:", prefix) : 0;
    out[n] = '\0';
    for (int a = 0; a < BD_AXIS_COUNT && n < cap; a++)
        if (mask & (1u << a)) n += (size_t)snprintf(out + n, cap - n, "%d,", idx[a]);
}

static struct SwModelIndex *index_new(const BdSweep *sw) {
    struct SwModelIndex *ix = bd_xcalloc(1, sizeof *ix);
    ix->sizes = bd_xcalloc((size_t)sw->axes[BD_AXIS_DATASET].n + 1, sizeof *ix->sizes);
    ix->clean_mask = bd_job_kind_axes(bd_axes(), BD_JOB_CLEAN);
    ix->attack_mask = bd_axes_attack_mask(bd_axes());
    for (int k = 0; k < 3; k++) ix->last[k] = -1;
    ix->n_rates = sw->axes[BD_AXIS_POISON_RATE].n;
    ix->nothing = bd_xmalloc((size_t)ix->n_rates + 1);
    return ix;
}

int bd_sweep_model_of(const BdSweepModels *m, const BdSweep *sw, const BdSweepWalk *w) {
    if (!poisons_nothing(m->index, sw, w)) return -1;
    char key[64 * BD_AXIS_COUNT];
    indices_key(key, sizeof key, -1, w->idx, m->index->clean_mask);
    int found = sw_strset_put(&m->index->clean, key, m->n_clean);
    return found >= 0 ? found : m->n_clean; /* new: the next clean model */
}

int bd_sweep_models(const BdSweep *sw, BdSweepModels *out, BdError *err) {
    memset(out, 0, sizeof *out);
    out->index = index_new(sw);
    if (sw->cells) out->cell_model = bd_xmalloc(sizeof *out->cell_model * ((size_t)sw->n_cells + 1));
    SwStrSet attacks = {0}, pretrain = {0};
    int cap = 0, rc, i = 0;
    char key[64 * BD_AXIS_COUNT];
    BdSweepWalk *w = bd_sweep_walk_begin();
    while ((rc = bd_sweep_walk_next(sw, w, err)) == 1) {
        int m = bd_sweep_model_of(out, sw, w);
        if (m < 0) {
            out->n_own++;
        } else if (m == out->n_clean) { /* a new one */
            char job_key[BD_KEY_MAX];
            if (bd_job_key(bd_axes(), BD_JOB_CLEAN, (const char *const *)w->cell.values, job_key, sizeof job_key,
                           err) < 0) {
                rc = -1;
                break;
            }
            if (out->n_clean == cap) {
                cap = cap ? 2 * cap : 16;
                out->clean = bd_xrealloc(out->clean, sizeof *out->clean * (size_t)cap);
            }
            out->clean[out->n_clean++] = (BdSweepModel){bd_xstrdup(job_key), i, 0, 0};
        }
        if (m >= 0) {
            out->clean[m].n_cells++;
            indices_key(key, sizeof key, m, w->idx, out->index->attack_mask);
            if (sw_strset_put(&attacks, key, 0) < 0) out->clean[m].n_attacks++;
        }
        if (out->cell_model) out->cell_model[i] = m;
        /* Pre-training jobs are models to train too, each once. */
        if (w->cell.pretrain_key && sw_strset_put(&pretrain, w->cell.pretrain_key, 0) < 0) out->n_pretrain++;
        i++;
    }
    bd_sweep_walk_end(w);
    sw_strset_free(&attacks);
    sw_strset_free(&pretrain);
    if (rc < 0) bd_sweep_models_free(out);
    return rc < 0 ? -1 : 0;
}

void bd_sweep_models_free(BdSweepModels *m) {
    for (int i = 0; i < m->n_clean; i++) free(m->clean[i].key);
    free(m->clean);
    free(m->cell_model);
    if (m->index) {
        sw_strset_free(&m->index->clean);
        free(m->index->sizes);
        free(m->index->nothing);
        free(m->index);
    }
    memset(m, 0, sizeof *m);
}
