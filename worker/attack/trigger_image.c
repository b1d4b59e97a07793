/* A trigger from an image file (PNG or JPEG), pasted with its alpha channel
 * times the spec's alpha, at a location like the patch triggers. */
#include <stb_image.h>

#include "trigger.h"

/* size x size, or the file's own size when size is 0 (read from its
 * header). With a size the file is not opened, so a sweep can be planned on a
 * machine that does not hold it; making the trigger reads it. */
static int image_extent(const BdSpec *s, int *pw, int *ph, BdError *err) {
    int size = (int)bd_spec_int(s, "size");
    if (size) {
        *pw = *ph = size;
        return 0;
    }
    const char *path = bd_spec_str(s, "path");
    int w, h, comp;
    if (!stbi_info(path, &w, &h, &comp))
        return bd_fail(err, "trigger image: cannot read image %s (%s): expected a PNG or JPEG file", path,
                       stbi_failure_reason());
    *pw = w;
    *ph = h;
    return 0;
}

static int make_image(const BdSpec *s, BdTrigger *t, BdRng *rng, BdError *err) {
    (void)rng;
    int size = (int)bd_spec_int(s, "size"), w = size, h = size;
    if (bd_trigger_read_image("image", bd_spec_str(s, "path"), &w, &h, t->shape.c, bd_spec_float(s, "alpha"),
                              &t->pattern, &t->alpha, err) < 0)
        return -1;
    t->pw = w;
    t->ph = h;
    return 0;
}

const BdTriggerKind bd_trigger_image = {image_extent, make_image};
