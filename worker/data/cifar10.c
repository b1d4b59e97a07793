/* CIFAR-10, binary version: data_batch_1.bin .. data_batch_5.bin (train) and
 * test_batch.bin, each a run of records of 1 label byte + 3072 pixel bytes
 * (1024 R, 1024 G, 1024 B, each plane row-major 32x32). That is already our
 * planar [c][h][w] layout, so a record's pixels are copied as they are.
 * The official files hold 10000 records each; any whole number of records is
 * accepted so that a subset (or a test's small file) loads too. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "loader.h"
#include "text.h"

enum { CIFAR_SIDE = 32, CIFAR_CLASSES = 10, CIFAR_PIXELS = 3 * 32 * 32, CIFAR_RECORD = 1 + CIFAR_PIXELS };

static const char *const train_files[] = {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
                                          "data_batch_4.bin", "data_batch_5.bin"};
static const char *const test_files[] = {"test_batch.bin"};

/* The folder that holds the batches: `path` itself, or the
 * cifar-10-batches-bin folder the official archive unpacks to. */
static void batch_dir(const char *path, char *dir, size_t cap) {
    struct stat st;
    char probe[4096];
    snprintf(probe, sizeof probe, "%s/data_batch_1.bin", path);
    if (stat(probe, &st) != 0) {
        snprintf(probe, sizeof probe, "%s/cifar-10-batches-bin/data_batch_1.bin", path);
        if (stat(probe, &st) == 0) {
            snprintf(dir, cap, "%s/cifar-10-batches-bin", path);
            return;
        }
    }
    snprintf(dir, cap, "%s", path);
}

/* Number of records in one batch file, from its size. */
static int count_records(const char *dir, const char *name, int *n, BdError *err) {
    char file[4096];
    struct stat st;
    if (bd_path_join(file, sizeof file, dir, name, err) < 0) return bd_error_prefix(err, "cifar10: ");
    if (stat(file, &st) != 0)
        return bd_fail(err,
                       "cifar10: cannot open %s: %s: expected the CIFAR-10 binary batches data_batch_1.bin .. "
                       "data_batch_5.bin and test_batch.bin in %s",
                       file, strerror(errno), dir);
    long long size = (long long)st.st_size;
    if (size == 0) return bd_fail(err, "cifar10: %s: empty file: expected records of %d bytes", file, CIFAR_RECORD);
    if (size % CIFAR_RECORD)
        return bd_fail(err,
                       "cifar10: %s: truncated at byte %lld: expected records of %d bytes (1 label + %d pixels); "
                       "the last record, at byte %lld, has %lld of them",
                       file, size, CIFAR_RECORD, CIFAR_PIXELS, size - size % CIFAR_RECORD, size % CIFAR_RECORD);
    if (size / CIFAR_RECORD > INT32_MAX)
        return bd_fail(err, "cifar10: %s: %lld records: expected at most %d", file, size / CIFAR_RECORD, INT32_MAX);
    *n = (int)(size / CIFAR_RECORD);
    return 0;
}

/* Appends the n records of one file to split at index *at. */
static int read_batch(const char *dir, const char *name, int n, BdSplit *split, int *at, BdError *err) {
    char file[4096];
    unsigned char rec[CIFAR_RECORD];
    snprintf(file, sizeof file, "%s/%s", dir, name);
    FILE *f = fopen(file, "rb");
    if (!f) return bd_fail(err, "cifar10: cannot open %s: %s: expected a CIFAR-10 binary batch", file, strerror(errno));
    for (int r = 0; r < n; r++) {
        long long off = (long long)r * CIFAR_RECORD;
        size_t got = fread(rec, 1, CIFAR_RECORD, f);
        if (got != CIFAR_RECORD) {
            fclose(f);
            /* The size was checked: the file shrank while we read it. */
            return bd_fail(err, "cifar10: %s: truncated at byte %lld: expected records of %d bytes", file,
                           off + (long long)got, CIFAR_RECORD);
        }
        if (rec[0] >= CIFAR_CLASSES) {
            fclose(f);
            return bd_fail(err, "cifar10: %s: label %d at byte %lld (record %d): expected 0..%d", file, rec[0], off, r,
                           CIFAR_CLASSES - 1);
        }
        int i = (*at)++;
        split->y[i] = rec[0];
        memcpy(split->x + (size_t)i * CIFAR_PIXELS, rec + 1, CIFAR_PIXELS);
    }
    fclose(f);
    return 0;
}

static int read_split(const char *dir, const char *const *names, int count, BdSplit *split, BdError *err) {
    int n[8], total = 0;
    for (int i = 0; i < count; i++) {
        if (count_records(dir, names[i], &n[i], err) < 0) return -1;
        if (total > INT32_MAX - n[i]) return bd_fail(err, "cifar10: %s: more than %d records in all", dir, INT32_MAX);
        total += n[i];
    }
    bd_split_alloc(split, total, (BdDataShape){3, CIFAR_SIDE, CIFAR_SIDE, CIFAR_CLASSES});
    int at = 0;
    for (int i = 0; i < count; i++)
        if (read_batch(dir, names[i], n[i], split, &at, err) < 0) return -1;
    return 0;
}

static int cifar_shape(const BdSpec *spec, BdDataShape *shape, BdError *err) {
    (void)spec;
    (void)err;
    *shape = (BdDataShape){3, CIFAR_SIDE, CIFAR_SIDE, CIFAR_CLASSES};
    return 0;
}

static int cifar_load(const BdSpec *spec, BdDataset *out, BdError *err) {
    char dir[4096];
    batch_dir(bd_spec_str(spec, "path"), dir, sizeof dir);
    out->shape = (BdDataShape){3, CIFAR_SIDE, CIFAR_SIDE, CIFAR_CLASSES};
    if (read_split(dir, train_files, 5, &out->train, err) < 0) return -1;
    if (read_split(dir, test_files, 1, &out->test, err) < 0) return -1;
    bd_text_format(out->description, sizeof out->description, "cifar10 from %s (%d train, %d test)", dir,
                   out->train.n, out->test.n);
    return 0;
}

static int cifar_sizes(const BdSpec *spec, int *n_train, int *n_test, BdError *err) {
    char dir[4096];
    batch_dir(bd_spec_str(spec, "path"), dir, sizeof dir);
    *n_train = *n_test = 0;
    for (int i = 0; i < 5; i++) {
        int n = 0;
        if (count_records(dir, train_files[i], &n, err) < 0) return -1;
        *n_train += n;
    }
    return count_records(dir, test_files[0], n_test, err);
}

/* The official binary version: 5 batches of 10000, 5000 training images per class. */
static int cifar_nominal(const BdSpec *spec, BdDataNominal *out, BdError *err) {
    (void)spec;
    (void)err;
    *out = (BdDataNominal){.shape = {3, 32, 32, 10}, .n_train = 50000, .n_test = 10000,
                           .source = "CIFAR-10's published sizes"};
    for (int k = 0; k < 10; k++) out->train_per_class[k] = 5000;
    return 0;
}

const BdDatasetLoader bd_cifar10_loader = {cifar_shape, cifar_load, cifar_sizes, cifar_nominal};
