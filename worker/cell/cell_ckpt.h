/* Checkpoints of a running cell, and the metric history that travels with
 * them.
 *
 * A resumed or reused phase must still put every number in the database: the
 * coordinator clears a cell's metrics when an attempt starts, so the worker
 * replays the history stored in the checkpoint before it goes on. The history
 * is a recording sink: it forwards every metrics call to the real sink and
 * keeps a copy. */
#ifndef BD_CELL_CKPT_H
#define BD_CELL_CKPT_H

#include <stdint.h>

#include "nn.h"
#include "optim.h"
#include "sink.h"
#include "wire.h"

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
    const char *db_id;    /* the database's identity (meta database_id); "" none */
    const char *job;      /* the job's checkpoint identity: its key (and a clean model's attacks) */
    uint64_t data_digest; /* of the data the loader read (bd_dataset_digest) */
    const char *engine;   /* the engine and its number format */
} BdCkptOwner;

/* Saves weights, buffers, optimiser state (opt may be NULL: weights only)
 * and the history, marking how far the phase got, with its owner. */
int bd_cell_ckpt_save(const char *path, const char *arch_key, const BdCkptOwner *owner, const BdGraph *g,
                      const BdSgd *opt, const BdHistory *h, const char *phase, int epochs_done, BdError *err);
/* Loads into g (and opt, if not NULL) and replays the stored history into h
 * (which forwards it); refuses (err says why, nothing replayed) a
 * checkpoint of another owner (owner NULL: any, for export) — g and opt may
 * hold its numbers then: the caller starts the job over. phase receives
 * the phase the checkpoint was taken in, *epochs_done how many of its epochs
 * were complete. */
int bd_cell_ckpt_load(const char *path, const char *arch_key, const BdCkptOwner *owner, BdGraph *g, BdSgd *opt,
                      BdHistory *h, char *phase, size_t phase_cap, int *epochs_done, BdError *err);

#endif
