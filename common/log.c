#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static BdLogLevel level_from_env(void) {
    const char *s = getenv("BDSWEEP_LOG");
    if (!s || !*s) return BD_LOG_INFO;
    if (!strcmp(s, "error")) return BD_LOG_ERROR;
    if (!strcmp(s, "warn")) return BD_LOG_WARN;
    if (!strcmp(s, "debug")) return BD_LOG_DEBUG;
    return BD_LOG_INFO;
}

int bd_log_enabled(BdLogLevel level) { return level <= level_from_env(); }

void bd_log(BdLogLevel level, const char *fmt, ...) {
    if (!bd_log_enabled(level)) return;
    static const char *names[] = {"error", "warning", "info", "debug"};
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    /* One fprintf per line so that lines from several ranks sharing a
     * terminal do not interleave mid-line. */
    fprintf(stderr, "bdsweep: %s: %s\n", names[level], line);
}
