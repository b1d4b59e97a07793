/* Randomness that depends only on what it is for.
 *
 * A cell's seed is bd_hash64 of its canonical key. Every random decision in a
 * cell draws from a stream derived from that seed and a purpose ("poison",
 * "shuffle" and the epoch, "init", ...), so that resuming at an epoch, running
 * on another rank, or adding a new random draw elsewhere never changes the
 * numbers of an unrelated stream.
 *
 * The generator is xoshiro256** (Blackman & Vigna), seeded through splitmix64. */
#ifndef BD_RNG_H
#define BD_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct BdRng {
    uint64_t s[4];
} BdRng;

/* FNV-1a over the bytes, finished with a splitmix64 mix so that similar keys
 * give unrelated seeds. */
uint64_t bd_hash64(const void *data, size_t len);
uint64_t bd_hash_str(const char *s);

/* A seed for one purpose of one cell: hash(base, stream, index). */
uint64_t bd_seed_derive(uint64_t base, const char *stream, uint64_t index);

void bd_rng_seed(BdRng *r, uint64_t seed);
/* Shorthand: bd_rng_seed(r, bd_seed_derive(base, stream, index)). */
void bd_rng_stream(BdRng *r, uint64_t base, const char *stream, uint64_t index);

uint64_t bd_rng_u64(BdRng *r);
/* Uniform in [0, n) without modulo bias; n > 0. */
uint64_t bd_rng_below(BdRng *r, uint64_t n);
/* Uniform in [0, 1) with 24 (float) or 53 (double) random bits. */
float bd_rng_uniform(BdRng *r);
double bd_rng_uniform_d(BdRng *r);
/* Standard normal (Box-Muller, both values used in turn is not worth the state). */
double bd_rng_normal(BdRng *r);
/* Gamma(shape, 1) by Marsaglia-Tsang; Beta(a, b) from two gammas. */
double bd_rng_gamma(BdRng *r, double shape);
double bd_rng_beta(BdRng *r, double a, double b);
/* Fisher-Yates shuffle of n ints. */
void bd_rng_shuffle(BdRng *r, int *v, size_t n);
/* Chooses k distinct elements of pool[0..n) uniformly (partial Fisher-Yates
 * on a copy); writes them, in the order chosen, to out[0..k). k <= n. */
void bd_rng_choose(BdRng *r, const int *pool, size_t n, int *out, size_t k);

#endif
