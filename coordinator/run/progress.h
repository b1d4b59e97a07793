/* The progress display of a run on stderr. On a terminal it is a live block
 * redrawn in place: a summary line (cells done/total, running, failed,
 * throughput, elapsed, ETA) and a line per training rank (its host, the cell
 * it runs, phase, epoch and step). In a log (stderr not a terminal, e.g. a
 * Slurm output file) it degrades to the summary line alone, at most every
 * `interval` seconds and whenever a cell ends, so cluster logs stay readable. */
#ifndef BD_PROGRESS_H
#define BD_PROGRESS_H

typedef struct BdRankActivity {
    int busy;
    char label[96];     /* the cell, briefly: "cnn-small square rate=0.05 seed=1" */
    char host[32];
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
    int lines_on_screen;   /* lines of the live block now on the terminal */
    int last_logged;       /* done + failed at the last log line (not a terminal) */
} BdProgress;

/* tty: 1 live block, 0 plain lines, -1 decide by whether stderr is a
 * terminal (under mpirun it never is: Open MPI forwards the ranks' stderr
 * through a pipe, so `run --progress tty` asks for the block explicitly). */
void bd_progress_init(BdProgress *p, int total, int done, int failed, int nranks, double interval, int tty);
void bd_progress_free(BdProgress *p);
/* A cell started on rank; key is its canonical key (shortened for display). */
void bd_progress_started(BdProgress *p, int rank, const char *host, const char *key);
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
