/* safetensors files: Hugging Face's format for named tensors, what PyTorch
 * users load with safetensors.torch.load_file (and python/load_safetensors.py
 * without that package). The format, as its reference README states it
 * (github.com/huggingface/safetensors, "Format"):
 *
 *   u64 N, little-endian
 *   N bytes of UTF-8 JSON, starting with '{', possibly padded with spaces:
 *     {"__metadata__": {"key": "value", ...},          optional, strings only
 *      "NAME": {"dtype": "F32", "shape": [2, 3], "data_offsets": [BEGIN, END]}, ...}
 *   the byte buffer: every tensor's raw little-endian, row-major bytes.
 *
 * Offsets are relative to the byte buffer; the tensors cover it entirely,
 * without holes or overlaps, and END - BEGIN is the shape's element count
 * times the dtype's size. Names and metadata keys are unique.
 *
 * The writer writes float32 tensors exactly as the reference serializer lays
 * them out (safetensors/src/tensor.rs, `prepare`): compact JSON, __metadata__
 * first, tensors sorted by name (bytewise) and stored in that order, the
 * header padded with spaces to a multiple of 8 bytes so that the data is
 * aligned. Metadata keys are sorted too (the reference keeps them in a hash
 * map's order), so the same tensors and metadata give the same bytes.
 *
 * The reader reads any file of the format whose dtypes have whole-byte
 * elements, and refuses, naming the file and the reason, anything else:
 * it is strict, not lenient, because a file it misreads would give a
 * different model without a word. */
#ifndef BD_SAFETENSORS_H
#define BD_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define BD_ST_MAX_DIMS 8
/* The reference refuses larger headers (MAX_HEADER_SIZE), so do we. */
#define BD_ST_MAX_HEADER 100000000u

typedef struct BdStMeta {
    const char *key, *value;
} BdStMeta;

/* A float32 tensor to write; data holds prod(shape) floats, row-major. */
typedef struct BdStF32 {
    const char *name;
    const float *data;
    int ndim; /* 0 (a scalar) .. BD_ST_MAX_DIMS */
    int64_t shape[BD_ST_MAX_DIMS];
} BdStF32;

/* Writes the tensors and metadata (n_meta 0: no __metadata__ entry) to path,
 * through a temporary file renamed into place, so a failed export leaves no
 * partial file. Refuses duplicate names or keys, the name "__metadata__",
 * negative dims. Returns 0 or -1 with err naming the file. */
int bd_st_write(const char *path, const BdStF32 *tensors, int n, const BdStMeta *meta, int n_meta, BdError *err);

/* A tensor of a file read by bd_st_read: data points into the file's bytes
 * (not aligned for any type: copy it out). */
typedef struct BdStView {
    char *name;
    char dtype[16]; /* as in the header: "F32", "I64", "BF16", ... */
    int ndim;
    int64_t shape[BD_ST_MAX_DIMS];
    uint64_t begin, end; /* data_offsets */
    const unsigned char *data;
} BdStView;

typedef struct BdStFile {
    unsigned char *bytes; /* the whole file */
    size_t len;
    BdStView *tensors; /* in header order */
    int n;
    char **keys, **values; /* __metadata__, in header order */
    int n_meta;
} BdStFile;

/* Reads and validates a whole file. On error *f is left empty (bd_st_free
 * is still safe to call). */
int bd_st_read(const char *path, BdStFile *f, BdError *err);
void bd_st_free(BdStFile *f);

const BdStView *bd_st_find(const BdStFile *f, const char *name); /* NULL if absent */
const char *bd_st_meta(const BdStFile *f, const char *key);      /* NULL if absent */

#endif
