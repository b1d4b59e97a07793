/* Where a running cell's numbers go. On a worker rank the sink sends MPI
 * messages to rank 0; when rank 0 trains itself (-n 1) it writes the database
 * directly; tests collect into memory. The trainer does not know which. */
#ifndef BD_SINK_H
#define BD_SINK_H

typedef struct BdSink {
    void *ud;
    /* n named values of a phase ("train", "retrain", ...) at an epoch:
     * numbers of the model (attack "") or measured against an attack (its
     * key, common/job.h), common/metrics.h says which. */
    void (*metrics)(void *ud, const char *phase, int epoch, const char *attack, const char *const *names,
                    const double *values, int n);
    /* Liveness for the progress display; called every few seconds at most. May be NULL. */
    void (*progress)(void *ud, const char *phase, int epoch, int epochs, int step, int steps);
    /* Asked after each epoch, once its checkpoint is written: nonzero stops
     * the cell there ("interrupted after epoch E"), to be resumed later from
     * the checkpoint. May be NULL. */
    int (*interrupt)(void *ud);
} BdSink;

#endif
