/* Helpers shared by the trigger kinds: patch allocation, colours, image files. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <stb_image.h>
#include <stb_image_resize.h>

#include "trigger.h"

void bd_trigger_patch_alloc(BdTrigger *t, int ph, int pw, double alpha) {
    t->ph = ph;
    t->pw = pw;
    t->pattern = bd_xcalloc((size_t)t->shape.c * ph * pw, 1);
    t->alpha = bd_xmalloc((size_t)ph * pw * sizeof *t->alpha);
    for (int i = 0; i < ph * pw; i++) t->alpha[i] = alpha;
}

uint8_t bd_luminance(uint8_t r, uint8_t g, uint8_t b) {
    double v = floor(0.299 * r + 0.587 * g + 0.114 * b + 0.5);
    return (uint8_t)(v > 255 ? 255 : v);
}

int bd_trigger_color(const BdSpec *s, int channels, uint8_t out[BD_MAX_CHANNELS], BdError *err) {
    long v[8];
    int n = bd_spec_int_list(s, "color", v, 8);
    if (channels < 1 || channels > BD_MAX_CHANNELS)
        return bd_fail(err, "trigger %s: images of %d channels: expected 1..%d", s->name, channels, BD_MAX_CHANNELS);
    if (n == 1) {
        for (int c = 0; c < channels; c++) out[c] = (uint8_t)v[0];
    } else if (n == channels) {
        for (int c = 0; c < channels; c++) out[c] = (uint8_t)v[c];
    } else if (n == 3 && channels == 1) {
        out[0] = bd_luminance((uint8_t)v[0], (uint8_t)v[1], (uint8_t)v[2]);
    } else {
        if (channels == 1)
            return bd_fail(err, "trigger %s: color has %d values: expected 1, or 3 (taken as their luminance)", s->name, n);
        return bd_fail(err, "trigger %s: color has %d values: expected 1 or %d (the image's channels)", s->name, n,
                       channels);
    }
    return 0;
}

/* Channel ch of a pixel of `comp` file components, for an image of `channels`. */
static uint8_t convert(const uint8_t *px, int comp, int ch, int channels) {
    if (comp < 3) return px[0]; /* gray (with or without alpha) */
    if (channels < 3 || ch >= 3) return bd_luminance(px[0], px[1], px[2]);
    return px[ch];
}

int bd_trigger_read_image(const char *what, const char *path, int *w, int *h, int channels, double alpha,
                          uint8_t **pattern, double **opacity, BdError *err) {
    int fw, fh, comp;
    uint8_t *img = stbi_load(path, &fw, &fh, &comp, 0);
    if (!img)
        return bd_fail(err, "trigger %s: cannot read image %s (%s): expected a PNG or JPEG file", what, path,
                       stbi_failure_reason());
    if (*w > 0 && *h > 0 && (*w != fw || *h != fh)) {
        uint8_t *resized = bd_xmalloc((size_t)*w * *h * comp);
        int ok = stbir_resize_uint8(img, fw, fh, 0, resized, *w, *h, 0, comp);
        stbi_image_free(img);
        if (!ok) {
            free(resized);
            return bd_fail(err, "trigger %s: cannot resize %s from %dx%d to %dx%d", what, path, fw, fh, *w, *h);
        }
        img = resized;
    } else {
        /* Keep the file's size; stb's buffer is freed with stbi_image_free,
         * so copy to memory our free() owns. */
        uint8_t *copy = bd_xmalloc((size_t)fw * fh * comp);
        memcpy(copy, img, (size_t)fw * fh * comp);
        stbi_image_free(img);
        img = copy;
        *w = fw;
        *h = fh;
    }
    size_t plane = (size_t)*w * *h;
    int has_alpha = comp == 2 || comp == 4;
    *pattern = bd_xmalloc((size_t)channels * plane);
    *opacity = bd_xmalloc(plane * sizeof **opacity);
    for (size_t p = 0; p < plane; p++) {
        const uint8_t *px = img + p * comp;
        for (int c = 0; c < channels; c++) (*pattern)[c * plane + p] = convert(px, comp, c, channels);
        (*opacity)[p] = has_alpha ? alpha * px[comp - 1] / 255.0 : alpha;
    }
    free(img);
    return 0;
}
