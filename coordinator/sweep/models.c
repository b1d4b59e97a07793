/* Which model each cell of a sweep is measured on (common/job.h): a cell
 * with poisoned training data is its own model; a cell of rate 0 — or whose
 * rate poisons no sample of its training split, when the split's size can be
 * known here — is measured on the clean model of its seed, one model for
 * every attack of the sweep. */
#include <stdlib.h>
#include <string.h>

#include "attack.h"
#include "axes.h"
#include "dataset.h"
#include "job.h"
#include "job_plan.h"
#include "rng.h"
#include "sweep.h"

/* The training split of a dataset, per distinct dataset text (few per sweep). */
typedef struct Sizes {
    const char *text;
    int known, n_train, n_test;
} Sizes;

static const Sizes *sizes_of(Sizes **list, int *n, const char *text) {
    for (int i = 0; i < *n; i++)
        if ((*list)[i].text == text || !strcmp((*list)[i].text, text)) return &(*list)[i];
    *list = bd_xrealloc(*list, sizeof **list * (size_t)(*n + 1));
    Sizes *s = &(*list)[(*n)++];
    *s = (Sizes){text, 0, 0, 0};
    BdSpec spec;
    BdDataNominal nominal;
    if (bd_axis_value_parse(bd_axes(), BD_AXIS_DATASET, text, &spec, NULL) < 0) return s;
    if (bd_dataset_sizes(&spec, &s->n_train, &s->n_test, NULL) == 0) s->known = 1;
    else if (bd_dataset_nominal(&spec, &nominal, NULL) == 0) {
        s->n_train = nominal.n_train;
        s->n_test = nominal.n_test;
        s->known = 1;
    }
    return s;
}

/* Whether the cell's poisoning poisons nothing: rate 0, or a rate that
 * rounds to no sample of its training split (the held-out part taken off). */
static int poisons_nothing(const BdSweepCell *c, Sizes **sizes, int *n_sizes) {
    double rate = strtod(c->values[BD_AXIS_POISON_RATE], NULL);
    if (rate == 0.0) return 1;
    const Sizes *s = sizes_of(sizes, n_sizes, c->values[BD_AXIS_DATASET]);
    if (!s->known) return 0;
    BdJob job;
    job.kind = BD_JOB_CELL;
    if (bd_cell_parse(bd_axes(), c->key, &job.cell, NULL) < 0) return 0;
    BdJobPlan plan;
    bd_job_plan(&job, s->n_train, s->n_test, &plan);
    return bd_poison_count(rate, plan.phases[0].train_samples) == 0;
}

/* An index of model keys: open addressing on their hash. */
typedef struct Index {
    int *slot; /* model index + 1; 0 empty */
    size_t cap;
} Index;

static int index_find(const Index *ix, const BdSweepModel *models, const char *key, size_t *where) {
    size_t h = (size_t)bd_hash_str(key) & (ix->cap - 1);
    while (ix->slot[h]) {
        if (!strcmp(models[ix->slot[h] - 1].key, key)) return ix->slot[h] - 1;
        h = (h + 1) & (ix->cap - 1);
    }
    *where = h;
    return -1;
}

typedef struct Attacks {
    int *cell;
    int n;
} Attacks;

int bd_sweep_models(const BdSweep *sw, BdSweepModels *out, BdError *err) {
    memset(out, 0, sizeof *out);
    out->cell_model = bd_xmalloc(sizeof *out->cell_model * ((size_t)sw->n_cells + 1));
    Index ix = {NULL, 64};
    while (ix.cap < 2 * (size_t)sw->n_cells + 2) ix.cap *= 2;
    ix.slot = bd_xcalloc(ix.cap, sizeof *ix.slot);
    Sizes *sizes = NULL;
    int n_sizes = 0, cap = 0, rc = 0;
    char key[BD_KEY_MAX];
    unsigned attack_mask = bd_axes_attack_mask(bd_axes());
    Attacks *attacks = NULL; /* [model]: the first cell of each of its attacks */
    for (int i = 0; i < sw->n_cells && rc == 0; i++) {
        const BdSweepCell *c = &sw->cells[i];
        BdJobKind kind = poisons_nothing(c, &sizes, &n_sizes) ? BD_JOB_CLEAN : BD_JOB_CELL;
        if (kind == BD_JOB_CLEAN) rc = bd_job_key(bd_axes(), kind, (const char *const *)c->values, key, sizeof key, err);
        const char *model_key = kind == BD_JOB_CLEAN ? key : c->key;
        size_t where = 0;
        int m = rc == 0 ? index_find(&ix, out->models, model_key, &where) : -1;
        if (rc == 0 && m < 0) {
            if (out->n == cap) {
                cap = cap ? 2 * cap : 64;
                out->models = bd_xrealloc(out->models, sizeof *out->models * (size_t)cap);
                attacks = bd_xrealloc(attacks, sizeof *attacks * (size_t)cap);
            }
            attacks[out->n] = (Attacks){NULL, 0};
            m = out->n++;
            out->models[m] = (BdSweepModel){bd_xstrdup(model_key), kind, i, 0, 0};
            ix.slot[where] = m + 1;
        }
        if (rc == 0) {
            out->models[m].n_cells++;
            out->cell_model[i] = m;
            /* A new attack of the model unless one of its cells so far has
             * the same attack values (the value texts are shared between
             * cells: the first cell of each attack stands for it). */
            Attacks *at = &attacks[m];
            int seen = 0;
            for (int k = 0; k < at->n && !seen; k++) {
                seen = 1;
                for (int a = 0; a < BD_AXIS_COUNT; a++)
                    if ((attack_mask & (1u << a)) && sw->cells[at->cell[k]].values[a] != c->values[a]) seen = 0;
            }
            if (!seen) {
                at->cell = bd_xrealloc(at->cell, sizeof *at->cell * (size_t)(at->n + 1));
                at->cell[at->n++] = i;
                out->models[m].n_attacks++;
            }
        }
    }
    /* Pre-training jobs are models to train too, each once. */
    memset(ix.slot, 0, ix.cap * sizeof *ix.slot);
    for (int i = 0; i < sw->n_cells && rc == 0; i++) {
        const char *p = sw->cells[i].pretrain_key;
        if (!p) continue;
        size_t h = (size_t)bd_hash_str(p) & (ix.cap - 1);
        while (ix.slot[h] && strcmp(sw->cells[ix.slot[h] - 1].pretrain_key, p)) h = (h + 1) & (ix.cap - 1);
        if (!ix.slot[h]) {
            ix.slot[h] = i + 1;
            out->n_pretrain++;
        }
    }
    for (int k = 0; k < out->n; k++) free(attacks[k].cell);
    free(attacks);
    free(ix.slot);
    free(sizes);
    if (rc < 0) bd_sweep_models_free(out);
    return rc;
}

void bd_sweep_models_free(BdSweepModels *m) {
    for (int i = 0; i < m->n; i++) free(m->models[i].key);
    free(m->models);
    free(m->cell_model);
    memset(m, 0, sizeof *m);
}
