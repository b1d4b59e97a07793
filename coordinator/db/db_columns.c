/* The columns of `cells` that the axes table defines: one per axis, a
 * `<axis>_name` per axis with presets, and the pairing columns of the
 * experiment's design (spec.h: replicate and control axes):
 *
 *   condition                 the key without the replicate axes (the seed):
 *                             cells with the same condition are replicates
 *   <control>_key             the key of the cell with that axis at its control
 *                             value, all else equal (baseline_key: poison rate
 *                             0; unregularized_key: regularizer none)
 *   <control>_condition       that cell's condition
 *
 * They are computed from the canonical texts of a job's axis values when it
 * is registered, and from each row's key when a database is opened that lacks
 * some of them (an older file, or a new axis): adding an axis to the table
 * adds its column to every database, with the axis' absent value for the
 * cells that were there (their keys do not mention it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "axes.h"
#include "db_internal.h"

int bd_db_cell_columns(BdCellColumn cols[BD_DB_MAX_COLUMNS]) {
    const BdAxisDef *axes = bd_axes();
    int n = 0, any_replicate = 0;
    for (int a = 0; a < BD_AXIS_COUNT; a++) {
        cols[n] = (BdCellColumn){.sql_type = bd_axis_sql_type(&axes[a]), .role = BD_COL_AXIS, .axis = a};
        snprintf(cols[n++].name, sizeof cols[0].name, "%s", axes[a].name);
        any_replicate |= axes[a].replicate;
    }
    for (int a = 0; a < BD_AXIS_COUNT; a++) {
        if (axes[a].kind != BD_AXIS_PRESETS) continue;
        cols[n] = (BdCellColumn){.sql_type = "TEXT", .role = BD_COL_PRESET_NAME, .axis = a};
        snprintf(cols[n++].name, sizeof cols[0].name, "%s_name", axes[a].name);
    }
    if (bd_axes_attack_mask(axes)) {
        cols[n] = (BdCellColumn){.sql_type = "TEXT", .role = BD_COL_ATTACK, .axis = -1};
        snprintf(cols[n++].name, sizeof cols[0].name, "attack");
    }
    if (any_replicate) {
        cols[n] = (BdCellColumn){.sql_type = "TEXT", .role = BD_COL_CONDITION, .axis = -1};
        snprintf(cols[n++].name, sizeof cols[0].name, "condition");
    }
    for (int a = 0; a < BD_AXIS_COUNT; a++) {
        if (!axes[a].control) continue;
        cols[n] = (BdCellColumn){.sql_type = "TEXT", .role = BD_COL_CONTROL_KEY, .axis = a};
        snprintf(cols[n++].name, sizeof cols[0].name, "%s_key", axes[a].control_name);
        cols[n] = (BdCellColumn){.sql_type = "TEXT", .role = BD_COL_CONTROL_CONDITION, .axis = a};
        snprintf(cols[n++].name, sizeof cols[0].name, "%s_condition", axes[a].control_name);
    }
    return n;
}

/* The canonical texts of every axis' absent and control values, computed
 * once per connection. */
static int design_texts(BdDb *db, BdError *err) {
    if (db->design_ready) return 0;
    const BdAxisDef *axes = bd_axes();
    if (bd_axis_absent_texts(axes, (const char **)db->absent, db->absent_buf, sizeof db->absent_buf, err) < 0) return -1;
    size_t o = 0;
    for (int a = 0; a < BD_AXIS_COUNT; a++) {
        db->control[a] = NULL;
        if (!axes[a].control) continue;
        BdSpec v;
        if (bd_axis_value_parse(axes, (BdAxis)a, axes[a].control, &v, err) < 0 ||
            bd_axis_value_format(axes, (BdAxis)a, &v, db->control_buf + o, sizeof db->control_buf - o, err) < 0)
            return bd_error_prefix(err, "internal error: control value of %s: ", axes[a].name);
        db->control[a] = db->control_buf + o;
        o += strlen(db->control_buf + o) + 1;
    }
    db->design_ready = 1;
    return 0;
}

static unsigned replicate_axes(void) {
    unsigned m = 0;
    for (int a = 0; a < BD_AXIS_COUNT; a++)
        if (bd_axes()[a].replicate) m |= 1u << a;
    return m;
}

int bd_db_bind_cell_columns(BdDb *db, sqlite3_stmt *st, int first, BdJobKind kind, const char *const *texts,
                            BdError *err) {
    if (design_texts(db, err) < 0) return -1;
    const BdAxisDef *axes = bd_axes();
    BdCellColumn cols[BD_DB_MAX_COLUMNS];
    int n = bd_db_cell_columns(cols);
    char key[BD_KEY_MAX];
    unsigned has = bd_job_kind_axes(axes, kind); /* a job's other axes are NULL */
    for (int i = 0; i < n; i++) {
        const BdCellColumn *c = &cols[i];
        int p = first + i;
        if (c->role == BD_COL_AXIS || c->role == BD_COL_PRESET_NAME) {
            const char *t = has & (1u << c->axis) ? texts[c->axis] : NULL;
            if (!t) sqlite3_bind_null(st, p);
            else if (c->role == BD_COL_PRESET_NAME) sqlite3_bind_text(st, p, t, (int)strcspn(t, "("), SQLITE_TRANSIENT);
            else if (axes[c->axis].kind == BD_AXIS_INT) sqlite3_bind_int64(st, p, strtoll(t, NULL, 10));
            else if (axes[c->axis].kind == BD_AXIS_FLOAT) sqlite3_bind_double(st, p, strtod(t, NULL));
            else sqlite3_bind_text(st, p, t, -1, SQLITE_TRANSIENT);
            continue;
        }
        /* The pairing columns belong to cells of the grid only. */
        if (kind != BD_JOB_CELL) {
            sqlite3_bind_null(st, p);
            continue;
        }
        if (c->role == BD_COL_ATTACK) {
            if (bd_attack_key(axes, texts, key, sizeof key, err) < 0) return -1;
            sqlite3_bind_text(st, p, key, -1, SQLITE_TRANSIENT);
            continue;
        }
        const char *t[BD_AXIS_COUNT];
        memcpy(t, texts, sizeof t);
        if (c->role != BD_COL_CONDITION) t[c->axis] = db->control[c->axis];
        unsigned omit = c->role == BD_COL_CONTROL_KEY ? 0 : replicate_axes();
        if (bd_key_join(axes, t, (const char *const *)db->absent, omit, key, sizeof key, err) < 0) return -1;
        sqlite3_bind_text(st, p, key, -1, SQLITE_TRANSIENT);
    }
    return 0;
}

/* The names of the columns `table` has, into names[0..*n). */
static int table_columns(BdDb *db, const char *table, char (*names)[64], int cap, int *n, BdError *err) {
    sqlite3_stmt *st;
    *n = 0;
    if (bd_db_prepare(db, "SELECT name FROM pragma_table_info(?1)", &st, err) < 0) return -1;
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW && *n < cap)
        snprintf(names[(*n)++], 64, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return 0;
}

static int has_column(char (*names)[64], int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (!strcmp(names[i], name)) return 1;
    return 0;
}

int bd_db_missing_cell_columns(BdDb *db, BdError *err) {
    char names[256][64];
    int n_names, missing = 0;
    if (table_columns(db, "cells", names, 256, &n_names, err) < 0) return -1;
    BdCellColumn cols[BD_DB_MAX_COLUMNS];
    int n = bd_db_cell_columns(cols);
    for (int i = 0; i < n; i++) missing += !has_column(names, n_names, cols[i].name);
    return missing;
}

int bd_db_job_texts(const char *key, BdJob *job, char texts[][BD_SPEC_TEXT_MAX], const char **t, BdError *err) {
    if (bd_job_parse(bd_axes(), key, job, err) < 0) return -1;
    unsigned mask = bd_job_kind_axes(bd_axes(), job->kind);
    for (int a = 0; a < BD_AXIS_COUNT; a++) {
        t[a] = NULL;
        if (!(mask & (1u << a))) continue;
        if (bd_axis_value_format(bd_axes(), (BdAxis)a, &job->cell.v[a], texts[a], BD_SPEC_TEXT_MAX, err) < 0)
            return -1;
        t[a] = texts[a];
    }
    return 0;
}

/* Recomputes every generated column of every row from its key. */
static int refill(BdDb *db, const BdCellColumn *cols, int n, BdError *err) {
    char sql[8192];
    size_t o = (size_t)snprintf(sql, sizeof sql, "UPDATE cells SET ");
    for (int i = 0; i < n; i++) o += (size_t)snprintf(sql + o, sizeof sql - o, "%s%s = ?%d", i ? ", " : "", cols[i].name, i + 2);
    snprintf(sql + o, sizeof sql - o, " WHERE id = ?1");
    sqlite3_stmt *sel, *upd;
    if (bd_db_prepare(db, "SELECT id, key FROM cells", &sel, err) < 0) return -1;
    if (bd_db_prepare(db, sql, &upd, err) < 0) {
        sqlite3_finalize(sel);
        return -1;
    }
    int rc, status = 0;
    while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
        const char *key = (const char *)sqlite3_column_text(sel, 1);
        BdJob job;
        char texts[BD_AXIS_COUNT][BD_SPEC_TEXT_MAX];
        const char *t[BD_AXIS_COUNT];
        /* A key this build cannot read (a preset that no longer exists) keeps
         * NULL columns: such a cell cannot run here, and no view pairs it. */
        if (bd_db_job_texts(key, &job, texts, t, NULL) < 0) continue;
        sqlite3_bind_int64(upd, 1, sqlite3_column_int64(sel, 0));
        if (bd_db_bind_cell_columns(db, upd, 2, job.kind, t, err) < 0) {
            status = -1;
            break;
        }
        if (sqlite3_step(upd) != SQLITE_DONE) {
            status = bd_db_fail(db, err, "filling the cells' axis and pairing columns");
            break;
        }
        sqlite3_reset(upd);
    }
    if (status == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW) status = bd_db_fail(db, err, "reading the cells");
    sqlite3_finalize(sel);
    sqlite3_finalize(upd);
    return status;
}

/* Adds the generated columns `table` lacks; *added says how many. */
static int add_missing(BdDb *db, const char *table, int *added, BdError *err) {
    *added = 0;
    char names[256][64];
    int n_names;
    if (table_columns(db, table, names, 256, &n_names, err) < 0) return -1;
    BdCellColumn cols[BD_DB_MAX_COLUMNS];
    int n = bd_db_cell_columns(cols);
    for (int i = 0; i < n; i++) {
        if (has_column(names, n_names, cols[i].name)) continue;
        char sql[256];
        if (snprintf(sql, sizeof sql, "ALTER TABLE %s ADD COLUMN %s %s", table, cols[i].name, cols[i].sql_type) >=
            (int)sizeof sql)
            return bd_fail(err, "internal error: column name '%s' too long", cols[i].name);
        if (bd_db_exec(db, sql, err) < 0) return -1;
        (*added)++;
    }
    return 0;
}

int bd_db_add_cell_columns(BdDb *db, const char *table, BdError *err) {
    int added;
    return add_missing(db, table, &added, err);
}

int bd_db_sync_cell_columns(BdDb *db, int refill_all, int *added, BdError *err) {
    BdCellColumn cols[BD_DB_MAX_COLUMNS];
    int n = bd_db_cell_columns(cols);
    if (add_missing(db, "cells", added, err) < 0) return -1;
    if ((*added || refill_all) && refill(db, cols, n, err) < 0) return -1;
    return bd_db_exec(db, "CREATE INDEX IF NOT EXISTS cells_condition ON cells(condition)", err);
}
