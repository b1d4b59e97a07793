/* bdsweep plan SWEEP.yaml: validate and expand a sweep without MPI or a
 * database, one canonical cell key per line (with what the cell costs),
 * then the estimate for the whole sweep, then "N cells". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "exit_status.h"
#include "sweep/cost.h"
#include "sweep/sweep.h"

/* Training speed per core that the core-hours estimate assumes: what
 * `bdsweep bench` measures for training on this kind of machine (AMD EPYC,
 * one thread: 35-40 GFLOP/s on cnn-small and ResNet-20; see bench/README.md). */
#define DEFAULT_GFLOPS_PER_CORE 35.0

static void usage(FILE *f) {
    fprintf(f,
            "usage: bdsweep plan SWEEP.yaml [--keys] [--gflops-per-core G]\n"
            "\n"
            "Validates a sweep file and prints its cells, one canonical key per line, in\n"
            "the order `run` submits them, each followed by a tab and a comment with the\n"
            "model's parameter count, its training GFLOP per image and the GFLOP of the\n"
            "whole cell (training, evaluations after every epoch, retraining); then a\n"
            "comment line with the sweep's total compute and the core-hours it takes at\n"
            "G GFLOP/s per core (default %.0f, what `bdsweep bench` measures here); then a\n"
            "last line `N cells`. Needs neither MPI nor a database. A dataset whose image\n"
            "shape cannot be known on this machine (a flowers folder that exists only on\n"
            "the cluster) is a warning here; `run` refuses it.\n"
            "\n"
            "  --keys                only the keys and the last line (for scripts)\n"
            "  --gflops-per-core G   the training speed the core-hours assume\n"
            "\n"
            "exit status: 0 valid, 2 invalid sweep or command line (the error names\n"
            "FILE:LINE:COL and what was expected).\n",
            DEFAULT_GFLOPS_PER_CORE);
}

static void print_with_cost(const BdSweep *sw, double gflops_per_core) {
    BdSweepCost cost;
    bd_sweep_cost(sw, &cost);
    for (int i = 0; i < sw->n_cells; i++) {
        const BdCellCost *c = &cost.cells[i];
        if (c->known)
            printf("%s\t# %ld params, %.4g GFLOP/img (train), %.3g GFLOP%s\n", sw->cells[i].key, c->params,
                   c->train_gflop, c->total_gflop, c->nominal ? " (data not here: standard sizes assumed)" : "");
        else
            printf("%s\t# cost unknown here: %s\n", sw->cells[i].key, c->why);
    }
    double hours = cost.total_gflop / gflops_per_core / 3600.0;
    printf("# compute: %.3g GFLOP (pre-training jobs %.3g), about %.3g core-hours at %g GFLOP/s per core", cost.total_gflop,
           cost.pretrain_gflop, hours, gflops_per_core);
    if (cost.nominal) printf("; %d cell(s) with the standard dataset sizes assumed (the data is not here)", cost.nominal);
    if (cost.unknown) printf("; %d cell(s) not counted (their dataset or model cannot be sized here)", cost.unknown);
    printf("\n");
    bd_sweep_cost_free(&cost);
}

int bd_cmd_plan(int argc, char **argv) {
    const char *path = NULL;
    int keys_only = 0;
    double gflops_per_core = DEFAULT_GFLOPS_PER_CORE;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--keys")) {
            keys_only = 1;
            continue;
        }
        if (!strcmp(argv[i], "--gflops-per-core")) {
            char *end = NULL;
            if (i + 1 < argc) gflops_per_core = strtod(argv[i + 1], &end);
            if (i + 1 >= argc || *end || !(gflops_per_core > 0)) {
                fprintf(stderr, "bdsweep plan: --gflops-per-core needs a positive number\nhint: bdsweep plan --help\n");
                return BD_EXIT_USAGE;
            }
            i++;
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "bdsweep plan: unknown option '%s'\nhint: bdsweep plan --help\n", argv[i]);
            return BD_EXIT_USAGE;
        }
        if (path) {
            fprintf(stderr, "bdsweep plan: one sweep file expected, got '%s' and '%s'\nhint: bdsweep plan --help\n",
                    path, argv[i]);
            return BD_EXIT_USAGE;
        }
        path = argv[i];
    }
    if (!path) {
        fprintf(stderr, "bdsweep plan: missing the sweep file\nhint: bdsweep plan SWEEP.yaml (bdsweep plan --help)\n");
        return BD_EXIT_USAGE;
    }
    BdSweep sw;
    BdError err = {{0}};
    if (bd_sweep_load(path, 0, &sw, &err) < 0) {
        fprintf(stderr, "bdsweep: %s\n", err.msg);
        return BD_EXIT_USAGE;
    }
    if (keys_only)
        for (int i = 0; i < sw.n_cells; i++) puts(sw.cells[i].key);
    else
        print_with_cost(&sw, gflops_per_core);
    printf("%d cells\n", sw.n_cells); /* the contract's last line, whatever N */
    bd_sweep_free(&sw);
    if (fflush(stdout) != 0) {
        perror("bdsweep plan: writing the plan");
        return BD_EXIT_FAILED;
    }
    return 0;
}
