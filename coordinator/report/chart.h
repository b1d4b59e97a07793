/* The report's kinds of figure, drawn with svg.h. Each function appends one
 * complete <svg> element to out; NaN marks a missing value (drawn as such,
 * never as 0). Labels longer than the layout allows are shortened with an
 * ellipsis; the full text stays in a tooltip.
 *
 *   heat map       panels of rows x columns of values in [lo, hi] (viridis),
 *                  each cell annotated with its value and, given the
 *                  values behind it, their range and a tick per value
 *   line panels    a grid of panels sharing an x axis, series with an
 *                  optional band (min-max or +-sd) and the values behind
 *                  each point as small marks, one legend; panels with the
 *                  same y label and no fixed range share one range
 *   intervals      a row per item, one or two columns of a value with an
 *                  interval (dot and whiskers, or bar and whiskers) and the
 *                  values behind it, a reference line at 0; the axis can be
 *                  limited to the metric's range, an interval cut there ends
 *                  in a triangle
 *
 * Every figure that summarises replicates (seeds) is given them (BdSamples)
 * so that a mean never hides how much they disagree. */
#ifndef BD_CHART_H
#define BD_CHART_H

#include "strbuf.h"
#include "svg.h"

/* The values behind one plotted number (one per seed). */
typedef struct BdSamples {
    int n;
    const double *v;
} BdSamples;

typedef struct BdHeatPanel {
    const char *title;
    int rows, cols;
    const char *const *row_labels, *const *col_labels;
    const double *values; /* [rows][cols], NaN: no data */
    const char *const *tooltips; /* [rows][cols] or NULL */
    const BdSamples *samples;    /* [rows][cols] or NULL */
} BdHeatPanel;

typedef struct BdHeatmap {
    const char *title;
    const char *row_title, *col_title; /* "architecture", "trigger" */
    const char *value_label;           /* colour bar label: "ASR" */
    double lo, hi;
    const BdHeatPanel *panels;
    int n_panels;
    const char *note; /* a line under the plot; may be NULL */
} BdHeatmap;

void bd_chart_heatmap(BdStr *out, const BdHeatmap *h);

typedef struct BdSeries {
    const char *name; /* legend entry; series of one name share a colour */
    int color;        /* bd_color_category index */
    int n;
    const double *x, *y;
    const double *lo, *hi; /* band; NULL: none */
    const BdSamples *samples; /* [n], the values behind each point; NULL: none */
} BdSeries;

typedef struct BdLinePanel {
    const char *title;
    const char *y_label;
    double y_lo, y_hi; /* NaN: from the data, shared by the panels of the same y_label */
    const BdSeries *series;
    int n_series;
    /* A dashed horizontal reference line (e.g. a baseline); NaN: none. */
    double ref_y;
    const char *ref_label;
} BdLinePanel;

typedef struct BdLineChart {
    const char *title;
    const char *x_label;
    int x_integer; /* x ticks at whole numbers (epochs) */
    const BdLinePanel *panels;
    int n_panels, columns; /* panels per row */
    const char *note;      /* a line under the plot ("band: min-max over seeds") */
} BdLineChart;

void bd_chart_lines(BdStr *out, const BdLineChart *c);

typedef struct BdIntervalRow {
    const char *label;
    double v[2], lo[2], hi[2]; /* lo/hi NaN: no interval */
    int color;                 /* bd_color_category index; -1: gray (e.g. untested) */
    const char *tooltip;
    BdSamples samples[2];      /* the values behind v, per column; n 0: none */
} BdIntervalRow;

typedef struct BdIntervalChart {
    const char *title;
    const char *col_titles[2]; /* x-axis labels of the columns */
    int n_cols;                /* 1 or 2 */
    int bars;                  /* bars from 0 to v; else a dot */
    const BdIntervalRow *rows;
    int n_rows;
    const BdLegendEntry *legend; /* NULL: no legend */
    int n_legend;
    const char *note;
    /* > 0: the axes end at -clip and +clip at most (a difference of two
     * accuracies lies in [-1, 1]); an interval beyond ends in a triangle. */
    double clip;
    /* > 0: a shaded band [-margin, +margin] in that column, the differences
     * too small to matter (a verdict's margin). */
    double margin[2];
} BdIntervalChart;

void bd_chart_intervals(BdStr *out, const BdIntervalChart *c);

#endif
