/* The dataset registry: every `dataset` value a sweep can name, with its
 * parameters. The loaders behind each preset live in the files beside this one. */
#include "dataset.h"
#include "loader.h"

#define NORMALIZE {"normalize", BD_PARAM_ENUM, "per-channel", BD_ANY, "per-channel|none", \
                   "per-channel: subtract the training split's channel mean and divide by its std; none: x/255"}

static const BdParamDef fashion_params[] = {
    {"path", BD_PARAM_STRING, "/usr/share/datasets/fashion-mnist", BD_ANY, NULL,
     "folder with train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-*"},
    NORMALIZE,
    {0},
};

static const BdParamDef mnist_params[] = {
    {"path", BD_PARAM_STRING, "/usr/share/datasets/mnist", BD_ANY, NULL,
     "folder with train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-*"},
    NORMALIZE,
    {0},
};

static const BdParamDef cifar10_params[] = {
    {"path", BD_PARAM_STRING, NULL, BD_ANY, NULL, "folder with data_batch_1..5.bin and test_batch.bin"},
    NORMALIZE,
    {0},
};

static const BdParamDef flowers_params[] = {
    {"path", BD_PARAM_STRING, NULL, BD_ANY, NULL, "folder with one sub-folder of JPEG/PNG images per class"},
    {"size", BD_PARAM_INT, "64", 8, 512, NULL, "images are resized to size x size"},
    {"test_fraction", BD_PARAM_FLOAT, "0.2", 0.01, 0.99, NULL, "fraction of each class held out as the test split"},
    {"split_seed", BD_PARAM_INT, "0", 0, 2147483647, NULL, "seed of the train/test split"},
    {"cache", BD_PARAM_STRING, "", BD_ANY, NULL, "folder for the decoded cache (default: next to the data)"},
    NORMALIZE,
    {0},
};

static const BdParamDef synthetic_params[] = {
    {"classes", BD_PARAM_INT, "10", 2, 1000, NULL, "number of classes"},
    {"channels", BD_PARAM_INT, "3", 1, 4, NULL, "image channels"},
    {"size", BD_PARAM_INT, "32", 4, 512, NULL, "image side"},
    {"train", BD_PARAM_INT, "5000", 1, 10000000, NULL, "training samples"},
    {"test", BD_PARAM_INT, "1000", 1, 10000000, NULL, "test samples"},
    {"noise", BD_PARAM_FLOAT, "0.3", 0, 10, NULL, "noise amplitude relative to the class pattern"},
    {"data_seed", BD_PARAM_INT, "0", 0, 2147483647, NULL, "seed of the generator"},
    NORMALIZE,
    {0},
};

const BdPreset bd_dataset_presets[] = {
    {"fashion-mnist", "Fashion-MNIST (IDX, gzip or raw), 10 classes of 1x28x28", fashion_params, NULL, &bd_idx_loader},
    {"mnist", "MNIST (IDX, gzip or raw), 10 classes of 1x28x28", mnist_params, NULL, &bd_idx_loader},
    {"cifar10", "CIFAR-10, binary version, 10 classes of 3x32x32", cifar10_params, NULL, &bd_cifar10_loader},
    {"flowers", "an image folder (one sub-folder per class), resized to size x size", flowers_params, NULL, &bd_flowers_loader},
    {"synthetic", "class-dependent patterns plus noise, generated from a seed", synthetic_params, NULL, &bd_synthetic_loader},
    {0},
};

/* ---- dispatch through the registry ------------------------------------------ */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const BdDatasetLoader *loader_of(const BdSpec *spec, BdError *err) {
    const BdPreset *p = bd_preset_find(bd_dataset_presets, spec->name);
    if (!p || !p->impl) {
        char names[512];
        bd_preset_names(bd_dataset_presets, names, sizeof names);
        bd_fail(err, "dataset '%s' has no loader: expected one of %s", spec->name, names);
        return NULL;
    }
    return p->impl;
}

int bd_dataset_shape(const BdSpec *spec, BdDataShape *shape, BdError *err) {
    const BdDatasetLoader *l = loader_of(spec, err);
    return l ? l->shape(spec, shape, err) : -1;
}

int bd_dataset_sizes(const BdSpec *spec, int *n_train, int *n_test, BdError *err) {
    const BdDatasetLoader *l = loader_of(spec, err);
    return l ? l->sizes(spec, n_train, n_test, err) : -1;
}

int bd_dataset_nominal(const BdSpec *spec, BdDataNominal *out, BdError *err) {
    const BdDatasetLoader *l = loader_of(spec, err);
    if (!l) return -1;
    memset(out, 0, sizeof *out);
    if (!l->nominal) return bd_fail(err, "%s: no standard size is known for this dataset", spec->name);
    return l->nominal(spec, out, err);
}

void bd_split_alloc(BdSplit *s, int n, BdDataShape shape) {
    s->n = n;
    s->x = bd_xcalloc((size_t)n, bd_sample_bytes(shape));
    s->y = bd_xcalloc((size_t)n, sizeof *s->y);
}

void bd_split_free(BdSplit *s) {
    free(s->x);
    free(s->y);
    *s = (BdSplit){0};
}

/* mean and std of x/255 per channel over the training split. Sums are
 * accumulated per image in integers (exact) and across images in double. */
static void channel_stats(const BdDataset *d, float *mean, float *std) {
    const BdDataShape s = d->shape;
    const size_t plane = (size_t)s.h * (size_t)s.w;
    for (int c = 0; c < s.c; c++) {
        double sum = 0, sum2 = 0;
        for (int i = 0; i < d->train.n; i++) {
            const uint8_t *p = d->train.x + (size_t)i * bd_sample_bytes(s) + (size_t)c * plane;
            uint64_t a = 0, a2 = 0;
            for (size_t k = 0; k < plane; k++) {
                a += p[k];
                a2 += (uint64_t)p[k] * p[k];
            }
            sum += (double)a;
            sum2 += (double)a2;
        }
        double count = (double)plane * d->train.n;
        double m = sum / count / 255.0;
        double var = sum2 / count / (255.0 * 255.0) - m * m;
        double sd = var > 0 ? sqrt(var) : 0;
        mean[c] = (float)m;
        /* A constant channel has no spread to divide by: leave it centred only. */
        std[c] = sd > 1e-6 ? (float)sd : 1.0f;
    }
}

int bd_dataset_load(const BdSpec *spec, BdDataset *out, BdError *err) {
    memset(out, 0, sizeof *out);
    const BdDatasetLoader *l = loader_of(spec, err);
    if (!l) return -1;
    if (l->load(spec, out, err) < 0) {
        bd_dataset_free(out);
        return -1;
    }
    if (out->shape.c > BD_MAX_CHANNELS) {
        int c = out->shape.c;
        bd_dataset_free(out);
        return bd_fail(err, "%s: images have %d channels: expected at most %d", spec->name, c, BD_MAX_CHANNELS);
    }
    for (int c = 0; c < BD_MAX_CHANNELS; c++) {
        out->mean[c] = 0.0f;
        out->std[c] = 1.0f;
    }
    if (!strcmp(bd_spec_str(spec, "normalize"), "per-channel")) channel_stats(out, out->mean, out->std);
    return 0;
}

void bd_dataset_free(BdDataset *d) {
    if (!d) return;
    bd_split_free(&d->train);
    bd_split_free(&d->test);
}

/* Only the count shrinks: the pixels past n stay allocated until the split is
 * freed (the split does not know its sample size, and a cell limits once). */
void bd_split_limit(BdSplit *s, int n) {
    if (n > 0 && n < s->n) s->n = n;
}
