/* MNIST and Fashion-MNIST: IDX files (LeCun's format), gzip or raw.
 *
 *   images: u32 magic 2051, u32 count, u32 rows, u32 cols, count*rows*cols bytes
 *   labels: u32 magic 2049, u32 count, count bytes
 * All integers big-endian. zlib's gzread reads a file that is not gzip as it
 * is, so one reader serves both; a folder may hold either form of each file.
 * The counts in a header are not trusted with memory: the labels and pixels
 * are read into buffers that grow as the bytes arrive, so a header that
 * claims more than its file holds is an error naming both numbers, never an
 * allocation of what it claims (a gzip file's size says nothing of what it
 * decompresses to). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "loader.h"
#include "text.h"

enum { IDX_IMAGES_MAGIC = 2051, IDX_LABELS_MAGIC = 2049, IDX_SIDE = 28, IDX_CLASSES = 10 };

typedef struct IdxFile {
    const char *dataset; /* "fashion-mnist", for messages */
    char path[4096];
    gzFile f;
    long long off; /* uncompressed bytes read so far */
} IdxFile;

static int idx_open(IdxFile *r, const char *dataset, const char *dir, const char *name, BdError *err) {
    struct stat st;
    r->dataset = dataset;
    r->off = 0;
    char gz[64];
    snprintf(gz, sizeof gz, "%s.gz", name); /* the file names are the IDX standard ones */
    if (bd_path_join(r->path, sizeof r->path, dir, name, err) < 0) return bd_error_prefix(err, "%s: ", dataset);
    if (stat(r->path, &st) != 0 && bd_path_join(r->path, sizeof r->path, dir, gz, err) < 0)
        return bd_error_prefix(err, "%s: ", dataset);
    r->f = gzopen(r->path, "rb");
    if (!r->f)
        return bd_fail(err, "%s: cannot open %s/%s or %s/%s.gz: %s: expected the IDX file %s (gzip or raw)", dataset,
                       dir, name, dir, name, strerror(errno ? errno : ENOENT), name);
    gzbuffer(r->f, 1 << 18);
    return 0;
}

static void idx_close(IdxFile *r) {
    if (r->f) gzclose(r->f);
    r->f = NULL;
}

/* Reads exactly n bytes; what names the data for a truncation message. */
static int idx_read(IdxFile *r, void *buf, size_t n, const char *what, BdError *err) {
    unsigned char *p = buf;
    size_t done = 0;
    while (done < n) {
        size_t want = n - done > (1u << 30) ? (1u << 30) : n - done;
        int got = gzread(r->f, p + done, (unsigned)want);
        if (got < 0) {
            int code;
            const char *msg = gzerror(r->f, &code);
            return bd_fail(err, "%s: %s: cannot read at byte %lld: %s: expected %s", r->dataset, r->path,
                           r->off + (long long)done, msg, what);
        }
        if (got == 0)
            return bd_fail(err, "%s: %s: truncated at byte %lld: expected %s", r->dataset, r->path,
                           r->off + (long long)done, what);
        done += (size_t)got;
    }
    r->off += (long long)n;
    return 0;
}

static int idx_u32(IdxFile *r, uint32_t *v, const char *what, BdError *err) {
    unsigned char b[4];
    if (idx_read(r, b, 4, what, err) < 0) return -1;
    *v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    return 0;
}

static int idx_magic(IdxFile *r, uint32_t want, const char *kind, BdError *err) {
    uint32_t magic;
    char what[128];
    snprintf(what, sizeof what, "the IDX header of %s", kind);
    if (idx_u32(r, &magic, what, err) < 0) return -1;
    if (magic != want)
        return bd_fail(err, "%s: %s: magic number %u at byte 0: expected %u (IDX %s, big-endian)", r->dataset, r->path,
                       magic, want, kind);
    return 0;
}

/* Reads `count` records of `size` bytes into a new buffer (*out) that grows
 * with what is read, up to twice what the file holds. what names the
 * records for messages ("labels of 1 byte"), header_bytes where they start. */
static int idx_read_records(IdxFile *r, uint32_t count, size_t size, const char *what, long long header_bytes,
                            uint8_t **out, BdError *err) {
    const size_t want = (size_t)count * size;
    size_t cap = want < (1u << 20) ? want : (1u << 20), done = 0;
    uint8_t *buf = bd_xmalloc(cap ? cap : 1);
    while (done < want) {
        if (done == cap) {
            cap = want - cap < cap ? want : 2 * cap;
            buf = bd_xrealloc(buf, cap);
        }
        size_t chunk = cap - done > (1u << 30) ? (1u << 30) : cap - done;
        int got = gzread(r->f, buf + done, (unsigned)chunk);
        if (got <= 0) {
            int code = 0;
            const char *msg = got < 0 ? gzerror(r->f, &code) : "";
            bd_fail(err,
                    "%s: %s: %s at byte %lld%s%s: expected %u %s after the %lld-byte header (%zu bytes), as its "
                    "header claims; the file holds %zu",
                    r->dataset, r->path, got < 0 ? "cannot read" : "truncated", header_bytes + (long long)done,
                    got < 0 ? ": " : "", msg, count, what, header_bytes, want, done);
            free(buf);
            return -1;
        }
        done += (size_t)got;
    }
    r->off += (long long)want;
    *out = buf;
    return 0;
}

/* A file must end where its header says. */
static int idx_expect_end(IdxFile *r, const char *what, BdError *err) {
    unsigned char extra;
    if (gzread(r->f, &extra, 1) > 0)
        return bd_fail(err, "%s: %s: has data past byte %lld: expected exactly %s", r->dataset, r->path, r->off, what);
    return 0;
}

/* Opens the label file of a split (prefix "train" or "t10k") and reads its header. */
static int idx_open_labels(IdxFile *lb, const char *dataset, const char *dir, const char *prefix, uint32_t *n,
                           BdError *err) {
    char name[64];
    snprintf(name, sizeof name, "%s-labels-idx1-ubyte", prefix);
    if (idx_open(lb, dataset, dir, name, err) < 0) return -1;
    if (idx_magic(lb, IDX_LABELS_MAGIC, "labels of unsigned bytes, 1 dimension", err) < 0) return -1;
    return idx_u32(lb, n, "the label count at byte 4", err);
}

/* The n labels after the header, each a class; *labels malloc'd. */
static int idx_read_labels(IdxFile *lb, uint32_t n, uint8_t **labels, BdError *err) {
    char what[160];
    snprintf(what, sizeof what, "%u labels of 1 byte after the 8-byte header", n);
    if (idx_read_records(lb, n, 1, "labels", 8, labels, err) < 0 || idx_expect_end(lb, what, err) < 0) return -1;
    for (uint32_t i = 0; i < n; i++)
        if ((*labels)[i] >= IDX_CLASSES)
            return bd_fail(err, "%s: %s: label %u at byte %u: expected 0..%d", lb->dataset, lb->path, (*labels)[i],
                           8 + i, IDX_CLASSES - 1);
    return 0;
}

/* Reads one split: prefix "train" or "t10k". */
static int idx_split(const char *dataset, const char *dir, const char *prefix, BdSplit *out, BdError *err) {
    char name[64], what[160], kind[64];
    IdxFile im = {0}, lb = {0};
    uint32_t n_images, rows, cols, n_labels;
    uint8_t *labels = NULL;

    snprintf(name, sizeof name, "%s-images-idx3-ubyte", prefix);
    if (idx_open(&im, dataset, dir, name, err) < 0) goto fail;
    if (idx_magic(&im, IDX_IMAGES_MAGIC, "images of unsigned bytes, 3 dimensions", err) < 0) goto fail;
    if (idx_u32(&im, &n_images, "the image count at byte 4", err) < 0) goto fail;
    if (idx_u32(&im, &rows, "the row count at byte 8", err) < 0) goto fail;
    if (idx_u32(&im, &cols, "the column count at byte 12", err) < 0) goto fail;
    if (rows != IDX_SIDE || cols != IDX_SIDE) {
        bd_fail(err, "%s: %s: images of %ux%u at byte 8: expected %dx%d", dataset, im.path, rows, cols, IDX_SIDE,
                IDX_SIDE);
        goto fail;
    }
    if (n_images == 0 || n_images > (uint32_t)INT32_MAX) {
        bd_fail(err, "%s: %s: image count %u at byte 4: expected 1..%d", dataset, im.path, n_images, INT32_MAX);
        goto fail;
    }

    if (idx_open_labels(&lb, dataset, dir, prefix, &n_labels, err) < 0) goto fail;
    if (n_labels != n_images) {
        bd_fail(err, "%s: %s has %u labels but %s has %u images: expected the same count", dataset, lb.path, n_labels,
                im.path, n_images);
        goto fail;
    }

    /* Read the labels first: a count that lies is caught before the large
     * allocation for the pixels. */
    if (idx_read_labels(&lb, n_labels, &labels, err) < 0) goto fail;

    snprintf(what, sizeof what, "%u images of %dx%d bytes after the 16-byte header", n_images, IDX_SIDE, IDX_SIDE);
    snprintf(kind, sizeof kind, "images of %dx%d", IDX_SIDE, IDX_SIDE);
    if (idx_read_records(&im, n_images, (size_t)IDX_SIDE * IDX_SIDE, kind, 16, &out->x, err) < 0) goto fail;
    if (idx_expect_end(&im, what, err) < 0) goto fail;
    out->n = (int)n_images;
    out->y = bd_xmalloc((size_t)n_labels * sizeof *out->y);
    for (uint32_t i = 0; i < n_labels; i++) out->y[i] = labels[i];

    free(labels);
    idx_close(&im);
    idx_close(&lb);
    return 0;
fail:
    free(labels);
    idx_close(&im);
    idx_close(&lb);
    return -1;
}

static int idx_shape(const BdSpec *spec, BdDataShape *shape, BdError *err) {
    (void)spec;
    (void)err;
    *shape = (BdDataShape){1, IDX_SIDE, IDX_SIDE, IDX_CLASSES};
    return 0;
}

static int idx_load(const BdSpec *spec, BdDataset *out, BdError *err) {
    const char *dir = bd_spec_str(spec, "path");
    out->shape = (BdDataShape){1, IDX_SIDE, IDX_SIDE, IDX_CLASSES};
    if (idx_split(spec->name, dir, "train", &out->train, err) < 0) return -1;
    if (idx_split(spec->name, dir, "t10k", &out->test, err) < 0) return -1;
    snprintf(out->description, sizeof out->description, "%s from %s (%d train, %d test)", spec->name, dir,
             out->train.n, out->test.n);
    return 0;
}

/* The labels of a split's label file, all of them: the count its header
 * claims is believed only once the labels are there (a few tens of kB). */
static int idx_labels(const char *dataset, const char *dir, const char *prefix, uint8_t **labels, int *n,
                      BdError *err) {
    IdxFile lb = {0};
    uint32_t count;
    *labels = NULL;
    int rc = idx_open_labels(&lb, dataset, dir, prefix, &count, err);
    if (rc == 0 && count > (uint32_t)INT32_MAX)
        rc = bd_fail(err, "%s: %s: label count %u at byte 4: expected at most %d", dataset, lb.path, count, INT32_MAX);
    if (rc == 0) rc = idx_read_labels(&lb, count, labels, err);
    if (rc == 0) *n = (int)count;
    idx_close(&lb);
    return rc;
}

static int idx_sizes(const BdSpec *spec, int *n_train, int *n_test, BdError *err) {
    const char *dir = bd_spec_str(spec, "path");
    uint8_t *labels = NULL;
    uint8_t *test = NULL;
    int rc = idx_labels(spec->name, dir, "train", &labels, n_train, err);
    if (rc == 0) rc = idx_labels(spec->name, dir, "t10k", &test, n_test, err);
    free(labels);
    free(test);
    return rc;
}

/* The official files: Fashion-MNIST has 6000 training images per class,
 * MNIST between 5421 and 6742 (LeCun et al.'s train-labels file). */
static int idx_nominal(const BdSpec *spec, BdDataNominal *out, BdError *err) {
    (void)err;
    static const int mnist[10] = {5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949};
    int fashion = !strcmp(spec->name, "fashion-mnist");
    *out = (BdDataNominal){.shape = {1, 28, 28, 10}, .n_train = 60000, .n_test = 10000,
                           .source = fashion ? "Fashion-MNIST's published sizes" : "MNIST's published sizes"};
    for (int k = 0; k < 10; k++) out->train_per_class[k] = fashion ? 6000 : mnist[k];
    return 0;
}

/* The training label file alone (60000 bytes for the standard files). */
static int idx_train_labels(const BdSpec *spec, int **labels, int *n, BdError *err) {
    uint8_t *bytes = NULL;
    int rc = idx_labels(spec->name, bd_spec_str(spec, "path"), "train", &bytes, n, err);
    if (rc == 0) {
        *labels = bd_xmalloc((size_t)(*n ? *n : 1) * sizeof **labels);
        for (int i = 0; i < *n; i++) (*labels)[i] = bytes[i];
    }
    free(bytes);
    return rc;
}

const BdDatasetLoader bd_idx_loader = {idx_shape, idx_load, idx_sizes, idx_nominal, idx_train_labels};
