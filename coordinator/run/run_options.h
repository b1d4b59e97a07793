/* The command line of `bdsweep run`. */
#ifndef BD_RUN_OPTIONS_H
#define BD_RUN_OPTIONS_H

#include <stdio.h>

typedef struct RunOptions {
    const char *sweep_path;
    const char *db_path; /* NULL: the sweep's default */
    int retry_failed;
    int threads;
    double log_interval;
    double time_limit; /* seconds; 0: none */
    int progress_tty;  /* 1 live block, 0 lines, -1 auto */
    int help;          /* --help was given (and printed): nothing to run */
    const char *publish;  /* where to publish snapshots of the database; NULL: none */
    double publish_every; /* seconds between snapshots */
} RunOptions;

/* Parses argv (argv[0] is "run"). Returns BD_EXIT_OK (with o->help set for
 * --help, printed when msg is not NULL) or BD_EXIT_USAGE for an error
 * (printed to msg unless it is NULL: every rank parses, only rank 0 speaks). */
int bd_run_parse_options(int argc, char **argv, RunOptions *o, FILE *msg);

/* "5400", "90m", "3h50m", "2d", "1:30:00" (H:MM:SS) or "30:00" (M:SS) ->
 * seconds; -1 if malformed. */
double bd_parse_duration(const char *s);

#endif
