#include "batch.h"

#include <string.h>

#define CROP_PAD 4

void bd_batcher_init(BdBatcher *b, const BdDataset *d, const char *augment) {
    memset(b, 0, sizeof *b);
    b->shape = d->shape;
    for (int c = 0; c < d->shape.c; c++)
        for (int v = 0; v < 256; v++) b->lut[c][v] = ((float)v / 255.0f - d->mean[c]) / d->std[c];
    b->crop = !strcmp(augment, "crop") || !strcmp(augment, "crop-flip");
    b->flip = !strcmp(augment, "flip") || !strcmp(augment, "crop-flip");
}

void bd_batch_fill(const BdBatcher *b, const BdSplit *s, const int *idx, int n, float *x, int *y, BdRng *rng) {
    const int C = b->shape.c, H = b->shape.h, W = b->shape.w;
    const size_t plane = (size_t)H * W;
    for (int i = 0; i < n; i++) {
        const uint8_t *img = s->x + (size_t)idx[i] * C * plane;
        if (y) y[i] = s->y[idx[i]];
        int dy = 0, dx = 0, flip = 0;
        if (rng && b->crop) {
            dy = (int)bd_rng_below(rng, 2 * CROP_PAD + 1) - CROP_PAD;
            dx = (int)bd_rng_below(rng, 2 * CROP_PAD + 1) - CROP_PAD;
        }
        if (rng && b->flip) flip = (int)bd_rng_below(rng, 2);
        for (int c = 0; c < C; c++) {
            const float *lut = b->lut[c];
            const uint8_t *src = img + (size_t)c * plane;
            float *dst = x + ((size_t)c * n + i) * plane;
            if (!dy && !dx && !flip) {
                for (size_t p = 0; p < plane; p++) dst[p] = lut[src[p]];
                continue;
            }
            for (int h = 0; h < H; h++) {
                int sh = h + dy;
                for (int w = 0; w < W; w++) {
                    int sw = (flip ? W - 1 - w : w) + dx;
                    int inside = sh >= 0 && sh < H && sw >= 0 && sw < W;
                    dst[h * W + w] = lut[inside ? src[sh * W + sw] : 0];
                }
            }
        }
    }
}
