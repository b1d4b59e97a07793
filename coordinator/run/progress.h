/* The progress display of a run on stderr: cells done/total, running,
 * failed, elapsed, ETA. On a terminal it is one line rewritten in place; in a
 * log (stderr not a terminal, e.g. a Slurm output file) it is a plain line at
 * most every `interval` seconds, so cluster logs stay readable. */
#ifndef BD_PROGRESS_H
#define BD_PROGRESS_H

typedef struct BdRankActivity {
    int busy;
    char phase[16];
    int epoch, epochs, step, steps;
} BdRankActivity;

typedef struct BdProgress {
    int tty;
    double interval;       /* seconds between lines when not a terminal */
    double t_start, last_draw;
    int total;             /* cells of the sweep */
    int done, failed;      /* in the database, this run's included */
    int finished_this_run; /* done or failed since the run began */
    int nranks;
    BdRankActivity *ranks; /* [nranks] */
    int line_open;         /* a tty line is on screen without its newline */
    int last_logged;       /* done + failed at the last log line (not a terminal) */
} BdProgress;

void bd_progress_init(BdProgress *p, int total, int done, int failed, int nranks, double interval);
void bd_progress_free(BdProgress *p);
void bd_progress_started(BdProgress *p, int rank);
void bd_progress_activity(BdProgress *p, int rank, const char *phase, int epoch, int epochs, int step, int steps);
/* A cell ended on rank; ok = done, else failed (was_failed: it had failed before, --retry-failed). */
void bd_progress_finished(BdProgress *p, int rank, int ok, int was_failed);
/* Redraws when due (force: now). */
void bd_progress_draw(BdProgress *p, int force);
/* Ends the display with a final line. */
void bd_progress_end(BdProgress *p);
/* Prints a message without garbling the progress line. */
void bd_progress_message(BdProgress *p, const char *msg);

#endif
