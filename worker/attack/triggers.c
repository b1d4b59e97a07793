/* The trigger registry (docs/EXPERIMENT.md section 4). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trigger.h"

/* x and y name a fixed position together. */
static int check_location(const BdSpec *s, BdError *err) {
    if (bd_spec_has(s, "x") != bd_spec_has(s, "y"))
        return bd_fail(err, "give both x and y for a fixed position (or neither, and a location)");
    return 0;
}

/* A file source needs its file. */
static int check_blend(const BdSpec *s, BdError *err) {
    if (!strcmp(bd_spec_str(s, "source"), "image") && !bd_spec_has(s, "path"))
        return bd_fail(err, "source=image needs a path: expected a PNG or JPEG file");
    return 0;
}

#define LOCATION                                                                                        \
    {"location", BD_PARAM_ENUM, "bottom-right", BD_ANY, "top-left|top-right|bottom-left|bottom-right|center|random", \
     "where the patch goes; random draws a position per image"},                                         \
    {"x", BD_PARAM_INT, "", 0, 4096, NULL, "fixed column of the patch's left edge (with y; overrides location)"}, \
    {"y", BD_PARAM_INT, "", 0, 4096, NULL, "fixed row of the patch's top edge (with x)"},                          \
    {"margin", BD_PARAM_INT, "0", 0, 64, NULL, "distance from the image edge for named locations and random (not center)"}

#define ALPHA(def) {"alpha", BD_PARAM_FLOAT, def, 0, 1, NULL, "opacity: 1 replaces the pixels, less blends"}
#define COLOR {"color", BD_PARAM_INT_LIST, "[255]", 0, 255, NULL, "pixel value, one (all channels) or one per channel"}

static const BdParamDef square_params[] = {
    {"size", BD_PARAM_INT, "3", 1, 4096, NULL, "side of the patch in pixels"}, COLOR, ALPHA("1"), LOCATION, {0},
};
static const BdParamDef checker_params[] = {
    {"size", BD_PARAM_INT, "4", 1, 4096, NULL, "side of the patch in pixels"}, ALPHA("1"), LOCATION, {0},
};
static const BdParamDef noise_patch_params[] = {
    {"size", BD_PARAM_INT, "5", 1, 4096, NULL, "side of the patch in pixels"},
    {"pattern_seed", BD_PARAM_INT, "0", 0, 2147483647, NULL, "seed of the fixed noise pattern"},
    ALPHA("1"),
    LOCATION,
    {0},
};
static const BdParamDef pattern_params[] = {
    {"glyph", BD_PARAM_ENUM, "L", BD_ANY, "L|X|plus|T", "the binary glyph drawn in the patch"},
    {"size", BD_PARAM_INT, "3", 2, 4096, NULL, "side of the glyph's box in pixels"},
    COLOR,
    ALPHA("1"),
    LOCATION,
    {0},
};
static const BdParamDef blend_params[] = {
    {"alpha", BD_PARAM_FLOAT, "0.1", 0, 1, NULL, "mixing weight of the pattern: (1-alpha) x + alpha p"},
    {"source", BD_PARAM_ENUM, "noise", BD_ANY, "noise|image", "uniform random noise (seeded) or an image file"},
    {"path", BD_PARAM_STRING, "", BD_ANY, NULL, "image file (PNG/JPEG) for source=image, resized to the image"},
    {"pattern_seed", BD_PARAM_INT, "0", 0, 2147483647, NULL, "seed of the noise pattern"},
    {0},
};
static const BdParamDef sinusoid_params[] = {
    {"delta", BD_PARAM_FLOAT, "20", 0, 255, NULL, "amplitude in pixel units (20 = 20/255)"},
    {"frequency", BD_PARAM_FLOAT, "6", 0, 1000, NULL, "periods across the image width"},
    {0},
};
static const BdParamDef image_params[] = {
    {"path", BD_PARAM_STRING, NULL, BD_ANY, NULL, "PNG (or JPEG) file of the trigger"},
    {"size", BD_PARAM_INT, "0", 0, 4096, NULL, "resize to size x size pixels (0: keep the file's size)"},
    ALPHA("1"),
    LOCATION,
    {0},
};

const BdPreset bd_trigger_presets[] = {
    {"square", "solid patch (BadNets)", square_params, check_location, &bd_trigger_square},
    {"checkerboard", "alternating black and white patch", checker_params, check_location, &bd_trigger_checkerboard},
    {"noise-patch", "fixed random-noise patch", noise_patch_params, check_location, &bd_trigger_noise_patch},
    {"pattern", "small binary glyph (L, X, plus, T)", pattern_params, check_location, &bd_trigger_pattern},
    {"blend", "full-image pattern mixed in with alpha (Chen et al. 2017)", blend_params, check_blend, &bd_trigger_blend},
    {"sinusoid", "horizontal sinusoidal signal added to the image (SIG, Barni et al. 2019)", sinusoid_params, NULL,
     &bd_trigger_sinusoid},
    {"image", "an image file, pasted or blended", image_params, check_location, &bd_trigger_image},
    {0},
};

/* ---- fit, make, apply ----------------------------------------------------- */

static const BdTriggerKind *kind_of(const BdSpec *s, BdError *err) {
    const BdPreset *p = bd_preset_find(bd_trigger_presets, s->name);
    if (!p || !p->impl) {
        char names[512];
        bd_preset_names(bd_trigger_presets, names, sizeof names);
        bd_fail(err, "trigger '%s' is unknown: expected one of %s", s->name, names);
        return NULL;
    }
    return p->impl;
}

static void size_text(int pw, int ph, char *out, size_t cap) {
    if (pw == ph) snprintf(out, cap, "%d", pw);
    else snprintf(out, cap, "%dx%d", pw, ph);
}

/* Where a pw x ph patch goes in a w x h image: a fixed top-left pixel, or the
 * range random positions are drawn from. Fails when it does not fit. */
static int place_patch(const BdSpec *s, BdDataShape shape, int pw, int ph, BdTrigger *t, BdError *err) {
    char sz[32];
    size_text(pw, ph, sz, sizeof sz);
    if (pw > shape.w || ph > shape.h)
        return bd_fail(err, "trigger %s of size %s does not fit a %dx%d image", s->name, sz, shape.h, shape.w);
    t->place = BD_PLACE_FIXED;
    if (bd_spec_find(s, "location") < 0) { /* full-image triggers */
        t->x = t->y = 0;
        return 0;
    }
    if (bd_spec_has(s, "x")) {
        long x = bd_spec_int(s, "x"), y = bd_spec_int(s, "y");
        if (x + pw > shape.w || y + ph > shape.h)
            return bd_fail(err, "trigger %s of size %s at x=%ld, y=%ld extends past a %dx%d image", s->name, sz, x, y,
                           shape.h, shape.w);
        t->x = (int)x;
        t->y = (int)y;
        return 0;
    }
    const char *loc = bd_spec_str(s, "location");
    int m = (int)bd_spec_int(s, "margin");
    if (!strcmp(loc, "center")) {
        t->x = (shape.w - pw) / 2;
        t->y = (shape.h - ph) / 2;
        return 0;
    }
    if (!strcmp(loc, "random")) {
        if (pw + 2 * m > shape.w || ph + 2 * m > shape.h)
            return bd_fail(err, "trigger %s of size %s at random positions with margin %d does not fit a %dx%d image",
                           s->name, sz, m, shape.h, shape.w);
        t->place = BD_PLACE_RANDOM;
        t->x0 = m;
        t->x1 = shape.w - pw - m;
        t->y0 = m;
        t->y1 = shape.h - ph - m;
        return 0;
    }
    if (pw + m > shape.w || ph + m > shape.h)
        return bd_fail(err, "trigger %s of size %s with margin %d does not fit a %dx%d image", s->name, sz, m, shape.h,
                       shape.w);
    int right = !strcmp(loc, "top-right") || !strcmp(loc, "bottom-right");
    int bottom = !strcmp(loc, "bottom-left") || !strcmp(loc, "bottom-right");
    t->x = right ? shape.w - pw - m : m;
    t->y = bottom ? shape.h - ph - m : m;
    return 0;
}

int bd_trigger_check_fit(const BdSpec *s, BdDataShape shape, BdError *err) {
    const BdTriggerKind *k = kind_of(s, err);
    int pw, ph;
    if (!k) return -1;
    if (shape.c < 1 || shape.c > BD_MAX_CHANNELS || shape.h < 1 || shape.w < 1)
        return bd_fail(err, "trigger %s: images of %dx%dx%d: expected 1..%d channels and a positive size", s->name,
                       shape.c, shape.h, shape.w, BD_MAX_CHANNELS);
    if (k->extent(s, &pw, &ph, err) < 0) return -1;
    if (pw > 0) {
        BdTrigger probe = {0};
        if (place_patch(s, shape, pw, ph, &probe, err) < 0) return -1;
    }
    if (bd_spec_find(s, "color") >= 0) {
        uint8_t color[BD_MAX_CHANNELS];
        if (bd_trigger_color(s, shape.c, color, err) < 0) return -1;
    }
    return 0;
}

int bd_trigger_make(const BdSpec *s, BdDataShape shape, uint64_t seed, BdTrigger **out, BdError *err) {
    *out = NULL;
    const BdTriggerKind *k = kind_of(s, err);
    if (!k || bd_trigger_check_fit(s, shape, err) < 0) return -1;
    BdTrigger *t = bd_xcalloc(1, sizeof *t);
    t->shape = shape;
    BdRng rng;
    uint64_t pattern_seed = bd_spec_find(s, "pattern_seed") >= 0 ? (uint64_t)bd_spec_int(s, "pattern_seed") : 0;
    bd_rng_stream(&rng, seed, "trigger-pattern", pattern_seed);
    if (k->make(s, t, &rng, err) < 0 || (!t->add && place_patch(s, shape, t->pw, t->ph, t, err) < 0)) {
        bd_trigger_free(t);
        return -1;
    }
    *out = t;
    return 0;
}

/* Rounds half up and clips to a byte. Values that are exact ties in real
 * arithmetic ((1 - 0.1) * 100 + 0.1 * 25 = 92.5) can land a rounding error
 * below the tie in binary; the 1e-9 nudge rounds them up as arithmetic says,
 * and is far below the spacing of any other value. */
static inline uint8_t clip_round(double v) {
    v = floor(v + 0.5 + 1e-9);
    return (uint8_t)(v < 0.0 ? 0.0 : v > 255.0 ? 255.0 : v);
}

void bd_trigger_apply(const BdTrigger *t, uint8_t *img, BdRng *rng) {
    const int c = t->shape.c, h = t->shape.h, w = t->shape.w;
    if (t->add) {
        for (int ch = 0; ch < c; ch++)
            for (int i = 0; i < h; i++) {
                uint8_t *row = img + ((size_t)ch * h + i) * w;
                for (int j = 0; j < w; j++) row[j] = clip_round(row[j] + t->add[j]);
            }
        return;
    }
    int x = t->x, y = t->y;
    if (t->place == BD_PLACE_RANDOM) {
        if (!rng) {
            fprintf(stderr, "bdsweep: internal error: a trigger at random positions was applied without an rng\n");
            abort();
        }
        x = t->x0 + (int)bd_rng_below(rng, (uint64_t)(t->x1 - t->x0 + 1));
        y = t->y0 + (int)bd_rng_below(rng, (uint64_t)(t->y1 - t->y0 + 1));
    }
    for (int ch = 0; ch < c; ch++)
        for (int i = 0; i < t->ph; i++) {
            uint8_t *row = img + ((size_t)ch * h + y + i) * w + x;
            const uint8_t *p = t->pattern + ((size_t)ch * t->ph + i) * t->pw;
            const double *a = t->alpha + (size_t)i * t->pw;
            for (int j = 0; j < t->pw; j++)
                if (a[j] > 0.0) row[j] = clip_round((1.0 - a[j]) * row[j] + a[j] * p[j]);
        }
}

void bd_trigger_free(BdTrigger *t) {
    if (!t) return;
    free(t->pattern);
    free(t->alpha);
    free(t->add);
    free(t);
}
