/* Counting allocations: a test executable that includes this (in exactly
 * one file) defines malloc, calloc, realloc, free and the aligned
 * allocators itself, on top of glibc's __libc_* entry points. A definition
 * in the executable interposes on the shared libraries too, so every
 * allocation of the process is seen, and told apart by who asked:
 *   allocations      from this executable's own code: the engine and every
 *                    static library of the project (a step must make none);
 *   lib_allocations  from shared libraries (oneDNN, OpenMP, OpenBLAS, libstdc++);
 *   lib_big          of those, the ones of 64 KiB or more (a buffer a step
 *                    must not need: oneDNN's scratchpads are the engine's);
 *   live_bytes       what is allocated and not freed.
 * oneDNN 2.6's dnnl_primitive_execute builds a std::unordered_map of its
 * arguments on every call, a few small nodes freed before it returns: a
 * step sees lib_allocations but no lib_big and no growth of live_bytes.
 * Under AddressSanitizer, which owns malloc, nothing is counted and
 * ALLOC_COUNTING is 0. */
#ifndef BD_ALLOC_COUNT_H
#define BD_ALLOC_COUNT_H

#include <errno.h>
#include <malloc.h>
#include <stddef.h>

static long allocations, lib_big, live_bytes;

#if defined(__SANITIZE_ADDRESS__)
#define ALLOC_COUNTING 0
#else
#define ALLOC_COUNTING 1
static long lib_allocations;
void *__libc_malloc(size_t n);
void *__libc_calloc(size_t a, size_t b);
void *__libc_realloc(void *p, size_t n);
void *__libc_memalign(size_t al, size_t n);
void __libc_free(void *p);
void *malloc(size_t n);
void *calloc(size_t a, size_t b);
void *realloc(void *p, size_t n);
void free(void *p);
int posix_memalign(void **p, size_t al, size_t n);
void *aligned_alloc(size_t al, size_t n);
void *memalign(size_t al, size_t n);

extern char __executable_start[], etext[]; /* the linker's: this executable's code */

static void *counted(void *p, size_t n, void *caller) {
    if ((char *)caller >= __executable_start && (char *)caller < etext) allocations++;
    else {
        lib_allocations++;
        lib_big += n >= 65536;
    }
    if (p) live_bytes += (long)malloc_usable_size(p);
    return p;
}

void *malloc(size_t n) { return counted(__libc_malloc(n), n, __builtin_return_address(0)); }
void *calloc(size_t a, size_t b) { return counted(__libc_calloc(a, b), a * b, __builtin_return_address(0)); }
void *realloc(void *p, size_t n) {
    if (p) live_bytes -= (long)malloc_usable_size(p);
    return counted(__libc_realloc(p, n), n, __builtin_return_address(0));
}
void free(void *p) {
    if (p) live_bytes -= (long)malloc_usable_size(p);
    __libc_free(p);
}
int posix_memalign(void **p, size_t al, size_t n) {
    void *q = counted(__libc_memalign(al, n), n, __builtin_return_address(0));
    if (!q) return ENOMEM;
    *p = q;
    return 0;
}
void *aligned_alloc(size_t al, size_t n) { return counted(__libc_memalign(al, n), n, __builtin_return_address(0)); }
void *memalign(size_t al, size_t n) { return counted(__libc_memalign(al, n), n, __builtin_return_address(0)); }
#endif

#endif
