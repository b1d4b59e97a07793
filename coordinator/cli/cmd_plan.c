/* bdsweep plan SWEEP.yaml: validate and expand a sweep without MPI or a
 * database, one canonical cell key per line (with what the cell costs),
 * then the estimate for the whole sweep, then "N cells, M models to train". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "exit_status.h"
#include "sweep/cost.h"
#include "sweep/sweep.h"
#include "units.h"

/* Training speed per core that the core-hours estimate assumes, in fp32:
 * what `bdsweep bench --threads 1` measures for training with the oneDNN
 * engine on an AMD EPYC (Zen 5), from 56 GFLOP/s (NASNet-A, whose depthwise
 * and 1x1 layers on few channels run far below the machine's peak) to 186
 * (ResNet-50); 100 is between them, nearer the many small models of a
 * sweep. bf16 phases run about twice as fast where the CPU has bf16
 * arithmetic (bd_engine_bf16), and are counted at twice the speed. (The
 * OpenBLAS engine measured 35-40 on cnn-small and ResNet-20, bench/README.md.) */
#define DEFAULT_GFLOPS_PER_CORE 100.0

static void usage(FILE *f) {
    fprintf(f,
            "usage: bdsweep plan SWEEP.yaml [--keys] [--gflops-per-core G]\n"
            "\n"
            "Validates a sweep file and prints its cells, one canonical key per line, in\n"
            "the order `run` submits them, each followed by a tab and a comment with the\n"
            "model's parameter count, its training GFLOP per image, the GFLOP of the\n"
            "whole cell (training, evaluations after every epoch, retraining) and the\n"
            "memory its model needs to train, and its limits when a limits override\n"
            "names it; then a comment line per dataset saying what the checks that need\n"
            "the data were made against (the data here, or its standard sizes), a\n"
            "comment line with the limits of a job's attempt (the sweep's and each\n"
            "override's), one with the largest model's memory, one with the sweep's\n"
            "total compute and the core-hours it takes at G GFLOP/s per core in fp32\n"
            "(default %.0f, what `bdsweep bench --threads 1` measures on an AMD EPYC)\n"
            "and 2G in bf16; then a last line `N cells, M models to train`. The memory\n"
            "is an estimate from the model's shapes (nothing of its size is allocated):\n"
            "parameters, gradients, momentum and the engine's buffers for its batch,\n"
            "without the data. A cell of poison rate 0 (or whose rate poisons no\n"
            "sample) is measured on the clean model of its seed, trained once for every\n"
            "attack of the sweep: its comment says so, and the compute counts each\n"
            "model once.\n"
            "Needs neither MPI nor a database.\n"
            "\n"
            "Checks what can be known without training: every value, each trigger\n"
            "against the images, each target and source against the classes, and each\n"
            "strategy's pool against the poison rate (round(rate x N) samples of the\n"
            "training split); a rate no cell (or fewer than 1 in 1000) can be given is\n"
            "an error, one that some cells fail is a warning. Under `limits: memory`, a\n"
            "model whose estimate exceeds the limit its job runs under is an error. A\n"
            "dataset or trigger file that is not on this machine is a warning here (the\n"
            "standard sizes are used when the dataset has them); `run` refuses it.\n"
            "\n"
            "  --keys                only the keys and the last line (for scripts)\n"
            "  --gflops-per-core G   the training speed the core-hours assume\n"
            "\n"
            "exit status: 0 valid, 2 invalid sweep or command line (the error names\n"
            "FILE:LINE:COL and what was expected).\n",
            DEFAULT_GFLOPS_PER_CORE);
}

/* The cells as they are walked, never all in memory: a grid of 10^7 cells
 * takes seconds and no memory per cell. */
static int print_cells(const BdSweep *sw, int keys_only, double gflops_per_core, BdError *err) {
    BdSweepCost cost;
    bd_sweep_cost_begin(sw, &cost);
    BdSweepWalk *w = bd_sweep_walk_begin();
    /* Consecutive cells mostly cost the same: format the comment again only
     * when it changes (printf of three numbers per line would be most of
     * the time). */
    BdCellCost c, last;
    BdLimits limits, last_limits;
    char comment[768] = "";
    int rc, first = 1, i = 0;
    while ((rc = bd_sweep_walk_next(sw, w, err)) == 1) {
        if (keys_only) {
            puts(w->cell.key);
            continue;
        }
        bd_sweep_cost_cell(&cost, sw, w, i++, &c);
        limits = bd_sweep_limits_of(sw, w);
        if (first || memcmp(&c, &last, sizeof c) || !bd_limits_equal(&limits, &last_limits)) {
            char shared[64] = "";
            if (c.shared_by > 1) snprintf(shared, sizeof shared, " (its seed's clean model, shared by %d cells)", c.shared_by);
            else if (c.clean) snprintf(shared, sizeof shared, " (its seed's clean model)");
            char memory[48] = "";
            if (c.memory > 0) {
                char size[32];
                bd_format_size((int64_t)c.memory, size, sizeof size);
                snprintf(memory, sizeof memory, ", ~%s to train", size);
            }
            if (c.known)
                snprintf(comment, sizeof comment, "# %ld params, %.4g GFLOP/img (train), %.3g GFLOP%s%s%s", c.params,
                         c.train_gflop, c.total_gflop, memory, shared,
                         c.nominal ? " (data not here: standard sizes assumed)" : "");
            else
                snprintf(comment, sizeof comment, "# cost unknown here: %s", c.why);
            /* A cell an override names says its own limits. */
            if (!bd_limits_equal(&limits, &sw->limits.all)) {
                char text[160];
                bd_limits_describe(&limits, text, sizeof text);
                snprintf(comment + strlen(comment), sizeof comment - strlen(comment), "; limits: %s", text);
            }
            last = c;
            last_limits = limits;
            first = 0;
        }
        printf("%s\t%s\n", w->cell.key, comment);
    }
    bd_sweep_walk_end(w);
    bd_sweep_cost_end(&cost);
    if (rc < 0 || keys_only) return rc;
    for (int i = 0; i < sw->n_notes; i++) printf("# %s\n", sw->notes[i]);
    char text[256];
    bd_limits_describe(&sw->limits.all, text, sizeof text);
    printf("# limits per attempt of a job: %s", text);
    for (int k = 0; k < bd_sweep_limit_overrides(sw); k++) {
        bd_sweep_limit_override_describe(sw, k, text, sizeof text);
        printf("; %s", text);
    }
    printf("\n");
    if (cost.max_memory > 0) {
        char size[32];
        bd_format_size((int64_t)cost.max_memory, size, sizeof size);
        printf("# memory to train a model: up to ~%s (%s on %s); an estimate from the model's shapes: parameters, "
               "gradients, momentum and the engine's buffers for its batch, the data not included\n",
               size, sw->axes[BD_AXIS_ARCH].values[cost.max_memory_arch].text,
               sw->axes[BD_AXIS_DATASET].values[cost.max_memory_data].text);
    }
    /* bf16 phases at twice the fp32 speed */
    double hours = (cost.total_gflop - cost.bf16_gflop / 2) / gflops_per_core / 3600.0;
    int models = bd_sweep_models_count(&sw->models);
    printf("# compute: %.3g GFLOP for %d models (pre-training jobs %.3g), about %.3g core-hours at %g GFLOP/s per core",
           cost.total_gflop, models, cost.pretrain_gflop, hours, gflops_per_core);
    if (cost.bf16_gflop > 0) printf(" (%g in bf16, for %.3g GFLOP)", 2 * gflops_per_core, cost.bf16_gflop);
    if (cost.nominal) printf("; %d cell(s) with the standard dataset sizes assumed (the data is not here)", cost.nominal);
    if (cost.unknown) printf("; %d cell(s) not counted (their dataset or model cannot be sized here)", cost.unknown);
    printf("\n");
    return 0;
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
    BdError err = {0};
    if (bd_sweep_load(path, BD_SWEEP_NO_CELLS, &sw, &err) < 0) {
        fprintf(stderr, "bdsweep: %s\n", err.msg);
        return BD_EXIT_USAGE;
    }
    if (print_cells(&sw, keys_only, gflops_per_core, &err) < 0) {
        fprintf(stderr, "bdsweep: %s\n", err.msg);
        bd_sweep_free(&sw);
        return BD_EXIT_USAGE;
    }
    /* The contract's last line, whatever N: the cells, and the models they need. */
    int models = bd_sweep_models_count(&sw.models);
    printf("%d cells, %d model%s to train\n", sw.n_cells, models, models == 1 ? "" : "s");
    bd_sweep_free(&sw);
    if (fflush(stdout) != 0) {
        perror("bdsweep plan: writing the plan");
        return BD_EXIT_FAILED;
    }
    return 0;
}
