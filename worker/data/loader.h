/* What a dataset preset's `impl` points at, and the helpers its loaders share.
 * Private to worker/data: the rest of the program goes through dataset.h. */
#ifndef BD_DATA_LOADER_H
#define BD_DATA_LOADER_H

#include <stddef.h>

#include "dataset.h"

typedef struct BdDatasetLoader {
    /* The shape the spec will load as, without reading the images. */
    int (*shape)(const BdSpec *spec, BdDataShape *shape, BdError *err);
    /* Fills out->shape, out->train, out->test and out->description. The
     * caller (bd_dataset_load) computes the normalisation and frees
     * everything on failure, so a loader may return with splits half filled. */
    int (*load)(const BdSpec *spec, BdDataset *out, BdError *err);
    /* How many train and test samples a load would give, reading label
     * files, file sizes or folder listings only (never a count a header
     * claims without the data that shows it). */
    int (*sizes)(const BdSpec *spec, int *n_train, int *n_test, BdError *err);
    /* The published numbers of the standard files (dataset.h); NULL when there are none. */
    int (*nominal)(const BdSpec *spec, BdDataNominal *out, BdError *err);
    /* The training labels in the order a load gives them, reading label
     * files, record headers or folder listings only (no pixels). */
    int (*train_labels)(const BdSpec *spec, int **labels, int *n, BdError *err);
} BdDatasetLoader;

extern const BdDatasetLoader bd_idx_loader;       /* idx.c: mnist, fashion-mnist */
extern const BdDatasetLoader bd_cifar10_loader;   /* cifar10.c */
extern const BdDatasetLoader bd_flowers_loader;   /* flowers.c */
extern const BdDatasetLoader bd_synthetic_loader; /* synthetic.c */

/* Bytes of one sample. */
static inline size_t bd_sample_bytes(BdDataShape s) { return (size_t)s.c * (size_t)s.h * (size_t)s.w; }

/* Allocates n samples of the shape (pixels and labels zeroed). */
void bd_split_alloc(BdSplit *s, int n, BdDataShape shape);
void bd_split_free(BdSplit *s);

#endif
