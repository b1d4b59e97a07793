/* Layout and drawing of the report's figures (chart.h). Sizes are in pixels
 * and chosen for a page about 1000 px wide; figures grow with their content
 * (rows, panels) rather than shrinking text. */
#include "chart.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

#define TITLE_H 36.0 /* room for the figure title */

static double clampd(double v, double lo, double hi) { return v < lo ? lo : v > hi ? hi : v; }

/* Widest label of a list, by estimate, at a font size. */
static double widest(const char *const *labels, int n, double size) {
    double w = 0;
    for (int i = 0; i < n; i++) w = fmax(w, bd_svg_text_width(labels[i] ? labels[i] : "", size));
    return w;
}

/* Text shortened (between words) to fit width px at a font size. */
static void fit(const char *text, double width, double size, char *out, size_t cap) {
    int chars = (int)(width / (0.6 * size));
    bd_svg_shorten(text ? text : "", chars < 2 ? 2 : chars, out, cap);
}

/* The width a note under a plot needs (notes are never cut: they say what
 * the figure shows, e.g. how many seeds). */
static double note_width(const char *note) { return note ? bd_svg_text_width(note, 10) + 24 : 0; }

static void note_line(BdStr *b, double x, double y, const char *note) {
    if (!note) return;
    BdTextStyle st = {.size = 10, .fill = "#555"};
    bd_svg_text(b, x, y, &st, note);
}

/* ---- heat map ------------------------------------------------------------------------ */

/* Range and ticks of the values behind a heat-map cell: how much the
 * seeds disagree is drawn in the cell itself (a mean of 0.53 from 0.07 and
 * 0.99 reads "0.53" over "0.07–0.99", with a tick at each end). */
static void heat_samples(BdStr *b, const BdHeatmap *h, const BdSamples *sm, double cx, double cy, double w,
                         double cell_h, const char *ink) {
    double lo = INFINITY, hi = -INFINITY;
    for (int k = 0; k < sm->n; k++)
        if (isfinite(sm->v[k])) lo = fmin(lo, sm->v[k]), hi = fmax(hi, sm->v[k]);
    if (!isfinite(lo)) return;
    char text[64];
    if (sm->n == 1) snprintf(text, sizeof text, "1 seed");
    else snprintf(text, sizeof text, "%.2f\xE2\x80\x93%.2f", lo, hi);
    BdTextStyle rs = {.size = 8.5, .anchor = BD_ANCHOR_MIDDLE, .middle = 1, .fill = ink};
    bd_svg_text(b, cx + w / 2, cy + 26, &rs, text);
    double y = cy + cell_h - 7, x0 = cx + 5, x1 = cx + w - 5;
    bd_svg_line(b, x0, y, x1, y, ink, 0.6, NULL);
    for (int k = 0; k < sm->n; k++) {
        if (!isfinite(sm->v[k])) continue;
        double x = x0 + clampd((sm->v[k] - h->lo) / (h->hi - h->lo), 0, 1) * (x1 - x0);
        bd_svg_line(b, x, y - 3.5, x, y + 3.5, ink, 1.6, NULL);
    }
}

void bd_chart_heatmap(BdStr *b, const BdHeatmap *h) {
    const double gap = 28, fs = 10.5;
    const BdHeatPanel *p0 = h->n_panels ? &h->panels[0] : NULL;
    int rows = p0 ? p0->rows : 0, cols = p0 ? p0->cols : 0;
    double cell_h = p0 && p0->samples ? 44 : 30;
    double cell_w = p0 ? clampd(widest(p0->col_labels, cols, fs) + 10, 56, 150) : 56;
    double label_w = p0 ? fmin(widest(p0->row_labels, rows, fs), 260) + 12 : 60;
    double panel_w = cols * cell_w;
    double x0 = 16 + label_w, y0 = TITLE_H + 40; /* panel title + column labels above the cells */
    double width = x0 + h->n_panels * panel_w + (h->n_panels - 1) * gap + 90;
    double height = y0 + rows * cell_h + 44 + (h->note ? 16 : 0);
    width = fmax(fmax(width, 360), note_width(h->note));
    bd_svg_begin(b, width, height, h->title);

    BdTextStyle title_st = {.size = 11.5, .bold = 1, .anchor = BD_ANCHOR_MIDDLE};
    BdTextStyle col_st = {.size = fs, .anchor = BD_ANCHOR_MIDDLE, .fill = "#333"};
    BdTextStyle row_st = {.size = fs, .anchor = BD_ANCHOR_END, .middle = 1, .fill = "#333"};
    BdTextStyle axis_st = {.size = 10, .fill = "#555", .anchor = BD_ANCHOR_MIDDLE};
    char text[512];
    for (int i = 0; i < rows && p0; i++) {
        fit(p0->row_labels[i], label_w - 12, fs, text, sizeof text);
        bd_svg_group_begin(b, p0->row_labels[i]);
        bd_svg_text(b, x0 - 8, y0 + (i + 0.5) * cell_h, &row_st, text);
        bd_svg_group_end(b);
    }
    for (int k = 0; k < h->n_panels; k++) {
        const BdHeatPanel *p = &h->panels[k];
        double px = x0 + k * (panel_w + gap);
        bd_svg_text(b, px + panel_w / 2, y0 - 24, &title_st, p->title ? p->title : "");
        for (int j = 0; j < p->cols; j++) {
            fit(p->col_labels[j], cell_w - 6, fs, text, sizeof text);
            bd_svg_group_begin(b, p->col_labels[j]);
            bd_svg_text(b, px + (j + 0.5) * cell_w, y0 - 6, &col_st, text);
            bd_svg_group_end(b);
        }
        for (int i = 0; i < p->rows; i++)
            for (int j = 0; j < p->cols; j++) {
                int at = i * p->cols + j;
                double v = p->values[at], cx = px + j * cell_w, cy = y0 + i * cell_h;
                /* With the seeds drawn below it, the mean sits in the upper part. */
                double vy = p->samples ? cy + 13 : cy + cell_h / 2;
                bd_svg_group_begin(b, p->tooltips ? p->tooltips[at] : NULL);
                if (isfinite(v)) {
                    char c[8], val[32];
                    bd_color_viridis((v - h->lo) / (h->hi - h->lo), c);
                    bd_svg_rect(b, cx, cy, cell_w, cell_h, c, "#ffffff");
                    snprintf(val, sizeof val, "%.2f", v);
                    const char *ink = bd_color_text_on(c);
                    BdTextStyle vs = {.size = 10.5, .anchor = BD_ANCHOR_MIDDLE, .middle = 1, .fill = ink};
                    bd_svg_text(b, cx + cell_w / 2, vy, &vs, val);
                    if (p->samples) heat_samples(b, h, &p->samples[at], cx, cy, cell_w, cell_h, ink);
                } else {
                    bd_svg_rect(b, cx, cy, cell_w, cell_h, "#f0f0f0", "#ffffff");
                    BdTextStyle vs = {.size = 10.5, .anchor = BD_ANCHOR_MIDDLE, .middle = 1, .fill = "#999"};
                    bd_svg_text(b, cx + cell_w / 2, cy + cell_h / 2, &vs, "no data");
                }
                bd_svg_group_end(b);
            }
        if (h->col_title) bd_svg_text(b, px + panel_w / 2, y0 + rows * cell_h + 18, &axis_st, h->col_title);
    }
    if (h->row_title) {
        BdTextStyle rs = {.size = 10, .fill = "#555"};
        bd_svg_text(b, 12, y0 + rows * cell_h + 36, &rs, h->row_title);
    }
    double bar_x = x0 + h->n_panels * panel_w + (h->n_panels - 1) * gap + 24;
    bd_svg_colorbar(b, bar_x, y0 + 4, 14, fmax(rows * cell_h - 8, 60), h->lo, h->hi, h->value_label);
    note_line(b, 12, height - 8, h->note);
    bd_svg_end(b);
}

/* ---- line panels ------------------------------------------------------------------------ */

/* The distinct series names in order of appearance, with their colours. */
static int line_legend(const BdLineChart *c, BdLegendEntry *e, int cap) {
    int n = 0;
    for (int p = 0; p < c->n_panels; p++)
        for (int s = 0; s < c->panels[p].n_series; s++) {
            const BdSeries *se = &c->panels[p].series[s];
            int seen = 0;
            for (int i = 0; i < n && !seen; i++) seen = !strcmp(e[i].name, se->name);
            if (!seen && n < cap)
                e[n++] = (BdLegendEntry){se->name, bd_color_category(se->color), bd_dash_category(se->color)};
        }
    return n;
}

static void data_range(const BdSeries *s, int n, int use_x, double *lo, double *hi) {
    for (int i = 0; i < n; i++)
        for (int k = 0; k < s[i].n; k++) {
            double v[3] = {use_x ? s[i].x[k] : s[i].y[k], NAN, NAN};
            if (!use_x && s[i].lo) v[1] = s[i].lo[k], v[2] = s[i].hi[k];
            for (int j = 0; j < 3; j++)
                if (isfinite(v[j])) *lo = fmin(*lo, v[j]), *hi = fmax(*hi, v[j]);
            if (use_x || !s[i].samples) continue;
            for (int j = 0; j < s[i].samples[k].n; j++)
                if (isfinite(s[i].samples[k].v[j]))
                    *lo = fmin(*lo, s[i].samples[k].v[j]), *hi = fmax(*hi, s[i].samples[k].v[j]);
        }
}

/* The y range of a panel: its own, or, left to the data, the range of every
 * panel of the same y label that is left to the data too, so that panels
 * showing one metric can be compared by eye. */
static void panel_y_range(const BdLineChart *c, const BdLinePanel *pn, double *ylo, double *yhi) {
    *ylo = pn->y_lo, *yhi = pn->y_hi;
    if (isfinite(*ylo) && isfinite(*yhi)) return;
    double dlo = INFINITY, dhi = -INFINITY;
    for (int q = 0; q < c->n_panels; q++) {
        const BdLinePanel *o = &c->panels[q];
        int same = o == pn || (!(isfinite(o->y_lo) && isfinite(o->y_hi)) && o->y_label && pn->y_label &&
                               !strcmp(o->y_label, pn->y_label));
        if (!same) continue;
        data_range(o->series, o->n_series, 0, &dlo, &dhi);
        if (isfinite(o->ref_y)) dlo = fmin(dlo, o->ref_y), dhi = fmax(dhi, o->ref_y);
    }
    if (!isfinite(dlo)) dlo = 0, dhi = 1;
    if (!isfinite(*ylo)) *ylo = dlo;
    if (!isfinite(*yhi)) *yhi = dhi;
}

/* The seeds behind a point: small open circles spread a little sideways so
 * that equal values stay visible. */
static void point_samples(BdStr *b, const BdScale *sy, double px, const BdSamples *sm, const char *col) {
    for (int j = 0; j < sm->n; j++) {
        if (!isfinite(sm->v[j])) continue;
        double dx = (j - (sm->n - 1) / 2.0) * 2.5;
        bd_svg_circle(b, px + dx, bd_scale(sy, sm->v[j]), 1.8, "none", col);
    }
}

void bd_chart_lines(BdStr *b, const BdLineChart *c) {
    const double pw = 250, ph = 170, ml = 54, mr = 14, mt = 26, mb = 42;
    int cols = c->columns > 0 ? c->columns : 1;
    if (cols > c->n_panels && c->n_panels > 0) cols = c->n_panels;
    int grid_rows = c->n_panels ? (c->n_panels + cols - 1) / cols : 1;
    BdLegendEntry legend[64];
    int n_legend = line_legend(c, legend, 64);
    double legend_w = bd_svg_legend_width(legend, n_legend);
    double width = fmax(10 + cols * (ml + pw + mr) + legend_w + 20, note_width(c->note));
    double height = TITLE_H + grid_rows * (mt + ph + mb) + (c->note ? 18 : 4);
    double legend_h = n_legend * 17.0 + 8;
    if (height < TITLE_H + legend_h + 10) height = TITLE_H + legend_h + 10;
    bd_svg_begin(b, width, height, c->title);

    double xlo = INFINITY, xhi = -INFINITY;
    for (int p = 0; p < c->n_panels; p++) data_range(c->panels[p].series, c->panels[p].n_series, 1, &xlo, &xhi);
    if (!isfinite(xlo)) xlo = 0, xhi = 1;
    BdTicks xt;
    double tx0 = xlo, tx1 = xhi;
    bd_ticks(&tx0, &tx1, c->x_integer ? (int)fmin(6, fmax(2, xhi - xlo)) : 5, 0, &xt);
    if (c->x_integer && xt.step < 1) {
        xt.n = 0, xt.step = 1;
        for (double v = ceil(xlo); v <= xhi && xt.n < BD_MAX_TICKS; v++) xt.v[xt.n++] = v;
    }
    if (xhi == xlo) xlo -= 0.5, xhi += 0.5;

    BdTextStyle pt = {.size = 11.5, .bold = 1, .anchor = BD_ANCHOR_MIDDLE};
    BdTextStyle xs = {.size = 10.5, .anchor = BD_ANCHOR_MIDDLE, .fill = "#333"};
    BdTextStyle ys = {.size = 10.5, .anchor = BD_ANCHOR_MIDDLE, .fill = "#333", .rotate = -90};
    for (int p = 0; p < c->n_panels; p++) {
        const BdLinePanel *pn = &c->panels[p];
        double ox = 10 + (p % cols) * (ml + pw + mr) + ml, oy = TITLE_H + (p / cols) * (mt + ph + mb) + mt;
        double ylo, yhi;
        panel_y_range(c, pn, &ylo, &yhi);
        BdTicks yt;
        bd_ticks(&ylo, &yhi, 5, 1, &yt);
        BdScale sx = {xlo, xhi, ox, ox + pw}, sy = {ylo, yhi, oy + ph, oy};
        char text[512];
        fit(pn->title, pw, 11.5, text, sizeof text);
        bd_svg_group_begin(b, pn->title);
        bd_svg_text(b, ox + pw / 2, oy - 9, &pt, text);
        bd_svg_group_end(b);
        bd_svg_axis_left(b, &sy, &yt, ox, ox + pw);
        bd_svg_axis_bottom(b, &sx, &xt, oy + ph, oy);
        if (c->x_label) bd_svg_text(b, ox + pw / 2, oy + ph + 32, &xs, c->x_label);
        if (pn->y_label) bd_svg_text(b, ox - 40, oy + ph / 2, &ys, pn->y_label);
        if (isfinite(pn->ref_y)) {
            double ry = bd_scale(&sy, pn->ref_y);
            bd_svg_line(b, ox, ry, ox + pw, ry, "#777", 1, "4 3");
            if (pn->ref_label) {
                BdTextStyle rs = {.size = 9, .anchor = BD_ANCHOR_END, .fill = "#555"};
                bd_svg_text(b, ox + pw - 2, ry - 3, &rs, pn->ref_label);
            }
        }
        if (pn->n_series == 0) {
            BdTextStyle ns = {.size = 10.5, .anchor = BD_ANCHOR_MIDDLE, .middle = 1, .fill = "#999"};
            bd_svg_text(b, ox + pw / 2, oy + ph / 2, &ns, "no data");
        }
        for (int s = 0; s < pn->n_series; s++) {
            const BdSeries *se = &pn->series[s];
            double *px = malloc(sizeof(double) * (size_t)(se->n + 1) * 4), *py = px + se->n + 1;
            double *plo = py + se->n + 1, *phi = plo + se->n + 1;
            for (int k = 0; k < se->n; k++) {
                px[k] = bd_scale(&sx, se->x[k]);
                py[k] = isfinite(se->y[k]) ? bd_scale(&sy, se->y[k]) : NAN;
                plo[k] = se->lo && isfinite(se->lo[k]) ? bd_scale(&sy, se->lo[k]) : NAN;
                phi[k] = se->hi && isfinite(se->hi[k]) ? bd_scale(&sy, se->hi[k]) : NAN;
            }
            const char *col = bd_color_category(se->color);
            if (se->lo && se->hi) bd_svg_band(b, px, plo, phi, se->n, col, 0.15);
            if (se->samples)
                for (int k = 0; k < se->n; k++) point_samples(b, &sy, px[k], &se->samples[k], col);
            bd_svg_polyline(b, px, py, se->n, col, 2, bd_dash_category(se->color));
            for (int k = 0; k < se->n; k++) {
                if (!isfinite(py[k])) continue;
                char tip[600], seeds[32] = "";
                if (se->samples) snprintf(seeds, sizeof seeds, ", %d seeds", se->samples[k].n);
                if (se->lo && isfinite(se->lo[k]))
                    bd_text_format(tip, sizeof tip, "%s: x = %g, y = %.4f (%.4f to %.4f%s)", se->name, se->x[k],
                                   se->y[k], se->lo[k], se->hi[k], seeds);
                else bd_text_format(tip, sizeof tip, "%s: x = %g, y = %.4f%s", se->name, se->x[k], se->y[k], seeds);
                bd_svg_group_begin(b, tip);
                bd_svg_circle(b, px[k], py[k], 3, col, "#ffffff");
                bd_svg_group_end(b);
            }
            free(px);
        }
    }
    bd_svg_legend(b, 10 + cols * (ml + pw + mr) + 4, TITLE_H + mt, legend, n_legend, 0);
    note_line(b, 12, height - 8, c->note);
    bd_svg_end(b);
}

/* ---- intervals ------------------------------------------------------------------------ */

/* The x range of a column: every value, bound and sample, within
 * [-clip, +clip] when the chart is clipped. */
static void interval_range(const BdIntervalChart *c, int k, double *lo, double *hi) {
    *lo = 0, *hi = 0;
    for (int i = 0; i < c->n_rows; i++) {
        const BdIntervalRow *r = &c->rows[i];
        double v[3] = {r->v[k], r->lo[k], r->hi[k]};
        for (int j = 0; j < 3; j++)
            if (isfinite(v[j])) *lo = fmin(*lo, v[j]), *hi = fmax(*hi, v[j]);
        for (int j = 0; j < r->samples[k].n; j++)
            if (isfinite(r->samples[k].v[j])) *lo = fmin(*lo, r->samples[k].v[j]), *hi = fmax(*hi, r->samples[k].v[j]);
    }
    if (c->clip > 0) *lo = fmax(*lo, -c->clip), *hi = fmin(*hi, c->clip);
    if (*hi - *lo < 1e-9) *lo -= 0.01, *hi += 0.01;
}

/* A triangle at an axis' end, pointing out: the interval goes on beyond it. */
static void clipped_end(BdStr *b, double x, double cy, int dir, const char *col, double beyond) {
    char tip[128];
    snprintf(tip, sizeof tip, "the interval goes on to %+.3f, beyond the axis (clipped)", beyond);
    double xs[3] = {x + dir * 6, x, x}, ys[3] = {cy, cy - 4.5, cy + 4.5};
    bd_svg_group_begin(b, tip);
    bd_svg_polygon(b, xs, ys, 3, col, NULL);
    bd_svg_group_end(b);
}

void bd_chart_intervals(BdStr *b, const BdIntervalChart *c) {
    const double row_h = 19, col_w = 300, gap = 36, fs = 10.5;
    double label_w = 40;
    for (int i = 0; i < c->n_rows; i++) label_w = fmax(label_w, bd_svg_text_width(c->rows[i].label, fs));
    label_w = fmin(label_w, 420) + 14;
    double legend_w = c->legend ? bd_svg_legend_width(c->legend, c->n_legend) + 16 : 0;
    double x0 = 12 + label_w, y0 = TITLE_H + 8, plot_h = fmax(c->n_rows, 1) * row_h;
    double width = fmax(x0 + c->n_cols * col_w + (c->n_cols - 1) * gap + 16 + legend_w, note_width(c->note));
    double height = y0 + plot_h + 44 + (c->note ? 16 : 0);
    if (c->legend) height = fmax(height, y0 + c->n_legend * 17.0 + 12);
    bd_svg_begin(b, width, height, c->title);

    /* Zebra rows and labels. */
    BdTextStyle ls = {.size = fs, .anchor = BD_ANCHOR_END, .middle = 1, .fill = "#333"};
    char text[512];
    for (int i = 0; i < c->n_rows; i++) {
        double cy = y0 + (i + 0.5) * row_h;
        if (i % 2 == 0)
            bd_svg_rect(b, 12, y0 + i * row_h, x0 - 12 + c->n_cols * col_w + (c->n_cols - 1) * gap, row_h, "#f6f6f6",
                        NULL);
        fit(c->rows[i].label, label_w - 14, fs, text, sizeof text);
        bd_svg_group_begin(b, c->rows[i].label);
        bd_svg_text(b, x0 - 8, cy, &ls, text);
        bd_svg_group_end(b);
    }
    for (int k = 0; k < c->n_cols; k++) {
        double lo, hi;
        interval_range(c, k, &lo, &hi);
        BdTicks t;
        bd_ticks(&lo, &hi, 5, 1, &t);
        if (c->clip > 0) { /* round ticks, but never beyond the metric's range */
            lo = fmax(lo, -c->clip), hi = fmin(hi, c->clip);
            int kept = 0;
            for (int j = 0; j < t.n; j++)
                if (t.v[j] >= lo - 1e-9 && t.v[j] <= hi + 1e-9) t.v[kept++] = t.v[j];
            t.n = kept;
        }
        double ox = x0 + k * (col_w + gap);
        BdScale sx = {lo, hi, ox + 6, ox + col_w - 6};
        if (c->margin[k] > 0) {
            double m0 = bd_scale(&sx, fmax(-c->margin[k], lo)), m1 = bd_scale(&sx, fmin(c->margin[k], hi));
            bd_svg_rect(b, m0, y0, m1 - m0, plot_h, "#d9efe6", NULL);
        }
        bd_svg_axis_bottom(b, &sx, &t, y0 + plot_h, y0);
        double zx = bd_scale(&sx, 0);
        bd_svg_line(b, zx, y0, zx, y0 + plot_h, "#888", 1.2, NULL);
        BdTextStyle ts = {.size = 10.5, .anchor = BD_ANCHOR_MIDDLE, .fill = "#333"};
        if (c->col_titles[k]) bd_svg_text(b, ox + col_w / 2, y0 + plot_h + 32, &ts, c->col_titles[k]);
        for (int i = 0; i < c->n_rows; i++) {
            const BdIntervalRow *r = &c->rows[i];
            double cy = y0 + (i + 0.5) * row_h;
            const char *col = r->color < 0 ? "#999999" : bd_color_category(r->color);
            bd_svg_group_begin(b, r->tooltip ? r->tooltip : r->label);
            if (!isfinite(r->v[k])) {
                BdTextStyle ns = {.size = 9, .middle = 1, .fill = "#999"};
                bd_svg_text(b, zx + 4, cy, &ns, "no data");
                bd_svg_group_end(b);
                continue;
            }
            double vx = bd_scale(&sx, clampd(r->v[k], lo, hi));
            if (c->bars) bd_svg_rect(b, zx, cy - 5, vx - zx, 10, col, NULL);
            const char *wc = c->bars ? "#222" : col;
            for (int j = 0; j < r->samples[k].n; j++)
                if (isfinite(r->samples[k].v[j]))
                    bd_svg_circle(b, bd_scale(&sx, clampd(r->samples[k].v[j], lo, hi)), cy, 2.2, "none",
                                  c->bars ? "#222" : "#555");
            if (isfinite(r->lo[k]) && isfinite(r->hi[k])) {
                double a = bd_scale(&sx, clampd(r->lo[k], lo, hi)), e = bd_scale(&sx, clampd(r->hi[k], lo, hi));
                bd_svg_line(b, a, cy, e, cy, wc, 1.4, NULL);
                if (r->lo[k] < lo) clipped_end(b, a, cy, -1, wc, r->lo[k]);
                else bd_svg_line(b, a, cy - 4, a, cy + 4, wc, 1.4, NULL);
                if (r->hi[k] > hi) clipped_end(b, e, cy, 1, wc, r->hi[k]);
                else bd_svg_line(b, e, cy - 4, e, cy + 4, wc, 1.4, NULL);
            }
            if (!c->bars) bd_svg_circle(b, vx, cy, 3.5, col, "#ffffff");
            bd_svg_group_end(b);
        }
    }
    if (c->legend)
        bd_svg_legend(b, x0 + c->n_cols * col_w + (c->n_cols - 1) * gap + 16, y0, c->legend, c->n_legend, 1);
    note_line(b, 12, height - 8, c->note);
    bd_svg_end(b);
}
