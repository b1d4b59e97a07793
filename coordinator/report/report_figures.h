/* Shared by the report's figures (report_fig_*.c): small collections that
 * gather the cells behind each plotted mean, and what every figure says. */
#ifndef BD_REPORT_FIGURES_H
#define BD_REPORT_FIGURES_H

#include "chart.h"
#include "report_internal.h"

#define REP_DONE_CELL "status = 'done'"
/* At most this many rows in the interval figures; the tables have them all. */
#define REP_MAX_FIGURE_ROWS 80

/* Distinct names in order of appearance. */
typedef struct Names {
    char **v;
    int n;
} Names;
int names_add(Names *l, const char *s); /* its index, adding it when absent */
void names_free(Names *l);

/* A growable list of numbers (the seeds behind one point). */
typedef struct Vals {
    double *v;
    int n, cap;
} Vals;
void vals_add(Vals *l, double v);
void vals_free(Vals *l);

/* The points of a series: at each x, the values of the cells there
 * (vals_add through pts_at), then pts_finish: sorted by x, y the mean, lo
 * and hi the lowest and highest value, and the BdSamples that the chart
 * draws beside the mean. */
typedef struct Pts {
    double *x, *y, *lo, *hi;
    Vals *vals;
    BdSamples *samples;
    int n, cap;
} Pts;
Vals *pts_at(Pts *p, double x);
void pts_finish(Pts *p);
void pts_free(Pts *p);
/* The fewest and most values behind a point of the series, folded into *lo, *hi. */
void pts_counts(const Pts *p, int *lo, int *hi);

/* A figure without data: a sentence saying what is missing. */
void rep_placeholder(RepFigure *fig, const char *why);
/* "mean over seeds" or "mean over seeds and over regularizers, strategies
 * (averaged together)": what a plotted mean averages besides the axes shown. */
void rep_mean_over(const Rep *r, unsigned shown, char *out, size_t cap);

int rep_fig_heatmap(Rep *r, RepFigure *fig);       /* (a) report_fig_asr.c */
int rep_fig_asr_rate(Rep *r, RepFigure *fig);      /* (b) report_fig_asr.c */
int rep_fig_detection(Rep *r, RepFigure *fig);     /* (c) report_fig_effects.c */
int rep_fig_regularizers(Rep *r, RepFigure *fig);  /* (d) report_fig_effects.c */
int rep_fig_persistence(Rep *r, RepFigure *fig);   /* (e) report_fig_retrain.c */

#endif
