/* Mini-batches: uint8 images of a split -> the float CNHW tensor the graph
 * reads, normalised per channel, optionally augmented.
 *
 * Normalisation is a lookup table per channel (256 entries), so building a
 * batch costs one table read per pixel. Augmentation follows torchvision's
 * RandomCrop(size, padding=4) (zero pixels in the padding, i.e. black before
 * normalisation) and RandomHorizontalFlip(0.5). */
#ifndef BD_BATCH_H
#define BD_BATCH_H

#include "dataset.h"
#include "rng.h"

typedef struct BdBatcher {
    BdDataShape shape;
    float lut[BD_MAX_CHANNELS][256];
    int crop, flip; /* augmentation switches */
} BdBatcher;

/* augment: none | flip | crop | crop-flip */
void bd_batcher_init(BdBatcher *b, const BdDataset *d, const char *augment);

/* x: [C, n, H, W] (n = count); y: [n] labels (may be NULL).
 * idx[i] is the sample of split s at batch position i.
 * rng: augmentation draws; NULL turns augmentation off (evaluation). */
void bd_batch_fill(const BdBatcher *b, const BdSplit *s, const int *idx, int n, float *x, int *y, BdRng *rng);

#endif
