/* Image-folder loader (flowers): real JPEG and PNG files written here with
 * stb_image_write, class order, the per-class split, the decoded-image cache
 * (hit, corrupt, truncated, stale, fallback folder), and the errors. */
#include <fcntl.h>
#include <stb_image_write.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <zlib.h>

#include "check.h"
#include "dataset.h"
#include "testfs.h"

static const unsigned char colour[3][3] = {{200, 30, 30}, {30, 200, 30}, {30, 30, 200}};

/* A solid image of class k's colour, w x h, as PNG or JPEG. */
static void write_solid(const char *path, int k, int w, int h, int jpeg) {
    unsigned char *p = malloc((size_t)w * h * 3);
    for (int i = 0; i < w * h; i++) memcpy(p + 3 * i, colour[k], 3);
    int ok = jpeg ? stbi_write_jpg(path, w, h, 3, p, 95) : stbi_write_png(path, w, h, 3, p, w * 3);
    if (!ok) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(2);
    }
    free(p);
}

/* Classes are created out of order: daisy (0), rose (1), tulip (2) by name.
 * daisy: 4 images, rose: 5, tulip: 3 of which one is half white, half black
 * (a gray PNG, so the loader must expand it to RGB). Plus hidden clutter. */
static void write_folder(const char *dir) {
    const char *classes[3] = {"daisy", "rose", "tulip"};
    const int counts[3] = {4, 5, 3};
    char path[512];
    for (int k = 2; k >= 0; k--) {
        snprintf(path, sizeof path, "%s/%s", dir, classes[k]);
        tfs_mkdir(path);
        for (int i = 0; i < counts[k]; i++) {
            snprintf(path, sizeof path, "%s/%s/img%d.%s", dir, classes[k], i, i % 2 ? "jpg" : "png");
            if (k == 2 && i == 0) {
                unsigned char g[32 * 32];
                for (int q = 0; q < 32 * 32; q++) g[q] = (q % 32) < 16 ? 255 : 0;
                stbi_write_png(path, 32, 32, 1, g, 32);
            } else {
                write_solid(path, k, 20 + 3 * i, 24 + i, i % 2);
            }
        }
    }
    snprintf(path, sizeof path, "%s/rose/.DS_Store", dir);
    tfs_write(path, "junk", 4);
    snprintf(path, sizeof path, "%s/.hidden-folder", dir);
    tfs_mkdir(path);
}

static int load(const char *dir, const char *size, const char *seed, const char *cache, BdDataset *d, BdError *err) {
    BdSpec s;
    if (tfs_spec(&s, bd_dataset_presets, "flowers", err, "path", dir, "size", size, "test_fraction", "0.25",
                 "split_seed", seed, "cache", cache, "normalize", "none", NULL) < 0)
        return -1;
    return bd_dataset_load(&s, d, err);
}

static int same(const BdDataset *a, const BdDataset *b) {
    size_t px = (size_t)a->shape.c * a->shape.h * a->shape.w;
    return a->train.n == b->train.n && a->test.n == b->test.n &&
           !memcmp(a->train.x, b->train.x, px * a->train.n) && !memcmp(a->test.x, b->test.x, px * a->test.n) &&
           !memcmp(a->train.y, b->train.y, sizeof(int) * a->train.n) &&
           !memcmp(a->test.y, b->test.y, sizeof(int) * a->test.n);
}

/* Every sample is its class colour (PNG exactly, JPEG within its loss), or
 * the half-white, half-black tulip. */
static void check_pixels(const BdSplit *s, int side, int *halves) {
    size_t plane = (size_t)side * side;
    for (int i = 0; i < s->n; i++) {
        const uint8_t *x = s->x + (size_t)i * 3 * plane;
        if (s->y[i] == 2 && x[0] == 255 && x[1 * plane] == 255 && x[side - 1] == 0) {
            (*halves)++;
            CHECK(x[2 * plane + side - 1] == 0 && x[(side - 1) * side] == 255);
            continue;
        }
        for (int c = 0; c < 3; c++)
            for (size_t q = 0; q < plane; q += 7) CHECK(abs(x[c * plane + q] - colour[s->y[i]][c]) <= 8);
    }
}

static int count_label(const BdSplit *s, int k) {
    int n = 0;
    for (int i = 0; i < s->n; i++) n += s->y[i] == k;
    return n;
}

static void flip_byte(const char *file, long off) {
    int fd = open(file, O_RDWR);
    unsigned char b;
    if (fd < 0 || pread(fd, &b, 1, off) != 1) exit(2);
    b ^= 0x5a;
    if (pwrite(fd, &b, 1, off) != 1) exit(2);
    close(fd);
}

static int find_cache(const char *dir, char *out, size_t cap) {
    char cmd[600];
    snprintf(cmd, sizeof cmd, "ls %s/.bdsweep-cache-* 2>/dev/null | head -1", dir);
    FILE *p = popen(cmd, "r");
    int ok = p && fgets(out, (int)cap, p) != NULL;
    if (p) pclose(p);
    if (ok) out[strcspn(out, "\n")] = '\0';
    return ok;
}

static void test_load_and_cache(const char *dir) {
    BdDataset a, b;
    BdError err = {0};
    BdSpec s;
    BdDataShape shape;
    CHECK(tfs_spec(&s, bd_dataset_presets, "flowers", &err, "path", dir, NULL) == 0);
    CHECK_MSG(bd_dataset_shape(&s, &shape, &err) == 0, "%s", err.msg);
    CHECK(shape.c == 3 && shape.h == 64 && shape.w == 64 && shape.classes == 3);

    CHECK_MSG(load(dir, "16", "1", "", &a, &err) == 0, "%s", err.msg);
    CHECK_CONTAINS(a.description, "decoded 12 images");
    CHECK(a.shape.c == 3 && a.shape.h == 16 && a.shape.w == 16 && a.shape.classes == 3);
    /* round(0.25 * n) per class: daisy 4 -> 1, rose 5 -> 1, tulip 3 -> 1. */
    CHECK(a.test.n == 3 && a.train.n == 9);
    CHECK(count_label(&a.test, 0) == 1 && count_label(&a.test, 1) == 1 && count_label(&a.test, 2) == 1);
    CHECK(count_label(&a.train, 0) == 3 && count_label(&a.train, 1) == 4 && count_label(&a.train, 2) == 2);
    /* The folder listing and the split give the training labels in load order. */
    BdSpec s16;
    CHECK(tfs_spec(&s16, bd_dataset_presets, "flowers", &err, "path", dir, "size", "16", "test_fraction", "0.25",
                   "split_seed", "1", NULL) == 0);
    CHECK(tfs_same_train_labels(&s16, &a));
    int halves = 0;
    check_pixels(&a.train, 16, &halves);
    check_pixels(&a.test, 16, &halves);
    CHECK(halves == 1);

    /* At least one image each way for a class of two or more: 0.1 gives
     * round(0.4), round(0.5), round(0.3) = 0, 1, 0 -> 1, 1, 1 test images;
     * 0.9 gives 4, 5, 3 -> 3, 4, 2 (one left to train on). */
    BdSpec sp;
    CHECK(tfs_spec(&sp, bd_dataset_presets, "flowers", &err, "path", dir, "size", "16", "test_fraction", "0.1",
                   "normalize", "none", NULL) == 0);
    CHECK_MSG(bd_dataset_load(&sp, &b, &err) == 0, "%s", err.msg);
    CHECK(b.test.n == 3 && count_label(&b.test, 0) == 1 && count_label(&b.test, 2) == 1);
    bd_dataset_free(&b);
    CHECK(tfs_spec(&sp, bd_dataset_presets, "flowers", &err, "path", dir, "size", "16", "test_fraction", "0.9",
                   "normalize", "none", NULL) == 0);
    CHECK_MSG(bd_dataset_load(&sp, &b, &err) == 0, "%s", err.msg);
    CHECK(b.train.n == 3 && count_label(&b.train, 0) == 1 && count_label(&b.train, 1) == 1);
    bd_dataset_free(&b);

    /* Second load: from the cache, the same bytes. */
    char cache[600];
    CHECK(find_cache(dir, cache, sizeof cache));
    CHECK_MSG(load(dir, "16", "1", "", &b, &err) == 0, "%s", err.msg);
    CHECK_CONTAINS(b.description, "read from cache");
    CHECK(same(&a, &b));
    bd_dataset_free(&b);

    /* Another split seed shares the cache and splits differently. */
    CHECK_MSG(load(dir, "16", "2", "", &b, &err) == 0, "%s", err.msg);
    CHECK_CONTAINS(b.description, "read from cache");
    CHECK(b.test.n == 3 && !same(&a, &b));
    bd_dataset_free(&b);

    /* A corrupt payload byte: detected by the checksum, rebuilt, then cached again. */
    flip_byte(cache, 48 + 12 * 4 + 100);
    CHECK_MSG(load(dir, "16", "1", "", &b, &err) == 0, "%s", err.msg);
    CHECK_CONTAINS(b.description, "decoded 12 images");
    CHECK(same(&a, &b));
    bd_dataset_free(&b);
    CHECK_MSG(load(dir, "16", "1", "", &b, &err) == 0, "%s", err.msg);
    CHECK_CONTAINS(b.description, "read from cache");
    bd_dataset_free(&b);

    /* A truncated cache (a writer that died without the rename would leave
     * only its temporary file, but a copy can be cut short). */
    CHECK(truncate(cache, 1000) == 0);
    CHECK_MSG(load(dir, "16", "1", "", &b, &err) == 0, "%s", err.msg);
    CHECK_CONTAINS(b.description, "decoded 12 images");
    bd_dataset_free(&b);

    /* A cache whose header claims 10^8 images (77 GB of pixels): what it
     * claims is never what is allocated (the folder's listing says what to
     * expect; the file's size must match it), so it is rebuilt, with the
     * process's memory limited to 64 MiB more than it holds. */
    FILE *cf = fopen(cache, "r+b");
    CHECK(cf && fseek(cf, 12, SEEK_SET) == 0 && fwrite("\x00\xe1\xf5\x05", 1, 4, cf) == 4); /* 10^8, little-endian */
    if (cf) fclose(cf);
    tfs_limit_data((size_t)64 << 20);
    CHECK_MSG(load(dir, "16", "1", "", &b, &err) == 0, "%s", err.msg);
    tfs_unlimit_data();
    CHECK_CONTAINS(b.description, "decoded 12 images");
    bd_dataset_free(&b);

    /* With the cache valid, an image's bytes are never read again: garble one
     * keeping its size and mtime, and the load still succeeds from the cache. */
    char img[600];
    struct stat st;
    snprintf(img, sizeof img, "%s/rose/img2.png", dir);
    CHECK(stat(img, &st) == 0);
    char *garbage = malloc((size_t)st.st_size);
    memset(garbage, 'x', (size_t)st.st_size);
    tfs_write(img, garbage, (size_t)st.st_size);
    struct timespec times[2] = {st.st_atim, st.st_mtim};
    CHECK(utimensat(AT_FDCWD, img, times, 0) == 0);
    CHECK_MSG(load(dir, "16", "1", "", &b, &err) == 0, "%s", err.msg);
    CHECK_CONTAINS(b.description, "read from cache");
    CHECK(same(&a, &b));
    bd_dataset_free(&b);

    /* Another size is another cache: decoding meets the garbled image. */
    CHECK(load(dir, "8", "1", "", &b, &err) < 0);
    CHECK_CONTAINS(err.msg, img);
    CHECK_CONTAINS(err.msg, "cannot decode image");
    CHECK_CONTAINS(err.msg, "expected a JPEG or PNG file");

    /* A changed file (new mtime) changes the key: the old cache is not used. */
    write_solid(img, 1, 20, 20, 0);
    CHECK_MSG(load(dir, "16", "1", "", &b, &err) == 0, "%s", err.msg);
    CHECK_CONTAINS(b.description, "decoded 12 images");
    bd_dataset_free(&b);
    free(garbage);
    bd_dataset_free(&a);
}

/* `cache` names the folder; when the preferred folder cannot take the file,
 * the per-user cache folder does. */
static void test_cache_folders(const char *dir) {
    BdDataset a;
    BdError err = {0};
    char cachedir[256], user[256], found[600];
    tfs_mkdtemp(cachedir, "flowers-cache");
    tfs_mkdtemp(user, "flowers-user");
    char sub[512];
    snprintf(sub, sizeof sub, "%s/nested/deeper", cachedir);
    CHECK_MSG(load(dir, "12", "1", sub, &a, &err) == 0, "%s", err.msg);
    CHECK_CONTAINS(a.description, "decoded 12 images");
    CHECK(find_cache(sub, found, sizeof found));
    bd_dataset_free(&a);
    CHECK_MSG(load(dir, "12", "1", sub, &a, &err) == 0, "%s", err.msg);
    CHECK_CONTAINS(a.description, "read from cache");
    bd_dataset_free(&a);

    /* Block the data folder's cache file with a folder of the same name (root
     * ignores permissions, so a read-only folder would not stop it). */
    CHECK_MSG(load(dir, "10", "1", "", &a, &err) == 0, "%s", err.msg);
    bd_dataset_free(&a);
    char blocked[600];
    CHECK(find_cache(dir, blocked, sizeof blocked));
    /* find_cache lists sizes 16 and 10: pick the size-10 one by name. */
    snprintf(found, sizeof found, "ls %s/.bdsweep-cache-10-* | head -1", dir);
    FILE *p = popen(found, "r");
    CHECK(p && fgets(blocked, sizeof blocked, p));
    pclose(p);
    blocked[strcspn(blocked, "\n")] = '\0';
    CHECK(remove(blocked) == 0);
    tfs_mkdir(blocked);
    setenv("XDG_CACHE_HOME", user, 1);
    CHECK_MSG(load(dir, "10", "1", "", &a, &err) == 0, "%s", err.msg);
    CHECK_CONTAINS(a.description, "decoded 12 images");
    snprintf(sub, sizeof sub, "%s/bdsweep", user);
    CHECK(find_cache(sub, found, sizeof found));
    bd_dataset_free(&a);
    CHECK_MSG(load(dir, "10", "1", "", &a, &err) == 0, "%s", err.msg);
    CHECK_CONTAINS(a.description, "read from cache");
    CHECK_CONTAINS(a.description, user);
    bd_dataset_free(&a);
    unsetenv("XDG_CACHE_HOME");
    rmdir(blocked);
    tfs_rm_rf(cachedir);
    tfs_rm_rf(user);
}

/* Ranks that load at the same moment with no cache: the lock lets exactly
 * one decode, the others read what it wrote. */
static void test_concurrent(const char *dir) {
    enum { PROCS = 3 };
    pid_t pids[PROCS];
    for (int i = 0; i < PROCS; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            BdDataset d;
            BdError err = {0};
            if (load(dir, "14", "1", "", &d, &err) < 0) _exit(2);
            int decoded = strstr(d.description, "decoded") != NULL;
            bd_dataset_free(&d);
            _exit(decoded);
        }
    }
    int decoded = 0, failed = 0;
    for (int i = 0; i < PROCS; i++) {
        int status;
        waitpid(pids[i], &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) > 1) failed++;
        else decoded += WEXITSTATUS(status);
    }
    CHECK(failed == 0);
    CHECK(decoded == 1);
}

/* A PNG header (signature, IHDR of w x h, 8-bit RGB) and a tiny IDAT, as a
 * forged file would have it; CRCs are zlib's. */
static void put_chunk(FILE *f, const char *type, const unsigned char *data, unsigned n) {
    unsigned char be[4] = {(unsigned char)(n >> 24), (unsigned char)(n >> 16), (unsigned char)(n >> 8), (unsigned char)n};
    fwrite(be, 1, 4, f);
    fwrite(type, 1, 4, f);
    if (n) fwrite(data, 1, n, f);
    uLong crc = crc32(crc32(0L, Z_NULL, 0), (const Bytef *)type, 4);
    crc = crc32(crc, data, n);
    unsigned char c[4] = {(unsigned char)(crc >> 24), (unsigned char)(crc >> 16), (unsigned char)(crc >> 8),
                          (unsigned char)crc};
    fwrite(c, 1, 4, f);
}

static void write_forged_png(const char *path, unsigned w, unsigned h) {
    FILE *f = fopen(path, "wb");
    if (!f) exit(2);
    fwrite("\x89PNG\r\n\x1a\n", 1, 8, f);
    unsigned char ihdr[13] = {(unsigned char)(w >> 24), (unsigned char)(w >> 16), (unsigned char)(w >> 8),
                              (unsigned char)w,         (unsigned char)(h >> 24), (unsigned char)(h >> 16),
                              (unsigned char)(h >> 8),  (unsigned char)h,         8, 2, 0, 0, 0};
    put_chunk(f, "IHDR", ihdr, 13);
    unsigned char idat[] = {0x78, 0x9c, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01};
    put_chunk(f, "IDAT", idat, sizeof idat);
    put_chunk(f, "IEND", NULL, 0);
    fclose(f);
}

static void test_errors(void) {
    char dir[256], path[512];
    BdDataset d;
    BdError err = {0};
    tfs_mkdtemp(dir, "flowers-bad");

    snprintf(path, sizeof path, "%s/missing", dir);
    CHECK(load(path, "8", "0", "", &d, &err) < 0);
    CHECK_CONTAINS(err.msg, "cannot open folder");
    CHECK_CONTAINS(err.msg, path);

    snprintf(path, sizeof path, "%s/only", dir);
    tfs_mkdir(path);
    CHECK(load(dir, "8", "0", "", &d, &err) < 0);
    CHECK_CONTAINS(err.msg, "has 1 class sub-folder(s): expected at least 2");

    snprintf(path, sizeof path, "%s/empty", dir);
    tfs_mkdir(path);
    snprintf(path, sizeof path, "%s/only/a.png", dir);
    write_solid(path, 0, 8, 8, 0);
    CHECK(load(dir, "8", "0", "", &d, &err) < 0);
    CHECK_CONTAINS(err.msg, "class folder");
    CHECK_CONTAINS(err.msg, "/empty has no images");

    snprintf(path, sizeof path, "%s/empty/notes.txt", dir);
    tfs_write(path, "not an image", 12);
    CHECK(load(dir, "8", "0", "", &d, &err) < 0);
    CHECK_CONTAINS(err.msg, path);
    CHECK_CONTAINS(err.msg, "cannot decode image");

    /* A PNG whose header claims 18000 x 18000 pixels (972 MB decoded) over
     * a few bytes: refused by what its header says, with memory limited so
     * that decoding it (stb_image allocates the claimed size first) would
     * fail instead. */
    write_forged_png(path, 18000, 18000);
    tfs_limit_data((size_t)64 << 20);
    CHECK(load(dir, "8", "0", "", &d, &err) < 0);
    tfs_unlimit_data();
    CHECK_CONTAINS(err.msg, path);
    CHECK_CONTAINS(err.msg, "its header claims 18000x18000 pixels: expected at most 16384 on a side");
    /* One within those bounds, 16000 x 8000 (128 megapixels, 384 MB
     * decoded), still over its few bytes: refused by the file's size. */
    write_forged_png(path, 16000, 8000);
    tfs_limit_data((size_t)64 << 20);
    CHECK(load(dir, "8", "0", "", &d, &err) < 0);
    tfs_unlimit_data();
    CHECK_CONTAINS(err.msg, path);
    CHECK_CONTAINS(err.msg, "its header claims 16000x8000 pixels in a file of 66 bytes: expected at most 8256 pixels "
                   "per byte of the file");
    tfs_rm_rf(dir);
}

int main(void) {
    char dir[256];
    tfs_mkdtemp(dir, "flowers");
    write_folder(dir);
    test_load_and_cache(dir);
    test_cache_folders(dir);
    test_concurrent(dir);
    tfs_rm_rf(dir);
    test_errors();
    return check_result("data_flowers");
}
