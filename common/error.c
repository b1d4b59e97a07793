#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exit_status.h"

int bd_fail(BdError *err, const char *fmt, ...) {
    if (!err) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->machine = 0;
    return -1;
}

int bd_errno_is_machine(int errnum) {
    switch (errnum) {
    case ENOSPC: case EDQUOT: case EIO: case EROFS: case ENFILE: return 1;
    default: return 0;
    }
}

int bd_fail_io(BdError *err, int errnum, const char *fmt, ...) {
    if (!err) return -1;
    char what[BD_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    int w = snprintf(err->msg, sizeof err->msg, "%s: %s", what, strerror(errnum));
    if (w < 0 || (size_t)w >= sizeof err->msg) memcpy(err->msg + sizeof err->msg - 4, "...", 4);
    err->machine = bd_errno_is_machine(errnum);
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
    if (!err) return;
    err->msg[0] = '\0';
    err->machine = 0;
}

void bd_die_out_of_memory(size_t n) {
    fprintf(stderr, "bdsweep: out of memory allocating %zu bytes\n", n);
    _exit(BD_EXIT_OUT_OF_MEMORY); /* nothing may run that could allocate again */
}

void *bd_xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) bd_die_out_of_memory(n);
    return p;
}

void *bd_xcalloc(size_t count, size_t size) {
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p) bd_die_out_of_memory(count * size);
    return p;
}

void *bd_xrealloc(void *p, size_t n) {
    void *q = realloc(p, n ? n : 1);
    if (!q) bd_die_out_of_memory(n);
    return q;
}

char *bd_xstrdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *p = bd_xmalloc(n);
    memcpy(p, s, n);
    return p;
}
