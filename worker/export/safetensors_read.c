/* The safetensors reader (format in safetensors.h): the whole file in
 * memory, the header parsed by a small strict JSON reader that knows only
 * the header's shape (an object of tensor entries and one string map), then
 * the offsets checked against the byte buffer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "safetensors.h"

/* dtypes with whole-byte elements (the reference's Dtype), and their size. */
static const struct {
    const char *name;
    int bytes;
} DTYPES[] = {
    {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E5M2", 1}, {"F8_E4M3", 1}, {"F8_E8M0", 1}, {"F8_E4M3FNUZ", 1},
    {"F8_E5M2FNUZ", 1},      {"I16", 2}, {"U16", 2},     {"F16", 2},     {"BF16", 2},    {"I32", 4},
    {"U32", 4},  {"F32", 4}, {"C64", 8}, {"F64", 8},     {"I64", 8},     {"U64", 8},     {NULL, 0},
};

static int dtype_bytes(const char *name) {
    for (int i = 0; DTYPES[i].name; i++)
        if (!strcmp(DTYPES[i].name, name)) return DTYPES[i].bytes;
    return 0;
}

typedef struct Parser {
    const char *start, *p, *end;
    const char *path;
    BdError *err;
} Parser;

static int fail_at(Parser *ps, const char *expected) {
    return bd_fail(ps->err, "%s: safetensors header, byte %ld: expected %s", ps->path, (long)(ps->p - ps->start),
                   expected);
}

static void skip_ws(Parser *ps) {
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')) ps->p++;
}

/* Skips whitespace, then consumes c if it is next. */
static int take(Parser *ps, char c) {
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == c) {
        ps->p++;
        return 1;
    }
    return 0;
}

static int expect(Parser *ps, char c) {
    char what[8];
    snprintf(what, sizeof what, "'%c'", c);
    return take(ps, c) ? 0 : fail_at(ps, what);
}

static int hex4(Parser *ps, unsigned *out) {
    if (ps->end - ps->p < 4) return -1;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = *ps->p++;
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else return -1;
    }
    *out = v;
    return 0;
}

static void put_utf8(char *o, size_t *n, unsigned cp) {
    if (cp < 0x80) {
        o[(*n)++] = (char)cp;
    } else if (cp < 0x800) {
        o[(*n)++] = (char)(0xC0 | cp >> 6);
        o[(*n)++] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        o[(*n)++] = (char)(0xE0 | cp >> 12);
        o[(*n)++] = (char)(0x80 | (cp >> 6 & 0x3F));
        o[(*n)++] = (char)(0x80 | (cp & 0x3F));
    } else {
        o[(*n)++] = (char)(0xF0 | cp >> 18);
        o[(*n)++] = (char)(0x80 | (cp >> 12 & 0x3F));
        o[(*n)++] = (char)(0x80 | (cp >> 6 & 0x3F));
        o[(*n)++] = (char)(0x80 | (cp & 0x3F));
    }
}

/* A JSON string, unescaped into a new NUL-terminated string (an escape is
 * never shorter than what it stands for, so the raw length bounds it). */
static char *parse_string(Parser *ps) {
    skip_ws(ps);
    if (ps->p >= ps->end || *ps->p != '"') return fail_at(ps, "a string"), NULL;
    const char *q = ++ps->p;
    while (q < ps->end && *q != '"') q += *q == '\\' ? 2 : 1;
    if (q >= ps->end) return fail_at(ps, "the end of the string"), NULL;
    char *out = bd_xmalloc((size_t)(q - ps->p) + 1);
    size_t n = 0;
    while (*ps->p != '"') {
        unsigned char c = (unsigned char)*ps->p++;
        if (c < 0x20) {
            ps->p--;
            goto bad;
        }
        if (c != '\\') {
            out[n++] = (char)c;
            continue;
        }
        char e = *ps->p++;
        const char *plain = strchr("\"\\/bfnrt", e);
        if (e && plain) {
            out[n++] = "\"\\/\b\f\n\r\t"[plain - "\"\\/bfnrt"];
            continue;
        }
        unsigned cp, lo;
        if (e != 'u' || hex4(ps, &cp) < 0) goto bad;
        if (cp >= 0xD800 && cp < 0xDC00) { /* a surrogate pair */
            if (ps->end - ps->p < 2 || ps->p[0] != '\\' || ps->p[1] != 'u') goto bad;
            ps->p += 2;
            if (hex4(ps, &lo) < 0 || lo < 0xDC00 || lo >= 0xE000) goto bad;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        } else if (cp >= 0xDC00 && cp < 0xE000) {
            goto bad;
        }
        if (cp == 0) goto bad; /* names are C strings */
        put_utf8(out, &n, cp);
    }
    ps->p++;
    out[n] = '\0';
    return out;
bad:
    free(out);
    fail_at(ps, "a valid character or escape in a string (no control characters, no NUL)");
    return NULL;
}

/* A non-negative JSON integer: no sign, fraction, exponent or leading zero. */
static int parse_uint(Parser *ps, uint64_t *out) {
    skip_ws(ps);
    const char *s = ps->p;
    uint64_t v = 0;
    while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') {
        unsigned d = (unsigned)(*ps->p - '0');
        if (v > (UINT64_MAX - d) / 10) return fail_at(ps, "an integer that fits 64 bits");
        v = v * 10 + d;
        ps->p++;
    }
    if (ps->p == s || (*s == '0' && ps->p - s > 1)) {
        ps->p = s;
        return fail_at(ps, "a non-negative integer");
    }
    *out = v;
    return 0;
}

/* [u, u, ...] into v[0..cap); *n receives the count. */
static int parse_uints(Parser *ps, uint64_t *v, int cap, int *n) {
    *n = 0;
    if (expect(ps, '[') < 0) return -1;
    if (take(ps, ']')) return 0;
    do {
        if (*n == cap) return fail_at(ps, "fewer array elements");
        if (parse_uint(ps, &v[(*n)++]) < 0) return -1;
    } while (take(ps, ','));
    return expect(ps, ']');
}

/* {"dtype": ..., "shape": [...], "data_offsets": [b, e]}, each once. */
static int parse_tensor(Parser *ps, BdStView *t) {
    int seen_dtype = 0, seen_shape = 0, seen_offsets = 0;
    if (expect(ps, '{') < 0) return -1;
    do {
        char *key = parse_string(ps);
        if (!key) return -1;
        int rc = expect(ps, ':');
        if (rc == 0 && !strcmp(key, "dtype") && !seen_dtype++) {
            char *d = parse_string(ps);
            if (!d) rc = -1;
            else if (strlen(d) >= sizeof t->dtype) rc = fail_at(ps, "a known dtype");
            else snprintf(t->dtype, sizeof t->dtype, "%s", d);
            free(d);
        } else if (rc == 0 && !strcmp(key, "shape") && !seen_shape++) {
            uint64_t dims[BD_ST_MAX_DIMS];
            rc = parse_uints(ps, dims, BD_ST_MAX_DIMS, &t->ndim);
            for (int i = 0; rc == 0 && i < t->ndim; i++) {
                if (dims[i] > (uint64_t)INT64_MAX) rc = fail_at(ps, "smaller dimensions");
                t->shape[i] = (int64_t)dims[i];
            }
        } else if (rc == 0 && !strcmp(key, "data_offsets") && !seen_offsets++) {
            uint64_t off[2] = {0, 0};
            int n;
            rc = parse_uints(ps, off, 2, &n);
            if (rc == 0 && n != 2) rc = fail_at(ps, "data_offsets of two integers [BEGIN, END]");
            t->begin = off[0];
            t->end = off[1];
        } else if (rc == 0) {
            rc = bd_fail(ps->err, "%s: safetensors header: tensor '%s' has an unknown or repeated field '%s'",
                         ps->path, t->name, key);
        }
        free(key);
        if (rc < 0) return -1;
    } while (take(ps, ','));
    if (expect(ps, '}') < 0) return -1;
    if (!seen_dtype || !seen_shape || !seen_offsets)
        return bd_fail(ps->err, "%s: safetensors header: tensor '%s' lacks dtype, shape or data_offsets", ps->path,
                       t->name);
    return 0;
}

static int parse_metadata(Parser *ps, BdStFile *f) {
    if (f->keys) return bd_fail(ps->err, "%s: safetensors header: '__metadata__' given twice", ps->path);
    f->keys = bd_xcalloc(1, sizeof *f->keys);
    f->values = bd_xcalloc(1, sizeof *f->values);
    if (expect(ps, '{') < 0) return -1;
    if (take(ps, '}')) return 0;
    do {
        char *k = parse_string(ps);
        if (!k) return -1;
        if (bd_st_meta(f, k)) {
            bd_fail(ps->err, "%s: safetensors header: metadata key '%s' given twice", ps->path, k);
            free(k);
            return -1;
        }
        f->keys = bd_xrealloc(f->keys, (size_t)(f->n_meta + 1) * sizeof *f->keys);
        f->values = bd_xrealloc(f->values, (size_t)(f->n_meta + 1) * sizeof *f->values);
        f->keys[f->n_meta] = k;
        f->values[f->n_meta] = NULL;
        f->n_meta++;
        if (expect(ps, ':') < 0) return -1;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p != '"') return fail_at(ps, "a string value (metadata holds strings only)");
        if (!(f->values[f->n_meta - 1] = parse_string(ps))) return -1;
    } while (take(ps, ','));
    return expect(ps, '}');
}

static int parse_header(Parser *ps, BdStFile *f) {
    if (ps->p >= ps->end || *ps->p != '{') return fail_at(ps, "'{' as the header's first byte");
    ps->p++;
    if (!take(ps, '}')) {
        do {
            char *name = parse_string(ps);
            if (!name) return -1;
            if (expect(ps, ':') < 0) {
                free(name);
                return -1;
            }
            if (!strcmp(name, "__metadata__")) {
                free(name);
                if (parse_metadata(ps, f) < 0) return -1;
                continue;
            }
            if (bd_st_find(f, name)) {
                bd_fail(ps->err, "%s: safetensors header: tensor '%s' given twice", ps->path, name);
                free(name);
                return -1;
            }
            f->tensors = bd_xrealloc(f->tensors, (size_t)(f->n + 1) * sizeof *f->tensors);
            BdStView *t = &f->tensors[f->n++];
            memset(t, 0, sizeof *t);
            t->name = name;
            if (parse_tensor(ps, t) < 0) return -1;
        } while (take(ps, ','));
        if (expect(ps, '}') < 0) return -1;
    }
    skip_ws(ps);
    if (ps->p != ps->end) return fail_at(ps, "only whitespace after the header's closing '}'");
    return 0;
}

static int by_begin(const void *a, const void *b) {
    const BdStView *x = *(const BdStView *const *)a, *y = *(const BdStView *const *)b;
    return x->begin < y->begin ? -1 : x->begin > y->begin;
}

/* Every tensor's size matches its shape and dtype, and together, in offset
 * order, they cover the byte buffer exactly. */
static int check_offsets(BdStFile *f, const unsigned char *buffer, uint64_t buffer_len, const char *path,
                         BdError *err) {
    const BdStView **order = bd_xmalloc((size_t)(f->n > 0 ? f->n : 1) * sizeof *order);
    int rc = 0;
    for (int i = 0; i < f->n && rc == 0; i++) {
        BdStView *t = &f->tensors[i];
        order[i] = t;
        int size = dtype_bytes(t->dtype);
        if (!size) {
            rc = bd_fail(err, "%s: tensor '%s': dtype '%s' is not one this reader knows (whole-byte types only)",
                         path, t->name, t->dtype);
            break;
        }
        uint64_t bytes = (uint64_t)size;
        for (int d = 0; d < t->ndim && rc == 0; d++) {
            if (t->shape[d] > 0 && bytes > UINT64_MAX / (uint64_t)t->shape[d])
                rc = bd_fail(err, "%s: tensor '%s': its shape overflows", path, t->name);
            bytes *= (uint64_t)t->shape[d];
        }
        if (rc == 0 && t->end < t->begin)
            rc = bd_fail(err, "%s: tensor '%s': data_offsets [%llu, %llu] end before they begin", path, t->name,
                         (unsigned long long)t->begin, (unsigned long long)t->end);
        else if (rc == 0 && t->end - t->begin != bytes)
            rc = bd_fail(err, "%s: tensor '%s': data_offsets [%llu, %llu] hold %llu bytes; its %s shape needs %llu",
                         path, t->name, (unsigned long long)t->begin, (unsigned long long)t->end,
                         (unsigned long long)(t->end - t->begin), t->dtype, (unsigned long long)bytes);
    }
    if (rc == 0) {
        qsort(order, (size_t)f->n, sizeof *order, by_begin);
        uint64_t at = 0;
        for (int i = 0; i < f->n && rc == 0; i++) {
            if (order[i]->begin != at)
                rc = bd_fail(err, "%s: tensor '%s' starts at byte %llu of the data, not at %llu: the tensors must "
                             "cover the data without holes or overlaps", path, order[i]->name,
                             (unsigned long long)order[i]->begin, (unsigned long long)at);
            at = order[i]->end;
        }
        if (rc == 0 && at != buffer_len)
            rc = bd_fail(err, "%s: the tensors cover %llu bytes of data, the file holds %llu", path,
                         (unsigned long long)at, (unsigned long long)buffer_len);
    }
    for (int i = 0; i < f->n && rc == 0; i++) f->tensors[i].data = buffer + f->tensors[i].begin;
    free(order);
    return rc;
}

static int read_file(const char *path, unsigned char **bytes, size_t *len, BdError *err) {
    FILE *fp = fopen(path, "rb");
    if (!fp) return bd_fail(err, "%s: cannot open: %s", path, strerror(errno));
    long size = -1;
    if (fseek(fp, 0, SEEK_END) == 0) size = ftell(fp);
    if (size < 0 || fseek(fp, 0, SEEK_SET) != 0) {
        fclose(fp);
        return bd_fail(err, "%s: cannot read: %s", path, strerror(errno));
    }
    *bytes = bd_xmalloc((size_t)size + 1);
    *len = fread(*bytes, 1, (size_t)size, fp);
    int bad = ferror(fp) || *len != (size_t)size;
    fclose(fp);
    if (bad) return bd_fail(err, "%s: reading failed", path);
    return 0;
}

int bd_st_read(const char *path, BdStFile *f, BdError *err) {
    memset(f, 0, sizeof *f);
    if (read_file(path, &f->bytes, &f->len, err) < 0) goto fail;
    if (f->len < 8) {
        bd_fail(err, "%s: not a safetensors file: %zu bytes, shorter than the 8-byte header length", path, f->len);
        goto fail;
    }
    uint64_t n = 0;
    for (int i = 0; i < 8; i++) n |= (uint64_t)f->bytes[i] << (8 * i);
    if (n > BD_ST_MAX_HEADER || n > f->len - 8) {
        bd_fail(err, "%s: not a safetensors file: a header of %llu bytes in a file of %zu", path,
                (unsigned long long)n, f->len);
        goto fail;
    }
    Parser ps = {(const char *)f->bytes + 8, (const char *)f->bytes + 8, (const char *)f->bytes + 8 + n, path, err};
    if (parse_header(&ps, f) < 0) goto fail;
    if (check_offsets(f, f->bytes + 8 + n, f->len - 8 - n, path, err) < 0) goto fail;
    return 0;
fail:
    bd_st_free(f);
    return -1;
}

void bd_st_free(BdStFile *f) {
    for (int i = 0; i < f->n; i++) free(f->tensors[i].name);
    for (int i = 0; i < f->n_meta; i++) {
        free(f->keys[i]);
        free(f->values[i]);
    }
    free(f->tensors);
    free(f->keys);
    free(f->values);
    free(f->bytes);
    memset(f, 0, sizeof *f);
}

const BdStView *bd_st_find(const BdStFile *f, const char *name) {
    for (int i = 0; i < f->n; i++)
        if (!strcmp(f->tensors[i].name, name)) return &f->tensors[i];
    return NULL;
}

const char *bd_st_meta(const BdStFile *f, const char *key) {
    for (int i = 0; i < f->n_meta; i++)
        if (!strcmp(f->keys[i], key)) return f->values[i];
    return NULL;
}
