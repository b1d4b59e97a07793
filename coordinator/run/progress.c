#include "progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "error.h"

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void bd_progress_init(BdProgress *p, int total, int done, int failed, int nranks, double interval) {
    memset(p, 0, sizeof *p);
    p->tty = isatty(STDERR_FILENO);
    p->interval = interval > 0 ? interval : 30.0;
    p->t_start = now_seconds();
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

void bd_progress_started(BdProgress *p, int rank) {
    BdRankActivity *r = &p->ranks[rank];
    memset(r, 0, sizeof *r);
    r->busy = 1;
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
    double elapsed = now_seconds() - p->t_start;
    int running;
    double u = units_done(p, &running);
    int remaining = p->total - p->done - p->failed;
    char el[32], eta[32] = "?";
    format_duration(elapsed, el, sizeof el);
    if (remaining <= 0) snprintf(eta, sizeof eta, "0s");
    else if (u > 0.02) format_duration(elapsed / u * (remaining - (u - p->finished_this_run)), eta, sizeof eta);
    snprintf(line, cap, "bdsweep: %d/%d done, %d running, %d failed, %s elapsed, ETA %s", p->done, p->total, running,
             p->failed, el, eta);
}

void bd_progress_draw(BdProgress *p, int force) {
    double now = now_seconds();
    double every = p->tty ? 0.5 : p->interval;
    /* In a log, a forced line is only worth writing when a cell ended. */
    if (force && !p->tty && p->done + p->failed == p->last_logged) force = 0;
    if (!force && now - p->last_draw < every) return;
    p->last_logged = p->done + p->failed;
    p->last_draw = now;
    char line[256];
    compose(p, line, sizeof line);
    if (p->tty) {
        fprintf(stderr, "\r\033[K%s", line);
        p->line_open = 1;
    } else {
        fprintf(stderr, "%s\n", line);
    }
    fflush(stderr);
}

void bd_progress_message(BdProgress *p, const char *msg) {
    if (p->line_open) fprintf(stderr, "\r\033[K");
    fprintf(stderr, "%s\n", msg);
    p->line_open = 0;
    if (p->tty) bd_progress_draw(p, 1);
}

void bd_progress_end(BdProgress *p) {
    char line[256];
    compose(p, line, sizeof line);
    if (p->line_open) fprintf(stderr, "\r\033[K");
    fprintf(stderr, "%s\n", line);
    p->line_open = 0;
    fflush(stderr);
}
