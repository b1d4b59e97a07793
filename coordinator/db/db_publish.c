/* What readers elsewhere get: a finished database in rollback-journal mode,
 * and consistent snapshots while a run goes on.
 *
 * WAL mode (what a run uses) keeps an index of the log in shared memory
 * (the -shm file, mmap'ed): every reader must be on the host that writes,
 * and a reader needs write access to the folder. On a cluster file system
 * (NFS, Lustre) a reader on another node can see a torn state; on read-only
 * storage it cannot open the file at all. Readers there use a snapshot
 * (--publish) or the database once its run has finished. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db_internal.h"

/* ---- the end of a run ---------------------------------------------------------------------- */

int bd_db_finish_run(BdDb *db, BdError *err) {
    if (!bd_db_in_wal_mode(db)) return 0;
    /* Every committed page into the file first: even if leaving WAL fails,
     * the file alone then holds every row. */
    int rc = sqlite3_wal_checkpoint_v2(db->h, "main", SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) return bd_db_fail(db, err, "checkpointing the write-ahead log");
    /* Leaving WAL needs the only connection to the file; another one (a
     * sqlite3 shell, a status) makes it fail at once with SQLITE_BUSY, without
     * the busy handler. Short-lived readers are waited for a little. */
    for (int attempt = 0; attempt < 10; attempt++) {
        if (attempt) sqlite3_sleep(200);
        rc = sqlite3_exec(db->h, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL);
        if (rc != SQLITE_OK && rc != SQLITE_BUSY) return bd_db_fail(db, err, "switching to rollback-journal mode");
        if (rc == SQLITE_OK && !bd_db_in_wal_mode(db)) return 0;
    }
    return bd_fail(err,
                   "%s stays in WAL mode: another program has it open (a sqlite3 shell?), and SQLite leaves WAL mode "
                   "only with a single connection. Nothing is lost; to read it from read-only storage later, run "
                   "`sqlite3 %s 'PRAGMA journal_mode = DELETE'` once nobody has it open",
                   db->path, db->path);
}

/* ---- where a snapshot may go ----------------------------------------------------------------- */

/* Room for a snapshot's path and its temporary file's or sidecar's name. */
#define SNAP_PATH_MAX (PATH_MAX + 32)

/* The folder of path ("." when it has none) and its last component; -1
 * when the folder does not fit in dir. */
static int split_path(const char *path, char *dir, size_t dir_cap, const char **base) {
    const char *slash = strrchr(path, '/');
    *base = slash ? slash + 1 : path;
    int n = slash ? snprintf(dir, dir_cap, "%.*s", slash == path ? 1 : (int)(slash - path), path)
                  : snprintf(dir, dir_cap, ".");
    return n >= 0 && (size_t)n < dir_cap ? 0 : -1;
}

/* The folder's real path + '/' + the name: one spelling per file (symlinks,
 * "./", ".."), also for a file that does not exist yet. -1 when the folder
 * does not exist (or the result does not fit). */
static int canonical(const char *path, char *out, size_t cap) {
    char dir[PATH_MAX], real[PATH_MAX];
    const char *base;
    if (split_path(path, dir, sizeof dir, &base) < 0 || !realpath(dir, real)) return -1;
    int n = snprintf(out, cap, "%s/%s", strcmp(real, "/") ? real : "", base);
    return n >= 0 && (size_t)n < cap ? 0 : -1;
}

int bd_db_publish_check(const char *db_path, const char *dest, BdError *err) {
    char dir[PATH_MAX], want[SNAP_PATH_MAX], live[SNAP_PATH_MAX];
    const char *base;
    if (strlen(dest) >= PATH_MAX || split_path(dest, dir, sizeof dir, &base) < 0)
        return bd_fail(err, "--publish %.80s...: the path is too long (at most %d characters)", dest, PATH_MAX - 1);
    struct stat sd, sb;
    if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
        return bd_fail(err, "--publish '%s': expected the path of a file for the snapshot", dest);
    if (stat(dir, &sd) < 0 || !S_ISDIR(sd.st_mode))
        return bd_fail(err, "--publish %s: the folder %s does not exist (create it first)", dest, dir);
    int exists = stat(dest, &sd) == 0;
    if (exists && !S_ISREG(sd.st_mode))
        return bd_fail(err, "--publish %s: exists and is not a file: expected the path of the snapshot file", dest);
    /* The same file by another name (a hard link), or by another spelling. */
    int same = exists && stat(db_path, &sb) == 0 && sd.st_dev == sb.st_dev && sd.st_ino == sb.st_ino;
    if (!same && canonical(dest, want, sizeof want) == 0 && canonical(db_path, live, sizeof live) == 0) {
        static const char *const sidecars[] = {"", "-wal", "-shm", "-journal"};
        size_t n = strlen(live);
        for (int i = 0; i < 4 && !same; i++)
            same = !strncmp(want, live, n) && !strcmp(want + n, sidecars[i]);
    }
    if (same)
        return bd_fail(err, "--publish %s is the database itself (--db %s): the snapshot must be another file, e.g. on "
                            "the shared file system the readers see", dest, db_path);
    return 0;
}

/* ---- the snapshot ------------------------------------------------------------------------------ */

static void remove_with_sidecars(const char *path) {
    static const char *const sidecars[] = {"", "-journal", "-wal", "-shm"};
    char p[SNAP_PATH_MAX + 16];
    for (int i = 0; i < 4; i++) {
        int n = snprintf(p, sizeof p, "%s%s", path, sidecars[i]);
        if (n >= 0 && (size_t)n < sizeof p) unlink(p);
    }
}

static int fsync_path(const char *path, int flags) {
    int fd = open(path, flags);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* The backup into tmp, left in rollback-journal mode. The copy is of the
 * pages, header included, so it comes out in WAL mode like its source until
 * told otherwise. */
static int write_copy(BdDb *db, const char *tmp, const char *dest, BdError *err) {
    sqlite3 *to = NULL;
    if (sqlite3_open_v2(tmp, &to, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        bd_fail(err, "snapshot %s: cannot create %s: %s", dest, tmp, to ? sqlite3_errmsg(to) : "out of memory");
        sqlite3_close(to);
        return -1;
    }
    /* One step: the copy is of one moment, and we are the only writer, so
     * nothing waits on the read lock but our own next write. */
    sqlite3_backup *bk = sqlite3_backup_init(to, "main", db->h, "main");
    int rc = bk ? sqlite3_backup_step(bk, -1) : SQLITE_ERROR;
    if (bk) sqlite3_backup_finish(bk);
    if (rc != SQLITE_DONE) {
        bd_fail(err, "snapshot %s: copying %s: %s", dest, db->path, sqlite3_errmsg(to));
        sqlite3_close(to);
        return -1;
    }
    sqlite3_stmt *st = NULL;
    int ok = sqlite3_prepare_v2(to, "PRAGMA journal_mode = DELETE", -1, &st, NULL) == SQLITE_OK &&
             sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) &&
             !strcmp((const char *)sqlite3_column_text(st, 0), "delete");
    sqlite3_finalize(st);
    if (!ok) bd_fail(err, "snapshot %s: switching the copy to rollback-journal mode: %s", dest, sqlite3_errmsg(to));
    if (sqlite3_close(to) != SQLITE_OK && ok) {
        bd_fail(err, "snapshot %s: closing %s failed", dest, tmp);
        ok = 0;
    }
    return ok ? 0 : -1;
}

int bd_db_publish(BdDb *db, const char *dest, BdError *err) {
    char dir[PATH_MAX], tmp[SNAP_PATH_MAX];
    const char *base;
    /* In the destination's folder, so that the rename is atomic (one file
     * system); its name says whose it is. */
    int n = snprintf(tmp, sizeof tmp, "%s.tmp-%ld", dest, (long)getpid());
    if (split_path(dest, dir, sizeof dir, &base) < 0 || n < 0 || (size_t)n >= sizeof tmp)
        return bd_fail(err, "snapshot %.80s...: the path is too long", dest);
    remove_with_sidecars(tmp);
    if (write_copy(db, tmp, dest, err) < 0) {
        remove_with_sidecars(tmp);
        return -1;
    }
    /* On disk before it gets the name readers open: a crash after the
     * rename must not leave them a file whose pages are still in the cache. */
    if (fsync_path(tmp, O_RDONLY) < 0 || rename(tmp, dest) < 0) {
        bd_fail(err, "snapshot %s: writing %s: %s", dest, tmp, strerror(errno));
        remove_with_sidecars(tmp);
        return -1;
    }
    fsync_path(dir, O_RDONLY | O_DIRECTORY); /* the rename itself; best effort (not every file system can) */
    return 0;
}
