/* Checkpoints of a running cell, and the metric history that travels with
 * them.
 *
 * A resumed or reused phase must still put every number in the database: the
 * coordinator clears a cell's metrics when an attempt starts, so the worker
 * replays the history stored in the checkpoint before it goes on. The history
 * is a recording sink: it forwards every metrics call to the real sink and
 * keeps a copy.
 *
 * Beside the weights and the optimiser state (worker/nn/checkpoint.h), a
 * checkpoint holds the job's own state as its blob:
 *     i64 format (BD_CELL_CKPT_FORMAT)
 *     i64 n, n x (str name, i64 type, value)   the header: named fields,
 *         type 'i' (i64 value), 'f' (f64 value) or 'b' (i64 length, bytes)
 *     i64 length, the recorded metrics calls (common/wire.h records)
 * The header's fields: phase (b), epoch, step, seen, correct (i), sum_loss,
 * sum_ce, sum_reg, seconds (f), rng.augment, rng.regularizer (b, 4 u64
 * each): the phase it was taken in and the point within it
 * (worker/train/trainer.h's BdTrainPoint, mid-epoch when step > 0); and
 * its owner (BdCkptOwner below): owner.database, owner.job, owner.engine
 * (b), owner.data (i). A
 * reader looks its fields up by name, so a later build adds fields without
 * changing the layout, and an older reader ignores the ones it does not
 * know; the format number changes only when a field changes its meaning.
 * A checkpoint of another format is refused (the job starts afresh with a
 * warning), never misread. */
#ifndef BD_CELL_CKPT_H
#define BD_CELL_CKPT_H

#include <stdint.h>

#include "nn.h"
#include "optim.h"
#include "sink.h"
#include "trainer.h"
#include "wire.h"

/* 3: a named-field header with the point within the phase (mid-epoch
 * checkpoints); 2: the phase and its epochs done, metrics records with
 * their attack. */
#define BD_CELL_CKPT_FORMAT 3

typedef struct BdHistory {
    BdSink sink;        /* give this one to the trainer */
    const BdSink *next; /* where everything is forwarded */
    BdBuf calls;        /* the recorded metrics calls */
} BdHistory;

void bd_history_init(BdHistory *h, const BdSink *next);
void bd_history_free(BdHistory *h);

/* What a checkpoint belongs to. A checkpoint is only resumed by the same
 * job of the same database, on the same data, with the same engine: a
 * folder left by a database deleted and made again at the same path, a file
 * renamed to another job's name, data changed on disk, or another build's
 * engine all start the job afresh. */
typedef struct BdCkptOwner {
    const char *db_id;    /* the database's identity (meta database_id); "" or NULL: none */
    const char *job;      /* the job's checkpoint identity: its key (and a clean model's attacks) */
    uint64_t data_digest; /* of the data the loader read (bd_dataset_digest) */
    const char *engine;   /* the engine and its number format */
} BdCkptOwner;

/* Saves weights, buffers, optimiser state (opt may be NULL: weights only)
 * and the history, marking the point of the phase it was taken at and its
 * owner. */
int bd_cell_ckpt_save(const char *path, const char *arch_key, const BdCkptOwner *owner, const BdGraph *g,
                      const BdSgd *opt, const BdHistory *h, const char *phase, const BdTrainPoint *at, BdError *err);
/* Loads into g (and opt, if not NULL), then replays the stored history into h
 * (which forwards it). phase receives the phase the checkpoint was taken in,
 * *at the point within it. A checkpoint of another owner is refused (owner
 * NULL: any owner, for export), err naming the file and why. A refused file
 * leaves the history untouched but may have loaded its weights (they are
 * read before the blob): the caller starts over, weights and optimiser
 * included. */
int bd_cell_ckpt_load(const char *path, const char *arch_key, const BdCkptOwner *owner, BdGraph *g, BdSgd *opt,
                      BdHistory *h, char *phase, size_t phase_cap, BdTrainPoint *at, BdError *err);

#endif
