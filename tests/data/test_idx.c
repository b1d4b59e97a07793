/* MNIST / Fashion-MNIST IDX loader: gzip and raw files written here, their
 * corruptions, and one load of the installed Fashion-MNIST. */
#include <zlib.h>

#include "check.h"
#include "dataset.h"
#include "testfs.h"

enum { SIDE = 28, PIX = SIDE * SIDE };

typedef struct {
    unsigned magic, count, rows, cols;
    int dims;            /* 1 for labels, 3 for images */
    const uint8_t *data; /* body */
    size_t bytes;        /* body bytes actually written (less: truncated) */
} Idx;

static void put_be(unsigned char *p, unsigned v) {
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static void write_idx(const char *dir, const char *name, int gz, Idx f) {
    char path[512];
    unsigned char h[16];
    put_be(h, f.magic);
    put_be(h + 4, f.count);
    put_be(h + 8, f.rows);
    put_be(h + 12, f.cols);
    size_t hb = f.dims == 3 ? 16 : 8;
    snprintf(path, sizeof path, "%s/%s%s", dir, name, gz ? ".gz" : "");
    if (gz) {
        gzFile g = gzopen(path, "wb");
        gzwrite(g, h, (unsigned)hb);
        if (f.bytes) gzwrite(g, f.data, (unsigned)f.bytes);
        gzclose(g);
    } else {
        unsigned char *buf = malloc(hb + f.bytes);
        memcpy(buf, h, hb);
        memcpy(buf + hb, f.data, f.bytes);
        tfs_write(path, buf, hb + f.bytes);
        free(buf);
    }
}

static void remove_both(const char *dir, const char *name) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    remove(path);
    snprintf(path, sizeof path, "%s/%s.gz", dir, name);
    remove(path);
}

/* A valid set: n_train / n_test images where pixel k of image i is (i*7 + k) & 255
 * and label i % 10. Train as gzip, test raw (both forms must load). */
static uint8_t pixels[8 * PIX], labels[8];
static void write_valid(const char *dir, int n_train, int n_test) {
    for (int i = 0; i < 8; i++) {
        labels[i] = (uint8_t)(i % 10);
        for (int k = 0; k < PIX; k++) pixels[i * PIX + k] = (uint8_t)((i * 7 + k) & 255);
    }
    remove_both(dir, "train-images-idx3-ubyte");
    remove_both(dir, "train-labels-idx1-ubyte");
    remove_both(dir, "t10k-images-idx3-ubyte");
    remove_both(dir, "t10k-labels-idx1-ubyte");
    write_idx(dir, "train-images-idx3-ubyte", 1, (Idx){2051, (unsigned)n_train, SIDE, SIDE, 3, pixels, (size_t)n_train * PIX});
    write_idx(dir, "train-labels-idx1-ubyte", 1, (Idx){2049, (unsigned)n_train, 0, 0, 1, labels, (size_t)n_train});
    write_idx(dir, "t10k-images-idx3-ubyte", 0, (Idx){2051, (unsigned)n_test, SIDE, SIDE, 3, pixels, (size_t)n_test * PIX});
    write_idx(dir, "t10k-labels-idx1-ubyte", 0, (Idx){2049, (unsigned)n_test, 0, 0, 1, labels, (size_t)n_test});
}

static int load(const char *dir, const char *normalize, BdDataset *d, BdError *err) {
    BdSpec s;
    if (tfs_spec(&s, bd_dataset_presets, "mnist", err, "path", dir, "normalize", normalize, NULL) < 0) return -1;
    return bd_dataset_load(&s, d, err);
}

static void test_valid(const char *dir) {
    BdDataset d;
    BdError err = {0};
    write_valid(dir, 6, 4);
    CHECK_MSG(load(dir, "none", &d, &err) == 0, "%s", err.msg);
    CHECK(d.shape.c == 1 && d.shape.h == 28 && d.shape.w == 28 && d.shape.classes == 10);
    CHECK(d.train.n == 6 && d.test.n == 4);
    CHECK(memcmp(d.train.x, pixels, 6 * PIX) == 0);
    CHECK(memcmp(d.test.x, pixels, 4 * PIX) == 0);
    CHECK(d.train.y[5] == 5 && d.test.y[3] == 3);
    CHECK(d.mean[0] == 0.0f && d.std[0] == 1.0f);
    BdSpec spec;
    CHECK(tfs_spec(&spec, bd_dataset_presets, "mnist", &err, "path", dir, NULL) == 0);
    CHECK(tfs_same_train_labels(&spec, &d));
    CHECK_CONTAINS(d.description, "6 train, 4 test");

    /* bd_split_limit keeps a prefix; n <= 0 or >= size changes nothing. */
    bd_split_limit(&d.train, 0);
    CHECK(d.train.n == 6);
    bd_split_limit(&d.train, 10);
    CHECK(d.train.n == 6);
    bd_split_limit(&d.train, 2);
    CHECK(d.train.n == 2 && d.train.y[1] == 1);
    bd_dataset_free(&d);

    /* per-channel: the mean and std of x/255 over the training split. */
    CHECK_MSG(load(dir, "per-channel", &d, &err) == 0, "%s", err.msg);
    double s = 0, s2 = 0;
    for (int k = 0; k < 6 * PIX; k++) {
        double v = pixels[k] / 255.0;
        s += v;
        s2 += v * v;
    }
    double m = s / (6 * PIX);
    CHECK_NEAR(d.mean[0], m, 1e-6);
    CHECK_NEAR(d.std[0], sqrt(s2 / (6 * PIX) - m * m), 1e-6);
    bd_dataset_free(&d);
}

static void expect_error(const char *dir, const char *what, const char *frag1, const char *frag2) {
    BdDataset d;
    BdError err = {0};
    int rc = load(dir, "none", &d, &err);
    CHECK_MSG(rc < 0, "%s: loaded although it should not", what);
    if (rc == 0) bd_dataset_free(&d);
    if (getenv("VERBOSE")) printf("%s\n", err.msg);
    CHECK_CONTAINS(err.msg, frag1);
    CHECK_CONTAINS(err.msg, frag2);
}

static void test_errors(const char *dir) {
    char path[512], frag[600];

    /* Missing file. */
    write_valid(dir, 6, 4);
    remove_both(dir, "t10k-labels-idx1-ubyte");
    snprintf(frag, sizeof frag, "%s/t10k-labels-idx1-ubyte", dir);
    expect_error(dir, "missing", frag, "expected the IDX file t10k-labels-idx1-ubyte");

    /* Wrong magic: a labels file where the images should be. */
    write_valid(dir, 6, 4);
    write_idx(dir, "train-images-idx3-ubyte", 1, (Idx){2049, 6, SIDE, SIDE, 3, pixels, 6 * PIX});
    snprintf(path, sizeof path, "%s/train-images-idx3-ubyte.gz", dir);
    expect_error(dir, "magic", path, "magic number 2049 at byte 0: expected 2051");

    /* Wrong image size. */
    write_valid(dir, 6, 4);
    write_idx(dir, "t10k-images-idx3-ubyte", 0, (Idx){2051, 1, 32, 32, 3, pixels, 32 * 32});
    expect_error(dir, "dims", "images of 32x32 at byte 8", "expected 28x28");

    /* Truncated images (gzip and raw). */
    write_valid(dir, 6, 4);
    write_idx(dir, "train-images-idx3-ubyte", 1, (Idx){2051, 6, SIDE, SIDE, 3, pixels, 5 * PIX + 100});
    snprintf(frag, sizeof frag, "truncated at byte %d: expected 6 images of 28x28", 16 + 5 * PIX + 100);
    expect_error(dir, "truncated gz", "train-images-idx3-ubyte.gz", frag);
    write_valid(dir, 6, 4);
    write_idx(dir, "t10k-images-idx3-ubyte", 0, (Idx){2051, 4, SIDE, SIDE, 3, pixels, 3 * PIX});
    snprintf(frag, sizeof frag, "truncated at byte %d", 16 + 3 * PIX);
    expect_error(dir, "truncated raw", "t10k-images-idx3-ubyte:", frag);

    /* Truncated header. */
    write_valid(dir, 6, 4);
    snprintf(path, sizeof path, "%s/t10k-labels-idx1-ubyte", dir);
    tfs_write(path, "\0\0\x08", 3);
    expect_error(dir, "short header", "truncated at byte 3", "IDX header");

    /* Counts that disagree. */
    write_valid(dir, 6, 4);
    write_idx(dir, "train-labels-idx1-ubyte", 1, (Idx){2049, 5, 0, 0, 1, labels, 5});
    expect_error(dir, "count", "has 5 labels", "has 6 images: expected the same count");

    /* A label out of range, at its byte offset. */
    write_valid(dir, 6, 4);
    uint8_t bad[4] = {1, 2, 10, 3};
    write_idx(dir, "t10k-labels-idx1-ubyte", 0, (Idx){2049, 4, 0, 0, 1, bad, 4});
    expect_error(dir, "label", "t10k-labels-idx1-ubyte: label 10 at byte 10", "expected 0..9");

    /* Data past the end the header announces. */
    write_valid(dir, 6, 4);
    write_idx(dir, "t10k-labels-idx1-ubyte", 0, (Idx){2049, 4, 0, 0, 1, labels, 5});
    expect_error(dir, "trailing", "has data past byte 12", "expected exactly 4 labels");

    /* Headers that claim far more than their files hold (10^8 labels and
     * images, 78 GB of pixels), gzip and raw: an error naming the file, what
     * the header claims and what is there, with the process's memory
     * limited to 64 MiB more than it holds, so that allocating what the
     * header claims would end the test instead. */
    tfs_limit_data((size_t)64 << 20);
    write_valid(dir, 6, 4);
    write_idx(dir, "train-labels-idx1-ubyte", 1, (Idx){2049, 100000000, 0, 0, 1, labels, 6});
    write_idx(dir, "train-images-idx3-ubyte", 1, (Idx){2051, 100000000, SIDE, SIDE, 3, pixels, 6 * PIX});
    expect_error(dir, "oversized gz", "train-labels-idx1-ubyte.gz: truncated at byte 14: expected 100000000 labels",
                 "as its header claims; the file holds 6");
    write_valid(dir, 6, 4);
    write_idx(dir, "t10k-labels-idx1-ubyte", 0, (Idx){2049, 4, 0, 0, 1, labels, 4});
    write_idx(dir, "t10k-images-idx3-ubyte", 0, (Idx){2051, 100000000, SIDE, SIDE, 3, pixels, 4 * PIX});
    write_idx(dir, "t10k-labels-idx1-ubyte", 0, (Idx){2049, 100000000, 0, 0, 1, labels, 4});
    expect_error(dir, "oversized raw", "t10k-labels-idx1-ubyte: truncated at byte 12: expected 100000000 labels",
                 "the file holds 4");
    /* ... and the split sizes `plan` reads do not believe it either. */
    BdSpec spec;
    BdError err = {0};
    int n_train = 0, n_test = 0;
    CHECK(tfs_spec(&spec, bd_dataset_presets, "mnist", &err, "path", dir, NULL) == 0);
    CHECK(bd_dataset_sizes(&spec, &n_train, &n_test, &err) < 0);
    CHECK_CONTAINS(err.msg, "t10k-labels-idx1-ubyte: truncated at byte 12: expected 100000000 labels");
    tfs_unlimit_data();

    /* A corrupt gzip stream. */
    write_valid(dir, 6, 4);
    snprintf(path, sizeof path, "%s/train-labels-idx1-ubyte.gz", dir);
    tfs_write(path, "\x1f\x8b\x08\x00garbage-garbage-garbage", 27);
    expect_error(dir, "corrupt gzip", "train-labels-idx1-ubyte.gz", "expected the IDX header");
}

/* The installed Fashion-MNIST, when the package is there. */
static void test_fashion_mnist(void) {
    const char *dir = "/usr/share/datasets/fashion-mnist";
    struct stat st;
    if (stat(dir, &st) != 0) {
        printf("fashion-mnist not installed at %s: skipped\n", dir);
        return;
    }
    BdSpec s;
    BdDataset d;
    BdError err = {0};
    CHECK(tfs_spec(&s, bd_dataset_presets, "fashion-mnist", &err, NULL) == 0);
    BdDataShape shape;
    CHECK(bd_dataset_shape(&s, &shape, &err) == 0 && shape.c == 1 && shape.h == 28 && shape.classes == 10);
    CHECK_MSG(bd_dataset_load(&s, &d, &err) == 0, "%s", err.msg);
    CHECK(d.train.n == 60000 && d.test.n == 10000);
    CHECK(d.shape.c == 1 && d.shape.h == 28 && d.shape.w == 28 && d.shape.classes == 10);
    int count[10] = {0};
    for (int i = 0; i < d.train.n; i++) {
        CHECK(d.train.y[i] >= 0 && d.train.y[i] <= 9);
        count[d.train.y[i]]++;
    }
    for (int k = 0; k < 10; k++) CHECK(count[k] == 6000); /* Fashion-MNIST is balanced */
    CHECK(tfs_same_train_labels(&s, &d));
    /* Known statistics of Fashion-MNIST's training images (mean 0.2860, std 0.3530). */
    CHECK_NEAR(d.mean[0], 0.2860, 1e-3);
    CHECK_NEAR(d.std[0], 0.3530, 1e-3);
    bd_dataset_free(&d);
}

int main(void) {
    char dir[256];
    tfs_mkdtemp(dir, "idx");
    test_valid(dir);
    test_errors(dir);
    tfs_rm_rf(dir);
    test_fashion_mnist();
    return check_result("data_idx");
}
