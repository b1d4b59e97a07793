/* The exit statuses of bdsweep, for scripts and batch systems (README.md and
 * each command's --help say which a command uses). */
#ifndef BD_EXIT_STATUS_H
#define BD_EXIT_STATUS_H

enum {
    BD_EXIT_OK = 0,
    BD_EXIT_FAILED = 1,   /* the work failed: cells failed, a file could not be written */
    BD_EXIT_USAGE = 2,    /* the command line or an input file is wrong (the message names it) */
    BD_EXIT_INFRA = 3,    /* the database or the machine failed; nothing already stored was changed */
    BD_EXIT_ORPHANED = 4, /* a rank whose launcher is gone stopped itself */
    BD_EXIT_RETRY = 75,   /* EX_TEMPFAIL: stopped early (time limit); run the same command again */
};

#endif
