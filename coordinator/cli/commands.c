#include "commands.h"

#include <stddef.h>

/* Each command lives in its own file; add it here. */
const BdCommand bd_commands[] = {
    {NULL, NULL, NULL},
};
