#include "strbuf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void reserve(BdStr *b, size_t extra) {
    if (b->n + extra + 1 <= b->cap) return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + extra + 1) cap *= 2;
    b->s = bd_xrealloc(b->s, cap);
    b->cap = cap;
}

void bd_str_putn(BdStr *b, const char *s, size_t n) {
    reserve(b, n);
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = '\0';
}

void bd_str_puts(BdStr *b, const char *s) { bd_str_putn(b, s, strlen(s)); }

char *bd_str_take(BdStr *b) {
    char *s = b->s ? b->s : bd_xstrdup("");
    memset(b, 0, sizeof *b);
    return s;
}

void bd_str_printf(BdStr *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int need = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (need < 0) return;
    reserve(b, (size_t)need);
    va_start(ap, fmt);
    vsnprintf(b->s + b->n, (size_t)need + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)need;
}

void bd_str_xml(BdStr *b, const char *s) {
    for (const char *p = s; *p; p++) {
        switch (*p) {
        case '&': bd_str_puts(b, "&amp;"); break;
        case '<': bd_str_puts(b, "&lt;"); break;
        case '>': bd_str_puts(b, "&gt;"); break;
        case '"': bd_str_puts(b, "&quot;"); break;
        case '\'': bd_str_puts(b, "&#39;"); break;
        default:
            /* Control characters are not allowed in XML 1.0 (except tab, newline). */
            if ((unsigned char)*p < 0x20 && *p != '\n' && *p != '\t') bd_str_putn(b, " ", 1);
            else bd_str_putn(b, p, 1);
        }
    }
}

const char *bd_str_str(const BdStr *b) { return b->s ? b->s : ""; }

void bd_str_clear(BdStr *b) {
    b->n = 0;
    if (b->s) b->s[0] = '\0';
}

void bd_str_free(BdStr *b) {
    free(b->s);
    *b = (BdStr){0};
}

int bd_str_write_file(const BdStr *b, const char *path, BdError *err) {
    FILE *f = fopen(path, "wb");
    if (!f) return bd_fail(err, "cannot write %s: %s", path, strerror(errno));
    size_t n = b->n;
    int ok = fwrite(bd_str_str(b), 1, n, f) == n;
    int saved = errno;
    if (fclose(f) != 0 && ok) ok = 0, saved = errno;
    if (!ok) return bd_fail(err, "cannot write %s: %s", path, strerror(saved));
    return 0;
}

void bd_str_base64(BdStr *b, const unsigned char *d, size_t n) {
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    reserve(b, (n + 2) / 3 * 4);
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)d[i] << 16 | (i + 1 < n ? (unsigned)d[i + 1] << 8 : 0) | (i + 2 < n ? d[i + 2] : 0);
        char q[4] = {abc[v >> 18 & 63], abc[v >> 12 & 63], i + 1 < n ? abc[v >> 6 & 63] : '=',
                     i + 2 < n ? abc[v & 63] : '='};
        bd_str_putn(b, q, 4);
    }
}
