/* The report's figures (a)-(e), from the views, drawn with chart.h; one
 * file per kind (report_fig_*.c), the collections they share here. A figure
 * without data is still written, with a sentence saying what is missing, so
 * that report.md's links never break. Every figure shows the seeds behind
 * its means (as marks beside them, or a range and ticks in a heat-map
 * cell), says how many there are, keeps its axes within the metric's range
 * (an accuracy in [0, 1], a difference of two in [-1, 1]) and shares one
 * range between panels that are compared. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_figures.h"
#include "text.h"

int names_add(Names *l, const char *s) {
    for (int i = 0; i < l->n; i++)
        if (!strcmp(l->v[i], s)) return i;
    l->v = bd_xrealloc(l->v, sizeof *l->v * (size_t)(l->n + 1));
    l->v[l->n] = bd_xstrdup(s);
    return l->n++;
}

void names_free(Names *l) {
    for (int i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
    *l = (Names){0};
}

void vals_add(Vals *l, double v) {
    if (l->n == l->cap) l->v = bd_xrealloc(l->v, sizeof *l->v * (size_t)(l->cap = l->cap ? 2 * l->cap : 4));
    l->v[l->n++] = v;
}

void vals_free(Vals *l) {
    free(l->v);
    *l = (Vals){0};
}

Vals *pts_at(Pts *p, double x) {
    for (int i = 0; i < p->n; i++)
        if (p->x[i] == x) return &p->vals[i];
    if (p->n == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 8;
        p->x = bd_xrealloc(p->x, sizeof *p->x * (size_t)p->cap);
        p->vals = bd_xrealloc(p->vals, sizeof *p->vals * (size_t)p->cap);
    }
    p->x[p->n] = x;
    p->vals[p->n] = (Vals){0};
    return &p->vals[p->n++];
}

void pts_finish(Pts *p) {
    /* Insertion sort by x (series have a handful of points). */
    for (int i = 1; i < p->n; i++)
        for (int j = i; j > 0 && p->x[j - 1] > p->x[j]; j--) {
            double t = p->x[j];
            Vals v = p->vals[j];
            p->x[j] = p->x[j - 1], p->vals[j] = p->vals[j - 1];
            p->x[j - 1] = t, p->vals[j - 1] = v;
        }
    p->y = bd_xcalloc((size_t)p->n + 1, sizeof *p->y);
    p->lo = bd_xcalloc((size_t)p->n + 1, sizeof *p->lo);
    p->hi = bd_xcalloc((size_t)p->n + 1, sizeof *p->hi);
    p->samples = bd_xcalloc((size_t)p->n + 1, sizeof *p->samples);
    for (int i = 0; i < p->n; i++) {
        const Vals *v = &p->vals[i];
        double sum = 0, lo = INFINITY, hi = -INFINITY;
        for (int k = 0; k < v->n; k++) sum += v->v[k], lo = fmin(lo, v->v[k]), hi = fmax(hi, v->v[k]);
        p->y[i] = v->n ? sum / v->n : NAN;
        p->lo[i] = v->n ? lo : NAN, p->hi[i] = v->n ? hi : NAN;
        p->samples[i] = (BdSamples){v->n, v->v};
    }
}

void pts_counts(const Pts *p, int *lo, int *hi) {
    for (int i = 0; i < p->n; i++) {
        if (p->vals[i].n < *lo) *lo = p->vals[i].n;
        if (p->vals[i].n > *hi) *hi = p->vals[i].n;
    }
}

void pts_free(Pts *p) {
    for (int i = 0; i < p->n; i++) vals_free(&p->vals[i]);
    free(p->x), free(p->y), free(p->lo), free(p->hi), free(p->vals), free(p->samples);
    *p = (Pts){0};
}

void rep_placeholder(RepFigure *fig, const char *why) {
    bd_svg_begin(&fig->svg, 640, 110, fig->title);
    BdTextStyle st = {.size = 12, .fill = "#777"};
    bd_svg_text(&fig->svg, 16, 66, &st, why);
    bd_svg_end(&fig->svg);
    bd_str_printf(&fig->caption, "No figure: %s", why);
    fig->has_data = 0;
}

void rep_mean_over(const Rep *r, unsigned shown, char *out, size_t cap) {
    char names[512];
    rep_varying_names(r, shown | AXIS_BIT(BD_AXIS_SEED), names, sizeof names);
    if (names[0]) bd_text_format(out, cap, "mean over seeds and over %s (averaged together)", names);
    else bd_text_format(out, cap, "mean over seeds");
}

int rep_figures(Rep *r) {
    static const char *const files[REP_FIGURES] = {"fig-a-asr-heatmap.svg", "fig-b-asr-vs-rate.svg",
                                                   "fig-c-detection.svg", "fig-d-regularizer-effect.svg",
                                                   "fig-e-persistence.svg"};
    static const char *const titles[REP_FIGURES] = {
        "(a) Mean ASR by architecture and trigger, with the seeds' range",
        "(b) ASR against poison rate",
        "(c) Clean accuracy: poisoned minus clean baseline, 95% intervals",
        "(d) Effect of regularization on ASR and clean accuracy, paired 95% intervals",
        "(e) Persistence: ASR and clean accuracy during clean fine-tuning",
    };
    int (*const draw[REP_FIGURES])(Rep *, RepFigure *) = {rep_fig_heatmap, rep_fig_asr_rate, rep_fig_detection,
                                                         rep_fig_regularizers, rep_fig_persistence};
    for (int i = 0; i < REP_FIGURES; i++) {
        r->fig[i].file = files[i];
        r->fig[i].title = titles[i];
        if (draw[i](r, &r->fig[i]) < 0) return -1;
    }
    return 0;
}
