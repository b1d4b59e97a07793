/* Triggers, pixel by pixel: every location kind on 1- and 3-channel images of
 * a non-square size, colours and luminance, alpha blending and its rounding,
 * clipping, glyph shapes, noise patterns, blend, sinusoid values, image files,
 * and the fit checks. Expected values are computed here from the definitions
 * (integer arithmetic where the definition allows), never by the code under test. */
#include <stb_image_write.h>

#include "../data/testfs.h"
#include "attack.h"
#include "check.h"

enum { H = 7, W = 10 };

/* A background with every pixel different: 3 + 2 * (index mod 120). */
static void background(uint8_t *img, BdDataShape s) {
    for (int i = 0; i < s.c * s.h * s.w; i++) img[i] = (uint8_t)(3 + 2 * (i % 120));
}

static BdTrigger *make(BdDataShape shape, uint64_t seed, const char *name, ...) {
    BdSpec s;
    BdError err = {0};
    bd_spec_init(&s, name);
    va_list ap;
    va_start(ap, name);
    const char *k;
    while ((k = va_arg(ap, const char *))) bd_spec_set(&s, k, va_arg(ap, const char *), &err);
    va_end(ap);
    BdTrigger *t = NULL;
    if (bd_spec_resolve(&s, bd_preset_find(bd_trigger_presets, name), &err) < 0 ||
        bd_trigger_make(&s, shape, seed, &t, &err) < 0) {
        fprintf(stderr, "make %s: %s\n", name, err.msg);
        check_failures++;
        return NULL;
    }
    return t;
}

/* The error making a trigger gives (resolve or make). */
static const char *make_error(BdDataShape shape, BdError *err, const char *name, ...) {
    BdSpec s;
    bd_spec_init(&s, name);
    va_list ap;
    va_start(ap, name);
    const char *k;
    while ((k = va_arg(ap, const char *))) bd_spec_set(&s, k, va_arg(ap, const char *), err);
    va_end(ap);
    BdTrigger *t = NULL;
    err->msg[0] = '\0';
    if (bd_spec_resolve(&s, bd_preset_find(bd_trigger_presets, name), err) == 0) {
        int fit = bd_trigger_check_fit(&s, shape, err);
        BdError err2 = {0};
        int made = bd_trigger_make(&s, shape, 0, &t, &err2);
        CHECK_MSG(fit < 0 && made < 0, "%s: fit %d, make %d", name, fit, made);
        if (made < 0) CHECK_STR(err2.msg, err->msg); /* both say the same */
        bd_trigger_free(t);
    }
    if (getenv("VERBOSE")) printf("%s\n", err->msg);
    return err->msg;
}

/* Checks img against the background with a solid w x h patch of per-channel
 * value v[c] at (x, y). */
static void check_solid(const uint8_t *img, BdDataShape s, int x, int y, int pw, int ph, const uint8_t *v,
                        const char *what) {
    uint8_t bg[4 * H * W];
    background(bg, s);
    int bad = 0;
    for (int c = 0; c < s.c; c++)
        for (int i = 0; i < s.h; i++)
            for (int j = 0; j < s.w; j++) {
                int in = i >= y && i < y + ph && j >= x && j < x + pw;
                int k = (c * s.h + i) * s.w + j;
                int want = in ? v[c] : bg[k];
                if (img[k] != want) bad++;
            }
    CHECK_MSG(bad == 0, "%s: %d pixel(s) differ (patch %dx%d at x=%d y=%d)", what, bad, pw, ph, x, y);
}

static void test_square_locations(void) {
    const BdDataShape shapes[2] = {{1, H, W, 10}, {3, H, W, 10}};
    const uint8_t white[3] = {255, 255, 255};
    for (int si = 0; si < 2; si++) {
        BdDataShape s = shapes[si];
        uint8_t img[3 * H * W];
        struct {
            const char *loc, *margin;
            int x, y;
        } cases[] = {
            /* Written out by hand for a 7-row, 10-column image and a 3x3 patch. */
            {"top-left", "0", 0, 0},     {"top-right", "0", 7, 0}, {"bottom-left", "0", 0, 4},
            {"bottom-right", "0", 7, 4}, {"center", "0", 3, 2},    {"top-left", "1", 1, 1},
            {"top-right", "2", 5, 2},    {"bottom-left", "1", 1, 3}, {"bottom-right", "2", 5, 2},
            {"center", "2", 3, 2}, /* margin does not move the centre */
        };
        for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
            BdTrigger *t = make(s, 0, "square", "location", cases[k].loc, "margin", cases[k].margin, NULL);
            if (!t) continue;
            background(img, s);
            bd_trigger_apply(t, img, NULL);
            char what[64];
            snprintf(what, sizeof what, "%dch %s margin %s", s.c, cases[k].loc, cases[k].margin);
            check_solid(img, s, cases[k].x, cases[k].y, 3, 3, white, what);
            bd_trigger_free(t);
        }
        /* Fixed x/y overrides the location; the default location is bottom-right. */
        BdTrigger *t = make(s, 0, "square", "x", "2", "y", "4", "size", "2", "location", "top-left", NULL);
        background(img, s);
        bd_trigger_apply(t, img, NULL);
        check_solid(img, s, 2, 4, 2, 2, white, "x=2 y=4");
        bd_trigger_free(t);
        t = make(s, 0, "square", NULL);
        background(img, s);
        bd_trigger_apply(t, img, NULL);
        check_solid(img, s, 7, 4, 3, 3, white, "default");
        bd_trigger_free(t);
        /* As tall as the image, at the right edge. */
        t = make(s, 0, "square", "size", "7", "location", "top-right", NULL);
        background(img, s);
        bd_trigger_apply(t, img, NULL);
        check_solid(img, s, 3, 0, 7, 7, white, "7x7 top-right");
        bd_trigger_free(t);
    }
}

static void test_random_location(void) {
    for (int ch = 1; ch <= 3; ch += 2) {
        BdDataShape s = {ch, 8, 8, 10};
        BdTrigger *t = make(s, 0, "square", "location", "random", "margin", "1", "size", "3", "color",
                            ch == 3 ? "[9,8,7]" : "[9]", NULL);
        BdRng r1, r2;
        bd_rng_seed(&r1, 42);
        bd_rng_seed(&r2, 42);
        int seen[8][8] = {{0}};
        uint8_t a[3 * 64], b[3 * 64];
        for (int n = 0; n < 400; n++) {
            memset(a, 0, sizeof a);
            memset(b, 0, sizeof b);
            bd_trigger_apply(t, a, &r1);
            bd_trigger_apply(t, b, &r2);
            CHECK(!memcmp(a, b, sizeof a)); /* the same rng stream gives the same positions */
            /* Find the patch: its top-left is the first marked pixel. */
            int x = -1, y = -1, marked = 0;
            for (int i = 0; i < 8; i++)
                for (int j = 0; j < 8; j++)
                    if (a[i * 8 + j]) {
                        if (x < 0) x = j, y = i;
                        marked++;
                        CHECK(a[i * 8 + j] == 9);
                        if (ch == 3) CHECK(a[64 + i * 8 + j] == 8 && a[128 + i * 8 + j] == 7);
                    }
            CHECK(marked == 9);
            if (ch == 1) CHECK(a[64] == 0); /* nothing written past a 1-channel image */
            if (x >= 0) {
                CHECK(x >= 1 && x <= 4 && y >= 1 && y <= 4); /* margin 1, inside the image */
                seen[y][x]++;
            }
        }
        int positions = 0;
        for (int i = 0; i < 8; i++)
            for (int j = 0; j < 8; j++) positions += seen[i][j] > 0;
        CHECK(positions == 16); /* every allowed position occurs */
        /* Another seed, another sequence. */
        BdRng r3;
        bd_rng_seed(&r3, 43);
        bd_rng_seed(&r1, 42);
        int differ = 0;
        for (int n = 0; n < 20; n++) {
            memset(a, 0, sizeof a);
            memset(b, 0, sizeof b);
            bd_trigger_apply(t, a, &r1);
            bd_trigger_apply(t, b, &r3);
            differ += memcmp(a, b, sizeof a) != 0;
        }
        CHECK(differ > 0);
        bd_trigger_free(t);
    }
}

static void test_colour_and_alpha(void) {
    BdDataShape s3 = {3, H, W, 10}, s1 = {1, H, W, 10};
    uint8_t img[3 * H * W];
    BdTrigger *t = make(s3, 0, "square", "color", "[10,20,30]", "location", "top-left", NULL);
    background(img, s3);
    bd_trigger_apply(t, img, NULL);
    check_solid(img, s3, 0, 0, 3, 3, (const uint8_t[]){10, 20, 30}, "per-channel colour");
    bd_trigger_free(t);
    /* RGB on a gray image: round(0.299 R + 0.587 G + 0.114 B). */
    const struct {
        const char *rgb;
        uint8_t lum;
    } lums[] = {{"[255,0,0]", 76}, {"[0,255,0]", 150}, {"[0,0,255]", 29}, {"[255,255,255]", 255}, {"[10,20,30]", 18}};
    for (size_t k = 0; k < sizeof lums / sizeof *lums; k++) {
        t = make(s1, 0, "square", "color", lums[k].rgb, NULL);
        background(img, s1);
        bd_trigger_apply(t, img, NULL);
        check_solid(img, s1, 7, 4, 3, 3, &lums[k].lum, lums[k].rgb);
        bd_trigger_free(t);
    }

    /* alpha: out = round((1 - a) x + a p), half up, on a constant image. */
    const struct {
        const char *alpha;
        int x, p, want;
    } blends[] = {
        {"0.25", 100, 200, 125}, /* exact */
        {"0.5", 101, 0, 51},     /* 50.5 rounds up */
        {"0.1", 100, 25, 93},    /* 92.5: a tie in decimal, not in binary */
        {"0.1", 100, 24, 92},    /* 92.4 */
        {"0.3", 0, 255, 77},     /* 76.5 */
        {"0.3", 1, 36, 12},      /* 11.5, computed as 11.499999999999998 in binary */
        {"0", 37, 255, 37},      /* invisible */
        {"1", 37, 200, 200},     /* replaces */
    };
    for (size_t k = 0; k < sizeof blends / sizeof *blends; k++) {
        char colour[16];
        snprintf(colour, sizeof colour, "[%d]", blends[k].p);
        t = make(s3, 0, "square", "color", colour, "alpha", blends[k].alpha, "size", "7", "location", "top-left",
                 NULL);
        if (!t) continue;
        uint8_t one[3 * H * W];
        memset(one, blends[k].x, sizeof one);
        bd_trigger_apply(t, one, NULL);
        int row0 = 0;
        for (int j = 0; j < 7; j++) row0 += one[j] == blends[k].want;
        CHECK_MSG(row0 == 7 && one[2 * H * W + 6] == blends[k].want && one[7] == blends[k].x, "alpha %s: %d*(1-a) + %d*a gave %d, want %d",
                  blends[k].alpha, blends[k].x, blends[k].p, one[0], blends[k].want);
        bd_trigger_free(t);
    }
}

static void test_checkerboard_and_noise(void) {
    BdDataShape s = {3, H, W, 10};
    uint8_t img[3 * H * W];
    BdTrigger *t = make(s, 0, "checkerboard", "size", "4", "location", "top-right", "margin", "1", NULL);
    background(img, s);
    bd_trigger_apply(t, img, NULL);
    uint8_t bg[3 * H * W];
    background(bg, s);
    int bad = 0;
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < H; i++)
            for (int j = 0; j < W; j++) {
                int k = (c * H + i) * W + j, pi = i - 1, pj = j - 5;
                int in = pi >= 0 && pi < 4 && pj >= 0 && pj < 4;
                int want = in ? ((pi + pj) % 2 == 0 ? 255 : 0) : bg[k];
                bad += img[k] != want;
            }
    CHECK_MSG(bad == 0, "checkerboard: %d pixels differ", bad);
    bd_trigger_free(t);

    /* noise-patch: fixed by (seed, pattern_seed); pasted as it is. */
    uint8_t a[3 * H * W], b[3 * H * W];
    BdTrigger *t1 = make(s, 5, "noise-patch", "size", "5", "location", "top-left", NULL);
    BdTrigger *t2 = make(s, 5, "noise-patch", "size", "5", "location", "top-left", NULL);
    BdTrigger *t3 = make(s, 5, "noise-patch", "size", "5", "location", "top-left", "pattern_seed", "1", NULL);
    BdTrigger *t4 = make(s, 6, "noise-patch", "size", "5", "location", "top-left", NULL);
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    bd_trigger_apply(t1, a, NULL);
    bd_trigger_apply(t2, b, NULL);
    CHECK(!memcmp(a, b, sizeof a));
    memset(b, 0, sizeof b);
    bd_trigger_apply(t3, b, NULL);
    CHECK(memcmp(a, b, sizeof a) != 0);
    memset(b, 0, sizeof b);
    bd_trigger_apply(t4, b, NULL);
    CHECK(memcmp(a, b, sizeof a) != 0);
    /* Inside the patch the values vary; outside nothing changed. */
    int distinct = 0, outside = 0, hist[256] = {0};
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < H; i++)
            for (int j = 0; j < W; j++) {
                uint8_t v = a[(c * H + i) * W + j];
                if (i < 5 && j < 5) distinct += hist[v]++ == 0;
                else outside += v != 0;
            }
    CHECK(distinct > 40 && outside == 0);
    bd_trigger_free(t1);
    bd_trigger_free(t2);
    bd_trigger_free(t3);
    bd_trigger_free(t4);
}

static void test_glyphs(void) {
    const struct {
        const char *glyph, *size;
        const char *art;
    } glyphs[] = {
        {"L", "5", "#...." "#...." "#...." "#...." "#####"},
        {"X", "5", "#...#" ".#.#." "..#.." ".#.#." "#...#"},
        {"plus", "5", "..#.." "..#.." "#####" "..#.." "..#.."},
        {"T", "5", "#####" "..#.." "..#.." "..#.." "..#.."},
        {"X", "4", "#..#" ".##." ".##." "#..#"},
        {"plus", "4", "..#." "..#." "####" "..#."},
        {"L", "2", "#." "##"},
    };
    for (int ch = 1; ch <= 3; ch += 2) {
        BdDataShape s = {ch, 8, 9, 10};
        for (size_t g = 0; g < sizeof glyphs / sizeof *glyphs; g++) {
            BdTrigger *t = make(s, 0, "pattern", "glyph", glyphs[g].glyph, "size", glyphs[g].size, "location",
                                "bottom-left", "margin", "1", "color", "[200]", NULL);
            if (!t) continue;
            uint8_t img[3 * 8 * 9];
            memset(img, 7, sizeof img);
            bd_trigger_apply(t, img, NULL);
            int n = atoi(glyphs[g].size), bad = 0;
            int y0 = 8 - 1 - n, x0 = 1;
            for (int c = 0; c < ch; c++)
                for (int i = 0; i < 8; i++)
                    for (int j = 0; j < 9; j++) {
                        int pi = i - y0, pj = j - x0;
                        int on = pi >= 0 && pi < n && pj >= 0 && pj < n && glyphs[g].art[pi * n + pj] == '#';
                        bad += img[(c * 8 + i) * 9 + j] != (on ? 200 : 7);
                    }
            CHECK_MSG(bad == 0, "glyph %s size %s on %d channel(s): %d pixels differ", glyphs[g].glyph,
                      glyphs[g].size, ch, bad);
            bd_trigger_free(t);
        }
    }
}

static void test_blend(const char *dir) {
    BdDataShape s = {3, 6, 5, 10};
    enum { N = 3 * 6 * 5 };
    uint8_t base[N], pattern[N], out[N];
    for (int i = 0; i < N; i++) base[i] = (uint8_t)(i * 9);
    /* The noise pattern itself: alpha 1 replaces every pixel. */
    BdTrigger *full = make(s, 3, "blend", "alpha", "1", NULL);
    BdTrigger *t = make(s, 3, "blend", NULL); /* alpha 0.1 by default */
    memcpy(pattern, base, N);
    bd_trigger_apply(full, pattern, NULL);
    memcpy(out, base, N);
    bd_trigger_apply(t, out, NULL);
    int bad = 0, changed = 0;
    for (int i = 0; i < N; i++) {
        /* round(0.9 x + 0.1 p) = floor((9x + p + 5) / 10), exactly. */
        bad += out[i] != (9 * base[i] + pattern[i] + 5) / 10;
        changed += out[i] != base[i];
    }
    CHECK_MSG(bad == 0, "blend noise: %d pixels differ", bad);
    CHECK(changed > N / 2);
    bd_trigger_free(full);
    bd_trigger_free(t);

    /* From an image file: a constant colour survives resizing exactly. */
    char png[512];
    snprintf(png, sizeof png, "%s/blend.png", dir);
    uint8_t rgb[4 * 4 * 3];
    for (int i = 0; i < 16; i++) rgb[3 * i] = 200, rgb[3 * i + 1] = 100, rgb[3 * i + 2] = 50;
    CHECK(stbi_write_png(png, 4, 4, 3, rgb, 12));
    t = make(s, 0, "blend", "source", "image", "path", png, "alpha", "0.5", NULL);
    memcpy(out, base, N);
    bd_trigger_apply(t, out, NULL);
    bad = 0;
    const int p3[3] = {200, 100, 50};
    for (int i = 0; i < N; i++) bad += out[i] != (base[i] + p3[i / 30] + 1) / 2;
    CHECK_MSG(bad == 0, "blend image (3 channels): %d pixels differ", bad);
    bd_trigger_free(t);
    /* On a gray image: the file's luminance, round(59.8 + 58.7 + 5.7) = 124. */
    BdDataShape g = {1, 6, 5, 10};
    t = make(g, 0, "blend", "source", "image", "path", png, "alpha", "0.5", NULL);
    memcpy(out, base, 30);
    bd_trigger_apply(t, out, NULL);
    bad = 0;
    for (int i = 0; i < 30; i++) bad += out[i] != (base[i] + 124 + 1) / 2;
    CHECK_MSG(bad == 0, "blend image (gray): %d pixels differ", bad);
    bd_trigger_free(t);
    /* A file of the image's size is used pixel for pixel. */
    uint8_t grad[6 * 5];
    for (int i = 0; i < 30; i++) grad[i] = (uint8_t)(i * 8);
    CHECK(stbi_write_png(png, 5, 6, 1, grad, 5));
    t = make(s, 0, "blend", "source", "image", "path", png, "alpha", "0.25", NULL);
    memcpy(out, base, N);
    bd_trigger_apply(t, out, NULL);
    bad = 0;
    for (int i = 0; i < N; i++) bad += out[i] != (3 * base[i] + grad[i % 30] + 2) / 4;
    CHECK_MSG(bad == 0, "blend image (same size): %d pixels differ", bad);
    bd_trigger_free(t);
}

static void test_sinusoid(void) {
    BdDataShape s = {3, 4, 32, 10};
    enum { N = 3 * 4 * 32 };
    uint8_t img[N];
    BdTrigger *t = make(s, 0, "sinusoid", NULL); /* delta 20, frequency 6 */
    memset(img, 100, N);
    bd_trigger_apply(t, img, NULL);
    int bad = 0;
    for (int i = 0; i < N; i++) {
        int col = i % 32;
        double v = 100 + 20 * sin(2 * M_PI * col * 6 / 32.0);
        bad += img[i] != (int)floor(v + 0.5);
    }
    CHECK_MSG(bad == 0, "sinusoid: %d pixels differ", bad);
    /* Spot values: column 0 unchanged, column 1 100 + 20 sin(3 pi / 8) = 118.48 -> 118,
     * column 3: 100 + 20 sin(9 pi / 8) = 92.35 -> 92. */
    CHECK(img[0] == 100 && img[1] == 118 && img[3] == 92 && img[2 * 4 * 32 + 3 * 32 + 1] == 118);
    bd_trigger_free(t);
    /* Clipping both ways. */
    t = make(s, 0, "sinusoid", "delta", "50", "frequency", "1", NULL);
    memset(img, 240, N);
    bd_trigger_apply(t, img, NULL);
    CHECK(img[8] == 255);       /* 240 + 50 sin(pi/2) = 290 */
    CHECK(img[24] == 190);      /* 240 - 50 */
    memset(img, 10, N);
    bd_trigger_apply(t, img, NULL);
    CHECK(img[24] == 0 && img[8] == 60);
    bd_trigger_free(t);
}

static void test_image_trigger(const char *dir) {
    char png[512];
    snprintf(png, sizeof png, "%s/trigger.png", dir);
    /* 3x3 RGBA: a red cross, opaque; corners transparent but (2,2) half-opaque blue. */
    uint8_t rgba[9 * 4] = {0};
    for (int i = 0; i < 9; i++) {
        int r = i / 3, c = i % 3;
        if (r == 1 || c == 1) rgba[4 * i] = 255, rgba[4 * i + 3] = 255;
    }
    rgba[4 * 8 + 2] = 255, rgba[4 * 8 + 3] = 102; /* alpha 0.4 */
    CHECK(stbi_write_png(png, 3, 3, 4, rgba, 12));

    BdDataShape s = {3, H, W, 10};
    uint8_t img[3 * H * W], bg[3 * H * W];
    background(bg, s);
    BdTrigger *t = make(s, 0, "image", "path", png, NULL); /* file size, bottom-right */
    memcpy(img, bg, sizeof img);
    bd_trigger_apply(t, img, NULL);
    int bad = 0;
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < H; i++)
            for (int j = 0; j < W; j++) {
                int k = (c * H + i) * W + j, pi = i - 4, pj = j - 7, want = bg[k];
                if (pi >= 0 && pj >= 0) {
                    if (pi == 1 || pj == 1) want = c == 0 ? 255 : 0;
                    else if (pi == 2 && pj == 2) /* round(0.6 x + 0.4 p) = floor((3x + 2p + 2.5) / 5) */
                        want = (6 * bg[k] + 4 * (c == 2 ? 255 : 0) + 5) / 10;
                }
                bad += img[k] != want;
            }
    CHECK_MSG(bad == 0, "image trigger: %d pixels differ", bad);
    bd_trigger_free(t);

    /* On a gray image: luminance of red, 76. alpha 0.5 scales the file's alpha. */
    BdDataShape g = {1, H, W, 10};
    t = make(g, 0, "image", "path", png, "location", "top-left", "alpha", "0.5", NULL);
    background(bg, g);
    memcpy(img, bg, H * W);
    bd_trigger_apply(t, img, NULL);
    CHECK(img[1] == (bg[1] + 76 + 1) / 2 && img[0] == bg[0] && img[W + 0] == (bg[W] + 76 + 1) / 2);
    bd_trigger_free(t);

    /* Resized: a constant opaque file stays constant at any size. */
    uint8_t green[5 * 5 * 3];
    for (int i = 0; i < 25; i++) green[3 * i] = 0, green[3 * i + 1] = 180, green[3 * i + 2] = 0;
    CHECK(stbi_write_png(png, 5, 5, 3, green, 15));
    t = make(s, 0, "image", "path", png, "size", "4", "location", "center", NULL);
    background(img, s);
    bd_trigger_apply(t, img, NULL);
    check_solid(img, s, 3, 1, 4, 4, (const uint8_t[]){0, 180, 0}, "image resized to 4");
    bd_trigger_free(t);
    t = make(s, 0, "image", "path", png, "size", "2", "x", "1", "y", "5", NULL);
    background(img, s);
    bd_trigger_apply(t, img, NULL);
    check_solid(img, s, 1, 5, 2, 2, (const uint8_t[]){0, 180, 0}, "image resized to 2");
    bd_trigger_free(t);
}

static void test_fit_errors(const char *dir) {
    BdError err;
    BdDataShape s = {3, H, W, 10};
    CHECK_CONTAINS(make_error(s, &err, "square", "size", "8", NULL), "trigger square of size 8 does not fit a 7x10 image");
    CHECK_CONTAINS(make_error(s, &err, "square", "x", "8", "y", "0", NULL),
                   "trigger square of size 3 at x=8, y=0 extends past a 7x10 image");
    CHECK_CONTAINS(make_error(s, &err, "pattern", "size", "5", "margin", "3", NULL),
                   "trigger pattern of size 5 with margin 3 does not fit a 7x10 image");
    CHECK_CONTAINS(make_error(s, &err, "square", "location", "random", "margin", "3", NULL),
                   "at random positions with margin 3 does not fit a 7x10 image");
    CHECK_CONTAINS(make_error(s, &err, "square", "color", "[1,2]", NULL),
                   "color has 2 values: expected 1 or 3 (the image's channels)");
    CHECK_CONTAINS(make_error((BdDataShape){1, H, W, 10}, &err, "square", "color", "[1,2]", NULL),
                   "color has 2 values: expected 1, or 3 (taken as their luminance)");
    char missing[512];
    snprintf(missing, sizeof missing, "%s/nope.png", dir);
    CHECK_CONTAINS(make_error(s, &err, "image", "path", missing, NULL), missing);
    CHECK_CONTAINS(err.msg, "expected a PNG or JPEG file");
    CHECK_CONTAINS(make_error(s, &err, "blend", "source", "image", "path", missing, NULL), "cannot read image");
    CHECK_CONTAINS(make_error(s, &err, "blend", "source", "image", NULL), "source=image needs a path");
    /* An image trigger of the file's size that is larger than the image. */
    char big[512];
    snprintf(big, sizeof big, "%s/big.png", dir);
    uint8_t px[12 * 12] = {0};
    CHECK(stbi_write_png(big, 12, 12, 1, px, 12));
    CHECK_CONTAINS(make_error(s, &err, "image", "path", big, NULL), "trigger image of size 12 does not fit a 7x10 image");
    /* Fits: a 1-channel image with an RGB colour, full-image triggers on any size. */
    BdSpec ok;
    CHECK(tfs_spec(&ok, bd_trigger_presets, "square", &err, "color", "[1,2,3]", NULL) == 0);
    CHECK_MSG(bd_trigger_check_fit(&ok, (BdDataShape){1, 4, 4, 2}, &err) == 0, "%s", err.msg);
    CHECK(tfs_spec(&ok, bd_trigger_presets, "sinusoid", &err, NULL) == 0);
    CHECK(bd_trigger_check_fit(&ok, (BdDataShape){1, 1, 1, 2}, &err) == 0);
    /* Every preset reaches its code. */
    for (const BdPreset *p = bd_trigger_presets; p->name; p++) CHECK(p->impl != NULL);
}

int main(void) {
    char dir[256];
    tfs_mkdtemp(dir, "triggers");
    test_square_locations();
    test_random_location();
    test_colour_and_alpha();
    test_checkerboard_and_noise();
    test_glyphs();
    test_blend(dir);
    test_sinusoid();
    test_image_trigger(dir);
    test_fit_errors(dir);
    tfs_rm_rf(dir);
    return check_result("attack_triggers");
}
