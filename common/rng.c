#include "rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

uint64_t bd_hash64(const void *data, size_t len) {
    const unsigned char *p = data;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return splitmix64(&h);
}

uint64_t bd_hash_str(const char *s) { return bd_hash64(s, strlen(s)); }

uint64_t bd_seed_derive(uint64_t base, const char *stream, uint64_t index) {
    unsigned char buf[256];
    size_t n = strlen(stream);
    if (n > sizeof buf - 16) n = sizeof buf - 16;
    for (int i = 0; i < 8; i++) buf[i] = (unsigned char)(base >> (8 * i));
    for (int i = 0; i < 8; i++) buf[8 + i] = (unsigned char)(index >> (8 * i));
    memcpy(buf + 16, stream, n);
    return bd_hash64(buf, 16 + n);
}

void bd_rng_seed(BdRng *r, uint64_t seed) {
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
}

void bd_rng_stream(BdRng *r, uint64_t base, const char *stream, uint64_t index) {
    bd_rng_seed(r, bd_seed_derive(base, stream, index));
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t bd_rng_u64(BdRng *r) {
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t bd_rng_below(BdRng *r, uint64_t n) {
    /* Rejection on the top of the range: unbiased for every n. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do x = bd_rng_u64(r);
    while (x >= limit);
    return x % n;
}

float bd_rng_uniform(BdRng *r) { return (float)(bd_rng_u64(r) >> 40) * 0x1.0p-24f; }

double bd_rng_uniform_d(BdRng *r) { return (double)(bd_rng_u64(r) >> 11) * 0x1.0p-53; }

double bd_rng_normal(BdRng *r) {
    double u1 = bd_rng_uniform_d(r), u2 = bd_rng_uniform_d(r);
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

double bd_rng_gamma(BdRng *r, double shape) {
    if (shape < 1.0) {
        /* Boost: Gamma(a) = Gamma(a+1) * U^(1/a). */
        double u = bd_rng_uniform_d(r);
        if (u < 1e-300) u = 1e-300;
        return bd_rng_gamma(r, shape + 1.0) * pow(u, 1.0 / shape);
    }
    double d = shape - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
    for (;;) {
        double x, v;
        do {
            x = bd_rng_normal(r);
            v = 1.0 + c * x;
        } while (v <= 0.0);
        v = v * v * v;
        double u = bd_rng_uniform_d(r);
        if (u < 1.0 - 0.0331 * x * x * x * x) return d * v;
        if (log(u) < 0.5 * x * x + d * (1.0 - v + log(v))) return d * v;
    }
}

/* log of a Gamma(shape, 1) draw; stays finite for tiny shapes where the
 * draw itself underflows to 0 (mixup with alpha -> 0 needs exactly that). */
static double log_gamma_draw(BdRng *r, double shape) {
    if (shape < 1.0) {
        double u = bd_rng_uniform_d(r);
        if (u < 1e-300) u = 1e-300;
        return log(bd_rng_gamma(r, shape + 1.0)) + log(u) / shape;
    }
    return log(bd_rng_gamma(r, shape));
}

double bd_rng_beta(BdRng *r, double a, double b) {
    double lx = log_gamma_draw(r, a), ly = log_gamma_draw(r, b);
    /* x / (x + y) = 1 / (1 + exp(ly - lx)), computed without forming x or y. */
    double d = ly - lx;
    if (d > 700.0) return 0.0;
    if (d < -700.0) return 1.0;
    return 1.0 / (1.0 + exp(d));
}

void bd_rng_shuffle(BdRng *r, int *v, size_t n) {
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)bd_rng_below(r, i);
        int t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

void bd_rng_choose(BdRng *r, const int *pool, size_t n, int *out, size_t k) {
    int *tmp = bd_xmalloc(n * sizeof *tmp);
    memcpy(tmp, pool, n * sizeof *tmp);
    for (size_t i = 0; i < k; i++) {
        size_t j = i + (size_t)bd_rng_below(r, n - i);
        int t = tmp[i];
        tmp[i] = tmp[j];
        tmp[j] = t;
        out[i] = tmp[i];
    }
    free(tmp);
}
