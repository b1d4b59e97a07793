/* Datasets: the `dataset` axis. A loaded dataset is uint8 images, planar per
 * sample ([n][c][h][w]), with integer labels in [0, classes), split into train
 * and test. Triggers and poisoning work on these bytes (docs/EXPERIMENT.md section 3: triggers
 * are applied to uint8 pixels before normalisation); the trainer normalises
 * when it assembles a batch.
 *
 * Each preset's loader is in its own file (idx.c, cifar10.c, flowers.c,
 * synthetic.c) behind the registry's impl (loader.h). flowers decodes its
 * images once into a cache file (image_cache.h) that later loads read.
 *
 * Loaders never fetch anything. A missing file, a wrong magic number, a
 * truncated record or an undecodable image is an error naming the file, the
 * offset (or the image) and what was expected. No size a file's header
 * claims is allocated before the file shows it holds that much (IDX reads
 * into buffers that grow with the data, CIFAR-10 sizes its splits from the
 * files' sizes, an image whose header claims more pixels than a photograph
 * or than its file's size can hold is refused before it is decoded, the
 * flowers cache is checked against its file's size): a lying header is an
 * error, not an abort. */
#ifndef BD_DATASET_H
#define BD_DATASET_H

#include <stdint.h>

#include "spec.h"

#define BD_MAX_CHANNELS 4

typedef struct BdDataShape {
    int c, h, w;
    int classes;
} BdDataShape;

typedef struct BdSplit {
    int n;
    uint8_t *x; /* [n][c][h][w] */
    int *y;     /* [n] */
} BdSplit;

typedef struct BdDataset {
    BdDataShape shape;
    BdSplit train, test;
    /* Per-channel normalisation the trainer applies: x_float = (x/255 - mean) / std.
     * From the dataset's `normalize` parameter: statistics of the training
     * split ("per-channel") or mean 0, std 1 ("none"). */
    float mean[BD_MAX_CHANNELS], std[BD_MAX_CHANNELS];
    char description[256]; /* "fashion-mnist from /usr/share/... (60000 train, 10000 test)" */
} BdDataset;

extern const BdPreset bd_dataset_presets[];

/* The shape a resolved dataset spec will have, without loading the images
 * (a folder dataset may list its class folders). For validation and `plan`. */
int bd_dataset_shape(const BdSpec *spec, BdDataShape *shape, BdError *err);
int bd_dataset_load(const BdSpec *spec, BdDataset *out, BdError *err);
/* The numbers of train and test samples a load would give, without reading
 * the images (label files, file sizes, folder listings). For `plan`'s estimate. */
int bd_dataset_sizes(const BdSpec *spec, int *n_train, int *n_test, BdError *err);
void bd_dataset_free(BdDataset *d);
/* A digest of what a load read: the shape, every pixel and label of both
 * splits and the normalisation (CRC-32s, zlib), so that a checkpoint is
 * only resumed on the data it was trained on. About 30 ms per 50 MB. */
uint64_t bd_dataset_digest(const BdDataset *d);

/* What a standard dataset holds when its files are the official ones: its
 * shape and split sizes and the training samples of each class, for
 * planning a sweep on a machine that does not hold the data (a laptop
 * planning a cluster run). Each loader knows its own. */
#define BD_NOMINAL_MAX_CLASSES 16
typedef struct BdDataNominal {
    BdDataShape shape;
    int n_train, n_test;
    int train_per_class[BD_NOMINAL_MAX_CLASSES];
    const char *source; /* where the numbers come from, for messages */
} BdDataNominal;
/* -1 (err says why) when the dataset has no standard size (a folder of
 * someone's own images). */
int bd_dataset_nominal(const BdSpec *spec, BdDataNominal *out, BdError *err);

/* The labels of the training split in the order bd_dataset_load gives them
 * (*labels malloc'd, *n of them), without reading a pixel: for checking a
 * sweep's poisoning pools against the data before anything trains. Fails
 * like a load when the data is not there. */
int bd_dataset_train_labels(const BdSpec *spec, int **labels, int *n, BdError *err);

/* Keeps the first n samples of a split (n <= 0 or n >= size: unchanged). */
void bd_split_limit(BdSplit *s, int n);

#endif
