/* A generated dataset for tests and benchmarks: each class is a fixed pattern
 * of a few oriented stripes (a sum of low-frequency plane waves, drawn from
 * data_seed), each sample that pattern plus uniform per-pixel noise:
 *
 *   x = clip(round(128 + A * (p_class(c, i, j) + noise * u))),  u ~ U[-1, 1]
 *
 * with p in [-1, 1] and A = 80. Labels go round-robin (sample k has class
 * k mod C), so every prefix of a split is balanced and bd_split_limit keeps
 * every class. The train and test splits draw their noise from separate
 * streams, so the test set does not change with the train size, and sample k
 * is the same whatever the split size. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader.h"
#include "rng.h"

enum { WAVES = 3 };
static const float AMPLITUDE = 80.0f;

/* The patterns of every class: [classes][c][h][w] in [-1, 1]. */
static float *make_patterns(BdDataShape s, uint64_t seed) {
    size_t plane = (size_t)s.h * s.w, per_class = (size_t)s.c * plane;
    float *p = bd_xmalloc((size_t)s.classes * per_class * sizeof *p);
    for (int k = 0; k < s.classes; k++) {
        BdRng r;
        bd_rng_stream(&r, seed, "synthetic-pattern", (uint64_t)k);
        /* Waves shared by the channels (the shape of the class), each channel
         * with its own phase and weight (its colour). Frequencies of 0.5 to 3
         * periods across the image keep the pattern visible after pooling. */
        double fx[WAVES], fy[WAVES];
        for (int w = 0; w < WAVES; w++) {
            double angle = 2.0 * M_PI * bd_rng_uniform_d(&r);
            double freq = 0.5 + 2.5 * bd_rng_uniform_d(&r);
            fx[w] = freq * cos(angle);
            fy[w] = freq * sin(angle);
        }
        for (int c = 0; c < s.c; c++) {
            double phase[WAVES], weight[WAVES];
            for (int w = 0; w < WAVES; w++) {
                phase[w] = 2.0 * M_PI * bd_rng_uniform_d(&r);
                weight[w] = 0.3 + 0.7 * bd_rng_uniform_d(&r);
            }
            float *dst = p + (size_t)k * per_class + (size_t)c * plane;
            float peak = 0.0f;
            for (int i = 0; i < s.h; i++)
                for (int j = 0; j < s.w; j++) {
                    double v = 0;
                    for (int w = 0; w < WAVES; w++)
                        v += weight[w] * cos(2.0 * M_PI * (fx[w] * j / s.w + fy[w] * i / s.h) + phase[w]);
                    dst[i * s.w + j] = (float)v;
                    if (fabsf((float)v) > peak) peak = fabsf((float)v);
                }
            /* Scale to [-1, 1] so that `noise` is relative to the pattern. */
            if (peak > 0)
                for (size_t q = 0; q < plane; q++) dst[q] /= peak;
        }
    }
    return p;
}

static void fill_split(BdSplit *split, int n, BdDataShape s, const float *patterns, double noise, uint64_t seed,
                       const char *stream) {
    bd_split_alloc(split, n, s);
    size_t bytes = bd_sample_bytes(s);
    BdRng r;
    bd_rng_stream(&r, seed, stream, 0);
    const float a = AMPLITUDE, an = (float)(AMPLITUDE * noise);
    for (int k = 0; k < n; k++) {
        int label = k % s.classes;
        split->y[k] = label;
        const float *p = patterns + (size_t)label * bytes;
        uint8_t *x = split->x + (size_t)k * bytes;
        for (size_t q = 0; q < bytes; q++) {
            float u = 2.0f * bd_rng_uniform(&r) - 1.0f;
            float v = floorf(128.0f + a * p[q] + an * u + 0.5f);
            x[q] = (uint8_t)(v < 0.0f ? 0.0f : v > 255.0f ? 255.0f : v);
        }
    }
}

static int synthetic_shape(const BdSpec *spec, BdDataShape *shape, BdError *err) {
    (void)err;
    int side = (int)bd_spec_int(spec, "size");
    *shape = (BdDataShape){(int)bd_spec_int(spec, "channels"), side, side, (int)bd_spec_int(spec, "classes")};
    return 0;
}

static int synthetic_load(const BdSpec *spec, BdDataset *out, BdError *err) {
    if (synthetic_shape(spec, &out->shape, err) < 0) return -1;
    uint64_t seed = (uint64_t)bd_spec_int(spec, "data_seed");
    double noise = bd_spec_float(spec, "noise");
    float *patterns = make_patterns(out->shape, seed);
    fill_split(&out->train, (int)bd_spec_int(spec, "train"), out->shape, patterns, noise, seed, "synthetic-train");
    fill_split(&out->test, (int)bd_spec_int(spec, "test"), out->shape, patterns, noise, seed, "synthetic-test");
    free(patterns);
    snprintf(out->description, sizeof out->description,
             "synthetic %d classes of %dx%dx%d, noise %g, data_seed %llu (%d train, %d test)", out->shape.classes,
             out->shape.c, out->shape.h, out->shape.w, noise, (unsigned long long)seed, out->train.n, out->test.n);
    return 0;
}

static int synthetic_sizes(const BdSpec *spec, int *n_train, int *n_test, BdError *err) {
    (void)err;
    *n_train = (int)bd_spec_int(spec, "train");
    *n_test = (int)bd_spec_int(spec, "test");
    return 0;
}

/* Generated, so always known: labels are k mod classes (fill_split). */
static int synthetic_nominal(const BdSpec *spec, BdDataNominal *out, BdError *err) {
    memset(out, 0, sizeof *out);
    if (synthetic_shape(spec, &out->shape, err) < 0 || synthetic_sizes(spec, &out->n_train, &out->n_test, err) < 0)
        return -1;
    out->source = "the generator's parameters";
    for (int k = 0; k < out->shape.classes && k < BD_NOMINAL_MAX_CLASSES; k++)
        out->train_per_class[k] = out->n_train / out->shape.classes + (k < out->n_train % out->shape.classes);
    return 0;
}

const BdDatasetLoader bd_synthetic_loader = {synthetic_shape, synthetic_load, synthetic_sizes, synthetic_nominal};
