/* Runs: one row per `bdsweep run`, with a heartbeat, so that a second run on
 * the same database refuses to start while the first is alive, and a killed
 * run does not hold the database forever; and its provenance: the build
 * (build_info.h), the sweep, the ranks and their hosts. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "build_info.h"
#include "db_internal.h"
#include "process.h"
#include "strbuf.h"

static void this_host(char *out, size_t cap) {
    if (gethostname(out, cap) < 0) snprintf(out, cap, "unknown");
    out[cap - 1] = '\0';
}

/* Whether a process has exited: it no longer exists, or it is a zombie that
 * nobody has reaped yet (a rank orphaned by a killed mpirun waits for its new
 * parent to reap it, and some container inits take their time). */
static int pid_exited(long pid) {
    if (kill((pid_t)pid, 0) < 0) return errno == ESRCH;
    char stat[512];
    const char *state = bd_proc_stat(pid, stat, sizeof stat);
    return state && state[0] == 'Z';
}

/* A run recorded on this host whose process has exited is over, even if its
 * heartbeat is recent (killed a moment ago). */
static int process_gone(const char *host, const char *here, long pid) {
    return !strcmp(host, here) && pid > 0 && pid_exited(pid);
}

/* Fails with the message naming the run that holds the database, if any. */
static int check_no_live_run(BdDb *db, const char *here, BdError *err) {
    sqlite3_stmt *st;
    if (bd_db_prepare(db,
                      "SELECT pid, host, started_at, (julianday('now') - julianday(heartbeat_at)) * 86400.0 "
                      "FROM runs WHERE finished_at IS NULL ORDER BY id DESC",
                      &st, err) < 0)
        return -1;
    int rc, held = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        long pid = (long)sqlite3_column_int64(st, 0);
        const char *host = (const char *)sqlite3_column_text(st, 1);
        const char *since = (const char *)sqlite3_column_text(st, 2);
        double age = sqlite3_column_double(st, 3);
        if (age >= BD_DB_RUN_STALE_SECONDS || process_gone(host, here, pid)) continue;
        bd_fail(err,
                "another bdsweep run (pid %ld on %s) is using %s since %s (last heartbeat %.0f s ago): wait for it to "
                "finish, or, if it was killed on another host, start again once its heartbeat is %d s old",
                pid, host, db->path, since, age, BD_DB_RUN_STALE_SECONDS);
        held = 1;
        break;
    }
    sqlite3_finalize(st);
    if (held) return -1;
    if (rc != SQLITE_DONE) return bd_db_fail(db, err, "reading the runs");
    return 0;
}

int bd_db_run_add_rank(BdDb *db, int64_t run_id, int rank, const char *host, BdError *err) {
    sqlite3_stmt *st;
    if (bd_db_prepare(db, "INSERT OR REPLACE INTO run_ranks(run_id, rank, host) VALUES (?1, ?2, ?3)", &st, err) < 0)
        return -1;
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int(st, 2, rank);
    sqlite3_bind_text(st, 3, host && *host ? host : "unknown", -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : bd_db_fail(db, err, "recording a rank of the run");
}

int bd_db_run_begin(BdDb *db, int64_t sweep_id, int ranks, int64_t *run_id, BdError *err) {
    char host[256];
    this_host(host, sizeof host);
    /* Check and insert in one write transaction: two runs starting at once
     * cannot both pass the check. */
    if (bd_db_begin(db, err) < 0) return -1;
    if (check_no_live_run(db, host, err) < 0) return bd_db_rollback(db);
    sqlite3_stmt *st;
    if (bd_db_prepare(db,
                      "INSERT INTO runs(sweep_id, started_at, heartbeat_at, ranks, host, pid, version, git_commit, "
                      "build_options) VALUES (?1, " BD_DB_NOW ", " BD_DB_NOW ", ?2, ?3, ?4, ?5, NULLIF(?6, ''), ?7)",
                      &st, err) < 0)
        return bd_db_rollback(db);
    const BdBuildInfo *b = bd_build_info();
    if (sweep_id) sqlite3_bind_int64(st, 1, sweep_id);
    else sqlite3_bind_null(st, 1);
    sqlite3_bind_int(st, 2, ranks);
    sqlite3_bind_text(st, 3, host, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)getpid());
    sqlite3_bind_text(st, 5, b->version, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, b->git_commit, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, b->options, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        bd_db_fail(db, err, "recording the run");
        return bd_db_rollback(db);
    }
    *run_id = sqlite3_last_insert_rowid(db->h);
    /* Rank 0 is this process, whatever the others turn out to be. */
    if (bd_db_run_add_rank(db, *run_id, 0, host, err) < 0) return bd_db_rollback(db);
    db->run_id = *run_id;
    return bd_db_commit(db, err);
}

int bd_db_run_set_sweep(BdDb *db, int64_t run_id, int64_t sweep_id, BdError *err) {
    sqlite3_stmt *st;
    if (bd_db_prepare(db, "UPDATE runs SET sweep_id = ?2 WHERE id = ?1", &st, err) < 0) return -1;
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int64(st, 2, sweep_id);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : bd_db_fail(db, err, "recording the run's sweep");
}

static int update_run(BdDb *db, const char *sql, int64_t run_id, int has_status, int status, const char *what,
                      BdError *err) {
    sqlite3_stmt *st;
    if (bd_db_prepare(db, sql, &st, err) < 0) return -1;
    sqlite3_bind_int64(st, 1, run_id);
    if (has_status) sqlite3_bind_int(st, 2, status);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return bd_db_fail(db, err, what);
    if (sqlite3_changes(db->h) != 1)
        return bd_fail(err, "%s: %s: run %" PRId64 " does not exist or has finished", db->path, what, run_id);
    return 0;
}

int bd_db_run_heartbeat(BdDb *db, int64_t run_id, BdError *err) {
    return update_run(db, "UPDATE runs SET heartbeat_at = " BD_DB_NOW " WHERE id = ?1 AND finished_at IS NULL",
                      run_id, 0, 0, "recording a heartbeat", err);
}

int bd_db_run_end(BdDb *db, int64_t run_id, int exit_status, BdError *err) {
    if (db->run_id == run_id) db->run_id = 0;
    return update_run(db,
                      "UPDATE runs SET finished_at = " BD_DB_NOW ", heartbeat_at = " BD_DB_NOW
                      ", exit_status = ?2 WHERE id = ?1 AND finished_at IS NULL",
                      run_id, 1, exit_status, "ending the run", err);
}

/* ---- done cells of other builds --------------------------------------------------- */

/* "bdsweep 0.1.0, commit 0bfe51075107", with the options when they count. */
static void describe_build(BdStr *s, const char *version, const char *commit, const char *options) {
    bd_str_printf(s, "bdsweep %s, %s%s", version ? version : "?", commit ? "commit " : "no commit",
                  commit ? commit : "");
    if (options) bd_str_printf(s, ", options %s", options);
}

int bd_db_other_builds(BdDb *db, int64_t sweep_id, char **note, BdError *err) {
    *note = NULL;
    const BdBuildInfo *b = bd_build_info();
    sqlite3_stmt *st;
    /* The done cells of the sweep by the build of the run that finished
     * them; a cell with no run was done before runs recorded their build. */
    if (bd_db_prepare(db,
                      "SELECT COUNT(*), r.id IS NULL, r.version, r.git_commit, r.build_options, "
                      "  r.build_options IS NOT ?4 "
                      "FROM sweep_cells sc JOIN cells c ON c.id = sc.cell_id LEFT JOIN runs r ON r.id = c.run_id "
                      "WHERE sc.sweep_id = ?1 AND c.kind = 'cell' AND c.status = 'done' AND (r.id IS NULL OR "
                      "  r.version IS NOT ?2 "
                      "  OR r.git_commit IS NOT NULLIF(?3, '') OR r.build_options IS NOT ?4) "
                      "GROUP BY 2, 3, 4, 5 ORDER BY 1 DESC",
                      &st, err) < 0)
        return -1;
    sqlite3_bind_int64(st, 1, sweep_id);
    sqlite3_bind_text(st, 2, b->version, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, b->git_commit, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, b->options, -1, SQLITE_STATIC);
    BdStr groups = {0};
    int rc, total = 0, n = 0, options_differ = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int k = sqlite3_column_int(st, 0);
        total += k;
        if (n++ == 3) bd_str_puts(&groups, "; ...");
        if (n > 3) continue;
        bd_str_printf(&groups, "%s%d by ", n > 1 ? "; " : "", k);
        if (sqlite3_column_int(st, 1)) {
            bd_str_puts(&groups, "a build that was not recorded");
            continue;
        }
        int other_options = sqlite3_column_int(st, 5);
        options_differ |= other_options;
        describe_build(&groups, (const char *)sqlite3_column_text(st, 2), (const char *)sqlite3_column_text(st, 3),
                       other_options ? (const char *)sqlite3_column_text(st, 4) : NULL);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        bd_str_free(&groups);
        return bd_db_fail(db, err, "reading the builds of the done cells");
    }
    if (total) {
        BdStr s = {0};
        bd_str_printf(&s, "%d done cell%s of this sweep %s computed by another build (%s); this build is ", total,
                      total == 1 ? "" : "s", total == 1 ? "was" : "were", bd_str_str(&groups));
        describe_build(&s, b->version, *b->git_commit ? b->git_commit : NULL, options_differ ? b->options : NULL);
        bd_str_puts(&s, ". They are kept, not trained again (bdsweep status lists the builds)");
        *note = bd_str_take(&s);
    }
    bd_str_free(&groups);
    return total;
}
