/* A picture of a trigger: a PNG grid of n clean test images (top row) and the
 * same images with the trigger (bottom row), so a user can see what a sweep's
 * trigger does to their data.
 *
 * Each image is upscaled by the integer factor max(1, 128 / max(h, w)) (a
 * 28x28 or 32x32 image becomes 112 or 128 pixels) and framed by a gap of
 * 2 gray pixels, so the PNG is
 *   width  = n * w * factor + (n + 1) * 2
 *   height = 2 * h * factor + 3 * 2
 * RGB; a 1-channel dataset is shown gray, a 2-channel one as (c0, c1, c1),
 * a 4-channel one by its first three channels. */
#ifndef BD_PREVIEW_H
#define BD_PREVIEW_H

#include <stdint.h>

#include "attack.h"
#include "dataset.h"

enum { BD_PREVIEW_GAP = 2, BD_PREVIEW_TARGET_SIDE = 128 };

/* The upscaling factor for an h x w image. */
int bd_preview_factor(int h, int w);

/* Writes the grid to png_path. The n images (at most the test split's size)
 * are chosen from the test split with a stream of `seed`, which also feeds
 * random trigger locations. */
int bd_preview_write(const char *png_path, const BdDataset *d, const BdTrigger *t, int n, uint64_t seed,
                     BdError *err);

#endif
