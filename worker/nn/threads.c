/* Threads, and which engines this build has. Workers are single-threaded
 * (one MPI rank per core): OpenBLAS and oneDNN's OpenMP team get one thread
 * unless asked for more; the benchmark sets what it is asked to. */
#include <cblas.h>
#include <stdlib.h>
#include <unistd.h>
#if BD_HAVE_DNNL
#include <omp.h>
#endif

#include "dnnl_engine.h"

void bd_set_threads(int n) {
    if (n < 1) n = 1;
    openblas_set_num_threads(n);
#if BD_HAVE_DNNL
    /* Debian's oneDNN runs on OpenMP: its team is what this says, for every
     * primitive made after it (the thread count is part of their plan). */
    omp_set_num_threads(n);
#endif
}

void bd_threads_at_start(char **argv) {
    int again = 0;
    if (!getenv("OPENBLAS_NUM_THREADS")) again = setenv("OPENBLAS_NUM_THREADS", "1", 1) == 0;
    /* OpenMP starts no thread before its first parallel region, and
     * bd_set_threads sizes that; the variable keeps a library that runs one
     * before us (or a child process) from taking every core. */
    if (!getenv("OMP_NUM_THREADS")) again |= setenv("OMP_NUM_THREADS", "1", 1) == 0;
    if (again) execv("/proc/self/exe", argv);
    /* exec failed (no /proc): carry on with the threads we have */
}

int bd_engine_available(BdEngine e) { return e == BD_ENGINE_REF || BD_HAVE_DNNL; }

const char *bd_engine_isa(BdEngine e) { return e == BD_ENGINE_DNNL && BD_HAVE_DNNL ? bd_dnnl_isa() : ""; }

int bd_engine_native_bf16(void) { return BD_HAVE_DNNL && bd_dnnl_native_bf16(); }
