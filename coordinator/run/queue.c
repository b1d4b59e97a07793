#include "queue.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"

void bd_queue_init(BdQueue *q) { memset(q, 0, sizeof *q); }

void bd_queue_free(BdQueue *q) {
    free(q->ready);
    free(q->waiting);
    memset(q, 0, sizeof *q);
}

void bd_queue_push(BdQueue *q, int idx) {
    if (q->head + q->len == q->cap) {
        /* Reclaim the consumed front before growing. */
        if (q->head > 0) {
            memmove(q->ready, q->ready + q->head, (size_t)q->len * sizeof *q->ready);
            q->head = 0;
        }
        if (q->len == q->cap) {
            q->cap = q->cap ? 2 * q->cap : 64;
            q->ready = bd_xrealloc(q->ready, (size_t)q->cap * sizeof *q->ready);
        }
    }
    q->ready[q->head + q->len++] = idx;
}

void bd_queue_wait(BdQueue *q, int64_t dep, int idx) {
    if (q->n_waiting == q->cap_waiting) {
        q->cap_waiting = q->cap_waiting ? 2 * q->cap_waiting : 64;
        q->waiting = bd_xrealloc(q->waiting, (size_t)q->cap_waiting * sizeof *q->waiting);
    }
    q->waiting[q->n_waiting++] = (BdQueueWait){dep, idx};
}

int bd_queue_pop(BdQueue *q) {
    if (!q->len) return -1;
    q->len--;
    return q->ready[q->head++];
}

int bd_queue_ready(const BdQueue *q) { return q->len; }

int bd_queue_waiting(const BdQueue *q) { return q->n_waiting; }

int bd_queue_release(BdQueue *q, int64_t dep, int ok, int *out) {
    int kept = 0, n_out = 0;
    for (int i = 0; i < q->n_waiting; i++) {
        BdQueueWait w = q->waiting[i];
        if (w.dep != dep) q->waiting[kept++] = w;
        else if (ok) bd_queue_push(q, w.idx);
        else out[n_out++] = w.idx;
    }
    q->n_waiting = kept;
    return n_out;
}

int bd_queue_drain_waiting(BdQueue *q, int *out) {
    int n = q->n_waiting;
    for (int i = 0; i < n; i++) out[i] = q->waiting[i].idx;
    q->n_waiting = 0;
    return n;
}
