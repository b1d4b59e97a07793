/* What a sweep will cost to train, before it runs: the models it trains
 * (sweep.h: each cell's own, a clean model shared by the cells of rate 0 of
 * a seed, the pre-training jobs), each counted once. Per cell, the model it
 * is measured on: its parameter count and training GFLOP per image (built
 * once per distinct architecture and input shape), and the GFLOP of that
 * model's whole run — main training, evaluations after every epoch (clean
 * test images, and the triggered ones of every attack it is measured
 * against), retraining. The sample counts come from the dataset's headers
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
    int shared_by;        /* cells measured on that model (1: the cell's own) */
    char why[256];
} BdCellCost;

typedef struct BdSweepCost {
    BdCellCost *cells;    /* [n_cells] */
    double pretrain_gflop; /* the pre-training jobs, each once */
    double total_gflop;   /* everything known, each model once */
    int models;           /* models to train: cells' own, clean models, pre-training jobs */
    int unknown;          /* cells whose cost is unknown */
    int nominal;          /* cells costed with assumed dataset sizes */
} BdSweepCost;

void bd_sweep_cost(const BdSweep *sw, BdSweepCost *out);
void bd_sweep_cost_free(BdSweepCost *c);

#endif
