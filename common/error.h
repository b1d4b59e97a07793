/* Errors as values: a function that can fail takes a BdError * last, fills it
 * with a complete sentence (what, where, what was expected) and returns -1.
 * The caller either adds context with bd_error_prefix() or reports it.
 * Nothing is printed where the error happens: the caller decides whether it
 * becomes an exit status, a failed cell in the database, or a test assertion. */
#ifndef BD_ERROR_H
#define BD_ERROR_H

#include <stddef.h>

#define BD_ERROR_MAX 1024

typedef struct BdError {
    char msg[BD_ERROR_MAX];
    /* 1: the machine failed, not the work (a full disk or quota, an I/O
     * error, a read-only file system, no process could start): a job that
     * fails so goes back to pending and the run stops (exit 3), because
     * every job after it would fail the same way (bd_fail_io). */
    int machine;
} BdError;

/* Formats the message into err (if err is not NULL) and returns -1, so that
 * `return bd_fail(err, "...")` is the idiom at every failure site. */
int bd_fail(BdError *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* bd_fail for a system call that failed with errnum: the message ends with
 * ": " and strerror(errnum), and err->machine says whether errnum is the
 * machine's failure (bd_errno_is_machine) rather than the work's. */
int bd_fail_io(BdError *err, int errnum, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ENOSPC, EDQUOT, EIO, EROFS, ENFILE: what no job can cause or cure, and
 * what would fail every job after it. (Not ENOMEM: a job over its own
 * memory limit gets that.) */
int bd_errno_is_machine(int errnum);

/* Prepends context: "loading cell X: " + the existing message. Returns -1. */
int bd_error_prefix(BdError *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void bd_error_clear(BdError *err);

/* Allocation that cannot fail quietly: on out-of-memory the process dies with a
 * message naming the size, because no caller can do better, and exit status
 * BD_EXIT_OUT_OF_MEMORY, by which the rank that ran a job in a process of
 * its own tells "over its memory limit" from a crash. */
void bd_die_out_of_memory(size_t n) __attribute__((noreturn));
void *bd_xmalloc(size_t n);
void *bd_xcalloc(size_t count, size_t size);
void *bd_xrealloc(void *p, size_t n);
char *bd_xstrdup(const char *s);

#endif
