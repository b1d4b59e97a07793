#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cell_run.h"
#include "clock.h"
#include "coordinator.h"

/* -n 1: rank 0 is the worker too; the sink writes the database directly. */
typedef struct LocalSink {
    Coordinator *co;
} LocalSink;

static void local_metrics(void *ud, const char *phase, int epoch, const char *attack, const char *const *names,
                          const double *values, int n) {
    LocalSink *ls = ud;
    BdMetricsRecord r = {phase, attack, epoch, n, (const char **)names, (double *)values, 0};
    co_store_metrics(ls->co, 0, &r);
    co_heartbeat(ls->co);
    bd_progress_draw(&ls->co->progress, 0);
}

static int local_interrupt(void *ud) {
    LocalSink *ls = ud;
    return co_past_deadline(ls->co);
}

static void local_progress(void *ud, const char *phase, int epoch, int epochs, int step, int steps) {
    LocalSink *ls = ud;
    bd_progress_activity(&ls->co->progress, 0, phase, epoch, epochs, step, steps);
    co_heartbeat(ls->co);
    bd_progress_draw(&ls->co->progress, 0);
}

void co_run_locally(Coordinator *co) {
    BdWorker w;
    bd_worker_init(&w, co->opt.threads);
    char host[64] = "localhost";
    gethostname(host, sizeof host - 1);
    snprintf(co->rank_host[0], sizeof co->rank_host[0], "%s", host);
    LocalSink ls = {co};
    BdSink sink = {&ls, local_metrics, local_progress, local_interrupt};
    for (;;) {
        if (co->db_broken) break;
        if (co_past_deadline(co)) {
            co->stopped_by_limit += bd_queue_ready(&co->queue) + bd_queue_waiting(&co->queue);
            break;
        }
        int idx = bd_queue_pop(&co->queue);
        if (idx < 0) break;
        if (co_start_job(co, idx, 0) < 0) {
            if (co->db_broken) break;
            continue; /* nothing to start */
        }
        bd_progress_draw(&co->progress, 1);
        const char **attacks = bd_xmalloc(sizeof *attacks * ((size_t)co->runs[0].n_served + 1));
        int n_attacks = co_run_attacks(co, 0, attacks);
        double t0 = bd_monotonic_seconds();
        BdCellOutcome out;
        BdError err = {{0}};
        int rc = bd_cell_run(&w, co->cells[idx].key, attacks, n_attacks, co->ckpt_dir, &sink, &out, &err);
        free(attacks);
        BdCellReport rep = {bd_monotonic_seconds() - t0, out.params, out.gflops_per_image};
        if (rc == BD_INTERRUPTED) co_stop_job(co, 0, err.msg);
        else co_finish_job(co, 0, rc == 0, &rep, out.history.data, out.history.len, err.msg);
        bd_cell_outcome_free(&out);
    }
    if (!co->stopped_by_limit) co_abandon_waiting(co);
    bd_worker_free(&w);
}
