/* The trigger registry (MISSION.md section 4). */
#include "attack.h"

/* x and y name a fixed position together. */
static int check_location(const BdSpec *s, BdError *err) {
    if (bd_spec_has(s, "x") != bd_spec_has(s, "y"))
        return bd_fail(err, "give both x and y for a fixed position (or neither, and a location)");
    return 0;
}

#define LOCATION                                                                                        \
    {"location", BD_PARAM_ENUM, "bottom-right", BD_ANY, "top-left|top-right|bottom-left|bottom-right|center|random", \
     "where the patch goes; random draws a position per image"},                                         \
    {"x", BD_PARAM_INT, "", 0, 4096, NULL, "fixed column of the patch's left edge (with y; overrides location)"}, \
    {"y", BD_PARAM_INT, "", 0, 4096, NULL, "fixed row of the patch's top edge (with x)"},                          \
    {"margin", BD_PARAM_INT, "0", 0, 64, NULL, "distance from the image edge for named locations"}

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
    {"square", "solid patch (BadNets)", square_params, check_location, NULL},
    {"checkerboard", "alternating black and white patch", checker_params, check_location, NULL},
    {"noise-patch", "fixed random-noise patch", noise_patch_params, check_location, NULL},
    {"pattern", "small binary glyph (L, X, plus, T)", pattern_params, check_location, NULL},
    {"blend", "full-image pattern mixed in with alpha (Chen et al. 2017)", blend_params, NULL, NULL},
    {"sinusoid", "horizontal sinusoidal signal added to the image (SIG, Barni et al. 2019)", sinusoid_params, NULL,
     NULL},
    {"image", "an image file, pasted or blended", image_params, check_location, NULL},
    {0},
};

#include <string.h>

/* The patch side of patch triggers; 0 for full-image triggers. */
static int patch_side(const BdSpec *s) {
    if (!strcmp(s->name, "blend") || !strcmp(s->name, "sinusoid")) return 0;
    if (!strcmp(s->name, "image")) return (int)bd_spec_int(s, "size"); /* 0: the file's size, checked at load */
    return (int)bd_spec_int(s, "size");
}

int bd_trigger_check_fit(const BdSpec *s, BdDataShape shape, BdError *err) {
    int side = patch_side(s);
    if (side > shape.h || side > shape.w)
        return bd_fail(err, "trigger %s of size %d does not fit a %dx%d image", s->name, side, shape.h, shape.w);
    if (side && bd_spec_has(s, "x")) {
        long x = bd_spec_int(s, "x"), y = bd_spec_int(s, "y");
        if (x + side > shape.w || y + side > shape.h)
            return bd_fail(err, "trigger %s of size %d at x=%ld, y=%ld extends past a %dx%d image", s->name, side, x,
                           y, shape.h, shape.w);
    } else if (side && bd_spec_find(s, "margin") >= 0) {
        long m = bd_spec_int(s, "margin");
        if (side + m > shape.h || side + m > shape.w)
            return bd_fail(err, "trigger %s of size %d with margin %ld does not fit a %dx%d image", s->name, side, m,
                           shape.h, shape.w);
    }
    if (bd_spec_find(s, "color") >= 0) {
        long c[8];
        int n = bd_spec_int_list(s, "color", c, 8);
        if (n != 1 && n != shape.c)
            return bd_fail(err, "trigger %s: color has %d values: expected 1 or %d (the image's channels)", s->name, n,
                           shape.c);
    }
    return 0;
}
