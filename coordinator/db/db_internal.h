/* Internals of the database module, shared by its files: the handle, the
 * schema text, and small helpers that turn SQLite failures into sentences. */
#ifndef BD_DB_INTERNAL_H
#define BD_DB_INTERNAL_H

#include "db.h"

struct BdDb {
    sqlite3 *h;
    char path[4096];
    int readonly; /* the connection cannot write the file (read-only storage, or opened immutable) */
};

/* The current time as ISO-8601 UTC text with milliseconds, in SQL. */
#define BD_DB_NOW "strftime('%Y-%m-%dT%H:%M:%fZ','now')"

/* ---- db_schema.c ------------------------------------------------------------ */

/* The statements that create the current schema in an empty database. */
extern const char *const bd_db_schema[];

/* One step from schema version `from` to from + 1. */
typedef struct BdDbMigration {
    int from;
    const char *what;          /* for messages: "add the runs table" */
    const char *const *sql;    /* NULL-terminated statements */
} BdDbMigration;
extern const BdDbMigration bd_db_migrations[]; /* in order, terminated by what == NULL */

/* Views, as {name, CREATE VIEW statement}, terminated by name == NULL. They
 * are (re)created on open whenever the stored text differs, so adding a
 * column to a view needs no migration. */
extern const char *const bd_db_views[][2];

/* ---- db_check.c -------------------------------------------------------------- */

/* 0 when PRAGMA quick_check finds the file intact; else -1 with a message
 * that says the file is damaged and what to do about it. */
int bd_db_check_intact(BdDb *db, BdError *err);
/* The message for a damaged file, with SQLite's finding; returns -1. */
int bd_db_damaged(BdDb *db, BdError *err, const char *finding);

/* ---- helpers (db_open.c) ---------------------------------------------------- */

/* "PATH: what: <sqlite message>"; returns -1. */
int bd_db_fail(BdDb *db, BdError *err, const char *what);
int bd_db_exec(BdDb *db, const char *sql, BdError *err);
int bd_db_prepare(BdDb *db, const char *sql, sqlite3_stmt **st, BdError *err);
/* Whether the file is in WAL mode (PRAGMA journal_mode answers 'wal'). */
int bd_db_in_wal_mode(BdDb *db);
/* BEGIN IMMEDIATE (takes the write lock at once, waiting up to the busy timeout). */
int bd_db_begin(BdDb *db, BdError *err);
int bd_db_commit(BdDb *db, BdError *err);
/* Rolls back (keeping err) and returns -1. */
int bd_db_rollback(BdDb *db);

#endif
