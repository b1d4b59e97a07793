/* Checks on the text of the report's SVG figures: that shortened labels are
 * cut between words and parameters only, and the range of the numbers the
 * axes print. They read the SVG as svg.c writes it: a label with its full
 * text as a tooltip is "<g><title>FULL</title>\n<text ...>SHOWN</text>". */
#ifndef BD_TEST_SVGCHECK_H
#define BD_TEST_SVGCHECK_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SVG_ELLIPSIS "\xE2\x80\xA6"

static inline int svg_cut_point(char c) { return c == ' ' || c == ',' || c == '('; }

/* shown is full, or full with its middle replaced by an ellipsis where the
 * part kept before it ends at a cut point (after ' ', ',' or '(') and the
 * part kept after it starts at one. */
static inline int svg_cut_between_words(const char *full, const char *shown) {
    if (!strcmp(full, shown)) return 1;
    const char *e = strstr(shown, SVG_ELLIPSIS);
    if (!e) return 0;
    size_t head = (size_t)(e - shown), tail = strlen(e + 3), n = strlen(full);
    if (head + tail > n || strncmp(full, shown, head) || strcmp(full + n - tail, e + 3)) return 0;
    if (head && !svg_cut_point(full[head - 1])) return 0;
    if (tail && !svg_cut_point(full[n - tail - 1])) return 0;
    return 1;
}

/* The number of labels of an SVG that are cut inside a word; the first one
 * into bad (when not NULL). Also counts into *labels the labels seen. */
static inline int svg_bad_labels(const char *svg, int *labels, char *bad, size_t cap) {
    int n_bad = 0;
    *labels = 0;
    for (const char *p = strstr(svg, "<g><title>"); p; p = strstr(p + 1, "<g><title>")) {
        const char *t = p + 10, *te = strstr(t, "</title>\n<text");
        if (!te || te != strstr(t, "</title>")) continue; /* a tooltip not followed by a label */
        const char *s = strchr(te + 14, '>'), *se = s ? strstr(s, "</text>") : NULL;
        if (!s || !se) continue;
        char full[2048], shown[2048];
        snprintf(full, sizeof full, "%.*s", (int)(te - t), t);
        snprintf(shown, sizeof shown, "%.*s", (int)(se - s - 1), s + 1);
        (*labels)++;
        if (svg_cut_between_words(full, shown)) continue;
        if (!n_bad++ && bad) snprintf(bad, cap, "'%s' shown as '%s'", full, shown);
    }
    return n_bad;
}

/* The lowest and highest of the texts that are plain numbers (tick labels). */
static inline int svg_number_range(const char *svg, double *lo, double *hi) {
    int n = 0;
    *lo = INFINITY, *hi = -INFINITY;
    for (const char *p = strstr(svg, "<text"); p; p = strstr(p + 1, "<text")) {
        const char *s = strchr(p, '>');
        if (!s) break;
        char *end;
        double v = strtod(s + 1, &end);
        if (end == s + 1 || strncmp(end, "</text>", 7)) continue;
        *lo = fmin(*lo, v), *hi = fmax(*hi, v);
        n++;
    }
    return n;
}

#endif
