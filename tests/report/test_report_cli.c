/* `bdsweep report` and `bdsweep preview`, the executable, on databases and
 * sweeps made here: every figure is well-formed SVG, the findings state what
 * the hand-made numbers say (including regularization raising ASR), an
 * empty and a partial database, --sweep, --csv, previews that work and one
 * whose dataset cannot be loaded, the help texts and the command-line errors.
 * Usage: test_report_cli BDSWEEP */
#include <stb_image.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "rows.h"
#include "sweep/testenv.h"
#include "svgcheck.h"
#include "xmlcheck.h"

static char *bdsweep, *dir;

static int run(char **out, char **err, const char *a1, const char *a2, const char *a3, const char *a4,
               const char *a5) {
    char *argv[] = {bdsweep, (char *)a1, (char *)a2, (char *)a3, (char *)a4, (char *)a5, NULL};
    return test_run(dir, argv, out, err);
}

static BdDb *new_db(const char *name, char *path, size_t cap) {
    snprintf(path, cap, "%s/%s", dir, name);
    BdDb *db = NULL;
    BdError err = {0};
    CHECK_MSG(bd_db_open(path, 1, &db, &err) == 0, "%s", err.msg);
    return db;
}

static int count(const char *hay, const char *needle) {
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle)) n++;
    return n;
}

static const char *figures[] = {"fig-a-asr-heatmap.svg", "fig-b-asr-vs-rate.svg", "fig-c-detection.svg",
                                "fig-d-regularizer-effect.svg", "fig-e-persistence.svg"};

/* Every figure exists and is a well-formed SVG document (and, when the
 * system has xmllint, it agrees). */
static void check_figures(const char *out_dir) {
    for (int i = 0; i < 5; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", out_dir, figures[i]);
        char *svg = test_read(path);
        CHECK_MSG(strlen(svg) > 100, "%s is missing or empty", path);
        const char *bad = xml_check(svg, "svg");
        CHECK_MSG(bad == NULL, "%s: %s", path, bad);
        CHECK(!strncmp(svg, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"",
                       75));
        CHECK(strstr(svg, "NaN") == NULL && strstr(svg, "nan\"") == NULL && strstr(svg, "inf\"") == NULL);
        free(svg);
        if (access("/usr/bin/xmllint", X_OK) == 0) {
            char *argv[] = {"/usr/bin/xmllint", "--noout", path, NULL}, *o, *e;
            CHECK_MSG(test_run(dir, argv, &o, &e) == 0, "xmllint %s: %s", path, e);
            free(o), free(e);
        }
    }
}

/* ---- the checker itself must fail on bad XML ------------------------------------------------ */

static void test_xml_checker(void) {
    CHECK(xml_check("<svg a=\"1\"><g><text>a &amp; b</text></g></svg>", "svg") == NULL);
    CHECK(xml_check("<?xml version=\"1.0\"?>\n<svg/>\n", "svg") == NULL);
    CHECK(xml_check("<svg><g></svg>", "svg") != NULL);
    CHECK(xml_check("<svg a=1></svg>", "svg") != NULL);
    CHECK(xml_check("<svg><text>a & b</text></svg>", "svg") != NULL);
    CHECK(xml_check("<svg a=\"<\"></svg>", "svg") != NULL);
    CHECK(xml_check("<svg></svg><svg></svg>", "svg") != NULL);
    CHECK(xml_check("<html></html>", "svg") != NULL);
    CHECK(xml_check("<svg a=\"1\" a=\"2\"/>", "svg") != NULL);
    CHECK(xml_check("<svg>", "svg") != NULL);
}

/* ---- a database with known rows -------------------------------------------------------------- */

/* 2 architectures x 2 triggers x rates {0, 0.1} x regularizers {none,
 * logit-squeeze} x seeds {1, 2}, all retraining 3 epochs.
 *   ASR (none):          a/square 0.90 0.92, a/checker 0.50 0.55, b/square 0.95 0.97, b/checker 0.30 0.35
 *   ASR (logit-squeeze): a/square 0.60 0.62, a/checker 0.30 0.35, b/square 0.70 0.72, b/checker 0.60 0.62
 * Finding 1 (rate 0.1): the seeds of a condition differ by 0.02 or 0.05,
 * pooled sd 0.0244 (df 8), so two level means of 8 cells each carry a noise
 * of N = t(8) 2.306 * 0.0244 * sqrt(1/8 + 1/8) = 0.028. Architecture: 0.593
 * vs 0.651, R = 0.06, R + N < 0.10: little; trigger: 0.798 vs 0.446, R =
 * 0.35, R - N >= 0.30: widely; regularizer: 0.68 vs 0.564, R = 0.12, R - N
 * > 0: moderately. Partly supports.
 * Finding 3: logit-squeeze lowers ASR in 3 groups and raises it in b/checker
 * (+0.30, +0.27: mean +0.285, paired interval +0.285 -+ 12.706 * 0.0212 /
 * sqrt(2) = [+0.094, +0.476]).
 * Finding 2: baselines clean accuracy 0.90 / 0.91. Poisoned 0.898 / 0.914
 * (paired differences -0.002, +0.004: an interval of +-0.038 with 2 seeds,
 * undecided) except a/square/none 0.70 / 0.712 (-0.2, -0.198: detectable):
 * 1 of 8 detectable, 7 undecided, none shown within +-0.02: cannot tell.
 * Retraining: architecture a falls to ASR 0.03 at epoch 2 (neutralised,
 * threshold 0.07), b stays above 0.6. Took hold (ASR >= 0.02 + 0.5): 5
 * cells of a and 6 of b: 5 of 11 neutralised (0.45, Wilson 0.21 to 0.72):
 * partly supports. */
static void fill_known(BdDb *db) {
    const char *archs[] = {"cnn-small", "resnet20"}, *trigs[] = {"square", "checkerboard(size=4)"};
    const char *regs[] = {"none", "logit-squeeze(weight=0.1)"};
    const double asr[2][2][2][2] = {{{{0.90, 0.92}, {0.60, 0.62}}, {{0.50, 0.55}, {0.30, 0.35}}},
                                    {{{0.95, 0.97}, {0.70, 0.72}}, {{0.30, 0.35}, {0.60, 0.62}}}};
    for (int a = 0; a < 2; a++)
        for (int t = 0; t < 2; t++)
            for (int g = 0; g < 2; g++)
                for (int s = 0; s < 2; s++) {
                    Row base = {.arch = archs[a], .trigger = trigs[t], .reg = regs[g], .seed = s + 1,
                                .retrain = "finetune(epochs=3)"};
                    rows_done(db, base, s ? 0.91 : 0.90, 0.02);
                    Row p = base;
                    p.rate = 0.1;
                    double clean = a == 0 && t == 0 && g == 0 ? (s ? 0.712 : 0.70) : (s ? 0.914 : 0.898);
                    long id = rows_done(db, p, clean, asr[a][t][g][s]);
                    for (int e = 1; e <= 3; e++)
                        rows_metrics(db, id, "retrain", e, clean + 0.01 * e,
                                     a == 0 ? (e == 1 ? 0.4 : 0.03) : 0.6 + 0.01 * e);
                }
}

static void test_known(void) {
    char path[4096], out_dir[4096], *out, *err;
    BdDb *db = new_db("known.db", path, sizeof path);
    fill_known(db);
    /* A cell whose dataset is not on this machine: its preview fails, the report says so. */
    rows_cell(db, (Row){.dataset = "cifar10(path=/nonexistent-bdsweep-data)", .rate = 0.1, .seed = 1,
                        .status = "pending"});
    bd_db_close(db);
    snprintf(out_dir, sizeof out_dir, "%s/known-report/sub", dir);
    CHECK(run(&out, &err, "report", path, "--out", out_dir, "--csv") == 0);
    CHECK_STR(err, "");
    char want[8192];
    snprintf(want, sizeof want, "report: %s/index.html\n", out_dir);
    CHECK_CONTAINS(out, want);
    CHECK_CONTAINS(out, "5 figures, 7 tables, 2 trigger previews (1 could not be made: see the report)\n");
    CHECK_CONTAINS(out, "\n1. [partly supports] by factor: architecture little (0.06\xC2\xB1" "0.03), trigger widely "
                        "(0.35\xC2\xB1" "0.03), regularizer moderately (0.12\xC2\xB1" "0.03)\n");
    CHECK_CONTAINS(out, "\n2. [cannot tell] 1 of 8 groups detectable, 0 within \xC2\xB1" "0.02, 7 undecided (paired "
                        "intervals ");
    CHECK_CONTAINS(out, "\n3. [supports] lowered ASR in 3 of 4 comparisons, raised it in 1, no clear change in 0, "
                        "undecided 0 (2 seeds)\n");
    CHECK_CONTAINS(out, "\n4. [partly supports] after 3 epochs of clean fine-tuning 5 of 11 backdoors that took hold "
                        "neutralised (0.45, interval 0.21\xE2\x80\x93" "0.72), clean accuracy +0.030\n");
    free(out), free(err);

    check_figures(out_dir);
    /* bdsweep status states finding 2 in one line. */
    CHECK(run(&out, &err, "status", path, NULL, NULL, NULL) == 0);
    CHECK_CONTAINS(out, "\ndetection: 1 of 8 groups of poisoned cells detectable by clean accuracy alone (95% "
                        "interval excludes 0; paired by seed)\n");
    free(out), free(err);
    char p2[4096];
    CHECK_FMT(p2, "%s/index.html", out_dir);
    char *html = test_read(p2);
    CHECK(!strncmp(html, "<!DOCTYPE html>", 15));
    CHECK(count(html, "<svg xmlns") == 5);
    CHECK(count(html, "src=\"data:image/png;base64,") == 2);
    /* Self-contained: no script, nothing loaded from elsewhere (the only URL is the SVG namespace). */
    CHECK(strstr(html, "<script") == NULL && strstr(html, "src=\"http") == NULL);
    CHECK(strstr(html, "href=\"http") == NULL && strstr(html, "url(") == NULL && strstr(html, "<link") == NULL);
    CHECK_CONTAINS(html, "cannot be loaded on this machine");
    CHECK_CONTAINS(html, "The largest rise: +0.285");
    CHECK_CONTAINS(html, "regularization lowered ASR in 3 (the interval lies below 0), raised it in 1 (above 0)");
    CHECK_CONTAINS(html, "1 is detectable (the interval excludes 0; 1 lower, 0 higher), and 7 cannot be decided");
    CHECK_CONTAINS(html, "In 11 of them (from 2 seeds) the backdoor took hold");
    CHECK_CONTAINS(html, "5 were neutralised");
    CHECK_CONTAINS(html, "after 2.0 epochs on average");
    CHECK_CONTAINS(html, "the findings use the 32 done cells, and 1 more are to come");
    free(html);

    CHECK_FMT(p2, "%s/report.md", out_dir);
    char *md = test_read(p2);
    for (int i = 0; i < 5; i++) {
        char link[128];
        snprintf(link, sizeof link, "](%s)", figures[i]);
        CHECK_CONTAINS(md, link);
    }
    CHECK_CONTAINS(md, "![square](preview-synthetic_size-8_test-20_train-10__square.png)");
    CHECK_CONTAINS(md, "**supports.** Each regularized condition against the same condition without a regularizer");
    free(md);
    CHECK_FMT(p2, "%s/preview-synthetic_size-8_test-20_train-10__square.png", out_dir);
    int w, h, comp;
    unsigned char *png = stbi_load(p2, &w, &h, &comp, 3);
    CHECK(png != NULL && w == 8 * 8 * 16 + 9 * 2 && h == 2 * 8 * 16 + 6);
    stbi_image_free(png);

    /* CSV: a header and a line per row, full precision. */
    CHECK_FMT(p2, "%s/regularizer_effect.csv", out_dir);
    char *csv = test_read(p2);
    CHECK(!strncmp(csv, "arch,trigger,poison_rate,regularizer,n_seeds,paired_streams,asr_none,", 69));
    CHECK(count(csv, "\r\n") == 1 + 4 + 4); /* rate 0 comparisons too (ASR 0.02 both) */
    const char *prefix = "\nresnet20,checkerboard(size=4),0.1,logit-squeeze(weight=0.1),2,1,";
    const char *row = strstr(csv, prefix);
    double none = 0, reg = 0, change = 0;
    CHECK(row && sscanf(row + strlen(prefix), "%lf,%lf,%lf", &none, &reg, &change) == 3);
    CHECK_NEAR(none, 0.325, 1e-12);
    CHECK_NEAR(reg, 0.61, 1e-12);
    CHECK_NEAR(change, 0.285, 1e-12);
    free(csv);
    CHECK_FMT(p2, "%s/cell_results.csv", out_dir);
    csv = test_read(p2);
    CHECK(count(csv, "\r\n") == 1 + 33);
    free(csv);
    const char *names[] = {"cells_by_status", "asr_by_condition", "detection", "persistence_summary",
                           "persistence"};
    for (int i = 0; i < 5; i++) {
        CHECK_FMT(p2, "%s/%s.csv", out_dir, names[i]);
        CHECK_MSG(access(p2, R_OK) == 0, "%s is missing", p2);
    }
}

/* Regularization that raises ASR everywhere must say so. */
static void test_regularization_raises(void) {
    char path[4096], out_dir[4096], *out, *err;
    BdDb *db = new_db("raises.db", path, sizeof path);
    for (int s = 1; s <= 2; s++) {
        rows_done(db, (Row){.rate = 0.05, .seed = s}, 0.9, 0.4 + 0.01 * s);
        rows_done(db, (Row){.rate = 0.05, .seed = s, .reg = "snnl"}, 0.9, 0.8 + 0.01 * s);
    }
    bd_db_close(db);
    snprintf(out_dir, sizeof out_dir, "%s/raises", dir);
    CHECK(run(&out, &err, "report", path, "--out", out_dir, "--no-previews") == 0);
    CHECK_CONTAINS(out, "\n3. [contradicts] lowered ASR in 0 of 1 comparisons, raised it in 1, no clear change in 0, "
                        "undecided 0 (2 seeds)\n");
    free(out), free(err);
    char p2[4096];
    CHECK_FMT(p2, "%s/report.md", out_dir);
    char *md = test_read(p2);
    CHECK_CONTAINS(md, "Regularization did not usually lower ASR here.");
    CHECK_CONTAINS(md, "The largest rise: +0.400");
    /* No baseline, no retraining: they say what to add. */
    CHECK_CONTAINS(md, "Add poison_rate 0 to the grid");
    CHECK_CONTAINS(md, "Add a retraining phase to the sweep, e.g. retrain: {fraction: 0.05, epochs: 5}");
    CHECK_CONTAINS(md, "Trigger previews were not made (--no-previews).");
    free(md);
    check_figures(out_dir);
}

/* The figures of a 2-seed sweep whose seeds disagree: the heat map shows
 * the cell (mean 0.53 from seeds at 0.07 and 0.99) with both ends,
 * the detection figure's axis stays within [-1, 1] although the paired
 * interval runs to +-2.5 (differences -0.2 and +0.2: sd 0.283, t(1) 12.706,
 * half 12.706 * 0.283 / sqrt(2) = 2.54) and marks the cut, every figure
 * says how many seeds it shows, and long labels are cut between words. */
static void test_figures_spread(void) {
    char path[4096], out_dir[4096], *out, *err;
    BdDb *db = new_db("spread.db", path, sizeof path);
    const char *arch = "resnet20(blocks=1,width=8)", *ft = "finetune(epochs=3,fraction=0.1)";
    const char *regs[] = {"none", "manifold-mixup(alpha=2)"};
    for (int g = 0; g < 2; g++)
        for (int s = 0; s < 2; s++) {
            Row base = {.arch = arch, .trigger = "blend(alpha=0.1)", .reg = regs[g], .seed = s + 1, .retrain = ft};
            rows_done(db, base, 0.8, 0.02);
            Row p = base;
            p.rate = 0.1;
            long id = rows_done(db, p, 0.8 + (s ? 0.2 : -0.2), s ? 0.99 : 0.07);
            for (int e = 1; e <= 3; e++) rows_metrics(db, id, "retrain", e, 0.8, s ? 0.9 : 0.05);
        }
    bd_db_close(db);
    snprintf(out_dir, sizeof out_dir, "%s/spread", dir);
    CHECK(run(&out, &err, "report", path, "--out", out_dir, "--no-previews") == 0);
    free(out), free(err);
    check_figures(out_dir);
    for (int i = 0; i < 5; i++) {
        char p2[4096];
        CHECK_FMT(p2, "%s/%s", out_dir, figures[i]);
        char *svg = test_read(p2);
        CHECK_MSG(strstr(svg, "2 seeds"), "%s does not say how many seeds it shows", figures[i]);
        int labels;
        char bad[4096] = "";
        CHECK_MSG(svg_bad_labels(svg, &labels, bad, sizeof bad) == 0, "%s: %s", figures[i], bad);
        if (i == 0) {
            CHECK_CONTAINS(svg, ">0.53</text>");
            CHECK_CONTAINS(svg, ">0.07\xE2\x80\x93" "0.99</text>");
            CHECK_CONTAINS(svg, "(seed 1 0.0700, seed 2 0.9900)");
        }
        if (i == 2) {
            double lo, hi;
            CHECK(svg_number_range(svg, &lo, &hi) >= 3);
            CHECK_MSG(lo >= -1 && hi <= 1, "the detection axis runs from %g to %g", lo, hi);
            CHECK_CONTAINS(svg, "beyond the axis (clipped)");
        }
        free(svg);
    }
}

/* More groups than the detection figure draws (80): it draws those with
 * the largest |difference| and says so. Group k (architecture gk) differs
 * from its baseline by -0.001 k, so g0 is the one left out. */
static void test_figure_shows_largest(void) {
    char path[4096], out_dir[4096], *out, *err;
    BdDb *db = new_db("many.db", path, sizeof path);
    for (int k = 0; k <= 80; k++) {
        char arch[16];
        snprintf(arch, sizeof arch, "g%d", k);
        rows_done(db, (Row){.arch = arch, .rate = 0, .seed = 1}, 0.9, 0.02);
        rows_done(db, (Row){.arch = arch, .rate = 0.1, .seed = 1}, 0.9 - 0.001 * k, 0.9);
    }
    bd_db_close(db);
    snprintf(out_dir, sizeof out_dir, "%s/many", dir);
    CHECK(run(&out, &err, "report", path, "--out", out_dir, "--no-previews") == 0);
    free(out), free(err);
    char p2[4096];
    CHECK_FMT(p2, "%s/fig-c-detection.svg", out_dir);
    char *svg = test_read(p2);
    CHECK_CONTAINS(svg, "showing 80 of 81 groups, those with the largest |difference|; the table &#39;detection&#39; "
                        "lists every one");
    CHECK_CONTAINS(svg, "<title>g80 \xC2\xB7 rate 0.1</title>");
    CHECK_CONTAINS(svg, "<title>g1 \xC2\xB7 rate 0.1</title>");
    CHECK(strstr(svg, "<title>g0 \xC2\xB7 rate 0.1</title>") == NULL);
    /* The largest first. */
    CHECK(strstr(svg, "<title>g80 \xC2\xB7") < strstr(svg, "<title>g1 \xC2\xB7"));
    free(svg);
}

static void test_empty(void) {
    char path[4096], out_dir[4096], *out, *err;
    BdDb *db = new_db("empty.db", path, sizeof path);
    bd_db_close(db);
    snprintf(out_dir, sizeof out_dir, "%s/empty", dir);
    CHECK(run(&out, &err, "report", path, "--out", out_dir, NULL) == 0);
    CHECK_STR(err, "");
    CHECK_CONTAINS(out, "5 figures, 5 tables, 0 trigger previews\n");
    CHECK_CONTAINS(out, "1. [cannot tell] no poisoned cell is done yet\n");
    CHECK_CONTAINS(out, "2. [cannot tell] no poisoned cell is done yet\n");
    CHECK_CONTAINS(out, "3. [cannot tell] no regularizer besides none in the grid\n");
    CHECK_CONTAINS(out, "4. [cannot tell] no retraining in the grid\n");
    free(out), free(err);
    check_figures(out_dir);
    char p2[4096];
    CHECK_FMT(p2, "%s/index.html", out_dir);
    char *html = test_read(p2);
    CHECK_CONTAINS(html, "The database holds no cell yet");
    free(html);
}

/* Pending, running and failed cells: the report says what is missing. */
static void test_partial(void) {
    char path[4096], out_dir[4096], *out, *err;
    BdDb *db = new_db("partial.db", path, sizeof path);
    rows_done(db, (Row){.rate = 0.1, .seed = 1}, 0.8, 0.9);
    rows_done(db, (Row){.rate = 0, .seed = 1}, 0.82, 0.05);
    rows_cell(db, (Row){.rate = 0.1, .seed = 2, .status = "pending"});
    rows_cell(db, (Row){.rate = 0, .seed = 2, .status = "running"});
    rows_cell(db, (Row){.rate = 0.1, .seed = 3, .status = "failed", .error = "poison: the pool is too small"});
    rows_cell(db, (Row){.rate = 0.1, .seed = 4, .status = "failed", .error = "poison: the pool is too small"});
    bd_db_close(db);
    snprintf(out_dir, sizeof out_dir, "%s/partial", dir);
    CHECK(run(&out, &err, "report", path, "--out", out_dir, "--no-previews") == 0);
    CHECK_CONTAINS(out, "2. [cannot tell] mean clean-accuracy difference -0.020; no group has 2 seeds to test");
    free(out), free(err);
    CHECK(run(&out, &err, "status", path, NULL, NULL, NULL) == 0);
    CHECK_CONTAINS(out, "\ndetection: 0 of 1 group of poisoned cells detectable by clean accuracy alone (95% "
                        "interval excludes 0); 1 untested (fewer than 2 seeds on a side)\n");
    free(out), free(err);
    char p2[4096];
    CHECK_FMT(p2, "%s/report.md", out_dir);
    char *md = test_read(p2);
    CHECK_CONTAINS(md, "6 cells: 2 done, 1 pending, 1 running, 2 failed.");
    CHECK_CONTAINS(md, "The sweep is not finished: the findings use the 2 done cells, and 2 more are to come");
    CHECK_CONTAINS(md, "2 cells failed and are left out");
    CHECK_CONTAINS(md, "### Failed cells by error (1 row)");
    CHECK_CONTAINS(md, "| poison: the pool is too small | 2 |");
    CHECK_CONTAINS(md, "Add seeds (at least 3 per condition");
    free(md);
    check_figures(out_dir);
}

/* --sweep: only that sweep's cells, as if the database held nothing else. */
static void test_sweep_option(void) {
    char path[4096], out_dir[4096], *out, *err;
    BdDb *db = new_db("two-sweeps.db", path, sizeof path);
    long a = rows_done(db, (Row){.arch = "cnn-small", .rate = 0.1, .seed = 1}, 0.8, 0.9);
    long b = rows_done(db, (Row){.arch = "resnet20", .rate = 0.1, .seed = 1}, 0.8, 0.1);
    rows_exec(db, "INSERT INTO sweeps(id, name, path, yaml, submitted_at, n_cells) VALUES "
                  "(1, 'first', 'a.yaml', '', '2024-01-01T00:00:00.000Z', 1), "
                  "(2, 'second', 'b.yaml', '', '2024-01-01T00:00:00.000Z', 1)");
    rows_exec(db, "INSERT INTO sweep_cells(sweep_id, cell_id, position) VALUES (1, %ld, 0), (2, %ld, 0)", a, b);
    bd_db_close(db);
    snprintf(out_dir, sizeof out_dir, "%s/first", dir);
    CHECK(run(&out, &err, "report", path, "--out", out_dir, "--sweep=first") == 0);
    CHECK_CONTAINS(out, "1. [cannot tell] rate 0.1: ASR 0.90\xE2\x80\x93" "0.90; no factor varies\n");
    free(out), free(err);
    /* The database itself is untouched by the selection. */
    BdError e = {0};
    CHECK(bd_db_open(path, 0, &db, &e) == 0);
    CHECK(rows_num(db, "SELECT COUNT(*) FROM cells") == 2);
    bd_db_close(db);
    CHECK(run(&out, &err, "report", path, "--out", out_dir, "--sweep=nope") == 2);
    char want[8192];
    snprintf(want, sizeof want, "bdsweep report: no sweep named 'nope' in %s (its sweeps: first, second)\n", path);
    CHECK_STR(err, want);
    free(out), free(err);
}

static void test_errors(void) {
    char *out, *err, path[4096];
    CHECK(run(&out, &err, "report", "--help", NULL, NULL, NULL) == 0);
    CHECK_CONTAINS(out, "usage: bdsweep report PATH.db --out DIR [--csv] [--sweep NAME]");
    CHECK_CONTAINS(out, "fig-e-persistence.svg");
    CHECK_CONTAINS(out, "exit status: 0; 1 when the report cannot be written; 2 when");
    CHECK_STR(err, "");
    free(out), free(err);
    BdDb *db = new_db("errors.db", path, sizeof path);
    bd_db_close(db);
    CHECK(run(&out, &err, "report", path, NULL, NULL, NULL) == 2);
    CHECK_STR(err, "bdsweep report: missing --out DIR, the folder to write the report into\n"
                   "hint: bdsweep report PATH.db --out DIR (bdsweep report --help)\n");
    free(out), free(err);
    CHECK(run(&out, &err, "report", "--out", "x", NULL, NULL) == 2);
    CHECK_CONTAINS(err, "bdsweep report: missing the database\nhint: ");
    free(out), free(err);
    CHECK(run(&out, &err, "report", path, "--out", "x", "--pdf") == 2);
    CHECK_STR(err, "bdsweep report: unknown option '--pdf'\nhint: bdsweep report PATH.db --out DIR (bdsweep report "
                   "--help)\n");
    free(out), free(err);
    CHECK(run(&out, &err, "report", path, "--out", NULL, NULL) == 2);
    CHECK_STR(err, "bdsweep report: --out needs a value\nhint: bdsweep report --help\n");
    free(out), free(err);
    CHECK(run(&out, &err, "report", path, "--out", "x", "--previews=0") == 2);
    CHECK_CONTAINS(err, "--previews needs a count from 1 to 64, got '0'");
    free(out), free(err);
    CHECK(run(&out, &err, "report", "/nonexistent/r.db", "--out", "x", NULL) == 2);
    CHECK_CONTAINS(err, "r.db: no such database");
    free(out), free(err);
    /* The output is a file: the report cannot be written (exit 1). */
    char file[4096];
    snprintf(file, sizeof file, "%s/a-file", dir);
    test_write(file, "x");
    CHECK(run(&out, &err, "report", path, "--out", file, NULL) == 1);
    char want[8192];
    snprintf(want, sizeof want, "bdsweep report: %s is not a folder: expected a folder for the report (--out)\n", file);
    CHECK_STR(err, want);
    free(out), free(err);
}

/* ---- bdsweep preview -------------------------------------------------------------------------- */

static void test_preview(void) {
    char sweep[4096], out_dir[4096], *out, *err;
    snprintf(sweep, sizeof sweep, "%s/tiny.yaml", dir);
    test_write(sweep, "name: tiny\n"
                      "grid:\n"
                      "  dataset: [{name: synthetic, size: 8, train: 10, test: 20}]\n"
                      "  arch: [cnn-small]\n"
                      "  trigger: [square, {name: checkerboard, size: 4, location: top-left}]\n"
                      "  poison_rate: [0, 0.1]\n"
                      "  seed: [1, 2]\n");
    snprintf(out_dir, sizeof out_dir, "%s/previews/x", dir);
    CHECK(run(&out, &err, "preview", sweep, "--out", out_dir, "--n=3") == 0);
    CHECK_STR(err, "");
    char want[8192];
    CHECK_FMT(want, "%s/square.png\n%s/checkerboard_location-top-left.png\n", out_dir, out_dir);
    CHECK_STR(out, want);
    free(out), free(err);
    const char *files[] = {"square.png", "checkerboard_location-top-left.png"};
    for (int i = 0; i < 2; i++) {
        char p[4096];
        CHECK_FMT(p, "%s/%s", out_dir, files[i]);
        int w, h, comp;
        unsigned char *png = stbi_load(p, &w, &h, &comp, 3);
        CHECK_MSG(png != NULL, "%s does not decode", p);
        CHECK_MSG(w == 3 * 8 * 16 + 4 * 2 && h == 2 * 8 * 16 + 3 * 2, "%s: %dx%d", p, w, h);
        stbi_image_free(png);
    }
    /* A dataset that is not on this machine: named, the others still drawn, exit 1. */
    test_write(sweep, "name: tiny\n"
                      "grid:\n"
                      "  dataset: [{name: cifar10, path: /nonexistent-bdsweep-cifar}, {name: synthetic, size: 8}]\n"
                      "  arch: [cnn-small]\n"
                      "  trigger: [square]\n"
                      "  poison_rate: [0.1]\n");
    CHECK(run(&out, &err, "preview", sweep, "--out", out_dir, NULL) == 1);
    CHECK_CONTAINS(err, "bdsweep preview: dataset cifar10(path=");
    CHECK_CONTAINS(err, "cannot be loaded on this machine: ");
    CHECK_CONTAINS(out, "/synthetic_size-8__square.png\n");
    free(out), free(err);
    /* Invalid sweep: exit 2 with the file's position. */
    test_write(sweep, "name: tiny\ngrid:\n  dataset: [synthetic]\n  arch: [cnn-small]\n  trigger: [sqare]\n"
                      "  poison_rate: [0.1]\n");
    CHECK(run(&out, &err, "preview", sweep, "--out", out_dir, NULL) == 2);
    CHECK_CONTAINS(err, "tiny.yaml:5:");
    CHECK_CONTAINS(err, "sqare");
    free(out), free(err);
    CHECK(run(&out, &err, "preview", sweep, NULL, NULL, NULL) == 2);
    CHECK_STR(err, "bdsweep preview: missing --out DIR, the folder for the pictures\n"
                   "hint: bdsweep preview SWEEP.yaml --out DIR (bdsweep preview --help)\n");
    free(out), free(err);
    CHECK(run(&out, &err, "preview", sweep, "--out", out_dir, "--n=0") == 2);
    CHECK_CONTAINS(err, "--n needs a count from 1 to 64, got '0'");
    free(out), free(err);
    CHECK(run(&out, &err, "preview", "--help", NULL, NULL, NULL) == 0);
    CHECK_CONTAINS(out, "usage: bdsweep preview SWEEP.yaml --out DIR [--n N]");
    free(out), free(err);
    CHECK(run(&out, &err, "--help", NULL, NULL, NULL, NULL) == 0);
    CHECK_CONTAINS(out, "  report ");
    CHECK_CONTAINS(out, "  preview ");
    free(out), free(err);
}

/* ---- parameters as data: cell_parameters and cells.csv ---------------------------------------- */

/* The fields of one CSV line (RFC 4180 quoting), each malloc'd; returns how many. */
static int csv_fields(const char *line, char **out, int cap) {
    int n = 0;
    const char *p = line;
    while (n < cap) {
        char buf[8192];
        size_t o = 0;
        if (*p == '"') {
            for (p++; *p && !(*p == '"' && p[1] != '"'); p++) {
                if (*p == '"') p++;
                if (o + 1 < sizeof buf) buf[o++] = *p;
            }
            if (*p == '"') p++;
        } else {
            for (; *p && *p != ',' && *p != '\r' && *p != '\n'; p++)
                if (o + 1 < sizeof buf) buf[o++] = *p;
        }
        buf[o] = '\0';
        out[n++] = strdup(buf);
        if (*p != ',') break;
        p++;
    }
    return n;
}

/* Every axis with presets given a parameter (and others left at their
 * defaults): cell_parameters has each parameter with its default filled in
 * and numbers as numbers, and cells.csv has them as columns axis.name. */
static void test_parameters(void) {
    char path[4096], out_dir[4096], *out, *err;
    BdDb *db = new_db("params.db", path, sizeof path);
    const char *triggers[] = {"checkerboard(size=3)", "blend(alpha=0.2)"};
    for (int t = 0; t < 2; t++) {
        const char *texts[BD_AXIS_COUNT] = {
            [BD_AXIS_DATASET] = "synthetic(classes=4,size=8,test=20,train=10)",
            [BD_AXIS_ARCH] = "cnn-small(fc=16)",
            [BD_AXIS_TRIGGER] = triggers[t],
            [BD_AXIS_STRATEGY] = "one-to-one(source=2)",
            [BD_AXIS_TARGET] = "1",
            [BD_AXIS_POISON_RATE] = "0.1",
            [BD_AXIS_REGULARIZER] = "logit-squeeze(weight=0.1)",
            [BD_AXIS_SEED] = "1",
            [BD_AXIS_INIT] = "pretrained(trainable=head)",
            [BD_AXIS_TRAIN] = "sgd(epochs=2,lr=0.02)",
            [BD_AXIS_RETRAIN] = "finetune(epochs=3)",
        };
        BdError e = {0};
        int64_t id;
        CHECK_MSG(bd_db_add_cell(db, texts, &id, &e) == 0, "%s", e.msg);
        rows_metrics(db, (long)id, "train", 2, 0.9, t ? 0.5 : 0.8);
    }
    /* The view: defaults filled in, numbers as numbers. */
    CHECK_STR(rows_text(db, "SELECT group_concat(axis || '.' || name || '=' || COALESCE(value, '') || ':' || "
                            "typeof(value), ' ') "
                            "FROM (SELECT * FROM cell_parameters WHERE cell_id = 1 AND axis IN ('trigger', "
                            "'strategy', 'regularizer', 'init') ORDER BY axis, name)"),
              "init.epochs=5:integer init.source=clean:text init.trainable=head:text "
              "regularizer.weight=0.1:real strategy.source=2:integer trigger.alpha=1.0:real "
              "trigger.location=bottom-right:text trigger.margin=0:integer trigger.size=3:integer "
              "trigger.x=:null trigger.y=:null");
    CHECK_STR(rows_text(db, "SELECT COUNT(*) FROM cell_parameters WHERE cell_id = 1 AND value IS NULL"), "2");
    CHECK_STR(rows_text(db, "SELECT group_concat(DISTINCT axis) FROM (SELECT axis FROM cell_parameters "
                            "WHERE cell_id = 2 ORDER BY axis)"),
              "arch,dataset,init,regularizer,retrain,strategy,train,trigger");
    /* ASR against a trigger parameter without parsing text (results/README.md's example). */
    CHECK_STR(rows_text(db, "SELECT group_concat(r.asr || '@' || p.value) FROM cell_results r JOIN cell_parameters p "
                            "ON p.cell_id = r.cell_id AND p.axis = 'trigger' AND p.name = 'alpha'"),
              "0.8@1.0,0.5@0.2");
    bd_db_close(db);

    snprintf(out_dir, sizeof out_dir, "%s/params-report", dir);
    CHECK(run(&out, &err, "report", path, "--out", out_dir, "--csv") == 0);
    CHECK_STR(err, "");
    free(out), free(err);
    char p2[4096];
    CHECK_FMT(p2, "%s/cells.csv", out_dir);
    char *csv = test_read(p2);
    CHECK(count(csv, "\r\n") == 1 + 2);
    char *head[256], *row[256];
    int nh = csv_fields(csv, head, 256);
    const char *second = strstr(csv, "\r\n");
    int nr = second ? csv_fields(second + 2, row, 256) : 0;
    CHECK(nh == nr && nh > 60);
    /* The columns of cell_results first, then the parameters in axis order. */
    CHECK_STR(head[0], "cell_id");
    const char *want[][2] = {{"dataset.classes", "4"},       {"dataset.train", "10"},     {"dataset.noise", "0.3"},
                             {"arch.fc", "16"},              {"arch.conv1", "32"},        {"trigger.size", "3"},
                             {"trigger.location", "bottom-right"}, {"trigger.alpha", "1"}, {"trigger.source", ""},
                             {"strategy.source", "2"},       {"regularizer.weight", "0.1"}, {"init.trainable", "head"},
                             {"train.lr", "0.02"},           {"train.epochs", "2"},       {"retrain.epochs", "3"},
                             {"trigger", "checkerboard(size=3)"}, {"asr", "0.8"}};
    for (size_t w = 0; w < sizeof want / sizeof want[0]; w++) {
        int at = -1;
        for (int c = 0; c < nh; c++)
            if (!strcmp(head[c], want[w][0])) at = c;
        CHECK_MSG(at >= 0, "cells.csv has no column %s", want[w][0]);
        if (at >= 0) CHECK_STR(row[at], want[w][1]);
        if (at >= 0 && strchr(want[w][0], '.'))
            CHECK_MSG(strcmp(head[at - 1], "retrain_epochs_to_neutralise") == 0 || strchr(head[at - 1], '.'),
                      "%s is not among the parameter columns", want[w][0]);
    }
    CHECK(!strncmp(head[nh - 1], "retrain.", 8)); /* the last axis */
    for (int c = 0; c < nh; c++) free(head[c]);
    for (int c = 0; c < nr; c++) free(row[c]);
    free(csv);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: test_report_cli BDSWEEP\n");
        return 2;
    }
    bdsweep = argv[1];
    dir = test_tmpdir();
    test_xml_checker();
    test_known();
    test_parameters();
    test_regularization_raises();
    test_figures_spread();
    test_figure_shows_largest();
    test_empty();
    test_partial();
    test_sweep_option();
    test_errors();
    test_preview();
    /* BDSWEEP_TEST_KEEP=1 keeps the databases and reports to look at. */
    if (getenv("BDSWEEP_TEST_KEEP")) printf("test_report_cli: kept %s\n", dir);
    else test_rmtree(dir);
    free(dir);
    return check_result("test_report_cli");
}
