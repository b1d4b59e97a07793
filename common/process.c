#include "process.h"

#include <unistd.h>

#include "exit_status.h"
#include "log.h"

void bd_exit_if_orphaned(int original_parent) {
    if (getppid() == original_parent) return;
    bd_log(BD_LOG_ERROR, "the process that launched this rank (pid %d) is gone: stopping", original_parent);
    _exit(BD_EXIT_ORPHANED);
}
