/* The schema as text for people: `bdsweep schema` prints the SQL a database
 * of this build is made of, and its --markdown output is the generated part
 * of results/README.md (tests/integration/docs.sh keeps the two equal). */
#include <stdio.h>
#include <string.h>

#include "axes.h"
#include "db_internal.h"
#include "db_sql.h"
#include "metrics.h"
#include "strbuf.h"
#include "streams.h"

static const char *column_meaning(const BdCellColumn *c, char *buf, size_t cap) {
    const BdAxisDef *a = c->axis >= 0 ? &bd_axes()[c->axis] : NULL;
    switch (c->role) {
    case BD_COL_AXIS:
        snprintf(buf, cap, "%s: %s", a->kind == BD_AXIS_PRESETS ? "the value's canonical text" : "the number",
                 a->help);
        break;
    case BD_COL_PRESET_NAME: snprintf(buf, cap, "the %s's preset without its parameters", a->label); break;
    case BD_COL_ATTACK:
        snprintf(buf, cap, "the key of the cell's attack (trigger, strategy, target): what its model is measured against");
        break;
    case BD_COL_CONDITION: snprintf(buf, cap, "the key without the seed: cells with the same condition are replicates"); break;
    case BD_COL_CONTROL_KEY:
        snprintf(buf, cap, "the key of the same cell with %s %s (all else equal, the same seed)", a->label, a->control);
        break;
    case BD_COL_CONTROL_CONDITION: snprintf(buf, cap, "that cell's condition"); break;
    }
    return buf;
}

char *bd_db_schema_sql(void) {
    BdStr s = {0};
    for (int i = 0; bd_sql_tables[i].name; i++)
        if (!strcmp(bd_sql_tables[i].name, "schema")) bd_str_puts(&s, bd_sql_tables[i].text);
    bd_str_puts(&s, "\n-- The columns of cells that the axes table defines.\n");
    BdCellColumn cols[BD_DB_MAX_COLUMNS];
    int n = bd_db_cell_columns(cols);
    for (int i = 0; i < n; i++) bd_str_printf(&s, "ALTER TABLE cells ADD COLUMN %s %s;\n", cols[i].name, cols[i].sql_type);
    bd_str_puts(&s, "CREATE INDEX cells_condition ON cells(condition);\n");
    int nv;
    BdDbView *v = bd_db_views_make(&nv);
    for (int i = 0; i < nv; i++) bd_str_printf(&s, "\n%s;\n", v[i].sql);
    bd_db_views_free(v, nv);
    return bd_str_take(&s);
}

/* A view's documentation: its SQL file's header comment without the "-- ". */
static void view_doc(BdStr *s, const BdDbView *v) {
    if (!v->doc_is_comment) {
        bd_str_puts(s, v->doc);
        return;
    }
    for (const char *p = v->doc; *p && !strncmp(p, "--", 2);) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        size_t skip = len >= 3 && p[2] == ' ' ? 3 : 2;
        bd_str_putn(s, p + skip, len - skip);
        bd_str_puts(s, "\n");
        p += len + (end != NULL);
    }
}

char *bd_db_schema_markdown(void) {
    BdStr s = {0};
    bd_str_puts(&s, "### The columns of `cells` that the axes table defines\n\n"
                    "Added after the columns above, in this order, and filled when a cell is registered (or when a "
                    "database lacks them: an older file, a new axis).\n\n| column | type | |\n|---|---|---|\n");
    BdCellColumn cols[BD_DB_MAX_COLUMNS];
    int n = bd_db_cell_columns(cols);
    for (int i = 0; i < n; i++) {
        char meaning[512];
        bd_str_printf(&s, "| `%s` | %s | %s |\n", cols[i].name, cols[i].sql_type,
                      column_meaning(&cols[i], meaning, sizeof meaning));
    }
    bd_str_puts(&s, "\n### Metrics\n\nThe names of `metrics.name` (also `SELECT * FROM metric_definitions`):\n\n"
                    "| name | phases | meaning |\n|---|---|---|\n");
    for (int m = 0; m < BD_METRIC_COUNT; m++) {
        const BdMetricDef *d = bd_metric_def((BdMetric)m);
        bd_str_printf(&s, "| `%s` |", d->name);
        for (int p = 0, first = 1; p < BD_PHASE_COUNT; p++)
            if (d->phases & (1u << p)) {
                bd_str_printf(&s, "%s`%s`", first ? " " : ", ", bd_phase_name((BdPhase)p));
                first = 0;
            }
        bd_str_printf(&s, " | %s |\n", d->meaning);
    }
    bd_str_puts(&s, "\n### Random streams\n\n"
                    "Each source of randomness of a job has its own stream, seeded from a hash of the stream's name "
                    "and the canonical texts of the axes it depends on, nothing else (cells with `streams` = 2):\n\n"
                    "| stream | depends on | draws |\n|---|---|---|\n");
    for (int k = 0; k < BD_STREAM_COUNT; k++) {
        const BdStreamDef *d = bd_stream_def((BdStream)k);
        bd_str_printf(&s, "| `%s` |", d->name);
        for (int a = 0, first = 1; a < BD_AXIS_COUNT; a++)
            if (d->axes & (1u << a)) {
                bd_str_printf(&s, "%s`%s`", first ? " " : ", ", bd_axes()[a].name);
                if (a == BD_AXIS_RETRAIN && d->main_retrain) bd_str_puts(&s, " (its held-out fraction only)");
                first = 0;
            }
        bd_str_printf(&s, " | %s |\n", d->draws);
    }
    int nv;
    BdDbView *v = bd_db_views_make(&nv);
    for (int i = 0; i < nv; i++) {
        bd_str_puts(&s, "\n");
        view_doc(&s, &v[i]);
    }
    bd_db_views_free(v, nv);
    return bd_str_take(&s);
}
