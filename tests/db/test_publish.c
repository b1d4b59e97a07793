/* What readers elsewhere get (db_publish.c): snapshots that a reader never
 * sees half-written while they are replaced again and again, with every row
 * of the moment they were taken, in rollback-journal mode and with no
 * temporary file left; where a snapshot may not go; the end of a run
 * (rollback journal, no -wal file), and what happens while another
 * connection holds the file. The damaged-file and read-only cases need a
 * real run and a read-only mount: tests/integration/db_files.sh.
 * Usage: test_db_publish SOURCE_ROOT */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "db/db.h"
#include "sweep/testenv.h"

static const char *src_root;
static char *dir;

enum { BATCH = 2000 }; /* metric rows per transaction: every snapshot holds a multiple */

static long long count(sqlite3 *h, const char *sql) {
    sqlite3_stmt *st;
    long long n = -1;
    if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static const char *text(sqlite3 *h, const char *sql) {
    static char buf[256];
    sqlite3_stmt *st;
    snprintf(buf, sizeof buf, "(error: %s)", sqlite3_errmsg(h));
    if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        snprintf(buf, sizeof buf, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return buf;
}

/* A database with the smoke sweep and cell 1 running. */
static BdDb *make_db(const char *path) {
    char sweep_path[4096];
    snprintf(sweep_path, sizeof sweep_path, "%s/sweeps/smoke.yaml", src_root);
    BdSweep sw;
    BdError err = {0};
    BdDb *db = NULL;
    CHECK_MSG(bd_sweep_load(sweep_path, BD_SWEEP_QUIET, &sw, &err) == 0, "%s", err.msg);
    CHECK_MSG(bd_db_open(path, 1, &db, &err) == 0, "%s", err.msg);
    int64_t sid;
    int n_new;
    CHECK(bd_db_register(db, &sw, &sid, &n_new, &err) == 0);
    CHECK(bd_db_mark_running(db, 1, 1, "node1", &err) == 0);
    bd_sweep_free(&sw);
    return db;
}

static void add_batch(BdDb *db, int epoch) {
    static char names[BATCH][16];
    static const char *np[BATCH];
    static double v[BATCH];
    for (int i = 0; i < BATCH; i++) {
        snprintf(names[i], sizeof names[i], "m%d", i);
        np[i] = names[i];
        v[i] = epoch + i * 1e-4;
    }
    BdError err = {0};
    CHECK_MSG(bd_db_add_metrics(db, 1, "train", epoch, "", np, v, BATCH, &err) == 0, "%s", err.msg);
}

/* The reader: opens the snapshot again and again until `stop` exists; each
 * must be intact and hold whole batches. Exits with the number of bad reads
 * (and 100 + that when it never saw a snapshot). */
static int reader(const char *snap, const char *stop) {
    int bad = 0, good = 0;
    while (access(stop, F_OK) != 0) {
        if (access(snap, F_OK) != 0) continue;
        sqlite3 *h = NULL;
        if (sqlite3_open_v2(snap, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
            bad++;
        } else {
            long long n = count(h, "SELECT COUNT(*) FROM metrics");
            const char *qc = text(h, "PRAGMA quick_check");
            if (strcmp(qc, "ok") || n < BATCH || n % BATCH) {
                fprintf(stderr, "reader: quick_check '%s', %lld metric rows\n", qc, n);
                bad++;
            } else {
                good++;
            }
        }
        sqlite3_close(h);
    }
    return bad ? (bad > 99 ? 99 : bad) : good ? 0 : 100;
}

static int dir_entries(const char *path) {
    DIR *d = opendir(path);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));) n += e->d_name[0] != '.';
    if (d) closedir(d);
    return n;
}

static void test_snapshots(void) {
    char path[4096], pub[4096], snap[4200], stop[4200];
    snprintf(path, sizeof path, "%s/live/results.db", dir);
    snprintf(pub, sizeof pub, "%s/pub", dir);
    snprintf(snap, sizeof snap, "%s/snap.db", pub);
    snprintf(stop, sizeof stop, "%s/stop", dir);
    mkdir(pub, 0777);
    BdDb *db = make_db(path);
    add_batch(db, 1);
    BdError err = {0};
    CHECK_MSG(bd_db_publish_check(path, snap, &err) == 0, "%s", err.msg);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) _exit(reader(snap, stop));
    /* Replaced while the reader reads: it must never see a partial file. */
    for (int e = 2; e <= 40; e++) {
        CHECK_MSG(bd_db_publish(db, snap, &err) == 0, "%s", err.msg);
        add_batch(db, e);
    }
    CHECK_MSG(bd_db_publish(db, snap, &err) == 0, "%s", err.msg);
    usleep(100000); /* the reader reads the last one too */
    test_write(stop, "");
    int status;
    waitpid(pid, &status, 0);
    CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the reader saw %d bad snapshot(s)%s",
              WEXITSTATUS(status) % 100, WEXITSTATUS(status) >= 100 ? " (and no good one)" : "");

    /* The last snapshot is the database of that moment, in rollback mode,
     * and the folder holds nothing else. */
    sqlite3 *h;
    CHECK(sqlite3_open_v2(snap, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
    CHECK(count(h, "SELECT COUNT(*) FROM metrics") == 40LL * BATCH);
    CHECK(count(h, "SELECT COUNT(*) FROM cells WHERE kind = 'cell'") == 6);
    CHECK_STR(text(h, "PRAGMA journal_mode"), "delete");
    CHECK(count(h, "SELECT COUNT(*) FROM cell_results") == 6); /* the views came along */
    sqlite3_close(h);
    CHECK(dir_entries(pub) == 1);

    /* A snapshot can be opened as a bdsweep database by the readers. */
    BdDb *r = NULL;
    CHECK_MSG(bd_db_open_read(snap, &r, &err) == 0, "%s", err.msg);
    bd_db_close(r);

    /* A folder that cannot take the temporary file: an error, the old snapshot stays. */
    CHECK(chmod(pub, 0555) == 0);
    if (access(pub, W_OK) != 0) { /* not as root */
        CHECK(bd_db_publish(db, snap, &err) < 0);
        CHECK_CONTAINS(err.msg, "snapshot ");
        CHECK(dir_entries(pub) == 1);
    }
    chmod(pub, 0777);
    bd_db_close(db);
}

static void test_where(void) {
    char path[4096], p[4300], sym[4200];
    BdError err = {0};
    snprintf(path, sizeof path, "%s/where/results.db", dir);
    BdDb *db = make_db(path);
    bd_db_close(db);
    snprintf(sym, sizeof sym, "%s/where-link", dir);
    char target[4096];
    snprintf(target, sizeof target, "%s/where", dir);
    CHECK(symlink(target, sym) == 0);
    const char *same[] = {"%s/where/results.db", "%s/where/./results.db", "%s/where-link/results.db",
                          "%s/where/../where/results.db-wal", "%s/where/results.db-journal"};
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        snprintf(p, sizeof p, same[i], dir);
        CHECK_MSG(bd_db_publish_check(path, p, &err) < 0, "%s was accepted", p);
        CHECK_CONTAINS(err.msg, "is the database itself");
    }
    snprintf(p, sizeof p, "%s/hard.db", dir);
    CHECK(link(path, p) == 0);
    CHECK(bd_db_publish_check(path, p, &err) < 0);
    CHECK_CONTAINS(err.msg, "is the database itself");
    snprintf(p, sizeof p, "%s/nowhere/snap.db", dir);
    CHECK(bd_db_publish_check(path, p, &err) < 0);
    CHECK_CONTAINS(err.msg, "/nowhere does not exist (create it first)");
    snprintf(p, sizeof p, "%s/where", dir);
    CHECK(bd_db_publish_check(path, p, &err) < 0);
    CHECK_CONTAINS(err.msg, "exists and is not a file");
    snprintf(p, sizeof p, "%s/where/snapshot.db", dir);
    CHECK_MSG(bd_db_publish_check(path, p, &err) == 0, "%s", err.msg);
    CHECK(bd_db_publish_check(path, "snapshot.db", &err) == 0); /* the current folder */
}

/* The end of a run: the log into the file, rollback mode, no -wal; while
 * another connection has the file open it stays in WAL mode, with a reason
 * and nothing lost. */
static void test_finish_run(void) {
    char path[4096], wal[4200];
    BdError err = {0};
    snprintf(path, sizeof path, "%s/finish/results.db", dir);
    snprintf(wal, sizeof wal, "%s-wal", path);
    BdDb *db = make_db(path);
    add_batch(db, 1);
    CHECK_STR(text(bd_db_sqlite(db), "PRAGMA journal_mode"), "wal");
    sqlite3 *other;
    CHECK(sqlite3_open(path, &other) == SQLITE_OK);
    CHECK(count(other, "SELECT COUNT(*) FROM cells WHERE kind = 'cell'") == 6);
    CHECK(bd_db_finish_run(db, &err) < 0);
    CHECK_CONTAINS(err.msg, "stays in WAL mode: another program has it open");
    CHECK(count(other, "SELECT COUNT(*) FROM metrics") == BATCH);
    sqlite3_close(other);
    CHECK_MSG(bd_db_finish_run(db, &err) == 0, "%s", err.msg);
    CHECK_STR(text(bd_db_sqlite(db), "PRAGMA journal_mode"), "delete");
    CHECK(access(wal, F_OK) != 0);
    CHECK(bd_db_finish_run(db, &err) == 0); /* again: nothing to do */
    bd_db_close(db);
    /* The next writer goes back to WAL; a reader leaves the mode alone. */
    CHECK(bd_db_open_read(path, &db, &err) == 0);
    CHECK_STR(text(bd_db_sqlite(db), "PRAGMA journal_mode"), "delete");
    bd_db_close(db);
    CHECK(bd_db_open(path, 0, &db, &err) == 0);
    CHECK_STR(text(bd_db_sqlite(db), "PRAGMA journal_mode"), "wal");
    bd_db_close(db);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: test_db_publish SOURCE_ROOT\n");
        return 2;
    }
    src_root = argv[1];
    dir = test_tmpdir();
    if (chdir(dir) != 0) return 99;
    test_snapshots();
    test_where();
    test_finish_run();
    test_rmtree(dir);
    free(dir);
    return check_result("test_db_publish");
}
