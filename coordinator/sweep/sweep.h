/* Sweep files: a YAML grid turned into validated, expanded cells.
 *
 *     name: smoke
 *     train: {epochs: 2, lr: 0.05}        # train/retrain/init: one value at the top level
 *     grid:
 *       dataset: [fashion-mnist]
 *       trigger: [square, {name: square, size: 4, location: top-left}]
 *       poison_rate: [0.0, 0.05]
 *       seed: [1, 2]
 *     exclude:
 *       - {poison_rate: 0.0, trigger: {name: square, size: 4, location: top-left}}
 *
 * Every value is canonicalised with the axis table (worker/axes.c), so
 * `square` and `{name: square, size: 3}` are the same value. The cells are the
 * full product of the axes in axis order (bd_axis_names: dataset, arch,
 * trigger, strategy, target, poison_rate, regularizer, seed, init, train,
 * retrain), the LAST axis varying fastest, values in file order, minus the
 * cells an `exclude` entry matches. That order is part of the contract: plan
 * output and the database's sweep order follow it.
 *
 * Every error starts with `FILE:LINE:COL: ` (1-based, of the offending YAML
 * node) and the YAML path of the node (`grid.trigger[1].size: ...`), then
 * says what was expected. Nothing is written anywhere before the whole sweep
 * is valid. */
#ifndef BD_SWEEP_H
#define BD_SWEEP_H

#include "cell.h"
#include "error.h"
#include "job.h"

/* One value of one axis, as the sweep gives it. */
typedef struct BdSweepValue {
    char *text;      /* canonical text ("square(location=top-left,size=4)", "0.05") */
    int line, col;   /* 1-based position in the file; 0 for an axis the sweep omits */
    char where[128]; /* YAML path: "grid.trigger[1]", "train", or "(absent)" */
} BdSweepValue;

typedef struct BdSweepAxis {
    BdSweepValue *values; /* in file order */
    int n;
    int given; /* 0: the sweep omits the axis and it has its absent value */
} BdSweepAxis;

typedef struct BdSweepCell {
    char *key;                   /* canonical key (bd_cell_key) */
    char *values[BD_AXIS_COUNT]; /* canonical text of each axis value (absent axes too);
                                    points into BdSweep.axes (shared between cells) */
    char *pretrain_key;          /* the pre-training job it waits for (init: pretrained), or NULL */
} BdSweepCell;

/* A clean model the sweep trains (common/job.h): shared by the cells of its
 * seed (and dataset, architecture, ...) whose poisoning poisons no sample;
 * measured against each of their attacks. Every other cell is its own model. */
typedef struct BdSweepModel {
    char *key;       /* the clean job's key */
    int first_cell;  /* the first cell it serves, in sweep order */
    int n_cells;     /* the grid cells it serves */
    int n_attacks;   /* the distinct attacks it is measured against */
} BdSweepModel;

typedef struct BdSweepModels {
    BdSweepModel *clean;  /* in sweep order of first use */
    int n_clean;
    int n_own;            /* cells that are their own (poisoned) model */
    int n_pretrain;       /* distinct pre-training jobs (also models to train) */
    int *cell_model;      /* [n_cells]: an index into clean, or -1 for the cell's own
                             model; NULL when the cells are not kept */
    struct SwModelIndex *index; /* private: finds a walked cell's clean model */
} BdSweepModels;

/* Models to train: the cells' own, the clean ones, the pre-training jobs. */
static inline int bd_sweep_models_count(const BdSweepModels *m) { return m->n_own + m->n_clean + m->n_pretrain; }

typedef struct BdSweepGrid BdSweepGrid; /* private to the loader (sweep_internal.h) */

typedef struct BdSweep {
    char path[4096]; /* as given */
    char name[128];
    char *description; /* "" when absent */
    char *yaml;        /* the file's text, stored in the database */
    char db_path[4096]; /* default database: results/<name>.db */
    BdSweepAxis axes[BD_AXIS_COUNT];
    BdSweepCell *cells; /* in sweep order (see above); NULL when loaded with BD_SWEEP_NO_CELLS */
    int n_cells;        /* after exclude */
    BdSweepModels models; /* which model each cell is measured on (models.c) */
    char **warnings; /* "FILE:LINE:COL: ..." lines, also printed unless BD_SWEEP_QUIET */
    int n_warnings;
    BdSweepGrid *grid; /* what walking the cells needs */
} BdSweep;

enum {
    /* A dataset whose shape cannot be determined here (a flowers folder that
     * does not exist on this machine) is an error; without the flag it is a
     * warning and the checks that need the shape are skipped (for `plan`). */
    BD_SWEEP_STRICT = 1,
    /* Keep warnings in BdSweep.warnings only; do not print them on stderr. */
    BD_SWEEP_QUIET = 2,
    /* Validate and count the cells but do not keep them (cells stays NULL),
     * for a caller that walks them once (bdsweep plan), so that a large grid
     * costs no memory per cell. */
    BD_SWEEP_NO_CELLS = 4,
};

/* The most cells one sweep may expand to (a typo such as seed: [1..1e6]
 * should fail at once, not exhaust memory). */
#define BD_SWEEP_MAX_CELLS 10000000L

/* Reads, validates and expands a sweep file. On failure *out is left empty
 * (bd_sweep_free is still safe) and err holds one message. */
int bd_sweep_load(const char *path, int flags, BdSweep *out, BdError *err);
void bd_sweep_free(BdSweep *sw);

/* The resolved value i of axis a; NULL for the scalar axes (target,
 * poison_rate, seed), whose value is its canonical text. */
const BdSpec *bd_sweep_spec(const BdSweep *sw, BdAxis a, int i);

/* The cells one at a time in sweep order, without keeping them:
 *
 *     BdSweepWalk *w = bd_sweep_walk_begin();
 *     while ((rc = bd_sweep_walk_next(sw, w, err)) == 1) use(&w->cell, w->idx);
 *     bd_sweep_walk_end(w);
 *
 * The same cells, keys and order as BdSweep.cells. */
typedef struct BdSweepWalk {
    BdSweepCell cell;       /* the current cell; key and pretrain_key point into the walk */
    int idx[BD_AXIS_COUNT]; /* its value on each axis: sw->axes[a].values[idx[a]] */
    /* private */
    int started;
    int pre_idx[BD_AXIS_COUNT]; /* the values in scratch (-1: none yet) */
    BdCell *scratch;            /* the values of a pre-training key, as a cell, for bd_pretrain_key */
    long pre_pair;              /* the (dataset, arch) the keys below belong to (-1: none yet) */
    char **pre_keys;            /* [(seed * n_init + init) * n_train + train]: made, or NULL */
    size_t n_pre_keys;
    char key[BD_KEY_MAX], pretrain[BD_KEY_MAX];
} BdSweepWalk;
BdSweepWalk *bd_sweep_walk_begin(void);
/* 1: w->cell is the next cell; 0: there are no more; -1: err says why. */
int bd_sweep_walk_next(const BdSweep *sw, BdSweepWalk *w, BdError *err);
void bd_sweep_walk_end(BdSweepWalk *w);

/* The models of a sweep (models.c; bd_sweep_load fills sw->models with it,
 * also with BD_SWEEP_NO_CELLS, by one walk of the cells): a cell that
 * poisons at least one sample is its own model, the others share the clean
 * model of their seed. The dataset's size is read from its files (or its
 * standard size) to tell a rate that poisons no sample. */
int bd_sweep_models(const BdSweep *sw, BdSweepModels *out, BdError *err);
/* The clean model (an index into m->clean) of the walk's current cell, or
 * -1 when the cell is its own model: for a caller that walks the cells
 * again (bdsweep plan). */
int bd_sweep_model_of(const BdSweepModels *m, const BdSweep *sw, const BdSweepWalk *w);
void bd_sweep_models_free(BdSweepModels *m);

/* Prints the warnings on stderr ("bdsweep: warning: FILE:LINE:COL: ..."),
 * for a caller that loaded with BD_SWEEP_QUIET and decides later. */
void bd_sweep_print_warnings(const BdSweep *sw);

#endif
