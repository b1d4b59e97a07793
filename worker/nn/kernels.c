/* The vector loops of the engine (see kernels.h for why they are here).
 *
 * kernels_body.h is compiled three times, for x86-64 (SSE2), x86-64-v3
 * (AVX2, FMA) and x86-64-v4 (AVX-512), and each public kernel is an ifunc
 * whose resolver picks the best level of the CPU once, at load time: the
 * binary stays portable and still uses AVX-512 where there is one. (GCC's
 * target_clones would do this in one line, but GCC 12 then lowers vector
 * comparisons for the baseline ISA even in the AVX-512 clone.) */
#include "kernels.h"

#include <string.h>

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
 * change the calling convention between the levels (GCC's -Wpsabi). */
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

/* One step of PyTorch's max scan: v replaces the running maximum m when
 * strictly greater or NaN. The scan is associative, so pairs can be reduced
 * first: (a, b) and (d, e), then the two results. */
#define MAX_STEP(m, i, v, j)                                                                                   \
    do {                                                                                                       \
        v16i take_ = ((v) > (m)) | ((v) != (v));                                                               \
        (m) = (v16)(((v16i)(v) & take_) | ((v16i)(m) & ~take_));                                               \
        (i) = ((j) & take_) | ((i) & ~take_);                                                                  \
    } while (0)

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)

#define KN(name) name##_v1
#include "kernels_body.h"
#undef KN

#pragma GCC push_options
#pragma GCC target("arch=x86-64-v3")
#define KN(name) name##_v3
#include "kernels_body.h"
#undef KN
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("arch=x86-64-v4")
#define KN(name) name##_v4
#include "kernels_body.h"
#undef KN
#pragma GCC pop_options

/* Resolvers run while the dynamic loader relocates, before any runtime
 * (sanitizers included) is up: nothing in them may be instrumented. */
#define DISPATCH(name)                                                                                         \
    __attribute__((no_sanitize("address", "undefined"))) static __typeof__(name##_v1) *name##_resolve(void) { \
        __builtin_cpu_init();                                                                                  \
        if (__builtin_cpu_supports("x86-64-v4")) return name##_v4;                                             \
        if (__builtin_cpu_supports("x86-64-v3")) return name##_v3;                                             \
        return name##_v1;                                                                                      \
    }                                                                                                          \
    __typeof__(name##_v1) name __attribute__((ifunc(#name "_resolve")));

DISPATCH(bd_vec_put)
DISPATCH(bd_rows_put)
DISPATCH(bd_vec_put_scaled)
DISPATCH(bd_vec_add)
DISPATCH(bd_vec_sum)
DISPATCH(bd_vec_moments)
DISPATCH(bd_vec_dot_centered)
DISPATCH(bd_vec_dot_centered_masked)
DISPATCH(bd_vec_bn_dx_masked)
DISPATCH(bd_vec_add_relu)
DISPATCH(bd_maxpool2x2)
DISPATCH(bd_vec_affine)
DISPATCH(bd_vec_bn_dx)
DISPATCH(bd_vec_relu)
DISPATCH(bd_vec_relu_back)
DISPATCH(bd_vec_relu_mask)
DISPATCH(bd_vec_mul)
DISPATCH(bd_vec_lerp)
DISPATCH(bd_bf16_put)
DISPATCH(bd_bf16_put_scaled)
DISPATCH(bd_bf16_relu_mask)
DISPATCH(bd_bf16_mul)
DISPATCH(bd_bf16_lerp)
DISPATCH(bd_nhwc_moments_f32)
DISPATCH(bd_nhwc_affine_f32)
DISPATCH(bd_nhwc_bn_sums_f32)
DISPATCH(bd_nhwc_bn_dx_f32)
DISPATCH(bd_nhwc_dw_dweights_f32)
DISPATCH(bd_nhwc_moments_bf16)
DISPATCH(bd_nhwc_affine_bf16)
DISPATCH(bd_nhwc_bn_sums_bf16)
DISPATCH(bd_nhwc_bn_dx_bf16)
DISPATCH(bd_nhwc_dw_dweights_bf16)

#else

#define KN(name) name
#include "kernels_body.h"
#undef KN

#endif
