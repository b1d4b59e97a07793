#include "process.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "exit_status.h"
#include "log.h"

int bd_orphaned(int original_parent) {
    if (getppid() == original_parent) return 0;
    bd_log(BD_LOG_ERROR, "the process that launched this rank (pid %d) is gone: stopping", original_parent);
    return 1;
}

void bd_exit_if_orphaned(int original_parent) {
    if (bd_orphaned(original_parent)) _exit(BD_EXIT_ORPHANED);
}

const char *bd_proc_stat(long pid, char *buf, size_t cap) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    const size_t len = fread(buf, 1, cap - 1, f);
    fclose(f);
    buf[len] = '\0';
    const char *close = strrchr(buf, ')'); /* "pid (comm) S ...": the last ')' ends the name */
    return close && close[1] == ' ' ? close + 2 : NULL;
}

int bd_thread_count(void) {
    DIR *d = opendir("/proc/self/task");
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));) n += e->d_name[0] != '.';
    if (d) closedir(d);
    return n;
}
