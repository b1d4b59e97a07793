/* The report's building blocks: text buffer (XML escaping, base64), ticks
 * and their labels, ellipsis, colours, safe file names, and that every chart
 * kind gives well-formed SVG with missing values, hostile labels and no data.
 * Usage: test_svg */
#include <stdlib.h>
#include <string.h>

#include "chart.h"
#include "check.h"
#include "report.h"
#include "strbuf.h"
#include "svg.h"
#include "svgcheck.h"
#include "xmlcheck.h"

static int count_of(const char *hay, const char *needle) {
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle)) n++;
    return n;
}

static void test_strbuf(void) {
    BdStr b = {0};
    CHECK_STR(bd_str_str(&b), "");
    bd_str_xml(&b, "a<b & \"c\" 'd'>");
    CHECK_STR(bd_str_str(&b), "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;");
    bd_str_clear(&b);
    bd_str_xml(&b, "tab\there\x01");
    CHECK_STR(bd_str_str(&b), "tab\there "); /* control characters are not XML */
    /* RFC 4648 test vectors. */
    const char *in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    const char *want[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (int i = 0; i < 7; i++) {
        bd_str_clear(&b);
        bd_str_base64(&b, (const unsigned char *)in[i], strlen(in[i]));
        CHECK_STR(bd_str_str(&b), want[i]);
    }
    bd_str_clear(&b);
    for (int i = 0; i < 1000; i++) bd_str_printf(&b, "%d,", i);
    CHECK(b.n == strlen(bd_str_str(&b)) && !strncmp(bd_str_str(&b) + b.n - 4, "999,", 4));
    bd_str_free(&b);
    BdError err = {0};
    CHECK(bd_str_write_file(&b, "/nonexistent-dir/x.svg", &err) < 0);
    CHECK_CONTAINS(err.msg, "cannot write /nonexistent-dir/x.svg: No such file or directory");
}

static void test_ticks(void) {
    BdTicks t;
    double lo = 0, hi = 1;
    bd_ticks(&lo, &hi, 5, 1, &t);
    CHECK(t.n == 6 && t.v[0] == 0 && fabs(t.v[5] - 1) < 1e-12 && fabs(t.step - 0.2) < 1e-12);
    lo = 0.013, hi = 0.087;
    bd_ticks(&lo, &hi, 5, 1, &t);
    CHECK_NEAR(t.step, 0.02, 1e-12);
    CHECK_NEAR(lo, 0.0, 1e-12);
    CHECK_NEAR(hi, 0.1, 1e-12);
    lo = -0.3, hi = 0.25; /* range 0.55 / 6 = 0.092: step 0.1 */
    bd_ticks(&lo, &hi, 6, 0, &t);
    CHECK_NEAR(t.step, 0.1, 1e-12);
    CHECK(t.n == 6);
    CHECK_NEAR(t.v[0], -0.3, 1e-12);
    CHECK(t.v[3] == 0); /* exactly 0, never -0 or 1e-17 */
    lo = hi = 0.5; /* a single value is widened */
    bd_ticks(&lo, &hi, 5, 1, &t);
    CHECK(lo < 0.5 && hi > 0.5 && t.n >= 2);
    lo = NAN, hi = 3;
    bd_ticks(&lo, &hi, 5, 1, &t);
    CHECK(lo == 0 && hi == 1);
    char s[32];
    bd_tick_label(0.2, 0.2, s, sizeof s);
    CHECK_STR(s, "0.2");
    bd_tick_label(0.05, 0.025, s, sizeof s);
    CHECK_STR(s, "0.050");
    bd_tick_label(20, 10, s, sizeof s);
    CHECK_STR(s, "20");
    bd_tick_label(-1e-18, 0.1, s, sizeof s);
    CHECK_STR(s, "0.0");
    BdScale sc = {0, 1, 100, 300};
    CHECK_NEAR(bd_scale(&sc, 0.25), 150, 1e-12);
    BdScale flat = {2, 2, 100, 300};
    CHECK_NEAR(bd_scale(&flat, 2), 200, 1e-12);
}

static void test_text_and_colour(void) {
    char out[256];
    bd_svg_shorten("short", 10, out, sizeof out);
    CHECK_STR(out, "short");
    /* Cut between parts and parameters only, keeping the most characters
     * (the longer tail on a tie); a single word is never cut. */
    bd_svg_shorten("cnn-small \xC2\xB7 square(location=top-left,size=4) \xC2\xB7 logit-squeeze", 30, out, sizeof out);
    CHECK_STR(out, "cnn-small \xC2\xB7 \xE2\x80\xA6\xC2\xB7 logit-squeeze");
    bd_svg_shorten("abcdefghij", 5, out, sizeof out);
    CHECK_STR(out, "abcdefghij");
    bd_svg_shorten("alpha beta gamma", 8, out, sizeof out); /* nothing fits but the last word: kept whole */
    CHECK_STR(out, "\xE2\x80\xA6gamma");
    bd_svg_shorten("alphabet soup", 6, out, sizeof out);
    CHECK_STR(out, "\xE2\x80\xA6soup");
    /* UTF-8 counts as characters. */
    bd_svg_shorten("\xC3\x97\xC3\x97 \xC3\x97\xC3\x97 \xC3\x97\xC3\x97", 6, out, sizeof out);
    CHECK_STR(out, "\xE2\x80\xA6\xC3\x97\xC3\x97 \xC3\x97\xC3\x97"); /* the longer end on a tie */
    CHECK_NEAR(bd_svg_text_width("\xC3\x97" "ab", 10), 18, 1e-12);
    char c[8];
    bd_color_viridis(0, c);
    CHECK_STR(c, "#440154");
    bd_color_viridis(1, c);
    CHECK_STR(c, "#fde725");
    bd_color_viridis(2, c);
    CHECK_STR(c, "#fde725");
    bd_color_viridis(NAN, c);
    CHECK_STR(c, "#440154");
    bd_color_viridis(0.05, c); /* halfway between the first two anchors */
    CHECK_STR(c, "#461365");
    CHECK_STR(bd_color_text_on("#440154"), "#ffffff");
    CHECK_STR(bd_color_text_on("#fde725"), "#222222");
    CHECK_STR(bd_color_category(0), bd_color_category(8));
    CHECK(strcmp(bd_color_category(0), bd_color_category(1)) != 0);
    CHECK(bd_dash_category(0) == NULL && bd_dash_category(8) != NULL);
}

static void test_safe_filename(void) {
    char out[200];
    bd_safe_filename("square(location=top-left,size=4)", out, sizeof out);
    CHECK_STR(out, "square_location-top-left_size-4");
    bd_safe_filename("image(path=\"/data/my logo.png\",alpha=0.5)", out, sizeof out);
    CHECK_STR(out, "image_path-_data_my_logo.png_alpha-0.5");
    bd_safe_filename("../../etc", out, sizeof out);
    CHECK(out[0] != '.' && !strchr(out, '/'));
    bd_safe_filename("", out, sizeof out);
    CHECK_STR(out, "x");
    /* Long texts are cut, and differ by their hash. */
    char a[600], b[600], oa[200], ob[200];
    memset(a, 'a', 500), a[500] = '\0';
    memcpy(b, a, 501), b[499] = 'b';
    bd_safe_filename(a, oa, sizeof oa);
    bd_safe_filename(b, ob, sizeof ob);
    CHECK(strlen(oa) <= 140 && strcmp(oa, ob) != 0);
    bd_preview_filename("synthetic(size=8)", "square", out, sizeof out);
    CHECK_STR(out, "synthetic_size-8__square");
    bd_preview_filename(NULL, "blend(alpha=0.2)", out, sizeof out);
    CHECK_STR(out, "blend_alpha-0.2");
}

static void check_svg(const BdStr *b, const char *what) {
    const char *bad = xml_check(bd_str_str(b), "svg");
    CHECK_MSG(bad == NULL, "%s: %s\n%s", what, bad, bd_str_str(b));
    CHECK_MSG(!strstr(bd_str_str(b), "nan") && !strstr(bd_str_str(b), "inf\""), "%s has NaN or inf", what);
}

static void test_charts(void) {
    const char *hostile = "a<b & \"c\" \xC3\x97 very long label that goes on and on and on and on and on and on";
    /* Heat map with a missing cell. */
    const char *rows[] = {"cnn-small", hostile}, *cols[] = {"square", "blend(alpha=0.1)"};
    double v[] = {0.1, NAN, 0.9, 1.0};
    const char *tips[] = {"t1", NULL, "t<3>", "t4"};
    BdHeatPanel p = {.title = "poison rate 0.05", .rows = 2, .cols = 2, .row_labels = rows, .col_labels = cols,
                     .values = v, .tooltips = tips};
    BdHeatmap h = {.title = "(a) title & more", .row_title = "architectures", .col_title = "trigger",
                   .value_label = "mean ASR", .lo = 0, .hi = 1, .panels = &p, .n_panels = 1};
    BdStr b = {0};
    bd_chart_heatmap(&b, &h);
    check_svg(&b, "heat map");
    CHECK_CONTAINS(bd_str_str(&b), ">no data</text>");
    CHECK_CONTAINS(bd_str_str(&b), "<title>(a) title &amp; more</title>");
    CHECK_CONTAINS(bd_str_str(&b), ">0.90</text>");
    bd_str_free(&b);

    /* Line panels: a gap (NaN) in a series, a band, an empty panel. */
    double x[] = {0, 0.01, 0.05}, y[] = {0.02, NAN, 0.95}, lo[] = {0.01, NAN, 0.9}, hi[] = {0.03, NAN, 1.0};
    BdSeries s[] = {{.name = "square", .n = 3, .x = x, .y = y, .lo = lo, .hi = hi},
                    {.name = hostile, .color = 1, .n = 3, .x = x, .y = y}};
    BdLinePanel panels[] = {{.title = "cnn-small", .y_label = "ASR", .y_lo = 0, .y_hi = 1, .series = s,
                             .n_series = 2, .ref_y = 0.07, .ref_label = "baseline + 0.05"},
                            {.title = "empty", .y_label = "ASR", .y_lo = NAN, .y_hi = NAN, .ref_y = NAN}};
    BdLineChart lc = {.title = "(b) lines", .x_label = "poison rate", .panels = panels, .n_panels = 2, .columns = 2,
                      .note = "note & more"};
    bd_chart_lines(&b, &lc);
    check_svg(&b, "lines");
    CHECK(strstr(bd_str_str(&b), "<polyline") == NULL); /* each piece has one point: nothing to join */
    CHECK_CONTAINS(bd_str_str(&b), ">no data</text>");
    CHECK_CONTAINS(bd_str_str(&b), ">baseline + 0.05</text>");
    bd_str_free(&b);
    double y2[] = {0.02, 0.5, 0.95};
    BdSeries s2 = {.name = "square", .n = 3, .x = x, .y = y2, .lo = lo, .hi = hi};
    BdLinePanel p2 = {.title = "cnn-small", .y_label = "ASR", .y_lo = 0, .y_hi = 1, .series = &s2, .n_series = 1,
                      .ref_y = NAN};
    BdLineChart lc2 = {.title = "(e) epochs", .x_label = "epoch", .x_integer = 1, .panels = &p2, .n_panels = 1,
                       .columns = 2};
    bd_chart_lines(&b, &lc2);
    check_svg(&b, "lines 2");
    CHECK(strstr(bd_str_str(&b), "<polyline") != NULL);
    bd_str_free(&b);

    /* Intervals: missing value, missing interval, gray rows. */
    BdIntervalRow r[] = {{.label = "g1", .v = {-0.1, 0.02}, .lo = {-0.2, 0.0}, .hi = {0.0, 0.04}, .color = 1,
                          .tooltip = "tip & co"},
                         {.label = hostile, .v = {NAN, NAN}, .lo = {NAN, NAN}, .hi = {NAN, NAN}},
                         {.label = "g3", .v = {0.05, -0.01}, .lo = {NAN, NAN}, .hi = {NAN, NAN}, .color = -1}};
    BdLegendEntry legend[] = {{"a & b", "#0072B2", NULL}};
    BdIntervalChart ic = {.title = "(c) intervals", .col_titles = {"x <label>", "y"}, .n_cols = 2, .bars = 1,
                          .rows = r, .n_rows = 3, .legend = legend, .n_legend = 1, .note = "note"};
    bd_chart_intervals(&b, &ic);
    check_svg(&b, "intervals");
    CHECK_CONTAINS(bd_str_str(&b), "x &lt;label&gt;");
    bd_str_free(&b);
    BdIntervalChart empty = {.title = "(c) none", .col_titles = {"x", NULL}, .n_cols = 1};
    bd_chart_intervals(&b, &empty);
    check_svg(&b, "empty intervals");
    bd_str_free(&b);
}

/* The seeds behind a mean are drawn: in a heat-map cell their range and a
 * tick each (the cell: 0.53 from 0.07 and 0.99), beside a line's
 * points and an interval's dot as small circles. */
static void test_samples(void) {
    const char *rows[] = {"cnn-small"}, *cols[] = {"square"};
    double v[] = {0.53}, seeds[] = {0.07, 0.99};
    BdSamples sm[] = {{2, seeds}};
    BdHeatPanel p = {.title = "poison rate 0.1", .rows = 1, .cols = 1, .row_labels = rows, .col_labels = cols,
                     .values = v, .samples = sm};
    BdHeatmap h = {.title = "(a)", .lo = 0, .hi = 1, .panels = &p, .n_panels = 1, .note = "2 seeds"};
    BdStr b = {0};
    bd_chart_heatmap(&b, &h);
    check_svg(&b, "heat map with seeds");
    CHECK_CONTAINS(bd_str_str(&b), ">0.53</text>");
    CHECK_CONTAINS(bd_str_str(&b), ">0.07\xE2\x80\x93" "0.99</text>");
    CHECK_CONTAINS(bd_str_str(&b), ">2 seeds</text>");
    /* A tick per seed: two short vertical lines of width 1.6. */
    CHECK(count_of(bd_str_str(&b), "stroke-width=\"1.6\"") == 2);
    bd_str_free(&b);

    double x[] = {0, 0.1}, y[] = {0.02, 0.53}, s0[] = {0.01, 0.03}, s1[] = {0.07, 0.99};
    BdSamples ls[] = {{2, s0}, {2, s1}};
    BdSeries se = {.name = "square", .n = 2, .x = x, .y = y, .samples = ls};
    BdLinePanel lp = {.title = "cnn-small", .y_label = "ASR", .y_lo = 0, .y_hi = 1, .series = &se, .n_series = 1,
                      .ref_y = NAN};
    BdLineChart lc = {.title = "(b)", .x_label = "rate", .panels = &lp, .n_panels = 1, .columns = 1};
    bd_chart_lines(&b, &lc);
    check_svg(&b, "lines with seeds");
    CHECK(count_of(bd_str_str(&b), " r=\"1.80\" fill=\"none\"") == 4);
    CHECK_CONTAINS(bd_str_str(&b), "y = 0.5300, 2 seeds</title>");
    bd_str_free(&b);

    double d[] = {-0.3, 0.1, 0.05};
    BdIntervalRow r = {.label = "g", .v = {-0.05, NAN}, .lo = {-0.2, NAN}, .hi = {0.1, NAN}, .samples = {{3, d}}};
    BdIntervalChart ic = {.title = "(c)", .col_titles = {"x", NULL}, .n_cols = 1, .rows = &r, .n_rows = 1};
    bd_chart_intervals(&b, &ic);
    check_svg(&b, "intervals with seeds");
    CHECK(count_of(bd_str_str(&b), " r=\"2.20\" fill=\"none\"") == 3);
    bd_str_free(&b);
}

/* A difference of two accuracies lies in [-1, 1]: with clip 1 an interval
 * of -6 to 4 (Welch with 2 seeds) leaves the axis at -1..1 and ends in a
 * triangle at each side. */
static void test_clipped(void) {
    BdIntervalRow r[] = {{.label = "wide", .v = {-0.9, NAN}, .lo = {-6, NAN}, .hi = {4, NAN}},
                         {.label = "narrow", .v = {0.01, NAN}, .lo = {-0.01, NAN}, .hi = {0.03, NAN}}};
    BdIntervalChart ic = {.title = "(c)", .col_titles = {"difference", NULL}, .n_cols = 1, .rows = r, .n_rows = 2,
                          .clip = 1, .margin = {0.02, 0}};
    BdStr b = {0};
    bd_chart_intervals(&b, &ic);
    check_svg(&b, "clipped intervals");
    double lo, hi;
    CHECK(svg_number_range(bd_str_str(&b), &lo, &hi) >= 3);
    CHECK_MSG(lo >= -1 && hi <= 1, "axis from %g to %g", lo, hi);
    CHECK_NEAR(lo, -1, 1e-12);
    CHECK_NEAR(hi, 1, 1e-12);
    CHECK(count_of(bd_str_str(&b), "<polygon") == 2);
    CHECK_CONTAINS(bd_str_str(&b), "<title>the interval goes on to -6.000, beyond the axis (clipped)</title>");
    CHECK_CONTAINS(bd_str_str(&b), "<title>the interval goes on to +4.000, beyond the axis (clipped)</title>");
    CHECK_CONTAINS(bd_str_str(&b), "fill=\"#d9efe6\""); /* the margin's band */
    bd_str_free(&b);
    /* Unclipped, the same row stretches the axis to the interval. */
    ic.clip = 0;
    bd_chart_intervals(&b, &ic);
    CHECK(svg_number_range(bd_str_str(&b), &lo, &hi) >= 3 && lo <= -6 && hi >= 4);
    CHECK(strstr(bd_str_str(&b), "<polygon") == NULL);
    bd_str_free(&b);
}

/* Panels of one y label left to the data share one range: panel 1 holds
 * 0.50-0.60, panel 2 0.80-0.90; both get ticks 0.5 to 0.9. */
static void test_shared_range(void) {
    double x[] = {0, 1}, y1[] = {0.5, 0.6}, y2[] = {0.8, 0.9};
    BdSeries s1 = {.name = "a", .n = 2, .x = x, .y = y1}, s2 = {.name = "a", .n = 2, .x = x, .y = y2};
    BdLinePanel p[] = {{.title = "one", .y_label = "clean accuracy", .y_lo = NAN, .y_hi = NAN, .series = &s1,
                        .n_series = 1, .ref_y = NAN},
                       {.title = "two", .y_label = "clean accuracy", .y_lo = NAN, .y_hi = NAN, .series = &s2,
                        .n_series = 1, .ref_y = NAN}};
    BdLineChart lc = {.title = "(e)", .x_label = "epoch", .x_integer = 1, .panels = p, .n_panels = 2, .columns = 2};
    BdStr b = {0};
    bd_chart_lines(&b, &lc);
    check_svg(&b, "shared range");
    CHECK(count_of(bd_str_str(&b), ">0.5</text>") == 2);
    CHECK(count_of(bd_str_str(&b), ">0.9</text>") == 2);
    bd_str_free(&b);
}

/* Long labels in every chart are shortened between words and parameters,
 * never inside one (the full text stays in the tooltip). */
static void test_labels(void) {
    const char *long_label = "resnet20(blocks=1,width=8) \xC2\xB7 square(location=top-left,size=4) \xC2\xB7 rate 0.1 "
                             "\xC2\xB7 logit-squeeze(weight=0.1) \xC2\xB7 finetune(epochs=3,fraction=0.1) \xC2\xB7 "
                             "sgd(epochs=2,limit_test=1000,limit_train=3000)";
    const char *other = "cnn-small \xC2\xB7 blend(alpha=0.1,pattern=noise) \xC2\xB7 rate 0.05 \xC2\xB7 "
                        "manifold-mixup(alpha=2,layers=input+stages) \xC2\xB7 finetune(epochs=3,fraction=0.1)";
    BdIntervalRow r[] = {{.label = long_label, .v = {0.1, NAN}, .lo = {0, NAN}, .hi = {0.2, NAN}},
                         {.label = other, .v = {0.1, NAN}, .lo = {0, NAN}, .hi = {0.2, NAN}}};
    BdIntervalChart ic = {.title = "(c)", .col_titles = {"x", NULL}, .n_cols = 1, .rows = r, .n_rows = 2};
    BdStr b = {0};
    bd_chart_intervals(&b, &ic);
    int labels;
    char bad[4096] = "";
    CHECK_MSG(svg_bad_labels(bd_str_str(&b), &labels, bad, sizeof bad) == 0, "%s", bad);
    CHECK(labels == 2);
    CHECK(strstr(bd_str_str(&b), SVG_ELLIPSIS) != NULL); /* they were shortened */
    bd_str_free(&b);
    const char *rows[] = {long_label, other}, *cols[] = {"blend(alpha=0.1,pattern=noise)", "square"};
    double v[] = {0.1, 0.2, 0.3, 0.4};
    BdHeatPanel p = {.title = "rate", .rows = 2, .cols = 2, .row_labels = rows, .col_labels = cols, .values = v};
    BdHeatmap h = {.title = "(a)", .lo = 0, .hi = 1, .panels = &p, .n_panels = 1};
    bd_chart_heatmap(&b, &h);
    CHECK_MSG(svg_bad_labels(bd_str_str(&b), &labels, bad, sizeof bad) == 0, "%s", bad);
    CHECK(labels == 4);
    bd_str_free(&b);
}

int main(void) {
    test_strbuf();
    test_ticks();
    test_text_and_colour();
    test_safe_filename();
    test_charts();
    test_samples();
    test_clipped();
    test_shared_range();
    test_labels();
    return check_result("test_svg");
}
