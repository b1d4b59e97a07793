/* Flowers: an image folder with one sub-folder per class.
 *
 *   path/<class>/<image>   class index = rank of the sub-folder name (strcmp order)
 *
 * Every non-hidden file in a class folder is an image (any format stb_image
 * decodes; an undecodable one is an error naming it). Images are decoded to
 * RGB, resized to size x size with stb_image_resize (aspect ratio not kept),
 * and split per class into train and test by test_fraction with a shuffle
 * seeded by split_seed.
 *
 * Decoding a few thousand JPEGs takes seconds to minutes, and every cell (on
 * every rank) loads the dataset, so the decoded images are cached in one file
 * (image_cache.h) keyed by a hash of the file list (relative names, sizes,
 * mtimes) and the decode parameters. The split is not part of the cache: it is
 * cheap, and so cells with other split seeds share one cache file.
 *
 * Where the cache goes: `cache` when given, else `<path>` itself (a hidden
 * file, so it is never taken for a class), falling back to
 * $XDG_CACHE_HOME/bdsweep (or ~/.cache/bdsweep) when the data folder is not
 * writable. Ranks that miss the cache at the same moment serialise on a lock
 * of the cache folder, so one decodes and the others read its result. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stb_image.h>
#include <stb_image_resize.h>

#include "image_cache.h"
#include "loader.h"
#include "log.h"
#include "rng.h"
#include "text.h"

enum { CHANNELS = 3 };

typedef struct ImageFile {
    char *rel; /* "<class>/<file>" */
    int label;
    long long size, mtime_ns;
} ImageFile;

typedef struct ImageList {
    int classes;
    int n, cap;
    ImageFile *files;
} ImageList;

static void list_free(ImageList *l) {
    for (int i = 0; i < l->n; i++) free(l->files[i].rel);
    free(l->files);
    *l = (ImageList){0};
}

static int by_name(const struct dirent **a, const struct dirent **b) { return strcmp((*a)->d_name, (*b)->d_name); }
static int not_hidden(const struct dirent *e) { return e->d_name[0] != '.'; }

/* Sorted non-hidden entries of dir that are folders (want_dir) or regular
 * files. Returns the count (names in *names, to free) or -1. */
static int list_entries(const char *dir, int want_dir, char ***names, BdError *err) {
    struct dirent **ents;
    int m = scandir(dir, &ents, not_hidden, by_name);
    if (m < 0)
        return bd_fail(err, "flowers: cannot open folder %s: %s: expected %s", dir, strerror(errno),
                       want_dir ? "one sub-folder per class" : "a class folder of images");
    char **out = bd_xmalloc((size_t)(m ? m : 1) * sizeof *out);
    int n = 0;
    for (int i = 0; i < m; i++) {
        char full[4096];
        struct stat st;
        int fits = bd_path_join(full, sizeof full, dir, ents[i]->d_name, NULL) == 0; /* longer than PATH_MAX: unreachable */
        if (fits && stat(full, &st) == 0 && (want_dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode)))
            out[n++] = bd_xstrdup(ents[i]->d_name);
        free(ents[i]);
    }
    free(ents);
    *names = out;
    return n;
}

static void free_names(char **names, int n) {
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);
}

static int list_images(const char *path, ImageList *l, BdError *err) {
    char **classes = NULL;
    int nc = list_entries(path, 1, &classes, err);
    if (nc < 0) return -1;
    *l = (ImageList){0};
    l->classes = nc;
    if (nc < 2) {
        free_names(classes, nc);
        return bd_fail(err, "flowers: %s has %d class sub-folder(s): expected at least 2", path, nc);
    }
    for (int k = 0; k < nc; k++) {
        char dir[4096];
        char **files = NULL;
        int nf = bd_path_join(dir, sizeof dir, path, classes[k], err) < 0 ? -1 : list_entries(dir, 0, &files, err);
        if (nf <= 0) {
            if (nf == 0) {
                free_names(files, 0);
                bd_fail(err, "flowers: class folder %s has no images: expected JPEG or PNG files", dir);
            }
            free_names(classes, nc);
            list_free(l);
            return -1;
        }
        for (int i = 0; i < nf; i++) {
            char full[8192];
            struct stat st;
            snprintf(full, sizeof full, "%s/%s", dir, files[i]);
            if (stat(full, &st) != 0) continue; /* vanished since the listing */
            if (l->n == l->cap) {
                l->cap = l->cap ? 2 * l->cap : 256;
                l->files = bd_xrealloc(l->files, (size_t)l->cap * sizeof *l->files);
            }
            char rel[8192];
            snprintf(rel, sizeof rel, "%s/%s", classes[k], files[i]);
            l->files[l->n++] = (ImageFile){bd_xstrdup(rel), k, (long long)st.st_size,
                                           (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec};
        }
        free_names(files, nf);
    }
    free_names(classes, nc);
    return 0;
}

/* The cache key: everything that decides the decoded bytes. */
static uint64_t list_key(const ImageList *l, int side) {
    size_t cap = 256, len = 0;
    for (int i = 0; i < l->n; i++) cap += strlen(l->files[i].rel) + 48;
    char *text = bd_xmalloc(cap);
    len += (size_t)snprintf(text, cap, "bdsweep flowers: rgb, stbir_resize_uint8 to %dx%d, %d classes\n", side, side,
                            l->classes);
    for (int i = 0; i < l->n; i++)
        len += (size_t)snprintf(text + len, cap - len, "%s\t%lld\t%lld\n", l->files[i].rel, l->files[i].size,
                                l->files[i].mtime_ns);
    uint64_t key = bd_hash64(text, len);
    free(text);
    return key;
}

/* The largest image a header may claim: a photograph of 134 megapixels
 * (400 MB decoded), more than any camera's, and far less than a forged
 * header's 2^24 x 2^24 that stb_image would try to allocate. */
#define MAX_IMAGE_SIDE 16384
#define MAX_IMAGE_PIXELS (1LL << 27)
/* The most pixels a byte of an image file can hold: a 1-bit PNG at deflate's
 * best ratio, 1032:1, has 8256 pixels per byte; JPEG and stb_image's other
 * formats hold fewer. A header that claims more than that of its file's
 * size is forged or cut, whatever its sides. */
#define MAX_PIXELS_PER_BYTE (8LL * 1032)

/* Decodes and resizes every image into c (planar [n][3][side][side]). */
static int decode_all(const char *path, const ImageList *l, BdImageCache *c, BdError *err) {
    size_t plane = (size_t)c->side * c->side;
    c->x = bd_xmalloc((size_t)l->n * CHANNELS * plane);
    c->y = bd_xmalloc((size_t)l->n * sizeof *c->y);
    uint8_t *hwc = bd_xmalloc(CHANNELS * plane);
    for (int i = 0; i < l->n; i++) {
        char file[8192];
        int w, h, comp;
        snprintf(file, sizeof file, "%s/%s", path, l->files[i].rel);
        /* The size its header claims, before anything is allocated for it. */
        const int known = stbi_info(file, &w, &h, &comp);
        if (known && (w > MAX_IMAGE_SIDE || h > MAX_IMAGE_SIDE || (long long)w * h > MAX_IMAGE_PIXELS)) {
            free(hwc);
            return bd_fail(err,
                           "flowers: %s: its header claims %dx%d pixels: expected at most %d on a side and %lld "
                           "pixels in all (a photograph)",
                           file, w, h, MAX_IMAGE_SIDE, MAX_IMAGE_PIXELS);
        }
        if (known && (long long)w * h > MAX_PIXELS_PER_BYTE * l->files[i].size) {
            free(hwc);
            return bd_fail(err,
                           "flowers: %s: its header claims %dx%d pixels in a file of %lld bytes: expected at most "
                           "%lld pixels per byte of the file (the header is cut off or forged)",
                           file, w, h, l->files[i].size, MAX_PIXELS_PER_BYTE);
        }
        uint8_t *img = stbi_load(file, &w, &h, &comp, CHANNELS);
        if (!img) {
            free(hwc);
            return bd_fail(err, "flowers: %s: cannot decode image (%s): expected a JPEG or PNG file stb_image can read",
                           file, stbi_failure_reason());
        }
        int ok = stbir_resize_uint8(img, w, h, 0, hwc, c->side, c->side, 0, CHANNELS);
        stbi_image_free(img);
        if (!ok) {
            free(hwc);
            return bd_fail(err, "flowers: %s: cannot resize %dx%d to %dx%d", file, w, h, c->side, c->side);
        }
        uint8_t *dst = c->x + (size_t)i * CHANNELS * plane;
        for (size_t p = 0; p < plane; p++)
            for (int ch = 0; ch < CHANNELS; ch++) dst[(size_t)ch * plane + p] = hwc[p * CHANNELS + ch];
        c->y[i] = l->files[i].label;
    }
    free(hwc);
    return 0;
}

static int mkdir_p(const char *dir) {
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", dir);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(buf, 0755) != 0 && errno != EEXIST) return -1;
            *p = '/';
        }
    return mkdir(buf, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

/* The folders a cache may live in, most preferred first. */
static int cache_dirs(const char *path, const char *cache, char dirs[2][4096]) {
    if (cache[0]) {
        snprintf(dirs[0], sizeof dirs[0], "%s", cache);
        return 1;
    }
    snprintf(dirs[0], sizeof dirs[0], "%s", path);
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (xdg && xdg[0]) snprintf(dirs[1], sizeof dirs[1], "%s/bdsweep", xdg);
    else if (home && home[0]) snprintf(dirs[1], sizeof dirs[1], "%s/.cache/bdsweep", home);
    else return 1;
    return 2;
}

/* The cache file in dir; -1 when its path does not fit in cap (that folder is then not used). */
static int cache_file(const char *dir, int side, uint64_t key, char *out, size_t cap) {
    int w = snprintf(out, cap, "%s/.bdsweep-cache-%d-%016llx.bin", dir, side, (unsigned long long)key);
    return w >= 0 && (size_t)w < cap ? 0 : -1;
}

/* Tries each cache folder; on a hit, names the file in `from`. Says why a
 * cache is rebuilt when `warn` is set (the first look, not the re-check
 * under the lock). */
static int read_any(char dirs[2][4096], int ndirs, BdImageCache *c, char *from, size_t cap, int warn) {
    for (int i = 0; i < ndirs; i++) {
        char file[4200];
        BdError why = {0};
        if (cache_file(dirs[i], c->side, c->key, file, sizeof file) < 0) continue;
        int r = bd_image_cache_read(file, c, &why);
        if (r == BD_CACHE_LOADED) {
            bd_text_format(from, cap, "%s", file);
            return 1;
        }
        if (r == BD_CACHE_INVALID && warn) bd_warn("flowers: rebuilding the cache: %s", why.msg);
    }
    return 0;
}

/* Writes the cache to the first folder that takes it; a cache nobody can
 * write only costs time, so failure is a warning. */
static void write_any(char dirs[2][4096], int ndirs, const BdImageCache *c, char *to, size_t cap) {
    for (int i = 0; i < ndirs; i++) {
        char file[4200];
        BdError why = {0};
        if (cache_file(dirs[i], c->side, c->key, file, sizeof file) < 0) {
            bd_warn("flowers: cache folder path too long: %.80s...", dirs[i]);
            continue;
        }
        if (mkdir_p(dirs[i]) == 0 && bd_image_cache_write(file, c, &why) == 0) {
            bd_text_format(to, cap, "%s", file);
            return;
        }
        bd_warn("flowers: %s%s", why.msg[0] ? why.msg : "cannot create the cache folder ", why.msg[0] ? "" : dirs[i]);
    }
    snprintf(to, cap, "nowhere (no writable cache folder)");
}

/* Gets the decoded images from a cache, or decodes them and fills the cache. */
static int decoded_images(const char *path, const char *cache, const ImageList *l, BdImageCache *c, char *note,
                          size_t cap, BdError *err) {
    char dirs[2][4096], where[4200];
    int ndirs = cache_dirs(path, cache, dirs);
    if (read_any(dirs, ndirs, c, where, sizeof where, 1)) {
        snprintf(note, cap, "read from cache %s", where);
        return 0;
    }
    /* Lock the preferred folder while decoding so that ranks arriving
     * together decode once. A folder that cannot be locked (some network
     * file systems) only costs duplicate work: renames keep it safe. */
    mkdir_p(dirs[0]);
    int lock = open(dirs[0], O_RDONLY | O_DIRECTORY);
    if (lock >= 0 && flock(lock, LOCK_EX) != 0) {
        close(lock);
        lock = -1;
    }
    int rc = 0;
    if (read_any(dirs, ndirs, c, where, sizeof where, 0)) {
        snprintf(note, cap, "read from cache %s", where);
    } else if ((rc = decode_all(path, l, c, err)) == 0) {
        write_any(dirs, ndirs, c, where, sizeof where);
        snprintf(note, cap, "decoded %d images, cached in %s", l->n, where);
    }
    if (lock >= 0) close(lock); /* closing releases the lock */
    return rc;
}

static void copy_sample(const BdImageCache *c, int from, BdSplit *s, int to) {
    size_t bytes = (size_t)c->c * c->side * c->side;
    memcpy(s->x + (size_t)to * bytes, c->x + (size_t)from * bytes, bytes);
    s->y[to] = c->y[from];
}

/* Per class: shuffle, the first round(test_fraction * n_class) go to test
 * (at least one each way when the class has two or more images), the rest
 * to train. Then each split is shuffled, so that any prefix of it
 * (bd_split_limit) holds every class. */
/* Test images of a class of m: round(fraction * m), at least one on each
 * side for a class of two or more. */
static int class_test_count(int m, double fraction) {
    int t = (int)lround(fraction * m);
    if (m >= 2 && t < 1) t = 1;
    if (m >= 2 && t > m - 1) t = m - 1;
    return t;
}

/* The split as indices of the images (labels y[0..n)): train[0..*ntrain)
 * and test[0..*ntest) in their shuffled order. Both arrays hold n. The
 * labels alone decide it, so the training labels are known from the folder
 * listing without decoding an image (flowers_train_labels). */
static void split_order(const int *y, int n, int classes, double test_fraction, uint64_t seed, int *train, int *ntrain,
                        int *test, int *ntest) {
    int *members = bd_xmalloc((size_t)(n ? n : 1) * sizeof *members);
    *ntest = *ntrain = 0;
    for (int k = 0; k < classes; k++) {
        int m = 0;
        for (int i = 0; i < n; i++)
            if (y[i] == k) members[m++] = i;
        BdRng r;
        bd_rng_stream(&r, seed, "flowers-split", (uint64_t)k);
        bd_rng_shuffle(&r, members, (size_t)m);
        int t = class_test_count(m, test_fraction);
        for (int i = 0; i < m; i++) {
            if (i < t) test[(*ntest)++] = members[i];
            else train[(*ntrain)++] = members[i];
        }
    }
    BdRng r;
    bd_rng_stream(&r, seed, "flowers-order", 0);
    bd_rng_shuffle(&r, train, (size_t)*ntrain);
    bd_rng_shuffle(&r, test, (size_t)*ntest);
    free(members);
}

static void split_classes(const BdImageCache *c, double test_fraction, uint64_t seed, BdDataset *out) {
    int *test = bd_xmalloc((size_t)c->n * sizeof *test), *train = bd_xmalloc((size_t)c->n * sizeof *train);
    int ntest, ntrain;
    split_order(c->y, c->n, c->classes, test_fraction, seed, train, &ntrain, test, &ntest);
    bd_split_alloc(&out->train, ntrain, out->shape);
    bd_split_alloc(&out->test, ntest, out->shape);
    for (int i = 0; i < ntrain; i++) copy_sample(c, train[i], &out->train, i);
    for (int i = 0; i < ntest; i++) copy_sample(c, test[i], &out->test, i);
    free(train);
    free(test);
}

static int flowers_shape(const BdSpec *spec, BdDataShape *shape, BdError *err) {
    const char *path = bd_spec_str(spec, "path");
    char **classes = NULL;
    int n = list_entries(path, 1, &classes, err);
    if (n < 0) return -1;
    free_names(classes, n);
    if (n < 2) return bd_fail(err, "flowers: %s has %d class sub-folder(s): expected at least 2", path, n);
    int side = (int)bd_spec_int(spec, "size");
    *shape = (BdDataShape){CHANNELS, side, side, n};
    return 0;
}

static int flowers_load(const BdSpec *spec, BdDataset *out, BdError *err) {
    const char *path = bd_spec_str(spec, "path");
    int side = (int)bd_spec_int(spec, "size");
    ImageList list;
    if (list_images(path, &list, err) < 0) return -1;
    BdImageCache c = {.n = list.n, .c = CHANNELS, .side = side, .classes = list.classes, .key = list_key(&list, side)};
    char note[8400];
    int rc = decoded_images(path, bd_spec_str(spec, "cache"), &list, &c, note, sizeof note, err);
    if (rc == 0) {
        out->shape = (BdDataShape){CHANNELS, side, side, list.classes};
        split_classes(&c, bd_spec_float(spec, "test_fraction"), (uint64_t)bd_spec_int(spec, "split_seed"), out);
        bd_text_format(out->description, sizeof out->description, "flowers from %s (%d classes, %d train, %d test; %s)",
                       path, list.classes, out->train.n, out->test.n, note);
    }
    free(c.x);
    free(c.y);
    list_free(&list);
    return rc;
}

/* The split sizes split_classes() will give, from the folder listing. */
static int flowers_sizes(const BdSpec *spec, int *n_train, int *n_test, BdError *err) {
    ImageList list;
    if (list_images(bd_spec_str(spec, "path"), &list, err) < 0) return -1;
    double fraction = bd_spec_float(spec, "test_fraction");
    *n_train = *n_test = 0;
    for (int k = 0; k < list.classes; k++) {
        int m = 0;
        for (int i = 0; i < list.n; i++) m += list.files[i].label == k;
        int t = class_test_count(m, fraction);
        *n_test += t;
        *n_train += m - t;
    }
    list_free(&list);
    return 0;
}

/* The training labels in load order, from the folder listing and the split. */
static int flowers_train_labels(const BdSpec *spec, int **labels, int *n, BdError *err) {
    ImageList list;
    if (list_images(bd_spec_str(spec, "path"), &list, err) < 0) return -1;
    int *y = bd_xmalloc((size_t)list.n * sizeof *y), *train = bd_xmalloc((size_t)list.n * sizeof *train);
    int *test = bd_xmalloc((size_t)list.n * sizeof *test), ntest;
    for (int i = 0; i < list.n; i++) y[i] = list.files[i].label;
    split_order(y, list.n, list.classes, bd_spec_float(spec, "test_fraction"), (uint64_t)bd_spec_int(spec, "split_seed"),
                train, n, test, &ntest);
    for (int i = 0; i < *n; i++) train[i] = y[train[i]];
    *labels = train;
    free(y);
    free(test);
    list_free(&list);
    return 0;
}

/* TensorFlow's flowers (flower_photos: 3670 images; daisy 633, dandelion
 * 898, roses 641, sunflowers 699, tulips 799, the folders in that order),
 * split per class as split_classes() does. */
static int flowers_nominal(const BdSpec *spec, BdDataNominal *out, BdError *err) {
    (void)err;
    static const int per_class[5] = {633, 898, 641, 699, 799};
    int side = (int)bd_spec_int(spec, "size");
    double fraction = bd_spec_float(spec, "test_fraction");
    *out = (BdDataNominal){.shape = {CHANNELS, side, side, 5},
                           .source = "TensorFlow flowers' published sizes (3670 images of 5 classes)"};
    for (int k = 0; k < 5; k++) {
        int t = class_test_count(per_class[k], fraction);
        out->train_per_class[k] = per_class[k] - t;
        out->n_train += per_class[k] - t;
        out->n_test += t;
    }
    return 0;
}

const BdDatasetLoader bd_flowers_loader = {flowers_shape, flowers_load, flowers_sizes, flowers_nominal,
                                           flowers_train_labels};
