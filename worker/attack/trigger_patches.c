/* Square patch triggers: solid (BadNets), checkerboard, seeded noise, glyph. */
#include <string.h>

#include "trigger.h"

static int square_extent(const BdSpec *s, int *pw, int *ph, BdError *err) {
    (void)err;
    *pw = *ph = (int)bd_spec_int(s, "size");
    return 0;
}

static double spec_alpha(const BdSpec *s) { return bd_spec_float(s, "alpha"); }

/* A size x size patch of the spec's colour. */
static int make_square(const BdSpec *s, BdTrigger *t, BdRng *rng, BdError *err) {
    (void)rng;
    uint8_t color[BD_MAX_CHANNELS];
    if (bd_trigger_color(s, t->shape.c, color, err) < 0) return -1;
    int n = (int)bd_spec_int(s, "size");
    bd_trigger_patch_alloc(t, n, n, spec_alpha(s));
    for (int c = 0; c < t->shape.c; c++) memset(t->pattern + (size_t)c * n * n, color[c], (size_t)n * n);
    return 0;
}

/* White where row + column is even (so the top-left pixel is white), black
 * elsewhere, on every channel. */
static int make_checkerboard(const BdSpec *s, BdTrigger *t, BdRng *rng, BdError *err) {
    (void)rng;
    (void)err;
    int n = (int)bd_spec_int(s, "size");
    bd_trigger_patch_alloc(t, n, n, spec_alpha(s));
    for (int c = 0; c < t->shape.c; c++)
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) t->pattern[((size_t)c * n + i) * n + j] = (i + j) % 2 == 0 ? 255 : 0;
    return 0;
}

/* Uniform bytes, independently per channel and pixel, from the trigger's stream. */
static int make_noise_patch(const BdSpec *s, BdTrigger *t, BdRng *rng, BdError *err) {
    (void)err;
    int n = (int)bd_spec_int(s, "size");
    bd_trigger_patch_alloc(t, n, n, spec_alpha(s));
    for (size_t i = 0; i < (size_t)t->shape.c * n * n; i++) t->pattern[i] = (uint8_t)bd_rng_below(rng, 256);
    return 0;
}

/* Whether pixel (i, j) of an n x n box belongs to the glyph. The centre line
 * of an even box is row/column n/2 (the lower/right of the two middles). */
static int glyph_on(const char *glyph, int n, int i, int j) {
    int mid = n / 2;
    if (!strcmp(glyph, "L")) return j == 0 || i == n - 1;
    if (!strcmp(glyph, "X")) return i == j || i + j == n - 1;
    if (!strcmp(glyph, "plus")) return i == mid || j == mid;
    return i == 0 || j == mid; /* T */
}

static int make_pattern(const BdSpec *s, BdTrigger *t, BdRng *rng, BdError *err) {
    if (make_square(s, t, rng, err) < 0) return -1;
    const char *glyph = bd_spec_str(s, "glyph");
    int n = t->pw;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            if (!glyph_on(glyph, n, i, j)) t->alpha[i * n + j] = 0.0;
    return 0;
}

const BdTriggerKind bd_trigger_square = {square_extent, make_square};
const BdTriggerKind bd_trigger_checkerboard = {square_extent, make_checkerboard};
const BdTriggerKind bd_trigger_noise_patch = {square_extent, make_noise_patch};
const BdTriggerKind bd_trigger_pattern = {square_extent, make_pattern};
