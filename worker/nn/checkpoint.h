/* Checkpoints: a graph's parameters and buffers, the optimiser's state and a
 * small caller blob (the trainer's epoch and its own state) in one binary
 * file, written atomically (a temporary file in the same folder, fsync,
 * rename), so that a crash leaves either the old checkpoint or the new one.
 *
 * Layout (little-endian):
 *   "BDCKPT\0\0" u32 version u32 key_len
 *   u64 n_params u64 n_buffers u64 n_velocity u64 blob_len u64 steps
 *   u32 n_tensors u32 layout_hash_lo u32 layout_hash_hi u32 crc32
 *   key bytes
 *   payload: f32 params[n_params] f32 buffers[n_buffers]
 *            f32 velocity[n_velocity] u8 started[n_velocity ? n_tensors : 0]
 *            blob bytes
 * The key is the caller's canonical architecture + data-shape text; the
 * layout hash covers every tensor's name and dims; the CRC32 (zlib) covers
 * the key and the payload. */
#ifndef BD_CHECKPOINT_H
#define BD_CHECKPOINT_H

#include <stddef.h>

#include "nn.h"
#include "optim.h"

#define BD_CHECKPOINT_VERSION 1

/* opt may be NULL (weights only). Returns 0 or -1 with err naming the file. */
int bd_checkpoint_save(const char *path, const char *arch_key, const BdGraph *g, const BdSgd *opt, const void *blob,
                       size_t blob_len, BdError *err);

/* Refuses, naming the file and the reason, a file that is not a checkpoint,
 * one from a newer format, one for another architecture key or tensor layout,
 * a truncated one and one whose checksum fails; the graph and optimiser are
 * untouched then. opt NULL loads the weights only (a pre-trained model for
 * fine-tuning); opt non-NULL requires optimiser state in the file. The blob
 * goes to blob[0..blob_cap) and its size to *blob_len (either may be NULL
 * when no blob is expected). */
int bd_checkpoint_load(const char *path, const char *arch_key, BdGraph *g, BdSgd *opt, void *blob, size_t blob_cap,
                       size_t *blob_len, BdError *err);

#endif
