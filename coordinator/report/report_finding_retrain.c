/* Finding 4: a few epochs of clean fine-tuning neutralise the backdoor
 * without hurting clean accuracy. Only backdoors that took hold (ASR at
 * least H above the baseline's) count: a cell whose attack never worked
 * says nothing about removing it. Neutralised means the ASR stays within the
 * baseline's margin through the last retraining epoch (a dip that comes back
 * is not). The share is judged with its Wilson interval, so a handful of
 * cells cannot decide it. The rule: report_findings.c. */
#include <math.h>
#include <stdio.h>

#include "report_findings.h"
#include "text.h"

void rep_took_hold_sql(const Rep *r, char *out, size_t cap) {
    /* -1e-9: the views' tolerance for the rounding of fractions (0.52 = 0.02 + 0.5). */
    bd_text_format(out, cap, "baseline_asr IS NOT NULL AND asr >= baseline_asr + %.17g - 1e-9", r->o->took_hold);
}

int rep_finding_retrain(Rep *r, RepFinding *f) {
    f->claim = "A few epochs of clean fine-tuning neutralise the backdoor without hurting clean accuracy.";
    const double h = r->o->took_hold, m = r->o->equivalence_margin;
    char took[256], sql[2048];
    rep_took_hold_sql(r, took, sizeof took);
    if (bd_text_format(sql, sizeof sql,
                       "SELECT COUNT(*), MIN(retrain_epochs), MAX(retrain_epochs), SUM(baseline_asr IS NULL), "
                       "  SUM(%s), SUM(%s AND retrain_epochs_to_neutralise IS NOT NULL), "
                       "  AVG(CASE WHEN %s THEN retrain_epochs_to_neutralise END), "
                       "  AVG(CASE WHEN %s THEN asr END), AVG(CASE WHEN %s THEN asr_after_retrain END), "
                       "  AVG(CASE WHEN %s THEN clean_acc END), AVG(CASE WHEN %s THEN clean_acc_after_retrain END), "
                       "  COUNT(DISTINCT CASE WHEN %s THEN seed END) "
                       "FROM cell_results WHERE " REP_DONE " AND poison_rate > 0 AND retrain <> 'none' "
                       "  AND retrain_epochs IS NOT NULL AND asr IS NOT NULL",
                       took, took, took, took, took, took, took, took) < 0)
        return bd_fail(r->err, "internal error: the query of finding 4 does not fit");
    sqlite3_stmt *st;
    if (rep_prepare(r, sql, &st) < 0 || rep_step(r, st) < 0) return -1;
    int n = sqlite3_column_int(st, 0), k_lo = sqlite3_column_int(st, 1), k_hi = sqlite3_column_int(st, 2);
    int no_base = sqlite3_column_int(st, 3), held = sqlite3_column_int(st, 4), neutral = sqlite3_column_int(st, 5);
    double epochs = rep_double(st, 6), asr0 = rep_double(st, 7), asr1 = rep_double(st, 8);
    double acc0 = rep_double(st, 9), acc1 = rep_double(st, 10);
    int seeds = sqlite3_column_int(st, 11);
    sqlite3_finalize(st);
    f->verdict = VERDICT_CANNOT_TELL;
    if (n == 0) {
        double any = 0;
        if (rep_number(r, "SELECT COUNT(*) FROM cell_results WHERE poison_rate > 0 AND retrain <> 'none'", &any) < 0)
            return -1;
        if (any == 0) {
            bd_str_puts(&f->text, "No cell retrains after training, so the persistence of the backdoor is not "
                                  "measured.");
            bd_str_puts(&f->advice, "Add a retraining phase to the sweep, e.g. retrain: {fraction: 0.05, epochs: 5} "
                                    "(ASR and clean accuracy are recorded after every epoch).");
            rep_headline(f, "no retraining in the grid");
        } else {
            bd_str_printf(&f->text, "No poisoned cell with retraining is done yet (%.0f in the grid).", any);
            bd_str_puts(&f->advice, "Run (or retry) the poisoned cells with retraining.");
            rep_headline(f, "no retraining cell done yet");
        }
        return 0;
    }
    char epochs_text[64];
    if (k_lo == k_hi)
        bd_text_format(epochs_text, sizeof epochs_text, "%d %s", k_hi, rep_plural(k_hi, "epoch", "epochs"));
    else bd_text_format(epochs_text, sizeof epochs_text, "%d to %d epochs", k_lo, k_hi);
    bd_str_printf(&f->text, "%d poisoned %s retrained for %s of clean fine-tuning.", n, rep_plural(n, "cell", "cells"),
                  epochs_text);
    if (no_base)
        bd_str_printf(&f->text, " %d %s no done baseline and %s not judged.", no_base,
                      rep_plural(no_base, "cell has", "cells have"), no_base == 1 ? "is" : "are");
    if (held == 0) {
        bd_str_printf(&f->text, " In none did the backdoor take hold (ASR at least %g above its baseline's at the end "
                                "of training), so there was nothing to neutralise.",
                      h);
        bd_str_puts(&f->advice, "Raise the poison rate or train longer so that the backdoor takes hold, and keep "
                                "poison_rate 0 as the baseline.");
        rep_headline(f, "after %s of clean fine-tuning: no backdoor took hold (ASR +%g over the baseline)",
                     epochs_text, h);
        return 0;
    }
    double p = (double)neutral / held, lo, hi, cost = acc1 - acc0;
    rep_wilson(neutral, held, &lo, &hi);
    bd_str_printf(&f->text,
                  " In %d of them (from %d %s) the backdoor took hold (ASR at least %g above its baseline's at the "
                  "end of training; mean %.2f). %d %s neutralised (ASR within 0.05 of the baseline's from some "
                  "epoch through the last one; mean ASR after retraining %.2f)",
                  held, seeds, rep_plural(seeds, "seed", "seeds"), h, asr0, neutral, neutral == 1 ? "was" : "were",
                  asr1);
    if (neutral) bd_str_printf(&f->text, ", after %.1f epochs on average", epochs);
    bd_str_printf(&f->text, "; %d kept it. The share neutralised is %.2f (95%% Wilson interval %.2f to %.2f), and "
                            "clean accuracy changed by %+.3f over retraining (%.3f \xE2\x86\x92 %.3f; the margin is "
                            "%g).",
                  held - neutral, p, lo, hi, cost, acc0, acc1, m);
    if (lo < 0.25 && hi > 0.75) {
        bd_str_puts(&f->text, " Too few backdoors took hold to tell whether most or few are neutralised.");
        bd_str_puts(&f->advice, "More seeds or conditions whose backdoor takes hold would narrow the share's "
                                "interval.");
    } else if (p >= 0.75 && cost >= -m) {
        f->verdict = VERDICT_SUPPORTS;
    } else if (p <= 0.25) {
        f->verdict = VERDICT_CONTRADICTS;
    } else {
        f->verdict = VERDICT_PARTLY;
        if (p >= 0.75)
            bd_str_printf(&f->text, " The backdoor went, but at a cost in clean accuracy of more than %g.", m);
    }
    if (f->verdict != VERDICT_SUPPORTS && f->verdict != VERDICT_CANNOT_TELL && k_hi < 10)
        bd_str_puts(&f->advice, "More retraining epochs (or a larger held-out fraction) would show whether the "
                                "backdoor goes with more fine-tuning.");
    rep_headline(f, "after %s of clean fine-tuning %d of %d backdoors that took hold neutralised (%.2f, interval "
                    "%.2f\xE2\x80\x93%.2f), clean accuracy %+.3f",
                 epochs_text, neutral, held, p, lo, hi, cost);
    return 0;
}
