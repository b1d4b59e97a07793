/* The report's tables: the numbers behind each finding, one row per
 * condition. Axis columns that hold a single value in the database are left
 * out of the report's tables (the header of the report names them); the CSV
 * files of the full views keep every column. */
#include <stdio.h>
#include <string.h>

#include "report_internal.h"
#include "text.h"

/* The axis columns to show: those that vary, plus `always`, minus `skip`, in
 * axis order, comma-separated (with a trailing ", " when not empty). */
static void axis_columns(const Rep *r, unsigned always, unsigned skip, char *out, size_t cap) {
    size_t o = 0;
    out[0] = '\0';
    for (int a = 0; a < BD_AXIS_COUNT && o < cap; a++)
        if ((r->varies[a] > 1 || (always & AXIS_BIT(a))) && !(skip & AXIS_BIT(a)))
            o += (size_t)snprintf(out + o, cap - o, "%s, ", bd_axes()[a].name);
}

int rep_tables(Rep *r) {
    char cols[512], sql[4096];
    const unsigned seed = AXIS_BIT(BD_AXIS_SEED);
    const unsigned core = AXIS_BIT(BD_AXIS_ARCH) | AXIS_BIT(BD_AXIS_TRIGGER) | AXIS_BIT(BD_AXIS_POISON_RATE);

    if (rep_table_query(r, "cells_by_status", "Cells by status", NULL, 1,
                        "SELECT s.status, COUNT(c.id) AS cells FROM (SELECT 'pending' AS status, 1 AS o UNION ALL "
                        "SELECT 'running', 2 UNION ALL SELECT 'done', 3 UNION ALL SELECT 'failed', 4) s "
                        "LEFT JOIN cells c ON c.status = s.status AND c.kind = 'cell' GROUP BY s.status ORDER BY s.o") <
        0)
        return -1;
    if (r->counts[3] &&
        rep_table_query(r, "failures", "Failed cells by error",
                        "Re-run them with bdsweep run SWEEP.yaml --retry-failed once the cause is fixed.", 1,
                        "SELECT error, COUNT(*) AS cells, MIN(key) AS example_cell FROM cells "
                        "WHERE status = 'failed' GROUP BY error ORDER BY cells DESC, error") < 0)
        return -1;

    axis_columns(r, core, seed, cols, sizeof cols);
    snprintf(sql, sizeof sql,
             "SELECT %sCOUNT(*) AS seeds, AVG(asr) AS asr, MIN(asr) AS asr_min, MAX(asr) AS asr_max, "
             "  AVG(clean_acc) AS clean_acc, AVG(triggered_acc) AS triggered_acc, AVG(baseline_asr) AS baseline_asr "
             "FROM cell_results WHERE status = 'done' AND asr IS NOT NULL "
             "GROUP BY condition ORDER BY %s MIN(cell_id)",
             cols, cols);
    if (rep_table_query(r, "asr_by_condition", "Attack success by condition (finding 1)",
                        "Mean, minimum and maximum over the seeds of each condition; done cells only.", 1, sql) < 0)
        return -1;

    axis_columns(r, core, seed, cols, sizeof cols);
    snprintf(sql, sizeof sql,
             "SELECT %sn_poisoned, n_clean, n_pairs, interval, interval_diff, interval_low, interval_high, "
             "  interval_detectable, clean_acc_poisoned, clean_acc_clean, clean_acc_diff, ci_low, ci_high, detectable, "
             "  asr_poisoned, asr_clean FROM detection ORDER BY %s 1",
             cols, cols);
    if (rep_table_query(r, "detection", "Detection by clean accuracy (finding 2)",
                        "interval: the 95% interval the verdict uses, 'paired' (n_pairs seeds, each poisoned cell "
                        "minus the baseline of its own seed) or 'welch' (the poisoned seeds against all the baseline "
                        "seeds, for cells not on paired streams); interval_diff..interval_high its difference and "
                        "bounds (poisoned minus clean), interval_detectable = 1 when it excludes 0. clean_acc_diff, "
                        "ci_low..ci_high and detectable are Welch's, over every seed.",
                        1, sql) < 0)
        return -1;

    axis_columns(r, core | AXIS_BIT(BD_AXIS_REGULARIZER), seed, cols, sizeof cols);
    snprintf(sql, sizeof sql,
             "SELECT %sn_seeds, paired_streams, asr_none, asr_regularized, asr_change, asr_change_ci_low, "
             "  asr_change_ci_high, clean_acc_none, clean_acc_regularized, clean_acc_change, "
             "  clean_acc_change_ci_low, clean_acc_change_ci_high FROM regularizer_effect ORDER BY %s 1",
             cols, cols);
    if (rep_table_query(r, "regularizer_effect", "Effect of regularization (finding 3)",
                        "Each regularized cell paired by seed with its regularizer-none cell; changes are "
                        "regularized minus none: the mean over the paired seeds and its paired 95% interval "
                        "(ci_low..ci_high; none with one seed).",
                        1, sql) < 0)
        return -1;

    axis_columns(r, core | AXIS_BIT(BD_AXIS_RETRAIN), seed, cols, sizeof cols);
    char took[256], note[512];
    rep_took_hold_sql(r, took, sizeof took);
    snprintf(sql, sizeof sql,
             "SELECT %sCOUNT(*) AS cells, MAX(retrain_epochs) AS retrain_epochs, AVG(asr) AS asr_before, "
             "  AVG(asr_after_retrain) AS asr_after, AVG(clean_acc) AS clean_acc_before, "
             "  AVG(clean_acc_after_retrain) AS clean_acc_after, AVG(baseline_asr) AS baseline_asr, "
             "  SUM(%s) AS took_hold, SUM(%s AND retrain_epochs_to_neutralise IS NOT NULL) AS neutralised, "
             "  AVG(retrain_epochs_to_neutralise) AS epochs_to_neutralise "
             "FROM cell_results WHERE status = 'done' AND poison_rate > 0 AND retrain <> 'none' "
             "  AND retrain_epochs IS NOT NULL GROUP BY condition ORDER BY %s MIN(cell_id)",
             cols, took, took, cols);
    bd_text_format(note, sizeof note,
                   "Means over seeds before and after retraining; took_hold: cells whose ASR was at least %g above "
                   "the baseline's at the end of training; neutralised: of those, the ones whose ASR stayed within "
                   "0.05 of the baseline's from some retraining epoch through the last.",
                   r->o->took_hold);
    if (rep_table_query(r, "persistence_summary", "Persistence under clean fine-tuning (finding 4)", note, 1, sql) < 0)
        return -1;

    if (r->o->csv) {
        if (rep_table_query(r, "cell_results", "Every cell", NULL, 0,
                            "SELECT * FROM cell_results ORDER BY cell_id") < 0 ||
            rep_table_query(r, "persistence", "Persistence curves", NULL, 0,
                            "SELECT * FROM persistence ORDER BY cell_id, epoch") < 0)
            return -1;
    }
    return 0;
}
