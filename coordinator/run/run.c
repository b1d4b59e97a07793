/* `bdsweep run`: rank 0 validates the sweep, registers its cells, and hands
 * them out one at a time to whichever worker asks (a fast worker takes more);
 * it is the only process that writes the database. With one rank, rank 0
 * trains the cells itself.
 *
 * Every state change of a cell (running, each epoch's metrics, done, failed)
 * is its own transaction, so killing the run at any instant loses at most the
 * cells that were running; the next run puts those back to pending. */
#include <mpi.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cell_run.h"
#include "clock.h"
#include "commands.h"
#include "job_keys.h"
#include "db/db.h"
#include "log.h"
#include "progress.h"
#include "queue.h"
#include "sweep/sweep.h"
#include "wire.h"
#include "worker_loop.h"

typedef struct RunOptions {
    const char *sweep_path;
    const char *db_path; /* NULL: the sweep's default */
    int retry_failed;
    int threads;
    double log_interval;
    double time_limit; /* seconds; 0: none */
    int progress_tty;  /* 1 live block, 0 lines, -1 auto */
} RunOptions;

static void run_usage(FILE *f) {
    fprintf(f,
            "usage: mpirun -n N bdsweep run SWEEP.yaml [--db PATH] [--retry-failed] [--threads T]\n"
            "                               [--time-limit DURATION] [--log-interval SECONDS]\n"
            "                               [--progress auto|tty|lines]\n"
            "\n"
            "Runs every cell of the sweep that is not done yet. Rank 0 coordinates and\n"
            "writes the database; ranks 1..N-1 train (with -n 1, rank 0 trains itself).\n"
            "Running the same command again resumes: done cells are never trained again,\n"
            "cells left running by a killed run are run again.\n"
            "\n"
            "  --db PATH            the SQLite database (default: results/NAME.db, NAME from the sweep)\n"
            "  --retry-failed       also re-run the cells that failed before\n"
            "  --threads T          BLAS threads per worker (default 1: one rank per core)\n"
            "  --time-limit D       stop handing out cells after D (90m, 3h50m, 1:30:00, or seconds);\n"
            "                       running cells stop at their next epoch and continue in the next run\n"
            "                       (give a little less than the batch job's time limit)\n"
            "  --progress P         tty: a live block on stderr (a summary line, then each rank's cell, epoch\n"
            "                       and step); lines: a summary line every --log-interval and when a cell\n"
            "                       ends, for logs; auto (default): tty when stderr is a terminal. Under\n"
            "                       mpirun stderr is a pipe, so say --progress tty for the live block.\n"
            "  --log-interval S     seconds between progress lines when they are lines (default 30)\n"
            "  -h, --help           this text\n"
            "\n"
            "Exit status: 0 every cell done, 1 some cells failed, 2 invalid sweep or arguments,\n"
            "3 the database could not be used, 75 the time limit stopped the run with cells left\n"
            "(run the same command again to continue).\n");
}

/* "5400", "90m", "3h50m", "2d", "1:30:00" (H:MM:SS) or "30:00" (M:SS) -> seconds; -1 if malformed. */
static double parse_duration(const char *s) {
    if (strchr(s, ':')) {
        double parts[3] = {0};
        int n = 0;
        const char *p = s;
        while (n < 3) {
            char *end;
            parts[n++] = strtod(p, &end);
            if (end == p) return -1;
            if (*end == '\0') break;
            if (*end != ':') return -1;
            p = end + 1;
        }
        if (n == 2) return parts[0] * 60 + parts[1];
        if (n == 3) return parts[0] * 3600 + parts[1] * 60 + parts[2];
        return -1;
    }
    double total = 0;
    const char *p = s;
    while (*p) {
        char *end;
        double v = strtod(p, &end);
        if (end == p || v < 0) return -1;
        switch (*end) {
        case 'd': total += v * 86400; end++; break;
        case 'h': total += v * 3600; end++; break;
        case 'm': total += v * 60; end++; break;
        case 's': total += v; end++; break;
        case '\0': total += v; break; /* bare seconds, last */
        default: return -1;
        }
        p = end;
    }
    return total;
}

/* msg: where errors go (rank 0: stderr; the other ranks: NULL, silent). */
static int parse_options(int argc, char **argv, RunOptions *o, FILE *msg) {
    static const struct option longs[] = {
        {"db", required_argument, NULL, 'd'},           {"retry-failed", no_argument, NULL, 'r'},
        {"threads", required_argument, NULL, 't'},      {"log-interval", required_argument, NULL, 'l'},
        {"time-limit", required_argument, NULL, 'T'},  {"progress", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},               {0, 0, 0, 0},
    };
    memset(o, 0, sizeof *o);
    o->threads = 1;
    o->log_interval = 30;
    o->progress_tty = -1;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'd': o->db_path = optarg; break;
        case 'r': o->retry_failed = 1; break;
        case 't':
            o->threads = (int)strtol(optarg, &end, 10);
            if (*end || o->threads < 1 || o->threads > 1024) {
                if (msg) fprintf(msg, "bdsweep run: --threads '%s': expected an integer in [1, 1024]\n", optarg);
                return 2;
            }
            break;
        case 'l':
            o->log_interval = strtod(optarg, &end);
            if (*end || o->log_interval <= 0) {
                if (msg) fprintf(msg, "bdsweep run: --log-interval '%s': expected a positive number of seconds\n", optarg);
                return 2;
            }
            break;
        case 'p':
            if (!strcmp(optarg, "auto")) o->progress_tty = -1;
            else if (!strcmp(optarg, "tty")) o->progress_tty = 1;
            else if (!strcmp(optarg, "lines")) o->progress_tty = 0;
            else {
                if (msg) fprintf(msg, "bdsweep run: --progress '%s': expected auto, tty or lines\n", optarg);
                return 2;
            }
            break;
        case 'T':
            o->time_limit = parse_duration(optarg);
            if (o->time_limit <= 0) {
                if (msg)
                    fprintf(msg, "bdsweep run: --time-limit '%s': expected a duration such as 90m, 3h50m, 1:30:00 or "
                                 "5400 (seconds)\n", optarg);
                return 2;
            }
            break;
        case 'h':
            if (msg) run_usage(stdout);
            return 1;
        default:
            if (msg) fprintf(msg, "bdsweep run: unknown option '%s'\nhint: bdsweep run --help lists the options\n",
                             argv[optind - 1]);
            return 2;
        }
    }
    if (optind >= argc) {
        if (msg) fprintf(msg, "bdsweep run: missing the sweep file\nhint: bdsweep run sweeps/smoke.yaml\n");
        return 2;
    }
    if (optind + 1 < argc) {
        if (msg) fprintf(msg, "bdsweep run: unexpected argument '%s'\nhint: one sweep file per run\n", argv[optind + 1]);
        return 2;
    }
    o->sweep_path = argv[optind];
    return 0;
}

/* ---- rank 0 ----------------------------------------------------------------- */

typedef struct Coordinator {
    RunOptions opt;
    BdSweep sweep;
    BdDb *db;
    int64_t sweep_id, run_id;
    BdDbCell *cells;
    int n_cells;
    int64_t *ids_sorted; /* cell ids in increasing order, for id -> index */
    int *ids_index;      /* ids_index[k]: index in cells of ids_sorted[k] */
    BdQueue queue;
    int *scratch;        /* room for n_cells indices */
    int *parked;         /* ranks that asked for work while everything left waits */
    int n_parked;
    int *rank_cell; /* [nranks]: index of the cell a rank runs, -1 */
    char (*rank_host)[64];
    int nranks;
    char ckpt_dir[4200];
    BdProgress progress;
    double last_heartbeat;
    int parent; /* the launcher's pid (see bd_exit_if_orphaned) */
    double deadline; /* Unix time after which no cell starts; 0: none */
    int stopped_by_limit; /* cells the time limit stopped or kept from starting */
    int db_broken; /* a write failed: stop handing out work */
} Coordinator;

static void coordinator_free(Coordinator *co) {
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

static void report_db_error(Coordinator *co, const BdError *err) {
    char msg[BD_ERROR_MAX + 64];
    snprintf(msg, sizeof msg, "bdsweep: database error: %s", err->msg);
    bd_progress_message(&co->progress, msg);
    co->db_broken = 1;
}

static void heartbeat(Coordinator *co) {
    bd_exit_if_orphaned(co->parent);
    double now = bd_monotonic_seconds();
    if (now - co->last_heartbeat < 30) return;
    co->last_heartbeat = now;
    BdError err = {{0}};
    if (bd_db_run_heartbeat(co->db, co->run_id, &err) < 0) report_db_error(co, &err);
}

/* ---- the work list ------------------------------------------------------------ */

static int cmp_by_id(const void *a, const void *b, void *ids_) {
    const int64_t *ids = ids_;
    int64_t x = ids[*(const int *)a], y = ids[*(const int *)b];
    return (x > y) - (x < y);
}

static void index_ids(Coordinator *co) {
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

static void pretrain_model_path(const Coordinator *co, const BdDbCell *c, char *out, size_t cap) {
    bd_checkpoint_path(co->ckpt_dir, "pretrain", c->key, out, cap);
}

/* A done pre-training job whose model file is gone is run again when a cell
 * that is not done yet still needs it. */
static int requeue_lost_models(Coordinator *co) {
    for (int i = 0; i < co->n_cells; i++) {
        BdDbCell *c = &co->cells[i];
        if (!c->pretrain || strcmp(c->status, "done")) continue;
        char path[4400];
        pretrain_model_path(co, c, path, sizeof path);
        if (access(path, R_OK) == 0) continue;
        int needed = 0;
        for (int k = 0; k < co->n_cells && !needed; k++)
            needed = co->cells[k].depends_on == c->id && strcmp(co->cells[k].status, "done");
        if (!needed) continue;
        char reason[4500];
        snprintf(reason, sizeof reason, "model checkpoint %s is missing: pre-training again", path);
        BdError err = {{0}};
        if (bd_db_requeue_done(co->db, c->id, reason, &err) < 0) {
            fprintf(stderr, "bdsweep: %s\n", err.msg);
            return -1;
        }
        snprintf(c->status, sizeof c->status, "pending");
        bd_progress_message(&co->progress, reason);
        co->progress.done--;
    }
    return 0;
}

static int will_run(const Coordinator *co, const BdDbCell *c) {
    return !strcmp(c->status, "pending") || (co->opt.retry_failed && !strcmp(c->status, "failed"));
}

/* Fails a cell that cannot start because the job it waits for failed. */
static void fail_waiting(Coordinator *co, int idx, const char *why) {
    BdError err = {{0}};
    BdDbCell *c = &co->cells[idx];
    int was_failed = !strcmp(c->status, "failed");
    if (was_failed) return; /* it stays failed, with its earlier reason */
    if (bd_db_mark_failed(co->db, c->id, 0.0, why, &err) < 0) {
        report_db_error(co, &err);
        return;
    }
    snprintf(c->status, sizeof c->status, "failed");
    co->progress.failed++;
}

/* The jobs of this run: ready ones in sweep order (pre-training jobs come
 * first), the others waiting for their pre-training job. Returns how many
 * will run, or -1. */
static int build_queue(Coordinator *co) {
    bd_queue_init(&co->queue);
    int n = 0;
    for (int i = 0; i < co->n_cells; i++) {
        BdDbCell *c = &co->cells[i];
        if (!will_run(co, c)) continue;
        int dep = c->depends_on ? index_of(co, c->depends_on) : -1;
        if (dep < 0 || !strcmp(co->cells[dep].status, "done")) {
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
static void release_waiting(Coordinator *co, int idx, int ok, const char *error) {
    int n = bd_queue_release(&co->queue, co->cells[idx].id, ok, co->scratch);
    char why[BD_ERROR_MAX + 64];
    snprintf(why, sizeof why, "its pre-training job failed: %s", error);
    for (int i = 0; i < n; i++) fail_waiting(co, co->scratch[i], why);
}

/* Validation, registration and the work list; everything before any worker
 * is involved. Returns an exit status (0 to go on). */
static int coordinator_prepare(Coordinator *co, int nranks) {
    BdError err = {{0}};
    if (bd_sweep_load(co->opt.sweep_path, BD_SWEEP_STRICT, &co->sweep, &err) < 0) {
        fprintf(stderr, "bdsweep: %s\n", err.msg);
        return 2;
    }
    const char *db_path = co->opt.db_path ? co->opt.db_path : co->sweep.db_path;
    if (bd_db_open(db_path, 1, &co->db, &err) < 0) {
        fprintf(stderr, "bdsweep: %s\n", err.msg);
        return 3;
    }
    int n_new = 0, requeued = 0;
    if (bd_db_run_begin(co->db, 0, nranks, &co->run_id, &err) < 0 ||
        bd_db_register(co->db, &co->sweep, &co->sweep_id, &n_new, &err) < 0 ||
        bd_db_requeue_running(co->db, co->sweep_id, &requeued, &err) < 0 ||
        bd_db_sweep_cells(co->db, co->sweep_id, &co->cells, &co->n_cells, &err) < 0) {
        fprintf(stderr, "bdsweep: %s: %s\n", db_path, err.msg);
        return 3;
    }
    /* Checkpoints live beside the database: results/x.db -> results/x.ckpt/ */
    snprintf(co->ckpt_dir, sizeof co->ckpt_dir, "%s", db_path);
    size_t n = strlen(co->ckpt_dir);
    if (n > 3 && !strcmp(co->ckpt_dir + n - 3, ".db")) co->ckpt_dir[n - 3] = '\0';
    strncat(co->ckpt_dir, ".ckpt", sizeof co->ckpt_dir - strlen(co->ckpt_dir) - 1);

    int done = 0, failed = 0;
    for (int i = 0; i < co->n_cells; i++) {
        if (!strcmp(co->cells[i].status, "done")) done++;
        else if (!strcmp(co->cells[i].status, "failed")) failed++;
    }
    co->nranks = nranks;
    co->rank_cell = bd_xmalloc((size_t)nranks * sizeof *co->rank_cell);
    co->rank_host = bd_xcalloc((size_t)nranks, sizeof *co->rank_host);
    for (int r = 0; r < nranks; r++) co->rank_cell[r] = -1;
    bd_progress_init(&co->progress, co->n_cells, done, failed, nranks, co->opt.log_interval, co->opt.progress_tty);
    co->parked = bd_xcalloc((size_t)nranks, sizeof *co->parked);
    co->scratch = bd_xmalloc((size_t)co->n_cells * sizeof *co->scratch + sizeof(int));
    index_ids(co);
    if (requeue_lost_models(co) < 0) return 3;
    int to_run = build_queue(co);
    if (to_run < 0) return 3;
    char msg[8400], jobs[64] = "";
    int n_pre = 0;
    for (int i = 0; i < co->n_cells; i++) n_pre += co->cells[i].pretrain;
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

static int past_deadline(const Coordinator *co) { return co->deadline > 0 && bd_wall_time() >= co->deadline; }

/* A cell the time limit stopped at an epoch boundary: back to pending, its
 * checkpoint written; the next run continues it. */
static void stop_cell(Coordinator *co, int rank, const char *where) {
    int idx = co->rank_cell[rank];
    if (idx < 0) return;
    BdError err = {{0}};
    if (bd_db_mark_stopped(co->db, co->cells[idx].id, &err) < 0) report_db_error(co, &err);
    snprintf(co->cells[idx].status, sizeof co->cells[idx].status, "pending");
    co->rank_cell[rank] = -1;
    co->progress.ranks[rank].busy = 0;
    co->stopped_by_limit++;
    char msg[BD_ERROR_MAX + 128];
    snprintf(msg, sizeof msg, "bdsweep: time limit: rank %d stopped its cell (%s); the next run continues it", rank,
             where);
    bd_progress_message(&co->progress, msg);
}

static int start_cell(Coordinator *co, int idx, int rank) {
    BdError err = {{0}};
    if (bd_db_mark_running(co->db, co->cells[idx].id, rank, co->rank_host[rank], &err) < 0) {
        report_db_error(co, &err);
        return -1;
    }
    co->rank_cell[rank] = idx;
    bd_progress_started(&co->progress, rank, co->rank_host[rank], co->cells[idx].key);
    return 0;
}

static void finish_cell(Coordinator *co, int rank, int ok, const BdCellReport *rep, const char *error) {
    int idx = co->rank_cell[rank];
    if (idx < 0) return;
    BdError err = {{0}};
    int was_failed = !strcmp(co->cells[idx].status, "failed");
    int rc = ok ? bd_db_mark_done(co->db, co->cells[idx].id, rep, &err)
                : bd_db_mark_failed(co->db, co->cells[idx].id, rep->wall_seconds, error, &err);
    if (rc < 0) report_db_error(co, &err);
    snprintf(co->cells[idx].status, sizeof co->cells[idx].status, "%s", ok ? "done" : "failed");
    co->rank_cell[rank] = -1;
    bd_progress_finished(&co->progress, rank, ok, was_failed);
    release_waiting(co, idx, ok, error);
    if (!ok) {
        char msg[BD_ERROR_MAX + 8400];
        snprintf(msg, sizeof msg, "bdsweep: cell failed on rank %d: %s\n  cell: %s", rank, error, co->cells[idx].key);
        bd_progress_message(&co->progress, msg);
    }
    bd_progress_draw(&co->progress, 1);
}

static void store_metrics(Coordinator *co, int rank, const char *phase, int epoch, const char *const *names,
                          const double *values, int n) {
    int idx = co->rank_cell[rank];
    if (idx < 0) return;
    BdError err = {{0}};
    if (bd_db_add_metrics(co->db, co->cells[idx].id, phase, epoch, names, values, n, &err) < 0)
        report_db_error(co, &err);
}

/* Cells still waiting when nothing can run any more: their pre-training job
 * was never started (it is not part of this run's work). */
static void abandon_waiting(Coordinator *co) {
    int n = bd_queue_drain_waiting(&co->queue, co->scratch);
    for (int i = 0; i < n; i++)
        fail_waiting(co, co->scratch[i], "its pre-training job could not be run (bdsweep status shows its state)");
}

/* -n 1: rank 0 is the worker too; the sink writes the database directly. */
typedef struct LocalSink {
    Coordinator *co;
} LocalSink;

static void local_metrics(void *ud, const char *phase, int epoch, const char *const *names, const double *values,
                          int n) {
    LocalSink *ls = ud;
    store_metrics(ls->co, 0, phase, epoch, names, values, n);
    heartbeat(ls->co);
    bd_progress_draw(&ls->co->progress, 0);
}

static int local_interrupt(void *ud) {
    LocalSink *ls = ud;
    return past_deadline(ls->co);
}

static void local_progress(void *ud, const char *phase, int epoch, int epochs, int step, int steps) {
    LocalSink *ls = ud;
    bd_progress_activity(&ls->co->progress, 0, phase, epoch, epochs, step, steps);
    heartbeat(ls->co);
    bd_progress_draw(&ls->co->progress, 0);
}

static void run_locally(Coordinator *co) {
    BdWorker w;
    bd_worker_init(&w, co->opt.threads);
    char host[64] = "localhost";
    gethostname(host, sizeof host - 1);
    snprintf(co->rank_host[0], sizeof co->rank_host[0], "%s", host);
    LocalSink ls = {co};
    BdSink sink = {&ls, local_metrics, local_progress, local_interrupt};
    for (;;) {
        if (co->db_broken) break;
        if (past_deadline(co)) {
            co->stopped_by_limit += bd_queue_ready(&co->queue) + bd_queue_waiting(&co->queue);
            break;
        }
        int idx = bd_queue_pop(&co->queue);
        if (idx < 0) break;
        if (start_cell(co, idx, 0) < 0) break;
        bd_progress_draw(&co->progress, 1);
        double t0 = bd_monotonic_seconds();
        BdCellOutcome out;
        BdError err = {{0}};
        int rc = bd_cell_run(&w, co->cells[idx].key, co->ckpt_dir, &sink, &out, &err);
        BdCellReport rep = {bd_monotonic_seconds() - t0, out.params, out.gflops_per_image};
        if (rc == BD_INTERRUPTED) stop_cell(co, 0, err.msg);
        else finish_cell(co, 0, rc == 0, &rep, err.msg);
    }
    if (!co->stopped_by_limit) abandon_waiting(co);
    bd_worker_free(&w);
}

/* Receives one message if there is one; returns 0 when nothing was waiting. */
static int serve_one(Coordinator *co, BdBuf *in) {
    MPI_Status st;
    int flag = 0;
    MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
    if (!flag) return 0;
    int len, rank = st.MPI_SOURCE;
    MPI_Get_count(&st, MPI_BYTE, &len);
    unsigned char *data = bd_xmalloc((size_t)len + 1);
    MPI_Recv(data, len, MPI_BYTE, rank, st.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    bd_buf_from(in, data, (size_t)len);
    free(data);
    BdError err = {{0}};

    switch (st.MPI_TAG) {
    case BD_MSG_READY:
        bd_buf_get_str(in, co->rank_host[rank], sizeof co->rank_host[rank]);
        co->parked[co->n_parked++] = rank;
        break;
    case BD_MSG_PROGRESS: {
        bd_buf_get_i64(in);
        char phase[32];
        bd_buf_get_str(in, phase, sizeof phase);
        int epoch = (int)bd_buf_get_i64(in), epochs = (int)bd_buf_get_i64(in);
        int step = (int)bd_buf_get_i64(in), steps = (int)bd_buf_get_i64(in);
        if (bd_buf_check(in, "progress", &err) == 0)
            bd_progress_activity(&co->progress, rank, phase, epoch, epochs, step, steps);
        break;
    }
    case BD_MSG_METRICS: {
        bd_buf_get_i64(in);
        char phase[32];
        bd_buf_get_str(in, phase, sizeof phase);
        int epoch = (int)bd_buf_get_i64(in), n = (int)bd_buf_get_i64(in);
        if (n < 0 || n > 100000) n = 0;
        const char **names = bd_xmalloc((size_t)n * sizeof *names + sizeof *names);
        double *values = bd_xmalloc((size_t)n * sizeof *values + sizeof *values);
        for (int i = 0; i < n; i++) {
            names[i] = bd_buf_get_strp(in);
            values[i] = bd_buf_get_f64(in);
        }
        if (bd_buf_check(in, "metrics", &err) == 0) store_metrics(co, rank, phase, epoch, names, values, n);
        free(names);
        free(values);
        break;
    }
    case BD_MSG_STOPPED: {
        bd_buf_get_i64(in);
        bd_buf_get_f64(in);
        const char *where = bd_buf_get_strp(in);
        if (bd_buf_check(in, "stopped", &err) == 0) stop_cell(co, rank, where);
        break;
    }
    case BD_MSG_DONE:
    case BD_MSG_FAILED: {
        bd_buf_get_i64(in);
        BdCellReport rep = {bd_buf_get_f64(in), 0, 0};
        const char *error = "";
        if (st.MPI_TAG == BD_MSG_DONE) {
            rep.params = (long)bd_buf_get_i64(in);
            rep.gflops_per_image = bd_buf_get_f64(in);
        } else {
            error = bd_buf_get_strp(in);
        }
        if (bd_buf_check(in, "result", &err) == 0) finish_cell(co, rank, st.MPI_TAG == BD_MSG_DONE, &rep, error);
        break;
    }
    default:
        break;
    }
    if (err.msg[0]) bd_progress_message(&co->progress, err.msg);
    return 1;
}

static int anyone_running(const Coordinator *co) {
    for (int r = 0; r < co->nranks; r++)
        if (co->rank_cell[r] >= 0) return 1;
    return 0;
}

/* Hands work to the ranks that asked for it. A rank is told to stop only
 * when nothing is left: while cells wait for a pre-training job that is
 * still running, an idle rank stays parked until they are released. */
static void dispatch(Coordinator *co, int *stopped) {
    BdBuf out;
    bd_buf_init(&out);
    while (co->n_parked > 0) {
        int late = past_deadline(co);
        int idx = co->db_broken || late ? -1 : bd_queue_pop(&co->queue);
        if (late && (bd_queue_ready(&co->queue) || bd_queue_waiting(&co->queue))) {
            /* Leave the rest pending for the next run. */
            co->stopped_by_limit += bd_queue_ready(&co->queue) + bd_queue_waiting(&co->queue);
            bd_queue_free(&co->queue);
            bd_queue_init(&co->queue);
        }
        int rank = co->parked[co->n_parked - 1];
        if (idx < 0) {
            if (!co->db_broken && bd_queue_waiting(&co->queue) > 0) {
                if (anyone_running(co)) break; /* wait for the pre-training job */
                abandon_waiting(co);
            }
            MPI_Send(NULL, 0, MPI_BYTE, rank, BD_MSG_STOP, MPI_COMM_WORLD);
            (*stopped)++;
            co->n_parked--;
            continue;
        }
        if (start_cell(co, idx, rank) < 0) continue; /* db_broken is set: the rank is stopped next */
        bd_buf_reset(&out);
        bd_buf_put_i64(&out, co->cells[idx].id);
        bd_buf_put_str(&out, co->cells[idx].key);
        bd_buf_put_str(&out, co->ckpt_dir);
        bd_buf_put_f64(&out, co->deadline);
        MPI_Send(out.data, (int)out.len, MPI_BYTE, rank, BD_MSG_JOB, MPI_COMM_WORLD);
        co->n_parked--;
    }
    bd_buf_free(&out);
}

static void run_distributed(Coordinator *co) {
    BdBuf in;
    bd_buf_init(&in);
    int stopped = 0;
    while (stopped < co->nranks - 1) {
        int busy = 0;
        /* Drain what is waiting before sleeping: a burst of metrics from many
         * workers is written in one go. */
        while (serve_one(co, &in)) busy = 1;
        dispatch(co, &stopped);
        heartbeat(co);
        bd_progress_draw(&co->progress, 0);
        if (!busy) {
            struct timespec nap = {0, 2000000};
            nanosleep(&nap, NULL);
        }
    }
    bd_buf_free(&in);
}

static int coordinator_finish(Coordinator *co) {
    bd_progress_end(&co->progress);
    BdError err = {{0}};
    int counts[4] = {0};
    int status = 0;
    if (bd_db_counts(co->db, co->sweep_id, counts, &err) < 0) {
        fprintf(stderr, "bdsweep: %s\n", err.msg);
        status = 3;
    } else if (co->db_broken) {
        status = 3;
    } else if (co->stopped_by_limit && counts[2] + counts[3] != co->n_cells) {
        status = 75; /* EX_TEMPFAIL: come back and continue */
    } else if (counts[2] != co->n_cells) {
        status = 1;
    }
    if (status == 75)
        fprintf(stderr,
                "bdsweep: the time limit stopped the run: %d of %d done, %d failed, %d left; run the same command "
                "again to continue (stopped cells resume from their last epoch)\n",
                counts[2], co->n_cells, counts[3], co->n_cells - counts[2] - counts[3]);
    if (status == 1) {
        fprintf(stderr, "bdsweep: %d of %d cells done, %d failed, %d not run; failed cells:\n", counts[2], co->n_cells,
                counts[3], counts[0] + counts[1]);
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
        if (counts[3] > shown) fprintf(stderr, "  ... (bdsweep status shows them all)\n");
        fprintf(stderr, "bdsweep: re-run failed cells with: bdsweep run %s --retry-failed%s%s\n", co->opt.sweep_path,
                co->opt.db_path ? " --db " : "", co->opt.db_path ? co->opt.db_path : "");
    } else if (status == 0) {
        fprintf(stderr, "bdsweep: every cell of '%s' is done; results: sqlite3 %s 'select * from cell_results'\n",
                co->sweep.name, co->opt.db_path ? co->opt.db_path : co->sweep.db_path);
    }
    if (bd_db_run_end(co->db, co->run_id, status, &err) < 0) fprintf(stderr, "bdsweep: %s\n", err.msg);
    return status;
}

int bd_cmd_run(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank, nranks;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &nranks);

    /* Every rank parses the same command line; only rank 0 speaks. */
    RunOptions opt;
    int status = parse_options(argc, argv, &opt, rank == 0 ? stderr : NULL);
    if (status == 1) { /* --help */
        MPI_Finalize();
        return 0;
    }
    Coordinator co;
    memset(&co, 0, sizeof co);
    if (rank == 0 && status == 0) {
        co.opt = opt;
        status = coordinator_prepare(&co, nranks);
    }
    MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (status != 0) {
        if (rank == 0) coordinator_free(&co);
        MPI_Finalize();
        return status;
    }

    if (rank == 0) {
        if (nranks == 1) run_locally(&co);
        else run_distributed(&co);
        status = coordinator_finish(&co);
        coordinator_free(&co);
    } else {
        bd_worker_loop(opt.threads);
    }
    bd_mpi_quiet_barrier();
    MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
    MPI_Finalize();
    return status;
}
