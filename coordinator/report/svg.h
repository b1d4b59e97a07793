/* A small SVG writer for the report's figures: the document, text, lines,
 * boxes, paths; linear scales with "nice" ticks; axes; colour palettes and a
 * colour bar; legends.
 *
 * Why our own and not gnuplot: the report must run on any machine that has
 * bdsweep (gnuplot is not a dependency of the build, and a report that
 * silently lacks its figures where it is missing would be worse), the figures
 * must be inline SVG in a self-contained HTML file, and the five kinds of
 * figure we need (heat map, line panels, intervals, bars, curves) are a few
 * hundred lines on top of this file. Output is deterministic text, so tests
 * can parse it.
 *
 * Coordinates are SVG user units (pixels), y downwards. Text is measured
 * with an estimate (bd_svg_text_width) since there is no font engine here:
 * layouts leave room for the widest label by that estimate. */
#ifndef BD_SVG_H
#define BD_SVG_H

#include "strbuf.h"

#define BD_SVG_FONT "DejaVu Sans, Helvetica, Arial, sans-serif"

/* <svg ...> with a white background, a <title> (tooltips, screen readers)
 * and a visible title line at the top when title is not NULL. No XML
 * declaration: the caller adds one for a standalone file (bd_svg_file). */
void bd_svg_begin(BdStr *b, double w, double h, const char *title);
void bd_svg_end(BdStr *b);
/* A standalone .svg file's text: XML declaration + the element. */
void bd_svg_file(BdStr *out, const BdStr *svg);

typedef enum { BD_ANCHOR_START, BD_ANCHOR_MIDDLE, BD_ANCHOR_END } BdAnchor;

typedef struct BdTextStyle {
    double size;         /* px; 0: 11 */
    BdAnchor anchor;
    int bold;
    const char *fill;    /* NULL: #222 */
    double rotate;       /* degrees about (x, y); -90 for a y-axis label */
    int middle;          /* centre vertically on y (else y is the baseline) */
} BdTextStyle;

/* The estimated width of text at a font size (about 0.6 em per character,
 * counting UTF-8 sequences as one character). */
double bd_svg_text_width(const char *text, double size);
/* text shortened to at most max_chars characters by cutting out its middle
 * (an ellipsis marks the cut), only between words and parameters (after a
 * space, ',' or '('), never inside one: when no such cut fits, the last
 * part is kept whole even if it is longer. */
void bd_svg_shorten(const char *text, int max_chars, char *out, size_t cap);

void bd_svg_text(BdStr *b, double x, double y, const BdTextStyle *st, const char *text);
void bd_svg_line(BdStr *b, double x1, double y1, double x2, double y2, const char *stroke, double width,
                 const char *dash);
void bd_svg_rect(BdStr *b, double x, double y, double w, double h, const char *fill, const char *stroke);
void bd_svg_circle(BdStr *b, double cx, double cy, double r, const char *fill, const char *stroke);
/* A closed shape through n points (markers such as triangles). */
void bd_svg_polygon(BdStr *b, const double *x, const double *y, int n, const char *fill, const char *stroke);
/* A polyline through n points; points whose y is NaN break the line. */
void bd_svg_polyline(BdStr *b, const double *x, const double *y, int n, const char *stroke, double width,
                     const char *dash);
/* A filled band between lo and hi over x (e.g. min-max over seeds); NaN
 * points break it. */
void bd_svg_band(BdStr *b, const double *x, const double *lo, const double *hi, int n, const char *fill,
                 double opacity);
/* A <title> tooltip opened as a group: bd_svg_group_begin, shapes, bd_svg_group_end. */
void bd_svg_group_begin(BdStr *b, const char *tooltip);
void bd_svg_group_end(BdStr *b);

/* ---- scales and axes ---------------------------------------------------------- */

/* Linear map of the domain [d0, d1] onto the range [r0, r1]. */
typedef struct BdScale {
    double d0, d1, r0, r1;
} BdScale;
double bd_scale(const BdScale *s, double v);

#define BD_MAX_TICKS 16
typedef struct BdTicks {
    double v[BD_MAX_TICKS];
    int n;
    double step;
} BdTicks;

/* Round tick values (1, 2, 2.5 or 5 times a power of ten) covering [lo, hi]
 * with about `target` ticks. Widens *lo and *hi to the outer ticks when
 * `extend` is set. lo == hi is widened around the value. */
void bd_ticks(double *lo, double *hi, int target, int extend, BdTicks *t);
/* A tick value with just the decimals its step needs ("0.05", "10", "-0.2"). */
void bd_tick_label(double v, double step, char *out, size_t cap);

/* Axes: a line along the plot edge, ticks with labels and light grid lines
 * across the plot area ([plot0, plot1] in the other direction). */
void bd_svg_axis_left(BdStr *b, const BdScale *y, const BdTicks *t, double x, double plot_x1);
void bd_svg_axis_bottom(BdStr *b, const BdScale *x, const BdTicks *t, double y, double plot_y0);

/* ---- colour -------------------------------------------------------------------- */

/* Okabe-Ito categorical colours (distinguishable with colour-blindness);
 * i wraps around after 8. */
const char *bd_color_category(int i);
/* A dash pattern for series i, so that series 8..15 differ from 0..7 even
 * where colours repeat (NULL: solid). */
const char *bd_dash_category(int i);
/* Viridis at t in [0, 1] (clamped) as "#rrggbb"; out holds 8 bytes. */
void bd_color_viridis(double t, char out[8]);
/* "#fff" or "#222", whichever reads better on a "#rrggbb" background. */
const char *bd_color_text_on(const char *bg);
/* A vertical colour bar for [lo, hi] at (x, y) of size w x h, ticks on its right. */
void bd_svg_colorbar(BdStr *b, double x, double y, double w, double h, double lo, double hi, const char *label);

/* A legend: a swatch (line or box) and a name per entry, top to bottom from
 * (x, y); returns the height used. */
typedef struct BdLegendEntry {
    const char *name;
    const char *color;
    const char *dash; /* lines only */
} BdLegendEntry;
double bd_svg_legend(BdStr *b, double x, double y, const BdLegendEntry *e, int n, int boxes);
/* Width a legend needs. */
double bd_svg_legend_width(const BdLegendEntry *e, int n);

#endif
