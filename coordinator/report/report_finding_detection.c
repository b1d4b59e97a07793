/* Finding 2: a poisoned model is hard to detect by its clean accuracy alone.
 * "Hard to detect" is a claim of no difference, which a test that finds
 * nothing does not show: an interval of +-0.8 holds 0 whatever the truth.
 * So each group's 95% interval (the paired one where the seeds pair, else
 * Welch's) is read against an equivalence margin M: inside it, a difference
 * that matters is ruled out; holding 0 but wider, the seeds are too few (and
 * the report says how many would do). The rule: report_findings.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "report_findings.h"
#include "text.h"

typedef struct Tally {
    int groups, with_base, tested, paired, welch;
    int detectable, lower, equivalent, undecided;
    double mean_diff, lo_diff, hi_diff, half_sum;
    int seeds_lo, seeds_hi;  /* seeds (pairs, or the smaller side) behind the intervals */
    int *need;               /* seeds that would decide each undecided group */
    double sd_lo, sd_hi;     /* of one seed's difference, over the undecided groups */
} Tally;

static int cmp_int(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

static int tally(Rep *r, double m, Tally *t) {
    sqlite3_stmt *st;
    if (rep_prepare(r,
                    "SELECT n_clean > 0, interval, interval_diff, interval_low, interval_high, interval_sd, "
                    "  CASE interval WHEN 'paired' THEN n_pairs ELSE min(n_poisoned, n_clean) END, clean_acc_diff "
                    "FROM detection",
                    &st) < 0)
        return -1;
    int rc;
    t->lo_diff = INFINITY, t->hi_diff = -INFINITY, t->sd_lo = INFINITY, t->sd_hi = 0;
    t->seeds_lo = 1 << 30;
    double sum = 0;
    while ((rc = rep_step(r, st)) == SQLITE_ROW) {
        t->groups++;
        if (!sqlite3_column_int(st, 0)) continue;
        t->with_base++;
        double d_all = rep_double(st, 7);
        sum += d_all, t->lo_diff = fmin(t->lo_diff, d_all), t->hi_diff = fmax(t->hi_diff, d_all);
        if (sqlite3_column_type(st, 1) == SQLITE_NULL) continue;
        t->tested++;
        if (rep_text(st, 1)[0] == 'p') t->paired++;
        else t->welch++;
        double d = rep_double(st, 2), lo = rep_double(st, 3), hi = rep_double(st, 4), sd = rep_double(st, 5);
        int seeds = sqlite3_column_int(st, 6);
        t->half_sum += (hi - lo) / 2;
        if (seeds < t->seeds_lo) t->seeds_lo = seeds;
        if (seeds > t->seeds_hi) t->seeds_hi = seeds;
        switch (rep_interval_class(lo, hi, m)) {
        case REP_BELOW: t->lower++; /* fall through */
        case REP_ABOVE: t->detectable++; break;
        case REP_WITHIN: t->equivalent++; break;
        default:
            t->need = bd_xrealloc(t->need, sizeof *t->need * (size_t)(t->undecided + 1));
            t->need[t->undecided++] = rep_seeds_to_decide(d, sd, m, REP_SEEDS_CAP);
            t->sd_lo = fmin(t->sd_lo, sd), t->sd_hi = fmax(t->sd_hi, sd);
        }
    }
    if (rc < 0) return -1;
    sqlite3_finalize(st);
    t->mean_diff = t->with_base ? sum / t->with_base : NAN;
    if (t->undecided) qsort(t->need, (size_t)t->undecided, sizeof *t->need, cmp_int);
    return 0;
}

int rep_finding_detection(Rep *r, RepFinding *f) {
    f->claim = "A poisoned model is hard to detect by looking at its clean accuracy alone.";
    const double m = r->o->equivalence_margin;
    Tally t = {0};
    if (tally(r, m, &t) < 0) {
        free(t.need);
        return -1;
    }
    f->verdict = VERDICT_CANNOT_TELL;
    if (t.groups == 0) {
        bd_str_puts(&f->text, "No poisoned cell is done yet, so there is nothing to compare with a clean baseline.");
        bd_str_puts(&f->advice, "Run the sweep's poisoned cells and their baselines (poison_rate 0).");
        rep_headline(f, "no poisoned cell is done yet");
        return 0;
    }
    if (t.with_base == 0) {
        bd_str_printf(&f->text, "None of the %d %s of poisoned cells has a done baseline (the same cell with poison "
                                "rate 0), so clean accuracy cannot be compared.",
                      t.groups, rep_plural(t.groups, "group", "groups"));
        bd_str_puts(&f->advice, "Add poison_rate 0 to the grid: it is the clean baseline of every condition.");
        rep_headline(f, "no baseline (poison rate 0) is done: cannot compare");
        return 0;
    }
    bd_str_printf(&f->text,
                  "Across the %d %s of poisoned cells with a clean baseline, the clean accuracy of the poisoned "
                  "models differs from their baselines' by %+.3f on average (poisoned \xE2\x88\x92 clean; from %+.3f "
                  "to %+.3f).",
                  t.with_base, rep_plural(t.with_base, "group", "groups"), t.mean_diff, t.lo_diff, t.hi_diff);
    if (t.with_base > t.tested)
        bd_str_printf(&f->text, " %d %s fewer than 2 seeds to pair or on a side, and no interval.",
                      t.with_base - t.tested, rep_plural(t.with_base - t.tested, "group has", "groups have"));
    if (t.groups > t.with_base)
        bd_str_printf(&f->text, " %d %s no done baseline.", t.groups - t.with_base,
                      rep_plural(t.groups - t.with_base, "group has", "groups have"));
    if (t.tested == 0) {
        bd_str_puts(&f->advice, "Add seeds (at least 3 per condition, for the poisoned cells and their baselines "
                                "alike) so that the difference can be told from noise.");
        rep_headline(f, "mean clean-accuracy difference %+.3f; no group has 2 seeds to test", t.mean_diff);
        return 0;
    }

    char seeds[64], margin[32];
    rep_count_phrase(t.seeds_lo, t.seeds_hi, "seed", "seeds", seeds, sizeof seeds);
    bd_text_format(margin, sizeof margin, "\xC2\xB1%g", m);
    double half = t.half_sum / t.tested;
    bd_str_printf(&f->text, " %d %s a 95%% interval of the difference: ", t.tested,
                  rep_plural(t.tested, "group has", "groups have"));
    if (t.paired)
        bd_str_printf(&f->text, "%d paired (each poisoned seed against the baseline of its own seed, trained on the "
                                "same random streams)%s",
                      t.paired, t.welch ? " and " : "");
    if (t.welch)
        bd_str_printf(&f->text, "%d by Welch's t (the poisoned seeds against all the baseline seeds: cells not "
                                "trained on paired streams)",
                      t.welch);
    bd_str_printf(&f->text, ", from %s, \xC2\xB1%.3f wide on average. Against an equivalence margin of %s "
                            "(a clean-accuracy difference smaller than that does not matter): %d %s within it (no "
                            "difference that matters), %d %s detectable (the interval excludes 0",
                  seeds, half, margin, t.equivalent, t.equivalent == 1 ? "lies" : "lie", t.detectable,
                  t.detectable == 1 ? "is" : "are");
    if (t.detectable) bd_str_printf(&f->text, "; %d lower, %d higher", t.lower, t.detectable - t.lower);
    bd_str_printf(&f->text, "), and %d cannot be decided (the interval holds 0 but reaches beyond %s).", t.undecided,
                  margin);

    char need[64] = "";
    if (t.undecided) {
        char med[48], max[48], sd[64];
        rep_seeds_text(t.need[t.undecided / 2], med, sizeof med);
        rep_seeds_text(t.need[t.undecided - 1], max, sizeof max);
        bd_text_format(need, sizeof need, "%s", med);
        if (fabs(t.sd_hi - t.sd_lo) < 5e-4) bd_text_format(sd, sizeof sd, "%.3f", t.sd_hi);
        else bd_text_format(sd, sizeof sd, "%.3f to %.3f", t.sd_lo, t.sd_hi);
        bd_str_printf(&f->text,
                      " Too few seeds to decide those: with the spread observed (the standard deviation of one "
                      "seed's difference: %s), deciding a group takes %s", sd, med);
        if (t.undecided > 1) bd_str_printf(&f->text, " (the median group; %s for the noisiest)", max);
        bd_str_printf(&f->text,
                      ", from n \xE2\x89\x88 (t \xC3\x97 sd / %g)\xC2\xB2 with t at n \xE2\x88\x92 1 degrees of "
                      "freedom; the sweep has %s.",
                      m, seeds);
        bd_str_printf(&f->advice, "Run %s per condition (poisoned cells and baselines) to decide the %d "
                                  "undecided %s.",
                      med, t.undecided, rep_plural(t.undecided, "group", "groups"));
    }
    if (2 * t.detectable >= t.tested) f->verdict = VERDICT_CONTRADICTS;
    else if (t.equivalent == t.tested) f->verdict = VERDICT_SUPPORTS;
    else if (t.equivalent == 0) f->verdict = VERDICT_CANNOT_TELL;
    else f->verdict = VERDICT_PARTLY;
    if (f->verdict == VERDICT_CONTRADICTS)
        bd_str_puts(&f->text, " At least half of the groups are told apart by clean accuracy alone.");
    rep_headline(f, "%d of %d groups detectable, %d within %s, %d undecided (%s intervals \xC2\xB1%.3f, %s)%s%s",
                 t.detectable, t.tested, t.equivalent, margin, t.undecided,
                 t.paired && t.welch ? "paired and Welch" : t.paired ? "paired" : "Welch", half, seeds,
                 t.undecided ? "; deciding needs " : "", t.undecided ? need : "");
    free(t.need);
    return 0;
}
