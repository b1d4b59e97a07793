/* Helpers for tests that need files and processes: a private temporary
 * folder, writing and reading text files, and running a command with its
 * stdout, stderr and exit status captured. */
#ifndef BD_TESTENV_H
#define BD_TESTENV_H

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* A fresh folder under $TMPDIR (or /tmp); the caller owns the string. */
static inline char *test_tmpdir(void) {
    const char *base = getenv("TMPDIR");
    char tmpl[4096];
    snprintf(tmpl, sizeof tmpl, "%s/bdsweep-test-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(tmpl)) {
        perror("mkdtemp");
        exit(99);
    }
    return strdup(tmpl);
}

static inline int test_rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static inline void test_rmtree(const char *dir) { nftw(dir, test_rm_one, 16, FTW_DEPTH | FTW_PHYS); }

static inline void test_write(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
        perror(path);
        exit(99);
    }
}

/* The whole file as a string ("" when it cannot be read); caller frees. */
static inline char *test_read(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return strdup("");
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (n + 1 >= cap) buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    buf[n] = '\0';
    return buf;
}

/* Runs argv[0] with argv; *out and *err receive its stdout and stderr
 * (caller frees). Returns the exit status, or -1 when it did not exit. */
static inline int test_run(const char *tmpdir, char *const argv[], char **out, char **err) {
    char out_path[4096], err_path[4096];
    snprintf(out_path, sizeof out_path, "%s/.stdout", tmpdir);
    snprintf(err_path, sizeof err_path, "%s/.stderr", tmpdir);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        exit(99);
    }
    if (pid == 0) {
        int fo = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int fe = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fo < 0 || fe < 0 || dup2(fo, 1) < 0 || dup2(fe, 2) < 0) _exit(98);
        execv(argv[0], argv);
        _exit(97);
    }
    int status;
    waitpid(pid, &status, 0);
    *out = test_read(out_path);
    *err = test_read(err_path);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

#endif
