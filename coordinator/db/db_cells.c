/* Sweeps, cells and metrics: registering a sweep, the cell state machine
 * (db.h lists the transitions), metric upserts and counts. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"
#include "axes.h"
#include "rng.h"

/* ---- registering a sweep --------------------------------------------------------- */

static int find_or_add_sweep(BdDb *db, const BdSweep *sw, int64_t *id, BdError *err) {
    sqlite3_stmt *st;
    if (bd_db_prepare(db, "SELECT id FROM sweeps WHERE name = ?1 AND yaml = ?2 ORDER BY id DESC LIMIT 1", &st, err) < 0)
        return -1;
    sqlite3_bind_text(st, 1, sw->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, sw->yaml, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW) return 0;
    if (rc != SQLITE_DONE) return bd_db_fail(db, err, "looking up the sweep");
    if (bd_db_prepare(db,
                      "INSERT INTO sweeps(name, path, yaml, submitted_at, n_cells) VALUES (?1, ?2, ?3, " BD_DB_NOW
                      ", ?4)",
                      &st, err) < 0)
        return -1;
    sqlite3_bind_text(st, 1, sw->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, sw->path, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, sw->yaml, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, sw->n_cells);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return bd_db_fail(db, err, "recording the sweep");
    *id = sqlite3_last_insert_rowid(db->h);
    return 0;
}

/* INSERT INTO cells(key, kind, cell_seed, <the generated columns>) ... */
static int prepare_insert(BdDb *db, sqlite3_stmt **st, BdError *err) {
    BdCellColumn cols[BD_DB_MAX_COLUMNS];
    int n = bd_db_cell_columns(cols);
    char sql[4096], values[1024];
    size_t o = (size_t)snprintf(sql, sizeof sql, "INSERT INTO cells(key, kind, cell_seed");
    size_t v = (size_t)snprintf(values, sizeof values, "?1, ?2, ?3");
    for (int i = 0; i < n; i++) {
        o += (size_t)snprintf(sql + o, sizeof sql - o, ", %s", cols[i].name);
        v += (size_t)snprintf(values + v, sizeof values - v, ", ?%d", i + 4);
    }
    snprintf(sql + o, sizeof sql - o, ") VALUES (%s) ON CONFLICT(key) DO NOTHING", values);
    return bd_db_prepare(db, sql, st, err);
}

/* Inserts a job (nothing when its key is there already); *is_new says which. */
static int insert_job(BdDb *db, sqlite3_stmt *ins, const char *key, BdJobKind kind, const char *const *texts,
                      int *is_new, BdError *err) {
    char seed_hex[32];
    snprintf(seed_hex, sizeof seed_hex, "%016" PRIx64, bd_hash_str(key));
    sqlite3_bind_text(ins, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(ins, 2, bd_job_kind_def(kind)->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(ins, 3, seed_hex, -1, SQLITE_TRANSIENT);
    if (bd_db_bind_cell_columns(db, ins, 4, kind, texts, err) < 0) return -1;
    int rc = sqlite3_step(ins);
    sqlite3_reset(ins);
    if (rc != SQLITE_DONE) return bd_db_fail(db, err, "inserting a cell");
    *is_new = sqlite3_changes(db->h) == 1;
    return 0;
}

/* The id of the job with that key (sel: "SELECT id FROM cells WHERE key = ?"). */
static int job_id(BdDb *db, sqlite3_stmt *sel, const char *key, int64_t *id, BdError *err) {
    sqlite3_bind_text(sel, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(sel);
    if (rc == SQLITE_ROW) *id = sqlite3_column_int64(sel, 0);
    sqlite3_reset(sel);
    if (rc != SQLITE_ROW) return bd_db_fail(db, err, "looking up a cell");
    return 0;
}

/* The pre-training job a cell waits for (kind 'pretrain', its axes from its
 * key), linked to the sweep ahead of every cell (position -1), and the
 * cell's depends_on pointing at it. ins, sel and link are the caller's
 * prepared insert, lookup and link statements. */
static int register_pretrain(BdDb *db, const char *pretrain_key, int64_t sweep_id, int64_t cell_id,
                             sqlite3_stmt *ins, sqlite3_stmt *sel, sqlite3_stmt *link, int *n_new, BdError *err) {
    BdJob job;
    char texts[BD_AXIS_COUNT][BD_SPEC_TEXT_MAX];
    const char *t[BD_AXIS_COUNT];
    if (bd_db_job_texts(pretrain_key, &job, texts, t, err) < 0) return -1;
    int is_new;
    int64_t job_row = 0;
    if (insert_job(db, ins, pretrain_key, BD_JOB_PRETRAIN, t, &is_new, err) < 0 ||
        job_id(db, sel, pretrain_key, &job_row, err) < 0)
        return -1;
    *n_new += is_new;
    sqlite3_bind_int64(link, 1, sweep_id);
    sqlite3_bind_int64(link, 2, job_row);
    sqlite3_bind_int(link, 3, -1);
    int rc = sqlite3_step(link);
    sqlite3_reset(link);
    if (rc != SQLITE_DONE) return bd_db_fail(db, err, "linking a pre-training job to its sweep");
    sqlite3_stmt *st;
    if (bd_db_prepare(db, "UPDATE cells SET depends_on = ?2 WHERE id = ?1", &st, err) < 0) return -1;
    sqlite3_bind_int64(st, 1, cell_id);
    sqlite3_bind_int64(st, 2, job_row);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return bd_db_fail(db, err, "recording what a cell waits for");
    return 0;
}

int bd_db_add_cell(BdDb *db, const char *const *texts, int64_t *id, BdError *err) {
    char key[BD_KEY_MAX], absent_buf[BD_AXIS_COUNT * 64];
    const char *absent[BD_AXIS_COUNT];
    if (bd_axis_absent_texts(bd_axes(), absent, absent_buf, sizeof absent_buf, err) < 0 ||
        bd_key_join(bd_axes(), texts, absent, 0, key, sizeof key, err) < 0)
        return -1;
    sqlite3_stmt *ins;
    if (bd_db_begin(db, err) < 0) return -1;
    if (prepare_insert(db, &ins, err) < 0) return bd_db_rollback(db);
    int is_new, rc = insert_job(db, ins, key, BD_JOB_CELL, texts, &is_new, err);
    sqlite3_finalize(ins);
    if (rc < 0) return bd_db_rollback(db);
    if (!is_new) {
        bd_fail(err, "%s: a cell with key '%.200s' exists already", db->path, key);
        return bd_db_rollback(db);
    }
    *id = sqlite3_last_insert_rowid(db->h);
    return bd_db_commit(db, err);
}

int bd_db_register(BdDb *db, const BdSweep *sw, int64_t *sweep_id, int *n_new, BdError *err) {
    *n_new = 0;
    sqlite3_stmt *ins = NULL, *sel = NULL, *link = NULL;
    if (bd_db_begin(db, err) < 0) return -1;
    if (find_or_add_sweep(db, sw, sweep_id, err) < 0) return bd_db_rollback(db);
    int rc = -1;
    if (prepare_insert(db, &ins, err) < 0 || bd_db_prepare(db, "SELECT id FROM cells WHERE key = ?", &sel, err) < 0 ||
        bd_db_prepare(db,
                      "INSERT INTO sweep_cells(sweep_id, cell_id, position) VALUES (?1, ?2, ?3) "
                      "ON CONFLICT(sweep_id, cell_id) DO UPDATE SET position = excluded.position",
                      &link, err) < 0)
        goto done;
    for (int i = 0; i < sw->n_cells; i++) {
        const BdSweepCell *c = &sw->cells[i];
        int is_new;
        int64_t cell_id = 0;
        if (insert_job(db, ins, c->key, BD_JOB_CELL, (const char *const *)c->values, &is_new, err) < 0) goto done;
        if (is_new) cell_id = sqlite3_last_insert_rowid(db->h);
        else if (job_id(db, sel, c->key, &cell_id, err) < 0) goto done;
        *n_new += is_new;
        sqlite3_bind_int64(link, 1, *sweep_id);
        sqlite3_bind_int64(link, 2, cell_id);
        sqlite3_bind_int(link, 3, i);
        if (sqlite3_step(link) != SQLITE_DONE) {
            bd_db_fail(db, err, "linking a cell to its sweep");
            goto done;
        }
        sqlite3_reset(link);
        if (c->pretrain_key &&
            register_pretrain(db, c->pretrain_key, *sweep_id, cell_id, ins, sel, link, n_new, err) < 0)
            goto done;
    }
    rc = 0;
done:
    sqlite3_finalize(ins);
    sqlite3_finalize(sel);
    sqlite3_finalize(link);
    if (rc < 0) return bd_db_rollback(db);
    return bd_db_commit(db, err);
}

int bd_db_requeue_running(BdDb *db, int64_t sweep_id, int *n, BdError *err) {
    sqlite3_stmt *st;
    *n = 0;
    if (bd_db_prepare(db,
                      "UPDATE cells SET status = 'pending', rank = NULL, host = NULL, started_at = NULL "
                      "WHERE status = 'running' AND "
                      "(?1 = 0 OR id IN (SELECT cell_id FROM sweep_cells WHERE sweep_id = ?1))",
                      &st, err) < 0)
        return -1;
    sqlite3_bind_int64(st, 1, sweep_id);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return bd_db_fail(db, err, "requeueing running cells");
    *n = sqlite3_changes(db->h);
    return 0;
}

int bd_db_sweep_cells(BdDb *db, int64_t sweep_id, BdDbCell **cells, int *n, BdError *err) {
    sqlite3_stmt *st;
    *cells = NULL;
    *n = 0;
    if (bd_db_prepare(db,
                      "SELECT c.id, c.key, c.status, c.attempts, c.kind, COALESCE(c.depends_on, 0) "
                      "FROM sweep_cells sc JOIN cells c ON c.id = sc.cell_id "
                      "WHERE sc.sweep_id = ? ORDER BY sc.position, c.id",
                      &st, err) < 0)
        return -1;
    sqlite3_bind_int64(st, 1, sweep_id);
    int rc, cap = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) *cells = bd_xrealloc(*cells, sizeof **cells * (size_t)(cap = cap ? 2 * cap : 64));
        BdDbCell *c = &(*cells)[(*n)++];
        c->id = sqlite3_column_int64(st, 0);
        c->key = bd_xstrdup((const char *)sqlite3_column_text(st, 1));
        int status = bd_db_status_index((const char *)sqlite3_column_text(st, 2));
        int kind = bd_job_kind_index((const char *)sqlite3_column_text(st, 4));
        c->status = status < 0 ? BD_DB_FAILED : (BdCellStatus)status; /* the CHECK constraint allows no other */
        c->kind = kind < 0 ? BD_JOB_CELL : (BdJobKind)kind;
        c->attempts = sqlite3_column_int(st, 3);
        c->depends_on = sqlite3_column_int64(st, 5);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        bd_db_cells_free(*cells, *n);
        *cells = NULL;
        *n = 0;
        return bd_db_fail(db, err, "listing the sweep's cells");
    }
    return 0;
}

void bd_db_cells_free(BdDbCell *cells, int n) {
    for (int i = 0; i < n; i++) free(cells[i].key);
    free(cells);
}

/* ---- state changes ------------------------------------------------------------------ */

/* The cell's status, inside the caller's transaction. */
static int cell_status(BdDb *db, int64_t cell, char *status, size_t cap, BdError *err) {
    sqlite3_stmt *st;
    if (bd_db_prepare(db, "SELECT status FROM cells WHERE id = ?", &st, err) < 0) return -1;
    sqlite3_bind_int64(st, 1, cell);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) snprintf(status, cap, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE) return bd_fail(err, "%s: no cell with id %" PRId64, db->path, cell);
    if (rc != SQLITE_ROW) return bd_db_fail(db, err, "reading a cell's status");
    return 0;
}

/* Begins a transaction and checks that the cell's status is one of allowed
 * ("pending|failed"); on refusal the transaction is rolled back. */
static int begin_transition(BdDb *db, int64_t cell, const char *allowed, const char *to, BdError *err) {
    char status[16];
    if (bd_db_begin(db, err) < 0) return -1;
    if (cell_status(db, cell, status, sizeof status, err) < 0) return bd_db_rollback(db);
    char padded[64], want[24];
    snprintf(padded, sizeof padded, "|%s|", allowed);
    snprintf(want, sizeof want, "|%s|", status);
    if (!strstr(padded, want)) {
        char expected[64];
        size_t o = 0;
        for (const char *p = allowed; *p && o + 5 < sizeof expected; p++) {
            if (*p == '|') o += (size_t)snprintf(expected + o, sizeof expected - o, " or ");
            else expected[o++] = *p;
        }
        expected[o] = '\0';
        bd_fail(err, "%s: cell %" PRId64 " is %s: cannot mark it %s (expected a cell that is %s)", db->path, cell,
                status, to, expected);
        return bd_db_rollback(db);
    }
    return 0;
}

static int step_done(BdDb *db, sqlite3_stmt *st, const char *what, BdError *err) {
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return bd_db_fail(db, err, what);
    return 0;
}

int bd_db_mark_stopped(BdDb *db, int64_t cell, BdError *err) {
    if (begin_transition(db, cell, "running", "pending", err) < 0) return -1;
    sqlite3_stmt *st;
    if (bd_db_prepare(db, "UPDATE cells SET status = 'pending', rank = NULL, host = NULL WHERE id = ?1", &st, err) < 0)
        return bd_db_rollback(db);
    sqlite3_bind_int64(st, 1, cell);
    if (step_done(db, st, "putting a stopped cell back to pending", err) < 0) return bd_db_rollback(db);
    return bd_db_commit(db, err);
}

int bd_db_requeue_done(BdDb *db, int64_t cell, const char *reason, BdError *err) {
    if (begin_transition(db, cell, "done", "pending", err) < 0) return -1;
    sqlite3_stmt *st;
    if (bd_db_prepare(db, "UPDATE cells SET status = 'pending', error = ?2 WHERE id = ?1", &st, err) < 0)
        return bd_db_rollback(db);
    sqlite3_bind_int64(st, 1, cell);
    sqlite3_bind_text(st, 2, reason, -1, SQLITE_STATIC);
    if (step_done(db, st, "putting a done job back to pending", err) < 0) return bd_db_rollback(db);
    return bd_db_commit(db, err);
}

int bd_db_mark_running(BdDb *db, int64_t cell, int rank, const char *host, BdError *err) {
    if (begin_transition(db, cell, "pending|failed", "running", err) < 0) return -1;
    sqlite3_stmt *st;
    if (bd_db_prepare(db, "DELETE FROM metrics WHERE cell_id = ?", &st, err) < 0) return bd_db_rollback(db);
    sqlite3_bind_int64(st, 1, cell);
    if (step_done(db, st, "clearing the metrics of an earlier attempt", err) < 0) return bd_db_rollback(db);
    if (bd_db_prepare(db,
                      "UPDATE cells SET status = 'running', attempts = attempts + 1, started_at = " BD_DB_NOW ", "
                      "finished_at = NULL, error = NULL, rank = ?2, host = ?3, wall_seconds = NULL, params = NULL, "
                      "gflops_per_image = NULL WHERE id = ?1",
                      &st, err) < 0)
        return bd_db_rollback(db);
    sqlite3_bind_int64(st, 1, cell);
    sqlite3_bind_int(st, 2, rank);
    sqlite3_bind_text(st, 3, host ? host : "", -1, SQLITE_STATIC);
    if (step_done(db, st, "marking a cell running", err) < 0) return bd_db_rollback(db);
    return bd_db_commit(db, err);
}

int bd_db_add_metrics(BdDb *db, int64_t cell, const char *phase, int epoch, const char *const *names,
                      const double *values, int n, BdError *err) {
    sqlite3_stmt *st;
    if (bd_db_begin(db, err) < 0) return -1;
    if (bd_db_prepare(db,
                      "INSERT INTO metrics(cell_id, phase, epoch, name, value) VALUES (?1, ?2, ?3, ?4, ?5) "
                      "ON CONFLICT(cell_id, phase, epoch, name) DO UPDATE SET value = excluded.value",
                      &st, err) < 0)
        return bd_db_rollback(db);
    for (int i = 0; i < n; i++) {
        sqlite3_bind_int64(st, 1, cell);
        sqlite3_bind_text(st, 2, phase, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 3, epoch);
        sqlite3_bind_text(st, 4, names[i], -1, SQLITE_STATIC);
        sqlite3_bind_double(st, 5, values[i]); /* SQLite stores NaN as NULL */
        if (sqlite3_step(st) != SQLITE_DONE) {
            char what[160];
            snprintf(what, sizeof what, "storing metric %s/%d/%s of cell %" PRId64, phase, epoch, names[i], cell);
            bd_db_fail(db, err, what);
            sqlite3_finalize(st);
            return bd_db_rollback(db);
        }
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return bd_db_commit(db, err);
}

int bd_db_mark_done(BdDb *db, int64_t cell, const BdCellReport *r, BdError *err) {
    if (begin_transition(db, cell, "running", "done", err) < 0) return -1;
    sqlite3_stmt *st;
    if (bd_db_prepare(db,
                      "UPDATE cells SET status = 'done', finished_at = " BD_DB_NOW ", error = NULL, "
                      "wall_seconds = ?2, params = ?3, gflops_per_image = ?4 WHERE id = ?1",
                      &st, err) < 0)
        return bd_db_rollback(db);
    sqlite3_bind_int64(st, 1, cell);
    sqlite3_bind_double(st, 2, r->wall_seconds);
    sqlite3_bind_int64(st, 3, r->params);
    sqlite3_bind_double(st, 4, r->gflops_per_image);
    if (step_done(db, st, "marking a cell done", err) < 0) return bd_db_rollback(db);
    return bd_db_commit(db, err);
}

int bd_db_mark_failed(BdDb *db, int64_t cell, double wall_seconds, const char *error, BdError *err) {
    if (begin_transition(db, cell, "pending|running", "failed", err) < 0) return -1;
    sqlite3_stmt *st;
    if (bd_db_prepare(db,
                      "UPDATE cells SET status = 'failed', finished_at = " BD_DB_NOW ", wall_seconds = ?2, "
                      "error = ?3 WHERE id = ?1",
                      &st, err) < 0)
        return bd_db_rollback(db);
    sqlite3_bind_int64(st, 1, cell);
    sqlite3_bind_double(st, 2, wall_seconds);
    sqlite3_bind_text(st, 3, error && *error ? error : "(no message)", -1, SQLITE_STATIC);
    if (step_done(db, st, "marking a cell failed", err) < 0) return bd_db_rollback(db);
    return bd_db_commit(db, err);
}

static const char *const status_names[BD_DB_STATUS_COUNT] = {"pending", "running", "done", "failed"};

const char *bd_db_status_name(BdCellStatus s) { return status_names[s]; }

int bd_db_status_index(const char *name) {
    for (int i = 0; name && i < BD_DB_STATUS_COUNT; i++)
        if (!strcmp(status_names[i], name)) return i;
    return -1;
}

int bd_db_counts(BdDb *db, int64_t sweep_id, int counts[BD_DB_STATUS_COUNT], BdError *err) {
    sqlite3_stmt *st;
    memset(counts, 0, BD_DB_STATUS_COUNT * sizeof counts[0]);
    if (bd_db_prepare(db,
                      "SELECT status, COUNT(*) FROM cells WHERE ?1 = 0 OR id IN "
                      "(SELECT cell_id FROM sweep_cells WHERE sweep_id = ?1) GROUP BY status",
                      &st, err) < 0)
        return -1;
    sqlite3_bind_int64(st, 1, sweep_id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int s = bd_db_status_index((const char *)sqlite3_column_text(st, 0));
        if (s >= 0) counts[s] = sqlite3_column_int(st, 1);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return bd_db_fail(db, err, "counting cells");
    return 0;
}
