/* bd_once_per_host (host_once.h). The ranks of one run on one host are the
 * children of one launcher process there (mpirun or its orted, Slurm's
 * slurmstepd), and a run without MPI is one process: the parent's pid and
 * start time name "this run on this host". The first process to bind an
 * abstract UNIX socket of that name (and `what`) holds it until it exits;
 * the others of the run find it taken. Abstract sockets leave nothing in the
 * file system, and the name is free again when the run is over. */
#include "host_once.h"
#include "process.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* Field 22 of /proc/PID/stat: when the process started (clock ticks after
 * boot), so that a reused pid names another run. */
static unsigned long long start_time(int pid) {
    char buf[1024];
    const char *p = bd_proc_stat(pid, buf, sizeof buf); /* at field 3 */
    unsigned long long t = 0;
    for (int field = 3; p && *p; p++)
        if (*p == ' ' && ++field == 22) {
            sscanf(p + 1, "%llu", &t);
            break;
        }
    return t;
}

int bd_once_per_host(const char *what) {
    const int parent = (int)getppid();
    struct sockaddr_un a;
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    /* sun_path[0] = '\0': the abstract namespace */
    int len = snprintf(a.sun_path + 1, sizeof a.sun_path - 1, "bdsweep-%s-%d-%llu", what, parent, start_time(parent));
    if (len < 0 || (size_t)len >= sizeof a.sun_path - 1) len = (int)sizeof a.sun_path - 2;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return 1; /* cannot tell: say it */
    if (bind(fd, (struct sockaddr *)&a, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)len)) < 0) {
        close(fd);
        return 0;
    }
    return 1; /* fd stays open (and the name taken) for the life of the process */
}
