/* The paper's four findings (docs/EXPERIMENT.md section 1), restated for the
 * database with the numbers for and against. Each finding ends in a verdict:
 * supports, partly supports, contradicts, or cannot tell (then the advice
 * says what to add to the sweep). The thresholds are stated in the text and
 * in results/README.md:
 *   1. the range of mean ASR across combinations at a rate: >= 0.30 "varies
 *      widely", < 0.10 "varies little", else "varies moderately";
 *   2. share of tested groups detectable: <= 25% supports, >= 50%
 *      contradicts;
 *   3. an ASR change beyond +-0.01 counts as lowered / raised; "usually" is
 *      more than half of the comparisons;
 *   4. a backdoor "took hold" when ASR > baseline + 0.05 at the end of
 *      training; >= 75% of those neutralised with clean accuracy down by at
 *      most 0.02 supports, <= 25% contradicts. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report_internal.h"

#define DONE "status = 'done'"
/* Same tolerance as the views' neutralisation threshold. */
#define TOOK_HOLD "baseline_asr IS NOT NULL AND asr > baseline_asr + 0.05 + 1e-9"

static const unsigned core_axes = AXIS_BIT(BD_AXIS_ARCH) | AXIS_BIT(BD_AXIS_TRIGGER) | AXIS_BIT(BD_AXIS_REGULARIZER);

const char *rep_verdict_text(RepVerdict v) {
    switch (v) {
    case VERDICT_SUPPORTS: return "supports";
    case VERDICT_PARTLY: return "partly supports";
    case VERDICT_CONTRADICTS: return "contradicts";
    case VERDICT_CANNOT_TELL: return "cannot tell";
    default: return "";
    }
}

static const char *plural(long n, const char *one, const char *many) { return n == 1 ? one : many; }

/* ---- 1. attack success varies widely ------------------------------------------------------------ */

typedef struct Spread {
    double rate;
    int combos;
    double lo, hi, seed_range;
    char lo_label[512], hi_label[512];
} Spread;

static const char *spread_word(double range) {
    return range >= 0.3 ? "varies widely" : range < 0.1 ? "varies little" : "varies moderately";
}

/* Mean ASR over seeds of every combination of the other axes at one rate. */
static int spread_at(Rep *r, double rate, Spread *s) {
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT *, AVG(asr) AS mean_asr, COUNT(*) AS n, MAX(asr) - MIN(asr) AS seed_range "
             "FROM cell_results WHERE " DONE " AND asr IS NOT NULL AND poison_rate = %.17g "
             "GROUP BY condition ORDER BY mean_asr",
             rate);
    sqlite3_stmt *st;
    if (rep_prepare(r, sql, &st) < 0) return -1;
    memset(s, 0, sizeof *s);
    s->rate = rate;
    double range_sum = 0;
    int range_n = 0, rc;
    unsigned skip = AXIS_BIT(BD_AXIS_POISON_RATE) | AXIS_BIT(BD_AXIS_SEED);
    while ((rc = rep_step(r, st)) == SQLITE_ROW) {
        double m = rep_double(st, rep_col(st, "mean_asr"));
        if (s->combos == 0) {
            s->lo = m;
            rep_label(r, st, skip, core_axes, s->lo_label, sizeof s->lo_label);
        }
        s->hi = m;
        rep_label(r, st, skip, core_axes, s->hi_label, sizeof s->hi_label);
        if (sqlite3_column_int(st, rep_col(st, "n")) >= 2) {
            range_sum += rep_double(st, rep_col(st, "seed_range"));
            range_n++;
        }
        s->combos++;
    }
    if (rc < 0) return -1;
    sqlite3_finalize(st);
    s->seed_range = range_n ? range_sum / range_n : NAN;
    return 0;
}

/* "by architecture, mean ASR runs from 0.41 (resnet20) to 0.97 (cnn-small)";
 * NULL text when the axis has one value at this rate. */
static int marginal(Rep *r, int axis, double rate, BdStr *out, int *levels, double *range) {
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT %s, AVG(asr) AS m FROM cell_results WHERE " DONE " AND asr IS NOT NULL AND poison_rate = %.17g "
             "GROUP BY %s ORDER BY m",
             bd_axes()[axis].name, rate, bd_axes()[axis].name);
    sqlite3_stmt *st;
    if (rep_prepare(r, sql, &st) < 0) return -1;
    int n = 0, rc;
    char lo_name[512] = "", hi_name[512] = "";
    double lo = NAN, hi = NAN;
    while ((rc = rep_step(r, st)) == SQLITE_ROW) {
        if (!n) lo = rep_double(st, 1), snprintf(lo_name, sizeof lo_name, "%s", rep_text(st, 0));
        hi = rep_double(st, 1), snprintf(hi_name, sizeof hi_name, "%s", rep_text(st, 0));
        n++;
    }
    if (rc < 0) return -1;
    sqlite3_finalize(st);
    *levels = n;
    *range = n > 1 ? hi - lo : 0;
    if (n > 1)
        bd_str_printf(out, " By %s, mean ASR runs from %.2f (%s) to %.2f (%s), a range of %.2f.", bd_axes()[axis].label, lo,
                      lo_name, hi, hi_name, hi - lo);
    return 0;
}

static int finding1(Rep *r) {
    RepFinding *f = &r->f[0];
    f->claim = "Attack success varies widely with architecture, trigger and regularizer.";
    sqlite3_stmt *st;
    if (rep_prepare(r,
                    "SELECT DISTINCT poison_rate FROM cell_results WHERE " DONE
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
        bd_str_printf(&f->text, "No poisoned cell (poison rate > 0) is done yet, so there is no attack success to "
                                "compare.");
        bd_str_printf(&f->advice, "Run the sweep's poisoned cells (bdsweep run SWEEP.yaml).");
        snprintf(f->headline, sizeof f->headline, "no poisoned cell is done yet");
        return 0;
    }

    /* The highest rate in detail, then one sentence per lower rate. */
    Spread top;
    if (spread_at(r, rates[0], &top) < 0) return -1;
    int lv[BD_AXIS_COUNT] = {0};
    double rg[BD_AXIS_COUNT] = {0};
    BdStr by = {0};
    for (int a = 0; a < BD_AXIS_COUNT; a++) {
        if (a == BD_AXIS_POISON_RATE || a == BD_AXIS_SEED) continue;
        if (marginal(r, a, rates[0], &by, &lv[a], &rg[a]) < 0) {
            bd_str_free(&by);
            return -1;
        }
    }
    /* Rates with at least 2 combinations are judged: wide, little or moderate. */
    int n_wide = 0, n_little = 0, judged = 0;
    if (top.combos > 1) {
        bd_str_printf(&f->text,
                      "At poison rate %g%s, mean ASR over seeds ranges from %.2f (%s) to %.2f (%s) across %d "
                      "combinations (%d %s \xC3\x97 %d %s \xC3\x97 %d %s%s): a range of %.2f, so it %s.",
                      top.rate, n_rates > 1 ? " (the highest)" : "", top.lo, top.lo_label, top.hi, top.hi_label,
                      top.combos, lv[BD_AXIS_ARCH], plural(lv[BD_AXIS_ARCH], "architecture", "architectures"),
                      lv[BD_AXIS_TRIGGER], plural(lv[BD_AXIS_TRIGGER], "trigger", "triggers"),
                      lv[BD_AXIS_REGULARIZER], plural(lv[BD_AXIS_REGULARIZER], "regularizer", "regularizers"),
                      top.combos > lv[BD_AXIS_ARCH] * lv[BD_AXIS_TRIGGER] * lv[BD_AXIS_REGULARIZER]
                          ? ", with other axes"
                          : "",
                      top.hi - top.lo, spread_word(top.hi - top.lo));
        bd_str_puts(&f->text, bd_str_str(&by));
        if (isfinite(top.seed_range))
            bd_str_printf(&f->text, " For scale, the seeds of one combination differ by %.2f on average "
                                    "(max \xE2\x88\x92 min).",
                          top.seed_range);
        n_wide += top.hi - top.lo >= 0.3;
        n_little += top.hi - top.lo < 0.1;
        judged++;
    } else {
        bd_str_printf(&f->text, "At poison rate %g%s, there is one combination of the other axes (%s): mean ASR "
                                "%.2f.",
                      top.rate, n_rates > 1 ? " (the highest)" : "", top.lo_label, top.lo);
    }
    bd_str_free(&by);
    snprintf(f->headline, sizeof f->headline, "rate %g: ASR %.2f\xE2\x80\x93%.2f across %d combination%s", top.rate,
             top.lo, top.hi, top.combos, top.combos == 1 ? "" : "s");
    if (top.combos > 1) {
        size_t o = strlen(f->headline);
        snprintf(f->headline + o, sizeof f->headline - o, " (%s)", spread_word(top.hi - top.lo));
    }
    for (int i = 1; i < n_rates; i++) {
        Spread s;
        if (spread_at(r, rates[i], &s) < 0) return -1;
        if (s.combos < 2) {
            bd_str_printf(&f->text, " At rate %g: one combination, mean ASR %.2f.", s.rate, s.lo);
            continue;
        }
        bd_str_printf(&f->text, " At rate %g: from %.2f (%s) to %.2f (%s), range %.2f, %s.", s.rate, s.lo,
                      s.lo_label, s.hi, s.hi_label, s.hi - s.lo, spread_word(s.hi - s.lo));
        n_wide += s.hi - s.lo >= 0.3;
        n_little += s.hi - s.lo < 0.1;
        judged++;
        if (i < 3) {
            size_t o = strlen(f->headline);
            snprintf(f->headline + o, sizeof f->headline - o, "; rate %g: %.2f\xE2\x80\x93%.2f (%s)", s.rate, s.lo,
                     s.hi, spread_word(s.hi - s.lo));
        }
    }

    /* What the grid cannot show: an axis with one value among the done
     * cells, either because the grid has one (add more) or because the
     * others have not run (run or retry them). */
    static const char *const missing_names[] = {"architecture", "trigger", "regularizer"};
    const int missing_axes[] = {BD_AXIS_ARCH, BD_AXIS_TRIGGER, BD_AXIS_REGULARIZER};
    int missing = 0;
    for (int k = 0; k < 3; k++) {
        int a = missing_axes[k];
        if (lv[a] > 1) continue;
        if (r->grid[a] > 1) {
            bd_str_printf(&f->text, " Only one %s has done cells at rate %g (the grid has %d; the others failed or "
                                    "have not run), so its effect on ASR is not seen yet.",
                          missing_names[k], top.rate, r->grid[a]);
            bd_str_printf(&f->advice, "%sRun (or retry with --retry-failed) the cells of the other %ss",
                          missing++ ? "; " : "", missing_names[k]);
        } else {
            bd_str_printf(&f->text, " Only one %s ran at rate %g, so its effect on ASR is not seen here.",
                          missing_names[k], top.rate);
            bd_str_printf(&f->advice, "%sAdd %ss to the grid (with poison rates > 0 and the same seeds)",
                          missing++ ? "; " : "", missing_names[k]);
        }
    }
    if (missing) bd_str_puts(&f->advice, ".");

    if (judged == 0) f->verdict = VERDICT_CANNOT_TELL;
    else if (n_wide == judged) f->verdict = VERDICT_SUPPORTS;
    else if (n_little == judged) f->verdict = VERDICT_CONTRADICTS;
    else f->verdict = VERDICT_PARTLY;
    return 0;
}

/* ---- 2. hard to detect by clean accuracy -------------------------------------------------------- */

static int finding2(Rep *r) {
    RepFinding *f = &r->f[1];
    f->claim = "A poisoned model is hard to detect by looking at its clean accuracy alone.";
    sqlite3_stmt *st;
    if (rep_prepare(r,
                    "SELECT COUNT(*), SUM(n_clean > 0), SUM(detectable IS NOT NULL), SUM(detectable = 1), "
                    "  AVG(clean_acc_diff), MIN(clean_acc_diff), MAX(clean_acc_diff), "
                    "  AVG(CASE WHEN detectable IS NOT NULL THEN (ci_high - ci_low) / 2 END), "
                    "  SUM(detectable = 1 AND clean_acc_diff < 0), MIN(n_poisoned), MAX(n_poisoned), "
                    "  SUM(n_poisoned < 2 AND n_clean > 0), SUM(n_clean = 1) "
                    "FROM detection",
                    &st) < 0)
        return -1;
    if (rep_step(r, st) < 0) return -1;
    int groups = sqlite3_column_int(st, 0), with_base = sqlite3_column_int(st, 1), tested = sqlite3_column_int(st, 2);
    int k = sqlite3_column_int(st, 3), k_lower = sqlite3_column_int(st, 8);
    double mean = rep_double(st, 4), lo = rep_double(st, 5), hi = rep_double(st, 6), half = rep_double(st, 7);
    int seeds_lo = sqlite3_column_int(st, 9), seeds_hi = sqlite3_column_int(st, 10);
    int few_p = sqlite3_column_int(st, 11), few_c = sqlite3_column_int(st, 12);
    sqlite3_finalize(st);

    if (groups == 0) {
        f->verdict = VERDICT_CANNOT_TELL;
        bd_str_puts(&f->text, "No poisoned cell is done yet, so there is nothing to compare with a clean baseline.");
        bd_str_puts(&f->advice, "Run the sweep's poisoned cells and their baselines (poison_rate 0).");
        snprintf(f->headline, sizeof f->headline, "no poisoned cell is done yet");
        return 0;
    }
    if (with_base == 0) {
        f->verdict = VERDICT_CANNOT_TELL;
        bd_str_printf(&f->text, "None of the %d %s of poisoned cells has a done baseline (the same cell with poison "
                                "rate 0), so clean accuracy cannot be compared.",
                      groups, plural(groups, "group", "groups"));
        bd_str_puts(&f->advice, "Add poison_rate 0 to the grid: it is the clean baseline of every condition.");
        snprintf(f->headline, sizeof f->headline, "no baseline (poison rate 0) is done: cannot compare");
        return 0;
    }
    bd_str_printf(&f->text,
                  "Across the %d %s of poisoned cells with a clean baseline, the clean accuracy of the poisoned "
                  "models differs from their baselines' by %+.3f on average (poisoned \xE2\x88\x92 clean; from %+.3f "
                  "to %+.3f).",
                  with_base, plural(with_base, "group", "groups"), mean, lo, hi);
    if (tested > 0) {
        bd_str_printf(&f->text,
                      " %d of %d tested %s %s detectable by clean accuracy alone: the 95%% Welch interval of the "
                      "difference excludes 0",
                      k, tested, plural(tested, "group", "groups"), k == 1 ? "was" : "were");
        if (k) bd_str_printf(&f->text, " (%d with lower, %d with higher clean accuracy)", k_lower, k - k_lower);
        char seeds[64];
        if (seeds_lo == seeds_hi) snprintf(seeds, sizeof seeds, "%d", seeds_lo);
        else snprintf(seeds, sizeof seeds, "%d\xE2\x80\x93%d", seeds_lo, seeds_hi);
        bd_str_printf(&f->text, ". The intervals are \xC2\xB1%.3f wide on average, so with %s poisoned seeds a "
                                "difference smaller than about %.3f goes unnoticed.",
                      half, seeds, half);
    }
    if (groups > with_base)
        bd_str_printf(&f->text, " %d %s no done baseline.", groups - with_base,
                      plural(groups - with_base, "group has", "groups have"));
    if (with_base > tested)
        bd_str_printf(&f->text, " %d %s fewer than 2 seeds on a side and cannot be tested.", with_base - tested,
                      plural(with_base - tested, "group has", "groups have"));
    if (tested == 0) {
        f->verdict = VERDICT_CANNOT_TELL;
        bd_str_puts(&f->advice, "Add seeds (at least 2 per condition, better 3 to 5) so that the difference can be "
                                "told from noise");
        if (few_c || few_p) bd_str_puts(&f->advice, ", for the poisoned cells and their baselines alike");
        bd_str_puts(&f->advice, ".");
        snprintf(f->headline, sizeof f->headline, "mean clean-accuracy difference %+.3f; no group has 2 seeds a side "
                                                  "to test",
                 mean);
        return 0;
    }
    double share = (double)k / tested;
    f->verdict = share <= 0.25 ? VERDICT_SUPPORTS : share >= 0.5 ? VERDICT_CONTRADICTS : VERDICT_PARTLY;
    snprintf(f->headline, sizeof f->headline, "%d of %d groups detectable by clean accuracy alone (mean difference "
                                              "%+.3f)",
             k, tested, mean);
    if (seeds_hi < 5)
        bd_str_puts(&f->advice, "More seeds narrow the intervals: the test can only find differences larger than "
                                "its half-width.");
    return 0;
}

/* ---- 3. regularization usually lowers ASR, not always -------------------------------------------- */

static int finding3(Rep *r) {
    RepFinding *f = &r->f[2];
    f->claim = "Regularization usually lowers attack success, but not always.";
    sqlite3_stmt *st;
    if (rep_prepare(r,
                    "SELECT COUNT(*), SUM(asr_change < -0.01), SUM(asr_change > 0.01), AVG(asr_change), "
                    "  AVG(clean_acc_change), "
                    "  SUM(asr_change_sd IS NOT NULL AND abs(asr_change) > 2 * asr_change_sd / sqrt(n_seeds)), "
                    "  SUM(asr_change_sd IS NOT NULL) "
                    "FROM regularizer_effect WHERE poison_rate > 0",
                    &st) < 0)
        return -1;
    if (rep_step(r, st) < 0) return -1;
    int n = sqlite3_column_int(st, 0), lowered = sqlite3_column_int(st, 1), raised = sqlite3_column_int(st, 2);
    double mean = rep_double(st, 3), clean = rep_double(st, 4);
    int clear = sqlite3_column_int(st, 5), with_sd = sqlite3_column_int(st, 6);
    sqlite3_finalize(st);
    if (n == 0) {
        double regs = 0, nones = 0;
        if (rep_number(r, "SELECT COUNT(*) FROM cell_results WHERE poison_rate > 0 AND regularizer <> 'none'",
                       &regs) < 0 ||
            rep_number(r, "SELECT COUNT(*) FROM cell_results WHERE poison_rate > 0 AND regularizer = 'none'",
                       &nones) < 0)
            return -1;
        f->verdict = VERDICT_CANNOT_TELL;
        if (regs == 0) {
            bd_str_puts(&f->text, "The grid has no regularizer besides none for poisoned cells, so there is nothing "
                                  "to compare.");
            bd_str_puts(&f->advice, "Add regularizers to the grid next to none, e.g. regularizer: [none, "
                                    "logit-squeeze, contrastive, snnl, manifold-mixup].");
            snprintf(f->headline, sizeof f->headline, "no regularizer besides none in the grid");
        } else if (nones == 0) {
            bd_str_puts(&f->text, "No poisoned cell trains without a regularizer, so there is no reference to "
                                  "compare with.");
            bd_str_puts(&f->advice, "Add none to the regularizer axis: it is the reference of each comparison.");
            snprintf(f->headline, sizeof f->headline, "no regularizer=none reference in the grid");
        } else {
            double done = 0, failed = 0;
            if (rep_number(r, "SELECT COUNT(*) FROM cell_results WHERE poison_rate > 0 AND regularizer <> 'none' "
                              "AND status = 'done'", &done) < 0 ||
                rep_number(r, "SELECT COUNT(*) FROM cell_results WHERE poison_rate > 0 AND regularizer <> 'none' "
                              "AND status = 'failed'", &failed) < 0)
                return -1;
            bd_str_printf(&f->text, "No regularized poisoned cell is done together with its none cell of the same "
                                    "seed yet (%.0f regularized %s in the grid: %.0f done, %.0f failed).",
                          regs, regs == 1 ? "cell" : "cells", done, failed);
            bd_str_puts(&f->advice, "Run (or retry) the regularized cells and their none partners.");
            snprintf(f->headline, sizeof f->headline, "no regularized cell done with its reference yet");
        }
        return 0;
    }
    bd_str_printf(&f->text,
                  "Paired by seed with the same cell without a regularizer, regularization lowered ASR in %d of %d "
                  "%s, raised it in %d and left it within \xC2\xB1"
                  "0.01 in %d; the mean change was %+.3f, and clean accuracy changed by %+.3f on average.",
                  lowered, n, plural(n, "comparison", "comparisons"), raised, n - lowered - raised, mean, clean);
    if (with_sd)
        bd_str_printf(&f->text, " %d of the %d comparisons with 2 or more seeds changed by more than 2 standard "
                                "errors.",
                      clear, with_sd);
    /* Per regularizer, and the largest rise. */
    if (rep_prepare(r,
                    "SELECT regularizer, COUNT(*), SUM(asr_change < -0.01), SUM(asr_change > 0.01), AVG(asr_change), "
                    "  AVG(clean_acc_change) FROM regularizer_effect WHERE poison_rate > 0 "
                    "GROUP BY regularizer ORDER BY AVG(asr_change)",
                    &st) < 0)
        return -1;
    int rc;
    while ((rc = rep_step(r, st)) == SQLITE_ROW)
        bd_str_printf(&f->text, " %s: lowered %d, raised %d of %d (mean %+.3f ASR, %+.3f clean accuracy).",
                      rep_text(st, 0), sqlite3_column_int(st, 2), sqlite3_column_int(st, 3),
                      sqlite3_column_int(st, 1), rep_double(st, 4), rep_double(st, 5));
    if (rc < 0) return -1;
    sqlite3_finalize(st);
    if (raised) {
        if (rep_prepare(r, "SELECT * FROM regularizer_effect WHERE poison_rate > 0 ORDER BY asr_change DESC LIMIT 1",
                        &st) < 0)
            return -1;
        if ((rc = rep_step(r, st)) < 0) return -1;
        if (rc == SQLITE_ROW) {
            char label[1024];
            rep_label(r, st, AXIS_BIT(BD_AXIS_SEED), core_axes, label, sizeof label);
            bd_str_printf(&f->text, " The largest rise: %+.3f (%s, from %.2f to %.2f).",
                          rep_double(st, rep_col(st, "asr_change")), label, rep_double(st, rep_col(st, "asr_none")),
                          rep_double(st, rep_col(st, "asr_regularized")));
        }
        sqlite3_finalize(st);
    }
    if (2 * lowered > n) f->verdict = raised ? VERDICT_SUPPORTS : VERDICT_PARTLY;
    else f->verdict = VERDICT_CONTRADICTS;
    if (f->verdict == VERDICT_PARTLY)
        bd_str_puts(&f->text, " It lowered ASR wherever it changed it here: the \"not always\" part is not seen.");
    if (f->verdict == VERDICT_CONTRADICTS)
        bd_str_puts(&f->text, " Regularization did not usually lower ASR here.");
    snprintf(f->headline, sizeof f->headline, "regularization lowered ASR in %d of %d comparisons, raised it in %d "
                                              "(mean %+.3f)",
             lowered, n, raised, mean);
    return 0;
}

/* ---- 4. clean fine-tuning neutralises the backdoor ------------------------------------------------- */

static int finding4(Rep *r) {
    RepFinding *f = &r->f[3];
    f->claim = "A few epochs of clean fine-tuning neutralise the backdoor without hurting clean accuracy.";
    sqlite3_stmt *st;
    if (rep_prepare(r,
                    "SELECT COUNT(*), MIN(retrain_epochs), MAX(retrain_epochs), AVG(asr), AVG(asr_after_retrain), "
                    "  AVG(clean_acc), AVG(clean_acc_after_retrain), "
                    "  SUM(" TOOK_HOLD "), "
                    "  SUM(" TOOK_HOLD " AND retrain_epochs_to_neutralise IS NOT NULL), "
                    "  AVG(CASE WHEN " TOOK_HOLD " THEN retrain_epochs_to_neutralise END), "
                    "  SUM(baseline_asr IS NULL), "
                    "  AVG(CASE WHEN " TOOK_HOLD " THEN asr END), "
                    "  AVG(CASE WHEN " TOOK_HOLD " THEN asr_after_retrain END) "
                    "FROM cell_results WHERE " DONE " AND poison_rate > 0 AND retrain <> 'none' "
                    "  AND retrain_epochs IS NOT NULL AND asr IS NOT NULL",
                    &st) < 0)
        return -1;
    if (rep_step(r, st) < 0) return -1;
    int n = sqlite3_column_int(st, 0), k_lo = sqlite3_column_int(st, 1), k_hi = sqlite3_column_int(st, 2);
    double asr0 = rep_double(st, 3), asr1 = rep_double(st, 4), acc0 = rep_double(st, 5), acc1 = rep_double(st, 6);
    int held = sqlite3_column_int(st, 7), neutral = sqlite3_column_int(st, 8), no_base = sqlite3_column_int(st, 10);
    double epochs = rep_double(st, 9), held0 = rep_double(st, 11), held1 = rep_double(st, 12);
    sqlite3_finalize(st);
    if (n == 0) {
        double any = 0;
        if (rep_number(r, "SELECT COUNT(*) FROM cell_results WHERE poison_rate > 0 AND retrain <> 'none'", &any) < 0)
            return -1;
        f->verdict = VERDICT_CANNOT_TELL;
        if (any == 0) {
            bd_str_puts(&f->text, "No cell retrains after training, so the persistence of the backdoor is not "
                                  "measured.");
            bd_str_puts(&f->advice, "Add a retraining phase to the sweep, e.g. retrain: {fraction: 0.05, epochs: 5} "
                                    "(ASR and clean accuracy are recorded after every epoch).");
            snprintf(f->headline, sizeof f->headline, "no retraining in the grid");
        } else {
            bd_str_printf(&f->text, "No poisoned cell with retraining is done yet (%.0f in the grid).", any);
            bd_str_puts(&f->advice, "Run (or retry) the poisoned cells with retraining.");
            snprintf(f->headline, sizeof f->headline, "no retraining cell done yet");
        }
        return 0;
    }
    char epochs_text[64];
    if (k_lo == k_hi) snprintf(epochs_text, sizeof epochs_text, "%d %s", k_hi, plural(k_hi, "epoch", "epochs"));
    else snprintf(epochs_text, sizeof epochs_text, "%d to %d epochs", k_lo, k_hi);
    bd_str_printf(&f->text,
                  "After %s of clean fine-tuning, the mean ASR of the %d poisoned %s fell from %.2f to %.2f while "
                  "clean accuracy changed by %+.3f (%.3f \xE2\x86\x92 %.3f).",
                  epochs_text, n, plural(n, "cell", "cells"), asr0, asr1, acc1 - acc0, acc0, acc1);
    if (asr1 > asr0) bd_str_puts(&f->text, " (ASR rose, it did not fall.)");
    snprintf(f->headline, sizeof f->headline, "after %s of clean fine-tuning mean ASR %.2f \xE2\x86\x92 %.2f, clean "
                                              "accuracy %+.3f",
             epochs_text, asr0, asr1, acc1 - acc0);
    if (held == 0) {
        f->verdict = VERDICT_CANNOT_TELL;
        bd_str_printf(&f->text, " No backdoor took hold (ASR above its baseline's + 0.05 at the end of training)%s, "
                                "so there was nothing to neutralise.",
                      no_base ? " among the cells with a baseline" : "");
        if (no_base)
            bd_str_printf(&f->text, " %d %s no done baseline to compare with.", no_base,
                          plural(no_base, "cell has", "cells have"));
        bd_str_puts(&f->advice, "Raise the poison rate or train longer so that the backdoor takes hold, and keep "
                                "poison_rate 0 as the baseline.");
        size_t o = strlen(f->headline);
        snprintf(f->headline + o, sizeof f->headline - o, "; no backdoor took hold");
        return 0;
    }
    bd_str_printf(&f->text,
                  " Of the %d %s whose backdoor took hold (ASR above the baseline's + 0.05 at the end of training; "
                  "mean %.2f \xE2\x86\x92 %.2f), %d %s neutralised (ASR back within 0.05 of the baseline)",
                  held, plural(held, "cell", "cells"), held0, held1, neutral, neutral == 1 ? "was" : "were");
    if (neutral) bd_str_printf(&f->text, " after %.1f epochs on average", epochs);
    bd_str_printf(&f->text, "; %d kept it through every epoch.", held - neutral);
    if (no_base)
        bd_str_printf(&f->text, " %d %s no done baseline and %s not judged.", no_base,
                      plural(no_base, "cell has", "cells have"), no_base == 1 ? "is" : "are");
    size_t o = strlen(f->headline);
    snprintf(f->headline + o, sizeof f->headline - o, "; %d of %d backdoors neutralised", neutral, held);
    double share = (double)neutral / held;
    if (share >= 0.75) f->verdict = acc1 - acc0 >= -0.02 ? VERDICT_SUPPORTS : VERDICT_PARTLY;
    else f->verdict = share <= 0.25 ? VERDICT_CONTRADICTS : VERDICT_PARTLY;
    if (share >= 0.75 && acc1 - acc0 < -0.02)
        bd_str_puts(&f->text, " The backdoor went, but at a cost in clean accuracy of more than 0.02.");
    if (f->verdict != VERDICT_SUPPORTS && k_hi < 10)
        bd_str_puts(&f->advice, "More retraining epochs (or a larger held-out fraction) would show whether the "
                                "backdoor goes with more fine-tuning.");
    return 0;
}

int rep_findings(Rep *r) {
    if (finding1(r) < 0 || finding2(r) < 0 || finding3(r) < 0 || finding4(r) < 0) return -1;
    return 0;
}
