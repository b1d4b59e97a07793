/* Checkpoint files (format in checkpoint.h). */
#include "checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "rng.h"

static const unsigned char MAGIC[8] = {'B', 'D', 'C', 'K', 'P', 'T', 0, 0};
#define HEADER_BYTES (8 + 4 + 4 + 5 * 8 + 4 * 4)

typedef struct Header {
    uint32_t version, key_len;
    uint64_t n_params, n_buffers, n_velocity, blob_len, steps;
    uint32_t n_tensors;
    uint64_t layout;
    uint32_t crc;
} Header;

/* Names and dims of every tensor, in order: two builds that disagree on the
 * layout must not exchange weights even when the totals happen to match. */
static uint64_t layout_hash(const BdGraph *g) {
    uint64_t h = bd_hash_str("bdsweep checkpoint layout");
    for (int k = 0; k < 2; k++) {
        const BdParam *info = k ? g->buffer_info : g->param_info;
        int n = k ? g->n_buffer_info : g->n_param_info;
        for (int i = 0; i < n; i++) {
            char buf[BD_NAME_MAX + 64];
            int len = snprintf(buf, sizeof buf, "%d:%s:%d:%d:%d:%d:%d;", k, info[i].name, info[i].ndim, info[i].dims[0],
                               info[i].dims[1], info[i].dims[2], info[i].dims[3]);
            h ^= bd_hash64(buf, (size_t)len);
            h *= 0x100000001b3ull;
        }
    }
    return h;
}

static void put32(unsigned char **p, uint32_t v) {
    for (int i = 0; i < 4; i++) *(*p)++ = (unsigned char)(v >> (8 * i));
}
static void put64(unsigned char **p, uint64_t v) {
    for (int i = 0; i < 8; i++) *(*p)++ = (unsigned char)(v >> (8 * i));
}
static uint32_t get32(const unsigned char **p) {
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) v |= (uint32_t)*(*p)++ << (8 * i);
    return v;
}
static uint64_t get64(const unsigned char **p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t) * (*p)++ << (8 * i);
    return v;
}

static void encode_header(const Header *h, unsigned char *out) {
    unsigned char *p = out;
    memcpy(p, MAGIC, 8);
    p += 8;
    put32(&p, h->version);
    put32(&p, h->key_len);
    put64(&p, h->n_params);
    put64(&p, h->n_buffers);
    put64(&p, h->n_velocity);
    put64(&p, h->blob_len);
    put64(&p, h->steps);
    put32(&p, h->n_tensors);
    put32(&p, (uint32_t)h->layout);
    put32(&p, (uint32_t)(h->layout >> 32));
    put32(&p, h->crc);
}

static int decode_header(const unsigned char *in, Header *h) {
    if (memcmp(in, MAGIC, 8)) return -1;
    const unsigned char *p = in + 8;
    h->version = get32(&p);
    h->key_len = get32(&p);
    h->n_params = get64(&p);
    h->n_buffers = get64(&p);
    h->n_velocity = get64(&p);
    h->blob_len = get64(&p);
    h->steps = get64(&p);
    h->n_tensors = get32(&p);
    h->layout = get32(&p);
    h->layout |= (uint64_t)get32(&p) << 32;
    h->crc = get32(&p);
    return 0;
}

static size_t payload_bytes(const Header *h) {
    return (h->n_params + h->n_buffers + h->n_velocity) * sizeof(float) + (h->n_velocity ? h->n_tensors : 0) +
           h->blob_len;
}

static int write_all(FILE *f, const void *p, size_t n) { return n == 0 || fwrite(p, 1, n, f) == n ? 0 : -1; }

int bd_checkpoint_save(const char *path, const char *arch_key, const BdGraph *g, const BdSgd *opt, const void *blob,
                       size_t blob_len, BdError *err) {
    Header h = {0};
    h.version = BD_CHECKPOINT_VERSION;
    h.key_len = (uint32_t)strlen(arch_key);
    h.n_params = g->n_params;
    h.n_buffers = g->n_buffers;
    h.n_velocity = opt ? g->n_params : 0;
    h.blob_len = blob_len;
    h.steps = opt ? (uint64_t)opt->steps : 0;
    h.n_tensors = (uint32_t)g->n_param_info;
    h.layout = layout_hash(g);
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32_z(crc, (const Bytef *)arch_key, h.key_len);
    crc = crc32_z(crc, (const Bytef *)g->params, (z_size_t)(g->n_params * sizeof(float)));
    crc = crc32_z(crc, (const Bytef *)g->buffers, (z_size_t)(g->n_buffers * sizeof(float)));
    if (opt) {
        crc = crc32_z(crc, (const Bytef *)opt->velocity, (z_size_t)(g->n_params * sizeof(float)));
        crc = crc32_z(crc, (const Bytef *)opt->started, (z_size_t)g->n_param_info);
    }
    if (blob_len) crc = crc32_z(crc, (const Bytef *)blob, (z_size_t)blob_len);
    h.crc = (uint32_t)crc;
    unsigned char head[HEADER_BYTES];
    encode_header(&h, head);

    /* The temporary file sits in the target's folder so that rename() is atomic. */
    size_t plen = strlen(path);
    char *tmp = bd_xmalloc(plen + 32);
    snprintf(tmp, plen + 32, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        bd_fail_io(err, errno, "checkpoint %s: cannot create %s", path, tmp);
        free(tmp);
        return -1;
    }
    int bad = write_all(f, head, sizeof head) || write_all(f, arch_key, h.key_len) ||
              write_all(f, g->params, g->n_params * sizeof(float)) ||
              write_all(f, g->buffers, g->n_buffers * sizeof(float));
    if (opt && !bad)
        bad = write_all(f, opt->velocity, g->n_params * sizeof(float)) || write_all(f, opt->started, g->n_param_info);
    if (!bad) bad = write_all(f, blob, blob_len);
    if (!bad) bad = fflush(f) != 0 || fsync(fileno(f)) != 0;
    int saved_errno = errno;
    if (fclose(f) != 0 && !bad) {
        bad = 1;
        saved_errno = errno;
    }
    if (!bad && rename(tmp, path) != 0) {
        bad = 1;
        saved_errno = errno;
    }
    if (bad) {
        bd_fail_io(err, saved_errno, "checkpoint %s: writing failed", path);
        unlink(tmp);
        free(tmp);
        return -1;
    }
    /* Make the rename itself durable. */
    char *dir_copy = bd_xstrdup(path);
    int dfd = open(dirname(dir_copy), O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    free(dir_copy);
    free(tmp);
    return 0;
}

int bd_checkpoint_load(const char *path, const char *arch_key, BdGraph *g, BdSgd *opt, void *blob, size_t blob_cap,
                       size_t *blob_len, BdError *err) {
    FILE *f = fopen(path, "rb");
    if (!f) return bd_fail(err, "checkpoint %s: cannot open: %s", path, strerror(errno));
    unsigned char head[HEADER_BYTES];
    Header h;
    char *key = NULL;
    unsigned char *payload = NULL;
    int rc = -1;
    if (fread(head, 1, sizeof head, f) != sizeof head) {
        bd_fail(err, "checkpoint %s: truncated: shorter than the %d-byte header", path, HEADER_BYTES);
        goto out;
    }
    if (decode_header(head, &h) < 0) {
        bd_fail(err, "checkpoint %s: not a bdsweep checkpoint (wrong magic bytes)", path);
        goto out;
    }
    if (h.version > BD_CHECKPOINT_VERSION || h.version == 0) {
        bd_fail(err, "checkpoint %s: format version %u is newer than this build reads (up to %d); use a newer bdsweep",
                path, h.version, BD_CHECKPOINT_VERSION);
        goto out;
    }
    /* Every size the header gives is checked against the file's before
     * anything of that size is allocated. */
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        bd_fail(err, "checkpoint %s: cannot read: %s", path, strerror(errno));
        goto out;
    }
    const uint64_t after_header = (uint64_t)st.st_size - HEADER_BYTES;
    if (h.key_len > (1u << 20) || h.key_len > after_header) {
        bd_fail(err, "checkpoint %s: corrupt header (architecture key of %u bytes in a file of %lld)", path, h.key_len,
                (long long)st.st_size);
        goto out;
    }
    key = bd_xmalloc(h.key_len + 1);
    if (fread(key, 1, h.key_len, f) != h.key_len) {
        bd_fail(err, "checkpoint %s: truncated inside the architecture key", path);
        goto out;
    }
    key[h.key_len] = 0;
    if (strcmp(key, arch_key)) {
        bd_fail(err, "checkpoint %s: saved for architecture '%s', not '%s'", path, key, arch_key);
        goto out;
    }
    if (h.n_params != g->n_params || h.n_buffers != g->n_buffers || h.n_tensors != (uint32_t)g->n_param_info ||
        (h.n_velocity && h.n_velocity != g->n_params)) {
        bd_fail(err,
                "checkpoint %s: holds %llu parameters in %u tensors and %llu buffer values; the graph has %zu in %d "
                "and %zu",
                path, (unsigned long long)h.n_params, h.n_tensors, (unsigned long long)h.n_buffers, g->n_params,
                g->n_param_info, g->n_buffers);
        goto out;
    }
    if (h.layout != layout_hash(g)) {
        bd_fail(err, "checkpoint %s: the tensor names or shapes differ from this build's graph", path);
        goto out;
    }
    if (opt && !h.n_velocity) {
        bd_fail(err, "checkpoint %s: holds weights only, no optimiser state to resume from", path);
        goto out;
    }
    if (h.blob_len > blob_cap || (h.blob_len && !blob)) {
        bd_fail(err, "checkpoint %s: its %llu-byte trainer state does not fit the %zu bytes expected", path,
                (unsigned long long)h.blob_len, blob_cap);
        goto out;
    }
    const size_t want = payload_bytes(&h);
    if (after_header - h.key_len != want) {
        if (after_header - h.key_len < want)
            bd_fail(err, "checkpoint %s: truncated: %llu of %zu payload bytes present", path,
                    (unsigned long long)(after_header - h.key_len), want);
        else
            bd_fail(err, "checkpoint %s: bytes after the payload: the file is corrupt", path);
        goto out;
    }
    payload = bd_xmalloc(want + 1);
    size_t got = fread(payload, 1, want + 1, f);
    if (got < want) {
        bd_fail(err, "checkpoint %s: truncated: %zu of %zu payload bytes present", path, got, want);
        goto out;
    }
    if (got > want) {
        bd_fail(err, "checkpoint %s: bytes after the payload: the file is corrupt", path);
        goto out;
    }
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32_z(crc, (const Bytef *)key, h.key_len);
    crc = crc32_z(crc, payload, (z_size_t)want);
    if ((uint32_t)crc != h.crc) {
        bd_fail(err, "checkpoint %s: checksum mismatch (stored %08x, computed %08x): the file is corrupt", path, h.crc,
                (uint32_t)crc);
        goto out;
    }
    /* Everything checked: only now touch the caller's state. */
    bd_graph_params_changed(g);
    const unsigned char *p = payload;
    memcpy(g->params, p, g->n_params * sizeof(float));
    p += g->n_params * sizeof(float);
    memcpy(g->buffers, p, g->n_buffers * sizeof(float));
    p += g->n_buffers * sizeof(float);
    if (h.n_velocity) {
        if (opt) {
            memcpy(opt->velocity, p, g->n_params * sizeof(float));
            memcpy(opt->started, p + g->n_params * sizeof(float), (size_t)g->n_param_info);
            opt->steps = (long)h.steps;
        }
        p += g->n_params * sizeof(float) + (size_t)g->n_param_info;
    }
    if (h.blob_len) memcpy(blob, p, h.blob_len);
    if (blob_len) *blob_len = h.blob_len;
    rc = 0;
out:
    fclose(f);
    free(key);
    free(payload);
    return rc;
}
