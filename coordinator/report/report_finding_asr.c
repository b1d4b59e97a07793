/* Finding 1: attack success varies widely with architecture, trigger and
 * regularizer. Judged per factor (every axis that varies among the done
 * poisoned cells, from the axes table), by the range of its level means of
 * ASR against the seed noise of a difference of two level means, at each
 * poison rate (the rule: report_findings.c). A range over combinations alone
 * says nothing about a factor: two seeds of one cell can differ by more than
 * two architectures. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report_findings.h"
#include "text.h"

/* The ranges of level means that read "widely" and "little" (results/README.md). */
#define WIDE_RANGE 0.30
#define LITTLE_RANGE 0.10

/* Ordered: a factor's class over the rates is the strongest seen. */
typedef enum { VARY_UNDECIDED, VARY_LITTLE, VARY_MODERATE, VARY_WIDELY } Vary;

static const char *vary_text(Vary v) {
    static const char *const t[] = {"is undecided", "varies little", "varies moderately", "varies widely"};
    return t[v];
}

static const char *vary_short(Vary v) {
    static const char *const t[] = {"undecided", "little", "moderately", "widely"};
    return t[v];
}

/* One factor at one rate. */
typedef struct Level {
    double rate, range, noise; /* noise NaN: no replicates */
    double lo, hi;
    char lo_name[256], hi_name[256];
    Vary vary;
} Level;

typedef struct Factor {
    int axis, rates, little_rates, any_moderate, any_wide;
    Level shown; /* the rate that shows the factor's class best */
    int has_shown;
} Factor;

static Vary classify(double range, double noise) {
    if (!isfinite(noise)) return VARY_UNDECIDED;
    if (range + noise < LITTLE_RANGE) return VARY_LITTLE;
    if (range - noise >= WIDE_RANGE) return VARY_WIDELY;
    if (range - noise > 0) return VARY_MODERATE;
    return VARY_UNDECIDED;
}

/* Strength for choosing which rate to cite: the class, then how far the
 * range clears the noise (or the range itself without noise). */
static double strength(const Level *l) {
    return l->vary * 10.0 + (isfinite(l->noise) ? l->range - l->noise : l->range);
}

/* The pooled standard deviation of ASR between the seeds of a condition at
 * a rate, and its degrees of freedom (0: no condition has 2 seeds). */
static int seed_noise(Rep *r, double rate, double *sd, int *df) {
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT SUM(ss), SUM(n - 1) FROM (SELECT COUNT(*) AS n, SUM((asr - m) * (asr - m)) AS ss "
             "FROM (SELECT condition, asr, AVG(asr) OVER (PARTITION BY condition) AS m FROM cell_results "
             "      WHERE " REP_DONE " AND asr IS NOT NULL AND poison_rate = %.17g) GROUP BY condition)",
             rate);
    sqlite3_stmt *st;
    if (rep_prepare(r, sql, &st) < 0 || rep_step(r, st) < 0) return -1;
    double ss = rep_double(st, 0);
    *df = sqlite3_column_int(st, 1);
    sqlite3_finalize(st);
    *sd = *df > 0 ? sqrt(ss / *df) : NAN;
    return 0;
}

/* The level means of one axis at a rate; levels < 2: the axis does not vary there. */
static int level_means(Rep *r, int axis, double rate, double sd, int df, Level *l, int *levels) {
    const char *name = bd_axes()[axis].name;
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT %s, AVG(asr) AS m, COUNT(*) AS n FROM cell_results WHERE " REP_DONE
             " AND asr IS NOT NULL AND poison_rate = %.17g GROUP BY %s ORDER BY m",
             name, rate, name);
    sqlite3_stmt *st;
    if (rep_prepare(r, sql, &st) < 0) return -1;
    int rc, n_lo = 0, n_hi = 0;
    *levels = 0;
    memset(l, 0, sizeof *l);
    l->rate = rate;
    while ((rc = rep_step(r, st)) == SQLITE_ROW) {
        char v[256];
        rep_axis_value(st, 0, axis, v, sizeof v);
        if (!(*levels)++) {
            l->lo = rep_double(st, 1), n_lo = sqlite3_column_int(st, 2);
            bd_text_format(l->lo_name, sizeof l->lo_name, "%s", v);
        }
        l->hi = rep_double(st, 1), n_hi = sqlite3_column_int(st, 2);
        bd_text_format(l->hi_name, sizeof l->hi_name, "%s", v);
    }
    if (rc < 0) return -1;
    sqlite3_finalize(st);
    l->range = l->hi - l->lo;
    l->noise = df > 0 ? rep_t975(df) * sd * sqrt(1.0 / n_hi + 1.0 / n_lo) : NAN;
    l->vary = classify(l->range, l->noise);
    return 0;
}

static Vary factor_class(const Factor *f) {
    if (f->any_wide) return VARY_WIDELY;
    if (f->any_moderate) return VARY_MODERATE;
    if (f->little_rates == f->rates) return VARY_LITTLE;
    return VARY_UNDECIDED;
}

/* "at rate 0.02, from 0.12 (resnet20) to 0.85 (cnn-small): a range of 0.73 ± 0.10" */
static void level_text(BdStr *out, const Level *l) {
    bd_str_printf(out, "at rate %g, from %.2f (%s) to %.2f (%s): a range of %.2f", l->rate, l->lo, l->lo_name, l->hi,
                  l->hi_name, l->range);
    if (isfinite(l->noise)) bd_str_printf(out, " \xC2\xB1 %.2f", l->noise);
    else bd_str_puts(out, " (no seed noise known: one seed per condition)");
}

/* The overall spread at the highest rate: the range of condition means,
 * for scale next to the factors. */
static int overall(Rep *r, double rate, BdStr *text, double *lo, double *hi) {
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT *, AVG(asr) AS mean_asr FROM cell_results WHERE " REP_DONE
             " AND asr IS NOT NULL AND poison_rate = %.17g GROUP BY condition ORDER BY mean_asr",
             rate);
    sqlite3_stmt *st;
    if (rep_prepare(r, sql, &st) < 0) return -1;
    char lo_label[512] = "", hi_label[512] = "";
    unsigned skip = AXIS_BIT(BD_AXIS_POISON_RATE) | AXIS_BIT(BD_AXIS_SEED);
    int rc, combos = 0;
    while ((rc = rep_step(r, st)) == SQLITE_ROW) {
        *hi = rep_double(st, rep_col(st, "mean_asr"));
        rep_label(r, st, skip, AXIS_BIT(BD_AXIS_ARCH), hi_label, sizeof hi_label);
        if (!combos++) *lo = *hi, memcpy(lo_label, hi_label, sizeof lo_label);
    }
    if (rc < 0) return -1;
    sqlite3_finalize(st);
    if (combos > 1)
        bd_str_printf(text, " Overall, at poison rate %g mean ASR over seeds runs from %.2f (%s) to %.2f (%s) across "
                            "%d combinations.",
                      rate, *lo, lo_label, *hi, hi_label, combos);
    else bd_str_printf(text, " At poison rate %g there is one combination (%s): mean ASR %.2f.", rate, lo_label, *lo);
    return 0;
}

int rep_finding_asr(Rep *r, RepFinding *f) {
    f->claim = "Attack success varies widely with architecture, trigger and regularizer.";
    sqlite3_stmt *st;
    if (rep_prepare(r,
                    "SELECT DISTINCT poison_rate FROM cell_results WHERE " REP_DONE
                    " AND asr IS NOT NULL AND poison_rate > 0 ORDER BY poison_rate DESC",
                    &st) < 0)
        return -1;
    double rates[64];
    int n_rates = 0, rc;
    while ((rc = rep_step(r, st)) == SQLITE_ROW)
        if (n_rates < 64) rates[n_rates++] = sqlite3_column_double(st, 0);
    if (rc < 0) return -1;
    sqlite3_finalize(st);
    if (!n_rates) {
        f->verdict = VERDICT_CANNOT_TELL;
        bd_str_puts(&f->text, "No poisoned cell (poison rate > 0) is done yet, so there is no attack success to "
                              "compare.");
        bd_str_puts(&f->advice, "Run the sweep's poisoned cells (bdsweep run SWEEP.yaml).");
        rep_headline(f, "no poisoned cell is done yet");
        return 0;
    }

    Factor fac[BD_AXIS_COUNT];
    int n_fac = 0, max_df = 0;
    double max_sd = 0;
    for (int a = 0; a < BD_AXIS_COUNT; a++)
        if (!bd_axes()[a].replicate && a != BD_AXIS_POISON_RATE) fac[n_fac++] = (Factor){.axis = a};
    for (int i = 0; i < n_rates; i++) {
        double sd;
        int df;
        if (seed_noise(r, rates[i], &sd, &df) < 0) return -1;
        if (df > max_df) max_df = df;
        if (isfinite(sd) && sd > max_sd) max_sd = sd;
        for (int k = 0; k < n_fac; k++) {
            Level l;
            int levels;
            if (level_means(r, fac[k].axis, rates[i], sd, df, &l, &levels) < 0) return -1;
            if (levels < 2) continue;
            Factor *x = &fac[k];
            x->rates++;
            x->little_rates += l.vary == VARY_LITTLE;
            x->any_moderate |= l.vary == VARY_MODERATE;
            x->any_wide |= l.vary == VARY_WIDELY;
            if (!x->has_shown || strength(&l) > strength(&x->shown)) x->shown = l, x->has_shown = 1;
        }
    }

    int judged = 0, count[4] = {0};
    BdStr head = {0};
    for (int k = 0; k < n_fac; k++) {
        const Factor *x = &fac[k];
        if (!x->rates) continue;
        Vary v = factor_class(x);
        count[v]++;
        bd_str_printf(&f->text, "%s%s %s: ", judged++ ? " " : "Per factor (the range of its level means of ASR "
                                                               "\xC2\xB1 the 95% seed noise of a difference of two "
                                                               "level means): ",
                      bd_axes()[x->axis].label, vary_text(v));
        level_text(&f->text, &x->shown);
        if (v == VARY_UNDECIDED && isfinite(x->shown.noise))
            bd_str_puts(&f->text, ", within seed noise that could hide a wide effect");
        bd_str_puts(&f->text, ".");
        bd_str_printf(&head, "%s%s %s (%.2f", head.n ? ", " : "", bd_axes()[x->axis].label, vary_short(v),
                      x->shown.range);
        if (isfinite(x->shown.noise)) bd_str_printf(&head, "\xC2\xB1%.2f", x->shown.noise);
        bd_str_puts(&head, ")");
    }
    double lo = NAN, hi = NAN;
    if (overall(r, rates[0], &f->text, &lo, &hi) < 0) {
        bd_str_free(&head);
        return -1;
    }
    if (max_df > 0)
        bd_str_printf(&f->text, " Seed noise: the ASR of two seeds of one condition differs with a standard deviation "
                                "of up to %.2f (pooled per rate).",
                      max_sd);

    /* Axes that vary in the grid but not among the done cells. */
    for (int k = 0; k < n_fac; k++) {
        int a = fac[k].axis;
        if (fac[k].rates || r->grid[a] < 2) continue;
        bd_str_printf(&f->text, " The grid has %d %s, but only one has done poisoned cells (the others failed or "
                                "have not run), so its effect is not seen yet.",
                      r->grid[a], bd_axes()[a].plural);
        bd_str_printf(&f->advice, "%sRun (or retry with --retry-failed) the cells of the other %s.",
                      f->advice.n ? " " : "", bd_axes()[a].plural);
    }

    if (!judged) {
        f->verdict = VERDICT_CANNOT_TELL;
        bd_str_puts(&f->text, " No factor varies among the done poisoned cells, so none can be compared.");
        if (!f->advice.n)
            bd_str_puts(&f->advice, "Add values to the axes of the claim (architectures, triggers, regularizers), "
                                    "with poison rates > 0 and the same seeds.");
        rep_headline(f, "rate %g: ASR %.2f\xE2\x80\x93%.2f; no factor varies", rates[0], lo, hi);
        bd_str_free(&head);
        return 0;
    }
    if (count[VARY_WIDELY] == judged) f->verdict = VERDICT_SUPPORTS;
    else if (count[VARY_LITTLE] == judged) f->verdict = VERDICT_CONTRADICTS;
    else if (count[VARY_WIDELY] + count[VARY_MODERATE] > 0) f->verdict = VERDICT_PARTLY;
    else f->verdict = VERDICT_CANNOT_TELL;
    if (count[VARY_UNDECIDED]) {
        bd_str_printf(&f->text, " %d %s cannot be decided with %s seeds", count[VARY_UNDECIDED],
                      rep_plural(count[VARY_UNDECIDED], "factor", "factors"), max_df ? "these" : "single");
        bd_str_puts(&f->text, !max_df                  ? ": no condition has 2 seeds."
                              : count[VARY_UNDECIDED] == 1 ? ": its range is within the seed noise."
                                                           : ": their ranges are within the seed noise.");
        bd_str_printf(&f->advice, "%sMore seeds per condition would narrow the seed noise (it shrinks as one over "
                                  "the square root of the seeds) and separate the factors from it.",
                      f->advice.n ? " " : "");
    }
    rep_headline(f, "by factor: %s", bd_str_str(&head));
    bd_str_free(&head);
    return 0;
}
