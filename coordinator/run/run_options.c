#include "run_options.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "exit_status.h"
#include "units.h"

static void run_usage(FILE *f) {
    fprintf(f,
            "usage: mpirun -n N bdsweep run SWEEP.yaml [--db PATH] [--retry-failed] [--threads T]\n"
            "                               [--time-limit DURATION] [--log-interval SECONDS]\n"
            "                               [--progress auto|tty|lines] [--publish PATH [--publish-every D]]\n"
            "\n"
            "Runs every cell of the sweep that is not done yet. Rank 0 coordinates and\n"
            "writes the database; ranks 1..N-1 train (with -n 1, rank 0 trains itself),\n"
            "each job in a process of its own: a job that crashes, is killed or runs out of\n"
            "memory fails alone, with its reason. Running the same command again resumes:\n"
            "done cells are never trained again, cells left running by a killed run are run\n"
            "again (at most the sweep's limits.attempts times). SIGTERM, SIGINT or SIGUSR1\n"
            "stop the run: every job checkpoints at its next training step, exit status 75.\n"
            "\n"
            "  --db PATH            the SQLite database (default: results/NAME.db, NAME from the sweep)\n"
            "  --retry-failed       also re-run the cells that failed before\n"
            "  --threads T          OpenBLAS and oneDNN threads per worker (default 1: one rank per core)\n"
            "  --time-limit D       stop handing out cells after D (90m, 3h50m, 1:30:00, or seconds);\n"
            "                       running cells stop at their next training step and continue there\n"
            "                       in the next run (give a little less than the batch job's time limit)\n"
            "  --progress P         tty: a live block on stderr (a summary line, then each rank's cell, epoch\n"
            "                       and step); lines: a summary line every --log-interval and when a cell\n"
            "                       ends, for logs; auto (default): tty when stderr is a terminal. Under\n"
            "                       mpirun stderr is a pipe, so say --progress tty for the live block.\n"
            "  --log-interval S     seconds between progress lines when they are lines (default 30)\n"
            "  --publish PATH       publish a consistent snapshot of the database to PATH (another file, e.g.\n"
            "                       on the shared file system) at the start, every --publish-every and at\n"
            "                       the end, for readers on other hosts: status, report and sqlite3 work on it\n"
            "  --publish-every D    time between snapshots (default 5m; durations as --time-limit)\n"
            "  -h, --help           this text\n"
            "\n"
            "Exit status: 0 every cell done, 1 some cells failed, 2 invalid sweep or arguments,\n"
            "3 the database or the machine failed (a full disk, an I/O error, a read-only file system;\n"
            "the jobs it hit stay pending), 75 the time limit or a stop signal stopped the run\n"
            "with cells left (run the same command again to continue).\n");
}

/* msg: where errors go (rank 0: stderr; the other ranks: NULL, silent). */
int bd_run_parse_options(int argc, char **argv, RunOptions *o, FILE *msg) {
    static const struct option longs[] = {
        {"db", required_argument, NULL, 'd'},           {"retry-failed", no_argument, NULL, 'r'},
        {"threads", required_argument, NULL, 't'},      {"log-interval", required_argument, NULL, 'l'},
        {"time-limit", required_argument, NULL, 'T'},  {"progress", required_argument, NULL, 'p'},
        {"publish", required_argument, NULL, 'P'},     {"publish-every", required_argument, NULL, 'E'},
        {"help", no_argument, NULL, 'h'},               {0, 0, 0, 0},
    };
    memset(o, 0, sizeof *o);
    o->threads = 1;
    o->log_interval = 30;
    o->progress_tty = -1;
    o->publish_every = 300;
    int every_given = 0;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'd': o->db_path = optarg; break;
        case 'r': o->retry_failed = 1; break;
        case 't':
            o->threads = (int)strtol(optarg, &end, 10);
            if (*end || o->threads < 1 || o->threads > 1024) {
                if (msg) fprintf(msg, "bdsweep run: --threads '%s': expected an integer in [1, 1024]\n", optarg);
                return BD_EXIT_USAGE;
            }
            break;
        case 'l':
            o->log_interval = strtod(optarg, &end);
            if (*end || o->log_interval <= 0) {
                if (msg) fprintf(msg, "bdsweep run: --log-interval '%s': expected a positive number of seconds\n", optarg);
                return BD_EXIT_USAGE;
            }
            break;
        case 'p':
            if (!strcmp(optarg, "auto")) o->progress_tty = -1;
            else if (!strcmp(optarg, "tty")) o->progress_tty = 1;
            else if (!strcmp(optarg, "lines")) o->progress_tty = 0;
            else {
                if (msg) fprintf(msg, "bdsweep run: --progress '%s': expected auto, tty or lines\n", optarg);
                return BD_EXIT_USAGE;
            }
            break;
        case 'T':
            o->time_limit = bd_parse_duration(optarg);
            if (o->time_limit <= 0) {
                if (msg)
                    fprintf(msg, "bdsweep run: --time-limit '%s': expected a duration such as 90m, 3h50m, 1:30:00 or "
                                 "5400 (seconds)\n", optarg);
                return BD_EXIT_USAGE;
            }
            break;
        case 'P':
            o->publish = optarg;
            if (!*optarg) {
                if (msg) fprintf(msg, "bdsweep run: --publish needs the path of the snapshot file\n");
                return BD_EXIT_USAGE;
            }
            break;
        case 'E':
            o->publish_every = bd_parse_duration(optarg);
            every_given = 1;
            if (o->publish_every <= 0) {
                if (msg)
                    fprintf(msg, "bdsweep run: --publish-every '%s': expected a duration such as 5m, 30s, 1h or 600 "
                                 "(seconds)\n", optarg);
                return BD_EXIT_USAGE;
            }
            break;
        case 'h':
            if (msg) run_usage(stdout);
            o->help = 1;
            return BD_EXIT_OK;
        default:
            if (msg) fprintf(msg, "bdsweep run: unknown option '%s'\nhint: bdsweep run --help lists the options\n",
                             argv[optind - 1]);
            return BD_EXIT_USAGE;
        }
    }
    if (every_given && !o->publish) {
        if (msg) fprintf(msg, "bdsweep run: --publish-every needs --publish PATH (where the snapshots go)\n");
        return BD_EXIT_USAGE;
    }
    if (optind >= argc) {
        if (msg) fprintf(msg, "bdsweep run: missing the sweep file\nhint: bdsweep run sweeps/smoke.yaml\n");
        return BD_EXIT_USAGE;
    }
    if (optind + 1 < argc) {
        if (msg) fprintf(msg, "bdsweep run: unexpected argument '%s'\nhint: one sweep file per run\n", argv[optind + 1]);
        return BD_EXIT_USAGE;
    }
    o->sweep_path = argv[optind];
    return 0;
}
