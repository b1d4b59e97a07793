/* The SQL of the database, as the files of results/ hold it (embedded at
 * build time by embed_sql.py; results/README.md documents them). */
#ifndef BD_DB_SQL_H
#define BD_DB_SQL_H

typedef struct BdSqlFile {
    const char *name; /* the file's name without .sql: "schema", "cell_results" */
    const char *text; /* its whole text, comments included */
} BdSqlFile;

/* schema.sql and the migrations (migrate-N.sql: from version N-1 to N). */
extern const BdSqlFile bd_sql_tables[];
/* The hand-written views, in the order they are created; name == NULL ends it. */
extern const BdSqlFile bd_sql_views[];

#endif
