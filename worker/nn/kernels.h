/* Engine-internal: the vector loops every op is made of. They live in one
 * file, compiled for three x86-64 levels (SSE2, AVX2, AVX-512)
 * chosen at load time, because the project builds portable (baseline x86-64) binaries;
 * vector width matters for these memory-bound loops. Pointers of one call
 * never alias unless said. */
#ifndef BD_NN_KERNELS_H
#define BD_NN_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* dst = src (accumulate 0) or dst += src (accumulate 1). */
void bd_vec_put(float *dst, const float *src, size_t len, int accumulate);
/* Row by row: dst[r*dld + i] (+)= src[r*sld + i] for r < rows, i < width.
 * Many short rows in one call (tiles of small images), where a memcpy per
 * row would cost more in calls than in copying. */
void bd_rows_put(float *dst, size_t dld, const float *src, size_t sld, int rows, int width, int accumulate);
/* dst = s * src or dst += s * src. */
void bd_vec_put_scaled(float *dst, const float *src, float s, size_t len, int accumulate);
/* y = a + b or y += a + b is not needed; y = a + b (y may alias a or b). */
void bd_vec_add(float *y, const float *a, const float *b, size_t len);
/* Sum of len floats, accurate: float lanes within blocks, double across blocks. */
double bd_vec_sum(const float *x, size_t len);
/* Sums of (x - k) and (x - k)^2: shifted moments for a stable variance. */
void bd_vec_moments(const float *x, size_t len, float k, double *s1, double *s2);
/* Sums of dy and dy * (x - mean) (batch norm backward). */
void bd_vec_dot_centered(const float *dy, const float *x, size_t len, float mean, double *sdy, double *sdyx);
/* y = a * x + b, then max(., 0) when relu. */
void bd_vec_affine(float *y, const float *x, float a, float b, size_t len, int relu);
/* dx (+)= a * dy + c * (x - mean) + d (batch norm backward, training). */
void bd_vec_bn_dx(float *dx, const float *dy, const float *x, float a, float c, float mean, float d, size_t len,
                  int accumulate);
/* Masked by a ReLU's output z (the gradient through it is dz where z > 0):
 * sums of that gradient and of it times (x - mean); dx (+)= a * that + c * (x - mean) + d. */
void bd_vec_dot_centered_masked(const float *dz, const float *z, const float *x, size_t len, float mean, double *sdy,
                                double *sdyx);
void bd_vec_bn_dx_masked(float *dx, const float *dz, const float *z, const float *x, float a, float c, float mean,
                         float d, size_t len, int accumulate);
/* y = max(a + b, 0). */
void bd_vec_add_relu(float *y, const float *a, const float *b, size_t len);
/* 2x2 max pooling with stride 2 of `planes` h x w planes into oh x ow
 * (floor): y and the argmax (h*w + w index in its plane); the first maximum
 * wins and NaN propagates, as in PyTorch. */
void bd_maxpool2x2(const float *x, int h, int w, size_t planes, float *y, int *idx, int oh, int ow);
/* y = max(x, 0). */
void bd_vec_relu(float *y, const float *x, size_t len);
/* dx (+)= y > 0 ? dy : 0. */
void bd_vec_relu_back(float *dx, const float *dy, const float *y, size_t len, int accumulate);
/* dy = y > 0 ? dy : 0, in place (the gradient through a ReLU whose output is y). */
void bd_vec_relu_mask(float *dy, const float *y, size_t len);
/* y = x * m (dropout) ; dx (+)= dy * m. */
void bd_vec_mul(float *y, const float *x, const float *m, size_t len, int accumulate);
/* y = a * x + b * z (mixup). */
void bd_vec_lerp(float *y, const float *x, const float *z, float a, float b, size_t len);

/* The same on bf16 values (uint16_t: the upper half of a float), computed
 * in float and rounded to nearest even: the oneDNN engine's bf16 activations. */
static inline float bd_bf16_value(uint16_t h) {
    const uint32_t u = (uint32_t)h << 16;
    float f;
    __builtin_memcpy(&f, &u, sizeof f);
    return f;
}
void bd_bf16_put(uint16_t *dst, const uint16_t *src, size_t len, int accumulate);
void bd_bf16_put_scaled(uint16_t *dst, const uint16_t *src, float s, size_t len, int accumulate);
void bd_bf16_relu_mask(uint16_t *dy, const uint16_t *y, size_t len);
void bd_bf16_mul(uint16_t *y, const uint16_t *x, const float *m, size_t len, int accumulate);
void bd_bf16_lerp(uint16_t *y, const uint16_t *x, const uint16_t *z, float a, float b, size_t len);

/* NHWC batch norm and the depthwise weight gradient, for the oneDNN engine
 * where oneDNN 2.6 has only generic code (dnnl_nhwc.c): m pixels of c
 * channels, channel innermost; _f32 on float, _bf16 on bf16 values.
 *   moments: mean[c] and biased var[c] of x (part: 3c floats, acc: 2c doubles of scratch)
 *   affine:  y = a[c] x + b[c], then max(., 0) when relu
 *   bn_sums: sdy[c] = sum g, sdyx[c] = sum g (x - mean[c]), g = dy, or dy where z > 0 when z
 *            (a fused ReLU's output) is given (part: 2c floats)
 *   bn_dx:   dx (+)= a[c] g + cx[c] (x - mean[c]) + d[c]
 *   dw_dweights: one sample's k x k depthwise weight gradient added into acc[k*k][c] */
#define BD_NHWC_DECLARE(SUFFIX, T)                                                                             \
    void bd_nhwc_moments##SUFFIX(const T *x, size_t m, int c, float *mean, float *var, float *part, double *acc); \
    void bd_nhwc_affine##SUFFIX(T *y, const T *x, size_t m, int c, const float *a, const float *b, int relu);   \
    void bd_nhwc_bn_sums##SUFFIX(const T *dy, const T *z, const T *x, size_t m, int c, const float *mean,      \
                                 float *part, double *sdy, double *sdyx);                                     \
    void bd_nhwc_bn_dx##SUFFIX(T *dx, const T *dy, const T *z, const T *x, size_t m, int c, const float *a,    \
                               const float *cx, const float *mean, const float *d, int accumulate);          \
    void bd_nhwc_dw_dweights##SUFFIX(const T *x, const T *dy, int h, int w, int c, int k, int s, int p, int oh, \
                                     int ow, float *acc);
BD_NHWC_DECLARE(_f32, float)
BD_NHWC_DECLARE(_bf16, uint16_t)
#undef BD_NHWC_DECLARE

#endif
