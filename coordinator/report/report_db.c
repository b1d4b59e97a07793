/* The report's access to the database: statements with errors that name the
 * database, tables kept from queries, and row labels. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_internal.h"
#include "text.h"

int rep_prepare(Rep *r, const char *sql, sqlite3_stmt **st) {
    if (sqlite3_prepare_v2(r->h, sql, -1, st, NULL) == SQLITE_OK) return 0;
    bd_fail(r->err, "%s: %s (in: %.100s)", r->db_path, sqlite3_errmsg(r->h), sql);
    *st = NULL;
    return -1;
}

int rep_step(Rep *r, sqlite3_stmt *st) {
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW || rc == SQLITE_DONE) return rc;
    bd_fail(r->err, "%s: %s (in: %.100s)", r->db_path, sqlite3_errmsg(r->h), sqlite3_sql(st));
    sqlite3_finalize(st);
    return -1;
}

int rep_number(Rep *r, const char *sql, double *out) {
    sqlite3_stmt *st;
    if (rep_prepare(r, sql, &st) < 0) return -1;
    int rc = rep_step(r, st);
    if (rc < 0) return -1;
    *out = rc == SQLITE_ROW ? rep_double(st, 0) : NAN;
    sqlite3_finalize(st);
    return 0;
}

int rep_col(sqlite3_stmt *st, const char *name) {
    for (int i = 0; i < sqlite3_column_count(st); i++)
        if (!strcmp(sqlite3_column_name(st, i), name)) return i;
    return -1;
}

double rep_double(sqlite3_stmt *st, int col) {
    if (col < 0 || sqlite3_column_type(st, col) == SQLITE_NULL) return NAN;
    return sqlite3_column_double(st, col);
}

const char *rep_text(sqlite3_stmt *st, int col) {
    const char *s = col >= 0 ? (const char *)sqlite3_column_text(st, col) : NULL;
    return s ? s : "";
}

void rep_count_phrase(int lo, int hi, const char *one, const char *many, char *out, size_t cap) {
    if (lo > hi) bd_text_format(out, cap, "no %s", many);
    else if (lo == hi) bd_text_format(out, cap, "%d %s", lo, lo == 1 ? one : many);
    else bd_text_format(out, cap, "%d\xE2\x80\x93%d %s", lo, hi, many);
}

/* ---- labels ----------------------------------------------------------------------------- */

void rep_axis_value(sqlite3_stmt *st, int col, int axis, char *out, size_t cap) {
    if (axis == BD_AXIS_POISON_RATE) snprintf(out, cap, "rate %g", sqlite3_column_double(st, col));
    else if (axis == BD_AXIS_TARGET) snprintf(out, cap, "target %s", rep_text(st, col));
    else if (axis == BD_AXIS_SEED) snprintf(out, cap, "seed %s", rep_text(st, col));
    else snprintf(out, cap, "%s", rep_text(st, col));
}

void rep_label(const Rep *r, sqlite3_stmt *st, unsigned skip, unsigned fallback, char *out, size_t cap) {
    size_t o = 0;
    out[0] = '\0';
    for (int pass = 0; pass < 2 && o == 0; pass++)
        for (int a = 0; a < BD_AXIS_COUNT; a++) {
            int use = pass == 0 ? r->varies[a] > 1 && !(skip & AXIS_BIT(a)) : (fallback & AXIS_BIT(a)) != 0;
            int col = use ? rep_col(st, bd_axes()[a].name) : -1;
            if (col < 0) continue;
            char v[1024];
            rep_axis_value(st, col, a, v, sizeof v);
            o += (size_t)snprintf(out + o, o < cap ? cap - o : 0, "%s%s", o ? " \xC2\xB7 " : "", v);
            if (o >= cap) return;
        }
}

void rep_varying_names(const Rep *r, unsigned skip, char *out, size_t cap) {
    int n = 0, total = 0;
    for (int a = 0; a < BD_AXIS_COUNT; a++) total += r->varies[a] > 1 && !(skip & AXIS_BIT(a));
    size_t o = 0;
    out[0] = '\0';
    for (int a = 0; a < BD_AXIS_COUNT; a++) {
        if (r->varies[a] <= 1 || (skip & AXIS_BIT(a))) continue;
        n++;
        const char *sep = n == 1 ? "" : n == total ? " and " : ", ";
        o += (size_t)snprintf(out + o, o < cap ? cap - o : 0, "%s%s", sep, bd_axes()[a].plural);
        if (o >= cap) return;
    }
}

/* ---- tables ------------------------------------------------------------------------------ */

void rep_value_text(const RepValue *v, const char *null_text, char *out, size_t cap) {
    switch (v->type) {
    case SQLITE_INTEGER: snprintf(out, cap, "%lld", v->i); break;
    case SQLITE_FLOAT:
        if (!isfinite(v->d)) snprintf(out, cap, "%s", null_text);
        else if (fabs(v->d * 1e4 - round(v->d * 1e4)) < 1e-7 * fmax(1, fabs(v->d * 1e4)))
            snprintf(out, cap, "%g", v->d); /* round at 4 decimals: 0.05, 1 */
        else snprintf(out, cap, "%.4f", v->d);
        break;
    case SQLITE_TEXT: snprintf(out, cap, "%s", v->s); break;
    default: snprintf(out, cap, "%s", null_text);
    }
}

int rep_table_query(Rep *r, const char *id, const char *title, const char *note, int in_report, const char *sql) {
    sqlite3_stmt *st;
    if (rep_prepare(r, sql, &st) < 0) return -1;
    r->tables = bd_xrealloc(r->tables, sizeof *r->tables * (size_t)(r->n_tables + 1));
    RepTable *t = &r->tables[r->n_tables++];
    memset(t, 0, sizeof *t);
    snprintf(t->id, sizeof t->id, "%s", id);
    snprintf(t->title, sizeof t->title, "%s", title);
    t->note = note ? bd_xstrdup(note) : NULL;
    t->in_report = in_report;
    t->ncol = sqlite3_column_count(st);
    t->cols = bd_xcalloc((size_t)t->ncol + 1, sizeof *t->cols);
    for (int c = 0; c < t->ncol; c++) t->cols[c] = bd_xstrdup(sqlite3_column_name(st, c));
    int rc;
    while ((rc = rep_step(r, st)) == SQLITE_ROW) {
        if (t->nrow == t->cap) {
            t->cap = t->cap ? 2 * t->cap : 16;
            t->v = bd_xrealloc(t->v, sizeof *t->v * (size_t)t->cap * (size_t)(t->ncol ? t->ncol : 1));
        }
        RepValue *row = &t->v[(size_t)t->nrow++ * (size_t)t->ncol];
        for (int c = 0; c < t->ncol; c++) {
            RepValue *v = &row[c];
            memset(v, 0, sizeof *v);
            v->type = sqlite3_column_type(st, c);
            if (v->type == SQLITE_INTEGER) v->i = sqlite3_column_int64(st, c);
            else if (v->type == SQLITE_FLOAT) v->d = sqlite3_column_double(st, c);
            else if (v->type == SQLITE_TEXT || v->type == SQLITE_BLOB) {
                v->type = SQLITE_TEXT;
                v->s = bd_xstrdup(rep_text(st, c));
            }
        }
    }
    if (rc < 0) return -1;
    sqlite3_finalize(st);
    return 0;
}

void rep_tables_free(Rep *r) {
    for (int k = 0; k < r->n_tables; k++) {
        RepTable *t = &r->tables[k];
        for (size_t i = 0; i < (size_t)t->nrow * (size_t)t->ncol; i++) free(t->v[i].s);
        for (int c = 0; c < t->ncol; c++) free(t->cols[c]);
        free(t->cols);
        free(t->v);
        free(t->note);
    }
    free(r->tables);
    r->tables = NULL;
    r->n_tables = 0;
}
