#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int bd_fail(BdError *err, const char *fmt, ...) {
    if (!err) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return -1;
}

int bd_error_prefix(BdError *err, const char *fmt, ...) {
    if (!err) return -1;
    char prefix[BD_ERROR_MAX], old[BD_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    int w = snprintf(err->msg, sizeof err->msg, "%s%s", prefix, old);
    if (w < 0 || (size_t)w >= sizeof err->msg) memcpy(err->msg + sizeof err->msg - 4, "...", 4); /* cut, and says so */
    return -1;
}

void bd_error_clear(BdError *err) {
    if (err) err->msg[0] = '\0';
}

static void die_oom(size_t n) {
    fprintf(stderr, "bdsweep: out of memory allocating %zu bytes\n", n);
    abort();
}

void *bd_xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) die_oom(n);
    return p;
}

void *bd_xcalloc(size_t count, size_t size) {
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p) die_oom(count * size);
    return p;
}

void *bd_xrealloc(void *p, size_t n) {
    void *q = realloc(p, n ? n : 1);
    if (!q) die_oom(n);
    return q;
}

char *bd_xstrdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *p = bd_xmalloc(n);
    memcpy(p, s, n);
    return p;
}
