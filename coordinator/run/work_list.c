#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "coordinator.h"
#include "job_keys.h"

static int cmp_by_id(const void *a, const void *b, void *ids_) {
    const int64_t *ids = ids_;
    int64_t x = ids[*(const int *)a], y = ids[*(const int *)b];
    return (x > y) - (x < y);
}

void co_index_ids(Coordinator *co) {
    int n = co->n_cells;
    int64_t *ids = bd_xmalloc((size_t)n * sizeof *ids + sizeof *ids);
    co->ids_index = bd_xmalloc((size_t)n * sizeof *co->ids_index + sizeof(int));
    co->ids_sorted = bd_xmalloc((size_t)n * sizeof *co->ids_sorted + sizeof(int64_t));
    for (int i = 0; i < n; i++) {
        ids[i] = co->cells[i].id;
        co->ids_index[i] = i;
    }
    qsort_r(co->ids_index, (size_t)n, sizeof *co->ids_index, cmp_by_id, ids);
    for (int k = 0; k < n; k++) co->ids_sorted[k] = ids[co->ids_index[k]];
    free(ids);
}

/* Index in co->cells of a job id, or -1. */
static int index_of(const Coordinator *co, int64_t id) {
    int lo = 0, hi = co->n_cells - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (co->ids_sorted[mid] == id) return co->ids_index[mid];
        if (co->ids_sorted[mid] < id) lo = mid + 1;
        else hi = mid - 1;
    }
    return -1;
}

/* A done pre-training job whose model file is gone is run again when a cell
 * that is not done yet still needs it. */
int co_requeue_lost_models(Coordinator *co) {
    for (int i = 0; i < co->n_cells; i++) {
        BdDbCell *c = &co->cells[i];
        if (c->kind != BD_JOB_PRETRAIN || c->status != BD_DB_DONE) continue;
        char path[BD_CKPT_PATH_MAX];
        BdError err = {{0}};
        if (bd_checkpoint_path(co->ckpt_dir, "pretrain", c->key, path, sizeof path, &err) < 0) {
            fprintf(stderr, "bdsweep: %s\n", err.msg);
            return -1;
        }
        if (access(path, R_OK) == 0) continue;
        int needed = 0;
        for (int k = 0; k < co->n_cells && !needed; k++)
            needed = co->cells[k].depends_on == c->id && co->cells[k].status != BD_DB_DONE;
        if (!needed) continue;
        char reason[BD_CKPT_PATH_MAX + 64];
        snprintf(reason, sizeof reason, "model checkpoint %s is missing: pre-training again", path);
        if (bd_db_requeue_done(co->db, c->id, reason, &err) < 0) {
            fprintf(stderr, "bdsweep: %s\n", err.msg);
            return -1;
        }
        c->status = BD_DB_PENDING;
        bd_progress_message(&co->progress, reason);
        co->progress.done--;
    }
    return 0;
}

static int will_run(const Coordinator *co, const BdDbCell *c) {
    return c->status == BD_DB_PENDING || (co->opt.retry_failed && c->status == BD_DB_FAILED);
}

/* Fails a cell that cannot start because the job it waits for failed. */
static void fail_waiting(Coordinator *co, int idx, const char *why) {
    BdError err = {{0}};
    BdDbCell *c = &co->cells[idx];
    int was_failed = c->status == BD_DB_FAILED;
    if (was_failed) return; /* it stays failed, with its earlier reason */
    if (bd_db_mark_failed(co->db, c->id, 0.0, why, &err) < 0) {
        co_report_db_error(co, &err);
        return;
    }
    c->status = BD_DB_FAILED;
    co->progress.failed++;
}

/* The jobs of this run: ready ones in sweep order (pre-training jobs come
 * first), the others waiting for their pre-training job. Returns how many
 * will run, or -1. */
int co_build_queue(Coordinator *co) {
    bd_queue_init(&co->queue);
    int n = 0;
    for (int i = 0; i < co->n_cells; i++) {
        BdDbCell *c = &co->cells[i];
        if (!will_run(co, c)) continue;
        int dep = c->depends_on ? index_of(co, c->depends_on) : -1;
        if (dep < 0 || co->cells[dep].status == BD_DB_DONE) {
            bd_queue_push(&co->queue, i);
        } else if (will_run(co, &co->cells[dep])) {
            bd_queue_wait(&co->queue, c->depends_on, i);
        } else {
            fail_waiting(co, i, "its pre-training job failed in an earlier run (bdsweep status shows why); "
                                "re-run with --retry-failed");
            continue;
        }
        n++;
    }
    return n;
}

/* A job ended: the cells waiting for it can start, or fail with it. */
void co_release_waiting(Coordinator *co, int idx, int ok, const char *error) {
    int n = bd_queue_release(&co->queue, co->cells[idx].id, ok, co->scratch);
    char why[BD_ERROR_MAX + 64];
    snprintf(why, sizeof why, "its pre-training job failed: %s", error);
    for (int i = 0; i < n; i++) fail_waiting(co, co->scratch[i], why);
}

/* Cells still waiting when nothing can run any more: their pre-training job
 * was never started (it is not part of this run's work). */
void co_abandon_waiting(Coordinator *co) {
    int n = bd_queue_drain_waiting(&co->queue, co->scratch);
    for (int i = 0; i < n; i++)
        fail_waiting(co, co->scratch[i], "its pre-training job could not be run (bdsweep status shows its state)");
}
