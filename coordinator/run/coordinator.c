#include "coordinator.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "exit_status.h"
#include "process.h"

void co_free(Coordinator *co) {
    bd_db_cells_free(co->cells, co->n_cells);
    bd_queue_free(&co->queue);
    free(co->ids_sorted);
    free(co->ids_index);
    free(co->scratch);
    free(co->parked);
    free(co->rank_cell);
    free(co->rank_host);
    bd_progress_free(&co->progress);
    if (co->db) bd_db_close(co->db);
    bd_sweep_free(&co->sweep);
}

void co_report_db_error(Coordinator *co, const BdError *err) {
    char msg[BD_ERROR_MAX + 64];
    snprintf(msg, sizeof msg, "bdsweep: database error: %s", err->msg);
    bd_progress_message(&co->progress, msg);
    co->db_broken = 1;
}

void co_heartbeat(Coordinator *co) {
    bd_exit_if_orphaned(co->parent);
    double now = bd_monotonic_seconds();
    if (now - co->last_heartbeat < 30) return;
    co->last_heartbeat = now;
    BdError err = {{0}};
    if (bd_db_run_heartbeat(co->db, co->run_id, &err) < 0) co_report_db_error(co, &err);
}

/* Validation, registration and the work list; everything before any worker
 * is involved. Returns an exit status (0 to go on). */
int co_prepare(Coordinator *co, int nranks) {
    BdError err = {{0}};
    if (bd_sweep_load(co->opt.sweep_path, BD_SWEEP_STRICT, &co->sweep, &err) < 0) {
        fprintf(stderr, "bdsweep: %s\n", err.msg);
        return BD_EXIT_USAGE;
    }
    const char *db_path = co->opt.db_path ? co->opt.db_path : co->sweep.db_path;
    if (bd_db_open(db_path, 1, &co->db, &err) < 0) {
        fprintf(stderr, "bdsweep: %s\n", err.msg);
        return BD_EXIT_INFRA;
    }
    int n_new = 0, requeued = 0;
    if (bd_db_run_begin(co->db, 0, nranks, &co->run_id, &err) < 0 ||
        bd_db_register(co->db, &co->sweep, &co->sweep_id, &n_new, &err) < 0 ||
        bd_db_requeue_running(co->db, co->sweep_id, &requeued, &err) < 0 ||
        bd_db_sweep_cells(co->db, co->sweep_id, &co->cells, &co->n_cells, &err) < 0) {
        fprintf(stderr, "bdsweep: %s: %s\n", db_path, err.msg);
        return BD_EXIT_INFRA;
    }
    /* Checkpoints live beside the database: results/x.db -> results/x.ckpt/ */
    size_t n = strlen(db_path);
    if (n > 3 && !strcmp(db_path + n - 3, ".db")) n -= 3;
    if (n + strlen(".ckpt") >= sizeof co->ckpt_dir) {
        fprintf(stderr, "bdsweep: %.80s...: database path too long for its checkpoint folder (at most %zu characters)\n",
                db_path, sizeof co->ckpt_dir - 6);
        return BD_EXIT_USAGE;
    }
    snprintf(co->ckpt_dir, sizeof co->ckpt_dir, "%.*s.ckpt", (int)n, db_path);

    int done = 0, failed = 0;
    for (int i = 0; i < co->n_cells; i++) {
        if (co->cells[i].status == BD_DB_DONE) done++;
        else if (co->cells[i].status == BD_DB_FAILED) failed++;
    }
    co->nranks = nranks;
    co->rank_cell = bd_xmalloc((size_t)nranks * sizeof *co->rank_cell);
    co->rank_host = bd_xcalloc((size_t)nranks, sizeof *co->rank_host);
    for (int r = 0; r < nranks; r++) co->rank_cell[r] = -1;
    unsigned varying = 0;
    for (int a = 0; a < BD_AXIS_COUNT; a++)
        if (co->sweep.axes[a].n > 1) varying |= 1u << a;
    bd_progress_init(&co->progress, co->n_cells, done, failed, nranks, co->opt.log_interval, co->opt.progress_tty,
                     varying);
    co->parked = bd_xcalloc((size_t)nranks, sizeof *co->parked);
    co->scratch = bd_xmalloc((size_t)co->n_cells * sizeof *co->scratch + sizeof(int));
    co_index_ids(co);
    if (co_requeue_lost_models(co) < 0) return BD_EXIT_INFRA;
    int to_run = co_build_queue(co);
    if (to_run < 0) return BD_EXIT_INFRA;
    char msg[8400], jobs[64] = "";
    int n_pre = 0;
    for (int i = 0; i < co->n_cells; i++) n_pre += co->cells[i].kind == BD_JOB_PRETRAIN;
    if (n_pre) snprintf(jobs, sizeof jobs, " + %d pre-training job%s", n_pre, n_pre > 1 ? "s" : "");
    snprintf(msg, sizeof msg,
             "bdsweep: sweep '%s': %d cells%s (%d new), %d done, %d failed%s, %d to run on %d %s; database %s",
             co->sweep.name, co->n_cells - n_pre, jobs, n_new, done, failed,
             failed && !co->opt.retry_failed ? " (not retried; --retry-failed)" : "", to_run,
             nranks > 1 ? nranks - 1 : 1, nranks > 2 ? "workers" : "worker", db_path);
    bd_progress_message(&co->progress, msg);
    if (requeued) {
        snprintf(msg, sizeof msg, "bdsweep: %d cell(s) left running by an earlier run will run again", requeued);
        bd_progress_message(&co->progress, msg);
    }
    co->last_heartbeat = bd_monotonic_seconds();
    co->parent = (int)getppid();
    if (co->opt.time_limit > 0) co->deadline = bd_wall_time() + co->opt.time_limit;
    return 0;
}

int co_past_deadline(const Coordinator *co) { return co->deadline > 0 && bd_wall_time() >= co->deadline; }

/* A cell the time limit stopped at an epoch boundary: back to pending, its
 * checkpoint written; the next run continues it. */
void co_stop_cell(Coordinator *co, int rank, const char *where) {
    int idx = co->rank_cell[rank];
    if (idx < 0) return;
    BdError err = {{0}};
    if (bd_db_mark_stopped(co->db, co->cells[idx].id, &err) < 0) co_report_db_error(co, &err);
    co->cells[idx].status = BD_DB_PENDING;
    co->rank_cell[rank] = -1;
    co->progress.ranks[rank].busy = 0;
    co->stopped_by_limit++;
    char msg[BD_ERROR_MAX + 128];
    snprintf(msg, sizeof msg, "bdsweep: time limit: rank %d stopped its cell (%s); the next run continues it", rank,
             where);
    bd_progress_message(&co->progress, msg);
}

int co_start_cell(Coordinator *co, int idx, int rank) {
    BdError err = {{0}};
    if (bd_db_mark_running(co->db, co->cells[idx].id, rank, co->rank_host[rank], &err) < 0) {
        co_report_db_error(co, &err);
        return -1;
    }
    co->rank_cell[rank] = idx;
    bd_progress_started(&co->progress, rank, co->rank_host[rank], co->cells[idx].key);
    return 0;
}

void co_finish_cell(Coordinator *co, int rank, int ok, const BdCellReport *rep, const char *error) {
    int idx = co->rank_cell[rank];
    if (idx < 0) return;
    BdError err = {{0}};
    int was_failed = co->cells[idx].status == BD_DB_FAILED;
    int rc = ok ? bd_db_mark_done(co->db, co->cells[idx].id, rep, &err)
                : bd_db_mark_failed(co->db, co->cells[idx].id, rep->wall_seconds, error, &err);
    if (rc < 0) co_report_db_error(co, &err);
    co->cells[idx].status = ok ? BD_DB_DONE : BD_DB_FAILED;
    co->rank_cell[rank] = -1;
    bd_progress_finished(&co->progress, rank, ok, was_failed);
    co_release_waiting(co, idx, ok, error);
    if (!ok) {
        char msg[BD_ERROR_MAX + 8400];
        snprintf(msg, sizeof msg, "bdsweep: cell failed on rank %d: %s\n  cell: %s", rank, error, co->cells[idx].key);
        bd_progress_message(&co->progress, msg);
    }
    bd_progress_draw(&co->progress, 1);
}

void co_store_metrics(Coordinator *co, int rank, const char *phase, int epoch, const char *const *names,
                          const double *values, int n) {
    int idx = co->rank_cell[rank];
    if (idx < 0) return;
    BdError err = {{0}};
    if (bd_db_add_metrics(co->db, co->cells[idx].id, phase, epoch, names, values, n, &err) < 0)
        co_report_db_error(co, &err);
    bd_progress_metrics(&co->progress, rank, names, values, n);
}

int co_finish(Coordinator *co) {
    bd_progress_end(&co->progress);
    BdError err = {{0}};
    int counts[BD_DB_STATUS_COUNT] = {0};
    int status = BD_EXIT_OK;
    if (bd_db_counts(co->db, co->sweep_id, counts, &err) < 0) {
        fprintf(stderr, "bdsweep: %s\n", err.msg);
        status = BD_EXIT_INFRA;
    } else if (co->db_broken) {
        status = BD_EXIT_INFRA;
    } else if (co->stopped_by_limit && counts[BD_DB_DONE] + counts[BD_DB_FAILED] != co->n_cells) {
        status = BD_EXIT_RETRY; /* come back and continue */
    } else if (counts[BD_DB_DONE] != co->n_cells) {
        status = BD_EXIT_FAILED;
    }
    if (status == BD_EXIT_RETRY)
        fprintf(stderr,
                "bdsweep: the time limit stopped the run: %d of %d done, %d failed, %d left; run the same command "
                "again to continue (stopped cells resume from their last epoch)\n",
                counts[BD_DB_DONE], co->n_cells, counts[BD_DB_FAILED], co->n_cells - counts[BD_DB_DONE] - counts[BD_DB_FAILED]);
    if (status == BD_EXIT_FAILED) {
        fprintf(stderr, "bdsweep: %d of %d cells done, %d failed, %d not run; failed cells:\n", counts[BD_DB_DONE], co->n_cells,
                counts[BD_DB_FAILED], counts[BD_DB_PENDING] + counts[BD_DB_RUNNING]);
        int shown = 0;
        sqlite3_stmt *q = NULL;
        sqlite3 *h = bd_db_sqlite(co->db);
        if (sqlite3_prepare_v2(h,
                               "SELECT c.key, c.error FROM cells c JOIN sweep_cells s ON s.cell_id = c.id "
                               "WHERE s.sweep_id = ? AND c.status = 'failed' ORDER BY c.id",
                               -1, &q, NULL) == SQLITE_OK) {
            sqlite3_bind_int64(q, 1, co->sweep_id);
            while (sqlite3_step(q) == SQLITE_ROW && shown < 20) {
                fprintf(stderr, "  %s\n    error: %s\n", sqlite3_column_text(q, 0), sqlite3_column_text(q, 1));
                shown++;
            }
        }
        sqlite3_finalize(q);
        if (counts[BD_DB_FAILED] > shown) fprintf(stderr, "  ... (bdsweep status shows them all)\n");
        fprintf(stderr, "bdsweep: re-run failed cells with: bdsweep run %s --retry-failed%s%s\n", co->opt.sweep_path,
                co->opt.db_path ? " --db " : "", co->opt.db_path ? co->opt.db_path : "");
    } else if (status == BD_EXIT_OK) {
        fprintf(stderr, "bdsweep: every cell of '%s' is done; results: sqlite3 %s 'select * from cell_results'\n",
                co->sweep.name, co->opt.db_path ? co->opt.db_path : co->sweep.db_path);
    }
    if (bd_db_run_end(co->db, co->run_id, status, &err) < 0) fprintf(stderr, "bdsweep: %s\n", err.msg);
    return status;
}
