/* Hand-made results for the view and report tests: cells and metrics written
 * with plain SQL into a database made by bd_db_open, as a run would leave
 * them, so every number a test expects can be worked out by hand. */
#ifndef BD_TEST_ROWS_H
#define BD_TEST_ROWS_H

#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>

#include "check.h"
#include "db/db.h"

/* One cell. NULL / 0 fields take the defaults below. */
typedef struct Row {
    const char *dataset;  /* "synthetic(size=8,test=20,train=10)" */
    const char *arch;     /* "cnn-small" */
    const char *trigger;  /* "square" */
    const char *strategy; /* "all-to-one" */
    int target;
    double rate;
    const char *reg;     /* "none" */
    int seed;
    const char *retrain; /* "none" */
    const char *status;  /* "done" */
    const char *error;   /* for failed cells */
} Row;

static inline void rows_exec(BdDb *db, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *sql = sqlite3_vmprintf(fmt, ap);
    va_end(ap);
    char *msg = NULL;
    if (sqlite3_exec(bd_db_sqlite(db), sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "rows_exec: %s\n  in: %s\n", msg, sql);
        check_failures++;
    }
    sqlite3_free(msg);
    sqlite3_free(sql);
}

/* Inserts the cell and returns its id. */
static inline long rows_cell(BdDb *db, Row r) {
    const char *dataset = r.dataset ? r.dataset : "synthetic(size=8,test=20,train=10)";
    const char *arch = r.arch ? r.arch : "cnn-small", *trigger = r.trigger ? r.trigger : "square";
    const char *strategy = r.strategy ? r.strategy : "all-to-one", *reg = r.reg ? r.reg : "none";
    const char *retrain = r.retrain ? r.retrain : "none", *status = r.status ? r.status : "done";
    rows_exec(db,
              "INSERT INTO cells(key, kind, dataset, arch, trigger, strategy, target, poison_rate, regularizer, seed, "
              "init, train, retrain, cell_seed, status, attempts, error) VALUES "
              "('dataset=%q arch=%q trigger=%q strategy=%q target=%d poison_rate=%.17g regularizer=%q seed=%d "
              "retrain=%q', 'cell', %Q, %Q, %Q, %Q, %d, %.17g, %Q, %d, 'scratch', 'sgd(epochs=2)', %Q, "
              "'0123456789abcdef', %Q, %d, %Q)",
              dataset, arch, trigger, strategy, r.target, r.rate, reg, r.seed, retrain, dataset, arch, trigger,
              strategy, r.target, r.rate, reg, r.seed, retrain, status, strcmp(status, "pending") ? 1 : 0, r.error);
    return (long)sqlite3_last_insert_rowid(bd_db_sqlite(db));
}

/* clean_acc, asr, triggered_acc = 1 - asr, loss of one epoch of a phase. */
static inline void rows_metrics(BdDb *db, long cell, const char *phase, int epoch, double clean_acc, double asr) {
    rows_exec(db,
              "INSERT INTO metrics(cell_id, phase, epoch, name, value) VALUES (%ld, %Q, %d, 'clean_acc', %.17g), "
              "(%ld, %Q, %d, 'asr', %.17g), (%ld, %Q, %d, 'triggered_acc', %.17g), (%ld, %Q, %d, 'loss', %.17g)",
              cell, phase, epoch, clean_acc, cell, phase, epoch, asr, cell, phase, epoch, 1 - asr, cell, phase, epoch,
              1.0 / epoch);
}

/* A done cell trained 2 epochs whose final numbers are (clean_acc, asr). */
static inline long rows_done(BdDb *db, Row r, double clean_acc, double asr) {
    long id = rows_cell(db, r);
    rows_metrics(db, id, "train", 1, clean_acc - 0.1, asr / 2);
    rows_metrics(db, id, "train", 2, clean_acc, asr);
    return id;
}

/* One number from a query; NAN for NULL or no row. */
static inline double rows_num(BdDb *db, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *sql = sqlite3_vmprintf(fmt, ap);
    va_end(ap);
    sqlite3_stmt *st;
    double v = NAN;
    if (sqlite3_prepare_v2(bd_db_sqlite(db), sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "rows_num: %s\n  in: %s\n", sqlite3_errmsg(bd_db_sqlite(db)), sql);
        check_failures++;
        sqlite3_free(sql);
        return NAN;
    }
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) v = sqlite3_column_double(st, 0);
    sqlite3_finalize(st);
    sqlite3_free(sql);
    return v;
}

/* One text from a query, into a static buffer ("(null)" for NULL, "(none)" for no row). */
static inline const char *rows_text(BdDb *db, const char *fmt, ...) {
    static char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    char *sql = sqlite3_vmprintf(fmt, ap);
    va_end(ap);
    sqlite3_stmt *st;
    snprintf(buf, sizeof buf, "(error)");
    if (sqlite3_prepare_v2(bd_db_sqlite(db), sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "rows_text: %s\n  in: %s\n", sqlite3_errmsg(bd_db_sqlite(db)), sql);
        check_failures++;
    } else {
        int rc = sqlite3_step(st);
        if (rc != SQLITE_ROW) snprintf(buf, sizeof buf, "(none)");
        else if (sqlite3_column_type(st, 0) == SQLITE_NULL) snprintf(buf, sizeof buf, "(null)");
        else snprintf(buf, sizeof buf, "%s", (const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
    }
    sqlite3_free(sql);
    return buf;
}

#endif
