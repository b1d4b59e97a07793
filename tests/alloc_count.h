/* Counting allocations: a test executable linked with
 *   -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=posix_memalign
 * sends every allocation of the code under test through these wrappers, and
 * `allocations` says how many there were (e.g. around a training step, which
 * must allocate nothing). Include this in exactly one file of the test. */
#ifndef BD_ALLOC_COUNT_H
#define BD_ALLOC_COUNT_H

#include <stddef.h>

static long allocations;
void *__real_malloc(size_t n);
void *__real_calloc(size_t a, size_t b);
void *__real_realloc(void *p, size_t n);
int __real_posix_memalign(void **p, size_t al, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t a, size_t b);
void *__wrap_realloc(void *p, size_t n);
int __wrap_posix_memalign(void **p, size_t al, size_t n);
void *__wrap_malloc(size_t n) {
    allocations++;
    return __real_malloc(n);
}
void *__wrap_calloc(size_t a, size_t b) {
    allocations++;
    return __real_calloc(a, b);
}
void *__wrap_realloc(void *p, size_t n) {
    allocations++;
    return __real_realloc(p, n);
}
int __wrap_posix_memalign(void **p, size_t al, size_t n) {
    allocations++;
    return __real_posix_memalign(p, al, n);
}

#endif
