#include "image_cache.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

enum { CACHE_VERSION = 1, HEADER_BYTES = 48 };
static const char MAGIC[8] = {'B', 'D', 'S', 'W', 'I', 'M', 'G', 'C'};

static void put_u32(unsigned char *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static void put_u64(unsigned char *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static uint32_t get_u32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get_u64(const unsigned char *p) { return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32; }

static size_t pixel_bytes(const BdImageCache *c) { return (size_t)c->n * c->c * c->side * c->side; }
static size_t payload_bytes(const BdImageCache *c) { return (size_t)c->n * 4 + pixel_bytes(c); }

/* zlib's crc32 takes an unsigned length: feed large buffers in slices. */
static uLong crc_update(uLong crc, const unsigned char *p, size_t n) {
    while (n) {
        unsigned slice = n > (1u << 30) ? (1u << 30) : (unsigned)n;
        crc = crc32(crc, p, slice);
        p += slice;
        n -= slice;
    }
    return crc;
}

static void pack_labels(const BdImageCache *c, unsigned char *out) {
    for (int i = 0; i < c->n; i++) put_u32(out + 4 * (size_t)i, (uint32_t)c->y[i]);
}

static void pack_header(const BdImageCache *c, uint32_t crc, unsigned char *h) {
    memcpy(h, MAGIC, 8);
    put_u32(h + 8, CACHE_VERSION);
    put_u32(h + 12, (uint32_t)c->n);
    put_u32(h + 16, (uint32_t)c->c);
    put_u32(h + 20, (uint32_t)c->side);
    put_u32(h + 24, (uint32_t)c->classes);
    put_u64(h + 28, c->key);
    put_u64(h + 36, (uint64_t)payload_bytes(c));
    put_u32(h + 44, crc);
}

int bd_image_cache_read(const char *file, BdImageCache *c, BdError *err) {
    c->y = NULL;
    c->x = NULL;
    FILE *f = fopen(file, "rb");
    if (!f) {
        if (errno == ENOENT) return BD_CACHE_MISSING;
        bd_fail(err, "cache %s: cannot open: %s", file, strerror(errno));
        return BD_CACHE_INVALID;
    }
    unsigned char h[HEADER_BYTES], want[HEADER_BYTES];
    unsigned char *labels = NULL;
    struct stat st;
    if (fread(h, 1, HEADER_BYTES, f) != HEADER_BYTES) {
        bd_fail(err, "cache %s: truncated header: expected %d bytes", file, HEADER_BYTES);
        goto invalid;
    }
    pack_header(c, get_u32(h + 44), want); /* everything but the checksum must match */
    if (memcmp(h, MAGIC, 8)) {
        bd_fail(err, "cache %s: wrong magic: expected a bdsweep image cache", file);
        goto invalid;
    }
    if (get_u32(h + 8) != CACHE_VERSION) {
        bd_fail(err, "cache %s: version %u: expected %d", file, get_u32(h + 8), CACHE_VERSION);
        goto invalid;
    }
    if (memcmp(h, want, HEADER_BYTES)) {
        bd_fail(err, "cache %s: stale: %u images of %ux%ux%u in %u classes, key %016llx: expected %d of %dx%dx%d in %d, "
                     "key %016llx",
                file, get_u32(h + 12), get_u32(h + 16), get_u32(h + 20), get_u32(h + 20), get_u32(h + 24),
                (unsigned long long)get_u64(h + 28), c->n, c->c, c->side, c->side, c->classes,
                (unsigned long long)c->key);
        goto invalid;
    }
    if (fstat(fileno(f), &st) != 0 || (uint64_t)st.st_size != HEADER_BYTES + (uint64_t)payload_bytes(c)) {
        bd_fail(err, "cache %s: size %lld bytes: expected %llu", file, (long long)st.st_size,
                (unsigned long long)(HEADER_BYTES + payload_bytes(c)));
        goto invalid;
    }
    labels = bd_xmalloc((size_t)c->n * 4);
    c->y = bd_xmalloc((size_t)c->n * sizeof *c->y);
    c->x = bd_xmalloc(pixel_bytes(c));
    if (fread(labels, 1, (size_t)c->n * 4, f) != (size_t)c->n * 4 || fread(c->x, 1, pixel_bytes(c), f) != pixel_bytes(c)) {
        bd_fail(err, "cache %s: truncated payload: expected %zu bytes", file, payload_bytes(c));
        goto invalid;
    }
    uLong crc = crc_update(crc32(0L, Z_NULL, 0), labels, (size_t)c->n * 4);
    crc = crc_update(crc, c->x, pixel_bytes(c));
    if ((uint32_t)crc != get_u32(h + 44)) {
        bd_fail(err, "cache %s: checksum %08x: expected %08x (corrupt)", file, (unsigned)crc, get_u32(h + 44));
        goto invalid;
    }
    for (int i = 0; i < c->n; i++) {
        uint32_t y = get_u32(labels + 4 * (size_t)i);
        if (y >= (uint32_t)c->classes) {
            bd_fail(err, "cache %s: label %u of image %d: expected 0..%d", file, y, i, c->classes - 1);
            goto invalid;
        }
        c->y[i] = (int)y;
    }
    free(labels);
    fclose(f);
    return BD_CACHE_LOADED;
invalid:
    free(labels);
    free(c->y);
    free(c->x);
    c->y = NULL;
    c->x = NULL;
    fclose(f);
    return BD_CACHE_INVALID;
}

int bd_image_cache_write(const char *file, const BdImageCache *c, BdError *err) {
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", file);
    int fd = mkstemp(tmp);
    if (fd < 0) return bd_fail(err, "cache %s: cannot create a temporary file: %s", file, strerror(errno));
    /* mkstemp makes the file private; a cache beside shared data should be
     * readable by whoever can read the data. */
    fchmod(fd, 0644);
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        close(fd);
        unlink(tmp);
        return bd_fail(err, "cache %s: cannot write: %s", file, strerror(errno));
    }
    unsigned char h[HEADER_BYTES];
    unsigned char *labels = bd_xmalloc((size_t)c->n * 4);
    pack_labels(c, labels);
    uLong crc = crc_update(crc32(0L, Z_NULL, 0), labels, (size_t)c->n * 4);
    crc = crc_update(crc, c->x, pixel_bytes(c));
    pack_header(c, (uint32_t)crc, h);
    int ok = fwrite(h, 1, HEADER_BYTES, f) == HEADER_BYTES &&
             fwrite(labels, 1, (size_t)c->n * 4, f) == (size_t)c->n * 4 &&
             fwrite(c->x, 1, pixel_bytes(c), f) == pixel_bytes(c) && fflush(f) == 0 && fsync(fileno(f)) == 0;
    int saved = errno;
    free(labels);
    if (fclose(f) != 0 && ok) {
        ok = 0;
        saved = errno;
    }
    if (!ok) {
        unlink(tmp);
        return bd_fail(err, "cache %s: cannot write %s: %s", file, tmp, strerror(saved));
    }
    if (rename(tmp, file) != 0) {
        saved = errno;
        unlink(tmp);
        return bd_fail(err, "cache %s: cannot rename %s into place: %s", file, tmp, strerror(saved));
    }
    return 0;
}
