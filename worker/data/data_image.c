#include "data_image.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loader.h"

enum { IMAGE_VERSION = 1, ALIGN = 64 };
static const char MAGIC[8] = {'B', 'D', 'S', 'W', 'D', 'I', 'M', 'G'};

typedef struct ImageHeader {
    char magic[8];
    uint32_t version, key_len;
    uint64_t bytes;
    uint32_t c, h, w, classes, n_train, n_test;
    float mean[BD_MAX_CHANNELS], std[BD_MAX_CHANNELS];
    char description[256];
} ImageHeader;

/* Where each part starts. */
typedef struct Layout {
    size_t train_x, train_y, test_x, test_y, bytes;
} Layout;

static size_t up(size_t n) { return (n + ALIGN - 1) / ALIGN * ALIGN; }

static Layout layout_of(const ImageHeader *h) {
    const size_t sample = (size_t)h->c * h->h * h->w;
    Layout l;
    l.train_x = up(sizeof *h + h->key_len);
    l.train_y = up(l.train_x + sample * h->n_train);
    l.test_x = up(l.train_y + sizeof(int) * h->n_train);
    l.test_y = up(l.test_x + sample * h->n_test);
    l.bytes = l.test_y + sizeof(int) * h->n_test;
    return l;
}

int bd_data_image_create(BdError *err) {
    int fd = memfd_create("bdsweep-dataset", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0) return bd_fail_io(err, errno, "cannot create a shared memory file for the dataset");
    return fd;
}

static int put(int fd, const void *p, size_t n, size_t off) {
    const unsigned char *b = p;
    while (n) {
        ssize_t w = pwrite(fd, b, n, (off_t)off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        b += w;
        n -= (size_t)w;
        off += (size_t)w;
    }
    return 0;
}

int bd_data_image_write(int fd, const char *key, const BdDataset *d, BdError *err) {
    ImageHeader h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, MAGIC, sizeof MAGIC);
    h.version = IMAGE_VERSION;
    h.key_len = (uint32_t)strlen(key);
    h.c = (uint32_t)d->shape.c;
    h.h = (uint32_t)d->shape.h;
    h.w = (uint32_t)d->shape.w;
    h.classes = (uint32_t)d->shape.classes;
    h.n_train = (uint32_t)d->train.n;
    h.n_test = (uint32_t)d->test.n;
    memcpy(h.mean, d->mean, sizeof h.mean);
    memcpy(h.std, d->std, sizeof h.std);
    memcpy(h.description, d->description, sizeof h.description);
    Layout l = layout_of(&h);
    h.bytes = l.bytes;
    const size_t sample = bd_sample_bytes(d->shape);
    if (ftruncate(fd, (off_t)l.bytes) < 0 || put(fd, &h, sizeof h, 0) < 0 || put(fd, key, h.key_len, sizeof h) < 0 ||
        put(fd, d->train.x, sample * h.n_train, l.train_x) < 0 ||
        put(fd, d->train.y, sizeof(int) * h.n_train, l.train_y) < 0 ||
        put(fd, d->test.x, sample * h.n_test, l.test_x) < 0 || put(fd, d->test.y, sizeof(int) * h.n_test, l.test_y) < 0)
        return bd_fail_io(err, errno, "cannot write the dataset's shared image (%zu bytes)", l.bytes);
    if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
        return bd_fail(err, "cannot seal the dataset's shared image: %s", strerror(errno));
    return 0;
}

int bd_data_image_map(int fd, const char *key, BdDataImage *img, BdError *err) {
    memset(img, 0, sizeof *img);
    struct stat st;
    if (fstat(fd, &st) < 0) return bd_fail(err, "the dataset's shared image: %s", strerror(errno));
    if ((size_t)st.st_size < sizeof(ImageHeader)) return 0; /* never filled */
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) return bd_fail(err, "cannot map the dataset's shared image: %s", strerror(errno));
    const ImageHeader *h = map;
    Layout l = layout_of(h);
    if (memcmp(h->magic, MAGIC, sizeof MAGIC) || h->version != IMAGE_VERSION || h->bytes != (uint64_t)st.st_size ||
        l.bytes != h->bytes || h->c > BD_MAX_CHANNELS) {
        munmap(map, (size_t)st.st_size);
        return bd_fail(err, "the dataset's shared image is damaged (%lld bytes)", (long long)st.st_size);
    }
    if (h->key_len != strlen(key) || memcmp((const char *)map + sizeof *h, key, h->key_len)) {
        munmap(map, (size_t)st.st_size);
        return 0;
    }
    unsigned char *base = map;
    BdDataset *d = &img->data;
    d->shape = (BdDataShape){(int)h->c, (int)h->h, (int)h->w, (int)h->classes};
    d->train = (BdSplit){(int)h->n_train, base + l.train_x, (int *)(void *)(base + l.train_y)};
    d->test = (BdSplit){(int)h->n_test, base + l.test_x, (int *)(void *)(base + l.test_y)};
    memcpy(d->mean, h->mean, sizeof d->mean);
    memcpy(d->std, h->std, sizeof d->std);
    memcpy(d->description, h->description, sizeof d->description);
    d->description[sizeof d->description - 1] = '\0';
    img->map = map;
    img->len = (size_t)st.st_size;
    return 1;
}

void bd_data_image_unmap(BdDataImage *img) {
    if (img->map) munmap(img->map, img->len);
    memset(img, 0, sizeof *img);
}
