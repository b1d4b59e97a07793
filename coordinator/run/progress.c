#include "progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "clock.h"
#include "error.h"

void bd_progress_init(BdProgress *p, int total, int done, int failed, int nranks, double interval, int tty) {
    memset(p, 0, sizeof *p);
    p->tty = tty >= 0 ? tty : isatty(STDERR_FILENO);
    p->interval = interval > 0 ? interval : 30.0;
    p->t_start = bd_monotonic_seconds();
    p->total = total;
    p->done = done;
    p->failed = failed;
    p->nranks = nranks;
    p->ranks = bd_xcalloc((size_t)nranks, sizeof *p->ranks);
    p->last_logged = -1;
}

void bd_progress_free(BdProgress *p) {
    free(p->ranks);
    p->ranks = NULL;
}

/* Appends the value of `axis` in a canonical key ("axis=value", values may
 * hold quoted or bracketed spaces) to out, as "prefix value". */
static void append_axis(const char *key, const char *axis, const char *prefix, char *out, size_t cap) {
    size_t n = strlen(axis);
    for (const char *p = key; *p;) {
        if (!strncmp(p, axis, n) && p[n] == '=') {
            const char *v = p + n + 1, *e = v;
            int depth = 0, quoted = 0;
            while (*e && (quoted || depth || *e != ' ')) {
                if (*e == '"') quoted = !quoted;
                else if (!quoted && (*e == '(' || *e == '[')) depth++;
                else if (!quoted && (*e == ')' || *e == ']')) depth--;
                e++;
            }
            size_t o = strlen(out);
            snprintf(out + o, cap - o, "%s%s%.*s", o ? " " : "", prefix, (int)(e - v), v);
            return;
        }
        /* to the next axis: skip this value the same way */
        int depth = 0, quoted = 0;
        while (*p && (quoted || depth || *p != ' ')) {
            if (*p == '"') quoted = !quoted;
            else if (!quoted && (*p == '(' || *p == '[')) depth++;
            else if (!quoted && (*p == ')' || *p == ']')) depth--;
            p++;
        }
        while (*p == ' ') p++;
    }
}

void bd_progress_started(BdProgress *p, int rank, const char *host, const char *key) {
    BdRankActivity *r = &p->ranks[rank];
    memset(r, 0, sizeof *r);
    r->busy = 1;
    snprintf(r->host, sizeof r->host, "%s", host ? host : "");
    if (!strncmp(key, "pretrain ", 9)) {
        snprintf(r->label, sizeof r->label, "pre-training");
        key += 9;
    }
    static const char *const shown[][2] = {{"arch", ""},        {"trigger", ""}, {"strategy", ""},
                                            {"poison_rate", "rate="}, {"regularizer", ""}, {"seed", "seed="}};
    for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++)
        append_axis(key, shown[i][0], shown[i][1], r->label, sizeof r->label);
}

void bd_progress_activity(BdProgress *p, int rank, const char *phase, int epoch, int epochs, int step, int steps) {
    BdRankActivity *r = &p->ranks[rank];
    snprintf(r->phase, sizeof r->phase, "%s", phase);
    r->epoch = epoch;
    r->epochs = epochs;
    r->step = step;
    r->steps = steps;
}

void bd_progress_finished(BdProgress *p, int rank, int ok, int was_failed) {
    p->ranks[rank].busy = 0;
    p->finished_this_run++;
    if (was_failed) p->failed--;
    if (ok) p->done++;
    else p->failed++;
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

/* One line of the live block: what a rank is doing. */
static void rank_line(const BdProgress *p, int rank, char *line, size_t cap) {
    const BdRankActivity *r = &p->ranks[rank];
    char where[64] = "";
    if (r->epochs > 0)
        snprintf(where, sizeof where, "%s %d/%d step %d/%d", r->phase, r->epoch, r->epochs, r->step, r->steps);
    else
        snprintf(where, sizeof where, "starting");
    snprintf(line, cap, "  rank %-3d %-12.12s %-24s %s", rank, r->host, where, r->label);
}

/* The terminal's width, to keep every line of the block on one row. */
static int terminal_columns(void) {
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20) return ws.ws_col;
    return 100;
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
        rank_line(p, r, line, sizeof line);
        fprintf(stderr, "\n%.*s", cols - 1, line);
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
