/* The state machine of jobs and cells (db.h lists the transitions), and the
 * metrics they store. A dispatch is a job (a row that trains a model: a cell
 * of the grid with poisoned data, a clean model, a pre-training job) and the
 * grid cells whose numbers it produces this time. Every function here is one
 * transaction: the job and its cells change together, and a job is never
 * done unless every metric of its history is stored in that same
 * transaction. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "db_internal.h"

static int step_done(BdDb *db, sqlite3_stmt *st, const char *what, BdError *err) {
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return bd_db_fail(db, err, what);
    return 0;
}

/* The row's status, inside the caller's transaction. */
static int row_status(BdDb *db, int64_t id, BdCellStatus *status, BdError *err) {
    sqlite3_stmt *st;
    if (bd_db_prepare(db, "SELECT status FROM cells WHERE id = ?", &st, err) < 0) return -1;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st), s = -1;
    if (rc == SQLITE_ROW) s = bd_db_status_index((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE) return bd_fail(err, "%s: no cell with id %" PRId64, db->path, id);
    if (rc != SQLITE_ROW || s < 0) return bd_db_fail(db, err, "reading a cell's status");
    *status = (BdCellStatus)s;
    return 0;
}

/* Checks that the row is in one of `allowed` (bit 1u << status) before it
 * moves to `to`: anything else would be a bug in the run loop. */
static int check_transition(BdDb *db, int64_t id, unsigned allowed, BdCellStatus to, BdError *err) {
    BdCellStatus s = BD_DB_PENDING;
    if (row_status(db, id, &s, err) < 0) return -1;
    if (allowed & (1u << s)) return 0;
    char expected[64] = "";
    size_t o = 0;
    for (int i = 0; i < BD_DB_STATUS_COUNT; i++)
        if (allowed & (1u << i))
            o += (size_t)snprintf(expected + o, sizeof expected - o, "%s%s", o ? " or " : "",
                                  bd_db_status_name((BdCellStatus)i));
    return bd_fail(err, "%s: cell %" PRId64 " is %s: cannot mark it %s (expected a cell that is %s)", db->path, id,
                   bd_db_status_name(s), bd_db_status_name(to), expected);
}

#define FROM(s) (1u << BD_DB_##s)

/* One row of the dispatch to a new status, with the columns the move sets. */
static int move(BdDb *db, int64_t id, unsigned allowed, BdCellStatus to, const char *set, BdError *err) {
    if (check_transition(db, id, allowed, to, err) < 0) return -1;
    char sql[512];
    snprintf(sql, sizeof sql, "UPDATE cells SET status = '%s'%s%s WHERE id = ?1", bd_db_status_name(to), set[0] ? ", " : "",
             set);
    sqlite3_stmt *st;
    if (bd_db_prepare(db, sql, &st, err) < 0) return -1;
    sqlite3_bind_int64(st, 1, id);
    return step_done(db, st, "changing a cell's status", err);
}

/* The rows of a dispatch that change state: the job (unless it is done and
 * re-evaluated) and every served cell that is not the job itself. */
typedef int (*RowFn)(BdDb *db, int64_t id, void *ud, BdError *err);
static int each_row(BdDb *db, const BdDbDispatch *d, RowFn fn, void *ud, BdError *err) {
    if (!d->reevaluate && fn(db, d->job, ud, err) < 0) return -1;
    for (int i = 0; i < d->n_cells; i++)
        if (d->cells[i] != d->job && fn(db, d->cells[i], ud, err) < 0) return -1;
    return 0;
}

static int commit_or_rollback(BdDb *db, int rc, BdError *err) {
    if (rc < 0) return bd_db_rollback(db);
    return bd_db_commit(db, err);
}

/* ---- starting ----------------------------------------------------------------- */

typedef struct StartCtx {
    int rank;
    const char *host;
} StartCtx;

static int start_row(BdDb *db, int64_t id, void *ud, BdError *err) {
    const StartCtx *c = ud;
    if (check_transition(db, id, FROM(PENDING) | FROM(FAILED), BD_DB_RUNNING, err) < 0) return -1;
    sqlite3_stmt *st;
    if (bd_db_prepare(db,
                      "UPDATE cells SET status = 'running', attempts = attempts + 1, started_at = " BD_DB_NOW ", "
                      "finished_at = NULL, error = NULL, rank = ?2, host = ?3, wall_seconds = NULL, params = NULL, "
                      "gflops_per_image = NULL, streams = " BD_DB_STREAMS_TEXT " WHERE id = ?1",
                      &st, err) < 0)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, c->rank);
    sqlite3_bind_text(st, 3, c->host ? c->host : "", -1, SQLITE_STATIC);
    return step_done(db, st, "marking a cell running", err);
}

/* The metrics an attempt will write again: all of a job that starts, only
 * those of the served attacks when a done job is re-evaluated. */
static int clear_metrics(BdDb *db, const BdDbDispatch *d, BdError *err) {
    sqlite3_stmt *st;
    if (!d->reevaluate) {
        if (bd_db_prepare(db, "DELETE FROM metrics WHERE cell_id = ?1", &st, err) < 0) return -1;
        sqlite3_bind_int64(st, 1, d->job);
        return step_done(db, st, "clearing the metrics of an earlier attempt", err);
    }
    for (int i = 0; i < d->n_cells; i++) {
        if (bd_db_prepare(db, "DELETE FROM metrics WHERE cell_id = ?1 AND attack = ?2", &st, err) < 0) return -1;
        sqlite3_bind_int64(st, 1, d->job);
        sqlite3_bind_text(st, 2, d->attacks[i], -1, SQLITE_STATIC);
        if (step_done(db, st, "clearing the metrics of an earlier attempt", err) < 0) return -1;
    }
    return 0;
}

int bd_db_job_start(BdDb *db, const BdDbDispatch *d, int rank, const char *host, BdError *err) {
    StartCtx c = {rank, host};
    if (bd_db_begin(db, err) < 0) return -1;
    int rc = clear_metrics(db, d, err);
    if (rc == 0) rc = each_row(db, d, start_row, &c, err);
    return commit_or_rollback(db, rc, err);
}

/* ---- metrics ------------------------------------------------------------------- */

/* Whether a record belongs to this dispatch: the model's own numbers unless
 * the job was done already (a re-evaluation must not rewrite them), and the
 * numbers of the attacks it serves. */
static int wanted(const BdDbDispatch *d, const char *attack) {
    if (!attack[0]) return !d->reevaluate;
    for (int i = 0; i < d->n_cells; i++)
        if (!strcmp(d->attacks[i], attack)) return 1;
    return 0;
}

/* Upserts one record inside the caller's transaction. */
static int store_record(BdDb *db, sqlite3_stmt *st, const BdDbDispatch *d, const BdMetricsRecord *r, BdError *err) {
    if (!wanted(d, r->attack)) return 0;
    for (int i = 0; i < r->n; i++) {
        sqlite3_bind_int64(st, 1, d->job);
        sqlite3_bind_text(st, 2, r->phase, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 3, r->epoch);
        sqlite3_bind_text(st, 4, r->names[i], -1, SQLITE_STATIC);
        sqlite3_bind_double(st, 5, r->values[i]); /* SQLite stores NaN as NULL */
        sqlite3_bind_text(st, 6, r->attack, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE) {
            char what[256];
            snprintf(what, sizeof what, "storing metric %s/%d/%s of cell %" PRId64, r->phase, r->epoch, r->names[i],
                     d->job);
            return bd_db_fail(db, err, what);
        }
    }
    return 0;
}

static int prepare_upsert(BdDb *db, sqlite3_stmt **st, BdError *err) {
    return bd_db_prepare(db,
                         "INSERT INTO metrics(cell_id, phase, epoch, name, value, attack) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
                         "ON CONFLICT(cell_id, phase, epoch, name, attack) DO UPDATE SET value = excluded.value",
                         st, err);
}

int bd_db_job_metrics(BdDb *db, const BdDbDispatch *d, const BdMetricsRecord *r, BdError *err) {
    sqlite3_stmt *st;
    if (bd_db_begin(db, err) < 0) return -1;
    if (prepare_upsert(db, &st, err) < 0) return bd_db_rollback(db);
    int rc = store_record(db, st, d, r, err);
    sqlite3_finalize(st);
    return commit_or_rollback(db, rc, err);
}

/* Every record of a history (common/wire.h), inside the caller's transaction. */
static int store_history(BdDb *db, const BdDbDispatch *d, const void *history, size_t len, BdError *err) {
    if (!len) return 0;
    BdBuf b;
    bd_buf_init(&b);
    bd_buf_from(&b, history, len);
    sqlite3_stmt *st;
    int rc = prepare_upsert(db, &st, err);
    BdMetricsRecord r = {0};
    while (rc == 0 && b.pos < b.len) {
        if (bd_metrics_get(&b, &r) < 0) rc = bd_fail(err, "%s: the metrics of job %" PRId64 " arrived damaged", db->path, d->job);
        else rc = store_record(db, st, d, &r, err);
    }
    bd_metrics_record_free(&r);
    sqlite3_finalize(st);
    bd_buf_free(&b);
    return rc;
}

/* ---- ending ------------------------------------------------------------------------ */

static int done_row(BdDb *db, int64_t id, void *ud, BdError *err) {
    const BdCellReport *r = ud;
    if (check_transition(db, id, FROM(RUNNING), BD_DB_DONE, err) < 0) return -1;
    sqlite3_stmt *st;
    if (bd_db_prepare(db,
                      "UPDATE cells SET status = 'done', finished_at = " BD_DB_NOW ", error = NULL, "
                      "wall_seconds = ?2, params = ?3, gflops_per_image = ?4 WHERE id = ?1",
                      &st, err) < 0)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_double(st, 2, r->wall_seconds);
    sqlite3_bind_int64(st, 3, r->params);
    sqlite3_bind_double(st, 4, r->gflops_per_image);
    return step_done(db, st, "marking a cell done", err);
}

int bd_db_job_done(BdDb *db, const BdDbDispatch *d, const BdCellReport *r, const void *history, size_t len,
                 BdError *err) {
    if (bd_db_begin(db, err) < 0) return -1;
    int rc = store_history(db, d, history, len, err);
    if (rc == 0) rc = each_row(db, d, done_row, (void *)r, err);
    return commit_or_rollback(db, rc, err);
}

typedef struct FailCtx {
    double wall;
    const char *error;
} FailCtx;

static int fail_row(BdDb *db, int64_t id, void *ud, BdError *err) {
    const FailCtx *c = ud;
    if (check_transition(db, id, FROM(PENDING) | FROM(RUNNING), BD_DB_FAILED, err) < 0) return -1;
    sqlite3_stmt *st;
    if (bd_db_prepare(db,
                      "UPDATE cells SET status = 'failed', finished_at = " BD_DB_NOW ", wall_seconds = ?2, "
                      "error = ?3 WHERE id = ?1",
                      &st, err) < 0)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_double(st, 2, c->wall);
    sqlite3_bind_text(st, 3, c->error && *c->error ? c->error : "(no message)", -1, SQLITE_STATIC);
    return step_done(db, st, "marking a cell failed", err);
}

int bd_db_job_failed(BdDb *db, const BdDbDispatch *d, double wall_seconds, const char *error, BdError *err) {
    FailCtx c = {wall_seconds, error};
    if (bd_db_begin(db, err) < 0) return -1;
    return commit_or_rollback(db, each_row(db, d, fail_row, &c, err), err);
}

static int stop_row(BdDb *db, int64_t id, void *ud, BdError *err) {
    (void)ud;
    return move(db, id, FROM(RUNNING), BD_DB_PENDING, "rank = NULL, host = NULL", err);
}

int bd_db_job_stopped(BdDb *db, const BdDbDispatch *d, BdError *err) {
    if (bd_db_begin(db, err) < 0) return -1;
    return commit_or_rollback(db, each_row(db, d, stop_row, NULL, err), err);
}

int bd_db_requeue_done(BdDb *db, int64_t cell, const char *reason, BdError *err) {
    if (bd_db_begin(db, err) < 0) return -1;
    sqlite3_stmt *st;
    int rc = check_transition(db, cell, FROM(DONE), BD_DB_PENDING, err);
    if (rc == 0) rc = bd_db_prepare(db, "UPDATE cells SET status = 'pending', error = ?2 WHERE id = ?1", &st, err);
    if (rc == 0) {
        sqlite3_bind_int64(st, 1, cell);
        sqlite3_bind_text(st, 2, reason, -1, SQLITE_STATIC);
        rc = step_done(db, st, "putting a done job back to pending", err);
    }
    return commit_or_rollback(db, rc, err);
}

/* ---- one cell that is its own job ------------------------------------------------------ */

/* The dispatch of a cell of the grid that trains its own model (or a job
 * alone): served by itself, measured against whatever attack it reports. */
#define SELF(cell) (BdDbDispatch){(cell), &(cell), NULL, 1, 0}

int bd_db_mark_running(BdDb *db, int64_t cell, int rank, const char *host, BdError *err) {
    BdDbDispatch d = SELF(cell);
    return bd_db_job_start(db, &d, rank, host, err);
}

int bd_db_mark_done(BdDb *db, int64_t cell, const BdCellReport *r, BdError *err) {
    BdDbDispatch d = SELF(cell);
    return bd_db_job_done(db, &d, r, NULL, 0, err);
}

int bd_db_mark_failed(BdDb *db, int64_t cell, double wall_seconds, const char *error, BdError *err) {
    BdDbDispatch d = SELF(cell);
    return bd_db_job_failed(db, &d, wall_seconds, error, err);
}

int bd_db_mark_stopped(BdDb *db, int64_t cell, BdError *err) {
    BdDbDispatch d = SELF(cell);
    return bd_db_job_stopped(db, &d, err);
}

int bd_db_add_metrics(BdDb *db, int64_t cell, const char *phase, int epoch, const char *attack,
                      const char *const *names, const double *values, int n, BdError *err) {
    BdDbDispatch d = SELF(cell);
    const char *attacks[1] = {attack};
    d.attacks = attacks; /* a cell's own attack is always wanted */
    BdMetricsRecord r = {phase, attack, epoch, n, (const char **)names, (double *)values, 0};
    return bd_db_job_metrics(db, &d, &r, err);
}
