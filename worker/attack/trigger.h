/* What a trigger preset's `impl` points at, and the trigger object itself.
 * Private to worker/attack: the rest of the program uses attack.h.
 *
 * Every trigger but the sinusoid is a patch: ph x pw pattern pixels with an
 * opacity per pixel, pasted at a position as out = round((1-a) x + a p).
 * Full-image triggers (blend) are a patch the size of the image at (0, 0);
 * a glyph or a PNG with transparency has opacity 0 where it does not draw.
 * The sinusoid adds a value per column instead. */
#ifndef BD_TRIGGER_H
#define BD_TRIGGER_H

#include "attack.h"

typedef enum { BD_PLACE_FIXED, BD_PLACE_RANDOM } BdPlace;

struct BdTrigger {
    BdDataShape shape;
    int ph, pw;
    uint8_t *pattern; /* [c][ph][pw] */
    double *alpha;    /* [ph][pw], opacity in [0, 1] */
    BdPlace place;
    int x, y;           /* FIXED: the patch's top-left pixel */
    int x0, x1, y0, y1; /* RANDOM: top-left drawn uniformly from [x0, x1] x [y0, y1] */
    double *add;        /* additive triggers: [w], added to every row and channel; NULL otherwise */
};

typedef struct BdTriggerKind {
    /* The patch size the spec asks for, for fit checks before any image is
     * loaded: pw = ph = 0 for a full-image trigger. May read a file's header
     * (image triggers of the file's size) and fail naming the file. */
    int (*extent)(const BdSpec *s, int *pw, int *ph, BdError *err);
    /* Fills t->pattern and t->alpha (through bd_trigger_patch_alloc) or
     * t->add, for t->shape. rng is the trigger's own stream (noise patterns).
     * Placement is done by the caller. */
    int (*make)(const BdSpec *s, BdTrigger *t, BdRng *rng, BdError *err);
} BdTriggerKind;

extern const BdTriggerKind bd_trigger_square, bd_trigger_checkerboard, bd_trigger_noise_patch, bd_trigger_pattern;
extern const BdTriggerKind bd_trigger_blend, bd_trigger_sinusoid, bd_trigger_image;

/* ---- shared helpers (trigger_common.c) ------------------------------------ */

/* Allocates a ph x pw patch: pattern zeroed, every opacity = alpha. */
void bd_trigger_patch_alloc(BdTrigger *t, int ph, int pw, double alpha);

/* round(0.299 r + 0.587 g + 0.114 b) */
uint8_t bd_luminance(uint8_t r, uint8_t g, uint8_t b);

/* The spec's `color` for an image of `channels` channels: one value for all,
 * one per channel, or (1-channel images) an RGB triple taken as its luminance. */
int bd_trigger_color(const BdSpec *s, int channels, uint8_t out[BD_MAX_CHANNELS], BdError *err);

/* Reads a PNG/JPEG (anything stb_image decodes), resizes it to w x h when
 * both are > 0 (else keeps the file's size, returned in *w, *h), and converts
 * it to `channels` planar channels: a gray file is copied to every channel;
 * an RGB file gives its luminance to 1- and 2-channel images, R, G, B to the
 * first three channels otherwise (and the luminance to a 4th). The file's
 * alpha (if any) scales `alpha` per pixel. `what` names the trigger in errors. */
int bd_trigger_read_image(const char *what, const char *path, int *w, int *h, int channels, double alpha,
                          uint8_t **pattern, double **opacity, BdError *err);

#endif
