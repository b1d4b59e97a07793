#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int bd_text_format(char *out, size_t cap, const char *fmt, ...) {
    if (!cap) return -1;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(out, cap, fmt, ap);
    va_end(ap);
    if (w >= 0 && (size_t)w < cap) return 0;
    if (cap > 4) memcpy(out + cap - 4, "...", 4);
    return -1;
}

int bd_path_join(char *out, size_t cap, const char *dir, const char *name, BdError *err) {
    int w = snprintf(out, cap, "%s/%s", dir, name);
    if (w >= 0 && (size_t)w < cap) return 0;
    return bd_fail(err, "path too long (%zu characters, at most %zu): %.60s.../%.60s", strlen(dir) + strlen(name) + 1,
                   cap - 1, dir, name);
}
