/* `bdsweep run`: every rank starts here; rank 0 becomes the coordinator
 * (coordinator.h), the others workers (worker/worker_loop.h). */
#include <mpi.h>
#include <string.h>

#include "commands.h"
#include "coordinator.h"
#include "worker_loop.h"

int bd_cmd_run(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank, nranks;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &nranks);

    /* Every rank parses the same command line; only rank 0 speaks. */
    RunOptions opt;
    int status = bd_run_parse_options(argc, argv, &opt, rank == 0 ? stderr : NULL);
    if (status == 1) { /* --help */
        MPI_Finalize();
        return 0;
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
    bd_mpi_quiet_barrier();
    MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
    MPI_Finalize();
    return status;
}
