/* Hand-made results for the view and report tests: cells and metrics written
 * with plain SQL into a database made by bd_db_open, as a run would leave
 * them, so every number a test expects can be worked out by hand. */
#ifndef BD_TEST_ROWS_H
#define BD_TEST_ROWS_H

#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>

#include "axes.h"
#include "cell.h"
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
    int streams;         /* cells.streams: 0 takes the column's default (2, paired streams); 1: unpaired */
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

/* Inserts the cell (every column the axes define filled by the database
 * module, as a run would) and returns its id. */
static inline long rows_cell(BdDb *db, Row r) {
    const char *status = r.status ? r.status : "done";
    char target[32], rate[64], seed[32];
    snprintf(target, sizeof target, "%d", r.target);
    bd_format_double(r.rate, rate, sizeof rate);
    snprintf(seed, sizeof seed, "%d", r.seed);
    const char *texts[BD_AXIS_COUNT] = {
        [BD_AXIS_DATASET] = r.dataset ? r.dataset : "synthetic(size=8,test=20,train=10)",
        [BD_AXIS_ARCH] = r.arch ? r.arch : "cnn-small",
        [BD_AXIS_TRIGGER] = r.trigger ? r.trigger : "square",
        [BD_AXIS_STRATEGY] = r.strategy ? r.strategy : "all-to-one",
        [BD_AXIS_TARGET] = target,
        [BD_AXIS_POISON_RATE] = rate,
        [BD_AXIS_REGULARIZER] = r.reg ? r.reg : "none",
        [BD_AXIS_SEED] = seed,
        [BD_AXIS_INIT] = "scratch",
        [BD_AXIS_TRAIN] = "sgd(epochs=2)",
        [BD_AXIS_RETRAIN] = r.retrain ? r.retrain : "none",
    };
    BdError err = {0};
    int64_t id = 0;
    if (bd_db_add_cell(db, texts, &id, &err) < 0) {
        fprintf(stderr, "rows_cell: %s\n", err.msg);
        check_failures++;
        return -1;
    }
    rows_exec(db, "UPDATE cells SET status = %Q, attempts = %d, error = %Q WHERE id = %lld", status,
              strcmp(status, "pending") ? 1 : 0, r.error, (long long)id);
    if (r.streams) rows_exec(db, "UPDATE cells SET streams = %d WHERE id = %lld", r.streams, (long long)id);
    return (long)id;
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
