/* The jobs behind a cell, and where their checkpoints live.
 *
 * A cell is one job. Two more kinds of identity hang off it:
 *   - its main phase (training on the poisoned set) depends on everything but
 *     how the model is retrained afterwards, except the held-out fraction
 *     (split off before poisoning). Cells that differ only in their retraining
 *     settings share the main key, the main model checkpoint and the main
 *     phase's numbers, so retraining can be re-run with other settings
 *     without training the main phase again;
 *   - a cell with init: pretrained fine-tunes a clean model of the same
 *     dataset, architecture and seed, trained once by a pre-training job
 *     (common/job.h), whose training setting is the cell's with the epochs
 *     of its init.
 * Checkpoints are named after a hash of the key they belong to. */
#ifndef BD_JOB_KEYS_H
#define BD_JOB_KEYS_H

#include <stddef.h>

#include "cell.h"
#include "job.h"

/* The canonical texts of the axes of mask of c: texts[a] and t[a] = texts[a]
 * for those axes, t[a] = NULL for the others. */
int bd_cell_texts(const BdCell *c, unsigned mask, char texts[][BD_SPEC_TEXT_MAX], const char **t, BdError *err);

/* The retraining setting reduced to what the main phase depends on: its
 * held-out fraction (none stays none). */
int bd_main_retrain(const BdSpec *retrain, BdSpec *out, BdError *err);
/* The job's key with its retraining reduced so (== the job's key when it
 * does not retrain): jobs that differ only in their retraining share it. */
int bd_main_key(const BdJob *job, char *out, size_t cap, BdError *err);

/* The pre-training job's key, or "" when the cell starts from scratch. */
int bd_pretrain_key(const BdCell *c, char *out, size_t cap, BdError *err);

/* Room for a checkpoint's path: a folder of up to 4096 bytes (PATH_MAX) and its name. */
#define BD_CKPT_PATH_MAX (4096 + 64)

/* dir/<kind>-<16 hex digits of the key's hash>.ckpt; fails when it does not fit in cap. */
int bd_checkpoint_path(const char *dir, const char *kind, const char *key, char *out, size_t cap, BdError *err);

/* The architecture key stored in a checkpoint: a model is only loaded into
 * the same architecture on the same input shape and class count. */
int bd_arch_key(const BdCell *c, int channels, int height, int width, int classes, char *out, size_t cap,
                BdError *err);

#endif
