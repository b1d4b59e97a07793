/* The synthetic generator: shapes, determinism, prefixes, noise, that the
 * classes are separable (a nearest-class-mean rule, the crudest learner), and
 * the digest of a load. */
#include "check.h"
#include "dataset.h"
#include "testfs.h"

static int gen(BdDataset *d, const char *classes, const char *channels, const char *size, const char *train,
               const char *noise, const char *seed) {
    BdSpec s;
    BdError err = {0};
    if (tfs_spec(&s, bd_dataset_presets, "synthetic", &err, "classes", classes, "channels", channels, "size", size,
                 "train", train, "test", "200", "noise", noise, "data_seed", seed, NULL) < 0 ||
        bd_dataset_load(&s, d, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    return 0;
}

static size_t bytes(const BdDataset *d) { return (size_t)d->shape.c * d->shape.h * d->shape.w; }

static void test_shape_and_determinism(void) {
    BdDataset a, b;
    CHECK(gen(&a, "10", "3", "16", "300", "0.3", "7") == 0);
    CHECK(a.shape.c == 3 && a.shape.h == 16 && a.shape.w == 16 && a.shape.classes == 10);
    CHECK(a.train.n == 300 && a.test.n == 200);
    for (int i = 0; i < a.train.n; i++) CHECK(a.train.y[i] == i % 10);
    BdSpec s;
    BdError err = {0};
    CHECK(tfs_spec(&s, bd_dataset_presets, "synthetic", &err, "classes", "10", "channels", "3", "size", "16", "train",
                   "300", "test", "200", "noise", "0.3", "data_seed", "7", NULL) == 0);
    CHECK(tfs_same_train_labels(&s, &a));
    CHECK(gen(&b, "10", "3", "16", "300", "0.3", "7") == 0);
    CHECK(!memcmp(a.train.x, b.train.x, bytes(&a) * 300) && !memcmp(a.test.x, b.test.x, bytes(&a) * 200));
    bd_dataset_free(&b);
    /* Another seed, other data. */
    CHECK(gen(&b, "10", "3", "16", "300", "0.3", "8") == 0);
    CHECK(memcmp(a.train.x, b.train.x, bytes(&a) * 300) != 0);
    bd_dataset_free(&b);
    /* A smaller train split is a prefix of the larger; the test split does not move. */
    CHECK(gen(&b, "10", "3", "16", "120", "0.3", "7") == 0);
    CHECK(!memcmp(a.train.x, b.train.x, bytes(&a) * 120) && !memcmp(a.test.x, b.test.x, bytes(&a) * 200));
    bd_dataset_free(&b);
    /* per-channel statistics (the default) are those of x/255 over train. */
    for (int c = 0; c < 3; c++) {
        double s = 0, s2 = 0;
        size_t plane = 16 * 16;
        for (int i = 0; i < a.train.n; i++)
            for (size_t q = 0; q < plane; q++) {
                double v = a.train.x[(size_t)i * bytes(&a) + c * plane + q] / 255.0;
                s += v;
                s2 += v * v;
            }
        double n = (double)plane * a.train.n, m = s / n;
        CHECK_NEAR(a.mean[c], m, 1e-5);
        CHECK_NEAR(a.std[c], sqrt(s2 / n - m * m), 1e-5);
    }
    bd_dataset_free(&a);

    /* Odd shapes: 1 and 4 channels, 4x4 images, 2 and 300 classes. */
    CHECK(gen(&a, "2", "1", "4", "10", "0.3", "0") == 0);
    CHECK(a.shape.c == 1 && a.shape.h == 4 && a.train.y[9] == 1);
    bd_dataset_free(&a);
    CHECK(gen(&a, "300", "4", "8", "600", "0.3", "0") == 0);
    CHECK(a.shape.c == 4 && a.shape.classes == 300 && a.train.y[599] == 299);
    bd_dataset_free(&a);
}

static void test_noise(void) {
    BdDataset d;
    /* noise 0: all samples of a class are the same image. */
    CHECK(gen(&d, "5", "3", "8", "20", "0", "1") == 0);
    CHECK(!memcmp(d.train.x, d.train.x + 5 * bytes(&d), bytes(&d)));
    CHECK(memcmp(d.train.x, d.train.x + 1 * bytes(&d), bytes(&d)) != 0);
    bd_dataset_free(&d);
    /* noise 0.3: same class, different samples. */
    CHECK(gen(&d, "5", "3", "8", "20", "0.3", "1") == 0);
    CHECK(memcmp(d.train.x, d.train.x + 5 * bytes(&d), bytes(&d)) != 0);
    bd_dataset_free(&d);
}

/* Nearest class mean over the train split classifies the test split. */
static double ncm_accuracy(const BdDataset *d) {
    size_t n = bytes(d);
    int k = d->shape.classes;
    double *mean = calloc((size_t)k * n, sizeof *mean);
    int *count = calloc((size_t)k, sizeof *count);
    for (int i = 0; i < d->train.n; i++) {
        count[d->train.y[i]]++;
        for (size_t q = 0; q < n; q++) mean[d->train.y[i] * n + q] += d->train.x[i * n + q];
    }
    for (int c = 0; c < k; c++)
        for (size_t q = 0; q < n; q++) mean[c * n + q] /= count[c];
    int right = 0;
    for (int i = 0; i < d->test.n; i++) {
        int best = 0;
        double best_d = INFINITY;
        for (int c = 0; c < k; c++) {
            double s = 0;
            for (size_t q = 0; q < n; q++) {
                double e = d->test.x[i * n + q] - mean[c * n + q];
                s += e * e;
            }
            if (s < best_d) best_d = s, best = c;
        }
        right += best == d->test.y[i];
    }
    free(mean);
    free(count);
    return (double)right / d->test.n;
}

static void test_separable(void) {
    BdDataset d;
    CHECK(gen(&d, "10", "3", "16", "500", "0.3", "3") == 0);
    double acc = ncm_accuracy(&d);
    CHECK_MSG(acc > 0.95, "nearest-class-mean accuracy %.3f", acc);
    bd_dataset_free(&d);
    /* Heavy noise makes it harder (the knob does something). */
    CHECK(gen(&d, "10", "1", "8", "500", "8", "3") == 0);
    double hard = ncm_accuracy(&d);
    CHECK_MSG(hard < acc, "noise 8 accuracy %.3f vs %.3f", hard, acc);
    bd_dataset_free(&d);
}

static void test_registry(void) {
    BdSpec s;
    BdError err = {0};
    BdDataShape shape;
    CHECK(tfs_spec(&s, bd_dataset_presets, "synthetic", &err, "channels", "1", "size", "12", NULL) == 0);
    CHECK(bd_dataset_shape(&s, &shape, &err) == 0 && shape.c == 1 && shape.h == 12 && shape.classes == 10);
    CHECK(tfs_spec(&s, bd_dataset_presets, "cifar10", &err, "path", "/nowhere", NULL) == 0);
    CHECK(bd_dataset_shape(&s, &shape, &err) == 0 && shape.c == 3 && shape.h == 32);
    bd_spec_init(&s, "imagenet");
    CHECK(bd_dataset_shape(&s, &shape, &err) < 0);
    CHECK_CONTAINS(err.msg, "dataset 'imagenet' has no loader: expected one of fashion-mnist, mnist, cifar10");
    /* Every preset reaches a loader. */
    for (const BdPreset *p = bd_dataset_presets; p->name; p++) CHECK(p->impl != NULL);
}

/* The digest that binds checkpoints to their data: equal for equal loads,
 * changed by one pixel, one label or the normalisation. */
static void test_digest(void) {
    BdDataset a, b;
    CHECK(gen(&a, "4", "1", "8", "100", "0.3", "7") == 0 && gen(&b, "4", "1", "8", "100", "0.3", "7") == 0);
    uint64_t d = bd_dataset_digest(&a);
    CHECK(d == bd_dataset_digest(&b));
    a.train.x[123] ^= 1;
    CHECK(bd_dataset_digest(&a) != d);
    a.train.x[123] ^= 1;
    a.test.y[5] = (a.test.y[5] + 1) % 4;
    CHECK(bd_dataset_digest(&a) != d);
    a.test.y[5] = b.test.y[5];
    CHECK(bd_dataset_digest(&a) == d);
    a.mean[0] += 0.01f;
    CHECK(bd_dataset_digest(&a) != d);
    bd_dataset_free(&a);
    bd_dataset_free(&b);
}

int main(void) {
    test_shape_and_determinism();
    test_digest();
    test_noise();
    test_separable();
    test_registry();
    return check_result("data_synthetic");
}
