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

/* Reductions keep float partial sums in two 16-lane vectors (GCC vector
 * extensions: one zmm register on AVX-512, two ymm on AVX2, four xmm on
 * SSE2; two of them so that consecutive adds do not wait on each other) and
 * flush them into a double every BLOCK values: the float error grows with
 * the block, not with the tensor. The auto-vectoriser cannot do this itself
 * without -ffast-math, which would also license it to reorder everything. */
typedef float v16 __attribute__((vector_size(64)));
typedef int v16i __attribute__((vector_size(64)));
#define BLOCK 2048

/* Macros rather than functions: passing 64-byte vectors by value would
 * change the calling convention between the clones (GCC's -Wpsabi). */
#define LOAD16(v, p) memcpy(&(v), (p), sizeof(v16))

static inline double hsum(const v16 *v) {
    double s = 0.0;
    for (int j = 0; j < 16; j++) s += (*v)[j];
    return s;
}

/* End of the next block: at most BLOCK values, a multiple of 32. */
static inline size_t block_end(size_t i, size_t len) {
    size_t whole = len - (len - i) % 32;
    return i + BLOCK < whole ? i + BLOCK : whole;
}

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
    while (i + 32 <= len) {
        v16 a = {0}, b = {0};
        for (size_t end = block_end(i, len); i < end; i += 32) {
            v16 u, w;
            LOAD16(u, x + i);
            LOAD16(w, x + i + 16);
            a += u;
            b += w;
        }
        a += b;
        total += hsum(&a);
    }
    for (; i < len; i++) total += x[i];
    return total;
}

BD_KERNEL void bd_vec_moments(const float *restrict x, size_t len, float k, double *s1, double *s2) {
    double t1 = 0.0, t2 = 0.0;
    const v16 kv = (v16){0} + k;
    size_t i = 0;
    while (i + 32 <= len) {
        v16 a1 = {0}, b1 = {0}, a2 = {0}, b2 = {0};
        for (size_t end = block_end(i, len); i < end; i += 32) {
            v16 d, e;
            LOAD16(d, x + i);
            LOAD16(e, x + i + 16);
            d -= kv;
            e -= kv;
            a1 += d;
            b1 += e;
            a2 += d * d;
            b2 += e * e;
        }
        a1 += b1;
        a2 += b2;
        t1 += hsum(&a1);
        t2 += hsum(&a2);
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
    const v16 mv = (v16){0} + mean;
    size_t i = 0;
    while (i + 32 <= len) {
        v16 a1 = {0}, b1 = {0}, a2 = {0}, b2 = {0};
        for (size_t end = block_end(i, len); i < end; i += 32) {
            v16 d, e, u, w;
            LOAD16(d, dy + i);
            LOAD16(e, dy + i + 16);
            LOAD16(u, x + i);
            LOAD16(w, x + i + 16);
            a1 += d;
            b1 += e;
            a2 += d * (u - mv);
            b2 += e * (w - mv);
        }
        a1 += b1;
        a2 += b2;
        t1 += hsum(&a1);
        t2 += hsum(&a2);
    }
    for (; i < len; i++) {
        t1 += dy[i];
        t2 += (double)dy[i] * ((double)x[i] - mean);
    }
    *sdy = t1;
    *sdyx = t2;
}

BD_KERNEL void bd_vec_dot_centered_masked(const float *restrict dz, const float *restrict z, const float *restrict x,
                                          size_t len, float mean, double *sdy, double *sdyx) {
    double t1 = 0.0, t2 = 0.0;
    const v16 mv = (v16){0} + mean, zero = {0};
    size_t i = 0;
    while (i + 32 <= len) {
        v16 a1 = {0}, b1 = {0}, a2 = {0}, b2 = {0};
        for (size_t end = block_end(i, len); i < end; i += 32) {
            v16 d, e, u, w, zd, ze;
            LOAD16(d, dz + i);
            LOAD16(e, dz + i + 16);
            LOAD16(zd, z + i);
            LOAD16(ze, z + i + 16);
            LOAD16(u, x + i);
            LOAD16(w, x + i + 16);
            d = (v16)((v16i)d & (zd > zero)); /* the comparison is all-ones where true */
            e = (v16)((v16i)e & (ze > zero));
            a1 += d;
            b1 += e;
            a2 += d * (u - mv);
            b2 += e * (w - mv);
        }
        a1 += b1;
        a2 += b2;
        t1 += hsum(&a1);
        t2 += hsum(&a2);
    }
    for (; i < len; i++) {
        const double d = z[i] > 0.0f ? dz[i] : 0.0f;
        t1 += d;
        t2 += d * ((double)x[i] - mean);
    }
    *sdy = t1;
    *sdyx = t2;
}

BD_KERNEL void bd_vec_bn_dx_masked(float *restrict dx, const float *restrict dz, const float *restrict z,
                                   const float *restrict x, float a, float c, float mean, float d, size_t len,
                                   int accumulate) {
    if (accumulate)
        for (size_t i = 0; i < len; i++) dx[i] += a * (z[i] > 0.0f ? dz[i] : 0.0f) + c * (x[i] - mean) + d;
    else
        for (size_t i = 0; i < len; i++) dx[i] = a * (z[i] > 0.0f ? dz[i] : 0.0f) + c * (x[i] - mean) + d;
}

BD_KERNEL void bd_vec_add_relu(float *y, const float *a, const float *b, size_t len) {
    for (size_t i = 0; i < len; i++) {
        const float v = a[i] + b[i];
        y[i] = v < 0.0f ? 0.0f : v;
    }
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
