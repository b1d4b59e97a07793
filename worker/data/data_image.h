/* A decoded dataset as one block of memory that the jobs of a worker share.
 *
 * Each job runs in a process of its own (worker/proc/), so a dataset loaded
 * by one job would be gone with its process, and decoding it again for every
 * job costs more than a small job's training (Fashion-MNIST: a third of a
 * second; a folder of JPEGs: minutes, or a read of its cache file). The
 * first job that needs a dataset decodes it and writes it into a memory
 * file (memfd) its worker handed it, seals the file against writes and
 * tells the worker, which keeps the file and hands it to its next jobs;
 * they map it read-only. The pages are the kernel's shared memory: one copy
 * per worker whatever the number of jobs, never counted in a job's memory
 * limit (a read-only shared mapping is not the job's data), and a job that
 * crashes cannot damage it.
 *
 * Layout (native byte order: the file never leaves the host):
 *   "BDSWDIMG" u32 version u32 key_len u64 bytes
 *   u32 c h w classes, u32 n_train n_test, f32 mean[4] std[4],
 *   char description[256], key bytes,
 *   then, each at a multiple of 64 bytes: train pixels, train labels
 *   (int32), test pixels, test labels.
 * The key is the dataset's full canonical text (every parameter written
 * out): an image is used only by a job of exactly that dataset. */
#ifndef BD_DATA_IMAGE_H
#define BD_DATA_IMAGE_H

#include <stddef.h>

#include "dataset.h"

typedef struct BdDataImage {
    void *map; /* NULL: nothing mapped */
    size_t len;
    BdDataset data; /* its splits point into the mapping: never bd_dataset_free it */
} BdDataImage;

/* A new, empty memory file that can be sealed, for a job to fill; -1 with
 * err on failure. */
int bd_data_image_create(BdError *err);
/* Writes d under key into the empty memory file fd and seals it. */
int bd_data_image_write(int fd, const char *key, const BdDataset *d, BdError *err);
/* Maps the image in fd when it holds the dataset `key`: 1 (img->data is the
 * dataset), 0 when it holds another one, -1 with err when it is damaged. */
int bd_data_image_map(int fd, const char *key, BdDataImage *img, BdError *err);
void bd_data_image_unmap(BdDataImage *img);

#endif
