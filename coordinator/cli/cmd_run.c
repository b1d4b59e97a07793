/* `bdsweep run`: every rank starts here; rank 0 becomes the coordinator
 * (coordinator/run/coordinator.h), the others workers (worker/worker_loop.h). */
#include <mpi.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "coordinator.h"
#include "exit_status.h"
#include "worker_loop.h"

/* Waits for every rank at the end of a run without spinning a core: Open
 * MPI's blocking calls busy-poll, and an idle rank polling on a core that a
 * training rank needs would slow the sweep down. */
static void quiet_barrier(void) {
    MPI_Request req;
    int done = 0;
    MPI_Ibarrier(MPI_COMM_WORLD, &req);
    while (!done) {
        MPI_Test(&req, &done, MPI_STATUS_IGNORE);
        if (!done) {
            struct timespec nap = {0, 5000000};
            nanosleep(&nap, NULL);
        }
    }
}

int bd_cmd_run(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank, nranks;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &nranks);

    /* Every rank parses the same command line; only rank 0 speaks. */
    RunOptions opt;
    int status = bd_run_parse_options(argc, argv, &opt, rank == 0 ? stderr : NULL);
    if (status == BD_EXIT_OK && opt.help) {
        MPI_Finalize();
        return BD_EXIT_OK;
    }
    Coordinator co;
    memset(&co, 0, sizeof co);
    if (rank == 0 && status == 0) {
        co.opt = opt;
        status = co_prepare(&co, nranks);
    }
    MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (status != 0) {
        if (rank == 0) co_free(&co);
        MPI_Finalize();
        return status;
    }

    if (rank == 0) {
        if (nranks == 1) co_run_locally(&co);
        else co_run_distributed(&co);
        status = co_finish(&co);
        co_free(&co);
    } else {
        bd_worker_loop(opt.threads);
    }
    quiet_barrier();
    MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
    MPI_Finalize();
    return status;
}
