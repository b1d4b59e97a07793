/* The subcommands of bdsweep. Each takes the arguments after its name
 * (argv[0] is the subcommand) and returns the process exit status:
 * 0 success, 1 the work failed (cells failed, a report could not be
 * written), 2 the command line or an input file is wrong. */
#ifndef BD_COMMANDS_H
#define BD_COMMANDS_H

typedef struct BdCommand {
    const char *name;
    const char *summary; /* one line for `bdsweep --help` */
    int (*run)(int argc, char **argv);
    int internal; /* started by bdsweep itself, not listed for people */
} BdCommand;

extern const BdCommand bd_commands[];

int bd_cmd_bench(int argc, char **argv); /* cmd_bench.c */

#endif
