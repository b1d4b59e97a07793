#include "commands.h"

#include <stddef.h>

/* Each command lives in its own file; add it here. */
const BdCommand bd_commands[] = {
    {"bench", "time training and evaluation steps of an architecture (engine speed)", bd_cmd_bench},
    {NULL, NULL, NULL},
};
