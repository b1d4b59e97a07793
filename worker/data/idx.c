/* MNIST and Fashion-MNIST: IDX files (LeCun's format), gzip or raw.
 *
 *   images: u32 magic 2051, u32 count, u32 rows, u32 cols, count*rows*cols bytes
 *   labels: u32 magic 2049, u32 count, count bytes
 * All integers big-endian. zlib's gzread reads a file that is not gzip as it
 * is, so one reader serves both; a folder may hold either form of each file. */
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

/* A file must end where its header says. */
static int idx_expect_end(IdxFile *r, const char *what, BdError *err) {
    unsigned char extra;
    if (gzread(r->f, &extra, 1) > 0)
        return bd_fail(err, "%s: %s: has data past byte %lld: expected exactly %s", r->dataset, r->path, r->off, what);
    return 0;
}

/* Reads one split: prefix "train" or "t10k". */
static int idx_split(const char *dataset, const char *dir, const char *prefix, BdSplit *out, BdError *err) {
    char name[64], what[160];
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

    snprintf(name, sizeof name, "%s-labels-idx1-ubyte", prefix);
    if (idx_open(&lb, dataset, dir, name, err) < 0) goto fail;
    if (idx_magic(&lb, IDX_LABELS_MAGIC, "labels of unsigned bytes, 1 dimension", err) < 0) goto fail;
    if (idx_u32(&lb, &n_labels, "the label count at byte 4", err) < 0) goto fail;
    if (n_labels != n_images) {
        bd_fail(err, "%s: %s has %u labels but %s has %u images: expected the same count", dataset, lb.path, n_labels,
                im.path, n_images);
        goto fail;
    }

    /* Read the labels first: a count that lies is caught before the large
     * allocation for the pixels. */
    labels = bd_xmalloc(n_labels);
    snprintf(what, sizeof what, "%u labels of 1 byte after the 8-byte header", n_labels);
    if (idx_read(&lb, labels, n_labels, what, err) < 0) goto fail;
    if (idx_expect_end(&lb, what, err) < 0) goto fail;
    for (uint32_t i = 0; i < n_labels; i++)
        if (labels[i] >= IDX_CLASSES) {
            bd_fail(err, "%s: %s: label %u at byte %u: expected 0..%d", dataset, lb.path, labels[i], 8 + i,
                    IDX_CLASSES - 1);
            goto fail;
        }

    bd_split_alloc(out, (int)n_images, (BdDataShape){1, IDX_SIDE, IDX_SIDE, IDX_CLASSES});
    snprintf(what, sizeof what, "%u images of %dx%d bytes after the 16-byte header", n_images, IDX_SIDE, IDX_SIDE);
    if (idx_read(&im, out->x, (size_t)n_images * IDX_SIDE * IDX_SIDE, what, err) < 0) goto fail;
    if (idx_expect_end(&im, what, err) < 0) goto fail;
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

/* The count in a label file's header (magic, then the count). */
static int idx_count(const char *dataset, const char *dir, const char *name, int *n, BdError *err) {
    IdxFile r;
    uint32_t count;
    if (idx_open(&r, dataset, dir, name, err) < 0) return -1;
    int rc = idx_magic(&r, IDX_LABELS_MAGIC, "labels", err);
    if (rc == 0) rc = idx_u32(&r, &count, "the label count", err);
    idx_close(&r);
    if (rc == 0) *n = (int)count;
    return rc;
}

static int idx_sizes(const BdSpec *spec, int *n_train, int *n_test, BdError *err) {
    const char *dir = bd_spec_str(spec, "path");
    if (idx_count(spec->name, dir, "train-labels-idx1-ubyte", n_train, err) < 0) return -1;
    return idx_count(spec->name, dir, "t10k-labels-idx1-ubyte", n_test, err);
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

const BdDatasetLoader bd_idx_loader = {idx_shape, idx_load, idx_sizes, idx_nominal};
