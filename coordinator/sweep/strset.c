/* A set of strings with an int each: open addressing, linear probing, grown
 * to keep it at most half full. */
#include <stdlib.h>
#include <string.h>

#include "rng.h"
#include "sweep_internal.h"

static size_t slot(const SwStrSet *s, const char *key) {
    size_t i = (size_t)bd_hash_str(key) & (s->cap - 1);
    while (s->keys[i] && strcmp(s->keys[i], key)) i = (i + 1) & (s->cap - 1);
    return i;
}

static void grow(SwStrSet *s) {
    SwStrSet old = *s;
    s->cap = old.cap ? 2 * old.cap : 64;
    s->keys = bd_xcalloc(s->cap, sizeof *s->keys);
    s->vals = bd_xmalloc(s->cap * sizeof *s->vals);
    for (size_t i = 0; i < old.cap; i++) {
        if (!old.keys[i]) continue;
        size_t j = slot(s, old.keys[i]);
        s->keys[j] = old.keys[i];
        s->vals[j] = old.vals[i];
    }
    free(old.keys);
    free(old.vals);
}

int sw_strset_put(SwStrSet *s, const char *key, int val) {
    if (2 * (s->n + 1) > s->cap) grow(s);
    size_t i = slot(s, key);
    if (s->keys[i]) return s->vals[i];
    s->keys[i] = bd_xstrdup(key);
    s->vals[i] = val;
    s->n++;
    return -1;
}

void sw_strset_free(SwStrSet *s) {
    for (size_t i = 0; i < s->cap; i++) free(s->keys[i]);
    free(s->keys);
    free(s->vals);
    memset(s, 0, sizeof *s);
}
