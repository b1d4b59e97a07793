/* Creating the schema (version BD_DB_SCHEMA_VERSION) and migrating older
 * files to it. The SQL is in results/ (schema.sql, migrate-N.sql), embedded
 * at build time; the columns of `cells` that the axes table defines are
 * added by db_columns.c. results/README.md documents every column. */
#include <stdio.h>
#include <string.h>

#include "db_internal.h"
#include "db_sql.h"

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
const BdDbMigration bd_db_migrations[] = {
    {0, "add the runs table"},
    {1, "add the preset names and the pairing columns (condition, baseline_key, ...) to cells"},
    {0, NULL},
};

int bd_db_migrate_step(BdDb *db, const BdDbMigration *m, BdError *err) {
    char name[32];
    snprintf(name, sizeof name, "migrate-%d", m->from + 1);
    const char *sql = table_sql(name);
    if (sql && bd_db_exec(db, sql, err) < 0) return -1;
    int added;
    return bd_db_sync_cell_columns(db, 0, &added, err);
}
