#include "svg.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "text.h"

void bd_svg_begin(BdStr *b, double w, double h, const char *title) {
    bd_str_printf(b,
                  "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
                  "role=\"img\" font-family=\"" BD_SVG_FONT "\" font-size=\"11\">\n",
                  w, h, w, h);
    if (title) {
        bd_str_puts(b, "<title>");
        bd_str_xml(b, title);
        bd_str_puts(b, "</title>\n");
    }
    bd_str_printf(b, "<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"#ffffff\"/>\n", w, h);
    if (title) {
        BdTextStyle st = {.size = 14, .bold = 1};
        bd_svg_text(b, 12, 22, &st, title);
    }
}

void bd_svg_end(BdStr *b) { bd_str_puts(b, "</svg>\n"); }

void bd_svg_file(BdStr *out, const BdStr *svg) {
    bd_str_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    bd_str_puts(out, bd_str_str(svg));
}

/* ---- text ------------------------------------------------------------------------ */

static int utf8_chars(const char *s) {
    int n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p & 0xC0) != 0x80) n++;
    return n;
}

double bd_svg_text_width(const char *text, double size) { return 0.6 * size * utf8_chars(text); }

/* Where a label may be cut: after a space, a comma or an opening
 * parenthesis, i.e. between words, between the parts of "a \xC2\xB7 b" and
 * between the parameters of "square(location=top-left,size=4)". */
static int cut_after(char c) { return c == ' ' || c == ',' || c == '('; }

/* Too long a label loses its middle, not its end: row labels read
 * "architecture \xC2\xB7 regularizer", and the regularizer at the end is
 * what tells neighbouring rows apart. Of the cuts that fit, one that keeps
 * some of the end wins, then the one that keeps the most characters (the
 * longer end on a tie). */
void bd_svg_shorten(const char *text, int max_chars, char *out, size_t cap) {
    int n = utf8_chars(text);
    size_t len = strlen(text);
    if (n <= max_chars) {
        bd_text_format(out, cap, "%s", text);
        return;
    }
    /* Cut points (byte offsets) and the characters before each. */
    enum { MAX_CUTS = 256 };
    size_t at[MAX_CUTS];
    int before[MAX_CUTS], k = 0, chars = 0;
    at[k] = 0, before[k++] = 0;
    for (size_t i = 0; i < len && k < MAX_CUTS - 1; i++) {
        if (((unsigned char)text[i] & 0xC0) != 0x80) chars++;
        if (cut_after(text[i]) && i + 1 < len) at[k] = i + 1, before[k++] = chars;
    }
    at[k] = len, before[k++] = n;
    int best_h = -1, best_t = -1, best = 0;
    for (int with_end = 1; with_end >= 0 && best == 0; with_end--)
        for (int h = 0; h < k; h++)
            for (int t = h + 1; t < k - with_end; t++) {
                int kept = before[h] + (n - before[t]);
                if (kept + 1 > max_chars) continue;
                if (kept > best || (kept == best && t < best_t)) best = kept, best_h = h, best_t = t;
            }
    /* Not even one part fits: keep the last one whole rather than cut a
     * word (a single word is kept as it is). */
    if (best == 0 && k == 2) {
        bd_text_format(out, cap, "%s", text);
        return;
    }
    if (best == 0) best_h = 0, best_t = k - 2;
    bd_text_format(out, cap, "%.*s\xE2\x80\xA6%s", (int)at[best_h], text, text + at[best_t]);
}

static void num(BdStr *b, const char *name, double v) {
    if (!isfinite(v)) v = 0; /* never write NaN into an attribute */
    bd_str_printf(b, " %s=\"%.2f\"", name, v);
}

void bd_svg_text(BdStr *b, double x, double y, const BdTextStyle *st, const char *text) {
    static const char *const anchors[] = {"start", "middle", "end"};
    BdTextStyle d = {0};
    if (!st) st = &d;
    bd_str_puts(b, "<text");
    num(b, "x", x);
    num(b, "y", y);
    if (st->size > 0 && st->size != 11) bd_str_printf(b, " font-size=\"%g\"", st->size);
    if (st->anchor != BD_ANCHOR_START) bd_str_printf(b, " text-anchor=\"%s\"", anchors[st->anchor]);
    if (st->bold) bd_str_puts(b, " font-weight=\"bold\"");
    bd_str_printf(b, " fill=\"%s\"", st->fill ? st->fill : "#222");
    if (st->middle) bd_str_puts(b, " dy=\"0.35em\"");
    if (st->rotate != 0) bd_str_printf(b, " transform=\"rotate(%g %.2f %.2f)\"", st->rotate, x, y);
    bd_str_puts(b, ">");
    bd_str_xml(b, text);
    bd_str_puts(b, "</text>\n");
}

/* ---- shapes ------------------------------------------------------------------------ */

void bd_svg_line(BdStr *b, double x1, double y1, double x2, double y2, const char *stroke, double width,
                 const char *dash) {
    bd_str_puts(b, "<line");
    num(b, "x1", x1);
    num(b, "y1", y1);
    num(b, "x2", x2);
    num(b, "y2", y2);
    bd_str_printf(b, " stroke=\"%s\" stroke-width=\"%g\"", stroke, width);
    if (dash) bd_str_printf(b, " stroke-dasharray=\"%s\"", dash);
    bd_str_puts(b, "/>\n");
}

void bd_svg_rect(BdStr *b, double x, double y, double w, double h, const char *fill, const char *stroke) {
    if (w < 0) x += w, w = -w;
    if (h < 0) y += h, h = -h;
    bd_str_puts(b, "<rect");
    num(b, "x", x);
    num(b, "y", y);
    num(b, "width", w);
    num(b, "height", h);
    bd_str_printf(b, " fill=\"%s\"", fill ? fill : "none");
    if (stroke) bd_str_printf(b, " stroke=\"%s\"", stroke);
    bd_str_puts(b, "/>\n");
}

void bd_svg_circle(BdStr *b, double cx, double cy, double r, const char *fill, const char *stroke) {
    bd_str_puts(b, "<circle");
    num(b, "cx", cx);
    num(b, "cy", cy);
    num(b, "r", r);
    bd_str_printf(b, " fill=\"%s\"", fill ? fill : "none");
    if (stroke) bd_str_printf(b, " stroke=\"%s\"", stroke);
    bd_str_puts(b, "/>\n");
}

void bd_svg_polygon(BdStr *b, const double *x, const double *y, int n, const char *fill, const char *stroke) {
    bd_str_puts(b, "<polygon points=\"");
    for (int k = 0; k < n; k++)
        bd_str_printf(b, "%s%.2f,%.2f", k ? " " : "", isfinite(x[k]) ? x[k] : 0, isfinite(y[k]) ? y[k] : 0);
    bd_str_printf(b, "\" fill=\"%s\"", fill ? fill : "none");
    if (stroke) bd_str_printf(b, " stroke=\"%s\"", stroke);
    bd_str_puts(b, "/>\n");
}

void bd_svg_polyline(BdStr *b, const double *x, const double *y, int n, const char *stroke, double width,
                     const char *dash) {
    int i = 0;
    while (i < n) {
        while (i < n && (!isfinite(x[i]) || !isfinite(y[i]))) i++;
        int j = i;
        while (j < n && isfinite(x[j]) && isfinite(y[j])) j++;
        if (j - i >= 2) {
            bd_str_puts(b, "<polyline points=\"");
            for (int k = i; k < j; k++) bd_str_printf(b, "%s%.2f,%.2f", k > i ? " " : "", x[k], y[k]);
            bd_str_printf(b, "\" fill=\"none\" stroke=\"%s\" stroke-width=\"%g\" stroke-linejoin=\"round\"", stroke,
                          width);
            if (dash) bd_str_printf(b, " stroke-dasharray=\"%s\"", dash);
            bd_str_puts(b, "/>\n");
        }
        i = j;
    }
}

void bd_svg_band(BdStr *b, const double *x, const double *lo, const double *hi, int n, const char *fill,
                 double opacity) {
    int i = 0;
    while (i < n) {
        while (i < n && !(isfinite(x[i]) && isfinite(lo[i]) && isfinite(hi[i]))) i++;
        int j = i;
        while (j < n && isfinite(x[j]) && isfinite(lo[j]) && isfinite(hi[j])) j++;
        if (j - i >= 2) {
            bd_str_puts(b, "<polygon points=\"");
            for (int k = i; k < j; k++) bd_str_printf(b, "%.2f,%.2f ", x[k], hi[k]);
            for (int k = j - 1; k >= i; k--) bd_str_printf(b, "%.2f,%.2f%s", x[k], lo[k], k > i ? " " : "");
            bd_str_printf(b, "\" fill=\"%s\" fill-opacity=\"%g\" stroke=\"none\"/>\n", fill, opacity);
        }
        i = j;
    }
}

void bd_svg_group_begin(BdStr *b, const char *tooltip) {
    bd_str_puts(b, "<g>");
    if (tooltip) {
        bd_str_puts(b, "<title>");
        bd_str_xml(b, tooltip);
        bd_str_puts(b, "</title>");
    }
    bd_str_puts(b, "\n");
}

void bd_svg_group_end(BdStr *b) { bd_str_puts(b, "</g>\n"); }

/* ---- scales, ticks, axes -------------------------------------------------------------- */

double bd_scale(const BdScale *s, double v) {
    if (s->d1 == s->d0) return 0.5 * (s->r0 + s->r1);
    return s->r0 + (v - s->d0) * (s->r1 - s->r0) / (s->d1 - s->d0);
}

void bd_ticks(double *lo, double *hi, int target, int extend, BdTicks *t) {
    if (!isfinite(*lo) || !isfinite(*hi)) *lo = 0, *hi = 1;
    if (*hi < *lo) {
        double s = *lo;
        *lo = *hi, *hi = s;
    }
    if (*hi == *lo) {
        double pad = *lo == 0 ? 1 : fabs(*lo) * 0.1;
        *lo -= pad, *hi += pad;
    }
    if (target < 2) target = 2;
    double raw = (*hi - *lo) / target, mag = pow(10, floor(log10(raw))), step = mag;
    static const double mult[] = {1, 2, 2.5, 5, 10};
    for (int i = 0; i < 5; i++)
        if (mult[i] * mag >= raw) {
            step = mult[i] * mag;
            break;
        }
    double first = ceil(*lo / step - 1e-9) * step, last = floor(*hi / step + 1e-9) * step;
    if (extend) {
        first = floor(*lo / step + 1e-9) * step;
        last = ceil(*hi / step - 1e-9) * step;
        *lo = first, *hi = last;
    }
    t->n = 0;
    t->step = step;
    for (double v = first; v <= last + step * 1e-6 && t->n < BD_MAX_TICKS; v += step)
        t->v[t->n++] = fabs(v) < step * 1e-9 ? 0 : v; /* no "-0" */
}

void bd_tick_label(double v, double step, char *out, size_t cap) {
    int decimals = 0;
    for (double s = step; decimals < 6 && fabs(s - round(s)) > 1e-9 * fmax(1, fabs(s)); s *= 10) decimals++;
    snprintf(out, cap, "%.*f", decimals, fabs(v) < 1e-12 ? 0.0 : v);
}

void bd_svg_axis_left(BdStr *b, const BdScale *y, const BdTicks *t, double x, double plot_x1) {
    BdTextStyle st = {.size = 10, .anchor = BD_ANCHOR_END, .middle = 1, .fill = "#444"};
    for (int i = 0; i < t->n; i++) {
        double py = bd_scale(y, t->v[i]);
        char label[32];
        bd_tick_label(t->v[i], t->step, label, sizeof label);
        bd_svg_line(b, x, py, plot_x1, py, "#e6e6e6", 1, NULL);
        bd_svg_line(b, x - 4, py, x, py, "#444", 1, NULL);
        bd_svg_text(b, x - 6, py, &st, label);
    }
    bd_svg_line(b, x, y->r0, x, y->r1, "#444", 1, NULL);
}

void bd_svg_axis_bottom(BdStr *b, const BdScale *x, const BdTicks *t, double y, double plot_y0) {
    BdTextStyle st = {.size = 10, .anchor = BD_ANCHOR_MIDDLE, .fill = "#444"};
    for (int i = 0; i < t->n; i++) {
        double px = bd_scale(x, t->v[i]);
        char label[32];
        bd_tick_label(t->v[i], t->step, label, sizeof label);
        bd_svg_line(b, px, plot_y0, px, y, "#e6e6e6", 1, NULL);
        bd_svg_line(b, px, y, px, y + 4, "#444", 1, NULL);
        bd_svg_text(b, px, y + 15, &st, label);
    }
    bd_svg_line(b, x->r0, y, x->r1, y, "#444", 1, NULL);
}

/* ---- colour ------------------------------------------------------------------------------ */

const char *bd_color_category(int i) {
    static const char *const okabe_ito[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                            "#E69F00", "#56B4E9", "#000000", "#F0E442"};
    return okabe_ito[((i % 8) + 8) % 8];
}

const char *bd_dash_category(int i) {
    static const char *const dashes[] = {NULL, "6 3", "2 2", "8 3 2 3"};
    return dashes[(i / 8) % 4];
}

void bd_color_viridis(double t, char out[8]) {
    static const unsigned char v[11][3] = {
        {0x44, 0x01, 0x54}, {0x48, 0x24, 0x75}, {0x41, 0x44, 0x87}, {0x35, 0x5f, 0x8d}, {0x2a, 0x78, 0x8e},
        {0x21, 0x91, 0x8c}, {0x22, 0xa8, 0x84}, {0x44, 0xbf, 0x70}, {0x7a, 0xd1, 0x51}, {0xbd, 0xdf, 0x26},
        {0xfd, 0xe7, 0x25},
    };
    if (!(t >= 0)) t = 0; /* NaN too */
    if (t > 1) t = 1;
    double pos = t * 10;
    int i = (int)pos;
    if (i >= 10) i = 9;
    double f = pos - i;
    int c[3];
    for (int k = 0; k < 3; k++) c[k] = (int)lround(v[i][k] + f * (v[i + 1][k] - v[i][k]));
    snprintf(out, 8, "#%02x%02x%02x", c[0], c[1], c[2]);
}

const char *bd_color_text_on(const char *bg) {
    unsigned r = 0, g = 0, bl = 0;
    if (sscanf(bg, "#%02x%02x%02x", &r, &g, &bl) != 3) return "#222";
    /* Relative luminance (sRGB weights); viridis turns light near 0.55. */
    double lum = (0.2126 * r + 0.7152 * g + 0.0722 * bl) / 255.0;
    return lum < 0.5 ? "#ffffff" : "#222222";
}

void bd_svg_colorbar(BdStr *b, double x, double y, double w, double h, double lo, double hi, const char *label) {
    const int steps = 50;
    for (int i = 0; i < steps; i++) {
        char c[8];
        bd_color_viridis((i + 0.5) / steps, c);
        double y0 = y + h - (i + 1) * h / steps;
        bd_svg_rect(b, x, y0, w, h / steps + 0.5, c, NULL);
    }
    bd_svg_rect(b, x, y, w, h, NULL, "#444");
    BdScale s = {lo, hi, y + h, y};
    BdTicks t;
    double l = lo, u = hi;
    bd_ticks(&l, &u, 5, 0, &t);
    BdTextStyle st = {.size = 10, .middle = 1, .fill = "#444"};
    for (int i = 0; i < t.n; i++) {
        double py = bd_scale(&s, t.v[i]);
        char text[32];
        bd_tick_label(t.v[i], t.step, text, sizeof text);
        bd_svg_line(b, x + w, py, x + w + 4, py, "#444", 1, NULL);
        bd_svg_text(b, x + w + 6, py, &st, text);
    }
    if (label) {
        BdTextStyle ls = {.size = 10, .anchor = BD_ANCHOR_MIDDLE, .fill = "#444"};
        bd_svg_text(b, x + w / 2, y - 8, &ls, label);
    }
}

double bd_svg_legend(BdStr *b, double x, double y, const BdLegendEntry *e, int n, int boxes) {
    BdTextStyle st = {.size = 10.5, .middle = 1};
    for (int i = 0; i < n; i++) {
        double cy = y + 8 + i * 17;
        if (boxes) bd_svg_rect(b, x, cy - 5, 14, 10, e[i].color, NULL);
        else bd_svg_line(b, x, cy, x + 18, cy, e[i].color, 2.5, e[i].dash);
        bd_svg_text(b, x + 24, cy, &st, e[i].name);
    }
    return n * 17.0 + 4;
}

double bd_svg_legend_width(const BdLegendEntry *e, int n) {
    double w = 0;
    for (int i = 0; i < n; i++) w = fmax(w, bd_svg_text_width(e[i].name, 10.5));
    return n ? w + 30 : 0;
}
