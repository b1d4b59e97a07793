/* Threads of the BLAS. Workers are single-threaded (one MPI rank per core);
 * the benchmark sets what it is asked to. */
#include <cblas.h>

#include "nn.h"

void bd_set_threads(int n) { openblas_set_num_threads(n > 0 ? n : 1); }
