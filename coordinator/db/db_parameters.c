/* The parameters of the axis values, as data: tables axis_values (one row
 * per distinct value of an axis with presets, by its canonical text) and
 * axis_value_parameters (one row per parameter of it, every default filled
 * in, numbers as INTEGER or REAL); the generated view cell_parameters joins
 * them to the cells (db_views.c).
 *
 * A value is stored once however many cells use it, so the tables grow with
 * the values of the sweeps (tens to thousands), not with their cells.
 * Registering a sweep adds its values; a database whose values were filled
 * by a build with other parameter tables (an older file, a new parameter or
 * axis) has them recomputed from their texts when it is opened: the meta row
 * `axis_parameters` holds a fingerprint of the tables that filled it. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "axes.h"
#include "db_internal.h"
#include "rng.h"
#include "strbuf.h"

#define FINGERPRINT_KEY "axis_parameters"

typedef struct ValueWriter {
    BdDb *db;
    sqlite3_stmt *insert, *param;
} ValueWriter;

static int writer_open(BdDb *db, ValueWriter *w, BdError *err) {
    *w = (ValueWriter){db, NULL, NULL};
    if (bd_db_prepare(db, "INSERT INTO axis_values(axis, value) VALUES (?1, ?2) ON CONFLICT(axis, value) DO NOTHING",
                      &w->insert, err) < 0 ||
        bd_db_prepare(db, "INSERT OR REPLACE INTO axis_value_parameters(value_id, name, value) VALUES (?1, ?2, ?3)",
                      &w->param, err) < 0)
        return -1;
    return 0;
}

static void writer_close(ValueWriter *w) {
    sqlite3_finalize(w->insert);
    sqlite3_finalize(w->param);
}

/* One parameter as an SQL value: integers and reals as numbers, an optional
 * parameter that was not given as NULL, anything else (booleans, choices,
 * paths, lists) as its canonical text. */
static void bind_parameter(sqlite3_stmt *st, int i, const BdParamDef *def, const char *text) {
    if (!*text) sqlite3_bind_null(st, i);
    else if (def && def->type == BD_PARAM_INT) sqlite3_bind_int64(st, i, strtoll(text, NULL, 10));
    else if (def && def->type == BD_PARAM_FLOAT) sqlite3_bind_double(st, i, strtod(text, NULL));
    else sqlite3_bind_text(st, i, text, -1, SQLITE_TRANSIENT);
}

/* The parameter rows of value `id`, from its canonical text. A text this
 * build cannot read (a preset that no longer exists, a value a test wrote by
 * hand) gets no rows, like the generated columns of such a cell. */
static int write_parameters(ValueWriter *w, int axis, int64_t id, const char *text, BdError *err) {
    const BdAxisDef *a = &bd_axes()[axis];
    BdSpec *spec = bd_xmalloc(sizeof *spec);
    int rc = 0;
    if (bd_axis_value_parse(bd_axes(), (BdAxis)axis, text, spec, NULL) < 0) {
        free(spec);
        return 0;
    }
    const BdPreset *p = bd_preset_find(a->presets, spec->name);
    for (int i = 0; i < spec->n && rc == 0; i++) {
        sqlite3_bind_int64(w->param, 1, id);
        sqlite3_bind_text(w->param, 2, bd_spec_key(spec, i), -1, SQLITE_TRANSIENT);
        bind_parameter(w->param, 3, bd_param_find(p, bd_spec_key(spec, i)), bd_spec_val(spec, i));
        if (sqlite3_step(w->param) != SQLITE_DONE) rc = bd_db_fail(w->db, err, "storing a parameter of an axis value");
        sqlite3_reset(w->param);
    }
    free(spec);
    return rc;
}

/* Inserts the value if it is new, with its parameters. */
static int add_value(ValueWriter *w, int axis, const char *text, BdError *err) {
    sqlite3_bind_text(w->insert, 1, bd_axes()[axis].name, -1, SQLITE_STATIC);
    sqlite3_bind_text(w->insert, 2, text, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(w->insert);
    sqlite3_reset(w->insert);
    if (rc != SQLITE_DONE) return bd_db_fail(w->db, err, "storing an axis value");
    if (sqlite3_changes(w->db->h) != 1) return 0;
    return write_parameters(w, axis, sqlite3_last_insert_rowid(w->db->h), text, err);
}

int bd_db_add_axis_values(BdDb *db, const char *const *texts, BdError *err) {
    ValueWriter w;
    int rc = writer_open(db, &w, err);
    for (int a = 0; a < BD_AXIS_COUNT && rc == 0; a++)
        if (texts[a] && bd_axes()[a].kind == BD_AXIS_PRESETS) rc = add_value(&w, a, texts[a], err);
    writer_close(&w);
    return rc;
}

int bd_db_add_sweep_values(BdDb *db, const BdSweep *sw, BdError *err) {
    ValueWriter w;
    int rc = writer_open(db, &w, err);
    for (int a = 0; a < BD_AXIS_COUNT && rc == 0; a++) {
        if (bd_axes()[a].kind != BD_AXIS_PRESETS) continue;
        for (int i = 0; i < sw->axes[a].n && rc == 0; i++) rc = add_value(&w, a, sw->axes[a].values[i].text, err);
    }
    writer_close(&w);
    return rc;
}

/* What the parameter rows depend on: every axis, preset and parameter with
 * its type and default. */
static void fingerprint(char out[17]) {
    BdStr s = {0};
    for (int a = 0; a < BD_AXIS_COUNT; a++) {
        const BdAxisDef *ax = &bd_axes()[a];
        bd_str_printf(&s, "axis %s %d\n", ax->name, (int)ax->kind);
        for (const BdPreset *p = ax->presets; p && p->name; p++) {
            bd_str_printf(&s, " preset %s\n", p->name);
            for (const BdParamDef *d = p->params; d && d->name; d++)
                bd_str_printf(&s, "  %s %d %s\n", d->name, (int)d->type, d->def ? d->def : "(required)");
        }
    }
    snprintf(out, 17, "%016" PRIx64, bd_hash_str(bd_str_str(&s)));
    bd_str_free(&s);
}

int bd_db_fill_axis_values(BdDb *db, BdError *err) {
    if (bd_db_exec(db, "DELETE FROM axis_value_parameters", err) < 0) return -1;
    ValueWriter w;
    sqlite3_stmt *sel = NULL;
    int rc = writer_open(db, &w, err);
    if (rc == 0) rc = bd_db_prepare(db, "SELECT id, axis, value FROM axis_values", &sel, err);
    while (rc == 0) {
        int step = sqlite3_step(sel);
        if (step == SQLITE_DONE) break;
        if (step != SQLITE_ROW) {
            rc = bd_db_fail(db, err, "reading the axis values");
            break;
        }
        int axis = bd_axis_index(bd_axes(), (const char *)sqlite3_column_text(sel, 1));
        if (axis >= 0 && bd_axes()[axis].kind == BD_AXIS_PRESETS)
            rc = write_parameters(&w, axis, sqlite3_column_int64(sel, 0), (const char *)sqlite3_column_text(sel, 2),
                                  err);
    }
    sqlite3_finalize(sel);
    /* The values of the cells: an older file's, or a new axis' absent value. */
    for (int a = 0; a < BD_AXIS_COUNT && rc == 0; a++) {
        if (bd_axes()[a].kind != BD_AXIS_PRESETS) continue;
        char sql[256];
        snprintf(sql, sizeof sql, "SELECT DISTINCT %s FROM cells WHERE %s IS NOT NULL", bd_axes()[a].name,
                 bd_axes()[a].name);
        if ((rc = bd_db_prepare(db, sql, &sel, err)) < 0) break;
        int step;
        while (rc == 0 && (step = sqlite3_step(sel)) == SQLITE_ROW)
            rc = add_value(&w, a, (const char *)sqlite3_column_text(sel, 0), err);
        if (rc == 0 && step != SQLITE_DONE) rc = bd_db_fail(db, err, "reading the cells' axis values");
        sqlite3_finalize(sel);
    }
    writer_close(&w);
    if (rc < 0) return -1;
    char fp[17];
    fingerprint(fp);
    sqlite3_stmt *st;
    if (bd_db_prepare(db,
                      "INSERT INTO meta(key, value) VALUES ('" FINGERPRINT_KEY "', ?1) "
                      "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                      &st, err) < 0)
        return -1;
    sqlite3_bind_text(st, 1, fp, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : bd_db_fail(db, err, "recording the parameter tables' fingerprint");
}

int bd_db_ensure_axis_values(BdDb *db, BdError *err) {
    char fp[17];
    fingerprint(fp);
    sqlite3_stmt *st;
    if (bd_db_prepare(db, "SELECT value FROM meta WHERE key = '" FINGERPRINT_KEY "'", &st, err) < 0) return -1;
    int rc = sqlite3_step(st);
    int same = rc == SQLITE_ROW && sqlite3_column_text(st, 0) && !strcmp((const char *)sqlite3_column_text(st, 0), fp);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return bd_db_fail(db, err, "reading the parameter tables' fingerprint");
    /* A file that cannot be written here (read-only storage) keeps the rows
     * of the build that filled it: a parameter added since has none there
     * until the file is opened where it is writable. */
    if (same || db->readonly) return 0;
    if (bd_db_begin(db, err) < 0) return -1;
    if (bd_db_fill_axis_values(db, err) < 0) return bd_db_rollback(db);
    return bd_db_commit(db, err);
}
