/* The results database: creation, idempotent registration, the cell state
 * machine, metric upserts, the cell_results view, requeue, the run lock,
 * schema versions and migration, refusal of foreign files, and that the
 * example queries of results/queries.sql run against the schema.
 * Usage: test_db SOURCE_ROOT */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "build_info.h"
#include "check.h"
#include "db/db.h"
#include "rng.h"
#include "sweep/testenv.h"

static const char *src_root;
static char *dir;
static int n_db;

static void new_db_path(char *out, size_t cap) { snprintf(out, cap, "%s/db%d/sub/results.db", dir, n_db++); }

static BdDb *open_new(char *path, size_t cap) {
    new_db_path(path, cap);
    BdDb *db = NULL;
    BdError err = {0};
    CHECK_MSG(bd_db_open(path, 1, &db, &err) == 0, "%s", err.msg);
    return db;
}

/* One integer from a query (or -1). */
static long long q_int(BdDb *db, const char *sql) {
    sqlite3_stmt *st;
    long long v = -1;
    if (sqlite3_prepare_v2(bd_db_sqlite(db), sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "query failed: %s: %s\n", sql, sqlite3_errmsg(bd_db_sqlite(db)));
        return -2;
    }
    if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* One text from a query, copied into a static buffer ("" when NULL). */
static const char *q_text(BdDb *db, const char *sql) {
    static char buf[8192];
    sqlite3_stmt *st;
    buf[0] = '\0';
    if (sqlite3_prepare_v2(bd_db_sqlite(db), sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "query failed: %s: %s\n", sql, sqlite3_errmsg(bd_db_sqlite(db)));
        return "(error)";
    }
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(buf, sizeof buf, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return buf;
}

static void exec(BdDb *db, const char *sql) {
    char *msg = NULL;
    if (sqlite3_exec(bd_db_sqlite(db), sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "exec failed: %s: %s\n", sql, msg);
        check_failures++;
    }
    sqlite3_free(msg);
}

/* The layout of a database, for comparing a migrated file with a fresh one:
 * every table, index and view by name, each table's and view's columns in
 * name order with their type, NOT NULL and key flags (the order of the
 * columns differs: a migration appends them). Caller frees. */
static char *schema_shape(BdDb *db) {
    sqlite3_stmt *st;
    const char *sql =
        "SELECT m.type, m.name, m.tbl_name, (SELECT group_concat(x, ', ') FROM (SELECT p.name || ' ' || p.type || "
        "  CASE WHEN p.\"notnull\" THEN ' not null' ELSE '' END || CASE WHEN p.pk THEN ' key' ELSE '' END AS x "
        "  FROM pragma_table_info(m.name) p ORDER BY p.name)) "
        "FROM sqlite_master m WHERE m.name NOT LIKE 'sqlite_%' ORDER BY m.type, m.name";
    size_t cap = 1 << 16, o = 0;
    char *out = malloc(cap);
    out[0] = '\0';
    if (sqlite3_prepare_v2(bd_db_sqlite(db), sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "schema_shape: %s\n", sqlite3_errmsg(bd_db_sqlite(db)));
        check_failures++;
        return out;
    }
    while (sqlite3_step(st) == SQLITE_ROW && o < cap) {
        const char *cols = (const char *)sqlite3_column_text(st, 3);
        o += (size_t)snprintf(out + o, cap - o, "%s %s on %s: %s\n", sqlite3_column_text(st, 0),
                              sqlite3_column_text(st, 1), sqlite3_column_text(st, 2), cols ? cols : "");
    }
    sqlite3_finalize(st);
    CHECK_MSG(o < cap, "schema_shape: more than %zu bytes", cap);
    return out;
}

static BdSweep load_sweep(const char *rel_or_abs) {
    char path[4096];
    if (rel_or_abs[0] == '/') snprintf(path, sizeof path, "%s", rel_or_abs);
    else snprintf(path, sizeof path, "%s/%s", src_root, rel_or_abs);
    BdSweep sw;
    BdError err = {0};
    CHECK_MSG(bd_sweep_load(path, BD_SWEEP_QUIET, &sw, &err) == 0, "%s", err.msg);
    return sw;
}

/* smoke with poison rates 0.02 and 0.05: six cells that each train their own
 * model, so that cell i of the sweep is row i + 1. */
static BdSweep load_poisoned_smoke(void) {
    char src[4096], out[4096];
    snprintf(src, sizeof src, "%s/sweeps/smoke.yaml", src_root);
    snprintf(out, sizeof out, "%s/smoke-poisoned.yaml", dir);
    char *yaml = test_read(src), *edited = malloc(strlen(yaml) + 64), *o = edited;
    for (const char *p = yaml; *p;) { /* every "0.0" of the file is the rate 0 */
        if (!strncmp(p, "0.0,", 4)) {
            o += sprintf(o, "0.02,");
            p += 4;
        } else *o++ = *p++;
    }
    *o = '\0';
    test_write(out, edited);
    free(edited);
    free(yaml);
    return load_sweep(out);
}

/* The row of the sweep's cell i. */
static int64_t row_of(BdDb *db, const BdSweep *sw, int i) {
    char sql[8400];
    snprintf(sql, sizeof sql, "SELECT id FROM cells WHERE key = '%s'", sw->cells[i].key);
    return q_int(db, sql);
}

/* ---- creation ------------------------------------------------------------------- */

static void test_create(void) {
    char path[4096];
    BdDb *db = open_new(path, sizeof path); /* creates db0/sub/ too */
    CHECK(db != NULL);
    if (!db) return;
    CHECK_STR(bd_db_path(db), path);
    char version[16];
    snprintf(version, sizeof version, "%d", BD_DB_SCHEMA_VERSION);
    CHECK_STR(q_text(db, "SELECT value FROM meta WHERE key = 'schema_version'"), version);
    CHECK_STR(q_text(db, "PRAGMA journal_mode"), "wal");
    CHECK(q_int(db, "PRAGMA foreign_keys") == 1);
    CHECK(q_int(db, "PRAGMA synchronous") == 2); /* FULL */
    CHECK(q_int(db, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN "
                    "('meta','sweeps','cells','sweep_cells','metrics','runs','run_ranks','axis_values',"
                    "'axis_value_parameters')") == 9);
    CHECK(q_int(db, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'view' AND name = 'cell_results'") == 1);
    /* Its identity: 32 hex digits, kept when reopened, another file's differs. */
    char id[64];
    snprintf(id, sizeof id, "%s", bd_db_id(db));
    CHECK(strlen(id) == 32 && strspn(id, "0123456789abcdef") == 32);
    CHECK_STR(q_text(db, "SELECT value FROM meta WHERE key = 'database_id'"), id);
    bd_db_close(db);
    /* Reopening an existing database without create. */
    BdError err = {0};
    CHECK_MSG(bd_db_open(path, 0, &db, &err) == 0, "%s", err.msg);
    if (db) CHECK_STR(bd_db_id(db), id);
    bd_db_close(db);
    CHECK_MSG(bd_db_open_read(path, &db, &err) == 0, "%s", err.msg);
    if (db) CHECK_STR(bd_db_id(db), id);
    bd_db_close(db);
    char other_path[4096];
    BdDb *other = open_new(other_path, sizeof other_path);
    if (other) CHECK(strcmp(bd_db_id(other), id) != 0);
    bd_db_close(other);
}

/* ---- registration ----------------------------------------------------------------- */

static void test_register(void) {
    char path[4096];
    BdDb *db = open_new(path, sizeof path);
    BdSweep sw = load_sweep("sweeps/smoke.yaml");
    BdError err = {0};
    int64_t id1 = 0, id2 = 0;
    int n_new = -1;
    CHECK_MSG(bd_db_register(db, &sw, &id1, &n_new, &err) == 0, "%s", err.msg);
    /* 6 cells; the 2 of rate 0 are measured on the clean model of their seed. */
    CHECK(id1 > 0 && n_new == 8);
    /* Again: nothing new anywhere. */
    CHECK(bd_db_register(db, &sw, &id2, &n_new, &err) == 0);
    CHECK(id2 == id1 && n_new == 0);
    CHECK(q_int(db, "SELECT COUNT(*) FROM cells") == 8);
    CHECK(q_int(db, "SELECT COUNT(*) FROM cells WHERE kind = 'clean'") == 2);
    CHECK(q_int(db, "SELECT COUNT(*) FROM sweep_cells") == 8);
    CHECK_STR(q_text(db, "SELECT group_concat(key, ' | ') FROM (SELECT key FROM cells WHERE kind = 'clean' ORDER BY id)"),
              "clean dataset=fashion-mnist arch=cnn-small seed=1 train=sgd(epochs=2,limit_test=1000,limit_train=4000) | "
              "clean dataset=fashion-mnist arch=cnn-small seed=2 train=sgd(epochs=2,limit_test=1000,limit_train=4000)");
    /* A rate-0 cell's model is its seed's clean model; a poisoned cell is its own; a job is its own. */
    CHECK(q_int(db, "SELECT COUNT(*) FROM cells c JOIN cells m ON m.id = c.model_id WHERE c.kind = 'cell' "
                    "AND c.poison_rate = 0 AND m.kind = 'clean' AND m.seed = c.seed") == 2);
    CHECK(q_int(db, "SELECT COUNT(*) FROM cells WHERE model_id = id") == 6);
    CHECK_STR(q_text(db, "SELECT group_concat(DISTINCT attack) FROM cells WHERE kind = 'cell'"),
              "trigger=square,trigger=square(location=top-left,size=4)");
    CHECK(q_int(db, "SELECT COUNT(*) FROM cells WHERE kind = 'clean' AND attack IS NULL AND trigger IS NULL") == 2);
    CHECK(q_int(db, "SELECT COUNT(*) FROM sweeps") == 1);
    CHECK_STR(q_text(db, "SELECT name FROM sweeps"), "smoke");
    CHECK(q_int(db, "SELECT n_cells FROM sweeps") == 6);
    CHECK(q_int(db, "SELECT COUNT(*) FROM sweeps WHERE yaml LIKE '%exclude:%' "
                    "AND submitted_at LIKE '20__-__-__T__:__:__.___Z'") == 1);

    /* The columns: canonical axis texts, numbers as numbers, the seed as hex. */
    CHECK(q_int(db, "SELECT COUNT(*) FROM cells WHERE status = 'pending' AND attempts = 0 AND kind = 'cell'") == 6);
    CHECK_STR(q_text(db, "SELECT typeof(target) || typeof(poison_rate) || typeof(seed) FROM cells WHERE kind = 'cell' "
                         "LIMIT 1"),
              "integerrealinteger");
    CHECK_STR(q_text(db, "SELECT trigger FROM cells WHERE kind = 'cell' ORDER BY id DESC LIMIT 1"),
              "square(location=top-left,size=4)");
    CHECK_STR(q_text(db, "SELECT strategy || ' ' || regularizer || ' ' || init || ' ' || retrain FROM cells "
                         "WHERE kind = 'cell' LIMIT 1"),
              "all-to-one none scratch none");
    CHECK_STR(q_text(db, "SELECT train FROM cells LIMIT 1"), "sgd(epochs=2,limit_test=1000,limit_train=4000)");
    char hex[32], sql[8400];
    snprintf(hex, sizeof hex, "%016" PRIx64, bd_hash_str(sw.cells[0].key));
    snprintf(sql, sizeof sql, "SELECT cell_seed FROM cells WHERE key = '%s'", sw.cells[0].key);
    CHECK_STR(q_text(db, sql), hex);

    /* The parameters as data: every default filled in, numbers as numbers,
     * each value stored once. */
    CHECK_STR(q_text(db, "SELECT group_concat(name || '=' || value || ':' || typeof(value), ' ') FROM "
                         "(SELECT name, value FROM cell_parameters WHERE cell_id = (SELECT MIN(id) FROM cells WHERE kind = 'cell') "
                         "AND axis = 'trigger' ORDER BY name)"),
              "alpha=1.0:real color=[255]:text location=bottom-right:text margin=0:integer size=3:integer");
    CHECK_STR(q_text(db, "SELECT value || ':' || typeof(value) FROM cell_parameters WHERE cell_id = (SELECT id FROM "
                         "cells WHERE trigger = 'square(location=top-left,size=4)' LIMIT 1) AND axis = 'trigger' "
                         "AND name = 'size'"),
              "4:integer");
    CHECK_STR(q_text(db, "SELECT value || ':' || typeof(value) FROM cell_parameters WHERE cell_id = (SELECT MIN(id) FROM cells "
                         "WHERE kind = 'cell') AND axis = 'train' AND name = 'limit_train'"),
              "4000:integer");
    CHECK(q_int(db, "SELECT COUNT(*) FROM axis_values WHERE axis = 'trigger'") == 2);
    CHECK(q_int(db, "SELECT COUNT(DISTINCT axis) FROM cell_parameters") > 3);
    CHECK(q_int(db, "SELECT COUNT(*) FROM cell_parameters WHERE axis IN ('target', 'poison_rate', 'seed')") == 0);

    /* In sweep order. */
    BdDbCell *cells;
    int n;
    CHECK(bd_db_sweep_cells(db, id1, &cells, &n, &err) == 0);
    CHECK(n == 8);
    /* The grid's cells in sweep order, each clean model just before its first cell. */
    for (int i = 0, k = 0; i < n; i++) {
        CHECK(cells[i].status == BD_DB_PENDING);
        if (cells[i].kind == BD_JOB_CLEAN) {
            CHECK(i + 1 < n && cells[i + 1].model_id == cells[i].id);
            continue;
        }
        if (k < sw.n_cells) CHECK_STR(cells[i].key, sw.cells[k].key);
        k++;
    }
    bd_db_cells_free(cells, n);

    /* A changed file under the same name is a new submission that shares the
     * cells it has in common. */
    char changed[4096];
    snprintf(changed, sizeof changed, "%s/smoke3.yaml", dir);
    char src[4096];
    snprintf(src, sizeof src, "%s/sweeps/smoke.yaml", src_root);
    char *yaml = test_read(src);
    char *p = strstr(yaml, "seed: [1, 2]");
    CHECK(p != NULL);
    if (p) {
        char *edited = malloc(strlen(yaml) + 8);
        snprintf(edited, strlen(yaml) + 8, "%.*sseed: [1, 2, 3]%s", (int)(p - yaml), yaml, p + strlen("seed: [1, 2]"));
        test_write(changed, edited);
        free(edited);
    }
    free(yaml);
    BdSweep sw3 = load_sweep(changed);
    CHECK(sw3.n_cells == 9);
    int64_t id3;
    CHECK(bd_db_register(db, &sw3, &id3, &n_new, &err) == 0);
    CHECK(id3 != id1 && n_new == 4); /* the cells of seed 3 and its clean model */
    CHECK(q_int(db, "SELECT COUNT(*) FROM cells") == 12);
    CHECK(q_int(db, "SELECT COUNT(*) FROM sweep_cells") == 20);
    CHECK(q_int(db, "SELECT COUNT(*) FROM sweeps") == 2);
    int counts[BD_DB_STATUS_COUNT];
    CHECK(bd_db_counts(db, id3, counts, &err) == 0 && counts[BD_DB_PENDING] == 12);
    CHECK(bd_db_counts(db, id1, counts, &err) == 0 && counts[BD_DB_PENDING] == 8);
    CHECK(bd_db_counts(db, 0, counts, &err) == 0 && counts[BD_DB_PENDING] == 12);
    bd_sweep_free(&sw3);
    bd_sweep_free(&sw);
    bd_db_close(db);
}

/* ---- states and metrics -------------------------------------------------------------- */

static void test_states(void) {
    char path[4096];
    BdDb *db = open_new(path, sizeof path);
    BdSweep sw = load_poisoned_smoke();
    BdError err = {0};
    int64_t sid;
    int n_new, counts[BD_DB_STATUS_COUNT];
    CHECK(bd_db_register(db, &sw, &sid, &n_new, &err) == 0);
    CHECK(n_new == 6 && row_of(db, &sw, 0) == 1 && row_of(db, &sw, 5) == 6);

    /* pending -> running */
    CHECK_MSG(bd_db_mark_running(db, 1, 3, "node7", &err) == 0, "%s", err.msg);
    CHECK_STR(q_text(db, "SELECT status || ' ' || attempts || ' ' || rank || ' ' || host FROM cells WHERE id = 1"),
              "running 1 3 node7");
    CHECK(q_int(db, "SELECT started_at LIKE '20__-__-__T__:__:__.___Z' FROM cells WHERE id = 1") == 1);
    /* running -> running is refused */
    CHECK(bd_db_mark_running(db, 1, 2, "node8", &err) < 0);
    CHECK_CONTAINS(err.msg, ": cell 1 is running: cannot mark it running (expected a cell that is pending or failed)");
    CHECK(q_int(db, "SELECT attempts FROM cells WHERE id = 1") == 1);

    /* Metrics: an upsert never duplicates a row. */
    const char *names[] = {"loss", "clean_acc", "asr", "triggered_acc"};
    double e1[] = {1.5, 0.6, 0.2, 0.5}, e2[] = {0.9, 0.8, 0.95, 0.05}, e2b[] = {0.7, 0.85, 0.97, 0.03};
    CHECK(bd_db_add_metrics(db, 1, "train", 1, "", names, e1, 4, &err) == 0);
    CHECK(bd_db_add_metrics(db, 1, "train", 2, "", names, e2, 4, &err) == 0);
    CHECK(bd_db_add_metrics(db, 1, "train", 2, "", names, e2b, 4, &err) == 0);
    CHECK(q_int(db, "SELECT COUNT(*) FROM metrics WHERE cell_id = 1") == 8);
    CHECK(q_int(db, "SELECT value * 100 FROM metrics WHERE cell_id = 1 AND epoch = 2 AND name = 'clean_acc'") == 85);
    double nan_value = NAN;
    const char *loss_only[] = {"loss"};
    CHECK(bd_db_add_metrics(db, 1, "train", 3, "", loss_only, &nan_value, 1, &err) == 0);
    CHECK(q_int(db, "SELECT value IS NULL FROM metrics WHERE cell_id = 1 AND epoch = 3") == 1);
    exec(db, "DELETE FROM metrics WHERE epoch = 3");
    /* A metric of a cell that does not exist is refused by the foreign key. */
    CHECK(bd_db_add_metrics(db, 999, "train", 1, "", names, e1, 4, &err) < 0);
    CHECK_CONTAINS(err.msg, "storing metric train/1/loss of cell 999: FOREIGN KEY constraint failed");
    CHECK(q_int(db, "SELECT COUNT(*) FROM metrics WHERE cell_id = 999") == 0);

    /* running -> done */
    BdCellReport r = {.wall_seconds = 12.5, .params = 421642, .gflops_per_image = 0.0123};
    CHECK_MSG(bd_db_mark_done(db, 1, &r, &err) == 0, "%s", err.msg);
    CHECK_STR(q_text(db, "SELECT status || ' ' || wall_seconds || ' ' || params || ' ' || gflops_per_image FROM cells "
                         "WHERE id = 1"),
              "done 12.5 421642 0.0123");
    CHECK(q_int(db, "SELECT finished_at IS NOT NULL AND error IS NULL FROM cells WHERE id = 1") == 1);
    /* A done cell is never trained again; a pending one cannot finish. */
    CHECK(bd_db_mark_running(db, 1, 0, "h", &err) < 0);
    CHECK_CONTAINS(err.msg, "cell 1 is done: cannot mark it running");
    CHECK(bd_db_mark_done(db, 2, &r, &err) < 0);
    CHECK_CONTAINS(err.msg, "cell 2 is pending: cannot mark it done (expected a cell that is running)");
    CHECK(bd_db_mark_failed(db, 1, 1.0, "x", &err) < 0);
    CHECK_CONTAINS(err.msg, "cell 1 is done: cannot mark it failed");
    CHECK(bd_db_mark_running(db, 77, 0, "h", &err) < 0);
    CHECK_CONTAINS(err.msg, ": no cell with id 77");

    /* The view: the last train epoch's numbers. */
    CHECK_STR(q_text(db, "SELECT trigger_name || ' ' || epochs || ' ' || clean_acc || ' ' || asr || ' ' || "
                         "triggered_acc || ' ' || train_loss || ' ' || status FROM cell_results WHERE cell_id = 1"),
              "square 2 0.85 0.97 0.03 0.7 done");
    CHECK_STR(q_text(db, "SELECT trigger_name FROM cell_results WHERE cell_id = 6"), "square");
    CHECK(q_int(db, "SELECT COUNT(*) FROM cell_results") == 6);
    CHECK(q_int(db, "SELECT COUNT(*) FROM cell_results WHERE epochs IS NULL AND asr IS NULL") == 5);
    /* Pre-training jobs are not result rows. */
    exec(db, "INSERT INTO cells(key, kind, cell_seed) VALUES ('pretrain x', 'pretrain', '00')");
    CHECK(q_int(db, "SELECT COUNT(*) FROM cell_results") == 6);

    /* running -> failed -> running (retry): error cleared, the count of
     * attempts started again (a retry is a new start, and the limit of
     * attempts of a lost job counts from it), the failed attempt's metrics
     * gone. */
    CHECK(bd_db_mark_running(db, 2, 1, "node1", &err) == 0);
    CHECK(bd_db_add_metrics(db, 2, "train", 1, "", names, e1, 4, &err) == 0);
    CHECK(bd_db_mark_failed(db, 2, 3.25, "rank 1: out of memory\nat epoch 1", &err) == 0);
    CHECK_STR(q_text(db, "SELECT status || ' ' || wall_seconds || ' ' || error FROM cells WHERE id = 2"),
              "failed 3.25 rank 1: out of memory\nat epoch 1");
    CHECK(bd_db_mark_running(db, 2, 2, "node2", &err) == 0);
    CHECK_STR(q_text(db, "SELECT status || ' ' || attempts || ' ' || (error IS NULL) || ' ' || host FROM cells WHERE "
                         "id = 2"),
              "running 1 1 node2");
    CHECK(q_int(db, "SELECT COUNT(*) FROM metrics WHERE cell_id = 2") == 0);
    /* pending -> failed (a cell that cannot start) */
    CHECK(bd_db_mark_failed(db, 3, 0, "", &err) == 0);
    CHECK_STR(q_text(db, "SELECT error FROM cells WHERE id = 3"), "(no message)");

    CHECK(bd_db_counts(db, sid, counts, &err) == 0);
    CHECK(counts[BD_DB_PENDING] == 3 && counts[BD_DB_RUNNING] == 1 && counts[BD_DB_DONE] == 1 &&
          counts[BD_DB_FAILED] == 1);

    /* Requeue: running -> pending, for this sweep's cells only. */
    int n;
    CHECK(bd_db_requeue_running(db, sid + 1, &n, &err) == 0 && n == 0);
    CHECK(bd_db_mark_running(db, 4, 0, "node0", &err) == 0);
    CHECK(bd_db_requeue_running(db, sid, &n, &err) == 0 && n == 2);
    CHECK(q_int(db, "SELECT COUNT(*) FROM cells WHERE status = 'running'") == 0);
    CHECK_STR(q_text(db, "SELECT status || ' ' || attempts || ' ' || (rank IS NULL) FROM cells WHERE id = 4"),
              "pending 1 1");
    CHECK(bd_db_mark_running(db, 4, 0, "node0", &err) == 0);
    CHECK(bd_db_requeue_running(db, 0, &n, &err) == 0 && n == 1);
    /* A stopped attempt (a time limit, a signal) is continued, not lost: it
     * gives its attempt back; a lost one (requeued above) keeps it. */
    CHECK(bd_db_mark_running(db, 4, 0, "node0", &err) == 0);
    CHECK(q_int(db, "SELECT attempts FROM cells WHERE id = 4") == 3);
    CHECK_MSG(bd_db_mark_stopped(db, 4, &err) == 0, "%s", err.msg);
    CHECK_STR(q_text(db, "SELECT status || ' ' || attempts FROM cells WHERE id = 4"), "pending 2");

    /* The sweep's cells carry their state. */
    BdDbCell *cells;
    CHECK(bd_db_sweep_cells(db, sid, &cells, &n, &err) == 0 && n == 6);
    if (n == 6) {
        CHECK(cells[0].status == BD_DB_DONE);
        CHECK(cells[2].status == BD_DB_FAILED);
        CHECK(cells[3].attempts == 2);
    }
    bd_db_cells_free(cells, n);
    bd_sweep_free(&sw);
    bd_db_close(db);
}

/* ---- the run lock ------------------------------------------------------------------ */

static void test_runs(void) {
    char path[4096], host[256];
    gethostname(host, sizeof host);
    host[sizeof host - 1] = '\0';
    BdDb *db = open_new(path, sizeof path);
    BdError err = {0};
    int64_t r1, r2;
    CHECK_MSG(bd_db_run_begin(db, 0, 4, &r1, &err) == 0, "%s", err.msg);
    CHECK(q_int(db, "SELECT pid FROM runs") == (long long)getpid());
    CHECK(q_int(db, "SELECT ranks FROM runs") == 4);
    /* A second run while the first is alive (this very process) is refused. */
    CHECK(bd_db_run_begin(db, 0, 2, &r2, &err) < 0);
    char want[8192];
    snprintf(want, sizeof want, "another bdsweep run (pid %ld on %s) is using %s since %s", (long)getpid(), host,
             path, q_text(db, "SELECT started_at FROM runs"));
    CHECK_CONTAINS(err.msg, want);
    CHECK(q_int(db, "SELECT COUNT(*) FROM runs") == 1);
    CHECK(bd_db_run_heartbeat(db, r1, &err) == 0);
    CHECK(bd_db_run_end(db, r1, 0, &err) == 0);
    CHECK(q_int(db, "SELECT exit_status FROM runs WHERE id = 1") == 0);
    CHECK(bd_db_run_heartbeat(db, r1, &err) < 0);
    CHECK_CONTAINS(err.msg, "run 1 does not exist or has finished");
    CHECK(bd_db_run_end(db, r1, 0, &err) < 0);

    /* After the end, a new run may start; on another host with a fresh
     * heartbeat it holds the database... */
    CHECK(bd_db_run_begin(db, 0, 1, &r2, &err) == 0);
    exec(db, "UPDATE runs SET host = 'elsewhere', pid = 1 WHERE finished_at IS NULL");
    int64_t r3;
    CHECK(bd_db_run_begin(db, 0, 1, &r3, &err) < 0);
    CHECK_CONTAINS(err.msg, "another bdsweep run (pid 1 on elsewhere)");
    /* ...until its heartbeat is older than BD_DB_RUN_STALE_SECONDS. */
    exec(db, "UPDATE runs SET heartbeat_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-200 seconds') "
             "WHERE finished_at IS NULL");
    CHECK_MSG(bd_db_run_begin(db, 0, 1, &r3, &err) == 0, "%s", err.msg);
    /* On this host, a run whose process is gone does not hold it either. */
    pid_t child = fork();
    if (child == 0) _exit(0);
    waitpid(child, NULL, 0);
    char sql[256];
    snprintf(sql, sizeof sql, "UPDATE runs SET pid = %ld WHERE id = %" PRId64, (long)child, r3);
    exec(db, sql);
    int64_t r4;
    CHECK_MSG(bd_db_run_begin(db, 0, 1, &r4, &err) == 0, "%s", err.msg);
    CHECK(r4 == 4);
    bd_db_close(db);
}

/* ---- provenance: the build, the sweep and the ranks of a run, the run of a cell ----------------- */

static void test_provenance(void) {
    char path[4096], host[256], want[8192];
    gethostname(host, sizeof host);
    host[sizeof host - 1] = '\0';
    BdDb *db = open_new(path, sizeof path);
    BdSweep sw = load_sweep("sweeps/smoke.yaml");
    BdError err = {0};
    int64_t run, sid;
    int n_new;
    const BdBuildInfo *b = bd_build_info();
    /* As a run does it: the run (the lock) first, then the sweep. */
    CHECK_MSG(bd_db_run_begin(db, 0, 3, &run, &err) == 0, "%s", err.msg);
    CHECK(bd_db_register(db, &sw, &sid, &n_new, &err) == 0);
    CHECK_MSG(bd_db_run_set_sweep(db, run, sid, &err) == 0, "%s", err.msg);
    CHECK(q_int(db, "SELECT sweep_id FROM runs") == sid);
    CHECK_STR(q_text(db, "SELECT version FROM runs"), b->version);
    CHECK_STR(q_text(db, "SELECT COALESCE(git_commit, '') FROM runs"), b->git_commit);
    CHECK_STR(q_text(db, "SELECT build_options FROM runs"), b->options);
    CHECK(strstr(b->options, "buildtype=") && strstr(b->options, "blas="));
    snprintf(want, sizeof want, "0@%s", host);
    CHECK_STR(q_text(db, "SELECT group_concat(rank || '@' || host) FROM run_ranks"), want);
    CHECK(bd_db_run_add_rank(db, run, 2, "node7", &err) == 0 && bd_db_run_add_rank(db, run, 1, "node7", &err) == 0);
    snprintf(want, sizeof want, "0@%s,1@node7,2@node7", host);
    CHECK_STR(q_text(db, "SELECT group_concat(rank || '@' || host) FROM (SELECT * FROM run_ranks ORDER BY rank)"), want);

    /* A cell records the run that finished it; a new attempt clears it.
     * Three cells of the grid (each treated as its own job here). */
    int64_t c[3];
    for (int k = 0; k < 3; k++) {
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT id FROM cells WHERE kind = 'cell' ORDER BY id LIMIT 1 OFFSET %d", k);
        c[k] = q_int(db, sql);
    }
    char sql[256];
    BdCellReport r = {.wall_seconds = 1, .params = 2, .gflops_per_image = 3};
    CHECK(bd_db_mark_running(db, c[0], 1, "node7", &err) == 0);
    snprintf(sql, sizeof sql, "SELECT run_id IS NULL FROM cells WHERE id = %" PRId64, c[0]);
    CHECK(q_int(db, sql) == 1);
    CHECK(bd_db_mark_done(db, c[0], &r, &err) == 0);
    CHECK(bd_db_mark_running(db, c[1], 1, "node7", &err) == 0 && bd_db_mark_failed(db, c[1], 1, "x", &err) == 0);
    CHECK(q_int(db, "SELECT COUNT(*) FROM cells WHERE run_id = 1") == 2);
    CHECK(bd_db_mark_running(db, c[1], 1, "node7", &err) == 0);
    snprintf(sql, sizeof sql, "SELECT run_id IS NULL FROM cells WHERE id = %" PRId64, c[1]);
    CHECK(q_int(db, sql) == 1);
    CHECK(bd_db_mark_done(db, c[1], &r, &err) == 0);
    CHECK(bd_db_run_end(db, run, 0, &err) == 0);
    /* After its end, the handle records no run. */
    CHECK(bd_db_mark_running(db, c[2], 1, "node7", &err) == 0 && bd_db_mark_done(db, c[2], &r, &err) == 0);
    snprintf(sql, sizeof sql, "SELECT run_id IS NULL FROM cells WHERE id = %" PRId64, c[2]);
    CHECK(q_int(db, sql) == 1);

    /* Done cells of another build, or of none recorded, are told apart. */
    char *note = (char *)"unset";
    CHECK(bd_db_other_builds(db, sid, &note, &err) == 1); /* the third: no run */
    CHECK_CONTAINS(note, "1 done cell of this sweep was computed by another build (1 by a build that was not "
                         "recorded); this build is bdsweep ");
    free(note);
    snprintf(sql, sizeof sql, "UPDATE cells SET run_id = 1 WHERE id = %" PRId64, c[2]);
    exec(db, sql);
    CHECK(bd_db_other_builds(db, sid, &note, &err) == 0 && note == NULL);
    exec(db, "UPDATE runs SET git_commit = 'feedc0ffee12'");
    CHECK(bd_db_other_builds(db, sid, &note, &err) == 3);
    snprintf(want, sizeof want, "3 done cells of this sweep were computed by another build (3 by bdsweep %s, commit "
             "feedc0ffee12); this build is bdsweep %s, ", b->version, b->version);
    CHECK_CONTAINS(note, want);
    CHECK_CONTAINS(note, "They are kept, not trained again (bdsweep status lists the builds)");
    free(note);
    exec(db, "UPDATE runs SET git_commit = NULLIF('', ''), build_options = 'native=true'");
    CHECK(bd_db_other_builds(db, sid, &note, &err) == 3);
    CHECK_CONTAINS(note, "3 by bdsweep ");
    CHECK_CONTAINS(note, ", no commit, options native=true); this build is bdsweep ");
    free(note);
    bd_sweep_free(&sw);
    bd_db_close(db);
}

/* ---- versions, migration, foreign files ----------------------------------------------------- */

/* The layout of schema version 0: every table and index of version 1 but `runs`. */
static const char *v0_sql =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "INSERT INTO meta VALUES ('schema_version', '0');"
    "CREATE TABLE sweeps(id INTEGER PRIMARY KEY, name TEXT NOT NULL, path TEXT NOT NULL, yaml TEXT NOT NULL, "
    "  submitted_at TEXT NOT NULL, n_cells INTEGER NOT NULL);"
    "CREATE TABLE cells(id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, kind TEXT NOT NULL DEFAULT 'cell', "
    "  dataset TEXT, arch TEXT, trigger TEXT, strategy TEXT, target INTEGER, poison_rate REAL, regularizer TEXT, "
    "  seed INTEGER, init TEXT, train TEXT, retrain TEXT, cell_seed TEXT NOT NULL, "
    "  status TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0, error TEXT, rank INTEGER, "
    "  host TEXT, started_at TEXT, finished_at TEXT, wall_seconds REAL, params INTEGER, gflops_per_image REAL, "
    "  depends_on INTEGER REFERENCES cells(id));"
    "CREATE INDEX cells_status ON cells(status);"
    "CREATE TABLE sweep_cells(sweep_id INTEGER NOT NULL, cell_id INTEGER NOT NULL, position INTEGER NOT NULL, "
    "  PRIMARY KEY (sweep_id, cell_id)) WITHOUT ROWID;"
    "CREATE INDEX sweep_cells_cell ON sweep_cells(cell_id);"
    "CREATE TABLE metrics(cell_id INTEGER NOT NULL, phase TEXT NOT NULL, epoch INTEGER NOT NULL, name TEXT NOT NULL, "
    "  value REAL, PRIMARY KEY (cell_id, phase, epoch, name)) WITHOUT ROWID;"
    "INSERT INTO cells(key, cell_seed, status) VALUES ('dataset=mnist arch=cnn-small trigger=square poison_rate=0', "
    "  '0123456789abcdef', 'done');"
    "INSERT INTO metrics VALUES (1, 'train', 1, 'clean_acc', 0.8125), (1, 'train', 1, 'asr', 0.125);";

static void make_raw(const char *path, const char *sql) {
    sqlite3 *h;
    CHECK(sqlite3_open(path, &h) == SQLITE_OK);
    char *msg = NULL;
    if (sqlite3_exec(h, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "make_raw: %s\n", msg);
        check_failures++;
    }
    sqlite3_free(msg);
    sqlite3_close(h);
}

static void test_versions(void) {
    char path[4096];
    BdError err = {0};
    BdDb *db;

    /* Newer than this build: refused, untouched. */
    db = open_new(path, sizeof path);
    char sql[128];
    snprintf(sql, sizeof sql, "UPDATE meta SET value = '%d' WHERE key = 'schema_version'", BD_DB_SCHEMA_VERSION + 1);
    exec(db, sql);
    bd_db_close(db);
    CHECK(bd_db_open(path, 1, &db, &err) < 0);
    char want[8192];
    snprintf(want, sizeof want, "%s was written by a newer bdsweep (schema %d, this build knows up to %d)", path,
             BD_DB_SCHEMA_VERSION + 1, BD_DB_SCHEMA_VERSION);
    CHECK_STR(err.msg, want);

    /* Version 0 is migrated in one transaction, keeping the data, to exactly
     * the layout of a fresh database. */
    char v0[4096];
    snprintf(v0, sizeof v0, "%s/v0.db", dir);
    make_raw(v0, v0_sql);
    CHECK_MSG(bd_db_open(v0, 0, &db, &err) == 0, "%s", err.msg);
    BdDb *fresh = open_new(path, sizeof path);
    if (db && fresh) {
        snprintf(want, sizeof want, "%d", BD_DB_SCHEMA_VERSION);
        CHECK_STR(q_text(db, "SELECT value FROM meta WHERE key = 'schema_version'"), want);
        CHECK(q_int(db, "SELECT COUNT(*) FROM cells WHERE status = 'done'") == 1);
        /* The tables, columns, indexes and views of a fresh file (the generated columns appended), filled from
         * the key. */
        char *migrated = schema_shape(db), *made = schema_shape(fresh);
        CHECK_STR(migrated, made);
        free(migrated);
        free(made);
        CHECK_STR(q_text(db, "SELECT baseline_key FROM cells"), "dataset=mnist arch=cnn-small trigger=square poison_rate=0");
        CHECK_STR(q_text(db, "SELECT condition FROM cells"), "dataset=mnist arch=cnn-small trigger=square poison_rate=0");
        CHECK_STR(q_text(db, "SELECT trigger_name FROM cells"), "square");
        CHECK_STR(q_text(db, "SELECT value FROM cell_parameters WHERE axis = 'trigger' AND name = 'size'"), "3");
        CHECK_STR(q_text(db, "SELECT value FROM cell_parameters WHERE axis = 'dataset' AND name = 'path'"),
                  "/usr/share/datasets/mnist");
        CHECK_STR(q_text(db, "SELECT value FROM meta WHERE key = 'axis_parameters'"),
                  q_text(fresh, "SELECT value FROM meta WHERE key = 'axis_parameters'"));
        int64_t run;
        CHECK_MSG(bd_db_run_begin(db, 0, 1, &run, &err) == 0, "%s", err.msg);
        CHECK(q_int(db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'cell_results'") == 1);
        CHECK(q_int(db, "SELECT COUNT(*) FROM cell_results") == 1);
        /* Its numbers kept, on its own model, marked unpaired (written
         * before the random streams were paired), the ASR its attack's. */
        CHECK(q_int(db, "SELECT streams FROM cells") == 1);
        CHECK(q_int(db, "SELECT model_id = id FROM cells") == 1);
        CHECK(q_int(db, "SELECT COUNT(*) FROM metrics WHERE attack = ''") == 1);
        CHECK_STR(q_text(db, "SELECT attack FROM metrics WHERE name = 'asr'"), q_text(db, "SELECT attack FROM cells"));
        CHECK_STR(q_text(db, "SELECT clean_acc || ' ' || asr FROM cell_results"), "0.8125 0.125");
        /* A fresh cell is paired. */
        CHECK(q_int(fresh, "SELECT dflt_value FROM pragma_table_info('cells') WHERE name = 'streams'") == 2);
    }
    bd_db_close(db);
    bd_db_close(fresh);

    /* Version 3, the layout before provenance and parameters (a fresh file
     * taken back): migrated to a fresh file's layout, the parameters of its
     * cells filled from their keys. */
    char v3[4096];
    db = open_new(v3, sizeof v3);
    BdSweep sw = load_sweep("sweeps/smoke.yaml");
    int64_t sid;
    int n_new;
    CHECK(bd_db_register(db, &sw, &sid, &n_new, &err) == 0);
    bd_sweep_free(&sw);
    exec(db, "DROP VIEW cell_parameters; DROP TABLE axis_value_parameters; DROP TABLE axis_values; "
             "DROP TABLE run_ranks; ALTER TABLE runs DROP COLUMN version; ALTER TABLE runs DROP COLUMN git_commit; "
             "ALTER TABLE runs DROP COLUMN build_options; ALTER TABLE cells DROP COLUMN run_id; "
             "DELETE FROM meta WHERE key = 'axis_parameters'; "
             "UPDATE meta SET value = '3' WHERE key = 'schema_version'");
    bd_db_close(db);
    CHECK_MSG(bd_db_open(v3, 0, &db, &err) == 0, "%s", err.msg);
    fresh = open_new(path, sizeof path);
    if (db && fresh) {
        char *migrated = schema_shape(db), *made = schema_shape(fresh);
        CHECK_STR(migrated, made);
        free(migrated);
        free(made);
        CHECK_STR(q_text(db, "SELECT group_concat(DISTINCT p.value || ':' || typeof(p.value)) FROM cells c "
                             "JOIN cell_parameters p ON p.cell_id = c.id AND p.axis = 'trigger' AND p.name = 'size' "
                             "WHERE c.trigger = 'square(location=top-left,size=4)'"),
                  "4:integer");
        CHECK(q_int(db, "SELECT COUNT(*) FROM cells c WHERE NOT EXISTS (SELECT 1 FROM cell_parameters p "
                        "WHERE p.cell_id = c.id AND p.axis = 'train' AND p.name = 'lr')") == 0);
    }
    bd_db_close(db);
    bd_db_close(fresh);

    /* A migration that fails leaves the file as it was. */
    snprintf(v0, sizeof v0, "%s/v0-broken.db", dir);
    make_raw(v0, v0_sql);
    make_raw(v0, "CREATE TABLE runs(x)");
    CHECK(bd_db_open(v0, 0, &db, &err) < 0);
    snprintf(want, sizeof want,
             "migrating the schema from version 0 to %d failed at step 'add the runs table' (the database is "
             "unchanged): ", BD_DB_SCHEMA_VERSION);
    CHECK_CONTAINS(err.msg, want);
    CHECK_CONTAINS(err.msg, "table runs already exists");
    sqlite3 *h;
    sqlite3_open(v0, &h);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(h, "SELECT value FROM meta WHERE key = 'schema_version'", -1, &st, NULL);
    CHECK(sqlite3_step(st) == SQLITE_ROW && !strcmp((const char *)sqlite3_column_text(st, 0), "0"));
    sqlite3_finalize(st);
    sqlite3_close(h);

    /* Not a database; someone else's database; empty; missing; damaged meta. */
    char p[4096];
    snprintf(p, sizeof p, "%s/notes.db", dir);
    test_write(p, "these are my notes, not a database\n");
    CHECK(bd_db_open(p, 1, &db, &err) < 0);
    snprintf(want, sizeof want,
             "%s is not a SQLite database (file is not a database): expected a results database written by bdsweep", p);
    CHECK_STR(err.msg, want);
    char *after = test_read(p);
    CHECK_STR(after, "these are my notes, not a database\n"); /* untouched */
    free(after);

    snprintf(p, sizeof p, "%s/other.db", dir);
    make_raw(p, "CREATE TABLE photos(id); CREATE TABLE albums(id)");
    CHECK(bd_db_open(p, 1, &db, &err) < 0);
    snprintf(want, sizeof want,
             "%s is a SQLite database but not a bdsweep one (tables: albums, photos; no meta table): refusing to use it",
             p);
    CHECK_STR(err.msg, want);

    snprintf(p, sizeof p, "%s/empty.db", dir);
    test_write(p, "");
    CHECK(bd_db_open(p, 0, &db, &err) < 0);
    CHECK_CONTAINS(err.msg, "is an empty database, not a bdsweep results database");
    CHECK_MSG(bd_db_open(p, 1, &db, &err) == 0, "%s", err.msg); /* create=1 may fill an empty file */
    bd_db_close(db);

    snprintf(p, sizeof p, "%s/missing/none.db", dir);
    CHECK(bd_db_open(p, 0, &db, &err) < 0);
    CHECK_CONTAINS(err.msg, "none.db: no such database: expected a results database written by bdsweep run");

    snprintf(p, sizeof p, "%s/nometa.db", dir);
    make_raw(p, "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    CHECK(bd_db_open(p, 0, &db, &err) < 0);
    CHECK_CONTAINS(err.msg, "has a meta table but no schema_version: not a bdsweep results database");

    CHECK(bd_db_open(dir, 1, &db, &err) < 0);
    CHECK_CONTAINS(err.msg, "is not a file: expected a results database");
}

/* A view changed by hand (or by an older build) is restored on open. */
/* The CHECK constraints of results/schema.sql list the job kinds and the
 * statuses that common/job.h and db.h define: every name of the code is
 * accepted, nothing else. */
static void test_vocabulary_matches_schema(void) {
    char path[4096];
    BdDb *db = open_new(path, sizeof path);
    sqlite3 *h = bd_db_sqlite(db);
    for (int k = 0; k < BD_JOB_KIND_COUNT; k++)
        for (int s = 0; s < BD_DB_STATUS_COUNT; s++) {
            char *sql = sqlite3_mprintf("INSERT INTO cells(key, kind, cell_seed, status) VALUES ('k%d-%d', %Q, '0', %Q)",
                                        k, s, bd_job_kind_def((BdJobKind)k)->name, bd_db_status_name((BdCellStatus)s));
            CHECK_MSG(sqlite3_exec(h, sql, NULL, NULL, NULL) == SQLITE_OK, "%s", sqlite3_errmsg(h));
            sqlite3_free(sql);
        }
    CHECK(sqlite3_exec(h, "INSERT INTO cells(key, kind, cell_seed) VALUES ('x', 'bogus', '0')", NULL, NULL, NULL) ==
          SQLITE_CONSTRAINT);
    CHECK(sqlite3_exec(h, "INSERT INTO cells(key, cell_seed, status) VALUES ('y', '0', 'bogus')", NULL, NULL, NULL) ==
          SQLITE_CONSTRAINT);
    bd_db_close(db);
}

static void test_views(void) {
    char path[4096];
    BdDb *db = open_new(path, sizeof path);
    exec(db, "DROP VIEW cell_results; CREATE VIEW cell_results AS SELECT 1 AS x");
    bd_db_close(db);
    BdError err = {0};
    CHECK(bd_db_open(path, 0, &db, &err) == 0);
    CHECK(q_int(db, "SELECT COUNT(*) FROM pragma_table_info('cell_results') WHERE name IN ('asr', 'clean_acc')") == 2);
    bd_db_close(db);
}

/* Every statement of results/queries.sql (the README's examples) compiles and
 * runs against a database with a few results. */
static void test_example_queries(void) {
    char path[4096], qpath[4096];
    BdDb *db = open_new(path, sizeof path);
    BdSweep sw = load_sweep("sweeps/smoke.yaml");
    BdError err = {0};
    int64_t sid;
    int n_new;
    CHECK(bd_db_register(db, &sw, &sid, &n_new, &err) == 0);
    /* The first four cells done as a run does them: each by its model (the
     * two of rate 0 by their seed's clean model), with its history. */
    const char *model_names[] = {"loss", "clean_acc"}, *attack_names[] = {"asr", "triggered_acc"};
    for (int i = 0; i < 4; i++) {
        int64_t cell = row_of(db, &sw, i);
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT model_id FROM cells WHERE id = %lld", (long long)cell);
        int64_t job = q_int(db, sql);
        snprintf(sql, sizeof sql, "SELECT attack FROM cells WHERE id = %lld", (long long)cell);
        char attack[256];
        snprintf(attack, sizeof attack, "%s", q_text(db, sql));
        const char *attacks[] = {attack};
        BdDbDispatch d = {job, &cell, attacks, 1, 0};
        CHECK_MSG(bd_db_job_start(db, &d, 1, "h", &err) == 0, "%s", err.msg);
        BdBuf history;
        bd_buf_init(&history);
        for (int e = 1; e <= 2; e++) {
            double m[] = {1.0 / e, 0.8 + 0.01 * i}, a[] = {0.1 * i, 0.5};
            bd_metrics_put(&history, "train", e, "", model_names, m, 2);
            bd_metrics_put(&history, "train", e, attack, attack_names, a, 2);
        }
        BdCellReport r = {.wall_seconds = 1, .params = 2, .gflops_per_image = 3, .history = history.data,
                          .history_len = history.len};
        CHECK_MSG(bd_db_job_done(db, &d, &r, &err) == 0, "%s", err.msg);
        bd_buf_free(&history);
    }
    int64_t fifth = row_of(db, &sw, 4);
    CHECK(bd_db_mark_running(db, fifth, 1, "h", &err) == 0);
    CHECK(bd_db_mark_failed(db, fifth, 0.5, "synthetic failure", &err) == 0);
    snprintf(qpath, sizeof qpath, "%s/results/queries.sql", src_root);
    char *sql = test_read(qpath);
    CHECK_MSG(strlen(sql) > 100, "%s is missing", qpath);
    const char *p = sql;
    int n = 0;
    while (*p) {
        sqlite3_stmt *st = NULL;
        const char *tail;
        if (sqlite3_prepare_v2(bd_db_sqlite(db), p, -1, &st, &tail) != SQLITE_OK) {
            fprintf(stderr, "results/queries.sql: %s\n  at: %.120s\n", sqlite3_errmsg(bd_db_sqlite(db)), p);
            check_failures++;
            break;
        }
        if (!st) break; /* only comments and blanks were left */
        int rc, rows = 0;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) rows++;
        CHECK_MSG(rc == SQLITE_DONE, "%s", sqlite3_errmsg(bd_db_sqlite(db)));
        CHECK_MSG(rows > 0, "query %d of results/queries.sql returned no row: %.100s", n + 1, sqlite3_sql(st));
        sqlite3_finalize(st);
        n++;
        p = tail;
    }
    CHECK(n >= 4);
    free(sql);
    bd_sweep_free(&sw);
    bd_db_close(db);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: test_db SOURCE_ROOT\n");
        return 2;
    }
    src_root = argv[1];
    dir = test_tmpdir();
    test_create();
    test_register();
    test_states();
    test_runs();
    test_provenance();
    test_versions();
    test_vocabulary_matches_schema();
    test_views();
    test_example_queries();
    test_rmtree(dir);
    free(dir);
    return check_result("test_db");
}
