/* The safetensors writer (format and layout in safetensors.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "safetensors.h"
#include "wire.h"

/* The format is little-endian and the floats are written as they are in
 * memory; the engine's checkpoints make the same assumption. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "safetensors data is little-endian");

static void put(BdBuf *b, const char *s) { bd_buf_put_bytes(b, s, strlen(s)); }

/* A JSON string escaped as serde_json (the reference's JSON library) does:
 * the quote, the backslash and control characters; all else as it is. */
static void put_string(BdBuf *b, const char *s) {
    put(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[8];
        switch (*p) {
        case '"': put(b, "\\\""); break;
        case '\\': put(b, "\\\\"); break;
        case '\b': put(b, "\\b"); break;
        case '\f': put(b, "\\f"); break;
        case '\n': put(b, "\\n"); break;
        case '\r': put(b, "\\r"); break;
        case '\t': put(b, "\\t"); break;
        default:
            if (*p < 0x20) {
                snprintf(esc, sizeof esc, "\\u%04x", *p);
                put(b, esc);
            } else {
                bd_buf_put_bytes(b, p, 1);
            }
        }
    }
    put(b, "\"");
}

static void put_u64(BdBuf *b, uint64_t v) {
    char num[24];
    snprintf(num, sizeof num, "%llu", (unsigned long long)v);
    put(b, num);
}

static int by_tensor_name(const void *a, const void *b) {
    return strcmp((*(const BdStF32 *const *)a)->name, (*(const BdStF32 *const *)b)->name);
}

static int by_meta_key(const void *a, const void *b) {
    return strcmp((*(const BdStMeta *const *)a)->key, (*(const BdStMeta *const *)b)->key);
}

/* The JSON header, padded, for tensors in order[0..n) and metadata in
 * meta_order[0..n_meta). */
static int build_header(BdBuf *h, const BdStF32 *const *order, int n, const BdStMeta *const *meta_order, int n_meta,
                        const char *path, BdError *err) {
    put(h, "{");
    if (n_meta > 0) {
        put(h, "\"__metadata__\":{");
        for (int i = 0; i < n_meta; i++) {
            if (i > 0 && !strcmp(meta_order[i]->key, meta_order[i - 1]->key))
                return bd_fail(err, "%s: metadata key '%s' given twice", path, meta_order[i]->key);
            if (i > 0) put(h, ",");
            put_string(h, meta_order[i]->key);
            put(h, ":");
            put_string(h, meta_order[i]->value);
        }
        put(h, "}");
    }
    uint64_t offset = 0;
    for (int i = 0; i < n; i++) {
        const BdStF32 *t = order[i];
        if (!strcmp(t->name, "__metadata__")) return bd_fail(err, "%s: '__metadata__' cannot name a tensor", path);
        if (i > 0 && !strcmp(t->name, order[i - 1]->name))
            return bd_fail(err, "%s: tensor name '%s' given twice", path, t->name);
        if (t->ndim < 0 || t->ndim > BD_ST_MAX_DIMS)
            return bd_fail(err, "%s: tensor '%s' has %d dimensions (at most %d)", path, t->name, t->ndim,
                           BD_ST_MAX_DIMS);
        uint64_t bytes = sizeof(float);
        for (int d = 0; d < t->ndim; d++) {
            if (t->shape[d] < 0) return bd_fail(err, "%s: tensor '%s' has a negative dimension", path, t->name);
            if (t->shape[d] > 0 && bytes > UINT64_MAX / (uint64_t)t->shape[d])
                return bd_fail(err, "%s: tensor '%s' is too large", path, t->name);
            bytes *= (uint64_t)t->shape[d];
        }
        if (n_meta > 0 || i > 0) put(h, ",");
        put_string(h, t->name);
        put(h, ":{\"dtype\":\"F32\",\"shape\":[");
        for (int d = 0; d < t->ndim; d++) {
            if (d) put(h, ",");
            put_u64(h, (uint64_t)t->shape[d]);
        }
        put(h, "],\"data_offsets\":[");
        put_u64(h, offset);
        put(h, ",");
        put_u64(h, offset + bytes);
        put(h, "]}");
        offset += bytes;
    }
    put(h, "}");
    while (h->len % 8) put(h, " ");
    if (h->len > BD_ST_MAX_HEADER)
        return bd_fail(err, "%s: the header would take %zu bytes (at most %u)", path, h->len, BD_ST_MAX_HEADER);
    return 0;
}

static int write_all(FILE *f, const void *p, size_t n) { return n == 0 || fwrite(p, 1, n, f) == n ? 0 : -1; }

static size_t elements(const BdStF32 *t) {
    size_t k = 1;
    for (int d = 0; d < t->ndim; d++) k *= (size_t)t->shape[d];
    return k;
}

int bd_st_write(const char *path, const BdStF32 *tensors, int n, const BdStMeta *meta, int n_meta, BdError *err) {
    const BdStF32 **order = bd_xmalloc((size_t)(n > 0 ? n : 1) * sizeof *order);
    const BdStMeta **meta_order = bd_xmalloc((size_t)(n_meta > 0 ? n_meta : 1) * sizeof *meta_order);
    for (int i = 0; i < n; i++) order[i] = &tensors[i];
    for (int i = 0; i < n_meta; i++) meta_order[i] = &meta[i];
    qsort(order, (size_t)n, sizeof *order, by_tensor_name);
    qsort(meta_order, (size_t)n_meta, sizeof *meta_order, by_meta_key);

    BdBuf h;
    bd_buf_init(&h);
    char *tmp = NULL;
    int rc = build_header(&h, order, n, meta_order, n_meta, path, err);
    if (rc == 0) {
        size_t cap = strlen(path) + 32;
        tmp = bd_xmalloc(cap);
        snprintf(tmp, cap, "%s.tmp.%ld", path, (long)getpid());
        FILE *f = fopen(tmp, "wb");
        if (!f) {
            rc = bd_fail_io(err, errno, "%s: cannot create %s", path, tmp);
        } else {
            unsigned char n_le[8];
            for (int i = 0; i < 8; i++) n_le[i] = (unsigned char)((uint64_t)h.len >> (8 * i));
            int bad = write_all(f, n_le, sizeof n_le) || write_all(f, h.data, h.len);
            for (int i = 0; i < n && !bad; i++) bad = write_all(f, order[i]->data, elements(order[i]) * sizeof(float));
            int saved = errno;
            if (fclose(f) != 0 && !bad) bad = 1, saved = errno;
            if (!bad && rename(tmp, path) != 0) bad = 1, saved = errno;
            if (bad) {
                unlink(tmp);
                rc = bd_fail_io(err, saved, "%s: writing failed", path);
            }
        }
    }
    free(tmp);
    bd_buf_free(&h);
    free(order);
    free(meta_order);
    return rc;
}
