#include "coordinator.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "exit_status.h"
#include "process.h"
#include "signals.h"
#include "text.h"

void co_free(Coordinator *co) {
    for (int i = 0; co->serves && i < co->n_cells; i++) free(co->serves[i]);
    free(co->serves);
    free(co->n_serves);
    co_checkpoints_free(co);
    bd_db_cells_free(co->cells, co->n_cells);
    bd_queue_free(&co->queue);
    free(co->ids_sorted);
    free(co->ids_index);
    free(co->scratch);
    free(co->parked);
    free(co->limits);
    for (int r = 0; co->runs && r < co->nranks; r++) {
        free(co->runs[r].served);
        free(co->runs[r].ids);
        free(co->runs[r].attacks);
    }
    free(co->runs);
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

/* A --publish snapshot. A failure is a warning: the database itself is
 * intact, and the next snapshot tries again. */
static void co_publish(Coordinator *co, int at_end) {
    co->last_publish = bd_monotonic_seconds();
    BdError err = {0};
    if (bd_db_publish(co->db, co->opt.publish, &err) == 0) return;
    char msg[BD_ERROR_MAX + 64];
    snprintf(msg, sizeof msg, "bdsweep: warning: %s", err.msg);
    if (at_end) fprintf(stderr, "%s\n", msg);
    else bd_progress_message(&co->progress, msg);
}

void co_heartbeat(Coordinator *co) {
    bd_exit_if_orphaned(co->parent);
    double now = bd_monotonic_seconds();
    if (co->opt.publish && now - co->last_publish >= co->opt.publish_every) co_publish(co, 0);
    if (now - co->last_heartbeat < 30) return;
    co->last_heartbeat = now;
    BdError err = {0};
    if (bd_db_run_heartbeat(co->db, co->run_id, &err) < 0) co_report_db_error(co, &err);
}

/* Validation, registration and the work list; everything before any worker
 * is involved. Returns an exit status (0 to go on). */
int co_prepare(Coordinator *co, int nranks) {
    BdError err = {0};
    if (bd_sweep_load(co->opt.sweep_path, BD_SWEEP_STRICT, &co->sweep, &err) < 0) {
        fprintf(stderr, "bdsweep: %s\n", err.msg);
        return BD_EXIT_USAGE;
    }
    const char *db_path = co->opt.db_path ? co->opt.db_path : co->sweep.db_path;
    if (co->opt.publish && bd_db_publish_check(db_path, co->opt.publish, &err) < 0) {
        fprintf(stderr, "bdsweep run: %s\n", err.msg);
        return BD_EXIT_USAGE;
    }
    if (bd_db_open(db_path, 1, &co->db, &err) < 0) {
        fprintf(stderr, "bdsweep: %s\n", err.msg);
        return BD_EXIT_INFRA;
    }
    int n_new = 0, requeued = 0, abandoned = 0;
    char *build_note = NULL;
    /* The run first: registering waits for no other run on this database. */
    if (bd_db_run_begin(co->db, 0, nranks, &co->run_id, &err) < 0 ||
        bd_db_register(co->db, &co->sweep, &co->sweep_id, &n_new, &err) < 0 ||
        bd_db_run_set_sweep(co->db, co->run_id, co->sweep_id, &err) < 0 ||
        bd_db_other_builds(co->db, co->sweep_id, &build_note, &err) < 0 ||
        bd_db_sweep_cells(co->db, co->sweep_id, &co->cells, &co->n_cells, &err) < 0) {
        fprintf(stderr, "bdsweep: %s: %s\n", db_path, err.msg);
        free(build_note);
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
    /* ... and kept models too: results/x.models/ */
    if (co->sweep.keep & BD_KEEP_MODELS) snprintf(co->models_dir, sizeof co->models_dir, "%.*s.models", (int)n, db_path);

    co_index_ids(co);
    co_checkpoints_init(co);
    if (co_compute_limits(co) < 0 || co_settle_lost_jobs(co, &requeued, &abandoned) < 0) return BD_EXIT_INFRA;
    int done = 0, failed = 0;
    for (int i = 0; i < co->n_cells; i++) {
        if (co->cells[i].kind != BD_JOB_CELL) continue;
        if (co->cells[i].status == BD_DB_DONE) done++;
        else if (co->cells[i].status == BD_DB_FAILED) failed++;
    }
    co->nranks = nranks;
    co->runs = bd_xcalloc((size_t)nranks, sizeof *co->runs);
    co->rank_host = bd_xcalloc((size_t)nranks, sizeof *co->rank_host);
    for (int r = 0; r < nranks; r++) co->runs[r].job = -1;
    unsigned varying = 0;
    for (int a = 0; a < BD_AXIS_COUNT; a++)
        if (co->sweep.axes[a].n > 1) varying |= 1u << a;
    bd_progress_init(&co->progress, co->n_grid, done, failed, nranks, co->opt.log_interval, co->opt.progress_tty,
                     varying);
    co->parked = bd_xcalloc((size_t)nranks, sizeof *co->parked);
    co->scratch = bd_xmalloc((size_t)co->n_cells * sizeof *co->scratch + sizeof(int));
    if (co_requeue_lost_models(co) < 0) return BD_EXIT_INFRA;
    int to_run = co_build_queue(co);
    if (to_run < 0) return BD_EXIT_INFRA;
    char msg[8400];
    int models = bd_sweep_models_count(&co->sweep.models);
    snprintf(msg, sizeof msg,
             "bdsweep: sweep '%s': %d cells on %d models (%d new rows), %d done, %d failed%s; %d job%s to run on %d "
             "%s; database %s",
             co->sweep.name, co->n_grid, models, n_new, done, failed,
             failed && !co->opt.retry_failed ? " (not retried; --retry-failed)" : "", to_run, to_run == 1 ? "" : "s",
             nranks > 1 ? nranks - 1 : 1, nranks > 2 ? "workers" : "worker", db_path);
    bd_progress_message(&co->progress, msg);
    if (requeued) {
        snprintf(msg, sizeof msg, "bdsweep: %d cell(s) left running by an earlier run will run again", requeued);
        bd_progress_message(&co->progress, msg);
    }
    if (build_note) {
        bd_text_format(msg, sizeof msg, "bdsweep: note: %s", build_note);
        bd_progress_message(&co->progress, msg);
        free(build_note);
    }
    if (abandoned) {
        snprintf(msg, sizeof msg,
                 "bdsweep: %d job(s) left running by an earlier run had had all their attempts: failed as abandoned "
                 "(bdsweep status shows them; --retry-failed tries them again)",
                 abandoned);
        bd_progress_message(&co->progress, msg);
    }
    co->last_heartbeat = bd_monotonic_seconds();
    co->parent = (int)getppid();
    if (co->opt.time_limit > 0) co->deadline = bd_wall_time() + co->opt.time_limit;
    return 0;
}

int co_past_deadline(const Coordinator *co) { return co->deadline > 0 && bd_wall_time() >= co->deadline; }

static BdDbDispatch dispatch_of(const Coordinator *co, const CoRun *run) {
    return (BdDbDispatch){co->cells[run->job].id, run->ids, run->attacks, run->n_served, run->reevaluate};
}

/* Sets the in-memory status of the rows a run moved; returns how many grid
 * cells changed. */
static int set_status(Coordinator *co, const CoRun *run, BdCellStatus to) {
    if (!run->reevaluate) co->cells[run->job].status = to;
    int n = 0;
    for (int k = 0; k < run->n_served; k++) {
        BdDbCell *c = &co->cells[run->served[k]];
        c->status = to;
        n += c->kind == BD_JOB_CELL;
    }
    return n;
}

/* The job on rank back to pending with its cells, its attempt not counted
 * (bd_db_job_stopped): the run ends early, and the next one continues it. */
static void job_back_to_pending(Coordinator *co, CoRun *run, int rank) {
    BdError err = {0};
    BdDbDispatch d = dispatch_of(co, run);
    if (bd_db_job_stopped(co->db, &d, &err) < 0) co_report_db_error(co, &err);
    set_status(co, run, BD_DB_PENDING);
    co->progress.failed -= run->were_failed; /* pending again, not failed */
    run->job = -1;
    co->progress.ranks[rank].busy = 0;
    co->stopped_early++;
}

/* A job the time limit or a stop signal stopped before one of its training
 * steps, its checkpoint written there. */
void co_stop_job(Coordinator *co, int rank, const char *where) {
    CoRun *run = &co->runs[rank];
    if (run->job < 0) return;
    job_back_to_pending(co, run, rank);
    char msg[BD_ERROR_MAX + 128], why[64];
    co_stop_reason(co, why, sizeof why);
    snprintf(msg, sizeof msg, "bdsweep: %s: rank %d stopped its job (%s); the next run continues it", why, rank, where);
    bd_progress_message(&co->progress, msg);
}

/* The job is not at fault, so it is not failed; the run stops because
 * every job after it would meet the same full disk or broken file system. */
void co_machine_failed_job(Coordinator *co, int rank, const char *error) {
    CoRun *run = &co->runs[rank];
    if (run->job < 0) return;
    if (!co->machine_error[0]) snprintf(co->machine_error, sizeof co->machine_error, "rank %d: %s", rank, error);
    job_back_to_pending(co, run, rank);
    char msg[BD_ERROR_MAX + 128];
    snprintf(msg, sizeof msg, "bdsweep: the machine failed the job of rank %d, not the job: %s; it stays pending", rank,
             error);
    bd_progress_message(&co->progress, msg);
}

void co_stop_reason(const Coordinator *co, char *out, size_t n) {
    if (co->interrupted > 0) bd_signal_name(co->interrupted, out, n);
    else if (co->interrupted == CO_STOP_WORKER_SIGNAL) snprintf(out, n, "a stop signal to a worker");
    else if (co->interrupted == CO_STOP_MACHINE) snprintf(out, n, "a machine failure");
    else snprintf(out, n, "the time limit");
}

int co_note_interrupt(Coordinator *co, int sig) {
    if (co->interrupted) return 0;
    co->interrupted = sig;
    char name[64], msg[256];
    co_stop_reason(co, name, sizeof name);
    snprintf(msg, sizeof msg,
             "bdsweep: %s: no job starts any more; the running ones stop at their next training step with a "
             "checkpoint",
             name);
    bd_progress_message(&co->progress, msg);
    return 1;
}

void co_job_order(const Coordinator *co, int rank, BdBuf *out) {
    const CoRun *run = &co->runs[rank];
    const BdDbCell *c = &co->cells[run->job];
    const char **attacks = bd_xmalloc(sizeof *attacks * ((size_t)run->n_served + 1));
    BdJobOrder o = {.job = c->id,
                    .key = c->key,
                    .ckpt_dir = co->ckpt_dir,
                    .models_dir = co->models_dir,
                    .db_id = bd_db_id(co->db),
                    .deadline = co->deadline,
                    .wall_limit = co->limits[run->job].wall,
                    .memory_limit = co->limits[run->job].memory,
                    .attacks = attacks};
    o.n_attacks = co_run_attacks(co, rank, attacks);
    bd_buf_reset(out);
    bd_job_order_put(out, &o);
    free(attacks);
}

int co_handle_job_message(Coordinator *co, int rank, int tag, BdBuf *in) {
    BdError err = {0};
    switch (tag) {
    case BD_MSG_PROGRESS: {
        BdProgressMsg m;
        if (bd_msg_progress_get(in, &m) == 0)
            bd_progress_activity(&co->progress, rank, m.phase, m.epoch, m.epochs, m.step, m.steps);
        else bd_buf_check(in, "progress", &err);
        break;
    }
    case BD_MSG_METRICS: {
        bd_buf_get_i64(in);
        BdMetricsRecord m = {0};
        if (bd_metrics_get(in, &m) == 0) co_store_metrics(co, rank, &m);
        else bd_buf_check(in, "metrics", &err);
        bd_metrics_record_free(&m);
        break;
    }
    case BD_MSG_STOPPED:
    case BD_MSG_DONE:
    case BD_MSG_FAILED:
    case BD_MSG_MACHINE_FAILED: {
        BdOutcomeMsg m;
        if (bd_msg_outcome_get(in, (BdMsgType)tag, &m) < 0) {
            bd_buf_check(in, "result", &err);
        } else if (tag == BD_MSG_STOPPED) {
            co_stop_job(co, rank, m.text);
        } else if (tag == BD_MSG_MACHINE_FAILED) {
            co_machine_failed_job(co, rank, m.text);
        } else {
            BdCellReport rep = {m.wall_seconds, m.params,    m.gflops_per_image, m.history,
                                m.history_len,  m.artifacts, m.artifacts_len};
            co_finish_job(co, rank, tag == BD_MSG_DONE, &rep, m.text);
        }
        break;
    }
    default:
        return 0;
    }
    if (err.msg[0]) bd_progress_message(&co->progress, err.msg);
    return 1;
}

int co_run_attacks(const Coordinator *co, int rank, const char **out) {
    const CoRun *run = &co->runs[rank];
    int n = 0;
    if (run->job < 0 || co->cells[run->job].kind != BD_JOB_CLEAN) return 0;
    /* Distinct: cells whose rates all poison nothing share their attack's numbers. */
    for (int k = 0; k < run->n_served; k++) {
        int seen = 0;
        for (int i = 0; i < n && !seen; i++) seen = !strcmp(out[i], run->attacks[k]);
        if (!seen) out[n++] = run->attacks[k];
    }
    return n;
}

int co_start_job(Coordinator *co, int idx, int rank) {
    CoRun *run = &co->runs[rank];
    if (!co_plan_run(co, idx, run)) return -1;
    BdError err = {0};
    BdDbDispatch d = dispatch_of(co, run);
    if (bd_db_job_start(co->db, &d, rank, co->rank_host[rank], &err) < 0) {
        co_report_db_error(co, &err);
        run->job = -1;
        return -1;
    }
    run->were_failed = 0;
    for (int k = 0; k < run->n_served; k++) run->were_failed += co->cells[run->served[k]].status == BD_DB_FAILED;
    set_status(co, run, BD_DB_RUNNING);
    bd_progress_started(&co->progress, rank, co->rank_host[rank], co->cells[idx].key);
    return 0;
}

void co_finish_job(Coordinator *co, int rank, int ok, const BdCellReport *rep, const char *error) {
    CoRun *run = &co->runs[rank];
    int idx = run->job;
    if (idx < 0) return;
    BdError err = {0};
    BdDbDispatch d = dispatch_of(co, run);
    int rc = ok ? bd_db_job_done(co->db, &d, rep, &err)
                : bd_db_job_failed(co->db, &d, rep->wall_seconds, error, &err);
    if (rc < 0) {
        /* Nothing changed: the job and its cells stay running, for the next
         * run to put back to pending. */
        co_report_db_error(co, &err);
        run->job = -1;
        co->progress.ranks[rank].busy = 0;
        return;
    }
    int n = set_status(co, run, ok ? BD_DB_DONE : BD_DB_FAILED);
    if (ok && !run->reevaluate) {
        const char **attacks = bd_xmalloc(sizeof *attacks * ((size_t)run->n_served + 1));
        int n_attacks = co_run_attacks(co, rank, attacks);
        co_checkpoints_release(co, idx, attacks, n_attacks);
        free(attacks);
    }
    run->job = -1;
    bd_progress_finished(&co->progress, rank, ok, n, run->were_failed);
    if (!run->reevaluate) co_release_waiting(co, idx, ok, error);
    if (!ok) {
        char msg[BD_ERROR_MAX + 8400];
        snprintf(msg, sizeof msg, "bdsweep: job failed on rank %d (%d cell%s): %s\n  job: %s", rank, n,
                 n == 1 ? "" : "s", error, co->cells[idx].key);
        bd_progress_message(&co->progress, msg);
    }
    bd_progress_draw(&co->progress, 1);
}

void co_store_metrics(Coordinator *co, int rank, const BdMetricsRecord *r) {
    CoRun *run = &co->runs[rank];
    if (run->job < 0) return;
    BdError err = {0};
    BdDbDispatch d = dispatch_of(co, run);
    if (bd_db_job_metrics(co->db, &d, r, &err) < 0) co_report_db_error(co, &err);
    bd_progress_metrics(&co->progress, rank, r->names, r->values, r->n);
}

int co_finish(Coordinator *co) {
    bd_progress_end(&co->progress);
    BdError err = {0};
    /* The grid's cells decide: every one done is success. */
    int counts[BD_DB_STATUS_COUNT] = {0};
    for (int i = 0; i < co->n_cells; i++)
        if (co->cells[i].kind == BD_JOB_CELL) counts[co->cells[i].status]++;
    int status = BD_EXIT_OK, n = co->n_grid;
    if (co->db_broken || co->machine_error[0]) status = BD_EXIT_INFRA;
    else if ((co->stopped_early || co->interrupted) && counts[BD_DB_DONE] + counts[BD_DB_FAILED] != n)
        status = BD_EXIT_RETRY;
    else if (counts[BD_DB_DONE] != n) status = BD_EXIT_FAILED;
    if (co->machine_error[0])
        fprintf(stderr,
                "bdsweep: the machine failed a job (%s): the run stopped with %d of %d done, %d failed, %d left "
                "pending; none of them is at fault: mend the cause (free the disk, fix the file system) and run the "
                "same command again\n",
                co->machine_error, counts[BD_DB_DONE], n, counts[BD_DB_FAILED],
                n - counts[BD_DB_DONE] - counts[BD_DB_FAILED]);
    if (status == BD_EXIT_RETRY) {
        char why[64];
        co_stop_reason(co, why, sizeof why);
        fprintf(stderr,
                "bdsweep: %s stopped the run: %d of %d done, %d failed, %d left; run the same command again to "
                "continue (stopped cells resume from the training step they stopped at)\n",
                why, counts[BD_DB_DONE], n, counts[BD_DB_FAILED], n - counts[BD_DB_DONE] - counts[BD_DB_FAILED]);
    }
    if (status == BD_EXIT_FAILED) {
        fprintf(stderr, "bdsweep: %d of %d cells done, %d failed, %d not run; failed cells:\n", counts[BD_DB_DONE], n,
                counts[BD_DB_FAILED], counts[BD_DB_PENDING] + counts[BD_DB_RUNNING]);
        int shown = 0;
        sqlite3_stmt *q = NULL;
        sqlite3 *h = bd_db_sqlite(co->db);
        if (sqlite3_prepare_v2(h,
                               "SELECT c.key, c.error FROM cells c JOIN sweep_cells s ON s.cell_id = c.id "
                               "WHERE s.sweep_id = ? AND c.status = 'failed' AND c.kind = 'cell' ORDER BY c.id",
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
    co_checkpoints_end(co);
    if (bd_db_run_end(co->db, co->run_id, status, &err) < 0) fprintf(stderr, "bdsweep: %s\n", err.msg);
    if (bd_db_finish_run(co->db, &err) < 0) fprintf(stderr, "bdsweep: warning: %s\n", err.msg);
    if (co->opt.publish) co_publish(co, 1);
    return status;
}
