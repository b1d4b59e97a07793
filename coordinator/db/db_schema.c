/* Creating the schema (version BD_DB_SCHEMA_VERSION) and migrating older
 * files to it. The SQL is in results/ (schema.sql, migrate-N.sql), embedded
 * at build time; the columns of `cells` that the axes table defines are
 * added by db_columns.c. results/README.md documents every column. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"
#include "db_sql.h"
#include "metrics.h"
#include "strbuf.h"

static const char *table_sql(const char *name) {
    for (int i = 0; bd_sql_tables[i].name; i++)
        if (!strcmp(bd_sql_tables[i].name, name)) return bd_sql_tables[i].text;
    return NULL;
}

int bd_db_create_tables(BdDb *db, BdError *err) {
    int added;
    if (bd_db_exec(db, table_sql("schema"), err) < 0) return -1;
    return bd_db_sync_cell_columns(db, 0, &added, err);
}

/* Version 0 is the layout before run bookkeeping: every table of version 1
 * but `runs`. Version 1 lacks the generated columns of `cells` beyond the
 * axes (preset names, condition, the pairing keys). Each step must leave the
 * database as a fresh one of the next version (tests/db checks that the
 * migrated file has the tables and columns of a fresh one). */
static int pair_models(BdDb *db, BdError *err);

const BdDbMigration bd_db_migrations[] = {
    {0, "add the runs table", NULL},
    {1, "add the preset names and the pairing columns (condition, baseline_key, ...) to cells", NULL},
    {2, "add clean models, cells.model_id, cells.streams and metrics.attack (cells kept as unpaired)", pair_models},
    {0, NULL, NULL},
};

/* The CREATE TABLE statement of `name` in schema.sql, renamed to `as`. */
static char *table_statement(const char *name, const char *as) {
    const char *schema = table_sql("schema");
    char head[64];
    snprintf(head, sizeof head, "CREATE TABLE %s(", name);
    const char *start = strstr(schema, head), *end = start ? strstr(start, ";\n") : NULL;
    if (!end) return NULL;
    size_t n = (size_t)(end + 1 - start) - strlen(head), an = strlen(as);
    char *out = bd_xmalloc(strlen("CREATE TABLE (") + an + n + 1);
    sprintf(out, "CREATE TABLE %s(%.*s", as, (int)n, start + strlen(head));
    return out;
}

/* "a, b, c": the columns of `table` that `other` has too (sqlite3_free it). */
static char *common_columns(BdDb *db, const char *table, const char *other, BdError *err) {
    char *sql = sqlite3_mprintf("SELECT group_concat(a.name, ', ') FROM pragma_table_info(%Q) a "
                                "WHERE a.name IN (SELECT name FROM pragma_table_info(%Q))",
                                table, other);
    sqlite3_stmt *st;
    int rc = bd_db_prepare(db, sql, &st, err);
    sqlite3_free(sql);
    if (rc < 0) return NULL;
    char *cols = NULL;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        cols = sqlite3_mprintf("%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    if (!cols) bd_fail(err, "%s: reading the columns of %s", db->path, table);
    return cols;
}

/* Runs sql (from sqlite3_mprintf) and frees it. */
static int exec_free(BdDb *db, char *sql, BdError *err) {
    int rc = bd_db_exec(db, sql, err);
    sqlite3_free(sql);
    return rc;
}

/* Rebuilds `name` with its definition of schema.sql (a constraint changed:
 * SQLite cannot alter one in place), keeping every row; `extra` is SQL run on
 * the new table (its name for %s) before it takes the old one's name. The
 * caller's transaction holds it all; the views, which name the table, are
 * dropped first and recreated after the migration. */
static int rebuild(BdDb *db, const char *name, int generated, const char *extra, BdError *err) {
    char *tmp = sqlite3_mprintf("%s_rebuilt", name);
    char *create = table_statement(name, tmp);
    int rc = create ? bd_db_exec(db, create, err) : bd_fail(err, "internal error: no table %s in schema.sql", name);
    free(create);
    if (rc == 0 && generated) rc = bd_db_add_cell_columns(db, tmp, err);
    char *cols = rc == 0 ? common_columns(db, tmp, name, err) : NULL;
    if (!cols) rc = -1;
    if (rc == 0) rc = exec_free(db, sqlite3_mprintf("INSERT INTO %s(%s) SELECT %s FROM %s", tmp, cols, cols, name), err);
    if (rc == 0 && extra) rc = exec_free(db, sqlite3_mprintf(extra, tmp), err);
    if (rc == 0) rc = exec_free(db, sqlite3_mprintf("DROP TABLE %s; ALTER TABLE %s RENAME TO %s", name, tmp, name), err);
    sqlite3_free(cols);
    sqlite3_free(tmp);
    return rc;
}

static int drop_views(BdDb *db, BdError *err) {
    for (;;) { /* one at a time: dropping changes sqlite_master */
        sqlite3_stmt *st;
        if (bd_db_prepare(db, "SELECT name FROM sqlite_master WHERE type = 'view' LIMIT 1", &st, err) < 0) return -1;
        char *drop = sqlite3_step(st) == SQLITE_ROW ? sqlite3_mprintf("DROP VIEW \"%w\"", sqlite3_column_text(st, 0))
                                                    : NULL;
        sqlite3_finalize(st);
        if (!drop) return 0;
        if (exec_free(db, drop, err) < 0) return -1;
    }
}

/* Version 2 to 3: clean models shared between cells and paired streams.
 * Every cell already there trained its own model with streams seeded from
 * its whole key: it keeps its numbers, is its own model, and is marked
 * unpaired (streams 1) so that no paired statistic pairs it. */
static int pair_models(BdDb *db, BdError *err) {
    int added;
    if (drop_views(db, err) < 0 ||
        rebuild(db, "cells", 1, "UPDATE %s SET model_id = id, streams = 1", err) < 0 ||
        rebuild(db, "metrics", 0, NULL, err) < 0 || bd_db_sync_cell_columns(db, 1, &added, err) < 0)
        return -1;
    /* The numbers measured against the cell's attack name it, as a clean
     * model's would (the metric table says which). */
    BdStr names = {0};
    for (int m = 0; m < BD_METRIC_COUNT; m++)
        if (bd_metric_def((BdMetric)m)->per_attack)
            bd_str_printf(&names, "%s'%s'", names.n ? ", " : "", bd_metric_def((BdMetric)m)->name);
    char *sql = sqlite3_mprintf("UPDATE metrics SET attack = (SELECT c.attack FROM cells c WHERE c.id = cell_id) "
                                "WHERE name IN (%s) AND (SELECT c.attack FROM cells c WHERE c.id = cell_id) IS NOT NULL",
                                names.n ? bd_str_str(&names) : "''");
    bd_str_free(&names);
    if (exec_free(db, sql, err) < 0) return -1;
    return bd_db_exec(db,
                      "CREATE INDEX cells_status ON cells(status); CREATE INDEX cells_model ON cells(model_id); "
                      "CREATE INDEX IF NOT EXISTS cells_condition ON cells(condition)",
                      err);
}

int bd_db_migrate_step(BdDb *db, const BdDbMigration *m, BdError *err) {
    char name[32];
    snprintf(name, sizeof name, "migrate-%d", m->from + 1);
    const char *sql = table_sql(name);
    if (sql && bd_db_exec(db, sql, err) < 0) return -1;
    if (m->run && m->run(db, err) < 0) return -1;
    int added;
    return bd_db_sync_cell_columns(db, m->run != NULL, &added, err);
}
