/* The report's figures (a)-(e), from the views, drawn with chart.h. A figure
 * without data is still written, with a sentence saying what is missing, so
 * that report.md's links never break. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chart.h"
#include "report_internal.h"

#define DONE "status = 'done'"
/* At most this many rows in the interval figures; the tables have them all. */
#define MAX_FIGURE_ROWS 80

/* ---- small collections -------------------------------------------------------------------- */

typedef struct Names {
    char **v;
    int n;
} Names;

/* Index of s, adding it when absent. */
static int names_add(Names *l, const char *s) {
    for (int i = 0; i < l->n; i++)
        if (!strcmp(l->v[i], s)) return i;
    l->v = bd_xrealloc(l->v, sizeof *l->v * (size_t)(l->n + 1));
    l->v[l->n] = bd_xstrdup(s);
    return l->n++;
}

static void names_free(Names *l) {
    for (int i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
    *l = (Names){0};
}

typedef struct Pts {
    double *x, *y, *lo, *hi;
    int n, cap;
} Pts;

static void pts_add(Pts *p, double x, double y, double lo, double hi) {
    if (p->n == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 8;
        p->x = bd_xrealloc(p->x, sizeof(double) * (size_t)p->cap);
        p->y = bd_xrealloc(p->y, sizeof(double) * (size_t)p->cap);
        p->lo = bd_xrealloc(p->lo, sizeof(double) * (size_t)p->cap);
        p->hi = bd_xrealloc(p->hi, sizeof(double) * (size_t)p->cap);
    }
    p->x[p->n] = x, p->y[p->n] = y, p->lo[p->n] = lo, p->hi[p->n] = hi;
    p->n++;
}

/* Insertion sort by x (series have a handful of points). */
static void pts_sort(Pts *p) {
    for (int i = 1; i < p->n; i++)
        for (int j = i; j > 0 && p->x[j - 1] > p->x[j]; j--) {
            double *a[] = {p->x, p->y, p->lo, p->hi};
            for (int k = 0; k < 4; k++) {
                double t = a[k][j];
                a[k][j] = a[k][j - 1], a[k][j - 1] = t;
            }
        }
}

static void pts_free(Pts *p) {
    free(p->x), free(p->y), free(p->lo), free(p->hi);
    *p = (Pts){0};
}

static void placeholder(RepFigure *fig, const char *why) {
    bd_svg_begin(&fig->svg, 640, 110, fig->title);
    BdTextStyle st = {.size = 12, .fill = "#777"};
    bd_svg_text(&fig->svg, 16, 66, &st, why);
    bd_svg_end(&fig->svg);
    bd_str_printf(&fig->caption, "No figure: %s", why);
    fig->has_data = 0;
}

/* "mean over seeds" or "mean over seeds and regularizers, strategies". */
static void mean_over(const Rep *r, unsigned shown, char *out, size_t cap) {
    char names[512];
    rep_varying_names(r, shown | AXIS_BIT(BD_AXIS_SEED), names, sizeof names);
    if (names[0]) snprintf(out, cap, "mean over seeds and over %s (averaged together)", names);
    else snprintf(out, cap, "mean over seeds");
}

/* ---- (a) heat map of ASR by architecture x trigger ---------------------------------------------- */

static int fig_heatmap(Rep *r, RepFigure *fig) {
    /* Rows: every combination of the axes other than trigger, rate and seed
     * (labelled by those that vary), so nothing but seeds is averaged. */
    sqlite3_stmt *st;
    if (rep_prepare(r,
                    "SELECT *, AVG(asr) AS m, COUNT(*) AS n, MIN(asr) AS lo, MAX(asr) AS hi FROM cell_results "
                    "WHERE " DONE " AND asr IS NOT NULL AND poison_rate > 0 GROUP BY condition ORDER BY MIN(cell_id)",
                    &st) < 0)
        return -1;
    Names rows = {0}, cols = {0};
    double rates[64];
    int n_rates = 0, rc, cap = 0, n = 0;
    struct Cell {
        int row, col;
        double rate, m, lo, hi;
        int n;
    } *cells = NULL;
    unsigned skip = AXIS_BIT(BD_AXIS_TRIGGER) | AXIS_BIT(BD_AXIS_POISON_RATE) | AXIS_BIT(BD_AXIS_SEED);
    while ((rc = rep_step(r, st)) == SQLITE_ROW) {
        char label[1024];
        rep_label(r, st, skip, AXIS_BIT(BD_AXIS_ARCH), label, sizeof label);
        if (n == cap) cells = bd_xrealloc(cells, sizeof *cells * (size_t)(cap = cap ? 2 * cap : 16));
        double rate = sqlite3_column_double(st, rep_col(st, "poison_rate"));
        cells[n++] = (struct Cell){names_add(&rows, label), names_add(&cols, rep_text(st, rep_col(st, "trigger"))), rate,
                                   rep_double(st, rep_col(st, "m")), rep_double(st, rep_col(st, "lo")),
                                   rep_double(st, rep_col(st, "hi")), sqlite3_column_int(st, rep_col(st, "n"))};
        int seen = 0;
        for (int i = 0; i < n_rates; i++) seen |= rates[i] == rate;
        if (!seen && n_rates < 64) rates[n_rates++] = rate;
    }
    if (rc < 0) {
        free(cells);
        names_free(&rows), names_free(&cols);
        return -1;
    }
    sqlite3_finalize(st);
    if (n == 0) {
        placeholder(fig, "no poisoned cell is done yet.");
        names_free(&rows), names_free(&cols);
        return 0;
    }
    /* Rates ascending; at most the 6 highest. */
    for (int i = 1; i < n_rates; i++)
        for (int j = i; j > 0 && rates[j - 1] > rates[j]; j--) {
            double t = rates[j];
            rates[j] = rates[j - 1], rates[j - 1] = t;
        }
    int first = n_rates > 6 ? n_rates - 6 : 0, panels_n = n_rates - first;
    BdHeatPanel panels[6];
    double *values = malloc(sizeof(double) * (size_t)(panels_n * rows.n * cols.n));
    char **tips = calloc((size_t)(panels_n * rows.n * cols.n), sizeof *tips);
    char titles[6][64];
    for (int i = 0; i < panels_n * rows.n * cols.n; i++) values[i] = NAN;
    for (int k = 0; k < n; k++) {
        int p = -1;
        for (int i = first; i < n_rates; i++)
            if (rates[i] == cells[k].rate) p = i - first;
        if (p < 0) continue;
        size_t at = ((size_t)p * rows.n + cells[k].row) * cols.n + cells[k].col;
        values[at] = cells[k].m;
        char tip[2600];
        snprintf(tip, sizeof tip, "%s \xC2\xB7 %s at rate %g: mean ASR %.4f over %d %s (min %.4f, max %.4f)",
                 rows.v[cells[k].row], cols.v[cells[k].col], cells[k].rate, cells[k].m, cells[k].n,
                 cells[k].n == 1 ? "cell" : "cells", cells[k].lo, cells[k].hi);
        tips[at] = bd_xstrdup(tip);
    }
    for (int p = 0; p < panels_n; p++) {
        snprintf(titles[p], sizeof titles[p], "poison rate %g", rates[first + p]);
        panels[p] = (BdHeatPanel){titles[p], rows.n, cols.n, (const char *const *)rows.v,
                                  (const char *const *)cols.v, values + (size_t)p * rows.n * cols.n,
                                  (const char *const *)(tips + (size_t)p * rows.n * cols.n)};
    }
    char row_title[512];
    rep_varying_names(r, skip, row_title, sizeof row_title);
    BdHeatmap h = {fig->title, row_title[0] ? row_title : "architectures", "trigger", "mean ASR", 0, 1, panels,
                   panels_n};
    bd_chart_heatmap(&fig->svg, &h);
    bd_str_printf(&fig->caption,
                  "Mean attack success rate over seeds of every poisoned condition: rows by %s, a column per "
                  "trigger, a panel per poison rate%s. Grey cells have no done cell. Hover a cell for its count "
                  "and range.",
                  row_title[0] ? row_title : "architecture (the only one)",
                  n_rates > 6 ? " (the 6 highest rates)" : "");
    fig->has_data = 1;
    for (int i = 0; i < panels_n * rows.n * cols.n; i++) free(tips[i]);
    free(tips), free(values), free(cells);
    names_free(&rows), names_free(&cols);
    return 0;
}

/* ---- (b) ASR against poison rate --------------------------------------------------------------------- */

static int fig_asr_rate(Rep *r, RepFigure *fig) {
    /* With several regularizers, the reference ones (none) only: (d) shows
     * what regularizers change. */
    double n_none = 0;
    if (rep_number(r, "SELECT COUNT(*) FROM cell_results WHERE " DONE " AND asr IS NOT NULL AND regularizer = 'none'",
                   &n_none) < 0)
        return -1;
    int only_none = r->varies[BD_AXIS_REGULARIZER] > 1 && n_none > 0;
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT arch, trigger, poison_rate, AVG(asr), MIN(asr), MAX(asr), COUNT(*) FROM cell_results "
             "WHERE " DONE " AND asr IS NOT NULL%s GROUP BY arch, trigger, poison_rate ORDER BY MIN(cell_id)",
             only_none ? " AND regularizer = 'none'" : "");
    sqlite3_stmt *st;
    if (rep_prepare(r, sql, &st) < 0) return -1;
    Names archs = {0}, trigs = {0};
    Pts grid[64][16];
    memset(grid, 0, sizeof grid);
    int rc, dropped = 0, rows = 0;
    while ((rc = rep_step(r, st)) == SQLITE_ROW) {
        int a = names_add(&archs, rep_text(st, 0)), t = names_add(&trigs, rep_text(st, 1));
        rows++;
        if (a >= 64 || t >= 16) {
            dropped++;
            continue;
        }
        pts_add(&grid[a][t], sqlite3_column_double(st, 2), rep_double(st, 3), rep_double(st, 4), rep_double(st, 5));
    }
    if (rc < 0) {
        names_free(&archs), names_free(&trigs);
        return -1;
    }
    sqlite3_finalize(st);
    if (rows == 0) {
        placeholder(fig, "no cell is done yet.");
        names_free(&archs), names_free(&trigs);
        return 0;
    }
    int n_arch = archs.n < 64 ? archs.n : 64, n_trig = trigs.n < 16 ? trigs.n : 16;
    BdLinePanel *panels = calloc((size_t)n_arch, sizeof *panels);
    BdSeries *series = calloc((size_t)(n_arch * n_trig), sizeof *series);
    for (int a = 0; a < n_arch; a++) {
        int ns = 0;
        for (int t = 0; t < n_trig; t++) {
            Pts *p = &grid[a][t];
            if (!p->n) continue;
            pts_sort(p);
            series[a * n_trig + ns++] = (BdSeries){trigs.v[t], t, p->n, p->x, p->y, p->lo, p->hi};
        }
        panels[a] = (BdLinePanel){archs.v[a], "ASR", 0, 1, series + a * n_trig, ns, NAN, NULL};
    }
    char over[600], note[800];
    mean_over(r, AXIS_BIT(BD_AXIS_ARCH) | AXIS_BIT(BD_AXIS_TRIGGER) | AXIS_BIT(BD_AXIS_POISON_RATE) |
                     (only_none ? AXIS_BIT(BD_AXIS_REGULARIZER) : 0),
              over, sizeof over);
    snprintf(note, sizeof note, "line: %s; band: min to max%s", over, only_none ? "; regularizer none only" : "");
    BdLineChart c = {fig->title, "poison rate", 0, panels, n_arch, n_arch < 3 ? n_arch : 3, note};
    bd_chart_lines(&fig->svg, &c);
    bd_str_printf(&fig->caption,
                  "Attack success rate against poison rate, a line per trigger and a panel per architecture; %s; "
                  "the band spans the minimum to the maximum.%s Rate 0 is the clean baseline: its ASR is the "
                  "trigger's natural effect.%s",
                  over, only_none ? " Cells with regularizer none only (figure (d) shows the regularizers)." : "",
                  dropped ? " Some architectures or triggers beyond the first 64 / 16 are not drawn." : "");
    fig->has_data = 1;
    for (int a = 0; a < 64; a++)
        for (int t = 0; t < 16; t++) pts_free(&grid[a][t]);
    free(series), free(panels);
    names_free(&archs), names_free(&trigs);
    return 0;
}

/* ---- (c) clean accuracy, poisoned vs clean, Welch intervals --------------------------------------------- */

static int fig_detection(Rep *r, RepFigure *fig) {
    sqlite3_stmt *st;
    if (rep_prepare(r,
                    "SELECT * FROM detection WHERE n_clean > 0 ORDER BY baseline_condition, poison_rate",
                    &st) < 0)
        return -1;
    BdIntervalRow rows[MAX_FIGURE_ROWS];
    char labels[MAX_FIGURE_ROWS][512], tips[MAX_FIGURE_ROWS][1024];
    int n = 0, total = 0, rc;
    while ((rc = rep_step(r, st)) == SQLITE_ROW) {
        total++;
        if (n == MAX_FIGURE_ROWS) continue;
        rep_label(r, st, AXIS_BIT(BD_AXIS_SEED), AXIS_BIT(BD_AXIS_ARCH) | AXIS_BIT(BD_AXIS_TRIGGER) |
                  AXIS_BIT(BD_AXIS_POISON_RATE), labels[n], sizeof labels[n]);
        int det_col = rep_col(st, "detectable");
        int tested = sqlite3_column_type(st, det_col) != SQLITE_NULL;
        int det = tested && sqlite3_column_int(st, det_col);
        double d = rep_double(st, rep_col(st, "clean_acc_diff"));
        snprintf(tips[n], sizeof tips[n],
                 "%s: poisoned %.4f (%d seeds) vs clean %.4f (%d seeds), difference %+.4f, 95%% interval "
                 "[%+.4f, %+.4f]%s",
                 labels[n], rep_double(st, rep_col(st, "clean_acc_poisoned")),
                 sqlite3_column_int(st, rep_col(st, "n_poisoned")), rep_double(st, rep_col(st, "clean_acc_clean")),
                 sqlite3_column_int(st, rep_col(st, "n_clean")), d, rep_double(st, rep_col(st, "ci_low")),
                 rep_double(st, rep_col(st, "ci_high")), !tested ? " (untested)" : det ? " (detectable)" : "");
        rows[n] = (BdIntervalRow){labels[n], {d, NAN}, {rep_double(st, rep_col(st, "ci_low")), NAN},
                                  {rep_double(st, rep_col(st, "ci_high")), NAN}, !tested ? -1 : det ? 1 : 0, tips[n]};
        n++;
    }
    if (rc < 0) return -1;
    sqlite3_finalize(st);
    if (n == 0) {
        placeholder(fig, "no poisoned cell has a done baseline (poison rate 0) to compare with.");
        return 0;
    }
    static const BdLegendEntry legend[] = {
        {"not detectable (interval holds 0)", "#0072B2", NULL},
        {"detectable (interval excludes 0)", "#D55E00", NULL},
        {"untested (< 2 seeds on a side)", "#999999", NULL},
    };
    char note[256];
    snprintf(note, sizeof note, "%d of %d groups shown; the table 'detection' lists them all", n, total);
    BdIntervalChart c = {fig->title, {"clean accuracy, poisoned \xE2\x88\x92 clean baseline", NULL}, 1, 0, rows, n,
                         legend, 3, total > n ? note : NULL};
    bd_chart_intervals(&fig->svg, &c);
    bd_str_printf(&fig->caption,
                  "Finding 2: the difference in mean clean accuracy between the poisoned models of each group and "
                  "their clean baselines (poison rate 0, all else equal, every seed), with its 95%% confidence "
                  "interval by Welch's t. A group is detectable by clean accuracy alone when its interval excludes "
                  "0.%s",
                  total > n ? " Only the first groups are drawn; the table lists every one." : "");
    fig->has_data = 1;
    return 0;
}

/* ---- (d) regularizer effect ------------------------------------------------------------------------- */

static int fig_regularizers(Rep *r, RepFigure *fig) {
    sqlite3_stmt *st;
    if (rep_prepare(r,
                    "SELECT * FROM regularizer_effect ORDER BY unregularized_condition, regularizer",
                    &st) < 0)
        return -1;
    BdIntervalRow rows[MAX_FIGURE_ROWS];
    char labels[MAX_FIGURE_ROWS][512], tips[MAX_FIGURE_ROWS][1024];
    Names regs = {0};
    int n = 0, total = 0, rc;
    while ((rc = rep_step(r, st)) == SQLITE_ROW) {
        total++;
        if (n == MAX_FIGURE_ROWS) continue;
        /* The regularizer is always named: it is what each row is about. */
        Rep lr = *r;
        lr.varies[BD_AXIS_REGULARIZER] = 2;
        rep_label(&lr, st, AXIS_BIT(BD_AXIS_SEED), AXIS_BIT(BD_AXIS_ARCH), labels[n], sizeof labels[n]);
        int color = names_add(&regs, rep_text(st, rep_col(st, "regularizer")));
        double da = rep_double(st, rep_col(st, "asr_change")), sa = rep_double(st, rep_col(st, "asr_change_sd"));
        double dc = rep_double(st, rep_col(st, "clean_acc_change"));
        double sc = rep_double(st, rep_col(st, "clean_acc_change_sd"));
        int seeds = sqlite3_column_int(st, rep_col(st, "n_seeds"));
        snprintf(tips[n], sizeof tips[n], "%s: ASR %+.4f (sd %.4f), clean accuracy %+.4f (sd %.4f), %d %s",
                 labels[n], da, sa, dc, sc, seeds, seeds == 1 ? "seed" : "seeds");
        rows[n] = (BdIntervalRow){labels[n], {da, dc}, {da - sa, dc - sc}, {da + sa, dc + sc}, color, tips[n]};
        n++;
    }
    if (rc < 0) {
        names_free(&regs);
        return -1;
    }
    sqlite3_finalize(st);
    if (n == 0) {
        placeholder(fig, "no regularized cell is done together with its regularizer-none partner of the same seed.");
        names_free(&regs);
        return 0;
    }
    BdLegendEntry legend[16];
    int n_legend = regs.n < 16 ? regs.n : 16;
    for (int i = 0; i < n_legend; i++) legend[i] = (BdLegendEntry){regs.v[i], bd_color_category(i), NULL};
    char note[256];
    snprintf(note, sizeof note, "%d of %d comparisons shown; the table 'regularizer_effect' lists them all", n,
             total);
    BdIntervalChart c = {fig->title, {"change in ASR (regularized \xE2\x88\x92 none)",
                                      "change in clean accuracy (regularized \xE2\x88\x92 none)"},
                         2, 1, rows, n, legend, n_legend, total > n ? note : NULL};
    bd_chart_intervals(&fig->svg, &c);
    bd_str_printf(&fig->caption,
                  "Finding 3: each regularized cell against the same cell with regularizer none and the same seed; "
                  "bars are the mean change over seeds, whiskers \xC2\xB1 one standard deviation of the change "
                  "(none with one seed). Left of 0 the regularizer lowered ASR (or clean accuracy).");
    fig->has_data = 1;
    names_free(&regs);
    return 0;
}

/* ---- (e) persistence curves --------------------------------------------------------------------------- */

static int fig_persistence(Rep *r, RepFigure *fig) {
    sqlite3_stmt *st;
    if (rep_prepare(r,
                    "SELECT arch, trigger, poison_rate, epoch, AVG(asr), MIN(asr), MAX(asr), AVG(clean_acc), "
                    "  MIN(clean_acc), MAX(clean_acc), AVG(baseline_asr) FROM persistence "
                    "WHERE " DONE " AND poison_rate > 0 GROUP BY arch, trigger, poison_rate, epoch "
                    "ORDER BY MIN(cell_id), epoch",
                    &st) < 0)
        return -1;
    Names archs = {0}, series_names = {0};
    enum { MAX_A = 16, MAX_S = 24 };
    Pts asr[MAX_A][MAX_S], acc[MAX_A][MAX_S];
    memset(asr, 0, sizeof asr), memset(acc, 0, sizeof acc);
    double base_sum[MAX_A] = {0};
    int base_n[MAX_A] = {0}, rc, rows = 0, dropped = 0;
    while ((rc = rep_step(r, st)) == SQLITE_ROW) {
        char name[1200];
        if (r->varies[BD_AXIS_TRIGGER] > 1)
            snprintf(name, sizeof name, "%s \xC2\xB7 rate %g", rep_text(st, 1), sqlite3_column_double(st, 2));
        else snprintf(name, sizeof name, "rate %g", sqlite3_column_double(st, 2));
        int a = names_add(&archs, rep_text(st, 0)), s = names_add(&series_names, name);
        rows++;
        if (a >= MAX_A || s >= MAX_S) {
            dropped++;
            continue;
        }
        double e = sqlite3_column_int(st, 3);
        pts_add(&asr[a][s], e, rep_double(st, 4), rep_double(st, 5), rep_double(st, 6));
        pts_add(&acc[a][s], e, rep_double(st, 7), rep_double(st, 8), rep_double(st, 9));
        if (isfinite(rep_double(st, 10))) base_sum[a] += rep_double(st, 10), base_n[a]++;
    }
    if (rc < 0) {
        names_free(&archs), names_free(&series_names);
        return -1;
    }
    sqlite3_finalize(st);
    if (rows == 0) {
        placeholder(fig, "no poisoned cell with retraining is done (add retrain: {fraction: 0.05, epochs: 5}).");
        names_free(&archs), names_free(&series_names);
        return 0;
    }
    int n_arch = archs.n < MAX_A ? archs.n : MAX_A, n_ser = series_names.n < MAX_S ? series_names.n : MAX_S;
    BdLinePanel *panels = calloc((size_t)(2 * n_arch), sizeof *panels);
    BdSeries *series = calloc((size_t)(2 * n_arch * n_ser), sizeof *series);
    char (*titles)[600] = calloc((size_t)(2 * n_arch), sizeof *titles);
    for (int a = 0; a < n_arch; a++) {
        int ns = 0;
        BdSeries *sa = series + (size_t)(2 * a) * n_ser, *sc = sa + n_ser;
        for (int s = 0; s < n_ser; s++) {
            if (!asr[a][s].n) continue;
            pts_sort(&asr[a][s]), pts_sort(&acc[a][s]);
            Pts *p = &asr[a][s], *q = &acc[a][s];
            sa[ns] = (BdSeries){series_names.v[s], s, p->n, p->x, p->y, p->lo, p->hi};
            sc[ns] = (BdSeries){series_names.v[s], s, q->n, q->x, q->y, q->lo, q->hi};
            ns++;
        }
        snprintf(titles[2 * a], sizeof titles[0], "%s: ASR", archs.v[a]);
        snprintf(titles[2 * a + 1], sizeof titles[0], "%s: clean accuracy", archs.v[a]);
        double ref = base_n[a] ? base_sum[a] / base_n[a] + 0.05 : NAN;
        panels[2 * a] = (BdLinePanel){titles[2 * a], "ASR", 0, 1, sa, ns, ref, "baseline + 0.05"};
        panels[2 * a + 1] = (BdLinePanel){titles[2 * a + 1], "clean accuracy", NAN, NAN, sc, ns, NAN, NULL};
    }
    char over[600], note[800];
    mean_over(r, AXIS_BIT(BD_AXIS_ARCH) | AXIS_BIT(BD_AXIS_TRIGGER) | AXIS_BIT(BD_AXIS_POISON_RATE), over,
              sizeof over);
    snprintf(note, sizeof note, "epoch 0: end of training; line: %s; band: min to max", over);
    BdLineChart c = {fig->title, "retraining epoch", 1, panels, 2 * n_arch, 2, note};
    bd_chart_lines(&fig->svg, &c);
    bd_str_printf(&fig->caption,
                  "Finding 4: ASR and clean accuracy of the poisoned cells against the epoch of clean fine-tuning "
                  "(epoch 0 is the end of the main training), a line per %s, a row of panels per architecture; %s, "
                  "the band spans the minimum to the maximum. The dashed line is the mean baseline ASR + 0.05: "
                  "below it a backdoor counts as neutralised.%s",
                  r->varies[BD_AXIS_TRIGGER] > 1 ? "trigger and poison rate" : "poison rate", over,
                  dropped ? " Some architectures or series beyond the first 16 / 24 are not drawn." : "");
    fig->has_data = 1;
    for (int a = 0; a < MAX_A; a++)
        for (int s = 0; s < MAX_S; s++) pts_free(&asr[a][s]), pts_free(&acc[a][s]);
    free(titles), free(series), free(panels);
    names_free(&archs), names_free(&series_names);
    return 0;
}

int rep_figures(Rep *r) {
    static const char *const files[REP_FIGURES] = {"fig-a-asr-heatmap.svg", "fig-b-asr-vs-rate.svg",
                                                   "fig-c-detection.svg", "fig-d-regularizer-effect.svg",
                                                   "fig-e-persistence.svg"};
    static const char *const titles[REP_FIGURES] = {
        "(a) Mean ASR by architecture and trigger",
        "(b) ASR against poison rate",
        "(c) Clean accuracy: poisoned vs clean models (Welch 95% intervals)",
        "(d) Effect of regularization on ASR and clean accuracy",
        "(e) Persistence: ASR and clean accuracy during clean fine-tuning",
    };
    int (*const draw[REP_FIGURES])(Rep *, RepFigure *) = {fig_heatmap, fig_asr_rate, fig_detection,
                                                         fig_regularizers, fig_persistence};
    for (int i = 0; i < REP_FIGURES; i++) {
        r->fig[i].file = files[i];
        r->fig[i].title = titles[i];
        if (draw[i](r, &r->fig[i]) < 0) return -1;
    }
    return 0;
}
