/* The preview PNG: written, decodes back at the documented size, top row the
 * clean test images upscaled, bottom row the same images triggered. */
#include <stb_image.h>

#include "../data/testfs.h"
#include "attack.h"
#include "check.h"
#include "preview.h"

static void synthetic(BdDataset *d, const char *channels, const char *size) {
    BdSpec s;
    BdError err = {0};
    CHECK(tfs_spec(&s, bd_dataset_presets, "synthetic", &err, "channels", channels, "size", size, "train", "10",
                   "test", "20", NULL) == 0);
    CHECK_MSG(bd_dataset_load(&s, d, &err) == 0, "%s", err.msg);
}

static BdTrigger *red_square(BdDataShape shape) {
    BdSpec s;
    BdError err = {0};
    BdTrigger *t = NULL;
    CHECK(tfs_spec(&s, bd_trigger_presets, "square", &err, "size", "4", "location", "top-left", "color",
                   shape.c == 3 ? "[255,0,0]" : "[255]", NULL) == 0);
    CHECK_MSG(bd_trigger_make(&s, shape, 0, &t, &err) == 0, "%s", err.msg);
    return t;
}

/* Whether the cell at (x0, y0) of the decoded PNG shows image img (planar,
 * upscaled by f; gray shown as R = G = B). */
static int cell_shows(const uint8_t *png, int pw, int x0, int y0, const uint8_t *img, BdDataShape s, int f) {
    size_t plane = (size_t)s.h * s.w;
    for (int i = 0; i < s.h * f; i++)
        for (int j = 0; j < s.w * f; j++)
            for (int k = 0; k < 3; k++) {
                int ch = k < s.c ? k : s.c - 1;
                if (png[((size_t)(y0 + i) * pw + x0 + j) * 3 + k] != img[ch * plane + (i / f) * s.w + j / f]) return 0;
            }
    return 1;
}

static void check_preview(const char *dir, const char *channels, const char *size, int n, int expect_n) {
    BdDataset d;
    synthetic(&d, channels, size);
    BdTrigger *t = red_square(d.shape);
    char path[512];
    BdError err = {0};
    snprintf(path, sizeof path, "%s/preview-%s-%s.png", dir, channels, size);
    CHECK_MSG(bd_preview_write(path, &d, t, n, 7, &err) == 0, "%s", err.msg);
    int w, h, comp;
    uint8_t *png = stbi_load(path, &w, &h, &comp, 3);
    CHECK(png != NULL);
    if (!png) return;
    int side = atoi(size), f = 128 / side, g = 2;
    CHECK_MSG(bd_preview_factor(side, side) == f, "factor %d", bd_preview_factor(side, side));
    CHECK_MSG(w == expect_n * side * f + (expect_n + 1) * g && h == 2 * side * f + 3 * g, "%dx%d", w, h);
    CHECK(comp == 3); /* always RGB */
    /* Gaps are gray. */
    CHECK(png[0] == 128 && png[(size_t)(h - 1) * w * 3] == 128);
    size_t bytes = (size_t)d.shape.c * side * side;
    uint8_t *img = malloc(bytes);
    int found = 0;
    for (int k = 0; k < expect_n; k++) {
        int x0 = g + k * (side * f + g);
        for (int m = 0; m < d.test.n; m++) {
            if (!cell_shows(png, w, x0, g, d.test.x + m * bytes, d.shape, f)) continue;
            memcpy(img, d.test.x + m * bytes, bytes);
            bd_trigger_apply(t, img, NULL);
            found += cell_shows(png, w, x0, 2 * g + side * f, img, d.shape, f);
            break;
        }
    }
    CHECK_MSG(found == expect_n, "%d of %d columns show a test image above its triggered copy", found, expect_n);
    free(img);
    stbi_image_free(png);
    bd_trigger_free(t);
    bd_dataset_free(&d);
}

int main(void) {
    char dir[256];
    tfs_mkdtemp(dir, "preview");
    check_preview(dir, "3", "32", 5, 5);
    check_preview(dir, "1", "28", 3, 3);
    check_preview(dir, "3", "8", 50, 20); /* more than the test split: all 20, 16x upscaled */

    BdDataset d;
    synthetic(&d, "3", "8");
    BdTrigger *t = red_square(d.shape);
    BdError err = {0};
    CHECK(bd_preview_write("/nonexistent-folder/p.png", &d, t, 2, 0, &err) < 0);
    CHECK_CONTAINS(err.msg, "preview: cannot write /nonexistent-folder/p.png");
    CHECK(bd_preview_write("/tmp/x.png", &d, t, 0, 0, &err) < 0);
    CHECK_CONTAINS(err.msg, "0 images: expected at least 1");
    bd_trigger_free(t);
    bd_dataset_free(&d);
    tfs_rm_rf(dir);
    return check_result("attack_preview");
}
