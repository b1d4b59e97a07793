/* The report's documents: index.html (self-contained: inline CSS and SVG,
 * previews as data: URIs, no script), report.md (figures as linked files),
 * and the tables as CSV. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report_internal.h"
#include "text.h"

/* Rows of a table shown in the HTML and Markdown documents; CSV has all. */
#define MAX_DOC_ROWS 500

static const char *verdict_class(RepVerdict v) {
    switch (v) {
    case VERDICT_SUPPORTS: return "supports";
    case VERDICT_PARTLY: return "partly";
    case VERDICT_CONTRADICTS: return "contradicts";
    default: return "cannot";
    }
}

static void now_utc(char *out, size_t cap) {
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, cap, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

static int write_path(Rep *r, const char *name, const BdStr *s) {
    char path[4600];
    if (bd_path_join(path, sizeof path, r->o->out_dir, name, r->err) < 0) return -1;
    return bd_str_write_file(s, path, r->err);
}

static int read_file(const char *path, unsigned char **data, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    size_t cap = 1 << 16, len = 0, got;
    unsigned char *buf = bd_xmalloc(cap);
    while ((got = fread(buf + len, 1, cap - len, f)) > 0) {
        len += got;
        if (len == cap) buf = bd_xrealloc(buf, cap *= 2);
    }
    fclose(f);
    *data = buf;
    *n = len;
    return 0;
}

/* ---- HTML ------------------------------------------------------------------------------------- */

static const char *css =
    "body{font-family:DejaVu Sans,Helvetica,Arial,sans-serif;max-width:1180px;margin:24px auto;padding:0 16px;"
    "color:#222;line-height:1.45}\n"
    "h1{font-size:1.6em;margin-bottom:4px}h2{margin-top:36px;border-bottom:1px solid #ddd;padding-bottom:4px}\n"
    ".meta{color:#666;font-size:.9em}\n"
    ".finding{border-left:5px solid #999;padding:6px 14px;margin:14px 0;background:#fafafa}\n"
    ".finding h3{margin:4px 0 6px 0;font-size:1.05em}\n"
    ".verdict{display:inline-block;font-weight:bold;padding:1px 8px;border-radius:3px;color:#fff;"
    "background:#777;font-size:.85em;margin-right:6px}\n"
    ".supports{border-color:#009E73}.supports .verdict{background:#009E73}\n"
    ".partly{border-color:#E69F00}.partly .verdict{background:#b27800}\n"
    ".contradicts{border-color:#D55E00}.contradicts .verdict{background:#D55E00}\n"
    ".cannot{border-color:#999}.cannot .verdict{background:#777}\n"
    ".advice{color:#444;font-style:italic}\n"
    "figure{margin:22px 0;overflow-x:auto}figcaption{color:#444;font-size:.9em;max-width:1000px}\n"
    "table{border-collapse:collapse;font-size:.82em;margin:8px 0 18px 0}\n"
    "th,td{border:1px solid #ddd;padding:2px 6px;text-align:left;vertical-align:top}\n"
    "th{background:#f0f0f0}td.num{text-align:right;font-variant-numeric:tabular-nums}\n"
    ".tablewrap{overflow-x:auto}.note{color:#555;font-size:.9em}\n"
    ".preview img{max-width:100%;image-rendering:pixelated;border:1px solid #ddd}\n"
    "code{background:#f3f3f3;padding:0 3px}\n";

static void html_text(BdStr *b, const char *s) { bd_str_xml(b, s); }

static void html_table(BdStr *b, const RepTable *t) {
    bd_str_printf(b, "<h3 id=\"table-%s\">", t->id);
    html_text(b, t->title);
    bd_str_printf(b, " <span class=\"note\">(%d %s%s)</span></h3>\n", t->nrow, t->nrow == 1 ? "row" : "rows",
                  t->nrow > MAX_DOC_ROWS ? ", first 500 shown; --csv writes all" : "");
    if (t->note) {
        bd_str_puts(b, "<p class=\"note\">");
        html_text(b, t->note);
        bd_str_puts(b, "</p>\n");
    }
    if (!t->nrow) {
        bd_str_puts(b, "<p class=\"note\">No rows.</p>\n");
        return;
    }
    bd_str_puts(b, "<div class=\"tablewrap\"><table>\n<tr>");
    for (int c = 0; c < t->ncol; c++) {
        bd_str_puts(b, "<th>");
        html_text(b, t->cols[c]);
        bd_str_puts(b, "</th>");
    }
    bd_str_puts(b, "</tr>\n");
    for (int i = 0; i < t->nrow && i < MAX_DOC_ROWS; i++) {
        bd_str_puts(b, "<tr>");
        for (int c = 0; c < t->ncol; c++) {
            const RepValue *v = &t->v[(size_t)i * t->ncol + c];
            char text[4096];
            rep_value_text(v, "\xE2\x80\x93", text, sizeof text);
            bd_str_puts(b, v->type == SQLITE_INTEGER || v->type == SQLITE_FLOAT ? "<td class=\"num\">" : "<td>");
            html_text(b, text);
            bd_str_puts(b, "</td>");
        }
        bd_str_puts(b, "</tr>\n");
    }
    bd_str_puts(b, "</table></div>\n");
}

int rep_write_html(Rep *r) {
    BdStr b = {0};
    char when[64];
    now_utc(when, sizeof when);
    bd_str_puts(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>bdsweep report: ");
    html_text(&b, r->db_path);
    bd_str_printf(&b, "</title>\n<style>\n%s</style>\n</head>\n<body>\n", css);
    bd_str_puts(&b, "<h1>Backdoor poisoning sweep: findings</h1>\n<p class=\"meta\">database <code>");
    html_text(&b, r->db_path);
    bd_str_puts(&b, "</code>");
    if (r->o->sweep) {
        bd_str_puts(&b, ", sweep <code>");
        html_text(&b, r->o->sweep);
        bd_str_puts(&b, "</code>");
    }
    bd_str_printf(&b, ", written %s by bdsweep report</p>\n", when);

    bd_str_puts(&b, "<h2 id=\"state\">What the database holds</h2>\n<p>");
    html_text(&b, bd_str_str(&r->state));
    bd_str_puts(&b, "</p>\n");

    bd_str_puts(&b, "<h2 id=\"findings\">The paper's four findings, for this database</h2>\n");
    for (int i = 0; i < BD_FINDINGS; i++) {
        const RepFinding *f = &r->f[i];
        bd_str_printf(&b, "<div class=\"finding %s\">\n<h3>%d. ", verdict_class(f->verdict), i + 1);
        html_text(&b, f->claim);
        bd_str_printf(&b, "</h3>\n<p><span class=\"verdict\">%s</span>", rep_verdict_text(f->verdict));
        html_text(&b, bd_str_str(&f->text));
        bd_str_puts(&b, "</p>\n");
        if (f->advice.n) {
            bd_str_puts(&b, "<p class=\"advice\">To learn more: ");
            html_text(&b, bd_str_str(&f->advice));
            bd_str_puts(&b, "</p>\n");
        }
        bd_str_puts(&b, "</div>\n");
    }

    bd_str_puts(&b, "<h2 id=\"figures\">Figures</h2>\n");
    for (int i = 0; i < REP_FIGURES; i++) {
        bd_str_printf(&b, "<figure id=\"fig-%c\">\n", 'a' + i);
        bd_str_puts(&b, bd_str_str(&r->fig[i].svg));
        bd_str_puts(&b, "<figcaption>");
        html_text(&b, bd_str_str(&r->fig[i].caption));
        bd_str_printf(&b, " <a href=\"%s\">%s</a></figcaption>\n</figure>\n", r->fig[i].file, r->fig[i].file);
    }

    bd_str_puts(&b, "<h2 id=\"previews\">(f) Trigger previews</h2>\n");
    bd_str_puts(&b, "<p class=\"note\">Top row: test images as they are; bottom row: the same images with the "
                    "trigger, as the model sees them.</p>\n");
    if (r->previews_note.n) {
        bd_str_puts(&b, "<p class=\"note\">");
        html_text(&b, bd_str_str(&r->previews_note));
        bd_str_puts(&b, "</p>\n");
    }
    if (!r->n_previews && !r->previews_note.n) bd_str_puts(&b, "<p class=\"note\">No trigger in the database.</p>\n");
    for (int i = 0; i < r->n_previews; i++) {
        const RepPreview *p = &r->previews[i];
        bd_str_puts(&b, "<div class=\"preview\"><h3>");
        html_text(&b, p->trigger);
        bd_str_puts(&b, " <span class=\"note\">on ");
        html_text(&b, p->dataset);
        bd_str_puts(&b, "</span></h3>\n");
        unsigned char *png = NULL;
        size_t n = 0;
        char path[4600];
        if (p->file[0] && bd_path_join(path, sizeof path, r->o->out_dir, p->file, NULL) == 0 &&
            read_file(path, &png, &n) == 0) {
            bd_str_puts(&b, "<img alt=\"");
            html_text(&b, p->trigger);
            bd_str_puts(&b, " on clean test images\" src=\"data:image/png;base64,");
            bd_str_base64(&b, png, n);
            bd_str_puts(&b, "\">\n");
            free(png);
        } else {
            bd_str_puts(&b, "<p class=\"note\">No preview: ");
            html_text(&b, p->error ? p->error : "the PNG could not be read back");
            bd_str_puts(&b, "</p>\n");
        }
        bd_str_puts(&b, "</div>\n");
    }

    bd_str_puts(&b, "<h2 id=\"tables\">Tables</h2>\n");
    for (int i = 0; i < r->n_tables; i++)
        if (r->tables[i].in_report) html_table(&b, &r->tables[i]);

    bd_str_puts(&b,
                "<h2 id=\"method\">How the numbers are computed</h2>\n<ul>\n"
                "<li>ASR: the fraction of triggered eligible test images classified as the attack's target; clean "
                "accuracy: top-1 on the untouched test set; both at the last training epoch.</li>\n"
                "<li>Baseline: the cell with poison rate 0 and everything else equal, of the same seed when it is "
                "done, else the mean of the other seeds' baselines.</li>\n"
                "<li>Finding 1: mean ASR over seeds per combination of the other axes; a range of at least 0.30 "
                "across combinations is called wide, below 0.10 little.</li>\n"
                "<li>Finding 2: per group, mean clean accuracy of the poisoned seeds minus that of the baselines, "
                "with a 95% Welch interval (Welch&#8211;Satterthwaite degrees of freedom, rounded down); detectable "
                "when the interval excludes 0. Up to 25% detectable supports the finding, 50% or more contradicts "
                "it.</li>\n"
                "<li>Finding 3: each regularized cell minus its regularizer-none cell of the same seed; lowered / "
                "raised when the mean change is beyond &#177;0.01.</li>\n"
                "<li>Finding 4: a backdoor took hold when ASR exceeds the baseline's + 0.05 at the end of training, "
                "and is neutralised at the first retraining epoch whose ASR is at most the baseline's + 0.05.</li>\n"
                "</ul>\n<p>The views <code>cell_results</code>, <code>detection</code>, "
                "<code>regularizer_effect</code> and <code>persistence</code> of the database hold every number "
                "of this report; results/README.md documents them. The figures are drawn by bdsweep's own SVG "
                "writer.</p>\n</body>\n</html>\n");
    int rc = write_path(r, "index.html", &b);
    bd_str_free(&b);
    return rc;
}

/* ---- Markdown ------------------------------------------------------------------------------------ */

static void md_cell(BdStr *b, const char *s) {
    for (const char *p = s; *p; p++) {
        if (*p == '|') bd_str_puts(b, "\\|");
        else if (*p == '\n' || *p == '\r') bd_str_puts(b, " ");
        else bd_str_putn(b, p, 1);
    }
}

static void md_table(BdStr *b, const RepTable *t) {
    bd_str_printf(b, "### %s (%d %s%s)\n\n", t->title, t->nrow, t->nrow == 1 ? "row" : "rows",
                  t->nrow > MAX_DOC_ROWS ? ", first 500 shown; --csv writes all" : "");
    if (t->note) bd_str_printf(b, "%s\n\n", t->note);
    if (!t->nrow) {
        bd_str_puts(b, "No rows.\n\n");
        return;
    }
    bd_str_puts(b, "|");
    for (int c = 0; c < t->ncol; c++) {
        bd_str_puts(b, " ");
        md_cell(b, t->cols[c]);
        bd_str_puts(b, " |");
    }
    bd_str_puts(b, "\n|");
    for (int c = 0; c < t->ncol; c++) {
        int num = t->nrow && (t->v[c].type == SQLITE_INTEGER || t->v[c].type == SQLITE_FLOAT);
        bd_str_puts(b, num ? " ---: |" : " --- |");
    }
    bd_str_puts(b, "\n");
    for (int i = 0; i < t->nrow && i < MAX_DOC_ROWS; i++) {
        bd_str_puts(b, "|");
        for (int c = 0; c < t->ncol; c++) {
            char text[4096];
            rep_value_text(&t->v[(size_t)i * t->ncol + c], "", text, sizeof text);
            bd_str_puts(b, " ");
            md_cell(b, text);
            bd_str_puts(b, " |");
        }
        bd_str_puts(b, "\n");
    }
    bd_str_puts(b, "\n");
}

int rep_write_md(Rep *r) {
    BdStr b = {0};
    char when[64];
    now_utc(when, sizeof when);
    bd_str_printf(&b, "# Backdoor poisoning sweep: findings\n\nDatabase `%s`%s%s%s, written %s by bdsweep report.\n\n",
                  r->db_path, r->o->sweep ? ", sweep `" : "", r->o->sweep ? r->o->sweep : "", r->o->sweep ? "`" : "",
                  when);
    bd_str_printf(&b, "## What the database holds\n\n%s\n\n", bd_str_str(&r->state));
    bd_str_puts(&b, "## The paper's four findings, for this database\n\n");
    for (int i = 0; i < BD_FINDINGS; i++) {
        const RepFinding *f = &r->f[i];
        bd_str_printf(&b, "### %d. %s\n\n**%s.** %s\n\n", i + 1, f->claim, rep_verdict_text(f->verdict),
                      bd_str_str(&f->text));
        if (f->advice.n) bd_str_printf(&b, "*To learn more:* %s\n\n", bd_str_str(&f->advice));
    }
    bd_str_puts(&b, "## Figures\n\n");
    for (int i = 0; i < REP_FIGURES; i++)
        bd_str_printf(&b, "![%s](%s)\n\n%s\n\n", r->fig[i].title, r->fig[i].file, bd_str_str(&r->fig[i].caption));
    bd_str_puts(&b, "## (f) Trigger previews\n\nTop row: test images as they are; bottom row: the same images with "
                    "the trigger.\n\n");
    if (r->previews_note.n) bd_str_printf(&b, "%s\n\n", bd_str_str(&r->previews_note));
    for (int i = 0; i < r->n_previews; i++) {
        const RepPreview *p = &r->previews[i];
        if (p->file[0])
            bd_str_printf(&b, "**%s** on %s\n\n![%s](%s)\n\n", p->trigger, p->dataset, p->trigger, p->file);
        else bd_str_printf(&b, "**%s** on %s: no preview: %s\n\n", p->trigger, p->dataset, p->error);
    }
    bd_str_puts(&b, "## Tables\n\n");
    for (int i = 0; i < r->n_tables; i++)
        if (r->tables[i].in_report) md_table(&b, &r->tables[i]);
    bd_str_puts(&b, "Every number comes from the views `cell_results`, `detection`, `regularizer_effect` and "
                    "`persistence` of the database; results/README.md documents them and the thresholds used "
                    "above.\n");
    int rc = write_path(r, "report.md", &b);
    bd_str_free(&b);
    return rc;
}

/* ---- CSV (RFC 4180) --------------------------------------------------------------------------------- */

static void csv_field(BdStr *b, const char *s) {
    if (!strpbrk(s, ",\"\r\n")) {
        bd_str_puts(b, s);
        return;
    }
    bd_str_puts(b, "\"");
    for (const char *p = s; *p; p++) {
        if (*p == '"') bd_str_putn(b, "\"\"", 2);
        else bd_str_putn(b, p, 1);
    }
    bd_str_puts(b, "\"");
}

int rep_write_csv(Rep *r) {
    for (int k = 0; k < r->n_tables; k++) {
        const RepTable *t = &r->tables[k];
        BdStr b = {0};
        for (int c = 0; c < t->ncol; c++) {
            if (c) bd_str_puts(&b, ",");
            csv_field(&b, t->cols[c]);
        }
        bd_str_puts(&b, "\r\n");
        for (int i = 0; i < t->nrow; i++) {
            for (int c = 0; c < t->ncol; c++) {
                const RepValue *v = &t->v[(size_t)i * t->ncol + c];
                char text[64];
                if (c) bd_str_puts(&b, ",");
                if (v->type == SQLITE_TEXT) csv_field(&b, v->s);
                else if (v->type == SQLITE_INTEGER) bd_str_printf(&b, "%lld", v->i);
                else if (v->type == SQLITE_FLOAT && isfinite(v->d)) {
                    /* The shortest of %.15g / %.16g / %.17g that reads back exactly. */
                    for (int prec = 15; prec <= 17; prec++) {
                        snprintf(text, sizeof text, "%.*g", prec, v->d);
                        if (strtod(text, NULL) == v->d) break;
                    }
                    bd_str_puts(&b, text);
                }
            }
            bd_str_puts(&b, "\r\n");
        }
        char name[128];
        snprintf(name, sizeof name, "%s.csv", t->id);
        int rc = write_path(r, name, &b);
        bd_str_free(&b);
        if (rc < 0) return -1;
    }
    return 0;
}
