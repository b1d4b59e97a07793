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

/* A model the sweep trains: a cell's own (poisoned) model, or a clean model
 * shared by the cells of rate 0 of its seed (common/job.h). */
typedef struct BdSweepModel {
    char *key;       /* the job's key (a cell's own: the cell key) */
    BdJobKind kind;  /* BD_JOB_CELL or BD_JOB_CLEAN */
    int first_cell;  /* the first cell it serves */
    int n_cells;     /* the grid cells it serves */
    int n_attacks;   /* the distinct attacks it is measured against */
} BdSweepModel;

typedef struct BdSweepModels {
    BdSweepModel *models; /* in sweep order of first use; pre-training jobs not included */
    int n;
    int *cell_model;      /* [n_cells]: the model of each cell, an index into models */
    int n_pretrain;       /* distinct pre-training jobs (also models to train) */
} BdSweepModels;

typedef struct BdSweep {
    char path[4096]; /* as given */
    char name[128];
    char *description; /* "" when absent */
    char *yaml;        /* the file's text, stored in the database */
    char db_path[4096]; /* default database: results/<name>.db */
    BdSweepAxis axes[BD_AXIS_COUNT];
    BdSweepCell *cells; /* in sweep order (see above) */
    int n_cells;
    BdSweepModels models; /* which model each cell is measured on (models.c) */
    char **warnings; /* "FILE:LINE:COL: ..." lines, also printed unless BD_SWEEP_QUIET */
    int n_warnings;
    /* What the checks that need the data were made against, one line per
     * dataset ("dataset fashion-mnist: trigger fit, classes and poisoning pools
     * checked against the data"): `plan` prints them. */
    char **notes;
    int n_notes;
} BdSweep;

enum {
    /* A dataset whose shape cannot be determined here (a flowers folder that
     * does not exist on this machine) is an error; without the flag it is a
     * warning and the checks that need the shape are skipped (for `plan`). */
    BD_SWEEP_STRICT = 1,
    /* Keep warnings in BdSweep.warnings only; do not print them on stderr. */
    BD_SWEEP_QUIET = 2,
};

/* The most cells one sweep may expand to (a typo such as seed: [1..1e6]
 * should fail at once, not exhaust memory). */
#define BD_SWEEP_MAX_CELLS 10000000L

/* Reads, validates and expands a sweep file. On failure *out is left empty
 * (bd_sweep_free is still safe) and err holds one message. */
int bd_sweep_load(const char *path, int flags, BdSweep *out, BdError *err);
void bd_sweep_free(BdSweep *sw);

/* The models of a sweep (models.c; bd_sweep_load fills sw->models with it):
 * a cell that poisons at least one sample is its own model, the others share
 * the clean model of their seed. The dataset's size is read from its files
 * (or its standard size) to tell a rate that poisons no sample. */
int bd_sweep_models(const BdSweep *sw, BdSweepModels *out, BdError *err);
void bd_sweep_models_free(BdSweepModels *m);

/* Prints the warnings on stderr ("bdsweep: warning: FILE:LINE:COL: ..."),
 * for a caller that loaded with BD_SWEEP_QUIET and decides later. */
void bd_sweep_print_warnings(const BdSweep *sw);

#endif
