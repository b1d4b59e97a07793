/* Opening the results database: what is this file, is it intact, create or
 * migrate its schema, the connection's settings, the views. Nothing is
 * written to a file before we know it is ours (or empty and we were asked to
 * create it) and undamaged; a reader writes nothing it does not have to, and
 * works on read-only storage. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "db_internal.h"

#define STR_(x) #x
#define STR(x) STR_(x)
#define BD_DB_VERSION_TEXT STR(BD_DB_SCHEMA_VERSION)

/* ---- helpers ------------------------------------------------------------------ */

int bd_db_fail(BdDb *db, BdError *err, const char *what) {
    return bd_fail(err, "%s: %s: %s", db->path, what, sqlite3_errmsg(db->h));
}

int bd_db_exec(BdDb *db, const char *sql, BdError *err) {
    char *msg = NULL;
    if (sqlite3_exec(db->h, sql, NULL, NULL, &msg) == SQLITE_OK) return 0;
    bd_fail(err, "%s: %s (in: %.80s)", db->path, msg ? msg : sqlite3_errmsg(db->h), sql);
    sqlite3_free(msg);
    return -1;
}

int bd_db_prepare(BdDb *db, const char *sql, sqlite3_stmt **st, BdError *err) {
    if (sqlite3_prepare_v2(db->h, sql, -1, st, NULL) == SQLITE_OK) return 0;
    bd_fail(err, "%s: %s (in: %.80s)", db->path, sqlite3_errmsg(db->h), sql);
    *st = NULL;
    return -1;
}

int bd_db_begin(BdDb *db, BdError *err) { return bd_db_exec(db, "BEGIN IMMEDIATE", err); }
int bd_db_commit(BdDb *db, BdError *err) { return bd_db_exec(db, "COMMIT", err); }

int bd_db_rollback(BdDb *db) {
    if (!sqlite3_get_autocommit(db->h)) sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

sqlite3 *bd_db_sqlite(BdDb *db) { return db->h; }
const char *bd_db_path(const BdDb *db) { return db->path; }

/* ---- what is in the file ---------------------------------------------------------- */

static int mkdir_parents(const char *path, BdError *err) {
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path); /* fits: bd_db_open checked the length */
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir) return 0;
    *slash = '\0';
    for (char *p = dir + 1; ; p++) {
        if (*p != '/' && *p) continue;
        char c = *p;
        *p = '\0';
        if (mkdir(dir, 0777) < 0 && errno != EEXIST)
            return bd_fail(err, "%s: cannot create the folder '%s': %s", path, dir, strerror(errno));
        *p = c;
        if (!c) break;
    }
    return 0;
}

/* A page SQLite could not parse while reading the schema. */
static int damaged(BdDb *db, BdError *err) {
    char finding[300];
    snprintf(finding, sizeof finding, "SQLite: %s", sqlite3_errmsg(db->h));
    return bd_db_damaged(db, err, finding);
}

/* The names of the tables in the file, comma-separated; -1 when the file is
 * not a SQLite database. */
static int list_tables(BdDb *db, char *names, size_t cap, int *n, int *has_meta, BdError *err) {
    sqlite3_stmt *st;
    *n = 0;
    *has_meta = 0;
    names[0] = '\0';
    int rc = sqlite3_prepare_v2(db->h, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name", -1, &st,
                                NULL);
    if (rc == SQLITE_NOTADB)
        return bd_fail(err, "%s is not a SQLite database (%s): expected a results database written by bdsweep",
                       db->path, sqlite3_errmsg(db->h));
    if (rc == SQLITE_CORRUPT) return damaged(db, err);
    if (rc != SQLITE_OK) return bd_db_fail(db, err, "reading the list of tables");
    size_t o = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        if (!strcmp(t, "meta")) *has_meta = 1;
        if (o + 1 < cap) o += (size_t)snprintf(names + o, cap - o, "%s%s", o ? ", " : "", t);
        (*n)++;
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_NOTADB)
        return bd_fail(err, "%s is not a SQLite database (%s): expected a results database written by bdsweep",
                       db->path, sqlite3_errmsg(db->h));
    if (rc == SQLITE_CORRUPT) return damaged(db, err);
    if (rc != SQLITE_DONE) return bd_db_fail(db, err, "reading the list of tables");
    return 0;
}

/* schema_version from meta; -1 with a message when it is missing. */
static int read_version(BdDb *db, int *version, BdError *err) {
    sqlite3_stmt *st;
    if (bd_db_prepare(db, "SELECT value FROM meta WHERE key = 'schema_version'", &st, err) < 0) return -1;
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) return bd_db_fail(db, err, "reading the schema version");
        return bd_fail(err, "%s has a meta table but no schema_version: not a bdsweep results database", db->path);
    }
    const char *v = (const char *)sqlite3_column_text(st, 0);
    char *end;
    long x = strtol(v ? v : "", &end, 10);
    int bad = !v || end == v || *end || x < 0 || x > 1000000;
    char text[64];
    snprintf(text, sizeof text, "%s", v ? v : "");
    sqlite3_finalize(st);
    if (bad)
        return bd_fail(err, "%s: schema_version is '%s': expected a non-negative integer (the file is damaged or "
                            "not bdsweep's)", db->path, text);
    *version = (int)x;
    return 0;
}

/* ---- schema ------------------------------------------------------------------------- */

static int create_schema(BdDb *db, BdError *err) {
    if (bd_db_begin(db, err) < 0) return -1;
    /* Another process may have created it while we looked. */
    char names[256];
    int n, has_meta;
    if (list_tables(db, names, sizeof names, &n, &has_meta, err) < 0) return bd_db_rollback(db);
    if (n) return bd_db_commit(db, err);
    if (bd_db_create_tables(db, err) < 0) return bd_db_rollback(db);
    sqlite3_stmt *st;
    if (bd_db_prepare(db,
                      "INSERT INTO meta(key, value) VALUES ('schema_version', ?1), ('created_at', " BD_DB_NOW ")",
                      &st, err) < 0)
        return bd_db_rollback(db);
    sqlite3_bind_text(st, 1, BD_DB_VERSION_TEXT, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        bd_db_fail(db, err, "recording the schema version");
        return bd_db_rollback(db);
    }
    return bd_db_commit(db, err);
}

static int migrate(BdDb *db, BdError *err) {
    if (bd_db_begin(db, err) < 0) return -1;
    int version;
    if (read_version(db, &version, err) < 0) return bd_db_rollback(db);
    int from = version;
    for (const BdDbMigration *m = bd_db_migrations; m->what && version < BD_DB_SCHEMA_VERSION; m++) {
        if (m->from != version) continue;
        if (bd_db_migrate_step(db, m, err) < 0) {
            bd_error_prefix(err, "migrating the schema from version %d to %d failed at step '%s' (the database is "
                                 "unchanged): ", from, BD_DB_SCHEMA_VERSION, m->what);
            return bd_db_rollback(db);
        }
        version = m->from + 1;
    }
    if (version != BD_DB_SCHEMA_VERSION) {
        bd_fail(err, "%s: no migration from schema version %d (this build knows up to %d)", db->path, version,
                BD_DB_SCHEMA_VERSION);
        return bd_db_rollback(db);
    }
    char sql[128];
    snprintf(sql, sizeof sql, "UPDATE meta SET value = '%d' WHERE key = 'schema_version'", version);
    if (bd_db_exec(db, sql, err) < 0) return bd_db_rollback(db);
    return bd_db_commit(db, err);
}

/* The views as TEMP views of this connection, for a file we cannot write
 * whose views are not this build's. All of them, so that a view naming
 * another finds ours (TEMP objects come first in name lookup). */
static int temp_views(BdDb *db, const BdDbView *views, int n, BdError *err) {
    static const char create[] = "CREATE VIEW ";
    for (int i = 0; i < n; i++) {
        if (strncmp(views[i].sql, create, sizeof create - 1))
            return bd_fail(err, "internal error: view %s does not start with '%s'", views[i].name, create);
        char *temp = sqlite3_mprintf("CREATE TEMP VIEW %s", views[i].sql + sizeof create - 1);
        int rc = bd_db_exec(db, temp, err);
        sqlite3_free(temp);
        if (rc < 0) return -1;
    }
    return 0;
}

/* Recreates a view only when its stored text differs from ours, so opening a
 * database (status, report) writes nothing in the usual case. */
static int ensure_views(BdDb *db, BdError *err) {
    int n, rc = 0;
    BdDbView *views = bd_db_views_make(&n);
    for (int i = 0; i < n && rc == 0; i++) {
        sqlite3_stmt *st;
        if (bd_db_prepare(db, "SELECT sql FROM sqlite_master WHERE type = 'view' AND name = ?", &st, err) < 0) {
            rc = -1;
            break;
        }
        sqlite3_bind_text(st, 1, views[i].name, -1, SQLITE_STATIC);
        int same = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) &&
                   !strcmp((const char *)sqlite3_column_text(st, 0), views[i].sql);
        sqlite3_finalize(st);
        if (same) continue;
        if (db->readonly) {
            rc = temp_views(db, views, n, err);
            break;
        }
        char drop[128];
        snprintf(drop, sizeof drop, "DROP VIEW IF EXISTS %s", views[i].name);
        if (bd_db_begin(db, err) < 0) rc = -1;
        else if (bd_db_exec(db, drop, err) < 0 || bd_db_exec(db, views[i].sql, err) < 0) rc = bd_db_rollback(db);
        else rc = bd_db_commit(db, err);
    }
    bd_db_views_free(views, n);
    return rc;
}

/* Adds the columns of `cells` that the axes table defines and the file lacks
 * (a new axis); nothing is written when none is missing. */
static int ensure_cell_columns(BdDb *db, BdError *err) {
    int missing = bd_db_missing_cell_columns(db, err), added;
    if (missing <= 0) return missing;
    if (db->readonly)
        return bd_fail(err, "%s lacks %d column(s) of cells that this build's axes define, and cannot be written "
                            "here (read-only storage): open it once where it is writable (bdsweep status adds them), "
                            "or read it with the bdsweep that wrote it", db->path, missing);
    if (bd_db_begin(db, err) < 0) return -1;
    if (bd_db_sync_cell_columns(db, 0, &added, err) < 0) return bd_db_rollback(db);
    return bd_db_commit(db, err);
}

int bd_db_in_wal_mode(BdDb *db) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->h, "PRAGMA journal_mode", -1, &st, NULL) != SQLITE_OK) return 0;
    int wal = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) &&
              !strcmp((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    return wal;
}

/* ---- open and close ------------------------------------------------------------------ */

enum { OPEN_CREATE, OPEN_EXISTING, OPEN_READ };

static int open_checked(BdDb *db, int how, BdError *err) {
    char names[512];
    int n, has_meta, version;
    if (list_tables(db, names, sizeof names, &n, &has_meta, err) < 0) return -1;
    /* Before the first write of any kind (schema, migration, journal mode, views). */
    if (bd_db_check_intact(db, err) < 0) return -1;
    if (n == 0) {
        if (how != OPEN_CREATE)
            return bd_fail(err, "%s is an empty database, not a bdsweep results database (bdsweep run creates one)",
                           db->path);
        if (create_schema(db, err) < 0) return -1;
    } else if (!has_meta) {
        return bd_fail(err,
                       "%s is a SQLite database but not a bdsweep one (tables: %s; no meta table): refusing to use it",
                       db->path, names);
    }
    if (read_version(db, &version, err) < 0) return -1;
    if (version > BD_DB_SCHEMA_VERSION)
        return bd_fail(err, "%s was written by a newer bdsweep (schema %d, this build knows up to %d)", db->path,
                       version, BD_DB_SCHEMA_VERSION);
    if (version < BD_DB_SCHEMA_VERSION && db->readonly)
        return bd_fail(err, "%s has schema %d, older than this build's %d, and cannot be written here (read-only "
                            "storage): open it once where it is writable (bdsweep status migrates it), or read it with "
                            "the bdsweep that wrote it", db->path, version, BD_DB_SCHEMA_VERSION);
    if (version < BD_DB_SCHEMA_VERSION && migrate(db, err) < 0) return -1;
    /* The writer (a run) uses WAL: sqlite3 readers query while rank 0 writes.
     * journal_mode answers with the mode it could set (a file system without
     * shared memory keeps 'delete', which is correct, only slower). A reader
     * leaves the mode alone: a finished run left the file in rollback mode
     * so that it can be read from read-only storage (bd_db_finish_run). */
    if (how != OPEN_READ && !bd_db_in_wal_mode(db) && bd_db_exec(db, "PRAGMA journal_mode = WAL", err) < 0) return -1;
    /* FULL survives power loss. */
    if (bd_db_exec(db, "PRAGMA synchronous = FULL", err) < 0 || bd_db_exec(db, "PRAGMA foreign_keys = ON", err) < 0)
        return -1;
    if (ensure_cell_columns(db, err) < 0) return -1;
    return ensure_views(db, err);
}

/* 'file:' URI of a path, for ?immutable=1: everything but unreserved
 * characters percent-encoded (a '?' or '#' in a folder name stays a name). */
static void file_uri(const char *path, const char *query, char *out, size_t cap) {
    size_t o = (size_t)snprintf(out, cap, "file:");
    for (const unsigned char *p = (const unsigned char *)path; *p && o + 4 < cap; p++) {
        if (strchr("/._-~", *p) || (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
            out[o++] = (char)*p;
        else
            o += (size_t)snprintf(out + o, cap - o, "%%%02X", *p);
    }
    snprintf(out + o, cap - o, "?%s", query);
}

static int connect(BdDb *db, const char *name, int flags, BdError *err) {
    if (sqlite3_open_v2(name, &db->h, flags, NULL) != SQLITE_OK)
        return bd_fail(err, "%s: cannot open the database: %s", db->path,
                       db->h ? sqlite3_errmsg(db->h) : "out of memory");
    sqlite3_extended_result_codes(db->h, 0);
    sqlite3_busy_timeout(db->h, 10000);
    return 0;
}

/* A reader (status, report) must work on read-only storage too. A file in
 * rollback-journal mode (what a finished run leaves) opens read-only as it
 * is. A WAL file needs its -shm file, which SQLite cannot create in a
 * read-only folder: when the log is empty or gone, every row is in the file
 * itself and nobody is writing it (a writer would have created -shm), so it
 * is opened immutable (no locks, no -shm). A non-empty log cannot be read
 * without -shm: refused, saying what to do. */
static int connect_reader(BdDb *db, BdError *err) {
    if (connect(db, db->path, SQLITE_OPEN_READWRITE, err) < 0) return -1;
    int rc = sqlite3_exec(db->h, "SELECT COUNT(*) FROM sqlite_master", NULL, NULL, NULL);
    if (rc == SQLITE_CANTOPEN) {
        char wal[4200], uri[3 * sizeof db->path + 32];
        struct stat st;
        snprintf(wal, sizeof wal, "%s-wal", db->path);
        if (stat(wal, &st) == 0 && st.st_size > 0)
            return bd_fail(err, "%s: its write-ahead log %s holds results not yet in the database file, and SQLite "
                                "cannot read it here (read-only storage, no -shm file): copy both files to writable "
                                "storage and read the copy, or run `sqlite3 %s 'PRAGMA journal_mode = DELETE'` where "
                                "the file is writable", db->path, wal, db->path);
        sqlite3_close_v2(db->h);
        db->h = NULL;
        file_uri(db->path, "immutable=1", uri, sizeof uri);
        if (connect(db, uri, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, err) < 0) return -1;
    }
    return 0;
}

static int open_db(const char *path, int how, BdDb **out, BdError *err) {
    *out = NULL;
    if (strlen(path) >= sizeof((BdDb *)0)->path)
        return bd_fail(err, "%.80s...: database path longer than %zu characters", path, sizeof((BdDb *)0)->path - 1);
    struct stat st;
    int exists = stat(path, &st) == 0;
    if (!exists && how != OPEN_CREATE)
        return bd_fail(err, "%s: no such database: expected a results database written by bdsweep run", path);
    if (exists && !S_ISREG(st.st_mode)) return bd_fail(err, "%s is not a file: expected a results database", path);
    if (!exists && mkdir_parents(path, err) < 0) return -1;
    BdDb *db = bd_xcalloc(1, sizeof *db);
    snprintf(db->path, sizeof db->path, "%s", path);
    int rc = how == OPEN_READ ? connect_reader(db, err)
                              : connect(db, path, SQLITE_OPEN_READWRITE | (how == OPEN_CREATE ? SQLITE_OPEN_CREATE : 0),
                                        err);
    /* SQLite falls back to read-only when it cannot open the file for writing. */
    if (rc == 0) db->readonly = sqlite3_db_readonly(db->h, "main") == 1;
    if (rc == 0 && db->readonly && how != OPEN_READ)
        rc = bd_fail(err, "%s cannot be written here (read-only storage, or no permission to write it): a run needs "
                          "a writable database (--db)", path);
    if (rc < 0 || open_checked(db, how, err) < 0) {
        bd_db_close(db);
        return -1;
    }
    *out = db;
    return 0;
}

int bd_db_open(const char *path, int create, BdDb **out, BdError *err) {
    return open_db(path, create ? OPEN_CREATE : OPEN_EXISTING, out, err);
}

int bd_db_open_read(const char *path, BdDb **out, BdError *err) { return open_db(path, OPEN_READ, out, err); }

void bd_db_close(BdDb *db) {
    if (!db) return;
    if (db->h) sqlite3_close_v2(db->h);
    free(db);
}
