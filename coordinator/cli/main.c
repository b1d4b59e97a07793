/* bdsweep: full-factorial backdoor-poisoning sweeps over MPI, results in SQLite.
 * This file only dispatches to a subcommand (commands.c lists them). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build_info.h"
#include "commands.h"
#include "exit_status.h"
#include "nn.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: bdsweep COMMAND [ARGS]\n"
            "\n"
            "Runs full-factorial experiments on backdoor data poisoning of image\n"
            "classifiers: a YAML grid expanded into cells, trained by MPI workers,\n"
            "every metric stored in SQLite.\n"
            "\n"
            "commands:\n");
    for (const BdCommand *c = bd_commands; c->name; c++)
        if (!c->internal) fprintf(f, "  %-9s %s\n", c->name, c->summary);
    fprintf(f,
            "\n"
            "Run `bdsweep COMMAND --help` for a command's arguments.\n"
            "Typical: mpirun -n 4 bdsweep run sweeps/demo.yaml && bdsweep report results/demo.db --out report\n");
}

int main(int argc, char **argv) {
    /* One thread per rank (one rank per core is the design): OpenBLAS and
     * OpenMP size themselves before main, so start again with one thread
     * each unless the user chose; `--threads T` still raises them. */
    bd_threads_at_start(argv);
    if (argc < 2) {
        usage(stderr);
        return BD_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        /* What every run records in the runs table. */
        const BdBuildInfo *b = bd_build_info();
        printf("bdsweep %s\ncommit %s\noptions %s\n", b->version, *b->git_commit ? b->git_commit : "(none: not built "
               "from a git checkout)", b->options);
        static const char *const bf16[] = {"bf16 computed in fp32", "bf16 emulated", "native bf16"};
        if (bd_engine_available(BD_ENGINE_DNNL))
            printf("engine: onednn (%s, %s), openblas\n", bd_engine_isa(BD_ENGINE_DNNL), bf16[bd_engine_bf16()]);
        else
            printf("engine: openblas (built without oneDNN: fp32 only)\n");
        return 0;
    }
    for (const BdCommand *c = bd_commands; c->name; c++)
        if (!strcmp(c->name, argv[1])) return c->run(argc - 1, argv + 1);
    fprintf(stderr, "bdsweep: unknown command '%s'\n", argv[1]);
    fprintf(stderr, "hint: the commands are:");
    for (const BdCommand *c = bd_commands; c->name; c++)
        if (!c->internal) fprintf(stderr, " %s", c->name);
    fprintf(stderr, " (bdsweep --help lists them)\n");
    return BD_EXIT_USAGE;
}
