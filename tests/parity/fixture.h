/* Reader of the parity fixtures written by tests/parity/make_fixtures.py
 * (format described there): metadata strings and named float32 tensors. */
#ifndef BD_TEST_FIXTURE_H
#define BD_TEST_FIXTURE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FX_MAX_DIMS 8

typedef struct FxTensor {
    char *name;
    int ndim, dims[FX_MAX_DIMS];
    size_t len;
    float *data;
} FxTensor;

typedef struct Fixture {
    int n_meta;
    char **keys, **vals;
    int n;
    FxTensor *t;
} Fixture;

static int fx_u32(FILE *f, uint32_t *v) {
    unsigned char b[4];
    if (fread(b, 1, 4, f) != 4) return -1;
    *v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    return 0;
}

static char *fx_str(FILE *f) {
    uint32_t n;
    if (fx_u32(f, &n) < 0 || n > (1u << 20)) return NULL;
    char *s = malloc(n + 1);
    if (fread(s, 1, n, f) != n) {
        free(s);
        return NULL;
    }
    s[n] = 0;
    return s;
}

/* Returns 0, or -1 with a message on stderr. */
static int fx_load(const char *path, Fixture *fx) {
    memset(fx, 0, sizeof *fx);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: cannot open\n", path);
        return -1;
    }
    char magic[4];
    uint32_t version, n;
    if (fread(magic, 1, 4, f) != 4 || memcmp(magic, "BDFX", 4) || fx_u32(f, &version) < 0 || version != 1 ||
        fx_u32(f, &n) < 0)
        goto bad;
    fx->n_meta = (int)n;
    fx->keys = calloc(n + 1, sizeof *fx->keys);
    fx->vals = calloc(n + 1, sizeof *fx->vals);
    for (uint32_t i = 0; i < n; i++)
        if (!(fx->keys[i] = fx_str(f)) || !(fx->vals[i] = fx_str(f))) goto bad;
    if (fx_u32(f, &n) < 0) goto bad;
    fx->n = (int)n;
    fx->t = calloc(n + 1, sizeof *fx->t);
    for (uint32_t i = 0; i < n; i++) {
        FxTensor *t = &fx->t[i];
        uint32_t nd, d;
        if (!(t->name = fx_str(f)) || fx_u32(f, &nd) < 0 || nd > FX_MAX_DIMS) goto bad;
        t->ndim = (int)nd;
        t->len = 1;
        for (uint32_t j = 0; j < nd; j++) {
            if (fx_u32(f, &d) < 0) goto bad;
            t->dims[j] = (int)d;
            t->len *= d;
        }
        t->data = malloc((t->len ? t->len : 1) * sizeof(float));
        for (size_t j = 0; j < t->len; j++) {
            uint32_t bits;
            if (fx_u32(f, &bits) < 0) goto bad;
            memcpy(&t->data[j], &bits, 4);
        }
    }
    fclose(f);
    return 0;
bad:
    fprintf(stderr, "%s: not a readable BDFX fixture (truncated or wrong format)\n", path);
    fclose(f);
    return -1;
}

static const char *fx_meta(const Fixture *fx, const char *key) {
    for (int i = 0; i < fx->n_meta; i++)
        if (!strcmp(fx->keys[i], key)) return fx->vals[i];
    return NULL;
}

static const FxTensor *fx_find(const Fixture *fx, const char *name) {
    for (int i = 0; i < fx->n; i++)
        if (!strcmp(fx->t[i].name, name)) return &fx->t[i];
    return NULL;
}

static void fx_free(Fixture *fx) {
    for (int i = 0; i < fx->n_meta; i++) {
        free(fx->keys[i]);
        free(fx->vals[i]);
    }
    for (int i = 0; i < fx->n; i++) {
        free(fx->t[i].name);
        free(fx->t[i].data);
    }
    free(fx->keys);
    free(fx->vals);
    free(fx->t);
}

#endif
