/* Which jobs a run runs, in what order, which grid cells each serves, and who
 * waits for whom. */
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

/* Index in co->cells of a row id, or -1. */
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

/* The id index, and for each row the grid cells whose model it is. */
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

    co->serves = bd_xcalloc((size_t)n + 1, sizeof *co->serves);
    co->n_serves = bd_xcalloc((size_t)n + 1, sizeof *co->n_serves);
    int *model = bd_xmalloc((size_t)n * sizeof *model + sizeof *model);
    co->n_grid = 0;
    for (int i = 0; i < n; i++) {
        model[i] = -1;
        if (co->cells[i].kind != BD_JOB_CELL) continue;
        co->n_grid++;
        model[i] = index_of(co, co->cells[i].model_id);
        if (model[i] >= 0) co->n_serves[model[i]]++;
    }
    for (int i = 0; i < n; i++) co->serves[i] = co->n_serves[i] ? bd_xmalloc((size_t)co->n_serves[i] * sizeof(int)) : NULL;
    memset(co->n_serves, 0, (size_t)n * sizeof *co->n_serves);
    for (int i = 0; i < n; i++)
        if (model[i] >= 0) co->serves[model[i]][co->n_serves[model[i]]++] = i;
    free(model);
}

int co_is_job(const Coordinator *co, int idx) {
    const BdDbCell *c = &co->cells[idx];
    return c->kind != BD_JOB_CELL || c->model_id == c->id;
}

static int will_run(const Coordinator *co, const BdDbCell *c) {
    return c->status == BD_DB_PENDING || (co->opt.retry_failed && c->status == BD_DB_FAILED);
}

static void run_add(CoRun *run, const Coordinator *co, int i) {
    if (run->n_served == run->cap) {
        run->cap = run->cap ? 2 * run->cap : 8;
        run->served = bd_xrealloc(run->served, (size_t)run->cap * sizeof *run->served);
        run->ids = bd_xrealloc(run->ids, (size_t)run->cap * sizeof *run->ids);
        run->attacks = bd_xrealloc(run->attacks, (size_t)run->cap * sizeof *run->attacks);
    }
    run->served[run->n_served] = i;
    run->ids[run->n_served] = co->cells[i].id;
    run->attacks[run->n_served++] = co->cells[i].attack ? co->cells[i].attack : "";
}

/* A job that is not done runs for every cell it serves that is not done; a
 * done clean model runs again for the cells that joined it since (their
 * attacks were not measured yet): the same model, trained again with the
 * same streams, measured against those attacks only. */
int co_plan_run(const Coordinator *co, int idx, CoRun *run) {
    const BdDbCell *job = &co->cells[idx];
    run->job = idx;
    run->n_served = 0;
    run->reevaluate = job->status == BD_DB_DONE;
    if (!run->reevaluate && !will_run(co, job)) return 0;
    for (int k = 0; k < co->n_serves[idx]; k++) {
        const BdDbCell *c = &co->cells[co->serves[idx][k]];
        if (run->reevaluate ? will_run(co, c) : c->status != BD_DB_DONE) run_add(run, co, co->serves[idx][k]);
    }
    return run->reevaluate ? run->n_served : 1;
}

/* A done pre-training job whose model file is gone is run again when a job
 * that is not done yet still needs it. */
int co_requeue_lost_models(Coordinator *co) {
    for (int i = 0; i < co->n_cells; i++) {
        BdDbCell *c = &co->cells[i];
        if (c->kind != BD_JOB_PRETRAIN || c->status != BD_DB_DONE) continue;
        char path[BD_CKPT_PATH_MAX];
        BdError err = {0};
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
    }
    return 0;
}

/* Fails a job that cannot start because the job it waits for failed, with
 * the cells it serves. */
static void fail_waiting(Coordinator *co, int idx, const char *why) {
    CoRun run = {0};
    if (co_plan_run(co, idx, &run) && !run.reevaluate) {
        BdError err = {0};
        BdDbDispatch d = {co->cells[idx].id, run.ids, run.attacks, run.n_served, 0};
        if (bd_db_job_failed(co->db, &d, 0.0, why, &err) < 0) co_report_db_error(co, &err);
        else {
            co->cells[idx].status = BD_DB_FAILED;
            for (int k = 0; k < run.n_served; k++) {
                BdDbCell *c = &co->cells[run.served[k]];
                if (c->status != BD_DB_FAILED) co->progress.failed++;
                c->status = BD_DB_FAILED;
            }
        }
    }
    free(run.served);
    free(run.ids);
    free(run.attacks);
}

/* The jobs of this run: ready ones in sweep order (pre-training jobs come
 * first), the others waiting for their pre-training job. Returns how many
 * will run, or -1. */
int co_build_queue(Coordinator *co) {
    bd_queue_init(&co->queue);
    int n = 0;
    CoRun run = {0};
    for (int i = 0; i < co->n_cells; i++) {
        BdDbCell *c = &co->cells[i];
        if (!co_is_job(co, i) || !co_plan_run(co, i, &run)) continue;
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
    free(run.served);
    free(run.ids);
    free(run.attacks);
    return n;
}

/* A job ended: the jobs waiting for it can start, or fail with it. */
void co_release_waiting(Coordinator *co, int idx, int ok, const char *error) {
    int n = bd_queue_release(&co->queue, co->cells[idx].id, ok, co->scratch);
    char why[BD_ERROR_MAX + 64];
    snprintf(why, sizeof why, "its pre-training job failed: %s", error);
    for (int i = 0; i < n; i++) fail_waiting(co, co->scratch[i], why);
}

/* Jobs still waiting when nothing can run any more: their pre-training job
 * was never started (it is not part of this run's work). */
void co_abandon_waiting(Coordinator *co) {
    int n = bd_queue_drain_waiting(&co->queue, co->scratch);
    for (int i = 0; i < n; i++)
        fail_waiting(co, co->scratch[i], "its pre-training job could not be run (bdsweep status shows its state)");
}

/* The grid's rows are the sweep's cells in sweep order (their position in
 * sweep_cells), so the k-th row of kind cell is sweep cell k; its limits are
 * that cell's. A clean model runs under the widest limits of the cells it
 * serves, a pre-training job under the widest of the jobs that wait for it. */
int co_compute_limits(Coordinator *co) {
    const BdSweepLimits *sl = &co->sweep.limits;
    co->limits = bd_xmalloc((size_t)co->n_cells * sizeof *co->limits + sizeof *co->limits);
    int k = 0;
    for (int i = 0; i < co->n_cells; i++) {
        co->limits[i] = sl->all;
        if (co->cells[i].kind != BD_JOB_CELL) continue;
        if (k >= co->sweep.n_cells || strcmp(co->sweep.cells[k].key, co->cells[i].key)) {
            fprintf(stderr, "bdsweep: internal error: the database's cell %lld is not the sweep's cell %d\n",
                    (long long)co->cells[i].id, k);
            return -1;
        }
        co->limits[i] = sl->profiles[co->sweep.cells[k++].limits];
    }
    for (int i = 0; i < co->n_cells; i++) {
        if (co->cells[i].kind != BD_JOB_CLEAN || !co->n_serves[i]) continue;
        co->limits[i] = co->limits[co->serves[i][0]];
        for (int s = 1; s < co->n_serves[i]; s++) bd_limits_widen(&co->limits[i], &co->limits[co->serves[i][s]]);
    }
    unsigned char *seen = bd_xcalloc((size_t)co->n_cells + 1, 1);
    for (int i = 0; i < co->n_cells; i++) {
        int dep = co->cells[i].depends_on ? index_of(co, co->cells[i].depends_on) : -1;
        if (dep < 0 || !co_is_job(co, i)) continue;
        if (!seen[dep]) co->limits[dep] = co->limits[i];
        else bd_limits_widen(&co->limits[dep], &co->limits[i]);
        seen[dep] = 1;
    }
    free(seen);
    return 0;
}

/* A job is lost when a run died while it ran: its rows are still running.
 * Its attempts so far are its row's (a re-evaluated clean model that is
 * done: its running cells'). */
int co_settle_lost_jobs(Coordinator *co, int *requeued, int *abandoned) {
    *requeued = *abandoned = 0;
    CoRun run = {0};
    int rc = 0;
    for (int i = 0; i < co->n_cells && rc == 0; i++) {
        if (!co_is_job(co, i)) continue;
        const BdDbCell *job = &co->cells[i];
        int attempts = job->status == BD_DB_RUNNING ? job->attempts : 0;
        run.n_served = 0;
        for (int k = 0; k < co->n_serves[i]; k++) {
            const BdDbCell *c = &co->cells[co->serves[i][k]];
            if (c->status != BD_DB_RUNNING) continue;
            run_add(&run, co, co->serves[i][k]);
            if (job->status != BD_DB_RUNNING && c->attempts > attempts) attempts = c->attempts;
        }
        if ((job->status != BD_DB_RUNNING && !run.n_served) || attempts < co->limits[i].attempts) continue;
        char why[128];
        snprintf(why, sizeof why, "abandoned after %d attempts (the run that ran it died each time)", attempts);
        BdError err = {0};
        BdDbDispatch d = {job->id, run.ids, run.attacks, run.n_served, job->status != BD_DB_RUNNING};
        if (bd_db_job_failed(co->db, &d, 0.0, why, &err) < 0) {
            fprintf(stderr, "bdsweep: %s\n", err.msg);
            rc = -1;
            break;
        }
        if (job->status == BD_DB_RUNNING) co->cells[i].status = BD_DB_FAILED;
        for (int k = 0; k < run.n_served; k++) co->cells[run.served[k]].status = BD_DB_FAILED;
        (*abandoned)++;
    }
    free(run.served);
    free(run.ids);
    free(run.attacks);
    if (rc < 0) return -1;
    BdError err = {0};
    if (bd_db_requeue_running(co->db, co->sweep_id, requeued, &err) < 0) {
        fprintf(stderr, "bdsweep: %s\n", err.msg);
        return -1;
    }
    for (int i = 0; i < co->n_cells; i++)
        if (co->cells[i].status == BD_DB_RUNNING) co->cells[i].status = BD_DB_PENDING;
    return 0;
}
