/* cells.csv (report --csv): the flat per-cell table that pandas.read_csv and
 * spreadsheet users expect. Every column of cell_results, then one column per
 * parameter of the axis values the cells use, named axis.parameter
 * ("trigger.size", "regularizer.weight"), every default filled in, numbers
 * as numbers: the view cell_parameters as columns, so that no one has to
 * parse "square(location=top-left,size=4)".
 *
 * The columns depend on the values in the database (a sweep without blend
 * triggers has no trigger.alpha), so the query is made here; it reads the
 * stored values by the cells' axis texts (the UNIQUE index of axis_values)
 * and is written row by row, so a sweep of 10^5 cells with a hundred
 * parameters each never sits in memory. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "report_internal.h"
#include "text.h"

/* The parameter columns, in axis order then by name, as SELECT items. */
static int parameter_columns(Rep *r, BdStr *select) {
    for (int a = 0; a < BD_AXIS_COUNT; a++) {
        const BdAxisDef *ax = &bd_axes()[a];
        if (ax->kind != BD_AXIS_PRESETS) continue;
        char *sql = sqlite3_mprintf("SELECT DISTINCT p.name FROM axis_value_parameters p "
                                    "JOIN axis_values v ON v.id = p.value_id WHERE v.axis = %Q "
                                    "AND v.value IN (SELECT \"%w\" FROM cells WHERE kind = 'cell') ORDER BY p.name",
                                    ax->name, ax->name);
        sqlite3_stmt *st;
        int rc = rep_prepare(r, sql, &st);
        sqlite3_free(sql);
        if (rc < 0) return -1;
        while ((rc = rep_step(r, st)) == SQLITE_ROW) {
            const char *name = rep_text(st, 0);
            char *item = sqlite3_mprintf(",\n  (SELECT p.value FROM axis_values v JOIN axis_value_parameters p "
                                         "ON p.value_id = v.id AND p.name = %Q WHERE v.axis = %Q AND v.value = "
                                         "r.\"%w\") AS \"%w.%w\"",
                                         name, ax->name, ax->name, ax->name, name);
            bd_str_puts(select, item);
            sqlite3_free(item);
        }
        if (rc < 0) return -1;
        sqlite3_finalize(st);
    }
    return 0;
}

int rep_write_cells_csv(Rep *r) {
    BdStr sql = {0};
    bd_str_puts(&sql, "SELECT r.*");
    if (parameter_columns(r, &sql) < 0) {
        bd_str_free(&sql);
        return -1;
    }
    bd_str_puts(&sql, "\nFROM cell_results r ORDER BY r.cell_id");
    sqlite3_stmt *st;
    int rc = rep_prepare(r, bd_str_str(&sql), &st);
    bd_str_free(&sql);
    if (rc < 0) return -1;

    char path[4600];
    if (bd_path_join(path, sizeof path, r->o->out_dir, "cells.csv", r->err) < 0) {
        sqlite3_finalize(st);
        return -1;
    }
    FILE *f = fopen(path, "wb");
    if (!f) {
        sqlite3_finalize(st);
        return bd_fail(r->err, "cannot write %s: %s", path, strerror(errno));
    }
    BdStr line = {0};
    int ncol = sqlite3_column_count(st);
    for (int c = 0; c < ncol; c++) {
        if (c) bd_str_puts(&line, ",");
        rep_csv_field(&line, sqlite3_column_name(st, c));
    }
    bd_str_puts(&line, "\r\n");
    int write_failed = fputs(bd_str_str(&line), f) < 0;
    while (!write_failed && (rc = rep_step(r, st)) == SQLITE_ROW) {
        bd_str_clear(&line);
        for (int c = 0; c < ncol; c++) {
            RepValue v = {.type = sqlite3_column_type(st, c)};
            if (v.type == SQLITE_INTEGER) v.i = sqlite3_column_int64(st, c);
            else if (v.type == SQLITE_FLOAT) v.d = sqlite3_column_double(st, c);
            else if (v.type != SQLITE_NULL) {
                v.type = SQLITE_TEXT;
                v.s = (char *)rep_text(st, c);
            }
            if (c) bd_str_puts(&line, ",");
            rep_csv_value(&line, &v);
        }
        bd_str_puts(&line, "\r\n");
        write_failed = fputs(bd_str_str(&line), f) < 0;
    }
    bd_str_free(&line);
    if (fclose(f) != 0) write_failed = 1;
    if (rc < 0) return -1; /* rep_step finalized st and said why */
    sqlite3_finalize(st);
    if (write_failed) return bd_fail(r->err, "cannot write %s: %s", path, strerror(errno));
    return 0;
}
