/* Figure (e): ASR and clean accuracy against the epoch of clean fine-tuning
 * (finding 4), a row of two panels per architecture, each mean with its
 * cells beside it; the clean-accuracy panels share one range so that the
 * architectures compare by eye. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_figures.h"
#include "text.h"

enum { MAX_A = 16, MAX_S = 24 };

int rep_fig_persistence(Rep *r, RepFigure *fig) {
    sqlite3_stmt *st;
    if (rep_prepare(r,
                    "SELECT arch, trigger, poison_rate, epoch, asr, clean_acc, baseline_asr, seed FROM persistence "
                    "WHERE " REP_DONE_CELL " AND poison_rate > 0 ORDER BY cell_id, epoch",
                    &st) < 0)
        return -1;
    Names archs = {0}, series_names = {0}, seeds = {0};
    Pts asr[MAX_A][MAX_S], acc[MAX_A][MAX_S];
    memset(asr, 0, sizeof asr), memset(acc, 0, sizeof acc);
    double base_sum[MAX_A] = {0};
    int base_n[MAX_A] = {0}, rc, rows = 0, dropped = 0;
    while ((rc = rep_step(r, st)) == SQLITE_ROW) {
        char name[1200];
        if (r->varies[BD_AXIS_TRIGGER] > 1)
            bd_text_format(name, sizeof name, "%s \xC2\xB7 rate %g", rep_text(st, 1), sqlite3_column_double(st, 2));
        else bd_text_format(name, sizeof name, "rate %g", sqlite3_column_double(st, 2));
        int a = names_add(&archs, rep_text(st, 0)), s = names_add(&series_names, name);
        names_add(&seeds, rep_text(st, 7));
        rows++;
        if (a >= MAX_A || s >= MAX_S) {
            dropped++;
            continue;
        }
        double e = sqlite3_column_int(st, 3);
        if (isfinite(rep_double(st, 4))) vals_add(pts_at(&asr[a][s], e), rep_double(st, 4));
        if (isfinite(rep_double(st, 5))) vals_add(pts_at(&acc[a][s], e), rep_double(st, 5));
        if (isfinite(rep_double(st, 6))) base_sum[a] += rep_double(st, 6), base_n[a]++;
    }
    int status = rc < 0 ? -1 : 0;
    if (rc >= 0) sqlite3_finalize(st);
    if (status == 0 && rows == 0)
        rep_placeholder(fig, "no poisoned cell with retraining is done (add retrain: {fraction: 0.05, epochs: 5}).");
    int n_arch = archs.n < MAX_A ? archs.n : MAX_A, n_ser = series_names.n < MAX_S ? series_names.n : MAX_S;
    if (status == 0 && rows > 0) {
        BdLinePanel *panels = bd_xcalloc((size_t)(2 * n_arch), sizeof *panels);
        BdSeries *series = bd_xcalloc((size_t)(2 * n_arch * n_ser), sizeof *series);
        char(*titles)[600] = bd_xcalloc((size_t)(2 * n_arch), sizeof *titles);
        int lo = 1 << 30, hi = 0;
        for (int a = 0; a < n_arch; a++) {
            int ns = 0;
            BdSeries *sa = series + (size_t)(2 * a) * n_ser, *sc = sa + n_ser;
            for (int s = 0; s < n_ser; s++) {
                if (!asr[a][s].n && !acc[a][s].n) continue;
                pts_finish(&asr[a][s]), pts_finish(&acc[a][s]);
                pts_counts(&asr[a][s], &lo, &hi);
                Pts *p = &asr[a][s], *q = &acc[a][s];
                sa[ns] = (BdSeries){.name = series_names.v[s], .color = s, .n = p->n, .x = p->x, .y = p->y,
                                    .lo = p->lo, .hi = p->hi, .samples = p->samples};
                sc[ns] = (BdSeries){.name = series_names.v[s], .color = s, .n = q->n, .x = q->x, .y = q->y,
                                    .lo = q->lo, .hi = q->hi, .samples = q->samples};
                ns++;
            }
            bd_text_format(titles[2 * a], sizeof titles[0], "%s: ASR", archs.v[a]);
            bd_text_format(titles[2 * a + 1], sizeof titles[0], "%s: clean accuracy", archs.v[a]);
            double ref = base_n[a] ? base_sum[a] / base_n[a] + 0.05 : NAN;
            panels[2 * a] = (BdLinePanel){.title = titles[2 * a], .y_label = "ASR", .y_lo = 0, .y_hi = 1,
                                          .series = sa, .n_series = ns, .ref_y = ref,
                                          .ref_label = "baseline + 0.05"};
            /* Left to the data, shared by every clean-accuracy panel (same y label). */
            panels[2 * a + 1] = (BdLinePanel){.title = titles[2 * a + 1], .y_label = "clean accuracy", .y_lo = NAN,
                                              .y_hi = NAN, .series = sc, .n_series = ns, .ref_y = NAN};
        }
        char over[600], note[800], count[64];
        rep_mean_over(r, AXIS_BIT(BD_AXIS_ARCH) | AXIS_BIT(BD_AXIS_TRIGGER) | AXIS_BIT(BD_AXIS_POISON_RATE), over,
                      sizeof over);
        rep_count_phrase(lo, hi, "cell", "cells", count, sizeof count);
        bd_text_format(note, sizeof note,
                       "epoch 0: end of training; line: %s; band: min to max; circles: the cells behind each point "
                       "(%s, from %d %s)",
                       over, count, seeds.n, seeds.n == 1 ? "seed" : "seeds");
        BdLineChart c = {.title = fig->title, .x_label = "retraining epoch", .x_integer = 1, .panels = panels,
                         .n_panels = 2 * n_arch, .columns = 2, .note = note};
        bd_chart_lines(&fig->svg, &c);
        bd_str_printf(&fig->caption,
                      "Finding 4: ASR and clean accuracy of the poisoned cells against the epoch of clean fine-tuning "
                      "(epoch 0 is the end of the main training), a line per %s, a row of panels per architecture; "
                      "%s (%s behind each point, from %d %s, drawn as circles), the band spans the minimum to the "
                      "maximum; the clean-accuracy panels share one scale. The dashed line is the mean baseline ASR + 0.05: a "
                      "backdoor counts as neutralised when its ASR stays below it from some epoch through the "
                      "last.%s",
                      r->varies[BD_AXIS_TRIGGER] > 1 ? "trigger and poison rate" : "poison rate", over, count, seeds.n,
                      seeds.n == 1 ? "seed" : "seeds",
                      dropped ? " Some architectures or series beyond the first 16 / 24 are not drawn." : "");
        fig->has_data = 1;
        free(titles), free(series), free(panels);
    }
    for (int a = 0; a < MAX_A; a++)
        for (int s = 0; s < MAX_S; s++) pts_free(&asr[a][s]), pts_free(&acc[a][s]);
    names_free(&archs), names_free(&series_names), names_free(&seeds);
    return status;
}
