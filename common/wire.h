/* Messages between the coordinator (rank 0) and the workers, and between a
 * worker and the process that runs its job.
 *
 * The conversation, all point-to-point:
 *
 *   worker -> 0   BD_MSG_READY     host name                    (asks for work)
 *   0 -> worker   BD_MSG_JOB       a job order (below)          (or BD_MSG_STOP)
 *   worker -> 0   BD_MSG_PROGRESS  job id, phase, epoch, epochs, step, steps
 *   worker -> 0   BD_MSG_METRICS   job id, a metrics record (below)
 *   worker -> 0   BD_MSG_DONE      job id, wall seconds, params, GFLOP per image,
 *                                  every metrics record of the job, its artifacts (below)
 *   worker -> 0   BD_MSG_FAILED    job id, wall seconds, error text
 *   worker -> 0   BD_MSG_STOPPED   job id, wall seconds, where it stopped
 *   worker -> 0   BD_MSG_MACHINE_FAILED  job id, wall seconds, error text
 *                                  (the machine failed it, not the job: a full
 *                                  disk, an I/O error, no process could start)
 *   either way    BD_MSG_INTERRUPT (nothing)                    (a stop signal: checkpoint and stop)
 *
 * A worker runs each job in a process of its own (worker/proc/): the job's
 * process writes PROGRESS, METRICS and its outcome (DONE, FAILED or
 * STOPPED) on a pipe, framed (bd_frame_*), and the worker relays them to
 * rank 0 as they are; a job whose process dies without an outcome is sent
 * as FAILED with the reason the worker saw (its signal, its exit status,
 * its limits). BD_MSG_DATA_IMAGE goes from a job's process to its worker
 * only: the job decoded a dataset into the shared image the worker gave it
 * (worker/data/data_image.h), which the worker keeps for its next jobs.
 *
 * The metrics of a job stream to rank 0 as they come (a reader sees a cell's
 * curve while it trains), and come again, all of them, with DONE: rank 0
 * stores them together with the job's new state in one transaction, so no
 * job is done without every number it produced.
 * The deadline (Unix time, 0 for none) is when the run's --time-limit ends:
 * a job past it, or told to stop by a signal or an INTERRUPT, stops at its
 * next training step (its checkpoint written, mid-epoch) and reports
 * STOPPED, and rank 0 puts it back to pending for the next run. A job the
 * machine failed (common/error.h, BdError.machine) goes back to pending as
 * well, and rank 0 stops the run as for a signal, with exit status 3:
 * every job after it would fail the same way, and none of them is at
 * fault. A signal
 * that reaches a worker is passed on to rank 0 as INTERRUPT, and rank 0
 * sends INTERRUPT to every busy worker, so that a signal anywhere stops
 * the whole run. After DONE, FAILED or STOPPED the worker sends READY
 * again. The MPI tag is the message type; the payload is a byte buffer
 * packed with the functions below (little-endian fixed-width integers,
 * IEEE doubles, length-prefixed strings), so a message reads the same on
 * every rank. The cell itself travels as its canonical key (common/cell.h),
 * which is the cell's whole description. */
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
    BD_MSG_INTERRUPT = 9,
    BD_MSG_DATA_IMAGE = 10,
    BD_MSG_MACHINE_FAILED = 11,
    BD_MSG_LAST = BD_MSG_MACHINE_FAILED,
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
 *     i64 job id, str key, str checkpoint folder ("" none), str models folder
 *     ("" none), str database id, f64 deadline, f64 wall-time limit (seconds,
 *     0 none), i64 memory limit (bytes, 0 none),
 *     i64 n, n x str attack     (the attacks a clean model is measured against) */
typedef struct BdJobOrder {
    int64_t job;
    const char *key;        /* the job's key (common/job.h) */
    const char *ckpt_dir;   /* where its checkpoints go ("" or NULL: none) */
    const char *models_dir; /* where its models are kept (keep: [models]; "" or NULL: not kept) */
    const char *db_id;      /* the database's identity, which checkpoints are bound to ("" or NULL: none) */
    double deadline;        /* Unix time; 0: none */
    double wall_limit;      /* of this attempt, enforced by the worker (seconds; 0: none) */
    int64_t memory_limit;   /* set on the job's process (worker/proc/; bytes, 0: none) */
    int n_attacks;
    const char *const *attacks; /* [n_attacks] */
} BdJobOrder;

void bd_job_order_put(BdBuf *b, const BdJobOrder *o);
/* Fills o with pointers into b (valid while b is); the attacks array is
 * o's own: free it with bd_job_order_free. */
int bd_job_order_get(BdBuf *b, BdJobOrder *o);
void bd_job_order_free(BdJobOrder *o);

/* ---- the messages of a running job (worker -> rank 0) ----------------------------
 * One encoder and one decoder each, shared by the job's process (which
 * writes them), its worker (which relays them and reads where the job is)
 * and rank 0 (which stores them). */
typedef struct BdProgressMsg {
    int64_t job;
    const char *phase; /* into the buffer read from */
    int epoch, epochs, step, steps;
} BdProgressMsg;
void bd_msg_progress_put(BdBuf *b, const BdProgressMsg *m);
int bd_msg_progress_get(BdBuf *b, BdProgressMsg *m);

/* job id, then the record; bd_metrics_get reads the record after the id. */
void bd_msg_metrics_put(BdBuf *b, int64_t job, const char *phase, int epoch, const char *attack,
                        const char *const *names, const double *values, int n);

/* DONE, FAILED or STOPPED. */
typedef struct BdOutcomeMsg {
    int64_t job;
    double wall_seconds;
    long params;                  /* DONE */
    double gflops_per_image;      /* DONE */
    const unsigned char *history; /* DONE: every metrics record, into the buffer read from */
    size_t history_len;
    const unsigned char *artifacts; /* DONE: its artifacts (below), into the buffer read from */
    size_t artifacts_len;
    const char *text;             /* FAILED: the error; STOPPED: where it stopped */
} BdOutcomeMsg;
void bd_msg_outcome_put(BdBuf *b, BdMsgType type, const BdOutcomeMsg *m);
int bd_msg_outcome_get(BdBuf *b, BdMsgType type, BdOutcomeMsg *m);

/* ---- frames: messages on a byte stream (a pipe) -----------------------------------
 *     i64 type, i64 n, n bytes of payload
 * bd_frame_write writes one whole frame (retrying short writes); -1 with
 * errno when the stream is gone. A reader appends what it read to a BdBuf
 * and takes complete frames off its front with bd_frame_next. */
#define BD_FRAME_MAX ((int64_t)1 << 32) /* a longer frame is a damaged stream */
int bd_frame_write(int fd, BdMsgType type, const BdBuf *payload);
/* 1: a frame was taken (its type and payload, copied into payload); 0: the
 * buffer holds no complete frame yet; -1: the stream is damaged (err). */
int bd_frame_next(BdBuf *stream, BdMsgType *type, BdBuf *payload, BdError *err);

/* ---- what a job leaves besides its numbers ----------------------------------------
 * A job's artifacts travel with DONE as a list of records, each an i64 kind
 * and its fields; rank 0 stores them in the transaction that marks it done:
 *   BD_ARTIFACT_POISONED  str attack, blob of i32 indices (little-endian): the
 *                         training samples the attack poisoned, as indices in the
 *                         dataset's training split (file order), ascending
 *   BD_ARTIFACT_MODEL     str phase, str path, i64 c, h, w, classes, epochs: a
 *                         kept model (keep: [models]), a weights-only checkpoint */
typedef enum { BD_ARTIFACT_POISONED = 1, BD_ARTIFACT_MODEL = 2 } BdArtifactKind;

typedef struct BdArtifact {
    BdArtifactKind kind;
    const char *attack;           /* POISONED */
    const unsigned char *indices; /* POISONED: n little-endian int32 (bd_artifact_index) */
    int n;
    const char *phase, *path;     /* MODEL */
    int c, h, w, classes, epochs; /* MODEL */
} BdArtifact;

void bd_artifact_put_poisoned(BdBuf *b, const char *attack, const int *indices, int n);
void bd_artifact_put_model(BdBuf *b, const char *phase, const char *path, int c, int h, int w, int classes,
                           int epochs);
/* The next record (pointers into b); -1 with b->bad set when it is damaged. */
int bd_artifact_get(BdBuf *b, BdArtifact *a);
int bd_artifact_index(const BdArtifact *a, int i);

/* Length-prefixed bytes (i64 n, n bytes); get gives a pointer into the buffer. */
void bd_buf_put_blob(BdBuf *b, const void *data, size_t len);
const unsigned char *bd_buf_get_blob(BdBuf *b, size_t *len);

#endif
