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

BdBf16Support bd_engine_bf16(void) { return BD_HAVE_DNNL ? bd_dnnl_bf16() : BD_BF16_AS_FP32; }

const char *bd_bf16_note(void) {
    switch (bd_engine_bf16()) {
    case BD_BF16_NATIVE: return "bf16 runs on this CPU's bf16 arithmetic";
    case BD_BF16_EMULATED:
        return "this CPU has no bf16 arithmetic (neither AVX512_BF16 nor AMX; oneDNN uses avx512_core): bf16 runs "
               "emulated, correct but slower than fp32";
    default:
        return BD_HAVE_DNNL ? "this CPU has no AVX-512, for which oneDNN 2.6 has no bf16 kernels: bf16 computes in fp32 here"
                            : "this bdsweep has no oneDNN engine (-Ddnnl=disabled): bf16 needs it";
    }
}
