/* bdsweep report PATH.db --out DIR [--csv] [--sweep NAME] [--equivalence-margin
 * M] [--took-hold H]: the paper's four
 * findings for a results database, as a self-contained HTML page, a Markdown
 * file with SVG figures, and (--csv) CSV tables. coordinator/report/ builds
 * it; this file reads the command line and prints the summary. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "db/db.h"
#include "exit_status.h"
#include "report.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: bdsweep report PATH.db --out DIR [--csv] [--sweep NAME] [--previews N | --no-previews]\n"
            "                      [--equivalence-margin M] [--took-hold H]\n"
            "\n"
            "Answers the paper's four questions for a results database, with the numbers\n"
            "for and against each:\n"
            "  1. does attack success vary widely with architecture, trigger, regularizer?\n"
            "  2. is a poisoned model hard to detect by its clean accuracy alone?\n"
            "  3. does regularization usually lower attack success, but not always?\n"
            "  4. do a few epochs of clean fine-tuning neutralise the backdoor?\n"
            "Each ends in a verdict: supports, partly supports, contradicts or cannot tell\n"
            "(results/README.md, \"How each finding is judged\", states every rule); a\n"
            "finding the data cannot decide says so, and what to add to the sweep (how\n"
            "many seeds, for instance).\n"
            "Works on a partial database (pending, running or failed cells) and says\n"
            "what is missing. Reads the database in one transaction: a report made\n"
            "while a run writes shows one consistent moment. Works on read-only\n"
            "storage and on a --publish snapshot.\n"
            "\n"
            "Writes into DIR (created if needed; files of the same names are replaced):\n"
            "  index.html            self-contained page: findings, figures (inline SVG),\n"
            "                        trigger previews (inline PNG), tables; no network,\n"
            "                        no JavaScript\n"
            "  report.md             the same in Markdown, linking the files below\n"
            "  fig-a-asr-heatmap.svg         mean ASR by architecture x trigger, per rate\n"
            "  fig-b-asr-vs-rate.svg         ASR against poison rate, per architecture\n"
            "  fig-c-detection.svg           clean accuracy, poisoned - clean, 95%% CI\n"
            "  fig-d-regularizer-effect.svg  change in ASR and clean accuracy per regularizer\n"
            "  fig-e-persistence.svg         ASR and clean accuracy per retraining epoch\n"
            "  preview-<trigger>.png clean vs triggered test images, per trigger (when its\n"
            "                        dataset loads on this machine; else the report says so)\n"
            "  <table>.csv           with --csv: every table, plus cell_results.csv and\n"
            "                        persistence.csv (full precision)\n"
            "  cells.csv             with --csv: one row per cell, the columns of\n"
            "                        cell_results then one per parameter of the axis\n"
            "                        values (trigger.size, regularizer.weight, ...),\n"
            "                        defaults filled in: for pandas.read_csv\n"
            "\n"
            "options:\n"
            "  --out DIR        the report's folder (required)\n"
            "  --csv            also write the tables as CSV files\n"
            "  --sweep NAME     only the cells of the sweep(s) named NAME, as if the\n"
            "                   database held nothing else\n"
            "  --previews N     test images per trigger preview (default 8)\n"
            "  --no-previews    do not load datasets for the trigger previews\n"
            "  --equivalence-margin M\n"
            "                   the clean-accuracy difference that does not matter\n"
            "                   (default %g): finding 2 supports \"hard to detect\" only\n"
            "                   where a group's 95%% interval lies within +-M, and\n"
            "                   finding 4 allows retraining to cost at most M\n"
            "  --took-hold H    finding 4 counts a backdoor as taken hold when its ASR\n"
            "                   is at least H above its baseline's (default %g)\n"
            "\n"
            "At the end it prints the path of index.html and the four findings, one line\n"
            "each. The numbers come from the views cell_results, detection,\n"
            "regularizer_effect and persistence (results/README.md documents them).\n"
            "\n"
            "exit status: 0; 1 when the report cannot be written; 2 when the command\n"
            "line is wrong, or the database is missing, damaged or not bdsweep's.\n",
            BD_REPORT_EQUIVALENCE_MARGIN, BD_REPORT_TOOK_HOLD);
}

static int bad(const char *msg, const char *arg) {
    fprintf(stderr, "bdsweep report: %s%s%s%s\nhint: bdsweep report PATH.db --out DIR (bdsweep report --help)\n", msg,
            arg ? " '" : "", arg ? arg : "", arg ? "'" : "");
    return BD_EXIT_USAGE;
}

/* The value of option `name` at argv[*i] ("--out DIR" or "--out=DIR"); NULL
 * when argv[*i] is another argument. *missing is set when the value is absent. */
static const char *option(int argc, char **argv, int *i, const char *name, int *missing) {
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n)) return NULL;
    if (argv[*i][n] == '=') return argv[*i] + n + 1;
    if (argv[*i][n]) return NULL;
    if (*i + 1 >= argc) {
        *missing = 1;
        return NULL;
    }
    return argv[++*i];
}

/* A number in (lo, hi), or (lo, hi] with hi_included. */
static int real_in(const char *text, double lo, double hi, int hi_included, double *out) {
    char *end;
    double v = strtod(text, &end);
    if (end == text || *end || !(v > lo) || v > hi || (!hi_included && v == hi)) return -1;
    *out = v;
    return 0;
}

int bd_cmd_report(int argc, char **argv) {
    const char *path = NULL, *out = NULL, *sweep = NULL, *v;
    int csv = 0, previews = 8;
    double margin = BD_REPORT_EQUIVALENCE_MARGIN, took_hold = BD_REPORT_TOOK_HOLD;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int missing = 0;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--csv")) csv = 1;
        else if (!strcmp(a, "--no-previews")) previews = 0;
        else if ((v = option(argc, argv, &i, "--out", &missing))) out = v;
        else if ((v = option(argc, argv, &i, "--sweep", &missing))) sweep = v;
        else if ((v = option(argc, argv, &i, "--previews", &missing))) {
            char *end;
            long n = strtol(v, &end, 10);
            if (end == v || *end || n < 1 || n > 64) return bad("--previews needs a count from 1 to 64, got", v);
            previews = (int)n;
        } else if ((v = option(argc, argv, &i, "--equivalence-margin", &missing))) {
            if (real_in(v, 0, 1, 0, &margin) < 0)
                return bad("--equivalence-margin needs an accuracy difference above 0 and below 1, got", v);
        } else if ((v = option(argc, argv, &i, "--took-hold", &missing))) {
            if (real_in(v, 0, 1, 1, &took_hold) < 0) return bad("--took-hold needs an ASR above 0, at most 1, got", v);
        } else if (missing) {
            fprintf(stderr, "bdsweep report: %s needs a value\nhint: bdsweep report --help\n", a);
            return BD_EXIT_USAGE;
        } else if (a[0] == '-' && a[1]) {
            return bad("unknown option", a);
        } else if (path) {
            fprintf(stderr, "bdsweep report: one database expected, got '%s' and '%s'\nhint: bdsweep report --help\n",
                    path, a);
            return BD_EXIT_USAGE;
        } else {
            path = a;
        }
    }
    if (!path) return bad("missing the database", NULL);
    if (!out) return bad("missing --out DIR, the folder to write the report into", NULL);
    if (!*out) return bad("--out needs a folder name", NULL);

    BdDb *db;
    BdError err = {0};
    if (bd_db_open_read(path, &db, &err) < 0) {
        fprintf(stderr, "bdsweep report: %s\n", err.msg);
        return BD_EXIT_USAGE;
    }
    BdReportOptions o = {out, sweep, csv, previews, margin, took_hold};
    BdReportSummary s;
    int rc = bd_report_write(db, &o, &s, &err);
    bd_db_close(db);
    if (rc < 0) {
        fprintf(stderr, "bdsweep report: %s\n", err.msg);
        /* A sweep name that is not in the database is a wrong argument. */
        return sweep && strstr(err.msg, "no sweep named") ? 2 : 1;
    }
    printf("report: %s\n", s.index_path);
    printf("  %d figures, %d tables, %d trigger preview%s", s.figures, s.tables, s.previews,
           s.previews == 1 ? "" : "s");
    if (s.preview_failures) printf(" (%d could not be made: see the report)", s.preview_failures);
    printf("\n");
    for (int i = 0; i < BD_FINDINGS; i++) printf("%s\n", s.headline[i]);
    if (fflush(stdout) != 0) {
        perror("bdsweep report");
        return BD_EXIT_FAILED;
    }
    return 0;
}
