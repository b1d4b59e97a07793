/* Walking the grid's cells in sweep order: an odometer over the value
 * indices (the last axis fastest), skipping excluded cells. A cell costs its
 * key's length in work and nothing in memory: the key is joined from pieces
 * made once per value, and the resolved values are never copied per cell,
 * so `bdsweep plan` of 10^7 cells takes seconds and no memory per cell. */
#include <stdlib.h>
#include <string.h>

#include "job_keys.h"
#include "sweep_internal.h"

/* ---- the grid ---------------------------------------------------------------------------- */

int sw_grid_prepare(SwCtx *c, BdSweepGrid *g) {
    char absent_buf[BD_AXIS_COUNT * 64], piece[BD_KEY_MAX];
    const char *absent[BD_AXIS_COUNT], *texts[BD_AXIS_COUNT] = {0};
    if (bd_axis_absent_texts(c->axes, absent, absent_buf, sizeof absent_buf, c->err) < 0) return -1;
    g->total = 1;
    for (int a = 0; a < BD_AXIS_COUNT; a++) {
        const SwAxis *x = &g->ax[a];
        g->total *= x->n;
        if (g->total > BD_SWEEP_MAX_CELLS)
            return bd_fail(c->err, "%s: the grid has more than %ld cells: expected a smaller sweep (check the lists)",
                           c->file, BD_SWEEP_MAX_CELLS);
        /* Each value's piece is written by bd_key_join (every other axis
         * omitted): "axis=text", or nothing at the axis' absent value. */
        g->part[a] = bd_xcalloc((size_t)x->n, sizeof *g->part[a]);
        for (int i = 0; i < x->n; i++) {
            texts[a] = x->values[i].text;
            if (bd_key_join(c->axes, texts, absent, ~(1u << a), piece, sizeof piece, c->err) < 0)
                return bd_error_prefix(c->err, "%s: %s: ", c->file, x->values[i].where);
            if (piece[0]) g->part[a][i] = bd_xstrdup(piece);
        }
        texts[a] = NULL;
    }
    return 0;
}

void sw_grid_free(BdSweepGrid *g, int values_too) {
    for (int a = 0; a < BD_AXIS_COUNT; a++) {
        SwAxis *x = &g->ax[a];
        for (int i = 0; g->part[a] && i < x->n; i++) free(g->part[a][i]);
        free(g->part[a]);
        free(x->specs);
        sw_strset_free(&x->texts);
        if (values_too && x->values) {
            for (int i = 0; i < x->n; i++) free(x->values[i].text);
            free(x->values);
        }
    }
    for (int e = 0; e < g->n_ex; e++)
        for (int a = 0; a < BD_AXIS_COUNT; a++) free(g->ex[e].match[a]);
    free(g->ex);
    memset(g, 0, sizeof *g);
}

int sw_excluded(const BdSweepGrid *g, const int *idx) {
    for (int e = 0; e < g->n_ex; e++) {
        int all = 1;
        for (int a = 0; a < BD_AXIS_COUNT && all; a++)
            if (g->ex[e].match[a] && !g->ex[e].match[a][idx[a]]) all = 0;
        if (all) return 1;
    }
    return 0;
}

const BdSpec *bd_sweep_spec(const BdSweep *sw, BdAxis a, int i) {
    const SwAxis *x = &sw->grid->ax[a];
    return x->specs ? &x->specs[i] : NULL;
}

/* ---- walking ------------------------------------------------------------------------------- */

BdSweepWalk *bd_sweep_walk_begin(void) {
    BdSweepWalk *w = bd_xcalloc(1, sizeof *w);
    for (int a = 0; a < BD_AXIS_COUNT; a++) w->pre_idx[a] = -1;
    w->pre_pair = -1;
    return w;
}

static void forget_pre_keys(BdSweepWalk *w) {
    for (size_t i = 0; w->pre_keys && i < w->n_pre_keys; i++) {
        free(w->pre_keys[i]);
        w->pre_keys[i] = NULL;
    }
}

void bd_sweep_walk_end(BdSweepWalk *w) {
    if (!w) return;
    forget_pre_keys(w);
    free(w->pre_keys);
    free(w->scratch);
    free(w);
}

/* The next index tuple of the full product; 0 past the last. */
static int advance(const BdSweepGrid *g, BdSweepWalk *w) {
    if (!w->started) {
        w->started = 1;
        return 1;
    }
    for (int a = BD_AXIS_COUNT - 1; a >= 0; a--) {
        if (++w->idx[a] < g->ax[a].n) return 1;
        w->idx[a] = 0;
    }
    return 0;
}

/* The pieces of the cell's values, with the single space bd_key_join puts
 * between them. */
static int join_key(const BdSweepGrid *g, BdSweepWalk *w, BdError *err) {
    size_t o = 0;
    for (int a = 0; a < BD_AXIS_COUNT; a++) {
        const char *part = g->part[a][w->idx[a]];
        if (!part) continue;
        size_t n = strlen(part);
        if (o + (o > 0) + n >= sizeof w->key) return bd_fail(err, "cell key longer than %zu characters", sizeof w->key - 1);
        if (o) w->key[o++] = ' ';
        memcpy(w->key + o, part, n);
        o += n;
    }
    w->key[o] = '\0';
    return 0;
}

/* The axes a pre-training key is made of (bd_pretrain_key). */
static const BdAxis pretrain_axes[] = {BD_AXIS_DATASET, BD_AXIS_ARCH, BD_AXIS_SEED, BD_AXIS_INIT, BD_AXIS_TRAIN};
#define N_PRETRAIN_AXES (int)(sizeof pretrain_axes / sizeof pretrain_axes[0])
/* The most keys kept for one (dataset, arch): beyond, they are made per cell. */
#define MAX_PRE_KEYS (1L << 20)

/* The cell's pre-training job, if its init is pretrained. bd_pretrain_key
 * costs microseconds (specs copied, formatted), and the seeds, inits and
 * trainings of a grid come back again and again under every trigger, rate
 * and regularizer: the keys of the current (dataset, arch) — the slowest
 * axes — are kept by (seed, init, train). */
static int pretrain_key(const BdSweepGrid *g, BdSweepWalk *w, BdError *err) {
    const int *idx = w->idx;
    w->cell.pretrain_key = NULL;
    if (strcmp(g->ax[BD_AXIS_INIT].specs[idx[BD_AXIS_INIT]].name, "pretrained")) return 0;
    long pair = (long)idx[BD_AXIS_DATASET] * g->ax[BD_AXIS_ARCH].n + idx[BD_AXIS_ARCH];
    long n_init = g->ax[BD_AXIS_INIT].n, n_train = g->ax[BD_AXIS_TRAIN].n;
    long n_keys = g->ax[BD_AXIS_SEED].n * n_init * n_train;
    if (pair != w->pre_pair) {
        forget_pre_keys(w);
        w->pre_pair = pair;
        if (!w->pre_keys && n_keys <= MAX_PRE_KEYS) {
            w->n_pre_keys = (size_t)n_keys;
            w->pre_keys = bd_xcalloc(w->n_pre_keys, sizeof *w->pre_keys);
        }
    }
    size_t slot = ((size_t)idx[BD_AXIS_SEED] * (size_t)n_init + (size_t)idx[BD_AXIS_INIT]) * (size_t)n_train +
                  (size_t)idx[BD_AXIS_TRAIN];
    if (w->pre_keys && w->pre_keys[slot]) {
        w->cell.pretrain_key = w->pre_keys[slot];
        return 0;
    }
    if (!w->scratch) w->scratch = bd_xcalloc(1, sizeof *w->scratch);
    for (int k = 0; k < N_PRETRAIN_AXES; k++) {
        BdAxis a = pretrain_axes[k];
        if (w->pre_idx[a] == idx[a]) continue;
        const SwAxis *x = &g->ax[a];
        if (x->specs) w->scratch->v[a] = x->specs[idx[a]];
        else bd_spec_init(&w->scratch->v[a], x->values[idx[a]].text);
        w->pre_idx[a] = idx[a];
    }
    if (bd_pretrain_key(w->scratch, w->pretrain, sizeof w->pretrain, err) < 0) return -1;
    if (w->pre_keys) w->pre_keys[slot] = bd_xstrdup(w->pretrain);
    w->cell.pretrain_key = w->pretrain;
    return 0;
}

int bd_sweep_walk_next(const BdSweep *sw, BdSweepWalk *w, BdError *err) {
    const BdSweepGrid *g = sw->grid;
    do {
        if (!advance(g, w)) return 0;
    } while (sw_excluded(g, w->idx));
    if (join_key(g, w, err) < 0 || pretrain_key(g, w, err) < 0) return -1;
    w->cell.key = w->key;
    for (int a = 0; a < BD_AXIS_COUNT; a++) w->cell.values[a] = g->ax[a].values[w->idx[a]].text;
    return 1;
}
