/* The analysis views on hand-made rows: t_quantiles against tdist.c and
 * known values, cell_results' new columns (strategy name and source,
 * baselines of the same seed or of the other seeds, retrain columns, epochs to
 * neutralise), detection (Welch's interval worked out by hand, detectable
 * true/false/NULL), regularizer_effect (pairing by seed, spread), persistence
 * rows; and that every view runs in the plain sqlite3 CLI.
 * Usage: test_views */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "rows.h"
#include "sweep/testenv.h"
#include "tdist.h"

static char *dir;
static int n_db;

static BdDb *new_db(char *path, size_t cap) {
    snprintf(path, cap, "%s/views%d.db", dir, n_db++);
    BdDb *db = NULL;
    BdError err = {0};
    CHECK_MSG(bd_db_open(path, 1, &db, &err) == 0, "%s", err.msg);
    return db;
}

/* ---- Student's t ------------------------------------------------------------------ */

static void test_tdist(void) {
    /* Closed forms: I_x(1, 1) = x, I_x(a, 1) = x^a, I_1/2(a, a) = 1/2; the
     * t CDF with df 1 is the Cauchy CDF 1/2 + atan(t)/pi, with df 2 it is
     * 1/2 + t / (2 sqrt(2 + t^2)). */
    CHECK_NEAR(bd_incomplete_beta(0.3, 1, 1), 0.3, 1e-14);
    CHECK_NEAR(bd_incomplete_beta(0.3, 2.5, 1), pow(0.3, 2.5), 1e-14);
    CHECK_NEAR(bd_incomplete_beta(0.5, 7.5, 7.5), 0.5, 1e-13);
    CHECK_NEAR(bd_incomplete_beta(0.0, 2, 3), 0.0, 0);
    CHECK_NEAR(bd_incomplete_beta(1.0, 2, 3), 1.0, 0);
    CHECK_NEAR(bd_t_cdf(1.0, 1), 0.75, 1e-14);
    CHECK_NEAR(bd_t_cdf(-3.0, 1), 0.5 + atan(-3.0) / M_PI, 1e-14);
    CHECK_NEAR(bd_t_cdf(2.0, 2), 0.5 + 2.0 / (2 * sqrt(6.0)), 1e-14);
    CHECK_NEAR(bd_t_cdf(0.0, 17), 0.5, 1e-15);
    /* Quantiles: the closed forms inverted, then printed tables. */
    CHECK_NEAR(bd_t_quantile(0.975, 1), tan(M_PI * 0.475), 1e-10);
    CHECK_NEAR(bd_t_quantile(0.975, 2), 0.95 * sqrt(2 / (1 - 0.95 * 0.95)), 1e-12);
    CHECK_NEAR(bd_t_quantile(0.025, 2), -bd_t_quantile(0.975, 2), 1e-15);
    const double known[][2] = {{1, 12.706}, {2, 4.303}, {5, 2.571}, {10, 2.228}, {30, 2.042}, {120, 1.980}};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        CHECK_NEAR(bd_t_quantile(0.975, known[i][0]), known[i][1], 5e-4);
    CHECK_NEAR(bd_t_quantile(0.995, 10), 3.169, 5e-4);
    CHECK_NEAR(bd_t_quantile(0.975, 1e7), 1.959964, 1e-5); /* the normal limit */
}

/* The t_quantiles view holds exactly what tdist.c computes. */
static void test_t_quantiles_view(void) {
    char path[4096];
    BdDb *db = new_db(path, sizeof path);
    CHECK(rows_num(db, "SELECT COUNT(*) FROM t_quantiles") == bd_t_table_n);
    for (int i = 0; i < bd_t_table_n; i++) {
        double df = bd_t_table_df[i], q = rows_num(db, "SELECT q975 FROM t_quantiles WHERE df = %d", (int)df);
        CHECK_MSG(fabs(q - bd_t_quantile(0.975, df)) <= 1e-13 * q, "df %g: view %.17g, tdist %.17g", df, q,
                  bd_t_quantile(0.975, df));
    }
    bd_db_close(db);
}

/* ---- cell_results ------------------------------------------------------------------ */

static void test_cell_results(void) {
    char path[4096];
    BdDb *db = new_db(path, sizeof path);
    const char *ft = "finetune(epochs=3)";
    /* Baselines of seeds 1 and 2 (ASR 0.02, 0.04); none of seed 3. */
    long b1 = rows_done(db, (Row){.rate = 0, .seed = 1, .retrain = ft}, 0.90, 0.02);
    rows_done(db, (Row){.rate = 0, .seed = 2, .retrain = ft}, 0.92, 0.04);
    /* A failed baseline of seed 3 does not count. */
    rows_cell(db, (Row){.rate = 0, .seed = 3, .retrain = ft, .status = "failed", .error = "boom"});
    /* Poisoned, seed 1: its own baseline, threshold 0.02 + 0.05 = 0.07:
     * retrain ASR 0.5, 0.079, 0.06 -> neutralised at epoch 3. */
    long p1 = rows_done(db, (Row){.rate = 0.1, .seed = 1, .retrain = ft}, 0.88, 0.97);
    rows_metrics(db, p1, "retrain", 1, 0.89, 0.5);
    rows_metrics(db, p1, "retrain", 2, 0.89, 0.079);
    rows_metrics(db, p1, "retrain", 3, 0.90, 0.06);
    /* Poisoned, seed 3: no baseline of its seed, so the mean of seeds 1 and 2
     * (ASR 0.03, clean 0.91), threshold 0.08: the same retrain ASR is
     * neutralised at epoch 2. */
    long p3 = rows_done(db, (Row){.rate = 0.1, .seed = 3, .retrain = ft}, 0.87, 0.95);
    rows_metrics(db, p3, "retrain", 1, 0.88, 0.5);
    rows_metrics(db, p3, "retrain", 2, 0.88, 0.079);
    rows_metrics(db, p3, "retrain", 3, 0.86, 0.06);
    /* Poisoned, seed 2: never back under 0.04 + 0.05. */
    long p2 = rows_done(db, (Row){.rate = 0.1, .seed = 2, .retrain = ft}, 0.86, 0.99);
    rows_metrics(db, p2, "retrain", 1, 0.87, 0.6);
    rows_metrics(db, p2, "retrain", 2, 0.88, 0.2);
    /* Another trigger: no baseline at all. */
    long lone = rows_done(db, (Row){.trigger = "blend", .rate = 0.1, .seed = 1}, 0.8, 0.9);
    /* one-to-one: its source class. */
    long o2o = rows_done(db, (Row){.strategy = "one-to-one(source=3)", .target = 1, .rate = 0.1, .seed = 1}, 0.8, 0.9);
    long pend = rows_cell(db, (Row){.trigger = "checkerboard(size=4)", .rate = 0.1, .seed = 1, .status = "pending"});

    CHECK_STR(rows_text(db, "SELECT baseline FROM cell_results WHERE cell_id = %ld", p1), "same-seed");
    CHECK_NEAR(rows_num(db, "SELECT baseline_asr FROM cell_results WHERE cell_id = %ld", p1), 0.02, 1e-12);
    CHECK_NEAR(rows_num(db, "SELECT baseline_clean_acc FROM cell_results WHERE cell_id = %ld", p1), 0.90, 1e-12);
    CHECK_NEAR(rows_num(db, "SELECT retrain_epochs_to_neutralise FROM cell_results WHERE cell_id = %ld", p1), 3, 0);
    CHECK_STR(rows_text(db, "SELECT baseline FROM cell_results WHERE cell_id = %ld", p3), "other-seeds");
    CHECK_NEAR(rows_num(db, "SELECT baseline_asr FROM cell_results WHERE cell_id = %ld", p3), 0.03, 1e-12);
    CHECK_NEAR(rows_num(db, "SELECT baseline_clean_acc FROM cell_results WHERE cell_id = %ld", p3), 0.91, 1e-12);
    CHECK_NEAR(rows_num(db, "SELECT retrain_epochs_to_neutralise FROM cell_results WHERE cell_id = %ld", p3), 2, 0);
    CHECK_STR(rows_text(db, "SELECT retrain_epochs_to_neutralise FROM cell_results WHERE cell_id = %ld", p2), "(null)");
    CHECK_NEAR(rows_num(db, "SELECT retrain_epochs FROM cell_results WHERE cell_id = %ld", p2), 2, 0);
    CHECK_NEAR(rows_num(db, "SELECT asr_after_retrain FROM cell_results WHERE cell_id = %ld", p2), 0.2, 1e-12);
    CHECK_NEAR(rows_num(db, "SELECT clean_acc_after_retrain FROM cell_results WHERE cell_id = %ld", p2), 0.88, 1e-12);
    CHECK_NEAR(rows_num(db, "SELECT retrain_epochs FROM cell_results WHERE cell_id = %ld", p1), 3, 0);
    CHECK_NEAR(rows_num(db, "SELECT asr_after_retrain FROM cell_results WHERE cell_id = %ld", p1), 0.06, 1e-12);
    /* The final train numbers are those of the last epoch. */
    CHECK_NEAR(rows_num(db, "SELECT asr FROM cell_results WHERE cell_id = %ld", p1), 0.97, 1e-12);
    CHECK_NEAR(rows_num(db, "SELECT clean_acc FROM cell_results WHERE cell_id = %ld", p1), 0.88, 1e-12);
    /* A baseline is its own baseline. */
    CHECK_NEAR(rows_num(db, "SELECT baseline_asr FROM cell_results WHERE cell_id = %ld", b1), 0.02, 1e-12);
    /* No baseline anywhere: NULLs, no retraining: NULL retrain columns. */
    CHECK_STR(rows_text(db, "SELECT baseline FROM cell_results WHERE cell_id = %ld", lone), "(null)");
    CHECK_STR(rows_text(db, "SELECT baseline_asr FROM cell_results WHERE cell_id = %ld", lone), "(null)");
    CHECK_STR(rows_text(db, "SELECT retrain_epochs FROM cell_results WHERE cell_id = %ld", lone), "(null)");
    CHECK_STR(rows_text(db, "SELECT retrain_epochs_to_neutralise FROM cell_results WHERE cell_id = %ld", lone),
              "(null)");
    /* Preset names and the one-to-one source. */
    CHECK_STR(rows_text(db, "SELECT strategy_name FROM cell_results WHERE cell_id = %ld", o2o), "one-to-one");
    CHECK_NEAR(rows_num(db, "SELECT source FROM cell_results WHERE cell_id = %ld", o2o), 3, 0);
    CHECK_STR(rows_text(db, "SELECT typeof(source) FROM cell_results WHERE cell_id = %ld", o2o), "integer");
    CHECK_STR(rows_text(db, "SELECT strategy_name FROM cell_results WHERE cell_id = %ld", p1), "all-to-one");
    CHECK_STR(rows_text(db, "SELECT source FROM cell_results WHERE cell_id = %ld", p1), "(null)");
    CHECK_STR(rows_text(db, "SELECT trigger_name FROM cell_results WHERE cell_id = %ld", pend), "checkerboard");
    /* A pending cell is listed with NULL numbers. */
    CHECK_STR(rows_text(db, "SELECT status || ':' || quote(asr) FROM cell_results WHERE cell_id = %ld", pend),
              "pending:NULL");
    CHECK(rows_num(db, "SELECT COUNT(*) FROM cell_results") == 9);

    /* persistence: epoch 0 from the last train epoch, then the retrain epochs;
     * only cells that retrain and have trained. */
    CHECK(rows_num(db, "SELECT COUNT(*) FROM persistence WHERE cell_id = %ld", p1) == 4);
    CHECK(rows_num(db, "SELECT COUNT(*) FROM persistence WHERE cell_id = %ld", p2) == 3);
    CHECK_NEAR(rows_num(db, "SELECT asr FROM persistence WHERE cell_id = %ld AND epoch = 0", p1), 0.97, 1e-12);
    CHECK_NEAR(rows_num(db, "SELECT clean_acc FROM persistence WHERE cell_id = %ld AND epoch = 0", p1), 0.88, 1e-12);
    CHECK_NEAR(rows_num(db, "SELECT asr FROM persistence WHERE cell_id = %ld AND epoch = 2", p1), 0.079, 1e-12);
    CHECK_NEAR(rows_num(db, "SELECT clean_acc FROM persistence WHERE cell_id = %ld AND epoch = 3", p3), 0.86, 1e-12);
    CHECK_NEAR(rows_num(db, "SELECT triggered_acc FROM persistence WHERE cell_id = %ld AND epoch = 1", p2), 0.4, 1e-12);
    CHECK_NEAR(rows_num(db, "SELECT baseline_asr FROM persistence WHERE cell_id = %ld AND epoch = 1", p3), 0.03, 1e-12);
    CHECK(rows_num(db, "SELECT COUNT(*) FROM persistence WHERE cell_id IN (%ld, %ld)", lone, o2o) == 0);
    /* The 2 done baselines (epoch 0 only: they have no retrain metrics; the
     * failed one has nothing) + p1 4 + p3 4 + p2 3. */
    CHECK(rows_num(db, "SELECT COUNT(*) FROM persistence") == 1 + 1 + 4 + 4 + 3);
    bd_db_close(db);
}

/* retrain_epochs_to_neutralise is the first epoch from which ASR stays
 * within the baseline's ASR + 0.05 through the last retraining epoch: a dip
 * below the threshold that does not last is not neutralisation. Baseline
 * ASR 0.02 (seed 1 of each trigger), so the threshold is 0.07:
 *   dip     0.50, 0.03, 0.40: below at epoch 2, above again at 3 -> NULL
 *   late    0.50, 0.03, 0.04: stays below from epoch 2           -> 2
 *   bounce  0.03, 0.50, 0.04: the last epoch above is 2           -> 3
 *   low     0.01, 0.01, 0.01: never above (ASR low already)      -> 1
 *   end     0.50, 0.40, 0.08: above at the last epoch K = 3      -> NULL */
static void test_neutralise(void) {
    char path[4096];
    BdDb *db = new_db(path, sizeof path);
    const char *ft = "finetune(epochs=3)";
    const char *trig[] = {"square", "blend", "pattern", "noise-patch", "checkerboard"};
    const double curve[5][3] = {
        {0.50, 0.03, 0.40}, {0.50, 0.03, 0.04}, {0.03, 0.50, 0.04}, {0.01, 0.01, 0.01}, {0.50, 0.40, 0.08}};
    const char *want[] = {"(null)", "2", "3", "1", "(null)"};
    for (int i = 0; i < 5; i++) {
        rows_done(db, (Row){.trigger = trig[i], .rate = 0, .seed = 1, .retrain = ft}, 0.9, 0.02);
        long id = rows_done(db, (Row){.trigger = trig[i], .rate = 0.1, .seed = 1, .retrain = ft}, 0.88, 0.97);
        for (int e = 0; e < 3; e++) rows_metrics(db, id, "retrain", e + 1, 0.9, curve[i][e]);
        CHECK_STR(rows_text(db, "SELECT retrain_epochs_to_neutralise FROM cell_results WHERE cell_id = %ld", id),
                  want[i]);
    }
    bd_db_close(db);
}

/* ---- detection ------------------------------------------------------------------- */

static void test_detection(void) {
    char path[4096];
    BdDb *db = new_db(path, sizeof path);
    /* Group A (arch a): poisoned clean accuracy 0.80, 0.82, 0.84; baselines 0.90, 0.91.
     *   mean_p = 0.82, var_p = (0.02^2 + 0 + 0.02^2) / 2 = 0.0004
     *   mean_c = 0.905, var_c = (0.005^2 + 0.005^2) / 1 = 0.00005
     *   diff = 0.82 - 0.905 = -0.085
     *   se^2 = 0.0004/3 + 0.00005/2 = 1.58333e-4, se = 0.0125830574
     *   df = se^4 / ((0.0004/3)^2 / 2 + (0.00005/2)^2 / 1) = 2.50694e-8 / 9.51389e-9 = 2.6350365
     *   floor(df) = 2: t = 4.30265272975
     *   half width = 4.30265272975 * 0.0125830574 = 0.0541405262
     *   interval [-0.1391405262, -0.0308594738]: excludes 0, detectable. */
    const double pa[] = {0.80, 0.82, 0.84}, ca[] = {0.90, 0.91};
    for (int s = 0; s < 3; s++) rows_done(db, (Row){.arch = "a", .rate = 0.05, .seed = s + 1}, pa[s], 0.9);
    for (int s = 0; s < 2; s++) rows_done(db, (Row){.arch = "a", .rate = 0, .seed = s + 1}, ca[s], 0.05);
    /* Group B (arch b): poisoned 0.80, 0.90; baselines 0.86, 0.88.
     *   var_p = 0.005, var_c = 0.0002, diff = -0.02
     *   se^2 = 0.005/2 + 0.0002/2 = 0.0026, se = 0.0509901951
     *   df = 0.0026^2 / (0.0025^2 + 0.0001^2) = 1.0798722: t(1) = 12.7062047362
     *   interval -0.02 +- 0.6478918589 = [-0.6678918589, 0.6278918589]: holds 0. */
    const double pb[] = {0.80, 0.90}, cb[] = {0.86, 0.88};
    for (int s = 0; s < 2; s++) rows_done(db, (Row){.arch = "b", .rate = 0.05, .seed = s + 1}, pb[s], 0.8);
    for (int s = 0; s < 2; s++) rows_done(db, (Row){.arch = "b", .rate = 0, .seed = s + 1}, cb[s], 0.1);
    /* A failed poisoned cell of group B is left out. */
    rows_cell(db, (Row){.arch = "b", .rate = 0.05, .seed = 3, .status = "failed", .error = "x"});
    /* Group C: one poisoned seed: no interval, detectable NULL. */
    rows_done(db, (Row){.arch = "c", .rate = 0.05, .seed = 1}, 0.7, 0.9);
    rows_done(db, (Row){.arch = "c", .rate = 0, .seed = 1}, 0.8, 0.0);
    rows_done(db, (Row){.arch = "c", .rate = 0, .seed = 2}, 0.82, 0.0);
    /* Group D: no baseline at all. */
    rows_done(db, (Row){.arch = "d", .rate = 0.05, .seed = 1}, 0.7, 0.9);
    rows_done(db, (Row){.arch = "d", .rate = 0.05, .seed = 2}, 0.72, 0.9);
    /* Group A at a second rate shares the baselines: identical values -> se 0. */
    for (int s = 0; s < 2; s++) rows_done(db, (Row){.arch = "a", .rate = 0.1, .seed = s + 1}, 0.7, 1.0);

    CHECK(rows_num(db, "SELECT COUNT(*) FROM detection") == 5);
    const char *a = "FROM detection WHERE arch = 'a' AND poison_rate = 0.05";
    CHECK(rows_num(db, "SELECT n_poisoned %s", a) == 3);
    CHECK(rows_num(db, "SELECT n_clean %s", a) == 2);
    CHECK_NEAR(rows_num(db, "SELECT clean_acc_poisoned %s", a), 0.82, 1e-12);
    CHECK_NEAR(rows_num(db, "SELECT clean_acc_clean %s", a), 0.905, 1e-12);
    CHECK_NEAR(rows_num(db, "SELECT sd_poisoned %s", a), 0.02, 1e-12);
    CHECK_NEAR(rows_num(db, "SELECT sd_clean %s", a), sqrt(0.00005), 1e-12);
    CHECK_NEAR(rows_num(db, "SELECT clean_acc_diff %s", a), -0.085, 1e-12);
    CHECK_NEAR(rows_num(db, "SELECT se %s", a), 0.0125830574, 1e-9);
    CHECK_NEAR(rows_num(db, "SELECT welch_df %s", a), 2.6350365, 1e-6);
    CHECK_NEAR(rows_num(db, "SELECT t_quantile %s", a), 4.30265272975, 1e-10);
    CHECK_NEAR(rows_num(db, "SELECT ci_low %s", a), -0.1391405262, 1e-9);
    CHECK_NEAR(rows_num(db, "SELECT ci_high %s", a), -0.0308594738, 1e-9);
    CHECK(rows_num(db, "SELECT detectable %s", a) == 1);
    CHECK_NEAR(rows_num(db, "SELECT asr_poisoned %s", a), 0.9, 1e-12);
    CHECK_NEAR(rows_num(db, "SELECT asr_clean %s", a), 0.05, 1e-12);
    CHECK_STR(rows_text(db, "SELECT trigger_name %s", a), "square");

    const char *b = "FROM detection WHERE arch = 'b'";
    CHECK(rows_num(db, "SELECT n_poisoned %s", b) == 2);
    CHECK_NEAR(rows_num(db, "SELECT welch_df %s", b), 1.0798722, 1e-6);
    CHECK_NEAR(rows_num(db, "SELECT t_quantile %s", b), 12.7062047362, 1e-9);
    CHECK_NEAR(rows_num(db, "SELECT ci_low %s", b), -0.6678918589, 1e-9);
    CHECK_NEAR(rows_num(db, "SELECT ci_high %s", b), 0.6278918589, 1e-9);
    CHECK(rows_num(db, "SELECT detectable %s", b) == 0);

    const char *c = "FROM detection WHERE arch = 'c'";
    CHECK(rows_num(db, "SELECT n_poisoned %s", c) == 1);
    CHECK(rows_num(db, "SELECT n_clean %s", c) == 2);
    CHECK_NEAR(rows_num(db, "SELECT clean_acc_diff %s", c), 0.7 - 0.81, 1e-12);
    CHECK_STR(rows_text(db, "SELECT quote(detectable) || quote(ci_low) || quote(se) %s", c), "NULLNULLNULL");

    const char *d = "FROM detection WHERE arch = 'd'";
    CHECK(rows_num(db, "SELECT n_clean %s", d) == 0);
    CHECK_STR(rows_text(db, "SELECT quote(detectable) || quote(clean_acc_clean) %s", d), "NULLNULL");

    /* Zero spread on both sides: the interval is the difference itself. */
    const char *z = "FROM detection WHERE arch = 'a' AND poison_rate = 0.1";
    rows_exec(db, "UPDATE metrics SET value = 0.9 WHERE name = 'clean_acc' AND epoch = 2 AND cell_id IN "
                  "(SELECT id FROM cells WHERE arch = 'a' AND poison_rate = 0)");
    rows_exec(db, "UPDATE metrics SET value = 0.7 WHERE name = 'clean_acc' AND epoch = 2 AND cell_id IN "
                  "(SELECT id FROM cells WHERE arch = 'a' AND poison_rate = 0.1)");
    CHECK_NEAR(rows_num(db, "SELECT se %s", z), 0, 0);
    CHECK_NEAR(rows_num(db, "SELECT welch_df %s", z), 2, 0);
    CHECK_NEAR(rows_num(db, "SELECT ci_low %s", z), -0.2, 1e-12);
    CHECK_NEAR(rows_num(db, "SELECT ci_high %s", z), -0.2, 1e-12);
    CHECK(rows_num(db, "SELECT detectable %s", z) == 1);
    bd_db_close(db);
}

/* The paired analysis of detection: each poisoned seed against the baseline
 * of its own seed, when both were trained on paired streams (streams >= 2).
 * Group P (arch p), poisoned clean accuracy by seed 0.79, 0.89, 0.69 and
 * 0.85 (seed 4, whose baseline is pending); baselines 0.82, 0.93, 0.71:
 *   the seeds disagree by 0.2 (seed noise) but each poisoned model is 0.02
 *   to 0.04 below its own baseline.
 *   pairs: seeds 1..3, differences -0.03, -0.04, -0.02 (seed 4 has no done baseline)
 *   mean = -0.03; deviations 0, -0.01, +0.01; sd = sqrt((0 + 0.0001 + 0.0001) / 2) = 0.01
 *   t(0.975, df 2) = 4.302652729749464
 *   half width = 4.302652729749464 * 0.01 / sqrt(3) = 0.0248413771
 *   interval [-0.0548413771, -0.0051586229]: excludes 0, paired_detectable 1.
 *   Welch over all seeds: poisoned mean 0.805 (var 0.0075667, 4 seeds),
 *   clean 0.82 (var 0.0121, 3 seeds): diff -0.015, se 0.0769740, df 3.76
 *   -> t(3) = 3.182: +-0.245, holds 0, detectable 0. The report uses the
 *   paired interval (interval = 'paired').
 * Group U (arch u): the same numbers, but the baselines were trained before
 * paired streams (streams 1): no pair counts, n_pairs 0, the paired columns
 * are NULL and the interval is Welch's.
 * Group S (arch s): one pair (seed 1), and a second seed whose poisoned cell
 * is unpaired: n_pairs 1, a paired difference but no paired interval; Welch
 * has 2 seeds a side and is used. */
static void test_detection_paired(void) {
    char path[4096];
    BdDb *db = new_db(path, sizeof path);
    const double pois[] = {0.79, 0.89, 0.69, 0.85}, base[] = {0.82, 0.93, 0.71};
    const char *archs[] = {"p", "u"};
    for (int g = 0; g < 2; g++) {
        for (int s = 0; s < 4; s++) rows_done(db, (Row){.arch = archs[g], .rate = 0.05, .seed = s + 1}, pois[s], 0.9);
        for (int s = 0; s < 3; s++)
            rows_done(db, (Row){.arch = archs[g], .rate = 0, .seed = s + 1, .streams = g ? 1 : 0}, base[s], 0.05);
        rows_cell(db, (Row){.arch = archs[g], .rate = 0, .seed = 4, .status = "pending"});
    }
    rows_done(db, (Row){.arch = "s", .rate = 0.05, .seed = 1}, 0.80, 0.9);
    rows_done(db, (Row){.arch = "s", .rate = 0.05, .seed = 2, .streams = 1}, 0.84, 0.9);
    rows_done(db, (Row){.arch = "s", .rate = 0, .seed = 1}, 0.83, 0.05);
    rows_done(db, (Row){.arch = "s", .rate = 0, .seed = 2}, 0.85, 0.05);

    const char *p = "FROM detection WHERE arch = 'p'";
    CHECK(rows_num(db, "SELECT n_poisoned %s", p) == 4);
    CHECK(rows_num(db, "SELECT n_clean %s", p) == 3);
    CHECK(rows_num(db, "SELECT n_pairs %s", p) == 3);
    CHECK_NEAR(rows_num(db, "SELECT paired_diff %s", p), -0.03, 1e-12);
    CHECK_NEAR(rows_num(db, "SELECT paired_sd %s", p), 0.01, 1e-12);
    CHECK_NEAR(rows_num(db, "SELECT paired_t %s", p), 4.302652729749464, 1e-12);
    CHECK_NEAR(rows_num(db, "SELECT paired_ci_low %s", p), -0.0548413771, 1e-9);
    CHECK_NEAR(rows_num(db, "SELECT paired_ci_high %s", p), -0.0051586229, 1e-9);
    CHECK(rows_num(db, "SELECT paired_detectable %s", p) == 1);
    CHECK_NEAR(rows_num(db, "SELECT clean_acc_diff %s", p), -0.015, 1e-12);
    CHECK_NEAR(rows_num(db, "SELECT se %s", p), 0.0769740216, 1e-9);
    CHECK(rows_num(db, "SELECT detectable %s", p) == 0);
    CHECK_STR(rows_text(db, "SELECT interval %s", p), "paired");
    CHECK_NEAR(rows_num(db, "SELECT interval_diff %s", p), -0.03, 1e-12);
    CHECK_NEAR(rows_num(db, "SELECT interval_low %s", p), -0.0548413771, 1e-9);
    CHECK_NEAR(rows_num(db, "SELECT interval_high %s", p), -0.0051586229, 1e-9);
    CHECK(rows_num(db, "SELECT interval_detectable %s", p) == 1);
    CHECK_NEAR(rows_num(db, "SELECT interval_sd %s", p), 0.01, 1e-12);

    const char *u = "FROM detection WHERE arch = 'u'";
    CHECK(rows_num(db, "SELECT n_pairs %s", u) == 0);
    CHECK_STR(rows_text(db, "SELECT quote(paired_diff) || quote(paired_ci_low) || quote(paired_detectable) %s", u),
              "NULLNULLNULL");
    CHECK_STR(rows_text(db, "SELECT interval %s", u), "welch");
    CHECK_NEAR(rows_num(db, "SELECT interval_diff %s", u), -0.015, 1e-12);
    CHECK_NEAR(rows_num(db, "SELECT interval_low - ci_low %s", u), 0, 0);
    CHECK_NEAR(rows_num(db, "SELECT interval_high - ci_high %s", u), 0, 0);
    CHECK(rows_num(db, "SELECT interval_detectable %s", u) == 0);
    /* One poisoned seed minus one clean seed: sqrt(var_p + var_c). */
    CHECK_NEAR(rows_num(db, "SELECT interval_sd %s", u), sqrt(0.0075666666667 + 0.0121), 1e-9);

    const char *g = "FROM detection WHERE arch = 's'";
    CHECK(rows_num(db, "SELECT n_pairs %s", g) == 1);
    CHECK_NEAR(rows_num(db, "SELECT paired_diff %s", g), -0.03, 1e-12);
    CHECK_STR(rows_text(db, "SELECT quote(paired_sd) || quote(paired_ci_low) || quote(paired_detectable) %s", g),
              "NULLNULLNULL");
    CHECK_STR(rows_text(db, "SELECT interval %s", g), "welch");
    CHECK_NEAR(rows_num(db, "SELECT interval_diff %s", g), 0.82 - 0.84, 1e-12);
    bd_db_close(db);
}

/* ---- regularizer_effect --------------------------------------------------------------- */

static void test_regularizer_effect(void) {
    char path[4096];
    BdDb *db = new_db(path, sizeof path);
    const char *ls = "logit-squeeze(weight=0.1)";
    /* none: seeds 1, 2, 3 (ASR 0.9, 0.8, 0.95; clean 0.80, 0.82, 0.81). */
    rows_done(db, (Row){.rate = 0.1, .seed = 1}, 0.80, 0.9);
    rows_done(db, (Row){.rate = 0.1, .seed = 2}, 0.82, 0.8);
    rows_done(db, (Row){.rate = 0.1, .seed = 3}, 0.81, 0.95);
    /* logit-squeeze: seeds 1, 2 (seed 3 failed): ASR 0.7, 0.75; clean 0.78, 0.83.
     * Pairs by seed: ASR changes -0.2, -0.05 -> mean -0.125, sd sqrt((0.075^2 +
     * 0.075^2) / 1) = 0.1060660172; clean changes -0.02, +0.01 -> mean -0.005,
     * sd sqrt(0.015^2 * 2) = 0.0212132034. The means of the sides are over the
     * paired seeds only: none 0.85 (not 0.883), regularized 0.725. */
    rows_done(db, (Row){.rate = 0.1, .seed = 1, .reg = ls}, 0.78, 0.7);
    rows_done(db, (Row){.rate = 0.1, .seed = 2, .reg = ls}, 0.83, 0.75);
    rows_cell(db, (Row){.rate = 0.1, .seed = 3, .reg = ls, .status = "failed", .error = "x"});
    /* contrastive raises ASR, one seed: sd NULL. */
    rows_done(db, (Row){.rate = 0.1, .seed = 2, .reg = "contrastive"}, 0.8, 0.99);
    /* A regularized cell with no `none` partner of its seed pairs with nothing. */
    rows_done(db, (Row){.rate = 0.1, .seed = 9, .reg = "snnl"}, 0.8, 0.5);
    /* Another group (rate 0.2) keeps its own pairs. */
    rows_done(db, (Row){.rate = 0.2, .seed = 1}, 0.8, 1.0);
    rows_done(db, (Row){.rate = 0.2, .seed = 1, .reg = ls}, 0.8, 0.4);

    CHECK(rows_num(db, "SELECT COUNT(*) FROM regularizer_effect") == 3);
    const char *g = "FROM regularizer_effect WHERE poison_rate = 0.1 AND regularizer = 'logit-squeeze(weight=0.1)'";
    CHECK(rows_num(db, "SELECT n_seeds %s", g) == 2);
    CHECK_STR(rows_text(db, "SELECT regularizer_name %s", g), "logit-squeeze");
    CHECK_NEAR(rows_num(db, "SELECT asr_none %s", g), 0.85, 1e-12);
    CHECK_NEAR(rows_num(db, "SELECT asr_regularized %s", g), 0.725, 1e-12);
    CHECK_NEAR(rows_num(db, "SELECT asr_change %s", g), -0.125, 1e-12);
    CHECK_NEAR(rows_num(db, "SELECT asr_change_sd %s", g), 0.1060660172, 1e-9);
    CHECK_NEAR(rows_num(db, "SELECT clean_acc_none %s", g), 0.81, 1e-12);
    CHECK_NEAR(rows_num(db, "SELECT clean_acc_regularized %s", g), 0.805, 1e-12);
    CHECK_NEAR(rows_num(db, "SELECT clean_acc_change %s", g), -0.005, 1e-12);
    CHECK_NEAR(rows_num(db, "SELECT clean_acc_change_sd %s", g), 0.0212132034, 1e-9);
    /* The paired 95% intervals: 2 pairs, t(0.975, df 1) = 12.7062047362;
     *   ASR: -0.125 -+ 12.7062047362 * 0.1060660172 / sqrt(2) = -0.125 -+ 12.7062047362 * 0.075
     *        = [-1.0779653552, 0.8279653552] (holds 0: two seeds cannot tell)
     *   clean accuracy: -0.005 -+ 12.7062047362 * 0.015 = [-0.1955930710, 0.1855930710]. */
    CHECK_NEAR(rows_num(db, "SELECT t_quantile %s", g), 12.7062047362, 1e-9);
    CHECK_NEAR(rows_num(db, "SELECT asr_change_ci_low %s", g), -1.0779653552, 1e-9);
    CHECK_NEAR(rows_num(db, "SELECT asr_change_ci_high %s", g), 0.8279653552, 1e-9);
    CHECK_NEAR(rows_num(db, "SELECT clean_acc_change_ci_low %s", g), -0.1955930710, 1e-9);
    CHECK_NEAR(rows_num(db, "SELECT clean_acc_change_ci_high %s", g), 0.1855930710, 1e-9);
    CHECK(rows_num(db, "SELECT paired_streams %s", g) == 1);
    const char *c = "FROM regularizer_effect WHERE regularizer = 'contrastive'";
    CHECK(rows_num(db, "SELECT n_seeds %s", c) == 1);
    CHECK_NEAR(rows_num(db, "SELECT asr_change %s", c), 0.19, 1e-12);
    CHECK_STR(rows_text(db, "SELECT quote(asr_change_sd) || quote(clean_acc_change_sd) %s", c), "NULLNULL");
    CHECK_STR(rows_text(db, "SELECT quote(t_quantile) || quote(asr_change_ci_low) || quote(clean_acc_change_ci_high) "
                            "%s",
                        c),
              "NULLNULLNULL");
    CHECK_NEAR(rows_num(db, "SELECT asr_change FROM regularizer_effect WHERE poison_rate = 0.2"), -0.6, 1e-12);
    CHECK(rows_num(db, "SELECT COUNT(*) FROM regularizer_effect WHERE regularizer = 'snnl'") == 0);
    /* A pair with a side trained before paired streams still pairs by seed,
     * and the group says it is not on paired streams. */
    rows_done(db, (Row){.rate = 0.3, .seed = 1}, 0.8, 1.0);
    rows_done(db, (Row){.rate = 0.3, .seed = 1, .reg = ls, .streams = 1}, 0.8, 0.5);
    CHECK_STR(rows_text(db, "SELECT n_seeds || ':' || paired_streams FROM regularizer_effect WHERE poison_rate = 0.3"),
              "1:0");
    bd_db_close(db);
}

/* ---- the plain sqlite3 CLI ------------------------------------------------------------- */

/* The views must not need anything bdsweep adds to a connection. */
static void test_sqlite3_cli(void) {
    const char *cli = "/usr/bin/sqlite3";
    if (access(cli, X_OK) != 0) {
        printf("test_views: %s is not installed: the CLI check is skipped\n", cli);
        return;
    }
    char path[4096];
    BdDb *db = new_db(path, sizeof path);
    rows_done(db, (Row){.rate = 0.1, .seed = 1, .retrain = "finetune"}, 0.8, 0.9);
    rows_done(db, (Row){.rate = 0.1, .seed = 2, .retrain = "finetune"}, 0.82, 0.95);
    rows_done(db, (Row){.rate = 0, .seed = 1, .retrain = "finetune"}, 0.85, 0.01);
    rows_done(db, (Row){.rate = 0, .seed = 2, .retrain = "finetune"}, 0.86, 0.02);
    rows_done(db, (Row){.rate = 0.1, .seed = 1, .retrain = "finetune", .reg = "snnl"}, 0.8, 0.5);
    bd_db_close(db);
    char *argv[] = {(char *)cli, "-batch", "-noheader", path,
                    "SELECT COUNT(*) FROM cell_results; SELECT COUNT(*) FROM detection WHERE ci_low IS NOT NULL; "
                    "SELECT COUNT(*) FROM regularizer_effect; SELECT COUNT(*) FROM persistence; "
                    "SELECT COUNT(*) FROM t_quantiles;",
                    NULL};
    char *out, *err;
    CHECK(test_run(dir, argv, &out, &err) == 0);
    CHECK_STR(err, "");
    CHECK_STR(out, "5\n1\n1\n5\n107\n");
    free(out);
    free(err);
}

int main(void) {
    dir = test_tmpdir();
    test_tdist();
    test_t_quantiles_view();
    test_cell_results();
    test_neutralise();
    test_detection();
    test_detection_paired();
    test_regularizer_effect();
    test_sqlite3_cli();
    test_rmtree(dir);
    free(dir);
    return check_result("test_views");
}
