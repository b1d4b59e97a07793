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
#include "xmlcheck.h"

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
    BdError err = {{0}};
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
    char out[64];
    bd_svg_ellipsize("short", 10, out, sizeof out);
    CHECK_STR(out, "short");
    bd_svg_ellipsize("abcdefghij", 5, out, sizeof out);
    CHECK_STR(out, "ab\xE2\x80\xA6ij"); /* the middle goes, the end stays */
    bd_svg_ellipsize("\xC3\x97\xC3\x97\xC3\x97\xC3\x97", 3, out, sizeof out); /* never cuts a UTF-8 sequence */
    CHECK_STR(out, "\xC3\x97\xE2\x80\xA6\xC3\x97");
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
    BdHeatPanel p = {"poison rate 0.05", 2, 2, rows, cols, v, tips};
    BdHeatmap h = {"(a) title & more", "architectures", "trigger", "mean ASR", 0, 1, &p, 1};
    BdStr b = {0};
    bd_chart_heatmap(&b, &h);
    check_svg(&b, "heat map");
    CHECK_CONTAINS(bd_str_str(&b), ">no data</text>");
    CHECK_CONTAINS(bd_str_str(&b), "<title>(a) title &amp; more</title>");
    CHECK_CONTAINS(bd_str_str(&b), ">0.90</text>");
    bd_str_free(&b);

    /* Line panels: a gap (NaN) in a series, a band, an empty panel. */
    double x[] = {0, 0.01, 0.05}, y[] = {0.02, NAN, 0.95}, lo[] = {0.01, NAN, 0.9}, hi[] = {0.03, NAN, 1.0};
    BdSeries s[] = {{"square", 0, 3, x, y, lo, hi}, {hostile, 1, 3, x, y, NULL, NULL}};
    BdLinePanel panels[] = {{"cnn-small", "ASR", 0, 1, s, 2, 0.07, "baseline + 0.05"},
                            {"empty", "ASR", NAN, NAN, NULL, 0, NAN, NULL}};
    BdLineChart lc = {"(b) lines", "poison rate", 0, panels, 2, 2, "note & more"};
    bd_chart_lines(&b, &lc);
    check_svg(&b, "lines");
    CHECK(strstr(bd_str_str(&b), "<polyline") == NULL); /* each piece has one point: nothing to join */
    CHECK_CONTAINS(bd_str_str(&b), ">no data</text>");
    CHECK_CONTAINS(bd_str_str(&b), ">baseline + 0.05</text>");
    bd_str_free(&b);
    double y2[] = {0.02, 0.5, 0.95};
    BdSeries s2 = {"square", 0, 3, x, y2, lo, hi};
    BdLinePanel p2 = {"cnn-small", "ASR", 0, 1, &s2, 1, NAN, NULL};
    BdLineChart lc2 = {"(e) epochs", "epoch", 1, &p2, 1, 2, NULL};
    bd_chart_lines(&b, &lc2);
    check_svg(&b, "lines 2");
    CHECK(strstr(bd_str_str(&b), "<polyline") != NULL);
    bd_str_free(&b);

    /* Intervals: missing value, missing interval, gray rows. */
    BdIntervalRow r[] = {{"g1", {-0.1, 0.02}, {-0.2, 0.0}, {0.0, 0.04}, 1, "tip & co"},
                         {hostile, {NAN, NAN}, {NAN, NAN}, {NAN, NAN}, 0, NULL},
                         {"g3", {0.05, -0.01}, {NAN, NAN}, {NAN, NAN}, -1, NULL}};
    BdLegendEntry legend[] = {{"a & b", "#0072B2", NULL}};
    BdIntervalChart ic = {"(c) intervals", {"x <label>", "y"}, 2, 1, r, 3, legend, 1, "note"};
    bd_chart_intervals(&b, &ic);
    check_svg(&b, "intervals");
    CHECK_CONTAINS(bd_str_str(&b), "x &lt;label&gt;");
    bd_str_free(&b);
    BdIntervalChart empty = {"(c) none", {"x", NULL}, 1, 0, NULL, 0, NULL, 0, NULL};
    bd_chart_intervals(&b, &empty);
    check_svg(&b, "empty intervals");
    bd_str_free(&b);
}

int main(void) {
    test_strbuf();
    test_ticks();
    test_text_and_colour();
    test_safe_filename();
    test_charts();
    return check_result("test_svg");
}
