/* CIFAR-10 binary loader on small batch files written here, and their
 * corruptions: truncated record, bad label, missing file, empty file. */
#include "check.h"
#include "dataset.h"
#include "testfs.h"

enum { REC = 3073, PIX = 3072 };

/* Record r of file f: label (f + r) % 10, pixel k = (f * 31 + r * 7 + k) & 255. */
static void fill_record(unsigned char *rec, int f, int r) {
    rec[0] = (unsigned char)((f + r) % 10);
    for (int k = 0; k < PIX; k++) rec[1 + k] = (unsigned char)((f * 31 + r * 7 + k) & 255);
}

static const char *names[6] = {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
                               "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"};

/* Each file f holds f + 2 records. */
static void write_batches(const char *dir) {
    for (int f = 0; f < 6; f++) {
        int n = f + 2;
        unsigned char *buf = malloc((size_t)n * REC);
        for (int r = 0; r < n; r++) fill_record(buf + (size_t)r * REC, f, r);
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, names[f]);
        tfs_write(path, buf, (size_t)n * REC);
        free(buf);
    }
}

static int load(const char *dir, BdDataset *d, BdError *err) {
    BdSpec s;
    if (tfs_spec(&s, bd_dataset_presets, "cifar10", err, "path", dir, NULL) < 0) return -1;
    return bd_dataset_load(&s, d, err);
}

static void test_valid(const char *dir) {
    BdDataset d;
    BdError err = {0};
    write_batches(dir);
    CHECK_MSG(load(dir, &d, &err) == 0, "%s", err.msg);
    CHECK(d.shape.c == 3 && d.shape.h == 32 && d.shape.w == 32 && d.shape.classes == 10);
    CHECK(d.train.n == 2 + 3 + 4 + 5 + 6 && d.test.n == 7);
    /* Records in file order: train sample 3 is file 1 (data_batch_2), record 1. */
    unsigned char rec[REC];
    fill_record(rec, 1, 1);
    CHECK(d.train.y[3] == rec[0]);
    CHECK(memcmp(d.train.x + 3 * PIX, rec + 1, PIX) == 0);
    fill_record(rec, 5, 6);
    CHECK(d.test.y[6] == rec[0]);
    CHECK(memcmp(d.test.x + 6 * PIX, rec + 1, PIX) == 0);
    /* Planar layout: channel 1 (G) of a sample starts 1024 bytes in, as in the file. */
    CHECK(d.test.x[6 * PIX + 1024] == rec[1 + 1024]);
    BdSpec s;
    CHECK(tfs_spec(&s, bd_dataset_presets, "cifar10", &err, "path", dir, NULL) == 0);
    CHECK(tfs_same_train_labels(&s, &d));
    /* per-channel (the default): three different means, each in (0, 1). */
    CHECK(d.mean[0] > 0 && d.mean[0] < 1 && d.std[2] > 0);
    bd_dataset_free(&d);

    /* The folder the official archive unpacks to is found below path. */
    char parent[256], sub[512];
    tfs_mkdtemp(parent, "cifar-parent");
    snprintf(sub, sizeof sub, "%s/cifar-10-batches-bin", parent);
    tfs_mkdir(sub);
    write_batches(sub);
    CHECK_MSG(load(parent, &d, &err) == 0, "%s", err.msg);
    CHECK(d.test.n == 7);
    CHECK_CONTAINS(d.description, "cifar-10-batches-bin");
    bd_dataset_free(&d);
    tfs_rm_rf(parent);
}

static void expect_error(const char *dir, const char *frag1, const char *frag2) {
    BdDataset d;
    BdError err = {0};
    int rc = load(dir, &d, &err);
    CHECK_MSG(rc < 0, "loaded although '%s' was expected", frag2);
    if (rc == 0) bd_dataset_free(&d);
    if (getenv("VERBOSE")) printf("%s\n", err.msg);
    CHECK_CONTAINS(err.msg, frag1);
    CHECK_CONTAINS(err.msg, frag2);
}

static void test_errors(const char *dir) {
    char path[512], frag[640];

    /* Truncated: data_batch_3 holds 5 records and one byte (a copy cut short). */
    write_batches(dir);
    unsigned char *buf = calloc(5 * REC + 1, 1);
    snprintf(path, sizeof path, "%s/data_batch_3.bin", dir);
    tfs_write(path, buf, 5 * REC + 1);
    snprintf(frag, sizeof frag, "cifar10: %s: truncated at byte 15366: expected records of 3073 bytes", path);
    expect_error(dir, frag, "the last record, at byte 15365, has 1 of them");

    /* A label above 9, at its record's byte offset. */
    write_batches(dir);
    unsigned char recs[2 * REC];
    fill_record(recs, 0, 0);
    fill_record(recs + REC, 0, 1);
    recs[REC] = 10;
    snprintf(path, sizeof path, "%s/test_batch.bin", dir);
    tfs_write(path, recs, sizeof recs);
    snprintf(frag, sizeof frag, "%s: label 10 at byte 3073 (record 1)", path);
    expect_error(dir, frag, "expected 0..9");

    /* Empty file. */
    write_batches(dir);
    snprintf(path, sizeof path, "%s/data_batch_1.bin", dir);
    tfs_write(path, "", 0);
    expect_error(dir, "data_batch_1.bin: empty file", "expected records of 3073 bytes");

    /* Missing file. */
    write_batches(dir);
    snprintf(path, sizeof path, "%s/data_batch_5.bin", dir);
    remove(path);
    snprintf(frag, sizeof frag, "cannot open %s", path);
    expect_error(dir, frag, "expected the CIFAR-10 binary batches data_batch_1.bin .. data_batch_5.bin");
    free(buf);
}

int main(void) {
    char dir[256];
    tfs_mkdtemp(dir, "cifar");
    test_valid(dir);
    test_errors(dir);
    tfs_rm_rf(dir);
    return check_result("data_cifar10");
}
