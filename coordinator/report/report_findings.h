/* Shared by the four findings (report_finding_*.c; report_findings.c states
 * every verdict rule). */
#ifndef BD_REPORT_FINDINGS_H
#define BD_REPORT_FINDINGS_H

#include "report_internal.h"

#define REP_DONE "status = 'done'"
/* ASR within this of a reference is "no change": the views' margin of
 * neutralisation (results/cell_results.sql), used for finding 3 too. */
#define REP_ASR_MARGIN 0.05

const char *rep_plural(long n, const char *one, const char *many);

/* The 0.975 quantile of Student's t at df degrees of freedom. */
double rep_t975(double df);

/* How a 95% interval of a difference reads against a margin m: */
typedef enum {
    REP_NO_INTERVAL, /* fewer than 2 seeds */
    REP_BELOW,       /* it lies below 0 */
    REP_ABOVE,       /* it lies above 0 */
    REP_WITHIN,      /* it holds 0 and lies within [-m, +m] */
    REP_UNDECIDED,   /* it holds 0 and reaches beyond +-m */
} RepInterval;
RepInterval rep_interval_class(double lo, double hi, double m);

/* The seeds (per group, per side) that would decide an undecided interval
 * if its difference d and the spread sd of one seed's difference stayed as
 * observed: the smallest n >= 2 with t(0.975, n - 1) sd / sqrt(n) <
 * max(|d|, m - |d|) (then the interval excludes 0 or lies within +-m);
 * for d near 0, n ~ (t sd / m)^2. Returns cap + 1 when even cap is not
 * enough. */
int rep_seeds_to_decide(double d, double sd, double m, int cap);

/* Seeds beyond this are "more than" (rep_seeds_to_decide's cap). */
#define REP_SEEDS_CAP 100000
/* "about 40 seeds" or "more than 100000 seeds", from rep_seeds_to_decide. */
void rep_seeds_text(int n, char *out, size_t cap);

/* The Wilson score 95% interval of a share k / n (n > 0). */
void rep_wilson(int k, int n, double *lo, double *hi);

/* f->headline from a format, cut visibly (bd_text_format) when too long. */
void rep_headline(RepFinding *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

int rep_finding_asr(Rep *r, RepFinding *f);          /* 1 */
int rep_finding_detection(Rep *r, RepFinding *f);    /* 2 */
int rep_finding_regularizers(Rep *r, RepFinding *f); /* 3 */
int rep_finding_retrain(Rep *r, RepFinding *f);      /* 4 */

#endif
