/* A minimal test harness: CHECK records a failure with file and line and
 * goes on; a test's main returns check_result(). No framework, no magic. */
#ifndef BD_CHECK_H
#define BD_CHECK_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int check_failures;

#define CHECK(cond)                                                                    \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
            check_failures++;                                                          \
        }                                                                              \
    } while (0)

#define CHECK_MSG(cond, ...)                                                           \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);   \
            fprintf(stderr, __VA_ARGS__);                                              \
            fprintf(stderr, "\n");                                                     \
            check_failures++;                                                          \
        }                                                                              \
    } while (0)

#define CHECK_STR(a, b)                                                                          \
    do {                                                                                         \
        const char *a_ = (a), *b_ = (b);                                                         \
        if (strcmp(a_, b_)) {                                                                    \
            fprintf(stderr, "%s:%d: check failed: %s == %s\n  got:      %s\n  expected: %s\n",   \
                    __FILE__, __LINE__, #a, #b, a_, b_);                                         \
            check_failures++;                                                                    \
        }                                                                                        \
    } while (0)

/* Checks that a string contains a fragment (error messages). A NULL string
 * fails the check instead of crashing it (and UBSan's null checks give gcc
 * a NULL path into the fprintf, which -Werror=format-overflow refuses). */
#define CHECK_CONTAINS(hay, needle)                                                             \
    do {                                                                                        \
        const char *h_ = (hay), *n_ = (needle);                                                 \
        if (!h_ || !n_ || !strstr(h_, n_)) {                                                    \
            fprintf(stderr, "%s:%d: check failed: '%s' should contain '%s'\n", __FILE__, __LINE__, \
                    h_ ? h_ : "(null)", n_ ? n_ : "(null)");                                    \
            check_failures++;                                                                   \
        }                                                                                       \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                                     \
    do {                                                                                          \
        double a_ = (a), b_ = (b);                                                                \
        if (!(fabs(a_ - b_) <= (tol))) {                                                          \
            fprintf(stderr, "%s:%d: check failed: %s = %.9g, expected %.9g (tol %g)\n", __FILE__, \
                    __LINE__, #a, a_, b_, (double)(tol));                                         \
            check_failures++;                                                                     \
        }                                                                                         \
    } while (0)

static inline int check_result(const char *name) {
    if (check_failures) fprintf(stderr, "%s: %d check(s) failed\n", name, check_failures);
    else printf("%s: ok\n", name);
    return check_failures ? 1 : 0;
}

/* snprintf into a test's own buffer (a char array); a text that does not fit fails the test. */
#define CHECK_FMT(buf, ...) CHECK(snprintf((buf), sizeof(buf), __VA_ARGS__) < (int)sizeof(buf))

#endif
