/* bdsweep report: the paper's four findings (docs/EXPERIMENT.md section 1) answered
 * for one results database, with figures and tables.
 *
 * Writes into out_dir:
 *   index.html   self-contained (inline SVG, PNG previews as data: URIs, no
 *                script, no network)
 *   report.md    the same text, linking the figure files below
 *   fig-a-asr-heatmap.svg, fig-b-asr-vs-rate.svg, fig-c-detection.svg,
 *   fig-d-regularizer-effect.svg, fig-e-persistence.svg
 *   preview-<trigger>.png  a clean-vs-triggered grid per distinct
 *                (dataset, trigger), when the dataset loads on this machine
 *   *.csv        with csv set: every table of the report, plus cell_results
 *                and persistence in full
 * Works on an empty or a partial database (pending, running, failed cells)
 * and says what is missing. */
#ifndef BD_REPORT_H
#define BD_REPORT_H

#include "db/db.h"
#include "error.h"

/* The thresholds of the verdicts that a user may set (results/README.md,
 * "How each finding is judged"); the defaults are the report's. */
#define BD_REPORT_EQUIVALENCE_MARGIN 0.02 /* accuracy: a difference within it does not matter */
#define BD_REPORT_TOOK_HOLD 0.5           /* ASR above the baseline's by this much: the backdoor took hold */

typedef struct BdReportOptions {
    const char *out_dir;
    const char *sweep; /* only the cells of the sweep(s) of this name; NULL: every cell */
    int csv;
    int preview_n; /* images per trigger preview; 0: no previews */
    /* Finding 2: a clean-accuracy difference whose 95% interval lies within
     * +-this is shown not to matter; finding 4: the clean-accuracy cost of
     * retraining allowed. In (0, 1). */
    double equivalence_margin;
    double took_hold; /* finding 4, in (0, 1] */
} BdReportOptions;

enum { BD_FINDINGS = 4 };

typedef struct BdReportSummary {
    char index_path[4096];
    char headline[BD_FINDINGS][1024]; /* one line per finding, for the terminal */
    int figures, previews, preview_failures, tables;
} BdReportSummary;

/* Builds the report from the open database. Errors (the sweep name is not in
 * the database, a file cannot be written) fill err; a dataset that cannot
 * be loaded is not an error, the report says so instead. */
int bd_report_write(BdDb *db, const BdReportOptions *o, BdReportSummary *out, BdError *err);

/* ---- trigger previews (also `bdsweep preview`) ----------------------------------- */

/* A file name made from canonical text: letters, digits, '.', '-' and '_'
 * kept, '=' -> '-', every other run of characters -> one '_', trailing '_'
 * dropped; long texts are cut and end with a hash of the full text so that
 * names stay distinct. "square(location=top-left,size=4)" ->
 * "square_location-top-left_size-4". */
void bd_safe_filename(const char *text, char *out, size_t cap);
/* The stem of a preview file: the trigger's safe name, or (dataset given,
 * for sweeps with several datasets) "<dataset>__<trigger>". */
void bd_preview_filename(const char *dataset, const char *trigger, char *out, size_t cap);

/* Loads a dataset and writes a preview PNG of a trigger on it. The dataset is
 * given and cached by its canonical text: pass the same BdPreviewCache to
 * reuse a loaded dataset across triggers. Errors name the dataset (or the
 * trigger) and why. */
typedef struct BdPreviewCache BdPreviewCache;
BdPreviewCache *bd_preview_cache_new(void);
void bd_preview_cache_free(BdPreviewCache *c);
int bd_preview_trigger(BdPreviewCache *c, const char *dataset_text, const char *trigger_text, const char *png_path,
                       int n, BdError *err);

#endif
