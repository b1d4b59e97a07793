/* bdsweep plan SWEEP.yaml: validate and expand a sweep without MPI or a
 * database, one canonical cell key per line, then "N cells". */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "sweep/sweep.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: bdsweep plan SWEEP.yaml\n"
            "\n"
            "Validates a sweep file and prints its cells, one canonical key per line, in\n"
            "the order `run` submits them, then a last line `N cells`. Needs neither MPI\n"
            "nor a database. A dataset whose image shape cannot be known on this machine\n"
            "(a flowers folder that exists only on the cluster) is a warning here; `run`\n"
            "refuses it.\n"
            "\n"
            "exit status: 0 valid, 2 invalid sweep or command line (the error names\n"
            "FILE:LINE:COL and what was expected).\n");
}

int bd_cmd_plan(int argc, char **argv) {
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
        if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "bdsweep plan: unknown option '%s'\nhint: bdsweep plan --help\n", argv[i]);
            return 2;
        }
        if (path) {
            fprintf(stderr, "bdsweep plan: one sweep file expected, got '%s' and '%s'\nhint: bdsweep plan --help\n",
                    path, argv[i]);
            return 2;
        }
        path = argv[i];
    }
    if (!path) {
        fprintf(stderr, "bdsweep plan: missing the sweep file\nhint: bdsweep plan SWEEP.yaml (bdsweep plan --help)\n");
        return 2;
    }
    BdSweep sw;
    BdError err = {{0}};
    if (bd_sweep_load(path, 0, &sw, &err) < 0) {
        fprintf(stderr, "bdsweep: %s\n", err.msg);
        return 2;
    }
    for (int i = 0; i < sw.n_cells; i++) puts(sw.cells[i].key);
    printf("%d cells\n", sw.n_cells); /* the contract's last line, whatever N */
    bd_sweep_free(&sw);
    if (fflush(stdout) != 0) {
        perror("bdsweep plan: writing the plan");
        return 1;
    }
    return 0;
}
