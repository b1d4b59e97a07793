/* Helpers for the data and attack tests: a scratch folder, files written
 * byte by byte, and resolved specs built from key=value pairs. */
#ifndef BD_TESTFS_H
#define BD_TESTFS_H

#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dataset.h"
#include "spec.h"

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static inline void tfs_rm_rf(const char *dir) { nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS); }

/* A fresh folder under $TMPDIR (or /tmp); dir must hold 256 bytes. */
static inline void tfs_mkdtemp(char *dir, const char *tag) {
    const char *base = getenv("TMPDIR");
    snprintf(dir, 256, "%s/bdsweep-%s-XXXXXX", base && base[0] ? base : "/tmp", tag);
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        exit(2);
    }
}

static inline void tfs_write(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, n, f) != n || fclose(f) != 0) {
        perror(path);
        exit(2);
    }
}

static inline void tfs_mkdir(const char *path) {
    if (mkdir(path, 0755) != 0) {
        perror(path);
        exit(2);
    }
}

/* A spec of preset `name` with key/value pairs ending in NULL, resolved.
 * Returns what bd_spec_resolve returns. */
static inline int tfs_spec(BdSpec *s, const BdPreset *presets, const char *name, BdError *err, ...) {
    bd_spec_init(s, name);
    va_list ap;
    va_start(ap, err);
    const char *k;
    while ((k = va_arg(ap, const char *))) {
        const char *v = va_arg(ap, const char *);
        if (bd_spec_set(s, k, v, err) < 0) {
            va_end(ap);
            return -1;
        }
    }
    va_end(ap);
    const BdPreset *p = bd_preset_find(presets, name);
    if (!p) return bd_fail(err, "no preset %s", name);
    return bd_spec_resolve(s, p, err);
}

/* The training labels read without the pixels (bd_dataset_train_labels)
 * are those a load of the same spec gives, in the same order: the checks
 * before a sweep runs count pools with them. 1 when they are. */
static inline int tfs_same_train_labels(const BdSpec *s, const BdDataset *d) {
    int *labels = NULL, n = 0;
    BdError err = {0};
    if (bd_dataset_train_labels(s, &labels, &n, &err) < 0) {
        fprintf(stderr, "bd_dataset_train_labels: %s\n", err.msg);
        return 0;
    }
    int same = n == d->train.n && (n == 0 || !memcmp(labels, d->train.y, (size_t)n * sizeof *labels));
    free(labels);
    return same;
}

/* Limits the process's private memory (RLIMIT_DATA, the limit a job's
 * process runs under) to what it holds now plus extra bytes, so that a
 * loader that allocated what a file's header claims would die (bd_xmalloc
 * exits) instead of failing with an error; tfs_unlimit_data undoes it. A
 * no-op under AddressSanitizer, whose shadow memory the limit would count. */
static inline void tfs_limit_data(size_t extra) {
#ifndef __SANITIZE_ADDRESS__
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmData: %lld kB", &kb) == 1) break;
    if (f) fclose(f);
    if (kb < 0) return;
    struct rlimit lim;
    getrlimit(RLIMIT_DATA, &lim);
    lim.rlim_cur = (rlim_t)kb * 1024 + extra;
    setrlimit(RLIMIT_DATA, &lim);
#else
    (void)extra;
#endif
}

static inline void tfs_unlimit_data(void) {
    struct rlimit lim;
    getrlimit(RLIMIT_DATA, &lim);
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_DATA, &lim);
}

#endif
