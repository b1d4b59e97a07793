/* The engine's vector kernels are built for three x86-64 levels and picked
 * at load time (worker/nn/kernels.c); whichever the test machine picks, the
 * others must compute the same. Each level this CPU can run is compared
 * against the baseline build on data with odd lengths, NaNs and ties. */
#include <stdlib.h>

#include "check.h"
#include "kernels.h"
#include "rng.h"

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)

#define LEVELS(f) extern __typeof__(f) f##_v1, f##_v3, f##_v4;
LEVELS(bd_vec_sum)
LEVELS(bd_vec_moments)
LEVELS(bd_vec_dot_centered_masked)
LEVELS(bd_vec_bn_dx_masked)
LEVELS(bd_vec_affine)
LEVELS(bd_vec_relu_back)
LEVELS(bd_maxpool2x2)
LEVELS(bd_rows_put)

enum { LEN = 1000 + 37 };

static void fill(float *v, size_t n, uint64_t seed) {
    BdRng r;
    bd_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) v[i] = (float)bd_rng_normal(&r);
}

static int close(double a, double b) { return fabs(a - b) <= 1e-5 * (1.0 + fabs(b)); }

static void compare_level(const char *level, int which) {
    static float x[LEN], z[LEN], dz[LEN], a[LEN], b[LEN];
    fill(x, LEN, 1);
    fill(z, LEN, 2);
    fill(dz, LEN, 3);
    __typeof__(bd_vec_sum) *sum = which == 3 ? bd_vec_sum_v3 : bd_vec_sum_v4;
    __typeof__(bd_vec_moments) *moments = which == 3 ? bd_vec_moments_v3 : bd_vec_moments_v4;
    __typeof__(bd_vec_dot_centered_masked) *dcm = which == 3 ? bd_vec_dot_centered_masked_v3 : bd_vec_dot_centered_masked_v4;
    __typeof__(bd_vec_bn_dx_masked) *bdx = which == 3 ? bd_vec_bn_dx_masked_v3 : bd_vec_bn_dx_masked_v4;
    __typeof__(bd_vec_affine) *aff = which == 3 ? bd_vec_affine_v3 : bd_vec_affine_v4;
    __typeof__(bd_vec_relu_back) *rb = which == 3 ? bd_vec_relu_back_v3 : bd_vec_relu_back_v4;
    __typeof__(bd_maxpool2x2) *mp = which == 3 ? bd_maxpool2x2_v3 : bd_maxpool2x2_v4;
    __typeof__(bd_rows_put) *rp = which == 3 ? bd_rows_put_v3 : bd_rows_put_v4;

    CHECK_MSG(close(sum(x, LEN), bd_vec_sum_v1(x, LEN)), "%s sum", level);
    double s1, s2, t1, t2;
    moments(x, LEN, 0.3f, &s1, &s2);
    bd_vec_moments_v1(x, LEN, 0.3f, &t1, &t2);
    CHECK_MSG(close(s1, t1) && close(s2, t2), "%s moments", level);
    dcm(dz, z, x, LEN, 0.1f, &s1, &s2);
    bd_vec_dot_centered_masked_v1(dz, z, x, LEN, 0.1f, &t1, &t2);
    CHECK_MSG(close(s1, t1) && close(s2, t2), "%s masked BN sums", level);
    bdx(a, dz, z, x, 0.7f, -0.2f, 0.1f, 0.05f, LEN, 0);
    bd_vec_bn_dx_masked_v1(b, dz, z, x, 0.7f, -0.2f, 0.1f, 0.05f, LEN, 0);
    CHECK_MSG(memcmp(a, b, sizeof a) == 0, "%s masked BN dx", level);
    aff(a, x, 1.5f, -0.25f, LEN, 1);
    bd_vec_affine_v1(b, x, 1.5f, -0.25f, LEN, 1);
    CHECK_MSG(memcmp(a, b, sizeof a) == 0, "%s affine relu", level);
    memcpy(a, x, sizeof a);
    memcpy(b, x, sizeof b);
    rb(a, dz, z, LEN, 1);
    bd_vec_relu_back_v1(b, dz, z, LEN, 1);
    CHECK_MSG(memcmp(a, b, sizeof a) == 0, "%s relu backward", level);
    /* max pooling: ties and NaNs, 2 planes of 6 x 38 (a vector and a tail per row) */
    static float p[2 * 6 * 38], ya[2 * 3 * 19], yb[2 * 3 * 19];
    static int ia[2 * 3 * 19], ib[2 * 3 * 19];
    BdRng r;
    bd_rng_seed(&r, 9);
    for (size_t i = 0; i < sizeof p / sizeof *p; i++) p[i] = bd_rng_below(&r, 40) == 0 ? NAN : (float)bd_rng_below(&r, 3);
    mp(p, 6, 38, 2, ya, ia, 3, 19);
    bd_maxpool2x2_v1(p, 6, 38, 2, yb, ib, 3, 19);
    CHECK_MSG(memcmp(ia, ib, sizeof ia) == 0, "%s maxpool argmax", level);
    int same = 1;
    for (size_t i = 0; i < sizeof ya / sizeof *ya; i++) same &= ya[i] == yb[i] || (isnan(ya[i]) && isnan(yb[i]));
    CHECK_MSG(same, "%s maxpool values", level);
    rp(a, 40, x, 37, 20, 35, 0);
    bd_rows_put_v1(b, 40, x, 37, 20, 35, 0);
    CHECK_MSG(memcmp(a, b, 20 * 40 * sizeof(float)) == 0, "%s rows copy", level);
}

int main(void) {
    __builtin_cpu_init();
    int levels = 0;
    if (__builtin_cpu_supports("x86-64-v3")) {
        compare_level("x86-64-v3", 3);
        levels++;
    }
    if (__builtin_cpu_supports("x86-64-v4")) {
        compare_level("x86-64-v4", 4);
        levels++;
    }
    printf("kernels: %d level(s) compared with the baseline\n", levels);
    return check_result("kernels");
}

#else
int main(void) {
    printf("kernels: one level only on this compiler/platform\n");
    return 0;
}
#endif
