/* The work list of a run: jobs that can start now, in sweep order, and jobs
 * that wait for another one (a cell with init: pretrained waits for its
 * pre-training job). When a job finishes, the jobs waiting for it become
 * ready (it succeeded) or are handed back to be failed (it failed). Jobs are
 * indices into the caller's list. */
#ifndef BD_QUEUE_H
#define BD_QUEUE_H

#include <stdint.h>

typedef struct BdQueueWait {
    int64_t dep; /* the id of the job waited for */
    int idx;
} BdQueueWait;

typedef struct BdQueue {
    int *ready;
    int head, len, cap;
    BdQueueWait *waiting;
    int n_waiting, cap_waiting;
} BdQueue;

void bd_queue_init(BdQueue *q);
void bd_queue_free(BdQueue *q);
void bd_queue_push(BdQueue *q, int idx);
void bd_queue_wait(BdQueue *q, int64_t dep, int idx);
/* The next ready job, or -1. */
int bd_queue_pop(BdQueue *q);
int bd_queue_ready(const BdQueue *q);
int bd_queue_waiting(const BdQueue *q);
/* Job dep finished. ok: the jobs waiting for it become ready (in the order
 * they were queued). Not ok: they are removed and written to out (room for
 * bd_queue_waiting() entries); returns how many. */
int bd_queue_release(BdQueue *q, int64_t dep, int ok, int *out);
/* Removes every waiting job into out; returns how many (a run that can no
 * longer start what they wait for). */
int bd_queue_drain_waiting(BdQueue *q, int *out);

#endif
