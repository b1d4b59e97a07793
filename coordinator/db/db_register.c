/* Registering a sweep: its row, every cell by key (new ones pending), the
 * jobs that train the models its cells are measured on (coordinator/sweep/
 * models.c: a cell's own, a clean model shared by the cells of rate 0 of a
 * seed, the pre-training jobs), and the links in sweep order. One
 * transaction; registering the same sweep again changes nothing. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "axes.h"
#include "db_internal.h"
#include "rng.h"

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

/* The statements of one registration. */
typedef struct Reg {
    BdDb *db;
    int64_t sweep_id;
    int n_new;
    sqlite3_stmt *ins, *sel, *link, *set_model, *set_depends;
} Reg;

static int step_reset(Reg *r, sqlite3_stmt *st, const char *what, BdError *err) {
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return bd_db_fail(r->db, err, what);
    return 0;
}

/* The row of a job or cell: inserted when new (a job is its own model),
 * found otherwise; linked to the sweep at `position` (sweep order; -1 ahead
 * of every cell). */
static int ensure_row(Reg *r, const char *key, BdJobKind kind, const char *const *texts, int position, int64_t *id,
                      BdError *err) {
    char seed_hex[32];
    snprintf(seed_hex, sizeof seed_hex, "%016" PRIx64, bd_hash_str(key));
    sqlite3_bind_text(r->ins, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(r->ins, 2, bd_job_kind_def(kind)->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(r->ins, 3, seed_hex, -1, SQLITE_TRANSIENT);
    if (bd_db_bind_cell_columns(r->db, r->ins, 4, kind, texts, err) < 0 ||
        step_reset(r, r->ins, "inserting a cell", err) < 0)
        return -1;
    int is_new = sqlite3_changes(r->db->h) == 1;
    r->n_new += is_new;
    if (is_new) {
        *id = sqlite3_last_insert_rowid(r->db->h);
        if (kind != BD_JOB_CELL) { /* a job's model is its own */
            sqlite3_bind_int64(r->set_model, 1, *id);
            sqlite3_bind_int64(r->set_model, 2, *id);
            if (step_reset(r, r->set_model, "recording a job's model", err) < 0) return -1;
        }
    } else {
        sqlite3_bind_text(r->sel, 1, key, -1, SQLITE_STATIC);
        int rc = sqlite3_step(r->sel);
        if (rc == SQLITE_ROW) *id = sqlite3_column_int64(r->sel, 0);
        sqlite3_reset(r->sel);
        if (rc != SQLITE_ROW) return bd_db_fail(r->db, err, "looking up a cell");
    }
    sqlite3_bind_int64(r->link, 1, r->sweep_id);
    sqlite3_bind_int64(r->link, 2, *id);
    sqlite3_bind_int(r->link, 3, position);
    return step_reset(r, r->link, "linking a cell to its sweep", err);
}

/* The pre-training job a job waits for (its axes from its key), ahead of
 * every cell, and the job's depends_on pointing at it. */
static int register_pretrain(Reg *r, const char *pretrain_key, int64_t job, BdError *err) {
    BdJob p;
    char texts[BD_AXIS_COUNT][BD_SPEC_TEXT_MAX];
    const char *t[BD_AXIS_COUNT];
    int64_t id = 0;
    if (bd_db_job_texts(pretrain_key, &p, texts, t, err) < 0 ||
        ensure_row(r, pretrain_key, BD_JOB_PRETRAIN, t, -1, &id, err) < 0)
        return -1;
    sqlite3_bind_int64(r->set_depends, 1, job);
    sqlite3_bind_int64(r->set_depends, 2, id);
    return step_reset(r, r->set_depends, "recording what a job waits for", err);
}

static int register_all(Reg *r, const BdSweep *sw, BdError *err) {
    const BdSweepModels *m = &sw->models;
    int64_t *model_row = bd_xcalloc((size_t)m->n_clean + 1, sizeof *model_row);
    int rc = 0;
    /* The clean models, each where its first cell is in sweep order. */
    for (int k = 0; k < m->n_clean && rc == 0; k++) {
        const BdSweepModel *model = &m->clean[k];
        const BdSweepCell *first = &sw->cells[model->first_cell];
        rc = ensure_row(r, model->key, BD_JOB_CLEAN, (const char *const *)first->values, model->first_cell,
                        &model_row[k], err);
        if (rc == 0 && first->pretrain_key) rc = register_pretrain(r, first->pretrain_key, model_row[k], err);
    }
    for (int i = 0; i < sw->n_cells && rc == 0; i++) {
        const BdSweepCell *c = &sw->cells[i];
        int64_t id = 0;
        rc = ensure_row(r, c->key, BD_JOB_CELL, (const char *const *)c->values, i, &id, err);
        if (rc < 0) break;
        int own = m->cell_model[i] < 0;
        /* A cell that is not done follows this build's choice of model; a
         * done one keeps the model its numbers came from. */
        sqlite3_bind_int64(r->set_model, 1, id);
        sqlite3_bind_int64(r->set_model, 2, own ? id : model_row[m->cell_model[i]]);
        rc = step_reset(r, r->set_model, "recording a cell's model", err);
        if (rc == 0 && own && c->pretrain_key) rc = register_pretrain(r, c->pretrain_key, id, err);
    }
    free(model_row);
    return rc;
}

int bd_db_register(BdDb *db, const BdSweep *sw, int64_t *sweep_id, int *n_new, BdError *err) {
    Reg r = {db, 0, 0, NULL, NULL, NULL, NULL, NULL};
    *n_new = 0;
    if (bd_db_begin(db, err) < 0) return -1;
    if (find_or_add_sweep(db, sw, &r.sweep_id, err) < 0) return bd_db_rollback(db);
    int rc = prepare_insert(db, &r.ins, err);
    if (rc == 0) rc = bd_db_prepare(db, "SELECT id FROM cells WHERE key = ?", &r.sel, err);
    if (rc == 0)
        rc = bd_db_prepare(db,
                           "INSERT INTO sweep_cells(sweep_id, cell_id, position) VALUES (?1, ?2, ?3) "
                           "ON CONFLICT(sweep_id, cell_id) DO UPDATE SET position = excluded.position",
                           &r.link, err);
    if (rc == 0)
        rc = bd_db_prepare(db, "UPDATE cells SET model_id = ?2 WHERE id = ?1 AND status <> 'done'", &r.set_model, err);
    if (rc == 0) rc = bd_db_prepare(db, "UPDATE cells SET depends_on = ?2 WHERE id = ?1", &r.set_depends, err);
    if (rc == 0) rc = register_all(&r, sw, err);
    sqlite3_finalize(r.ins);
    sqlite3_finalize(r.sel);
    sqlite3_finalize(r.link);
    sqlite3_finalize(r.set_model);
    sqlite3_finalize(r.set_depends);
    if (rc < 0) return bd_db_rollback(db);
    *sweep_id = r.sweep_id;
    *n_new = r.n_new;
    return bd_db_commit(db, err);
}

int bd_db_add_cell(BdDb *db, const char *const *texts, int64_t *id, BdError *err) {
    char key[BD_KEY_MAX], absent_buf[BD_AXIS_COUNT * 64];
    const char *absent[BD_AXIS_COUNT];
    if (bd_axis_absent_texts(bd_axes(), absent, absent_buf, sizeof absent_buf, err) < 0 ||
        bd_key_join(bd_axes(), texts, absent, 0, key, sizeof key, err) < 0)
        return -1;
    sqlite3_stmt *ins, *own;
    if (bd_db_begin(db, err) < 0) return -1;
    if (prepare_insert(db, &ins, err) < 0) return bd_db_rollback(db);
    char seed_hex[32];
    snprintf(seed_hex, sizeof seed_hex, "%016" PRIx64, bd_hash_str(key));
    sqlite3_bind_text(ins, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(ins, 2, bd_job_kind_def(BD_JOB_CELL)->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(ins, 3, seed_hex, -1, SQLITE_STATIC);
    int rc = bd_db_bind_cell_columns(db, ins, 4, BD_JOB_CELL, texts, err);
    if (rc == 0 && sqlite3_step(ins) != SQLITE_DONE) rc = bd_db_fail(db, err, "inserting a cell");
    sqlite3_finalize(ins);
    if (rc < 0) return bd_db_rollback(db);
    if (sqlite3_changes(db->h) != 1) {
        bd_fail(err, "%s: a cell with key '%.200s' exists already", db->path, key);
        return bd_db_rollback(db);
    }
    *id = sqlite3_last_insert_rowid(db->h);
    /* A cell written by hand is its own model. */
    if (bd_db_prepare(db, "UPDATE cells SET model_id = id WHERE id = ?1", &own, err) < 0) return bd_db_rollback(db);
    sqlite3_bind_int64(own, 1, *id);
    rc = sqlite3_step(own) == SQLITE_DONE ? 0 : bd_db_fail(db, err, "recording a cell's model");
    sqlite3_finalize(own);
    if (rc < 0) return bd_db_rollback(db);
    return bd_db_commit(db, err);
}
