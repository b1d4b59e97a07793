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
/* y = x * m (dropout) ; dx (+)= dy * m. */
void bd_vec_mul(float *y, const float *x, const float *m, size_t len, int accumulate);
/* y = a * x + b * z (mixup). */
void bd_vec_lerp(float *y, const float *x, const float *z, float a, float b, size_t len);

/* The same on bf16 values (uint16_t: the upper half of a float), computed
 * in float and rounded to nearest even: the oneDNN engine's bf16 activations. */
void bd_bf16_put(uint16_t *dst, const uint16_t *src, size_t len, int accumulate);
void bd_bf16_put_scaled(uint16_t *dst, const uint16_t *src, float s, size_t len, int accumulate);
void bd_bf16_relu_back(uint16_t *dx, const uint16_t *dy, const uint16_t *y, size_t len, int accumulate);
void bd_bf16_mul(uint16_t *y, const uint16_t *x, const float *m, size_t len, int accumulate);
void bd_bf16_lerp(uint16_t *y, const uint16_t *x, const uint16_t *z, float a, float b, size_t len);

#endif
