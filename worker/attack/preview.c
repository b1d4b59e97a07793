#include "preview.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <stb_image_write.h>

int bd_preview_factor(int h, int w) {
    int side = h > w ? h : w;
    int f = BD_PREVIEW_TARGET_SIDE / (side > 0 ? side : 1);
    return f > 1 ? f : 1;
}

/* Draws one planar [c][h][w] image into the RGB canvas at (x0, y0), scaled by f. */
static void blit(uint8_t *canvas, int cw, const uint8_t *img, BdDataShape s, int f, int x0, int y0) {
    size_t plane = (size_t)s.h * s.w;
    for (int i = 0; i < s.h * f; i++)
        for (int j = 0; j < s.w * f; j++) {
            size_t src = (size_t)(i / f) * s.w + (size_t)(j / f);
            uint8_t *dst = canvas + ((size_t)(y0 + i) * cw + (size_t)(x0 + j)) * 3;
            for (int k = 0; k < 3; k++) {
                int ch = k < s.c ? k : s.c - 1; /* gray -> (g, g, g); 2 channels -> (c0, c1, c1) */
                dst[k] = img[(size_t)ch * plane + src];
            }
        }
}

int bd_preview_write(const char *png_path, const BdDataset *d, const BdTrigger *t, int n, uint64_t seed,
                     BdError *err) {
    const BdDataShape s = d->shape;
    if (d->test.n < 1) return bd_fail(err, "preview: the dataset has no test images to show");
    if (n < 1) return bd_fail(err, "preview: %d images: expected at least 1", n);
    if (n > d->test.n) n = d->test.n;

    BdRng pick, where;
    bd_rng_stream(&pick, seed, "preview-pick", 0);
    bd_rng_stream(&where, seed, "preview-trigger", 0);
    int *all = bd_xmalloc((size_t)d->test.n * sizeof *all), *chosen = bd_xmalloc((size_t)n * sizeof *chosen);
    for (int i = 0; i < d->test.n; i++) all[i] = i;
    bd_rng_choose(&pick, all, (size_t)d->test.n, chosen, (size_t)n);
    free(all);

    const int f = bd_preview_factor(s.h, s.w), g = BD_PREVIEW_GAP;
    const int cw = n * s.w * f + (n + 1) * g, chh = 2 * s.h * f + 3 * g;
    uint8_t *canvas = bd_xmalloc((size_t)cw * chh * 3);
    memset(canvas, 128, (size_t)cw * chh * 3);
    size_t bytes = (size_t)s.c * s.h * s.w;
    uint8_t *img = bd_xmalloc(bytes);
    for (int k = 0; k < n; k++) {
        const uint8_t *clean = d->test.x + (size_t)chosen[k] * bytes;
        int x0 = g + k * (s.w * f + g);
        blit(canvas, cw, clean, s, f, x0, g);
        memcpy(img, clean, bytes);
        bd_trigger_apply(t, img, &where);
        blit(canvas, cw, img, s, f, x0, 2 * g + s.h * f);
    }
    free(img);
    free(chosen);
    errno = 0;
    int ok = stbi_write_png(png_path, cw, chh, 3, canvas, cw * 3);
    free(canvas);
    if (!ok)
        return bd_fail(err, "preview: cannot write %s: %s", png_path,
                       errno ? strerror(errno) : "stb_image_write failed");
    return 0;
}
