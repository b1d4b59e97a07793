/* Shared by the files of the report: its state, tables, query helpers. */
#ifndef BD_REPORT_INTERNAL_H
#define BD_REPORT_INTERNAL_H

#include <sqlite3.h>

#include "axes.h"
#include "cell.h"
#include "report.h"
#include "strbuf.h"

/* ---- tables -------------------------------------------------------------------- */

typedef struct RepValue {
    int type; /* SQLITE_NULL, SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT */
    long long i;
    double d;
    char *s;
} RepValue;

typedef struct RepTable {
    char id[64];     /* CSV file stem and HTML anchor */
    char title[256];
    char *note;      /* a sentence under the title; may be NULL */
    int in_report;   /* 0: CSV only (the full cell list) */
    int ncol;
    char **cols;
    int nrow, cap;
    RepValue *v; /* [nrow][ncol] */
} RepTable;

/* A value for people: integers as is, reals with 4 decimals unless they are
 * round at 4 decimals ("0.05", "1"), NULL as `null_text`. */
void rep_value_text(const RepValue *v, const char *null_text, char *out, size_t cap);

/* ---- findings, figures, previews ---------------------------------------------------- */

typedef enum { VERDICT_NONE, VERDICT_SUPPORTS, VERDICT_PARTLY, VERDICT_CONTRADICTS, VERDICT_CANNOT_TELL } RepVerdict;
const char *rep_verdict_text(RepVerdict v);

typedef struct RepFinding {
    const char *claim;  /* the paper's finding */
    RepVerdict verdict;
    BdStr text;         /* the numbers, as sentences */
    BdStr advice;       /* what to add to the sweep; may be empty */
    char headline[1024];
} RepFinding;

enum { REP_FIGURES = 5 };

typedef struct RepFigure {
    const char *file;  /* "fig-a-asr-heatmap.svg" */
    const char *title;
    BdStr svg;         /* the <svg> element */
    BdStr caption;
    int has_data;
} RepFigure;

typedef struct RepPreview {
    char *dataset, *trigger;
    char file[320]; /* in out_dir ("preview-" name ".png", name < 300); "" when it failed */
    char *error;    /* why there is no picture; NULL when there is */
} RepPreview;

/* ---- the report's state ----------------------------------------------------------- */

typedef struct Rep {
    sqlite3 *h;
    const char *db_path;
    const BdReportOptions *o;
    BdError *err;
    int counts[4]; /* cells of kind 'cell' by status: pending, running, done, failed */
    int pretrain[4];
    int done_poisoned;
    /* Distinct values of each axis over the done cells (all cells when none
     * is done): axes with more than one are named in labels and captions. */
    int varies[BD_AXIS_COUNT];
    int grid[BD_AXIS_COUNT]; /* the same over every cell, for the summary */
    BdStr state; /* what the database holds and what is missing */
    RepFinding f[BD_FINDINGS];
    RepFigure fig[REP_FIGURES];
    RepTable *tables;
    int n_tables;
    RepPreview *previews;
    int n_previews;
    BdStr previews_note;
} Rep;

/* ---- queries (report_db.c) ---------------------------------------------------------- */

int rep_prepare(Rep *r, const char *sql, sqlite3_stmt **st);
/* Steps; returns SQLITE_ROW, SQLITE_DONE, or -1 with r->err set (and st finalized). */
int rep_step(Rep *r, sqlite3_stmt *st);
/* One number from a query; NAN for NULL or no row; -1 on error. */
int rep_number(Rep *r, const char *sql, double *out);
/* The column of a statement by name, or -1. */
int rep_col(sqlite3_stmt *st, const char *name);
/* A double from a column, NAN for NULL. */
double rep_double(sqlite3_stmt *st, int col);
const char *rep_text(sqlite3_stmt *st, int col);

/* One axis value of a row for people: "rate 0.05", "target 3", "seed 2",
 * a preset's canonical text as is. */
void rep_axis_value(sqlite3_stmt *st, int col, int axis, char *out, size_t cap);
/* A label made of the axis columns of the current row that vary in the
 * database (r->varies), except the axes in `skip` (a bit per BdAxis), joined
 * with " · ". Rates read "rate 0.05", targets "target 3". When nothing is
 * left, `fallback` axes are used instead (a bit mask too). */
void rep_label(const Rep *r, sqlite3_stmt *st, unsigned skip, unsigned fallback, char *out, size_t cap);
#define AXIS_BIT(a) (1u << (a))
/* Names of the varying axes but those in skip, "regularizers, seeds", for
 * captions ("mean over seeds and regularizers"); "" when none. */
void rep_varying_names(const Rep *r, unsigned skip, char *out, size_t cap);
/* "2 seeds" or "2-3 seeds": how many replicates (or cells) there are, from
 * the fewest and the most ("no seeds" when lo > hi). */
void rep_count_phrase(int lo, int hi, const char *one, const char *many, char *out, size_t cap);

/* Runs sql and keeps its result as a table (column names from the query). */
int rep_table_query(Rep *r, const char *id, const char *title, const char *note, int in_report, const char *sql);
void rep_tables_free(Rep *r);

/* ---- the parts ------------------------------------------------------------------------ */

int rep_findings(Rep *r);    /* report_findings.c */
/* The SQL condition on a row of cell_results that its backdoor took hold
 * (finding 4: ASR at least --took-hold above the baseline's). */
void rep_took_hold_sql(const Rep *r, char *out, size_t cap);
int rep_figures(Rep *r);     /* report_figures.c */
int rep_tables(Rep *r);      /* report_tables.c */
int rep_previews(Rep *r);    /* report_previews.c */
int rep_write_html(Rep *r);  /* report_write.c */
int rep_write_md(Rep *r);
int rep_write_csv(Rep *r);

#endif
