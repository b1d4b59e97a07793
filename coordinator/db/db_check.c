/* Is the file intact? Checked on every open, before anything reads a number
 * from it or writes into it: a damaged page (a truncated file, a bad copy, a
 * disk error) would otherwise give wrong numbers with exit status 0, and
 * writes would build on the garbage. First its size, then its pages.
 *
 * PRAGMA quick_check reads every page once and checks the b-tree structure,
 * records and NOT NULL constraints (O(N): about 0.3 s for a 200 MB database
 * here). integrity_check also matches every index against its table
 * (O(N log N)); that finds what a bug in SQLite could do, not what a
 * truncated or half-copied file looks like, so the cheaper check is enough to
 * run every time. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "db_internal.h"

int bd_db_damaged(BdDb *db, BdError *err, const char *finding) {
    return bd_fail(err,
                   "%s is damaged (%s): bdsweep neither reads results from it nor writes into it. Restore "
                   "it from a copy (a --publish snapshot, a backup), or save what is readable into a new database "
                   "with `sqlite3 %s .recover | sqlite3 NEW.db` and use NEW.db (bdsweep run --db NEW.db)",
                   db->path, finding, db->path);
}

static long long pragma_int(BdDb *db, const char *sql) {
    sqlite3_stmt *st;
    long long v = -1;
    if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* SQLite writes whole pages: a file that is not a whole number of them was
 * cut short or partly copied. quick_check cannot always tell: the missing
 * bytes read as zeros, which can pass for data (zeroed text in a record is
 * still a record). Without a write-ahead log the header's page count must
 * fit in the file too (with one, pages may still be in the log). */
static int check_size(BdDb *db, BdError *err) {
    struct stat st;
    long long page = pragma_int(db, "PRAGMA page_size"), pages = pragma_int(db, "PRAGMA page_count");
    if (stat(db->path, &st) < 0 || page <= 0 || pages < 0) return 0; /* the other checks will say */
    long long size = (long long)st.st_size;
    char finding[256];
    if (size % page)
        snprintf(finding, sizeof finding, "the file is %lld bytes, not a whole number of its %lld-byte pages: cut "
                 "short or partly copied", size, page);
    else if (size < pages * page && !bd_db_in_wal_mode(db))
        snprintf(finding, sizeof finding, "the file is %lld bytes, but its header counts %lld pages of %lld bytes: "
                 "cut short", size, pages, page);
    else
        return 0;
    return bd_db_damaged(db, err, finding);
}

int bd_db_check_intact(BdDb *db, BdError *err) {
    if (check_size(db, err) < 0) return -1;
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db->h, "PRAGMA quick_check", -1, &st, NULL);
    int problems = 0;
    char first[512] = "";
    while (rc == SQLITE_OK || rc == SQLITE_ROW) {
        rc = sqlite3_step(st);
        if (rc != SQLITE_ROW) break;
        const char *line = (const char *)sqlite3_column_text(st, 0);
        if (line && !strcmp(line, "ok")) continue;
        /* The first line names the schema: "*** in database main ***\n..." */
        static const char header[] = "*** in database main ***\n";
        if (line && !strncmp(line, header, sizeof header - 1)) line += sizeof header - 1;
        if (!problems++) snprintf(first, sizeof first, "%s", line ? line : "(no text)");
    }
    /* The check itself can stop on a page it cannot parse. */
    if (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB || rc == SQLITE_IOERR) {
        snprintf(first, sizeof first, "%s", sqlite3_errmsg(db->h));
        problems = 1;
    } else if (rc != SQLITE_DONE) {
        bd_db_fail(db, err, "checking the file (PRAGMA quick_check)");
        sqlite3_finalize(st);
        return -1;
    }
    sqlite3_finalize(st);
    if (!problems) return 0;
    char finding[600];
    if (problems > 1)
        snprintf(finding, sizeof finding, "SQLite's quick_check found %d problems, the first: %s", problems, first);
    else
        snprintf(finding, sizeof finding, "SQLite's quick_check: %s", first);
    return bd_db_damaged(db, err, finding);
}
