/* The dataset registry: every `dataset` value a sweep can name, with its
 * parameters. The loaders behind each preset live in the files beside this one. */
#include "dataset.h"

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
    {"fashion-mnist", "Fashion-MNIST (IDX, gzip or raw), 10 classes of 1x28x28", fashion_params, NULL, NULL},
    {"mnist", "MNIST (IDX, gzip or raw), 10 classes of 1x28x28", mnist_params, NULL, NULL},
    {"cifar10", "CIFAR-10, binary version, 10 classes of 3x32x32", cifar10_params, NULL, NULL},
    {"flowers", "an image folder (one sub-folder per class), resized to size x size", flowers_params, NULL, NULL},
    {"synthetic", "class-dependent patterns plus noise, generated from a seed", synthetic_params, NULL, NULL},
    {0},
};

/* ---- shapes, known before loading ------------------------------------------- */

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* Counts the class sub-folders of an image-folder dataset. */
static int count_class_dirs(const char *path, int *count, BdError *err) {
    DIR *d = opendir(path);
    if (!d) return bd_fail(err, "flowers: cannot open folder '%s': expected one sub-folder per class", path);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char sub[4096];
        struct stat st;
        snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        if (stat(sub, &st) == 0 && S_ISDIR(st.st_mode)) n++;
    }
    closedir(d);
    if (n < 2) return bd_fail(err, "flowers: '%s' has %d class sub-folder(s): expected at least 2", path, n);
    *count = n;
    return 0;
}

int bd_dataset_shape(const BdSpec *spec, BdDataShape *shape, BdError *err) {
    const char *name = spec->name;
    if (!strcmp(name, "fashion-mnist") || !strcmp(name, "mnist")) {
        *shape = (BdDataShape){1, 28, 28, 10};
        return 0;
    }
    if (!strcmp(name, "cifar10")) {
        *shape = (BdDataShape){3, 32, 32, 10};
        return 0;
    }
    if (!strcmp(name, "flowers")) {
        int side = (int)bd_spec_int(spec, "size"), classes;
        if (count_class_dirs(bd_spec_str(spec, "path"), &classes, err) < 0) return -1;
        *shape = (BdDataShape){3, side, side, classes};
        return 0;
    }
    if (!strcmp(name, "synthetic")) {
        int side = (int)bd_spec_int(spec, "size");
        *shape = (BdDataShape){(int)bd_spec_int(spec, "channels"), side, side, (int)bd_spec_int(spec, "classes")};
        return 0;
    }
    return bd_fail(err, "dataset '%s' has no loader", name);
}
