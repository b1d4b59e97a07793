/* What a sweep will cost to train, before it runs: the models it trains
 * (sweep.h: each cell's own, a clean model shared by the cells of rate 0 of
 * a seed, the pre-training jobs), each counted once. Per cell, the model it
 * is measured on: its parameter count and training GFLOP per image (from
 * its shapes, bd_model_build_shapes, once per distinct architecture and
 * input shape: nothing of the model's size is allocated), the GFLOP of that
 * model's whole run — main training, evaluations after every epoch (clean
 * test images, and the triggered ones of every attack it is measured
 * against), retraining — and the memory it needs to train (bd_job_memory:
 * what its job's process allocates for it, which RLIMIT_DATA counts, views
 * never touched included). The sample counts come from the dataset's files
 * (bd_dataset_sizes) or its standard sizes, limited as the cell limits them. */
#ifndef BD_COST_H
#define BD_COST_H

#include "sweep.h"

typedef struct BdCellCost {
    int known;            /* 0: the dataset or model could not be sized here (see why) */
    int nominal;          /* the dataset is not here: its standard sizes were assumed */
    long params;
    double train_gflop;   /* per image, forward + backward */
    double total_gflop;   /* the whole run of the cell's model */
    double bf16_gflop;    /* of which in bf16 phases */
    double memory;        /* bytes its model holds while it trains (bd_job_memory: estimated from its
                             shapes); 0: not known here */
    int shared_by;        /* cells measured on that model (1: the cell's own) */
    int clean;            /* that model is a clean model (of the cell's seed) */
    char why[256];
} BdCellCost;

typedef struct BdSweepCost {
    double pretrain_gflop; /* the pre-training jobs, each once */
    double total_gflop;   /* everything known, each model once (pre-training once
                             bd_sweep_cost_end has run) */
    double bf16_gflop;    /* of which in bf16 phases */
    double max_memory;    /* the largest model's memory (BdCellCost.memory), pre-training jobs too */
    int max_memory_data, max_memory_arch; /* its dataset and arch values (-1: none) */
    int unknown;          /* cells whose cost is unknown */
    int nominal;          /* cells costed with assumed dataset sizes */
    struct CostCache *cache; /* private */
} BdSweepCost;

/* One cell at a time, as the cells are walked (bd_sweep_walk_next):
 * begin, then cell for each, then end. */
void bd_sweep_cost_begin(const BdSweep *sw, BdSweepCost *c);
/* The cost of the walk's current cell, the i-th, counted in the totals
 * when the cell is the first of its model (its pre-training job, if any,
 * once per sweep). */
void bd_sweep_cost_cell(BdSweepCost *c, const BdSweep *sw, const BdSweepWalk *w, int i, BdCellCost *out);
/* Adds the pre-training jobs to the total; frees what begin took. */
void bd_sweep_cost_end(BdSweepCost *c);

/* Between begin and end: the memory (bytes) the model of a job of the sweep
 * holds while it trains, its dataset and arch the values data_i and
 * arch_i (bd_job_memory, estimated from its shapes, once per distinct
 * model, batch and precisions); 0 when it cannot be known here (the
 * dataset's shape is unknown, the model cannot be built). */
double bd_sweep_cost_memory(BdSweepCost *c, const BdSweep *sw, int data_i, int arch_i, const BdJob *job);

#endif
