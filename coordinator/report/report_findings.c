/* The paper's four findings (docs/EXPERIMENT.md section 1), restated for the
 * database with the numbers for and against, one file per finding
 * (report_finding_*.c). Each ends in a verdict: supports, partly supports,
 * contradicts, or cannot tell (then the advice says what to add to the
 * sweep, e.g. how many seeds). The rules, also in results/README.md ("How
 * each finding is judged") and stated in the tests (tests/report/
 * test_verdicts.c); M is --equivalence-margin (default 0.02), H --took-hold
 * (default 0.5), 0.05 the ASR margin of the views:
 *
 * 1. Attack success varies widely with architecture, trigger, regularizer.
 *    A factor is every axis of the axes table with 2 or more values among
 *    the done poisoned cells, except the replicate (seed) and the poison
 *    rate (each rate > 0 is judged on its own). At a rate: the level means
 *    of ASR (over the done cells of each value), their range R = highest -
 *    lowest, and the seed noise of that difference N = t(0.975, df) s
 *    sqrt(1/n_hi + 1/n_lo), s the pooled standard deviation of ASR between
 *    the seeds of a condition at that rate, df = sum of (seeds - 1) over
 *    its conditions, n_hi, n_lo the cells of the two extreme levels. The
 *    factor varies little when R + N < 0.10; widely when R - N >= 0.30;
 *    moderately when R - N > 0; else (or with df 0: no seed noise known)
 *    it is undecided. Over the rates: widely if widely at some rate, else
 *    moderately if so at some rate, little if little at every rate, else
 *    undecided. Verdict: no factor -> cannot tell; every factor widely ->
 *    supports; every factor little -> contradicts; some factor widely or
 *    moderately -> partly supports; else (little and undecided only) ->
 *    cannot tell.
 * 2. A poisoned model is hard to detect by its clean accuracy alone. Each
 *    group of `detection` with an interval (column `interval`: the paired
 *    one with 2 or more same-seed pairs on paired streams, else Welch's) is
 *    detectable (the 95% interval excludes 0: evidence against), equivalent
 *    (it holds 0 and lies within [-M, +M]) or undecided (it holds 0 and
 *    reaches beyond +-M). Verdict: no group with an interval -> cannot
 *    tell; detectable in at least half of the groups -> contradicts; every
 *    group equivalent -> supports; no group equivalent -> cannot tell;
 *    otherwise -> partly supports. Undecided groups get the seeds that would
 *    decide them (rep_seeds_to_decide: n ~ (t sd / M)^2).
 * 3. Regularization usually lowers attack success, but not always. Each
 *    row of `regularizer_effect` with poison rate > 0, by the paired 95%
 *    interval of its ASR change: lowered (below 0), raised (above 0), no
 *    clear change (holds 0, within +-0.05), undecided (holds 0 and reaches
 *    beyond +-0.05, or a single seed). Of n rows: lowered in more than half
 *    and raised or unchanged in at least one -> supports; lowered in more
 *    than half, none raised or unchanged -> partly supports (the "not
 *    always" is not seen); raised or unchanged in more than half ->
 *    contradicts; otherwise -> cannot tell.
 * 4. A few epochs of clean fine-tuning neutralise the backdoor without
 *    hurting clean accuracy. Among the done poisoned cells that retrain and
 *    have a baseline, a backdoor took hold when its ASR at the end of
 *    training is >= the baseline's + H; it is neutralised when its ASR
 *    stays <= the baseline's + 0.05 from some retraining epoch through the
 *    last (`retrain_epochs_to_neutralise`). p = neutralised / took hold,
 *    [lo, hi] its Wilson 95% interval, c the mean change of clean accuracy
 *    over retraining of the cells that took hold. Verdict: none took hold ->
 *    cannot tell; lo < 0.25 and hi > 0.75 -> cannot tell (too few
 *    backdoors to tell most from few); p >= 0.75 and c >= -M -> supports;
 *    p <= 0.25 -> contradicts; otherwise -> partly supports.
 *
 * The thresholds are fixed in advance (or set by the user for a sweep), never
 * chosen after looking at the data. */
#include "report_findings.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tdist.h"
#include "text.h"

const char *rep_verdict_text(RepVerdict v) {
    switch (v) {
    case VERDICT_SUPPORTS: return "supports";
    case VERDICT_PARTLY: return "partly supports";
    case VERDICT_CONTRADICTS: return "contradicts";
    case VERDICT_CANNOT_TELL: return "cannot tell";
    default: return "";
    }
}

const char *rep_plural(long n, const char *one, const char *many) { return n == 1 ? one : many; }

double rep_t975(double df) { return bd_t_quantile(0.975, df); }

RepInterval rep_interval_class(double lo, double hi, double m) {
    if (!isfinite(lo) || !isfinite(hi)) return REP_NO_INTERVAL;
    if (hi < 0) return REP_BELOW;
    if (lo > 0) return REP_ABOVE;
    return lo >= -m && hi <= m ? REP_WITHIN : REP_UNDECIDED;
}

/* The half-width of a t interval from n seeds. */
static double half_width(int n, double sd) { return rep_t975(n - 1) * sd / sqrt(n); }

/* The half-width falls as n grows, so the smallest n below the target is
 * found by bisection. */
int rep_seeds_to_decide(double d, double sd, double m, int cap) {
    double target = fmax(fabs(d), m - fabs(d));
    if (!(sd > 0)) return 2;
    if (!(half_width(cap, sd) < target)) return cap + 1;
    int lo = 1, hi = cap; /* half_width(hi) < target; lo: too few (1 seed has no interval at all) */
    while (hi - lo > 1) {
        int mid = lo + (hi - lo) / 2;
        if (half_width(mid, sd) < target) hi = mid;
        else lo = mid;
    }
    return hi;
}

void rep_seeds_text(int n, char *out, size_t cap) {
    if (n > REP_SEEDS_CAP) bd_text_format(out, cap, "more than %d seeds", REP_SEEDS_CAP);
    else bd_text_format(out, cap, "about %d seeds", n);
}

void rep_wilson(int k, int n, double *lo, double *hi) {
    const double z = 1.959963984540054;
    double p = (double)k / n, z2n = z * z / n;
    double centre = (p + z2n / 2) / (1 + z2n), half = z / (1 + z2n) * sqrt(p * (1 - p) / n + z2n / (4.0 * n));
    *lo = fmax(0, centre - half);
    *hi = fmin(1, centre + half);
}

void rep_headline(RepFinding *f, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(f->headline, sizeof f->headline, fmt, ap);
    va_end(ap);
    if (w < 0 || (size_t)w >= sizeof f->headline) /* cut visibly, as bd_text_format does */
        memcpy(f->headline + sizeof f->headline - 4, "...", 4);
}

int rep_findings(Rep *r) {
    int (*const judge[BD_FINDINGS])(Rep *, RepFinding *) = {rep_finding_asr, rep_finding_detection,
                                                           rep_finding_regularizers, rep_finding_retrain};
    for (int i = 0; i < BD_FINDINGS; i++)
        if (judge[i](r, &r->f[i]) < 0) return -1;
    return 0;
}
