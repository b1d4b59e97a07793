/* `bdsweep status`, the executable, on a small database made here: counts,
 * per-sweep lines, failures with their error, running cells, the last run;
 * --sweep; exit codes and messages for wrong databases and arguments.
 * Usage: test_status_cli BDSWEEP SOURCE_ROOT */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "db/db.h"
#include "sweep/testenv.h"

static char *bdsweep, *src_root, *dir;

static int run(char **out, char **err, const char *a1, const char *a2, const char *a3, const char *a4) {
    char *argv[] = {bdsweep, (char *)a1, (char *)a2, (char *)a3, (char *)a4, NULL};
    return test_run(dir, argv, out, err);
}

/* The row of a key. */
static int64_t id_of(BdDb *db, const char *key) {
    sqlite3_stmt *st;
    int64_t id = -1;
    if (sqlite3_prepare_v2(bd_db_sqlite(db), "SELECT id FROM cells WHERE key = ?", -1, &st, NULL) != SQLITE_OK) return -1;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return id;
}

/* smoke (6 cells on 2 clean models and 4 poisoned ones): 1 done, 1 failed,
 * 1 running, 3 pending; one open run. */
static void make_db(const char *path) {
    char sweep_path[4096];
    snprintf(sweep_path, sizeof sweep_path, "%s/sweeps/smoke.yaml", src_root);
    BdSweep sw;
    BdError err = {0};
    BdDb *db;
    CHECK_MSG(bd_sweep_load(sweep_path, BD_SWEEP_QUIET, &sw, &err) == 0, "%s", err.msg);
    CHECK_MSG(bd_db_open(path, 1, &db, &err) == 0, "%s", err.msg);
    int64_t sid, run_id;
    int n_new;
    CHECK(bd_db_register(db, &sw, &sid, &n_new, &err) == 0);
    CHECK(bd_db_run_begin(db, sid, 4, &run_id, &err) == 0);
    const char *names[] = {"loss", "clean_acc", "asr"};
    double v[] = {0.4, 0.88, 0.97};
    BdCellReport r = {.wall_seconds = 30, .params = 100, .gflops_per_image = 0.01};
    int64_t c1 = id_of(db, sw.cells[0].key), c2 = id_of(db, sw.cells[1].key), c3 = id_of(db, sw.cells[2].key);
    CHECK(bd_db_mark_running(db, c1, 1, "node1", &err) == 0);
    CHECK(bd_db_add_metrics(db, c1, "train", 1, "", names, v, 3, &err) == 0);
    CHECK(bd_db_mark_done(db, c1, &r, &err) == 0);
    CHECK(bd_db_mark_running(db, c2, 2, "node2", &err) == 0);
    CHECK(bd_db_mark_failed(db, c2, 4.5, "poison: the pool has 12 samples\nfor 300 poisoned", &err) == 0);
    CHECK(bd_db_mark_running(db, c3, 3, "node7", &err) == 0);
    CHECK(bd_db_run_heartbeat(db, run_id, &err) == 0);
    bd_db_close(db);
    bd_sweep_free(&sw);
}

static void test_status(void) {
    char path[4096], *out, *err;
    snprintf(path, sizeof path, "%s/smoke.db", dir);
    make_db(path);

    CHECK(run(&out, &err, "status", path, NULL, NULL) == 0);
    CHECK_STR(err, "");
    CHECK_CONTAINS(out, "total: 6 cells: 3 pending, 1 running, 1 done, 1 failed\n");
    CHECK_CONTAINS(out, "\nsweeps:\n  smoke (1 submission, last 20");
    CHECK_CONTAINS(out, "): 6 cells: 3 pending, 1 running, 1 done, 1 failed\n");
    CHECK_CONTAINS(out, "\nfailed cells:\n  dataset=fashion-mnist arch=cnn-small trigger=square poison_rate=0 seed=2 "
                        "train=sgd(epochs=2,limit_test=1000,limit_train=4000)\n    attempts 1, failed 20");
    CHECK_CONTAINS(out, " on node2\n    error: poison: the pool has 12 samples\n      for 300 poisoned\n");
    CHECK_CONTAINS(out, "\nrunning cells:\n  dataset=fashion-mnist arch=cnn-small trigger=square poison_rate=0.05 "
                        "seed=1 train=sgd(epochs=2,limit_test=1000,limit_train=4000)\n    rank 3 on node7, since 20");
    CHECK_CONTAINS(out, "\nlast run: #1 of smoke, 4 ranks, pid ");
    CHECK_CONTAINS(out, "  started   20");
    CHECK_CONTAINS(out, "s ago)\n  still running\n");
    CHECK(strstr(out, "no run is alive") == NULL);
    /* The done cell is neither failed nor running. */
    CHECK(strstr(out, "poison_rate=0 seed=1 ") == NULL);
    free(out), free(err);

    /* Only one sweep. */
    CHECK(run(&out, &err, "status", path, "--sweep", "smoke") == 0);
    CHECK_CONTAINS(out, "selected: 6 cells: 3 pending, 1 running, 1 done, 1 failed\n");
    free(out), free(err);
    CHECK(run(&out, &err, "status", "--sweep=nope", path, NULL) == 2);
    char want[8192];
    CHECK_FMT(want, "bdsweep status: no sweep named 'nope' in %s\nhint: the sweeps in %s are: smoke\n", path,
             path);
    CHECK_STR(err, want);
    CHECK_STR(out, "");
    free(out), free(err);

    /* The run ended: its finish and exit status. */
    BdDb *db;
    BdError e = {0};
    CHECK(bd_db_open(path, 0, &db, &e) == 0);
    CHECK(bd_db_run_end(db, 1, 1, &e) == 0);
    bd_db_close(db);
    CHECK(run(&out, &err, "status", path, NULL, NULL) == 0);
    CHECK_CONTAINS(out, "  finished  20");
    CHECK_CONTAINS(out, ", exit status 1\n");
    CHECK_CONTAINS(out, "(no run is alive: these cells were left by a run that stopped");
    free(out), free(err);
}

static void test_empty_db(void) {
    char path[4096], *out, *err;
    snprintf(path, sizeof path, "%s/new.db", dir);
    BdDb *db;
    BdError e = {0};
    CHECK(bd_db_open(path, 1, &db, &e) == 0);
    bd_db_close(db);
    CHECK(run(&out, &err, "status", path, NULL, NULL) == 0);
    CHECK_FMT(e.msg, "database %s\ntotal: 0 cells: 0 pending, 0 running, 0 done, 0 failed\n\nno run yet\n", path);
    CHECK_STR(out, e.msg);
    free(out), free(err);
}

static void test_errors(void) {
    char path[4096], *out, *err, want[8192];
    CHECK(run(&out, &err, "status", "--help", NULL, NULL) == 0);
    CHECK_CONTAINS(out, "usage: bdsweep status PATH.db [--sweep NAME]");
    free(out), free(err);

    CHECK(run(&out, &err, "status", NULL, NULL, NULL) == 2);
    CHECK_CONTAINS(err, "bdsweep status: missing the database\nhint: ");
    free(out), free(err);
    CHECK(run(&out, &err, "status", "x.db", "--verbose", NULL) == 2);
    CHECK_STR(err, "bdsweep status: unknown option '--verbose'\nhint: bdsweep status --help\n");
    free(out), free(err);
    CHECK(run(&out, &err, "status", "x.db", "--sweep", NULL) == 2);
    CHECK_CONTAINS(err, "--sweep needs a sweep name");
    free(out), free(err);

    snprintf(path, sizeof path, "%s/absent.db", dir);
    CHECK(run(&out, &err, "status", path, NULL, NULL) == 2);
    snprintf(want, sizeof want,
             "bdsweep status: %s: no such database: expected a results database written by bdsweep run\n", path);
    CHECK_STR(err, want);
    free(out), free(err);

    snprintf(path, sizeof path, "%s/text.db", dir);
    test_write(path, "not sqlite\n");
    CHECK(run(&out, &err, "status", path, NULL, NULL) == 2);
    CHECK_CONTAINS(err, "text.db is not a SQLite database");
    free(out), free(err);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: test_status_cli BDSWEEP SOURCE_ROOT\n");
        return 2;
    }
    bdsweep = argv[1];
    src_root = argv[2];
    dir = test_tmpdir();
    test_status();
    test_empty_db();
    test_errors();
    test_rmtree(dir);
    free(dir);
    return check_result("test_status_cli");
}
