#include "progress.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "axes.h"
#include "clock.h"
#include "error.h"
#include "job.h"
#include "metrics.h"
#include "text.h"

void bd_progress_init(BdProgress *p, int total, int done, int failed, int nranks, double interval, int tty,
                      unsigned shown_axes) {
    memset(p, 0, sizeof *p);
    p->tty = tty >= 0 ? tty : isatty(STDERR_FILENO);
    p->interval = interval > 0 ? interval : 30.0;
    p->t_start = bd_monotonic_seconds();
    p->total = total;
    p->done = done;
    p->failed = failed;
    p->nranks = nranks;
    p->shown_axes = shown_axes;
    p->ranks = bd_xcalloc((size_t)nranks, sizeof *p->ranks);
    p->last_logged = -1;
}

void bd_progress_free(BdProgress *p) {
    free(p->ranks);
    p->ranks = NULL;
}

static void add_word(BdRankActivity *r, const char *fmt, const char *a, const char *b) {
    bd_text_format(r->words[r->n_words++], sizeof r->words[0], fmt, a, b);
}

void bd_progress_started(BdProgress *p, int rank, const char *host, const char *key) {
    BdRankActivity *r = &p->ranks[rank];
    memset(r, 0, sizeof *r);
    r->busy = 1;
    r->clean_acc = r->asr = NAN;
    snprintf(r->host, sizeof r->host, "%s", host ? host : "");
    BdJob job;
    if (bd_job_parse(bd_axes(), key, &job, NULL) < 0) { /* cannot happen for a registered job */
        add_word(r, "%s%.100s", "", key);
        return;
    }
    const BdJobKindDef *kind = bd_job_kind_def(job.kind);
    if (job.kind != BD_JOB_CELL) add_word(r, "%s%s", kind->label, "");
    /* The axes that tell a cell from its baseline and its replicates first:
     * they are what a reader looks for. */
    const BdAxisDef *axes = bd_axes();
    for (int pass = 0; pass < 2; pass++)
        for (int a = 0; a < BD_AXIS_COUNT; a++) {
            int first = axes[a].control && axes[a].kind != BD_AXIS_PRESETS ? 1 : axes[a].replicate;
            if (first != (pass == 0) || !(bd_job_kind_axes(axes, job.kind) & p->shown_axes & (1u << a))) continue;
            char text[BD_SPEC_TEXT_MAX];
            if (bd_axis_value_format(axes, (BdAxis)a, &job.cell.v[a], text, sizeof text, NULL) < 0) continue;
            if (axes[a].kind == BD_AXIS_PRESETS) add_word(r, "%s%s", "", text);
            else add_word(r, "%s=%s", axes[a].name, text);
        }
}

void bd_progress_metrics(BdProgress *p, int rank, const char *const *names, const double *values, int n) {
    BdRankActivity *r = &p->ranks[rank];
    for (int i = 0; i < n; i++) {
        if (!strcmp(names[i], bd_metric_name(BD_METRIC_CLEAN_ACC))) r->clean_acc = values[i];
        else if (!strcmp(names[i], bd_metric_name(BD_METRIC_ASR))) r->asr = values[i];
    }
}

void bd_progress_activity(BdProgress *p, int rank, const char *phase, int epoch, int epochs, int step, int steps) {
    BdRankActivity *r = &p->ranks[rank];
    snprintf(r->phase, sizeof r->phase, "%s", phase);
    r->epoch = epoch;
    r->epochs = epochs;
    r->step = step;
    r->steps = steps;
}

void bd_progress_finished(BdProgress *p, int rank, int ok, int n, int were_failed) {
    p->ranks[rank].busy = 0;
    p->finished_this_run += n;
    p->failed -= were_failed;
    if (ok) p->done += n;
    else p->failed += n;
}

static void format_duration(double s, char *out, size_t cap) {
    long t = (long)(s + 0.5);
    if (t >= 3600) snprintf(out, cap, "%ldh%02ldm", t / 3600, (t / 60) % 60);
    else if (t >= 60) snprintf(out, cap, "%ldm%02lds", t / 60, t % 60);
    else snprintf(out, cap, "%lds", t);
}

/* Work done this run in cells, counting the running ones by their epoch
 * progress, so the ETA moves before the first cell ends. */
static double units_done(const BdProgress *p, int *running) {
    double u = p->finished_this_run;
    *running = 0;
    for (int i = 0; i < p->nranks; i++) {
        const BdRankActivity *r = &p->ranks[i];
        if (!r->busy) continue;
        (*running)++;
        if (r->epochs > 0 && r->steps > 0) {
            double f = ((r->epoch - 1) + (double)r->step / r->steps) / r->epochs;
            if (f > 0 && f < 1) u += f * 0.95; /* evaluation and retraining follow the last step */
        }
    }
    return u;
}

static void compose(const BdProgress *p, char *line, size_t cap) {
    double elapsed = bd_monotonic_seconds() - p->t_start;
    int running;
    double u = units_done(p, &running);
    int remaining = p->total - p->done - p->failed;
    char el[32], eta[32] = "?", rate[48] = "";
    format_duration(elapsed, el, sizeof el);
    if (remaining <= 0) snprintf(eta, sizeof eta, "0s");
    else if (u > 0.02) format_duration(elapsed / u * (remaining - (u - p->finished_this_run)), eta, sizeof eta);
    if (p->finished_this_run > 0 && elapsed > 0)
        snprintf(rate, sizeof rate, ", %.*f cells/h", 3600.0 * p->finished_this_run / elapsed < 10 ? 1 : 0,
                 3600.0 * p->finished_this_run / elapsed);
    snprintf(line, cap, "bdsweep: %d/%d done, %d running, %d failed%s, %s elapsed, ETA %s", p->done, p->total, running,
             p->failed, rate, el, eta);
}

/* Joins words with spaces into at most `width` columns, shortening the
 * longest words in the middle ("square(…size=4)") until the line fits. */
static void fit_words(char (*words)[128], int n, int width, char *out, size_t cap) {
    char w[BD_AXIS_COUNT + 1][128];
    int len[BD_AXIS_COUNT + 1], total = n ? n - 1 : 0;
    for (int i = 0; i < n; i++) {
        snprintf(w[i], sizeof w[i], "%s", words[i]);
        len[i] = (int)strlen(w[i]);
        total += len[i];
    }
    while (total > width) {
        int k = 0;
        for (int i = 1; i < n; i++)
            if (len[i] > len[k]) k = i;
        if (len[k] <= 9) break; /* nothing sensible left to shorten */
        int keep = len[k] - (total - width) - 1, head = keep / 2, tail = keep - head;
        if (keep < 8) head = 4, tail = 4, keep = 8;
        char s[128];
        snprintf(s, sizeof s, "%.*s\xE2\x80\xA6%s", head, w[k], w[k] + len[k] - tail);
        total -= len[k] - (keep + 1);
        snprintf(w[k], sizeof w[k], "%s", s);
        len[k] = keep + 1; /* the ellipsis takes one column */
    }
    size_t o = 0;
    out[0] = '\0';
    for (int i = 0; i < n && o + 1 < cap; i++) o += (size_t)snprintf(out + o, cap - o, "%s%s", i ? " " : "", w[i]);
}

/* One line of the live block, at most `width` columns: what a rank is doing. */
static void rank_line(const BdProgress *p, int rank, int width, char *line, size_t cap) {
    const BdRankActivity *r = &p->ranks[rank];
    char where[64] = "", numbers[48] = "";
    if (r->epochs > 0)
        snprintf(where, sizeof where, "%s %d/%d step %d/%d", r->phase, r->epoch, r->epochs, r->step, r->steps);
    else
        snprintf(where, sizeof where, "starting");
    if (isfinite(r->clean_acc)) {
        int o = snprintf(numbers, sizeof numbers, "acc %.3f", r->clean_acc);
        if (isfinite(r->asr)) snprintf(numbers + o, sizeof numbers - (size_t)o, " asr %.3f", r->asr);
    }
    int o = snprintf(line, cap, "  rank %-3d %-10.10s %-22s %s%s", rank, r->host, where, numbers, numbers[0] ? " " : "");
    if (o < 0 || (size_t)o >= cap) return;
    fit_words((char (*)[128])r->words, r->n_words, width - o, line + o, cap - (size_t)o);
}

/* The terminal's width, to keep every line of the block on one row. */
static int terminal_columns(void) {
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20) return ws.ws_col;
    /* Under mpirun stderr is a pipe: the shell's COLUMNS, if exported, says how wide the terminal is. */
    const char *env = getenv("COLUMNS");
    int cols = env ? atoi(env) : 0;
    return cols > 20 ? cols : 100;
}

#define MAX_RANK_LINES 16

/* Erases the live block, leaving the cursor where it began. */
static void clear_block(BdProgress *p) {
    if (!p->lines_on_screen) return;
    fprintf(stderr, "\r");
    if (p->lines_on_screen > 1) fprintf(stderr, "\033[%dA", p->lines_on_screen - 1);
    fprintf(stderr, "\033[J");
    p->lines_on_screen = 0;
}

static void draw_block(BdProgress *p) {
    int cols = terminal_columns();
    char line[512];
    clear_block(p);
    compose(p, line, sizeof line);
    fprintf(stderr, "%.*s", cols - 1, line);
    int lines = 1, busy = 0;
    for (int r = 0; r < p->nranks; r++) {
        if (!p->ranks[r].busy) continue;
        if (++busy > MAX_RANK_LINES) continue;
        rank_line(p, r, cols - 1, line, sizeof line);
        fprintf(stderr, "\n%s", line);
        lines++;
    }
    if (busy > MAX_RANK_LINES) {
        fprintf(stderr, "\n  ... and %d more running ranks", busy - MAX_RANK_LINES);
        lines++;
    }
    p->lines_on_screen = lines;
}

void bd_progress_draw(BdProgress *p, int force) {
    double now = bd_monotonic_seconds();
    double every = p->tty ? 0.5 : p->interval;
    /* In a log, a forced line is only worth writing when a cell ended. */
    if (force && !p->tty && p->done + p->failed == p->last_logged) force = 0;
    if (!force && now - p->last_draw < every) return;
    p->last_logged = p->done + p->failed;
    p->last_draw = now;
    if (p->tty) {
        draw_block(p);
    } else {
        char line[256];
        compose(p, line, sizeof line);
        fprintf(stderr, "%s\n", line);
    }
    fflush(stderr);
}

void bd_progress_message(BdProgress *p, const char *msg) {
    clear_block(p);
    fprintf(stderr, "%s\n", msg);
    if (p->tty) bd_progress_draw(p, 1);
}

void bd_progress_end(BdProgress *p) {
    char line[256];
    compose(p, line, sizeof line);
    clear_block(p);
    fprintf(stderr, "%s\n", line);
    fflush(stderr);
}
