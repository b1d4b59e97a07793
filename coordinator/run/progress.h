/* The progress display of a run on stderr. On a terminal it is a live block
 * redrawn in place: a summary line (cells done/total, running, failed,
 * throughput, elapsed, ETA) and a line per training rank (its host, phase,
 * epoch and step, the last clean accuracy and ASR it reported, and the cell:
 * poison rate and seed first, then the other axes that vary in the run, long
 * values shortened in the middle so that the line fits the terminal). In a
 * log (stderr not a terminal, e.g. a Slurm output file) it degrades to the
 * summary line alone, at most every `interval` seconds and whenever a cell
 * ends, so cluster logs stay readable. */
#ifndef BD_PROGRESS_H
#define BD_PROGRESS_H

#include "cell.h"

typedef struct BdRankActivity {
    int busy;
    /* The job, as words: "pre-training", "poison_rate=0.05", "seed=1", "square(size=4)" */
    char words[BD_AXIS_COUNT + 1][128];
    int n_words;
    char host[32];
    char phase[16];
    int epoch, epochs, step, steps;
    double clean_acc, asr; /* the last reported; NAN before the first evaluation */
} BdRankActivity;

typedef struct BdProgress {
    int tty;
    double interval;       /* seconds between lines when not a terminal */
    double t_start, last_draw;
    int total;             /* cells of the sweep */
    int done, failed;      /* in the database, this run's included */
    int finished_this_run; /* done or failed since the run began */
    int nranks;
    unsigned shown_axes;   /* bit per axis worth showing: those that vary in the run */
    BdRankActivity *ranks; /* [nranks] */
    int lines_on_screen;   /* lines of the live block now on the terminal */
    int last_logged;       /* done + failed at the last log line (not a terminal) */
} BdProgress;

/* tty: 1 live block, 0 plain lines, -1 decide by whether stderr is a
 * terminal (under mpirun it never is: Open MPI forwards the ranks' stderr
 * through a pipe, so `run --progress tty` asks for the block explicitly). */
void bd_progress_init(BdProgress *p, int total, int done, int failed, int nranks, double interval, int tty,
                      unsigned shown_axes);
void bd_progress_free(BdProgress *p);
/* A job started on rank; key is its key (common/job.h). */
void bd_progress_started(BdProgress *p, int rank, const char *host, const char *key);
void bd_progress_activity(BdProgress *p, int rank, const char *phase, int epoch, int epochs, int step, int steps);
/* The numbers a rank reported (the display keeps clean accuracy and ASR). */
void bd_progress_metrics(BdProgress *p, int rank, const char *const *names, const double *values, int n);
/* A job ended on rank with the n cells it served; ok = done, else failed
 * (were_failed of them had failed before: --retry-failed). */
void bd_progress_finished(BdProgress *p, int rank, int ok, int n, int were_failed);
/* Redraws when due (force: now). */
void bd_progress_draw(BdProgress *p, int force);
/* Ends the display with a final line. */
void bd_progress_end(BdProgress *p);
/* Prints a message without garbling the progress line. */
void bd_progress_message(BdProgress *p, const char *msg);

#endif
