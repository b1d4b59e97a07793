/* Every verdict of every finding (supports, partly supports, contradicts,
 * cannot tell) from hand-made rows, through `bdsweep report`, with the
 * numbers each rule sees worked out in the comments; and the helpers the
 * rules use (seeds to decide an interval, Wilson's interval). The rules, as
 * coordinator/report/report_findings.c and results/README.md state them
 * (M = --equivalence-margin 0.02, H = --took-hold 0.5):
 *
 * 1. Per factor (an axis with 2+ values among the done poisoned cells, not
 *    the seed, not the rate) and rate: R = range of the level means of ASR,
 *    N = t(0.975, df) s sqrt(1/n_hi + 1/n_lo) (s pooled between-seed sd,
 *    df = sum of seeds - 1). Little: R + N < 0.10; widely: R - N >= 0.30;
 *    moderately: R - N > 0; else undecided. Verdict: all widely supports,
 *    all little contradicts, any widely/moderately partly, else cannot tell.
 * 2. Per group, its 95% interval (paired, else Welch): detectable (excludes
 *    0), equivalent (within +-M), undecided. Detectable in >= half the
 *    groups contradicts; all equivalent supports; none equivalent cannot
 *    tell; else partly.
 * 3. Per comparison, the paired interval of the ASR change: lowered (< 0),
 *    raised (> 0), no clear change (within +-0.05), undecided. Lowered in
 *    more than half: supports if one is raised or unchanged, else partly;
 *    raised or unchanged in more than half: contradicts; else cannot tell.
 * 4. Took hold: ASR >= baseline + H; neutralised: ASR <= baseline + 0.05 from
 *    some retraining epoch to the last. p = neutralised share, [lo, hi] its
 *    Wilson 95% interval, c the clean-accuracy change. lo < 0.25 and hi >
 *    0.75: cannot tell; p >= 0.75 and c >= -M: supports; p <= 0.25:
 *    contradicts; else partly.
 * Usage: test_verdicts BDSWEEP */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "report_findings.h"
#include "rows.h"
#include "sweep/testenv.h"

static char *bdsweep, *dir;
static int n_db;

static BdDb *new_db(char *path, size_t cap) {
    snprintf(path, cap, "%s/verdict%d.db", dir, n_db++);
    BdDb *db = NULL;
    BdError err = {0};
    CHECK_MSG(bd_db_open(path, 1, &db, &err) == 0, "%s", err.msg);
    return db;
}

/* Closes the database, runs the report on it and returns its output (the
 * four headlines); the report's Markdown into *md when md is not NULL. */
static char *report(BdDb *db, const char *path, const char *option, const char *value, char **md) {
    bd_db_close(db);
    char out_dir[4096], *out, *err;
    snprintf(out_dir, sizeof out_dir, "%s.report", path);
    char *argv[] = {bdsweep, "report", (char *)path, "--out", out_dir, "--no-previews", (char *)option,
                    (char *)value, NULL};
    CHECK(test_run(dir, argv, &out, &err) == 0);
    CHECK_STR(err, "");
    free(err);
    if (md) {
        char p[4200];
        snprintf(p, sizeof p, "%s/report.md", out_dir);
        *md = test_read(p);
    }
    return out;
}

/* ---- the helpers --------------------------------------------------------------------------- */

static void test_helpers(void) {
    /* Wilson 95% (z = 1.959964): p = k/n, centre (p + z^2/2n) / (1 + z^2/n),
     * half z / (1 + z^2/n) sqrt(p(1-p)/n + z^2/4n^2):
     *   4 of 4: [0.5101, 1]; 1 of 2: [0.0945, 0.9055]; 0 of 8: [0, 0.3244]. */
    double lo, hi;
    rep_wilson(4, 4, &lo, &hi);
    CHECK_NEAR(lo, 0.5101091635, 1e-9);
    CHECK_NEAR(hi, 1, 0);
    rep_wilson(1, 2, &lo, &hi);
    CHECK_NEAR(lo, 0.0945312057, 1e-9);
    CHECK_NEAR(hi, 0.9054687943, 1e-9);
    rep_wilson(0, 8, &lo, &hi);
    CHECK_NEAR(lo, 0, 0);
    CHECK_NEAR(hi, 0.3244075649, 1e-9);
    /* Seeds to decide: the smallest n with t(0.975, n-1) sd / sqrt(n) <
     * max(|d|, M - |d|). d = 0, sd = 0.05, M = 0.02: n ~ (1.96 * 2.5)^2 = 24;
     * at n = 27, t(26) = 2.0555: 2.0555 * 0.05 / 5.196 = 0.01978 < 0.02,
     * at n = 26, t(25) = 2.0595: 0.02020: so 27. */
    CHECK(rep_seeds_to_decide(0, 0.05, 0.02, 1000) == 27);
    /* Zero spread: 2 seeds decide. A cap too small: cap + 1. */
    CHECK(rep_seeds_to_decide(0.001, 0, 0.02, 1000) == 2);
    CHECK(rep_seeds_to_decide(0, 0.05, 0.02, 20) == 21);
    /* d = 0.025 beyond M: deciding it is telling it from 0, half < 0.025:
     * n = 18, t(17) = 2.1098: 2.1098 * 0.05 / 4.243 = 0.02486 (n = 17: 0.02571). */
    CHECK(rep_seeds_to_decide(0.025, 0.05, 0.02, 1000) == 18);
    CHECK(rep_interval_class(-0.01, 0.01, 0.02) == REP_WITHIN);
    CHECK(rep_interval_class(-0.03, 0.01, 0.02) == REP_UNDECIDED);
    CHECK(rep_interval_class(-0.03, -0.01, 0.02) == REP_BELOW);
    CHECK(rep_interval_class(0.001, 0.01, 0.02) == REP_ABOVE);
    CHECK(rep_interval_class(NAN, NAN, 0.02) == REP_NO_INTERVAL);
}

/* ---- 1. ASR varies widely ------------------------------------------------------------------ */

/* Cells at rate 0.1, one per seed, of a condition with ASR around m: m -
 * spread, m, m + spread for seeds 1..3. */
static void asr_condition(BdDb *db, Row r, const double asr[3]) {
    r.rate = 0.1;
    for (int s = 0; s < 3; s++) {
        r.seed = s + 1;
        rows_done(db, r, 0.9, asr[s]);
    }
}

static void test_finding1(void) {
    char path[4096];
    /* supports: architecture a 0.90, 0.91, 0.92, b 0.10, 0.11, 0.12. Pooled
     * s = 0.01 (df 4, t 2.7764), N = 2.7764 * 0.01 * sqrt(1/3 + 1/3) = 0.0227,
     * R = 0.80: R - N = 0.777 >= 0.30, widely; the only factor. */
    BdDb *db = new_db(path, sizeof path);
    asr_condition(db, (Row){.arch = "a"}, (double[]){0.90, 0.91, 0.92});
    asr_condition(db, (Row){.arch = "b"}, (double[]){0.10, 0.11, 0.12});
    char *out = report(db, path, NULL, NULL, NULL);
    CHECK_CONTAINS(out, "\n1. [supports] by factor: architecture widely (0.80\xC2\xB1" "0.02)\n");
    free(out);
    /* contradicts: a 0.50, 0.51, 0.52, b 0.52, 0.53, 0.54: R = 0.02,
     * N = 0.0227, R + N = 0.043 < 0.10: little. */
    db = new_db(path, sizeof path);
    asr_condition(db, (Row){.arch = "a"}, (double[]){0.50, 0.51, 0.52});
    asr_condition(db, (Row){.arch = "b"}, (double[]){0.52, 0.53, 0.54});
    out = report(db, path, NULL, NULL, NULL);
    CHECK_CONTAINS(out, "\n1. [contradicts] by factor: architecture little (0.02\xC2\xB1" "0.02)\n");
    free(out);
    /* partly supports: architecture x trigger, condition means a/square 0.91,
     * a/blend 0.90, b/square 0.11, b/blend 0.10 (seeds -+0.01). s = 0.01,
     * df 8, t 2.3060, N = 2.3060 * 0.01 * sqrt(1/6 + 1/6) = 0.0133 (6 cells
     * a level). Architecture: R = 0.905 - 0.105 = 0.80, widely; trigger: R =
     * 0.51 - 0.50 = 0.01, R + N = 0.023 < 0.10, little. */
    db = new_db(path, sizeof path);
    asr_condition(db, (Row){.arch = "a"}, (double[]){0.90, 0.91, 0.92});
    asr_condition(db, (Row){.arch = "a", .trigger = "blend"}, (double[]){0.89, 0.90, 0.91});
    asr_condition(db, (Row){.arch = "b"}, (double[]){0.10, 0.11, 0.12});
    asr_condition(db, (Row){.arch = "b", .trigger = "blend"}, (double[]){0.09, 0.10, 0.11});
    char *md;
    out = report(db, path, NULL, NULL, &md);
    CHECK_CONTAINS(out, "\n1. [partly supports] by factor: architecture widely (0.80\xC2\xB1" "0.01), trigger little "
                        "(0.01\xC2\xB1" "0.01)\n");
    CHECK_CONTAINS(md, "architecture varies widely: at rate 0.1, from 0.10 (b) to 0.91 (a): a range of 0.80 \xC2\xB1 "
                       "0.01.");
    free(out), free(md);
    /* cannot tell: a 0.1, 0.9, 0.5 (mean 0.5), b 0.3, 0.7, 0.6 (0.533):
     * pooled s = sqrt(0.40667 / 4) = 0.3189, N = 2.7764 * 0.3189 * 0.8165 =
     * 0.72, R = 0.03: within the noise and R + N >= 0.10: undecided. */
    db = new_db(path, sizeof path);
    asr_condition(db, (Row){.arch = "a"}, (double[]){0.1, 0.9, 0.5});
    asr_condition(db, (Row){.arch = "b"}, (double[]){0.3, 0.7, 0.6});
    out = report(db, path, NULL, NULL, NULL);
    CHECK_CONTAINS(out, "\n1. [cannot tell] by factor: architecture undecided (0.03\xC2\xB1" "0.72)\n");
    free(out);
}

/* ---- 2. hard to detect by clean accuracy --------------------------------------------------- */

/* A group of 3 seeds on paired streams: baselines 0.80, 0.85, 0.90 (the
 * seeds disagree), each poisoned cell its baseline + d[s]. */
static void paired_group(BdDb *db, const char *arch, const double d[3]) {
    for (int s = 0; s < 3; s++) {
        double base = 0.80 + 0.05 * s;
        rows_done(db, (Row){.arch = arch, .rate = 0, .seed = s + 1}, base, 0.02);
        rows_done(db, (Row){.arch = arch, .rate = 0.1, .seed = s + 1}, base + d[s], 0.9);
    }
}

static void test_finding2(void) {
    char path[4096];
    /* supports: d = -0.001, 0, +0.001: mean 0, sd 0.001, t(2) = 4.3027,
     * half 4.3027 * 0.001 / sqrt(3) = 0.0025: [-0.0025, 0.0025] within
     * +-0.02 (Welch over the sets would be +-0.13: the seeds differ by 0.05). */
    BdDb *db = new_db(path, sizeof path);
    paired_group(db, "a", (double[]){-0.001, 0, 0.001});
    char *out = report(db, path, NULL, NULL, NULL);
    CHECK_CONTAINS(out, "\n2. [supports] 0 of 1 groups detectable, 1 within \xC2\xB1" "0.02, 0 undecided (paired "
                        "intervals \xC2\xB1" "0.002, 3 seeds)\n");
    free(out);
    /* With a margin of 0.001 the same interval reaches beyond it. */
    db = new_db(path, sizeof path);
    paired_group(db, "a", (double[]){-0.001, 0, 0.001});
    out = report(db, path, "--equivalence-margin", "0.001", NULL);
    CHECK_CONTAINS(out, "\n2. [cannot tell] 0 of 1 groups detectable, 0 within \xC2\xB1" "0.001, 1 undecided");
    free(out);
    /* contradicts: d = -0.10, -0.11, -0.09: [-0.1248, -0.0752] excludes 0;
     * 1 of 1 detectable (at least half). */
    db = new_db(path, sizeof path);
    paired_group(db, "a", (double[]){-0.10, -0.11, -0.09});
    out = report(db, path, NULL, NULL, NULL);
    CHECK_CONTAINS(out, "\n2. [contradicts] 1 of 1 groups detectable, 0 within \xC2\xB1" "0.02, 0 undecided");
    free(out);
    /* partly supports: group a equivalent as above; group b d = -0.05, 0,
     * +0.06: mean 0.0033, sd 0.0551, half 0.1368: [-0.1335, 0.1401] holds 0
     * and reaches beyond +-0.02: undecided. 1 equivalent, 1 undecided. */
    db = new_db(path, sizeof path);
    paired_group(db, "a", (double[]){-0.001, 0, 0.001});
    paired_group(db, "b", (double[]){-0.05, 0, 0.06});
    out = report(db, path, NULL, NULL, NULL);
    CHECK_CONTAINS(out, "\n2. [partly supports] 0 of 2 groups detectable, 1 within \xC2\xB1" "0.02, 1 undecided");
    free(out);
}

/* The demo's situation: 2 seeds, wide intervals. Four groups, paired
 * differences (seed 1, seed 2) and what deciding each takes (the smallest n
 * with t(0.975, n-1) sd / sqrt(n) < max(|d|, 0.02 - |d|)):
 *   a (-0.06, +0.04): d -0.010, sd 0.0707, half 12.706 * 0.0707 / sqrt(2) = 0.635: 195 seeds
 *   b (+0.03, -0.05): d -0.010, sd 0.0566, half 0.508: 126 seeds
 *   c (-0.02, +0.07): d +0.025, sd 0.0636, half 0.572: 28 seeds (telling it from 0)
 *   d (+0.05, -0.04): d +0.005, sd 0.0636, half 0.572: 72 seeds
 * Every interval holds 0 and reaches far beyond +-0.02: 4 undecided, none
 * equivalent: cannot tell (never "supports" because nothing was detected).
 * The report names the median of 28, 72, 126, 195 (the upper one, 126) and
 * the largest. */
static void test_two_seeds(void) {
    char path[4096];
    BdDb *db = new_db(path, sizeof path);
    const char *archs[] = {"a", "b", "c", "d"};
    const double d[4][2] = {{-0.06, 0.04}, {0.03, -0.05}, {-0.02, 0.07}, {0.05, -0.04}};
    for (int g = 0; g < 4; g++)
        for (int s = 0; s < 2; s++) {
            rows_done(db, (Row){.arch = archs[g], .rate = 0, .seed = s + 1}, 0.8, 0.02);
            rows_done(db, (Row){.arch = archs[g], .rate = 0.1, .seed = s + 1}, 0.8 + d[g][s], 0.9);
        }
    char *md, *out = report(db, path, NULL, NULL, &md);
    CHECK(strstr(out, "\n2. [supports]") == NULL);
    CHECK_CONTAINS(out, "\n2. [cannot tell] 0 of 4 groups detectable, 0 within \xC2\xB1" "0.02, 4 undecided (paired "
                        "intervals \xC2\xB1" "0.572, 2 seeds); deciding needs about 126 seeds\n");
    CHECK_CONTAINS(md, "deciding a group takes about 126 seeds (the median group; about 195 seeds for the noisiest)");
    CHECK_CONTAINS(md, "the sweep has 2 seeds.");
    CHECK_CONTAINS(md, "Run about 126 seeds per condition");
    free(out), free(md);
}

/* ---- 3. regularization usually lowers ASR ---------------------------------------------------- */

/* A comparison of 3 seeds at rate 0.1: none with ASR 0.6 (reg_pair adds
 * it), the regularizer with 0.6 + change[s]. */
static void reg_cells(BdDb *db, const char *arch, const char *reg, const double change[3]) {
    for (int s = 0; s < 3; s++)
        rows_done(db, (Row){.arch = arch, .rate = 0.1, .seed = s + 1, .reg = reg}, 0.9, 0.6 + (change ? change[s] : 0));
}

static void reg_pair(BdDb *db, const char *arch, const double change[3]) {
    reg_cells(db, arch, NULL, NULL);
    reg_cells(db, arch, "logit-squeeze", change);
}

static void test_finding3(void) {
    /* The paired intervals, t(2) = 4.3027, half = 4.3027 sd / sqrt(3):
     *   lowered   -0.30, -0.31, -0.29 (sd 0.01): [-0.325, -0.275]
     *   lowered2  -0.20, -0.21, -0.19:           [-0.225, -0.175]
     *   raised    +0.20, +0.21, +0.19:           [+0.175, +0.225]
     *   same       0.00, +0.01, -0.01:           [-0.025, +0.025] within +-0.05
     *   undecided -0.20, +0.20, 0.00 (sd 0.2):   [-0.497, +0.497] */
    const double lowered[] = {-0.30, -0.31, -0.29}, lowered2[] = {-0.20, -0.21, -0.19};
    const double raised[] = {0.20, 0.21, 0.19}, same[] = {0, 0.01, -0.01}, undecided[] = {-0.2, 0.2, 0};
    char path[4096];
    /* supports: lowered, lowered, raised: 2 of 3 lowered, 1 raised. */
    BdDb *db = new_db(path, sizeof path);
    reg_pair(db, "a", lowered), reg_pair(db, "b", lowered2), reg_pair(db, "c", raised);
    char *md, *out = report(db, path, NULL, NULL, &md);
    CHECK_CONTAINS(out, "\n3. [supports] lowered ASR in 2 of 3 comparisons, raised it in 1, no clear change in 0, "
                        "undecided 0 (3 seeds)\n");
    CHECK_CONTAINS(md, "The largest rise: +0.200 (c");
    free(out), free(md);
    /* partly supports: lowered, lowered, undecided: the "not always" is not seen. */
    db = new_db(path, sizeof path);
    reg_pair(db, "a", lowered), reg_pair(db, "b", lowered2), reg_pair(db, "c", undecided);
    out = report(db, path, NULL, NULL, &md);
    CHECK_CONTAINS(out, "\n3. [partly supports] lowered ASR in 2 of 3 comparisons, raised it in 0, no clear change in "
                        "0, undecided 1");
    CHECK_CONTAINS(md, "the \"not always\" part is not seen");
    free(out), free(md);
    /* contradicts: raised, same, lowered: 2 of 3 not lowered. */
    db = new_db(path, sizeof path);
    reg_pair(db, "a", raised), reg_pair(db, "b", same), reg_pair(db, "c", lowered);
    out = report(db, path, NULL, NULL, NULL);
    CHECK_CONTAINS(out, "\n3. [contradicts] lowered ASR in 1 of 3 comparisons, raised it in 1, no clear change in 1");
    free(out);
    /* cannot tell: lowered, undecided, undecided: neither side has more than half. */
    db = new_db(path, sizeof path);
    reg_pair(db, "a", lowered), reg_pair(db, "b", undecided), reg_pair(db, "c", undecided);
    out = report(db, path, NULL, NULL, &md);
    CHECK_CONTAINS(out, "\n3. [cannot tell] lowered ASR in 1 of 3 comparisons, raised it in 0, no clear change in 0, "
                        "undecided 2");
    CHECK_CONTAINS(md, "would decide every undecided comparison");
    free(out), free(md);
    /* Two regularizers: a sentence for each. */
    db = new_db(path, sizeof path);
    reg_pair(db, "a", lowered), reg_pair(db, "b", raised), reg_cells(db, "a", "snnl", same);
    out = report(db, path, NULL, NULL, &md);
    CHECK_CONTAINS(md, " logit-squeeze: lowered 1, raised 1, no clear change 0, undecided 0 of 2. snnl: lowered 0, "
                       "raised 0, no clear change 1, undecided 0 of 1.");
    free(out), free(md);
}

/* ---- 4. clean fine-tuning neutralises the backdoor ------------------------------------------------ */

/* A poisoned cell (ASR 0.95 at the end of training, clean accuracy 0.9)
 * retrained 3 epochs along asr[], clean accuracy ending at clean_end, and its
 * baseline of the same seed (ASR 0.02: the threshold of neutralisation is
 * 0.07, that of taking hold 0.52). */
static void retrained(BdDb *db, int seed, const double asr[3], double clean_end) {
    const char *ft = "finetune(epochs=3)";
    rows_done(db, (Row){.rate = 0, .seed = seed, .retrain = ft}, 0.9, 0.02);
    long id = rows_done(db, (Row){.rate = 0.1, .seed = seed, .retrain = ft}, 0.9, 0.95);
    for (int e = 0; e < 3; e++) rows_metrics(db, id, "retrain", e + 1, e == 2 ? clean_end : 0.9, asr[e]);
}

static void test_finding4(void) {
    const double gone[] = {0.40, 0.03, 0.03}, kept[] = {0.90, 0.80, 0.80};
    /* It dips below 0.07 at epoch 2 and ends above it: not neutralised. */
    const double dip[] = {0.40, 0.03, 0.60};
    char path[4096];
    /* supports: 4 of 4 neutralised, Wilson [0.51, 1], clean accuracy 0.9 -> 0.9. */
    BdDb *db = new_db(path, sizeof path);
    for (int s = 1; s <= 4; s++) retrained(db, s, gone, 0.9);
    char *md, *out = report(db, path, NULL, NULL, NULL);
    CHECK_CONTAINS(out, "\n4. [supports] after 3 epochs of clean fine-tuning 4 of 4 backdoors that took hold "
                        "neutralised (1.00, interval 0.51\xE2\x80\x93" "1.00), clean accuracy +0.000\n");
    free(out);
    /* partly supports: the same, but clean accuracy falls to 0.85 (-0.05, beyond -0.02). */
    db = new_db(path, sizeof path);
    for (int s = 1; s <= 4; s++) retrained(db, s, gone, 0.85);
    out = report(db, path, NULL, NULL, &md);
    CHECK_CONTAINS(out, "\n4. [partly supports] after 3 epochs of clean fine-tuning 4 of 4 backdoors");
    CHECK_CONTAINS(md, "at a cost in clean accuracy of more than 0.02");
    free(out), free(md);
    /* contradicts: 8 took hold, none neutralised (4 dip below and come back):
     * 0 of 8, Wilson [0, 0.32]: p = 0 <= 0.25. */
    db = new_db(path, sizeof path);
    for (int s = 1; s <= 8; s++) retrained(db, s, s % 2 ? dip : kept, 0.9);
    out = report(db, path, NULL, NULL, NULL);
    CHECK_CONTAINS(out, "\n4. [contradicts] after 3 epochs of clean fine-tuning 0 of 8 backdoors that took hold "
                        "neutralised (0.00, interval 0.00\xE2\x80\x93" "0.32)");
    free(out);
    /* cannot tell: 1 of 2, Wilson [0.09, 0.91] spans both 0.25 and 0.75. */
    db = new_db(path, sizeof path);
    retrained(db, 1, gone, 0.9), retrained(db, 2, kept, 0.9);
    out = report(db, path, NULL, NULL, &md);
    CHECK_CONTAINS(out, "\n4. [cannot tell] after 3 epochs of clean fine-tuning 1 of 2 backdoors");
    CHECK_CONTAINS(md, "Too few backdoors took hold to tell whether most or few are neutralised.");
    free(out), free(md);
    /* Took hold: ASR 0.95 is 0.93 above the baseline; with --took-hold 0.95
     * no backdoor took hold. */
    db = new_db(path, sizeof path);
    retrained(db, 1, gone, 0.9);
    out = report(db, path, "--took-hold", "0.95", NULL);
    CHECK_CONTAINS(out, "\n4. [cannot tell] after 3 epochs of clean fine-tuning: no backdoor took hold (ASR +0.95 over "
                        "the baseline)\n");
    free(out);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: test_verdicts BDSWEEP\n");
        return 2;
    }
    bdsweep = argv[1];
    dir = test_tmpdir();
    test_helpers();
    test_finding1();
    test_finding2();
    test_two_seeds();
    test_finding3();
    test_finding4();
    if (getenv("BDSWEEP_TEST_KEEP")) printf("test_verdicts: kept %s\n", dir);
    else test_rmtree(dir);
    free(dir);
    return check_result("test_verdicts");
}
