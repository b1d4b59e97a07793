#include "units.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* A plain decimal number at p (digits, at most one '.', no sign, no
 * exponent, no "inf"): strtod alone would take "-5", "1e9" and "nan". */
static double plain_number(const char *p, const char **end) {
    const char *q = p;
    int digits = 0, dots = 0;
    while ((*q >= '0' && *q <= '9') || (*q == '.' && !dots)) {
        if (*q == '.') dots++;
        else digits++;
        q++;
    }
    *end = q;
    if (!digits) return -1;
    char buf[64];
    size_t n = (size_t)(q - p);
    if (n >= sizeof buf) return -1;
    memcpy(buf, p, n);
    buf[n] = '\0';
    double v;
    if (sscanf(buf, "%lf", &v) != 1 || !isfinite(v)) return -1;
    return v;
}

double bd_parse_duration(const char *s) {
    const char *p = s, *end;
    if (!*s) return -1;
    if (strchr(s, ':')) {
        double parts[3] = {0};
        int n = 0;
        for (;;) {
            if (n == 3) return -1;
            parts[n++] = plain_number(p, &end);
            if (parts[n - 1] < 0) return -1;
            if (*end == '\0') break;
            if (*end != ':') return -1;
            p = end + 1;
        }
        if (n == 2) return parts[0] * 60 + parts[1];
        if (n == 3) return parts[0] * 3600 + parts[1] * 60 + parts[2];
        return -1;
    }
    double total = 0;
    while (*p) {
        double v = plain_number(p, &end);
        if (v < 0) return -1;
        switch (*end) {
        case 'd': total += v * 86400; end++; break;
        case 'h': total += v * 3600; end++; break;
        case 'm': total += v * 60; end++; break;
        case 's': total += v; end++; break;
        case '\0': total += v; break; /* bare seconds, last */
        default: return -1;
        }
        p = end;
    }
    return total;
}

static const char *const binary_units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};

int64_t bd_parse_size(const char *s) {
    const char *end;
    double v = plain_number(s, &end);
    if (v < 0) return -1;
    int shift = -1;
    static const char *const letters = "KMGTP";
    if (!*end || !strcmp(end, "B")) shift = 0;
    for (int k = 1; k < 6 && shift < 0; k++) {
        char one[2] = {letters[k - 1], '\0'};
        if (!strcmp(end, binary_units[k]) || !strcmp(end, one)) shift = 10 * k;
    }
    if (shift < 0) return -1;
    double bytes = ldexp(v, shift);
    if (!(bytes >= 1) || bytes > 9.0e18) return -1;
    return (int64_t)llround(bytes);
}

void bd_format_duration(double seconds, char *out, size_t cap) {
    if (!(seconds >= 0) || !isfinite(seconds)) {
        snprintf(out, cap, "?");
        return;
    }
    double whole = floor(seconds);
    if (whole != seconds && seconds < 60) { /* a fraction matters only for short ones */
        snprintf(out, cap, "%gs", seconds);
        return;
    }
    long long t = llround(seconds);
    static const struct { char unit; long long size; } parts[] = {{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}};
    size_t o = 0;
    out[0] = '\0';
    for (int i = 0; i < 4 && o < cap; i++) {
        long long k = t / parts[i].size;
        t %= parts[i].size;
        if (k) o += (size_t)snprintf(out + o, cap - o, "%lld%c", k, parts[i].unit);
    }
    if (!out[0]) snprintf(out, cap, "0s");
}

void bd_format_size(int64_t bytes, char *out, size_t cap) {
    int k = 0;
    double v = (double)bytes;
    while (k < 5 && v >= 1024) {
        v /= 1024;
        k++;
    }
    snprintf(out, cap, "%.4g %s", v, binary_units[k]);
}
