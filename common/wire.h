/* Messages between the coordinator (rank 0) and the workers.
 *
 * The conversation, all point-to-point:
 *
 *   worker -> 0   BD_MSG_READY     host name                    (asks for work)
 *   0 -> worker   BD_MSG_JOB       a job order (below)          (or BD_MSG_STOP)
 *   worker -> 0   BD_MSG_PROGRESS  job id, phase, epoch, epochs, step, steps
 *   worker -> 0   BD_MSG_METRICS   job id, a metrics record (below)
 *   worker -> 0   BD_MSG_DONE      job id, wall seconds, params, GFLOP per image,
 *                                  every metrics record of the job
 *   worker -> 0   BD_MSG_FAILED    job id, wall seconds, error text
 *   worker -> 0   BD_MSG_STOPPED   job id, wall seconds, where it stopped
 *
 * The metrics of a job stream to rank 0 as they come (a reader sees a cell's
 * curve while it trains), and come again, all of them, with DONE: rank 0
 * stores them together with the job's new state in one transaction, so no
 * job is done without every number it produced.
 * The deadline (Unix time, 0 for none) is when the run's --time-limit ends:
 * a cell past it stops at its next epoch boundary (its checkpoint written)
 * and reports STOPPED, and rank 0 puts it back to pending for the next run.
 * after DONE or FAILED the worker sends READY again. The MPI tag is the
 * message type; the payload is a byte buffer packed with the functions below
 * (little-endian fixed-width integers, IEEE doubles, length-prefixed strings),
 * so a message reads the same on every rank. The cell itself travels as its
 * canonical key (common/cell.h), which is the cell's whole description. */
#ifndef BD_WIRE_H
#define BD_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef enum {
    BD_MSG_READY = 1,
    BD_MSG_JOB = 2,
    BD_MSG_STOP = 3,
    BD_MSG_PROGRESS = 4,
    BD_MSG_METRICS = 5,
    BD_MSG_DONE = 6,
    BD_MSG_FAILED = 7,
    BD_MSG_STOPPED = 8,
} BdMsgType;

typedef struct BdBuf {
    unsigned char *data;
    size_t len, cap;
    size_t pos; /* read cursor */
    int bad;    /* a read ran past the end */
} BdBuf;

void bd_buf_init(BdBuf *b);
void bd_buf_free(BdBuf *b);
void bd_buf_reset(BdBuf *b);
/* Wraps received bytes for reading (copies them). */
void bd_buf_from(BdBuf *b, const void *data, size_t len);

void bd_buf_put_i64(BdBuf *b, int64_t v);
void bd_buf_put_f64(BdBuf *b, double v);
void bd_buf_put_str(BdBuf *b, const char *s);
/* Raw bytes, no length prefix (the reader knows how many). */
void bd_buf_put_bytes(BdBuf *b, const void *data, size_t len);

/* Reads set b->bad (and return 0 / "") when the message is short. */
int64_t bd_buf_get_i64(BdBuf *b);
double bd_buf_get_f64(BdBuf *b);
/* Copies into out (truncating to cap-1). */
void bd_buf_get_str(BdBuf *b, char *out, size_t cap);
/* A pointer into the buffer, valid until the buffer changes; NUL-terminated
 * because put_str stores the terminator. */
const char *bd_buf_get_strp(BdBuf *b);

/* 0 when every read stayed in bounds; otherwise an error naming the message. */
int bd_buf_check(const BdBuf *b, const char *what, BdError *err);

/* ---- one metrics record ------------------------------------------------------
 * The numbers of one evaluation (a phase, an epoch, the attack they were
 * measured against or "" for the model's own, n named values), as the worker
 * sends them to rank 0 and as a checkpoint keeps the history of a job:
 *     str phase, i64 epoch, str attack, i64 n, n x (str name, f64 value)
 * One encoder, one decoder. */
#define BD_METRICS_MAX 100000

typedef struct BdMetricsRecord {
    const char *phase, *attack; /* pointers into the buffer read from */
    int epoch, n;
    const char **names; /* [n], owned by the record */
    double *values;     /* [n], owned by the record */
    int cap;
} BdMetricsRecord;

void bd_metrics_put(BdBuf *b, const char *phase, int epoch, const char *attack, const char *const *names,
                    const double *values, int n);
/* Reads the next record into r (reusing its arrays); -1 (b->bad set) when
 * the buffer is short or the count is impossible. */
int bd_metrics_get(BdBuf *b, BdMetricsRecord *r);
void bd_metrics_record_free(BdMetricsRecord *r);

/* ---- a job order ----------------------------------------------------------------
 *     i64 job id, str key, str checkpoint folder ("" none), f64 deadline,
 *     i64 n, n x str attack     (the attacks a clean model is measured against) */
typedef struct BdJobOrder {
    int64_t job;
    const char *key, *ckpt_dir; /* pointers into the buffer read from */
    double deadline;
    int n_attacks;
    const char **attacks; /* [n_attacks], owned by the order */
} BdJobOrder;

void bd_job_order_put(BdBuf *b, int64_t job, const char *key, const char *ckpt_dir, double deadline,
                      const char *const *attacks, int n_attacks);
int bd_job_order_get(BdBuf *b, BdJobOrder *o);
void bd_job_order_free(BdJobOrder *o);

/* Length-prefixed bytes (i64 n, n bytes); get gives a pointer into the buffer. */
void bd_buf_put_blob(BdBuf *b, const void *data, size_t len);
const unsigned char *bd_buf_get_blob(BdBuf *b, size_t *len);

#endif
