/* Figures (a) and (b): attack success by condition, and against the poison
 * rate (finding 1). Both read the cells one by one, so that every mean is
 * drawn with the seeds behind it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_figures.h"
#include "text.h"

/* ---- (a) heat map of ASR by architecture x trigger ---------------------------------------------- */

/* At most this many rates (the highest) get a panel; seeds listed in a tooltip. */
#define MAX_PANELS 6
#define MAX_LISTED_SEEDS 12

typedef struct HeatCell {
    int row, col;
    double rate;
    Vals asr, seed;
} HeatCell;

static HeatCell *heat_cell(HeatCell **cells, int *n, int *cap, int row, int col, double rate) {
    for (int i = 0; i < *n; i++)
        if ((*cells)[i].row == row && (*cells)[i].col == col && (*cells)[i].rate == rate) return &(*cells)[i];
    if (*n == *cap) *cells = bd_xrealloc(*cells, sizeof **cells * (size_t)(*cap = *cap ? 2 * *cap : 16));
    (*cells)[*n] = (HeatCell){.row = row, .col = col, .rate = rate};
    return &(*cells)[(*n)++];
}

/* "cnn-small · square at rate 0.1: mean ASR 0.5300 over 2 seeds (seed 1 0.0700, seed 2 0.9900)" */
static char *heat_tooltip(const char *row, const char *col, const HeatCell *c, double mean) {
    BdStr t = {0};
    bd_str_printf(&t, "%s \xC2\xB7 %s at rate %g: mean ASR %.4f over %d %s (", row, col, c->rate, mean, c->asr.n,
                  c->asr.n == 1 ? "seed" : "seeds");
    for (int k = 0; k < c->asr.n && k < MAX_LISTED_SEEDS; k++)
        bd_str_printf(&t, "%sseed %.0f %.4f", k ? ", " : "", c->seed.v[k], c->asr.v[k]);
    if (c->asr.n > MAX_LISTED_SEEDS) bd_str_puts(&t, ", ...");
    bd_str_puts(&t, ")");
    return bd_str_take(&t);
}

int rep_fig_heatmap(Rep *r, RepFigure *fig) {
    /* Rows: every combination of the axes other than trigger, rate and seed
     * (labelled by those that vary), so that a cell is one condition and
     * nothing but its seeds is averaged. */
    sqlite3_stmt *st;
    if (rep_prepare(r,
                    "SELECT * FROM cell_results WHERE " REP_DONE_CELL " AND asr IS NOT NULL AND poison_rate > 0 "
                    "ORDER BY cell_id",
                    &st) < 0)
        return -1;
    Names rows = {0}, cols = {0};
    double rates[64];
    int n_rates = 0, rc, cap = 0, n = 0;
    HeatCell *cells = NULL;
    unsigned skip = AXIS_BIT(BD_AXIS_TRIGGER) | AXIS_BIT(BD_AXIS_POISON_RATE) | AXIS_BIT(BD_AXIS_SEED);
    while ((rc = rep_step(r, st)) == SQLITE_ROW) {
        char label[1024];
        rep_label(r, st, skip, AXIS_BIT(BD_AXIS_ARCH), label, sizeof label);
        double rate = sqlite3_column_double(st, rep_col(st, "poison_rate"));
        HeatCell *c = heat_cell(&cells, &n, &cap, names_add(&rows, label),
                                names_add(&cols, rep_text(st, rep_col(st, "trigger"))), rate);
        vals_add(&c->asr, rep_double(st, rep_col(st, "asr")));
        vals_add(&c->seed, sqlite3_column_double(st, rep_col(st, "seed")));
        int seen = 0;
        for (int i = 0; i < n_rates; i++) seen |= rates[i] == rate;
        if (!seen && n_rates < 64) rates[n_rates++] = rate;
    }
    int status = rc < 0 ? -1 : 0;
    if (rc >= 0) sqlite3_finalize(st);
    if (status == 0 && n == 0) rep_placeholder(fig, "no poisoned cell is done yet.");
    if (status < 0 || n == 0) {
        for (int k = 0; k < n; k++) vals_free(&cells[k].asr), vals_free(&cells[k].seed);
        free(cells);
        names_free(&rows), names_free(&cols);
        return status;
    }
    /* Rates ascending; at most the highest MAX_PANELS. */
    for (int i = 1; i < n_rates; i++)
        for (int j = i; j > 0 && rates[j - 1] > rates[j]; j--) {
            double t = rates[j];
            rates[j] = rates[j - 1], rates[j - 1] = t;
        }
    int first = n_rates > MAX_PANELS ? n_rates - MAX_PANELS : 0, panels_n = n_rates - first;
    size_t per = (size_t)rows.n * (size_t)cols.n, total = (size_t)panels_n * per;
    BdHeatPanel panels[MAX_PANELS];
    double *values = bd_xcalloc(total, sizeof *values);
    char **tips = bd_xcalloc(total, sizeof *tips);
    BdSamples *samples = bd_xcalloc(total, sizeof *samples);
    char titles[MAX_PANELS][64];
    for (size_t i = 0; i < total; i++) values[i] = NAN;
    int seeds_lo = 1 << 30, seeds_hi = 0;
    for (int k = 0; k < n; k++) {
        const HeatCell *c = &cells[k];
        int p = -1;
        for (int i = first; i < n_rates; i++)
            if (rates[i] == c->rate) p = i - first;
        if (p < 0) continue;
        size_t at = (size_t)p * per + (size_t)c->row * (size_t)cols.n + (size_t)c->col;
        double sum = 0;
        for (int s = 0; s < c->asr.n; s++) sum += c->asr.v[s];
        values[at] = sum / c->asr.n;
        samples[at] = (BdSamples){c->asr.n, c->asr.v};
        tips[at] = heat_tooltip(rows.v[c->row], cols.v[c->col], c, values[at]);
        if (c->asr.n < seeds_lo) seeds_lo = c->asr.n;
        if (c->asr.n > seeds_hi) seeds_hi = c->asr.n;
    }
    for (int p = 0; p < panels_n; p++) {
        snprintf(titles[p], sizeof titles[p], "poison rate %g", rates[first + p]);
        panels[p] = (BdHeatPanel){.title = titles[p], .rows = rows.n, .cols = cols.n,
                                  .row_labels = (const char *const *)rows.v, .col_labels = (const char *const *)cols.v,
                                  .values = values + (size_t)p * per,
                                  .tooltips = (const char *const *)(tips + (size_t)p * per),
                                  .samples = samples + (size_t)p * per};
    }
    char row_title[512], seeds[64], note[256];
    rep_varying_names(r, skip, row_title, sizeof row_title);
    rep_count_phrase(seeds_lo, seeds_hi, "seed", "seeds", seeds, sizeof seeds);
    bd_text_format(note, sizeof note,
                   "each cell: mean ASR over %s; below it the lowest\xE2\x80\x93highest seed and a tick per seed (0 "
                   "to 1)",
                   seeds);
    BdHeatmap h = {.title = fig->title, .row_title = row_title[0] ? row_title : "architectures",
                   .col_title = "trigger", .value_label = "mean ASR", .lo = 0, .hi = 1, .panels = panels,
                   .n_panels = panels_n, .note = note};
    bd_chart_heatmap(&fig->svg, &h);
    bd_str_printf(&fig->caption,
                  "Mean attack success rate over the seeds of every poisoned condition (%s a cell): rows by %s, a "
                  "column per trigger, a panel per poison rate%s. Under each mean are the lowest and the highest "
                  "seed, and along the cell's bottom a tick per seed on the 0\xE2\x80\x93" "1 scale, so a mean that "
                  "hides disagreement (0.53 from 0.07 and 0.99) shows both ends. Grey cells have no done cell. "
                  "Hover a cell for every seed's value.",
                  seeds, row_title[0] ? row_title : "architecture (the only one)",
                  n_rates > MAX_PANELS ? " (the 6 highest rates)" : "");
    fig->has_data = 1;
    for (size_t i = 0; i < total; i++) free(tips[i]);
    for (int k = 0; k < n; k++) vals_free(&cells[k].asr), vals_free(&cells[k].seed);
    free(tips), free(values), free(samples), free(cells);
    names_free(&rows), names_free(&cols);
    return 0;
}

/* ---- (b) ASR against poison rate --------------------------------------------------------------------- */

enum { MAX_ARCHS = 64, MAX_TRIGGERS = 16 };

int rep_fig_asr_rate(Rep *r, RepFigure *fig) {
    /* With several regularizers, the reference ones (none) only: (d) shows
     * what regularizers change. */
    double n_none = 0;
    if (rep_number(r, "SELECT COUNT(*) FROM cell_results WHERE " REP_DONE_CELL " AND asr IS NOT NULL AND "
                      "regularizer = 'none'",
                   &n_none) < 0)
        return -1;
    int only_none = r->varies[BD_AXIS_REGULARIZER] > 1 && n_none > 0;
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT arch, trigger, poison_rate, asr, seed FROM cell_results WHERE " REP_DONE_CELL
             " AND asr IS NOT NULL%s ORDER BY cell_id",
             only_none ? " AND regularizer = 'none'" : "");
    sqlite3_stmt *st;
    if (rep_prepare(r, sql, &st) < 0) return -1;
    Names archs = {0}, trigs = {0}, seeds = {0};
    Pts grid[MAX_ARCHS][MAX_TRIGGERS];
    memset(grid, 0, sizeof grid);
    int rc, dropped = 0, cells = 0;
    while ((rc = rep_step(r, st)) == SQLITE_ROW) {
        int a = names_add(&archs, rep_text(st, 0)), t = names_add(&trigs, rep_text(st, 1));
        names_add(&seeds, rep_text(st, 4));
        cells++;
        if (a >= MAX_ARCHS || t >= MAX_TRIGGERS) {
            dropped++;
            continue;
        }
        vals_add(pts_at(&grid[a][t], sqlite3_column_double(st, 2)), rep_double(st, 3));
    }
    int status = rc < 0 ? -1 : 0;
    if (rc >= 0) sqlite3_finalize(st);
    int n_arch = archs.n < MAX_ARCHS ? archs.n : MAX_ARCHS, n_trig = trigs.n < MAX_TRIGGERS ? trigs.n : MAX_TRIGGERS;
    if (status == 0 && cells == 0) rep_placeholder(fig, "no cell is done yet.");
    if (status == 0 && cells > 0) {
        BdLinePanel *panels = bd_xcalloc((size_t)n_arch, sizeof *panels);
        BdSeries *series = bd_xcalloc((size_t)(n_arch * n_trig), sizeof *series);
        int lo = 1 << 30, hi = 0;
        for (int a = 0; a < n_arch; a++) {
            int ns = 0;
            for (int t = 0; t < n_trig; t++) {
                Pts *p = &grid[a][t];
                if (!p->n) continue;
                pts_finish(p);
                pts_counts(p, &lo, &hi);
                series[a * n_trig + ns++] = (BdSeries){.name = trigs.v[t], .color = t, .n = p->n, .x = p->x,
                                                       .y = p->y, .lo = p->lo, .hi = p->hi, .samples = p->samples};
            }
            panels[a] = (BdLinePanel){.title = archs.v[a], .y_label = "ASR", .y_lo = 0, .y_hi = 1,
                                      .series = series + a * n_trig, .n_series = ns, .ref_y = NAN};
        }
        char over[600], note[800], count[64];
        unsigned shown = AXIS_BIT(BD_AXIS_ARCH) | AXIS_BIT(BD_AXIS_TRIGGER) | AXIS_BIT(BD_AXIS_POISON_RATE) |
                         (only_none ? AXIS_BIT(BD_AXIS_REGULARIZER) : 0);
        rep_mean_over(r, shown, over, sizeof over);
        /* The circles are cells: one per seed, times whatever else is averaged. */
        rep_count_phrase(lo, hi, "cell", "cells", count, sizeof count);
        bd_text_format(note, sizeof note,
                       "line: %s; band: min to max; circles: the cells behind each point (%s, from %d %s)%s", over,
                       count, seeds.n, seeds.n == 1 ? "seed" : "seeds", only_none ? "; regularizer none only" : "");
        BdLineChart c = {.title = fig->title, .x_label = "poison rate", .panels = panels, .n_panels = n_arch,
                         .columns = n_arch < 3 ? n_arch : 3, .note = note};
        bd_chart_lines(&fig->svg, &c);
        bd_str_printf(&fig->caption,
                      "Attack success rate against poison rate, a line per trigger and a panel per architecture; %s "
                      "(%s behind each point, from %d %s: one per seed and per value of what is averaged, drawn as "
                      "circles); the band spans the minimum to the maximum.%s Rate 0 is the clean baseline: its ASR "
                      "is the trigger's natural effect.%s",
                      over, count, seeds.n, seeds.n == 1 ? "seed" : "seeds",
                      only_none ? " Cells with regularizer none only (figure (d) shows the regularizers)." : "",
                      dropped ? " Some architectures or triggers beyond the first 64 / 16 are not drawn." : "");
        fig->has_data = 1;
        free(series), free(panels);
    }
    for (int a = 0; a < MAX_ARCHS; a++)
        for (int t = 0; t < MAX_TRIGGERS; t++) pts_free(&grid[a][t]);
    names_free(&archs), names_free(&trigs), names_free(&seeds);
    return status;
}
