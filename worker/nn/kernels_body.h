/* The bodies of the engine's vector kernels, compiled once per x86-64
 * level by kernels.c (which defines KN(name) to the level's name). No
 * include guard: that is the point. */
void KN(bd_vec_put)(float *restrict dst, const float *restrict src, size_t len, int accumulate) {
    if (!accumulate) {
        memcpy(dst, src, len * sizeof(float));
        return;
    }
    for (size_t i = 0; i < len; i++) dst[i] += src[i];
}

/* (GCC would turn the copying rows back into a memmove call per row, the
 * call overhead this kernel exists to avoid.) */
__attribute__((optimize("no-tree-loop-distribute-patterns"))) void KN(bd_rows_put)(
    float *restrict dst, size_t dld, const float *restrict src, size_t sld, int rows, int width, int accumulate) {
    for (int r = 0; r < rows; r++) {
        float *d = dst + (size_t)r * dld;
        const float *q = src + (size_t)r * sld;
        int i = 0;
        for (; i + 16 <= width; i += 16) {
            v16 v, u;
            LOAD16(v, q + i);
            if (accumulate) {
                LOAD16(u, d + i);
                v += u;
            }
            memcpy(d + i, &v, sizeof v);
        }
        if (accumulate)
            for (; i < width; i++) d[i] += q[i];
        else
            for (; i < width; i++) d[i] = q[i];
    }
}

void KN(bd_vec_put_scaled)(float *restrict dst, const float *restrict src, float s, size_t len, int accumulate) {
    if (accumulate)
        for (size_t i = 0; i < len; i++) dst[i] += s * src[i];
    else
        for (size_t i = 0; i < len; i++) dst[i] = s * src[i];
}

void KN(bd_vec_add)(float *y, const float *a, const float *b, size_t len) {
    for (size_t i = 0; i < len; i++) y[i] = a[i] + b[i];
}

double KN(bd_vec_sum)(const float *restrict x, size_t len) {
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

void KN(bd_vec_moments)(const float *restrict x, size_t len, float k, double *s1, double *s2) {
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

void KN(bd_vec_dot_centered)(const float *restrict dy, const float *restrict x, size_t len, float mean,
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

void KN(bd_vec_dot_centered_masked)(const float *restrict dz, const float *restrict z, const float *restrict x,
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

void KN(bd_vec_bn_dx_masked)(float *restrict dx, const float *restrict dz, const float *restrict z,
                                   const float *restrict x, float a, float c, float mean, float d, size_t len,
                                   int accumulate) {
    if (accumulate)
        for (size_t i = 0; i < len; i++) dx[i] += a * (z[i] > 0.0f ? dz[i] : 0.0f) + c * (x[i] - mean) + d;
    else
        for (size_t i = 0; i < len; i++) dx[i] = a * (z[i] > 0.0f ? dz[i] : 0.0f) + c * (x[i] - mean) + d;
}

void KN(bd_vec_add_relu)(float *y, const float *a, const float *b, size_t len) {
    for (size_t i = 0; i < len; i++) {
        const float v = a[i] + b[i];
        y[i] = v < 0.0f ? 0.0f : v;
    }
}


void KN(bd_maxpool2x2)(const float *restrict x, int h, int w, size_t planes, float *restrict y,
                             int *restrict idx, int oh, int ow) {
    static const v16i even = {0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30};
    static const v16i lane = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    const size_t in_end = planes * (size_t)h * w; /* never read at or past x + in_end */
    for (size_t pl = 0; pl < planes; pl++)
        for (int r = 0; r < oh; r++) {
            const float *r0 = x + pl * (size_t)h * w + (size_t)(2 * r) * w, *r1 = r0 + w;
            float *yr = y + (pl * oh + r) * (size_t)ow;
            int *ir = idx + (pl * oh + r) * (size_t)ow;
            const int base = 2 * r * w;
            /* 16 outputs at a time; a short tail reads past its row into the
             * next ones (those lanes are not stored), except at the very end
             * of the tensor, where a zero-padded copy is read instead (a
             * scalar tail would branch on every comparison) */
            for (int c = 0; c < ow; c += 16) {
                const int rem = ow - c < 16 ? ow - c : 16;
                v16 p0, p1, q0, q1;
                if (rem == 16 || (size_t)(r1 + 2 * c + 32 - x) <= in_end) {
                    LOAD16(p0, r0 + 2 * c);
                    LOAD16(p1, r0 + 2 * c + 16);
                    LOAD16(q0, r1 + 2 * c);
                    LOAD16(q1, r1 + 2 * c + 16);
                } else {
                    float t0[32] = {0}, t1[32] = {0};
                    memcpy(t0, r0 + 2 * c, (size_t)(2 * rem) * sizeof(float));
                    memcpy(t1, r1 + 2 * c, (size_t)(2 * rem) * sizeof(float));
                    LOAD16(p0, t0);
                    LOAD16(p1, t0 + 16);
                    LOAD16(q0, t1);
                    LOAD16(q1, t1 + 16);
                }
                v16 a = __builtin_shuffle(p0, p1, even), b = __builtin_shuffle(p0, p1, even + 1);
                v16 d = __builtin_shuffle(q0, q1, even), e = __builtin_shuffle(q0, q1, even + 1);
                const v16i ia = base + 2 * (c + lane);
                v16i i1 = ia, i2 = ia + w;
                MAX_STEP(a, i1, b, ia + 1);
                MAX_STEP(d, i2, e, ia + w + 1);
                MAX_STEP(a, i1, d, i2);
                if (rem == 16) {
                    memcpy(yr + c, &a, sizeof a);
                    memcpy(ir + c, &i1, sizeof i1);
                } else {
                    float ta[16];
                    int ti[16];
                    memcpy(ta, &a, sizeof a);
                    memcpy(ti, &i1, sizeof i1);
                    memcpy(yr + c, ta, (size_t)rem * sizeof(float));
                    memcpy(ir + c, ti, (size_t)rem * sizeof(int));
                }
            }
        }
}

void KN(bd_vec_affine)(float *y, const float *x, float a, float b, size_t len, int relu) {
    if (relu)
        for (size_t i = 0; i < len; i++) {
            float v = a * x[i] + b;
            y[i] = v < 0.0f ? 0.0f : v; /* NaN stays NaN: a diverged run must show */
        }
    else
        for (size_t i = 0; i < len; i++) y[i] = a * x[i] + b;
}

void KN(bd_vec_bn_dx)(float *restrict dx, const float *restrict dy, const float *restrict x, float a, float c,
                            float mean, float d, size_t len, int accumulate) {
    if (accumulate)
        for (size_t i = 0; i < len; i++) dx[i] += a * dy[i] + c * (x[i] - mean) + d;
    else
        for (size_t i = 0; i < len; i++) dx[i] = a * dy[i] + c * (x[i] - mean) + d;
}

void KN(bd_vec_relu)(float *y, const float *x, size_t len) {
    for (size_t i = 0; i < len; i++) y[i] = x[i] < 0.0f ? 0.0f : x[i];
}

void KN(bd_vec_relu_back)(float *restrict dx, const float *restrict dy, const float *restrict y, size_t len,
                                int accumulate) {
    if (accumulate)
        for (size_t i = 0; i < len; i++) dx[i] += y[i] > 0.0f ? dy[i] : 0.0f;
    else
        for (size_t i = 0; i < len; i++) dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

void KN(bd_vec_relu_mask)(float *restrict dy, const float *restrict y, size_t len) {
    for (size_t i = 0; i < len; i++) dy[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

void KN(bd_vec_mul)(float *restrict y, const float *restrict x, const float *restrict m, size_t len,
                          int accumulate) {
    if (accumulate)
        for (size_t i = 0; i < len; i++) y[i] += x[i] * m[i];
    else
        for (size_t i = 0; i < len; i++) y[i] = x[i] * m[i];
}

void KN(bd_vec_lerp)(float *restrict y, const float *restrict x, const float *restrict z, float a, float b,
                           size_t len) {
    for (size_t i = 0; i < len; i++) y[i] = a * x[i] + b * z[i];
}

/* ---- bf16 (the oneDNN engine's activations in BD_BF16): computed in float,
 * rounded to nearest even on the way out, as oneDNN rounds. */

static inline float KN(bf16_in)(uint16_t h) {
    const uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static inline uint16_t KN(bf16_out)(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40); /* NaN stays NaN */
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

void KN(bd_bf16_put)(uint16_t *restrict dst, const uint16_t *restrict src, size_t len, int accumulate) {
    if (!accumulate) {
        memcpy(dst, src, len * sizeof *dst);
        return;
    }
    for (size_t i = 0; i < len; i++) dst[i] = KN(bf16_out)(KN(bf16_in)(dst[i]) + KN(bf16_in)(src[i]));
}

void KN(bd_bf16_put_scaled)(uint16_t *restrict dst, const uint16_t *restrict src, float s, size_t len,
                            int accumulate) {
    if (accumulate)
        for (size_t i = 0; i < len; i++) dst[i] = KN(bf16_out)(KN(bf16_in)(dst[i]) + s * KN(bf16_in)(src[i]));
    else
        for (size_t i = 0; i < len; i++) dst[i] = KN(bf16_out)(s * KN(bf16_in)(src[i]));
}

void KN(bd_bf16_relu_mask)(uint16_t *restrict dy, const uint16_t *restrict y, size_t len) {
    /* y > 0: sign bit clear and not zero */
    for (size_t i = 0; i < len; i++) dy[i] = (y[i] & 0x8000u) || !(y[i] & 0x7fffu) ? 0 : dy[i];
}

void KN(bd_bf16_mul)(uint16_t *restrict y, const uint16_t *restrict x, const float *restrict m, size_t len,
                     int accumulate) {
    if (accumulate)
        for (size_t i = 0; i < len; i++) y[i] = KN(bf16_out)(KN(bf16_in)(y[i]) + KN(bf16_in)(x[i]) * m[i]);
    else
        for (size_t i = 0; i < len; i++) y[i] = KN(bf16_out)(KN(bf16_in)(x[i]) * m[i]);
}

void KN(bd_bf16_lerp)(uint16_t *restrict y, const uint16_t *restrict x, const uint16_t *restrict z, float a,
                      float b, size_t len) {
    for (size_t i = 0; i < len; i++) y[i] = KN(bf16_out)(a * KN(bf16_in)(x[i]) + b * KN(bf16_in)(z[i]));
}

/* ---- NHWC loops of the oneDNN engine (dnnl_nhwc.c says when): m pixels of
 * c channels, channel innermost, in float or bf16 (the _bf16 forms); every
 * per-channel array is [c]. Reductions keep float partials per block of
 * pixels and add them into double, as the CNHW kernels above do. */

#define NHWC_BLOCK 16 /* pixels per float partial: a 16-value float sum, as the CNHW loops' lanes */

#define NHWC_KERNELS(SUFFIX, T, LOAD, STORE)                                                                   \
    void KN(bd_nhwc_moments##SUFFIX)(const T *restrict x, size_t m, int c, float *restrict mean,             \
                                     float *restrict var, float *restrict part, double *restrict acc) {      \
        /* around the first pixel's values: no cancellation when the mean is large */                       \
        float *k = part + 2 * (size_t)c;                                                                     \
        for (int j = 0; j < c; j++) k[j] = LOAD(x[j]), acc[j] = acc[c + j] = 0.0;                            \
        for (size_t p0 = 0; p0 < m; p0 += NHWC_BLOCK) {                                                      \
            const size_t p1 = p0 + NHWC_BLOCK < m ? p0 + NHWC_BLOCK : m;                                     \
            for (int j = 0; j < 2 * c; j++) part[j] = 0.0f;                                                   \
            for (size_t p = p0; p < p1; p++) {                                                               \
                const T *xr = x + p * (size_t)c;                                                             \
                for (int j = 0; j < c; j++) {                                                                \
                    const float d = LOAD(xr[j]) - k[j];                                                      \
                    part[j] += d;                                                                            \
                    part[c + j] += d * d;                                                                    \
                }                                                                                            \
            }                                                                                                \
            for (int j = 0; j < 2 * c; j++) acc[j] += part[j];                                               \
        }                                                                                                    \
        for (int j = 0; j < c; j++) {                                                                        \
            const double d = acc[j] / (double)m, v = acc[c + j] / (double)m - d * d;                        \
            mean[j] = (float)(k[j] + d);                                                                     \
            var[j] = (float)(v > 0.0 ? v : 0.0);                                                             \
        }                                                                                                    \
    }                                                                                                        \
                                                                                                             \
    void KN(bd_nhwc_affine##SUFFIX)(T *restrict y, const T *restrict x, size_t m, int c,                     \
                                    const float *restrict a, const float *restrict b, int relu) {           \
        for (size_t p = 0; p < m; p++) {                                                                     \
            const T *xr = x + p * (size_t)c;                                                                 \
            T *yr = y + p * (size_t)c;                                                                       \
            if (relu)                                                                                        \
                for (int j = 0; j < c; j++) {                                                                \
                    const float v = a[j] * LOAD(xr[j]) + b[j];                                               \
                    yr[j] = STORE(v > 0.0f ? v : 0.0f);                                                      \
                }                                                                                            \
            else                                                                                             \
                for (int j = 0; j < c; j++) yr[j] = STORE(a[j] * LOAD(xr[j]) + b[j]);                        \
        }                                                                                                    \
    }                                                                                                        \
                                                                                                             \
    void KN(bd_nhwc_bn_sums##SUFFIX)(const T *restrict dy, const T *restrict z, const T *restrict x, size_t m, \
                                     int c, const float *restrict mean, float *restrict part,                \
                                     double *restrict sdy, double *restrict sdyx) {                          \
        for (int j = 0; j < c; j++) sdy[j] = sdyx[j] = 0.0;                                                   \
        for (size_t p0 = 0; p0 < m; p0 += NHWC_BLOCK) {                                                      \
            const size_t p1 = p0 + NHWC_BLOCK < m ? p0 + NHWC_BLOCK : m;                                     \
            for (int j = 0; j < 2 * c; j++) part[j] = 0.0f;                                                   \
            for (size_t p = p0; p < p1; p++) {                                                               \
                const size_t o = p * (size_t)c;                                                              \
                for (int j = 0; j < c; j++) {                                                                \
                    const float gr = z && !(LOAD(z[o + j]) > 0.0f) ? 0.0f : LOAD(dy[o + j]);                 \
                    part[j] += gr;                                                                           \
                    part[c + j] += gr * (LOAD(x[o + j]) - mean[j]);                                          \
                }                                                                                            \
            }                                                                                                \
            for (int j = 0; j < c; j++) sdy[j] += part[j], sdyx[j] += part[c + j];                           \
        }                                                                                                    \
    }                                                                                                        \
                                                                                                             \
    void KN(bd_nhwc_bn_dx##SUFFIX)(T *restrict dx, const T *restrict dy, const T *restrict z,                \
                                   const T *restrict x, size_t m, int c, const float *restrict a,            \
                                   const float *restrict cx, const float *restrict mean,                     \
                                   const float *restrict d, int accumulate) {                                \
        for (size_t p = 0; p < m; p++) {                                                                     \
            const size_t o = p * (size_t)c;                                                                  \
            for (int j = 0; j < c; j++) {                                                                    \
                const float gr = z && !(LOAD(z[o + j]) > 0.0f) ? 0.0f : LOAD(dy[o + j]);                     \
                const float v = a[j] * gr + cx[j] * (LOAD(x[o + j]) - mean[j]) + d[j];                       \
                dx[o + j] = STORE(accumulate ? LOAD(dx[o + j]) + v : v);                                     \
            }                                                                                                \
        }                                                                                                    \
    }                                                                                                        \
                                                                                                             \
    /* Depthwise k x k (stride s, padding p) weight gradient of one sample:                                 \
     * acc[(ky*k + kx)*c + j] += sum over outputs of x[iy][ix][j] * dy[oy][ox][j]. */                        \
    void KN(bd_nhwc_dw_dweights##SUFFIX)(const T *restrict x, const T *restrict dy, int h, int w, int c,    \
                                         int k, int s, int p, int oh, int ow, float *restrict acc) {         \
        for (int oy = 0; oy < oh; oy++)                                                                      \
            for (int ox = 0; ox < ow; ox++) {                                                                \
                const T *g = dy + ((size_t)oy * ow + ox) * (size_t)c;                                        \
                for (int ky = 0; ky < k; ky++) {                                                             \
                    const int iy = oy * s - p + ky;                                                          \
                    if (iy < 0 || iy >= h) continue;                                                         \
                    for (int kx = 0; kx < k; kx++) {                                                         \
                        const int ix = ox * s - p + kx;                                                      \
                        if (ix < 0 || ix >= w) continue;                                                     \
                        const T *xr = x + ((size_t)iy * w + ix) * (size_t)c;                                 \
                        float *ar = acc + ((size_t)ky * k + kx) * (size_t)c;                                 \
                        for (int j = 0; j < c; j++) ar[j] += LOAD(xr[j]) * LOAD(g[j]);                       \
                    }                                                                                        \
                }                                                                                            \
            }                                                                                                \
    }

#define NHWC_F32_LOAD(v) (v)
#define NHWC_F32_STORE(v) (v)
#define NHWC_BF16_LOAD(v) KN(bf16_in)(v)
#define NHWC_BF16_STORE(v) KN(bf16_out)(v)
NHWC_KERNELS(_f32, float, NHWC_F32_LOAD, NHWC_F32_STORE)
NHWC_KERNELS(_bf16, uint16_t, NHWC_BF16_LOAD, NHWC_BF16_STORE)
#undef NHWC_KERNELS
#undef NHWC_F32_LOAD
#undef NHWC_F32_STORE
#undef NHWC_BF16_LOAD
#undef NHWC_BF16_STORE
#undef NHWC_BLOCK
