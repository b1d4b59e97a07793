/* Internals of the database module, shared by its files: the handle, the
 * schema text, and small helpers that turn SQLite failures into sentences. */
#ifndef BD_DB_INTERNAL_H
#define BD_DB_INTERNAL_H

#include "cell.h"
#include "db.h"
#include "job.h"

struct BdDb {
    sqlite3 *h;
    char path[4096];
    int readonly; /* the connection cannot write the file (read-only storage, or opened immutable) */
    /* The canonical texts of the axes' absent and control values, for the
     * generated columns (db_columns.c); filled on first use. */
    int design_ready;
    char *absent[BD_AXIS_COUNT], *control[BD_AXIS_COUNT];
    char absent_buf[BD_AXIS_COUNT * 64], control_buf[BD_AXIS_COUNT * 64];
};

/* The current time as ISO-8601 UTC text with milliseconds, in SQL. */
#define BD_DB_NOW "strftime('%Y-%m-%dT%H:%M:%fZ','now')"

/* ---- db_schema.c: creating and migrating ------------------------------------ */

/* Creates the current schema in an empty database (inside the caller's
 * transaction): results/schema.sql, then the generated columns. */
int bd_db_create_tables(BdDb *db, BdError *err);

/* One step from schema version `from` to from + 1: the SQL of
 * results/migrate-<from + 1>.sql, if any, then (always) the generated
 * columns brought up to date. */
typedef struct BdDbMigration {
    int from;
    const char *what; /* for messages: "add the runs table" */
    /* What SQL alone cannot do (rebuilding a table to change a constraint,
     * filling columns from the keys); may be NULL. Runs after the SQL. */
    int (*run)(BdDb *db, BdError *err);
} BdDbMigration;
extern const BdDbMigration bd_db_migrations[]; /* in order, terminated by what == NULL */
int bd_db_migrate_step(BdDb *db, const BdDbMigration *m, BdError *err);

/* ---- db_columns.c: the columns the axes table defines ----------------------- */

#define BD_DB_MAX_COLUMNS (3 * BD_AXIS_COUNT + 2)

typedef enum {
    BD_COL_AXIS,              /* <axis>: the value's canonical text, or its number */
    BD_COL_PRESET_NAME,       /* <axis>_name: the preset without its parameters */
    BD_COL_ATTACK,            /* attack: the key of a grid cell's attack axes (common/job.h) */
    BD_COL_CONDITION,         /* condition: the key without the replicate axes */
    BD_COL_CONTROL_KEY,       /* <control>_key */
    BD_COL_CONTROL_CONDITION, /* <control>_condition */
} BdColumnRole;

typedef struct BdCellColumn {
    char name[64];
    const char *sql_type;
    BdColumnRole role;
    int axis; /* -1 for condition */
} BdCellColumn;

/* Every generated column of `cells`, in order; returns how many. */
int bd_db_cell_columns(BdCellColumn cols[BD_DB_MAX_COLUMNS]);
/* Binds the generated columns of one job to st, from parameter `first` on, in
 * bd_db_cell_columns order. texts[a]: the canonical text of axis a's value,
 * NULL for an axis the job does not have. */
int bd_db_bind_cell_columns(BdDb *db, sqlite3_stmt *st, int first, BdJobKind kind, const char *const *texts,
                            BdError *err);
/* Adds the generated columns `cells` lacks and, when it added any (or when
 * refill_all), recomputes them for every row from its key. Inside the
 * caller's transaction. */
int bd_db_sync_cell_columns(BdDb *db, int refill_all, int *added, BdError *err);
/* The canonical texts of the axis values of a job's key: texts[a] for the
 * axes of its kind, NULL in t[a] for the others. */
int bd_db_job_texts(const char *key, BdJob *job, char texts[][BD_SPEC_TEXT_MAX], const char **t, BdError *err);
/* Adds every generated column to `table` (a copy of cells being rebuilt). */
int bd_db_add_cell_columns(BdDb *db, const char *table, BdError *err);
/* How many generated columns `cells` lacks (reads only). */
int bd_db_missing_cell_columns(BdDb *db, BdError *err);

/* ---- db_views.c ------------------------------------------------------------- */

/* Every view, in the order they are created: the generated ones (from the
 * axes table, the metric table, Student's t) and those of the SQL files of results/.
 * They are (re)created on open whenever the stored text differs, so
 * changing a view needs no migration. */
typedef struct BdDbView {
    const char *name;
    char *sql;       /* CREATE VIEW ... (owned) */
    const char *doc; /* markdown for results/README.md: the SQL file's header comment, or the generator's */
    int doc_is_comment; /* doc is "-- "-prefixed SQL comment lines */
} BdDbView;
BdDbView *bd_db_views_make(int *n);
void bd_db_views_free(BdDbView *v, int n);

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
