/* One thread per rank, whatever the environment says: a worker running a
 * cell with --threads 1 has exactly one thread (/proc/self/task), and with
 * --threads 2 the engine does use a second one, no more.
 *
 * The environment is made hostile first, as a cluster's can be: the test
 * restarts itself with OMP_NUM_THREADS=64 and no OPENBLAS_NUM_THREADS, then
 * starts as bdsweep's main() does (bd_threads_at_start: OpenBLAS sizes its
 * pool when it loads, before main, so that must restart the process once
 * more with OPENBLAS_NUM_THREADS=1). 64 threads per rank is what 64 ranks
 * on a 64-core node would otherwise start each. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cell_run.h"
#include "check.h"
#include "process.h"

/* The sink samples the thread count at every progress report and epoch. */
static void seen_metrics(void *ud, const char *phase, int epoch, const char *attack, const char *const *names,
                         const double *values, int n) {
    (void)phase, (void)epoch, (void)attack, (void)names, (void)values, (void)n;
    int *most = ud, t = bd_thread_count();
    if (t > *most) *most = t;
}

static void seen_progress(void *ud, const char *phase, int epoch, int epochs, int step, int steps) {
    (void)phase, (void)epoch, (void)epochs, (void)step, (void)steps;
    int *most = ud, t = bd_thread_count();
    if (t > *most) *most = t;
}

/* The most threads this process had while a cell ran with `threads`. */
static int cell_threads(int threads, const char *arch, const char *precision) {
    BdWorker w;
    bd_worker_init(&w, threads);
    char key[512];
    snprintf(key, sizeof key,
             "dataset=synthetic(classes=4,size=16,test=128,train=512) arch=%s trigger=square poison_rate=0.1 seed=1 "
             "train=sgd(batch=64,epochs=2%s)",
             arch, precision);
    int most = bd_thread_count();
    BdSink sink = {&most, seen_metrics, seen_progress, NULL};
    BdCellOutcome out;
    BdError err = {0};
    BdJobOrder order = {.key = key};
    CHECK_MSG(bd_cell_run(&w, &order, &sink, &out, &err) == 0, "%s: %s", key, err.msg);
    bd_cell_outcome_free(&out);
    bd_worker_free(&w);
    return most;
}

int main(int argc, char **argv) {
    (void)argc;
    if (!getenv("BD_TEST_THREADS_HOSTILE")) {
        setenv("BD_TEST_THREADS_HOSTILE", "1", 1);
        setenv("OMP_NUM_THREADS", "64", 1);
        unsetenv("OPENBLAS_NUM_THREADS");
        execv("/proc/self/exe", argv);
        CHECK_MSG(0, "cannot restart through /proc/self/exe");
        return check_result("threads");
    }
    bd_threads_at_start(argv);
    CHECK_STR(getenv("OMP_NUM_THREADS"), "64"); /* the user's setting is kept; bd_set_threads overrides it */
    CHECK_STR(getenv("OPENBLAS_NUM_THREADS"), "1");
    CHECK(bd_thread_count() == 1);
    static const char *const archs[] = {"cnn-small", "resnet20(blocks=1,width=8)"};
    for (int a = 0; a < 2; a++)
        for (int bf16 = 0; bf16 < 1 + bd_engine_available(BD_ENGINE_DNNL); bf16++) {
            const char *prec = bf16 ? ",precision=bf16" : "";
            const int one = cell_threads(1, archs[a], prec);
            printf("%s%s, --threads 1: %d thread(s)\n", archs[a], prec, one);
            CHECK_MSG(one == 1, "%s%s with --threads 1: %d threads", archs[a], prec, one);
        }
    /* --threads 2: each library may add one thread to the main one */
    const int two = cell_threads(2, archs[1], "");
    printf("%s, --threads 2: %d thread(s)\n", archs[1], two);
    CHECK_MSG(two >= 2 && two <= 3, "--threads 2: %d threads", two);
    return check_result("threads");
}
