/* Figures (c) and (d): the differences behind findings 2 and 3, a row per
 * group with its 95% interval and each seed's own difference beside it. The
 * axes stop at -1 and +1 (a difference of two rates cannot go further; an
 * interval that does ends in a triangle), the verdict's margin is shaded,
 * and when there are more groups than fit, those with the largest effect are
 * drawn, saying so. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_figures.h"
#include "report_findings.h"
#include "text.h"

/* The rows of an interval figure, with the condition each one is. */
typedef struct Rows {
    BdIntervalRow row[REP_MAX_FIGURE_ROWS];
    char label[REP_MAX_FIGURE_ROWS][512], tip[REP_MAX_FIGURE_ROWS][1200];
    char *condition[REP_MAX_FIGURE_ROWS];
    Vals seeds[REP_MAX_FIGURE_ROWS][2];
    int n, total, seeds_lo, seeds_hi;
} Rows;

static void rows_free(Rows *g) {
    for (int i = 0; i < g->n; i++) free(g->condition[i]), vals_free(&g->seeds[i][0]), vals_free(&g->seeds[i][1]);
}

/* Each seed's differences (columns 1 and 2 of the query; column 0 the
 * condition) onto the row of its condition. */
static int attach_seeds(Rep *r, Rows *g, const char *sql, int n_cols) {
    sqlite3_stmt *st;
    if (rep_prepare(r, sql, &st) < 0) return -1;
    int rc;
    while ((rc = rep_step(r, st)) == SQLITE_ROW)
        for (int i = 0; i < g->n; i++) {
            if (strcmp(g->condition[i], rep_text(st, 0))) continue;
            for (int k = 0; k < n_cols; k++) vals_add(&g->seeds[i][k], rep_double(st, 1 + k));
            break;
        }
    if (rc < 0) return -1;
    sqlite3_finalize(st);
    for (int i = 0; i < g->n; i++)
        for (int k = 0; k < n_cols; k++) g->row[i].samples[k] = (BdSamples){g->seeds[i][k].n, g->seeds[i][k].v};
    return 0;
}

/* The rows of a view (FROM and WHERE: `from`) in their reading order, or,
 * when there are more than a figure draws, the largest `effect` first (an
 * SQL expression); NULL on an error. */
static Rows *rows_query(Rep *r, const char *from, const char *effect, const char *order, sqlite3_stmt **st) {
    char sql[1024];
    double total = 0;
    snprintf(sql, sizeof sql, "SELECT COUNT(*) %s", from);
    if (rep_number(r, sql, &total) < 0) return NULL;
    if (total > REP_MAX_FIGURE_ROWS)
        snprintf(sql, sizeof sql, "SELECT * %s ORDER BY abs(%s) DESC, %s", from, effect, order);
    else snprintf(sql, sizeof sql, "SELECT * %s ORDER BY %s", from, order);
    if (rep_prepare(r, sql, st) < 0) return NULL;
    Rows *g = bd_xcalloc(1, sizeof *g);
    g->total = (int)total, g->seeds_lo = 1 << 30;
    return g;
}

/* A row read from the query: its condition kept (for attach_seeds), its
 * index given. */
static int rows_add(Rows *g, sqlite3_stmt *st) {
    g->condition[g->n] = bd_xstrdup(rep_text(st, rep_col(st, "condition")));
    return g->n++;
}

static void rows_seeds(Rows *g, int seeds) {
    if (seeds < g->seeds_lo) g->seeds_lo = seeds;
    if (seeds > g->seeds_hi) g->seeds_hi = seeds;
}

/* "showing the 80 groups of 120 with the largest |difference|; the table
 * 'detection' lists every one", or NULL when every group is drawn. */
static const char *shown_note(const Rows *g, const char *what, const char *effect, const char *table, char *out,
                              size_t cap) {
    if (g->total <= g->n) return NULL;
    bd_text_format(out, cap, "showing %d of %d %s, those with the largest %s; the table '%s' lists every one", g->n,
                   g->total, what, effect, table);
    return out;
}

/* ---- (c) clean accuracy, poisoned vs clean ----------------------------------------------------------- */

int rep_fig_detection(Rep *r, RepFigure *fig) {
    const double m = r->o->equivalence_margin;
    sqlite3_stmt *st;
    Rows *g = rows_query(r, "FROM detection WHERE n_clean > 0", "COALESCE(interval_diff, clean_acc_diff)",
                         "baseline_condition, poison_rate", &st);
    if (!g) return -1;
    int rc, paired = 0, welch = 0;
    while ((rc = rep_step(r, st)) == SQLITE_ROW && g->n < REP_MAX_FIGURE_ROWS) {
        int i = rows_add(g, st);
        rep_label(r, st, AXIS_BIT(BD_AXIS_SEED),
                  AXIS_BIT(BD_AXIS_ARCH) | AXIS_BIT(BD_AXIS_TRIGGER) | AXIS_BIT(BD_AXIS_POISON_RATE), g->label[i],
                  sizeof g->label[i]);
        const char *kind = rep_text(st, rep_col(st, "interval"));
        int is_paired = !strcmp(kind, "paired"), is_welch = !strcmp(kind, "welch");
        paired += is_paired, welch += is_welch;
        double lo = rep_double(st, rep_col(st, "interval_low")), hi = rep_double(st, rep_col(st, "interval_high"));
        double d = is_paired || is_welch ? rep_double(st, rep_col(st, "interval_diff"))
                                         : rep_double(st, rep_col(st, "clean_acc_diff"));
        rows_seeds(g, is_paired ? sqlite3_column_int(st, rep_col(st, "n_pairs"))
                                : sqlite3_column_int(st, rep_col(st, "n_poisoned")));
        RepInterval c = rep_interval_class(lo, hi, m);
        static const char *const word[] = {"no interval: fewer than 2 seeds", "detectable", "detectable",
                                           "within the margin", "undecided"};
        bd_text_format(g->tip[i], sizeof g->tip[i],
                       "%s: poisoned %.4f (%d seeds) vs clean %.4f (%d seeds); difference %+.4f, 95%% %s interval "
                       "[%+.4f, %+.4f]%s%s (%s)",
                       g->label[i], rep_double(st, rep_col(st, "clean_acc_poisoned")),
                       sqlite3_column_int(st, rep_col(st, "n_poisoned")),
                       rep_double(st, rep_col(st, "clean_acc_clean")), sqlite3_column_int(st, rep_col(st, "n_clean")), d, is_paired ? "paired" : "Welch", lo, hi,
                       is_paired ? " from pairs: " : "", is_paired ? "each seed against its own baseline" : "",
                       word[c]);
        /* Colours: the verdict's classes (report_findings.c). */
        int color = c == REP_NO_INTERVAL ? -1 : c == REP_WITHIN ? 2 : c == REP_UNDECIDED ? 0 : 1;
        g->row[i] = (BdIntervalRow){.label = g->label[i], .v = {d, NAN}, .lo = {lo, NAN}, .hi = {hi, NAN},
                                    .color = color, .tooltip = g->tip[i]};
    }
    if (rc == SQLITE_ROW || rc == SQLITE_DONE) sqlite3_finalize(st);
    /* Each poisoned seed against its baseline (the same seed's, else the
     * other seeds' mean: cell_results.baseline). */
    if (rc < 0 || attach_seeds(r, g,
                               "SELECT condition, clean_acc - baseline_clean_acc FROM cell_results WHERE " REP_DONE_CELL
                               " AND poison_rate > 0 AND clean_acc IS NOT NULL AND baseline_clean_acc IS NOT NULL "
                               "ORDER BY seed",
                               1) < 0) {
        rows_free(g), free(g);
        return -1;
    }
    if (g->n == 0) {
        rep_placeholder(fig, "no poisoned cell has a done baseline (poison rate 0) to compare with.");
        free(g);
        return 0;
    }
    char margin[64], seeds[64], shown[256], note[512];
    bd_text_format(margin, sizeof margin, "within \xC2\xB1%g (shaded)", m);
    BdLegendEntry legend[] = {
        {margin, bd_color_category(2), NULL},
        {"undecided (holds 0, wider)", bd_color_category(0), NULL},
        {"detectable (excludes 0)", bd_color_category(1), NULL},
        {"no interval (< 2 seeds)", "#999999", NULL},
    };
    rep_count_phrase(g->seeds_lo, g->seeds_hi, "seed", "seeds", seeds, sizeof seeds);
    const char *cut = shown_note(g, "groups", "|difference|", "detection", shown, sizeof shown);
    bd_text_format(note, sizeof note, "%s per group (circles: each seed's difference)%s%s", seeds, cut ? "; " : "",
                   cut ? cut : "");
    BdIntervalChart c = {.title = fig->title,
                         .col_titles = {"clean accuracy, poisoned \xE2\x88\x92 clean baseline", NULL},
                         .n_cols = 1, .rows = g->row, .n_rows = g->n, .legend = legend, .n_legend = 4,
                         .note = note, .clip = 1, .margin = {m, 0}};
    bd_chart_intervals(&fig->svg, &c);
    bd_str_printf(&fig->caption,
                  "Finding 2: the difference in clean accuracy between the poisoned models of each group and their "
                  "clean baselines (poison rate 0, all else equal), with its 95%% interval: paired (each poisoned "
                  "seed against the baseline of its own seed, trained on the same random streams; %d %s) where the "
                  "seeds pair, else Welch's (the two sets of seeds; %d %s). %s per group; the circles are each "
                  "seed's own difference. The shaded band is the equivalence margin \xC2\xB1%g: an interval inside "
                  "it rules out a difference that matters, one that holds 0 but reaches beyond it cannot tell. The "
                  "axis stops at \xC2\xB1" "1; a triangle marks an interval that goes on beyond it.%s",
                  paired, rep_plural(paired, "group", "groups"), welch, rep_plural(welch, "group", "groups"), seeds, m,
                  cut ? " Only the groups with the largest differences are drawn; the table lists every one." : "");
    fig->has_data = 1;
    rows_free(g), free(g);
    return 0;
}

/* ---- (d) regularizer effect ------------------------------------------------------------------------- */

int rep_fig_regularizers(Rep *r, RepFigure *fig) {
    sqlite3_stmt *st;
    Rows *g = rows_query(r, "FROM regularizer_effect", "asr_change", "unregularized_condition, regularizer", &st);
    if (!g) return -1;
    Names regs = {0};
    int rc;
    /* The regularizer is always named: it is what each row is about. */
    Rep lr = *r;
    lr.varies[BD_AXIS_REGULARIZER] = 2;
    while ((rc = rep_step(r, st)) == SQLITE_ROW && g->n < REP_MAX_FIGURE_ROWS) {
        int i = rows_add(g, st);
        rep_label(&lr, st, AXIS_BIT(BD_AXIS_SEED), AXIS_BIT(BD_AXIS_ARCH), g->label[i], sizeof g->label[i]);
        int color = names_add(&regs, rep_text(st, rep_col(st, "regularizer")));
        double v[2] = {rep_double(st, rep_col(st, "asr_change")), rep_double(st, rep_col(st, "clean_acc_change"))};
        double lo[2] = {rep_double(st, rep_col(st, "asr_change_ci_low")),
                        rep_double(st, rep_col(st, "clean_acc_change_ci_low"))};
        double hi[2] = {rep_double(st, rep_col(st, "asr_change_ci_high")),
                        rep_double(st, rep_col(st, "clean_acc_change_ci_high"))};
        int seeds = sqlite3_column_int(st, rep_col(st, "n_seeds"));
        rows_seeds(g, seeds);
        bd_text_format(g->tip[i], sizeof g->tip[i],
                       "%s: ASR %+.4f (95%% paired interval [%+.4f, %+.4f]), clean accuracy %+.4f ([%+.4f, %+.4f]), "
                       "%d %s",
                       g->label[i], v[0], lo[0], hi[0], v[1], lo[1], hi[1], seeds, seeds == 1 ? "seed" : "seeds");
        g->row[i] = (BdIntervalRow){.label = g->label[i], .v = {v[0], v[1]}, .lo = {lo[0], lo[1]},
                                    .hi = {hi[0], hi[1]}, .color = color, .tooltip = g->tip[i]};
    }
    if (rc == SQLITE_ROW || rc == SQLITE_DONE) sqlite3_finalize(st);
    /* Each seed's pair: the regularized cell minus its regularizer-free twin. */
    if (rc < 0 || attach_seeds(r, g,
                               "SELECT x.condition, x.asr - n.asr, x.clean_acc - n.clean_acc FROM cell_results x "
                               "JOIN cell_results n ON n.key = x.unregularized_key WHERE x.key <> n.key "
                               "AND x." REP_DONE_CELL " AND n." REP_DONE_CELL " AND x.asr IS NOT NULL AND n.asr IS NOT "
                               "NULL AND x.clean_acc IS NOT NULL AND n.clean_acc IS NOT NULL ORDER BY x.seed",
                               2) < 0) {
        rows_free(g), free(g), names_free(&regs);
        return -1;
    }
    if (g->n == 0) {
        rep_placeholder(fig, "no regularized cell is done together with its regularizer-none partner of the same "
                             "seed.");
        free(g), names_free(&regs);
        return 0;
    }
    BdLegendEntry legend[16];
    int n_legend = regs.n < 16 ? regs.n : 16;
    for (int i = 0; i < n_legend; i++) legend[i] = (BdLegendEntry){regs.v[i], bd_color_category(i), NULL};
    char seeds[64], shown[256], note[512];
    rep_count_phrase(g->seeds_lo, g->seeds_hi, "seed", "seeds", seeds, sizeof seeds);
    const char *cut = shown_note(g, "comparisons", "|change in ASR|", "regularizer_effect", shown, sizeof shown);
    bd_text_format(note, sizeof note, "%s per comparison (circles: each seed's change)%s%s", seeds, cut ? "; " : "",
                   cut ? cut : "");
    BdIntervalChart c = {.title = fig->title,
                         .col_titles = {"change in ASR (regularized \xE2\x88\x92 none)",
                                        "change in clean accuracy (regularized \xE2\x88\x92 none)"},
                         .n_cols = 2, .bars = 1, .rows = g->row, .n_rows = g->n, .legend = legend,
                         .n_legend = n_legend, .note = note, .clip = 1, .margin = {REP_ASR_MARGIN, 0}};
    bd_chart_intervals(&fig->svg, &c);
    bd_str_printf(&fig->caption,
                  "Finding 3: each regularized condition against the same condition with regularizer none, seed by "
                  "seed (%s per comparison). Bars are the mean change, whiskers its paired 95%% interval (none with "
                  "one seed), circles each seed's own change. Left of 0 the regularizer lowered ASR (or clean "
                  "accuracy); the shaded band \xC2\xB1%g is \"no clear change\" in ASR. The axes stop at \xC2\xB1" "1; "
                  "a triangle marks an interval that goes on beyond.%s",
                  seeds, REP_ASR_MARGIN,
                  cut ? " Only the comparisons with the largest changes in ASR are drawn; the table lists every one."
                      : "");
    fig->has_data = 1;
    rows_free(g), free(g);
    names_free(&regs);
    return 0;
}
