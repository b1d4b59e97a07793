/* Finding 3: regularization usually lowers attack success, but not always.
 * Each regularized condition is compared with its regularizer-none twin,
 * seed by seed (`regularizer_effect`), and judged by the paired 95%
 * interval of its ASR change: a mean change of -0.1 from two seeds that
 * disagree is not a lowering. The rule: report_findings.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_findings.h"
#include "text.h"

/* What the grid lacks when no comparison is possible. */
static int nothing_to_compare(Rep *r, RepFinding *f) {
    double regs = 0, nones = 0;
    if (rep_number(r, "SELECT COUNT(*) FROM cell_results WHERE poison_rate > 0 AND regularizer <> 'none'", &regs) < 0 ||
        rep_number(r, "SELECT COUNT(*) FROM cell_results WHERE poison_rate > 0 AND regularizer = 'none'", &nones) < 0)
        return -1;
    f->verdict = VERDICT_CANNOT_TELL;
    if (regs == 0) {
        bd_str_puts(&f->text, "The grid has no regularizer besides none for poisoned cells, so there is nothing to "
                              "compare.");
        bd_str_puts(&f->advice, "Add regularizers to the grid next to none, e.g. regularizer: [none, logit-squeeze, "
                                "contrastive, snnl, manifold-mixup].");
        rep_headline(f, "no regularizer besides none in the grid");
    } else if (nones == 0) {
        bd_str_puts(&f->text, "No poisoned cell trains without a regularizer, so there is no reference to compare "
                              "with.");
        bd_str_puts(&f->advice, "Add none to the regularizer axis: it is the reference of each comparison.");
        rep_headline(f, "no regularizer=none reference in the grid");
    } else {
        double done = 0, failed = 0;
        if (rep_number(r, "SELECT COUNT(*) FROM cell_results WHERE poison_rate > 0 AND regularizer <> 'none' "
                          "AND status = 'done'", &done) < 0 ||
            rep_number(r, "SELECT COUNT(*) FROM cell_results WHERE poison_rate > 0 AND regularizer <> 'none' "
                          "AND status = 'failed'", &failed) < 0)
            return -1;
        bd_str_printf(&f->text, "No regularized poisoned cell is done together with its none cell of the same seed "
                                "yet (%.0f regularized %s in the grid: %.0f done, %.0f failed).",
                      regs, regs == 1 ? "cell" : "cells", done, failed);
        bd_str_puts(&f->advice, "Run (or retry) the regularized cells and their none partners.");
        rep_headline(f, "no regularized cell done with its reference yet");
    }
    return 0;
}

typedef struct Count {
    int n, lowered, raised, same, undecided, max_need, seeds_lo, seeds_hi;
} Count;

static void count_row(Count *c, sqlite3_stmt *st) {
    double d = rep_double(st, rep_col(st, "asr_change")), sd = rep_double(st, rep_col(st, "asr_change_sd"));
    int seeds = sqlite3_column_int(st, rep_col(st, "n_seeds"));
    c->n++;
    if (c->n == 1 || seeds < c->seeds_lo) c->seeds_lo = seeds;
    if (seeds > c->seeds_hi) c->seeds_hi = seeds;
    switch (rep_interval_class(rep_double(st, rep_col(st, "asr_change_ci_low")),
                               rep_double(st, rep_col(st, "asr_change_ci_high")), REP_ASR_MARGIN)) {
    case REP_BELOW: c->lowered++; break;
    case REP_ABOVE: c->raised++; break;
    case REP_WITHIN: c->same++; break;
    case REP_UNDECIDED: {
        int need = rep_seeds_to_decide(d, sd, REP_ASR_MARGIN, REP_SEEDS_CAP);
        if (need > c->max_need) c->max_need = need;
    } /* fall through */
    default: c->undecided++;
    }
}

static void per_regularizer(BdStr *out, const char *name, const Count *c) {
    bd_str_printf(out, " %s: lowered %d, raised %d, no clear change %d, undecided %d of %d.", name, c->lowered,
                  c->raised, c->same, c->undecided, c->n);
}

int rep_finding_regularizers(Rep *r, RepFinding *f) {
    f->claim = "Regularization usually lowers attack success, but not always.";
    sqlite3_stmt *st;
    if (rep_prepare(r, "SELECT * FROM regularizer_effect WHERE poison_rate > 0 ORDER BY regularizer", &st) < 0)
        return -1;
    Count all = {0}, per = {0};
    double sum_asr = 0, sum_clean = 0;
    int rc, paired_streams = 0;
    char reg[512] = "";
    BdStr per_text = {0};
    /* One pass: every comparison, and a sentence per regularizer (rows are in
     * regularizer order). */
    while ((rc = rep_step(r, st)) == SQLITE_ROW) {
        const char *name = rep_text(st, rep_col(st, "regularizer"));
        if (per.n && strcmp(name, reg)) {
            per_regularizer(&per_text, reg, &per);
            per = (Count){0};
        }
        bd_text_format(reg, sizeof reg, "%s", name);
        count_row(&all, st);
        count_row(&per, st);
        sum_asr += rep_double(st, rep_col(st, "asr_change"));
        sum_clean += rep_double(st, rep_col(st, "clean_acc_change"));
        paired_streams += sqlite3_column_int(st, rep_col(st, "paired_streams"));
    }
    if (rc < 0) {
        bd_str_free(&per_text);
        return -1;
    }
    sqlite3_finalize(st);
    if (all.n == 0) {
        bd_str_free(&per_text);
        return nothing_to_compare(r, f);
    }
    if (per.n > 0 && per.n < all.n) per_regularizer(&per_text, reg, &per); /* one regularizer: the totals say it */

    char seeds[64];
    rep_count_phrase(all.seeds_lo, all.seeds_hi, "seed", "seeds", seeds, sizeof seeds);
    int n = all.n;
    bd_str_printf(&f->text,
                  "Each regularized condition against the same condition without a regularizer, seed by seed (%d "
                  "%s, %s%s), judged by the paired 95%% interval of the ASR change: regularization lowered ASR "
                  "in %d (the interval lies below 0), raised it in %d (above 0), made no clear change in %d (the "
                  "interval lies within \xC2\xB1%g) and cannot be told in %d (the interval holds 0 and reaches "
                  "beyond \xC2\xB1%g, or one seed). The mean change was %+.3f ASR and %+.3f clean accuracy.",
                  n, rep_plural(n, "comparison", "comparisons"), seeds,
                  paired_streams == n   ? ", paired streams"
                  : paired_streams == 0 ? ", cells trained before paired streams: the intervals carry both sides' "
                                          "seed noise"
                                        : ", some on paired streams",
                  all.lowered, all.raised, all.same, REP_ASR_MARGIN, all.undecided, REP_ASR_MARGIN, sum_asr / n,
                  sum_clean / n);
    bd_str_puts(&f->text, bd_str_str(&per_text));
    bd_str_free(&per_text);

    /* The largest clear rise, the "not always" in numbers. */
    if (all.raised) {
        if (rep_prepare(r,
                        "SELECT * FROM regularizer_effect WHERE poison_rate > 0 AND asr_change_ci_low > 0 "
                        "ORDER BY asr_change DESC LIMIT 1",
                        &st) < 0 || (rc = rep_step(r, st)) < 0)
            return -1;
        if (rc == SQLITE_ROW) {
            char label[1024];
            rep_label(r, st, AXIS_BIT(BD_AXIS_SEED), AXIS_BIT(BD_AXIS_REGULARIZER), label, sizeof label);
            bd_str_printf(&f->text, " The largest rise: %+.3f (%s, from %.2f to %.2f; interval %+.3f to %+.3f).",
                          rep_double(st, rep_col(st, "asr_change")), label, rep_double(st, rep_col(st, "asr_none")),
                          rep_double(st, rep_col(st, "asr_regularized")),
                          rep_double(st, rep_col(st, "asr_change_ci_low")),
                          rep_double(st, rep_col(st, "asr_change_ci_high")));
        }
        sqlite3_finalize(st);
    }
    int other = all.raised + all.same;
    if (2 * all.lowered > n) f->verdict = other ? VERDICT_SUPPORTS : VERDICT_PARTLY;
    else if (2 * other > n) f->verdict = VERDICT_CONTRADICTS;
    else f->verdict = VERDICT_CANNOT_TELL;
    if (f->verdict == VERDICT_PARTLY)
        bd_str_puts(&f->text, " It lowered ASR wherever the data can tell: the \"not always\" part is not seen.");
    if (f->verdict == VERDICT_CONTRADICTS)
        bd_str_puts(&f->text, " Regularization did not usually lower ASR here.");
    if (f->verdict == VERDICT_CANNOT_TELL)
        bd_str_puts(&f->text, " Too many comparisons cannot be told to say what regularization usually does.");
    if (all.undecided && all.max_need) {
        char need[64];
        rep_seeds_text(all.max_need, need, sizeof need);
        bd_str_printf(&f->advice, "With the spread observed, %s would decide every undecided comparison (the "
                                  "interval clear of 0 or within \xC2\xB1%g).",
                      need, REP_ASR_MARGIN);
    }
    else if (all.undecided)
        bd_str_puts(&f->advice, "Add seeds (at least 3): a comparison of one seed has no interval.");
    rep_headline(f, "lowered ASR in %d of %d comparisons, raised it in %d, no clear change in %d, undecided %d (%s)",
                 all.lowered, n, all.raised, all.same, all.undecided, seeds);
    return 0;
}
