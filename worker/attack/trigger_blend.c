/* Full-image triggers: blend (Chen et al. 2017) and sinusoid (SIG, Barni et
 * al. 2019). */
#include <math.h>
#include <string.h>

#include <stb_image.h>

#include "trigger.h"

/* Covers the image: no patch size. A file source must be readable. */
static int blend_extent(const BdSpec *s, int *pw, int *ph, BdError *err) {
    *pw = *ph = 0;
    if (!strcmp(bd_spec_str(s, "source"), "image")) {
        const char *path = bd_spec_str(s, "path");
        int w, h, comp;
        if (!path[0]) return bd_fail(err, "trigger blend: source=image needs a path: expected a PNG or JPEG file");
        if (!stbi_info(path, &w, &h, &comp))
            return bd_fail(err, "trigger blend: cannot read image %s (%s): expected a PNG or JPEG file", path,
                           stbi_failure_reason());
    }
    return 0;
}

/* The pattern is the image's size: uniform noise from the trigger's stream,
 * or the file resized to the image. out = round((1 - alpha) x + alpha p). */
static int make_blend(const BdSpec *s, BdTrigger *t, BdRng *rng, BdError *err) {
    double alpha = bd_spec_float(s, "alpha");
    int w = t->shape.w, h = t->shape.h;
    if (!strcmp(bd_spec_str(s, "source"), "image")) {
        t->ph = h;
        t->pw = w;
        return bd_trigger_read_image("blend", bd_spec_str(s, "path"), &w, &h, t->shape.c, alpha, &t->pattern,
                                     &t->alpha, err);
    }
    bd_trigger_patch_alloc(t, h, w, alpha);
    for (size_t i = 0; i < (size_t)t->shape.c * h * w; i++) t->pattern[i] = (uint8_t)bd_rng_below(rng, 256);
    return 0;
}

static int sinusoid_extent(const BdSpec *s, int *pw, int *ph, BdError *err) {
    (void)s;
    (void)err;
    *pw = *ph = 0;
    return 0;
}

/* x + delta * sin(2 pi col frequency / width), the same for every row and
 * channel, rounded and clipped when applied. */
static int make_sinusoid(const BdSpec *s, BdTrigger *t, BdRng *rng, BdError *err) {
    (void)rng;
    (void)err;
    double delta = bd_spec_float(s, "delta"), f = bd_spec_float(s, "frequency");
    int w = t->shape.w;
    t->add = bd_xmalloc((size_t)w * sizeof *t->add);
    for (int j = 0; j < w; j++) t->add[j] = delta * sin(2.0 * M_PI * j * f / w);
    return 0;
}

const BdTriggerKind bd_trigger_blend = {blend_extent, make_blend};
const BdTriggerKind bd_trigger_sinusoid = {sinusoid_extent, make_sinusoid};
