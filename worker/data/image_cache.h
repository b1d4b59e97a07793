/* A file of decoded images, so that a slow decode (JPEG folders) happens once
 * and every later load (other cells, other MPI ranks at the same moment)
 * reads plain bytes.
 *
 * Layout, integers little-endian:
 *   "BDSWIMGC"  u32 version  u32 n  u32 c  u32 side  u32 classes
 *   u64 key  u64 payload_bytes  u32 crc32(payload)
 *   payload: u32 labels[n], then uint8 pixels [n][c][side][side]
 * A file is valid when every header field matches what the reader expects
 * (the key is the hash of the source files and parameters), the size matches
 * and the checksum agrees; otherwise the caller rebuilds it. Files are
 * written to a temporary name and renamed into place, so a concurrent reader
 * sees either no file or a whole one. */
#ifndef BD_IMAGE_CACHE_H
#define BD_IMAGE_CACHE_H

#include <stdint.h>

#include "error.h"

typedef struct BdImageCache {
    int n, c, side, classes;
    uint64_t key;
    int *y;     /* [n] */
    uint8_t *x; /* [n][c][side][side] */
} BdImageCache;

enum { BD_CACHE_MISSING = 0, BD_CACHE_LOADED = 1, BD_CACHE_INVALID = -1 };

/* Reads file into c->y and c->x (allocated here) when its header matches
 * c->n, c, side, classes and key. Returns BD_CACHE_LOADED, BD_CACHE_MISSING
 * (no such file) or BD_CACHE_INVALID with the reason in err. */
int bd_image_cache_read(const char *file, BdImageCache *c, BdError *err);
/* Writes atomically (temporary file in the same folder, fsync, rename). */
int bd_image_cache_write(const char *file, const BdImageCache *c, BdError *err);

#endif
