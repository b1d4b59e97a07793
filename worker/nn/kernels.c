/* The vector loops of the engine (see kernels.h for why they are here). */
#include "kernels.h"

#include <string.h>

/* One clone per x86-64 level, picked by the dynamic loader (ifunc): the
 * binary stays portable and still uses AVX2/AVX-512 where the CPU has them. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define BD_KERNEL __attribute__((target_clones("default", "arch=x86-64-v3", "arch=x86-64-v4")))
#else
#define BD_KERNEL
#endif

/* Lanes of the float partial sums (a multiple of every vector width) and the
 * block after which they are flushed into a double: float error grows with
 * the block, not with the tensor. */
#define LANES 16
#define BLOCK 1024

BD_KERNEL void bd_vec_put(float *restrict dst, const float *restrict src, size_t len, int accumulate) {
    if (!accumulate) {
        memcpy(dst, src, len * sizeof(float));
        return;
    }
    for (size_t i = 0; i < len; i++) dst[i] += src[i];
}

BD_KERNEL void bd_vec_put_scaled(float *restrict dst, const float *restrict src, float s, size_t len, int accumulate) {
    if (accumulate)
        for (size_t i = 0; i < len; i++) dst[i] += s * src[i];
    else
        for (size_t i = 0; i < len; i++) dst[i] = s * src[i];
}

BD_KERNEL void bd_vec_add(float *y, const float *a, const float *b, size_t len) {
    for (size_t i = 0; i < len; i++) y[i] = a[i] + b[i];
}

BD_KERNEL double bd_vec_sum(const float *restrict x, size_t len) {
    double total = 0.0;
    size_t i = 0;
    while (i + LANES <= len) {
        float acc[LANES] = {0};
        size_t end = i + BLOCK <= len ? i + BLOCK : len - (len - i) % LANES;
        for (; i < end; i += LANES)
            for (int j = 0; j < LANES; j++) acc[j] += x[i + j];
        for (int j = 0; j < LANES; j++) total += acc[j];
    }
    for (; i < len; i++) total += x[i];
    return total;
}

BD_KERNEL void bd_vec_moments(const float *restrict x, size_t len, float k, double *s1, double *s2) {
    double t1 = 0.0, t2 = 0.0;
    size_t i = 0;
    while (i + LANES <= len) {
        float a1[LANES] = {0}, a2[LANES] = {0};
        size_t end = i + BLOCK <= len ? i + BLOCK : len - (len - i) % LANES;
        for (; i < end; i += LANES)
            for (int j = 0; j < LANES; j++) {
                float d = x[i + j] - k;
                a1[j] += d;
                a2[j] += d * d;
            }
        for (int j = 0; j < LANES; j++) {
            t1 += a1[j];
            t2 += a2[j];
        }
    }
    for (; i < len; i++) {
        double d = (double)x[i] - k;
        t1 += d;
        t2 += d * d;
    }
    *s1 = t1;
    *s2 = t2;
}

BD_KERNEL void bd_vec_dot_centered(const float *restrict dy, const float *restrict x, size_t len, float mean,
                                   double *sdy, double *sdyx) {
    double t1 = 0.0, t2 = 0.0;
    size_t i = 0;
    while (i + LANES <= len) {
        float a1[LANES] = {0}, a2[LANES] = {0};
        size_t end = i + BLOCK <= len ? i + BLOCK : len - (len - i) % LANES;
        for (; i < end; i += LANES)
            for (int j = 0; j < LANES; j++) {
                a1[j] += dy[i + j];
                a2[j] += dy[i + j] * (x[i + j] - mean);
            }
        for (int j = 0; j < LANES; j++) {
            t1 += a1[j];
            t2 += a2[j];
        }
    }
    for (; i < len; i++) {
        t1 += dy[i];
        t2 += (double)dy[i] * ((double)x[i] - mean);
    }
    *sdy = t1;
    *sdyx = t2;
}

BD_KERNEL void bd_vec_affine(float *y, const float *x, float a, float b, size_t len, int relu) {
    if (relu)
        for (size_t i = 0; i < len; i++) {
            float v = a * x[i] + b;
            y[i] = v < 0.0f ? 0.0f : v; /* NaN stays NaN: a diverged run must show */
        }
    else
        for (size_t i = 0; i < len; i++) y[i] = a * x[i] + b;
}

BD_KERNEL void bd_vec_bn_dx(float *restrict dx, const float *restrict dy, const float *restrict x, float a, float c,
                            float mean, float d, size_t len, int accumulate) {
    if (accumulate)
        for (size_t i = 0; i < len; i++) dx[i] += a * dy[i] + c * (x[i] - mean) + d;
    else
        for (size_t i = 0; i < len; i++) dx[i] = a * dy[i] + c * (x[i] - mean) + d;
}

BD_KERNEL void bd_vec_relu(float *y, const float *x, size_t len) {
    for (size_t i = 0; i < len; i++) y[i] = x[i] < 0.0f ? 0.0f : x[i];
}

BD_KERNEL void bd_vec_relu_back(float *restrict dx, const float *restrict dy, const float *restrict y, size_t len,
                                int accumulate) {
    if (accumulate)
        for (size_t i = 0; i < len; i++) dx[i] += y[i] > 0.0f ? dy[i] : 0.0f;
    else
        for (size_t i = 0; i < len; i++) dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

BD_KERNEL void bd_vec_mul(float *restrict y, const float *restrict x, const float *restrict m, size_t len,
                          int accumulate) {
    if (accumulate)
        for (size_t i = 0; i < len; i++) y[i] += x[i] * m[i];
    else
        for (size_t i = 0; i < len; i++) y[i] = x[i] * m[i];
}

BD_KERNEL void bd_vec_lerp(float *restrict y, const float *restrict x, const float *restrict z, float a, float b,
                           size_t len) {
    for (size_t i = 0; i < len; i++) y[i] = a * x[i] + b * z[i];
}
