/* The views of the database. Those that follow from one of the project's
 * tables are generated here, so that the table stays the only list:
 *
 *   t_quantiles         the 0.975 quantiles of Student's t (report/tdist.c),
 *                       for the intervals of `detection` (the views cannot
 *                       call C: they must work from the plain sqlite3 CLI)
 *   conditions          one row per condition (the cells that differ only by
 *                       their seed) with its axis values (the axes table)
 *   epoch_metrics       one row per cell, phase and epoch, a column per metric
 *                       (common/metrics.h), from the hand-written cell_metrics
 *   metric_definitions  the metric table itself
 *
 * Every other view is hand-written SQL in the SQL files of results/, embedded at build
 * time (db_sql.h), in the order of coordinator/db/meson.build. `bdsweep
 * schema` prints them all. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "axes.h"
#include "db_internal.h"
#include "db_sql.h"
#include "metrics.h"
#include "strbuf.h"
#include "tdist.h"

static char *t_quantiles(void) {
    BdStr s = {0};
    bd_str_puts(&s, "CREATE VIEW t_quantiles(df, q975) AS VALUES\n");
    for (int i = 0; i < bd_t_table_n; i++)
        bd_str_printf(&s, "%s(%d, %.15g)", i == 0 ? "" : i % 4 == 0 ? ",\n" : ", ", bd_t_table_df[i],
                      bd_t_quantile(0.975, bd_t_table_df[i]));
    return bd_str_take(&s);
}

static char *conditions(void) {
    BdCellColumn cols[BD_DB_MAX_COLUMNS];
    int n = bd_db_cell_columns(cols);
    BdStr s = {0};
    bd_str_puts(&s, "CREATE VIEW conditions AS\nSELECT condition");
    for (int i = 0; i < n; i++) {
        const BdCellColumn *c = &cols[i];
        int axis_column = c->role == BD_COL_AXIS || c->role == BD_COL_PRESET_NAME;
        if ((axis_column && !bd_axes()[c->axis].replicate) || c->role == BD_COL_CONTROL_CONDITION)
            bd_str_printf(&s, ", %s", c->name);
    }
    bd_str_puts(&s, ", COUNT(*) AS cells\nFROM cells WHERE kind = 'cell' GROUP BY condition");
    return bd_str_take(&s);
}

static char *epoch_metrics(void) {
    BdStr s = {0};
    bd_str_puts(&s, "CREATE VIEW epoch_metrics AS\nSELECT cell_id, phase, epoch");
    for (int m = 0; m < BD_METRIC_COUNT; m++) {
        if (bd_metric_per_class((BdMetric)m)) continue;
        const char *name = bd_metric_name((BdMetric)m);
        bd_str_printf(&s, ",\n  MAX(CASE WHEN name = '%s' THEN value END) AS %s", name, name);
    }
    bd_str_puts(&s, "\nFROM cell_metrics GROUP BY cell_id, phase, epoch");
    return bd_str_take(&s);
}

static void sql_quoted(BdStr *s, const char *text) {
    bd_str_puts(s, "'");
    for (const char *p = text; *p; p++) {
        if (*p == '\'') bd_str_puts(s, "''");
        else bd_str_putn(s, p, 1);
    }
    bd_str_puts(s, "'");
}

static char *metric_definitions(void) {
    BdStr s = {0};
    bd_str_puts(&s, "CREATE VIEW metric_definitions(name, phases, meaning) AS VALUES\n");
    for (int m = 0; m < BD_METRIC_COUNT; m++) {
        const BdMetricDef *d = bd_metric_def((BdMetric)m);
        char phases[128] = "";
        size_t o = 0;
        for (int p = 0; p < BD_PHASE_COUNT; p++)
            if (d->phases & (1u << p))
                o += (size_t)snprintf(phases + o, sizeof phases - o, "%s%s", o ? " " : "", bd_phase_name((BdPhase)p));
        bd_str_printf(&s, "%s(", m ? ",\n" : "");
        sql_quoted(&s, d->name);
        bd_str_puts(&s, ", ");
        sql_quoted(&s, phases);
        bd_str_puts(&s, ", ");
        sql_quoted(&s, d->meaning);
        bd_str_puts(&s, ")");
    }
    return bd_str_take(&s);
}

/* The CREATE VIEW statement of one SQL file of results/, as SQLite stores it:
 * from CREATE to the closing semicolon (header comments left out). */
static char *statement_of(const char *text) {
    const char *start = strstr(text, "CREATE VIEW");
    const char *end = strrchr(text, ';');
    if (!start || !end || end < start) return bd_xstrdup(text);
    return strndup(start, (size_t)(end - start));
}

BdDbView *bd_db_views_make(int *n) {
    int n_files = 0;
    while (bd_sql_views[n_files].name) n_files++;
    BdDbView *v = bd_xcalloc((size_t)n_files + 4, sizeof *v);
    int k = 0;
    v[k++] = (BdDbView){"t_quantiles", t_quantiles(),
                        "### `t_quantiles` — Student's t\n\n"
                        "`df, q975`: the 0.975 quantile of Student's t for df = 1..100, 120, 150, 200, 300, 500, "
                        "1000, 10000 (df 1: 12.706, 2: 4.303, 5: 2.571, 10: 2.228, 30: 2.042), computed by "
                        "inverting the t distribution function, written with the regularized incomplete beta "
                        "function (coordinator/report/tdist.c); tests/report checks every row against it.\n", 0};
    v[k++] = (BdDbView){"conditions", conditions(),
                        "### `conditions` — one row per condition\n\n"
                        "A condition is the set of cells that differ only by their seed (their replicates). "
                        "Columns: `condition` (the key without the seed), every axis column but `seed` with its "
                        "`_name` column, the `_condition` pairing columns (`baseline_condition`, ...), and "
                        "`cells` (how many cells of the grid it holds). The views that summarise groups of "
                        "seeds join it for their axis columns.\n", 0};
    v[k++] = (BdDbView){"metric_definitions", metric_definitions(),
                        "### `metric_definitions` — the metric table\n\n"
                        "`name, phases, meaning` of every metric a job reports (the table below).\n", 0};
    for (int i = 0; i < n_files; i++)
        v[k++] = (BdDbView){bd_sql_views[i].name, statement_of(bd_sql_views[i].text), bd_sql_views[i].text, 1};
    /* After cell_metrics, which it reads. */
    v[k++] = (BdDbView){"epoch_metrics", epoch_metrics(),
                        "### `epoch_metrics` — the curves\n\n"
                        "One row per cell of the grid, phase and epoch (`cell_id, phase, epoch`), a column per "
                        "metric of the metric table below, from `cell_metrics` (the per-class accuracies are "
                        "left out: query `cell_metrics` for them); NULL where the metric was not reported.\n", 0};
    *n = k;
    return v;
}

void bd_db_views_free(BdDbView *v, int n) {
    for (int i = 0; i < n; i++) free(v[i].sql);
    free(v);
}
